//! Tenants: isolated universes created from bundles, selected by base URL or header, each with its
//! own data, credentials, bundle to reset to and clock.

use axum::http::{Method, StatusCode};
use capillary_emulator::config::RuntimeConfig;
use serde_json::{Value, json};

use crate::helpers::*;

const LEDGER: &str = "/das/getLedgerEntriesWithEventId?ledger_entry_types=CREDIT,DEBIT&entity_id=387970841&start_date=2025-06-03&end_date=2025-06-04&is_filter_not_based_on_date=0&till_ids=-1&is_till_not_present=1";
const TARGET_GROUPS: &str = "/v3/users/387043873/targetGroups?includeInactiveTargets=true";
const EXPLODE: &str =
    "/v2/pointsLedger/getLedgerExplodeInfo?identifierName=id&identifierValue=1709400643455&source=INSTORE&eventIds=8143509";

async fn create(app: &TestApp, body: Value) -> TestResponse {
    app.post("/__admin/tenants").admin().json(&body).send().await
}

async fn created(app: &TestApp, id: &str) -> Value {
    let response = create(app, json!({"id": id})).await;
    assert_eq!(response.status, StatusCode::CREATED, "{}", response.text());
    response.json()
}

/// The default bundle with org 50406 renamed, so the two universes hold the same ids with
/// different data.
fn renamed_bundle(name: &str) -> Value {
    let mut bundle = default_bundle().merged();
    for org in bundle["orgs"].as_array_mut().unwrap() {
        if org["org_id"] == 50406 {
            org["name"] = json!(name);
        }
    }
    bundle
}

async fn org_name(app: &TestApp, prefix: &str) -> Value {
    let response = app.get(&format!("{prefix}/__admin/whoami")).demo().send().await;
    assert_eq!(response.status, StatusCode::OK, "{}", response.text());
    response.json()["orgName"].clone()
}

#[tokio::test]
async fn a_tenant_is_created_from_the_default_fixtures_and_answers_under_its_base_url_and_header() {
    let app = TestApp::new().await;
    let body = created(&app, "suite-42").await;
    assert_eq!(body["id"], "suite-42");
    assert_eq!(body["baseUrl"], "http://127.0.0.1:8080/t/suite-42");
    assert_eq!(body["source"], "fixtures/default");
    let tills = body["credentials"]["tills"].as_array().unwrap();
    assert!(
        tills.iter().any(|till| till["code"] == "demo.till" && till["passwordMd5"] == md5_hex(DEMO_PASSWORD) && till["orgId"] == 50406)
    );
    let clients = body["credentials"]["oauthClients"].as_array().unwrap();
    assert!(clients.iter().any(|client| client["key"] == "demo-key" && client["secret"] == "demo-secret"));

    let default = app.get(LEDGER).demo().send().await;
    let by_url = app.get(&format!("/t/suite-42{LEDGER}")).demo().send().await;
    let by_header = app.get(LEDGER).demo().header("X-Emulator-Tenant", "suite-42").send().await;
    assert_eq!(by_url.status, StatusCode::OK, "{}", by_url.text());
    assert_eq!(by_url.json(), default.json());
    assert_eq!(by_header.json(), default.json());
    let whoami = app.get("/t/suite-42/__admin/whoami").demo().send().await.json();
    assert_eq!(whoami["tenant"], "suite-42");
}

