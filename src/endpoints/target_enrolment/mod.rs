//! `POST /v3/targetGroups/{targetGroupId}/targets/{targetId}/enroll` and `/unEnroll`: enrol
//! customers in a target's periods (milestones and streaks) and take them out again, as
//! `api-docs/write/post-v3-targetGroups-enroll.md` describes. What they write is what
//! `GET /v3/users/{userId}/targetGroups` shows.

pub mod codes;
mod request;
mod wire;

use axum::{Json, extract::Path};
use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::PgConnection;
use utoipa_axum::{router::OpenApiRouter, routes};

use self::{
    request::Enrolment,
    wire::{CustomerIdEnvelope, EnrolmentItem, TargetPath, UnEnrolmentItem},
};
use crate::{
    engine,
    http::{
        auth::Caller,
        error::{ApiError, ApiResult, codes as shared},
        extract::ApiJson,
    },
    platform::state::AppState,
    store::{
        self,
        enrolments::{EnrolmentRule, Period, PeriodEnrolment},
    },
};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(enroll)).routes(routes!(un_enroll))
}

/// Enrols (or re-enrols) customers in a target from a period on: that period and every later
/// one. All items or none.
#[utoipa::path(post, path = "/v3/targetGroups/{targetGroupId}/targets/{targetId}/enroll", tag = "v3",
    params(TargetPath), request_body = Vec<EnrolmentItem>,
    responses((status = 200, description = "The first customer's id", body = CustomerIdEnvelope)))]
async fn enroll(
    Caller { tenant, org, mut db }: Caller,
    Path((group, target)): Path<(String, String)>,
    body: Result<ApiJson<Value>, ApiError>,
) -> ApiResult<Json<CustomerIdEnvelope>> {
    let (group_id, rule_id) = target_path(&group, &target)?;
    let enrolments = request::enrolments(&json_body(body)?)?;
    let now = tenant.clock.now_for(Some(&org));
    let mut tx = db.begin().await?;
    let rule = enrolment_rule(&mut tx, org.org_id, group_id, rule_id).await?;
    let periods = store::enrolments::periods(&mut *tx, org.org_id, group_id).await?;
    lock_customers(&mut tx, org.org_id, enrolments.iter().map(|item| item.customer_id)).await?;
    for (index, enrolment) in enrolments.iter().enumerate() {
        enrol(&mut tx, org.org_id, &rule, &periods, enrolment, index, now).await?;
    }
    engine::changed(&mut tx).await?;
    tx.commit().await?;
    Ok(Json(CustomerIdEnvelope { data: enrolments[0].customer_id, errors: None, warnings: None }))
}

/// Takes customers out of a target's current and later periods; what earlier periods hold and
/// rewards already given stay. All items or none.
#[utoipa::path(post, path = "/v3/targetGroups/{targetGroupId}/targets/{targetId}/unEnroll", tag = "v3",
    params(TargetPath), request_body = Vec<UnEnrolmentItem>,
    responses((status = 200, description = "The first customer's id", body = CustomerIdEnvelope)))]
async fn un_enroll(
    Caller { tenant, org, mut db }: Caller,
    Path((group, target)): Path<(String, String)>,
    body: Result<ApiJson<Value>, ApiError>,
) -> ApiResult<Json<CustomerIdEnvelope>> {
    let (group_id, rule_id) = target_path(&group, &target)?;
    let customer_ids = request::customer_ids(&json_body(body)?)?;
    let now = tenant.clock.now_for(Some(&org));
    let mut tx = db.begin().await?;
    enrolment_rule(&mut tx, org.org_id, group_id, rule_id).await?;
    lock_customers(&mut tx, org.org_id, customer_ids.iter().copied()).await?;
    for (index, customer_id) in customer_ids.iter().enumerate() {
        if store::enrolments::un_enrol(&mut *tx, org.org_id, *customer_id, rule_id, now).await? == 0 {
            return Err(ApiError::detailed(codes::NOT_ENROLLED, format!(" (customer {customer_id})")).at(&format!("[{index}].customerId")));
        }
    }
    engine::changed(&mut tx).await?;
    tx.commit().await?;
    Ok(Json(CustomerIdEnvelope { data: customer_ids[0], errors: None, warnings: None }))
}

fn target_path(group: &str, target: &str) -> ApiResult<(i64, i64)> {
    let id = |name: &str, text: &str| {
        text.parse::<i64>().map_err(|_| {
            ApiError::new(codes::INVALID_INPUT, format!("Invalid input: '{name}' must be a whole number, got '{text}'")).at(name)
        })
    };
    Ok((id("targetGroupId", group)?, id("targetId", target)?))
}

/// The JSON body; a malformed one is this family's invalid input.
fn json_body(body: Result<ApiJson<Value>, ApiError>) -> ApiResult<Value> {
    match body {
        Ok(ApiJson(value)) => Ok(value),
        Err(error) if error.code == shared::BAD_PARAMETER => Err(ApiError { code: codes::INVALID_INPUT, ..error }.at("body")),
        Err(error) => Err(error),
    }
}

