//! The DAS ledger endpoints: `/das/getLedgerEntriesWithEventId` and
//! `/das/getTargetCompletedExplodeLedger` over the default fixtures (fixtures/default/10-das.json).

use std::collections::BTreeSet;

use axum::http::StatusCode;
use serde_json::{Value, json};

use crate::{
    helpers::*,
    samples::{assert_is_sample, sample_value},
    strict_json::assert_same_values,
};

const LEDGER: &str = "/das/getLedgerEntriesWithEventId";
const COMPLETIONS: &str = "/das/getTargetCompletedExplodeLedger";

/// The customer of the documents' samples, in org 50406.
const SAMPLE_CUSTOMER: &str = "387970841";
/// Another customer of org 50406.
const OTHER_CUSTOMER: &str = "387970842";
/// A customer of org 50406 without any ledger entry.
const CUSTOMER_WITHOUT_LEDGER: &str = "387970843";
/// A customer of the connected org 4000218 (till `connected.till`).
const CONNECTED_ORG_CUSTOMER: &str = "387970851";
const CONNECTED_TILL: &str = "connected.till";
/// Customer 387970841's points entries in the fixtures, over all days and tills.
const SAMPLE_CUSTOMER_ENTRIES: usize = 31;

/// A request's query parameters, in order.
#[derive(Debug, Clone)]
struct Query {
    path: &'static str,
    params: Vec<(&'static str, String)>,
}

impl Query {
    /// The sample's ledger request: both entry types of customer 387970841 on the sample's two
    /// days (2025-06-03 and 2025-06-04, IST), any till.
    fn ledger() -> Query {
        Query {
            path: LEDGER,
            params: vec![
                ("ledger_entry_types", "CREDIT,DEBIT".into()),
                ("entity_id", SAMPLE_CUSTOMER.into()),
                ("start_date", "2025-06-03".into()),
                ("end_date", "2025-06-04".into()),
                ("is_filter_not_based_on_date", "0".into()),
                ("till_ids", "-1".into()),
                ("is_till_not_present", "1".into()),
            ],
        }
    }

    /// The whole points ledger of a customer: every day, every till, both entry types.
    fn whole_ledger(customer: &str) -> Query {
        Query::ledger().set("entity_id", customer).set("is_filter_not_based_on_date", "1").set("count", "100")
    }

    /// The sample's completion request: the credited completions of customer 387970841 between
    /// the documents' example dates.
    fn completions() -> Query {
        Query {
            path: COMPLETIONS,
            params: vec![
                ("ledgerEntryTypes", "CREDIT".into()),
                ("userId", SAMPLE_CUSTOMER.into()),
                ("startDate", "2025-06-01".into()),
                ("endDate", "2025-06-22".into()),
            ],
        }
    }

    /// The credited completions of a customer during 2025.
    fn completions_in_2025(customer: &str) -> Query {
        Query::completions().set("userId", customer).set("startDate", "2025-01-01").set("endDate", "2025-12-31")
    }

    fn set(mut self, name: &'static str, value: &str) -> Query {
        match self.params.iter_mut().find(|(key, _)| *key == name) {
            Some((_, existing)) => *existing = value.to_owned(),
            None => self.params.push((name, value.to_owned())),
        }
        self
    }

    fn unset(mut self, name: &str) -> Query {
        self.params.retain(|(key, _)| *key != name);
        self
    }

