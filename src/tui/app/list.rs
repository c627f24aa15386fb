//! The secrets table's model: rows, their sort order, the filter and tabs, the selection and marks.
//!
//! Three index vectors keep keystrokes cheap at 100,000 rows: `order` (all rows, sorted), `matched`
//! (those the filter query matches, still sorted) and `visible` (those also in the current tabs).
//! Typing narrows `matched` from its previous value; switching tabs only redoes `visible`.

use std::cell::RefCell;
use std::collections::HashSet;

use nucleo_matcher::Matcher;
use time::OffsetDateTime;

use super::SecretKey;
use super::filter::{Corpus, Query, new_matcher};
use super::tabs::Attrs;
pub use super::tabs::{CategoryTab, ScopeTab, SortKey, VisibilityFilter};
use crate::api::SecretMeta;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Tabs {
    pub category: CategoryTab,
    pub scope: ScopeTab,
    pub visibility: VisibilityFilter,
}

/// Rows per tab under the other filters: what the tab bars show.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Counts {
    pub category: [usize; 4],
    pub scope: [usize; 5],
}

/// Everything is indexed by position in the sort order (`k`), so that filtering walks the
/// haystacks and attributes front to back, in memory order: at 100,000 rows, reading them in
/// a scattered order costs more than the matching itself.
pub struct SecretList {
    /// In the server's order; never reordered.
    rows: Vec<SecretMeta>,
    /// `order[k]`: the row at sort position `k`; `pos[row]` the reverse.
    order: Vec<u32>,
    pos: Vec<u32>,
    /// Haystacks by sort position.
    corpus: Corpus,
    /// What the tabs test (category, scope, visibility), by sort position, packed in a byte.
    attrs: Vec<Attrs>,
    /// Sort positions matching the query, ascending.
    matched: Vec<u32>,
    /// Earlier queries of this typing run with their matches (sort positions), so that deleting
    /// a character is a copy, not a search; cleared whenever positions change.
    history: Vec<(String, Vec<u32>)>,
    scratch: Vec<u32>,
    /// Sort positions also in the current tabs, ascending: the table's rows.
    visible: Vec<u32>,
    counts: Counts,
    tabs: Tabs,
    sort: SortKey,
    query: Query,
    /// Index into `visible`.
    cursor: usize,
    /// The selected row (a row index, stable across sorting and filtering).
    selected_row: Option<u32>,
    marks: HashSet<SecretKey>,
    loaded: bool,
    matcher: RefCell<Matcher>,
    /// First visible row drawn, kept so that the view moves only when the cursor leaves it.
    scroll: usize,
    /// Rows that fit at the terminal's size (from `layout`, set in `update`).
    page: usize,
}

impl Default for SecretList {
    fn default() -> Self {
        SecretList {
            rows: Vec::new(),
            order: Vec::new(),
            pos: Vec::new(),
            corpus: Corpus::default(),
            attrs: Vec::new(),
            matched: Vec::new(),
            history: Vec::new(),
            scratch: Vec::new(),
            visible: Vec::new(),
            counts: Counts::default(),
            tabs: Tabs::default(),
            sort: SortKey::default(),
            query: Query::new(""),
            cursor: 0,
            selected_row: None,
            marks: HashSet::new(),
            loaded: false,
            matcher: RefCell::new(new_matcher()),
            scroll: 0,
            page: 10,
        }
    }
}

/// Queries remembered for deleting back (each holds up to one index per row).
const MAX_HISTORY: usize = 24;

fn idx(i: u32) -> usize {
    i as usize
}

fn to_u32(i: usize) -> u32 {
    // Lists beyond 4 billion rows do not fit in memory anyway.
    u32::try_from(i).unwrap_or(u32::MAX)
}

impl SecretList {
    /// Replaces every row (a fresh list from the server), keeping the selection, marks and filters.
    pub fn replace(&mut self, rows: Vec<SecretMeta>) {
        // The periodic refresh mostly brings the same list: then there is nothing to rebuild.
        if self.loaded && rows == self.rows {
            return;
        }
        let keep = self.selected_key();
        self.rows = rows;
        self.loaded = true;
        self.rebuild(keep);
        if !self.marks.is_empty() {
            let present: HashSet<SecretKey> = self.rows.iter().map(SecretKey::of).collect();
            self.marks.retain(|k| present.contains(k));
        }
    }

