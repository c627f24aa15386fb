//! `vaultty token list|create|revoke`: one's own tokens. A token made here never outlives the
//! token that makes it, and revoking a token revokes every token it created.

use clap::{Args, Subcommand};
use secrecy::ExposeSecret;
use serde_json::json;
use time::{Duration, OffsetDateTime};

use crate::api::{CreateToken, Scope, TokenInfo, TokenKind, TokenList, timestamp};
use crate::cli::duration::parse_lifetime;
use crate::cli::format::{Column, output_width, print, print_json, printable, relative, render_table, until};
use crate::cli::{CliError, CliResult, Ctx, scope_parser, with_connection};

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// List your live tokens; the one this command uses is marked
    List,
    /// Create a token (for a script or CI job) and print it once on standard output
    #[command(
        after_help = "The token goes to standard output alone, so it can be piped; its expiry goes to\n\
                      standard error. It never outlives the token that creates it: a longer --expires\n\
                      is capped, and without --expires it expires with the current token.\n\n\
                      --runner makes a delivery-only runner token (vr_...) for a CI job or an agent sandbox:\n\
                      it fetches the secrets of one scope and namespace (`vaultty run`, `run --watch`) and\n\
                      can do nothing else. Example:\n  \
                      vaultty token create --runner --scope agents --org --expires 30d ci-agents"
    )]
    Create(CreateArgs),
    /// Revoke one of your tokens, and every token it created
    Revoke(RevokeArgs),
}

#[derive(Debug, Args)]
pub struct CreateArgs {
    /// A name to recognise it by (e.g. `ci-deploy`); a runner token's name is the `client` of
    /// its audit events (default for --runner: runner-SCOPE, or org-runner-SCOPE with --org)
    pub name: Option<String>,
    /// Lifetime: 90s, 15m, 24h, 30d (default: as long as the current token)
    #[arg(long, value_name = "LIFETIME", value_parser = parse_lifetime)]
    pub expires: Option<u64>,
    /// A delivery-only runner token (vr_...): it may fetch the secrets of --scope in one
    /// namespace, and nothing else
    #[arg(long, requires = "scope")]
    pub runner: bool,
    /// The runner token's scope: it is delivered the secrets whose scope is `all` or this one
    #[arg(long, value_parser = scope_parser(), requires = "runner")]
    pub scope: Option<Scope>,
    /// The runner token delivers the org's shared secrets (admins only) instead of your own
    #[arg(long, requires = "runner")]
    pub org: bool,
}

#[derive(Debug, Args)]
pub struct RevokeArgs {
    /// The token's id (`tok_...`, from `vaultty token list`)
    pub id: String,
}

pub async fn run(ctx: &Ctx, cmd: TokenCommand) -> CliResult<()> {
    match cmd {
        TokenCommand::List => {
            let tokens = with_connection(ctx, async |conn| Ok(conn.client.list_tokens().await?)).await?;
            if ctx.json() {
                return print_json(&TokenList { tokens });
            }
            print(&table(&tokens, true, OffsetDateTime::now_utc(), output_width()))
        }
        TokenCommand::Create(args) => create(ctx, args).await,
        TokenCommand::Revoke(args) => revoke(ctx, &args.id).await,
    }
}

async fn create(ctx: &Ctx, args: CreateArgs) -> CliResult<()> {
    let name = match (args.name, args.scope) {
        (Some(name), _) => name,
        (None, Some(scope)) if args.runner => {
            format!("{}runner-{scope}", if args.org { "org-" } else { "" })
        }
        (None, _) => {
            return Err(CliError::usage(
                "name the token: vaultty token create NAME (for example ci-deploy)",
            ));
        }
    };
    let req = CreateToken {
        kind: args.runner.then_some(TokenKind::Runner),
        scope: args.scope,
        org_wide: args.org.then_some(true),
        ..CreateToken::user(name, args.expires)
    };
    let asked_at = OffsetDateTime::now_utc();
    let (created, tokens) = with_connection(ctx, async |conn| {
        let created = conn.client.create_token(&req).await?;
        // The creating token's expiry tells whether the server capped the one asked for.
        let tokens = conn.client.list_tokens().await.unwrap_or_default();
        Ok((created, tokens))
    })
    .await?;
    let parent_expiry = tokens.iter().find(|t| t.current).and_then(|t| t.expires_at);
    let capped = match (args.expires, created.expires_at, parent_expiry) {
        (Some(secs), Some(got), Some(parent)) => {
            let asked = asked_at + Duration::seconds(i64::try_from(secs).unwrap_or(i64::MAX / 2));
            got == parent && got < asked
        }
        _ => false,
    };
    if ctx.json() {
        return print_json(&json!({
            "id": created.id,
            "token": created.token.expose_secret(),
            "expires_at": created.expires_at.map(timestamp::format),
            "parent": created.parent,
            "capped": capped,
        }));
    }
    let now = OffsetDateTime::now_utc();
    let expiry = match created.expires_at {
        Some(t) => format!("expires {} ({})", timestamp::format(t), until(now, Some(t))),
        None => "never expires".to_owned(),
    };
    let runner = match (args.runner, args.scope) {
        (true, Some(scope)) => format!(
            " A runner token: it fetches {} secrets of scope {scope} (and of scope all), and nothing else.",
            if args.org { "the org's" } else { "your own" }
        ),
        _ => String::new(),
    };
    let note = if capped {
        " The lifetime asked for was CAPPED: a token cannot outlive the token that creates it, and the \
         current one expires then."
    } else if args.expires.is_none() && created.expires_at.is_some() {
        " It expires with the current token."
    } else {
        ""
    };
    eprintln!(
        "Created the token {} ({}); it is on standard output, shown once. It {expiry}.{note}{runner}",
        printable(&created.id),
        printable(&req.name)
    );
    print(&format!("{}\n", created.token.expose_secret()))
}

