//! Providers in the secrets table: the Provider column (only when some secret names one), the
//! `provider:` / `p:` words of the filter line, and the sort that groups one provider's secrets.
//! Screens at 80x24 and 140x40 as `insta` snapshots.

use crossterm::event::KeyCode;
use vaultty::api::{SecretMeta, Visibility};
use vaultty::tui::app::SortKey;
use vaultty::tui::{App, Reply};

use crate::fixtures::*;

fn snap(name: &str, app: &App) {
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path("../snapshots");
    settings.bind(|| {
        for (w, h) in [(80, 24), (140, 40)] {
            insta::assert_snapshot!(format!("{name}_{w}x{h}"), screen(app, w, h));
        }
    });
}

/// The fixture secrets with providers named, and a second GitHub key beside the first (its value
/// is GITHUB_TOKEN's, so the screen checks cover it too). Four name none.
fn with_providers() -> Vec<SecretMeta> {
    let mut rows = secrets();
    for m in &mut rows {
        m.provider = match m.name.as_str() {
            "ANTHROPIC_API_KEY" => Some("anthropic".into()),
            "OPENAI_API_KEY" => Some("openai".into()),
            "GITHUB_TOKEN" => Some("github".into()),
            _ => None,
        };
    }
    let mut staging = rows.iter().find(|m| m.name == "GITHUB_TOKEN").cloned().unwrap();
    staging.name = "GITHUB_TOKEN_STAGING".into();
    staging.visibility = Visibility::Org;
    staging.owner = None;
    staging.description = Some("CI runners, staging".into());
    staging.provider = Some("GitHub".into());
    rows.push(staging);
    rows
}

fn loaded_with_providers() -> App {
    let mut app = fresh();
    app.start();
    send(&mut app, Reply::Me(Ok(me(vaultty::api::Role::Admin))));
    send(&mut app, Reply::Secrets(Ok(with_providers())));
    versions_for_selected(&mut app);
    app
}

/// The header row of the secrets table.
fn header(s: &str) -> &str {
    s.lines().find(|l| l.contains("Name")).unwrap_or("")
}

#[test]
fn the_provider_column_fits_at_both_sizes() {
    let app = loaded_with_providers();
    snap("providers", &app);
    let narrow = screen(&app, 80, 24);
    assert!(header(&narrow).contains("Provider"), "{narrow}");
    for word in ["anthropic", "openai", "GitHub", "GITHUB_TOKEN_STAGING", "sk-a****wxyz"] {
        assert!(narrow.contains(word), "{word} at 80x24: {narrow}");
    }
    let wide = screen(&app, 140, 40);
    // The description is in the details beside the table: the provider goes before it.
    for col in ["Provider", "Scope", "Used"] {
        assert!(header(&wide).contains(col), "{col} at 140x40: {wide}");
    }
    assert!(
        !header(&narrow).contains("Scope"),
        "at 80 the scope tabs say it: {narrow}"
    );
    // Between the two, with the details beside the table, the name keeps its end (which is
    // where one provider's keys differ) and the Used column makes room.
    let mid = screen(&app, 120, 40);
    assert!(
        mid.contains("GITHUB_TOKEN_STAGING ") && header(&mid).contains("Provider"),
        "{mid}"
    );
    assert!(!header(&mid).contains("Used"), "{mid}");
    // The details say it as well.
    assert!(
        narrow.contains("org-shared · provider anthropic · scope agents"),
        "{narrow}"
    );
}

#[test]
fn without_any_provider_there_is_no_provider_column() {
    let app = loaded();
    for (w, h) in [(80, 24), (140, 40)] {
        let s = screen(&app, w, h);
        assert!(!header(&s).contains("Provider"), "{s}");
        assert!(header(&s).contains("Used"), "the room goes to the other columns: {s}");
    }
}

#[test]
fn the_sort_groups_one_providers_secrets_and_name_stays_the_default() {
    let mut app = loaded_with_providers();
    assert_eq!(app.list.sort(), SortKey::Name);
    for _ in 0..3 {
        ch(&mut app, 's');
    }
    assert_eq!(app.list.sort(), SortKey::Provider);
    assert_eq!(status(&app), "Sorted by provider");
    assert_eq!(
        visible_names(&app),
        [
            "ANTHROPIC_API_KEY",
            "GITHUB_TOKEN",
            "GITHUB_TOKEN_STAGING",
            "OPENAI_API_KEY",
            // Those naming none last, by name.
            "DATABASE_URL",
            "SENTRY_DSN",
            "SLACK_WEBHOOK",
            "STRIPE_SECRET",
        ],
        "providers compared without case: github and GitHub sit together"
    );
    select(&mut app, "GITHUB_TOKEN_STAGING");
    snap("by_provider", &app);
    ch(&mut app, 's');
    assert_eq!(app.list.sort(), SortKey::Name, "the cycle comes back to the name");
}

