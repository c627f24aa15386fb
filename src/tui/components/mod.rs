//! The reusable parts of the main screen, each drawn from `&App` into its area: the title and
//! tab bars, the secrets table, the details, the audit pane, the status line and the bottom bar
//! (built from the focused context's action table). They only read the app; popups are drawn
//! last, over them, by `popups`.

mod accounts;
mod audit;
mod detail;
pub mod fmt;
mod status;
mod table;
mod tabs;
pub mod theme;

use ratatui::Frame;

use super::app::{App, Pane};
use super::layout::Areas;
pub use accounts::expires;
pub use theme::Theme;

/// Draws the whole screen.
pub fn draw(frame: &mut Frame, app: &App) {
    let theme = Theme::new(app.config.no_color);
    let area = frame.area();
    let a = Areas::of(app, area);
    tabs::title(frame, a.title, app, &theme);
    if a.banner.height > 0 {
        status::banner(frame, a.banner, app, &theme);
    }
    tabs::categories(frame, a.categories, app, &theme);
    tabs::scopes(frame, a.scopes, app, &theme);
    if a.filter.height > 0 {
        tabs::filter(frame, a.filter, app, &theme);
    }
    match app.view.pane {
        _ if app.session.revoked.is_some() => accounts::revoked(frame, a.main, app, &theme),
        Pane::Audit => audit::render(frame, a.main, app, &theme),
        Pane::Tokens => accounts::own_tokens(frame, a.main, app, &theme),
        Pane::Users => accounts::users(frame, a.main, app, &theme),
        Pane::Secrets => {
            table::render(frame, a.table, app, &theme);
            detail::render(frame, a.detail, app, &theme, a.wide);
        }
    }
    status::status_line(frame, a.status, app, &theme);
    status::hints(frame, a.hints, app, &theme, &app.action_table());
    if let Some(popup) = &app.popup {
        popup.render(frame, area, app, &theme);
    }
}
