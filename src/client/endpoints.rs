//! One method per endpoint of `docs/API.md`, each returning the `api` type of its answer.

use std::collections::BTreeMap;

use reqwest::header::{ETAG, HeaderMap, HeaderValue, IF_NONE_MATCH};
use reqwest::{Method, StatusCode};
use secrecy::SecretString;

use super::transport::Auth;
use super::{ClientResult, VaultClient};
use crate::api;

/// What [`VaultClient::env_if_changed`] got.
#[derive(Debug)]
pub enum EnvFetch {
    /// The bundle differs from the one the caller named (or it named none): its values, and the
    /// tag to name it by next time (`None` from an older server that sends no ETag).
    Changed {
        answer: api::EnvResponse,
        etag: Option<String>,
    },
    /// 304: the bundle the caller named is still current. Nothing was delivered.
    Unchanged,
}

/// Nothing to send: the type parameter of a body-less call.
const NO_BODY: Option<&()> = None;

fn org_wide_query(org_wide: bool) -> Vec<(&'static str, String)> {
    if org_wide {
        vec![("orgWide", "true".to_owned())]
    } else {
        Vec::new()
    }
}

impl VaultClient {
    async fn get<T: serde::de::DeserializeOwned>(
        &self,
        segments: &[&str],
        query: &[(&str, String)],
        auth: Auth,
    ) -> ClientResult<T> {
        let url = self.url(segments, query)?;
        self.call(Method::GET, url, NO_BODY, auth).await?.decode()
    }

    /// `GET /healthz`; sends no token.
    pub async fn health(&self) -> ClientResult<api::Health> {
        self.get(&["healthz"], &[], Auth::None).await
    }

    /// `GET /v1/me`: who the token belongs to.
    pub async fn me(&self) -> ClientResult<api::Me> {
        self.get(&["v1", "me"], &[], Auth::Token).await
    }

    /// `GET /v1/secrets`: the caller's own and the org's secrets, filtered by `q`.
    pub async fn list_secrets(&self, q: &api::ListQuery) -> ClientResult<Vec<api::SecretMeta>> {
        let mut query = Vec::new();
        if let Some(c) = q.category {
            query.push(("category", c.as_str().to_owned()));
        }
        if let Some(s) = q.scope {
            query.push(("scope", s.as_str().to_owned()));
        }
        if let Some(v) = q.secret_scope {
            query.push(("secretScope", v.as_str().to_owned()));
        }
        if let Some(all) = q.all {
            query.push(("all", all.to_string()));
        }
        if let Some(u) = &q.user_id {
            query.push(("user_id", u.clone()));
        }
        if let Some(p) = &q.provider {
            query.push(("provider", p.clone()));
        }
        let url = self.url(&["v1", "secrets"], &query)?;
        // The field of `api::SecretList`.
        let mut secrets: Vec<api::SecretMeta> = self.get_array_streamed(url, "secrets", Auth::Token).await?;
        // Decoding grows the vector by doubling: give the unused third back.
        secrets.shrink_to_fit();
        Ok(secrets)
    }

    /// `GET /v1/secrets/{name}`: metadata (falls back to the org's secret unless `org_wide`).
    pub async fn get_secret(&self, name: &str, org_wide: bool) -> ClientResult<api::SecretMeta> {
        self.get(&["v1", "secrets", name], &org_wide_query(org_wide), Auth::Token)
            .await
    }

    /// POST /v1/secrets; the bool is true when created (201), false when rotated (200).
    pub async fn upsert_secret(&self, req: &api::UpsertSecret) -> ClientResult<(api::SecretMeta, bool)> {
        let url = self.url(&["v1", "secrets"], &[])?;
        let answer = self.call(Method::POST, url, Some(req), Auth::Token).await?;
        Ok((answer.decode()?, answer.status == StatusCode::CREATED))
    }

    /// `PATCH /v1/secrets/{name}`: edit the metadata without rotating.
    pub async fn patch_secret(
        &self,
        name: &str,
        org_wide: bool,
        patch: &api::PatchSecret,
    ) -> ClientResult<api::SecretMeta> {
        let url = self.url(&["v1", "secrets", name], &org_wide_query(org_wide))?;
        self.call(Method::PATCH, url, Some(patch), Auth::Token).await?.decode()
    }

