//! The OpenAPI document: it describes every route the router serves, the documented samples and
//! a sweep of error answers validate against it, and it agrees with Capillary's reference specs.

use std::collections::BTreeSet;

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};

use crate::{
    helpers::*,
    samples::{SampleRequest, manifest, send},
};

async fn document(app: &TestApp) -> Value {
    let response = app.get("/openapi.json").send().await;
    assert_eq!(response.status, StatusCode::OK);
    response.json()
}

/// `(method, path)` of every operation the document describes.
fn operations(document: &Value) -> Vec<(String, String)> {
    let mut all = Vec::new();
    for (path, item) in document["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys().filter(|key| ["get", "put", "post", "delete", "patch"].contains(&key.as_str())) {
            all.push((method.clone(), path.clone()));
        }
    }
    all
}

/// A validator for the schema at `pointer` of `document` (its `$ref`s resolve in the document).
/// Every object the document declares properties for is closed: a property the document does
/// not name fails the check.
fn validator(document: &Value, pointer: &str) -> jsonschema::Validator {
    let mut root = document.clone();
    let parts = all_of_parts(document);
    for (name, schema) in root["components"]["schemas"].as_object_mut().unwrap() {
        if !parts.contains(name) {
            close_objects(schema);
        }
    }
    close_objects(&mut root["paths"]);
    let pointer = pointer.replace('{', "%7B").replace('}', "%7D");
    root["$ref"] = Value::String(format!("#{pointer}"));
    jsonschema::options().with_draft(jsonschema::Draft::Draft202012).build(&root).expect("the document's schemas compile")
}

/// The components that are parts of an `allOf` somewhere: a part sees only its own properties,
/// so it stays open and the `allOf` is closed instead.
fn all_of_parts(value: &Value) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    match value {
        Value::Object(map) => {
            for part in map.get("allOf").and_then(Value::as_array).into_iter().flatten() {
                if let Some(reference) = part["$ref"].as_str() {
                    names.insert(reference.trim_start_matches("#/components/schemas/").to_owned());
                }
            }
            map.values().for_each(|child| names.extend(all_of_parts(child)));
        }
        Value::Array(items) => items.iter().for_each(|child| names.extend(all_of_parts(child))),
        _ => {}
    }
    names
}

/// Adds `unevaluatedProperties: false` to every schema with `properties` and to every `allOf`,
/// leaving the parts of an `allOf` open.
fn close_objects(value: &mut Value) {
    match value {
        Value::Object(map) => {
            if (map.contains_key("properties") || map.contains_key("allOf")) && !map.contains_key("additionalProperties") {
                map.insert("unevaluatedProperties".into(), Value::Bool(false));
            }
            for (key, child) in map.iter_mut() {
                if key != "allOf" {
                    close_objects(child);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(close_objects),
        _ => {}
    }
}

fn escape(path: &str) -> String {
    path.replace('~', "~0").replace('/', "~1")
}

/// The path template of the document that `path` is an instance of.
fn template_of<'a>(document: &'a Value, method: &str, path: &str) -> &'a str {
    let fits = |template: &str| {
        template.split('/').count() == path.split('/').count()
            && template.split('/').zip(path.split('/')).all(|(a, b)| a == b || a.starts_with('{'))
    };
    document["paths"]
        .as_object()
        .unwrap()
        .iter()
        .find(|(template, item)| fits(template) && item.get(method).is_some())
        .map(|(template, _)| template.as_str())
        .unwrap_or_else(|| panic!("no operation {method} {path} in the document"))
}

#[track_caller]
fn assert_valid(document: &Value, method: &str, path: &str, status: u16, body: &Value, what: &str) {
    let template = template_of(document, method, path);
    let responses = &document["paths"][template][method]["responses"];
    assert!(responses.get(status.to_string()).is_some(), "{what}: {method} {template} has no {status} response in the document");
    let pointer = format!("/paths/{}/{method}/responses/{status}/content/application~1json/schema", escape(template));
    let validator = validator(document, &pointer);
    let errors: Vec<String> = validator.iter_errors(body).map(|error| format!("{} at {}", error, error.instance_path())).take(5).collect();
    assert!(errors.is_empty(), "{what}: the answer does not validate against {method} {template} {status}: {errors:#?}");
}

#[tokio::test]
async fn every_route_is_described_and_every_described_operation_is_routed() {
    let app = TestApp::new().await;
    let document = document(&app).await;
    assert_eq!(document["openapi"], "3.1.0");
    // The router and the document come from one list of annotated handlers (`lib.rs`, `routes`);
    // no route may be added beside it.
    for file in source_files("src") {
        let text = std::fs::read_to_string(&file).unwrap();
        assert!(!text.contains(".route(\""), "{file}: a route added with .route() is missing from the OpenAPI document; use routes!()");
    }
    let expected = [
        ("get", "/das/getLedgerEntriesWithEventId"),
        ("get", "/das/getTargetCompletedExplodeLedger"),
        ("get", "/v2/pointsLedger/getLedgerExplodeInfo"),
        ("get", "/v2.1/pointsLedger/getLedgerExplodeInfo"),
        ("get", "/v3/users/{userId}/targetGroups"),
        ("post", "/v3/oauth/token/generate"),
        ("post", "/__admin/tenants"),
        ("post", "/__admin/tenants/{tenant}/faults"),
        ("get", "/__admin/requests"),
        ("put", "/__admin/clock"),
    ];
    let described = operations(&document);
    for (method, path) in expected {
        assert!(described.contains(&(method.to_owned(), path.to_owned())), "{method} {path} is not described");
    }
    // Every described operation is served: no fallback 404 or 405 for it.
    for (method, path) in &described {
        let uri = path.replace("{tenant}", "default").replace("{userId}", "387043873").replace("{id}", "999999");
        let method = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
        let response = app.request(method.clone(), &uri).admin().send().await;
        let fallback = response.status == StatusCode::METHOD_NOT_ALLOWED || response.text().contains("No endpoint");
        assert!(!fallback, "{method} {uri} is described but not routed: {} {}", response.status, response.text());
    }
}

fn source_files(dir: &str) -> Vec<String> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap().map(Result::unwrap) {
        let path = entry.path().display().to_string();
        if entry.file_type().unwrap().is_dir() {
            files.extend(source_files(&path));
        } else if path.ends_with(".rs") {
            files.push(path);
        }
    }
    files
}