#[tokio::test]
async fn two_tenants_hold_the_same_ids_with_different_data() {
    let app = TestApp::new().await;
    let response = create(&app, json!({"id": "renamed", "bundle": renamed_bundle("Renamed Org")})).await;
    assert_eq!(response.status, StatusCode::CREATED, "{}", response.text());
    assert_eq!(response.json()["source"], "control-plane import");
    assert_eq!(org_name(&app, "").await, "Demo Org");
    assert_eq!(org_name(&app, "/t/renamed").await, "Renamed Org");

    // A change to one tenant's data is not seen by the other.
    let emptied = json!({"orgs": [{"org_id": 50406, "name": "Only Org"}], "tills": [{"till_id": 1, "org_id": 50406, "code": "demo.till", "password_md5": md5_hex(DEMO_PASSWORD)}]});
    let import = app.post("/__admin/tenants/renamed/fixtures").admin().json(&emptied).send().await;
    assert_eq!(import.status, StatusCode::OK, "{}", import.text());
    assert_eq!(org_name(&app, "/t/renamed").await, "Only Org");
    assert_eq!(app.get(&format!("/t/renamed{EXPLODE}")).demo().send().await.status, StatusCode::BAD_REQUEST);
    assert_eq!(app.get(EXPLODE).demo().send().await.status, StatusCode::OK);
    assert_eq!(org_name(&app, "").await, "Demo Org");

    // Reset restores each tenant's own bundle.
    assert_eq!(app.post("/t/renamed/__admin/reset").admin().send().await.status, StatusCode::OK);
    assert_eq!(org_name(&app, "/t/renamed").await, "Only Org");
    assert_eq!(app.post("/__admin/reset").admin().send().await.status, StatusCode::OK);
    assert_eq!(org_name(&app, "").await, "Demo Org");
}

#[tokio::test]
async fn an_unknown_tenant_is_404_in_each_familys_envelope() {
    let app = TestApp::new().await;
    let das = app.get(&format!("/t/nope{LEDGER}")).demo().send().await;
    assert_plain_error(&das, StatusCode::NOT_FOUND, Some("tenant"));
    let v2 = app.get(&format!("/t/nope{EXPLODE}")).demo().send().await;
    assert_eq!(assert_v2_error(&v2, StatusCode::NOT_FOUND, 404), "No tenant 'nope'");
    let v3 = app.get(TARGET_GROUPS).demo().header("X-Emulator-Tenant", "nope").send().await;
    assert_eq!(assert_v3_error(&v3, StatusCode::NOT_FOUND, 404), "No tenant 'nope'");
    let admin = app.post("/__admin/tenants/nope/reset").admin().send().await;
    assert_plain_error(&admin, StatusCode::NOT_FOUND, Some("tenant"));
    // A path and a header that disagree.
    let both = app.get(&format!("/t/a{LEDGER}")).demo().header("X-Emulator-Tenant", "b").send().await;
    assert_plain_error(&both, StatusCode::BAD_REQUEST, Some("X-Emulator-Tenant"));
}

#[tokio::test]
async fn a_bad_bundle_creates_nothing_and_names_file_record_and_field() {
    let app = TestApp::new().await;
    let bundle = json!({"orgs": [{"org_id": 1, "name": "Ok"}, {"org_id": "one", "name": "Bad"}]});
    let response = create(&app, json!({"id": "bad", "bundle": bundle})).await;
    let body = assert_plain_error(&response, StatusCode::BAD_REQUEST, None);
    assert!(body["message"].as_str().unwrap().starts_with("bundle: orgs[1].org_id: "), "{body}");
    let list = app.get("/__admin/tenants").admin().send().await.json();
    assert_eq!(list.as_array().unwrap().iter().map(|tenant| tenant["id"].clone()).collect::<Vec<_>>(), vec![json!("default")]);
    let schemas: i64 =
        sqlx::query_scalar("SELECT count(*) FROM pg_namespace WHERE nspname LIKE 'tenant\\_%'").fetch_one(&app.pool).await.unwrap();
    assert_eq!(schemas, 0);
    // The id is free for a good bundle.
    created(&app, "bad").await;
}

#[tokio::test]
async fn a_taken_id_is_409_and_a_malformed_one_400() {
    let app = TestApp::new().await;
    created(&app, "taken").await;
    for id in ["taken", "TAKEN", "default"] {
        let response = create(&app, json!({"id": id})).await;
        let body = assert_plain_error(&response, StatusCode::CONFLICT, Some("id"));
        assert_eq!(body["code"], 409, "{id}: {body}");
    }
    for id in ["", "-x", "a b", "a/b", &"x".repeat(49)] {
        let response = create(&app, json!({"id": id})).await;
        assert_plain_error(&response, StatusCode::BAD_REQUEST, Some("id"));
    }
    let unknown_field = create(&app, json!({"name": "x"})).await;
    assert_plain_error(&unknown_field, StatusCode::BAD_REQUEST, None);
}

