//! `POST /v2/transactions` and `POST /v2/transactions/bulk`: adding a bill (REGULAR) or returning
//! one (RETURN), with what the org's rules make of it — points and alternate currencies earned or
//! taken back, targets moved and completed — in one database transaction per bill.

use axum::{
    Json,
    body::Bytes,
    http::StatusCode,
    response::{IntoResponse, Response},
};
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde_json::{Map, Value, json};
use sqlx::{FromRow, PgConnection};

use super::{
    Writer,
    body::{self, Fields},
    codes, find_customer, known_source,
    side_effects::{self, RawContext},
    source_invalid,
};
use crate::{
    engine::{
        self, Amount,
        earn::{self, Earning, EarningLine},
        events::NewEvent,
        ledger::{self, Debit},
        targets::{self, Measures, Occurrence},
    },
    http::{
        error::{ApiError, ApiResult},
        extract::Params,
    },
};

/// The most transactions one bulk request takes.
pub const BULK_LIMIT: usize = 100;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Regular,
    Return,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ReturnType {
    Amount,
    Full,
    LineItem,
    Cancelled,
}

impl ReturnType {
    fn as_str(self) -> &'static str {
        match self {
            ReturnType::Amount => "AMOUNT",
            ReturnType::Full => "FULL",
            ReturnType::LineItem => "LINE_ITEM",
            ReturnType::Cancelled => "CANCELLED",
        }
    }

    fn is_whole(self) -> bool {
        matches!(self, ReturnType::Full | ReturnType::Cancelled)
    }
}

#[derive(Debug, Clone)]
struct LineInput {
    item_code: String,
    qty: Option<Amount>,
    rate: Option<Amount>,
    value: Option<Amount>,
    discount: Option<Amount>,
    amount: Option<Amount>,
    serial: Option<i64>,
}

/// A transaction as the body gives it, checked.
#[derive(Debug, Clone)]
struct TransactionInput {
    kind: Kind,
    return_type: Option<ReturnType>,
    bill_number: String,
    /// RETURN: the transaction returned (`id`).
    original_id: Option<i64>,
    bill_amount: Option<Amount>,
    billing_date: Option<DateTime<Utc>>,
    purchase_time: Option<DateTime<Utc>>,
    discount: Option<Amount>,
    gross_amount: Option<Amount>,
    note: Option<String>,
    custom_fields: Option<Map<String, Value>>,
    extended_fields: Option<Map<String, Value>>,
    payment_modes: Vec<String>,
    line_items: Vec<LineInput>,
}

fn required_error(code: crate::http::error::ErrorCode, fields: &Fields<'_>, field: &str) -> ApiError {
    ApiError::detailed(code, format!(": '{}' is required", fields.name(field))).at(&fields.name(field))
}

fn negative_error(code: crate::http::error::ErrorCode, fields: &Fields<'_>, field: &str) -> ApiError {
    ApiError::detailed(code, format!(": '{}'", fields.name(field))).at(&fields.name(field))
}

/// A non-negative amount, or `code`.
fn non_negative(fields: &Fields<'_>, field: &str, code: crate::http::error::ErrorCode) -> ApiResult<Option<Amount>> {
    match fields.amount(field, code)? {
        Some(amount) if amount.is_sign_negative() && !amount.is_zero() => Err(negative_error(code, fields, field)),
        other => Ok(other),
    }
}

