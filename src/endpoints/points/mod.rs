//! v1.1 points redemption (`api-docs/write/post-v1.1-points-redeem.md`): `GET
//! /v1.1/points/isredeemable`, `GET /v1.1/points/validationcode` and `POST /v1.1/points/redeem`.
//! The org's redemption settings (minimum, multiples, maximum, point value, whether a validation
//! code is needed) are the engine's rules in the bundle (`redemption_settings`). A redemption is a
//! PointsRedemption event with its DEBIT, which every ledger read shows.

pub mod codes;
mod goodwill;
mod reverse;

use axum::{
    Json,
    http::StatusCode,
    response::{IntoResponse, Response},
};
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde_json::{Value, json};
use sqlx::PgConnection;
use utoipa_axum::{router::OpenApiRouter, routes};

use self::codes::ItemCode;
use crate::{
    engine::{
        self,
        events::NewEvent,
        ledger::Debit,
        rules::{self, RedemptionSettings},
    },
    http::{
        auth::Caller,
        error::{ApiError, ApiResult},
        extract::{ApiJson, Params},
    },
    model::Org,
    platform::state::AppState,
    store::{self, identifiers::CustomerKey, redemptions::Redemption},
};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(is_redeemable))
        .routes(routes!(validation_code))
        .routes(routes!(redeem))
        .routes(routes!(goodwill::add_request))
        .routes(routes!(goodwill::approve_request))
        .routes(routes!(reverse::reverse))
}

/// How a v1.1 item names its customer: `mobile`, `email`, `external_id` or `id`.
const IDENTIFIERS: &[(&str, &str)] = &[("mobile", "mobile"), ("email", "email"), ("external_id", "externalId"), ("id", "id")];

/// An item's failure: its code, and what the message adds.
struct ItemFailure(ItemCode, String);

impl ItemFailure {
    fn new(code: ItemCode) -> ItemFailure {
        ItemFailure(code, String::new())
    }

    fn detailed(code: ItemCode, detail: impl Into<String>) -> ItemFailure {
        ItemFailure(code, detail.into())
    }

    fn item_status(&self) -> Value {
        let message = if self.1.is_empty() { self.0.1.to_owned() } else { format!("{}: {}", self.0.1, self.1) };
        json!({"success": "false", "code": self.0.0, "message": message})
    }
}

impl From<sqlx::Error> for Outcome {
    fn from(error: sqlx::Error) -> Outcome {
        Outcome::Request(error.into())
    }
}

/// Why an item did not go through: a v1.1 item status, or a request-level error.
enum Outcome {
    Item(ItemFailure),
    Request(ApiError),
}

impl From<ItemFailure> for Outcome {
    fn from(failure: ItemFailure) -> Outcome {
        Outcome::Item(failure)
    }
}

impl From<ApiError> for Outcome {
    fn from(error: ApiError) -> Outcome {
        Outcome::Request(error)
    }
}

/// v1.1's request status on success.
fn success_status(code: Value) -> Value {
    json!({"success": "true", "code": code, "message": "Success"})
}

/// The answer to an item that failed: HTTP 400 with the request status Capillary gives when
/// every item failed, and the item under `path` with its status.
fn failed(path: &[&str], mut item: Value, failure: &ItemFailure) -> Response {
    item["item_status"] = failure.item_status();
    let mut body = item;
    for key in path.iter().rev() {
        body = json!({ *key: body });
    }
    let status = json!({"success": "false", "code": 500, "message": "All requests have failed due to errors"});
    let mut response = json!({"response": {"status": status}});
    if let (Some(response), Some(body)) = (response["response"].as_object_mut(), body.as_object()) {
        response.extend(body.clone());
    }
    (StatusCode::BAD_REQUEST, Json(response)).into_response()
}

/// A number as v1.1 prints amounts: whole numbers without a point.
pub(crate) fn number(amount: Decimal) -> Value {
    let amount = amount.normalize();
    match i64::try_from(amount) {
        Ok(whole) if amount.fract().is_zero() => json!(whole),
        _ => json!(rust_decimal::prelude::ToPrimitive::to_f64(&amount).unwrap_or(0.0)),
    }
}

