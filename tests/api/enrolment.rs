//! `POST /v3/targetGroups/{tg}/targets/{t}/enroll` and `/unEnroll`: the documented answer and
//! codes, what the v3 targetGroups read shows after each, and that a refused request changes
//! nothing.

use axum::http::StatusCode;
use serde_json::{Value, json};
use sqlx::PgPool;

use crate::{changes::DataChanges, helpers::*};

/// Coffee club (org 50406): one period, JUN-2024, running at the demo clock (2024-06-20); its
/// rule 39201 counts 5 coffees with milestones at 2 and 4.
const COFFEE_GROUP: i64 = 39001;
const COFFEE_RULE: i64 = 39201;
const COFFEE_PERIOD: i64 = 39101;
/// Weekly visits (org 50406): a non-continuous streak over WEEK-1..3 (WEEK-3 runs now), rule 39203.
const VISITS_GROUP: i64 = 39003;
const VISITS_RULE: i64 = 39203;
/// Rohan: a demo-org customer with no targets.
const ROHAN: i64 = 387970842;
/// Huck: enrolled in the coffee club (3 of 5) and the weekly visits.
const HUCK: i64 = 39000002;

fn enroll_path(group: i64, rule: i64) -> String {
    format!("/v3/targetGroups/{group}/targets/{rule}/enroll")
}

fn un_enroll_path(group: i64, rule: i64) -> String {
    format!("/v3/targetGroups/{group}/targets/{rule}/unEnroll")
}

async fn post(app: &TestApp, path: &str, body: Value) -> TestResponse {
    app.post(path).demo().json(&body).send().await
}

/// The documented success envelope, `{"data": customerId, "errors": null, "warnings": null}`.
#[track_caller]
fn assert_customer_id(response: &TestResponse, customer_id: i64) {
    assert_eq!(response.status, StatusCode::OK, "{}", response.text());
    let body = response.json();
    assert_eq!(keys_of(&body), ["data", "errors", "warnings"], "{body}");
    assert_eq!(body, json!({"data": customer_id, "errors": null, "warnings": null}));
}

/// The customer's targets of `rule` in the v3 read, by period ref code.
async fn targets_of(app: &TestApp, customer_id: i64, group_id: i64, rule: i64) -> Vec<Value> {
    let response = app.get(&format!("/v3/users/{customer_id}/targetGroups")).demo().send().await;
    assert_eq!(response.status, StatusCode::OK, "{}", response.text());
    let body = response.json();
    let Some(group) = body["data"]["targetGroups"].as_array().unwrap().iter().find(|group| group["id"] == group_id) else {
        return Vec::new();
    };
    group["targets"].as_array().unwrap().iter().filter(|target| target["targetRuleId"] == rule).cloned().collect()
}

/// The demo org runs a release before 2026's `unEnrolled` and `lastUpdatedOn`; these tests read
/// them, so it runs the current one.
async fn report_2026_fields(pool: &PgPool) {
    sqlx::query("UPDATE org_releases SET reports_2026_target_fields = true WHERE org_id = 50406").execute(pool).await.unwrap();
}

/// Everything enrolment writes, as text, to check that a refused request changed nothing.
async fn enrolment_rows(pool: &PgPool) -> String {
    sqlx::query_scalar(
        "SELECT concat((SELECT json_agg(t ORDER BY user_target_id)::text FROM user_targets t), '|',
                       (SELECT json_agg(s ORDER BY user_streak_id)::text FROM user_streaks s))",
    )
    .fetch_one(pool)
    .await
    .unwrap()
}

