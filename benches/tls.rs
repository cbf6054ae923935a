//! spectls against rustls 0.23 (ring provider), TLS 1.2 and TLS 1.3, in one process over memory
//! buffers, with ring itself as the floor: handshakes, bulk throughput, memory per connection,
//! decode.
//!
//! `cargo bench --bench tls` (about 50 s), `cargo bench --bench tls -- --quick` (smoke run, a few
//! seconds). Without `--bench` (which `cargo bench` always passes), e.g. under
//! `cargo test --benches`, it runs as `--quick`.
//!
//! Arguments: any word that does not start with `--` filters the timed jobs: a job runs if every
//! word is a substring of its id (`hs-ecdsa/spectls`, `hs13-rsa/rustls`, `bulk-aes128/rustls`,
//! `bulk13-chacha/spectls-inplace`, `floor/x25519`, `decode/spectls`, ...; `--list` prints them;
//! the memory tables answer to `memory` (both) and `memory13`). `--profile N` runs each selected
//! job once for N iterations and prints only the elapsed time (for `valgrind --tool=callgrind`;
//! the difference between two N is the cost of N2 - N1 iterations, setup cancelled out), e.g.
//! `target/release/deps/tls-* --bench --profile 200 hs-ecdsa/spectls`.
//!
//! Versions: every config, both libraries, both sides, is pinned to its suite's version
//! (`with_protocol_versions(&[TLS12])` or `&[TLS13]`; both libraries would otherwise offer 1.3
//! and 1.2), and every job's check before timing asserts the version both ends negotiated. Jobs
//! whose id has `13` (`hs13-*`, `bulk13-*`, `memory13`) are TLS 1.3 (`TLS13_*` suites), the
//! others TLS 1.2 (`TLS_ECDHE_*`).
//!
//! Same certificates (`tests/data/certs/server-{ecdsa,rsa}.pem` and `.key`, `ca.pem` as the only
//! root), same suite, same group (clients offer X25519 and secp256r1, as an ECDHE_ECDSA server
//! with a P-256 certificate needs; servers take X25519 only), same signature scheme (rustls's
//! client offers only `ecdsa_secp256r1_sha256` and `rsa_pss_rsae_sha256`, as spectls's server
//! picks them: left alone, rustls pairs would sign with RSA-PSS-SHA512), extended master secret
//! on both (TLS 1.2). Full handshakes run with resumption off on both sides (no client cache, no
//! server cache, no tickets); resumed ones, TLS 1.2 by session ID (server cache, no tickets) or
//! by ticket (no server cache), TLS 1.3 by ticket with ECDHE (`resumed13-*`) or, spectls only,
//! with the PSK alone (`resumed13-psk-only-*`), primed by one full handshake. In TLS 1.3 both clients
//! send one key share, X25519 (their first group), so there is no HelloRetryRequest; the rustls
//! server's default of 2 NewSessionTickets after every handshake is turned off
//! (`send_tls13_tickets = 0`, checked: the client received none), as spectls's server, with no
//! session store and no ticketer, sends none. Every job is checked once before timing (version;
//! handshake full or resumed as intended, with the expected parameters; bulk data arrives
//! intact).
//!
//! * handshakes: a fresh client and server, records pumped between them until both are done,
//!   then both dropped. Both sides' CPU is timed; each side's share is timed around its own
//!   calls (`new`, `write_tls`, `read_tls` + `process_new_packets`, drop).
//! * bulk: on an established pair, `writer().write_all` of 1 MiB on the client, `write_tls` into
//!   a buffer, then `read_tls` + `process_new_packets` + `reader().read` on the server until the
//!   1 MiB is out. rustls's send buffer limit is lifted (`set_buffer_limit(None)`) so the 1 MiB
//!   write is accepted whole, as spectls accepts it. Its floors: ring's AEAD alone, and the
//!   "API floor": ring's AEAD plus the four copies any buffered `writer`/`write_tls`/`read_tls`/
//!   `reader` API implies (see `api_floor_job`), which is what such an API can at best reach.
//! * bulk, unbuffered: the same 1 MiB on each library's unbuffered path. spectls:
//!   `write_tls_into` a buffer, `read_tls_in_place` on that buffer record by record. rustls:
//!   `UnbufferedClientConnection`/`UnbufferedServerConnection` (`support/rustls_unbuffered.rs`).
//!   The plaintext is handed to a sink as slices (copied and compared once before timing,
//!   only `black_box`ed while timed), as a consumer of in-place data would use it.
//! * bulk, TLS 1.3 (`bulk13-*`): the same four jobs (buffered, unbuffered, both libraries) over
//!   TLS 1.3 connections, against the same ring floors as the TLS 1.2 rows (ring AEAD alone and
//!   the API floor, 16 KiB records with a 13-byte AAD): a 1.3 record seals one byte more (its
//!   content type) under a 5-byte AAD, well under 0.1% of the work. They supersede the former
//!   `bulk-*/spectls13-records` job, which timed `crypto::cipher13` alone from before the engine
//!   spoke TLS 1.3.
//! * floor: ring alone. X25519 key generation + agreement (one side), ECDSA P-256 SHA-256
//!   sign/verify, RSA-2048 PSS-SHA256 sign/verify, and AEAD seal+open of 16 KiB records. A full
//!   ECDSA handshake cannot cost less than 2 x X25519 + 1 ECDSA sign + 2 ECDSA verifies (the
//!   ServerKeyExchange signature and the CA's signature on the leaf: `ca.pem` is a P-256 CA);
//!   an RSA one 2 x X25519 + RSA sign + RSA verify + 1 ECDSA verify (the chain). A full TLS 1.3
//!   handshake has the same floor, its CertificateVerify signature in place of the
//!   ServerKeyExchange one. Hashing, the TLS 1.2 PRF and the TLS 1.3 HKDF key schedule (about 20
//!   HMAC-SHA-256 per side) and certificate parsing are left out of the floor.
//! * post-quantum (`pq-*`): full TLS 1.3 handshakes (ECDSA P-256, AES-128-GCM, no tickets) with
//!   one group on both sides, X25519 (`pq-x25519/*`) or X25519MLKEM768 (`pq-x25519mlkem768/*`),
//!   spectls against rustls on its aws-lc-rs provider (ring has no ML-KEM; both of rustls's rows
//!   use aws-lc-rs, so its own cost of the hybrid is measured on one provider); the cost of the
//!   hybrid is the difference between the two rows. `pq-kx/*`: spectls's key exchange alone
//!   (the client's share, the server's answer, the client's secret) for each group. The checks
//!   assert the group both ends negotiated; the table also prints the key share sizes and the
//!   bytes each handshake puts on the wire each way.
//! * memory: a counting global allocator (below). Bytes still allocated once the handshake is
//!   over, attributable to one client + server pair (configs are shared and excluded), the peak
//!   above that baseline during the handshake, what is left after a 1 MiB transfer, and
//!   allocation counts; one table for a TLS 1.2 pair, one for a TLS 1.3 pair (ECDSA certificate,
//!   AES-128-GCM).
//! * decode: the first ClientHello of `tests/data/captures/ecdsa-aes128gcm.trace`, as in
//!   `benches/decode.rs` (spectls's generated decoder vs rustls's borrowed `Message`).
//!
//! The measured numbers are in README.md's benchmark section (TLS 1.3 full handshakes level
//! with rustls by instruction count: 3,676,284 against 3,680,305 for ECDSA, 13,179,046 against
//! 13,180,864 for RSA; 89 allocations per handshake pair against 130).
//!
//! Timing: `std::time::Instant`, medians of samples; the samples of the jobs compared in one row
//! are interleaved (rotating order). The counting allocator's atomic adds are on every
//! allocation, for both libraries alike.

#[path = "support/rustls_unbuffered.rs"]
mod rustls_unbuffered;

use ring::rand::SystemRandom;
use ring::{aead, agreement, signature};
use rustls::internal::msgs::base::Payload;
use rustls::internal::msgs::codec::{Codec as RCodec, Reader as RReader};
use rustls::internal::msgs::message::{Message, PlainMessage};
use spectls::capture::{decode_handshake, Capture, Direction, Flow};
use spectls::codec::{Codec, Reader};
use spectls::crypto::suites::SupportedCipherSuite;
use spectls::wire::{NamedCurve, ProtocolVersion, SignatureScheme, TLSPlaintext};
use std::alloc::{GlobalAlloc, Layout, System};
use std::hint::black_box;
use std::io::{self, Read, Write};
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use std::sync::Arc;
use std::time::{Duration, Instant};

// ---------------------------------------------------------------------------------------------
// Counting allocator.

/// Wraps the system allocator and counts live bytes, their peak and the number of allocations.
struct Counting;

static CURRENT: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);
static ALLOCS: AtomicUsize = AtomicUsize::new(0);

fn grew(n: usize) {
    let now = CURRENT.fetch_add(n, Relaxed) + n;
    PEAK.fetch_max(now, Relaxed);
}