/// Points as the request gives them (a number or its text): positive, at most 3 decimals.
fn points_of(value: Option<&Value>) -> Result<Decimal, ItemFailure> {
    let text = match value {
        Some(Value::Number(number)) => number.to_string(),
        Some(Value::String(text)) => text.trim().to_owned(),
        _ => return Err(ItemFailure::detailed(codes::INVALID_POINTS, "points are required")),
    };
    let points: Decimal = text.parse().map_err(|_| ItemFailure::detailed(codes::INVALID_POINTS, format!("'{text}'")))?;
    if points <= Decimal::ZERO {
        return Err(ItemFailure::detailed(codes::INVALID_POINTS, format!("'{text}'")));
    }
    if points.normalize().scale() > 3 {
        return Err(ItemFailure::new(codes::TOO_MANY_DECIMALS));
    }
    Ok(points)
}

/// The customer an item names (by its first identifier), or 802 / 816.
async fn customer(db: &mut PgConnection, org_id: i64, given: impl Fn(&str) -> Option<String>) -> Result<i64, ItemFailure> {
    let Some((param, kind, value)) = IDENTIFIERS.iter().find_map(|(param, kind)| given(param).map(|value| (*param, *kind, value))) else {
        return Err(ItemFailure::detailed(codes::INVALID_IDENTIFIER, "give one of mobile, email, external_id, id"));
    };
    let key = match kind {
        "id" => CustomerKey::Id(value.parse().map_err(|_| ItemFailure::detailed(codes::INVALID_IDENTIFIER, format!("{param} '{value}'")))?),
        _ => CustomerKey::Identifier(kind, &value),
    };
    store::identifiers::find_customer(db, org_id, key)
        .await
        .map_err(|_| ItemFailure::new(codes::REDEMPTION_FAILED))?
        .ok_or_else(|| ItemFailure::detailed(codes::CUSTOMER_NOT_FOUND, format!("{param} '{value}'")))
}

/// The program an item redeems from: `program_id`, else the org's default; with its regular
/// category and settings.
async fn program(db: &mut PgConnection, org_id: i64, given: Option<&str>) -> Result<(i64, i64, RedemptionSettings), Outcome> {
    let program_id = match given {
        Some(text) => text.parse::<i64>().map_err(|_| ItemFailure::detailed(codes::INVALID_PROGRAM, format!("'{text}'")))?,
        None => rules::default_program(db, org_id).await?.ok_or_else(|| ItemFailure::new(codes::INVALID_PROGRAM))?.program_id,
    };
    let category = store::redemptions::regular_category(&mut *db, org_id, program_id)
        .await?
        .ok_or_else(|| ItemFailure::detailed(codes::INVALID_PROGRAM, program_id.to_string()))?;
    Ok((program_id, category, rules::redemption_settings(db, org_id, program_id).await?))
}

/// What the org's settings say about redeeming `points`, and whether the customer has them.
async fn check_redeemable(
    db: &mut PgConnection,
    org_id: i64,
    customer_id: i64,
    points: Decimal,
    settings: &RedemptionSettings,
    now: DateTime<Utc>,
) -> Result<(), Outcome> {
    if points < settings.min_points {
        return Err(ItemFailure::detailed(codes::BELOW_MINIMUM, format!("at least {}", settings.min_points.normalize())).into());
    }
    if settings.max_points.is_some_and(|max| points > max) {
        return Err(ItemFailure::detailed(
            codes::ABOVE_MAXIMUM,
            format!("at most {}", settings.max_points.unwrap_or_default().normalize()),
        )
        .into());
    }
    if !(points % settings.points_multiple).is_zero() {
        return Err(ItemFailure::detailed(
            codes::NOT_A_MULTIPLE,
            format!("must be a multiple of {}", settings.points_multiple.normalize()),
        )
        .into());
    }
    let balance = engine::ledger::balance(db, org_id, customer_id, Some(settings.program_id), None, now).await?;
    if balance.available < points {
        return Err(ItemFailure::detailed(codes::NOT_ENOUGH_POINTS, format!("{} available", balance.available.normalize())).into());
    }
    Ok(())
}

