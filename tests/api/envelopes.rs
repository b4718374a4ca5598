//! Every failure comes back in its family's envelope: unknown paths, wrong methods, bad
//! parameters, panics, timeouts and oversized bodies.

use std::time::Duration;

use axum::{Router, http::StatusCode, routing::get};
use capillary_emulator::{
    config::{CorsOrigins, RuntimeConfig},
    http::{
        error::ApiResult,
        extract::Params,
        pagination::{OffsetLimit, PageCount},
        with_middleware,
    },
};
use chrono::NaiveDate;
use serde_json::{Value, json};

use crate::helpers::*;

#[tokio::test]
async fn unknown_paths_are_404_in_each_familys_envelope() {
    let app = TestApp::new().await;
    for path in ["/v2/pointsLedger/nope", "/v2.1/nope"] {
        let message = assert_v2_error(&app.get(path).demo().send().await, StatusCode::NOT_FOUND, 404);
        assert!(message.contains(path), "{message}");
    }
    let message = assert_v3_error(&app.get("/v3/nope").demo().send().await, StatusCode::NOT_FOUND, 404);
    assert!(message.contains("/v3/nope"));
    let body = assert_plain_error(&app.get("/das/nope").send().await, StatusCode::NOT_FOUND, None);
    assert_eq!(body["path"], "/das/nope");
    assert_eq!(body["error"], "Not Found");
    // `/` is the landing page (sandbox.rs); any other unknown root is a 404.
    assert_plain_error(&app.get("/nope").send().await, StatusCode::NOT_FOUND, None);
}

#[tokio::test]
async fn wrong_methods_are_405_in_the_familys_envelope() {
    let app = TestApp::new().await;
    let message = assert_token_error(&app.get("/v3/oauth/token/generate").send().await, StatusCode::METHOD_NOT_ALLOWED, 405);
    assert!(message.contains("GET") && message.contains("/v3/oauth/token/generate"), "{message}");
    let body =
        assert_plain_error(&app.request(axum::http::Method::DELETE, "/__admin/health").send().await, StatusCode::METHOD_NOT_ALLOWED, None);
    assert_eq!(body["code"], 405);
}

#[tokio::test]
async fn wrong_methods_on_v2_v2_1_v3_and_das_are_405_naming_method_and_path() {
    let app = TestApp::new().await;
    for method in [axum::http::Method::POST, axum::http::Method::PUT, axum::http::Method::DELETE] {
        for path in ["/v2/pointsLedger/getLedgerExplodeInfo", "/v2.1/pointsLedger/getLedgerExplodeInfo"] {
            let message = assert_v2_error(&app.request(method.clone(), path).demo().send().await, StatusCode::METHOD_NOT_ALLOWED, 405);
            assert_eq!(message, format!("Method {method} is not allowed on {path}"));
        }
        let path = "/v3/users/387043873/targetGroups";
        let message = assert_v3_error(&app.request(method.clone(), path).demo().send().await, StatusCode::METHOD_NOT_ALLOWED, 405);
        assert_eq!(message, format!("Method {method} is not allowed on {path}"));
        for path in ["/das/getLedgerEntriesWithEventId", "/das/getTargetCompletedExplodeLedger"] {
            let body = assert_plain_error(&app.request(method.clone(), path).demo().send().await, StatusCode::METHOD_NOT_ALLOWED, None);
            assert_eq!(
                (body["code"].clone(), body["message"].clone()),
                (json!(405), json!(format!("Method {method} is not allowed on {path}")))
            );
        }
    }
}

/// A parameter given twice keeps its last value (README, "Choices"): the first value, wrong or
/// missing, does not matter.
#[tokio::test]
async fn a_repeated_query_parameter_keeps_its_last_value() {
    let app = TestApp::new().await;
    let das = "/das/getTargetCompletedExplodeLedger?ledgerEntryTypes=CREDIT&userId=1&userId=387970841&startDate=nope&startDate=2025-06-01&endDate=2025-06-22";
    crate::samples::assert_is_sample("das-completion", &app.get(das).demo().send().await);
    let v2 = "/v2/pointsLedger/getLedgerExplodeInfo?identifierName=mobile&identifierName=id&identifierValue=1&identifierValue=1709400643455&source=INSTORE&eventIds=1,2&eventIds=8143509";
    crate::samples::assert_is_sample("v2-goodwill", &app.get(v2).demo().send().await);
    let v3 = "/v3/users/387043873/targetGroups?includeInactiveTargets=false&includeInactiveTargets=true";
    crate::samples::assert_is_sample("v3-include-inactive-targets", &app.get(v3).demo().send().await);
    // And the last one counts when it is the wrong one.
    let wrong_last = "/das/getTargetCompletedExplodeLedger?ledgerEntryTypes=CREDIT&userId=387970841&startDate=2025-06-01&startDate=nope&endDate=2025-06-22";
    assert_plain_error(&app.get(wrong_last).demo().send().await, StatusCode::BAD_REQUEST, Some("startDate"));
}

