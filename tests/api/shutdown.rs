//! Graceful shutdown under load (README "Reliability", item 6): SIGTERM with 64 requests in
//! flight; every one of them is answered in full, new connections are refused, the process exits 0.
//! (With its private PostgreSQL, and after SIGKILL: tests/api/embedded.rs.)

use std::time::{Duration, Instant};

use nix::{sys::signal::Signal, unistd::Pid};
use sqlx::Connection;

use crate::{
    helpers::*,
    process::{Process, database_url},
};

const IN_FLIGHT: usize = 64;
/// The process's pool: one connection listens for control-plane changes, the others take
/// requests to the lock; the rest of the requests wait for one of them.
const POOL_SIZE: i64 = 16;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_under_load_answers_every_request_in_flight_then_exits_cleanly() {
    let app = TestApp::new().await;
    let url = database_url(&app).await;
    let mut process = Process::start_with(&url, &[("EMULATOR_DB_POOL_SIZE", &POOL_SIZE.to_string())]);
    let base = process.base.clone();
    let client = reqwest::Client::builder().pool_max_idle_per_host(0).build().unwrap();
    assert_eq!(client.get(format!("{base}/__admin/ready")).send().await.unwrap().status(), 200);

    // The tills locked: every credential check waits, so the requests stay in flight.
    let mut lock = sqlx::PgConnection::connect(&url).await.unwrap();
    sqlx::query("BEGIN").execute(&mut lock).await.unwrap();
    sqlx::query("LOCK TABLE tills IN ACCESS EXCLUSIVE MODE").execute(&mut lock).await.unwrap();
    let requests: Vec<_> = (0..IN_FLIGHT)
        .map(|n| {
            let (client, base) = (client.clone(), base.clone());
            let path = if n % 2 == 0 { "/__admin/whoami" } else { "/v3/users/387043873/targetGroups" };
            tokio::spawn(async move {
                let response =
                    client.get(format!("{base}{path}")).header("authorization", basic_auth(DEMO_TILL, DEMO_PASSWORD)).send().await?;
                let status = response.status().as_u16();
                let body: serde_json::Value = response.json().await?;
                Ok::<_, reqwest::Error>((status, body))
            })
        })
        .collect();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let waiting: i64 =
            sqlx::query_scalar("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'")
                .fetch_one(&app.pool)
                .await
                .unwrap();
        if waiting >= POOL_SIZE - 1 {
            break;
        }
        assert!(Instant::now() < deadline, "the requests reach the lock ({waiting} waiting)");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    nix::sys::signal::kill(Pid::from_raw(process.child.id() as i32), Signal::SIGTERM).unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while reqwest::Client::new().get(format!("{base}/__admin/health")).send().await.is_ok() {
        assert!(Instant::now() < deadline, "new connections are refused after SIGTERM");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(process.child.try_wait().unwrap().is_none(), "the process waits for its requests");
    sqlx::query("COMMIT").execute(&mut lock).await.unwrap();

    for request in requests {
        let (status, body) =
            tokio::time::timeout(Duration::from_secs(60), request).await.expect("answered").unwrap().expect("a whole answer");
        assert_eq!(status, 200, "{body}");
        assert!(body.get("orgId").is_some() || body.get("data").is_some(), "{body}");
    }
    let deadline = Instant::now() + Duration::from_secs(30);
    let status = loop {
        if let Some(status) = process.child.try_wait().unwrap() {
            break status;
        }
        assert!(Instant::now() < deadline, "the process exits once its requests are answered");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "exit status {status}");
}
