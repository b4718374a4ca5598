//! Today's Capillary (api-docs/current/DIFF.md): the ISO twins of every legacy time, the current
//! event-name list, the 2026 codes and messages, and the 2026 targetGroups fields.

use axum::http::StatusCode;
use serde_json::{Value, json};

use crate::{
    helpers::*,
    samples::{Credential, manifest, send},
    strict_json::{Json, is_iso_twin},
};

const V2: &str = "/v2/pointsLedger/getLedgerExplodeInfo";
const DOCDEMO_TILL: &str = "docdemo.till";
/// John (566135941) of the DocDemo org 100737, the current page's customer.
const JOHN: &str = "identifierName=id&identifierValue=566135941&source=INSTORE";
/// Jane (566881933), who received John's transfer and made the bill 634510612.
const JANE: &str = "identifierName=id&identifierValue=566881933&source=INSTORE";

/// A request as a till of the default bundle (every till's password is demo123).
async fn as_till(app: &TestApp, till: &str, uri: &str) -> TestResponse {
    app.get(uri).basic(till, "demo123").send().await
}

async fn docdemo(app: &TestApp, uri: &str) -> TestResponse {
    as_till(app, DOCDEMO_TILL, uri).await
}

#[track_caller]
fn ok(response: &TestResponse) -> Value {
    assert_eq!(response.status, StatusCode::OK, "{}", response.text());
    response.json()
}

fn event_ids(body: &Value) -> Vec<i64> {
    body["events"].as_array().unwrap().iter().map(|event| event["eventLogId"].as_i64().unwrap()).collect()
}

// ------------------------------------------------------------------ ISO twins

/// The legacy times of getLedgerExplodeInfo and targetGroups, by the object key they sit under
/// (`createdOn` is a legacy time only in a manual adjustment; elsewhere it has no twin).
fn is_legacy_time(parent: &str, key: &str) -> bool {
    matches!(
        key,
        "eventTime"
            | "expiresOn"
            | "billDate"
            | "returnDate"
            | "awardedOn"
            | "awardedTillDate"
            | "billingTime"
            | "pointsDeductedOn"
            | "enrolledOn"
            | "periodStartDateWithTimeStamp"
            | "periodEndDateWithTimeStamp"
            | "targetAchievedDateTime"
    ) || (parent == "manualPointsAdjustmentDetails" && key == "createdOn")
}

/// Every legacy time under `value` whose twin is missing, misplaced, or not the rule's.
fn twin_faults(value: &Json, parent: &str, path: &str, offset: &str, out: &mut Vec<String>) {
    match value {
        Json::Object(fields) => {
            for (index, (key, field)) in fields.iter().enumerate() {
                if is_legacy_time(parent, key) {
                    let twin = fields.get(index + 1);
                    let good = twin.is_some_and(|(name, iso)| {
                        *name == format!("{key}ISO")
                            && is_iso_twin(field, iso)
                            && (matches!(iso, Json::Null) || matches!(iso, Json::String(text) if text.ends_with(offset)))
                    });
                    if !good {
                        out.push(format!("{path}.{key} = {field}: next is {:?}", twin.map(|(name, iso)| format!("{name} = {iso}"))));
                    }
                }
                twin_faults(field, key, &format!("{path}.{key}"), offset, out);
            }
        }
        Json::Array(items) => {
            for (index, item) in items.iter().enumerate() {
                twin_faults(item, parent, &format!("{path}[{index}]"), offset, out);
            }
        }
        _ => {}
    }
}

#[tokio::test]
async fn every_legacy_time_in_every_sample_answer_has_its_iso_twin() {
    let app = TestApp::new().await;
    let manifest = manifest();
    let mut faults = Vec::new();
    let mut checked = 0;
    for sample in &manifest.samples {
        let path = &sample.request.path;
        if sample.status != 200 || !(path.contains("getLedgerExplodeInfo") || path.ends_with("/targetGroups")) {
            continue;
        }
        // The org zones of the default bundle (README, "Auth and demo credentials"): the UTC
        // orgs write `Z`, the others are Asia/Kolkata.
        let offset = match &sample.request.credential {
            Credential::Till(till) if ["utc.till", "utc2.till", DOCDEMO_TILL].contains(&till.as_str()) => "Z",
            _ => "+05:30",
        };
        let response = send(&app, &manifest, &sample.request).await;
        assert_eq!(response.status, StatusCode::OK, "{}: {}", sample.name, response.text());
        twin_faults(&Json::parse(&response.text()).unwrap(), "", &sample.name, offset, &mut faults);
        checked += 1;
    }
    assert!(checked >= 40, "only {checked} sample answers");
    assert!(faults.is_empty(), "{}", faults.join("\n"));
}

