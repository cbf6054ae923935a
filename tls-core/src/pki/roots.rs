//! The trust anchors verifiers build chains to.

use crate::error::{CertificateError, Error};
use pki_types::{CertificateDer, TrustAnchor};

/// The trust anchors (root CAs) a [`WebPkiServerVerifier`](crate::pki::WebPkiServerVerifier) or
/// [`WebPkiClientVerifier`](crate::pki::WebPkiClientVerifier) builds chains to.
#[derive(Debug, Clone, Default)]
pub struct RootCertStore {
    roots: Vec<TrustAnchor<'static>>,
}

impl RootCertStore {
    /// A store with no roots (which trusts nothing).
    pub fn empty() -> Self {
        Self::default()
    }

    /// Adds a DER certificate as a trust anchor (its subject, key and name constraints).
    ///
    /// A certificate webpki cannot parse is `Error::InvalidCertificate(BadEncoding)`.
    pub fn add(&mut self, der: CertificateDer<'_>) -> Result<(), Error> {
        let anchor = webpki::anchor_from_trusted_cert(&der)
            .map_err(|_| Error::InvalidCertificate(CertificateError::BadEncoding))?
            .to_owned();
        self.roots.push(anchor);
        Ok(())
    }

    /// Adds every certificate that parses and skips the rest (for system bundles, which hold
    /// a few odd certificates). Returns `(added, ignored)`.
    pub fn add_parsable_certificates<'a>(
        &mut self,
        certs: impl IntoIterator<Item = CertificateDer<'a>>,
    ) -> (usize, usize) {
        let (mut added, mut ignored) = (0, 0);
        for cert in certs {
            match self.add(cert) {
                Ok(()) => added += 1,
                Err(_) => ignored += 1,
            }
        }
        (added, ignored)
    }

    /// A store holding every certificate of a PEM bundle (e.g. the bytes of a `ca.pem` file).
    ///
    /// Strict, because these are the roots you chose: no certificate, or one that does not
    /// parse, is an error. Use [`RootCertStore::add_parsable_certificates`] with
    /// [`crate::pki::certs_from_pem`] to skip bad ones instead.
    pub fn from_pem(pem: &[u8]) -> Result<Self, Error> {
        let mut store = Self::empty();
        for cert in crate::pki::certs_from_pem(pem)? {
            store.add(cert)?;
        }
        Ok(store)
    }

    /// Adds trust anchors that are already parsed (e.g. from the `webpki-roots` crate).
    pub fn extend(&mut self, anchors: impl IntoIterator<Item = TrustAnchor<'static>>) {
        self.roots.extend(anchors);
    }

    /// The trust anchors, in the order they were added.
    pub fn roots(&self) -> &[TrustAnchor<'static>] {
        &self.roots
    }

    /// How many trust anchors the store holds.
    pub fn len(&self) -> usize {
        self.roots.len()
    }

    /// Whether the store holds no trust anchors.
    pub fn is_empty(&self) -> bool {
        self.roots.is_empty()
    }
}
