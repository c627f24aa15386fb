use std::io::{self, Write};
use std::sync::{Arc, Mutex};

use secrecy::SecretString;

use super::osc52::sequence;
use super::*;

/// A writer the test can read back after handing it to the clipboard.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Captured {
    fn take(&self) -> Vec<u8> {
        std::mem::take(&mut *self.0.lock().unwrap())
    }
}

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

// base64("hunter2") == "aHVudGVyMg=="
const PLAIN: &[u8] = b"\x1b]52;c;aHVudGVyMg==\x07";
const WRAPPED: &[u8] = b"\x1bPtmux;\x1b\x1b]52;c;aHVudGVyMg==\x07\x1b\\";

#[test]
fn plain_sequence_is_osc52_with_base64_and_bel() {
    assert_eq!(sequence(b"hunter2", false).as_slice(), PLAIN);
}

#[test]
fn tmux_sequence_is_plain_then_passthrough_with_escapes_doubled() {
    let expected = [PLAIN, WRAPPED].concat();
    assert_eq!(sequence(b"hunter2", true).as_slice(), expected.as_slice());
}

#[test]
fn clear_sequence_is_an_empty_selection() {
    assert_eq!(sequence(b"", false).as_slice(), b"\x1b]52;c;\x07");
    assert_eq!(
        sequence(b"", true).as_slice(),
        b"\x1b]52;c;\x07\x1bPtmux;\x1b\x1b]52;c;\x07\x1b\\"
    );
}

#[test]
fn sequence_handles_multibyte_and_padding_lengths() {
    // 1, 2 and 3 bytes past a multiple of three exercise every padding case.
    assert_eq!(sequence(b"a", false).as_slice(), b"\x1b]52;c;YQ==\x07");
    assert_eq!(sequence(b"ab", false).as_slice(), b"\x1b]52;c;YWI=\x07");
    assert_eq!(sequence(b"abc", false).as_slice(), b"\x1b]52;c;YWJj\x07");
    assert_eq!(
        sequence("pässwörd".as_bytes(), false).as_slice(),
        b"\x1b]52;c;cMOkc3N3w7ZyZA==\x07"
    );
}

#[test]
fn osc52_copy_and_clear_write_exact_bytes() {
    let out = Captured::default();
    let mut clip = Clipboard::with_osc52_writer(Box::new(out.clone()), true);
    assert_eq!(clip.method(), Method::Osc52 { tmux: true });

    let receipt = clip.copy(&SecretString::from("hunter2")).unwrap();
    assert_eq!(out.take(), [PLAIN, WRAPPED].concat());
    assert_eq!(receipt.method(), Method::Osc52 { tmux: true });

    let outcome = clip.clear_if_unchanged(&receipt).unwrap();
    assert_eq!(outcome, ClearOutcome::Unverifiable);
    assert_eq!(out.take(), b"\x1b]52;c;\x07\x1bPtmux;\x1b\x1b]52;c;\x07\x1b\\".to_vec());
}

#[test]
fn osc52_without_tmux_writes_only_the_plain_sequence() {
    let out = Captured::default();
    let mut clip = Clipboard::with_osc52_writer(Box::new(out.clone()), false);
    clip.copy(&SecretString::from("hunter2")).unwrap();
    assert_eq!(out.take(), PLAIN.to_vec());
}

