//! The protocol versions spectls speaks, for `with_protocol_versions` and for comparing with
//! `protocol_version()`.

use crate::wire::ProtocolVersion;

/// TLS 1.2 (RFC 5246), `{3, 3}` on the wire.
pub const TLS12: ProtocolVersion = ProtocolVersion { major: 3, minor: 3 };

/// TLS 1.3 (RFC 8446), `{3, 4}` in supported_versions (its records and hellos still say 1.2).
pub const TLS13: ProtocolVersion = ProtocolVersion { major: 3, minor: 4 };
