//! The points ledger as writes move it: a credit is a ledger entry and the award behind it (with
//! its expiry); a debit is a ledger entry. Balances follow from both (see [`balance`]).

use chrono::{DateTime, TimeDelta, Utc};
use serde_json::Value;
use sqlx::{FromRow, PgConnection};

use super::Amount;
use crate::model::{AwardType, TextEnum};

/// The ledger metadata of an entry with no point-in-time slab, as the universe's entries carry it.
pub const NO_SLABS_METADATA: &str = "{\"pointInTimeSlabs\": []}";

/// When credited points expire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expiry {
    /// At this instant; `expiry_type` is recorded as `rolling` or `fixed` (see [`Expiry::type_name`]).
    Rolling(DateTime<Utc>),
    Fixed(DateTime<Utc>),
    Never,
}

impl Expiry {
    /// `days` after `from` (0 days: never).
    pub fn rolling_days(from: DateTime<Utc>, days: i32) -> Expiry {
        if days <= 0 { Expiry::Never } else { Expiry::Rolling(from + TimeDelta::days(i64::from(days))) }
    }

    pub fn expires_on(self) -> Option<DateTime<Utc>> {
        match self {
            Expiry::Rolling(at) | Expiry::Fixed(at) => Some(at),
            Expiry::Never => None,
        }
    }

    pub fn type_name(self) -> Option<&'static str> {
        match self {
            Expiry::Rolling(_) => Some("rolling"),
            Expiry::Fixed(_) => Some("fixed"),
            Expiry::Never => None,
        }
    }
}

/// Points (or an alternate currency) credited to a customer by an event.
#[derive(Debug, Clone)]
pub struct Credit {
    pub org_id: i64,
    pub customer_id: i64,
    /// The event that earns (its ledger entry's event).
    pub event_log_id: i64,
    /// What the entry is about: the bill's transaction id, the triggering event of a completion,
    /// the customer for customer-level events.
    pub event_subject_id: i64,
    pub program_id: i64,
    pub points_category_id: i64,
    pub alternate_currency_id: Option<i64>,
    pub points: Amount,
    pub award_type: AwardType,
    pub promotion_id: Option<i64>,
    /// The bill's line item it was earned on (`None`: the event).
    pub line_item_id: Option<i64>,
    /// The tenant's clock: the entry's `created_on` and the award's `awarded_on`.
    pub created_on: DateTime<Utc>,
    pub expiry: Expiry,
    /// Promised points: when they convert.
    pub conversion_date: Option<DateTime<Utc>>,
    pub expiry_strategy: Option<(i64, String)>,
    pub allocation_strategy: Option<(i64, String)>,
    /// The award's order within its event.
    pub position: i32,
    /// `points_awards.extra` (sourceValue, awardActionDetails, ...); `{}` for none.
    pub extra: Value,
    /// `None`: [`NO_SLABS_METADATA`].
    pub entity_metadata: Option<String>,
}

/// What [`post_credit`] wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PostedCredit {
    pub points_ledger_id: i64,
    pub points_award_id: i64,
    pub cps_id: i64,
}

/// Writes the credit's ledger entry and its award (linked by `points_awards.points_ledger_id`).
pub async fn post_credit(tx: &mut PgConnection, credit: &Credit) -> sqlx::Result<PostedCredit> {
    let cps_id = points_summary(tx, credit.org_id, credit.customer_id, credit.program_id, credit.alternate_currency_id).await?;
    let points_ledger_id: i64 = sqlx::query_scalar(
        "INSERT INTO points_ledger_entries (org_id, event_log_id, customer_id, cps_id, ledger_entry_type, points,
                                            points_category_id, program_id, alternate_currency_id, created_on,
                                            event_subject_id, entity_metadata)
         VALUES ($1, $2, $3, $4, 'CREDIT', $5, $6, $7, $8, $9, $10, $11)
         RETURNING points_ledger_id",
    )
    .bind(credit.org_id)
    .bind(credit.event_log_id)
    .bind(credit.customer_id)
    .bind(cps_id)
    .bind(credit.points)
    .bind(credit.points_category_id)
    .bind(credit.program_id)
    .bind(credit.alternate_currency_id)
    .bind(credit.created_on)
    .bind(credit.event_subject_id)
    .bind(credit.entity_metadata.as_deref().unwrap_or(NO_SLABS_METADATA))
    .fetch_one(&mut *tx)
    .await?;
    let points_award_id: i64 = sqlx::query_scalar(
        "INSERT INTO points_awards (org_id, event_log_id, award_type, program_id, promotion_id, points_category_id,
                                    alternate_currency_id, line_item_id, value, expires_on, expiry_type, conversion_date,
                                    awarded_on, allocation_strategy_id, allocation_strategy_name, expiry_strategy_id,
                                    expiry_strategy_name, position, extra, points_ledger_id)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20)
         RETURNING points_award_id",
    )
    .bind(credit.org_id)
    .bind(credit.event_log_id)
    .bind(credit.award_type.as_str())
    .bind(credit.program_id)
    .bind(credit.promotion_id)
    .bind(credit.points_category_id)
    .bind(credit.alternate_currency_id)
    .bind(credit.line_item_id)
    .bind(credit.points)
    .bind(credit.expiry.expires_on())
    .bind(credit.expiry.type_name())
    .bind(credit.conversion_date)
    .bind(credit.created_on)
    .bind(credit.allocation_strategy.as_ref().map(|(id, _)| *id))
    .bind(credit.allocation_strategy.as_ref().map(|(_, name)| name.as_str()))
    .bind(credit.expiry_strategy.as_ref().map(|(id, _)| *id))
    .bind(credit.expiry_strategy.as_ref().map(|(_, name)| name.as_str()))
    .bind(credit.position)
    .bind(&credit.extra)
    .bind(points_ledger_id)
    .fetch_one(&mut *tx)
    .await?;
    Ok(PostedCredit { points_ledger_id, points_award_id, cps_id })
}

