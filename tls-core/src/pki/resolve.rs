//! Choosing the server's certificate for a connection, by the name the client asked for (SNI,
//! RFC 6066 section 3).
//!
//! A [`CertifiedKey`] is a certificate chain with the private key that goes with it; a
//! [`ResolvesServerCert`] picks one per ClientHello. [`SingleCertResolver`] always gives the
//! same one; [`ResolvesServerCertUsingSni`] picks by exact host name.

use crate::crypto::sign::SigningKey;
use crate::error::Error;
use pki_types::{CertificateDer, DnsName, PrivateKeyDer, ServerName};
use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

/// A certificate chain (leaf first), the private key for the leaf, and optionally a stapled
/// OCSP response to send with it.
#[derive(Debug, Clone)]
pub struct CertifiedKey {
    /// The chain, leaf first, as sent in the Certificate message.
    pub cert: Vec<CertificateDer<'static>>,
    /// The private key certified by `cert[0]`.
    pub key: Arc<SigningKey>,
    /// A DER OCSP response for the leaf, sent in CertificateStatus when the client asks
    /// (RFC 6066 section 8).
    pub ocsp: Option<Vec<u8>>,
}

impl CertifiedKey {
    /// Loads `key` and checks that it belongs to the first certificate of `chain`.
    ///
    /// An empty chain, a key spectls cannot use, or a key that the leaf does not certify is
    /// `Error::Config`: such a server would fail every handshake.
    pub fn from_der(
        chain: Vec<CertificateDer<'static>>,
        key: PrivateKeyDer<'static>,
    ) -> Result<Self, Error> {
        let leaf = chain
            .first()
            .ok_or_else(|| Error::Config("empty certificate chain".into()))?;
        let key = SigningKey::from_der(&key)?;
        key.check_certificate(leaf)?;
        Ok(Self {
            cert: chain,
            key: Arc::new(key),
            ocsp: None,
        })
    }

    /// The same, with `der` as the stapled OCSP response.
    pub fn with_ocsp(self, der: Vec<u8>) -> Self {
        Self {
            ocsp: Some(der),
            ..self
        }
    }

    /// The leaf certificate, or `Error::Config` for an empty chain (possible only when the
    /// struct was built by hand).
    pub fn end_entity_cert(&self) -> Result<&CertificateDer<'static>, Error> {
        self.cert
            .first()
            .ok_or_else(|| Error::Config("empty certificate chain".into()))
    }
}

/// Picks the certificate to present, given the host name the client sent in server_name.
pub trait ResolvesServerCert: fmt::Debug + Send + Sync {
    /// The certificate for `server_name` (`None` if the client sent no SNI), or `None` to
    /// refuse the handshake for lack of a certificate.
    fn resolve(&self, server_name: Option<&str>) -> Option<Arc<CertifiedKey>>;
}

/// Presents the same certificate whatever the client asks for.
#[derive(Debug, Clone)]
pub struct SingleCertResolver(pub Arc<CertifiedKey>);

impl ResolvesServerCert for SingleCertResolver {
    fn resolve(&self, _server_name: Option<&str>) -> Option<Arc<CertifiedKey>> {
        Some(Arc::clone(&self.0))
    }
}

/// Picks a certificate by the client's SNI host name, compared exactly and case-insensitively.
///
/// Each name is checked against its certificate when it is added, so a configured name can
/// never serve a certificate that is not valid for it. A client that sends no SNI, or a name
/// that was not added, gets the default certificate if one was set, else none.
#[derive(Debug, Clone, Default)]
pub struct ResolvesServerCertUsingSni {
    // Keys are lower case; SNI names are ASCII (RFC 6066 section 3), so ASCII folding suffices.
    by_name: HashMap<String, Arc<CertifiedKey>>,
    default: Option<Arc<CertifiedKey>>,
}

impl ResolvesServerCertUsingSni {
    /// A resolver with no names and no default (it refuses every handshake until names are
    /// added).
    pub fn new() -> Self {
        Self::default()
    }

