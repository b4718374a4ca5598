//! Fixture bundles: export then load gives the same data; a bad bundle changes nothing and its
//! error names the file, the record and the field.

use std::path::PathBuf;

use capillary_emulator::fixtures::{self, Bundle, FixtureError};
use serde_json::{Value, json};
use sqlx::PgPool;

use crate::helpers::*;

fn scratch_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("emulator-test-{name}-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

async fn snapshot(pool: &PgPool) -> Value {
    fixtures::export(pool).await.unwrap().merged()
}

#[tokio::test]
async fn export_then_load_gives_the_same_data() {
    let db = TestDb::with_fixtures().await;
    let pool = db.pool.clone();
    let before = snapshot(&pool).await;
    let dir = scratch_dir("roundtrip");
    fixtures::export(&pool).await.unwrap().write_dir(&dir).unwrap();

    sqlx::query("UPDATE orgs SET name = 'Changed'").execute(&pool).await.unwrap();
    let bundle = Bundle::read_dir(&dir).unwrap();
    fixtures::load(&pool, &bundle, "export").await.unwrap();
    assert_eq!(snapshot(&pool).await, before);
    std::fs::remove_dir_all(dir).unwrap();
}

#[tokio::test]
async fn the_bundle_clock_setting_is_kept() {
    let db = TestDb::with_fixtures().await;
    let pool = db.pool.clone();
    let bundle =
        Bundle::from_object("b.json", json!({"settings": {"clock": "2024-06-20T12:30:00+05:30"}, "orgs": [{"org_id": 7, "name": "x"}]}))
            .unwrap();
    let summary = fixtures::load(&pool, &bundle, "b").await.unwrap();
    assert_eq!(summary.clock.unwrap().to_rfc3339(), "2024-06-20T07:00:00+00:00");
    assert_eq!(fixtures::loaded_clock(&pool).await.unwrap(), summary.clock);
    let exported = snapshot(&pool).await;
    assert_eq!(exported["settings"], json!({"clock": "2024-06-20T07:00:00+00:00"}));
}

async fn load_error(pool: &PgPool, name: &str, bundle: Value) -> String {
    let before = snapshot(pool).await;
    let bundle = Bundle::from_object(name, bundle).unwrap();
    let error = fixtures::load(pool, &bundle, name).await.expect_err("a bad bundle");
    assert!(!matches!(error, FixtureError::Database(_)), "{error}");
    assert_eq!(snapshot(pool).await, before, "a bad bundle changes nothing");
    error.to_string()
}

#[tokio::test]
async fn a_value_of_the_wrong_type_names_file_record_and_field() {
    let db = TestDb::with_fixtures().await;
    let pool = db.pool.clone();
    let message =
        load_error(&pool, "core.json", json!({"orgs": [{"org_id": 1, "name": "a"}, {"org_id": 2, "name": "b", "is_default": "maybe"}]}))
            .await;
    assert!(message.starts_with("core.json: orgs[1].is_default: "), "{message}");
}

#[tokio::test]
async fn an_unknown_field_is_named() {
    let db = TestDb::with_fixtures().await;
    let pool = db.pool.clone();
    let message = load_error(&pool, "core.json", json!({"orgs": [{"org_id": 1, "name": "a", "colour": "red"}]})).await;
    assert!(message.starts_with("core.json: orgs[0].colour: unknown field"), "{message}");
}

#[tokio::test]
async fn a_missing_required_field_is_named() {
    let db = TestDb::with_fixtures().await;
    let pool = db.pool.clone();
    let message = load_error(&pool, "core.json", json!({"orgs": [{"org_id": 1}]})).await;
    assert!(message.starts_with("core.json: orgs[0].name: "), "{message}");
}

#[tokio::test]
async fn a_reference_to_nothing_is_named() {
    let db = TestDb::with_fixtures().await;
    let pool = db.pool.clone();
    let bundle = json!({
        "orgs": [{"org_id": 1, "name": "a"}],
        "tills": [{"till_id": 5, "org_id": 1, "code": "ok"}, {"till_id": 6, "org_id": 999, "code": "orphan"}],
    });
    let message = load_error(&pool, "t.json", bundle).await;
    assert!(message.starts_with("t.json: tills[1].org_id: "), "{message}");
    assert!(message.contains("999"), "{message}");
}

#[tokio::test]
async fn an_unknown_entity_or_zone_is_refused() {
    let db = TestDb::with_fixtures().await;
    let pool = db.pool.clone();
    let message = load_error(&pool, "x.json", json!({"unicorns": []})).await;
    assert!(message.starts_with("x.json: unknown entity 'unicorns'"), "{message}");
    let message = load_error(&pool, "x.json", json!({"orgs": [{"org_id": 1, "name": "a", "time_zone": "Mars/Olympus"}]})).await;
    assert!(message.starts_with("x.json: orgs[0]"), "{message}");
    assert!(message.contains("Mars/Olympus"), "{message}");
}

#[test]
fn an_unreadable_bundle_file_is_named() {
    let dir = scratch_dir("broken");
    std::fs::write(dir.join("a.json"), "{\"orgs\": [").unwrap();
    let error = Bundle::read_dir(&dir).unwrap_err().to_string();
    assert!(error.contains("a.json") && error.contains("invalid JSON"), "{error}");
    std::fs::remove_dir_all(dir).unwrap();
}

#[tokio::test]
async fn settings_must_be_known_and_set_once() {
    let db = TestDb::with_fixtures().await;
    let pool = db.pool.clone();
    let message = load_error(&pool, "s.json", json!({"settings": 5})).await;
    assert!(message.starts_with("s.json: settings must be an object"), "{message}");
    let message = load_error(&pool, "s.json", json!({"settings": {"clock": "2024-06-20T12:30:00Z", "speed": 2}})).await;
    assert!(message.starts_with("s.json: unknown setting 'speed'"), "{message}");
    let message = load_error(&pool, "s.json", json!({"settings": {"clock": "yesterday"}})).await;
    assert!(message.starts_with("s.json: settings.clock must be an RFC 3339 instant"), "{message}");

    let twice = Bundle {
        files: ["a.json", "b.json"]
            .iter()
            .map(|name| fixtures::BundleFile {
                name: (*name).to_owned(),
                content: json!({"settings": {"clock": "2024-06-20T12:30:00Z"}}).as_object().unwrap().clone(),
            })
            .collect(),
    };
    let error = fixtures::load(&pool, &twice, "twice").await.unwrap_err().to_string();
    assert!(error.starts_with("b.json: settings.clock is set in more than one file"), "{error}");
}
