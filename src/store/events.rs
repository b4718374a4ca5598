//! Events and what getLedgerExplodeInfo reports about each kind: bills with line items, payment
//! modes and slabs, redemptions and transfers.
//!
//! Every query takes the orgs the request may read (`org_id = ANY($1)`).

use std::sync::LazyLock;

use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::Value;
use sqlx::{AssertSqlSafe, FromRow, PgExecutor, Postgres, QueryBuilder, types::Json};

use super::ledger::{AwardRow, CurrencyFilter};
use crate::model::{Decimal, EventKind, TransferSide};

/// Whose events a request may see.
#[derive(Debug, Clone, Default)]
pub struct Owners {
    /// Customers (type CUSTOMER): their own events, and transfers they gave or received.
    pub customers: Vec<i64>,
    /// User groups (type USERGROUP2): the groups' events.
    pub groups: Vec<i64>,
    /// Of the groups' events, only those their primary member made.
    pub primary_member_only: bool,
}

#[derive(Debug, Clone, FromRow)]
pub struct EventRow {
    pub event_log_id: i64,
    pub org_id: i64,
    pub customer_id: Option<i64>,
    pub event_name: String,
    pub event_time: DateTime<Utc>,
    pub till_id: Option<i64>,
    pub event_reference_id: Option<String>,
    pub unique_id: Option<String>,
    pub request_id: Option<String>,
    pub details: Value,
    /// Whether the event is one of the owners'.
    pub owned: bool,
}

impl EventRow {
    pub fn kind(&self) -> Option<EventKind> {
        EventKind::of(&self.event_name)
    }
}

