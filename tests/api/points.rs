//! v1.1 points redemption: isredeemable, validationcode and redeem against the documented
//! samples' shapes, the org's redemption settings (demo org: at least 10 points, a point is worth
//! 0.25), and the redemption on the ledger reads.

use axum::http::StatusCode;
use serde_json::{Value, json};
use sqlx::PgPool;

use crate::{changes::DataChanges, helpers::*};

const WEBHOOK: &str = "/webhooks/d61233f75191444e73a577bbbd4c26eb";
const ROHAN: i64 = 387970842;
const ROHAN_MOBILE: &str = "919900387942";

/// Three store check-ins: 30 points in the demo program.
async fn earn_30_points(app: &TestApp) {
    earn_30_points_by(app, ROHAN_MOBILE).await;
}

async fn earn_30_points_by(app: &TestApp, mobile: &str) {
    for _ in 0..3 {
        let response = app.post(WEBHOOK).json(&json!({"event_name": "StoreCheckIn", "mobile": mobile})).send().await;
        assert_eq!(response.status, StatusCode::OK, "{}", response.text());
    }
}

async fn ledger_rows(pool: &PgPool) -> String {
    sqlx::query_scalar(
        "SELECT concat((SELECT count(*) FROM event_logs), '|', (SELECT count(*) FROM points_ledger_entries), '|',
                       (SELECT count(*) FROM points_redemptions), '|', (SELECT count(*) FROM points_validation_codes), '|', (SELECT json_agg(g ORDER BY request_id)::text FROM goodwill_requests g))",
    )
    .fetch_one(pool)
    .await
    .unwrap()
}

/// A failed item: HTTP 400, request status 500, the item's code; its message.
#[track_caller]
fn assert_item_failed(response: &TestResponse, item: &str, code: i64) -> String {
    assert_eq!(response.status, StatusCode::BAD_REQUEST, "{}", response.text());
    let body = response.json();
    assert_eq!(
        body["response"]["status"],
        json!({"success": "false", "code": 500, "message": "All requests have failed due to errors"}),
        "{body}"
    );
    let status = &body.pointer(item).unwrap_or_else(|| panic!("no {item}: {body}"))["item_status"];
    assert_eq!((status["success"].clone(), status["code"].clone()), (json!("false"), json!(code)), "{body}");
    status["message"].as_str().unwrap().to_owned()
}

fn is_redeemable(points: &str) -> String {
    format!("/v1.1/points/isredeemable?program_id=2809&points={points}&mobile={ROHAN_MOBILE}&format=json")
}

