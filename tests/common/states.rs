//! Connections driven to every state of the handshake tables, with what their peer needs to
//! go on talking to them (shared by `negative.rs` and `progress.rs`).
//!
//! The peer is rustls with a key log: its master secret gives both directions' traffic keys
//! (through spectls' own `prf::key_block`), so a test can seal records as the peer would in the
//! states that read only protected records (after the peer's ChangeCipherSpec), and open what
//! spectls sends back. Framing helpers for records and handshake messages, hand-built hellos and
//! the failure checks (`check_error`, `failed_in_clear`) come with it, for `hardening.rs`,
//! `extensions_hardening.rs` and `limits.rs` too.

use super::*;
use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyPair, KeyUsagePurpose,
};
use spectls::codec::{Codec, Encode, Reader};
use spectls::crypto::suites::{lookup, SupportedCipherSuite};
use spectls::internal::algorithm_of;
use spectls::internal::cipher::{RecordDecrypter, RecordEncrypter};
use spectls::internal::prf::{key_block, KeyBlock};
use spectls::internal::tables::Transition;
use spectls::pki::{certs_from_pem, private_key_from_pem};
use spectls::pki::{RootCertStore, WebPkiClientVerifier};
use spectls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, ServerName};
use spectls::wire::{
    Alert, AlertDescription, AlertLevel, CertificateRequest, CipherSuite, ClientCertificateType,
    ClientHello, CompressionMethod, ContentType, ECPointFormat, ECPointFormatList,
    ExtendedMasterSecret, Extension, Handshake, HandshakeHeader, HandshakeType,
    KeyExchangeAlgorithm, NamedCurve, NamedCurveList, ProtocolVersion, PublicValueEncoding, Random,
    RenegotiationInfo, SessionID, SignatureAndHashAlgorithm, SignatureAndHashAlgorithmList,
    SignatureScheme, TLSPlaintext,
};
use spectls::{ClientConnection, ConnectionCommon, Error, IoState, ServerConfig, ServerConnection};
use std::io;
use std::ops::DerefMut;
use std::sync::{Arc, Mutex};

// ------------------------------------------------------------------------------------------
// Records and messages
// ------------------------------------------------------------------------------------------

pub const TLS12: ProtocolVersion = ProtocolVersion { major: 3, minor: 3 };

/// Splits whole records (protected or not: the outer framing is the same) into (type, bytes).
pub fn split_records(bytes: &[u8]) -> Vec<(ContentType, Vec<u8>)> {
    let mut r = Reader::new(bytes);
    let mut out = Vec::new();
    while !r.is_empty() {
        let start = r.offset();
        let rec = TLSPlaintext::decode(&mut r).expect("whole records");
        out.push((rec.type_, bytes[start..r.offset()].to_vec()));
    }
    out
}

pub fn types_of(records: &[(ContentType, Vec<u8>)]) -> Vec<ContentType> {
    records.iter().map(|(t, _)| *t).collect()
}

/// The fragment of one whole record.
pub fn fragment_of(record: &[u8]) -> &[u8] {
    TLSPlaintext::from_bytes(record)
        .expect("one record")
        .fragment
}

/// One plaintext record.
pub fn frame(typ: ContentType, fragment: &[u8]) -> Vec<u8> {
    TLSPlaintext {
        type_: typ,
        version: TLS12,
        fragment,
    }
    .to_vec()
}

pub fn alert_payload(level: AlertLevel, description: AlertDescription) -> Vec<u8> {
    Alert { level, description }.to_vec()
}

pub fn fatal(description: AlertDescription) -> Alert {
    Alert {
        level: AlertLevel::Fatal,
        description,
    }
}

/// The handshake messages carried by plaintext handshake records, whole, in order.
pub fn handshake_messages(flight: &[u8]) -> Vec<Vec<u8>> {
    let mut joined = Vec::new();
    for (typ, rec) in split_records(flight) {
        assert_eq!(typ, ContentType::Handshake, "a plaintext handshake flight");
        joined.extend_from_slice(fragment_of(&rec));
    }
    let mut msgs = Vec::new();
    let mut r = Reader::new(&joined);
    while !r.is_empty() {
        let start = r.offset();
        let header = HandshakeHeader::decode(&mut r).expect("header");
        r.take(header.length as usize).expect("whole message");
        msgs.push(joined[start..r.offset()].to_vec());
    }
    msgs
}

/// One record per message.
pub fn reframe(msgs: &[Vec<u8>]) -> Vec<u8> {
    msgs.iter()
        .flat_map(|m| frame(ContentType::Handshake, m))
        .collect()
}