fn read_transaction(fields: &Fields<'_>, zone: Tz) -> ApiResult<TransactionInput> {
    let kind_text = fields.text("type")?.ok_or_else(|| required_error(codes::TRANSACTION_TYPE_INVALID, fields, "type"))?;
    let kind = match kind_text.to_ascii_uppercase().as_str() {
        "REGULAR" => Kind::Regular,
        "RETURN" => Kind::Return,
        "NOT_INTERESTED" | "NOT_INTERESTED_RETURN" => {
            return Err(ApiError::detailed(
                codes::TRANSACTION_TYPE_INVALID,
                format!(": '{}' {kind_text} is not emulated (no loyalty happens for it); use REGULAR or RETURN", fields.name("type")),
            )
            .at(&fields.name("type")));
        }
        _ => {
            return Err(ApiError::detailed(
                codes::TRANSACTION_TYPE_INVALID,
                format!(": '{}' {kind_text}; one of REGULAR, RETURN", fields.name("type")),
            )
            .at(&fields.name("type")));
        }
    };
    let return_type = match (kind, fields.text("returnType")?) {
        (Kind::Regular, _) => None,
        (Kind::Return, None) => return Err(required_error(codes::RETURN_TYPE_INVALID, fields, "returnType")),
        (Kind::Return, Some(text)) => Some(match text.to_ascii_uppercase().as_str() {
            "AMOUNT" => ReturnType::Amount,
            "FULL" => ReturnType::Full,
            "LINE_ITEM" => ReturnType::LineItem,
            "CANCELLED" => ReturnType::Cancelled,
            _ => {
                return Err(ApiError::detailed(
                    codes::RETURN_TYPE_INVALID,
                    format!(": '{}' {text}; one of AMOUNT, FULL, LINE_ITEM, CANCELLED", fields.name("returnType")),
                )
                .at(&fields.name("returnType")));
            }
        }),
    };
    let bill_number = fields.text("billNumber")?.ok_or_else(|| required_error(codes::BILL_NUMBER_INVALID, fields, "billNumber"))?;
    if bill_number.chars().count() > 50 {
        return Err(ApiError::detailed(
            codes::BILL_NUMBER_INVALID,
            format!(": '{}' is longer than 50 characters", fields.name("billNumber")),
        )
        .at(&fields.name("billNumber")));
    }
    let note = fields.text("note")?;
    if note.as_ref().is_some_and(|note| note.chars().count() > 250) {
        return Err(ApiError::detailed(codes::FIELD_TOO_LONG, format!(": '{}' is longer than 250 characters", fields.name("note")))
            .at(&fields.name("note")));
    }
    let mut payment_modes = Vec::new();
    for (index, mode) in fields.array("paymentModes")?.iter().enumerate() {
        let path = format!("{}[{index}]", fields.name("paymentModes"));
        let Value::Object(mode) = mode else {
            return Err(ApiError::new(codes::INVALID_INPUT, format!("'{path}' must be an object")).at(&path));
        };
        let mode = Fields::new(&path, mode);
        payment_modes.push(mode.text("mode")?.ok_or_else(|| required_error(codes::INVALID_INPUT, &mode, "mode"))?);
    }
    let mut line_items = Vec::new();
    for (index, item) in fields.array("lineItemsV2")?.iter().enumerate() {
        let path = format!("{}[{index}]", fields.name("lineItemsV2"));
        let Value::Object(item) = item else {
            return Err(ApiError::new(codes::INVALID_INPUT, format!("'{path}' must be an object")).at(&path));
        };
        let item = Fields::new(&path, item);
        let qty = item.amount("qty", codes::QUANTITY_NEGATIVE)?;
        if qty.is_some_and(|qty| qty.is_sign_negative() && !qty.is_zero()) {
            return Err(negative_error(codes::QUANTITY_NEGATIVE, &item, "qty"));
        }
        line_items.push(LineInput {
            item_code: item.text("itemCode")?.ok_or_else(|| required_error(codes::INVALID_INPUT, &item, "itemCode"))?,
            qty,
            rate: non_negative(&item, "rate", codes::LINE_ITEM_RATE_NEGATIVE)?,
            value: non_negative(&item, "value", codes::LINE_ITEM_VALUE_NEGATIVE)?,
            discount: non_negative(&item, "discount", codes::LINE_ITEM_DISCOUNT_NEGATIVE)?,
            amount: non_negative(&item, "amount", codes::LINE_ITEM_AMOUNT_NEGATIVE)?,
            serial: item.integer("serial", codes::INVALID_INPUT)?,
        });
    }
    Ok(TransactionInput {
        kind,
        return_type,
        bill_number,
        original_id: fields.integer("id", codes::TRANSACTION_ID_INVALID)?,
        bill_amount: non_negative(fields, "billAmount", codes::BILL_AMOUNT_INVALID)?,
        billing_date: fields.instant("billingDate", zone)?,
        purchase_time: fields.instant("purchaseTime", zone)?,
        discount: non_negative(fields, "discount", codes::DISCOUNT_NEGATIVE)?,
        gross_amount: non_negative(fields, "grossAmount", codes::GROSS_AMOUNT_NEGATIVE)?,
        note,
        custom_fields: fields.object("customFields")?.cloned(),
        extended_fields: fields.object("extendedFields")?.cloned(),
        payment_modes,
        line_items,
    })
}

/// What one transaction did, as the answers tell it.
struct Outcome {
    transaction_id: i64,
    side_effects: Vec<side_effects::SideEffect>,
    raw_side_effects: Vec<Value>,
    first_name: Option<String>,
    last_name: Option<String>,
}

