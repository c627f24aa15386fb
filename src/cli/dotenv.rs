//! A small `.env` reader and writer, for `vaultty import` and `vaultty export --format dotenv`.
//!
//! Read: `NAME=value` lines, an optional `export ` prefix, blank lines and `#` comments, inline
//! comments after an unquoted value (` # ...`), single quotes (literal), and double quotes with the
//! escapes `\n \r \t \\ \" \$`; quoted values may span lines. No variable expansion: `$HOME` stays
//! `$HOME`, because a secret is stored exactly as written. Errors name the line, never the value.
//!
//! Write: single quotes when the value allows it (every reader takes them literally), else double
//! quotes with escapes; [`parse`] reads back exactly what [`quote`] writes.

use secrecy::SecretString;
use zeroize::Zeroizing;

/// One `NAME=value` of a file.
pub struct Entry {
    pub name: String,
    pub value: SecretString,
    /// Where the entry starts, 1-based, for messages.
    pub line: usize,
}

impl std::fmt::Debug for Entry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Entry({} on line {}, value ****)", self.name, self.line)
    }
}

#[derive(Debug, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {reason}")]
pub struct ParseError {
    pub line: usize,
    pub reason: String,
}

impl ParseError {
    fn at(line: usize, reason: impl Into<String>) -> ParseError {
        ParseError {
            line,
            reason: reason.into(),
        }
    }
}

struct Cursor<'a> {
    chars: std::iter::Peekable<std::str::Chars<'a>>,
    line: usize,
}

impl Cursor<'_> {
    fn peek(&mut self) -> Option<char> {
        self.chars.peek().copied()
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.chars.next();
        if c == Some('\n') {
            self.line += 1;
        }
        c
    }

    fn skip_blanks(&mut self) {
        while matches!(self.peek(), Some(' ' | '\t')) {
            self.bump();
        }
    }

    fn skip_line(&mut self) {
        while let Some(c) = self.bump() {
            if c == '\n' {
                break;
            }
        }
    }
}

/// Parses a whole file. Later entries of the same name are kept too; the caller decides.
pub fn parse(text: &str) -> Result<Vec<Entry>, ParseError> {
    let mut cur = Cursor {
        chars: text.chars().peekable(),
        line: 1,
    };
    let mut entries = Vec::new();
    loop {
        while matches!(cur.peek(), Some(c) if c.is_whitespace()) {
            cur.bump();
        }
        match cur.peek() {
            None => break,
            Some('#') => {
                cur.skip_line();
                continue;
            }
            Some(_) => {}
        }
        let line = cur.line;
        let mut name = read_word(&mut cur);
        if name == "export" && matches!(cur.peek(), Some(' ' | '\t')) {
            cur.skip_blanks();
            name = read_word(&mut cur);
        }
        cur.skip_blanks();
        if cur.peek() != Some('=') {
            return Err(ParseError::at(line, "expected NAME=value"));
        }
        cur.bump();
        // The reason, not the name: a line that is not `NAME=value` may be a value pasted alone.
        crate::api::validate::secret_name(&name).map_err(|e| ParseError::at(line, e))?;
        cur.skip_blanks();
        let value = read_value(&mut cur)?;
        entries.push(Entry { name, value, line });
    }
    Ok(entries)
}

fn read_word(cur: &mut Cursor<'_>) -> String {
    let mut word = String::new();
    while let Some(c) = cur.peek() {
        if c == '=' || c.is_whitespace() {
            break;
        }
        word.push(c);
        cur.bump();
    }
    word
}

