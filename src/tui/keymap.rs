//! Key bindings: the defaults in `assets/keymap.toml`, the user's overrides from `config.toml`
//! (`[tui.keys.<section>]`), and the lookups the app, the help screen and the bottom bar make.
//!
//! A bad binding is an error naming the file and the line, never a silent fallback to defaults.

mod actions;
mod chord;

use std::collections::{BTreeMap, HashMap};
use std::fmt;

use crossterm::event::KeyEvent;
use serde::Deserialize;

pub use actions::{Action, Context};
pub use chord::KeyChord;

/// The default bindings, compiled in.
pub const DEFAULT_KEYMAP: &str = include_str!("../../assets/keymap.toml");

/// A binding that cannot be used, with where it was written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{source_name} line {line}: {message}")]
pub struct KeymapError {
    pub source_name: String,
    pub line: usize,
    pub message: String,
}

/// One `action = keys` line as read from a TOML file.
#[derive(Debug, Clone)]
pub struct Binding {
    pub section: String,
    pub action: String,
    pub keys: Vec<String>,
    pub line: usize,
    /// Position in the file, to keep the file's order on the help screen.
    pub position: usize,
}

/// `action = "key"` or `action = ["key", "key"]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum KeyList {
    One(String),
    Many(Vec<String>),
}

impl KeyList {
    fn into_vec(self) -> Vec<String> {
        match self {
            KeyList::One(k) => vec![k],
            KeyList::Many(ks) => ks,
        }
    }
}

/// Sections of bindings as they deserialize from TOML (`[section] action = keys`).
pub type KeySections = BTreeMap<String, BTreeMap<String, toml::Spanned<KeyList>>>;

/// The 1-based line of a byte offset in `text`.
pub fn line_of(text: &str, offset: usize) -> usize {
    text.get(..offset).map_or(0, |t| t.matches('\n').count()) + 1
}

/// Flattens deserialized sections into bindings with line numbers taken from `text`.
pub fn bindings_from(sections: KeySections, text: &str) -> Vec<Binding> {
    let mut out = Vec::new();
    for (section, actions) in sections {
        for (action, keys) in actions {
            let span = keys.span();
            out.push(Binding {
                section: section.clone(),
                action,
                keys: keys.into_inner().into_vec(),
                line: line_of(text, span.start),
                position: span.start,
            });
        }
    }
    out.sort_by_key(|b| b.position);
    out
}

#[derive(Debug, Clone)]
struct Bound {
    keys: Vec<KeyChord>,
    /// Where this action's keys were last set, for error messages.
    source: (String, usize),
}

/// The resolved bindings.
#[derive(Debug, Clone)]
pub struct Keymap {
    lookup: HashMap<(Context, KeyChord), Action>,
    bound: HashMap<(Context, Action), Bound>,
    /// Actions per context in the order of the defaults file, for help.
    order: Vec<(Context, Action)>,
}

impl Keymap {
    /// The defaults alone.
    pub fn defaults() -> Result<Keymap, KeymapError> {
        Keymap::with_overrides(&[], "")
    }

    /// The defaults with `user` bindings (from `source_name`) replacing the actions they name.
    pub fn with_overrides(user: &[Binding], source_name: &str) -> Result<Keymap, KeymapError> {
        let asset = "assets/keymap.toml";
        let sections: KeySections = toml::from_str(DEFAULT_KEYMAP).map_err(|e| KeymapError {
            source_name: asset.into(),
            line: e.span().map_or(0, |s| line_of(DEFAULT_KEYMAP, s.start)),
            message: e.message().to_owned(),
        })?;
        let mut map = Keymap {
            lookup: HashMap::new(),
            bound: HashMap::new(),
            order: Vec::new(),
        };
        for b in bindings_from(sections, DEFAULT_KEYMAP) {
            let (ctx, action) = resolve_names(&b, asset, None)?;
            map.order.push((ctx, action));
            map.bound.insert((ctx, action), parse_keys(&b, asset)?);
        }
        for b in user {
            let (ctx, action) = resolve_names(b, source_name, Some(&map))?;
            map.bound.insert((ctx, action), parse_keys(b, source_name)?);
        }
        map.index()?;
        Ok(map)
    }

    fn index(&mut self) -> Result<(), KeymapError> {
        // Walk in a fixed order so that the same conflict is always reported the same way.
        for &(ctx, action) in &self.order {
            let Some(bound) = self.bound.get(&(ctx, action)) else {
                continue;
            };
            for &chord in &bound.keys {
                if let Some(&other) = self.lookup.get(&(ctx, chord)) {
                    let other_src = &self.bound[&(ctx, other)].source;
                    // Blame the line a person most likely just edited: a user file over the asset.
                    let (src, line) = if bound.source.0 == "assets/keymap.toml" {
                        other_src
                    } else {
                        &bound.source
                    };
                    return Err(KeymapError {
                        source_name: src.clone(),
                        line: *line,
                        message: format!(
                            "{chord} is bound to both {} and {} in [{}]; give one of them another key",
                            other.name(),
                            action.name(),
                            ctx.section()
                        ),
                    });
                }
                self.lookup.insert((ctx, chord), action);
            }
        }
        Ok(())
    }

    /// What `key` does in `ctx` (falling back to the global section).
    pub fn action(&self, ctx: Context, key: &KeyEvent) -> Option<Action> {
        let chord = KeyChord::from_event(key);
        self.lookup
            .get(&(ctx, chord))
            .or_else(|| self.lookup.get(&(Context::Global, chord)))
            .copied()
    }