#[test]
fn a_failing_terminal_write_is_an_error_without_the_value() {
    struct Broken;
    impl Write for Broken {
        fn write(&mut self, _: &[u8]) -> io::Result<usize> {
            Err(io::Error::new(io::ErrorKind::BrokenPipe, "terminal went away"))
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }
    let mut clip = Clipboard::with_osc52_writer(Box::new(Broken), false);
    let err = clip.copy(&SecretString::from("hunter2")).unwrap_err();
    let shown = format!("{err} {err:?}");
    assert!(shown.contains("terminal went away"), "{shown}");
    assert!(!shown.contains("hunter2") && !shown.contains("aHVudGVyMg"));
}

#[test]
fn receipt_never_shows_the_value_or_its_hash() {
    let out = Captured::default();
    let mut clip = Clipboard::with_osc52_writer(Box::new(out), false);
    let receipt = clip.copy(&SecretString::from("hunter2")).unwrap();
    let debug = format!("{receipt:?}");
    assert!(!debug.contains("hunter2"), "{debug}");
    assert!(!debug.contains("aHVudGVyMg"), "{debug}");
    assert!(!debug.contains("digest") && !debug.contains("salt"), "{debug}");
    assert!(debug.starts_with("CopyReceipt"), "{debug}");
}

#[test]
fn receipt_recognises_only_its_own_value_and_is_unique_per_copy() {
    let a = CopyReceipt::new(Method::System, b"hunter2");
    let b = CopyReceipt::new(Method::System, b"hunter2");
    assert!(a.matches(b"hunter2"));
    assert!(!a.matches(b"hunter3"));
    assert!(!a.matches(b"hunter"));
    assert!(!a.matches(b""));
    // Fresh salt per copy: re-copying the same value gives a receipt a stale timer won't match.
    assert_ne!(a, b);
    assert_eq!(a, a.clone());
}

#[test]
fn off_mode_refuses_to_copy_with_a_clear_message() {
    let mut clip = Clipboard::new(ClipboardMode::Off).unwrap();
    assert_eq!(clip.method(), Method::Off);
    let err = clip.copy(&SecretString::from("hunter2")).unwrap_err();
    assert!(err.to_string().contains("clipboard is off in the config"));
    let receipt = CopyReceipt::new(Method::System, b"x");
    assert!(matches!(clip.clear_if_unchanged(&receipt), Err(ClipboardError::Off)));
}

#[test]
fn mode_parses_from_config_words() {
    assert_eq!("auto".parse::<ClipboardMode>().unwrap(), ClipboardMode::Auto);
    assert_eq!("System".parse::<ClipboardMode>().unwrap(), ClipboardMode::System);
    assert_eq!(" osc52 ".parse::<ClipboardMode>().unwrap(), ClipboardMode::Osc52);
    assert_eq!("off".parse::<ClipboardMode>().unwrap(), ClipboardMode::Off);
    let err = "wayland".parse::<ClipboardMode>().unwrap_err();
    assert_eq!(
        err.to_string(),
        "unknown clipboard mode \"wayland\": use auto, system, osc52 or off"
    );
    for mode in [
        ClipboardMode::Auto,
        ClipboardMode::System,
        ClipboardMode::Osc52,
        ClipboardMode::Off,
    ] {
        assert_eq!(mode.to_string().parse::<ClipboardMode>().unwrap(), mode);
    }
    assert_eq!(ClipboardMode::default(), ClipboardMode::Auto);
}

#[test]
fn mode_reads_from_toml_config_with_a_useful_error() {
    #[derive(serde::Deserialize)]
    struct Config {
        clipboard: ClipboardMode,
    }
    let cfg: Config = toml::from_str("clipboard = \"osc52\"").unwrap();
    assert_eq!(cfg.clipboard, ClipboardMode::Osc52);
    let err = toml::from_str::<Config>("clipboard = \"xsel\"")
        .err()
        .unwrap()
        .to_string();
    assert!(err.contains("use auto, system, osc52 or off"), "{err}");
}

#[test]
fn auto_uses_osc52_over_ssh_or_without_a_display() {
    let env = |ssh, display| Env {
        ssh,
        display,
        tmux: false,
    };
    assert!(env(true, true).auto_wants_osc52(), "SSH with X forwarding");
    assert!(env(true, false).auto_wants_osc52());
    assert!(env(false, false).auto_wants_osc52(), "a console with no display");
    assert!(!env(false, true).auto_wants_osc52(), "a local desktop");
}

#[test]
fn method_says_what_the_status_bar_shows() {
    assert_eq!(Method::System.to_string(), "system clipboard");
    assert_eq!(Method::Osc52 { tmux: false }.to_string(), "OSC 52 via the terminal");
    assert_eq!(
        Method::Osc52 { tmux: true }.to_string(),
        "OSC 52 via the terminal (tmux)"
    );
    assert!(Method::System.clear_is_verifiable());
    assert!(!Method::Osc52 { tmux: false }.clear_is_verifiable());
    assert!(!Method::Osc52 { tmux: true }.clear_is_verifiable());
}

#[test]
fn clipboard_can_move_into_a_task() {
    fn assert_send<T: Send>() {}
    assert_send::<Clipboard>();
    assert_send::<CopyReceipt>();
}
