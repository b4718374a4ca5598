//! getLedgerExplodeInfo, v2 and v2.1: the documents' samples, every parameter's effect, both
//! data scopes, every error code, and pagination.

use axum::http::StatusCode;
use capillary_emulator::config::RuntimeConfig;
use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use crate::{
    helpers::*,
    samples::{assert_is_sample, manifest},
};

const V2: &str = "/v2/pointsLedger/getLedgerExplodeInfo";
const V2_1: &str = "/v2.1/pointsLedger/getLedgerExplodeInfo";
const CONNECTED_TILL: &str = "connected.till";

/// The demo customer of org 50406 (Asha Rao), by id.
const ASHA: &str = "identifierName=id&identifierValue=1709400643455&source=INSTORE";
/// The connected org's customer (4000218), by the documents' mobile.
const NEU: &str = "identifierName=mobile&identifierValue=917406401004&source=INSTORE";

fn v2(query: &str) -> String {
    format!("{V2}?{query}")
}

fn v2_1(query: &str) -> String {
    format!("{V2_1}?{query}")
}

/// The demo org's request as the demo till.
async fn demo(app: &TestApp, uri: &str) -> TestResponse {
    app.get(uri).demo().send().await
}

/// A request as the connected org's own till.
async fn connected(app: &TestApp, uri: &str) -> TestResponse {
    app.get(uri).basic(CONNECTED_TILL, DEMO_PASSWORD).send().await
}

/// The demo org reading the connected org 4000218 over v2.1.
async fn other_4000218(app: &TestApp, query: &str) -> TestResponse {
    app.get(&v2_1(query)).demo().header("DATA-SCOPE", "OTHER").header("DATA-SCOPE-ORG", "4000218").send().await
}

/// The success body, after checking the status and that there are no warnings.
#[track_caller]
fn ok(response: &TestResponse) -> Value {
    assert_eq!(response.status, StatusCode::OK, "{}", response.text());
    let body = response.json();
    assert_eq!(keys_of(&body), ["events", "warnings"], "{body}");
    assert_eq!(body["warnings"], json!([]), "{body}");
    body
}

#[track_caller]
fn events(body: &Value) -> &Vec<Value> {
    body["events"].as_array().unwrap_or_else(|| panic!("no events: {body}"))
}

#[track_caller]
fn event_ids(body: &Value) -> Vec<i64> {
    events(body).iter().map(|event| event["eventLogId"].as_i64().unwrap()).collect()
}

/// The only event of a body.
#[track_caller]
fn single(body: &Value) -> Value {
    let events = events(body);
    assert_eq!(events.len(), 1, "{body}");
    events[0].clone()
}

#[track_caller]
fn keys(value: &Value) -> Vec<&str> {
    value.as_object().unwrap_or_else(|| panic!("not an object: {value}")).keys().map(String::as_str).collect()
}

/// `value` without the key at `path` (dot-separated; `*` for every item of an array).
#[track_caller]
fn without(value: &Value, path: &str) -> Value {
    let mut copy = value.clone();
    remove_path(&mut copy, &path.split('.').collect::<Vec<_>>());
    copy
}

#[track_caller]
fn remove_path(value: &mut Value, path: &[&str]) {
    match path {
        [] => {}
        [last] => {
            value.as_object_mut().unwrap_or_else(|| panic!("not an object at {last}")).remove(*last).unwrap_or_else(|| panic!("no {last}"));
        }
        ["*", rest @ ..] => value.as_array_mut().expect("array").iter_mut().for_each(|item| remove_path(item, rest)),
        [key, rest @ ..] => remove_path(value.get_mut(*key).unwrap_or_else(|| panic!("no {key}")), rest),
    }
}

#[track_caller]
fn instant(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text).unwrap().with_timezone(&Utc)
}

fn at(clock: &str) -> RuntimeConfig {
    RuntimeConfig { clock: Some(instant(clock)), ..RuntimeConfig::default() }
}

// ------------------------------------------------------------------ the documents' samples

// Every sample comes back as printed: tests/samples/manifest.json, run by samples.rs. These check
// what the samples' own requests do not.

#[tokio::test]
async fn the_registration_sample_is_listed_once_however_often_it_is_asked_for_and_v2_1_adds_its_org() {
    let app = TestApp::new().await;
    assert_is_sample("v2-customer-registration", &demo(&app, &v2(&format!("{ASHA}&eventIds=27909380,27909380"))).await);
    let body = ok(&demo(&app, &v2_1(&format!("{ASHA}&eventIds=27909380"))).await);
    assert_eq!(single(&body)["orgId"], 50406);
}

#[tokio::test]
async fn an_explicit_self_scope_reads_as_the_default_one() {
    let app = TestApp::new().await;
    let explicit = app.get(&v2_1(&format!("{ASHA}&eventIds=13499091"))).demo().header("DATA-SCOPE", "SELF").send().await;
    assert_is_sample("v2.1-self", &explicit);
}

#[tokio::test]
async fn the_connected_orgs_own_till_reads_the_reference_samples_with_self() {
    let app = TestApp::new().await;
    let manifest = manifest();
    let reference = manifest.samples.iter().filter(|sample| sample.document.ends_with("capillary-v2.1-getLedgerExplodeInfo.openapi.yaml"));
    let mut checked = 0;
    for sample in reference.filter(|sample| sample.expected.is_some()) {
        assert_eq!(sample.request.headers.get("DATA-SCOPE-ORG").map(String::as_str), Some("4000218"), "{}", sample.name);
        assert_is_sample(&sample.name, &connected(&app, &sample.request.uri()).await);
        checked += 1;
    }
    assert_eq!(checked, 9, "one sample per event kind of the reference file");
}