/// Adds or returns one transaction of the customer the query names.
#[utoipa::path(post, path = "/v2/transactions", tag = "v2 writes",
    params(("identifierName" = String, Query), ("identifierValue" = String, Query), ("source" = Option<String>, Query),
           ("accountId" = Option<String>, Query), ("rawSideEffects" = Option<bool>, Query)),
    request_body(content = Value, description = "The transaction: type, billNumber, billAmount, billingDate, lineItemsV2, paymentModes, customFields, extendedFields; returns: returnType, purchaseTime, id"),
    responses((status = 200, description = "createdId, sideEffects, rawSideEffects", body = Value)))]
pub async fn add_transaction(writer: Writer, params: Params, body: Bytes) -> ApiResult<Json<Value>> {
    let Writer { tenant: _, org, mut db, till_id, now } = writer;
    let raw = params.flag("rawSideEffects")?;
    let source = params.text("source").map(|source| known_source(source).ok_or_else(|| source_invalid("source", source))).transpose()?;
    let body = body::object(&body)?;
    let input = read_transaction(&Fields::new("", &body), org.time_zone)?;
    let customer_id = find_customer(
        &mut db,
        org.org_id,
        ("identifierName", params.text("identifierName")),
        ("identifierValue", params.text("identifierValue")),
        source,
        params.text("accountId"),
    )
    .await?;
    let context = Context { org_id: org.org_id, zone: org.time_zone, till_id, now, source: source.unwrap_or("INSTORE") };
    let outcome = apply(&mut db, &context, customer_id, &input).await?;
    let mut answer = json!({
        "createdId": outcome.transaction_id,
        "warnings": [],
        "errors": [],
        "sideEffects": outcome.side_effects,
    });
    if raw {
        answer["rawSideEffects"] = Value::Array(outcome.raw_side_effects);
    }
    answer["loyaltyDetails"] = json!([]);
    answer["customerInfo"] = json!({"firstName": outcome.first_name, "lastName": outcome.last_name});
    Ok(Json(answer))
}

/// Adds or returns each transaction of the array on its own (one database transaction each): an
/// item that fails leaves the others standing. 200 when all were added, 201 when some failed, 400
/// when all did.
#[utoipa::path(post, path = "/v2/transactions/bulk", tag = "v2 writes",
    request_body(content = Value, description = "An array of transactions, each with identifierType, identifierValue and source"),
    responses(
        (status = 200, description = "Every transaction added: response[] with entityId, result, errors, warnings; totalCount, failureCount", body = Value),
        (status = 201, description = "Some transactions refused: the same body, each refused item with its errors", body = Value),
        (status = 400, description = "Every transaction refused: the same body, each item with its errors in the v2 item shape; or, for a body that is not a JSON array of transactions, the v2 envelope", body = Value)))]
pub async fn add_transactions_bulk(writer: Writer, body: Bytes) -> ApiResult<Response> {
    let Writer { tenant: _, org, mut db, till_id, now } = writer;
    let items = match serde_json::from_slice::<Value>(&body) {
        Ok(Value::Array(items)) => items,
        Ok(_) => return Err(ApiError::new(codes::INVALID_INPUT, "The request body must be a JSON array of transactions").at("body")),
        Err(error) => return Err(ApiError::new(codes::INVALID_INPUT, format!("The request body is not valid JSON: {error}")).at("body")),
    };
    if items.len() > BULK_LIMIT {
        return Err(ApiError::detailed(codes::BATCH_TOO_LARGE, format!(": {} transactions, at most {BULK_LIMIT}", items.len())).at("body"));
    }
    let mut response = Vec::with_capacity(items.len());
    let mut failures = 0;
    for (index, item) in items.iter().enumerate() {
        let outcome: ApiResult<Outcome> = async {
            let path = format!("[{index}]");
            let Value::Object(object) = item else {
                return Err(ApiError::new(codes::INVALID_INPUT, format!("'{path}' must be an object")).at(&path));
            };
            let fields = Fields::new(&path, object);
            let source_text = fields.text("source")?;
            let source = source_text
                .as_deref()
                .map(|source| known_source(source).ok_or_else(|| source_invalid(&fields.name("source"), source)))
                .transpose()?;
            let input = read_transaction(&fields, org.time_zone)?;
            let (name, value) = (fields.text("identifierType")?, fields.text("identifierValue")?);
            let customer_id = find_customer(
                &mut db,
                org.org_id,
                (&fields.name("identifierType"), name.as_deref()),
                (&fields.name("identifierValue"), value.as_deref()),
                source,
                fields.text("accountId")?.as_deref(),
            )
            .await?;
            let context = Context { org_id: org.org_id, zone: org.time_zone, till_id, now, source: source.unwrap_or("INSTORE") };
            apply(&mut db, &context, customer_id, &input).await
        }
        .await;
        match outcome {
            Ok(outcome) => {
                let mut result = item.clone();
                if let Value::Object(result) = &mut result {
                    result.insert("sideEffects".to_owned(), json!(outcome.side_effects));
                }
                response.push(json!({"entityId": outcome.transaction_id, "result": result, "errors": [], "warnings": []}));
            }
            Err(error) if error.code.status.is_client_error() => {
                failures += 1;
                response.push(json!({
                    "entityId": null,
                    "result": item,
                    "errors": [{"status": false, "code": error.code.number, "message": error.message}],
                    "warnings": [],
                }));
            }
            Err(error) => return Err(error),
        }
    }
    let status = match failures {
        0 => StatusCode::OK,
        failed if failed == items.len() => StatusCode::BAD_REQUEST,
        _ => StatusCode::CREATED,
    };
    let body = json!({"response": response, "totalCount": items.len(), "failureCount": failures});
    Ok((status, Json(body)).into_response())
}

