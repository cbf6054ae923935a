//! Reassembly: handshake messages out of the records that carry them.

use super::{HANDSHAKE_HEADER_LEN, MAX_CLIENT_HELLO, MAX_HANDSHAKE_MESSAGE};
use crate::codec::{Codec, DecodeErrorKind, Reader};
use crate::error::{Error, PeerMisbehaved};
use crate::wire::{HandshakeHeader, HandshakeType};

/// Joins handshake records into whole messages: handshake messages may be split across records
/// or share one (RFC 5246 section 6.2.1). The size limits are per message type, as OpenSSL's
/// are, and are checked on the 4-byte header, before the body is buffered.
pub(crate) struct HandshakeJoiner {
    buf: Vec<u8>,
    max_certificate: usize,
}

impl HandshakeJoiner {
    /// A joiner accepting Certificate bodies up to `max_certificate` bytes.
    pub(crate) fn new(max_certificate: usize) -> Self {
        HandshakeJoiner {
            buf: Vec::new(),
            max_certificate,
        }
    }

    /// Adds one handshake record's plaintext.
    pub(crate) fn push(&mut self, data: &[u8]) {
        self.buf.extend_from_slice(data);
    }

    /// Whether part of a message is waiting for the rest.
    pub(crate) fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }

    /// The first message's length, header included, once all of it is here; `header` is its
    /// header (from [`header`](Self::header)). A body over its type's size limit is refused as
    /// soon as the header is here, before the body is buffered.
    pub(crate) fn whole_len(&self, header: &HandshakeHeader) -> Result<Option<usize>, Error> {
        let (limit, what) = match header.msg_type {
            HandshakeType::ClientHello => (MAX_CLIENT_HELLO, "ClientHello over 131,396 bytes"),
            HandshakeType::Certificate => (
                self.max_certificate,
                "Certificate over the configured max_certificate_list_size",
            ),
            _ => (MAX_HANDSHAKE_MESSAGE, "handshake message over 64 KiB"),
        };
        if header.length as usize > limit {
            return Err(Error::PeerMisbehaved(PeerMisbehaved::TooLarge(what)));
        }
        let total = HANDSHAKE_HEADER_LEN + header.length as usize;
        Ok((self.buf.len() >= total).then_some(total))
    }

    /// The first message's header, once its 4 bytes are here (the body may still be coming):
    /// its type is enough to refuse a message the state does not allow before its body is
    /// buffered or read.
    pub(crate) fn header(&self, tls13: bool) -> Result<Option<HandshakeHeader>, Error> {
        if self.buf.len() < HANDSHAKE_HEADER_LEN {
            return Ok(None);
        }
        let mut r = Reader::new(&self.buf);
        let unknown = || Error::UnexpectedMessage {
            state: "handshake",
            got: "unknown handshake message type".into(),
            expected: if tls13 {
                "a handshake type RFC 8446 4 names"
            } else {
                "a handshake type RFC 5246 7.4 names"
            }
            .into(),
        };
        let header = match HandshakeHeader::decode(&mut r) {
            // The types only TLS 1.3 names (RFC 8446 4) are unknown to TLS 1.2.
            Ok(h) if tls13_only(h.msg_type, tls13) => return Err(unknown()),
            Ok(h) => h,
            Err(e) if matches!(e.kind, DecodeErrorKind::Truncated { .. }) => return Ok(None),
            Err(e) if matches!(e.kind, DecodeErrorKind::UnknownValue { .. }) => {
                return Err(unknown())
            }
            Err(e) => return Err(Error::Decode(e.root("Handshake"))),
        };
        Ok(Some(header))
    }

    /// The buffered bytes (the first message is `..next()`'s length).
    pub(crate) fn bytes(&self) -> &[u8] {
        &self.buf
    }

    /// Drops the first `n` bytes (a message that was handled).
    pub(crate) fn consume(&mut self, n: usize) {
        self.buf.drain(..n.min(self.buf.len()));
    }
}

/// Whether only TLS 1.3 (RFC 8446 section 4) names a handshake type: TLS 1.2 treats it as
/// unknown. Once TLS 1.3 is chosen only the reserved ones and message_hash (never sent) are.
fn tls13_only(t: HandshakeType, tls13: bool) -> bool {
    if tls13 {
        return matches!(
            t,
            HandshakeType::HelloVerifyRequestRESERVED
                | HandshakeType::HelloRetryRequestRESERVED
                | HandshakeType::SupplementalDataRESERVED
                | HandshakeType::MessageHash
        );
    }
    matches!(
        t,
        HandshakeType::HelloVerifyRequestRESERVED
            | HandshakeType::EndOfEarlyData
            | HandshakeType::HelloRetryRequestRESERVED
            | HandshakeType::EncryptedExtensions
            | HandshakeType::SupplementalDataRESERVED
            | HandshakeType::KeyUpdate
            | HandshakeType::MessageHash
    )
}
