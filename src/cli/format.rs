//! Output helpers shared by the commands: tables fitted to the terminal, JSON and
//! plain writes to standard output that treat a closed pipe (`| head`) as success.

use std::borrow::Cow;
use std::io::{IsTerminal, Write};

use serde::Serialize;

use super::error::{CliError, CliResult};

/// Relative times ("3d ago", "never"), worded the same in the CLI and the TUI.
pub use crate::api::timestamp::relative;

/// When something ends, from `now`: "in 23h", "expired", or "never" when it has no end. Worded
/// like [`relative`], for token and enrolment-code expiries.
pub fn until(now: time::OffsetDateTime, t: Option<time::OffsetDateTime>) -> String {
    let Some(t) = t else { return "never".into() };
    match (t - now).whole_seconds() {
        s if s <= 0 => "expired".into(),
        s if s < 60 => format!("in {s}s"),
        s if s < 3_600 => format!("in {}m", s / 60),
        s if s < 86_400 => format!("in {}h", s / 3_600),
        s if s < 730 * 86_400 => format!("in {}d", s / 86_400),
        s => format!("in {}y", s / (365 * 86_400)),
    }
}

/// The width to fit tables to: `COLUMNS` when set, else the terminal's width when standard output
/// is one; `None` (no fitting) when piped, so nothing is cut for a script.
pub fn output_width() -> Option<usize> {
    if let Some(cols) = std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.trim().parse::<usize>().ok())
    {
        return Some(cols.max(20));
    }
    if std::io::stdout().is_terminal() {
        return crossterm::terminal::size().ok().map(|(w, _)| usize::from(w).max(20));
    }
    None
}

/// A column of a [`Table`]: its header, the narrowest it may get, and the order in which columns
/// give up width when the table is too wide (lower gives first; `None` never shrinks).
pub struct Column {
    pub header: &'static str,
    pub min: usize,
    pub shrink_rank: Option<u8>,
}

impl Column {
    pub const fn fixed(header: &'static str) -> Self {
        Column {
            header,
            min: 0,
            shrink_rank: None,
        }
    }

    pub const fn shrinking(header: &'static str, min: usize, rank: u8) -> Self {
        Column {
            header,
            min,
            shrink_rank: Some(rank),
        }
    }
}

const GAP: usize = 2;

/// Renders rows under headers, columns separated by two spaces, fitted to `width` by truncating
/// the shrinkable columns (with `…`) in rank order, then dropping those that reach zero width.
pub fn render_table(columns: &[Column], rows: &[Vec<String>], width: Option<usize>) -> String {
    let n = columns.len();
    let mut widths: Vec<usize> = columns
        .iter()
        .enumerate()
        .map(|(i, c)| {
            rows.iter()
                .map(|r| char_len(r.get(i).map_or("", String::as_str)))
                .chain(std::iter::once(char_len(c.header)))
                .max()
                .unwrap_or(0)
        })
        .collect();
    // Columns with no content at all (e.g. no descriptions) are dropped outright.
    let mut shown: Vec<bool> = (0..n)
        .map(|i| rows.iter().any(|r| r.get(i).is_some_and(|s| !s.is_empty())) || columns[i].shrink_rank.is_none())
        .collect();
    if let Some(limit) = width {
        let mut ranks: Vec<(u8, usize)> = columns
            .iter()
            .enumerate()
            .filter_map(|(i, c)| c.shrink_rank.map(|r| (r, i)))
            .collect();
        ranks.sort();
        for (_, i) in ranks {
            let total = total_width(&widths, &shown);
            if total <= limit {
                break;
            }
            if !shown[i] {
                continue;
            }
            let excess = total - limit;
            let floor = columns[i].min.max(char_len(columns[i].header)).min(widths[i]);
            let can_give = widths[i] - floor;
            if can_give >= excess {
                widths[i] -= excess;
            } else if columns[i].min == 0 {
                // Rather than a stump, drop the column (and its gap) altogether.
                shown[i] = false;
            } else {
                widths[i] = floor;
            }
        }
    }
    let mut out = String::new();
    let header: Vec<String> = columns.iter().map(|c| c.header.to_owned()).collect();
    for row in std::iter::once(&header).chain(rows.iter()) {
        let mut line = String::new();
        for i in (0..n).filter(|&i| shown[i]) {
            if !line.is_empty() {
                line.push_str(&" ".repeat(GAP));
            }
            let cell = truncate(row.get(i).map_or("", String::as_str), widths[i]);
            let pad = widths[i].saturating_sub(char_len(&cell));
            line.push_str(&cell);
            line.push_str(&" ".repeat(pad));
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

fn total_width(widths: &[usize], shown: &[bool]) -> usize {
    let visible: Vec<usize> = widths.iter().zip(shown).filter(|(_, s)| **s).map(|(w, _)| *w).collect();
    visible.iter().sum::<usize>() + GAP * visible.len().saturating_sub(1)
}

fn char_len(s: &str) -> usize {
    s.chars().count()
}

/// Text from a server (a description, a name, an audit `client`, an error message) made safe to
/// print on a terminal, as one line: a line break or a tab becomes a space, and every other control
/// character (C0, DEL and C1, so ESC, BEL and CSI) becomes `�`, so an ANSI or OSC sequence (OSC 52
/// writes the clipboard) arrives as inert text. Letters of every script are kept. Every printer of
/// such text goes through here; secret values printed on request (`get --reveal`, `export`) do not.
pub fn printable(s: &str) -> Cow<'_, str> {
    if !s.chars().any(char::is_control) {
        return Cow::Borrowed(s);
    }
    Cow::Owned(
        s.chars()
            .map(|c| match c {
                '\n' | '\r' | '\t' => ' ',
                c if c.is_control() => char::REPLACEMENT_CHARACTER,
                c => c,
            })
            .collect(),
    )
}

/// Cuts `s` to at most `max` characters, ending in `…` when cut, after [`printable`] (so a row
/// stays one line and inert).
pub fn truncate(s: &str, max: usize) -> String {
    let clean = printable(s);
    if char_len(&clean) <= max {
        return clean.into_owned();
    }
    if max == 0 {
        return String::new();
    }
    let mut cut: String = clean.chars().take(max - 1).collect();
    cut.push('…');
    cut
}

/// Writes to standard output; a reader that went away (`vaultty secret list | head -1`) is not an
/// error worth reporting.
pub fn print(text: &str) -> CliResult<()> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(CliError::other(format!("cannot write to standard output: {e}"))),
    }
}

