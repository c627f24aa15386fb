//! Shared test data and helpers: a fixed clock, a small vault's metadata, keys, the reveal, copy
//! and generate sequences as a user and `tasks` would play them, and rendering into a
//! `TestBackend`.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use secrecy::SecretString;
use time::macros::datetime;
use time::{Duration, OffsetDateTime};
use vaultty::api::{Category, Me, Revealed, Role, Scope, SecretMeta, VersionInfo, Visibility};
use vaultty::tui::app::{CopyInfo, RevealPurpose, SecretKey};
use vaultty::tui::keymap::Keymap;
use vaultty::tui::{App, AppConfig, Command, Msg, Reply, TuiConfig, update};

/// Every screen in these tests is drawn at this moment.
pub const T0: OffsetDateTime = datetime!(2026-06-01 14:02:00 UTC);

pub fn at(secs: i64) -> OffsetDateTime {
    T0 + Duration::seconds(secs)
}

/// The values behind the fixture secrets. None may appear on screen unless revealed.
pub const VALUES: &[(&str, &str)] = &[
    ("ANTHROPIC_API_KEY", "sk-ant-api03-Zq8vLmN4pR7tY2wXkJ6hB-wxyz"),
    ("DATABASE_URL", "postgres://app:Hunter2Hunter2@db.internal/app"),
    ("GITHUB_TOKEN", "ghp_9f8e7d6c5b4a3f2e1d0c9b8a7f6e5d4c3b2a"),
    ("OPENAI_API_KEY", "sk-proj-Aa1Bb2Cc3Dd4Ee5Ff6Gg7Hh8"),
    ("SENTRY_DSN", "https://0123456789abcdef@o1.ingest.sentry.io/42"),
    ("SLACK_WEBHOOK", "https://hooks.slack.com/services/T000/B000/XXXXXXXX"),
    ("STRIPE_SECRET", "sk_live_51HxYzStripeSecretValue0000"),
];

pub fn value_of(name: &str) -> &'static str {
    VALUES.iter().find(|(n, _)| *n == name).map(|(_, v)| *v).unwrap()
}

#[allow(clippy::too_many_arguments)]
fn meta(
    name: &str,
    visibility: Visibility,
    category: Category,
    scope: Scope,
    version: i64,
    created_at: OffsetDateTime,
    rotated: Option<(OffsetDateTime, &str)>,
    last_used_at: Option<OffsetDateTime>,
    description: Option<&str>,
) -> SecretMeta {
    let org = visibility == Visibility::Org;
    SecretMeta {
        name: name.into(),
        category,
        scope,
        visibility,
        owner: (!org).then(|| "alice".into()),
        description: description.map(Into::into),
        preview: vaultty::crypto::preview(value_of(name)).into(),
        version,
        revealable: name != "STRIPE_SECRET",
        created_at,
        rotated_at: rotated.map(|r| r.0),
        last_used_at,
        created_by: Some("alice".into()),
        rotated_by: rotated.map(|r| r.1.into()),
        provider: None,
    }
}

/// Seven secrets: three stale (OPENAI_API_KEY, DATABASE_URL, SLACK_WEBHOOK), one write-only
/// (STRIPE_SECRET), three org-shared.
pub fn secrets() -> Vec<SecretMeta> {
    use Category::*;
    use Visibility::*;
    vec![
        meta(
            "OPENAI_API_KEY",
            User,
            Provider,
            Scope::All,
            1,
            datetime!(2026-01-02 09:00 UTC),
            None,
            None,
            None,
        ),
        meta(
            "ANTHROPIC_API_KEY",
            Org,
            Provider,
            Scope::Agents,
            4,
            datetime!(2026-01-10 10:00 UTC),
            Some((datetime!(2026-05-29 08:30 UTC), "bob")),
            Some(datetime!(2026-06-01 13:00 UTC)),
            Some("Claude for the agent runners"),
        ),
        meta(
            "GITHUB_TOKEN",
            User,
            Tool,
            Scope::Tools,
            3,
            datetime!(2026-02-11 10:00 UTC),
            Some((datetime!(2026-05-01 12:00 UTC), "alice")),
            Some(datetime!(2026-05-31 18:00 UTC)),
            Some("CI runners push tags"),
        ),
        meta(
            "STRIPE_SECRET",
            Org,
            Provider,
            Scope::Sandboxes,
            2,
            datetime!(2026-03-01 10:00 UTC),
            Some((datetime!(2026-04-01 10:00 UTC), "bob")),
            None,
            Some("Payments sandbox"),
        ),
        meta(
            "DATABASE_URL",
            User,
            Custom,
            Scope::All,
            7,
            datetime!(2025-09-01 10:00 UTC),
            Some((datetime!(2026-02-01 10:00 UTC), "alice")),
            Some(datetime!(2026-05-30 10:00 UTC)),
            Some("Postgres for staging"),
        ),
        meta(
            "SENTRY_DSN",
            Org,
            Tool,
            Scope::Agents,
            1,
            datetime!(2026-05-20 10:00 UTC),
            None,
            None,
            None,
        ),
        meta(
            "SLACK_WEBHOOK",
            User,
            Custom,
            Scope::Tools,
            2,
            datetime!(2025-08-01 10:00 UTC),
            Some((datetime!(2025-11-01 10:00 UTC), "alice")),
            Some(datetime!(2026-04-01 10:00 UTC)),
            None,
        ),
    ]
}