    /// Inserts or replaces one row (after a write), selecting it when `select`.
    pub fn upsert(&mut self, meta: SecretMeta, select: bool) {
        let key = SecretKey::of(&meta);
        let keep = if select { Some(key.clone()) } else { self.selected_key() };
        let Some(i) = self.position_of(&key) else {
            self.rows.push(meta);
            return self.rebuild(keep);
        };
        // The usual case (a reveal, a rotation under the name sort) moves nothing and keeps the
        // text: skip rebuilding the haystacks, which at 100,000 rows would be a visible pause.
        // The provider is filtered on too: a changed one needs the corpus rebuilt as well.
        let same_text = self.rows[i].description == meta.description && self.rows[i].provider == meta.provider;
        self.rows[i] = meta;
        if !same_text || self.sort != SortKey::Name {
            return self.rebuild(keep);
        }
        if let Some(&k) = self.pos.get(i) {
            self.attrs[idx(k)] = Attrs::of(&self.rows[i]);
        }
        self.selected_row = keep.and_then(|k| self.position_of(&k)).map(to_u32);
        self.apply_tabs();
    }

    /// Moves the cursor to `key` if it is visible.
    pub fn select(&mut self, key: &SecretKey) -> bool {
        let Some(k) = self.position_of(key).and_then(|row| self.pos.get(row).copied()) else {
            return false;
        };
        match self.visible.binary_search(&k) {
            Ok(at) => {
                self.move_to(at);
                true
            }
            Err(_) => false,
        }
    }

    pub fn remove(&mut self, key: &SecretKey) {
        if let Some(i) = self.position_of(key) {
            let keep = self.selected_key().filter(|k| k != key);
            self.rows.remove(i);
            self.marks.remove(key);
            self.rebuild(keep);
        }
    }

    fn position_of(&self, key: &SecretKey) -> Option<usize> {
        self.rows.iter().position(|r| key.is(r))
    }

    pub fn find(&self, key: &SecretKey) -> Option<&SecretMeta> {
        self.rows.iter().find(|r| key.is(r))
    }

    fn rebuild(&mut self, keep: Option<SecretKey>) {
        self.reindex();
        self.selected_row = keep.and_then(|k| self.position_of(&k)).map(to_u32);
        self.refilter();
    }

    /// Sorts, then lays the haystacks and attributes out in the new order. At 100,000 rows the
    /// comparisons dominate, so they run on precomputed keys: lowercased names in one buffer
    /// (compared as byte slices), times as integers, ties broken by the name order.
    fn reindex(&mut self) {
        let rows = &self.rows;
        let n = rows.len();
        let mut names: Vec<u8> = Vec::with_capacity(rows.iter().map(|r| r.name.len()).sum());
        let mut ends: Vec<usize> = Vec::with_capacity(n);
        for r in rows {
            names.extend(r.name.bytes().map(|b| b.to_ascii_lowercase()));
            ends.push(names.len());
        }
        let name = |r: u32| {
            let r = idx(r);
            &names[if r == 0 { 0 } else { ends[r - 1] }..ends[r]]
        };
        let mut order: Vec<u32> = (0..to_u32(n)).collect();
        order.sort_unstable_by(|&a, &b| {
            name(a)
                .cmp(name(b))
                .then(rows[idx(a)].visibility.cmp(&rows[idx(b)].visibility))
        });
        if self.sort != SortKey::Name {
            let mut rank = vec![0u32; n];
            for (k, &r) in order.iter().enumerate() {
                rank[idx(r)] = to_u32(k);
            }
            match self.sort {
                SortKey::Provider => {
                    let provider: Vec<Option<String>> = rows
                        .iter()
                        .map(|r| r.provider.as_deref().filter(|p| !p.is_empty()).map(str::to_lowercase))
                        .collect();
                    // None sorts first in an Option: those naming no provider go last instead.
                    order.sort_unstable_by(|&a, &b| {
                        let (pa, pb) = (&provider[idx(a)], &provider[idx(b)]);
                        (pa.is_none(), pa)
                            .cmp(&(pb.is_none(), pb))
                            .then(rank[idx(a)].cmp(&rank[idx(b)]))
                    });
                }
                _ => {
                    let time: Vec<i64> = match self.sort {
                        // Oldest change first.
                        SortKey::Rotated => rows.iter().map(|r| r.changed_at().unix_timestamp()).collect(),
                        // Most recent use first, never used last.
                        _ => rows
                            .iter()
                            .map(|r| r.last_used_at.map_or(i64::MAX, |t| -t.unix_timestamp()))
                            .collect(),
                    };
                    order.sort_unstable_by_key(|&r| (time[idx(r)], rank[idx(r)]));
                }
            }
        }
        let mut pos = vec![0u32; n];
        for (k, &row) in order.iter().enumerate() {
            pos[idx(row)] = to_u32(k);
        }
        self.corpus = Corpus::build(order.iter().map(|&r| &rows[idx(r)]));
        self.attrs = order.iter().map(|&r| Attrs::of(&rows[idx(r)])).collect();
        self.order = order;
        self.pos = pos;
        self.history.clear();
    }

