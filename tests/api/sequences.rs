//! Ids of rows a bundle leaves without one (and, later, rows clients create) come from a sequence
//! that every load moves past the highest id the data holds.

use axum::http::StatusCode;
use serde_json::{Value, json};

use crate::helpers::*;

fn customer_ids(export: &Value) -> Vec<i64> {
    export["customers"].as_array().expect("customers").iter().map(|customer| customer["customer_id"].as_i64().unwrap()).collect()
}

#[tokio::test]
async fn a_record_without_an_id_gets_the_next_one_past_the_bundles_highest() {
    let app = TestApp::new().await;
    let bundle = json!({
        "orgs": [{"org_id": 1, "name": "Tiny", "time_zone": "UTC"}],
        "customers": [
            {"customer_id": 500, "org_id": 1, "created_on": "2024-01-01T00:00:00Z"},
            {"customer_id": 70, "org_id": 1, "created_on": "2024-01-01T00:00:00Z"},
            {"org_id": 1, "first_name": "Unnumbered", "created_on": "2024-01-01T00:00:00Z"},
        ],
    });
    let response = app.post("/__admin/fixtures").admin().json(&bundle).send().await;
    assert_eq!(response.status, StatusCode::OK, "{}", response.text());
    let export = app.get("/__admin/fixtures").admin().send().await.json();
    assert_eq!(customer_ids(&export), vec![70, 500, 501]);
    let unnumbered = export["customers"].as_array().unwrap().iter().find(|customer| customer["customer_id"] == 501).unwrap();
    assert_eq!(unnumbered["first_name"], "Unnumbered");
}

#[tokio::test]
async fn the_default_bundle_leaves_every_sequence_past_its_ids() {
    let app = TestApp::new().await;
    let identities: Vec<(String, String)> = sqlx::query_as(
        "SELECT table_name::text, column_name::text FROM information_schema.columns
         WHERE table_schema = current_schema() AND is_identity = 'YES' AND table_name NOT LIKE 'emulator\\_%' ORDER BY table_name",
    )
    .fetch_all(&app.pool)
    .await
    .unwrap();
    let tables: Vec<&str> = identities.iter().map(|(table, _)| table.as_str()).collect();
    assert_eq!(
        tables,
        [
            "bill_line_items",
            "customer_point_summaries",
            "customers",
            "earning_rules",
            "event_logs",
            "goodwill_requests",
            "points_awards",
            "points_ledger_entries",
            "target_rewards",
            "user_groups",
            "user_streaks",
            "user_targets"
        ]
    );
    for (table, column) in &identities {
        let highest: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT coalesce(max({column}), 0) FROM {table}")))
            .fetch_one(&app.pool)
            .await
            .unwrap();
        let next: i64 = sqlx::query_scalar("SELECT nextval(pg_get_serial_sequence($1, $2))")
            .bind(table)
            .bind(column)
            .fetch_one(&app.pool)
            .await
            .unwrap();
        assert_eq!(next, highest + 1, "{table}.{column}");
    }
}
