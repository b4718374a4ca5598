//! The Postman collection: its shape (Postman's collection format v2.1), one request per
//! documented sample, and every request replayed against the emulator answering the documented
//! status.

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};

use crate::{helpers::*, samples::manifest};

/// The parts of Postman's collection format v2.1.0 the collection uses, as that format defines
/// them (required fields, types, the auth and URL objects).
fn collection_schema() -> Value {
    json!({
        "type": "object",
        "required": ["info", "item"],
        "properties": {
            "info": {
                "type": "object", "required": ["name", "schema"],
                "properties": {"name": {"type": "string"}, "schema": {"const": "https://schema.getpostman.com/json/collection/v2.1.0/collection.json"}, "description": {"type": "string"}}
            },
            "variable": {"type": "array", "items": {"$ref": "#/$defs/variable"}},
            "item": {"type": "array", "items": {"$ref": "#/$defs/folder"}}
        },
        "$defs": {
            "variable": {"type": "object", "required": ["key", "value"], "properties": {"key": {"type": "string"}, "value": {"type": "string"}, "type": {"enum": ["string", "boolean", "any", "number"]}}},
            "folder": {"type": "object", "required": ["name", "item"], "properties": {"name": {"type": "string"}, "item": {"type": "array", "minItems": 1, "items": {"$ref": "#/$defs/item"}}}},
            "item": {
                "type": "object", "required": ["name", "request"],
                "properties": {
                    "name": {"type": "string"}, "description": {"type": "string"},
                    "request": {"$ref": "#/$defs/request"},
                    "response": {"type": "array", "items": {"$ref": "#/$defs/response"}},
                    "event": {"type": "array", "items": {"type": "object", "required": ["listen"], "properties": {"listen": {"enum": ["test", "prerequest"]}, "script": {"type": "object", "properties": {"type": {"type": "string"}, "exec": {"type": "array", "items": {"type": "string"}}}}}}}
                }
            },
            "request": {
                "type": "object", "required": ["method", "url"],
                "properties": {
                    "method": {"enum": ["GET", "PUT", "POST", "PATCH", "DELETE", "COPY", "HEAD", "OPTIONS", "LINK", "UNLINK", "PURGE", "LOCK", "UNLOCK", "PROPFIND", "VIEW"]},
                    "header": {"type": "array", "items": {"type": "object", "required": ["key", "value"], "properties": {"key": {"type": "string"}, "value": {"type": "string"}}}},
                    "auth": {"type": "object", "required": ["type"], "properties": {"type": {"enum": ["basic", "bearer", "apikey", "noauth"]}, "basic": {"type": "array", "items": {"type": "object", "required": ["key"], "properties": {"key": {"type": "string"}, "type": {"type": "string"}}}}}},
                    "url": {
                        "type": "object", "required": ["raw"],
                        "properties": {
                            "raw": {"type": "string"}, "host": {"type": "array", "items": {"type": "string"}}, "path": {"type": "array", "items": {"type": "string"}},
                            "query": {"type": "array", "items": {"type": "object", "required": ["key"], "properties": {"key": {"type": ["string", "null"]}, "value": {"type": ["string", "null"]}}}}
                        }
                    }
                }
            },
            "response": {
                "type": "object",
                "properties": {"name": {"type": "string"}, "originalRequest": {"$ref": "#/$defs/request"}, "code": {"type": "integer"}, "status": {"type": "string"}, "body": {"type": ["string", "null"]}, "header": {"type": "array"}}
            }
        }
    })
}

/// Every request of the collection, with its folder.
fn requests(collection: &Value) -> Vec<(&str, &Value)> {
    let mut all = Vec::new();
    for folder in collection["item"].as_array().unwrap() {
        for item in folder["item"].as_array().unwrap() {
            all.push((folder["name"].as_str().unwrap(), item));
        }
    }
    all
}

