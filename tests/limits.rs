//! Limits on what a peer controls: each one is enforced with the error and alert the README's
//! "Limits" section lists, and the value at the limit itself is still accepted.
//!
//! Everything runs in process over memory (sans-IO). Records a test injects after the handshake
//! are sealed with the connection's own traffic keys, recovered from a key log.

mod common;

use common::states::Keys;
use common::*;
use spectls::codec::Encode;
use spectls::pki::{certs_from_pem, private_key_from_pem};
use spectls::pki_types::CertificateDer;
use spectls::wire::{
    tls12::Certificate, tls12::Handshake, ASN1Cert, AlertDescription as A, AlertLevel, CipherSuite,
    CompressionMethod, ContentType, Extension, ExtensionType, HashAlgorithm, SessionID,
    SignatureAlgorithm, SignatureAndHashAlgorithm,
};
use spectls::{
    CertificateError, ClientConfig, ClientConnection, Error, IoState, PeerMisbehaved, ServerConfig,
    ServerConnection,
};
use std::io::{Read, Write};
use std::sync::Arc;

// ------------------------------------------------------------------------------------------
// Bytes in, bytes out (records, messages and failure checks: `common`)
// ------------------------------------------------------------------------------------------

fn warning() -> Vec<u8> {
    alert_payload(AlertLevel::Warning, A::UserCanceled)
}

/// The server answered: its first record holds a ServerHello.
#[track_caller]
fn answers_server_hello(s: &mut ServerConnection) {
    let recs = split_records(&drain(s));
    assert!(matches!(
        decode_hs(fragment_of(&recs[0].1)),
        Handshake::ServerHello(_)
    ));
}

fn too_large(got: &Result<IoState, Error>) -> Error {
    match got {
        Err(e @ Error::PeerMisbehaved(PeerMisbehaved::TooLarge(_))) => e.clone(),
        other => panic!("expected PeerMisbehaved::TooLarge, got {other:?}"),
    }
}

/// `n` empty extensions of distinct types no one registered.
fn unknown_extensions(n: usize) -> Vec<Extension<'static>> {
    (0..n)
        .map(|i| Extension::Unknown(ExtensionType::Unknown(0xfa00 + i as u16), &[]))
        .collect()
}

// ------------------------------------------------------------------------------------------
// A connected pair whose traffic keys the test knows
// ------------------------------------------------------------------------------------------

struct Keyed {
    c: ClientConnection,
    s: ServerConnection,
    keys: Keys,
    /// The next sequence number of what the server writes.
    server_seq: u64,
}

impl Keyed {
    /// A handshake between a spectls client and server, and the server's write keys.
    fn new() -> Keyed {
        let log = Arc::new(KeyLogStore::default());
        let client = ClientConfig::builder()
            .with_root_certificates(roots())
            .with_key_log(log.clone())
            .build()
            .expect("client config");
        let (mut c, mut s) = pair(client, server_config(false));
        transfer(&mut c, &mut s).expect("ClientHello");
        let flight = drain(&mut s);
        let server_hello = fragment_of(&split_records(&flight)[0].1).to_vec();
        feed(&mut c, &flight).expect("server flight");
        handshake(&mut c, &mut s).expect("handshake");
        let keys = Keys::new(&log, &server_hello);
        assert_eq!(
            c.negotiated_cipher_suite(),
            Some(keys.suite.suite),
            "the suite"
        );
        // The server's Finished was its record 0.
        let mut keyed = Keyed {
            c,
            s,
            keys,
            server_seq: 1,
        };
        // Control: a record sealed here is what the server would have sent.
        let rec = keyed.seal(ContentType::ApplicationData, b"control");
        feed(&mut keyed.c, &rec).expect("a record sealed with the server's keys");
        assert_eq!(read_all(&mut keyed.c), b"control");
        keyed
    }

    /// A record as the server would protect it next.
    fn seal(&mut self, typ: ContentType, payload: &[u8]) -> Vec<u8> {
        let record = self.keys.seal(false, self.server_seq, typ, payload);
        self.server_seq += 1;
        record
    }

