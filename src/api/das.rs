//! The DAS private APIs that Neo dataflows call to page through a customer's points ledger:
//! `GET /das/getLedgerEntriesWithEventId` (snake_case parameters) lists ledger entries with their
//! events; `GET /das/getTargetCompletedExplodeLedger` (camelCase parameters) details the target
//! completions behind `TargetCompleted` entries. Both answer with a bare JSON array.
//!
//! A date range is a set of whole days in the caller org's time zone, applied to the ledger
//! entry's `createdOn` (docs/das.md says why).

use axum::{Json, Router, extract::State, routing::get};
use chrono::{DateTime, Datelike, NaiveDate, NaiveTime, TimeDelta, TimeZone, Utc};
use chrono_tz::Tz;
use serde::Serialize;
use serde_json::Number;

use crate::{
    auth::CallerOrg,
    error::{ApiError, ApiResult},
    extract::Params,
    pagination::PageCount,
    param_enum,
    repo::{
        self,
        completions::{CompletionQuery, CompletionRow},
        ledger::{LedgerEntryRow, LedgerQuery},
        orgs::Org,
    },
    state::AppState,
};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/das/getLedgerEntriesWithEventId", get(ledger_entries_with_event_id))
        .route("/das/getTargetCompletedExplodeLedger", get(target_completed_explode_ledger))
}

param_enum! {
    /// A side of the points ledger.
    pub enum LedgerEntryType { Credit => "CREDIT", Debit => "DEBIT" }
}

/// One points ledger entry with its event, as `getLedgerEntriesWithEventId` prints it.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LedgerRecord {
    pub ledger_entry_type: String,
    pub cps_id: i64,
    pub config_metadata: Option<String>,
    pub points_ledger_id: i64,
    pub created_on: i64,
    pub points_category_name: String,
    pub event_subject_id: i64,
    pub processing_time: i64,
    pub points: Number,
    pub category_type: String,
    pub event_type_id: i32,
    pub source_program_id: i64,
    pub entity_metadata: Option<String>,
    pub request_id: Option<String>,
    pub customer_id: i64,
    pub event_time: i64,
    pub event_name: String,
    pub generic_event_id: Option<String>,
    pub event_log_id: i64,
    pub till_id: Option<i64>,
    pub unique_id: Option<String>,
}

impl TryFrom<LedgerEntryRow> for LedgerRecord {
    type Error = ApiError;

    fn try_from(row: LedgerEntryRow) -> ApiResult<LedgerRecord> {
        let points = row
            .points
            .parse::<Number>()
            .map_err(|error| ApiError::internal(format!("ledger entry {} has points {:?}: {error}", row.points_ledger_id, row.points)))?;
        Ok(LedgerRecord {
            ledger_entry_type: row.ledger_entry_type,
            cps_id: row.cps_id,
            config_metadata: row.config_metadata,
            points_ledger_id: row.points_ledger_id,
            created_on: row.created_on.timestamp_millis(),
            points_category_name: row.points_category_name,
            event_subject_id: row.event_subject_id,
            processing_time: row.processing_time.timestamp_millis(),
            points,
            category_type: row.category_type,
            event_type_id: row.event_type_id,
            source_program_id: row.program_id,
            entity_metadata: row.entity_metadata,
            request_id: row.request_id,
            customer_id: row.customer_id,
            event_time: row.event_time.timestamp_millis(),
            event_name: row.event_name,
            generic_event_id: row.generic_event_id,
            event_log_id: row.event_log_id,
            till_id: row.till_id,
            unique_id: row.unique_id,
        })
    }
}

/// One target completion, as `getTargetCompletedExplodeLedger` prints it.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TargetCompletionRecord {
    pub source_id: i64,
    pub parent_event_log_id: Option<i64>,
    pub period_id: Option<i64>,
    pub return_event_log_id: i64,
    pub target_achieved_event_log_id: Option<i64>,
    pub target_group_name: String,
    pub processing_time: i64,
    pub target_group_description: Option<String>,
    pub event_type_id: i32,
    pub source_type: String,
    pub bill_id: Option<i64>,
    pub customer_id: i64,
    pub event_time: i64,
    pub target_achieved_event_log_created_on: Option<i64>,
    pub target_group_id: i64,
    pub event_log_id: i64,
    pub till_id: Option<i64>,
    pub unique_id: Option<String>,
    pub unified_targets_achieved_created_on: Option<i64>,
}

