//! `vaultty run --watch`: the command runs until it exits by itself (vaultty then exits with its
//! code), and is restarted when the values it was given change.
//!
//! Why it is built this way (docs/ARCHITECTURE.md, `run --watch`):
//! - Changes are heard on `GET /v1/events` (changes.rs); without it (an older server, the local
//!   vault, a stream that is down) vaultty asks at `--interval`. Either way it then fetches with
//!   If-None-Match: an unchanged bundle is a 304 that delivers (and audits) nothing.
//! - Events are coalesced for [`DEBOUNCE`]: a burst of rotations is one restart.
//! - The command is restarted only when what it gets (after `--only` and the reserved names)
//!   differs, and never on a fetch that failed: it keeps running on the values it has, stderr says
//!   so, and vaultty tries again with backoff.

use std::ffi::OsString;
use std::pin::Pin;
use std::process::ExitCode;
use std::time::Duration;

use rustix::process::Signal;
use tokio::time::Instant;

use super::changes::{self, Notice};
use super::child::{Child, Relay};
use super::{RunArgs, StopSignal, exit_code, plan};
use crate::api::EnvRequest;
use crate::cli::format::printable;
use crate::cli::{CliError, CliResult, Ctx, with_connection};
use crate::client::{EnvFetch, VaultClient};
use crate::local::Target;

/// How long after the first event of a burst the fetch waits, so that the burst is one fetch.
const DEBOUNCE: Duration = Duration::from_secs(1);

/// Where the values come from.
enum Source<'a> {
    /// A server, which may have an event stream: one client for the whole run.
    Remote(VaultClient),
    /// The local vault, which `run` must not hold open while the command runs: opened for each
    /// fetch and closed again. It has no event stream anyone else could write to.
    Local(&'a Ctx),
}

impl Source<'_> {
    async fn fetch(&self, req: &EnvRequest, etag: Option<String>) -> CliResult<EnvFetch> {
        let etag = etag.as_deref();
        match self {
            Source::Remote(client) => Ok(client.env_if_changed(req, etag).await?),
            Source::Local(ctx) => {
                with_connection(ctx, async |conn| Ok(conn.client.env_if_changed(req, etag).await?)).await
            }
        }
    }
}

/// What the running command was given, without the values.
struct Held {
    /// The bundle's tag, for If-None-Match (none from an older server).
    etag: Option<String>,
    /// [`plan::digest`] of its environment.
    digest: [u8; 32],
}

/// The watch options, read once.
struct Options {
    interval: Duration,
    stop: StopSignal,
    grace: Duration,
}

type Fetching<'a> = Pin<Box<dyn Future<Output = CliResult<EnvFetch>> + 'a>>;

