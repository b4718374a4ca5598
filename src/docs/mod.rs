//! What the emulator says about itself to people and tools: a landing page at `/`, the OpenAPI
//! document generated with the routes (`/openapi.json`, `/openapi.yaml`), and a docs console at
//! `/docs` (Swagger UI from the npm package `swagger-ui-dist`, embedded: it works offline).

use axum::{
    Json,
    extract::Path,
    http::{HeaderValue, header},
    response::{Html, IntoResponse, Response},
};
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::platform::state::AppState;

mod errors;
pub mod openapi;
pub mod params;
pub mod postman;
pub mod samples;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(landing))
        .routes(routes!(openapi_json))
        .routes(routes!(openapi_yaml))
        .routes(routes!(console))
        .routes(routes!(console_file))
        .routes(routes!(postman_collection))
}

/// Paths that describe the emulator rather than emulate Capillary: not journaled.
pub fn is_docs_path(path: &str) -> bool {
    path == "/" || path == "/openapi.json" || path == "/openapi.yaml" || path == "/docs" || path.starts_with("/docs/")
}

/// Links to the docs, the document, the demo credentials and the health endpoints.
#[utoipa::path(get, path = "/", tag = "docs", security(()), responses((status = 200, description = "The landing page", content_type = "text/html", body = String)))]
async fn landing() -> Html<&'static str> {
    Html(include_str!("landing.html"))
}

/// This document, as JSON.
#[utoipa::path(get, path = "/openapi.json", tag = "docs", security(()), responses((status = 200, description = "The OpenAPI 3.1 document", body = Object)))]
async fn openapi_json() -> Json<&'static utoipa::openapi::OpenApi> {
    Json(openapi::document())
}

/// This document, as YAML.
#[utoipa::path(get, path = "/openapi.yaml", tag = "docs", security(()), responses((status = 200, description = "The OpenAPI 3.1 document", content_type = "application/yaml", body = String)))]
async fn openapi_yaml() -> Response {
    match openapi::document().to_yaml() {
        Ok(yaml) => ([(header::CONTENT_TYPE, "application/yaml")], yaml).into_response(),
        Err(error) => crate::http::error::ApiError::internal(error).into_response(),
    }
}

/// The docs console: every operation with its samples, "Try it out" against this emulator.
#[utoipa::path(get, path = "/docs", tag = "docs", security(()), responses((status = 200, description = "The docs console", content_type = "text/html", body = String)))]
async fn console() -> Html<&'static str> {
    Html(include_str!("console.html"))
}

/// The console's files: name, content type, bytes.
const CONSOLE_FILES: &[(&str, &str, &[u8])] = &[
    ("console.js", "text/javascript; charset=utf-8", include_bytes!("console.js")),
    ("swagger-ui-bundle.js", "text/javascript; charset=utf-8", include_bytes!("swagger-ui/swagger-ui-bundle.js")),
    ("swagger-ui.css", "text/css; charset=utf-8", include_bytes!("swagger-ui/swagger-ui.css")),
    ("favicon-32x32.png", "image/png", include_bytes!("swagger-ui/favicon-32x32.png")),
    ("LICENSE", "text/plain; charset=utf-8", include_bytes!("swagger-ui/LICENSE")),
    ("NOTICE", "text/plain; charset=utf-8", include_bytes!("swagger-ui/NOTICE")),
];

/// A file of the console (Swagger UI's, vendored from `swagger-ui-dist`).
#[utoipa::path(get, path = "/docs/{file}", tag = "docs", security(()),
    params(("file" = String, Path, description = "console.js, swagger-ui-bundle.js, swagger-ui.css, favicon-32x32.png, LICENSE or NOTICE")),
    responses((status = 200, description = "The file", content_type = "text/javascript", body = String)))]
async fn console_file(Path(file): Path<String>) -> Response {
    match CONSOLE_FILES.iter().find(|(name, _, _)| *name == file) {
        Some((_, content_type, bytes)) => {
            let mut response = bytes.into_response();
            let headers = response.headers_mut();
            headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
            headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=3600"));
            response
        }
        None => crate::http::error::ApiError::not_found(format!("No file /docs/{file}")).at("file").into_response(),
    }
}

/// A Postman v2.1 collection of every documented sample, aimed at the tenant the request selects.
#[utoipa::path(get, path = "/__admin/postman", tag = "control plane", security(("admin" = [])),
    responses((status = 200, description = "The Postman v2.1 collection", body = Object)))]
async fn postman_collection(crate::admin::AdminTenant(tenant): crate::admin::AdminTenant, headers: axum::http::HeaderMap) -> Response {
    let base_url = crate::admin::tenants::base_url(&headers, &tenant.id);
    let mut response = Json(postman::collection(&base_url)).into_response();
    response.headers_mut().insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_static("attachment; filename=\"capillary-emulator.postman_collection.json\""),
    );
    response
}