#[tokio::test]
async fn points_are_checked_redeemed_and_on_the_ledger() {
    let app = TestApp::new().await;
    let response = app.get(&is_redeemable("20")).demo().send().await;
    assert!(assert_item_failed(&response, "/response/points/redeemable", 818).contains("0 available"));
    earn_30_points(&app).await;

    let response = app.get(&is_redeemable("20")).demo().send().await;
    assert_eq!(response.status, StatusCode::OK, "{}", response.text());
    let body = response.json();
    assert_eq!(body["response"]["status"], json!({"success": "true", "code": 200, "message": "Success"}));
    let redeemable = &body["response"]["points"]["redeemable"];
    assert_eq!(
        keys_of(redeemable),
        [
            "mobile",
            "email",
            "external_id",
            "points",
            "is_redeemable",
            "points_redeem_value",
            "points_redeem_local_value",
            "input_type",
            "points_currency_ratio",
            "item_status"
        ]
    );
    assert_eq!(redeemable["points"], json!(20));
    assert_eq!(redeemable["is_redeemable"], "true");
    assert_eq!(redeemable["points_redeem_value"], json!(5), "20 points at 0.25");
    assert_eq!(redeemable["points_currency_ratio"], "0.25");
    assert_eq!(redeemable["item_status"], json!({"success": "true", "code": 800, "message": "Points can be redeemed"}));

    let mut changes = DataChanges::listen(&app.pool).await;
    let redemption = json!({"root": {"redeem": [{
        "points_redeemed": 20, "customer": {"mobile": ROHAN_MOBILE}, "external_reference_number": "a3fd1a63-1aa3-4c47-9173-398",
        "transaction_number": "bilnum100000", "notes": "Redeemed at the counter",
        "custom_fields": {"field": [{"name": "point_transfered_to", "value": "9777788221"}]}
    }]}});
    let response = app.post("/v1.1/points/redeem?format=json&program_id=2809").demo().json(&redemption).send().await;
    assert_eq!(response.status, StatusCode::OK, "{}", response.text());
    assert_eq!(changes.count().await, 1);
    let body = response.json();
    let points = &body["response"]["responses"]["points"];
    assert_eq!(
        keys_of(points),
        [
            "mobile",
            "email",
            "external_id",
            "user_id",
            "redemption_id",
            "points_redeemed",
            "redemption_purpose",
            "redeemed_value",
            "redeemed_local_value",
            "balance",
            "side_effects",
            "item_status"
        ]
    );
    assert_eq!(points["user_id"], ROHAN.to_string());
    assert_eq!(points["points_redeemed"], "20");
    assert_eq!((points["redeemed_value"].clone(), points["balance"].clone()), (json!(5), json!(10)));
    assert_eq!(points["redemption_id"].as_str().unwrap().len(), 6);
    let effect = &points["side_effects"]["effect"][0];
    assert_eq!(
        (effect["num_points"].clone(), effect["redeemed_on_bill_number"].clone(), effect["type"].clone()),
        (json!(20), json!("bilnum100000"), json!("points"))
    );
    assert_eq!(points["item_status"], json!({"success": "true", "code": 800, "message": "Points Redeemed"}));
    let event_id = effect["points_redemption_summary_id"].as_str().unwrap().to_owned();

    // The DEBIT on the DAS ledger, and the redemption in the explode.
    let debits = das_entries(&app, "DEBIT", ROHAN, "2024-06-20").await;
    assert_eq!(debits.len(), 1, "{debits:?}");
    assert_eq!((debits[0]["eventName"].clone(), debits[0]["points"].clone()), (json!("PointsRedemption"), json!(20)));
    assert_eq!(debits[0]["eventLogId"].to_string(), event_id);
    let explode = app
        .get(&format!("/v2/pointsLedger/getLedgerExplodeInfo?identifierName=id&identifierValue={ROHAN}&source=INSTORE&eventIds={event_id}&getCustomFields=true"))
        .demo()
        .send()
        .await;
    assert_eq!(explode.status, StatusCode::OK, "{}", explode.text());
    let explode = explode.json();
    assert_eq!(explode["events"][0]["eventName"], "PointsRedemption", "{explode}");
    let details = &explode["events"][0]["eventDetails"]["redemptionDetails"];
    assert_eq!(details["pointsRedeemed"], "20.000");
    assert_eq!(details["externalReferenceNumber"], "a3fd1a63-1aa3-4c47-9173-398");
    assert_eq!(details["redemptionId"], points["redemption_id"]);
    assert_eq!(explode["events"][0]["customFields"], json!([{"name": "point_transfered_to", "value": "9777788221"}]));

    // The idempotency key once; 10 points left, so 20 more are too many.
    let before = ledger_rows(&app.pool).await;
    let again = app.post("/v1.1/points/redeem?format=json").demo().json(&redemption).send().await;
    assert!(assert_item_failed(&again, "/response/responses/points", 817).contains("a3fd1a63"));
    let mut more = redemption.clone();
    more["root"]["redeem"][0]["external_reference_number"] = json!("another");
    assert_item_failed(&app.post("/v1.1/points/redeem").demo().json(&more).send().await, "/response/responses/points", 818);
    assert_eq!(ledger_rows(&app.pool).await, before);
}