    /// `POST /v1/secrets/{name}/reveal`: the value (of `version`, or the current one). Audited by
    /// the server, so it is never retried.
    pub async fn reveal(&self, name: &str, org_wide: bool, version: Option<i64>) -> ClientResult<api::Revealed> {
        let mut query = org_wide_query(org_wide);
        if let Some(v) = version {
            query.push(("version", v.to_string()));
        }
        let url = self.url(&["v1", "secrets", name, "reveal"], &query)?;
        self.call(Method::POST, url, NO_BODY, Auth::Token).await?.decode()
    }

    /// `GET /v1/secrets/{name}/versions`, newest first.
    pub async fn versions(&self, name: &str, org_wide: bool) -> ClientResult<Vec<api::VersionInfo>> {
        let list: api::VersionList = self
            .get(
                &["v1", "secrets", name, "versions"],
                &org_wide_query(org_wide),
                Auth::Token,
            )
            .await?;
        Ok(list.versions)
    }

    /// `DELETE /v1/secrets/{name}`.
    pub async fn delete_secret(&self, name: &str, org_wide: bool) -> ClientResult<()> {
        let url = self.url(&["v1", "secrets", name], &org_wide_query(org_wide))?;
        self.call(Method::DELETE, url, NO_BODY, Auth::Token).await?;
        Ok(())
    }

    /// `POST /v1/env`: the values only (see [`Client::env_answer`] for which are write-only and
    /// which were skipped).
    pub async fn env(&self, scope: Option<api::Scope>) -> ClientResult<BTreeMap<String, SecretString>> {
        let req = api::EnvRequest {
            scope,
            ..api::EnvRequest::default()
        };
        Ok(self.env_answer(&req).await?.env)
    }

    /// `POST /v1/env`: every value the caller may use whose scope is `all` or `req.scope` (and
    /// whose provider is `req.provider`, when given), the names of the write-only ones, and the
    /// secrets left out because their value does not open.
    pub async fn env_answer(&self, req: &api::EnvRequest) -> ClientResult<api::EnvResponse> {
        let url = self.url(&["v1", "env"], &[])?;
        self.call(Method::POST, url, Some(req), Auth::Token).await?.decode()
    }

    /// `POST /v1/env` with `If-None-Match: etag` (when given): [`EnvFetch::Unchanged`] when the
    /// server answers 304 (the bundle, which secrets at which versions, is the one `etag` names;
    /// no value crosses the wire and nothing is audited), else the new bundle and its tag. An
    /// older server that sends no ETag always answers the bundle, with `etag: None`. Not retried
    /// (a delivery is audited).
    pub async fn env_if_changed(&self, req: &api::EnvRequest, etag: Option<&str>) -> ClientResult<EnvFetch> {
        let url = self.url(&["v1", "env"], &[])?;
        let body = zeroize::Zeroizing::new(serde_json::to_vec(req).map_err(|e| {
            super::ClientError::Config(format!("cannot encode the request ({:?} error)", e.classify()))
        })?);
        let mut headers = HeaderMap::new();
        if let Some(tag) = etag {
            // A tag the server did not send cannot match: sent as is, or not at all.
            if let Ok(value) = HeaderValue::from_str(tag) {
                headers.insert(IF_NONE_MATCH, value);
            }
        }
        let resp = self.send_with_headers(Method::POST, url, Some(&body), headers).await?;
        if resp.status() == StatusCode::NOT_MODIFIED {
            return Ok(EnvFetch::Unchanged);
        }
        let etag = resp
            .headers()
            .get(ETAG)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let answer = self.read_answer(resp).await?.decode()?;
        Ok(EnvFetch::Changed { answer, etag })
    }

    /// `GET /v1/audit`, newest first.
    pub async fn audit(&self, q: &api::AuditQuery) -> ClientResult<Vec<api::AuditEvent>> {
        let mut query = Vec::new();
        if let Some(s) = &q.secret {
            query.push(("secret", s.clone()));
        }
        if let Some(a) = &q.actor {
            query.push(("actor", a.clone()));
        }
        if let Some(a) = q.action {
            query.push(("action", a.as_str().to_owned()));
        }
        if let Some(l) = q.limit {
            query.push(("limit", l.to_string()));
        }
        if let Some(b) = q.before {
            query.push(("before", b.to_string()));
        }
        let list: api::AuditList = self.get(&["v1", "audit"], &query, Auth::Token).await?;
        Ok(list.events)
    }

