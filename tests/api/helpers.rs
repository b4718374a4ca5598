//! The test harness: the router over a fresh database (one per test, see `harness.rs`) with the
//! default fixtures loaded, a small request builder, and the envelope assertions.

use std::{path::Path, sync::Arc};

use axum::{
    Router,
    body::{Body, to_bytes},
    http::{HeaderMap, HeaderName, HeaderValue, Method, Request, StatusCode, header},
};
use base64::{Engine, engine::general_purpose::STANDARD};
use capillary_emulator::{AppState, app, config::RuntimeConfig, fixtures::Bundle};
use md5::{Digest, Md5};
use serde_json::Value;
use sqlx::PgPool;
use tower::ServiceExt;

pub use crate::harness::TestDb;

pub const DEMO_TILL: &str = "demo.till";
pub const DEMO_PASSWORD: &str = "demo123";
pub const ADMIN_TOKEN: &str = "admin";

pub struct TestApp {
    pub router: Router,
    pub pool: PgPool,
    /// The test's own database, dropped with the last app over it.
    pub db: Arc<TestDb>,
}

impl TestApp {
    /// The app over a fresh database with the default bundle loaded, auth on.
    pub async fn new() -> TestApp {
        TestApp::with_config(RuntimeConfig::default()).await
    }

    /// The app with `config` over a fresh database with the default bundle loaded.
    pub async fn with_config(config: RuntimeConfig) -> TestApp {
        TestApp::over(Arc::new(TestDb::with_fixtures().await), config).await
    }

    /// The app with `config` over a fresh migrated database without data.
    pub async fn empty(config: RuntimeConfig) -> TestApp {
        TestApp::over(Arc::new(TestDb::empty().await), config).await
    }

    /// The app with `config` over `db`.
    pub async fn over(db: Arc<TestDb>, config: RuntimeConfig) -> TestApp {
        let state = AppState::new(db.pool.clone(), config).await.expect("app state");
        TestApp { router: app(state), pool: db.pool.clone(), db }
    }

    /// Another app with `config` over this app's database.
    pub async fn reconfigured(&self, config: RuntimeConfig) -> TestApp {
        TestApp::over(self.db.clone(), config).await
    }

    pub fn request(&self, method: Method, uri: &str) -> TestRequest {
        TestRequest::on(self.router.clone(), method, uri)
    }

    pub fn get(&self, uri: &str) -> TestRequest {
        self.request(Method::GET, uri)
    }

    pub fn post(&self, uri: &str) -> TestRequest {
        self.request(Method::POST, uri)
    }

    /// An OAuth token for a client of the loaded fixtures.
    pub async fn oauth_token(&self, key: &str, secret: &str) -> String {
        let response = self.post("/v3/oauth/token/generate").json(&serde_json::json!({"key": key, "secret": secret})).send().await;
        assert_eq!(response.status, StatusCode::OK, "token for {key}: {}", response.text());
        response.json()["data"]["accessToken"].as_str().expect("accessToken").to_owned()
    }
}

/// The default bundle, as its files are on disk.
#[allow(dead_code)] // used by the fixtures oracle
pub fn default_bundle() -> Bundle {
    Bundle::read_dir(&Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/default")).expect("default bundle")
}

pub fn md5_hex(text: &str) -> String {
    Md5::digest(text.as_bytes()).iter().map(|byte| format!("{byte:02x}")).collect()
}

/// The `Authorization` value Capillary's Basic auth expects.
pub fn basic_auth(till_code: &str, password: &str) -> String {
    format!("Basic {}", STANDARD.encode(format!("{till_code}:{}", md5_hex(password))))
}

pub struct TestRequest {
    router: Router,
    builder: axum::http::request::Builder,
    body: Body,
}

impl TestRequest {
    /// A request to any router, such as one a test builds around its own routes.
    pub fn on(router: Router, method: Method, uri: &str) -> TestRequest {
        TestRequest { router, builder: Request::builder().method(method).uri(uri), body: Body::empty() }
    }

    pub fn header(mut self, name: &str, value: &str) -> TestRequest {
        self.builder = self.builder.header(HeaderName::from_bytes(name.as_bytes()).unwrap(), HeaderValue::from_str(value).unwrap());
        self
    }

    pub fn basic(self, till_code: &str, password: &str) -> TestRequest {
        let value = basic_auth(till_code, password);
        self.header("authorization", &value)
    }

    /// Basic auth as the default bundle's demo till (org 50406).
    pub fn demo(self) -> TestRequest {
        self.basic(DEMO_TILL, DEMO_PASSWORD)
    }

    pub fn oauth(self, token: &str) -> TestRequest {
        self.header("X-CAP-API-OAUTH-TOKEN", token)
    }

    pub fn admin(self) -> TestRequest {
        self.header("authorization", &format!("Bearer {ADMIN_TOKEN}"))
    }

    pub fn json(mut self, value: &Value) -> TestRequest {
        self.builder = self.builder.header(header::CONTENT_TYPE, "application/json");
        self.body = Body::from(serde_json::to_vec(value).unwrap());
        self
    }

    pub fn body(mut self, content_type: &str, body: impl Into<Body>) -> TestRequest {
        self.builder = self.builder.header(header::CONTENT_TYPE, content_type);
        self.body = body.into();
        self
    }

    pub async fn send(self) -> TestResponse {
        let request = self.builder.body(self.body).expect("request");
        let path = request.uri().path().to_owned();
        let response = self.router.oneshot(request).await.expect("infallible");
        let status = response.status();
        let headers = response.headers().clone();
        let body = to_bytes(response.into_body(), usize::MAX).await.expect("body").to_vec();
        TestResponse { status, headers, body, path }
    }
}

#[derive(Debug)]
pub struct TestResponse {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
    /// The path of the request it answers.
    pub path: String,
}

impl TestResponse {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The body as JSON; panics with the body when it is not JSON.
    #[track_caller]
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|error| panic!("not JSON ({error}): {}", self.text()))
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|value| value.to_str().ok())
    }
}

