//! Several emulator processes on one database act as one: tenants, fault rules, clocks and the
//! journal set through one are honoured by the other.

use std::{
    io::{BufRead, BufReader},
    process::{Child, Command, Stdio},
    sync::mpsc,
    time::{Duration, Instant},
};

use serde_json::{Value, json};

use crate::helpers::*;

/// How soon a change made through one process must be honoured by the other.
const WITHIN: Duration = Duration::from_secs(1);

struct Process {
    child: Child,
    base: String,
}

impl Process {
    /// The emulator binary on `database_url` (which holds the default bundle already), listening
    /// on a port it picks itself; new tenants get `fixtures/default`.
    fn start(database_url: &str) -> Process {
        Process::start_with(database_url, &[])
    }

    fn start_with(database_url: &str, env: &[(&str, &str)]) -> Process {
        let child = Command::new(env!("CARGO_BIN_EXE_capillary-emulator"))
            .envs(env.iter().copied())
            .env("DATABASE_URL", database_url)
            .env("EMULATOR_LISTEN", "127.0.0.1:0")
            .env("RUST_LOG", "info")
            .env("NO_COLOR", "1")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the emulator binary starts");
        // Killed on drop, whatever happens next.
        let mut process = Process { child, base: String::new() };
        let (sender, receiver) = mpsc::channel();
        let outputs = [
            Box::new(process.child.stdout.take().unwrap()) as Box<dyn std::io::Read + Send>,
            Box::new(process.child.stderr.take().unwrap()),
        ];
        for output in outputs {
            let sender = sender.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(output).lines().map_while(Result::ok) {
                    let _ = sender.send(line);
                }
            });
        }
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let line =
                receiver.recv_timeout(deadline.saturating_duration_since(Instant::now())).expect("the emulator says where it listens");
            let plain = strip_ansi(&line);
            if let Some(address) = plain.split("address=").nth(1).and_then(|rest| rest.split_whitespace().next()) {
                process.base = format!("http://{address}");
                return process;
            }
        }
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn strip_ansi(text: &str) -> String {
    let mut out = String::new();
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            for c in chars.by_ref() {
                if c.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

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

/// The URL of the test's own database.
async fn database_url(app: &TestApp) -> String {
    let name: String = sqlx::query_scalar("SELECT current_database()").fetch_one(&app.pool).await.unwrap();
    let server = std::env::var("DATABASE_URL").expect("DATABASE_URL");
    let server = server.split('?').next().unwrap();
    format!("{}/{name}", &server[..server.rfind('/').unwrap()])
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