    fn uri(&self) -> String {
        let query =
            form_urlencoded::Serializer::new(String::new()).extend_pairs(self.params.iter().map(|(k, v)| (*k, v.as_str()))).finish();
        format!("{}?{query}", self.path)
    }
}

/// The records a request with the demo till's credential returns; fails on anything but 200 with an array.
async fn records(app: &TestApp, query: &Query) -> Vec<Value> {
    records_as(app, query, DEMO_TILL).await
}

async fn records_as(app: &TestApp, query: &Query, till: &str) -> Vec<Value> {
    let response = app.get(&query.uri()).basic(till, DEMO_PASSWORD).send().await;
    assert_eq!(response.status, StatusCode::OK, "{}: {}", query.uri(), response.text());
    match response.json() {
        Value::Array(records) => records,
        other => panic!("{}: not an array: {other}", query.uri()),
    }
}

#[track_caller]
fn numbers(records: &[Value], field: &str) -> Vec<i64> {
    records.iter().map(|record| record[field].as_i64().unwrap_or_else(|| panic!("{field} in {record}"))).collect()
}

#[track_caller]
fn ledger_ids(records: &[Value]) -> Vec<i64> {
    numbers(records, "pointsLedgerId")
}

#[track_caller]
fn event_ids(records: &[Value]) -> Vec<i64> {
    numbers(records, "eventLogId")
}

async fn assert_bad_parameter(app: &TestApp, query: &Query, parameter: &str) -> Value {
    let response = app.get(&query.uri()).demo().send().await;
    let body = assert_plain_error(&response, StatusCode::BAD_REQUEST, Some(parameter));
    assert_eq!(body["code"], 400, "{body}");
    assert_eq!(body["error"], "Bad Request", "{body}");
    assert_eq!(body["path"], query.path, "{body}");
    body
}

// ---- getLedgerEntriesWithEventId ----------------------------------------------------------------

#[tokio::test]
async fn ledger_entry_types_select_credits_debits_or_both() {
    let app = TestApp::new().await;
    let credits = records(&app, &Query::ledger().set("ledger_entry_types", "CREDIT")).await;
    assert_eq!(ledger_ids(&credits), [65097246, 65088247, 65088246, 65088245]);
    let debits = records(&app, &Query::ledger().set("ledger_entry_types", "DEBIT")).await;
    assert_eq!(ledger_ids(&debits), [65088281]);
    assert!(debits.iter().all(|record| record["ledgerEntryType"] == "DEBIT"));
    for both in ["DEBIT,CREDIT", "credit, debit", "CREDIT,DEBIT,CREDIT"] {
        let listed = records(&app, &Query::ledger().set("ledger_entry_types", both)).await;
        assert_eq!(ledger_ids(&listed), [65097246, 65088281, 65088247, 65088246, 65088245], "{both}");
    }
}

#[tokio::test]
async fn entity_id_selects_whose_ledger_is_listed() {
    let app = TestApp::new().await;
    let other = records(&app, &Query::ledger().set("entity_id", OTHER_CUSTOMER)).await;
    assert_eq!(event_ids(&other), [38740009], "the other customer's entry of 2025-06-03");
    assert_eq!(other[0]["customerId"], 387970842);

    let whole = records(&app, &Query::whole_ledger(OTHER_CUSTOMER)).await;
    assert_eq!(whole.len(), 13);
    assert!(whole.iter().all(|record| record["customerId"] == 387970842));

    assert_eq!(records(&app, &Query::whole_ledger(CUSTOMER_WITHOUT_LEDGER)).await, Vec::<Value>::new());
}

#[tokio::test]
async fn date_ranges_are_inclusive_days_in_the_orgs_time_zone_on_created_on() {
    let app = TestApp::new().await;
    // Entries created at 2025-04-30 23:59:59, 05-01 00:00:00, 05-31 23:59:59 and 06-01 00:00:00 IST.
    let may = records(&app, &Query::ledger().set("start_date", "2025-05-01").set("end_date", "2025-05-31")).await;
    let created: Vec<i64> = numbers(&may, "createdOn");
    assert_eq!(created.first(), Some(&1748716199000), "2025-05-31T23:59:59+05:30 is the last entry of May");
    assert_eq!(created.last(), Some(&1746037800000), "2025-05-01T00:00:00+05:30 is the first entry of May");
    assert_eq!(may.len(), 4, "{may:?}");

    // In UTC the midnight entry of May 1 would still be April 30.
    let april_30 = records(&app, &Query::ledger().set("start_date", "2025-04-30").set("end_date", "2025-04-30")).await;
    assert_eq!(numbers(&april_30, "createdOn"), [1746037799000], "only 2025-04-30T23:59:59+05:30");
    let may_1 = records(&app, &Query::ledger().set("start_date", "2025-05-01").set("end_date", "2025-05-01")).await;
    assert_eq!(numbers(&may_1, "createdOn"), [1746037800000], "only 2025-05-01T00:00:00+05:30");
    let june_1 = records(&app, &Query::ledger().set("start_date", "2025-06-01").set("end_date", "2025-06-01")).await;
    assert_eq!(numbers(&june_1, "createdOn"), [1748716200000], "only 2025-06-01T00:00:00+05:30");

    // The range is on createdOn: the sample's first entry happened on 2025-02-02 but was written on 2025-06-04.
    let june_4 = records(&app, &Query::ledger().set("start_date", "2025-06-04").set("end_date", "2025-06-04")).await;
    assert_eq!(event_ids(&june_4), [38769015]);
    let february_2 = records(&app, &Query::ledger().set("start_date", "2025-02-02").set("end_date", "2025-02-02")).await;
    assert_eq!(february_2, Vec::<Value>::new());
}

#[tokio::test]
async fn is_filter_not_based_on_date_lists_every_day_but_the_dates_must_still_be_valid() {
    let app = TestApp::new().await;
    let on_dates = records(&app, &Query::ledger().set("count", "100")).await;
    assert_eq!(on_dates.len(), 5);
    for flag in ["1", "true", "TRUE"] {
        let every_day = records(&app, &Query::ledger().set("count", "100").set("is_filter_not_based_on_date", flag)).await;
        assert_eq!(every_day.len(), SAMPLE_CUSTOMER_ENTRIES, "{flag}");
    }
    for flag in ["0", "false"] {
        let dated = records(&app, &Query::ledger().set("count", "100").set("is_filter_not_based_on_date", flag)).await;
        assert_eq!(dated, on_dates, "{flag}");
    }
    let ignoring = Query::whole_ledger(SAMPLE_CUSTOMER);
    assert_bad_parameter(&app, &ignoring.clone().set("start_date", "2025-02-30"), "start_date").await;
    assert_bad_parameter(&app, &ignoring.clone().unset("end_date"), "end_date").await;
    assert_bad_parameter(&app, &ignoring.set("start_date", "2025-07-01").set("end_date", "2025-06-01"), "start_date").await;
}

#[tokio::test]
async fn till_ids_filter_by_the_events_till_unless_is_till_not_present() {
    let app = TestApp::new().await;
    let whole = records(&app, &Query::whole_ledger(SAMPLE_CUSTOMER)).await;
    let at_tills = |tills: &[i64]| -> Vec<Value> {
        whole.iter().filter(|record| tills.contains(&record["tillId"].as_i64().unwrap())).cloned().collect()
    };

    let filtered = Query::whole_ledger(SAMPLE_CUSTOMER).set("is_till_not_present", "0");
    let koramangala = records(&app, &filtered.clone().set("till_ids", "50691660")).await;
    assert_eq!(koramangala.len(), 6);
    assert_eq!(koramangala, at_tills(&[50691660]));
    let two_tills = records(&app, &filtered.clone().set("till_ids", "50691660, 50692629")).await;
    assert_eq!(two_tills.len(), 11);
    assert_eq!(two_tills, at_tills(&[50691660, 50692629]));
    assert_eq!(records(&app, &filtered.clone().set("till_ids", "-1")).await, Vec::<Value>::new());
    assert_eq!(records(&app, &filtered.set("till_ids", "75000002")).await, Vec::<Value>::new(), "another org's till");

    for flag in ["1", "true"] {
        let ignored = Query::whole_ledger(SAMPLE_CUSTOMER).set("is_till_not_present", flag).set("till_ids", "50691660");
        assert_eq!(records(&app, &ignored).await, whole, "{flag}");
    }
    assert!(whole.len() > koramangala.len());
}

#[tokio::test]
async fn ledger_pages_are_disjoint_stable_and_cover_the_whole_ledger() {
    let app = TestApp::new().await;
    let whole = records(&app, &Query::whole_ledger(SAMPLE_CUSTOMER)).await;
    assert_eq!(whole.len(), SAMPLE_CUSTOMER_ENTRIES);
    let ids = ledger_ids(&whole);
    assert!(ids.windows(2).all(|pair| pair[0] > pair[1]), "newest first by pointsLedgerId: {ids:?}");

    let paged = |page: &str| Query::whole_ledger(SAMPLE_CUSTOMER).set("count", "10").set("page", page);
    let mut union = Vec::new();
    for (page, size) in [("1", 10), ("2", 10), ("3", 10), ("4", 1)] {
        let page_records = records(&app, &paged(page)).await;
        assert_eq!(page_records.len(), size, "page {page}");
        assert_eq!(page_records, records(&app, &paged(page)).await, "page {page} again");
        union.extend(page_records);
    }
    assert_eq!(union, whole, "pages in order are the whole ledger, each entry once");
    let distinct: BTreeSet<i64> = ledger_ids(&union).into_iter().collect();
    assert_eq!(distinct.len(), SAMPLE_CUSTOMER_ENTRIES);
    assert_eq!(records(&app, &paged("5")).await, Vec::<Value>::new(), "the page after the last");
    assert_eq!(records(&app, &paged("1000")).await, Vec::<Value>::new());

    // Without page and count: the first ten.
    let default = records(&app, &Query::whole_ledger(SAMPLE_CUSTOMER).unset("count")).await;
    assert_eq!(default, whole[..10]);
    let second = records(&app, &Query::whole_ledger(SAMPLE_CUSTOMER).unset("count").set("page", "2")).await;
    assert_eq!(second, whole[10..20]);
    let threes = records(&app, &Query::whole_ledger(SAMPLE_CUSTOMER).set("count", "3").set("page", "4")).await;
    assert_eq!(threes, whole[9..12]);
}

#[tokio::test]
async fn ledger_records_carry_metadata_strings_and_alternate_currency_entries_are_left_out() {
    let app = TestApp::new().await;
    let april_2 = records(&app, &Query::ledger().set("start_date", "2025-04-02").set("end_date", "2025-04-02")).await;
    assert_eq!(april_2.len(), 1);
    assert_eq!(april_2[0]["configMetadata"], "{\"allocationStrategyId\": 4412, \"expiryStrategyId\": 5521}");
    assert_eq!(april_2[0]["entityMetadata"], "{\"pointInTimeSlabs\": []}");

    // 2025-01-18 credited 30 points and 3 StarCoins; 2025-05-12 19:30:01 awarded only StarCoins.
    let january_18 = records(&app, &Query::ledger().set("start_date", "2025-01-18").set("end_date", "2025-01-18")).await;
    assert_eq!(numbers(&january_18, "points"), [30]);
    let may_12 = records(&app, &Query::ledger().set("start_date", "2025-05-12").set("end_date", "2025-05-12")).await;
    assert_eq!(may_12.len(), 1);
    assert_eq!(may_12[0]["eventName"], "TransactionAdd");

    let fields: Vec<&str> = april_2[0].as_object().unwrap().keys().map(String::as_str).collect();
    let sample = sample_value("das-ledger");
    let documented: Vec<&str> = sample[0].as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(fields, documented);
}

#[tokio::test]
async fn every_missing_or_malformed_ledger_parameter_is_a_400_naming_it() {
    let app = TestApp::new().await;
    for name in
        ["ledger_entry_types", "entity_id", "start_date", "end_date", "is_filter_not_based_on_date", "till_ids", "is_till_not_present"]
    {
        let body = assert_bad_parameter(&app, &Query::ledger().unset(name), name).await;
        assert!(body["message"].as_str().unwrap().contains("missing"), "{body}");
        assert_bad_parameter(&app, &Query::ledger().set(name, " "), name).await;
    }
    let malformed = [
        ("ledger_entry_types", "BOTH"),
        ("ledger_entry_types", "CREDIT,,DEBIT"),
        ("entity_id", "abc"),
        ("entity_id", "387970841.0"),
        ("start_date", "2025-13-01"),
        ("start_date", "03-06-2025"),
        ("start_date", "2025-06-03T00:00:00"),
        ("end_date", "2025-06-31"),
        ("end_date", "10000-01-01"),
        ("is_filter_not_based_on_date", "maybe"),
        ("till_ids", "abc"),
        ("till_ids", "50691660,,50692627"),
        ("is_till_not_present", "yes"),
        ("page", "0"),
        ("page", "first"),
        ("count", "101"),
        ("count", "0"),
        ("count", "-5"),
    ];
    for (name, value) in malformed {
        let body = assert_bad_parameter(&app, &Query::ledger().set(name, value), name).await;
        let message = body["message"].as_str().unwrap();
        assert!(message.contains(value.trim()) || name == "count" || name == "page", "{name}={value}: {message}");
    }
    let body = assert_bad_parameter(&app, &Query::ledger().set("ledger_entry_types", "BOTH"), "ledger_entry_types").await;
    assert!(body["message"].as_str().unwrap().contains("CREDIT, DEBIT"), "{body}");
    let body = assert_bad_parameter(&app, &Query::ledger().set("start_date", "2025-06-05"), "start_date").await;
    assert!(body["message"].as_str().unwrap().contains("end_date"), "{body}");
    // A one-day range is not a reversed one.
    assert_eq!(records(&app, &Query::ledger().set("start_date", "2025-06-04")).await.len(), 1);
}

#[tokio::test]
async fn a_customer_unknown_in_the_callers_org_is_404_whether_or_not_another_org_has_it() {
    let app = TestApp::new().await;
    let unknown = app.get(&Query::ledger().set("entity_id", "999999999").uri()).demo().send().await;
    let unknown = assert_plain_error(&unknown, StatusCode::NOT_FOUND, Some("entity_id"));
    let elsewhere = app.get(&Query::ledger().set("entity_id", CONNECTED_ORG_CUSTOMER).uri()).demo().send().await;
    let elsewhere = assert_plain_error(&elsewhere, StatusCode::NOT_FOUND, Some("entity_id"));
    for body in [&unknown, &elsewhere] {
        assert_eq!(body["code"], 404);
        assert_eq!(body["error"], "Not Found");
        assert_eq!(body["path"], LEDGER);
    }
    assert_eq!(
        unknown["message"].as_str().unwrap().replace("999999999", "ID"),
        elsewhere["message"].as_str().unwrap().replace(CONNECTED_ORG_CUSTOMER, "ID"),
        "nothing tells the two apart"
    );

    // The connected org reads its own customer, and not org 50406's.
    let own = records_as(&app, &Query::whole_ledger(CONNECTED_ORG_CUSTOMER), CONNECTED_TILL).await;
    assert_eq!(ledger_ids(&own), [65060003, 65060002, 65060001]);
    let response = app.get(&Query::ledger().uri()).basic(CONNECTED_TILL, DEMO_PASSWORD).send().await;
    assert_plain_error(&response, StatusCode::NOT_FOUND, Some("entity_id"));
}

#[tokio::test]
async fn the_ledger_needs_a_credential() {
    let app = TestApp::new().await;
    let response = app.get(&Query::ledger().uri()).send().await;
    assert_plain_error(&response, StatusCode::UNAUTHORIZED, None);
    let token = app.oauth_token("demo-key", "demo-secret").await;
    let response = app.get(&Query::ledger().uri()).oauth(&token).send().await;
    assert_is_sample("das-ledger", &response);
}

#[tokio::test]
async fn a_failing_query_is_a_500_in_the_error_shape() {
    let app = TestApp::new().await;
    sqlx::query("DROP TABLE points_ledger_entries CASCADE").execute(&app.pool).await.unwrap();
    for query in [Query::ledger(), Query::completions()] {
        let response = app.get(&query.uri()).demo().send().await;
        let body = assert_plain_error(&response, StatusCode::INTERNAL_SERVER_ERROR, None);
        assert_eq!(body["code"], 500);
        assert_eq!(body["path"], query.path);
        assert!(!body["message"].as_str().unwrap().contains("points_ledger_entries"), "no SQL leaks: {body}");
    }
}

#[tokio::test]
async fn an_unreachable_database_is_a_503_in_the_error_shape() {
    let app = TestApp::new().await;
    app.pool.close().await;
    for query in [Query::ledger(), Query::completions()] {
        let response = app.get(&query.uri()).demo().send().await;
        let body = assert_plain_error(&response, StatusCode::SERVICE_UNAVAILABLE, None);
        assert_eq!(body["code"], 503);
        assert_eq!(body["path"], query.path);
    }
}

// ---- getTargetCompletedExplodeLedger ------------------------------------------------------------

#[tokio::test]
async fn the_ledger_samples_two_days_give_the_completion_sample() {
    let app = TestApp::new().await;
    let query = Query::completions().set("startDate", "2025-06-03").set("endDate", "2025-06-04");
    assert_is_sample("das-completion", &app.get(&query.uri()).demo().send().await);
}

#[tokio::test]
async fn a_completion_is_the_same_fact_as_its_target_completed_ledger_entry() {
    let app = TestApp::new().await;
    let bundle = default_bundle().merged();
    let records_of = |entity: &str| bundle[entity].as_array().unwrap().clone();
    let millis = |value: &Value| chrono::DateTime::parse_from_rfc3339(value.as_str().unwrap()).unwrap().timestamp_millis();
    let in_2025 = |value: &Value| {
        let local = chrono::DateTime::parse_from_rfc3339(value.as_str().unwrap()).unwrap().with_timezone(&chrono_tz::Asia::Kolkata);
        local.format("%Y").to_string() == "2025"
    };
    for customer in [SAMPLE_CUSTOMER, OTHER_CUSTOMER] {
        let customer_id: i64 = customer.parse().unwrap();
        // The bundle's completions of the customer whose award has a points credit created in 2025.
        let mut expected: Vec<(Value, Value)> = records_of("target_completions")
            .into_iter()
            .filter(|completion| completion["customer_id"] == customer_id)
            .filter(|completion| {
                records_of("points_ledger_entries").iter().any(|entry| {
                    entry["event_log_id"] == completion["event_log_id"]
                        && entry["ledger_entry_type"] == "CREDIT"
                        && entry["alternate_currency_id"].is_null()
                        && in_2025(&entry["created_on"])
                })
            })
            .map(|completion| {
                let event = records_of("event_logs").into_iter().find(|event| event["event_log_id"] == completion["event_log_id"]).unwrap();
                (completion, event)
            })
            .collect();
        expected.sort_by_key(|(completion, _)| completion["event_log_id"].as_i64());
        assert!(!expected.is_empty(), "{customer} has completions in the bundle");
        let mut completions = records(&app, &Query::completions_in_2025(customer)).await;
        completions.sort_by_key(|record| record["eventLogId"].as_i64());
        assert_eq!(completions.len(), expected.len(), "{customer}: {completions:?}");
        for (record, (completion, event)) in completions.iter().zip(&expected) {
            let from_bundle = json!({
                "eventLogId": completion["event_log_id"], "uniqueId": event["unique_id"], "tillId": event["till_id"],
                "eventTime": millis(&event["event_time"]), "processingTime": millis(&event["processing_time"]),
                "customerId": customer_id, "eventTypeId": event["event_type_id"], "targetGroupId": completion["target_group_id"],
                "sourceType": completion["source_type"], "sourceId": completion["source_id"], "periodId": completion["period_id"],
            });
            for (field, value) in from_bundle.as_object().unwrap() {
                assert_eq!(&record[field], value, "{customer}: {field} of {record}");
            }
        }
    }
}

#[tokio::test]
async fn completion_records_show_periods_milestones_and_unified_targets() {
    let app = TestApp::new().await;
    let june_28 = records(&app, &Query::completions().set("startDate", "2025-06-28").set("endDate", "2025-06-28")).await;
    assert_same_values(
        &Value::Array(june_28),
        &json!([{
            "sourceId": 7450601,
            "parentEventLogId": 38769103,
            "periodId": 745061,
            "returnEventLogId": -1,
            "targetAchievedEventLogId": 38769103,
            "targetGroupName": "Spend_Milestones_2025",
            "processingTime": 1751110201000_i64,
            "targetGroupDescription": "Spend_Milestones_2025",
            "eventTypeId": 25,
            "sourceType": "MILESTONE",
            "billId": 2152369103_i64,
            "customerId": 387970841,
            "eventTime": 1751110201000_i64,
            "targetAchievedEventLogCreatedOn": 1751110201000_i64,
            "targetGroupId": 74506,
            "eventLogId": 38769104,
            "tillId": 50692628,
            "uniqueId": "e2e0145b4ee7cde0c56c7ad0080c23a0ecb855e2",
            "unifiedTargetsAchievedCreatedOn": null
        }]),
    );
    let unified =
        records(&app, &Query::completions_in_2025(OTHER_CUSTOMER).set("startDate", "2025-04-01").set("endDate", "2025-04-01")).await;
    assert_eq!(unified.len(), 1);
    assert_eq!(unified[0]["sourceType"], "UNIFIED");
    assert_eq!(unified[0]["unifiedTargetsAchievedCreatedOn"], 1743445800000_i64);
    assert_eq!(unified[0]["periodId"], 745071);
}

#[tokio::test]
async fn ledger_entry_types_select_completions_by_the_side_of_their_award() {
    let app = TestApp::new().await;
    let credited = records(&app, &Query::completions_in_2025(SAMPLE_CUSTOMER)).await;
    assert_eq!(event_ids(&credited), [38769104, 38731904, 38700109]);
    // Completions only ever credit, so DEBIT alone finds none and adding it changes nothing.
    assert_eq!(records(&app, &Query::completions_in_2025(SAMPLE_CUSTOMER).set("ledgerEntryTypes", "DEBIT")).await, Vec::<Value>::new());
    let both = records(&app, &Query::completions_in_2025(SAMPLE_CUSTOMER).set("ledgerEntryTypes", "CREDIT,DEBIT")).await;
    assert_eq!(both, credited);
}

#[tokio::test]
async fn user_id_selects_whose_completions_are_listed() {
    let app = TestApp::new().await;
    let other = records(&app, &Query::completions_in_2025(OTHER_CUSTOMER)).await;
    assert_eq!(event_ids(&other), [38740011, 38740005]);
    assert!(other.iter().all(|record| record["customerId"] == 387970842));
    assert_eq!(records(&app, &Query::completions_in_2025(CUSTOMER_WITHOUT_LEDGER)).await, Vec::<Value>::new());
}

#[tokio::test]
async fn completion_date_ranges_are_inclusive_days_in_the_orgs_time_zone() {
    let app = TestApp::new().await;
    // Customer 387970842's unified target completed at 2025-04-01T00:00:00+05:30 (2025-03-31 in UTC).
    let in_range = |start: &str, end: &str| Query::completions_in_2025(OTHER_CUSTOMER).set("startDate", start).set("endDate", end);
    assert_eq!(event_ids(&records(&app, &in_range("2025-04-01", "2025-04-01")).await), [38740005]);
    assert_eq!(records(&app, &in_range("2025-03-01", "2025-03-31")).await, Vec::<Value>::new());
    assert_eq!(event_ids(&records(&app, &in_range("2025-03-31", "2025-04-01")).await), [38740005]);
    assert_eq!(event_ids(&records(&app, &in_range("2025-06-15", "2025-06-15")).await), [38740011]);
    assert_eq!(records(&app, &in_range("2025-06-16", "2025-12-31")).await, Vec::<Value>::new());
}

#[tokio::test]
async fn alternate_currency_names_select_completions_awarded_in_those_currencies() {
    let app = TestApp::new().await;
    let year = Query::completions_in_2025(SAMPLE_CUSTOMER);
    // Without the parameter: completions awarded in points (38700116 awarded only StarCoins).
    assert_eq!(event_ids(&records(&app, &year).await), [38769104, 38731904, 38700109]);
    let star_coins = records(&app, &year.clone().set("alternateCurrencyNames", "StarCoins")).await;
    assert_eq!(event_ids(&star_coins), [38769104, 38700116]);
    assert_eq!(records(&app, &year.clone().set("alternateCurrencyNames", "GreenMiles")).await, Vec::<Value>::new());
    let either = records(&app, &year.clone().set("alternateCurrencyNames", "GreenMiles,StarCoins")).await;
    assert_eq!(either, star_coins);

    let other = Query::completions_in_2025(OTHER_CUSTOMER);
    assert_eq!(event_ids(&records(&app, &other.clone().set("alternateCurrencyNames", "GreenMiles")).await), [38740005]);
    assert_eq!(records(&app, &other.set("alternateCurrencyNames", "StarCoins")).await, Vec::<Value>::new());

    for (names, unknown) in [("Gold", "Gold"), ("StarCoins,Gold", "Gold"), ("starcoins", "starcoins")] {
        let body = assert_bad_parameter(&app, &year.clone().set("alternateCurrencyNames", names), "alternateCurrencyNames").await;
        let message = body["message"].as_str().unwrap();
        assert!(message.contains(unknown), "{names}: {message}");
        assert!(!message.contains("StarCoins"), "only unknown names are reported: {message}");
    }
    assert_bad_parameter(&app, &year.set("alternateCurrencyNames", "StarCoins,,GreenMiles"), "alternateCurrencyNames").await;

    // Another org's currencies are unknown to the connected org.
    let response = app
        .get(&Query::completions_in_2025(CONNECTED_ORG_CUSTOMER).set("alternateCurrencyNames", "StarCoins").uri())
        .basic(CONNECTED_TILL, DEMO_PASSWORD)
        .send()
        .await;
    assert_plain_error(&response, StatusCode::BAD_REQUEST, Some("alternateCurrencyNames"));
}

#[tokio::test]
async fn completion_pages_are_disjoint_stable_and_cover_the_whole_result() {
    let app = TestApp::new().await;
    let whole = records(&app, &Query::completions_in_2025(SAMPLE_CUSTOMER).set("count", "100")).await;
    let paged = |page: &str| Query::completions_in_2025(SAMPLE_CUSTOMER).set("count", "2").set("page", page);
    let first = records(&app, &paged("1")).await;
    let second = records(&app, &paged("2")).await;
    assert_eq!(event_ids(&first), [38769104, 38731904]);
    assert_eq!(event_ids(&second), [38700109]);
    assert_eq!(records(&app, &paged("1")).await, first, "stable");
    assert_eq!([first, second].concat(), whole);
    assert_eq!(records(&app, &paged("3")).await, Vec::<Value>::new(), "the page after the last");
    let default = records(&app, &Query::completions_in_2025(SAMPLE_CUSTOMER)).await;
    assert_eq!(default, whole, "ten by default");
}

#[tokio::test]
async fn every_missing_or_malformed_completion_parameter_is_a_400_naming_it() {
    let app = TestApp::new().await;
    for name in ["ledgerEntryTypes", "userId", "startDate", "endDate"] {
        assert_bad_parameter(&app, &Query::completions().unset(name), name).await;
    }
    let malformed = [
        ("ledgerEntryTypes", "REVERSAL"),
        ("ledgerEntryTypes", ",CREDIT"),
        ("userId", "x387970841"),
        ("startDate", "2025-6-1x"),
        ("endDate", "2025-02-29"),
        ("page", "-1"),
        ("count", "101"),
    ];
    for (name, value) in malformed {
        assert_bad_parameter(&app, &Query::completions().set(name, value), name).await;
    }
    let body = assert_bad_parameter(&app, &Query::completions().set("startDate", "2025-06-23"), "startDate").await;
    assert!(body["message"].as_str().unwrap().contains("endDate"), "{body}");
    // The snake_case names of the ledger endpoint are not this endpoint's.
    let snake = Query::completions().unset("userId").set("entity_id", SAMPLE_CUSTOMER);
    assert_bad_parameter(&app, &snake, "userId").await;
}

#[tokio::test]
async fn completions_of_a_customer_outside_the_callers_org_are_404() {
    let app = TestApp::new().await;
    for customer in ["999999999", CONNECTED_ORG_CUSTOMER] {
        let response = app.get(&Query::completions().set("userId", customer).uri()).demo().send().await;
        let body = assert_plain_error(&response, StatusCode::NOT_FOUND, Some("userId"));
        assert_eq!(body["path"], COMPLETIONS);
    }
    let own = records_as(&app, &Query::completions().set("userId", CONNECTED_ORG_CUSTOMER), CONNECTED_TILL).await;
    assert_eq!(event_ids(&own), [38760002]);
    let response = app.get(&Query::completions().uri()).basic(CONNECTED_TILL, DEMO_PASSWORD).send().await;
    assert_plain_error(&response, StatusCode::NOT_FOUND, Some("userId"));
}

/// A malformed parameter is a 400 naming it even for a customer the caller's org does not have:
/// the request is checked before the customer is looked up.
#[tokio::test]
async fn a_bad_parameter_is_400_even_for_an_unknown_customer() {
    let app = TestApp::new().await;
    let unknown = "999999999";
    for (query, parameter) in [
        (Query::ledger().set("entity_id", unknown).set("start_date", "2025-13-01"), "start_date"),
        (Query::ledger().set("entity_id", unknown).set("ledger_entry_types", "GIFT"), "ledger_entry_types"),
        (Query::ledger().set("entity_id", unknown).set("count", "101"), "count"),
        (Query::ledger().set("entity_id", unknown).unset("end_date"), "end_date"),
        (Query::completions().set("userId", unknown).set("startDate", "yesterday"), "startDate"),
        (Query::completions().set("userId", unknown).set("ledgerEntryTypes", "GIFT"), "ledgerEntryTypes"),
        (Query::completions().set("userId", unknown).set("page", "0"), "page"),
        (Query::completions().set("userId", unknown).set("startDate", "2025-07-01"), "startDate"),
    ] {
        assert_bad_parameter(&app, &query, parameter).await;
    }
    // Well-formed, the same customer is 404.
    for (query, parameter) in
        [(Query::ledger().set("entity_id", unknown), "entity_id"), (Query::completions().set("userId", unknown), "userId")]
    {
        assert_plain_error(&app.get(&query.uri()).demo().send().await, StatusCode::NOT_FOUND, Some(parameter));
    }
}
