//! `vaultty export`: every value you can use (`/v1/env`), as a `.env` file, JSON or shell exports.

use clap::{Args, ValueEnum};
use secrecy::ExposeSecret;
use zeroize::Zeroizing;

use crate::api::Scope;
use crate::cli::format::print;
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
                        which hands them to a program without writing them anywhere."
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
    let env = with_connection(ctx, async |conn| Ok(conn.client.env(args.scope).await?)).await?;
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
