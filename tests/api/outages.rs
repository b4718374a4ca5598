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

/// A TCP proxy to the test's PostgreSQL that a test can cut (every connection closed, new ones
/// refused) and restore: an outage of the emulator's database that no other test sees.
struct Proxy {
    port: u16,
    cut: std::sync::Arc<std::sync::atomic::AtomicBool>,
    links: std::sync::Arc<std::sync::Mutex<Vec<tokio::task::AbortHandle>>>,
    accept: tokio::task::JoinHandle<()>,
}

impl Proxy {
    async fn to(upstream: String) -> Proxy {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let cut = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let links: std::sync::Arc<std::sync::Mutex<Vec<tokio::task::AbortHandle>>> = Default::default();
        let accept = tokio::spawn({
            let (cut, links) = (cut.clone(), links.clone());
            async move {
                while let Ok((mut client, _)) = listener.accept().await {
                    if cut.load(std::sync::atomic::Ordering::SeqCst) {
                        continue; // dropped: the connection is closed at once
                    }
                    let upstream = upstream.clone();
                    let link = tokio::spawn(async move {
                        if let Ok(mut server) = tokio::net::TcpStream::connect(upstream).await {
                            let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                        }
                    });
                    links.lock().unwrap().push(link.abort_handle());
                }
            }
        });
        Proxy { port, cut, links, accept }
    }

    fn cut(&self) {
        self.cut.store(true, std::sync::atomic::Ordering::SeqCst);
        for link in self.links.lock().unwrap().drain(..) {
            link.abort();
        }
    }

    fn restore(&self) {
        self.cut.store(false, std::sync::atomic::Ordering::SeqCst);
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.cut();
        self.accept.abort();
    }
}

/// The app over `test_db`'s database reached through a [`Proxy`] the test can cut.
async fn app_through_proxy(test_db: &TestApp) -> (Proxy, axum::Router) {
    use sqlx::{ConnectOptions, postgres::PgConnectOptions};
    use std::str::FromStr;

    let name: String = sqlx::query_scalar("SELECT current_database()").fetch_one(&test_db.pool).await.unwrap();
    let server = PgConnectOptions::from_str(&std::env::var("DATABASE_URL").unwrap()).unwrap();
    let proxy = Proxy::to(format!("{}:{}", server.get_host(), server.get_port())).await;
    let options = server.clone().host("127.0.0.1").port(proxy.port).database(&name).disable_statement_logging();
    let pool = capillary_emulator::db::pool_options(4).connect_with(options).await.unwrap();
    let state = capillary_emulator::AppState::new(pool, capillary_emulator::config::RuntimeConfig::default()).await.unwrap();
    (proxy, capillary_emulator::app(state))
}

