//! AEAD record protection (RFC 5246 section 6.2.3.3), with the AES-GCM nonce of RFC 5288
//! section 3 and the ChaCha20-Poly1305 nonce of RFC 7905 section 2.
//!
//! The additional data, the GCM nonce and the record fragment are encoded with the generated
//! wire types (`AdditionalData`, `GCMNonce`, `GenericAEADCipher`); this module only computes.

use crate::codec::{short_type_name, Encode};
use crate::crypto::suites::AeadAlg;
use crate::wire::{AdditionalData, ContentType, GCMNonce, GenericAEADCipher, ProtocolVersion};
use crate::Error;
use ring::aead;
use std::fmt;

/// RFC 5246 section 6.2.1: a plaintext fragment is at most 2^14 bytes.
const MAX_PLAINTEXT: usize = 1 << 14;

/// What sealing and opening share: the key, the algorithm and the implicit IV.
///
/// The IV is wiped on drop (once per key change, nothing per record). The key cannot be: ring's
/// `LessSafeKey` keeps its expanded key schedule in memory it does not let us clear.
struct Protection {
    key: aead::LessSafeKey,
    aead: AeadAlg,
    /// The key block's write IV, left-aligned: GCM uses the first 4 bytes (the salt),
    /// ChaCha20 all 12 (the nonce mask).
    iv: [u8; 12],
}

impl Drop for Protection {
    fn drop(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.iv);
    }
}

impl Protection {
    fn new(aead: AeadAlg, key: &[u8], iv: &[u8]) -> Result<Self, Error> {
        if key.len() != aead.key_len() || iv.len() != aead.fixed_iv_len() {
            return Err(Error::Internal(format!(
                "{aead:?} needs a {}-byte key and a {}-byte IV, got {} and {}",
                aead.key_len(),
                aead.fixed_iv_len(),
                key.len(),
                iv.len()
            )));
        }
        let unbound = aead::UnboundKey::new(aead.ring_algorithm(), key)
            .map_err(|_| Error::Internal(format!("ring rejected the {aead:?} key")))?;
        let mut fixed = [0u8; 12];
        fixed.iter_mut().zip(iv).for_each(|(f, b)| *f = *b);
        Ok(Protection {
            key: aead::LessSafeKey::new(unbound),
            aead,
            iv: fixed,
        })
    }

    /// The per-record nonce. GCM: salt + the record's nonce_explicit (RFC 5288 section 3).
    /// ChaCha20: the write IV XOR the sequence number, big-endian, left-padded to 12 bytes
    /// (RFC 7905 section 2); `explicit` is empty then.
    fn nonce(
        &self,
        seq: u64,
        explicit: &[u8],
        scratch: &mut Vec<u8>,
    ) -> Result<aead::Nonce, Error> {
        let bytes = match self.aead {
            AeadAlg::Aes128Gcm | AeadAlg::Aes256Gcm => {
                let mut salt = [0u8; 4];
                salt.iter_mut().zip(&self.iv).for_each(|(s, b)| *s = *b);
                let nonce_explicit =
                    <[u8; 8]>::try_from(explicit).map_err(|_| Error::BadRecordMac)?;
                encode_array::<12, _>(
                    &GCMNonce {
                        salt,
                        nonce_explicit,
                    },
                    scratch,
                )?
            }
            AeadAlg::ChaCha20Poly1305 => {
                let mut n = self.iv;
                // Only the last 8 bytes meet the sequence number; the padding is zeros.
                n.iter_mut()
                    .skip(4)
                    .zip(seq.to_be_bytes())
                    .for_each(|(n, s)| *n ^= s);
                n
            }
        };
        Ok(aead::Nonce::assume_unique_for_key(bytes))
    }

    /// `additional_data = seq_num + type + version + length` (RFC 5246 section 6.2.3.3), where
    /// length is that of the plaintext.
    fn aad(
        seq: u64,
        typ: ContentType,
        version: ProtocolVersion,
        plaintext_len: usize,
        scratch: &mut Vec<u8>,
    ) -> Result<aead::Aad<[u8; 13]>, Error> {
        let length = u16::try_from(plaintext_len)
            .map_err(|_| Error::RecordOverflow { ciphertext: false })?;
        let ad = AdditionalData {
            seq_num: seq,
            type_: typ,
            version,
            length,
        };
        Ok(aead::Aad::from(encode_array::<13, _>(&ad, scratch)?))
    }
}

