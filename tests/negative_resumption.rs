//! Negative tests, resumption: only the very session resumes; a changed offer or answer gets a
//! full handshake, or is refused, and a fatal alert makes both sides forget the session.
//!
//! Everything runs in process over memory (sans-IO). Messages a test injects are built with the
//! generated wire types and framed with `wire::TLSPlaintext` (`common::records`). To reach the
//! states that read only protected records (after the peer's ChangeCipherSpec), the peer is
//! rustls with a key log (`common::rustls_peer`, `common::states`): its master secret gives both
//! directions' traffic keys (through spectls' own `prf::key_block`), so a test can seal records
//! as the peer would and open what spectls sends back, alerts included. The failure checks
//! (`check_error`, `failed_in_clear`, `failed_encrypted`, `receives_alert`) are in
//! `common::checks`.
//!
//! The negative tests are split by subject: `negative_certificates.rs`, `negative_tampering.rs`,
//! `negative_message_order.rs`, `negative_negotiation.rs`, `negative_robustness.rs`,
//! `negative_resumption.rs`.

mod common;

use common::*;
use spectls::codec::Encode;
use spectls::crypto::suites::lookup;
use spectls::pki::certs_from_pem;
use spectls::pki_types::ServerName;
use spectls::session::{
    ClientSessionMemoryCache, ClientSessionValue, NoServerSessionStorage, ServerSessionMemoryCache,
    Session, StoresClientSessions, StoresServerSessions, Ticketer,
};
use spectls::wire::{
    tls12::Handshake, AlertDescription as A, AlertLevel, CipherSuite, ClientHello, ContentType,
    Extension, ExtensionType, HandshakeType, HostName, ServerNameExtension, ServerNameList,
    SessionID, SessionTicket,
};
use spectls::{
    ClientConfig, ClientConnection, Error, PeerMisbehaved, ServerConfig, ServerConnection,
};
use std::io::Write;
use std::sync::Arc;
use std::time::Duration;

// ==========================================================================================
// Resumption only of the very session: a changed offer or answer is not a resumption
// ==========================================================================================

/// How a spectls server keeps its sessions.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Keeping {
    /// In its session-ID cache (the default).
    SessionId,
    /// In tickets only (no session-ID cache).
    Ticket,
}

fn session_server(keeping: Keeping) -> Arc<ServerConfig> {
    Arc::new(ecdsa_server_with(|b| match keeping {
        Keeping::SessionId => b,
        Keeping::Ticket => b
            .with_ticketer(Ticketer::new(Duration::from_secs(3600)).expect("ticketer"))
            .with_session_storage(Arc::new(NoServerSessionStorage)),
    }))
}

/// A spectls client that completed one full handshake with `server`, in a second connection
/// offering that session: the connection (its ClientHello drained), the ClientHello message, the
/// session ID it offers and the session's cipher suite.
fn offering_the_session(
    server: &Arc<ServerConfig>,
) -> (ClientConnection, Vec<u8>, Vec<u8>, CipherSuite) {
    let client = Arc::new(client_config());
    let name = || ServerName::try_from("localhost").expect("name");
    let mut c = ClientConnection::new(client.clone(), name()).expect("client");
    let mut s = ServerConnection::new(server.clone()).expect("server");
    handshake(&mut c, &mut s).expect("full handshake");
    assert!(!c.is_resumed() && !s.is_resumed());
    let suite = c.negotiated_cipher_suite().expect("suite");
    let mut c = ClientConnection::new(client, name()).expect("client");
    let hello = handshake_messages(&drain(&mut c)).remove(0);
    let offered = session_id_of(&hello);
    assert_eq!(offered.len(), 32, "the client offers its session");
    (c, hello, offered, suite)
}

