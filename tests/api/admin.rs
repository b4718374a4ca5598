//! The control plane: health, readiness, reset, bundle import and export, and its token.

use axum::http::StatusCode;
use serde_json::{Value, json};

use crate::helpers::*;

#[tokio::test]
async fn health_and_ready_need_no_credentials() {
    let app = TestApp::new().await;
    let health = app.get("/__admin/health").send().await;
    assert_eq!((health.status, health.json()), (StatusCode::OK, json!({"status": "UP"})));
    let ready = app.get("/__admin/ready").send().await;
    assert_eq!(ready.status, StatusCode::OK);
    assert_eq!(
        ready.json(),
        json!({"status": "READY", "database": "UP", "migrations": capillary_emulator::db::MIGRATOR.iter().count(), "fixtures": "fixtures/default"})
    );
}

#[tokio::test]
async fn not_ready_until_a_bundle_is_loaded() {
    let app = TestApp::empty(Default::default()).await;
    let response = app.get("/__admin/ready").send().await;
    assert_eq!(response.status, StatusCode::SERVICE_UNAVAILABLE);
    let body = response.json();
    assert!(body["message"].as_str().unwrap().contains("no fixture bundle"), "{body}");
}

#[tokio::test]
async fn everything_else_under_admin_needs_the_token() {
    let app = TestApp::new().await;
    for (method, path) in
        [("POST", "/__admin/reset"), ("GET", "/__admin/fixtures"), ("POST", "/__admin/fixtures"), ("GET", "/__admin/unknown")]
    {
        let method = method.parse().unwrap();
        let without = app.request(method, path).send().await;
        assert_plain_error(&without, StatusCode::UNAUTHORIZED, None);
        let method = without_token_method(path);
        let wrong = app.request(method, path).header("authorization", "Bearer not-the-token").send().await;
        assert_eq!(wrong.status, StatusCode::UNAUTHORIZED, "{path}");
    }
    assert_plain_error(&app.get("/__admin/unknown").admin().send().await, StatusCode::NOT_FOUND, None);
}

fn without_token_method(path: &str) -> axum::http::Method {
    if path == "/__admin/reset" { axum::http::Method::POST } else { axum::http::Method::GET }
}

#[tokio::test]
async fn reset_restores_the_loaded_fixtures() {
    let app = TestApp::new().await;
    sqlx::query("UPDATE orgs SET name = 'Changed' WHERE org_id = 50406").execute(&app.pool).await.unwrap();
    sqlx::query("DELETE FROM oauth_clients WHERE client_key = 'demo-key'").execute(&app.pool).await.unwrap();

    let reset = app.post("/__admin/reset").admin().send().await;
    assert_eq!(reset.status, StatusCode::OK, "{}", reset.text());
    let body = reset.json();
    assert_eq!(body["status"], "RESET");
    assert_eq!(body["source"], "fixtures/default");
    let records = crate::fixtures::assert_database_holds(&app, &default_bundle().merged()).await;
    assert_eq!(body["records"], records, "as many records as the bundle's files");
    // The deleted client works again.
    app.oauth_token("demo-key", "demo-secret").await;
}

#[tokio::test]
async fn importing_a_bundle_replaces_the_data_and_becomes_what_reset_restores() {
    let app = TestApp::new().await;
    let bundle = json!({
        "orgs": [{"org_id": 1, "name": "Tiny", "time_zone": "UTC"}],
        "tills": [{"till_id": 10, "org_id": 1, "code": "tiny.till", "password_md5": md5_hex("pw")}],
    });
    let response = app.post("/__admin/fixtures").admin().json(&bundle).send().await;
    assert_eq!(response.status, StatusCode::OK, "{}", response.text());
    assert_eq!(response.json()["records"], 2);
    assert_eq!(app.get("/__admin/whoami").basic("tiny.till", "pw").send().await.json()["orgId"], 1);
    assert_eq!(app.get("/__admin/whoami").demo().send().await.status, StatusCode::UNAUTHORIZED);

    sqlx::query("DELETE FROM tills").execute(&app.pool).await.unwrap();
    assert_eq!(app.post("/__admin/reset").admin().send().await.status, StatusCode::OK);
    assert_eq!(app.get("/__admin/whoami").basic("tiny.till", "pw").send().await.json()["orgId"], 1);
    assert_eq!(crate::fixtures::assert_database_holds(&app, &bundle).await, 2);
}

