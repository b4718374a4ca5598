//! A Postman v2.1 collection generated from the OpenAPI document and the sample manifest: one
//! request per documented sample, in a folder per tag of its operation, with a `baseUrl`
//! variable, the sample's till as Basic auth (Capillary's: the MD5 of the password), and the
//! documented answer as its example response.

use serde_json::{Value, json};

use super::{
    openapi,
    samples::{self, Sample},
};

/// The schema the collection declares (Postman's v2.1.0).
pub const SCHEMA: &str = "https://schema.getpostman.com/json/collection/v2.1.0/collection.json";

/// The collection, its requests aimed at `base_url` (the `baseUrl` variable's value).
pub fn collection(base_url: &str) -> Value {
    let document = serde_json::to_value(openapi::document()).expect("the document is JSON");
    let mut folders: Vec<(String, Vec<Value>)> = Vec::new();
    for sample in samples::all() {
        let (tag, summary) = operation_of(&document, sample);
        let item = item(sample, &summary);
        match folders.iter_mut().find(|(name, _)| *name == tag) {
            Some((_, items)) => items.push(item),
            None => folders.push((tag, vec![item])),
        }
    }
    json!({
        "info": {
            "name": document["info"]["title"],
            "description": document["info"]["description"],
            "schema": SCHEMA,
        },
        "variable": [
            {"key": "baseUrl", "value": base_url, "type": "string"},
            {"key": "passwordMd5", "value": md5_hex(samples::password()), "type": "string"},
        ],
        "item": folders.into_iter().map(|(name, items)| json!({"name": name, "item": items})).collect::<Vec<_>>(),
    })
}

/// The tag and summary of the operation a sample calls.
fn operation_of(document: &Value, sample: &Sample) -> (String, String) {
    let method = sample.method.to_lowercase();
    for (path, item) in document["paths"].as_object().into_iter().flatten() {
        if let Some(operation) = item.get(&method).filter(|_| sample.is_for(&method, path)) {
            let tag = operation["tags"][0].as_str().unwrap_or("samples").to_owned();
            let summary = operation["summary"].as_str().or(operation["description"].as_str()).unwrap_or_default().to_owned();
            return (tag, summary);
        }
    }
    ("samples".to_owned(), String::new())
}

fn item(sample: &Sample, summary: &str) -> Value {
    let request = request(sample);
    let status = sample.status;
    let mut item = json!({
        "name": sample.title,
        "description": format!("{summary}\n\nDocumented in `{}`; expected status {status}.", sample.document),
        "request": request,
        "response": [],
        "event": [{
            "listen": "test",
            "script": {"type": "text/javascript", "exec": [format!("pm.test(\"the documented status\", function () {{ pm.response.to.have.status({status}); }});")]},
        }],
    });
    if let Some(body) = &sample.body {
        item["response"] = json!([{
            "name": sample.title,
            "originalRequest": request,
            "code": sample.status,
            "status": reason(sample.status),
            "header": [{"key": "Content-Type", "value": "application/json"}],
            "_postman_previewlanguage": "json",
            "body": serde_json::to_string_pretty(body).expect("JSON"),
        }]);
    }
    item
}

fn request(sample: &Sample) -> Value {
    let query: Vec<Value> = sample.query_pairs().into_iter().map(|(key, value)| json!({"key": key, "value": value})).collect();
    let raw_query = if sample.query.is_empty() { String::new() } else { format!("?{}", sample.query) };
    let path: Vec<&str> = sample.path.split('/').filter(|segment| !segment.is_empty()).collect();
    let headers: Vec<Value> = sample.headers.iter().map(|(key, value)| json!({"key": key, "value": value})).collect();
    json!({
        "method": sample.method,
        "header": headers,
        "auth": {
            "type": "basic",
            "basic": [
                {"key": "username", "value": sample.till, "type": "string"},
                {"key": "password", "value": "{{passwordMd5}}", "type": "string"},
            ],
        },
        "url": {"raw": format!("{{{{baseUrl}}}}{}{raw_query}", sample.path), "host": ["{{baseUrl}}"], "path": path, "query": query},
    })
}

fn reason(status: u16) -> &'static str {
    axum::http::StatusCode::from_u16(status).ok().and_then(|status| status.canonical_reason()).unwrap_or("")
}

/// Capillary's Basic auth sends the MD5 (hex) of the password.
fn md5_hex(text: &str) -> String {
    use md5::{Digest, Md5};
    Md5::digest(text.as_bytes()).iter().map(|byte| format!("{byte:02x}")).collect()
}
