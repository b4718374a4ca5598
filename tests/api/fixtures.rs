//! Fixture bundles: the loaded database is the bundle's files; export then load gives the same
//! data; a bad bundle changes nothing and its error names the file, the record and the field.

use std::{collections::BTreeMap, path::PathBuf};

use capillary_emulator::fixtures::{self, Bundle, FixtureError};
use chrono::DateTime;
use serde_json::{Map, Value, json};
use sqlx::PgPool;

use crate::helpers::*;

fn scratch_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("emulator-test-{name}-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

async fn snapshot(pool: &PgPool) -> Value {
    fixtures::export(pool, "public").await.unwrap().merged()
}

/// Two values of one field are the same datum: equal JSON, the same instant written in two
/// offsets, or the same number written as a number and as a decimal string.
fn same_datum(loaded: &Value, source: &Value) -> bool {
    match (loaded, source) {
        (Value::String(a), Value::String(b)) if a != b => {
            matches!((DateTime::parse_from_rfc3339(a), DateTime::parse_from_rfc3339(b)), (Ok(a), Ok(b)) if a == b)
        }
        (Value::Number(a), Value::Number(b)) => a.as_f64() == b.as_f64(),
        (Value::Number(n), Value::String(text)) | (Value::String(text), Value::Number(n)) => text.parse::<f64>().ok() == n.as_f64(),
        (Value::Array(a), Value::Array(b)) => a.len() == b.len() && a.iter().zip(b).all(|(a, b)| same_datum(a, b)),
        (Value::Object(a), Value::Object(b)) => a.len() == b.len() && b.iter().all(|(key, b)| a.get(key).is_some_and(|a| same_datum(a, b))),
        (a, b) => a == b,
    }
}

/// Each column's default as JSON (`null` where it has none), keyed by table and column, evaluated
/// by PostgreSQL from the catalog.
async fn column_defaults(pool: &PgPool) -> BTreeMap<(String, String), Value> {
    let columns: Vec<(String, String, Option<String>)> = sqlx::query_as(
        "SELECT table_name::text, column_name::text, column_default::text FROM information_schema.columns WHERE table_schema = current_schema()",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    let mut defaults = BTreeMap::new();
    for (table, column, default) in columns {
        let value = match default {
            Some(expression) => sqlx::query_scalar::<_, Value>(sqlx::AssertSqlSafe(format!("SELECT to_jsonb({expression})")))
                .fetch_one(pool)
                .await
                .unwrap_or_else(|error| panic!("default of {table}.{column}: {error}")),
            None => Value::Null,
        };
        defaults.insert((table, column), value);
    }
    defaults
}

/// The loaded database, as the control plane exports it, holds exactly the records of `bundle`
/// (one merged bundle object): every field as the bundle gives it, every field it leaves out at its
/// column's default, and nothing else. Returns how many records were compared.
pub async fn assert_database_holds(app: &TestApp, bundle: &Value) -> usize {
    let exported = app.get("/__admin/fixtures").admin().send().await.json();
    let defaults = column_defaults(&app.pool).await;

    let entities = |bundle: &Value| -> Vec<String> {
        let mut names: Vec<String> = bundle.as_object().unwrap().keys().filter(|key| *key != "settings").cloned().collect();
        names.sort();
        names
    };
    let source_entities = entities(bundle);
    assert_eq!(entities(&exported), source_entities, "the same entities");
    let clock = |bundle: &Value| bundle["settings"]["clock"].as_str().map(|clock| DateTime::parse_from_rfc3339(clock).unwrap());
    assert_eq!(clock(&exported), clock(bundle), "the same settings.clock");

    let mut records = 0;
    for entity in source_entities {
        let mut loaded: Vec<&Map<String, Value>> = exported[&entity].as_array().unwrap().iter().map(|r| r.as_object().unwrap()).collect();
        let wanted = bundle[&entity].as_array().unwrap();
        assert_eq!(loaded.len(), wanted.len(), "{entity}: as many records as the bundle");
        for (index, record) in wanted.iter().enumerate() {
            let record = record.as_object().unwrap();
            let matches = |row: &&Map<String, Value>| {
                row.iter().all(|(column, value)| match record.get(column) {
                    Some(given) => same_datum(value, given),
                    None => same_datum(value, &defaults[&(entity.clone(), column.clone())]),
                }) && record.keys().all(|field| row.contains_key(field))
            };
            let position = loaded
                .iter()
                .position(matches)
                .unwrap_or_else(|| panic!("{entity}[{index}] is not loaded as the bundle gives it: {record:?}"));
            loaded.remove(position);
            records += 1;
        }
    }
    records
}

#[tokio::test]
async fn the_loaded_database_holds_exactly_the_default_bundles_records() {
    let app = TestApp::new().await;
    let records = assert_database_holds(&app, &default_bundle().merged()).await;
    assert!(records > 500, "the whole default bundle was compared ({records} records)");
}

/// Exported, changed and loaded again, the data is what was exported.
#[tokio::test]
async fn an_exported_bundle_loads_back() {
    let db = small_db().await;
    let pool = db.pool.clone();
    let before = snapshot(&pool).await;
    let dir = scratch_dir("roundtrip");
    fixtures::export(&pool, "public").await.unwrap().write_dir(&dir).unwrap();
    sqlx::query("UPDATE orgs SET name = 'Changed'").execute(&pool).await.unwrap();
    let bundle = Bundle::read_dir(&dir).unwrap();
    fixtures::load(&pool, &bundle, "export").await.unwrap();
    assert_eq!(snapshot(&pool).await, before);
    std::fs::remove_dir_all(dir).unwrap();
}

#[tokio::test]
async fn a_duplicate_primary_key_is_named() {
    let db = small_db().await;
    let bundle = json!({"orgs": [{"org_id": 1, "name": "a"}, {"org_id": 2, "name": "b"}, {"org_id": 1, "name": "again"}]});
    let message = load_error(&db.pool, "core.json", bundle).await;
    assert!(message.starts_with("core.json: orgs[2].org_id: "), "{message}");
    assert!(message.contains('1'), "names the value: {message}");
}

#[tokio::test]
async fn a_duplicate_primary_key_across_files_is_named() {
    let db = small_db().await;
    let before = snapshot(&db.pool).await;
    let bundle = Bundle {
        files: [("a.json", json!({"orgs": [{"org_id": 1, "name": "a"}]})), ("b.json", json!({"orgs": [{"org_id": 1, "name": "b"}]}))]
            .into_iter()
            .map(|(name, content)| fixtures::BundleFile { name: name.to_owned(), content: content.as_object().unwrap().clone() })
            .collect(),
    };
    let error = fixtures::load(&db.pool, &bundle, "two files").await.unwrap_err();
    assert!(!matches!(error, FixtureError::Database(_)), "{error}");
    let message = error.to_string();
    assert!(message.starts_with("b.json: orgs[0].org_id: "), "{message}");
    assert_eq!(snapshot(&db.pool).await, before, "a bad bundle changes nothing");
}

#[tokio::test]
async fn a_record_that_is_not_an_object_is_named() {
    let db = small_db().await;
    for record in [json!(5), json!("org"), json!(null), json!([1, "a"])] {
        let message = load_error(&db.pool, "core.json", json!({"orgs": [{"org_id": 1, "name": "a"}, record]})).await;
        assert!(message.starts_with("core.json: orgs[1]: "), "{message}");
        assert!(message.contains("object"), "says what a record must be: {message}");
    }
}

#[tokio::test]
async fn the_bundle_clock_setting_is_kept() {
    let db = small_db().await;
    let pool = db.pool.clone();
    let bundle =
        Bundle::from_object("b.json", json!({"settings": {"clock": "2024-06-20T12:30:00+05:30"}, "orgs": [{"org_id": 7, "name": "x"}]}))
            .unwrap();
    let summary = fixtures::load(&pool, &bundle, "b").await.unwrap();
    assert_eq!(summary.clock.unwrap().to_rfc3339(), "2024-06-20T07:00:00+00:00");
    let exported = snapshot(&pool).await;
    assert_eq!(exported["settings"], json!({"clock": "2024-06-20T07:00:00+00:00"}));
}

/// A database with a small bundle loaded: what a bad bundle must leave as it is (small, so that
/// comparing before and after is cheap).
async fn small_db() -> TestDb {
    let db = TestDb::empty().await;
    let bundle = json!({
        "orgs": [{"org_id": 42, "name": "Before", "time_zone": "UTC"}],
        "tills": [{"till_id": 4201, "org_id": 42, "code": "before.till"}],
    });
    fixtures::load(&db.pool, &Bundle::from_object("small.json", bundle).unwrap(), "small").await.unwrap();
    db
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
    let db = small_db().await;
    let pool = db.pool.clone();
    let message =
        load_error(&pool, "core.json", json!({"orgs": [{"org_id": 1, "name": "a"}, {"org_id": 2, "name": "b", "is_default": "maybe"}]}))
            .await;
    assert!(message.starts_with("core.json: orgs[1].is_default: "), "{message}");
}

#[tokio::test]
async fn an_unknown_field_is_named() {
    let db = small_db().await;
    let pool = db.pool.clone();
    let message = load_error(&pool, "core.json", json!({"orgs": [{"org_id": 1, "name": "a", "colour": "red"}]})).await;
    assert!(message.starts_with("core.json: orgs[0].colour: unknown field"), "{message}");
}

#[tokio::test]
async fn a_missing_required_field_is_named() {
    let db = small_db().await;
    let pool = db.pool.clone();
    let message = load_error(&pool, "core.json", json!({"orgs": [{"org_id": 1}]})).await;
    assert!(message.starts_with("core.json: orgs[0].name: "), "{message}");
}

#[tokio::test]
async fn a_reference_to_nothing_is_named() {
    let db = small_db().await;
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
    let db = small_db().await;
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
    let db = small_db().await;
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
