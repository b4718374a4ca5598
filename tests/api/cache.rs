//! The response cache and the credential cache: an answer served from memory is the same bytes as
//! the database's, and every announced change drops it (platform::cache, http::response_cache).
//!
//! Each test proves the cache was in use first: a change made behind the emulator's back (plain SQL,
//! announced to nobody) leaves the cached answer stale; then the change under test must bring the
//! answer back to what an app without a cache computes from the database.

use std::{sync::Arc, time::Duration};

use axum::{Router, http::Method};
use capillary_emulator::{
    AppState, app,
    config::RuntimeConfig,
    platform::{cache::commit_change, tenants::listen_for_changes},
};
use serde_json::json;

use crate::{harness::TestDb, helpers::*};

const LEDGER: &str = "/das/getLedgerEntriesWithEventId?ledger_entry_types=CREDIT,DEBIT&entity_id=387970841&start_date=2025-06-03&end_date=2025-06-04&is_filter_not_based_on_date=0&till_ids=-1&is_till_not_present=1";
const BEHIND_THE_EMULATORS_BACK: &str = "UPDATE points_ledger_entries SET points = points + 1 WHERE customer_id = 387970841";

/// An app that follows announced changes (so it caches), and one over the same database that
/// does not (so it answers from the database: the oracle).
struct Pair {
    state: AppState,
    cached: Router,
    oracle: Router,
    db: Arc<TestDb>,
    follower: tokio::task::JoinHandle<()>,
}

impl Drop for Pair {
    fn drop(&mut self) {
        self.follower.abort();
    }
}

