//! The shim BoringSSL's TLS test runner (BoGo) starts once per test: it connects to the runner
//! on 127.0.0.1, plays one side of one connection (and of each resumption round) with spectls,
//! echoes what the runner sends (each byte XOR 0xff), checks the `-expect-*` flags, and exits
//! 0 on success, 1 on failure (with BoringSSL's error string on stderr), or 89 when a test needs
//! something it does not implement.
//!
//! `scripts/bogo.sh` builds the runner and runs the suite against this binary; `config.json`
//! beside this crate lists the tests that are out of scope, each with its reason.
#![forbid(unsafe_code)]

mod errors;
mod options;

use options::{Options, Phases, Unimplemented, MAX_EARLY_DATA};
use spectls::crypto::suites::ALL_CIPHER_SUITES;
use spectls::pki::{
    certs_from_pem, private_key_from_pem, ClientCertVerified, ClientCertVerifier, RootCertStore,
    ServerCertVerified, ServerCertVerifier, SignatureVerified, WebPkiServerVerifier,
};
use spectls::pki_types::{CertificateDer, ServerName, UnixTime};
use spectls::session::{
    AntiReplay, ClientSessionMemoryCache, ClientSessionValue, ServerSessionMemoryCache,
    StoresClientSessions, Ticketer, Tls13Ticket,
};
use spectls::version::{TLS12, TLS13};
use spectls::wire::{AlertDescription, NamedCurve, ProtocolVersion, SignatureScheme};
use spectls::{
    ClientConfig, ClientConnection, ConnectionCommon, Error, ServerConfig, ServerConnection,
};
use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::ops::DerefMut;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// The runner's code for "this shim does not implement what the test needs".
const UNIMPLEMENTED: u8 = 89;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|a| a == "-is-handshaker-supported") {
        // Split handshakes are BoringSSL's own feature.
        println!("No");
        return ExitCode::SUCCESS;
    }
    let options = match Phases::parse(&args).and_then(check_scope) {
        Ok(o) => o,
        Err(u) => return unimplemented(&u),
    };
    match run(&options) {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Unimplemented(u)) => unimplemented(&u),
        Err(Failure::Tls(e, tls13)) => {
            eprintln!("{} {e}", errors::boringssl_reason(&e, tls13));
            ExitCode::FAILURE
        }
        Err(Failure::Other(why)) => {
            eprintln!("{why}");
            ExitCode::FAILURE
        }
    }
}

/// Exit 89. The runner does not show why; with `BOGO_UNIMPLEMENTED_LOG` set (scripts/bogo.sh sets
/// it) the reason is appended to that file, to count what the skipped tests need.
fn unimplemented(u: &Unimplemented) -> ExitCode {
    eprintln!("{u}");
    if let Some(path) = std::env::var_os("BOGO_UNIMPLEMENTED_LOG") {
        if let Ok(mut f) = std::fs::OpenOptions::new()
            .append(true)
            .create(true)
            .open(path)
        {
            let _ = writeln!(f, "{}", u.0);
        }
    }
    ExitCode::from(UNIMPLEMENTED)
}

/// Why a run failed.
enum Failure {
    Unimplemented(Unimplemented),
    /// The connection failed: reported with BoringSSL's reason string, which for some errors
    /// depends on whether TLS 1.3 was negotiated.
    Tls(Error, bool),
    /// An expectation did not hold, or the transport failed.
    Other(String),
}

impl From<io::Error> for Failure {
    fn from(e: io::Error) -> Self {
        match e.get_ref().and_then(|inner| inner.downcast_ref::<Error>()) {
            Some(tls) => Failure::Tls(tls.clone(), false),
            None => Failure::Other(format!("transport: {e}")),
        }
    }
}

impl From<Error> for Failure {
    fn from(e: Error) -> Self {
        Failure::Tls(e, false)
    }
}

/// Refuses, as unimplemented, what only a version spectls does not speak could do: the
/// versions the flags allow, for each connection, must include TLS 1.2 or TLS 1.3.
fn check_scope(p: Phases) -> Result<Phases, Unimplemented> {
    for o in [&p.initial, &p.resume, &p.retry] {
        check_versions(o)?;
    }
    Ok(p)
}

