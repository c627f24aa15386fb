//! Reading what the user types: secret values and tokens from standard input or a hidden prompt
//! (so they stay out of argv and shell history), and typed-back confirmations.

use std::io::{BufRead, IsTerminal, Read};

use secrecy::SecretString;
use zeroize::Zeroizing;

use super::error::{CliError, CliResult, ExitClass};

/// Reads a secret: with a hidden prompt on standard error when standard input is a terminal,
/// otherwise all of standard input with one trailing newline removed (what `echo` and most files
/// add). The value is never echoed.
pub fn read_secret(prompt: &str) -> CliResult<SecretString> {
    let text = if std::io::stdin().is_terminal() {
        Zeroizing::new(
            rpassword::prompt_password(prompt)
                .map_err(|e| CliError::other(format!("cannot read from the terminal: {e}")))?,
        )
    } else {
        let mut buf = Zeroizing::new(String::new());
        std::io::stdin()
            .lock()
            .take(crate::api::MAX_VALUE_BYTES as u64 + 2)
            .read_to_string(&mut buf)
            .map_err(|e| CliError::invalid(format!("cannot read standard input (is it UTF-8 text?): {e}")))?;
        buf
    };
    Ok(SecretString::from(strip_one_newline(&text).to_owned()))
}

/// Reads a secret value and checks the limits of docs/API.md before anything is sent.
pub fn read_value(name: &str) -> CliResult<SecretString> {
    let value = read_secret(&format!("Value for {name} (input hidden): "))?;
    check_value(&value)?;
    Ok(value)
}

pub fn check_value(value: &SecretString) -> CliResult<()> {
    use secrecy::ExposeSecret;
    crate::api::validate::secret_value(value.expose_secret()).map_err(CliError::invalid)
}

/// A name to create or rotate a secret under: reserved names (docs/API.md) are refused here too.
/// Says what is wrong, never the text: a value typed where the name belongs would be echoed.
pub fn check_name(name: &str) -> CliResult<()> {
    crate::api::validate::secret_name(name).map_err(CliError::invalid)
}

/// A name to read or delete a secret by: one stored under a reserved name must stay reachable.
pub fn check_stored_name(name: &str) -> CliResult<()> {
    crate::api::validate::stored_secret_name(name).map_err(CliError::invalid)
}

fn strip_one_newline(s: &str) -> &str {
    s.strip_suffix("\r\n").or_else(|| s.strip_suffix('\n')).unwrap_or(s)
}

/// Asks the user to type `expected` back; true only on an exact match. Only called when standard
/// input is a terminal.
pub fn confirm_typed(prompt: &str, expected: &str) -> CliResult<bool> {
    eprint!("{prompt}");
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .map_err(|e| CliError::new(ExitClass::Other, format!("cannot read the confirmation: {e}")))?;
    Ok(line.trim() == expected)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_trailing_newline_is_removed() {
        assert_eq!(strip_one_newline("abc\n"), "abc");
        assert_eq!(strip_one_newline("abc\r\n"), "abc");
        assert_eq!(strip_one_newline("abc\n\n"), "abc\n");
        assert_eq!(strip_one_newline("abc"), "abc");
    }
}
