//! `POST /v2/points/reverse` (`api-docs/write/post-v1.1-points-redeem.md`, "Related: POST
//! /v2/points/reverse"): gives a customer back the points of a redemption, all or part of them. A
//! PointsRedemptionReversal event whose CREDITs restore the points with the expiry of the credits
//! the redemption took them from; points whose credit has expired since are reported as `expired`
//! and not credited. Answers and errors use the v2 envelope.

use axum::{Json, body::Bytes};
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde_json::{Map, Value, json};
use sqlx::PgConnection;

use super::{codes, number};
use crate::{
    endpoints::write::{
        self, Writer,
        body::{self, Fields},
    },
    engine::{
        self,
        events::NewEvent,
        ledger::{Credit, Expiry, Taken},
    },
    http::error::{ApiError, ApiResult},
    model::AwardType,
    store::{
        self,
        identifiers::CustomerKey,
        redemptions::{Reversal, Reversible},
    },
};

const FIELDS: &[&str] = &["redemptionId", "pointsToBeReversed", "identifier"];

/// What the body asks for.
struct Request {
    redemption_id: String,
    /// `None`: everything not reversed yet.
    points: Option<Decimal>,
    identifier_type: String,
    identifier_value: String,
}

fn request(object: &Map<String, Value>) -> ApiResult<Request> {
    if let Some(unknown) = object.keys().find(|key| !FIELDS.contains(&key.as_str())) {
        return Err(ApiError::new(
            write::codes::INVALID_INPUT,
            format!("Invalid input: '{unknown}' is not a field of a reversal (it takes {})", FIELDS.join(", ")),
        )
        .at(unknown));
    }
    let fields = Fields::new("", object);
    let redemption_id = fields
        .text("redemptionId")?
        .ok_or_else(|| ApiError::detailed(codes::REVERSE_INVALID_POINTS_OR_ID, ": 'redemptionId' is required").at("redemptionId"))?;
    let points = fields.amount("pointsToBeReversed", codes::REVERSE_INVALID_POINTS_OR_ID)?;
    if let Some(points) = points {
        if points <= Decimal::ZERO {
            return Err(ApiError::detailed(
                codes::REVERSE_INVALID_POINTS_OR_ID,
                format!(": 'pointsToBeReversed' must be more than 0, got {}", points.normalize()),
            )
            .at("pointsToBeReversed"));
        }
        if points.normalize().scale() > 3 {
            return Err(ApiError::detailed(codes::REVERSE_TOO_MANY_DECIMALS, ": 'pointsToBeReversed'").at("pointsToBeReversed"));
        }
    }
    let identifier = fields
        .object("identifier")
        .map_err(|_| ApiError::detailed(codes::REVERSE_INVALID_CUSTOMER, ": 'identifier' must be {type, value}").at("identifier"))?
        .ok_or_else(|| ApiError::detailed(codes::REVERSE_INVALID_CUSTOMER, ": 'identifier' {type, value} is required").at("identifier"))?;
    let identifier = Fields::new("identifier", identifier);
    let required = |field: &str| -> ApiResult<String> {
        identifier.text(field).ok().flatten().ok_or_else(|| {
            let name = identifier.name(field);
            ApiError::detailed(codes::REVERSE_INVALID_CUSTOMER, format!(": '{name}' is required (text)")).at(&name)
        })
    };
    Ok(Request { redemption_id, points, identifier_type: required("type")?, identifier_value: required("value")? })
}

