//! Behavioural events: `POST /v2/events`, `POST /v2/events/webhook` and ingestion at the
//! webhook's URI. An ingested event is a GenericEvent whose reference id is the answer's
//! `requestId`, and it shows in the ledger reads, earns by the org's rules and counts towards
//! event targets.

use axum::http::StatusCode;
use serde_json::{Value, json};
use sqlx::PgPool;

use crate::{changes::DataChanges, helpers::*};

/// The demo org's webhook in the default bundle, and its StoreCheckIn event (10 points each).
const WEBHOOK: &str = "/webhooks/d61233f75191444e73a577bbbd4c26eb";
/// Rohan (org 50406), by mobile.
const ROHAN: i64 = 387970842;
const ROHAN_MOBILE: &str = "919900387942";

async fn ingest(app: &TestApp, path: &str, body: Value) -> TestResponse {
    app.post(path).json(&body).send().await
}

/// The acknowledgement, `{"status":{"code":1100,"message"},"requestId"}`; its request id.
#[track_caller]
fn assert_acknowledged(response: &TestResponse) -> String {
    assert_eq!(response.status, StatusCode::OK, "{}", response.text());
    let body = response.json();
    assert_eq!(keys_of(&body), ["status", "requestId"], "{body}");
    assert_eq!(body["status"], json!({"code": 1100, "message": "Event is pushed to transformation state"}));
    let request_id = body["requestId"].as_str().unwrap().to_owned();
    assert!(uuid::Uuid::parse_str(&request_id).is_ok(), "a UUID as the sample's: {request_id}");
    request_id
}

/// The webhook error envelope, `{"status":{"code","message"}}`; its message.
#[track_caller]
fn assert_webhook_error(response: &TestResponse, status: StatusCode, code: i64) -> String {
    assert_eq!(response.status, status, "{}", response.text());
    let body = response.json();
    assert_eq!(keys_of(&body), ["status"], "{body}");
    assert_eq!(keys_of(&body["status"]), ["code", "message"], "{body}");
    assert_eq!(body["status"]["code"], code, "{body}");
    body["status"]["message"].as_str().unwrap().to_owned()
}

/// What ingestion and definitions write, as text.
async fn event_rows(pool: &PgPool) -> String {
    sqlx::query_scalar(
        "SELECT concat((SELECT count(*) FROM event_logs), '|', (SELECT count(*) FROM points_ledger_entries), '|',
                       (SELECT count(*) FROM behavioural_events), '|', (SELECT json_agg(d ORDER BY event_name)::text FROM event_definitions d), '|',
                       (SELECT count(*) FROM event_webhooks), '|', (SELECT json_agg(t ORDER BY user_target_id)::text FROM user_targets t))",
    )
    .fetch_one(pool)
    .await
    .unwrap()
}

