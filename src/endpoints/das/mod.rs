//! The DAS private APIs that Neo dataflows call to page through a customer's points ledger:
//! `GET /das/getLedgerEntriesWithEventId` (snake_case parameters) lists ledger entries with their
//! events; `GET /das/getTargetCompletedExplodeLedger` (camelCase parameters) details the target
//! completions behind `TargetCompleted` entries. Both answer with a bare JSON array.
//!
//! A date range is a set of whole days in the caller org's time zone, applied to the ledger
//! entry's `createdOn` (docs/das.md says why). Every parameter is checked before any lookup, so
//! a bad request is a 400 whoever it names.

pub mod codes;
mod openapi;
mod request;
mod wire;

use axum::Json;
use sqlx::PgConnection;
use utoipa_axum::{router::OpenApiRouter, routes};

use self::{
    request::{DayRange, entry_types},
    wire::{LedgerRecord, TargetCompletionRecord},
};
use crate::{
    http::{
        auth::Caller,
        error::{ApiError, ApiResult},
        extract::Params,
        pagination::PageCount,
    },
    model::Org,
    platform::state::AppState,
    store::{
        self,
        completions::CompletionQuery,
        currencies::{self, NameMatch},
        customers::CustomerPage,
        ledger::LedgerQuery,
    },
};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(ledger_entries_with_event_id)).routes(routes!(target_completed_explode_ledger))
}

/// Ledger entries with their events (deprecated by Capillary: "a private API and has been
/// deprecated. Hence hidden."; still served in full).
#[utoipa::path(get, path = "/das/getLedgerEntriesWithEventId", tag = "DAS", params(openapi::LedgerEntriesQuery),
    responses((status = 200, description = "The page of entries, newest first", body = Vec<LedgerRecord>)))]
async fn ledger_entries_with_event_id(Caller { org, mut db, .. }: Caller, params: Params) -> ApiResult<Json<Vec<LedgerRecord>>> {
    let entry_types = entry_types(&params, "ledger_entry_types")?;
    let customer_id = params.required::<i64>("entity_id")?;
    let days = DayRange::from_params(&params, "start_date", "end_date")?;
    let ignore_dates = params.required::<bool>("is_filter_not_based_on_date")?;
    // Clients send till_ids=-1 with is_till_not_present=1; the ids are read either way so that a
    // malformed list is reported rather than silently dropped.
    let till_ids = params.required_list::<i64>("till_ids")?;
    let ignore_tills = params.required::<bool>("is_till_not_present")?;
    let window = PageCount::from_params(&params)?.window();

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
    let rows = of_existing_customer(store::ledger::points_entries(&mut *db, &query).await?, customer_id, "entity_id")?;
    Ok(Json(rows.into_iter().map(LedgerRecord::from).collect()))
}

/// The target completions behind `TargetCompleted` ledger entries.
#[utoipa::path(get, path = "/das/getTargetCompletedExplodeLedger", tag = "DAS", params(openapi::TargetCompletedQuery),
    responses((status = 200, description = "The page of completions", body = Vec<TargetCompletionRecord>)))]
async fn target_completed_explode_ledger(
    Caller { org, mut db, .. }: Caller,
    params: Params,
) -> ApiResult<Json<Vec<TargetCompletionRecord>>> {
    let entry_types = entry_types(&params, "ledgerEntryTypes")?;
    let customer_id = params.required::<i64>("userId")?;
    let days = DayRange::from_params(&params, "startDate", "endDate")?;
    let currency_names = params.list::<String>("alternateCurrencyNames")?;
    let window = PageCount::from_params(&params)?.window();

    let alternate_currency_ids = match currency_names {
        Some(names) => Some(alternate_currency_ids(&mut db, &org, names, "alternateCurrencyNames").await?),
        None => None,
    };
    let (created_from, created_until) = days.bounds(org.time_zone);
    let query =
        CompletionQuery { org_id: org.org_id, customer_id, entry_types, created_from, created_until, alternate_currency_ids, window };
    let rows = of_existing_customer(store::completions::completions_in_ledger(&mut *db, &query).await?, customer_id, "userId")?;
    Ok(Json(rows.into_iter().map(TargetCompletionRecord::from).collect()))
}

/// The customer's page, or the 404 of a customer the org does not have (the page's statement
/// tells). A customer of another org gets the same answer as one that does not exist, so nothing
/// leaks.
fn of_existing_customer<Row>(page: CustomerPage<Row>, customer_id: i64, parameter: &str) -> ApiResult<Vec<Row>> {
    if !page.rows.is_empty() || page.customer_known {
        return Ok(page.rows);
    }
    Err(ApiError::not_found(format!("No customer found for {parameter} {customer_id}")).at(parameter))
}

/// The ids of the org's alternate currencies with exactly these names (DAS matches names letter
/// for letter); any unknown name is a bad parameter.
async fn alternate_currency_ids(db: &mut PgConnection, org: &Org, mut names: Vec<String>, parameter: &str) -> ApiResult<Vec<i64>> {
    names.dedup();
    let known = currencies::named(db, &[org.org_id], &names, NameMatch::Exact).await?;
    let unknown = currencies::unknown_names(&names, &known, NameMatch::Exact);
    if !unknown.is_empty() {
        return Err(ApiError::bad_parameter(
            parameter,
            format!("Parameter '{parameter}' names no alternate currency of this org: {}", unknown.join(", ")),
        ));
    }
    Ok(known.into_iter().map(|currency| currency.alternate_currency_id).collect())
}
