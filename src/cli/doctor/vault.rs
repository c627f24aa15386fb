//! The vault checks: which vault and why, reachable, TLS, token, token expiry, clock skew. They
//! run in that order because each needs the one before: a token cannot be judged by a server that
//! does not answer.

use std::time::SystemTime;

use time::OffsetDateTime;

use super::{Check, files};
use crate::api::TokenInfo;
use crate::cli::Ctx;
use crate::cli::format::until;
use crate::client::ClientError;
use crate::config::{self, ConfigError, Env, Paths, Profile};
use crate::local::Connection;

/// Remaining token lifetime under which `token expiry` warns.
const EXPIRY_WARN_DAYS: i64 = 7;
/// Clock skew (seconds) above which `clock` warns, and fails.
const SKEW_WARN: i64 = 5;
const SKEW_FAIL: i64 = 60;

/// The vault the other commands would use, resolved the way `local::connect` does, and why.
struct Choice {
    paths: Paths,
    /// `None`: the local vault.
    profile: Option<Profile>,
    /// The first `vault` line: the vault and how it was chosen.
    how: String,
    /// Where the token comes from, for a remote vault that has one.
    token_from: Option<&'static str>,
}

impl Choice {
    fn resolve(ctx: &Ctx, env: &Env) -> Result<Choice, ConfigError> {
        let paths = Paths::resolve(env)?;
        // The same overrides as `local::connect_with`, so doctor judges what the others would use.
        let mut env = env.clone();
        let url_flag = ctx.global.url.is_some();
        if let Some(url) = &ctx.global.url {
            env.url = Some(url.clone());
        }
        if let Some(ca) = &ctx.global.ca_cert {
            env.ca_cert = Some(ca.clone());
        }
        let profile = config::load_profile_with(&paths, ctx.global.profile.as_deref(), &env)?;
        let Some(p) = profile else {
            let dir_from = if env.data_dir.is_some() {
                "VAULTTY_DATA_DIR"
            } else {
                "the default data directory"
            };
            return Ok(Choice {
                how: format!(
                    "the local vault in {} ({dir_from}), because no --url, VAULTTY_URL or profile names a server",
                    paths.data_dir.display()
                ),
                paths,
                profile: None,
                token_from: None,
            });
        };
        let stored = config::list_profiles(&paths)?.iter().any(|s| s.name == p.name);
        let profile_from = if ctx.global.profile.is_some() {
            "--profile"
        } else if env.profile.is_some() {
            "VAULTTY_PROFILE"
        } else {
            "the default"
        };
        let url_from = if url_flag {
            Some("--url")
        } else if env.url.is_some() {
            Some("VAULTTY_URL")
        } else {
            None
        };
        let how = match (url_from, stored) {
            (Some(u), true) => format!(
                "{} from {u}, with the saved profile {:?} ({profile_from})",
                p.url, p.name
            ),
            (Some(u), false) => format!("{} from {u} (no saved profile)", p.url),
            (None, _) => format!("{} from the saved profile {:?} ({profile_from})", p.url, p.name),
        };
        let token_from = match (&env.token, &p.token) {
            (Some(_), _) => Some("VAULTTY_TOKEN"),
            (None, Some(_)) => Some("the profile's token file"),
            (None, None) => None,
        };
        Ok(Choice {
            paths,
            how,
            token_from,
            profile: Some(p),
        })
    }
}

pub(super) async fn checks(ctx: &Ctx) -> Vec<Check> {
    let env = Env::from_process();
    let choice = match Choice::resolve(ctx, &env) {
        Ok(c) => c,
        Err(e) => {
            let fix = match &e {
                ConfigError::TooOpen(path) => format!("chmod 600 {}", path.display()),
                ConfigError::UnknownProfile { .. } => {
                    "check --profile / VAULTTY_PROFILE, or save the profile with `vaultty login`".to_owned()
                }
                _ => "correct the setting or file named above".to_owned(),
            };
            let why = "the vault to use is not known";
            let mut out = vec![Check::fail("vault", e.to_string(), fix)];
            out.extend(
                ["reachable", "tls", "token", "token expiry", "clock"]
                    .map(|name| Check::not_checked(name, why, "vault")),
            );
            return out;
        }
    };
    let mut out = vec![Check::ok("vault", choice.how.clone())];
    match &choice.profile {
        None => {
            let data_dir = choice.paths.data_dir.clone();
            out.extend(files::checks(&data_dir));
            if !files::local_vault_exists(&data_dir) {
                // Starting it would create it (a new master key): not doctor's to do.
                out.push(Check::ok(
                    "reachable",
                    "there is no local vault yet: the first command that needs it creates it",
                ));
                out.extend(
                    ["tls", "token", "token expiry", "clock"]
                        .map(|name| Check::ok(name, "not checked: no local vault yet")),
                );
                return out;
            }
            out.extend(connected_checks(ctx, &choice, true).await);
        }
        Some(_) => out.extend(connected_checks(ctx, &choice, false).await),
    }
    out
}