#[tokio::test]
async fn enrolment_starts_the_target_at_the_initial_balance_and_the_v3_read_shows_it() {
    let app = TestApp::new().await;
    report_2026_fields(&app.pool).await;
    let mut changes = DataChanges::listen(&app.pool).await;
    assert!(targets_of(&app, ROHAN, COFFEE_GROUP, COFFEE_RULE).await.is_empty());
    let body = json!([{"customerId": ROHAN, "periodName": "JUN-2024", "initialBalance": 1, "resetStreakStatus": false}]);
    assert_customer_id(&post(&app, &enroll_path(COFFEE_GROUP, COFFEE_RULE), body).await, ROHAN);
    assert_eq!(changes.count().await, 1, "the change hook ran once");

    let targets = targets_of(&app, ROHAN, COFFEE_GROUP, COFFEE_RULE).await;
    assert_eq!(targets.len(), 1, "{targets:?}");
    let target = &targets[0];
    assert!(target["targetId"].as_i64().is_some(), "a user target of its own: {target}");
    assert_eq!(target["periodId"], COFFEE_PERIOD);
    assert_eq!(target["periodRefCode"], "JUN-2024");
    assert_eq!(target["targetValue"], json!(5.0));
    assert_eq!(target["targetAchievedValue"], json!(1.0));
    assert_eq!(target["unEnrolled"], false);
    assert_eq!(target["currentPeriod"], true);
    // Enrolled now: the demo org's clock.
    assert_eq!(target["enrolledOnISO"], "2024-06-20T12:30:00+05:30");
    let milestones: Vec<bool> = target["milestones"].as_array().unwrap().iter().map(|m| m["isAchieved"].as_bool().unwrap()).collect();
    assert_eq!(milestones, [false, false]);

    // Enrolling again is 310119, and changes nothing.
    let before = enrolment_rows(&app.pool).await;
    let again = post(&app, &enroll_path(COFFEE_GROUP, COFFEE_RULE), json!([{"customerId": ROHAN, "periodName": "JUN-2024"}])).await;
    assert!(assert_v3_error(&again, StatusCode::BAD_REQUEST, 310119).starts_with("User already enrolled for the target."));
    assert_eq!(enrolment_rows(&app.pool).await, before);
    assert_eq!(changes.count().await, 0, "a refused write announces no change");
}

#[tokio::test]
async fn un_enrolment_keeps_the_value_and_re_enrolment_resumes_or_restarts_it() {
    let app = TestApp::new().await;
    report_2026_fields(&app.pool).await;
    let response = post(&app, &un_enroll_path(COFFEE_GROUP, COFFEE_RULE), json!([{"customerId": HUCK}])).await;
    assert_customer_id(&response, HUCK);
    let targets = targets_of(&app, HUCK, COFFEE_GROUP, COFFEE_RULE).await;
    assert_eq!((targets[0]["unEnrolled"].clone(), targets[0]["targetAchievedValue"].clone()), (json!(true), json!(3.0)));
    assert_eq!(targets[0]["lastUpdatedOn"], "2024-06-20T12:30:00.000+0530");

    // Not enrolled any more: 310126, as Capillary's v3.json prints it (HTTP 500).
    let before = enrolment_rows(&app.pool).await;
    let again = post(&app, &un_enroll_path(COFFEE_GROUP, COFFEE_RULE), json!([{"customerId": HUCK}])).await;
    assert!(assert_v3_error(&again, StatusCode::INTERNAL_SERVER_ERROR, 310126).starts_with("User is not enrolled to this target"));
    assert_eq!(enrolment_rows(&app.pool).await, before);

    // Re-enrolment with initialBalance null resumes the value left.
    let body = json!([{"customerId": HUCK, "periodName": "JUN-2024", "initialBalance": null}]);
    assert_customer_id(&post(&app, &enroll_path(COFFEE_GROUP, COFFEE_RULE), body).await, HUCK);
    let targets = targets_of(&app, HUCK, COFFEE_GROUP, COFFEE_RULE).await;
    assert_eq!((targets.len(), targets[0]["unEnrolled"].clone(), targets[0]["targetAchievedValue"].clone()), (1, json!(false), json!(3.0)));

    // With a number, it starts there.
    post(&app, &un_enroll_path(COFFEE_GROUP, COFFEE_RULE), json!([{"customerId": HUCK}])).await;
    let body = json!([{"customerId": HUCK.to_string(), "periodName": "JUN-2024", "initialBalance": 0}]);
    assert_customer_id(&post(&app, &enroll_path(COFFEE_GROUP, COFFEE_RULE), body).await, HUCK);
    assert_eq!(targets_of(&app, HUCK, COFFEE_GROUP, COFFEE_RULE).await[0]["targetAchievedValue"], json!(0.0));
}

