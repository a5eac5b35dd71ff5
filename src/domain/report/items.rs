//! Post-incident action items: priority, status, the checked input.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::domain::Invalid;

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum ItemPriority {
    High,
    Medium,
    Low,
}

impl ItemPriority {
    pub const ALL: [ItemPriority; 3] =
        [ItemPriority::High, ItemPriority::Medium, ItemPriority::Low];

    pub fn as_str(self) -> &'static str {
        match self {
            ItemPriority::High => "high",
            ItemPriority::Medium => "medium",
            ItemPriority::Low => "low",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            ItemPriority::High => "High",
            ItemPriority::Medium => "Medium",
            ItemPriority::Low => "Low",
        }
    }

    pub fn parse(value: &str) -> Result<Self, Invalid> {
        Self::ALL
            .into_iter()
            .find(|p| p.as_str() == value.trim().to_lowercase())
            .ok_or_else(|| {
                Invalid::new(format!(
                    "Field `priority`: {value:?} is not a priority; use high, medium or low."
                ))
            })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ItemStatus {
    Open,
    InProgress,
    Done,
    WontDo,
}

impl ItemStatus {
    pub const ALL: [ItemStatus; 4] = [
        ItemStatus::Open,
        ItemStatus::InProgress,
        ItemStatus::Done,
        ItemStatus::WontDo,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ItemStatus::Open => "open",
            ItemStatus::InProgress => "in_progress",
            ItemStatus::Done => "done",
            ItemStatus::WontDo => "wont_do",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            ItemStatus::Open => "Open",
            ItemStatus::InProgress => "In progress",
            ItemStatus::Done => "Done",
            ItemStatus::WontDo => "Won’t do",
        }
    }

    /// Done and won't-do items need nothing more.
    pub fn is_closed(self) -> bool {
        matches!(self, ItemStatus::Done | ItemStatus::WontDo)
    }

    pub fn parse(value: &str) -> Result<Self, Invalid> {
        Self::ALL
            .into_iter()
            .find(|s| s.as_str() == value.trim().to_lowercase())
            .ok_or_else(|| {
                Invalid::new(format!(
                    "Field `status`: {value:?} is not an action item status; use open, in_progress, done or wont_do."
                ))
            })
    }
}

/// A post-incident action item as typed, checked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActionItemInput {
    pub action: String,
    pub responsibility: String,
    pub priority: ItemPriority,
    pub due_on: Option<NaiveDate>,
    pub status: ItemStatus,
}

/// Checks an action item's text fields; the error names the field.
pub fn action_item(
    action: &str,
    responsibility: &str,
    priority: ItemPriority,
    due_on: Option<NaiveDate>,
    status: ItemStatus,
) -> Result<ActionItemInput, Invalid> {
    let action = action.trim();
    if action.is_empty() {
        return Err(Invalid::new(
            "Field `action`: say what has to be done (the action item).",
        ));
    }
    if action.chars().count() > 1_000 {
        return Err(Invalid::new(
            "Field `action`: keep the action under 1000 characters.",
        ));
    }
    let responsibility = responsibility.trim();
    if responsibility.chars().count() > 200 {
        return Err(Invalid::new(
            "Field `responsibility`: keep it under 200 characters (a name or a team).",
        ));
    }
    Ok(ActionItemInput {
        action: action.into(),
        responsibility: responsibility.into(),
        priority,
        due_on,
        status,
    })
}

/// Parses a due date typed as `YYYY-MM-DD`; empty means none.
pub fn parse_due(value: &str) -> Result<Option<NaiveDate>, Invalid> {
    let value = value.trim();
    if value.is_empty() {
        return Ok(None);
    }
    NaiveDate::parse_from_str(value, "%Y-%m-%d")
        .map(Some)
        .map_err(|_| {
            Invalid::new(format!(
                "Field `due_on`: {value:?} is not a date; use YYYY-MM-DD, for example 2026-12-31."
            ))
        })
}