#[tokio::test]
async fn a_validation_code_is_issued_and_spent_once() {
    let app = TestApp::new().await;
    earn_30_points(&app).await;
    let response = app.get(&format!("/v1.1/points/validationcode?points=10&mobile={ROHAN_MOBILE}&format=json")).demo().send().await;
    assert_eq!(response.status, StatusCode::OK, "{}", response.text());
    let body = response.json();
    assert_eq!(body["response"]["status"], json!({"success": "true", "code": "200", "message": "Operation Successful"}));
    let code = &body["response"]["validation_code"]["code"];
    assert_eq!(keys_of(code), ["user_id", "mobile", "points", "item_status"]);
    assert_eq!(
        (code["user_id"].clone(), code["mobile"].clone(), code["points"].clone()),
        (json!(ROHAN.to_string()), json!(ROHAN_MOBILE), json!("10"))
    );
    assert_eq!(code["item_status"], json!({"success": "true", "code": "200", "message": "Validation Code Issued by SMS/Email"}));
    let issued: String = sqlx::query_scalar("SELECT code FROM points_validation_codes WHERE customer_id = $1")
        .bind(ROHAN)
        .fetch_one(&app.pool)
        .await
        .unwrap();

    let wrong = app.get(&format!("{}&validation_code=WRONG1", is_redeemable("10"))).demo().send().await;
    assert_item_failed(&wrong, "/response/points/redeemable", 808);
    let right = app.get(&format!("{}&validation_code={issued}", is_redeemable("10"))).demo().send().await;
    assert_eq!(right.status, StatusCode::OK, "{}", right.text());
    let too_many = app.get(&format!("{}&validation_code={issued}", is_redeemable("20"))).demo().send().await;
    assert!(assert_item_failed(&too_many, "/response/points/redeemable", 808).contains("issued for 10"));

    let redeem = |code: &str| json!({"root": {"redeem": [{"points_redeemed": "10", "customer": {"id": ROHAN}, "validation_code": code}]}});
    let response = app.post("/v1.1/points/redeem").demo().json(&redeem(&issued)).send().await;
    assert_eq!(response.status, StatusCode::OK, "{}", response.text());
    assert_eq!(response.json()["response"]["responses"]["points"]["side_effects"]["effect"][0]["validation_code"], issued.as_str());
    let again = app.post("/v1.1/points/redeem").demo().json(&redeem(&issued)).send().await;
    assert!(assert_item_failed(&again, "/response/responses/points", 808).contains("used"));
}

#[tokio::test]
async fn bad_requests_get_the_documented_codes_and_change_nothing() {
    let app = TestApp::new().await;
    earn_30_points(&app).await;
    let before = ledger_rows(&app.pool).await;
    let cases = [
        (is_redeemable("5"), 821, "at least 10"),
        (is_redeemable("-5"), 801, "-5"),
        (is_redeemable("abc"), 801, "abc"),
        (is_redeemable("10.1234"), 878, "3 decimal"),
        ("/v1.1/points/isredeemable?points=10&mobile=910000000000".to_owned(), 816, "910000000000"),
        ("/v1.1/points/isredeemable?points=10".to_owned(), 802, "mobile"),
        (format!("/v1.1/points/isredeemable?points=10&program_id=999&mobile={ROHAN_MOBILE}"), 1101, "999"),
        (format!("/v1.1/points/isredeemable?points=10&validation_type=MISSED_CALL&mobile={ROHAN_MOBILE}"), 823, "MISSED_CALL"),
    ];
    for (uri, code, named) in cases {
        let message = assert_item_failed(&app.get(&uri).demo().send().await, "/response/points/redeemable", code);
        assert!(message.contains(named), "{uri}: names {named}: {message}");
    }
    let redeem = |item: Value| json!({"root": {"redeem": [item]}});
    let items = [
        (redeem(json!({"points_redeemed": 0, "customer": {"mobile": ROHAN_MOBILE}})), 801),
        (redeem(json!({"points_redeemed": 40, "customer": {"mobile": ROHAN_MOBILE}})), 818),
        (redeem(json!({"points_redeemed": 10, "customer": {"email": "nobody@example.com"}})), 816),
        (redeem(json!({"points_redeemed": 10, "customer": {}})), 802),
    ];
    for (body, code) in items {
        assert_item_failed(&app.post("/v1.1/points/redeem").demo().json(&body).send().await, "/response/responses/points", code);
    }
    // Request-level errors in the v1.1 envelope.
    let request_errors = [
        (app.get(&format!("{}&currency_value=1", is_redeemable("10"))).demo().send().await, StatusCode::BAD_REQUEST, 400),
        (app.get(&format!("{}&format=xml", is_redeemable("10"))).demo().send().await, StatusCode::BAD_REQUEST, 400),
        (app.post("/v1.1/points/redeem").demo().json(&json!({"redeem": []})).send().await, StatusCode::BAD_REQUEST, 400),
        (
            app.post("/v1.1/points/redeem")
                .demo()
                .json(&redeem(json!({"points_redeemed": 10, "customer": {"id": ROHAN}, "purpose": "x"})))
                .send()
                .await,
            StatusCode::BAD_REQUEST,
            400,
        ),
        (app.get(&is_redeemable("10")).send().await, StatusCode::UNAUTHORIZED, 401),
    ];
    for (response, status, code) in request_errors {
        assert_eq!(response.status, status, "{}", response.text());
        let body = response.json();
        assert_eq!(keys_of(&body), ["response"]);
        assert_eq!(keys_of(&body["response"]), ["status"]);
        assert_eq!(
            (body["response"]["status"]["success"].clone(), body["response"]["status"]["code"].clone()),
            (json!("false"), json!(code)),
            "{body}"
        );
    }
    assert_eq!(ledger_rows(&app.pool).await, before);
}

