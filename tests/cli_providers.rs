//! Several keys for one provider, from the command line: `secret set --provider`, the PROVIDER
//! column and `--provider` filter of `secret list`, `secret get`, and `export --provider`, against
//! a real server and against the embedded local vault.
// Helpers here are not #[test] functions, so clippy.toml's test allowance does not reach them.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::TestVault;
use common::shell::Shell;

const PRODUCTION: &str = "ghp_production_value_0123456789";
const STAGING: &str = "ghp_staging_value_9876543210";
const OPENAI: &str = "sk-proj-openai-value-000000000001";
const PLAIN: &str = "plain-value-00000001";

/// The four secrets of these stories: two GitHub tokens, an OpenAI key and one of no provider.
async fn seed(sh: &Shell) {
    for (name, value, provider) in [
        ("GITHUB_TOKEN_PRODUCTION", PRODUCTION, Some("github")),
        ("GITHUB_TOKEN_STAGING", STAGING, Some("github")),
        ("OPENAI_API_KEY", OPENAI, Some("openai")),
        ("PLAIN", PLAIN, None),
    ] {
        let mut args = vec!["secret", "set", name];
        if let Some(p) = provider {
            args.extend(["--provider", p]);
        }
        let out = sh.stdin(&args, value).await.ok();
        assert!(out.stdout.starts_with("Created"), "{out:?}");
        if let Some(p) = provider {
            assert!(out.stdout.contains(p), "the confirmation names the provider: {out:?}");
        }
    }
}