/// Refuses parameters the endpoint does not take, so none is silently ignored.
fn only_params(params: &Params, uri: &axum::http::Uri, known: &[&str]) -> ApiResult<()> {
    let query = uri.query().unwrap_or_default();
    for (name, _) in form_urlencoded::parse(query.as_bytes()) {
        if !known.contains(&name.as_ref()) {
            return Err(ApiError::bad_parameter(
                &name,
                format!("Parameter '{name}' is not taken by this endpoint (it takes {})", known.join(", ")),
            ));
        }
    }
    if params.text("format").is_some_and(|format| !format.eq_ignore_ascii_case("json")) {
        return Err(ApiError::bad_parameter("format", "Parameter 'format' must be json (the emulator answers JSON only)"));
    }
    Ok(())
}

/// Six characters from an alphabet without look-alikes, as Capillary's codes look.
fn random_code() -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    uuid::Uuid::new_v4().as_bytes().iter().take(6).map(|byte| ALPHABET[usize::from(*byte) % ALPHABET.len()] as char).collect()
}

async fn issue_code(
    db: &mut PgConnection,
    org: &Org,
    customer_id: i64,
    points: Decimal,
    settings: &RedemptionSettings,
    now: DateTime<Utc>,
) -> sqlx::Result<String> {
    let code = random_code();
    let expires_on = now + chrono::Duration::seconds(i64::from(settings.validation_code_ttl_seconds));
    store::redemptions::issue_code(db, org.org_id, customer_id, &code, points, now, expires_on).await?;
    Ok(code)
}

/// Whether the customer may redeem the points, by the org's settings and their balance;
/// `issue_otp=true` also issues a validation code.
#[utoipa::path(get, path = "/v1.1/points/isredeemable", tag = "v1.1",
    params(
        ("points" = String, Query, description = "Points to redeem"),
        ("program_id" = Option<i64>, Query, description = "The program (default: the org's default program)"),
        ("mobile" = Option<String>, Query), ("email" = Option<String>, Query), ("external_id" = Option<String>, Query), ("id" = Option<i64>, Query),
        ("issue_otp" = Option<bool>, Query, description = "Also issue a validation code"),
        ("validation_code" = Option<String>, Query, description = "Check this validation code too"),
        ("skip_validation" = Option<bool>, Query), ("validation_type" = Option<String>, Query, description = "SMS"),
        ("format" = Option<String>, Query, description = "json")),
    responses((status = 200, description = "Redeemable", body = Object), (status = 400, description = "Not redeemable: the item status says why", body = Object)))]
async fn is_redeemable(Caller { tenant, org, mut db }: Caller, params: Params, uri: axum::http::Uri) -> ApiResult<Response> {
    only_params(
        &params,
        &uri,
        &[
            "points",
            "program_id",
            "mobile",
            "email",
            "external_id",
            "id",
            "issue_otp",
            "validation_code",
            "skip_validation",
            "validation_type",
            "format",
        ],
    )?;
    let issue_otp = params.flag("issue_otp")?;
    let skip_validation = params.flag("skip_validation")?;
    let now = tenant.clock.now_for(Some(&org));
    let mut tx = db.begin().await?;
    let mut item = json!({"mobile": "", "email": "", "external_id": "", "points": params.text("points").unwrap_or_default()});
    let outcome: Result<(Decimal, RedemptionSettings), Outcome> = async {
        let customer_id = customer(&mut tx, org.org_id, |name| params.text(name).map(str::to_owned)).await?;
        let ids = store::redemptions::identifiers(&mut *tx, org.org_id, customer_id).await?;
        item = json!({"mobile": ids.mobile, "email": ids.email, "external_id": ids.external_id, "points": item["points"]});
        validation_type(params.text("validation_type"))?;
        let points = points_of(params.text("points").map(|text| Value::String(text.to_owned())).as_ref())?;
        item["points"] = number(points);
        let (_, _, settings) = program(&mut tx, org.org_id, params.text("program_id")).await?;
        check_redeemable(&mut tx, org.org_id, customer_id, points, &settings, now).await?;
        if let Some(code) = params.text("validation_code").filter(|_| !skip_validation) {
            check_code(&mut tx, customer_id, code, points, now).await?;
        }
        if issue_otp {
            issue_code(&mut tx, &org, customer_id, points, &settings, now).await?;
        }
        Ok((points, settings))
    }
    .await;
    match outcome {
        Ok((points, settings)) => {
            if issue_otp {
                engine::changed(&mut tx).await?;
            }
            tx.commit().await?;
            let value = number(points * settings.point_value);
            item["is_redeemable"] = json!("true");
            item["points_redeem_value"] = value.clone();
            item["points_redeem_local_value"] = value;
            item["input_type"] = json!("points");
            item["points_currency_ratio"] = json!(settings.point_value.normalize().to_string());
            item["item_status"] = json!({"success": "true", "code": codes::REDEEMABLE.0, "message": codes::REDEEMABLE.1});
            Ok(Json(json!({"response": {"status": success_status(json!(200)), "points": {"redeemable": item}}})).into_response())
        }
        Err(Outcome::Item(failure)) => {
            item["is_redeemable"] = json!("false");
            Ok(failed(&["points", "redeemable"], item, &failure))
        }
        Err(Outcome::Request(error)) => Err(error),
    }
}

