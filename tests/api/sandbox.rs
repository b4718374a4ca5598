//! What a browser on another origin needs from the sandbox: CORS in every setting, cached
//! preflights, real timings, a log line for a refused origin, clean logs, and a landing page.

use std::{
    io::Write,
    process::Command,
    sync::{Arc, Mutex},
    time::Duration,
};

use axum::http::{Method, StatusCode};
use capillary_emulator::config::{CorsOrigins, RuntimeConfig};
use serde_json::Value;

use crate::{
    helpers::*,
    process::{Process, database_url},
};

async fn preflight(app: &TestApp, origin: &str) -> TestResponse {
    app.request(Method::OPTIONS, "/v2/pointsLedger/getLedgerExplodeInfo")
        .header("origin", origin)
        .header("access-control-request-method", "GET")
        .header("access-control-request-headers", "authorization")
        .send()
        .await
}

#[tokio::test]
async fn preflights_may_be_cached_for_the_configured_time() {
    let app = TestApp::new().await;
    let answer = preflight(&app, "http://localhost:3000").await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(answer.header("access-control-max-age"), Some("600"));
    let configured = app.reconfigured(RuntimeConfig { cors_max_age: Duration::from_secs(7200), ..RuntimeConfig::default() }).await;
    assert_eq!(preflight(&configured, "http://localhost:3000").await.header("access-control-max-age"), Some("7200"));
}

#[tokio::test]
async fn answers_carry_timings_a_page_on_another_origin_may_read() {
    let app = TestApp::new().await;
    let answer = app.get("/__admin/whoami").demo().header("origin", "http://localhost:3000").send().await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(answer.header("timing-allow-origin"), Some("*"));
    let timing = answer.header("server-timing").expect("Server-Timing");
    let duration: f64 = timing.split("dur=").nth(1).and_then(|dur| dur.parse().ok()).expect(timing);
    assert!((0.0..60_000.0).contains(&duration), "{timing}");
    let exposed = answer.header("access-control-expose-headers").unwrap().to_ascii_lowercase();
    assert!(exposed.contains("x-request-id") && exposed.contains("server-timing"), "{exposed}");
    // A preflight too.
    assert!(preflight(&app, "http://localhost:3000").await.header("server-timing").is_some());
}

#[tokio::test]
async fn a_star_allows_any_origin_with_credentials() {
    let app = TestApp::with_config(RuntimeConfig { cors_origins: CorsOrigins::Any, ..RuntimeConfig::default() }).await;
    let answer = preflight(&app, "http://anything.example:5173").await;
    assert_eq!(answer.header("access-control-allow-origin"), Some("http://anything.example:5173"));
    assert_eq!(answer.header("access-control-allow-credentials"), Some("true"));
}

/// A writer the test can read back: what the subscriber logged.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn a_refused_origin_is_logged_once_at_warn() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber =
        tracing_subscriber::fmt().with_writer(move || writer.clone()).with_ansi(false).with_max_level(tracing::Level::WARN).finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    let app =
        TestApp::with_config(RuntimeConfig { cors_origins: CorsOrigins::only(&["http://app.example"]), ..RuntimeConfig::default() }).await;
    for _ in 0..3 {
        let refused = preflight(&app, "http://evil.example").await;
        assert_eq!(refused.header("access-control-allow-origin"), None);
    }
    let allowed = preflight(&app, "http://app.example").await;
    assert_eq!(allowed.header("access-control-allow-origin"), Some("http://app.example"));
    let logged = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    let lines: Vec<&str> = logged.lines().filter(|line| line.contains("CORS")).collect();
    assert_eq!(lines.len(), 1, "{logged}");
    assert!(lines[0].contains("WARN") && lines[0].contains("http://evil.example"), "{logged}");
}