/// The customer's DAS ledger entries of `types` (`CREDIT`, `DEBIT`) on one day.
pub(crate) async fn das_entries(app: &TestApp, types: &str, customer: i64, day: &str) -> Vec<Value> {
    let das = app
        .get(&format!(
            "/das/getLedgerEntriesWithEventId?ledger_entry_types={types}&entity_id={customer}&start_date={day}&end_date={day}&is_filter_not_based_on_date=0&till_ids=-1&is_till_not_present=1"
        ))
        .demo()
        .send()
        .await;
    assert_eq!(das.status, StatusCode::OK, "{}", das.text());
    das.json().as_array().unwrap().clone()
}

/// Rohan's CREDIT rows on the DAS ledger at the demo clock.
async fn credits(app: &TestApp) -> Vec<Value> {
    das_entries(app, "CREDIT", ROHAN, "2024-06-20").await
}

#[tokio::test]
async fn goodwill_points_are_allocated_only_when_the_request_is_approved() {
    let app = TestApp::new().await;
    // The page's sample, for Rohan.
    let request = json!({"root": {"request": [{
        "customer": {"id": ROHAN.to_string(), "mobile": "", "email": "", "external_id": ""},
        "comments": "API Service request - Awarding 200 points.", "reason": "Issue Goodwill points",
        "type": "GOODWILL", "base_type": "POINTS", "points": "200"
    }]}});
    let response = app.post("/v1.1/request/add?format=json").demo().json(&request).send().await;
    assert_eq!(response.status, StatusCode::OK, "{}", response.text());
    let body = response.json();
    assert_eq!(body["response"]["status"], json!({"success": true, "code": 200, "message": "Success"}));
    let filed = &body["response"]["requests"]["request"][0];
    assert_eq!(
        keys_of(filed),
        [
            "reference_id",
            "id",
            "status",
            "requested_on",
            "type",
            "base_type",
            "customer",
            "old_value",
            "new_value",
            "old_type",
            "new_type",
            "misc_info",
            "transaction_id",
            "reason",
            "comments",
            "item_status"
        ]
    );
    assert_eq!((filed["status"].clone(), filed["requested_on"].clone()), (json!("PENDING"), json!("2024-06-20 12:30:00")));
    assert_eq!(filed["customer"]["id"], ROHAN);
    assert_eq!(filed["item_status"], json!({"success": true, "code": 9100, "message": "Goodwill request added successfully"}));
    assert!(credits(&app).await.is_empty(), "nothing is awarded before approval");
    let id = filed["id"].as_str().unwrap().to_owned();

    let mut changes = DataChanges::listen(&app.pool).await;
    let approval = json!({"root": {"request": [{"type": "GOODWILL", "base_type": "POINTS", "id": id, "updated_comments": "Seems to a valid request. hence approving"}]}});
    let response = app.post("/v1.1/request/approve").demo().json(&approval).send().await;
    assert_eq!(response.status, StatusCode::OK, "{}", response.text());
    assert_eq!(changes.count().await, 1);
    let goodwill = response.json()["response"]["requests"]["goodwill"].clone();
    assert_eq!(keys_of(&goodwill), ["type", "reason", "comments", "updated_comments", "status", "customer", "added_on", "last_action_on"]);
    assert_eq!((goodwill["status"].clone(), goodwill["reason"].clone()), (json!("APPROVED"), json!("Issue Goodwill points")));
    assert_eq!(goodwill["last_action_on"], "2024-06-20T12:30:00+05:30");

    let credits = credits(&app).await;
    assert_eq!(credits.len(), 1, "{credits:?}");
    assert_eq!(
        (credits[0]["eventName"].clone(), credits[0]["points"].clone(), credits[0]["requestId"].clone()),
        (json!("AllocateGoodwillPoints"), json!(200), json!(id))
    );
    let explode = app
        .get(&format!(
            "/v2/pointsLedger/getLedgerExplodeInfo?identifierName=id&identifierValue={ROHAN}&source=INSTORE&eventIds={}",
            credits[0]["eventLogId"]
        ))
        .demo()
        .send()
        .await
        .json();
    assert_eq!(explode["events"][0]["eventName"], "AllocateGoodwillPoints", "{explode}");
    assert_eq!(explode["events"][0]["pointsEarned"]["regular"][0]["value"], json!(200), "{explode}");
    // Now redeemable.
    assert_eq!(app.get(&is_redeemable("200")).demo().send().await.status, StatusCode::OK);

    let before = ledger_rows(&app.pool).await;
    let again = app.post("/v1.1/request/approve").demo().json(&approval).send().await;
    assert!(assert_item_failed(&again, "/response/requests/goodwill", 9012).contains("APPROVED"));
    let unknown = json!({"root": {"request": [{"type": "GOODWILL", "base_type": "POINTS", "id": "999999"}]}});
    assert_item_failed(&app.post("/v1.1/request/approve").demo().json(&unknown).send().await, "/response/requests/goodwill", 9011);
    let mut coupon = request.clone();
    coupon["root"]["request"][0]["base_type"] = json!("COUPON");
    assert_item_failed(&app.post("/v1.1/request/add").demo().json(&coupon).send().await, "/response/requests/request", 9008);
    let mut change = request.clone();
    change["root"]["request"][0]["type"] = json!("CHANGE_IDENTIFIER");
    assert_item_failed(&app.post("/v1.1/request/add").demo().json(&change).send().await, "/response/requests/request", 9006);
    let mut nobody = request.clone();
    nobody["root"]["request"][0]["customer"]["id"] = json!("999999");
    assert_item_failed(&app.post("/v1.1/request/add").demo().json(&nobody).send().await, "/response/requests/request", 816);
    assert_eq!(ledger_rows(&app.pool).await, before);

    // client_auto_approve=true: approved and allocated at once.
    let response = app.post("/v1.1/request/add?client_auto_approve=true").demo().json(&request).send().await;
    assert_eq!(response.json()["response"]["requests"]["request"][0]["status"], "APPROVED");
    assert_eq!(self::credits(&app).await.len(), 2);
}

