//! What the spectls fuzz targets share: configurations from the committed test certificates,
//! record framing, and a driver that feeds bytes to a connection through the public sans-IO API
//! (`read_tls` from a slice, `process_new_packets`, `write_tls`, `reader()`/`writer()`).
//!
//! Nothing here decides anything about TLS: it only moves bytes, so a panic in a target is a
//! panic in spectls (or a broken property asserted by the target).

use spectls::codec::{Codec, Encode, Reader};
use spectls::pki::RootCertStore;
use spectls::pki::{certs_from_pem, private_key_from_pem};
use spectls::wire::{ContentType, ProtocolVersion, TLSPlaintext};
use spectls::{
    ClientConfig, ClientConnection, ConnectionCommon, Error, ServerConfig, ServerConnection,
};
use std::io::{self, Read, Write};
use std::sync::{Arc, OnceLock};

pub mod stream;
pub mod targets;

/// The test CA (`tests/data/certs/ca.pem`); it also issued the fuzz client certificate.
pub const CA: &[u8] = include_bytes!("../../tests/data/certs/ca.pem");
/// The ECDSA P-256 leaf + CA chain for `localhost`.
pub const ECDSA_CHAIN: &[u8] = include_bytes!("../../tests/data/certs/server-ecdsa.pem");
/// Its key.
pub const ECDSA_KEY: &[u8] = include_bytes!("../../tests/data/certs/server-ecdsa.key");
/// A DER OCSP response for the ECDSA leaf, stapled by the fuzz servers.
pub const ECDSA_OCSP: &[u8] = include_bytes!("../../tests/data/certs/ocsp-ecdsa.der");
/// A client certificate (clientAuth) + CA chain issued by the test CA (`data/README.md`).
pub const CLIENT_CHAIN: &[u8] = include_bytes!("../data/client.pem");
/// Its key.
pub const CLIENT_KEY: &[u8] = include_bytes!("../data/client.key");

/// Session stores that hold at most one entry and never change after it is set: fuzz
/// executions must not depend on what earlier executions did, and spectls removes sessions after
/// fatal alerts (which most executions end with).
pub mod stores {
    use spectls::session::{
        ClientSessionValue, Session, StoresClientSessions, StoresServerSessions, Tls13Ticket,
    };
    use std::sync::{Mutex, OnceLock};

    /// A client store that always offers `value` (or nothing) and ignores updates.
    #[derive(Debug, Default)]
    pub struct FixedClientSessions(pub Option<ClientSessionValue>);

    impl StoresClientSessions for FixedClientSessions {
        fn put(&self, _server_name: &str, _value: ClientSessionValue) {}
        fn get(&self, _server_name: &str) -> Option<ClientSessionValue> {
            self.0.clone()
        }
        fn remove(&self, _server_name: &str) {}
    }

    /// A client store that keeps the first session put into it (to capture one), then is fixed.
    #[derive(Debug, Default)]
    pub struct FirstClientSession(pub OnceLock<ClientSessionValue>);

    impl StoresClientSessions for FirstClientSession {
        fn put(&self, _server_name: &str, value: ClientSessionValue) {
            let _ = self.0.set(value);
        }
        fn get(&self, _server_name: &str) -> Option<ClientSessionValue> {
            self.0.get().cloned()
        }
        fn remove(&self, _server_name: &str) {}
    }

    /// A client store that hands out the same TLS 1.3 ticket (or nothing) on every
    /// `take_tls13` and ignores updates: a real store gives a ticket out once (RFC 8446 C.4),
    /// which would make every execution after the first a full handshake. It has no TLS 1.2
    /// session.
    #[derive(Debug, Default)]
    pub struct FixedTls13Ticket(pub Option<Tls13Ticket>);

    impl StoresClientSessions for FixedTls13Ticket {
        fn put(&self, _server_name: &str, _value: ClientSessionValue) {}
        fn get(&self, _server_name: &str) -> Option<ClientSessionValue> {
            None
        }
        fn remove(&self, _server_name: &str) {}
        fn put_tls13(&self, _server_name: &str, _ticket: Tls13Ticket) {}
        fn take_tls13(&self, _server_name: &str) -> Option<Tls13Ticket> {
            self.0.clone()
        }
    }

