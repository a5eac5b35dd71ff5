use chrono::NaiveDateTime;

use super::*;
use ReportAction::*;
use ReportStatus::*;

fn state(status: ReportStatus) -> ReportState {
    ReportState {
        status,
        version: 1,
        has_approved_version: status == Approved,
        published: false,
    }
}

#[test]
fn the_happy_path_needs_each_role_in_turn() {
    let mut s = state(Draft);
    for (role, action, next) in [
        (Role::CommsExternal, Edit, Draft),
        (Role::IncidentManager, Submit, Submitted),
        (Role::Reviewer, Review, Reviewed),
        (Role::Approver, Approve, Approved),
    ] {
        let out = decide(role, action, s).unwrap();
        assert_eq!(out.status, next);
        s.status = out.status;
    }
    s.has_approved_version = true;
    let revised = decide(Role::IncidentManager, Revise, s).unwrap();
    assert_eq!((revised.status, revised.version), (Draft, 2));
    let published = decide(Role::IncidentManager, Publish, s).unwrap();
    assert!(published.published);
}

#[test]
fn each_step_refuses_the_wrong_roles_with_403() {
    let cases = [
        (
            Submit,
            Draft,
            [
                Role::CommsExternal,
                Role::Reviewer,
                Role::Approver,
                Role::Viewer,
            ],
        ),
        (
            Review,
            Submitted,
            [
                Role::Admin,
                Role::IncidentManager,
                Role::Approver,
                Role::Viewer,
            ],
        ),
        (
            Approve,
            Reviewed,
            [
                Role::Admin,
                Role::IncidentManager,
                Role::Reviewer,
                Role::Viewer,
            ],
        ),
        (
            Edit,
            Draft,
            [Role::Reviewer, Role::Approver, Role::Viewer, Role::Viewer],
        ),
    ];
    for (action, status, roles) in cases {
        for role in roles {
            match decide(role, action, state(status)) {
                Err(Refusal::Forbidden(m)) => assert!(m.contains(role.label()), "{m}"),
                other => panic!("{role:?} {action:?}: {other:?}"),
            }
        }
    }
}

#[test]
fn submitted_and_approved_reports_are_not_edited_in_place() {
    for status in [Submitted, Reviewed, Approved] {
        match decide(Role::IncidentManager, Edit, state(status)) {
            Err(Refusal::Conflict(m)) => assert!(m.contains("Version 1"), "{m}"),
            other => panic!("{other:?}"),
        }
    }
    let m = decide(Role::IncidentManager, Edit, state(Approved)).unwrap_err();
    assert!(m.message().contains("start version 2"), "{}", m.message());
    assert!(matches!(
        decide(Role::IncidentManager, Revise, state(Draft)),
        Err(Refusal::Conflict(_))
    ));
}

#[test]
fn steps_out_of_order_are_conflicts_for_the_right_role() {
    assert!(matches!(
        decide(Role::Approver, Approve, state(Submitted)),
        Err(Refusal::Conflict(_))
    ));
    assert!(matches!(
        decide(Role::Reviewer, Review, state(Draft)),
        Err(Refusal::Conflict(_))
    ));
    assert!(matches!(
        decide(Role::IncidentManager, Submit, state(Reviewed)),
        Err(Refusal::Conflict(_))
    ));
}

#[test]
fn returning_belongs_to_whoever_the_report_waits_for() {
    assert_eq!(
        decide(Role::Reviewer, Return, state(Submitted))
            .unwrap()
            .status,
        Draft
    );
    assert_eq!(
        decide(Role::Approver, Return, state(Reviewed))
            .unwrap()
            .status,
        Draft
    );
    assert!(matches!(
        decide(Role::Approver, Return, state(Submitted)),
        Err(Refusal::Forbidden(_))
    ));
    assert!(matches!(
        decide(Role::Reviewer, Return, state(Reviewed)),
        Err(Refusal::Forbidden(_))
    ));
    assert!(matches!(
        decide(Role::IncidentManager, Return, state(Submitted)),
        Err(Refusal::Forbidden(_))
    ));
    assert!(matches!(
        decide(Role::Reviewer, Return, state(Draft)),
        Err(Refusal::Conflict(_))
    ));
    assert!(return_comment("  ").is_err());
    assert_eq!(
        return_comment(" Add the timeline ").unwrap(),
        "Add the timeline"
    );
}

#[test]
fn only_an_approved_version_is_published() {
    assert!(matches!(
        decide(Role::IncidentManager, Publish, state(Draft)),
        Err(Refusal::Conflict(_))
    ));
    let revised = ReportState {
        status: Draft,
        version: 2,
        has_approved_version: true,
        published: false,
    };
    assert!(
        decide(Role::IncidentManager, Publish, revised)
            .unwrap()
            .published
    );
    assert!(matches!(
        decide(Role::CommsExternal, Publish, revised),
        Err(Refusal::Forbidden(_))
    ));
    assert!(matches!(
        decide(Role::Admin, Unpublish, revised),
        Err(Refusal::Conflict(_))
    ));
}

