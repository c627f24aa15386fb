//! TLS end to end: `vaultty serve --tls-cert --tls-key` with certificates made here by a private CA
//! (rcgen), the real client and the real binary trusting that CA through `--ca-cert`,
//! `VAULTTY_CA_CERT` or the profile `login` saved, and each refused certificate (unknown CA,
//! expired, another name) said in one line with exit code 7. SIGHUP swaps the certificate for new
//! connections while an open one goes on; `serve` refuses plain HTTP beyond loopback.
// Helpers here are not #[test] functions, so clippy.toml's test allowance does not reach them.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use common::served::{KEY, KEY_B64, Served};
use common::shell::Shell;
use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair, KeyUsagePurpose, SerialNumber,
    date_time_ymd,
};
use rustls_pki_types::{CertificateDer, ServerName};
use secrecy::{ExposeSecret, SecretString};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;
use vaultty::client::{Agent, ClientError, ClientOptions, VaultClient};
use vaultty::config::{Env, Paths};
use vaultty::local::ConnectOptions;
use vaultty::server::{self, RunningServer, ServerConfig, Tls};

/// How long a certificate is good for, as a test needs it.
#[derive(Clone, Copy)]
enum Validity {
    Current,
    Expired,
}

/// A private CA in a temporary directory, and the certificates it issues.
struct Pki {
    dir: tempfile::TempDir,
    ca: CertifiedIssuer<'static, KeyPair>,
}

/// A server certificate and its key, as PEM files, and the certificate's DER (what a client is served).
struct Issued {
    cert: PathBuf,
    key: PathBuf,
    der: Vec<u8>,
}

impl Pki {
    fn new(name: &str) -> Pki {
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.distinguished_name.push(DnType::CommonName, name);
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        let ca = CertifiedIssuer::self_signed(params, KeyPair::generate().unwrap()).unwrap();
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("ca.pem"), ca.pem()).unwrap();
        Pki { dir, ca }
    }

    /// The CA's certificate, PEM: what clients are given with `--ca-cert`.
    fn ca_path(&self) -> String {
        self.dir.path().join("ca.pem").display().to_string()
    }

    fn ca_der(&self) -> CertificateDer<'static> {
        self.ca.der().clone()
    }

    /// A server certificate for `names` (DNS names or IP addresses), written as `<file>.pem` and
    /// `<file>.key`.
    fn issue(&self, file: &str, names: &[&str], serial: u64, validity: Validity) -> Issued {
        let mut params = CertificateParams::new(names.iter().map(ToString::to_string).collect::<Vec<_>>()).unwrap();
        params
            .distinguished_name
            .push(DnType::CommonName, format!("vaultty test {serial}"));
        params.serial_number = Some(SerialNumber::from(serial));
        if let Validity::Expired = validity {
            params.not_before = date_time_ymd(2020, 1, 1);
            params.not_after = date_time_ymd(2021, 1, 1);
        }
        let key = KeyPair::generate().unwrap();
        let cert = params.signed_by(&key, &self.ca).unwrap();
        let issued = Issued {
            cert: self.dir.path().join(format!("{file}.pem")),
            key: self.dir.path().join(format!("{file}.key")),
            der: cert.der().to_vec(),
        };
        std::fs::write(&issued.cert, cert.pem()).unwrap();
        std::fs::write(&issued.key, key.serialize_pem()).unwrap();
        issued
    }
}

/// A vault served over TLS by the real server in this process, with an admin token.
struct TlsVault {
    _dir: tempfile::TempDir,
    server: RunningServer,
    admin_token: SecretString,
}

impl TlsVault {
    async fn start(issued: &Issued) -> TlsVault {
        let dir = tempfile::tempdir().unwrap();
        let db_url = format!("sqlite://{}", dir.path().join("vault.db").display());
        let admin_token = vaultty::vault::admin_init(&db_url, &common::keyring(&[KEY]), "acme", "alice")
            .await
            .unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let config = ServerConfig {
            tls: Some(Tls::load(&issued.cert, &issued.key).unwrap()),
            ..ServerConfig::new(&db_url, common::keyring(&[KEY]))
        };
        let server = server::start(config, listener).await.unwrap();
        TlsVault {
            _dir: dir,
            server,
            admin_token,
        }
    }

