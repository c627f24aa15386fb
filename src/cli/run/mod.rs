//! `vaultty run -- CMD ARGS`: fetches `/v1/env`, starts CMD with those variables, forwards
//! SIGINT/SIGTERM/SIGHUP/SIGQUIT to it and exits with its code. The values go only into CMD's
//! environment, never onto vaultty's own output. `--watch` keeps it running and restarts it when
//! what it was given changes (watch.rs).

#[cfg(unix)]
mod changes;
#[cfg(unix)]
mod child;
mod plan;
#[cfg(unix)]
mod watch;

use std::ffi::OsString;
use std::process::{ExitCode, ExitStatus};

use clap::Args;

use crate::api::{EnvRequest, Scope};
use crate::cli::duration::parse_lifetime;
use crate::cli::{CliError, CliResult, Ctx, scope_parser, with_connection};

#[derive(Debug, Args)]
#[command(after_help = "Examples:\n  vaultty run -- python agent.py\n  \
                        vaultty run --scope agents --only OPENAI_API_KEY -- ./deploy.sh --prod\n  \
                        vaultty run --watch --scope agents -- ./agent\n\n\
                        A variable already set in your environment is overridden by the vault's value: the vault is\n\
                        the source of truth, and a stale local value must not win silently. --preserve-env keeps\n\
                        yours instead. Either way, standard error names the variables overridden or kept (names\n\
                        only, never values).\n\n\
                        Names that change how programs start or load code (PATH, HOME, LD_*, NODE_OPTIONS,\n\
                        VAULTTY_*, ...; docs/API.md, Reserved names) are never set, even when an older server\n\
                        delivers them; standard error names the ones skipped.\n\n\
                        A secret whose stored value does not open is left out and named on standard error;\n\
                        the command still runs (unless --only names it).\n\n\
                        --watch keeps the command running and restarts it when a value it was given changes.\n\
                        vaultty hears of changes from the server's event stream (and, without one, asks every\n\
                        --interval; an unchanged set of secrets costs no values). The command runs in a process\n\
                        group of its own: on a change the group gets --signal, then SIGKILL after --kill-timeout,\n\
                        and the command starts again with the new values (--signal HUP: the group gets SIGHUP and\n\
                        the command is not restarted). When the new values cannot be fetched, the command keeps\n\
                        running on the ones it has, and vaultty says so and tries again. Signals you send vaultty\n\
                        reach the command's group; there it does not read the terminal.\n\n\
                        A runner token (VAULTTY_URL and VAULTTY_TOKEN=vr_...) is all `vaultty run` needs.\n\n\
                        vaultty exits with the command's exit code (128+N when signal N killed it).")]
pub struct RunArgs {
    /// Only secrets for this scope (and those for all scopes); without it, every secret you can use
    #[arg(long, value_parser = scope_parser())]
    pub scope: Option<Scope>,
    /// Only the secrets of this provider (github, anthropic, ...)
    #[arg(long, value_name = "PROVIDER", value_parser = crate::cli::secret::provider_arg)]
    pub provider: Option<String>,
    /// Only these secrets, by name (comma-separated); each must exist
    #[arg(long, value_name = "NAME,...", value_delimiter = ',')]
    pub only: Vec<String>,
    /// Keep variables already set in your environment instead of overriding them with the vault's
    /// (the vault's value wins by default)
    #[arg(long)]
    pub preserve_env: bool,
    /// Keep running: restart the command when a value it was given changes
    #[arg(long)]
    pub watch: bool,
    /// With --watch, when the server has no event stream (or it is down): how often to ask
    /// whether anything changed (15m, 1h, 30s; at least 1s)
    #[arg(long, value_name = "DURATION", default_value = "15m", value_parser = parse_lifetime, requires = "watch")]
    pub interval: u64,
    /// With --watch, the signal that stops the command before a restart (TERM, INT, QUIT, USR1,
    /// USR2); HUP sends SIGHUP and does not restart (the command reloads in place)
    #[arg(long, value_name = "SIGNAL", default_value = "TERM", value_parser = parse_signal, requires = "watch")]
    pub signal: StopSignal,
    /// With --watch, how long the command has to exit after --signal before it is killed
    #[arg(long, value_name = "DURATION", default_value = "10s", value_parser = parse_lifetime, requires = "watch")]
    pub kill_timeout: u64,
    /// The command to run and its arguments (put them after --)
    #[arg(
        required = true,
        trailing_var_arg = true,
        allow_hyphen_values = true,
        value_name = "COMMAND"
    )]
    pub command: Vec<OsString>,
}

/// The signals `--signal` takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StopSignal {
    Term,
    Int,
    Quit,
    Hup,
    Usr1,
    Usr2,
}

