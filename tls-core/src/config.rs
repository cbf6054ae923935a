//! Client and server configuration: built once, shared between connections via `Arc`.

use crate::crypto::kx::{Randomness, ALL_GROUPS, SERVER_GROUPS, SUPPORTED_GROUPS};
use crate::crypto::suites::{SupportedCipherSuite, ALL_CIPHER_SUITES};
use crate::error::Error;
use crate::keylog::{KeyLog, NoKeyLog};
use crate::pki::resolve::{CertifiedKey, ResolvesServerCert, SingleCertResolver};
use crate::pki::roots::RootCertStore;
use crate::pki::verify::{
    ClientCertVerifier, NoClientAuth, ServerCertVerifier, WebPkiServerVerifier,
};
use crate::session::{
    AntiReplay, ClientSessionMemoryCache, ProducesTickets, ServerSessionMemoryCache,
    StoresClientSessions, StoresServerSessions,
};
use crate::version::{TLS12, TLS13};
use crate::wire::{NamedCurve, ProtocolVersion};
use pki_types::{CertificateDer, PrivateKeyDer};
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

/// How many sessions the default caches hold.
const DEFAULT_CACHE_SIZE: usize = 256;
/// TLS 1.3 tickets a server sends after each handshake by default (as rustls).
const DEFAULT_TLS13_TICKETS: usize = 2;
/// The most it sends: each is a ticket nonce of one byte.
const MAX_TLS13_TICKETS: usize = 255;
/// How long the default server cache keeps a session, and how old a resumed session may be.
const DEFAULT_SESSION_LIFETIME: Duration = Duration::from_secs(24 * 60 * 60);

/// How long an accepted 0-RTT ClientHello is remembered: twice the 10 s by which a ticket's
/// reported age may differ from ours, so a replay is refused by one check or the other.
const DEFAULT_REPLAY_WINDOW: Duration = Duration::from_secs(20);
/// How many accepted 0-RTT ClientHellos are remembered at most (a few MiB at the most).
const DEFAULT_REPLAY_CAPACITY: usize = 100_000;

/// The default largest Certificate message body accepted from a peer: 100 KiB, OpenSSL's
/// default `max_cert_list`, which deployed chains stay far below (a few KiB) while it bounds
/// what a peer can make us buffer. Change it with `with_max_certificate_list_size`.
pub const DEFAULT_MAX_CERTIFICATE_LIST_SIZE: usize = 100 * 1024;

/// How a client connects: trusted roots (or a custom verifier), suites, groups, ALPN, sessions.
#[derive(Clone)]
pub struct ClientConfig {
    pub(crate) randomness: Randomness,
    pub(crate) versions: Vec<ProtocolVersion>,
    pub(crate) cipher_suites: Vec<&'static SupportedCipherSuite>,
    pub(crate) groups: Vec<NamedCurve>,
    pub(crate) verifier: Arc<dyn ServerCertVerifier>,
    pub(crate) alpn_protocols: Vec<Vec<u8>>,
    pub(crate) require_ems: bool,
    pub(crate) enable_sni: bool,
    pub(crate) session_storage: Arc<dyn StoresClientSessions>,
    pub(crate) enable_tickets: bool,
    pub(crate) enable_early_data: bool,
    pub(crate) enable_psk_ke: bool,
    pub(crate) enable_ocsp_stapling: bool,
    pub(crate) client_auth_cert: Option<Arc<CertifiedKey>>,
    pub(crate) key_log: Arc<dyn KeyLog>,
    pub(crate) max_certificate_list_size: usize,
}

impl fmt::Debug for ClientConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientConfig")
            .field("versions", &self.versions)
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
            .field("enable_tickets", &self.enable_tickets)
            .field("enable_early_data", &self.enable_early_data)
            .field("client_auth", &self.client_auth_cert.is_some())
            .finish()
    }
}