#[tokio::test]
async fn a_utc_org_writes_z_and_an_indian_org_its_offset() {
    let app = TestApp::new().await;
    let body = ok(&docdemo(&app, &format!("{V2}?{JOHN}&eventIds=659919680")).await);
    assert_eq!(body["events"][0]["eventDetails"]["eventTimeISO"], "2026-02-10T20:25:58Z");
    assert_eq!(body["events"][0]["pointsEarned"]["promo"][0]["expiresOnISO"], "2126-02-10T23:59:59Z");
    let body =
        ok(&app.get(&format!("{V2}?identifierName=id&identifierValue=1709400643455&source=INSTORE&eventIds=8143509")).demo().send().await);
    assert_eq!(body["events"][0]["eventDetails"]["eventTime"], "2023-07-27 19:14:10.0");
    assert_eq!(body["events"][0]["eventDetails"]["eventTimeISO"], "2023-07-27T19:14:10+05:30");
    // v2.1 is the same engine: it prints the twins too.
    let body = ok(&app
        .get("/v2.1/pointsLedger/getLedgerExplodeInfo?identifierName=id&identifierValue=1709400643455&source=INSTORE&eventIds=8143509")
        .demo()
        .send()
        .await);
    assert_eq!(body["events"][0]["eventDetails"]["eventTimeISO"], "2023-07-27T19:14:10+05:30");
}

// ------------------------------------------------------------------ the current event names

#[tokio::test]
async fn each_current_event_name_finds_its_events_by_their_reference_id() {
    let app = TestApp::new().await;
    for (name, reference, expected) in [
        // Jane's bill (566881933); the other events are John's.
        ("NewBill", "888812880", vec![634510612]),
        ("TransactionAdd", "888812880", vec![634510612]),
        ("GroupTransactionAdd", "888812990", vec![100737603]),
        ("LineItemsPointsPromotionImport", "888812880", vec![100737604]),
        ("BillPointsPromotionImport", "888812991", vec![100737605]),
        ("CustomerPromotionImport", "IMP-2025-08-04", vec![100737606]),
        ("CustomerRegistration", "566135941", vec![100737601]),
        ("CustomerUpdate", "566135941", vec![100737602]),
        ("AllocateGoodwillPoints", "-1", vec![659919680]),
        ("PointsTransfer", "566135941", vec![656547282]),
        ("PointsRedemption", "566135941", vec![652367550, 656442239]),
        ("ReturnBill", "881656638", vec![617258993]),
        ("TargetCompleted", "100737700", vec![100737607]),
        ("ManualPointsAdjustment", "-1", vec![656317605]),
        ("VoucherRedemption", "90285353", vec![]),
    ] {
        let customer = if reference == "888812880" && !name.contains("Import") { JANE } else { JOHN };
        let query = format!("{V2}?{customer}&eventName={name}&eventReferenceIds={reference}");
        if expected.is_empty() {
            // The voucher is the Vidhi org's: no voucher of John's has that reference.
            assert_v2_error(&docdemo(&app, &query).await, StatusCode::BAD_REQUEST, 9022);
            continue;
        }
        let body = ok(&docdemo(&app, &query).await);
        assert_eq!(event_ids(&body), expected, "{name}");
        // NewBill names the bill's TransactionAdd event.
        let printed = if name == "NewBill" { "TransactionAdd" } else { name };
        assert!(body["events"].as_array().unwrap().iter().all(|event| event["eventName"] == printed), "{name}: {body}");
    }
    let body = ok(&as_till(
        &app,
        "vidhi.till",
        &format!("{V2}?identifierName=id&identifierValue=100739201&source=INSTORE&eventName=voucherredemption&eventReferenceIds=90285353"),
    )
    .await);
    assert_eq!(event_ids(&body), [19942815]);
    assert_eq!(body["events"][0]["voucherRedemptionDetails"]["voucherIssuedId"], 90285353);
    let body = ok(&as_till(&app, "docdemo.in.till", &format!(
            "{V2}?identifierName=id&identifierValue=565039506&source=INSTORE&eventName=GenericEvent&eventReferenceIds=fb98ae16-668d-4c48-826b-1c13fa5344e7"
        )).await);
    assert_eq!(event_ids(&body), [44049002]);
}