#[tokio::test]
async fn concurrent_redemptions_for_one_customer_never_spend_more_than_the_balance() {
    let app = TestApp::new().await;
    earn_30_points(&app).await;
    let redeem = |reference: &str| {
        app.post("/v1.1/points/redeem")
            .demo()
            .json(&json!({"root": {"redeem": [{"points_redeemed": 20, "customer": {"mobile": ROHAN_MOBILE}, "external_reference_number": reference}]}}))
            .send()
    };
    let (a, b, c, d) = tokio::join!(redeem("r1"), redeem("r2"), redeem("r3"), redeem("r4"));
    let answers = [a, b, c, d];
    let statuses: Vec<StatusCode> = answers.iter().map(|answer| answer.status).collect();
    assert_eq!(statuses.iter().filter(|status| **status == StatusCode::OK).count(), 1, "one of four fits in 30 points: {statuses:?}");
    for answer in answers.iter().filter(|answer| answer.status != StatusCode::OK) {
        assert_item_failed(answer, "/response/responses/points", 818);
    }
    let debits = das_entries(&app, "DEBIT", ROHAN, "2024-06-20").await;
    assert_eq!(debits.len(), 1, "{debits:?}");
    let check = app.get(&is_redeemable("10")).demo().send().await;
    assert_eq!(check.status, StatusCode::OK, "10 points left: {}", check.text());
    assert_item_failed(&app.get(&is_redeemable("11")).demo().send().await, "/response/points/redeemable", 818);
}

