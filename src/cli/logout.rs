//! `vaultty logout`: removes the stored token of a profile (its URL stays for the next login).
//! With `--revoke`, the token is first revoked on the server, so a copy of it elsewhere stops
//! working too.

use clap::Args;
use serde_json::json;

use crate::cli::format::{print, print_json};
use crate::cli::{CliError, CliResult, Ctx, ExitClass};
use crate::client::{Agent, ClientError, ClientOptions, FailureClass, VaultClient};
use crate::config::{self, Env};

#[derive(Debug, Args)]
#[command(
    after_help = "Without --revoke the token stays valid on the server: revoke it yourself with\n\
                        `vaultty token revoke ID`, or an admin can with `vaultty user revoke USER ID`."
)]
pub struct LogoutArgs {
    /// Revoke the token on the server (and every token it created) before forgetting it
    #[arg(long)]
    pub revoke: bool,
}

/// What `--revoke` found on the server.
enum Revoked {
    /// Revoked now, by its id.
    Now(String),
    /// The server already refused the token (revoked, expired, or its user disabled).
    AlreadyRefused,
}

pub async fn run(ctx: &Ctx, args: LogoutArgs) -> CliResult<()> {
    let env = Env::from_process();
    let paths = config::Paths::resolve(&env)?;
    let name = super::login::profile_name(ctx, &env);
    let revoked = if args.revoke {
        revoke(ctx, &paths, &name).await?
    } else {
        None
    };
    let removed = config::remove_token(&paths, &name)?;
    if ctx.json() {
        let (revoked_id, already) = match &revoked {
            Some(Revoked::Now(id)) => (Some(id.as_str()), false),
            Some(Revoked::AlreadyRefused) => (None, true),
            None => (None, false),
        };
        return print_json(&json!({
            "profile": name,
            "removed": removed,
            "revoked": revoked_id,
            "already_refused": already,
        }));
    }
    let mut text = match revoked {
        Some(Revoked::Now(id)) => {
            format!("Revoked the token {id} of the profile {name:?} on the server (and every token it created).\n")
        }
        Some(Revoked::AlreadyRefused) => {
            "The server already refuses this token (revoked, expired, or the account is disabled); nothing \
             left to revoke.\n"
                .to_owned()
        }
        None => String::new(),
    };
    if removed {
        text.push_str(&format!("Removed the token of the profile {name:?}.\n"));
    } else {
        text.push_str(&format!("The profile {name:?} had no stored token; nothing to do.\n"));
    }
    print(&text)
}

/// Revokes the profile's stored token on its own server (never `VAULTTY_TOKEN`, never another
/// URL: it is the stored token that is about to be forgotten). `None` when there is no stored
/// token. Any failure but a 401 keeps the token, so nothing is forgotten that still works.
async fn revoke(ctx: &Ctx, paths: &config::Paths, name: &str) -> CliResult<Option<Revoked>> {
    if !config::list_profiles(paths)?
        .iter()
        .any(|p| p.name == name && p.has_token)
    {
        return Ok(None);
    }
    let stored_only = Env {
        url: None,
        token: None,
        profile: None,
        ..Env::from_process()
    };
    let Some(profile) = config::load_profile_with(paths, Some(name), &stored_only)? else {
        return Ok(None);
    };
    let Some(token) = profile.token else {
        return Ok(None);
    };
    let opts = ClientOptions {
        agent: Agent::Cli,
        allow_insecure_http: ctx.global.allow_insecure_http || profile.allow_insecure_http,
        ca_cert: ctx.global.ca_cert.clone().or(profile.ca_cert),
        ..ClientOptions::default()
    };
    let client = VaultClient::new(&profile.url, Some(token), opts)?;
    let result = async {
        let tokens = client.list_tokens().await?;
        let Some(current) = tokens.into_iter().find(|t| t.current) else {
            // The server lists every live token of the caller, so this does not happen.
            return Err(ClientError::Server {
                status: 200,
                message: "the server did not mark the token in use".into(),
            });
        };
        client.revoke_token(&current.id).await?;
        Ok(current.id)
    }
    .await;
    match result {
        Ok(id) => Ok(Some(Revoked::Now(id))),
        Err(e) if e.class() == FailureClass::Unauthorized => Ok(Some(Revoked::AlreadyRefused)),
        Err(e) if e.class() == FailureClass::Unreachable => Err(CliError::new(
            ExitClass::Unreachable,
            format!(
                "{e}; nothing was revoked and the token is still saved (run `vaultty logout` without \
                 --revoke to forget it here only)"
            ),
        )),
        Err(e) => Err(CliError::from(e).context("nothing was revoked and the token is still saved")),
    }
}