    fn empty(&mut self, n: usize) -> Vec<u8> {
        (0..n)
            .flat_map(|_| self.seal(ContentType::ApplicationData, &[]))
            .collect()
    }

    fn warnings(&mut self, n: usize) -> Vec<u8> {
        (0..n)
            .flat_map(|_| self.seal(ContentType::Alert, &warning()))
            .collect()
    }

    /// The client failed with `want`, sent the `unexpected_message` alert (sealed), and the
    /// server reads exactly that alert.
    #[track_caller]
    fn client_fails(&mut self, got: Result<IoState, Error>, want: Error) {
        check_error(&mut self.c, got, &want, A::UnexpectedMessage);
        let out = drain(&mut self.c);
        assert_eq!(split_records(&out).len(), 1, "one record: the alert");
        assert_eq!(
            feed(&mut self.s, &out).expect_err("the server reads the alert"),
            Error::AlertReceived(A::UnexpectedMessage)
        );
    }
}

// ------------------------------------------------------------------------------------------
// Handshake message size, per type: ClientHello 131,396 bytes, Certificate the configured
// max_certificate_list_size (100 KiB), others 64 KiB; bodies, refused at their 4-byte header
// ------------------------------------------------------------------------------------------

/// A handshake header of type `typ` announcing a `len`-byte body, and `body` bytes of it.
fn announced(typ: u8, len: usize, body: usize) -> Vec<u8> {
    let mut msg = vec![typ];
    msg.extend_from_slice(&(len as u32).to_be_bytes()[1..]);
    msg.resize(4 + body, 0);
    msg
}

/// The largest ClientHello the notation allows, which is OpenSSL's limit: the client's real
/// hello with a 32-byte session ID, 32,767 cipher suites (ours last), 255 compression methods
/// (null last) and 65,535 bytes of extensions (its own, then unknown ones).
fn largest_client_hello() -> Vec<u8> {
    let msg = client_hello_message();
    let Handshake::ClientHello(mut ch) = decode_hs(&msg) else {
        panic!("a ClientHello")
    };
    let session_id = [7u8; 32];
    ch.session_id = SessionID(&session_id);
    let mut suites = vec![CipherSuite::Unknown(0xfefe); 32_767 - ch.cipher_suites.len()];
    suites.append(&mut ch.cipher_suites);
    ch.cipher_suites = suites;
    let mut methods = vec![CompressionMethod::Unknown(0x40); 254];
    methods.push(CompressionMethod::Null);
    ch.compression_methods = methods;
    let filler = vec![0xa5u8; 0xffff];
    let exts = ch.extensions.get_or_insert_with(Vec::new);
    let mut room = 0xffff - exts.iter().map(|e| e.to_vec().len()).sum::<usize>();
    let mut i = 0;
    while room >= 4 {
        let data = (room - 4).min(0xffff);
        exts.push(Extension::Unknown(
            ExtensionType::Unknown(0xfb00 + i),
            &filler[..data],
        ));
        room -= 4 + data;
        i += 1;
    }
    assert_eq!(room, 0);
    Handshake::ClientHello(ch).to_vec()
}

#[test]
fn client_hello_up_to_openssls_131396_bytes_is_accepted_more_is_refused_at_its_header() {
    // The largest ClientHello, fragmented over maximum-size records, gets a ServerHello.
    let mut s = fresh_server();
    let hello = largest_client_hello();
    assert_eq!(hello.len(), 4 + 131_396);
    feed(&mut s, &records_of(ContentType::Handshake, &hello, 1 << 14))
        .expect("131,396-byte ClientHello");
    answers_server_hello(&mut s);

    // One byte more is refused at the header, before anything else is buffered.
    let mut s = fresh_server();
    let got = feed(
        &mut s,
        &frame(ContentType::Handshake, &announced(1, 131_397, 0)),
    );
    let want = too_large(&got);
    failed_in_clear(&mut s, got, want, A::DecodeError);
}

