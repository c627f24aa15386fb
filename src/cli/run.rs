//! `vaultty run -- CMD ARGS`: fetches `/v1/env`, starts CMD with those variables, forwards
//! SIGINT/SIGTERM/SIGHUP to it and exits with its code. The values go only into CMD's
//! environment, never onto vaultty's own output.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::process::{ExitCode, ExitStatus};

use clap::Args;
use secrecy::{ExposeSecret, SecretString};

use crate::api::{Scope, validate};
use crate::cli::format::printable;
use crate::cli::{CliError, CliResult, Ctx, scope_parser, with_connection};

#[derive(Debug, Args)]
#[command(after_help = "Examples:\n  vaultty run -- python agent.py\n  \
                        vaultty run --scope agents --only OPENAI_API_KEY -- ./deploy.sh --prod\n\n\
                        A variable already set in your environment is overridden by the vault's value: the vault is\n\
                        the source of truth, and a stale local value must not win silently. --preserve-env keeps\n\
                        yours instead. Either way, standard error names the variables overridden or kept (names\n\
                        only, never values).\n\n\
                        Names that change how programs start or load code (PATH, HOME, LD_*, NODE_OPTIONS,\n\
                        VAULTTY_*, ...; docs/API.md, Reserved names) are never set, even when an older server\n\
                        delivers them; standard error names the ones skipped.\n\n\
                        A secret whose stored value does not open is left out and named on standard error;\n\
                        the command still runs (unless --only names it).\n\n\
                        vaultty exits with the command's exit code (128+N when signal N killed it).")]
pub struct RunArgs {
    /// Only secrets for this scope (and those for all scopes); without it, every secret you can use
    #[arg(long, value_parser = scope_parser())]
    pub scope: Option<Scope>,
    /// Only these secrets, by name (comma-separated); each must exist
    #[arg(long, value_name = "NAME,...", value_delimiter = ',')]
    pub only: Vec<String>,
    /// Keep variables already set in your environment instead of overriding them with the vault's
    /// (the vault's value wins by default)
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
    let answer = with_connection(ctx, async |conn| {
        Ok(conn
            .client
            .env_answer(&crate::api::EnvRequest {
                scope: args.scope,
                provider: None,
            })
            .await?)
    })
    .await?;
    super::export::report_skipped(&answer.skipped);
    let mut env = answer.env;
    if !args.only.is_empty() {
        // A reserved name is never set, so asking for one is a mistake to report, not to skip.
        if let Some(refused) = args.only.iter().find_map(|n| validate::not_reserved(n).err()) {
            return Err(CliError::invalid(format!("--only: {refused}")));
        }
        // Asked for by name, a value that does not open is an error: the command would run without it.
        if let Some(skipped) = answer.skipped.iter().find(|s| args.only.contains(&s.name)) {
            return Err(CliError::other(format!(
                "--only names {}, which the vault could not deliver: {}",
                printable(&skipped.name),
                printable(&skipped.reason)
            )));
        }
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
    let plan = Plan::new(&env, args.preserve_env, |name| std::env::var_os(name));
    plan.report();
    for (name, value) in &plan.set {
        cmd.env(name, value.expose_secret());
    }
    drop(plan);
    tracing::debug!(count = env.len(), program = %program.to_string_lossy(), "starting the command");
    drop(env);
    let status = spawn_and_wait(cmd, program).await?;
    Ok(exit_code(status))
}

/// Which delivered variables the command gets, and what stderr says about the others. Names only:
/// values are compared, never shown.
#[derive(Debug, Default)]
struct Plan<'a> {
    set: Vec<(&'a str, &'a SecretString)>,
    /// Reserved names (docs/API.md): the server refuses them, but an older one may have stored
    /// and still deliver them, so they are dropped here again.
    skipped: Vec<&'a str>,
    /// Set locally to another value, and kept there by --preserve-env.
    kept: Vec<&'a str>,
    /// Set locally to another value, replaced by the vault's (the default).
    overridden: Vec<&'a str>,
}

impl<'a> Plan<'a> {
    fn new(
        env: &'a BTreeMap<String, SecretString>,
        preserve_env: bool,
        local: impl Fn(&str) -> Option<OsString>,
    ) -> Plan<'a> {
        let mut plan = Plan::default();
        for (name, value) in env {
            if validate::reserved_name(name).is_some() {
                plan.skipped.push(name);
                continue;
            }
            // Only a local value that differs is worth a word: an equal one changes nothing.
            let differs = local(name).is_some_and(|mine| mine != value.expose_secret());
            match (differs, preserve_env) {
                (true, true) => plan.kept.push(name),
                (true, false) => {
                    plan.overridden.push(name);
                    plan.set.push((name, value));
                }
                (false, _) => plan.set.push((name, value)),
            }
        }
        plan
    }

    fn report(&self) {
        if !self.skipped.is_empty() {
            eprintln!(
                "vaultty: not set: {}: names that change how programs start or load code are never set \
                 (see docs/API.md, Reserved names)",
                listed(&self.skipped)
            );
        }
        if !self.overridden.is_empty() {
            eprintln!(
                "vaultty: overridden by the vault's value: {} (--preserve-env keeps yours)",
                listed(&self.overridden)
            );
        }
        if !self.kept.is_empty() {
            eprintln!(
                "vaultty: kept from your environment (--preserve-env): {}",
                listed(&self.kept)
            );
        }
    }
}

