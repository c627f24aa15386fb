//! Fuzzy filtering of many rows, fast enough to run on every keystroke at 100,000 rows.
//!
//! The haystack of each row (`name description`, lowercased) lives in one contiguous buffer with a
//! 64-bit mask of the bytes it contains. A query matches a row when each of its words is a
//! subsequence of the haystack: the same yes/no answer nucleo's fuzzy matcher gives for ASCII with
//! case ignored, found without scoring. The mask rejects most rows without reading them. Rows or
//! queries outside ASCII go through nucleo itself (Unicode case folding and normalisation). nucleo
//! also computes the matched positions that the table highlights, for the visible rows only.
//!
//! A word `provider:NAME` (or `p:NAME`) is not matched fuzzily: it keeps the rows whose provider
//! starts with NAME (`p:-` those with none); several such words keep the rows of any of them.
//! Providers are few, so each row holds a small number into the corpus's list of them.

use nucleo_matcher::pattern::{AtomKind, CaseMatching, Normalization, Pattern};
use nucleo_matcher::{Config, Matcher, Utf32Str};

use crate::api::SecretMeta;

/// Lowercased `name description` of every row, in row order, and each row's provider.
#[derive(Debug, Default)]
pub struct Corpus {
    text: String,
    /// `ends[i]` is where row `i` ends in `text`; it starts at `ends[i - 1]` (or 0).
    ends: Vec<u32>,
    masks: Vec<u64>,
    /// The distinct providers, lowercased.
    providers: Vec<String>,
    /// `provider_of[i]`: 0 when row `i` names no provider, else 1 + its index in `providers`.
    provider_of: Vec<u16>,
}

/// Bit 63 marks a row with non-ASCII text (matched by nucleo instead).
const NON_ASCII: u64 = 1 << 63;

/// One bit per letter, digit and common punctuation, so that for those a set bit means the byte
/// is there; the rest share bits (a set bit then only means "maybe").
fn byte_bit(b: u8) -> u64 {
    let bit = match b {
        b'a'..=b'z' => b - b'a',
        b'0'..=b'9' => 26 + (b - b'0'),
        b'_' => 36,
        b'-' => 37,
        b'.' => 38,
        b'/' => 39,
        b':' => 40,
        b' ' => 41,
        0..=127 => 42 + b % 20,
        _ => 63,
    };
    1u64 << bit
}

fn mask_of(s: &[u8]) -> u64 {
    s.iter().fold(0, |m, &b| m | byte_bit(b))
}

impl Corpus {
    /// The haystacks of `rows`, in the order given.
    pub fn build<'a>(rows: impl ExactSizeIterator<Item = &'a SecretMeta> + Clone) -> Corpus {
        let approx: usize = rows
            .clone()
            .map(|r| r.name.len() + r.description.as_deref().map_or(0, str::len) + 1)
            .sum();
        let mut c = Corpus {
            text: String::with_capacity(approx),
            ends: Vec::with_capacity(rows.len()),
            masks: Vec::with_capacity(rows.len()),
            providers: Vec::new(),
            provider_of: Vec::with_capacity(rows.len()),
        };
        for r in rows {
            let p = r
                .provider
                .as_deref()
                .filter(|p| !p.is_empty())
                .map_or(0, |p| c.provider_number(p));
            c.provider_of.push(p);
            let start = c.text.len();
            push_lower(&mut c.text, &r.name);
            if let Some(d) = r.description.as_deref().filter(|d| !d.is_empty()) {
                c.text.push(' ');
                push_lower(&mut c.text, d);
            }
            c.masks.push(mask_of(&c.text.as_bytes()[start..]));
            // Offsets fit in u32 for any list that fits in memory comfortably (4 GiB of names).
            c.ends.push(u32::try_from(c.text.len()).unwrap_or(u32::MAX));
        }
        c
    }

    /// The number of provider `p` (1-based), added when new. Lists with more distinct
    /// providers than a u16 holds share the last number: a filter then over-matches those.
    fn provider_number(&mut self, p: &str) -> u16 {
        let lower = p.to_lowercase();
        let at = match self.providers.iter().position(|q| *q == lower) {
            Some(at) => at,
            None if self.providers.len() < usize::from(u16::MAX - 1) => {
                self.providers.push(lower);
                self.providers.len() - 1
            }
            None => self.providers.len() - 1,
        };
        u16::try_from(at + 1).unwrap_or(u16::MAX)
    }

    /// Whether any row names a provider.
    pub fn has_providers(&self) -> bool {
        !self.providers.is_empty()
    }

    fn span(&self, i: usize) -> (usize, usize) {
        let start = if i == 0 {
            0
        } else {
            self.ends.get(i - 1).copied().unwrap_or(0) as usize
        };
        (start, self.ends.get(i).copied().unwrap_or(0) as usize)
    }

    pub fn haystack(&self, i: usize) -> &str {
        let (start, end) = self.span(i);
        self.text.get(start..end).unwrap_or("")
    }
}

