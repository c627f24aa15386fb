//! TLS for `vaultty serve --tls-cert PEM --tls-key PEM`: rustls (TLS 1.3 and 1.2) on the crypto
//! provider reqwest already brings (aws-lc-rs), so there is one provider in the process.
//!
//! The configuration is swapped whole on [`Tls::reload`] (SIGHUP in `vaultty serve`): each new
//! handshake takes the configuration current at its accept, and connections already open keep the
//! one they were made with, so a reload drops nothing. A reload that cannot read or use the files
//! keeps the old configuration and says which file is wrong.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, PoisonError, RwLock};

use rustls::ServerConfig;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use tokio_rustls::TlsAcceptor;

/// Why the certificate or key cannot be used; each names the file at fault.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("cannot read the TLS certificate {}: {reason}", .path.display())]
    Certificate { path: PathBuf, reason: String },
    #[error("cannot read the TLS key {}: {reason}", .path.display())]
    Key { path: PathBuf, reason: String },
    #[error("the TLS key {} cannot be used with the certificate {}: {reason}", .key.display(), .cert.display())]
    Unusable {
        cert: PathBuf,
        key: PathBuf,
        reason: String,
    },
}

/// The server's TLS setup: where its files are, and the configuration made from them last.
/// Cheap to clone; every clone sees a reload.
#[derive(Clone)]
pub struct Tls {
    cert: Arc<Path>,
    key: Arc<Path>,
    current: Arc<RwLock<Arc<ServerConfig>>>,
}

impl fmt::Debug for Tls {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Tls")
            .field("cert", &self.cert)
            .field("key", &self.key)
            .finish_non_exhaustive()
    }
}

impl Tls {
    /// Reads the certificate chain (leaf first) and its private key, both PEM.
    pub fn load(cert: impl Into<PathBuf>, key: impl Into<PathBuf>) -> Result<Tls, TlsError> {
        let cert: Arc<Path> = cert.into().into();
        let key: Arc<Path> = key.into().into();
        let config = server_config(&cert, &key)?;
        Ok(Tls {
            cert,
            key,
            current: Arc::new(RwLock::new(config)),
        })
    }

    /// Reads both files again; new handshakes use them. On an error the previous configuration
    /// stays in use.
    pub fn reload(&self) -> Result<(), TlsError> {
        let config = server_config(&self.cert, &self.key)?;
        *self.current.write().unwrap_or_else(PoisonError::into_inner) = config;
        Ok(())
    }

    /// The certificate file, for messages.
    pub fn cert_path(&self) -> &Path {
        &self.cert
    }

    /// An acceptor with the configuration current now.
    pub(super) fn acceptor(&self) -> TlsAcceptor {
        TlsAcceptor::from(Arc::clone(&self.current.read().unwrap_or_else(PoisonError::into_inner)))
    }
}

fn server_config(cert: &Path, key: &Path) -> Result<Arc<ServerConfig>, TlsError> {
    let chain = read_chain(cert)?;
    let private = PrivateKeyDer::from_pem_file(key).map_err(|e| TlsError::Key {
        path: key.to_path_buf(),
        reason: pem_reason(
            &e,
            "no private key (BEGIN PRIVATE KEY, RSA PRIVATE KEY or EC PRIVATE KEY)",
        ),
    })?;
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let unusable = |e: rustls::Error| TlsError::Unusable {
        cert: cert.to_path_buf(),
        key: key.to_path_buf(),
        reason: e.to_string(),
    };
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
        .map_err(unusable)?
        .with_no_client_auth()
        .with_single_cert(chain, private)
        .map_err(unusable)?;
    // The accept loop speaks HTTP/1.1 only; say so, so that a client offering h2 falls back.
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

fn read_chain(path: &Path) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let err = |reason: String| TlsError::Certificate {
        path: path.to_path_buf(),
        reason,
    };
    let chain = CertificateDer::pem_file_iter(path)
        .map_err(|e| err(pem_reason(&e, "")))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| err(pem_reason(&e, "")))?;
    if chain.is_empty() {
        return Err(err("no certificate (BEGIN CERTIFICATE) in it".into()));
    }
    Ok(chain)
}

/// A PEM error in words; `missing` says what was looked for when nothing was found.
fn pem_reason(e: &rustls_pki_types::pem::Error, missing: &str) -> String {
    use rustls_pki_types::pem::Error as E;
    match e {
        E::Io(io) => io.to_string(),
        E::NoItemsFound if !missing.is_empty() => missing.to_owned(),
        other => format!("not valid PEM ({other})"),
    }
}
