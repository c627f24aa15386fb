//! The 100,000-secret case: how long one keystroke of filtering takes to the next frame
//! (`update` plus a full render into `TestBackend`). Prints figures; asserts only behaviour.
//! Run: `cargo bench --bench tui_filter` (the bench profile is optimised).
// Helpers here are not #[test] functions, so clippy.toml's test allowance does not reach them.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Instant;

use crossterm::event::KeyCode;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use vaultty::tui::Reply;

// The TUI tests' fixtures: the same generated secrets and key helpers; the bench uses a few.
#[allow(dead_code)]
#[path = "../tests/tui/fixtures.rs"]
mod fixtures;

use fixtures::*;

fn main() {
    let mut app = fresh();
    app.start();
    let rows = many(100_000);
    let t = Instant::now();
    send(&mut app, Reply::Secrets(Ok(rows)));
    let mut terminal = Terminal::new(TestBackend::new(140, 40)).unwrap();
    terminal.draw(|f| vaultty::tui::components::draw(f, &app)).unwrap();
    println!("load 100,000 rows and draw: {:?}", t.elapsed());
    for (what, code) in [
        ("tab", KeyCode::Tab),
        ("sort", KeyCode::Char('s')),
        ("page down", KeyCode::PageDown),
    ] {
        let t = Instant::now();
        press(&mut app, code);
        terminal.draw(|f| vaultty::tui::components::draw(f, &app)).unwrap();
        println!("{what}: {:?}", t.elapsed());
    }
    press(&mut app, KeyCode::Char('1'));
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
