//! spectls's errors as BoringSSL's error strings, which the runner looks for in the shim's
//! stderr when a test expects a failure (so tests are judged strictly, without `-loose-errors`).

use spectls::wire::AlertDescription as A;
use spectls::{CertificateError, Error, PeerIncompatible, PeerMisbehaved};

/// The BoringSSL reason string (`:NAME:`) for an error; `tls13` when TLS 1.3 was negotiated,
/// where BoringSSL names a few of the same failures differently.
pub fn boringssl_reason(e: &Error, tls13: bool) -> String {
    let name = match e {
        Error::PeerMisbehaved(p) if tls13 => match p {
            // 1.3 has no renegotiation: the requests counted are KeyUpdates.
            PeerMisbehaved::TooManyRenegotiationRequests => "TOO_MANY_KEY_UPDATES",
            PeerMisbehaved::EmptyServerCertificate => "PEER_DID_NOT_RETURN_A_CERTIFICATE",
            // A 1.3 ServerHello's legacy_compression_method is a fixed 0 (RFC 8446 4.1.3).
            PeerMisbehaved::SelectedUnofferedParameter("compression method") => "DECODE_ERROR",
            // TLS 1.2's extensions (extended_master_secret, session_ticket, ec_point_formats,
            // renegotiation_info), offered for 1.2, in a 1.3 EncryptedExtensions.
            PeerMisbehaved::UnsolicitedExtension(23 | 35 | 11 | 0xff01) => {
                "ERROR_PARSING_EXTENSION"
            }
            _ => return boringssl_reason(e, false),
        },
        Error::Decode(d) => decode_reason(d),
        Error::UnexpectedMessage { state, got, .. } => unexpected_reason(state, got),
        Error::BadRecordMac => "DECRYPTION_FAILED_OR_BAD_RECORD_MAC",
        Error::RecordOverflow { ciphertext: true } => "ENCRYPTED_LENGTH_TOO_LONG",
        Error::RecordOverflow { ciphertext: false } => "DATA_LENGTH_TOO_LONG",
        Error::UnexpectedEof => "UNEXPECTED_EOF",
        Error::AlertReceived(a) => return alert_reason(*a),
        Error::PeerMisbehaved(p) => match p {
            PeerMisbehaved::SelectedUnofferedParameter("cipher suite") => "WRONG_CIPHER_RETURNED",
            PeerMisbehaved::SelectedUnofferedParameter("group") => "WRONG_CURVE",
            PeerMisbehaved::SelectedUnofferedParameter("signature scheme") => {
                "WRONG_SIGNATURE_TYPE"
            }
            PeerMisbehaved::SelectedUnofferedParameter("compression method") => {
                "UNSUPPORTED_COMPRESSION_ALGORITHM"
            }
            PeerMisbehaved::SelectedUnofferedParameter("key_share group")
            | PeerMisbehaved::SelectedUnofferedParameter("HelloRetryRequest group")
            | PeerMisbehaved::Other("second ClientHello without a share for the group asked for") => {
                "WRONG_CURVE"
            }
            PeerMisbehaved::SelectedUnofferedParameter("version") => "UNEXPECTED_EXTENSION",
            PeerMisbehaved::Other("ServerHello suite differs from the HelloRetryRequest's") => {
                "WRONG_CIPHER_RETURNED"
            }
            PeerMisbehaved::Other("HelloRetryRequest that changes nothing") => {
                "EMPTY_HELLO_RETRY_REQUEST"
            }
            PeerMisbehaved::Other("TLS 1.3 downgrade sentinel in a TLS 1.2 ServerHello") => {
                "TLS13_DOWNGRADE"
            }
            PeerMisbehaved::Other("two key shares for one group") => "DUPLICATE_KEY_SHARE",
            PeerMisbehaved::Other("as many PSK binders as identities") => {
                "PSK_IDENTITY_BINDER_COUNT_MISMATCH"
            }
            // The server's EncryptedExtensions accepted 0-RTT data it could not take.
            PeerMisbehaved::Other("early data accepted without resuming with our ticket") => {
                "UNEXPECTED_EXTENSION"
            }
            PeerMisbehaved::Other(
                "early data accepted under another cipher suite than the ticket's",
            ) => "CIPHER_MISMATCH_ON_EARLY_DATA",
            PeerMisbehaved::Other(
                "early data accepted with another ALPN protocol than the ticket's",
            ) => "ALPN_MISMATCH_ON_EARLY_DATA",
            PeerMisbehaved::Other("resumed with a suite of another hash than the ticket's") => {
                "OLD_SESSION_PRF_HASH_MISMATCH"
            }
            PeerMisbehaved::Other("server echoed a session ID that names no session") => {
                "SERVER_ECHOED_INVALID_SESSION_ID"
            }
            PeerMisbehaved::Other("ServerHello version differs from the HelloRetryRequest's") => {
                "SECOND_SERVERHELLO_VERSION_MISMATCH"
            }
            PeerMisbehaved::MissingExtension("key_share") => "MISSING_KEY_SHARE",
            // BoringSSL reads a missing list as an empty one.
            PeerMisbehaved::MissingExtension("supported_groups") => "NO_SHARED_GROUP",
            PeerMisbehaved::MissingExtension("signature_algorithms") => {
                "NO_COMMON_SIGNATURE_ALGORITHMS"
            }
            PeerMisbehaved::Other("certificate_request_context not empty in the handshake") => {
                "DECODE_ERROR"
            }
            PeerMisbehaved::SelectedUnofferedParameter("ALPN protocol") => "INVALID_ALPN_PROTOCOL",
            PeerMisbehaved::SelectedUnofferedParameter(_) => "WRONG_CIPHER_RETURNED",
            PeerMisbehaved::DuplicateExtension(_) => "DUPLICATE_EXTENSION",
            PeerMisbehaved::UnsolicitedExtension(_) => "UNEXPECTED_EXTENSION",
            PeerMisbehaved::BadFinished => "DIGEST_CHECK_FAILED",
            PeerMisbehaved::BadSignature => "BAD_SIGNATURE",
            PeerMisbehaved::InvalidKeyShare => "BAD_ECPOINT",
            PeerMisbehaved::BadRenegotiationInfo => "RENEGOTIATION_MISMATCH",
            PeerMisbehaved::ExtendedMasterSecretMismatch {
                session_used_ems: true,
            } => "RESUMED_EMS_SESSION_WITHOUT_EMS_EXTENSION",
            PeerMisbehaved::ExtendedMasterSecretMismatch {
                session_used_ems: false,
            } => "RESUMED_NON_EMS_SESSION_WITH_EMS_EXTENSION",
            PeerMisbehaved::RenegotiationAttempted => "NO_RENEGOTIATION",
            PeerMisbehaved::HandshakeFragmentation => "EXCESS_HANDSHAKE_DATA",
            PeerMisbehaved::WrongRecordVersion(v) => not_tls_reason(*v),
            PeerMisbehaved::TooLarge(_) => "EXCESSIVE_MESSAGE_SIZE",
            PeerMisbehaved::TooManyEmptyRecords => "TOO_MANY_EMPTY_FRAGMENTS",
            PeerMisbehaved::TooMuchEarlyData => "TOO_MUCH_READ_EARLY_DATA",
            PeerMisbehaved::TooManyWarningAlerts => "TOO_MANY_WARNING_ALERTS",
            PeerMisbehaved::TooManyRenegotiationRequests => "NO_RENEGOTIATION",
            PeerMisbehaved::EmptyServerCertificate => "DECODE_ERROR",
            PeerMisbehaved::Other("null compression not offered")
            | PeerMisbehaved::Other("legacy_compression_methods is not exactly null") => {
                "INVALID_COMPRESSION_LIST"
            }
            PeerMisbehaved::Other("ec_point_formats without uncompressed") => {
                "ERROR_PARSING_EXTENSION"
            }
            PeerMisbehaved::Other("certificate key does not fit the cipher suite") => {
                "WRONG_CERTIFICATE_TYPE"
            }
            PeerMisbehaved::Other("certificate curve not offered") => "BAD_ECC_CERT",
            PeerMisbehaved::Other("signature scheme does not match the certificate's key") => {
                "WRONG_SIGNATURE_TYPE"
            }
            _ => "PEER_MISBEHAVED",
        },
        Error::PeerIncompatible(p) => match p {
            PeerIncompatible::NoCipherSuiteInCommon => "NO_SHARED_CIPHER",
            PeerIncompatible::NoGroupInCommon => "NO_SHARED_GROUP",
            PeerIncompatible::NoSignatureSchemeInCommon => "NO_COMMON_SIGNATURE_ALGORITHMS",
            PeerIncompatible::UnsupportedVersion => "UNSUPPORTED_PROTOCOL",
            PeerIncompatible::NoApplicationProtocol => "NO_APPLICATION_PROTOCOL",
            PeerIncompatible::UnrecognizedName => "UNRECOGNIZED_NAME",
            PeerIncompatible::CertificateRequired => "PEER_DID_NOT_RETURN_A_CERTIFICATE",
            PeerIncompatible::Other(
                "a TLS 1.2 ServerHello to a ClientHello that sent 0-RTT data",
            ) => "WRONG_VERSION_ON_EARLY_DATA",
            _ => "HANDSHAKE_FAILURE_ON_CLIENT_HELLO",
        },
        Error::InvalidCertificate(c) => match c {
            CertificateError::NoCertificate => "PEER_DID_NOT_RETURN_A_CERTIFICATE",
            CertificateError::BadEncoding => "CANNOT_PARSE_LEAF_CERT",
            CertificateError::KeyUsage => "KEY_USAGE_BIT_INCORRECT",
            _ => "CERTIFICATE_VERIFY_FAILED",
        },
        Error::ApiMisuse("keying material can only be exported once the handshake is complete") => {
            "HANDSHAKE_NOT_COMPLETE"
        }
        _ => "INTERNAL_ERROR",
    };
    format!(":{name}:")
}

