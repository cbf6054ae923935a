//! Issue 4 features end to end in memory: resumption by session ID and by ticket (and every
//! reason to fall back to a full handshake), client authentication, certificate selection by
//! SNI, OCSP stapling and key logging.

mod common;

use common::*;
use spectls::crypto::suites;
use spectls::keylog::KeyLog;
use spectls::pki::{CertifiedKey, ResolvesServerCertUsingSni};
use spectls::session::{ClientSessionMemoryCache, ProducesTickets, StoresClientSessions, Ticketer};
use spectls::{
    CertificateError, ClientConfig, ClientConnection, Error, ServerConfig, ServerConnection,
};
use std::io::{Read, Write};
use std::sync::{Arc, Mutex};
use std::time::Duration;

fn connect(
    client: &Arc<ClientConfig>,
    server: &Arc<ServerConfig>,
) -> (ClientConnection, ServerConnection) {
    let mut c = ClientConnection::new(client.clone(), "localhost".try_into().unwrap()).unwrap();
    let mut s = ServerConnection::new(server.clone()).unwrap();
    handshake(&mut c, &mut s).unwrap();
    // Data flows both ways on every connection, resumed or not.
    c.writer().write_all(b"ping").unwrap();
    transfer(&mut c, &mut s).unwrap();
    let mut buf = [0u8; 4];
    s.reader().read_exact(&mut buf).unwrap();
    assert_eq!(&buf, b"ping");
    (c, s)
}

fn client(tickets: bool) -> Arc<ClientConfig> {
    Arc::new(
        ClientConfig::builder()
            .with_root_certificates(roots())
            .with_session_storage(ClientSessionMemoryCache::new(8))
            .enable_tickets(tickets)
            .build()
            .unwrap(),
    )
}

#[test]
fn session_id_resumption() {
    let client = client(false);
    let server = Arc::new(server_builder(false).build().unwrap());
    let (c1, _) = connect(&client, &server);
    assert!(!c1.is_resumed());
    let (c2, s2) = connect(&client, &server);
    assert!(c2.is_resumed() && s2.is_resumed());
    assert_eq!(c2.negotiated_cipher_suite(), c1.negotiated_cipher_suite());
    assert!(c2.extended_master_secret());
    // The resumed session still knows the server's chain.
    assert_eq!(c2.peer_certificates().map(|p| p.len()), Some(2));
}

#[test]
fn ticket_resumption() {
    let client = client(true);
    let server = Arc::new(
        server_builder(false)
            .with_ticketer(Ticketer::new(Duration::from_secs(3600)).unwrap())
            .with_session_storage(Arc::new(spectls::session::NoServerSessionStorage))
            .build()
            .unwrap(),
    );
    let (c1, _) = connect(&client, &server);
    assert!(!c1.is_resumed());
    let (c2, s2) = connect(&client, &server);
    assert!(c2.is_resumed() && s2.is_resumed(), "resumed by ticket");
    let (c3, _) = connect(&client, &server);
    assert!(
        c3.is_resumed(),
        "the fresh ticket from the resumed handshake works too"
    );
}

