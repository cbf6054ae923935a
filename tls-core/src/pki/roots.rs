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

    /// A store holding every certificate of the PEM file at `path` (a CA bundle), as
    /// [`RootCertStore::from_pem`]; its errors name the file.
    pub fn from_pem_file(path: impl AsRef<std::path::Path>) -> Result<Self, Error> {
        let path = path.as_ref();
        let mut store = Self::empty();
        for (i, cert) in crate::pki::load_certs_what(path, "CA file")?
            .into_iter()
            .enumerate()
        {
            store.add(cert).map_err(|_| {
                Error::Config(format!(
                    "CA file {}: certificate {} of the file is not a certificate webpki can \
                     parse",
                    path.display(),
                    i + 1
                ))
            })?;
        }
        Ok(store)
    }

    /// The roots of the operating system's trust store, as [`rustls-native-certs`] finds them:
    /// on Linux and other Unix systems the CA bundle file and directory OpenSSL uses
    /// (`/etc/ssl/certs` on Debian, filled by the `ca-certificates` package), or the files
    /// named by `SSL_CERT_FILE` / `SSL_CERT_DIR` when set; the keychain on macOS, the system
    /// store on Windows. Needs the cargo feature `native-certs`.
    ///
    /// System stores hold the odd certificate that cannot be read or parsed; those are
    /// skipped, and each problem is returned beside the store (a `Error::Config` naming the
    /// file or certificate) for the caller to log: a store with some roots is usable.
    /// A store left with no root at all is an error (`Error::Config`, with every problem
    /// found), since it would trust nothing.
    ///
    /// [`rustls-native-certs`]: https://docs.rs/rustls-native-certs
    #[cfg(feature = "native-certs")]
    pub fn from_system() -> Result<(Self, Vec<Error>), Error> {
        let found = rustls_native_certs::load_native_certs();
        let mut problems: Vec<Error> = found
            .errors
            .iter()
            .map(|e| Error::Config(format!("system trust store: {e}")))
            .collect();
        let mut store = Self::empty();
        for cert in found.certs {
            // Named by its fingerprint, as `openssl x509 -noout -fingerprint -sha256` prints
            // it, to find it in the store.
            let fingerprint = ring::digest::digest(&ring::digest::SHA256, cert.as_ref())
                .as_ref()
                .iter()
                .map(|b| format!("{b:02X}"))
                .collect::<Vec<_>>()
                .join(":");
            if store.add(cert).is_err() {
                problems.push(Error::Config(format!(
                    "system trust store: certificate with SHA-256 fingerprint {fingerprint} \
                     skipped: webpki cannot parse it"
                )));
            }
        }
        if store.is_empty() {
            let why = if problems.is_empty() {
                "it holds no certificate".to_string()
            } else {
                problems
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join("; ")
            };
            return Err(Error::Config(format!(
                "no usable root certificate in the system trust store ({why}); install the CA \
                 certificates (Debian: ca-certificates) or point SSL_CERT_FILE or SSL_CERT_DIR \
                 at them"
            )));
        }
        Ok((store, problems))
    }

    /// Mozilla's root program (the CA certificates Firefox trusts for TLS servers), compiled
    /// into the program by [`webpki-roots`]: the same on every machine, and as current as the
    /// `webpki-roots` version the program was built with. Needs the cargo feature
    /// `webpki-roots`.
    ///
    /// [`webpki-roots`]: https://docs.rs/webpki-roots
    #[cfg(feature = "webpki-roots")]
    pub fn mozilla() -> Self {
        let mut store = Self::empty();
        store.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
        store
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