/// A message that does not decode: where it failed says which of BoringSSL's reasons it is.
fn decode_reason(d: &spectls::codec::DecodeError) -> &'static str {
    let path = d.path();
    if path.starts_with("TLSInnerPlaintext") {
        // A TLS 1.3 record with no content type (RFC 8446 5.4).
        "DECRYPTION_FAILED_OR_BAD_RECORD_MAC"
    } else if path.starts_with("Alert.level") && d.to_string().contains("unknown value") {
        "UNKNOWN_ALERT_TYPE"
    } else if path.starts_with("Alert") {
        "BAD_ALERT"
    } else if path.contains(".protocol_name_list") {
        // BoringSSL's extension parsers report only an empty ALPN name as PARSE_TLSEXT.
        "PARSE_TLSEXT"
    } else {
        "DECODE_ERROR"
    }
}

/// A first record whose version is not {3, x}: BoringSSL names the HTTP requests among them by
/// their second and third bytes ("GET ", "POST ", "PUT ", "HEAD ", "CONNECT ").
fn not_tls_reason(version: u16) -> &'static str {
    match &version.to_be_bytes() {
        b"ET" | b"OS" | b"UT" | b"EA" => "HTTP_REQUEST",
        b"ON" => "HTTPS_PROXY_REQUEST",
        _ => "WRONG_VERSION_NUMBER",
    }
}

