//! `vaultty user ...` (admins): add members with an enrolment code, list them, disable, enable,
//! change roles, and see or revoke their tokens. The admin never holds a member's token: `add` and
//! `enrol` give a single-use code the member exchanges with `vaultty login --enroll`.

use clap::{Args, Subcommand};
use secrecy::ExposeSecret;
use serde_json::json;
use time::OffsetDateTime;

use crate::api::{CreateUser, Enrolment, NewEnrolment, PatchUser, RevokedTokens, Role, TokenList, UserInfo, UserList};
use crate::cli::duration::parse_lifetime;
use crate::cli::format::{Column, output_width, print, print_json, printable, relative, render_table, until};
use crate::cli::{CliResult, Ctx, with_connection};
use crate::local::Target;

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// List the org's users: role, status, last seen, live tokens
    List,
    /// Add a user and print their single-use enrolment code (once, on standard output)
    #[command(
        after_help = "The code goes to standard output alone, so it can be piped; who it is for, when it\n\
                      expires and the member's next step go to standard error. The member runs\n  \
                      vaultty login --url URL --enroll\n\
                      and pastes the code. You never see their token."
    )]
    Add(AddArgs),
    /// A new enrolment code for a user who has not enrolled yet (earlier codes stop working)
    Enrol(EnrolArgs),
    /// Disable a user: all their tokens are refused at once; their secrets stay as they are
    Disable(NameArg),
    /// Enable a disabled user again: their existing tokens work again
    Enable(NameArg),
    /// Make a user an admin or a member
    Role(RoleArgs),
    /// List a user's live tokens (never the tokens themselves)
    Tokens(NameArg),
    /// Revoke one of a user's tokens (and every token it created), or all of them
    Revoke(RevokeArgs),
}

#[derive(Debug, Args)]
pub struct AddArgs {
    /// The new user's name (lowercase letters, digits, `_`, `.`, `-`)
    pub name: String,
    /// Make the user an admin (default: member)
    #[arg(long)]
    pub admin: bool,
    /// How long the enrolment code stays usable: 90s, 15m, 24h, 30d (default 24h, at most 30d)
    #[arg(long, value_name = "LIFETIME", value_parser = parse_lifetime)]
    pub expires: Option<u64>,
}

#[derive(Debug, Args)]
pub struct EnrolArgs {
    /// A user who has not enrolled yet
    pub name: String,
    /// How long the enrolment code stays usable: 90s, 15m, 24h, 30d (default 24h, at most 30d)
    #[arg(long, value_name = "LIFETIME", value_parser = parse_lifetime)]
    pub expires: Option<u64>,
}

#[derive(Debug, Args)]
pub struct NameArg {
    /// The user's name
    pub name: String,
}

#[derive(Debug, Args)]
pub struct RoleArgs {
    /// The user's name
    pub name: String,
    /// The new role
    #[arg(value_parser = role_parser())]
    pub role: Role,
}

#[derive(Debug, Args)]
#[command(
    group = clap::ArgGroup::new("which").required(true).args(["id", "all"]),
    override_usage = "vaultty user revoke NAME (TOKEN_ID | --all)"
)]
pub struct RevokeArgs {
    /// The user's name
    pub name: String,
    /// The token's id (`tok_...`, from `vaultty user tokens NAME`)
    #[arg(value_name = "TOKEN_ID")]
    pub id: Option<String>,
    /// Revoke every live token of the user
    #[arg(long)]
    pub all: bool,
}

fn role_parser() -> impl clap::builder::TypedValueParser<Value = Role> {
    use clap::builder::{PossibleValuesParser, TypedValueParser};
    PossibleValuesParser::new(Role::ALL.iter().map(|r| r.as_str())).try_map(|s| s.parse::<Role>())
}

pub async fn run(ctx: &Ctx, cmd: UserCommand) -> CliResult<()> {
    match cmd {
        UserCommand::List => list(ctx).await,
        UserCommand::Add(args) => {
            let req = CreateUser {
                name: args.name,
                role: if args.admin { Role::Admin } else { Role::Member },
                expires_in: args.expires,
            };
            let (enrolment, target) = with_connection(ctx, async |conn| {
                Ok((conn.client.create_user(&req).await?, conn.target.clone()))
            })
            .await?;
            show_enrolment(ctx, &enrolment, &target, "Added")
        }
        UserCommand::Enrol(args) => {
            let req = NewEnrolment {
                expires_in: args.expires,
            };
            let (enrolment, target) = with_connection(ctx, async |conn| {
                Ok((conn.client.new_enrolment(&args.name, &req).await?, conn.target.clone()))
            })
            .await?;
            show_enrolment(ctx, &enrolment, &target, "New enrolment code for")
        }
        UserCommand::Disable(NameArg { name }) => {
            let patch = PatchUser {
                disabled: Some(true),
                ..PatchUser::default()
            };
            let user = patch_user(ctx, &name, &patch).await?;
            if ctx.json() {
                return print_json(&user);
            }
            print(&format!(
                "Disabled {}: every one of their tokens is refused from now on. Their secrets stay as they \
                 are; `vaultty user enable {}` restores access with the same tokens.\n",
                printable(&user.name),
                printable(&user.name)
            ))
        }
        UserCommand::Enable(NameArg { name }) => {
            let patch = PatchUser {
                disabled: Some(false),
                ..PatchUser::default()
            };
            let user = patch_user(ctx, &name, &patch).await?;
            if ctx.json() {
                return print_json(&user);
            }
            print(&format!(
                "Enabled {}: their tokens work again.\n",
                printable(&user.name)
            ))
        }
        UserCommand::Role(RoleArgs { name, role }) => {
            let patch = PatchUser {
                role: Some(role),
                ..PatchUser::default()
            };
            let user = patch_user(ctx, &name, &patch).await?;
            if ctx.json() {
                return print_json(&user);
            }
            print(&format!("{} is now {}.\n", printable(&user.name), user.role))
        }
        UserCommand::Tokens(NameArg { name }) => {
            let tokens = with_connection(ctx, async |conn| Ok(conn.client.user_tokens(&name).await?)).await?;
            if ctx.json() {
                return print_json(&TokenList { tokens });
            }
            if tokens.is_empty() {
                eprintln!("{} has no live tokens.", printable(&name));
                return Ok(());
            }
            print(&super::token::table(
                &tokens,
                false,
                OffsetDateTime::now_utc(),
                output_width(),
            ))
        }
        UserCommand::Revoke(RevokeArgs { name, id, all }) => revoke(ctx, &name, id.as_deref(), all).await,
    }
}

