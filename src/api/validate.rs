//! The limits of `docs/API.md`, checked the same way by the server, the CLI and the TUI.

use super::{MAX_DESCRIPTION_CHARS, MAX_VALUE_BYTES};

/// A name a secret may be created or rotated under: a valid environment-variable name
/// ([`stored_secret_name`]) that is not reserved ([`reserved_name`]).
pub fn secret_name(name: &str) -> Result<(), String> {
    stored_secret_name(name)?;
    not_reserved(name)
}

/// Refuses a reserved name, with a message that names the rule (the server answers it with 422).
pub fn not_reserved(name: &str) -> Result<(), String> {
    match reserved_name(name) {
        Some(rule) => Err(reserved_message(name, &rule)),
        None => Ok(()),
    }
}

/// Names that change how programs start or load code (docs/API.md, "Reserved names"). Whoever
/// can write a secret of such a name, an org admin for every member, would otherwise run code in
/// every `vaultty run` child, next to the member's own secrets.
const RESERVED_NAMES: &[&str] = &[
    // Where programs are found, and what a shell reads or runs as it starts.
    "PATH",
    "HOME",
    "SHELL",
    "IFS",
    "ENV",
    "BASH_ENV",
    "SHELLOPTS",
    "BASHOPTS",
    "PS4",
    "ZDOTDIR",
    // The C library's loader and its modules.
    "GLIBC_TUNABLES",
    "GCONV_PATH",
    // Interpreters' and runtimes' code paths and start-up options.
    "NODE_OPTIONS",
    "NODE_PATH",
    "PYTHONPATH",
    "PYTHONHOME",
    "PYTHONSTARTUP",
    "PERL5LIB",
    "PERL5OPT",
    "PERLLIB",
    "PERL5DB",
    "RUBYOPT",
    "RUBYLIB",
    "JAVA_TOOL_OPTIONS",
    "JDK_JAVA_OPTIONS",
    "_JAVA_OPTIONS",
    // Commands git and ssh run on their own.
    "GIT_SSH",
    "GIT_SSH_COMMAND",
    "GIT_EXEC_PATH",
    "GIT_ASKPASS",
    "SSH_ASKPASS",
];

/// Prefixes of reserved names: the dynamic loaders (Linux, macOS), git's configuration from the
/// environment (`GIT_CONFIG`, `GIT_CONFIG_GLOBAL`, `GIT_CONFIG_KEY_0`, ...) and vaultty's own
/// settings, which a child that runs vaultty again would otherwise take from the vault.
const RESERVED_PREFIXES: &[&str] = &["LD_", "DYLD_", "GIT_CONFIG", "VAULTTY_"];

/// The rule that reserves `name` (`PATH`, `LD_*`, ...), if one does.
///
/// Case-insensitive on purpose: environment names are case-sensitive on Unix, where `Path` or
/// `ld_preload` are harmless, but Windows looks them up ignoring case, and a vault shared between
/// both must not deliver `Path` to a Windows member. Nobody needs a secret called `path`.
pub fn reserved_name(name: &str) -> Option<String> {
    if let Some(exact) = RESERVED_NAMES.iter().find(|r| r.eq_ignore_ascii_case(name)) {
        return Some((*exact).to_owned());
    }
    RESERVED_PREFIXES
        .iter()
        .find(|p| name.len() >= p.len() && name.as_bytes()[..p.len()].eq_ignore_ascii_case(p.as_bytes()))
        .map(|p| format!("{p}*"))
}

fn reserved_message(name: &str, rule: &str) -> String {
    let rule = if rule == name {
        String::new()
    } else {
        format!(" (as {rule})")
    };
    format!(
        "{name}{rule} changes how programs start or load code; such names are refused (see docs/API.md, Reserved names)"
    )
}

/// The syntax of every secret name, `^[A-Za-z_][A-Za-z0-9_]{0,127}$`, without the reserved names:
/// for reading, editing and deleting a secret an older server may have stored under one.
pub fn stored_secret_name(name: &str) -> Result<(), String> {
    let mut chars = name.chars();
    let Some(first) = chars.next() else {
        return Err("a secret name cannot be empty".into());
    };
    if name.len() > 128 {
        return Err(format!(
            "a secret name is at most 128 characters; this one has {}",
            name.chars().count()
        ));
    }
    if !(first.is_ascii_alphabetic() || first == '_') {
        return Err("a secret name starts with a letter or an underscore".into());
    }
    if let Some(bad) = name.chars().find(|c| !(c.is_ascii_alphanumeric() || *c == '_')) {
        return Err(format!(
            "a secret name holds only letters, digits and underscores, not {bad:?}"
        ));
    }
    Ok(())
}