#[tokio::test]
async fn the_v2_pages_endpoint_examples_work() {
    let app = TestApp::new().await;
    // 1. mobile 917406401004 with eventIds=18608683: the connected org's customer, so its till.
    let body = ok(&connected(&app, &v2("identifierName=mobile&identifierValue=917406401004&source=INSTORE&eventIds=18608683")).await);
    assert_eq!(event_ids(&body), [18608683]);
    assert!(single(&body).get("orgId").is_none(), "v2 events carry no orgId");

    // 2. The TransactionAdd by bill id, with bill details, custom fields, payment modes and max conversion.
    let body = ok(&demo(&app, &v2("identifierName=id&identifierValue=1709400643455&source=INSTORE&offset=0&limit=10&eventName=TransactionAdd&eventReferenceIds=37195406289&getBillDetails=true&getCustomFields=true&getPaymentModes=true&getMaxConversionDetails=true")).await);
    let event = single(&body);
    assert_eq!(
        keys(&event),
        [
            "eventLogId",
            "eventName",
            "eventDetails",
            "billDetails",
            "customFields",
            "paymentModes",
            "maxConversionDate",
            "pointInTimeSlabs",
            "eventReferenceId",
            "uniqueId"
        ]
    );
    assert_eq!(event["eventReferenceId"], "37195406289");
    assert_eq!(event["billDetails"]["billNumber"], "INV-37195406289");
    assert_eq!(event["customFields"], json!([{"name": "txn_source", "value": "pos"}, {"name": "cashier", "value": "C-104"}]));
    assert_eq!(event["paymentModes"], json!(["UPI", "CASH"]));
    assert_eq!(event["maxConversionDate"], "2024-04-01 00:00:00.0");

    // 3. The GenericEvent by request id, with every flag (bill details do not apply to it).
    let body = ok(&demo(&app, &v2("eventName=GenericEvent&eventReferenceIds=c30af8e0-1c51-475c-bbda-ca94b1d67074&identifierName=id&identifierValue=347689245&source=INSTORE&getPointsEarnedBreakup=true&getMaxConversionDetails=true&getCustomFields=true&getExtendedFields=true&getBillDetails=true&includeLastOneYearData=false&offset=0&limit=10")).await);
    let event = single(&body);
    let expected = json!({
        "eventLogId": 90400010,
        "eventName": "GenericEvent",
        "eventDetails": {"eventDisplayName": "CupSeries2024", "tillId": 50161182, "displayName": "CUP SERIES CHECK-IN"},
        "customFields": [],
        "extendedFields": [{"name": "venue", "value": "Clash Coliseum"}],
        "pointsEarned": {
            "regular": [],
            "promo": [{
                "promotionId": 8166, "promotionName": "CupSeriesatClashColiseumBuschLightTrack_4Feb-5Feb",
                "programId": 1155, "programName": "NASCAR LoyaltyDefaultProgram", "value": 200.0,
                "promotionStartDate": "2024-02-04 00:00:00.0", "promotionEndDate": "2024-03-05 23:59:59.0"
            }],
            "promised": []
        },
        "pointsEarnedBreakup": {
            "regular": [{
                "value": 200.0, "awardedOn": "2024-02-04 19:30:00.0", "awardedOnISO": "2024-02-04T19:30:00+05:30", "sourceValue": 1,
                "awardActionDetails": {"id": 90409003, "name": "AWARD_POINTS_ACTION", "rulesetId": 1203, "rulesetName": "ruleset_cup_series"},
                "programId": 1155, "programName": "NASCAR LoyaltyDefaultProgram",
                "allocationStrategyId": 9040805, "allocationStrategyName": "Check-in points",
                "pointsCategoryId": 11551, "pointsCategoryName": "Main",
                "promotionDetails": {"promotionId": 8166, "promotionName": "CupSeriesatClashColiseumBuschLightTrack_4Feb-5Feb"}
            }],
            "promised": []
        },
        "behavioralEventMetadata": {
            "label": "CUP SERIES CHECK-IN",
            "fields": [{"fieldName": "activity_date", "fieldType": "DATE", "attributes": {
                "isRequired": {"valueType": "BOOLEAN", "value": "false"},
                "isUniqueKeyField": {"valueType": "BOOLEAN", "value": "false"}
            }}]
        },
        "eventReferenceId": "c30af8e0-1c51-475c-bbda-ca94b1d67074",
        "uniqueId": "70375599-a144-4065-8db5-a6abd061ddf7"
    });
    assert_eq!(event, expected);
}

#[tokio::test]
async fn the_v2_1_pages_endpoint_example_and_the_reference_files_curl_work() {
    let app = TestApp::new().await;
    let query = "identifierName=mobile&identifierValue=917406401004&source=INSTORE&eventIds=18608683";
    assert_eq!(single(&ok(&connected(&app, &v2_1(query)).await))["orgId"], 4000218);
    assert_eq!(single(&ok(&other_4000218(&app, query).await))["orgId"], 4000218);
    // The reference file's curl: mobile 9988221100, event 13499088, DATA-SCOPE-ORG 50405. The
    // default bundle has that customer and event in the sister org 4000219 (connected to 50406);
    // 50405 itself is no org the demo org is connected to.
    let curl = |org: &'static str| {
        app.get(&v2_1("identifierName=mobile&identifierValue=9988221100&source=INSTORE&eventIds=13499088"))
            .demo()
            .header("DATA-SCOPE", "OTHER")
            .header("DATA-SCOPE-ORG", org)
    };
    let event = single(&ok(&curl("4000219").send().await));
    assert_eq!((event["eventLogId"].as_i64(), event["orgId"].as_i64()), (Some(13499088), Some(4000219)));
    assert_v2_error(&curl("50405").send().await, StatusCode::BAD_REQUEST, 310144);
}

// ------------------------------------------------------------------ event kinds

#[tokio::test]
async fn target_completions_of_every_source_type_have_their_shape() {
    let app = TestApp::new().await;
    let body = ok(&demo(&app, &v2(&format!("{ASHA}&eventIds=90400031,90400032"))).await);
    assert_eq!(
        events(&body)[0]["targetCompletedDetails"],
        json!({
            "targetGroupID": 9040301, "targetGroupName": "Weekend Streak",
            "targetId": 9040331, "targetName": "Visit every weekend", "targetDescription": "Shop on three weekends in a row",
            "targetPeriodID": 9040341, "targetPeriodName": "W16",
            "sourceId": 9040321, "sourceType": "STREAKS",
            "pointsEarned": {
                "promo": [{"promotionId": 9040602, "promotionName": "Streak bonus", "programId": 1155,
                           "programName": "NASCAR LoyaltyDefaultProgram", "value": 150.0,
                           "expiresOn": "2025-04-21 23:59:59.0", "expiresOnISO": "2025-04-21T23:59:59+05:30", "expiryType": "fixed"}],
                "promised": []
            }
        })
    );
    assert_eq!(
        events(&body)[1]["targetCompletedDetails"],
        json!({
            "targetGroupID": 9040302, "targetGroupName": "Spend and visit May",
            "targetId": 9040332, "targetName": "Spend 5000", "targetDescription": "Spend 5000 in May across visits",
            "targetPeriodID": 9040342, "targetPeriodName": "May-2024",
            "targetValue": "5000.000", "achievedValue": "5200.000",
            "sourceId": 9040352, "sourceType": "UNIFIED",
            "pointsEarned": {
                "promo": [{"promotionId": 9040603, "promotionName": "Unified target reward", "programId": 1155,
                           "programName": "NASCAR LoyaltyDefaultProgram", "value": 250.0,
                           "expiresOn": "2025-05-31 23:59:59.0", "expiresOnISO": "2025-05-31T23:59:59+05:30", "expiryType": "fixed"}],
                "promised": [{"value": 100.0, "conversionDate": "2024-06-15 00:00:00.0", "programId": 1155,
                              "programName": "NASCAR LoyaltyDefaultProgram"}]
            }
        })
    );
    for event in events(&body) {
        assert_eq!(keys(event), ["eventLogId", "eventName", "eventDetails", "targetCompletedDetails", "eventReferenceId", "uniqueId"]);
    }
}

