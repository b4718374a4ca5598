//! Secrets stay secret: no password, token or admin token in the logs, the journal or an error
//! message; a token altered to name another org is refused.

use axum::http::StatusCode;
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use serde_json::{Value, json};

use crate::{
    helpers::*,
    process::{Process, database_url},
};

const ADMIN_SECRET: &str = "adm1n-s3cret-7f3a";
const LEDGER: &str = "/das/getLedgerEntriesWithEventId?ledger_entry_types=CREDIT&entity_id=387970841&start_date=2025-06-03&end_date=2025-06-04&is_filter_not_based_on_date=0&till_ids=-1&is_till_not_present=1";

#[tokio::test]
async fn no_secret_reaches_the_logs_the_journal_or_an_error_message() {
    let app = TestApp::new().await;
    let process = Process::start_with(&database_url(&app).await, &[("EMULATOR_ADMIN_TOKEN", ADMIN_SECRET), ("RUST_LOG", "debug")]);
    let client = reqwest::Client::new();
    let base = process.base.clone();
    let mut answers = Vec::new();

    // OAuth: a right and a wrong secret; the token, and a forged one.
    let token_answer = client
        .post(format!("{base}/v3/oauth/token/generate"))
        .json(&json!({"key": "demo-key", "secret": "demo-secret"}))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let token = serde_json::from_str::<Value>(&token_answer).unwrap()["data"]["accessToken"].as_str().unwrap().to_owned();
    let wrong_secret = "wr0ng-secret-91c2";
    for body in [json!({"key": "demo-key", "secret": wrong_secret}), json!({"key": wrong_secret, "secret": "demo-secret"})] {
        let response = client.post(format!("{base}/v3/oauth/token/generate")).json(&body).send().await.unwrap();
        answers.push(response.text().await.unwrap());
    }
    let forged = format!("{token}x");
    for value in [token.as_str(), forged.as_str()] {
        let response = client.get(format!("{base}{LEDGER}")).header("X-CAP-API-OAUTH-TOKEN", value).send().await.unwrap();
        answers.push(response.text().await.unwrap());
    }

    // Basic: right and wrong passwords (what is sent is the md5), and a malformed header.
    let wrong_md5 = md5_hex("not-the-password");
    for authorization in [
        basic_auth(DEMO_TILL, DEMO_PASSWORD),
        basic_auth(DEMO_TILL, "not-the-password"),
        format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(format!("{DEMO_TILL}{wrong_md5}"))),
        format!("Bearer {ADMIN_SECRET}"),
    ] {
        let response = client.get(format!("{base}{LEDGER}")).header("authorization", authorization).send().await.unwrap();
        answers.push(response.text().await.unwrap());
    }

    // The control plane: a wrong token, the right one, and the right one in the wrong scheme.
    for authorization in [format!("Bearer {wrong_secret}"), format!("Basic {ADMIN_SECRET}"), format!("Bearer {ADMIN_SECRET}x")] {
        let response = client.get(format!("{base}/__admin/requests")).header("authorization", authorization).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        answers.push(response.text().await.unwrap());
    }
    let journal = client.get(format!("{base}/__admin/requests")).bearer_auth(ADMIN_SECRET).send().await.unwrap();
    assert_eq!(journal.status(), StatusCode::OK);
    let journal = journal.text().await.unwrap();
    assert!(journal.contains("/das/getLedgerEntriesWithEventId"), "the journal recorded the requests: {journal}");
    let logs = process.stop_and_collect_output().join("\n");
    assert!(logs.contains("request"), "the debug log has the requests");

    let md5 = md5_hex(DEMO_PASSWORD);
    let basic = basic_auth(DEMO_TILL, DEMO_PASSWORD);
    let basic_payload = basic.trim_start_matches("Basic ");
    let token_signature = token.rsplit('.').next().unwrap();
    let secrets = [
        ("the admin token", ADMIN_SECRET),
        ("a wrong admin token", wrong_secret),
        ("the password's md5", md5.as_str()),
        ("a wrong password's md5", wrong_md5.as_str()),
        ("the Basic credential", basic_payload),
        ("the OAuth secret", "demo-secret"),
        ("the OAuth token's signature", token_signature),
    ];
    for (name, secret) in secrets {
        assert!(!logs.contains(secret), "the log holds {name}");
        assert!(!journal.contains(secret), "the journal holds {name}");
        for answer in &answers {
            assert!(!answer.contains(secret), "an answer holds {name}: {answer}");
        }
    }
}

/// A token's payload with `change` applied, its signature kept.
fn altered(token: &str, change: impl Fn(&mut Value)) -> String {
    let parts: Vec<&str> = token.split('.').collect();
    let mut claims: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap();
    change(&mut claims);
    format!("{}.{}.{}", parts[0], URL_SAFE_NO_PAD.encode(claims.to_string()), parts[2])
}

#[tokio::test]
async fn a_token_altered_to_name_another_org_or_tenant_is_refused() {
    let app = TestApp::new().await;
    let token = app.oauth_token("demo-key", "demo-secret").await;
    let whoami = app.get("/__admin/whoami").oauth(&token).send().await;
    assert_eq!(whoami.json()["orgId"], 50406);

    let other_org = altered(&token, |claims| claims["org_id"] = json!(4000218));
    let other_client = altered(&token, |claims| claims["client_id"] = json!("connected-key"));
    let other_tenant = altered(&token, |claims| claims["tenant"] = json!("elsewhere"));
    let later = altered(&token, |claims| claims["exp"] = json!(claims["exp"].as_i64().unwrap() + 86_400));
    let unsigned = {
        let header = URL_SAFE_NO_PAD.encode(json!({"alg": "none", "typ": "JWT"}).to_string());
        let claims = altered(&token, |claims| claims["org_id"] = json!(4000218));
        format!("{header}.{}.", claims.split('.').nth(1).unwrap())
    };
    for (what, forged) in
        [("org", other_org), ("client", other_client), ("tenant", other_tenant), ("expiry", later), ("alg none", unsigned)]
    {
        let response = app.get(LEDGER).oauth(&forged).send().await;
        let body = assert_plain_error(&response, StatusCode::UNAUTHORIZED, None);
        assert_eq!(body["message"], "Invalid OAuth token", "{what}");
        let response = app.get("/v3/users/387043873/targetGroups").oauth(&forged).send().await;
        assert_eq!(assert_v3_error(&response, StatusCode::UNAUTHORIZED, 401), "Invalid OAuth token", "{what}");
    }
}

#[test]
fn beyond_loopback_the_default_admin_token_refuses_to_start() {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_capillary-emulator"))
        .env_remove("EMULATOR_ADMIN_TOKEN")
        .env("EMULATOR_LISTEN", "0.0.0.0:0")
        // Never reached: the check comes before the database.
        .env("DATABASE_URL", "postgres://nobody@127.0.0.1:1/none")
        .output()
        .unwrap();
    assert!(!output.status.success());
    let said = String::from_utf8_lossy(&output.stderr);
    assert!(
        said.contains("error: EMULATOR_LISTEN is 0.0.0.0:0, which other machines can reach, and EMULATOR_ADMIN_TOKEN is not set"),
        "{said}"
    );
    assert!(said.contains("set EMULATOR_ADMIN_TOKEN (or --admin-token) to a token of your own"), "{said}");
}
