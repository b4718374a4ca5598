//! One data universe: an achieved target is the same fact in all five endpoints. The v3 target
//! groups show it achieved; the DAS completion endpoint details its `TargetCompleted` event; the
//! DAS ledger lists that event's credit; the v2 explode endpoint explodes the same event.

use axum::http::StatusCode;
use chrono::DateTime;
use serde_json::Value;

use crate::helpers::*;

/// Far enough ahead that every achievement in the fixtures has happened.
const LATER: &str = "trackingDate=1900000000000";

struct Achieved {
    group_id: i64,
    target_id: i64,
    rule_id: i64,
    period_id: i64,
    /// A period-agnostic target's completion names no period (DAS `periodId` null, no v2
    /// `targetPeriodID`), though v3 lists the target under its one open-ended period.
    period_agnostic: bool,
    achieved_at_ms: i64,
    achieved_local: String,
}

async fn achieved_targets(app: &TestApp, customer: i64) -> Vec<Achieved> {
    let response = app.get(&format!("/v3/users/{customer}/targetGroups?{LATER}")).demo().send().await;
    assert_eq!(response.status, StatusCode::OK, "{}", response.text());
    let data = response.json()["data"].clone();
    let mut achieved = Vec::new();
    for group in data["targetGroups"].as_array().unwrap() {
        for target in group["targets"].as_array().unwrap() {
            let Some(at) = target["targetAchievedDateTime"].as_str() else { continue };
            let instant = DateTime::parse_from_str(at, "%Y-%m-%dT%H:%M:%S%.3f%z").unwrap();
            achieved.push(Achieved {
                group_id: group["id"].as_i64().unwrap(),
                target_id: target["targetId"].as_i64().unwrap(),
                rule_id: target["targetRuleId"].as_i64().unwrap(),
                period_id: target["periodId"].as_i64().unwrap(),
                period_agnostic: group["targetEvaluationType"] == "PERIOD_AGNOSTIC_WINDOW",
                achieved_at_ms: instant.timestamp_millis(),
                achieved_local: instant.format("%Y-%m-%d %H:%M:%S.0").to_string(),
            });
        }
    }
    achieved
}

async fn das(app: &TestApp, path: &str) -> Vec<Value> {
    let response = app.get(path).demo().send().await;
    assert_eq!(response.status, StatusCode::OK, "{path}: {}", response.text());
    response.json().as_array().unwrap().clone()
}

async fn assert_one_fact_everywhere(app: &TestApp, customer: i64) {
    let achieved = achieved_targets(app, customer).await;
    assert!(!achieved.is_empty(), "customer {customer} has achieved targets");

    // Completions awarded in points, then those awarded in the org's alternate currencies.
    let mut completions = Vec::new();
    for currencies in ["", "&alternateCurrencyNames=StarCoins,GreenMiles"] {
        let path = format!(
            "/das/getTargetCompletedExplodeLedger?ledgerEntryTypes=CREDIT&userId={customer}&startDate=2000-01-01&endDate=2099-12-31&count=100{currencies}"
        );
        completions.extend(das(app, &path).await);
    }
    let ledger = das(
        app,
        &format!(
            "/das/getLedgerEntriesWithEventId?ledger_entry_types=CREDIT&entity_id={customer}&start_date=2000-01-01&end_date=2099-12-31\
             &is_filter_not_based_on_date=1&till_ids=-1&is_till_not_present=1&count=100"
        ),
    )
    .await;

    for target in &achieved {
        let completion = completions
            .iter()
            .find(|c| c["sourceId"] == target.target_id && c["sourceType"] == "USERTARGET")
            .unwrap_or_else(|| panic!("DAS lists the completion of target {} of customer {customer}", target.target_id));
        assert_eq!(completion["targetGroupId"], target.group_id);
        let period = if target.period_agnostic { Value::Null } else { target.period_id.into() };
        assert_eq!(completion["periodId"], period);
        assert_eq!(completion["eventTime"], target.achieved_at_ms, "achieved when v3 says");
        assert_eq!(completion["customerId"], customer);
        let event_log_id = completion["eventLogId"].as_i64().unwrap();

        // The points ledger lists the completion's credits in points (none when it awarded only an
        // alternate currency), with the event's own fields.
        let credits: Vec<&Value> = ledger.iter().filter(|entry| entry["eventLogId"] == event_log_id).collect();
        for entry in &credits {
            assert_eq!(entry["eventName"], "TargetCompleted");
            for field in ["uniqueId", "tillId", "eventTime", "processingTime", "eventTypeId", "customerId"] {
                assert_eq!(entry[field], completion[field], "{field} of event {event_log_id}");
            }
        }

        let response = app
            .get(&format!(
                "/v2/pointsLedger/getLedgerExplodeInfo?identifierName=id&identifierValue={customer}&source=INSTORE&eventIds={event_log_id}"
            ))
            .demo()
            .send()
            .await;
        assert_eq!(response.status, StatusCode::OK, "{}", response.text());
        let event = response.json()["events"][0].clone();
        assert_eq!(event["eventLogId"], event_log_id);
        assert_eq!(event["eventName"], "TargetCompleted");
        assert_eq!(event["uniqueId"], completion["uniqueId"]);
        assert_eq!(event["eventDetails"]["eventTime"], target.achieved_local.as_str());
        assert_eq!(event["eventDetails"]["tillId"], completion["tillId"]);
        let details = &event["targetCompletedDetails"];
        assert_eq!(details["targetGroupID"], target.group_id);
        assert_eq!(details["targetGroupName"], completion["targetGroupName"]);
        assert_eq!(details["targetId"], target.rule_id, "v2's targetId is the rule");
        assert_eq!(details.get("targetPeriodID").cloned().unwrap_or(Value::Null), period);
        assert_eq!(details["sourceId"], target.target_id, "v2's sourceId is the user target");
        assert_eq!(details["sourceType"], "USERTARGET");

        let earned: f64 = ["regular", "promo", "promised"]
            .iter()
            .flat_map(|kind| details["pointsEarned"][kind].as_array().cloned().unwrap_or_default())
            .map(|award| award["value"].as_f64().unwrap())
            .sum();
        let credited: f64 = credits.iter().map(|entry| entry["points"].as_f64().unwrap()).sum();
        assert_eq!(earned, credited, "the points v2 says event {event_log_id} earned are the ledger's credits");
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