/// Gives the server the (edited) ClientHello.
fn offer_edited(
    server: &Arc<ServerConfig>,
    hello: &[u8],
    edit: impl FnOnce(&mut ClientHello<'_>),
) -> (ServerConnection, Vec<u8>) {
    let Handshake::ClientHello(mut ch) = decode_hs(hello) else {
        panic!("not a ClientHello")
    };
    edit(&mut ch);
    let mut s = ServerConnection::new(server.clone()).expect("server");
    feed(&mut s, &hs_record(&Handshake::ClientHello(ch))).expect("ClientHello accepted");
    let flight = drain(&mut s);
    (s, flight)
}

/// The server answered with a full handshake: a session ID that is not the offered one (a
/// fresh one when it caches sessions by ID, none otherwise), then its Certificate.
#[track_caller]
fn full_handshake_answer(
    s: &ServerConnection,
    flight: &[u8],
    offered: &[u8],
    keeping: Keeping,
    what: &str,
) {
    assert!(
        split_records(flight)
            .iter()
            .all(|(t, _)| *t == ContentType::Handshake),
        "{keeping:?}, {what}: resumed (a ChangeCipherSpec follows) instead of a full handshake"
    );
    let msgs = handshake_messages(flight);
    let kinds = kinds_of(&msgs);
    assert_eq!(
        kinds[..2],
        [HandshakeType::ServerHello, HandshakeType::Certificate],
        "{keeping:?}, {what}: a full handshake"
    );
    assert_eq!(
        kinds.last(),
        Some(&HandshakeType::ServerHelloDone),
        "{keeping:?}, {what}"
    );
    let id = session_id_of(&msgs[0]);
    assert_ne!(
        id, offered,
        "{keeping:?}, {what}: the offered session is not resumed"
    );
    match keeping {
        Keeping::SessionId => assert_eq!(id.len(), 32, "{keeping:?}, {what}: a fresh ID"),
        Keeping::Ticket => assert!(id.is_empty(), "{keeping:?}, {what}: no ID without a cache"),
    }
    assert!(!s.is_resumed(), "{keeping:?}, {what}");
}

#[test]
fn changed_client_hello_gets_a_full_handshake_not_the_session() {
    for keeping in [Keeping::SessionId, Keeping::Ticket] {
        let server = session_server(keeping);
        let (_, hello, offered, suite) = offering_the_session(&server);

        // Control: the ClientHello as sent resumes the session.
        let (s, flight) = offer_edited(&server, &hello, |_| {});
        let recs = split_records(&flight);
        let ccs = recs
            .iter()
            .position(|(t, _)| *t == ContentType::ChangeCipherSpec)
            .expect("an abbreviated handshake");
        let before: Vec<u8> = recs[..ccs].iter().flat_map(|(_, r)| r.clone()).collect();
        let msgs = handshake_messages(&before);
        assert_eq!(session_id_of(&msgs[0]), offered, "{keeping:?}: echoed");
        assert!(s.is_resumed(), "{keeping:?}");
        assert_eq!(s.negotiated_cipher_suite(), Some(suite));

        // (a) Without extended_master_secret (RFC 7627 5.3): the session used it, so the
        // server "MUST abort the abbreviated handshake": handshake_failure, as OpenSSL does,
        // not a silent full handshake.
        let Handshake::ClientHello(mut ch) = decode_hs(&hello) else {
            panic!("not a ClientHello")
        };
        exts(&mut ch).retain(|e| e.selector() != ExtensionType::ExtendedMasterSecret);
        let mut s = ServerConnection::new(server.clone()).expect("server");
        let got = feed(&mut s, &hs_record(&Handshake::ClientHello(ch)));
        failed_in_clear(
            &mut s,
            got,
            Error::PeerMisbehaved(PeerMisbehaved::ExtendedMasterSecretMismatch {
                session_used_ems: true,
            }),
            A::HandshakeFailure,
        );

        // (b) Another server name, or none (RFC 6066 3): the session was made for localhost.
        let (s, flight) = offer_edited(&server, &hello, |ch| {
            for e in exts(ch).iter_mut() {
                if e.selector() == ExtensionType::ServerName {
                    *e = Extension::ServerName(ServerNameExtension::ClientHello(ServerNameList {
                        server_name_list: vec![spectls::wire::ServerName::HostName(HostName(
                            b"other.test",
                        ))],
                    }));
                }
            }
        });
        full_handshake_answer(&s, &flight, &offered, keeping, "other SNI");
        assert_eq!(s.server_name(), Some("other.test"));
        let (s, flight) = offer_edited(&server, &hello, |ch| {
            exts(ch).retain(|e| e.selector() != ExtensionType::ServerName)
        });
        full_handshake_answer(&s, &flight, &offered, keeping, "no SNI");
        assert_eq!(s.server_name(), None);

        // (c) Without the session's cipher suite (RFC 5246 7.4.1.2).
        let (s, flight) = offer_edited(&server, &hello, |ch| {
            ch.cipher_suites.retain(|c| *c != suite);
            assert!(!ch.cipher_suites.is_empty());
        });
        full_handshake_answer(&s, &flight, &offered, keeping, "no session suite");
        let chosen = s.negotiated_cipher_suite().expect("a suite");
        assert_ne!(chosen, suite);
    }
}

#[test]
fn client_hello_adding_ems_to_a_session_without_it_gets_a_full_handshake() {
    // The other direction of RFC 7627 5.3: a session made without EMS (put in the server's
    // cache, or sealed with its ticketer, directly), offered by a ClientHello with EMS.
    let suite = CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256;
    let session = Session {
        cipher_suite: suite,
        master_secret: [7; 48],
        extended_master_secret: false,
        server_name: None,
        created: spectls::internal::now(),
        peer_certificates: Vec::new(),
    };
    let id = [0x42u8; 32];
    for keeping in [Keeping::SessionId, Keeping::Ticket] {
        let cache = ServerSessionMemoryCache::new(4, Duration::from_secs(3600));
        let ticketer = Ticketer::new(Duration::from_secs(3600)).expect("ticketer");
        let ticket = session.seal(ticketer.as_ref()).expect("ticket");
        let server = Arc::new(ecdsa_server_with(|b| match keeping {
            Keeping::SessionId => {
                assert!(cache.put(id.to_vec(), session.clone()));
                b.with_session_storage(cache.clone())
            }
            Keeping::Ticket => b
                .with_ticketer(ticketer.clone())
                .with_session_storage(Arc::new(NoServerSessionStorage)),
        }));
        // The base ClientHello (no SNI, like the session) offering the session.
        let hello = {
            let mut ch = base_client_hello();
            ch.session_id = SessionID(&id);
            if keeping == Keeping::Ticket {
                exts(&mut ch).push(Extension::SessionTicket(SessionTicket { ticket: &ticket }));
            }
            Handshake::ClientHello(ch).to_vec()
        };
        let without_ems = |ch: &mut ClientHello<'_>| {
            exts(ch).retain(|e| e.selector() != ExtensionType::ExtendedMasterSecret)
        };
        // Control: without EMS, as the session was made, it resumes.
        let (s, flight) = offer_edited(&server, &hello, without_ems);
        let recs = split_records(&flight);
        assert_eq!(recs[0].0, ContentType::Handshake);
        let sh = handshake_messages(&recs[0].1).remove(0);
        assert_eq!(session_id_of(&sh), id, "{keeping:?}: echoed");
        assert!(s.is_resumed(), "{keeping:?}");
        assert!(recs
            .iter()
            .any(|(t, _)| *t == ContentType::ChangeCipherSpec));
        // With EMS: a full handshake.
        let (s, flight) = offer_edited(&server, &hello, |_| {});
        full_handshake_answer(&s, &flight, &id, keeping, "EMS added");
        assert!(s.extended_master_secret());
    }
}

