//! The layering rules, checked on the source: a lower layer never imports a higher one.
//!
//! Every `.rs` file under `src/` is read and reduced to its code (comments and the insides of
//! string and char literals dropped, line numbers kept). Each path that leaves its module is
//! resolved to where it points: `crate::...` (with `use crate::{a, b::c}` groups expanded),
//! `super::...` that climbs out of the file or its inline module, an external crate's `name::...`,
//! and in `main.rs` the library's `vaultty::...`. Each resolved path is checked against [`RULES`];
//! a rule that must bend for one file says so in [`EXCEPTIONS`], with its reason. A failure names
//! the file, the line, the path and the rule.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::fs;
use std::path::{Path, PathBuf};

/// A module (and everything under it) that must not use certain paths.
struct Rule {
    /// A module path under the crate root, e.g. `tui::app`; `main` is the binary's root.
    from: &'static str,
    /// Path prefixes: `crate::x` for the crate's own modules, a bare name for an external crate.
    must_not_use: &'static [&'static str],
    why: &'static str,
}

/// The rules, from the lowest layer up. Each lists what holds today, so a new import across a
/// line is a decision someone makes on purpose, here.
const RULES: &[Rule] = &[
    Rule {
        from: "api",
        must_not_use: &[
            "crate::crypto",
            "crate::store",
            "crate::vault",
            "crate::server",
            "crate::client",
            "crate::cli",
            "crate::tui",
            "crate::local",
            "crate::config",
            "crate::clipboard",
            "axum",
            "reqwest",
            "rusqlite",
            "tokio",
        ],
        why: "the wire types are shared by the server and the client: no other module, no HTTP, SQL or I/O",
    },
    Rule {
        from: "crypto",
        must_not_use: &[
            "crate::store",
            "crate::vault",
            "crate::server",
            "crate::client",
            "crate::cli",
            "crate::tui",
            "crate::local",
            "crate::config",
            "crate::clipboard",
            "axum",
            "reqwest",
            "rusqlite",
        ],
        why: "keys, sealing and hashing know nothing of storage, HTTP or the front ends",
    },
    Rule {
        from: "store",
        must_not_use: &[
            "crate::vault",
            "crate::server",
            "crate::client",
            "crate::cli",
            "crate::tui",
            "crate::local",
            "crate::config",
            "crate::clipboard",
            "axum",
            "reqwest",
        ],
        why: "the store holds rows for the vault; it may use only `api` and `crypto`, and no HTTP",
    },
    Rule {
        from: "vault",
        must_not_use: &[
            "crate::server",
            "crate::client",
            "crate::cli",
            "crate::tui",
            "crate::local",
            "crate::config",
            "crate::clipboard",
            "axum",
            "reqwest",
        ],
        why: "the domain rules serve both the HTTP handlers and the admin commands: no HTTP types, no front end",
    },
    Rule {
        from: "server",
        must_not_use: &[
            "crate::client",
            "crate::cli",
            "crate::tui",
            "crate::local",
            "crate::config",
            "crate::clipboard",
            "rusqlite",
        ],
        why: "the handlers go through `vault`; the server knows no front end and no SQL",
    },
    Rule {
        from: "client",
        must_not_use: &[
            "crate::server",
            "crate::vault",
            "crate::store",
            "crate::cli",
            "crate::tui",
            "crate::local",
            "crate::config",
            "crate::clipboard",
            "axum",
            "rusqlite",
            "ratatui",
            "crossterm",
        ],
        why: "the client speaks HTTP and returns `api` types: it never reaches past the wire, and never draws",
    },
    Rule {
        from: "config",
        must_not_use: &[
            "crate::store",
            "crate::vault",
            "crate::server",
            "crate::client",
            "crate::cli",
            "crate::tui",
            "crate::local",
            "crate::clipboard",
        ],
        why: "profiles and paths are read by the front ends, and read nothing of theirs",
    },
    Rule {
        from: "clipboard",
        must_not_use: &[
            "crate::store",
            "crate::vault",
            "crate::server",
            "crate::client",
            "crate::cli",
            "crate::tui",
            "crate::local",
            "crate::config",
        ],
        why: "the clipboard is shared by `secret get --copy` and the TUI, and depends on neither",
    },
    Rule {
        from: "local",
        must_not_use: &["crate::cli", "crate::tui", "crate::clipboard"],
        why: "the embedded vault is started for the front ends, and knows none of them",
    },
    Rule {
        from: "cli",
        must_not_use: &[
            "crate::store",
            "crate::vault",
            "crate::server",
            "crate::crypto",
            "crate::tui",
        ],
        why: "the CLI is a client of the HTTP API: only the subcommands that run a part themselves reach it \
              (see EXCEPTIONS)",
    },
    Rule {
        from: "tui",
        must_not_use: &["crate::store", "crate::vault", "crate::server", "crate::cli"],
        why: "the TUI is a client of the HTTP API, even when the vault runs in the same process",
    },
    Rule {
        from: "tui::app",
        must_not_use: &[
            "crate::client",
            "crate::clipboard",
            "crate::local",
            "crate::config",
            "crate::tui::tasks",
            "crate::tui::terminal",
            "tokio",
        ],
        why: "`update` is pure: calls, clipboard and timers are Commands that `tui::tasks` runs",
    },
    Rule {
        from: "main",
        must_not_use: &[
            "crate::api",
            "crate::client",
            "crate::clipboard",
            "crate::config",
            "crate::crypto",
            "crate::local",
            "crate::server",
            "crate::store",
            "crate::tui",
            "crate::vault",
        ],
        why: "the binary only hands the command line to `cli`",
    },
];

