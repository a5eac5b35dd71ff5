use std::time::{Duration, Instant};

use serde_json::json;

use crate::helpers::*;

#[tokio::test]
async fn two_instances_on_one_database_see_each_others_writes() {
    let first = spawn_app().await;
    let second = spawn_app_on(first.database.clone(), |_| {}).await;
    let token = first.admin_token().await;
    first
        .create_component(&token, json!({"name": "Search", "status": "major_outage"}))
        .await;

    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let summary = second.get_json("/api/v2/summary.json").await;
        if summary["components"]
            .as_array()
            .is_some_and(|c| c.len() == 1)
        {
            assert_eq!(summary["status"]["description"], "Major System Outage");
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the second instance never saw the write"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let api_on_second = second.api(&token);
    let response = api_on_second
        .patch(second.url("/api/v1/components"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 404, "PATCH needs an id");
}
