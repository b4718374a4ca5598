//! `GET /v2/pointsLedger/getLedgerExplodeInfo` and `GET /v2.1/pointsLedger/getLedgerExplodeInfo`:
//! the events of a customer's (or user group's) points ledger, exploded into their details.
//! v2.1 reads connected orgs with the `DATA-SCOPE` / `DATA-SCOPE-ORG` headers and tags every
//! event with its org. `docs/explode.md` describes every parameter and choice.

mod request;
mod response;

use std::collections::HashMap;

use axum::{Json, Router, extract::State, http::HeaderMap, routing::get};
use chrono::{DateTime, Months, Utc};
use chrono_tz::Tz;

use self::{
    request::{CustomerIdentifier, EventSelector, ExplodeRequest, GroupIdentifier, Subject, explode_error},
    response::{EventData, LedgerExplodeInfo, Rendering, Warning},
};
use crate::{
    auth::CallerOrg,
    error::{ApiError, ApiResult, ErrorCode},
    extract::Params,
    repo::{
        self,
        events::{CurrencyFilter, EventRow, Owners},
        identifiers::{CustomerKey, GroupKey, SourceFilter},
        orgs::Org,
    },
    state::AppState,
};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/v2/pointsLedger/getLedgerExplodeInfo", get(explode_v2))
        .route("/v2.1/pointsLedger/getLedgerExplodeInfo", get(explode_v2_1))
}

async fn explode_v2(State(state): State<AppState>, CallerOrg(org): CallerOrg, params: Params) -> ApiResult<Json<LedgerExplodeInfo>> {
    let request = ExplodeRequest::from_params(&params)?;
    let now = state.clock.now_for(&org);
    explode(&state, &request, &[org], false, now).await.map(Json)
}

async fn explode_v2_1(
    State(state): State<AppState>,
    CallerOrg(org): CallerOrg,
    headers: HeaderMap,
    params: Params,
) -> ApiResult<Json<LedgerExplodeInfo>> {
    let request = ExplodeRequest::from_params(&params)?;
    let scope = DataScope::from_headers(&headers)?;
    // The caller's clock: "the last year" is the caller's, whichever org's data it reads.
    let now = state.clock.now_for(&org);
    let orgs = scope.readable_orgs(&state, org).await?;
    explode(&state, &request, &orgs, true, now).await.map(Json)
}

const DATA_SCOPE: &str = "DATA-SCOPE";
const DATA_SCOPE_ORG: &str = "DATA-SCOPE-ORG";
/// The data-scopes page spells the header with a trailing S; both are read.
const DATA_SCOPE_ORGS: &str = "DATA-SCOPE-ORGS";
/// "You can list up to two child organisations".
const MAX_SCOPE_ORGS: usize = 2;

/// The v2.1 headers: SELF (the default) reads the caller's org; OTHER the listed orgs, each of
/// which must be the caller's own or connected to it.
#[derive(Debug, Clone, PartialEq, Eq)]
enum DataScope {
    SelfOrg { listed: Vec<i64> },
    Other { listed: Vec<i64> },
}

fn scope_error(detail: String) -> ApiError {
    explode_error(ErrorCode::ExplodeConnectedOrgsNotSet, DATA_SCOPE_ORG, format!(" ({detail})"))
}

impl DataScope {
    fn from_headers(headers: &HeaderMap) -> ApiResult<DataScope> {
        let text = |name: &str| -> ApiResult<Option<String>> {
            match headers.get(name) {
                None => Ok(None),
                Some(value) => {
                    let value = value.to_str().map_err(|_| scope_error(format!("{name} must be plain text")))?.trim();
                    Ok((!value.is_empty()).then(|| value.to_owned()))
                }
            }
        };
        let listed = match text(DATA_SCOPE_ORG)?.or(text(DATA_SCOPE_ORGS)?) {
            None => Vec::new(),
            Some(list) => {
                let mut ids = Vec::new();
                for item in list.split(',').map(str::trim) {
                    let id = item.parse::<i64>().map_err(|_| scope_error(format!("{DATA_SCOPE_ORG} must list org ids, got '{list}'")))?;
                    if !ids.contains(&id) {
                        ids.push(id);
                    }
                }
                ids
            }
        };
        match text(DATA_SCOPE)?.map(|scope| scope.to_ascii_uppercase()).as_deref() {
            None | Some("SELF") => Ok(DataScope::SelfOrg { listed }),
            Some("OTHER") => Ok(DataScope::Other { listed }),
            Some(_) => Err(scope_error(format!("{DATA_SCOPE} must be SELF or OTHER, got '{}'", text(DATA_SCOPE)?.unwrap_or_default()))),
        }
    }