/// The customer the identifier names, or 904.
async fn customer(db: &mut PgConnection, org_id: i64, request: &Request) -> ApiResult<i64> {
    let (kind, value) = (request.identifier_type.as_str(), request.identifier_value.as_str());
    let invalid = |detail: String, field: &str| ApiError::detailed(codes::REVERSE_INVALID_CUSTOMER, detail).at(field);
    let stored = write::identifier_kind(kind)
        .ok_or_else(|| invalid(format!(": 'identifier.type' {kind}; one of {}", write::IDENTIFIER_NAMES), "identifier.type"))?;
    let key = if stored == "id" {
        CustomerKey::Id(
            value.parse().map_err(|_| invalid(format!(": 'identifier.value' must be a numeric id, got '{value}'"), "identifier.value"))?,
        )
    } else {
        CustomerKey::Identifier(stored, value)
    };
    store::identifiers::find_customer(&mut *db, org_id, key)
        .await?
        .ok_or_else(|| invalid(format!(": no customer with {kind} {value}"), "identifier.value"))
}

/// How many points of the redemption this reversal gives back, or 902 / 903.
fn points_to_reverse(redemption: &Reversible, asked: Option<Decimal>) -> ApiResult<Decimal> {
    let left = redemption.points_redeemed - redemption.reversed;
    if left <= Decimal::ZERO {
        return Err(ApiError::detailed(
            codes::REVERSE_DUPLICATE,
            format!(
                ": redemption {} ({} points) is already fully reversed",
                redemption.redemption_id,
                redemption.points_redeemed.normalize()
            ),
        )
        .at("redemptionId"));
    }
    match asked {
        None => Ok(left),
        Some(points) if points <= left => Ok(points),
        Some(points) => Err(ApiError::detailed(
            codes::REVERSE_TOO_MANY_POINTS,
            format!(
                ": 'pointsToBeReversed' {} is more than the {} points of redemption {} left to reverse",
                points.normalize(),
                left.normalize(),
                redemption.redemption_id
            ),
        )
        .at("pointsToBeReversed")),
    }
}

/// The part of what the redemption took that this reversal gives back: after the `skip` points
/// earlier reversals gave back, the next `points`, in the order the redemption took them.
fn slice_of(sources: &[Taken], mut skip: Decimal, mut points: Decimal) -> Vec<Taken> {
    let mut slice = Vec::new();
    for source in sources {
        let mut left = source.points;
        let skipped = skip.min(left);
        skip -= skipped;
        left -= skipped;
        let taken = points.min(left);
        if taken > Decimal::ZERO {
            slice.push(Taken { expires_on: source.expires_on, points: taken });
            points -= taken;
        }
    }
    slice
}

/// Splits the slice into what is still usable at `now` (merged per expiry, earliest first) and
/// the points whose credit has expired.
fn split_expired(slice: &[Taken], now: DateTime<Utc>) -> (Vec<Taken>, Decimal) {
    let mut usable: Vec<Taken> = Vec::new();
    let mut expired = Decimal::ZERO;
    for part in slice {
        if part.expires_on.is_some_and(|expiry| expiry <= now) {
            expired += part.points;
        } else if let Some(same) = usable.iter_mut().find(|kept| kept.expires_on == part.expires_on) {
            same.points += part.points;
        } else {
            usable.push(*part);
        }
    }
    (usable, expired)
}

/// Reverses a redemption (all of what is left of it when `pointsToBeReversed` is not given).
#[utoipa::path(post, path = "/v2/points/reverse", tag = "v2 writes",
    request_body(content = Value, description = "redemptionId (the redemption's id or its points_redemption_summary_id), pointsToBeReversed (default: all that is left), identifier {type, value}"),
    responses((status = 200, description = "orgId, identifier, customerId, redemptionId, reversalId, pointsToBeReversed, pointsReversed, pointsReversedDetails {available, expired}, warnings, errors", body = Value)))]