/// reachable, tls, token, token expiry and clock, over a real connection (`local`: to the local
/// vault, started in this process as every command starts it).
async fn connected_checks(ctx: &Ctx, choice: &Choice, local: bool) -> Vec<Check> {
    let mut out = Vec::new();
    let conn = match ctx.connect().await {
        Ok(c) => c,
        Err(e) => {
            let fix = if local {
                "fix the file named above (see the local-vault checks)"
            } else {
                "correct the URL or the setting named above"
            };
            out.push(Check::fail("reachable", e.to_string(), fix));
            let why = "no connection to the vault";
            out.extend(
                ["tls", "token", "token expiry", "clock"].map(|name| Check::not_checked(name, why, "reachable")),
            );
            return out;
        }
    };
    out.extend(over_connection(&conn, choice, local).await);
    conn.close().await;
    out
}

async fn over_connection(conn: &Connection, choice: &Choice, local: bool) -> Vec<Check> {
    let mut out = Vec::new();
    let url = conn.client.base_url().to_owned();
    let before = SystemTime::now();
    let answer = conn.client.health_and_date().await;
    let after = SystemTime::now();
    let date = match answer {
        Ok((health, date)) => {
            out.push(Check::ok(
                "reachable",
                format!("the server at {url} answers /healthz ({})", health.status),
            ));
            out.push(tls_ok(&url, choice, local));
            date
        }
        Err(ClientError::Certificate { problem, .. }) => {
            out.push(Check::ok(
                "reachable",
                format!("a server answers at {url}, but its TLS certificate is refused (see tls)"),
            ));
            let fix = if problem.contains("trusted CA") {
                "trust the server's CA: pass --ca-cert PEM, set VAULTTY_CA_CERT=PEM, or save it in the \
                 profile with `vaultty login --ca-cert PEM`"
            } else {
                "the server needs a certificate valid for this URL and date (or fix this machine's clock)"
            };
            out.push(Check::fail("tls", problem, fix));
            let why = "the server's certificate is not trusted";
            out.extend(["token", "token expiry", "clock"].map(|name| Check::not_checked(name, why, "tls")));
            return out;
        }
        Err(e) => {
            let fix = match &e {
                ClientError::Unreachable { .. } | ClientError::Timeout { .. } => format!(
                    "check that the server is running (`vaultty serve`) and that {url} is its address and \
                     reachable from here; change it with --url, VAULTTY_URL or `vaultty login`"
                ),
                _ => "check that this URL is a vaultty server, and the server's logs".to_owned(),
            };
            out.push(Check::fail("reachable", e.to_string(), fix));
            let why = "the server is not reachable";
            out.extend(
                ["tls", "token", "token expiry", "clock"].map(|name| Check::not_checked(name, why, "reachable")),
            );
            return out;
        }
    };
    let server_now = date.as_deref().and_then(parse_http_date);
    out.extend(token_checks(conn, choice, local, server_now).await);
    out.push(clock_check(local, date.as_deref(), server_now, before, after));
    out
}

