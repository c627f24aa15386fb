//! The account views: one's own tokens (everyone) and the users with their tokens (admins), what
//! their keys ask (every change goes through a [`PendingAction::Account`] and the confirm popup),
//! and what the answers do. Drawn by `components::accounts`.

use super::{AccountOp, AccountOutcome, App, CallError, Command, Pane, PendingAction, Tone, UserChange};
use crate::api::{Role, TokenInfo, UserInfo};

/// A list loaded from the server with a cursor: own tokens, users, a user's tokens.
#[derive(Debug)]
pub struct Loaded<T> {
    pub items: Vec<T>,
    pub loaded: bool,
    pub loading: bool,
    pub error: Option<String>,
    pub cursor: usize,
}

impl<T> Default for Loaded<T> {
    fn default() -> Self {
        Loaded {
            items: Vec::new(),
            loaded: false,
            loading: false,
            error: None,
            cursor: 0,
        }
    }
}

impl<T> Loaded<T> {
    pub fn selected(&self) -> Option<&T> {
        self.items.get(self.cursor)
    }

    pub fn move_by(&mut self, delta: isize) {
        let last = self.items.len().saturating_sub(1);
        self.cursor = self.cursor.saturating_add_signed(delta).min(last);
    }

    /// Marks a load as started; false when one is already on its way.
    fn start(&mut self) -> bool {
        !std::mem::replace(&mut self.loading, true)
    }

    fn answer(&mut self, result: Result<Vec<T>, CallError>) {
        self.loading = false;
        match result {
            Ok(items) => {
                self.items = items;
                self.loaded = true;
                self.error = None;
                self.cursor = self.cursor.min(self.items.len().saturating_sub(1));
            }
            Err(e) => self.error = Some(e.message),
        }
    }
}

/// The users (admin) and the user opened with Enter, if any.
#[derive(Debug, Default)]
pub struct Accounts {
    /// The caller's own tokens (the Tokens view).
    pub tokens: Loaded<TokenInfo>,
    pub users: Loaded<UserInfo>,
    /// The user whose tokens the Users view lists instead of the users.
    pub opened: Option<String>,
    pub user_tokens: Loaded<TokenInfo>,
}

impl Accounts {
    /// The user under the cursor, or the one opened.
    pub fn user(&self) -> Option<&UserInfo> {
        match &self.opened {
            Some(name) => self.users.items.iter().find(|u| &u.name == name),
            None => self.users.selected(),
        }
    }
}

/// How many of `tokens` descend from `id` (revoking it revokes them too).
pub fn descendants(tokens: &[TokenInfo], id: &str) -> usize {
    let mut ids = vec![id];
    let mut n = 0;
    while let Some(parent) = ids.pop() {
        for t in tokens.iter().filter(|t| t.parent.as_deref() == Some(parent)) {
            n += 1;
            ids.push(&t.id);
        }
    }
    n
}

impl App {
    pub(crate) fn load_tokens(&mut self, out: &mut Vec<Command>) {
        if self.accounts.tokens.start() {
            self.issue(out, Command::LoadTokens);
        }
    }

    pub(crate) fn load_users(&mut self, out: &mut Vec<Command>) {
        if self.is_admin() && self.accounts.users.start() {
            self.issue(out, Command::LoadUsers);
        }
        self.load_user_tokens(out);
    }

    fn load_user_tokens(&mut self, out: &mut Vec<Command>) {
        if let Some(user) = self.accounts.opened.clone()
            && self.is_admin()
            && self.accounts.user_tokens.start()
        {
            self.issue(out, Command::LoadUserTokens(user));
        }
    }

    /// Enter on a user: their tokens.
    pub(crate) fn open_user(&mut self, out: &mut Vec<Command>) {
        let Some(user) = self.accounts.users.selected().map(|u| u.name.clone()) else {
            return;
        };
        self.accounts.opened = Some(user);
        self.accounts.user_tokens = Loaded::default();
        self.load_user_tokens(out);
    }

