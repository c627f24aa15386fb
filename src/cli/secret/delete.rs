//! `vaultty secret delete NAME`: deletes a secret and every stored version, after the name is
//! typed back on a terminal (or `--yes`).

use std::io::IsTerminal;

use clap::Args;
use serde_json::json;

use crate::cli::format::{print, print_json};
use crate::cli::input::{check_stored_name, confirm_typed};
use crate::cli::{CliError, CliResult, Ctx, with_connection};

#[derive(Debug, Args)]
pub struct DeleteArgs {
    /// The secret to delete
    pub name: String,
    /// Delete the organisation's shared secret of that name (admins only)
    #[arg(long)]
    pub org_wide: bool,
    /// Do not ask for confirmation (needed when standard input is not a terminal)
    #[arg(long, short = 'y')]
    pub yes: bool,
}

pub async fn run(ctx: &Ctx, args: DeleteArgs) -> CliResult<()> {
    check_stored_name(&args.name)?;
    let label = if args.org_wide {
        format!("the org-shared secret {}", args.name)
    } else {
        args.name.clone()
    };
    if !args.yes {
        if !std::io::stdin().is_terminal() {
            return Err(CliError::usage(format!(
                "refusing to delete {label} without confirmation: pass --yes when not on a terminal"
            )));
        }
        let prompt = format!(
            "This deletes {label} and all its versions for good. Type {} to confirm: ",
            args.name
        );
        if !confirm_typed(&prompt, &args.name)? {
            return Err(CliError::other("the name did not match; nothing was deleted"));
        }
    }
    with_connection(ctx, async |conn| {
        Ok(conn.client.delete_secret(&args.name, args.org_wide).await?)
    })
    .await?;
    if ctx.json() {
        return print_json(&json!({ "deleted": args.name, "org_wide": args.org_wide }));
    }
    print(&format!("Deleted {label}\n"))
}
