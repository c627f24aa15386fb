//! OSC 52: asking the terminal (local or at the far end of SSH) to set its clipboard.
//!
//! The sequence is `ESC ] 52 ; c ; base64(value) BEL`. Under tmux it is sent twice: plain (tmux
//! with `set-clipboard on` stores it as a paste buffer and forwards it to the outer terminal) and
//! wrapped for passthrough (`ESC P tmux; ... ESC \`, for `allow-passthrough on`), because tmux's
//! defaults drop one or the other. The bytes are built in one zeroizing buffer, written with a
//! single write, and never logged.

use std::fs::OpenOptions;
use std::io::{self, IsTerminal, Write};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use zeroize::Zeroizing;

use super::{ClipboardError, CopyReceipt, tmux};

const ESC: u8 = 0x1b;
const BEL: u8 = 0x07;
const PREFIX: &[u8] = b"\x1b]52;c;";

/// The bytes that ask the terminal to set its clipboard to `value` (empty `value`: clear it).
pub(crate) fn sequence(value: &[u8], tmux: bool) -> Zeroizing<Vec<u8>> {
    let b64_len = base64::encoded_len(value.len(), true).unwrap_or(usize::MAX);
    let plain_len = PREFIX.len().saturating_add(b64_len).saturating_add(1);
    // Room for the plain sequence, its wrapped copy (every ESC doubled) and the wrapper itself, so
    // the buffer never reallocates and leaves a stray copy of the base64 behind.
    let capacity = if tmux {
        plain_len.saturating_mul(2).saturating_add(16)
    } else {
        plain_len
    };
    let mut out = Zeroizing::new(Vec::with_capacity(capacity));
    out.extend_from_slice(PREFIX);
    let start = out.len();
    out.resize(start + b64_len, 0);
    let written = STANDARD.encode_slice(value, &mut out[start..]).unwrap_or(0);
    out.truncate(start + written);
    out.push(BEL);
    if tmux {
        let plain_end = out.len();
        out.extend_from_slice(b"\x1bPtmux;");
        for i in 0..plain_end {
            let byte = out[i];
            if byte == ESC {
                out.push(ESC);
            }
            out.push(byte);
        }
        out.extend_from_slice(b"\x1b\\");
    }
    out
}

enum Sink {
    /// The controlling terminal, opened for each write (stdout if there is none but stdout is one).
    Terminal,
    Writer(Box<dyn Write + Send>),
}

pub(crate) struct Osc52 {
    sink: Sink,
    tmux: bool,
}

impl Osc52 {
    pub(crate) fn terminal(tmux: bool) -> Osc52 {
        Osc52 {
            sink: Sink::Terminal,
            tmux,
        }
    }

    pub(crate) fn with_writer(writer: Box<dyn Write + Send>, tmux: bool) -> Osc52 {
        Osc52 {
            sink: Sink::Writer(writer),
            tmux,
        }
    }

    pub(crate) fn tmux(&self) -> bool {
        self.tmux
    }

    pub(crate) fn copy(&mut self, value: &[u8]) -> Result<(), ClipboardError> {
        let bytes = sequence(value, self.tmux);
        self.emit(&bytes)
    }

    /// Sends an empty selection. tmux ignores an empty OSC 52, so under tmux the paste buffers it
    /// made from our copy are deleted through the tmux command as well (best effort).
    pub(crate) fn clear(&mut self, receipt: &CopyReceipt) -> Result<(), ClipboardError> {
        let bytes = sequence(b"", self.tmux);
        self.emit(&bytes)?;
        if self.tmux && matches!(self.sink, Sink::Terminal) {
            match tmux::scrub_buffers(None, receipt) {
                Ok(0) => {}
                Ok(n) => tracing::debug!(n, "deleted tmux paste buffers holding the copied value"),
                Err(err) => tracing::debug!(%err, "could not check tmux paste buffers"),
            }
        }
        Ok(())
    }

    fn emit(&mut self, bytes: &[u8]) -> Result<(), ClipboardError> {
        match &mut self.sink {
            Sink::Writer(writer) => write_flush(writer, bytes),
            Sink::Terminal => match OpenOptions::new().write(true).open(terminal_path()) {
                Ok(mut tty) => write_flush(&mut tty, bytes),
                // Writing escape bytes into a pipe or file would corrupt the user's output, so
                // stdout is used only when it is itself a terminal.
                Err(err) if io::stdout().is_terminal() => {
                    tracing::debug!(%err, "no controlling terminal, sending OSC 52 to stdout");
                    write_flush(&mut io::stdout().lock(), bytes)
                }
                Err(err) => Err(ClipboardError::NoTerminal {
                    reason: err.to_string(),
                }),
            },
        }
    }
}

fn terminal_path() -> &'static str {
    if cfg!(windows) { "CONOUT$" } else { "/dev/tty" }
}

fn write_flush(w: &mut dyn Write, bytes: &[u8]) -> Result<(), ClipboardError> {
    w.write_all(bytes)
        .and_then(|()| w.flush())
        .map_err(ClipboardError::TerminalWrite)
}