#[tokio::test]
async fn a_return_reports_the_returned_bill_and_a_group_redemption_says_so() {
    let app = TestApp::new().await;
    let body = ok(&demo(&app, &v2(&format!("{ASHA}&eventIds=90400002&getBillDetails=true"))).await);
    assert_eq!(
        single(&body)["billDetails"],
        json!({
            "billNumber": "INV-37195406289", "billAmount": 2200, "note": "",
            "returnDate": "2024-03-10 12:05:00.0", "returnDateISO": "2024-03-10T12:05:00+05:30", "returnAmount": 800, "billDate": "2024-03-02 18:45:10.0", "billDateISO": "2024-03-02T18:45:10+05:30",
            "returnType": "LINE_ITEM", "returnBillId": 37195406301_i64,
            "pointsEarned": {"regular": [], "promo": [], "promised": []},
            "lineItems": [{
                "id": 9040712, "itemCode": "SKU-2002", "grossAmount": 850, "amount": 800, "rate": 425, "qty": 2,
                "serialNumber": 2, "returnAmount": 800, "returnRate": 425, "returnQty": 2, "returnValue": 800,
                "pointsEarned": {
                    "regular": [{"value": 0, "expiresOn": "2025-03-02 23:59:59.0", "expiresOnISO": "2025-03-02T23:59:59+05:30", "programId": 1155,
                                 "programName": "NASCAR LoyaltyDefaultProgram", "returnPoints": 8.0, "expiryType": "rolling"}],
                    "promo": [], "promised": []
                }
            }]
        })
    );
    let body = ok(&demo(&app, &v2(&format!("{ASHA}&eventIds=90400022"))).await);
    assert_eq!(
        single(&body)["eventDetails"]["redemptionDetails"],
        json!({"pointsRedeemed": "75.000", "redemptionPurpose": "Movie tickets", "transactionNumber": "txn-433",
               "redemptionId": "Gr0upR2", "notes": "", "groupRedemption": true})
    );
    assert_eq!(
        single(&body)["pointsBreakup"],
        json!([{"points": "50.000", "programId": "1155", "programName": "NASCAR LoyaltyDefaultProgram"},
               {"points": "25.000", "programId": "890", "programName": "huhuhuDefaultProgram"}])
    );
}

#[tokio::test]
async fn a_transfer_is_in_the_ledger_of_both_customers() {
    let app = TestApp::new().await;
    let giver = ok(&connected(&app, &v2(&format!("{NEU}&eventIds=498243059"))).await);
    let receiver = ok(&connected(&app, &v2("identifierName=mobile&identifierValue=917406409999&source=INSTORE&eventIds=498243059")).await);
    assert_eq!(giver, receiver);
    assert_eq!(single(&giver)["transferredFrom"]["userId"], "4811870");
    assert_eq!(single(&giver)["transferredTo"]["userId"], "68519328");
}

#[tokio::test]
async fn times_render_in_the_zone_of_the_events_org_with_javas_fraction() {
    let app = TestApp::new().await;
    // Org 4000300 keeps UTC: 09:00 UTC stays 09:00 (in Asia/Kolkata it would read 14:30).
    let body = ok(&app
        .get(&v2("identifierName=mobile&identifierValue=917406401004&source=INSTORE&eventIds=90400051"))
        .basic("unconnected.till", DEMO_PASSWORD)
        .send()
        .await);
    assert_eq!(single(&body)["eventDetails"]["eventTime"], "2024-02-10 09:00:00.0");
    // Fractions of a second print as Java's Timestamp does: trailing zeros dropped.
    sqlx::query("UPDATE event_logs SET event_time = event_time + interval '120 milliseconds' WHERE event_log_id = 27909380")
        .execute(&app.pool)
        .await
        .unwrap();
    let body = ok(&demo(&app, &v2(&format!("{ASHA}&eventIds=27909380"))).await);
    assert_eq!(single(&body)["eventDetails"]["eventTime"], "2024-01-18 17:18:00.12");
}

// ------------------------------------------------------------------ flags: each adds exactly its block

/// The TransactionAdd of bill 37195406289 with the flags in `query`.
async fn bill_event(app: &TestApp, flags: &str) -> Value {
    single(&ok(&demo(app, &v2(&format!("{ASHA}&eventIds=90400001{flags}"))).await))
}

#[tokio::test]
async fn each_flag_adds_exactly_its_block() {
    let app = TestApp::new().await;
    let base = bill_event(&app, "").await;
    assert_eq!(keys(&base), ["eventLogId", "eventName", "eventDetails", "eventReferenceId", "uniqueId"]);
    let explicit_false = bill_event(&app, "&getBillDetails=false&getCustomFields=false&getExtendedFields=false&getPaymentModes=false&getMaxConversionDetails=false&getPointsEarnedBreakup=false&includeAlternateCurrencies=false").await;
    assert_eq!(explicit_false, base);

    for (flag, added) in [
        ("getBillDetails", vec!["billDetails", "pointInTimeSlabs"]),
        ("getCustomFields", vec!["customFields"]),
        ("getExtendedFields", vec!["extendedFields"]),
        ("getPaymentModes", vec!["paymentModes"]),
        ("getPaymentMode", vec!["paymentModes"]),
        ("getMaxConversionDetails", vec!["maxConversionDate"]),
    ] {
        let with = bill_event(&app, &format!("&{flag}=true")).await;
        let mut stripped = with.clone();
        for key in &added {
            stripped = without(&stripped, key);
        }
        assert_eq!(stripped, base, "{flag} adds only {added:?}: {with}");
    }
    let with = bill_event(&app, "&getExtendedFields=true").await;
    assert_eq!(with["extendedFields"], json!([{"name": "channel", "value": "STORE"}]));
    let with = bill_event(&app, "&getBillDetails=true").await;
    assert_eq!(
        with["pointInTimeSlabs"],
        json!([{"pointInTimeSlabNumber": 2, "pointInTimeSlabName": "Gold", "programId": 1155, "isDefaultProgram": true},
               {"pointInTimeSlabNumber": 1, "pointInTimeSlabName": "Base", "programId": 890, "isDefaultProgram": false}])
    );
}