// The one `unsafe` in this bench: `GlobalAlloc` is an unsafe trait, so counting heap bytes needs
// an `unsafe impl`. It only forwards every call unchanged to `System` (same pointers, same
// layouts, same contract) and adds counters. The crates' `#![forbid(unsafe_code)]` is for the
// library crates; a bench is its own crate.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = System.alloc(layout);
        if !p.is_null() {
            grew(layout.size());
            ALLOCS.fetch_add(1, Relaxed);
        }
        p
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let p = System.alloc_zeroed(layout);
        if !p.is_null() {
            grew(layout.size());
            ALLOCS.fetch_add(1, Relaxed);
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        System.dealloc(ptr, layout);
        CURRENT.fetch_sub(layout.size(), Relaxed);
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = System.realloc(ptr, layout, new_size);
        if !p.is_null() {
            CURRENT.fetch_sub(layout.size(), Relaxed);
            grew(new_size);
            ALLOCS.fetch_add(1, Relaxed);
        }
        p
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

// ---------------------------------------------------------------------------------------------
// Test material.

const CA: &[u8] = include_bytes!("../tests/data/certs/ca.pem");
const ECDSA_CHAIN: &[u8] = include_bytes!("../tests/data/certs/server-ecdsa.pem");
const ECDSA_KEY: &[u8] = include_bytes!("../tests/data/certs/server-ecdsa.key");
const RSA_CHAIN: &[u8] = include_bytes!("../tests/data/certs/server-rsa.pem");
const RSA_KEY: &[u8] = include_bytes!("../tests/data/certs/server-rsa.key");
const CAPTURE: &str = include_str!("../tests/data/captures/ecdsa-aes128gcm.trace");

const MIB: usize = 1 << 20;

/// The client offers X25519 and secp256r1: an ECDHE_ECDSA server may only use its P-256
/// certificate if the client lists secp256r1 (RFC 8422 section 5.1.1, which spectls's server
/// enforces). Servers accept X25519 only, so X25519 is what both negotiate.
const CLIENT_GROUPS: &[NamedCurve] = &[NamedCurve::X25519, NamedCurve::Secp256r1];

/// Session resumption: off (full handshakes every time), by session ID (server cache), or by
/// ticket (RFC 5077; no server cache).
#[derive(Clone, Copy, PartialEq, Debug)]
enum Resume {
    Off,
    SessionId,
    Ticket,
    /// TLS 1.3 tickets resumed with the PSK alone (psk_ke) where the library can: spectls on
    /// both sides; rustls has no psk_ke and resumes as with `Ticket` (PSK with ECDHE).
    PskOnly,
}

#[derive(Clone, Copy, PartialEq)]
enum Cert {
    Ecdsa,
    Rsa,
}

impl Cert {
    fn chain_and_key(self) -> (&'static [u8], &'static [u8]) {
        match self {
            Cert::Ecdsa => (ECDSA_CHAIN, ECDSA_KEY),
            Cert::Rsa => (RSA_CHAIN, RSA_KEY),
        }
    }

    fn scheme(self) -> SignatureScheme {
        match self {
            Cert::Ecdsa => SignatureScheme::EcdsaSecp256r1Sha256,
            Cert::Rsa => SignatureScheme::RsaPssRsaeSha256,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The two libraries behind one interface. (Method names differ from the libraries' own so the
// calls below cannot resolve back to the trait.)

trait Conn {
    fn tls_in(&mut self, rd: &mut dyn Read) -> usize;
    fn tls_out(&mut self, wr: &mut dyn Write) -> usize;
    fn process(&mut self);
    fn pending_out(&self) -> bool;
    fn can_read(&self) -> bool;
    fn busy(&self) -> bool;
    /// Plaintext out of the connection; 0 when none is there now.
    fn plain_in(&mut self, buf: &mut [u8]) -> usize;
    fn plain_out_all(&mut self, buf: &[u8]);
    /// Lets one `plain_out_all` take any amount (rustls caps its send buffer at 64 KiB).
    fn unlimit(&mut self) {}
    /// The negotiated protocol version as on the wire (0x0303, 0x0304).
    fn version(&self) -> Option<u16>;
}

macro_rules! impl_conn {
    ($($t:ty => { $($extra:item)* }),* $(,)?) => {$(
        impl Conn for $t {
            fn tls_in(&mut self, rd: &mut dyn Read) -> usize {
                self.read_tls(rd).expect("read_tls")
            }
            fn tls_out(&mut self, wr: &mut dyn Write) -> usize {
                self.write_tls(wr).expect("write_tls")
            }
            fn process(&mut self) {
                if let Err(e) = self.process_new_packets() {
                    panic!("{}: process_new_packets: {e:?}", stringify!($t));
                }
            }
            fn pending_out(&self) -> bool {
                self.wants_write()
            }
            fn can_read(&self) -> bool {
                self.wants_read()
            }
            fn busy(&self) -> bool {
                self.is_handshaking()
            }
            fn plain_in(&mut self, buf: &mut [u8]) -> usize {
                match self.reader().read(buf) {
                    Ok(n) => n,
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => 0,
                    Err(e) => panic!("{}: read: {e}", stringify!($t)),
                }
            }
            fn plain_out_all(&mut self, buf: &[u8]) {
                self.writer().write_all(buf).expect("write_all");
            }
            $($extra)*
        }
    )*};
}

impl_conn!(
    spectls::ClientConnection => {
        fn version(&self) -> Option<u16> {
            self.protocol_version().map(|v| wire_version(&v))
        }
    },
    spectls::ServerConnection => {
        fn version(&self) -> Option<u16> {
            self.protocol_version().map(|v| wire_version(&v))
        }
    },
    rustls::ClientConnection => {
        fn unlimit(&mut self) {
            self.set_buffer_limit(None);
        }
        fn version(&self) -> Option<u16> {
            self.protocol_version().map(u16::from)
        }
    },
    rustls::ServerConnection => {
        fn unlimit(&mut self) {
            self.set_buffer_limit(None);
        }
        fn version(&self) -> Option<u16> {
            self.protocol_version().map(u16::from)
        }
    },
);

fn wire_version(v: &ProtocolVersion) -> u16 {
    u16::from_be_bytes([v.major, v.minor])
}

/// The one version a suite belongs to: every config here is pinned to it on both sides (spectls
/// configs offer TLS 1.3 and 1.2 by default, rustls's too).
fn version_of(suite: &SupportedCipherSuite) -> ProtocolVersion {
    if suite.is_tls13() {
        spectls::version::TLS13
    } else {
        spectls::version::TLS12
    }
}

/// Makes client and server connections from configs built once.
trait Lib {
    type C: Conn;
    type S: Conn;
    fn client(&self) -> Self::C;
    fn server(&self) -> Self::S;
}

struct Spectls {
    client: Arc<spectls::ClientConfig>,
    server: Arc<spectls::ServerConfig>,
}

impl Spectls {
    fn new(suite: &'static SupportedCipherSuite, cert: Cert, resume: Resume) -> Self {
        Self::with_groups(suite, cert, resume, CLIENT_GROUPS, &[NamedCurve::X25519])
    }

    /// `new` with other groups: the client offers `client_groups` (a key share for the first),
    /// the server takes `server_groups`.
    fn with_groups(
        suite: &'static SupportedCipherSuite,
        cert: Cert,
        resume: Resume,
        client_groups: &[NamedCurve],
        server_groups: &[NamedCurve],
    ) -> Self {
        use spectls::session;
        let roots = spectls::pki::RootCertStore::from_pem(CA).expect("ca.pem");
        assert!(
            resume != Resume::SessionId || !suite.is_tls13(),
            "TLS 1.3 resumes with tickets only"
        );
        let versions = [version_of(suite)];
        let mut client = spectls::ClientConfig::builder()
            .with_root_certificates(roots)
            .with_protocol_versions(&versions)
            .with_cipher_suites(&[suite])
            .with_groups(client_groups)
            .enable_tickets(matches!(resume, Resume::Ticket | Resume::PskOnly))
            .enable_psk_ke(resume == Resume::PskOnly);
        if resume == Resume::Off {
            client = client.with_session_storage(session::ClientSessionMemoryCache::new(0));
        }
        let client = client.build().expect("spectls client config");
        let (chain, key) = cert.chain_and_key();
        let mut server = spectls::ServerConfig::builder()
            .with_single_cert(
                spectls::pki::certs_from_pem(chain).expect("chain"),
                spectls::pki::private_key_from_pem(key).expect("key"),
            )
            .expect("spectls cert")
            .with_protocol_versions(&versions)
            .with_cipher_suites(&[suite])
            .with_groups(server_groups);
        if resume != Resume::SessionId {
            server = server.with_session_storage(Arc::new(session::NoServerSessionStorage));
        }
        if matches!(resume, Resume::Ticket | Resume::PskOnly) {
            server = server
                .with_ticketer(
                    session::Ticketer::new(Duration::from_secs(12 * 3600)).expect("ticketer"),
                )
                .enable_psk_ke(resume == Resume::PskOnly);
        }
        let server = server.build().expect("spectls server config");
        Spectls {
            client: Arc::new(client),
            server: Arc::new(server),
        }
    }
}

impl Lib for Spectls {
    type C = spectls::ClientConnection;
    type S = spectls::ServerConnection;
    fn client(&self) -> Self::C {
        spectls::ClientConnection::new(self.client.clone(), "localhost".try_into().expect("name"))
            .expect("spectls client")
    }
    fn server(&self) -> Self::S {
        spectls::ServerConnection::new(self.server.clone()).expect("spectls server")
    }
}

struct Rustls {
    client: Arc<rustls::ClientConfig>,
    server: Arc<rustls::ServerConfig>,
}

impl Rustls {
    fn new(suite: &'static SupportedCipherSuite, cert: Cert, resume: Resume) -> Self {
        use rustls::crypto::ring::kx_group;
        Self::with_provider(
            rustls::crypto::ring::default_provider(),
            suite,
            cert,
            resume,
            vec![kx_group::X25519, kx_group::SECP256R1],
            vec![kx_group::X25519],
        )
    }

    /// `new` on another provider (aws-lc-rs, for its X25519MLKEM768) and groups: the client
    /// offers `client_kx` (a key share for the first), the server takes `server_kx`.
    fn with_provider(
        mut provider: rustls::crypto::CryptoProvider,
        suite: &'static SupportedCipherSuite,
        cert: Cert,
        resume: Resume,
        client_kx: Vec<&'static dyn rustls::crypto::SupportedKxGroup>,
        server_kx: Vec<&'static dyn rustls::crypto::SupportedKxGroup>,
    ) -> Self {
        provider
            .cipher_suites
            .retain(|s| u16::from(s.suite()) == suite.suite.value());
        assert_eq!(provider.cipher_suites.len(), 1, "rustls lacks the suite");
        let mut server_provider = provider.clone();
        server_provider.kx_groups = server_kx;
        let server_provider = Arc::new(server_provider);
        provider.kx_groups = client_kx;
        // Offer only the schemes spectls's server picks, so both sign the same way.
        let mut algs = provider.signature_verification_algorithms;
        let mapping: Vec<_> = algs
            .mapping
            .iter()
            .filter(|(s, _)| {
                matches!(
                    s,
                    rustls::SignatureScheme::ECDSA_NISTP256_SHA256
                        | rustls::SignatureScheme::RSA_PSS_SHA256
                )
            })
            .copied()
            .collect();
        algs.mapping = Box::leak(mapping.into_boxed_slice());
        provider.signature_verification_algorithms = algs;

        let mut roots = rustls::RootCertStore::empty();
        for c in spectls::pki::certs_from_pem(CA).expect("ca.pem") {
            roots.add(c).expect("root");
        }
        let version = if suite.is_tls13() {
            &rustls::version::TLS13
        } else {
            &rustls::version::TLS12
        };
        let mut client = rustls::ClientConfig::builder_with_provider(Arc::new(provider))
            .with_protocol_versions(&[version])
            .expect("rustls version")
            .with_root_certificates(roots)
            .with_no_client_auth();
        let (chain, key) = cert.chain_and_key();
        let mut server = rustls::ServerConfig::builder_with_provider(server_provider)
            .with_protocol_versions(&[version])
            .expect("rustls version")
            .with_no_client_auth()
            .with_single_cert(
                spectls::pki::certs_from_pem(chain).expect("chain"),
                spectls::pki::private_key_from_pem(key).expect("key"),
            )
            .expect("rustls cert");
        match resume {
            Resume::Off => {
                client.resumption = rustls::client::Resumption::disabled();
                server.session_storage = Arc::new(rustls::server::NoServerSessionStorage {});
                // A TLS 1.3 rustls server sends 2 tickets after every handshake by default,
                // whatever the client does with them; spectls's sends them only with a ticketer.
                server.send_tls13_tickets = 0;
            }
            Resume::SessionId => {
                client.resumption = rustls::client::Resumption::default()
                    .tls12_resumption(rustls::client::Tls12Resumption::SessionIdOnly);
            }
            Resume::Ticket | Resume::PskOnly => {
                server.session_storage = Arc::new(rustls::server::NoServerSessionStorage {});
                server.ticketer = rustls::crypto::ring::Ticketer::new().expect("ticketer");
            }
        }
        Rustls {
            client: Arc::new(client),
            server: Arc::new(server),
        }
    }
}

impl Lib for Rustls {
    type C = rustls::ClientConnection;
    type S = rustls::ServerConnection;
    fn client(&self) -> Self::C {
        rustls::ClientConnection::new(self.client.clone(), "localhost".try_into().expect("name"))
            .expect("rustls client")
    }
    fn server(&self) -> Self::S {
        rustls::ServerConnection::new(self.server.clone()).expect("rustls server")
    }
}

// ---------------------------------------------------------------------------------------------
// Driving connections over memory.

/// Moves everything `from` has to send into `to`, which processes it. Adds each side's time to
/// `t[side]` (`from_side` is `from`'s index). Returns the bytes moved.
fn transfer<A: Conn, B: Conn>(
    from: &mut A,
    to: &mut B,
    buf: &mut Vec<u8>,
    t: &mut [Duration; 2],
    from_side: usize,
) -> usize {
    buf.clear();
    let t0 = Instant::now();
    while from.pending_out() {
        from.tls_out(buf);
    }
    let t1 = Instant::now();
    let mut rd = &buf[..];
    while !rd.is_empty() {
        let n = to.tls_in(&mut rd);
        assert!(n > 0, "read_tls took nothing");
        to.process();
    }
    let t2 = Instant::now();
    t[from_side] += t1 - t0;
    t[1 - from_side] += t2 - t1;
    buf.len()
}

/// A full handshake between a new client and server. `t` gets (client, server) time.
fn handshake<L: Lib>(lib: &L, buf: &mut Vec<u8>, t: &mut [Duration; 2]) -> (L::C, L::S) {
    let t0 = Instant::now();
    let mut c = lib.client();
    let t1 = Instant::now();
    let mut s = lib.server();
    t[0] += t1 - t0;
    t[1] += t1.elapsed();
    for round in 0.. {
        let a = transfer(&mut c, &mut s, buf, t, 0);
        let b = transfer(&mut s, &mut c, buf, t, 1);
        if !c.busy() && !s.busy() && !c.pending_out() && !s.pending_out() {
            break;
        }
        assert!(a + b > 0 && round < 16, "handshake stalled");
    }
    (c, s)
}

/// Handshake, then drop both sides (each drop timed to its side).
fn handshake_and_drop<L: Lib>(lib: &L, buf: &mut Vec<u8>, t: &mut [Duration; 2]) {
    let (c, s) = handshake(lib, buf, t);
    let t0 = Instant::now();
    drop(black_box(c));
    let t1 = Instant::now();
    drop(black_box(s));
    t[0] += t1 - t0;
    t[1] += t1.elapsed();
}

/// Buffers for one bulk transfer, allocated once.
struct BulkBufs {
    data: Vec<u8>,
    out: Vec<u8>,
    wire: Vec<u8>,
}

impl BulkBufs {
    fn new() -> Self {
        BulkBufs {
            data: (0..MIB).map(|i| (i * 7 + i / 4096) as u8).collect(),
            out: vec![0; MIB],
            wire: Vec::with_capacity(MIB + MIB / 8),
        }
    }
}

/// 1 MiB from `c` to `s`: write_all, write_tls into a buffer, read_tls + process + read.
fn bulk_once<C: Conn, S: Conn>(c: &mut C, s: &mut S, b: &mut BulkBufs) {
    c.plain_out_all(&b.data);
    b.wire.clear();
    while c.pending_out() {
        c.tls_out(&mut b.wire);
    }
    let mut rd = &b.wire[..];
    let mut got = 0;
    let mut idle = 0;
    while got < b.data.len() {
        let before = (got, rd.len());
        if !rd.is_empty() && s.can_read() {
            s.tls_in(&mut rd);
        }
        s.process();
        loop {
            let n = s.plain_in(&mut b.out[got..]);
            if n == 0 {
                break;
            }
            got += n;
        }
        idle = if (got, rd.len()) == before {
            idle + 1
        } else {
            0
        };
        assert!(idle < 4, "bulk transfer stalled at {got} bytes");
    }
    assert!(rd.is_empty(), "bytes left over after the transfer");
}

// ---------------------------------------------------------------------------------------------
// Timing.

struct Cfg {
    samples: usize,
    target: Duration,
    warmup: Duration,
}

/// One timed measurement: runs `iters` iterations, returns the total time and two parts
/// (client, server for handshakes; zero otherwise).
type Job<'a> = Box<dyn FnMut(u64) -> (Duration, [Duration; 2]) + 'a>;

/// Per-iteration medians (ns): total, part 0, part 1; and the spread of the total.
#[derive(Clone, Copy, Debug)]
struct Stat {
    ns: f64,
    part: [f64; 2],
    lo: f64,
    hi: f64,
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).expect("no NaN"));
    let m = v.len() / 2;
    if v.len() % 2 == 1 {
        v[m]
    } else {
        (v[m - 1] + v[m]) / 2.0
    }
}

struct Bench {
    cfg: Cfg,
    filter: Vec<String>,
    profile: Option<u64>,
    list: bool,
    spreads: Vec<(String, Stat)>,
}

impl Bench {
    fn selected(&self, id: &str) -> bool {
        self.filter.iter().all(|w| id.contains(w.as_str()))
    }

    /// Measures the selected jobs of one row, samples interleaved. Results by position; `None`
    /// for jobs filtered out.
    fn measure(&mut self, jobs: Vec<(String, Job<'_>)>) -> Vec<Option<Stat>> {
        let mut jobs: Vec<(String, Option<Job<'_>>)> = jobs
            .into_iter()
            .map(|(id, j)| {
                let keep = self.selected(&id);
                (id, keep.then_some(j))
            })
            .collect();
        if self.list {
            for (id, _) in &jobs {
                println!("{id}");
            }
            return vec![None; jobs.len()];
        }
        if let Some(n) = self.profile {
            for (id, job) in &mut jobs {
                if let Some(job) = job {
                    let (t, _) = job(n);
                    println!("{id}: {n} iterations in {:.3} ms", t.as_secs_f64() * 1e3);
                }
            }
            return vec![None; jobs.len()];
        }
        let active: Vec<usize> = (0..jobs.len()).filter(|&i| jobs[i].1.is_some()).collect();
        let mut iters = vec![0u64; jobs.len()];
        for &i in &active {
            let job = jobs[i].1.as_mut().expect("active");
            let start = Instant::now();
            while start.elapsed() < self.cfg.warmup {
                job(1);
            }
            let mut n = 1u64;
            iters[i] = loop {
                let (t, _) = job(n);
                if t >= self.cfg.target / 10 || n >= 1 << 30 {
                    let per = t.as_secs_f64() / n as f64;
                    break ((self.cfg.target.as_secs_f64() / per) as u64).max(1);
                }
                n *= 4;
            };
        }
        let mut samples: Vec<Vec<[f64; 3]>> = vec![Vec::new(); jobs.len()];
        for s in 0..self.cfg.samples {
            for k in 0..active.len() {
                let i = active[(k + s) % active.len()];
                let n = iters[i];
                let (t, p) = jobs[i].1.as_mut().expect("active")(n);
                let per = |d: Duration| d.as_nanos() as f64 / n as f64;
                samples[i].push([per(t), per(p[0]), per(p[1])]);
            }
        }
        let mut out = Vec::new();
        for (i, v) in samples.into_iter().enumerate() {
            if v.is_empty() {
                out.push(None);
                continue;
            }
            let col = |k: usize| v.iter().map(|x| x[k]).collect::<Vec<f64>>();
            let total = col(0);
            let st = Stat {
                lo: total.iter().cloned().fold(f64::INFINITY, f64::min),
                hi: total.iter().cloned().fold(0.0, f64::max),
                ns: median(total),
                part: [median(col(1)), median(col(2))],
            };
            self.spreads.push((jobs[i].0.clone(), st));
            out.push(Some(st));
        }
        out
    }

    fn quiet(&self) -> bool {
        self.list || self.profile.is_some()
    }
}

fn timed(mut f: impl FnMut()) -> impl FnMut(u64) -> (Duration, [Duration; 2]) {
    move |n| {
        let start = Instant::now();
        for _ in 0..n {
            f();
        }
        (start.elapsed(), [Duration::ZERO; 2])
    }
}

// ---------------------------------------------------------------------------------------------
// Jobs.

fn handshake_job<'a, L: Lib>(lib: &'a L) -> Job<'a> {
    let mut buf = Vec::with_capacity(1 << 16);
    Box::new(move |n| {
        let mut t = [Duration::ZERO; 2];
        let start = Instant::now();
        for _ in 0..n {
            handshake_and_drop(lib, &mut buf, &mut t);
        }
        (start.elapsed(), t)
    })
}

/// Asserts that both ends negotiated `want`.
fn check_version(c: &dyn Conn, s: &dyn Conn, want: &ProtocolVersion) {
    let want = Some(wire_version(want));
    assert_eq!((c.version(), s.version()), (want, want), "protocol version");
}

fn bulk_job<'a, L: Lib>(lib: &'a L, want: &ProtocolVersion) -> Job<'a> {
    let mut buf = Vec::with_capacity(1 << 16);
    let (mut c, mut s) = handshake(lib, &mut buf, &mut [Duration::ZERO; 2]);
    check_version(&c, &s, want);
    c.unlimit();
    let mut b = BulkBufs::new();
    bulk_once(&mut c, &mut s, &mut b);
    assert!(b.out == b.data, "bulk data corrupted");
    Box::new(timed(move || bulk_once(&mut c, &mut s, &mut b)))
}

/// 1 MiB from `c` to `s` on spectls's unbuffered path: `write_tls_into` one buffer, then
/// `read_tls_in_place` on that same buffer record by record (what a caller does with the bytes
/// it sent and received); `sink` gets each plaintext slice where it was decrypted.
fn inplace_once(
    c: &mut spectls::ClientConnection,
    s: &mut spectls::ServerConnection,
    b: &mut BulkBufs,
    sink: &mut dyn FnMut(&[u8]),
) -> usize {
    b.wire.clear();
    c.write_tls_into(&b.data, &mut b.wire)
        .expect("write_tls_into");
    let (mut pos, mut got) = (0, 0);
    while pos < b.wire.len() {
        let r = s
            .read_tls_in_place(&mut b.wire[pos..])
            .expect("read_tls_in_place");
        assert!(r.consumed > 0, "in-place transfer stalled at {got} bytes");
        got += r.plaintext.len();
        sink(r.plaintext);
        pos += r.consumed;
    }
    got
}

/// Checks one unbuffered transfer by copying what `once` delivers, then times it with the
/// plaintext only looked at (`black_box`), as a consumer of in-place data would.
fn unbuffered_job<'a>(
    mut once: impl FnMut(&mut BulkBufs, &mut dyn FnMut(&[u8])) -> usize + 'a,
) -> Job<'a> {
    let mut b = BulkBufs::new();
    let mut copy = Vec::with_capacity(MIB);
    once(&mut b, &mut |p| copy.extend_from_slice(p));
    assert!(copy == b.data, "unbuffered bulk data corrupted");
    Box::new(timed(move || {
        let got = once(&mut b, &mut |p| {
            black_box(p);
        });
        assert_eq!(got, MIB);
    }))
}