/// Decodes a handshake message the way the engine does (ECDHE context).
pub fn decode_hs(bytes: &[u8]) -> Handshake<'_> {
    Handshake::from_bytes(
        bytes,
        KeyExchangeAlgorithm::EcDiffieHellman,
        PublicValueEncoding::Explicit,
    )
    .expect("a valid handshake message")
}

pub fn random_of(r: &Random) -> [u8; 32] {
    let mut out = [0u8; 32];
    out[..4].copy_from_slice(&r.gmt_unix_time.to_be_bytes());
    out[4..].copy_from_slice(&r.random_bytes);
    out
}

/// The spectls error inside an `io::Error` from `reader()`/`writer()`.
pub fn inner(e: &io::Error) -> Option<&Error> {
    e.get_ref().and_then(|i| i.downcast_ref::<Error>())
}

/// A CertificateRequest for ECDSA client certificates (any CA).
pub fn certificate_request() -> CertificateRequest<'static> {
    CertificateRequest {
        certificate_types: vec![ClientCertificateType::EcdsaSign],
        supported_signature_algorithms: vec![ecdsa_p256()],
        certificate_authorities: vec![],
    }
}

pub fn ecdsa_p256() -> SignatureAndHashAlgorithm {
    algorithm_of(SignatureScheme::EcdsaSecp256r1Sha256)
}

/// A server config with the ECDSA test certificate, edited by `build`.
pub fn ecdsa_server_with(
    build: impl FnOnce(spectls::ServerConfigBuilder) -> spectls::ServerConfigBuilder,
) -> ServerConfig {
    build(
        ServerConfig::builder()
            .with_single_cert(
                certs_from_pem(ECDSA_CHAIN).expect("chain"),
                private_key_from_pem(ECDSA_KEY).expect("key"),
            )
            .expect("cert"),
    )
    .build()
    .expect("server config")
}

/// A server connection waiting for its ClientHello (ECDSA test certificate).
pub fn fresh_server() -> ServerConnection {
    ServerConnection::new(Arc::new(server_config(false))).expect("server")
}

/// A real spectls client's ClientHello message (without its record header).
pub fn client_hello_message() -> Vec<u8> {
    let (mut c, _) = pair(client_config(), server_config(false));
    let recs = split_records(&drain(&mut c));
    assert_eq!(types_of(&recs), [ContentType::Handshake], "one record");
    fragment_of(&recs[0].1).to_vec()
}

/// A minimal ClientHello the ECDSA test server accepts.
pub fn base_client_hello() -> ClientHello<'static> {
    ClientHello {
        client_version: TLS12,
        random: Random {
            gmt_unix_time: 0x5f5e_1000,
            random_bytes: [7; 28],
        },
        session_id: SessionID(&[]),
        cipher_suites: vec![CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256],
        compression_methods: vec![CompressionMethod::Null],
        extensions: Some(vec![
            // secp256r1 is needed for the server's P-256 certificate (RFC 8422 5.3).
            Extension::EllipticCurves(NamedCurveList {
                named_curve_list: vec![NamedCurve::X25519, NamedCurve::Secp256r1],
            }),
            Extension::EcPointFormats(ECPointFormatList {
                ec_point_format_list: vec![ECPointFormat::Uncompressed],
            }),
            Extension::SignatureAlgorithms(SignatureAndHashAlgorithmList {
                supported_signature_algorithms: vec![ecdsa_p256()],
            }),
            Extension::ExtendedMasterSecret(ExtendedMasterSecret {}),
            Extension::RenegotiationInfo(RenegotiationInfo {
                renegotiated_connection: &[],
            }),
        ]),
    }
}

// ------------------------------------------------------------------------------------------
// Failure checks
// ------------------------------------------------------------------------------------------

/// `got` is `victim`'s failure: the exact error, the alert it maps to, sticky, and it reads
/// no more.
#[track_caller]
pub fn check_error(
    victim: &mut ConnectionCommon,
    got: Result<IoState, Error>,
    want: &Error,
    alert: AlertDescription,
) {
    let err = got.expect_err("the connection should fail");
    assert_eq!(&err, want);
    assert_eq!(err.alert(), Some(alert), "alert for {err:?}");
    assert_eq!(
        victim.process_new_packets().expect_err("errors are sticky"),
        err
    );
    assert!(!victim.wants_read(), "a failed connection reads no more");
}