#[tokio::test]
async fn a_bad_import_changes_nothing_and_names_the_record_and_field() {
    // A small bundle first, so that comparing before and after is cheap.
    let app = TestApp::empty(Default::default()).await;
    let small = json!({"orgs": [{"org_id": 42, "name": "Before", "time_zone": "UTC"}]});
    assert_eq!(app.post("/__admin/fixtures").admin().json(&small).send().await.status, StatusCode::OK);
    let before = app.get("/__admin/fixtures").admin().send().await.json();
    let bundle = json!({"orgs": [{"org_id": 1, "name": "Ok"}, {"org_id": "one", "name": "Bad"}]});
    let response = app.post("/__admin/fixtures").admin().json(&bundle).send().await;
    let body = assert_plain_error(&response, StatusCode::BAD_REQUEST, None);
    let message = body["message"].as_str().unwrap();
    assert!(message.starts_with("request body: orgs[1].org_id: "), "{message}");
    assert_eq!(app.get("/__admin/fixtures").admin().send().await.json(), before);
}

/// The README promises bundle imports up to 64 MiB, over the 1 MiB limit of API requests.
#[tokio::test]
async fn a_bundle_import_over_one_mebibyte_is_accepted() {
    let app = TestApp::new().await;
    // Few records (loading is not what is tested), long names.
    let mut orgs: Vec<Value> = (0..300)
        .map(|n| json!({"org_id": 9_000_000 + n, "name": format!("Padding org {n} {}", "x".repeat(4000)), "time_zone": "UTC"}))
        .collect();
    orgs.push(json!({"org_id": 50406, "name": "Demo Org", "time_zone": "Asia/Kolkata"}));
    let bundle =
        json!({"orgs": orgs, "tills": [{"till_id": 1, "org_id": 50406, "code": DEMO_TILL, "password_md5": md5_hex(DEMO_PASSWORD)}]});
    let body = serde_json::to_vec(&bundle).unwrap();
    assert!(body.len() > 1024 * 1024 && body.len() < 64 * 1024 * 1024, "{} bytes", body.len());
    let records: usize = bundle.as_object().unwrap().values().filter_map(Value::as_array).map(Vec::len).sum();

    let response = app.post("/__admin/fixtures").admin().body("application/json", body).send().await;
    assert_eq!(response.status, StatusCode::OK, "{}", response.text());
    assert_eq!(response.json()["records"], records);
    assert_eq!(app.get("/__admin/whoami").demo().send().await.json()["orgId"], 50406, "the demo org is still there");
    // Other requests keep the 1 MiB limit.
    let huge = format!("{{\"key\":\"{}\",\"secret\":\"x\"}}", "k".repeat(2 * 1024 * 1024));
    let response = app.post("/v3/oauth/token/generate").body("application/json", huge).send().await;
    assert_token_error(&response, StatusCode::PAYLOAD_TOO_LARGE, 413);
    // And the import its 64 MiB.
    let response = app
        .post("/__admin/fixtures")
        .admin()
        .header("content-length", &(65 * 1024 * 1024).to_string())
        .body("application/json", "{}")
        .send()
        .await;
    assert_plain_error(&response, StatusCode::PAYLOAD_TOO_LARGE, None);
}

/// Reset restores the bundle as it was loaded, not its files as they are now: a test suite that
/// resets between tests gets the same data every time. (The README says how to apply edits.)
#[tokio::test]
async fn reset_restores_the_bundle_as_loaded_even_when_its_files_changed() {
    let app = TestApp::empty(Default::default()).await;
    let dir = std::env::temp_dir().join(format!("emulator-test-reset-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let write = |name: &str| {
        std::fs::write(dir.join("orgs.json"), json!({"orgs": [{"org_id": 1, "name": name, "time_zone": "UTC"}]}).to_string()).unwrap()
    };
    write("As loaded");
    let bundle = capillary_emulator::fixtures::Bundle::read_dir(&dir).unwrap();
    capillary_emulator::fixtures::load(&app.pool, &bundle, &dir.display().to_string()).await.unwrap();
    write("Edited afterwards");
    let reset = app.post("/__admin/reset").admin().send().await;
    assert_eq!(reset.status, StatusCode::OK, "{}", reset.text());
    assert_eq!(reset.json()["source"], dir.display().to_string());
    assert_eq!(app.get("/__admin/fixtures").admin().send().await.json()["orgs"][0]["name"], "As loaded");
    std::fs::remove_dir_all(dir).unwrap();
}
