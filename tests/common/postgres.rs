//! A fresh PostgreSQL database per test, in the cluster `VAULTTY_TEST_POSTGRES_URL` names (CI
//! starts one with `.ci/postgres.sh`). Tests that need it are `#[ignore]`d with what they need, so
//! a bare `cargo test` passes without PostgreSQL; CI runs them, and without the variable they fail
//! loudly, never pass having done nothing.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU32, Ordering};

/// The variable naming a superuser URL of the test cluster.
pub const URL_VAR: &str = "VAULTTY_TEST_POSTGRES_URL";

/// Why a Postgres test is ignored in a bare `cargo test`.
pub const NEEDS_POSTGRES: &str = "needs PostgreSQL: export VAULTTY_TEST_POSTGRES_URL=$(bash .ci/postgres.sh)";

/// The test cluster's superuser URL. Panics, naming the variable, when none is configured.
pub fn cluster_url() -> String {
    std::env::var(URL_VAR)
        .unwrap_or_else(|_| panic!("{URL_VAR} is not set: this test needs PostgreSQL ({NEEDS_POSTGRES})"))
}

static NEXT: AtomicU32 = AtomicU32::new(0);

/// A database of its own, dropped (with whatever is still connected to it) when this is.
pub struct PgDatabase {
    /// The URL to give vaultty: the cluster's, naming this database.
    pub url: String,
    admin_url: String,
    name: String,
}

impl PgDatabase {
    /// Creates an empty database. Panics, naming the variable, when no cluster is configured.
    pub fn create() -> PgDatabase {
        let admin_url = cluster_url();
        let name = format!(
            "vt_{}_{}_{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .subsec_nanos()
        );
        run_sql(&admin_url, &format!("CREATE DATABASE {name}"));
        PgDatabase {
            url: with_database(&admin_url, &name),
            admin_url,
            name,
        }
    }

    /// Runs SQL in this database as the superuser (tests that tamper with rows).
    pub fn execute(&self, sql: &str) {
        run_sql(&self.url, sql);
    }
}

impl Drop for PgDatabase {
    fn drop(&mut self) {
        if std::thread::panicking() {
            // Kept for a look after a failure; the cluster is throwaway anyway.
            eprintln!("keeping PostgreSQL database {} for inspection", self.name);
            return;
        }
        run_sql(
            &self.admin_url,
            &format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name),
        );
    }
}

/// Databases kept for as long as a directory exists, oldest first.
static TIED: Mutex<Vec<(PathBuf, PgDatabase)>> = Mutex::new(Vec::new());

/// A fresh database that lives as long as `dir` does, as a SQLite file in `dir` would: the API
/// tests' `TestVault` hands its fields out one by one (tests destructure it, keep the directory
/// and the URL, restart servers on them), so a field of its own would not know when to go. Those
/// whose directory is gone are dropped at the next call; the last few of a run stay in the
/// throwaway cluster.
pub fn database_tied_to(dir: &Path) -> String {
    let gone: Vec<PgDatabase> = {
        let mut tied = TIED.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let (gone, kept) = std::mem::take(&mut *tied).into_iter().partition(|(d, _)| !d.exists());
        *tied = kept;
        gone.into_iter().map(|(_, db)| db).collect()
    };
    drop(gone);
    let db = PgDatabase::create();
    let url = db.url.clone();
    TIED.lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .push((dir.to_owned(), db));
    url
}

/// `url` naming database `name` instead of its own.
pub fn with_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let after_scheme = base.find("://").map_or(0, |i| i + 3);
    let authority_end = base[after_scheme..].find('/').map_or(base.len(), |i| i + after_scheme);
    let mut out = format!("{}/{name}", &base[..authority_end]);
    if let Some(q) = query {
        out.push('?');
        out.push_str(q);
    }
    out
}

/// Runs `sql` on a connection of its own, on a thread of its own: callable from sync code and
/// from inside a tokio runtime alike (drop runs in both).
fn run_sql(url: &str, sql: &str) {
    let (url, sql) = (url.to_owned(), sql.to_owned());
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            let (client, conn) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
                .await
                .unwrap_or_else(|e| panic!("cannot connect to the test PostgreSQL cluster: {e}"));
            let driver = tokio::spawn(conn);
            client
                .batch_execute(&sql)
                .await
                .unwrap_or_else(|e| panic!("{sql}: {e}"));
            drop(client);
            let _ = driver.await;
        });
    })
    .join()
    .unwrap();
}