impl StopSignal {
    const ALL: [(StopSignal, &'static str); 6] = [
        (StopSignal::Term, "TERM"),
        (StopSignal::Int, "INT"),
        (StopSignal::Quit, "QUIT"),
        (StopSignal::Hup, "HUP"),
        (StopSignal::Usr1, "USR1"),
        (StopSignal::Usr2, "USR2"),
    ];

    fn name(self) -> &'static str {
        StopSignal::ALL
            .iter()
            .find(|(s, _)| *s == self)
            .map_or("TERM", |(_, name)| name)
    }
}

/// `TERM`, `term` or `SIGTERM`.
fn parse_signal(s: &str) -> Result<StopSignal, String> {
    let upper = s.trim().to_ascii_uppercase();
    let name = upper.strip_prefix("SIG").unwrap_or(&upper);
    StopSignal::ALL
        .iter()
        .find(|(_, n)| *n == name)
        .map(|(sig, _)| *sig)
        .ok_or_else(|| format!("{s:?} is not a signal --signal takes: TERM, INT, QUIT, HUP, USR1 or USR2"))
}

pub async fn run(ctx: &Ctx, args: RunArgs) -> CliResult<ExitCode> {
    let Some((program, rest)) = args.command.split_first() else {
        return Err(CliError::usage("no command given: vaultty run -- COMMAND [ARGS...]"));
    };
    let req = EnvRequest {
        scope: args.scope,
        provider: args.provider.clone(),
    };
    if args.watch {
        #[cfg(unix)]
        return watch::run(ctx, &args, &req, program, rest).await;
        #[cfg(not(unix))]
        return Err(CliError::usage(
            "run --watch needs a Unix system (it stops the command with signals)",
        ));
    }
    // The connection (and an embedded vault) is closed before the command starts: a long-running
    // command should not hold the local vault open. Only `POST /v1/env` is called, so a runner
    // token (which may call nothing else) is enough.
    let answer = with_connection(ctx, async |conn| Ok(conn.client.env_answer(&req).await?)).await?;
    let env = plan::select(answer, &args.only, args.scope)?;
    let cmd = plan::command(program, rest, &env, args.preserve_env);
    tracing::debug!(count = env.len(), program = %program.to_string_lossy(), "starting the command");
    drop(env);
    let status = spawn_and_wait(cmd, program).await?;
    Ok(exit_code(status))
}

/// 128+N for a command killed by signal N, as shells report it.
fn exit_code(status: ExitStatus) -> ExitCode {
    if let Some(code) = status.code() {
        return ExitCode::from(u8::try_from(code & 0xff).unwrap_or(1));
    }
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        if let Some(sig) = status.signal() {
            return ExitCode::from(u8::try_from(128 + (sig & 0x7f)).unwrap_or(1));
        }
    }
    ExitCode::FAILURE
}

fn spawn_error(program: &OsString, e: std::io::Error) -> CliError {
    let (code, what) = match e.kind() {
        std::io::ErrorKind::NotFound => (127, "command not found".to_owned()),
        std::io::ErrorKind::PermissionDenied => (126, "permission denied (is it executable?)".to_owned()),
        _ => (126, e.to_string()),
    };
    CliError::new(
        super::ExitClass::Command(code),
        format!("cannot run {}: {what}", program.to_string_lossy()),
    )
}

#[cfg(unix)]
async fn spawn_and_wait(cmd: std::process::Command, program: &OsString) -> CliResult<ExitStatus> {
    // Listening before the spawn: see Relay::listen.
    let mut relay = child::Relay::listen()?;
    let mut child = child::Child::spawn(cmd, program, false)?;
    loop {
        tokio::select! {
            status = child.wait() => return status,
            origin = relay.recv() => child.forward(&origin),
        }
    }
}

#[cfg(not(unix))]
async fn spawn_and_wait(cmd: std::process::Command, program: &OsString) -> CliResult<ExitStatus> {
    let mut child = tokio::process::Command::from(cmd)
        .spawn()
        .map_err(|e| spawn_error(program, e))?;
    child
        .wait()
        .await
        .map_err(|e| CliError::other(format!("cannot wait for {}: {e}", program.to_string_lossy())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signals_parse_with_or_without_sig_in_any_case() {
        for (text, sig) in [
            ("TERM", StopSignal::Term),
            ("sighup", StopSignal::Hup),
            ("Usr1", StopSignal::Usr1),
        ] {
            assert_eq!(parse_signal(text), Ok(sig));
        }
        assert_eq!(StopSignal::Quit.name(), "QUIT");
        for bad in ["", "KILL", "SIG", "9", "TERMX"] {
            assert!(parse_signal(bad).is_err(), "{bad:?}");
        }
    }
}