impl From<CompletionRow> for TargetCompletionRecord {
    fn from(row: CompletionRow) -> TargetCompletionRecord {
        TargetCompletionRecord {
            source_id: row.source_id,
            parent_event_log_id: row.parent_event_log_id,
            period_id: row.period_id,
            return_event_log_id: row.return_event_log_id,
            target_achieved_event_log_id: row.target_achieved_event_log_id,
            target_group_name: row.target_group_name,
            processing_time: row.processing_time.timestamp_millis(),
            target_group_description: row.target_group_description,
            event_type_id: row.event_type_id,
            source_type: row.source_type,
            bill_id: row.bill_id,
            customer_id: row.customer_id,
            event_time: row.event_time.timestamp_millis(),
            target_achieved_event_log_created_on: row.target_achieved_event_log_created_on.map(|at| at.timestamp_millis()),
            target_group_id: row.target_group_id,
            event_log_id: row.event_log_id,
            till_id: row.till_id,
            unique_id: row.unique_id,
            unified_targets_achieved_created_on: row.unified_targets_achieved_created_on.map(|at| at.timestamp_millis()),
        }
    }
}

async fn ledger_entries_with_event_id(
    State(state): State<AppState>,
    CallerOrg(org): CallerOrg,
    params: Params,
) -> ApiResult<Json<Vec<LedgerRecord>>> {
    let entry_types = entry_types(&params, "ledger_entry_types")?;
    let customer_id = params.required::<i64>("entity_id")?;
    let days = DayRange::from_params(&params, "start_date", "end_date")?;
    let ignore_dates = params.required::<bool>("is_filter_not_based_on_date")?;
    // Clients send till_ids=-1 with is_till_not_present=1; the ids are read either way so that a
    // malformed list is reported rather than silently dropped.
    let till_ids = params.required_list::<i64>("till_ids")?;
    let ignore_tills = params.required::<bool>("is_till_not_present")?;
    let window = PageCount::from_params(&params)?.window();
    ensure_customer(&state, &org, customer_id, "entity_id").await?;

    let (created_from, created_until) = if ignore_dates {
        (None, None)
    } else {
        let (from, until) = days.bounds(org.time_zone);
        (Some(from), until)
    };
    let query = LedgerQuery {
        org_id: org.org_id,
        customer_id,
        entry_types,
        created_from,
        created_until,
        till_ids: (!ignore_tills).then_some(till_ids),
        window,
    };
    let rows = repo::ledger::points_entries(&state.db, &query).await?;
    let records = rows.into_iter().map(LedgerRecord::try_from).collect::<ApiResult<Vec<_>>>()?;
    Ok(Json(records))
}

async fn target_completed_explode_ledger(
    State(state): State<AppState>,
    CallerOrg(org): CallerOrg,
    params: Params,
) -> ApiResult<Json<Vec<TargetCompletionRecord>>> {
    let entry_types = entry_types(&params, "ledgerEntryTypes")?;
    let customer_id = params.required::<i64>("userId")?;
    let days = DayRange::from_params(&params, "startDate", "endDate")?;
    let currency_names = params.list::<String>("alternateCurrencyNames")?;
    let window = PageCount::from_params(&params)?.window();
    let alternate_currency_ids = match currency_names {
        Some(names) => Some(alternate_currency_ids(&state, &org, names, "alternateCurrencyNames").await?),
        None => None,
    };
    ensure_customer(&state, &org, customer_id, "userId").await?;

    let (created_from, created_until) = days.bounds(org.time_zone);
    let query =
        CompletionQuery { org_id: org.org_id, customer_id, entry_types, created_from, created_until, alternate_currency_ids, window };
    let rows = repo::completions::completions(&state.db, &query).await?;
    Ok(Json(rows.into_iter().map(TargetCompletionRecord::from).collect()))
}

/// The entry types of a required comma-separated list, each once.
fn entry_types(params: &Params, name: &str) -> ApiResult<Vec<String>> {
    let mut types = params.required_list::<LedgerEntryType>(name)?;
    types.sort_by_key(|kind| kind.as_str());
    types.dedup();
    Ok(types.into_iter().map(|kind| kind.as_str().to_owned()).collect())
}

