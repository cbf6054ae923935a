//! TLS 1.3 record protection (RFC 8446 sections 5.2 to 5.5), for the TLS 1.3 engine (issue 13);
//! the TLS 1.2 state machines use [`super::cipher`].
//!
//! A protected record is a `TLSCiphertext` (outer type application_data, version 0x0303) whose
//! `encrypted_record` is the AEAD encryption of a `TLSInnerPlaintext`: the content, the real
//! content type, then zero padding. The per-record nonce is the 64-bit sequence number,
//! left-padded with zeros to the 12-byte IV and XORed with it (section 5.3); the additional data is
//! the record header (section 5.2). The header is encoded by the generated `RecordHeader` (with
//! the fixed values of `wire::tls13::TLSCiphertext`), the inner plaintext by the generated
//! `wire::tls13::TLSInnerPlaintext`, whose decoder finds the content type by scanning back over
//! the padding; a received record is framed by the generated `wire::tls13::TLSCiphertext`. This
//! module only computes.
//!
//! The key and IV come from the key schedule ([`super::key_schedule`]): a traffic secret's
//! `traffic_keys(aead)` gives the `key()` and `iv()` that [`Tls13Encrypter::new`] and
//! [`Tls13Decrypter::new`] take.
//!
//! The sequence number is the caller's, as in TLS 1.2: the record layer counts the records of
//! each key and starts again at 0 whenever it installs a new one (section 5.3).

use crate::codec::{Codec, DecodeErrorKind, Encode};
use crate::crypto::cipher::{encode_array, seal_tail};
use crate::crypto::key_schedule::IV_LEN;
use crate::crypto::suites::AeadAlg;
use crate::crypto::SEQ_LIMIT;
use crate::error::PeerMisbehaved;
use crate::wire::tls13::{TLSCiphertext, TLSInnerPlaintext};
use crate::wire::{ContentType, ProtocolVersion, RecordHeader};
use crate::Error;
use ring::aead;
use std::fmt;
use std::ops::Range;

/// The longest `TLSCiphertext.encrypted_record` a peer may send: 2^14 + 256 bytes (RFC 8446
/// section 5.2). A longer one is `record_overflow`; a record layer can check the header against
/// this before it buffers the rest of the record.
pub const MAX_CIPHERTEXT: usize = (1 << 14) + 256;

/// The longest `TLSInnerPlaintext` (content, content type and padding): 2^14 + 1 bytes (RFC 8446
/// section 5.4), and the largest record_size_limit that means anything in TLS 1.3 (RFC 8449
/// section 4).
pub const MAX_INNER_PLAINTEXT: usize = (1 << 14) + 1;

/// What protection adds to a record's content at the least: the AEAD tag (16 bytes for every
/// TLS 1.3 suite) and the content type byte.
pub const RECORD_OVERHEAD: usize = 16 + 1;

/// RFC 8446 section 5.5: "up to 2^24.5 full-size records (about 24 million)" per AES-GCM key;
/// 2^24.5 = 23,726,566.4.
const AES_GCM_RECORD_LIMIT: u64 = 23_726_566;

/// The smallest record_size_limit RFC 8449 section 4 allows.
const MIN_RECORD_SIZE_LIMIT: u16 = 64;

/// The length of a record header (`RecordHeader`: type, version, length).
const HEADER_LEN: usize = 5;

/// `legacy_record_version` of every protected TLS 1.3 record (RFC 8446 section 5.2).
const LEGACY_RECORD_VERSION: ProtocolVersion = ProtocolVersion { major: 3, minor: 3 };

/// What sealing and opening share: the key, the algorithm, the IV and the size limit.
///
/// The IV is wiped on drop. The key cannot be: ring's `LessSafeKey` keeps its expanded key
/// schedule in memory it does not let us clear (as for TLS 1.2).
struct Protection {
    key: aead::LessSafeKey,
    aead: AeadAlg,
    iv: [u8; IV_LEN],
    /// The longest `TLSInnerPlaintext`: [`MAX_INNER_PLAINTEXT`], or a record_size_limit.
    max_inner: usize,
}

impl Drop for Protection {
    fn drop(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.iv);
    }
}

impl Protection {
    fn new(aead: AeadAlg, key: &[u8], iv: &[u8]) -> Result<Self, Error> {
        let fixed = <[u8; IV_LEN]>::try_from(iv);
        let (true, Ok(iv)) = (key.len() == aead.key_len(), fixed) else {
            return Err(Error::Internal(format!(
                "TLS 1.3 {aead:?} needs a {}-byte key and a {IV_LEN}-byte IV, got {} and {}",
                aead.key_len(),
                key.len(),
                iv.len()
            )));
        };
        let unbound = aead::UnboundKey::new(aead.ring_algorithm(), key)
            .map_err(|_| Error::Internal(format!("ring rejected the {aead:?} key")))?;
        Ok(Protection {
            key: aead::LessSafeKey::new(unbound),
            aead,
            iv,
            max_inner: MAX_INNER_PLAINTEXT,
        })
    }

