//! Sealing and opening values: AES-256-GCM, a fresh random 96-bit nonce per seal, and associated
//! data that binds the ciphertext to its row, stored as
//! `v1:<key id>:base64(nonce):base64(ciphertext):base64(tag)`.

use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use secrecy::{ExposeSecret, SecretString};
use zeroize::Zeroizing;

use super::keyring::{Keyring, MasterKey};

const TAG_LEN: usize = 16;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CryptoError {
    #[error("the stored value is not in the v1 sealed format")]
    Malformed,
    #[error("the stored value was sealed under master key {0}, which is not configured")]
    UnknownKey(String),
    #[error("the stored value does not open under its key and row (tampered, or moved to another row)")]
    Open,
    #[error("the sealed value is not valid UTF-8")]
    NotUtf8,
}

/// The row a ciphertext belongs to: namespace, name and version. Opening under any other
/// binding fails, so a ciphertext copied onto another row is useless.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Binding<'a> {
    /// `org`, or `user:<user id>`.
    pub namespace: &'a str,
    pub name: &'a str,
    pub version: i64,
}

impl Binding<'_> {
    fn aad(&self) -> Vec<u8> {
        // Length-prefixed, so that no two different bindings produce the same bytes.
        let mut out = Vec::with_capacity(48 + self.namespace.len() + self.name.len());
        out.extend_from_slice(b"vaultty/v1");
        for part in [self.namespace.as_bytes(), self.name.as_bytes()] {
            out.extend_from_slice(&(part.len() as u32).to_be_bytes());
            out.extend_from_slice(part);
        }
        out.extend_from_slice(&self.version.to_be_bytes());
        out
    }
}

fn cipher(key: &MasterKey) -> LessSafeKey {
    // A 32-byte key always fits AES-256; `new` fails only on a wrong length, which the type rules out.
    #[allow(clippy::expect_used)]
    let unbound = UnboundKey::new(&AES_256_GCM, key.bytes.as_ref()).expect("32-byte AES-256 key");
    LessSafeKey::new(unbound)
}

impl Keyring {
    /// Seals `value` under the primary key for the row `binding`.
    pub fn seal(&self, binding: &Binding<'_>, value: &SecretString) -> String {
        let key = self.primary();
        let nonce_bytes = super::random_bytes::<NONCE_LEN>();
        let mut buf = Zeroizing::new(value.expose_secret().as_bytes().to_vec());
        let tag = cipher(key)
            .seal_in_place_separate_tag(
                Nonce::assume_unique_for_key(nonce_bytes),
                Aad::from(binding.aad()),
                buf.as_mut_slice(),
            )
            // Sealing fails only for inputs beyond GCM's 64 GiB limit; values are at most 64 KiB.
            .unwrap_or_else(|_| unreachable!("AES-GCM seal of a bounded value"));
        format!(
            "v1:{}:{}:{}:{}",
            key.id,
            STANDARD.encode(nonce_bytes),
            STANDARD.encode(buf.as_slice()),
            STANDARD.encode(tag.as_ref())
        )
    }

    /// Opens a stored value sealed for the row `binding`, under whichever configured key sealed it.
    pub fn open(&self, binding: &Binding<'_>, stored: &str) -> Result<SecretString, CryptoError> {
        let mut parts = stored.split(':');
        let (Some("v1"), Some(key_id), Some(nonce), Some(ct), Some(tag), None) = (
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
        ) else {
            return Err(CryptoError::Malformed);
        };
        let key = self
            .get(key_id)
            .ok_or_else(|| CryptoError::UnknownKey(key_id.to_owned()))?;
        let nonce: [u8; NONCE_LEN] = STANDARD
            .decode(nonce)
            .ok()
            .and_then(|n| n.try_into().ok())
            .ok_or(CryptoError::Malformed)?;
        let tag = STANDARD.decode(tag).map_err(|_| CryptoError::Malformed)?;
        if tag.len() != TAG_LEN {
            return Err(CryptoError::Malformed);
        }
        let mut buf = Zeroizing::new(STANDARD.decode(ct).map_err(|_| CryptoError::Malformed)?);
        buf.extend_from_slice(&tag);
        let plain = cipher(key)
            .open_in_place(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(binding.aad()),
                buf.as_mut_slice(),
            )
            .map_err(|_| CryptoError::Open)?;
        let text = std::str::from_utf8(plain).map_err(|_| CryptoError::NotUtf8)?;
        Ok(SecretString::from(text.to_owned()))
    }

