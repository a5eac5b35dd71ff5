//! Composing a digest: the period's facts from the store, turned into the
//! pure [`crate::domain::digest::build`]'s input.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{Duration, NaiveDateTime};

use super::super::Context;
use crate::config::Settings;
use crate::db::models::digest as store;
use crate::db::models::incidents::Incident;
use crate::db::models::metrics::{load_period, PeriodFacts};
use crate::db::{DbConn, StoreError};
use crate::domain::digest::{
    build, ActionItem, Digest, DigestInput, PendingReport, Period, RecurrenceFact,
};
use crate::domain::incident::Priority;
use crate::domain::metrics::{check_sla, recurrences, IncidentFacts, IncidentMetrics};
use crate::error::AppError;

/// Loads the facts of `period` (and of `previous`, for the change) and builds the digest.
pub async fn compose(ctx: &Context, period: Period, previous: Period) -> Result<Digest, AppError> {
    let now = ctx.clock.now();
    let settings = ctx.settings.clone();
    let digest = ctx
        .db
        .run(move |conn| {
            let loaded = Loaded::load(conn, period, previous, settings.recurrence_window, now)?;
            Ok(loaded.digest(&settings, period, previous, now))
        })
        .await?;
    Ok(digest)
}

/// What a digest is made of, as stored.
struct Loaded {
    facts: PeriodFacts,
    before: PeriodFacts,
    open_items: Vec<ActionItem>,
    reports: Vec<PendingReport>,
    recurrences: Vec<RecurrenceFact>,
    /// Action items of the earlier incident of each recurrence, by incident.
    recurrence_items: BTreeMap<i64, Vec<ActionItem>>,
}

impl Loaded {
    fn load(
        conn: &mut DbConn,
        period: Period,
        previous: Period,
        window: Duration,
        now: NaiveDateTime,
    ) -> Result<Loaded, StoreError> {
        let facts = load_period(conn, period.from, period.to, window, now)?;
        let before = load_period(conn, previous.from, previous.to, Duration::zero(), now)?;
        let open_items = store::open_action_items(conn)?;
        let reports = store::pending_reports(conn)?;
        let recurrences = recurrences_in(&facts, window);
        let earlier: Vec<i64> = recurrences
            .iter()
            .map(|r| r.earlier_id)
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        let mut recurrence_items: BTreeMap<i64, Vec<_>> = BTreeMap::new();
        for item in store::action_items_of(conn, &earlier)? {
            recurrence_items
                .entry(item.incident_id)
                .or_default()
                .push(item);
        }
        Ok(Loaded {
            facts,
            before,
            open_items,
            reports,
            recurrences,
            recurrence_items,
        })
    }

    fn digest(
        &self,
        settings: &Settings,
        period: Period,
        previous: Period,
        now: NaiveDateTime,
    ) -> Digest {
        let hours = &settings.support_hours;
        let metrics = |list: &[(Incident, IncidentFacts)]| -> Vec<IncidentMetrics> {
            list.iter().map(|(_, f)| f.metrics(hours, now)).collect()
        };
        let breaches = |list: &[(Incident, IncidentFacts)]| {
            let mut by: BTreeMap<Priority, usize> = BTreeMap::new();
            for (_, f) in list {
                for check in check_sla(f, &settings.sla_targets, hours, now) {
                    if check.is_breached() {
                        *by.entry(check.priority).or_default() += 1;
                    }
                }
            }
            by
        };
        let names: BTreeMap<i64, String> = self
            .facts
            .before
            .iter()
            .chain(self.facts.incidents.iter())
            .map(|(i, _)| (i.id, i.name.clone()))
            .collect();
        let base_url = settings.url("");
        build(&DigestInput {
            page_name: &settings.page_name,
            base_url: &base_url,
            zone: settings.time_zone,
            period,
            previous,
            current: &metrics(&self.facts.incidents),
            previous_metrics: &metrics(&self.before.incidents),
            breaches: &breaches(&self.facts.incidents),
            previous_breaches: &breaches(&self.before.incidents),
            incident_names: &names,
            recurrences: &self.recurrences,
            recurrence_items: &self.recurrence_items,
            open_items: &self.open_items,
            reports: &self.reports,
        })
    }
}

/// The recurrences whose later incident started in the period.
fn recurrences_in(facts: &PeriodFacts, window: Duration) -> Vec<RecurrenceFact> {
    let in_period: BTreeSet<i64> = facts.incidents.iter().map(|(i, _)| i.id).collect();
    let all: Vec<_> = facts
        .before
        .iter()
        .chain(facts.incidents.iter())
        .map(|(_, f)| f.clone())
        .collect();
    recurrences(&all, window)
        .into_iter()
        .filter(|r| in_period.contains(&r.later_id))
        .map(|r| RecurrenceFact {
            earlier_id: r.earlier_id,
            later_id: r.later_id,
            component: facts
                .component_names
                .get(&r.component_id)
                .cloned()
                .unwrap_or_else(|| format!("component {}", r.component_id)),
        })
        .collect()
}
