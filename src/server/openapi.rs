//! The OpenAPI document, generated from the handlers' annotations so it cannot drift from them.

use axum::http::header;
use axum::response::IntoResponse;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use super::handlers::{identity, secrets, values};

#[derive(OpenApi)]
#[openapi(
    info(title = "vaultty", description = "The vaultty secrets API (v1). See API.md."),
    paths(
        identity::healthz, identity::me, identity::org, identity::patch_org, identity::create_user,
        identity::create_token, identity::list_tokens, identity::revoke_token, identity::audit,
        secrets::list, secrets::upsert, secrets::get_one, secrets::patch, secrets::remove, secrets::versions,
        values::reveal, values::env,
    ),
    modifiers(&BearerAuth)
)]
struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("vt_…")
                    .build(),
            ),
        );
    }
}

/// The document as JSON.
pub fn openapi_json() -> String {
    ApiDoc::openapi().to_pretty_json().unwrap_or_else(|_| "{}".into())
}

pub(crate) async fn serve_openapi() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/json")], openapi_json())
}
