//! The connection targets' bodies, as functions: the `fuzz_targets/` binaries call them, and so
//! can a replay of a corpus (`examples/outcomes.rs`) or of the seeds (`tests/fuzz_regressions.rs`
//! in the root workspace includes this library as a module, which is why paths here say
//! `super::`, not `crate::`). Each returns the connection's outcome: the
//! error that stopped it, or `Ok` if the input ran out first. Input layouts are in README.md.

use super::{
    client_config_for, drain, feed, finish, make_client_config, new_client, new_client_with,
    new_server, record, resumption13_server_config, split_records, stores, xor_overlay,
};
use spectls::session::{ClientSessionValue, Tls13Ticket};
use spectls::wire::ContentType;
use spectls::{ClientConfig, ClientConnection, ConnectionCommon, Error, ServerConnection};
use std::io::Read;
use std::ops::DerefMut;
use std::sync::{Arc, OnceLock};

/// `client_fresh`: a client that wrote its ClientHello, then the input as the server's stream.
pub fn client_fresh(data: &[u8]) -> Result<(), Error> {
    let mut client = new_client();
    let _client_hello = drain(&mut client);
    let result = feed(&mut client, data, usize::MAX);
    finish(&mut client);
    result
}

/// `server_fresh`: a fresh server, then the input as the client's stream.
pub fn server_fresh(data: &[u8]) -> Result<(), Error> {
    let mut server = new_server();
    let result = feed(&mut server, data, usize::MAX);
    finish(&mut server);
    result
}

const MAX_FRAGMENT: usize = 1 << 14;

struct Plan<'a> {
    records: Vec<(ContentType, &'a [u8])>,
    chunk: usize,
    /// Every record is a non-empty handshake record.
    pure: bool,
}

fn plan(data: &[u8]) -> Option<Plan<'_>> {
    let (&head, rest) = data.split_first()?;
    let n = (head & 31) as usize;
    let descriptors = rest.get(..2 * n)?;
    let (&c, mut payload) = rest.get(2 * n..)?.split_first()?;
    let chunk = if c == 0 { usize::MAX } else { c as usize };
    let mut records = Vec::new();
    let mut pure = true;
    for d in descriptors.chunks(2) {
        let d = u16::from_be_bytes([d[0], d[1]]);
        let typ = match d >> 13 {
            6 => ContentType::ChangeCipherSpec,
            7 => ContentType::Alert,
            _ => ContentType::Handshake,
        };
        let len = ((d & 0x1fff) as usize).min(payload.len());
        let (frag, rest) = payload.split_at(len);
        pure &= typ == ContentType::Handshake && len > 0;
        records.push((typ, frag));
        payload = rest;
    }
    for frag in payload.chunks(MAX_FRAGMENT) {
        records.push((ContentType::Handshake, frag));
    }
    Some(Plan {
        records,
        chunk,
        pure,
    })
}

fn summary(s: &ServerConnection, r: &Result<(), Error>) -> String {
    format!(
        "{:?} handshaking={} suite={:?} sni={:?}",
        r,
        s.is_handshaking(),
        s.negotiated_cipher_suite(),
        s.server_name()
    )
}

/// `reassembler`: the input cut into records (and reads) as its first bytes say, to a fresh
/// server; when every record is a non-empty handshake record, the outcome must not depend on the
/// cuts.
pub fn reassembler(data: &[u8]) -> Result<(), Error> {
    let Some(plan) = plan(data) else {
        return Ok(());
    };
    let stream: Vec<u8> = plan
        .records
        .iter()
        .flat_map(|(t, f)| record(*t, f))
        .collect();
    let mut server = new_server();
    let result = feed(&mut server, &stream, plan.chunk);
    let sent_something = !drain(&mut server).is_empty();

    if plan.pure {
        let payload: Vec<u8> = plan
            .records
            .iter()
            .flat_map(|(_, f)| f.iter().copied())
            .collect();
        let whole: Vec<u8> = payload
            .chunks(MAX_FRAGMENT)
            .flat_map(|f| record(ContentType::Handshake, f))
            .collect();
        let mut reference = new_server();
        let expected = feed(&mut reference, &whole, usize::MAX);
        let reference_sent = !drain(&mut reference).is_empty();
        assert_eq!(
            summary(&server, &result),
            summary(&reference, &expected),
            "record boundaries changed the outcome"
        );
        assert_eq!(
            sent_something, reference_sent,
            "record boundaries changed the output"
        );
    }
    finish(&mut server);
    result
}

/// One ClientHello per client configuration (without / with a client certificate, TLS 1.2 or
/// 1.3), captured once: a ClientHello carries no per-connection secret, so any fresh server
/// accepts it.
fn captured_client_hello(with_cert: bool, tls13: bool) -> &'static [u8] {
    static CH: [OnceLock<Vec<u8>>; 4] = [
        OnceLock::new(),
        OnceLock::new(),
        OnceLock::new(),
        OnceLock::new(),
    ];
    CH[with_cert as usize + 2 * tls13 as usize]
        .get_or_init(|| drain(&mut new_client_with(client_config_for(with_cert, tls13))))
}

