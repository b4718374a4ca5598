//! Behavioural events (`api-docs/write/post-v2-events-create-event-definition.md`,
//! `post-webhook-behavioral-event.md`): `POST /v2/events` defines an event, `POST
//! /v2/events/webhook` hands out the URI that ingests the org's events, and `POST
//! /webhooks/{webhookId}` ingests one: a `GenericEvent` whose reference id is the answer's
//! `requestId`, with what the org's earning rules give it and the targets it counts towards.
//! Capillary processes ingested events later; the emulator does it before answering, so the
//! event is on the ledger when the acknowledgement arrives.

pub mod codes;
mod request;

use axum::{
    Extension, Json,
    extract::{Path, State},
    http::{HeaderMap, header},
};
use md5::Digest;
use serde::Serialize;
use serde_json::{Value, json};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::{
    engine::{
        self,
        earn::Earning,
        events::NewEvent,
        targets::{Measures, Occurrence},
    },
    http::{
        auth::{Caller, decide_org},
        error::{ApiError, ApiResult, codes as shared},
        extract::ApiJson,
        tenant::{TenantDb, TenantPrefix},
    },
    platform::state::AppState,
    store::{
        self,
        behavioural::{BehaviouralEvent, Webhook},
        identifiers::CustomerKey,
    },
};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(define_event)).routes(routes!(create_webhook)).routes(routes!(ingest_event))
}

/// The v2 write envelope with nothing in it: a definition's answer.
#[derive(Debug, Serialize, ToSchema)]
struct EmptyResult {
    #[schema(value_type = Vec<Object>)]
    warnings: Vec<Value>,
    #[schema(value_type = Vec<Object>)]
    errors: Vec<Value>,
}

/// Defines a custom behavioural event: its name, actions and fields (exactly one of type
/// `customer`, whose `identifierType` says how events name their customer).
#[utoipa::path(post, path = "/v2/events", tag = "v2", request_body = Object,
    responses((status = 200, description = "Defined", body = EmptyResult)))]
async fn define_event(Caller { tenant, org, mut db }: Caller, body: Result<ApiJson<Value>, ApiError>) -> ApiResult<Json<EmptyResult>> {
    let ApiJson(body) = body?;
    let definition = request::definition(&body)?;
    let now = tenant.clock.now_for(Some(&org));
    let mut tx = db.begin().await?;
    if !store::behavioural::define(&mut *tx, org.org_id, &definition, now).await? {
        return Err(ApiError::new(codes::EVENT_EXISTS, format!("Event_{} event already exists", definition.event_name)).at("eventName"));
    }
    engine::changed(&mut tx).await?;
    tx.commit().await?;
    Ok(Json(EmptyResult { warnings: Vec::new(), errors: Vec::new() }))
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
struct WebhookCreated {
    transformer_type: String,
    uniqueness_check_enabled: bool,
    till_code: String,
    /// Where to POST the org's events.
    web_hook_uri: String,
    auth_enabled: bool,
    #[schema(value_type = Vec<Object>)]
    warnings: Vec<Value>,
}

/// Creates a webhook: the URI events are posted to, attributed to `tillCode`.
#[utoipa::path(post, path = "/v2/events/webhook", tag = "v2", request_body = Object,
    responses((status = 200, description = "The webhook and its URI", body = WebhookCreated)))]
