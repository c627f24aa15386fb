//! `vaultty audit`: the audit log, newest first. Admins see the whole org, members their own events.

use clap::Args;
use time::OffsetDateTime;

use crate::api::{AUDIT_MAX_LIMIT, AuditList, AuditQuery, Outcome, timestamp};
use crate::cli::format::{Column, output_width, print, print_json, relative, render_table};
use crate::cli::{CliResult, Ctx, with_connection};

#[derive(Debug, Args)]
pub struct AuditArgs {
    /// Only events about this secret
    #[arg(long, value_name = "NAME")]
    pub secret: Option<String>,
    /// Only events by this user
    #[arg(long, value_name = "USER")]
    pub actor: Option<String>,
    /// How many events to show, newest first
    #[arg(long, value_name = "N", default_value_t = 50,
          value_parser = clap::value_parser!(u32).range(1..=i64::from(AUDIT_MAX_LIMIT)))]
    pub limit: u32,
}

pub async fn run(ctx: &Ctx, args: AuditArgs) -> CliResult<()> {
    let query = AuditQuery {
        secret: args.secret,
        actor: args.actor,
        action: None,
        limit: Some(args.limit),
        before: None,
    };
    let events = with_connection(ctx, async |conn| Ok(conn.client.audit(&query).await?)).await?;
    if ctx.json() {
        return print_json(&AuditList { events });
    }
    if events.is_empty() {
        eprintln!("No audit events match.");
        return Ok(());
    }
    let now = OffsetDateTime::now_utc();
    let columns = [
        Column::fixed("WHEN"),
        Column::shrinking("AT", 0, 0),
        Column::shrinking("ACTOR", 6, 2),
        Column::fixed("ACTION"),
        // The secret an event is about, or the user or token an account action acted on.
        Column::shrinking("SUBJECT", 10, 3),
        Column::fixed("VERSION"),
        Column::fixed("OUTCOME"),
        Column::shrinking("CLIENT", 0, 1),
    ];
    let rows: Vec<Vec<String>> = events
        .iter()
        .map(|e| {
            let secret = match (&e.secret, e.visibility, &e.target) {
                (Some(s), Some(crate::api::Visibility::Org), _) => format!("{s} (org)"),
                (Some(s), _, _) => s.clone(),
                // The operation a runner token was refused (`GET /v1/secrets`).
                (None, _, Some(t)) if e.action == crate::api::AuditAction::RunnerRefused => t.clone(),
                (None, _, Some(t)) if t.starts_with("tok_") => format!("token {t}"),
                (None, _, Some(t)) => format!("user {t}"),
                (None, _, None) => "-".to_owned(),
            };
            vec![
                relative(now, Some(e.at)),
                timestamp::format(e.at),
                e.actor.clone().unwrap_or_else(|| "-".to_owned()),
                e.action.to_string(),
                secret,
                e.version.map_or_else(|| "-".to_owned(), |v| v.to_string()),
                if e.outcome == Outcome::Denied {
                    "DENIED".to_owned()
                } else {
                    e.outcome.to_string()
                },
                e.client.clone().unwrap_or_else(|| "-".to_owned()),
            ]
        })
        .collect();
    print(&render_table(&columns, &rows, output_width()))
}