fn validation_type(given: Option<&str>) -> Result<(), ItemFailure> {
    match given {
        None => Ok(()),
        Some(kind) if kind.eq_ignore_ascii_case("SMS") => Ok(()),
        Some(kind) => Err(ItemFailure::detailed(
            codes::MISSED_CALL_DISABLED,
            format!("validation_type '{kind}' (the emulator validates by code, SMS)"),
        )),
    }
}

async fn check_code(db: &mut PgConnection, customer_id: i64, code: &str, points: Decimal, now: DateTime<Utc>) -> Result<(), Outcome> {
    match store::redemptions::valid_code(db, customer_id, code, now).await? {
        Some(issued) if points <= issued => Ok(()),
        Some(issued) => {
            Err(ItemFailure::detailed(codes::INVALID_VALIDATION_CODE, format!("issued for {} points", issued.normalize())).into())
        }
        None => Err(ItemFailure::detailed(codes::INVALID_VALIDATION_CODE, format!("'{code}' (unknown, used or expired)")).into()),
    }
}

/// Issues a validation code for redeeming the points (Capillary sends it by SMS or email; the
/// emulator sends nothing: the code is in `GET /__admin/fixtures`' `points_validation_codes`).
#[utoipa::path(get, path = "/v1.1/points/validationcode", tag = "v1.1",
    params(("points" = String, Query, description = "Points the code is for"),
        ("mobile" = Option<String>, Query), ("email" = Option<String>, Query), ("external_id" = Option<String>, Query), ("id" = Option<i64>, Query),
        ("program_id" = Option<i64>, Query), ("format" = Option<String>, Query, description = "json")),
    responses((status = 200, description = "Issued", body = Object), (status = 400, description = "Not issued: the item status says why", body = Object)))]
async fn validation_code(Caller { tenant, org, mut db }: Caller, params: Params, uri: axum::http::Uri) -> ApiResult<Response> {
    only_params(&params, &uri, &["points", "mobile", "email", "external_id", "id", "program_id", "format"])?;
    let now = tenant.clock.now_for(Some(&org));
    let mut tx = db.begin().await?;
    let mut item = json!({"user_id": "", "mobile": "", "points": params.text("points").unwrap_or_default()});
    let outcome: Result<(), Outcome> = async {
        let customer_id = customer(&mut tx, org.org_id, |name| params.text(name).map(str::to_owned)).await?;
        let ids = store::redemptions::identifiers(&mut *tx, org.org_id, customer_id).await?;
        item["user_id"] = json!(customer_id.to_string());
        item["mobile"] = json!(ids.mobile);
        let points = points_of(params.text("points").map(|text| Value::String(text.to_owned())).as_ref())?;
        item["points"] = json!(points.normalize().to_string());
        let (_, _, settings) = program(&mut tx, org.org_id, params.text("program_id")).await?;
        issue_code(&mut tx, &org, customer_id, points, &settings, now).await?;
        Ok(())
    }
    .await;
    match outcome {
        Ok(()) => {
            engine::changed(&mut tx).await?;
            tx.commit().await?;
            item["item_status"] = json!({"success": "true", "code": "200", "message": "Validation Code Issued by SMS/Email"});
            let status = json!({"success": "true", "code": "200", "message": "Operation Successful"});
            Ok(Json(json!({"response": {"status": status, "validation_code": {"code": item}}})).into_response())
        }
        Err(Outcome::Item(failure)) => Ok(failed(&["validation_code", "code"], item, &failure)),
        Err(Outcome::Request(error)) => Err(error),
    }
}

