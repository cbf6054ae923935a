//! Progress: a connection never waits for something that cannot come.
//!
//! Issue 9.1: a peer that sent close_notify mid-handshake and closed left the connection
//! handshaking, without an error, wanting neither to read nor to write, and `Stream` spun on
//! `complete_io` returning `Ok((0, 0))`. The invariant: after any input, a connection has an
//! error, or wants to read, or wants to write, or its handshake is done.
//!
//! In every state of both transition tables (`states_of`, so a new state without a driver fails
//! here), the peer ends the connection four ways: a close_notify, a warning alert then end of
//! stream, a fatal alert, end of stream. Each is checked through the sans-IO API (the exact
//! error from the first `process_new_packets` that can see it, sticky, and then the connection
//! wants neither to read nor to write) and through `Stream` over a real `TcpStream` on 127.0.0.1
//! (the right `io::Error`, promptly, and nothing sent back). A property test feeds random and
//! mutated genuine flights in random chunks and checks the invariant after every step.
//!
//! The victim reaches its state in memory (`common::states`: a rustls peer whose traffic keys
//! the test knows, so the records it sends after its ChangeCipherSpec are sealed as the peer
//! would seal them); the `Stream` test then hands that connection a socket whose other end, a
//! thread, sends the peer's last records and shuts down its write half.

mod common;