#[tokio::test]
async fn the_landing_page_links_the_docs_the_document_the_credentials_and_health() {
    let app = TestApp::new().await;
    let page = app.get("/").send().await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.header("content-type").unwrap().starts_with("text/html"));
    let html = page.text();
    for link in
        ["href=\"/docs\"", "href=\"/openapi.json\"", "href=\"/openapi.yaml\"", "href=\"/__admin/health\"", "href=\"/__admin/ready\""]
    {
        assert!(html.contains(link), "{link}");
    }
    assert!(html.contains("demo.till") && html.contains("demo-key") && html.contains("demo-secret"));
    // Not a call to an emulated endpoint: the journal stays empty.
    let journal = app.get("/__admin/requests").admin().send().await.json();
    assert_eq!(journal.as_array().map(Vec::len), Some(0), "{journal}");
}

#[tokio::test]
async fn the_binary_serves_with_a_star_and_logs_without_colour_to_a_pipe_or_as_json() {
    let app = TestApp::new().await;
    let url = database_url(&app).await;
    let star = Process::start_with(&url, &[("EMULATOR_CORS_ORIGINS", "*")]);
    let answer =
        reqwest::Client::new().get(format!("{}/__admin/health", star.base)).header("origin", "http://x.example").send().await.unwrap();
    assert_eq!(answer.status(), 200);
    assert_eq!(answer.headers()["access-control-allow-origin"], "http://x.example");
    assert!(star.printed.iter().all(|line| !line.contains('\u{1b}')), "{:?}", star.printed);

    let json = Process::start_with(&url, &[("EMULATOR_LOG_FORMAT", "json")]);
    let serving = json.printed.last().unwrap();
    let line: Value = serde_json::from_str(serving).expect(serving);
    assert_eq!(line["fields"]["message"], "serving", "{line}");
}

#[test]
fn a_bad_origin_fails_at_start_naming_it() {
    for (value, says) in
        [("localhost:3000", "needs a scheme"), ("http://localhost:3000/", "ends with '/'"), ("https://*.example", "pattern")]
    {
        let output = Command::new(env!("CARGO_BIN_EXE_capillary-emulator"))
            .env("EMULATOR_CORS_ORIGINS", format!("http://ok.example,{value}"))
            .env("DATABASE_URL", "postgres://nobody@127.0.0.1:1/never")
            .output()
            .unwrap();
        assert!(!output.status.success());
        let said = String::from_utf8_lossy(&output.stderr);
        assert!(said.contains(value) && said.contains(says), "{value}: {said}");
    }
}

#[tokio::test]
async fn the_docs_console_is_served_from_the_emulator_alone() {
    let app = TestApp::new().await;
    let page = app.get("/docs").send().await;
    assert_eq!(page.status, StatusCode::OK);
    let html = page.text();
    // Everything the page loads is the emulator's own: no CDN.
    let loaded: Vec<&str> =
        html.split(['"', '\'']).filter(|part| part.starts_with('/') || part.starts_with("http") || part.starts_with("//")).collect();
    assert!(!loaded.is_empty());
    for url in &loaded {
        assert!(url.starts_with('/') && !url.starts_with("//"), "{url} is not the emulator's");
    }
    for (file, content_type) in [
        ("/docs/swagger-ui-bundle.js", "text/javascript; charset=utf-8"),
        ("/docs/swagger-ui.css", "text/css; charset=utf-8"),
        ("/docs/console.js", "text/javascript; charset=utf-8"),
        ("/docs/favicon-32x32.png", "image/png"),
    ] {
        assert!(html.contains(file), "{file}");
        let served = app.get(file).send().await;
        assert_eq!(served.status, StatusCode::OK, "{file}");
        assert_eq!(served.header("content-type"), Some(content_type), "{file}");
    }
    // The demo till's credential is set: Capillary's Basic auth with the MD5 of the password.
    let console = app.get("/docs/console.js").send().await.text();
    assert!(console.contains("url: \"/openapi.json\"") && console.contains("tryItOutEnabled: true"));
    assert!(console.contains(&format!("preauthorizeBasic(\"basic\", \"{DEMO_TILL}\", \"{}\")", md5_hex(DEMO_PASSWORD))));
    let missing = app.get("/docs/nothing.js").send().await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert_eq!(missing.json()["parameter"], "file");
}