#[test]
fn other_handshake_messages_over_64_kib_are_refused_at_their_header() {
    let client_waiting_for_server_hello = || {
        let (mut c, _) = pair(client_config(), server_config(false));
        drain(&mut c);
        c
    };
    // A ServerHello announcing 64 KiB + 1, 100 bytes of it sent: refused at once.
    let mut c = client_waiting_for_server_hello();
    let got = feed(
        &mut c,
        &frame(ContentType::Handshake, &announced(2, 0x1_0001, 100)),
    );
    let want = too_large(&got);
    failed_in_clear(&mut c, got, want, A::DecodeError);

    // Exactly 64 KiB is waited for, and once whole it is parsed (zeros: malformed).
    let mut c = client_waiting_for_server_hello();
    let msg = announced(2, 0x1_0000, 0x1_0000);
    let (head, rest) = msg.split_at(100);
    feed(&mut c, &frame(ContentType::Handshake, head)).expect("the first 100 bytes");
    assert!(c.wants_read() && !c.wants_write(), "waiting for the rest");
    let err =
        feed(&mut c, &records_of(ContentType::Handshake, rest, 1 << 14)).expect_err("malformed");
    assert!(matches!(err, Error::Decode(_)), "{err:?}");
}

/// A client that has the server's ServerHello and is to read its Certificate.
fn client_expecting_certificate(config: ClientConfig) -> ClientConnection {
    let (mut c, mut s) = pair(config, server_config(false));
    transfer(&mut c, &mut s).expect("ClientHello");
    let recs = split_records(&drain(&mut s));
    assert!(matches!(
        decode_hs(fragment_of(&recs[0].1)),
        Handshake::ServerHello(_)
    ));
    feed(&mut c, &recs[0].1).expect("ServerHello");
    c
}

#[test]
fn certificate_message_up_to_max_certificate_list_size_is_read_more_is_refused_at_its_header() {
    // Seven 10,000-byte "certificates": 70 KiB, under the 100 KiB default, so it is read whole
    // and only then refused for what it holds (not a certificate).
    let junk = vec![0x30u8; 10_000];
    let cert = Handshake::Certificate(Certificate {
        certificate_list: vec![ASN1Cert(&junk); 7],
    })
    .to_vec();
    assert!(cert.len() > 0x1_0000);
    let mut c = client_expecting_certificate(client_config());
    let err =
        feed(&mut c, &records_of(ContentType::Handshake, &cert, 1 << 14)).expect_err("junk DER");
    assert!(matches!(err, Error::InvalidCertificate(_)), "{err:?}");

    // 100 KiB + 1 announced: refused at the header.
    let mut c = client_expecting_certificate(client_config());
    let got = feed(
        &mut c,
        &frame(ContentType::Handshake, &announced(11, 100 * 1024 + 1, 0)),
    );
    let want = too_large(&got);
    failed_in_clear(&mut c, got, want, A::DecodeError);

    // The limit is the configuration's: at 16 KiB the 70 KiB message is refused at its header.
    let config = ClientConfig::builder()
        .with_root_certificates(roots())
        .with_max_certificate_list_size(16 * 1024)
        .build()
        .expect("config");
    let mut c = client_expecting_certificate(config);
    let got = feed(&mut c, &frame(ContentType::Handshake, &cert[..100]));
    let want = too_large(&got);
    failed_in_clear(&mut c, got, want, A::DecodeError);
}

// ------------------------------------------------------------------------------------------
// Certificate chain length: at most 10
// ------------------------------------------------------------------------------------------

/// The ECDSA test leaf followed by `n - 1` copies of the CA (a valid path: the CA is also the
/// trust anchor).
fn ecdsa_chain_of(n: usize) -> Vec<CertificateDer<'static>> {
    let chain = certs_from_pem(ECDSA_CHAIN).expect("chain");
    let (leaf, ca) = (chain[0].clone(), chain[1].clone());
    std::iter::once(leaf)
        .chain(std::iter::repeat_n(ca, n - 1))
        .collect()
}