use common::states::*;
use common::*;
use proptest::prelude::*;
use proptest::sample::Index;
use proptest::test_runner::Config;
use spectls::internal::tables::{
    client_states, client_transitions, server_states, server_transitions, Transition,
};
use spectls::wire::{AlertDescription as A, AlertLevel, ContentType};
use spectls::{ConnectionCommon, Error, IoState, Stream};
use std::io::{self, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::thread;
use std::time::{Duration, Instant};

/// Socket read and write timeout: a regression shows as a timeout error, never a hang.
const TIMEOUT: Duration = Duration::from_secs(10);

/// What "promptly" means: far below `TIMEOUT` (the work is a few records in memory).
const PROMPT: Duration = Duration::from_secs(3);

// ------------------------------------------------------------------------------------------
// How the peer ends the connection
// ------------------------------------------------------------------------------------------

#[derive(Clone, Copy, Debug, PartialEq)]
enum Ending {
    /// close_notify, and the transport stays open.
    CloseNotify,
    /// A warning alert (user_canceled), then end of stream.
    WarningThenEof,
    /// A fatal handshake_failure alert, and the transport stays open.
    Fatal,
    /// End of stream, nothing before it.
    Eof,
}

impl Ending {
    /// The alert record the peer sends, as it would send it in `at`'s state (sealed with its
    /// keys after its ChangeCipherSpec), or nothing.
    fn record(self, at: &mut AtState) -> Vec<u8> {
        let (level, description) = match self {
            Ending::CloseNotify => (AlertLevel::Warning, A::CloseNotify),
            Ending::WarningThenEof => (AlertLevel::Warning, A::UserCanceled),
            Ending::Fatal => (AlertLevel::Fatal, A::HandshakeFailure),
            Ending::Eof => return Vec::new(),
        };
        let record = at.record(ContentType::Alert, &alert_payload(level, description));
        if let Some(seq) = &mut at.peer_seq {
            *seq += 1;
        }
        record
    }

    /// Whether the transport ends after the record.
    fn eof(self) -> bool {
        matches!(self, Ending::WarningThenEof | Ending::Eof)
    }

    /// The error the victim ends with: from `process_new_packets` while handshaking; once
    /// connected, only a fatal alert is a connection error (end of stream is the reader's).
    fn error(self, handshaking: bool) -> Option<Error> {
        match (self, handshaking) {
            (Ending::Fatal, _) => Some(Error::AlertReceived(A::HandshakeFailure)),
            (Ending::CloseNotify, true) => Some(Error::AlertReceived(A::CloseNotify)),
            (Ending::WarningThenEof | Ending::Eof, true) => Some(Error::UnexpectedEof),
            (_, false) => None,
        }
    }

    /// What reading the application's data gives once connected: `Ok(0)` for a clean close,
    /// else the error's kind and the spectls error inside it.
    fn read_outcome(self) -> Result<usize, (io::ErrorKind, Error)> {
        match self {
            Ending::CloseNotify => Ok(0),
            Ending::Fatal => Err((
                io::ErrorKind::InvalidData,
                Error::AlertReceived(A::HandshakeFailure),
            )),
            Ending::WarningThenEof | Ending::Eof => {
                Err((io::ErrorKind::UnexpectedEof, Error::UnexpectedEof))
            }
        }
    }
}

/// The `io::Error` kind a connection error becomes (`complete_io`, `Stream`).
fn kind_of(e: &Error) -> io::ErrorKind {
    match e {
        Error::UnexpectedEof | Error::AlertReceived(A::CloseNotify) => io::ErrorKind::UnexpectedEof,
        _ => io::ErrorKind::InvalidData,
    }
}

type Drive = fn(&'static str) -> AtState;

type Table = fn() -> Vec<Transition>;

const SIDES: [(&str, Table, Drive); 2] = [
    ("client", client_transitions, client_at),
    ("server", server_transitions, server_at),
];

// ------------------------------------------------------------------------------------------
// Sans-IO
// ------------------------------------------------------------------------------------------

/// The victim, in `state`, gets `ending` through `read_tls` + `process_new_packets`: each call
/// is checked, so the error must come from the first call that can see it.
fn sans_io(state: &str, mut at: AtState, ending: Ending) {
    let conn: &mut ConnectionCommon = &mut at.victim;
    let handshaking = conn.is_handshaking();
    assert_eq!(handshaking, state != "Connected", "{state}");
    assert!(
        !conn.wants_write(),
        "{state}: the driver drained the victim"
    );
    assert!(conn.wants_read(), "{state}: waiting for the peer");
    let record = ending.record(&mut at);
    let conn: &mut ConnectionCommon = &mut at.victim;
    let what = format!("{state}, {ending:?}");

    let mut result: Result<IoState, Error> = conn.process_new_packets();
    assert!(result.is_ok(), "{what}: nothing yet");
    if !record.is_empty() {
        let mut rd = &record[..];
        assert_eq!(
            conn.read_tls(&mut rd).expect("read from a slice"),
            record.len(),
            "{what}: the whole alert record is taken in"
        );
        result = conn.process_new_packets();
    }
    if ending == Ending::WarningThenEof {
        let state_now = result.as_ref().expect("a warning alert is not an error");
        assert!(!state_now.peer_has_closed, "{what}");
        assert!(
            conn.wants_read() && !conn.wants_write(),
            "{what}: a warning is ignored, not answered"
        );
        assert_eq!(conn.is_handshaking(), handshaking, "{what}");
    }
    if ending.eof() {
        assert_eq!(
            conn.read_tls(&mut &[][..]).expect("end of stream"),
            0,
            "{what}"
        );
        result = conn.process_new_packets();
    }
    match ending.error(handshaking) {
        Some(want) => {
            assert_eq!(result.as_ref().err(), Some(&want), "{what}");
            for _ in 0..3 {
                assert_eq!(
                    conn.process_new_packets().err().as_ref(),
                    Some(&want),
                    "{what}: sticky"
                );
            }
            let mut buf = [0u8; 16];
            let e = conn.reader().read(&mut buf).expect_err("read fails");
            assert_eq!(
                (e.kind(), inner(&e)),
                (kind_of(&want), Some(&want)),
                "{what}"
            );
        }
        None => {
            let s = result.unwrap_or_else(|e| panic!("{what}: {e:?}"));
            assert_eq!(s.peer_has_closed, ending == Ending::CloseNotify, "{what}");
            assert!(!conn.is_handshaking());
            let mut buf = [0u8; 16];
            let got = conn
                .reader()
                .read(&mut buf)
                .map_err(|e| (e.kind(), inner(&e).cloned().expect("a spectls error")));
            assert_eq!(got, ending.read_outcome(), "{what}");
        }
    }
    assert!(
        !conn.wants_read() && !conn.wants_write(),
        "{what}: the connection is over: wants_read {} wants_write {}",
        conn.wants_read(),
        conn.wants_write()
    );
}

// ------------------------------------------------------------------------------------------
// Stream over TCP on 127.0.0.1
// ------------------------------------------------------------------------------------------

/// A connected pair of sockets on 127.0.0.1, both with `TIMEOUT` on reads and writes.
fn socket_pair() -> (TcpStream, TcpStream) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1");
    let ours = TcpStream::connect(listener.local_addr().expect("address")).expect("connect");
    // The connection is already in the backlog: accept does not wait.
    let (theirs, _) = listener.accept().expect("accept");
    for s in [&ours, &theirs] {
        s.set_read_timeout(Some(TIMEOUT)).expect("read timeout");
        s.set_write_timeout(Some(TIMEOUT)).expect("write timeout");
    }
    (ours, theirs)
}

/// The peer's end: sends `bytes`, shuts down its write half if `eof` (else keeps it open), then
/// collects what the victim sends until the victim closes (or `TIMEOUT`).
fn peer_thread(
    mut sock: TcpStream,
    bytes: Vec<u8>,
    eof: bool,
) -> thread::JoinHandle<io::Result<Vec<u8>>> {
    thread::spawn(move || {
        sock.write_all(&bytes)?;
        if eof {
            sock.shutdown(Shutdown::Write)?;
        }
        let mut got = Vec::new();
        sock.read_to_end(&mut got)?;
        Ok(got)
    })
}

/// The victim, in `state`, inside a `Stream` over TCP, gets `ending` from a peer thread:
/// `handshake()` (while handshaking) or `read` (connected) must give the right outcome
/// promptly, and the victim sends nothing back.
fn over_tcp(state: &str, mut at: AtState, ending: Ending) {
    let handshaking = at.victim.is_handshaking();
    assert_eq!(handshaking, state != "Connected", "{state}");
    let what = format!("{state}, {ending:?}, Stream over TCP");
    let (ours, theirs) = socket_pair();
    // After an alert the transport stays open: the victim must stop at the alert itself.
    let peer = peer_thread(theirs, ending.record(&mut at), ending.eof());

    let conn: &mut ConnectionCommon = &mut at.victim;
    let mut stream = Stream::new(conn, ours);
    let start = Instant::now();
    let mut buf = [0u8; 64];
    let got = if handshaking {
        stream.handshake().map(|()| usize::MAX)
    } else {
        stream.read(&mut buf)
    };
    let took = start.elapsed();
    let got = got.map_err(|e| {
        let tls = inner(&e).cloned();
        (
            e.kind(),
            tls.unwrap_or_else(|| panic!("{what}: not a TLS error: {e:?}")),
        )
    });
    let want = match ending.error(handshaking) {
        Some(e) if handshaking => Err((kind_of(&e), e)),
        _ => ending.read_outcome(),
    };
    assert_eq!(got, want, "{what} (after {took:?})");
    assert!(took < PROMPT, "{what}: took {took:?}");

    // The connection behind the stream is over too, and says so again.
    let conn = &mut stream.conn;
    if let Some(e) = ending.error(handshaking) {
        assert_eq!(conn.process_new_packets().err(), Some(e), "{what}: sticky");
    }
    assert!(
        !conn.wants_read() && !conn.wants_write(),
        "{what}: wants_read {} wants_write {}",
        conn.wants_read(),
        conn.wants_write()
    );
    let again = if handshaking {
        stream.handshake().map(|()| usize::MAX)
    } else {
        stream.read(&mut buf)
    };
    assert_eq!(
        again.map_err(|e| e.kind()),
        got.clone().map_err(|(k, _)| k),
        "{what}: the same again"
    );
    assert!(
        start.elapsed() < PROMPT,
        "{what}: took {:?}",
        start.elapsed()
    );

    drop(stream);
    let sent = peer
        .join()
        .expect("peer thread")
        .unwrap_or_else(|e| panic!("{what}: peer socket: {e}"));
    assert!(
        sent.is_empty(),
        "{what}: no alert answers an alert or an end of stream, got {sent:02x?}"
    );
}

fn every_state(side: &str, table: Table, drive: Drive, ending: Ending) {
    let all = states_of(&table());
    assert!(all.contains(&"Connected"), "{side}: {all:?}");
    for state in all {
        sans_io(state, drive(state), ending);
        over_tcp(state, drive(state), ending);
    }
}

#[test]
fn client_close_notify_in_every_state() {
    every_state("client", client_transitions, client_at, Ending::CloseNotify);
}

#[test]
fn client_warning_then_eof_in_every_state() {
    every_state(
        "client",
        client_transitions,
        client_at,
        Ending::WarningThenEof,
    );
}

#[test]
fn client_fatal_alert_in_every_state() {
    every_state("client", client_transitions, client_at, Ending::Fatal);
}

#[test]
fn client_eof_in_every_state() {
    every_state("client", client_transitions, client_at, Ending::Eof);
}

#[test]
fn server_close_notify_in_every_state() {
    every_state("server", server_transitions, server_at, Ending::CloseNotify);
}

#[test]
fn server_warning_then_eof_in_every_state() {
    every_state(
        "server",
        server_transitions,
        server_at,
        Ending::WarningThenEof,
    );
}

#[test]
fn server_fatal_alert_in_every_state() {
    every_state("server", server_transitions, server_at, Ending::Fatal);
}

#[test]
fn server_eof_in_every_state() {
    every_state("server", server_transitions, server_at, Ending::Eof);
}

#[test]
fn every_state_of_both_tables_is_covered() {
    // The tests above iterate `states_of(table)`, whose drivers panic on a state they do not
    // know. Here: that list is the tables' `from` states (every `to` is one of them), it has
    // the resumed, client-authentication and post-handshake states, and each driver really
    // reaches its state (application data before the handshake completes names the state).
    for (side, table, drive) in SIDES {
        let table = table();
        let all = states_of(&table);
        let mut from: Vec<&str> = table.iter().map(|t| t.from).collect();
        from.dedup();
        for s in &all {
            assert!(from.contains(s), "{side}: {s} is a `to` but no `from`");
        }
        for s in [
            "Connected",
            "ResumedExpectChangeCipherSpec",
            "ResumedExpectFinished",
        ] {
            assert!(all.contains(&s), "{side}: {s} missing from {all:?}");
        }
        for state in all {
            let mut at = drive(state);
            assert_eq!(at.state, state);
            assert_eq!(at.victim.is_handshaking(), state != "Connected", "{state}");
            if state == "Connected" {
                at.inject(ContentType::ApplicationData, b"data")
                    .expect("connected");
                continue;
            }
            // The error names what the state's rows take.
            assert_eq!(
                at.inject(ContentType::ApplicationData, b"early")
                    .expect_err("too early"),
                Error::UnexpectedMessage {
                    state,
                    got: "application data".into(),
                    expected: expected_in(&table, state),
                },
                "{side}: the driver reaches {state}"
            );
        }
    }
    // The typed state enums and the tables agree: every state has a row, every row's states
    // exist.
    let mut listed = states_of(&client_transitions());
    let mut declared = client_states();
    listed.sort_unstable();
    declared.sort_unstable();
    assert_eq!(listed, declared, "client");
    let mut listed = states_of(&server_transitions());
    let mut declared = server_states();
    listed.sort_unstable();
    declared.sort_unstable();
    assert_eq!(listed, declared, "server");
    let client = client_states();
    for s in [
        "ExpectServerHelloDoneAfterCertRequest",
        "ResumedExpectNewSessionTicket",
        "ExpectCertificateStatus",
    ] {
        assert!(client.contains(&s), "client: {s}");
    }
    let server = server_states();
    for s in ["ExpectClientCertificate", "ExpectCertificateVerify"] {
        assert!(server.contains(&s), "server: {s}");
    }
}

#[test]
fn reader_after_close_notify_mid_handshake_is_an_error_not_a_clean_end() {
    // Found by the tests above: the reader put "the peer closed" before the error and gave
    // Ok(0), a clean end, for a handshake that never completed.
    let (mut c, mut s) = pair(client_config(), server_config(false));
    feed(&mut s, &drain(&mut c)).expect("ClientHello");
    drain(&mut s);
    let close = frame(
        ContentType::Alert,
        &alert_payload(AlertLevel::Warning, A::CloseNotify),
    );
    let want = Error::AlertReceived(A::CloseNotify);
    assert_eq!(feed(&mut c, &close).unwrap_err(), want);
    let mut buf = [0u8; 8];
    let e = c.reader().read(&mut buf).expect_err("not Ok(0)");
    assert_eq!(e.kind(), io::ErrorKind::UnexpectedEof);
    assert_eq!(inner(&e), Some(&want));
}

// ------------------------------------------------------------------------------------------
// The invariant on random input
// ------------------------------------------------------------------------------------------

/// What is fed to a fresh connection.
#[derive(Clone, Debug)]
enum Input {
    /// Random bytes, to a fresh client (that sent its ClientHello) and to a fresh server.
    Random(Vec<u8>),
    /// The peer's genuine first flight with bytes XORed (and maybe cut short), then a few small
    /// records: the client's
    /// ClientHello to a fresh server (`to_client` false), or the server's answer to the client
    /// that sent the ClientHello.
    Mutated {
        to_client: bool,
        flips: Vec<(Index, u8)>,
        cut: Option<Index>,
        /// Small records after it (`records_strategy`).
        tail: Vec<u8>,
    },
}

/// Feeds `input` to `conn` in reads cycling through `chunks`, then end of stream if `eof`;
/// after every `read_tls` + `process_new_packets` step: an error, or it wants to read or to
/// write, or the handshake is done. Writes what it wants to write, as an event loop does.
fn invariant_holds(
    conn: &mut ConnectionCommon,
    input: &[u8],
    chunks: &[usize],
    eof: bool,
) -> Result<(), TestCaseError> {
    let mut rest = input;
    // Each step takes at least one byte, or ends the loop.
    for step in 0..=input.len() + 1 {
        if rest.is_empty() && !eof {
            return Ok(());
        }
        let take = chunks[step % chunks.len()].min(rest.len());
        let mut piece = &rest[..take];
        let n = match conn.read_tls(&mut piece) {
            Ok(n) => n,
            Err(e) => {
                // Only after the handshake (plaintext buffer full), which random input never
                // completes.
                return Err(TestCaseError::fail(format!("read_tls: {e}")));
            }
        };
        rest = &rest[n..];
        let result = conn.process_new_packets();
        prop_assert!(
            result.is_err() || conn.wants_read() || conn.wants_write() || !conn.is_handshaking(),
            "stuck after step {step} ({n} bytes): no error, handshaking, wants nothing"
        );
        drain(conn);
        if let Err(e) = result {
            prop_assert_eq!(conn.process_new_packets().err(), Some(e), "sticky");
            prop_assert!(!conn.wants_read());
            return Ok(());
        }
        if n == 0 {
            // End of stream (or close_notify after the handshake): nothing more comes.
            prop_assert!(
                !conn.is_handshaking(),
                "the input ended mid-handshake without an error"
            );
            return Ok(());
        }
    }
    Err(TestCaseError::fail("more steps than input bytes"))
}

/// A few small records: alerts (close_notify, warnings, fatal ones, anything), ChangeCipherSpec,
/// short handshake fragments and application data, and records of any type.
fn records_strategy() -> impl Strategy<Value = Vec<u8>> {
    let alert = (
        prop_oneof![Just(1u8), Just(2u8), any::<u8>()],
        prop_oneof![Just(0u8), Just(90u8), Just(40u8), Just(100u8), any::<u8>()],
    )
        .prop_map(|(level, desc)| (21u8, vec![level, desc]));
    let other = (
        prop_oneof![Just(20u8), Just(22u8), Just(23u8), any::<u8>()],
        prop::collection::vec(any::<u8>(), 0..8),
    );
    prop::collection::vec(prop_oneof![alert, other], 0..4).prop_map(|recs| {
        recs.into_iter()
            .flat_map(|(typ, body)| {
                let mut v = vec![typ, 3, 3, 0, body.len() as u8];
                v.extend(body);
                v
            })
            .collect()
    })
}

fn input_strategy() -> impl Strategy<Value = Input> {
    prop_oneof![
        prop::collection::vec(any::<u8>(), 0..600).prop_map(Input::Random),
        // A record header that looks right, then random bytes: past the record layer.
        (0u8..4, prop::collection::vec(any::<u8>(), 0..600)).prop_map(|(t, body)| {
            let typ = [20u8, 21, 22, 23][t as usize];
            let mut v = vec![typ, 3, 3, (body.len() >> 8) as u8, body.len() as u8];
            v.extend(body);
            Input::Random(v)
        }),
        records_strategy().prop_map(Input::Random),
        (
            any::<bool>(),
            prop::collection::vec((any::<Index>(), 1u8..=255), 0..4),
            proptest::option::of(any::<Index>()),
            records_strategy(),
        )
            .prop_map(|(to_client, flips, cut, tail)| Input::Mutated {
                to_client,
                flips,
                cut,
                tail,
            }),
    ]
}

fn mutate(genuine: &[u8], flips: &[(Index, u8)], cut: &Option<Index>) -> Vec<u8> {
    let mut v = genuine.to_vec();
    for (i, x) in flips {
        let at = i.index(v.len());
        v[at] ^= x;
    }
    if let Some(c) = cut {
        v.truncate(c.index(v.len()));
    }
    v
}

proptest! {
    #![proptest_config(Config { cases: 160, ..Config::default() })]

    #[test]
    fn invariant_holds_after_every_step(
        input in input_strategy(),
        chunks in prop::collection::vec(1usize..400, 1..8),
        eof in any::<bool>(),
    ) {
        match input {
            Input::Random(bytes) => {
                let (mut c, _) = pair(client_config(), server_config(false));
                drain(&mut c);
                invariant_holds(&mut c, &bytes, &chunks, eof)?;
                let (_, mut s) = pair(client_config(), server_config(false));
                invariant_holds(&mut s, &bytes, &chunks, eof)?;
            }
            Input::Mutated { to_client, flips, cut, tail } => {
                let (mut c, mut s) = pair(client_config(), server_config(false));
                let hello = drain(&mut c);
                if to_client {
                    feed(&mut s, &hello).expect("genuine ClientHello");
                    let flight = [mutate(&drain(&mut s), &flips, &cut), tail].concat();
                    invariant_holds(&mut c, &flight, &chunks, eof)?;
                } else {
                    let hello = [mutate(&hello, &flips, &cut), tail].concat();
                    invariant_holds(&mut s, &hello, &chunks, eof)?;
                }
            }
        }
    }
}
