//! The connection targets' bodies, as functions: the `fuzz_targets/` binaries call them, and so
//! can a replay of a corpus (`examples/outcomes.rs`). Each returns the connection's outcome: the
//! error that stopped it, or `Ok` if the input ran out first. Input layouts are in README.md.

use crate::{
    client_config, drain, feed, finish, make_client_config, new_client, new_client_with,
    new_server, record, split_records, stores, xor_overlay,
};
use spectls::session::ClientSessionValue;
use spectls::wire::ContentType;
use spectls::{ClientConfig, Error, ServerConnection};
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

/// One ClientHello per client configuration (without / with a client certificate), captured
/// once: a ClientHello carries no per-connection secret, so any fresh server accepts it.
fn captured_client_hello(with_cert: bool) -> &'static [u8] {
    static CH: [OnceLock<Vec<u8>>; 2] = [OnceLock::new(), OnceLock::new()];
    CH[with_cert as usize].get_or_init(|| drain(&mut new_client_with(client_config(with_cert))))
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
/// certificate (the server always asks for one, optionally).
pub fn server_after_hello(data: &[u8]) -> Result<(), Error> {
    let Some((&mode, tail)) = data.split_first() else {
        return Ok(());
    };
    let k = 1 + (mode & 7) as usize;
    let xor = mode & 8 != 0;
    let with_cert = mode & 16 != 0;
    let mut server = new_server();

    if k == 1 && !xor {
        feed(&mut server, captured_client_hello(with_cert), usize::MAX)
            .expect("genuine ClientHello");
        let _flight = drain(&mut server);
        let result = feed(&mut server, tail, usize::MAX);
        finish(&mut server);
        return result;
    }

    // A real handshake up to the client's second flight.
    let mut client = new_client_with(client_config(with_cert));
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
/// certificate.
pub fn client_after_flight(data: &[u8]) -> Result<(), Error> {
    let Some((&mode, tail)) = data.split_first() else {
        return Ok(());
    };
    let k = (mode & 15) as usize;
    let xor = mode & 16 != 0;
    let with_cert = mode & 32 != 0;

    let mut client = new_client_with(client_config(with_cert));
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
        let mut client = new_client_with(make_client_config(false, store.clone()));
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
            make_client_config(false, Arc::new(stores::FixedClientSessions(Some(value))))
        })
        .clone()
}

/// `resumption`: an abbreviated handshake (RFC 5246 7.3) resuming a session made earlier in the
/// process, by ticket or by session ID, with the fuzz input going to one side after k genuine
/// records of the other.
///
/// `mode = data[0]`: bit 0: the input goes to the client (0) or the server (1); bit 1: resume by
/// session ID instead of ticket; `k = (mode >> 2) & 7` genuine records first (to the client:
/// ServerHello, [NewSessionTicket], ChangeCipherSpec, Finished; to the server: ChangeCipherSpec,
/// Finished); bit 5: XOR over the rest of the genuine records instead of raw bytes.
pub fn resumption(data: &[u8]) -> Result<(), Error> {
    let Some((&mode, tail)) = data.split_first() else {
        return Ok(());
    };
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