#[test]
fn a_ticket_past_its_lifetime_hint_is_deleted_not_offered() {
    let storage = ClientSessionMemoryCache::new(8);
    let client = Arc::new(
        ClientConfig::builder()
            .with_root_certificates(roots())
            .with_session_storage(storage.clone())
            .build()
            .unwrap(),
    );
    let server = Arc::new(
        server_builder(false)
            .with_ticketer(Ticketer::new(Duration::from_secs(3600)).unwrap())
            .with_session_storage(Arc::new(spectls::session::NoServerSessionStorage))
            .build()
            .unwrap(),
    );
    connect(&client, &server);
    let fresh = storage.get("localhost").expect("ticket kept");
    assert_eq!(fresh.ticket_lifetime_hint, 3600, "the server's hint");
    let now = spectls::internal::now();
    assert!(
        now - fresh.session.created < 60,
        "counted from when it arrived"
    );
    // (age, hint) -> resumed?
    for (age, hint, resumes) in [
        (3599, 3600, true),
        (3600, 3600, false),
        (10, 5, false),
        (1 << 30, 0, true),
    ] {
        let mut value = fresh.clone();
        value.ticket_lifetime_hint = hint;
        value.session.created = now - age;
        storage.put("localhost", value);
        let (c, s) = connect(&client, &server);
        assert_eq!(
            (c.is_resumed(), s.is_resumed()),
            (resumes, resumes),
            "age {age} hint {hint}"
        );
        // Either way the handshake leaves a fresh ticket behind.
        let kept = storage.get("localhost").expect("a new session");
        assert!(spectls::internal::now() - kept.session.created < 60);
    }
    // A stale one is deleted even when the handshake then fails to store a new one.
    let mut stale = fresh.clone();
    stale.session.created = now - 7200;
    storage.put("localhost", stale);
    let _offering_nothing =
        ClientConnection::new(client.clone(), "localhost".try_into().unwrap()).unwrap();
    assert_eq!(
        storage.get("localhost"),
        None,
        "deleted when the ClientHello was built"
    );
}

/// A ticketer that damages what another one seals, or seals under a key nobody knows.
#[derive(Debug)]
struct Broken {
    inner: Arc<Ticketer>,
    tamper: bool,
}

impl ProducesTickets for Broken {
    fn enabled(&self) -> bool {
        true
    }
    fn lifetime(&self) -> u32 {
        self.inner.lifetime()
    }
    fn encrypt(&self, plain: &[u8]) -> Option<Vec<u8>> {
        let mut t = self.inner.encrypt(plain)?;
        if self.tamper {
            let last = t.len() - 1;
            t[last] ^= 1;
        }
        Some(t)
    }
    fn decrypt(&self, ticket: &[u8]) -> Option<Vec<u8>> {
        self.inner.decrypt(ticket)
    }
}

#[test]
fn bad_tickets_fall_back_to_a_full_handshake() {
    let no_ids = || Arc::new(spectls::session::NoServerSessionStorage);
    // Tampered ticket.
    let client1 = client(true);
    let tampering = Arc::new(
        server_builder(false)
            .with_ticketer(Arc::new(Broken {
                inner: Ticketer::new(Duration::from_secs(60)).unwrap(),
                tamper: true,
            }))
            .with_session_storage(no_ids())
            .build()
            .unwrap(),
    );
    connect(&client1, &tampering);
    let (c, s) = connect(&client1, &tampering);
    assert!(!c.is_resumed() && !s.is_resumed(), "tampered ticket");
    // A ticket from another server's key.
    let client2 = client(true);
    let a = Arc::new(
        server_builder(false)
            .with_ticketer(Ticketer::new(Duration::from_secs(60)).unwrap())
            .with_session_storage(no_ids())
            .build()
            .unwrap(),
    );
    let b = Arc::new(
        server_builder(false)
            .with_ticketer(Ticketer::new(Duration::from_secs(60)).unwrap())
            .with_session_storage(no_ids())
            .build()
            .unwrap(),
    );
    connect(&client2, &a);
    let (c, _) = connect(&client2, &b);
    assert!(!c.is_resumed(), "ticket from another key");
    // An expired session (lifetime 0).
    let client3 = client(true);
    let expiring = Arc::new(
        server_builder(false)
            .with_ticketer(Ticketer::new(Duration::from_secs(60)).unwrap())
            .with_session_lifetime(Duration::ZERO)
            .with_session_storage(no_ids())
            .build()
            .unwrap(),
    );
    connect(&client3, &expiring);
    std::thread::sleep(Duration::from_millis(1100));
    let (c, _) = connect(&client3, &expiring);
    assert!(!c.is_resumed(), "expired ticket");
}