fn server_with_chain(chain: Vec<CertificateDer<'static>>) -> ServerConfig {
    serving(chain, private_key_from_pem(ECDSA_KEY).expect("key"))
}

#[test]
fn server_chain_of_ten_is_accepted_eleven_is_bad_certificate() {
    let (mut c, mut s) = pair(client_config(), server_with_chain(ecdsa_chain_of(10)));
    handshake(&mut c, &mut s).expect("ten certificates");
    assert_eq!(c.peer_certificates().map(<[_]>::len), Some(10));

    let (mut c, mut s) = pair(client_config(), server_with_chain(ecdsa_chain_of(11)));
    transfer(&mut c, &mut s).expect("ClientHello");
    let got = feed(&mut c, &drain(&mut s));
    let want = Error::InvalidCertificate(CertificateError::Other(
        "certificate chain of 11 certificates; at most 10 accepted".into(),
    ));
    let out = failed_in_clear(&mut c, got, want, A::BadCertificate);
    assert!(c.peer_certificates().is_none());
    assert_eq!(
        feed(&mut s, &out).expect_err("the server reads the alert"),
        Error::AlertReceived(A::BadCertificate)
    );
}

fn client_auth_pair(n: usize) -> (ClientConnection, ServerConnection) {
    let (chain, key, client_roots) = client_chain_of(n);
    let client = ClientConfig::builder()
        .with_root_certificates(roots())
        .with_client_auth_cert(chain, key)
        .expect("client cert")
        .build()
        .expect("client config");
    pair(client, client_auth_server(client_roots))
}

#[test]
fn client_chain_of_ten_is_accepted_eleven_is_bad_certificate() {
    let (mut c, mut s) = client_auth_pair(10);
    handshake(&mut c, &mut s).expect("ten certificates");
    assert_eq!(s.peer_certificates().map(<[_]>::len), Some(10));

    let (mut c, mut s) = client_auth_pair(11);
    let err = handshake(&mut c, &mut s).expect_err("eleven certificates");
    assert_eq!(
        err,
        Error::InvalidCertificate(CertificateError::Other(
            "certificate chain of 11 certificates; at most 10 accepted".into()
        ))
    );
    assert_eq!(err.alert(), Some(A::BadCertificate));
    assert!(s.peer_certificates().is_none());
    assert_eq!(
        feed(&mut c, &drain(&mut s)).expect_err("the client reads the alert"),
        Error::AlertReceived(A::BadCertificate)
    );
}

// ------------------------------------------------------------------------------------------
// Extensions in a hello: no count limit (the message size bounds them), duplicates refused
// ------------------------------------------------------------------------------------------

/// The client's real ClientHello with unknown extensions added up to `total`.
fn client_hello_with_extensions(total: usize) -> Vec<u8> {
    let msg = client_hello_message();
    let Handshake::ClientHello(mut ch) = decode_hs(&msg) else {
        panic!("a ClientHello")
    };
    let exts = ch.extensions.get_or_insert_with(Vec::new);
    let have = exts.len();
    assert!(have < total, "the client sends {have} extensions");
    exts.extend(unknown_extensions(total - have));
    frame(ContentType::Handshake, &Handshake::ClientHello(ch).to_vec())
}

#[test]
fn client_hello_with_150_extensions_is_accepted() {
    let mut s = fresh_server();
    feed(&mut s, &client_hello_with_extensions(150)).expect("150 extensions");
    answers_server_hello(&mut s);
}

