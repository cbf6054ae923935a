//! The runner's command line: the flags the shim understands, and `Unimplemented` for the rest
//! (the shim then exits 89 and the runner counts the test as skipped).

use std::fmt;

/// Everything one run of the shim is asked to do.
#[derive(Debug, Default)]
pub struct Options {
    pub port: u16,
    pub server: bool,
    pub key_file: Option<String>,
    pub cert_file: Option<String>,
    pub resume_count: usize,
    pub min_version: Option<u16>,
    pub max_version: Option<u16>,
    pub no_tls12: bool,
    pub no_tls13: bool,
    pub host_name: Option<String>,
    pub expect_server_name: Option<String>,
    pub curves: Vec<u16>,
    pub expect_curve_id: Option<u16>,
    pub expect_version: Option<u16>,
    pub expect_session_miss: bool,
    pub shim_writes_first: bool,
    pub shim_shuts_down: bool,
    pub check_close_notify: bool,
    pub advertise_alpn: Vec<Vec<u8>>,
    pub select_alpn: Option<Vec<u8>>,
    pub expect_alpn: Option<Vec<u8>>,
    pub expect_no_alpn: bool,
    pub require_client_cert: bool,
    pub verify_peer: bool,
    pub expect_extended_master_secret: bool,
    pub expect_secure_renegotiation: bool,
    pub expect_no_secure_renegotiation: bool,
    pub expect_peer_signature_algorithm: Option<u16>,
    pub verify_prefs: Vec<u16>,
    pub no_ticket: bool,
    pub ocsp_response: Option<Vec<u8>>,
    pub enable_ocsp_stapling: bool,
    pub expect_ocsp_response: Option<Vec<u8>>,
    pub expect_no_ocsp_response: bool,
    pub renegotiate_refused: bool,
    /// `-export-keying-material N`: after the handshake, export N bytes (RFC 5705) with
    /// `-export-label` and, with `-use-export-context`, `-export-context`, and send them.
    pub export_keying_material: usize,
    pub export_label: String,
    pub export_context: String,
    pub use_export_context: bool,
    /// `-enable-early-data`: a client offers 0-RTT data when its ticket allows it; a server
    /// accepts it (up to [`MAX_EARLY_DATA`]).
    pub enable_early_data: bool,
    pub expect_accept_early_data: bool,
    pub expect_reject_early_data: bool,
    /// A client: a ticket the server sent allows early data (its max_early_data_size > 0).
    pub expect_ticket_supports_early_data: bool,
}

/// Which connection of a test a set of options is for. The runner prefixes a flag with
/// `-on-initial-`, `-on-resume-` or `-on-retry-` to make it hold for that connection alone:
/// the first, the resumption rounds, or (a client) a resumption round once the server refused
/// its 0-RTT data, where BoringSSL's shim goes on with the retry options. A flag without a
/// prefix holds for all three.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    Initial,
    Resume,
    Retry,
}

impl Phase {
    fn prefix(self) -> &'static str {
        match self {
            Phase::Initial => "-on-initial-",
            Phase::Resume => "-on-resume-",
            Phase::Retry => "-on-retry-",
        }
    }
}

/// The options of each connection of a test.
#[derive(Debug)]
pub struct Phases {
    pub initial: Options,
    pub resume: Options,
    pub retry: Options,
}

impl Phases {
    pub fn parse(args: &[String]) -> Result<Phases, Unimplemented> {
        Ok(Phases {
            initial: Options::parse_for(args, Phase::Initial)?,
            resume: Options::parse_for(args, Phase::Resume)?,
            retry: Options::parse_for(args, Phase::Retry)?,
        })
    }
}

/// What BoringSSL's server accepts of 0-RTT data (its `kMaxEarlyDataAccepted`), which the
/// runner's tests count on (`TLS13-MaxEarlyData-Server` sends one byte more). Our tickets
/// allow this much.
pub const MAX_EARLY_DATA: u32 = 14336;

/// A flag the shim does not implement: the test is skipped (exit 89).
#[derive(Debug)]
pub struct Unimplemented(pub String);

impl fmt::Display for Unimplemented {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unimplemented: {}", self.0)
    }
}

/// Flags that change nothing for a blocking, one-connection-at-a-time shim: the runner's
/// asynchronous and implicit-handshake modes exercise BoringSSL's API, not the protocol.
const NO_EFFECT: &[&str] = &[
    "-async",
    "-implicit-handshake",
    "-use-old-client-cert-callback",
    "-decline-alpn",
    "-forbid-renegotiation-after-handshake",
    "-no-tls11",
    "-no-tls1",
    "-no-ssl3",
    "-ipv6",
    "-handshake-twice",
    "-enable-all-curves",
    "-permute-extensions",
];