    fn url(&self) -> String {
        self.server.url()
    }

    /// The admin's shell, reaching the vault through `VAULTTY_URL` and `VAULTTY_TOKEN`.
    fn shell(&self) -> Shell {
        let mut sh = Shell::new();
        sh.set("VAULTTY_URL", &self.url());
        sh.set("VAULTTY_TOKEN", self.admin_token.expose_secret());
        sh.unset("VAULTTY_CA_CERT");
        sh
    }
}

fn client(url: &str, token: &SecretString, ca_cert: Option<&str>) -> VaultClient {
    let opts = ClientOptions {
        ca_cert: ca_cert.map(PathBuf::from),
        ..ClientOptions::default()
    };
    VaultClient::new(url, Some(token.clone()), opts).unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_client_trusts_the_private_ca_it_is_given_and_only_then() {
    let pki = Pki::new("acme test CA");
    let vault = TlsVault::start(&pki.issue("server", &["127.0.0.1", "localhost"], 1, Validity::Current)).await;
    assert!(vault.url().starts_with("https://127.0.0.1:"), "{}", vault.url());

    let me = client(&vault.url(), &vault.admin_token, Some(&pki.ca_path()))
        .me()
        .await
        .unwrap();
    assert_eq!(me.user, "alice");

    let err = client(&vault.url(), &vault.admin_token, None).me().await.unwrap_err();
    assert!(matches!(err, ClientError::Certificate { .. }), "{err:?}");
    assert_eq!(err.class(), vaultty::client::FailureClass::Unreachable);
    let line = err.to_string();
    assert!(
        line.contains("not signed by a trusted CA") && line.contains("--ca-cert"),
        "{line}"
    );

    // Another CA's certificate is no help.
    let other = Pki::new("someone else's CA");
    let err = client(&vault.url(), &vault.admin_token, Some(&other.ca_path()))
        .me()
        .await
        .unwrap_err();
    assert!(err.to_string().contains("not signed by a trusted CA"), "{err}");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_binary_works_with_ca_cert_and_with_vaultty_ca_cert() {
    let pki = Pki::new("acme test CA");
    let vault = TlsVault::start(&pki.issue("server", &["127.0.0.1"], 1, Validity::Current)).await;
    let mut sh = vault.shell();
    sh.run(&["whoami"])
        .await
        .code(7)
        .one_line_error("not signed by a trusted CA");

    let out = sh.run(&["--ca-cert", &pki.ca_path(), "whoami"]).await.ok();
    assert!(out.stdout.contains("alice"), "{out:?}");
    sh.stdin(
        &["--ca-cert", &pki.ca_path(), "secret", "set", "OPENAI_API_KEY"],
        "sk-test-value\n",
    )
    .await
    .ok();

    sh.set("VAULTTY_CA_CERT", &pki.ca_path());
    let out = sh.run(&["secret", "list"]).await.ok();
    assert!(out.stdout.contains("OPENAI_API_KEY"), "{out:?}");
    sh.run(&["whoami"]).await.ok();

    // A CA file that is not there is the user's mistake, said as such.
    sh.set(
        "VAULTTY_CA_CERT",
        &pki.dir.path().join("missing.pem").display().to_string(),
    );
    sh.run(&["whoami"])
        .await
        .code(2)
        .one_line_error("cannot use the CA certificate");
    sh.assert_no_value_on_stderr(&["sk-test-value", vault.admin_token.expose_secret()]);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_expired_certificate_or_one_for_another_name_is_one_line_each() {
    let pki = Pki::new("acme test CA");
    let expired = TlsVault::start(&pki.issue("expired", &["127.0.0.1"], 2, Validity::Expired)).await;
    let sh = expired.shell();
    sh.run(&["--ca-cert", &pki.ca_path(), "whoami"])
        .await
        .code(7)
        .one_line_error("the server's certificate has expired");

    let elsewhere = TlsVault::start(&pki.issue("elsewhere", &["vault.elsewhere.example"], 3, Validity::Current)).await;
    let sh = elsewhere.shell();
    let out = sh
        .run(&["--ca-cert", &pki.ca_path(), "secret", "list"])
        .await
        .code(7)
        .one_line_error("the server's certificate is for another name");
    assert!(
        out.stderr.contains("(vault.elsewhere.example), not 127.0.0.1"),
        "{out:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn login_saves_the_ca_and_later_commands_use_it() {
    let pki = Pki::new("acme test CA");
    let vault = TlsVault::start(&pki.issue("server", &["127.0.0.1"], 1, Validity::Current)).await;
    let mut sh = Shell::new();
    sh.unset("VAULTTY_CA_CERT");
    sh.stdin(
        &["login", "--url", &vault.url(), "--ca-cert", &pki.ca_path()],
        vault.admin_token.expose_secret(),
    )
    .await
    .ok();
    let profiles = std::fs::read_to_string(Path::new(&sh.path("config")).join("profiles.toml")).unwrap();
    assert!(
        profiles.contains("ca_cert") && profiles.contains("ca.pem"),
        "{profiles}"
    );

    let out = sh.run(&["whoami"]).await.ok();
    assert!(out.stdout.contains("alice"), "{out:?}");
    sh.run(&["secret", "list"]).await.ok();
    sh.assert_no_value_on_stderr(&[vault.admin_token.expose_secret()]);
}

/// The TUI connects through `local::connect` as `Agent::Tui` (src/cli/tui.rs calls
/// `Ctx::connect_as(Agent::Tui)`), the path every CLI command takes: the CA from the flag, the
/// environment or the profile reaches its client as it reaches theirs.
#[tokio::test(flavor = "multi_thread")]
async fn the_tui_connection_trusts_the_same_ca() {
    let pki = Pki::new("acme test CA");
    let vault = TlsVault::start(&pki.issue("server", &["127.0.0.1"], 1, Validity::Current)).await;
    let dir = tempfile::tempdir().unwrap();
    let env = Env {
        config_dir: Some(dir.path().join("config")),
        data_dir: Some(dir.path().join("data")),
        url: Some(vault.url()),
        token: Some(vault.admin_token.clone()),
        ..Env::default()
    };

    // `--ca-cert` (what `vaultty --ca-cert CA tui` passes).
    let flag = ConnectOptions {
        ca_cert: Some(pki.ca_path().into()),
        ..ConnectOptions::default()
    };
    let conn = vaultty::local::connect_with(&flag, Agent::Tui, &env).await.unwrap();
    assert_eq!(conn.client.me().await.unwrap().user, "alice");
    conn.close().await;

    // `VAULTTY_CA_CERT`.
    let with_env = Env {
        ca_cert: Some(pki.ca_path().into()),
        ..env.clone()
    };
    let conn = vaultty::local::connect_with(&ConnectOptions::default(), Agent::Tui, &with_env)
        .await
        .unwrap();
    assert_eq!(conn.client.me().await.unwrap().user, "alice");
    conn.close().await;

    // Without any of them, the TUI's client refuses the server as the CLI's does.
    let conn = vaultty::local::connect_with(&ConnectOptions::default(), Agent::Tui, &env)
        .await
        .unwrap();
    let err = conn.client.me().await.unwrap_err();
    assert!(err.to_string().contains("not signed by a trusted CA"), "{err}");

    // A saved profile's `ca_cert`, with nothing else said.
    let paths = Paths::resolve(&env).unwrap();
    vaultty::config::save_profile(
        &paths,
        &vaultty::config::Profile {
            name: vaultty::config::DEFAULT_PROFILE.into(),
            url: vault.url(),
            token: Some(vault.admin_token.clone()),
            allow_insecure_http: false,
            ca_cert: Some(pki.ca_path().into()),
        },
    )
    .unwrap();
    let profile_only = Env {
        url: None,
        token: None,
        ..env.clone()
    };
    let conn = vaultty::local::connect_with(&ConnectOptions::default(), Agent::Tui, &profile_only)
        .await
        .unwrap();
    assert_eq!(conn.client.me().await.unwrap().user, "alice");
    conn.close().await;
}

// ----- `vaultty serve` as a process -----

/// A TLS connection that trusts `ca`, by hand, so that a test can keep it open and see which
/// certificate it was served.
async fn tls_connect(addr: SocketAddr, ca: CertificateDer<'static>) -> TlsStream<TcpStream> {
    tls_connect_with(addr, ca, rustls::DEFAULT_VERSIONS).await
}

/// [`tls_connect`] offering only `versions`.
async fn tls_connect_with(
    addr: SocketAddr,
    ca: CertificateDer<'static>,
    versions: &[&'static rustls::SupportedProtocolVersion],
) -> TlsStream<TcpStream> {
    let mut roots = rustls::RootCertStore::empty();
    roots.add(ca).unwrap();
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::aws_lc_rs::default_provider()))
        .with_protocol_versions(versions)
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let tcp = TcpStream::connect(addr).await.unwrap();
    TlsConnector::from(Arc::new(config))
        .connect(ServerName::try_from("127.0.0.1").unwrap(), tcp)
        .await
        .unwrap()
}

fn served_certificate(stream: &TlsStream<TcpStream>) -> Vec<u8> {
    stream.get_ref().1.peer_certificates().unwrap()[0].to_vec()
}

/// `GET /healthz` on a kept-alive connection; the answer's status line.
async fn healthz(stream: &mut TlsStream<TcpStream>) -> String {
    stream
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        .await
        .unwrap();
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        let n = stream.read(&mut buf).await.unwrap();
        assert!(n > 0, "the connection closed: {}", String::from_utf8_lossy(&got));
        got.extend_from_slice(&buf[..n]);
        let text = String::from_utf8_lossy(&got).into_owned();
        if let Some(end) = text.find("\r\n\r\n") {
            let length: usize = text[..end]
                .lines()
                .find_map(|l| {
                    let (name, value) = l.split_once(':')?;
                    name.eq_ignore_ascii_case("content-length")
                        .then(|| value.trim().parse().unwrap())
                })
                .unwrap();
            if got.len() >= end + 4 + length {
                return text.lines().next().unwrap().to_owned();
            }
        }
    }
}

/// Replaces `target`'s files with `from`'s as a deployment would: written aside, then renamed.
fn install(from: &Issued, cert: &Path, key: &Path) {
    for (src, dst) in [(&from.cert, cert), (&from.key, key)] {
        let aside = dst.with_extension("new");
        std::fs::copy(src, &aside).unwrap();
        std::fs::rename(&aside, dst).unwrap();
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn sighup_serves_the_new_certificate_to_new_connections_and_keeps_open_ones() {
    let pki = Pki::new("acme test CA");
    let first = pki.issue("first", &["127.0.0.1"], 11, Validity::Current);
    let second = pki.issue("second", &["127.0.0.1"], 12, Validity::Current);
    let live_cert = pki.dir.path().join("live.pem");
    let live_key = pki.dir.path().join("live.key");
    install(&first, &live_cert, &live_key);
    let served = Served::start(&[
        "--listen",
        "127.0.0.1:0",
        "--tls-cert",
        live_cert.to_str().unwrap(),
        "--tls-key",
        live_key.to_str().unwrap(),
    ])
    .await;
    assert!(served.url.starts_with("https://"), "{}", served.url);

    let mut before = tls_connect(served.addr, pki.ca_der()).await;
    assert_eq!(served_certificate(&before), first.der);
    assert!(healthz(&mut before).await.contains(" 200 "));

    install(&second, &live_cert, &live_key);
    served.hangup();
    let line = served.wait_for_line("reloaded the TLS certificate");
    assert!(line.contains("live.pem"), "{line}");

    let mut after = tls_connect(served.addr, pki.ca_der()).await;
    assert_eq!(
        served_certificate(&after),
        second.der,
        "a new connection gets the new certificate"
    );
    assert!(healthz(&mut after).await.contains(" 200 "));
    // The connection opened before the reload is still open and still answered.
    assert!(healthz(&mut before).await.contains(" 200 "));
    assert_eq!(served_certificate(&before), first.der);

    // A file that cannot be used: one error line naming it, and the certificate in use stays.
    std::fs::write(&live_cert, "not a certificate\n").unwrap();
    served.hangup();
    let line = served.wait_for_line("ERROR");
    assert!(
        line.contains("cannot read the TLS certificate") && line.contains(live_cert.to_str().unwrap()),
        "{line}"
    );
    let mut still = tls_connect(served.addr, pki.ca_der()).await;
    assert_eq!(served_certificate(&still), second.der);
    assert!(healthz(&mut still).await.contains(" 200 "));
    assert!(healthz(&mut before).await.contains(" 200 "));
    let more_errors: Vec<String> = served.lines.try_iter().filter(|l| l.contains("ERROR")).collect();
    assert!(
        more_errors.is_empty(),
        "one error line per failed reload: {more_errors:?}"
    );

    // The real client agrees.
    let sh = Shell::new();
    let out = sh
        .run_with(
            &["--ca-cert", &pki.ca_path(), "--url", &served.url, "whoami"],
            None,
            &[("VAULTTY_TOKEN", "vt_not_a_token")],
        )
        .await;
    assert_eq!(out.code, 4, "the TLS part worked, the token did not: {out:?}");
}

#[test]
fn files_that_cannot_be_used_are_named() {
    let pki = Pki::new("acme test CA");
    let first = pki.issue("first", &["127.0.0.1"], 21, Validity::Current);
    let second = pki.issue("second", &["127.0.0.1"], 22, Validity::Current);

    let err = Tls::load(&first.cert, &second.key).unwrap_err().to_string();
    assert!(
        err.contains(first.cert.to_str().unwrap()) && err.contains(second.key.to_str().unwrap()),
        "{err}"
    );
    let missing = pki.dir.path().join("missing.pem");
    let err = Tls::load(&missing, &first.key).unwrap_err().to_string();
    assert!(
        err.starts_with("cannot read the TLS certificate") && err.contains(missing.to_str().unwrap()),
        "{err}"
    );
    let err = Tls::load(&first.cert, &first.cert).unwrap_err().to_string();
    assert!(
        err.starts_with("cannot read the TLS key") && err.contains("no private key"),
        "{err}"
    );
    // A certificate file holding only a key has no certificate to serve.
    let err = Tls::load(&first.key, &first.key).unwrap_err().to_string();
    assert!(err.contains("no certificate"), "{err}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_silent_tls_client_is_closed_at_the_head_deadline_and_tls_1_2_and_1_3_are_served() {
    let pki = Pki::new("acme test CA");
    let cert = pki.issue("server", &["127.0.0.1"], 1, Validity::Current);
    let served = Served::start(&[
        "--listen",
        "127.0.0.1:0",
        "--header-read-timeout",
        "1",
        "--tls-cert",
        cert.cert.to_str().unwrap(),
        "--tls-key",
        cert.key.to_str().unwrap(),
    ])
    .await;
    // Connects and never starts the handshake: the server closes the connection (read gives 0
    // bytes or a reset) rather than hold it.
    let mut silent = TcpStream::connect(served.addr).await.unwrap();
    let mut buf = [0u8; 16];
    let read = tokio::time::timeout(Duration::from_secs(60), silent.read(&mut buf))
        .await
        .expect("the server never closed a connection that did not handshake");
    assert!(matches!(read, Ok(0) | Err(_)), "{read:?}");
    // And it still serves clients that do, with TLS 1.3 and with TLS 1.2.
    for (version, expected) in [
        (&rustls::version::TLS13, rustls::ProtocolVersion::TLSv1_3),
        (&rustls::version::TLS12, rustls::ProtocolVersion::TLSv1_2),
    ] {
        let mut ok = tls_connect_with(served.addr, pki.ca_der(), &[version]).await;
        assert_eq!(ok.get_ref().1.protocol_version(), Some(expected));
        assert!(healthz(&mut ok).await.contains(" 200 "));
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn serve_refuses_plain_http_beyond_loopback_unless_told() {
    let sh = Shell::new();
    let out = sh
        .run_with(
            &[
                "serve",
                "--listen",
                "0.0.0.0:0",
                "--database",
                "sqlite:///nonexistent/vault.db",
            ],
            None,
            &[("VAULTTY_MASTER_KEY", KEY_B64)],
        )
        .await
        .code(2)
        .one_line_error("refusing to serve plain HTTP on 0.0.0.0:0");
    assert!(
        out.stderr.contains("--tls-cert") && out.stderr.contains("--insecure-no-tls"),
        "{out:?}"
    );

    let served = Served::start(&["--listen", "0.0.0.0:0", "--insecure-no-tls"]).await;
    assert!(served.url.starts_with("http://0.0.0.0:"), "{}", served.url);

    // Loopback, as the embedded local vault and a default `serve` use, needs neither.
    let served = Served::start(&["--listen", "127.0.0.1:0"]).await;
    assert!(served.url.starts_with("http://127.0.0.1:"), "{}", served.url);
}
