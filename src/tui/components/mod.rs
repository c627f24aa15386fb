//! Drawing: each component renders a part of the screen from `&App` and lists the actions it
//! accepts (the bottom bar shows those, with the keys the keymap gives them). None holds a
//! client or a channel; none mutates the app beyond the table's scroll position.

mod audit;
mod detail;
mod dialogs;
pub mod fmt;
mod help;
mod status;
mod table;
mod tabs;
pub mod theme;

use ratatui::Frame;
use ratatui::layout::{Constraint, Flex, Layout, Rect};

use super::app::{App, Pane};
use super::keymap::{Action, Context};
pub use theme::Theme;

/// Width from which the details sit beside the table instead of under it.
const WIDE: u16 = 120;

/// Draws the whole screen.
pub fn draw(frame: &mut Frame, app: &App) {
    let theme = Theme::new(app.config.no_color);
    let area = frame.area();
    let banner = u16::from(app.session.offline.is_some());
    let filter_line =
        u16::from(app.view.pane == Pane::Secrets && (app.view.filtering || !app.list.query().raw().is_empty()));
    let [
        title,
        banner_area,
        cat_tabs,
        scope_tabs,
        filter_area,
        main,
        status_area,
        hints_area,
    ] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(banner),
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Length(filter_line),
        Constraint::Fill(1),
        Constraint::Length(1),
        Constraint::Length(1),
    ])
    .areas(area);

    tabs::title(frame, title, app, &theme);
    if banner > 0 {
        status::banner(frame, banner_area, app, &theme);
    }
    tabs::categories(frame, cat_tabs, app, &theme);
    tabs::scopes(frame, scope_tabs, app, &theme);
    if filter_line > 0 {
        tabs::filter(frame, filter_area, app, &theme);
    }
    match app.view.pane {
        Pane::Audit => audit::render(frame, main, app, &theme),
        Pane::Secrets if main.width >= WIDE => {
            let detail_w = (main.width / 3).clamp(46, 60);
            let [t, d] = Layout::horizontal([Constraint::Fill(1), Constraint::Length(detail_w)]).areas(main);
            table::render(frame, t, app, &theme);
            detail::render(frame, d, app, &theme, true);
        }
        Pane::Secrets => {
            let detail_h = if main.height >= 24 { 10 } else { 8 };
            let [t, d] = Layout::vertical([Constraint::Fill(1), Constraint::Length(detail_h)]).areas(main);
            table::render(frame, t, app, &theme);
            detail::render(frame, d, app, &theme, false);
        }
    }
    status::status_line(frame, status_area, app, &theme);
    status::hints(frame, hints_area, app, &theme, &focused_actions(app));
    dialogs::render(frame, area, app, &theme);
}

/// The actions of the focused component, most useful first: the bottom bar's content.
fn focused_actions(app: &App) -> Vec<(Context, Action)> {
    let ctx = app.context();
    let list: Vec<Action> = match ctx {
        Context::Main if app.view.pane == Pane::Audit => audit::HINTS.to_vec(),
        Context::Main => table::hints(app),
        Context::Filter => vec![Action::Accept, Action::Clear, Action::Up, Action::Down],
        Context::Help => vec![Action::Up, Action::Down, Action::Close],
        Context::Confirm | Context::Editor | Context::Global => dialogs::hints(app),
    };
    list.into_iter().map(|a| (ctx, a)).collect()
}

/// A rectangle of `width` x `height` centred in `area` (shrunk to fit).
fn centered(area: Rect, width: u16, height: u16) -> Rect {
    let [h] = Layout::horizontal([Constraint::Length(width.min(area.width))])
        .flex(Flex::Center)
        .areas(area);
    let [v] = Layout::vertical([Constraint::Length(height.min(area.height))])
        .flex(Flex::Center)
        .areas(h);
    v
}