#[tokio::test]
async fn a_database_that_is_gone_is_503_not_a_hang() {
    let app = TestApp::new().await;
    app.pool.close().await;
    let response = app.get("/__admin/whoami").demo().send().await;
    let body = assert_plain_error(&response, StatusCode::SERVICE_UNAVAILABLE, None);
    assert_eq!(body["code"], 503);
    assert!(!body["message"].as_str().unwrap().contains("pool"), "the cause stays in the log: {body}");
}

#[tokio::test]
async fn an_oversized_body_is_413_in_the_envelope() {
    let app = TestApp::new().await;
    let huge = format!("{{\"key\":\"{}\",\"secret\":\"x\"}}", "k".repeat(2 * 1024 * 1024));
    let response = app.post("/v3/oauth/token/generate").body("application/json", huge).send().await;
    assert_token_error(&response, StatusCode::PAYLOAD_TOO_LARGE, 413);
}

#[tokio::test]
async fn responses_carry_a_request_id_generated_or_echoed() {
    let app = TestApp::new().await;
    let generated = app.get("/__admin/health").send().await;
    assert_eq!(generated.header("x-request-id").map(str::len), Some(36), "a UUID");
    let echoed = app.get("/__admin/health").header("x-request-id", "trace-me-42").send().await;
    assert_eq!(echoed.header("x-request-id"), Some("trace-me-42"));
}

#[tokio::test]
async fn cors_allows_browsers_with_credentials() {
    let app = TestApp::new().await;
    let preflight = app
        .request(axum::http::Method::OPTIONS, "/v3/oauth/token/generate")
        .header("origin", "http://localhost:3000")
        .header("access-control-request-method", "POST")
        .header("access-control-request-headers", "content-type,x-cap-api-oauth-token")
        .send()
        .await;
    assert_eq!(preflight.status, StatusCode::OK);
    assert_eq!(preflight.header("access-control-allow-origin"), Some("http://localhost:3000"));
    assert_eq!(preflight.header("access-control-allow-credentials"), Some("true"));
    let allowed = preflight.header("access-control-allow-headers").unwrap().to_ascii_lowercase();
    assert!(allowed.contains("x-cap-api-oauth-token"), "{allowed}");
}

#[tokio::test]
async fn configured_cors_origins_are_the_only_ones_allowed() {
    let config = RuntimeConfig { cors_origins: CorsOrigins::only(&["http://app.example"]), ..RuntimeConfig::default() };
    let app = TestApp::with_config(config).await;
    let allowed = app.get("/__admin/health").header("origin", "http://app.example").send().await;
    assert_eq!(allowed.header("access-control-allow-origin"), Some("http://app.example"));
    let refused = app.get("/__admin/health").header("origin", "http://evil.example").send().await;
    assert_eq!(refused.header("access-control-allow-origin"), None);
}

#[tokio::test]
async fn gzip_is_used_when_the_client_accepts_it() {
    let app = TestApp::new().await;
    let response = app.get("/__admin/fixtures").admin().header("accept-encoding", "gzip").send().await;
    assert_eq!(response.status, StatusCode::OK);
    assert_eq!(response.header("content-encoding"), Some("gzip"));
    let plain = app.get("/__admin/fixtures").admin().send().await;
    assert_eq!(plain.header("content-encoding"), None);
    assert!(plain.json()["orgs"].is_array());
}

/// Routes that exercise the shared extractors, pagination and failure paths through the
/// service's own middleware, one per family.
fn probe_router(config: &RuntimeConfig) -> Router {
    async fn probe(params: Params) -> ApiResult<axum::Json<Value>> {
        let page = PageCount::from_params(&params)?;
        let offset = OffsetLimit::from_params(&params, 10, 100)?;
        let day = params.optional::<NaiveDate>("start_date")?;
        let flag = params.flag("is_till_not_present")?;
        let ids = params.list::<i64>("till_ids")?;
        let needed = params.optional::<i64>("entity_id")?;
        Ok(axum::Json(json!({
            "page": page.page, "count": page.count, "offset": offset.offset, "limit": offset.limit,
            "window": [page.window().offset, page.window().limit],
            "day": day.map(|d| d.to_string()), "flag": flag, "ids": ids, "entity": needed,
        })))
    }
    async fn panics() -> &'static str {
        panic!("boom")
    }
    async fn slow() -> &'static str {
        tokio::time::sleep(Duration::from_secs(5)).await;
        "late"
    }
    let routes = Router::new()
        .route("/das/probe", get(probe))
        .route("/v2/probe", get(probe))
        .route("/v3/probe", get(probe))
        .route("/v2/panic", get(panics))
        .route("/v3/panic", get(panics))
        .route("/das/panic", get(panics))
        .route("/das/slow", get(slow));
    with_middleware(routes, config)
}