/// Seals `out[plaintext..]` in place and appends the tag: the record being written began at
/// `start`, and on failure `out` is cut back to it, so no half-sealed record is ever sent.
pub(super) fn seal_tail<A: AsRef<[u8]>>(
    key: &aead::LessSafeKey,
    nonce: aead::Nonce,
    aad: aead::Aad<A>,
    out: &mut Vec<u8>,
    start: usize,
    plaintext: usize,
) -> Result<(), Error> {
    let sealed = match out.get_mut(plaintext..) {
        Some(in_out) => key
            .seal_in_place_separate_tag(nonce, aad, in_out)
            .map_err(|_| Error::Internal("AEAD seal failed".into())),
        None => Err(Error::Internal("record shorter than its header".into())),
    };
    match sealed {
        Ok(tag) => {
            out.extend_from_slice(tag.as_ref());
            Ok(())
        }
        Err(e) => {
            out.truncate(start);
            Err(e)
        }
    }
}

/// Encodes a fixed-size wire value through the generated encoder into a stack array, using the
/// tail of `scratch` and leaving `scratch` as it was.
pub(super) fn encode_array<const N: usize, T: Encode>(
    value: &T,
    scratch: &mut Vec<u8>,
) -> Result<[u8; N], Error> {
    let start = scratch.len();
    value.encode(scratch);
    let out = scratch
        .get(start..)
        .and_then(|b| <[u8; N]>::try_from(b).ok());
    scratch.truncate(start);
    out.ok_or_else(|| {
        Error::Internal(format!(
            "{} did not encode to {N} bytes",
            short_type_name::<T>()
        ))
    })
}

/// Protects the records one side sends.
pub struct RecordEncrypter(Protection);

impl RecordEncrypter {
    /// A sealer for `aead` with the sender's write key and write IV from the key block.
    pub fn new(aead: AeadAlg, key: &[u8], iv: &[u8]) -> Result<Self, Error> {
        Protection::new(aead, key, iv).map(RecordEncrypter)
    }

    /// The algorithm in use.
    pub fn aead(&self) -> AeadAlg {
        self.0.aead
    }

    /// Appends the protected fragment of record number `seq` to `out`: for GCM the 8-byte
    /// nonce_explicit (the sequence number, as RFC 5288 section 3 permits), then
    /// ciphertext and tag; for ChaCha20 ciphertext and tag.
    ///
    /// On error `out` is left as it was, so no plaintext can leak onto the wire.
    pub fn seal(
        &self,
        seq: u64,
        typ: ContentType,
        version: ProtocolVersion,
        plaintext: &[u8],
        out: &mut Vec<u8>,
    ) -> Result<(), Error> {
        if plaintext.len() > MAX_PLAINTEXT {
            return Err(Error::Internal(format!(
                "plaintext of {} bytes exceeds the 2^14 record limit",
                plaintext.len()
            )));
        }
        let p = &self.0;
        let seq_bytes = seq.to_be_bytes();
        // A sequence number is never reused with one key, so it is a unique explicit nonce.
        let explicit = seq_bytes
            .get(..p.aead.explicit_nonce_len())
            .ok_or_else(|| Error::Internal("explicit nonce longer than 8 bytes".into()))?;
        let nonce = p.nonce(seq, explicit, out)?;
        let aad = Protection::aad(seq, typ, version, plaintext.len(), out)?;

        let start = out.len();
        out.reserve(explicit.len() + plaintext.len() + p.aead.tag_len());
        GenericAEADCipher {
            nonce_explicit: explicit,
            aead_output: plaintext,
        }
        .encode(out);
        seal_tail(&p.key, nonce, aad, out, start, start + explicit.len())
    }
}

impl fmt::Debug for RecordEncrypter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("RecordEncrypter")
            .field(&self.0.aead)
            .finish()
    }
}

/// Removes the protection from the records the peer sends.
pub struct RecordDecrypter(Protection);

impl RecordDecrypter {
    /// An opener for `aead` with the peer's write key and write IV from the key block.
    pub fn new(aead: AeadAlg, key: &[u8], iv: &[u8]) -> Result<Self, Error> {
        Protection::new(aead, key, iv).map(RecordDecrypter)
    }

    /// The algorithm in use.
    pub fn aead(&self) -> AeadAlg {
        self.0.aead
    }