    async fn readable_orgs(&self, state: &AppState, caller: Org) -> ApiResult<Vec<Org>> {
        match self {
            DataScope::SelfOrg { listed } => match listed.iter().find(|id| **id != caller.org_id) {
                Some(other) => Err(scope_error(format!(
                    "{DATA_SCOPE}: SELF reads only org {}; send {DATA_SCOPE}: OTHER to read org {other}",
                    caller.org_id
                ))),
                None => Ok(vec![caller]),
            },
            DataScope::Other { listed } if listed.is_empty() => {
                Err(scope_error(format!("{DATA_SCOPE}: OTHER needs the org ids in {DATA_SCOPE_ORG}")))
            }
            DataScope::Other { listed } if listed.len() > MAX_SCOPE_ORGS => {
                Err(scope_error(format!("{DATA_SCOPE_ORG} lists {} orgs; at most {MAX_SCOPE_ORGS} are allowed", listed.len())))
            }
            DataScope::Other { listed } => {
                let mut orgs = Vec::with_capacity(listed.len());
                for &org_id in listed {
                    if org_id == caller.org_id {
                        orgs.push(caller.clone());
                        continue;
                    }
                    let connected = repo::data_scopes::is_connected(&state.db, caller.org_id, org_id).await?;
                    let org = if connected { repo::orgs::find_org(&state.db, org_id).await? } else { None };
                    match org {
                        Some(org) => orgs.push(org),
                        None => return Err(scope_error(format!("org {org_id} is not connected to org {}", caller.org_id))),
                    }
                }
                Ok(orgs)
            }
        }
    }
}

/// The whole request over the orgs it may read.
async fn explode(
    state: &AppState,
    request: &ExplodeRequest,
    orgs: &[Org],
    with_org_id: bool,
    now: DateTime<Utc>,
) -> ApiResult<LedgerExplodeInfo> {
    let org_ids: Vec<i64> = orgs.iter().map(|org| org.org_id).collect();
    let owners = find_owners(state, request, &org_ids).await?;
    let events = select_events(state, request, &org_ids, &owners, now).await?;

    let mut warnings = Vec::new();
    let currencies = currency_filter(state, request, &org_ids, &mut warnings).await?;
    let data = load_event_data(state, request, &org_ids, &events, &currencies).await?;

    let zones: HashMap<i64, Tz> = orgs.iter().map(|org| (org.org_id, org.time_zone)).collect();
    let events = events
        .iter()
        .map(|event| {
            let zone = zones.get(&event.org_id).copied().unwrap_or(Tz::UTC);
            Rendering { blocks: request.blocks, zone, with_org_id, data: &data }.event(event)
        })
        .collect();
    Ok(LedgerExplodeInfo { events, warnings })
}