#[tokio::test]
async fn the_yaml_document_is_the_json_one() {
    let app = TestApp::new().await;
    let json = document(&app).await;
    let response = app.get("/openapi.yaml").send().await;
    assert_eq!(response.status, StatusCode::OK);
    assert_eq!(response.header("content-type"), Some("application/yaml"));
    let yaml: Value = serde_norway::from_str(&response.text()).unwrap();
    assert_eq!(yaml, json);
}

#[tokio::test]
async fn security_headers_and_error_codes_are_described() {
    let app = TestApp::new().await;
    let document = document(&app).await;
    let schemes = &document["components"]["securitySchemes"];
    assert_eq!(schemes["basic"], json!({"type": "http", "scheme": "basic", "description": schemes["basic"]["description"]}));
    assert_eq!(schemes["oauth"]["in"], "header");
    assert_eq!(schemes["oauth"]["name"], "X-CAP-API-OAUTH-TOKEN");
    assert_eq!(schemes["admin"]["scheme"], "bearer");
    let explode = &document["paths"]["/v2.1/pointsLedger/getLedgerExplodeInfo"]["get"];
    let headers: Vec<&str> =
        explode["parameters"].as_array().unwrap().iter().filter(|p| p["in"] == "header").map(|p| p["name"].as_str().unwrap()).collect();
    assert_eq!(headers, ["DATA-SCOPE", "DATA-SCOPE-ORG"]);
    // Each of the family's codes is listed under its status.
    for code in ["8013", "8015", "11021", "310144"] {
        assert!(explode["responses"]["400"]["description"].as_str().unwrap().contains(&format!("`{code}`")), "{code}");
    }
    assert_eq!(document["paths"]["/das/getLedgerEntriesWithEventId"]["get"]["deprecated"], true);
    assert_eq!(document["paths"]["/__admin/faults"]["post"]["security"], json!([{"admin": []}]));
    assert_eq!(document["paths"]["/__admin/health"]["get"]["security"], json!([{}]));
    let limit = explode["parameters"].as_array().unwrap().iter().find(|p| p["name"] == "limit").unwrap();
    assert_eq!(
        (&limit["schema"]["minimum"], &limit["schema"]["maximum"], &limit["schema"]["default"]),
        (&json!(1), &json!(10), &json!(10))
    );
}