#[test]
fn client_hello_with_a_signature_algorithms_list_near_its_ceiling_is_accepted() {
    // RFC 5246 7.4.1.4.1: supported_signature_algorithms<2..2^16-2>; inside a ClientHello the
    // extensions<0..2^16-1> around it bound it a little lower: as many pairs as fit (ours last).
    let msg = client_hello_message();
    let Handshake::ClientHello(mut ch) = decode_hs(&msg) else {
        panic!("a ClientHello")
    };
    let exts = ch.extensions.as_mut().expect("extensions");
    let others: usize = exts
        .iter()
        .filter(|e| !matches!(e, Extension::SignatureAlgorithms(_)))
        .map(|e| e.to_vec().len())
        .sum();
    // Room for the list: the extensions' bytes minus the others and this one's 6 header bytes.
    let pairs = (0xffff - others - 6) / 2;
    for e in exts.iter_mut() {
        if let Extension::SignatureAlgorithms(list) = e {
            let ours = list.supported_signature_algorithms.clone();
            let filler = SignatureAndHashAlgorithm {
                hash: HashAlgorithm::Unknown(0xee),
                signature: SignatureAlgorithm::Unknown(0xee),
            };
            let mut all = vec![filler; pairs - ours.len()];
            all.extend(ours);
            list.supported_signature_algorithms = all;
        }
    }
    assert!(pairs > 32_500, "{pairs}");
    let hello = Handshake::ClientHello(ch).to_vec();
    let mut s = fresh_server();
    feed(&mut s, &records_of(ContentType::Handshake, &hello, 1 << 14)).expect("accepted");
    answers_server_hello(&mut s);
}

#[test]
fn server_hello_with_many_extensions_is_judged_by_what_they_are() {
    let (mut c, mut s) = pair(client_config(), server_config(false));
    transfer(&mut c, &mut s).expect("ClientHello");
    let recs = split_records(&drain(&mut s));
    let Handshake::ServerHello(mut sh) = decode_hs(fragment_of(&recs[0].1)) else {
        panic!("a ServerHello")
    };
    let exts = sh.extensions.get_or_insert_with(Vec::new);
    let have = exts.len();
    exts.extend(unknown_extensions(100 - have));
    let rec = frame(ContentType::Handshake, &Handshake::ServerHello(sh).to_vec());
    // No count limit: the first unknown one is refused as unsolicited (RFC 5246 7.4.1.4).
    let got = feed(&mut c, &rec);
    failed_in_clear(
        &mut c,
        got,
        Error::PeerMisbehaved(PeerMisbehaved::UnsolicitedExtension(0xfa00)),
        A::UnsupportedExtension,
    );
}

// ------------------------------------------------------------------------------------------
// Buffers
// ------------------------------------------------------------------------------------------

#[test]
fn wants_read_is_false_once_64_kib_of_plaintext_is_unread() {
    let (mut c, mut s) = pair(client_config(), server_config(false));
    handshake(&mut c, &mut s).expect("handshake");
    assert!(c.wants_read());
    s.writer().write_all(&vec![7u8; 64 * 1024 - 1]).unwrap();
    transfer(&mut s, &mut c).expect("data");
    assert!(c.wants_read(), "one byte under the limit");
    s.writer().write_all(&[8]).unwrap();
    let state = {
        transfer(&mut s, &mut c).expect("data");
        c.process_new_packets().expect("nothing new")
    };
    assert_eq!(state.plaintext_bytes_to_read, 64 * 1024);
    assert!(!c.wants_read(), "64 KiB unread: stop reading the network");
    let mut byte = [0u8; 1];
    assert_eq!(c.reader().read(&mut byte).unwrap(), 1);
    assert!(c.wants_read(), "room again once the application reads");
    let rest = read_all(&mut c);
    assert_eq!(rest.len(), 64 * 1024 - 1);
    assert_eq!(rest.last(), Some(&8));
}