fn names_in(json: &serde_json::Value) -> Vec<&str> {
    json["secrets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn list_get_and_export_by_provider_against_a_server() {
    let server = TestVault::start().await;
    let sh = Shell::remote(&server);
    seed(&sh).await;

    // The table has a PROVIDER column beside the names, and fits 80 columns.
    let table = sh.run_with(&["secret", "list"], None, &[("COLUMNS", "80")]).await.ok();
    let header = table.stdout.lines().next().unwrap();
    assert!(header.starts_with("NAME") && header.contains("PROVIDER"), "{table:?}");
    assert!(
        table.stdout.lines().all(|l| l.chars().count() <= 80),
        "{}",
        table.stdout
    );
    let staging = table
        .stdout
        .lines()
        .find(|l| l.starts_with("GITHUB_TOKEN_STAGING"))
        .unwrap();
    assert!(staging.contains("github"), "{}", table.stdout);
    let plain = table.stdout.lines().find(|l| l.starts_with("PLAIN")).unwrap();
    assert!(plain.contains(" - "), "no provider shows as -: {}", table.stdout);

    // --provider: only that provider's keys, in the table and in JSON.
    let github = sh.run(&["secret", "list", "--provider", "github"]).await.ok();
    let rows: Vec<&str> = github.stdout.lines().skip(1).collect();
    assert_eq!(rows.len(), 2, "{github:?}");
    assert!(rows.iter().all(|r| r.starts_with("GITHUB_TOKEN_")), "{github:?}");
    let json = sh
        .run(&["--json", "secret", "list", "--provider", "openai"])
        .await
        .ok()
        .json();
    assert_eq!(names_in(&json), ["OPENAI_API_KEY"]);
    assert_eq!(json["secrets"][0]["provider"], "openai");
    let none = sh.run(&["secret", "list", "--provider", "anthropic"]).await.ok();
    assert!(
        none.stdout.is_empty() && none.stderr.contains("No secrets match"),
        "{none:?}"
    );

    // Without any provider in the listing, no PROVIDER column.
    let plain_only = sh.run(&["secret", "list", "--scope", "agents"]).await.ok();
    assert!(!plain_only.stdout.contains("PROVIDER"), "{plain_only:?}");

    let details = sh.run(&["secret", "get", "GITHUB_TOKEN_STAGING"]).await.ok();
    assert!(details.stdout.contains("provider:    github"), "{details:?}");

    // export --provider: those values only, in every format.
    let dotenv = sh.run(&["export", "--provider", "github"]).await.ok();
    assert_eq!(
        dotenv.stdout,
        format!("GITHUB_TOKEN_PRODUCTION='{PRODUCTION}'\nGITHUB_TOKEN_STAGING='{STAGING}'\n")
    );
    let json = sh
        .run(&["export", "--provider", "openai", "--format", "json"])
        .await
        .ok()
        .json();
    assert_eq!(json, serde_json::json!({ "OPENAI_API_KEY": OPENAI }));
    let every = sh.run(&["export"]).await.ok();
    assert_eq!(every.stdout.lines().count(), 4, "{every:?}");

    // A rotation without --provider keeps it; --provider "" removes it.
    sh.stdin(
        &["secret", "set", "GITHUB_TOKEN_STAGING"],
        "ghp_staging_value_rotated_01",
    )
    .await
    .ok();
    let json = sh
        .run(&["--json", "secret", "get", "GITHUB_TOKEN_STAGING"])
        .await
        .ok()
        .json();
    assert_eq!(
        (json["version"].as_i64(), json["provider"].as_str()),
        (Some(2), Some("github"))
    );
    sh.stdin(
        &["secret", "set", "GITHUB_TOKEN_STAGING", "--provider", ""],
        "ghp_staging_value_rotated_02",
    )
    .await
    .ok();
    let json = sh
        .run(&["--json", "secret", "get", "GITHUB_TOKEN_STAGING"])
        .await
        .ok()
        .json();
    assert_eq!(json["provider"], serde_json::Value::Null);
    let github = sh.run(&["export", "--provider", "github"]).await.ok();
    assert_eq!(github.stdout, format!("GITHUB_TOKEN_PRODUCTION='{PRODUCTION}'\n"));

    sh.assert_no_value_on_stderr(&[PRODUCTION, STAGING, OPENAI, PLAIN]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_malformed_provider_is_refused_before_anything_is_sent() {
    let server = TestVault::start().await;
    let sh = Shell::remote(&server);
    for args in [
        &["secret", "set", "GITHUB_TOKEN", "--provider", "GitHub"][..],
        &["secret", "list", "--provider", "GitHub"][..],
        &["export", "--provider", "GitHub"][..],
        &["export", "--provider", ""][..],
    ] {
        let out = sh.run(args).await.code(2);
        assert!(out.stderr.contains("lowercase"), "{out:?}");
    }
    let listed = sh.run(&["--json", "secret", "list"]).await.ok().json();
    assert!(names_in(&listed).is_empty(), "nothing was stored: {listed}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_local_vault_keeps_providers_too() {
    let sh = Shell::new();
    seed(&sh).await;
    let json = sh
        .run(&["--json", "secret", "list", "--provider", "github"])
        .await
        .ok()
        .json();
    assert_eq!(names_in(&json), ["GITHUB_TOKEN_PRODUCTION", "GITHUB_TOKEN_STAGING"]);
    let out = sh.run(&["export", "--provider", "openai"]).await.ok();
    assert_eq!(out.stdout, format!("OPENAI_API_KEY='{OPENAI}'\n"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn run_by_provider_gives_the_child_that_providers_keys_only() {
    let server = TestVault::start().await;
    let sh = Shell::remote(&server);
    seed(&sh).await;
    let show = "echo \"prod=${GITHUB_TOKEN_PRODUCTION:-none} openai=${OPENAI_API_KEY:-none} plain=${PLAIN:-none}\"";
    let out = sh
        .run(&["run", "--provider", "github", "--", "sh", "-c", show])
        .await
        .ok();
    assert!(
        out.stdout
            .contains(&format!("prod={PRODUCTION} openai=none plain=none")),
        "{out:?}"
    );
    let out = sh.run(&["run", "--", "sh", "-c", show]).await.ok();
    assert!(
        out.stdout
            .contains(&format!("prod={PRODUCTION} openai={OPENAI} plain={PLAIN}")),
        "without --provider, every secret: {out:?}"
    );
    sh.run(&["run", "--provider", "GitHub", "--", "true"]).await.code(2);
}
