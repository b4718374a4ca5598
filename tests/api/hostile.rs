//! Hostile input (README "Reliability", items 2 and 3): every documented request with each of its
//! parameters replaced by injection attempts, invalid UTF-8 and oversized values; repeated
//! parameters, huge id lists and deep JSON bodies; and property tests (proptest) that mutate the
//! documented requests at random: their query strings, dates, id lists, credentials, data-scope
//! and tenant headers. Every answer must be below 500, JSON, and in the family's envelope when it
//! is an error; nothing may change the data.
//!
//! `PROPTEST_CASES=N` sets how many cases each property tries (default 64 here; `scripts/fuzz-api`
//! runs more).

use std::time::Instant;

use axum::http::{Method, StatusCode};
use capillary_emulator::http::error::Family;
use proptest::{prelude::*, test_runner::TestRunner};
use serde_json::{Value, json};

use crate::{
    helpers::*,
    samples::{Manifest, SampleRequest, manifest, send},
};

/// Asserts that `response` is no server error, is JSON, and when it is an error, is in the
/// envelope of its path's family; returns the body.
#[track_caller]
pub fn assert_enveloped(response: &TestResponse) -> Value {
    let status = response.status;
    assert!(status.as_u16() < 500, "{} answered {status}: {}", response.path, response.text());
    assert!(response.header("content-type").is_some_and(|value| value.starts_with("application/json")), "{}", response.path);
    let body = response.json();
    if status.is_client_error() {
        let path = match response.path.strip_prefix("/t/").and_then(|rest| rest.find('/').map(|slash| &rest[slash..])) {
            Some(rest) => rest,
            None => response.path.as_str(),
        };
        let keys = keys_of(&body);
        let expected: &[&str] = match Family::of_path(path) {
            Family::V2 => &["errors", "warnings"],
            Family::V3 => &["data", "errors", "warnings"],
            Family::OAuth => &["data", "errors"],
            Family::V1_1 => &["response"],
            Family::Webhook => &["status"],
            Family::Plain => &["timestamp", "status", "error", "code", "message", "path"],
        };
        assert_eq!(&keys[..expected.len().min(keys.len())], expected, "{} {status}: {body}", response.path);
        let message = match Family::of_path(path) {
            Family::Plain => &body["message"],
            Family::V1_1 => &body["response"]["status"]["message"],
            Family::Webhook => &body["status"]["message"],
            Family::V2 | Family::V3 | Family::OAuth => &body["errors"][0]["message"],
        };
        let message = message.as_str().unwrap_or_else(|| panic!("a message: {body}"));
        assert!(!message.is_empty() && message.chars().count() <= 1100, "{} {status}: a readable message: {body}", response.path);
    }
    body
}

/// A request's query as its raw `name=value` pairs.
fn pairs(query: &str) -> Vec<(String, String)> {
    query
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| match pair.split_once('=') {
            Some((name, value)) => (name.to_owned(), value.to_owned()),
            None => (pair.to_owned(), String::new()),
        })
        .collect()
}

fn query_of(pairs: &[(String, String)]) -> String {
    pairs.iter().map(|(name, value)| format!("{name}={value}")).collect::<Vec<_>>().join("&")
}