/// `check_error`, and the only record `victim` queued is an alert (in the clear or sealed: the
/// caller checks which). Returns that record, for the peer.
#[track_caller]
pub fn failed_with_one_alert(
    victim: &mut ConnectionCommon,
    got: Result<IoState, Error>,
    want: &Error,
    alert: AlertDescription,
) -> Vec<u8> {
    check_error(victim, got, want, alert);
    let out = drain(victim);
    assert_eq!(
        types_of(&split_records(&out)),
        [ContentType::Alert],
        "only the alert is sent"
    );
    out
}

/// A failure before `victim` protects its records: the only record it queued is the fatal
/// alert, in the clear. Returns the bytes for the peer.
#[track_caller]
pub fn failed_in_clear(
    victim: &mut ConnectionCommon,
    got: Result<IoState, Error>,
    want: Error,
    alert: AlertDescription,
) -> Vec<u8> {
    let out = failed_with_one_alert(victim, got, &want, alert);
    assert_eq!(
        Alert::from_bytes(fragment_of(&out)).expect("a plaintext alert"),
        fatal(alert)
    );
    out
}

// ------------------------------------------------------------------------------------------
// rustls as a peer whose keys we know, and connections in every state
// ------------------------------------------------------------------------------------------

/// The TLS 1.2 master secrets a key log (rustls' or spectls') gets, by client random.
#[derive(Debug, Default)]
pub struct KeyLogStore(pub Mutex<Vec<(Vec<u8>, Vec<u8>)>>);

impl KeyLogStore {
    /// Forgets what was logged (before the connection whose keys a test needs).
    pub fn clear(&self) {
        self.0.lock().expect("lock").clear();
    }

    fn record(&self, label: &str, client_random: &[u8], secret: &[u8]) {
        if label == "CLIENT_RANDOM" {
            self.0
                .lock()
                .expect("lock")
                .push((client_random.to_vec(), secret.to_vec()));
        }
    }
}

impl rustls::KeyLog for KeyLogStore {
    fn log(&self, label: &str, client_random: &[u8], secret: &[u8]) {
        self.record(label, client_random, secret);
    }
}

/// The same store serves a spectls connection's key log.
impl spectls::keylog::KeyLog for KeyLogStore {
    fn log(&self, label: &str, client_random: &[u8], secret: &[u8]) {
        self.record(label, client_random, secret);
    }
}

pub fn rustls_provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// The OCSP response for the ECDSA test certificate.
pub const OCSP_ECDSA: &[u8] = include_bytes!("../data/certs/ocsp-ecdsa.der");

/// What the rustls peer does beyond a plain full handshake.
#[derive(Clone, Copy, Default)]
pub struct PeerOptions {
    /// The server staples `OCSP_ECDSA` when asked (CertificateStatus, RFC 6066 8).
    pub ocsp: bool,
    /// The server issues session tickets (NewSessionTicket, RFC 5077).
    pub tickets: bool,
}

/// A rustls TLS 1.2 server with the ECDSA test certificate, logging its secrets to `log`. Its
/// session-ID cache lives in the config: connections made from one config resume each other.
pub fn rustls_server_config(
    log: Arc<KeyLogStore>,
    options: PeerOptions,
) -> Arc<rustls::ServerConfig> {
    let builder = rustls::ServerConfig::builder_with_provider(rustls_provider())
        .with_protocol_versions(&[&rustls::version::TLS12])
        .expect("TLS 1.2")
        .with_no_client_auth();
    let chain = certs_from_pem(ECDSA_CHAIN).expect("chain");
    let key = private_key_from_pem(ECDSA_KEY).expect("key");
    let mut config = if options.ocsp {
        builder.with_single_cert_with_ocsp(chain, key, OCSP_ECDSA.to_vec())
    } else {
        builder.with_single_cert(chain, key)
    }
    .expect("rustls server config");
    if options.tickets {
        config.ticketer = rustls::crypto::ring::Ticketer::new().expect("rustls ticketer");
    }
    config.key_log = log;
    Arc::new(config)
}

pub fn rustls_server_with(config: &Arc<rustls::ServerConfig>) -> rustls::Connection {
    rustls::ServerConnection::new(config.clone())
        .expect("rustls server")
        .into()
}

/// A rustls TLS 1.2 client trusting the test CA, presenting `identity` if a server asks, and
/// logging its secrets to `log`. It keeps sessions (by ID or ticket) in the config.
pub fn rustls_client_config(
    log: Arc<KeyLogStore>,
    identity: Option<(Vec<CertificateDer<'static>>, PrivateKeyDer<'static>)>,
) -> Arc<rustls::ClientConfig> {
    let mut roots = rustls::RootCertStore::empty();
    for cert in certs_from_pem(CA).expect("CA") {
        roots.add(cert).expect("root");
    }
    let builder = rustls::ClientConfig::builder_with_provider(rustls_provider())
        .with_protocol_versions(&[&rustls::version::TLS12])
        .expect("TLS 1.2")
        .with_root_certificates(roots);
    let mut config = match identity {
        Some((chain, key)) => builder
            .with_client_auth_cert(chain, key)
            .expect("rustls client certificate"),
        None => builder.with_no_client_auth(),
    };
    config.key_log = log;
    Arc::new(config)
}

