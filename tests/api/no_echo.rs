//! Error bodies never quote input: a body or query refused for its shape is answered with the
//! field, the kind of mistake and (for JSON) the position, and none of the text that was sent.
//! Every canary below is a value, a variant or a field name a careless client could send where a
//! secret was meant to go.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::common::TestVault;
use crate::common::http::Call;
use crate::upsert;

const CANARIES: [&str; 7] = [
    "482913",
    "canary-str",
    "canary_variant",
    "canary_field",
    "canary-unknown-val",
    "true",
    "false",
];

/// What the refusal must still say: the field in backticks, or the kind when the field itself
/// is the unknown input.
enum Names {
    Field(&'static str),
    Kind(&'static str),
}

use Names::{Field, Kind};

#[tokio::test(flavor = "multi_thread")]
async fn refusals_name_the_field_and_never_quote_the_input() {
    let v = TestVault::start().await;
    v.admin().upsert_secret(&upsert("PIN", "pin-value-1")).await.unwrap();
    let api = v.api();
    let admin = &v.admin_token;
    let post = |path: &str, body: Value| api.post(path).token(admin).json(&body);
    let patch = |path: &str, body: Value| api.patch(path).token(admin).json(&body);
    let get = |path: &str| api.get(path).token(admin);
    let unknown = Kind("unknown field");
    let cases: Vec<(Call, Names)> = vec![
        // Bodies: numbers, booleans, arrays, wrong variants and unknown fields where they do not belong.
        (
            post("/v1/secrets", json!({"name": "PIN", "value": 482_913})),
            Field("value"),
        ),
        (
            post("/v1/secrets", json!({"name": "PIN", "value": true})),
            Field("value"),
        ),
        (
            post("/v1/secrets", json!({"name": "PIN", "value": false})),
            Field("value"),
        ),
        (
            post("/v1/secrets", json!({"name": "PIN", "value": ["canary-str", 482_913]})),
            Field("value"),
        ),
        (
            post("/v1/secrets", json!({"name": 482_913, "value": "v"})),
            Field("name"),
        ),
        (
            post(
                "/v1/secrets",
                json!({"name": "PIN", "value": "v", "category": "canary_variant"}),
            ),
            Field("category"),
        ),
        (
            post("/v1/secrets", json!({"name": "PIN", "value": "v", "scope": 482_913})),
            Field("scope"),
        ),
        (
            post(
                "/v1/secrets",
                json!({"name": "PIN", "value": "v", "orgWide": "canary-str"}),
            ),
            Field("orgWide"),
        ),
        (
            post(
                "/v1/secrets",
                json!({"name": "PIN", "value": "v", "revealable": 482_913}),
            ),
            Field("revealable"),
        ),
        (
            post(
                "/v1/secrets",
                json!({"name": "PIN", "value": "v", "description": [true, 482_913]}),
            ),
            Field("description"),
        ),
        (
            post(
                "/v1/secrets",
                json!({"name": "PIN", "value": "v", "expectedVersion": 482_913.25}),
            ),
            Field("expectedVersion"),
        ),
        (
            post(
                "/v1/secrets",
                json!({"name": "PIN", "value": "v", "expectedVersion": "canary-str"}),
            ),
            Field("expectedVersion"),
        ),
        (
            post(
                "/v1/secrets",
                json!({"name": "PIN", "value": "v", "canary_field": "canary-unknown-val"}),
            ),
            unknown,
        ),
        (post("/v1/secrets", json!({"value": "canary-str"})), Field("name")),
        (
            patch("/v1/secrets/PIN", json!({"category": 482_913})),
            Field("category"),
        ),
        (
            patch("/v1/secrets/PIN", json!({"scope": "canary_variant"})),
            Field("scope"),
        ),
        (
            patch("/v1/secrets/PIN", json!({"revealable": "canary-str"})),
            Field("revealable"),
        ),
        (
            patch("/v1/secrets/PIN", json!({"canary_field": true})),
            Kind("unknown field"),
        ),
        (post("/v1/env", json!({"scope": "canary_variant"})), Field("scope")),
        (post("/v1/env", json!({"scope": 482_913})), Field("scope")),
        (post("/v1/env", json!({"canary_field": false})), Kind("unknown field")),
        (
            patch("/v1/org", json!({"members_can_reveal": 482_913})),
            Field("members_can_reveal"),
        ),
        (
            patch("/v1/org", json!({"canary_field": "canary-unknown-val"})),
            Kind("unknown field"),
        ),
        (
            post("/v1/users", json!({"name": "u1", "role": "canary_variant"})),
            Field("role"),
        ),
        (post("/v1/users", json!({"name": 482_913})), Field("name")),
        (
            post("/v1/tokens", json!({"name": "t", "expiresIn": "canary-str"})),
            Field("expiresIn"),
        ),
        (
            post("/v1/tokens", json!({"name": "t", "expiresIn": -482_913})),
            Field("expiresIn"),
        ),
        (post("/v1/tokens", json!({"name": [482_913]})), Field("name")),
        // Query strings.
        (get("/v1/secrets?category=canary_variant"), Field("category")),
        (get("/v1/secrets?all=canary-str"), Field("all")),
        (get("/v1/secrets?secretScope=canary_variant"), Field("secretScope")),
        (
            get("/v1/secrets?canary_field=canary-unknown-val"),
            Kind("unknown field"),
        ),
        (get("/v1/secrets/PIN?orgWide=canary-str"), Field("orgWide")),
        (get("/v1/secrets/PIN/versions?orgWide=482913"), Field("orgWide")),
        (
            api.delete("/v1/secrets/PIN?orgWide=canary-str").token(admin),
            Field("orgWide"),
        ),
        (
            api.post("/v1/secrets/PIN/reveal?version=canary-str").token(admin),
            Field("version"),
        ),
        (
            api.post("/v1/secrets/PIN/reveal?version=482913.25").token(admin),
            Field("version"),
        ),
        (get("/v1/audit?limit=canary-str"), Field("limit")),
        (get("/v1/audit?action=canary_variant"), Field("action")),
        (get("/v1/audit?before=canary-str"), Field("before")),
        (get("/v1/audit?canary_field=482913"), Kind("unknown field")),
    ];
    // The documented example, word for word.
    let (status, body) = post("/v1/secrets", json!({"name": "PIN", "value": 482_913}))
        .send()
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        body["error"]["message"],
        "invalid body: invalid type at `value` (line 1, column 28): expected a string"
    );
    let (_, body) = post("/v1/tokens", json!({"name": "t", "expiresIn": 482_913.25}))
        .send()
        .await;
    assert_eq!(
        body["error"]["message"],
        "invalid body: invalid value at `expiresIn` (line 1, column 22): expected a whole number in the u64 range"
    );
    // Not-found answers do not repeat what was asked for either: a token pasted where its id
    // belongs, a value typed as a user name.
    for call in [
        api.delete("/v1/tokens/vt_canary-str-482913").token(admin),
        get("/v1/secrets?user_id=canary-str"),
    ] {
        let answer = call.send_text().await;
        assert_eq!(answer.status, StatusCode::NOT_FOUND, "{}", answer.text);
        assert!(!answer.text.contains("canary"), "{}", answer.text);
    }
    for (call, names) in cases {
        let answer = call.send_text().await;
        let text = &answer.text;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{text}");
        let body: Value = serde_json::from_str(text).unwrap();
        assert_eq!(body["error"]["code"], "invalid_request", "{text}");
        for canary in CANARIES {
            assert!(!text.contains(canary), "{canary:?} echoed: {text}");
        }
        match names {
            Field(field) => assert!(text.contains(&format!("`{field}`")), "names no `{field}`: {text}"),
            Kind(kind) => assert!(text.contains(kind), "says no {kind:?}: {text}"),
        }
    }
}

/// A path segment that does not decode to UTF-8 gets the error body like any other refusal, and
/// the body does not repeat the segment (axum's own answer was plain text quoting it).
#[tokio::test(flavor = "multi_thread")]
async fn a_path_that_is_not_utf8_gets_the_error_body() {
    let v = TestVault::start().await;
    let api = v.api();
    for path in [
        "/v1/secrets/canary%FF%FE",
        "/v1/secrets/canary%C3/reveal",
        "/v1/secrets/canary%FF/versions",
        "/v1/tokens/canary%FF",
    ] {
        let call = if path.ends_with("reveal") {
            api.post(path)
        } else if path.starts_with("/v1/tokens") {
            api.delete(path)
        } else {
            api.get(path)
        };
        let answer = call.token(&v.admin_token).send_text().await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{path}: {}", answer.text);
        let body: Value = serde_json::from_str(&answer.text).unwrap_or_else(|_| panic!("{path}: {}", answer.text));
        assert_eq!(body["error"]["code"], "invalid_request", "{path}");
        assert!(!answer.text.contains("canary"), "{path}: {}", answer.text);
    }
}