/// Something the state machine or record layer did not expect. BoringSSL tells a record of the
/// wrong content type (`UNEXPECTED_RECORD`: an unknown type, ChangeCipherSpec out of place, or a
/// handshake record where ChangeCipherSpec belongs) from a handshake message of the wrong type.
fn unexpected_reason(state: &str, got: &str) -> &'static str {
    if got.starts_with("record of content type") {
        "UNEXPECTED_RECORD"
    } else if got.starts_with("unprotected record of content type") {
        // TLS 1.3: a plaintext record where only protected ones may come.
        "INVALID_OUTER_RECORD_TYPE"
    } else if got.starts_with("handshake data in the record that changed the keys") {
        // TLS 1.3: a key change must fall on a record boundary (RFC 8446 5.1).
        "EXCESS_HANDSHAKE_DATA"
    } else if got == "protected ChangeCipherSpec" {
        "UNEXPECTED_RECORD"
    } else if got.starts_with("ChangeCipherSpec that is not") {
        "BAD_CHANGE_CIPHER_SPEC"
    } else if got == "ChangeCipherSpec" || state.ends_with("ExpectChangeCipherSpec") {
        "UNEXPECTED_RECORD"
    } else if got == "application data" && state.ends_with("ExpectFinished") {
        // After the peer's ChangeCipherSpec only its Finished may come.
        "UNEXPECTED_RECORD"
    } else if got == "application data"
        && (state.ends_with("ExpectClientHelloAfterRetry")
            || state.ends_with("ExpectClientKeyExchange"))
    {
        // BoringSSL names APPLICATION_DATA_INSTEAD_OF_HANDSHAKE a server's first record (where
        // it also spots HTTP requests); an application data record later in the client's
        // flights, such as 0-RTT data it cannot skip there, is UNEXPECTED_RECORD.
        "UNEXPECTED_RECORD"
    } else if got == "application data" {
        "APPLICATION_DATA_INSTEAD_OF_HANDSHAKE"
    } else {
        "UNEXPECTED_MESSAGE"
    }
}

