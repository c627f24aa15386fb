//! `vaultty login --url URL`: checks a token against `/v1/me` and saves it as a profile.
//! `vaultty login --url URL --enroll`: exchanges an admin's single-use enrolment code for the
//! user's first token (sent with no token), and saves that the same way.

use std::path::PathBuf;

use clap::Args;
use secrecy::{ExposeSecret, SecretString};
use serde_json::json;

use crate::cli::format::{print, print_json, printable};
use crate::cli::input::read_secret;
use crate::cli::{CliError, CliResult, Ctx, ExitClass};
use crate::client::{Agent, ClientError, ClientOptions, VaultClient};
use crate::config::{self, DEFAULT_PROFILE, Env, Profile, ProfileSummary};

#[derive(Debug, Args)]
#[command(
    after_help = "The token is read from a hidden prompt, or from standard input when piped, never from the\n\
                        command line. Examples:\n  \
                        vaultty login --url https://vault.example.com\n  \
                        vaultty login --profile work --url https://vault.work.example < token.txt\n\n\
                        Use a profile with --profile NAME or VAULTTY_PROFILE=NAME; `default` is used otherwise.\n\n\
                        A new member enrols with the code an admin made with `vaultty user add NAME`:\n  \
                        vaultty login --url https://vault.example.com --enroll"
)]
pub struct LoginArgs {
    /// Exchange an enrolment code (from your admin's `vaultty user add`) for your first token
    #[arg(long)]
    pub enroll: bool,
}

pub async fn run(ctx: &Ctx, args: LoginArgs) -> CliResult<()> {
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
        || stored
            .as_ref()
            .is_some_and(|p| p.allow_insecure_http && config::same_host(&p.url, &url));
    let ca_cert = ca_cert(ctx, &env, stored.as_ref(), &url)?;
    let access = Access {
        allow_insecure_http,
        ca_cert,
    };
    if args.enroll {
        return enroll(ctx, &paths, name, url, access).await;
    }
    let token = read_secret(&format!("Token for {url} (input hidden): "))?;
    let token = SecretString::from(token.expose_secret().trim().to_owned());
    if token.expose_secret().is_empty() {
        return Err(CliError::invalid(
            "no token given; paste the token your admin gave you (it starts with vt_)",
        ));
    }
    let client = VaultClient::new(&url, Some(token.clone()), access.client_options())?;
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
            allow_insecure_http: access.allow_insecure_http,
            ca_cert: access.ca_cert,
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

/// `login --enroll`: the code from standard input or a hidden prompt, exchanged with a client that
/// holds no token; the answer's token is saved like `login` saves one. Neither is ever printed.
async fn enroll(ctx: &Ctx, paths: &config::Paths, name: String, url: String, access: Access) -> CliResult<()> {
    let code = read_secret(&format!("Enrolment code for {url} (input hidden): "))?;
    let code = SecretString::from(code.expose_secret().trim().to_owned());
    if code.expose_secret().is_empty() {
        return Err(CliError::invalid(
            "no enrolment code given; paste the code your admin gave you (it starts with ve_)",
        ));
    }
    if code.expose_secret().starts_with("vt_") {
        return Err(CliError::invalid(
            "that is a token, not an enrolment code: run `vaultty login` without --enroll to save it",
        ));
    }
    let client = VaultClient::new(&url, None, access.client_options())?;
    let enrolled = client.enroll(code).await.map_err(|e| match e {
        ClientError::Unauthorized(_) => CliError::new(
            ExitClass::Denied,
            format!(
                "{url} refused the enrolment code (unknown, already used or expired, or the account is \
                 disabled); ask your admin for a new one; nothing was saved"
            ),
        ),
        other => CliError::from(other).context("cannot enrol; nothing was saved"),
    })?;
    config::save_profile(
        paths,
        &Profile {
            name: name.clone(),
            url: url.clone(),
            token: Some(enrolled.token),
            allow_insecure_http: access.allow_insecure_http,
            ca_cert: access.ca_cert,
        },
    )?;
    if ctx.json() {
        return print_json(&json!({
            "profile": name, "url": url, "user": enrolled.user, "org": enrolled.org,
            "role": enrolled.role, "token_id": enrolled.id,
        }));
    }
    print(&format!(
        "Enrolled as {} ({}) in {}; saved profile {name:?} for {url}.\n",
        printable(&enrolled.user),
        enrolled.role,
        printable(&enrolled.org)
    ))
}

/// How the profile reaches its server; checked by the login, then saved with it.
struct Access {
    allow_insecure_http: bool,
    ca_cert: Option<PathBuf>,
}

impl Access {
    fn client_options(&self) -> ClientOptions {
        ClientOptions {
            agent: Agent::Cli,
            allow_insecure_http: self.allow_insecure_http,
            ca_cert: self.ca_cert.clone(),
            ..ClientOptions::default()
        }
    }
}

/// The CA to trust and save: `--ca-cert`, else `VAULTTY_CA_CERT` (either made absolute, as the
/// profile is used from any directory), else the stored one if it was for this host.
fn ca_cert(ctx: &Ctx, env: &Env, stored: Option<&ProfileSummary>, url: &str) -> CliResult<Option<PathBuf>> {
    match ctx.global.ca_cert.as_ref().or(env.ca_cert.as_ref()) {
        Some(path) => std::path::absolute(path)
            .map(Some)
            .map_err(|e| CliError::usage(format!("cannot use the CA certificate {}: {e}", path.display()))),
        None => Ok(stored
            .filter(|p| config::same_host(&p.url, url))
            .and_then(|p| p.ca_cert.clone())),
    }
}

/// `--profile`, else `VAULTTY_PROFILE`, else `default`.
pub(crate) fn profile_name(ctx: &Ctx, env: &Env) -> String {
    ctx.global
        .profile
        .clone()
        .or_else(|| env.profile.clone())
        .unwrap_or_else(|| DEFAULT_PROFILE.to_owned())
}
