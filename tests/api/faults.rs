//! Fault injection: rules per tenant and the X-Emulator-Fault header make requests slow, answer
//! with a forced code or status in the endpoint's own envelope, or drop the connection.

use std::time::{Duration, Instant};

use axum::http::{Method, StatusCode};
use capillary_emulator::config::RuntimeConfig;
use serde_json::{Value, json};

use crate::helpers::*;

const LEDGER_PATH: &str = "/das/getLedgerEntriesWithEventId";
const LEDGER: &str = "/das/getLedgerEntriesWithEventId?ledger_entry_types=CREDIT&entity_id=387970841&start_date=2025-06-03&end_date=2025-06-04&is_filter_not_based_on_date=0&till_ids=-1&is_till_not_present=1";
const EXPLODE_PATH: &str = "/v2/pointsLedger/getLedgerExplodeInfo";
const EXPLODE: &str =
    "/v2/pointsLedger/getLedgerExplodeInfo?identifierName=id&identifierValue=1709400643455&source=INSTORE&eventIds=8143509";
const TARGET_GROUPS: &str = "/v3/users/387043873/targetGroups";

async fn add_rule(app: &TestApp, admin: &str, rule: Value) -> Value {
    let response = app.post(&format!("{admin}/faults")).admin().json(&rule).send().await;
    assert_eq!(response.status, StatusCode::CREATED, "{}", response.text());
    response.json()
}

async fn rules(app: &TestApp, admin: &str) -> Vec<Value> {
    app.get(&format!("{admin}/faults")).admin().send().await.json().as_array().unwrap().clone()
}

#[tokio::test]
async fn a_forced_code_comes_back_as_the_endpoint_answers_it_for_the_given_number_of_times() {
    let app = TestApp::new().await;
    let rule = add_rule(&app, "/__admin", json!({"method": "GET", "path": EXPLODE_PATH, "error": {"code": 8015}, "times": 2})).await;
    assert_eq!(rule["error"], json!({"code": 8015}));
    assert_eq!(rule["times_left"], 2);
    assert_eq!(rule["probability"], 1.0);
    for _ in 0..2 {
        let response = app.get(EXPLODE).demo().send().await;
        assert_eq!(assert_v2_error(&response, StatusCode::BAD_REQUEST, 8015), "Identifier value missing or incorrect");
    }
    assert_eq!(app.get(EXPLODE).demo().send().await.status, StatusCode::OK);
    assert_eq!(rules(&app, "/__admin").await, Vec::<Value>::new());
    // The journal records what the client got.
    let journal = app.get(&format!("/__admin/requests?path={EXPLODE_PATH}")).admin().send().await.json();
    let codes: Vec<Value> = journal.as_array().unwrap().iter().map(|entry| entry["code"].clone()).collect();
    assert_eq!(codes, vec![Value::Null, json!(8015), json!(8015)]);
}

#[tokio::test]
async fn a_forced_status_comes_back_in_each_familys_envelope() {
    let app = TestApp::new().await;
    add_rule(&app, "/__admin", json!({"error": {"status": 503}})).await;
    let das = app.get(LEDGER).demo().send().await;
    assert_eq!(assert_plain_error(&das, StatusCode::SERVICE_UNAVAILABLE, None)["message"], "Service Unavailable");
    let v2 = app.get(EXPLODE).demo().send().await;
    assert_v2_error(&v2, StatusCode::SERVICE_UNAVAILABLE, 503);
    let v3 = app.get(TARGET_GROUPS).demo().send().await;
    assert_v3_error(&v3, StatusCode::SERVICE_UNAVAILABLE, 503);
    // A status no family has a code of its own for keeps its number.
    let id = rules(&app, "/__admin").await[0]["id"].as_i64().unwrap();
    app.request(Method::DELETE, &format!("/__admin/faults/{id}")).admin().send().await;
    add_rule(&app, "/__admin", json!({"path": "/v3/users/*/targetGroups", "error": {"status": 429}})).await;
    let limited = app.get(TARGET_GROUPS).demo().send().await;
    assert_eq!(assert_v3_error(&limited, StatusCode::TOO_MANY_REQUESTS, 429), "Too Many Requests");
    assert_eq!(app.get(LEDGER).demo().send().await.status, StatusCode::OK);
}

#[tokio::test]
async fn a_code_the_endpoint_cannot_answer_with_is_refused_naming_its_codes() {
    let app = TestApp::new().await;
    let response = app.post("/__admin/faults").admin().json(&json!({"path": LEDGER_PATH, "error": {"code": 8015}})).send().await;
    let body = assert_plain_error(&response, StatusCode::BAD_REQUEST, Some("error"));
    assert!(body["message"].as_str().unwrap().ends_with("its codes are 400, 401, 404, 498, 500, 503"), "{body}");
    let cases = [
        (json!({"error": {"code": 8015}}), "path"),
        (json!({"path": "/nowhere", "error": {"code": 8015}}), "path"),
        (json!({"error": {"status": 200}}), "error"),
        (json!({"error": {"status": 503, "code": 8015}}), "error"),
        (json!({"path": EXPLODE_PATH}), "error"),
        (json!({"delay_ms": {"min": 10, "max": 5}}), "delay_ms"),
        (json!({"delay_ms": 600000}), "delay_ms"),
        (json!({"drop_connection": true, "error": {"status": 500}}), "drop_connection"),
        (json!({"delay_ms": 5, "probability": 0}), "probability"),
        (json!({"delay_ms": 5, "probability": 1.5}), "probability"),
        (json!({"delay_ms": 5, "times": 0}), "times"),
        (json!({"delay_ms": 5, "method": "FETCH"}), "method"),
        (json!({"delay_ms": 5, "path": "das"}), "path"),
    ];
    for (rule, field) in cases {
        let response = app.post("/__admin/faults").admin().json(&rule).send().await;
        assert_plain_error(&response, StatusCode::BAD_REQUEST, Some(field));
    }
    assert_eq!(rules(&app, "/__admin").await, Vec::<Value>::new());
}

