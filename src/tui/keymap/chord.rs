//! One key with its modifiers: parsed from the keymap's strings, matched against crossterm events,
//! and written back for the help screen and the bottom bar.

use std::fmt;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// A key as the keymap sees it. Shift is folded into characters (`G`, `?`), so only Ctrl and Alt
/// are kept for them; named keys keep Shift too (`shift-up`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct KeyChord {
    pub code: KeyCode,
    pub mods: KeyModifiers,
}

impl KeyChord {
    pub const fn new(code: KeyCode, mods: KeyModifiers) -> KeyChord {
        KeyChord { code, mods }
    }

    /// The chord a terminal event stands for, normalised the way parsed chords are.
    pub fn from_event(ev: &KeyEvent) -> KeyChord {
        normalise(ev.code, ev.modifiers)
    }

    /// Parses `q`, `G`, `ctrl-r`, `shift-tab`, `alt-x`, `pagedown`, `f5`, `space`.
    pub fn parse(text: &str) -> Result<KeyChord, String> {
        let mut mods = KeyModifiers::NONE;
        let mut rest = text;
        // A lone "-" is the minus key, so only strip prefixes that leave something behind.
        loop {
            let lower = rest.to_ascii_lowercase();
            let prefix = [
                ("ctrl-", KeyModifiers::CONTROL),
                ("alt-", KeyModifiers::ALT),
                ("shift-", KeyModifiers::SHIFT),
            ]
            .into_iter()
            .find(|(p, _)| lower.starts_with(p) && rest.len() > p.len());
            match prefix {
                Some((p, m)) => {
                    mods |= m;
                    rest = &rest[p.len()..];
                }
                None => break,
            }
        }
        let mut chars = rest.chars();
        let code = match (chars.next(), chars.next()) {
            (None, _) => return Err(format!("{text:?} names no key")),
            (Some(c), None) => KeyCode::Char(c),
            _ => named(&rest.to_ascii_lowercase()).ok_or_else(|| {
                format!(
                    "{text:?} is not a key: use a character, or one of enter, esc, tab, backspace, space, \
                     up, down, left, right, pageup, pagedown, home, end, delete, insert, f1-f12, \
                     optionally after ctrl-, alt- or shift-"
                )
            })?,
        };
        if let (KeyCode::Char(c), true) = (code, mods.contains(KeyModifiers::SHIFT))
            && !c.is_alphabetic()
        {
            return Err(format!(
                "{text:?}: write the shifted character itself (like \"?\") instead of shift-"
            ));
        }
        Ok(normalise(code, mods))
    }
}

fn named(name: &str) -> Option<KeyCode> {
    Some(match name {
        "enter" | "return" => KeyCode::Enter,
        "esc" | "escape" => KeyCode::Esc,
        "tab" => KeyCode::Tab,
        "backtab" => KeyCode::BackTab,
        "backspace" => KeyCode::Backspace,
        "space" => KeyCode::Char(' '),
        "up" => KeyCode::Up,
        "down" => KeyCode::Down,
        "left" => KeyCode::Left,
        "right" => KeyCode::Right,
        "pageup" | "pgup" => KeyCode::PageUp,
        "pagedown" | "pgdn" | "pgdown" => KeyCode::PageDown,
        "home" => KeyCode::Home,
        "end" => KeyCode::End,
        "delete" | "del" => KeyCode::Delete,
        "insert" | "ins" => KeyCode::Insert,
        f if f.starts_with('f') => {
            let n: u8 = f[1..].parse().ok()?;
            if (1..=12).contains(&n) {
                KeyCode::F(n)
            } else {
                return None;
            }
        }
        _ => return None,
    })
}

fn normalise(code: KeyCode, mods: KeyModifiers) -> KeyChord {
    let mods = mods & (KeyModifiers::CONTROL | KeyModifiers::ALT | KeyModifiers::SHIFT);
    match code {
        KeyCode::Char(c) => {
            let shifted = mods.contains(KeyModifiers::SHIFT);
            let mods = mods - KeyModifiers::SHIFT;
            // Terminals send the same byte for Ctrl-g and Ctrl-G.
            let c = if mods.contains(KeyModifiers::CONTROL) {
                c.to_ascii_lowercase()
            } else if shifted && c.is_ascii_lowercase() {
                c.to_ascii_uppercase()
            } else {
                c
            };
            KeyChord::new(KeyCode::Char(c), mods)
        }
        KeyCode::BackTab => KeyChord::new(KeyCode::BackTab, mods - KeyModifiers::SHIFT),
        KeyCode::Tab if mods.contains(KeyModifiers::SHIFT) => {
            KeyChord::new(KeyCode::BackTab, mods - KeyModifiers::SHIFT)
        }
        other => KeyChord::new(other, mods),
    }
}