/// A ServerHello that echoes `session_id`, choosing `suite`, with or without EMS.
fn resuming_server_hello(session_id: &[u8], suite: CipherSuite, ems: bool) -> Vec<u8> {
    server_hello_record(|sh| {
        sh.session_id = SessionID(session_id);
        sh.cipher_suite = suite;
        if !ems {
            sh.extensions
                .as_mut()
                .unwrap()
                .retain(|e| e.selector() != ExtensionType::ExtendedMasterSecret);
        }
    })
}

#[test]
fn resumption_answer_changing_the_session_is_refused() {
    for keeping in [Keeping::SessionId, Keeping::Ticket] {
        let server = session_server(keeping);

        // Control: the session's suite and EMS state resume it.
        let (mut c, _, offered, suite) = offering_the_session(&server);
        feed(&mut c, &resuming_server_hello(&offered, suite, true)).expect("resumed");
        assert!(c.is_resumed(), "{keeping:?}");
        assert_eq!(c.negotiated_cipher_suite(), Some(suite));

        // (a) Another cipher suite the client offered (RFC 5246 7.4.1.3: a resumed session
        // keeps its suite).
        let (mut c, hello, offered, suite) = offering_the_session(&server);
        let Handshake::ClientHello(ch) = decode_hs(&hello) else {
            panic!("not a ClientHello")
        };
        let other = *ch
            .cipher_suites
            .iter()
            .find(|s| **s != suite && lookup(**s).is_some())
            .expect("another offered suite");
        let got = feed(&mut c, &resuming_server_hello(&offered, other, true));
        failed_in_clear(
            &mut c,
            got,
            unoffered("cipher suite of the resumed session"),
            A::IllegalParameter,
        );

        // (b) The EMS state flipped (RFC 7627 5.3): the session used EMS, the answer does not.
        let (mut c, _, offered, suite) = offering_the_session(&server);
        let got = feed(&mut c, &resuming_server_hello(&offered, suite, false));
        failed_in_clear(
            &mut c,
            got,
            Error::PeerMisbehaved(PeerMisbehaved::ExtendedMasterSecretMismatch {
                session_used_ems: true,
            }),
            A::HandshakeFailure,
        );
    }
}