async fn probe(router: &Router, uri: &str) -> TestResponse {
    TestRequest::on(router.clone(), axum::http::Method::GET, uri).send().await
}

#[tokio::test]
async fn parameters_parse_with_their_defaults() {
    let router = probe_router(&RuntimeConfig::default());
    let response = probe(&router, "/das/probe?start_date=2025-06-01&is_till_not_present=1&till_ids=5,6").await;
    assert_eq!(response.status, StatusCode::OK, "{}", response.text());
    assert_eq!(
        response.json(),
        json!({"page": 1, "count": 10, "offset": 0, "limit": 10, "window": [0, 10], "day": "2025-06-01", "flag": true, "ids": [5, 6], "entity": null})
    );
    let response = probe(&router, "/das/probe?page=3&count=25&offset=7&limit=100&is_till_not_present=FALSE").await;
    let body = response.json();
    assert_eq!((body["page"].clone(), body["count"].clone(), body["window"].clone()), (json!(3), json!(25), json!([50, 25])));
    assert_eq!((body["offset"].clone(), body["limit"].clone(), body["flag"].clone()), (json!(7), json!(100), json!(false)));
}

#[tokio::test]
async fn bad_pagination_is_400_naming_the_parameter_and_its_range() {
    let router = probe_router(&RuntimeConfig::default());
    for (query, parameter, words) in [
        ("page=0", "page", "1 or more"),
        ("page=-2", "page", "1 or more"),
        ("page=two", "page", "whole number"),
        ("count=101", "count", "between 1 and 100"),
        ("count=0", "count", "between 1 and 100"),
        ("offset=-1", "offset", "0 or more"),
        ("limit=0", "limit", "between 1 and 100"),
        ("limit=1000", "limit", "between 1 and 100"),
    ] {
        let response = probe(&router, &format!("/das/probe?{query}")).await;
        let body = assert_plain_error(&response, StatusCode::BAD_REQUEST, Some(parameter));
        assert!(body["message"].as_str().unwrap().contains(words), "{query}: {body}");
    }
    let message = assert_v2_error(&probe(&router, "/v2/probe?limit=500").await, StatusCode::BAD_REQUEST, 400);
    assert!(message.contains("limit"), "{message}");
    let message = assert_v3_error(&probe(&router, "/v3/probe?count=500").await, StatusCode::BAD_REQUEST, 400);
    assert!(message.contains("count"), "{message}");
}

#[tokio::test]
async fn malformed_numbers_dates_booleans_and_lists_name_the_parameter() {
    let router = probe_router(&RuntimeConfig::default());
    for (query, parameter) in [
        ("entity_id=12ab", "entity_id"),
        ("start_date=2025-13-01", "start_date"),
        ("start_date=01-06-2025", "start_date"),
        ("is_till_not_present=yes", "is_till_not_present"),
        ("till_ids=1,,2", "till_ids"),
        ("till_ids=1,x", "till_ids"),
    ] {
        let response = probe(&router, &format!("/das/probe?{query}")).await;
        assert_plain_error(&response, StatusCode::BAD_REQUEST, Some(parameter));
    }
}

#[tokio::test]
async fn a_nul_character_in_a_parameter_is_400_naming_it() {
    let router = probe_router(&RuntimeConfig::default());
    let body = assert_plain_error(&probe(&router, "/das/probe?entity_id=1&till_ids=%00").await, StatusCode::BAD_REQUEST, Some("till_ids"));
    assert!(body["message"].as_str().unwrap().contains("NUL"), "{body}");
}

#[tokio::test]
async fn a_nul_character_in_a_json_body_is_400_not_500() {
    let app = TestApp::new().await;
    let response = app.post("/v3/oauth/token/generate").json(&json!({"key": "demo\u{0}key", "secret": "x"})).send().await;
    let message = assert_token_error(&response, StatusCode::BAD_REQUEST, 400);
    assert!(message.contains("NUL"), "{message}");
}

#[tokio::test]
async fn a_panicking_handler_is_a_500_in_the_familys_envelope() {
    let router = probe_router(&RuntimeConfig::default());
    let message = assert_v2_error(&probe(&router, "/v2/panic").await, StatusCode::INTERNAL_SERVER_ERROR, 500);
    assert!(!message.contains("boom"), "the cause stays in the log: {message}");
    assert_v3_error(&probe(&router, "/v3/panic").await, StatusCode::INTERNAL_SERVER_ERROR, 500);
    assert_plain_error(&probe(&router, "/das/panic").await, StatusCode::INTERNAL_SERVER_ERROR, None);
}

#[tokio::test]
async fn a_request_over_the_timeout_is_408_in_the_envelope() {
    let config = RuntimeConfig { request_timeout: Duration::from_millis(50), ..RuntimeConfig::default() };
    let router = probe_router(&config);
    assert_plain_error(&probe(&router, "/das/slow").await, StatusCode::REQUEST_TIMEOUT, None);
}
