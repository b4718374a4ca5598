//! Target completions (`TargetCompleted` events), selected through the ledger entries that award them.

use chrono::{DateTime, Utc};
use sqlx::{FromRow, PgPool};

use crate::pagination::Window;

/// Completions of one customer whose award has a ledger entry matching every filter.
#[derive(Debug, Clone)]
pub struct CompletionQuery {
    pub org_id: i64,
    pub customer_id: i64,
    /// `CREDIT` and/or `DEBIT`.
    pub entry_types: Vec<String>,
    /// Ledger entries created in `[from, until)`.
    pub created_from: DateTime<Utc>,
    pub created_until: Option<DateTime<Utc>>,
    /// Awards in one of these alternate currencies; `None`: awards in points.
    pub alternate_currency_ids: Option<Vec<i64>>,
    pub window: Window,
}

#[derive(Debug, Clone, FromRow)]
pub struct CompletionRow {
    pub source_id: i64,
    pub parent_event_log_id: Option<i64>,
    pub period_id: Option<i64>,
    pub return_event_log_id: i64,
    pub target_achieved_event_log_id: Option<i64>,
    pub target_group_name: String,
    pub processing_time: DateTime<Utc>,
    pub target_group_description: Option<String>,
    pub event_type_id: i32,
    pub source_type: String,
    pub bill_id: Option<i64>,
    pub customer_id: i64,
    pub event_time: DateTime<Utc>,
    pub target_achieved_event_log_created_on: Option<DateTime<Utc>>,
    pub target_group_id: i64,
    pub event_log_id: i64,
    pub till_id: Option<i64>,
    pub unique_id: Option<String>,
    pub unified_targets_achieved_created_on: Option<DateTime<Utc>>,
}

/// Newest first by the completion's newest matching ledger entry, the order in which the ledger
/// listing shows the same `TargetCompleted` entries.
pub async fn completions(db: &PgPool, query: &CompletionQuery) -> sqlx::Result<Vec<CompletionRow>> {
    sqlx::query_as::<_, CompletionRow>(
        "SELECT tc.source_id, tc.parent_event_log_id, tc.period_id, tc.return_event_log_id,
                tc.target_achieved_event_log_id, g.name AS target_group_name, e.processing_time,
                g.description AS target_group_description, e.event_type_id, tc.source_type, tc.bill_id,
                tc.customer_id, e.event_time, tc.target_achieved_event_log_created_on, tc.target_group_id,
                tc.event_log_id, e.till_id, e.unique_id, tc.unified_targets_achieved_created_on
         FROM target_completions tc
         JOIN event_logs e ON e.event_log_id = tc.event_log_id AND e.org_id = tc.org_id
         JOIN target_groups g ON g.target_group_id = tc.target_group_id AND g.org_id = tc.org_id
         JOIN LATERAL (
             SELECT max(l.points_ledger_id) AS newest_entry
             FROM points_ledger_entries l
             WHERE l.org_id = tc.org_id AND l.event_log_id = tc.event_log_id AND l.customer_id = tc.customer_id
               AND l.ledger_entry_type = ANY($3)
               AND l.created_on >= $4
               AND ($5::timestamptz IS NULL OR l.created_on < $5)
               AND CASE WHEN $6::bigint[] IS NULL THEN l.alternate_currency_id IS NULL
                        ELSE l.alternate_currency_id = ANY($6) END
         ) matched ON matched.newest_entry IS NOT NULL
         WHERE tc.org_id = $1 AND tc.customer_id = $2
         ORDER BY matched.newest_entry DESC
         LIMIT $7 OFFSET $8",
    )
    .bind(query.org_id)
    .bind(query.customer_id)
    .bind(&query.entry_types)
    .bind(query.created_from)
    .bind(query.created_until)
    .bind(&query.alternate_currency_ids)
    .bind(query.window.limit)
    .bind(query.window.offset)
    .fetch_all(db)
    .await
}
