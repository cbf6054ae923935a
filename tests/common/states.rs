//! Connections driven to every state of the handshake tables, with what their peer needs to
//! go on talking to them (`negative_*.rs`, `progress.rs`).
//!
//! The peer is rustls with a key log (`rustls_peer`): its master secret gives both directions'
//! traffic keys (through spectls' own `prf::key_block`), so a test can seal records as the peer
//! would in the states that read only protected records (after the peer's ChangeCipherSpec), and
//! open what spectls sends back.

use super::*;
use spectls::codec::{Codec, Encode};
use spectls::crypto::suites::{lookup, SupportedCipherSuite};
use spectls::internal::cipher::{RecordDecrypter, RecordEncrypter};
use spectls::internal::prf::{key_block, KeyBlock};
use spectls::internal::tables::{InputKind, Transition};
use spectls::pki_types::ServerName;
use spectls::wire::{tls12::Handshake, Alert, ContentType, HandshakeType, TLSPlaintext};
use spectls::{ClientConnection, ConnectionCommon, Error, IoState, ServerConnection};
use std::ops::DerefMut;
use std::sync::Arc;

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

/// Whether `table` has a transition from `state` on `kind`.
pub fn allowed(table: &[Transition], state: &str, kind: InputKind) -> bool {
    table.iter().any(|t| t.from == state && t.on == kind)
}
