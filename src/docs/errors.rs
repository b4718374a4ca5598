//! Error answers in the document: the four envelopes of `http::error`, and per operation one
//! response per HTTP status, listing the codes of the endpoint's `CODES` that status carries.

use std::collections::BTreeMap;

use serde_json::{Value, json};
use utoipa::openapi::{Components, RefOr, ResponseBuilder, content::ContentBuilder, path::Operation, schema::Schema};

use crate::http::error::{ErrorCode, Family};

fn envelope_name(family: Family) -> &'static str {
    match family {
        Family::V2 => "V2Errors",
        Family::V3 => "V3Errors",
        Family::OAuth => "OAuthErrors",
        Family::V1_1 => "V1_1Error",
        Family::Webhook => "WebhookError",
        Family::Plain => "PlainError",
    }
}

fn schema(value: Value) -> RefOr<Schema> {
    serde_json::from_value(value).expect("a valid schema")
}

/// The envelopes, as `ApiError::envelope` writes them.
pub fn add_schemas(components: &mut Components) {
    let item = |with_status: bool| {
        let mut properties = json!({"code": {"type": "integer"}, "message": {"type": "string"}});
        let mut required = vec!["code", "message"];
        if with_status {
            properties["status"] = json!({"type": "boolean", "const": false});
            required.insert(0, "status");
        }
        json!({"type": "object", "properties": properties, "required": required, "additionalProperties": false})
    };
    let envelopes = [
        (
            Family::V2,
            json!({
                "description": "v2 and v2.1 errors; `warnings` uses the same item shape",
                "type": "object", "additionalProperties": false, "required": ["errors", "warnings"],
                "properties": {"errors": {"type": "array", "minItems": 1, "items": item(true)}, "warnings": {"type": "array", "items": item(true)}}
            }),
        ),
        (
            Family::V3,
            json!({
                "description": "v3 errors",
                "type": "object", "additionalProperties": false, "required": ["data", "errors", "warnings"],
                "properties": {"data": {"type": "null"}, "errors": {"type": "array", "minItems": 1, "items": item(false)}, "warnings": {"type": "null"}}
            }),
        ),
        (
            Family::OAuth,
            json!({
                "description": "OAuth errors (no `warnings`, as Capillary's token sample prints it)",
                "type": "object", "additionalProperties": false, "required": ["data", "errors"],
                "properties": {"data": {"type": "null"}, "errors": {"type": "array", "minItems": 1, "items": item(false)}}
            }),
        ),
        (
            Family::V1_1,
            json!({
                "description": "v1.1 request-level errors",
                "type": "object", "additionalProperties": false, "required": ["response"],
                "properties": {"response": {
                    "type": "object", "additionalProperties": false, "required": ["status"],
                    "properties": {"status": {
                        "type": "object", "additionalProperties": false, "required": ["success", "code", "message"],
                        "properties": {"success": {"type": "string", "enum": ["false"]}, "code": {"type": "integer"}, "message": {"type": "string"}}
                    }}
                }}
            }),
        ),
        (
            Family::Webhook,
            json!({
                "description": "behavioural-event webhook errors, in the shape of its acknowledgement",
                "type": "object", "additionalProperties": false, "required": ["status"],
                "properties": {"status": {
                    "type": "object", "additionalProperties": false, "required": ["code", "message"],
                    "properties": {"code": {"type": "integer"}, "message": {"type": "string"}}
                }}
            }),
        ),
        (
            Family::Plain,
            json!({
                "description": "DAS, control-plane and unknown-path errors: Spring-style; `parameter` names the request parameter at fault",
                "type": "object", "additionalProperties": false, "required": ["timestamp", "status", "error", "code", "message", "path"],
                "properties": {
                    "timestamp": {"type": "string", "format": "date-time"}, "status": {"type": "integer"}, "error": {"type": "string"},
                    "code": {"type": "integer"}, "message": {"type": "string"}, "path": {"type": "string"}, "parameter": {"type": "string"}
                }
            }),
        ),
    ];
    for (family, body) in envelopes {
        components.schemas.insert(envelope_name(family).to_owned(), schema(body));
    }
}

/// One response per status of `codes`: the family's envelope whose code is one of that status's.
pub fn add_responses(operation: &mut Operation, family: Family, codes: &[ErrorCode]) {
    let mut by_status: BTreeMap<u16, Vec<ErrorCode>> = BTreeMap::new();
    for code in codes {
        let list = by_status.entry(code.status.as_u16()).or_default();
        if !list.contains(code) {
            list.push(*code);
        }
    }
    for (status, codes) in by_status {
        let numbers: Vec<i64> = codes.iter().map(|code| code.number).collect();
        let code_schema = json!({"type": "integer", "enum": numbers});
        let restriction = match family {
            Family::Plain => json!({"type": "object", "properties": {"code": code_schema}}),
            Family::V1_1 => {
                json!({"type": "object", "properties": {"response": {"type": "object", "properties": {"status": {"type": "object", "properties": {"code": code_schema}}}}}})
            }
            Family::Webhook => json!({"type": "object", "properties": {"status": {"type": "object", "properties": {"code": code_schema}}}}),
            _ => {
                json!({"type": "object", "properties": {"errors": {"type": "array", "items": {"type": "object", "properties": {"code": code_schema}}}}})
            }
        };
        let body = schema(json!({"allOf": [{"$ref": format!("#/components/schemas/{}", envelope_name(family))}, restriction]}));
        let listed: Vec<String> = codes.iter().map(|code| format!("- `{}` {}", code.number, code.message)).collect();
        let response = ResponseBuilder::new()
            .description(listed.join("\n"))
            .content("application/json", ContentBuilder::new().schema(Some(body)).build())
            .build();
        operation.responses.responses.entry(status.to_string()).or_insert(RefOr::T(response));
    }
}
