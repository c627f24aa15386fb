//! The action table: for one context (the secrets table, the audit pane, the filter, each popup),
//! which actions it takes, the handler of each, and the label its hint shows. Key dispatch
//! (`keys`) and the bottom bar (`components::status`) read the same table, so a key cannot work
//! without its hint being possible, nor a hint show for a key that does nothing.
//!
//! The keymap stays the source of which key triggers which action; a table only maps actions.

use super::{App, Command};
use crate::tui::keymap::{Action, Context};

/// Runs one action. It gets the action too, so that one handler can serve a family (moves, tabs).
pub type Handler = fn(&mut App, Action, &mut Vec<Command>);

/// A key that no row takes, in a context that accepts typing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextKey {
    Char(char),
    Backspace,
}

/// Typing into the focused field (filter, form, typed name).
pub type TextHandler = fn(&mut App, TextKey, &mut Vec<Command>);

/// Where a row's hint appears.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Show {
    /// The key works; no hint (paging, jumps, aliases).
    Hidden,
    /// In the bottom bar.
    Bar,
    /// In the bottom bar and on the popup's own key line.
    Inline,
}

#[derive(Clone, Copy)]
pub struct Row {
    pub action: Action,
    pub label: &'static str,
    pub show: Show,
    pub run: Handler,
}

impl std::fmt::Debug for Row {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?} {:?} {:?}", self.action, self.label, self.show)
    }
}

/// The rows of one context, in hint order (most useful first).
#[derive(Debug)]
pub struct ActionTable {
    /// The keymap section its keys are looked up in.
    pub ctx: Context,
    pub rows: Vec<Row>,
    pub text: Option<TextHandler>,
}

impl ActionTable {
    pub fn new(ctx: Context) -> ActionTable {
        ActionTable {
            ctx,
            rows: Vec::new(),
            text: None,
        }
    }

    /// A row labelled with the action's own word.
    pub fn row(self, action: Action, show: Show, run: Handler) -> ActionTable {
        self.labelled(action, action.label(), show, run)
    }

    pub fn labelled(mut self, action: Action, label: &'static str, show: Show, run: Handler) -> ActionTable {
        self.rows.push(Row {
            action,
            label,
            show,
            run,
        });
        self
    }

    /// A row only when `cond` holds.
    pub fn row_if(self, cond: bool, action: Action, show: Show, run: Handler) -> ActionTable {
        if cond { self.row(action, show, run) } else { self }
    }

    pub fn typing(mut self, text: TextHandler) -> ActionTable {
        self.text = Some(text);
        self
    }

    pub fn find(&self, action: Action) -> Option<&Row> {
        self.rows.iter().find(|r| r.action == action)
    }

    /// The bottom bar's rows.
    pub fn bar(&self) -> impl Iterator<Item = &Row> {
        self.rows.iter().filter(|r| r.show != Show::Hidden)
    }

    /// The popup's own key line.
    pub fn inline(&self) -> impl Iterator<Item = &Row> {
        self.rows.iter().filter(|r| r.show == Show::Inline)
    }
}

/// Rows every context has unless it says otherwise (checked after the context's own).
pub fn global() -> ActionTable {
    ActionTable::new(Context::Global)
        .row(Action::Quit, Show::Hidden, |app, _, out| app.quit(out))
        .row(Action::Refresh, Show::Hidden, |app, _, out| app.refresh(out))
}
