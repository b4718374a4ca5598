//! The documented samples (`tests/samples/manifest.json`, embedded at build time): the requests
//! and answers the tests check, shown as the document's examples and replayed by the Postman
//! collection.

use std::sync::LazyLock;

use serde::Deserialize;
use serde_json::Value;
use utoipa::openapi::{
    RefOr,
    example::ExampleBuilder,
    path::{Operation, ParameterBuilder},
    schema::{Schema, SchemaType, Type},
};

mod embedded {
    include!(concat!(env!("OUT_DIR"), "/samples.rs"));
}

/// One documented request, and its answer where the documents print the whole of it.
#[derive(Debug, Clone)]
pub struct Sample {
    pub name: String,
    pub title: String,
    pub document: String,
    pub method: String,
    pub path: String,
    pub query: String,
    /// The till whose Basic credential the request carries (every till's password is `password`).
    pub till: String,
    pub headers: Vec<(String, String)>,
    pub status: u16,
    /// The whole answer, where the sample file is one (not a fragment, not replaced by another).
    pub body: Option<Value>,
}

/// The password of every till of the default bundle.
pub fn password() -> &'static str {
    &MANIFEST.password
}

pub fn all() -> &'static [Sample] {
    &MANIFEST.samples
}

struct Samples {
    password: String,
    samples: Vec<Sample>,
}

static MANIFEST: LazyLock<Samples> = LazyLock::new(|| {
    #[derive(Deserialize)]
    struct Manifest {
        password: String,
        samples: Vec<Entry>,
    }
    #[derive(Deserialize)]
    struct Entry {
        name: String,
        title: String,
        document: String,
        request: Request,
        status: u16,
        expected: Option<String>,
        select: Option<String>,
        instead: Option<Value>,
    }
    #[derive(Deserialize)]
    struct Request {
        method: String,
        path: String,
        query: String,
        credential: Credential,
        headers: serde_json::Map<String, Value>,
    }
    #[derive(Deserialize)]
    struct Credential {
        till: String,
    }
    let manifest: Manifest = serde_json::from_str(file("manifest.json")).expect("tests/samples/manifest.json");
    let samples = manifest
        .samples
        .into_iter()
        .map(|entry| {
            let whole = entry.select.is_none() && entry.instead.is_none();
            let body = entry.expected.filter(|_| whole).map(|name| serde_json::from_str(file(&name)).expect("a sample file is JSON"));
            Sample {
                name: entry.name,
                title: entry.title,
                document: entry.document,
                method: entry.request.method,
                path: entry.request.path,
                query: entry.request.query,
                till: entry.request.credential.till,
                headers: entry
                    .request
                    .headers
                    .into_iter()
                    .map(|(name, value)| (name, value.as_str().unwrap_or_default().to_owned()))
                    .collect(),
                status: entry.status,
                body,
            }
        })
        .collect();
    Samples { password: manifest.password, samples }
});

fn file(name: &str) -> &'static str {
    embedded::FILES
        .iter()
        .find(|(file, _)| *file == name)
        .map(|(_, text)| *text)
        .unwrap_or_else(|| panic!("tests/samples/{name} is missing"))
}

impl Sample {
    /// Whether this sample is a request to the operation `method` `path` (`{…}` for a segment).
    pub fn is_for(&self, method: &str, path: &str) -> bool {
        self.method.eq_ignore_ascii_case(method) && crate::endpoints::path_matches(&path_pattern(path), &self.path)
    }

    pub fn query_pairs(&self) -> Vec<(String, String)> {
        form_urlencoded::parse(self.query.as_bytes()).into_owned().collect()
    }

    /// What the request was, for an example's description.
    pub fn request_line(&self) -> String {
        let query = if self.query.is_empty() { String::new() } else { format!("?{}", self.query) };
        let headers: String = self.headers.iter().map(|(name, value)| format!(" `{name}: {value}`")).collect();
        format!("`{} {}{query}` as `{}`{headers} ({})", self.method, self.path, self.till, self.document)
    }
}

/// `/v3/users/{userId}/targetGroups` → `/v3/users/*/targetGroups`.
pub fn path_pattern(path: &str) -> String {
    path.split('/').map(|segment| if segment.starts_with('{') { "*" } else { segment }).collect::<Vec<_>>().join("/")
}

/// One example per documented sample of the operation, under its status; and the first sample's
/// values as the parameters' examples, so that a docs console's "try it" is one click away.
pub fn add_examples(method: &str, path: &str, operation: &mut Operation) {
    let samples: Vec<&Sample> = all().iter().filter(|sample| sample.is_for(method, path)).collect();
    for sample in &samples {
        let Some(body) = &sample.body else { continue };
        let Some(RefOr::T(response)) = operation.responses.responses.get_mut(&sample.status.to_string()) else { continue };
        let Some(RefOr::T(content)) = response.content.get_mut("application/json") else { continue };
        let example =
            ExampleBuilder::new().summary(sample.title.clone()).description(sample.request_line()).value(Some(body.clone())).build();
        content.examples.insert(sample.name.clone(), RefOr::T(example));
    }
    let Some(first) = samples.iter().find(|sample| sample.status == 200) else { return };
    let query = first.query_pairs();
    let path_values = path_values(path, &first.path);
    for parameter in operation.parameters.iter_mut().flatten() {
        let RefOr::T(parameter) = parameter else { continue };
        let value = query
            .iter()
            .find(|(name, _)| *name == parameter.name)
            .map(|(_, value)| value.clone())
            .or_else(|| path_values.iter().find(|(name, _)| *name == parameter.name).map(|(_, value)| value.clone()))
            .or_else(|| first.headers.iter().find(|(name, _)| name.eq_ignore_ascii_case(&parameter.name)).map(|(_, value)| value.clone()));
        if let Some(value) = value {
            let example = typed(value, parameter.schema.as_ref());
            *parameter = ParameterBuilder::from(parameter.clone()).example(Some(example)).build();
        }
    }
}

/// The values of the `{…}` segments of `template` in `path`.
fn path_values(template: &str, path: &str) -> Vec<(String, String)> {
    template
        .split('/')
        .zip(path.split('/'))
        .filter_map(|(name, value)| {
            name.strip_prefix('{').and_then(|name| name.strip_suffix('}')).map(|name| (name.to_owned(), value.to_owned()))
        })
        .collect()
}

/// `value` as the parameter's schema types it: `1`/`0` for a flag are `true`/`false`; a list is
/// an array of its comma-separated items.
fn typed(value: String, schema: Option<&RefOr<Schema>>) -> Value {
    let kind = match schema {
        Some(RefOr::T(Schema::Object(object))) => Some(&object.schema_type),
        Some(RefOr::T(Schema::Array(array))) => {
            let items = match &array.items {
                utoipa::openapi::schema::ArrayItems::RefOrSchema(items) => Some(items.as_ref()),
                _ => None,
            };
            return Value::Array(value.split(',').map(|item| typed(item.to_owned(), items)).collect());
        }
        _ => None,
    };
    match kind {
        Some(SchemaType::Type(Type::Boolean)) => match value.to_ascii_lowercase().as_str() {
            "1" | "true" => Value::Bool(true),
            "0" | "false" => Value::Bool(false),
            _ => Value::String(value),
        },
        Some(SchemaType::Type(Type::Integer)) => value.parse::<i64>().map(Value::from).unwrap_or(Value::String(value)),
        _ => Value::String(value),
    }
}