impl fmt::Display for KeyChord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.mods.contains(KeyModifiers::CONTROL) {
            f.write_str("Ctrl-")?;
        }
        if self.mods.contains(KeyModifiers::ALT) {
            f.write_str("Alt-")?;
        }
        if self.mods.contains(KeyModifiers::SHIFT) {
            f.write_str("Shift-")?;
        }
        match self.code {
            KeyCode::Char(' ') => f.write_str("Space"),
            KeyCode::Char(c) if self.mods.contains(KeyModifiers::CONTROL) => {
                write!(f, "{}", c.to_ascii_uppercase())
            }
            KeyCode::Char(c) => write!(f, "{c}"),
            KeyCode::Enter => f.write_str("Enter"),
            KeyCode::Esc => f.write_str("Esc"),
            KeyCode::Tab => f.write_str("Tab"),
            KeyCode::BackTab => f.write_str("Shift-Tab"),
            KeyCode::Backspace => f.write_str("Backspace"),
            KeyCode::Up => f.write_str("↑"),
            KeyCode::Down => f.write_str("↓"),
            KeyCode::Left => f.write_str("←"),
            KeyCode::Right => f.write_str("→"),
            KeyCode::PageUp => f.write_str("PgUp"),
            KeyCode::PageDown => f.write_str("PgDn"),
            KeyCode::Home => f.write_str("Home"),
            KeyCode::End => f.write_str("End"),
            KeyCode::Delete => f.write_str("Del"),
            KeyCode::Insert => f.write_str("Ins"),
            KeyCode::F(n) => write!(f, "F{n}"),
            other => write!(f, "{other:?}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(code: KeyCode, mods: KeyModifiers) -> KeyChord {
        KeyChord::from_event(&KeyEvent::new(code, mods))
    }

    #[test]
    fn parsed_chords_match_terminal_events() {
        assert_eq!(KeyChord::parse("G"), Ok(ev(KeyCode::Char('G'), KeyModifiers::SHIFT)));
        assert_eq!(
            KeyChord::parse("shift-g"),
            Ok(ev(KeyCode::Char('G'), KeyModifiers::SHIFT))
        );
        assert_eq!(
            KeyChord::parse("ctrl-r"),
            Ok(ev(KeyCode::Char('r'), KeyModifiers::CONTROL))
        );
        assert_eq!(
            KeyChord::parse("Ctrl-R"),
            Ok(ev(KeyCode::Char('R'), KeyModifiers::CONTROL))
        );
        assert_eq!(
            KeyChord::parse("shift-tab"),
            Ok(ev(KeyCode::BackTab, KeyModifiers::SHIFT))
        );
        assert_eq!(KeyChord::parse("?"), Ok(ev(KeyCode::Char('?'), KeyModifiers::SHIFT)));
        assert_eq!(KeyChord::parse("space"), Ok(ev(KeyCode::Char(' '), KeyModifiers::NONE)));
        assert_eq!(KeyChord::parse("-"), Ok(ev(KeyCode::Char('-'), KeyModifiers::NONE)));
        assert_eq!(KeyChord::parse("f5"), Ok(ev(KeyCode::F(5), KeyModifiers::NONE)));
    }

    #[test]
    fn bad_keys_are_explained() {
        assert!(KeyChord::parse("").is_err());
        assert!(
            KeyChord::parse("ctrl-banana")
                .unwrap_err()
                .contains("\"ctrl-banana\" is not a key")
        );
        assert!(KeyChord::parse("f13").is_err());
        assert!(KeyChord::parse("shift-?").is_err());
    }

    #[test]
    fn chords_print_for_people() {
        let p = |s| KeyChord::parse(s).unwrap().to_string();
        assert_eq!(p("ctrl-g"), "Ctrl-G");
        assert_eq!(p("shift-tab"), "Shift-Tab");
        assert_eq!(p("space"), "Space");
        assert_eq!(p("G"), "G");
    }
}