fn encoded(text: &str) -> String {
    form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

/// Values a hostile client puts in a parameter, percent-encoded as sent.
fn hostile_values() -> Vec<String> {
    let mut values: Vec<String> = [
        "' OR '1'='1",
        "1' OR 1=1 --",
        "1; DROP TABLE tills; --",
        "1) UNION SELECT password_md5, code FROM tills --",
        "387970841' AND pg_sleep(5) IS NULL --",
        "\"\\'`;$(id)",
        "%00",
        "1,2,' OR 1=1 --",
        "\u{202e}1\u{0}2",
        "💩",
        "-1",
        "9223372036854775808",
        "1e309",
        "NaN",
        "",
        ",,,",
        "2024-02-30",
        "0000-00-00T25:61:61Z",
        "true' --",
    ]
    .iter()
    .map(|value| encoded(value))
    .collect();
    // Invalid UTF-8 and overlong encodings, percent-encoded.
    values.extend(["%FF%FE", "%C0%AF", "%ED%A0%80", "%E2%82", "1%00", "%25%32%37"].map(str::to_owned));
    values
}

/// The whole universe, as the control plane exports it.
async fn snapshot(app: &TestApp) -> Value {
    let response = app.get("/__admin/fixtures").admin().send().await;
    assert_eq!(response.status, StatusCode::OK);
    response.json()
}

async fn send_with_query(app: &TestApp, manifest: &Manifest, request: &SampleRequest, query: String) -> TestResponse {
    send(app, manifest, &SampleRequest { query, ..request.clone() }).await
}

#[tokio::test]
async fn hostile_values_in_every_documented_parameter_are_refused_cleanly() {
    let app = TestApp::new().await;
    let manifest = manifest();
    let before = snapshot(&app).await;
    let started = Instant::now();
    let (mut tried, mut refused) = (0, 0);
    // The longest value a URL holds (hyper refuses longer URLs with 414 before the app, and the
    // `http` crate cannot even represent them: tests/api/wire.rs sends 1 MB over a socket).
    let longest = "9".repeat(60_000);
    // Each parameter of each endpoint once, in the first documented request that has it.
    let mut seen = std::collections::HashSet::new();
    for sample in &manifest.samples {
        let original = pairs(&sample.request.query);
        for index in 0..original.len() {
            if !seen.insert((sample.request.path.clone(), original[index].0.clone())) {
                continue;
            }
            for value in hostile_values().into_iter().chain(index.eq(&0).then(|| longest.clone())) {
                let mut changed = original.clone();
                changed[index].1 = value;
                let response = send_with_query(&app, &manifest, &sample.request, query_of(&changed)).await;
                assert_enveloped(&response);
                tried += 1;
                refused += usize::from(response.status.is_client_error());
            }
        }
    }
    assert!(refused > tried / 2, "most hostile values are refused ({refused} of {tried})");
    assert_eq!(snapshot(&app).await, before, "no data changed");
    eprintln!("hostile values: {tried} requests ({refused} refused with 4xx, none 5xx) in {:?}", started.elapsed());
}

#[tokio::test]
async fn repeated_parameters_huge_id_lists_and_deep_json_are_refused_cleanly() {
    let app = TestApp::new().await;
    let manifest = manifest();
    let before = snapshot(&app).await;
    let started = Instant::now();
    let mut tried = 0;
    // The first documented request of each endpoint.
    let mut seen = std::collections::HashSet::new();
    for sample in manifest.samples.iter().filter(|sample| sample.request.method == "GET") {
        let endpoint = sample.request.path.split('/').take(3).collect::<Vec<_>>().join("/");
        if !seen.insert(endpoint) {
            continue;
        }
        let original = pairs(&sample.request.query);
        // Each of the first two parameters as often as a URL holds (10,000 times for short ones;
        // tests/api/wire.rs sends 10,000 of any length over a socket).
        for index in 0..original.len().min(2) {
            let mut repeated = original.clone();
            let pair_length = original[index].0.len() + original[index].1.len() + 2;
            repeated.extend(std::iter::repeat_n(original[index].clone(), (60_000 / pair_length).min(10_000)));
            assert_enveloped(&send_with_query(&app, &manifest, &sample.request, query_of(&repeated)).await);
            tried += 1;
        }
        // Every list-valued parameter as 10,000 ids (100,000 go over a socket in tests/api/wire.rs).
        let ids = (1..=10_000).map(|id| id.to_string()).collect::<Vec<_>>().join(",");
        for (name, _) in original.iter().filter(|(name, _)| {
            ["eventIds", "eventReferenceIds", "till_ids", "ledger_entry_types", "ledgerEntryTypes", "alternateCurrencyNames"]
                .contains(&name.as_str())
        }) {
            let changed: Vec<_> =
                original.iter().map(|(key, value)| (key.clone(), if key == name { ids.clone() } else { value.clone() })).collect();
            let response = send_with_query(&app, &manifest, &sample.request, query_of(&changed)).await;
            assert_enveloped(&response);
            tried += 1;
        }
    }
    // Deep and oversized JSON bodies on every route that takes one.
    let deep = format!("{}1{}", "[".repeat(100_000), "]".repeat(100_000));
    let deep_object = format!("{}1{}", "{\"a\":".repeat(50_000), "}".repeat(50_000));
    let huge_string = json!({"id": "a".repeat(1 << 20), "key": "k".repeat(1 << 20), "secret": "s", "by": "x".repeat(1 << 20)}).to_string();
    for (method, path) in [
        (Method::POST, "/v3/oauth/token/generate"),
        (Method::POST, "/__admin/tenants"),
        (Method::POST, "/__admin/fixtures"),
        (Method::POST, "/__admin/tenants/default/fixtures"),
        (Method::PUT, "/__admin/clock"),
        (Method::POST, "/__admin/clock/advance"),
        (Method::POST, "/__admin/faults"),
        (Method::POST, "/__admin/requests/count"),
    ] {
        for body in [&deep, &deep_object, &huge_string, &"{\"id\": \"\\ud800\"}".to_owned(), &"\u{0}".to_owned()] {
            let response = app.request(method.clone(), path).admin().body("application/json", body.clone()).send().await;
            let answer = assert_enveloped(&response);
            assert!(response.status.is_client_error(), "{method} {path}: {} {answer}", response.status);
            tried += 1;
        }
    }
    assert_eq!(snapshot(&app).await, before, "no data changed");
    let tenants = app.get("/__admin/tenants").admin().send().await.json();
    assert_eq!(tenants.as_array().unwrap().len(), 1, "no tenant was made: {tenants}");
    eprintln!("oversized input: {tried} requests, none 5xx, in {:?}", started.elapsed());
}

/// A random change to a documented request.
#[derive(Debug, Clone)]
enum Mutation {
    /// Replace the value of the parameter at this index (modulo their number).
    Value(usize, String),
    Drop(usize),
    Duplicate(usize, String),
    Add(String, String),
    Header(&'static str, String),
    Swap(usize, usize),
}

/// Text as a client might send it: anything printable, date-like text, number-like text, lists.
fn client_text() -> impl Strategy<Value = String> {
    prop_oneof![
        "\\PC{0,40}",
        "[0-9]{1,5}-[0-9]{1,3}-[0-9]{1,3}(T[0-9]{1,2}:[0-9]{1,2}(:[0-9]{1,2}(\\.[0-9]{1,9})?)?(Z|[+-][0-9]{2}:?[0-9]{2})?)?",
        "-?[0-9]{1,25}(\\.[0-9]{0,5})?(e[+-]?[0-9]{1,4})?",
        "([0-9A-Za-z_-]{0,12},){0,6}[0-9A-Za-z_-]{0,12}",
        "(true|false|TRUE|True|1|0|yes|)",
        "(CREDIT|DEBIT|SELF|OTHER|ALL|INSTORE|mobile|id|email|externalId|cardnumber)",
    ]
}

/// Percent-encoded as sent, or raw percent sequences (which may be invalid UTF-8).
fn sent_text() -> impl Strategy<Value = String> {
    prop_oneof![
        client_text().prop_map(|text| encoded(&text)),
        proptest::collection::vec(any::<u8>(), 0..12).prop_map(|bytes| { bytes.iter().map(|byte| format!("%{byte:02X}")).collect() }),
    ]
}

/// A header value `HeaderValue` accepts: no control characters.
fn header_text() -> impl Strategy<Value = String> {
    prop_oneof![
        "[ -~]{0,60}",
        client_text().prop_map(|text| text.chars().filter(|c| !c.is_control()).collect()),
        "(Basic|Bearer|basic|BASIC) [A-Za-z0-9+/=:._-]{0,60}",
        proptest::collection::vec(any::<u8>(), 0..40).prop_map(|bytes| {
            use base64::Engine;
            format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(bytes))
        }),
        "[a-zA-Z0-9._-]{0,12}:[0-9a-f]{0,40}".prop_map(|pair| {
            use base64::Engine;
            format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(pair))
        }),
    ]
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), sent_text()).prop_map(|(index, value)| Mutation::Value(index, value)),
        any::<usize>().prop_map(Mutation::Drop),
        (any::<usize>(), sent_text()).prop_map(|(index, value)| Mutation::Duplicate(index, value)),
        ("[A-Za-z_.]{1,20}", sent_text()).prop_map(|(name, value)| Mutation::Add(name, value)),
        (
            prop::sample::select(
                &[
                    "authorization",
                    "X-CAP-API-OAUTH-TOKEN",
                    "DATA-SCOPE",
                    "DATA-SCOPE-ORG",
                    "X-Emulator-Tenant",
                    "content-type",
                    "accept-encoding",
                ][..]
            ),
            header_text()
        )
            .prop_map(|(name, value)| Mutation::Header(name, value)),
        (any::<usize>(), any::<usize>()).prop_map(|(a, b)| Mutation::Swap(a, b)),
    ]
}