/// The customer or group the identifier names, in every org that has one.
async fn find_owners(state: &AppState, request: &ExplodeRequest, org_ids: &[i64]) -> ApiResult<Owners> {
    let filter = SourceFilter { source: request.source.as_deref(), account_id: request.account_id.as_deref() };
    let mut owners = Owners::default();
    for &org_id in org_ids {
        match &request.subject {
            Subject::Customer(identifier) => {
                let key = match identifier {
                    CustomerIdentifier::Id(id) => CustomerKey::Id(*id),
                    CustomerIdentifier::Identifier { kind, value } => CustomerKey::Identifier { kind, value },
                };
                owners.customers.extend(repo::identifiers::find_customer(&state.db, org_id, key, filter).await?);
            }
            Subject::UserGroup { identifier, primary_member_only } => {
                let key = match identifier {
                    GroupIdentifier::Id(id) => GroupKey::Id(*id),
                    GroupIdentifier::ExternalId(external_id) => GroupKey::ExternalId(external_id),
                    GroupIdentifier::PrimaryUserId(id) => GroupKey::PrimaryUserId(*id),
                };
                let group = repo::identifiers::find_group(&state.db, org_id, key, filter).await?;
                owners.groups.extend(group.map(|group| group.group_id));
                owners.primary_member_only = *primary_member_only;
            }
        }
    }
    if !owners.customers.is_empty() || !owners.groups.is_empty() {
        return Ok(owners);
    }
    let where_ = match &request.source {
        Some(source) => format!("source {source}"),
        None => "any source".to_owned(),
    };
    let account = request.account_id.as_deref().map(|account| format!(", account {account}")).unwrap_or_default();
    Err(match &request.subject {
        Subject::Customer(CustomerIdentifier::Id(id)) => {
            explode_error(ErrorCode::ExplodeUserIdInvalid, "identifierValue", format!(" (no customer {id} in {where_}{account})"))
        }
        Subject::Customer(CustomerIdentifier::Identifier { kind, value }) => explode_error(
            ErrorCode::ExplodeCustomerNotFound,
            "identifierValue",
            format!(" (no customer with {kind} {value} in {where_}{account})"),
        ),
        Subject::UserGroup { .. } => ApiError {
            parameter: Some("identifierValue".to_owned()),
            ..ApiError::new(
                ErrorCode::ExplodeUserGroupInvalid,
                format!("group id/externalId/primary userId {} passed is not valid", request.subject.value_text()),
            )
        },
    })
}

/// The requested events of the owners, in the order asked for, filtered to the last year when
/// asked, and cut to the page.
async fn select_events(
    state: &AppState,
    request: &ExplodeRequest,
    org_ids: &[i64],
    owners: &Owners,
    now: DateTime<Utc>,
) -> ApiResult<Vec<EventRow>> {
    let ordered: Vec<EventRow> = match &request.events {
        EventSelector::Ids(ids) => {
            let mut found: HashMap<i64, EventRow> = repo::events::events_by_ids(&state.db, org_ids, owners, ids)
                .await?
                .into_iter()
                .map(|row| (row.event_log_id, row))
                .collect();
            let missing: Vec<String> = ids.iter().filter(|id| !found.contains_key(id)).map(i64::to_string).collect();
            if !missing.is_empty() {
                return Err(explode_error(ErrorCode::ExplodeEventIdsInvalid, "eventIds", format!("[{}]", missing.join(", "))));
            }
            let foreign: Vec<String> = ids.iter().filter(|id| !found[id].owned).map(i64::to_string).collect();
            if !foreign.is_empty() {
                return Err(explode_error(ErrorCode::ExplodeEventDetailNotFound, "eventIds", format!(" {}", foreign.join(", "))));
            }
            ids.iter().filter_map(|id| found.remove(id)).collect()
        }
        EventSelector::References { event_name, references } => {
            let found = repo::events::events_by_references(&state.db, org_ids, owners, event_name, references).await?;
            let unmatched: Vec<&str> = references
                .iter()
                .filter(|reference| !found.iter().any(|row| row.event_reference_id.as_deref() == Some(reference.as_str())))
                .map(String::as_str)
                .collect();
            if !unmatched.is_empty() {
                return Err(explode_error(
                    ErrorCode::ExplodeEventReferenceIdsInvalid,
                    "eventReferenceIds",
                    format!("[{}] (no {event_name} of this customer has them)", unmatched.join(", ")),
                ));
            }
            references
                .iter()
                .flat_map(|reference| found.iter().filter(move |row| row.event_reference_id.as_deref() == Some(reference.as_str())))
                .cloned()
                .collect()
        }
    };
    let since = request.last_year_only.then(|| now.checked_sub_months(Months::new(12))).flatten();
    Ok(ordered
        .into_iter()
        .filter(|event| since.is_none_or(|since| event.event_time >= since))
        .skip(usize::try_from(request.page.offset).unwrap_or(usize::MAX))
        .take(usize::try_from(request.page.limit).unwrap_or(0))
        .collect())
}

