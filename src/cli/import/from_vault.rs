//! `vaultty import --from-vault URL --path secret/app [--recursive] [--dry-run]`: moves the keys
//! of HashiCorp Vault or OpenBao KV v2 entries in as secrets, each under its own name, and says
//! what it created (or with --dry-run would create) and what it left out and why ([`super::plan`]).
//! Values are never printed.

use std::collections::HashSet;

use secrecy::{ExposeSecret, SecretString};
use serde_json::{Value, json};

use crate::api::{ListQuery, UpsertSecret, Visibility};
use crate::cli::format::{print, print_json, printable};
use crate::cli::input::read_secret;
use crate::cli::{CliError, CliResult, Ctx, with_connection};

use super::Target;
use super::plan::{self, Plan, Skipped};
use super::vault_kv::{KvPath, KvReader};

pub struct Source {
    pub url: String,
    pub path: String,
    pub mount: Option<String>,
    pub recursive: bool,
}

pub async fn run(ctx: &Ctx, source: Source, target: &Target, dry_run: bool) -> CliResult<()> {
    let at = KvPath::parse(&source.path, source.mount.as_deref()).map_err(CliError::usage)?;
    if at.path.is_empty() && !source.recursive {
        return Err(CliError::usage(format!(
            "--path {at} names a whole mount: name an entry (e.g. {at}app) or add --recursive"
        )));
    }
    let token = vault_token(&source.url)?;
    let reader = KvReader::new(&source.url, &token, ctx.global.allow_insecure_http)?;
    drop(token);
    let namespace = if target.org_wide {
        "the org's secrets"
    } else {
        "your secrets"
    };
    let json = ctx.json();
    with_connection(ctx, async |conn| {
        // The names in the target namespace first: a vaultty that cannot be reached fails the
        // import before anything is read from Vault (and lands in its audit log).
        let visibility = if target.org_wide {
            Visibility::Org
        } else {
            Visibility::User
        };
        let query = ListQuery {
            secret_scope: Some(visibility),
            ..ListQuery::default()
        };
        let existing: HashSet<String> = conn
            .client
            .list_secrets(&query)
            .await
            .map_err(|e| CliError::from(e).context("cannot list the names already in vaultty"))?
            .into_iter()
            .filter(|s| s.visibility == visibility)
            .map(|s| s.name.to_string())
            .collect();
        let found = reader.collect(&at, source.recursive).await?;
        let Plan { write, skipped } = plan::plan(found, &existing, namespace);
        for s in &skipped {
            eprintln!("{}", skip_line(s));
        }
        let mut imported = Vec::new();
        for w in write {
            let done = if dry_run {
                json!({ "name": w.name, "action": "would create", "from": w.from })
            } else {
                let mut req = UpsertSecret::new(w.name.clone(), w.value);
                target.apply(&mut req);
                let (meta, created) = conn.client.upsert_secret(&req).await.map_err(|e| {
                    CliError::from(e).context(format!(
                        "importing {} (from {}); {} name(s) before it were imported",
                        w.name,
                        printable(&w.from),
                        imported.len()
                    ))
                })?;
                // Only when the name was created in vaultty between the listing and this write:
                // said plainly, since the import promised not to overwrite.
                let action = if created { "created" } else { "rotated" };
                json!({ "name": meta.name, "action": action, "version": meta.version, "from": w.from })
            };
            if !json {
                print(&format!("{}\n", done_line(&done)))?;
            }
            imported.push(done);
        }
        if !skipped.is_empty() {
            eprintln!(
                "{} left out (see above); nothing in vaultty was overwritten",
                skipped.len()
            );
        }
        if json {
            let skipped: Vec<Value> = skipped
                .iter()
                .map(|s| json!({ "name": s.name, "from": s.from, "reason": s.reason }))
                .collect();
            print_json(&json!({
                "from": reader.base_url(),
                "path": at.to_string(),
                "dryRun": dry_run,
                "imported": imported,
                "skipped": skipped,
            }))?;
        } else if imported.is_empty() {
            eprintln!("nothing to import from {}", printable(&at.to_string()));
        }
        Ok(())
    })
    .await
}

/// `VAULT_TOKEN`, else `BAO_TOKEN` (what each project's CLI reads), else a hidden prompt (or
/// standard input when piped). Never taken from the command line, where `ps` and history see it.
fn vault_token(url: &str) -> CliResult<SecretString> {
    let from_env = ["VAULT_TOKEN", "BAO_TOKEN"]
        .iter()
        .filter_map(|v| std::env::var(v).ok())
        .find(|t| !t.trim().is_empty());
    let token = match from_env {
        Some(t) => SecretString::from(t),
        None => read_secret(&format!("Vault token for {} (input hidden): ", printable(url)))?,
    };
    if token.expose_secret().trim().is_empty() {
        return Err(CliError::usage(
            "no Vault token: set VAULT_TOKEN (or BAO_TOKEN), or type it at the prompt",
        ));
    }
    Ok(token)
}

fn done_line(done: &Value) -> String {
    let name = printable(done["name"].as_str().unwrap_or_default()).into_owned();
    let from = printable(done["from"].as_str().unwrap_or_default()).into_owned();
    match (done["action"].as_str().unwrap_or_default(), done["version"].as_i64()) {
        ("rotated", Some(v)) => {
            format!("rotated {name} (version {v}, from {from}): it was created in vaultty while the import ran")
        }
        (action, Some(v)) => format!("{action} {name} (version {v}, from {from})"),
        (action, None) => format!("{action} {name} (from {from})"),
    }
}

fn skip_line(s: &Skipped) -> String {
    let from = printable(&s.from.join(", ")).into_owned();
    match &s.name {
        // A key is not a value, but it may be anything: cut, and made inert for the terminal.
        Some(name) => {
            let name: String = printable(name).chars().take(140).collect();
            format!("skipped {name} (from {from}): {}", printable(&s.reason))
        }
        None => format!("skipped {from}: {}", printable(&s.reason)),
    }
}