/// A user name: `^[a-z][a-z0-9_.-]{0,63}$`.
pub fn user_name(name: &str) -> Result<(), String> {
    let ok_first = name.chars().next().is_some_and(|c| c.is_ascii_lowercase());
    let ok_rest = name
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '_' | '.' | '-'));
    if ok_first && ok_rest && name.len() <= 64 {
        Ok(())
    } else {
        Err("a user name is 1 to 64 characters of a-z, 0-9, '_', '.', '-', starting with a letter".into())
    }
}

/// The pattern of a provider (`SecretMeta.provider`), as `/openapi.json` states it.
pub const PROVIDER_PATTERN: &str = r"^[a-z0-9][a-z0-9_.-]{0,31}$";

/// A provider: `^[a-z0-9][a-z0-9_.-]{0,31}$` ([`PROVIDER_PATTERN`]). Lowercase only, so that
/// `GitHub` and `github` never split one provider's keys into two groups; the message says so
/// rather than lowercasing silently.
pub fn provider(p: &str) -> Result<(), String> {
    let ok_first = p
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
    let ok_rest = p
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '_' | '.' | '-'));
    if ok_first && ok_rest && p.len() <= 32 {
        Ok(())
    } else {
        Err(
            "a provider is 1 to 32 characters of a-z, 0-9, '_', '.', '-', starting with a letter or a digit; \
             lowercase only, so one provider is always spelt one way"
                .into(),
        )
    }
}

/// A value is 1 byte to 64 KiB of UTF-8 (a `&str` is UTF-8 already). Never echoes the value.
pub fn secret_value(value: &str) -> Result<(), String> {
    if value.is_empty() {
        return Err("a secret value cannot be empty".into());
    }
    if value.len() > MAX_VALUE_BYTES {
        return Err(format!(
            "a secret value is at most {MAX_VALUE_BYTES} bytes; this one has {}",
            value.len()
        ));
    }
    Ok(())
}

pub fn description(text: &str) -> Result<(), String> {
    let n = text.chars().count();
    if n > MAX_DESCRIPTION_CHARS {
        return Err(format!(
            "a description is at most {MAX_DESCRIPTION_CHARS} characters; this one has {n}"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_the_env_var_rule() {
        assert!(secret_name("ANTHROPIC_API_KEY").is_ok());
        assert!(secret_name("_x9").is_ok());
        assert!(secret_name(&"A".repeat(128)).is_ok());
        assert!(secret_name(&"A".repeat(129)).is_err());
        assert!(secret_name("").is_err());
        assert!(secret_name("9LIVES").is_err());
        assert!(secret_name("MY-KEY").is_err());
        assert!(secret_name("KÉY").is_err());
    }

    #[test]
    fn reserved_names_are_refused_in_any_case_but_stay_addressable() {
        for name in [
            "PATH",
            "Path",
            "ld_preload",
            "LD_LIBRARY_PATH",
            "DYLD_INSERT_LIBRARIES",
            "NODE_OPTIONS",
            "GIT_CONFIG",
            "GIT_CONFIG_GLOBAL",
            "VAULTTY_URL",
            "_JAVA_OPTIONS",
            "BASH_ENV",
        ] {
            let err = secret_name(name).unwrap_err();
            assert!(err.starts_with(name) && err.contains("Reserved names"), "{err}");
            assert!(
                stored_secret_name(name).is_ok(),
                "{name} must stay readable and deletable"
            );
        }
        for name in [
            "PATHS",
            "MY_PATH",
            "HOMEPAGE_URL",
            "LD",
            "OLD_PRELOAD",
            "GIT_TOKEN",
            "VAULTTY",
            "ENVIRONMENT",
        ] {
            assert_eq!(reserved_name(name), None, "{name}");
            assert!(secret_name(name).is_ok(), "{name}");
        }
        assert_eq!(reserved_name("ld_preload").as_deref(), Some("LD_*"));
    }

    #[test]
    fn values_are_bounded() {
        assert!(secret_value("").is_err());
        assert!(secret_value("x").is_ok());
        assert!(secret_value(&"x".repeat(MAX_VALUE_BYTES)).is_ok());
        let err = secret_value(&"x".repeat(MAX_VALUE_BYTES + 1)).unwrap_err();
        assert!(!err.contains("xxx"), "the error must not echo the value");
    }

    #[test]
    fn providers_are_lowercase_and_short() {
        for ok in ["github", "openai", "a", "9", "aws.s3", "my-co_2", &"p".repeat(32)] {
            assert!(provider(ok).is_ok(), "{ok}");
        }
        for bad in ["", "GitHub", "-x", "_x", ".x", "a b", "a/b", "é", &"p".repeat(33)] {
            let err = provider(bad).unwrap_err();
            assert!(err.contains("lowercase"), "{err}");
        }
    }

    #[test]
    fn user_names() {
        assert!(user_name("alice").is_ok());
        assert!(user_name("a.b-c_9").is_ok());
        assert!(user_name("Alice").is_err());
        assert!(user_name("1a").is_err());
        assert!(user_name("").is_err());
    }
}
