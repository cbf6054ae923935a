//! The record layer (RFC 5246 section 6.2): framing with the generated record types, AEAD
//! protection once keys are installed, sequence numbers, size limits, and handshake message
//! reassembly.
//!
//! Every header and length here is read or written by generated code (`TLSPlaintext`,
//! `TLSCiphertext`, `HandshakeHeader`); this module only decides what goes where.

use crate::codec::{Codec, DecodeErrorKind, Encode, Reader};
use crate::crypto::cipher::{RecordDecrypter, RecordEncrypter};
use crate::crypto::cipher13::{Tls13Decrypter, Tls13Encrypter};
use crate::crypto::SEQ_LIMIT;
use crate::error::{Error, PeerMisbehaved};
use crate::wire::{ContentType, ProtocolVersion, RecordHeader, TLSPlaintext};
use std::ops::Range;

mod join;

pub(crate) use join::HandshakeJoiner;

/// RFC 5246 section 6.2.1: a plaintext fragment is at most 2^14 bytes.
pub(crate) const MAX_PLAINTEXT: usize = 1 << 14;
/// RFC 5246 section 6.2.3: a protected fragment is at most 2^14 + 2048 bytes.
pub(crate) const MAX_CIPHERTEXT: usize = MAX_PLAINTEXT + 2048;
/// The largest ClientHello body we accept: OpenSSL's limit (`CLIENT_HELLO_MAX_LENGTH`, 131,396
/// bytes), so every hello OpenSSL takes (100+ extensions, signature_algorithms near its ceiling,
/// large post-quantum key shares) is taken here too.
pub(crate) const MAX_CLIENT_HELLO: usize = 131_396;
/// The largest body of any other handshake message (the Certificate message has its own,
/// configurable limit): 64 KiB bounds what a peer can make us buffer, and no other TLS 1.2
/// message comes near it. A larger announced length is refused as soon as the 4-byte header
/// arrives, before the body is buffered (`PeerMisbehaved::TooLarge`, `decode_error`).
pub(crate) const MAX_HANDSHAKE_MESSAGE: usize = 0x1_0000;

/// `RecordHeader`: type, version, length.
const RECORD_HEADER_LEN: usize = 5;
/// `HandshakeHeader`: type, 24-bit length.
const HANDSHAKE_HEADER_LEN: usize = 4;

/// TLS 1.2 on the wire.
pub(crate) const TLS12: ProtocolVersion = ProtocolVersion { major: 3, minor: 3 };
/// The record version of a client's first flight: TLS 1.0, which every server takes whatever
/// it supports (RFC 5246 E.1 lets a client use any {03,XX}; RFC 8446 5.1 asks for 0x0301, and
/// OpenSSL, BoringSSL and rustls send it). From the ServerHello on, records carry TLS 1.2.
pub(crate) const INITIAL_CLIENT_RECORD_VERSION: ProtocolVersion =
    ProtocolVersion { major: 3, minor: 1 };

/// The version bytes of the record header at the front of `buf` (which holds at least a header).
fn wire_version(buf: &[u8]) -> u16 {
    match buf.get(1..3) {
        Some(&[major, minor]) => u16::from_be_bytes([major, minor]),
        _ => 0,
    }
}

fn major_is_3(buf: &[u8]) -> bool {
    buf.get(1) == Some(&3)
}

/// How records we send are protected once keys are set.
enum Sealer {
    /// TLS 1.2: `GenericAEADCipher` with its explicit nonce length.
    Tls12(RecordEncrypter, usize),
    /// TLS 1.3: `TLSInnerPlaintext` under the current traffic key.
    Tls13(Tls13Encrypter),
}

/// How records we receive are opened once keys are set.
enum Opener {
    Tls12(RecordDecrypter, usize),
    Tls13(Tls13Decrypter),
}

