//! Promised-update adherence: did the next external update come by the time
//! the previous one promised?

use std::iter::Sum;
use std::ops::Add;

use chrono::NaiveDateTime;

use super::facts::ExternalUpdate;

/// How the "next update by" promises of external updates turned out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PromiseAdherence {
    /// The next external update (or the resolution) came at or before the promise.
    pub kept: usize,
    /// It came later, or has still not come and the promised time has passed.
    pub broken: usize,
    /// Not yet due: the incident is open and the promised time is still ahead.
    pub open: usize,
}

impl PromiseAdherence {
    /// Judges each promise of `updates` (in any order) against the update
    /// shown next; the last promise against the resolution, or against `now`
    /// while the incident is open.
    pub fn of(
        updates: &[ExternalUpdate],
        resolved_at: Option<NaiveDateTime>,
        now: NaiveDateTime,
    ) -> PromiseAdherence {
        let mut sorted = updates.to_vec();
        sorted.sort_by_key(|u| u.display_at);
        let mut adherence = PromiseAdherence::default();
        for (i, update) in sorted.iter().enumerate() {
            let Some(promised) = update.next_update_by else {
                continue;
            };
            let answered = sorted
                .get(i + 1)
                .map(|next| next.display_at)
                .or(resolved_at);
            match answered {
                Some(at) if at <= promised => adherence.kept += 1,
                Some(_) => adherence.broken += 1,
                None if now > promised => adherence.broken += 1,
                None => adherence.open += 1,
            }
        }
        adherence
    }

    /// Promises already kept or broken.
    pub fn decided(&self) -> usize {
        self.kept + self.broken
    }

    /// The share of decided promises that were kept, 0.0–1.0; `None` when no
    /// promise has been decided yet.
    pub fn share_kept(&self) -> Option<f64> {
        let decided = self.decided();
        (decided > 0).then(|| self.kept as f64 / decided as f64)
    }
}

impl Add for PromiseAdherence {
    type Output = PromiseAdherence;

    fn add(self, other: PromiseAdherence) -> PromiseAdherence {
        PromiseAdherence {
            kept: self.kept + other.kept,
            broken: self.broken + other.broken,
            open: self.open + other.open,
        }
    }
}

impl Sum for PromiseAdherence {
    fn sum<I: Iterator<Item = PromiseAdherence>>(iter: I) -> PromiseAdherence {
        iter.fold(PromiseAdherence::default(), Add::add)
    }
}

#[cfg(test)]
mod tests {
    use super::super::facts::tests::{at, update};
    use super::*;

    fn judge(updates: &[ExternalUpdate], resolved: Option<&str>, now: &str) -> PromiseAdherence {
        PromiseAdherence::of(updates, resolved.map(at), at(now))
    }

    fn counts(kept: usize, broken: usize, open: usize) -> PromiseAdherence {
        PromiseAdherence { kept, broken, open }
    }

    #[test]
    fn an_update_at_or_before_the_promised_time_keeps_the_promise() {
        let updates = [
            update("2026-01-05 10:00", Some("2026-01-05 10:30")),
            update("2026-01-05 10:30", Some("2026-01-05 11:00")),
            update("2026-01-05 10:45", None),
        ];
        assert_eq!(judge(&updates, None, "2026-01-05 12:00"), counts(2, 0, 0));
    }

    #[test]
    fn an_update_after_the_promised_time_breaks_the_promise() {
        let updates = [
            update("2026-01-05 10:31", None),
            update("2026-01-05 10:00", Some("2026-01-05 10:30")),
        ];
        assert_eq!(judge(&updates, None, "2026-01-05 12:00"), counts(0, 1, 0));
    }

    #[test]
    fn an_open_promise_not_yet_due_is_neither_kept_nor_broken() {
        let updates = [update("2026-01-05 10:00", Some("2026-01-05 11:00"))];
        let pending = judge(&updates, None, "2026-01-05 10:59");
        assert_eq!(pending, counts(0, 0, 1));
        assert_eq!(pending.share_kept(), None);
        assert_eq!(judge(&updates, None, "2026-01-05 11:00"), counts(0, 0, 1));
    }

    #[test]
    fn an_open_promise_past_now_is_broken() {
        let updates = [update("2026-01-05 10:00", Some("2026-01-05 11:00"))];
        assert_eq!(judge(&updates, None, "2026-01-05 11:01"), counts(0, 1, 0));
    }

    #[test]
    fn resolving_the_incident_in_time_keeps_the_last_promise() {
        let updates = [update("2026-01-05 10:00", Some("2026-01-05 11:00"))];
        let on_time = judge(&updates, Some("2026-01-05 10:45"), "2026-01-06 00:00");
        assert_eq!(on_time, counts(1, 0, 0));
        let late = judge(&updates, Some("2026-01-05 11:15"), "2026-01-06 00:00");
        assert_eq!(late, counts(0, 1, 0));
    }

    #[test]
    fn the_share_kept_counts_only_decided_promises() {
        assert_eq!(counts(3, 1, 5).share_kept(), Some(0.75));
        assert_eq!(counts(0, 2, 0).share_kept(), Some(0.0));
        assert_eq!(PromiseAdherence::default().share_kept(), None);
    }

    #[test]
    fn adherence_adds_up_across_incidents() {
        let total: PromiseAdherence = [counts(1, 2, 0), counts(3, 0, 1)].into_iter().sum();
        assert_eq!(total, counts(4, 2, 1));
    }
}