/// Which alternate-currency awards to report; unknown names are 9018 warnings.
async fn currency_filter(
    state: &AppState,
    request: &ExplodeRequest,
    org_ids: &[i64],
    warnings: &mut Vec<Warning>,
) -> ApiResult<CurrencyFilter> {
    let selection = &request.currencies;
    let mut filter = CurrencyFilter { all: selection.all, alternate_currency_ids: Vec::new() };
    if selection.names.is_empty() {
        return Ok(filter);
    }
    let known = repo::events::alternate_currencies_named(&state.db, org_ids, &selection.names).await?;
    filter.alternate_currency_ids = known.iter().map(|(id, _)| *id).collect();
    let unknown: Vec<&str> = selection
        .names
        .iter()
        .filter(|name| !known.iter().any(|(_, known)| known.eq_ignore_ascii_case(name)))
        .map(String::as_str)
        .collect();
    if !unknown.is_empty() {
        let code = ErrorCode::ExplodeAlternateCurrencyNotFound;
        warnings.push(Warning {
            status: false,
            code: code.number(),
            message: format!("{}[{}]", code.default_message(), unknown.join(", ")),
        });
    }
    Ok(filter)
}

/// The rows the page's events need, loading only what their kinds and the flags ask for.
async fn load_event_data(
    state: &AppState,
    request: &ExplodeRequest,
    org_ids: &[i64],
    events: &[EventRow],
    currencies: &CurrencyFilter,
) -> ApiResult<EventData> {
    let db = &state.db;
    let mut data = EventData::default();
    if events.is_empty() {
        return Ok(data);
    }
    let event_ids: Vec<i64> = events.iter().map(|event| event.event_log_id).collect();
    let event_ids = event_ids.as_slice();
    let has = |name: &str| events.iter().any(|event| event.event_name == name);
    for award in repo::events::awards(db, org_ids, event_ids, currencies).await? {
        data.awards.entry(award.event_log_id).or_default().push(award);
    }
    let blocks = request.blocks;
    if (has("TransactionAdd") || has("ReturnBill")) && (blocks.bill_details || blocks.payment_modes) {
        data.bills = repo::events::bills(db, org_ids, event_ids).await?.into_iter().map(|bill| (bill.event_log_id, bill)).collect();
        for item in repo::events::line_items(db, org_ids, event_ids).await? {
            data.line_items.entry(item.event_log_id).or_default().push(item);
        }
        for (event_log_id, mode) in repo::events::payment_modes(db, org_ids, event_ids).await? {
            data.payment_modes.entry(event_log_id).or_default().push(mode);
        }
        for slab in repo::events::point_in_time_slabs(db, org_ids, event_ids).await? {
            data.slabs.entry(slab.event_log_id).or_default().push(slab);
        }
    }
    if has("TargetCompleted") {
        data.completions =
            repo::events::target_completions(db, org_ids, event_ids).await?.into_iter().map(|row| (row.event_log_id, row)).collect();
    }
    if has("PointsRedemption") {
        data.redemptions =
            repo::events::redemptions(db, org_ids, event_ids).await?.into_iter().map(|row| (row.event_log_id, row)).collect();
        for row in repo::events::redemption_programs(db, org_ids, event_ids).await? {
            data.program_points.entry(row.event_log_id).or_default().push(row);
        }
    }
    if has("PointsTransfer") {
        data.transfers = repo::events::transfers(db, org_ids, event_ids).await?.into_iter().map(|row| (row.event_log_id, row)).collect();
        for row in repo::events::transfer_programs(db, org_ids, event_ids).await? {
            data.program_points.entry(row.event_log_id).or_default().push(row);
        }
    }
    Ok(data)
}