    /// A client store that keeps the first TLS 1.3 ticket put into it (to capture one), then is
    /// fixed; it offers nothing itself.
    #[derive(Debug, Default)]
    pub struct FirstTls13Ticket(pub OnceLock<Tls13Ticket>);

    impl StoresClientSessions for FirstTls13Ticket {
        fn put(&self, _server_name: &str, _value: ClientSessionValue) {}
        fn get(&self, _server_name: &str) -> Option<ClientSessionValue> {
            None
        }
        fn remove(&self, _server_name: &str) {}
        fn put_tls13(&self, _server_name: &str, ticket: Tls13Ticket) {
            let _ = self.0.set(ticket);
        }
    }

    /// A server store that keeps the first session put into it, then is fixed (session IDs are
    /// random 32-byte values: no fuzz input finds it except a genuine resumption).
    #[derive(Debug, Default)]
    pub struct FirstServerSession(pub Mutex<Option<(Vec<u8>, Session)>>);

    impl StoresServerSessions for FirstServerSession {
        fn put(&self, id: Vec<u8>, value: Session) -> bool {
            let mut slot = self.0.lock().unwrap_or_else(|p| p.into_inner());
            if slot.is_none() {
                *slot = Some((id, value));
            }
            true
        }
        fn get(&self, id: &[u8]) -> Option<Session> {
            let slot = self.0.lock().unwrap_or_else(|p| p.into_inner());
            slot.as_ref()
                .filter(|(i, _)| i == id)
                .map(|(_, s)| s.clone())
        }
        fn remove(&self, _id: &[u8]) {}
    }
}

fn roots() -> Arc<RootCertStore> {
    Arc::new(RootCertStore::from_pem(CA).expect("test CA"))
}

/// A client trusting the test CA, offering ALPN `h2`, `http/1.1`, tickets and OCSP stapling
/// (the defaults), with the fuzz client certificate if `with_cert`, and a session store that is
/// empty (or `session`) for good.
pub fn make_client_config(
    with_cert: bool,
    store: Arc<dyn spectls::session::StoresClientSessions>,
    versions: &[ProtocolVersion],
) -> Arc<ClientConfig> {
    let mut b = ClientConfig::builder()
        .with_root_certificates(roots())
        .with_protocol_versions(versions)
        .with_alpn_protocols(vec![b"h2".to_vec(), b"http/1.1".to_vec()])
        .with_session_storage(store);
    if with_cert {
        b = b
            .with_client_auth_cert(
                certs_from_pem(CLIENT_CHAIN).expect("client chain"),
                private_key_from_pem(CLIENT_KEY).expect("client key"),
            )
            .expect("client certificate");
    }
    Arc::new(b.build().expect("client config"))
}

/// `client_config(false)` offering `groups` (a key share for the first; for a post-quantum
/// hybrid first, an X25519 one too): the hybrid-group seeds of `examples/make_seeds.rs`.
pub fn client_config_with_groups(groups: &[spectls::wire::NamedCurve]) -> Arc<ClientConfig> {
    Arc::new(
        ClientConfig::builder()
            .with_root_certificates(roots())
            .with_alpn_protocols(vec![b"h2".to_vec(), b"http/1.1".to_vec()])
            .with_groups(groups)
            .build()
            .expect("client config"),
    )
}

/// The fuzz client: no client certificate (`with_cert` false) or the fuzz one; no sessions;
/// TLS 1.3 and 1.2 offered (the defaults).
pub fn client_config(with_cert: bool) -> Arc<ClientConfig> {
    static C: [OnceLock<Arc<ClientConfig>>; 2] = [OnceLock::new(), OnceLock::new()];
    C[with_cert as usize]
        .get_or_init(|| {
            make_client_config(
                with_cert,
                Arc::new(stores::FixedClientSessions(None)),
                &[spectls::version::TLS13, spectls::version::TLS12],
            )
        })
        .clone()
}