/// Redeems points: one `root.redeem[]` item per request. A PointsRedemption event and its
/// DEBIT, in one transaction; `external_reference_number` may be used once.
#[utoipa::path(post, path = "/v1.1/points/redeem", tag = "v1.1",
    params(("program_id" = Option<i64>, Query, description = "The program (default: the org's default program)"),
        ("skip_validation" = Option<bool>, Query, description = "Redeem without a validation code where the org requires one"),
        ("validation_type" = Option<String>, Query, description = "SMS"), ("format" = Option<String>, Query, description = "json")),
    request_body = Object,
    responses((status = 200, description = "Redeemed", body = Object), (status = 400, description = "Not redeemed: the item status says why", body = Object)))]
async fn redeem(
    Caller { tenant, org, mut db }: Caller,
    params: Params,
    uri: axum::http::Uri,
    body: Result<ApiJson<Value>, ApiError>,
) -> ApiResult<Response> {
    only_params(&params, &uri, &["program_id", "skip_validation", "validation_type", "format"])?;
    let skip_validation = params.flag("skip_validation")?;
    let ApiJson(body) = body?;
    let items = body["root"]["redeem"]
        .as_array()
        .ok_or_else(|| ApiError::bad_parameter("root.redeem", "The body must be {\"root\":{\"redeem\":[{…}]}}"))?;
    let [request] = items.as_slice() else {
        return Err(ApiError::bad_parameter("root.redeem", "root.redeem must hold exactly one redemption"));
    };
    let known =
        ["points_redeemed", "customer", "transaction_number", "external_reference_number", "notes", "validation_code", "custom_fields"];
    if let Some(unknown) = request.as_object().into_iter().flat_map(|item| item.keys()).find(|key| !known.contains(&key.as_str())) {
        return Err(ApiError::bad_parameter(&format!("root.redeem[0].{unknown}"), format!("'{unknown}' is not a field of a redemption")));
    }
    let text = |name: &str| {
        request.get(name).and_then(|value| value.as_str().map(str::to_owned).or_else(|| value.as_i64().map(|n| n.to_string())))
    };
    let custom_fields: Vec<Value> = match request.pointer("/custom_fields/field") {
        None => Vec::new(),
        Some(Value::Array(fields)) if fields.iter().all(|field| field["name"].is_string()) => {
            fields.iter().map(|field| json!({"name": field["name"], "value": field["value"].as_str().map(str::to_owned).unwrap_or_else(|| field["value"].to_string())})).collect()
        }
        Some(_) => return Err(ApiError::bad_parameter("custom_fields.field", "custom_fields.field must be a list of {name, value}")),
    };
    let now = tenant.clock.now_for(Some(&org));
    let mut tx = db.begin().await?;
    let mut item = json!({"mobile": "", "email": "", "external_id": "", "user_id": null, "points_redeemed": request["points_redeemed"].to_string().trim_matches('"'), "redeemed_value": 0, "side_effects": {"effect": []}});
    let outcome: Result<Value, Outcome> = async {
        let customer_id = customer(&mut tx, org.org_id, |name| {
            request["customer"].get(name).and_then(|v| v.as_str().map(str::to_owned).or_else(|| v.as_i64().map(|n| n.to_string())))
        })
        .await?;
        engine::lock_customer(&mut tx, org.org_id, customer_id).await?;
        let ids = store::redemptions::identifiers(&mut *tx, org.org_id, customer_id).await?;
        item["mobile"] = json!(ids.mobile);
        item["email"] = json!(ids.email);
        item["external_id"] = json!(ids.external_id);
        item["user_id"] = json!(customer_id.to_string());
        validation_type(params.text("validation_type"))?;
        let points = points_of(request.get("points_redeemed"))?;
        let (program_id, category_id, settings) = program(&mut tx, org.org_id, params.text("program_id")).await?;
        let reference = text("external_reference_number");
        if let Some(reference) = &reference {
            engine::lock_key(&mut tx, &format!("redeem/{}/{reference}", org.org_id)).await?;
            if let Some(earlier) = store::redemptions::by_external_reference(&mut *tx, org.org_id, reference).await? {
                return Err(ItemFailure::detailed(
                    codes::REDEMPTION_FAILED,
                    format!("external_reference_number '{reference}' was used by redemption {earlier}"),
                )
                .into());
            }
        }
        check_redeemable(&mut tx, org.org_id, customer_id, points, &settings, now).await?;
        let code = text("validation_code");
        match &code {
            Some(code) if !skip_validation => check_code(&mut tx, customer_id, code, points, now).await?,
            None if settings.requires_validation_code && !skip_validation => {
                return Err(ItemFailure::detailed(
                    codes::INVALID_VALIDATION_CODE,
                    "the org requires a validation_code (or skip_validation=true)",
                )
                .into());
            }
            _ => {}
        }
        let redemption_id = engine::events::random_id(6).to_lowercase();
        let transaction_number = text("transaction_number");
        let event_log_id = engine::events::record_event(
            &mut tx,
            &NewEvent {
                org_id: org.org_id,
                customer_id,
                event_name: "PointsRedemption".to_owned(),
                event_time: now,
                processing_time: now,
                till_id: None,
                event_reference_id: Some(redemption_id.clone()),
                unique_id: None,
                request_id: None,
                generic_event_id: None,
                details: json!({"customFields": custom_fields}),
            },
        )
        .await?;
        let ledger_id = engine::ledger::post_debit(
            &mut tx,
            &Debit {
                org_id: org.org_id,
                customer_id,
                event_log_id,
                event_subject_id: customer_id,
                program_id,
                points_category_id: category_id,
                alternate_currency_id: None,
                points,
                created_on: now,
                entity_metadata: None,
            },
        )
        .await?;
        store::redemptions::record(
            &mut tx,
            &Redemption {
                event_log_id,
                org_id: org.org_id,
                redemption_id: &redemption_id,
                points,
                program_id,
                transaction_number: transaction_number.as_deref(),
                billing_time: now,
                external_reference_number: reference.as_deref(),
                notes: text("notes").as_deref(),
            },
        )
        .await?;
        if let Some(code) = code.as_deref().filter(|_| !skip_validation) {
            store::redemptions::use_code(&mut *tx, customer_id, code, event_log_id).await?;
        }
        let balance = engine::ledger::balance(&mut tx, org.org_id, customer_id, Some(program_id), None, now).await?;
        let value = number(points * settings.point_value);
        Ok(json!({
            "mobile": item["mobile"], "email": item["email"], "external_id": item["external_id"], "user_id": item["user_id"],
            "redemption_id": redemption_id,
            "points_redeemed": points.normalize().to_string(),
            "redemption_purpose": "",
            "redeemed_value": value, "redeemed_local_value": value,
            "balance": number(balance.available),
            "side_effects": {"effect": [{
                "id": ledger_id, "case_value": "false", "num_points": number(points), "currency_value": value,
                "validation_code": code.unwrap_or_default(), "points_redemption_summary_id": event_log_id.to_string(),
                "redeemed_on_bill_number": transaction_number.unwrap_or_default(), "redeemed_on_bill_id": -1, "type": "points"
            }]},
            "item_status": {"success": "true", "code": codes::REDEEMED.0, "message": codes::REDEEMED.1}
        }))
    }
    .await;
    match outcome {
        Ok(points) => {
            engine::changed(&mut tx).await?;
            tx.commit().await?;
            Ok(Json(json!({"response": {"status": success_status(json!(200)), "responses": {"points": points}}})).into_response())
        }
        Err(Outcome::Item(failure)) => Ok(failed(&["responses", "points"], item, &failure)),
        Err(Outcome::Request(error)) => Err(error),
    }
}