    /// Serves `ck` to clients asking for `name`, replacing any certificate added for it before.
    ///
    /// `name` must be a DNS host name (not an IP address, no wildcard, no trailing dot) and
    /// the leaf of `ck` must be valid for it (its SANs, wildcards included, as webpki matches
    /// them); otherwise `Error::Config`.
    pub fn add(&mut self, name: &str, ck: CertifiedKey) -> Result<(), Error> {
        let dns = DnsName::try_from(name)
            .map_err(|_| Error::Config(format!("{name:?} is not a DNS host name")))?;
        // SNI never carries the trailing dot (RFC 6066 section 3), so such a key could never
        // match.
        if name.ends_with('.') {
            return Err(Error::Config(format!(
                "{name:?}: SNI names have no trailing dot"
            )));
        }
        let leaf = ck.end_entity_cert()?;
        let cert = webpki::EndEntityCert::try_from(leaf).map_err(|e| {
            Error::Config(format!("the certificate for {name:?} does not parse: {e}"))
        })?;
        cert.verify_is_valid_for_subject_name(&ServerName::DnsName(dns.to_lowercase_owned()))
            .map_err(|e| {
                Error::Config(format!("the certificate is not valid for {name:?}: {e}"))
            })?;
        self.by_name.insert(name.to_ascii_lowercase(), Arc::new(ck));
        Ok(())
    }

    /// Serves `ck` when the client sends no SNI or a name that was not added. No name check:
    /// this is the certificate for clients that did not say, or asked for something else.
    pub fn with_default(mut self, ck: CertifiedKey) -> Self {
        self.default = Some(Arc::new(ck));
        self
    }
}

impl ResolvesServerCert for ResolvesServerCertUsingSni {
    fn resolve(&self, server_name: Option<&str>) -> Option<Arc<CertifiedKey>> {
        server_name
            .and_then(|name| self.by_name.get(&name.to_ascii_lowercase()))
            .or(self.default.as_ref())
            .cloned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pki::{certs_from_pem, private_key_from_pem};
    use pki_types::PrivatePkcs8KeyDer;
    use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair};

    const ECDSA_CERT_PEM: &[u8] = include_bytes!("../../../tests/data/certs/server-ecdsa.pem");
    const ECDSA_KEY_PEM: &[u8] = include_bytes!("../../../tests/data/certs/server-ecdsa.key");
    const RSA_CERT_PEM: &[u8] = include_bytes!("../../../tests/data/certs/server-rsa.pem");
    const RSA_KEY_PEM: &[u8] = include_bytes!("../../../tests/data/certs/server-rsa.key");