/// The records after the first `k` of `units`, with `tail` XORed over them (`xor`), or `tail`.
fn rest_of(units: &[&[u8]], k: usize, tail: &[u8], xor: bool) -> Vec<u8> {
    if xor {
        xor_overlay(&units[k.min(units.len())..].concat(), tail)
    } else {
        tail.to_vec()
    }
}

/// `server_after_hello`: a server past a genuine ClientHello (and more genuine client records:
/// [Certificate], ClientKeyExchange, [CertificateVerify], ChangeCipherSpec, Finished), then the
/// input raw or XORed over the rest of the genuine stream.
///
/// `mode = data[0]`: `k = 1 + (mode & 7)` genuine records; bit 3: XOR; bit 4: the client has a
/// certificate (the server always asks for one, optionally); bit 5: the genuine handshake is
/// TLS 1.3 (ClientHello; then the client's [change_cipher_spec], [Certificate,
/// CertificateVerify], Finished, protected), else TLS 1.2.
pub fn server_after_hello(data: &[u8]) -> Result<(), Error> {
    let Some((&mode, tail)) = data.split_first() else {
        return Ok(());
    };
    let k = 1 + (mode & 7) as usize;
    let xor = mode & 8 != 0;
    let with_cert = mode & 16 != 0;
    let tls13 = mode & 32 != 0;
    let mut server = new_server();

    if k == 1 && !xor {
        feed(
            &mut server,
            captured_client_hello(with_cert, tls13),
            usize::MAX,
        )
        .expect("genuine ClientHello");
        let _flight = drain(&mut server);
        let result = feed(&mut server, tail, usize::MAX);
        finish(&mut server);
        return result;
    }

    // A real handshake up to the client's second flight.
    let mut client = new_client_with(client_config_for(with_cert, tls13));
    let hello = drain(&mut client);
    feed(&mut server, &hello, usize::MAX).expect("genuine ClientHello");
    let flight = drain(&mut server);
    feed(&mut client, &flight, usize::MAX).expect("genuine server flight");
    let second = drain(&mut client);
    let units = split_records(&second);
    let j = (k - 1).min(units.len());
    feed(&mut server, &units[..j].concat(), usize::MAX).expect("genuine client flight");
    let _ = drain(&mut server);
    let result = feed(&mut server, &rest_of(&units, j, tail, xor), usize::MAX);
    finish(&mut server);
    result
}

/// `client_after_flight`: a client that got the first k records of a genuine handshake from a
/// server created in the same execution (ServerHello, Certificate, CertificateStatus,
/// ServerKeyExchange, CertificateRequest, ServerHelloDone, then, after the client's genuine
/// second flight went to the server, NewSessionTicket, ChangeCipherSpec, Finished), then the
/// input raw or XORed over the rest.
///
/// `mode = data[0]`: `k = mode & 15` genuine records; bit 4: XOR; bit 5: the client has a
/// certificate; bit 6: the genuine handshake is TLS 1.3 (ServerHello, change_cipher_spec, then
/// protected EncryptedExtensions, CertificateRequest, Certificate, CertificateVerify, Finished),
/// else TLS 1.2.
pub fn client_after_flight(data: &[u8]) -> Result<(), Error> {
    let Some((&mode, tail)) = data.split_first() else {
        return Ok(());
    };
    let k = (mode & 15) as usize;
    let xor = mode & 16 != 0;
    let with_cert = mode & 32 != 0;
    let tls13 = mode & 64 != 0;

    let mut client = new_client_with(client_config_for(with_cert, tls13));
    let mut server = new_server();
    let hello = drain(&mut client);
    feed(&mut server, &hello, usize::MAX).expect("genuine ClientHello");
    let flight = drain(&mut server);
    let first = split_records(&flight);
    let last;
    let (units, j) = if k <= first.len() {
        feed(&mut client, &first[..k].concat(), usize::MAX).expect("genuine server flight");
        (first, k)
    } else {
        feed(&mut client, &flight, usize::MAX).expect("genuine server flight");
        let second = drain(&mut client);
        feed(&mut server, &second, usize::MAX).expect("genuine client flight");
        last = drain(&mut server);
        let units = split_records(&last);
        let j = (k - first.len()).min(units.len());
        feed(&mut client, &units[..j].concat(), usize::MAX).expect("genuine server Finished");
        (units, j)
    };
    let _ = drain(&mut client);
    let result = feed(&mut client, &rest_of(&units, j, tail, xor), usize::MAX);
    finish(&mut client);
    result
}