/// `SELECT` of the event columns of `e`, with `owned`: whether the event is one of the owners'
/// (their own, a transfer they gave or received, or their group's).
fn select_events(owners: &Owners) -> QueryBuilder<Postgres> {
    let mut query = QueryBuilder::new(
        "SELECT e.event_log_id, e.org_id, e.customer_id, e.event_name, e.event_time, e.till_id, e.event_reference_id,
                e.unique_id, e.request_id, e.details, coalesce(e.customer_id = ANY(",
    );
    query.push_bind(&owners.customers);
    query.push(
        ") OR EXISTS (SELECT 1 FROM points_transfers t
                     WHERE t.event_log_id = e.event_log_id AND (t.from_customer_id = ANY(",
    );
    query.push_bind(&owners.customers).push(") OR t.to_customer_id = ANY(").push_bind(&owners.customers).push(")))");
    query.push(" OR (e.user_group_id = ANY(").push_bind(&owners.groups).push(") AND (NOT ").push_bind(owners.primary_member_only);
    query.push(
        " OR e.customer_id = (SELECT g.primary_customer_id FROM user_groups g WHERE g.group_id = e.user_group_id))),
         false) AS owned
         FROM event_logs e",
    );
    query
}

/// The events with these ids in the orgs, whoever they belong to (`owned` tells).
pub async fn events_by_ids(
    db: impl PgExecutor<'_>,
    org_ids: &[i64],
    owners: &Owners,
    event_log_ids: &[i64],
) -> sqlx::Result<Vec<EventRow>> {
    let mut query = select_events(owners);
    query.push(" WHERE e.org_id = ANY(").push_bind(org_ids).push(") AND e.event_log_id = ANY(").push_bind(event_log_ids);
    query.push(") ORDER BY e.event_log_id");
    query.build_query_as().fetch_all(db).await
}

/// The owners' events of this kind whose reference id is one of these.
pub async fn events_by_references(
    db: impl PgExecutor<'_>,
    org_ids: &[i64],
    owners: &Owners,
    kind: EventKind,
    references: &[String],
) -> sqlx::Result<Vec<EventRow>> {
    let mut query = select_events(owners);
    query.push(" WHERE e.org_id = ANY(").push_bind(org_ids).push(") AND e.event_name = ").push_bind(kind);
    query.push(" AND e.event_reference_id = ANY(").push_bind(references).push(") ORDER BY e.event_log_id");
    let rows: Vec<EventRow> = query.build_query_as().fetch_all(db).await?;
    Ok(rows.into_iter().filter(|row| row.owned).collect())
}

#[derive(Debug, Clone, Deserialize)]
pub struct BillRow {
    pub event_log_id: i64,
    pub bill_type: Option<String>,
    pub bill_number: String,
    pub gross_amount: Option<Decimal>,
    pub discount: Option<Decimal>,
    pub bill_amount: Option<Decimal>,
    pub note: Option<String>,
    pub source: Option<String>,
    pub bill_date: Option<DateTime<Utc>>,
    pub return_bill_id: Option<i64>,
    pub return_type: Option<String>,
    pub return_date: Option<DateTime<Utc>>,
    pub return_amount: Option<Decimal>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct LineItemRow {
    pub event_log_id: i64,
    pub line_item_id: i64,
    pub item_code: String,
    pub source: Option<String>,
    pub serial_number: Option<i32>,
    pub gross_amount: Option<Decimal>,
    pub discount: Option<Decimal>,
    pub amount: Option<Decimal>,
    pub rate: Option<Decimal>,
    pub qty: Option<Decimal>,
    pub return_amount: Option<Decimal>,
    pub return_rate: Option<Decimal>,
    pub return_qty: Option<Decimal>,
    pub return_value: Option<Decimal>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct PaymentModeRow {
    pub event_log_id: i64,
    pub mode: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct SlabRow {
    pub event_log_id: i64,
    pub slab_number: i32,
    pub slab_name: String,
    pub program_id: i64,
    pub is_default_program: bool,
}

#[derive(Debug, Clone, Deserialize)]
pub struct RedemptionRow {
    pub event_log_id: i64,
    pub points_redeemed: Decimal,
    pub redemption_purpose: Option<String>,
    pub transaction_number: Option<String>,
    pub redemption_id: Option<String>,
    pub billing_time: Option<DateTime<Utc>>,
    pub external_reference_number: Option<String>,
    pub notes: Option<String>,
    pub group_redemption: bool,
}

/// Points per program of a redemption or of one side of a transfer.
#[derive(Debug, Clone, Deserialize)]
pub struct ProgramPointsRow {
    pub event_log_id: i64,
    /// The side of a transfer; `None` for redemptions.
    pub side: Option<TransferSide>,
    pub program_id: i64,
    pub program_name: String,
    pub points: Decimal,
}

#[derive(Debug, Clone, Deserialize)]
pub struct TransferRow {
    pub event_log_id: i64,
    pub transfer_type: String,
    pub notes: Option<String>,
    pub from_customer_id: i64,
    pub from_first_name: Option<String>,
    pub from_last_name: Option<String>,
    pub to_customer_id: i64,
    pub to_first_name: Option<String>,
    pub to_last_name: Option<String>,
}

/// Which of the events' kind-specific rows a request needs (the awards it always does).
#[derive(Debug, Clone, Copy, Default)]
pub struct DetailsWanted {
    /// Bills with their line items, payment modes and point-in-time slabs.
    pub bills: bool,
    /// Redemptions (also the one a reversal reversed) with their points per program.
    pub redemptions: bool,
    /// Transfers with their points per program and side.
    pub transfers: bool,
}

/// What a page of events reports beside the events themselves, each list by event and in the
/// order it is printed.
#[derive(Debug, Clone, FromRow)]
pub struct EventDetails {
    /// Whether any of the orgs runs an alternate currency at all.
    pub any_alternate_currency: bool,
    pub awards: Json<Vec<AwardRow>>,
    pub bills: Json<Vec<BillRow>>,
    pub line_items: Json<Vec<LineItemRow>>,
    pub payment_modes: Json<Vec<PaymentModeRow>>,
    pub slabs: Json<Vec<SlabRow>>,
    /// The redemptions of PointsRedemption events, and of PointsRedemptionReversal events the
    /// redemption each reversed (keyed by the reversal's event).
    pub redemptions: Json<Vec<RedemptionRow>>,
    pub transfers: Json<Vec<TransferRow>>,
    /// Redemptions' points per program, then transfers' per side.
    pub program_points: Json<Vec<ProgramPointsRow>>,
}

/// One statement, one round trip: each list is a JSON array of rows (amounts as text, so they
/// keep their digits). A list the request does not want is not in the statement at all (an empty
/// array stands in): each list costs PostgreSQL its executor's setup even when it reads nothing.
/// The awards' names are those the award recorded (`extra.programName`, `extra.promotionName`)
/// over the current ones: they are the names at award time; their `awarded_value` is what the
/// award recorded, else its value plus what returns took back. Names come by the award's keys (a
/// lookup per award, not a hash of the whole catalogue per request: a page has a few awards).
const AWARDS: &str = "EXISTS (SELECT 1 FROM alternate_currencies WHERE org_id = ANY($1)) AS any_alternate_currency,
    (SELECT coalesce(json_agg(a ORDER BY a.event_log_id, a.position, a.points_award_id), '[]') FROM (
        SELECT a.event_log_id, a.position, a.points_award_id, a.award_type, a.line_item_id, a.program_id,
               coalesce(a.extra->>'programName', (SELECT p.name FROM programs p WHERE p.program_id = a.program_id)) AS program_name,
               a.promotion_id, coalesce(a.extra->>'promotionName', pr.name) AS promotion_name,
               pr.start_date AS promotion_start_date, pr.end_date AS promotion_end_date,
               a.value::text AS value,
               coalesce((a.extra->>'awardedValue')::numeric, a.value + coalesce((a.extra->>'returnPoints')::numeric, 0))::text AS awarded_value,
               (a.extra->>'returnPoints')::numeric::text AS return_points,
               a.expires_on, a.expiry_type, a.conversion_date, a.awarded_on,
               a.allocation_strategy_id, a.allocation_strategy_name, a.expiry_strategy_id, a.expiry_strategy_name,
               a.points_category_id,
               (SELECT pc.name FROM points_categories pc WHERE pc.points_category_id = a.points_category_id) AS points_category_name,
               ac.identifier AS alternate_currency_identifier, ac.name AS alternate_currency_name,
               a.extra->'sourceValue' AS source_value, a.extra->'awardActionDetails' AS award_action_details
        FROM points_awards a
        LEFT JOIN LATERAL (SELECT pr.name, pr.start_date, pr.end_date FROM promotions pr
                           WHERE pr.promotion_id = a.promotion_id OFFSET 0) pr ON true
        LEFT JOIN LATERAL (SELECT ac.identifier, ac.name FROM alternate_currencies ac
                           WHERE ac.alternate_currency_id = a.alternate_currency_id OFFSET 0) ac ON true
        WHERE a.org_id = ANY($1) AND a.event_log_id = ANY($2)
          AND (a.alternate_currency_id IS NULL OR $3 OR a.alternate_currency_id = ANY($4))) a) AS awards";

const BILL_LISTS: &str = "(SELECT coalesce(json_agg(b ORDER BY b.event_log_id), '[]') FROM (
        SELECT event_log_id, bill_type, bill_number, gross_amount::text AS gross_amount, discount::text AS discount,
               bill_amount::text AS bill_amount, note, source, bill_date, return_bill_id, return_type, return_date,
               return_amount::text AS return_amount
        FROM bills WHERE org_id = ANY($1) AND event_log_id = ANY($2)) b) AS bills,
    (SELECT coalesce(json_agg(i ORDER BY i.event_log_id, i.position, i.line_item_id), '[]') FROM (
        SELECT event_log_id, position, line_item_id, item_code, source, serial_number, gross_amount::text AS gross_amount,
               discount::text AS discount, amount::text AS amount, rate::text AS rate, qty::text AS qty,
               return_amount::text AS return_amount, return_rate::text AS return_rate, return_qty::text AS return_qty,
               return_value::text AS return_value
        FROM bill_line_items WHERE org_id = ANY($1) AND event_log_id = ANY($2)) i) AS line_items,
    (SELECT coalesce(json_agg(m ORDER BY m.event_log_id, m.position), '[]') FROM (
        SELECT event_log_id, position, mode FROM bill_payment_modes
        WHERE org_id = ANY($1) AND event_log_id = ANY($2)) m) AS payment_modes,
    (SELECT coalesce(json_agg(s ORDER BY s.event_log_id, s.position, s.program_id), '[]') FROM (
        SELECT event_log_id, position, slab_number, slab_name, program_id, is_default_program FROM point_in_time_slabs
        WHERE org_id = ANY($1) AND event_log_id = ANY($2)) s) AS slabs";
const NO_BILL_LISTS: &str = "'[]'::json AS bills, '[]'::json AS line_items, '[]'::json AS payment_modes, '[]'::json AS slabs";

const REDEMPTIONS: &str = "(SELECT coalesce(json_agg(r), '[]') FROM (
        SELECT event_log_id, points_redeemed::text AS points_redeemed, redemption_purpose, transaction_number,
               redemption_id, billing_time, external_reference_number, notes, group_redemption
        FROM points_redemptions WHERE org_id = ANY($1) AND event_log_id = ANY($2)
        UNION ALL
        SELECT v.event_log_id, r.points_redeemed::text, r.redemption_purpose, r.transaction_number,
               r.redemption_id, r.billing_time, r.external_reference_number, r.notes, r.group_redemption
        FROM points_redemption_reversals v JOIN points_redemptions r ON r.event_log_id = v.redemption_event_log_id
        WHERE v.org_id = ANY($1) AND v.event_log_id = ANY($2)) r) AS redemptions";
const NO_REDEMPTIONS: &str = "'[]'::json AS redemptions";

const TRANSFERS: &str = "(SELECT coalesce(json_agg(t), '[]') FROM (
        SELECT t.event_log_id, t.transfer_type, t.notes,
               t.from_customer_id, coalesce(t.from_first_name, f.first_name) AS from_first_name,
               coalesce(t.from_last_name, f.last_name) AS from_last_name,
               t.to_customer_id, coalesce(t.to_first_name, r.first_name) AS to_first_name,
               coalesce(t.to_last_name, r.last_name) AS to_last_name
        FROM points_transfers t
        JOIN customers f ON f.customer_id = t.from_customer_id
        JOIN customers r ON r.customer_id = t.to_customer_id
        WHERE t.org_id = ANY($1) AND t.event_log_id = ANY($2)) t) AS transfers";