impl Options {
    /// Parses the runner's flags (without the program name): all of them, as for the first
    /// connection.
    #[cfg(test)]
    pub fn parse(args: &[String]) -> Result<Options, Unimplemented> {
        Options::parse_for(args, Phase::Initial)
    }

    /// The options for the connections of `phase`: the flags without a prefix, and those with
    /// `phase`'s. A flag with another phase's prefix is still parsed (into options thrown
    /// away), so that its value is consumed and an unimplemented one is reported whatever the
    /// phase.
    pub fn parse_for(args: &[String], phase: Phase) -> Result<Options, Unimplemented> {
        let mut o = Options::default();
        let mut other = Options::default();
        let mut it = args.iter();
        while let Some(flag) = it.next() {
            let prefixed = [Phase::Initial, Phase::Resume, Phase::Retry]
                .into_iter()
                .find_map(|p| {
                    flag.strip_prefix(p.prefix())
                        .map(|rest| (p, format!("-{rest}")))
                });
            let (target, name) = match prefixed {
                Some((p, name)) if p == phase => (&mut o, name),
                Some((_, name)) => (&mut other, name),
                None => (&mut o, flag.clone()),
            };
            let mut value = || {
                it.next()
                    .cloned()
                    .ok_or_else(|| Unimplemented(format!("{flag} without a value")))
            };
            target.apply(&name, &mut value)?;
        }
        Ok(o)
    }

    /// Sets the option `flag` names, taking its value from `value` if it has one.
    fn apply(
        &mut self,
        flag: &str,
        value: &mut dyn FnMut() -> Result<String, Unimplemented>,
    ) -> Result<(), Unimplemented> {
        let o = self;
        match flag {
            "-port" => o.port = number(&value()?)?,
            "-server" => o.server = true,
            "-key-file" => o.key_file = Some(value()?),
            "-cert-file" => o.cert_file = Some(value()?),
            "-resume-count" => o.resume_count = number(&value()?)?,
            "-min-version" => o.min_version = Some(number(&value()?)?),
            "-max-version" => o.max_version = Some(number(&value()?)?),
            "-no-tls12" => o.no_tls12 = true,
            "-no-tls13" => o.no_tls13 = true,
            "-host-name" => o.host_name = Some(value()?),
            "-expect-server-name" => o.expect_server_name = Some(value()?),
            "-curves" => o.curves.push(number(&value()?)?),
            "-expect-curve-id" => o.expect_curve_id = Some(number(&value()?)?),
            "-expect-version" => o.expect_version = Some(number(&value()?)?),
            "-expect-session-miss" => o.expect_session_miss = true,
            "-shim-writes-first" => o.shim_writes_first = true,
            "-shim-shuts-down" => o.shim_shuts_down = true,
            "-check-close-notify" => o.check_close_notify = true,
            "-advertise-alpn" => o.advertise_alpn = alpn_list(value()?.as_bytes())?,
            "-select-alpn" => o.select_alpn = Some(value()?.into_bytes()),
            "-expect-alpn" => o.expect_alpn = Some(value()?.into_bytes()),
            "-expect-no-alpn" => o.expect_no_alpn = true,
            "-require-any-client-certificate" => o.require_client_cert = true,
            "-verify-peer" => o.verify_peer = true,
            "-expect-extended-master-secret" => o.expect_extended_master_secret = true,
            "-expect-secure-renegotiation" => o.expect_secure_renegotiation = true,
            "-expect-no-secure-renegotiation" => o.expect_no_secure_renegotiation = true,
            "-expect-peer-signature-algorithm" => {
                o.expect_peer_signature_algorithm = Some(number(&value()?)?)
            }
            "-verify-prefs" => o.verify_prefs.push(number(&value()?)?),
            "-no-ticket" => o.no_ticket = true,
            "-ocsp-response" => o.ocsp_response = Some(base64(&value()?)?),
            "-enable-ocsp-stapling" => o.enable_ocsp_stapling = true,
            "-expect-ocsp-response" => o.expect_ocsp_response = Some(base64(&value()?)?),
            "-expect-no-ocsp-response" => o.expect_no_ocsp_response = true,
            // Holds by construction: TLS 1.2 has no HelloRetryRequest.
            "-expect-no-hrr" => {}
            // spectls always checks that a signing key's keyUsage allows signing.
            "-enforce-rsa-key-usage" => {}
            // Renegotiation is refused (RFC 5746 4.2, 4.4): what BoringSSL calls "never".
            "-renegotiate-never" => o.renegotiate_refused = true,
            "-export-keying-material" => o.export_keying_material = number(&value()?)?,
            "-export-label" => o.export_label = value()?,
            "-export-context" => o.export_context = value()?,
            "-use-export-context" => o.use_export_context = true,
            "-enable-early-data" => o.enable_early_data = true,
            "-expect-accept-early-data" => o.expect_accept_early_data = true,
            "-expect-reject-early-data" => o.expect_reject_early_data = true,
            "-expect-ticket-supports-early-data" => o.expect_ticket_supports_early_data = true,
            f if NO_EFFECT.contains(&f) => {}
            other => return Err(Unimplemented(other.to_string())),
        }
        Ok(())
    }
}

