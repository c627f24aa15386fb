//! The actions keys can be bound to, the sections (contexts) they are bound in, and the words the
//! help screen and the bottom bar use for them.

/// Where a key is looked up: the focused section first, then `Global`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Context {
    Global,
    Main,
    Filter,
    Confirm,
    Editor,
    Help,
}

impl Context {
    pub const ALL: [Context; 6] = [
        Context::Main,
        Context::Filter,
        Context::Confirm,
        Context::Editor,
        Context::Help,
        Context::Global,
    ];

    /// The section name in `keymap.toml` and under `[tui.keys]`.
    pub fn section(self) -> &'static str {
        match self {
            Context::Global => "global",
            Context::Main => "main",
            Context::Filter => "filter",
            Context::Confirm => "confirm",
            Context::Editor => "editor",
            Context::Help => "help",
        }
    }

    /// The heading on the help screen.
    pub fn title(self) -> &'static str {
        match self {
            Context::Global => "Everywhere",
            Context::Main => "Secrets, audit and tokens",
            Context::Filter => "While filtering",
            Context::Confirm => "Questions",
            Context::Editor => "Dialogs with fields (rotate, new, edit, delete)",
            Context::Help => "This help",
        }
    }

    pub fn from_section(name: &str) -> Option<Context> {
        Context::ALL.into_iter().find(|c| c.section() == name)
    }
}

macro_rules! actions {
    ($($variant:ident => $name:literal, $label:literal, $help:literal;)+) => {
        /// Everything a key can do.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Action { $($variant),+ }

        impl Action {
            pub const ALL: &'static [Action] = &[$(Action::$variant),+];

            /// The name in `keymap.toml`.
            pub fn name(self) -> &'static str {
                match self { $(Action::$variant => $name),+ }
            }

            /// A word or two for the bottom bar.
            pub fn label(self) -> &'static str {
                match self { $(Action::$variant => $label),+ }
            }

            /// A sentence for the help screen.
            pub fn help(self) -> &'static str {
                match self { $(Action::$variant => $help),+ }
            }

            pub fn from_name(name: &str) -> Option<Action> {
                match name { $($name => Some(Action::$variant),)+ _ => None }
            }
        }
    };
}

actions! {
    Quit => "quit", "quit", "quit (clears a pending clipboard first)";
    Refresh => "refresh", "refresh", "reload the list from the server now";
    Reveal => "reveal", "reveal", "reveal the value (asks first; the reveal is audited)";
    Copy => "copy", "copy", "copy the value; the clipboard is cleared afterwards";
    Rotate => "rotate", "rotate", "rotate: type, paste or generate a new value";
    Mark => "mark", "mark", "mark or unmark for batch rotation";
    BatchRotate => "batch_rotate", "batch rotate","rotate the marked secrets (or every stale one) in turn";
    Filter => "filter", "filter", "filter by name and description as you type";
    Sort => "sort", "sort", "cycle the sort: name, rotated, last used, provider";
    New => "new", "new", "create a secret";
    Edit => "edit", "edit", "edit description, category, provider and scope";
    Delete => "delete", "delete", "delete (type the name back to confirm)";
    NextTab => "next_tab", "next tab", "next tab: the categories, then audit, tokens and the other views";
    PrevTab => "prev_tab", "prev tab", "previous tab";
    TabAll => "tab_all", "all", "show every category";
    TabProvider => "tab_provider", "provider", "show provider secrets";
    TabTool => "tab_tool", "tool", "show tool secrets";
    TabCustom => "tab_custom", "custom", "show custom secrets";
    PrevScope => "prev_scope", "scope", "previous scope tab";
    NextScope => "next_scope", "scope", "next scope tab";
    Visibility => "visibility", "mine/org", "show mine, org-shared or both";
    Audit => "audit", "audit", "open or close the audit pane";
    Tokens => "tokens", "tokens", "open or close your tokens (the one this session uses is marked)";
    Users => "users", "users", "open or close the users (admins): role, status, last seen, tokens";
    Revoke => "revoke", "revoke", "revoke the selected token and the tokens it created (asks first)";
    RevokeAll => "revoke_all", "revoke all", "revoke every token of the selected user (admins; asks first)";
    Disable => "disable", "disable/enable", "disable or enable the selected user (admins; asks first)";
    Role => "role", "admin/member", "make the selected user admin or member (admins; asks first)";
    Up => "up", "up", "move up";
    Down => "down", "down", "move down";
    PageUp => "page_up", "page up", "move a page up";
    PageDown => "page_down", "page down", "move a page down";
    Top => "top", "top", "go to the first row";
    Bottom => "bottom", "bottom", "go to the last row";
    Back => "back", "back", "undo: hide the value, clear filter or marks, leave audit";
    Help => "help", "help", "show this help";
    Accept => "accept", "keep filter", "keep the filter and return to the table";
    Clear => "clear", "clear", "clear the filter and return to the table";
    Yes => "yes", "yes", "yes";
    No => "no", "no", "no, cancel";
    Submit => "submit", "go on","go on: review, save or confirm";
    Cancel => "cancel", "cancel", "close the dialog without saving";
    NextField => "next_field", "next field", "next field";
    PrevField => "prev_field", "prev field", "previous field";
    PrevChoice => "prev_choice", "change", "previous choice, or shorter generated value";
    NextChoice => "next_choice", "change", "next choice, or longer generated value";
    ToggleShow => "toggle_show", "show","show or hide the value you are typing";
    Generate => "generate", "generate", "generate a random value (length and alphabet in the dialog)";
    ClearField => "clear_field", "clear", "clear the field";
    Skip => "skip", "skip", "skip this secret in a batch rotation";
    Close => "close", "close", "close the help";
}

impl Action {
    /// Actions only admins have: a member sees neither their hints nor their help lines, and
    /// their keys do nothing for a member.
    pub fn admin_only(self) -> bool {
        matches!(self, Action::Users | Action::RevokeAll | Action::Disable | Action::Role)
    }
}
