//! The incident roles of the roles & communications worksheet, who is on the
//! roster for each (a main and a backup contact), and the rules of handing a
//! role over during an incident.
//!
//! These are *incident roles*: who does what while an incident runs. They are
//! not console permissions ([`crate::domain::role::Role`]): a Social Media
//! Lead may well sign in to the console as a viewer.

use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::email::EmailAddress;
use super::Invalid;

/// A role filled during an incident, with the duties the worksheet gives it.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum IncidentRole {
    MajorIncidentManager,
    CommunicationManagerInternal,
    CommunicationManagerExternal,
    CustomerSupportLead,
    SocialMediaLead,
    SecondLevelSupport,
    ThirdLevelSupport,
}

impl IncidentRole {
    pub const ALL: [IncidentRole; 7] = [
        IncidentRole::MajorIncidentManager,
        IncidentRole::CommunicationManagerInternal,
        IncidentRole::CommunicationManagerExternal,
        IncidentRole::CustomerSupportLead,
        IncidentRole::SocialMediaLead,
        IncidentRole::SecondLevelSupport,
        IncidentRole::ThirdLevelSupport,
    ];

    /// The key in URLs, JSON and the database.
    pub fn as_str(self) -> &'static str {
        match self {
            IncidentRole::MajorIncidentManager => "major_incident_manager",
            IncidentRole::CommunicationManagerInternal => "communication_manager_internal",
            IncidentRole::CommunicationManagerExternal => "communication_manager_external",
            IncidentRole::CustomerSupportLead => "customer_support_lead",
            IncidentRole::SocialMediaLead => "social_media_lead",
            IncidentRole::SecondLevelSupport => "second_level_support",
            IncidentRole::ThirdLevelSupport => "third_level_support",
        }
    }

    /// The name people use for it (the worksheet's).
    pub fn label(self) -> &'static str {
        match self {
            IncidentRole::MajorIncidentManager => "Major Incident Manager (MIM)",
            IncidentRole::CommunicationManagerInternal => "Communication Manager (internal)",
            IncidentRole::CommunicationManagerExternal => "Communication Manager (external)",
            IncidentRole::CustomerSupportLead => "Customer Support Lead",
            IncidentRole::SocialMediaLead => "Social Media Lead",
            IncidentRole::SecondLevelSupport => "Second-level support",
            IncidentRole::ThirdLevelSupport => "Third-level support",
        }
    }

    /// The core responsibilities, in the worksheet's words.
    pub fn duties(self) -> &'static [&'static str] {
        match self {
            IncidentRole::MajorIncidentManager => &[
                "Assess the severity (service and customer impact)",
                "Escalate to the appropriate people on-call",
                "Track changes, decisions, and fixes (and confirm final fix)",
                "Hold a post-incident review meeting",
                "Decide if a public post-mortem is needed",
            ],
            IncidentRole::CommunicationManagerInternal => &[
                "Determine the communication channels used for internal comms",
                "Send internal comms early and often throughout the duration of the incident",
                "Write post-mortem, if appropriate",
            ],
            IncidentRole::CommunicationManagerExternal => &[
                "Determine the communication channels used for external comms",
                "Draft external communications",
                "Send comms early and often throughout the duration of the incident",
                "Write post-mortem, if appropriate",
            ],
            IncidentRole::CustomerSupportLead => &[
                "Handle incoming support tickets, emails, phone calls, etc.",
                "Work with product, engineering, marketing, etc. to ensure accurate and consistent comms",
            ],
            IncidentRole::SocialMediaLead => {
                &["Work alongside support team to field questions on social media channels"]
            }
            IncidentRole::SecondLevelSupport => &[
                "Takes over immediately if the incident cannot be resolved by first-level support",
                "Involves third-party support from a hardware or software vendor, as needed",
            ],
            IncidentRole::ThirdLevelSupport => {
                &["Typically an outside form of support from a vendor or system expert"]
            }
        }
    }

    pub fn parse(value: &str) -> Result<Self, Invalid> {
        let value = value.trim();
        Self::ALL
            .into_iter()
            .find(|r| r.as_str() == value)
            .ok_or_else(|| {
                Invalid::new(format!(
                    "There is no incident role {value:?}: use one of {}.",
                    Self::ALL.map(IncidentRole::as_str).join(", ")
                ))
            })
    }
}

/// A phone number as people write it: digits with an optional leading `+`
/// and spaces, dots, dashes, slashes or brackets between them; 4 to 20 digits.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Phone(String);