/// `client_config`, offering only TLS 1.3 (`tls13`) or only TLS 1.2: the targets that replay a
/// genuine handshake pick its version with a mode bit.
pub fn client_config_for(with_cert: bool, tls13: bool) -> Arc<ClientConfig> {
    static C: [OnceLock<Arc<ClientConfig>>; 4] = [
        OnceLock::new(),
        OnceLock::new(),
        OnceLock::new(),
        OnceLock::new(),
    ];
    let version = if tls13 {
        spectls::version::TLS13
    } else {
        spectls::version::TLS12
    };
    C[with_cert as usize + 2 * tls13 as usize]
        .get_or_init(|| {
            make_client_config(
                with_cert,
                Arc::new(stores::FixedClientSessions(None)),
                &[version],
            )
        })
        .clone()
}

/// The tickets every fuzz server in this process seals and opens.
pub fn ticketer() -> Arc<dyn spectls::session::ProducesTickets> {
    static T: OnceLock<Arc<spectls::session::Ticketer>> = OnceLock::new();
    T.get_or_init(|| {
        spectls::session::Ticketer::new(std::time::Duration::from_secs(86400)).expect("ticketer")
    })
    .clone()
}

/// The fuzz server: the ECDSA test certificate with its OCSP response stapled, all suites and
/// groups, ALPN `http/1.1`, tickets, session-ID resumption (a store fixed after its first
/// session), and client authentication offered but optional (client certificates verified
/// against the test CA).
///
/// ECDSA, not RSA: a ClientHello the server accepts costs one signature per execution, and a
/// P-256 signature is ~20x cheaper than an RSA-2048 one.
pub fn server_config() -> Arc<ServerConfig> {
    static S: OnceLock<Arc<ServerConfig>> = OnceLock::new();
    S.get_or_init(|| make_server_config(|b| b)).clone()
}

/// `server_config()`'s settings, then `edit`'s.
pub fn make_server_config(
    edit: impl FnOnce(spectls::ServerConfigBuilder) -> spectls::ServerConfigBuilder,
) -> Arc<ServerConfig> {
    let verifier = spectls::pki::WebPkiClientVerifier::builder(roots())
        .allow_unauthenticated()
        .build()
        .expect("client verifier");
    let builder = ServerConfig::builder()
        .with_single_cert_with_ocsp(
            certs_from_pem(ECDSA_CHAIN).expect("chain"),
            private_key_from_pem(ECDSA_KEY).expect("key"),
            ECDSA_OCSP.to_vec(),
        )
        .expect("certificate")
        .with_alpn_protocols(vec![b"http/1.1".to_vec()])
        .with_client_cert_verifier(verifier)
        .with_ticketer(ticketer())
        .with_session_storage(Arc::new(stores::FirstServerSession::default()));
    Arc::new(edit(builder).build().expect("server config"))
}

/// The most 0-RTT data the `resumption` target's 0-RTT servers take (their tickets' and
/// configs' max_early_data_size).
pub const MAX_EARLY_DATA: u32 = 4096;

