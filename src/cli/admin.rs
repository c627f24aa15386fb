//! `vaultty admin`: work on the database directly, for the first start and for recovery.

use std::sync::Arc;

use clap::{Args, Subcommand};
use color_eyre::eyre::{Result, bail};
use secrecy::ExposeSecret;

use super::keys::{DatabaseArgs, KeyArgs};
use crate::api::Role;
use crate::crypto::MasterKey;
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
    /// Create a user and print their first token once.
    CreateUser {
        #[command(flatten)]
        db: DatabaseArgs,
        #[command(flatten)]
        keys: KeyArgs,
        name: String,
        #[arg(long, default_value = "member", value_parser = ["admin", "member"])]
        role: String,
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
    /// Check the audit log's hash chain and report the first broken link, if any.
    AuditVerify {
        #[command(flatten)]
        db: DatabaseArgs,
    },
}

pub async fn run(args: AdminArgs) -> Result<()> {
    match args.command {
        AdminCommand::GenKey => {
            println!("{}", MasterKey::generate_base64().expose_secret());
        }
        AdminCommand::Init { db, keys, org, admin } => {
            // The key is not needed to initialise, but refusing here spares a server that cannot start.
            keys.keyring()?;
            let token = vault::admin_init(&db.database, &org, &admin).await?;
            eprintln!("initialised org {org:?} with admin {admin:?}. The admin token (shown once):");
            println!("{}", token.expose_secret());
        }
        AdminCommand::CreateUser { db, keys, name, role } => {
            keys.keyring()?;
            let role: Role = role.parse().map_err(color_eyre::eyre::Report::msg)?;
            let token = vault::admin_create_user(&db.database, &name, role).await?;
            eprintln!("created {role} {name:?}. Their token (shown once):");
            println!("{}", token.expose_secret());
        }
        AdminCommand::Rekey { db, keys } => {
            let keyring = Arc::new(keys.keyring()?);
            let store = vault::open_store(&db.database).await?;
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
        AdminCommand::AuditVerify { db } => {
            let store = vault::open_store(&db.database).await?;
            let report = vault::audit_verify(&store).await?;
            match report.first_broken {
                None => println!("audit chain intact: {} event(s) verified", report.events),
                Some(id) => bail!("audit chain broken at event {id} ({} event(s) read)", report.events),
            }
        }
    }
    Ok(())
}
