//! The command `run` starts, and the signals the user sends vaultty meanwhile (INT, TERM, HUP,
//! QUIT), which reach it. Unix only, like the signals.
//!
//! Plain `run` starts the command in vaultty's own process group, so that the terminal's Ctrl-C
//! reaches it as it would without vaultty. `run --watch` starts it in a group of its own, so that
//! a restart stops everything it started (a shell script's children too), and passes every signal
//! on to that group, the terminal's included: they no longer reach it by themselves.

use std::ffi::OsString;
use std::process::ExitStatus;
use std::time::Duration;

use rustix::process::{Pid, Signal};
use signal_hook::consts::{SIGHUP, SIGINT, SIGQUIT, SIGTERM};
use signal_hook::iterator::SignalsInfo;
use signal_hook::iterator::exfiltrator::WithOrigin;
use signal_hook::low_level::siginfo::{Cause, Origin};
use tokio::sync::mpsc::UnboundedReceiver;

use crate::cli::{CliError, CliResult};

/// The signals the user sends vaultty, as they arrive.
pub(super) struct Relay {
    rx: UnboundedReceiver<Origin>,
    listening: signal_hook::iterator::Handle,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Relay {
    /// Listens from now on. Listening before the spawn replaces the default "terminate" action,
    /// so vaultty outlives a signal long enough to pass it on and report the command's own exit
    /// code. signal-hook rather than tokio's signals: it tells who sent each signal (siginfo),
    /// which the SIGINT rule of [`Child::forward`] needs. Its iterator blocks, so it runs on a
    /// thread of its own and feeds a channel.
    pub fn listen() -> CliResult<Relay> {
        let mut signals = SignalsInfo::<WithOrigin>::new([SIGINT, SIGTERM, SIGHUP, SIGQUIT])
            .map_err(|e| CliError::other(format!("cannot listen for signals: {e}")))?;
        let listening = signals.handle();
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
        let thread = std::thread::spawn(move || {
            for origin in signals.forever() {
                if tx.send(origin).is_err() {
                    break;
                }
            }
        });
        Ok(Relay {
            rx,
            listening,
            thread: Some(thread),
        })
    }

    /// The next signal; pending forever once the relay is closed.
    pub async fn recv(&mut self) -> Origin {
        match self.rx.recv().await {
            Some(origin) => origin,
            None => std::future::pending().await,
        }
    }
}

impl Drop for Relay {
    /// Stops the relay thread; the signal actions stay registered (signal-hook never
    /// unregisters), and vaultty is about to exit anyway.
    fn drop(&mut self) {
        self.listening.close();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Whether a signal asks vaultty to stop (INT, TERM, QUIT) rather than to reload (HUP).
pub(super) fn asks_to_stop(origin: &Origin) -> bool {
    origin.signal != SIGHUP
}

/// How [`Child::stop`] ended.
pub(super) struct Stopped {
    pub status: ExitStatus,
    /// The user sent INT, TERM or QUIT meanwhile: vaultty ends rather than start it again.
    pub by_user: bool,
}

/// A started command.
pub(super) struct Child {
    inner: tokio::process::Child,
    pid: Option<Pid>,
    /// Started in a process group of its own (`run --watch`), whose id is `pid`.
    own_group: bool,
    program: OsString,
}

impl Child {
    /// Starts `cmd`; in a process group of its own when `own_group`.
    pub fn spawn(mut cmd: std::process::Command, program: &OsString, own_group: bool) -> CliResult<Child> {
        if own_group {
            use std::os::unix::process::CommandExt;
            cmd.process_group(0);
        }
        let inner = tokio::process::Command::from(cmd)
            .spawn()
            .map_err(|e| super::spawn_error(program, e))?;
        let pid = inner.id().and_then(|id| i32::try_from(id).ok()).and_then(Pid::from_raw);
        Ok(Child {
            inner,
            pid,
            own_group,
            program: program.clone(),
        })
    }

    pub async fn wait(&mut self) -> CliResult<ExitStatus> {
        self.inner
            .wait()
            .await
            .map_err(|e| CliError::other(format!("cannot wait for {}: {e}", self.program.to_string_lossy())))
    }

    /// Sends `sig` to the command, or to its whole group when it has one of its own.
    pub fn signal(&self, sig: Signal) {
        let Some(pid) = self.pid else { return };
        // The command may have exited in the meantime; wait() reports it.
        let _ = if self.own_group {
            rustix::process::kill_process_group(pid, sig)
        } else {
            rustix::process::kill_process(pid, sig)
        };
    }

    /// Passes on a signal the user sent vaultty.
    pub fn forward(&self, origin: &Origin) {
        let sig = match origin.signal {
            SIGINT => Signal::INT,
            SIGTERM => Signal::TERM,
            SIGQUIT => Signal::QUIT,
            _ => Signal::HUP,
        };
        // The terminal sends Ctrl-C's SIGINT (and Ctrl-\'s SIGQUIT) itself (the kernel is its
        // sender) to the whole foreground group, a command in vaultty's group included: passing
        // on a second one could cut short the command's own clean-up. A signal another process
        // sent (`kill -INT`, `docker stop` with StopSignal SIGINT when vaultty is PID 1 of a
        // `-it` container) reached vaultty alone, and is passed on. A command in a group of its
        // own hears nothing from the terminal: everything is passed on.
        let from_a_process = matches!(origin.cause, Cause::Sent(_));
        if matches!(sig, Signal::INT | Signal::QUIT)
            && !from_a_process
            && !self.own_group
            && terminal_signals_reach_child()
        {
            return;
        }
        self.signal(sig);
    }

    /// Stops a command started in its own group: `sig` to the group, then up to `grace` for every
    /// process of the group to exit (the command's own clean-up, and its children's), then
    /// SIGKILL to what is left. Signals the user sends meanwhile reach the group too.
    pub async fn stop(&mut self, sig: Signal, grace: Duration, relay: &mut Relay) -> CliResult<Stopped> {
        let deadline = tokio::time::Instant::now() + grace;
        let mut by_user = false;
        self.signal(sig);
        let mut status = None;
        loop {
            if status.is_some() && !self.group_alive() {
                break;
            }
            // The group's other processes are not ours to wait for: asked every 50 ms.
            let tick = tokio::time::sleep(Duration::from_millis(50));
            tokio::select! {
                s = self.inner.wait(), if status.is_none() => status = Some(s),
                origin = relay.recv() => {
                    by_user |= asks_to_stop(&origin);
                    self.forward(&origin);
                }
                () = tokio::time::sleep_until(deadline) => break,
                () = tick, if status.is_some() => {}
            }
        }
        // Whatever is left after the grace period. Not once the group is gone: its id is free
        // for the system to hand out again.
        if status.is_none() || self.group_alive() {
            self.signal(Signal::KILL);
        }
        let status = match status {
            Some(s) => s,
            None => self.inner.wait().await,
        };
        let status =
            status.map_err(|e| CliError::other(format!("cannot wait for {}: {e}", self.program.to_string_lossy())))?;
        Ok(Stopped { status, by_user })
    }

    /// Whether any process of the command's group still runs. Only asked once the command itself
    /// has been waited for: until then its own (zombie) entry keeps the group, and its id, alive.
    /// A group left with only zombies counts as gone: an orphan the command left behind (a
    /// shell's background job that exited with it) waits to be reaped by PID 1, which in a
    /// container can take seconds, and has nothing left to stop. Its entry still holds the
    /// group's id, so a later signal to the group cannot reach anyone else's.
    fn group_alive(&self) -> bool {
        let Some(pid) = self.pid else { return false };
        rustix::process::test_kill_process_group(pid).is_ok() && !only_zombies_in(pid.as_raw_nonzero().get())
    }
}

/// Whether every process of group `pgid` has exited without being reaped yet (Linux, from
/// /proc; elsewhere, and when /proc cannot be read, `false`: the group is then waited for).
fn only_zombies_in(pgid: i32) -> bool {
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return false;
    };
    let mut zombies = 0;
    for entry in dir.flatten() {
        let name = entry.file_name();
        let Some(pid) = name.to_str().filter(|n| n.bytes().all(|b| b.is_ascii_digit())) else {
            continue;
        };
        // A process that ends meanwhile is simply not counted.
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
            continue;
        };
        // "pid (comm) state ppid pgrp ...": the name may hold spaces and ')', so read from the last ')'.
        let Some((_, rest)) = stat.rsplit_once(')') else {
            continue;
        };
        let mut fields = rest.split_whitespace();
        let (Some(state), Some(_parent), Some(group)) = (fields.next(), fields.next(), fields.next()) else {
            continue;
        };
        if group.parse::<i32>() == Ok(pgid) {
            if state != "Z" {
                return false;
            }
            zombies += 1;
        }
    }
    zombies > 0
}

/// Whether vaultty is in the terminal's foreground process group, where the terminal's own
/// signals (Ctrl-C) reach the command as well as vaultty.
fn terminal_signals_reach_child() -> bool {
    use std::io::IsTerminal;
    let stdin = std::io::stdin();
    stdin.is_terminal()
        && rustix::termios::tcgetpgrp(&stdin).is_ok_and(|foreground| foreground == rustix::process::getpgrp())
}
