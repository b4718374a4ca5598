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

/// Three bills complete the "Spend 1500" milestone and the "Three bills" target; every read
/// endpoint tells the same story as the writes' own answers.
#[tokio::test]
async fn bills_move_targets_and_completions_agree_in_all_five_endpoints() {
    let app = TestApp::new().await;
    let customer = register(&app, WALK_TILL, "919900100300").await;
    let first = add_bill(&app, WALK_TILL, customer, &bill("walk-1", 600)).await;
    let second = add_bill(&app, WALK_TILL, customer, &bill("walk-2", 800)).await;
    let third = add_bill(&app, WALK_TILL, customer, &bill("walk-3", 900)).await;

    // The first answer, item by item.
    let first_id = first["createdId"].as_i64().unwrap();
    assert_eq!(
        first["sideEffects"],
        json!([{"entityType": "USER", "rawAwardedPoints": 60, "awardedPoints": 60, "type": "points"},
               {"entityType": "USER", "rawAwardedValue": 6, "alternateCurrencyIdentifier": "walkstars", "alternateCurrencyName": "WalkStars", "awardedValue": 6, "type": "alternate_currency"}])
    );
    let raw = first["rawSideEffects"].as_array().unwrap();
    assert_eq!(raw.len(), 4, "two targets and two awards: {raw:?}");
    assert_eq!(
        raw[0],
        json!({"currentEventTargetValue": "600.0", "definedTargetValue": "2500.000", "periodEndDate": "2026-03-31", "periodRefCode": "Spend2500_M3",
               "periodStartDate": "2026-03-01", "targetAchievedValueAfterEvent": "600.000", "targetAchievedValueBeforeEvent": "0.000",
               "targetEvaluationType": "FIXED_CALENDAR_WINDOW", "targetGroupId": "1009401", "targetGroupName": "Spend 2500 in a month",
               "targetName": "Spend 2500 in a month", "targetRuleId": "1009501", "type": "TARGETLOYALTY", "userId": customer.to_string()})
    );
    assert_eq!(raw[1]["targetRuleId"], "1009502");
    assert_eq!(raw[1]["targetAchievedValueAfterEvent"], "1.000");
    let award = &raw[2];
    assert_eq!(award["type"], "AWARD");
    assert_eq!(award["points"], "60.000");
    assert_eq!(award["sourceId"], first_id.to_string());
    assert_eq!(award["billNumber"], "walk-1");
    assert_eq!(award["awardOn"], "BILL");
    assert_eq!(award["programId"], "100901");
    assert_eq!(award["awardedOn"], "10th Mar, 2026");
    assert_eq!(award["expiryDate"], "10th Mar, 2027");
    assert_eq!(award["sourceValue"], "600.0");
    assert_eq!(raw[3]["alternateCurrencyName"], "WalkStars");
    assert!(raw.iter().flat_map(|item| item.as_object().unwrap().values()).all(Value::is_string), "every raw value is a string");

    // The third bill crosses the milestone and completes the count target.
    let third_raw = third["rawSideEffects"].as_array().unwrap();
    assert_eq!(third_raw[0]["targetAchievedValueBeforeEvent"], "1400.000");
    assert_eq!(third_raw[0]["targetAchievedValueAfterEvent"], "2300.000");
    assert_eq!(third_raw[1]["targetAchievedValueAfterEvent"], "3.000");

    // DAS ledger: each bill's credit is its AWARD points; the completions credit their rewards.
    let ledger = das_ledger(&app, WALK_TILL, customer).await;
    for (answer, points) in [(&first, 60.0), (&second, 80.0), (&third, 90.0)] {
        let id = answer["createdId"].as_i64().unwrap();
        let raw_points: f64 = answer["rawSideEffects"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|item| item["type"] == "AWARD" && item["alternateCurrencyName"] == "null")
            .map(|item| item["points"].as_str().unwrap().parse::<f64>().unwrap())
            .sum();
        assert_eq!(raw_points, points);
        assert_eq!(ledger.get(&(id, "CREDIT".to_owned())), Some(&("TransactionAdd".to_owned(), points)));
    }
    let completed: Vec<(i64, f64)> =
        ledger.iter().filter(|(_, (name, _))| name == "TargetCompleted").map(|((id, _), (_, points))| (*id, *points)).collect();
    assert_eq!(completed.iter().map(|(_, points)| points).sum::<f64>(), 150.0, "100 for the milestone, 50 for the target: {completed:?}");

    // DAS completions: the milestone and the target, both triggered by the third bill.
    let third_id = third["createdId"].as_i64().unwrap();
    let completions = das_completions(&app, WALK_TILL, customer).await;
    let mut kinds: Vec<(String, i64)> =
        completions.iter().map(|c| (c["sourceType"].as_str().unwrap().to_owned(), c["targetGroupId"].as_i64().unwrap())).collect();
    kinds.sort();
    assert_eq!(kinds, vec![("MILESTONE".to_owned(), 1009401), ("USERTARGET".to_owned(), 1009402)]);
    for completion in &completions {
        assert_eq!(completion["customerId"], customer);
        assert_eq!(completion["targetAchievedEventLogId"], third_id);
        assert_eq!(completion["billId"], third_id);
        assert!(completed.iter().any(|(id, _)| completion["eventLogId"] == *id), "the completion's event is credited in the ledger");
        // v2 and v2.1 explode the same completion event.
        for version in ["v2", "v2.1"] {
            let path = format!(
                "/{version}/pointsLedger/getLedgerExplodeInfo?identifierName=id&identifierValue={customer}&source=INSTORE&eventIds={}",
                completion["eventLogId"]
            );
            let exploded = get_ok(&app, WALK_TILL, &path).await["events"][0].clone();
            assert_eq!(exploded["eventName"], "TargetCompleted");
            assert_eq!(exploded["targetCompletedDetails"]["targetGroupID"], completion["targetGroupId"], "{version}");
        }
    }

    // v3: progress as the answers said it.
    assert_eq!(v3_targets(&app, WALK_TILL, customer, 1009401).await, vec![("Spend2500_M3".to_owned(), 2300.0, false)]);
    assert_eq!(v3_targets(&app, WALK_TILL, customer, 1009402).await, vec![("ThreeBills_M3".to_owned(), 3.0, true)]);
    let v3 = get_ok(&app, WALK_TILL, &format!("/v3/users/{customer}/targetGroups")).await;
    let spend = v3["data"]["targetGroups"].as_array().unwrap().iter().find(|g| g["id"] == 1009401).unwrap().clone();
    assert_eq!(
        spend["targets"][0]["milestones"],
        json!([{"id": 1009601, "triggerName": "Spend 1500", "triggerValue": 1500.0, "isAchieved": true}])
    );

    // The balance is every credit: 230 for the bills, 150 for the completions.
    assert_eq!(main_points(&app, WALK_TILL, customer).await, 380.0);
    let details = get_ok(&app, WALK_TILL, &format!("/v2/customers/{customer}?source=INSTORE&embed=points")).await;
    assert_eq!(details["pointsSummary"]["loyaltyPoints"], 380.0);
    assert_eq!(details["pointsSummary"]["lifetimePoints"], 380.0);
    assert_eq!(details["loyaltyInfo"]["lifetimePurchases"], 2300.0);

    // A full return of the second bill takes its 80 points and its 800 back from the spend target.
    let returned = add_bill(
        &app,
        WALK_TILL,
        customer,
        &json!({"type": "RETURN", "returnType": "FULL", "billNumber": "walk-2",
        "billingDate": "2026-03-10T09:30:00+05:30"}),
    )
    .await;
    let return_id = returned["createdId"].as_i64().unwrap();
    assert_eq!(returned["sideEffects"][0], json!({"entityType": "USER", "rawAwardedPoints": -80, "awardedPoints": -80, "type": "points"}));
    assert_eq!(returned["rawSideEffects"][0]["targetAchievedValueAfterEvent"], "1500.000");
    assert_eq!(main_points(&app, WALK_TILL, customer).await, 300.0);
    let ledger = das_ledger(&app, WALK_TILL, customer).await;
    assert_eq!(ledger.get(&(return_id, "DEBIT".to_owned())), Some(&("ReturnBill".to_owned(), 80.0)));
    assert_eq!(v3_targets(&app, WALK_TILL, customer, 1009401).await, vec![("Spend2500_M3".to_owned(), 1500.0, false)]);
    let exploded = get_ok(&app, WALK_TILL, &format!(
        "/v2/pointsLedger/getLedgerExplodeInfo?identifierName=id&identifierValue={customer}&source=INSTORE&eventIds={return_id}&getBillDetails=true")).await;
    assert_eq!(exploded["events"][0]["eventName"], "ReturnBill");
    assert_eq!(exploded["events"][0]["billDetails"]["returnType"], "FULL", "{exploded}");
    // Returning it again: 633; returning a bill before its purchase: 624; unknown bill: 625.
    for (body, code) in [
        (json!({"type": "RETURN", "returnType": "FULL", "billNumber": "walk-2"}), 633),
        (
            json!({"type": "RETURN", "returnType": "AMOUNT", "billAmount": "100", "billNumber": "walk-3", "billingDate": "2026-03-09T09:00:00+05:30"}),
            624,
        ),
        (json!({"type": "RETURN", "returnType": "FULL", "billNumber": "never-sold"}), 625),
        (json!({"type": "RETURN", "returnType": "AMOUNT", "billAmount": "5000", "billNumber": "walk-3"}), 630),
        (json!({"type": "RETURN", "billNumber": "walk-3"}), 628),
    ] {
        let response = app
            .post(&format!("/v2/transactions?identifierName=id&identifierValue={customer}&source=INSTORE"))
            .basic(WALK_TILL, DEMO_PASSWORD)
            .json(&body)
            .send()
            .await;
        assert_v2_error(&response, StatusCode::BAD_REQUEST, code);
    }
}