/// Points (or an alternate currency) taken from a customer by an event: a redemption, a return,
/// a deduction.
#[derive(Debug, Clone)]
pub struct Debit {
    pub org_id: i64,
    pub customer_id: i64,
    pub event_log_id: i64,
    pub event_subject_id: i64,
    pub program_id: i64,
    pub points_category_id: i64,
    pub alternate_currency_id: Option<i64>,
    /// Positive: the points taken.
    pub points: Amount,
    pub created_on: DateTime<Utc>,
    /// `None`: [`NO_SLABS_METADATA`].
    pub entity_metadata: Option<String>,
}

/// Writes the debit's ledger entry; returns its `points_ledger_id`.
pub async fn post_debit(tx: &mut PgConnection, debit: &Debit) -> sqlx::Result<i64> {
    let cps_id = points_summary(tx, debit.org_id, debit.customer_id, debit.program_id, debit.alternate_currency_id).await?;
    sqlx::query_scalar(
        "INSERT INTO points_ledger_entries (org_id, event_log_id, customer_id, cps_id, ledger_entry_type, points,
                                            points_category_id, program_id, alternate_currency_id, created_on,
                                            event_subject_id, entity_metadata)
         VALUES ($1, $2, $3, $4, 'DEBIT', $5, $6, $7, $8, $9, $10, $11)
         RETURNING points_ledger_id",
    )
    .bind(debit.org_id)
    .bind(debit.event_log_id)
    .bind(debit.customer_id)
    .bind(cps_id)
    .bind(debit.points)
    .bind(debit.points_category_id)
    .bind(debit.program_id)
    .bind(debit.alternate_currency_id)
    .bind(debit.created_on)
    .bind(debit.event_subject_id)
    .bind(debit.entity_metadata.as_deref().unwrap_or(NO_SLABS_METADATA))
    .fetch_one(&mut *tx)
    .await
}

/// Records that a return took `points` back from an award: its value drops and
/// `extra.returnPoints` grows (getLedgerExplodeInfo prints both).
pub async fn take_back_from_award(tx: &mut PgConnection, points_award_id: i64, points: Amount) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE points_awards
         SET value = value - $2,
             extra = extra || jsonb_build_object('returnPoints', coalesce((extra->>'returnPoints')::numeric, 0) + $2)
         WHERE points_award_id = $1",
    )
    .bind(points_award_id)
    .bind(points)
    .execute(&mut *tx)
    .await
    .map(drop)
}