    fn issuer() -> CertifiedIssuer<'static, KeyPair> {
        let mut params = CertificateParams::new(Vec::<String>::new()).expect("params");
        params
            .distinguished_name
            .push(DnType::CommonName, "resolver CA");
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        CertifiedIssuer::self_signed(
            params,
            KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).expect("key"),
        )
        .expect("CA")
    }

    /// A leaf for `names` with its key, both DER.
    fn leaf(
        names: &[&str],
        ca: &CertifiedIssuer<'static, KeyPair>,
    ) -> (Vec<CertificateDer<'static>>, PrivateKeyDer<'static>) {
        let params =
            CertificateParams::new(names.iter().map(|n| n.to_string()).collect::<Vec<_>>())
                .expect("params");
        let key = KeyPair::generate_for(&rcgen::PKCS_ED25519).expect("key");
        let cert = params.signed_by(&key, ca).expect("leaf").der().clone();
        (
            vec![cert, ca.der().clone()],
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
        )
    }

    fn certified(names: &[&str], ca: &CertifiedIssuer<'static, KeyPair>) -> CertifiedKey {
        let (chain, key) = leaf(names, ca);
        CertifiedKey::from_der(chain, key).expect("certified key")
    }

    fn leaf_of(ck: &CertifiedKey) -> &[u8] {
        ck.end_entity_cert().expect("leaf").as_ref()
    }

    #[test]
    fn from_der_checks_the_key_belongs_to_the_leaf() {
        let ca = issuer();
        let (chain, key) = leaf(&["a.test"], &ca);
        let ck = CertifiedKey::from_der(chain.clone(), key.clone_key()).expect("matching");
        assert_eq!(ck.cert, chain);
        assert_eq!(ck.ocsp, None);
        // Another certificate's key.
        let (_, other_key) = leaf(&["a.test"], &ca);
        assert!(matches!(
            CertifiedKey::from_der(chain.clone(), other_key),
            Err(Error::Config(_))
        ));
        // The CA first: the key is the leaf's, not the CA's.
        let reversed: Vec<_> = chain.iter().rev().cloned().collect();
        assert!(matches!(
            CertifiedKey::from_der(reversed, key.clone_key()),
            Err(Error::Config(_))
        ));
        assert!(matches!(
            CertifiedKey::from_der(Vec::new(), key.clone_key()),
            Err(Error::Config(_))
        ));
        // Committed files: the RSA key does not belong to the ECDSA certificate.
        let ecdsa = certs_from_pem(ECDSA_CERT_PEM).expect("chain");
        let rsa = certs_from_pem(RSA_CERT_PEM).expect("chain");
        let ecdsa_key = private_key_from_pem(ECDSA_KEY_PEM).expect("key");
        let rsa_key = private_key_from_pem(RSA_KEY_PEM).expect("key");
        CertifiedKey::from_der(ecdsa.clone(), ecdsa_key.clone_key()).expect("ECDSA pair");
        CertifiedKey::from_der(rsa.clone(), rsa_key.clone_key()).expect("RSA pair");
        assert!(matches!(
            CertifiedKey::from_der(ecdsa, rsa_key),
            Err(Error::Config(_))
        ));
        assert!(matches!(
            CertifiedKey::from_der(rsa, ecdsa_key),
            Err(Error::Config(_))
        ));
    }

    #[test]
    fn with_ocsp_keeps_the_rest() {
        let ck = certified(&["a.test"], &issuer());
        let chain = ck.cert.clone();
        let stapled = ck.with_ocsp(vec![0x30, 0x03, 0x0a, 0x01, 0x00]);
        assert_eq!(
            stapled.ocsp.as_deref(),
            Some(&[0x30, 0x03, 0x0a, 0x01, 0x00][..])
        );
        assert_eq!(stapled.cert, chain);
    }

    #[test]
    fn single_cert_resolver_always_answers() {
        let ck = Arc::new(certified(&["a.test"], &issuer()));
        let r = SingleCertResolver(Arc::clone(&ck));
        for name in [None, Some("a.test"), Some("elsewhere.example")] {
            let got = r.resolve(name).expect("always");
            assert!(Arc::ptr_eq(&got, &ck));
        }
    }

    #[test]
    fn sni_resolver_selects_by_name() {
        let ca = issuer();
        let a = certified(&["a.test"], &ca);
        let b = certified(&["b.test"], &ca);
        let (a_leaf, b_leaf) = (leaf_of(&a).to_vec(), leaf_of(&b).to_vec());
        let mut r = ResolvesServerCertUsingSni::new();
        r.add("a.test", a).expect("a");
        r.add("B.Test", b).expect("b, added in mixed case");
        let pick = |name| r.resolve(name).map(|ck| leaf_of(&ck).to_vec());
        assert_eq!(pick(Some("a.test")), Some(a_leaf.clone()));
        assert_eq!(pick(Some("b.test")), Some(b_leaf.clone()));
        assert_eq!(pick(Some("A.TEST")), Some(a_leaf.clone()));
        // Exact names only: no suffix, prefix or trailing-dot matches, and no SNI is no match.
        for miss in [
            Some("c.test"),
            Some("x.a.test"),
            Some("a.test."),
            Some("test"),
            Some(""),
            None,
        ] {
            assert_eq!(pick(miss), None, "{miss:?}");
        }
        // With a default, the misses get it and the names still get their own.
        let fallback = certified(&["fallback.test"], &ca);
        let fallback_leaf = leaf_of(&fallback).to_vec();
        let r = r.with_default(fallback);
        assert_eq!(
            r.resolve(None).map(|ck| leaf_of(&ck).to_vec()),
            Some(fallback_leaf.clone())
        );
        assert_eq!(
            r.resolve(Some("c.test")).map(|ck| leaf_of(&ck).to_vec()),
            Some(fallback_leaf)
        );
        assert_eq!(
            r.resolve(Some("b.test")).map(|ck| leaf_of(&ck).to_vec()),
            Some(b_leaf)
        );
    }

    #[test]
    fn sni_resolver_rejects_names_the_certificate_does_not_cover() {
        let ca = issuer();
        let mut r = ResolvesServerCertUsingSni::new();
        for (name, cert_names) in [
            ("b.test", &["a.test"][..]),
            ("a.test.example", &["a.test"][..]),
            ("test", &["a.test"][..]),
            ("a.test", &["127.0.0.1"][..]),
        ] {
            assert!(
                matches!(
                    r.add(name, certified(cert_names, &ca)),
                    Err(Error::Config(_))
                ),
                "{name} with {cert_names:?}"
            );
        }
        // Not host names at all.
        for name in [
            "127.0.0.1",
            "::1",
            "*.test",
            "",
            "a..test",
            "a.test.",
            "-a.test",
        ] {
            assert!(
                matches!(
                    r.add(name, certified(&["a.test"], &ca)),
                    Err(Error::Config(_))
                ),
                "{name:?}"
            );
        }
        // Nothing was added by the failures.
        assert!(r.resolve(Some("a.test")).is_none());
        assert!(r.resolve(Some("b.test")).is_none());
        // A wildcard certificate covers one label under it, as webpki matches it (and webpki
        // refuses a wildcard directly under a top-level label such as `*.test`).
        let wildcard = || certified(&["*.a.test"], &ca);
        r.add("x.a.test", wildcard()).expect("wildcard");
        assert!(r.resolve(Some("x.a.test")).is_some());
        assert!(r.resolve(Some("y.a.test")).is_none());
        for name in ["a.test", "y.x.a.test"] {
            assert!(
                matches!(r.add(name, wildcard()), Err(Error::Config(_))),
                "{name}"
            );
        }
        assert!(matches!(
            r.add("a.test", certified(&["*.test"], &ca)),
            Err(Error::Config(_))
        ));
    }

    #[test]
    fn sni_resolver_replaces_and_rejects_unparsable_leaves() {
        let ca = issuer();
        let first = certified(&["a.test"], &ca);
        let second = certified(&["a.test"], &ca);
        let second_leaf = leaf_of(&second).to_vec();
        let mut r = ResolvesServerCertUsingSni::new();
        r.add("a.test", first).expect("first");
        r.add("A.test", second).expect("second");
        assert_eq!(
            r.resolve(Some("a.test")).map(|ck| leaf_of(&ck).to_vec()),
            Some(second_leaf)
        );
        // Built by hand, bypassing from_der: an empty chain or garbage leaf is a config error.
        let good = certified(&["a.test"], &ca);
        let empty = CertifiedKey {
            cert: Vec::new(),
            ..good.clone()
        };
        let garbage = CertifiedKey {
            cert: vec![CertificateDer::from(vec![0x30, 0x00])],
            ..good
        };
        assert!(matches!(r.add("a.test", empty), Err(Error::Config(_))));
        assert!(matches!(r.add("a.test", garbage), Err(Error::Config(_))));
    }

    #[test]
    fn resolvers_are_usable_as_trait_objects() {
        let ca = issuer();
        let mut sni = ResolvesServerCertUsingSni::new();
        sni.add("a.test", certified(&["a.test"], &ca)).expect("a");
        let resolvers: Vec<Arc<dyn ResolvesServerCert>> = vec![
            Arc::new(sni),
            Arc::new(SingleCertResolver(Arc::new(certified(&["a.test"], &ca)))),
        ];
        for r in resolvers {
            assert!(r.resolve(Some("a.test")).is_some());
            // Debug never shows key material.
            assert!(format!("{r:?}").contains("SigningKey"));
        }
    }
}
