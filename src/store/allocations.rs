//! What manual currency allocation looks up: the event an award is tied to, and the event names
//! the org's earning rules name (where its strategies are).

use sqlx::{FromRow, PgExecutor};

#[derive(Debug, Clone, FromRow)]
pub struct SourceEvent {
    pub event_log_id: i64,
    /// A bill's transaction id (its event's id), else the customer.
    pub event_subject_id: i64,
}

/// The customer's event the allocation names: a TransactionAdd or TargetCompleted event by its
/// id; for a behavioural event name, its GenericEvent by id or request id.
pub async fn source_event(
    db: impl PgExecutor<'_>,
    org_id: i64,
    customer_id: i64,
    event_name: &str,
    source_id: &str,
) -> sqlx::Result<Option<SourceEvent>> {
    sqlx::query_as(
        "SELECT e.event_log_id, CASE WHEN e.event_name = 'TransactionAdd' THEN e.event_log_id ELSE e.customer_id END AS event_subject_id
         FROM event_logs e
         LEFT JOIN behavioural_events b ON b.event_log_id = e.event_log_id
         WHERE e.org_id = $1 AND e.customer_id = $2
           AND CASE WHEN $3 IN ('TransactionAdd', 'TargetCompleted') THEN e.event_name = $3 AND e.event_log_id::text = $4
                    ELSE e.event_name = 'GenericEvent' AND lower(b.event_name) = lower($3) AND (e.event_log_id::text = $4 OR e.request_id = $4) END
         LIMIT 1",
    )
    .bind(org_id)
    .bind(customer_id)
    .bind(event_name)
    .bind(source_id)
    .fetch_optional(db)
    .await
}

pub async fn rule_event_names(db: impl PgExecutor<'_>, org_id: i64) -> sqlx::Result<Vec<String>> {
    sqlx::query_scalar("SELECT DISTINCT event_name FROM earning_rules WHERE org_id = $1").bind(org_id).fetch_all(db).await
}
