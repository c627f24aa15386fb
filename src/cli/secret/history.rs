//! `vaultty secret history NAME`: the stored versions, newest first (previews only).

use clap::Args;
use time::OffsetDateTime;

use crate::api::{VersionList, timestamp};
use crate::cli::format::{Column, output_width, print, print_json, relative, render_table};
use crate::cli::input::check_stored_name;
use crate::cli::{CliResult, Ctx, with_connection};

#[derive(Debug, Args)]
pub struct HistoryArgs {
    /// The secret's name
    pub name: String,
    /// The organisation's shared secret of that name, even if you have a private one
    #[arg(long)]
    pub org_wide: bool,
}

pub async fn run(ctx: &Ctx, args: HistoryArgs) -> CliResult<()> {
    check_stored_name(&args.name)?;
    let versions = with_connection(ctx, async |conn| {
        Ok(conn.client.versions(&args.name, args.org_wide).await?)
    })
    .await?;
    if ctx.json() {
        return print_json(&VersionList { versions });
    }
    let now = OffsetDateTime::now_utc();
    let columns = [
        Column::fixed("VERSION"),
        Column::fixed("CREATED"),
        Column::shrinking("AT", 0, 0),
        Column::shrinking("BY", 6, 1),
        Column::shrinking("PREVIEW", 4, 2),
    ];
    let rows: Vec<Vec<String>> = versions
        .iter()
        .map(|v| {
            vec![
                v.version.to_string(),
                relative(now, Some(v.created_at)),
                timestamp::format(v.created_at),
                v.created_by.clone().unwrap_or_else(|| "-".to_owned()),
                v.preview.clone(),
            ]
        })
        .collect();
    print(&render_table(&columns, &rows, output_width()))
}
