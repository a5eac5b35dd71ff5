//! Short texts people type: names and descriptions.

use super::Invalid;

/// A display name (component, group): trimmed, 1 to 100 characters, no control characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Name(String);

impl Name {
    pub const MAX: usize = 100;

    pub fn parse(what: &str, value: &str) -> Result<Self, Invalid> {
        let value = value.trim();
        if value.is_empty() {
            return Err(Invalid::new(format!("Give the {what} a name.")));
        }
        let length = value.chars().count();
        if length > Self::MAX {
            return Err(Invalid::new(format!(
                "The {what} name is {length} characters long; keep it to {} or fewer.",
                Self::MAX
            )));
        }
        if value.chars().any(char::is_control) {
            return Err(Invalid::new(format!(
                "The {what} name contains control characters (such as a line break); remove them."
            )));
        }
        Ok(Name(value.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

/// A free-text description of at most 1,000 characters; may be empty.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Description(String);

impl Description {
    pub const MAX: usize = 1000;

    pub fn parse(what: &str, value: &str) -> Result<Self, Invalid> {
        let value = value.trim();
        let length = value.chars().count();
        if length > Self::MAX {
            return Err(Invalid::new(format!(
                "The {what} description is {length} characters long; keep it to {} or fewer.",
                Self::MAX
            )));
        }
        Ok(Description(value.to_string()))
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

/// A position in a list: 0 to 10,000.
pub fn parse_position(value: i64) -> Result<i32, Invalid> {
    i32::try_from(value)
        .ok()
        .filter(|p| (0..=10_000).contains(p))
        .ok_or_else(|| {
            Invalid::new(format!(
                "Position {value} is out of range: use a number from 0 to 10000."
            ))
        })
}

/// A password for a staff account: at least 10 characters, at most 1,024.
pub fn check_password(password: &str) -> Result<(), Invalid> {
    let length = password.chars().count();
    if length < 10 {
        return Err(Invalid::new(
            "The password is too short: use at least 10 characters.",
        ));
    }
    if length > 1024 {
        return Err(Invalid::new(
            "The password is too long: use at most 1024 characters.",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(Name::parse("component", "  API ").unwrap().as_str(), "API");
        assert!(Name::parse("component", "   ")
            .unwrap_err()
            .0
            .contains("Give the component a name"));
        let long = "x".repeat(101);
        assert!(Name::parse("group", &long)
            .unwrap_err()
            .0
            .contains("101 characters"));
        assert!(Name::parse("group", "a\nb").is_err());
        assert!(Name::parse("group", &"é".repeat(100)).is_ok());
    }

    #[test]
    fn positions_stay_in_range() {
        assert_eq!(parse_position(3), Ok(3));
        assert!(parse_position(-1).is_err());
        assert!(parse_position(10_001).is_err());
    }

    #[test]
    fn short_passwords_are_refused() {
        assert!(check_password("short").is_err());
        assert!(check_password("long enough pass").is_ok());
    }
}