#[tokio::test]
async fn the_points_breakup_goes_where_the_points_are() {
    let app = TestApp::new().await;
    // A bill's points are in its billDetails; the breakup alone reports the bill's header and
    // breakup only, with no pointsEarned and no line items (the current page's sample).
    let alone = bill_event(&app, "&getPointsEarnedBreakup=true").await;
    assert_eq!(without(&alone, "billDetails"), bill_event(&app, "").await);
    assert_eq!(
        keys(&alone["billDetails"]),
        ["type", "billNumber", "grossAmount", "discount", "billAmount", "note", "source", "pointsEarnedBreakup", "lineItems"]
    );
    assert_eq!(alone["billDetails"]["lineItems"], json!([]));
    let bill = bill_event(&app, "&getBillDetails=true").await;
    let with = bill_event(&app, "&getBillDetails=true&getPointsEarnedBreakup=true").await;
    let stripped = without(&without(&with, "billDetails.pointsEarnedBreakup"), "billDetails.lineItems.*.pointsEarnedBreakup");
    assert_eq!(stripped, bill);
    let first_item = &with["billDetails"]["lineItems"][0]["pointsEarnedBreakup"];
    assert_eq!(first_item["regular"].as_array().unwrap().len(), 2, "regular and promotional points: {first_item}");
    assert_eq!(first_item["regular"][1]["promotionDetails"], json!({"promotionId": 9040601, "promotionName": "Double points weekend"}));
    assert_eq!(first_item["promised"][0]["conversionDate"], "2024-03-17 00:00:00.0");

    // Other events: next to pointsEarned.
    let query = v2(&format!("{ASHA}&eventIds=8143509"));
    let plain = single(&ok(&demo(&app, &query).await));
    let with = single(&ok(&demo(&app, &format!("{query}&getPointsEarnedBreakup=true")).await));
    assert_eq!(without(&with, "pointsEarnedBreakup"), plain);
    assert_eq!(with["pointsEarnedBreakup"]["regular"][0]["promotionDetails"]["promotionId"], 1114107);

    // Targets: inside targetCompletedDetails.
    let query = v2(&format!("{ASHA}&eventIds=90400032"));
    let plain = single(&ok(&demo(&app, &query).await));
    let with = single(&ok(&demo(&app, &format!("{query}&getPointsEarnedBreakup=true")).await));
    assert_eq!(without(&with, "targetCompletedDetails.pointsEarnedBreakup"), plain);
    assert_eq!(with["targetCompletedDetails"]["pointsEarnedBreakup"]["promised"][0]["value"], json!(100.0));
}

#[tokio::test]
async fn max_conversion_date_is_the_latest_delayed_accrual_or_null() {
    let app = TestApp::new().await;
    assert_eq!(bill_event(&app, "&getMaxConversionDetails=true").await["maxConversionDate"], "2024-04-01 00:00:00.0");
    let body = ok(&demo(&app, &v2(&format!("{ASHA}&eventIds=13499091&getMaxConversionDetails=true"))).await);
    assert_eq!(single(&body)["maxConversionDate"], Value::Null);
    // Not a bill: nothing to convert.
    let body = ok(&demo(&app, &v2(&format!("{ASHA}&eventIds=8143509&getMaxConversionDetails=true"))).await);
    assert!(single(&body).get("maxConversionDate").is_none());
}

#[tokio::test]
async fn alternate_currencies_are_left_out_unless_asked_for() {
    let app = TestApp::new().await;
    let bill_regular = |event: &Value| event["billDetails"]["pointsEarned"]["regular"].as_array().unwrap().clone();
    let points_only = bill_event(&app, "&getBillDetails=true").await;
    assert_eq!(bill_regular(&points_only).len(), 1);
    // The current page reports a currency's awards apart from the points, one entry per currency.
    let stars = json!([{
        "regular": [{"value": 25.0, "expiresOn": "2025-03-02 23:59:59.0", "expiresOnISO": "2025-03-02T23:59:59+05:30", "programId": 1155,
                     "programName": "NASCAR LoyaltyDefaultProgram", "expiryType": "rolling"}],
        "promo": [], "promised": [],
        "alternateCurrencyName": "BonusStars", "alternateCurrencyIdentifier": "bonusstars"
    }]);
    assert!(points_only["billDetails"].get("alternateCurrencyValueEarned").is_none());
    for flags in
        ["&includeAlternateCurrencies=true", "&alternateCurrencyNames=BonusStars", "&alternateCurrencyNames=bonusstars,CarbonCredits"]
    {
        let with = bill_event(&app, &format!("&getBillDetails=true{flags}")).await;
        assert_eq!(bill_regular(&with), bill_regular(&points_only), "{flags}");
        assert_eq!(with["billDetails"]["alternateCurrencyValueEarned"], stars, "{flags}");
        assert_eq!(
            keys(&with["billDetails"])[keys(&with["billDetails"]).len() - 3..],
            ["pointsEarned", "alternateCurrencyValueEarned", "lineItems"]
        );
    }
    // Another currency's name leaves BonusStars out.
    let with = bill_event(&app, "&getBillDetails=true&alternateCurrencyNames=CarbonCredits").await;
    assert_eq!(with, points_only);
    // Top-level points too.
    let body = ok(&demo(
        &app,
        &v2("identifierName=id&identifierValue=347689245&source=INSTORE&eventIds=90400010&alternateCurrencyNames=CarbonCredits"),
    )
    .await);
    assert_eq!(single(&body)["alternateCurrencyValueEarned"][0]["alternateCurrencyName"], "CarbonCredits");
    assert_eq!(single(&body)["pointsEarned"]["regular"], json!([]));
}

