//! `/metrics`: the server's series in the Prometheus (OpenMetrics) text format, on a listener of
//! its own (`serve --metrics-listen`), never on the API's. See docs/ARCHITECTURE.md, "Metrics".
//!
//! One registry per server, not a process-global recorder: tests start many servers in one
//! process, and each server's counts are its own.
//!
//! Labels come only from fixed sets of `&'static str` and numbers: the route TEMPLATE (never the
//! path: a path holds secret and user names), the method, the status, the limiter. Recording a
//! request looks its label set up in a read-locked map: no allocation once the set has been seen.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::header::CONTENT_TYPE;
use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

use crate::store::DynStore;

/// Every route template of `routes::router`. A matched path not in this list (a route added
/// without it) is counted as `other`; a request no route matched as `unmatched`.
const ROUTES: &[&str] = &[
    "/healthz",
    "/openapi.json",
    "/v1/me",
    "/v1/secrets",
    "/v1/secrets/{name}",
    "/v1/secrets/{name}/reveal",
    "/v1/secrets/{name}/versions",
    "/v1/env",
    "/v1/events",
    "/v1/audit",
    "/v1/org",
    "/v1/users",
    "/v1/users/{name}",
    "/v1/users/{name}/enrolment",
    "/v1/users/{name}/tokens",
    "/v1/users/{name}/tokens/{id}",
    "/v1/enroll",
    "/v1/tokens",
    "/v1/tokens/{id}",
];

/// The routes that deliver values, each counted in `vaultty_reveals_total`.
const VALUE_ROUTES: &[&str] = &["/v1/secrets/{name}/reveal", "/v1/env"];

const UNMATCHED: &str = "unmatched";

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    route: &'static str,
    method: &'static str,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RevealLabels {
    route: &'static str,
    outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabel {
    route: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OutcomeLabel {
    outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct LimiterLabel {
    limiter: &'static str,
}

type HistogramFamily<L> = Family<L, Histogram, fn() -> Histogram>;

/// The server's series, shared by the request middleware, the extractor and the limiters.
pub(crate) struct Metrics {
    registry: Registry,
    requests: HistogramFamily<RequestLabels>,
    reveals: Family<RevealLabels, Counter>,
    denials: Family<RouteLabel, Counter>,
    auth_failures: Family<OutcomeLabel, Counter>,
    /// `rate_limited{limiter="auth_failures"}`; the reveal limiter holds its own clone.
    auth_limited: Counter,
    reveal_limited: Counter,
}

fn request_histogram() -> Histogram {
    // 250 µs to about 8 s: past the default request timeout's worth of interest.
    Histogram::new(exponential_buckets(0.000_25, 2.0, 16))
}

impl Metrics {
    /// The registry with the server's series and the store's (`Store::register_metrics`).
    pub(crate) fn new(store: &DynStore) -> Metrics {
        let mut registry = Registry::default();
        let requests: HistogramFamily<RequestLabels> = Family::new_with_constructor(request_histogram);
        let reveals = Family::<RevealLabels, Counter>::default();
        let denials = Family::<RouteLabel, Counter>::default();
        let auth_failures = Family::<OutcomeLabel, Counter>::default();
        let rate_limited = Family::<LimiterLabel, Counter>::default();
        registry.register(
            "vaultty_http_request_duration_seconds",
            "API requests by route template, method and status, and the time to answer them",
            requests.clone(),
        );
        registry.register(
            "vaultty_reveals",
            "Calls of the value routes (reveal, env) by outcome: revealed, denied, rate_limited, failed",
            reveals.clone(),
        );
        registry.register(
            "vaultty_denials",
            "Requests answered 403 (forbidden; the vault audits them as denied), by route template",
            denials.clone(),
        );
        registry.register(
            "vaultty_auth_failures",
            "Failed authentications (bad or missing token, unknown enrolment code) by answer: unauthorized or rate_limited",
            auth_failures.clone(),
        );
        registry.register(
            "vaultty_rate_limited",
            "Requests refused 429 by a limiter: reveal (per user) or auth_failures (per client address)",
            rate_limited.clone(),
        );
        let auth_limited = rate_limited.get_or_create_owned(&LimiterLabel {
            limiter: "auth_failures",
        });
        let reveal_limited = rate_limited.get_or_create_owned(&LimiterLabel { limiter: "reveal" });
        store.register_metrics(&mut registry);
        Metrics {
            registry,
            requests,
            reveals,
            denials,
            auth_failures,
            auth_limited,
            reveal_limited,
        }
    }

    /// The counter the reveal limiter increments on each refusal.
    pub(crate) fn reveal_limited(&self) -> Counter {
        self.reveal_limited.clone()
    }

    /// One answered API request. `matched` is axum's `MatchedPath`, `None` when no route matched.
    pub(crate) fn request(&self, matched: Option<&str>, method: &Method, status: StatusCode, took: Duration) {
        let route = matched.map_or(UNMATCHED, route_label);
        let labels = RequestLabels {
            route,
            method: method_label(method),
            status: status.as_u16(),
        };
        self.requests.get_or_create(&labels).observe(took.as_secs_f64());
        if VALUE_ROUTES.contains(&route) {
            let outcome = match status {
                s if s.is_success() => "revealed",
                StatusCode::FORBIDDEN => "denied",
                StatusCode::TOO_MANY_REQUESTS => "rate_limited",
                _ => "failed",
            };
            self.reveals.get_or_create(&RevealLabels { route, outcome }).inc();
        }
        if status == StatusCode::FORBIDDEN {
            self.denials.get_or_create(&RouteLabel { route }).inc();
        }
    }

    /// One failed authentication, answered `status` (401, 404 for an enrolment code, or 429).
    pub(crate) fn auth_failure(&self, status: StatusCode) {
        let outcome = if status == StatusCode::TOO_MANY_REQUESTS {
            self.auth_limited.inc();
            "rate_limited"
        } else {
            "unauthorized"
        };
        self.auth_failures.get_or_create(&OutcomeLabel { outcome }).inc();
    }

    fn render(&self) -> Result<String, std::fmt::Error> {
        let mut text = String::with_capacity(16 * 1024);
        prometheus_client::encoding::text::encode(&mut text, &self.registry)?;
        Ok(text)
    }
}

/// The route template as one of `ROUTES`' static strings, so that the label costs no allocation
/// and can only ever be one of them.
fn route_label(matched: &str) -> &'static str {
    ROUTES.iter().find(|r| **r == matched).copied().unwrap_or("other")
}

fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    }
}

/// The metrics listener's only route. No authentication: the series hold no secret, name,
/// token or address (see the module doc), so put the listener where only your scraper reaches.
pub(crate) fn router(metrics: Arc<Metrics>) -> Router {
    Router::new().route("/metrics", get(serve_metrics)).with_state(metrics)
}

async fn serve_metrics(State(metrics): State<Arc<Metrics>>) -> Response {
    match metrics.render() {
        Ok(text) => (
            [(
                CONTENT_TYPE,
                "application/openmetrics-text; version=1.0.0; charset=utf-8",
            )],
            text,
        )
            .into_response(),
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_documented_route_has_a_label() {
        let doc: serde_json::Value = serde_json::from_str(&super::super::openapi_json()).unwrap();
        for path in doc["paths"].as_object().unwrap().keys() {
            assert_eq!(route_label(path), path.as_str(), "{path} is missing from ROUTES");
        }
    }

    #[test]
    fn an_unknown_path_is_never_its_own_label() {
        assert_eq!(route_label("/v1/secrets/db-password"), "other");
    }
}