impl ClientConfig {
    /// Starts a configuration with the default suites and groups, an in-memory session cache
    /// and tickets enabled. A verifier must be given with
    /// [`ClientConfigBuilder::with_root_certificates`] (or, dangerously, a custom one).
    pub fn builder() -> ClientConfigBuilder {
        ClientConfigBuilder {
            randomness: Randomness::System,
            versions: vec![TLS13, TLS12],
            cipher_suites: ALL_CIPHER_SUITES.to_vec(),
            groups: SUPPORTED_GROUPS.to_vec(),
            verifier: None,
            alpn_protocols: Vec::new(),
            require_ems: false,
            enable_sni: true,
            empty_roots: false,
            session_storage: ClientSessionMemoryCache::new(DEFAULT_CACHE_SIZE),
            enable_tickets: true,
            enable_early_data: false,
            enable_psk_ke: false,
            enable_ocsp_stapling: true,
            client_auth_cert: None,
            key_log: Arc::new(NoKeyLog),
            max_certificate_list_size: DEFAULT_MAX_CERTIFICATE_LIST_SIZE,
        }
    }
}

/// Builds a [`ClientConfig`].
pub struct ClientConfigBuilder {
    randomness: Randomness,
    versions: Vec<ProtocolVersion>,
    cipher_suites: Vec<&'static SupportedCipherSuite>,
    groups: Vec<NamedCurve>,
    verifier: Option<Arc<dyn ServerCertVerifier>>,
    alpn_protocols: Vec<Vec<u8>>,
    require_ems: bool,
    enable_sni: bool,
    empty_roots: bool,
    session_storage: Arc<dyn StoresClientSessions>,
    enable_tickets: bool,
    enable_early_data: bool,
    enable_psk_ke: bool,
    enable_ocsp_stapling: bool,
    client_auth_cert: Option<Arc<CertifiedKey>>,
    key_log: Arc<dyn KeyLog>,
    max_certificate_list_size: usize,
}

impl ClientConfigBuilder {
    /// Verifies servers with webpki against these roots.
    ///
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

    /// For tests that replay a published trace (RFC 8448): every random draw of a connection
    /// made with this config returns the next of `draws`, in order, instead of the system's
    /// randomness; a draw the script does not have fails the connection (`Error::Internal`).
    /// A client draws 64 bytes (its random, then a session ID), then its key share's private
    /// key (32 bytes for X25519), then one per HelloRetryRequest. Never for real connections:
    /// every connection of the config gets the same secrets.
    #[doc(hidden)]
    pub fn with_scripted_randomness(mut self, draws: Vec<Vec<u8>>) -> Self {
        self.randomness = Randomness::scripted(draws);
        self
    }

    /// The protocol versions to offer ([`TLS13`] and
    /// [`TLS12`] by default, as rustls). A client offering both picks
    /// whichever the server chooses and checks TLS 1.3's downgrade sentinel (RFC 8446 4.1.3).
    pub fn with_protocol_versions(mut self, versions: &[ProtocolVersion]) -> Self {
        self.versions = versions.to_vec();
        self
    }