#[tokio::test]
async fn every_documented_sample_is_an_example_and_validates() {
    let app = TestApp::new().await;
    let document = document(&app).await;
    let manifest = manifest();
    for sample in &manifest.samples {
        let request = &sample.request;
        let response = send(&app, &manifest, request).await;
        assert_eq!(response.status.as_u16(), sample.status, "{}", sample.name);
        let method = request.method.to_lowercase();
        assert_valid(&document, &method, &request.path, sample.status, &response.json(), &sample.name);
        let template = template_of(&document, &method, &request.path);
        let examples = &document["paths"][template][method.as_str()]["responses"][sample.status.to_string()]["content"]["application/json"]
            ["examples"];
        let whole = sample.select.is_none() && sample.instead.is_none() && sample.expected.is_some();
        assert_eq!(examples.get(&sample.name).is_some(), whole, "{}: an example exactly where the sample is a whole answer", sample.name);
    }
    // The check has teeth: a property the document does not name, or a code the status does not
    // carry, fails it.
    let pointer = "/paths/~1das~1getLedgerEntriesWithEventId/get/responses/200/content/application~1json/schema";
    let record = json!([{"ledgerEntryType": "CREDIT", "unknownField": 1}]);
    assert!(validator(&document, pointer).iter_errors(&record).any(|error| error.to_string().contains("unknownField")));
    let pointer = "/paths/~1v2~1pointsLedger~1getLedgerExplodeInfo/get/responses/400/content/application~1json/schema";
    let wrong_code = json!({"errors": [{"status": false, "code": 320001, "message": "x"}], "warnings": []});
    assert!(!validator(&document, pointer).is_valid(&wrong_code));
}

/// Each documented query parameter that is not free text, sent malformed: a 400 naming it, in
/// the family's envelope, that validates against the document's 400 response.
#[tokio::test]
async fn a_sweep_of_malformed_parameters_answers_errors_that_name_them_and_validate() {
    let app = TestApp::new().await;
    let document = document(&app).await;
    let manifest = manifest();
    let mut swept = 0;
    for (method, path) in operations(&document).into_iter().filter(|(method, path)| method == "get" && !path.starts_with("/__admin")) {
        let Some(sample) =
            manifest.samples.iter().find(|sample| sample.status == 200 && template_of(&document, "get", &sample.request.path) == path)
        else {
            continue;
        };
        let parameters = document["paths"][&path][&method]["parameters"].as_array().cloned().unwrap_or_default();
        for parameter in parameters.iter().filter(|p| p["in"] == "query") {
            let name = parameter["name"].as_str().unwrap();
            let kind = &parameter["schema"]["type"];
            let is_list = kind == "array";
            if kind == "string" && parameter["schema"].get("enum").is_none() && parameter["schema"].get("format").is_none() {
                continue; // free text: nothing is malformed
            }
            let mut query: Vec<(String, String)> =
                form_urlencoded::parse(sample.request.query.as_bytes()).into_owned().filter(|(key, _)| key != name).collect();
            query.push((name.to_owned(), if is_list { "1,,2".to_owned() } else { "not!valid".to_owned() }));
            let encoded: String = form_urlencoded::Serializer::new(String::new()).extend_pairs(&query).finish();
            let malformed = SampleRequest { query: encoded, ..sample.request.clone() };
            let response = send(&app, &manifest, &malformed).await;
            assert_eq!(response.status, StatusCode::BAD_REQUEST, "{path} {name}: {}", response.text());
            assert!(response.text().contains(name), "{path}: the error names '{name}': {}", response.text());
            assert_valid(&document, "get", &sample.request.path, 400, &response.json(), &format!("{path} {name}"));
            swept += 1;
        }
    }
    assert!(swept >= 30, "only {swept} parameters swept");
    // Credentials refused, in each family's envelope.
    for (path, status) in
        [("/das/getLedgerEntriesWithEventId", 401), ("/v2/pointsLedger/getLedgerExplodeInfo", 401), ("/v3/users/1/targetGroups", 401)]
    {
        let response = app.get(path).send().await;
        assert_eq!(response.status.as_u16(), status);
        assert_valid(&document, "get", path, status, &response.json(), path);
    }
    let refused = app.post("/v3/oauth/token/generate").json(&json!({"key": "demo-key", "secret": "wrong"})).send().await;
    assert_valid(&document, "post", "/v3/oauth/token/generate", 401, &refused.json(), "320001");
    let conflict = app.post("/__admin/tenants").admin().json(&json!({"id": "default"})).send().await;
    assert_valid(&document, "post", "/__admin/tenants", 409, &conflict.json(), "409");
}

