//! `GET /v3/users/{userId}/targetGroups`: every documented sample as printed, each query
//! parameter's effect, `currentPeriod` at period boundaries, streak and milestone shapes, errors.

use axum::http::StatusCode;
use capillary_emulator::config::RuntimeConfig;
use chrono::DateTime;
use serde_json::{Value, json};
use sqlx::PgPool;

use crate::{helpers::*, samples::assert_is_sample, strict_json::assert_same_values};

/// The instant the "With streak detail" sample was taken: its targets not enrolled in report it as
/// `enrolledOn` (2024-05-07T10:26:56.573+0000). The milestone sample is from the same month. Org
/// 100001's clock stands there.
const MAY_2024_SAMPLES_TAKEN: i64 = 1715077616573;
/// The instant the cyclic-window sample was taken (2024-07-30T11:32:56.360+0530), where org
/// 100003's clock stands.
const CYCLIC_SAMPLE_TAKEN: i64 = 1722319376360;

const UTC_TILL: &str = "utc.till";
const UTC2_TILL: &str = "utc2.till";
const CYCLIC_TILL: &str = "cyclic.till";
const CONNECTED_TILL: &str = "connected.till";

/// Epoch milliseconds of an RFC 3339 instant.
#[track_caller]
fn millis(instant: &str) -> i64 {
    DateTime::parse_from_rfc3339(instant).expect("RFC 3339").timestamp_millis()
}

/// The successful answer's `data`, after checking the envelope.
#[track_caller]
fn data(response: &TestResponse) -> Value {
    assert_eq!(response.status, StatusCode::OK, "{}", response.text());
    let body = response.json();
    assert_eq!(body["errors"], Value::Null, "{body}");
    assert_eq!(body["warnings"], Value::Null, "{body}");
    assert_eq!(keys_of(&body), ["data", "errors", "warnings"], "{body}");
    body["data"].clone()
}

async fn get(app: &TestApp, till: &str, uri: &str) -> Value {
    data(&app.get(uri).basic(till, DEMO_PASSWORD).send().await)
}

#[track_caller]
fn group_ids(data: &Value) -> Vec<i64> {
    data["targetGroups"].as_array().unwrap().iter().map(|group| group["id"].as_i64().unwrap()).collect()
}

#[track_caller]
fn group(data: &Value, id: i64) -> &Value {
    data["targetGroups"].as_array().unwrap().iter().find(|group| group["id"] == id).unwrap_or_else(|| panic!("no group {id}: {data}"))
}

