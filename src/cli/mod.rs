//! The command-line interface: the clap tree, one file per subcommand, and the dispatch.
//!
//! Every command is a client of the HTTP API through `crate::local::connect`, which gives either
//! the profile's server or the embedded local vault. Failures become a [`CliError`] whose class
//! picks the exit code documented in `vaultty --help`.

pub mod admin;
mod audit;
mod completions;
pub mod dotenv;
pub(crate) mod duration;
mod error;
mod export;
pub mod format;
mod import;
mod input;
mod keys;
mod login;
mod logout;
mod run;
mod secret;
pub mod serve;
mod token;
mod tui;
mod user;
mod whoami;

use std::process::ExitCode;

use clap::builder::{PossibleValuesParser, TypedValueParser};
use clap::{Args, Parser, Subcommand};

use crate::api::{Category, Scope};
use crate::client::Agent;
use crate::local::{ConnectOptions, Connection};

pub use error::{CliError, CliResult, EXIT_CODES_HELP, ExitClass};

/// vaultty keeps API keys and other secrets in an encrypted vault, and hands them to the programs
/// that need them without putting them in shell history or dotfiles.
#[derive(Debug, Parser)]
#[command(
    name = "vaultty",
    version,
    about = "Keep secrets in an encrypted vault and hand them to programs safely",
    long_about = "Keep API keys and other secrets in an encrypted vault and hand them to the programs \
                  that need them, without putting them in shell history or dotfiles.\n\n\
                  With no subcommand, vaultty opens the full-screen terminal UI.",
    after_help = EXIT_CODES_HELP,
    propagate_version = true
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Options every command accepts.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Global options")]
pub struct GlobalArgs {
    /// Use this saved profile (see `vaultty login`); also VAULTTY_PROFILE
    #[arg(long, global = true, value_name = "NAME")]
    pub profile: Option<String>,
    /// Talk to the vault server at this URL instead of the profile's (also VAULTTY_URL)
    #[arg(long, global = true, value_name = "URL")]
    pub url: Option<String>,
    /// Allow sending the token over plain http:// to a host other than this machine (unsafe)
    #[arg(long, global = true)]
    pub allow_insecure_http: bool,
    /// Trust this CA (PEM) for the server's certificate, on top of the system's (also
    /// VAULTTY_CA_CERT; `login` saves it in the profile)
    #[arg(long, global = true, value_name = "PEM")]
    pub ca_cert: Option<std::path::PathBuf>,
    /// Print machine-readable JSON instead of text
    #[arg(long, global = true)]
    pub json: bool,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create, rotate, list, show and delete secrets
    #[command(subcommand)]
    Secret(secret::SecretCommand),
    /// Run a command with the vault's secrets as environment variables
    Run(run::RunArgs),
    /// Print every secret you can use, as a .env file, JSON or shell exports
    Export(export::ExportArgs),
    /// Store the variables of a .env file, or the keys of Vault or OpenBao KV entries, as secrets
    Import(import::ImportArgs),
    /// Show the audit log: who revealed, changed or used which secret, and when
    Audit(audit::AuditArgs),
    /// Save a server URL and token as a profile, after checking them
    Login(login::LoginArgs),
    /// Forget the token of a saved profile (with --revoke, revoke it on the server first)
    Logout(logout::LogoutArgs),
    /// Show who you are to the vault, and which vault that is
    Whoami(whoami::WhoamiArgs),
    /// Admins: add users (with an enrolment code), list, disable, enable, change roles, revoke tokens
    #[command(subcommand)]
    User(user::UserCommand),
    /// Your own tokens: list, create (for scripts and CI), revoke
    #[command(subcommand)]
    Token(token::TokenCommand),
    /// Print a shell completion script
    Completions(completions::CompletionsArgs),
    /// Open the full-screen terminal UI (the default with no subcommand)
    Tui(tui::TuiArgs),
    /// Run the vault server
    Serve(serve::ServeArgs),
    /// Administer a server's database directly: initialise it, add users, generate keys
    Admin(admin::AdminArgs),
}

