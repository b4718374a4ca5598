//! The write side over HTTP: registering customers, adding and returning transactions, and what the
//! loyalty engine makes of them as all five read endpoints and the write's own answer tell it.
//! The walk-through org (100900, `fixtures/default/50-engine.json`): 1 point per 10 spent and 1
//! WalkStar per 100; "Spend 2500 in a month" (milestone at 1500 worth 100 points, the target 250)
//! and "Three bills in a month" (50 points and 5 WalkStars); its clock stands at 2026-03-10 10:00 IST.

use std::collections::BTreeMap;

use axum::http::StatusCode;
use serde_json::{Value, json};

use crate::helpers::*;

pub const WALK_TILL: &str = "walk.till";
pub const WALK_ORG: i64 = 100900;

pub async fn post_ok(app: &TestApp, till: &str, path: &str, body: &Value) -> Value {
    let response = app.post(path).basic(till, DEMO_PASSWORD).json(body).send().await;
    assert_eq!(response.status, StatusCode::OK, "{path}: {}", response.text());
    response.json()
}

pub async fn get_ok(app: &TestApp, till: &str, path: &str) -> Value {
    let response = app.get(path).basic(till, DEMO_PASSWORD).send().await;
    assert_eq!(response.status, StatusCode::OK, "{path}: {}", response.text());
    response.json()
}

pub async fn register(app: &TestApp, till: &str, mobile: &str) -> i64 {
    let body = json!({"profiles": [{"firstName": "Asha", "lastName": "Rao", "identifiers": [{"type": "mobile", "value": mobile}], "source": "INSTORE"}]});
    post_ok(app, till, "/v2/customers", &body).await["createdId"].as_i64().expect("createdId")
}

pub fn bill(number: &str, amount: i64) -> Value {
    json!({"type": "REGULAR", "billNumber": number, "billAmount": amount.to_string(), "billingDate": "2026-03-10T09:00:00+05:30",
           "lineItemsV2": [{"itemCode": "SKU-1", "amount": amount, "rate": amount, "qty": 1, "value": amount}],
           "paymentModes": [{"mode": "UPI", "value": amount}], "customFields": {"channel": "store"}})
}

pub async fn add_bill(app: &TestApp, till: &str, customer: i64, body: &Value) -> Value {
    post_ok(app, till, &format!("/v2/transactions?identifierName=id&identifierValue={customer}&source=INSTORE&rawSideEffects=true"), body)
        .await
}

/// The customer's DAS ledger in points: (event name, points) per event log id and entry type.
pub async fn das_ledger(app: &TestApp, till: &str, customer: i64) -> BTreeMap<(i64, String), (String, f64)> {
    let path = format!(
        "/das/getLedgerEntriesWithEventId?ledger_entry_types=CREDIT,DEBIT&entity_id={customer}&start_date=2000-01-01&end_date=2099-12-31\
         &is_filter_not_based_on_date=1&till_ids=-1&is_till_not_present=1&count=100"
    );
    let mut ledger = BTreeMap::new();
    for entry in get_ok(app, till, &path).await.as_array().unwrap() {
        let key = (entry["eventLogId"].as_i64().unwrap(), entry["ledgerEntryType"].as_str().unwrap().to_owned());
        let slot = ledger.entry(key).or_insert((entry["eventName"].as_str().unwrap().to_owned(), 0.0));
        slot.1 += entry["points"].as_f64().unwrap();
    }
    ledger
}

pub async fn das_completions(app: &TestApp, till: &str, customer: i64) -> Vec<Value> {
    let path = format!(
        "/das/getTargetCompletedExplodeLedger?ledgerEntryTypes=CREDIT&userId={customer}&startDate=2000-01-01&endDate=2099-12-31&count=100"
    );
    get_ok(app, till, &path).await.as_array().unwrap().clone()
}

/// v3's targets of a group: (period ref code, achieved value, achieved?).
pub async fn v3_targets(app: &TestApp, till: &str, customer: i64, group: i64) -> Vec<(String, f64, bool)> {
    let v3 = get_ok(app, till, &format!("/v3/users/{customer}/targetGroups")).await;
    let groups = v3["data"]["targetGroups"].as_array().unwrap();
    let Some(group) = groups.iter().find(|g| g["id"] == group) else { return Vec::new() };
    group["targets"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["targetId"].is_i64())
        .map(|t| {
            (
                t["periodRefCode"].as_str().unwrap().to_owned(),
                t["targetAchievedValue"].as_f64().unwrap(),
                !t["targetAchievedDateTime"].is_null(),
            )
        })
        .collect()
}

