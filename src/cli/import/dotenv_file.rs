//! `vaultty import FILE.env`: stores each variable of a `.env` file as a secret, and says for
//! each name whether it was created or rotated. Values are never printed. Unlike an import from
//! Vault, a name already in the vault is rotated: the file is the user's own, named on purpose.

use std::path::Path;

use serde_json::json;
use zeroize::Zeroizing;

use crate::api::UpsertSecret;
use crate::cli::format::{print, print_json, printable};
use crate::cli::input::check_value;
use crate::cli::{CliError, CliResult, Ctx, ExitClass, dotenv, with_connection};

use super::Target;

pub async fn run(ctx: &Ctx, file: &Path, target: &Target) -> CliResult<()> {
    let text = read_file(file)?;
    let mut entries = dotenv::parse(&text).map_err(|e| CliError::invalid(format!("{}: {e}", file.display())))?;
    // As in a shell, a later line wins over an earlier one of the same name.
    let mut seen = std::collections::HashSet::new();
    entries.reverse();
    entries.retain(|e| seen.insert(e.name.clone()));
    entries.reverse();
    let (empty, entries): (Vec<_>, Vec<_>) = entries.into_iter().partition(|e| {
        use secrecy::ExposeSecret;
        e.value.expose_secret().is_empty()
    });
    for e in &empty {
        eprintln!(
            "skipped {} (line {}): empty value (a secret cannot be empty)",
            e.name, e.line
        );
    }
    for e in &entries {
        check_value(&e.value)
            .map_err(|err| err.context(format!("{}: {} (line {})", file.display(), e.name, e.line)))?;
    }
    if entries.is_empty() {
        return Err(CliError::invalid(format!(
            "{}: no NAME=value lines to import",
            file.display()
        )));
    }
    let json = ctx.json();
    let results = with_connection(ctx, async |conn| {
        let mut results = Vec::new();
        for e in entries {
            let mut req = UpsertSecret::new(e.name.clone(), e.value);
            target.apply(&mut req);
            let (meta, created) = match conn.client.upsert_secret(&req).await {
                Ok(done) => done,
                Err(err) => {
                    let done = results.len();
                    return Err(CliError::from(err).context(format!(
                        "importing {} (line {}); {done} name(s) before it were imported",
                        e.name, e.line
                    )));
                }
            };
            let action = if created { "created" } else { "rotated" };
            if !json {
                print(&format!(
                    "{action} {} (version {})\n",
                    printable(&meta.name),
                    meta.version
                ))?;
            }
            results.push(json!({ "name": meta.name, "action": action, "version": meta.version }));
        }
        Ok(results)
    })
    .await?;
    if json {
        return print_json(
            &json!({ "imported": results, "skipped": empty.iter().map(|e| &e.name).collect::<Vec<_>>() }),
        );
    }
    Ok(())
}

fn read_file(path: &Path) -> CliResult<Zeroizing<String>> {
    let read = if path.as_os_str() == "-" {
        let mut text = String::new();
        std::io::Read::read_to_string(&mut std::io::stdin(), &mut text).map(|_| text)
    } else {
        std::fs::read_to_string(path)
    };
    read.map(Zeroizing::new).map_err(|e| {
        let class = match e.kind() {
            std::io::ErrorKind::NotFound => ExitClass::NotFound,
            std::io::ErrorKind::InvalidData => ExitClass::Invalid,
            _ => ExitClass::Other,
        };
        CliError::new(class, format!("cannot read {}: {e}", path.display()))
    })
}
