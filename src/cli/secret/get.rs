//! `vaultty secret get NAME`: the details, the value (`--reveal`), or the value on the clipboard
//! (`--copy`), cleared after a while if it is still there.

use std::io::IsTerminal;

use clap::Args;
use secrecy::ExposeSecret;
use time::OffsetDateTime;

use crate::api::{Revealed, SecretMeta, timestamp};
use crate::cli::format::{print, print_json, printable, relative};
use crate::cli::input::check_stored_name;
use crate::cli::{CliResult, Ctx, with_connection};

#[derive(Debug, Args)]
#[command(
    after_help = "Without --reveal or --copy, only the details are shown, never the value.\n\
                        When standard output is not a terminal, --reveal prints the bare value with no newline:\n  \
                        curl -H \"Authorization: Bearer $(vaultty secret get API_TOKEN --reveal)\" ..."
)]
pub struct GetArgs {
    /// The secret's name
    pub name: String,
    /// Read the organisation's shared secret of that name, even if you have a private one
    #[arg(long)]
    pub org_wide: bool,
    /// Print the value on standard output (the reveal is recorded in the audit log)
    #[arg(long, conflicts_with = "copy")]
    pub reveal: bool,
    /// Put the value on the clipboard, and clear it after --clear-after seconds
    #[arg(long)]
    pub copy: bool,
    /// With --copy: seconds before the clipboard is cleared, if it still holds the value (0: never)
    #[arg(long, value_name = "SECS", default_value_t = 30, requires = "copy")]
    pub clear_after: u64,
}

pub async fn run(ctx: &Ctx, args: GetArgs) -> CliResult<()> {
    check_stored_name(&args.name)?;
    if !args.reveal && !args.copy {
        let meta = with_connection(ctx, async |conn| {
            Ok(conn.client.get_secret(&args.name, args.org_wide).await?)
        })
        .await?;
        return if ctx.json() {
            print_json(&meta)
        } else {
            print(&details(&meta, OffsetDateTime::now_utc()))
        };
    }
    let revealed = with_connection(ctx, async |conn| {
        Ok(conn.client.reveal(&args.name, args.org_wide, None).await?)
    })
    .await?;
    if args.copy {
        return super::copy::copy_and_hold(&revealed, args.clear_after, ctx.json()).await;
    }
    if ctx.json() {
        return print_json(&revealed);
    }
    print_value(&revealed)
}

/// The bare value when piped (so `$(...)` and `| pbcopy` get exactly it); a newline after it on a
/// terminal so the prompt does not run into it.
fn print_value(revealed: &Revealed) -> CliResult<()> {
    let value = revealed.value.expose_secret();
    if std::io::stdout().is_terminal() {
        print(&format!("{value}\n"))
    } else {
        print(value)
    }
}

fn details(m: &SecretMeta, now: OffsetDateTime) -> String {
    let when = |t: Option<OffsetDateTime>, by: Option<&str>| match t {
        None => "never".to_owned(),
        Some(t) => {
            let by = by.map(|b| format!(" by {b}")).unwrap_or_default();
            format!("{} ({}){by}", relative(now, Some(t)), timestamp::format(t))
        }
    };
    let lines = [
        ("name", m.name.to_string()),
        ("visibility", super::where_it_lives(m)),
        ("category", m.category.to_string()),
        ("scope", m.scope.to_string()),
        ("provider", m.provider.as_deref().unwrap_or("-").to_owned()),
        ("description", m.description.as_deref().unwrap_or("-").to_owned()),
        ("preview", m.preview.to_string()),
        ("version", m.version.to_string()),
        (
            "revealable",
            if m.revealable {
                "yes".to_owned()
            } else {
                "no (write-only: delivered by `vaultty run`, never shown)".to_owned()
            },
        ),
        ("created", when(Some(m.created_at), m.created_by.as_deref())),
        ("rotated", when(m.rotated_at, m.rotated_by.as_deref())),
        ("last used", when(m.last_used_at, None)),
    ];
    lines
        .iter()
        .map(|(k, v)| format!("{:<13}{}\n", format!("{k}:"), printable(v)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::{Category, Scope, Visibility};

    #[test]
    fn details_never_hold_more_than_the_preview() {
        let now = OffsetDateTime::now_utc();
        let m = SecretMeta {
            name: "K".into(),
            category: Category::Custom,
            scope: Scope::Agents,
            visibility: Visibility::Org,
            owner: None,
            description: None,
            preview: "****".into(),
            version: 1,
            revealable: false,
            created_at: now - time::Duration::hours(2),
            rotated_at: None,
            last_used_at: None,
            created_by: Some("root".into()),
            rotated_by: None,
            provider: None,
        };
        let text = details(&m, now);
        assert!(text.contains("shared with the org"), "{text}");
        assert!(text.contains("2h ago") && text.contains("by root"), "{text}");
        assert!(text.contains("rotated:     never"), "{text}");
        assert!(text.contains("write-only"), "{text}");
    }
}
