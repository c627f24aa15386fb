//! `vaultty export`: every value you can use (`/v1/env`), as a `.env` file, JSON or shell exports.

use clap::{Args, ValueEnum};
use secrecy::ExposeSecret;
use zeroize::Zeroizing;

use crate::api::{EnvSkipped, Scope};
use crate::cli::format::{print, printable};
use crate::cli::{CliError, CliResult, Ctx, dotenv, scope_parser, with_connection};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// NAME='value' lines, readable by `vaultty import` and other .env readers
    Dotenv,
    /// One JSON object, {"NAME": "value", ...}
    Json,
    /// export NAME='value' lines, for `eval "$(vaultty export --format shell)"`
    Shell,
}

#[derive(Debug, Args)]
#[command(
    after_help = "This prints secret values: redirect it to a file you protect, or prefer `vaultty run`,\n\
                        which hands them to a program without writing them anywhere.\n\n\
                        Write-only secrets are left out (nobody reads them back; `vaultty run` still delivers\n\
                        them), and so are secrets whose stored value does not open; standard error names both."
)]
pub struct ExportArgs {
    /// Only secrets for this scope (and those for all scopes); without it, every secret you can use
    #[arg(long, value_parser = scope_parser())]
    pub scope: Option<Scope>,
    /// Output format (--json is the same as --format json)
    #[arg(long, value_enum, default_value_t = Format::Dotenv)]
    pub format: Format,
}

pub async fn run(ctx: &Ctx, args: ExportArgs) -> CliResult<()> {
    let answer = with_connection(ctx, async |conn| Ok(conn.client.env_answer(&crate::api::EnvRequest { scope: args.scope, provider: None }).await?)).await?;
    report_skipped(&answer.skipped);
    let mut env = answer.env;
    // Write-only means nobody reads the value back: printing it here would be exactly that. The
    // values stay deliverable to a program through `vaultty run`.
    env.retain(|name, _| !answer.write_only.contains(name));
    if !answer.write_only.is_empty() {
        eprintln!(
            "vaultty: left out, write-only: {} (only `vaultty run` delivers them)",
            printable(&answer.write_only.join(", "))
        );
    }
    let format = if ctx.json() { Format::Json } else { args.format };
    let text = Zeroizing::new(match format {
        Format::Json => {
            let map: serde_json::Map<String, serde_json::Value> =
                env.iter().map(|(k, v)| (k.clone(), v.expose_secret().into())).collect();
            let mut text = serde_json::to_string_pretty(&map)
                .map_err(|e| CliError::other(format!("cannot encode the output as JSON: {e}")))?;
            text.push('\n');
            text
        }
        Format::Dotenv => env
            .iter()
            .map(|(k, v)| format!("{k}={}\n", dotenv::quote(v.expose_secret())))
            .collect(),
        Format::Shell => env
            .iter()
            .map(|(k, v)| format!("export {k}={}\n", shell_quote(v.expose_secret())))
            .collect(),
    });
    print(&text)
}

/// Names on stderr the secrets `/v1/env` could not deliver, with the server's reason (names and
/// reasons come from the server, so they go through [`printable`]). Shared by `run` and `export`:
/// neither stops for them, since one bad row must not block the rest.
pub(super) fn report_skipped(skipped: &[EnvSkipped]) {
    for s in skipped {
        eprintln!(
            "vaultty: not delivered: {} ({}): {}",
            printable(&s.name),
            s.visibility,
            printable(&s.reason)
        );
    }
}

/// POSIX single quotes: everything literal, a `'` written as `'\''`.
pub fn shell_quote(value: &str) -> String {
    format!("'{}'", value.replace('\'', r"'\''"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shell_quoting_survives_a_real_shell() {
        let value = "it's $HOME `id` \"q\" \\ \n end";
        let out = std::process::Command::new("sh")
            .arg("-c")
            .arg(format!("printf %s {}", shell_quote(value)))
            .output()
            .unwrap();
        assert_eq!(String::from_utf8(out.stdout).unwrap(), value);
    }
}