const NO_TRANSFERS: &str = "'[]'::json AS transfers";

const REDEMPTION_PROGRAM_POINTS: &str = "SELECT r.event_log_id, NULL::text AS side, r.position, r.program_id,
               (SELECT p.name FROM programs p WHERE p.program_id = r.program_id) AS program_name, r.points::text AS points
        FROM points_redemption_programs r WHERE r.org_id = ANY($1) AND r.event_log_id = ANY($2)";
const TRANSFER_PROGRAM_POINTS: &str = "SELECT t.event_log_id, t.side, t.position, t.program_id,
               (SELECT p.name FROM programs p WHERE p.program_id = t.program_id) AS program_name, t.points::text AS points
        FROM points_transfer_programs t WHERE t.org_id = ANY($1) AND t.event_log_id = ANY($2)";

impl DetailsWanted {
    fn from_index(bits: usize) -> DetailsWanted {
        DetailsWanted { bills: bits & 1 != 0, redemptions: bits & 2 != 0, transfers: bits & 4 != 0 }
    }

    fn index(self) -> usize {
        usize::from(self.bills) | usize::from(self.redemptions) << 1 | usize::from(self.transfers) << 2
    }

    /// The statement that reads the awards and the lists wanted.
    fn statement(self) -> String {
        let program_points: Vec<&str> = [(self.redemptions, REDEMPTION_PROGRAM_POINTS), (self.transfers, TRANSFER_PROGRAM_POINTS)]
            .into_iter()
            .filter_map(|(wanted, part)| wanted.then_some(part))
            .collect();
        let program_points = if program_points.is_empty() {
            "'[]'::json AS program_points".to_owned()
        } else {
            format!(
                "(SELECT coalesce(json_agg(pp ORDER BY pp.event_log_id, pp.side NULLS FIRST, pp.position, pp.program_id), '[]') FROM (
        {}) pp) AS program_points",
                program_points.join("\n        UNION ALL\n        ")
            )
        };
        format!(
            "SELECT {AWARDS},\n    {},\n    {},\n    {},\n    {program_points}",
            if self.bills { BILL_LISTS } else { NO_BILL_LISTS },
            if self.redemptions { REDEMPTIONS } else { NO_REDEMPTIONS },
            if self.transfers { TRANSFERS } else { NO_TRANSFERS },
        )
    }
}

/// One statement per combination of lists wanted, each prepared once per connection.
static EVENT_DETAILS: LazyLock<[String; 8]> = LazyLock::new(|| std::array::from_fn(|bits| DetailsWanted::from_index(bits).statement()));

/// The events' awards (in their recorded order, alternate currencies as `currencies` says) and
/// the rows `wanted` names, in one statement.
pub async fn event_details(
    db: impl PgExecutor<'_>,
    org_ids: &[i64],
    event_log_ids: &[i64],
    currencies: &CurrencyFilter,
    wanted: DetailsWanted,
) -> sqlx::Result<EventDetails> {
    sqlx::query_as(AssertSqlSafe(EVENT_DETAILS[wanted.index()].as_str()))
        .bind(org_ids)
        .bind(event_log_ids)
        .bind(currencies.all)
        .bind(&currencies.alternate_currency_ids)
        .fetch_one(db)
        .await
}