/// A session from one genuine full handshake in this process (with its ticket), for resuming
/// clients; `by_id` drops the ticket so the client offers only the session ID.
fn resuming_client_config(by_id: bool) -> Arc<ClientConfig> {
    static SESSION: OnceLock<ClientSessionValue> = OnceLock::new();
    static C: [OnceLock<Arc<ClientConfig>>; 2] = [OnceLock::new(), OnceLock::new()];
    let session = SESSION.get_or_init(|| {
        let store = Arc::new(stores::FirstClientSession::default());
        // TLS 1.2 (the TLS 1.3 modes resume `tls13_ticket` instead).
        let mut client = new_client_with(make_client_config(
            false,
            store.clone(),
            &[spectls::version::TLS12],
        ));
        let mut server = new_server();
        for _ in 0..4 {
            let c = drain(&mut client);
            feed(&mut server, &c, usize::MAX).expect("handshake (server)");
            let s = drain(&mut server);
            feed(&mut client, &s, usize::MAX).expect("handshake (client)");
        }
        assert!(!client.is_handshaking() && !server.is_handshaking());
        store.0.get().cloned().expect("a session to resume")
    });
    C[by_id as usize]
        .get_or_init(|| {
            let mut value = session.clone();
            if by_id {
                value.ticket = None;
            }
            make_client_config(
                false,
                Arc::new(stores::FixedClientSessions(Some(value))),
                &[spectls::version::TLS12],
            )
        })
        .clone()
}

/// `resumption`: an abbreviated handshake resuming a session made earlier in the process, with
/// the fuzz input going to one side after k genuine records of the other. TLS 1.2 (RFC 5246
/// 7.3): by ticket or by session ID; TLS 1.3 (RFC 8446 2.2, 2.3): by ticket, with (EC)DHE, with
/// the PSK alone, with 0-RTT data.
///
/// `mode = data[0]`:
///
/// * bit 0: the input goes to the client (0) or the server (1);
/// * `k = (mode >> 2) & 7` genuine records of the other side first;
/// * bit 5: the rest of the input is XORed over the rest of the genuine records (longer input is
///   appended), instead of following them raw;
/// * bit 6 clear: TLS 1.2 (the layout before TLS 1.3 modes; bit 7 is ignored). Bit 1: resume by
///   session ID (the ticket is withheld). Records to the client: ServerHello,
///   [NewSessionTicket], ChangeCipherSpec, Finished; to the server (after its ClientHello):
///   ChangeCipherSpec, Finished.
/// * bit 6 set: TLS 1.3, resuming a ticket from a genuine full handshake made once per process
///   (`tls13_ticket`). Bit 1: psk_ke, the PSK alone (client and server both enable it; the
///   server then makes no key share and no signature); else psk_dhe_ke. Bit 7: 0-RTT (the
///   client enables early data and writes `EARLY_DATA` through `early_data()` before its first
///   flight; the server takes up to `MAX_EARLY_DATA` bytes). Records to the client: ServerHello,
///   change_cipher_spec, one protected record with EncryptedExtensions and Finished, then (after
///   the client's genuine second flight reached the server) one with both NewSessionTickets: 4,
///   so k = 4..7 is the whole genuine stream; to the server, after its ClientHello: the client's
///   change_cipher_spec, [the early data record, EndOfEarlyData], Finished (2, or 4 with 0-RTT).
///   Every execution checks that the genuine hello resumes, with a key exchange exactly without
///   psk_ke, and that the early data is accepted exactly in the 0-RTT modes and read as written.
pub fn resumption(data: &[u8]) -> Result<(), Error> {
    let Some((&mode, tail)) = data.split_first() else {
        return Ok(());
    };
    if mode & 64 != 0 {
        return resumption13(mode, tail);
    }
    let to_server = mode & 1 != 0;
    let by_id = mode & 2 != 0;
    let k = ((mode >> 2) & 7) as usize;
    let xor = mode & 32 != 0;

    let mut client = new_client_with(resuming_client_config(by_id));
    let mut server = new_server();
    let hello = drain(&mut client);
    feed(&mut server, &hello, usize::MAX).expect("genuine resuming ClientHello");
    let flight = drain(&mut server);
    if !to_server {
        let units = split_records(&flight);
        let j = k.min(units.len());
        feed(&mut client, &units[..j].concat(), usize::MAX).expect("genuine resumed flight");
        let _ = drain(&mut client);
        let result = feed(&mut client, &rest_of(&units, j, tail, xor), usize::MAX);
        finish(&mut client);
        return result;
    }
    feed(&mut client, &flight, usize::MAX).expect("genuine resumed flight");
    let second = drain(&mut client);
    let units = split_records(&second);
    let j = k.min(units.len());
    feed(&mut server, &units[..j].concat(), usize::MAX).expect("genuine client Finished");
    let _ = drain(&mut server);
    let result = feed(&mut server, &rest_of(&units, j, tail, xor), usize::MAX);
    finish(&mut server);
    result
}

/// What the `resumption` target's 0-RTT clients write as early data.
pub const EARLY_DATA: &[u8] = b"GET /0rtt HTTP/1.1\r\nHost: localhost\r\n\r\n";