/// One file allowed one path a rule forbids, and why.
struct Exception {
    file: &'static str,
    uses: &'static str,
    why: &'static str,
}

const EXCEPTIONS: &[Exception] = &[
    Exception {
        file: "src/cli/secret/rotate.rs",
        uses: "crate::crypto",
        why: "`rotate --generate` draws the new value with `crypto::generate_value`",
    },
    Exception {
        file: "src/cli/keys.rs",
        uses: "crate::crypto",
        why: "`serve` and `admin` load the master keyring themselves",
    },
    Exception {
        file: "src/cli/admin.rs",
        uses: "crate::crypto",
        why: "`admin gen-key` prints a new master key",
    },
    Exception {
        file: "src/cli/admin.rs",
        uses: "crate::vault",
        why: "`admin` works on the database directly (first start, recovery), through the vault's rules",
    },
    Exception {
        file: "src/cli/serve.rs",
        uses: "crate::server",
        why: "`serve` runs the server",
    },
    Exception {
        file: "src/cli/tui.rs",
        uses: "crate::tui",
        why: "`vaultty tui` starts the TUI",
    },
];

/// External crates whose paths are checked (others are not rule targets and are skipped).
const EXTERNAL: &[&str] = &["axum", "reqwest", "rusqlite", "tokio", "ratatui", "crossterm"];

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Ident(String),
    PathSep,
    Punct(char),
}

