//! `POST /v2/customers` (register), `GET /v2/customers/lookup` (the id an identifier names) and
//! `GET /v2/customers/{userId}` (the profile, with `embed=points` its points summary).

use axum::{Json, body::Bytes, extract::Path};
use serde_json::{Map, Value, json};
use sqlx::PgConnection;

use super::{
    Writer,
    balance::points_summary,
    body::{self, Fields},
    codes, identifier_kind, known_source,
    side_effects::{self, RawContext},
    source_invalid,
};
use crate::{
    engine::{
        self, Amount,
        earn::{self, Earning},
        events::NewEvent,
        ledger::{self, Credit, Expiry},
        targets::{self, Measures, Occurrence},
    },
    http::{
        auth::Caller,
        error::{ApiError, ApiResult},
        extract::{Params, path_param},
    },
    model::AwardType,
};

/// One identifier or channel of a profile, as `customer_identifiers` keeps it.
#[derive(Debug, Clone)]
struct Identifier {
    kind: &'static str,
    value: String,
    source: &'static str,
    account_id: Option<String>,
    primary: bool,
    verified: bool,
    subscribed: Option<bool>,
    attributes: Option<Value>,
}

/// A source profile of the body.
#[derive(Debug, Clone)]
struct Profile {
    first_name: Option<String>,
    last_name: Option<String>,
    source: &'static str,
    account_id: Option<String>,
    fields: Option<Map<String, Value>>,
}

/// An opening balance (`loyaltyProgramEnrollments[]`).
#[derive(Debug, Clone)]
struct Enrolment {
    program_id: i64,
    points: Amount,
    points_expiry: Option<chrono::DateTime<chrono::Utc>>,
}

/// Registers a customer (or adds a source profile to the customer its identifiers name in another
/// source, warning 8050), with a `CustomerRegistration` event that earns what the org's rules give.
#[utoipa::path(post, path = "/v2/customers", tag = "v2 writes",
    params(("source" = Option<String>, Query, description = "Source of profiles that name none"),
           ("accountId" = Option<String>, Query), ("rawSideEffects" = Option<bool>, Query)),
    request_body(content = Value, description = "The customer: profiles[] with identifiers, commChannels, fields and source; extendedFields; loyaltyProgramEnrollments[]"),
    responses((status = 200, description = "createdId, warnings, sideEffects", body = Value)))]