    /// Opens the fragment of record number `seq` in place and returns the plaintext (a
    /// sub-slice of `fragment`). The fragment is nonce_explicit (GCM only), ciphertext, tag.
    ///
    /// Any failure to authenticate, including a fragment too short to hold the nonce and tag,
    /// is [`Error::BadRecordMac`]: RFC 5246 section 7.2.2 asks for one alert whatever the cause.
    pub fn open<'b>(
        &self,
        seq: u64,
        typ: ContentType,
        version: ProtocolVersion,
        fragment: &'b mut [u8],
    ) -> Result<&'b [u8], Error> {
        self.open_with_scratch(seq, typ, version, fragment, &mut Vec::new())
    }

    /// As [`RecordDecrypter::open`], encoding the nonce and additional data in `scratch` (left
    /// as it was), so a caller that keeps one buffer allocates nothing per record.
    pub fn open_with_scratch<'b>(
        &self,
        seq: u64,
        typ: ContentType,
        version: ProtocolVersion,
        fragment: &'b mut [u8],
        scratch: &mut Vec<u8>,
    ) -> Result<&'b [u8], Error> {
        let p = &self.0;
        let explicit_len = p.aead.explicit_nonce_len();
        let mut explicit = [0u8; 8];
        let plaintext_len = {
            let parsed = GenericAEADCipher::from_bytes(fragment, explicit_len)
                .map_err(|_| Error::BadRecordMac)?;
            explicit
                .iter_mut()
                .zip(parsed.nonce_explicit)
                .for_each(|(e, b)| *e = *b);
            parsed
                .aead_output
                .len()
                .checked_sub(p.aead.tag_len())
                .ok_or(Error::BadRecordMac)?
        };
        let explicit = explicit.get(..explicit_len).ok_or(Error::BadRecordMac)?;
        let nonce = p.nonce(seq, explicit, scratch)?;
        let aad = Protection::aad(seq, typ, version, plaintext_len, scratch)?;
        let (_, in_out) = fragment
            .split_at_mut_checked(explicit_len)
            .ok_or(Error::BadRecordMac)?;
        let plaintext = p
            .key
            .open_in_place(nonce, aad, in_out)
            .map_err(|_| Error::BadRecordMac)?;
        Ok(plaintext)
    }
}

