//! `vaultty doctor` as a user runs it: the real binary against a real server on 127.0.0.1 (or a
//! dead port, or TLS with a private CA), and against the embedded local vault in a temporary data
//! directory. Each story checks the line a user would act on, its fix, the exit code, the JSON
//! shape, and that no token is ever printed.
// Helpers here are not #[test] functions, so clippy.toml's test allowance does not reach them.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::Path;
use std::time::Duration;

use common::TestVault;
use common::shell::{Out, Shell, StderrLog};
use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair, KeyUsagePurpose};
use secrecy::ExposeSecret;
use serde_json::Value;
use vaultty::api::{CreateToken, Scope, TokenKind};
use vaultty::server::{self, ServerConfig, Tls};

/// `vaultty --json doctor`, checked for the documented shape: every check has a name, a status
/// out of three, a detail, and a fix exactly when it is not ok; `ok` is false exactly when one
/// fails, and the exit code says the same.
async fn doctor_json(sh: &Shell) -> Value {
    with_args(sh, &[]).await
}

/// [`doctor_json`] with global options before `doctor`.
async fn with_args(sh: &Shell, args: &[&str]) -> Value {
    let mut all = vec!["--json"];
    all.extend_from_slice(args);
    all.push("doctor");
    let out = sh.run(&all).await;
    let v = out.json();
    let checks = v["checks"].as_array().unwrap_or_else(|| panic!("{out:?}"));
    let mut any_fail = false;
    for c in checks {
        let status = c["status"].as_str().unwrap();
        assert!(matches!(status, "ok" | "warn" | "fail"), "{c}");
        assert!(c["check"].is_string() && c["detail"].is_string(), "{c}");
        assert_eq!(
            c["fix"].is_string(),
            status != "ok",
            "a fix exactly on warn and fail: {c}"
        );
        any_fail |= status == "fail";
    }
    assert_eq!(v["ok"], !any_fail, "{v}");
    assert_eq!(out.code, i32::from(any_fail), "{out:?}");
    assert!(out.stderr.is_empty(), "{out:?}");
    v
}

fn check<'a>(v: &'a Value, name: &str) -> &'a Value {
    v["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["check"] == name)
        .unwrap_or_else(|| panic!("no {name} check in {v}"))
}

fn status<'a>(v: &'a Value, name: &str) -> &'a str {
    check(v, name)["status"].as_str().unwrap()
}

/// The text form: one line for `name` with `status`, and nothing like a panic or a backtrace.
fn assert_line(out: &Out, status: &str, name: &str) {
    let prefix = format!("{status:<4}  {name} ");
    assert!(
        out.stdout.lines().any(|l| l.starts_with(&prefix)),
        "no {prefix:?} line: {out:?}"
    );
    for bad in ["panicked", "backtrace", "error:"] {
        assert!(!out.stdout.contains(bad) && !out.stderr.contains(bad), "{out:?}");
    }
}