pub async fn add_customer(writer: Writer, params: Params, body: Bytes) -> ApiResult<Json<Value>> {
    let Writer { tenant: _, org, mut db, till_id, now } = writer;
    let raw_side_effects = params.flag("rawSideEffects")?;
    let body = body::object(&body)?;
    let root = Fields::new("", &body);
    let default_source =
        params.text("source").map(|source| known_source(source).ok_or_else(|| source_invalid("source", source))).transpose()?;
    let (profiles, identifiers) = read_profiles(&root, default_source, params.text("accountId"))?;
    let extended_fields = root.object("extendedFields")?.cloned();
    let enrolments = read_enrolments(&root, org.time_zone)?;
    let loyalty_type = match root.object("loyaltyInfo")? {
        Some(info) => Fields::new("loyaltyInfo", info).text("loyaltyType")?,
        None => None,
    };

    let mut tx = sqlx::Connection::begin(&mut *db).await?;
    let mut keys: Vec<String> =
        identifiers.iter().map(|i| format!("identifier/{}/{}/{}", org.org_id, i.kind.to_lowercase(), i.value.to_lowercase())).collect();
    keys.sort();
    keys.dedup();
    for key in &keys {
        engine::lock_key(&mut tx, key).await?;
    }
    let mut warnings = Vec::new();
    let owners = existing_owners(&mut tx, org.org_id, &identifiers).await?;
    if let Some((customer_id, _)) = owners.iter().find(|(_, source)| identifiers.iter().any(|i| i.source.eq_ignore_ascii_case(source))) {
        return Err(ApiError::detailed(codes::CUSTOMER_EXISTS, format!("{customer_id} for same source")).at("profiles"));
    }
    let mut side_effects = Vec::new();
    let mut raw = Vec::new();
    let customer_id = match owners.first() {
        Some((customer_id, _)) => {
            let customer_id = *customer_id;
            engine::lock_customer(&mut tx, org.org_id, customer_id).await?;
            insert_identifiers(&mut tx, org.org_id, customer_id, &identifiers).await?;
            warnings.push(json!({"status": false, "code": codes::COMBINING.number, "message": codes::COMBINING.message}));
            customer_id
        }
        None => {
            let first = profiles.iter().find(|p| p.first_name.is_some() || p.last_name.is_some()).unwrap_or(&profiles[0]);
            let actor = till_actor(&mut tx, till_id).await?;
            let custom_fields: Map<String, Value> = profiles.iter().filter_map(|p| p.fields.clone()).flatten().collect();
            let customer_id: i64 = sqlx::query_scalar(
                "INSERT INTO customers (org_id, first_name, last_name, source, account_id, loyalty_type, created_on, last_updated_on,
                                        created_by, last_updated_by, custom_fields, extended_fields)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $7, $8, $8, $9, $10) RETURNING customer_id",
            )
            .bind(org.org_id)
            .bind(&first.first_name)
            .bind(&first.last_name)
            .bind(first.source.to_lowercase())
            .bind(first.account_id.clone().unwrap_or_default())
            .bind(loyalty_type.unwrap_or_else(|| "loyalty".to_owned()))
            .bind(now)
            .bind(actor)
            .bind(Value::Object(custom_fields.clone()))
            .bind(Value::Object(extended_fields.clone().unwrap_or_default()))
            .fetch_one(&mut *tx)
            .await?;
            insert_identifiers(&mut tx, org.org_id, customer_id, &identifiers).await?;

            let event_log_id = engine::events::record_event(
                &mut tx,
                &NewEvent {
                    org_id: org.org_id,
                    customer_id,
                    event_name: "CustomerRegistration".to_owned(),
                    event_time: now,
                    processing_time: now,
                    till_id,
                    event_reference_id: Some(customer_id.to_string()),
                    unique_id: None,
                    request_id: None,
                    generic_event_id: None,
                    details: json!({
                        "customFields": body::name_values(Some(&custom_fields)),
                        "extendedFields": body::name_values(extended_fields.as_ref()),
                    }),
                },
            )
            .await?;
            let mut earned_by_currency = Vec::new();
            for enrolment in &enrolments {
                let category: Option<i64> = sqlx::query_scalar(
                    "SELECT c.points_category_id FROM programs p JOIN points_categories c ON c.program_id = p.program_id
                     WHERE p.org_id = $1 AND p.program_id = $2 ORDER BY (c.category_type = 'REGULAR_POINTS') DESC, c.points_category_id LIMIT 1",
                )
                .bind(org.org_id)
                .bind(enrolment.program_id)
                .fetch_optional(&mut *tx)
                .await?;
                let category = category.ok_or_else(|| {
                    ApiError::detailed(codes::PROGRAM_INVALID, format!(": {} is no program of the org", enrolment.program_id))
                        .at("loyaltyProgramEnrollments")
                })?;
                if enrolment.points.is_zero() {
                    continue;
                }
                let credit = Credit {
                    org_id: org.org_id,
                    customer_id,
                    event_log_id,
                    event_subject_id: customer_id,
                    program_id: enrolment.program_id,
                    points_category_id: category,
                    alternate_currency_id: None,
                    points: enrolment.points,
                    award_type: AwardType::Regular,
                    promotion_id: None,
                    line_item_id: None,
                    created_on: now,
                    expiry: enrolment.points_expiry.map_or_else(|| Expiry::rolling_days(now, 365), Expiry::Fixed),
                    conversion_date: None,
                    expiry_strategy: None,
                    allocation_strategy: None,
                    position: 0,
                    extra: json!({}),
                    entity_metadata: None,
                };
                ledger::post_credit(&mut tx, &credit).await?;
                earned_by_currency.push((None, enrolment.points));
            }
            let earned = earn::earn(
                &mut tx,
                &Earning {
                    org_id: org.org_id,
                    customer_id,
                    event_log_id,
                    event_subject_id: customer_id,
                    event_names: &["CustomerRegistration"],
                    bill_amount: None,
                    line_items: &[],
                    now,
                },
            )
            .await?;
            earned_by_currency.extend(earned.iter().map(|e| (side_effects::currency_of(e), e.points)));
            let context =
                RawContext { source_type: "Customer", customer_id, transaction_id: customer_id, bill_number: "", zone: org.time_zone };
            raw.extend(earned.iter().map(|e| side_effects::award_item(&context, e)));
            let moved = targets::advance(
                &mut tx,
                &Occurrence {
                    org_id: org.org_id,
                    customer_id,
                    event_log_id,
                    event_names: &["CustomerRegistration"],
                    event_time: now,
                    now,
                    till_id,
                    bill_id: None,
                    measures: Measures::default(),
                    reversal: false,
                },
            )
            .await?;
            raw.splice(0..0, moved.iter().map(side_effects::target_item));
            side_effects = side_effects::side_effects(&earned_by_currency, Amount::ONE);
            customer_id
        }
    };
    engine::changed(&mut tx).await?;
    tx.commit().await?;

    let mut answer = json!({"createdId": customer_id, "warnings": warnings, "sideEffects": side_effects});
    if raw_side_effects {
        answer["rawSideEffects"] = Value::Array(raw);
    }
    Ok(Json(answer))
}