/// Writes records: fragments, protects once keys are set, counts sequence numbers.
pub(crate) struct RecordWriter {
    encrypter: Option<Sealer>,
    seq: u64,
    max_fragment: usize,
    /// The peer's record_size_limit as TLS 1.3 counts it (content type included).
    record_size_limit: u16,
    /// The version plaintext records carry (protected ones always carry TLS 1.2).
    version: ProtocolVersion,
    /// close_notify went out: RFC 5246 7.2.1 makes it our last word, so nothing (not even a
    /// fatal alert or a no_renegotiation warning) is written after it.
    closed: bool,
    /// TLS 1.3: we answered a KeyUpdate request and have sent no application data since.
    key_update_answered: bool,
    /// TLS 1.3 handshake messages waiting to be sealed together: a flight under one key goes
    /// out in as few records as fit (one AEAD seal and one open for EncryptedExtensions to
    /// Finished, not one each). Written before anything else is, and before the key changes.
    pending_handshake: Vec<u8>,
}

impl RecordWriter {
    pub(crate) fn new() -> Self {
        RecordWriter {
            encrypter: None,
            seq: 0,
            max_fragment: MAX_PLAINTEXT,
            record_size_limit: (MAX_PLAINTEXT + 1) as u16,
            version: TLS12,
            closed: false,
            key_update_answered: false,
            pending_handshake: Vec::new(),
        }
    }

    /// close_notify went out: nothing more may be written.
    pub(crate) fn is_closed(&self) -> bool {
        self.closed
    }

    /// The version plaintext records carry from now on.
    pub(crate) fn set_version(&mut self, version: ProtocolVersion) {
        self.version = version;
    }

    /// Writes `close_notify` (an encoded warning alert) and closes the writer for good.
    pub(crate) fn close(&mut self, close_notify: &[u8], out: &mut Vec<u8>) -> Result<(), Error> {
        let result = self.write(ContentType::Alert, close_notify, out);
        self.closed = true;
        result
    }

    /// Starts protecting records with new keys (after our ChangeCipherSpec); `explicit_nonce_len`
    /// says how the fragment splits into `GenericAEADCipher`.
    pub(crate) fn set_encrypter(&mut self, enc: RecordEncrypter, explicit_nonce_len: usize) {
        self.encrypter = Some(Sealer::Tls12(enc, explicit_nonce_len));
        self.seq = 0;
    }

    /// Starts protecting records with a TLS 1.3 traffic key (each epoch, RFC 8446 7.3): the
    /// sequence number starts again at 0. The peer's record_size_limit, if any, applies to it.
    pub(crate) fn set_encrypter13(
        &mut self,
        mut enc: Tls13Encrypter,
        out: &mut Vec<u8>,
    ) -> Result<(), Error> {
        // What was queued under the old key goes out under it.
        self.flush(out)?;
        if usize::from(self.record_size_limit) <= MAX_PLAINTEXT {
            // RFC 8449 4: in TLS 1.3 the limit counts the content type and padding too.
            enc.set_record_size_limit(self.record_size_limit)?;
        }
        self.encrypter = Some(Sealer::Tls13(enc));
        self.seq = 0;
        Ok(())
    }

    /// Back to records in the clear: a client whose 0-RTT keys were set for its first
    /// ClientHello's early data, answered with a HelloRetryRequest (RFC 8446 4.1.4: the second
    /// ClientHello is in the clear, and no early data follows it).
    pub(crate) fn clear_encrypter(&mut self, out: &mut Vec<u8>) -> Result<(), Error> {
        self.flush(out)?;
        self.encrypter = None;
        self.seq = 0;
        Ok(())
    }

    /// TLS 1.3 (RFC 8446 4.6.3): whether a KeyUpdate request was answered already with no
    /// application data sent since; requests that arrive together get one answer (as BoringSSL
    /// does), so a peer cannot make us send KeyUpdates it did not wait for.
    pub(crate) fn key_update_answered(&self) -> bool {
        self.key_update_answered
    }

    /// A KeyUpdate request was just answered.
    pub(crate) fn set_key_update_answered(&mut self) {
        self.key_update_answered = true;
    }

    /// Whether the TLS 1.3 sending key is at its record limit (RFC 8446 5.5): one record is
    /// left for the KeyUpdate that moves to the next key.
    pub(crate) fn key_update_due(&self) -> bool {
        match &self.encrypter {
            Some(Sealer::Tls13(enc)) => self.seq.saturating_add(1) >= enc.key_update_limit(),
            _ => false,
        }
    }