    /// Recomputes `matched` from scratch (after a reload or a new sort), then the visible rows.
    fn refilter(&mut self) {
        self.history.clear();
        let n = to_u32(self.order.len());
        self.matched.clear();
        if self.query.is_empty() {
            self.matched.extend(0..n);
        } else {
            self.query
                .filter_into(&self.corpus, 0..n, 0, self.matcher.get_mut(), &mut self.matched);
            self.history.push((self.query.raw().to_owned(), self.matched.clone()));
        }
        self.apply_tabs();
    }

    /// A new filter query. Typing narrows the previous matches (checking only the words that
    /// changed); deleting back to an earlier query restores its matches from `history`.
    pub fn set_query(&mut self, raw: &str) {
        let query = Query::new(raw);
        if query.is_empty() {
            self.query = query;
            return self.refilter();
        }
        if let Some(at) = self.history.iter().rposition(|(q, _)| q == raw) {
            self.history.truncate(at + 1);
            self.matched.clone_from(&self.history[at].1);
            self.query = query;
            return self.apply_tabs();
        }
        // The closest earlier query this one narrows: usually the last one.
        let base = self
            .history
            .iter()
            .enumerate()
            .rev()
            .find_map(|(at, (q, _))| query.narrows(&Query::new(q)).map(|from| (at, from)));
        let Some((at, from)) = base else {
            self.query = query;
            return self.refilter();
        };
        self.history.truncate(at + 1);
        let mut out = std::mem::take(&mut self.scratch);
        out.clear();
        let candidates = self.history[at].1.iter().copied();
        query.filter_into(&self.corpus, candidates, from, self.matcher.get_mut(), &mut out);
        if self.history.len() >= MAX_HISTORY {
            self.history.remove(0);
        }
        self.history.push((raw.to_owned(), out.clone()));
        self.scratch = std::mem::replace(&mut self.matched, out);
        self.query = query;
        self.apply_tabs();
    }

    fn apply_tabs(&mut self) {
        let t = self.tabs;
        let mut counts = Counts::default();
        self.visible.clear();
        for &k in &self.matched {
            let a = self.attrs[idx(k)];
            if !t.visibility.admits(a.visibility()) {
                continue;
            }
            let cat_ok = t.category.admits_index(a.category());
            let scope_ok = t.scope.admits_index(a.scope());
            if scope_ok {
                counts.category[0] += 1;
                counts.category[a.category()] += 1;
            }
            if cat_ok {
                counts.scope[0] += 1;
                counts.scope[a.scope()] += 1;
            }
            if cat_ok && scope_ok {
                self.visible.push(k);
            }
        }
        self.counts = counts;
        let found = self
            .selected_row
            .and_then(|r| self.pos.get(idx(r)))
            .and_then(|k| self.visible.binary_search(k).ok());
        self.cursor = found.unwrap_or_else(|| self.cursor.min(self.visible.len().saturating_sub(1)));
        self.selected_row = self.visible.get(self.cursor).map(|&k| self.order[idx(k)]);
    }

    pub fn query(&self) -> &Query {
        &self.query
    }

    pub fn tabs(&self) -> Tabs {
        self.tabs
    }

    pub fn set_category(&mut self, c: CategoryTab) {
        self.tabs.category = c;
        self.apply_tabs();
    }

    pub fn shift_scope(&mut self, forward: bool) {
        let all = ScopeTab::ALL;
        let i = all.iter().position(|s| *s == self.tabs.scope).unwrap_or(0);
        let n = all.len();
        self.tabs.scope = all[if forward { (i + 1) % n } else { (i + n - 1) % n }];
        self.apply_tabs();
    }

    pub fn cycle_visibility(&mut self) {
        self.tabs.visibility = self.tabs.visibility.next();
        self.apply_tabs();
    }

