//! The one error type of spectls, with granular kinds, each mapped to the alert RFC 5246
//! section 7.2 asks us to send for it.

use crate::codec::{DecodeError, DecodeErrorKind};
use crate::wire::AlertDescription;
use std::fmt;

/// Everything that can go wrong in a TLS connection.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// The peer's bytes are not a valid message (field path and offset inside).
    Decode(DecodeError),
    /// A message arrived that the current state does not allow.
    UnexpectedMessage {
        /// The state we were in.
        state: &'static str,
        /// What arrived (content type or handshake type).
        got: String,
        /// What the state's rows of the transition table take, e.g. `Certificate or
        /// HelloRequest`.
        expected: String,
    },
    /// The peer broke a protocol rule (a message was well formed but wrong).
    PeerMisbehaved(PeerMisbehaved),
    /// We and the peer have nothing in common (suites, groups, signature schemes, ALPN, ...).
    PeerIncompatible(PeerIncompatible),
    /// The peer's certificate chain or its signature did not verify.
    InvalidCertificate(CertificateError),
    /// A record failed AEAD authentication.
    BadRecordMac,
    /// A record longer than RFC 5246 section 6.2 allows: a protected record whose ciphertext
    /// is over 2^14 + 2048 bytes (`ciphertext`), or a plaintext, or a decrypted one, over 2^14
    /// (or the record_size_limit). Both are `record_overflow`.
    RecordOverflow {
        /// The protected record's ciphertext was too long (BoringSSL's
        /// ENCRYPTED_LENGTH_TOO_LONG), rather than its plaintext (DATA_LENGTH_TOO_LONG).
        ciphertext: bool,
    },
    /// The peer sent a fatal alert (or a warning we treat as fatal). `CloseNotify` here means
    /// the peer closed before the handshake completed (after it, close_notify is a clean end of
    /// data, not an error).
    AlertReceived(AlertDescription),
    /// The transport closed without a close_notify: the data may have been truncated.
    UnexpectedEof,
    /// The connection already failed; it cannot be used further.
    ConnectionClosed,
    /// The configuration cannot work (no usable suites, a key that does not match, ...).
    Config(String),
    /// A failure in our own code or crypto provider that is not the peer's fault.
    Internal(String),
    /// The caller used the API in a way it does not allow (says how). The connection is not
    /// affected and nothing is sent to the peer.
    ApiMisuse(&'static str),
}