    /// x: revoke the selected token (own tokens, or the opened user's).
    pub(crate) fn ask_revoke(&mut self) {
        let op = match (self.view.pane, &self.accounts.opened) {
            (Pane::Tokens, _) => self.accounts.tokens.selected().map(|t| AccountOp::RevokeOwn {
                id: t.id.clone(),
                name: t.name.clone(),
                current: t.current,
            }),
            (Pane::Users, Some(user)) => self
                .accounts
                .user_tokens
                .selected()
                .map(|t| AccountOp::RevokeUserToken {
                    user: user.clone(),
                    id: t.id.clone(),
                    name: t.name.clone(),
                }),
            _ => {
                let keys = self
                    .keymap
                    .hint(crate::tui::keymap::Context::Main, crate::tui::keymap::Action::Reveal);
                self.say(Tone::Info, format!("Open a user's tokens with {keys} to revoke one"));
                return;
            }
        };
        match op {
            Some(op) => self.ask(PendingAction::Account(op)),
            None => self.say(Tone::Info, "No token selected"),
        }
    }

    /// X: revoke all of the selected (or opened) user's tokens.
    pub(crate) fn ask_revoke_all(&mut self) {
        let Some(u) = self.accounts.user() else { return };
        if u.tokens == 0 {
            let text = format!("{} has no live tokens", u.name);
            return self.say(Tone::Info, text);
        }
        let user = u.name.clone();
        self.ask(PendingAction::Account(AccountOp::RevokeAll { user }));
    }

    /// D and p: disable/enable, or admin/member, for the selected (or opened) user.
    pub(crate) fn ask_user_change(&mut self, role: bool) {
        let Some(u) = self.accounts.user() else { return };
        let patch = match (role, u.role, u.disabled) {
            (true, Role::Admin, _) => UserChange::MakeMember,
            (true, Role::Member, _) => UserChange::MakeAdmin,
            (false, _, true) => UserChange::Enable,
            (false, _, false) => UserChange::Disable,
        };
        let user = u.name.clone();
        self.ask(PendingAction::Account(AccountOp::Patch { user, patch }));
    }

    pub(super) fn on_tokens(&mut self, result: Result<Vec<TokenInfo>, CallError>) {
        self.settle();
        self.accounts.tokens.answer(result);
    }

    pub(super) fn on_users(&mut self, result: Result<Vec<UserInfo>, CallError>) {
        self.settle();
        self.accounts.users.answer(result);
    }

    pub(super) fn on_user_tokens(&mut self, user: &str, result: Result<Vec<TokenInfo>, CallError>) {
        self.settle();
        if self.accounts.opened.as_deref() == Some(user) {
            self.accounts.user_tokens.answer(result);
        } else {
            self.accounts.user_tokens.loading = false;
        }
    }

    pub(super) fn on_account_done(
        &mut self,
        op: AccountOp,
        result: Result<AccountOutcome, CallError>,
        out: &mut Vec<Command>,
    ) {
        self.settle();
        let outcome = match result {
            Ok(o) => o,
            Err(e) => {
                self.confirm_failed(&e.message);
                return self.say(Tone::Error, e.message);
            }
        };
        self.popup = None;
        let me = self.user_label().to_owned();
        let text = match (&op, outcome) {
            (AccountOp::RevokeOwn { current: true, .. }, _) => {
                self.lose_access("you revoked the token this session used", out);
                return;
            }
            (AccountOp::RevokeOwn { id, name, .. }, _) => format!("Revoked {name} ({id})"),
            (AccountOp::RevokeUserToken { user, id, name }, _) => format!("Revoked {user}'s token {name} ({id})"),
            (AccountOp::RevokeAll { user }, AccountOutcome::RevokedAll(n)) => {
                format!("Revoked {n} of {user}'s tokens")
            }
            (AccountOp::Patch { user, patch }, AccountOutcome::User(info)) => {
                if let Some(row) = self.accounts.users.items.iter_mut().find(|u| u.name == info.name) {
                    *row = info.clone();
                }
                if *user == me {
                    if let Some(m) = &mut self.session.me {
                        m.role = info.role;
                    }
                    if !self.is_admin() {
                        self.view.pane = Pane::Secrets;
                        self.accounts.opened = None;
                    }
                }
                match patch {
                    UserChange::Disable => format!("Disabled {user}: their tokens no longer work"),
                    UserChange::Enable => format!("Enabled {user}: their tokens work again"),
                    UserChange::MakeAdmin => format!("{user} is an admin now"),
                    UserChange::MakeMember => format!("{user} is a member now"),
                }
            }
            // An answer of another shape than the call made: not sent by `tasks`.
            (_, _) => "Done".to_owned(),
        };
        self.say(Tone::Success, text);
        match op {
            AccountOp::RevokeOwn { .. } => self.load_tokens(out),
            _ => self.load_users(out),
        }
    }
}
