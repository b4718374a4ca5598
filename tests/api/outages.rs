//! The database going away under a request is a 503 in the family's envelope, and the emulator
//! recovers without a restart.

use std::time::Duration;

use axum::http::StatusCode;
use sqlx::Connection;

use crate::helpers::*;

const LEDGER: &str = "/das/getLedgerEntriesWithEventId?ledger_entry_types=CREDIT&entity_id=387970841&start_date=2025-06-03&end_date=2025-06-04&is_filter_not_based_on_date=0&till_ids=-1&is_till_not_present=1";

#[tokio::test]
async fn a_connection_terminated_under_a_request_is_a_503_not_a_500() {
    let app = TestApp::new().await;
    // Hold the tills so that the request's credential lookup waits, then end its connection as
    // an administrator (or a server shutdown) would: SQLSTATE 57P01.
    let mut locker = app.pool.acquire().await.unwrap();
    let mut lock = locker.begin().await.unwrap();
    sqlx::query("LOCK TABLE public.tills IN ACCESS EXCLUSIVE MODE").execute(&mut *lock).await.unwrap();
    let request = tokio::spawn({
        let request = app.get(LEDGER).demo();
        async move { request.send().await }
    });
    let mut terminated = false;
    for _ in 0..200 {
        let waiting: Option<i32> = sqlx::query_scalar(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()",
        )
        .fetch_optional(&app.pool)
        .await
        .unwrap();
        if let Some(pid) = waiting {
            terminated = sqlx::query_scalar("SELECT pg_terminate_backend($1)").bind(pid).fetch_one(&app.pool).await.unwrap();
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert!(terminated, "the request's connection was found waiting and terminated");
    let response = request.await.unwrap();
    let body = assert_plain_error(&response, StatusCode::SERVICE_UNAVAILABLE, None);
    assert_eq!(body["message"], "The database is unavailable; try again");
    lock.rollback().await.unwrap();
    assert_eq!(app.get(LEDGER).demo().send().await.status, StatusCode::OK);
}

#[tokio::test]
async fn a_huge_parameter_is_echoed_cut_to_a_readable_length() {
    let app = TestApp::new().await;
    let huge = "9".repeat(60_000) + "x";
    let response = app.get(&LEDGER.replace("entity_id=387970841", &format!("entity_id={huge}"))).demo().send().await;
    let body = assert_plain_error(&response, StatusCode::BAD_REQUEST, Some("entity_id"));
    let message = body["message"].as_str().unwrap();
    assert!(message.chars().count() < 1100, "{} characters", message.chars().count());
    assert!(message.starts_with("Parameter 'entity_id' must be a whole number, got '9999"), "{}", &message[..80]);
    assert!(message.ends_with("more characters)"), "{}", &message[message.len() - 60..]);
}