pub fn rustls_client_with(config: &Arc<rustls::ClientConfig>) -> rustls::Connection {
    rustls::ClientConnection::new(config.clone(), "localhost".try_into().expect("name"))
        .expect("rustls client")
        .into()
}

pub fn rustls_client(log: Arc<KeyLogStore>) -> rustls::Connection {
    rustls_client_with(&rustls_client_config(log, None))
}

pub fn rustls_out(conn: &mut rustls::Connection) -> Vec<u8> {
    let mut out = Vec::new();
    while conn.wants_write() {
        conn.write_tls(&mut out).expect("write to a Vec");
    }
    out
}

pub fn rustls_in(conn: &mut rustls::Connection, mut bytes: &[u8]) {
    while !bytes.is_empty() {
        conn.read_tls(&mut bytes).expect("read from a slice");
        conn.process_new_packets()
            .expect("rustls accepts spectls' messages");
    }
}

/// Runs a whole handshake between a rustls peer and a spectls connection (either may speak
/// first), so that both keep the session for resumption.
pub fn rustls_handshake(peer: &mut rustls::Connection, victim: &mut ConnectionCommon) {
    for _ in 0..10 {
        feed(victim, &rustls_out(peer)).expect("spectls accepts rustls' messages");
        rustls_in(peer, &drain(victim));
        if !peer.is_handshaking() && !victim.is_handshaking() && !peer.wants_write() {
            return;
        }
    }
    panic!("the handshake with rustls did not finish in 10 rounds");
}

/// A flight that ends with ChangeCipherSpec and a protected Finished, split into the
/// plaintext handshake messages before the ChangeCipherSpec and the records from it on.
pub fn split_at_ccs(flight: &[u8]) -> (Vec<Vec<u8>>, Vec<Vec<u8>>) {
    let recs = split_records(flight);
    let ccs = recs
        .iter()
        .position(|(t, _)| *t == ContentType::ChangeCipherSpec)
        .expect("a ChangeCipherSpec");
    let before: Vec<u8> = recs[..ccs].iter().flat_map(|(_, r)| r.clone()).collect();
    let after: Vec<_> = recs[ccs..].iter().map(|(_, r)| r.clone()).collect();
    assert_eq!(
        types_of(&recs[ccs..]),
        [ContentType::ChangeCipherSpec, ContentType::Handshake],
        "ChangeCipherSpec, Finished"
    );
    (handshake_messages(&before), after)
}

pub fn kinds_of(msgs: &[Vec<u8>]) -> Vec<HandshakeType> {
    msgs.iter().map(|m| decode_hs(m).selector()).collect()
}

/// The session ID of an encoded ClientHello or ServerHello.
pub fn session_id_of(msg: &[u8]) -> Vec<u8> {
    match decode_hs(msg) {
        Handshake::ClientHello(ch) => ch.session_id.0.to_vec(),
        Handshake::ServerHello(sh) => sh.session_id.0.to_vec(),
        other => panic!("not a hello: {:?}", other.selector()),
    }
}

/// Both directions' traffic keys of one connection.
pub struct Keys {
    pub suite: &'static SupportedCipherSuite,
    pub block: KeyBlock,
}

impl Keys {
    /// From the key log and the ServerHello (its random and suite).
    pub fn new(log: &KeyLogStore, server_hello: &[u8]) -> Keys {
        let Handshake::ServerHello(sh) = decode_hs(server_hello) else {
            panic!("not a ServerHello")
        };
        let suite = lookup(sh.cipher_suite).expect("a spectls suite");
        let entries = log.0.lock().expect("lock");
        let [(client_random, master)] = entries.as_slice() else {
            panic!("expected one key log entry, got {}", entries.len())
        };
        let client_random: [u8; 32] = client_random.as_slice().try_into().expect("32 bytes");
        let master: [u8; 48] = master.as_slice().try_into().expect("48 bytes");
        let block = key_block(suite, &master, &client_random, &random_of(&sh.random));
        Keys { suite, block }
    }

