//! `GET /v2/customers/{userId}/points/balance` and `/v2/customers/lookup/points/balance` (the
//! "light" balance), and the points summary `GET /v2/customers/{userId}?embed=points` embeds.
//! Both read the ledger as the engine keeps it (`engine::ledger::balance`) at the tenant's clock.

use axum::{Json, extract::Path};
use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use sqlx::PgConnection;

use super::{Writer, codes, customers::lookup};
use crate::{
    engine::{Amount, ledger, rules},
    http::{
        error::{ApiError, ApiResult},
        extract::{Params, path_param},
    },
    model::Decimal,
};

fn points(amount: Amount) -> Value {
    Value::Number(Decimal::from(amount.round_dp(3)).as_written())
}

/// The customer's points: `mainPoints` redeemable now, `promisedPoints` not yet converted.
#[utoipa::path(get, path = "/v2/customers/{userId}/points/balance", tag = "v2 writes",
    params(("userId" = i64, Path), ("programId" = Option<i64>, Query), ("entityType" = Option<String>, Query, description = "CUSTOMER"),
           ("fetchDataForAllPrograms" = Option<bool>, Query)),
    responses((status = 200, description = "The balance", body = Value)))]
pub async fn balance_by_id(writer: Writer, Path(user_id): Path<String>, params: Params) -> ApiResult<Json<Value>> {
    let Writer { org, mut db, now, .. } = writer;
    let user_id: i64 = path_param("userId", &user_id).map_err(|error| ApiError { code: codes::IDENTIFIER_VALUE_INVALID, ..error })?;
    if !crate::store::customers::exists(&mut *db, org.org_id, user_id).await? {
        return Err(ApiError::detailed(codes::CUSTOMER_NOT_FOUND, format!(" (id {user_id})")).at("userId"));
    }
    balance_answer(&mut db, org.org_id, user_id, &params, now).await.map(Json)
}

/// [`balance_by_id`] for the customer `source`, `identifierName` and `identifierValue` name.
#[utoipa::path(get, path = "/v2/customers/lookup/points/balance", tag = "v2 writes",
    params(("source" = String, Query), ("identifierName" = String, Query), ("identifierValue" = String, Query),
           ("programId" = Option<i64>, Query), ("entityType" = Option<String>, Query), ("fetchDataForAllPrograms" = Option<bool>, Query)),
    responses((status = 200, description = "The balance", body = Value)))]
pub async fn balance_by_lookup(writer: Writer, params: Params) -> ApiResult<Json<Value>> {
    let Writer { org, mut db, now, .. } = writer;
    let user_id = lookup(&mut db, org.org_id, &params).await?;
    balance_answer(&mut db, org.org_id, user_id, &params, now).await.map(Json)
}

async fn balance_answer(db: &mut PgConnection, org_id: i64, user_id: i64, params: &Params, now: DateTime<Utc>) -> ApiResult<Value> {
    if let Some(entity_type) = params.text("entityType").filter(|kind| !kind.eq_ignore_ascii_case("CUSTOMER")) {
        return Err(
            ApiError::detailed(codes::ENTITY_TYPE_INVALID, format!(": 'entityType' {entity_type}; supported: CUSTOMER")).at("entityType")
        );
    }
    let all_programs = params.flag("fetchDataForAllPrograms")?;
    let program_id = match params.optional::<i64>("programId")? {
        _ if all_programs => None,
        Some(program_id) => {
            let known: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM programs WHERE org_id = $1 AND program_id = $2)")
                .bind(org_id)
                .bind(program_id)
                .fetch_one(&mut *db)
                .await?;
            if !known {
                return Err(ApiError::detailed(codes::PROGRAM_INVALID, format!(": {program_id}")).at("programId"));
            }
            Some(program_id)
        }
        None => {
            let mut tx = sqlx::Connection::begin(&mut *db).await?;
            let program = rules::default_program(&mut tx, org_id).await?.map(|program| program.program_id);
            tx.commit().await?;
            program
        }
    };
    let balance = ledger::balance(db, org_id, user_id, program_id, None, now).await?;
    let mut answer = json!({
        "entityId": user_id,
        "entityType": "CUSTOMER",
        "totalPoints": points(balance.available + balance.promised),
        "mainPoints": points(balance.available),
        "promisedPoints": points(balance.promised),
        "promisedPointsBreakup": {"delayedAccrualPoints": points(balance.promised), "externalTriggerBasedPoints": points(Amount::ZERO)},
        "warnings": [],
    });
    if let (Some(program_id), Some(object)) = (program_id, answer.as_object_mut()) {
        object.insert("programId".to_owned(), json!(program_id));
    }
    Ok(answer)
}

/// `pointsSummary` of `embed=points`: the customer's points in every program, debits by what took them.
pub async fn points_summary(
    db: &mut PgConnection,
    org_id: i64,
    user_id: i64,
    lifetime_purchases: Decimal,
    now: DateTime<Utc>,
) -> ApiResult<Value> {
    let balance = ledger::balance(db, org_id, user_id, None, None, now).await?;
    let debits: Vec<(String, Amount)> = sqlx::query_as(
        "SELECT e.event_name, sum(l.points) FROM points_ledger_entries l JOIN event_logs e ON e.event_log_id = l.event_log_id
         WHERE l.org_id = $1 AND l.customer_id = $2 AND l.ledger_entry_type = 'DEBIT' AND l.alternate_currency_id IS NULL AND l.created_on <= $3
         GROUP BY e.event_name",
    )
    .bind(org_id)
    .bind(user_id)
    .bind(now)
    .fetch_all(&mut *db)
    .await?;
    let debited =
        |names: &[&str]| debits.iter().filter(|(name, _)| names.contains(&name.as_str())).map(|(_, points)| *points).sum::<Amount>();
    let redeemed = debited(&["PointsRedemption"]);
    let returned = debited(&["ReturnBill"]);
    let adjusted = balance.debited - redeemed - returned;
    let slab: Option<(String, i32)> = sqlx::query_as(
        "SELECT s.slab_name, s.slab_number FROM point_in_time_slabs s JOIN event_logs e ON e.event_log_id = s.event_log_id
         WHERE e.org_id = $1 AND e.customer_id = $2 ORDER BY e.event_time DESC, s.position LIMIT 1",
    )
    .bind(org_id)
    .bind(user_id)
    .fetch_optional(&mut *db)
    .await?;
    let as_double = |amount: Amount| json!(rust_decimal::prelude::ToPrimitive::to_f64(&amount).unwrap_or(0.0));
    Ok(json!({
        "adjusted": as_double(-adjusted),
        "cumulativePurchases": lifetime_purchases.as_double(),
        "currentSlab": slab.as_ref().map_or("", |(name, _)| name.as_str()),
        "expired": as_double(balance.expired),
        "lifetimePoints": as_double(balance.credited),
        "loyaltyId": user_id,
        "loyaltyPoints": as_double(balance.available),
        "nextSlab": "",
        "nextSlabDescription": "",
        "nextSlabSerialNumber": -1,
        "redeemed": as_double(redeemed),
        "returned": as_double(returned),
        "slabSNo": slab.map_or(1, |(_, number)| number),
    }))
}