/// Names as the server sent them, printed like every other server text: inert (an older or
/// hostile server is not bound by today's name rules).
fn listed(names: &[&str]) -> String {
    printable(&names.join(", ")).into_owned()
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
    use rustix::process::Signal;
    use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
    use signal_hook::iterator::SignalsInfo;
    use signal_hook::iterator::exfiltrator::WithOrigin;
    use signal_hook::low_level::siginfo::Cause;

    // Listening before the spawn replaces the default "terminate" action, so vaultty outlives a
    // signal long enough to pass it on and report the command's own exit code. signal-hook rather
    // than tokio's signals: it tells who sent each signal (siginfo), which the SIGINT rule below
    // needs. Its iterator blocks, so it runs on a thread of its own and feeds a channel.
    let mut signals = SignalsInfo::<WithOrigin>::new([SIGINT, SIGTERM, SIGHUP])
        .map_err(|e| CliError::other(format!("cannot listen for signals: {e}")))?;
    let listening = signals.handle();
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let relay = std::thread::spawn(move || {
        for origin in signals.forever() {
            if tx.send(origin).is_err() {
                break;
            }
        }
    });
    let spawned = tokio::process::Command::from(cmd).spawn();
    let result = match spawned {
        Ok(mut child) => {
            let pid = child
                .id()
                .and_then(|id| i32::try_from(id).ok())
                .and_then(rustix::process::Pid::from_raw);
            loop {
                let origin = tokio::select! {
                    status = child.wait() => break status.map_err(|e| {
                        CliError::other(format!("cannot wait for {}: {e}", program.to_string_lossy()))
                    }),
                    Some(origin) = rx.recv() => origin,
                };
                let sig = match origin.signal {
                    SIGINT => Signal::INT,
                    SIGTERM => Signal::TERM,
                    _ => Signal::HUP,
                };
                // The terminal sends Ctrl-C's SIGINT itself (the kernel is its sender) to the whole
                // foreground group, the command included: passing on a second one could cut short
                // the command's own clean-up. A SIGINT another process sent (`kill -INT`, `docker
                // stop` with StopSignal SIGINT when vaultty is PID 1 of a `-it` container) reached
                // vaultty alone, and is passed on like SIGTERM and SIGHUP.
                let from_a_process = matches!(origin.cause, Cause::Sent(_));
                if sig == Signal::INT && !from_a_process && terminal_signals_reach_child() {
                    continue;
                }
                if let Some(pid) = pid {
                    // The child may have exited in the meantime; wait() above reports it.
                    let _ = rustix::process::kill_process(pid, sig);
                }
            }
        }
        Err(e) => Err(spawn_error(program, e)),
    };
    // Stops the relay; the signal actions stay registered (signal-hook never unregisters), and
    // vaultty is about to exit anyway.
    listening.close();
    let _ = relay.join();
    result
}

/// Whether vaultty is in the terminal's foreground process group, where the terminal's own
/// signals (Ctrl-C) reach the command as well as vaultty.
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

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> BTreeMap<String, SecretString> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), SecretString::from((*v).to_owned())))
            .collect()
    }

    fn names<'a>(set: &[(&'a str, &SecretString)]) -> Vec<&'a str> {
        set.iter().map(|(n, _)| *n).collect()
    }

    /// What an older server that still stores and delivers reserved names sends.
    #[test]
    fn reserved_names_from_an_older_server_are_never_set() {
        let delivered = env(&[
            ("PATH", "/evil"),
            ("ld_preload", "/evil.so"),
            ("VAULTTY_URL", "x"),
            ("FOO", "bar"),
        ]);
        let plan = Plan::new(&delivered, false, |_| None);
        assert_eq!(names(&plan.set), ["FOO"]);
        assert_eq!(plan.skipped, ["PATH", "VAULTTY_URL", "ld_preload"]);
    }

    #[test]
    fn the_vault_wins_unless_preserve_env_and_only_differences_are_named() {
        let delivered = env(&[("A", "vault"), ("B", "same"), ("C", "new")]);
        let local = |name: &str| match name {
            "A" => Some(OsString::from("local")),
            "B" => Some(OsString::from("same")),
            _ => None,
        };
        let plan = Plan::new(&delivered, false, local);
        assert_eq!(names(&plan.set), ["A", "B", "C"]);
        assert_eq!((plan.overridden, plan.kept), (vec!["A"], vec![]));
        let plan = Plan::new(&delivered, true, local);
        assert_eq!(names(&plan.set), ["B", "C"]);
        assert_eq!((plan.overridden, plan.kept), (vec![], vec!["A"]));
    }
}