pub(super) async fn run(
    ctx: &Ctx,
    args: &RunArgs,
    req: &EnvRequest,
    program: &OsString,
    rest: &[OsString],
) -> CliResult<ExitCode> {
    let opts = Options {
        interval: Duration::from_secs(args.interval),
        stop: args.signal,
        grace: Duration::from_secs(args.kill_timeout),
    };
    let name = program.to_string_lossy().into_owned();
    // The first fetch is plain run's: if it fails, nothing starts.
    let conn = ctx.connect().await?;
    let first = conn.client.env_if_changed(req, None).await;
    let source = match &conn.target {
        Target::Local { .. } => Source::Local(ctx),
        Target::Remote { .. } => Source::Remote(conn.client.clone()),
    };
    conn.close().await;
    let EnvFetch::Changed { answer, etag } = first? else {
        return Err(CliError::other(
            "the vault answered \"unchanged\" to a request that named no bundle",
        ));
    };
    let env = plan::select(answer, &args.only, args.scope)?;
    let mut held = Held {
        etag,
        digest: plan::digest(&env),
    };
    // Listening before the spawn: see Relay::listen.
    let mut relay = Relay::listen()?;
    let mut child = Child::spawn(plan::command(program, rest, &env, args.preserve_env), program, true)?;
    drop(env);

    let (tx, mut notices) = tokio::sync::mpsc::unbounded_channel();
    let _follower = match &source {
        Source::Remote(client) => Some(AbortOnDrop(tokio::spawn(changes::follow(client.clone(), tx)))),
        Source::Local(_) => {
            drop(tx);
            eprintln!(
                "vaultty: watching the local vault: checking for changes every {}",
                human(opts.interval)
            );
            None
        }
    };
    let mut stream_up = false;
    let mut said_down = false;
    let mut poll_at = Instant::now() + opts.interval;
    let mut fetch_at: Option<Instant> = None;
    let mut failures = 0u32;
    let mut fetching: Option<Fetching<'_>> = None;
    loop {
        // Asked at --interval only while no stream tells of changes; one fetch at a time.
        let wake = [(!stream_up).then_some(poll_at), fetch_at].into_iter().flatten().min();
        let wake_now = wake.filter(|_| fetching.is_none());
        tokio::select! {
            status = child.wait() => return Ok(exit_code(status?)),
            origin = relay.recv() => child.forward(&origin),
            Some(notice) = notices.recv() => match notice {
                Notice::Up => {
                    if said_down {
                        eprintln!("vaultty: the change stream is back");
                        said_down = false;
                    }
                    stream_up = true;
                    // What changed while it was down is unknown.
                    fetch_at.get_or_insert(Instant::now() + DEBOUNCE);
                }
                Notice::Changed => {
                    // The first event of a burst sets the time; the rest join it.
                    fetch_at.get_or_insert(Instant::now() + DEBOUNCE);
                }
                Notice::Down(why) => {
                    if !said_down {
                        eprintln!(
                            "vaultty: the change stream is down ({}); checking every {} until it is back",
                            printable(&why),
                            human(opts.interval)
                        );
                        said_down = true;
                    }
                    if stream_up {
                        poll_at = Instant::now() + opts.interval;
                    }
                    stream_up = false;
                }
                Notice::Unavailable => {
                    eprintln!(
                        "vaultty: the server has no change stream (an older vaultty?): checking every {}",
                        human(opts.interval)
                    );
                    stream_up = false;
                }
            },
            () = sleep_until(wake_now), if wake_now.is_some() => {
                poll_at = Instant::now() + opts.interval;
                fetch_at = None;
                fetching = Some(Box::pin(source.fetch(req, held.etag.clone())));
            }
            fetched = wait_for(fetching.as_mut()), if fetching.is_some() => {
                fetching = None;
                let answer = match fetched {
                    Ok(EnvFetch::Unchanged) => {
                        tracing::debug!("the bundle is unchanged (304)");
                        failures = 0;
                        continue;
                    }
                    Ok(EnvFetch::Changed { answer, etag }) => {
                        failures = 0;
                        // Whatever comes of it, this bundle has been seen: ask about the next.
                        held.etag = etag;
                        answer
                    }
                    Err(e) => {
                        failures = failures.saturating_add(1);
                        let pause = changes::backoff(failures);
                        eprintln!(
                            "vaultty: cannot fetch the secrets again ({e}); {name} keeps running with the \
                             values it has; trying again in {}",
                            human(pause)
                        );
                        let retry = Instant::now() + pause;
                        fetch_at = Some(retry);
                        // The retry replaces the next poll: a short --interval is no faster retry.
                        poll_at = poll_at.max(retry);
                        continue;
                    }
                };
                let env = match plan::select(answer, &args.only, args.scope) {
                    Ok(env) => env,
                    Err(e) => {
                        eprintln!("vaultty: the secrets changed, but {e}; {name} keeps running with the values it has");
                        continue;
                    }
                };
                let digest = plan::digest(&env);
                if digest == held.digest {
                    continue;
                }
                held.digest = digest;
                if opts.stop == StopSignal::Hup {
                    eprintln!("vaultty: the secrets changed: sent HUP to {name} (--signal HUP: reload in place)");
                    child.signal(Signal::HUP);
                    continue;
                }
                eprintln!(
                    "vaultty: the secrets changed: restarting {name} ({}, then KILL after {})",
                    opts.stop.name(),
                    human(opts.grace)
                );
                let stopped = child.stop(signal_of(opts.stop), opts.grace, &mut relay).await?;
                if stopped.by_user {
                    return Ok(exit_code(stopped.status));
                }
                child = Child::spawn(plan::command(program, rest, &env, args.preserve_env), program, true)?;
            }
        }
    }
}

/// The fetch in flight; `None` never ends (its branch is disabled anyway).
async fn wait_for(fetching: Option<&mut Fetching<'_>>) -> CliResult<EnvFetch> {
    match fetching {
        Some(f) => f.await,
        None => std::future::pending().await,
    }
}

/// Sleeps until `at`; `None` never comes (its branch is disabled anyway).
async fn sleep_until(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

fn signal_of(s: StopSignal) -> Signal {
    match s {
        StopSignal::Term => Signal::TERM,
        StopSignal::Int => Signal::INT,
        StopSignal::Quit => Signal::QUIT,
        StopSignal::Hup => Signal::HUP,
        StopSignal::Usr1 => Signal::USR1,
        StopSignal::Usr2 => Signal::USR2,
    }
}

/// `15m`, `1h`, `90s`: as the flags take them.
fn human(d: Duration) -> String {
    let secs = d.as_secs();
    match secs {
        0 => format!("{}ms", d.as_millis()),
        // A backoff's jittered pause: 1.4s, not 1s.
        s if s < 10 && d.subsec_millis() != 0 => format!("{:.1}s", d.as_secs_f64()),
        s if s % 3600 == 0 => format!("{}h", s / 3600),
        s if s % 60 == 0 => format!("{}m", s / 60),
        s => format!("{s}s"),
    }
}

/// The follower task ends with the watch.
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

#[cfg(test)]
mod tests {
    use super::human;
    use std::time::Duration;

    #[test]
    fn durations_read_as_the_flags_take_them() {
        assert_eq!(human(Duration::from_secs(900)), "15m");
        assert_eq!(human(Duration::from_secs(7200)), "2h");
        assert_eq!(human(Duration::from_secs(90)), "90s");
        assert_eq!(human(Duration::from_millis(600)), "600ms");
        assert_eq!(human(Duration::from_millis(1400)), "1.4s");
    }
}