/// Where Capillary's reference specs describe an endpoint, the document does not contradict them:
/// the same parameters in the same places, required alike, and every response property they name,
/// but for the differences listed here with their reasons.
#[tokio::test]
async fn the_document_agrees_with_capillarys_reference_specs() {
    const INTENDED: &[(&str, &str, &str)] = &[
        (
            "/v2.1/pointsLedger/getLedgerExplodeInfo",
            "eventIds required",
            "either eventIds or eventName with eventReferenceIds selects the events (11023 when neither)",
        ),
        (
            "/v2.1/pointsLedger/getLedgerExplodeInfo",
            "DATA-SCOPE-ORG required",
            "only DATA-SCOPE: OTHER needs it; SELF, the default, reads the caller's org (capdocs-connected-orgs-data-scopes.md)",
        ),
        (
            "/v3/users/{userId}/targetGroups",
            "Authorization header",
            "credentials are the security schemes (Basic, X-CAP-API-OAUTH-TOKEN), not parameters",
        ),
        (
            "/v3/users/{userId}/targetGroups",
            "X-CAP-API-OAUTH-TOKEN header",
            "credentials are the security schemes (Basic, X-CAP-API-OAUTH-TOKEN), not parameters",
        ),
        (
            "/v3/users/{userId}/targetGroups",
            "X-CAP-API-AUTH-KEY header",
            "the emulator takes Basic auth and OAuth tokens only (capdocs-authorization-flows.md)",
        ),
        (
            "/v3/users/{userId}/targetGroups",
            "X-CAP-API-AUTH-ORG-ID header",
            "the emulator takes Basic auth and OAuth tokens only (capdocs-authorization-flows.md)",
        ),
        (
            "/v3/users/{userId}/targetGroups",
            "response property message",
            "a 200 answer's `errors` is null (the pages' samples); an error's message is in the 400/404 envelopes",
        ),
    ];
    let app = TestApp::new().await;
    let document = document(&app).await;
    let reference_dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/api-docs/reference");
    let mut differences = BTreeSet::new();
    let mut compared = 0;
    for entry in std::fs::read_dir(&reference_dir).unwrap().map(Result::unwrap) {
        let name = entry.file_name().to_string_lossy().into_owned();
        let text = std::fs::read_to_string(entry.path()).unwrap();
        let reference: Value = if name.ends_with(".openapi.json") {
            serde_json::from_str(&text).unwrap()
        } else if name.ends_with(".openapi.yaml") {
            serde_norway::from_str(&text).unwrap()
        } else {
            continue;
        };
        for (path, item) in reference["paths"].as_object().unwrap() {
            // Capillary's v3 file is relative to its /v3 server.
            let ours_path = if document["paths"].get(path).is_some() { path.clone() } else { format!("/v3{path}") };
            for (method, theirs) in item.as_object().unwrap() {
                let ours = &document["paths"][&ours_path][method];
                assert!(ours.is_object(), "{name}: {method} {path} is not in the document");
                compared += 1;
                for parameter in theirs["parameters"].as_array().into_iter().flatten() {
                    let parameter = resolve(&reference, parameter);
                    let (pname, location) = (parameter["name"].as_str().unwrap(), parameter["in"].as_str().unwrap());
                    let mine = ours["parameters"].as_array().into_iter().flatten().find(|p| p["name"] == pname);
                    match mine {
                        None => {
                            differences.insert((ours_path.clone(), format!("{pname} {location}")));
                        }
                        Some(mine) => {
                            assert_eq!(mine["in"], location, "{name}: {pname}");
                            let required = |p: &Value| p["required"].as_bool().unwrap_or(false);
                            if required(parameter) != required(mine) {
                                differences.insert((ours_path.clone(), format!("{pname} required")));
                            }
                        }
                    }
                }
                let their_properties = property_names(&reference, &theirs["responses"]["200"]["content"]["application/json"]["schema"], 3);
                let our_properties = property_names(&document, &ours["responses"]["200"]["content"]["application/json"]["schema"], 6);
                for property in their_properties.difference(&our_properties) {
                    differences.insert((ours_path.clone(), format!("response property {property}")));
                }
            }
        }
    }
    assert_eq!(compared, 4, "the four reference specs");
    let intended: BTreeSet<(String, String)> = INTENDED.iter().map(|(path, what, _)| ((*path).to_owned(), (*what).to_owned())).collect();
    assert_eq!(differences, intended, "differences from the reference specs that are not listed (or listed and gone)");
}

fn resolve<'a>(document: &'a Value, value: &'a Value) -> &'a Value {
    match value.get("$ref").and_then(Value::as_str) {
        Some(pointer) => resolve(document, document.pointer(pointer.trim_start_matches('#')).unwrap_or(&Value::Null)),
        None => value,
    }
}

/// The property names of `schema` down to `depth` objects deep, through `$ref`s, arrays and
/// compositions.
fn property_names(document: &Value, schema: &Value, depth: usize) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    let schema = resolve(document, schema);
    if depth == 0 || !schema.is_object() {
        return names;
    }
    for (name, property) in schema["properties"].as_object().into_iter().flatten() {
        names.insert(name.clone());
        names.extend(property_names(document, property, depth - 1));
    }
    for key in ["allOf", "oneOf", "anyOf"] {
        for part in schema[key].as_array().into_iter().flatten() {
            names.extend(property_names(document, part, depth));
        }
    }
    if schema.get("items").is_some() {
        names.extend(property_names(document, &schema["items"], depth));
    }
    names
}