pub async fn main_points(app: &TestApp, till: &str, customer: i64) -> f64 {
    get_ok(app, till, &format!("/v2/customers/{customer}/points/balance")).await["mainPoints"].as_f64().unwrap()
}

async fn row_count(app: &TestApp, table: &str) -> i64 {
    sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT count(*) FROM {table}"))).fetch_one(&app.pool).await.unwrap()
}

/// Rows of every table a write touches, to show a refused write left nothing.
async fn written_rows(app: &TestApp) -> Vec<i64> {
    let mut counts = Vec::new();
    for table in [
        "customers",
        "customer_identifiers",
        "event_logs",
        "points_ledger_entries",
        "points_awards",
        "bills",
        "user_targets",
        "target_completions",
    ] {
        counts.push(row_count(app, table).await);
    }
    counts
}

#[tokio::test]
async fn a_registered_customer_is_found_by_lookup_and_its_identifiers_are_unique_per_source() {
    let app = TestApp::new().await;
    let body = json!({"profiles": [{"firstName": "Asha", "lastName": "Rao", "source": "INSTORE",
        "identifiers": [{"type": "mobile", "value": "919900100200"}, {"type": "email", "value": "asha@example.com"}],
        "commChannels": [{"type": "mobile", "value": "919900100200", "primary": "true", "verified": "true"}], "fields": {"city": "Pune"}}],
        "extendedFields": {"gender": "Female"}});
    let answer = post_ok(&app, WALK_TILL, "/v2/customers", &body).await;
    let id = answer["createdId"].as_i64().unwrap();
    assert_eq!(answer, json!({"createdId": id, "warnings": [], "sideEffects": []}));

    let found = get_ok(&app, WALK_TILL, "/v2/customers/lookup?source=INSTORE&identifierName=mobile&identifierValue=919900100200").await;
    assert_eq!(found, json!({"entity": id, "warnings": []}));
    let by_email =
        get_ok(&app, WALK_TILL, "/v2/customers/lookup?source=INSTORE&identifierName=email&identifierValue=ASHA@example.com").await;
    assert_eq!(by_email["entity"], id);

    // The same identifier in the same source: 8006, and nothing written.
    let before = written_rows(&app).await;
    let again = app.post("/v2/customers").basic(WALK_TILL, DEMO_PASSWORD).json(&body).send().await;
    let message = assert_v2_error(&again, StatusCode::BAD_REQUEST, 8006);
    assert!(message.contains(&id.to_string()), "{message}");
    assert_eq!(written_rows(&app).await, before);

    // In another source: the profile joins the customer, with warning 8050.
    let wechat = json!({"profiles": [{"source": "WECHAT", "identifiers": [{"type": "mobile", "value": "919900100200"}]}]});
    let combined = post_ok(&app, WALK_TILL, "/v2/customers", &wechat).await;
    assert_eq!(
        combined,
        json!({"createdId": id, "warnings": [{"status": false, "code": 8050, "message": "Same Customer found in other sources,Combining"}], "sideEffects": []})
    );
    let in_wechat = get_ok(&app, WALK_TILL, "/v2/customers/lookup?source=WECHAT&identifierName=mobile&identifierValue=919900100200").await;
    assert_eq!(in_wechat["entity"], id);

    // Another org does not see it.
    let other = app.get("/v2/customers/lookup?source=INSTORE&identifierName=mobile&identifierValue=919900100200").demo().send().await;
    assert_v2_error(&other, StatusCode::BAD_REQUEST, 8015);
}