#[tokio::test]
async fn without_an_id_one_is_generated() {
    let app = TestApp::new().await;
    let response = create(&app, json!({})).await;
    assert_eq!(response.status, StatusCode::CREATED, "{}", response.text());
    let id = response.json()["id"].as_str().unwrap().to_owned();
    assert!(id.starts_with("tenant-") && id.len() == "tenant-".len() + 12, "{id}");
    assert_eq!(org_name(&app, &format!("/t/{id}")).await, "Demo Org");
}

#[tokio::test]
async fn the_list_shows_each_tenant_with_its_record_counts_and_deleting_removes_everything() {
    let app = TestApp::new().await;
    created(&app, "listed").await;
    let list = app.get("/__admin/tenants").admin().send().await.json();
    let tenants = list.as_array().unwrap();
    assert_eq!(tenants.len(), 2);
    assert_eq!(tenants[0]["id"], "default");
    assert_eq!(tenants[0]["baseUrl"], "http://127.0.0.1:8080");
    assert_eq!(tenants[1]["id"], "listed");
    assert_eq!(tenants[0]["records"], tenants[1]["records"]);
    let orgs = default_bundle().merged()["orgs"].as_array().unwrap().len();
    assert_eq!(tenants[1]["records"]["orgs"], orgs);
    for key in ["created", "lastUsed"] {
        assert!(chrono::DateTime::parse_from_rfc3339(tenants[1][key].as_str().unwrap()).is_ok(), "{key}");
    }

    assert_eq!(app.get(&format!("/t/listed{LEDGER}")).demo().send().await.status, StatusCode::OK);
    assert_eq!(app.get("/t/listed/__admin/requests").admin().send().await.json().as_array().unwrap().len(), 1);
    let deleted = app.request(Method::DELETE, "/__admin/tenants/listed").admin().send().await;
    assert_eq!(deleted.status, StatusCode::OK, "{}", deleted.text());
    assert_eq!(deleted.json(), json!({"status": "DELETED", "id": "listed"}));
    assert_eq!(app.get(&format!("/t/listed{LEDGER}")).demo().send().await.status, StatusCode::NOT_FOUND);
    assert_eq!(app.request(Method::DELETE, "/__admin/tenants/listed").admin().send().await.status, StatusCode::NOT_FOUND);
    let schemas: i64 =
        sqlx::query_scalar("SELECT count(*) FROM pg_namespace WHERE nspname = 'tenant_listed'").fetch_one(&app.pool).await.unwrap();
    assert_eq!(schemas, 0);
    let journal: i64 =
        sqlx::query_scalar("SELECT count(*) FROM public.emulator_requests WHERE tenant = 'listed'").fetch_one(&app.pool).await.unwrap();
    assert_eq!(journal, 0, "the tenant's journal goes with it");
    let default = app.request(Method::DELETE, "/__admin/tenants/default").admin().send().await;
    assert_plain_error(&default, StatusCode::BAD_REQUEST, Some("tenant"));
}

