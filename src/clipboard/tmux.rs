//! Deleting the tmux paste buffers that hold a copied value.
//!
//! With `set-clipboard on`, tmux turns our OSC 52 copy into a paste buffer, but it ignores the
//! empty OSC 52 that clears, so the secret would stay in `tmux list-buffers` until the server
//! exits. Clearing therefore asks tmux directly, deleting only buffers whose content matches the
//! receipt (a buffer the user made with the same text is indistinguishable, and also deleted).

use std::io;
use std::process::{Command, Stdio};

use zeroize::Zeroizing;

use super::CopyReceipt;

fn tmux(socket_name: Option<&str>) -> Command {
    let mut cmd = Command::new("tmux");
    // Without -L, tmux reaches the server of the pane we run in through $TMUX.
    if let Some(name) = socket_name {
        cmd.arg("-L").arg(name);
    }
    cmd.stdin(Stdio::null()).stderr(Stdio::null());
    cmd
}

/// Deletes the paste buffers of the tmux server (`socket_name` as for `tmux -L`, or the one in
/// `$TMUX`) whose content is the receipt's value; returns how many it deleted.
#[doc(hidden)]
pub fn scrub_buffers(socket_name: Option<&str>, receipt: &CopyReceipt) -> io::Result<usize> {
    let listing = tmux(socket_name)
        .args(["list-buffers", "-F", "#{buffer_size}\t#{buffer_name}"])
        .output()?;
    if !listing.status.success() {
        // No server, or no buffers at all: nothing of ours to delete.
        return Ok(0);
    }
    let listing = String::from_utf8_lossy(&listing.stdout);
    let mut deleted = 0;
    for line in listing.lines() {
        let Some((size, name)) = line.split_once('\t') else {
            continue;
        };
        if size.parse::<usize>().ok() != Some(receipt.len()) {
            continue;
        }
        let shown = tmux(socket_name).args(["show-buffer", "-b", name]).output()?;
        let content = Zeroizing::new(shown.stdout);
        if shown.status.success() && receipt.matches(&content) {
            let status = tmux(socket_name)
                .args(["delete-buffer", "-b", name])
                .stdout(Stdio::null())
                .status()?;
            if status.success() {
                deleted += 1;
            }
        }
    }
    Ok(deleted)
}
