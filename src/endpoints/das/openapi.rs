//! The DAS endpoints' query parameters as the OpenAPI document describes them; `request.rs` and
//! the handlers read them (the document test sends each one malformed and expects it named).

#![allow(dead_code)] // Described, never constructed: the handlers read `Params`.

use chrono::NaiveDate;
use utoipa::IntoParams;

use crate::model::LedgerEntryType;

/// `GET /das/getLedgerEntriesWithEventId` (snake_case).
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LedgerEntriesQuery {
    /// Ledger sides, comma-separated (`CREDIT,DEBIT`).
    #[param(required, style = Form, explode = false)]
    ledger_entry_types: Vec<LedgerEntryType>,
    /// The customer's user id.
    entity_id: i64,
    /// First day (in the org's time zone) of the entries' `createdOn`, `YYYY-MM-DD`.
    start_date: NaiveDate,
    /// Last day, inclusive; not before `start_date`.
    end_date: NaiveDate,
    /// `1`/`true`: ignore the dates (they are still validated).
    #[param(value_type = bool)]
    is_filter_not_based_on_date: bool,
    /// Till ids, comma-separated (`-1` with `is_till_not_present=1`).
    #[param(required, style = Form, explode = false)]
    till_ids: Vec<i64>,
    /// `1`/`true`: do not filter by till.
    is_till_not_present: bool,
    /// Page number, from 1.
    #[param(minimum = 1, default = 1)]
    page: Option<i64>,
    /// Records per page.
    #[param(minimum = 1, maximum = 100, default = 10)]
    count: Option<i64>,
}

/// `GET /das/getTargetCompletedExplodeLedger` (camelCase).
#[derive(IntoParams)]
#[into_params(parameter_in = Query, rename_all = "camelCase")]
pub struct TargetCompletedQuery {
    /// Ledger sides, comma-separated (`CREDIT,DEBIT`).
    #[param(required, style = Form, explode = false)]
    ledger_entry_types: Vec<LedgerEntryType>,
    /// The customer's user id.
    user_id: i64,
    /// First day (in the org's time zone) of the ledger entries' `createdOn`, `YYYY-MM-DD`.
    start_date: NaiveDate,
    /// Last day, inclusive; not before `startDate`.
    end_date: NaiveDate,
    /// Only completions paying these alternate currencies (exact names, comma-separated).
    #[param(style = Form, explode = false)]
    alternate_currency_names: Option<Vec<String>>,
    /// Page number, from 1.
    #[param(minimum = 1, default = 1)]
    page: Option<i64>,
    /// Records per page.
    #[param(minimum = 1, maximum = 100, default = 10)]
    count: Option<i64>,
}
