//! `GET /v2/pointsLedger/getLedgerExplodeInfo` and `GET /v2.1/pointsLedger/getLedgerExplodeInfo`:
//! the events of a customer's (or user group's) points ledger, exploded into their details.
//! v2.1 reads connected orgs with the `DATA-SCOPE` / `DATA-SCOPE-ORG` headers and tags every
//! event with its org. `docs/explode.md` describes every parameter and choice.

mod adjustments;
mod alternate_currencies;
mod bill;
pub mod codes;
mod metadata;
mod openapi;
mod render;
mod request;
mod scope;
mod wire;

use std::collections::HashMap;

use axum::{Json, http::HeaderMap};
use chrono::{DateTime, Months, Utc};
use chrono_tz::Tz;
use sqlx::PgConnection;
use utoipa_axum::{router::OpenApiRouter, routes};

use self::{
    render::{EventData, Rendering},
    request::{CustomerIdentifier, EventSelector, ExplodeRequest, GroupIdentifier, Subject, explode_error},
    scope::DataScope,
    wire::{LedgerExplodeInfo, Warning},
};
use crate::{
    http::{
        auth::Caller,
        error::{ApiError, ApiResult},
        extract::Params,
    },
    model::{EventKind, Org},
    platform::{db::reuse::RequestConnection, state::AppState},
    store::{
        self,
        currencies::{self, NameMatch},
        customers::{CustomerKey, GroupKey, SourceFilter},
        events::{DetailsWanted, EventRow, Owners},
        ledger::CurrencyFilter,
    },
};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(explode_v2)).routes(routes!(explode_v2_1))
}

/// A customer's (or user group's) events with the points each earned or spent.
#[utoipa::path(get, path = "/v2/pointsLedger/getLedgerExplodeInfo", tag = "v2", params(openapi::ExplodeQuery),
    responses((status = 200, description = "The events, with warnings (9018) where a currency name is unknown", body = LedgerExplodeInfo)))]
async fn explode_v2(Caller { tenant, org, db }: Caller, params: Params) -> ApiResult<Json<LedgerExplodeInfo>> {
    let request = ExplodeRequest::from_params(&params)?;
    let now = tenant.clock.now_for(Some(&org));
    explode(db, &request, &[org], false, now).await.map(Json)
}

/// The v2 explode across connected orgs: `DATA-SCOPE: OTHER` reads the orgs in `DATA-SCOPE-ORG`;
/// every event carries its `orgId`.
#[utoipa::path(get, path = "/v2.1/pointsLedger/getLedgerExplodeInfo", tag = "v2", params(openapi::ExplodeQuery, openapi::DataScopeHeaders),
    responses((status = 200, description = "The events of the orgs read, each with its orgId", body = LedgerExplodeInfo)))]
async fn explode_v2_1(Caller { tenant, org, mut db }: Caller, headers: HeaderMap, params: Params) -> ApiResult<Json<LedgerExplodeInfo>> {
    let request = ExplodeRequest::from_params(&params)?;
    let scope = DataScope::from_headers(&headers)?;
    // The caller's clock: "the last year" is the caller's, whichever org's data it reads.
    let now = tenant.clock.now_for(Some(&org));
    let orgs = scope.readable_orgs(&mut db, org).await?;
    explode(db, &request, &orgs, true, now).await.map(Json)
}