#[test]
fn a_session_with_another_suite_is_not_resumed() {
    let storage = ClientSessionMemoryCache::new(8);
    let with = |suite: &'static suites::SupportedCipherSuite| {
        Arc::new(
            ClientConfig::builder()
                .with_root_certificates(roots())
                .with_session_storage(storage.clone())
                .with_cipher_suites(&[suite])
                .build()
                .unwrap(),
        )
    };
    let server = Arc::new(server_builder(false).build().unwrap());
    connect(
        &with(&suites::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256),
        &server,
    );
    let (c, _) = connect(
        &with(&suites::TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256),
        &server,
    );
    assert!(!c.is_resumed());
    assert_eq!(
        c.negotiated_cipher_suite(),
        Some(spectls::wire::CipherSuite::TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256)
    );
}

#[test]
fn client_authentication() {
    let (chain, key, client_roots) = client_identity();
    let with_cert = Arc::new(
        ClientConfig::builder()
            .with_root_certificates(roots())
            .with_client_auth_cert(chain.clone(), key)
            .unwrap()
            .build()
            .unwrap(),
    );
    let without = Arc::new(client_config());
    for optional in [false, true] {
        let server = Arc::new(
            server_builder(false)
                .with_client_cert_verifier(client_verifier(client_roots.clone(), optional))
                .build()
                .unwrap(),
        );
        let (_, s) = connect(&with_cert, &server);
        assert_eq!(
            s.peer_certificates().map(|p| p.to_vec()),
            Some(chain.clone()),
            "verified identity"
        );
        let mut c =
            ClientConnection::new(without.clone(), "localhost".try_into().unwrap()).unwrap();
        let mut s = ServerConnection::new(server.clone()).unwrap();
        let result = handshake(&mut c, &mut s);
        if optional {
            result.unwrap();
            assert!(s.peer_certificates().is_none(), "anonymous client");
        } else {
            assert_eq!(
                result.unwrap_err(),
                Error::InvalidCertificate(CertificateError::NoCertificate)
            );
        }
    }
    // A client certificate from a CA the server does not trust is rejected.
    let server = Arc::new(
        server_builder(false)
            .with_client_cert_verifier(client_verifier(roots(), false))
            .build()
            .unwrap(),
    );
    let mut c = ClientConnection::new(with_cert.clone(), "localhost".try_into().unwrap()).unwrap();
    let mut s = ServerConnection::new(server).unwrap();
    assert_eq!(
        handshake(&mut c, &mut s).unwrap_err(),
        Error::InvalidCertificate(CertificateError::UnknownIssuer)
    );
}

#[test]
fn certificate_chosen_by_sni() {
    let mk = |name: &str| {
        let key = rcgen::KeyPair::generate().unwrap();
        let cert = rcgen::CertificateParams::new(vec![name.to_string()])
            .unwrap()
            .self_signed(&key)
            .unwrap();
        (cert.der().clone(), key)
    };
    let (a_cert, a_key) = mk("a.test");
    let (b_cert, b_key) = mk("b.test");
    let mut resolver = ResolvesServerCertUsingSni::new();
    let ck = |c: &spectls::pki_types::CertificateDer<'static>, k: &rcgen::KeyPair| {
        CertifiedKey::from_der(
            vec![c.clone()],
            spectls::pki_types::PrivateKeyDer::Pkcs8(k.serialize_der().into()),
        )
        .unwrap()
    };
    resolver.add("a.test", ck(&a_cert, &a_key)).unwrap();
    resolver.add("b.test", ck(&b_cert, &b_key)).unwrap();
    let server = Arc::new(
        ServerConfig::builder()
            .with_cert_resolver(Arc::new(resolver))
            .build()
            .unwrap(),
    );
    for (name, cert) in [("a.test", &a_cert), ("b.test", &b_cert)] {
        let mut roots = spectls::pki::RootCertStore::empty();
        roots.add(cert.clone()).unwrap();
        let config = Arc::new(
            ClientConfig::builder()
                .with_root_certificates(roots)
                .build()
                .unwrap(),
        );
        let mut c = ClientConnection::new(config, name.try_into().unwrap()).unwrap();
        let mut s = ServerConnection::new(server.clone()).unwrap();
        handshake(&mut c, &mut s).unwrap();
        assert_eq!(c.peer_certificates().unwrap()[0], *cert);
        assert_eq!(s.server_name(), Some(name));
    }
    // No certificate for the name: unrecognized_name.
    let config = Arc::new(client_config());
    let mut c = ClientConnection::new(config, "localhost".try_into().unwrap()).unwrap();
    let mut s = ServerConnection::new(server).unwrap();
    let err = handshake(&mut c, &mut s).unwrap_err();
    assert_eq!(
        err.alert(),
        Some(spectls::wire::AlertDescription::UnrecognizedName)
    );
}