    /// RFC 8449 in its TLS 1.3 form: the limit is the longest `TLSInnerPlaintext`, content type
    /// and padding included, so content is at most `limit - 1` bytes. Above 2^14 + 1 the
    /// protocol's own limit applies.
    fn set_record_size_limit(&mut self, limit: u16) -> Result<(), Error> {
        if limit < MIN_RECORD_SIZE_LIMIT {
            return Err(Error::Internal(format!(
                "record_size_limit {limit} is under RFC 8449's minimum of 64 (the handshake \
                 refuses it with illegal_parameter)"
            )));
        }
        self.max_inner = usize::from(limit).min(MAX_INNER_PLAINTEXT);
        Ok(())
    }

    /// The per-record nonce (RFC 8446 section 5.3): the sequence number, big-endian, left-padded
    /// with zeros to the IV length, XORed with the IV.
    fn nonce(&self, seq: u64) -> aead::Nonce {
        let mut n = self.iv;
        // Only the last 8 bytes meet the sequence number; its padding is zeros.
        n.iter_mut()
            .skip(IV_LEN - 8)
            .zip(seq.to_be_bytes())
            .for_each(|(n, s)| *n ^= s);
        aead::Nonce::assume_unique_for_key(n)
    }

    /// The header of a protected record whose `encrypted_record` is `len` bytes, encoded by the
    /// generated `RecordHeader` with the fixed values of `tls13::TLSCiphertext`: it is both what
    /// goes on the wire and the additional data (RFC 8446 section 5.2).
    fn header(len: usize, scratch: &mut Vec<u8>) -> Result<[u8; HEADER_LEN], Error> {
        let length = u16::try_from(len).map_err(|_| Error::RecordOverflow { ciphertext: true })?;
        encode_array::<HEADER_LEN, _>(
            &RecordHeader {
                type_: ContentType::ApplicationData,
                version: LEGACY_RECORD_VERSION,
                length,
            },
            scratch,
        )
    }
}

/// Refuses a sequence number at or past the limit (the record layer stops there, as for TLS 1.2).
fn check_seq(seq: u64) -> Result<(), Error> {
    if seq >= SEQ_LIMIT {
        return Err(Error::PeerMisbehaved(PeerMisbehaved::SequenceExhausted));
    }
    Ok(())
}

/// Protects the TLS 1.3 records one side sends, with one traffic key (RFC 8446 section 7.3).
pub struct Tls13Encrypter(Protection);

impl Tls13Encrypter {
    /// A sealer for `aead` with the sender's write key and 12-byte write IV, as the key schedule
    /// derives them ([`TrafficKeys`](super::key_schedule::TrafficKeys), RFC 8446 section 7.3).
    pub fn new(aead: AeadAlg, key: &[u8], iv: &[u8]) -> Result<Self, Error> {
        Protection::new(aead, key, iv).map(Tls13Encrypter)
    }

    /// The algorithm in use.
    pub fn aead(&self) -> AeadAlg {
        self.0.aead
    }

    /// Applies the peer's record_size_limit (RFC 8449; at least 64): from now on a sealed
    /// `TLSInnerPlaintext` (content, content type, padding) is at most `limit` bytes, or 2^14 + 1
    /// if that is less.
    pub fn set_record_size_limit(&mut self, limit: u16) -> Result<(), Error> {
        self.0.set_record_size_limit(limit)
    }

    /// The most content one record can carry with `padding` bytes of padding: the size limit
    /// less the content type and the padding (0 if the padding alone fills it).
    pub fn max_content(&self, padding: usize) -> usize {
        self.0.max_inner.saturating_sub(1).saturating_sub(padding)
    }

    /// How many records this key should protect at most (RFC 8446 section 5.5): 2^24.5 for
    /// AES-GCM, after which the sender should update its keys (KeyUpdate, section 4.6.3) before
    /// sealing record number `key_update_limit()`; for ChaCha20-Poly1305 the sequence number limit
    /// comes first. [`Tls13Encrypter::seal`] does not enforce it (the RFC says SHOULD); it
    /// refuses only sequence numbers that would wrap.
    pub fn key_update_limit(&self) -> u64 {
        match self.0.aead {
            AeadAlg::Aes128Gcm | AeadAlg::Aes256Gcm => AES_GCM_RECORD_LIMIT,
            AeadAlg::ChaCha20Poly1305 => SEQ_LIMIT,
        }
    }

