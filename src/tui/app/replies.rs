//! What each reply from `tasks` does to the state.

use super::session::backoff;
use super::{App, CallError, Command, FailureClass, Offline, Reply, Tone};

pub(super) fn on_reply(app: &mut App, reply: Reply, out: &mut Vec<Command>) {
    // A 401 from any call: the token no longer works. The reply still settles its own state
    // below; then the banner replaces whatever it would have said.
    let refused = reply.refused().map(str::to_owned);
    dispatch(app, reply, out);
    if let Some(reason) = refused {
        app.lose_access(&reason, out);
    }
}

fn dispatch(app: &mut App, reply: Reply, out: &mut Vec<Command>) {
    match reply {
        Reply::Me(result) => {
            app.settle();
            match result {
                Ok(me) => {
                    app.session.me = Some(me);
                    if !app.is_admin() && app.view.pane == super::Pane::Users {
                        app.view.pane = super::Pane::Secrets;
                    }
                    if app.session.revoked.take().is_some() {
                        app.refresh(out);
                        // The subscription stopped at the 401; it starts again with access.
                        app.subscribe(out);
                        app.say(Tone::Success, "Access restored: this token works again");
                    }
                }
                Err(e) if e.kind == FailureClass::Unreachable => {}
                Err(e) => app.say(Tone::Error, format!("Could not read who you are: {}", e.message)),
            }
        }
        Reply::Secrets(result) => on_secrets(app, result, out),
        Reply::Secret { key, result } => app.on_secret(key, result),
        Reply::Versions { key, result } => {
            app.settle();
            app.versions.loading = None;
            if app.list.selected_key().as_ref() == Some(&key) {
                app.versions.key = Some(key);
                match result {
                    Ok(list) => {
                        app.versions.list = list;
                        app.versions.error = None;
                    }
                    Err(e) => {
                        app.versions.list.clear();
                        app.versions.error = Some(e.message);
                    }
                }
            }
            // The selection may have moved on while this was loading.
            app.want_versions(out);
        }
        Reply::Audit(result) => {
            app.settle();
            app.audit.loading = false;
            match result {
                Ok(events) => {
                    app.audit.events = events;
                    app.audit.loaded = true;
                    app.audit.error = None;
                    app.audit.cursor = app.audit.cursor.min(app.audit.events.len().saturating_sub(1));
                }
                Err(e) => app.audit.error = Some(e.message),
            }
        }
        Reply::Revealed {
            key,
            purpose,
            result,
            at,
        } => app.on_revealed(key, purpose, result, at, out),
        Reply::Copied { label, result, at } => app.on_copied(label, result, at),
        Reply::Cleared(result) => app.on_cleared(result),
        Reply::Written { op, result } => app.on_written(op, result, out),
        Reply::Deleted { key, result } => app.on_deleted(key, result, out),
        Reply::Generated { ticket, value } => app.on_generated(ticket, &value),
        Reply::Live(event) => app.on_live(event, out),
        Reply::Refetched { key, result } => app.on_refetched(key, result, out),
        Reply::Tokens(result) => app.on_tokens(result),
        Reply::Users(result) => app.on_users(result),
        Reply::UserTokens { user, result } => app.on_user_tokens(&user, result),
        Reply::AccountDone { op, result } => app.on_account_done(op, result, out),
    }
}

fn on_secrets(app: &mut App, result: Result<Vec<crate::api::SecretMeta>, CallError>, out: &mut Vec<Command>) {
    app.settle();
    app.session.list_loading = false;
    match result {
        Ok(rows) => {
            app.session.load_error = None;
            if app.session.offline.take().is_some() {
                app.say(Tone::Success, "Connected again");
            }
            app.list.replace(rows);
            let every = app.config.tui.refresh_seconds;
            app.session.next_refresh = (every > 0).then(|| app.now + time::Duration::seconds(every.into()));
            app.after_move(out);
        }
        Err(e) if e.kind == FailureClass::Unreachable => {
            let attempt = app.session.offline.as_ref().map_or(1, |o| o.attempt + 1);
            app.session.offline = Some(Offline {
                reason: e.message,
                attempt,
                retry_at: app.now + backoff(attempt),
            });
        }
        Err(e) => {
            app.say(Tone::Error, format!("Could not load secrets: {}", e.message));
            app.session.load_error = Some(e.message);
            let every = app.config.tui.refresh_seconds;
            app.session.next_refresh = (every > 0).then(|| app.now + time::Duration::seconds(every.into()));
        }
    }
    if std::mem::take(&mut app.session.list_queued) {
        app.load_secrets(out);
    }
}
