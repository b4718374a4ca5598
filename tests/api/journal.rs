//! The request journal: every request to an emulated endpoint, per tenant, with credentials
//! redacted; filters, counts by pattern, clearing and its bound.

use axum::http::{Method, StatusCode};
use capillary_emulator::config::RuntimeConfig;
use serde_json::{Value, json};

use crate::helpers::*;

const LEDGER_PATH: &str = "/das/getLedgerEntriesWithEventId";
const LEDGER_QUERY: &str = "ledger_entry_types=CREDIT,DEBIT&entity_id=387970841&start_date=2025-06-03&end_date=2025-06-04&is_filter_not_based_on_date=0&till_ids=-1&is_till_not_present=1";
const EXPLODE_BAD: &str = "/v2/pointsLedger/getLedgerExplodeInfo?identifierName=mobile&identifierValue=abc&source=INSTORE&eventIds=1";

async fn journal(app: &TestApp, query: &str) -> Vec<Value> {
    let response = app.get(&format!("/__admin/requests{query}")).admin().send().await;
    assert_eq!(response.status, StatusCode::OK, "{}", response.text());
    response.json().as_array().unwrap().clone()
}

/// Counts through the control plane at `admin` (`/__admin`, `/t/{tenant}/__admin` or
/// `/__admin/tenants/{tenant}`).
async fn count(app: &TestApp, admin: &str, pattern: Value) -> Value {
    let response = app.post(&format!("{admin}/requests/count")).admin().json(&pattern).send().await;
    assert_eq!(response.status, StatusCode::OK, "{}", response.text());
    response.json()["count"].clone()
}

#[tokio::test]
async fn each_request_is_recorded_newest_first_with_its_answer_and_no_secret() {
    let app = TestApp::new().await;
    let token = app.oauth_token("demo-key", "demo-secret").await;
    let ledger = app.get(&format!("{LEDGER_PATH}?{LEDGER_QUERY}")).demo().header("X-Request-Id", "req-1").send().await;
    assert_eq!(ledger.status, StatusCode::OK);
    let bad = app.get(EXPLODE_BAD).oauth(&token).send().await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    app.get("/__admin/fixtures").admin().send().await;

    let entries = journal(&app, "").await;
    assert_eq!(entries.len(), 3, "{entries:?}");
    let (explode, ledger_entry, token_entry) = (&entries[0], &entries[1], &entries[2]);
    assert_eq!(token_entry["path"], "/v3/oauth/token/generate");
    assert_eq!(token_entry["method"], "POST");
    assert_eq!(token_entry["org"], Value::Null);

    assert_eq!(ledger_entry["method"], "GET");
    assert_eq!(ledger_entry["path"], LEDGER_PATH);
    assert_eq!(ledger_entry["query"], LEDGER_QUERY);
    assert_eq!(ledger_entry["org"], 50406);
    assert_eq!(ledger_entry["status"], 200);
    assert_eq!(ledger_entry["code"], Value::Null);
    assert_eq!(ledger_entry["requestId"], "req-1");
    assert_eq!(ledger_entry["headers"]["authorization"], "Basic demo.till:<redacted>");
    assert!(ledger_entry["latencyMs"].as_f64().unwrap() >= 0.0);
    assert!(chrono::DateTime::parse_from_rfc3339(ledger_entry["time"].as_str().unwrap()).is_ok());

    assert_eq!(explode["status"], 400);
    assert_eq!(explode["code"], 8015);
    assert_eq!(explode["org"], 50406);
    assert_eq!(explode["headers"]["x-cap-api-oauth-token"], "<redacted>");
    assert_eq!(explode["requestId"], bad.header("x-request-id").unwrap());

    let everything = serde_json::to_string(&entries).unwrap();
    for secret in [token.as_str(), &md5_hex(DEMO_PASSWORD), "demo-secret", ADMIN_TOKEN] {
        assert!(!everything.contains(secret), "the journal holds a secret: {secret}");
    }
}

#[tokio::test]
async fn the_listing_filters_by_path_method_org_status_and_time_and_is_cut_by_limit() {
    let app = TestApp::new().await;
    let before = chrono::Utc::now().to_rfc3339();
    for _ in 0..2 {
        app.get(&format!("{LEDGER_PATH}?{LEDGER_QUERY}")).demo().send().await;
    }
    app.get(&format!("{LEDGER_PATH}?{LEDGER_QUERY}")).basic("connected.till", DEMO_PASSWORD).send().await;
    app.get(EXPLODE_BAD).demo().send().await;
    assert_eq!(journal(&app, &format!("?path={LEDGER_PATH}")).await.len(), 3);
    assert_eq!(journal(&app, "?method=get&org=50406").await.len(), 3);
    assert_eq!(journal(&app, "?org=4000218").await.len(), 1);
    assert_eq!(journal(&app, "?status=400").await.len(), 1);
    assert_eq!(journal(&app, "?method=POST").await.len(), 0);
    assert_eq!(journal(&app, "?limit=2").await.len(), 2);
    let since = url_encoded(&before);
    assert_eq!(journal(&app, &format!("?since={since}")).await.len(), 4);
    assert_eq!(journal(&app, "?since=2999-01-01T00:00:00Z").await.len(), 0);
    for (query, parameter) in [("?since=yesterday", "since"), ("?limit=0", "limit"), ("?org=x", "org"), ("?status=ok", "status")] {
        let response = app.get(&format!("/__admin/requests{query}")).admin().send().await;
        assert_plain_error(&response, StatusCode::BAD_REQUEST, Some(parameter));
    }
}