    pub fn key_iv(&self, client_writes: bool) -> (&[u8], &[u8]) {
        if client_writes {
            (&self.block.client_write_key, &self.block.client_write_iv)
        } else {
            (&self.block.server_write_key, &self.block.server_write_iv)
        }
    }

    /// A record as the client (or server) would protect it as record number `seq`.
    pub fn seal(&self, client_writes: bool, seq: u64, typ: ContentType, payload: &[u8]) -> Vec<u8> {
        let (key, iv) = self.key_iv(client_writes);
        let enc = RecordEncrypter::new(self.suite.aead, key, iv).expect("encrypter");
        let mut fragment = Vec::new();
        enc.seal(seq, typ, TLS12, payload, &mut fragment)
            .expect("seal");
        frame(typ, &fragment)
    }

    /// Opens record number `seq` written by the client (or server).
    pub fn open(&self, client_writes: bool, seq: u64, record: &[u8]) -> (ContentType, Vec<u8>) {
        let (key, iv) = self.key_iv(client_writes);
        let dec = RecordDecrypter::new(self.suite.aead, key, iv).expect("decrypter");
        let rec = TLSPlaintext::from_bytes(record).expect("one record");
        let mut fragment = rec.fragment.to_vec();
        let plain = dec
            .open(seq, rec.type_, TLS12, &mut fragment)
            .expect("spectls' record opens with its keys")
            .to_vec();
        (rec.type_, plain)
    }
}

/// A spectls connection of either side.
pub type Victim = Box<dyn DerefMut<Target = ConnectionCommon>>;

/// A spectls connection driven to a state, with what its peer needs to talk to it.
pub struct AtState {
    pub state: &'static str,
    pub victim: Victim,
    pub victim_is_client: bool,
    pub keys: Option<Keys>,
    /// The number of the peer's next protected record, once the victim reads protected records.
    pub peer_seq: Option<u64>,
    /// The number of the victim's next protected record, once it protects what it writes.
    pub victim_seq: Option<u64>,
    /// The peer's records still to come in the handshake, as it sent them (ExpectFinished: its
    /// Finished).
    pub rest: Vec<Vec<u8>>,
}

impl AtState {
    /// `victim` in `state`, before anything is protected either way (the driver fills in the
    /// rest as it goes).
    pub fn new(state: &'static str, victim: Victim, victim_is_client: bool) -> AtState {
        AtState {
            state,
            victim,
            victim_is_client,
            keys: None,
            peer_seq: None,
            victim_seq: None,
            rest: Vec::new(),
        }
    }

    /// A record of `typ` as the peer would send it now: in the clear or sealed.
    pub fn record(&self, typ: ContentType, payload: &[u8]) -> Vec<u8> {
        match self.peer_seq {
            None => frame(typ, payload),
            Some(seq) => {
                self.keys
                    .as_ref()
                    .expect("keys")
                    .seal(!self.victim_is_client, seq, typ, payload)
            }
        }
    }

    /// Feeds the peer's next record.
    pub fn inject(&mut self, typ: ContentType, payload: &[u8]) -> Result<IoState, Error> {
        let record = self.record(typ, payload);
        if let Some(seq) = &mut self.peer_seq {
            *seq += 1;
        }
        feed(&mut self.victim, &record)
    }

    /// The records the victim sent since the last call, opened.
    pub fn sent(&mut self) -> Vec<(ContentType, Vec<u8>)> {
        let out = drain(&mut self.victim);
        split_records(&out)
            .into_iter()
            .map(|(typ, rec)| match &mut self.victim_seq {
                None => (typ, fragment_of(&rec).to_vec()),
                Some(seq) => {
                    *seq += 1;
                    self.keys
                        .as_ref()
                        .expect("keys")
                        .open(self.victim_is_client, *seq - 1, &rec)
                }
            })
            .collect()
    }

    /// The one record the victim sent, which must be an alert.
    pub fn sent_alert(&mut self) -> Alert {
        let sent = self.sent();
        assert_eq!(types_of(&sent), [ContentType::Alert], "one alert record");
        Alert::from_bytes(&sent[0].1).expect("an alert")
    }
}

