//! The system clipboard through one long-lived arboard handle.
//!
//! arboard copies the text into its own buffer (which it does not zeroize); clearing overwrites
//! that buffer with an empty string before giving up the selection, so the value is no longer
//! served and no longer handed to a clipboard manager when the process exits.

use zeroize::Zeroizing;

use super::{ClearOutcome, ClipboardError, CopyReceipt};

pub(crate) struct System {
    handle: arboard::Clipboard,
    /// Whether we gave up the selection since the last copy (see `set`).
    released: bool,
}

/// Copies tried after a release before the copy is reported as failed.
const COPY_ATTEMPTS: usize = 3;

impl System {
    pub(crate) fn new() -> Result<System, ClipboardError> {
        let handle = arboard::Clipboard::new().map_err(|err| ClipboardError::NoSystemClipboard {
            reason: err.to_string(),
        })?;
        Ok(System {
            handle,
            released: false,
        })
    }

    /// Sets the text, marked so clipboard managers leave it out of their history.
    fn set_excluded(&mut self, text: &str) -> Result<(), arboard::Error> {
        let set = self.handle.set();
        #[cfg(all(unix, not(any(target_os = "macos", target_os = "android", target_os = "emscripten"))))]
        let set = arboard::SetExtLinux::exclude_from_history(set);
        #[cfg(target_os = "macos")]
        let set = arboard::SetExtApple::exclude_from_history(set);
        #[cfg(windows)]
        let set = arboard::SetExtWindows::exclude_from_cloud(arboard::SetExtWindows::exclude_from_history(set));
        set.text(text)
    }

    pub(crate) fn set(&mut self, text: &str) -> Result<(), ClipboardError> {
        let copy_failed = |reason: String| ClipboardError::SystemCopy { reason };
        if !std::mem::take(&mut self.released) {
            return self.set_excluded(text).map_err(|err| copy_failed(err.to_string()));
        }
        // Giving up the selection (in `clear_if_unchanged`) makes X send our own serving thread a
        // SelectionClear, on which arboard drops whatever it serves. If that event is handled
        // after this copy, the copy is wiped and the clipboard silently reads as empty. Reading
        // back settles it: X delivers events in order, so the thread answers the read only after
        // it handled that SelectionClear, and a wiped copy shows as missing and is made again.
        for _ in 0..COPY_ATTEMPTS {
            self.set_excluded(text).map_err(|err| copy_failed(err.to_string()))?;
            if self
                .handle
                .get_text()
                .is_ok_and(|held| Zeroizing::new(held).as_str() == text)
            {
                return Ok(());
            }
        }
        Err(copy_failed("the clipboard did not keep the value".into()))
    }

    pub(crate) fn clear_if_unchanged(&mut self, receipt: &CopyReceipt) -> Result<ClearOutcome, ClipboardError> {
        let current = match self.handle.get_text() {
            Ok(text) => Zeroizing::new(text),
            // Empty, or not text any more (an image, files): either way not our value.
            Err(arboard::Error::ContentNotAvailable) => return Ok(ClearOutcome::ChangedSinceCopy),
            Err(err) => {
                return Err(ClipboardError::SystemRead {
                    reason: err.to_string(),
                });
            }
        };
        if !receipt.matches(current.as_bytes()) {
            return Ok(ClearOutcome::ChangedSinceCopy);
        }
        self.set_excluded("").map_err(|err| ClipboardError::SystemClear {
            reason: err.to_string(),
        })?;
        // The value is gone once the empty text is set; giving up the selection as well means the
        // clipboard reads as empty rather than as an empty string owned by a process about to exit.
        if let Err(err) = self.handle.clear() {
            tracing::debug!(%err, "could not release the emptied clipboard selection");
        }
        self.released = true;
        Ok(ClearOutcome::Cleared)
    }
}