/// The whole request over the orgs it may read.
async fn explode(
    mut db: RequestConnection,
    request: &ExplodeRequest,
    orgs: &[Org],
    with_org_id: bool,
    now: DateTime<Utc>,
) -> ApiResult<LedgerExplodeInfo> {
    let org_ids: Vec<i64> = orgs.iter().map(|org| org.org_id).collect();
    let owners = find_owners(&mut db, request, &org_ids).await?;
    let events = select_events(&mut db, request, &org_ids, &owners, now).await?;

    let (currencies, unknown_names) = currency_filter(&mut db, request, &org_ids).await?;
    let (data, any_alternate_currency) = load_event_data(&mut db, request, &org_ids, &events, &currencies).await?;
    // An org without any alternate currency warns 9018 on every call, as the current page's
    // GenericEvent sample shows; that one warning stands for every name asked for.
    let warnings = if any_alternate_currency { unknown_names } else { vec![Warning::of(codes::NO_ALTERNATE_CURRENCY, "")] };
    // Other requests wait for this connection: it goes back to the pool before the answer is built.
    drop(db);

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
async fn find_owners(db: &mut PgConnection, request: &ExplodeRequest, org_ids: &[i64]) -> ApiResult<Owners> {
    let filter = SourceFilter { source: request.source.as_deref(), account_id: request.account_id.as_deref() };
    let mut owners = Owners::default();
    for &org_id in org_ids {
        match &request.subject {
            Subject::Customer(identifier) => {
                let key = match identifier {
                    CustomerIdentifier::Id(id) => CustomerKey::Id(*id),
                    CustomerIdentifier::Identifier { kind, value } => CustomerKey::Identifier { kind, value },
                };
                owners.customers.extend(store::customers::reachable_customer(&mut *db, org_id, key, filter).await?);
            }
            Subject::UserGroup { identifier, primary_member_only } => {
                let key = match identifier {
                    GroupIdentifier::Id(id) => GroupKey::Id(*id),
                    GroupIdentifier::ExternalId(external_id) => GroupKey::ExternalId(external_id),
                    GroupIdentifier::PrimaryUserId(id) => GroupKey::PrimaryUserId(*id),
                };
                let group = store::customers::reachable_group(&mut *db, org_id, key, filter).await?;
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
            explode_error(codes::USER_ID_INVALID, "identifierValue", format!(" (no customer {id} in {where_}{account})"))
        }
        Subject::Customer(CustomerIdentifier::Identifier { kind, value }) => {
            explode_error(codes::CUSTOMER_NOT_FOUND, "identifierValue", format!(" (no customer with {kind} {value} in {where_}{account})"))
        }
        Subject::UserGroup { .. } => ApiError::new(
            codes::USER_GROUP_INVALID,
            format!("{} (identifierValue {})", codes::USER_GROUP_INVALID.message, request.subject.value_text()),
        )
        .at("identifierValue"),
    })
}

/// The requested events of the owners, in the order asked for, filtered to the last year when
/// asked, and cut to the page.
async fn select_events(
    db: &mut PgConnection,
    request: &ExplodeRequest,
    org_ids: &[i64],
    owners: &Owners,
    now: DateTime<Utc>,
) -> ApiResult<Vec<EventRow>> {
    let ordered: Vec<EventRow> = match &request.events {
        EventSelector::Ids(ids) => {
            let mut found: HashMap<i64, EventRow> =
                store::events::events_by_ids(db, org_ids, owners, ids).await?.into_iter().map(|row| (row.event_log_id, row)).collect();
            let missing: Vec<String> = ids.iter().filter(|id| !found.contains_key(id)).map(i64::to_string).collect();
            if !missing.is_empty() {
                return Err(explode_error(codes::EVENT_IDS_INVALID, "eventIds", format!(" [{}]", missing.join(", "))));
            }
            let foreign: Vec<String> = ids.iter().filter(|id| !found[id].owned).map(i64::to_string).collect();
            if !foreign.is_empty() {
                return Err(explode_error(codes::EVENT_DETAIL_NOT_FOUND, "eventIds", format!(" {}", foreign.join(", "))));
            }
            ids.iter().filter_map(|id| found.remove(id)).collect()
        }
        EventSelector::References { kind, references } => {
            let found = store::events::events_by_references(db, org_ids, owners, *kind, references).await?;
            let unmatched: Vec<&str> = references
                .iter()
                .filter(|reference| !found.iter().any(|row| row.event_reference_id.as_deref() == Some(reference.as_str())))
                .map(String::as_str)
                .collect();
            if !unmatched.is_empty() {
                return Err(explode_error(
                    codes::EVENT_REFERENCE_IDS_INVALID,
                    "eventReferenceIds",
                    format!(" [{}] (no {kind} of this customer has them)", unmatched.join(", ")),
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

/// Which alternate-currency awards to report, and a 9018 warning for each name no currency
/// answers to. Names are looked up only when there are some.
async fn currency_filter(db: &mut PgConnection, request: &ExplodeRequest, org_ids: &[i64]) -> ApiResult<(CurrencyFilter, Vec<Warning>)> {
    let selection = &request.currencies;
    let mut filter = CurrencyFilter { all: selection.all, alternate_currency_ids: Vec::new() };
    if selection.names.is_empty() {
        return Ok((filter, Vec::new()));
    }
    let known = currencies::named(db, org_ids, &selection.names, NameMatch::AnyCase).await?;
    filter.alternate_currency_ids = known.iter().map(|currency| currency.alternate_currency_id).collect();
    let warnings = currencies::unknown_names(&selection.names, &known, NameMatch::AnyCase)
        .into_iter()
        .map(|name| Warning::of(codes::ALTERNATE_CURRENCY_NOT_FOUND, name))
        .collect();
    Ok((filter, warnings))
}

/// The rows the page's events need, loading only what their kinds and the flags ask for, and
/// whether any of the orgs runs an alternate currency: one statement, and one more for
/// `TargetCompleted` events.
async fn load_event_data(
    db: &mut PgConnection,
    request: &ExplodeRequest,
    org_ids: &[i64],
    events: &[EventRow],
    currencies: &CurrencyFilter,
) -> ApiResult<(EventData, bool)> {
    let event_ids: Vec<i64> = events.iter().map(|event| event.event_log_id).collect();
    let has = |kind: EventKind| events.iter().any(|event| event.kind() == Some(kind));
    let blocks = request.blocks;
    let has_bills = events.iter().any(|event| event.kind().is_some_and(EventKind::has_bill));
    let wanted = DetailsWanted {
        bills: has_bills && (blocks.bill_details || blocks.points_earned_breakup || blocks.payment_modes),
        redemptions: has(EventKind::PointsRedemption) || has(EventKind::PointsRedemptionReversal),
        transfers: has(EventKind::PointsTransfer),
    };
    let details = store::events::event_details(&mut *db, org_ids, &event_ids, currencies, wanted).await?;
    let mut data = EventData::default();
    for award in details.awards.0 {
        data.awards.entry(award.event_log_id).or_default().push(award);
    }
    data.bills = details.bills.0.into_iter().map(|bill| (bill.event_log_id, bill)).collect();
    for item in details.line_items.0 {
        data.line_items.entry(item.event_log_id).or_default().push(item);
    }
    for row in details.payment_modes.0 {
        data.payment_modes.entry(row.event_log_id).or_default().push(row.mode);
    }
    for slab in details.slabs.0 {
        data.slabs.entry(slab.event_log_id).or_default().push(slab);
    }
    data.redemptions = details.redemptions.0.into_iter().map(|row| (row.event_log_id, row)).collect();
    data.transfers = details.transfers.0.into_iter().map(|row| (row.event_log_id, row)).collect();
    for row in details.program_points.0 {
        data.program_points.entry(row.event_log_id).or_default().push(row);
    }
    if has(EventKind::TargetCompleted) {
        data.completions = store::completions::completions_of_events(&mut *db, org_ids, &event_ids)
            .await?
            .into_iter()
            .map(|row| (row.event_log_id, row))
            .collect();
    }
    Ok((data, details.any_alternate_currency))
}