#[test]
fn resumption_answer_adding_ems_to_a_session_without_it_is_refused() {
    // The other direction of RFC 7627 5.3: a cached session made without EMS (put in the
    // client's cache directly), and a ServerHello resuming it with EMS.
    let suite = CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256;
    let session_id = [0x42u8; 32];
    let client = || {
        let cache = ClientSessionMemoryCache::new(4);
        cache.put(
            "localhost",
            ClientSessionValue {
                session_id: session_id.to_vec(),
                ticket: None,
                ticket_lifetime_hint: 0,
                session: Session {
                    cipher_suite: suite,
                    master_secret: [7; 48],
                    extended_master_secret: false,
                    server_name: Some("localhost".into()),
                    created: spectls::internal::now(),
                    peer_certificates: certs_from_pem(ECDSA_CHAIN).expect("chain"),
                },
            },
        );
        let mut c = ClientConnection::new(
            Arc::new(client_with(|b| b.with_session_storage(cache))),
            "localhost".try_into().unwrap(),
        )
        .expect("client");
        let hello = handshake_messages(&drain(&mut c)).remove(0);
        assert_eq!(
            session_id_of(&hello),
            session_id,
            "the cached session is offered"
        );
        c
    };
    // Control: the answer without EMS resumes it.
    let mut c = client();
    feed(&mut c, &resuming_server_hello(&session_id, suite, false)).expect("resumed");
    assert!(c.is_resumed());
    assert!(!c.extended_master_secret());

    let mut c = client();
    let got = feed(&mut c, &resuming_server_hello(&session_id, suite, true));
    failed_in_clear(
        &mut c,
        got,
        Error::PeerMisbehaved(PeerMisbehaved::ExtendedMasterSecretMismatch {
            session_used_ems: false,
        }),
        A::HandshakeFailure,
    );
}

/// What a new connection from `client` offers: its session ID and its ticket (empty if none).
fn next_offer(client: &Arc<ClientConfig>) -> (Vec<u8>, Vec<u8>) {
    let mut c =
        ClientConnection::new(client.clone(), "localhost".try_into().unwrap()).expect("client");
    let hello = handshake_messages(&drain(&mut c)).remove(0);
    let Handshake::ClientHello(ch) = decode_hs(&hello) else {
        panic!("not a ClientHello")
    };
    let ticket = ch
        .extensions
        .unwrap_or_default()
        .iter()
        .find_map(|e| match e {
            Extension::SessionTicket(t) => Some(t.ticket.to_vec()),
            _ => None,
        })
        .unwrap_or_default();
    (ch.session_id.0.to_vec(), ticket)
}

