//! `vaultty secret list`: the secrets you can see, as a table fitted to the terminal or as JSON.

use clap::Args;
use time::{Duration, OffsetDateTime};

use crate::api::{Category, ListQuery, Scope, SecretList, SecretMeta, Visibility};
use crate::cli::format::{Column, output_width, print, print_json, relative, render_table};
use crate::cli::{CliResult, Ctx, category_parser, scope_parser, with_connection};

#[derive(Debug, Args)]
pub struct ListArgs {
    /// Only your private secrets
    #[arg(long, conflicts_with_all = ["org_only", "all_org"])]
    pub user_only: bool,
    /// Only the organisation's shared secrets
    #[arg(long, conflicts_with = "all_org")]
    pub org_only: bool,
    /// Admins: every user's private secrets too (names and details, never values)
    #[arg(long)]
    pub all_org: bool,
    /// Only secrets of this category
    #[arg(long, value_parser = category_parser())]
    pub category: Option<Category>,
    /// Only secrets delivered to this scope
    #[arg(long, value_parser = scope_parser())]
    pub scope: Option<Scope>,
    /// Only the keys of this provider (github, anthropic, ...), as set with `secret set --provider`
    #[arg(long, value_name = "NAME", value_parser = super::provider_arg)]
    pub provider: Option<String>,
    /// Only secrets whose value has not changed for at least DAYS days (due for rotation)
    #[arg(long, value_name = "DAYS")]
    pub stale: Option<u32>,
}

pub async fn run(ctx: &Ctx, args: ListArgs) -> CliResult<()> {
    let query = ListQuery {
        category: args.category,
        scope: args.scope,
        secret_scope: if args.user_only {
            Some(Visibility::User)
        } else if args.org_only {
            Some(Visibility::Org)
        } else {
            None
        },
        all: args.all_org.then_some(true),
        user_id: None,
        provider: args.provider,
    };
    let mut secrets = with_connection(ctx, async |conn| Ok(conn.client.list_secrets(&query).await?)).await?;
    let now = OffsetDateTime::now_utc();
    if let Some(days) = args.stale {
        let cutoff = now - Duration::days(i64::from(days));
        secrets.retain(|s| s.changed_at() <= cutoff);
    }
    secrets.sort_by(|a, b| (&a.name, a.visibility, &a.owner).cmp(&(&b.name, b.visibility, &b.owner)));
    if ctx.json() {
        return print_json(&SecretList { secrets });
    }
    if secrets.is_empty() {
        eprintln!("No secrets match. Add one with `vaultty secret set NAME`.");
        return Ok(());
    }
    print(&table(&secrets, args.all_org, now, output_width()))
}

fn table(secrets: &[SecretMeta], with_owner: bool, now: OffsetDateTime, width: Option<usize>) -> String {
    // When narrow: the description goes first, then the preview and the category, then the
    // provider is cut; names are cut last. PROVIDER is there only when some secret has one, beside
    // the name it qualifies (GITHUB_TOKEN_STAGING, github).
    let with_provider = secrets.iter().any(|s| s.provider.is_some());
    let mut columns = vec![Column::shrinking("NAME", 12, 4)];
    if with_provider {
        columns.push(Column::shrinking("PROVIDER", 8, 3));
    }
    columns.push(Column::fixed("VISIBILITY"));
    if with_owner {
        columns.push(Column::shrinking("OWNER", 8, 3));
    }
    columns.extend([
        Column::shrinking("CATEGORY", 0, 2),
        Column::fixed("SCOPE"),
        Column::shrinking("PREVIEW", 0, 1),
        Column::fixed("VERSION"),
        Column::fixed("ROTATED"),
        Column::fixed("LAST USED"),
        Column::shrinking("DESCRIPTION", 0, 0),
    ]);
    let rows: Vec<Vec<String>> = secrets
        .iter()
        .map(|s| {
            let mut row = vec![s.name.to_string()];
            if with_provider {
                row.push(s.provider.as_deref().unwrap_or("-").to_owned());
            }
            row.push(s.visibility.to_string());
            if with_owner {
                row.push(s.owner.as_deref().unwrap_or("-").to_owned());
            }
            row.extend([
                s.category.to_string(),
                s.scope.to_string(),
                s.preview.to_string(),
                s.version.to_string(),
                relative(now, s.rotated_at),
                relative(now, s.last_used_at),
                s.description.as_deref().unwrap_or_default().to_owned(),
            ]);
            row
        })
        .collect();
    render_table(&columns, &rows, width)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta(name: &str, description: Option<&str>, now: OffsetDateTime) -> SecretMeta {
        SecretMeta {
            name: name.into(),
            category: Category::Provider,
            scope: Scope::All,
            visibility: Visibility::User,
            owner: Some("alice".into()),
            description: description.map(Into::into),
            preview: "sk-a****abcd".into(),
            version: 2,
            revealable: true,
            created_at: now - Duration::days(10),
            rotated_at: Some(now - Duration::days(3)),
            last_used_at: None,
            created_by: Some("alice".into()),
            rotated_by: Some("alice".into()),
            provider: None,
        }
    }

    #[test]
    fn rows_show_relative_times_and_fit() {
        let now = OffsetDateTime::now_utc();
        let rows = [meta(
            "OPENAI_API_KEY",
            Some("staging project key, owned by the platform team"),
            now,
        )];
        let wide = table(&rows, false, now, None);
        assert!(
            wide.contains("3d ago") && wide.contains("never") && wide.contains("platform team"),
            "{wide}"
        );
        let narrow = table(&rows, false, now, Some(100));
        assert!(narrow.lines().all(|l| l.chars().count() <= 100), "{narrow}");
        assert!(
            narrow.contains("OPENAI_API_KEY") && narrow.contains("sk-a****abcd"),
            "{narrow}"
        );
    }
}