#[tokio::test]
async fn the_five_dropped_event_names_are_11014() {
    let app = TestApp::new().await;
    for name in ["PointsExpiry", "TransactionUpdate", "DelayedAccrual", "PointsRedemptionReversal", "BulkAllocatePoints"] {
        let response = docdemo(&app, &format!("{V2}?{JOHN}&eventName={name}&eventReferenceIds=1")).await;
        let message = assert_v2_error(&response, StatusCode::BAD_REQUEST, 11014);
        assert_eq!(message, format!("Event name not found. Provide a valid event name. (eventName '{name}')"));
    }
}

// ------------------------------------------------------------------ the 2026 codes and messages

#[tokio::test]
async fn the_2026_codes_answer_with_the_2026_messages() {
    let app = TestApp::new().await;
    let events = "eventIds=656317605";
    for (query, code, message) in [
        (
            format!("{JOHN}&eventName=TransactionAdd&eventReferenceIds=1"),
            9022,
            "Event reference IDs are invalid. [1] (no TransactionAdd of this customer has them)",
        ),
        (
            format!("{JOHN}&eventName=PointsExpiry&eventReferenceIds=1"),
            11014,
            "Event name not found. Provide a valid event name. (eventName 'PointsExpiry')",
        ),
        (
            JOHN.to_owned(),
            11023,
            "Invalid identifiers found. Either EventLogId or (EventName and BillId) are required. (pass eventIds, or eventName together with eventReferenceIds)",
        ),
        (
            format!("identifierName=id&identifierValue=999&source=INSTORE&{events}"),
            11012,
            "Invalid userId field value. (no customer 999 in source INSTORE)",
        ),
        (events.to_owned(), 11013, "IdentifierName and identifierValue, source can not be empty."),
        (
            format!("identifierName=phone&identifierValue=1&source=INSTORE&{events}"),
            8013,
            "Invalid identifiername field value. (identifierName 'phone'; supported: mobile, email, externalId, id, customerId)",
        ),
        (
            format!("{JOHN}&type=FAMILY&{events}"),
            9003,
            "Error fetching points ledger data when type is invalid. Provide a valid type. (type 'FAMILY'; type must be CUSTOMER or USERGROUP2)",
        ),
        (
            "type=USERGROUP2&identifierName=id&identifierValue=5&source=INSTORE&eventIds=1".to_owned(),
            1632,
            "group id/externalId/primary userId passed is invalid. (identifierValue 5)",
        ),
        (format!("{JOHN}&eventIds=27909380"), 9021, "Invalid identifiers found when invalid eventid is passed. [27909380]"),
        (
            format!("{JOHN}&eventIds=x1"),
            11017,
            "Event id format exception. The provided value is not a valid numeric eventIds. (For input string: \"x1\")",
        ),
        (
            format!("{JOHN}&{events}&alternateCurrencyNames=a,"),
            9005,
            "Invalid alternateCurrencyNames field value. ('a,' has an empty name)",
        ),
        (
            format!("{JOHN}&{events}&eventName=TransactionAdd"),
            11021,
            "EventId and Event References, both cannot be passed. Provide either eventIds or eventName with eventReferenceIds.",
        ),
        // The codes the current v2 table leaves out keep the v2.1 page's messages.
        (format!("identifierName=id&source=INSTORE&{events}"), 8015, "Identifier value missing or incorrect (identifierValue is required)"),
        (
            format!("identifierName=id&identifierValue=566135941&source=SHOP&{events}"),
            8003,
            "Invalid source: 'SHOP'; source must be one of INSTORE, MARTJACK, WECHAT, FACEBOOK, WEB_ENGAGE, TMALL, TAOBAO, JD, ECOMMERCE, WEBSITE, LINE, ALL",
        ),
        (
            format!("identifierName=id&identifierValue=566881933&source=INSTORE&{events}"),
            11024,
            "Event detail not found for event log id 656317605",
        ),
    ] {
        let got = assert_v2_error(&docdemo(&app, &format!("{V2}?{query}")).await, StatusCode::BAD_REQUEST, code);
        assert_eq!(got, message, "{query}");
    }
}