/// Where and when a transaction is written.
struct Context {
    org_id: i64,
    zone: Tz,
    till_id: Option<i64>,
    now: DateTime<Utc>,
    source: &'static str,
}

/// Writes the transaction and everything it causes in one database transaction.
async fn apply(db: &mut PgConnection, context: &Context, customer_id: i64, input: &TransactionInput) -> ApiResult<Outcome> {
    let mut tx = sqlx::Connection::begin(&mut *db).await?;
    let (first_name, last_name): (Option<String>, Option<String>) =
        sqlx::query_as("SELECT first_name, last_name FROM customers WHERE org_id = $1 AND customer_id = $2 FOR UPDATE")
            .bind(context.org_id)
            .bind(customer_id)
            .fetch_one(&mut *tx)
            .await?;
    let happened = input.billing_date.unwrap_or(context.now);
    if happened > context.now {
        return Err(ApiError::detailed(
            codes::DATE_IN_FUTURE,
            format!(": 'billingDate' is after the emulator's clock ({})", context.now.to_rfc3339()),
        )
        .at("billingDate"));
    }
    let (transaction_id, side_effects, raw_side_effects) = match input.kind {
        Kind::Regular => add(&mut tx, context, customer_id, input, happened).await?,
        Kind::Return => return_bill(&mut tx, context, customer_id, input, happened).await?,
    };
    engine::changed(&mut tx).await?;
    tx.commit().await?;
    Ok(Outcome { transaction_id, side_effects, raw_side_effects, first_name, last_name })
}

type Effects = (i64, Vec<side_effects::SideEffect>, Vec<Value>);