#[test]
fn read_tls_refuses_input_once_the_receive_buffer_is_full() {
    let (mut c, mut s) = pair(client_config(), server_config(false));
    handshake(&mut c, &mut s).expect("handshake");
    // Three full records (3 x (5 + 16384 + 8 + 16) bytes): more than the buffer holds.
    s.writer().write_all(&vec![1u8; 3 << 14]).unwrap();
    let wire = drain(&mut s);
    let mut rd = &wire[..];
    let mut taken = 0;
    let err = loop {
        match c.read_tls(&mut rd) {
            Ok(n) => {
                assert!(n > 0, "input left");
                taken += n;
            }
            Err(e) => break e,
        }
    };
    // Two records of the largest protected size, headers included.
    assert_eq!(taken, 2 * (5 + (1 << 14) + 2048));
    assert!(err.to_string().contains("receive buffer full"), "{err}");
    assert!(!c.wants_read());
    // Processing frees the room; the rest then goes in.
    let state = c.process_new_packets().expect("two records");
    assert_eq!(state.plaintext_bytes_to_read, 2 << 14);
    assert!(c.wants_read());
    feed(&mut c, rd).expect("records");
    assert_eq!(read_all(&mut c), vec![1u8; 3 << 14]);
}

// ------------------------------------------------------------------------------------------
// Empty records and warning alerts in a row
// ------------------------------------------------------------------------------------------

#[test]
fn thirty_two_empty_records_in_a_row_are_accepted_the_next_is_unexpected_message() {
    let mut k = Keyed::new();
    let recs = k.empty(32);
    feed(&mut k.c, &recs).expect("32 empty records");
    assert!(read_all(&mut k.c).is_empty());
    let rec = k.empty(1);
    let got = feed(&mut k.c, &rec);
    k.client_fails(
        got,
        Error::PeerMisbehaved(PeerMisbehaved::TooManyEmptyRecords),
    );
}

#[test]
fn data_resets_the_empty_record_count_and_warnings_do_not() {
    let mut k = Keyed::new();
    let mut input = k.empty(32);
    input.extend(k.seal(ContentType::ApplicationData, b"x"));
    input.extend(k.empty(32));
    feed(&mut k.c, &input).expect("32 empty, data, 32 empty");
    assert_eq!(read_all(&mut k.c), b"x");

    // A warning in between does not reset the count: 16 + 16 empty, then one too many.
    let mut k = Keyed::new();
    let mut input = k.empty(16);
    input.extend(k.warnings(1));
    input.extend(k.empty(16));
    feed(&mut k.c, &input).expect("32 empty records around a warning");
    let rec = k.empty(1);
    let got = feed(&mut k.c, &rec);
    k.client_fails(
        got,
        Error::PeerMisbehaved(PeerMisbehaved::TooManyEmptyRecords),
    );
}

#[test]
fn four_warning_alerts_in_a_row_are_accepted_the_fifth_is_unexpected_message() {
    // In the clear, before the handshake.
    let mut s = fresh_server();
    let warnings: Vec<u8> = (0..4)
        .flat_map(|_| frame(ContentType::Alert, &warning()))
        .collect();
    feed(&mut s, &warnings).expect("4 warnings");
    assert!(!s.wants_write());
    let got = feed(&mut s, &frame(ContentType::Alert, &warning()));
    failed_in_clear(
        &mut s,
        got,
        Error::PeerMisbehaved(PeerMisbehaved::TooManyWarningAlerts),
        A::UnexpectedMessage,
    );

    // A handshake message resets the count.
    let mut s = fresh_server();
    feed(&mut s, &warnings).expect("4 warnings");
    feed(
        &mut s,
        &frame(ContentType::Handshake, &client_hello_message()),
    )
    .expect("ClientHello");
    assert!(s.wants_write(), "the server answered");
    drain(&mut s);
    feed(&mut s, &warnings).expect("4 more warnings");
    let got = feed(&mut s, &frame(ContentType::Alert, &warning()));
    failed_in_clear(
        &mut s,
        got,
        Error::PeerMisbehaved(PeerMisbehaved::TooManyWarningAlerts),
        A::UnexpectedMessage,
    );

    // Protected, after the handshake: data resets the count, empty records do not.
    let mut k = Keyed::new();
    let mut input = k.warnings(4);
    input.extend(k.seal(ContentType::ApplicationData, b"y"));
    input.extend(k.warnings(2));
    input.extend(k.empty(1));
    input.extend(k.warnings(2));
    feed(&mut k.c, &input).expect("4 warnings, data, 2 + 2 warnings around an empty record");
    assert_eq!(read_all(&mut k.c), b"y");
    let rec = k.warnings(1);
    let got = feed(&mut k.c, &rec);
    k.client_fails(
        got,
        Error::PeerMisbehaved(PeerMisbehaved::TooManyWarningAlerts),
    );
}

