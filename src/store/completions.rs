//! Target completions: a customer reaching a target, a milestone, a streak or a unified target,
//! recorded as a `TargetCompleted` event. One row type serves both the DAS listing and
//! getLedgerExplodeInfo's details.

use std::sync::LazyLock;

use chrono::{DateTime, Utc};
use sqlx::{AssertSqlSafe, FromRow, PgExecutor};

use super::customers::{CustomerPage, customer_page_sql};
use crate::{
    http::pagination::Window,
    model::{CompletionSource, Decimal, LedgerEntryType},
};

/// A completion with its event, group, rule, period and milestone.
#[derive(Debug, Clone, FromRow)]
pub struct TargetCompletion {
    pub event_log_id: i64,
    pub customer_id: i64,
    pub source_id: i64,
    pub source_type: CompletionSource,
    pub parent_event_log_id: Option<i64>,
    pub return_event_log_id: i64,
    pub target_achieved_event_log_id: Option<i64>,
    pub target_achieved_event_log_created_on: Option<DateTime<Utc>>,
    pub unified_targets_achieved_created_on: Option<DateTime<Utc>>,
    pub bill_id: Option<i64>,
    pub target_group_id: i64,
    pub target_group_name: String,
    pub target_group_description: Option<String>,
    pub target_rule_id: Option<i64>,
    pub target_rule_name: Option<String>,
    pub target_rule_description: Option<String>,
    pub period_id: Option<i64>,
    pub period_ref_code: Option<String>,
    pub milestone_name: Option<String>,
    pub target_value: Option<Decimal>,
    pub achieved_value: Option<Decimal>,
    pub trigger_value: Option<Decimal>,
    // The event.
    pub event_type_id: i32,
    pub event_time: DateTime<Utc>,
    pub processing_time: DateTime<Utc>,
    pub till_id: Option<i64>,
    pub unique_id: Option<String>,
    /// The names the event recorded at completion (`details.targetGroupName`, `targetName`,
    /// `targetDescription`); they win over the current ones where the API reports the event.
    pub recorded_target_group_name: Option<String>,
    pub recorded_target_name: Option<String>,
    pub recorded_target_description: Option<String>,
}

/// The completion columns, from [`COMPLETION_TABLES`].
const COMPLETION_COLUMNS: &str = "tc.event_log_id, tc.customer_id, tc.source_id, tc.source_type, tc.parent_event_log_id,
        tc.return_event_log_id, tc.target_achieved_event_log_id, tc.target_achieved_event_log_created_on,
        tc.unified_targets_achieved_created_on, tc.bill_id, tc.target_group_id, g.name AS target_group_name,
        g.description AS target_group_description, tc.target_rule_id, r.name AS target_rule_name,
        r.description AS target_rule_description, tc.period_id, (SELECT p.ref_code FROM target_periods p WHERE p.period_id = tc.period_id) AS period_ref_code,
        (SELECT m.name FROM milestones m WHERE m.milestone_id = tc.milestone_id) AS milestone_name,
        tc.target_value, tc.achieved_value, tc.trigger_value,
        e.event_type_id, e.event_time, e.processing_time, e.till_id, e.unique_id,
        e.details->>'targetGroupName' AS recorded_target_group_name, e.details->>'targetName' AS recorded_target_name,
        e.details->>'targetDescription' AS recorded_target_description";

/// The completions with their event, group and rule (the period's and milestone's names come by
/// lookups in the columns); each query adds its own conditions, starting with `WHERE`. Each of
/// these small tables is read by the completion's key, not hashed whole: the planner would read
/// every period on each request to join a page of a few completions.
const COMPLETION_TABLES: &str = "FROM target_completions tc
    JOIN event_logs e ON e.event_log_id = tc.event_log_id AND e.org_id = tc.org_id
    JOIN LATERAL (SELECT g.name, g.description FROM target_groups g
                  WHERE g.target_group_id = tc.target_group_id AND g.org_id = tc.org_id OFFSET 0) g ON true
    LEFT JOIN LATERAL (SELECT r.name, r.description FROM target_rules r WHERE r.target_rule_id = tc.target_rule_id OFFSET 0) r ON true";

/// Completions of one customer whose award has a ledger entry matching every filter.
#[derive(Debug, Clone)]
pub struct CompletionQuery {
    pub org_id: i64,
    pub customer_id: i64,
    pub entry_types: Vec<LedgerEntryType>,
    /// Ledger entries created in `[from, until)`.
    pub created_from: DateTime<Utc>,
    pub created_until: Option<DateTime<Utc>>,
    /// Awards in one of these alternate currencies; `None`: awards in points.
    pub alternate_currency_ids: Option<Vec<i64>>,
    pub window: Window,
}

/// Newest first by the completion's newest matching ledger entry, the order in which the ledger
/// listing shows the same `TargetCompleted` entries.
static COMPLETIONS_IN_LEDGER: LazyLock<String> = LazyLock::new(|| {
    customer_page_sql(
        &format!(
            "SELECT {COMPLETION_COLUMNS}, matched.newest_entry
             {COMPLETION_TABLES}
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
             LIMIT $7 OFFSET $8"
        ),
        "page.newest_entry DESC",
    )
});

/// A page of the customer's completions whose award has a ledger entry matching every filter, and
/// whether the org has the customer.
pub async fn completions_in_ledger(db: impl PgExecutor<'_>, query: &CompletionQuery) -> sqlx::Result<CustomerPage<TargetCompletion>> {
    let rows = sqlx::query(AssertSqlSafe(COMPLETIONS_IN_LEDGER.as_str()))
        .bind(query.org_id)
        .bind(query.customer_id)
        .bind(&query.entry_types)
        .bind(query.created_from)
        .bind(query.created_until)
        .bind(&query.alternate_currency_ids)
        .bind(query.window.limit)
        .bind(query.window.offset)
        .fetch_all(db)
        .await?;
    CustomerPage::from_rows(&rows, "event_log_id")
}

static COMPLETIONS_OF_EVENTS: LazyLock<String> =
    LazyLock::new(|| format!("SELECT {COMPLETION_COLUMNS} {COMPLETION_TABLES} WHERE tc.org_id = ANY($1) AND tc.event_log_id = ANY($2)"));

/// The completions behind these `TargetCompleted` events.
pub async fn completions_of_events(db: impl PgExecutor<'_>, org_ids: &[i64], event_log_ids: &[i64]) -> sqlx::Result<Vec<TargetCompletion>> {
    sqlx::query_as::<_, TargetCompletion>(AssertSqlSafe(COMPLETIONS_OF_EVENTS.as_str()))
        .bind(org_ids)
        .bind(event_log_ids)
        .fetch_all(db)
        .await
}
