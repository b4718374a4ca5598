//! `POST /v2/customers/bulk/manualCurrencyAllocate`: awards on a customer's event by the org's
//! strategies (the demo org's rule "1 point per 100 spent" carries award strategy 280921 and
//! expiry strategy 280911), shown with that event on the ledger reads; failed items write nothing.

use axum::http::StatusCode;
use serde_json::{Value, json};

use crate::{helpers::*, points::das_entries};

const ROHAN: i64 = 387970842;
const ROHAN_MOBILE: &str = "919900387942";
const PATH: &str = "/v2/customers/bulk/manualCurrencyAllocate";

fn allocation(source_id: &str, award_strategy: i64, source_value: i64) -> Value {
    json!({
        "eventName": "StoreCheckIn", "currencyType": "REGULAR", "sourceValueRoundingStrategy": "FLOOR", "pointsRoundingStrategy": "FLOOR",
        "lookupParams": {"identifierType": "mobile", "entityType": "CUSTOMER", "source": "INSTORE", "identifierValue": ROHAN_MOBILE},
        "orgId": 50406, "programId": 2809, "awardStrategyId": award_strategy, "expiryStrategyId": 280911,
        "sourceValue": source_value, "eventSourceId": source_id
    })
}

#[tokio::test]
async fn an_allocation_is_a_credit_on_the_named_event_and_a_failed_item_writes_nothing() {
    let app = TestApp::new().await;
    let check_in = app
        .post("/webhooks/d61233f75191444e73a577bbbd4c26eb")
        .json(&json!({"event_name": "StoreCheckIn", "mobile": ROHAN_MOBILE}))
        .send()
        .await;
    let request_id = check_in.json()["requestId"].as_str().unwrap().to_owned();
    let event_id = das_entries(&app, "CREDIT", ROHAN, "2024-06-20").await[0]["eventLogId"].as_i64().unwrap();

    let body = json!([allocation(&request_id, 280921, 1000), allocation(&request_id, 1, 1000), allocation("no-such-event", 280921, -1)]);
    let response = app.post(PATH).demo().json(&body).send().await;
    assert_eq!(response.status, StatusCode::OK, "{}", response.text());
    let answer = response.json();
    assert_eq!(keys_of(&answer), ["total", "success", "failures", "data", "warnings"]);
    assert_eq!((answer["total"].clone(), answer["success"].clone(), answer["failures"].clone()), (json!(3), json!(1), json!(2)));
    assert_eq!(
        answer["data"][0],
        json!({"status": "SUCCESS", "eventLogId": event_id, "entityId": ROHAN,
               "sideEffects": [{"entityType": "USER", "rawAwardedPoints": 10.0, "awardedPoints": 10, "type": "points"}]})
    );
    assert_eq!(answer["data"][1]["status"], "FAILED");
    assert_eq!(answer["data"][1]["errors"][0]["code"], 8136);
    assert!(answer["data"][1]["errors"][0]["message"].as_str().unwrap().contains("Award Strategy not found with id : 1"));
    assert_eq!(answer["data"][2]["errors"][0]["code"], 8139);

    // 1000 at "1 per 100": 10 points, with the check-in's own 10, on the same event.
    let credits = das_entries(&app, "CREDIT", ROHAN, "2024-06-20").await;
    let points: Vec<(i64, Value)> = credits.iter().map(|c| (c["eventLogId"].as_i64().unwrap(), c["points"].clone())).collect();
    assert_eq!(points, [(event_id, json!(10)), (event_id, json!(10))]);
    let explode = app
        .get(&format!("/v2/pointsLedger/getLedgerExplodeInfo?identifierName=id&identifierValue={ROHAN}&source=INSTORE&eventIds={event_id}"))
        .demo()
        .send()
        .await
        .json();
    assert_eq!(explode["events"][0]["pointsEarned"]["regular"].as_array().unwrap().len(), 2, "{explode}");

    // Request-level: more than 10 items, or no array.
    let eleven: Vec<Value> = (0..11).map(|_| allocation(&request_id, 280921, 1000)).collect();
    assert_v2_error(&app.post(PATH).demo().json(&json!(eleven)).send().await, StatusCode::BAD_REQUEST, 1060);
    assert_v2_error(&app.post(PATH).demo().json(&allocation(&request_id, 280921, 1000)).send().await, StatusCode::BAD_REQUEST, 400);
    assert_eq!(das_entries(&app, "CREDIT", ROHAN, "2024-06-20").await.len(), 2);
}
