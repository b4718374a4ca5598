//! Several emulator processes on one database act as one: tenants, fault rules, clocks and the
//! journal set through one are honoured by the other.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::{
    helpers::*,
    process::{Process, database_url},
};

/// How soon a change made through one process must be honoured by the other.
const WITHIN: Duration = Duration::from_secs(1);

/// Polls `check` until it holds, for at most [`WITHIN`]; returns how long it took.
async fn honoured_within<F, Fut>(what: &str, mut check: F) -> Duration
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let started = Instant::now();
    loop {
        if check().await {
            return started.elapsed();
        }
        assert!(started.elapsed() < WITHIN, "{what} was not honoured by the other process within {WITHIN:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// A control-plane answer.
async fn admin_get(client: &reqwest::Client, url: &str) -> Value {
    client.get(url).header("authorization", format!("Bearer {ADMIN_TOKEN}")).send().await.unwrap().json().await.unwrap()
}

#[tokio::test]
async fn two_processes_on_one_database_act_as_one() {
    let app = TestApp::new().await;
    let url = database_url(&app).await;
    let (one, other) = (Process::start(&url), Process::start(&url));
    let client = reqwest::Client::new();
    let admin = format!("Bearer {ADMIN_TOKEN}");
    let demo = basic_auth(DEMO_TILL, DEMO_PASSWORD);
    let ledger = "/das/getLedgerEntriesWithEventId?ledger_entry_types=CREDIT&entity_id=387970841&start_date=2025-06-03&end_date=2025-06-04&is_filter_not_based_on_date=0&till_ids=-1&is_till_not_present=1";
    let status = |base: &str, path: &str| {
        let request = client.get(format!("{base}{path}")).header("authorization", &demo);
        async move { request.send().await.map(|response| response.status().as_u16()).unwrap_or(0) }
    };

    // A tenant created through one answers through the other.
    let created = client
        .post(format!("{}/__admin/tenants", one.base))
        .header("authorization", &admin)
        .json(&json!({"id": "shared"}))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status().as_u16(), 201);
    let took = honoured_within("a new tenant", || async { status(&other.base, &format!("/t/shared{ledger}")).await == 200 }).await;
    eprintln!("tenant seen by the other process after {took:?}");

    // A fault rule added through one is honoured by the other.
    let rule = client
        .post(format!("{}/t/shared/__admin/faults", one.base))
        .header("authorization", &admin)
        .json(&json!({"path": "/das/getLedgerEntriesWithEventId", "error": {"status": 503}}))
        .send()
        .await
        .unwrap();
    assert_eq!(rule.status().as_u16(), 201);
    let took = honoured_within("a fault rule", || async { status(&other.base, &format!("/t/shared{ledger}")).await == 503 }).await;
    eprintln!("fault rule honoured by the other process after {took:?}");
    client.delete(format!("{}/t/shared/__admin/faults", other.base)).header("authorization", &admin).send().await.unwrap();
    honoured_within("a deleted fault rule", || async { status(&one.base, &format!("/t/shared{ledger}")).await == 200 }).await;

    // A clock set through one is the other's.
    let frozen = client
        .put(format!("{}/t/shared/__admin/clock", other.base))
        .header("authorization", &admin)
        .json(&json!({"frozen_at": "2031-02-03T04:05:06Z"}))
        .send()
        .await
        .unwrap();
    assert_eq!(frozen.status().as_u16(), 200);
    let clock_of_one = || async {
        let clock = admin_get(&client, &format!("{}/t/shared/__admin/clock", one.base)).await;
        clock["now"] == "2031-02-03T04:05:06+00:00"
    };
    honoured_within("a clock", clock_of_one).await;

    // One tenant's journal lists the requests both served.
    client.delete(format!("{}/t/shared/__admin/requests", one.base)).header("authorization", &admin).send().await.unwrap();
    assert_eq!(status(&one.base, &format!("/t/shared{ledger}&page=1")).await, 200);
    assert_eq!(status(&other.base, &format!("/t/shared{ledger}&page=2")).await, 200);
    let both_listed = || async {
        let entries = admin_get(&client, &format!("{}/t/shared/__admin/requests", one.base)).await;
        let mut pages: Vec<String> = entries
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|entry| entry["query"].as_str().map(|query| query.rsplit('=').next().unwrap().to_owned()))
            .collect();
        pages.sort();
        pages == ["1", "2"]
    };
    honoured_within("the other process's journal entries", both_listed).await;
}

#[tokio::test]
async fn a_tenant_nobody_uses_for_the_ttl_is_removed() {
    let app = TestApp::new().await;
    let process = Process::start_with(&database_url(&app).await, &[("EMULATOR_TENANT_TTL", "2s")]);
    let client = reqwest::Client::new();
    let admin = format!("Bearer {ADMIN_TOKEN}");
    for id in ["idle", "busy"] {
        let created = client
            .post(format!("{}/__admin/tenants", process.base))
            .header("authorization", &admin)
            .json(&json!({"id": id}))
            .send()
            .await
            .unwrap();
        assert_eq!(created.status().as_u16(), 201);
    }
    let demo = basic_auth(DEMO_TILL, DEMO_PASSWORD);
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(5) {
        let busy = client.get(format!("{}/t/busy/__admin/whoami", process.base)).header("authorization", &demo).send().await.unwrap();
        assert_eq!(busy.status().as_u16(), 200);
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let tenants: Value =
        client.get(format!("{}/__admin/tenants", process.base)).header("authorization", &admin).send().await.unwrap().json().await.unwrap();
    let ids: Vec<&str> = tenants.as_array().unwrap().iter().map(|tenant| tenant["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["default", "busy"]);
}

#[tokio::test]
async fn what_the_journal_holds_at_sigterm_is_written_before_the_process_exits() {
    let app = TestApp::new().await;
    let mut process = Process::start(&database_url(&app).await);
    let client = reqwest::Client::new();
    let demo = basic_auth(DEMO_TILL, DEMO_PASSWORD);
    for _ in 0..5 {
        let response = client.get(format!("{}/__admin/whoami?x=1", process.base)).header("authorization", &demo).send().await.unwrap();
        assert_eq!(response.status().as_u16(), 200);
    }
    let ledger = format!(
        "{}/das/getLedgerEntriesWithEventId?ledger_entry_types=CREDIT&entity_id=387970841&start_date=2025-06-03&end_date=2025-06-04&is_filter_not_based_on_date=0&till_ids=-1&is_till_not_present=1",
        process.base
    );
    assert_eq!(client.get(&ledger).header("authorization", &demo).send().await.unwrap().status().as_u16(), 200);
    nix::sys::signal::kill(nix::unistd::Pid::from_raw(process.child.id() as i32), nix::sys::signal::Signal::SIGTERM).unwrap();
    let status = tokio::task::spawn_blocking(move || process.child.wait()).await.unwrap().unwrap();
    assert!(status.success(), "{status}");
    let recorded: i64 = sqlx::query_scalar("SELECT count(*) FROM public.emulator_requests WHERE path = '/das/getLedgerEntriesWithEventId'")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(recorded, 1);
}