    /// Applies the peer's record_size_limit (RFC 8449, at least 64): TLS 1.2 fragments are at
    /// most `limit` bytes; TLS 1.3 inner plaintexts (content and type) at most `limit`.
    pub(crate) fn set_max_fragment(&mut self, limit: usize) {
        self.max_fragment = limit.clamp(64, MAX_PLAINTEXT);
        self.record_size_limit =
            u16::try_from(limit.clamp(64, MAX_PLAINTEXT + 1)).unwrap_or(u16::MAX);
        if let Some(Sealer::Tls13(enc)) = &mut self.encrypter {
            // At least 64 by the clamp: cannot fail.
            let _ = enc.set_record_size_limit(self.record_size_limit);
        }
    }

    /// Frames `data` as records of `typ`, appending them to `out`.
    pub(crate) fn write(
        &mut self,
        typ: ContentType,
        data: &[u8],
        out: &mut Vec<u8>,
    ) -> Result<(), Error> {
        if self.closed {
            return Ok(());
        }
        if typ == ContentType::Handshake && matches!(self.encrypter, Some(Sealer::Tls13(_))) {
            self.pending_handshake.extend_from_slice(data);
            return Ok(());
        }
        self.flush(out)?;
        self.write_now(typ, data, out)
    }

    /// Writes the queued TLS 1.3 handshake messages (see `pending_handshake`).
    pub(crate) fn flush(&mut self, out: &mut Vec<u8>) -> Result<(), Error> {
        if self.pending_handshake.is_empty() {
            return Ok(());
        }
        let pending = std::mem::take(&mut self.pending_handshake);
        self.write_now(ContentType::Handshake, &pending, out)
    }

    /// Drops the queued handshake messages: the connection failed before they could go.
    pub(crate) fn discard_pending(&mut self) {
        self.pending_handshake = Vec::new();
    }

    /// Frames `data` as records of `typ` at once.
    fn write_now(&mut self, typ: ContentType, data: &[u8], out: &mut Vec<u8>) -> Result<(), Error> {
        let max = match &self.encrypter {
            Some(Sealer::Tls13(enc)) => enc.max_content(0).clamp(1, MAX_PLAINTEXT),
            _ => self.max_fragment,
        };
        if typ == ContentType::ApplicationData {
            if data.is_empty() {
                // `chunks` yields nothing for no data: an empty write sends no record.
                return Ok(());
            }
            self.key_update_answered = false;
        }
        for chunk in data.chunks(max) {
            self.write_one(typ, chunk, out)?;
        }
        Ok(())
    }

    /// Writes one unprotected change_cipher_spec record whatever keys are set: TLS 1.3's
    /// middlebox compatibility record (RFC 8446 D.4), which is never encrypted.
    pub(crate) fn write_plain_ccs(&mut self, out: &mut Vec<u8>) {
        if self.closed {
            return;
        }
        TLSPlaintext {
            type_: ContentType::ChangeCipherSpec,
            version: TLS12,
            fragment: &[1],
        }
        .encode(out);
    }

    fn write_one(
        &mut self,
        typ: ContentType,
        chunk: &[u8],
        out: &mut Vec<u8>,
    ) -> Result<(), Error> {
        let Some(sealer) = &self.encrypter else {
            out.reserve(RECORD_HEADER_LEN + chunk.len());
            TLSPlaintext {
                type_: typ,
                version: self.version.clone(),
                fragment: chunk,
            }
            .encode(out);
            return Ok(());
        };
        if self.seq >= SEQ_LIMIT {
            return Err(Error::PeerMisbehaved(PeerMisbehaved::SequenceExhausted));
        }
        let (enc, nonce_len) = match sealer {
            Sealer::Tls12(enc, n) => (enc, n),
            Sealer::Tls13(enc) => {
                enc.seal(self.seq, typ, chunk, 0, out)?;
                self.seq += 1;
                return Ok(());
            }
        };
        // Header first (its length is known: nonce_explicit + plaintext + tag), then the fragment
        // sealed in place right behind it: one copy of the plaintext, no allocation.
        let start = out.len();
        let frag_len = nonce_len + chunk.len() + enc.aead().tag_len();
        out.reserve(5 + frag_len);
        RecordHeader {
            type_: typ,
            version: TLS12,
            length: u16::try_from(frag_len)
                .map_err(|_| Error::RecordOverflow { ciphertext: true })?,
        }
        .encode(out);
        if let Err(e) = enc.seal(self.seq, typ, TLS12, chunk, out) {
            out.truncate(start);
            return Err(e);
        }
        debug_assert_eq!(out.len(), start + 5 + frag_len);
        self.seq += 1;
        Ok(())
    }
}