    /// `GET /v1/org`.
    pub async fn org(&self) -> ClientResult<api::OrgInfo> {
        self.get(&["v1", "org"], &[], Auth::Token).await
    }

    /// `PATCH /v1/org` (admin).
    pub async fn patch_org(&self, p: &api::PatchOrg) -> ClientResult<api::OrgInfo> {
        let url = self.url(&["v1", "org"], &[])?;
        self.call(Method::PATCH, url, Some(p), Auth::Token).await?.decode()
    }

    /// `POST /v1/users` (admin): the new user and a single-use enrolment code, shown once.
    pub async fn create_user(&self, req: &api::CreateUser) -> ClientResult<api::Enrolment> {
        let url = self.url(&["v1", "users"], &[])?;
        self.call(Method::POST, url, Some(req), Auth::Token).await?.decode()
    }

    /// `POST /v1/users/{name}/enrolment` (admin): a new code for a user who has not enrolled yet.
    pub async fn new_enrolment(&self, name: &str, req: &api::NewEnrolment) -> ClientResult<api::Enrolment> {
        let url = self.url(&["v1", "users", name, "enrolment"], &[])?;
        self.call(Method::POST, url, Some(req), Auth::Token).await?.decode()
    }

    /// `POST /v1/enroll`: exchanges an enrolment code for the user's first token. Sends no
    /// token (the client may have none yet).
    pub async fn enroll(&self, code: SecretString) -> ClientResult<api::Enrolled> {
        let url = self.url(&["v1", "enroll"], &[])?;
        let body = api::EnrollRequest { code };
        self.call(Method::POST, url, Some(&body), Auth::None).await?.decode()
    }

    /// `GET /v1/users` (admin).
    pub async fn list_users(&self) -> ClientResult<Vec<api::UserInfo>> {
        let list: api::UserList = self.get(&["v1", "users"], &[], Auth::Token).await?;
        Ok(list.users)
    }

    /// `PATCH /v1/users/{name}` (admin): role and disabled.
    pub async fn patch_user(&self, name: &str, patch: &api::PatchUser) -> ClientResult<api::UserInfo> {
        let url = self.url(&["v1", "users", name], &[])?;
        self.call(Method::PATCH, url, Some(patch), Auth::Token).await?.decode()
    }

    /// `GET /v1/users/{name}/tokens` (admin): that user's live tokens, metadata only.
    pub async fn user_tokens(&self, name: &str) -> ClientResult<Vec<api::TokenInfo>> {
        let list: api::TokenList = self.get(&["v1", "users", name, "tokens"], &[], Auth::Token).await?;
        Ok(list.tokens)
    }

    /// `DELETE /v1/users/{name}/tokens/{id}` (admin): revokes it and every token it created.
    pub async fn revoke_user_token(&self, name: &str, id: &str) -> ClientResult<()> {
        let url = self.url(&["v1", "users", name, "tokens", id], &[])?;
        self.call(Method::DELETE, url, NO_BODY, Auth::Token).await?;
        Ok(())
    }

    /// `DELETE /v1/users/{name}/tokens` (admin): revokes all of that user's live tokens.
    pub async fn revoke_user_tokens(&self, name: &str) -> ClientResult<api::RevokedTokens> {
        let url = self.url(&["v1", "users", name, "tokens"], &[])?;
        self.call(Method::DELETE, url, NO_BODY, Auth::Token).await?.decode()
    }

    /// `POST /v1/tokens`: a new token for the caller, shown once.
    pub async fn create_token(&self, req: &api::CreateToken) -> ClientResult<api::CreatedToken> {
        let url = self.url(&["v1", "tokens"], &[])?;
        self.call(Method::POST, url, Some(req), Auth::Token).await?.decode()
    }

    /// `GET /v1/tokens`: the caller's tokens, metadata only.
    pub async fn list_tokens(&self) -> ClientResult<Vec<api::TokenInfo>> {
        let list: api::TokenList = self.get(&["v1", "tokens"], &[], Auth::Token).await?;
        Ok(list.tokens)
    }

    /// `DELETE /v1/tokens/{id}`: revokes one of the caller's tokens and every token it created.
    pub async fn revoke_token(&self, id: &str) -> ClientResult<()> {
        let url = self.url(&["v1", "tokens", id], &[])?;
        self.call(Method::DELETE, url, NO_BODY, Auth::Token).await?;
        Ok(())
    }
}