/// A TLS 1.3 ticket from one genuine full handshake made once per process against
/// `resumption13_server_config(false, early)`: `server_config()`, whose tickets allow no early
/// data, or the 0-RTT server, whose tickets allow `MAX_EARLY_DATA` bytes. The first of the
/// server's tickets is kept.
fn tls13_ticket(early: bool) -> &'static Tls13Ticket {
    static T: [OnceLock<Tls13Ticket>; 2] = [const { OnceLock::new() }; 2];
    T[early as usize].get_or_init(|| {
        let store = Arc::new(stores::FirstTls13Ticket::default());
        let mut client = new_client_with(make_client_config(
            false,
            store.clone(),
            &[spectls::version::TLS13],
        ));
        let mut server =
            ServerConnection::new(resumption13_server_config(false, early)).expect("server");
        handshake(&mut client, &mut server, false);
        let ticket = store.0.get().cloned().expect("a TLS 1.3 ticket");
        assert_eq!(
            ticket.max_early_data > 0,
            early,
            "0-RTT tickets allow early data"
        );
        ticket
    })
}

/// Whether `ticket` is still good for another minute: tickets live as long as the ticketer's
/// keys (a day), and a fuzzing process that runs longer resumes nothing after that. The
/// harness checks that a genuine resumption resumes only while this holds.
fn fresh(ticket: &Tls13Ticket) -> bool {
    let age = spectls::session::now_ms().saturating_sub(ticket.received_ms);
    age + 60_000 < u64::from(ticket.lifetime) * 1000
}

/// The TLS 1.3 client resuming `tls13_ticket(early)` (handed out again on every connection),
/// offering psk_ke as well as psk_dhe_ke (`psk_ke`), sending 0-RTT data (`early`).
fn resuming13_client_config(psk_ke: bool, early: bool) -> Arc<ClientConfig> {
    static C: [OnceLock<Arc<ClientConfig>>; 4] = [const { OnceLock::new() }; 4];
    C[psk_ke as usize + 2 * early as usize]
        .get_or_init(|| {
            let store = stores::FixedTls13Ticket(Some(tls13_ticket(early).clone()));
            Arc::new(
                ClientConfig::builder()
                    .with_root_certificates(super::roots())
                    .with_protocol_versions(&[spectls::version::TLS13])
                    .with_alpn_protocols(vec![b"h2".to_vec(), b"http/1.1".to_vec()])
                    .with_session_storage(Arc::new(store))
                    .enable_psk_ke(psk_ke)
                    .enable_early_data(early)
                    .build()
                    .expect("client config"),
            )
        })
        .clone()
}

/// All the 0-RTT data `server` has for the application.
fn read_early_data(server: &mut ServerConnection) -> Vec<u8> {
    let mut got = Vec::new();
    if let Some(mut early) = server.early_data() {
        let _ = early.read_to_end(&mut got);
    }
    got
}

/// `resumption` with `mode` bit 6 set: TLS 1.3 (layout above).
fn resumption13(mode: u8, tail: &[u8]) -> Result<(), Error> {
    let to_server = mode & 1 != 0;
    let psk_ke = mode & 2 != 0;
    let k = ((mode >> 2) & 7) as usize;
    let xor = mode & 32 != 0;
    let early = mode & 128 != 0;
    let fresh = fresh(tls13_ticket(early));

    let mut client = new_client_with(resuming13_client_config(psk_ke, early));
    let mut server =
        ServerConnection::new(resumption13_server_config(psk_ke, early)).expect("server");
    if early {
        match client.early_data() {
            Some(mut w) => {
                use std::io::Write;
                let n = w.write(EARLY_DATA).expect("early data");
                assert_eq!(n, EARLY_DATA.len(), "the ticket allows this much");
            }
            None => assert!(
                !fresh,
                "a client with a fresh 0-RTT ticket offers early data"
            ),
        }
    }
    // ClientHello, then with 0-RTT: change_cipher_spec and the early data record.
    let first = drain(&mut client);
    let first = split_records(&first);
    let (hello, after_hello) = first.split_first().expect("a ClientHello");
    feed(&mut server, hello, usize::MAX).expect("genuine resuming ClientHello");
    if fresh {
        assert!(server.is_resumed(), "a genuine ticket resumes");
        assert_eq!(
            server.is_early_data_accepted(),
            early,
            "0-RTT data is accepted in the 0-RTT modes (every hello is new to the record)"
        );
        assert_eq!(
            server.negotiated_group().is_none(),
            psk_ke,
            "no key exchange exactly with psk_ke"
        );
    }
    let flight = drain(&mut server);

    if !to_server {
        let units = split_records(&flight);
        let last;
        let (units, j) = if k <= units.len() {
            feed(&mut client, &units[..k].concat(), usize::MAX).expect("genuine resumed flight");
            (units, k)
        } else {
            feed(&mut client, &flight, usize::MAX).expect("genuine resumed flight");
            let second = drain(&mut client);
            let to_server = [after_hello.concat(), second].concat();
            feed(&mut server, &to_server, usize::MAX).expect("genuine client records");
            last = drain(&mut server);
            let tickets = split_records(&last);
            let j = (k - units.len()).min(tickets.len());
            feed(&mut client, &tickets[..j].concat(), usize::MAX).expect("genuine tickets");
            (tickets, j)
        };
        let _ = drain(&mut client);
        let result = feed(&mut client, &rest_of(&units, j, tail, xor), usize::MAX);
        let _ = client.is_early_data_accepted();
        if let Some(mut w) = client.early_data() {
            use std::io::Write;
            let _ = w.write(b"more");
        }
        finish(&mut client);
        return result;
    }

    feed(&mut client, &flight, usize::MAX).expect("genuine resumed flight");
    if fresh {
        assert!(client.is_resumed(), "the client resumed");
        assert_eq!(client.is_early_data_accepted(), early, "0-RTT accepted");
    }
    // [EndOfEarlyData], Finished.
    let second = drain(&mut client);
    let units: Vec<&[u8]> = after_hello
        .iter()
        .copied()
        .chain(split_records(&second))
        .collect();
    let j = k.min(units.len());
    feed(&mut server, &units[..j].concat(), usize::MAX).expect("genuine client records");
    let got = read_early_data(&mut server);
    if fresh && early && j >= after_hello.len() {
        assert_eq!(got, EARLY_DATA, "the early data arrives as written");
    } else {
        assert!(
            got.is_empty() || got == EARLY_DATA,
            "early data whole or not at all"
        );
    }
    let _ = drain(&mut server);
    let result = feed(&mut server, &rest_of(&units, j, tail, xor), usize::MAX);
    let _ = read_early_data(&mut server);
    let _ = server.is_early_data_accepted();
    finish(&mut server);
    result
}