/// One record taken off the input: its type, where its plaintext is in the input buffer, and how
/// many input bytes it used.
pub(crate) struct InboundRecord {
    pub typ: ContentType,
    pub plaintext: Range<usize>,
    pub consumed: usize,
    /// It came in the clear although TLS 1.3 keys were set (change_cipher_spec, or an alert).
    pub unprotected: bool,
    /// 0-RTT data the server does not take, dropped unread (RFC 8446 4.2.10): nothing to handle.
    pub skipped: bool,
}

/// Reads records: deframes, removes protection once keys are set, enforces size limits.
pub(crate) struct RecordReader {
    decrypter: Option<Opener>,
    /// How many times keys were installed: a handler that changed them shows it here, so the
    /// connection can refuse handshake data that straddles a key change (RFC 8446 5.1).
    epoch: u64,
    seq: u64,
    /// The version every record must carry, once negotiated; before, any {3, x}.
    version: Option<ProtocolVersion>,
    /// Reused for each record's nonce and additional data.
    scratch: Vec<u8>,
    /// TLS 1.3 server that rejected the client's 0-RTT data: how much more of it may be
    /// skipped (see `skip_early_data`); `None` once the first record opens, or if none was
    /// offered.
    early_skip: Option<usize>,
}

impl RecordReader {
    pub(crate) fn new() -> Self {
        RecordReader {
            decrypter: None,
            epoch: 0,
            seq: 0,
            version: None,
            scratch: Vec::new(),
            early_skip: None,
        }
    }

    /// RFC 8446 4.2.10: the client sent 0-RTT data that we do not take. Its records (outer type
    /// application_data) are dropped unread, up to `budget` bytes of the plaintext they could
    /// hold: in the clear after a HelloRetryRequest, or those that do not open under the
    /// handshake key. The first record that opens ends the skipping; more than `budget` is
    /// `PeerMisbehaved::TooMuchEarlyData`.
    pub(crate) fn skip_early_data(&mut self, budget: usize) {
        self.early_skip = Some(budget);
    }

    /// The client's 0-RTT data, if any, is over: from here on a record that does not open is
    /// an error, not skipped (its second ClientHello came after our HelloRetryRequest, RFC 8446
    /// 4.2.10: no early data follows it).
    pub(crate) fn end_early_data_skip(&mut self) {
        self.early_skip = None;
    }

    /// Drops a 0-RTT record of `len` bytes, if the skipping budget allows.
    fn skip(&mut self, len: usize, consumed: usize) -> Result<Option<InboundRecord>, Error> {
        // The most plaintext such a record can carry: all but the AEAD tag and content type.
        let plain = len.saturating_sub(crate::crypto::cipher13::RECORD_OVERHEAD);
        let left = self.early_skip.unwrap_or(0);
        self.early_skip = Some(
            left.checked_sub(plain)
                .ok_or(Error::PeerMisbehaved(PeerMisbehaved::TooMuchEarlyData))?,
        );
        Ok(Some(InboundRecord {
            typ: ContentType::ApplicationData,
            plaintext: consumed..consumed,
            consumed,
            unprotected: false,
            skipped: true,
        }))
    }

    /// From here on every record must carry `version`: called when the ServerHello that fixes
    /// it is sent (server) or received (client).
    pub(crate) fn set_version(&mut self, version: ProtocolVersion) {
        self.version = Some(version);
    }

    /// Starts removing protection (after the peer's ChangeCipherSpec).
    pub(crate) fn set_decrypter(&mut self, dec: RecordDecrypter, explicit_nonce_len: usize) {
        self.decrypter = Some(Opener::Tls12(dec, explicit_nonce_len));
        self.seq = 0;
        self.epoch += 1;
    }

