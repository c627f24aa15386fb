//! `vaultty run -- CMD ARGS`: fetches `/v1/env`, starts CMD with those variables, forwards
//! SIGINT/SIGTERM/SIGHUP to it and exits with its code. The values go only into CMD's
//! environment, never onto vaultty's own output.

use std::ffi::OsString;
use std::process::{ExitCode, ExitStatus};

use clap::Args;
use secrecy::ExposeSecret;

use crate::api::Scope;
use crate::cli::{CliError, CliResult, Ctx, scope_parser, with_connection};

#[derive(Debug, Args)]
#[command(after_help = "Examples:\n  vaultty run -- python agent.py\n  \
                        vaultty run --scope agents --only OPENAI_API_KEY -- ./deploy.sh --prod\n\n\
                        vaultty exits with the command's exit code (128+N when signal N killed it).")]
pub struct RunArgs {
    /// Only secrets for this scope (and those for all scopes); without it, every secret you can use
    #[arg(long, value_parser = scope_parser())]
    pub scope: Option<Scope>,
    /// Only these secrets, by name (comma-separated); each must exist
    #[arg(long, value_name = "NAME,...", value_delimiter = ',')]
    pub only: Vec<String>,
    /// Keep variables already set in your environment instead of overriding them with the vault's
    #[arg(long)]
    pub preserve_env: bool,
    /// The command to run and its arguments (put them after --)
    #[arg(
        required = true,
        trailing_var_arg = true,
        allow_hyphen_values = true,
        value_name = "COMMAND"
    )]
    pub command: Vec<OsString>,
}

pub async fn run(ctx: &Ctx, args: RunArgs) -> CliResult<ExitCode> {
    let Some((program, rest)) = args.command.split_first() else {
        return Err(CliError::usage("no command given: vaultty run -- COMMAND [ARGS...]"));
    };
    // The connection (and an embedded vault) is closed before the command starts: a long-running
    // command should not hold the local vault open.
    let mut env = with_connection(ctx, async |conn| Ok(conn.client.env(args.scope).await?)).await?;
    if !args.only.is_empty() {
        if let Some(missing) = args.only.iter().find(|n| !env.contains_key(n.as_str())) {
            return Err(CliError::not_found(format!(
                "--only names {missing}, which the vault does not deliver{}; see `vaultty secret list`",
                args.scope.map(|s| format!(" for the scope {s}")).unwrap_or_default()
            )));
        }
        env.retain(|name, _| args.only.contains(name));
    }
    let mut cmd = std::process::Command::new(program);
    cmd.args(rest);
    for (name, value) in &env {
        if args.preserve_env && std::env::var_os(name).is_some() {
            continue;
        }
        cmd.env(name, value.expose_secret());
    }
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
    use tokio::signal::unix::{SignalKind, signal};

    // Listening before the spawn replaces the default "terminate" action, so vaultty outlives a
    // signal long enough to pass it on and report the command's own exit code.
    let listen =
        |kind: SignalKind| signal(kind).map_err(|e| CliError::other(format!("cannot listen for signals: {e}")));
    let mut sigint = listen(SignalKind::interrupt())?;
    let mut sigterm = listen(SignalKind::terminate())?;
    let mut sighup = listen(SignalKind::hangup())?;
    let mut child = tokio::process::Command::from(cmd)
        .spawn()
        .map_err(|e| spawn_error(program, e))?;
    let pid = child
        .id()
        .and_then(|id| i32::try_from(id).ok())
        .and_then(rustix::process::Pid::from_raw);
    loop {
        let sig = tokio::select! {
            status = child.wait() => {
                return status.map_err(|e| CliError::other(format!("cannot wait for {}: {e}", program.to_string_lossy())));
            }
            _ = sigint.recv() => rustix::process::Signal::INT,
            _ = sigterm.recv() => rustix::process::Signal::TERM,
            _ = sighup.recv() => rustix::process::Signal::HUP,
        };
        if sig == rustix::process::Signal::INT && terminal_signals_reach_child() {
            continue;
        }
        if let Some(pid) = pid {
            // The child may have exited in the meantime; wait() above reports it.
            let _ = rustix::process::kill_process(pid, sig);
        }
    }
}

/// Ctrl-C on a terminal signals the whole foreground process group, the command included; passing
/// on a second SIGINT could cut short the command's own clean-up. So a SIGINT is forwarded only
/// when vaultty is not in the terminal's foreground group (a `kill` from a supervisor or script).
#[cfg(unix)]
fn terminal_signals_reach_child() -> bool {
    use std::io::IsTerminal;
    let stdin = std::io::stdin();
    stdin.is_terminal()
        && rustix::termios::tcgetpgrp(&stdin).is_ok_and(|foreground| foreground == rustix::process::getpgrp())
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