#[tokio::test]
async fn bad_registrations_and_lookups_get_their_codes_and_write_nothing() {
    let app = TestApp::new().await;
    let before = written_rows(&app).await;
    for (body, code) in [
        (json!({"profiles": []}), 8005),
        (json!({"profiles": [{"identifiers": [{"type": "mobile", "value": "919900100201"}]}]}), 8004),
        (json!({"profiles": [{"source": "NOWHERE", "identifiers": [{"type": "mobile", "value": "919900100201"}]}]}), 3217),
        (json!({"profiles": [{"source": "INSTORE", "identifiers": [{"type": "mobile", "value": "98-77"}]}]}), 8056),
        (json!({"profiles": [{"source": "INSTORE", "identifiers": [{"type": "email", "value": "not-an-email"}]}]}), 8055),
        (
            json!({"profiles": [{"source": "INSTORE", "identifiers": [{"type": "mobile", "value": "919900100201"}]}],
                "loyaltyProgramEnrollments": [{"programId": 2809, "loyaltyPoints": 10}]}),
            1101,
        ),
    ] {
        let response = app.post("/v2/customers").basic(WALK_TILL, DEMO_PASSWORD).json(&body).send().await;
        assert_v2_error(&response, StatusCode::BAD_REQUEST, code);
    }
    let not_json = app.post("/v2/customers").basic(WALK_TILL, DEMO_PASSWORD).body("application/json", "{").send().await;
    assert!(assert_v2_error(&not_json, StatusCode::BAD_REQUEST, 400).contains("not valid JSON"));
    assert_eq!(written_rows(&app).await, before);

    for (query, code) in [
        ("identifierName=mobile&identifierValue=919900100201", 8001),
        ("source=MOON&identifierName=mobile&identifierValue=919900100201", 8003),
        ("source=INSTORE", 8002),
        ("source=INSTORE&identifierName=shoeSize&identifierValue=9", 8013),
        ("source=INSTORE&identifierName=mobile&identifierValue=919900100201", 8015),
    ] {
        let response = app.get(&format!("/v2/customers/lookup?{query}")).basic(WALK_TILL, DEMO_PASSWORD).send().await;
        assert_v2_error(&response, StatusCode::BAD_REQUEST, code);
    }
}

#[tokio::test]
async fn the_demo_org_earns_points_on_every_transaction() {
    let app = TestApp::new().await;
    // The documents' DAS customer, with the demo till: 1 point per 100 and 1 StarCoin per 500.
    let before = main_points(&app, DEMO_TILL, 387970841).await;
    let answer = post_ok(
        &app,
        DEMO_TILL,
        "/v2/transactions?identifierName=mobile&identifierValue=919900387941&source=INSTORE",
        &json!({
        "type": "REGULAR", "billNumber": "demo-1", "billAmount": "1250"}),
    )
    .await;
    let id = answer["createdId"].as_i64().unwrap();
    assert_eq!(
        answer,
        json!({"createdId": id, "warnings": [], "errors": [], "sideEffects": [
            {"entityType": "USER", "rawAwardedPoints": 12, "awardedPoints": 12, "type": "points"},
            {"entityType": "USER", "rawAwardedValue": 2, "alternateCurrencyIdentifier": "starcoins", "alternateCurrencyName": "StarCoins", "awardedValue": 2, "type": "alternate_currency"}],
            "loyaltyDetails": [], "customerInfo": {"firstName": "Ananya", "lastName": "Iyer"}})
    );
    assert_eq!(main_points(&app, DEMO_TILL, 387970841).await, before + 12.0);
    let ledger = das_ledger(&app, DEMO_TILL, 387970841).await;
    assert_eq!(ledger.get(&(id, "CREDIT".to_owned())), Some(&("TransactionAdd".to_owned(), 12.0)));
    // v2 explodes the bill by the created id.
    let exploded = get_ok(&app, DEMO_TILL, &format!(
        "/v2/pointsLedger/getLedgerExplodeInfo?identifierName=id&identifierValue=387970841&source=INSTORE&eventName=TransactionAdd&eventReferenceIds={id}&getBillDetails=true")).await;
    let event = &exploded["events"][0];
    assert_eq!(event["eventLogId"], id);
    assert_eq!(event["eventReferenceId"], id.to_string());
    assert_eq!(event["billDetails"]["billNumber"], "demo-1");
    assert_eq!(event["billDetails"]["billAmount"], 1250.0);
    let regular: f64 =
        event["billDetails"]["pointsEarned"]["regular"].as_array().unwrap().iter().map(|x| x["value"].as_f64().unwrap()).sum();
    assert_eq!(regular, 12.0, "{event}");
}
