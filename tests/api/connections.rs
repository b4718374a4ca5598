//! Request connections handed back without sqlx's round trip (platform::db::reuse): a clean one is
//! the next request's, one left inside a transaction goes back to the pool, whose test rolls it
//! back, and the requests never hold the pool's last connections.

use capillary_emulator::{AppState, config::RuntimeConfig};
use sqlx::{Connection, Row};

use crate::harness::TestDb;

async fn backend(connection: &mut sqlx::PgConnection) -> i32 {
    sqlx::query("SELECT pg_backend_pid()").fetch_one(connection).await.unwrap().get(0)
}

#[tokio::test]
async fn a_clean_connection_is_the_next_requests_and_one_left_in_a_transaction_is_rolled_back_first() {
    let db = TestDb::with_fixtures().await;
    let state = AppState::new(db.pool.clone(), RuntimeConfig::default()).await.unwrap();

    let mut first = state.requests.acquire().await.unwrap();
    let reused_backend = backend(&mut first).await;
    drop(first);
    let mut second = state.requests.acquire().await.unwrap();
    assert_eq!(backend(&mut second).await, reused_backend, "handed back clean: the next request's");

    // A request stopped halfway through a write: its transaction is neither committed nor rolled back.
    let mut transaction = second.begin().await.unwrap();
    sqlx::query("UPDATE customers SET first_name = 'Halfway' WHERE customer_id = 387970841").execute(&mut *transaction).await.unwrap();
    std::mem::drop(transaction);
    drop(second);

    // It goes back to the pool, whose test sends the rollback at once; kept for the next request,
    // it would hold its transaction open until then (at least IDLE_FOR, 500 ms).
    let mut rolled_back = false;
    for _ in 0..20 {
        let open: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND state LIKE 'idle in transaction%'",
        )
        .fetch_one(&db.pool)
        .await
        .unwrap();
        if open == 0 {
            rolled_back = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert!(rolled_back, "the stopped transaction was still open after 400 ms");
    let name: String =
        sqlx::query_scalar("SELECT first_name FROM customers WHERE customer_id = 387970841").fetch_one(&db.pool).await.unwrap();
    assert_ne!(name, "Halfway", "the stopped write is not there");
    let mut third = state.requests.acquire().await.unwrap();
    assert!(!third.is_in_transaction());
    assert!(backend(&mut third).await > 0);
}

#[tokio::test]
async fn requests_holding_every_request_connection_leave_the_pool_its_headroom() {
    let db = TestDb::with_fixtures().await;
    let state = AppState::new(db.pool.clone(), RuntimeConfig::default()).await.unwrap();
    let request_connections = db.pool.options().get_max_connections() - capillary_emulator::platform::db::reuse::HEADROOM;
    let mut held = Vec::new();
    for _ in 0..request_connections {
        held.push(state.requests.acquire().await.unwrap());
    }
    // Every request connection is taken: the next request waits its turn ...
    let waiting = tokio::time::timeout(std::time::Duration::from_millis(200), state.requests.acquire()).await;
    assert!(waiting.is_err(), "a request beyond the request connections waits");
    // ... while the emulator's own work (journal, control plane, probes) still gets a connection.
    let answer: i32 = sqlx::query_scalar("SELECT 1").fetch_one(&db.pool).await.unwrap();
    assert_eq!(answer, 1);
    held.pop();
    let mut next = tokio::time::timeout(std::time::Duration::from_secs(2), state.requests.acquire()).await.unwrap().unwrap();
    assert!(backend(&mut next).await > 0);
}
