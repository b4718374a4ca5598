//! Basic auth, OAuth tokens, and the org a credential decides.

use axum::http::StatusCode;
use capillary_emulator::config::RuntimeConfig;
use serde_json::json;

use crate::{helpers::*, strict_json::assert_same_values};

/// Tells which org an API credential decides, through the same extractor every endpoint uses.
const WHOAMI: &str = "/__admin/whoami";

#[tokio::test]
async fn basic_auth_with_the_right_password_decides_the_org() {
    let app = TestApp::new().await;
    let response = app.get(WHOAMI).demo().send().await;
    assert_eq!(response.status, StatusCode::OK, "{}", response.text());
    assert_eq!(response.json(), json!({"tenant": "default", "orgId": 50406, "orgName": "Demo Org", "timeZone": "Asia/Kolkata"}));

    let other = app.get(WHOAMI).basic("connected.till", DEMO_PASSWORD).send().await;
    assert_eq!(other.json()["orgId"], 4000218);
}

#[tokio::test]
async fn basic_auth_with_a_wrong_password_or_unknown_till_is_401() {
    let app = TestApp::new().await;
    for request in [app.get(WHOAMI).basic(DEMO_TILL, "wrong"), app.get(WHOAMI).basic("no.such.till", DEMO_PASSWORD)] {
        let response = request.send().await;
        assert_plain_error(&response, StatusCode::UNAUTHORIZED, None);
    }
}

