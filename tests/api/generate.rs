//! `capillary-emulator generate`: the same seed gives the same universe, and every endpoint
//! answers on it.

use std::sync::Arc;

use crate::{harness::TestDb, helpers::*};
use axum::http::StatusCode;
use capillary_emulator::{
    config::RuntimeConfig,
    fixtures,
    platform::generate::{self, FIRST_ORG_ID, Plan},
};

const ENTRIES: u64 = 2_000;

async fn generated(seed: u64) -> Arc<TestDb> {
    let db = Arc::new(TestDb::empty().await);
    let plan = Plan { seed, ledger_entries: ENTRIES, orgs: 2, entries_per_customer: 20 };
    let figures = generate::generate(&db.pool, &default_bundle(), "fixtures/default", &plan, &indicatif::ProgressBar::hidden())
        .await
        .expect("generate");
    assert_eq!(figures.rows_of("points_ledger_entries"), ENTRIES);
    assert_eq!(figures.rows_of("customers"), ENTRIES / 20);
    db
}

#[tokio::test]
async fn the_same_seed_gives_the_same_universe_and_another_seed_another() {
    let (one, two, other) = (generated(7).await, generated(7).await, generated(8).await);
    let export = |db: Arc<TestDb>| async move { fixtures::export(&db.pool, "public").await.expect("export").merged() };
    let first = export(one).await;
    assert_eq!(first, export(two).await);
    assert_ne!(first, export(other).await);
    // Generated next to the default bundle: every sample org is still there.
    let orgs = first["orgs"].as_array().unwrap();
    assert!(orgs.iter().any(|org| org["org_id"] == 50406));
    assert!(orgs.iter().any(|org| org["org_id"] == FIRST_ORG_ID));
    let count = |entity: &str| first[entity].as_array().map_or(0, Vec::len);
    assert_eq!(count("points_ledger_entries"), 107 + ENTRIES as usize);
    for entity in [
        "bills",
        "bill_line_items",
        "points_redemptions",
        "points_transfers",
        "user_targets",
        "user_milestones",
        "user_streaks",
        "target_completions",
    ] {
        assert!(count(entity) > 0, "{entity}");
    }
    let kinds: std::collections::BTreeSet<&str> =
        first["event_logs"].as_array().unwrap().iter().filter_map(|event| event["event_name"].as_str()).collect();
    for kind in [
        "TransactionAdd",
        "ReturnBill",
        "GenericEvent",
        "PointsRedemption",
        "PointsTransfer",
        "AllocateGoodwillPoints",
        "TargetCompleted",
        "CustomerRegistration",
        "CustomerPromotionImport",
        "ManualPointsAdjustment",
    ] {
        assert!(kinds.contains(kind), "{kind}");
    }
}

#[tokio::test]
async fn every_endpoint_answers_on_generated_data() {
    let db = generated(7).await;
    let app = TestApp::over(db.clone(), RuntimeConfig::default()).await;
    let customer = generate::customer_id(0);
    let get = |uri: String| {
        let app = &app;
        async move {
            let response = app.get(&uri).basic("gen1.till", DEMO_PASSWORD).send().await;
            assert_eq!(response.status, StatusCode::OK, "{uri}: {}", response.text());
            response.json()
        }
    };
    let ledger = get(format!(
        "/das/getLedgerEntriesWithEventId?ledger_entry_types=CREDIT,DEBIT&entity_id={customer}&start_date=2023-01-01&end_date=2024-06-30&is_filter_not_based_on_date=0&till_ids=-1&is_till_not_present=1&count=100"
    ))
    .await;
    assert_eq!(ledger.as_array().unwrap().len(), 20, "{ledger}");
    let completions = get(format!(
        "/das/getTargetCompletedExplodeLedger?ledgerEntryTypes=CREDIT&userId={customer}&startDate=2023-01-01&endDate=2024-06-30"
    ))
    .await;
    let completed: Vec<i64> = completions.as_array().unwrap().iter().filter_map(|record| record["eventLogId"].as_i64()).collect();
    let ledger_events: Vec<i64> = ledger.as_array().unwrap().iter().filter_map(|record| record["eventLogId"].as_i64()).collect();
    assert!(completed.iter().all(|event| ledger_events.contains(event)), "each completion's credit is in the ledger: {completions}");

    let groups = get(format!("/v3/users/{customer}/targetGroups?includeInactiveTargets=true")).await;
    assert_eq!(groups["data"]["targetGroups"].as_array().map_or(0, Vec::len), 3, "{groups}");

    let event_ids: Vec<String> = ledger_events.iter().take(5).map(i64::to_string).collect();
    let explode = get(format!(
        "/v2/pointsLedger/getLedgerExplodeInfo?identifierName=mobile&identifierValue=917000000000&source=INSTORE&eventIds={}&getBillDetails=true&getPointsEarnedBreakup=true",
        event_ids.join(",")
    ))
    .await;
    assert_eq!(explode["events"].as_array().map_or(0, Vec::len), event_ids.len(), "{explode}");
}