/// A spectls client in `state`, its peer a rustls server (stapling an OCSP response for
/// ExpectCertificateStatus, issuing a ticket for ExpectNewSessionTicket).
pub fn client_at(state: &'static str) -> AtState {
    use HandshakeType as H;
    if state.starts_with("Resumed") {
        return client_resumed_at(state);
    }
    let log = Arc::new(KeyLogStore::default());
    let options = PeerOptions {
        ocsp: state == "ExpectCertificateStatus",
        tickets: state == "ExpectNewSessionTicket",
    };
    let mut peer = rustls_server_with(&rustls_server_config(log.clone(), options));
    let mut c = ClientConnection::new(Arc::new(client_config()), "localhost".try_into().unwrap())
        .expect("client");
    rustls_in(&mut peer, &drain(&mut c));
    let msgs = handshake_messages(&rustls_out(&mut peer));
    let flight: &[HandshakeType] = if options.ocsp {
        &[
            H::ServerHello,
            H::Certificate,
            H::CertificateStatus,
            H::ServerKeyExchange,
            H::ServerHelloDone,
        ]
    } else {
        &[
            H::ServerHello,
            H::Certificate,
            H::ServerKeyExchange,
            H::ServerHelloDone,
        ]
    };
    assert_eq!(kinds_of(&msgs), flight);
    let mut at = AtState::new(state, Box::new(c), true);
    let index_of = |t: HandshakeType| flight.iter().position(|k| *k == t).expect("in the flight");
    let delivered = match state {
        "ExpectServerHello" => 0,
        "ExpectCertificate" => index_of(H::Certificate),
        "ExpectCertificateStatus" => index_of(H::CertificateStatus),
        "ExpectServerKeyExchange" => index_of(H::ServerKeyExchange),
        "ExpectServerHelloDone" | "ExpectServerHelloDoneAfterCertRequest" => {
            index_of(H::ServerHelloDone)
        }
        _ => msgs.len(),
    };
    feed(&mut at.victim, &reframe(&msgs[..delivered])).expect("server flight accepted");
    if state == "ExpectServerHelloDoneAfterCertRequest" {
        // The rustls server does not ask for a certificate here: add the request by hand.
        let request = Handshake::CertificateRequest(certificate_request()).to_vec();
        feed(&mut at.victim, &reframe(&[request])).expect("CertificateRequest accepted");
    }
    if delivered < msgs.len() {
        at.rest = vec![reframe(&msgs[delivered..])];
        return at;
    }
    // The client sent ClientKeyExchange, ChangeCipherSpec, Finished (record 0).
    let flight = drain(&mut at.victim);
    assert_eq!(
        types_of(&split_records(&flight)),
        [
            ContentType::Handshake,
            ContentType::ChangeCipherSpec,
            ContentType::Handshake
        ]
    );
    rustls_in(&mut peer, &flight);
    at.keys = Some(Keys::new(&log, &msgs[0]));
    at.victim_seq = Some(1);
    // [NewSessionTicket], ChangeCipherSpec, Finished.
    let (ticket, last) = split_at_ccs(&rustls_out(&mut peer));
    let want: &[HandshakeType] = if options.tickets {
        &[H::NewSessionTicket]
    } else {
        &[]
    };
    assert_eq!(kinds_of(&ticket), want);
    match state {
        "ExpectNewSessionTicket" => {
            at.rest = [vec![reframe(&ticket)], last].concat();
        }
        "ExpectChangeCipherSpec" => at.rest = last,
        "ExpectFinished" => {
            feed(&mut at.victim, &last[0]).expect("ChangeCipherSpec");
            at.peer_seq = Some(0);
            at.rest = vec![last[1].clone()];
        }
        "Connected" => {
            feed(&mut at.victim, &last.concat()).expect("Finished");
            assert!(!at.victim.is_handshaking());
            at.peer_seq = Some(1);
        }
        other => panic!("no way to drive a client to {other}: add one"),
    }
    at
}