/// The keys of a JSON object, in order.
#[track_caller]
pub fn keys_of(value: &Value) -> Vec<&str> {
    value.as_object().unwrap_or_else(|| panic!("not an object: {value}")).keys().map(String::as_str).collect()
}

/// The one error of an envelope's `errors`, with exactly `fields`.
#[track_caller]
fn only_error<'a>(body: &'a Value, fields: &[&str]) -> &'a Value {
    let errors = body["errors"].as_array().unwrap_or_else(|| panic!("no errors array: {body}"));
    assert_eq!(errors.len(), 1, "{body}");
    assert_eq!(keys_of(&errors[0]), fields, "{body}");
    let message = errors[0]["message"].as_str().unwrap_or_else(|| panic!("message is a string: {body}"));
    assert!(!message.is_empty(), "{body}");
    &errors[0]
}

/// Asserts the v2 error envelope, `{"errors":[{"status":false,"code","message"}],"warnings":[]}` with
/// exactly these keys in this order and one error of `code`, and returns its message.
#[track_caller]
pub fn assert_v2_error(response: &TestResponse, status: StatusCode, code: i64) -> String {
    assert_eq!(response.status, status, "{}", response.text());
    assert_json_content_type(response);
    let body = response.json();
    assert_eq!(keys_of(&body), ["errors", "warnings"], "{body}");
    assert_eq!(body["warnings"], serde_json::json!([]), "{body}");
    let error = only_error(&body, &["status", "code", "message"]);
    assert_eq!(error["status"], Value::Bool(false), "{body}");
    assert_eq!(error["code"], code, "{body}");
    error["message"].as_str().unwrap().to_owned()
}

/// Asserts the v3 error envelope, `{"data":null,"errors":[{"code","message"}],"warnings":null}` with
/// exactly these keys in this order and one error of `code`, and returns its message.
#[track_caller]
pub fn assert_v3_error(response: &TestResponse, status: StatusCode, code: i64) -> String {
    assert_eq!(response.status, status, "{}", response.text());
    assert_json_content_type(response);
    let body = response.json();
    assert_eq!(keys_of(&body), ["data", "errors", "warnings"], "{body}");
    assert_eq!(body["data"], Value::Null, "{body}");
    assert_eq!(body["warnings"], Value::Null, "{body}");
    let error = only_error(&body, &["code", "message"]);
    assert_eq!(error["code"], code, "{body}");
    error["message"].as_str().unwrap().to_owned()
}

/// Asserts the token endpoint's error envelope, as `capdocs-authorization-flows.md` prints it:
/// `{"data":null,"errors":[{"code","message"}]}` (no `warnings`, as its success envelope), and
/// returns its message.
#[track_caller]
pub fn assert_token_error(response: &TestResponse, status: StatusCode, code: i64) -> String {
    assert_eq!(response.status, status, "{}", response.text());
    assert_json_content_type(response);
    let body = response.json();
    assert_eq!(keys_of(&body), ["data", "errors"], "{body}");
    assert_eq!(body["data"], Value::Null, "{body}");
    let error = only_error(&body, &["code", "message"]);
    assert_eq!(error["code"], code, "{body}");
    error["message"].as_str().unwrap().to_owned()
}

/// Asserts the DAS / control-plane error object, `{"timestamp","status","error","code","message",
/// "path"}` plus `parameter` when one is at fault (and named by the message), exactly these keys
/// in this order, and returns it.
#[track_caller]
pub fn assert_plain_error(response: &TestResponse, status: StatusCode, parameter: Option<&str>) -> Value {
    assert_eq!(response.status, status, "{}", response.text());
    assert_json_content_type(response);
    let body = response.json();
    let mut expected_keys = vec!["timestamp", "status", "error", "code", "message", "path"];
    if parameter.is_some() {
        expected_keys.push("parameter");
    }
    assert_eq!(keys_of(&body), expected_keys, "{body}");
    let timestamp = body["timestamp"].as_str().unwrap_or_else(|| panic!("timestamp is a string: {body}"));
    assert!(chrono::DateTime::parse_from_rfc3339(timestamp).is_ok() && timestamp.ends_with('Z'), "timestamp in UTC: {body}");
    assert_eq!(body["status"], status.as_u16(), "{body}");
    assert_eq!(body["error"], status.canonical_reason().unwrap(), "{body}");
    assert!(body["code"].is_i64(), "{body}");
    assert!(body["message"].as_str().is_some_and(|m| !m.is_empty()), "{body}");
    assert_eq!(body["path"], response.path.as_str(), "{body}");
    if let Some(parameter) = parameter {
        assert_eq!(body["parameter"], parameter, "{body}");
        assert!(body["message"].as_str().unwrap().contains(parameter), "message names {parameter}: {body}");
    }
    body
}

#[track_caller]
fn assert_json_content_type(response: &TestResponse) {
    assert_eq!(response.header("content-type"), Some("application/json"), "{}", response.text());
}