fn check_versions(o: &Options) -> Result<(), Unimplemented> {
    if versions(o).is_empty() {
        return Err(Unimplemented(
            "no version spectls speaks (TLS 1.2, 1.3)".into(),
        ));
    }
    if o.expect_version
        .is_some_and(|v| v != wire(&TLS12) && v != wire(&TLS13))
    {
        return Err(Unimplemented("a version other than TLS 1.2 or 1.3".into()));
    }
    Ok(())
}

fn wire(v: &ProtocolVersion) -> u16 {
    u16::from_be_bytes([v.major, v.minor])
}

/// The versions `-min-version`, `-max-version`, `-no-tls12` and `-no-tls13` leave, of the two
/// spectls speaks.
fn versions(o: &Options) -> Vec<ProtocolVersion> {
    [(TLS13, o.no_tls13), (TLS12, o.no_tls12)]
        .into_iter()
        .filter(|(v, off)| {
            !off && o.min_version.is_none_or(|m| wire(v) >= m)
                && o.max_version.is_none_or(|m| wire(v) <= m)
        })
        .map(|(v, _)| v)
        .collect()
}

/// What the connections of one test share, so that the resumption rounds can resume: the
/// session caches, the ticket keys, and the server's record of accepted 0-RTT ClientHellos.
struct Shared {
    ticketer: Arc<Ticketer>,
    server_sessions: Arc<ServerSessionMemoryCache>,
    anti_replay: Arc<AntiReplay>,
    client_sessions: Arc<TicketLog>,
}

fn run(p: &Phases) -> Result<(), Failure> {
    let shared = Shared {
        ticketer: Ticketer::new(Duration::from_secs(3600))?,
        server_sessions: ServerSessionMemoryCache::new(64, Duration::from_secs(3600)),
        anti_replay: Arc::new(AntiReplay::new(Duration::from_secs(20), 1000)),
        client_sessions: Arc::new(TicketLog {
            inner: ClientSessionMemoryCache::new(8),
            early_data_ticket: AtomicBool::new(false),
        }),
    };
    let rounds = p.initial.resume_count;
    // One config for the first connection and one for the resumption rounds (the `-on-initial-`
    // and `-on-resume-` flags), over the same caches and keys.
    if p.initial.server {
        let initial = Arc::new(server_config(&p.initial, &shared)?);
        let resume = Arc::new(server_config(&p.resume, &shared)?);
        for round in 0..=rounds {
            let (o, config) = match round {
                0 => (&p.initial, &initial),
                _ => (&p.resume, &resume),
            };
            let conn = ServerConnection::new(config.clone())?;
            exchange(o, None, conn, round > 0, None)?;
        }
    } else {
        let initial = Arc::new(client_config(&p.initial, &shared)?);
        let resume = Arc::new(client_config(&p.resume, &shared)?);
        let name = match &p.initial.host_name {
            Some(h) => ServerName::try_from(h.clone())
                .map_err(|_| Failure::Other(format!("bad -host-name {h}")))?,
            None => ServerName::IpAddress(std::net::Ipv4Addr::LOCALHOST.into()),
        };
        for round in 0..=rounds {
            let (o, config) = match round {
                0 => (&p.initial, &initial),
                _ => (&p.resume, &resume),
            };
            let mut conn = ClientConnection::new(config.clone(), name.clone())?;
            // The ClientHello offered 0-RTT data: as BoringSSL's shim, the message it writes
            // first goes out as early data, as much of it as the ticket allows.
            let early = match conn.early_data() {
                Some(mut w) if o.shim_writes_first => Some(w.write(SHIM_FIRST_WRITE)?),
                Some(_) => Some(0),
                None => None,
            };
            if early.is_some() && o.export_keying_material > 0 {
                // BoringSSL's shim exports as soon as its handshake call returns, which for a
                // client sending 0-RTT data is before the handshake completes: no keys yet.
                export(o, &conn)?;
            }
            shared
                .client_sessions
                .early_data_ticket
                .store(false, Ordering::Relaxed);
            exchange(o, Some(&p.retry), conn, round > 0, early)?;
            if o.expect_ticket_supports_early_data
                && !shared
                    .client_sessions
                    .early_data_ticket
                    .load(Ordering::Relaxed)
            {
                return Err(Failure::Other("no ticket that allows early data".into()));
            }
        }
    }
    Ok(())
}

/// What the runner expects a shim to write first (`-shim-writes-first`).
const SHIM_FIRST_WRITE: &[u8] = b"hello";