/// The file's tokens with their line numbers; comments, literals and lifetimes leave nothing.
fn tokenize(src: &str) -> Vec<(Tok, usize)> {
    let chars: Vec<char> = src.chars().collect();
    let mut toks = Vec::new();
    let mut line = 1;
    let mut i = 0;
    // Skips to the closing quote of a string that opened before `i`, minding escapes.
    let skip_string = |i: &mut usize, line: &mut usize| {
        while *i < chars.len() {
            match chars[*i] {
                '\\' => *i += 2,
                '"' => {
                    *i += 1;
                    return;
                }
                c => {
                    if c == '\n' {
                        *line += 1;
                    }
                    *i += 1;
                }
            }
        }
    };
    let skip_raw_string = |i: &mut usize, line: &mut usize, hashes: usize| {
        while *i < chars.len() {
            if chars[*i] == '"' && chars[*i + 1..].iter().take(hashes).filter(|&&c| c == '#').count() == hashes {
                *i += 1 + hashes;
                return;
            }
            if chars[*i] == '\n' {
                *line += 1;
            }
            *i += 1;
        }
    };
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied().unwrap_or('\0');
        if c == '\n' {
            line += 1;
            i += 1;
        } else if c.is_whitespace() {
            i += 1;
        } else if c == '/' && next == '/' {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
        } else if c == '/' && next == '*' {
            let mut depth = 0;
            while i < chars.len() {
                if chars[i] == '/' && chars.get(i + 1) == Some(&'*') {
                    depth += 1;
                    i += 2;
                } else if chars[i] == '*' && chars.get(i + 1) == Some(&'/') {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    if chars[i] == '\n' {
                        line += 1;
                    }
                    i += 1;
                }
            }
        } else if c == '"' {
            i += 1;
            skip_string(&mut i, &mut line);
        } else if c == '\'' {
            // A char literal ('x', '\n', '\u{..}') or a lifetime ('a): only the first has a closing quote.
            if next == '\\' {
                i += 3;
                while i < chars.len() && chars[i] != '\'' {
                    i += 1;
                }
                i += 1;
            } else if chars.get(i + 2) == Some(&'\'') {
                i += 3;
            } else {
                i += 1;
                while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
                    i += 1;
                }
            }
        } else if c.is_alphabetic() || c == '_' {
            let start = i;
            while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
                i += 1;
            }
            let word: String = chars[start..i].iter().collect();
            let here = chars.get(i).copied().unwrap_or('\0');
            let prefixes_string = matches!(word.as_str(), "r" | "b" | "br" | "c" | "cr");
            if prefixes_string && here == '"' && !word.contains('r') {
                i += 1;
                skip_string(&mut i, &mut line);
            } else if prefixes_string && word.contains('r') && (here == '"' || here == '#') {
                let hashes = chars[i..].iter().take_while(|&&c| c == '#').count();
                if chars.get(i + hashes) == Some(&'"') {
                    i += hashes + 1;
                    skip_raw_string(&mut i, &mut line, hashes);
                } else {
                    // A raw identifier, r#name.
                    i += hashes;
                }
            } else if word == "b" && here == '\'' {
                i += 1;
                while i < chars.len() && chars[i] != '\'' {
                    i += if chars[i] == '\\' { 2 } else { 1 };
                }
                i += 1;
            } else {
                toks.push((Tok::Ident(word), line));
            }
        } else if c.is_ascii_digit() {
            while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
                i += 1;
            }
        } else if c == ':' && next == ':' {
            toks.push((Tok::PathSep, line));
            i += 2;
        } else {
            toks.push((Tok::Punct(c), line));
            i += 1;
        }
    }
    toks
}

fn ident(toks: &[(Tok, usize)], i: usize) -> Option<&str> {
    match toks.get(i) {
        Some((Tok::Ident(s), _)) => Some(s),
        _ => None,
    }
}

fn is(toks: &[(Tok, usize)], i: usize, t: &Tok) -> bool {
    toks.get(i).is_some_and(|(x, _)| x == t)
}