pub fn config() -> AppConfig {
    AppConfig {
        tui: TuiConfig::default(),
        server: "http://127.0.0.1:4000".into(),
        no_color: true,
        no_clipboard: None,
        live_updates: true,
    }
}

/// An app that has not heard from the server yet.
pub fn fresh() -> App {
    App::new(config(), Keymap::defaults().unwrap(), T0)
}

pub fn me(role: Role) -> Me {
    Me {
        user: "alice".into(),
        org: "acme".into(),
        role,
    }
}

/// An app with `/v1/me` (alice, admin) and the fixture list loaded, and the first row's history.
pub fn loaded() -> App {
    let mut app = fresh();
    app.start();
    send(&mut app, Reply::Me(Ok(me(Role::Admin))));
    send(&mut app, Reply::Secrets(Ok(secrets())));
    versions_for_selected(&mut app);
    app
}

/// Answers the history request of the selected secret.
pub fn versions_for_selected(app: &mut App) {
    let Some(meta) = app.list.selected().cloned() else {
        return;
    };
    let key = SecretKey::of(&meta);
    let list = (1..=meta.version)
        .rev()
        .map(|v| VersionInfo {
            version: v,
            created_at: meta.created_at + Duration::days(7 * (v - 1)),
            created_by: Some(if v % 2 == 0 { "bob" } else { "alice" }.into()),
            preview: format!("v{v}pr****{v:04}"),
        })
        .collect();
    send(app, Reply::Versions { key, result: Ok(list) });
}

pub fn send(app: &mut App, reply: Reply) -> Vec<Command> {
    update(app, Msg::from(reply))
}

pub fn tick(app: &mut App, t: OffsetDateTime) -> Vec<Command> {
    update(app, Msg::Tick(t))
}

pub fn press(app: &mut App, code: KeyCode) -> Vec<Command> {
    update(app, Msg::Key(KeyEvent::new(code, KeyModifiers::NONE)))
}

pub fn ch(app: &mut App, c: char) -> Vec<Command> {
    let mods = if c.is_ascii_uppercase() {
        KeyModifiers::SHIFT
    } else {
        KeyModifiers::NONE
    };
    update(app, Msg::Key(KeyEvent::new(KeyCode::Char(c), mods)))
}

pub fn ctrl(app: &mut App, c: char) -> Vec<Command> {
    update(app, Msg::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL)))
}

pub fn typed(app: &mut App, text: &str) {
    for c in text.chars() {
        ch(app, c);
    }
}

pub fn key(name: &str, org: bool) -> SecretKey {
    SecretKey { name: name.into(), org }
}

/// Moves the selection to `name` (in the current view).
pub fn select(app: &mut App, name: &str) {
    press(app, KeyCode::Home);
    for _ in 0..app.list.visible_len() {
        if app.list.selected().is_some_and(|m| m.name == name) {
            return;
        }
        press(app, KeyCode::Down);
    }
    panic!("{name} is not visible");
}

pub fn visible_names(app: &App) -> Vec<String> {
    app.list
        .window(0, usize::MAX)
        .map(|(_, m)| m.name.to_string())
        .collect()
}

pub fn revealed(name: &str, version: i64) -> Result<Revealed, vaultty::tui::app::CallError> {
    Ok(Revealed {
        name: name.into(),
        value: SecretString::from(value_of(name)),
        version,
    })
}

/// `key` (v for a reveal, c for a copy) on the selected secret, then `y`: the commands the yes runs.
pub fn ask_and_confirm(app: &mut App, key: char) -> Vec<Command> {
    ch(app, key);
    ch(app, 'y')
}

/// The server's answer to a reveal of the selected secret, as `tasks` sends it at `t`.
pub fn answer_reveal(
    app: &mut App,
    purpose: RevealPurpose,
    result: Result<Revealed, vaultty::tui::app::CallError>,
    t: OffsetDateTime,
) -> Vec<Command> {
    let meta = app.list.selected().cloned().expect("a selected secret");
    let key = SecretKey::of(&meta);
    send(
        app,
        Reply::Revealed {
            key,
            purpose,
            result,
            at: t,
        },
    )
}

