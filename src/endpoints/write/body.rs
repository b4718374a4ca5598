//! Reading a JSON request body field by field, so that each bad field is refused with a code and
//! a message naming it (Capillary's samples send numbers as strings and booleans as "true", so
//! both spellings are taken).

use std::str::FromStr;

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use chrono_tz::Tz;
use serde_json::{Map, Value};

use super::codes;
use crate::{
    engine::Amount,
    http::error::{ApiError, ApiResult, ErrorCode},
};

/// Parses a request body as one JSON object.
pub fn object(bytes: &[u8]) -> ApiResult<Map<String, Value>> {
    match serde_json::from_slice::<Value>(bytes) {
        Ok(Value::Object(object)) => Ok(object),
        Ok(_) => Err(ApiError::new(codes::INVALID_INPUT, "The request body must be a JSON object").at("body")),
        Err(error) => Err(ApiError::new(codes::INVALID_INPUT, format!("The request body is not valid JSON: {error}")).at("body")),
    }
}

/// One object of the body with the path that names it in messages (`lineItemsV2[1]`).
#[derive(Debug, Clone, Copy)]
pub struct Fields<'a> {
    pub path: &'a str,
    pub object: &'a Map<String, Value>,
}

impl<'a> Fields<'a> {
    pub fn new(path: &'a str, object: &'a Map<String, Value>) -> Fields<'a> {
        Fields { path, object }
    }

    /// The full name of a field, for messages.
    pub fn name(&self, field: &str) -> String {
        if self.path.is_empty() { field.to_owned() } else { format!("{}.{field}", self.path) }
    }

    fn bad(&self, code: ErrorCode, field: &str, expected: &str, got: &Value) -> ApiError {
        let name = self.name(field);
        ApiError::new(code, format!("{}: '{name}' must be {expected}, got {got}", code.message)).at(&name)
    }

    /// A field that is absent, null or "" counts as absent.
    pub fn value(&self, field: &str) -> Option<&'a Value> {
        match self.object.get(field) {
            None | Some(Value::Null) => None,
            Some(Value::String(text)) if text.trim().is_empty() => None,
            Some(value) => Some(value),
        }
    }

    /// Text, or a number written as text.
    pub fn text(&self, field: &str) -> ApiResult<Option<String>> {
        match self.value(field) {
            None => Ok(None),
            Some(Value::String(text)) => Ok(Some(text.trim().to_owned())),
            Some(Value::Number(number)) => Ok(Some(number.to_string())),
            Some(other) => Err(self.bad(codes::INVALID_INPUT, field, "text", other)),
        }
    }

    /// A number, or text holding one; `code` is the code a bad value gets.
    pub fn amount(&self, field: &str, code: ErrorCode) -> ApiResult<Option<Amount>> {
        let parsed = match self.value(field) {
            None => return Ok(None),
            Some(Value::Number(number)) => Amount::from_str(&number.to_string()).or_else(|_| Amount::from_scientific(&number.to_string())),
            Some(Value::String(text)) => Amount::from_str(text.trim()),
            Some(other) => return Err(self.bad(code, field, "a number", other)),
        };
        parsed.map(Some).map_err(|_| self.bad(code, field, "a number", &self.object[field]))
    }

    pub fn integer(&self, field: &str, code: ErrorCode) -> ApiResult<Option<i64>> {
        match self.value(field) {
            None => Ok(None),
            Some(Value::Number(number)) if number.is_i64() => Ok(number.as_i64()),
            Some(Value::String(text)) if text.trim().parse::<i64>().is_ok() => Ok(text.trim().parse().ok()),
            Some(other) => Err(self.bad(code, field, "a whole number", other)),
        }
    }

    /// true / false, or "true" / "false".
    pub fn flag(&self, field: &str) -> ApiResult<Option<bool>> {
        match self.value(field) {
            None => Ok(None),
            Some(Value::Bool(flag)) => Ok(Some(*flag)),
            Some(Value::String(text)) if text.eq_ignore_ascii_case("true") => Ok(Some(true)),
            Some(Value::String(text)) if text.eq_ignore_ascii_case("false") => Ok(Some(false)),
            Some(other) => Err(self.bad(codes::INVALID_INPUT, field, "true or false", other)),
        }
    }

    pub fn object(&self, field: &str) -> ApiResult<Option<&'a Map<String, Value>>> {
        match self.value(field) {
            None => Ok(None),
            Some(Value::Object(object)) => Ok(Some(object)),
            Some(other) => Err(self.bad(codes::INVALID_INPUT, field, "an object", other)),
        }
    }

    pub fn array(&self, field: &str) -> ApiResult<&'a [Value]> {
        match self.value(field) {
            None => Ok(&[]),
            Some(Value::Array(items)) => Ok(items),
            Some(other) => Err(self.bad(codes::INVALID_INPUT, field, "an array", other)),
        }
    }

    /// An instant: RFC 3339, or a date-time without offset (read in the org's zone), or a day.
    pub fn instant(&self, field: &str, zone: Tz) -> ApiResult<Option<DateTime<Utc>>> {
        let Some(text) = self.text(field)? else { return Ok(None) };
        parse_instant(&text, zone).map(Some).ok_or_else(|| {
            self.bad(codes::INVALID_INPUT, field, "an ISO 8601 date-time such as 2024-06-20T12:30:00+05:30", &Value::String(text))
        })
    }
}

/// RFC 3339 (`2024-06-20T12:30:00+05:30`, `…Z`, with or without fractions), a local date-time
/// (`2024-06-20T12:30:00`, `2024-06-20 12:30:00`) in `zone`, or a day (its midnight in `zone`).
pub fn parse_instant(text: &str, zone: Tz) -> Option<DateTime<Utc>> {
    if let Ok(instant) = DateTime::parse_from_rfc3339(text) {
        return Some(instant.with_timezone(&Utc));
    }
    // +0530 without the colon, as Capillary's own answers write it.
    if let Ok(instant) = DateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f%z") {
        return Some(instant.with_timezone(&Utc));
    }
    let local = NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f")
        .or_else(|_| NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S%.f"))
        .ok()
        .or_else(|| NaiveDate::parse_from_str(text, "%Y-%m-%d").ok().and_then(|day| day.and_hms_opt(0, 0, 0)))?;
    local.and_local_timezone(zone).earliest().map(|instant| instant.with_timezone(&Utc))
}

/// An object of name → value (custom or extended fields) as event details keep them:
/// `[{"name","value"}]`, values as text.
pub fn name_values(object: Option<&Map<String, Value>>) -> Value {
    let items: Vec<Value> = object
        .into_iter()
        .flatten()
        .map(|(name, value)| {
            let value = match value {
                Value::String(text) => text.clone(),
                other => other.to_string(),
            };
            serde_json::json!({"name": name, "value": value})
        })
        .collect();
    Value::Array(items)
}