/// The fuzz server for TLS 1.3 resumption: `server_config()` (`psk_ke` and `early` false), or
/// the same resuming with the PSK alone when the client allows it (`psk_ke`) and/or taking 0-RTT
/// data (`early`: `with_early_data(MAX_EARLY_DATA)`, and a replay record that accepts every
/// hello, see below). Each config is made once per process; all share `ticketer()`, so any of
/// them opens a ticket another sealed.
pub fn resumption13_server_config(psk_ke: bool, early: bool) -> Arc<ServerConfig> {
    static S: [OnceLock<Arc<ServerConfig>>; 3] = [const { OnceLock::new() }; 3];
    let i = match (psk_ke, early) {
        (false, false) => return server_config(),
        (true, false) => 0,
        (false, true) => 1,
        (true, true) => 2,
    };
    S[i].get_or_init(|| {
        make_server_config(|mut b| {
            if psk_ke {
                b = b.enable_psk_ke(true);
            }
            if early {
                // `AntiReplay::check_and_record` first drops every hello whose time is up
                // (recorded at `t` with window `w`: dropped once the monotonic clock reads
                // `t + w` or later), then refuses a hello it still holds or when it holds
                // `capacity`. With a zero window a hello is dropped at the very next check
                // (the clock never goes back), so every check finds the record empty and
                // accepts: capacity 1 is enough, and whether an execution's early data is
                // accepted never depends on earlier executions, nor on how fast they come (the
                // default, 20 s and 100,000 hellos, holds every hello of the last 20 s and
                // refuses all 0-RTT data past 5,000 executions a second). Nothing is hidden
                // from the fuzzer by this: the ClientHello is always a genuine, fresh one (a
                // fresh random, so a fresh binder), so no execution replays one anyway.
                b = b.with_early_data(MAX_EARLY_DATA).with_anti_replay(Arc::new(
                    spectls::session::AntiReplay::new(std::time::Duration::ZERO, 1),
                ));
            }
            b
        })
    })
    .clone()
}

/// A fresh client connection to `localhost` (its ClientHello is queued, not yet written).
pub fn new_client_with(config: Arc<ClientConfig>) -> ClientConnection {
    ClientConnection::new(config, "localhost".try_into().expect("name")).expect("client")
}

/// A fresh client connection without a client certificate.
pub fn new_client() -> ClientConnection {
    new_client_with(client_config(false))
}

/// A fresh server connection.
pub fn new_server() -> ServerConnection {
    ServerConnection::new(server_config()).expect("server")
}

/// Everything the connection wants to write.
pub fn drain(conn: &mut ConnectionCommon) -> Vec<u8> {
    let mut out = Vec::new();
    // write_tls to a Vec never fails and always makes progress; bound it anyway.
    for _ in 0..1024 {
        if !conn.wants_write() {
            break;
        }
        match conn.write_tls(&mut out) {
            Ok(0) | Err(_) => break,
            Ok(_) => {}
        }
    }
    out
}

/// An `io::Read` over a slice that hands out at most `chunk` bytes per call.
pub struct Chunked<'a> {
    /// What is left to read.
    pub data: &'a [u8],
    /// The largest read (at least 1).
    pub chunk: usize,
}

impl Read for Chunked<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = buf.len().min(self.data.len()).min(self.chunk.max(1));
        buf[..n].copy_from_slice(&self.data[..n]);
        self.data = &self.data[n..];
        Ok(n)
    }
}

/// Feeds `input` to `conn` in reads of at most `chunk` bytes, calling `process_new_packets` after
/// each, until the input is used up or processing fails. Checks the sans-IO contract on the way:
/// errors are sticky (the same error again) and the receive buffer always drains.
pub fn feed(conn: &mut ConnectionCommon, input: &[u8], chunk: usize) -> Result<(), Error> {
    let mut rd = Chunked { data: input, chunk };
    let mut stuck = 0;
    while !rd.data.is_empty() {
        match conn.read_tls(&mut rd) {
            // The peer closed (close_notify): nothing more is taken in.
            Ok(0) => break,
            Ok(_) => stuck = 0,
            // Plaintext buffer full (64 KiB unread): read it, as an application would.
            Err(_)
                if conn
                    .process_new_packets()
                    .is_ok_and(|s| s.plaintext_bytes_to_read > 0) =>
            {
                let mut sink = [0u8; 16384];
                while matches!(conn.reader().read(&mut sink), Ok(n) if n > 0) {}
            }
            // Receive buffer full: processing must make room.
            Err(_) => {
                stuck += 1;
                assert!(
                    stuck < 3,
                    "read_tls keeps refusing input but process_new_packets frees nothing"
                );
            }
        }
        if let Err(e) = conn.process_new_packets() {
            check_error(conn, &e);
            return Err(e);
        }
        check_progress(conn, "after read_tls + process_new_packets");
    }
    Ok(())
}