#[tokio::test]
async fn an_ingested_event_is_a_generic_event_on_every_ledger_read_with_its_points() {
    let app = TestApp::new().await;
    let mut changes = DataChanges::listen(&app.pool).await;
    let body =
        json!({"event_name": "StoreCheckIn", "mobile": ROHAN_MOBILE, "venue": "Indiranagar", "eventDateTime": "2024-06-20 11:00:00"});
    let request_id = assert_acknowledged(&ingest(&app, WEBHOOK, body).await);
    assert_eq!(changes.count().await, 1);

    // v2 explode, by the request id as the GenericEvent's reference.
    let explode = app
        .get(&format!(
            "/v2/pointsLedger/getLedgerExplodeInfo?identifierName=id&identifierValue={ROHAN}&source=INSTORE&eventName=GenericEvent&eventReferenceIds={request_id}&getExtendedFields=true"
        ))
        .demo()
        .send()
        .await;
    assert_eq!(explode.status, StatusCode::OK, "{}", explode.text());
    let explode = explode.json();
    let events = explode["events"].as_array().unwrap();
    assert_eq!(events.len(), 1, "{explode}");
    let event = &events[0];
    assert_eq!(event["eventName"], "GenericEvent");
    assert_eq!(event["eventReferenceId"], request_id.as_str(), "{event}");
    assert_eq!(event["uniqueId"], request_id.as_str(), "{event}");
    assert_eq!(event["eventDetails"], json!({"eventDisplayName": "StoreCheckIn", "tillId": 75000001, "displayName": "StoreCheckIn"}));
    assert_eq!(event["extendedFields"], json!([{"name": "venue", "value": "Indiranagar"}]));
    assert_eq!(event["behavioralEventMetadata"]["label"], "StoreCheckIn");
    let regular = &event["pointsEarned"]["regular"];
    assert_eq!(
        (regular[0]["value"].clone(), regular[0]["programId"].clone()),
        (json!(10), json!(2809)),
        "the bundle's 10 points a check-in"
    );
    assert_eq!(regular[0]["expiresOnISO"], "2025-06-20T12:30:00+05:30", "365 days rolling from the demo clock");
    let event_id = event["eventLogId"].as_i64().unwrap();

    // The same event in v2.1 and the DAS ledger, with the same points.
    let v21 = app
        .get(&format!(
            "/v2.1/pointsLedger/getLedgerExplodeInfo?identifierName=id&identifierValue={ROHAN}&source=INSTORE&eventIds={event_id}"
        ))
        .demo()
        .send()
        .await;
    assert_eq!(v21.status, StatusCode::OK, "{}", v21.text());
    assert_eq!(v21.json()["events"][0]["eventLogId"], event_id);
    let rows = crate::points::das_entries(&app, "CREDIT", ROHAN, "2024-06-20").await;
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0]["eventTime"], json!(1718861400000_i64), "eventDateTime in the org's zone: 11:00 +05:30");
    assert_eq!(rows[0]["eventLogId"], event_id);
    assert_eq!(rows[0]["eventName"], "GenericEvent");
    assert_eq!(rows[0]["requestId"], request_id.as_str());
    assert_eq!(rows[0]["points"], json!(10));
}

#[tokio::test]
async fn a_defined_event_gets_a_webhook_whose_uri_ingests_it() {
    let app = TestApp::new().await;
    // The page's sample, with its customer named by mobile and without registering unknown ones.
    let definition = json!({
        "eventName": "PointsEvent1",
        "actions": ["EMFConsumer"],
        "fields": [
            {"attributes": {"identifierType": {"valueType": "ENUM", "value": "mobile"}}, "type": "customer", "name": "customer"},
            {"attributes": {"isRequired": {"valueType": "Boolean", "value": "true"}}, "type": "tillCode", "name": "till"},
            {"attributes": {"isRequired": {"value": "false", "valueType": "BOOLEAN"}}, "type": "double", "name": "Sparkles"}
        ]
    });
    let response = app.post("/v2/events").demo().json(&definition).send().await;
    assert_eq!(response.status, StatusCode::OK, "{}", response.text());
    assert_eq!(response.json(), json!({"warnings": [], "errors": []}));
    let again = app
        .post("/v2/events")
        .demo()
        .json(&json!({"eventName": "pointsevent1", "actions": ["EIConsumer"], "fields": definition["fields"]}))
        .send()
        .await;
    assert_eq!(assert_v2_error(&again, StatusCode::BAD_REQUEST, 1806), "Event_pointsevent1 event already exists");

    let settings = json!({"transformerType": "WebEngageTransformer", "tillCode": "demo.till", "authEnabled": true, "authMechanism": "Basic", "uniquenessCheckEnabled": false});
    let response = app.post("/v2/events/webhook").demo().header("host", "emulator.test:8080").json(&settings).send().await;
    assert_eq!(response.status, StatusCode::OK, "{}", response.text());
    let webhook = response.json();
    assert_eq!(keys_of(&webhook), ["transformerType", "uniquenessCheckEnabled", "tillCode", "webHookUri", "authEnabled", "warnings"]);
    let uri = webhook["webHookUri"].as_str().unwrap();
    let path = uri.strip_prefix("http://emulator.test:8080").unwrap_or_else(|| panic!("the URI is on the emulator: {uri}"));
    assert_eq!((webhook["authEnabled"].clone(), webhook["tillCode"].clone()), (json!(true), json!("demo.till")));

    let event = json!({"event_name": "PointsEvent1", "customer": ROHAN_MOBILE, "till": "koramangala.store.till", "Sparkles": 2.5});
    // authEnabled: the org's Basic credential, and no other.
    assert_webhook_error(&ingest(&app, path, event.clone()).await, StatusCode::UNAUTHORIZED, 401);
    let response = app.post(path).basic("utc.till", DEMO_PASSWORD).json(&event).send().await;
    assert_webhook_error(&response, StatusCode::UNAUTHORIZED, 401);
    let request_id = assert_acknowledged(&app.post(path).demo().json(&event).send().await);
    let explode = app
        .get(&format!(
            "/v2/pointsLedger/getLedgerExplodeInfo?identifierName=mobile&identifierValue={ROHAN_MOBILE}&source=INSTORE&eventName=GenericEvent&eventReferenceIds={request_id}"
        ))
        .demo()
        .send()
        .await
        .json();
    let event = &explode["events"][0];
    assert_eq!(event["eventDetails"]["tillId"], 50691660, "the event's own till: {event}");
    assert_eq!(event["pointsEarned"]["regular"], json!([]), "no rule earns on PointsEvent1");
}