    pub fn sort(&self) -> SortKey {
        self.sort
    }

    pub fn cycle_sort(&mut self) {
        self.sort = self.sort.next();
        self.reindex();
        self.refilter();
    }

    /// Whether any secret names a provider: the table has a Provider column only then.
    pub fn has_providers(&self) -> bool {
        self.corpus.has_providers()
    }

    pub fn counts(&self) -> Counts {
        self.counts
    }

    pub fn total(&self) -> usize {
        self.rows.len()
    }

    pub fn is_loaded(&self) -> bool {
        self.loaded
    }

    pub fn visible_len(&self) -> usize {
        self.visible.len()
    }

    pub fn cursor(&self) -> usize {
        self.cursor
    }

    /// Visible rows `from..to` with their position: the table draws only these.
    pub fn window(&self, from: usize, to: usize) -> impl Iterator<Item = (usize, &SecretMeta)> {
        let to = to.min(self.visible.len());
        let from = from.min(to);
        self.visible[from..to]
            .iter()
            .enumerate()
            .map(move |(n, &k)| (from + n, &self.rows[idx(self.order[idx(k)])]))
    }

    pub fn selected(&self) -> Option<&SecretMeta> {
        self.selected_row.map(|i| &self.rows[idx(i)])
    }

    pub fn selected_key(&self) -> Option<SecretKey> {
        self.selected().map(SecretKey::of)
    }

    pub fn move_to(&mut self, pos: usize) {
        if self.visible.is_empty() {
            return;
        }
        self.cursor = pos.min(self.visible.len() - 1);
        self.selected_row = self.visible.get(self.cursor).map(|&k| self.order[idx(k)]);
    }

    pub fn move_by(&mut self, delta: isize) {
        self.move_to(self.cursor.saturating_add_signed(delta));
    }

    pub fn page_size(&self) -> usize {
        self.page.max(1)
    }

    /// The first row to draw when `height` rows fit: the kept scroll, moved just enough to show
    /// the cursor.
    pub fn scroll_for(&self, height: usize) -> usize {
        let height = height.max(1);
        let mut scroll = self.scroll;
        if self.cursor < scroll {
            scroll = self.cursor;
        } else if self.cursor >= scroll + height {
            scroll = self.cursor + 1 - height;
        }
        scroll.min(self.visible.len().saturating_sub(height))
    }

    /// After every message: the page size at the terminal's size, and the scroll following it.
    pub fn follow(&mut self, page: usize) {
        self.page = page.max(1);
        self.scroll = self.scroll_for(self.page);
    }

    pub fn toggle_mark(&mut self) -> Option<bool> {
        let key = self.selected_key()?;
        let marked = if self.marks.remove(&key) {
            false
        } else {
            self.marks.insert(key);
            true
        };
        Some(marked)
    }

    pub fn is_marked(&self, key: &SecretKey) -> bool {
        self.marks.contains(key)
    }

    pub fn unmark(&mut self, key: &SecretKey) {
        self.marks.remove(key);
    }

    pub fn mark_count(&self) -> usize {
        self.marks.len()
    }

    pub fn clear_marks(&mut self) {
        self.marks.clear();
    }

    /// The marked secrets, in the table's order.
    pub fn marked_in_order(&self) -> Vec<SecretKey> {
        self.keys_in_order(|r| self.marks.contains(&SecretKey::of(r)))
    }

    /// Every stale secret, in the table's order.
    pub fn stale_in_order(&self, now: OffsetDateTime, max_age_days: u32) -> Vec<SecretKey> {
        self.keys_in_order(|r| is_stale(r, now, max_age_days))
    }

    fn keys_in_order(&self, keep: impl Fn(&SecretMeta) -> bool) -> Vec<SecretKey> {
        self.order
            .iter()
            .map(|&i| &self.rows[idx(i)])
            .filter(|r| keep(r))
            .map(SecretKey::of)
            .collect()
    }

    /// Matched character positions in a name, for highlighting a visible row.
    pub fn highlight(&self, name: &str) -> Vec<u32> {
        match self.matcher.try_borrow_mut() {
            Ok(mut m) => self.query.name_positions(name, &mut m),
            Err(_) => Vec::new(),
        }
    }
}

/// A secret whose value changed longer ago than the maximum age.
pub fn is_stale(meta: &SecretMeta, now: OffsetDateTime, max_age_days: u32) -> bool {
    now - meta.changed_at() > time::Duration::days(max_age_days.into())
}
