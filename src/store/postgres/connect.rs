//! Connecting: the database URL, and the pools of connections every query takes one from.
//!
//! A URL names a password more often than not, so it is never printed as given: errors and logs
//! show `redacted` (the password replaced). TLS to PostgreSQL is not offered yet: connect over a
//! Unix socket or loopback, or a private network (docs/ARCHITECTURE.md, "PostgreSQL").

use std::str::FromStr;
use std::time::Duration;

use deadpool_postgres::{Manager, ManagerConfig, Object, Pool, RecyclingMethod, Runtime};
use tokio_postgres::NoTls;

use super::error::map;
use crate::store::{PoolMetrics, StoreError, StoreResult};

/// Connections for reads. Two cores, and PostgreSQL answers each lookup in well under a
/// millisecond: more would only queue in the server.
pub(super) const READERS: usize = 8;

/// The longest a read waits for a pooled connection before `Overloaded` (as SQLite's read pool).
const WAIT: Duration = Duration::from_secs(2);

/// The longest connecting may take before the caller hears `Busy`.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// `url` with its password, if any, replaced: what errors and logs may show.
pub fn redacted(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    // The last `@` before the query ends the user part: a password with an unescaped `/` or
    // `@` in it is still hidden (a database name with an `@` would be hidden too: the safe side).
    let before_query = rest.split('?').next().unwrap_or(rest);
    let Some(at) = before_query.rfind('@') else {
        return redact_query(url);
    };
    let (userinfo, host_and_tail) = (&rest[..at], &rest[at + 1..]);
    let user = match userinfo.split_once(':') {
        Some((user, _)) => format!("{user}:***"),
        None => userinfo.to_owned(),
    };
    redact_query(&format!("{scheme}://{user}@{host_and_tail}"))
}

/// A `password=` query parameter, replaced.
fn redact_query(url: &str) -> String {
    let Some((base, query)) = url.split_once('?') else {
        return url.to_owned();
    };
    let params: Vec<String> = query
        .split('&')
        .map(|p| match p.split_once('=') {
            Some((k, _)) if k.eq_ignore_ascii_case("password") => format!("{k}=***"),
            _ => p.to_owned(),
        })
        .collect();
    format!("{base}?{}", params.join("&"))
}

/// The parsed connection settings, or an error naming the URL without its password.
pub(super) fn config(url: &str) -> StoreResult<tokio_postgres::Config> {
    let mut config = tokio_postgres::Config::from_str(url).map_err(|e| StoreError::Url {
        url: redacted(url),
        // tokio-postgres names what it could not parse (an option, a port), never the password's
        // text; its cause says which.
        reason: match std::error::Error::source(&e) {
            Some(cause) => format!("{e}: {cause}; expected postgres://user:password@host:5432/database"),
            None => format!("{e}; expected postgres://user:password@host:5432/database"),
        },
    })?;
    if config.get_connect_timeout().is_none() {
        config.connect_timeout(CONNECT_TIMEOUT);
    }
    if config.get_application_name().is_none() {
        config.application_name("vaultty");
    }
    Ok(config)
}

/// A pool of at most `size` connections; connections are opened on first use.
pub(super) fn pool(config: tokio_postgres::Config, size: usize, wait: Option<Duration>) -> StoreResult<Pool> {
    let manager = Manager::from_config(
        config,
        NoTls,
        ManagerConfig {
            // Fast: a connection that broke is noticed by its next query, which fails that one
            // call (`Backend`), and deadpool drops it; the next call connects anew.
            recycling_method: RecyclingMethod::Fast,
        },
    );
    Pool::builder(manager)
        .max_size(size)
        .wait_timeout(wait)
        .create_timeout(Some(CONNECT_TIMEOUT))
        .runtime(Runtime::Tokio1)
        .build()
        .map_err(|e| StoreError::Backend(format!("cannot make the PostgreSQL pool: {e}")))
}

/// How long a batch waits for the audit chain's lock (held by another replica's batch) before it
/// fails `Busy` (503, "try again"): a replica that hangs while holding it must not stall the
/// others' writes for longer.
const LOCK_TIMEOUT: Duration = Duration::from_secs(10);

/// How long PostgreSQL lets a session sit idle inside a transaction before ending it, and with it
/// its locks: a replica frozen mid-batch (stopped, partitioned away) releases the chain's lock.
const IDLE_IN_TRANSACTION: Duration = Duration::from_secs(30);

/// The writer's pool: one connection, with `LOCK_TIMEOUT` and `IDLE_IN_TRANSACTION` set for it.
pub(super) fn writer_pool(mut config: tokio_postgres::Config) -> StoreResult<Pool> {
    let ours = format!(
        "-c lock_timeout={} -c idle_in_transaction_session_timeout={}",
        LOCK_TIMEOUT.as_millis(),
        IDLE_IN_TRANSACTION.as_millis()
    );
    let options = match config.get_options() {
        Some(given) if !given.trim().is_empty() => format!("{given} {ours}"),
        _ => ours,
    };
    config.options(options);
    pool(config, 1, None)
}

/// The read pool, with `WAIT`.
pub(super) fn read_pool(config: tokio_postgres::Config) -> StoreResult<Pool> {
    pool(config, READERS, Some(WAIT))
}

/// A connection from `pool`, recording how long it took.
pub(super) async fn get(pool: &Pool, metrics: &PoolMetrics) -> StoreResult<Object> {
    let started = tokio::time::Instant::now();
    let got = pool.get().await;
    metrics.wait.observe(started.elapsed().as_secs_f64());
    got.map_err(|e| match e {
        deadpool_postgres::PoolError::Timeout(deadpool_postgres::TimeoutType::Wait) => {
            metrics.timeouts.inc();
            StoreError::Overloaded
        }
        deadpool_postgres::PoolError::Timeout(_) => {
            StoreError::Backend("PostgreSQL did not answer in time (connecting)".into())
        }
        deadpool_postgres::PoolError::Backend(e) => match map(e) {
            StoreError::Backend(msg) => StoreError::Backend(format!("cannot connect to PostgreSQL: {msg}")),
            other => other,
        },
        deadpool_postgres::PoolError::Closed => StoreError::Backend("the PostgreSQL pool is closed".into()),
        other => StoreError::Backend(format!("cannot connect to PostgreSQL: {other}")),
    })
}

#[cfg(test)]
mod tests {
    use super::redacted;

    #[test]
    fn passwords_never_show() {
        assert_eq!(
            redacted("postgres://vault:s3cret@db.internal:5432/vaultty"),
            "postgres://vault:***@db.internal:5432/vaultty"
        );
        assert_eq!(redacted("postgres://vault@db/v"), "postgres://vault@db/v");
        assert_eq!(
            redacted("postgresql://db/v?user=a&password=s3cret&sslmode=disable"),
            "postgresql://db/v?user=a&password=***&sslmode=disable"
        );
        assert_eq!(
            redacted("postgres://u:p%40ss@h/d?password=x"),
            "postgres://u:***@h/d?password=***"
        );
        assert!(!redacted("postgres://u:s3cret@h").contains("s3cret"));
        assert!(!redacted("postgres://u:se/cr@et@h/d").contains("cr"));
    }
}
