//! Email addresses as people type them.

use std::str::FromStr;

use super::Invalid;

/// The symbols RFC 5322 allows in an unquoted local part besides letters,
/// digits and dots.
const ATEXT_SYMBOLS: &str = "!#$%&'*+-/=?^_`{|}~";

/// A local part as mail systems take it unquoted (RFC 5322 `dot-atom`, and
/// RFC 6531 letters beyond ASCII): no quotes, spaces, angle brackets,
/// parentheses, commas or control characters; no leading, trailing or
/// doubled dot.
fn dot_atom(local: &str) -> bool {
    !local.starts_with('.')
        && !local.ends_with('.')
        && !local.contains("..")
        && local
            .chars()
            .all(|c| c.is_alphanumeric() || c == '.' || ATEXT_SYMBOLS.contains(c))
}

/// An address that looks deliverable: one `@`, an unquoted local part, a
/// dotted domain, no spaces, at most 254 characters, and one that lettre
/// (which sends the mail) parses. Stored lower-cased.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmailAddress(String);

impl EmailAddress {
    pub fn parse(value: &str) -> Result<Self, Invalid> {
        let value = value.trim();
        let bad = || {
            Invalid::new(format!(
                "{value:?} is not an email address: write it like name@example.com."
            ))
        };
        if value.is_empty() {
            return Err(Invalid::new(
                "Enter an email address, like name@example.com.",
            ));
        }
        if value.len() > 254 || value.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(bad());
        }
        let (local, domain) = value.rsplit_once('@').ok_or_else(bad)?;
        let domain_ok = domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !domain.contains("..")
            && domain
                .chars()
                .all(|c| c.is_alphanumeric() || c == '-' || c == '.');
        if local.is_empty() || local.len() > 64 || local.contains('@') || !domain_ok {
            return Err(bad());
        }
        if !dot_atom(local) {
            return Err(Invalid::new(format!(
                "{value:?} is not an email address: the part before the @ may hold letters, digits, dots and {ATEXT_SYMBOLS} only (no quotes, spaces or angle brackets). Write it like name@example.com."
            )));
        }
        // What the mail sender will parse it with must accept it too.
        if lettre::Address::from_str(value).is_err() {
            return Err(bad());
        }
        Ok(EmailAddress(value.to_lowercase()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ordinary_addresses_are_accepted_and_lower_cased() {
        assert_eq!(
            EmailAddress::parse(" Ana@Example.COM ").unwrap().as_str(),
            "ana@example.com"
        );
        assert!(EmailAddress::parse("ops+status@mail.example.co.uk").is_ok());
        for fine in [
            "o'brien@example.com",
            "first.last@example.com",
            "a_b-c=d@example.com",
            "josé@example.com",
        ] {
            assert!(EmailAddress::parse(fine).is_ok(), "{fine}");
        }
    }

    #[test]
    fn malformed_addresses_are_rejected_with_an_example() {
        for bad in [
            "",
            "ana",
            "ana@",
            "@example.com",
            "ana@example",
            "a b@example.com",
            "a@b@c.com",
            "ana@exa..mple.com",
            "x+<img>@example.com",
            "o\"b<x>@example.com",
            "\"quoted\"@example.com",
            "a(comment)@example.com",
            "a,b@example.com",
            ".ana@example.com",
            "ana.@example.com",
            "an..a@example.com",
            "ana\u{7}@example.com",
        ] {
            let err = EmailAddress::parse(bad).unwrap_err();
            assert!(err.0.contains("example.com"), "{bad}: {}", err.0);
        }
    }
}
