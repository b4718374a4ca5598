//! Tenant and org isolation as a property (README "Reliability", item 4; OWASP API #1, broken
//! object-level authorization): a credential of one org, asking through any endpoint, with any
//! data-scope headers and tenant prefix, for a customer, event, ledger entry or target of another
//! org, gets exactly the answer it gets for an id that exists nowhere. A credential of one tenant
//! is refused in another.
//!
//! `PROPTEST_CASES=N` sets the number of cases (default 48).

use std::collections::{BTreeMap, BTreeSet};

use axum::http::StatusCode;
use proptest::{prelude::*, test_runner::TestRunner};
use serde_json::json;

use crate::helpers::*;

/// Tills of the default bundle that sign in (password `demo123`), with their orgs.
const TILLS: [(&str, i64); 10] = [
    ("demo.till", 50406),
    ("connected.till", 4000218),
    ("sister.till", 4000219),
    ("unconnected.till", 4000300),
    ("utc.till", 100001),
    ("utc2.till", 100002),
    ("cyclic.till", 100003),
    ("docdemo.till", 100737),
    ("docdemo.in.till", 100738),
    ("vidhi.till", 100739),
];

/// Ids that exist in no org.
const UNKNOWN_CUSTOMER: i64 = 987_654_321_012;
const UNKNOWN_EVENT: i64 = 987_654_321_013;

/// A record of one org, as ids an endpoint takes.
#[derive(Debug, Clone)]
struct Record {
    org: i64,
    customer: i64,
    event: i64,
    /// The event's reference (bill id, request id), for `eventReferenceIds`.
    reference: Option<String>,
    event_name: String,
}

#[derive(Debug, Clone, Copy)]
enum Endpoint {
    DasLedger,
    DasCompleted,
    ExplodeById,
    ExplodeByReference,
    Explode21,
    TargetGroups,
}

impl Endpoint {
    fn uri(self, customer: i64, event: i64, reference: &str, event_name: &str) -> String {
        match self {
            Endpoint::DasLedger => format!(
                "/das/getLedgerEntriesWithEventId?ledger_entry_types=CREDIT,DEBIT&entity_id={customer}&start_date=2000-01-01&end_date=2030-12-31&is_filter_not_based_on_date=1&till_ids=-1&is_till_not_present=1"
            ),
            Endpoint::DasCompleted => format!(
                "/das/getTargetCompletedExplodeLedger?ledgerEntryTypes=CREDIT,DEBIT&userId={customer}&startDate=2000-01-01&endDate=2030-12-31"
            ),
            Endpoint::ExplodeById => format!(
                "/v2/pointsLedger/getLedgerExplodeInfo?identifierName=id&identifierValue={customer}&source=INSTORE&eventIds={event}&getBillDetails=true&getCustomFields=true"
            ),
            Endpoint::ExplodeByReference => format!(
                "/v2/pointsLedger/getLedgerExplodeInfo?identifierName=id&identifierValue={customer}&source=INSTORE&eventName={event_name}&eventReferenceIds={reference}"
            ),
            Endpoint::Explode21 => format!(
                "/v2.1/pointsLedger/getLedgerExplodeInfo?identifierName=id&identifierValue={customer}&source=INSTORE&eventIds={event}"
            ),
            Endpoint::TargetGroups => format!("/v3/users/{customer}/targetGroups?includeInactiveTargets=true"),
        }
    }

    fn reads_scope_headers(self) -> bool {
        matches!(self, Endpoint::ExplodeById | Endpoint::ExplodeByReference | Endpoint::Explode21)
    }
}

/// The data-scope headers of a case.
#[derive(Debug, Clone)]
enum Scope {
    None,
    SelfOrg,
    Other(Vec<i64>),
}

/// The answer with the asked-for ids replaced by a placeholder, and no timestamp: what must not
/// differ between another org's id and an unknown one.
fn comparable(response: &TestResponse, ids: &[&str]) -> (StatusCode, String) {
    let mut body = response.json();
    if let Some(object) = body.as_object_mut() {
        object.remove("timestamp");
    }
    let mut text = body.to_string();
    for id in ids.iter().filter(|id| !id.is_empty()) {
        text = text.replace(id, "<ID>");
    }
    (response.status, text)
}

