//! The protocol versions spectls speaks, for `with_protocol_versions` and for comparing with
//! `protocol_version()`.

use crate::wire::ProtocolVersion;

/// TLS 1.2 (RFC 5246), `{3, 3}` on the wire.
pub const TLS12: ProtocolVersion = ProtocolVersion { major: 3, minor: 3 };

/// TLS 1.3 (RFC 8446), `{3, 4}` in supported_versions (its records and hellos still say 1.2).
pub const TLS13: ProtocolVersion = ProtocolVersion { major: 3, minor: 4 };

/// `TLSv1.3`, `TLSv1.2`, ... as OpenSSL prints versions (`SSL_get_version`, `s_client`'s
/// `Protocol  :` line): `SSLv3` for `{3, 0}`, `TLSv1` for `{3, 1}` (OpenSSL's spelling of TLS
/// 1.0), `TLSv1.1`, `TLSv1.2`, `TLSv1.3`; any other value (a GREASE version, a DTLS one) as
/// `unknown(0x7a7a)`, its two bytes in hex.
///
/// Written here rather than generated: `ProtocolVersion` is a struct of two numbers in the
/// schema (RFC 5246 6.2.1), and these names are OpenSSL's, not a registry's value names (the
/// wire enums' `Display` prints the schema's, `schema/NOTATION.md`, `display`).
impl core::fmt::Display for ProtocolVersion {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let name = match (self.major, self.minor) {
            (3, 0) => "SSLv3",
            (3, 1) => "TLSv1",
            (3, 2) => "TLSv1.1",
            (3, 3) => "TLSv1.2",
            (3, 4) => "TLSv1.3",
            (major, minor) => {
                return f.pad(&format!(
                    "unknown({:#06x})",
                    u16::from_be_bytes([major, minor])
                ))
            }
        };
        f.pad(name)
    }
}