/// Pretty JSON and a newline on standard output.
pub fn print_json<T: Serialize + ?Sized>(value: &T) -> CliResult<()> {
    let text = serde_json::to_string_pretty(value)
        .map_err(|e| CliError::other(format!("cannot encode the output as JSON: {e}")))?;
    print(&format!("{}\n", escape_json_controls(&text)))
}

/// serde_json escapes C0 controls (ESC is `\u001b`) but writes DEL and the C1 controls (U+009B is
/// a CSI to some terminals) as they are. Outside strings JSON has no such characters, so writing
/// each as `\u00XX` is the same document, with nothing a terminal acts on.
fn escape_json_controls(text: &str) -> Cow<'_, str> {
    if !text.chars().any(char::is_control) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\n' => out.push('\n'),
            c if c.is_control() => out.push_str(&format!("\\u{:04x}", u32::from(c))),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_made_inert() {
        let osc52 = "team key\u{1b}]52;c;cHduZWQ=\u{7}\u{9b}31m";
        let clean = printable(osc52);
        assert!(!clean.contains(['\u{1b}', '\u{7}', '\u{9b}']), "{clean:?}");
        assert_eq!(clean, "team key\u{fffd}]52;c;cHduZWQ=\u{fffd}\u{fffd}31m");
        assert_eq!(printable("line\none\ttab"), "line one tab");
        assert!(matches!(
            printable("Zürich 東京 ключ"),
            Cow::Borrowed("Zürich 東京 ключ")
        ));
    }

    #[test]
    fn json_output_escapes_every_control_character() {
        let value = serde_json::json!({ "d": "a\u{1b}]52;c;x\u{7} \u{9b}31m \u{7f} b\nc" });
        let text = serde_json::to_string_pretty(&value).unwrap();
        let escaped = escape_json_controls(&text);
        assert!(!escaped.contains(['\u{1b}', '\u{7}', '\u{9b}', '\u{7f}']), "{escaped}");
        assert!(escaped.contains("\\u009b31m \\u007f"), "{escaped}");
        assert_eq!(serde_json::from_str::<serde_json::Value>(&escaped).unwrap(), value);
    }

    #[test]
    fn expiries_read_as_time_left() {
        let now = time::OffsetDateTime::now_utc();
        assert_eq!(until(now, None), "never");
        assert_eq!(until(now, Some(now - time::Duration::seconds(1))), "expired");
        assert_eq!(until(now, Some(now + time::Duration::seconds(90))), "in 1m");
        assert_eq!(until(now, Some(now + time::Duration::hours(24))), "in 1d");
    }

    #[test]
    fn truncation_marks_the_cut() {
        assert_eq!(truncate("hello", 5), "hello");
        assert_eq!(truncate("hello world", 5), "hell…");
        assert_eq!(truncate("a\nb", 5), "a b");
        assert_eq!(truncate("héllo wörld", 6), "héllo…");
    }

    fn cols() -> Vec<Column> {
        vec![
            Column::shrinking("NAME", 8, 2),
            Column::fixed("VERSION"),
            Column::shrinking("DESCRIPTION", 0, 0),
        ]
    }

    #[test]
    fn tables_fit_by_cutting_the_description_first() {
        let rows = vec![vec![
            "OPENAI_API_KEY".to_owned(),
            "3".to_owned(),
            "the key for the staging project".to_owned(),
        ]];
        let wide = render_table(&cols(), &rows, None);
        assert!(wide.contains("the key for the staging project"), "{wide}");
        let narrow = render_table(&cols(), &rows, Some(40));
        assert!(narrow.lines().all(|l| l.chars().count() <= 40), "{narrow}");
        assert!(narrow.contains("OPENAI_API_KEY") && narrow.contains('…'), "{narrow}");
        // Too narrow for any description: the column goes, and then the name is cut.
        let tiny = render_table(&cols(), &rows, Some(22));
        assert!(!tiny.contains("DESCRIPTION"), "{tiny}");
        assert!(tiny.lines().all(|l| l.chars().count() <= 22), "{tiny}");
    }

    #[test]
    fn empty_columns_are_left_out() {
        let rows = vec![vec!["A".to_owned(), "1".to_owned(), String::new()]];
        let out = render_table(&cols(), &rows, None);
        assert!(!out.contains("DESCRIPTION"), "{out}");
    }
}