const VAULT_CHECKS: [&str; 6] = ["vault", "reachable", "tls", "token", "token expiry", "clock"];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_healthy_vault_is_ready() {
    let server = TestVault::start().await;
    let sh = Shell::remote(&server);

    let out = sh.run(&["doctor"]).await.ok();
    assert_line(&out, "ok", "reachable");
    assert_line(&out, "ok", "token");
    assert!(out.stdout.contains("Ready"), "{out:?}");

    let v = doctor_json(&sh).await;
    assert_eq!(v["ok"], true, "{v}");
    for name in VAULT_CHECKS {
        assert_eq!(status(&v, name), "ok", "{name}: {v}");
    }
    let vault = check(&v, "vault")["detail"].as_str().unwrap();
    assert!(
        vault.contains(&server.url()) && vault.contains("VAULTTY_URL"),
        "{vault}"
    );
    let token = check(&v, "token")["detail"].as_str().unwrap();
    assert!(
        token.contains("alice") && token.contains("admin") && token.contains("VAULTTY_TOKEN"),
        "{token}"
    );
    assert!(
        check(&v, "clock")["detail"].as_str().unwrap().contains("is 0 s ahead"),
        "{v}"
    );
    // The local-vault checks are for the local vault only.
    assert!(
        v["checks"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["check"] != "master key"),
        "{v}"
    );
    sh.assert_no_value_on_stderr(&[server.admin_token.expose_secret()]);
    assert!(!out.stdout.contains(server.admin_token.expose_secret()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_vault_line_says_how_the_vault_was_chosen() {
    let server = TestVault::start().await;
    let sh = Shell::new();
    let token = server.admin_token.expose_secret();
    sh.stdin(
        &["login", "--url", &server.url(), "--profile", "work"],
        &format!("{token}\n"),
    )
    .await
    .ok();

    let v = with_args(&sh, &["--profile", "work"]).await;
    let vault = check(&v, "vault")["detail"].as_str().unwrap();
    assert!(vault.contains("saved profile \"work\" (--profile)"), "{vault}");
    let from = check(&v, "token")["detail"].as_str().unwrap();
    assert!(from.contains("the profile's token file"), "{from}");

    // --url to another server than the profile's: its token is not sent there.
    let other = TestVault::start().await;
    let v = with_args(&sh, &["--profile", "work", "--url", &other.url()]).await;
    let vault = check(&v, "vault")["detail"].as_str().unwrap();
    assert!(vault.contains(&format!("{} from --url", other.url())), "{vault}");
    assert!(
        check(&v, "token")["detail"].as_str().unwrap().starts_with("no token"),
        "{v}"
    );
    sh.assert_no_value_on_stderr(&[token]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dead_server_is_one_clear_fail_and_the_rest_not_checked() {
    // A port that was free a moment ago and has no listener now.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut sh = Shell::new();
    sh.set("VAULTTY_URL", &format!("http://127.0.0.1:{port}"));
    sh.set("VAULTTY_TOKEN", "vt_doctor_never_printed_0123456789");

    let out = sh.run(&["doctor"]).await.code(1);
    assert_line(&out, "FAIL", "reachable");
    assert!(out.stdout.contains("Not ready"), "{out:?}");

    let v = doctor_json(&sh).await;
    assert_eq!(status(&v, "vault"), "ok");
    let reachable = check(&v, "reachable");
    assert_eq!(reachable["status"], "fail");
    assert!(
        reachable["detail"].as_str().unwrap().contains("cannot reach"),
        "{reachable}"
    );
    assert!(
        reachable["fix"].as_str().unwrap().contains("vaultty serve"),
        "{reachable}"
    );
    for name in ["tls", "token", "token expiry", "clock"] {
        let c = check(&v, name);
        assert_eq!(c["status"], "fail", "{c}");
        assert_eq!(c["detail"], "not checked: the server is not reachable", "{c}");
    }
    sh.assert_no_value_on_stderr(&["vt_doctor_never_printed"]);
    assert!(!out.stdout.contains("vt_doctor_never_printed"), "{out:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_token_or_none_fails_the_token_check() {
    let server = TestVault::start().await;
    let wrong = "vt_doctor_wrong_token_0123456789abcdef";
    let sh = Shell::with_token(&server, wrong, &StderrLog::default());

    let out = sh.run(&["doctor"]).await.code(1);
    assert_line(&out, "FAIL", "token");
    assert!(!out.stdout.contains(wrong), "{out:?}");
    let v = doctor_json(&sh).await;
    assert_eq!((status(&v, "reachable"), status(&v, "clock")), ("ok", "ok"), "{v}");
    let token = check(&v, "token");
    assert_eq!(token["status"], "fail");
    assert!(token["detail"].as_str().unwrap().contains("refused"), "{token}");
    assert!(token["fix"].as_str().unwrap().contains("vaultty login"), "{token}");
    assert!(!v.to_string().contains(wrong));
    sh.assert_no_value_on_stderr(&[wrong]);

    // No token at all: said so, with the login that gets one.
    let mut sh = Shell::new();
    sh.set("VAULTTY_URL", &server.url());
    let v = doctor_json(&sh).await;
    let token = check(&v, "token");
    assert_eq!(token["status"], "fail");
    assert!(token["detail"].as_str().unwrap().starts_with("no token"), "{token}");
    assert!(
        token["fix"]
            .as_str()
            .unwrap()
            .contains(&format!("vaultty login --url {}", server.url())),
        "{token}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_near_expiry_warns_and_an_expired_one_fails() {
    let (server, clock) = TestVault::with_manual_clock().await;
    let created = server
        .admin()
        .create_token(&CreateToken::user("ci", Some(2 * 86_400)))
        .await
        .unwrap();
    let sh = Shell::with_token(&server, created.token.expose_secret(), &StderrLog::default());

    let v = doctor_json(&sh).await;
    assert_eq!(v["ok"], true, "a warning is not a failure: {v}");
    let expiry = check(&v, "token expiry");
    assert_eq!(expiry["status"], "warn", "{expiry}");
    let detail = expiry["detail"].as_str().unwrap();
    assert!(
        detail.contains("\"ci\" expires in ") && detail.contains("within 7 days"),
        "{expiry}"
    );
    assert!(
        expiry["fix"].as_str().unwrap().contains("vaultty token create"),
        "{expiry}"
    );
    let out = sh.run(&["doctor"]).await.ok();
    assert_line(&out, "warn", "token expiry");

    // Past its expiry by the vault's clock, the server refuses it.
    clock.advance(Duration::from_secs(3 * 86_400));
    let v = doctor_json(&sh).await;
    assert_eq!(status(&v, "token"), "fail", "{v}");
    assert_eq!(status(&v, "token expiry"), "fail", "{v}");
    assert!(
        check(&v, "token expiry")["detail"]
            .as_str()
            .unwrap()
            .starts_with("not checked")
    );
    sh.assert_no_value_on_stderr(&[created.token.expose_secret()]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_runner_token_is_valid_but_delivery_only() {
    let server = TestVault::start().await;
    let created = server
        .admin()
        .create_token(&CreateToken {
            kind: Some(TokenKind::Runner),
            scope: Some(Scope::Agents),
            ..CreateToken::user("runner", None)
        })
        .await
        .unwrap();
    let sh = Shell::with_token(&server, created.token.expose_secret(), &StderrLog::default());
    let v = doctor_json(&sh).await;
    assert_eq!(v["ok"], true, "{v}");
    assert!(
        check(&v, "token")["detail"].as_str().unwrap().contains("delivery-only"),
        "{v}"
    );
    assert_eq!(status(&v, "token expiry"), "warn", "{v}");
}

#[cfg(unix)]
fn chmod(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_local_vault_is_checked_without_being_created_and_an_open_key_fails() {
    let sh = Shell::new();
    let data = sh.path("data");

    // Nothing yet: ready, and doctor did not create the vault.
    let v = doctor_json(&sh).await;
    assert_eq!(v["ok"], true, "{v}");
    assert!(
        check(&v, "vault")["detail"].as_str().unwrap().contains("local vault"),
        "{v}"
    );
    assert!(
        check(&v, "reachable")["detail"]
            .as_str()
            .unwrap()
            .contains("no local vault yet"),
        "{v}"
    );
    assert!(!Path::new(&data).exists(), "doctor created {data}");

    sh.run(&["whoami"]).await.ok();
    let v = doctor_json(&sh).await;
    assert_eq!(v["ok"], true, "{v}");
    for name in VAULT_CHECKS
        .iter()
        .chain(&["data directory", "master key", "local token"])
    {
        assert_eq!(status(&v, name), "ok", "{name}: {v}");
    }
    assert!(
        check(&v, "token")["detail"].as_str().unwrap().contains("role admin"),
        "{v}"
    );

    let key = Path::new(&data).join("master.key");
    chmod(&key, 0o644);
    let out = sh.run(&["doctor"]).await.code(1);
    assert_line(&out, "FAIL", "master key");
    let v = doctor_json(&sh).await;
    let master = check(&v, "master key");
    assert_eq!(master["status"], "fail", "{master}");
    assert!(master["detail"].as_str().unwrap().contains("0644"), "{master}");
    assert_eq!(master["fix"], format!("chmod 600 {}", key.display()), "{master}");
    // The local vault refuses to start with such a key: said once, the rest not checked.
    assert_eq!(status(&v, "reachable"), "fail", "{v}");
    assert!(
        check(&v, "reachable")["detail"].as_str().unwrap().contains("chmod 600"),
        "{v}"
    );
    assert_eq!(check(&v, "token")["detail"], "not checked: no connection to the vault");

    chmod(&key, 0o600);
    chmod(Path::new(&data), 0o755);
    let v = doctor_json(&sh).await;
    assert_eq!(check(&v, "data directory")["fix"], format!("chmod 700 {data}"), "{v}");
    assert_eq!((status(&v, "master key"), status(&v, "token")), ("ok", "ok"), "{v}");
}

/// A vault served over TLS with a certificate from a private CA written to `dir/ca.pem`.
async fn tls_vault(dir: &Path) -> TestVault {
    let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
    params.distinguished_name.push(DnType::CommonName, "doctor test CA");
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::DigitalSignature];
    let ca = CertifiedIssuer::self_signed(params, KeyPair::generate().unwrap()).unwrap();
    std::fs::write(dir.join("ca.pem"), ca.pem()).unwrap();
    let key = KeyPair::generate().unwrap();
    let cert = CertificateParams::new(vec!["127.0.0.1".to_owned()])
        .unwrap()
        .signed_by(&key, &ca)
        .unwrap();
    std::fs::write(dir.join("server.pem"), cert.pem()).unwrap();
    std::fs::write(dir.join("server.key"), key.serialize_pem()).unwrap();

    let mut vault = TestVault::start().await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let config = ServerConfig {
        tls: Some(Tls::load(dir.join("server.pem"), dir.join("server.key")).unwrap()),
        ..ServerConfig::new(&vault.db_url, common::keyring(&vault.keys))
    };
    vault.server = server::start(config, listener).await.unwrap();
    vault
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_untrusted_certificate_fails_tls_with_the_ca_fix() {
    let pki = tempfile::tempdir().unwrap();
    let server = tls_vault(pki.path()).await;
    assert!(server.url().starts_with("https://"), "{}", server.url());
    let mut sh = Shell::remote(&server);

    let v = doctor_json(&sh).await;
    let tls = check(&v, "tls");
    assert_eq!(tls["status"], "fail", "{v}");
    assert!(
        tls["detail"].as_str().unwrap().contains("not signed by a trusted CA"),
        "{tls}"
    );
    let fix = tls["fix"].as_str().unwrap();
    assert!(
        fix.contains("--ca-cert") && fix.contains("VAULTTY_CA_CERT") && fix.contains("login --ca-cert"),
        "{fix}"
    );
    assert_eq!(status(&v, "reachable"), "ok", "{v}");
    assert_eq!(
        check(&v, "token")["detail"],
        "not checked: the server's certificate is not trusted"
    );

    let ca = pki.path().join("ca.pem").display().to_string();
    sh.set("VAULTTY_CA_CERT", &ca);
    let v = doctor_json(&sh).await;
    assert_eq!(v["ok"], true, "{v}");
    assert!(check(&v, "tls")["detail"].as_str().unwrap().contains(&ca), "{v}");
    assert_eq!(status(&v, "token"), "ok", "{v}");
}
