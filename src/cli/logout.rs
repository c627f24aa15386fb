//! `vaultty logout`: removes the stored token of a profile (its URL stays for the next login).

use clap::Args;
use serde_json::json;

use crate::cli::format::{print, print_json};
use crate::cli::{CliResult, Ctx};
use crate::config::{self, Env};

#[derive(Debug, Args)]
#[command(after_help = "The token itself stays valid on the server until an admin revokes it.")]
pub struct LogoutArgs {}

pub async fn run(ctx: &Ctx, _args: LogoutArgs) -> CliResult<()> {
    let env = Env::from_process();
    let paths = config::Paths::resolve(&env)?;
    let name = super::login::profile_name(ctx, &env);
    let removed = config::remove_token(&paths, &name)?;
    if ctx.json() {
        return print_json(&json!({ "profile": name, "removed": removed }));
    }
    if removed {
        print(&format!("Removed the token of the profile {name:?}.\n"))
    } else {
        print(&format!("The profile {name:?} had no stored token; nothing to do.\n"))
    }
}