/// The customer's points summary id (`cpsId`) for a program and currency: the one their ledger
/// already uses, else a new one.
pub async fn points_summary(
    tx: &mut PgConnection,
    org_id: i64,
    customer_id: i64,
    program_id: i64,
    alternate_currency_id: Option<i64>,
) -> sqlx::Result<i64> {
    let known: Option<i64> = sqlx::query_scalar(
        "SELECT cps_id FROM customer_point_summaries
         WHERE customer_id = $1 AND program_id = $2 AND coalesce(alternate_currency_id, -1) = coalesce($3, -1)",
    )
    .bind(customer_id)
    .bind(program_id)
    .bind(alternate_currency_id)
    .fetch_optional(&mut *tx)
    .await?;
    if let Some(cps_id) = known {
        return Ok(cps_id);
    }
    // An id the bundle's ledger already gives this customer's summary, so new entries continue it.
    let from_ledger: Option<i64> = sqlx::query_scalar(
        "SELECT cps_id FROM points_ledger_entries
         WHERE org_id = $1 AND customer_id = $2 AND program_id = $3 AND alternate_currency_id IS NOT DISTINCT FROM $4
         ORDER BY points_ledger_id DESC LIMIT 1",
    )
    .bind(org_id)
    .bind(customer_id)
    .bind(program_id)
    .bind(alternate_currency_id)
    .fetch_optional(&mut *tx)
    .await?;
    sqlx::query_scalar(
        "INSERT INTO customer_point_summaries (cps_id, org_id, customer_id, program_id, alternate_currency_id)
         VALUES (coalesce($1, nextval(pg_get_serial_sequence('customer_point_summaries', 'cps_id'))), $2, $3, $4, $5)
         RETURNING cps_id",
    )
    .bind(from_ledger)
    .bind(org_id)
    .bind(customer_id)
    .bind(program_id)
    .bind(alternate_currency_id)
    .fetch_one(&mut *tx)
    .await
}

/// A customer's points in one program as of an instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Balance {
    /// Points that can be redeemed now: credited, converted, not expired, not taken by a debit.
    pub available: Amount,
    /// Promised points not yet converted.
    pub promised: Amount,
    /// Credited points that expired before being used.
    pub expired: Amount,
    /// Every credit, and every debit.
    pub credited: Amount,
    pub debited: Amount,
}

#[derive(Debug, FromRow)]
struct Movement {
    points_ledger_id: i64,
    ledger_entry_type: String,
    points: Amount,
    created_on: DateTime<Utc>,
    expires_on: Option<DateTime<Utc>>,
    conversion_date: Option<DateTime<Utc>>,
    award_type: Option<String>,
}

/// The customer's balance in `program_id` (`None`: every program) and currency
/// (`alternate_currency_id` `None`: points) at `now`. Debits take the points that expire first,
/// from credits made before them; what a credit still holds after its expiry is expired.
pub async fn balance(
    tx: &mut PgConnection,
    org_id: i64,
    customer_id: i64,
    program_id: Option<i64>,
    alternate_currency_id: Option<i64>,
    now: DateTime<Utc>,
) -> sqlx::Result<Balance> {
    let movements = movements(tx, org_id, customer_id, program_id, alternate_currency_id, now).await?;
    Ok(fold_balance(&movements, now, None).0)
}

/// The customer's ledger entries in the program and currency up to `until`, in ledger order.
async fn movements(
    tx: &mut PgConnection,
    org_id: i64,
    customer_id: i64,
    program_id: Option<i64>,
    alternate_currency_id: Option<i64>,
    until: DateTime<Utc>,
) -> sqlx::Result<Vec<Movement>> {
    sqlx::query_as(
        "SELECT l.points_ledger_id, l.ledger_entry_type, l.points, l.created_on, a.expires_on, a.conversion_date, a.award_type
         FROM points_ledger_entries l
         LEFT JOIN points_awards a ON a.points_ledger_id = l.points_ledger_id
         WHERE l.org_id = $1 AND l.customer_id = $2 AND ($3::bigint IS NULL OR l.program_id = $3)
           AND l.alternate_currency_id IS NOT DISTINCT FROM $4 AND l.created_on <= $5
         ORDER BY l.created_on, l.points_ledger_id",
    )
    .bind(org_id)
    .bind(customer_id)
    .bind(program_id)
    .bind(alternate_currency_id)
    .bind(until)
    .fetch_all(&mut *tx)
    .await
}

/// Points a debit took from one credit, and when that credit expires (`None`: never).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Taken {
    pub expires_on: Option<DateTime<Utc>>,
    pub points: Amount,
}

/// What the DEBIT entry `points_ledger_id` took from the customer's credits, in the order it took
/// them (earliest expiry first), as [`balance`] replays the ledger. A reversal gives these back.
/// Points the debit took beyond what the credits held (a bundle's history) never expire.
pub async fn debit_sources(tx: &mut PgConnection, org_id: i64, points_ledger_id: i64) -> sqlx::Result<Vec<Taken>> {
    let Some((customer_id, program_id, alternate_currency_id, created_on)) = sqlx::query_as::<_, (i64, i64, Option<i64>, DateTime<Utc>)>(
        "SELECT customer_id, program_id, alternate_currency_id, created_on FROM points_ledger_entries
         WHERE org_id = $1 AND points_ledger_id = $2 AND ledger_entry_type = 'DEBIT'",
    )
    .bind(org_id)
    .bind(points_ledger_id)
    .fetch_optional(&mut *tx)
    .await?
    else {
        return Ok(Vec::new());
    };
    let movements = movements(tx, org_id, customer_id, Some(program_id), alternate_currency_id, created_on).await?;
    Ok(fold_balance(&movements, created_on, Some(points_ledger_id)).1)
}