#[track_caller]
fn target(data: &Value, group_id: i64, period_id: i64) -> &Value {
    group(data, group_id)["targets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|target| target["periodId"] == period_id)
        .unwrap_or_else(|| panic!("no target for period {period_id} in group {group_id}"))
}

// ------------------------------------------------------------------------------------ samples

// Every sample comes back as printed: tests/samples/manifest.json, run by samples.rs.

#[tokio::test]
async fn oauth_reads_the_same_as_basic_auth() {
    let app = TestApp::new().await;
    let token = app.oauth_token("demo-key", "demo-secret").await;
    let response = app.get("/v3/users/387043873/targetGroups?includeInactiveTargets=true").oauth(&token).send().await;
    assert_is_sample("v3-include-inactive-targets", &response);
    // A token's org stands at its own clock, as its till's does.
    let token = app.oauth_token("cyclic-key", "cyclic-secret").await;
    let response = app.get("/v3/users/387035386/targetGroups").oauth(&token).send().await;
    assert_is_sample("v3-cyclic-window", &response);
}

// --------------------------------------------------------------------------- query parameters

#[tokio::test]
async fn include_inactive_targets_adds_targets_of_switched_off_rules() {
    let app = TestApp::new().await;
    // Rule 59857 is switched off: without the flag its group has nothing to show and is left out.
    for uri in ["/v3/users/387043873/targetGroups", "/v3/users/387043873/targetGroups?includeInactiveTargets=false"] {
        let data = get(&app, DEMO_TILL, uri).await;
        assert_eq!(data["targetGroups"], json!([]), "{uri}");
        assert_eq!(data["customer"]["id"], 387043873);
    }
    let data = get(&app, DEMO_TILL, "/v3/users/387043873/targetGroups?includeInactiveTargets=1").await;
    assert_eq!(group_ids(&data), vec![32960]);
}

#[tokio::test]
async fn include_inactive_adds_switched_off_groups() {
    let app = TestApp::new().await;
    let data = get(&app, DEMO_TILL, "/v3/users/39000002/targetGroups").await;
    assert_eq!(group_ids(&data), vec![39001, 39003, 39004]);
    let data = get(&app, DEMO_TILL, "/v3/users/39000002/targetGroups?includeInactive=true").await;
    assert_eq!(group_ids(&data), vec![39001, 39002, 39003, 39004]);
    let monsoon = target(&data, 39002, 39102);
    assert_eq!(monsoon["targetId"], 39402);
    assert_eq!(monsoon["targetAchievedDateTime"], "2024-06-10T18:45:00.000+0530");
    assert_eq!(group(&data, 39002)["trackingType"], "UNIFIED");
}

#[tokio::test]
async fn target_rule_id_keeps_only_that_rules_targets() {
    let app = TestApp::new().await;
    let data = get(&app, UTC2_TILL, "/v3/users/39000001/targetGroups?targetRuleId=2392").await;
    let targets: Vec<&Value> = group(&data, 1014)["targets"].as_array().unwrap().iter().collect();
    assert_eq!(targets.iter().map(|t| t["targetId"].as_i64().unwrap()).collect::<Vec<_>>(), vec![1190311, 1248310]);
    assert!(targets.iter().all(|t| t["targetRuleId"] == 2392));
    // The group still tracks its streak.
    assert_eq!(group(&data, 1014)["streaks"][0]["userStreakId"], 380);

    // Groups without a target of the rule are left out.
    let data = get(&app, DEMO_TILL, "/v3/users/39000002/targetGroups?targetRuleId=39203").await;
    assert_eq!(group_ids(&data), vec![39003]);
    let data = get(&app, DEMO_TILL, "/v3/users/39000002/targetGroups?targetRuleId=123456789").await;
    assert_eq!(data["targetGroups"], json!([]));
}

#[tokio::test]
async fn excluded_entities_leaves_those_groups_out() {
    let app = TestApp::new().await;
    let data = get(&app, DEMO_TILL, "/v3/users/39000002/targetGroups?excludedEntities=39001").await;
    assert_eq!(group_ids(&data), vec![39003, 39004]);
    // Repeated, as an array parameter travels, or comma-separated, or both.
    for query in ["excludedEntities=39001&excludedEntities=39004", "excludedEntities=39001,39004", "excludedEntities=39001%2C%2039004"] {
        let data = get(&app, DEMO_TILL, &format!("/v3/users/39000002/targetGroups?{query}")).await;
        assert_eq!(group_ids(&data), vec![39003], "{query}");
    }
    let data = get(&app, DEMO_TILL, "/v3/users/39000002/targetGroups?excludedEntities=39001,39003&excludedEntities=39004").await;
    assert_eq!(data["targetGroups"], json!([]));
    // Ids of nothing the customer sees change nothing.
    let data = get(&app, DEMO_TILL, "/v3/users/39000002/targetGroups?excludedEntities=1,2").await;
    assert_eq!(group_ids(&data), vec![39001, 39003, 39004]);
}

#[tokio::test]
async fn tracking_date_judges_current_period_and_achievements_at_that_instant() {
    let app = TestApp::new().await;
    // At the bundle clock (2024-06-20T12:30:00+05:30): week 3 is current, the first milestone is
    // reached, two weeks are achieved.
    let now = get(&app, DEMO_TILL, "/v3/users/39000002/targetGroups").await;
    assert_eq!(target(&now, 39003, 39105)["currentPeriod"], true);
    assert_eq!(target(&now, 39003, 39104)["currentPeriod"], false);
    assert_eq!(target(&now, 39003, 39105)["targetAchievedDateTime"], "2024-06-18T19:30:00.000+0530");
    assert_eq!(target(&now, 39001, 39101)["milestones"][0]["isAchieved"], true);
    assert_eq!(group(&now, 39003)["streaks"][0]["currentCount"], 2);

    // On 2024-06-12 at 09:00 in the org's zone: week 2 is current, the milestone (reached at
    // 10:00 that day) and week 3's target are not achieved yet, the streak counts one week.
    let uri = format!("/v3/users/39000002/targetGroups?trackingDate={}", millis("2024-06-12T09:00:00+05:30"));
    let then = get(&app, DEMO_TILL, &uri).await;
    assert_eq!(target(&then, 39003, 39104)["currentPeriod"], true);
    assert_eq!(target(&then, 39003, 39105)["currentPeriod"], false);
    assert_eq!(target(&then, 39003, 39105)["targetAchievedDateTime"], Value::Null);
    assert_eq!(target(&then, 39003, 39103)["targetAchievedDateTime"], "2024-06-04T11:00:00.000+0530");
    assert_eq!(target(&then, 39001, 39101)["milestones"][0]["isAchieved"], false);
    assert_eq!(
        group(&then, 39003)["streaks"][0],
        json!({
            "userStreakId": 39601, "streakId": 39501, "streakName": "Three visit weeks",
            "status": "INPROGRESS", "currentCount": 1, "totalTargetCountOfSequence": 3
        })
    );
    // A target not enrolled in reports the instant judged at as its enrolment.
    assert_eq!(target(&then, 39004, 39106)["enrolledOn"], "2024-06-12T09:00:00.000+0530");
    assert_eq!(target(&now, 39004, 39106)["enrolledOn"], "2024-06-20T12:30:00.000+0530");

    let uri = format!("/v3/users/39000002/targetGroups?trackingDate={}", millis("2024-06-12T10:00:00+05:30"));
    let reached = get(&app, DEMO_TILL, &uri).await;
    assert_eq!(target(&reached, 39001, 39101)["milestones"][0]["isAchieved"], true, "reached at that very instant");
}

#[tokio::test]
async fn current_period_turns_at_midnight_in_the_orgs_time_zone() {
    let app = TestApp::new().await;
    // Period 43130 is 2024-06-20 in Asia/Kolkata.
    let cases = [
        ("2024-06-19T23:59:59.999+05:30", false),
        ("2024-06-20T00:00:00+05:30", true),
        ("2024-06-20T00:00:00Z", true),
        ("2024-06-20T23:59:59.999+05:30", true),
        ("2024-06-21T00:00:00+05:30", false),
        // Still 2024-06-20 in UTC, but 01:30 the next day in the org.
        ("2024-06-20T20:00:00Z", false),
    ];
    for (instant, current) in cases {
        let uri = format!("/v3/users/387043873/targetGroups?includeInactiveTargets=true&trackingDate={}", millis(instant));
        let data = get(&app, DEMO_TILL, &uri).await;
        assert_eq!(target(&data, 32960, 43130)["currentPeriod"], current, "{instant}");
    }
    // Period 1814 of a UTC org is 2024-04-12 to 2024-05-11 in UTC.
    let cases = [
        ("2024-04-11T23:59:59.999Z", false),
        ("2024-04-12T00:00:00Z", true),
        ("2024-05-11T23:59:59.999Z", true),
        ("2024-05-12T00:00:00Z", false),
        ("2024-05-12T03:00:00+05:30", true),
    ];
    for (instant, current) in cases {
        let uri = format!("/v3/users/64035151/targetGroups?trackingDate={}", millis(instant));
        let data = get(&app, UTC_TILL, &uri).await;
        assert_eq!(target(&data, 854, 1814)["currentPeriod"], current, "{instant}");
    }
    // A cyclic window of one second: current only within it.
    for (instant, current) in
        [("2024-07-01T20:15:56.999+05:30", false), ("2024-07-01T20:15:57.500+05:30", true), ("2024-07-01T20:15:58+05:30", false)]
    {
        let uri = format!("/v3/users/387035386/targetGroups?trackingDate={}", millis(instant));
        let data = get(&app, CYCLIC_TILL, &uri).await;
        assert_eq!(target(&data, 34044, 45523)["currentPeriod"], current, "{instant}");
    }
}

#[tokio::test]
async fn the_clock_is_the_configured_one_else_the_orgs_else_the_bundles() {
    // Period 43130 is 2024-06-20 in Asia/Kolkata. Org 50406 has no clock of its own: the bundle's
    // settings.clock (2024-06-20T12:30:00+05:30) judges it.
    let uri = "/v3/users/387043873/targetGroups?includeInactiveTargets=true";
    let set_demo_org_clock = |pool: PgPool| async move {
        sqlx::query("UPDATE orgs SET clock = '2024-06-21T00:00:00+05:30' WHERE org_id = 50406").execute(&pool).await.unwrap();
    };
    let app = TestApp::new().await;
    let pool = app.pool.clone();
    assert_eq!(target(&get(&app, DEMO_TILL, uri).await, 32960, 43130)["currentPeriod"], true);

    // The org's clock wins over the bundle's.
    set_demo_org_clock(pool.clone()).await;
    assert_eq!(target(&get(&app, DEMO_TILL, uri).await, 32960, 43130)["currentPeriod"], false);

    // The configured clock wins over both.
    let config = RuntimeConfig { clock: Some("2024-06-20T23:59:59+05:30".parse().unwrap()), ..RuntimeConfig::default() };
    let app = TestApp::with_config(config).await;
    set_demo_org_clock(app.pool.clone()).await;
    assert_eq!(target(&get(&app, DEMO_TILL, uri).await, 32960, 43130)["currentPeriod"], true);
    let cyclic = get(&app, CYCLIC_TILL, "/v3/users/387035386/targetGroups").await;
    assert_eq!(target(&cyclic, 34044, 45523)["enrolledOn"], "2024-06-20T23:59:59.000+0530", "not org 100003's clock");
}

#[tokio::test]
async fn tracking_date_wins_over_every_clock() {
    let config = RuntimeConfig { clock: Some("2030-01-01T00:00:00Z".parse().unwrap()), ..RuntimeConfig::default() };
    let app = TestApp::with_config(config).await;
    let data = get(&app, CYCLIC_TILL, "/v3/users/387035386/targetGroups").await;
    assert_eq!(target(&data, 34044, 45523)["enrolledOn"], "2030-01-01T05:30:00.000+0530");
    // At the instants they were taken, the samples come back whatever the clock says.
    let uri = format!("/v3/users/387035386/targetGroups?trackingDate={CYCLIC_SAMPLE_TAKEN}");
    assert_is_sample("v3-cyclic-window", &app.get(&uri).basic(CYCLIC_TILL, DEMO_PASSWORD).send().await);
    let uri = format!("/v3/users/64035151/targetGroups?trackingDate={MAY_2024_SAMPLES_TAKEN}");
    assert_is_sample("v3-streak-detail", &app.get(&uri).basic(UTC_TILL, DEMO_PASSWORD).send().await);
    let uri = format!("/v3/users/547528790/targetGroups?trackingDate={MAY_2024_SAMPLES_TAKEN}");
    assert_is_sample("v3-milestone-detail", &app.get(&uri).basic(UTC_TILL, DEMO_PASSWORD).send().await);
    // And inside a period of its own.
    let uri = format!("/v3/users/387035386/targetGroups?trackingDate={}", millis("2024-07-01T20:15:57+05:30"));
    let data = get(&app, CYCLIC_TILL, &uri).await;
    assert_eq!(target(&data, 34044, 45523)["currentPeriod"], true);
    assert_eq!(target(&data, 34044, 45523)["enrolledOn"], "2024-07-01T20:15:57.000+0530");
}

// ------------------------------------------------------------------------------------- shapes

#[tokio::test]
async fn streaks_appear_only_on_groups_that_track_them() {
    let app = TestApp::new().await;
    let data = get(&app, UTC_TILL, "/v3/users/64035151/targetGroups").await;
    for group in data["targetGroups"].as_array().unwrap() {
        let tracks = matches!(group["trackingType"].as_str(), Some("STREAKS" | "NON_CONTINUOUS_STREAKS"));
        assert_eq!(group.get("streaks").is_some(), tracks, "{group}");
    }
    // In progress: no achieved fields at all.
    let in_progress = &group(&data, 871)["streaks"][0];
    assert_eq!(in_progress["status"], "INPROGRESS");
    assert!(in_progress.get("streakAchievedUserTargetId").is_none() && in_progress.get("streakAchievedDateTime").is_none());

    let demo = get(&app, DEMO_TILL, "/v3/users/39000002/targetGroups").await;
    assert_eq!(group(&demo, 39003)["trackingType"], "NON_CONTINUOUS_STREAKS");
    assert_eq!(group(&demo, 39003)["streaks"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn a_streak_is_achieved_from_its_achievement_on() {
    let app = TestApp::new().await;
    // One minute before target 1248310 completed streak 380.
    let uri = format!("/v3/users/39000001/targetGroups?trackingDate={}", millis("2024-06-10T13:56:58Z"));
    let data = get(&app, UTC2_TILL, &uri).await;
    assert_eq!(
        group(&data, 1014)["streaks"],
        json!([{
            "userStreakId": 380, "streakId": 191, "streakName": "test3_1",
            "status": "INPROGRESS", "currentCount": 1, "totalTargetCountOfSequence": 2
        }])
    );
    let targets = group(&data, 1014)["targets"].as_array().unwrap();
    let completing = targets.iter().find(|t| t["targetId"] == 1248310).unwrap();
    assert_eq!(completing["targetAchievedDateTime"], Value::Null);
    let earlier = targets.iter().find(|t| t["targetId"] == 1248300).unwrap();
    assert_eq!(earlier["targetAchievedDateTime"], "2024-06-10T13:56:27.000+0000");

    let uri = format!("/v3/users/39000001/targetGroups?trackingDate={}", millis("2024-06-10T13:57:58Z"));
    assert_is_sample("v3-streak-achieved", &app.get(&uri).basic(UTC2_TILL, DEMO_PASSWORD).send().await);
}

#[tokio::test]
async fn milestones_are_listed_per_target_or_null() {
    let app = TestApp::new().await;
    let data = get(&app, DEMO_TILL, "/v3/users/39000002/targetGroups").await;
    assert_eq!(
        target(&data, 39001, 39101)["milestones"],
        json!([
            {"id": 39301, "triggerName": "2 coffees", "triggerValue": 2.0, "isAchieved": true},
            {"id": 39302, "triggerName": "4 coffees", "triggerValue": 4.0, "isAchieved": false}
        ])
    );
    assert_eq!(target(&data, 39003, 39103)["milestones"], Value::Null);
    // A target the customer is not enrolled in has not reached any milestone.
    let data = get(&app, CYCLIC_TILL, "/v3/users/387035386/targetGroups").await;
    assert_same_values(
        &target(&data, 34044, 45523)["milestones"],
        &json!([{"id": 10794, "triggerName": "targetAchieved", "triggerValue": 1500.0, "isAchieved": false}]),
    );
}

#[tokio::test]
async fn program_and_alternate_currency_appear_only_for_rules_that_have_them() {
    let app = TestApp::new().await;
    let data = get(&app, DEMO_TILL, "/v3/users/39000002/targetGroups").await;
    let coffee = target(&data, 39001, 39101);
    assert_eq!(coffee["programId"], 39000003);
    assert_eq!(coffee["alternateCurrencyIdentifier"], "ac_coffee_beans_6f1d");
    assert_eq!(coffee["alternateCurrencyName"], "Coffee Beans");
    let keys: Vec<&str> = coffee.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(&keys[..5], &["targetId", "periodId", "programId", "alternateCurrencyIdentifier", "alternateCurrencyName"]);
    let visits = target(&data, 39003, 39103);
    for key in ["programId", "alternateCurrencyIdentifier", "alternateCurrencyName"] {
        assert!(visits.get(key).is_none(), "{key}: {visits}");
    }
}

#[tokio::test]
async fn an_org_on_the_release_before_achievement_times_omits_them() {
    let app = TestApp::new().await;
    let data = get(&app, UTC_TILL, "/v3/users/64035151/targetGroups").await;
    let achieved = target(&data, 854, 1814);
    assert_eq!(achieved["targetAchievedValue"], 2600.0);
    assert!(achieved.get("targetAchievedDateTime").is_none(), "{achieved}");
    let streak = &group(&data, 851)["streaks"][0];
    assert_eq!(streak["status"], "ACHIEVED");
    assert_eq!(streak["streakAchievedUserTargetId"], 2179901);
    assert!(streak.get("streakAchievedDateTime").is_none(), "{streak}");
}

#[tokio::test]
async fn targets_not_enrolled_in_list_every_period_of_the_group() {
    let app = TestApp::new().await;
    let data = get(&app, UTC_TILL, "/v3/users/64035151/targetGroups").await;
    let capping = group(&data, 643)["targets"].as_array().unwrap();
    assert_eq!(capping.len(), 12);
    assert!(
        capping
            .iter()
            .all(|t| t["targetId"].is_null() && t["targetAchievedValue"] == 0.0 && t["enrolledOn"] == "2024-05-07T10:26:56.573+0000")
    );
    // An enrolled group shows the customer's own targets only (871 has five daily periods).
    assert_eq!(group(&data, 871)["targets"].as_array().unwrap().len(), 2);
}

// ------------------------------------------------------------------------------------- errors

#[tokio::test]
async fn a_user_id_that_is_not_a_number_is_400() {
    let app = TestApp::new().await;
    for user_id in ["abc", "12x", "1.5", "99999999999999999999"] {
        let response = app.get(&format!("/v3/users/{user_id}/targetGroups")).demo().send().await;
        let message = assert_v3_error(&response, StatusCode::BAD_REQUEST, 11012);
        assert!(message.contains("userId") && message.contains(user_id), "{message}");
    }
}

#[tokio::test]
async fn an_unknown_customer_is_404() {
    let app = TestApp::new().await;
    for user_id in ["1", "-5", "0"] {
        let response = app.get(&format!("/v3/users/{user_id}/targetGroups")).demo().send().await;
        let message = assert_v3_error(&response, StatusCode::NOT_FOUND, 8015);
        assert!(message.contains("userId") && message.contains(user_id), "{message}");
    }
}

#[tokio::test]
async fn another_orgs_customer_is_not_found() {
    let app = TestApp::new().await;
    // 64035151 belongs to the UTC org; 387043873 to org 50406, which connected.till's org is
    // connected from but cannot read through this API; 387035386 to the cyclic org.
    let cases = [
        (DEMO_TILL, 64035151),
        (CONNECTED_TILL, 387043873),
        (UTC2_TILL, 64035151),
        (UTC_TILL, 39000001),
        (DEMO_TILL, 387035386),
        (CYCLIC_TILL, 387043873),
    ];
    for (till, user_id) in cases {
        let response = app.get(&format!("/v3/users/{user_id}/targetGroups")).basic(till, DEMO_PASSWORD).send().await;
        let message = assert_v3_error(&response, StatusCode::NOT_FOUND, 8015);
        assert!(message.contains(&user_id.to_string()), "{message}");
    }
}

#[tokio::test]
async fn malformed_query_parameters_are_400_naming_the_parameter() {
    let app = TestApp::new().await;
    let cases = [
        ("includeInactive=maybe", "includeInactive"),
        ("includeInactiveTargets=yes", "includeInactiveTargets"),
        ("targetRuleId=abc", "targetRuleId"),
        ("targetRuleId=1.5", "targetRuleId"),
        ("excludedEntities=1,x", "excludedEntities"),
        ("excludedEntities=1,,2", "excludedEntities"),
        ("excludedEntities=1&excludedEntities=y", "excludedEntities"),
        ("trackingDate=2024-06-20", "trackingDate"),
        ("trackingDate=99999999999999999", "trackingDate"),
    ];
    for (query, parameter) in cases {
        let response = app.get(&format!("/v3/users/39000002/targetGroups?{query}")).demo().send().await;
        let message = assert_v3_error(&response, StatusCode::BAD_REQUEST, 11030);
        assert!(message.contains(parameter), "{query}: {message}");
    }
}

#[tokio::test]
async fn without_credentials_it_is_401_in_the_v3_envelope() {
    let app = TestApp::new().await;
    let response = app.get("/v3/users/387043873/targetGroups").send().await;
    assert_v3_error(&response, StatusCode::UNAUTHORIZED, 401);
    let response = app.get("/v3/users/387043873/targetGroups").basic(DEMO_TILL, "wrong").send().await;
    assert_v3_error(&response, StatusCode::UNAUTHORIZED, 401);
}

// ------------------------------------------------------------------------------ one universe

/// Every achievement in the bundle is a `TargetCompleted` event with its completion and a ledger
/// credit, so the explode and DAS endpoints tell the same story as this one. (A target achieved
/// as a step of a streak may be completed by the streak's completion alone.)
#[tokio::test]
async fn every_achievement_has_its_target_completed_event_and_credit() {
    let db = TestDb::with_fixtures().await;
    let pool = &db.pool;
    let missing: Vec<(String, i64)> = sqlx::query_as(
        "SELECT 'user target', ut.user_target_id FROM user_targets ut
         WHERE ut.achieved_on IS NOT NULL AND NOT EXISTS (
             SELECT 1 FROM target_completions c WHERE c.user_target_id = ut.user_target_id)
         UNION ALL
         SELECT 'milestone', um.milestone_id FROM user_milestones um
         WHERE NOT EXISTS (SELECT 1 FROM target_completions c WHERE c.milestone_id = um.milestone_id AND c.user_target_id = um.user_target_id)
         UNION ALL
         SELECT 'streak', us.user_streak_id FROM user_streaks us
         WHERE us.status = 'ACHIEVED' AND NOT EXISTS (SELECT 1 FROM target_completions c WHERE c.user_streak_id = us.user_streak_id)
         UNION ALL
         SELECT 'completion without its event and credit', c.event_log_id FROM target_completions c
         WHERE NOT EXISTS (SELECT 1 FROM event_logs e WHERE e.event_log_id = c.event_log_id AND e.event_name = 'TargetCompleted'
                           AND e.event_type_id = 25 AND e.customer_id = c.customer_id)
            OR NOT EXISTS (SELECT 1 FROM points_ledger_entries l WHERE l.event_log_id = c.event_log_id AND l.ledger_entry_type = 'CREDIT')",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    assert_eq!(missing, vec![]);
}