fn push_lower(out: &mut String, s: &str) {
    if s.is_ascii() {
        let start = out.len();
        out.push_str(s);
        if let Some(added) = out.get_mut(start..) {
            added.make_ascii_lowercase();
        }
    } else {
        out.extend(s.chars().flat_map(char::to_lowercase));
    }
}

/// A parsed filter query.
pub struct Query {
    raw: String,
    /// The fuzzy words, lowercased, with their byte masks.
    words: Vec<(String, u64)>,
    /// The `provider:` words' values, lowercased: a row matches when its provider starts with
    /// any of them (`-`: has none). Empty: any provider.
    providers: Vec<String>,
    ascii: bool,
    pattern: Pattern,
}

/// What a row's provider must be for `p:-`.
const NO_PROVIDER: &str = "-";

/// The value of a `provider:NAME` or `p:NAME` word (lowercased already).
fn provider_word(w: &str) -> Option<&str> {
    w.strip_prefix("provider:").or_else(|| w.strip_prefix("p:"))
}

impl std::fmt::Debug for Query {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Query").field("raw", &self.raw).finish()
    }
}

impl Query {
    pub fn new(raw: &str) -> Query {
        let lower: String = raw.chars().flat_map(char::to_lowercase).collect();
        let mut words = Vec::new();
        let mut providers = Vec::new();
        for w in lower.split_whitespace() {
            match provider_word(w) {
                // `p:` alone is a provider still being typed: no constraint yet, so that the
                // list does not empty itself between two keystrokes.
                Some("") => {}
                Some(p) => providers.push(p.to_owned()),
                None => words.push((w.to_owned(), mask_of(w.as_bytes()))),
            }
        }
        let fuzzy = words.iter().map(|(w, _)| w.as_str()).collect::<Vec<_>>().join(" ");
        Query {
            raw: raw.to_owned(),
            ascii: fuzzy.is_ascii(),
            pattern: Pattern::new(&fuzzy, CaseMatching::Ignore, Normalization::Smart, AtomKind::Fuzzy),
            words,
            providers,
        }
    }

    /// The providers this query keeps (lowercased; `-` for none); empty for any.
    pub fn providers(&self) -> &[String] {
        &self.providers
    }

    pub fn raw(&self) -> &str {
        &self.raw
    }

    pub fn is_empty(&self) -> bool {
        self.words.is_empty() && self.providers.is_empty()
    }

    /// Whether every row kept by this query's providers is kept by `previous`'s.
    fn providers_narrow(&self, previous: &Query) -> bool {
        match (&self.providers[..], &previous.providers[..]) {
            (_, []) => true,
            (new, old) if new == old => true,
            // A longer prefix of one provider keeps fewer rows; `-` is no prefix.
            ([new], [old]) => old != NO_PROVIDER && new.starts_with(old.as_str()),
            _ => false,
        }
    }