fn spectls_inplace_job(lib: &Spectls, want: &ProtocolVersion) -> Job<'static> {
    let (mut c, mut s) = handshake(lib, &mut Vec::new(), &mut [Duration::ZERO; 2]);
    check_version(&c, &s, want);
    unbuffered_job(move |b, sink| inplace_once(&mut c, &mut s, b, sink))
}

fn rustls_unbuffered_job(lib: &Rustls, suite: &SupportedCipherSuite) -> Job<'static> {
    let mut pair = rustls_unbuffered::UnbufferedPair::new(lib.client.clone(), lib.server.clone());
    assert_eq!(
        pair.suite().map(u16::from),
        Some(suite.suite.value()),
        "rustls unbuffered suite"
    );
    let want = Some(wire_version(&version_of(suite)));
    assert_eq!(pair.versions(), (want, want), "rustls unbuffered version");
    unbuffered_job(move |b, sink| {
        pair.send(&b.data, &mut b.wire);
        pair.receive(&mut b.wire, sink)
    })
}

fn record_nonce_aad(seq: u64) -> (aead::Nonce, aead::Aad<[u8; 13]>) {
    let mut nonce = [0u8; 12];
    nonce[4..].copy_from_slice(&seq.to_be_bytes());
    let mut ad = [0u8; 13];
    ad[..8].copy_from_slice(&seq.to_be_bytes());
    ad[8..].copy_from_slice(&[23, 3, 3, 0x40, 0]);
    (
        aead::Nonce::assume_unique_for_key(nonce),
        aead::Aad::from(ad),
    )
}