    /// Appends to `out` the whole protected record number `seq` (header and `encrypted_record`)
    /// carrying `content` of type `typ`, followed inside the encryption by `padding` zero bytes
    /// (RFC 8446 section 5.4).
    ///
    /// Our own mistakes are [`Error::Internal`]: content plus type plus padding over the limit
    /// (see [`Tls13Encrypter::max_content`]; the caller fragments), the content type `invalid`
    /// (the peer would read the content's last non-zero byte as the type), or empty handshake or
    /// alert content (section 5.1 forbids sending those; empty application data is allowed). A
    /// sequence number at the limit is `SequenceExhausted`. On error `out` is left as it was, so
    /// no plaintext can reach the wire.
    pub fn seal(
        &self,
        seq: u64,
        typ: ContentType,
        content: &[u8],
        padding: usize,
        out: &mut Vec<u8>,
    ) -> Result<(), Error> {
        check_seq(seq)?;
        let p = &self.0;
        if content.len() > self.max_content(padding) || padding >= p.max_inner {
            return Err(Error::Internal(format!(
                "{} bytes of content and {padding} of padding exceed the {}-byte record limit",
                content.len(),
                p.max_inner
            )));
        }
        match typ {
            ContentType::Invalid => {
                return Err(Error::Internal(
                    "a record's content type cannot be invalid(0)".into(),
                ))
            }
            ContentType::Handshake | ContentType::Alert if content.is_empty() => {
                return Err(Error::Internal(format!(
                    "an empty {typ} record must not be sent (RFC 8446 section 5.1)"
                )))
            }
            _ => {}
        }
        // Within the limit checked above: at most 2^14 + 1 + tag.
        let ciphertext_len = content.len() + 1 + padding + p.aead.tag_len();
        let header = Protection::header(ciphertext_len, out)?;
        let start = out.len();
        out.reserve(HEADER_LEN + ciphertext_len);
        out.extend_from_slice(&header);
        TLSInnerPlaintext {
            content,
            type_: typ,
            zeros: padding,
        }
        .encode(out);
        seal_tail(
            &p.key,
            p.nonce(seq),
            aead::Aad::from(header),
            out,
            start,
            start + HEADER_LEN,
        )
    }
}

impl fmt::Debug for Tls13Encrypter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Tls13Encrypter").field(&self.0.aead).finish()
    }
}

/// An opened TLS 1.3 record: the real content type and where the content is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Opened {
    /// The content type from inside the encryption (`TLSInnerPlaintext.type`). Any type TLS 1.3
    /// names can come back; which ones the current state takes is the caller's decision.
    pub typ: ContentType,
    /// The content, as a range of the record buffer given to [`Tls13Decrypter::open`]; the
    /// padding and tag after it are not part of it.
    pub content: Range<usize>,
}

/// Removes the protection from the TLS 1.3 records the peer sends, with one traffic key.
pub struct Tls13Decrypter(Protection);

impl Tls13Decrypter {
    /// An opener for `aead` with the peer's write key and 12-byte write IV
    /// ([`TrafficKeys`](super::key_schedule::TrafficKeys)).
    pub fn new(aead: AeadAlg, key: &[u8], iv: &[u8]) -> Result<Self, Error> {
        Protection::new(aead, key, iv).map(Tls13Decrypter)
    }

    /// The algorithm in use.
    pub fn aead(&self) -> AeadAlg {
        self.0.aead
    }

    /// Applies the record_size_limit we advertised (RFC 8449; at least 64): from now on a
    /// `TLSInnerPlaintext` over `limit` bytes (or 2^14 + 1) is `record_overflow`.
    pub fn set_record_size_limit(&mut self, limit: u16) -> Result<(), Error> {
        self.0.set_record_size_limit(limit)
    }

