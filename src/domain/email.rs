//! Email addresses as people type them.

use super::Invalid;

/// An address that looks deliverable: one `@`, a local part, a dotted domain,
/// no spaces, at most 254 characters. Stored lower-cased.
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
        ] {
            let err = EmailAddress::parse(bad).unwrap_err();
            assert!(err.0.contains("example.com"), "{bad}: {}", err.0);
        }
    }
}