/// The progress invariant, after any input that `process_new_packets` (or `read_tls_in_place`)
/// accepted: the connection wants to read, or to write, or its handshake is done. Otherwise
/// nothing can ever move it on, and a caller waiting for the handshake (`complete_io`, `Stream`)
/// would wait forever (issue 9.1: a close_notify mid-handshake left a connection like that).
pub fn check_progress(conn: &ConnectionCommon, step: &str) {
    assert!(
        conn.wants_read() || conn.wants_write() || !conn.is_handshaking(),
        "stuck {step}: no error, handshaking, wants neither to read nor to write"
    );
}

/// What must hold once `process_new_packets` failed with `e`.
pub fn check_error(conn: &mut ConnectionCommon, e: &Error) {
    let _ = e.to_string();
    let _ = e.alert();
    let again = conn.process_new_packets();
    assert_eq!(again.as_ref().err(), Some(e), "errors are sticky");
    assert!(
        !conn.wants_read(),
        "a failed connection does not want to read"
    );
}

/// After the input: the rest of the public API, so nothing there panics either.
pub fn finish(conn: &mut ConnectionCommon) {
    let _ = drain(conn);
    let _ = conn.protocol_version();
    let _ = conn.negotiated_cipher_suite();
    let _ = conn.negotiated_group();
    let _ = conn.negotiated_signature_scheme();
    let _ = conn.alpn_protocol();
    let _ = conn.peer_certificates();
    let _ = conn.extended_master_secret();
    let _ = conn.secure_renegotiation();
    let _ = conn.is_resumed();
    let _ = conn.ocsp_response();
    let _ = conn.is_handshaking();
    let mut buf = [0u8; 4096];
    for _ in 0..64 {
        match conn.reader().read(&mut buf) {
            Ok(n) if n > 0 => {}
            _ => break,
        }
    }
    let _ = conn.writer().write(b"fuzz");
    conn.send_close_notify();
    let _ = drain(conn);
    // End of stream from the transport.
    let _ = conn.read_tls(&mut &[][..]);
    match conn.process_new_packets() {
        Err(e) => check_error(conn, &e),
        Ok(_) => {
            check_progress(conn, "after end of stream");
            // At end of stream there is nothing more to read: a handshake still going on
            // would have to be an error.
            assert!(
                !conn.is_handshaking(),
                "end of stream mid-handshake is not an error"
            );
        }
    }
    let _ = conn.reader().read(&mut buf);
    let _ = drain(conn);
}

/// Splits a TLS byte stream into its records (header + fragment, protected or not). Stops at the
/// first incomplete or malformed record.
pub fn split_records(stream: &[u8]) -> Vec<&[u8]> {
    let mut out = Vec::new();
    let mut r = Reader::new(stream);
    while !r.is_empty() {
        let start = r.offset();
        if TLSPlaintext::decode(&mut r).is_err() {
            break;
        }
        out.push(&stream[start..r.offset()]);
    }
    out
}

/// One TLS 1.2 record of `typ` around `fragment`.
pub fn record(typ: ContentType, fragment: &[u8]) -> Vec<u8> {
    TLSPlaintext {
        type_: typ,
        version: ProtocolVersion { major: 3, minor: 3 },
        fragment,
    }
    .to_vec()
}

/// `genuine` with `overlay` XORed over its start; overlay bytes past its end are appended.
pub fn xor_overlay(genuine: &[u8], overlay: &[u8]) -> Vec<u8> {
    let mut out = genuine.to_vec();
    for (i, b) in overlay.iter().enumerate() {
        match out.get_mut(i) {
            Some(g) => *g ^= b,
            None => out.push(*b),
        }
    }
    out
}

/// Round trip of one decoded value: its encoding is exactly the bytes it was decoded from.
pub fn assert_round_trip<T: Encode + std::fmt::Debug>(what: &str, value: &T, consumed: &[u8]) {
    let again = value.to_vec();
    assert!(
        again == consumed,
        "{what} does not round-trip:\n  in:  {}\n  out: {}\n  value: {value:?}",
        hex(consumed),
        hex(&again)
    );
}

/// Lowercase hex.
pub fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}