#[test]
fn ocsp_response_is_stapled_and_exposed() {
    let ocsp = OCSP_ECDSA.to_vec();
    let server = Arc::new(ocsp_server());
    let (c, _) = connect(&Arc::new(client_config()), &server);
    assert_eq!(c.ocsp_response(), Some(&ocsp[..]));
    // Without a configured response nothing is stapled.
    let (c, _) = connect(&Arc::new(client_config()), &Arc::new(server_config(false)));
    assert_eq!(c.ocsp_response(), None);
}

/// One key log line: label, client random, secret.
type Logged = (String, Vec<u8>, Vec<u8>);

/// Collects what a connection logs.
#[derive(Debug, Default)]
struct Collect(Mutex<Vec<Logged>>);

impl KeyLog for Collect {
    fn log(&self, label: &str, client_random: &[u8], secret: &[u8]) {
        self.0
            .lock()
            .unwrap()
            .push((label.to_string(), client_random.to_vec(), secret.to_vec()));
    }
}

#[test]
fn key_log_secret_decrypts_the_session() {
    use spectls::codec::{Codec, Reader};
    use spectls::internal::cipher::RecordDecrypter;
    use spectls::wire::{ContentType, TLSPlaintext};
    let log = Arc::new(Collect::default());
    let client = Arc::new(
        ClientConfig::builder()
            .with_root_certificates(roots())
            .with_key_log(log.clone())
            .build()
            .unwrap(),
    );
    let mut c = ClientConnection::new(client, "localhost".try_into().unwrap()).unwrap();
    let mut s = ServerConnection::new(Arc::new(server_config(false))).unwrap();
    // Record the server's flight to learn its random.
    let hello = drain(&mut c);
    feed(&mut s, &hello).unwrap();
    let flight = drain(&mut s);
    feed(&mut c, &flight).unwrap();
    handshake(&mut c, &mut s).unwrap();
    c.writer().write_all(b"secret message").unwrap();
    let wire = drain(&mut c);
    let logged = log.0.lock().unwrap().clone();
    assert_eq!(logged.len(), 1);
    let (label, client_random, master) = &logged[0];
    assert_eq!(label, "CLIENT_RANDOM");
    assert_eq!(
        &hello[11..43],
        &client_random[..],
        "the ClientHello's random"
    );
    let server_random: [u8; 32] = flight[11..43].try_into().unwrap();
    let master: [u8; 48] = master[..].try_into().unwrap();
    let suite = suites::lookup(c.negotiated_cipher_suite().unwrap()).unwrap();
    let keys = spectls::internal::prf::key_block(
        suite,
        &master,
        client_random[..].try_into().unwrap(),
        &server_random,
    );
    let dec =
        RecordDecrypter::new(suite.aead, &keys.client_write_key, &keys.client_write_iv).unwrap();
    let mut r = Reader::new(&wire);
    let rec = TLSPlaintext::decode(&mut r).unwrap();
    assert_eq!(rec.type_, ContentType::ApplicationData);
    let mut fragment = rec.fragment.to_vec();
    // Sequence 1: the client's Finished was record 0 under these keys.
    let plain = dec
        .open(1, ContentType::ApplicationData, rec.version, &mut fragment)
        .unwrap();
    assert_eq!(plain, b"secret message");
}
