//! `/openapi.json` as a user relies on it: fetched from the real server, and every promise it makes
//! here is held against what that server answers. (`.ci/schemathesis.sh` does the same at large.)
// Helpers here are not #[test] functions, so clippy.toml's test allowance does not reach them.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::BTreeSet;

use common::http::Answer;
use common::{Options, TestVault};
use reqwest::{Method, StatusCode};
use secrecy::ExposeSecret;
use serde_json::{Value, json};

/// The secret-name rule of `api::validate::secret_name`, as the document must state it.
const SECRET_NAME_PATTERN: &str = "^[A-Za-z_][A-Za-z0-9_]{0,127}$";
/// The user-name rule of `api::validate::user_name`.
const USER_NAME_PATTERN: &str = "^[a-z][a-z0-9_.-]{0,63}$";

/// One operation of the document.
struct Operation {
    method: Method,
    path: String,
    op: Value,
}

impl Operation {
    fn label(&self) -> String {
        format!("{} {}", self.method, self.path)
    }

    fn authenticated(&self) -> bool {
        self.op["security"]
            .as_array()
            .is_some_and(|s| s.iter().any(|r| r.get("bearer").is_some()))
    }

    fn has_body(&self) -> bool {
        self.op.get("requestBody").is_some()
    }

    fn params(&self) -> impl Iterator<Item = &Value> {
        self.op["parameters"].as_array().into_iter().flatten()
    }

    /// The path with its parameters filled in with valid values.
    fn concrete_path(&self) -> String {
        self.path
            .replace("{name}", "SOME_NAME")
            .replace("{id}", "tok_000000000000")
    }
}

async fn document(v: &TestVault) -> Value {
    let (status, doc) = v.api().get("/openapi.json").send().await;
    assert_eq!(status, StatusCode::OK);
    doc
}

fn operations(doc: &Value) -> Vec<Operation> {
    let mut ops = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            ops.push(Operation {
                method: method.to_uppercase().parse().unwrap(),
                path: path.clone(),
                op: op.clone(),
            });
        }
    }
    ops
}

/// Follows a local `$ref` (`#/components/...`) until it reaches the thing itself.
fn resolve<'a>(doc: &'a Value, mut v: &'a Value) -> &'a Value {
    while let Some(r) = v.get("$ref").and_then(Value::as_str) {
        v = doc
            .pointer(r.strip_prefix('#').unwrap())
            .unwrap_or_else(|| panic!("dangling {r}"));
    }
    v
}

/// Every path the router routes, read from the router's source: a route added there without an
/// annotation fails `the_operations_are_exactly_the_routes`.
fn routed_paths() -> BTreeSet<String> {
    include_str!("../src/server/routes.rs")
        .split(".route(")
        .skip(1)
        .map(|rest| {
            let rest = rest
                .trim_start()
                .strip_prefix('"')
                .expect("a route's path is a literal");
            rest[..rest.find('"').unwrap()].to_owned()
        })
        .collect()
}

async fn send(v: &TestVault, method: Method, path: &str, authed: bool, body: Option<String>) -> Answer {
    let mut req = v.api().call(method, path);
    if authed {
        req = req.token(&v.admin_token);
    }
    if let Some(body) = body {
        req = req.header("content-type", "application/json").body(&body);
    }
    req.send_text().await
}