#[tokio::test]
async fn a_bill_number_is_taken_once_per_till_and_bad_bills_write_nothing() {
    let app = TestApp::new().await;
    let customer = register(&app, WALK_TILL, "919900100400").await;
    add_bill(&app, WALK_TILL, customer, &bill("dup-1", 100)).await;
    let before = written_rows(&app).await;
    let path = format!("/v2/transactions?identifierName=id&identifierValue={customer}&source=INSTORE");
    let again = app.post(&path).basic(WALK_TILL, DEMO_PASSWORD).json(&bill("dup-1", 100)).send().await;
    assert_v2_error(&again, StatusCode::BAD_REQUEST, 604);
    for (query, body, code) in [
        ("identifierName=id&identifierValue=abc&source=INSTORE", bill("x-1", 100), 8154),
        ("identifierName=mobile&identifierValue=919999999999&source=INSTORE", bill("x-1", 100), 8015),
        ("identifierName=shoe&identifierValue=1&source=INSTORE", bill("x-1", 100), 8013),
        (
            &*format!("identifierName=id&identifierValue={customer}&source=INSTORE"),
            json!({"type": "REGULAR", "billNumber": "x-1", "billAmount": "-5"}),
            601,
        ),
        (&*format!("identifierName=id&identifierValue={customer}&source=INSTORE"), json!({"type": "REGULAR", "billAmount": "5"}), 602),
        (
            &*format!("identifierName=id&identifierValue={customer}&source=INSTORE"),
            json!({"type": "LAYAWAY", "billNumber": "x-1", "billAmount": "5"}),
            690,
        ),
        (
            &*format!("identifierName=id&identifierValue={customer}&source=INSTORE"),
            json!({"type": "REGULAR", "billNumber": "x-1", "billAmount": "5", "billingDate": "2027-01-01T00:00:00Z"}),
            643,
        ),
        (
            &*format!("identifierName=id&identifierValue={customer}&source=INSTORE"),
            json!({"type": "REGULAR", "billNumber": "x-1", "lineItemsV2": [{"itemCode": "a", "amount": -1}]}),
            661,
        ),
        (
            &*format!("identifierName=id&identifierValue={customer}&source=INSTORE"),
            json!({"type": "REGULAR", "billNumber": "x-1", "billAmount": "5", "discount": "-1"}),
            666,
        ),
    ] {
        let response = app.post(&format!("/v2/transactions?{query}")).basic(WALK_TILL, DEMO_PASSWORD).json(&body).send().await;
        assert_v2_error(&response, StatusCode::BAD_REQUEST, code);
    }
    assert_eq!(written_rows(&app).await, before);
    // The same number at another till is another bill.
    let other_till = app.post(&path).basic("walk.online.till", DEMO_PASSWORD).json(&bill("dup-1", 100)).send().await;
    assert_eq!(other_till.status, StatusCode::OK, "{}", other_till.text());
}

