//! `POST /v2/customers/bulk/manualCurrencyAllocate` (`api-docs/write/post-v2-customers-bulk-manualCurrencyAllocate.md`):
//! up to 10 manual awards, each tied to an event of the customer (`eventName` + `eventSourceId`:
//! a transaction's id, a TargetCompleted event's id, or a behavioural event's id). The award and
//! expiry strategies are the org's earning rules that carry those strategy ids in the bundle
//! (`earning_rules.allocation_strategy_id`, `expiry_strategy_id`); the award is a credit on the
//! named event, so the explode and the DAS ledger show it with that event. Items succeed or fail
//! on their own (`data[].status`), all in one transaction (a savepoint per item).

use axum::Json;
use rust_decimal::Decimal;
use serde_json::{Value, json};
use sqlx::{Connection, PgConnection};
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::{
    engine::{
        self,
        ledger::Credit,
        rules::{self, EarningRule},
    },
    http::{
        auth::Caller,
        error::{ApiError, ApiResult, ErrorCode, codes as shared},
        extract::ApiJson,
    },
    model::{AwardType, Org},
    platform::state::AppState,
    store::{self, identifiers::CustomerKey},
};

/// An item that cannot be allocated (the message says why), as the page words them.
pub const NOT_ALLOCATED: ErrorCode = ErrorCode::new(8136, axum::http::StatusCode::BAD_REQUEST, "Manual currency allocation failed");
/// `eventSourceId` names no such event of the customer.
pub const BILL_NOT_FOUND: ErrorCode = ErrorCode::new(8139, axum::http::StatusCode::BAD_REQUEST, "Bill not found");
/// More than 10 items (the request-level code of the v2 APIs).
pub const BATCH_TOO_LARGE: ErrorCode = ErrorCode::new(1060, axum::http::StatusCode::BAD_REQUEST, "Batch size limit exceeded");

pub const CODES: &[ErrorCode] = &[
    NOT_ALLOCATED,
    BILL_NOT_FOUND,
    BATCH_TOO_LARGE,
    shared::BAD_PARAMETER,
    shared::UNAUTHORIZED,
    crate::http::auth::TOKEN_EXPIRED,
    shared::UNSUPPORTED_MEDIA_TYPE,
    shared::INTERNAL,
    shared::UNAVAILABLE,
];

const MAX_ITEMS: usize = 10;
const FIELDS: &[&str] = &[
    "orgId",
    "lookupParams",
    "programId",
    "awardStrategyId",
    "expiryStrategyId",
    "sourceValue",
    "eventName",
    "eventSourceId",
    "billLineItemId",
    "promotionId",
    "currencyType",
    "alternateCurrencyIdentifier",
    "sourceValueRoundingStrategy",
    "pointsRoundingStrategy",
];

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(allocate))
}

/// Awards points (or an alternate currency) to customers by hand, each on one of their events.
#[utoipa::path(post, path = "/v2/customers/bulk/manualCurrencyAllocate", tag = "v2", request_body = Vec<Object>,
    responses((status = 200, description = "Per item: SUCCESS with the event and what it awarded, or FAILED with errors", body = Object)))]
async fn allocate(Caller { tenant, org, mut db }: Caller, body: Result<ApiJson<Value>, ApiError>) -> ApiResult<Json<Value>> {
    let ApiJson(body) = body?;
    let items = body
        .as_array()
        .filter(|items| !items.is_empty())
        .ok_or_else(|| ApiError::bad_parameter("body", "The body must be a JSON array of 1 to 10 allocations"))?;
    if items.len() > MAX_ITEMS {
        return Err(ApiError::detailed(BATCH_TOO_LARGE, format!(": at most {MAX_ITEMS} allocations, got {}", items.len())).at("body"));
    }
    let now = tenant.clock.now_for(Some(&org));
    let mut tx = db.begin().await?;
    let mut data = Vec::new();
    for item in items {
        let mut savepoint = tx.begin().await?;
        match allocate_one(&mut savepoint, &org, item, now).await {
            Ok(done) => {
                savepoint.commit().await?;
                data.push(done);
            }
            Err(error) if error.code.status.is_client_error() => {
                savepoint.rollback().await?;
                let entity = item.pointer("/lookupParams/identifierValue").cloned().unwrap_or(Value::Null);
                data.push(json!({"status": "FAILED", "entityId": entity, "errors": [{"status": false, "code": error.code.number, "message": error.message}]}));
            }
            Err(error) => return Err(error),
        }
    }
    let success = data.iter().filter(|item| item["status"] == "SUCCESS").count();
    if success > 0 {
        engine::changed(&mut tx).await?;
    }
    tx.commit().await?;
    Ok(Json(json!({"total": data.len(), "success": success, "failures": data.len() - success, "data": data, "warnings": []})))
}