    /// Starts opening records with a TLS 1.3 traffic key (each epoch): sequence numbers start
    /// again at 0.
    pub(crate) fn set_decrypter13(&mut self, dec: Tls13Decrypter) {
        self.decrypter = Some(Opener::Tls13(dec));
        self.seq = 0;
        self.epoch += 1;
    }

    /// Counts key installations (see the field).
    pub(crate) fn epoch(&self) -> u64 {
        self.epoch
    }

    /// Whether records are opened with TLS 1.3 keys.
    pub(crate) fn is_tls13(&self) -> bool {
        matches!(self.decrypter, Some(Opener::Tls13(_)))
    }

    /// Takes the first record off `buf`, opening it in place. `Ok(None)`: not all of it is here yet.
    pub(crate) fn read(&mut self, buf: &mut [u8]) -> Result<Option<InboundRecord>, Error> {
        // The common "nothing more yet" case without building a decode error.
        if buf.len() < RECORD_HEADER_LEN {
            return Ok(None);
        }
        let mut r = Reader::new(buf);
        let (typ, version, len) = match RecordHeader::decode(&mut r) {
            // The content types only TLS 1.3 names (invalid, heartbeat) are unknown to TLS 1.2.
            Ok(h) if !is_tls12_content_type(h.type_) => {
                return Err(unknown_content_type(buf, u64::from(h.type_.value())))
            }
            Ok(h) => (h.type_, h.version, h.length as usize),
            Err(e) => {
                return match e.kind {
                    DecodeErrorKind::Truncated { .. } => Ok(None),
                    DecodeErrorKind::UnknownValue { value } => {
                        Err(unknown_content_type(buf, value))
                    }
                    _ => Err(Error::Decode(e)),
                };
            }
        };
        // RFC 5246 appendix E.1: a first ClientHello's record may say {3, 0} or any {3, x}; the
        // hello messages negotiate the version, and every record after the ServerHello carries
        // it (6.2.1). Checked on the header, before the body is waited for. protocol_version, as
        // OpenSSL answers a wrong record version; a major other than 3 is no TLS at all.
        let version_ok = match &self.version {
            None => version.major == 3,
            Some(v) => version == *v,
        };
        if !version_ok {
            let number = u16::from_be_bytes([version.major, version.minor]);
            return Err(Error::PeerMisbehaved(PeerMisbehaved::WrongRecordVersion(
                number,
            )));
        }
        let limit = match self.decrypter {
            Some(Opener::Tls13(_)) => crate::crypto::cipher13::MAX_CIPHERTEXT,
            _ => MAX_CIPHERTEXT,
        };
        if len > limit {
            return Err(Error::RecordOverflow {
                ciphertext: self.decrypter.is_some(),
            });
        }
        // The rest of the record is not here yet: wait (no decode error built for that).
        if r.remaining() < len {
            return Ok(None);
        }
        // All of it is here: the record itself is framed by the generated TLSPlaintext.
        let mut r = Reader::new(buf);
        TLSPlaintext::decode(&mut r)?;
        let consumed = r.offset();
        let start = consumed - len;
        let (dec, nonce_len) = match &self.decrypter {
            Some(Opener::Tls12(dec, n)) => (dec, *n),
            Some(Opener::Tls13(_)) => return self.open13(typ, len, consumed, buf),
            None if self.early_skip.is_some() && typ == ContentType::ApplicationData => {
                return self.skip(len, consumed);
            }
            None => {
                if len > MAX_PLAINTEXT {
                    return Err(Error::RecordOverflow { ciphertext: false });
                }
                return Ok(Some(InboundRecord {
                    typ,
                    plaintext: start..consumed,
                    consumed,
                    unprotected: false,
                    skipped: false,
                }));
            }
        };
        if self.seq >= SEQ_LIMIT {
            return Err(Error::PeerMisbehaved(PeerMisbehaved::SequenceExhausted));
        }
        let fragment = buf.get_mut(start..consumed).ok_or(Error::BadRecordMac)?;
        // The record's own version is authenticated (RFC 5246 6.2.3.3), so a changed header fails.
        let plain_len = dec
            .open_with_scratch(self.seq, typ, version, fragment, &mut self.scratch)?
            .len();
        self.seq += 1;
        if plain_len > MAX_PLAINTEXT {
            return Err(Error::RecordOverflow { ciphertext: false });
        }
        let plain_start = start + nonce_len;
        Ok(Some(InboundRecord {
            typ,
            plaintext: plain_start..plain_start + plain_len,
            consumed,
            unprotected: false,
            skipped: false,
        }))
    }