#[test]
fn eight_renegotiation_requests_in_a_row_are_refused_the_ninth_is_unexpected_message() {
    let hello_request = Handshake::HelloRequest(spectls::wire::HelloRequest {}).to_vec();
    let mut k = Keyed::new();
    let requests = |k: &mut Keyed, n: usize| -> Vec<u8> {
        (0..n)
            .flat_map(|_| k.seal(ContentType::Handshake, &hello_request))
            .collect()
    };
    // The server takes at most 4 warnings in a row: after each 4 refusals the client sends data,
    // which resets the server's count (it is not what the client's count is about).
    let refused_to_server = |k: &mut Keyed| {
        let refusals = drain(&mut k.c);
        assert_eq!(
            refusals.len(),
            4 * (5 + 8 + 2 + 16),
            "one sealed warning each"
        );
        feed(&mut k.s, &refusals).expect("warnings are not fatal");
        k.c.writer().write_all(b"ack").expect("write");
        let ack = drain(&mut k.c);
        feed(&mut k.s, &ack).expect("data");
    };
    // 4 requests, data, 4 requests: all refused, one sealed two-byte warning each.
    let mut input = requests(&mut k, 4);
    input.extend(k.seal(ContentType::ApplicationData, b"z"));
    feed(&mut k.c, &input).expect("refusals before data");
    assert_eq!(read_all(&mut k.c), b"z");
    refused_to_server(&mut k);
    let input = requests(&mut k, 4);
    feed(&mut k.c, &input).expect("refusals after data");
    refused_to_server(&mut k);
    // 4 more: 8 since the data, 12 in all; still refused.
    let input = requests(&mut k, 4);
    feed(&mut k.c, &input).expect("8 in a row");
    refused_to_server(&mut k);
    // A received warning does not reset the count; the 9th since the data fails.
    let mut input = k.warnings(1);
    input.extend(requests(&mut k, 1));
    let got = feed(&mut k.c, &input);
    k.client_fails(
        got,
        Error::PeerMisbehaved(PeerMisbehaved::TooManyRenegotiationRequests),
    );
}

#[test]
fn a_renegotiation_request_after_our_close_notify_ends_the_connection() {
    // Found by BoGo (Shutdown-Shim-HelloRequest-Reject): once our close_notify is out, nothing
    // more may be written (RFC 5246 7.2.1), so a HelloRequest cannot be refused in words.
    let hello_request = Handshake::HelloRequest(spectls::wire::HelloRequest {}).to_vec();
    let mut k = Keyed::new();
    k.c.send_close_notify();
    drain(&mut k.c);
    let input = k.seal(ContentType::Handshake, &hello_request);
    let got = feed(&mut k.c, &input);
    assert_eq!(
        got.unwrap_err(),
        Error::PeerMisbehaved(PeerMisbehaved::RenegotiationAttempted)
    );
    assert!(drain(&mut k.c).is_empty(), "nothing after close_notify");
}

#[test]
fn close_notify_after_four_warnings_is_a_clean_close() {
    let mut k = Keyed::new();
    let mut input = k.warnings(4);
    input.extend(k.seal(
        ContentType::Alert,
        &alert_payload(AlertLevel::Warning, A::CloseNotify),
    ));
    let state = feed(&mut k.c, &input).expect("warnings then close_notify");
    assert!(state.peer_has_closed);
    assert_eq!(k.c.reader().read(&mut [0u8; 8]).unwrap(), 0);
}