#[test]
fn property_no_credential_reads_another_orgs_records() {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let app = runtime.block_on(TestApp::new());
    let (records, connections) = runtime.block_on(async {
        let rows: Vec<(i64, i64, i64, Option<String>, String)> = sqlx::query_as(
            "SELECT e.org_id, e.customer_id, e.event_log_id, e.event_reference_id, e.event_name FROM event_logs e
             WHERE e.customer_id IS NOT NULL ORDER BY e.event_log_id",
        )
        .fetch_all(&app.pool)
        .await
        .unwrap();
        let connections: Vec<(i64, i64)> =
            sqlx::query_as("SELECT org_id, connected_org_id FROM org_connections").fetch_all(&app.pool).await.unwrap();
        let records: Vec<Record> = rows
            .into_iter()
            .map(|(org, customer, event, reference, event_name)| Record { org, customer, event, reference, event_name })
            .collect();
        (records, connections.into_iter().collect::<BTreeSet<_>>())
    });
    let orgs_with_records: BTreeSet<i64> = records.iter().map(|record| record.org).collect();
    assert!(orgs_with_records.len() >= 5, "the default bundle has records in several orgs: {orgs_with_records:?}");
    let org_ids: Vec<i64> = TILLS.iter().map(|(_, org)| *org).chain([1, 999_999]).collect();

    let endpoints = [
        Endpoint::DasLedger,
        Endpoint::DasCompleted,
        Endpoint::ExplodeById,
        Endpoint::ExplodeByReference,
        Endpoint::Explode21,
        Endpoint::TargetGroups,
    ];
    let scope = prop_oneof![
        Just(Scope::None),
        Just(Scope::SelfOrg),
        proptest::collection::vec(prop::sample::select(org_ids.clone()), 1..3).prop_map(Scope::Other),
    ];
    let strategy = (0..TILLS.len(), 0..records.len(), prop::sample::select(endpoints.to_vec()), scope, any::<bool>());
    let cases = std::env::var("PROPTEST_CASES").ok().and_then(|cases| cases.parse().ok()).unwrap_or(48);
    let mut runner = TestRunner::new(proptest::test_runner::Config { cases, failure_persistence: None, ..Default::default() });
    let compared = std::sync::Mutex::new(BTreeMap::<String, usize>::new());
    let outcome = runner.run(&strategy, |(till, record, endpoint, scope, prefixed)| {
        let (till, org) = TILLS[till];
        let record = &records[record];
        if record.org == org {
            return Ok(()); // its own record: not this property's business
        }
        let readable_by_scope = match &scope {
            Scope::Other(listed) => {
                endpoint.reads_scope_headers() && listed.contains(&record.org) && connections.contains(&(org, record.org))
            }
            _ => false,
        };
        if readable_by_scope {
            return Ok(()); // a connected org read on purpose, as Capillary allows
        }
        let ask = |customer: i64, event: i64, reference: &str| {
            let uri = endpoint.uri(customer, event, reference, &record.event_name);
            let uri = if prefixed { format!("/t/default{uri}") } else { uri };
            let mut request = app.get(&uri).basic(till, DEMO_PASSWORD);
            match &scope {
                Scope::None => {}
                Scope::SelfOrg => request = request.header("DATA-SCOPE", "SELF"),
                Scope::Other(listed) => {
                    let listed = listed.iter().map(i64::to_string).collect::<Vec<_>>().join(",");
                    request = request.header("DATA-SCOPE", "OTHER").header("DATA-SCOPE-ORG", &listed);
                }
            }
            runtime.block_on(request.send())
        };
        let reference = record.reference.clone().unwrap_or_else(|| record.event.to_string());
        let theirs = ask(record.customer, record.event, &reference);
        let unknown_reference = format!("{UNKNOWN_EVENT}-ref");
        let nobodys = ask(UNKNOWN_CUSTOMER, UNKNOWN_EVENT, &unknown_reference);
        let (customer, event) = (record.customer.to_string(), record.event.to_string());
        let (unknown_customer, unknown_event) = (UNKNOWN_CUSTOMER.to_string(), UNKNOWN_EVENT.to_string());
        prop_assert_eq!(
            comparable(&theirs, &[&reference, &customer, &event]),
            comparable(&nobodys, &[&unknown_reference, &unknown_customer, &unknown_event]),
            "{} (org {}) asking for org {}'s customer {} / event {} via {:?} with {:?}",
            till,
            org,
            record.org,
            record.customer,
            record.event,
            endpoint,
            scope
        );
        *compared.lock().unwrap().entry(format!("{endpoint:?} {}", theirs.status.as_u16())).or_default() += 1;
        Ok(())
    });
    if let Err(failure) = outcome {
        panic!("{failure}");
    }
    eprintln!("isolation: {cases} cases; compared (endpoint, status): {:?}", compared.lock().unwrap());
}