/// The least any buffered sans-IO API (`writer()`, `write_tls`, `read_tls`, `reader()`) can do
/// for the bulk workload: ring's seal+open plus the four copies that API implies, with no
/// framing, allocation or bookkeeping: plaintext into the send buffer (sealed in place there),
/// send buffer to the wire (`write_tls`), wire to the receive buffer (`read_tls`, one record at a
/// time; opened in place there), plaintext out to the caller (`reader().read`).
fn api_floor_job(alg: &'static aead::Algorithm) -> Job<'static> {
    let key =
        aead::LessSafeKey::new(aead::UnboundKey::new(alg, &vec![7; alg.key_len()]).expect("key"));
    let mut b = BulkBufs::new();
    let mut tx = Vec::with_capacity(MIB + MIB / 8);
    let mut rx = vec![0u8; (1 << 14) + 16];
    let mut seq = 0u64;
    let mut run = move || {
        tx.clear();
        for chunk in b.data.chunks(1 << 14) {
            seq += 1;
            let start = tx.len();
            tx.extend_from_slice(chunk);
            let (nonce, aad) = record_nonce_aad(seq);
            let tag = key
                .seal_in_place_separate_tag(nonce, aad, &mut tx[start..])
                .expect("seal");
            tx.extend_from_slice(tag.as_ref());
        }
        b.wire.clear();
        b.wire.extend_from_slice(&tx);
        seq -= (b.data.len() >> 14) as u64;
        for (i, rec) in b.wire.chunks((1 << 14) + 16).enumerate() {
            seq += 1;
            let rx = &mut rx[..rec.len()];
            rx.copy_from_slice(rec);
            let (nonce, aad) = record_nonce_aad(seq);
            let plain = key.open_in_place(nonce, aad, rx).expect("open");
            b.out[i << 14..][..plain.len()].copy_from_slice(plain);
        }
    };
    run();
    Box::new(timed(run))
}

/// ring's AEAD alone: seal then open of 16 KiB records in place, 1 MiB per iteration.
fn ring_aead_job(alg: &'static aead::Algorithm) -> Job<'static> {
    let key =
        aead::LessSafeKey::new(aead::UnboundKey::new(alg, &vec![7; alg.key_len()]).expect("key"));
    let mut rec = vec![0x5au8; (1 << 14) + 16];
    let mut seq = 0u64;
    Box::new(timed(move || {
        for _ in 0..MIB >> 14 {
            seq += 1;
            let (body, tag_out) = rec.split_at_mut(1 << 14);
            let (nonce, aad) = record_nonce_aad(seq);
            let tag = key
                .seal_in_place_separate_tag(nonce, aad, body)
                .expect("seal");
            tag_out.copy_from_slice(tag.as_ref());
            let (nonce, aad) = record_nonce_aad(seq);
            black_box(key.open_in_place(nonce, aad, &mut rec).expect("open"));
        }
    }))
}

fn x25519_job(rng: &SystemRandom) -> Job<'_> {
    let peer = agreement::EphemeralPrivateKey::generate(&agreement::X25519, rng)
        .expect("x25519")
        .compute_public_key()
        .expect("public");
    let peer = peer.as_ref().to_vec();
    Box::new(timed(move || {
        let private =
            agreement::EphemeralPrivateKey::generate(&agreement::X25519, rng).expect("x25519");
        let public = private.compute_public_key().expect("public");
        black_box(public.as_ref());
        let peer = agreement::UnparsedPublicKey::new(&agreement::X25519, black_box(&peer[..]));
        agreement::agree_ephemeral(private, &peer, |s| black_box(s[0])).expect("agree");
    }))
}

/// What the server signs in a ServerKeyExchange: 64 bytes of randoms + 37 bytes of params.
const SKE_MESSAGE: [u8; 101] = [0x42; 101];

fn pkcs8(pem: &[u8]) -> Vec<u8> {
    match spectls::pki::private_key_from_pem(pem).expect("key") {
        spectls::pki_types::PrivateKeyDer::Pkcs8(k) => k.secret_pkcs8_der().to_vec(),
        _ => panic!("test keys are PKCS#8"),
    }
}

struct Floor {
    rng: SystemRandom,
    ecdsa: signature::EcdsaKeyPair,
    ecdsa_sig: Vec<u8>,
    rsa: signature::RsaKeyPair,
    rsa_sig: Vec<u8>,
}

impl Floor {
    fn new() -> Self {
        let rng = SystemRandom::new();
        let ecdsa = signature::EcdsaKeyPair::from_pkcs8(
            &signature::ECDSA_P256_SHA256_ASN1_SIGNING,
            &pkcs8(ECDSA_KEY),
            &rng,
        )
        .expect("ECDSA key");
        let ecdsa_sig = ecdsa
            .sign(&rng, &SKE_MESSAGE)
            .expect("sign")
            .as_ref()
            .to_vec();
        let rsa = signature::RsaKeyPair::from_pkcs8(&pkcs8(RSA_KEY)).expect("RSA key");
        let mut rsa_sig = vec![0; rsa.public().modulus_len()];
        rsa.sign(&signature::RSA_PSS_SHA256, &rng, &SKE_MESSAGE, &mut rsa_sig)
            .expect("sign");
        let f = Floor {
            rng,
            ecdsa,
            ecdsa_sig,
            rsa,
            rsa_sig,
        };
        f.ecdsa_verify();
        f.rsa_verify();
        f
    }

    fn ecdsa_sign(&self) {
        black_box(
            self.ecdsa
                .sign(&self.rng, black_box(&SKE_MESSAGE))
                .expect("sign"),
        );
    }

    fn ecdsa_verify(&self) {
        use signature::KeyPair;
        signature::UnparsedPublicKey::new(
            &signature::ECDSA_P256_SHA256_ASN1,
            self.ecdsa.public_key().as_ref(),
        )
        .verify(black_box(&SKE_MESSAGE), &self.ecdsa_sig)
        .expect("verify");
    }

    fn rsa_sign(&self, sig: &mut [u8]) {
        self.rsa
            .sign(
                &signature::RSA_PSS_SHA256,
                &self.rng,
                black_box(&SKE_MESSAGE),
                sig,
            )
            .expect("sign");
        black_box(sig);
    }

    fn rsa_verify(&self) {
        use signature::KeyPair;
        signature::UnparsedPublicKey::new(
            &signature::RSA_PSS_2048_8192_SHA256,
            self.rsa.public_key().as_ref(),
        )
        .verify(black_box(&SKE_MESSAGE), &self.rsa_sig)
        .expect("verify");
    }
}

/// The first ClientHello record of the capture.
fn captured_client_hello() -> &'static [u8] {
    let cap = Capture::parse(CAPTURE).expect("capture");
    let flow = Flow::new(&cap);
    let stream: &'static [u8] = Box::leak(
        flow.stream(Direction::ClientToServer)
            .to_vec()
            .into_boxed_slice(),
    );
    let len = u16::from_be_bytes([stream[3], stream[4]]) as usize;
    assert_eq!(stream[0], 22, "first client record is a handshake record");
    assert_eq!(stream[5], 1, "and holds a ClientHello");
    &stream[..5 + len]
}

