//! The 100,000-secret case: how long one keystroke of filtering takes to the next frame
//! (`update` plus a full render into `TestBackend`). Prints figures; asserts only behaviour.
//! Run in release: `cargo test --release --test tui -- --ignored --nocapture hundred_thousand`.

use std::time::Instant;

use crossterm::event::KeyCode;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use vaultty::api::{Category, Scope, SecretMeta, Visibility};
use vaultty::tui::Reply;

use crate::fixtures::*;

fn many(n: usize) -> Vec<SecretMeta> {
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
            name: format!("{}_API_KEY_{i}", words[i % words.len()]),
            category: [Category::Provider, Category::Tool, Category::Custom][i % 3],
            scope: [Scope::All, Scope::Agents, Scope::Tools, Scope::Sandboxes][i % 4],
            visibility: if i % 7 == 0 { Visibility::Org } else { Visibility::User },
            owner: None,
            description: Some(descs[i % descs.len()].to_owned()).filter(|d| !d.is_empty()),
            preview: "sk-a****wxyz".into(),
            version: 1 + (i % 9) as i64,
            revealable: true,
            created_at: at(-(i as i64 % 400) * 86_400),
            rotated_at: None,
            last_used_at: None,
            created_by: Some("alice".into()),
            rotated_by: None,
        })
        .collect()
}

#[test]
#[ignore = "a measurement: run in release with --ignored --nocapture"]
fn hundred_thousand_secrets_filter_per_keystroke() {
    let mut app = fresh();
    app.start();
    send(&mut app, Reply::Secrets(Ok(many(100_000))));
    let mut terminal = Terminal::new(TestBackend::new(140, 40)).unwrap();
    terminal.draw(|f| vaultty::tui::components::draw(f, &app)).unwrap();
    ch(&mut app, '/');
    let mut worst = std::time::Duration::ZERO;
    let mut total = std::time::Duration::ZERO;
    let keys = "api key 9"
        .chars()
        .map(KeyCode::Char)
        .chain(std::iter::repeat_n(KeyCode::Backspace, 9));
    let mut n = 0;
    for code in keys {
        let t = Instant::now();
        press(&mut app, code);
        let u = t.elapsed();
        terminal.draw(|f| vaultty::tui::components::draw(f, &app)).unwrap();
        let d = t.elapsed();
        println!("{code:?}: {} rows in {d:?} (update {u:?})", app.list.visible_len());
        worst = worst.max(d);
        total += d;
        n += 1;
    }
    println!(
        "keystroke to frame at 100,000 secrets: worst {worst:?}, mean {:?}",
        total / n
    );
    assert_eq!(
        app.list.visible_len(),
        100_000,
        "back to every row after the backspaces"
    );
}
