//! Random material: API tokens (`vt_` + 32 random bytes base64url), their hashes, generated values.

use aws_lc_rs::rand::{SecureRandom, SystemRandom};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use secrecy::{ExposeSecret, SecretString};
use subtle::ConstantTimeEq;

/// Fills an array from the operating system's CSPRNG.
pub fn random_bytes<const N: usize>() -> [u8; N] {
    let mut out = [0u8; N];
    // SystemRandom fails only if the OS has no entropy source at all; nothing sane can continue then.
    SystemRandom::new()
        .fill(&mut out)
        .unwrap_or_else(|_| panic!("the operating system's random number generator failed"));
    out
}

/// A new API token: `vt_` followed by 43 base64url characters.
pub fn generate_token() -> SecretString {
    prefixed_random("vt_")
}

/// A new runner token: `vr_` followed by 43 base64url characters, so that a secret scanner or a
/// person can tell a delivery-only runner token from a user token (`vt_`) at a glance.
pub fn generate_runner_token() -> SecretString {
    prefixed_random("vr_")
}

fn prefixed_random(prefix: &str) -> SecretString {
    let bytes = zeroize::Zeroizing::new(random_bytes::<32>());
    SecretString::from(format!("{prefix}{}", URL_SAFE_NO_PAD.encode(bytes.as_ref())))
}

/// The stored form of a token. Tokens carry 256 bits of entropy, so a fast hash is enough:
/// no dictionary can reach them, and a slow hash would only slow every request.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct TokenHash(pub [u8; 32]);

impl TokenHash {
    pub fn ct_eq(&self, other: &TokenHash) -> bool {
        self.0.ct_eq(&other.0).into()
    }
}

impl std::fmt::Debug for TokenHash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TokenHash(****)")
    }
}

pub fn hash_token(token: &SecretString) -> TokenHash {
    TokenHash(super::sha256(&[b"vaultty token", token.expose_secret().as_bytes()]))
}

/// A new single-use enrolment code: `ve_` followed by 43 base64url characters, so that it cannot
/// be mistaken for a token (`vt_`) by a person or a secret scanner.
pub fn generate_enrolment_code() -> SecretString {
    prefixed_random("ve_")
}

/// The stored form of an enrolment code; another domain than tokens', so that a code's hash
/// can never match a token's.
pub fn hash_enrolment_code(code: &SecretString) -> TokenHash {
    TokenHash(super::sha256(&[
        b"vaultty enrolment code",
        code.expose_secret().trim().as_bytes(),
    ]))
}

/// Character sets for generated values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Alphabet {
    /// Letters and digits: safe in every shell and URL.
    #[default]
    Alphanumeric,
    /// Letters, digits and punctuation.
    Printable,
    /// Lowercase hexadecimal.
    Hex,
}

impl Alphabet {
    fn chars(self) -> &'static [u8] {
        match self {
            Alphabet::Alphanumeric => b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
            Alphabet::Printable => {
                b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789!#$%&()*+,-./:;<=>?@[]^_{|}~"
            }
            Alphabet::Hex => b"0123456789abcdef",
        }
    }

    pub fn next(self) -> Alphabet {
        match self {
            Alphabet::Alphanumeric => Alphabet::Printable,
            Alphabet::Printable => Alphabet::Hex,
            Alphabet::Hex => Alphabet::Alphanumeric,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Alphabet::Alphanumeric => "letters+digits",
            Alphabet::Printable => "printable",
            Alphabet::Hex => "hex",
        }
    }
}

/// A random value of `len` characters from `alphabet`, without modulo bias.
pub fn generate_value(len: usize, alphabet: Alphabet) -> SecretString {
    let chars = alphabet.chars();
    // Rejection sampling: accept bytes below the largest multiple of the alphabet size.
    let limit = 256 - (256 % chars.len());
    let mut out = String::with_capacity(len);
    while out.len() < len {
        for b in random_bytes::<64>() {
            if (b as usize) < limit && out.len() < len {
                out.push(chars[b as usize % chars.len()] as char);
            }
        }
    }
    SecretString::from(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_shape() {
        let t = generate_token();
        let s = t.expose_secret();
        assert!(s.starts_with("vt_"));
        assert_eq!(s.len(), 3 + 43);
        assert!(
            s[3..]
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        );
        assert_ne!(s, generate_token().expose_secret());
    }

    #[test]
    fn hashes_compare() {
        let t = generate_token();
        assert!(hash_token(&t).ct_eq(&hash_token(&t)));
        assert!(!hash_token(&t).ct_eq(&hash_token(&generate_token())));
    }

    #[test]
    fn generated_values() {
        let v = generate_value(40, Alphabet::Hex);
        assert_eq!(v.expose_secret().len(), 40);
        assert!(v.expose_secret().chars().all(|c| c.is_ascii_hexdigit()));
        let a = generate_value(64, Alphabet::Alphanumeric);
        assert!(a.expose_secret().chars().all(|c| c.is_ascii_alphanumeric()));
    }
}