#[inline(never)]
fn spectls_decode(rec: &'static [u8]) {
    let mut r = Reader::new(black_box(rec));
    let plain = TLSPlaintext::decode(&mut r).expect("spectls: record");
    let mut hs = Reader::new(plain.fragment);
    while !hs.is_empty() {
        let msg = decode_handshake(&mut hs).expect("spectls: handshake");
        black_box(&msg);
    }
}

/// rustls's `read_opaque_message_header` (crate-private), with its public `Codec`s, then the
/// borrowed `Message` rustls builds for every inbound record (as in `benches/decode.rs`).
#[inline(never)]
fn rustls_decode(rec: &'static [u8]) {
    let mut r = RReader::init(black_box(rec));
    let typ = rustls::ContentType::read(&mut r).expect("type");
    assert!(!matches!(typ, rustls::ContentType::Unknown(_)));
    let version = rustls::ProtocolVersion::read(&mut r).expect("version");
    let len = u16::read(&mut r).expect("length");
    assert!(len > 0 && len < 16_384 + 2048);
    let fragment = r.take(len as usize).expect("fragment");
    let plain = PlainMessage {
        typ,
        version,
        payload: Payload::Borrowed(fragment),
    };
    let msg = Message::try_from(plain.borrow_inbound()).expect("rustls: handshake");
    black_box(&msg);
}

// ---------------------------------------------------------------------------------------------
// Post-quantum hybrid key exchange (X25519MLKEM768).

/// Bytes on the wire in one full handshake: (client to server, server to client).
fn wire_bytes<L: Lib>(lib: &L) -> [usize; 2] {
    let (mut c, mut s) = (lib.client(), lib.server());
    let (mut buf, mut t, mut bytes) = (Vec::new(), [Duration::ZERO; 2], [0, 0]);
    for round in 0.. {
        let a = transfer(&mut c, &mut s, &mut buf, &mut t, 0);
        let b = transfer(&mut s, &mut c, &mut buf, &mut t, 1);
        bytes[0] += a;
        bytes[1] += b;
        if !c.busy() && !s.busy() && !c.pending_out() && !s.pending_out() {
            break;
        }
        assert!(a + b > 0 && round < 16, "handshake stalled");
    }
    bytes
}

/// spectls's whole key exchange for `group`, both sides, without the handshake around it: the
/// client's key share, the server's answer (and its secret), the client's secret.
fn key_exchange_job(group: NamedCurve) -> Job<'static> {
    use spectls::internal::{server_key_share, ClientKeyShare};
    Box::new(timed(move || {
        let client = ClientKeyShare::start(group).expect("client share");
        let (share, secret) = server_key_share(group, client.public_key()).expect("server share");
        let ours = client.complete(black_box(&share)).expect("client secret");
        assert_eq!(black_box(ours)[0], secret[0]);
    }))
}

/// The group both ends of a spectls and of a rustls pair negotiated.
fn check_groups(sp: &Spectls, rl: &Rustls, group: NamedCurve) {
    let (c, s) = handshake(sp, &mut Vec::new(), &mut [Duration::ZERO; 2]);
    check_version(&c, &s, &spectls::version::TLS13);
    assert_eq!(c.negotiated_group(), Some(group));
    assert_eq!(s.negotiated_group(), Some(group));
    let (c, s) = handshake(rl, &mut Vec::new(), &mut [Duration::ZERO; 2]);
    check_version(&c, &s, &spectls::version::TLS13);
    for g in [
        c.negotiated_key_exchange_group(),
        s.negotiated_key_exchange_group(),
    ] {
        assert_eq!(g.map(|g| u16::from(g.name())), Some(group.value()));
    }
    assert_eq!(c.tls13_tickets_received(), 0, "rustls sent TLS 1.3 tickets");
}

// ---------------------------------------------------------------------------------------------
// Checks before timing.