#[tokio::test]
async fn basic_auth_with_the_plain_password_instead_of_its_md5_is_401() {
    let app = TestApp::new().await;
    let plain = format!("Basic {}", base64::Engine::encode(&base64::engine::general_purpose::STANDARD, "demo.till:demo123"));
    let response = app.get(WHOAMI).header("authorization", &plain).send().await;
    assert_eq!(response.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_malformed_authorization_header_is_401() {
    let app = TestApp::new().await;
    for value in ["Basic !!!not-base64", "Bearer abc", "Basic ZGVtby50aWxs"] {
        let response = app.get(WHOAMI).header("authorization", value).send().await;
        assert_eq!(response.status, StatusCode::UNAUTHORIZED, "{value}: {}", response.text());
    }
}

#[tokio::test]
async fn no_credential_is_401_in_each_familys_envelope() {
    let app = TestApp::new().await;
    let response = app.get(WHOAMI).send().await;
    assert_plain_error(&response, StatusCode::UNAUTHORIZED, None);
}

#[tokio::test]
async fn oauth_token_is_issued_and_decides_the_org() {
    let app = TestApp::new().await;
    let response = app.post("/v3/oauth/token/generate").json(&json!({"key": "demo-key", "secret": "demo-secret"})).send().await;
    assert_eq!(response.status, StatusCode::OK);
    let body = response.json();
    assert_eq!(body["errors"], serde_json::Value::Null);
    assert_eq!(body["data"]["ttlSeconds"], 3600);
    assert_eq!(body.as_object().unwrap().len(), 2, "data and errors only: {body}");
    let token = body["data"]["accessToken"].as_str().unwrap();
    assert_eq!(token.split('.').count(), 3, "a JWT");
    // Valid for the client's ttl_seconds (fixtures/default: 3600 for demo-key), for org 50406.
    let claims = base64::Engine::decode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, token.split('.').nth(1).unwrap()).unwrap();
    let claims: serde_json::Value = serde_json::from_slice(&claims).unwrap();
    assert_eq!(claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(), 3600, "{claims}");
    assert_eq!((claims["org_id"].clone(), claims["client_id"].clone()), (json!(50406), json!("demo-key")), "{claims}");

    let whoami = app.get(WHOAMI).oauth(token).send().await;
    assert_eq!(whoami.status, StatusCode::OK);
    assert_eq!(whoami.json()["orgId"], 50406);

    let other = app.oauth_token("connected-key", "connected-secret").await;
    assert_eq!(app.get(WHOAMI).oauth(&other).send().await.json()["orgId"], 4000218);
}

#[tokio::test]
async fn oauth_with_a_wrong_secret_or_key_is_320001() {
    let app = TestApp::new().await;
    for body in [json!({"key": "demo-key", "secret": "nope"}), json!({"key": "nope", "secret": "demo-secret"})] {
        let response = app.post("/v3/oauth/token/generate").json(&body).send().await;
        // Exactly as capdocs-authorization-flows.md prints it (no warnings key).
        assert_eq!(response.status, StatusCode::UNAUTHORIZED);
        assert_same_values(
            &response.json(),
            &json!({"data": null, "errors": [{"code": 320001, "message": "Invalid client key and secret"}]}),
        );
        assert_token_error(&response, StatusCode::UNAUTHORIZED, 320001);
    }
}

#[tokio::test]
async fn oauth_without_key_or_with_a_bad_body_is_400_naming_it() {
    let app = TestApp::new().await;
    let response = app.post("/v3/oauth/token/generate").json(&json!({"secret": "demo-secret"})).send().await;
    let message = assert_token_error(&response, StatusCode::BAD_REQUEST, 400);
    assert!(message.contains("key"), "{message}");

    let response = app.post("/v3/oauth/token/generate").body("application/json", "{not json").send().await;
    assert_token_error(&response, StatusCode::BAD_REQUEST, 400);

    let response = app.post("/v3/oauth/token/generate").body("text/plain", "key=demo-key").send().await;
    assert_token_error(&response, StatusCode::UNSUPPORTED_MEDIA_TYPE, 415);
}

#[tokio::test]
async fn a_forged_or_garbled_token_is_401() {
    let app = TestApp::new().await;
    let token = app.oauth_token("demo-key", "demo-secret").await;
    let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
    // Same header and signature, claims of another org: the signature no longer matches.
    let forged_claims = base64::Engine::encode(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD,
        json!({"iss": "Capillary", "sub": "demo-key", "client_id": "demo-key", "org_id": 4000218, "iat": 1, "exp": 9999999999i64, "jti": "x", "token_use": "token_access"}).to_string(),
    );
    parts[1] = forged_claims;
    for bad in [parts.join("."), "garbage".to_owned()] {
        let response = app.get(WHOAMI).oauth(&bad).send().await;
        assert_plain_error(&response, StatusCode::UNAUTHORIZED, None);
    }
}

/// A token of the demo client (org 50406) signed with the database's own key, as the emulator
/// signs them, with the given expiry (seconds since the epoch).
async fn minted_token(app: &TestApp, org_id: i64, exp: i64) -> String {
    let key: String =
        sqlx::query_scalar("SELECT value FROM emulator_meta WHERE key = 'token_signing_key'").fetch_one(&app.pool).await.unwrap();
    let claims = json!({
        "iss": "Capillary", "sub": "demo-key", "client_id": "demo-key", "org_id": org_id,
        "iat": exp - 3600, "exp": exp, "jti": "minted-by-the-test", "token_use": "token_access",
    });
    jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
        &claims,
        &jsonwebtoken::EncodingKey::from_secret(key.as_bytes()).unwrap(),
    )
    .unwrap()
}

const V2_SAMPLE_PATH: &str =
    "/v2/pointsLedger/getLedgerExplodeInfo?identifierName=id&identifierValue=1709400643455&source=INSTORE&eventIds=8143509";
const V2_1_SAMPLE_PATH: &str =
    "/v2.1/pointsLedger/getLedgerExplodeInfo?identifierName=id&identifierValue=1709400643455&source=INSTORE&eventIds=13499091";
const V3_SAMPLE_PATH: &str = "/v3/users/387043873/targetGroups";
const DAS_SAMPLE_PATH: &str =
    "/das/getTargetCompletedExplodeLedger?ledgerEntryTypes=CREDIT&userId=387970841&startDate=2025-06-01&endDate=2025-06-22";

#[tokio::test]
async fn a_minted_token_is_accepted_so_the_mint_is_the_emulators() {
    let app = TestApp::new().await;
    let token = minted_token(&app, 50406, chrono::Utc::now().timestamp() + 600).await;
    for path in [V2_SAMPLE_PATH, V2_1_SAMPLE_PATH, V3_SAMPLE_PATH, DAS_SAMPLE_PATH, WHOAMI] {
        let response = app.get(path).oauth(&token).send().await;
        assert_eq!(response.status, StatusCode::OK, "{path}: {}", response.text());
    }
}