#[tokio::test]
async fn a_credential_of_one_tenant_is_refused_in_another() {
    let app = TestApp::new().await;
    // A tenant whose only org, till and OAuth client exist nowhere else.
    let bundle = json!({
        "orgs": [{"org_id": 777, "name": "Elsewhere", "time_zone": "UTC"}],
        "tills": [{"till_id": 7771, "org_id": 777, "code": "elsewhere.till", "password_md5": md5_hex(DEMO_PASSWORD)}],
        "oauth_clients": [{"client_key": "elsewhere-key", "client_secret": "elsewhere-secret", "org_id": 777, "ttl_seconds": 3600}],
    });
    let created = app.post("/__admin/tenants").admin().json(&json!({"id": "elsewhere", "bundle": bundle})).send().await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text());
    let ledger = "/das/getLedgerEntriesWithEventId?ledger_entry_types=CREDIT&entity_id=387970841&start_date=2025-06-03&end_date=2025-06-04&is_filter_not_based_on_date=0&till_ids=-1&is_till_not_present=1";

    // Each tenant's till, in the other tenant (by prefix and by header): as a till that does not exist.
    let unknown = app.get(ledger).basic("no.such.till", DEMO_PASSWORD).send().await;
    let unknown = assert_plain_error(&unknown, StatusCode::UNAUTHORIZED, None)["message"].clone();
    for request in [
        app.get(ledger).basic("elsewhere.till", DEMO_PASSWORD),
        app.get(&format!("/t/elsewhere{ledger}")).basic(DEMO_TILL, DEMO_PASSWORD),
        app.get(ledger).basic(DEMO_TILL, DEMO_PASSWORD).header("X-Emulator-Tenant", "elsewhere"),
    ] {
        let response = request.send().await;
        assert_eq!(response.status, StatusCode::UNAUTHORIZED, "{}", response.text());
        assert_eq!(response.json()["message"], unknown);
    }
    // Its OAuth token, in the default tenant.
    let token =
        app.post("/t/elsewhere/v3/oauth/token/generate").json(&json!({"key": "elsewhere-key", "secret": "elsewhere-secret"})).send().await;
    let token = token.json()["data"]["accessToken"].as_str().unwrap().to_owned();
    let response = app.get(ledger).oauth(&token).send().await;
    let body = assert_plain_error(&response, StatusCode::UNAUTHORIZED, None);
    assert_eq!(body["message"], "Invalid OAuth token: it was issued for another tenant");
    // In its own tenant the token works, and the default tenant's customer is as unknown there as
    // an id that exists nowhere.
    let theirs = app.get(&format!("/t/elsewhere{ledger}")).oauth(&token).send().await;
    let nobodys =
        app.get(&format!("/t/elsewhere{}", ledger.replace("387970841", &UNKNOWN_CUSTOMER.to_string()))).oauth(&token).send().await;
    assert_ne!(theirs.status, StatusCode::UNAUTHORIZED, "{}", theirs.text());
    assert_eq!(comparable(&theirs, &["387970841"]), comparable(&nobodys, &[&UNKNOWN_CUSTOMER.to_string()]));
}