/// The body's profiles and every identifier and channel they register.
fn read_profiles(
    root: &Fields<'_>,
    default_source: Option<&'static str>,
    default_account: Option<&str>,
) -> ApiResult<(Vec<Profile>, Vec<Identifier>)> {
    let items = root.array("profiles")?;
    if items.is_empty() {
        return Err(ApiError::detailed(codes::NO_IDENTIFIERS, ": 'profiles' must hold at least one profile").at("profiles"));
    }
    let mut profiles = Vec::new();
    let mut identifiers: Vec<Identifier> = Vec::new();
    for (index, item) in items.iter().enumerate() {
        let path = format!("profiles[{index}]");
        let Value::Object(object) = item else {
            return Err(ApiError::new(codes::INVALID_INPUT, format!("'{path}' must be an object")).at(&path));
        };
        let profile = Fields::new(&path, object);
        let source = match profile.text("source")? {
            Some(source) => known_source(&source).ok_or_else(|| source_invalid(&profile.name("source"), &source))?,
            None => default_source.ok_or_else(|| {
                ApiError::detailed(codes::NO_SOURCE, format!(": '{}' is required", profile.name("source"))).at(&profile.name("source"))
            })?,
        };
        let account_id = profile.text("accountId")?.or_else(|| default_account.map(str::to_owned));
        for (list, is_channel) in [("identifiers", false), ("commChannels", true)] {
            for (position, entry) in profile.array(list)?.iter().enumerate() {
                let entry_path = format!("{path}.{list}[{position}]");
                let Value::Object(entry) = entry else {
                    return Err(ApiError::new(codes::INVALID_INPUT, format!("'{entry_path}' must be an object")).at(&entry_path));
                };
                let entry = Fields::new(&entry_path, entry);
                let kind_text = entry.text("type")?.unwrap_or_default();
                let invalid_kind =
                    |code| ApiError::detailed(code, format!(": '{}' {kind_text:?}", entry.name("type"))).at(&entry.name("type"));
                let kind = match identifier_kind(&kind_text) {
                    Some("id") | None if is_channel => channel_kind(&kind_text).ok_or_else(|| invalid_kind(codes::INVALID_COMM_CHANNEL))?,
                    Some("id") | None => return Err(invalid_kind(codes::IDENTIFIER_INVALID)),
                    Some(kind) => kind,
                };
                let value = entry.text("value")?.ok_or_else(|| {
                    ApiError::detailed(codes::NO_IDENTIFIERS, format!(": '{}' is required", entry.name("value"))).at(&entry.name("value"))
                })?;
                check_identifier(kind, &value, &entry.name("value"))?;
                let primary = entry.flag("primary")?.unwrap_or(false);
                let verified = entry.flag("verified")?.unwrap_or(false);
                let subscribed = entry.flag("subscribed")?;
                let attributes = entry.object("meta")?.map(|meta| Value::Object(meta.clone()));
                match identifiers.iter_mut().find(|known| known.kind == kind && known.value == value && known.source == source) {
                    Some(known) => {
                        known.primary |= primary;
                        known.verified |= verified;
                        known.subscribed = subscribed.or(known.subscribed);
                        known.attributes = attributes.or(known.attributes.take());
                    }
                    None => identifiers.push(Identifier {
                        kind,
                        value,
                        source,
                        account_id: account_id.clone(),
                        primary,
                        verified,
                        subscribed,
                        attributes,
                    }),
                }
            }
        }
        profiles.push(Profile {
            first_name: profile.text("firstName")?.map(|name| name.chars().take(100).collect()),
            last_name: profile.text("lastName")?.map(|name| name.chars().take(100).collect()),
            source,
            account_id,
            fields: profile.object("fields")?.cloned(),
        });
    }
    if identifiers.is_empty() {
        return Err(ApiError::detailed(codes::NO_IDENTIFIERS, ": a profile needs identifiers[] with type and value").at("profiles"));
    }
    Ok((profiles, identifiers))
}

