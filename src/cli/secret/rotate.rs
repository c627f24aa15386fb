//! `vaultty secret rotate NAME`: a new value for an existing secret, written with check-and-set
//! (`expectedVersion`) so that a rotation made meanwhile by someone else is not overwritten.

use clap::Args;
use serde_json::json;

use crate::api::{UpsertSecret, Visibility};
use crate::cli::format::{print, print_json, printable};
use crate::cli::input::{check_name, read_value};
use crate::cli::{CliError, CliResult, Ctx, ExitClass, with_connection};
use crate::client::ClientError;
use crate::crypto::{Alphabet, generate_value};

#[derive(Debug, Args)]
#[command(
    after_help = "The new value is read from a hidden prompt or standard input, unless --generate is given.\n\
                        Examples:\n  vaultty secret rotate DB_PASSWORD --generate\n  \
                        vaultty secret rotate OPENAI_API_KEY < new-key.txt"
)]
pub struct RotateArgs {
    /// The secret to rotate
    pub name: String,
    /// Rotate the organisation's shared secret of that name (admins only)
    #[arg(long)]
    pub org_wide: bool,
    /// Generate a random value of LEN letters and digits (default 32) instead of reading one
    #[arg(long, value_name = "LEN", num_args = 0..=1, default_missing_value = "32",
          value_parser = clap::value_parser!(u16).range(8..=4096))]
    pub generate: Option<u16>,
}

pub async fn run(ctx: &Ctx, args: RotateArgs) -> CliResult<()> {
    check_name(&args.name)?;
    let meta = with_connection(ctx, async |conn| {
        let current = conn.client.get_secret(&args.name, args.org_wide).await?;
        // A read falls back to the org's secret when you have none of your own, but a write never
        // does: rotating without --org-wide would create a private secret instead.
        if current.visibility == Visibility::Org && !args.org_wide {
            return Err(CliError::not_found(format!(
                "you have no private secret named {0}; to rotate the org-shared one, run `vaultty secret rotate {0} --org-wide`",
                args.name
            )));
        }
        let value = match args.generate {
            Some(len) => generate_value(usize::from(len), Alphabet::Alphanumeric),
            None => read_value(&args.name)?,
        };
        let mut req = UpsertSecret::new(args.name.clone(), value);
        req.org_wide = args.org_wide.then_some(true);
        req.expected_version = Some(current.version);
        match conn.client.upsert_secret(&req).await {
            Ok((meta, _)) => Ok(meta),
            Err(ClientError::Conflict { current_version, .. }) => {
                Err(conflict(&args.name, current.version, current_version))
            }
            Err(ClientError::NotFound(_)) => Err(CliError::not_found(format!(
                "{} was deleted while you were rotating it; nothing was written",
                args.name
            ))),
            Err(e) => Err(e.into()),
        }
    })
    .await?;
    if ctx.json() {
        return print_json(&json!({ "action": "rotated", "generated": args.generate.is_some(), "secret": meta }));
    }
    let mut line = format!(
        "Rotated {} to version {} ({})",
        printable(&meta.name),
        meta.version,
        printable(&meta.preview)
    );
    if args.generate.is_some() && !meta.revealable {
        line.push_str("; the generated value is write-only: `vaultty run` delivers it");
    } else if args.generate.is_some() {
        line.push_str(&format!(
            "; the generated value was not printed: `vaultty secret get {}{} --copy` copies it",
            meta.name,
            if args.org_wide { " --org-wide" } else { "" }
        ));
    }
    print(&format!("{line}\n"))
}

/// Someone rotated between our read and our write: nothing was written, and the user is told how
/// to look before trying again.
fn conflict(name: &str, read: i64, now: Option<i64>) -> CliError {
    let now = now.map_or_else(|| "newer".to_owned(), |v| format!("version {v}"));
    CliError::new(
        ExitClass::Conflict,
        format!(
            "{name} was changed by someone else while you were rotating it (it was version {read}, it is now \
             {now}); nothing was written: check it with `vaultty secret history {name}` and run the command again"
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_conflict_says_what_happened_and_exits_5() {
        let e = conflict("DB_PASSWORD", 3, Some(4));
        assert_eq!(e.class.code(), 5);
        assert!(
            e.message.contains("version 3") && e.message.contains("version 4"),
            "{e}"
        );
        assert!(e.message.contains("nothing was written"), "{e}");
    }
}
