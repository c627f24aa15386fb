//! Which delivered values the command gets: `--only`, reserved names and `--preserve-env`, applied
//! the same way to the first start and to every restart of `run --watch`. Names go to stderr,
//! values only into the command's environment.

use std::collections::BTreeMap;
use std::ffi::OsString;

use secrecy::{ExposeSecret, SecretString};

use crate::api::{EnvResponse, Scope, validate};
use crate::cli::format::printable;
use crate::cli::{CliError, CliResult};

/// The values one start of the command gets (before `--preserve-env`, which [`Plan`] applies).
pub(super) type Env = BTreeMap<String, SecretString>;

/// Applies `--only` to a delivered bundle, and names the secrets the server skipped. An `--only`
/// name the bundle lacks (or could not open) is an error: the command would run without it.
pub(super) fn select(answer: EnvResponse, only: &[String], scope: Option<Scope>) -> CliResult<Env> {
    super::super::export::report_skipped(&answer.skipped);
    let mut env = answer.env;
    if only.is_empty() {
        return Ok(env);
    }
    // A reserved name is never set, so asking for one is a mistake to report, not to skip.
    if let Some(refused) = only.iter().find_map(|n| validate::not_reserved(n).err()) {
        return Err(CliError::invalid(format!("--only: {refused}")));
    }
    if let Some(skipped) = answer.skipped.iter().find(|s| only.contains(&s.name)) {
        return Err(CliError::other(format!(
            "--only names {}, which the vault could not deliver: {}",
            printable(&skipped.name),
            printable(&skipped.reason)
        )));
    }
    if let Some(missing) = only.iter().find(|n| !env.contains_key(n.as_str())) {
        return Err(CliError::not_found(format!(
            "--only names {missing}, which the vault does not deliver{}; see `vaultty secret list`",
            scope.map(|s| format!(" for the scope {s}")).unwrap_or_default()
        )));
    }
    env.retain(|name, _| only.contains(name));
    Ok(env)
}

/// A digest of what the command gets (names and values): `run --watch` restarts only when it
/// differs, whatever else in the bundle changed (a secret `--only` leaves out, an older server
/// that sends no ETag). Held instead of the values, which are dropped once the command starts.
pub(super) fn digest(env: &Env) -> [u8; 32] {
    let mut ctx = aws_lc_rs::digest::Context::new(&aws_lc_rs::digest::SHA256);
    for (name, value) in env {
        // Length-prefixed, so that no two different maps feed the same bytes.
        for part in [name.as_bytes(), value.expose_secret().as_bytes()] {
            ctx.update(&(part.len() as u64).to_be_bytes());
            ctx.update(part);
        }
    }
    let mut out = [0u8; 32];
    out.copy_from_slice(ctx.finish().as_ref());
    out
}

/// The command with its arguments and the values `env` gives it, after `--preserve-env`; says on
/// stderr which names were skipped, kept or overridden.
pub(super) fn command(program: &OsString, args: &[OsString], env: &Env, preserve_env: bool) -> std::process::Command {
    let mut cmd = std::process::Command::new(program);
    cmd.args(args);
    let plan = Plan::new(env, preserve_env, |name| std::env::var_os(name));
    plan.report();
    for (name, value) in &plan.set {
        cmd.env(name, value.expose_secret());
    }
    cmd
}

/// Which delivered variables the command gets, and what stderr says about the others. Names only:
/// values are compared, never shown.
#[derive(Debug, Default)]
struct Plan<'a> {
    set: Vec<(&'a str, &'a SecretString)>,
    /// Reserved names (docs/API.md): the server refuses them, but an older one may have stored
    /// and still deliver them, so they are dropped here again.
    skipped: Vec<&'a str>,
    /// Set locally to another value, and kept there by --preserve-env.
    kept: Vec<&'a str>,
    /// Set locally to another value, replaced by the vault's (the default).
    overridden: Vec<&'a str>,
}

