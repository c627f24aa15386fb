//! `vaultty import`: secrets from elsewhere, from one of two sources (exactly one is given):
//! a `.env` file ([`dotenv_file`]) or a KV v2 mount of HashiCorp Vault or OpenBao
//! ([`from_vault`], which reads through [`vault_kv`] and decides through [`plan`]).

mod dotenv_file;
mod from_vault;
mod plan;
mod vault_kv;

use std::path::PathBuf;

use clap::{ArgGroup, Args};

use crate::api::{Category, UpsertSecret};
use crate::cli::{CliResult, Ctx, category_parser};

#[derive(Debug, Args)]
#[command(
    group(ArgGroup::new("source").required(true).args(["file", "from_vault"])),
    after_help = "From a file: NAME=value lines; quotes, `export ` prefixes and # comments are understood,\n\
                  and $VARIABLES are not expanded. Names already in the vault get a new version.\n\n\
                  From Vault or OpenBao (KV version 2): each key of each entry becomes a secret of that name.\n\
                  The token comes from VAULT_TOKEN or BAO_TOKEN, or a hidden prompt. --path's first segment\n\
                  is the mount unless --mount names it. Names already in vaultty are reported and skipped\n\
                  (never overwritten), as are names that break the name rules, keys two entries both hold,\n\
                  and values that are not non-empty strings. Examples:\n  \
                  vaultty import .env\n  \
                  vaultty import --from-vault https://vault.example.com --path secret/app --dry-run\n  \
                  vaultty import --from-vault http://127.0.0.1:8200 --path secret/team --recursive"
)]
pub struct ImportArgs {
    /// The .env file to read (- for standard input)
    #[arg(value_name = "FILE.env")]
    pub file: Option<PathBuf>,
    /// Read from this HashiCorp Vault or OpenBao server instead of a file
    #[arg(long, value_name = "URL", requires = "path")]
    pub from_vault: Option<String>,
    /// The KV v2 entry (or with --recursive, folder) to read, mount first: secret/app
    #[arg(long, value_name = "MOUNT/PATH", requires = "from_vault")]
    pub path: Option<String>,
    /// The KV v2 mount, when it has a slash in it or --path should not start with it
    #[arg(long, value_name = "MOUNT", requires = "from_vault")]
    pub mount: Option<String>,
    /// Also read every entry in the folders under --path
    #[arg(long, requires = "from_vault")]
    pub recursive: bool,
    /// Say what would be created, and write nothing
    #[arg(long, requires = "from_vault")]
    pub dry_run: bool,
    /// Store them in the organisation's shared namespace (admins only)
    #[arg(long)]
    pub org_wide: bool,
    /// Category to give the imported secrets
    #[arg(long, value_parser = category_parser())]
    pub category: Option<Category>,
}

/// Where the imported secrets go, whatever their source.
pub(crate) struct Target {
    pub org_wide: bool,
    pub category: Option<Category>,
}

impl Target {
    fn apply(&self, req: &mut UpsertSecret) {
        req.org_wide = self.org_wide.then_some(true);
        req.category = self.category;
    }
}

pub async fn run(ctx: &Ctx, args: ImportArgs) -> CliResult<()> {
    let target = Target {
        org_wide: args.org_wide,
        category: args.category,
    };
    match (&args.file, &args.from_vault) {
        (Some(file), _) => dotenv_file::run(ctx, file, &target).await,
        (None, Some(url)) => {
            let source = from_vault::Source {
                url: url.clone(),
                path: args.path.clone().unwrap_or_default(),
                mount: args.mount.clone(),
                recursive: args.recursive,
            };
            from_vault::run(ctx, source, &target, args.dry_run).await
        }
        // clap's `source` group requires exactly one of them.
        (None, None) => Err(crate::cli::CliError::usage("pass FILE.env or --from-vault URL")),
    }
}