/// The client's session cache, noting whether a TLS 1.3 ticket that allows early data arrived
/// (`-expect-ticket-supports-early-data`).
#[derive(Debug)]
struct TicketLog {
    inner: Arc<ClientSessionMemoryCache>,
    early_data_ticket: AtomicBool,
}

impl StoresClientSessions for TicketLog {
    fn put(&self, server_name: &str, value: ClientSessionValue) {
        self.inner.put(server_name, value)
    }

    fn get(&self, server_name: &str) -> Option<ClientSessionValue> {
        self.inner.get(server_name)
    }

    fn remove(&self, server_name: &str) {
        self.inner.remove(server_name)
    }

    fn put_tls13(&self, server_name: &str, ticket: Tls13Ticket) {
        if ticket.max_early_data > 0 {
            self.early_data_ticket.store(true, Ordering::Relaxed);
        }
        self.inner.put_tls13(server_name, ticket)
    }

    fn take_tls13(&self, server_name: &str) -> Option<Tls13Ticket> {
        self.inner.take_tls13(server_name)
    }
}

/// 0-RTT data on either side of a connection.
trait Early: DerefMut<Target = ConnectionCommon> {
    fn early_data_accepted(&self) -> bool;
    /// The early data received (a server), taken.
    fn take_early_data(&mut self) -> Result<Vec<u8>, Failure>;
}

impl Early for ClientConnection {
    fn early_data_accepted(&self) -> bool {
        self.is_early_data_accepted()
    }

    fn take_early_data(&mut self) -> Result<Vec<u8>, Failure> {
        Ok(Vec::new())
    }
}

impl Early for ServerConnection {
    fn early_data_accepted(&self) -> bool {
        self.is_early_data_accepted()
    }

    fn take_early_data(&mut self) -> Result<Vec<u8>, Failure> {
        let mut data = Vec::new();
        if let Some(mut early) = self.early_data() {
            early.read_to_end(&mut data)?;
        }
        Ok(data)
    }
}

/// A server that may take 0-RTT data echoes it as it comes, before the handshake completes:
/// spectls sends a server's writes at once (0.5-RTT data, RFC 8446 2.3) once it accepted early
/// data, and the runner waits for the echo before it sends the rest of its flight, as
/// BoringSSL's shim does. Stops when the handshake is over, early data was not accepted, or a
/// read ends or fails (the handshake that follows then reports it).
fn echo_early_data<C: Early>(tls: &mut spectls::Stream<C, TcpStream>) -> Result<(), Failure> {
    while tls.conn.is_handshaking() {
        while tls.conn.wants_write() {
            if tls.conn.write_tls(&mut tls.sock)? == 0 {
                return Ok(());
            }
        }
        match tls.conn.read_tls(&mut tls.sock) {
            Ok(0) | Err(_) => return Ok(()),
            Ok(_) => {}
        }
        if tls.conn.process_new_packets().is_err() || !tls.conn.early_data_accepted() {
            return Ok(());
        }
        let echo: Vec<u8> = tls
            .conn
            .take_early_data()?
            .iter()
            .map(|b| b ^ 0xff)
            .collect();
        tls.conn.writer().write_all(&echo)?;
    }
    Ok(())
}

fn groups(o: &Options) -> Result<Vec<NamedCurve>, Failure> {
    o.curves
        .iter()
        .map(|&c| {
            let g = NamedCurve::from_value(c);
            if spectls::crypto::ALL_GROUPS.contains(&g) {
                Ok(g)
            } else {
                Err(Failure::Unimplemented(Unimplemented(format!("group {c}"))))
            }
        })
        .collect()
}

/// A key type spectls does not sign with (RSA-PSS keys, P-521, ...) makes the test unimplemented.
fn usable_key(key: &spectls::pki_types::PrivateKeyDer<'_>) -> Result<(), Failure> {
    spectls::pki::SigningKey::from_der(key)
        .map(drop)
        .map_err(|e| Failure::Unimplemented(Unimplemented(format!("key: {e}"))))
}

fn schemes(values: &[u16]) -> Vec<SignatureScheme> {
    values
        .iter()
        .map(|&s| SignatureScheme::from_value(s))
        .collect()
}

fn read_file(path: &Option<String>, what: &str) -> Result<Vec<u8>, Failure> {
    let path = path
        .as_ref()
        .ok_or_else(|| Failure::Other(format!("no {what} file")))?;
    std::fs::read(path).map_err(|e| Failure::Other(format!("{path}: {e}")))
}