/// Redeems `points` of Rohan's (demo program); returns the redemption id.
async fn redeem(app: &TestApp, points: i64) -> String {
    redeem_by(app, ROHAN_MOBILE, points).await
}

async fn redeem_by(app: &TestApp, mobile: &str, points: i64) -> String {
    let body = json!({"root": {"redeem": [{"points_redeemed": points, "customer": {"mobile": mobile}}]}});
    let response = app.post("/v1.1/points/redeem?program_id=2809").demo().json(&body).send().await;
    assert_eq!(response.status, StatusCode::OK, "{}", response.text());
    response.json()["response"]["responses"]["points"]["redemption_id"].as_str().unwrap().to_owned()
}

async fn reverse(app: &TestApp, body: Value) -> TestResponse {
    app.post("/v2/points/reverse").demo().json(&body).send().await
}

async fn main_points_of_rohan(app: &TestApp) -> Value {
    main_points_of(app, ROHAN).await
}

async fn main_points_of(app: &TestApp, customer: i64) -> Value {
    let response = app.get(&format!("/v2/customers/{customer}/points/balance")).demo().send().await;
    assert_eq!(response.status, StatusCode::OK, "{}", response.text());
    response.json()["mainPoints"].clone()
}

/// The event as getLedgerExplodeInfo (v2 or v2.1) prints it.
async fn exploded(app: &TestApp, version: &str, customer: i64, event_id: i64) -> Value {
    let response = app
        .get(&format!(
            "/{version}/pointsLedger/getLedgerExplodeInfo?identifierName=id&identifierValue={customer}&source=INSTORE&eventIds={event_id}"
        ))
        .demo()
        .send()
        .await;
    assert_eq!(response.status, StatusCode::OK, "{}", response.text());
    let body = response.json();
    assert_eq!(body["events"].as_array().map(Vec::len), Some(1), "{body}");
    body["events"][0].clone()
}

async fn reversal_rows(pool: &PgPool) -> String {
    let reversals: String =
        sqlx::query_scalar("SELECT concat(count(*), '|', coalesce(sum(points_to_be_reversed), 0)) FROM points_redemption_reversals")
            .fetch_one(pool)
            .await
            .unwrap();
    format!("{}|{reversals}", ledger_rows(pool).await)
}