// ---------------------------------------------------------------------------------------------
// `inplace`: the unbuffered receive and send path (`read_tls_in_place`, `write_tls_into`).

/// What `read_tls_in_place` made of a byte stream, called as its documentation asks.
pub struct InPlaceOutcome {
    /// The plaintext of each application data record that delivered any, in order.
    pub records: Vec<Vec<u8>>,
    /// The error that stopped it, or `Ok` when a call consumed nothing.
    pub result: Result<(), Error>,
    /// `peer_has_closed` of the last successful call.
    pub peer_closed: bool,
}

/// Feeds `input` to `conn` through `read_tls_in_place` on a copy of the bytes: called again on
/// the rest of the buffer until a call consumes nothing or fails. Checks on the way: a call never
/// consumes more than it was given, the plaintext it returns lies inside the bytes it consumed,
/// and an error is sticky (`check_in_place_error`).
pub fn read_in_place(conn: &mut ConnectionCommon, input: &[u8]) -> InPlaceOutcome {
    let mut buf = input.to_vec();
    let mut pos = 0;
    let mut out = InPlaceOutcome {
        records: Vec::new(),
        result: Ok(()),
        peer_closed: false,
    };
    loop {
        let rest = buf.get_mut(pos..).unwrap_or_default();
        let remaining = rest.len();
        let base = rest.as_ptr() as usize;
        match conn.read_tls_in_place(rest) {
            Ok(r) => {
                assert!(
                    r.consumed <= remaining,
                    "read_tls_in_place consumed {} of {remaining} bytes",
                    r.consumed
                );
                if !r.plaintext.is_empty() {
                    let at = r.plaintext.as_ptr() as usize;
                    assert!(
                        at >= base && at + r.plaintext.len() <= base + r.consumed,
                        "plaintext does not lie inside the consumed bytes"
                    );
                    out.records.push(r.plaintext.to_vec());
                }
                out.peer_closed = r.peer_has_closed;
                super::check_progress(conn, "after read_tls_in_place");
                if r.consumed == 0 {
                    break;
                }
                pos += r.consumed;
            }
            Err(e) => {
                let rest = buf.get_mut(pos..).unwrap_or_default();
                check_in_place_error(conn, &e, rest);
                out.result = Err(e);
                break;
            }
        }
    }
    out
}

/// What must hold once `read_tls_in_place` failed with `e`: the same error from
/// `read_tls_in_place` again (on the same bytes), from `process_new_packets` and from
/// `write_tls_into` (which writes nothing); the connection wants no more input, and the alert the
/// error calls for is queued.
pub fn check_in_place_error(conn: &mut ConnectionCommon, e: &Error, rest: &mut [u8]) {
    let _ = e.to_string();
    assert!(
        !matches!(e, Error::ApiMisuse(_)),
        "the harness never mixes the paths: {e:?}"
    );
    assert_eq!(
        conn.read_tls_in_place(rest).err().as_ref(),
        Some(e),
        "read_tls_in_place errors are sticky"
    );
    assert_eq!(
        conn.process_new_packets().err().as_ref(),
        Some(e),
        "process_new_packets returns the read_tls_in_place error"
    );
    let mut out = Vec::new();
    assert_eq!(
        conn.write_tls_into(b"after the error", &mut out)
            .err()
            .as_ref(),
        Some(e),
        "write_tls_into returns the error"
    );
    assert!(out.is_empty(), "write_tls_into wrote after an error");
    assert!(
        !conn.wants_read(),
        "a failed connection does not want to read"
    );
    if e.alert().is_some() {
        assert!(conn.wants_write(), "the alert for {e:?} is queued");
    }
}

