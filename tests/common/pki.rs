//! Certificates made by rcgen for a test: CAs, intermediates, server leaves edited as a test
//! needs, client identities, and the configurations that trust or serve them.

use super::*;
use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyPair, KeyUsagePurpose,
};
use spectls::pki::{ClientCertVerifier, RootCertStore, WebPkiClientVerifier};
use spectls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use spectls::{ClientConfig, ServerConfig};
use std::sync::Arc;

/// A CA that can sign.
pub type Ca = CertifiedIssuer<'static, KeyPair>;

/// A self-signed CA named `name`.
pub fn rcgen_ca(name: &str) -> Ca {
    let mut params = CertificateParams::new(Vec::<String>::new()).expect("params");
    params.distinguished_name.push(DnType::CommonName, name);
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    CertifiedIssuer::self_signed(params, KeyPair::generate().expect("key")).expect("CA")
}

pub fn rcgen_intermediate(issuer: &Ca) -> Ca {
    let mut params = CertificateParams::new(Vec::<String>::new()).expect("params");
    params
        .distinguished_name
        .push(DnType::CommonName, "rcgen intermediate");
    params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign];
    CertifiedIssuer::signed_by(params, KeyPair::generate().expect("key"), issuer)
        .expect("intermediate")
}

/// A P-256 leaf for localhost and 127.0.0.1 (server auth), edited by `edit`, and its key.
pub fn rcgen_leaf(
    issuer: &Ca,
    edit: impl FnOnce(&mut CertificateParams),
) -> (CertificateDer<'static>, PrivateKeyDer<'static>) {
    let mut params = CertificateParams::new(vec!["localhost".to_string(), "127.0.0.1".to_string()])
        .expect("params");
    params
        .distinguished_name
        .push(DnType::CommonName, "localhost");
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    edit(&mut params);
    let key = KeyPair::generate().expect("key");
    let cert = params.signed_by(&key, issuer).expect("leaf").der().clone();
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der()));
    (cert, key)
}

pub fn trusting(ca: &Ca) -> ClientConfig {
    let mut store = RootCertStore::empty();
    store.add(ca.der().clone()).expect("root");
    ClientConfig::builder()
        .with_root_certificates(store)
        .with_protocol_versions(&[spectls::version::TLS12])
        .build()
        .expect("client config")
}

pub fn serving(chain: Vec<CertificateDer<'static>>, key: PrivateKeyDer<'static>) -> ServerConfig {
    ServerConfig::builder()
        .with_protocol_versions(&[spectls::version::TLS12])
        .with_single_cert(chain, key)
        .expect("cert")
        .build()
        .expect("server config")
}

/// A client certificate for "client.test" from a fresh rcgen CA, its key, and roots holding
/// that CA.
pub fn client_identity() -> (
    Vec<CertificateDer<'static>>,
    PrivateKeyDer<'static>,
    RootCertStore,
) {
    client_chain_of(1)
}

/// `client_identity` with a chain of `n`: the leaf followed by `n - 1` copies of its CA.
pub fn client_chain_of(
    n: usize,
) -> (
    Vec<CertificateDer<'static>>,
    PrivateKeyDer<'static>,
    RootCertStore,
) {
    let ca = rcgen_ca("spectls client CA");
    let mut params =
        CertificateParams::new(vec!["client.test".to_string()]).expect("client params");
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
    let key = KeyPair::generate().expect("key");
    let leaf = params
        .signed_by(&key, &ca)
        .expect("client cert")
        .der()
        .clone();
    let mut roots = RootCertStore::empty();
    roots.add(ca.der().clone()).expect("root");
    let chain = std::iter::once(leaf)
        .chain(std::iter::repeat_n(ca.der().clone(), n - 1))
        .collect();
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der()));
    (chain, key, roots)
}

/// Verifies client certificates against `roots`: required, or optional (`allow_unauthenticated`).
pub fn client_verifier(roots: RootCertStore, optional: bool) -> Arc<dyn ClientCertVerifier> {
    let builder = WebPkiClientVerifier::builder(Arc::new(roots));
    let builder = if optional {
        builder.allow_unauthenticated()
    } else {
        builder
    };
    builder.build().expect("client verifier")
}

/// A server that asks for and verifies client certificates (required), trusting `roots` for
/// them.
pub fn client_auth_server(roots: RootCertStore) -> ServerConfig {
    ecdsa_server_with(|b| b.with_client_cert_verifier(client_verifier(roots, false)))
}
