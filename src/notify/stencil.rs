//! Stencils: one notification's email, rendered and MIME-encoded once per
//! batch with holes where each recipient's values go (address, Message-ID,
//! confirm / manage / unsubscribe links). Filling a stencil copies bytes and
//! encodes the few values; rendering the templates, quoted-printable
//! encoding the bodies and formatting the headers happen once for every
//! recipient of the batch instead of once each.
//!
//! How it is built: the templates are rendered with placeholders (random per
//! stencil) for the personal values, lettre formats the headers around
//! placeholder bodies, and each body is quoted-printable encoded here with a
//! soft line break before and after every hole. A hole therefore always
//! starts a line, and its value is encoded when it is filled (HTML-escaped
//! first in the HTML body, as the template's `{{value}}` does), so line
//! lengths and escapes stay right whatever its length. No line of a stencil
//! starts with a dot (a leading `.` is written `=2E`), so the message needs
//! no dot-stuffing.
//!
//! A placeholder stands for every recipient only where a template shows the
//! value as it is. A kind whose (override) templates use a personal value in
//! an expression (a helper's argument, a condition) gets no stencil: that is
//! found when the templates load ([`EmailTemplates::stencils`]). A personal
//! value in the subject is refused here. As a last check, the worker
//! compares each stencil with a full rendering for its first recipient and
//! renders each email in full when they differ.

use anyhow::{bail, Context};
use lettre::message::header::{ContentTransferEncoding, ContentType, HeaderName, HeaderValue};
use lettre::message::{Body, Mailbox, MultiPart, SinglePart};
use lettre::Message;
use serde_json::{Map, Value};

use super::email::{EmailTemplates, RenderedEmail};
use super::links::Links;
use crate::db::models::outbox::NotificationKind;

/// A value that differs per recipient.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Slot {
    Recipient,
    MessageId,
    ConfirmUrl,
    ManageUrl,
    UnsubscribeUrl,
    /// Where lettre's placeholder text body goes.
    TextBody,
    /// Where lettre's placeholder HTML body goes.
    HtmlBody,
}

impl Slot {
    const ALL: [Slot; 7] = [
        Slot::Recipient,
        Slot::MessageId,
        Slot::ConfirmUrl,
        Slot::ManageUrl,
        Slot::UnsubscribeUrl,
        Slot::TextBody,
        Slot::HtmlBody,
    ];

    fn code(self) -> char {
        match self {
            Slot::Recipient => 'r',
            Slot::MessageId => 'm',
            Slot::ConfirmUrl => 'c',
            Slot::ManageUrl => 'g',
            Slot::UnsubscribeUrl => 'u',
            Slot::TextBody => 't',
            Slot::HtmlBody => 'h',
        }
    }

    /// The template variable it fills, if any.
    fn variable(self) -> Option<&'static str> {
        match self {
            Slot::Recipient => Some("recipient"),
            Slot::ConfirmUrl => Some("confirm_url"),
            Slot::ManageUrl => Some("manage_url"),
            Slot::UnsubscribeUrl => Some("unsubscribe_url"),
            Slot::MessageId | Slot::TextBody | Slot::HtmlBody => None,
        }
    }

    /// Slots written as addresses get a domain, so that lettre takes them.
    fn is_address(self) -> bool {
        matches!(self, Slot::Recipient | Slot::MessageId)
    }
}

/// How a hole's value is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fill {
    /// As it is (headers).
    AsIs,
    /// Quoted-printable, on lines of its own (the text body).
    QuotedPrintable,
    /// HTML-escaped, then quoted-printable (the HTML body).
    HtmlQuotedPrintable,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Piece {
    Bytes(Vec<u8>),
    /// A value, and whether a line break follows it in the template (a
    /// quoted-printable value is otherwise ended by a soft break).
    Hole(Slot, Fill, bool),
}

/// A rendered body cut at the personal values.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    Text(String),
    Value(Slot),
}

/// One recipient's values.
pub struct Values<'a> {
    pub recipient: &'a str,
    /// With its angle brackets.
    pub message_id: &'a str,
    pub links: Option<&'a Links>,
}

impl Values<'_> {
    fn get(&self, slot: Slot) -> &str {
        let link = |pick: fn(&Links) -> &str| self.links.map(pick).unwrap_or_default();
        match slot {
            Slot::Recipient => self.recipient,
            Slot::MessageId => self
                .message_id
                .trim_start_matches('<')
                .trim_end_matches('>'),
            Slot::ConfirmUrl => link(|l| &l.confirm_url),
            Slot::ManageUrl => link(|l| &l.manage_url),
            Slot::UnsubscribeUrl => link(|l| &l.unsubscribe_url),
            Slot::TextBody | Slot::HtmlBody => "",
        }
    }
}