    /// A whole record of `len` bytes at the front of `buf` (`consumed` with its header), read
    /// with TLS 1.3 keys. RFC 8446 5: change_cipher_spec comes unprotected (the connection
    /// decides whether it may), as may an alert a peer sends before it has our keys (a client
    /// that fails on our ServerHello); everything else is application_data outside and the real
    /// type inside.
    fn open13(
        &mut self,
        typ: ContentType,
        len: usize,
        consumed: usize,
        buf: &mut [u8],
    ) -> Result<Option<InboundRecord>, Error> {
        let start = consumed - len;
        match typ {
            ContentType::ChangeCipherSpec | ContentType::Alert => {
                if len > MAX_PLAINTEXT {
                    return Err(Error::RecordOverflow { ciphertext: false });
                }
                return Ok(Some(InboundRecord {
                    typ,
                    plaintext: start..consumed,
                    consumed,
                    unprotected: true,
                    skipped: false,
                }));
            }
            ContentType::ApplicationData => {}
            _ => {
                return Err(Error::UnexpectedMessage {
                    state: "record layer",
                    got: format!("unprotected record of content type {}", typ.value()),
                    expected: "application_data (a protected TLS 1.3 record)".into(),
                })
            }
        }
        let Some(Opener::Tls13(dec)) = &self.decrypter else {
            return Err(Error::Internal(
                "TLS 1.3 record without TLS 1.3 keys".into(),
            ));
        };
        if self.seq >= SEQ_LIMIT {
            return Err(Error::PeerMisbehaved(PeerMisbehaved::SequenceExhausted));
        }
        let record = buf.get_mut(..consumed).ok_or(Error::BadRecordMac)?;
        let opened = match dec.open(self.seq, record, &mut self.scratch) {
            Ok(opened) => opened,
            // Trial decryption (4.2.10): 0-RTT data under a key we do not have.
            Err(_) if self.early_skip.is_some() => return self.skip(len, consumed),
            Err(e) => return Err(e),
        };
        self.early_skip = None;
        self.seq += 1;
        Ok(Some(InboundRecord {
            typ: opened.typ,
            plaintext: opened.content,
            consumed,
            unprotected: false,
            skipped: false,
        }))
    }
}

/// Whether TLS 1.2 (RFC 5246 section 6.2.1) names a content type.
fn is_tls12_content_type(t: ContentType) -> bool {
    matches!(
        t,
        ContentType::ChangeCipherSpec
            | ContentType::Alert
            | ContentType::Handshake
            | ContentType::ApplicationData
    )
}