/// Protocol rules the peer broke.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum PeerMisbehaved {
    /// The server chose a cipher suite, group, version or extension we did not offer.
    SelectedUnofferedParameter(&'static str),
    /// The same extension appears twice in one message (`decode_error`, as BoringSSL and OpenSSL
    /// send: RFC 5246 7.4.1.4 names no alert).
    DuplicateExtension(u16),
    /// The server answered with an extension we did not offer (RFC 5246 7.4.1.4).
    UnsolicitedExtension(u16),
    /// A Finished message whose verify_data does not match.
    BadFinished,
    /// A ServerKeyExchange or CertificateVerify signature that does not verify.
    BadSignature,
    /// An ECDHE public value that is not a valid point for its group.
    InvalidKeyShare,
    /// renegotiation_info is missing or wrong (RFC 5746).
    BadRenegotiationInfo,
    /// A resumption changed whether the extended master secret is used (RFC 7627 section 5.3):
    /// the session used it and the new hello does not, or (`session_used_ems: false`) the
    /// session did not and the server's resuming hello does.
    ExtendedMasterSecretMismatch {
        /// Whether the session being resumed was made with the extended master secret.
        session_used_ems: bool,
    },
    /// A renegotiation was attempted; spectls refuses them.
    RenegotiationAttempted,
    /// Handshake data interleaved with another content type, left over at a key change, or
    /// still in hand when we answered the peer's flight (it was sent before the peer could have
    /// seen our answer).
    HandshakeFragmentation,
    /// A record sequence number would wrap.
    SequenceExhausted,
    /// A record whose version is not {3, x} before the version is negotiated, or not the
    /// negotiated {3, 3} after (RFC 5246 6.2.1, appendix E.1); the number it carried. Sent as
    /// `protocol_version`, as OpenSSL does ("wrong version number").
    WrongRecordVersion(u16),
    /// A message larger than spectls accepts, or holding more items than it accepts (the
    /// limits in the README's "Limits" section); names what. Sent as `decode_error`: like a
    /// vector ceiling, the bound is on the message's shape.
    TooLarge(&'static str),
    /// More empty application data records in a row than spectls accepts
    /// (`conn::MAX_EMPTY_RECORDS_IN_A_ROW`): each is legal (RFC 5246 6.2.1) but a stream of
    /// them only burns our CPU. Sent as `unexpected_message`, as OpenSSL does.
    TooManyEmptyRecords,
    /// More warning alerts (other than close_notify) in a row than spectls accepts
    /// (`conn::MAX_WARNING_ALERTS_IN_A_ROW`). Sent as `unexpected_message`, as OpenSSL does.
    TooManyWarningAlerts,
    /// More renegotiation requests (HelloRequest, or ClientHello after the handshake) in a row
    /// than spectls refuses with a warning (`conn::MAX_RENEGOTIATIONS_REFUSED_IN_A_ROW`): each
    /// refusal is an alert we must send, so a stream of them would grow our output without end.
    /// Sent as `unexpected_message` (`no_renegotiation` is always a warning, RFC 5246 7.2.2).
    TooManyRenegotiationRequests,
    /// The server's Certificate message lists no certificate. Sent as `decode_error`, as RFC 8446
    /// 4.4.2.4 asks and BoringSSL does for TLS 1.2 too: a server Certificate message is only ever
    /// sent for a suite that needs a certificate, so an empty one is malformed, not a missing
    /// credential. (A client's empty list is `CertificateError::NoCertificate`.)
    EmptyServerCertificate,
    /// A TLS 1.3 message lacks an extension the RFC makes mandatory (RFC 8446 9.2):
    /// `missing_extension`.
    MissingExtension(&'static str),
    /// The binder of the PSK we would resume with does not verify (RFC 8446 4.2.11.2):
    /// `decrypt_error`.
    BadBinder,
    /// More 0-RTT data than the ticket's max_early_data_size, accepted or skipped (RFC 8446
    /// 4.2.10): `unexpected_message`.
    TooMuchEarlyData,
    /// Anything else, described.
    Other(&'static str),
}

/// What we could not agree on.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum PeerIncompatible {
    /// No cipher suite in common.
    NoCipherSuiteInCommon,
    /// No ECDHE group in common.
    NoGroupInCommon,
    /// No signature scheme in common.
    NoSignatureSchemeInCommon,
    /// The peer does not do TLS 1.2.
    UnsupportedVersion,
    /// ALPN was offered but no protocol matches (RFC 7301).
    NoApplicationProtocol,
    /// Extended master secret is required by our configuration and the peer does not offer it.
    ExtendedMasterSecretRequired,
    /// We have no certificate for the server name the client asked for (RFC 6066 3).
    UnrecognizedName,
    /// Our certificate's key is ECDSA on a curve the client's supported_groups leave out, so
    /// no ECDHE_ECDSA suite can use it (RFC 8422 5.1 and 5.3).
    CertificateCurveNotOffered,
    /// TLS 1.3: we require a client certificate and the client sent none
    /// (`certificate_required`, RFC 8446 4.4.2.4).
    CertificateRequired,
    /// The peer requires uncompressed points but offered formats without them, or similar.
    Other(&'static str),
}

/// Why a certificate was rejected.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum CertificateError {
    /// The chain does not lead to a trusted root.
    UnknownIssuer,
    /// The certificate is outside its validity period.
    Expired,
    /// The certificate is not yet valid.
    NotValidYet,
    /// The certificate is not valid for the name we connected to.
    NotValidForName,
    /// The peer sent no certificate where one is required.
    NoCertificate,
    /// The certificate is malformed or uses something unsupported.
    BadEncoding,
    /// The certificate was revoked.
    Revoked,
    /// The certificate's keyUsage extension does not allow the use it is put to (RFC 5280
    /// 4.2.1.3): a key that signs the handshake needs digitalSignature.
    KeyUsage,
    /// Anything else the verifier reports, described.
    Other(String),
}

impl Error {
    /// The alert to send the peer for this error, or `None` when none is owed (the peer already
    /// closed, or the error is ours to report locally).
    pub fn alert(&self) -> Option<AlertDescription> {
        use AlertDescription as A;
        Some(match self {
            Error::Decode(e) => e.alert(),
            Error::UnexpectedMessage { .. } => A::UnexpectedMessage,
            Error::PeerMisbehaved(p) => match p {
                PeerMisbehaved::SelectedUnofferedParameter(_) => A::IllegalParameter,
                PeerMisbehaved::DuplicateExtension(_) => A::DecodeError,
                PeerMisbehaved::UnsolicitedExtension(_) => A::UnsupportedExtension,
                PeerMisbehaved::BadFinished => A::DecryptError,
                PeerMisbehaved::BadSignature => A::DecryptError,
                PeerMisbehaved::InvalidKeyShare => A::IllegalParameter,
                PeerMisbehaved::BadRenegotiationInfo => A::HandshakeFailure,
                PeerMisbehaved::ExtendedMasterSecretMismatch { .. } => A::HandshakeFailure,
                PeerMisbehaved::RenegotiationAttempted => A::NoRenegotiation,
                PeerMisbehaved::HandshakeFragmentation => A::UnexpectedMessage,
                PeerMisbehaved::SequenceExhausted => A::InternalError,
                PeerMisbehaved::WrongRecordVersion(_) => A::ProtocolVersion,
                PeerMisbehaved::TooLarge(_) | PeerMisbehaved::EmptyServerCertificate => {
                    A::DecodeError
                }
                PeerMisbehaved::TooManyEmptyRecords
                | PeerMisbehaved::TooManyWarningAlerts
                | PeerMisbehaved::TooManyRenegotiationRequests
                | PeerMisbehaved::TooMuchEarlyData => A::UnexpectedMessage,
                PeerMisbehaved::MissingExtension(_) => A::MissingExtension,
                PeerMisbehaved::BadBinder => A::DecryptError,
                PeerMisbehaved::Other(_) => A::IllegalParameter,
            },
            Error::PeerIncompatible(p) => match p {
                PeerIncompatible::UnsupportedVersion => A::ProtocolVersion,
                PeerIncompatible::NoApplicationProtocol => A::NoApplicationProtocol,
                PeerIncompatible::UnrecognizedName => A::UnrecognizedName,
                PeerIncompatible::CertificateRequired => A::CertificateRequired,
                _ => A::HandshakeFailure,
            },
            Error::InvalidCertificate(c) => match c {
                CertificateError::UnknownIssuer => A::UnknownCa,
                CertificateError::Expired | CertificateError::NotValidYet => A::CertificateExpired,
                CertificateError::Revoked => A::CertificateRevoked,
                // RFC 5246 7.2.2: "a certificate was of an unsupported type"; rustls sends the
                // same for a certificate whose (extended) key usage does not fit.
                CertificateError::KeyUsage => A::UnsupportedCertificate,
                CertificateError::NoCertificate => A::HandshakeFailure,
                // The DER inside a well-framed Certificate message is the certificate itself:
                // RFC 5246 7.2.2 "bad_certificate: A certificate was corrupt". (Its TLS
                // framing failing is `Error::Decode`, `decode_error`.)
                CertificateError::BadEncoding => A::BadCertificate,
                CertificateError::NotValidForName | CertificateError::Other(_) => A::BadCertificate,
            },
            Error::BadRecordMac => A::BadRecordMac,
            Error::RecordOverflow { .. } => A::RecordOverflow,
            Error::Internal(_) => A::InternalError,
            Error::AlertReceived(_)
            | Error::UnexpectedEof
            | Error::ConnectionClosed
            | Error::Config(_)
            | Error::ApiMisuse(_) => return None,
        })
    }
}

impl From<DecodeError> for Error {
    /// A decode error, except a repeated extension (the schema's `unique` on the hellos'
    /// extension lists, RFC 5246 section 7.4.1.4), which is the same error the engine's own check
    /// gave before the decoder made that check: `PeerMisbehaved::DuplicateExtension`.
    fn from(e: DecodeError) -> Self {
        match e.kind {
            DecodeErrorKind::Duplicate { value } => match u16::try_from(value) {
                Ok(t) => Error::PeerMisbehaved(PeerMisbehaved::DuplicateExtension(t)),
                Err(_) => Error::Decode(e),
            },
            _ => Error::Decode(e),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Decode(e) => write!(f, "malformed message: {e}"),
            Error::UnexpectedMessage {
                state,
                got,
                expected,
            } => {
                write!(f, "unexpected {got} in state {state} (expected {expected})")
            }
            Error::PeerMisbehaved(p) => write!(f, "peer misbehaved: {p:?}"),
            Error::PeerIncompatible(p) => write!(f, "peer incompatible: {p:?}"),
            Error::InvalidCertificate(c) => write!(f, "invalid peer certificate: {c:?}"),
            Error::BadRecordMac => f.write_str("record failed authentication (bad_record_mac)"),
            Error::RecordOverflow { ciphertext: true } => {
                f.write_str("protected record too long (record_overflow)")
            }
            Error::RecordOverflow { ciphertext: false } => {
                f.write_str("record too long (record_overflow)")
            }
            Error::AlertReceived(AlertDescription::CloseNotify) => {
                f.write_str("peer sent close_notify before the handshake completed")
            }
            Error::AlertReceived(a) => write!(f, "received fatal alert: {a}"),
            Error::UnexpectedEof => f.write_str("peer closed the connection without close_notify"),
            Error::ConnectionClosed => f.write_str("connection already closed"),
            Error::Config(s) => write!(f, "configuration error: {s}"),
            Error::Internal(s) => write!(f, "internal error: {s}"),
            Error::ApiMisuse(s) => write!(f, "API misuse: {s}"),
        }
    }
}

impl std::error::Error for Error {}