fn server_config(o: &Options, shared: &Shared) -> Result<ServerConfig, Failure> {
    let chain = certs_from_pem(&read_file(&o.cert_file, "certificate")?)?;
    let key = private_key_from_pem(&read_file(&o.key_file, "key")?)?;
    usable_key(&key)?;
    let mut b = ServerConfig::builder()
        .with_protocol_versions(&versions(o))
        .with_session_storage(shared.server_sessions.clone())
        .with_alpn_protocols(o.select_alpn.iter().cloned().collect());
    b = match &o.ocsp_response {
        Some(ocsp) => b.with_single_cert_with_ocsp(chain, key, ocsp.clone())?,
        None => b.with_single_cert(chain, key)?,
    };
    if o.no_ticket {
        // SSL_OP_NO_TICKET: no RFC 5077 tickets, and in TLS 1.3 no tickets at all (without a
        // ticketer the session cache would issue stateful ones; TLS13-NoTicket-NoMint).
        b = b.with_tls13_tickets(0);
    } else {
        b = b.with_ticketer(shared.ticketer.clone());
    }
    if o.enable_early_data {
        b = b
            .with_early_data(MAX_EARLY_DATA)
            .with_anti_replay(shared.anti_replay.clone());
    }
    if !o.curves.is_empty() {
        b = b.with_groups(&groups(o)?);
    }
    if o.require_client_cert || o.verify_peer {
        b = b.with_client_cert_verifier(Arc::new(AnyClientCert {
            required: o.require_client_cert,
            signatures: Signatures::new(&o.verify_prefs),
        }));
    }
    Ok(b.build()?)
}

fn client_config(o: &Options, shared: &Shared) -> Result<ClientConfig, Failure> {
    let mut b = ClientConfig::builder()
        .with_root_certificates(RootCertStore::empty())
        .with_session_storage(shared.client_sessions.clone())
        .enable_early_data(o.enable_early_data)
        .with_alpn_protocols(o.advertise_alpn.clone())
        .enable_tickets(!o.no_ticket)
        .enable_ocsp_stapling(o.enable_ocsp_stapling)
        .with_protocol_versions(&versions(o))
        .with_cipher_suites(ALL_CIPHER_SUITES);
    if !o.curves.is_empty() {
        b = b.with_groups(&groups(o)?);
    }
    if let (Some(_), Some(_)) = (&o.cert_file, &o.key_file) {
        let chain = certs_from_pem(&read_file(&o.cert_file, "certificate")?)?;
        let key = private_key_from_pem(&read_file(&o.key_file, "key")?)?;
        usable_key(&key)?;
        b = b.with_client_auth_cert(chain, key)?;
    }
    // The runner's certificates chain to no root the shim knows, and BoringSSL's shim does not
    // verify them unless told to: the chain is accepted, the handshake signatures are still
    // checked with the certificate's key.
    let b = b
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(AnyServerCert(Signatures::new(
            &o.verify_prefs,
        ))));
    Ok(b.build()?)
}

/// Runs one connection: handshake, expectations, then the echo until the runner closes.
/// Returns the version the connection negotiated. `early`: a client's ClientHello offered 0-RTT
/// data, and this much of `SHIM_FIRST_WRITE` went as early data; if the server refuses it, the
/// connection goes on with the `retry` options (`-on-retry-`), as BoringSSL's shim does.
fn exchange<C: Early>(
    o: &Options,
    retry: Option<&Options>,
    conn: C,
    resumed_round: bool,
    early: Option<usize>,
) -> Result<Option<ProtocolVersion>, Failure> {
    let sock = TcpStream::connect(("127.0.0.1", o.port))
        .map_err(|e| Failure::Other(format!("connect: {e}")))?;
    sock.set_nodelay(true).ok();
    let mut tls = spectls::Stream::new(conn, sock);
    let result = exchange_on(o, retry, &mut tls, resumed_round, early);
    let version = tls.conn.protocol_version();
    match result {
        Ok(()) => Ok(version),
        Err(Failure::Tls(e, _)) => Err(Failure::Tls(e, version == Some(TLS13))),
        Err(other) => Err(other),
    }
}