#[tokio::test]
async fn bad_definitions_and_events_get_the_documented_codes_and_change_nothing() {
    let app = TestApp::new().await;
    let before = event_rows(&app.pool).await;
    let customer = json!({"type": "customer", "name": "mobile"});
    let definitions = [
        (json!({"eventName": "Points Event", "actions": ["EMFConsumer"], "fields": [customer]}), 1811, "eventName"),
        (json!({"actions": ["EMFConsumer"], "fields": [customer]}), 1811, "eventName"),
        (json!({"eventName": "StoreCheckIn", "actions": ["EMFConsumer"], "fields": [customer]}), 1806, "StoreCheckIn"),
        (json!({"eventName": "E1", "actions": ["Loyalty"], "fields": [customer]}), 1810, "actions"),
        (json!({"eventName": "E1", "actions": [], "fields": [customer]}), 1810, "actions"),
        (
            json!({"eventName": "E1", "actions": ["EMFConsumer"], "fields": [customer, {"type": "tillCod", "name": "till"}]}),
            1823,
            "fields[1].type",
        ),
        (
            json!({"eventName": "E1", "actions": ["EMFConsumer"], "fields": [{"type": "customer", "name": "c", "attributes": {"isRequired": {"valueType": "Boolean", "value": null}}}]}),
            1802,
            "isRequired",
        ),
        (json!({"eventName": "E1", "actions": ["EMFConsumer"], "fields": [{"type": "string", "name": "s"}]}), 1802, "customer"),
        (json!({"eventName": "E1", "actions": ["EMFConsumer"], "fields": [customer], "label": "x"}), 400, "label"),
    ];
    for (body, code, named) in definitions {
        let message = assert_v2_error(&app.post("/v2/events").demo().json(&body).send().await, StatusCode::BAD_REQUEST, code);
        assert!(message.contains(named), "{body}: names {named}: {message}");
    }
    let webhooks = [
        (json!({"transformerType": "WebEngage", "tillCode": "demo.till"}), 1808, "transformerType"),
        (json!({"transformerType": "WebEngageTransformer", "tillCode": "demo.till", "authEnabled": true}), 1839, "authMechanism"),
        (json!({"transformerType": "WebEngageTransformer", "tillCode": "no.such.till"}), 400, "no.such.till"),
        (json!({"transformerType": "WebEngageTransformer"}), 400, "tillCode"),
    ];
    for (body, code, named) in webhooks {
        let message = assert_v2_error(&app.post("/v2/events/webhook").demo().json(&body).send().await, StatusCode::BAD_REQUEST, code);
        assert!(message.contains(named), "{body}: names {named}: {message}");
    }
    let events = [
        (json!({"mobile": ROHAN_MOBILE}), 7304, "Event is not passed"),
        (json!({"event_name": "NoSuchEvent", "mobile": ROHAN_MOBILE}), 7305, "NoSuchEvent"),
        (json!({"event_name": "StoreCheckIn", "venue": "x"}), 7307, "mobile"),
        (json!({"event_name": "StoreCheckIn", "mobile": "910000000000"}), 7308, "910000000000"),
        (json!({"event_name": "StoreCheckIn", "mobile": ROHAN_MOBILE, "till": "no.such.till"}), 7310, "no.such.till"),
        (json!({"event_name": "StoreCheckIn", "mobile": ROHAN_MOBILE, "colour": "red"}), 7301, "colour"),
        (json!({"event_name": "StoreCheckIn", "mobile": ROHAN_MOBILE, "eventDateTime": "20/06/2024"}), 7301, "eventDateTime"),
        (json!(["StoreCheckIn"]), 7301, "body"),
    ];
    for (body, code, named) in events {
        let message = assert_webhook_error(&ingest(&app, WEBHOOK, body.clone()).await, StatusCode::BAD_REQUEST, code);
        assert!(message.contains(named), "{body}: names {named}: {message}");
    }
    let unknown = ingest(&app, "/webhooks/0000", json!({"event_name": "StoreCheckIn", "mobile": ROHAN_MOBILE})).await;
    assert_webhook_error(&unknown, StatusCode::NOT_FOUND, 404);
    let not_json = app.post(WEBHOOK).body("application/json", "{").send().await;
    assert_webhook_error(&not_json, StatusCode::BAD_REQUEST, 7301);
    assert_eq!(event_rows(&app.pool).await, before);
}