#[tokio::test]
async fn an_unknown_alternate_currency_name_is_a_9018_warning() {
    let app = TestApp::new().await;
    let response = demo(&app, &v2(&format!("{ASHA}&eventIds=90400001&getBillDetails=true&alternateCurrencyNames=BonusStars,dsdsd"))).await;
    assert_eq!(response.status, StatusCode::OK, "{}", response.text());
    let body = response.json();
    assert_eq!(
        body["warnings"],
        // The current page's warning form (api-docs/current/DIFF.md §2.4).
        json!([{"code": 9018, "message": "alternate currency with given name not found for org, name: dsdsd", "status": false}])
    );
    assert_eq!(single(&body)["billDetails"]["alternateCurrencyValueEarned"][0]["alternateCurrencyName"], "BonusStars");
}

// ------------------------------------------------------------------ who: identifiers, sources, groups

#[tokio::test]
async fn every_identifier_name_finds_the_customer_in_any_case() {
    let app = TestApp::new().await;
    for identifier in [
        "identifierName=mobile&identifierValue=919845012345",
        "identifierName=MOBILE&identifierValue=%2B919845012345",
        "identifierName=email&identifierValue=asha.rao@example.com",
        "identifierName=EMAIL&identifierValue=Asha.Rao@Example.com",
        "identifierName=externalId&identifierValue=EXT-1709400643455",
        "identifierName=EXTERNALID&identifierValue=EXT-1709400643455",
        "identifierName=id&identifierValue=1709400643455",
        "identifierName=ID&identifierValue=1709400643455",
        "identifierName=CustomerID&identifierValue=1709400643455",
    ] {
        let body = ok(&demo(&app, &v2(&format!("{identifier}&source=INSTORE&eventIds=27909380"))).await);
        assert_eq!(event_ids(&body), [27909380], "{identifier}");
    }
}

#[tokio::test]
async fn source_and_account_id_decide_where_the_identifier_is_looked_up() {
    let app = TestApp::new().await;
    let email = "identifierName=email&identifierValue=asha.rao@example.com&eventIds=27909380";
    // The email is in INSTORE and in MARTJACK account mj-web-01; the mobile only in INSTORE.
    for source in [
        "source=INSTORE",
        "source=instore",
        "source=MARTJACK",
        "source=MARTJACK&accountId=mj-web-01",
        "source=ALL",
        "source=ALL&accountId=mj-web-01",
    ] {
        assert_eq!(event_ids(&ok(&demo(&app, &v2(&format!("{email}&{source}"))).await)), [27909380], "{source}");
    }
    for source in ["source=WECHAT", "source=MARTJACK&accountId=mj-web-02"] {
        let message = assert_v2_error(&demo(&app, &v2(&format!("{email}&{source}"))).await, StatusCode::BAD_REQUEST, 8013);
        assert!(message.starts_with("Lookup,Invalid identifier passed"), "{message}");
    }
    let mobile = "identifierName=mobile&identifierValue=919845012345&eventIds=27909380";
    assert_v2_error(&demo(&app, &v2(&format!("{mobile}&source=MARTJACK"))).await, StatusCode::BAD_REQUEST, 8013);
    // By id: the customer must have a profile or identifier in the source.
    assert_eq!(
        event_ids(&ok(&demo(&app, &v2("identifierName=id&identifierValue=1709400643455&source=MARTJACK&eventIds=27909380")).await)),
        [27909380]
    );
    let message = assert_v2_error(
        &demo(&app, &v2("identifierName=id&identifierValue=347689245&source=MARTJACK&eventIds=90400010")).await,
        StatusCode::BAD_REQUEST,
        11012,
    );
    assert!(message.starts_with("Invalid userId field value."), "{message}");
}

#[tokio::test]
async fn a_user_group_is_found_by_id_external_id_or_primary_user_and_shows_the_groups_events() {
    let app = TestApp::new().await;
    for identifier in [
        "identifierName=id&identifierValue=9040401",
        "identifierName=externalId&identifierValue=FAM-RAO",
        "identifierName=primaryUserId&identifierValue=1709400643455",
    ] {
        for user_type in ["USERGROUP2", "usergroup2"] {
            let body = ok(&demo(&app, &v2(&format!("type={user_type}&{identifier}&source=INSTORE&eventIds=90400021,90400022"))).await);
            assert_eq!(event_ids(&body), [90400021, 90400022], "{identifier}");
        }
    }
    // Group events are not the customer's own unless they made them.
    assert_eq!(event_ids(&ok(&demo(&app, &v2(&format!("{ASHA}&eventIds=90400022"))).await)), [90400022]);
    assert_v2_error(&demo(&app, &v2(&format!("{ASHA}&eventIds=90400021"))).await, StatusCode::BAD_REQUEST, 11024);
    // Nor is the customer's own event a group event.
    assert_v2_error(
        &demo(&app, &v2("type=USERGROUP2&identifierName=id&identifierValue=9040401&source=INSTORE&eventIds=27909380")).await,
        StatusCode::BAD_REQUEST,
        11024,
    );
}

#[tokio::test]
async fn is_primary_user_keeps_the_groups_events_of_its_primary_member() {
    let app = TestApp::new().await;
    let group = "type=USERGROUP2&identifierName=id&identifierValue=9040401&source=INSTORE";
    let body = ok(&demo(&app, &v2(&format!("{group}&isPrimaryUser=true&eventIds=90400022"))).await);
    assert_eq!(event_ids(&body), [90400022]);
    let message = assert_v2_error(
        &demo(&app, &v2(&format!("{group}&isPrimaryUser=true&eventIds=90400021,90400022"))).await,
        StatusCode::BAD_REQUEST,
        11024,
    );
    assert_eq!(message, "Event detail not found for event log id 90400021");
    assert_eq!(event_ids(&ok(&demo(&app, &v2(&format!("{group}&isPrimaryUser=false&eventIds=90400021"))).await)), [90400021]);
    // For a customer the flag has no meaning.
    let response = demo(&app, &v2(&format!("{ASHA}&isPrimaryUser=true&eventIds=27909380"))).await;
    let message = assert_v2_error(&response, StatusCode::BAD_REQUEST, 400);
    assert!(message.contains("isPrimaryUser"), "{message}");
    assert_eq!(event_ids(&ok(&demo(&app, &v2(&format!("type=CUSTOMER&{ASHA}&isPrimaryUser=false&eventIds=27909380"))).await)), [27909380]);
}