/// A customer of another org gets the same answer as one that does not exist, so nothing leaks.
async fn ensure_customer(state: &AppState, org: &Org, customer_id: i64, parameter: &str) -> ApiResult<()> {
    if repo::ledger::customer_exists(&state.db, org.org_id, customer_id).await? {
        return Ok(());
    }
    Err(ApiError {
        parameter: Some(parameter.to_owned()),
        ..ApiError::not_found(format!("No customer found for {parameter} {customer_id}"))
    })
}

/// The ids of the org's alternate currencies with these names; any unknown name is a bad parameter.
async fn alternate_currency_ids(state: &AppState, org: &Org, mut names: Vec<String>, parameter: &str) -> ApiResult<Vec<i64>> {
    names.dedup();
    let known = repo::ledger::alternate_currencies_named(&state.db, org.org_id, &names).await?;
    let unknown: Vec<&str> =
        names.iter().filter(|name| !known.iter().any(|currency| &currency.name == *name)).map(String::as_str).collect();
    if !unknown.is_empty() {
        return Err(ApiError::bad_parameter(
            parameter,
            format!("Parameter '{parameter}' names no alternate currency of this org: {}", unknown.join(", ")),
        ));
    }
    Ok(known.into_iter().map(|currency| currency.alternate_currency_id).collect())
}

/// An inclusive range of days from two `YYYY-MM-DD` parameters.
#[derive(Debug, Clone, Copy)]
struct DayRange {
    first: NaiveDate,
    last: NaiveDate,
}

impl DayRange {
    fn from_params(params: &Params, start: &str, end: &str) -> ApiResult<DayRange> {
        let first = day(params, start)?;
        let last = day(params, end)?;
        if first > last {
            return Err(ApiError::bad_parameter(start, format!("Parameter '{start}' ({first}) is after '{end}' ({last})")));
        }
        Ok(DayRange { first, last })
    }

    /// `[start of the first day, start of the day after the last)` in `zone`, as UTC instants.
    fn bounds(self, zone: Tz) -> (DateTime<Utc>, Option<DateTime<Utc>>) {
        (start_of_day(zone, self.first), self.last.succ_opt().map(|next| start_of_day(zone, next)))
    }
}

/// A required day; years outside 0001–9999 are refused, as `YYYY` cannot write them and the
/// database could not store every one of them.
fn day(params: &Params, name: &str) -> ApiResult<NaiveDate> {
    let day = params.required::<NaiveDate>(name)?;
    if !(1..=9999).contains(&day.year()) {
        return Err(ApiError::bad_parameter(
            name,
            format!("Parameter '{name}' must be a date in the format YYYY-MM-DD between 0001-01-01 and 9999-12-31, got '{day}'"),
        ));
    }
    Ok(day)
}

/// The first instant of `day` in `zone`: local midnight, or where a daylight-saving change skips
/// midnight, the first local minute that exists.
fn start_of_day(zone: Tz, day: NaiveDate) -> DateTime<Utc> {
    let midnight = day.and_time(NaiveTime::MIN);
    (0..=24 * 60)
        .find_map(|minute| zone.from_local_datetime(&(midnight + TimeDelta::minutes(minute))).earliest())
        .map(|start| start.with_timezone(&Utc))
        .unwrap_or_else(|| midnight.and_utc())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_day_starts_at_local_midnight() {
        let day = NaiveDate::from_ymd_opt(2025, 6, 3).unwrap();
        assert_eq!(start_of_day(chrono_tz::Asia::Kolkata, day).to_rfc3339(), "2025-06-02T18:30:00+00:00");
    }

    #[test]
    fn a_day_whose_midnight_is_skipped_starts_when_the_clock_jumps() {
        // Santiago moved its clocks from 00:00 to 01:00 on 2024-09-08.
        let day = NaiveDate::from_ymd_opt(2024, 9, 8).unwrap();
        assert_eq!(start_of_day(chrono_tz::America::Santiago, day).to_rfc3339(), "2024-09-08T04:00:00+00:00");
    }
}
