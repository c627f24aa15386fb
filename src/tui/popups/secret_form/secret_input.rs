//! [`SecretInput`]: a value being typed, held in a buffer that never reallocates (so no copy is
//! left behind in freed memory) and is zeroized on drop.

use secrecy::{ExposeSecret, SecretString};
use zeroize::{Zeroize, Zeroizing};

use crate::api::MAX_VALUE_BYTES;

/// A value being typed. Its buffer is allocated once at the largest value size, so typing never
/// moves it, and it is zeroized on drop.
pub struct SecretInput {
    buf: Zeroizing<String>,
    pub shown: bool,
}

impl std::fmt::Debug for SecretInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SecretInput({} chars, shown: {})", self.len(), self.shown)
    }
}

impl Default for SecretInput {
    fn default() -> Self {
        SecretInput::new()
    }
}

impl SecretInput {
    pub fn new() -> SecretInput {
        SecretInput {
            buf: Zeroizing::new(String::with_capacity(MAX_VALUE_BYTES)),
            shown: false,
        }
    }

    /// False (and nothing added) when the value would outgrow the API's limit.
    pub fn push(&mut self, c: char) -> bool {
        if c.is_control() || self.buf.len() + c.len_utf8() > MAX_VALUE_BYTES {
            return false;
        }
        self.buf.push(c);
        true
    }

    pub fn push_str(&mut self, s: &str) -> bool {
        if self.buf.len() + s.len() > MAX_VALUE_BYTES {
            return false;
        }
        self.buf.push_str(s);
        true
    }

    pub fn pop(&mut self) {
        self.buf.pop();
    }

    pub fn clear(&mut self) {
        self.buf.zeroize();
    }

    pub fn set(&mut self, value: &SecretString) {
        self.clear();
        self.push_str(value.expose_secret());
    }

    pub fn expose(&self) -> &str {
        &self.buf
    }

    pub fn to_secret(&self) -> SecretString {
        SecretString::from(self.expose())
    }

    pub fn len(&self) -> usize {
        self.buf.chars().count()
    }

    pub fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_input_never_reallocates() {
        let mut s = SecretInput::new();
        let before = s.buf.as_ptr();
        assert!(s.push_str(&"x".repeat(MAX_VALUE_BYTES - 1)));
        assert!(s.push('y'));
        assert!(!s.push('z'));
        assert_eq!(s.buf.as_ptr(), before);
        s.clear();
        assert!(s.is_empty());
    }
}
