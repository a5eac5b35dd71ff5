//! Markdown bodies (incident updates, maintenance notes) rendered to HTML
//! with pulldown-cmark and sanitised with ammonia: formatting and links
//! survive, scripts, event handlers and `javascript:` URLs never do.

use pulldown_cmark::{html, Options, Parser};

/// Safe HTML for a markdown body.
pub fn to_safe_html(markdown: &str) -> String {
    let mut options = Options::empty();
    options.insert(Options::ENABLE_STRIKETHROUGH);
    options.insert(Options::ENABLE_TABLES);
    let parser = Parser::new_ext(markdown, options);
    let mut raw = String::with_capacity(markdown.len() * 2);
    html::push_html(&mut raw, parser);
    ammonia::Builder::default()
        .link_rel(Some("noopener noreferrer nofollow"))
        .url_schemes(["http", "https", "mailto"].into_iter().collect())
        .clean(&raw)
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formatting_and_links_survive() {
        let html =
            to_safe_html("We are **investigating** errors on [the API](https://example.com/api).");
        assert!(html.contains("<strong>investigating</strong>"));
        assert!(html.contains("href=\"https://example.com/api\""));
        assert!(html.contains("rel=\"noopener noreferrer nofollow\""));
    }

    #[test]
    fn scripts_and_handlers_never_survive() {
        for hostile in [
            "<script>alert(1)</script>",
            "<img src=x onerror=alert(1)>",
            "[click](javascript:alert(1))",
            "<a href=\"javascript:alert(1)\">x</a>",
            "<iframe src=\"https://evil.example\"></iframe>",
        ] {
            let html = to_safe_html(hostile);
            assert!(!html.contains("<script"), "{hostile} -> {html}");
            assert!(!html.contains("onerror"), "{hostile} -> {html}");
            assert!(!html.contains("javascript:"), "{hostile} -> {html}");
            assert!(!html.contains("<iframe"), "{hostile} -> {html}");
        }
    }
}