#[tokio::test]
async fn a_redemption_is_reversed_in_parts_and_every_read_follows() {
    let app = TestApp::new().await;
    earn_30_points(&app).await;
    let redemption_id = redeem(&app, 20).await;
    assert_eq!(main_points_of_rohan(&app).await, json!(10));

    let mut changes = DataChanges::listen(&app.pool).await;
    let identifier = json!({"type": "mobile", "value": ROHAN_MOBILE});
    let response = reverse(&app, json!({"redemptionId": redemption_id, "pointsToBeReversed": 5, "identifier": identifier})).await;
    assert_eq!(response.status, StatusCode::OK, "{}", response.text());
    assert_eq!(changes.count().await, 1);
    let body = response.json();
    assert_eq!(
        keys_of(&body),
        [
            "orgId",
            "identifier",
            "customerId",
            "redemptionId",
            "reversalId",
            "pointsToBeReversed",
            "pointsReversed",
            "pointsReversedDetails",
            "warnings",
            "errors"
        ]
    );
    let reversal_id = body["reversalId"].as_i64().unwrap();
    assert_eq!(
        body,
        json!({
            "orgId": 50406, "identifier": identifier, "customerId": ROHAN, "redemptionId": redemption_id, "reversalId": reversal_id,
            "pointsToBeReversed": 5, "pointsReversed": 5, "pointsReversedDetails": {"available": 5, "expired": 0},
            "warnings": [], "errors": []
        })
    );
    assert_eq!(main_points_of_rohan(&app).await, json!(15));

    // The CREDIT on the DAS ledger, and the reversal in the explode (v2 and v2.1) with the
    // redemption it reverses and the points it gave back, expiring as the check-ins do.
    let reversal_credits: Vec<Value> =
        credits(&app).await.into_iter().filter(|entry| entry["eventName"] == "PointsRedemptionReversal").collect();
    assert_eq!(reversal_credits.len(), 1, "{reversal_credits:?}");
    assert_eq!((reversal_credits[0]["points"].clone(), reversal_credits[0]["eventLogId"].clone()), (json!(5), json!(reversal_id)));
    for version in ["v2", "v2.1"] {
        let event = exploded(&app, version, ROHAN, reversal_id).await;
        assert_eq!(event["eventName"], "PointsRedemptionReversal", "{event}");
        assert_eq!(event["eventReferenceId"], redemption_id.as_str(), "{event}");
        assert_eq!(event["eventDetails"]["redemptionDetails"]["redemptionId"], redemption_id.as_str(), "{event}");
        assert_eq!(event["eventDetails"]["redemptionDetails"]["pointsRedeemed"], "20.000", "{event}");
        let regular = &event["pointsEarned"]["regular"];
        assert_eq!(regular.as_array().map(Vec::len), Some(1), "{event}");
        assert_eq!(regular[0]["value"], json!(5), "{event}");
        assert_eq!(regular[0]["expiresOnISO"].as_str().map(|day| &day[..10]), Some("2025-06-20"), "{event}");
    }

    // The rest (no pointsToBeReversed: all that is left), by the customer's id this time.
    let response = reverse(&app, json!({"redemptionId": redemption_id, "identifier": {"type": "id", "value": ROHAN.to_string()}})).await;
    assert_eq!(response.status, StatusCode::OK, "{}", response.text());
    let body = response.json();
    assert_eq!(
        (body["pointsToBeReversed"].clone(), body["pointsReversedDetails"].clone()),
        (json!(15), json!({"available": 15, "expired": 0}))
    );
    assert_ne!(body["reversalId"], json!(reversal_id));
    assert_eq!(main_points_of_rohan(&app).await, json!(30));
    let mut reversed: Vec<i64> = credits(&app)
        .await
        .into_iter()
        .filter(|entry| entry["eventName"] == "PointsRedemptionReversal")
        .map(|entry| entry["points"].as_i64().unwrap())
        .collect();
    reversed.sort_unstable();
    assert_eq!(reversed, [5, 15]);

    // A third reversal is a duplicate: 902, nothing written.
    let before = reversal_rows(&app.pool).await;
    let again = reverse(&app, json!({"redemptionId": redemption_id, "identifier": identifier})).await;
    assert!(assert_v2_error(&again, StatusCode::BAD_REQUEST, 902).contains(&redemption_id));
    assert_eq!(reversal_rows(&app.pool).await, before);
    assert_eq!(main_points_of_rohan(&app).await, json!(30));
}

