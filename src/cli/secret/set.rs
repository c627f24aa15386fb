//! `vaultty secret set NAME [VALUE]`: create or rotate by name (the API's upsert).

use std::io::IsTerminal;

use clap::Args;
use secrecy::SecretString;
use serde_json::json;

use crate::api::{Category, Scope, UpsertSecret};
use crate::cli::format::{print, print_json, printable};
use crate::cli::input::{check_name, check_value, read_value};
use crate::cli::{CliError, CliResult, Ctx, category_parser, scope_parser, with_connection};

#[derive(Debug, Args)]
pub struct SetArgs {
    /// The secret's name, written like an environment variable (e.g. OPENAI_API_KEY)
    pub name: String,
    /// The value. Leave it out, or write -, to type it at a hidden prompt or pipe it on standard
    /// input: a value written here may end up in your shell history
    pub value: Option<String>,
    /// What kind of secret this is, for grouping
    #[arg(long, value_parser = category_parser())]
    pub category: Option<Category>,
    /// Where the value may be delivered (see `vaultty run --scope`)
    #[arg(long, value_parser = scope_parser())]
    pub scope: Option<Scope>,
    /// A note for people, e.g. which account the key belongs to
    #[arg(long, value_name = "TEXT")]
    pub description: Option<String>,
    /// The provider it is a key for (github, anthropic, openai, ...), so several keys of one
    /// provider group together; "" removes it. Left out, a rotation keeps the stored one
    #[arg(long, value_name = "NAME", value_parser = provider_or_empty)]
    pub provider: Option<String>,
    /// Store it in the organisation's shared namespace instead of your own (admins only)
    #[arg(long)]
    pub org_wide: bool,
    /// Make it write-only: delivered to `vaultty run`, never shown again (cannot be undone)
    #[arg(long)]
    pub write_only: bool,
}

/// A provider, or "" to remove the stored one.
fn provider_or_empty(s: &str) -> Result<String, String> {
    if s.is_empty() {
        Ok(String::new())
    } else {
        super::provider_arg(s)
    }
}

pub async fn run(ctx: &Ctx, args: SetArgs) -> CliResult<()> {
    check_name(&args.name)?;
    if let Some(d) = &args.description {
        crate::api::validate::description(d).map_err(CliError::invalid)?;
    }
    let value = match args.value.as_deref() {
        None | Some("-") => read_value(&args.name)?,
        Some(v) => {
            if std::io::stdin().is_terminal() {
                eprintln!(
                    "note: a value typed on the command line can stay in your shell history; \
                     next time leave it out to type it at a hidden prompt"
                );
            }
            let v = SecretString::from(v.to_owned());
            check_value(&v)?;
            v
        }
    };
    let mut req = UpsertSecret::new(args.name.clone(), value);
    req.category = args.category;
    req.scope = args.scope;
    req.description = args.description;
    req.provider = args.provider;
    req.org_wide = args.org_wide.then_some(true);
    req.revealable = args.write_only.then_some(false);
    let (meta, created) = with_connection(ctx, async |conn| Ok(conn.client.upsert_secret(&req).await?)).await?;
    if ctx.json() {
        return print_json(&json!({ "action": if created { "created" } else { "rotated" }, "secret": meta }));
    }
    let verb = if created { "Created" } else { "Rotated" };
    print(&format!(
        "{verb} {} ({}{}), version {}, {}\n",
        printable(&meta.name),
        meta.provider
            .as_deref()
            .map(|p| format!("{}, ", printable(p)))
            .unwrap_or_default(),
        printable(&meta.preview),
        meta.version,
        printable(&super::where_it_lives(&meta))
    ))
}