/// Reads the rest of a path after `prefix::` starting at `i`: more segments, a `{...}` group
/// (expanded), a `*`. Returns every full path it names and the index after it.
fn path_tail(toks: &[(Tok, usize)], mut i: usize, prefix: Vec<String>) -> (Vec<Vec<String>>, usize) {
    let mut path = prefix;
    loop {
        if is(toks, i, &Tok::Punct('{')) {
            let mut out = Vec::new();
            i += 1;
            while i < toks.len() && !is(toks, i, &Tok::Punct('}')) {
                if is(toks, i, &Tok::Punct(',')) {
                    i += 1;
                    continue;
                }
                let (mut paths, next) = match ident(toks, i) {
                    Some("self") => (vec![path.clone()], i + 1),
                    Some(seg) if is(toks, i + 1, &Tok::PathSep) => {
                        let mut p = path.clone();
                        p.push(seg.to_owned());
                        path_tail(toks, i + 2, p)
                    }
                    Some(seg) => {
                        let mut p = path.clone();
                        p.push(seg.to_owned());
                        (vec![p], i + 1)
                    }
                    None if is(toks, i, &Tok::Punct('{')) => path_tail(toks, i, path.clone()),
                    None => (vec![path.clone()], i + 1),
                };
                out.append(&mut paths);
                i = next;
                // Skip an `as name` and anything else up to the entry's end.
                while i < toks.len() && !is(toks, i, &Tok::Punct(',')) && !is(toks, i, &Tok::Punct('}')) {
                    i += 1;
                }
            }
            return (out, i + 1);
        }
        match ident(toks, i) {
            Some(seg) => {
                path.push(seg.to_owned());
                if is(toks, i + 1, &Tok::PathSep) {
                    i += 2;
                } else {
                    return (vec![path], i + 1);
                }
            }
            // `*`, or a path that ends in `::<` or the like.
            None => return (vec![path], i),
        }
    }
}

/// A path as used in one file, resolved from the crate root (`crate::...`) or naming an external crate.
struct Use {
    line: usize,
    /// The module the path appears in, e.g. `["tui", "app", "form"]`.
    from: Vec<String>,
    path: Vec<String>,
}

/// `src/tui/app/form.rs` is `tui::app::form`; `mod.rs` names its directory; `main.rs` is `main`.
fn module_of(rel: &Path) -> Vec<String> {
    let mut parts: Vec<String> = rel.iter().map(|s| s.to_string_lossy().into_owned()).collect();
    let file = parts.pop().unwrap();
    match file.as_str() {
        "mod.rs" | "lib.rs" => {}
        name => parts.push(name.trim_end_matches(".rs").to_owned()),
    }
    parts
}

fn uses_in(src: &str, file_module: &[String], is_main: bool) -> Vec<Use> {
    let toks = tokenize(src);
    let mut out = Vec::new();
    // Inline modules (`mod tests { ... }`) and the brace depth each opened at.
    let mut inline: Vec<(String, usize)> = Vec::new();
    let mut depth = 0usize;
    let mut i = 0;
    while i < toks.len() {
        let line = toks[i].1;
        let here: Vec<String> = file_module
            .iter()
            .cloned()
            .chain(inline.iter().map(|(m, _)| m.clone()))
            .collect();
        let after_sep = i > 0 && is(&toks, i - 1, &Tok::PathSep);
        let starts_path = !after_sep && is(&toks, i + 1, &Tok::PathSep);
        match (&toks[i].0, ident(&toks, i)) {
            (Tok::Punct('{'), _) => {
                depth += 1;
                i += 1;
            }
            (Tok::Punct('}'), _) => {
                depth = depth.saturating_sub(1);
                if inline.last().is_some_and(|(_, d)| *d == depth) {
                    inline.pop();
                }
                i += 1;
            }
            (_, Some("mod")) if ident(&toks, i + 1).is_some() && is(&toks, i + 2, &Tok::Punct('{')) => {
                inline.push((ident(&toks, i + 1).unwrap().to_owned(), depth));
                depth += 1;
                i += 3;
            }
            (_, Some(root)) if starts_path && (root == "crate" || (is_main && root == "vaultty")) => {
                let (paths, next) = path_tail(&toks, i + 2, vec!["crate".to_owned()]);
                out.extend(paths.into_iter().map(|path| Use {
                    line,
                    from: here.clone(),
                    path,
                }));
                i = next;
            }
            (_, Some("super")) if starts_path => {
                let mut up = 0;
                while ident(&toks, i) == Some("super") && is(&toks, i + 1, &Tok::PathSep) {
                    up += 1;
                    i += 2;
                }
                let base = here[..here.len().saturating_sub(up)].to_vec();
                let prefix = std::iter::once("crate".to_owned()).chain(base).collect();
                let (paths, next) = path_tail(&toks, i, prefix);
                out.extend(paths.into_iter().map(|path| Use {
                    line,
                    from: here.clone(),
                    path,
                }));
                i = next;
            }
            (_, Some(name)) if starts_path && EXTERNAL.contains(&name) => {
                out.push(Use {
                    line,
                    from: here,
                    path: vec![name.to_owned()],
                });
                i += 2;
            }
            _ => i += 1,
        }
    }
    out
}

