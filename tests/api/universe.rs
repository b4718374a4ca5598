//! One data universe: an achieved target is the same fact in all five endpoints. The v3 target
//! groups show it achieved; the DAS completion endpoint details its `TargetCompleted` event; the
//! DAS ledger lists that event's credit; the v2 explode endpoint explodes the same event. Every
//! expectation is computed from the bundle's files (`fixtures/default/*.json`), not from another
//! endpoint's answer.

use std::collections::BTreeMap;

use axum::http::StatusCode;
use chrono::{DateTime, FixedOffset};
use serde_json::Value;

use crate::helpers::*;

/// Far enough ahead that every achievement in the fixtures has happened.
const LATER: &str = "trackingDate=1900000000000";

/// The default bundle's records, by entity.
struct Universe(Value);

impl Universe {
    fn load() -> Universe {
        Universe(default_bundle().merged())
    }

    fn records(&self, entity: &str) -> impl Iterator<Item = &Value> {
        self.0[entity].as_array().unwrap_or_else(|| panic!("no {entity} in the bundle")).iter()
    }

    fn one(&self, entity: &str, key: &str, value: &Value) -> &Value {
        let mut found = self.records(entity).filter(|record| &record[key] == value);
        let record = found.next().unwrap_or_else(|| panic!("no {entity} with {key} {value}"));
        assert!(found.next().is_none(), "one {entity} with {key} {value}");
        record
    }

    /// The till of an org that has a password (the README's credential table), and so a login.
    fn till_of(&self, org_id: &Value) -> String {
        let till = self.records("tills").find(|till| &till["org_id"] == org_id && till["password_md5"] == md5_hex(DEMO_PASSWORD));
        till.unwrap_or_else(|| panic!("no till with the demo password in org {org_id}"))["code"].as_str().unwrap().to_owned()
    }

    /// Points (not alternate currencies) each event of the bundle awarded, by event log id.
    fn points_awarded(&self) -> BTreeMap<i64, f64> {
        let mut awarded = BTreeMap::new();
        for award in self.records("points_awards").filter(|award| award["alternate_currency_id"].is_null()) {
            *awarded.entry(award["event_log_id"].as_i64().unwrap()).or_insert(0.0) += number(&award["value"]);
        }
        awarded
    }
}

#[track_caller]
fn number(value: &Value) -> f64 {
    value.as_f64().or_else(|| value.as_str().and_then(|text| text.parse().ok())).unwrap_or_else(|| panic!("not a number: {value}"))
}