// ------------------------------------------------------------------ which events

#[tokio::test]
async fn events_come_in_the_order_asked_for_each_once() {
    let app = TestApp::new().await;
    let body = ok(&demo(&app, &v2(&format!("{ASHA}&eventIds=632749682,8143509,%2027909380,8143509"))).await);
    assert_eq!(event_ids(&body), [632749682, 8143509, 27909380]);
}

#[tokio::test]
async fn reference_ids_find_bills_returns_and_behavioural_events() {
    let app = TestApp::new().await;
    let lookup = |name: &str, references: &str| v2(&format!("{ASHA}&eventName={name}&eventReferenceIds={references}"));
    assert_eq!(event_ids(&ok(&demo(&app, &lookup("TransactionAdd", "37195406289")).await)), [90400001]);
    assert_eq!(event_ids(&ok(&demo(&app, &lookup("transactionadd", "37195406289")).await)), [90400001]);
    assert_eq!(event_ids(&ok(&demo(&app, &lookup("ReturnBill", "37195406289")).await)), [90400002]);
    assert_eq!(event_ids(&ok(&demo(&app, &lookup("TransactionAdd", "37195406289,36363905")).await)), [90400001, 13499091]);
    assert_eq!(event_ids(&ok(&demo(&app, &lookup("TransactionAdd", "36363905,37195406289")).await)), [13499091, 90400001]);
    // One reference, two events: by event id.
    let body = ok(&connected(&app, &v2(&format!("{NEU}&eventName=TransactionAdd&eventReferenceIds=2151165932"))).await);
    assert_eq!(event_ids(&body), [18608683, 549393345]);
    // A reference of another customer's event is no reference of this one's.
    let message =
        assert_v2_error(&demo(&app, &lookup("GenericEvent", "c30af8e0-1c51-475c-bbda-ca94b1d67074")).await, StatusCode::BAD_REQUEST, 9022);
    assert!(message.starts_with("Event reference IDs are invalid. [c30af8e0-1c51-475c-bbda-ca94b1d67074]"), "{message}");
}

#[tokio::test]
async fn include_last_one_year_data_keeps_the_events_of_the_year_before_the_clock() {
    let app = TestApp::with_config(at("2025-07-10T12:00:00+05:30")).await;
    let all = "eventIds=8143509,27909380,90400001,13499091,632749682";
    let everything = [8143509, 27909380, 90400001, 13499091, 632749682];
    assert_eq!(event_ids(&ok(&demo(&app, &v2(&format!("{ASHA}&{all}"))).await)), everything);
    assert_eq!(event_ids(&ok(&demo(&app, &v2(&format!("{ASHA}&{all}&includeLastOneYearData=false"))).await)), everything);
    assert_eq!(event_ids(&ok(&demo(&app, &v2(&format!("{ASHA}&{all}&includeLastOneYearData=true"))).await)), [13499091, 632749682]);
}

#[tokio::test]
async fn the_one_year_window_starts_exactly_a_year_before_the_clock() {
    // Event 13499091 is at 2024-08-30 11:17:57 +05:30.
    let query = v2(&format!("{ASHA}&eventIds=13499091&includeLastOneYearData=true"));
    let a_year_after = TestApp::with_config(at("2025-08-30T11:17:57+05:30")).await;
    assert_eq!(event_ids(&ok(&demo(&a_year_after, &query).await)), [13499091]);
    let a_second_later = a_year_after.reconfigured(at("2025-08-30T11:17:58+05:30")).await;
    assert_eq!(event_ids(&ok(&demo(&a_second_later, &query).await)), Vec::<i64>::new());
}

#[tokio::test]
async fn offset_and_limit_page_through_the_events() {
    let app = TestApp::new().await;
    let all = format!("{ASHA}&eventIds=8143509,27909380,90400001,13499091,632749682");
    let everything = event_ids(&ok(&demo(&app, &v2(&all)).await));
    assert_eq!(everything.len(), 5, "the default limit (10) takes all");
    let mut pages = Vec::new();
    for offset in [0, 2, 4] {
        let page = event_ids(&ok(&demo(&app, &v2(&format!("{all}&offset={offset}&limit=2"))).await));
        assert!(!page.is_empty() && page.len() <= 2);
        pages.extend(page);
    }
    assert_eq!(pages, everything, "disjoint pages whose union is the whole, in order");
    assert_eq!(event_ids(&ok(&demo(&app, &v2(&format!("{all}&offset=5"))).await)), Vec::<i64>::new());
    assert_eq!(event_ids(&ok(&demo(&app, &v2(&format!("{all}&limit=1"))).await)), [8143509]);
    assert_eq!(event_ids(&ok(&demo(&app, &v2(&format!("{all}&limit=10"))).await)), everything);
    // Through v2.1 as well.
    assert_eq!(event_ids(&ok(&demo(&app, &v2_1(&format!("{all}&offset=3&limit=1"))).await)), [13499091]);
}

#[tokio::test]
async fn bad_offsets_and_limits_are_rejected() {
    let app = TestApp::new().await;
    let all = format!("{ASHA}&eventIds=8143509");
    let message = assert_v2_error(&demo(&app, &v2(&format!("{all}&limit=11"))).await, StatusCode::BAD_REQUEST, 11006);
    assert!(message.starts_with("Limit cannot be greater than 10"), "{message}");
    for (query, parameter) in [("limit=0", "limit"), ("limit=x", "limit"), ("offset=-1", "offset"), ("offset=one", "offset")] {
        let message = assert_v2_error(&demo(&app, &v2(&format!("{all}&{query}"))).await, StatusCode::BAD_REQUEST, 400);
        assert!(message.contains(parameter), "{message}");
    }
}

// ------------------------------------------------------------------ v2.1 data scopes