fn tls_ok(url: &str, choice: &Choice, local: bool) -> Check {
    if local {
        return Check::ok(
            "tls",
            "not needed: the local vault is served on 127.0.0.1 inside this process",
        );
    }
    if url.starts_with("https://") {
        let ca = choice.profile.as_ref().and_then(|p| p.ca_cert.as_ref());
        return Check::ok(
            "tls",
            match ca {
                Some(path) => format!("the certificate is trusted (system roots and {})", path.display()),
                None => "the certificate is trusted (system roots)".to_owned(),
            },
        );
    }
    if is_loopback_url(url) {
        return Check::ok(
            "tls",
            "plain http to this machine (loopback): nothing crosses the network",
        );
    }
    Check::warn(
        "tls",
        "plain http to another machine: the token crosses the network unencrypted (--allow-insecure-http)",
        "serve over https (`vaultty serve --tls-cert PEM --tls-key PEM`) and use an https:// URL",
    )
}

fn is_loopback_url(url: &str) -> bool {
    let Some(host) = reqwest::Url::parse(url)
        .ok()
        .and_then(|u| u.host_str().map(str::to_owned))
    else {
        return false;
    };
    host.eq_ignore_ascii_case("localhost")
        || host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// token (valid, whose, which role) and token expiry.
async fn token_checks(
    conn: &Connection,
    choice: &Choice,
    local: bool,
    server_now: Option<OffsetDateTime>,
) -> Vec<Check> {
    let from = if local {
        "the local vault's token file"
    } else {
        match choice.token_from {
            Some(f) => f,
            None => {
                let login = match &choice.profile {
                    Some(p) => format!("vaultty login --url {}", p.url),
                    None => "vaultty login --url URL".to_owned(),
                };
                return vec![
                    Check::fail(
                        "token",
                        "no token: neither VAULTTY_TOKEN nor the profile holds one",
                        format!("log in with `{login}`, or set VAULTTY_TOKEN"),
                    ),
                    Check::not_checked("token expiry", "there is no token", "token"),
                ];
            }
        }
    };
    let relogin = "the token is unknown, revoked or expired: log in again with `vaultty login` (or set \
                   VAULTTY_TOKEN to a live token)";
    match conn.client.me().await {
        Ok(me) => {
            let token = Check::ok(
                "token",
                format!(
                    "valid (from {from}): user {}, role {}, org {}",
                    me.user, me.role, me.org
                ),
            );
            vec![token, expiry_check(conn, server_now).await]
        }
        // 403, not 401: the server knows the token but it may not ask who it is, which is a
        // runner token (delivery only).
        Err(ClientError::Forbidden(_)) => vec![
            Check::ok(
                "token",
                format!(
                    "valid (from {from}), delivery-only: a runner token fetches secrets (`vaultty run`) and nothing else"
                ),
            ),
            Check::warn(
                "token expiry",
                "not checked: a runner token may not list tokens, its own included",
                "its owner sees its expiry with `vaultty token list`",
            ),
        ],
        Err(e @ ClientError::Unauthorized(_)) => vec![
            Check::fail("token", format!("refused (from {from}): {e}"), relogin),
            Check::not_checked("token expiry", "the token is refused", "token"),
        ],
        Err(e) => vec![
            Check::fail("token", format!("cannot check it: {e}"), "see the message; try again"),
            Check::not_checked("token expiry", "the token could not be checked", "token"),
        ],
    }
}

async fn expiry_check(conn: &Connection, server_now: Option<OffsetDateTime>) -> Check {
    let tokens = match conn.client.list_tokens().await {
        Ok(t) => t,
        Err(e) => return Check::warn("token expiry", format!("cannot list tokens: {e}"), "try again"),
    };
    let Some(current) = tokens.iter().find(|t| t.current) else {
        return Check::warn(
            "token expiry",
            "the server did not mark the token in use among the listed ones",
            "check the server's version",
        );
    };
    // The server decides expiry by its own clock: measure against it when its Date was read.
    expiry_of(current, server_now.unwrap_or_else(OffsetDateTime::now_utc))
}

fn expiry_of(token: &TokenInfo, now: OffsetDateTime) -> Check {
    let Some(at) = token.expires_at else {
        return Check::ok("token expiry", format!("{:?} never expires", token.name));
    };
    let when = at
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default();
    let renew = "make a new one before then: `vaultty login` again, or `vaultty token create --expires 90d` \
                 for a script's token";
    let left = at - now;
    if left <= time::Duration::ZERO {
        Check::fail("token expiry", format!("{:?} expired at {when}", token.name), renew)
    } else if left < time::Duration::days(EXPIRY_WARN_DAYS) {
        Check::warn(
            "token expiry",
            format!(
                "{:?} expires {} ({when}), within {EXPIRY_WARN_DAYS} days",
                token.name,
                until(now, Some(at))
            ),
            renew,
        )
    } else {
        Check::ok(
            "token expiry",
            format!("{:?} expires {} ({when})", token.name, until(now, Some(at))),
        )
    }
}

/// An HTTP date (`Wed, 02 Dec 2026 16:02:44 GMT`, RFC 9110's IMF-fixdate).
fn parse_http_date(text: &str) -> Option<OffsetDateTime> {
    let format = time::macros::format_description!(
        "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
    );
    time::PrimitiveDateTime::parse(text.trim(), format)
        .ok()
        .map(time::PrimitiveDateTime::assume_utc)
}

/// The skew from the server's `Date` (whole seconds, so the server's clock lies in
/// `[date, date + 1)`) to the middle of our request, in seconds; positive when this machine is ahead.
fn skew_seconds(server: OffsetDateTime, before: SystemTime, after: SystemTime) -> i64 {
    let b = OffsetDateTime::from(before);
    let a = OffsetDateTime::from(after);
    let half: time::Duration = (a - b) / 2;
    let local_mid: OffsetDateTime = b + half;
    let server_mid = server + time::Duration::milliseconds(500);
    let skew: time::Duration = local_mid - server_mid;
    skew.as_seconds_f64().round() as i64
}

fn clock_check(
    local: bool,
    date: Option<&str>,
    server_now: Option<OffsetDateTime>,
    before: SystemTime,
    after: SystemTime,
) -> Check {
    if local {
        return Check::ok("clock", "the local vault runs on this machine's clock: no skew");
    }
    let why = "token expiry is decided by the server's clock and audit times are the server's, so a \
               skewed clock makes expiries and `vaultty audit` times look wrong here";
    let Some(server) = server_now else {
        let detail = match date {
            Some(_) => "the server's Date header does not parse, so skew cannot be measured",
            None => "the server sent no Date header, so skew cannot be measured",
        };
        return Check::warn("clock", detail, format!("check both clocks by hand: {why}"));
    };
    let skew = skew_seconds(server, before, after);
    let direction = if skew >= 0 { "ahead of" } else { "behind" };
    let detail = format!("this machine is {} s {direction} the server", skew.abs());
    let fix = format!("sync this machine's clock or the server's (NTP, e.g. `timedatectl set-ntp true`): {why}");
    match skew.abs() {
        s if s > SKEW_FAIL => Check::fail("clock", detail, fix),
        s if s > SKEW_WARN => Check::warn("clock", detail, fix),
        _ => Check::ok("clock", detail),
    }
}

#[cfg(test)]
mod tests {
    use super::super::Status;
    use super::*;
    use std::time::Duration;

    #[test]
    fn http_dates_parse() {
        let t = parse_http_date("Wed, 02 Dec 2026 16:02:44 GMT").unwrap();
        assert_eq!(t.unix_timestamp(), 1_796_227_364);
        assert!(parse_http_date("yesterday").is_none());
    }

    #[test]
    fn skew_thresholds() {
        let server = OffsetDateTime::from_unix_timestamp(1_796_227_364).unwrap();
        let at = |secs: i64| SystemTime::from(server) + Duration::from_millis(500) + Duration::from_secs(secs as u64);
        let status = |secs| clock_check(false, Some(""), Some(server), at(secs), at(secs)).status;
        assert_eq!(status(0), Status::Ok);
        assert_eq!(status(5), Status::Ok);
        assert_eq!(status(6), Status::Warn);
        assert_eq!(status(60), Status::Warn);
        assert_eq!(status(61), Status::Fail);
        let behind = clock_check(
            false,
            Some(""),
            Some(server),
            SystemTime::from(server) - Duration::from_secs(90),
            SystemTime::from(server) - Duration::from_secs(90),
        );
        assert_eq!(behind.status, Status::Fail);
        assert!(behind.detail.contains("behind"), "{}", behind.detail);
        assert!(behind.fix.unwrap().contains("token expiry"));
    }
}
