//! Reading the three bodies: an event definition, a webhook's settings, an ingested event.

use chrono::{DateTime, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;
use serde_json::{Map, Value, json};

use super::codes;
use crate::{
    http::error::{ApiError, ApiResult, ErrorCode},
    store::behavioural::EventDefinition,
};

/// The field types `POST /v2/events` takes (the page's list, and enum and date from the UI).
const FIELD_TYPES: &[&str] =
    &["tillCode", "couponCode", "customer", "productSku", "productBrand", "productCategory", "string", "double", "enum", "date"];
const ACTIONS: &[&str] = &["EMFConsumer", "EIConsumer"];
const BOOLEAN_ATTRIBUTES: &[&str] = &["addCustomerIfNotExists", "isRequired", "isUniqueKeyField", "isPsiData"];
/// How an event's customer field may name the customer (those the emulator can look up).
pub const IDENTIFIER_TYPES: &[&str] = &["userId", "mobile", "email", "externalId"];

fn error(code: ErrorCode, field: &str, detail: impl std::fmt::Display) -> ApiError {
    ApiError::new(code, format!("{}: '{field}' {detail}", code.message)).at(field)
}

fn object(body: &Value, code: ErrorCode) -> ApiResult<&Map<String, Value>> {
    body.as_object().ok_or_else(|| error(code, "body", "must be a JSON object"))
}

fn only_fields(body: &Map<String, Value>, fields: &[&str], code: ErrorCode, prefix: &str) -> ApiResult<()> {
    match body.keys().find(|key| !fields.contains(&key.as_str())) {
        Some(unknown) => {
            Err(error(code, &format!("{prefix}{unknown}"), format!("is not a field of this request (fields: {})", fields.join(", "))))
        }
        None => Ok(()),
    }
}

fn flag(body: &Map<String, Value>, name: &str, code: ErrorCode) -> ApiResult<bool> {
    match body.get(name) {
        None | Some(Value::Null) => Ok(false),
        Some(Value::Bool(value)) => Ok(*value),
        Some(_) => Err(error(code, name, "must be true or false")),
    }
}

/// A `{"valueType": "Boolean", "value": "true"}` attribute's value.
pub fn attribute_is_true(field: &Value, name: &str) -> bool {
    field["attributes"][name]["value"].as_str().is_some_and(|value| value.eq_ignore_ascii_case("true"))
}

/// `POST /v2/events`: the definition to store.
pub fn definition(body: &Value) -> ApiResult<EventDefinition> {
    let bad = codes::INVALID_FIELD_ATTRIBUTE;
    let body = object(body, crate::http::error::codes::BAD_PARAMETER)?;
    only_fields(body, &["eventName", "actions", "description", "fields"], crate::http::error::codes::BAD_PARAMETER, "")?;
    let event_name = body
        .get("eventName")
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|name| !name.is_empty() && name.len() <= 100 && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
        .ok_or_else(|| error(codes::INVALID_EVENT_NAME, "eventName", "must be letters, digits and '_' (at most 100)"))?;
    let actions = body
        .get("actions")
        .and_then(Value::as_array)
        .filter(|actions| !actions.is_empty() && actions.iter().all(|action| action.as_str().is_some_and(|a| ACTIONS.contains(&a))))
        .ok_or_else(|| error(codes::INVALID_ACTIONS, "actions", format!("must be a non-empty list of {}", ACTIONS.join(", "))))?;
    let description = match body.get("description") {
        None | Some(Value::Null) => None,
        Some(Value::String(text)) => Some(text.clone()),
        Some(_) => return Err(error(crate::http::error::codes::BAD_PARAMETER, "description", "must be text")),
    };
    let fields = match body.get("fields") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(fields)) => fields.clone(),
        Some(_) => return Err(error(crate::http::error::codes::BAD_PARAMETER, "fields", "must be a list")),
    };
    let mut names = Vec::new();
    for (index, field) in fields.iter().enumerate() {
        let at = |name: &str| format!("fields[{index}].{name}");
        let Some(field) = field.as_object() else { return Err(error(bad, &format!("fields[{index}]"), "must be an object")) };
        only_fields(field, &["name", "type", "attributes"], bad, &format!("fields[{index}]."))?;
        let name = field
            .get("name")
            .and_then(Value::as_str)
            .filter(|name| !name.trim().is_empty())
            .ok_or_else(|| error(bad, &at("name"), "is required"))?;
        if ["event_name", "eventDateTime", "storeUnitID", "external_event_id"].contains(&name) || names.contains(&name) {
            return Err(error(bad, &at("name"), format!("'{name}' is taken (a standard attribute or another field)")));
        }
        names.push(name);
        let kind = field.get("type").and_then(Value::as_str).unwrap_or_default();
        if !FIELD_TYPES.contains(&kind) {
            return Err(error(codes::INVALID_FIELD_TYPE, &at("type"), format!("must be one of {}, got '{kind}'", FIELD_TYPES.join(", "))));
        }
        let attributes = match field.get("attributes") {
            None | Some(Value::Null) => Map::new(),
            Some(Value::Object(attributes)) => attributes.clone(),
            Some(_) => return Err(error(bad, &at("attributes"), "must be an object")),
        };
        for (attribute, value) in &attributes {
            let text = value.get("value").and_then(Value::as_str);
            if BOOLEAN_ATTRIBUTES.contains(&attribute.as_str())
                && !text.is_some_and(|t| t.eq_ignore_ascii_case("true") || t.eq_ignore_ascii_case("false"))
            {
                return Err(error(bad, &at(&format!("attributes.{attribute}")), "isRequired-style attributes take \"true\" or \"false\""));
            }
            if attribute == "identifierType" && !text.is_some_and(|t| IDENTIFIER_TYPES.contains(&t)) {
                return Err(error(bad, &at("attributes.identifierType"), format!("must be one of {}", IDENTIFIER_TYPES.join(", "))));
            }
        }
        if attribute_is_true(&Value::Object(field.clone()), "addCustomerIfNotExists") {
            return Err(error(
                bad,
                &at("attributes.addCustomerIfNotExists"),
                "true is not emulated: register the customer with POST /v2/customers",
            ));
        }
    }
    if fields.iter().filter(|field| field["type"] == "customer").count() != 1 {
        return Err(error(bad, "fields", "must hold exactly one field of type customer (how an event names its customer)"));
    }
    Ok(EventDefinition { event_name: event_name.to_owned(), description, actions: json!(actions), fields: json!(fields) })
}