/// Runs the parsed command line; `Ok` carries the exit code (a `run` child's own code).
pub async fn run(cli: Cli) -> CliResult<ExitCode> {
    // `serve` sets up its own logging (always on, optionally JSON).
    match cli.command {
        Some(Command::Serve(_)) => {}
        None | Some(Command::Tui(_)) => init_tracing(LogTo::File),
        Some(_) => init_tracing(LogTo::Stderr),
    }
    let ctx = Ctx { global: cli.global };
    match cli.command {
        None => tui::run(&ctx, tui::TuiArgs::default()).await,
        Some(Command::Secret(cmd)) => secret::run(&ctx, cmd).await,
        Some(Command::Run(args)) => run::run(&ctx, args).await,
        Some(Command::Export(args)) => export::run(&ctx, args).await.map(success),
        Some(Command::Import(args)) => import::run(&ctx, args).await.map(success),
        Some(Command::Audit(args)) => audit::run(&ctx, args).await.map(success),
        Some(Command::Login(args)) => login::run(&ctx, args).await.map(success),
        Some(Command::Logout(args)) => logout::run(&ctx, args).await.map(success),
        Some(Command::Whoami(args)) => whoami::run(&ctx, args).await.map(success),
        Some(Command::User(cmd)) => user::run(&ctx, cmd).await.map(success),
        Some(Command::Token(cmd)) => token::run(&ctx, cmd).await.map(success),
        Some(Command::Completions(args)) => completions::run(args),
        Some(Command::Tui(args)) => tui::run(&ctx, args).await,
        Some(Command::Serve(args)) => serve::run(args).await.map_err(CliError::from).map(success),
        Some(Command::Admin(args)) => admin::run(args).await.map_err(CliError::from).map(success),
    }
}

fn success(_: ()) -> ExitCode {
    ExitCode::SUCCESS
}

enum LogTo {
    Stderr,
    /// The TUI owns the screen: a line on standard error would draw over it.
    File,
}

/// Logs only when `VAULTTY_LOG` asks (e.g. `VAULTTY_LOG=debug`), so they never mix with a
/// command's output: to standard error, or for the TUI to `tui.log` in the data directory.
/// Nothing logged carries a value or a token.
fn init_tracing(to: LogTo) {
    let Ok(filter) = std::env::var("VAULTTY_LOG") else {
        return;
    };
    let filter =
        tracing_subscriber::EnvFilter::try_new(&filter).unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter);
    let _ = match to {
        LogTo::Stderr => builder.with_writer(std::io::stderr).try_init(),
        LogTo::File => {
            // The data directory also holds the local vault's key and token: created private
            // (0700) here too, whichever of the two comes first; the log itself is 0600.
            let Some(file) = crate::config::paths().ok().and_then(|p| {
                crate::config::files::create_private_dir(&p.data_dir).ok()?;
                crate::config::files::open_private_append(&p.data_dir.join("tui.log")).ok()
            }) else {
                return;
            };
            builder
                .with_ansi(false)
                .with_writer(std::sync::Mutex::new(file))
                .try_init()
        }
    };
}

/// What every command gets: the global options.
pub(crate) struct Ctx {
    pub global: GlobalArgs,
}

impl Ctx {
    pub fn json(&self) -> bool {
        self.global.json
    }

    /// The profile's server, or the embedded local vault.
    pub async fn connect(&self) -> CliResult<Connection> {
        self.connect_as(Agent::Cli).await
    }

    /// [`Ctx::connect`] as `agent`: the TUI says so in the audit log (`vaultty-tui/...`).
    pub async fn connect_as(&self, agent: Agent) -> CliResult<Connection> {
        let opts = ConnectOptions {
            profile: self.global.profile.clone(),
            url: self.global.url.clone(),
            allow_insecure_http: self.global.allow_insecure_http,
            ca_cert: self.global.ca_cert.clone(),
        };
        crate::local::connect(&opts, agent).await.map_err(CliError::from)
    }
}

/// Runs `body` against a fresh connection and closes it whatever the outcome, so the embedded
/// vault shuts down cleanly.
pub(crate) async fn with_connection<T, F>(ctx: &Ctx, body: F) -> CliResult<T>
where
    F: AsyncFnOnce(&Connection) -> CliResult<T>,
{
    let conn = ctx.connect().await?;
    let result = body(&conn).await;
    conn.close().await;
    result
}

/// `--category provider|tool|custom`, with the values listed in `--help`.
pub(crate) fn category_parser() -> impl TypedValueParser<Value = Category> {
    PossibleValuesParser::new(Category::ALL.iter().map(|c| c.as_str())).try_map(|s| s.parse::<Category>())
}

/// `--scope all|agents|tools|sandboxes`, with the values listed in `--help`.
pub(crate) fn scope_parser() -> impl TypedValueParser<Value = Scope> {
    PossibleValuesParser::new(Scope::ALL.iter().map(|s| s.as_str())).try_map(|s| s.parse::<Scope>())
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_clap_tree_is_consistent() {
        Cli::command().debug_assert();
    }
}