/// `request` with `mutations` applied.
fn mutated(request: &SampleRequest, mutations: &[Mutation]) -> SampleRequest {
    let mut query = pairs(&request.query);
    let mut headers = request.headers.clone();
    for change in mutations {
        let count = query.len().max(1);
        match change {
            Mutation::Value(index, value) if !query.is_empty() => query[index % count].1 = value.clone(),
            Mutation::Drop(index) if !query.is_empty() => {
                query.remove(index % count);
            }
            Mutation::Duplicate(index, value) if !query.is_empty() => {
                let name = query[index % count].0.clone();
                query.push((name, value.clone()));
            }
            Mutation::Add(name, value) => query.push((name.clone(), value.clone())),
            Mutation::Header(name, value) => {
                headers.insert((*name).to_owned(), value.clone());
            }
            Mutation::Swap(a, b) if !query.is_empty() => query.swap(a % count, b % count),
            _ => {}
        }
    }
    SampleRequest { query: query_of(&query), headers, ..request.clone() }
}

/// How many cases a property tries: `PROPTEST_CASES`, else `default`.
fn cases(default: u32) -> u32 {
    std::env::var("PROPTEST_CASES").ok().and_then(|cases| cases.parse().ok()).unwrap_or(default)
}

/// Runs `property` on a runtime of its own, so that proptest's synchronous runner can drive the
/// async app; a failing input is shrunk and printed.
fn check<S: Strategy>(
    name: &str,
    default_cases: u32,
    strategy: S,
    property: impl Fn(&tokio::runtime::Runtime, &TestApp, &Manifest, S::Value),
) where
    S::Value: std::fmt::Debug,
{
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let app = runtime.block_on(TestApp::new());
    let manifest = manifest();
    let before = runtime.block_on(snapshot(&app));
    let config = proptest::test_runner::Config { cases: cases(default_cases), failure_persistence: None, ..Default::default() };
    let started = Instant::now();
    let mut runner = TestRunner::new(config.clone());
    // The runner catches a failing case's panic and shrinks the input.
    let outcome = runner.run(&strategy, |value| {
        property(&runtime, &app, &manifest, value);
        Ok(())
    });
    if let Err(failure) = outcome {
        panic!("{name}: {failure}");
    }
    assert_eq!(runtime.block_on(snapshot(&app)), before, "{name}: no data changed");
    eprintln!("{name}: {} cases in {:?}", config.cases, started.elapsed());
}

