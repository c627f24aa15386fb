//! Cryptography: the master keyring, sealing values with AES-256-GCM, masked previews, tokens.
//!
//! Knows nothing of HTTP or SQL. AES-256-GCM comes from aws-lc-rs, which rustls (through reqwest)
//! already links, so the server gets an assembly-fast AEAD without a second crypto crate.

mod chain_key;
mod keyring;
mod preview;
mod seal;
mod token;

pub use chain_key::ChainKey;
pub use keyring::{KeyError, Keyring, MasterKey};
pub use preview::preview;
pub use seal::{Binding, CryptoError, LEGACY_SEALED_FORMAT, SEALED_FORMAT, new_identity};
pub use token::{
    Alphabet, TokenHash, generate_enrolment_code, generate_runner_token, generate_token, generate_value,
    hash_enrolment_code, hash_token,
    random_bytes,
};

/// SHA-256 of some bytes: used for the audit chain and key ids.
pub fn sha256(parts: &[&[u8]]) -> [u8; 32] {
    let mut ctx = aws_lc_rs::digest::Context::new(&aws_lc_rs::digest::SHA256);
    for p in parts {
        ctx.update(p);
    }
    let d = ctx.finish();
    let mut out = [0u8; 32];
    out.copy_from_slice(d.as_ref());
    out
}