fn url_encoded(text: &str) -> String {
    form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

#[tokio::test]
async fn counting_matches_every_given_field_with_exact_query_values() {
    let app = TestApp::new().await;
    for _ in 0..2 {
        app.get(&format!("{LEDGER_PATH}?{LEDGER_QUERY}")).demo().header("X-Suite", "checkout").send().await;
    }
    app.get(&format!("{LEDGER_PATH}?{}", LEDGER_QUERY.replace("387970841", "387970842"))).demo().send().await;
    assert_eq!(count(&app, "/__admin", json!({"path": LEDGER_PATH})).await, 3);
    assert_eq!(count(&app, "/__admin", json!({"path": LEDGER_PATH, "method": "GET", "query": {"entity_id": "387970841"}})).await, 2);
    assert_eq!(count(&app, "/__admin", json!({"query": {"entity_id": "38797084"}})).await, 0);
    assert_eq!(count(&app, "/__admin", json!({"query": {"entity_id": "387970841", "page": "1"}})).await, 0);
    assert_eq!(count(&app, "/__admin", json!({"headers": {"X-Suite": "checkout"}})).await, 2);
    assert_eq!(count(&app, "/__admin", json!({"org": 50406})).await, 3);
    assert_eq!(count(&app, "/__admin", json!({"org": 4000218})).await, 0);
    assert_eq!(count(&app, "/__admin", json!({})).await, 3);
    let bad = app.post("/__admin/requests/count").admin().json(&json!({"query": {"entity_id": 387970841}})).send().await;
    assert_plain_error(&bad, StatusCode::BAD_REQUEST, Some("query"));
    let unknown = app.post("/__admin/requests/count").admin().json(&json!({"paths": "/"})).send().await;
    assert_plain_error(&unknown, StatusCode::BAD_REQUEST, None);
}

#[tokio::test]
async fn each_tenant_has_its_own_journal_and_clearing_one_leaves_the_other() {
    let app = TestApp::new().await;
    let created = app.post("/__admin/tenants").admin().json(&json!({"id": "suite"})).send().await;
    assert_eq!(created.status, StatusCode::CREATED);
    app.get(&format!("{LEDGER_PATH}?{LEDGER_QUERY}")).demo().send().await;
    for _ in 0..2 {
        app.get(&format!("/t/suite{LEDGER_PATH}?{LEDGER_QUERY}")).demo().send().await;
    }
    assert_eq!(count(&app, "/__admin", json!({"path": LEDGER_PATH})).await, 1);
    assert_eq!(count(&app, "/t/suite/__admin", json!({"path": LEDGER_PATH})).await, 2);
    assert_eq!(count(&app, "/__admin/tenants/suite", json!({})).await, 2);
    let cleared = app.request(Method::DELETE, "/__admin/tenants/suite/requests").admin().send().await;
    assert_eq!(cleared.json(), json!({"status": "CLEARED", "removed": 2}));
    assert_eq!(count(&app, "/t/suite/__admin", json!({})).await, 0);
    assert_eq!(count(&app, "/__admin", json!({})).await, 1);
}

#[tokio::test]
async fn the_journal_keeps_the_newest_requests_up_to_its_size_or_none_when_off() {
    let app = TestApp::with_config(RuntimeConfig { journal_size: 3, ..RuntimeConfig::default() }).await;
    for page in 1..=5 {
        app.get(&format!("{LEDGER_PATH}?{LEDGER_QUERY}&page={page}")).demo().send().await;
    }
    let pages: Vec<Value> =
        journal(&app, "").await.iter().map(|entry| entry["query"].as_str().unwrap().rsplit('=').next().unwrap().into()).collect();
    assert_eq!(pages, vec![json!("5"), json!("4"), json!("3")]);

    let off = app.reconfigured(RuntimeConfig { journal_size: 0, ..RuntimeConfig::default() }).await;
    off.request(Method::DELETE, "/__admin/requests").admin().send().await;
    off.get(&format!("{LEDGER_PATH}?{LEDGER_QUERY}")).demo().send().await;
    assert_eq!(journal(&off, "").await, Vec::<Value>::new());
}
