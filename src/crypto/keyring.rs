//! Master keys: loaded from `VAULTTY_MASTER_KEY` or key files, the first seals and all open.

use std::fmt;
use std::path::Path;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use secrecy::{ExposeSecret, SecretString};
use zeroize::Zeroizing;

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error(
        "no master key: set VAULTTY_MASTER_KEY to the base64 of 32 random bytes, or pass \
         --master-key-file PATH (`vaultty admin gen-key` prints a new key)"
    )]
    Missing,
    #[error("master key #{index} is not valid base64: {reason}")]
    NotBase64 { index: usize, reason: String },
    #[error("master key #{index} is {len} bytes long; a master key is exactly 32 bytes (256 bits)")]
    WrongLength { index: usize, len: usize },
    #[error("cannot read the master key file {path}: {reason}")]
    File { path: String, reason: String },
}

/// One 256-bit master key and its id (a short hash of the key, so no id has to be configured).
pub struct MasterKey {
    pub(super) id: String,
    pub(super) bytes: Zeroizing<[u8; 32]>,
}

impl MasterKey {
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        let bytes = Zeroizing::new(bytes);
        let digest = super::sha256(&[b"vaultty key id", bytes.as_ref()]);
        let id = digest[..4].iter().map(|b| format!("{b:02x}")).collect();
        MasterKey { id, bytes }
    }

    pub fn id(&self) -> &str {
        &self.id
    }

    /// A fresh random key, base64-encoded as `VAULTTY_MASTER_KEY` expects it.
    pub fn generate_base64() -> SecretString {
        let bytes = Zeroizing::new(super::random_bytes::<32>());
        SecretString::from(STANDARD.encode(bytes.as_ref()))
    }
}

impl fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "MasterKey({}, ****)", self.id)
    }
}

/// The configured keys; the first is the primary, which seals.
#[derive(Debug)]
pub struct Keyring {
    pub(super) keys: Vec<MasterKey>,
}

impl Keyring {
    pub fn new(keys: Vec<MasterKey>) -> Result<Self, KeyError> {
        if keys.is_empty() {
            return Err(KeyError::Missing);
        }
        Ok(Keyring { keys })
    }

    /// Keys from the environment value (comma- or whitespace-separated base64) followed by the
    /// keys of each file (one per line, `#` comments allowed). The first key found is the primary.
    pub fn load(env_value: Option<&SecretString>, files: &[impl AsRef<Path>]) -> Result<Self, KeyError> {
        let mut texts: Vec<Zeroizing<String>> = Vec::new();
        if let Some(v) = env_value {
            texts.push(Zeroizing::new(v.expose_secret().to_owned()));
        }
        for path in files {
            let path = path.as_ref();
            let text = std::fs::read_to_string(path).map_err(|e| KeyError::File {
                path: path.display().to_string(),
                reason: e.to_string(),
            })?;
            texts.push(Zeroizing::new(text));
        }
        let mut keys = Vec::new();
        for text in &texts {
            for token in text
                .lines()
                .filter(|l| !l.trim_start().starts_with('#'))
                .flat_map(|l| l.split(|c: char| c == ',' || c.is_whitespace()))
                .filter(|t| !t.is_empty())
            {
                keys.push(parse_key(keys.len() + 1, token)?);
            }
        }
        Keyring::new(keys)
    }

    pub fn primary(&self) -> &MasterKey {
        &self.keys[0]
    }

    pub fn get(&self, id: &str) -> Option<&MasterKey> {
        self.keys.iter().find(|k| k.id == id)
    }

    pub fn ids(&self) -> impl Iterator<Item = &str> {
        self.keys.iter().map(|k| k.id.as_str())
    }
}

fn parse_key(index: usize, text: &str) -> Result<MasterKey, KeyError> {
    let decoded = Zeroizing::new(STANDARD.decode(text.trim()).map_err(|e| KeyError::NotBase64 {
        index,
        reason: e.to_string(),
    })?);
    let bytes: [u8; 32] = decoded.as_slice().try_into().map_err(|_| KeyError::WrongLength {
        index,
        len: decoded.len(),
    })?;
    Ok(MasterKey::from_bytes(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loads_several_keys_primary_first() {
        let a = MasterKey::generate_base64();
        let b = MasterKey::generate_base64();
        let env = SecretString::from(format!("{}, {}", a.expose_secret(), b.expose_secret()));
        let ring = Keyring::load(Some(&env), &[] as &[&Path]).unwrap();
        assert_eq!(ring.keys.len(), 2);
        assert_ne!(ring.keys[0].id, ring.keys[1].id);
        assert_eq!(ring.primary().id, ring.keys[0].id);
    }

    #[test]
    fn refuses_missing_and_wrong_length() {
        assert!(matches!(Keyring::load(None, &[] as &[&Path]), Err(KeyError::Missing)));
        let short = SecretString::from(STANDARD.encode([7u8; 16]));
        let err = Keyring::load(Some(&short), &[] as &[&Path]).unwrap_err();
        assert!(matches!(err, KeyError::WrongLength { len: 16, .. }), "{err}");
        let junk = SecretString::from("not base64!!".to_string());
        assert!(matches!(
            Keyring::load(Some(&junk), &[] as &[&Path]),
            Err(KeyError::NotBase64 { .. })
        ));
    }

    #[test]
    fn debug_hides_key_bytes() {
        let k = MasterKey::from_bytes([0xAB; 32]);
        let dbg = format!("{k:?}");
        assert!(!dbg.contains("171") && !dbg.to_lowercase().contains("abab"), "{dbg}");
    }
}