/// An alert the peer sent, as BoringSSL names it (`SSLV3_ALERT_*` for the SSL 3.0 ones,
/// `TLSV1_ALERT_*` for the rest).
fn alert_reason(a: A) -> String {
    let (prefix, name) = match a {
        A::CloseNotify => return ":UNEXPECTED_EOF:".into(),
        A::UnexpectedMessage => ("SSLV3", "UNEXPECTED_MESSAGE"),
        A::BadRecordMac => ("SSLV3", "BAD_RECORD_MAC"),
        A::DecompressionFailure => ("SSLV3", "DECOMPRESSION_FAILURE"),
        A::HandshakeFailure => ("SSLV3", "HANDSHAKE_FAILURE"),
        A::BadCertificate => ("SSLV3", "BAD_CERTIFICATE"),
        A::UnsupportedCertificate => ("SSLV3", "UNSUPPORTED_CERTIFICATE"),
        A::CertificateRevoked => ("SSLV3", "CERTIFICATE_REVOKED"),
        A::CertificateExpired => ("SSLV3", "CERTIFICATE_EXPIRED"),
        A::CertificateUnknown => ("SSLV3", "CERTIFICATE_UNKNOWN"),
        A::IllegalParameter => ("SSLV3", "ILLEGAL_PARAMETER"),
        A::RecordOverflow => ("TLSV1", "RECORD_OVERFLOW"),
        A::UnknownCa => ("TLSV1", "UNKNOWN_CA"),
        A::AccessDenied => ("TLSV1", "ACCESS_DENIED"),
        A::DecodeError => ("TLSV1", "DECODE_ERROR"),
        A::DecryptError => ("TLSV1", "DECRYPT_ERROR"),
        A::ProtocolVersion => ("TLSV1", "PROTOCOL_VERSION"),
        A::InsufficientSecurity => ("TLSV1", "INSUFFICIENT_SECURITY"),
        A::InternalError => ("TLSV1", "INTERNAL_ERROR"),
        A::UserCanceled => ("TLSV1", "USER_CANCELLED"),
        A::NoRenegotiation => ("TLSV1", "NO_RENEGOTIATION"),
        A::UnsupportedExtension => ("TLSV1", "UNSUPPORTED_EXTENSION"),
        A::UnrecognizedName => ("TLSV1", "UNRECOGNIZED_NAME"),
        A::NoApplicationProtocol => ("TLSV1", "NO_APPLICATION_PROTOCOL"),
        _ => return ":TLSV1_ALERT_UNKNOWN:".into(),
    };
    format!(":{prefix}_ALERT_{name}:")
}
