//! Random input for the parsers that read what others wrote: `.env` files (`vaultty import`), the
//! TUI's `config.toml` and key chords, and sealed values read back from the database. None may
//! panic on anything, and each writer/reader pair gets back exactly what it wrote.
//! (The streamed listing decoder is private to the client; its properties are in
//! src/client/stream_decode.rs.)
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;

use proptest::prelude::*;
use secrecy::{ExposeSecret, SecretString};
use vaultty::cli::dotenv;
use vaultty::crypto::{Binding, Keyring, MasterKey};
use vaultty::tui::config;
use vaultty::tui::keymap::KeyChord;

/// Names as the vault accepts them (the reserved ones, `LD_*` and the rest, are refused on import).
fn env_name() -> impl Strategy<Value = String> {
    "[A-Z_][A-Z0-9_]{0,30}".prop_filter("not reserved", |n| vaultty::api::validate::reserved_name(n).is_none())
}

/// Any value a user could store: every Unicode scalar, control characters and quotes included,
/// except NUL, which no environment variable can carry and `secret set` refuses.
fn any_value() -> impl Strategy<Value = String> {
    proptest::collection::vec(any::<char>().prop_filter("no NUL", |c| *c != '\0'), 0..80)
        .prop_map(|cs| cs.into_iter().collect())
}

/// Text biased toward what the parsers care about: quotes, escapes, `=`, `#`, newlines.
fn dotenv_like() -> impl Strategy<Value = String> {
    proptest::collection::vec(
        prop_oneof![
            Just("=".to_owned()),
            Just("'".to_owned()),
            Just("\"".to_owned()),
            Just("\\".to_owned()),
            Just("#".to_owned()),
            Just("\n".to_owned()),
            Just("export ".to_owned()),
            Just(" ".to_owned()),
            "[A-Za-z0-9_$ ]{1,6}",
            any::<char>().prop_map(String::from),
        ],
        0..40,
    )
    .prop_map(|parts| parts.concat())
}

fn keyring() -> Keyring {
    Keyring::new(vec![MasterKey::from_bytes([7; 32])]).unwrap()
}

proptest! {
    // No regression files: a failure prints its minimal input, which becomes a plain #[test].
    #![proptest_config(ProptestConfig { cases: 512, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn dotenv_never_panics(text in prop_oneof![dotenv_like(), any::<String>()]) {
        let _ = dotenv::parse(&text);
    }

    #[test]
    fn dotenv_reads_back_what_export_writes(entries in proptest::collection::vec((env_name(), any_value()), 0..8)) {
        let file: String = entries
            .iter()
            .map(|(name, value)| format!("{name}={}\n", dotenv::quote(value)))
            .collect();
        let read = dotenv::parse(&file).unwrap();
        prop_assert_eq!(read.len(), entries.len());
        for (got, (name, value)) in read.iter().zip(&entries) {
            prop_assert_eq!(&got.name, name);
            prop_assert_eq!(got.value.expose_secret(), value.as_str());
        }
    }

    #[test]
    fn dotenv_errors_never_quote_the_file(secret in "[a-z]{12}", junk in dotenv_like()) {
        // Whatever is wrong with a line, the message names the line, not its text: the text may be
        // a secret. A 12-letter run cannot appear in the parser's own wording by chance.
        let file = format!("{junk}\nNAME=\"{secret}\n");
        if let Err(e) = dotenv::parse(&file) {
            prop_assert!(!e.to_string().contains(&secret), "{}", e);
        }
    }

    #[test]
    fn tui_config_never_panics(text in prop_oneof![any::<String>(), keys_section()]) {
        let _ = config::parse(&text, Path::new("/cfg/config.toml"));
    }

    #[test]
    fn key_chords_never_panic_and_read_back(text in prop_oneof![any::<String>(), chord_like()]) {
        if let Ok(chord) = KeyChord::parse(&text) {
            // What the help screen shows can be written back into config.toml.
            let shown = chord.to_string();
            prop_assert_eq!(KeyChord::parse(&shown), Ok(chord), "{:?} shown as {:?}", text, shown);
        }
    }

    #[test]
    fn sealed_values_open_to_what_was_sealed(
        value in any::<String>(),
        namespace in "(org|user:[0-9]{1,4})",
        name in env_name(),
        version in 1i64..1_000,
    ) {
        let keys = keyring();
        let binding = Binding { namespace: &namespace, name: &name, identity: "0123456789abcdef01234567", version };
        let sealed = keys.seal(&binding, &SecretString::from(value.clone()));
        let opened = keys.open(&binding, &sealed).unwrap();
        prop_assert_eq!(opened.expose_secret(), value.as_str());
        let elsewhere = Binding { version: version + 1, ..binding.clone() };
        prop_assert!(keys.open(&elsewhere, &sealed).is_err(), "opened under another row");
    }

    #[test]
    fn a_damaged_sealed_value_never_opens_to_something_else(
        value in "[ -~]{0,40}",
        at in any::<prop::sample::Index>(),
        replacement in any::<char>(),
    ) {
        let keys = keyring();
        let binding = Binding { namespace: "org", name: "API_KEY", identity: "0123456789abcdef01234567", version: 1 };
        let sealed = keys.seal(&binding, &SecretString::from(value.clone()));
        let mut chars: Vec<char> = sealed.chars().collect();
        let i = at.index(chars.len());
        chars[i] = replacement;
        let damaged: String = chars.into_iter().collect();
        // Either refused, or (a base64 character whose changed bits are padding) the same value.
        if let Ok(opened) = keys.open(&binding, &damaged) {
            prop_assert_eq!(opened.expose_secret(), value.as_str());
        }
    }

    #[test]
    fn sealed_value_decoder_never_panics(text in prop_oneof![any::<String>(), sealed_like()]) {
        let binding = Binding { namespace: "org", name: "API_KEY", identity: "0123456789abcdef01234567", version: 1 };
        let _ = keyring().open(&binding, &text);
        let _ = keyring().open_accepting_v1(&binding, &text);
    }
}