fn check_spectls(
    lib: &Spectls,
    cert: Cert,
    suite: &SupportedCipherSuite,
    resumed: bool,
    psk_only: bool,
) {
    let (c, s) = handshake(lib, &mut Vec::new(), &mut [Duration::ZERO; 2]);
    check_version(&c, &s, &version_of(suite));
    for conn in [&*c, &*s] {
        assert_eq!(conn.negotiated_cipher_suite(), Some(suite.suite));
        assert_eq!(conn.is_resumed(), resumed, "spectls handshake kind");
        // TLS 1.3 has no such extension: its key schedule always binds the transcript.
        assert_eq!(conn.extended_master_secret(), !suite.is_tls13());
        if !resumed {
            assert_eq!(conn.negotiated_group(), Some(NamedCurve::X25519));
        }
        if psk_only {
            assert_eq!(
                conn.negotiated_group(),
                None,
                "resumed without a key exchange"
            );
        }
    }
    if !resumed {
        assert_eq!(c.negotiated_signature_scheme(), Some(cert.scheme()));
    }
}

fn check_rustls(lib: &Rustls, suite: &SupportedCipherSuite, resumed: bool) {
    let (c, s) = handshake(lib, &mut Vec::new(), &mut [Duration::ZERO; 2]);
    check_version(&c, &s, &version_of(suite));
    // Full TLS 1.3 handshakes do the same work on both sides: no tickets issued (resumed ones:
    // both servers issue two).
    if !resumed || !suite.is_tls13() {
        assert_eq!(c.tls13_tickets_received(), 0, "rustls sent TLS 1.3 tickets");
    }
    let want = if resumed {
        rustls::HandshakeKind::Resumed
    } else {
        rustls::HandshakeKind::Full
    };
    assert_eq!(c.handshake_kind(), Some(want), "rustls handshake kind");
    assert_eq!(s.handshake_kind(), Some(want), "rustls handshake kind");
    for suite_got in [c.negotiated_cipher_suite(), s.negotiated_cipher_suite()] {
        assert_eq!(
            suite_got.map(|s| u16::from(s.suite())),
            Some(suite.suite.value())
        );
    }
    // A resumed TLS 1.2 handshake has no key exchange; a resumed TLS 1.3 one (PSK with ECDHE)
    // has.
    for g in [
        c.negotiated_key_exchange_group(),
        s.negotiated_key_exchange_group(),
    ] {
        let want = (!resumed || suite.is_tls13()).then_some(rustls::NamedGroup::X25519);
        assert_eq!(g.map(|g| g.name()), want);
    }
}

// ---------------------------------------------------------------------------------------------
// Memory.

struct Mem {
    pair: usize,
    client: usize,
    server: usize,
    peak: usize,
    after_bulk: usize,
    hs_allocs: usize,
    bulk_allocs: usize,
}

fn live() -> usize {
    CURRENT.load(Relaxed)
}

fn memory<L: Lib>(lib: &L, want: &ProtocolVersion) -> Mem {
    let mut buf = Vec::with_capacity(1 << 16);
    let mut t = [Duration::ZERO; 2];
    // Once first, so lazily initialised globals (CPU features, ...) are not counted.
    let (c, s) = handshake(lib, &mut buf, &mut t);
    check_version(&c, &s, want);
    drop((c, s));

    let base = live();
    PEAK.store(base, Relaxed);
    let allocs = ALLOCS.load(Relaxed);
    let (c, s) = handshake(lib, &mut buf, &mut t);
    let hs_allocs = ALLOCS.load(Relaxed) - allocs;
    let peak = PEAK.load(Relaxed) - base;
    let pair = live() - base;
    drop(c);
    let server = live() - base;
    drop(s);
    let client = pair - server;

    let mut b = BulkBufs::new();
    let base = live();
    let (mut c, mut s) = handshake(lib, &mut buf, &mut t);
    c.unlimit();
    let allocs = ALLOCS.load(Relaxed);
    bulk_once(&mut c, &mut s, &mut b);
    let bulk_allocs = ALLOCS.load(Relaxed) - allocs;
    let after_bulk = live() - base;
    drop((c, s));
    Mem {
        pair,
        client,
        server,
        peak,
        after_bulk,
        hs_allocs,
        bulk_allocs,
    }
}

// ---------------------------------------------------------------------------------------------
// Output.

const W0: usize = 54;

fn header(title: &str, cols: &[&str]) {
    println!();
    print!("{title:<W0$}");
    for c in cols {
        print!(" {c:>12}");
    }
    println!();
}

fn fmt(v: Option<f64>, prec: usize) -> String {
    match v {
        Some(v) => format!("{v:.prec$}"),
        None => "-".into(),
    }
}

/// A row: spectls, rustls, ratio spectls/rustls, a verdict (`higher_better` says which way),
/// then extra columns.
fn row(
    name: &str,
    s: Option<f64>,
    r: Option<f64>,
    prec: usize,
    higher_better: bool,
    extra: &[String],
) {
    let ratio = s.zip(r).map(|(s, r)| s / r);
    let verdict = match ratio {
        Some(x) if (x >= 1.0) == higher_better => {
            format!("{:.2}x better", if higher_better { x } else { 1.0 / x })
        }
        Some(x) => format!("{:.2}x worse", if higher_better { 1.0 / x } else { x }),
        None => "".into(),
    };
    print!(
        "{name:<W0$} {:>12} {:>12} {:>12} {:>12}",
        fmt(s, prec),
        fmt(r, prec),
        fmt(ratio, 3),
        verdict
    );
    for e in extra {
        print!(" {e:>12}");
    }
    println!();
}

/// A bulk row: MB/s of spectls and rustls, ring's AEAD and each one's share of it, then `more`.
fn bulk_row<const N: usize>(
    name: &str,
    (s, rl, ring): (Option<f64>, Option<f64>, Option<f64>),
    more: [String; N],
) {
    let mut extra = vec![fmt(ring, 0), share(s, ring), share(rl, ring)];
    extra.extend(more);
    row(name, s, rl, 0, true, &extra);
}

/// `a` as a percentage of `b`.
fn share(a: Option<f64>, b: Option<f64>) -> String {
    pct(a.zip(b).map(|(a, b)| a / b))
}

fn pct(x: Option<f64>) -> String {
    x.map(|x| format!("{:.1}%", x * 100.0))
        .unwrap_or_else(|| "-".into())
}

