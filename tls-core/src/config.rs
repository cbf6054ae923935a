//! Client and server configuration: built once, shared between connections via `Arc`.

use crate::error::Error;
use crate::kx::SUPPORTED_GROUPS;
use crate::sign::SigningKey;
use crate::suites::{SupportedCipherSuite, ALL_CIPHER_SUITES};
use crate::verify::{RootCertStore, ServerCertVerifier, WebPkiServerVerifier};
use crate::wire::NamedCurve;
use pki_types::{CertificateDer, PrivateKeyDer};
use std::fmt;
use std::sync::Arc;

/// How a client connects: trusted roots (or a custom verifier), suites, groups, ALPN.
#[derive(Clone)]
pub struct ClientConfig {
    pub(crate) cipher_suites: Vec<&'static SupportedCipherSuite>,
    pub(crate) groups: Vec<NamedCurve>,
    pub(crate) verifier: Arc<dyn ServerCertVerifier>,
    pub(crate) alpn_protocols: Vec<Vec<u8>>,
    pub(crate) require_ems: bool,
    pub(crate) enable_sni: bool,
}

impl fmt::Debug for ClientConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientConfig")
            .field(
                "cipher_suites",
                &self
                    .cipher_suites
                    .iter()
                    .map(|s| s.suite)
                    .collect::<Vec<_>>(),
            )
            .field("groups", &self.groups)
            .field("verifier", &self.verifier)
            .field("alpn_protocols", &self.alpn_protocols)
            .field("require_ems", &self.require_ems)
            .finish()
    }
}

impl ClientConfig {
    /// Starts a configuration with the default suites and groups. A verifier must be given with
    /// [`ClientConfigBuilder::with_root_certificates`] (or, dangerously, a custom one).
    pub fn builder() -> ClientConfigBuilder {
        ClientConfigBuilder {
            cipher_suites: ALL_CIPHER_SUITES.to_vec(),
            groups: SUPPORTED_GROUPS.to_vec(),
            verifier: None,
            alpn_protocols: Vec::new(),
            require_ems: false,
            enable_sni: true,
            empty_roots: false,
        }
    }
}

/// Builds a [`ClientConfig`].
pub struct ClientConfigBuilder {
    cipher_suites: Vec<&'static SupportedCipherSuite>,
    groups: Vec<NamedCurve>,
    verifier: Option<Arc<dyn ServerCertVerifier>>,
    alpn_protocols: Vec<Vec<u8>>,
    require_ems: bool,
    enable_sni: bool,
    empty_roots: bool,
}

impl ClientConfigBuilder {
    /// Verifies servers with webpki against these roots.
    /// An empty store is refused by [`build`](Self::build): it is a forgotten root file, not a
    /// configuration that can work.
    pub fn with_root_certificates(mut self, roots: impl Into<Arc<RootCertStore>>) -> Self {
        let roots = roots.into();
        self.empty_roots = roots.is_empty();
        self.verifier = Some(Arc::new(WebPkiServerVerifier::new(roots)));
        self
    }

    /// Access to options that can make connections insecure.
    pub fn dangerous(self) -> DangerousClientConfigBuilder {
        DangerousClientConfigBuilder(self)
    }