/// `config.toml` text with a `[tui.keys.*]` section of random chords.
fn keys_section() -> impl Strategy<Value = String> {
    (
        prop_oneof![
            Just("main".to_owned()),
            Just("detail".to_owned()),
            Just("form".to_owned()),
            "[a-z]{1,8}"
        ],
        "[a-z_]{1,16}",
        proptest::collection::vec(chord_like(), 0..3),
    )
        .prop_map(|(section, action, keys)| {
            let keys: Vec<String> = keys.iter().map(|k| format!("{k:?}")).collect();
            format!("[tui.keys.{section}]\n{action} = [{}]\n", keys.join(", "))
        })
}

fn chord_like() -> impl Strategy<Value = String> {
    (
        proptest::collection::vec(
            prop_oneof![
                Just("ctrl-"),
                Just("alt-"),
                Just("shift-"),
                Just("Ctrl-"),
                Just("SHIFT-")
            ],
            0..3,
        ),
        prop_oneof![
            any::<char>().prop_map(String::from),
            Just("-".to_owned()),
            Just("space".to_owned()),
            Just("Space".to_owned()),
            Just("enter".to_owned()),
            Just("f12".to_owned()),
            Just("f0".to_owned()),
            Just("pagedown".to_owned()),
            "[a-z]{2,6}",
        ],
    )
        .prop_map(|(mods, key)| format!("{}{key}", mods.concat()))
}

/// Text shaped like `v2:<id>:<nonce>:<ct>:<tag>` (or `v1:`) with random parts.
fn sealed_like() -> impl Strategy<Value = String> {
    (
        prop_oneof![Just("v1".to_owned()), Just("v2".to_owned()), "[a-z0-9]{0,3}"],
        prop_oneof![Just(keyring_id()), "[0-9a-f]{0,9}"],
        "[A-Za-z0-9+/=]{0,24}",
        "[A-Za-z0-9+/=]{0,40}",
        "[A-Za-z0-9+/=:]{0,30}",
    )
        .prop_map(|(v, id, nonce, ct, tag)| format!("{v}:{id}:{nonce}:{ct}:{tag}"))
}

fn keyring_id() -> String {
    MasterKey::from_bytes([7; 32]).id().to_owned()
}
