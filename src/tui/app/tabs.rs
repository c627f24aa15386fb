//! The tabs and filters over the secrets table (category, scope, visibility), the sort keys, and
//! each row's attributes packed into one byte so that switching tabs at 100,000 rows reads 100 KB.

use crate::api::{Category, Scope, SecretMeta, Visibility};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CategoryTab {
    #[default]
    All,
    Provider,
    Tool,
    Custom,
}

impl CategoryTab {
    pub const ALL: [CategoryTab; 4] = [
        CategoryTab::All,
        CategoryTab::Provider,
        CategoryTab::Tool,
        CategoryTab::Custom,
    ];
    pub fn label(self) -> &'static str {
        match self {
            CategoryTab::All => "All",
            CategoryTab::Provider => "Provider",
            CategoryTab::Tool => "Tool",
            CategoryTab::Custom => "Custom",
        }
    }
    pub(super) fn index_of(c: Category) -> usize {
        match c {
            Category::Provider => 1,
            Category::Tool => 2,
            Category::Custom => 3,
        }
    }
    /// `index` is a position in [`CategoryTab::ALL`] (1 to 3 for a secret's category).
    pub(super) fn admits_index(self, index: usize) -> bool {
        self == CategoryTab::All || CategoryTab::ALL.get(index) == Some(&self)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ScopeTab {
    #[default]
    Any,
    Agents,
    Tools,
    Sandboxes,
    All,
}

impl ScopeTab {
    pub const ALL: [ScopeTab; 5] = [
        ScopeTab::Any,
        ScopeTab::Agents,
        ScopeTab::Tools,
        ScopeTab::Sandboxes,
        ScopeTab::All,
    ];
    pub fn label(self) -> &'static str {
        match self {
            ScopeTab::Any => "any",
            ScopeTab::Agents => "agents",
            ScopeTab::Tools => "tools",
            ScopeTab::Sandboxes => "sandboxes",
            ScopeTab::All => "all",
        }
    }
    pub(super) fn index_of(s: Scope) -> usize {
        match s {
            Scope::Agents => 1,
            Scope::Tools => 2,
            Scope::Sandboxes => 3,
            Scope::All => 4,
        }
    }
    /// `index` is a position in [`ScopeTab::ALL`] (1 to 4 for a secret's scope).
    pub(super) fn admits_index(self, index: usize) -> bool {
        self == ScopeTab::Any || ScopeTab::ALL.get(index) == Some(&self)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum VisibilityFilter {
    #[default]
    Both,
    Mine,
    Org,
}

impl VisibilityFilter {
    pub fn label(self) -> &'static str {
        match self {
            VisibilityFilter::Both => "mine + org",
            VisibilityFilter::Mine => "mine",
            VisibilityFilter::Org => "org",
        }
    }
    pub(super) fn admits(self, v: Visibility) -> bool {
        match self {
            VisibilityFilter::Both => true,
            VisibilityFilter::Mine => v == Visibility::User,
            VisibilityFilter::Org => v == Visibility::Org,
        }
    }
    pub(super) fn next(self) -> Self {
        match self {
            VisibilityFilter::Both => VisibilityFilter::Mine,
            VisibilityFilter::Mine => VisibilityFilter::Org,
            VisibilityFilter::Org => VisibilityFilter::Both,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SortKey {
    #[default]
    Name,
    /// Oldest change first: the rotation backlog on top.
    Rotated,
    /// Most recently used first; never-used last.
    LastUsed,
    /// Grouped by provider (alphabetically, those naming none last), by name within a group.
    Provider,
}

impl SortKey {
    pub fn label(self) -> &'static str {
        match self {
            SortKey::Name => "name",
            SortKey::Rotated => "rotated, oldest first",
            SortKey::LastUsed => "last used, newest first",
            SortKey::Provider => "provider",
        }
    }
    pub(super) fn next(self) -> Self {
        match self {
            SortKey::Name => SortKey::Rotated,
            SortKey::Rotated => SortKey::LastUsed,
            SortKey::LastUsed => SortKey::Provider,
            SortKey::Provider => SortKey::Name,
        }
    }
}

/// A row's category index (bits 0-1), scope index (bits 2-4) and org flag (bit 5).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Attrs(u8);

impl Attrs {
    pub(super) fn of(m: &SecretMeta) -> Attrs {
        let cat = CategoryTab::index_of(m.category) as u8;
        let scope = ScopeTab::index_of(m.scope) as u8;
        Attrs(cat | scope << 2 | u8::from(m.visibility == Visibility::Org) << 5)
    }
    pub(super) fn category(self) -> usize {
        usize::from(self.0 & 0b11)
    }
    pub(super) fn scope(self) -> usize {
        usize::from(self.0 >> 2 & 0b111)
    }
    pub(super) fn visibility(self) -> Visibility {
        if self.0 & 0b10_0000 != 0 {
            Visibility::Org
        } else {
            Visibility::User
        }
    }
}
