//! `vaultty admin`: work on the database directly, for the first start and for recovery.

use std::sync::Arc;

use clap::{Args, Subcommand};
use color_eyre::eyre::{Result, bail};
use secrecy::ExposeSecret;

use super::keys::{DatabaseArgs, KeyArgs};
use crate::api::Role;
use crate::crypto::{Keyring, MasterKey};
use crate::vault;

#[derive(Debug, Clone, Args)]
pub struct AdminArgs {
    #[command(subcommand)]
    pub command: AdminCommand,
}

#[derive(Debug, Clone, Subcommand)]
pub enum AdminCommand {
    /// Print a new random master key (base64 of 32 bytes) for VAULTTY_MASTER_KEY or a key file.
    GenKey,
    /// Create the org and its first admin, and print the admin's token once. Runs once per database.
    Init {
        #[command(flatten)]
        db: DatabaseArgs,
        #[command(flatten)]
        keys: KeyArgs,
        /// The organisation's name.
        #[arg(long)]
        org: String,
        /// The first admin's user name (a-z, 0-9, '_', '.', '-').
        #[arg(long)]
        admin: String,
    },
    /// Create a user and print their single-use enrolment code once; the user exchanges it
    /// for their own token with `vaultty login --url URL --enroll`.
    CreateUser {
        #[command(flatten)]
        db: DatabaseArgs,
        #[command(flatten)]
        keys: KeyArgs,
        name: String,
        #[arg(long, default_value = "member", value_parser = ["admin", "member"])]
        role: String,
        /// How long the code stays usable (e.g. 24h, 7d; at most 30d)
        #[arg(long, value_name = "LIFETIME", default_value = "24h", value_parser = crate::cli::duration::parse_lifetime)]
        expires: u64,
    },
    /// Re-seal every stored value under the first master key (and values still in the old v1
    /// format in the current one). Safe while the server serves; run it again after a crash to
    /// finish. A value that does not open is named on stderr (namespace, name, version) and left
    /// as it is; the rest go on, and the exit code is then 1.
    Rekey {
        #[command(flatten)]
        db: DatabaseArgs,
        #[command(flatten)]
        keys: KeyArgs,
    },
    /// Check the audit log's hash chain (keyed with a key sealed under the master keys) and
    /// report the first broken link, if any. On success, print the head: `head ID:HASH`; note it,
    /// and pass it to a later check with --expect-head to detect a cut tail.
    ///
    /// Exits 1 when a link is broken, or when the chain no longer holds the expected head.
    AuditVerify {
        #[command(flatten)]
        db: DatabaseArgs,
        #[command(flatten)]
        keys: KeyArgs,
        /// A head printed by an earlier check (`ID:HASH`): fail unless the chain still holds
        /// that event with that hash (it may have grown past it).
        #[arg(long, value_name = "ID:HASH", value_parser = parse_head)]
        expect_head: Option<Head>,
    },
    /// Copy a whole SQLite vault into an empty PostgreSQL database: sealed values as they are,
    /// users, tokens, versions and the audit log, whose chain is verified on both sides. Stop the
    /// server first (the copy is a snapshot: what it writes later is not copied), then start it
    /// with `--database` naming the PostgreSQL URL. The source is left as it is.
    ///
    /// The master keys open only the audit chain key, for the checks; values move sealed.
    Migrate {
        /// The vault to copy: sqlite:///absolute/path/vault.db
        #[arg(long, value_name = "URL")]
        from: String,
        /// The empty database to copy into: postgres://user:password@host:5432/database
        #[arg(long, value_name = "URL")]
        to: String,
        #[command(flatten)]
        keys: KeyArgs,
    },
}