async fn create_webhook(
    Caller { tenant, org, mut db }: Caller,
    prefix: Option<Extension<TenantPrefix>>,
    headers: HeaderMap,
    body: Result<ApiJson<Value>, ApiError>,
) -> ApiResult<Json<WebhookCreated>> {
    let ApiJson(body) = body?;
    let settings = request::webhook(&body)?;
    let now = tenant.clock.now_for(Some(&org));
    let mut tx = db.begin().await?;
    if store::behavioural::till_id(&mut *tx, org.org_id, &settings.till_code).await?.is_none() {
        return Err(ApiError::bad_parameter("tillCode", format!("No till '{}' in the org", settings.till_code)));
    }
    let webhook = Webhook {
        webhook_id: uuid::Uuid::new_v4().simple().to_string(),
        org_id: org.org_id,
        till_code: settings.till_code,
        transformer_type: settings.transformer_type,
        auth_enabled: settings.auth_enabled,
        auth_mechanism: settings.auth_mechanism,
        uniqueness_check_enabled: settings.uniqueness_check_enabled,
    };
    store::behavioural::create_webhook(&mut *tx, &webhook, now).await?;
    engine::changed(&mut tx).await?;
    tx.commit().await?;
    let host = headers.get(header::HOST).and_then(|host| host.to_str().ok()).unwrap_or("127.0.0.1:8080");
    let tenant_path = prefix.map(|Extension(prefix)| format!("/t/{}", prefix.tenant)).unwrap_or_default();
    Ok(Json(WebhookCreated {
        web_hook_uri: format!("http://{host}{tenant_path}/webhooks/{}", webhook.webhook_id),
        transformer_type: webhook.transformer_type,
        uniqueness_check_enabled: webhook.uniqueness_check_enabled,
        till_code: webhook.till_code,
        auth_enabled: webhook.auth_enabled,
        warnings: Vec::new(),
    }))
}

#[derive(Debug, Serialize, ToSchema)]
struct IngestionStatus {
    code: i64,
    message: String,
}

/// The acknowledgement: `{"status":{"code":1100,...},"requestId"}`.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
struct Acknowledgement {
    status: IngestionStatus,
    /// The GenericEvent's reference id on the ledger.
    request_id: String,
}

/// Ingests a behavioural event: `event_name`, the definition's fields, and optionally
/// `eventDateTime`, `storeUnitID` (a till code) and `external_event_id`. Needs Basic auth only
/// when the webhook was created with `authEnabled`.
#[utoipa::path(post, path = "/webhooks/{webhookId}", tag = "Behavioural events", security((), ("basic" = [])),
    params(("webhookId" = String, Path, description = "The webhook's id, from its webHookUri")), request_body = Object,
    responses((status = 200, description = "Taken: the event is on the ledger", body = Acknowledgement)))]