    /// Opens protected record number `seq` in place: `record` is the whole record, header
    /// included (as framed by the record layer). Returns the real content type and the content's
    /// range in `record`. Nothing is allocated: the header is encoded in `scratch`, which is left
    /// as it was.
    ///
    /// Errors, in the order checked:
    /// - a sequence number at the limit: `SequenceExhausted`;
    /// - bytes that are not one `TLSCiphertext` (outer type other than application_data,
    ///   version other than 0x0303, length not that of `record`): [`Error::BadRecordMac`] (the
    ///   header is the additional data, so a changed header could never authenticate; a record
    ///   layer routes the unprotected change_cipher_spec, and frames records, before calling this);
    /// - an `encrypted_record` over 2^14 + 256 bytes: `RecordOverflow { ciphertext: true }`;
    /// - one too short to hold a tag, or that fails authentication: [`Error::BadRecordMac`];
    /// - a `TLSInnerPlaintext` over 2^14 + 1 bytes or the record_size_limit:
    ///   `RecordOverflow { ciphertext: false }`;
    /// - one that is all zeros: `Error::Decode` of kind `AllPadding`, unexpected_message (RFC 8446
    ///   section 5.4);
    /// - a content type TLS 1.3 does not name: [`Error::UnexpectedMessage`] (section 5).
    ///
    /// After an error the content of `record` is unspecified (it may be partly decrypted).
    pub fn open(
        &self,
        seq: u64,
        record: &mut [u8],
        scratch: &mut Vec<u8>,
    ) -> Result<Opened, Error> {
        check_seq(seq)?;
        let p = &self.0;
        let ciphertext_len = TLSCiphertext::from_bytes(record)
            .map_err(|_| Error::BadRecordMac)?
            .encrypted_record
            .len();
        // Where encrypted_record starts, as the generated decoder framed it (after the header).
        let body = record.len() - ciphertext_len;
        if ciphertext_len > MAX_CIPHERTEXT {
            return Err(Error::RecordOverflow { ciphertext: true });
        }
        if ciphertext_len < p.aead.tag_len() {
            return Err(Error::BadRecordMac);
        }
        let header = Protection::header(ciphertext_len, scratch)?;
        let in_out = record.get_mut(body..).ok_or(Error::BadRecordMac)?;
        let inner = p
            .key
            .open_in_place(p.nonce(seq), aead::Aad::from(header), in_out)
            .map_err(|_| Error::BadRecordMac)?;
        if inner.len() > p.max_inner {
            return Err(Error::RecordOverflow { ciphertext: false });
        }
        let parsed = TLSInnerPlaintext::from_bytes(inner).map_err(|e| match e.kind {
            DecodeErrorKind::UnknownValue { value } => Error::UnexpectedMessage {
                state: "record layer",
                got: format!("record of content type {value}"),
                expected: "a TLS 1.3 content type".into(),
            },
            _ => Error::from(e),
        })?;
        Ok(Opened {
            typ: parsed.type_,
            content: body..body + parsed.content.len(),
        })
    }
}