/// One notification's email with holes for each recipient's values.
#[derive(Debug)]
pub struct Stencil {
    pieces: Vec<Piece>,
    subject: String,
    text: Vec<Segment>,
    html: Vec<Segment>,
    /// Bytes of the message without its values, to size the buffer.
    fixed_len: usize,
}

impl Stencil {
    /// Renders `kind` with `data` (what every recipient shares), placeholders
    /// for the recipient and, `with_links`, for the subscriber links; the
    /// message is from `from`, with `List-Unsubscribe` headers when
    /// `list_unsubscribe`.
    pub fn new(
        templates: &EmailTemplates,
        kind: NotificationKind,
        mut data: Map<String, Value>,
        with_links: bool,
        list_unsubscribe: bool,
        from: &Mailbox,
    ) -> anyhow::Result<Stencil> {
        if !templates.stencils(kind) {
            bail!(
                "a template of the {} email uses a personal value in an expression",
                kind.as_str()
            );
        }
        // Lowercase hex: unchanged by HTML escaping and quoted-printable.
        let prefix = format!(
            "sitrepslot{}",
            &crate::domain::token::random_secret("")[..16]
        );
        let placeholder = |slot: Slot| {
            if slot.is_address() {
                format!("{prefix}{}@stencil.invalid", slot.code())
            } else {
                format!("{prefix}{}", slot.code())
            }
        };
        for slot in Slot::ALL {
            let personal_link = !matches!(slot, Slot::Recipient);
            if let Some(name) = slot.variable().filter(|_| with_links || !personal_link) {
                data.insert(name.into(), placeholder(slot).into());
            }
        }
        let rendered = templates.render_value(kind, Value::Object(data))?;
        if rendered.subject.contains(&prefix) {
            bail!(
                "the subject of the {} email shows a personal value",
                kind.as_str()
            );
        }
        let text = segments(&rendered.text, &prefix);
        let html = segments(&rendered.html, &prefix);

        // The headers, as lettre writes them, around placeholder bodies.
        let body = |slot: Slot, content_type: ContentType| {
            SinglePart::builder()
                .header(content_type)
                .body(Body::dangerous_pre_encoded(
                    placeholder(slot).into_bytes(),
                    ContentTransferEncoding::QuotedPrintable,
                ))
        };
        let mut builder = Message::builder();
        if list_unsubscribe {
            for (name, value) in [
                (
                    "List-Unsubscribe",
                    format!("<{}>", placeholder(Slot::UnsubscribeUrl)),
                ),
                (
                    "List-Unsubscribe-Post",
                    "List-Unsubscribe=One-Click".to_string(),
                ),
            ] {
                builder = builder.raw_header(HeaderValue::new(
                    HeaderName::new_from_ascii_str(name),
                    value,
                ));
            }
        }
        let message = builder
            .from(from.clone())
            .to(placeholder(Slot::Recipient)
                .parse()
                .context("the placeholder address")?)
            .subject(rendered.subject.clone())
            .message_id(Some(format!("<{}>", placeholder(Slot::MessageId))))
            .multipart(
                MultiPart::alternative()
                    .singlepart(body(Slot::TextBody, ContentType::TEXT_PLAIN))
                    .singlepart(body(Slot::HtmlBody, ContentType::TEXT_HTML)),
            )
            .context("building the message")?;
        let formatted =
            String::from_utf8(message.formatted()).context("the message is not UTF-8")?;

        let mut pieces = Vec::new();
        for segment in segments(&formatted, &prefix) {
            match segment {
                Segment::Text(bytes) => push_bytes(&mut pieces, bytes.as_bytes()),
                Segment::Value(Slot::TextBody) => {
                    encode_body(&mut pieces, &text, Fill::QuotedPrintable)
                }
                Segment::Value(Slot::HtmlBody) => {
                    encode_body(&mut pieces, &html, Fill::HtmlQuotedPrintable)
                }
                Segment::Value(slot) => pieces.push(Piece::Hole(slot, Fill::AsIs, false)),
            }
        }
        let fixed_len = pieces
            .iter()
            .map(|piece| match piece {
                Piece::Bytes(bytes) => bytes.len(),
                Piece::Hole(..) => 0,
            })
            .sum();
        Ok(Stencil {
            pieces,
            subject: rendered.subject,
            text,
            html,
            fixed_len,
        })
    }