async fn ingest_event(
    State(state): State<AppState>,
    TenantDb { tenant, mut db }: TenantDb,
    Path(webhook_id): Path<String>,
    headers: HeaderMap,
    body: Result<ApiJson<Value>, ApiError>,
) -> ApiResult<Json<Acknowledgement>> {
    let webhook = store::behavioural::webhook(&mut *db, &webhook_id)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("No webhook '{webhook_id}'")).at("webhookId"))?;
    let org = store::orgs::find_org(&mut *db, webhook.org_id).await?.ok_or_else(|| ApiError::not_found("The webhook's org is gone"))?;
    if webhook.auth_enabled && decide_org(&headers, &state, &tenant, &mut db).await?.org_id != org.org_id {
        return Err(ApiError::unauthorized("The credential is not of the webhook's org"));
    }
    let body = match body {
        Ok(ApiJson(body)) => body,
        Err(error) if error.code == shared::BAD_PARAMETER => return Err(ApiError { code: codes::FEED_NOT_ADDED, ..error }),
        Err(error) => return Err(error),
    };
    let name = request::event_name(&body)?;
    let definition = store::behavioural::definition(&mut *db, org.org_id, name)
        .await?
        .ok_or_else(|| ApiError::detailed(codes::INVALID_EVENT, format!(": no event '{name}' is defined")).at("event_name"))?;
    let event = request::ingested(&body, &definition, org.time_zone)?;
    let now = tenant.clock.now_for(Some(&org));

    let mut tx = db.begin().await?;
    let (kind, value) = (event.customer.0.as_str(), event.customer.1.as_str());
    let key = match kind {
        "userId" => CustomerKey::Id(value.parse().map_err(|_| ApiError::detailed(codes::INVALID_CUSTOMER, format!(": '{value}'")))?),
        _ => CustomerKey::Identifier(kind, value),
    };
    let customer_id = store::identifiers::find_customer(&mut *tx, org.org_id, key)
        .await?
        .ok_or_else(|| ApiError::detailed(codes::INVALID_CUSTOMER, format!(": no customer with {kind} '{value}'")))?;
    engine::lock_customer(&mut tx, org.org_id, customer_id).await?;
    let till_code = event.till_code.clone().unwrap_or_else(|| webhook.till_code.clone());
    let till_id = store::behavioural::till_id(&mut *tx, org.org_id, &till_code)
        .await?
        .ok_or_else(|| ApiError::detailed(codes::INVALID_STORE, format!(": '{till_code}'")))?;

    let unique_key = webhook.uniqueness_check_enabled.then(|| {
        let key = std::iter::once(definition.event_name.clone())
            .chain(std::iter::once(customer_id.to_string()))
            .chain(event.unique_values.iter().cloned());
        md5::Md5::digest(key.collect::<Vec<_>>().join("_").as_bytes()).iter().map(|byte| format!("{byte:02x}")).collect::<String>()
    });
    let is_duplicate = match &unique_key {
        Some(key) => store::behavioural::seen_unique_key(&mut *tx, org.org_id, key).await?,
        None => false,
    };
    let request_id = uuid::Uuid::new_v4().to_string();
    let event_time = event.event_time.unwrap_or(now);
    let event_log_id = engine::events::record_event(
        &mut tx,
        &NewEvent {
            org_id: org.org_id,
            customer_id,
            event_name: "GenericEvent".to_owned(),
            event_time,
            processing_time: now,
            till_id: Some(till_id),
            event_reference_id: Some(request_id.clone()),
            unique_id: Some(request_id.clone()),
            request_id: Some(request_id.clone()),
            generic_event_id: Some(uuid::Uuid::new_v4().simple().to_string()),
            details: generic_event_details(&definition.event_name, &definition.fields, &event.values),
        },
    )
    .await?;
    store::behavioural::record(
        &mut *tx,
        &BehaviouralEvent {
            event_log_id,
            org_id: org.org_id,
            webhook_id: &webhook.webhook_id,
            event_name: &definition.event_name,
            attributes: &body,
            unique_key: unique_key.as_deref(),
            is_duplicate,
        },
    )
    .await?;
    // Loyalty acts on events defined for it (EMFConsumer), once per unique key.
    let for_loyalty = definition.actions.as_array().is_some_and(|actions| actions.iter().any(|action| action == "EMFConsumer"));
    if for_loyalty && !is_duplicate {
        let event_names = ["GenericEvent", definition.event_name.as_str()];
        let earned = engine::earn::earn(
            &mut tx,
            &Earning {
                org_id: org.org_id,
                customer_id,
                event_log_id,
                event_subject_id: customer_id,
                event_names: &event_names,
                bill_amount: None,
                line_items: &[],
                now,
            },
        )
        .await?;
        let points = earned.iter().filter(|award| award.rule.alternate_currency_id.is_none()).map(|award| award.points).sum();
        engine::targets::advance(
            &mut tx,
            &Occurrence {
                org_id: org.org_id,
                customer_id,
                event_log_id,
                event_names: &event_names,
                event_time,
                now,
                till_id: Some(till_id),
                bill_id: None,
                measures: Measures { points, ..Measures::default() },
                reversal: false,
            },
        )
        .await?;
    }
    engine::changed(&mut tx).await?;
    tx.commit().await?;
    Ok(Json(Acknowledgement {
        status: IngestionStatus { code: 1100, message: "Event is pushed to transformation state".to_owned() },
        request_id,
    }))
}

/// The GenericEvent's details as the explode reads them (fixtures/README.md, "Event details"):
/// the definition as its metadata, the event's own values as extended fields.
fn generic_event_details(event_name: &str, fields: &Value, values: &[(String, String)]) -> Value {
    let fields: Vec<Value> = fields
        .as_array()
        .into_iter()
        .flatten()
        .map(|field| json!({"fieldName": field["name"], "fieldType": field["type"], "attributes": field.get("attributes").cloned().unwrap_or(json!({}))}))
        .collect();
    let extended: Vec<Value> = values.iter().map(|(name, value)| json!({"name": name, "value": value})).collect();
    json!({
        "eventDisplayName": event_name,
        "displayName": event_name,
        "behavioralEventMetadata": {"label": event_name, "fields": fields},
        "extendedFields": extended,
    })
}
