//! Sealing and opening values: AES-256-GCM, a fresh random 96-bit nonce per seal, and associated
//! data that binds the ciphertext to its row, stored as
//! `v2:<key id>:base64(nonce):base64(ciphertext):base64(tag)`.
//!
//! `v1:` texts (bound to namespace, name and version, but not to the secret's identity) are still
//! opened by [`Keyring::open_accepting_v1`] until the vault has re-sealed them all.

use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use secrecy::{ExposeSecret, SecretString};
use zeroize::Zeroizing;

use super::keyring::{Keyring, MasterKey};

const TAG_LEN: usize = 16;

/// The format every seal writes: the first field of the sealed text.
pub const SEALED_FORMAT: &str = "v2";
/// The format before the secret's identity was bound in.
pub const LEGACY_SEALED_FORMAT: &str = "v1";

#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum CryptoError {
    #[error("the stored value is not in a known sealed format")]
    Malformed,
    #[error("the stored value was sealed under master key {0}, which is not configured")]
    UnknownKey(String),
    #[error("the stored value does not open under its key and row (tampered, or moved to another row)")]
    Open,
    #[error(
        "the stored value is in the old v1 format, which this vault no longer opens once every value \
         was re-sealed: a row put back from before that (an old backup?)"
    )]
    Legacy,
    #[error("the sealed value is not valid UTF-8")]
    NotUtf8,
}

/// The row a ciphertext belongs to: namespace, name, the secret's identity and the version.
/// Opening under any other binding fails, so a ciphertext copied onto another row (another
/// name, another version, or the same name deleted and created again) is useless.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Binding<'a> {
    /// `org`, or `user:<user id>`.
    pub namespace: &'a str,
    pub name: &'a str,
    /// The secret's identity ([`new_identity`]): random, drawn when the secret is created and
    /// kept for its life, so that a secret deleted and created again under the same name is
    /// another secret.
    pub identity: &'a str,
    pub version: i64,
}

/// A fresh secret identity: 96 random bits as 24 hex digits (which a row keeps inline, without
/// an allocation, in a `CompactString`). Random rather than the row's database id because it
/// must never repeat: not after a database is restored from a backup and then grows again (an
/// id sequence restarts from the backup's), and not when the rows move to another backend
/// (Postgres) whose ids are its own. 96 bits make a repeat as unlikely as a repeated nonce.
pub fn new_identity() -> String {
    super::random_bytes::<12>().iter().map(|b| format!("{b:02x}")).collect()
}