    /// The message for one recipient: RFC 5322 bytes, ASCII, with no line
    /// starting with a dot.
    pub fn fill(&self, values: &Values<'_>) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.fixed_len + 1024);
        for piece in &self.pieces {
            match piece {
                Piece::Bytes(bytes) => out.extend_from_slice(bytes),
                Piece::Hole(slot, Fill::AsIs, _) => {
                    out.extend_from_slice(values.get(*slot).as_bytes())
                }
                Piece::Hole(slot, Fill::QuotedPrintable, line_end) => {
                    encode_value(&mut out, values.get(*slot), *line_end)
                }
                Piece::Hole(slot, Fill::HtmlQuotedPrintable, line_end) => encode_value(
                    &mut out,
                    &handlebars::html_escape(values.get(*slot)),
                    *line_end,
                ),
            }
        }
        out
    }

    /// The subject and bodies as the recipient reads them (what a full
    /// rendering for them must equal).
    pub fn rendered_for(&self, values: &Values<'_>) -> RenderedEmail {
        let join = |segments: &[Segment], escape: bool| {
            let mut out = String::new();
            for segment in segments {
                match segment {
                    Segment::Text(text) => out.push_str(text),
                    Segment::Value(slot) if escape => {
                        out.push_str(&handlebars::html_escape(values.get(*slot)))
                    }
                    Segment::Value(slot) => out.push_str(values.get(*slot)),
                }
            }
            out
        };
        RenderedEmail {
            subject: self.subject.clone(),
            text: join(&self.text, false),
            html: join(&self.html, true),
        }
    }
}

