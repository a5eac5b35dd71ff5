//! The incident history as RSS 2.0 and Atom feeds, for customers: one item
//! per incident with its latest external update, built with the `rss` and
//! `atom_syndication` crates, which escape every text they write.

use atom_syndication as atom;
use chrono::{DateTime, NaiveDateTime, Utc};

use super::time::local;
use crate::config::Settings;
use crate::db::models::incidents::{IncidentUpdate, IncidentWithUpdates};

/// How many incidents the feeds carry.
pub const FEED_INCIDENTS: usize = 50;

fn utc(at: NaiveDateTime) -> DateTime<Utc> {
    at.and_utc()
}

fn latest_external(i: &IncidentWithUpdates) -> Option<&IncidentUpdate> {
    i.updates.iter().find(|u| u.external_html.is_some())
}

/// The latest external update as HTML: its phase and time, then its text
/// (sanitised when it was posted).
fn entry_html(i: &IncidentWithUpdates, settings: &Settings) -> String {
    match latest_external(i) {
        Some(u) => format!(
            "<p><strong>{}</strong> — {}</p>\n{}",
            u.status.label(),
            local(u.display_at, settings.time_zone),
            u.external_html.as_deref().unwrap_or_default()
        ),
        None => String::new(),
    }
}

/// When an incident last changed for customers: its latest external update.
fn entry_updated(i: &IncidentWithUpdates) -> NaiveDateTime {
    latest_external(i)
        .map(|u| u.display_at.max(i.incident.started_at))
        .unwrap_or(i.incident.started_at)
}

/// The latest change of any incident, or `fallback` for an empty feed.
fn last_change(incidents: &[IncidentWithUpdates], fallback: NaiveDateTime) -> NaiveDateTime {
    incidents
        .iter()
        .map(entry_updated)
        .max()
        .unwrap_or(fallback)
}

fn feed_title(settings: &Settings) -> String {
    format!("{} status — incident history", settings.page_name)
}

/// `/history.rss`: RSS 2.0 with `atom:link rel="self"`.
pub fn rss(
    incidents: &[IncidentWithUpdates],
    settings: &Settings,
    built_at: NaiveDateTime,
) -> anyhow::Result<Vec<u8>> {
    let items: Vec<rss::Item> = incidents
        .iter()
        .map(|i| {
            let url = settings.url(&format!("/incidents/{}", i.incident.id));
            rss::ItemBuilder::default()
                .title(Some(i.incident.name.clone()))
                .link(Some(url.clone()))
                .guid(Some(rss::Guid {
                    value: url,
                    permalink: true,
                }))
                .pub_date(Some(utc(i.incident.started_at).to_rfc2822()))
                .description(Some(entry_html(i, settings)))
                .build()
        })
        .collect();
    let self_link = atom::Link {
        href: settings.url("/history.rss"),
        rel: "self".into(),
        mime_type: Some("application/rss+xml".into()),
        ..atom::Link::default()
    };
    let channel = rss::ChannelBuilder::default()
        .title(feed_title(settings))
        .link(settings.url("/history"))
        .description(format!(
            "Incidents reported on the {} status page, newest first.",
            settings.page_name
        ))
        .language(Some("en".to_string()))
        .last_build_date(Some(utc(last_change(incidents, built_at)).to_rfc2822()))
        .generator(Some("Sitrep".to_string()))
        .atom_ext(Some(
            rss::extension::atom::AtomExtensionBuilder::default()
                .link(self_link)
                .build(),
        ))
        .items(items)
        .build();
    Ok(channel.write_to(Vec::new())?)
}

/// `/history.atom`: an Atom 1.0 feed.
pub fn atom(
    incidents: &[IncidentWithUpdates],
    settings: &Settings,
    built_at: NaiveDateTime,
) -> anyhow::Result<Vec<u8>> {
    let entries: Vec<atom::Entry> = incidents
        .iter()
        .map(|i| {
            let url = settings.url(&format!("/incidents/{}", i.incident.id));
            atom::EntryBuilder::default()
                .id(url.clone())
                .title(atom::Text::plain(i.incident.name.clone()))
                .updated(utc(entry_updated(i)).fixed_offset())
                .published(Some(utc(i.incident.started_at).fixed_offset()))
                .link(
                    atom::LinkBuilder::default()
                        .href(url)
                        .rel("alternate")
                        .mime_type(Some("text/html".to_string()))
                        .build(),
                )
                .content(Some(
                    atom::ContentBuilder::default()
                        .value(Some(entry_html(i, settings)))
                        .content_type(Some("html".to_string()))
                        .build(),
                ))
                .build()
        })
        .collect();
    let updated = last_change(incidents, built_at);
    let feed = atom::FeedBuilder::default()
        .id(settings.url("/history.atom"))
        .title(atom::Text::plain(feed_title(settings)))
        .updated(utc(updated).fixed_offset())
        .author(
            atom::PersonBuilder::default()
                .name(settings.page_name.clone())
                .uri(Some(settings.url("/")))
                .build(),
        )
        .link(
            atom::LinkBuilder::default()
                .href(settings.url("/history.atom"))
                .rel("self")
                .mime_type(Some("application/atom+xml".to_string()))
                .build(),
        )
        .link(
            atom::LinkBuilder::default()
                .href(settings.url("/history"))
                .rel("alternate")
                .mime_type(Some("text/html".to_string()))
                .build(),
        )
        .generator(Some(atom::Generator {
            value: "Sitrep".into(),
            ..atom::Generator::default()
        }))
        .entries(entries)
        .build();
    Ok(feed.write_to(Vec::new())?)
}