impl Binding<'_> {
    fn aad(&self) -> Vec<u8> {
        // Length-prefixed, so that no two different bindings produce the same bytes.
        let mut out = Vec::with_capacity(64 + self.namespace.len() + self.name.len() + self.identity.len());
        out.extend_from_slice(b"vaultty/v2");
        for part in [
            self.namespace.as_bytes(),
            self.name.as_bytes(),
            self.identity.as_bytes(),
        ] {
            out.extend_from_slice(&(part.len() as u32).to_be_bytes());
            out.extend_from_slice(part);
        }
        out.extend_from_slice(&self.version.to_be_bytes());
        out
    }

    /// The v1 associated data, without the identity: kept to open (and re-seal) old rows.
    fn legacy_aad(&self) -> Vec<u8> {
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
    /// Seals `value` under the primary key for the row `binding`, in the v2 format.
    pub fn seal(&self, binding: &Binding<'_>, value: &SecretString) -> String {
        self.seal_as(SEALED_FORMAT, &binding.aad(), value)
    }

    /// Seals in the v1 format, as vaultty did before v2: only for tests of the migration.
    #[doc(hidden)]
    pub fn seal_v1(&self, binding: &Binding<'_>, value: &SecretString) -> String {
        self.seal_as(LEGACY_SEALED_FORMAT, &binding.legacy_aad(), value)
    }

    fn seal_as(&self, format: &str, aad: &[u8], value: &SecretString) -> String {
        let key = self.primary();
        let nonce_bytes = super::random_bytes::<NONCE_LEN>();
        let mut buf = Zeroizing::new(value.expose_secret().as_bytes().to_vec());
        let tag = cipher(key)
            .seal_in_place_separate_tag(
                Nonce::assume_unique_for_key(nonce_bytes),
                Aad::from(aad),
                buf.as_mut_slice(),
            )
            // Sealing fails only for inputs beyond GCM's 64 GiB limit; values are at most 64 KiB.
            .unwrap_or_else(|_| unreachable!("AES-GCM seal of a bounded value"));
        format!(
            "{format}:{}:{}:{}:{}",
            key.id,
            STANDARD.encode(nonce_bytes),
            STANDARD.encode(buf.as_slice()),
            STANDARD.encode(tag.as_ref())
        )
    }

    /// Opens a stored v2 value sealed for the row `binding`, under whichever configured key
    /// sealed it. A v1 text is refused (`Legacy`).
    pub fn open(&self, binding: &Binding<'_>, stored: &str) -> Result<SecretString, CryptoError> {
        self.open_formats(binding, stored, false)
    }

    /// Like [`Keyring::open`], and also opens a v1 text under its old binding (without the
    /// identity): only while the vault has v1 rows left to re-seal.
    pub fn open_accepting_v1(&self, binding: &Binding<'_>, stored: &str) -> Result<SecretString, CryptoError> {
        self.open_formats(binding, stored, true)
    }

    fn open_formats(&self, binding: &Binding<'_>, stored: &str, v1: bool) -> Result<SecretString, CryptoError> {
        let mut parts = stored.split(':');
        let (Some(format), Some(key_id), Some(nonce), Some(ct), Some(tag), None) = (
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
        ) else {
            return Err(CryptoError::Malformed);
        };
        let aad = match format {
            SEALED_FORMAT => binding.aad(),
            LEGACY_SEALED_FORMAT if v1 => binding.legacy_aad(),
            LEGACY_SEALED_FORMAT => return Err(CryptoError::Legacy),
            _ => return Err(CryptoError::Malformed),
        };
        let (key, nonce) = self.key_and_nonce(key_id, nonce)?;
        let tag = STANDARD.decode(tag).map_err(|_| CryptoError::Malformed)?;
        if tag.len() != TAG_LEN {
            return Err(CryptoError::Malformed);
        }
        let mut buf = Zeroizing::new(STANDARD.decode(ct).map_err(|_| CryptoError::Malformed)?);
        buf.extend_from_slice(&tag);
        let plain = cipher(key)
            .open_in_place(Nonce::assume_unique_for_key(nonce), Aad::from(aad), buf.as_mut_slice())
            .map_err(|_| CryptoError::Open)?;
        let text = std::str::from_utf8(plain).map_err(|_| CryptoError::NotUtf8)?;
        Ok(SecretString::from(text.to_owned()))
    }

    /// The configured key a stored text names and its decoded nonce: the first steps of opening
    /// anything this keyring sealed (values, and the audit chain key).
    pub(super) fn key_and_nonce(
        &self,
        key_id: &str,
        nonce: &str,
    ) -> Result<(&MasterKey, [u8; NONCE_LEN]), CryptoError> {
        let key = self
            .get(key_id)
            .ok_or_else(|| CryptoError::UnknownKey(key_id.to_owned()))?;
        let nonce: [u8; NONCE_LEN] = STANDARD
            .decode(nonce)
            .ok()
            .and_then(|n| n.try_into().ok())
            .ok_or(CryptoError::Malformed)?;
        Ok((key, nonce))
    }

    /// The id of the key that sealed a stored value, if it is in the v2 or v1 format.
    pub fn sealed_key_id(stored: &str) -> Option<&str> {
        let mut parts = stored.split(':');
        matches!(parts.next(), Some(SEALED_FORMAT | LEGACY_SEALED_FORMAT))
            .then(|| parts.next())
            .flatten()
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
            identity: "0123456789abcdef01234567",
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
        assert_eq!(parts[0], "v2");
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
        let recreated = Binding {
            identity: "fedcba9876543210fedcba98",
            ..b("user:1", "KEY", 3)
        };
        assert_eq!(r.open(&recreated, &sealed).unwrap_err(), CryptoError::Open);
    }

    #[test]
    fn v1_opens_only_when_accepted() {
        let r = ring(1);
        let old = r.seal_v1(&b("org", "KEY", 2), &SecretString::from("old value"));
        assert!(old.starts_with("v1:"));
        assert_eq!(Keyring::sealed_key_id(&old), Some(r.primary().id()));
        assert_eq!(r.open(&b("org", "KEY", 2), &old).unwrap_err(), CryptoError::Legacy);
        let opened = r.open_accepting_v1(&b("org", "KEY", 2), &old).unwrap();
        assert_eq!(opened.expose_secret(), "old value");
        // The old binding still holds the name and version.
        assert_eq!(
            r.open_accepting_v1(&b("org", "KEY", 3), &old).unwrap_err(),
            CryptoError::Open
        );
        // And a v2 text never opens under the v1 binding.
        let new = r.seal(&b("org", "KEY", 2), &SecretString::from("new"));
        assert_eq!(
            r.open_accepting_v1(&b("org", "KEY", 2), &new).unwrap().expose_secret(),
            "new"
        );
    }

    #[test]
    fn identities_are_random_hex() {
        let (a, b) = (new_identity(), new_identity());
        assert_eq!(a.len(), 24);
        assert!(a.bytes().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(a, b);
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