async fn add(
    tx: &mut PgConnection,
    context: &Context,
    customer_id: i64,
    input: &TransactionInput,
    happened: DateTime<Utc>,
) -> ApiResult<Effects> {
    let line_total: Option<Amount> = (!input.line_items.is_empty()).then(|| input.line_items.iter().map(line_amount).sum());
    let bill_amount = input.bill_amount.or(line_total).ok_or_else(|| {
        ApiError::detailed(codes::BILL_AMOUNT_INVALID, ": 'billAmount' is required when there are no lineItemsV2").at("billAmount")
    })?;
    engine::lock_key(tx, &format!("bill/{}/{}/{}", context.org_id, context.till_id.unwrap_or(-1), input.bill_number)).await?;
    let duplicate: bool = sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM bills b JOIN event_logs e ON e.event_log_id = b.event_log_id
                        WHERE b.org_id = $1 AND b.bill_number = $2 AND e.event_name = 'TransactionAdd' AND e.till_id IS NOT DISTINCT FROM $3)",
    )
    .bind(context.org_id)
    .bind(&input.bill_number)
    .bind(context.till_id)
    .fetch_one(&mut *tx)
    .await?;
    if duplicate {
        return Err(ApiError::detailed(codes::DUPLICATE_BILL_NUMBER, format!(": '{}' was already added at this till", input.bill_number))
            .at("billNumber"));
    }
    let event_log_id = engine::events::record_event(
        tx,
        &NewEvent {
            org_id: context.org_id,
            customer_id,
            event_name: "TransactionAdd".to_owned(),
            event_time: happened,
            processing_time: context.now,
            till_id: context.till_id,
            event_reference_id: None,
            unique_id: None,
            request_id: None,
            generic_event_id: None,
            details: event_details(input),
        },
    )
    .await?;
    // A transaction's id is its event's: createdId, the event's reference id, sourceId.
    let transaction_id = event_log_id;
    engine::events::set_reference_id(tx, event_log_id, &transaction_id.to_string()).await?;
    sqlx::query(
        "INSERT INTO bills (event_log_id, org_id, bill_type, bill_number, gross_amount, discount, bill_amount, note, source, bill_date)
         VALUES ($1, $2, 'loyalty', $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(event_log_id)
    .bind(context.org_id)
    .bind(&input.bill_number)
    .bind(input.gross_amount)
    .bind(input.discount)
    .bind(bill_amount)
    .bind(input.note.clone().unwrap_or_default())
    .bind(context.source.to_lowercase())
    .bind(happened)
    .execute(&mut *tx)
    .await?;
    let mut lines = Vec::with_capacity(input.line_items.len());
    for (position, line) in input.line_items.iter().enumerate() {
        let line_item_id: i64 = sqlx::query_scalar(
            "INSERT INTO bill_line_items (event_log_id, org_id, position, item_code, source, serial_number, gross_amount, discount, amount, rate, qty)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING line_item_id",
        )
        .bind(event_log_id)
        .bind(context.org_id)
        .bind(i32::try_from(position).unwrap_or(i32::MAX))
        .bind(&line.item_code)
        .bind(context.source.to_lowercase())
        .bind(line.serial.and_then(|serial| i32::try_from(serial).ok()))
        .bind(line.value)
        .bind(line.discount)
        .bind(line_amount(line))
        .bind(line.rate)
        .bind(line.qty)
        .fetch_one(&mut *tx)
        .await?;
        lines.push(EarningLine { line_item_id, item_code: line.item_code.clone(), amount: line_amount(line) });
    }
    for (position, mode) in input.payment_modes.iter().enumerate() {
        sqlx::query("INSERT INTO bill_payment_modes (event_log_id, position, org_id, mode) VALUES ($1, $2, $3, $4)")
            .bind(event_log_id)
            .bind(i32::try_from(position).unwrap_or(i32::MAX))
            .bind(context.org_id)
            .bind(mode)
            .execute(&mut *tx)
            .await?;
    }
    let earned = earn::earn(
        tx,
        &Earning {
            org_id: context.org_id,
            customer_id,
            event_log_id,
            event_subject_id: transaction_id,
            event_names: &["TransactionAdd"],
            bill_amount: Some(bill_amount),
            line_items: &lines,
            now: context.now,
        },
    )
    .await?;
    sqlx::query("UPDATE customers SET lifetime_purchases = lifetime_purchases + $2, last_updated_on = $3 WHERE customer_id = $1")
        .bind(customer_id)
        .bind(bill_amount)
        .bind(context.now)
        .execute(&mut *tx)
        .await?;
    let points: Amount = earned.iter().filter(|e| e.rule.alternate_currency_id.is_none()).map(|e| e.points).sum();
    let quantity: Option<Amount> =
        (!input.line_items.is_empty()).then(|| input.line_items.iter().map(|line| line.qty.unwrap_or(Amount::ONE)).sum());
    let moved = targets::advance(
        tx,
        &Occurrence {
            org_id: context.org_id,
            customer_id,
            event_log_id,
            event_names: &["TransactionAdd"],
            event_time: happened,
            now: context.now,
            till_id: context.till_id,
            bill_id: Some(transaction_id),
            measures: Measures { bill_amount: Some(bill_amount), gross_amount: input.gross_amount, quantity, points },
            reversal: false,
        },
    )
    .await?;
    let raw_context = RawContext { source_type: "Bill", customer_id, transaction_id, bill_number: &input.bill_number, zone: context.zone };
    let mut raw: Vec<Value> = moved.iter().map(side_effects::target_item).collect();
    raw.extend(earned.iter().map(|e| side_effects::award_item(&raw_context, e)));
    let by_currency: Vec<_> = earned.iter().map(|e| (side_effects::currency_of(e), e.points)).collect();
    Ok((transaction_id, side_effects::side_effects(&by_currency, Amount::ONE), raw))
}

/// A line's amount: `amount`, else `value` less `discount`, else `rate` × `qty`.
fn line_amount(line: &LineInput) -> Amount {
    line.amount
        .or_else(|| line.value.map(|value| value - line.discount.unwrap_or(Amount::ZERO)))
        .or_else(|| line.rate.map(|rate| rate * line.qty.unwrap_or(Amount::ONE)))
        .unwrap_or(Amount::ZERO)
}

#[derive(Debug, FromRow)]
struct OriginalBill {
    event_log_id: i64,
    bill_amount: Option<Amount>,
    bill_date: Option<DateTime<Utc>>,
    event_time: DateTime<Utc>,
    till_id: Option<i64>,
}

#[derive(Debug, FromRow)]
struct PriorReturn {
    return_type: Option<String>,
    return_amount: Option<Amount>,
}

#[derive(Debug, FromRow)]
struct OriginalAward {
    points_award_id: i64,
    award_type: String,
    program_id: i64,
    promotion_id: Option<i64>,
    points_category_id: Option<i64>,
    alternate_currency_id: Option<i64>,
    alternate_currency_identifier: Option<String>,
    alternate_currency_name: Option<String>,
    value: Amount,
    awarded: Amount,
    expires_on: Option<DateTime<Utc>>,
    expiry_type: Option<String>,
    awarded_on: Option<DateTime<Utc>>,
    position: i32,
}

async fn return_bill(
    tx: &mut PgConnection,
    context: &Context,
    customer_id: i64,
    input: &TransactionInput,
    happened: DateTime<Utc>,
) -> ApiResult<Effects> {
    let return_type = input.return_type.unwrap_or(ReturnType::Full);
    let original: Option<OriginalBill> = sqlx::query_as(
        "SELECT e.event_log_id, b.bill_amount, b.bill_date, e.event_time, e.till_id FROM bills b JOIN event_logs e ON e.event_log_id = b.event_log_id
         WHERE e.org_id = $1 AND e.customer_id = $2 AND e.event_name = 'TransactionAdd' AND b.bill_number = $3
           AND ($4::bigint IS NULL OR e.event_reference_id = $4::text)
         ORDER BY e.event_time DESC, e.event_log_id DESC LIMIT 1",
    )
    .bind(context.org_id)
    .bind(customer_id)
    .bind(&input.bill_number)
    .bind(input.original_id)
    .fetch_optional(&mut *tx)
    .await?;
    let original = original.ok_or_else(|| {
        ApiError::detailed(codes::RETURN_BILL_NOT_FOUND, format!(" (billNumber '{}' of customer {customer_id})", input.bill_number))
            .at("billNumber")
    })?;
    let purchased_at = original.bill_date.unwrap_or(original.event_time);
    if happened < purchased_at || input.purchase_time.is_some_and(|purchase| happened < purchase) {
        return Err(ApiError::of(codes::RETURN_BEFORE_PURCHASE).at("billingDate"));
    }
    let original_id = original.event_log_id;
    engine::lock_key(tx, &format!("return/{}/{original_id}", context.org_id)).await?;
    let prior: Vec<PriorReturn> = sqlx::query_as(
        "SELECT b.return_type, b.return_amount FROM bills b JOIN event_logs e ON e.event_log_id = b.event_log_id
         WHERE e.org_id = $1 AND e.event_name = 'ReturnBill' AND e.event_reference_id = $2",
    )
    .bind(context.org_id)
    .bind(original_id.to_string())
    .fetch_all(&mut *tx)
    .await?;
    let prior_type = |wanted: &[&str]| prior.iter().any(|p| p.return_type.as_deref().is_some_and(|t| wanted.contains(&t)));
    if prior_type(&["FULL", "CANCELLED"]) {
        return Err(ApiError::of(codes::ALREADY_FULLY_RETURNED).at("billNumber"));
    }
    match return_type {
        ReturnType::Amount if prior_type(&["LINE_ITEM"]) => return Err(ApiError::of(codes::ALREADY_RETURNED_LINE_ITEM).at("returnType")),
        ReturnType::LineItem if prior_type(&["AMOUNT"]) => return Err(ApiError::of(codes::ALREADY_RETURNED_AMOUNT).at("returnType")),
        ReturnType::Full | ReturnType::Cancelled if !prior.is_empty() => {
            return Err(ApiError::new(
                codes::RETURN_TYPE_INVALID,
                "Transaction is already returned, you cannot return full transaction again",
            )
            .at("returnType"));
        }
        _ => {}
    }
    let purchase_amount = original.bill_amount.unwrap_or(Amount::ZERO);
    let returned_before: Amount = prior.iter().filter_map(|p| p.return_amount).sum();
    let mut returned_lines: Vec<(String, Amount, Amount)> = Vec::new();
    let returned = match return_type {
        ReturnType::Full | ReturnType::Cancelled => purchase_amount - returned_before,
        ReturnType::Amount => input.bill_amount.filter(|amount| !amount.is_zero()).ok_or_else(|| {
            ApiError::detailed(codes::BILL_AMOUNT_INVALID, ": 'billAmount' (the amount returned) is required for returnType AMOUNT")
                .at("billAmount")
        })?,
        ReturnType::LineItem => {
            if input.line_items.is_empty() {
                return Err(
                    ApiError::detailed(codes::RETURN_LINE_ITEM_INVALID, ": 'lineItemsV2' must name the items returned").at("lineItemsV2")
                );
            }
            let mut total = Amount::ZERO;
            for (index, line) in input.line_items.iter().enumerate() {
                let bought: Option<(Amount, Amount)> = sqlx::query_as(
                    "SELECT coalesce(sum(qty), 0), coalesce(sum(amount), 0) FROM bill_line_items WHERE event_log_id = $1 AND item_code = $2 HAVING count(*) > 0",
                )
                .bind(original_id)
                .bind(&line.item_code)
                .fetch_optional(&mut *tx)
                .await?;
                let field = format!("lineItemsV2[{index}].itemCode");
                let (bought_qty, bought_amount) = bought.ok_or_else(|| {
                    ApiError::detailed(codes::RETURN_LINE_ITEM_INVALID, format!(": '{field}' {}", line.item_code)).at(&field)
                })?;
                let returned_qty: Amount = sqlx::query_scalar(
                    "SELECT coalesce(sum(li.return_qty), 0) FROM bill_line_items li JOIN event_logs e ON e.event_log_id = li.event_log_id
                     WHERE e.event_name = 'ReturnBill' AND e.event_reference_id = $1 AND li.item_code = $2",
                )
                .bind(original_id.to_string())
                .bind(&line.item_code)
                .fetch_one(&mut *tx)
                .await?;
                let qty = line.qty.unwrap_or(Amount::ONE);
                if qty + returned_qty > bought_qty {
                    return Err(
                        ApiError::detailed(codes::RETURN_QUANTITY_TOO_HIGH, &line.item_code).at(&format!("lineItemsV2[{index}].qty"))
                    );
                }
                let amount =
                    line.amount.unwrap_or_else(|| if bought_qty.is_zero() { Amount::ZERO } else { bought_amount / bought_qty * qty });
                total += amount;
                returned_lines.push((line.item_code.clone(), qty, amount));
            }
            total
        }
    };
    if returned + returned_before > purchase_amount {
        return Err(ApiError::of(codes::RETURN_AMOUNT_TOO_HIGH).at("billAmount"));
    }

    let event_log_id = engine::events::record_event(
        tx,
        &NewEvent {
            org_id: context.org_id,
            customer_id,
            event_name: "ReturnBill".to_owned(),
            event_time: happened,
            processing_time: context.now,
            till_id: context.till_id.or(original.till_id),
            event_reference_id: Some(original_id.to_string()),
            unique_id: None,
            request_id: None,
            generic_event_id: None,
            details: event_details(input),
        },
    )
    .await?;
    let return_id = event_log_id;
    sqlx::query(
        "INSERT INTO bills (event_log_id, org_id, bill_number, bill_amount, note, source, bill_date, return_bill_id, return_type, return_date, return_amount)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $7, $10)",
    )
    .bind(event_log_id)
    .bind(context.org_id)
    .bind(&input.bill_number)
    .bind(purchase_amount)
    .bind(input.note.clone().unwrap_or_default())
    .bind(context.source.to_lowercase())
    .bind(happened)
    .bind(return_id)
    .bind(return_type.as_str())
    .bind(returned)
    .execute(&mut *tx)
    .await?;
    for (position, (item_code, qty, amount)) in returned_lines.iter().enumerate() {
        sqlx::query(
            "INSERT INTO bill_line_items (event_log_id, org_id, position, item_code, source, amount, qty, return_qty, return_amount)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $7, $6)",
        )
        .bind(event_log_id)
        .bind(context.org_id)
        .bind(i32::try_from(position).unwrap_or(i32::MAX))
        .bind(item_code)
        .bind(context.source.to_lowercase())
        .bind(amount)
        .bind(qty)
        .execute(&mut *tx)
        .await?;
    }

    // Points: each credited award of the bill gives back its share of what was returned.
    let awards: Vec<OriginalAward> = sqlx::query_as(
        "SELECT a.points_award_id, a.award_type, a.program_id, a.promotion_id, a.points_category_id, a.alternate_currency_id,
                ac.identifier AS alternate_currency_identifier, ac.name AS alternate_currency_name, a.value,
                a.value + coalesce((a.extra->>'returnPoints')::numeric, 0) AS awarded, a.expires_on, a.expiry_type, a.awarded_on, a.position
         FROM points_awards a LEFT JOIN alternate_currencies ac ON ac.alternate_currency_id = a.alternate_currency_id
         WHERE a.event_log_id = $1 AND a.points_ledger_id IS NOT NULL
         ORDER BY a.position, a.points_award_id",
    )
    .bind(original_id)
    .fetch_all(&mut *tx)
    .await?;
    let share = if return_type.is_whole() || purchase_amount.is_zero() { Amount::ONE } else { returned / purchase_amount };
    let mut taken_by_currency = Vec::new();
    let mut points_taken = Amount::ZERO;
    for award in &awards {
        let taken =
            if return_type.is_whole() { award.value } else { (award.awarded * share).round_dp(award.awarded.scale()).min(award.value) };
        if taken.is_zero() {
            continue;
        }
        let category = award.points_category_id.unwrap_or_default();
        ledger::take_back_from_award(tx, award.points_award_id, taken).await?;
        ledger::post_debit(
            tx,
            &Debit {
                org_id: context.org_id,
                customer_id,
                event_log_id,
                event_subject_id: original_id,
                program_id: award.program_id,
                points_category_id: category,
                alternate_currency_id: award.alternate_currency_id,
                points: taken,
                created_on: context.now,
                entity_metadata: None,
            },
        )
        .await?;
        // The return event lists the awards it took from, as getLedgerExplodeInfo explodes them.
        sqlx::query(
            "INSERT INTO points_awards (org_id, event_log_id, award_type, program_id, promotion_id, points_category_id, alternate_currency_id,
                                        value, expires_on, expiry_type, awarded_on, position, extra)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
        )
        .bind(context.org_id)
        .bind(event_log_id)
        .bind(&award.award_type)
        .bind(award.program_id)
        .bind(award.promotion_id)
        .bind(award.points_category_id)
        .bind(award.alternate_currency_id)
        .bind(award.value - taken)
        .bind(award.expires_on)
        .bind(&award.expiry_type)
        .bind(award.awarded_on)
        .bind(award.position)
        .bind(json!({"sourceValue": returned, "returnPoints": taken, "awardedValue": award.awarded}))
        .execute(&mut *tx)
        .await?;
        let currency = award.alternate_currency_id.map(|_| {
            (award.alternate_currency_identifier.clone().unwrap_or_default(), award.alternate_currency_name.clone().unwrap_or_default())
        });
        if currency.is_none() {
            points_taken += taken;
        }
        taken_by_currency.push((currency, taken));
    }
    sqlx::query("UPDATE customers SET lifetime_purchases = lifetime_purchases - $2, last_updated_on = $3 WHERE customer_id = $1")
        .bind(customer_id)
        .bind(returned)
        .bind(context.now)
        .execute(&mut *tx)
        .await?;

    // Targets: what the bill counted is taken back in its own period; ReturnBill rules count the return.
    let returned_qty: Option<Amount> = (!returned_lines.is_empty()).then(|| returned_lines.iter().map(|(_, qty, _)| *qty).sum());
    let base = Occurrence {
        org_id: context.org_id,
        customer_id,
        event_log_id,
        event_names: &["TransactionAdd"],
        event_time: purchased_at,
        now: context.now,
        till_id: context.till_id,
        bill_id: Some(return_id),
        measures: Measures { bill_amount: Some(returned), gross_amount: Some(returned), quantity: returned_qty, points: points_taken },
        reversal: true,
    };
    let mut moved = targets::advance(tx, &base).await?;
    let counted = Occurrence { event_names: &["ReturnBill"], event_time: happened, reversal: false, ..base };
    moved.extend(targets::advance(tx, &counted).await?);
    let raw: Vec<Value> = moved.iter().map(side_effects::target_item).collect();
    Ok((return_id, side_effects::side_effects(&taken_by_currency, -Amount::ONE), raw))
}

/// What a bill's or a return's event records of the request: its custom and extended fields.
fn event_details(input: &TransactionInput) -> Value {
    json!({
        "customFields": body::name_values(input.custom_fields.as_ref()),
        "extendedFields": body::name_values(input.extended_fields.as_ref()),
    })
}
