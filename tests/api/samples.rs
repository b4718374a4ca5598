//! Every documented sample, run from `tests/samples/manifest.json` through the strict comparator;
//! the sample files checked against the documents they were taken from; the README's sample list
//! checked against the manifest.

use std::{
    collections::BTreeMap,
    path::{Path, PathBuf},
};

use axum::http::Method;
use serde::Deserialize;

use crate::{
    helpers::*,
    strict_json::{Json, Relaxation, RelaxationKind, assert_same, differences},
};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    #[allow(dead_code)]
    pub about: String,
    /// Every till of the default bundle has this password.
    pub password: String,
    pub samples: Vec<Sample>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Sample {
    pub name: String,
    pub title: String,
    /// The document under `../shared/api-docs/`.
    pub document: String,
    /// Where in the document: `value:N` (the Nth JSON value printed at the start of a line),
    /// `block:TITLE` (the first JSON value in the fenced block with that title), `example:NAME`
    /// (the OpenAPI example of that name), `url:N` (the Nth URL: a request without a printed
    /// response), `text:TEXT` (a printed sample that is not JSON, found by its text).
    pub sample: String,
    pub request: SampleRequest,
    pub status: u16,
    /// The file under `tests/samples/`; none for a request the documents print no answer for.
    pub expected: Option<String>,
    /// The part of the answer the file is (a path such as `$.data.targetGroups[id=1014].streaks`);
    /// the whole body when absent.
    #[serde(default)]
    pub select: Option<String>,
    pub relaxations: Vec<Relaxation>,
    /// Why the file is not what the document prints, when it is not.
    #[serde(default)]
    pub repaired: Option<String>,
    /// A printed answer the emulator deliberately does not give, because the pages contradict
    /// themselves (docs/explode.md, docs/target-groups.md "Choices"): the request's answer is the
    /// named sample's instead (or, with none named, only its status is checked).
    #[serde(default)]
    pub instead: Option<Instead>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Instead {
    pub sample: Option<String>,
    pub reason: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SampleRequest {
    pub method: String,
    pub path: String,
    pub query: String,
    pub credential: Credential,
    pub headers: BTreeMap<String, String>,
}

#[derive(Debug, Deserialize, PartialEq, Eq, Clone)]
#[serde(rename_all = "lowercase", deny_unknown_fields)]
pub enum Credential {
    /// Basic auth as this till of the default bundle, with the manifest's password.
    Till(String),
    /// An OAuth token of this client key of the default bundle.
    Oauth(String),
}

impl SampleRequest {
    pub fn uri(&self) -> String {
        if self.query.is_empty() { self.path.clone() } else { format!("{}?{}", self.path, self.query) }
    }
}

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

#[track_caller]
pub fn manifest() -> Manifest {
    let text = std::fs::read_to_string(root().join("tests/samples/manifest.json")).expect("tests/samples/manifest.json");
    serde_json::from_str(&text).unwrap_or_else(|error| panic!("tests/samples/manifest.json: {error}"))
}

#[track_caller]
fn sample_file(name: &str) -> Json {
    let path = root().join("tests/samples").join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|error| panic!("{}: {error}", path.display()));
    Json::parse(&text).unwrap_or_else(|error| panic!("{}: {error}", path.display()))
}

/// The secret of an OAuth client, from the default bundle's files.
#[track_caller]
fn oauth_secret(key: &str) -> String {
    let bundle = default_bundle().merged();
    let client = bundle["oauth_clients"].as_array().unwrap().iter().find(|client| client["client_key"] == key);
    client.unwrap_or_else(|| panic!("no OAuth client {key} in fixtures/default"))["client_secret"].as_str().unwrap().to_owned()
}

pub async fn send(app: &TestApp, manifest: &Manifest, request: &SampleRequest) -> TestResponse {
    let method: Method = request.method.parse().expect("method");
    let mut builder = app.request(method, &request.uri());
    builder = match &request.credential {
        Credential::Till(till) => builder.basic(till, &manifest.password),
        Credential::Oauth(key) => builder.oauth(&app.oauth_token(key, &oauth_secret(key)).await),
    };
    for (name, value) in &request.headers {
        builder = builder.header(name, value);
    }
    builder.send().await
}

#[tokio::test]
async fn every_documented_sample_comes_back_as_printed() {
    let app = TestApp::new().await;
    let manifest = manifest();
    let mut failures = Vec::new();
    for sample in &manifest.samples {
        let response = send(&app, &manifest, &sample.request).await;
        if response.status.as_u16() != sample.status {
            failures.push(format!("{}: status {}, expected {}: {}", sample.name, response.status, sample.status, response.text()));
            continue;
        }
        assert_eq!(response.header("content-type"), Some("application/json"), "{}", sample.name);
        let body = Json::parse(&response.text()).unwrap_or_else(|error| panic!("{}: the answer is not JSON: {error}", sample.name));
        let sample = match &sample.instead {
            Some(Instead { sample: Some(other), .. }) => manifest.samples.iter().find(|known| &known.name == other).expect("checked"),
            Some(Instead { sample: None, .. }) => continue,
            None => sample,
        };
        let Some(expected) = &sample.expected else { continue };
        let actual = match &sample.select {
            Some(path) => body.at(path).unwrap_or_else(|error| panic!("{}: {error}", sample.name)).clone(),
            None => body,
        };
        let found = differences(&actual, &sample_file(expected), &sample.relaxations);
        if !found.is_empty() {
            failures.push(format!("{} ({}):\n    {}\n    answer: {actual}", sample.name, sample.request.uri(), found.join("\n    ")));
        }
    }
    assert!(failures.is_empty(), "{} of {} samples differ:\n{}", failures.len(), manifest.samples.len(), failures.join("\n"));
}

#[test]
fn the_manifest_is_consistent() {
    let manifest = manifest();
    let mut names = std::collections::BTreeSet::new();
    let mut files = std::collections::BTreeSet::new();
    for sample in &manifest.samples {
        assert!(names.insert(&sample.name), "{}: named twice", sample.name);
        if let Some(file) = &sample.expected {
            assert!(files.insert(file.clone()), "{file}: used twice");
            sample_file(file);
        }
        assert!(sample.expected.is_some() || sample.relaxations.is_empty(), "{}: relaxations without a file", sample.name);
        for relaxation in &sample.relaxations {
            assert!(!relaxation.reason.trim().is_empty(), "{}: a relaxation without its reason", sample.name);
        }
        if let Some(instead) = &sample.instead {
            assert!(!instead.reason.trim().is_empty(), "{}: answered otherwise without a reason", sample.name);
            if let Some(other) = &instead.sample {
                let other = manifest.samples.iter().find(|known| &known.name == other);
                assert!(other.is_some_and(|other| other.instead.is_none()), "{}: instead names no reproduced sample", sample.name);
            }
        }
    }
    // Every file under tests/samples/ is a sample of the manifest.
    for entry in std::fs::read_dir(root().join("tests/samples")).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        assert!(name == "manifest.json" || files.contains(&name), "tests/samples/{name} is in no sample of the manifest");
    }
}

