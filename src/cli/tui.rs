//! `vaultty tui` (and `vaultty` with no subcommand): opens the full-screen terminal UI.

use std::io::IsTerminal;
use std::process::ExitCode;

use clap::Args;

use crate::cli::{CliError, CliResult, Ctx};

#[derive(Debug, Default, Args)]
#[command(
    after_help = "Press ? in the app for its keys. Settings and key bindings live in the [tui] section of\n\
                        config.toml in your config directory."
)]
pub struct TuiArgs {}

pub async fn run(ctx: &Ctx, _args: TuiArgs) -> CliResult<ExitCode> {
    // Checked first, so a script that forgot a subcommand gets a message rather than escape codes.
    if !std::io::stdout().is_terminal() || !std::io::stdin().is_terminal() {
        return Err(CliError::usage(
            "the terminal UI needs a terminal; in scripts, use a subcommand (see `vaultty --help`)",
        ));
    }
    let conn = ctx.connect_as(crate::client::Agent::Tui).await?;
    // The TUI closes the connection itself, after restoring the terminal.
    crate::tui::run(conn).await?;
    Ok(ExitCode::SUCCESS)
}