/// An expired token is 401 with code 498 and the expiry in the org's zone (Asia/Kolkata for org
/// 50406), in each family's envelope.
#[tokio::test]
async fn an_expired_token_is_401_with_code_498_in_every_familys_envelope() {
    let app = TestApp::new().await;
    // 2019-12-02T07:01:15Z, the instant of the README's example message.
    let token = minted_token(&app, 50406, 1_575_270_075).await;
    let expected = "Token expired at 2019-12-02T12:31:15.000+0530";
    for path in [V2_SAMPLE_PATH, V2_1_SAMPLE_PATH] {
        assert_eq!(assert_v2_error(&app.get(path).oauth(&token).send().await, StatusCode::UNAUTHORIZED, 498), expected, "{path}");
    }
    assert_eq!(assert_v3_error(&app.get(V3_SAMPLE_PATH).oauth(&token).send().await, StatusCode::UNAUTHORIZED, 498), expected);
    for path in [DAS_SAMPLE_PATH, WHOAMI] {
        let body = assert_plain_error(&app.get(path).oauth(&token).send().await, StatusCode::UNAUTHORIZED, None);
        assert_eq!((body["code"].clone(), body["message"].clone()), (json!(498), json!(expected)), "{path}");
    }
    // A second past its expiry is expired (no leeway).
    let just_expired = minted_token(&app, 50406, chrono::Utc::now().timestamp() - 1).await;
    let body = assert_plain_error(&app.get(WHOAMI).oauth(&just_expired).send().await, StatusCode::UNAUTHORIZED, None);
    assert_eq!(body["code"], 498);
}

#[tokio::test]
async fn a_token_whose_client_was_deleted_or_switched_off_is_401() {
    for change in [
        "DELETE FROM oauth_clients WHERE client_key = 'demo-key'",
        "UPDATE oauth_clients SET is_active = false WHERE client_key = 'demo-key'",
    ] {
        let app = TestApp::new().await;
        let token = app.oauth_token("demo-key", "demo-secret").await;
        sqlx::query(change).execute(&app.pool).await.unwrap();
        let gone = "Invalid OAuth token: its client no longer exists";
        for path in [DAS_SAMPLE_PATH, WHOAMI] {
            let body = assert_plain_error(&app.get(path).oauth(&token).send().await, StatusCode::UNAUTHORIZED, None);
            assert_eq!((body["code"].clone(), body["message"].clone()), (json!(401), json!(gone)), "{change}: {path}");
        }
        for path in [V2_SAMPLE_PATH, V2_1_SAMPLE_PATH] {
            assert_eq!(assert_v2_error(&app.get(path).oauth(&token).send().await, StatusCode::UNAUTHORIZED, 401), gone, "{change}: {path}");
        }
        assert_eq!(assert_v3_error(&app.get(V3_SAMPLE_PATH).oauth(&token).send().await, StatusCode::UNAUTHORIZED, 401), gone, "{change}");
        // Nor does it get a new token: 320001.
        let response = app.post("/v3/oauth/token/generate").json(&json!({"key": "demo-key", "secret": "demo-secret"})).send().await;
        assert_eq!(assert_token_error(&response, StatusCode::UNAUTHORIZED, 320001), "Invalid client key and secret", "{change}");
    }
}

#[tokio::test]
async fn with_auth_off_requests_without_credentials_act_as_the_default_org() {
    let app = TestApp::with_config(RuntimeConfig { auth_enabled: false, ..RuntimeConfig::default() }).await;
    let response = app.get(WHOAMI).send().await;
    assert_eq!(response.status, StatusCode::OK);
    assert_eq!(response.json()["orgId"], 50406);
    // A credential still decides, and a wrong one is still refused.
    assert_eq!(app.get(WHOAMI).basic("connected.till", DEMO_PASSWORD).send().await.json()["orgId"], 4000218);
    assert_eq!(app.get(WHOAMI).basic(DEMO_TILL, "wrong").send().await.status, StatusCode::UNAUTHORIZED);
}