/// The active rule `rule_id` of the org's active group `group_id`.
async fn enrolment_rule(db: &mut PgConnection, org_id: i64, group_id: i64, rule_id: i64) -> ApiResult<EnrolmentRule> {
    let rule = store::enrolments::rule(db, org_id, group_id, rule_id)
        .await?
        .filter(|rule| rule.group_active)
        .ok_or_else(|| ApiError::detailed(codes::TARGET_GROUP_NOT_FOUND, format!(": {group_id}")).at("targetGroupId"))?;
    if rule.target_rule_id.is_none() || rule.rule_active != Some(true) {
        return Err(ApiError::detailed(codes::TARGET_RULE_NOT_FOUND, format!(": {rule_id} in target group {group_id}")).at("targetId"));
    }
    Ok(rule)
}

/// Locks the customers (in id order, so two requests never wait on each other) against the
/// engine's other writes; 310011 for the first id that is no customer of the org.
async fn lock_customers(db: &mut PgConnection, org_id: i64, ids: impl Iterator<Item = i64>) -> ApiResult<()> {
    let ids: Vec<i64> = ids.collect();
    let mut in_order: Vec<(usize, i64)> = ids.iter().copied().enumerate().collect();
    in_order.sort_by_key(|(_, id)| *id);
    in_order.dedup_by_key(|(_, id)| *id);
    let mut unknown = Vec::new();
    for (index, id) in in_order {
        if !engine::lock_customer(db, org_id, id).await? {
            unknown.push((index, id));
        }
    }
    match unknown.into_iter().min() {
        Some((index, id)) => {
            Err(ApiError::detailed(codes::INVALID_USER_ID, format!(": no customer {id} in the org")).at(&format!("[{index}].customerId")))
        }
        None => Ok(()),
    }
}

/// One item: the user targets of its period and every later one, and for a streak group the
/// customer's user streaks.
async fn enrol(
    db: &mut PgConnection,
    org_id: i64,
    rule: &EnrolmentRule,
    periods: &[Period],
    enrolment: &Enrolment,
    index: usize,
    now: DateTime<Utc>,
) -> ApiResult<()> {
    let field = |name: &str| format!("[{index}].{name}");
    let invalid = |name: &str, problem: &str| {
        ApiError::new(codes::INVALID_INPUT, format!("Invalid input: '{}' {problem}", field(name))).at(&field(name))
    };
    let streaks = rule.tracking_type.tracks_streaks();
    let (Some(target_rule_id), Some(target_value)) = (rule.target_rule_id, rule.target_value) else {
        return Err(ApiError::of(codes::TARGET_RULE_NOT_FOUND).at("targetId"));
    };
    if streaks && enrolment.initial_balance.is_some() {
        return Err(invalid("initialBalance", "applies to milestones only; this target group tracks streaks"));
    }
    if !streaks && enrolment.reset_streak_status {
        return Err(invalid("resetStreakStatus", "applies to streaks only; this target group tracks no streaks"));
    }
    if let Some(balance) = enrolment.initial_balance
        && balance as f64 >= target_value.as_double()
    {
        return Err(invalid("initialBalance", &format!("must be below the target's value {}", target_value.as_double())));
    }
    let first = match &enrolment.period_name {
        Some(name) => periods.iter().position(|period| &period.ref_code == name).ok_or_else(|| {
            ApiError::detailed(codes::PERIOD_NOT_FOUND, format!(": no period '{name}' in target group {}", rule.target_group_id))
                .at(&field("periodName"))
        })?,
        // A streak goes on from the period running now (or the next one).
        None if streaks => periods.iter().position(|period| period.end_time >= now).ok_or_else(|| {
            ApiError::detailed(codes::PERIOD_NOT_FOUND, format!(": target group {} has no current or later period", rule.target_group_id))
                .at(&field("periodName"))
        })?,
        None => return Err(invalid("periodName", "is required (the period's refCode) for a target without streaks")),
    };
    for (position, period) in periods[first..].iter().enumerate() {
        let period_enrolment = PeriodEnrolment {
            org_id,
            customer_id: enrolment.customer_id,
            target_rule_id,
            period_id: period.period_id,
            target_value,
            // The initial balance is the named period's; later periods start afresh.
            initial_balance: if position == 0 {
                enrolment.initial_balance.map(|balance| rust_decimal::Decimal::from(balance).into())
            } else {
                None
            },
            now,
        };
        let enrolled = store::enrolments::enrol_in_period(&mut *db, period_enrolment).await?;
        if position == 0 && !enrolled {
            return Err(ApiError::detailed(
                codes::ALREADY_ENROLLED,
                format!(" (customer {} in period '{}')", enrolment.customer_id, period.ref_code),
            )
            .at(&field("customerId")));
        }
    }
    if streaks {
        store::enrolments::start_streaks(
            db,
            org_id,
            enrolment.customer_id,
            rule.target_group_id,
            target_rule_id,
            enrolment.reset_streak_status,
        )
        .await?;
    }
    Ok(())
}