#[track_caller]
fn instant(text: &str) -> DateTime<FixedOffset> {
    DateTime::parse_from_rfc3339(text).or_else(|_| DateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.3f%z")).unwrap()
}

async fn get_ok(app: &TestApp, till: &str, path: &str) -> Value {
    let response = app.get(path).basic(till, DEMO_PASSWORD).send().await;
    assert_eq!(response.status, StatusCode::OK, "{path}: {}", response.text());
    response.json()
}

/// The customer's credited ledger in points: the sum of points per event log id.
async fn credits(app: &TestApp, till: &str, customer: i64) -> BTreeMap<i64, f64> {
    let path = format!(
        "/das/getLedgerEntriesWithEventId?ledger_entry_types=CREDIT&entity_id={customer}&start_date=2000-01-01&end_date=2099-12-31\
         &is_filter_not_based_on_date=1&till_ids=-1&is_till_not_present=1&count=100"
    );
    let entries = get_ok(app, till, &path).await;
    let entries = entries.as_array().unwrap();
    assert!(entries.len() < 100, "one page holds the whole ledger");
    let mut credited = BTreeMap::new();
    for entry in entries {
        assert_eq!(entry["customerId"], customer);
        *credited.entry(entry["eventLogId"].as_i64().unwrap()).or_insert(0.0) += number(&entry["points"]);
    }
    credited
}

async fn assert_one_fact_everywhere(app: &TestApp, customer: i64) {
    let universe = Universe::load();
    let customer_record = universe.one("customers", "customer_id", &customer.into());
    let org = universe.one("orgs", "org_id", &customer_record["org_id"]);
    let zone: chrono_tz::Tz = org["time_zone"].as_str().unwrap().parse().unwrap();
    let till = universe.till_of(&org["org_id"]);
    let awarded = universe.points_awarded();

    // The bundle's achieved targets of the customer that a TargetCompleted event completed.
    let achieved: Vec<(&Value, &Value)> = universe
        .records("user_targets")
        .filter(|target| target["customer_id"] == customer && !target["achieved_on"].is_null())
        .filter_map(|target| {
            let completion = universe
                .records("target_completions")
                .find(|c| c["user_target_id"] == target["user_target_id"] && c["source_type"] == "USERTARGET")?;
            Some((target, completion))
        })
        .collect();
    assert!(!achieved.is_empty(), "customer {customer} has completed targets in the bundle");

    let v3 = get_ok(app, &till, &format!("/v3/users/{customer}/targetGroups?{LATER}")).await;
    let mut completions = Vec::new();
    for currencies in ["", "&alternateCurrencyNames=StarCoins,GreenMiles"] {
        let path = format!(
            "/das/getTargetCompletedExplodeLedger?ledgerEntryTypes=CREDIT&userId={customer}&startDate=2000-01-01&endDate=2099-12-31&count=100{currencies}"
        );
        completions.extend(get_ok(app, &till, &path).await.as_array().unwrap().clone());
    }
    let credited = credits(app, &till, customer).await;

    for (target, completion) in achieved {
        let user_target_id = &target["user_target_id"];
        let rule = universe.one("target_rules", "target_rule_id", &target["target_rule_id"]);
        let group_id = &rule["target_group_id"];
        let event_log_id = completion["event_log_id"].as_i64().unwrap();
        let event = universe.one("event_logs", "event_log_id", &event_log_id.into());
        let event_time = instant(event["event_time"].as_str().unwrap());

        // v3: achieved when the bundle says, in its group.
        let group = v3["data"]["targetGroups"].as_array().unwrap().iter().find(|g| &g["id"] == group_id);
        let group = group.unwrap_or_else(|| panic!("v3 lists group {group_id} of customer {customer}"));
        let shown = group["targets"].as_array().unwrap().iter().find(|t| &t["targetId"] == user_target_id);
        let shown = shown.unwrap_or_else(|| panic!("v3 lists target {user_target_id} in group {group_id}"));
        assert_eq!(
            instant(shown["targetAchievedDateTime"].as_str().unwrap_or_else(|| panic!("target {user_target_id} achieved: {shown}"))),
            instant(target["achieved_on"].as_str().unwrap()),
            "v3 achieved time of target {user_target_id}"
        );

        // DAS: the completion's record is the bundle's completion.
        let record = completions.iter().find(|c| &c["sourceId"] == user_target_id && c["sourceType"] == "USERTARGET");
        let record = record.unwrap_or_else(|| panic!("DAS lists the completion of target {user_target_id} of customer {customer}"));
        assert_eq!(record["eventLogId"], event_log_id);
        assert_eq!(&record["targetGroupId"], group_id);
        assert_eq!(record["periodId"], completion["period_id"]);
        assert_eq!(record["customerId"], customer);
        assert_eq!(record["eventTime"], event_time.timestamp_millis());
        assert_eq!(record["uniqueId"], event["unique_id"]);

        // The ledger credits exactly the points the event awarded (none for only an alternate currency).
        let points = awarded.get(&event_log_id).copied().unwrap_or(0.0);
        assert_eq!(credited.get(&event_log_id).copied().unwrap_or(0.0), points, "credits of event {event_log_id}");

        // v2 explodes the same event.
        let path = format!(
            "/v2/pointsLedger/getLedgerExplodeInfo?identifierName=id&identifierValue={customer}&source=INSTORE&eventIds={event_log_id}"
        );
        let exploded = get_ok(app, &till, &path).await["events"][0].clone();
        assert_eq!(exploded["eventLogId"], event_log_id);
        assert_eq!(exploded["eventName"], "TargetCompleted");
        assert_eq!(exploded["uniqueId"], event["unique_id"]);
        assert_eq!(exploded["eventDetails"]["eventTime"], event_time.with_timezone(&zone).format("%Y-%m-%d %H:%M:%S.0").to_string());
        let details = &exploded["targetCompletedDetails"];
        assert_eq!(&details["targetGroupID"], group_id);
        assert_eq!(details["targetId"], target["target_rule_id"], "v2's targetId is the rule");
        assert_eq!(details.get("targetPeriodID").cloned().unwrap_or(Value::Null), completion["period_id"]);
        assert_eq!(&details["sourceId"], user_target_id, "v2's sourceId is the user target");
        let earned: f64 = ["regular", "promo", "promised"]
            .iter()
            .flat_map(|kind| details["pointsEarned"][kind].as_array().cloned().unwrap_or_default())
            .map(|award| number(&award["value"]))
            .sum();
        assert_eq!(earned, points, "the points v2 says event {event_log_id} earned are the bundle's awards");
    }
}

#[tokio::test]
async fn the_documents_das_customer_tells_one_story() {
    let app = TestApp::new().await;
    assert_one_fact_everywhere(&app, 387970841).await;
}

#[tokio::test]
async fn the_target_groups_demo_customer_tells_one_story() {
    let app = TestApp::new().await;
    assert_one_fact_everywhere(&app, 39000002).await;
}

/// Wherever the bundle awards points, the customer's DAS ledger credits them: per event, the
/// credits add up to the awards.
#[tokio::test]
async fn ledger_credits_exist_wherever_points_were_awarded() {
    let app = TestApp::new().await;
    let universe = Universe::load();
    let mut by_customer: BTreeMap<i64, Vec<(i64, f64)>> = BTreeMap::new();
    for (event_log_id, points) in universe.points_awarded() {
        let event = universe.one("event_logs", "event_log_id", &event_log_id.into());
        let Some(customer) = event["customer_id"].as_i64() else { continue };
        by_customer.entry(customer).or_default().push((event_log_id, points));
    }
    let mut checked = 0;
    for (customer, events) in by_customer {
        let org_id = &universe.one("customers", "customer_id", &customer.into())["org_id"];
        let credited = credits(&app, &universe.till_of(org_id), customer).await;
        for (event_log_id, points) in events.into_iter().filter(|(_, points)| *points > 0.0) {
            let credit = credited.get(&event_log_id).copied();
            assert_eq!(credit, Some(points), "customer {customer}: event {event_log_id} awarded {points} points");
            checked += 1;
        }
    }
    assert!(checked >= 50, "every award of the bundle was checked ({checked})");
}
