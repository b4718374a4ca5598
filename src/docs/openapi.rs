//! The OpenAPI 3.1 document: the operations come with the routes (`utoipa_axum` builds both from
//! the handlers' annotations, so no route can be missing from it); this module adds what is
//! shared: the security schemes, each operation's error answers from its family's `CODES` in its
//! family's envelope, the tenant path parameter, and one example per documented sample.

use std::sync::LazyLock;

use utoipa::{
    Modify, OpenApi,
    openapi::{
        self, Components, Deprecated, RefOr,
        path::{Operation, ParameterIn},
        security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme},
    },
};

use super::{errors, params, samples};
use crate::{
    endpoints::codes_at,
    http::error::{ErrorCode, Family, codes},
};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Capillary loyalty API emulator",
        description = "A local, stateful emulator of five of Capillary's loyalty APIs, the OAuth token route and its own control plane \
            (`/__admin/`). Demo credentials: Basic `demo.till` / `demo123` (the password goes as its MD5, as Capillary does it), OAuth \
            `demo-key` / `demo-secret`, admin token `admin`. Every route is also served under `/t/{tenant}/` for a tenant made \
            with `POST /__admin/tenants`.",
        license(name = "MIT")
    ),
    modifiers(&Shared),
    tags(
        (name = "v3", description = "Capillary v3: `{data, errors, warnings}` envelopes"),
        (name = "v2", description = "Capillary v2 and v2.1 (connected orgs): `{errors:[{status,code,message}], warnings}` envelopes"),
        (name = "v2 writes", description = "Capillary v2 writes computed by the loyalty engine: customers, transactions, balances; `{createdId, warnings, sideEffects}` answers"),
        (name = "DAS", description = "Capillary's private DAS APIs: bare arrays; errors are Spring-style objects naming the parameter"),
        (name = "OAuth", description = "Tokens for `X-CAP-API-OAUTH-TOKEN`"),
        (name = "control plane", description = "The emulator's own: health, readiness, which org a credential decides"),
        (name = "tenants", description = "Isolated universes, selected by `/t/{tenant}/` or `X-Emulator-Tenant`"),
        (name = "tenant universe", description = "The selected tenant's data (also under `/__admin/tenants/{tenant}/`)"),
        (name = "tenant clock", description = "The selected tenant's clock (also under `/__admin/tenants/{tenant}/`)"),
        (name = "tenant journal", description = "The selected tenant's request journal (also under `/__admin/tenants/{tenant}/`)"),
        (name = "tenant faults", description = "The selected tenant's fault rules (also under `/__admin/tenants/{tenant}/`)"),
        (name = "docs", description = "This document and the pages that show it"),
    )
)]
struct Base;

/// The document the emulator serves, built once.
pub fn document() -> &'static openapi::OpenApi {
    static DOCUMENT: LazyLock<openapi::OpenApi> = LazyLock::new(|| {
        let (_, mut document) = crate::routes().split_for_parts();
        finish(&mut document);
        document
    });
    &DOCUMENT
}

/// Where the document starts: info, tags and the security schemes.
pub fn base() -> openapi::OpenApi {
    Base::openapi()
}

pub const BASIC: &str = "basic";
pub const OAUTH: &str = "oauth";
pub const ADMIN: &str = "admin";

struct Shared;

impl Modify for Shared {
    fn modify(&self, document: &mut openapi::OpenApi) {
        let components = document.components.get_or_insert_with(Components::new);
        components.add_security_scheme(
            BASIC,
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Basic)
                    .description(Some(
                        "As Capillary does it: the till code and the MD5 (hex) of the password, `base64(till:md5hex(password))`.",
                    ))
                    .build(),
            ),
        );
        components.add_security_scheme(
            OAUTH,
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
                crate::http::auth::OAUTH_TOKEN_HEADER,
                "A token from `POST /v3/oauth/token/generate`.",
            ))),
        );
        components.add_security_scheme(
            ADMIN,
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("The control plane's token (`EMULATOR_ADMIN_TOKEN`, `admin` unless configured)."))
                    .build(),
            ),
        );
        // Capillary's endpoints take either credential unless an operation says otherwise.
        document.security =
            Some(vec![SecurityRequirement::new(BASIC, Vec::<String>::new()), SecurityRequirement::new(OAUTH, Vec::<String>::new())]);
    }
}

/// Adds what every operation shares to the operations the routes described.
fn finish(document: &mut openapi::OpenApi) {
    errors::add_schemas(document.components.get_or_insert_with(Components::new));
    for (path, item) in document.paths.paths.iter_mut() {
        for (method, operation) in operations(item) {
            if path.contains("{tenant}") && !has_parameter(operation, "tenant") {
                let tenant = params::param("tenant", ParameterIn::Path, true, params::string(), "The tenant's id");
                operation.parameters.get_or_insert_with(Vec::new).insert(0, RefOr::T(tenant));
            }
            if let Some(codes) = error_codes(method, path) {
                errors::add_responses(operation, Family::of_path(path), codes);
            }
            if crate::endpoints::DEPRECATED.contains(&path.as_str()) {
                operation.deprecated = Some(Deprecated::True);
            }
            samples::add_examples(method, path, operation);
        }
    }
}

fn has_parameter(operation: &Operation, name: &str) -> bool {
    operation.parameters.iter().flatten().any(|parameter| matches!(parameter, RefOr::T(parameter) if parameter.name == name))
}

/// The codes an operation answers with: a Capillary endpoint's `CODES`, the control plane's.
fn error_codes(method: &str, path: &str) -> Option<&'static [ErrorCode]> {
    if let Some(codes) = codes_at(&samples::path_pattern(path)) {
        return Some(codes);
    }
    match path {
        "/__admin/health" => None,
        "/__admin/ready" => Some(&[codes::UNAVAILABLE]),
        // A console file that does not exist (found by scripts/fuzz-api: an undocumented 404).
        "/docs/{file}" => Some(&[codes::NOT_FOUND]),
        "/__admin/whoami" => Some(crate::admin::WHOAMI_CODES),
        "/__admin/tenants" if method == "post" => Some(crate::admin::TENANT_CODES),
        _ if path.starts_with("/__admin") => Some(crate::admin::CODES),
        _ => None,
    }
}

fn operations(item: &mut openapi::PathItem) -> Vec<(&'static str, &mut Operation)> {
    [
        ("get", item.get.as_mut()),
        ("put", item.put.as_mut()),
        ("post", item.post.as_mut()),
        ("delete", item.delete.as_mut()),
        ("patch", item.patch.as_mut()),
    ]
    .into_iter()
    .filter_map(|(method, operation)| operation.map(|operation| (method, operation)))
    .collect()
}
