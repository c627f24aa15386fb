//! Times and small text helpers shared by the components.

use time::{OffsetDateTime, UtcOffset};

/// Relative times are wire-level vocabulary shared with the CLI: see `api::timestamp::relative`.
pub use crate::api::timestamp::relative;

/// "2026-03-04 14:02:11 UTC".
pub fn absolute(t: OffsetDateTime) -> String {
    let t = t.to_offset(UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}:{:02} UTC",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

/// "2026-03-04 14:02", for tables.
pub fn minute(t: OffsetDateTime) -> String {
    let t = t.to_offset(UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute()
    )
}

/// "2026-03-04".
pub fn date(t: OffsetDateTime) -> String {
    let t = t.to_offset(UtcOffset::UTC);
    format!("{:04}-{:02}-{:02}", t.year(), u8::from(t.month()), t.day())
}

/// Whole seconds until `t`, rounded up (a countdown shows 1 until the moment itself), never
/// negative.
pub fn secs_left(now: OffsetDateTime, t: OffsetDateTime) -> i64 {
    let ms = (t - now).whole_milliseconds().max(0);
    i64::try_from((ms + 999) / 1000).unwrap_or(i64::MAX)
}

/// Days since a time, rounded down.
pub fn days_since(now: OffsetDateTime, t: OffsetDateTime) -> i64 {
    (now - t).whole_days()
}

const SPINNER: [&str; 10] = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];

/// The spinner frame for a moment: derived from the clock, so no state is needed.
pub fn spinner(now: OffsetDateTime) -> &'static str {
    let tenth = (now.unix_timestamp_nanos() / 100_000_000).rem_euclid(10);
    SPINNER[usize::try_from(tenth).unwrap_or(0)]
}

/// Cuts `s` to `width` characters, ending with "…" when cut.
pub fn fit(s: &str, width: usize) -> String {
    if s.chars().count() <= width {
        return s.to_owned();
    }
    let mut out: String = s.chars().take(width.saturating_sub(1)).collect();
    out.push('…');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    /// Server text (a description, an audit `client`, a user name) is drawn as it arrives: ratatui
    /// drops every grapheme holding a control character before it becomes a cell, and the backend
    /// writes cells only, so ESC and BEL never reach the terminal and OSC 52 stays inert. This pins
    /// that for the widgets the components use (wrapped paragraphs and tables).
    #[test]
    fn control_characters_never_become_cells() {
        use ratatui::buffer::{Buffer, Cell};
        use ratatui::layout::{Constraint, Rect};
        use ratatui::widgets::{Paragraph, Row, Table, Widget, Wrap};

        let hostile = "key \u{1b}]52;c;cHduZWQ=\u{7} \u{9b}31m\u{1b}[2J end";
        let area = Rect::new(0, 0, 24, 4);
        let mut wrapped = Buffer::empty(area);
        Paragraph::new(hostile)
            .wrap(Wrap { trim: false })
            .render(area, &mut wrapped);
        let mut table = Buffer::empty(area);
        Table::new([Row::new([hostile])], [Constraint::Fill(1)]).render(area, &mut table);
        for buf in [wrapped, table] {
            let cells: String = buf.content.iter().map(Cell::symbol).collect();
            assert!(!cells.contains(['\u{1b}', '\u{7}', '\u{9b}']), "{cells:?}");
            assert!(cells.starts_with("key ]52;c;cHduZWQ="), "{cells:?}");
        }
    }

    #[test]
    fn relative_times_read_naturally() {
        let now = datetime!(2026-06-01 12:00 UTC);
        let r = |t| relative(now, Some(t));
        assert_eq!(relative(now, None), "never");
        assert_eq!(r(datetime!(2026-06-01 11:59:30 UTC)), "just now");
        assert_eq!(r(datetime!(2026-06-01 11:55 UTC)), "5m ago");
        assert_eq!(r(datetime!(2026-06-01 09:00 UTC)), "3h ago");
        assert_eq!(r(datetime!(2026-05-29 12:00 UTC)), "3d ago");
        assert_eq!(r(datetime!(2026-01-01 12:00 UTC)), "5mo ago");
        assert_eq!(r(datetime!(2023-01-01 12:00 UTC)), "3y ago");
        assert_eq!(r(datetime!(2026-06-01 12:05 UTC)), "just now");
        assert_eq!(absolute(datetime!(2026-03-04 14:02:11 UTC)), "2026-03-04 14:02:11 UTC");
    }
}