/// The error for a record whose content type TLS 1.2 does not name.
fn unknown_content_type(buf: &[u8], value: u64) -> Error {
    // Bytes that are not TLS at all (an HTTP request, an SSL 2.0 hello): the version is checked
    // first, as for any record, so they get protocol_version.
    if !major_is_3(buf) {
        return Error::PeerMisbehaved(PeerMisbehaved::WrongRecordVersion(wire_version(buf)));
    }
    // RFC 5246 section 6: an unknown record type is an unexpected message.
    Error::UnexpectedMessage {
        state: "record layer",
        got: format!("record of content type {value}"),
        expected: "handshake, change_cipher_spec, alert or application_data".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::suites::AeadAlg;

    fn keys() -> (RecordEncrypter, RecordDecrypter) {
        let (key, iv) = ([7u8; 16], [9u8; 4]);
        (
            RecordEncrypter::new(AeadAlg::Aes128Gcm, &key, &iv).unwrap(),
            RecordDecrypter::new(AeadAlg::Aes128Gcm, &key, &iv).unwrap(),
        )
    }

    #[test]
    fn protected_records_round_trip_and_count() {
        let (enc, dec) = keys();
        let mut w = RecordWriter::new();
        w.set_encrypter(enc, 8);
        let mut out = Vec::new();
        w.write(ContentType::ApplicationData, &[1u8; 20_000], &mut out)
            .unwrap();
        let mut r = RecordReader::new();
        r.set_decrypter(dec, 8);
        let mut pos = 0;
        let mut got = Vec::new();
        while let Some(rec) = r.read(&mut out[pos..]).unwrap() {
            assert_eq!(rec.typ, ContentType::ApplicationData);
            got.extend_from_slice(&out[pos + rec.plaintext.start..pos + rec.plaintext.end]);
            pos += rec.consumed;
        }
        assert_eq!(got, vec![1u8; 20_000]);
        assert_eq!((w.seq, r.seq), (2, 2), "two records: 16384 + 3616 bytes");
    }

    #[test]
    fn sequence_numbers_never_wrap() {
        let (enc, dec) = keys();
        let mut w = RecordWriter::new();
        w.set_encrypter(enc, 8);
        w.seq = SEQ_LIMIT - 1;
        let mut out = Vec::new();
        w.write(ContentType::ApplicationData, b"last", &mut out)
            .unwrap();
        let err = w
            .write(
                ContentType::ApplicationData,
                b"one too many",
                &mut Vec::new(),
            )
            .unwrap_err();
        assert_eq!(
            err,
            Error::PeerMisbehaved(PeerMisbehaved::SequenceExhausted)
        );
        let mut r = RecordReader::new();
        r.set_decrypter(dec, 8);
        r.seq = SEQ_LIMIT;
        assert_eq!(
            r.read(&mut out).err(),
            Some(Error::PeerMisbehaved(PeerMisbehaved::SequenceExhausted))
        );
    }

    #[test]
    fn oversized_records_are_record_overflow() {
        // A plaintext record announcing 2^14 + 1 bytes, all present.
        let mut rec = vec![23, 3, 3, 0x40, 0x01];
        rec.resize(5 + (1 << 14) + 1, 0);
        assert_eq!(
            RecordReader::new().read(&mut rec).err(),
            Some(Error::RecordOverflow { ciphertext: false })
        );
        // A protected record announcing more than 2^14 + 2048 is refused before it arrives.
        let (_, dec) = keys();
        let mut r = RecordReader::new();
        r.set_decrypter(dec, 8);
        let mut head = vec![23, 3, 3, 0x48, 0x01];
        assert_eq!(
            r.read(&mut head).err(),
            Some(Error::RecordOverflow { ciphertext: true })
        );
        // A header alone is just incomplete.
        assert!(RecordReader::new()
            .read(&mut [22, 3, 3, 0, 10])
            .unwrap()
            .is_none());
        assert!(RecordReader::new().read(&mut [22, 3]).unwrap().is_none());
    }

    #[test]
    fn a_tls13_key_is_due_for_update_one_record_before_its_limit() {
        let aes = || Tls13Encrypter::new(AeadAlg::Aes128Gcm, &[1; 16], &[2; 12]).unwrap();
        let mut w = RecordWriter::new();
        assert!(!w.key_update_due(), "no keys");
        w.set_encrypter(keys().0, 8);
        w.seq = SEQ_LIMIT - 1;
        assert!(!w.key_update_due(), "TLS 1.2 has no KeyUpdate");
        w.set_encrypter13(aes(), &mut Vec::new()).unwrap();
        let limit = aes().key_update_limit();
        w.seq = limit - 2;
        assert!(!w.key_update_due());
        w.seq = limit - 1;
        assert!(w.key_update_due());
        w.set_encrypter13(aes(), &mut Vec::new()).unwrap();
        assert!(!w.key_update_due(), "a new key starts at 0");
        let chacha = Tls13Encrypter::new(AeadAlg::ChaCha20Poly1305, &[1; 32], &[2; 12]).unwrap();
        w.set_encrypter13(chacha, &mut Vec::new()).unwrap();
        w.seq = limit;
        assert!(
            !w.key_update_due(),
            "ChaCha20-Poly1305 goes to the sequence limit"
        );
    }

    #[test]
    fn small_record_size_limit_fragments_output() {
        let mut w = RecordWriter::new();
        w.set_max_fragment(100);
        let mut out = Vec::new();
        w.write(ContentType::Handshake, &[5u8; 250], &mut out)
            .unwrap();
        assert_eq!(out.len(), 250 + 3 * 5, "three records");
    }
}