impl fmt::Debug for RecordDecrypter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("RecordDecrypter")
            .field(&self.0.aead)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::record_test_support::{
        bit_flips, check_key_iv_lengths, ring_key, test_iv, test_key, xor_nonce, ALL,
    };
    use crate::test_support::unhex;

    fn v12() -> ProtocolVersion {
        ProtocolVersion { major: 3, minor: 3 }
    }

    fn pair(aead: AeadAlg) -> (RecordEncrypter, RecordDecrypter) {
        let (key, iv) = (test_key(aead), test_iv(aead.fixed_iv_len()));
        (
            RecordEncrypter::new(aead, &key, &iv).unwrap(),
            RecordDecrypter::new(aead, &key, &iv).unwrap(),
        )
    }

    fn seal(enc: &RecordEncrypter, seq: u64, pt: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        enc.seal(seq, ContentType::ApplicationData, v12(), pt, &mut out)
            .unwrap();
        out
    }

    /// Known answers computed with Python `cryptography` (AESGCM / ChaCha20Poly1305), building
    /// nonce and additional data by hand from RFC 5288 / RFC 7905 and RFC 5246 6.2.3.3.
    #[test]
    fn seal_matches_independent_known_answers() {
        let pt = b"spectls record layer";
        // (algorithm, key, IV hex, sequence number, content type, expected fragment hex)
        type Kat = (
            AeadAlg,
            Vec<u8>,
            &'static str,
            u64,
            ContentType,
            &'static str,
        );
        let cases: [Kat; 3] = [
            (
                AeadAlg::Aes128Gcm,
                (0..16).collect(),
                "a0a1a2a3",
                0x0102030405060708,
                ContentType::ApplicationData,
                "01020304050607086f4dfea94fa4efe4f4c2946f6a601663dc4ee6202cb7a61e24d966965979b41ee55e6533",
            ),
            (
                AeadAlg::Aes256Gcm,
                (0x10..0x30).collect(),
                "01020304",
                0,
                ContentType::Handshake,
                "0000000000000000438f42206b48c27e25f115ecf722c3d9e73a21d1213e88742e28531d7361e3900e849fe6",
            ),
            (
                AeadAlg::ChaCha20Poly1305,
                (0x20..0x40).collect(),
                "404142434445464748494a4b",
                0x1122334455667788,
                ContentType::ApplicationData,
                "a4acce87cf4b14118ba6202cc75931bb9c770b3d8a79df0b8c5ae4a90da2e4ca29e0119b",
            ),
        ];
        for (aead, key, iv, seq, typ, want) in cases {
            let enc = RecordEncrypter::new(aead, &key, &unhex(iv)).unwrap();
            let mut out = b"hdr".to_vec();
            enc.seal(seq, typ, v12(), pt, &mut out).unwrap();
            // seal appends: what was in `out` stays.
            assert_eq!(&out[..3], b"hdr");
            assert_eq!(out[3..], unhex(want)[..], "{aead:?}");
            let dec = RecordDecrypter::new(aead, &key, &unhex(iv)).unwrap();
            let mut frag = out[3..].to_vec();
            assert_eq!(dec.open(seq, typ, v12(), &mut frag).unwrap(), pt);
        }
    }

    /// Opens what we seal with ring directly, with the nonce and additional data assembled by
    /// hand here, so the construction is checked independently of the generated encoders.
    #[test]
    fn nonce_and_additional_data_construction() {
        let pt = b"nonce check";
        for aead in ALL {
            let (enc, _) = pair(aead);
            let (key, iv) = (test_key(aead), test_iv(aead.fixed_iv_len()));
            for seq in [0u64, 1, 0xff, 0x0102_0304_0506_0708, u64::MAX] {
                let mut frag = seal(&enc, seq, pt);
                let (nonce, body) = match aead {
                    AeadAlg::ChaCha20Poly1305 => {
                        assert_eq!(frag.len(), pt.len() + 16);
                        (xor_nonce(&iv, seq), &mut frag[..])
                    }
                    _ => {
                        assert_eq!(frag.len(), 8 + pt.len() + 16);
                        // nonce_explicit is the sequence number, big-endian.
                        assert_eq!(frag[..8], seq.to_be_bytes());
                        let mut n = [0u8; 12];
                        n[..4].copy_from_slice(&iv);
                        n[4..].copy_from_slice(&seq.to_be_bytes());
                        (n, &mut frag[8..])
                    }
                };
                let mut ad = seq.to_be_bytes().to_vec();
                ad.extend_from_slice(&[23, 3, 3, 0, pt.len() as u8]);
                let opened = ring_key(aead, &key)
                    .open_in_place(
                        aead::Nonce::assume_unique_for_key(nonce),
                        aead::Aad::from(&ad),
                        body,
                    )
                    .unwrap();
                assert_eq!(opened, pt, "{aead:?} seq {seq}");
            }
        }
    }

    #[test]
    fn round_trip_all_sizes() {
        for aead in ALL {
            let (enc, dec) = pair(aead);
            for (seq, len) in [
                (0u64, 0usize),
                (1, 1),
                (2, 15),
                (3, 16),
                (4, 17),
                (5, 1 << 14),
            ] {
                let pt: Vec<u8> = (0..len).map(|i| (i * 7) as u8).collect();
                let mut frag = seal(&enc, seq, &pt);
                assert_eq!(frag.len(), aead.explicit_nonce_len() + len + aead.tag_len());
                if len > 0 {
                    assert_ne!(&frag[aead.explicit_nonce_len()..][..len], &pt[..]);
                }
                let got = dec
                    .open(seq, ContentType::ApplicationData, v12(), &mut frag)
                    .unwrap();
                assert_eq!(got, &pt[..], "{aead:?} len {len}");
            }
        }
    }

    #[test]
    fn tampering_with_any_byte_is_bad_record_mac() {
        for aead in ALL {
            let (enc, dec) = pair(aead);
            let frag = seal(&enc, 9, b"attack at dawn");
            for (i, mut t) in bit_flips(&frag) {
                assert_eq!(
                    dec.open(9, ContentType::ApplicationData, v12(), &mut t),
                    Err(Error::BadRecordMac),
                    "{aead:?} byte {i}"
                );
            }
        }
    }

    #[test]
    fn wrong_seq_type_version_or_key_is_bad_record_mac() {
        for aead in ALL {
            let (enc, dec) = pair(aead);
            let frag = seal(&enc, 5, b"payload");
            let try_open = |seq, typ, version| {
                let mut f = frag.clone();
                dec.open(seq, typ, version, &mut f).map(<[u8]>::to_vec)
            };
            assert_eq!(
                try_open(5, ContentType::ApplicationData, v12()).unwrap(),
                b"payload"
            );
            for seq in [4, 6, 5 | 1 << 63] {
                assert_eq!(
                    try_open(seq, ContentType::ApplicationData, v12()),
                    Err(Error::BadRecordMac),
                    "{aead:?} seq {seq}"
                );
            }
            assert_eq!(
                try_open(5, ContentType::Alert, v12()),
                Err(Error::BadRecordMac)
            );
            assert_eq!(
                try_open(
                    5,
                    ContentType::ApplicationData,
                    ProtocolVersion { major: 3, minor: 1 }
                ),
                Err(Error::BadRecordMac)
            );
            // The other direction's key (same IV) must not open it.
            let other_key = vec![0x55; aead.key_len()];
            let iv = test_iv(aead.fixed_iv_len());
            let other = RecordDecrypter::new(aead, &other_key, &iv).unwrap();
            let mut f = frag.clone();
            assert_eq!(
                other.open(5, ContentType::ApplicationData, v12(), &mut f),
                Err(Error::BadRecordMac)
            );
            // Same key, another IV: the nonce differs.
            let other_iv = vec![0x11; aead.fixed_iv_len()];
            let other = RecordDecrypter::new(aead, &test_key(aead), &other_iv).unwrap();
            let mut f = frag.clone();
            assert_eq!(
                other.open(5, ContentType::ApplicationData, v12(), &mut f),
                Err(Error::BadRecordMac)
            );
        }
    }

    #[test]
    fn short_fragments_are_bad_record_mac_not_panics() {
        for aead in ALL {
            let (enc, dec) = pair(aead);
            let min = aead.explicit_nonce_len() + aead.tag_len();
            for len in 0..min {
                let mut f = vec![0u8; len];
                assert_eq!(
                    dec.open(0, ContentType::ApplicationData, v12(), &mut f),
                    Err(Error::BadRecordMac),
                    "{aead:?} len {len}"
                );
            }
            // Exactly nonce + tag is an empty record, and a valid one when sealed.
            let mut f = seal(&enc, 0, b"");
            assert_eq!(f.len(), min);
            assert_eq!(
                dec.open(0, ContentType::ApplicationData, v12(), &mut f)
                    .unwrap(),
                b""
            );
            // Truncating a valid record by one byte breaks it.
            let mut f = seal(&enc, 0, b"abc");
            f.pop();
            assert_eq!(
                dec.open(0, ContentType::ApplicationData, v12(), &mut f),
                Err(Error::BadRecordMac)
            );
        }
    }

    #[test]
    fn sealing_is_deterministic_per_seq_and_differs_across_seq() {
        for aead in ALL {
            let (enc, _) = pair(aead);
            assert_eq!(seal(&enc, 3, b"same"), seal(&enc, 3, b"same"));
            assert_ne!(seal(&enc, 3, b"same"), seal(&enc, 4, b"same"));
        }
    }

    #[test]
    fn bad_key_or_iv_length_is_an_internal_error() {
        for aead in ALL {
            check_key_iv_lengths(
                &vec![0u8; aead.key_len()],
                &vec![0u8; aead.fixed_iv_len()],
                &[],
                |k, i| RecordEncrypter::new(aead, k, i),
                |k, i| RecordDecrypter::new(aead, k, i),
            );
        }
    }

    #[test]
    fn oversized_plaintext_is_refused_and_out_untouched() {
        let (enc, _) = pair(AeadAlg::Aes128Gcm);
        let mut out = b"keep".to_vec();
        let big = vec![0u8; (1 << 14) + 1];
        assert!(matches!(
            enc.seal(0, ContentType::ApplicationData, v12(), &big, &mut out),
            Err(Error::Internal(_))
        ));
        assert_eq!(out, b"keep");
    }

    #[test]
    fn debug_does_not_print_keys() {
        let (enc, dec) = pair(AeadAlg::ChaCha20Poly1305);
        assert_eq!(format!("{enc:?}"), "RecordEncrypter(ChaCha20Poly1305)");
        assert_eq!(format!("{dec:?}"), "RecordDecrypter(ChaCha20Poly1305)");
    }
}