#[tokio::test]
async fn during_an_outage_requests_fail_fast_with_503_and_the_emulator_recovers_by_itself() {
    use std::time::Instant;

    let test_db = TestApp::new().await;
    let (proxy, router) = app_through_proxy(&test_db).await;
    let get = |path: &str| TestRequest::on(router.clone(), axum::http::Method::GET, path);
    assert_eq!(get(LEDGER).demo().send().await.status, StatusCode::OK);

    proxy.cut();
    // The first request finds out; the ones after it do not wait for the pool's acquire timeout.
    assert_plain_error(&get(LEDGER).demo().send().await, StatusCode::SERVICE_UNAVAILABLE, None);
    for _ in 0..5 {
        let started = Instant::now();
        let response = get(LEDGER).demo().send().await;
        assert_plain_error(&response, StatusCode::SERVICE_UNAVAILABLE, None);
        assert!(started.elapsed() < Duration::from_secs(2), "an answer during a known outage took {:?}", started.elapsed());
    }
    let explode =
        get("/v2/pointsLedger/getLedgerExplodeInfo?identifierName=id&identifierValue=1&source=INSTORE&eventIds=1").demo().send().await;
    assert_v2_error(&explode, StatusCode::SERVICE_UNAVAILABLE, 503);
    assert_plain_error(&get("/__admin/ready").send().await, StatusCode::SERVICE_UNAVAILABLE, None);
    assert_eq!(get("/__admin/health").send().await.status, StatusCode::OK);

    proxy.restore();
    let started = Instant::now();
    loop {
        if get(LEDGER).demo().send().await.status == StatusCode::OK {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(10), "the emulator did not recover by itself");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(get("/__admin/ready").send().await.status, StatusCode::OK);
}

/// Everything in the test's database that a write could touch: the default universe as exported,
/// the tenants and their schemas.
async fn everything(app: &TestApp) -> (serde_json::Value, Vec<String>, Vec<String>) {
    let universe = serde_json::to_value(capillary_emulator::fixtures::export(&app.pool, "public").await.unwrap().merged()).unwrap();
    let tenants = sqlx::query_scalar("SELECT id FROM public.emulator_tenants ORDER BY id").fetch_all(&app.pool).await.unwrap();
    let schemas = sqlx::query_scalar("SELECT nspname::text FROM pg_namespace WHERE nspname NOT LIKE 'pg\\_%' ORDER BY 1")
        .fetch_all(&app.pool)
        .await
        .unwrap();
    (universe, tenants, schemas)
}

#[tokio::test]
async fn an_import_reset_or_tenant_creation_cut_off_by_an_outage_changes_nothing() {
    let app = TestApp::new().await;
    // Data that differs from the bundle reset restores, so that a half-done reset would show.
    sqlx::query("DELETE FROM public.customer_identifiers WHERE customer_id = 387970841").execute(&app.pool).await.unwrap();
    let small = serde_json::json!({"orgs": [{"org_id": 1, "name": "Only", "time_zone": "UTC"}]});
    // Each write, and a table it writes late in its transaction: a test's transaction holding that
    // table stops the write there, with the universe already replaced but not committed.
    let writes = [
        ("import", "/__admin/fixtures", small.clone(), "public.emulator_bundle"),
        ("reset", "/__admin/reset", serde_json::json!({}), "public.emulator_bundle"),
        ("tenant creation", "/__admin/tenants", serde_json::json!({"id": "cut-off"}), "public.emulator_tenants"),
    ];
    for (what, path, body, late_table) in writes {
        let before = everything(&app).await;
        let (proxy, router) = app_through_proxy(&app).await;
        let mut holder = app.pool.begin().await.unwrap();
        sqlx::query(sqlx::AssertSqlSafe(format!("LOCK TABLE {late_table} IN SHARE MODE"))).execute(&mut *holder).await.unwrap();
        let request = tokio::spawn(TestRequest::on(router, axum::http::Method::POST, path).admin().json(&body).send());
        let mut waiting = false;
        for _ in 0..400 {
            waiting = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
                "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE relation = '{late_table}'::regclass AND NOT granted)"
            )))
            .fetch_one(&app.pool)
            .await
            .unwrap();
            if waiting {
                break;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        assert!(waiting, "{what}: the write reached {late_table}");
        proxy.cut();
        holder.rollback().await.unwrap();
        let response = tokio::time::timeout(Duration::from_secs(20), request).await.expect("answered").unwrap();
        assert_plain_error(&response, StatusCode::SERVICE_UNAVAILABLE, None);
        // The server rolls the transaction back once it sees its client gone.
        let deadline = std::time::Instant::now() + Duration::from_secs(20);
        loop {
            let writers: i64 = sqlx::query_scalar(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() AND xact_start IS NOT NULL",
            )
            .fetch_one(&app.pool)
            .await
            .unwrap();
            if writers == 0 {
                break;
            }
            assert!(std::time::Instant::now() < deadline, "{what}: the cut-off transaction ended");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert_eq!(everything(&app).await, before, "{what} cut off by an outage changed nothing");
    }
}