fn number<T: std::str::FromStr>(s: &str) -> Result<T, Unimplemented> {
    s.parse()
        .map_err(|_| Unimplemented(format!("not a number: {s}")))
}

/// `-advertise-alpn`: protocols in wire format, each behind its one-byte length.
fn alpn_list(mut wire: &[u8]) -> Result<Vec<Vec<u8>>, Unimplemented> {
    let mut out = Vec::new();
    while let Some((&len, rest)) = wire.split_first() {
        let len = usize::from(len);
        if rest.len() < len {
            return Err(Unimplemented("malformed -advertise-alpn".into()));
        }
        let (name, rest) = rest.split_at(len);
        out.push(name.to_vec());
        wire = rest;
    }
    Ok(out)
}

/// Standard base64 with padding, as the runner encodes binary flag values.
fn base64(s: &str) -> Result<Vec<u8>, Unimplemented> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = Vec::new();
    let (mut acc, mut bits) = (0u32, 0u32);
    for c in s.bytes().filter(|&c| c != b'=') {
        let v = ALPHABET
            .iter()
            .position(|&a| a == c)
            .ok_or_else(|| Unimplemented(format!("not base64: {s}")))?;
        acc = (acc << 6) | v as u32;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_decodes_padded_input() {
        assert_eq!(base64("AQID").unwrap(), [1, 2, 3]);
        assert_eq!(base64("AQI=").unwrap(), [1, 2]);
        assert_eq!(base64("AQ==").unwrap(), [1]);
        assert!(base64("A*").is_err());
    }

    #[test]
    fn alpn_wire_list() {
        assert_eq!(
            alpn_list(b"\x03foo\x02h2").unwrap(),
            [b"foo".to_vec(), b"h2".to_vec()]
        );
        assert!(alpn_list(b"\x05ab").is_err());
    }

    #[test]
    fn unknown_flags_are_unimplemented() {
        let args: Vec<String> = ["-port", "1", "-dtls"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        assert!(matches!(Options::parse(&args), Err(Unimplemented(f)) if f == "-dtls"));
        let args: Vec<String> = ["-port", "7", "-server", "-async"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let o = Options::parse(&args).unwrap();
        assert_eq!((o.port, o.server), (7, true));
    }

    #[test]
    fn exporter_flags() {
        let args: Vec<String> = [
            "-export-keying-material",
            "1024",
            "-use-export-context",
            "-export-label",
            "label",
            "-export-context",
            "",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let o = Options::parse(&args).unwrap();
        assert_eq!(o.export_keying_material, 1024);
        assert_eq!(
            (o.export_label.as_str(), o.export_context.as_str()),
            ("label", "")
        );
        assert!(o.use_export_context);
    }

    #[test]
    fn phase_prefixes() {
        let args: Vec<String> = [
            "-enable-early-data",
            "-on-initial-expect-alpn",
            "foo",
            "-on-resume-expect-accept-early-data",
            "-on-resume-shim-writes-first",
            "-on-retry-expect-alpn",
            "bar",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let p = Phases::parse(&args).unwrap();
        assert!(
            p.initial.enable_early_data && p.resume.enable_early_data && p.retry.enable_early_data
        );
        assert_eq!(p.initial.expect_alpn.as_deref(), Some(&b"foo"[..]));
        assert_eq!(p.resume.expect_alpn, None);
        assert_eq!(p.retry.expect_alpn.as_deref(), Some(&b"bar"[..]));
        assert!(p.resume.expect_accept_early_data && p.resume.shim_writes_first);
        assert!(!p.initial.shim_writes_first && !p.retry.expect_accept_early_data);
        // An unimplemented flag is one whatever its prefix.
        let args: Vec<String> = ["-on-initial-expect-early-data-reason", "accept"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        assert!(
            matches!(Phases::parse(&args), Err(Unimplemented(f)) if f == "-expect-early-data-reason")
        );
    }
}