fn failure(detail: impl std::fmt::Display) -> ApiError {
    ApiError::new(NOT_ALLOCATED, detail.to_string())
}

fn text(item: &Value, pointer: &str) -> Option<String> {
    item.pointer(pointer)
        .and_then(|value| value.as_str().map(str::to_owned).or_else(|| value.as_i64().map(|n| n.to_string())))
        .filter(|t| !t.trim().is_empty())
}

fn id(item: &Value, field: &str) -> ApiResult<i64> {
    text(item, &format!("/{field}"))
        .and_then(|text| text.parse().ok())
        .ok_or_else(|| ApiError::bad_parameter(field, format!("'{field}' is required and must be a whole number")))
}

async fn allocate_one(db: &mut PgConnection, org: &Org, item: &Value, now: chrono::DateTime<chrono::Utc>) -> ApiResult<Value> {
    if let Some(unknown) = item.as_object().into_iter().flat_map(|item| item.keys()).find(|key| !FIELDS.contains(&key.as_str())) {
        return Err(ApiError::bad_parameter(unknown, format!("'{unknown}' is not a field of an allocation")));
    }
    if id(item, "orgId")? != org.org_id {
        return Err(failure(format!("orgId must be the caller's org {}", org.org_id)));
    }
    let lookup = &item["lookupParams"];
    if text(lookup, "/entityType").is_some_and(|kind| !kind.eq_ignore_ascii_case("CUSTOMER")) {
        return Err(failure("entityType: only CUSTOMER is emulated"));
    }
    let (kind, value) = (text(lookup, "/identifierType").unwrap_or_default(), text(lookup, "/identifierValue").unwrap_or_default());
    let key = match kind.as_str() {
        "id" => CustomerKey::Id(value.parse().map_err(|_| failure(format!("Customer not found with id {value}")))?),
        "mobile" | "email" | "externalId" => CustomerKey::Identifier(&kind, &value),
        _ => {
            return Err(ApiError::bad_parameter(
                "lookupParams.identifierType",
                "lookupParams.identifierType must be mobile, email, id or externalId",
            ));
        }
    };
    let customer_id = store::identifiers::find_customer(&mut *db, org.org_id, key)
        .await?
        .ok_or_else(|| failure(format!("Customer not found with {kind} {value}")))?;
    engine::lock_customer(db, org.org_id, customer_id).await?;
    let program_id = id(item, "programId")?;
    if store::redemptions::regular_category(&mut *db, org.org_id, program_id).await?.is_none() {
        return Err(failure(format!("Program with id not found: {program_id}")));
    }
    let event_name = text(item, "/eventName").ok_or_else(|| ApiError::bad_parameter("eventName", "'eventName' is required"))?;
    let source = text(item, "/eventSourceId").ok_or_else(|| ApiError::bad_parameter("eventSourceId", "'eventSourceId' is required"))?;
    let event = store::allocations::source_event(&mut *db, org.org_id, customer_id, &event_name, &source)
        .await?
        .ok_or_else(|| ApiError::detailed(BILL_NOT_FOUND, format!(" with id {source}")))?;
    let event_names = store::allocations::rule_event_names(&mut *db, org.org_id).await?;
    let rules = rules::earning_rules(db, org.org_id, &event_names.iter().map(String::as_str).collect::<Vec<_>>()).await?;
    let award_strategy = id(item, "awardStrategyId")?;
    let award = find_rule(&rules, program_id, |rule| rule.allocation_strategy_id == Some(award_strategy))
        .ok_or_else(|| failure(format!("Award Strategy not found with id : {award_strategy}")))?;
    let expiry_strategy = id(item, "expiryStrategyId")?;
    let expiry = find_rule(&rules, program_id, |rule| rule.expiry_strategy_id == Some(expiry_strategy))
        .ok_or_else(|| failure(format!("Expiry strategy not found with id : {expiry_strategy}")))?;
    for (field, allowed) in [
        ("currencyType", &["REGULAR"][..]),
        ("sourceValueRoundingStrategy", &["FLOOR", "ACTUAL", "ROUND"]),
        ("pointsRoundingStrategy", &["FLOOR", "ACTUAL", "ROUND"]),
    ] {
        if let Some(given) = text(item, &format!("/{field}")).filter(|given| !allowed.contains(&given.as_str())) {
            return Err(ApiError::bad_parameter(field, format!("'{field}' must be one of {} (got '{given}')", allowed.join(", "))));
        }
    }
    for field in ["billLineItemId", "promotionId", "alternateCurrencyIdentifier"] {
        if item.get(field).is_some_and(|value| !value.is_null()) {
            return Err(ApiError::bad_parameter(field, format!("'{field}' is not emulated")));
        }
    }
    let source_value: Decimal = text(item, "/sourceValue").and_then(|text| text.parse().ok()).ok_or_else(|| {
        ApiError::bad_parameter("sourceValue", "'sourceValue' is required: an amount, or -1 for the strategy's fixed points")
    })?;
    let rounding = text(item, "/pointsRoundingStrategy").unwrap_or_else(|| "FLOOR".to_owned());
    // -1: the strategy's points as they are; else what the strategy earns on the amount.
    let raw = if source_value == Decimal::NEGATIVE_ONE {
        award.points_per_unit
    } else {
        source_value / award.unit_amount * award.points_per_unit
    };
    let points = match rounding.as_str() {
        "ROUND" => raw.round_dp_with_strategy(0, rust_decimal::RoundingStrategy::MidpointAwayFromZero),
        "ACTUAL" => raw.round_dp_with_strategy(3, rust_decimal::RoundingStrategy::MidpointAwayFromZero),
        _ => raw.floor(),
    };
    if points <= Decimal::ZERO {
        return Err(failure(format!("sourceValue {source_value} earns no points under award strategy {award_strategy}")));
    }
    engine::ledger::post_credit(
        db,
        &Credit {
            org_id: org.org_id,
            customer_id,
            event_log_id: event.event_log_id,
            event_subject_id: event.event_subject_id,
            program_id,
            points_category_id: award.points_category_id,
            alternate_currency_id: None,
            points,
            award_type: AwardType::Regular,
            promotion_id: None,
            line_item_id: None,
            created_on: now,
            expiry: expiry.expiry(now),
            conversion_date: None,
            expiry_strategy: expiry.expiry_strategy_id.zip(expiry.expiry_strategy_name.clone()),
            allocation_strategy: award.allocation_strategy_id.zip(award.allocation_strategy_name.clone()),
            position: 100,
            extra: json!({"sourceValue": source_value.to_string()}),
            entity_metadata: None,
        },
    )
    .await?;
    Ok(json!({
        "status": "SUCCESS",
        "eventLogId": event.event_log_id,
        "entityId": customer_id,
        "sideEffects": [{"entityType": "USER", "rawAwardedPoints": rust_decimal::prelude::ToPrimitive::to_f64(&points).unwrap_or(0.0), "awardedPoints": crate::endpoints::points::number(points), "type": "points"}]
    }))
}

fn find_rule(rules: &[EarningRule], program_id: i64, matches: impl Fn(&EarningRule) -> bool) -> Option<&EarningRule> {
    rules.iter().filter(|rule| rule.alternate_currency_id.is_none()).find(|rule| rule.program_id == program_id && matches(rule))
}