#[tokio::test]
async fn a_rule_applies_only_to_its_method_path_org_and_tenant() {
    let app = TestApp::new().await;
    app.post("/__admin/tenants").admin().json(&json!({"id": "faulty"})).send().await;
    add_rule(&app, "/t/faulty/__admin", json!({"path": LEDGER_PATH, "org": 4000218, "error": {"status": 500}})).await;
    assert_eq!(app.get(&format!("/t/faulty{LEDGER}")).demo().send().await.status, StatusCode::OK);
    let connected =
        app.get(&format!("/t/faulty{}", LEDGER.replace("387970841", "387970851"))).basic("connected.till", DEMO_PASSWORD).send().await;
    assert_plain_error(&connected, StatusCode::INTERNAL_SERVER_ERROR, None);
    let default = app.get(&LEDGER.replace("387970841", "387970851")).basic("connected.till", DEMO_PASSWORD).send().await;
    assert_eq!(default.status, StatusCode::OK);
    assert_eq!(app.request(Method::POST, &format!("/t/faulty{LEDGER}")).demo().send().await.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(rules(&app, "/__admin").await.len(), 0);
    assert_eq!(rules(&app, "/__admin/tenants/faulty").await.len(), 1);
    let cleared = app.request(Method::DELETE, "/__admin/tenants/faulty/faults").admin().send().await;
    assert_eq!(cleared.json(), json!({"status": "DELETED", "removed": 1}));
    assert_eq!(app.request(Method::DELETE, "/__admin/faults/1").admin().send().await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_delay_makes_the_request_wait_at_least_that_long() {
    let app = TestApp::new().await;
    add_rule(&app, "/__admin", json!({"path": LEDGER_PATH, "delay_ms": {"min": 200, "max": 250}})).await;
    let started = Instant::now();
    assert_eq!(app.get(LEDGER).demo().send().await.status, StatusCode::OK);
    assert!(started.elapsed() >= Duration::from_millis(200), "{:?}", started.elapsed());
}

#[tokio::test]
async fn the_header_forces_a_fault_on_one_request() {
    let app = TestApp::new().await;
    let coded = app.get(EXPLODE).demo().header("X-Emulator-Fault", "code=8015").send().await;
    assert_v2_error(&coded, StatusCode::BAD_REQUEST, 8015);
    let started = Instant::now();
    let unavailable = app.get(TARGET_GROUPS).demo().header("X-Emulator-Fault", "delay=150ms; status=503").send().await;
    assert!(started.elapsed() >= Duration::from_millis(150), "{:?}", started.elapsed());
    assert_v3_error(&unavailable, StatusCode::SERVICE_UNAVAILABLE, 503);
    let wrong = app.get(LEDGER).demo().header("X-Emulator-Fault", "code=8015").send().await;
    assert_plain_error(&wrong, StatusCode::BAD_REQUEST, Some("X-Emulator-Fault"));
    let garbled = app.get(LEDGER).demo().header("X-Emulator-Fault", "explode").send().await;
    assert_plain_error(&garbled, StatusCode::BAD_REQUEST, Some("X-Emulator-Fault"));
    assert_eq!(app.get(LEDGER).demo().send().await.status, StatusCode::OK);

    let off = app.reconfigured(RuntimeConfig { fault_header: false, ..RuntimeConfig::default() }).await;
    assert_eq!(off.get(EXPLODE).demo().header("X-Emulator-Fault", "code=8015").send().await.status, StatusCode::OK);
}

#[tokio::test]
async fn a_dropped_connection_reaches_the_client_as_one() {
    let app = TestApp::new().await;
    add_rule(&app, "/__admin", json!({"path": LEDGER_PATH, "drop_connection": true, "times": 1})).await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let server = tokio::spawn(axum::serve(listener, app.router.clone()).into_future());
    let client = reqwest::Client::new();
    let authorization = basic_auth(DEMO_TILL, DEMO_PASSWORD);
    let dropped = async { client.get(format!("{base}{LEDGER}")).header("authorization", &authorization).send().await?.bytes().await };
    assert!(dropped.await.is_err(), "the first request's connection is dropped");
    let by_header = async {
        client
            .get(format!("{base}{EXPLODE}"))
            .header("authorization", &authorization)
            .header("X-Emulator-Fault", "drop")
            .send()
            .await?
            .bytes()
            .await
    };
    assert!(by_header.await.is_err(), "the header drops the connection too");
    let next = client.get(format!("{base}{LEDGER}")).header("authorization", &authorization).send().await.unwrap();
    assert_eq!(next.status(), reqwest::StatusCode::OK);
    server.abort();
}

#[tokio::test]
async fn a_rule_fires_with_its_probability() {
    let app = TestApp::new().await;
    add_rule(&app, "/__admin", json!({"path": LEDGER_PATH, "error": {"status": 503}, "probability": 0.5})).await;
    let mut failed = 0;
    for _ in 0..60 {
        if app.get(LEDGER).demo().send().await.status == StatusCode::SERVICE_UNAVAILABLE {
            failed += 1;
        }
    }
    // 60 draws at one half: fewer than 10 or more than 50 is a one-in-a-million event.
    assert!((10..=50).contains(&failed), "{failed} of 60 failed");
}