fn exchange_on<C: Early>(
    o: &Options,
    retry: Option<&Options>,
    tls: &mut spectls::Stream<C, TcpStream>,
    resumed_round: bool,
    early: Option<usize>,
) -> Result<(), Failure> {
    if o.server && o.enable_early_data {
        echo_early_data(tls)?;
    }
    if let Err(e) = tls.handshake() {
        return Err(match Failure::from(e) {
            // BoringSSL names a handshake_failure that answers the ClientHello itself.
            Failure::Tls(Error::AlertReceived(AlertDescription::HandshakeFailure), _)
                if !o.server && tls.conn.negotiated_cipher_suite().is_none() =>
            {
                Failure::Other(":HANDSHAKE_FAILURE_ON_CLIENT_HELLO:".into())
            }
            other => other,
        });
    }
    let accepted = tls.conn.early_data_accepted();
    if o.expect_accept_early_data && !accepted {
        return Err(Failure::Other("early data was not accepted".into()));
    }
    if o.expect_reject_early_data && accepted {
        return Err(Failure::Other("early data was accepted".into()));
    }
    // What went as early data is not written again; what the server refused is not resent.
    let (o, sent_early) = match (early, retry) {
        (Some(n), _) if accepted => (o, n),
        (Some(_), Some(retry)) => (retry, 0),
        _ => (o, 0),
    };
    check_expectations(o, &tls.conn, resumed_round)?;
    // A server echoes the 0-RTT data it took, as the rest (what is left: see `echo_early_data`).
    let received_early: Vec<u8> = tls
        .conn
        .take_early_data()?
        .iter()
        .map(|b| b ^ 0xff)
        .collect();
    tls.write_all(&received_early)?;
    if o.export_keying_material > 0 {
        // As BoringSSL's shim: the exported bytes are the first application data sent, and
        // the runner compares them with its own export.
        let material = export(o, &tls.conn)?;
        tls.write_all(&material)?;
    }
    if o.shim_writes_first {
        tls.write_all(SHIM_FIRST_WRITE.get(sent_early..).unwrap_or_default())?;
    }
    if o.shim_shuts_down {
        match tls.close() {
            Err(e) if e.kind() == io::ErrorKind::BrokenPipe && !o.check_close_notify => {
                return Ok(())
            }
            other => other?,
        }
        // The runner answers with its own close_notify: a clean end.
        let mut buf = [0u8; 1];
        return match tls.read(&mut buf) {
            Ok(0) => Ok(()),
            Ok(_) => Err(Failure::Other(":APPLICATION_DATA_ON_SHUTDOWN:".into())),
            // Without -check-close-notify a transport close is as good (BoringSSL's default);
            // with it, BoringSSL's shim reports what SSL_shutdown returned.
            // (The runner may close without reading our close_notify: a reset is an end too.)
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::UnexpectedEof | io::ErrorKind::ConnectionReset
                ) =>
            {
                if o.check_close_notify {
                    Err(Failure::Other(
                        "Unexpected SSL_shutdown result: -1 != 1".into(),
                    ))
                } else {
                    Ok(())
                }
            }
            Err(e) => Err(e.into()),
        };
    }
    let mut buf = vec![0u8; 16384];
    loop {
        let n = match tls.read(&mut buf) {
            Ok(0) => {
                // close_notify: answer it.
                tls.close()?;
                return Ok(());
            }
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof && !o.check_close_notify => {
                return Ok(())
            }
            Err(e) => return Err(e.into()),
        };
        let reply: Vec<u8> = buf.iter().take(n).map(|b| b ^ 0xff).collect();
        tls.write_all(&reply)?;
    }
}

/// `-export-keying-material`: the bytes to export.
fn export(o: &Options, c: &ConnectionCommon) -> Result<Vec<u8>, Failure> {
    let context = o.use_export_context.then_some(o.export_context.as_bytes());
    Ok(c.export_keying_material(
        vec![0u8; o.export_keying_material],
        o.export_label.as_bytes(),
        context,
    )?)
}

