//! The system clipboard through one long-lived arboard handle.
//!
//! arboard copies the text into its own buffer (which it does not zeroize); clearing overwrites
//! that buffer with an empty string before giving up the selection, so the value is no longer
//! served and no longer handed to a clipboard manager when the process exits.

use zeroize::Zeroizing;

use super::{ClearOutcome, ClipboardError, CopyReceipt};

pub(crate) struct System {
    handle: arboard::Clipboard,
}

impl System {
    pub(crate) fn new() -> Result<System, ClipboardError> {
        let handle = arboard::Clipboard::new().map_err(|err| ClipboardError::NoSystemClipboard {
            reason: err.to_string(),
        })?;
        Ok(System { handle })
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
        self.set_excluded(text).map_err(|err| ClipboardError::SystemCopy {
            reason: err.to_string(),
        })
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
        Ok(ClearOutcome::Cleared)
    }
}
