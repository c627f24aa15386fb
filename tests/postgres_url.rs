//! A `postgres://` URL as `vaultty admin init` and `vaultty serve` take it, through the real
//! binary and through `vaultty::store::open`: whatever goes wrong (nothing listening, no such
//! database or role, a URL that does not parse) the error says what and where, and never the
//! password. The tests that need a cluster are #[ignore]d with what they need
//! (tests/common/postgres.rs); without `VAULTTY_TEST_POSTGRES_URL` they fail, never pass idle.
// Helpers here are not #[test] functions, so clippy.toml's test allowance does not reach them.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "common/mod.rs"]
mod common;

use std::str::FromStr;
use std::time::Duration;

use base64::Engine;
use common::postgres::{PgDatabase, cluster_url};
use common::shell::{Out, Shell};

/// In every password below, and nowhere else: an error holding it leaked a password.
const MARK: &str = "Zebra";
const PASSWORD: &str = "Zebra-Pass-4711";

/// A server that starts when it should have refused would serve forever.
const PATIENCE: Duration = Duration::from_secs(60);

fn master_key() -> String {
    base64::engine::general_purpose::STANDARD.encode([9u8; 32])
}

/// `vaultty admin init` and `vaultty serve` on `url`: both fail, with `needle` on stderr and no
/// password on it nor on stdout. Returns admin init's one-line error.
async fn both_commands_refuse(url: &str, needle: &str) -> String {
    let sh = Shell::new();
    let key = master_key();
    let env = [("VAULTTY_MASTER_KEY", key.as_str())];
    let init = run(
        &sh,
        &["admin", "init", "--org", "acme", "--admin", "alice", "--database", url],
        &env,
    )
    .await;
    assert_ne!(init.code, 0, "{init:?}");
    let init = init.one_line_error(needle);
    let serve = run(&sh, &["serve", "--listen", "127.0.0.1:0", "--database", url], &env).await;
    assert_ne!(serve.code, 0, "{serve:?}");
    assert!(serve.stderr.contains(needle), "expected {needle:?} in {serve:?}");
    for out in [&init, &serve] {
        assert!(!out.stdout.contains(MARK), "a password on stdout: {out:?}");
    }
    sh.assert_no_value_on_stderr(&[MARK]);
    init.stderr
}

async fn run(sh: &Shell, args: &[&str], env: &[(&str, &str)]) -> Out {
    tokio::time::timeout(PATIENCE, sh.run_with(args, None, env))
        .await
        .unwrap_or_else(|_| panic!("`vaultty {}` did not end", args.join(" ")))
}

/// `vaultty::store::open`'s error for `url`, checked free of the password.
async fn open_fails(url: &str) -> String {
    let Err(err) = vaultty::store::open(url).await else {
        panic!("opened {}", vaultty::store::postgres::connect::redacted(url));
    };
    let message = err.to_string();
    assert!(!message.contains(MARK), "a password in {message:?}");
    message
}

/// A loopback port nothing listens on: one the kernel just handed out, closed again.
fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

#[tokio::test(flavor = "multi_thread")]
async fn nothing_listening_is_named_without_the_password() {
    let port = closed_port();
    let url = format!("postgres://vault:{PASSWORD}@127.0.0.1:{port}/vaultty");
    let shown = format!("postgres://vault:***@127.0.0.1:{port}/vaultty");
    let message = open_fails(&url).await;
    assert!(message.contains("cannot connect to PostgreSQL"), "{message}");
    assert!(message.contains(&shown), "{message}");
    let error = both_commands_refuse(&url, "cannot connect to PostgreSQL").await;
    assert!(error.contains(&shown), "{error}");
    // The same password given as a parameter instead.
    let url = format!("postgres://vault@127.0.0.1:{port}/vaultty?password={PASSWORD}");
    let message = open_fails(&url).await;
    assert!(message.contains("password=***"), "{message}");
    both_commands_refuse(&url, "cannot connect to PostgreSQL").await;
}

