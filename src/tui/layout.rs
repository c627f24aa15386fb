//! Where each part of the screen goes, from the terminal's size and the state (a banner while
//! offline, a filter line while filtering, the details beside or under the table). One function
//! for both sides: the renderer draws into these areas, and `update` takes the table's page size
//! from them when the size arrives, so the renderer never has to write anything back.

use ratatui::layout::{Constraint, Layout, Rect};

use super::app::{App, Pane};

/// Width from which the details sit beside the table instead of under it.
pub const WIDE: u16 = 120;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Areas {
    pub title: Rect,
    /// Zero high unless the vault is unreachable or refuses this session's token.
    pub banner: Rect,
    pub categories: Rect,
    pub scopes: Rect,
    /// Zero high unless a filter is typed or kept.
    pub filter: Rect,
    /// The audit pane, or the table with the details.
    pub main: Rect,
    pub table: Rect,
    pub detail: Rect,
    /// The details beside the table (wide) rather than under it.
    pub wide: bool,
    pub status: Rect,
    pub hints: Rect,
}

impl Areas {
    pub fn of(app: &App, area: Rect) -> Areas {
        let banner = u16::from(app.session.offline.is_some() || app.session.revoked.is_some());
        let filter_line =
            u16::from(app.view.pane == Pane::Secrets && (app.view.filtering || !app.list.query().raw().is_empty()));
        let [title, banner, categories, scopes, filter, main, status, hints] = Layout::vertical([
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
        let wide = main.width >= WIDE;
        let [table, detail] = if wide {
            let detail_w = (main.width / 3).clamp(46, 60);
            Layout::horizontal([Constraint::Fill(1), Constraint::Length(detail_w)]).areas(main)
        } else {
            let detail_h = if main.height >= 24 { 10 } else { 8 };
            Layout::vertical([Constraint::Fill(1), Constraint::Length(detail_h)]).areas(main)
        };
        Areas {
            title,
            banner,
            categories,
            scopes,
            filter,
            main,
            table,
            detail,
            wide,
            status,
            hints,
        }
    }

    /// Rows of secrets the table shows at once: inside its border, under its header.
    pub fn table_rows(&self) -> usize {
        usize::from(self.table.height.saturating_sub(3)).max(1)
    }

    /// Rows of events the audit pane shows at once.
    pub fn audit_rows(&self) -> usize {
        usize::from(self.main.height.saturating_sub(3)).max(1)
    }
}
