//! Headless Chromium (Debian's `chromium`; `.ci/run` installs it) against the emulator binary: a
//! page on another origin uses the sandbox as a frontend would, and the docs console renders the
//! endpoints. Each run of the browser is bounded in time; screenshots go to `target/browser/`.

use std::{path::PathBuf, time::Duration};

use axum::{Router, response::Html, routing::get};
use serde_json::Value;

use crate::{
    helpers::*,
    process::{Process, database_url},
};

/// The browser, or `None` outside CI when it is not installed (CI fails instead).
fn chromium() -> Option<PathBuf> {
    let found = ["chromium", "chromium-browser", "google-chrome"]
        .iter()
        .flat_map(|name| std::env::var_os("PATH").map(|path| std::env::split_paths(&path).map(|dir| dir.join(name)).collect::<Vec<_>>()))
        .flatten()
        .find(|path| path.is_file());
    if found.is_none() {
        assert!(std::env::var_os("CI").is_none(), "headless Chromium is missing: apt-get install chromium (.ci/run does)");
        eprintln!("skipped: headless Chromium is missing (apt-get install chromium)");
    }
    found
}

fn artifacts() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/browser");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The DOM of `url` once its scripts have had `budget` of virtual time; a screenshot too.
async fn render(browser: &PathBuf, url: &str, budget: Duration, screenshot: &str) -> String {
    let run = |extra: Vec<String>| {
        let mut command = tokio::process::Command::new(browser);
        command
            .args([
                "--headless=new",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--no-first-run",
                "--window-size=1280,1800",
            ])
            .arg(format!("--virtual-time-budget={}", budget.as_millis()))
            .args(extra)
            .arg(url)
            .kill_on_drop(true);
        async move { tokio::time::timeout(Duration::from_secs(90), command.output()).await.expect("the browser finishes in time").unwrap() }
    };
    let shot = artifacts().join(screenshot);
    let _ = run(vec![format!("--screenshot={}", shot.display())]).await;
    let output = run(vec!["--dump-dom".to_owned()]).await;
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// A page on its own origin whose script calls `emulator` as a frontend would and prints what it
/// saw as JSON in `#result`.
async fn foreign_page(emulator: &str) -> String {
    let script = include_str!("browser_page.js").replace("EMULATOR", emulator);
    let page = format!("<!doctype html><html><body><pre id=\"result\">pending</pre><script>{script}</script></body></html>");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let origin = format!("http://{}", listener.local_addr().unwrap());
    let router = Router::new().route("/", get(move || async move { Html(page) }));
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    origin
}

fn result_of(dom: &str) -> Value {
    let start = dom.find("<pre id=\"result\">").expect("the page's result") + "<pre id=\"result\">".len();
    let text = &dom[start..start + dom[start..].find("</pre>").unwrap()];
    serde_json::from_str(&text.replace("&quot;", "\"").replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">"))
        .unwrap_or_else(|_| panic!("{text}"))
}

#[tokio::test(flavor = "multi_thread")]
async fn a_page_on_another_origin_uses_the_sandbox_and_an_allowlist_blocks_a_foreign_one() {
    let Some(browser) = chromium() else { return };
    let app = TestApp::new().await;
    let url = database_url(&app).await;

    let open = Process::start(&url);
    let origin = foreign_page(&open.base).await;
    let seen = result_of(&render(&browser, &origin, Duration::from_secs(20), "cors-open.png").await);
    assert_eq!(seen["token"], true, "{seen}");
    assert_eq!((&seen["v3"], &seen["v2"], &seen["das"]), (&Value::from(200), &Value::from(200), &Value::from(200)), "{seen}");
    assert_eq!(seen["errorStatus"], 400, "{seen}");
    assert_eq!(seen["errorCode"], 11013, "{seen}");
    assert_eq!(seen["requestId"].as_str().map(str::len), Some(36), "{seen}");
    assert_eq!(seen["timing"], true, "{seen}");

    let guarded = Process::start_with(&url, &[("EMULATOR_CORS_ORIGINS", "http://allowed.example")]);
    let origin = foreign_page(&guarded.base).await;
    let seen = result_of(&render(&browser, &origin, Duration::from_secs(20), "cors-blocked.png").await);
    assert_eq!(seen["blocked"], true, "{seen}");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_docs_console_renders_the_five_endpoints_offline() {
    let Some(browser) = chromium() else { return };
    let app = TestApp::new().await;
    let emulator = Process::start(&database_url(&app).await);
    let dom = render(&browser, &format!("{}/docs", emulator.base), Duration::from_secs(20), "docs.png").await;
    assert!(dom.contains("data-console-ready=\"true\""), "the console did not finish loading");
    for path in [
        "/das/getLedgerEntriesWithEventId",
        "/das/getTargetCompletedExplodeLedger",
        "/v2/pointsLedger/getLedgerExplodeInfo",
        "/v2.1/pointsLedger/getLedgerExplodeInfo",
        "/v3/users/{userId}/targetGroups",
    ] {
        assert!(dom.contains(path), "{path} is not on the page");
    }
    assert!(artifacts().join("docs.png").is_file());
}

/// As a person at the console: open an operation, press Execute (the demo till is signed in and
/// the parameters hold the first documented sample's values), see the emulator's answer.
/// `browser_console.py` speaks the DevTools protocol to Chromium over a pipe.
#[tokio::test(flavor = "multi_thread")]
async fn a_request_sent_through_the_docs_console_shows_the_real_answer() {
    let Some(browser) = chromium() else { return };
    let app = TestApp::new().await;
    let emulator = Process::start(&database_url(&app).await);
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/api/browser_console.py");
    let shot = artifacts().join("docs-try-it.png");
    let mut command = tokio::process::Command::new("python3");
    command.arg(script).arg(&browser).arg(format!("{}/docs", emulator.base)).arg(&shot).arg("/das/getTargetCompletedExplodeLedger");
    let output = tokio::time::timeout(Duration::from_secs(90), command.kill_on_drop(true).output()).await.expect("in time").unwrap();
    let seen: Value = serde_json::from_slice(&output.stdout).unwrap_or_else(|_| panic!("{}", String::from_utf8_lossy(&output.stderr)));
    assert_eq!(seen.get("error"), None, "{seen}");
    assert_eq!(seen["status"], "200", "{seen}");
    let body: Value = serde_json::from_str(seen["body"].as_str().unwrap()).unwrap();
    assert_eq!(body[0]["targetGroupName"], "Test_Behavioural_Event_Target", "{body}");
    let curl = seen["curl"].as_str().unwrap();
    assert!(curl.contains(&basic_auth(DEMO_TILL, DEMO_PASSWORD)), "{curl}");
    assert!(curl.contains("userId=387970841"), "{curl}");
    let paths: Vec<&str> = seen["paths"].as_array().unwrap().iter().filter_map(Value::as_str).collect();
    for path in ["/das/getLedgerEntriesWithEventId", "/v2.1/pointsLedger/getLedgerExplodeInfo", "/v3/users/{userId}/targetGroups"] {
        assert!(paths.contains(&path), "{path}: {paths:?}");
    }
    assert!(shot.is_file());
}