#[test]
fn action_items_belong_to_reviewers_and_the_incident_manager() {
    for role in Role::ALL {
        let allowed = decide(role, ManageActionItems, state(Approved)).is_ok();
        assert_eq!(
            allowed,
            matches!(role, Role::Admin | Role::IncidentManager | Role::Reviewer),
            "{role:?}"
        );
    }
}

#[test]
fn links_need_a_label_and_a_web_address() {
    let links = parse_links("JIRA https://jira.example.com/browse/OPS-1\n\nPost-mortem notes | http://wiki.example.com/x").unwrap();
    assert_eq!(
        links[0],
        Link {
            label: "JIRA".into(),
            url: "https://jira.example.com/browse/OPS-1".into()
        }
    );
    assert_eq!(links[1].label, "Post-mortem notes");
    let err = parse_links("https://jira.example.com").unwrap_err();
    assert!(
        err.0.contains("line 1") && err.0.contains("label"),
        "{}",
        err.0
    );
    let err = parse_links("ok https://a.example\nEvil javascript:alert(1)").unwrap_err();
    assert!(
        err.0.contains("line 2") && err.0.contains("http"),
        "{}",
        err.0
    );
    let sections = Sections {
        links: vec![Link {
            label: " ".into(),
            url: "https://x.example".into(),
        }],
        ..Sections::default()
    };
    assert!(sections.validated().unwrap_err().0.contains("links.0"));
    let sections = Sections {
        links: vec![Link {
            label: "FTP".into(),
            url: "ftp://x.example".into(),
        }],
        ..Sections::default()
    };
    assert!(sections.validated().unwrap_err().0.contains("http"));
    assert_eq!(parse_links(&links_text(&links)).unwrap(), links);
}

#[test]
fn sections_are_trimmed_and_bounded() {
    let ok = Sections {
        description: "  Checkout failed.  ".into(),
        ..Sections::default()
    }
    .validated()
    .unwrap();
    assert_eq!(ok.description, "Checkout failed.");
    let long = Sections {
        resolution: "x".repeat(MAX_SECTION + 1),
        ..Sections::default()
    };
    assert!(long.validated().unwrap_err().0.contains("`resolution`"));
}

#[test]
fn action_items_are_checked_field_by_field() {
    let item = action_item(
        " Add an alert ",
        "SRE",
        ItemPriority::High,
        parse_due("2026-12-01").unwrap(),
        ItemStatus::Open,
    )
    .unwrap();
    assert_eq!(item.action, "Add an alert");
    assert!(
        action_item("", "", ItemPriority::Low, None, ItemStatus::Open)
            .unwrap_err()
            .0
            .contains("`action`")
    );
    assert!(ItemPriority::parse("urgent")
        .unwrap_err()
        .0
        .contains("`priority`"));
    assert!(ItemStatus::parse("finished")
        .unwrap_err()
        .0
        .contains("`status`"));
    assert!(parse_due("31/12/2026").unwrap_err().0.contains("`due_on`"));
    assert_eq!(ItemStatus::parse("in_progress"), Ok(ItemStatus::InProgress));
}

fn content(resolution: &str) -> ReportContent {
    ReportContent {
        version: 1,
        incident_id: 1,
        incident_name: "Checkout errors".into(),
        sections: Sections {
            description: "Checkout failed.".into(),
            resolution: resolution.into(),
            ..Sections::default()
        },
        time_summary: vec![],
        client_impact_minutes: 125,
        action_items: vec![],
        submitted_by: None,
        reviewed_by: None,
        approved_by: "director@example.com".into(),
        approved_at: NaiveDateTime::parse_from_str("2026-11-23 10:00", "%Y-%m-%d %H:%M").unwrap(),
    }
}

#[test]
fn the_diff_marks_changes_in_words_and_signs() {
    let old = content("Restarted the database.").to_text();
    let new = content("Restarted the database.\nAdded a replica.").to_text();
    assert!(old.contains("Impact duration: 2 h 05 min"));
    let lines = diff_lines(&old, &new);
    let added: Vec<_> = lines.iter().filter(|l| l.kind == "added").collect();
    assert_eq!(added.len(), 1);
    assert_eq!(
        (added[0].sign, added[0].label, added[0].text.as_str()),
        ("+", "Added", "Added a replica.")
    );
    assert!(lines.iter().all(|l| l.kind != "removed"));
    let back = diff_lines(&new, &old);
    assert!(back
        .iter()
        .any(|l| l.kind == "removed" && l.label == "Removed" && l.sign == "−"));
    assert!(diff_lines(&old, &old).is_empty());
}