#[test]
fn client_forgets_a_session_after_a_fatal_alert() {
    // RFC 5246 7.2: "Servers and clients MUST forget any session-identifiers, keys, and secrets
    // associated with a failed connection. Thus, any connection terminated with a fatal alert
    // MUST NOT be resumed."
    for keeping in [Keeping::SessionId, Keeping::Ticket] {
        let server = session_server(keeping);
        let client = Arc::new(client_config());
        let resumable = || {
            let mut c = ClientConnection::new(client.clone(), "localhost".try_into().unwrap())
                .expect("client");
            let mut s = ServerConnection::new(server.clone()).expect("server");
            handshake(&mut c, &mut s).expect("handshake");
            let (id, ticket) = next_offer(&client);
            assert!(!id.is_empty(), "{keeping:?}: the session is offered");
            assert_eq!(ticket.is_empty(), keeping == Keeping::SessionId);
            (c, s)
        };
        let forgotten = |what: &str| {
            let (id, ticket) = next_offer(&client);
            assert!(
                id.is_empty() && ticket.is_empty(),
                "{keeping:?}, {what}: the session is offered again"
            );
        };

        // The client refuses a resuming ServerHello (sends a fatal alert).
        let suite = resumable().0.negotiated_cipher_suite().expect("suite");
        let mut c =
            ClientConnection::new(client.clone(), "localhost".try_into().unwrap()).expect("client");
        let offered = session_id_of(&handshake_messages(&drain(&mut c))[0]);
        let got = feed(&mut c, &resuming_server_hello(&offered, suite, false));
        assert_eq!(
            got.unwrap_err(),
            Error::PeerMisbehaved(PeerMisbehaved::ExtendedMasterSecretMismatch {
                session_used_ems: true
            })
        );
        forgotten("after sending an alert in the resumed handshake");

        // The client receives a fatal alert in answer to its resuming ClientHello.
        resumable();
        let mut c =
            ClientConnection::new(client.clone(), "localhost".try_into().unwrap()).expect("client");
        drain(&mut c);
        let alert = frame(
            ContentType::Alert,
            &alert_payload(AlertLevel::Fatal, A::HandshakeFailure),
        );
        feed(&mut c, &alert).expect_err("fatal alert");
        forgotten("after receiving a fatal alert");

        // A connection that completed, then failed (a tampered record).
        let (mut c, mut s) = resumable();
        s.writer().write_all(b"data").unwrap();
        let mut record = drain(&mut s);
        let last = record.len() - 1;
        record[last] ^= 1;
        feed(&mut c, &record).expect_err("bad_record_mac");
        forgotten("after a fatal alert on application data");
    }
}

#[test]
fn server_forgets_a_session_after_a_fatal_alert() {
    let server = session_server(Keeping::SessionId);
    let client = Arc::new(client_config());
    let full = || {
        let mut c =
            ClientConnection::new(client.clone(), "localhost".try_into().unwrap()).expect("client");
        let mut s = ServerConnection::new(server.clone()).expect("server");
        handshake(&mut c, &mut s).expect("handshake");
        (c, s)
    };
    // The ClientHello offering the session: while the session is resumable the server resumes
    // it; once forgotten, the same ClientHello gets a full handshake.
    let offering = || {
        let mut c =
            ClientConnection::new(client.clone(), "localhost".try_into().unwrap()).expect("client");
        let hello = handshake_messages(&drain(&mut c)).remove(0);
        (c, hello)
    };
    let resumes = |hello: &[u8]| offer_edited(&server, hello, |_| {}).0.is_resumed();

    // A resumed handshake failing at the client's Finished (tampered: bad_record_mac).
    full();
    let (mut c, hello) = offering();
    assert!(resumes(&hello), "control: the session resumes");
    let mut s = ServerConnection::new(server.clone()).expect("server");
    feed(&mut s, &frame(ContentType::Handshake, &hello)).expect("ClientHello");
    assert!(s.is_resumed());
    feed(&mut c, &drain(&mut s)).expect("ServerHello, ChangeCipherSpec, Finished");
    let mut finished = drain(&mut c);
    let last = finished.len() - 1;
    finished[last] ^= 1;
    feed(&mut s, &finished).expect_err("bad_record_mac");
    let offered = session_id_of(&hello);
    let (s, flight) = offer_edited(&server, &hello, |_| {});
    full_handshake_answer(
        &s,
        &flight,
        &offered,
        Keeping::SessionId,
        "after a failed resumed handshake",
    );

    // A connection that completed, then failed (a tampered record from the client).
    let (mut c, mut s) = full();
    let (_, hello) = offering();
    assert!(resumes(&hello), "control: the session resumes");
    c.writer().write_all(b"data").unwrap();
    let mut record = drain(&mut c);
    let last = record.len() - 1;
    record[last] ^= 1;
    feed(&mut s, &record).expect_err("bad_record_mac");
    let offered = session_id_of(&hello);
    let (s, flight) = offer_edited(&server, &hello, |_| {});
    full_handshake_answer(
        &s,
        &flight,
        &offered,
        Keeping::SessionId,
        "after a fatal alert on application data",
    );
}