/// True when `path` is `prefix` or lies under it (whole segments only).
fn under(path: &[String], prefix: &str) -> bool {
    let prefix: Vec<&str> = prefix.split("::").collect();
    path.len() >= prefix.len() && path.iter().zip(&prefix).all(|(a, b)| a == b)
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// Every breach of [`RULES`] in the given files (relative to the crate root), and the exceptions used.
fn breaches(root: &Path, files: &[PathBuf]) -> (Vec<String>, Vec<usize>) {
    let mut found = Vec::new();
    let mut used = Vec::new();
    for file in files {
        let rel = file.strip_prefix(root).unwrap();
        let shown = rel.to_string_lossy().replace('\\', "/");
        let src = fs::read_to_string(file).unwrap();
        let module = module_of(rel.strip_prefix("src").unwrap());
        let is_main = shown == "src/main.rs";
        for u in uses_in(&src, &module, is_main) {
            for rule in RULES.iter().filter(|r| under(&u.from, r.from)) {
                for banned in rule.must_not_use {
                    if !under(&u.path, banned) {
                        continue;
                    }
                    if let Some(k) = EXCEPTIONS.iter().position(|e| e.file == shown && e.uses == *banned) {
                        used.push(k);
                        continue;
                    }
                    found.push(format!(
                        "{shown}:{}: `{}` uses `{}`: `{}` must not use `{banned}` ({})",
                        u.line,
                        u.from.join("::"),
                        u.path.join("::"),
                        rule.from,
                        rule.why
                    ));
                }
            }
        }
    }
    (found, used)
}

fn crate_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn no_module_imports_a_layer_above_it() {
    let root = crate_root();
    let mut files = Vec::new();
    rust_files(&root.join("src"), &mut files);
    files.sort();
    assert!(files.len() > 50, "the sources were found ({} files)", files.len());
    let (found, used) = breaches(&root, &files);
    assert!(found.is_empty(), "layering rules broken:\n{}", found.join("\n"));
    let stale: Vec<String> = EXCEPTIONS
        .iter()
        .enumerate()
        .filter(|(k, _)| !used.contains(k))
        .map(|(_, e)| format!("{} no longer uses {} ({}): remove the exception", e.file, e.uses, e.why))
        .collect();
    assert!(stale.is_empty(), "exceptions no file needs:\n{}", stale.join("\n"));
}

/// The scanner itself, on the forms it must see and the ones it must not be fooled by.
#[test]
fn the_scanner_resolves_paths_and_skips_comments_and_strings() {
    let src = r##"
use crate::{api::Role, client::{self, VaultClient}};
use super::super::tasks::Tasks;
// use crate::vault::Vault;
/* crate::server::x() /* nested */ crate::store */
fn f() -> &'static str {
    let _ = crate::clipboard::Clipboard::new();
    let _c = '"';
    let _l: &'static str = "crate::cli::x";
    tokio::spawn(async {});
    r#"crate::local"#
}
mod tests {
    use super::*;
}
"##;
    let module = vec!["tui".to_owned(), "app".to_owned(), "form".to_owned()];
    let got: Vec<(usize, String)> = uses_in(src, &module, false)
        .into_iter()
        .map(|u| (u.line, u.path.join("::")))
        .collect();
    let want: Vec<(usize, String)> = [
        (2, "crate::api::Role"),
        (2, "crate::client"),
        (2, "crate::client::VaultClient"),
        (3, "crate::tui::tasks::Tasks"),
        (7, "crate::clipboard::Clipboard::new"),
        (10, "tokio"),
        (14, "crate::tui::app::form"),
    ]
    .into_iter()
    .map(|(l, p)| (l, p.to_owned()))
    .collect();
    assert_eq!(got, want);
}