async fn error_code(res: Answer) -> String {
    let body: Value = serde_json::from_str(&res.text).unwrap_or_else(|e| panic!("{e}: {}", res.text));
    body["error"]["code"]
        .as_str()
        .unwrap_or_else(|| panic!("no error body: {body}"))
        .to_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_operations_are_exactly_the_routes() {
    let v = TestVault::start().await;
    let doc = document(&v).await;
    let ops = operations(&doc);
    let documented: BTreeSet<String> = ops.iter().map(|o| o.path.clone()).collect();
    assert_eq!(documented, routed_paths(), "documented paths vs the router's routes");
    // The methods of each path: the server's `Allow` (on a 405 to a method no route takes).
    for path in &documented {
        let concrete = path.replace("{name}", "SOME_NAME").replace("{id}", "tok_x");
        let res = send(&v, Method::OPTIONS, &concrete, false, None).await;
        assert_eq!(res.status, StatusCode::METHOD_NOT_ALLOWED, "{path}");
        let allowed: BTreeSet<String> = res.headers["allow"]
            .to_str()
            .unwrap()
            .split(',')
            .map(|m| m.trim().to_owned())
            .filter(|m| m != "HEAD")
            .collect();
        let methods: BTreeSet<String> = ops
            .iter()
            .filter(|o| &o.path == path)
            .map(|o| o.method.to_string())
            .collect();
        assert_eq!(methods, allowed, "documented methods vs the server's Allow on {path}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn every_operation_documents_its_errors_with_the_error_body() {
    let v = TestVault::start().await;
    let doc = document(&v).await;
    for o in operations(&doc) {
        let label = o.label();
        let params: Vec<(&Value, &Value)> = o.params().map(|p| (&p["name"], &p["in"])).collect();
        let unique: BTreeSet<String> = params.iter().map(|(n, i)| format!("{n} in {i}")).collect();
        assert_eq!(unique.len(), params.len(), "{label} lists a parameter twice");
        let responses = o.op["responses"].as_object().unwrap();
        let mut expected: BTreeSet<&str> = BTreeSet::new();
        if o.authenticated() {
            // 429: a client address past its failed-authentication limit, on every one of them.
            expected.extend(["401", "429", "500", "503", "507"]);
            // 403: a runner token, on every one but the two it may call (POST /v1/env answers 403
            // to a runner asking for another scope).
            if label != "GET /v1/events" {
                expected.insert("403");
            }
        }
        let checked_input = o.has_body()
            || o.params()
                .any(|p| p["in"] == "query" || resolve(&doc, &p["schema"]).get("pattern").is_some());
        if checked_input {
            expected.insert("400");
        }
        if o.has_body() {
            expected.insert("413");
        }
        for status in &expected {
            assert!(responses.contains_key(*status), "{label} does not document {status}");
        }
        for (status, response) in responses {
            if !(status.starts_with('4') || status.starts_with('5')) {
                continue;
            }
            let response = resolve(&doc, response);
            let schema = &response["content"]["application/json"]["schema"];
            assert_eq!(
                schema["$ref"], "#/components/schemas/ErrorBody",
                "{label} {status} lacks the error body"
            );
            if status == "429" || status == "503" {
                let header = resolve(&doc, &response["headers"]["Retry-After"]);
                assert_eq!(
                    header["schema"]["type"], "integer",
                    "{label} {status} lacks Retry-After"
                );
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_token_is_asked_exactly_where_the_server_asks_for_it() {
    let v = TestVault::start().await;
    let doc = document(&v).await;
    assert_eq!(doc["components"]["securitySchemes"]["bearer"]["scheme"], "bearer");
    for o in operations(&doc) {
        let body = o.has_body().then(|| "{}".to_owned());
        let res = send(&v, o.method.clone(), &o.concrete_path(), false, body).await;
        if o.authenticated() {
            assert_eq!(res.status, StatusCode::UNAUTHORIZED, "{}", o.label());
            assert_eq!(error_code(res).await, "unauthorized");
        } else if o.path == "/v1/enroll" {
            // The one /v1 operation without a token (the new member has none yet): an empty
            // body is refused for its missing code, never for a missing token.
            assert_eq!(res.status, StatusCode::BAD_REQUEST, "{}", o.label());
            assert_eq!(error_code(res).await, "invalid_request");
        } else {
            assert!(!o.path.starts_with("/v1/"), "{} has no security", o.label());
            assert_eq!(res.status, StatusCode::OK, "{}", o.label());
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_name_patterns_are_the_ones_the_server_enforces() {
    let v = TestVault::start().await;
    let doc = document(&v).await;
    let schemas = &doc["components"]["schemas"];
    assert_eq!(
        schemas["UpsertSecret"]["properties"]["name"]["pattern"],
        SECRET_NAME_PATTERN
    );
    assert_eq!(
        schemas["CreateUser"]["properties"]["name"]["pattern"],
        USER_NAME_PATTERN
    );
    for o in operations(&doc) {
        let pattern = if o.path.starts_with("/v1/users/") {
            USER_NAME_PATTERN
        } else {
            SECRET_NAME_PATTERN
        };
        for p in o.params().filter(|p| p["name"] == "name" && p["in"] == "path") {
            assert_eq!(p["schema"]["pattern"], pattern, "{}", o.label());
        }
    }

    // (name, whether SECRET_NAME_PATTERN matches it): one of each way to pass or fail.
    let long = "A".repeat(128);
    let too_long = "A".repeat(129);
    let secret_names = [
        ("A", true),
        ("_x9", true),
        (long.as_str(), true),
        (too_long.as_str(), false),
        ("", false),
        ("9LIVES", false),
        ("MY-KEY", false),
        ("KÉY", false),
        ("KEY\n", false),
    ];
    for (name, matches) in secret_names {
        let body = json!({"name": name, "value": "v"}).to_string();
        let res = send(&v, Method::POST, "/v1/secrets", true, Some(body)).await;
        let expected = if matches {
            StatusCode::CREATED
        } else {
            StatusCode::BAD_REQUEST
        };
        assert_eq!(res.status, expected, "secret name {name:?}");
    }

    let long = format!("a{}", "b".repeat(63));
    let too_long = format!("a{}", "b".repeat(64));
    let user_names = [
        ("bob", true),
        ("a.b-c_9", true),
        (long.as_str(), true),
        (too_long.as_str(), false),
        ("", false),
        ("Bob", false),
        ("1bob", false),
        ("bob smith", false),
    ];
    for (name, matches) in user_names {
        let body = json!({"name": name}).to_string();
        let res = send(&v, Method::POST, "/v1/users", true, Some(body)).await;
        let expected = if matches {
            StatusCode::CREATED
        } else {
            StatusCode::BAD_REQUEST
        };
        assert_eq!(res.status, expected, "user name {name:?}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn request_bodies_are_as_strict_and_as_optional_as_documented() {
    let v = TestVault::start().await;
    let doc = document(&v).await;
    let too_large = format!("{{\"name\": \"{}\"}}", "x".repeat(vaultty::api::MAX_BODY_BYTES));
    for o in operations(&doc).into_iter().filter(Operation::has_body) {
        let label = o.label();
        let body = resolve(&doc, &o.op["requestBody"]);
        let schema = resolve(&doc, &body["content"]["application/json"]["schema"]);
        // The server refuses unknown fields, and the document says so (of each shape, for a
        // body that is one of several: POST /v1/tokens).
        match schema["oneOf"].as_array() {
            Some(shapes) => {
                for shape in shapes {
                    assert_eq!(resolve(&doc, shape)["additionalProperties"], false, "{label}");
                }
            }
            None => assert_eq!(schema["additionalProperties"], false, "{label}"),
        }
        let res = send(
            &v,
            o.method.clone(),
            &o.concrete_path(),
            true,
            Some(r#"{"surprise": 1}"#.into()),
        )
        .await;
        assert_eq!(res.status, StatusCode::BAD_REQUEST, "{label}: an unknown field");
        assert_eq!(error_code(res).await, "invalid_request");

        let res = send(&v, o.method.clone(), &o.concrete_path(), true, Some(too_large.clone())).await;
        assert_eq!(res.status, StatusCode::PAYLOAD_TOO_LARGE, "{label}: an oversized body");
        assert_eq!(error_code(res).await, "payload_too_large");

        // Only /v1/env takes no body (every scope); the others answer 400 without one.
        let required = body["required"] == true;
        assert_eq!(required, o.path != "/v1/env", "{label}: requestBody.required");
        let res = send(&v, o.method.clone(), &o.concrete_path(), true, None).await;
        if required {
            assert_eq!(res.status, StatusCode::BAD_REQUEST, "{label}: no body");
        } else {
            assert_eq!(res.status, StatusCode::OK, "{label}: no body");
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_reveal_limit_answers_the_documented_429() {
    let v = TestVault::start_with(Options {
        reveal_rate_limit: 1,
        ..Options::default()
    })
    .await;
    let doc = document(&v).await;
    let documented = resolve(
        &doc,
        &doc["paths"]["/v1/secrets/{name}/reveal"]["post"]["responses"]["429"],
    );
    assert!(documented["headers"].get("Retry-After").is_some());

    let body = json!({"name": "LIMITED", "value": "v"}).to_string();
    assert_eq!(
        send(&v, Method::POST, "/v1/secrets", true, Some(body)).await.status,
        StatusCode::CREATED
    );
    let first = send(&v, Method::POST, "/v1/secrets/LIMITED/reveal", true, None).await;
    assert_eq!(first.status, StatusCode::OK);
    let second = send(&v, Method::POST, "/v1/secrets/LIMITED/reveal", true, None).await;
    assert_eq!(second.status, StatusCode::TOO_MANY_REQUESTS);
    let wait: u64 = second.headers["retry-after"].to_str().unwrap().parse().unwrap();
    assert!(wait >= 1);
    assert_eq!(error_code(second).await, "rate_limited");
    // env spends from the same budget, and documents the same 429.
    let documented = resolve(&doc, &doc["paths"]["/v1/env"]["post"]["responses"]["429"]);
    assert!(documented["headers"].get("Retry-After").is_some());
    let env = send(&v, Method::POST, "/v1/env", true, None).await;
    assert_eq!(env.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(env.headers["retry-after"].to_str().unwrap().parse::<u64>().unwrap() >= 1);
    assert_eq!(error_code(env).await, "rate_limited");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_failed_authentication_limit_answers_the_documented_429() {
    let v = TestVault::start_with(Options {
        auth_failure_limit: 1,
        ..Options::default()
    })
    .await;
    let doc = document(&v).await;
    let documented = resolve(&doc, &doc["paths"]["/v1/secrets"]["get"]["responses"]["429"]);
    assert!(documented["headers"].get("Retry-After").is_some());
    let first = send(&v, Method::GET, "/v1/secrets", false, None).await;
    assert_eq!(first.status, StatusCode::UNAUTHORIZED);
    let second = send(&v, Method::GET, "/v1/secrets", false, None).await;
    assert_eq!(second.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(second.headers["retry-after"].to_str().unwrap().parse::<u64>().unwrap() >= 1);
    assert_eq!(error_code(second).await, "rate_limited");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_runner_token_is_refused_by_every_operation_but_delivery() {
    let v = TestVault::start().await;
    let doc = document(&v).await;
    let runner = v
        .admin()
        .create_token(&vaultty::api::CreateToken {
            kind: Some(vaultty::api::TokenKind::Runner),
            scope: Some(vaultty::api::Scope::All),
            org_wide: Some(true),
            ..vaultty::api::CreateToken::user("everywhere", None)
        })
        .await
        .unwrap()
        .token;
    // Taken from the document, not a list kept by hand: an operation added later is checked too.
    for o in operations(&doc).into_iter().filter(Operation::authenticated) {
        let label = o.label();
        if label == "GET /v1/events" {
            // A stream: its status, without waiting for an end that never comes.
            let res = reqwest::Client::new()
                .get(format!("{}/v1/events", v.url()))
                .bearer_auth(runner.expose_secret())
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), StatusCode::OK, "{label}");
            continue;
        }
        let mut req = v.api().call(o.method.clone(), &o.concrete_path()).token(&runner);
        if o.has_body() {
            req = req.header("content-type", "application/json").body("{}");
        }
        let res = req.send_text().await;
        if label == "POST /v1/env" {
            assert_eq!(res.status, StatusCode::OK, "{label}: {}", res.text);
        } else {
            assert_eq!(res.status, StatusCode::FORBIDDEN, "{label}: {}", res.text);
            assert_eq!(error_code(res).await, "forbidden", "{label}");
        }
    }
}
