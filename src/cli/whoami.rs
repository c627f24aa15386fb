//! `vaultty whoami`: the user, org and role the vault sees, and which vault that is.

use clap::Args;
use serde_json::json;

use crate::cli::format::{print, print_json, printable};
use crate::cli::{CliResult, Ctx, with_connection};
use crate::local::Target;

#[derive(Debug, Args)]
pub struct WhoamiArgs {}

pub async fn run(ctx: &Ctx, _args: WhoamiArgs) -> CliResult<()> {
    let (me, target) = with_connection(ctx, async |conn| Ok((conn.client.me().await?, conn.target.clone()))).await?;
    let (vault_json, vault_text) = match &target {
        Target::Remote { url, profile } => (
            json!({ "kind": "remote", "url": url, "profile": profile }),
            match profile {
                Some(p) => format!("{url} (profile {p:?})"),
                None => url.clone(),
            },
        ),
        Target::Local { data_dir } => (
            json!({ "kind": "local", "data_dir": data_dir }),
            format!("the local vault in {}", data_dir.display()),
        ),
    };
    if ctx.json() {
        return print_json(&json!({ "user": me.user, "org": me.org, "role": me.role, "vault": vault_json }));
    }
    print(&format!(
        "{} ({} of {}) on {vault_text}\n",
        printable(&me.user),
        me.role,
        printable(&me.org)
    ))
}