/// A spectls client in one of the abbreviated handshake's states: it resumes the session of a
/// first, full handshake with the same rustls server config, by session ID, or by ticket for
/// ResumedExpectNewSessionTicket (the server then sends a fresh ticket first).
pub fn client_resumed_at(state: &'static str) -> AtState {
    use HandshakeType as H;
    let log = Arc::new(KeyLogStore::default());
    let tickets = state == "ResumedExpectNewSessionTicket";
    let server = rustls_server_config(
        log.clone(),
        PeerOptions {
            tickets,
            ..PeerOptions::default()
        },
    );
    let client = Arc::new(client_config());
    let name = || ServerName::try_from("localhost").expect("name");
    let mut first = ClientConnection::new(client.clone(), name()).expect("client");
    rustls_handshake(&mut rustls_server_with(&server), &mut first);
    log.clear();

    let mut peer = rustls_server_with(&server);
    let mut c = ClientConnection::new(client, name()).expect("client");
    let hello = drain(&mut c);
    let offered = session_id_of(&handshake_messages(&hello)[0]);
    assert!(!offered.is_empty(), "the client offers its session");
    rustls_in(&mut peer, &hello);
    // ServerHello, [NewSessionTicket], ChangeCipherSpec, Finished (record 0).
    let (msgs, last) = split_at_ccs(&rustls_out(&mut peer));
    let want: &[HandshakeType] = if tickets {
        &[H::ServerHello, H::NewSessionTicket]
    } else {
        &[H::ServerHello]
    };
    assert_eq!(kinds_of(&msgs), want, "an abbreviated handshake");
    assert_eq!(session_id_of(&msgs[0]), offered, "the server resumes");
    let mut at = AtState::new(state, Box::new(c), true);
    at.keys = Some(Keys::new(&log, &msgs[0]));
    feed(&mut at.victim, &reframe(&msgs[..1])).expect("ServerHello");
    assert!(at.victim.is_resumed());
    match state {
        "ResumedExpectNewSessionTicket" => {
            at.rest = [vec![reframe(&msgs[1..])], last].concat();
        }
        "ResumedExpectChangeCipherSpec" => at.rest = last,
        "ResumedExpectFinished" => {
            feed(&mut at.victim, &last[0]).expect("ChangeCipherSpec");
            at.peer_seq = Some(0);
            at.rest = vec![last[1].clone()];
        }
        other => panic!("no way to drive a client to {other}: add one"),
    }
    at
}