#[tokio::test]
async fn self_reads_only_the_callers_org() {
    let app = TestApp::new().await;
    // The connected org's customer is not the demo org's.
    let response = demo(&app, &v2_1(&format!("{NEU}&eventIds=18608683"))).await;
    assert_v2_error(&response, StatusCode::BAD_REQUEST, 8013);
    // Another org's event is no event of the caller's, just as an unknown id.
    let message = assert_v2_error(&demo(&app, &v2_1(&format!("{ASHA}&eventIds=18608683"))).await, StatusCode::BAD_REQUEST, 9021);
    assert_eq!(message, "Invalid identifiers found when invalid eventid is passed. [18608683]");
    // Listing one's own org is SELF; listing another with SELF is an error.
    let own = app
        .get(&v2_1(&format!("{ASHA}&eventIds=27909380")))
        .demo()
        .header("DATA-SCOPE", "self")
        .header("DATA-SCOPE-ORG", "50406")
        .send()
        .await;
    assert_eq!(single(&ok(&own))["orgId"], 50406);
    let response = app
        .get(&v2_1(&format!("{ASHA}&eventIds=27909380")))
        .demo()
        .header("DATA-SCOPE", "SELF")
        .header("DATA-SCOPE-ORG", "4000218")
        .send()
        .await;
    assert_v2_error(&response, StatusCode::BAD_REQUEST, 310144);
}

#[tokio::test]
async fn other_reads_connected_orgs_only() {
    let app = TestApp::new().await;
    let query = v2_1(&format!("{NEU}&eventIds=18608683"));
    let request = |scope: &str, orgs: &str| {
        let mut request = app.get(&query).demo().header("DATA-SCOPE", scope);
        if !orgs.is_empty() {
            request = request.header("DATA-SCOPE-ORG", orgs);
        }
        request
    };
    assert_eq!(single(&ok(&request("OTHER", "4000218").send().await))["orgId"], 4000218);
    assert_eq!(single(&ok(&request("other", " 4000218 ").send().await))["orgId"], 4000218);
    // The data-scopes page's spelling of the header.
    let plural = app.get(&query).demo().header("DATA-SCOPE", "OTHER").header("DATA-SCOPE-ORGS", "4000218").send().await;
    assert_eq!(single(&ok(&plural))["orgId"], 4000218);
    // Two orgs: the customer is looked up in each.
    let both = request("OTHER", "4000219,4000218").send().await;
    assert_eq!(single(&ok(&both))["orgId"], 4000218);

    // Org 4000300 exists, and has a customer with this mobile, but is not connected to 50406.
    let message = assert_v2_error(&request("OTHER", "4000300").send().await, StatusCode::BAD_REQUEST, 310144);
    assert!(
        message
            .starts_with("Connected Orgs not set properly in Headers. Check whether the target organisation is a connected organisation."),
        "{message}"
    );
    assert!(message.contains("4000300"), "{message}");
    for (scope, orgs) in [
        ("OTHER", ""),
        ("OTHER", "four"),
        ("OTHER", "4000219,4000218,4000300"),
        ("OTHER", "4000218,4000300"),
        ("ALL", "4000218"),
        ("PARENT", ""),
    ] {
        assert_v2_error(&request(scope, orgs).send().await, StatusCode::BAD_REQUEST, 310144);
    }
}

#[tokio::test]
async fn a_connection_is_one_way() {
    let app = TestApp::new().await;
    // 50406 reads 4000218, not the other way round.
    let response = app
        .get(&v2_1(&format!("{ASHA}&eventIds=27909380")))
        .basic(CONNECTED_TILL, DEMO_PASSWORD)
        .header("DATA-SCOPE", "OTHER")
        .header("DATA-SCOPE-ORG", "50406")
        .send()
        .await;
    assert_v2_error(&response, StatusCode::BAD_REQUEST, 310144);
    // Its own org, listed with OTHER, reads like SELF.
    let own = app
        .get(&v2_1(&format!("{NEU}&eventIds=18608683")))
        .basic(CONNECTED_TILL, DEMO_PASSWORD)
        .header("DATA-SCOPE", "OTHER")
        .header("DATA-SCOPE-ORG", "4000218")
        .send()
        .await;
    assert_eq!(single(&ok(&own))["orgId"], 4000218);
}

#[tokio::test]
async fn only_v2_1_events_carry_their_org() {
    let app = TestApp::new().await;
    let query = format!("{ASHA}&eventIds=27909380,8143509");
    let old = ok(&demo(&app, &v2(&query)).await);
    let new = ok(&demo(&app, &v2_1(&query)).await);
    for (old, new) in events(&old).iter().zip(events(&new)) {
        assert_eq!(new["orgId"], 50406);
        assert_eq!(&without(new, "orgId"), old);
    }
}

// ------------------------------------------------------------------ errors

#[tokio::test]
async fn missing_or_wrong_identifiers_get_their_codes() {
    let app = TestApp::new().await;
    let events = "eventIds=27909380";
    for (query, code, starts) in [
        (events.to_owned(), 11013, "IdentifierName and identifierValue, source can not be empty."),
        (format!("identifierValue=1709400643455&source=INSTORE&{events}"), 8013, "Invalid identifiername field value."),
        (
            format!("identifierName=phone&identifierValue=1709400643455&source=INSTORE&{events}"),
            8013,
            "Invalid identifiername field value.",
        ),
        (
            format!("identifierName=primaryUserId&identifierValue=1709400643455&source=INSTORE&{events}"),
            8013,
            "Invalid identifiername field value.",
        ),
        (
            format!("type=USERGROUP2&identifierName=mobile&identifierValue=919845012345&source=INSTORE&{events}"),
            8013,
            "Invalid identifiername field value.",
        ),
        (format!("identifierName=id&source=INSTORE&{events}"), 8015, "Identifier value missing or incorrect"),
        (format!("identifierName=id&identifierValue=abc&source=INSTORE&{events}"), 8015, "Identifier value missing or incorrect"),
        (format!("identifierName=mobile&identifierValue=98x45&source=INSTORE&{events}"), 8015, "Identifier value missing or incorrect"),
        (format!("identifierName=email&identifierValue=nobody&source=INSTORE&{events}"), 8015, "Identifier value missing or incorrect"),
        (format!("identifierName=id&identifierValue=1709400643455&{events}"), 8003, "Invalid source"),
        (format!("identifierName=id&identifierValue=1709400643455&source=STORE&{events}"), 8003, "Invalid source"),
        (format!("{ASHA}&type=FAMILY&{events}"), 9003, "Error fetching points ledger data when type is invalid. Provide a valid type."),
        (format!("identifierName=id&identifierValue=999999999&source=INSTORE&{events}"), 11012, "Invalid userId field value."),
        (format!("identifierName=mobile&identifierValue=910000000000&source=INSTORE&{events}"), 8013, "Lookup,Invalid identifier passed"),
        (format!("identifierName=externalId&identifierValue=NOPE&source=INSTORE&{events}"), 8013, "Lookup,Invalid identifier passed"),
    ] {
        let message = assert_v2_error(&demo(&app, &v2(&query)).await, StatusCode::BAD_REQUEST, code);
        assert!(message.starts_with(starts), "{query}: {message}");
    }
    let message = assert_v2_error(
        &demo(&app, &v2("type=USERGROUP2&identifierName=id&identifierValue=565345934&source=INSTORE&eventIds=90400021")).await,
        StatusCode::BAD_REQUEST,
        1632,
    );
    assert_eq!(message, "group id/externalId/primary userId passed is invalid. (identifierValue 565345934)");
    // Every message names the parameter at fault.
    let message = assert_v2_error(&demo(&app, &v2(&format!("{ASHA}&type=FAMILY&{events}"))).await, StatusCode::BAD_REQUEST, 9003);
    assert!(message.contains("type") && message.contains("FAMILY"), "{message}");
}