/// Channels that are not identifiers (`mobilePush`, `whatsapp`, ...), stored as their type.
fn channel_kind(kind: &str) -> Option<&'static str> {
    const CHANNELS: &[&str] = &["mobilePush", "whatsapp", "android", "ios", "line", "wechat"];
    CHANNELS.iter().copied().find(|known| known.eq_ignore_ascii_case(kind))
}

/// Mobiles are digits with the country code (8 to 15); emails have a local part and a domain.
fn check_identifier(kind: &str, value: &str, field: &str) -> ApiResult<()> {
    match kind {
        "mobile" if !(8..=15).contains(&value.len()) || !value.bytes().all(|b| b.is_ascii_digit()) => {
            Err(ApiError::detailed(codes::INVALID_MOBILE, format!(": '{field}' {value:?} must be 8 to 15 digits with the country code"))
                .at(field))
        }
        "email" if !is_email(value) => Err(ApiError::detailed(codes::INVALID_EMAIL, format!(": '{field}' {value:?}")).at(field)),
        _ if value.chars().count() > 255 => {
            Err(ApiError::detailed(codes::INVALID_INPUT, format!(": '{field}' is longer than 255 characters")).at(field))
        }
        _ => Ok(()),
    }
}

fn is_email(value: &str) -> bool {
    let Some((local, domain)) = value.split_once('@') else { return false };
    !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !value.contains(char::is_whitespace)
        && value.len() <= 255
}

fn read_enrolments(root: &Fields<'_>, zone: chrono_tz::Tz) -> ApiResult<Vec<Enrolment>> {
    let mut enrolments = Vec::new();
    for (index, item) in root.array("loyaltyProgramEnrollments")?.iter().enumerate() {
        let path = format!("loyaltyProgramEnrollments[{index}]");
        let Value::Object(object) = item else {
            return Err(ApiError::new(codes::INVALID_INPUT, format!("'{path}' must be an object")).at(&path));
        };
        let fields = Fields::new(&path, object);
        let program_id = fields.integer("programId", codes::PROGRAM_INVALID)?.ok_or_else(|| {
            ApiError::detailed(codes::PROGRAM_INVALID, format!(": '{}' is required", fields.name("programId")))
                .at(&fields.name("programId"))
        })?;
        let points = fields.amount("loyaltyPoints", codes::INVALID_INPUT)?.unwrap_or(Amount::ZERO);
        if points.is_sign_negative() {
            return Err(ApiError::detailed(codes::INVALID_INPUT, format!(": '{}' cannot be negative", fields.name("loyaltyPoints")))
                .at(&fields.name("loyaltyPoints")));
        }
        enrolments.push(Enrolment { program_id, points, points_expiry: fields.instant("pointsExpiryDate", zone)? });
    }
    Ok(enrolments)
}

/// Customers already holding one of the identifiers, with the identifier's source, lowest id first.
async fn existing_owners(tx: &mut PgConnection, org_id: i64, identifiers: &[Identifier]) -> sqlx::Result<Vec<(i64, String)>> {
    let kinds: Vec<String> = identifiers.iter().map(|i| i.kind.to_lowercase()).collect();
    let values: Vec<String> = identifiers.iter().map(|i| i.value.clone()).collect();
    sqlx::query_as(
        "SELECT DISTINCT i.customer_id, upper(i.source) FROM customer_identifiers i
         JOIN unnest($2::text[], $3::text[]) AS wanted(kind, value)
           ON lower(i.identifier_type) = wanted.kind
          AND lower(i.value) = lower(wanted.value) AND (i.value = wanted.value OR wanted.kind = 'email')
         WHERE i.org_id = $1 AND wanted.kind NOT IN ('mobilepush', 'whatsapp', 'android', 'ios')
         ORDER BY 1, 2",
    )
    .bind(org_id)
    .bind(&kinds)
    .bind(&values)
    .fetch_all(&mut *tx)
    .await
}