    /// The rows of which providers (by their number in `corpus`) this query keeps; None for
    /// all of them.
    fn provider_set(&self, corpus: &Corpus) -> Option<Vec<bool>> {
        if self.providers.is_empty() {
            return None;
        }
        let mut keep = vec![false; corpus.providers.len() + 1];
        keep[0] = self.providers.iter().any(|p| p == NO_PROVIDER);
        for (i, name) in corpus.providers.iter().enumerate() {
            keep[i + 1] = self
                .providers
                .iter()
                .any(|p| p != NO_PROVIDER && name.starts_with(p.as_str()));
        }
        Some(keep)
    }

    /// When every row this query matches is matched by `previous` too (each earlier word is
    /// contained in the new one at the same place; words may be added), filtering can start
    /// from `previous`'s matches: the answer is the first word still to check (the earlier ones
    /// passed already). None when it cannot.
    pub fn narrows(&self, previous: &Query) -> Option<usize> {
        if previous.is_empty() || self.words.len() < previous.words.len() || !self.providers_narrow(previous) {
            return None;
        }
        let mut first_changed = previous.words.len();
        for (j, ((new, _), (old, _))) in self.words.iter().zip(&previous.words).enumerate() {
            if new != old {
                if !is_subsequence(new.as_bytes(), old.as_bytes()) {
                    return None;
                }
                first_changed = first_changed.min(j);
            }
        }
        Some(first_changed)
    }

    /// Appends to `out` the `candidates` (ascending) whose haystacks match, checking the words
    /// from `from_word` on. One tight loop over the corpus's arrays: this is the per-keystroke
    /// cost at 100,000 rows.
    pub fn filter_into(
        &self,
        corpus: &Corpus,
        candidates: impl Iterator<Item = u32>,
        from_word: usize,
        matcher: &mut Matcher,
        out: &mut Vec<u32>,
    ) {
        let words = self.words.get(from_word..).unwrap_or(&[]);
        let providers = self.provider_set(corpus);
        // Checked on every candidate: a narrowed provider must be, and it costs one lookup.
        let provider_ok = |i: usize| {
            providers.as_ref().is_none_or(|keep| {
                let p = corpus.provider_of.get(i).copied().unwrap_or(0);
                keep.get(usize::from(p)).copied().unwrap_or(false)
            })
        };
        if words.is_empty() {
            out.extend(candidates.filter(|&k| provider_ok(k as usize)));
            return;
        }
        let need = words.iter().fold(0, |m, (_, w)| m | w);
        let (text, ends, masks) = (corpus.text.as_bytes(), corpus.ends.as_slice(), corpus.masks.as_slice());
        let mut buf = Vec::new();
        for k in candidates {
            let i = k as usize;
            let Some(&mask) = masks.get(i) else { continue };
            let plain = self.ascii && mask & NON_ASCII == 0;
            // Most rows fail here, on the bytes they lack, without being read.
            if (plain && mask & need != need) || !provider_ok(i) {
                continue;
            }
            let start = if i == 0 { 0 } else { ends[i - 1] as usize };
            let hay = text.get(start..ends[i] as usize).unwrap_or(&[]);
            let hit = if plain {
                words.iter().all(|(w, _)| is_subsequence(hay, w.as_bytes()))
            } else {
                self.pattern
                    .score(Utf32Str::new(corpus.haystack(i), &mut buf), matcher)
                    .is_some()
            };
            if hit {
                out.push(k);
            }
        }
    }

    #[cfg(test)]
    pub fn matches(&self, corpus: &Corpus, i: usize, matcher: &mut Matcher) -> bool {
        let mut out = Vec::with_capacity(1);
        self.filter_into(
            corpus,
            std::iter::once(u32::try_from(i).unwrap_or(u32::MAX)),
            0,
            matcher,
            &mut out,
        );
        !out.is_empty()
    }

    /// The character positions in `name` that the query matched, for highlighting.
    pub fn name_positions(&self, name: &str, matcher: &mut Matcher) -> Vec<u32> {
        let mut buf = Vec::new();
        let mut idx = Vec::new();
        if self.is_empty() {
            return idx;
        }
        // Words that match only the description leave the name plain.
        for atom in &self.pattern.atoms {
            let mut one = Vec::new();
            if atom.indices(Utf32Str::new(name, &mut buf), matcher, &mut one).is_some() {
                idx.extend(one);
            }
        }
        idx.sort_unstable();
        idx.dedup();
        idx
    }
}

