//! The secrets table. Only the rows that fit are built, so drawing costs the same at 20 rows and
//! at 100,000. Its keys are in `app::main_keys`; its scroll position is kept by `update`.

use ratatui::Frame;
use ratatui::layout::{Alignment, Constraint, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Cell, Paragraph, Row, Table, TableState, Wrap};

use super::{Theme, fmt};
use crate::api::{SecretMeta, Visibility};
use crate::tui::app::{App, SecretKey, is_stale};
use crate::tui::keymap::{Action, Context};

pub fn render(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let list = &app.list;
    let total = list.total();
    let shown = list.visible_len();
    let title = if !list.is_loaded() {
        " Secrets ".to_owned()
    } else if shown == total {
        format!(" Secrets {total} · sorted by {} ", list.sort().label())
    } else {
        format!(" Secrets {shown} of {total} · sorted by {} ", list.sort().label())
    };
    let mut legend = vec![
        Span::styled(" ! ", theme.stale()),
        Span::styled(format!("stale >{}d ", app.config.tui.max_age_days), theme.muted()),
    ];
    if list.mark_count() > 0 {
        legend.push(Span::styled("• ", theme.mark()));
        legend.push(Span::styled(format!("{} marked ", list.mark_count()), theme.muted()));
    }
    let position = if shown > 0 {
        format!(" {}/{shown} ", list.cursor() + 1)
    } else {
        String::new()
    };
    let focused = app.popup.is_none() && !app.view.filtering;
    let block = Block::bordered()
        .title(Span::styled(title, theme.bold()))
        .title_bottom(Line::from(legend))
        .title_bottom(Line::from(position).right_aligned())
        .border_style(if focused { theme.border_focus() } else { theme.border() });
    let inner = block.inner(area);
    frame.render_widget(block, area);

    if shown == 0 {
        return empty(frame, inner, app, theme);
    }

    let height = usize::from(inner.height.saturating_sub(1)).max(1);
    let cursor = list.cursor();
    // `update` keeps the scroll for the terminal's size; a frame of another size (a test's, or
    // one drawn before the resize arrives) still shows the cursor.
    let scroll = list.scroll_for(height);

    let cols = columns(list, scroll, height, usize::from(inner.width));
    let now = app.now;
    let max_age = app.config.tui.max_age_days;
    let rows = list.window(scroll, scroll + height).map(|(_, m)| {
        let cells = cols.iter().map(|(col, _)| match col {
            Col::Marks => {
                let marked = list.is_marked(&SecretKey::of(m));
                let mark = if marked {
                    Span::styled("•", theme.mark())
                } else {
                    Span::raw(" ")
                };
                let stale = if is_stale(m, now, max_age) {
                    Span::styled("!", theme.stale())
                } else {
                    Span::raw(" ")
                };
                Cell::from(Line::from(vec![mark, stale]))
            }
            Col::Name => Cell::from(name_line(app, &m.name, theme)),
            Col::Provider => Cell::from(m.provider.as_deref().unwrap_or("")),
            Col::Vis => Cell::from(if m.visibility == Visibility::Org { "org" } else { "mine" }),
            Col::Scope => Cell::from(m.scope.as_str()),
            Col::Preview => Cell::from(m.preview.as_str()),
            Col::Ver => Cell::from(format!("v{}", m.version)),
            Col::Rotated => Cell::from(fmt::relative(now, m.rotated_at)),
            Col::Used => Cell::from(fmt::relative(now, m.last_used_at)),
            Col::Desc => Cell::from(m.description.as_deref().unwrap_or("")),
        });
        Row::new(cells.collect::<Vec<_>>())
    });
    let header: Vec<&str> = cols.iter().map(|(c, _)| c.title()).collect();
    let widths: Vec<Constraint> = cols.iter().map(|(_, w)| *w).collect();
    render_rows(frame, inner, theme, rows, widths, header, cursor - scroll);
}

/// The rows of one screenful under a header, the `selected`-th of them marked as the cursor: how
/// every list of the TUI (secrets, tokens, users) is drawn, so that they all look and move alike.
pub(super) fn render_rows<'a>(
    frame: &mut Frame,
    inner: Rect,
    theme: &Theme,
    rows: impl IntoIterator<Item = Row<'a>>,
    widths: Vec<Constraint>,
    header: Vec<&'a str>,
    selected: usize,
) {
    let table = Table::new(rows, widths)
        .header(Row::new(header).style(theme.header()))
        .column_spacing(1)
        .highlight_symbol(">")
        .highlight_spacing(ratatui::widgets::HighlightSpacing::Always)
        .row_highlight_style(theme.selected());
    let mut state = TableState::default().with_selected(Some(selected));
    frame.render_stateful_widget(table, inner, &mut state);
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Col {
    Marks,
    Name,
    Provider,
    Vis,
    Scope,
    Preview,
    Ver,
    Rotated,
    Used,
    Desc,
}

impl Col {
    fn title(self) -> &'static str {
        match self {
            Col::Marks => "",
            Col::Name => "Name",
            Col::Provider => "Provider",
            Col::Vis => "Vis",
            Col::Scope => "Scope",
            Col::Preview => "Preview",
            Col::Ver => "Ver",
            Col::Rotated => "Rotated",
            Col::Used => "Used",
            Col::Desc => "Description",
        }
    }
}