// ---------------------------------------------------------------------------------------------

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let quick = args.iter().any(|a| a == "--quick") || !args.iter().any(|a| a == "--bench");
    let mut profile = None;
    let mut filter = Vec::new();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--profile" => {
                profile = Some(
                    it.next()
                        .and_then(|n| n.parse().ok())
                        .expect("--profile N (iterations)"),
                )
            }
            a if a.starts_with("--") => {}
            a => filter.push(a.to_string()),
        }
    }
    let cfg = if quick {
        Cfg {
            samples: 3,
            target: Duration::from_millis(10),
            warmup: Duration::from_millis(5),
        }
    } else {
        Cfg {
            samples: 9,
            target: Duration::from_millis(80),
            warmup: Duration::from_millis(60),
        }
    };
    let mut bench = Bench {
        filter,
        profile,
        list: args.iter().any(|a| a == "--list"),
        spreads: Vec::new(),
        cfg,
    };
    let run_start = Instant::now();
    let quiet = bench.quiet();

    use spectls::crypto::suites as ss;
    let ecdsa_suite = &ss::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256;
    let rsa_suite = &ss::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256;
    let hs_setups = [
        ("ecdsa", Cert::Ecdsa, ecdsa_suite, "ECDHE-ECDSA P-256"),
        ("rsa", Cert::Rsa, rsa_suite, "ECDHE-RSA 2048"),
    ];
    let floor = Floor::new();

    if !quiet {
        println!(
            "spectls vs rustls 0.23 (ring provider), TLS 1.2 and 1.3 (each pinned on both sides), \
             one process, memory buffers; \
             median of {} samples of ~{} ms{}",
            bench.cfg.samples,
            bench.cfg.target.as_millis(),
            if quick { " [--quick]" } else { "" }
        );
        println!(
            "group X25519; signatures ecdsa_secp256r1_sha256 / rsa_pss_rsae_sha256; EMS on (1.2); \
             no resumption or tickets unless the row says so; \
             ratio = spectls / rustls"
        );
    }

    // --- floor components (ring alone) ---------------------------------------------------------
    let mut rsa_sig = vec![0u8; 256];
    let fl = bench.measure(vec![
        ("floor/x25519".into(), x25519_job(&floor.rng)),
        (
            "floor/ecdsa-sign".into(),
            Box::new(timed(|| floor.ecdsa_sign())),
        ),
        (
            "floor/ecdsa-verify".into(),
            Box::new(timed(|| floor.ecdsa_verify())),
        ),
        (
            "floor/rsa-sign".into(),
            Box::new(timed(|| floor.rsa_sign(&mut rsa_sig))),
        ),
        (
            "floor/rsa-verify".into(),
            Box::new(timed(|| floor.rsa_verify())),
        ),
    ]);
    let us = |s: Option<Stat>| s.map(|s| s.ns / 1e3);
    let [kx, esign, ever, rsign, rver] = [0, 1, 2, 3, 4].map(|i| us(fl[i]));
    let sum = |xs: &[(Option<f64>, f64)]| -> Option<f64> {
        xs.iter()
            .try_fold(0.0, |acc, (x, k)| x.map(|x| acc + x * k))
    };
    // (client, server) floors in µs per handshake.
    let floors = [
        (
            sum(&[(kx, 1.0), (ever, 2.0)]),
            sum(&[(kx, 1.0), (esign, 1.0)]),
        ),
        (
            sum(&[(kx, 1.0), (rver, 1.0), (ever, 1.0)]),
            sum(&[(kx, 1.0), (rsign, 1.0)]),
        ),
    ];

    // --- handshakes: TLS 1.2 full, resumed by session ID and by ticket; TLS 1.3 full ----------
    struct HsRow {
        id: String,
        cert: Cert,
        suite: &'static SupportedCipherSuite,
        mode: Resume,
        label: String,
        /// Index into `floors`, for full handshakes.
        floor: Option<usize>,
    }
    let modes = [
        (Resume::Off, "hs", "full"),
        (Resume::SessionId, "resumed-id", "resumed (session ID)"),
        (Resume::Ticket, "resumed-ticket", "resumed (ticket)"),
    ];
    let mut hs_rows = Vec::new();
    for (k, (id, cert, suite, name)) in hs_setups.iter().enumerate() {
        for (mode, tag, mode_name) in &modes {
            hs_rows.push(HsRow {
                id: format!("{tag}-{id}"),
                cert: *cert,
                suite,
                mode: *mode,
                label: format!("{mode_name} {name}: handshakes/s"),
                floor: (*mode == Resume::Off).then_some(k),
            });
        }
    }
    // TLS 1.3: full handshakes (same certificates, group and schemes, so the same floor; see
    // the module doc) and resumed ones (PSK with ECDHE, each side's server issuing its default
    // two tickets per connection).
    for (k, (id, cert, _, _)) in hs_setups.iter().enumerate() {
        let name = match cert {
            Cert::Ecdsa => "ECDSA P-256",
            Cert::Rsa => "RSA 2048",
        };
        hs_rows.push(HsRow {
            id: format!("hs13-{id}"),
            cert: *cert,
            suite: &ss::TLS13_AES_128_GCM_SHA256,
            mode: Resume::Off,
            label: format!("TLS 1.3 full {name}: handshakes/s"),
            floor: Some(k),
        });
        hs_rows.push(HsRow {
            id: format!("resumed13-{id}"),
            cert: *cert,
            suite: &ss::TLS13_AES_128_GCM_SHA256,
            mode: Resume::Ticket,
            label: format!("TLS 1.3 resumed (ticket, PSK with ECDHE) {name}: handshakes/s"),
            floor: None,
        });
        hs_rows.push(HsRow {
            id: format!("resumed13-psk-only-{id}"),
            cert: *cert,
            suite: &ss::TLS13_AES_128_GCM_SHA256,
            mode: Resume::PskOnly,
            label: format!(
                "TLS 1.3 resumed, spectls PSK only (psk_ke; rustls has none: PSK with ECDHE) \
                 {name}: handshakes/s"
            ),
            floor: None,
        });
    }
    let mut hs_results = Vec::new();
    for hs in &hs_rows {
        let sp = Spectls::new(hs.suite, hs.cert, hs.mode);
        let rl = Rustls::new(hs.suite, hs.cert, hs.mode);
        let resumed = hs.mode != Resume::Off;
        if resumed {
            // The first connection fills the caches (or gets a ticket); later ones resume.
            handshake(&sp, &mut Vec::new(), &mut [Duration::ZERO; 2]);
            handshake(&rl, &mut Vec::new(), &mut [Duration::ZERO; 2]);
        }
        if !bench.quiet() {
            check_spectls(&sp, hs.cert, hs.suite, resumed, hs.mode == Resume::PskOnly);
            check_rustls(&rl, hs.suite, resumed);
        }
        let r = bench.measure(vec![
            (format!("{}/spectls", hs.id), handshake_job(&sp)),
            (format!("{}/rustls", hs.id), handshake_job(&rl)),
        ]);
        hs_results.push((r[0], r[1]));
    }
    if !quiet {
        header(
            "HANDSHAKES (AES-128-GCM suite, X25519)",
            &[
                "spectls",
                "rustls",
                "ratio",
                "spectls is",
                "ring floor",
                "floor share",
            ],
        );
        for (hs, (s, r)) in hs_rows.iter().zip(&hs_results) {
            let (fc, fs) = match hs.floor {
                Some(k) => floors[k],
                None => (None, None),
            };
            let f = fc.zip(fs).map(|(a, b)| a + b);
            let per_s = |x: Option<Stat>| x.map(|x| 1e9 / x.ns);
            row(
                &hs.label,
                per_s(*s),
                per_s(*r),
                0,
                true,
                &[fmt(f.map(|f| 1e6 / f), 0)],
            );
            row(
                "  client+server, us per handshake",
                us(*s),
                us(*r),
                1,
                false,
                &[fmt(f, 1), share(f, us(*s))],
            );
            for (k, side, fl) in [(0, "client", fc), (1, "server", fs)] {
                let part = |x: &Option<Stat>| x.map(|x| x.part[k] / 1e3);
                row(
                    &format!("    {side} side, us per handshake"),
                    part(s),
                    part(r),
                    1,
                    false,
                    &[fmt(fl, 1), share(fl, part(s))],
                );
            }
        }
        println!(
            "  (floor share = ring floor / spectls time: the part of spectls's handshake that is the \
             unavoidable key agreement and signatures)"
        );
    }

    // --- post-quantum: TLS 1.3 full handshakes, X25519 vs X25519MLKEM768 ---------------------
    // Same certificate (ECDSA P-256), suite and schemes as hs13-ecdsa; each side offers and
    // takes exactly one group, so there is one key share and no retry. rustls runs on its
    // aws-lc-rs provider here (ring has no ML-KEM), for both groups, so that its own cost of the
    // hybrid is measured on one provider.
    let pq_suite = &ss::TLS13_AES_128_GCM_SHA256;
    let aws = rustls::crypto::aws_lc_rs::default_provider;
    use rustls::crypto::aws_lc_rs::kx_group as aws_kx;
    let pq_setups = [
        ("x25519", NamedCurve::X25519, aws_kx::X25519),
        (
            "x25519mlkem768",
            NamedCurve::X25519MLKEM768,
            aws_kx::X25519MLKEM768,
        ),
    ];
    let mut pq_results = Vec::new();
    let mut pq_bytes = Vec::new();
    for (id, group, kx) in pq_setups {
        // An ECDHE_ECDSA-capable client also lists secp256r1 (the certificate's curve).
        let sp = Spectls::with_groups(
            pq_suite,
            Cert::Ecdsa,
            Resume::Off,
            &[group, NamedCurve::Secp256r1],
            &[group],
        );
        let rl = Rustls::with_provider(
            aws(),
            pq_suite,
            Cert::Ecdsa,
            Resume::Off,
            vec![kx, aws_kx::SECP256R1],
            vec![kx],
        );
        if !bench.quiet() {
            check_groups(&sp, &rl, group);
            pq_bytes.push((wire_bytes(&sp), wire_bytes(&rl)));
        }
        let r = bench.measure(vec![
            (format!("pq-{id}/spectls"), handshake_job(&sp)),
            (format!("pq-{id}/rustls-aws-lc-rs"), handshake_job(&rl)),
        ]);
        pq_results.push((r[0], r[1]));
    }
    let pq_kx = bench.measure(vec![
        ("pq-kx/x25519".into(), key_exchange_job(NamedCurve::X25519)),
        (
            "pq-kx/x25519mlkem768".into(),
            key_exchange_job(NamedCurve::X25519MLKEM768),
        ),
    ]);
    if !quiet {
        header(
            "POST-QUANTUM: TLS 1.3 full handshakes, ECDSA P-256, AES-128-GCM",
            &["spectls", "rustls/aws", "ratio", "spectls is"],
        );
        let per_s = |x: Option<Stat>| x.map(|x| 1e9 / x.ns);
        for ((id, _, _), (s, r)) in pq_setups.iter().zip(&pq_results) {
            row(
                &format!("{id}: handshakes/s"),
                per_s(*s),
                per_s(*r),
                0,
                true,
                &[],
            );
            row(
                "  client+server, us per handshake",
                us(*s),
                us(*r),
                1,
                false,
                &[],
            );
        }
        let cost = |k: usize| {
            let (a, b) = (pq_results[0], pq_results[1]);
            let pick = |x: (Option<Stat>, Option<Stat>)| if k == 0 { x.0 } else { x.1 };
            us(pick(b)).zip(us(pick(a))).map(|(h, x)| h - x)
        };
        row(
            "cost of the hybrid, us per handshake (both sides)",
            cost(0),
            cost(1),
            1,
            false,
            &[],
        );
        let [x, h] = [us(pq_kx[0]), us(pq_kx[1])];
        println!(
            "  spectls key exchange alone, both sides: X25519 {} us, X25519MLKEM768 {} us",
            fmt(x, 1),
            fmt(h, 1)
        );
        let lens = |g| spectls::internal::share_lengths(g).expect("lengths");
        let (xc, xs) = lens(NamedCurve::X25519);
        let (hc, hs) = lens(NamedCurve::X25519MLKEM768);
        println!(
            "  key shares: X25519 {xc} / {xs} bytes (client / server), X25519MLKEM768 {hc} / {hs}"
        );
        for ((id, _, _), ([sc, ss_], [rc, rs])) in pq_setups.iter().zip(&pq_bytes) {
            println!(
                "  bytes on the wire, {id}: spectls {sc} client->server, {ss_} server->client; \
                 rustls {rc}, {rs}"
            );
        }
    }

    // --- bulk: TLS 1.2 (`bulk-*`) and TLS 1.3 (`bulk13-*`) ---------------------------------------
    let bulk_setups = [
        (
            "aes128",
            &ss::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
            &ss::TLS13_AES_128_GCM_SHA256,
            &aead::AES_128_GCM,
            "AES-128-GCM",
        ),
        (
            "aes256",
            &ss::TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
            &ss::TLS13_AES_256_GCM_SHA384,
            &aead::AES_256_GCM,
            "AES-256-GCM",
        ),
        (
            "chacha",
            &ss::TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
            &ss::TLS13_CHACHA20_POLY1305_SHA256,
            &aead::CHACHA20_POLY1305,
            "ChaCha20-Poly1305",
        ),
    ];
    let mut bulk = Vec::new();
    for (prefix, ver) in [("bulk", "TLS 1.2"), ("bulk13", "TLS 1.3")] {
        for (id, suite12, suite13, alg, name) in &bulk_setups {
            let suite = if prefix == "bulk" { suite12 } else { suite13 };
            let want = version_of(suite);
            let sp = Spectls::new(suite, Cert::Ecdsa, Resume::Off);
            let rl = Rustls::new(suite, Cert::Ecdsa, Resume::Off);
            let mut jobs: Vec<(String, Job<'_>)> = Vec::new();
            let wanted = |who: &str| bench.selected(&format!("{prefix}-{id}/{who}")) || bench.list;
            // Only set up (handshake, buffers) what is selected: keeps profiles clean.
            let sp_job: Job<'_> = if wanted("spectls") {
                bulk_job(&sp, &want)
            } else {
                Box::new(|_| Default::default())
            };
            let rl_job: Job<'_> = if wanted("rustls") {
                bulk_job(&rl, &want)
            } else {
                Box::new(|_| Default::default())
            };
            let sp_inplace: Job<'_> = if wanted("spectls-inplace") {
                spectls_inplace_job(&sp, &want)
            } else {
                Box::new(|_| Default::default())
            };
            let rl_unbuffered: Job<'_> = if wanted("rustls-unbuffered") {
                rustls_unbuffered_job(&rl, suite)
            } else {
                Box::new(|_| Default::default())
            };
            jobs.push((format!("{prefix}-{id}/spectls"), sp_job));
            jobs.push((format!("{prefix}-{id}/rustls"), rl_job));
            // The same ring floors for both versions (see the module doc).
            jobs.push((format!("{prefix}-{id}/ring"), ring_aead_job(alg)));
            jobs.push((format!("{prefix}-{id}/api-floor"), api_floor_job(alg)));
            jobs.push((format!("{prefix}-{id}/spectls-inplace"), sp_inplace));
            jobs.push((format!("{prefix}-{id}/rustls-unbuffered"), rl_unbuffered));
            bulk.push((format!("{ver} {name}"), bench.measure(jobs)));
        }
    }
    if !quiet {
        header(
            "BULK 1 MiB writes, seal+open, 16 KiB records (MB/s)",
            &[
                "spectls",
                "rustls",
                "ratio",
                "spectls is",
                "ring AEAD",
                "spectls%ring",
                "rustls%ring",
                "API floor",
                "spectls%API",
                "rustls%API",
            ],
        );
        let mbs = |x: Option<Stat>| x.map(|x| MIB as f64 / x.ns * 1e3);
        for (name, r) in &bulk {
            let (s, rl, ring, api) = (mbs(r[0]), mbs(r[1]), mbs(r[2]), mbs(r[3]));
            bulk_row(
                name,
                (s, rl, ring),
                [fmt(api, 0), share(s, api), share(rl, api)],
            );
        }
        println!(
            "  (MB/s = 10^6 bytes of application data per second; each MB is sealed by the client and \
             opened by the server.\n   API floor = ring seal+open plus the 4 copies a buffered \
             writer/write_tls/read_tls/reader API implies, nothing else)"
        );
        header(
            "BULK, unbuffered APIs: 1 MiB, seal into the wire buffer, open in place (MB/s)",
            &[
                "spectls",
                "rustls",
                "ratio",
                "spectls is",
                "ring AEAD",
                "spectls%ring",
                "rustls%ring",
                "vs buffered",
                "ratio",
            ],
        );
        for (name, r) in &bulk {
            let (s, rl, ring, rl_buffered) = (mbs(r[4]), mbs(r[5]), mbs(r[2]), mbs(r[1]));
            bulk_row(
                name,
                (s, rl, ring),
                [
                    fmt(rl_buffered, 0),
                    fmt(s.zip(rl_buffered).map(|(a, b)| a / b), 3),
                ],
            );
        }
        println!(
            "  (spectls: write_tls_into + read_tls_in_place; rustls: UnbufferedClientConnection / \
             UnbufferedServerConnection.\n   vs buffered = rustls's buffered API above; ratio = \
             spectls unbuffered / rustls buffered)"
        );
    }

    // --- memory: a TLS 1.2 pair (`memory`), a TLS 1.3 pair (`memory13`) ----------------------
    for (word, suite, title) in [
        (
            "memory",
            ecdsa_suite,
            "MEMORY per connection, TLS 1.2 (ECDSA, AES-128-GCM; bytes)",
        ),
        (
            "memory13",
            &ss::TLS13_AES_128_GCM_SHA256,
            "MEMORY per connection, TLS 1.3 (ECDSA, AES-128-GCM; bytes)",
        ),
    ] {
        if quiet || !bench.selected(word) {
            continue;
        }
        let sp = Spectls::new(suite, Cert::Ecdsa, Resume::Off);
        let rl = Rustls::new(suite, Cert::Ecdsa, Resume::Off);
        let want = version_of(suite);
        let (ms, mr) = (memory(&sp, &want), memory(&rl, &want));
        header(title, &["spectls", "rustls", "ratio", "spectls is"]);
        let b = |x: usize| Some(x as f64);
        for (name, s, r) in [
            ("after handshake, client+server pair", ms.pair, mr.pair),
            ("  client", ms.client, mr.client),
            ("  server", ms.server, mr.server),
            (
                "peak during handshake (pair, above baseline)",
                ms.peak,
                mr.peak,
            ),
            (
                "pair after a 1 MiB transfer (buffers kept)",
                ms.after_bulk,
                mr.after_bulk,
            ),
            (
                "allocations per full handshake (pair)",
                ms.hs_allocs,
                mr.hs_allocs,
            ),
            (
                "allocations per 1 MiB transfer (64 records)",
                ms.bulk_allocs,
                mr.bulk_allocs,
            ),
        ] {
            row(name, b(s), b(r), 0, false, &[]);
        }
    }

    // --- decode ----------------------------------------------------------------------------------
    let ch = captured_client_hello();
    spectls_decode(ch);
    rustls_decode(ch);
    let d = bench.measure(vec![
        (
            "decode/spectls".into(),
            Box::new(timed(|| spectls_decode(ch))),
        ),
        (
            "decode/rustls".into(),
            Box::new(timed(|| rustls_decode(ch))),
        ),
    ]);
    if !quiet {
        header(
            &format!("DECODE captured ClientHello ({} bytes; ns)", ch.len()),
            &["spectls", "rustls", "ratio", "spectls is"],
        );
        row(
            "ClientHello record -> typed message",
            d[0].map(|x| x.ns),
            d[1].map(|x| x.ns),
            1,
            false,
            &[],
        );

        header("FLOOR: ring alone (us per op)", &["ring"]);
        for (name, v) in [
            ("X25519 keygen + agreement (one side)", kx),
            ("ECDSA P-256 SHA-256 sign", esign),
            ("ECDSA P-256 SHA-256 verify", ever),
            ("RSA-2048 PSS-SHA256 sign", rsign),
            ("RSA-2048 PSS-SHA256 verify", rver),
        ] {
            println!("{name:<W0$} {:>12}", fmt(v, 1));
        }
        for ((_, _, _, name), (c, s)) in hs_setups.iter().zip(&floors) {
            println!(
                "{:<W0$} {:>12}",
                format!(
                    "full {name} handshake: client {} + server {}",
                    fmt(*c, 1),
                    fmt(*s, 1)
                ),
                fmt(c.zip(*s).map(|(c, s)| c + s), 1)
            );
        }
        println!(
            "  (TLS 1.3 full handshakes: the same floors, CertificateVerify in place of the \
             ServerKeyExchange signature; the HKDF key schedule, like the 1.2 PRF, is left out)"
        );

        println!();
        println!("spread of samples (min..max per op, us):");
        for (id, st) in &bench.spreads {
            println!("  {id:<32} {:>10.2} .. {:<10.2}", st.lo / 1e3, st.hi / 1e3);
        }
        println!();
        println!("total run time {:.1} s", run_start.elapsed().as_secs_f64());
    }
}