impl Phone {
    pub fn parse(value: &str) -> Result<Phone, Invalid> {
        let value = value.trim();
        let bad = || {
            Invalid::new(format!(
                "{value:?} is not a phone number: write digits, optionally starting with + and a country code, like +33 1 23 45 67 89."
            ))
        };
        let body = value.strip_prefix('+').unwrap_or(value);
        if value.len() > 40
            || !body
                .chars()
                .all(|c| c.is_ascii_digit() || " .-/()".contains(c))
        {
            return Err(bad());
        }
        let digits = body.chars().filter(char::is_ascii_digit).count();
        if !(4..=20).contains(&digits) {
            return Err(bad());
        }
        Ok(Phone(value.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Which part of a contact a message is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContactPart {
    Name,
    Email,
    Phone,
}

impl ContactPart {
    /// The field name in JSON (`main.email`).
    pub fn key(self) -> &'static str {
        match self {
            ContactPart::Name => "name",
            ContactPart::Email => "email",
            ContactPart::Phone => "phone",
        }
    }
}

/// Why a contact was refused: the part to fix and what to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContactInvalid {
    pub part: ContactPart,
    pub message: String,
}

impl ContactInvalid {
    /// "Field `main.email`: …", for the API.
    pub fn in_field(&self, prefix: &str) -> Invalid {
        Invalid::new(format!(
            "Field `{prefix}.{}`: {}",
            self.part.key(),
            self.message
        ))
    }
}

/// The longest name accepted.
pub const MAX_NAME: usize = 200;

/// A person to call: a name, and an email address and/or phone number.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Contact {
    pub name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
}

impl Contact {
    /// Checks what a person typed; blank email or phone means none.
    pub fn parse(name: &str, email: &str, phone: &str) -> Result<Contact, ContactInvalid> {
        let name = name.trim();
        let invalid = |part, message: String| ContactInvalid { part, message };
        if name.is_empty() {
            return Err(invalid(
                ContactPart::Name,
                "enter the person's name.".into(),
            ));
        }
        if name.chars().count() > MAX_NAME || name.chars().any(char::is_control) {
            return Err(invalid(
                ContactPart::Name,
                format!("write the name on one line, at most {MAX_NAME} characters."),
            ));
        }
        let email = match email.trim() {
            "" => None,
            value => Some(
                EmailAddress::parse(value)
                    .map_err(|e| invalid(ContactPart::Email, e.0))?
                    .as_str()
                    .to_string(),
            ),
        };
        let phone = match phone.trim() {
            "" => None,
            value => Some(
                Phone::parse(value)
                    .map_err(|e| invalid(ContactPart::Phone, e.0))?
                    .as_str()
                    .to_string(),
            ),
        };
        Ok(Contact {
            name: name.to_string(),
            email,
            phone,
        })
    }

    /// The same person: same name (ignoring case) and same email address.
    pub fn same_person(&self, other: &Contact) -> bool {
        self.name.to_lowercase() == other.name.to_lowercase() && self.email == other.email
    }

    /// "Ana Lima (ana@example.com, +33 1 23 45 67 89)".
    pub fn describe(&self) -> String {
        let details: Vec<&str> = [self.email.as_deref(), self.phone.as_deref()]
            .into_iter()
            .flatten()
            .collect();
        if details.is_empty() {
            self.name.clone()
        } else {
            format!("{} ({})", self.name, details.join(", "))
        }
    }
}

/// The longest handover note accepted.
pub const MAX_NOTE: usize = 2000;

/// Checks a handover note; blank means none.
pub fn parse_note(note: &str) -> Result<Option<String>, Invalid> {
    let note = note.trim();
    if note.chars().count() > MAX_NOTE {
        return Err(Invalid::new(format!(
            "The note is too long: keep it under {MAX_NOTE} characters."
        )));
    }
    Ok(Some(note.to_string()).filter(|n| !n.is_empty()))
}

/// Who holds a role of an incident right now, since when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CurrentHolder<'a> {
    pub holder: &'a Contact,
    pub since: NaiveDateTime,
}

/// What a handover does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Handover {
    /// Nobody held the role: the new holder simply takes it.
    Take,
    /// The current holding ends at the handover time, closed by whoever
    /// hands over; the new one starts then.
    HandOver,
}