async fn insert_identifiers(tx: &mut PgConnection, org_id: i64, customer_id: i64, identifiers: &[Identifier]) -> sqlx::Result<()> {
    let first_position: i32 = sqlx::query_scalar("SELECT coalesce(max(position) + 1, 0) FROM customer_identifiers WHERE customer_id = $1")
        .bind(customer_id)
        .fetch_one(&mut *tx)
        .await?;
    for (offset, identifier) in identifiers.iter().enumerate() {
        sqlx::query(
            "INSERT INTO customer_identifiers (org_id, customer_id, identifier_type, value, source, account_id, is_primary, verified,
                                               subscribed, attributes, position)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) ON CONFLICT DO NOTHING",
        )
        .bind(org_id)
        .bind(customer_id)
        .bind(identifier.kind)
        .bind(&identifier.value)
        .bind(identifier.source)
        .bind(&identifier.account_id)
        .bind(identifier.primary)
        .bind(identifier.verified)
        .bind(identifier.subscribed)
        .bind(&identifier.attributes)
        .bind(first_position + i32::try_from(offset).unwrap_or(0))
        .execute(&mut *tx)
        .await?;
    }
    Ok(())
}

/// The attribution actor of a write made at a till (`created_by`).
async fn till_actor(tx: &mut PgConnection, till_id: Option<i64>) -> sqlx::Result<Option<Value>> {
    let Some(till_id) = till_id else { return Ok(None) };
    let till: Option<(String, Option<String>)> =
        sqlx::query_as("SELECT code, name FROM tills WHERE till_id = $1").bind(till_id).fetch_optional(&mut *tx).await?;
    Ok(till.map(|(code, name)| json!({"id": till_id, "code": code, "description": "", "name": name.unwrap_or_else(|| code.clone()), "type": "TILL"})))
}

/// The id of the customer an identifier names in a source: `{"entity": id, "warnings": []}`.
#[utoipa::path(get, path = "/v2/customers/lookup", tag = "v2 writes",
    params(("source" = String, Query), ("identifierName" = String, Query), ("identifierValue" = String, Query), ("accountId" = Option<String>, Query)),
    responses((status = 200, description = "The customer's id", body = Value)))]
pub async fn lookup_customer(Caller { org, mut db, .. }: Caller, params: Params) -> ApiResult<Json<Value>> {
    let customer_id = lookup(&mut db, org.org_id, &params).await?;
    Ok(Json(json!({"entity": customer_id, "warnings": []})))
}

/// The customer `source`, `identifierName`, `identifierValue` (comma-separated lists of the same
/// length: the first pair that names a customer wins) and `accountId` name.
pub async fn lookup(db: &mut PgConnection, org_id: i64, params: &Params) -> ApiResult<i64> {
    let source = params.text("source").ok_or_else(|| ApiError::detailed(codes::LOOKUP_NO_SOURCE, ": 'source' is required").at("source"))?;
    let source = if source.eq_ignore_ascii_case("ALL") {
        None
    } else {
        Some(
            known_source(source)
                .ok_or_else(|| ApiError::detailed(codes::LOOKUP_SOURCE_INVALID, format!(": 'source' {source}")).at("source"))?,
        )
    };
    let (Some(names), Some(values)) = (params.text("identifierName"), params.text("identifierValue")) else {
        return Err(
            ApiError::detailed(codes::LOOKUP_NO_IDENTIFIERS, ": 'identifierName' and 'identifierValue' are required").at("identifierName")
        );
    };
    let names: Vec<&str> = names.split(',').map(str::trim).collect();
    let values: Vec<&str> = values.split(',').map(str::trim).collect();
    if names.len() != values.len() {
        return Err(ApiError::detailed(codes::LOOKUP_NO_IDENTIFIERS, ": 'identifierName' and 'identifierValue' must list as many items")
            .at("identifierValue"));
    }
    let account_id = params.text("accountId");
    let mut elsewhere = false;
    for (name, value) in names.iter().zip(&values) {
        let kind = identifier_kind(name)
            .filter(|kind| *kind != "id")
            .ok_or_else(|| ApiError::detailed(codes::IDENTIFIER_INVALID, format!(": 'identifierName' {name}")).at("identifierName"))?;
        let key = crate::store::customers::CustomerKey::Identifier { kind, value };
        let filter = crate::store::customers::SourceFilter { source, account_id };
        if let Some(id) = crate::store::customers::reachable_customer(&mut *db, org_id, key, filter).await? {
            return Ok(id);
        }
        let any = crate::store::customers::SourceFilter { source: None, account_id: None };
        elsewhere |= crate::store::customers::reachable_customer(&mut *db, org_id, key, any).await?.is_some();
    }
    let code = if elsewhere { codes::NOT_IN_SOURCE } else { codes::CUSTOMER_NOT_FOUND };
    Err(ApiError::of(code).at("identifierValue"))
}