// ---------------------------------------------------------------- the documents the samples come from

/// `../shared/api-docs/` beside the checkout, as in CI.
fn docs_dir() -> PathBuf {
    let dir = root().join("../shared/api-docs");
    assert!(dir.is_dir(), "the API documents are expected at {} (shared/ beside the checkout, as in CI)", dir.display());
    dir
}

/// The JSON values printed at the start of a line (outside of other values), in order.
fn printed_values(text: &str) -> Vec<&str> {
    let mut values = Vec::new();
    let mut next = 0;
    for (start, _) in text.match_indices(['{', '[']) {
        let at_line_start = start == 0 || text.as_bytes()[start - 1] == b'\n';
        if start < next || !at_line_start {
            continue;
        }
        if let Ok((_, length)) = Json::parse_prefix(&text[start..]) {
            values.push(&text[start..start + length]);
            next = start + length;
        }
    }
    values
}

/// The text of the fenced block titled `title` (```` ```json TITLE ````).
fn fenced_block<'a>(text: &'a str, title: &str) -> Option<&'a str> {
    let mut lines = text.split_inclusive('\n');
    let mut offset = 0;
    for line in lines.by_ref() {
        offset += line.len();
        let Some(info) = line.trim_end().strip_prefix("```") else { continue };
        if info.split_once(' ').is_some_and(|(_, name)| name.trim() == title) {
            let body = &text[offset..];
            let end = body.find("\n```").map_or(body.len(), |end| end + 1);
            return Some(&body[..end]);
        }
    }
    None
}

/// The first JSON value in a block (a block may start with `response:` or with a fragment's key).
fn first_value(block: &str) -> Result<&str, String> {
    let start = block.find(['{', '[']).ok_or("no JSON value in the block")?;
    let (_, length) = Json::parse_prefix(&block[start..])?;
    Ok(&block[start..start + length])
}