pub fn new_matcher() -> Matcher {
    Matcher::new(Config::DEFAULT)
}

fn is_subsequence(hay: &[u8], needle: &[u8]) -> bool {
    let mut it = hay.iter();
    'next: for &c in needle {
        for &h in it.by_ref() {
            if h == c {
                continue 'next;
            }
        }
        return false;
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    fn with_provider(name: &str, provider: Option<&str>) -> SecretMeta {
        SecretMeta {
            provider: provider.map(Into::into),
            ..meta(name, "")
        }
    }

    /// The rows of `rows` that `q` keeps, by name.
    fn kept(rows: &[SecretMeta], q: &str) -> Vec<String> {
        let corpus = Corpus::build(rows.iter());
        let mut out = Vec::new();
        let n = u32::try_from(rows.len()).unwrap_or(u32::MAX);
        Query::new(q).filter_into(&corpus, 0..n, 0, &mut new_matcher(), &mut out);
        out.iter().map(|&k| rows[k as usize].name.to_string()).collect()
    }

    fn providers_fixture() -> Vec<SecretMeta> {
        vec![
            with_provider("GITHUB_TOKEN_PRODUCTION", Some("github")),
            with_provider("GITHUB_TOKEN_STAGING", Some("GitHub")),
            with_provider("GH_ENTERPRISE", Some("github-enterprise")),
            with_provider("OPENAI_API_KEY", Some("openai")),
            with_provider("ANTHROPIC_API_KEY", Some("anthropic")),
            with_provider("DATABASE_URL", None),
        ]
    }

    #[test]
    fn a_provider_word_keeps_that_providers_rows() {
        let rows = providers_fixture();
        assert_eq!(kept(&rows, "p:openai"), ["OPENAI_API_KEY"]);
        assert_eq!(
            kept(&rows, "provider:GITHUB"),
            ["GITHUB_TOKEN_PRODUCTION", "GITHUB_TOKEN_STAGING", "GH_ENTERPRISE"],
            "case is ignored, and the value is a prefix"
        );
        assert_eq!(kept(&rows, "p:-"), ["DATABASE_URL"], "p:- keeps the rows naming none");
        assert_eq!(
            kept(&rows, "p:openai p:anthropic"),
            ["OPENAI_API_KEY", "ANTHROPIC_API_KEY"],
            "several provider words keep the rows of any of them"
        );
        assert!(kept(&rows, "p:aws").is_empty());
        assert_eq!(
            kept(&rows, "p:").len(),
            rows.len(),
            "p: alone is still being typed: keeps all"
        );
    }

    #[test]
    fn a_provider_word_combines_with_the_free_text() {
        let rows = providers_fixture();
        assert_eq!(kept(&rows, "p:github stag"), ["GITHUB_TOKEN_STAGING"]);
        assert_eq!(kept(&rows, "stag p:github"), ["GITHUB_TOKEN_STAGING"], "in any order");
        assert!(kept(&rows, "p:openai stag").is_empty());
        // The free text does not match the provider word itself: `p:` is no name's subsequence
        // here, yet rows are kept.
        assert_eq!(kept(&rows, "api p:anthropic"), ["ANTHROPIC_API_KEY"]);
        assert!(
            Query::new("p:github")
                .name_positions("GITHUB_TOKEN", &mut new_matcher())
                .is_empty()
        );
        assert!(!Query::new("p:github").is_empty() && Query::new("p:").is_empty());
    }

    #[test]
    fn narrowing_with_provider_words() {
        let q = Query::new;
        assert_eq!(
            q("p:git").narrows(&q("p:gi")),
            Some(0),
            "a longer prefix keeps fewer rows"
        );
        assert_eq!(q("api p:git").narrows(&q("api")), Some(1), "adding a provider narrows");
        assert_eq!(q("api p:git").narrows(&q("ap p:git")), Some(0));
        assert_eq!(q("p:gi").narrows(&q("p:git")), None);
        assert_eq!(q("api").narrows(&q("api p:git")), None, "dropping a provider widens");
        assert_eq!(q("p:git p:open").narrows(&q("p:git")), None, "another provider widens");
        assert_eq!(q("p:-x").narrows(&q("p:-")), None, "p:- is no prefix");
        // What narrowing claims, filtering from scratch agrees with.
        let rows = providers_fixture();
        let corpus = Corpus::build(rows.iter());
        let mut m = new_matcher();
        let n = u32::try_from(rows.len()).unwrap_or(u32::MAX);
        let (old, new) = (q("t p:gi"), q("te p:github-"));
        let from = new.narrows(&old).expect("narrows");
        let (mut before, mut after, mut fresh) = (Vec::new(), Vec::new(), Vec::new());
        old.filter_into(&corpus, 0..n, 0, &mut m, &mut before);
        new.filter_into(&corpus, before.into_iter(), from, &mut m, &mut after);
        new.filter_into(&corpus, 0..n, 0, &mut m, &mut fresh);
        assert_eq!(after, fresh);
        assert_eq!(fresh, [2], "GH_ENTERPRISE only");
    }

    fn meta(name: &str, desc: &str) -> SecretMeta {
        SecretMeta {
            name: name.into(),
            category: Default::default(),
            scope: Default::default(),
            visibility: Default::default(),
            owner: None,
            description: Some(desc.into()),
            preview: "****".into(),
            version: 1,
            revealable: true,
            created_at: datetime!(2026-01-01 0:00 UTC),
            rotated_at: None,
            last_used_at: None,
            created_by: None,
            rotated_by: None,
            provider: None,
        }
    }

    #[test]
    fn fast_path_agrees_with_nucleo() {
        let rows = [
            meta("ANTHROPIC_API_KEY", "Claude for the agents"),
            meta("GITHUB_TOKEN", "ci"),
            meta("DB_PASSWORD", "Prod database, café"),
        ];
        let corpus = Corpus::build(rows.iter());
        let mut m = new_matcher();
        let mut buf = Vec::new();
        for q in ["api", "apk", "gt ci", "TOKEN", "xyz", "cafe", "café", "ag cl", "zz"] {
            let query = Query::new(q);
            for (i, row) in rows.iter().enumerate() {
                let fast = query.matches(&corpus, i, &mut m);
                let hay = format!("{} {}", row.name, row.description.as_deref().unwrap_or(""));
                let slow = query.pattern.score(Utf32Str::new(&hay, &mut buf), &mut m).is_some();
                assert_eq!(fast, slow, "query {q:?} on row {i}");
            }
        }
    }

    #[test]
    fn narrowing_is_only_claimed_when_safe() {
        assert_eq!(Query::new("api").narrows(&Query::new("ap")), Some(0));
        assert_eq!(
            Query::new("ap k").narrows(&Query::new("ap")),
            Some(1),
            "only the new word to check"
        );
        assert_eq!(Query::new("ap ke").narrows(&Query::new("ap k")), Some(1));
        assert_eq!(
            Query::new("ap ").narrows(&Query::new("ap")),
            Some(1),
            "nothing new to check"
        );
        assert_eq!(Query::new("xap k").narrows(&Query::new("ap k")), Some(0));
        assert_eq!(Query::new("a").narrows(&Query::new("ap")), None);
        assert_eq!(Query::new("pa").narrows(&Query::new("ap")), None);
        assert_eq!(Query::new("api").narrows(&Query::new("")), None);
    }

    #[test]
    fn name_positions_for_highlight() {
        let q = Query::new("gtk");
        let pos = q.name_positions("GITHUB_TOKEN", &mut new_matcher());
        assert_eq!((pos.len(), pos.first(), pos.last()), (3, Some(&0), Some(&9)));
    }
}