/// Credited points still held.
struct Lot {
    expires_on: Option<DateTime<Utc>>,
    /// Promised points: when they can be used.
    converts_on: Option<DateTime<Utc>>,
    left: Amount,
}

/// The balance at `now`, and what the debit `watched` (a ledger id) took.
fn fold_balance(movements: &[Movement], now: DateTime<Utc>, watched: Option<i64>) -> (Balance, Vec<Taken>) {
    let mut taken_by_watched = Vec::new();
    let mut lots: Vec<Lot> = Vec::new();
    let mut balance = Balance::default();
    for movement in movements {
        if movement.ledger_entry_type == "CREDIT" {
            balance.credited += movement.points;
            let converts = if movement.award_type.as_deref() == Some("promised") { movement.conversion_date } else { None };
            lots.push(Lot { expires_on: movement.expires_on, converts_on: converts, left: movement.points });
            continue;
        }
        balance.debited += movement.points;
        let at = movement.created_on;
        let mut owed = movement.points;
        // Earliest expiry first; points that never expire last.
        lots.sort_by_key(|lot| lot.expires_on.unwrap_or(DateTime::<Utc>::MAX_UTC));
        for lot in lots.iter_mut() {
            let usable = lot.expires_on.is_none_or(|expiry| expiry > at) && lot.converts_on.is_none_or(|conversion| conversion <= at);
            if !usable || owed.is_zero() {
                continue;
            }
            let taken = owed.min(lot.left);
            lot.left -= taken;
            owed -= taken;
            if watched == Some(movement.points_ledger_id) && !taken.is_zero() {
                taken_by_watched.push(Taken { expires_on: lot.expires_on, points: taken });
            }
        }
        if watched == Some(movement.points_ledger_id) && !owed.is_zero() {
            taken_by_watched.push(Taken { expires_on: None, points: owed });
        }
        // A debit beyond what the credits held (a bundle's history) is taken from nothing.
    }
    for lot in lots {
        if lot.expires_on.is_some_and(|expiry| expiry <= now) {
            balance.expired += lot.left;
        } else if lot.converts_on.is_some_and(|conversion| conversion > now) {
            balance.promised += lot.left;
        } else {
            balance.available += lot.left;
        }
    }
    (balance, taken_by_watched)
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use super::*;

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text).unwrap().with_timezone(&Utc)
    }

    fn movement(kind: &str, points: &str, created: &str, expires: Option<&str>) -> Movement {
        Movement {
            points_ledger_id: 0,
            ledger_entry_type: kind.to_owned(),
            points: Amount::from_str(points).unwrap(),
            created_on: at(created),
            expires_on: expires.map(at),
            conversion_date: None,
            award_type: Some("regular".to_owned()),
        }
    }

    #[test]
    fn debits_take_the_points_that_expire_first_and_the_rest_expires() {
        let movements = [
            movement("CREDIT", "100", "2025-01-01T00:00:00Z", Some("2025-06-01T00:00:00Z")),
            movement("CREDIT", "50", "2025-02-01T00:00:00Z", Some("2026-02-01T00:00:00Z")),
            movement("DEBIT", "30", "2025-03-01T00:00:00Z", None),
        ];
        let (balance, _) = fold_balance(&movements, at("2025-07-01T00:00:00Z"), None);
        assert_eq!(balance.available, Amount::from(50));
        assert_eq!(balance.expired, Amount::from(70));
        assert_eq!(balance.credited, Amount::from(150));
        assert_eq!(balance.debited, Amount::from(30));
    }

    #[test]
    fn a_watched_debit_reports_what_it_took_earliest_expiry_first() {
        let mut movements = [
            movement("CREDIT", "100", "2025-01-01T00:00:00Z", Some("2025-06-01T00:00:00Z")),
            movement("CREDIT", "50", "2025-02-01T00:00:00Z", Some("2026-02-01T00:00:00Z")),
            movement("DEBIT", "130", "2025-03-01T00:00:00Z", None),
            movement("DEBIT", "10", "2025-03-02T00:00:00Z", None),
        ];
        movements[2].points_ledger_id = 7;
        let (_, taken) = fold_balance(&movements, at("2025-07-01T00:00:00Z"), Some(7));
        assert_eq!(
            taken,
            [
                Taken { expires_on: Some(at("2025-06-01T00:00:00Z")), points: Amount::from(100) },
                Taken { expires_on: Some(at("2026-02-01T00:00:00Z")), points: Amount::from(30) },
            ]
        );
    }
}