impl fmt::Debug for Tls13Decrypter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Tls13Decrypter").field(&self.0.aead).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::record_test_support::{
        bit_flips, check_key_iv_lengths, ring_key, test_iv, test_key, xor_nonce, ALL,
    };
    use crate::test_support::unhex;
    use crate::wire::AlertDescription;

    fn key_iv(aead: AeadAlg) -> (Vec<u8>, Vec<u8>) {
        (test_key(aead), test_iv(IV_LEN))
    }

    fn pair(aead: AeadAlg) -> (Tls13Encrypter, Tls13Decrypter) {
        let (key, iv) = key_iv(aead);
        (
            Tls13Encrypter::new(aead, &key, &iv).unwrap(),
            Tls13Decrypter::new(aead, &key, &iv).unwrap(),
        )
    }

    fn seal(
        enc: &Tls13Encrypter,
        seq: u64,
        typ: ContentType,
        content: &[u8],
        pad: usize,
    ) -> Vec<u8> {
        let mut out = Vec::new();
        enc.seal(seq, typ, content, pad, &mut out).unwrap();
        out
    }

    /// Opens a copy of `record`; the content type and content on success.
    fn open(
        dec: &Tls13Decrypter,
        seq: u64,
        record: &[u8],
    ) -> Result<(ContentType, Vec<u8>), Error> {
        let mut rec = record.to_vec();
        let mut scratch = b"kept".to_vec();
        let got = dec.open(seq, &mut rec, &mut scratch);
        assert_eq!(scratch, b"kept", "scratch is left as it was");
        got.map(|o| (o.typ, rec[o.content].to_vec()))
    }

    /// A record sealed with ring directly around any inner plaintext (even one `seal` refuses to
    /// build), with the nonce and additional data assembled by hand from RFC 8446 5.2 and 5.3.
    fn raw_record(aead: AeadAlg, seq: u64, inner: &[u8]) -> Vec<u8> {
        let (key, iv) = key_iv(aead);
        let nonce = xor_nonce(&iv, seq);
        let len = (inner.len() + 16) as u16;
        let mut record = vec![23, 3, 3];
        record.extend_from_slice(&len.to_be_bytes());
        let header: [u8; 5] = record[..5].try_into().unwrap();
        record.extend_from_slice(inner);
        let tag = ring_key(aead, &key)
            .seal_in_place_separate_tag(
                aead::Nonce::assume_unique_for_key(nonce),
                aead::Aad::from(header),
                &mut record[5..],
            )
            .unwrap();
        record.extend_from_slice(tag.as_ref());
        record
    }

    /// Known answers computed with Python `cryptography` (AESGCM / ChaCha20Poly1305), with the
    /// nonce, additional data and inner plaintext built by hand from RFC 8446 5.2 to 5.4. RFC
    /// 8448 (tests/rfc8448_records.rs) covers AES-128-GCM only; these cover all three, padding,
    /// and the last sequence number sealing allows.
    #[test]
    fn seal_matches_independent_known_answers() {
        let content = b"spectls 1.3 record";
        // (algorithm, key, IV, sequence number, type, content, padding, record)
        type Kat<'a> = (
            AeadAlg,
            Vec<u8>,
            &'a str,
            u64,
            ContentType,
            &'a [u8],
            usize,
            &'a str,
        );
        let cases: [Kat; 3] = [
            (
                AeadAlg::Aes128Gcm,
                (0..16).collect(),
                "808182838485868788898a8b",
                0x0102_0304_0506_0708,
                ContentType::Handshake,
                content,
                3,
                "1703030026b41d3b040d55831bacde581159e24cac27878d3bd49fc2bf3f52640a3c16370c59e8c39b8345",
            ),
            (
                AeadAlg::Aes256Gcm,
                (0x10..0x30).collect(),
                "a0a1a2a3a4a5a6a7a8a9aaab",
                0,
                ContentType::ApplicationData,
                content,
                0,
                "1703030023dabf5a950a436f33ed2338f7f860e0d41e43f4ae91e2e52d8efbf4b66ec6445a0d9eb7",
            ),
            (
                AeadAlg::ChaCha20Poly1305,
                (0x20..0x40).collect(),
                "404142434445464748494a4b",
                SEQ_LIMIT - 1,
                ContentType::Alert,
                &[2, 40],
                17,
                "1703030024887b7cd80c85dbebf71be827e62a513c17b3abb519ecb2b48732419acc293f7e7b16000d",
            ),
        ];
        for (aead, key, iv, seq, typ, content, pad, want) in cases {
            let iv = unhex(iv);
            let enc = Tls13Encrypter::new(aead, &key, &iv).unwrap();
            let mut out = b"before".to_vec();
            enc.seal(seq, typ, content, pad, &mut out).unwrap();
            // seal appends: what was in `out` stays.
            assert_eq!(&out[..6], b"before");
            assert_eq!(out[6..], unhex(want)[..], "{aead:?}");
            let dec = Tls13Decrypter::new(aead, &key, &iv).unwrap();
            assert_eq!(open(&dec, seq, &out[6..]).unwrap(), (typ, content.to_vec()));
        }
    }

    /// What `seal` writes opens with ring directly, with the nonce and header made by hand, to
    /// the inner plaintext RFC 8446 5.4 describes: content, type, zeros.
    #[test]
    fn seal_builds_nonce_header_and_inner_plaintext_as_the_rfc_says() {
        for aead in ALL {
            let (enc, _) = pair(aead);
            for (seq, pad) in [(0u64, 0usize), (1, 1), (0xff, 31), (SEQ_LIMIT - 1, 200)] {
                let record = seal(&enc, seq, ContentType::Handshake, b"msg", pad);
                let mut expected = b"msg".to_vec();
                expected.push(22);
                expected.resize(4 + pad, 0);
                assert_eq!(
                    record,
                    raw_record(aead, seq, &expected),
                    "{aead:?} seq {seq}"
                );
                assert_eq!(record[..5], [23, 3, 3, 0, (4 + pad + 16) as u8]);
            }
        }
    }

    #[test]
    fn padding_is_removed_whatever_its_length() {
        for aead in ALL {
            let (enc, dec) = pair(aead);
            for (seq, pad) in [0usize, 1, 2, 15, 16, 255, 1000, (1 << 14) - 5]
                .into_iter()
                .enumerate()
            {
                let seq = seq as u64;
                let record = seal(&enc, seq, ContentType::ApplicationData, b"data", pad);
                assert_eq!(record.len(), 5 + 4 + 1 + pad + 16);
                let mut rec = record.clone();
                let opened = dec.open(seq, &mut rec, &mut Vec::new()).unwrap();
                assert_eq!(
                    opened,
                    Opened {
                        typ: ContentType::ApplicationData,
                        content: 5..9
                    }
                );
                assert_eq!(&rec[5..9], b"data");
            }
            // Empty application data, padded or not, is a valid record (RFC 8446 5.1).
            for pad in [0, 7] {
                let record = seal(&enc, 50, ContentType::ApplicationData, b"", pad);
                assert_eq!(
                    open(&dec, 50, &record).unwrap(),
                    (ContentType::ApplicationData, vec![])
                );
            }
            // Content ending in zero bytes keeps them: only what follows the type is padding.
            let record = seal(&enc, 51, ContentType::ApplicationData, &[0, 1, 0, 0], 3);
            assert_eq!(
                open(&dec, 51, &record).unwrap(),
                (ContentType::ApplicationData, vec![0, 1, 0, 0])
            );
        }
    }

    /// RFC 8446 5.4: an inner plaintext with no non-zero byte has no content type:
    /// unexpected_message. A record of only a tag holds an empty one: the same.
    #[test]
    fn all_zero_inner_plaintext_is_unexpected_message() {
        for aead in ALL {
            let (_, dec) = pair(aead);
            for len in [0, 1, 2, 100, MAX_INNER_PLAINTEXT] {
                let record = raw_record(aead, 3, &vec![0u8; len]);
                let err = open(&dec, 3, &record).unwrap_err();
                let Error::Decode(e) = &err else {
                    panic!("{err:?}")
                };
                assert_eq!(e.kind, DecodeErrorKind::AllPadding, "{aead:?} {len}");
                assert_eq!(err.alert(), Some(AlertDescription::UnexpectedMessage));
            }
        }
    }

    #[test]
    fn unknown_inner_content_type_is_unexpected_message() {
        let (_, dec) = pair(AeadAlg::Aes128Gcm);
        for typ in [1u8, 19, 25, 0xff] {
            let record = raw_record(AeadAlg::Aes128Gcm, 0, &[b'x', typ, 0, 0]);
            let err = open(&dec, 0, &record).unwrap_err();
            assert_eq!(
                err,
                Error::UnexpectedMessage {
                    state: "record layer",
                    got: format!("record of content type {typ}"),
                    expected: "a TLS 1.3 content type".into(),
                }
            );
            assert_eq!(err.alert(), Some(AlertDescription::UnexpectedMessage));
        }
        // Types TLS 1.3 names come back for the caller to judge, change_cipher_spec included.
        let record = raw_record(AeadAlg::Aes128Gcm, 0, &[1, 20]);
        assert_eq!(
            open(&dec, 0, &record).unwrap(),
            (ContentType::ChangeCipherSpec, vec![1])
        );
    }

    #[test]
    fn tampering_with_any_byte_is_bad_record_mac() {
        for aead in ALL {
            let (enc, dec) = pair(aead);
            let record = seal(&enc, 9, ContentType::ApplicationData, b"attack at dawn", 2);
            for (i, t) in bit_flips(&record) {
                assert_eq!(
                    open(&dec, 9, &t),
                    Err(Error::BadRecordMac),
                    "{aead:?} byte {i}"
                );
            }
            // A header saying TLS 1.3's own types or versions is not a TLSCiphertext either.
            for (at, value) in [(0, 22u8), (0, 21), (1, 2), (2, 1), (2, 4)] {
                let mut t = record.clone();
                t[at] = value;
                assert_eq!(open(&dec, 9, &t), Err(Error::BadRecordMac));
            }
        }
    }

    #[test]
    fn wrong_sequence_number_or_key_is_bad_record_mac() {
        for aead in ALL {
            let (enc, dec) = pair(aead);
            let record = seal(&enc, 5, ContentType::Handshake, b"payload", 0);
            assert_eq!(
                open(&dec, 5, &record).unwrap(),
                (ContentType::Handshake, b"payload".to_vec())
            );
            for seq in [0, 4, 6, 5 | 1 << 32, 5 | 1 << 63] {
                assert_eq!(
                    open(&dec, seq, &record),
                    Err(Error::BadRecordMac),
                    "{aead:?} {seq}"
                );
            }
            let (key, iv) = key_iv(aead);
            let other_key = Tls13Decrypter::new(aead, &vec![0x55; aead.key_len()], &iv).unwrap();
            assert_eq!(open(&other_key, 5, &record), Err(Error::BadRecordMac));
            let other_iv = Tls13Decrypter::new(aead, &key, &[0x11; IV_LEN]).unwrap();
            assert_eq!(open(&other_iv, 5, &record), Err(Error::BadRecordMac));
        }
    }

    #[test]
    fn short_or_misframed_records_are_bad_record_mac_not_panics() {
        for aead in ALL {
            let (enc, dec) = pair(aead);
            let record = seal(&enc, 0, ContentType::ApplicationData, b"abc", 0);
            // Every prefix: a header cut short, or a length that does not match the bytes.
            for len in 0..record.len() {
                assert_eq!(
                    open(&dec, 0, &record[..len]),
                    Err(Error::BadRecordMac),
                    "{len}"
                );
            }
            let mut longer = record.clone();
            longer.push(0);
            assert_eq!(open(&dec, 0, &longer), Err(Error::BadRecordMac));
            // Well framed, but shorter than a tag.
            for body in 0..16u8 {
                let mut r = vec![23, 3, 3, 0, body];
                r.resize(5 + body as usize, 0xaa);
                assert_eq!(open(&dec, 0, &r), Err(Error::BadRecordMac));
            }
        }
    }

    /// RFC 8446 5.2: an encrypted_record over 2^14 + 256 bytes is record_overflow, before any
    /// decryption; at 2^14 + 256 it is opened (and here fails to authenticate).
    #[test]
    fn over_long_ciphertext_is_record_overflow() {
        let (_, dec) = pair(AeadAlg::Aes256Gcm);
        for (len, want) in [
            (
                MAX_CIPHERTEXT + 1,
                Error::RecordOverflow { ciphertext: true },
            ),
            (
                u16::MAX as usize,
                Error::RecordOverflow { ciphertext: true },
            ),
            (MAX_CIPHERTEXT, Error::BadRecordMac),
        ] {
            let mut r = vec![23, 3, 3];
            r.extend_from_slice(&(len as u16).to_be_bytes());
            r.resize(5 + len, 0);
            assert_eq!(open(&dec, 0, &r), Err(want), "{len}");
        }
        assert_eq!(
            Error::RecordOverflow { ciphertext: true }.alert(),
            Some(AlertDescription::RecordOverflow)
        );
    }

    /// RFC 8446 5.2 and 5.4: an inner plaintext over 2^14 + 1 bytes is record_overflow, padding
    /// counted; exactly 2^14 + 1 opens.
    #[test]
    fn over_long_inner_plaintext_is_record_overflow() {
        for aead in ALL {
            let (_, dec) = pair(aead);
            let mut inner = vec![7u8; 1 << 14];
            inner.push(23);
            let at_limit = raw_record(aead, 1, &inner);
            let (typ, content) = open(&dec, 1, &at_limit).unwrap();
            assert_eq!(
                (typ, content.len()),
                (ContentType::ApplicationData, 1 << 14)
            );
            // Content 2^14 - 10, type and 10 zeros: at the limit too.
            let mut padded = vec![7u8; (1 << 14) - 10];
            padded.push(22);
            padded.resize(MAX_INNER_PLAINTEXT, 0);
            let (typ, content) = open(&dec, 2, &raw_record(aead, 2, &padded)).unwrap();
            assert_eq!(
                (typ, content.len()),
                (ContentType::Handshake, (1 << 14) - 10)
            );
            // One more byte, of content or of padding.
            let mut over = vec![7u8; (1 << 14) + 1];
            over.push(23);
            padded.push(0);
            for (seq, inner) in [(3, over), (4, padded)] {
                assert_eq!(
                    open(&dec, seq, &raw_record(aead, seq, &inner)),
                    Err(Error::RecordOverflow { ciphertext: false }),
                    "{aead:?}"
                );
            }
        }
    }

    #[test]
    fn sealing_over_the_limit_is_refused_and_out_untouched() {
        for aead in ALL {
            let (enc, dec) = pair(aead);
            assert_eq!(enc.max_content(0), 1 << 14);
            assert_eq!(enc.max_content(100), (1 << 14) - 100);
            assert_eq!(enc.max_content(1 << 14), 0);
            assert_eq!(enc.max_content(usize::MAX), 0);
            let full = vec![1u8; 1 << 14];
            let record = seal(&enc, 0, ContentType::ApplicationData, &full, 0);
            assert_eq!(record.len(), 5 + (1 << 14) + 1 + 16);
            assert_eq!(open(&dec, 0, &record).unwrap().1, full);
            let empty_full = seal(&enc, 1, ContentType::ApplicationData, b"", 1 << 14);
            assert_eq!(open(&dec, 1, &empty_full).unwrap().1, b"");
            for (content, pad) in [
                ((1 << 14) + 1, 0),
                (1 << 14, 1),
                (0, (1 << 14) + 1),
                (10, usize::MAX),
                (0, usize::MAX),
            ] {
                let mut out = b"keep".to_vec();
                let r = enc.seal(
                    2,
                    ContentType::ApplicationData,
                    &vec![1u8; content],
                    pad,
                    &mut out,
                );
                assert!(matches!(r, Err(Error::Internal(_))), "{content} + {pad}");
                assert_eq!(out, b"keep");
            }
        }
    }

    #[test]
    fn sealing_invalid_type_or_empty_handshake_or_alert_is_refused() {
        let (enc, _) = pair(AeadAlg::ChaCha20Poly1305);
        for (typ, content) in [
            (ContentType::Invalid, &b"x"[..]),
            (ContentType::Invalid, b""),
            (ContentType::Handshake, b""),
            (ContentType::Alert, b""),
        ] {
            let mut out = b"keep".to_vec();
            let r = enc.seal(0, typ, content, 5, &mut out);
            assert!(matches!(r, Err(Error::Internal(_))), "{typ:?}");
            assert_eq!(out, b"keep");
        }
    }

    /// RFC 8449 in its TLS 1.3 form: the limit counts content type and padding.
    #[test]
    fn record_size_limit_counts_type_and_padding() {
        for aead in ALL {
            let (mut enc, mut dec) = pair(aead);
            enc.set_record_size_limit(100).unwrap();
            dec.set_record_size_limit(100).unwrap();
            assert_eq!(enc.max_content(0), 99);
            assert_eq!(enc.max_content(9), 90);
            let record = seal(&enc, 0, ContentType::ApplicationData, &[3; 99], 0);
            assert_eq!(open(&dec, 0, &record).unwrap().1, [3; 99]);
            let record = seal(&enc, 1, ContentType::ApplicationData, &[3; 90], 9);
            assert_eq!(open(&dec, 1, &record).unwrap().1, [3; 90]);
            for (content, pad) in [(100, 0), (91, 9), (0, 100)] {
                let mut out = Vec::new();
                let r = enc.seal(
                    2,
                    ContentType::ApplicationData,
                    &vec![3; content],
                    pad,
                    &mut out,
                );
                assert!(matches!(r, Err(Error::Internal(_))));
                assert!(out.is_empty());
            }
            // What a peer sends over our limit: record_overflow, padding counted.
            let (big, _) = pair(aead);
            for (content, pad) in [(100, 0), (91, 9), (0, 100)] {
                let record = seal(
                    &big,
                    3,
                    ContentType::ApplicationData,
                    &vec![3; content],
                    pad,
                );
                assert_eq!(
                    open(&dec, 3, &record),
                    Err(Error::RecordOverflow { ciphertext: false })
                );
            }
            // The smallest limit RFC 8449 allows; below it is refused.
            enc.set_record_size_limit(64).unwrap();
            assert_eq!(enc.max_content(0), 63);
            for limit in [0, 1, 63] {
                assert!(matches!(
                    enc.set_record_size_limit(limit),
                    Err(Error::Internal(_))
                ));
                assert!(matches!(
                    dec.set_record_size_limit(limit),
                    Err(Error::Internal(_))
                ));
            }
            assert_eq!(enc.max_content(0), 63, "a refused limit changes nothing");
            // Over 2^14 + 1 (a TLS 1.2 peer's 2^14 + 1 or more): the protocol's limit.
            for limit in [(1 << 14) + 1, (1 << 14) + 2, u16::MAX] {
                enc.set_record_size_limit(limit).unwrap();
                assert_eq!(enc.max_content(0), 1 << 14);
            }
            enc.set_record_size_limit(1 << 14).unwrap();
            assert_eq!(enc.max_content(0), (1 << 14) - 1);
        }
    }

    /// Sequence numbers must not wrap (RFC 8446 5.3): the last one either side uses is
    /// SEQ_LIMIT - 1, as in the TLS 1.2 record layer.
    #[test]
    fn sequence_number_limit() {
        for aead in ALL {
            let (enc, dec) = pair(aead);
            let last = seal(&enc, SEQ_LIMIT - 1, ContentType::ApplicationData, b"end", 0);
            assert_eq!(open(&dec, SEQ_LIMIT - 1, &last).unwrap().1, b"end");
            for seq in [SEQ_LIMIT, u64::MAX] {
                let mut out = Vec::new();
                assert_eq!(
                    enc.seal(seq, ContentType::ApplicationData, b"end", 0, &mut out),
                    Err(Error::PeerMisbehaved(PeerMisbehaved::SequenceExhausted))
                );
                assert!(out.is_empty());
                assert_eq!(
                    open(&dec, seq, &last),
                    Err(Error::PeerMisbehaved(PeerMisbehaved::SequenceExhausted))
                );
            }
        }
    }

    #[test]
    fn bad_key_or_iv_length_is_an_internal_error() {
        for aead in ALL {
            let key = vec![0u8; aead.key_len()];
            let iv = [0u8; IV_LEN];
            // TLS 1.2's IV lengths (4 for GCM) are not TLS 1.3's.
            check_key_iv_lengths(
                &key,
                &iv,
                &[(&key, &iv[..4]), (&key, &[0u8; 13])],
                |k, i| Tls13Encrypter::new(aead, k, i),
                |k, i| Tls13Decrypter::new(aead, k, i),
            );
        }
    }

    #[test]
    fn key_update_limit_follows_rfc_8446_section_5_5() {
        // 2^24.5, rounded down.
        assert!((AES_GCM_RECORD_LIMIT as f64) <= 2f64.powf(24.5));
        assert!((AES_GCM_RECORD_LIMIT + 1) as f64 > 2f64.powf(24.5));
        assert_eq!(pair(AeadAlg::Aes128Gcm).0.key_update_limit(), 23_726_566);
        assert_eq!(pair(AeadAlg::Aes256Gcm).0.key_update_limit(), 23_726_566);
        assert_eq!(
            pair(AeadAlg::ChaCha20Poly1305).0.key_update_limit(),
            u64::MAX - 1
        );
    }

    #[test]
    fn debug_does_not_print_keys() {
        let (enc, dec) = pair(AeadAlg::Aes256Gcm);
        assert_eq!(format!("{enc:?}"), "Tls13Encrypter(Aes256Gcm)");
        assert_eq!(format!("{dec:?}"), "Tls13Decrypter(Aes256Gcm)");
    }
}
