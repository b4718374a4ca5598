//! Goodwill points through the v1.1 request framework (`api-docs/write/post-goodwill-points-requests.md`):
//! `POST /v1.1/request/add` files a GOODWILL / POINTS request (PENDING, or approved at once with
//! `client_auto_approve=true`); `POST /v1.1/request/approve` approves it, and only then are the
//! points allocated: an AllocateGoodwillPoints event with its credit in the org's default program.

use axum::{
    Json,
    response::{IntoResponse, Response},
};
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use rust_decimal::Decimal;
use serde_json::{Value, json};
use sqlx::PgConnection;

use super::{ItemFailure, Outcome, codes, customer, failed, points_of};
use crate::{
    engine::{
        self,
        events::NewEvent,
        ledger::{Credit, Expiry},
        rules,
    },
    http::{
        auth::Caller,
        error::{ApiError, ApiResult},
        extract::{ApiJson, Params},
    },
    model::{AwardType, Org, time},
    store::{self, goodwill::GoodwillRequest},
};

/// Days goodwill points stay redeemable (the pages do not say; a year, like the demo org's rules).
const GOODWILL_EXPIRY_DAYS: i32 = 365;

/// The one `root.request[]` item of a body, with only `fields`.
fn only_item<'a>(body: &'a Value, fields: &[&str]) -> ApiResult<&'a Value> {
    let items = body["root"]["request"]
        .as_array()
        .ok_or_else(|| ApiError::bad_parameter("root.request", "The body must be {\"root\":{\"request\":[{…}]}}"))?;
    let [item] = items.as_slice() else {
        return Err(ApiError::bad_parameter("root.request", "root.request must hold exactly one request"));
    };
    if let Some(unknown) = item.as_object().into_iter().flat_map(|item| item.keys()).find(|key| !fields.contains(&key.as_str())) {
        return Err(ApiError::bad_parameter(
            &format!("root.request[0].{unknown}"),
            format!("'{unknown}' is not a field of a goodwill request"),
        ));
    }
    Ok(item)
}

fn text(item: &Value, name: &str) -> Option<String> {
    item.get(name)
        .and_then(|value| value.as_str().map(str::to_owned).or_else(|| value.as_i64().map(|n| n.to_string())))
        .filter(|t| !t.trim().is_empty())
}

/// GOODWILL / POINTS only (coupons, identifier changes and retro transactions are not emulated).
fn goodwill_points(item: &Value) -> Result<(), ItemFailure> {
    match text(item, "type").as_deref() {
        Some(kind) if kind.eq_ignore_ascii_case("GOODWILL") => {}
        other => {
            return Err(ItemFailure::detailed(codes::INVALID_REQUEST_TYPE, format!("'{}' (GOODWILL only)", other.unwrap_or_default())));
        }
    }
    match text(item, "base_type").as_deref() {
        Some(kind) if kind.eq_ignore_ascii_case("POINTS") => Ok(()),
        other => Err(ItemFailure::detailed(codes::INVALID_BASE_TYPE, format!("'{}' (POINTS only)", other.unwrap_or_default()))),
    }
}

/// Allocates an approved request's points: the event, its credit, the request's new state.
async fn allocate(
    db: &mut PgConnection,
    org: &Org,
    request: &GoodwillRequest,
    points: Decimal,
    updated_comments: Option<&str>,
    now: DateTime<Utc>,
) -> Result<GoodwillRequest, Outcome> {
    engine::lock_customer(db, org.org_id, request.customer_id).await?;
    let program = rules::default_program(db, org.org_id).await?.ok_or_else(|| ItemFailure::new(codes::INVALID_PROGRAM))?;
    let event_log_id = engine::events::record_event(
        db,
        &NewEvent {
            org_id: org.org_id,
            customer_id: request.customer_id,
            event_name: "AllocateGoodwillPoints".to_owned(),
            event_time: now,
            processing_time: now,
            till_id: None,
            event_reference_id: Some("-1".to_owned()),
            unique_id: None,
            request_id: Some(request.request_id.to_string()),
            generic_event_id: None,
            details: json!({"reason": request.reason, "comments": request.comments, "assocId": 0}),
        },
    )
    .await?;
    engine::ledger::post_credit(
        db,
        &Credit {
            org_id: org.org_id,
            customer_id: request.customer_id,
            event_log_id,
            event_subject_id: request.customer_id,
            program_id: program.program_id,
            points_category_id: program.points_category_id,
            alternate_currency_id: None,
            points,
            award_type: AwardType::Regular,
            promotion_id: None,
            line_item_id: None,
            created_on: now,
            expiry: Expiry::rolling_days(now, GOODWILL_EXPIRY_DAYS),
            conversion_date: None,
            expiry_strategy: None,
            allocation_strategy: None,
            position: 0,
            extra: json!({}),
            entity_metadata: None,
        },
    )
    .await?;
    Ok(store::goodwill::approve(db, request.request_id, points, updated_comments, event_log_id, now).await?)
}

async fn customer_of(db: &mut PgConnection, org_id: i64, customer_id: i64) -> sqlx::Result<Value> {
    let profile = store::customers::profile(&mut *db, org_id, customer_id).await?;
    let ids = store::redemptions::identifiers(db, org_id, customer_id).await?;
    let (first, last) = profile.map(|p| (p.first_name.unwrap_or_default(), p.last_name.unwrap_or_default())).unwrap_or_default();
    Ok(
        json!({"firstname": first, "lastname": last, "email": ids.email, "mobile": ids.mobile, "external_id": ids.external_id, "id": customer_id}),
    )
}