pub async fn run(args: AdminArgs) -> Result<()> {
    match args.command {
        AdminCommand::GenKey => {
            println!("{}", MasterKey::generate_base64().expose_secret());
        }
        AdminCommand::Init { db, keys, org, admin } => {
            // The key seals the audit chain key, under which the first events are linked.
            let keyring = keys.keyring()?;
            let token = vault::admin_init(&db.database, &keyring, &org, &admin).await?;
            eprintln!("initialised org {org:?} with admin {admin:?}. The admin token (shown once):");
            println!("{}", token.expose_secret());
        }
        AdminCommand::CreateUser {
            db,
            keys,
            name,
            role,
            expires,
        } => {
            let keyring = keys.keyring()?;
            let role: Role = role.parse().map_err(color_eyre::eyre::Report::msg)?;
            let (code, expires_at) =
                vault::admin_create_user(&db.database, &keyring, &name, role, Some(expires)).await?;
            let expires_at = crate::api::timestamp::format(crate::vault::millis_to_datetime(expires_at));
            eprintln!(
                "created {role} {name:?}. Their enrolment code (shown once, single use, until {expires_at}); \
                 they run `vaultty login --url <server URL> --enroll` and paste it:"
            );
            println!("{}", code.expose_secret());
        }
        AdminCommand::Rekey { db, keys } => {
            let keyring = Arc::new(keys.keyring()?);
            let store = vault::open_store(&db.database, &keyring).await?;
            let report = vault::rekey(&store, keyring.clone()).await?;
            println!(
                "re-sealed {} version(s) under key {}; {} changed meanwhile and were left to their writers",
                report.resealed,
                keyring.primary().id(),
                report.skipped
            );
            for row in &report.unopenable {
                // Names come from the database: printed inert.
                eprintln!(
                    "not re-sealed: {} in {} version {}: {}",
                    super::format::printable(&row.name),
                    row.namespace,
                    row.version,
                    row.reason
                );
            }
            if !report.unopenable.is_empty() {
                bail!(
                    "{} version(s) did not open and were left as they were (listed above)",
                    report.unopenable.len()
                );
            }
        }
        AdminCommand::AuditVerify { db, keys, expect_head } => {
            audit_verify(&db.database, &keys.keyring()?, expect_head).await?;
        }
        AdminCommand::Migrate { from, to, keys } => {
            let report = vault::migrate_sqlite_to_postgres(&from, &to, &keys.keyring()?).await?;
            for (table, rows) in &report.copied.tables {
                eprintln!("copied {rows} row(s) of {table}");
            }
            println!(
                "migrated to {}: audit chain verified on both sides, {} event(s)",
                report.target, report.events
            );
            if let Some((id, hash)) = report.head {
                println!("head {}", Head { id, hash });
            }
        }
    }
    Ok(())
}

/// An audit event's id and link, as `audit-verify` prints and `--expect-head` takes them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Head {
    id: i64,
    hash: [u8; 32],
}

impl std::fmt::Display for Head {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:", self.id)?;
        self.hash.iter().try_for_each(|b| write!(f, "{b:02x}"))
    }
}

fn parse_head(text: &str) -> Result<Head, String> {
    let bad = || "expected ID:HASH, as `audit-verify` prints it (an event id, then 64 hex digits)".to_owned();
    let (id, hex) = text.split_once(':').ok_or_else(bad)?;
    let id: i64 = id.parse().ok().filter(|id| *id > 0).ok_or_else(bad)?;
    if hex.len() != 64 || !hex.is_ascii() {
        return Err(bad());
    }
    let mut hash = [0u8; 32];
    for (i, byte) in hash.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).map_err(|_| bad())?;
    }
    Ok(Head { id, hash })
}

/// Verifies without keying: a chain not keyed yet is checked with its legacy links and left as it is.
async fn audit_verify(database: &str, keyring: &Keyring, expect: Option<Head>) -> Result<()> {
    let store = vault::open_store_with(database, keyring, vault::ChainOpen::Existing).await?;
    let report = vault::audit_verify(&store).await?;
    if let Some(id) = report.first_broken {
        bail!("audit chain broken at event {id} ({} event(s) read)", report.events);
    }
    // Every event before `keyed_from` existed when the chain was keyed: a log that ends earlier
    // was cut, even without a head noted to compare with.
    let last = report.head.map_or(0, |(id, _)| id);
    if let Some(from) = report.keyed_from.filter(|from| last < from - 1) {
        bail!(
            "the chain was cut: it was keyed after event {}, but the log ends at {last}",
            from - 1
        );
    }
    let keyed = match report.keyed_from {
        Some(1) => "all keyed".to_owned(),
        Some(from) => format!("events before {from} linked before the chain was keyed"),
        None => "not keyed yet: the next start of a writer keys it".to_owned(),
    };
    println!("audit chain intact: {} event(s) verified ({keyed})", report.events);
    if let Some((id, hash)) = report.head {
        println!("head {}", Head { id, hash });
    }
    if let Some(expected) = expect {
        match vault::check_head(&store, expected.id, &expected.hash).await? {
            vault::HeadCheck::Holds => println!("expected head {} held", expected.id),
            vault::HeadCheck::Missing => bail!(
                "the chain was cut before the expected head: event {} is gone (the log ends at {})",
                expected.id,
                report.head.map_or(0, |h| h.0)
            ),
            vault::HeadCheck::Differs => bail!(
                "the expected head does not hold: event {} has another hash (rewritten, with the chain after it)",
                expected.id
            ),
        }
    }
    Ok(())
}