    /// The cipher suites to offer, in preference order.
    pub fn with_cipher_suites(mut self, suites: &[&'static SupportedCipherSuite]) -> Self {
        self.cipher_suites = suites.to_vec();
        self
    }

    /// The ECDHE groups to offer, in preference order.
    pub fn with_groups(mut self, groups: &[NamedCurve]) -> Self {
        self.groups = groups.to_vec();
        self
    }

    /// ALPN protocol names to offer (RFC 7301), in preference order.
    pub fn with_alpn_protocols(mut self, protocols: Vec<Vec<u8>>) -> Self {
        self.alpn_protocols = protocols;
        self
    }

    /// Refuse servers that do not do the extended master secret (RFC 7627). It is always offered.
    pub fn require_extended_master_secret(mut self, require: bool) -> Self {
        self.require_ems = require;
        self
    }

    /// Whether to send the server name (SNI, RFC 6066) for DNS names. On by default.
    pub fn enable_sni(mut self, enable: bool) -> Self {
        self.enable_sni = enable;
        self
    }

    /// Checks the configuration and finishes it.
    pub fn build(self) -> Result<ClientConfig, Error> {
        let verifier = self.verifier.ok_or_else(|| {
            Error::Config("no certificate verifier: call with_root_certificates".into())
        })?;
        if self.empty_roots {
            return Err(Error::Config("the root certificate store is empty".into()));
        }
        check_common(&self.cipher_suites, &self.groups, &self.alpn_protocols)?;
        Ok(ClientConfig {
            cipher_suites: self.cipher_suites,
            groups: self.groups,
            verifier,
            alpn_protocols: self.alpn_protocols,
            require_ems: self.require_ems,
            enable_sni: self.enable_sni,
        })
    }
}

/// Options that replace certificate verification. Only for tests and for code that verifies
/// servers some other way: a custom verifier replaces *all* of webpki's checks.
pub struct DangerousClientConfigBuilder(ClientConfigBuilder);

impl DangerousClientConfigBuilder {
    /// Uses `verifier` instead of webpki to decide whether the server is who it claims to be.
    pub fn with_custom_certificate_verifier(
        mut self,
        verifier: Arc<dyn ServerCertVerifier>,
    ) -> ClientConfigBuilder {
        self.0.verifier = Some(verifier);
        self.0.empty_roots = false;
        self.0
    }
}

fn check_common(
    suites: &[&SupportedCipherSuite],
    groups: &[NamedCurve],
    alpn: &[Vec<u8>],
) -> Result<(), Error> {
    if suites.is_empty() {
        return Err(Error::Config("no cipher suites".into()));
    }
    if groups.is_empty() || groups.iter().any(|g| !SUPPORTED_GROUPS.contains(g)) {
        return Err(Error::Config(
            "groups must be a non-empty subset of kx::SUPPORTED_GROUPS".into(),
        ));
    }
    if alpn.iter().any(|p| p.is_empty() || p.len() > 255) {
        return Err(Error::Config(
            "ALPN protocol names are 1 to 255 bytes".into(),
        ));
    }
    Ok(())
}

/// How a server accepts connections: its certificate chain and key, suites, groups, ALPN.
#[derive(Clone)]
pub struct ServerConfig {
    pub(crate) cipher_suites: Vec<&'static SupportedCipherSuite>,
    pub(crate) groups: Vec<NamedCurve>,
    pub(crate) cert_chain: Vec<CertificateDer<'static>>,
    pub(crate) key: Arc<SigningKey>,
    pub(crate) alpn_protocols: Vec<Vec<u8>>,
    pub(crate) require_ems: bool,
}

impl fmt::Debug for ServerConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServerConfig")
            .field(
                "cipher_suites",
                &self
                    .cipher_suites
                    .iter()
                    .map(|s| s.suite)
                    .collect::<Vec<_>>(),
            )
            .field("groups", &self.groups)
            .field("cert_chain_len", &self.cert_chain.len())
            .field("alpn_protocols", &self.alpn_protocols)
            .field("require_ems", &self.require_ems)
            .finish()
    }
}

impl ServerConfig {
    /// Starts a configuration with the default suites (server preference order) and groups.
    pub fn builder() -> ServerConfigBuilder {
        ServerConfigBuilder {
            cipher_suites: ALL_CIPHER_SUITES.to_vec(),
            groups: SUPPORTED_GROUPS.to_vec(),
            cert: None,
            alpn_protocols: Vec::new(),
            require_ems: false,
        }
    }
}

/// Builds a [`ServerConfig`].
pub struct ServerConfigBuilder {
    cipher_suites: Vec<&'static SupportedCipherSuite>,
    groups: Vec<NamedCurve>,
    cert: Option<(Vec<CertificateDer<'static>>, Arc<SigningKey>)>,
    alpn_protocols: Vec<Vec<u8>>,
    require_ems: bool,
}

impl ServerConfigBuilder {
    /// The certificate chain (leaf first) and its private key.
    pub fn with_single_cert(
        mut self,
        chain: Vec<CertificateDer<'static>>,
        key: PrivateKeyDer<'static>,
    ) -> Result<Self, Error> {
        if chain.is_empty() {
            return Err(Error::Config("empty certificate chain".into()));
        }
        let key = SigningKey::from_der(&key)?;
        // A key that does not belong to the leaf would fail every handshake; say so now.
        if let Some(leaf) = chain.first() {
            key.check_certificate(leaf)?;
        }
        self.cert = Some((chain, Arc::new(key)));
        Ok(self)
    }

    /// The cipher suites to accept, in the server's preference order.
    pub fn with_cipher_suites(mut self, suites: &[&'static SupportedCipherSuite]) -> Self {
        self.cipher_suites = suites.to_vec();
        self
    }

    /// The ECDHE groups to accept, in preference order.
    pub fn with_groups(mut self, groups: &[NamedCurve]) -> Self {
        self.groups = groups.to_vec();
        self
    }

    /// ALPN protocols we speak (RFC 7301), in preference order. A client offering ALPN with none
    /// of these gets a `no_application_protocol` alert.
    pub fn with_alpn_protocols(mut self, protocols: Vec<Vec<u8>>) -> Self {
        self.alpn_protocols = protocols;
        self
    }

    /// Refuse clients that do not offer the extended master secret (RFC 7627).
    pub fn require_extended_master_secret(mut self, require: bool) -> Self {
        self.require_ems = require;
        self
    }

    /// Checks the configuration and finishes it.
    pub fn build(self) -> Result<ServerConfig, Error> {
        let (cert_chain, key) = self
            .cert
            .ok_or_else(|| Error::Config("no certificate: call with_single_cert".into()))?;
        check_common(&self.cipher_suites, &self.groups, &self.alpn_protocols)?;
        if !self.cipher_suites.iter().any(|s| s.family == key.family()) {
            return Err(Error::Config(
                "no cipher suite can use this key type".into(),
            ));
        }
        Ok(ServerConfig {
            cipher_suites: self.cipher_suites,
            groups: self.groups,
            cert_chain,
            key,
            alpn_protocols: self.alpn_protocols,
            require_ems: self.require_ems,
        })
    }
}