/// The columns that fit `width`, in display order with their widths. The name gets 16 columns
/// first; then the others join by importance, the rest of the longest name on screen before
/// Used and Scope; the description takes what is left, if that is enough to read. The Provider
/// column is there only when some secret names a provider (an older server sends none): an
/// empty column would cost narrow terminals a column for nothing.
fn columns(list: &crate::tui::app::SecretList, scroll: usize, height: usize, width: usize) -> Vec<(Col, Constraint)> {
    let longest = |f: fn(&SecretMeta) -> usize| list.window(scroll, scroll + height).map(|(_, m)| f(m)).max();
    let name_w = longest(|m| m.name.chars().count()).unwrap_or(4).clamp(4, 40);
    let provider_w = if list.has_providers() {
        longest(|m| m.provider.as_deref().map_or(0, |p| p.chars().count()))
            .unwrap_or(0)
            .clamp(8, 14)
    } else {
        0
    };
    let len = |n: usize| Constraint::Length(u16::try_from(n).unwrap_or(u16::MAX));
    // One column for the selection marker, then each column and the gap before it.
    let mut used = 1 + 2 + 1 + name_w.min(16);
    let mut cols = vec![(Col::Marks, len(2))];
    let fit = |cols: &mut Vec<(Col, Constraint)>, used: &mut usize, col: Col, w: usize| {
        if w > 0 && *used + 1 + w <= width {
            *used += 1 + w;
            cols.push((col, len(w)));
        }
    };
    for (col, w) in [
        (Col::Preview, 12),
        (Col::Ver, 4),
        (Col::Rotated, 8),
        (Col::Provider, provider_w),
        (Col::Vis, 4),
    ] {
        fit(&mut cols, &mut used, col, w);
    }
    // The whole name before the columns that the details and the scope tabs say as well: names
    // of one provider often differ only at their end (GITHUB_TOKEN_PRODUCTION, ..._STAGING).
    let name_extra = name_w.saturating_sub(16).min(width.saturating_sub(used));
    used += name_extra;
    for (col, w) in [(Col::Used, 8), (Col::Scope, 9)] {
        fit(&mut cols, &mut used, col, w);
    }
    let rest = width.saturating_sub(used + 1);
    if rest >= 16 {
        cols.push((Col::Name, len(name_w.min(16) + name_extra)));
        cols.push((Col::Desc, Constraint::Fill(1)));
    } else {
        cols.push((Col::Name, Constraint::Fill(1)));
    }
    cols.sort_by_key(|(c, _)| *c);
    cols
}

fn name_line<'a>(app: &App, name: &'a str, theme: &Theme) -> Line<'a> {
    if app.list.query().is_empty() {
        return Line::from(name);
    }
    let hits = app.list.highlight(name);
    let spans: Vec<Span> = name
        .char_indices()
        .enumerate()
        .map(|(ci, (bi, c))| {
            let s = &name[bi..bi + c.len_utf8()];
            let hit = u32::try_from(ci).is_ok_and(|ci| hits.binary_search(&ci).is_ok());
            if hit {
                Span::styled(s, theme.matched())
            } else {
                Span::raw(s)
            }
        })
        .collect();
    Line::from(spans)
}

fn empty(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let list = &app.list;
    let new = app.keymap.hint(Context::Main, Action::New);
    let back = app.keymap.hint(Context::Main, Action::Back);
    let refresh = app.keymap.hint(Context::Global, Action::Refresh);
    let text = if let (false, Some(e)) = (list.is_loaded(), &app.session.load_error) {
        format!("Could not load secrets: {e}. {refresh} tries again.")
    } else if let (false, Some(o)) = (list.is_loaded(), &app.session.offline) {
        format!(
            "Cannot reach the vault: {}. The list appears when it answers.",
            o.reason
        )
    } else if !list.is_loaded() {
        format!("{} Loading secrets…", fmt::spinner(app.now))
    } else if list.total() == 0 {
        format!("No secrets yet. Press {new} to create one.")
    } else if !list.query().providers().is_empty() && !list.has_providers() {
        // Otherwise a provider word the user typed right looks like a typo.
        format!(
            "No secret names a provider yet (set one with `vaultty secret set --provider`). {back} clears the filter."
        )
    } else if !list.query().is_empty() {
        format!(
            "No secret matches \"{}\". {back} clears the filter.",
            list.query().raw()
        )
    } else {
        "No secrets in this tab.".to_owned()
    };
    let y = area.y + area.height / 3;
    let line = Rect {
        y,
        height: area.height.saturating_sub(y - area.y),
        ..area
    };
    frame.render_widget(
        Paragraph::new(Span::styled(text, theme.muted()))
            .alignment(Alignment::Center)
            .wrap(Wrap { trim: true }),
        line,
    );
}
