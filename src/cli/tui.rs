//! `vaultty tui` (and `vaultty` with no subcommand): opens the full-screen terminal UI.

use std::process::ExitCode;

use clap::Args;

use crate::cli::{CliError, CliResult, Ctx};

#[derive(Debug, Default, Args)]
pub struct TuiArgs {}

pub async fn run(ctx: &Ctx, _args: TuiArgs) -> CliResult<ExitCode> {
    use std::io::IsTerminal;
    if !std::io::stdout().is_terminal() || !std::io::stdin().is_terminal() {
        return Err(CliError::usage(
            "the terminal UI needs a terminal; run a subcommand instead (see `vaultty --help`)",
        ));
    }
    // TODO(tui): hand the connection to crate::tui::run once the TUI module is in the tree.
    let conn = ctx.connect().await?;
    conn.close().await;
    Err(CliError::other(
        "the terminal UI is not available in this build; use the subcommands (see `vaultty --help`)",
    ))
}