    /// The id of the key that sealed a stored value, if it is in the v1 format.
    pub fn sealed_key_id(stored: &str) -> Option<&str> {
        let mut parts = stored.split(':');
        (parts.next() == Some("v1")).then(|| parts.next()).flatten()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ring(n: usize) -> Keyring {
        Keyring::new((0..n).map(|i| MasterKey::from_bytes([i as u8 + 1; 32])).collect()).unwrap()
    }

    fn b(ns: &'static str, name: &'static str, version: i64) -> Binding<'static> {
        Binding {
            namespace: ns,
            name,
            version,
        }
    }

    #[test]
    fn round_trip_and_format() {
        let r = ring(1);
        let v = SecretString::from("sk-ant-very-secret-value");
        let sealed = r.seal(&b("org", "KEY", 1), &v);
        let parts: Vec<_> = sealed.split(':').collect();
        assert_eq!(parts.len(), 5);
        assert_eq!(parts[0], "v1");
        assert_eq!(parts[1], r.primary().id());
        assert_eq!(STANDARD.decode(parts[2]).unwrap().len(), 12);
        assert_eq!(STANDARD.decode(parts[4]).unwrap().len(), 16);
        assert!(!sealed.contains("secret-value"));
        let opened = r.open(&b("org", "KEY", 1), &sealed).unwrap();
        assert_eq!(opened.expose_secret(), v.expose_secret());
    }

    #[test]
    fn fresh_nonce_each_seal() {
        let r = ring(1);
        let v = SecretString::from("same");
        assert_ne!(r.seal(&b("org", "K", 1), &v), r.seal(&b("org", "K", 1), &v));
    }

    #[test]
    fn another_row_does_not_open() {
        let r = ring(1);
        let sealed = r.seal(&b("user:1", "KEY", 3), &SecretString::from("v"));
        assert_eq!(r.open(&b("user:2", "KEY", 3), &sealed).unwrap_err(), CryptoError::Open);
        assert_eq!(r.open(&b("user:1", "KEY2", 3), &sealed).unwrap_err(), CryptoError::Open);
        assert_eq!(r.open(&b("user:1", "KEY", 4), &sealed).unwrap_err(), CryptoError::Open);
        assert_eq!(r.open(&b("org", "KEY", 3), &sealed).unwrap_err(), CryptoError::Open);
    }

    #[test]
    fn tampering_and_unknown_keys_fail() {
        let r = ring(1);
        let sealed = r.seal(&b("org", "K", 1), &SecretString::from("value"));
        let mut bytes = sealed.clone().into_bytes();
        let i = sealed.rfind(':').unwrap() - 2;
        bytes[i] = if bytes[i] == b'A' { b'B' } else { b'A' };
        let tampered = String::from_utf8(bytes).unwrap();
        assert!(r.open(&b("org", "K", 1), &tampered).is_err());
        assert_eq!(r.open(&b("org", "K", 1), "nope").unwrap_err(), CryptoError::Malformed);
        let other = Keyring::new(vec![MasterKey::from_bytes([9; 32])]).unwrap();
        assert!(matches!(
            other.open(&b("org", "K", 1), &sealed),
            Err(CryptoError::UnknownKey(_))
        ));
    }

    #[test]
    fn secondary_keys_still_open() {
        let old = ring(1);
        let sealed = old.seal(&b("org", "K", 1), &SecretString::from("value"));
        let rotated = Keyring::new(vec![MasterKey::from_bytes([42; 32]), MasterKey::from_bytes([1; 32])]).unwrap();
        assert_eq!(
            rotated.open(&b("org", "K", 1), &sealed).unwrap().expose_secret(),
            "value"
        );
        let resealed = rotated.seal(&b("org", "K", 1), &SecretString::from("value"));
        assert_eq!(Keyring::sealed_key_id(&resealed), Some(rotated.primary().id()));
    }
}