#[tokio::test]
async fn reversed_points_whose_credit_expired_are_reported_expired_and_not_given_back() {
    let app = TestApp::new().await;
    let set_clock = |at: &'static str| {
        let app = &app;
        async move {
            let clock = app.request(axum::http::Method::PUT, "/__admin/clock").admin().json(&json!({"frozen_at": at})).send().await;
            assert_eq!(clock.status, StatusCode::OK, "{}", clock.text());
        }
    };
    // Meera (no points before): 30 points expiring 2025-06-20, then 30 expiring 2026-01-01; 40
    // redeemed take the first 30 and 10 of the others.
    const MEERA: i64 = 387970843;
    const MEERA_MOBILE: &str = "919900387943";
    earn_30_points_by(&app, MEERA_MOBILE).await;
    set_clock("2025-01-01T12:00:00+05:30").await;
    earn_30_points_by(&app, MEERA_MOBILE).await;
    let redemption_id = redeem_by(&app, MEERA_MOBILE, 40).await;
    assert_eq!(main_points_of(&app, MEERA).await, json!(20));
    set_clock("2025-07-01T12:00:00+05:30").await;

    let response = reverse(&app, json!({"redemptionId": redemption_id, "identifier": {"type": "mobile", "value": MEERA_MOBILE}})).await;
    assert_eq!(response.status, StatusCode::OK, "{}", response.text());
    let body = response.json();
    assert_eq!(
        (body["pointsToBeReversed"].clone(), body["pointsReversed"].clone(), body["pointsReversedDetails"].clone()),
        (json!(40), json!(40), json!({"available": 10, "expired": 30}))
    );
    assert_eq!(main_points_of(&app, MEERA).await, json!(30));
    let event = exploded(&app, "v2", MEERA, body["reversalId"].as_i64().unwrap()).await;
    let regular = &event["pointsEarned"]["regular"];
    assert_eq!((regular.as_array().map(Vec::len), regular[0]["value"].clone()), (Some(1), json!(10)), "{event}");
    assert_eq!(regular[0]["expiresOnISO"].as_str().map(|day| &day[..10]), Some("2026-01-01"), "{event}");
}

#[tokio::test]
async fn bad_reversals_get_the_documented_codes_and_change_nothing() {
    let app = TestApp::new().await;
    earn_30_points(&app).await;
    let redemption_id = redeem(&app, 20).await;
    let rohan = json!({"type": "mobile", "value": ROHAN_MOBILE});
    let before = reversal_rows(&app.pool).await;
    let cases = [
        (json!({"redemptionId": redemption_id, "pointsToBeReversed": 25, "identifier": rohan}), 903, "'pointsToBeReversed' 25"),
        (json!({"redemptionId": "zzzzzz", "identifier": rohan}), 901, "zzzzzz"),
        (json!({"identifier": rohan}), 901, "redemptionId"),
        (json!({"redemptionId": redemption_id, "pointsToBeReversed": 0, "identifier": rohan}), 901, "pointsToBeReversed"),
        (json!({"redemptionId": redemption_id, "pointsToBeReversed": "five", "identifier": rohan}), 901, "pointsToBeReversed"),
        (json!({"redemptionId": redemption_id, "pointsToBeReversed": 1.2345, "identifier": rohan}), 878, "pointsToBeReversed"),
        // Meera's mobile: the redemption is not hers.
        (json!({"redemptionId": redemption_id, "identifier": {"type": "mobile", "value": "919900387943"}}), 904, "919900387943"),
        (json!({"redemptionId": redemption_id, "identifier": {"type": "mobile", "value": "910000000000"}}), 904, "910000000000"),
        (json!({"redemptionId": redemption_id, "identifier": {"type": "passport", "value": "X"}}), 904, "identifier.type"),
        (json!({"redemptionId": redemption_id, "identifier": {"type": "mobile"}}), 904, "identifier.value"),
        (json!({"redemptionId": redemption_id}), 904, "identifier"),
        (json!({"redemptionId": redemption_id, "identifier": rohan, "notes": "x"}), 400, "notes"),
    ];
    for (body, code, named) in cases {
        let message = assert_v2_error(&reverse(&app, body.clone()).await, StatusCode::BAD_REQUEST, code);
        assert!(message.contains(named), "{body}: names {named}: {message}");
    }
    let not_json = app.post("/v2/points/reverse").demo().body("application/json", "{").send().await;
    assert_v2_error(&not_json, StatusCode::BAD_REQUEST, 400);
    assert_v2_error(&app.post("/v2/points/reverse").json(&json!({})).send().await, StatusCode::UNAUTHORIZED, 401);
    assert_eq!(reversal_rows(&app.pool).await, before);
    assert_eq!(main_points_of_rohan(&app).await, json!(10));
}