/// The ids of `root` and of every live token it created, transitively, as the server revokes them.
fn cascade(tokens: &[TokenInfo], root: &str) -> Vec<String> {
    let mut out = vec![root.to_owned()];
    let mut i = 0;
    while i < out.len() {
        let parent = out[i].clone();
        out.extend(
            tokens
                .iter()
                .filter(|t| t.parent.as_deref() == Some(parent.as_str()) && !out.contains(&t.id))
                .map(|t| t.id.clone())
                .collect::<Vec<_>>(),
        );
        i += 1;
    }
    out
}

async fn revoke(ctx: &Ctx, id: &str) -> CliResult<()> {
    let tokens = with_connection(ctx, async |conn| {
        let tokens = conn.client.list_tokens().await?;
        conn.client.revoke_token(id).await?;
        Ok(tokens)
    })
    .await?;
    let current = tokens.iter().any(|t| t.id == id && t.current);
    let ids = cascade(&tokens, id);
    let children = &ids[1..];
    if ctx.json() {
        return print_json(&json!({ "id": id, "also_revoked": children, "current": current }));
    }
    let mut text = format!("Revoked the token {}", printable(id));
    if children.is_empty() {
        text.push_str(" (it had created no live tokens).\n");
    } else {
        let list: Vec<String> = children.iter().map(|c| printable(c).into_owned()).collect();
        text.push_str(&format!(
            " and the {} token(s) it created: {}.\n",
            children.len(),
            list.join(", ")
        ));
    }
    if current {
        text.push_str(
            "That was this session's own token: it is revoked now, and so is every token it created. Log in \
             again (`vaultty login`) to go on.\n",
        );
    }
    print(&text)
}

/// Tokens as a table; `mark_current` adds the column marking the one this command used.
pub(super) fn table(tokens: &[TokenInfo], mark_current: bool, now: OffsetDateTime, width: Option<usize>) -> String {
    let mut columns = Vec::new();
    if mark_current {
        columns.push(Column::fixed("CURRENT"));
    }
    columns.extend([
        Column::fixed("ID"),
        Column::shrinking("NAME", 8, 1),
        Column::fixed("CREATED"),
        Column::fixed("EXPIRES"),
        Column::fixed("LAST USED"),
        Column::shrinking("RUNNER", 0, 0),
        Column::shrinking("PARENT", 0, 0),
    ]);
    let rows: Vec<Vec<String>> = tokens
        .iter()
        .map(|t| {
            let mut row = Vec::new();
            if mark_current {
                row.push(if t.current { "*" } else { "" }.to_owned());
            }
            row.extend([
                t.id.clone(),
                t.name.clone(),
                relative(now, Some(t.created_at)),
                until(now, t.expires_at),
                relative(now, t.last_used_at),
                t.runner_binding(),
                t.parent.clone().unwrap_or_default(),
            ]);
            row
        })
        .collect();
    render_table(&columns, &rows, width)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token(id: &str, parent: Option<&str>, current: bool) -> TokenInfo {
        TokenInfo {
            id: id.into(),
            name: format!("name-{id}"),
            kind: TokenKind::User,
            created_at: OffsetDateTime::now_utc(),
            expires_at: None,
            last_used_at: None,
            parent: parent.map(Into::into),
            current,
            scope: None,
            org_wide: false,
        }
    }

    #[test]
    fn the_cascade_follows_parents_transitively() {
        let tokens = [
            token("a", None, true),
            token("b", Some("a"), false),
            token("c", Some("b"), false),
            token("d", None, false),
        ];
        assert_eq!(cascade(&tokens, "a"), ["a", "b", "c"]);
        assert_eq!(cascade(&tokens, "d"), ["d"]);
    }

    #[test]
    fn the_current_token_is_marked() {
        let now = OffsetDateTime::now_utc();
        let out = table(
            &[token("tok_a", None, true), token("tok_b", Some("tok_a"), false)],
            true,
            now,
            None,
        );
        let line = out
            .lines()
            .find(|l| l.contains("tok_a") && !l.contains("tok_b"))
            .unwrap_or_default();
        assert!(line.starts_with('*'), "{out}");
        assert!(out.contains("never"), "{out}");
    }
}
