//! The confirm popup's words for an account action (`PendingAction::Account`): what it acts
//! on, and what follows from it for the user, their tokens and this session.

use super::accounts::descendants;
use super::{AccountOp, App, UserChange};
use crate::api::{TokenInfo, TokenKind};

fn and_children(n: usize) -> String {
    match n {
        0 => String::new(),
        1 => ", and so does the token it created".to_owned(),
        n => format!(", and so do the {n} tokens it created"),
    }
}

/// For a runner token, what stopping it means for the runs that use it.
fn runner_line(tokens: &[TokenInfo], id: &str) -> Option<String> {
    let t = tokens.iter().find(|t| t.id == id && t.kind == TokenKind::Runner)?;
    Some(format!(
        "It is a runner token ({}): the runs that use it (`vaultty run`) can no longer fetch their secrets.",
        t.runner_binding()
    ))
}

fn stop_working(n: u32) -> String {
    match n {
        1 => "Their token stops working".to_owned(),
        n => format!("Their {n} tokens stop working"),
    }
}

pub fn title(op: &AccountOp) -> String {
    match op {
        AccountOp::RevokeOwn { name, .. } => format!(" Revoke your token {name}? "),
        AccountOp::RevokeUserToken { user, name, .. } => format!(" Revoke {user}'s token {name}? "),
        AccountOp::RevokeAll { user } => format!(" Revoke all of {user}'s tokens? "),
        AccountOp::Patch { user, patch } => match patch {
            UserChange::Disable => format!(" Disable {user}? "),
            UserChange::Enable => format!(" Enable {user}? "),
            UserChange::MakeAdmin => format!(" Make {user} an admin? "),
            UserChange::MakeMember => format!(" Make {user} a member? "),
        },
    }
}

pub fn yes(op: &AccountOp) -> &'static str {
    match op {
        AccountOp::RevokeOwn { .. } | AccountOp::RevokeUserToken { .. } => "revoke",
        AccountOp::RevokeAll { .. } => "revoke all",
        AccountOp::Patch { patch, .. } => match patch {
            UserChange::Disable => "disable",
            UserChange::Enable => "enable",
            UserChange::MakeAdmin => "make admin",
            UserChange::MakeMember => "make member",
        },
    }
}

pub fn text(op: &AccountOp, app: &App) -> Vec<String> {
    let me = app.user_label();
    let audit = format!("Recorded in the audit log as {me}.");
    let a = &app.accounts;
    let live = |user: &str| a.users.items.iter().find(|u| u.name == user).map_or(0, |u| u.tokens);
    let mut lines = match op {
        AccountOp::RevokeOwn { id, name, current } => {
            let gone = descendants(&a.tokens.items, id);
            let children = and_children(gone);
            let mut v = vec![format!("{name} ({id}) stops working at once{children}.")];
            v.extend(runner_line(&a.tokens.items, id));
            if *current {
                v.push("This is the token this session uses: the TUI loses access at once.".to_owned());
            }
            // Nothing left to sign in with, and an enrolled user is never enrolled again.
            if a.tokens.loaded && a.tokens.items.len() <= gone + 1 {
                v.push(
                    "It is your last token: you cannot sign in again afterwards (a user who has \
                     enrolled is never enrolled again; an admin would create a new user)."
                        .to_owned(),
                );
            } else if *current {
                v.push("Sign in again with `vaultty login` and another of your tokens.".to_owned());
            }
            v
        }
        AccountOp::RevokeUserToken { user, id, name } => {
            let children = and_children(descendants(&a.user_tokens.items, id));
            let mut v = vec![format!(
                "{user}'s token {name} ({id}) stops working at once{children}. {user} keeps their account and secrets."
            )];
            v.extend(runner_line(&a.user_tokens.items, id));
            // An admin looking at their own tokens from the Users view: the same warning as
            // in the Tokens view.
            if a.user_tokens.items.iter().any(|t| &t.id == id && t.current) {
                v.push("This is the token this session uses: the TUI loses access at once.".to_owned());
            }
            v
        }
        AccountOp::RevokeAll { user } => {
            let mut v = vec![format!(
                "{} of {user}'s tokens stop working at once. {user} stays enabled but cannot sign in \
                 again: a user who has enrolled is never enrolled again (create a new user instead).",
                live(user)
            )];
            if user == me {
                v.insert(0, "This is you: this session stops working at once.".to_owned());
            }
            v
        }
        AccountOp::Patch { user, patch } => {
            let info = a.users.items.iter().find(|u| &u.name == user);
            let n = info.map_or(0, |u| u.tokens);
            let enrolled = info.is_none_or(|u| u.enrolled);
            let you = user == me;
            let first = match patch {
                UserChange::Disable if !enrolled => {
                    format!("{user} has not enrolled yet: their enrolment code does not work while they are disabled.")
                }
                UserChange::Disable if n == 0 => format!("{user} has no live tokens; their secrets stay."),
                UserChange::Disable => format!(
                    "{} at once; their secrets stay. Enabling {user} again restores the same tokens.",
                    stop_working(n)
                ),
                UserChange::Enable if !enrolled => {
                    format!("{user}'s enrolment code works again, unless it has expired.")
                }
                UserChange::Enable => format!("{user}'s {n} live tokens work again."),
                UserChange::MakeAdmin => format!(
                    "{user} can then manage users and tokens, change org-shared secrets and read the \
                     whole audit log. Nobody, admins included, can reveal another user's private secrets."
                ),
                UserChange::MakeMember if you => {
                    "This is you: you lose the Users view and cannot change org-shared secrets afterwards.".to_owned()
                }
                UserChange::MakeMember => format!(
                    "{user} can then no longer manage users or tokens, change org-shared secrets or read \
                     the whole audit log."
                ),
            };
            if you && *patch == UserChange::Disable {
                vec!["This is you: this session stops working at once.".to_owned(), first]
            } else {
                vec![first]
            }
        }
    };
    lines.push(audit);
    lines
}