fn request_item(request: &GoodwillRequest, customer: Value, zone: Tz) -> Value {
    json!({
        "reference_id": null,
        "id": request.request_id.to_string(),
        "status": request.status,
        "requested_on": time::plain_seconds(request.requested_on, zone),
        "type": "GOODWILL",
        "base_type": "POINTS",
        "customer": customer,
        "old_value": "", "new_value": "", "old_type": "", "new_type": "",
        "misc_info": null,
        "transaction_id": "0",
        "reason": request.reason,
        "comments": request.comments,
        "item_status": {"success": true, "code": codes::GOODWILL_ADDED.0, "message": codes::GOODWILL_ADDED.1}
    })
}

/// Files a goodwill points request; `client_auto_approve=true` approves it at once.
#[utoipa::path(post, path = "/v1.1/request/add", tag = "v1.1",
    params(("client_auto_approve" = Option<bool>, Query, description = "Approve at once (allocating the points)"),
        ("format" = Option<String>, Query, description = "json")),
    request_body = Object,
    responses((status = 200, description = "Filed", body = Object), (status = 400, description = "Not filed: the item status says why", body = Object)))]
pub(super) async fn add_request(
    Caller { tenant, org, mut db }: Caller,
    params: Params,
    uri: axum::http::Uri,
    body: Result<ApiJson<Value>, ApiError>,
) -> ApiResult<Response> {
    super::only_params(&params, &uri, &["client_auto_approve", "format"])?;
    let auto_approve = params.flag("client_auto_approve")?;
    let ApiJson(body) = body?;
    let item = only_item(&body, &["customer", "comments", "reason", "type", "base_type", "points", "reference_id"])?;
    let now = tenant.clock.now_for(Some(&org));
    let mut tx = db.begin().await?;
    let outcome: Result<Value, Outcome> = async {
        goodwill_points(item)?;
        let customer_id = customer(&mut tx, org.org_id, |name| text(&item["customer"], name)).await?;
        let points = points_of(item.get("points"))?;
        let mut request = store::goodwill::file(
            &mut *tx,
            org.org_id,
            customer_id,
            points,
            &text(item, "reason").unwrap_or_default(),
            &text(item, "comments").unwrap_or_default(),
            now,
        )
        .await?;
        if auto_approve {
            request = allocate(&mut tx, &org, &request, points, None, now).await?;
        }
        Ok(request_item(&request, customer_of(&mut tx, org.org_id, customer_id).await?, org.time_zone))
    }
    .await;
    match outcome {
        Ok(request) => {
            engine::changed(&mut tx).await?;
            tx.commit().await?;
            let status = json!({"success": true, "code": 200, "message": "Success"});
            Ok(Json(json!({"response": {"status": status, "requests": {"request": [request]}}})).into_response())
        }
        Err(Outcome::Item(failure)) => {
            let item = json!({"id": null, "status": null, "type": item["type"], "base_type": item["base_type"]});
            Ok(failed(&["requests", "request"], item, &failure))
        }
        Err(Outcome::Request(error)) => Err(error),
    }
}

/// Approves a PENDING goodwill request: the points (the request's, or `points` if given) are
/// allocated now.
#[utoipa::path(post, path = "/v1.1/request/approve", tag = "v1.1",
    params(("format" = Option<String>, Query, description = "json")),
    request_body = Object,
    responses((status = 200, description = "Approved", body = Object), (status = 400, description = "Not approved: the item status says why", body = Object)))]
pub(super) async fn approve_request(
    Caller { tenant, org, mut db }: Caller,
    params: Params,
    uri: axum::http::Uri,
    body: Result<ApiJson<Value>, ApiError>,
) -> ApiResult<Response> {
    super::only_params(&params, &uri, &["format"])?;
    let ApiJson(body) = body?;
    let item = only_item(&body, &["type", "base_type", "id", "points", "updated_comments"])?;
    let now = tenant.clock.now_for(Some(&org));
    let mut tx = db.begin().await?;
    let outcome: Result<Value, Outcome> = async {
        goodwill_points(item)?;
        let id = text(item, "id").ok_or_else(|| ItemFailure::detailed(codes::REQUEST_NOT_FOUND, "'id' is required"))?;
        let request = match id.parse::<i64>() {
            Ok(request_id) => store::goodwill::lock(&mut *tx, org.org_id, request_id).await?,
            Err(_) => None,
        }
        .ok_or_else(|| ItemFailure::detailed(codes::REQUEST_NOT_FOUND, format!("'{id}'")))?;
        if request.status != "PENDING" {
            return Err(ItemFailure::detailed(codes::REQUEST_NOT_PENDING, format!("request {id} is {}", request.status)).into());
        }
        let points = match item.get("points") {
            None | Some(Value::Null) => request.points,
            given => points_of(given)?,
        };
        let approved = allocate(&mut tx, &org, &request, points, text(item, "updated_comments").as_deref(), now).await?;
        let mut customer = customer_of(&mut tx, org.org_id, approved.customer_id).await?;
        customer.as_object_mut().map(|customer| customer.remove("id"));
        Ok(json!({
            "type": "POINTS",
            "reason": approved.reason,
            "comments": approved.comments,
            "updated_comments": approved.updated_comments.clone().unwrap_or_default(),
            "status": approved.status,
            "customer": customer,
            "added_on": time::iso_twin(approved.requested_on, org.time_zone),
            "last_action_on": time::iso_twin(approved.approved_on.unwrap_or(now), org.time_zone),
        }))
    }
    .await;
    match outcome {
        Ok(goodwill) => {
            engine::changed(&mut tx).await?;
            tx.commit().await?;
            Ok(Json(json!({"response": {"requests": {"goodwill": goodwill}}})).into_response())
        }
        Err(Outcome::Item(failure)) => Ok(failed(&["requests", "goodwill"], json!({"id": item["id"], "status": null}), &failure)),
        Err(Outcome::Request(error)) => Err(error),
    }
}