#[tokio::test]
async fn the_collection_holds_every_sample_and_replays_with_the_documented_statuses() {
    let app = TestApp::new().await;
    assert_eq!(app.get("/__admin/postman").send().await.status, StatusCode::UNAUTHORIZED);
    let response = app.get("/__admin/postman").admin().header("host", "emulator.test:8080").send().await;
    assert_eq!(response.status, StatusCode::OK);
    assert!(response.header("content-disposition").unwrap().contains(".postman_collection.json"));
    let collection = response.json();
    let validator = jsonschema::validator_for(&collection_schema()).unwrap();
    let errors: Vec<String> =
        validator.iter_errors(&collection).map(|error| format!("{error} at {}", error.instance_path())).take(5).collect();
    assert!(errors.is_empty(), "{errors:#?}");

    let variables: Vec<(&str, &str)> =
        collection["variable"].as_array().unwrap().iter().map(|v| (v["key"].as_str().unwrap(), v["value"].as_str().unwrap())).collect();
    assert!(variables.contains(&("baseUrl", "http://emulator.test:8080")), "{variables:?}");
    let password = variables.iter().find(|(key, _)| *key == "passwordMd5").unwrap().1;
    assert_eq!(password, md5_hex(DEMO_PASSWORD));

    let manifest = manifest();
    let requests = requests(&collection);
    assert_eq!(requests.len(), manifest.samples.len(), "one request per documented sample");
    let folders: std::collections::BTreeSet<&str> = requests.iter().map(|(folder, _)| *folder).collect();
    assert_eq!(folders, ["DAS", "v2", "v3"].into_iter().collect());
    let mut replayed = std::collections::BTreeSet::new();
    for (_, item) in &requests {
        let request = &item["request"];
        let url = request["url"]["raw"].as_str().unwrap().replace("{{baseUrl}}", "");
        let sample = manifest
            .samples
            .iter()
            .find(|sample| item["name"] == sample.title && url == sample.request.uri())
            .expect("a documented sample");
        assert!(replayed.insert(&sample.name), "{} twice", sample.name);
        let auth = &request["auth"]["basic"];
        let field = |key: &str| auth.as_array().unwrap().iter().find(|f| f["key"] == key).unwrap()["value"].as_str().unwrap().to_owned();
        let till = field("username");
        assert_eq!(field("password"), "{{passwordMd5}}");
        let mut call =
            app.request(Method::from_bytes(request["method"].as_str().unwrap().as_bytes()).unwrap(), &url).basic(&till, DEMO_PASSWORD);
        for header in request["header"].as_array().unwrap() {
            call = call.header(header["key"].as_str().unwrap(), header["value"].as_str().unwrap());
        }
        let answer = call.send().await;
        let script = item["event"][0]["script"]["exec"][0].as_str().unwrap();
        let expected: u16 = script.split("have.status(").nth(1).and_then(|rest| rest.split(')').next()).unwrap().parse().unwrap();
        assert_eq!(expected, sample.status, "{}", sample.name);
        assert_eq!(answer.status.as_u16(), expected, "{}: {}", sample.name, answer.text());
        // The example response is the documented answer, where the sample is a whole one.
        if let Some(example) = item["response"].as_array().unwrap().first() {
            assert_eq!(example["code"], expected);
            let body: Value = serde_json::from_str(example["body"].as_str().unwrap()).unwrap();
            assert!(body.is_object() || body.is_array());
        }
    }
}

#[test]
fn the_cli_writes_the_collection_to_a_file() {
    let dir = std::env::temp_dir().join(format!("postman-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("collection.json");
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_capillary-emulator"))
        .args(["postman", file.to_str().unwrap(), "--base-url", "http://localhost:9999"])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let collection: Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    assert_eq!(collection["variable"][0], json!({"key": "baseUrl", "value": "http://localhost:9999", "type": "string"}));
    assert_eq!(requests(&collection).len(), manifest().samples.len());
    std::fs::remove_dir_all(dir).unwrap();
}
