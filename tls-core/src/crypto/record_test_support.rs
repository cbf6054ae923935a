//! Test fixtures and checks the tests of both record layers share: [`super::cipher`] (TLS 1.2)
//! and [`super::cipher13`] (TLS 1.3).

use crate::crypto::suites::AeadAlg;
use crate::Error;
use ring::aead;

/// Every AEAD both record layers protect records with.
pub(super) const ALL: [AeadAlg; 3] = [
    AeadAlg::Aes128Gcm,
    AeadAlg::Aes256Gcm,
    AeadAlg::ChaCha20Poly1305,
];

/// The test key for `aead`: bytes 0, 1, 2, ...
pub(super) fn test_key(aead: AeadAlg) -> Vec<u8> {
    (0..aead.key_len() as u8).collect()
}

/// A test IV of `len` bytes: 0x80, 0x81, ...
pub(super) fn test_iv(len: usize) -> Vec<u8> {
    (0x80..0x80 + len as u8).collect()
}

/// The per-record nonce of RFC 7905 section 2 and RFC 8446 section 5.3, built by hand: the
/// sequence number, big-endian and left-padded with zeros to 12 bytes, XORed with the 12-byte IV.
pub(super) fn xor_nonce(iv: &[u8], seq: u64) -> [u8; 12] {
    let mut nonce = [0u8; 12];
    nonce[4..].copy_from_slice(&seq.to_be_bytes());
    for (n, i) in nonce.iter_mut().zip(iv) {
        *n ^= i;
    }
    nonce
}

/// ring's own key for `aead`, to seal or open a record by hand.
pub(super) fn ring_key(aead: AeadAlg, key: &[u8]) -> aead::LessSafeKey {
    aead::LessSafeKey::new(aead::UnboundKey::new(aead.ring_algorithm(), key).unwrap())
}

/// Each copy of `record` with the lowest or the highest bit of one byte flipped, with the index
/// of that byte.
pub(super) fn bit_flips(record: &[u8]) -> impl Iterator<Item = (usize, Vec<u8>)> + '_ {
    (0..record.len()).flat_map(move |i| {
        [0x01u8, 0x80].into_iter().map(move |bit| {
            let mut t = record.to_vec();
            t[i] ^= bit;
            (i, t)
        })
    })
}

/// The `new` of an encrypter (`enc`) and of a decrypter (`dec`) accept `key` and `iv`, and refuse
/// as an internal error a key or an IV one byte short, both empty, and each (key, IV) of `more`.
pub(super) fn check_key_iv_lengths<E, D>(
    key: &[u8],
    iv: &[u8],
    more: &[(&[u8], &[u8])],
    enc: impl Fn(&[u8], &[u8]) -> Result<E, Error>,
    dec: impl Fn(&[u8], &[u8]) -> Result<D, Error>,
) {
    assert!(enc(key, iv).is_ok());
    assert!(dec(key, iv).is_ok());
    let short = [(&key[1..], iv), (key, &iv[1..]), (&[][..], &[][..])];
    for (k, i) in short.into_iter().chain(more.iter().copied()) {
        let lens = (k.len(), i.len());
        assert!(matches!(enc(k, i), Err(Error::Internal(_))), "{lens:?}");
        assert!(matches!(dec(k, i), Err(Error::Internal(_))), "{lens:?}");
    }
}
