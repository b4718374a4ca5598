//! What the emulator says about itself to people and tools: a landing page at `/`, the OpenAPI
//! document generated with the routes (`/openapi.json`, `/openapi.yaml`).

use axum::{
    Json,
    http::header,
    response::{Html, IntoResponse, Response},
};
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::platform::state::AppState;

mod errors;
pub mod openapi;
pub mod params;
pub mod samples;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(landing)).routes(routes!(openapi_json)).routes(routes!(openapi_yaml))
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