/// The negotiated parameters, for comparing two connections.
fn parameters(conn: &ConnectionCommon) -> String {
    format!(
        "handshaking={} version={:?} suite={:?} group={:?} scheme={:?} alpn={:?} ems={} \
         reneg={} resumed={} ocsp={} peer_certs={}",
        conn.is_handshaking(),
        conn.protocol_version(),
        conn.negotiated_cipher_suite(),
        conn.negotiated_group(),
        conn.negotiated_signature_scheme(),
        conn.alpn_protocol(),
        conn.extended_master_secret(),
        conn.secure_renegotiation(),
        conn.is_resumed(),
        conn.ocsp_response().is_some(),
        conn.peer_certificates().map_or(0, <[_]>::len),
    )
}

/// The shape of what a connection sent: each record's content type, and a plaintext alert's
/// bytes (handshake records carry fresh randoms and signatures; their sizes vary).
fn output_shape(tls: &[u8]) -> Vec<(u8, Vec<u8>)> {
    split_records(tls)
        .iter()
        .map(|r| {
            let body = if r[0] == 21 && r.len() == 7 {
                r[5..].to_vec()
            } else {
                Vec::new()
            };
            (r[0], body)
        })
        .collect()
}

/// All the plaintext `reader()` has.
fn read_plaintext(conn: &mut ConnectionCommon) -> Vec<u8> {
    let mut out = Vec::new();
    let mut buf = [0u8; 16384];
    for _ in 0..64 {
        match conn.reader().read(&mut buf) {
            Ok(n) if n > 0 => out.extend_from_slice(&buf[..n]),
            _ => break,
        }
    }
    out
}

/// Modes 0 and 1: `a` gets `stream` through `read_tls` + `process_new_packets` (reads of at most
/// `chunk` bytes), `b` through `read_tls_in_place`; both must end the same way.
fn differential<C: DerefMut<Target = ConnectionCommon>>(
    a: &mut C,
    b: &mut C,
    stream: &[u8],
    chunk: usize,
    extra: impl Fn(&C) -> String,
) -> Result<(), Error> {
    let ra = feed(a, stream, chunk);
    let rb = read_in_place(b, stream);
    assert_eq!(ra, rb.result, "read_tls and read_tls_in_place disagree");
    // No input completes a fresh connection's handshake (its keys depend on its own random).
    assert!(
        rb.records.is_empty(),
        "a fresh connection delivered application data"
    );
    assert_eq!(
        parameters(a) + &extra(a),
        parameters(b) + &extra(b),
        "read_tls and read_tls_in_place leave different connections"
    );
    assert_eq!(a.wants_read(), b.wants_read(), "wants_read differs");
    assert_eq!(
        a.wants_write(),
        b.wants_write(),
        "one path produced output, the other not"
    );
    assert_eq!(
        read_plaintext(a),
        rb.records.concat(),
        "the two paths delivered different plaintext"
    );
    let (out_a, out_b) = (drain(a), drain(b));
    assert_eq!(
        output_shape(&out_a),
        output_shape(&out_b),
        "the two paths sent different records"
    );
    if rb.result.is_ok() && b.is_handshaking() {
        assert!(
            matches!(
                b.write_tls_into(b"early", &mut Vec::new()),
                Err(Error::ApiMisuse(_))
            ),
            "write_tls_into during the handshake is misuse"
        );
    }
    finish(b);
    ra
}

/// One of the three ECDSA suites the fuzz server can use (`i` = 0..2), or every suite (3; the
/// server picks AES-128-GCM).
fn suites(i: usize) -> Vec<&'static spectls::crypto::suites::SupportedCipherSuite> {
    use spectls::crypto::suites::*;
    match i {
        0 => vec![&TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256],
        1 => vec![&TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384],
        2 => vec![&TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256],
        _ => TLS12_CIPHER_SUITES.to_vec(),
    }
}

fn suite_client_config(
    i: usize,
    store: Arc<dyn spectls::session::StoresClientSessions>,
) -> Arc<ClientConfig> {
    Arc::new(
        ClientConfig::builder()
            .with_root_certificates(super::roots())
            .with_alpn_protocols(vec![b"h2".to_vec(), b"http/1.1".to_vec()])
            .with_cipher_suites(&suites(i))
            .with_session_storage(store)
            .build()
            .expect("client config"),
    )
}