#[test]
fn property_mutated_documented_requests_are_answered_in_their_envelope() {
    let samples = manifest().samples.len();
    let strategy = (0..samples, proptest::collection::vec(mutation(), 1..6));
    check("mutated requests", 64, strategy, |runtime, app, manifest, (index, mutations)| {
        let request = mutated(&manifest.samples[index].request, &mutations);
        let response = runtime.block_on(send(app, manifest, &request));
        assert_enveloped(&response);
    });
}

#[test]
fn property_the_order_of_distinct_parameters_does_not_change_the_answer() {
    let samples = manifest().samples.len();
    let strategy = (0..samples, any::<u64>());
    check("parameter order", 32, strategy, |runtime, app, manifest, (index, seed)| {
        let request = &manifest.samples[index].request;
        let mut shuffled = pairs(&request.query);
        // A deterministic shuffle from the seed (names are distinct in the documented requests).
        let mut state = seed | 1;
        for i in (1..shuffled.len()).rev() {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            shuffled.swap(i, (state % (i as u64 + 1)) as usize);
        }
        let first = runtime.block_on(send(app, manifest, request));
        let second = runtime.block_on(send(app, manifest, &SampleRequest { query: query_of(&shuffled), ..request.clone() }));
        let comparable = |response: &TestResponse| {
            let mut body = response.json();
            if let Some(object) = body.as_object_mut() {
                object.remove("timestamp");
            }
            (response.status, body)
        };
        assert_eq!(comparable(&first), comparable(&second), "{} vs {}", request.query, query_of(&shuffled));
    });
}

#[test]
fn property_random_bundles_create_a_tenant_or_are_refused_cleanly() {
    // A bundle with one record of a random kind with random fields: refused naming what is wrong,
    // or loaded whole; never a 5xx, never half a tenant.
    const KINDS: [&str; 8] =
        ["orgs", "tills", "oauth_clients", "customers", "event_logs", "points_ledger_entries", "target_groups", "settings"];
    let field = (
        "[a-z_]{1,16}",
        prop_oneof![
            any::<i64>().prop_map(Value::from),
            client_text().prop_map(Value::from),
            Just(Value::Null),
            any::<bool>().prop_map(Value::from),
            Just(json!([])),
            Just(json!({})),
        ],
    );
    let strategy = (prop::sample::select(&KINDS[..]), proptest::collection::vec(field, 0..6));
    check("random bundles", 12, strategy, |runtime, app, _manifest, (kind, fields)| {
        let record: serde_json::Map<String, Value> = fields.into_iter().collect();
        let bundle = if kind == "settings" { json!({"settings": record}) } else { json!({kind: [record]}) };
        let response = runtime.block_on(app.post("/__admin/tenants").admin().json(&json!({"id": "fuzzed", "bundle": bundle})).send());
        let body = assert_enveloped(&response);
        if response.status == StatusCode::CREATED {
            let deleted = runtime.block_on(app.request(Method::DELETE, "/__admin/tenants/fuzzed").admin().send());
            assert!(deleted.status.is_success(), "{}", deleted.text());
        } else {
            assert_eq!(response.status, StatusCode::BAD_REQUEST, "{body}");
            let tenants = runtime.block_on(app.get("/__admin/tenants").admin().send()).json();
            assert_eq!(tenants.as_array().unwrap().len(), 1, "a refused bundle leaves no tenant: {tenants}");
        }
    });
}
