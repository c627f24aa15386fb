//! `vaultty doctor`: a readiness checklist. Which vault is in use and why, whether it answers and
//! its certificate is trusted, the token and its expiry, clock skew, the local vault's file
//! permissions, the clipboard and the terminal. Each line is ok, warn or fail with a fix; any fail
//! makes the exit code 1.
//!
//! Doctor only looks: it never creates the local vault, copies nothing to the clipboard, and never
//! prints a token (no check's text is built from one).

mod files;
mod terminal;
mod vault;

use std::process::ExitCode;

use clap::Args;
use serde::Serialize;
use serde_json::json;

use crate::cli::format::{print, print_json, printable};
use crate::cli::{CliResult, Ctx};

#[derive(Debug, Args)]
pub struct DoctorArgs {}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
enum Status {
    Ok,
    Warn,
    Fail,
}

/// One line of the checklist; `fix` is set exactly on warn and fail.
#[derive(Debug, Serialize)]
struct Check {
    check: &'static str,
    status: Status,
    detail: String,
    fix: Option<String>,
    /// Not run because of an earlier fail: the text shows its fix on the same line.
    #[serde(skip)]
    skipped: bool,
}

impl Check {
    fn ok(check: &'static str, detail: impl Into<String>) -> Check {
        Check {
            check,
            status: Status::Ok,
            detail: detail.into(),
            fix: None,
            skipped: false,
        }
    }

    fn warn(check: &'static str, detail: impl Into<String>, fix: impl Into<String>) -> Check {
        Check {
            check,
            status: Status::Warn,
            detail: detail.into(),
            fix: Some(fix.into()),
            skipped: false,
        }
    }

    fn fail(check: &'static str, detail: impl Into<String>, fix: impl Into<String>) -> Check {
        Check {
            check,
            status: Status::Fail,
            detail: detail.into(),
            fix: Some(fix.into()),
            skipped: false,
        }
    }

    /// A check an earlier failure made impossible. It fails, because what it would have confirmed
    /// is not known to work; its fix points at the check that stopped it.
    fn not_checked(check: &'static str, why: &str, blocker: &str) -> Check {
        Check {
            skipped: true,
            ..Check::fail(
                check,
                format!("not checked: {why}"),
                format!("fix `{blocker}` above first"),
            )
        }
    }
}

pub async fn run(ctx: &Ctx, _args: DoctorArgs) -> CliResult<ExitCode> {
    let mut checks = vault::checks(ctx).await;
    checks.extend(terminal::checks());
    let ok = checks.iter().all(|c| c.status != Status::Fail);
    if ctx.json() {
        print_json(&json!({ "checks": checks, "ok": ok }))?;
    } else {
        print(&render(&checks, ok))?;
    }
    Ok(if ok { ExitCode::SUCCESS } else { ExitCode::from(1) })
}

/// The checklist as text: one line per check, its fix indented under it (or, for a check not
/// run, at its end). Everything is passed
/// through `printable`: details quote server messages, paths and environment variables.
fn render(checks: &[Check], ok: bool) -> String {
    let width = checks.iter().map(|c| c.check.len()).max().unwrap_or(0);
    let mut out = String::new();
    for c in checks {
        let status = match c.status {
            Status::Ok => "ok  ",
            Status::Warn => "warn",
            Status::Fail => "FAIL",
        };
        let detail = printable(&c.detail);
        match (&c.fix, c.skipped) {
            // The fix only points at an earlier line: a line of its own would bury the real one.
            (Some(fix), true) => out.push_str(&format!("{status}  {:<width$}  {detail} ({fix})\n", c.check)),
            (Some(fix), false) => out.push_str(&format!(
                "{status}  {:<width$}  {detail}\n      {:<width$}  fix: {}\n",
                c.check,
                "",
                printable(fix)
            )),
            (None, _) => out.push_str(&format!("{status}  {:<width$}  {detail}\n", c.check)),
        }
    }
    let fails = checks.iter().filter(|c| c.status == Status::Fail).count();
    let warns = checks.iter().filter(|c| c.status == Status::Warn).count();
    out.push_str(&match (ok, warns) {
        (true, 0) => "\nReady.\n".to_owned(),
        (true, w) => format!("\nReady, with {w} warning(s).\n"),
        (false, w) => format!("\nNot ready: {fails} check(s) failed, {w} warning(s).\n"),
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixes_are_indented_under_their_check_and_text_is_inert() {
        let checks = [
            Check::ok("vault", "the local vault"),
            Check::fail("token", "refused: \x1b]52;c;eA==\x07", "log in again"),
            Check::not_checked("clock", "the token is refused", "token"),
        ];
        let text = render(&checks, false);
        assert!(text.contains("ok    vault  the local vault\n"), "{text}");
        assert!(text.contains("FAIL  token  refused"), "{text}");
        assert!(text.contains("\n             fix: log in again\n"), "{text}");
        assert!(!text.contains('\x1b') && !text.contains('\x07'), "{text}");
        assert!(
            text.contains("\nFAIL  clock  not checked: the token is refused (fix `token` above first)\n\n"),
            "{text}"
        );
        assert!(
            text.ends_with("Not ready: 2 check(s) failed, 0 warning(s).\n"),
            "{text}"
        );
    }

    #[test]
    fn json_uses_the_documented_names() {
        let v = serde_json::to_value(Check::warn("clock", "6 s", "sync it")).unwrap();
        assert_eq!(
            v,
            json!({"check": "clock", "status": "warn", "detail": "6 s", "fix": "sync it"})
        );
        let v = serde_json::to_value(Check::ok("clock", "0 s")).unwrap();
        assert_eq!(v["fix"], serde_json::Value::Null);
    }
}