async fn following(db: &Arc<TestDb>) -> (AppState, tokio::task::JoinHandle<()>) {
    let state = AppState::new(db.pool.clone(), RuntimeConfig::default()).await.unwrap();
    let follower = tokio::spawn(listen_for_changes(db.pool.clone(), state.tenants.clone(), Duration::from_secs(5)));
    for _ in 0..250 {
        if state.tenants.caches.is_on() {
            return (state, follower);
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("the change listener did not start");
}

impl Pair {
    async fn new() -> Pair {
        let db = Arc::new(TestDb::with_fixtures().await);
        let (state, follower) = following(&db).await;
        let oracle = app(AppState::new(db.pool.clone(), RuntimeConfig::default()).await.unwrap());
        Pair { cached: app(state.clone()), state, oracle, db, follower }
    }

    async fn cached(&self, uri: &str) -> TestResponse {
        TestRequest::on(self.cached.clone(), Method::GET, uri).demo().send().await
    }

    async fn oracle(&self, uri: &str) -> TestResponse {
        TestRequest::on(self.oracle.clone(), Method::GET, uri).demo().send().await
    }

    /// Warms the cache, changes the data behind the emulator's back, and checks the cached
    /// answer is the old one (so the cache is in use) while the database's differs.
    async fn stale(&self, uri: &str) {
        // The first request teaches the process the credential; the second's answer is kept.
        for _ in 0..2 {
            let warm = self.cached(uri).await;
            assert_eq!(warm.status, 200, "{}", warm.text());
        }
        let before = self.cached(uri).await.text();
        sqlx::query(BEHIND_THE_EMULATORS_BACK).execute(&self.db.pool).await.unwrap();
        assert!(self.cached(uri).await.text() == before, "the answer after the hidden change came from memory");
        assert!(self.oracle(uri).await.text() != before, "the database's answer changed");
    }

    async fn assert_fresh(&self, uri: &str) {
        let (cached, oracle) = (self.cached(uri).await, self.oracle(uri).await);
        assert_eq!((cached.status, cached.text()), (oracle.status, oracle.text()));
    }
}

#[tokio::test]
async fn a_cached_answer_is_the_same_bytes_and_headers_as_the_databases() {
    let pair = Pair::new().await;
    let first = pair.cached(LEDGER).await;
    let second = pair.cached(LEDGER).await;
    let oracle = pair.oracle(LEDGER).await;
    assert_eq!(first.status, 200);
    let third = pair.cached(LEDGER).await;
    assert!(second.body == first.body && third.body == first.body && oracle.body == first.body, "identical bytes");
    for name in ["content-type", "content-length"] {
        assert_eq!(third.header(name), oracle.header(name), "{name}");
    }
    // Another page, another org, another credential for the same org: other answers.
    let page = pair.cached(&format!("{LEDGER}&page=2")).await;
    assert_eq!(page.text(), pair.oracle(&format!("{LEDGER}&page=2")).await.text());
    let other_org = TestRequest::on(pair.cached.clone(), Method::GET, LEDGER).basic("connected.till", DEMO_PASSWORD).send().await;
    assert_eq!(other_org.status, 404, "{}", other_org.text());
}

#[tokio::test]
async fn a_write_through_commit_change_drops_the_cache_before_it_returns() {
    let pair = Pair::new().await;
    pair.stale(LEDGER).await;
    let mut tx = pair.db.pool.begin().await.unwrap();
    sqlx::query("UPDATE points_ledger_entries SET points = points + 1 WHERE customer_id = 387970841").execute(&mut *tx).await.unwrap();
    commit_change(&pair.state, tx, "data:default").await.unwrap();
    pair.assert_fresh(LEDGER).await;
}

#[tokio::test]
async fn a_write_endpoint_drops_the_cache_before_it_answers() {
    let pair = Pair::new().await;
    pair.stale(LEDGER).await;
    let bill = json!({"type": "REGULAR", "billNumber": "cache-1", "billAmount": "1250"});
    let added = TestRequest::on(
        pair.cached.clone(),
        Method::POST,
        "/v2/transactions?identifierName=mobile&identifierValue=919900387941&source=INSTORE",
    )
    .demo()
    .json(&bill)
    .send()
    .await;
    assert_eq!(added.status, 200, "{}", added.text());
    pair.assert_fresh(LEDGER).await;

    // A refused write changes nothing, so what is cached stays. (First the successful write's
    // notification reaches the listener, which drops the caches once more.)
    tokio::time::sleep(Duration::from_secs(1)).await;
    pair.stale(LEDGER).await;
    let refused = TestRequest::on(
        pair.cached.clone(),
        Method::POST,
        "/v2/transactions?identifierName=mobile&identifierValue=919900387941&source=INSTORE",
    )
    .demo()
    .json(&bill)
    .send()
    .await;
    assert_eq!(refused.status, 400, "the bill number is taken: {}", refused.text());
    assert_ne!(pair.cached(LEDGER).await.text(), pair.oracle(LEDGER).await.text(), "still answered from memory");
}

#[tokio::test]
async fn reset_and_import_drop_the_cache() {
    let pair = Pair::new().await;
    pair.stale(LEDGER).await;
    let reset = TestRequest::on(pair.cached.clone(), Method::POST, "/__admin/reset").admin().send().await;
    assert_eq!(reset.status, 200, "{}", reset.text());
    pair.assert_fresh(LEDGER).await;

    pair.stale(LEDGER).await;
    let bundle = default_bundle().merged();
    let import = TestRequest::on(pair.cached.clone(), Method::POST, "/__admin/fixtures").admin().json(&bundle).send().await;
    assert_eq!(import.status, 200, "{}", import.text());
    pair.assert_fresh(LEDGER).await;
}

#[tokio::test]
async fn a_clock_change_and_a_fault_rule_drop_the_cache() {
    let pair = Pair::new().await;
    pair.stale(LEDGER).await;
    let clock = TestRequest::on(pair.cached.clone(), Method::PUT, "/__admin/clock")
        .admin()
        .json(&json!({"frozen_at": "2024-06-21T12:30:00+05:30"}))
        .send()
        .await;
    assert_eq!(clock.status, 200, "{}", clock.text());
    pair.assert_fresh(LEDGER).await;

    // The clock change's notification reaches the listener, which drops the caches once more,
    // before the next answer is kept.
    tokio::time::sleep(Duration::from_secs(1)).await;
    pair.stale(LEDGER).await;
    let rule = json!({"path": "/v3/users/*/targetGroups", "error": {"code": 8015}});
    let fault = TestRequest::on(pair.cached.clone(), Method::POST, "/__admin/faults").admin().json(&rule).send().await;
    assert_eq!(fault.status, 201, "{}", fault.text());
    pair.assert_fresh(LEDGER).await;
}

#[tokio::test]
async fn a_change_announced_by_another_process_drops_the_cache() {
    let pair = Pair::new().await;
    pair.stale(LEDGER).await;
    let (other, other_follower) = following(&pair.db).await;
    let mut tx = pair.db.pool.begin().await.unwrap();
    sqlx::query("UPDATE points_ledger_entries SET points = points + 1 WHERE customer_id = 387970841").execute(&mut *tx).await.unwrap();
    commit_change(&other, tx, "data:default").await.unwrap();
    let mut fresh = false;
    for _ in 0..250 {
        if pair.cached(LEDGER).await.text() == pair.oracle(LEDGER).await.text() {
            fresh = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    other_follower.abort();
    assert!(fresh, "the notification from the other process did not drop the cache");
}

#[tokio::test]
async fn nothing_is_cached_while_the_clock_runs() {
    let pair = Pair::new().await;
    let real = TestRequest::on(pair.cached.clone(), Method::PUT, "/__admin/clock").admin().json(&json!({"mode": "real"})).send().await;
    assert_eq!(real.status, 200, "{}", real.text());
    for _ in 0..3 {
        assert_eq!(pair.cached(LEDGER).await.status, 200);
    }
    sqlx::query(BEHIND_THE_EMULATORS_BACK).execute(&pair.db.pool).await.unwrap();
    pair.assert_fresh(LEDGER).await;
}

#[tokio::test]
async fn cached_requests_are_journaled_and_take_faults() {
    let pair = Pair::new().await;
    pair.stale(LEDGER).await;
    let forced = TestRequest::on(pair.cached.clone(), Method::GET, LEDGER).demo().header("X-Emulator-Fault", "status=503").send().await;
    assert_eq!(forced.status, 503, "{}", forced.text());
    let pattern = json!({"method": "GET", "path": "/das/getLedgerEntriesWithEventId", "query": {"entity_id": "387970841"}});
    let mut counted = json!(null);
    for _ in 0..100 {
        let count = TestRequest::on(pair.cached.clone(), Method::POST, "/__admin/requests/count").admin().json(&pattern).send().await;
        counted = count.json();
        if counted["count"] == 6 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // Two warm-ups, the answer kept, the one from memory after the hidden change, the oracle's,
    // and the faulted one.
    assert_eq!(counted["count"], 6, "{counted}");
    let entries = TestRequest::on(pair.cached.clone(), Method::GET, "/__admin/requests").admin().send().await.json();
    let answered: Vec<_> = entries.as_array().unwrap().iter().filter(|entry| entry["status"] == 200).collect();
    assert_eq!(answered.len(), 5, "{entries}");
    assert!(answered.iter().all(|entry| entry["org"] == json!(50406)), "every entry names the org, cached or not: {entries}");
}

#[tokio::test]
async fn a_credential_is_decided_from_memory_until_a_change_is_announced() {
    let pair = Pair::new().await;
    let whoami = |router: Router| async move { TestRequest::on(router, Method::GET, "/__admin/whoami").demo().send().await };
    // The first request finds the credential in the database and keeps the org.
    assert_eq!(whoami(pair.cached.clone()).await.status, 200);
    sqlx::query("UPDATE tills SET is_active = false WHERE code = 'demo.till'").execute(&pair.db.pool).await.unwrap();
    assert_eq!(whoami(pair.cached.clone()).await.status, 200, "decided from memory");
    assert_eq!(whoami(pair.oracle.clone()).await.status, 401);
    let reset = TestRequest::on(pair.cached.clone(), Method::POST, "/__admin/reset").admin().send().await;
    assert_eq!(reset.status, 200);
    assert_eq!(whoami(pair.cached.clone()).await.status, 200, "the reset was heard");
    sqlx::query("UPDATE tills SET is_active = false WHERE code = 'demo.till'").execute(&pair.db.pool).await.unwrap();
    assert_eq!(whoami(pair.cached.clone()).await.status, 200, "decided from memory again");
    let mut tx = pair.db.pool.begin().await.unwrap();
    sqlx::query("SELECT 1").execute(&mut *tx).await.unwrap();
    commit_change(&pair.state, tx, "data:default").await.unwrap();
    assert_eq!(whoami(pair.cached.clone()).await.status, 401);
}

#[tokio::test]
async fn with_the_response_cache_off_every_read_comes_from_the_database() {
    let db = Arc::new(TestDb::with_fixtures().await);
    let (state, follower) = following(&db).await;
    let config = RuntimeConfig { response_cache: false, ..RuntimeConfig::default() };
    let uncached = app(AppState::new(db.pool.clone(), config).await.unwrap());
    let cached = app(state);
    let read = |router: &Router| TestRequest::on(router.clone(), Method::GET, LEDGER).demo().send();
    for _ in 0..2 {
        assert_eq!(read(&uncached).await.status, 200);
        assert_eq!(read(&cached).await.status, 200);
    }
    let before = read(&uncached).await.text();
    sqlx::query(BEHIND_THE_EMULATORS_BACK).execute(&db.pool).await.unwrap();
    assert_eq!(read(&cached).await.text(), before, "the app with the cache on answered from memory");
    let after = read(&uncached).await.text();
    assert_ne!(after, before, "the app with the cache off read the hidden change");
    assert!(after.contains("\"points\""), "{after}");
    follower.abort();
}

#[tokio::test]
async fn the_same_parameters_in_any_order_are_one_answer_and_a_repeated_one_counts_with_its_last_value() {
    let pair = Pair::new().await;
    pair.stale(LEDGER).await;
    let stale = pair.cached(LEDGER).await.text();
    let (path, query) = LEDGER.split_once('?').unwrap();
    let mut params: Vec<&str> = query.split('&').collect();
    params.reverse();
    let reordered = format!("{path}?{}", params.join("&"));
    assert_eq!(pair.cached(&reordered).await.text(), stale, "reordered: the kept answer");
    let overridden_first = format!("{path}?start_date=2025-06-01&{query}");
    assert_eq!(pair.cached(&overridden_first).await.text(), stale, "an earlier value the last one overrides: the kept answer");
    let overridden_last = format!("{LEDGER}&start_date=2025-06-01");
    let other = pair.cached(&overridden_last).await;
    assert_eq!(other.status, 200, "{}", other.text());
    assert_eq!(other.text(), pair.oracle(&overridden_last).await.text(), "another range: the database's answer");
    assert_ne!(other.text(), stale);
}

const TARGET_GROUPS: &str = "/v3/users/387043873/targetGroups?includeInactiveTargets=true";

/// Two apps following announced changes over one database: one with the response cache on (so it
/// keeps the org's target configuration), one with it off (so it reads the configuration on every
/// request: the oracle).
async fn configuration_pair() -> (Router, Router, AppState, Arc<TestDb>, [tokio::task::JoinHandle<()>; 2]) {
    let db = Arc::new(TestDb::with_fixtures().await);
    let (state, follower) = following(&db).await;
    let off = RuntimeConfig { response_cache: false, ..RuntimeConfig::default() };
    let oracle_state = AppState::new(db.pool.clone(), off).await.unwrap();
    let oracle_follower = tokio::spawn(listen_for_changes(db.pool.clone(), oracle_state.tenants.clone(), Duration::from_secs(5)));
    for _ in 0..250 {
        if oracle_state.tenants.caches.is_on() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(oracle_state.tenants.caches.is_on(), "the oracle's change listener did not start");
    (app(state.clone()), app(oracle_state), state, db, [follower, oracle_follower])
}

/// The targets' names, each time under a parameter not asked before (a group id no group has), so
/// that no answer comes from the response cache: each is built anew.
async fn target_names(router: &Router) -> Vec<String> {
    static ASKED: std::sync::atomic::AtomicI64 = std::sync::atomic::AtomicI64::new(1);
    let unknown_group = 990_000 + ASKED.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let uri = format!("{TARGET_GROUPS}&excludedEntities={unknown_group}");
    let response = TestRequest::on(router.clone(), Method::GET, &uri).demo().send().await;
    assert_eq!(response.status, 200, "{}", response.text());
    let data = response.json();
    data["data"]["targetGroups"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|group| group["targets"].as_array().unwrap().iter().map(|target| target["targetName"].as_str().unwrap().to_owned()))
        .collect()
}

#[tokio::test]
async fn a_target_configuration_is_read_from_memory_until_a_change_is_announced() {
    let (cached, oracle, state, db, followers) = configuration_pair().await;
    let before = target_names(&cached).await;
    assert_eq!(before, ["testTargetFixedWindow_2024-06-20T12:23:12.210034Z"]);
    assert_eq!(target_names(&oracle).await, before);
    sqlx::query("UPDATE target_rules SET name = 'Renamed' WHERE target_rule_id = 59857").execute(&db.pool).await.unwrap();
    assert_eq!(target_names(&cached).await, before, "the rule's name came from memory");
    assert_eq!(target_names(&oracle).await, ["Renamed"], "with the response cache off, the database's");
    // A customer's own rows are read on every request, whatever is kept of the configuration.
    sqlx::query("UPDATE user_targets SET achieved_value = 7 WHERE user_target_id = 534707").execute(&db.pool).await.unwrap();
    let achieved = TestRequest::on(cached.clone(), Method::GET, &format!("{TARGET_GROUPS}&excludedEntities=1")).demo().send().await.json();
    assert_eq!(achieved["data"]["targetGroups"][0]["targets"][0]["targetAchievedValue"], json!(7.0), "{achieved}");

    let mut tx = db.pool.begin().await.unwrap();
    sqlx::query("SELECT 1").execute(&mut *tx).await.unwrap();
    commit_change(&state, tx, "data:default").await.unwrap();
    assert_eq!(target_names(&cached).await, ["Renamed"], "the announced change dropped what was kept");
    followers.iter().for_each(|follower| follower.abort());
}

#[tokio::test]
async fn a_customer_row_naming_what_the_kept_configuration_lacks_has_it_read_again() {
    let (cached, oracle, _state, db, followers) = configuration_pair().await;
    assert_eq!(target_names(&cached).await.len(), 1);
    // A new period and the customer's target in it, announced to nobody: the kept configuration
    // does not know the period, so it is read again rather than the target left out.
    sqlx::query(
        "INSERT INTO target_periods (period_id, org_id, target_group_id, ref_code, start_date, end_date, start_time, end_time)
         VALUES (43131, 50406, 32960, 'TestPeriod2', '2024-07-01', '2024-07-31', '2024-06-30T18:30:00Z', '2024-07-31T18:29:59Z')",
    )
    .execute(&db.pool)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO user_targets (org_id, customer_id, target_rule_id, period_id, target_value, achieved_value, enrolled_on)
         VALUES (50406, 387043873, 59857, 43131, 5, 1, '2024-07-01T00:00:00Z')",
    )
    .execute(&db.pool)
    .await
    .unwrap();
    let uri = format!("{TARGET_GROUPS}&excludedEntities=2");
    let (from_cached, from_oracle) = (
        TestRequest::on(cached.clone(), Method::GET, &uri).demo().send().await,
        TestRequest::on(oracle.clone(), Method::GET, &uri).demo().send().await,
    );
    assert_eq!(from_cached.text(), from_oracle.text());
    let data = from_cached.json();
    let periods: Vec<_> =
        data["data"]["targetGroups"][0]["targets"].as_array().unwrap().iter().map(|target| target["periodId"].clone()).collect();
    assert_eq!(periods, [json!(43130), json!(43131)], "{data}");
    followers.iter().for_each(|follower| follower.abort());
}