/// Ten bills for one customer at once: no update is lost to another.
#[tokio::test]
async fn concurrent_bills_for_one_customer_lose_no_update() {
    let app = TestApp::new().await;
    let customer = register(&app, WALK_TILL, "919900100500").await;
    let mut tasks = Vec::new();
    for n in 0..10 {
        let router = app.router.clone();
        tasks.push(tokio::spawn(async move {
            TestRequest::on(
                router,
                axum::http::Method::POST,
                &format!("/v2/transactions?identifierName=id&identifierValue={customer}&source=INSTORE"),
            )
            .basic(WALK_TILL, DEMO_PASSWORD)
            .json(&bill(&format!("race-{n}"), 100))
            .send()
            .await
        }));
    }
    // And the same bill number ten times at once: one is added.
    for _ in 0..10 {
        let router = app.router.clone();
        tasks.push(tokio::spawn(async move {
            TestRequest::on(
                router,
                axum::http::Method::POST,
                &format!("/v2/transactions?identifierName=id&identifierValue={customer}&source=INSTORE"),
            )
            .basic(WALK_TILL, DEMO_PASSWORD)
            .json(&bill("race-same", 100))
            .send()
            .await
        }));
    }
    let mut codes = Vec::new();
    for task in tasks {
        let response = task.await.unwrap();
        codes.push(if response.status == StatusCode::OK { 200 } else { response.json()["errors"][0]["code"].as_i64().unwrap() });
    }
    assert_eq!(codes.iter().filter(|code| **code == 200).count(), 11, "{codes:?}");
    assert_eq!(codes.iter().filter(|code| **code == 604).count(), 9, "{codes:?}");
    // 11 bills of 100: 110 points, 1100 spent, 11 bills counted (the count target completed once).
    assert_eq!(main_points(&app, WALK_TILL, customer).await, 110.0 + 50.0);
    assert_eq!(v3_targets(&app, WALK_TILL, customer, 1009401).await, vec![("Spend2500_M3".to_owned(), 1100.0, false)]);
    assert_eq!(v3_targets(&app, WALK_TILL, customer, 1009402).await, vec![("ThreeBills_M3".to_owned(), 11.0, true)]);
    assert_eq!(das_completions(&app, WALK_TILL, customer).await.len(), 1);
}