impl<'a> Plan<'a> {
    fn new(env: &'a Env, preserve_env: bool, local: impl Fn(&str) -> Option<OsString>) -> Plan<'a> {
        let mut plan = Plan::default();
        for (name, value) in env {
            if validate::reserved_name(name).is_some() {
                plan.skipped.push(name);
                continue;
            }
            // Only a local value that differs is worth a word: an equal one changes nothing.
            let differs = local(name).is_some_and(|mine| mine != value.expose_secret());
            match (differs, preserve_env) {
                (true, true) => plan.kept.push(name),
                (true, false) => {
                    plan.overridden.push(name);
                    plan.set.push((name, value));
                }
                (false, _) => plan.set.push((name, value)),
            }
        }
        plan
    }

    fn report(&self) {
        if !self.skipped.is_empty() {
            eprintln!(
                "vaultty: not set: {}: names that change how programs start or load code are never set \
                 (see docs/API.md, Reserved names)",
                listed(&self.skipped)
            );
        }
        if !self.overridden.is_empty() {
            eprintln!(
                "vaultty: overridden by the vault's value: {} (--preserve-env keeps yours)",
                listed(&self.overridden)
            );
        }
        if !self.kept.is_empty() {
            eprintln!(
                "vaultty: kept from your environment (--preserve-env): {}",
                listed(&self.kept)
            );
        }
    }
}

/// Names as the server sent them, printed like every other server text: inert (an older or
/// hostile server is not bound by today's name rules).
fn listed(names: &[&str]) -> String {
    printable(&names.join(", ")).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Env {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), SecretString::from((*v).to_owned())))
            .collect()
    }

    fn names<'a>(set: &[(&'a str, &SecretString)]) -> Vec<&'a str> {
        set.iter().map(|(n, _)| *n).collect()
    }

    /// What an older server that still stores and delivers reserved names sends.
    #[test]
    fn reserved_names_from_an_older_server_are_never_set() {
        let delivered = env(&[
            ("PATH", "/evil"),
            ("ld_preload", "/evil.so"),
            ("VAULTTY_URL", "x"),
            ("FOO", "bar"),
        ]);
        let plan = Plan::new(&delivered, false, |_| None);
        assert_eq!(names(&plan.set), ["FOO"]);
        assert_eq!(plan.skipped, ["PATH", "VAULTTY_URL", "ld_preload"]);
    }

    #[test]
    fn the_vault_wins_unless_preserve_env_and_only_differences_are_named() {
        let delivered = env(&[("A", "vault"), ("B", "same"), ("C", "new")]);
        let local = |name: &str| match name {
            "A" => Some(OsString::from("local")),
            "B" => Some(OsString::from("same")),
            _ => None,
        };
        let plan = Plan::new(&delivered, false, local);
        assert_eq!(names(&plan.set), ["A", "B", "C"]);
        assert_eq!((plan.overridden, plan.kept), (vec!["A"], vec![]));
        let plan = Plan::new(&delivered, true, local);
        assert_eq!(names(&plan.set), ["B", "C"]);
        assert_eq!((plan.overridden, plan.kept), (vec![], vec!["A"]));
    }

    /// The digest tells apart what a restart must: a new value, a new name, a name moved between
    /// entries; and nothing else.
    #[test]
    fn the_digest_changes_with_names_and_values_only() {
        let a = digest(&env(&[("A", "1"), ("B", "2")]));
        assert_eq!(a, digest(&env(&[("B", "2"), ("A", "1")])));
        assert_ne!(a, digest(&env(&[("A", "1"), ("B", "3")])));
        assert_ne!(a, digest(&env(&[("A", "1")])));
        assert_ne!(digest(&env(&[("AB", "")])), digest(&env(&[("A", "B")])));
    }

    #[test]
    fn only_keeps_the_named_and_refuses_what_is_missing() {
        let answer = || EnvResponse {
            env: env(&[("A", "1"), ("B", "2")]),
            ..EnvResponse::default()
        };
        let kept = select(answer(), &["A".to_owned()], None).unwrap();
        assert_eq!(kept.keys().collect::<Vec<_>>(), ["A"]);
        assert!(select(answer(), &["C".to_owned()], None).is_err());
        assert!(select(answer(), &["PATH".to_owned()], None).is_err());
    }
}