/// The customer's profile (`embed=points`: with its points summary).
#[utoipa::path(get, path = "/v2/customers/{userId}", tag = "v2 writes",
    params(("userId" = i64, Path), ("source" = Option<String>, Query), ("embed" = Option<String>, Query, description = "points")),
    responses((status = 200, description = "The customer", body = Value)))]
pub async fn customer_details(writer: Writer, Path(user_id): Path<String>, params: Params) -> ApiResult<Json<Value>> {
    let Writer { org, mut db, now, .. } = writer;
    let user_id: i64 = path_param("userId", &user_id).map_err(|error| ApiError { code: codes::IDENTIFIER_VALUE_INVALID, ..error })?;
    let embeds: Vec<&str> = params.text("embed").map(|embed| embed.split(',').map(str::trim).collect()).unwrap_or_default();
    if let Some(unknown) = embeds.iter().find(|embed| !embed.eq_ignore_ascii_case("points")) {
        return Err(ApiError::bad_parameter("embed", format!("embed '{unknown}' is not supported; supported: points")));
    }
    if let Some(source) = params.text("source").filter(|source| !source.eq_ignore_ascii_case("ALL")) {
        known_source(source)
            .ok_or_else(|| ApiError::detailed(codes::LOOKUP_SOURCE_INVALID, format!(": 'source' {source}")).at("source"))?;
    }
    let profile = crate::store::customers::profile(&mut *db, org.org_id, user_id)
        .await?
        .ok_or_else(|| ApiError::detailed(codes::CUSTOMER_NOT_FOUND, format!(" (id {user_id})")).at("userId"))?;
    let rows: Vec<(String, String, String, Option<String>, bool, bool)> = sqlx::query_as(
        "SELECT identifier_type, value, upper(source), account_id, is_primary, verified FROM customer_identifiers
         WHERE org_id = $1 AND customer_id = $2 ORDER BY position, identifier_type, value",
    )
    .bind(org.org_id)
    .bind(user_id)
    .fetch_all(&mut *db)
    .await?;
    let extended: Value =
        sqlx::query_scalar("SELECT extended_fields FROM customers WHERE customer_id = $1").bind(user_id).fetch_one(&mut *db).await?;
    let mut sources: Vec<String> = rows.iter().map(|row| row.2.clone()).collect();
    if sources.is_empty() {
        sources.push(profile.source.to_uppercase());
    }
    sources.dedup();
    let profiles: Vec<Value> = sources
        .iter()
        .map(|source| {
            let mine = rows.iter().filter(|row| &row.2 == source);
            json!({
                "firstName": profile.first_name, "lastName": profile.last_name,
                "fields": profile.custom_fields,
                "identifiers": mine.clone().map(|row| json!({"type": row.0, "value": row.1})).collect::<Vec<_>>(),
                "commChannels": mine.clone().filter(|row| matches!(row.0.as_str(), "mobile" | "email")).map(|row| json!({
                    "type": row.0, "value": row.1, "primary": row.4, "verified": row.5})).collect::<Vec<_>>(),
                "source": source, "userId": user_id,
                "accountId": mine.clone().find_map(|row| row.3.clone()).unwrap_or_default(),
            })
        })
        .collect();
    let mut answer = json!({
        "id": user_id,
        "profiles": profiles,
        "loyaltyInfo": {"loyaltyType": profile.loyalty_type, "lifetimePurchases": profile.lifetime_purchases.as_double()},
        "extendedFields": extended,
        "warnings": [],
    });
    if !embeds.is_empty() {
        answer["pointsSummary"] = points_summary(&mut db, org.org_id, user_id, profile.lifetime_purchases, now).await?;
    }
    Ok(Json(answer))
}