#[tokio::test]
async fn streak_enrolment_takes_the_running_period_and_later_ones_and_starts_the_streak() {
    let app = TestApp::new().await;
    report_2026_fields(&app.pool).await;
    let response = post(&app, &enroll_path(VISITS_GROUP, VISITS_RULE), json!([{"customerId": ROHAN}])).await;
    assert_customer_id(&response, ROHAN);
    let targets = targets_of(&app, ROHAN, VISITS_GROUP, VISITS_RULE).await;
    let periods: Vec<&str> = targets.iter().map(|t| t["periodRefCode"].as_str().unwrap()).collect();
    assert_eq!(periods, ["WEEK-3"], "WEEK-1 and WEEK-2 ended before the clock");
    let read = app.get(&format!("/v3/users/{ROHAN}/targetGroups")).demo().send().await.json();
    let group = read["data"]["targetGroups"].as_array().unwrap().iter().find(|g| g["id"] == VISITS_GROUP).unwrap().clone();
    let streak = &group["streaks"][0];
    assert_eq!(
        (streak["streakId"].clone(), streak["status"].clone(), streak["currentCount"].clone()),
        (json!(39501), json!("INPROGRESS"), json!(0))
    );

    // Huck's streak stands at 2; leaving and coming back with resetStreakStatus starts it again.
    let streak_count = |read: Value| {
        read["data"]["targetGroups"].as_array().unwrap().iter().find(|g| g["id"] == VISITS_GROUP).unwrap()["streaks"][0]["currentCount"]
            .clone()
    };
    let read = app.get(&format!("/v3/users/{HUCK}/targetGroups")).demo().send().await.json();
    assert_eq!(streak_count(read), json!(2));
    assert_customer_id(&post(&app, &un_enroll_path(VISITS_GROUP, VISITS_RULE), json!([{"customerId": HUCK}])).await, HUCK);
    let week_1 = targets_of(&app, HUCK, VISITS_GROUP, VISITS_RULE).await;
    let left: Vec<(&str, bool)> =
        week_1.iter().map(|t| (t["periodRefCode"].as_str().unwrap(), t["unEnrolled"].as_bool().unwrap())).collect();
    assert_eq!(left, [("WEEK-1", false), ("WEEK-2", false), ("WEEK-3", true)], "ended periods keep what they hold");
    let body = json!([{"customerId": HUCK, "resetStreakStatus": true}]);
    assert_customer_id(&post(&app, &enroll_path(VISITS_GROUP, VISITS_RULE), body).await, HUCK);
    let read = app.get(&format!("/v3/users/{HUCK}/targetGroups")).demo().send().await.json();
    assert_eq!(streak_count(read), json!(0));
}

#[tokio::test]
async fn several_customers_are_enrolled_together_or_not_at_all() {
    let app = TestApp::new().await;
    let before = enrolment_rows(&app.pool).await;
    // Rohan would be enrolled, but Huck is already: nothing is written.
    let body = json!([{"customerId": ROHAN, "periodName": "JUN-2024"}, {"customerId": HUCK, "periodName": "JUN-2024"}]);
    let response = post(&app, &enroll_path(COFFEE_GROUP, COFFEE_RULE), body).await;
    assert!(assert_v3_error(&response, StatusCode::BAD_REQUEST, 310119).contains(&HUCK.to_string()));
    assert_eq!(enrolment_rows(&app.pool).await, before);
    assert!(targets_of(&app, ROHAN, COFFEE_GROUP, COFFEE_RULE).await.is_empty());

    let body = json!([{"customerId": ROHAN, "periodName": "JUN-2024"}, {"customerId": 387970843, "periodName": "JUN-2024"}]);
    assert_customer_id(&post(&app, &enroll_path(COFFEE_GROUP, COFFEE_RULE), body).await, ROHAN);
    assert_eq!(targets_of(&app, 387970843, COFFEE_GROUP, COFFEE_RULE).await.len(), 1);
}