/// Whether `address` reads the same in a `To:` header as in the envelope
/// (a plain ASCII addr-spec: no quoting, no encoding).
pub fn fits(address: &str) -> bool {
    address
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-/=?^_`{|}~.@".contains(&b))
        && address.bytes().filter(|&b| b == b'@').count() == 1
}

/// `text` cut where a placeholder starting with `prefix` stands.
fn segments(text: &str, prefix: &str) -> Vec<Segment> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(at) = rest.find(prefix) {
        let after = &rest[at + prefix.len()..];
        let found = after.chars().next().and_then(|code| {
            let slot = Slot::ALL.into_iter().find(|s| s.code() == code)?;
            let suffix = if slot.is_address() {
                "@stencil.invalid"
            } else {
                ""
            };
            after[1..]
                .starts_with(suffix)
                .then_some((slot, 1 + suffix.len()))
        });
        let Some((slot, len)) = found else {
            // Not one of ours: keep it as text.
            out.push(Segment::Text(rest[..at + prefix.len()].to_string()));
            rest = after;
            continue;
        };
        if at > 0 {
            out.push(Segment::Text(rest[..at].to_string()));
        }
        out.push(Segment::Value(slot));
        rest = &after[len..];
    }
    if !rest.is_empty() {
        out.push(Segment::Text(rest.to_string()));
    }
    // Adjacent texts (after an unknown placeholder) become one.
    out.dedup_by(|next, previous| match (previous, next) {
        (Segment::Text(previous), Segment::Text(next)) => {
            previous.push_str(next);
            true
        }
        _ => false,
    });
    out
}

fn push_bytes(pieces: &mut Vec<Piece>, bytes: &[u8]) {
    if let Some(Piece::Bytes(last)) = pieces.last_mut() {
        last.extend_from_slice(bytes);
    } else if !bytes.is_empty() {
        pieces.push(Piece::Bytes(bytes.to_vec()));
    }
}

/// Longest encoded line before its soft break `=` (RFC 2045: 76 with it).
const LINE: usize = 75;
const SOFT_BREAK: &[u8] = b"=\r\n";

/// A body's segments, quoted-printable: the text now, holes for the values
/// (each on lines of its own, see [`encode_value`]).
fn encode_body(pieces: &mut Vec<Piece>, segments: &[Segment], fill: Fill) {
    let mut column = 0;
    let mut out = Vec::new();
    for (at, segment) in segments.iter().enumerate() {
        match segment {
            Segment::Text(text) => {
                let last = at + 1 == segments.len();
                encode_text(&mut out, text, &mut column, last)
            }
            Segment::Value(slot) => {
                if column > 0 {
                    out.extend_from_slice(SOFT_BREAK);
                    column = 0;
                }
                push_bytes(pieces, &out);
                out.clear();
                let line_end = match segments.get(at + 1) {
                    None => true,
                    Some(Segment::Text(next)) => next.starts_with('\n') || next.starts_with("\r\n"),
                    Some(Segment::Value(_)) => false,
                };
                pieces.push(Piece::Hole(*slot, fill, line_end));
            }
        }
    }
    push_bytes(pieces, &out);
}

/// A value on lines of its own: ended by a soft break so that what follows
/// starts a line, unless a line break follows it anyway (`line_end`).
fn encode_value(out: &mut Vec<u8>, value: &str, line_end: bool) {
    let mut column = 0;
    encode_text(out, value, &mut column, line_end);
    if !line_end {
        out.extend_from_slice(SOFT_BREAK);
    }
}

/// Quoted-printable (RFC 2045 section 6.7) of `text`, whose lines end in
/// `\n` or `\r\n`, from `column` on; CRLF line ends, soft breaks keep lines
/// to 76 characters, and a dot starting a line is encoded. `ends_line`: the
/// end of `text` ends a line (rather than a soft break following it).
fn encode_text(out: &mut Vec<u8>, text: &str, column: &mut usize, ends_line: bool) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let byte = bytes[i];
        let line_end = match byte {
            b'\n' => 1,
            b'\r' if bytes.get(i + 1) == Some(&b'\n') => 2,
            _ => 0,
        };
        if line_end > 0 {
            out.extend_from_slice(b"\r\n");
            *column = 0;
            i += line_end;
            continue;
        }
        // Whitespace is literal only when something printable follows it
        // on the line (trailing whitespace may be stripped in transit).
        let before_line_end = match bytes.get(i + 1) {
            None => ends_line,
            Some(next) => matches!(next, b'\n' | b'\r'),
        };
        let mut literal = match byte {
            b' ' | b'\t' => !before_line_end,
            b'=' => false,
            33..=126 => true,
            _ => false,
        };
        let width = if literal { 1 } else { 3 };
        if *column + width > LINE {
            out.extend_from_slice(SOFT_BREAK);
            *column = 0;
        }
        if byte == b'.' && *column == 0 {
            literal = false;
        }
        if literal {
            out.push(byte);
            *column += 1;
        } else {
            out.extend_from_slice(&[b'=', HEX[(byte >> 4) as usize], HEX[(byte & 15) as usize]]);
            *column += 3;
        }
        i += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Decoded by an independent MIME parser.
    fn decode(encoded: &[u8]) -> Vec<u8> {
        let mut message =
            b"Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n"
                .to_vec();
        message.extend_from_slice(encoded);
        mailparse::parse_mail(&message)
            .unwrap()
            .get_body_raw()
            .unwrap()
    }

    fn encoded(text: &str) -> String {
        let mut out = Vec::new();
        encode_text(&mut out, text, &mut 0, true);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn quoted_printable_round_trips_and_keeps_lines_short() {
        let long = "Zürich — 東京 ☃ = a.b ".repeat(40);
        for text in [
            "plain",
            "a = b\n.dot at start\n",
            "trailing space \nand tab\t\n",
            "ends with space ",
            long.as_str(),
            "crlf\r\nlines\r\n",
            ".",
            "x\r",
        ] {
            let out = encoded(text);
            assert_eq!(
                String::from_utf8(decode(out.as_bytes())).unwrap(),
                text.replace("\r\n", "\n").replace('\n', "\r\n"),
                "{text:?}"
            );
            for line in out.split("\r\n") {
                assert!(line.len() <= 76, "{line:?}");
                assert!(!line.starts_with('.'), "{line:?}");
                assert!(!line.ends_with(' ') && !line.ends_with('\t'), "{line:?}");
            }
        }
        assert_eq!(encoded("a=b"), "a=3Db");
        assert_eq!(encoded(".x"), "=2Ex");
    }

    #[test]
    fn segments_cut_at_placeholders_and_keep_unknown_ones() {
        let p = "sitrepslotabc";
        assert_eq!(
            segments(&format!("a {p}u b {p}r@stencil.invalid{p}z"), p),
            vec![
                Segment::Text("a ".into()),
                Segment::Value(Slot::UnsubscribeUrl),
                Segment::Text(" b ".into()),
                Segment::Value(Slot::Recipient),
                Segment::Text(format!("{p}z")),
            ]
        );
    }

    #[test]
    fn only_plain_addresses_fit() {
        assert!(fits("o'brien+x=y@example.com"));
        assert!(!fits("\"john doe\"@example.com"));
        assert!(!fits("zoë@example.com"));
        assert!(!fits("a@b@c"));
    }
}