/// `POST /v2/events/webhook`'s settings.
#[derive(Debug, Clone)]
pub struct WebhookSettings {
    pub transformer_type: String,
    pub till_code: String,
    pub auth_enabled: bool,
    pub auth_mechanism: Option<String>,
    pub uniqueness_check_enabled: bool,
}

pub fn webhook(body: &Value) -> ApiResult<WebhookSettings> {
    let bad = crate::http::error::codes::BAD_PARAMETER;
    let body = object(body, bad)?;
    only_fields(
        body,
        &["transformerType", "tillCode", "authEnabled", "authMechanism", "uniquenessCheckEnabled", "listenToChildEvents"],
        bad,
        "",
    )?;
    let transformer_type = body
        .get("transformerType")
        .and_then(Value::as_str)
        .filter(|kind| kind.len() > "Transformer".len() && kind.ends_with("Transformer") && kind.chars().all(|c| c.is_ascii_alphanumeric()))
        .ok_or_else(|| error(codes::INVALID_TRANSFORMER, "transformerType", "must name a transformer, e.g. WebEngageTransformer"))?;
    let till_code = body
        .get("tillCode")
        .and_then(Value::as_str)
        .filter(|code| !code.trim().is_empty())
        .ok_or_else(|| error(bad, "tillCode", "is required (the till events are attributed to)"))?;
    let auth_enabled = flag(body, "authEnabled", bad)?;
    let auth_mechanism = match body.get("authMechanism") {
        None | Some(Value::Null) => None,
        Some(Value::String(mechanism)) if mechanism.eq_ignore_ascii_case("basic") => Some("Basic".to_owned()),
        Some(_) => return Err(error(bad, "authMechanism", "must be Basic")),
    };
    if auth_enabled && auth_mechanism.is_none() {
        return Err(error(codes::AUTH_MECHANISM_MISSING, "authMechanism", "is required with authEnabled"));
    }
    if flag(body, "listenToChildEvents", bad)? {
        return Err(error(bad, "listenToChildEvents", "true (connected orgs' events) is not emulated"));
    }
    Ok(WebhookSettings {
        transformer_type: transformer_type.to_owned(),
        till_code: till_code.trim().to_owned(),
        auth_enabled,
        auth_mechanism,
        uniqueness_check_enabled: flag(body, "uniquenessCheckEnabled", bad)?,
    })
}

/// An ingested event, read against its definition.
#[derive(Debug, Clone)]
pub struct IngestedEvent {
    /// How the event names its customer: the identifier type and the value.
    pub customer: (String, String),
    /// The till code the event names, if any (its tillCode field or `storeUnitID`).
    pub till_code: Option<String>,
    /// `None`: the processing time.
    pub event_time: Option<DateTime<Utc>>,
    /// The defined fields' values other than the customer and till, as text, in definition order.
    pub values: Vec<(String, String)>,
    /// Values of the fields marked isUniqueKeyField, in definition order.
    pub unique_values: Vec<String>,
}

/// The event's name (7304 when missing).
pub fn event_name(body: &Value) -> ApiResult<&str> {
    let body = object(body, codes::FEED_NOT_ADDED)?;
    body.get("event_name")
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|name| !name.is_empty())
        .ok_or_else(|| ApiError::of(codes::EVENT_NOT_PASSED).at("event_name"))
}