/// The rules of handing a role over: one person holds a role at a time, so
/// taking it ends the current holding; handing it to the person already
/// holding it is refused (nothing would change); a handover cannot come
/// before the current holding began, nor lie in the future.
pub fn check_handover(
    role: IncidentRole,
    current: Option<CurrentHolder<'_>>,
    next: &Contact,
    at: NaiveDateTime,
    now: NaiveDateTime,
) -> Result<Handover, Invalid> {
    if at > now + chrono::Duration::minutes(1) {
        return Err(Invalid::new(
            "A handover cannot be in the future: leave the time empty for now, or give a time that has passed.",
        ));
    }
    let Some(current) = current else {
        return Ok(Handover::Take);
    };
    if current.holder.same_person(next) {
        return Err(Invalid::new(format!(
            "{} already holds the role {}: choose someone else to hand it over to.",
            current.holder.name,
            role.label()
        )));
    }
    if at < current.since {
        return Err(Invalid::new(format!(
            "The handover time is before {} took the role {}: give a later time.",
            current.holder.name,
            role.label()
        )));
    }
    Ok(Handover::HandOver)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap()
    }

    fn ana() -> Contact {
        Contact::parse("Ana Lima", "ana@example.com", "+33 1 23 45 67 89").unwrap()
    }

    #[test]
    fn every_role_has_a_key_a_label_and_duties_and_round_trips() {
        let keys: std::collections::BTreeSet<_> =
            IncidentRole::ALL.iter().map(|r| r.as_str()).collect();
        assert_eq!(keys.len(), 7);
        for role in IncidentRole::ALL {
            assert_eq!(IncidentRole::parse(role.as_str()), Ok(role));
            assert!(!role.duties().is_empty());
            assert_eq!(
                serde_json::to_string(&role).unwrap(),
                format!("\"{}\"", role.as_str())
            );
        }
        let err = IncidentRole::parse("admin").unwrap_err();
        assert!(err.0.contains("major_incident_manager"), "{}", err.0);
    }

    #[test]
    fn a_contact_needs_a_name_and_valid_optional_details() {
        assert_eq!(ana().email.as_deref(), Some("ana@example.com"));
        let bare = Contact::parse(" Bo ", "", " ").unwrap();
        assert_eq!(
            (bare.name.as_str(), bare.email, bare.phone),
            ("Bo", None, None)
        );
        assert_eq!(
            Contact::parse("  ", "a@b.co", "").unwrap_err().part,
            ContactPart::Name
        );
        let email = Contact::parse("Bo", "not-an-address", "").unwrap_err();
        assert_eq!(email.part, ContactPart::Email);
        assert!(email
            .in_field("backup")
            .0
            .starts_with("Field `backup.email`: "));
        assert_eq!(
            Contact::parse("Bo", "", "call me").unwrap_err().part,
            ContactPart::Phone
        );
        assert_eq!(
            Contact::parse("Bo", "", "12").unwrap_err().part,
            ContactPart::Phone
        );
        assert!(Contact::parse("Bo", "", "(555) 010-9999").is_ok());
        assert!(Contact::parse(&"x".repeat(201), "", "").is_err());
    }

    #[test]
    fn the_first_holder_takes_the_role() {
        let outcome = check_handover(
            IncidentRole::MajorIncidentManager,
            None,
            &ana(),
            at("2026-11-23 10:00"),
            at("2026-11-23 10:00"),
        );
        assert_eq!(outcome, Ok(Handover::Take));
    }

    #[test]
    fn handing_over_to_someone_else_closes_the_current_holding() {
        let bo = Contact::parse("Bo", "bo@example.com", "").unwrap();
        let holder = ana();
        let current = CurrentHolder {
            holder: &holder,
            since: at("2026-11-23 10:00"),
        };
        assert_eq!(
            check_handover(
                IncidentRole::SocialMediaLead,
                Some(current.clone()),
                &bo,
                at("2026-11-23 11:00"),
                at("2026-11-23 11:00"),
            ),
            Ok(Handover::HandOver)
        );
        let again = Contact::parse("ana lima", "ANA@example.com", "").unwrap();
        let err = check_handover(
            IncidentRole::SocialMediaLead,
            Some(current.clone()),
            &again,
            at("2026-11-23 11:00"),
            at("2026-11-23 11:00"),
        )
        .unwrap_err();
        assert!(
            err.0.contains("already holds the role Social Media Lead"),
            "{}",
            err.0
        );
        let early = check_handover(
            IncidentRole::SocialMediaLead,
            Some(current),
            &bo,
            at("2026-11-23 09:00"),
            at("2026-11-23 11:00"),
        )
        .unwrap_err();
        assert!(
            early.0.contains("before Ana Lima took the role"),
            "{}",
            early.0
        );
    }

    #[test]
    fn a_handover_cannot_be_in_the_future() {
        let err = check_handover(
            IncidentRole::ThirdLevelSupport,
            None,
            &ana(),
            at("2026-11-23 12:00"),
            at("2026-11-23 11:00"),
        )
        .unwrap_err();
        assert!(err.0.contains("future"));
    }

    #[test]
    fn notes_are_trimmed_and_bounded() {
        assert_eq!(parse_note("  "), Ok(None));
        assert_eq!(parse_note(" shift end "), Ok(Some("shift end".into())));
        assert!(parse_note(&"x".repeat(MAX_NOTE + 1)).is_err());
    }
}