/// Each URL, and what its error must name: what tokio-postgres could not parse, or the schemes
/// vaultty knows.
const MALFORMED: &[(&str, &str)] = &[
    (
        "postgres://vault:Zebra-Pass-4711@127.0.0.1:99999/vaultty",
        "invalid value for option `port`",
    ),
    (
        "postgres://vault:Zebra-Pass-4711@127.0.0.1/vaultty?sslmode=sometimes",
        "invalid value for option `sslmode`",
    ),
    (
        "postgresql://vault@127.0.0.1/vaultty?password=Zebra-Pass-4711&frobnicate=1",
        "unknown option `frobnicate`",
    ),
    (
        "postgres://vault:Zebra%2DPass%2F4711@[::1/vaultty",
        "invalid value for option `host`",
    ),
    (
        "postgre://vault:Zebra-Pass-4711@127.0.0.1/vaultty",
        "expected sqlite:///absolute/path/vault.db",
    ),
];

#[tokio::test(flavor = "multi_thread")]
async fn a_malformed_url_names_the_problem_without_the_password() {
    for (url, problem) in MALFORMED {
        let message = open_fails(url).await;
        assert!(message.contains("bad database URL"), "{url}: {message}");
        assert!(message.contains(problem), "{url}: expected {problem:?} in {message}");
        let error = both_commands_refuse(url, "bad database URL").await;
        assert!(error.contains(problem), "{url}: expected {problem:?} in {error}");
    }
}

/// The cluster's URL with `user`, the password and `database` in it (trust authentication takes
/// any password, so it is only there to be hidden).
fn cluster_url_as(user: &str, database: &str) -> String {
    let config = tokio_postgres::Config::from_str(&cluster_url()).unwrap();
    let host = match &config.get_hosts()[0] {
        tokio_postgres::config::Host::Tcp(host) => host.clone(),
        other => panic!("a TCP cluster URL expected, not {other:?}"),
    };
    let port = config.get_ports().first().copied().unwrap_or(5432);
    format!("postgres://{user}:{PASSWORD}@{host}:{port}/{database}")
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs PostgreSQL: export VAULTTY_TEST_POSTGRES_URL=$(bash .ci/postgres.sh)"]
async fn a_missing_database_is_named_without_the_password() {
    let url = cluster_url_as("postgres", "vt_no_such_database");
    let needle = "database \"vt_no_such_database\" does not exist";
    let message = open_fails(&url).await;
    assert!(message.contains(needle), "{message}");
    both_commands_refuse(&url, needle).await;
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs PostgreSQL: export VAULTTY_TEST_POSTGRES_URL=$(bash .ci/postgres.sh)"]
async fn a_missing_role_is_named_without_the_password() {
    let url = cluster_url_as("vt_no_such_role", "postgres");
    let needle = "role \"vt_no_such_role\" does not exist";
    let message = open_fails(&url).await;
    assert!(message.contains(needle), "{message}");
    both_commands_refuse(&url, needle).await;
}

/// A URL with a password reaches a fresh database and migrates it; replicas starting at once
/// (two opens together) both come up on the one schema.
#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs PostgreSQL: export VAULTTY_TEST_POSTGRES_URL=$(bash .ci/postgres.sh)"]
async fn a_fresh_database_is_migrated_once_by_replicas_opening_together() {
    let db = PgDatabase::create();
    let name = db.url.split('?').next().unwrap().rsplit('/').next().unwrap().to_owned();
    let url = cluster_url_as("postgres", &name);
    let (a, b) = tokio::join!(vaultty::store::open(&url), vaultty::store::open(&url));
    let (a, b) = (a.unwrap(), b.unwrap());
    assert!(a.healthy() && b.healthy());
    db.execute(
        "DO $$ BEGIN IF (SELECT count(*) FROM vaultty_schema) <> 1 THEN RAISE 'not one version row'; END IF; END $$",
    );
    drop((a, b));
}