#[tokio::test]
async fn the_9018_warnings_have_the_current_forms() {
    let app = TestApp::new().await;
    // A name the org has no currency of.
    let body = ok(&docdemo(&app, &format!("{V2}?{JOHN}&eventIds=656317605&alternateCurrencyNames=dummy,DocCoins,other")).await);
    assert_eq!(
        body["warnings"],
        json!([
            {"code": 9018, "message": "alternate currency with given name not found for org, name: dummy", "status": false},
            {"code": 9018, "message": "alternate currency with given name not found for org, name: other", "status": false}
        ])
    );
    assert_eq!(keys_of(&body["warnings"][0]), ["code", "message", "status"]);
    // An org without any alternate currency says so on every call.
    let body = ok(&as_till(
        &app,
        "docdemo.in.till",
        &format!("{V2}?identifierName=id&identifierValue=565039506&source=INSTORE&eventIds=44049002"),
    )
    .await);
    assert_eq!(
        body["warnings"],
        json!([{"code": 9018, "message": "no alternate currency found for org with given input params", "status": false}])
    );
    // There, names asked for add nothing: that one warning stands for every name.
    let named = ok(&as_till(
        &app,
        "docdemo.in.till",
        &format!("{V2}?identifierName=id&identifierValue=565039506&source=INSTORE&eventIds=44049002&alternateCurrencyNames=dummy,other"),
    )
    .await);
    assert_eq!(named["warnings"], body["warnings"]);
    assert_eq!(named["events"], body["events"]);
}

// ------------------------------------------------------------------ targetGroups, 2026

const JOHNS_GROUPS: &str = "/v3/users/566135941/targetGroups";

#[tokio::test]
async fn the_current_release_prints_the_2026_target_fields() {
    let app = TestApp::new().await;
    let body = ok(&docdemo(&app, &format!("{JOHNS_GROUPS}?includeInactiveTargets=true")).await);
    let group = &body["data"]["targetGroups"][0];
    assert_eq!(
        keys_of(group),
        ["id", "attribution", "name", "orgId", "preferredTillId", "targets", "targetEvaluationType", "trackingType"]
    );
    assert_eq!(group["orgId"], 100737);
    let achieved = group["targets"].as_array().unwrap().iter().find(|target| target["targetId"] == 100737801).expect("the achieved target");
    assert_eq!(
        keys_of(achieved),
        [
            "targetId",
            "periodId",
            "programId",
            "alternateCurrencyIdentifier",
            "alternateCurrencyName",
            "periodRefCode",
            "periodStartDate",
            "periodEndDate",
            "targetValue",
            "targetAchievedValue",
            "targetName",
            "targetType",
            "targetEntity",
            "targetRuleId",
            "enrolledOn",
            "enrolledOnISO",
            "eventName",
            "periodStartDateWithTimeStamp",
            "periodStartDateWithTimeStampISO",
            "periodEndDateWithTimeStamp",
            "periodEndDateWithTimeStampISO",
            "lastUpdatedOn",
            "targetAchievedDateTime",
            "targetAchievedDateTimeISO",
            "targetAchievedEventLogId",
            "currentPeriod",
            "unEnrolled",
            "milestones"
        ]
    );
    assert_eq!(achieved["programId"], 973);
    assert_eq!(achieved["alternateCurrencyName"], Value::Null);
    assert_eq!(achieved["lastUpdatedOn"], "2025-06-11T18:00:00.000+0000");
    assert_eq!(achieved["targetAchievedDateTime"], "2025-06-11T18:00:00.000+0000");
    assert_eq!(achieved["targetAchievedDateTimeISO"], "2025-06-11T18:00:00Z");
    assert_eq!(achieved["targetAchievedEventLogId"], 100737700);
    assert_eq!(achieved["unEnrolled"], true);
    let open = group["targets"].as_array().unwrap().iter().find(|target| target["targetId"] == 97266279).expect("the open target");
    assert_eq!((open["targetAchievedDateTimeISO"].clone(), open["targetAchievedEventLogId"].clone()), (Value::Null, Value::Null));
}