#[tokio::test]
async fn wrong_event_selections_get_their_codes() {
    let app = TestApp::new().await;
    let eleven: Vec<String> = (1..=11).map(|n| n.to_string()).collect();
    let eleven = eleven.join(",");
    for (selection, code, message) in [
        (
            "eventIds=27909380&eventName=TransactionAdd&eventReferenceIds=37195406289".to_owned(),
            11021,
            "EventId and Event References, both cannot be passed. Provide either eventIds or eventName with eventReferenceIds.",
        ),
        (
            "eventIds=27909380&eventReferenceIds=37195406289".to_owned(),
            11021,
            "EventId and Event References, both cannot be passed. Provide either eventIds or eventName with eventReferenceIds.",
        ),
        (String::new(), 11023, "Invalid identifiers found. Either EventLogId or (EventName and BillId) are required."),
        (
            "eventName=TransactionAdd".to_owned(),
            11023,
            "Invalid identifiers found. Either EventLogId or (EventName and BillId) are required.",
        ),
        (
            "eventReferenceIds=37195406289".to_owned(),
            11023,
            "Invalid identifiers found. Either EventLogId or (EventName and BillId) are required.",
        ),
        (
            "eventName=DelayedAccrual&eventReferenceIds=1".to_owned(),
            11014,
            "Event name not found. Provide a valid event name. (eventName 'DelayedAccrual')",
        ),
        (format!("eventIds={eleven}"), 11014, "Requested cannot be processed. Max 10 events are allowed in params."),
        (
            format!("eventName=TransactionAdd&eventReferenceIds={eleven}"),
            11014,
            "Requested cannot be processed. Max 10 events are allowed in params.",
        ),
        (
            "eventIds=dfsdsdsds".to_owned(),
            11017,
            "Event id format exception. The provided value is not a valid numeric eventIds. (For input string: \"dfsdsdsds\")",
        ),
        (
            "eventIds=27909380,,8143509".to_owned(),
            11017,
            "Event id format exception. The provided value is not a valid numeric eventIds. (For input string: \"\")",
        ),
        ("eventIds=6275461750".to_owned(), 9021, "Invalid identifiers found when invalid eventid is passed. [6275461750]"),
        (
            "eventIds=313132121,27909380,21212".to_owned(),
            9021,
            "Invalid identifiers found when invalid eventid is passed. [313132121, 21212]",
        ),
        ("eventIds=90400010".to_owned(), 11024, "Event detail not found for event log id 90400010"),
        ("eventName=TransactionAdd&eventReferenceIds=37195406289,999".to_owned(), 9022, "Event reference IDs are invalid. [999]"),
        ("eventName=TransactionAdd&eventReferenceIds=37195406289,,1".to_owned(), 9022, "Event reference IDs are invalid"),
    ] {
        let response = demo(&app, &v2(&format!("{ASHA}&{selection}"))).await;
        let got = assert_v2_error(&response, StatusCode::BAD_REQUEST, code);
        assert!(got.starts_with(message), "{selection}: {got}");
    }
    // Ten distinct ids are fine (the repeated one counts once).
    let ten = format!("eventIds=8143509,8143509,{}", (1..=9).map(|n| n.to_string()).collect::<Vec<_>>().join(","));
    assert_v2_error(&demo(&app, &v2(&format!("{ASHA}&{ten}"))).await, StatusCode::BAD_REQUEST, 9021);
}

#[tokio::test]
async fn bad_flags_and_alternate_currency_names_get_their_codes() {
    let app = TestApp::new().await;
    let base = format!("{ASHA}&eventIds=90400001");
    for name in ["BonusStars,,CarbonCredits", ",", "BonusStars,"] {
        let message =
            assert_v2_error(&demo(&app, &v2(&format!("{base}&alternateCurrencyNames={name}"))).await, StatusCode::BAD_REQUEST, 9005);
        assert!(message.starts_with("Invalid alternateCurrencyNames field value"), "{message}");
    }
    for flag in [
        "getBillDetails",
        "getPointsEarnedBreakup",
        "getCustomFields",
        "getExtendedFields",
        "getMaxConversionDetails",
        "getPaymentModes",
        "getPaymentMode",
        "isPrimaryUser",
        "includeAlternateCurrencies",
        "includeLastOneYearData",
    ] {
        let message = assert_v2_error(&demo(&app, &v2(&format!("{base}&{flag}=maybe"))).await, StatusCode::BAD_REQUEST, 400);
        assert!(message.contains(flag), "{message}");
    }
}

#[tokio::test]
async fn v2_1_errors_use_the_same_envelope_and_credentials_are_required() {
    let app = TestApp::new().await;
    assert_v2_error(&demo(&app, &v2_1("eventIds=1")).await, StatusCode::BAD_REQUEST, 11013);
    for uri in [v2(&format!("{ASHA}&eventIds=27909380")), v2_1(&format!("{ASHA}&eventIds=27909380"))] {
        assert_v2_error(&app.get(&uri).send().await, StatusCode::UNAUTHORIZED, 401);
    }
    let token = app.oauth_token("demo-key", "demo-secret").await;
    let body = ok(&app.get(&v2_1(&format!("{ASHA}&eventIds=27909380"))).oauth(&token).send().await);
    assert_eq!(event_ids(&body), [27909380]);
}