/// The event's values against its definition's fields.
pub fn ingested(body: &Value, definition: &EventDefinition, zone: Tz) -> ApiResult<IngestedEvent> {
    let body = object(body, codes::FEED_NOT_ADDED)?;
    let fields = definition.fields.as_array().cloned().unwrap_or_default();
    let standard = ["event_name", "eventDateTime", "storeUnitID", "external_event_id"];
    if let Some(unknown) =
        body.keys().find(|key| !standard.contains(&key.as_str()) && !fields.iter().any(|field| field["name"] == key.as_str()))
    {
        return Err(error(codes::FEED_NOT_ADDED, unknown, format!("is not a field of event {}", definition.event_name)));
    }
    let text = |name: &str| -> ApiResult<Option<String>> {
        match body.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(text)) if text.trim().is_empty() => Ok(None),
            Some(Value::String(text)) => Ok(Some(text.trim().to_owned())),
            Some(Value::Number(number)) => Ok(Some(number.to_string())),
            Some(Value::Bool(value)) => Ok(Some(value.to_string())),
            Some(_) => Err(error(codes::FEED_NOT_ADDED, name, "must be text or a number")),
        }
    };
    let mut event = IngestedEvent {
        customer: (String::new(), String::new()),
        till_code: text("storeUnitID")?,
        event_time: None,
        values: Vec::new(),
        unique_values: Vec::new(),
    };
    for field in &fields {
        let name = field["name"].as_str().unwrap_or_default();
        let value = text(name)?;
        if value.is_none() && field["type"] == "customer" {
            return Err(ApiError::detailed(codes::CUSTOMER_NOT_PASSED, format!(": '{name}'")).at(name));
        }
        if value.is_none() && attribute_is_true(field, "isRequired") {
            return Err(error(codes::FEED_NOT_ADDED, name, "is required"));
        }
        let Some(value) = value else { continue };
        match field["type"].as_str().unwrap_or_default() {
            "customer" => {
                let kind = field["attributes"]["identifierType"]["value"].as_str().unwrap_or("mobile");
                event.customer = (kind.to_owned(), value.clone());
            }
            "tillCode" => event.till_code = Some(value.clone()),
            "double" if value.parse::<f64>().is_err() => {
                return Err(error(codes::FEED_NOT_ADDED, name, format!("must be a number, got '{value}'")));
            }
            _ => event.values.push((name.to_owned(), value.clone())),
        }
        if attribute_is_true(field, "isUniqueKeyField") {
            event.unique_values.push(value);
        }
    }
    if event.customer.1.is_empty() {
        let field = fields.iter().find(|field| field["type"] == "customer").and_then(|field| field["name"].as_str()).unwrap_or("customer");
        return Err(ApiError::detailed(codes::CUSTOMER_NOT_PASSED, format!(": '{field}'")).at(field));
    }
    if let Some(when) = text("eventDateTime")? {
        event.event_time = Some(event_time(&when, zone).ok_or_else(|| {
            error(
                codes::FEED_NOT_ADDED,
                "eventDateTime",
                format!("must be yyyy-MM-dd HH:mm:ss, an ISO 8601 time or epoch milliseconds, got '{when}'"),
            )
        })?);
    }
    Ok(event)
}

/// `eventDateTime`: `yyyy-MM-dd HH:mm:ss` or ISO 8601 without an offset (in the org's time
/// zone), with one, or epoch milliseconds.
fn event_time(text: &str, zone: Tz) -> Option<DateTime<Utc>> {
    if let Ok(instant) = DateTime::parse_from_rfc3339(text) {
        return Some(instant.with_timezone(&Utc));
    }
    if text.len() >= 12 && text.chars().all(|c| c.is_ascii_digit()) {
        return DateTime::from_timestamp_millis(text.parse().ok()?);
    }
    ["%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%dT%H:%M:%S%.f"]
        .iter()
        .find_map(|format| NaiveDateTime::parse_from_str(text, format).ok())
        .and_then(|local| zone.from_local_datetime(&local).earliest())
        .map(|instant| instant.with_timezone(&Utc))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_times_in_the_documented_formats() {
        let zone: Tz = "Asia/Kolkata".parse().unwrap();
        let expected = DateTime::parse_from_rfc3339("2024-04-11T06:30:00Z").unwrap().with_timezone(&Utc);
        assert_eq!(event_time("2024-04-11 12:00:00", zone), Some(expected));
        assert_eq!(event_time("2024-04-11T12:00:00", zone), Some(expected));
        assert_eq!(event_time("2024-04-11T12:00:00+05:30", zone), Some(expected));
        assert_eq!(event_time("1712817000000", zone), Some(expected));
        assert_eq!(event_time("11/04/2024", zone), None);
    }
}