#[test]
fn the_filter_line_takes_a_provider_word_with_the_free_text() {
    let mut app = loaded_with_providers();
    ch(&mut app, '/');
    let s = screen(&app, 80, 24);
    assert!(s.contains("p:NAME by provider"), "the filter line offers it: {s}");
    typed(&mut app, "p:");
    assert_eq!(
        visible_names(&app).len(),
        8,
        "p: alone keeps every row while it is typed"
    );
    typed(&mut app, "github");
    assert_eq!(visible_names(&app), ["GITHUB_TOKEN", "GITHUB_TOKEN_STAGING"]);
    // "stag" would match GITHUB_TOKEN's "CI runners push tags" too.
    typed(&mut app, " staging");
    assert_eq!(visible_names(&app), ["GITHUB_TOKEN_STAGING"]);
    snap("provider_filter", &app);
    assert!(
        !screen(&app, 80, 24).contains("p:NAME by provider"),
        "not offered once typed"
    );
    // Deleting back widens again, word by word.
    for _ in 0.." staging".len() {
        press(&mut app, KeyCode::Backspace);
    }
    assert_eq!(visible_names(&app), ["GITHUB_TOKEN", "GITHUB_TOKEN_STAGING"]);
    for _ in 0.."github".len() {
        press(&mut app, KeyCode::Backspace);
    }
    typed(&mut app, "- ");
    assert_eq!(
        visible_names(&app),
        ["DATABASE_URL", "SENTRY_DSN", "SLACK_WEBHOOK", "STRIPE_SECRET"],
        "p:- keeps the secrets naming no provider"
    );
    press(&mut app, KeyCode::Esc);
    assert_eq!(visible_names(&app).len(), 8);
}

#[test]
fn a_row_whose_provider_changes_joins_or_leaves_a_provider_filter() {
    let mut app = loaded_with_providers();
    ch(&mut app, '/');
    typed(&mut app, "p:openai");
    press(&mut app, KeyCode::Enter);
    assert_eq!(visible_names(&app), ["OPENAI_API_KEY"]);
    // A write (or a live update) that names a provider for DATABASE_URL, under the name sort.
    let mut db = with_providers().into_iter().find(|m| m.name == "DATABASE_URL").unwrap();
    db.provider = Some("openai".into());
    app.list.upsert(db.clone(), false);
    assert_eq!(visible_names(&app), ["DATABASE_URL", "OPENAI_API_KEY"]);
    db.provider = None;
    app.list.upsert(db, false);
    assert_eq!(visible_names(&app), ["OPENAI_API_KEY"]);
}

#[test]
fn the_help_says_how_to_filter_by_provider() {
    let mut app = loaded_with_providers();
    ch(&mut app, '?');
    // Scrolled to its end, where the filter words and the settings are.
    for _ in 0..80 {
        press(&mut app, KeyCode::Down);
    }
    let s = screen(&app, 80, 24);
    assert!(s.contains("provider:NAME or p:NAME"), "{s}");
    assert!(s.contains("by provider, one provider's secrets sit together"), "{s}");
}

/// The focus to the form's Provider field, from the first field.
fn to_provider_field(app: &mut App) {
    for _ in 0..20 {
        if matches!(&app.popup, Some(vaultty::tui::app::Popup::Form(f)) if f.form.focused().is_some_and(|x| x.id == vaultty::tui::app::FieldId::Provider))
        {
            return;
        }
        press(app, KeyCode::Tab);
    }
    panic!("no Provider field in the form");
}

#[test]
fn the_new_form_sets_a_provider_lowercased_and_refuses_a_bad_one() {
    use secrecy::ExposeSecret;
    use vaultty::tui::Command;
    use vaultty::tui::app::{Popup, WriteOp};
    let mut app = loaded_with_providers();
    ch(&mut app, 'n');
    typed(&mut app, "OPENAI_API_KEY_STAGING");
    press(&mut app, KeyCode::Tab);
    typed(&mut app, "sk-staging-value");
    to_provider_field(&mut app);
    typed(&mut app, "open ai");
    assert!(press(&mut app, KeyCode::Enter).is_empty(), "nothing sent");
    let error = match &app.popup {
        Some(Popup::Form(f)) => f.error.clone().unwrap_or_default(),
        other => panic!("{other:?}"),
    };
    assert!(error.starts_with("a provider is 1 to 32 characters"), "{error}");
    ctrl(&mut app, 'u');
    typed(&mut app, "OpenAI");
    let cmds = press(&mut app, KeyCode::Enter);
    match &cmds[..] {
        [
            Command::Write {
                op: WriteOp::Create(k),
                req,
            },
        ] => {
            assert_eq!(k.name, "OPENAI_API_KEY_STAGING");
            assert_eq!(req.provider.as_deref(), Some("openai"));
            assert_eq!(req.value.expose_secret(), "sk-staging-value");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn the_edit_form_shows_the_provider_and_sends_a_change_or_a_clearing() {
    use vaultty::tui::Command;
    let mut app = loaded_with_providers();
    select(&mut app, "GITHUB_TOKEN");
    ch(&mut app, 'e');
    let s = screen(&app, 80, 24);
    assert!(s.lines().any(|l| l.contains("Provider") && l.contains("github")), "{s}");
    // From the description (where the form opens) up past the scope.
    press(&mut app, KeyCode::Up);
    press(&mut app, KeyCode::Up);
    ctrl(&mut app, 'u');
    let cmds = press(&mut app, KeyCode::Enter);
    match &cmds[..] {
        [Command::Patch { key, patch }] => {
            assert_eq!(key.name, "GITHUB_TOKEN");
            assert_eq!(patch.provider.as_deref(), Some(""), "empty clears it");
        }
        other => panic!("{other:?}"),
    }
}