/// The whole reveal of the selected secret: v, y, and its value from the server at `t`.
pub fn reveal(app: &mut App, t: OffsetDateTime) -> Vec<Command> {
    ask_and_confirm(app, 'v');
    let meta = app.list.selected().cloned().expect("a selected secret");
    answer_reveal(app, RevealPurpose::Show, revealed(&meta.name, meta.version), t)
}

/// The clipboard's answer to a copy of `label` at `t`: the system clipboard, which can be checked.
pub fn copied(app: &mut App, label: &str, t: OffsetDateTime) -> Vec<Command> {
    send(
        app,
        Reply::Copied {
            label: label.into(),
            result: Ok(CopyInfo {
                method: "system clipboard".into(),
                verifiable: true,
            }),
            at: t,
        },
    )
}

/// Ctrl-G as `tasks` plays it: the command, then the generated value as its reply.
pub fn generate(app: &mut App) -> Vec<Command> {
    let cmds = ctrl(app, 'g');
    let [Command::Generate { len, alphabet, ticket }] = &cmds[..] else {
        panic!("Ctrl-G asks tasks for a value: {cmds:?}");
    };
    let value = vaultty::crypto::generate_value(*len, *alphabet);
    send(app, Reply::Generated { ticket: *ticket, value })
}

/// The written secret as the server would return it.
pub fn rotated(name: &str, version: i64, by: &str, t: OffsetDateTime) -> SecretMeta {
    let mut m = secrets().into_iter().find(|m| m.name == name).unwrap();
    m.version = version;
    m.rotated_at = Some(t);
    m.rotated_by = Some(by.into());
    m.preview = "new0****0new".into();
    m
}

/// Draws the app at `w` x `h` and returns the screen (one quoted line per row).
pub fn screen(app: &App, w: u16, h: u16) -> String {
    let mut terminal = Terminal::new(TestBackend::new(w, h)).unwrap();
    terminal.draw(|f| vaultty::tui::components::draw(f, app)).unwrap();
    let text = terminal.backend().to_string();
    let flat: String = terminal
        .backend()
        .buffer()
        .content
        .iter()
        .map(ratatui::buffer::Cell::symbol)
        .collect::<String>();
    // No value may be on screen except the one revealed right now.
    let shown = app.shown.as_ref().map(|s| s.key.name.clone());
    for (name, value) in VALUES {
        if shown.as_deref() == Some(*name) {
            continue;
        }
        assert!(!flat.contains(value), "the value of {name} is on screen:\n{text}");
        // Also a value wrapped over two lines: look for its first and last 12 characters.
        let (head, tail) = (&value[..12], &value[value.len() - 12..]);
        assert!(
            !flat.contains(head) && !flat.contains(tail),
            "part of {name}'s value is on screen:\n{text}"
        );
    }
    text
}

/// The status line's text (empty when there is none).
pub fn status(app: &App) -> String {
    app.status.as_ref().map(|s| s.text.clone()).unwrap_or_default()
}

/// The answer of any call while the server is down.
pub fn down<T>() -> Result<T, vaultty::tui::app::CallError> {
    Err(vaultty::tui::app::CallError::new(
        vaultty::tui::app::FailureClass::Unreachable,
        "connection refused",
    ))
}

/// `n` generated secrets: ten name stems, five descriptions, every category, scope and namespace.
pub fn many(n: usize) -> Vec<SecretMeta> {
    let words = [
        "ANTHROPIC",
        "OPENAI",
        "GITHUB",
        "STRIPE",
        "AWS",
        "POSTGRES",
        "REDIS",
        "SLACK",
        "SENTRY",
        "DATADOG",
    ];
    let descs = [
        "key for production agents",
        "token used by ci runners",
        "sandbox credentials",
        "staging database",
        "",
    ];
    (0..n)
        .map(|i| SecretMeta {
            name: format!("{}_API_KEY_{i}", words[i % words.len()]).into(),
            category: [Category::Provider, Category::Tool, Category::Custom][i % 3],
            scope: [Scope::All, Scope::Agents, Scope::Tools, Scope::Sandboxes][i % 4],
            visibility: if i % 7 == 0 { Visibility::Org } else { Visibility::User },
            owner: None,
            description: Some(descs[i % descs.len()].into()).filter(|d: &compact_str::CompactString| !d.is_empty()),
            preview: "sk-a****wxyz".into(),
            version: 1 + i64::try_from(i % 9).unwrap(),
            revealable: true,
            created_at: at(-i64::try_from(i % 400).unwrap() * 86_400),
            rotated_at: None,
            last_used_at: None,
            created_by: Some("alice".into()),
            rotated_by: None,
            provider: None,
        })
        .collect()
}