/// The client for a full handshake with suite choice `i` (no session to offer), or for an
/// abbreviated one resuming (by ticket) a session of that suite made once per process.
fn inplace_client_config(i: usize, resume: bool) -> Arc<ClientConfig> {
    static FULL: [OnceLock<Arc<ClientConfig>>; 4] = [const { OnceLock::new() }; 4];
    static RESUME: [OnceLock<Arc<ClientConfig>>; 4] = [const { OnceLock::new() }; 4];
    let i = i & 3;
    let full = FULL[i]
        .get_or_init(|| suite_client_config(i, Arc::new(stores::FixedClientSessions(None))))
        .clone();
    if !resume {
        return full;
    }
    RESUME[i]
        .get_or_init(|| {
            let store = Arc::new(stores::FirstClientSession::default());
            let mut client = new_client_with(suite_client_config(i, store.clone()));
            let mut server = new_server();
            handshake(&mut client, &mut server, false);
            let session = store.0.get().cloned().expect("a session to resume");
            assert!(session.ticket.is_some(), "a ticket to resume with");
            suite_client_config(i, Arc::new(stores::FixedClientSessions(Some(session))))
        })
        .clone()
}

/// Hands `bytes` to `conn`, through `read_tls_in_place` or `read_tls`.
fn deliver(conn: &mut ConnectionCommon, bytes: &[u8], in_place: bool) -> Result<Vec<u8>, Error> {
    if in_place {
        let r = read_in_place(conn, bytes);
        r.result.map(|()| r.records.concat())
    } else {
        feed(conn, bytes, usize::MAX)?;
        Ok(read_plaintext(conn))
    }
}

/// A genuine handshake between `client` and `server`, through `read_tls_in_place` or
/// `read_tls`.
pub fn handshake(client: &mut ClientConnection, server: &mut ServerConnection, in_place: bool) {
    for _ in 0..4 {
        let c = drain(client);
        let got = deliver(server, &c, in_place).expect("genuine client flight");
        assert!(got.is_empty());
        let s = drain(server);
        let got = deliver(client, &s, in_place).expect("genuine server flight");
        assert!(got.is_empty());
        if !client.is_handshaking() && !server.is_handshaking() && !client.wants_write() {
            break;
        }
    }
    assert!(
        !client.is_handshaking() && !server.is_handshaking(),
        "genuine handshake completes"
    );
}

/// Application data `n` bytes long, different for each `seed`.
fn pattern(seed: usize, n: usize) -> Vec<u8> {
    (0..n)
        .map(|i| (i.wrapping_mul(31) ^ seed.wrapping_mul(101) ^ (i >> 8)) as u8)
        .collect()
}

/// Mode 2: an established connection receives genuine application data records from its peer,
/// then fuzz bytes (raw, or XORed over the genuine records), all through `read_tls_in_place`;
/// then it answers with `write_tls_into` and the peer reads the answer in place.
fn established(mode: u8, rest: &[u8]) -> Result<(), Error> {
    let to_server = mode & 1 != 0;
    let suite = ((mode >> 2) & 3) as usize;
    let xor = mode & 16 != 0;
    let full = mode & 32 != 0;
    let handshake_in_place = mode & 64 != 0;
    let peer_buffered = mode & 128 != 0;
    let params = rest.first().copied().unwrap_or(0);
    let k = (params & 7) as usize;
    let reply_len = {
        let r = (params >> 3) as usize;
        r * r * 17
    };
    let sizes: Vec<usize> = (0..k)
        .map(|j| {
            let s = rest.get(1 + j).copied().unwrap_or(0) as usize;
            s * s / 3
        })
        .collect();
    let tail = rest.get(1 + k..).unwrap_or_default();

    let mut client = new_client_with(inplace_client_config(suite, !full));
    let mut server = new_server();
    handshake(&mut client, &mut server, handshake_in_place);
    assert_eq!(
        client.is_resumed(),
        !full,
        "resumed iff a session was offered"
    );
    let (victim, peer): (&mut ConnectionCommon, &mut ConnectionCommon) = if to_server {
        (&mut server, &mut client)
    } else {
        (&mut client, &mut server)
    };

    // The genuine records: for each, where it lies on the wire and its plaintext.
    let mut genuine = Vec::new();
    let mut records: Vec<(std::ops::Range<usize>, Vec<u8>)> = Vec::new();
    for (j, &n) in sizes.iter().enumerate() {
        let payload = pattern(j, n);
        let start = genuine.len();
        if peer_buffered {
            use std::io::Write;
            peer.writer().write_all(&payload).expect("buffered write");
            genuine.extend_from_slice(&drain(peer));
        } else {
            peer.write_tls_into(&payload, &mut genuine).expect("seal");
        }
        let sealed = split_records(&genuine[start..]);
        let m = sealed.len();
        assert_eq!(
            sealed.iter().map(|r| r.len()).sum::<usize>(),
            genuine.len() - start,
            "whole records"
        );
        if m == 0 {
            assert_eq!(n, 0, "a non-empty write makes records");
            continue;
        }
        // Every record carries the same AEAD overhead (explicit nonce, tag) over its plaintext.
        let overhead = genuine.len() - start - 5 * m - n;
        assert_eq!(overhead % m, 0, "uneven record overhead");
        let (mut at, mut off) = (start, 0);
        for r in sealed {
            let len = r.len() - 5 - overhead / m;
            records.push((at..at + r.len(), payload[off..off + len].to_vec()));
            at += r.len();
            off += len;
        }
        assert_eq!(off, n);
    }

    let wire = if xor {
        xor_overlay(&genuine, tail)
    } else {
        [&genuine[..], tail].concat()
    };
    // Genuine records before the first changed byte must arrive intact; nothing after it can
    // (every byte of a record is authenticated, or frames it).
    let first_change = wire
        .iter()
        .zip(&genuine)
        .position(|(w, g)| w != g)
        .unwrap_or(genuine.len());
    let expected: Vec<Vec<u8>> = records
        .iter()
        .filter(|(range, plain)| range.end <= first_change && !plain.is_empty())
        .map(|(_, plain)| plain.clone())
        .collect();

    let got = read_in_place(victim, &wire);
    assert!(
        got.records == expected,
        "delivered {:?} record lengths, expected {:?}",
        got.records.iter().map(Vec::len).collect::<Vec<_>>(),
        expected.iter().map(Vec::len).collect::<Vec<_>>()
    );

    // The answer.
    let reply = pattern(1000, reply_len);
    let mut out = Vec::new();
    match &got.result {
        Err(e) => {
            assert_eq!(
                victim.write_tls_into(&reply, &mut out).err().as_ref(),
                Some(e),
                "write_tls_into after an error returns it"
            );
            assert!(out.is_empty());
            // The alert the error queued reaches the peer as that alert.
            let alert = drain(victim);
            let heard = read_in_place(peer, &alert);
            if let Some(d) = e.alert() {
                assert_eq!(
                    heard.result,
                    Err(Error::AlertReceived(d)),
                    "the peer hears the alert for {e:?}"
                );
            }
            assert!(heard.records.is_empty());
        }
        Ok(()) => {
            assert!(!got.peer_closed, "no close_notify was sent");
            victim
                .write_tls_into(&reply, &mut out)
                .expect("an established connection without error writes");
            let heard = read_in_place(peer, &out);
            assert_eq!(heard.result, Ok(()), "the peer reads the answer");
            assert!(heard.records.concat() == reply, "the answer arrives intact");
            // Then a close_notify, in place too.
            victim.send_close_notify();
            assert!(matches!(
                victim.write_tls_into(b"more", &mut Vec::new()),
                Err(Error::ApiMisuse(_))
            ));
            let close = drain(victim);
            let heard = read_in_place(peer, &close);
            assert_eq!(heard.result, Ok(()));
            assert!(heard.peer_closed, "the peer sees close_notify");
            assert!(heard.records.is_empty());
        }
    }
    finish(victim);
    got.result
}