pub(super) async fn reverse(writer: Writer, body: Bytes) -> ApiResult<Json<Value>> {
    let Writer { tenant: _, org, mut db, till_id, now } = writer;
    let object = body::object(&body)?;
    let request = request(&object)?;
    let mut tx = db.begin().await?;
    let customer_id = customer(&mut tx, org.org_id, &request).await?;
    engine::lock_customer(&mut tx, org.org_id, customer_id).await?;
    let redemption = store::redemptions::reversible(&mut *tx, org.org_id, &request.redemption_id).await?.ok_or_else(|| {
        ApiError::detailed(codes::REVERSE_INVALID_POINTS_OR_ID, format!(": no redemption '{}'", request.redemption_id)).at("redemptionId")
    })?;
    if redemption.customer_id != customer_id {
        return Err(ApiError::detailed(
            codes::REVERSE_INVALID_CUSTOMER,
            format!(
                ": redemption {} is not of the customer with {} {}",
                redemption.redemption_id, request.identifier_type, request.identifier_value
            ),
        )
        .at("identifier"));
    }
    let points = points_to_reverse(&redemption, request.points)?;
    let sources = engine::ledger::debit_sources(&mut tx, org.org_id, redemption.debit_ledger_id).await?;
    let (usable, expired) = split_expired(&slice_of(&sources, redemption.reversed, points), now);
    let available: Decimal = usable.iter().map(|part| part.points).sum();

    let event_log_id = engine::events::record_event(
        &mut tx,
        &NewEvent {
            org_id: org.org_id,
            customer_id,
            event_name: "PointsRedemptionReversal".to_owned(),
            event_time: now,
            processing_time: now,
            till_id,
            event_reference_id: Some(redemption.redemption_id.clone()),
            unique_id: None,
            request_id: None,
            generic_event_id: None,
            details: json!({}),
        },
    )
    .await?;
    for (position, part) in (0..).zip(&usable) {
        engine::ledger::post_credit(
            &mut tx,
            &Credit {
                org_id: org.org_id,
                customer_id,
                event_log_id,
                event_subject_id: customer_id,
                program_id: redemption.program_id,
                points_category_id: redemption.points_category_id,
                alternate_currency_id: None,
                points: part.points,
                award_type: AwardType::Regular,
                promotion_id: None,
                line_item_id: None,
                created_on: now,
                expiry: part.expires_on.map_or(Expiry::Never, Expiry::Fixed),
                conversion_date: None,
                expiry_strategy: None,
                allocation_strategy: None,
                position,
                extra: json!({}),
                entity_metadata: None,
            },
        )
        .await?;
    }
    store::redemptions::record_reversal(
        &mut *tx,
        &Reversal {
            event_log_id,
            org_id: org.org_id,
            redemption_event_log_id: redemption.event_log_id,
            points_to_be_reversed: points,
            points_available: available,
            points_expired: expired,
        },
    )
    .await?;
    engine::changed(&mut tx).await?;
    tx.commit().await?;
    Ok(Json(json!({
        "orgId": org.org_id,
        "identifier": {"type": request.identifier_type, "value": request.identifier_value},
        "customerId": customer_id,
        "redemptionId": redemption.redemption_id,
        "reversalId": event_log_id,
        "pointsToBeReversed": number(points),
        "pointsReversed": number(available + expired),
        "pointsReversedDetails": {"available": number(available), "expired": number(expired)},
        "warnings": [],
        "errors": [],
    })))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn a_reversal_gives_back_after_earlier_ones_and_reports_what_expired() {
        let june = Some(at("2025-06-01T00:00:00Z"));
        let sources = [Taken { expires_on: june, points: Decimal::from(10) }, Taken { expires_on: None, points: Decimal::from(20) }];
        let slice = slice_of(&sources, Decimal::from(5), Decimal::from(15));
        assert_eq!(slice, [Taken { expires_on: june, points: Decimal::from(5) }, Taken { expires_on: None, points: Decimal::from(10) }]);
        let (usable, expired) = split_expired(&slice, at("2025-07-01T00:00:00Z"));
        assert_eq!((usable, expired), (vec![Taken { expires_on: None, points: Decimal::from(10) }], Decimal::from(5)));
        let (usable, expired) = split_expired(&slice, at("2025-05-01T00:00:00Z"));
        assert_eq!((usable.len(), expired), (2, Decimal::ZERO));
    }
}
