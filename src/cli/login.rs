//! `vaultty login --url URL`: checks a token against `/v1/me` and saves it as a profile.

use clap::Args;
use secrecy::{ExposeSecret, SecretString};
use serde_json::json;

use crate::cli::format::{print, print_json, printable};
use crate::cli::input::read_secret;
use crate::cli::{CliError, CliResult, Ctx, ExitClass};
use crate::client::{Agent, ClientError, ClientOptions, VaultClient};
use crate::config::{self, DEFAULT_PROFILE, Env, Profile};

#[derive(Debug, Args)]
#[command(
    after_help = "The token is read from a hidden prompt, or from standard input when piped, never from the\n\
                        command line. Examples:\n  \
                        vaultty login --url https://vault.example.com\n  \
                        vaultty login --profile work --url https://vault.work.example < token.txt\n\n\
                        Use a profile with --profile NAME or VAULTTY_PROFILE=NAME; `default` is used otherwise."
)]
pub struct LoginArgs {}

pub async fn run(ctx: &Ctx, _args: LoginArgs) -> CliResult<()> {
    let env = Env::from_process();
    let paths = config::Paths::resolve(&env)?;
    let name = profile_name(ctx, &env);
    let stored = config::list_profiles(&paths)?.into_iter().find(|p| p.name == name);
    let url = ctx
        .global
        .url
        .clone()
        .or_else(|| env.url.clone())
        .or_else(|| stored.as_ref().map(|p| p.url.clone()))
        .ok_or_else(|| {
            CliError::usage("which server? pass --url URL, e.g. `vaultty login --url https://vault.example.com`")
        })?;
    // A stored allowance was given for the profile's host only, never for a new --url.
    let allow_insecure_http = ctx.global.allow_insecure_http
        || stored.is_some_and(|p| p.allow_insecure_http && config::same_host(&p.url, &url));
    let token = read_secret(&format!("Token for {url} (input hidden): "))?;
    let token = SecretString::from(token.expose_secret().trim().to_owned());
    if token.expose_secret().is_empty() {
        return Err(CliError::invalid(
            "no token given; paste the token your admin gave you (it starts with vt_)",
        ));
    }
    let opts = ClientOptions {
        agent: Agent::Cli,
        allow_insecure_http,
        ..ClientOptions::default()
    };
    let client = VaultClient::new(&url, Some(token.clone()), opts)?;
    let me = client.me().await.map_err(|e| match e {
        ClientError::Unauthorized(_) => CliError::new(
            ExitClass::Denied,
            format!("{url} refused the token (wrong, expired or revoked); nothing was saved"),
        ),
        other => CliError::from(other).context("cannot check the token; nothing was saved"),
    })?;
    config::save_profile(
        &paths,
        &Profile {
            name: name.clone(),
            url: url.clone(),
            token: Some(token),
            allow_insecure_http,
        },
    )?;
    if ctx.json() {
        return print_json(&json!({ "profile": name, "url": url, "user": me.user, "org": me.org, "role": me.role }));
    }
    print(&format!(
        "Logged in to {url} as {} ({} of {}); saved as the profile {name:?}.\n",
        printable(&me.user),
        me.role,
        printable(&me.org)
    ))
}

/// `--profile`, else `VAULTTY_PROFILE`, else `default`.
pub(crate) fn profile_name(ctx: &Ctx, env: &Env) -> String {
    ctx.global
        .profile
        .clone()
        .or_else(|| env.profile.clone())
        .unwrap_or_else(|| DEFAULT_PROFILE.to_owned())
}