/// The value of the OpenAPI example `name` (anywhere under an `examples` key).
fn openapi_example(document: &str, name: &str) -> Option<String> {
    fn find(node: &serde_norway::Value, name: &str) -> Option<serde_norway::Value> {
        match node {
            serde_norway::Value::Mapping(map) => map.iter().find_map(|(key, value)| {
                if key.as_str() == Some("examples")
                    && let Some(example) = value.get(name)
                {
                    return example.get("value").cloned();
                }
                find(value, name)
            }),
            serde_norway::Value::Sequence(items) => items.iter().find_map(|item| find(item, name)),
            _ => None,
        }
    }
    let yaml: serde_norway::Value = serde_norway::from_str(document).expect("the OpenAPI document is YAML");
    match find(&yaml, name)? {
        // The examples are JSON texts, numbers spelled as Capillary printed them.
        serde_norway::Value::String(text) => Some(text),
        other => Some(serde_json::to_string(&other).unwrap()),
    }
}

/// The Nth URL of a document.
fn printed_url(text: &str, n: usize) -> Option<&str> {
    text.match_indices("http")
        .filter(|(start, _)| text[*start..].starts_with("http://") || text[*start..].starts_with("https://"))
        .map(|(start, _)| {
            let rest = &text[start..];
            &rest[..rest.find(|c: char| c.is_whitespace() || "'\"\\`<>)".contains(c)).unwrap_or(rest.len())]
        })
        .nth(n)
}