/// A spectls server in `state`, its peer a rustls client.
pub fn server_at(state: &'static str) -> AtState {
    match state {
        "ExpectClientCertificate" | "ExpectCertificateVerify" => {
            return server_client_auth_at(state)
        }
        s if s.starts_with("Resumed") => return server_resumed_at(state),
        _ => {}
    }
    let log = Arc::new(KeyLogStore::default());
    let mut peer = rustls_client(log.clone());
    let s = ServerConnection::new(Arc::new(server_config(false))).expect("server");
    let mut at = AtState::new(state, Box::new(s), false);
    if state == "ExpectClientHello" {
        return at;
    }
    feed(&mut at.victim, &rustls_out(&mut peer)).expect("ClientHello");
    let flight = drain(&mut at.victim);
    let server_hello = handshake_messages(&flight).remove(0);
    rustls_in(&mut peer, &flight);
    if state == "ExpectClientKeyExchange" {
        return at;
    }
    let recs = split_records(&rustls_out(&mut peer));
    assert_eq!(
        types_of(&recs),
        [
            ContentType::Handshake,
            ContentType::ChangeCipherSpec,
            ContentType::Handshake
        ],
        "ClientKeyExchange, ChangeCipherSpec, Finished"
    );
    at.keys = Some(Keys::new(&log, &server_hello));
    feed(&mut at.victim, &recs[0].1).expect("ClientKeyExchange");
    match state {
        "ExpectChangeCipherSpec" => at.rest = vec![recs[1].1.clone(), recs[2].1.clone()],
        "ExpectFinished" => {
            feed(&mut at.victim, &recs[1].1).expect("ChangeCipherSpec");
            at.peer_seq = Some(0);
            at.rest = vec![recs[2].1.clone()];
        }
        "Connected" => {
            feed(
                &mut at.victim,
                &[recs[1].1.clone(), recs[2].1.clone()].concat(),
            )
            .expect("Finished");
            assert!(!at.victim.is_handshaking());
            // The server's ChangeCipherSpec and Finished (record 0).
            assert_eq!(
                types_of(&split_records(&drain(&mut at.victim))),
                [ContentType::ChangeCipherSpec, ContentType::Handshake]
            );
            at.peer_seq = Some(1);
            at.victim_seq = Some(1);
        }
        other => panic!("no way to drive a server to {other}: add one"),
    }
    at
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

/// A server that asks for and verifies client certificates, trusting `roots` for them.
pub fn client_auth_server(roots: RootCertStore) -> ServerConfig {
    let verifier = WebPkiClientVerifier::builder(Arc::new(roots))
        .build()
        .expect("client verifier");
    ecdsa_server_with(|b| b.with_client_cert_verifier(verifier))
}

/// A spectls server asking for a client certificate, in ExpectClientCertificate or
/// ExpectCertificateVerify; its peer a rustls client with a certificate.
pub fn server_client_auth_at(state: &'static str) -> AtState {
    use HandshakeType as H;
    let (chain, key, client_roots) = client_identity();
    let log = Arc::new(KeyLogStore::default());
    let mut peer = rustls_client_with(&rustls_client_config(log.clone(), Some((chain, key))));
    let s = ServerConnection::new(Arc::new(client_auth_server(client_roots))).expect("server");
    let mut at = AtState::new(state, Box::new(s), false);
    feed(&mut at.victim, &rustls_out(&mut peer)).expect("ClientHello");
    let flight = drain(&mut at.victim);
    let msgs = handshake_messages(&flight);
    assert_eq!(
        kinds_of(&msgs),
        [
            H::ServerHello,
            H::Certificate,
            H::ServerKeyExchange,
            H::CertificateRequest,
            H::ServerHelloDone
        ]
    );
    rustls_in(&mut peer, &flight);
    // Certificate, ClientKeyExchange, CertificateVerify, ChangeCipherSpec, Finished (record 0).
    let (answer, last) = split_at_ccs(&rustls_out(&mut peer));
    assert_eq!(
        kinds_of(&answer),
        [H::Certificate, H::ClientKeyExchange, H::CertificateVerify]
    );
    at.keys = Some(Keys::new(&log, &msgs[0]));
    match state {
        "ExpectClientCertificate" => at.rest = [vec![reframe(&answer)], last].concat(),
        "ExpectCertificateVerify" => {
            feed(&mut at.victim, &reframe(&answer[..2])).expect("Certificate, ClientKeyExchange");
            at.rest = [vec![reframe(&answer[2..])], last].concat();
        }
        other => panic!("no way to drive a server to {other}: add one"),
    }
    at
}

/// A spectls server in one of the abbreviated handshake's states: a rustls client resumes the
/// session (by ID) of a first, full handshake with the same server config.
pub fn server_resumed_at(state: &'static str) -> AtState {
    let log = Arc::new(KeyLogStore::default());
    let client = rustls_client_config(log.clone(), None);
    let server = Arc::new(server_config(false));
    let mut first = ServerConnection::new(server.clone()).expect("server");
    rustls_handshake(&mut rustls_client_with(&client), &mut first);
    log.clear();

    let mut peer = rustls_client_with(&client);
    let s = ServerConnection::new(server).expect("server");
    let mut at = AtState::new(state, Box::new(s), false);
    let hello = rustls_out(&mut peer);
    let offered = session_id_of(&handshake_messages(&hello)[0]);
    feed(&mut at.victim, &hello).expect("ClientHello");
    // ServerHello, ChangeCipherSpec, Finished (record 0).
    let flight = drain(&mut at.victim);
    let (msgs, _) = split_at_ccs(&flight);
    assert_eq!(kinds_of(&msgs), [HandshakeType::ServerHello]);
    assert!(!offered.is_empty());
    assert_eq!(session_id_of(&msgs[0]), offered, "the server resumes");
    assert!(at.victim.is_resumed());
    rustls_in(&mut peer, &flight);
    at.keys = Some(Keys::new(&log, &msgs[0]));
    at.victim_seq = Some(1);
    let answer = split_records(&rustls_out(&mut peer));
    assert_eq!(
        types_of(&answer),
        [ContentType::ChangeCipherSpec, ContentType::Handshake]
    );
    match state {
        "ResumedExpectChangeCipherSpec" => {
            at.rest = answer.into_iter().map(|(_, r)| r).collect();
        }
        "ResumedExpectFinished" => {
            feed(&mut at.victim, &answer[0].1).expect("ChangeCipherSpec");
            at.peer_seq = Some(0);
            at.rest = vec![answer[1].1.clone()];
        }
        other => panic!("no way to drive a server to {other}: add one"),
    }
    at
}

/// Every state a table names, in table order.
/// What `Error::UnexpectedMessage` says `state` expected: its rows' inputs, in table order.
pub fn expected_in(table: &[Transition], state: &str) -> String {
    let mut expected: Vec<String> = Vec::new();
    for t in table.iter().filter(|t| t.from == state) {
        if !expected.contains(&t.on.to_string()) {
            expected.push(t.on.to_string());
        }
    }
    expected.join(" or ")
}

pub fn states_of(table: &[Transition]) -> Vec<&'static str> {
    let mut out: Vec<&'static str> = Vec::new();
    for t in table {
        for s in std::iter::once(&t.from).chain(&t.to) {
            if !out.contains(s) {
                out.push(*s);
            }
        }
    }
    out
}

// ------------------------------------------------------------------------------------------
// rcgen certificates
// ------------------------------------------------------------------------------------------

pub type Ca = CertifiedIssuer<'static, KeyPair>;

pub fn rcgen_ca(name: &str) -> Ca {
    let mut params = CertificateParams::new(Vec::<String>::new()).expect("params");
    params.distinguished_name.push(DnType::CommonName, name);
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    CertifiedIssuer::self_signed(params, KeyPair::generate().expect("key")).expect("CA")
}