async fn patch_user(ctx: &Ctx, name: &str, patch: &PatchUser) -> CliResult<UserInfo> {
    with_connection(ctx, async |conn| Ok(conn.client.patch_user(name, patch).await?)).await
}

async fn list(ctx: &Ctx) -> CliResult<()> {
    let users = with_connection(ctx, async |conn| Ok(conn.client.list_users().await?)).await?;
    if ctx.json() {
        return print_json(&UserList { users });
    }
    print(&users_table(&users, OffsetDateTime::now_utc(), output_width()))
}

fn status(u: &UserInfo) -> &'static str {
    match (u.disabled, u.enrolled) {
        (true, _) => "disabled",
        (false, false) => "pending enrolment",
        (false, true) => "active",
    }
}

fn users_table(users: &[UserInfo], now: OffsetDateTime, width: Option<usize>) -> String {
    let columns = [
        Column::shrinking("NAME", 8, 1),
        Column::fixed("ROLE"),
        Column::fixed("STATUS"),
        Column::fixed("LAST SEEN"),
        Column::fixed("TOKENS"),
        Column::shrinking("CREATED", 0, 0),
    ];
    let rows: Vec<Vec<String>> = users
        .iter()
        .map(|u| {
            vec![
                u.name.clone(),
                u.role.to_string(),
                status(u).to_owned(),
                relative(now, u.last_seen_at),
                u.tokens.to_string(),
                relative(now, Some(u.created_at)),
            ]
        })
        .collect();
    render_table(&columns, &rows, width)
}

/// The code alone on standard output (to pipe it to the member's channel), and on standard error
/// who it is for, when it expires and what the member runs next. The code never goes to stderr.
fn show_enrolment(ctx: &Ctx, e: &Enrolment, target: &Target, verb: &str) -> CliResult<()> {
    if ctx.json() {
        return print_json(e);
    }
    let name = printable(&e.user);
    let now = OffsetDateTime::now_utc();
    let next = match target {
        Target::Remote { url, .. } => format!(
            "Send it to {name} privately; {name} then runs\n  vaultty login --url {url} --enroll\nand pastes \
             the code (or pipes it in).\n"
        ),
        Target::Local { .. } => "Note: this is the local vault on this machine, not a server: the code only works \
                                 against a server others can reach (`vaultty serve`).\n"
            .to_owned(),
    };
    eprint!(
        "{verb} {name} ({}). The single-use enrolment code is on standard output, shown once; it expires {} \
         ({}).\n{next}",
        e.role,
        crate::api::timestamp::format(e.expires_at),
        until(now, Some(e.expires_at)),
    );
    print(&format!("{}\n", e.code.expose_secret()))
}

async fn revoke(ctx: &Ctx, name: &str, id: Option<&str>, all: bool) -> CliResult<()> {
    let who = printable(name).into_owned();
    if all {
        let RevokedTokens { revoked } =
            with_connection(ctx, async |conn| Ok(conn.client.revoke_user_tokens(name).await?)).await?;
        if ctx.json() {
            return print_json(&RevokedTokens { revoked });
        }
        let noun = if revoked == 1 { "token" } else { "tokens" };
        return print(&format!("Revoked {revoked} {noun} of {who}.\n"));
    }
    let Some(id) = id else {
        return Err(crate::cli::CliError::usage("name a token id, or pass --all"));
    };
    with_connection(ctx, async |conn| Ok(conn.client.revoke_user_token(name, id).await?)).await?;
    if ctx.json() {
        return print_json(&json!({ "user": name, "id": id }));
    }
    print(&format!(
        "Revoked the token {} of {who}, and every token it created.\n",
        printable(id)
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn users_show_their_status() {
        let now = OffsetDateTime::now_utc();
        let user = |name: &str, disabled, enrolled| UserInfo {
            name: name.into(),
            role: Role::Member,
            disabled,
            enrolled,
            created_at: now,
            last_seen_at: None,
            tokens: 0,
        };
        let out = users_table(
            &[
                user("bob", false, true),
                user("carol", false, false),
                user("dave", true, true),
            ],
            now,
            None,
        );
        assert!(
            out.contains("active") && out.contains("pending enrolment") && out.contains("disabled"),
            "{out}"
        );
        assert!(out.contains("never") && out.contains("LAST SEEN"), "{out}");
    }
}