#[tokio::test]
async fn bad_requests_get_the_documented_codes_and_change_nothing() {
    let app = TestApp::new().await;
    let before = enrolment_rows(&app.pool).await;
    let coffee = enroll_path(COFFEE_GROUP, COFFEE_RULE);
    let cases: Vec<(String, Value, StatusCode, i64, &str)> = vec![
        (coffee.clone(), json!([{"customerId": 999999, "periodName": "JUN-2024"}]), StatusCode::BAD_REQUEST, 310011, "999999"),
        // Another org's customer is no customer here.
        (coffee.clone(), json!([{"customerId": 566135941, "periodName": "JUN-2024"}]), StatusCode::BAD_REQUEST, 310011, "566135941"),
        (coffee.clone(), json!([{"customerId": ROHAN, "periodName": "JUL-2024"}]), StatusCode::BAD_REQUEST, 310019, "JUL-2024"),
        (coffee.clone(), json!([{"customerId": ROHAN}]), StatusCode::BAD_REQUEST, 300004, "periodName"),
        (enroll_path(39002, 39202), json!([{"customerId": ROHAN, "periodName": "MONSOON-1"}]), StatusCode::BAD_REQUEST, 310017, "39002"),
        (enroll_path(2684, 2902), json!([{"customerId": ROHAN, "periodName": "Cycle_1"}]), StatusCode::BAD_REQUEST, 310017, "2684"),
        (
            enroll_path(COFFEE_GROUP, VISITS_RULE),
            json!([{"customerId": ROHAN, "periodName": "JUN-2024"}]),
            StatusCode::BAD_REQUEST,
            310018,
            "39203",
        ),
        ("/v3/targetGroups/abc/targets/1/enroll".into(), json!([{"customerId": ROHAN}]), StatusCode::BAD_REQUEST, 300004, "targetGroupId"),
        (coffee.clone(), json!({"customerId": ROHAN}), StatusCode::BAD_REQUEST, 300004, "array"),
        (coffee.clone(), json!([{"customerId": "Rohan", "periodName": "JUN-2024"}]), StatusCode::BAD_REQUEST, 300004, "[0].customerId"),
        (
            coffee.clone(),
            json!([{"customerId": ROHAN, "periodName": "JUN-2024", "initialBalance": 5}]),
            StatusCode::BAD_REQUEST,
            300004,
            "initialBalance",
        ),
        (
            coffee.clone(),
            json!([{"customerId": ROHAN, "periodName": "JUN-2024", "initialBalance": -1}]),
            StatusCode::BAD_REQUEST,
            300004,
            "initialBalance",
        ),
        (
            coffee.clone(),
            json!([{"customerId": ROHAN, "periodName": "JUN-2024", "resetStreakStatus": true}]),
            StatusCode::BAD_REQUEST,
            300004,
            "resetStreakStatus",
        ),
        (
            coffee.clone(),
            json!([{"customerId": ROHAN, "periodName": "JUN-2024", "balance": 1}]),
            StatusCode::BAD_REQUEST,
            300004,
            "[0].balance",
        ),
        (
            enroll_path(VISITS_GROUP, VISITS_RULE),
            json!([{"customerId": ROHAN, "initialBalance": 1}]),
            StatusCode::BAD_REQUEST,
            300004,
            "initialBalance",
        ),
        (
            un_enroll_path(COFFEE_GROUP, COFFEE_RULE),
            json!([{"customerId": ROHAN}]),
            StatusCode::INTERNAL_SERVER_ERROR,
            310126,
            "not enrolled",
        ),
        (un_enroll_path(COFFEE_GROUP, COFFEE_RULE), json!([{"customerId": 999999}]), StatusCode::BAD_REQUEST, 310011, "999999"),
        (
            un_enroll_path(COFFEE_GROUP, COFFEE_RULE),
            json!([{"customerId": HUCK}, {"customerId": ROHAN}]),
            StatusCode::INTERNAL_SERVER_ERROR,
            310126,
            "387970842",
        ),
    ];
    for (path, body, status, code, named) in cases {
        let response = post(&app, &path, body.clone()).await;
        let message = assert_v3_error(&response, status, code);
        assert!(message.contains(named), "{path} {body}: the message names {named}: {message}");
        assert_eq!(enrolment_rows(&app.pool).await, before, "{path} {body} changed data");
    }
    // A body that is no JSON, and no credential.
    let response = app.post(&coffee).demo().body("application/json", "[{").send().await;
    assert_v3_error(&response, StatusCode::BAD_REQUEST, 300004);
    let response = app.post(&coffee).json(&json!([{"customerId": ROHAN, "periodName": "JUN-2024"}])).send().await;
    assert_v3_error(&response, StatusCode::UNAUTHORIZED, 401);
    assert_eq!(enrolment_rows(&app.pool).await, before);
}
