//! The points ledger: entries (credits and debits) and the awards behind them.

use std::sync::LazyLock;

use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::Value;
use sqlx::{AssertSqlSafe, FromRow, PgExecutor};

use super::customers::{CustomerPage, customer_page_sql};
use crate::{
    http::pagination::Window,
    model::{AwardType, Decimal, LedgerEntryType},
};

/// What a ledger listing selects; every filter is applied within one customer of one org.
#[derive(Debug, Clone)]
pub struct LedgerQuery {
    pub org_id: i64,
    pub customer_id: i64,
    pub entry_types: Vec<LedgerEntryType>,
    /// Entries created in `[from, until)`; `None` leaves that side open.
    pub created_from: Option<DateTime<Utc>>,
    pub created_until: Option<DateTime<Utc>>,
    /// Entries of events at these tills; `None`: any till.
    pub till_ids: Option<Vec<i64>>,
    pub window: Window,
}

/// A points ledger entry joined with its event and points category.
#[derive(Debug, Clone, FromRow)]
pub struct LedgerEntryRow {
    pub ledger_entry_type: LedgerEntryType,
    pub cps_id: i64,
    pub config_metadata: Option<String>,
    pub points_ledger_id: i64,
    pub created_on: DateTime<Utc>,
    pub points_category_name: String,
    pub event_subject_id: i64,
    pub processing_time: DateTime<Utc>,
    pub points: Decimal,
    pub category_type: String,
    pub event_type_id: i32,
    pub program_id: i64,
    pub entity_metadata: Option<String>,
    pub request_id: Option<String>,
    pub customer_id: i64,
    pub event_time: DateTime<Utc>,
    pub event_name: String,
    pub generic_event_id: Option<String>,
    pub event_log_id: i64,
    pub till_id: Option<i64>,
    pub unique_id: Option<String>,
}

/// The customer's points entries (not alternate currencies: those are another ledger), newest
/// first by ledger id, which also keeps pages stable.
static POINTS_ENTRIES: LazyLock<String> = LazyLock::new(|| {
    customer_page_sql(
        "SELECT l.ledger_entry_type, l.cps_id, l.config_metadata, l.points_ledger_id, l.created_on,
                c.name AS points_category_name, l.event_subject_id, e.processing_time,
                l.points, c.category_type, e.event_type_id, l.program_id,
                l.entity_metadata, e.request_id, l.customer_id, e.event_time, e.event_name,
                e.generic_event_id, e.event_log_id, e.till_id, e.unique_id
         FROM points_ledger_entries l
         JOIN event_logs e ON e.event_log_id = l.event_log_id AND e.org_id = l.org_id
         JOIN points_categories c ON c.points_category_id = l.points_category_id AND c.org_id = l.org_id
         WHERE l.org_id = $1 AND l.customer_id = $2
           AND l.alternate_currency_id IS NULL
           AND l.ledger_entry_type = ANY($3)
           AND ($4::timestamptz IS NULL OR l.created_on >= $4)
           AND ($5::timestamptz IS NULL OR l.created_on < $5)
           AND ($6::bigint[] IS NULL OR e.till_id = ANY($6))
         ORDER BY l.points_ledger_id DESC
         LIMIT $7 OFFSET $8",
        "page.points_ledger_id DESC",
    )
});

/// A page of the customer's points entries, and whether the org has the customer.
pub async fn points_entries(db: impl PgExecutor<'_>, query: &LedgerQuery) -> sqlx::Result<CustomerPage<LedgerEntryRow>> {
    let rows = sqlx::query(AssertSqlSafe(POINTS_ENTRIES.as_str()))
        .bind(query.org_id)
        .bind(query.customer_id)
        .bind(&query.entry_types)
        .bind(query.created_from)
        .bind(query.created_until)
        .bind(&query.till_ids)
        .bind(query.window.limit)
        .bind(query.window.offset)
        .fetch_all(db)
        .await?;
    CustomerPage::from_rows(&rows, "points_ledger_id")
}

/// Which awards in alternate currencies to report; awards in points always are.
#[derive(Debug, Clone, Default)]
pub struct CurrencyFilter {
    pub all: bool,
    pub alternate_currency_ids: Vec<i64>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct AwardRow {
    pub event_log_id: i64,
    pub award_type: AwardType,
    pub line_item_id: Option<i64>,
    pub program_id: i64,
    pub program_name: String,
    pub promotion_id: Option<i64>,
    pub promotion_name: Option<String>,
    pub promotion_start_date: Option<DateTime<Utc>>,
    pub promotion_end_date: Option<DateTime<Utc>>,
    /// The points the customer holds from this award now.
    pub value: Decimal,
    /// The points awarded: `value` plus what a return took back.
    pub awarded_value: Decimal,
    pub return_points: Option<Decimal>,
    pub expires_on: Option<DateTime<Utc>>,
    pub expiry_type: Option<String>,
    pub conversion_date: Option<DateTime<Utc>>,
    pub awarded_on: Option<DateTime<Utc>>,
    pub allocation_strategy_id: Option<i64>,
    pub allocation_strategy_name: Option<String>,
    pub expiry_strategy_id: Option<i64>,
    pub expiry_strategy_name: Option<String>,
    pub points_category_id: Option<i64>,
    pub points_category_name: Option<String>,
    pub alternate_currency_identifier: Option<String>,
    pub alternate_currency_name: Option<String>,
    pub source_value: Option<Value>,
    pub award_action_details: Option<Value>,
}