#[tokio::test]
async fn an_event_completes_the_event_target_the_customer_was_enrolled_in() {
    const MEERA: i64 = 387970843;
    let app = TestApp::new().await;
    // The 2026 release reports the event that achieved a target.
    sqlx::query("UPDATE org_releases SET reports_2026_target_fields = true WHERE org_id = 50406").execute(&app.pool).await.unwrap();
    // Test_Behavioural_Event_Target (group 74503, rule 745030) counts one GenericEvent in 2025.
    let clock = app
        .request(axum::http::Method::PUT, "/__admin/clock")
        .admin()
        .json(&json!({"frozen_at": "2025-06-05T10:00:00+05:30"}))
        .send()
        .await;
    assert_eq!(clock.status, StatusCode::OK, "{}", clock.text());
    let enrol = json!([{"customerId": MEERA, "periodName": "Test_Behavioural_Event_Target1"}]);
    let response = app.post("/v3/targetGroups/74503/targets/745030/enroll").demo().json(&enrol).send().await;
    assert_eq!(response.status, StatusCode::OK, "{}", response.text());

    let request_id = assert_acknowledged(&ingest(&app, WEBHOOK, json!({"event_name": "StoreCheckIn", "mobile": "919900387943"})).await);

    let read = app.get(&format!("/v3/users/{MEERA}/targetGroups")).demo().send().await.json();
    let group = read["data"]["targetGroups"].as_array().unwrap().iter().find(|g| g["id"] == 74503).unwrap().clone();
    let target = &group["targets"][0];
    assert_eq!((target["targetAchievedValue"].clone(), target["targetValue"].clone()), (json!(1.0), json!(1.0)), "{target}");
    // v3 names the event that achieved the target: the GenericEvent.
    let completion = target["targetAchievedEventLogId"].as_i64().unwrap_or_else(|| panic!("achieved by an event: {target}"));
    let explode = app
        .get(&format!(
            "/v2/pointsLedger/getLedgerExplodeInfo?identifierName=id&identifierValue={MEERA}&source=INSTORE&eventIds={completion}"
        ))
        .demo()
        .send()
        .await
        .json();
    let event = &explode["events"][0];
    assert_eq!((event["eventName"].clone(), event["eventReferenceId"].clone()), (json!("GenericEvent"), json!(request_id)), "{explode}");
}