    /// The keys bound to `action` in `ctx` (or globally).
    pub fn keys(&self, ctx: Context, action: Action) -> &[KeyChord] {
        self.bound
            .get(&(ctx, action))
            .or_else(|| self.bound.get(&(Context::Global, action)))
            .map_or(&[], |b| b.keys.as_slice())
    }

    /// The keys of an action written for a hint: `Enter/v`. Empty when unbound.
    pub fn hint(&self, ctx: Context, action: Action) -> String {
        let keys = self.keys(ctx, action);
        let mut out = String::new();
        for (i, k) in keys.iter().take(2).enumerate() {
            if i > 0 {
                out.push('/');
            }
            out.push_str(&k.to_string());
        }
        out
    }

    /// Every bound action per section, in the defaults' order: the help screen's content.
    pub fn help(&self) -> Vec<(Context, Vec<(String, Action)>)> {
        Context::ALL
            .into_iter()
            .map(|ctx| {
                let rows = self
                    .order
                    .iter()
                    .filter(|(c, _)| *c == ctx)
                    .filter_map(|&(_, a)| {
                        let keys = &self.bound.get(&(ctx, a))?.keys;
                        if keys.is_empty() {
                            return None;
                        }
                        let text = keys.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ");
                        Some((text, a))
                    })
                    .collect();
                (ctx, rows)
            })
            .collect()
    }
}

fn resolve_names(b: &Binding, source: &str, defaults: Option<&Keymap>) -> Result<(Context, Action), KeymapError> {
    let err = |message: String| KeymapError {
        source_name: source.into(),
        line: b.line,
        message,
    };
    let ctx = Context::from_section(&b.section).ok_or_else(|| {
        err(format!(
            "there is no key section [{}]; sections are {}",
            b.section,
            Context::ALL.map(Context::section).join(", ")
        ))
    })?;
    let action = Action::from_name(&b.action);
    match (action, defaults) {
        (Some(a), None) => Ok((ctx, a)),
        (Some(a), Some(map)) if map.order.contains(&(ctx, a)) => Ok((ctx, a)),
        (_, Some(map)) => {
            let known: Vec<&str> = map
                .order
                .iter()
                .filter(|(c, _)| *c == ctx)
                .map(|(_, a)| a.name())
                .collect();
            Err(err(format!(
                "[{}] has no action {:?}; its actions are {}",
                ctx.section(),
                b.action,
                known.join(", ")
            )))
        }
        (None, None) => Err(err(format!("unknown action {:?}", b.action))),
    }
}

fn parse_keys(b: &Binding, source: &str) -> Result<Bound, KeymapError> {
    let keys = b
        .keys
        .iter()
        .map(|k| KeyChord::parse(k))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|message| KeymapError {
            source_name: source.into(),
            line: b.line,
            message: format!("{}: {message}", b.action),
        })?;
    Ok(Bound {
        keys,
        source: (source.to_owned(), b.line),
    })
}

impl fmt::Display for Context {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.section())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crossterm::event::{KeyCode, KeyModifiers};

    fn user(text: &str) -> Result<Keymap, KeymapError> {
        #[derive(Deserialize)]
        struct F {
            keys: KeySections,
        }
        let f: F = toml::from_str(text).unwrap();
        Keymap::with_overrides(&bindings_from(f.keys, text), "config.toml")
    }

    #[test]
    fn defaults_load_and_cover_the_issue_table() {
        let k = Keymap::defaults().unwrap();
        let key = |c| KeyEvent::new(c, KeyModifiers::NONE);
        assert_eq!(k.action(Context::Main, &key(KeyCode::Enter)), Some(Action::Reveal));
        assert_eq!(k.action(Context::Main, &key(KeyCode::Char('v'))), Some(Action::Reveal));
        assert_eq!(
            k.action(Context::Main, &KeyEvent::new(KeyCode::Char('R'), KeyModifiers::SHIFT)),
            Some(Action::BatchRotate)
        );
        assert_eq!(
            k.action(
                Context::Editor,
                &KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL)
            ),
            Some(Action::Quit)
        );
        assert_eq!(
            k.action(Context::Confirm, &key(KeyCode::Enter)),
            None,
            "only y confirms"
        );
        assert_eq!(k.hint(Context::Main, Action::Reveal), "Enter/v");
    }

    #[test]
    fn user_overrides_replace_an_action() {
        let k = user("[keys.main]\nreveal = \"z\"\n").unwrap();
        let key = |c| KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE);
        assert_eq!(k.action(Context::Main, &key('z')), Some(Action::Reveal));
        assert_eq!(k.action(Context::Main, &key('v')), None);
    }

    #[test]
    fn bad_bindings_name_the_line() {
        let e = user("[keys.main]\n\nreveal = \"ctrl-nope\"\n").unwrap_err();
        assert_eq!((e.source_name.as_str(), e.line), ("config.toml", 3));
        assert!(
            e.to_string()
                .starts_with("config.toml line 3: reveal: \"ctrl-nope\" is not a key"),
            "{e}"
        );

        let e = user("[keys.main]\nreveel = \"x\"\n").unwrap_err();
        assert_eq!(e.line, 2);
        assert!(e.message.contains("has no action \"reveel\""), "{e}");

        let e = user("[keys.mian]\nreveal = \"x\"\n").unwrap_err();
        assert!(e.message.contains("no key section [mian]"), "{e}");

        let e = user("[keys.main]\n# taken by copy\nreveal = \"c\"\n").unwrap_err();
        assert_eq!(e.line, 3);
        assert!(e.message.contains("c is bound to both"), "{e}");
    }
}
