//! The audit chain key: a random 256-bit HMAC-SHA256 key that links audit events, kept in the
//! database sealed under the master keyring, so that only a holder of a master key can obtain it.
//!
//! Why a random key sealed under the master keys rather than one derived from "the" master key:
//! the keyring holds several keys, `admin rekey` moves everything to a new primary and the old
//! key may then be dropped. A chain key derived from a master key would die with that key and
//! leave every link made under it unverifiable; a sealed random key is re-sealed by rekey like a
//! value and outlives any master key. Sealing uses AES-256-GCM under a key derived from the master
//! key with HKDF-SHA256 (its own `info`), so the master key never encrypts two kinds of data.
//!
//! Stored as `ck1:<master key id>:base64(nonce):base64(ciphertext and tag)`. The associated data
//! binds the id of the first keyed event, so that moving the boundary between legacy (unkeyed)
//! and keyed events in the database makes the key fail to open.

use std::fmt;

use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use aws_lc_rs::{hkdf, hmac};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use zeroize::Zeroizing;

use super::keyring::{Keyring, MasterKey};
use super::seal::CryptoError;

const FORMAT: &str = "ck1";
const WRAP_INFO: &[u8] = b"vaultty audit chain key wrap v1";

/// The key that links audit events (HMAC-SHA256). Never printed; zeroed when dropped.
pub struct ChainKey(Zeroizing<[u8; 32]>);

impl ChainKey {
    /// A fresh random key, made once per database.
    pub fn generate() -> ChainKey {
        ChainKey(Zeroizing::new(super::random_bytes::<32>()))
    }

    pub fn from_bytes(bytes: [u8; 32]) -> ChainKey {
        ChainKey(Zeroizing::new(bytes))
    }

    /// HMAC-SHA256 over the concatenation of `parts`.
    pub fn mac(&self, parts: &[&[u8]]) -> [u8; 32] {
        let key = hmac::Key::new(hmac::HMAC_SHA256, self.0.as_ref());
        let mut ctx = hmac::Context::with_key(&key);
        for p in parts {
            ctx.update(p);
        }
        let mut out = [0u8; 32];
        out.copy_from_slice(ctx.sign().as_ref());
        out
    }
}

impl fmt::Debug for ChainKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ChainKey(****)")
    }
}

/// The AES-256-GCM key that seals the chain key under `master`.
fn wrapping_key(master: &MasterKey) -> LessSafeKey {
    let prk = hkdf::Salt::new(hkdf::HKDF_SHA256, b"vaultty").extract(master.bytes.as_ref());
    // Expanding 32 bytes from SHA-256 is far below HKDF's limit of 255 blocks: it cannot fail.
    let okm = prk
        .expand(&[WRAP_INFO], &AES_256_GCM)
        .unwrap_or_else(|_| unreachable!("HKDF-SHA256 expand of 32 bytes"));
    LessSafeKey::new(UnboundKey::from(okm))
}

fn aad(keyed_from: i64) -> Vec<u8> {
    let mut out = b"vaultty audit chain key v1".to_vec();
    out.extend_from_slice(&keyed_from.to_be_bytes());
    out
}

impl Keyring {
    /// Seals the chain key under the primary master key; `keyed_from` is the first event it links.
    pub fn seal_chain_key(&self, key: &ChainKey, keyed_from: i64) -> String {
        let master = self.primary();
        let nonce = super::random_bytes::<NONCE_LEN>();
        let mut buf = Zeroizing::new(key.0.to_vec());
        wrapping_key(master)
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(aad(keyed_from)),
                &mut *buf,
            )
            // Sealing fails only beyond GCM's 64 GiB limit; this is 32 bytes.
            .unwrap_or_else(|_| unreachable!("AES-GCM seal of 32 bytes"));
        format!(
            "{FORMAT}:{}:{}:{}",
            master.id,
            STANDARD.encode(nonce),
            STANDARD.encode(buf.as_slice())
        )
    }

    /// Opens a sealed chain key, under whichever configured master key sealed it.
    pub fn open_chain_key(&self, sealed: &str, keyed_from: i64) -> Result<ChainKey, CryptoError> {
        let mut parts = sealed.split(':');
        let (Some(FORMAT), Some(key_id), Some(nonce), Some(body), None) =
            (parts.next(), parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(CryptoError::Malformed);
        };
        let (master, nonce) = self.key_and_nonce(key_id, nonce)?;
        let mut buf = Zeroizing::new(STANDARD.decode(body).map_err(|_| CryptoError::Malformed)?);
        let plain = wrapping_key(master)
            .open_in_place(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(aad(keyed_from)),
                buf.as_mut_slice(),
            )
            .map_err(|_| CryptoError::Open)?;
        let bytes: [u8; 32] = plain.try_into().map_err(|_| CryptoError::Malformed)?;
        Ok(ChainKey::from_bytes(bytes))
    }

    /// The id of the master key a sealed chain key is sealed under.
    pub fn chain_key_sealed_under(sealed: &str) -> Option<&str> {
        let mut parts = sealed.split(':');
        (parts.next() == Some(FORMAT)).then(|| parts.next()).flatten()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ring(seeds: &[u8]) -> Keyring {
        Keyring::new(seeds.iter().map(|s| MasterKey::from_bytes([*s; 32])).collect()).unwrap()
    }

    #[test]
    fn seals_opens_and_binds_the_boundary() {
        let key = ChainKey::generate();
        let sealed = ring(&[1]).seal_chain_key(&key, 5);
        assert_eq!(
            Keyring::chain_key_sealed_under(&sealed),
            Some(ring(&[1]).primary().id())
        );
        let opened = ring(&[2, 1]).open_chain_key(&sealed, 5).unwrap();
        assert_eq!(opened.mac(&[b"x"]), key.mac(&[b"x"]));
        assert_eq!(ring(&[1]).open_chain_key(&sealed, 6).unwrap_err(), CryptoError::Open);
        assert!(matches!(
            ring(&[2]).open_chain_key(&sealed, 5),
            Err(CryptoError::UnknownKey(_))
        ));
        assert_eq!(
            ring(&[1]).open_chain_key("v1:x:y:z", 5).unwrap_err(),
            CryptoError::Malformed
        );
    }

    /// RFC 4231 test case 2: the link really is HMAC-SHA256.
    #[test]
    fn mac_is_hmac_sha256() {
        let mut k = [0u8; 32];
        k[..4].copy_from_slice(b"Jefe");
        // A key shorter than the block is zero-padded by HMAC, so these 32 bytes equal "Jefe".
        let tag = ChainKey::from_bytes(k).mac(&[b"what do ya want ", b"for nothing?"]);
        let hex: String = tag.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(hex, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
        assert_eq!(format!("{:?}", ChainKey::from_bytes(k)), "ChainKey(****)");
    }
}
