//! `vaultty secret ...`: one file per subcommand.

mod copy;
mod delete;
mod get;
mod history;
mod list;
mod rotate;
mod set;

use std::process::ExitCode;

use clap::Subcommand;

use super::{CliResult, Ctx};

#[derive(Debug, Subcommand)]
pub enum SecretCommand {
    /// Create a secret, or give an existing one a new value
    #[command(
        after_help = "Examples:\n  vaultty secret set OPENAI_API_KEY            (type the value at a hidden prompt)\n  \
                            pbpaste | vaultty secret set OPENAI_API_KEY  (read it from standard input)"
    )]
    Set(set::SetArgs),
    /// Give an existing secret a new value, typed, piped or generated
    Rotate(rotate::RotateArgs),
    /// List the secrets you can see, with when they last changed and were used
    List(list::ListArgs),
    /// Show a secret's details, print its value, or copy it to the clipboard
    Get(get::GetArgs),
    /// List the stored versions of a secret
    History(history::HistoryArgs),
    /// Delete a secret and all its versions
    Delete(delete::DeleteArgs),
}

pub async fn run(ctx: &Ctx, cmd: SecretCommand) -> CliResult<ExitCode> {
    match cmd {
        SecretCommand::Set(args) => set::run(ctx, args).await,
        SecretCommand::Rotate(args) => rotate::run(ctx, args).await,
        SecretCommand::List(args) => list::run(ctx, args).await,
        SecretCommand::Get(args) => get::run(ctx, args).await,
        SecretCommand::History(args) => history::run(ctx, args).await,
        SecretCommand::Delete(args) => delete::run(ctx, args).await,
    }?;
    Ok(ExitCode::SUCCESS)
}

/// `--provider github`: checked before anything is sent, with the server's own rule (lowercase,
/// so that `GitHub` and `github` never make two groups). Shared by every command taking it.
pub(crate) fn provider_arg(s: &str) -> Result<String, String> {
    crate::api::validate::provider(s).map(|()| s.to_owned())
}

/// "private to alice" / "shared with the org", for messages.
pub(crate) fn where_it_lives(meta: &crate::api::SecretMeta) -> String {
    match (meta.visibility, &meta.owner) {
        (crate::api::Visibility::Org, _) => "shared with the org".to_owned(),
        (crate::api::Visibility::User, Some(owner)) => format!("private to {owner}"),
        (crate::api::Visibility::User, None) => "private".to_owned(),
    }
}
