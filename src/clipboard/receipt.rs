//! The proof of a copy: enough to recognise the value later, never enough to recover it.

use std::fmt;

use subtle::ConstantTimeEq;

use super::Method;
use crate::crypto::{random_bytes, sha256};

/// What a copy left behind: the method used and a salted SHA-256 of the value. The salt is fresh
/// for every copy, so a receipt that leaks cannot be checked against a guessed value offline
/// without it, and two copies of the same value give different receipts.
#[derive(Clone, PartialEq, Eq)]
pub struct CopyReceipt {
    method: Method,
    salt: [u8; 16],
    digest: [u8; 32],
    // The length lets the tmux buffer scrub skip buffers without reading them.
    len: usize,
}

impl CopyReceipt {
    pub(crate) fn new(method: Method, value: &[u8]) -> CopyReceipt {
        let salt = random_bytes::<16>();
        CopyReceipt {
            method,
            salt,
            digest: sha256(&[&salt, value]),
            len: value.len(),
        }
    }

    /// How the value was copied, for the status bar.
    pub fn method(&self) -> Method {
        self.method
    }

    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// Whether `candidate` is the value this receipt was made for.
    pub(crate) fn matches(&self, candidate: &[u8]) -> bool {
        candidate.len() == self.len && bool::from(sha256(&[&self.salt, candidate]).ct_eq(&self.digest))
    }
}

impl fmt::Debug for CopyReceipt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CopyReceipt")
            .field("method", &self.method)
            .finish_non_exhaustive()
    }
}