/// The tenant's clock decides the period: after the clock moves into April, a bill counts there.
#[tokio::test]
async fn advancing_the_clock_moves_bills_into_the_next_period() {
    let app = TestApp::new().await;
    let customer = register(&app, WALK_TILL, "919900100600").await;
    let march = json!({"type": "REGULAR", "billNumber": "m-1", "billAmount": "1000"});
    let answer = add_bill(&app, WALK_TILL, customer, &march).await;
    assert_eq!(answer["rawSideEffects"][0]["periodRefCode"], "Spend2500_M3");
    let advanced = app.post("/__admin/clock/advance").admin().json(&json!({"by": "P30D"})).send().await;
    assert_eq!(advanced.status, StatusCode::OK, "{}", advanced.text());
    let april = json!({"type": "REGULAR", "billNumber": "a-1", "billAmount": "700"});
    let answer = add_bill(&app, WALK_TILL, customer, &april).await;
    assert_eq!(answer["rawSideEffects"][0]["periodRefCode"], "Spend2500_M4");
    assert_eq!(answer["rawSideEffects"][0]["targetAchievedValueBeforeEvent"], "0.000");
    assert_eq!(answer["rawSideEffects"][0]["periodStartDate"], "2026-04-01");
    assert_eq!(answer["rawSideEffects"][2]["awardedOn"], "9th Apr, 2026");
    let mut targets = v3_targets(&app, WALK_TILL, customer, 1009401).await;
    targets.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(targets, vec![("Spend2500_M3".to_owned(), 1000.0, false), ("Spend2500_M4".to_owned(), 700.0, false)]);
}

#[tokio::test]
async fn bulk_adds_each_transaction_on_its_own() {
    let app = TestApp::new().await;
    let customer = register(&app, WALK_TILL, "919900100700").await;
    let mut good = bill("bulk-1", 300);
    good["identifierType"] = json!("mobile");
    good["identifierValue"] = json!("919900100700");
    good["source"] = json!("INSTORE");
    let mut bad = bill("bulk-2", 300);
    bad["identifierType"] = json!("mobile");
    bad["identifierValue"] = json!("919999999999");
    bad["source"] = json!("INSTORE");
    let response = app.post("/v2/transactions/bulk").basic(WALK_TILL, DEMO_PASSWORD).json(&json!([good, bad])).send().await;
    assert_eq!(response.status, StatusCode::CREATED, "{}", response.text());
    let body = response.json();
    assert_eq!(body["totalCount"], 2);
    assert_eq!(body["failureCount"], 1);
    let items = body["response"].as_array().unwrap();
    assert!(items[0]["entityId"].is_i64());
    assert_eq!(items[0]["result"]["billNumber"], "bulk-1");
    assert_eq!(items[0]["result"]["sideEffects"][0]["awardedPoints"], 30);
    assert_eq!(items[0]["errors"], json!([]));
    assert_eq!(items[1]["errors"][0]["code"], 8015);
    assert_eq!(main_points(&app, WALK_TILL, customer).await, 30.0);
    let all_bad = app.post("/v2/transactions/bulk").basic(WALK_TILL, DEMO_PASSWORD).json(&json!([bad])).send().await;
    assert_eq!(all_bad.status, StatusCode::BAD_REQUEST);
    let not_array = app.post("/v2/transactions/bulk").basic(WALK_TILL, DEMO_PASSWORD).json(&json!({})).send().await;
    assert_v2_error(&not_array, StatusCode::BAD_REQUEST, 400);
}