#[test]
fn every_sample_file_is_the_json_its_document_prints() {
    let docs = docs_dir();
    let mut failures = Vec::new();
    for sample in manifest().samples {
        let path = docs.join(&sample.document);
        let text = std::fs::read_to_string(&path).unwrap_or_else(|error| panic!("{}: {}: {error}", sample.name, path.display()));
        let (kind, argument) = sample.sample.split_once(':').unwrap_or_else(|| panic!("{}: bad locator {}", sample.name, sample.sample));
        let printed: Result<String, String> = match kind {
            "value" => printed_values(&text).get(argument.parse::<usize>().unwrap()).map(|v| (*v).to_owned()).ok_or("no such value".into()),
            "block" => fenced_block(&text, argument).ok_or("no such block".to_owned()).and_then(|block| match first_value(block) {
                Ok(value) => Ok(value.to_owned()),
                Err(error) => Err(format!("{error}\n{block}")),
            }),
            "example" => openapi_example(&text, argument).ok_or("no such example".into()),
            // A sample file of api-docs/current/samples/: the value at that key.
            "json" => {
                Json::parse(&text).map_err(|error| error.to_string()).and_then(|document| match document.at(&format!("$.{argument}")) {
                    Ok(value) => Ok(value.to_string()),
                    Err(error) => Err(error.to_string()),
                })
            }
            "url" => {
                let url = printed_url(&text, argument.parse().unwrap()).unwrap_or_else(|| panic!("{}: no URL {argument}", sample.name));
                let printed = url.find(&sample.request.path).map(|start| &url[start..]).unwrap_or(url);
                if printed != sample.request.uri() {
                    failures.push(format!("{}: the document's request is {printed}, the manifest's {}", sample.name, sample.request.uri()));
                }
                continue;
            }
            "text" => {
                assert!(sample.repaired.is_some(), "{}: a text locator is for a printed sample that is not JSON", sample.name);
                if !text.contains(argument) {
                    failures.push(format!("{}: the document no longer prints {argument}; take the sample again", sample.name));
                }
                continue;
            }
            other => panic!("{}: unknown locator {other}", sample.name),
        };
        match (&sample.repaired, printed) {
            (Some(_), Ok(printed)) => failures.push(format!(
                "{}: the document now prints valid JSON; take the sample again instead of the repaired file:\n{printed}",
                sample.name
            )),
            (Some(_), Err(_)) => {}
            (None, Err(error)) => failures.push(format!("{}: {} in {}: {error}", sample.name, sample.sample, sample.document)),
            (None, Ok(printed)) => {
                let printed = Json::parse(&printed).expect("parsed once");
                let file = sample_file(sample.expected.as_ref().expect("a printed sample has its file"));
                let found = differences(&file, &printed, &[]);
                if !found.is_empty() {
                    failures.push(format!("{}: the file differs from {}:\n    {}", sample.name, sample.document, found.join("\n    ")));
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

// ---------------------------------------------------------------- the README's list

const README_BEGIN: &str =
    "<!-- samples: generated from tests/samples/manifest.json; UPDATE_README=1 cargo test --test api readme rewrites it -->";
const README_END: &str = "<!-- /samples -->";

/// The README's list of the samples' requests, as the manifest gives them.
pub fn readme_block(manifest: &Manifest) -> String {
    let mut out = String::from("```sh\nBASE=http://127.0.0.1:8080\n");
    out += &format!("P=$(printf {} | md5sum | cut -d' ' -f1)\n", manifest.password);
    if manifest.samples.iter().any(|sample| matches!(sample.request.credential, Credential::Oauth(_))) {
        out += "token() { curl -s \"$BASE/v3/oauth/token/generate\" -H 'content-type: application/json' \\\n";
        out += "  -d \"{\\\"key\\\":\\\"$1\\\",\\\"secret\\\":\\\"$2\\\"}\" | sed 's/.*\"accessToken\":\"\\([^\"]*\\)\".*/\\1/'; }\n";
    }
    let mut index = 0;
    while index < manifest.samples.len() {
        let request = &manifest.samples[index].request;
        // Samples of one request (fragments of one answer) share its line.
        let same: Vec<&Sample> = manifest.samples[index..].iter().take_while(|sample| sample.request.uri() == request.uri()).collect();
        let titles: Vec<String> = same.iter().map(|sample| sample.title.clone()).collect();
        out += &format!("\n# {} ({})\n", titles.join("; "), same[0].document);
        out += "curl";
        if request.method != "GET" {
            out += &format!(" -X {}", request.method);
        }
        match &request.credential {
            Credential::Till(till) => out += &format!(" -u {till}:$P"),
            Credential::Oauth(key) => out += &format!(" -H \"X-CAP-API-OAUTH-TOKEN: $(token {key} {})\"", oauth_secret(key)),
        }
        for (name, value) in &request.headers {
            out += &format!(" -H '{name}: {value}'");
        }
        out += &format!(" \"$BASE{}\"\n", request.uri());
        index += same.len();
    }
    out + "```\n"
}

#[test]
fn the_readme_lists_the_manifests_requests() {
    let path = root().join("README.md");
    let readme = std::fs::read_to_string(&path).unwrap();
    let begin = readme.find(README_BEGIN).expect("the README marks its sample list") + README_BEGIN.len() + 1;
    let end = readme[begin..].find(README_END).expect("the README ends its sample list") + begin;
    let block = readme_block(&manifest());
    if readme[begin..end] != block {
        if std::env::var_os("UPDATE_README").is_some() {
            std::fs::write(&path, format!("{}{block}{}", &readme[..begin], &readme[end..])).unwrap();
        } else {
            panic!("README.md's sample list is not the manifest's (UPDATE_README=1 rewrites it); it should be:\n{block}");
        }
    }
}

#[test]
fn relaxations_are_known_kinds() {
    // Each kind is used on purpose: a manifest that names an unknown kind does not parse.
    let error = serde_json::from_str::<Relaxation>(r#"{"kind": "anything", "path": "$", "reason": "x"}"#).unwrap_err();
    assert!(error.to_string().contains("unknown variant"), "{error}");
    let known: Relaxation = serde_json::from_str(r#"{"kind": "number-value", "path": "$", "reason": "x"}"#).unwrap();
    assert_eq!(known.kind, RelaxationKind::NumberValue);
}

/// Asserts an answer is the documented sample `name` of the manifest (its file, or the part its
/// `select` names, under its relaxations), whatever request produced it.
#[track_caller]
pub fn assert_is_sample(name: &str, response: &TestResponse) {
    let manifest = manifest();
    let sample = manifest.samples.iter().find(|sample| sample.name == name).unwrap_or_else(|| panic!("no sample {name}"));
    assert_eq!(response.status.as_u16(), sample.status, "{name}: {}", response.text());
    let body = Json::parse(&response.text()).unwrap_or_else(|error| panic!("{name}: the answer is not JSON: {error}"));
    let actual = match &sample.select {
        Some(path) => body.at(path).unwrap_or_else(|error| panic!("{name}: {error}")).clone(),
        None => body,
    };
    assert_same(&actual, &sample_file(sample.expected.as_ref().expect("a sample with a file")), &sample.relaxations);
}

/// The sample file of `name`, as a `serde_json::Value`.
pub fn sample_value(name: &str) -> serde_json::Value {
    let manifest = manifest();
    let sample = manifest.samples.iter().find(|sample| sample.name == name).unwrap_or_else(|| panic!("no sample {name}"));
    let path = root().join("tests/samples").join(sample.expected.as_ref().expect("a sample with a file"));
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}