#[tokio::test]
async fn a_token_is_good_only_in_the_tenant_that_issued_it() {
    let app = TestApp::new().await;
    created(&app, "other").await;
    let token = app.oauth_token("demo-key", "demo-secret").await;
    assert_eq!(app.get("/__admin/whoami").oauth(&token).send().await.status, StatusCode::OK);
    let elsewhere = app.get("/t/other/__admin/whoami").oauth(&token).send().await;
    assert_plain_error(&elsewhere, StatusCode::UNAUTHORIZED, None);
    let response = app.post("/t/other/v3/oauth/token/generate").json(&json!({"key": "demo-key", "secret": "demo-secret"})).send().await;
    let own = response.json()["data"]["accessToken"].as_str().unwrap().to_owned();
    assert_eq!(app.get("/t/other/__admin/whoami").oauth(&own).send().await.json()["tenant"], "other");
    assert_eq!(app.get("/__admin/whoami").oauth(&own).send().await.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn every_new_control_plane_route_needs_the_admin_token() {
    let app = TestApp::new().await;
    created(&app, "guarded").await;
    let routes = [
        (Method::GET, "/__admin/tenants"),
        (Method::POST, "/__admin/tenants"),
        (Method::DELETE, "/__admin/tenants/guarded"),
        (Method::POST, "/__admin/tenants/guarded/reset"),
        (Method::GET, "/__admin/tenants/guarded/fixtures"),
        (Method::GET, "/__admin/clock"),
        (Method::PUT, "/__admin/clock"),
        (Method::POST, "/__admin/clock/advance"),
        (Method::GET, "/__admin/tenants/guarded/clock"),
        (Method::GET, "/t/guarded/__admin/clock"),
        (Method::GET, "/__admin/requests"),
        (Method::DELETE, "/__admin/requests"),
        (Method::POST, "/__admin/requests/count"),
        (Method::GET, "/__admin/tenants/guarded/requests"),
        (Method::GET, "/__admin/faults"),
        (Method::POST, "/__admin/faults"),
        (Method::DELETE, "/__admin/faults"),
        (Method::DELETE, "/__admin/faults/1"),
        (Method::POST, "/t/guarded/__admin/faults"),
    ];
    for (method, path) in routes {
        let response = app.request(method.clone(), path).json(&json!({})).send().await;
        assert_plain_error(&response, StatusCode::UNAUTHORIZED, None);
        let wrong = app.request(method, path).header("authorization", "Bearer wrong").json(&json!({})).send().await;
        assert_eq!(wrong.status, StatusCode::UNAUTHORIZED, "{path}");
    }
    assert_eq!(app.get("/__admin/tenants").admin().send().await.json().as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn tenants_survive_a_restart() {
    let app = TestApp::new().await;
    let response = create(&app, json!({"id": "kept", "bundle": renamed_bundle("Kept Org")})).await;
    assert_eq!(response.status, StatusCode::CREATED, "{}", response.text());
    app.put_clock("/t/kept", json!({"frozen_at": "2030-01-01T00:00:00Z"})).await;
    let rule = json!({"path": "/das/getLedgerEntriesWithEventId", "error": {"status": 502}});
    assert_eq!(app.post("/t/kept/__admin/faults").admin().json(&rule).send().await.status, StatusCode::CREATED);
    app.get(&format!("/t/kept{EXPLODE}")).demo().send().await;
    let restarted = app.reconfigured(RuntimeConfig::default()).await;
    assert_eq!(org_name(&restarted, "/t/kept").await, "Kept Org");
    assert_eq!(restarted.get("/t/kept/__admin/clock").admin().send().await.json()["now"], "2030-01-01T00:00:00+00:00");
    assert_eq!(restarted.get(&format!("/t/kept{LEDGER}")).demo().send().await.status, StatusCode::BAD_GATEWAY);
    let journal = restarted.get("/t/kept/__admin/requests?path=/v2/pointsLedger/getLedgerExplodeInfo").admin().send().await.json();
    assert_eq!(journal.as_array().unwrap().len(), 1, "{journal}");
}

fn target(body: &Value, period_id: i64) -> Value {
    body["data"]["targetGroups"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|group| group["targets"].as_array().unwrap().iter())
        .find(|target| target["periodId"] == period_id)
        .cloned()
        .unwrap_or_else(|| panic!("no target of period {period_id}: {body}"))
}

/// Period 43130 of the default bundle is the one day 2024-06-20 in Asia/Kolkata; the bundle's
/// clock stands at 12:30 that day.
const ONE_DAY_PERIOD: i64 = 43130;

async fn current_period(app: &TestApp, prefix: &str) -> Value {
    let response = app.get(&format!("{prefix}{TARGET_GROUPS}")).demo().send().await;
    assert_eq!(response.status, StatusCode::OK, "{}", response.text());
    target(&response.json(), ONE_DAY_PERIOD)["currentPeriod"].clone()
}

#[tokio::test]
async fn advancing_a_tenants_clock_rolls_its_target_period_over_and_no_one_elses() {
    let app = TestApp::new().await;
    created(&app, "later").await;
    assert_eq!(current_period(&app, "/t/later").await, true);
    let clock = app.post("/t/later/__admin/clock/advance").admin().json(&json!({"by": "12h"})).send().await;
    assert_eq!(clock.status, StatusCode::OK, "{}", clock.text());
    let clock = clock.json();
    assert_eq!(clock["tenant"], "later");
    assert_eq!(clock["mode"], "bundle");
    assert_eq!(clock["advanced_by_seconds"], 43200.0);
    assert_eq!(clock["bundle"], "2024-06-20T07:00:00+00:00");
    assert_eq!(clock["now"], "2024-06-20T19:00:00+00:00");
    assert_eq!(current_period(&app, "/t/later").await, false);
    assert_eq!(current_period(&app, "").await, true);

    // ISO durations add up; setting the clock starts afresh.
    let clock = app.post("/__admin/tenants/later/clock/advance").admin().json(&json!({"by": "P1D"})).send().await.json();
    assert_eq!(clock["now"], "2024-06-21T19:00:00+00:00");
    let frozen = app.put_clock("/t/later", json!({"frozen_at": "2024-06-20T23:59:59+05:30"})).await;
    assert_eq!(frozen["mode"], "frozen");
    assert_eq!(frozen["advanced_by_seconds"], 0.0);
    assert_eq!(current_period(&app, "/t/later").await, true);
    let real = app.put_clock("/t/later", json!({"mode": "real"})).await;
    assert_eq!(real["mode"], "real");
    assert_eq!(current_period(&app, "/t/later").await, false);
    let bundle = app.put_clock("/t/later", json!({"mode": "bundle"})).await;
    assert_eq!(bundle["now"], "2024-06-20T07:00:00+00:00");
    assert_eq!(current_period(&app, "/t/later").await, true);
}

#[tokio::test]
async fn a_bad_clock_request_is_400_naming_the_field() {
    let app = TestApp::new().await;
    let cases = [
        ("PUT", json!({"frozen_at": "yesterday"}), "frozen_at"),
        ("PUT", json!({"mode": "sideways"}), "mode"),
        ("PUT", json!({"mode": "frozen"}), "frozen_at"),
        ("PUT", json!({}), "frozen_at"),
        ("POST", json!({"by": "soon"}), "by"),
        ("POST", json!({"by": "-1h"}), "by"),
        ("POST", json!({"by": "PT0S"}), "by"),
    ];
    for (method, body, field) in cases {
        let path = if method == "PUT" { "/__admin/clock" } else { "/__admin/clock/advance" };
        let response = app.request(Method::from_bytes(method.as_bytes()).unwrap(), path).admin().json(&body).send().await;
        assert_plain_error(&response, StatusCode::BAD_REQUEST, Some(field));
    }
    assert_eq!(app.get("/__admin/clock").admin().send().await.json()["mode"], "bundle");
}

impl TestApp {
    async fn put_clock(&self, prefix: &str, body: Value) -> Value {
        let response = self.request(Method::PUT, &format!("{prefix}/__admin/clock")).admin().json(&body).send().await;
        assert_eq!(response.status, StatusCode::OK, "{}", response.text());
        response.json()
    }
}

#[tokio::test]
async fn a_tenant_made_before_a_migration_is_rebuilt_in_the_new_shape_with_its_data() {
    let app = TestApp::new().await;
    let response = create(&app, json!({"id": "old", "bundle": renamed_bundle("Old Org")})).await;
    assert_eq!(response.status, StatusCode::CREATED, "{}", response.text());
    let import = app.post("/t/old/__admin/fixtures").admin().json(&renamed_bundle("Imported Org")).send().await;
    assert_eq!(import.status, StatusCode::OK);
    // The shape of an earlier release: a column the code reads is missing.
    for statement in
        ["UPDATE public.emulator_tenants SET shape_version = 1 WHERE id = 'old'", "ALTER TABLE tenant_old.orgs DROP COLUMN clock"]
    {
        sqlx::query(sqlx::AssertSqlSafe(statement)).execute(&app.pool).await.unwrap();
    }
    let broken = app.get("/t/old/__admin/whoami").demo().send().await;
    assert_eq!(broken.status, StatusCode::INTERNAL_SERVER_ERROR);

    let upgraded = app.reconfigured(RuntimeConfig::default()).await;
    assert_eq!(org_name(&upgraded, "/t/old").await, "Imported Org");
    assert_eq!(upgraded.post("/t/old/__admin/reset").admin().send().await.status, StatusCode::OK);
    assert_eq!(org_name(&upgraded, "/t/old").await, "Imported Org");
    assert_eq!(org_name(&upgraded, "").await, "Demo Org");
}
