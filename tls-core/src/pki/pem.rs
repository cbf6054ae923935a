//! Loading certificates and keys from PEM files.

use crate::error::Error;
use pki_types::pem::PemObject;
use pki_types::{CertificateDer, PrivateKeyDer};

/// Every `CERTIFICATE` section of `pem`, in order (other sections are skipped).
///
/// No certificate at all, or a section that is not valid PEM, is `Error::Config`.
pub fn certs_from_pem(pem: &[u8]) -> Result<Vec<CertificateDer<'static>>, Error> {
    let certs = CertificateDer::pem_slice_iter(pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| Error::Config(format!("reading certificates from PEM: {e}")))?;
    if certs.is_empty() {
        return Err(Error::Config("no CERTIFICATE section in PEM".into()));
    }
    Ok(certs)
}

/// The first private key in `pem`: a `PRIVATE KEY` (PKCS#8), `RSA PRIVATE KEY` (PKCS#1) or
/// `EC PRIVATE KEY` (SEC1) section. Load it with
/// [`SigningKey::from_der`](crate::pki::SigningKey::from_der).
///
/// No key, or a section that is not valid PEM, is `Error::Config`.
pub fn private_key_from_pem(pem: &[u8]) -> Result<PrivateKeyDer<'static>, Error> {
    PrivateKeyDer::from_pem_slice(pem)
        .map_err(|e| Error::Config(format!("reading a private key from PEM: {e}")))
}