/// `inplace`: the unbuffered path. `mode = data[0]`:
///
/// * bit 1 clear: differential on a fresh connection (bit 0: a server (0) fed the client's
///   stream, or a client (1) that wrote its ClientHello fed the server's): one connection gets
///   the rest of the input through `read_tls` + `process_new_packets` in reads of at most
///   `64 * (mode >> 2)` bytes (0: as much as it takes), another through `read_tls_in_place`;
///   both must end with the same error (or none), parameters, output shape and plaintext.
/// * bit 1 set: an established pair from a genuine handshake; bit 0: the victim is the server
///   (else the client); bits 2-3: the suite (AES-128-GCM, AES-256-GCM, ChaCha20-Poly1305, or all
///   offered); bit 4: XOR the tail over the genuine records (else append it raw); bit 5: full
///   handshake (else an abbreviated one resuming a ticket); bit 6: the handshake goes through
///   `read_tls_in_place` (else `read_tls`); bit 7: the peer seals with `writer()` + `write_tls`
///   (else `write_tls_into`). `data[1]`: `k = data[1] & 7` genuine writes, the answer is
///   `17 * (data[1] >> 3)^2` bytes; then k bytes `s`, write j is `s * s / 3` bytes (up to 21675:
///   two records); the rest is the tail.
pub fn inplace(data: &[u8]) -> Result<(), Error> {
    let Some((&mode, rest)) = data.split_first() else {
        return Ok(());
    };
    if mode & 2 != 0 {
        return established(mode, rest);
    }
    let chunk = match (mode >> 2) as usize {
        0 => usize::MAX,
        c => 64 * c,
    };
    if mode & 1 == 0 {
        let (mut a, mut b) = (new_server(), new_server());
        differential(&mut a, &mut b, rest, chunk, |s| {
            format!(" sni={:?}", s.server_name())
        })
    } else {
        let (mut a, mut b) = (new_client(), new_client());
        let _ = drain(&mut a);
        let _ = drain(&mut b);
        differential(&mut a, &mut b, rest, chunk, |_| String::new())
    }
}

/// `stream`: `spectls::Stream` over an in-memory transport the input controls, for a fresh client
/// (`data[0]` bit 0 set) or server; `super::stream` has the layout. Panics on a spin (more
/// than `stream::MAX_TRANSPORT_CALLS` transport calls) or a broken progress invariant.
pub fn stream(data: &[u8]) {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let plan = (mode >> 1) & 3;
    if mode & 1 == 1 {
        super::stream::run(new_client(), plan, rest);
    } else {
        super::stream::run(new_server(), plan, rest);
    }
}