fn read_value(cur: &mut Cursor<'_>) -> Result<SecretString, ParseError> {
    let mut buf = Zeroizing::new(String::new());
    match cur.peek() {
        Some(q @ ('"' | '\'')) => {
            cur.bump();
            let opened = cur.line;
            loop {
                match cur.bump() {
                    None => {
                        let kind = if q == '"' { "double" } else { "single" };
                        return Err(ParseError::at(
                            opened,
                            format!("the {kind} quote opened here is never closed"),
                        ));
                    }
                    Some(c) if c == q => break,
                    Some('\\') if q == '"' => match cur.bump() {
                        Some('n') => buf.push('\n'),
                        Some('r') => buf.push('\r'),
                        Some('t') => buf.push('\t'),
                        Some(c @ ('\\' | '"' | '$')) => buf.push(c),
                        // An unknown escape is kept as written, as most dotenv readers do.
                        Some(c) => {
                            buf.push('\\');
                            buf.push(c);
                        }
                        None => return Err(ParseError::at(opened, "the double quote opened here is never closed")),
                    },
                    Some(c) => buf.push(c),
                }
            }
            cur.skip_blanks();
            match cur.peek() {
                None | Some('\n' | '\r') => {}
                Some('#') => cur.skip_line(),
                Some(_) => return Err(ParseError::at(cur.line, "unexpected text after the closing quote")),
            }
        }
        _ => {
            let mut prev_blank = true;
            while let Some(c) = cur.peek() {
                if c == '\n' || (c == '#' && prev_blank) {
                    break;
                }
                prev_blank = c == ' ' || c == '\t';
                buf.push(c);
                cur.bump();
            }
            if cur.peek() == Some('#') {
                cur.skip_line();
            }
            let trimmed = buf.trim_end().len();
            buf.truncate(trimmed);
        }
    }
    Ok(SecretString::from(std::mem::take(&mut *buf)))
}

/// Quotes a value for a `.env` file so that [`parse`] (and other readers) get it back exactly.
pub fn quote(value: &str) -> String {
    if !value.contains('\'') && !value.chars().any(char::is_control) {
        return format!("'{value}'");
    }
    let mut out = String::with_capacity(value.len() + 2);
    out.push('"');
    for c in value.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\\' | '"' | '$' => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::ExposeSecret;

    fn pairs(text: &str) -> Vec<(String, String)> {
        parse(text)
            .unwrap()
            .into_iter()
            .map(|e| (e.name, e.value.expose_secret().to_owned()))
            .collect()
    }

    fn p(name: &str, value: &str) -> (String, String) {
        (name.to_owned(), value.to_owned())
    }

    #[test]
    fn plain_lines_comments_and_export() {
        let text = "# a comment\n\nA=1\nexport B=two words  # inline comment\n  C = spaced \nD=x#not-a-comment\nE=\n";
        assert_eq!(
            pairs(text),
            vec![
                p("A", "1"),
                p("B", "two words"),
                p("C", "spaced"),
                p("D", "x#not-a-comment"),
                p("E", "")
            ]
        );
    }

    #[test]
    fn quotes_and_escapes() {
        let text = r#"A="line1\nline2\t\"q\" \\ \$HOME \x"
B='single $HOME \n "kept"'
C="multi
line" # trailing comment
D=""
export="not a prefix"
"#;
        assert_eq!(
            pairs(text),
            vec![
                p("A", "line1\nline2\t\"q\" \\ $HOME \\x"),
                p("B", "single $HOME \\n \"kept\""),
                p("C", "multi\nline"),
                p("D", ""),
                p("export", "not a prefix"),
            ]
        );
    }

    #[test]
    fn crlf_files_parse() {
        assert_eq!(pairs("A=1\r\nB=\"2\"\r\n"), vec![p("A", "1"), p("B", "2")]);
    }

    #[test]
    fn errors_name_the_line_and_never_the_value() {
        let e = parse("A=1\nB=\"s3cr3t\n").unwrap_err();
        assert_eq!(e.line, 2);
        assert!(!e.to_string().contains("s3cr3t"), "{e}");
        let e = parse("A=1\nnot a line\n").unwrap_err();
        assert_eq!(
            e,
            ParseError {
                line: 2,
                reason: "expected NAME=value".into()
            }
        );
        let e = parse("MY-KEY=s3cr3t\n").unwrap_err();
        assert_eq!(e.line, 1);
        assert!(!e.to_string().contains("s3cr3t"), "{e}");
        let e = parse("A='s3cr3t' trailing\n").unwrap_err();
        assert!(
            e.reason.contains("after the closing quote") && !e.to_string().contains("s3cr3t"),
            "{e}"
        );
    }

    #[test]
    fn quote_round_trips() {
        let values = [
            "plain",
            "with space",
            "it's",
            "new\nline",
            "tab\there",
            "$HOME \\ \"q\"",
            "'\r\n'",
            "#hash",
        ];
        let text: String = values
            .iter()
            .enumerate()
            .map(|(i, v)| format!("K{i}={}\n", quote(v)))
            .collect();
        let back = pairs(&text);
        for (i, v) in values.iter().enumerate() {
            assert_eq!(back[i], p(&format!("K{i}"), v), "value {v:?} as {}", quote(v));
        }
    }
}
