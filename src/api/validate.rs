//! The limits of `docs/API.md`, checked the same way by the server, the CLI and the TUI.

use super::{MAX_DESCRIPTION_CHARS, MAX_VALUE_BYTES};

/// A secret name is a valid environment-variable name: `^[A-Za-z_][A-Za-z0-9_]{0,127}$`.
pub fn secret_name(name: &str) -> Result<(), String> {
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
    fn values_are_bounded() {
        assert!(secret_value("").is_err());
        assert!(secret_value("x").is_ok());
        assert!(secret_value(&"x".repeat(MAX_VALUE_BYTES)).is_ok());
        let err = secret_value(&"x".repeat(MAX_VALUE_BYTES + 1)).unwrap_err();
        assert!(!err.contains("xxx"), "the error must not echo the value");
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