fn check_expectations(
    o: &Options,
    c: &ConnectionCommon,
    resumed_round: bool,
) -> Result<(), Failure> {
    let fail = |why: String| Err(Failure::Other(why));
    if let Some(want) = o.expect_version {
        let got = c.protocol_version().as_ref().map(wire);
        if got != Some(want) {
            return fail(format!("version {got:?}, expected {want}"));
        }
    }
    if resumed_round && !o.expect_session_miss && !c.is_resumed() {
        return fail("session was not resumed".into());
    }
    if resumed_round && o.expect_session_miss && c.is_resumed() {
        return fail("session was resumed, expected a miss".into());
    }
    if let Some(want) = o.expect_curve_id {
        let got = c.negotiated_group().map(NamedCurve::value);
        if !c.is_resumed() && got != Some(want) {
            return fail(format!("curve {got:?}, expected {want}"));
        }
    }
    if let Some(want) = &o.expect_alpn {
        if c.alpn_protocol() != Some(want.as_slice()) {
            return fail(format!("ALPN {:?}, expected {want:?}", c.alpn_protocol()));
        }
    }
    if o.expect_no_alpn && c.alpn_protocol().is_some() {
        return fail("ALPN negotiated".into());
    }
    // TLS 1.3's key schedule covers the whole handshake, as the extension does for 1.2
    // (BoringSSL reports it as used).
    let tls13 = c.protocol_version() == Some(TLS13);
    if o.expect_extended_master_secret && !c.extended_master_secret() && !tls13 {
        return fail("no extended master secret".into());
    }
    if o.expect_secure_renegotiation && !c.secure_renegotiation() {
        return fail("no secure renegotiation".into());
    }
    if o.expect_no_secure_renegotiation && c.secure_renegotiation() {
        return fail("secure renegotiation".into());
    }
    if let Some(want) = o.expect_peer_signature_algorithm {
        let got = c.negotiated_signature_scheme().map(SignatureScheme::value);
        if !c.is_resumed() && got != Some(want) {
            return fail(format!("peer signature algorithm {got:?}, expected {want}"));
        }
    }
    if let Some(want) = &o.expect_ocsp_response {
        if !c.is_resumed() && c.ocsp_response() != Some(want.as_slice()) {
            return fail("OCSP response mismatch".into());
        }
    }
    if o.expect_no_ocsp_response && c.ocsp_response().is_some() {
        return fail("OCSP response present".into());
    }
    Ok(())
}

/// The handshake signatures both verifiers still check, with the certificate's key (no chain).
#[derive(Debug)]
struct Signatures {
    webpki: WebPkiServerVerifier,
    /// `-verify-prefs`: the schemes to offer, most preferred first (empty: spectls's default).
    schemes: Vec<SignatureScheme>,
}

impl Signatures {
    fn new(prefs: &[u16]) -> Self {
        Signatures {
            webpki: WebPkiServerVerifier::new(Arc::new(RootCertStore::empty())),
            schemes: schemes(prefs),
        }
    }

    fn verify(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        scheme: SignatureScheme,
        signature: &[u8],
    ) -> Result<SignatureVerified, Error> {
        self.webpki
            .verify_tls12_signature(message, cert, scheme, signature)
    }

    fn supported(&self) -> Vec<SignatureScheme> {
        if self.schemes.is_empty() {
            self.webpki.supported_schemes()
        } else {
            self.schemes.clone()
        }
    }
}

/// Accepts any server chain (see `client_config`); signatures are still verified.
#[derive(Debug)]
struct AnyServerCert(Signatures);

impl ServerCertVerifier for AnyServerCert {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        scheme: SignatureScheme,
        signature: &[u8],
    ) -> Result<SignatureVerified, Error> {
        self.0.verify(message, cert, scheme, signature)
    }

    fn supported_schemes(&self) -> Vec<SignatureScheme> {
        self.0.supported()
    }
}

/// `-verify-peer` / `-require-any-client-certificate`: asks for a client certificate and
/// accepts any chain; the CertificateVerify signature is still verified.
#[derive(Debug)]
struct AnyClientCert {
    required: bool,
    signatures: Signatures,
}

impl ClientCertVerifier for AnyClientCert {
    fn offer_client_auth(&self) -> bool {
        true
    }

    fn client_auth_mandatory(&self) -> bool {
        self.required
    }

    fn root_hint_subjects(&self) -> Vec<Vec<u8>> {
        Vec::new()
    }

    fn verify_client_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _now: UnixTime,
    ) -> Result<ClientCertVerified, Error> {
        Ok(ClientCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        scheme: SignatureScheme,
        signature: &[u8],
    ) -> Result<SignatureVerified, Error> {
        self.signatures.verify(message, cert, scheme, signature)
    }

    fn supported_schemes(&self) -> Vec<SignatureScheme> {
        self.signatures.supported()
    }
}