    /// The cipher suites to offer, in preference order.
    pub fn with_cipher_suites(mut self, suites: &[&'static SupportedCipherSuite]) -> Self {
        self.cipher_suites = suites.to_vec();
        self
    }

    /// The groups to offer in supported_groups, in preference order (default
    /// [`crate::crypto::SUPPORTED_GROUPS`]: X25519MLKEM768, X25519, secp256r1, secp384r1). A TLS
    /// 1.3 hello carries a key share for the first group and, when that is a post-quantum hybrid
    /// (X25519MLKEM768, SecP256r1MLKEM768) whose classical half (X25519, secp256r1) is in the
    /// list too, one for that group as well, with its own fresh key. Without a hybrid in the
    /// list the key exchange is classical only.
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

    /// Where sessions are kept for resumption (by server name). The default is an in-memory
    /// cache of 256 sessions;
    /// [`NoClientSessionStorage`](crate::session::NoClientSessionStorage) turns resumption off.
    pub fn with_session_storage(mut self, storage: Arc<dyn StoresClientSessions>) -> Self {
        self.session_storage = storage;
        self
    }

    /// Whether to ask for session tickets (RFC 5077). On by default.
    pub fn enable_tickets(mut self, enable: bool) -> Self {
        self.enable_tickets = enable;
        self
    }

    /// Whether to send 0-RTT data (RFC 8446 2.3) when resuming with a TLS 1.3 ticket that
    /// allows it. Off by default: early data can be replayed by an attacker (RFC 8446 8), so
    /// only an application whose first request is safe to repeat should turn it on. With it on,
    /// `ClientConnection::early_data` takes the data to send, and
    /// `ClientConnection::is_early_data_accepted` tells whether the server took it; rejected
    /// early data is not sent again by the library.
    pub fn enable_early_data(mut self, enable: bool) -> Self {
        self.enable_early_data = enable;
        self
    }

    /// Whether to let a server resume a TLS 1.3 session with the ticket's PSK alone, without a
    /// new (EC)DHE exchange (psk_ke, RFC 8446 4.2.9), as well as with one (psk_dhe_ke, always
    /// offered first). Off by default: a PSK-only connection saves the key exchange but has no
    /// forward secrecy of its own (its keys fall with the ticket's PSK).
    pub fn enable_psk_ke(mut self, enable: bool) -> Self {
        self.enable_psk_ke = enable;
        self
    }

    /// Whether to ask for a stapled OCSP response (status_request, RFC 6066 8). On by default;
    /// a stapled response is handed to the verifier and exposed on the connection.
    pub fn enable_ocsp_stapling(mut self, enable: bool) -> Self {
        self.enable_ocsp_stapling = enable;
        self
    }

    /// Our certificate chain and key, presented when a server asks (RFC 5246 7.4.6).
    pub fn with_client_auth_cert(
        mut self,
        chain: Vec<CertificateDer<'static>>,
        key: PrivateKeyDer<'static>,
    ) -> Result<Self, Error> {
        self.client_auth_cert = Some(Arc::new(CertifiedKey::from_der(chain, key)?));
        Ok(self)
    }

    /// [`ClientConfigBuilder::with_client_auth_cert`] from PEM files: the chain (leaf first) in
    /// `chain_path`, its key in `key_path`, loaded and checked by
    /// [`pki::load_identity`](crate::pki::load_identity), whose errors name the file and what
    /// is wrong (missing, no certificate, no key, an encrypted key, a key that is not the
    /// certificate's).
    pub fn with_client_auth_files(
        mut self,
        chain_path: impl AsRef<std::path::Path>,
        key_path: impl AsRef<std::path::Path>,
    ) -> Result<Self, Error> {
        self.client_auth_cert = Some(Arc::new(crate::pki::load_identity(chain_path, key_path)?));
        Ok(self)
    }

    /// The largest Certificate message body we accept from the peer, in bytes (default
    /// [`DEFAULT_MAX_CERTIFICATE_LIST_SIZE`],
    /// 100 KiB, OpenSSL's `max_cert_list`). A larger one is refused at its 4-byte header,
    /// before it is buffered (`PeerMisbehaved::TooLarge`, `decode_error`).
    pub fn with_max_certificate_list_size(mut self, bytes: usize) -> Self {
        self.max_certificate_list_size = bytes;
        self
    }

    /// Where to log secrets for debugging (`keylog::KeyLogFile` writes `$SSLKEYLOGFILE`).
    pub fn with_key_log(mut self, key_log: Arc<dyn KeyLog>) -> Self {
        self.key_log = key_log;
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
        check_common(
            &self.versions,
            &self.cipher_suites,
            &self.groups,
            &self.alpn_protocols,
        )?;
        Ok(ClientConfig {
            randomness: self.randomness,
            versions: usable_versions(&self.versions, &self.cipher_suites),
            cipher_suites: self.cipher_suites,
            groups: self.groups,
            verifier,
            alpn_protocols: self.alpn_protocols,
            require_ems: self.require_ems,
            enable_sni: self.enable_sni,
            session_storage: self.session_storage,
            enable_tickets: self.enable_tickets,
            enable_early_data: self.enable_early_data,
            enable_psk_ke: self.enable_psk_ke,
            enable_ocsp_stapling: self.enable_ocsp_stapling,
            client_auth_cert: self.client_auth_cert,
            key_log: self.key_log,
            max_certificate_list_size: self.max_certificate_list_size,
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

/// The enabled versions that have a cipher suite: a version without one is not offered (as in
/// rustls, restricting the suites to TLS 1.2's turns TLS 1.3 off).
fn usable_versions(
    versions: &[ProtocolVersion],
    suites: &[&SupportedCipherSuite],
) -> Vec<ProtocolVersion> {
    versions
        .iter()
        .filter(|v| suites.iter().any(|s| s.is_tls13() == (**v == TLS13)))
        .cloned()
        .collect()
}

fn check_common(
    versions: &[ProtocolVersion],
    suites: &[&SupportedCipherSuite],
    groups: &[NamedCurve],
    alpn: &[Vec<u8>],
) -> Result<(), Error> {
    if suites.is_empty() {
        return Err(Error::Config("no cipher suites".into()));
    }
    if versions.is_empty() || versions.iter().any(|v| *v != TLS12 && *v != TLS13) {
        return Err(Error::Config(
            "protocol versions must be a non-empty subset of TLS 1.3 and TLS 1.2".into(),
        ));
    }
    if usable_versions(versions, suites).is_empty() {
        return Err(Error::Config(
            "no cipher suite for any enabled protocol version".into(),
        ));
    }
    if groups.is_empty() || groups.iter().any(|g| !ALL_GROUPS.contains(g)) {
        return Err(Error::Config(
            "groups must be a non-empty subset of crypto::ALL_GROUPS".into(),
        ));
    }
    if alpn.iter().any(|p| p.is_empty() || p.len() > 255) {
        return Err(Error::Config(
            "ALPN protocol names are 1 to 255 bytes".into(),
        ));
    }
    Ok(())
}

/// How a server accepts connections: its certificates, suites, groups, ALPN, client
/// authentication and session resumption.
#[derive(Clone)]
pub struct ServerConfig {
    pub(crate) randomness: Randomness,
    pub(crate) versions: Vec<ProtocolVersion>,
    pub(crate) cipher_suites: Vec<&'static SupportedCipherSuite>,
    pub(crate) groups: Vec<NamedCurve>,
    pub(crate) cert_resolver: Arc<dyn ResolvesServerCert>,
    pub(crate) alpn_protocols: Vec<Vec<u8>>,
    pub(crate) require_ems: bool,
    pub(crate) client_verifier: Arc<dyn ClientCertVerifier>,
    pub(crate) session_storage: Arc<dyn StoresServerSessions>,
    pub(crate) session_lifetime: Duration,
    pub(crate) ticketer: Option<Arc<dyn ProducesTickets>>,
    pub(crate) tls13_tickets: usize,
    /// 0-RTT: the max_early_data_size our tickets allow (0: off) and the replay defence.
    pub(crate) max_early_data: u32,
    pub(crate) anti_replay: Option<Arc<AntiReplay>>,
    /// Resume with the PSK alone (psk_ke) when the client allows it.
    pub(crate) psk_ke: bool,
    pub(crate) key_log: Arc<dyn KeyLog>,
    pub(crate) max_certificate_list_size: usize,
    /// TLS 1.3: a HelloRetryRequest to a hybrid post-quantum group the client lists in
    /// supported_groups but sent no share for.
    pub(crate) retry_for_post_quantum: bool,
}

impl fmt::Debug for ServerConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServerConfig")
            .field("versions", &self.versions)
            .field(
                "cipher_suites",
                &self
                    .cipher_suites
                    .iter()
                    .map(|s| s.suite)
                    .collect::<Vec<_>>(),
            )
            .field("groups", &self.groups)
            .field("retry_for_post_quantum", &self.retry_for_post_quantum)
            .field("cert_resolver", &self.cert_resolver)
            .field("alpn_protocols", &self.alpn_protocols)
            .field("require_ems", &self.require_ems)
            .field("client_verifier", &self.client_verifier)
            .field("session_storage", &self.session_storage)
            .field("tickets", &self.ticketer.is_some())
            .field("max_early_data", &self.max_early_data)
            .finish()
    }
}

impl ServerConfig {
    /// Starts a configuration with the default suites (server preference order) and groups, no
    /// client authentication, and resumption from an in-memory session cache: TLS 1.2 by session
    /// ID (no RFC 5077 tickets), TLS 1.3 with stateful tickets (two per handshake).
    pub fn builder() -> ServerConfigBuilder {
        ServerConfigBuilder {
            randomness: Randomness::System,
            versions: vec![TLS13, TLS12],
            cipher_suites: ALL_CIPHER_SUITES.to_vec(),
            groups: SERVER_GROUPS.to_vec(),
            retry_for_post_quantum: true,
            resolver: None,
            single_key_family: None,
            alpn_protocols: Vec::new(),
            require_ems: false,
            client_verifier: Arc::new(NoClientAuth),
            session_storage: ServerSessionMemoryCache::new(
                DEFAULT_CACHE_SIZE,
                DEFAULT_SESSION_LIFETIME,
            ),
            session_lifetime: DEFAULT_SESSION_LIFETIME,
            ticketer: None,
            tls13_tickets: DEFAULT_TLS13_TICKETS,
            max_early_data: 0,
            anti_replay: None,
            psk_ke: false,
            key_log: Arc::new(NoKeyLog),
            max_certificate_list_size: DEFAULT_MAX_CERTIFICATE_LIST_SIZE,
        }
    }
}

/// Builds a [`ServerConfig`].
pub struct ServerConfigBuilder {
    randomness: Randomness,
    versions: Vec<ProtocolVersion>,
    cipher_suites: Vec<&'static SupportedCipherSuite>,
    groups: Vec<NamedCurve>,
    retry_for_post_quantum: bool,
    resolver: Option<Arc<dyn ResolvesServerCert>>,
    single_key_family: Option<crate::crypto::suites::SignatureFamily>,
    alpn_protocols: Vec<Vec<u8>>,
    require_ems: bool,
    client_verifier: Arc<dyn ClientCertVerifier>,
    session_storage: Arc<dyn StoresServerSessions>,
    session_lifetime: Duration,
    ticketer: Option<Arc<dyn ProducesTickets>>,
    tls13_tickets: usize,
    max_early_data: u32,
    anti_replay: Option<Arc<AntiReplay>>,
    psk_ke: bool,
    key_log: Arc<dyn KeyLog>,
    max_certificate_list_size: usize,
}

impl ServerConfigBuilder {
    /// The certificate chain (leaf first) and its private key, for every connection.
    pub fn with_single_cert(
        self,
        chain: Vec<CertificateDer<'static>>,
        key: PrivateKeyDer<'static>,
    ) -> Result<Self, Error> {
        self.with_certified_key(CertifiedKey::from_der(chain, key)?)
    }

    /// [`ServerConfigBuilder::with_single_cert`] from PEM files: the chain (leaf first) in
    /// `chain_path`, its key in `key_path`, loaded and checked by
    /// [`pki::load_identity`](crate::pki::load_identity), whose errors name the file and what
    /// is wrong (missing, no certificate, no key, an encrypted key, a key that is not the
    /// certificate's).
    pub fn with_cert_files(
        self,
        chain_path: impl AsRef<std::path::Path>,
        key_path: impl AsRef<std::path::Path>,
    ) -> Result<Self, Error> {
        self.with_certified_key(crate::pki::load_identity(chain_path, key_path)?)
    }

    /// One certificate for every connection, with an OCSP response to staple (RFC 6066 8).
    pub fn with_single_cert_with_ocsp(
        self,
        chain: Vec<CertificateDer<'static>>,
        key: PrivateKeyDer<'static>,
        ocsp: Vec<u8>,
    ) -> Result<Self, Error> {
        self.with_certified_key(CertifiedKey::from_der(chain, key)?.with_ocsp(ocsp))
    }

    fn with_certified_key(mut self, ck: CertifiedKey) -> Result<Self, Error> {
        self.single_key_family = Some(ck.key.family());
        self.resolver = Some(Arc::new(SingleCertResolver(Arc::new(ck))));
        Ok(self)
    }

    /// Picks the certificate per connection, e.g. by SNI (`resolve::ResolvesServerCertUsingSni`).
    pub fn with_cert_resolver(mut self, resolver: Arc<dyn ResolvesServerCert>) -> Self {
        self.resolver = Some(resolver);
        self.single_key_family = None;
        self
    }

    /// For tests that replay a published trace (RFC 8448): as the client's (see
    /// `ClientConfigBuilder::with_scripted_randomness`). A TLS 1.3 server draws its key share's
    /// private key, then its 32-byte random. Never for real connections.
    #[doc(hidden)]
    pub fn with_scripted_randomness(mut self, draws: Vec<Vec<u8>>) -> Self {
        self.randomness = Randomness::scripted(draws);
        self
    }

    /// The protocol versions to accept (TLS 1.3 and TLS 1.2 by default). TLS 1.3 is chosen
    /// whenever the client offers it; a server that can do 1.3 and negotiates 1.2 says so in
    /// its random (RFC 8446 4.1.3), so a 1.3 client can detect a downgrade.
    pub fn with_protocol_versions(mut self, versions: &[ProtocolVersion]) -> Self {
        self.versions = versions.to_vec();
        self
    }

    /// The cipher suites to accept, in the server's preference order.
    pub fn with_cipher_suites(mut self, suites: &[&'static SupportedCipherSuite]) -> Self {
        self.cipher_suites = suites.to_vec();
        self
    }

    /// The groups to accept, in preference order (default [`crate::crypto::SERVER_GROUPS`]:
    /// the post-quantum hybrids X25519MLKEM768 and SecP256r1MLKEM768, then X25519, secp256r1,
    /// secp384r1). The hybrids are TLS 1.3 only: a TLS 1.2 handshake takes the first classical
    /// group the client supports. Leave them out to turn post-quantum key exchange off.
    pub fn with_groups(mut self, groups: &[NamedCurve]) -> Self {
        self.groups = groups.to_vec();
        self
    }

    /// TLS 1.3: whether a client that lists one of our hybrid post-quantum groups in
    /// supported_groups but sent key shares only for classical groups gets a HelloRetryRequest
    /// for the hybrid (our most preferred one it lists), rather than a classical handshake.
    /// Only for a hybrid that [`Self::with_groups`] ranks above the group of the share taken.
    /// On by default: it costs such clients a round trip (and a second ClientHello with a
    /// 1216-byte share) but gets their connections post-quantum key exchange. Clients that send
    /// a hybrid share up front (Chrome, Firefox, rustls, spectls) never see it.
    pub fn with_retry_for_post_quantum(mut self, retry: bool) -> Self {
        self.retry_for_post_quantum = retry;
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

    /// Asks clients for certificates and verifies them (`verify::WebPkiClientVerifier`).
    pub fn with_client_cert_verifier(mut self, verifier: Arc<dyn ClientCertVerifier>) -> Self {
        self.client_verifier = verifier;
        self
    }

    /// Where sessions are kept: TLS 1.2 sessions by session ID and, without a ticketer, the state
    /// of stateful TLS 1.3 tickets ([`StoresServerSessions::put_tls13`]). The default is a
    /// [`ServerSessionMemoryCache`]; `session::NoServerSessionStorage` turns both off.
    pub fn with_session_storage(mut self, storage: Arc<dyn StoresServerSessions>) -> Self {
        self.session_storage = storage;
        self
    }

    /// The longest a session may be resumed after it was made (by ID or ticket).
    pub fn with_session_lifetime(mut self, lifetime: Duration) -> Self {
        self.session_lifetime = lifetime;
        self
    }

    /// How many NewSessionTickets a TLS 1.3 connection gets after its handshake (default 2, as
    /// rustls: a client can then resume twice, or in parallel); 0 sends none. They are sealed by
    /// the ticketer if there is one, else stateful: a random 32-byte ID under which the session
    /// store keeps the ticket's state, used once (none if the store keeps no TLS 1.3 state).
    pub fn with_tls13_tickets(mut self, count: usize) -> Self {
        self.tls13_tickets = count;
        self
    }

    /// Accepts 0-RTT data (RFC 8446 2.3, 4.2.10): our TLS 1.3 tickets allow `max_size` bytes
    /// of early data (their max_early_data_size), and a client resuming with one may send that
    /// much before the handshake completes. 0 (the default) turns it off.
    ///
    /// Early data is accepted only from a ticket of ours whose suite, ALPN protocol and server
    /// name are this connection's, whose reported age is within 10 seconds of its real one, and
    /// whose ClientHello has not been seen before: every accepted hello is recorded (by its
    /// binder) for 20 seconds, in a record of at most 100,000 hellos, shared by every
    /// connection of this config (RFC 8446 8.2; [`with_anti_replay`](Self::with_anti_replay)
    /// sets another). The application reads early data apart from the rest
    /// (`ServerConnection::early_data`): it may be a replay from another server of a fleet
    /// that shares ticket keys, so act on it only if doing so twice is harmless.
    pub fn with_early_data(mut self, max_size: u32) -> Self {
        self.max_early_data = max_size;
        self
    }

    /// Whether to resume TLS 1.3 sessions with the ticket's PSK alone (psk_ke, RFC 8446 4.2.9)
    /// when the client offers that mode: no (EC)DHE exchange, so a faster handshake, but no
    /// forward secrecy of its own. Off by default: we resume only with psk_dhe_ke.
    pub fn enable_psk_ke(mut self, enable: bool) -> Self {
        self.psk_ke = enable;
        self
    }

    /// The record of ClientHellos whose early data was accepted (see
    /// [`with_early_data`](Self::with_early_data)); one record can serve several configs.
    pub fn with_anti_replay(mut self, record: Arc<AntiReplay>) -> Self {
        self.anti_replay = Some(record);
        self
    }

    /// Issues and accepts session tickets (RFC 5077, and TLS 1.3's) sealed by `ticketer`
    /// (`session::Ticketer::new(lifetime)`) instead of stateful ones.
    pub fn with_ticketer(mut self, ticketer: Arc<dyn ProducesTickets>) -> Self {
        self.ticketer = Some(ticketer);
        self
    }

    /// The largest Certificate message body we accept from the peer, in bytes (default
    /// [`DEFAULT_MAX_CERTIFICATE_LIST_SIZE`],
    /// 100 KiB, OpenSSL's `max_cert_list`). A larger one is refused at its 4-byte header,
    /// before it is buffered (`PeerMisbehaved::TooLarge`, `decode_error`).
    pub fn with_max_certificate_list_size(mut self, bytes: usize) -> Self {
        self.max_certificate_list_size = bytes;
        self
    }

    /// Where to log secrets for debugging (`keylog::KeyLogFile` writes `$SSLKEYLOGFILE`).
    pub fn with_key_log(mut self, key_log: Arc<dyn KeyLog>) -> Self {
        self.key_log = key_log;
        self
    }

    /// Checks the configuration and finishes it.
    pub fn build(self) -> Result<ServerConfig, Error> {
        let cert_resolver = self.resolver.ok_or_else(|| {
            Error::Config("no certificate: call with_single_cert or with_cert_resolver".into())
        })?;
        check_common(
            &self.versions,
            &self.cipher_suites,
            &self.groups,
            &self.alpn_protocols,
        )?;
        if let Some(family) = self.single_key_family {
            let usable = |s: &&&SupportedCipherSuite| {
                s.family == family || (s.is_tls13() && self.versions.contains(&TLS13))
            };
            if !self.cipher_suites.iter().any(|s| usable(&s)) {
                return Err(Error::Config(
                    "no cipher suite can use this key type".into(),
                ));
            }
        }
        Ok(ServerConfig {
            randomness: self.randomness,
            versions: usable_versions(&self.versions, &self.cipher_suites),
            cipher_suites: self.cipher_suites,
            groups: self.groups,
            retry_for_post_quantum: self.retry_for_post_quantum,
            cert_resolver,
            alpn_protocols: self.alpn_protocols,
            require_ems: self.require_ems,
            client_verifier: self.client_verifier,
            session_storage: self.session_storage,
            session_lifetime: self.session_lifetime,
            ticketer: self.ticketer,
            tls13_tickets: self.tls13_tickets.min(MAX_TLS13_TICKETS),
            anti_replay: match (self.max_early_data, self.anti_replay) {
                (0, _) => None,
                (_, Some(record)) => Some(record),
                (_, None) => Some(Arc::new(AntiReplay::new(
                    DEFAULT_REPLAY_WINDOW,
                    DEFAULT_REPLAY_CAPACITY,
                ))),
            },
            max_early_data: self.max_early_data,
            psk_ke: self.psk_ke,
            key_log: self.key_log,
            max_certificate_list_size: self.max_certificate_list_size,
        })
    }
}