#[tokio::test]
async fn an_org_on_an_older_release_prints_only_the_iso_twins() {
    let app = TestApp::new().await;
    let body = ok(&app.get("/v3/users/387043873/targetGroups?includeInactiveTargets=true").demo().send().await);
    let group = &body["data"]["targetGroups"][0];
    assert!(group.get("orgId").is_none(), "{group}");
    let target = &group["targets"][0];
    for key in ["lastUpdatedOn", "targetAchievedEventLogId", "unEnrolled"] {
        assert!(target.get(key).is_none(), "{key}: {target}");
    }
    assert_eq!(target["enrolledOnISO"].as_str().map(|iso| iso.ends_with("+05:30")), Some(true), "{target}");
    assert_eq!(target["periodStartDateWithTimeStampISO"].as_str().map(|iso| iso.ends_with("T00:00:00+05:30")), Some(true), "{target}");
}

#[tokio::test]
async fn target_rule_id_names_a_target_or_a_target_group() {
    let app = TestApp::new().await;
    let targets = |body: &Value| -> Vec<i64> {
        body["data"]["targetGroups"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|group| group["targets"].as_array().unwrap().iter().map(|target| target["targetRuleId"].as_i64().unwrap()))
            .collect()
    };
    let by_rule = ok(&docdemo(&app, &format!("{JOHNS_GROUPS}?includeInactive=true&targetRuleId=2902")).await);
    assert_eq!(targets(&by_rule), [2902]);
    let by_group = ok(&docdemo(&app, &format!("{JOHNS_GROUPS}?includeInactive=true&targetRuleId=2684")).await);
    assert_eq!(by_group, by_rule);
    let with_inactive = ok(&docdemo(&app, &format!("{JOHNS_GROUPS}?targetRuleId=2684&includeInactiveTargets=true")).await);
    assert_eq!(targets(&with_inactive), [2902, 2903]);
    let neither = ok(&docdemo(&app, &format!("{JOHNS_GROUPS}?targetRuleId=9999")).await);
    assert_eq!(neither["data"]["targetGroups"], json!([]));
    let message = assert_v3_error(&docdemo(&app, &format!("{JOHNS_GROUPS}?targetRuleId=abc")).await, StatusCode::BAD_REQUEST, 11030);
    assert!(message.contains("targetRuleId"), "{message}");
}

/// Events of three kinds in one request (a bill, a redemption, a transfer) read exactly as each
/// does alone: the statement for several kinds' lists holds each kind's as the one for a kind alone.
#[tokio::test]
async fn events_of_every_kind_in_one_request_read_as_each_alone() {
    let app = TestApp::new().await;
    let flags = "&getBillDetails=true&getPointsEarnedBreakup=true&getPaymentModes=true";
    let (bill, redemption, transfer) = (617258993, 652367550, 656547282);
    let together = ok(&docdemo(&app, &format!("{V2}?{JOHN}&eventIds={bill},{redemption},{transfer}{flags}")).await);
    let mut alone = Vec::new();
    for id in [bill, redemption, transfer] {
        let body = ok(&docdemo(&app, &format!("{V2}?{JOHN}&eventIds={id}{flags}")).await);
        assert_eq!(event_ids(&body), [id], "{body}");
        alone.push(body["events"][0].clone());
    }
    let mut together_by_id = together["events"].as_array().unwrap().clone();
    together_by_id.sort_by_key(|event| event["eventLogId"].as_i64());
    alone.sort_by_key(|event| event["eventLogId"].as_i64());
    assert_eq!(together_by_id, alone);
    // Each kind's own lists were read.
    assert_eq!(alone[0]["billDetails"]["billNumber"], "txn-30", "{together}");
    assert_eq!(alone[1]["eventDetails"]["redemptionDetails"]["notes"], "Redeemed to transfer points to the friend", "{together}");
    assert_eq!(alone[2]["transferredFrom"]["pointsTransferDetails"][0]["points"], "1000.000", "{together}");
}
