//! The TLS 1.2 key schedule: the PRF (RFC 5246 section 5), the master secret (section 8.1, and
//! RFC 7627 section 4 for the extended master secret), the key block (section 6.3), Finished
//! verify_data (section 7.4.9), the running handshake transcript hash, and the keying-material
//! exporter of RFC 5705.

use crate::crypto::suites::{HashAlg, SupportedCipherSuite};
use crate::error::Error;
use ring::hmac;
use std::fmt;
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

/// `PRF(secret, label, seed)` of RFC 5246 section 5, filling `out` (any length).
///
/// `seed` is given in parts that are hashed as if concatenated, so callers need not build it.
pub fn prf(hash: HashAlg, secret: &[u8], label: &[u8], seed: &[&[u8]], out: &mut [u8]) {
    prf_keyed(
        &hmac::Key::new(hash.hmac_algorithm(), secret),
        hash,
        label,
        seed,
        out,
    );
}

/// [`prf`] with the secret's HMAC key already set up.
fn prf_keyed(key: &hmac::Key, hash: HashAlg, label: &[u8], seed: &[&[u8]], out: &mut [u8]) {
    // P_hash(secret, label + seed): A(0) = label + seed, A(i) = HMAC(secret, A(i-1)),
    // output = HMAC(secret, A(1) + label + seed) + HMAC(secret, A(2) + label + seed) + ...
    let mut a = {
        let mut ctx = hmac::Context::with_key(key);
        ctx.update(label);
        seed.iter().for_each(|s| ctx.update(s));
        ctx.sign()
    };
    let mut blocks = out.chunks_mut(hash.output_len()).peekable();
    while let Some(block) = blocks.next() {
        let mut ctx = hmac::Context::with_key(key);
        ctx.update(a.as_ref());
        ctx.update(label);
        seed.iter().for_each(|s| ctx.update(s));
        let p = ctx.sign();
        // The last block may be partial: take only what fits.
        block.iter_mut().zip(p.as_ref()).for_each(|(o, b)| *o = *b);
        if blocks.peek().is_some() {
            a = hmac::sign(key, a.as_ref());
        }
    }
}

/// A connection's master secret, set up for the PRF once: setting up an HMAC key costs two hash
/// blocks, and the key block and both Finished messages use the same one (in a resumed
/// handshake that is an eighth of all the hashing).
///
/// The secret bytes are wiped when it is dropped ([`ZeroizeOnDrop`]). The HMAC key derived from
/// them cannot be: ring's `hmac::Key` holds the keyed hash states in memory it does not let us
/// clear, and it stays there until the allocator reuses it. Not `Clone`: one connection has one
/// copy, and a copy outliving it would be one more to wipe.
pub struct MasterSecret {
    hash: HashAlg,
    secret: Zeroizing<[u8; 48]>,
    key: hmac::Key,
}

impl MasterSecret {
    /// The master secret of a connection whose suite names `hash`. Takes a plain array (a
    /// resumed [`Session`](crate::session::Session)'s, which wipes its own) or the
    /// `Zeroizing` one [`master_secret`] and [`extended_master_secret`] return, as is.
    pub fn new(hash: HashAlg, secret: impl Into<Zeroizing<[u8; 48]>>) -> Self {
        let secret = secret.into();
        MasterSecret {
            hash,
            key: hmac::Key::new(hash.hmac_algorithm(), secret.as_slice()),
            secret,
        }
    }

    /// The secret itself (for the session cache, tickets and key logs).
    pub fn secret(&self) -> &[u8; 48] {
        &self.secret
    }

    /// [`key_block`] with this secret.
    pub fn key_block(
        &self,
        suite: &SupportedCipherSuite,
        client_random: &[u8; 32],
        server_random: &[u8; 32],
    ) -> KeyBlock {
        let key_len = suite.aead.key_len();
        let iv_len = suite.aead.fixed_iv_len();
        // The raw key block is as secret as the keys cut from it: wiped when it goes.
        let mut block = Zeroizing::new([0u8; 2 * (MAX_KEY_LEN + MAX_IV_LEN)]);
        let block = block.get_mut(..2 * (key_len + iv_len)).unwrap_or_default();
        prf_keyed(
            &self.key,
            self.hash,
            b"key expansion",
            &[server_random, client_random],
            block,
        );
        // Cut in order; lengths come from the suite table, and taking from an iterator cannot
        // panic. (Lengths over the maxima give an empty block, which installing keys refuses.)
        let mut bytes = block.iter().copied();
        let mut take = |n| bytes.by_ref().take(n).collect::<Vec<u8>>();
        KeyBlock {
            client_write_key: take(key_len),
            server_write_key: take(key_len),
            client_write_iv: take(iv_len),
            server_write_iv: take(iv_len),
        }
    }

    /// [`verify_data`] with this secret.
    pub fn verify_data(&self, from_client: bool, handshake_hash: &[u8]) -> [u8; 12] {
        let label: &[u8] = if from_client {
            b"client finished"
        } else {
            b"server finished"
        };
        let mut out = [0u8; 12];
        prf_keyed(&self.key, self.hash, label, &[handshake_hash], &mut out);
        out
    }

    /// Keying material exported as RFC 5705 section 4 defines it, filling `out`:
    /// `PRF(master_secret, label, client_random + server_random)` without a context, and
    /// `PRF(master_secret, label, client_random + server_random + context_value_length +
    /// context_value)` with one (so an empty context differs from none).
    ///
    /// `ApiMisuse` for a label TLS itself uses with this PRF (RFC 5705 section 4 reserves
    /// "client finished", "server finished", "master secret" and "key expansion"; RFC 7627 adds
    /// "extended master secret"): output under them could be a key or Finished value of some
    /// connection. Also for a context of 2^16 bytes or more (its length is a `uint16`).
    pub fn export(
        &self,
        client_random: &[u8; 32],
        server_random: &[u8; 32],
        label: &[u8],
        context: Option<&[u8]>,
        out: &mut [u8],
    ) -> Result<(), Error> {
        if RESERVED_EXPORTER_LABELS.contains(&label) {
            return Err(Error::ApiMisuse(
                "the exporter label is one TLS reserves for itself (RFC 5705 section 4)",
            ));
        }
        match context {
            None => prf_keyed(
                &self.key,
                self.hash,
                label,
                &[client_random, server_random],
                out,
            ),
            Some(context) => {
                let len = u16::try_from(context.len())
                    .map_err(|_| Error::ApiMisuse("the exporter context is over 65535 bytes"))?;
                prf_keyed(
                    &self.key,
                    self.hash,
                    label,
                    &[client_random, server_random, &len.to_be_bytes(), context],
                    out,
                )
            }
        }
        Ok(())
    }
}

/// The labels TLS 1.2 uses with the PRF itself, which RFC 5705 section 4 (and RFC 7627 for the
/// last) forbid exporters to use: [`ConnectionCommon::export_keying_material`] refuses each of
/// them, exactly (a longer, shorter or differently cased label is not reserved), with
/// [`Error::ApiMisuse`].
///
/// [`ConnectionCommon::export_keying_material`]: crate::ConnectionCommon::export_keying_material
pub const RESERVED_EXPORTER_LABELS: [&[u8]; 5] = [
    b"client finished",
    b"server finished",
    b"master secret",
    b"key expansion",
    b"extended master secret",
];

/// What a TLS 1.2 connection keeps after its handshake to export keying material (RFC 5705):
/// the master secret (wiped when dropped) and the two randoms.
pub(crate) struct Exporter {
    master: MasterSecret,
    client_random: [u8; 32],
    server_random: [u8; 32],
}

impl Exporter {
    /// The exporter of a connection with this master secret and these randoms.
    pub(crate) fn new(
        master: MasterSecret,
        client_random: [u8; 32],
        server_random: [u8; 32],
    ) -> Self {
        Exporter {
            master,
            client_random,
            server_random,
        }
    }

    /// [`MasterSecret::export`] with the connection's randoms.
    pub(crate) fn export(
        &self,
        label: &[u8],
        context: Option<&[u8]>,
        out: &mut [u8],
    ) -> Result<(), Error> {
        self.master.export(
            &self.client_random,
            &self.server_random,
            label,
            context,
            out,
        )
    }
}

impl fmt::Debug for Exporter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Exporter")
            .field("master", &self.master)
            .finish_non_exhaustive()
    }
}

impl ZeroizeOnDrop for MasterSecret {}

impl fmt::Debug for MasterSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MasterSecret")
            .field("hash", &self.hash)
            .finish_non_exhaustive()
    }
}

/// The largest AEAD key (AES-256, ChaCha20) and fixed IV (ChaCha20's 12-byte nonce mask) of the
/// suites in the table.
const MAX_KEY_LEN: usize = 32;
const MAX_IV_LEN: usize = 12;

/// The master secret of RFC 5246 section 8.1:
/// `PRF(pre_master_secret, "master secret", ClientHello.random + ServerHello.random)[0..47]`,
/// wiped when dropped.
pub fn master_secret(
    hash: HashAlg,
    pre_master: &[u8],
    client_random: &[u8; 32],
    server_random: &[u8; 32],
) -> Zeroizing<[u8; 48]> {
    let mut out = Zeroizing::new([0u8; 48]);
    prf(
        hash,
        pre_master,
        b"master secret",
        &[client_random, server_random],
        out.as_mut_slice(),
    );
    out
}

/// The extended master secret of RFC 7627 section 4:
/// `PRF(pre_master_secret, "extended master secret", session_hash)[0..47]`, where `session_hash`
/// is the transcript hash from ClientHello up to and including ClientKeyExchange (section 3);
/// wiped when dropped.
pub fn extended_master_secret(
    hash: HashAlg,
    pre_master: &[u8],
    session_hash: &[u8],
) -> Zeroizing<[u8; 48]> {
    let mut out = Zeroizing::new([0u8; 48]);
    prf(
        hash,
        pre_master,
        b"extended master secret",
        &[session_hash],
        out.as_mut_slice(),
    );
    out
}

/// The traffic keys of one connection (RFC 5246 section 6.3). AEAD suites have no MAC keys.
///
/// Wiped when dropped ([`ZeroizeOnDrop`]), or earlier with [`Zeroize::zeroize`]. Not `Clone`
/// (it is read once, to set up record protection) and not `PartialEq` (a comparison of keys that
/// stops at the first difference would be a timing signal, and nothing needs one).
pub struct KeyBlock {
    /// Key protecting what the client sends.
    pub client_write_key: Vec<u8>,
    /// Key protecting what the server sends.
    pub server_write_key: Vec<u8>,
    /// The client's implicit IV (GCM salt or ChaCha20 nonce mask).
    pub client_write_iv: Vec<u8>,
    /// The server's implicit IV (GCM salt or ChaCha20 nonce mask).
    pub server_write_iv: Vec<u8>,
}

impl Zeroize for KeyBlock {
    fn zeroize(&mut self) {
        // Vec's zeroize clears its whole capacity and leaves it empty.
        self.client_write_key.zeroize();
        self.server_write_key.zeroize();
        self.client_write_iv.zeroize();
        self.server_write_iv.zeroize();
    }
}

impl Drop for KeyBlock {
    fn drop(&mut self) {
        self.zeroize();
    }
}

impl ZeroizeOnDrop for KeyBlock {}

impl fmt::Debug for KeyBlock {
    // Secrets stay out of logs: lengths only.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyBlock")
            .field("client_write_key", &self.client_write_key.len())
            .field("server_write_key", &self.server_write_key.len())
            .field("client_write_iv", &self.client_write_iv.len())
            .field("server_write_iv", &self.server_write_iv.len())
            .finish()
    }
}

/// Expands the master secret into the suite's traffic keys (RFC 5246 section 6.3):
/// `PRF(master_secret, "key expansion", server_random + client_random)`, cut in the order
/// client key, server key, client IV, server IV.
pub fn key_block(
    suite: &SupportedCipherSuite,
    master: &[u8; 48],
    client_random: &[u8; 32],
    server_random: &[u8; 32],
) -> KeyBlock {
    MasterSecret::new(suite.hash, *master).key_block(suite, client_random, server_random)
}

/// Finished.verify_data (RFC 5246 section 7.4.9):
/// `PRF(master_secret, finished_label, Hash(handshake_messages))[0..11]`, with the label
/// "client finished" or "server finished" by who sends the Finished.
pub fn verify_data(
    hash: HashAlg,
    master: &[u8; 48],
    from_client: bool,
    handshake_hash: &[u8],
) -> [u8; 12] {
    MasterSecret::new(hash, *master).verify_data(from_client, handshake_hash)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::suites::{
        TLS12_CIPHER_SUITES, TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
        TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384, TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
    };
    use crate::test_support::unhex;
    use ring::digest;

    fn seq32(start: u8) -> [u8; 32] {
        std::array::from_fn(|i| start + i as u8)
    }

    /// The P_SHA256 vector posted to the IETF TLS list (msg03416, also used by GnuTLS and others);
    /// recomputed here with `openssl kdf -kdfopt digest:SHA256 ... TLS1-PRF`.
    #[test]
    fn prf_sha256_published_vector() {
        let mut out = [0u8; 100];
        prf(
            HashAlg::Sha256,
            &unhex("9bbe436ba940f017b17652849a71db35"),
            b"test label",
            &[&unhex("a0ba9f936cda311827a6f796ffd5198c")],
            &mut out,
        );
        let want = unhex(
            "e3f229ba727be17b8d122620557cd453c2aab21d07c3d495329b52d4e61edb5a
             6b301791e90d35c9c9a46b4e14baf9af0fa022f7077def17abfd3797c0564bab
             4fbc91666e9def9b97fce34f796789baa48082d122ee42c5a72e5a5110fff701
             87347b66",
        );
        assert_eq!(out[..], want[..]);
    }

    /// The P_SHA384 vector from the same post (148 bytes: three full blocks and a partial one).
    #[test]
    fn prf_sha384_published_vector_with_split_seed() {
        let seed = unhex("cd665cf6a8447dd6ff8b27555edb7465");
        let mut out = [0u8; 148];
        // The seed given in parts must hash as the concatenation.
        prf(
            HashAlg::Sha384,
            &unhex("b80b733d6ceefcdc71566ea48e5567df"),
            b"test label",
            &[&seed[..5], &[], &seed[5..]],
            &mut out,
        );
        let want = unhex(
            "7b0c18e9ced410ed1804f2cfa34a336a1c14dffb4900bb5fd7942107e81c83cd
             e9ca0faa60be9fe34f82b1233c9146a0e534cb400fed2700884f9dc236f80edd
             8bfa961144c9e8d792eca722a7b32fc3d416d473ebc2c5fd4abfdad05d918425
             9b5bf8cd4d90fa0d31e2dec479e4f1a26066f2eea9a69236a3e52655c9e9aee6
             91c8f3a26854308d5eaa3be85e0990703d73e56f",
        );
        assert_eq!(out[..], want[..]);
    }

    #[test]
    fn prf_output_is_a_stream_any_length_is_a_prefix() {
        let mut long = [0u8; 200];
        prf(HashAlg::Sha256, b"k", b"l", &[b"s"], &mut long);
        for n in [0, 1, 31, 32, 33, 64, 65, 199] {
            let mut short = vec![0u8; n];
            prf(HashAlg::Sha256, b"k", b"l", &[b"s"], &mut short);
            assert_eq!(short[..], long[..n], "length {n}");
        }
        // The label is part of the input, not a decoration.
        let mut other = [0u8; 200];
        prf(HashAlg::Sha256, b"k", b"m", &[b"s"], &mut other);
        assert_ne!(other, long);
    }

    /// Expected values below were computed with OpenSSL's TLS1-PRF KDF
    /// (`openssl kdf -keylen N -kdfopt digest:SHA256 -kdfopt hexsecret:.. -kdfopt hexseed:..`),
    /// an implementation independent of this one. Inputs: pre-master 01..20, client random 40..5f,
    /// server random 80..9f.
    const MASTER_SHA256: &str = "4e1482b4925dc5db459874101cbf44195755f7635006dba5225afa549684e5c6
                                 7154ad4127718268c17284c64450a6b2";

    #[test]
    fn master_secret_matches_openssl() {
        let pm: Vec<u8> = (1..=32).collect();
        let ms = master_secret(HashAlg::Sha256, &pm, &seq32(0x40), &seq32(0x80));
        assert_eq!(ms[..], unhex(MASTER_SHA256)[..]);
        let ms = master_secret(HashAlg::Sha384, &pm, &seq32(0x40), &seq32(0x80));
        assert_eq!(
            ms[..],
            unhex(
                "4fdc9ea1eb163c30a25065da1e464bd4b16d23ebe85a3d41c6fdef3115c3f95c
                 92e912fb91664f5a94fb96cd5ccc3a62"
            )[..]
        );
        // The randoms are ordered client first: swapping them changes the secret.
        let swapped = master_secret(HashAlg::Sha256, &pm, &seq32(0x80), &seq32(0x40));
        assert_ne!(swapped[..], unhex(MASTER_SHA256)[..]);
    }

    /// An EMS computed by OpenSSL in a real TLS 1.2 ECDHE-ECDSA-AES256-GCM-SHA384 session
    /// (published as a test vector in s2n-tls `tests/unit/s2n_tls_prf_test.c`); recomputed with
    /// `openssl kdf ... digest:SHA384 ... TLS1-PRF`.
    #[test]
    fn extended_master_secret_sha384_vector() {
        let ems = extended_master_secret(
            HashAlg::Sha384,
            &unhex("05e12675c9264d82b53fa15d589c829af9be1ae3d881ab0b023b7b8cad8bc058"),
            &unhex(
                "e6cbbaa03909ea387714fe70c07546086dedfcee086fd2985dfdd50924393619
                 009115758e490e2e3b0c13bebdad5fbb",
            ),
        );
        assert_eq!(
            ems[..],
            unhex(
                "aef116e65e2cd77d4e96b1ceeadb7912ddd9aaf3a907aa3344ec3a2de6cc3b69
                 9ca768fe389eab3b53c98d8ccd830b06"
            )[..]
        );
    }

    /// SHA-256 EMS against OpenSSL's KDF (pre-master 01..20, session hash SHA-256("spectls")),
    /// and against a step-by-step HMAC computation of P_SHA256 written out here.
    #[test]
    fn extended_master_secret_sha256_matches_openssl_and_manual_hmac() {
        let pm: Vec<u8> = (1..=32).collect();
        let session_hash = digest::digest(&digest::SHA256, b"spectls");
        assert_eq!(
            session_hash.as_ref(),
            &unhex("ec00871733e21007e1d2fd4cda9b1bec17dac6f1348492a88cb7d5a79c0c3381")[..]
        );
        let ems = extended_master_secret(HashAlg::Sha256, &pm, session_hash.as_ref());
        assert_eq!(
            ems[..],
            unhex(
                "a207164ed7748fcaf8ca3fd6a699ab2340d2898f3ff359362ea82f93fd4371d7
                 8f877be8ab4e01248fd641a0e42e53c3"
            )[..]
        );
        // Manual: label + seed, A(1), A(2), and the two output blocks, with one-shot HMACs.
        let key = hmac::Key::new(hmac::HMAC_SHA256, &pm);
        let mut ls = b"extended master secret".to_vec();
        ls.extend_from_slice(session_hash.as_ref());
        let a1 = hmac::sign(&key, &ls);
        let a2 = hmac::sign(&key, a1.as_ref());
        let mut manual = Vec::new();
        for a in [a1, a2] {
            let mut m = a.as_ref().to_vec();
            m.extend_from_slice(&ls);
            manual.extend_from_slice(hmac::sign(&key, &m).as_ref());
        }
        assert_eq!(ems[..], manual[..48]);
        // EMS and the classic master secret use different labels and must differ.
        let classic = master_secret(HashAlg::Sha256, &pm, &seq32(0x40), &seq32(0x80));
        assert_ne!(ems, classic);
    }

    #[test]
    fn key_block_lengths_per_suite() {
        let master = [7u8; 48];
        for suite in TLS12_CIPHER_SUITES {
            let kb = key_block(suite, &master, &seq32(0x40), &seq32(0x80));
            let (k, iv) = match suite.aead {
                crate::crypto::suites::AeadAlg::Aes128Gcm => (16, 4),
                crate::crypto::suites::AeadAlg::Aes256Gcm => (32, 4),
                crate::crypto::suites::AeadAlg::ChaCha20Poly1305 => (32, 12),
            };
            assert_eq!(kb.client_write_key.len(), k, "{:?}", suite.suite);
            assert_eq!(kb.server_write_key.len(), k, "{:?}", suite.suite);
            assert_eq!(kb.client_write_iv.len(), iv, "{:?}", suite.suite);
            assert_eq!(kb.server_write_iv.len(), iv, "{:?}", suite.suite);
            assert_ne!(kb.client_write_key, kb.server_write_key);
        }
    }

    /// Key blocks from OpenSSL's KDF with label "key expansion" and seed server_random +
    /// client_random, cut in the RFC 5246 section 6.3 order.
    #[test]
    fn key_block_matches_openssl_and_is_cut_in_rfc_order() {
        let master: [u8; 48] = unhex(MASTER_SHA256).try_into().unwrap();
        let (cr, sr) = (seq32(0x40), seq32(0x80));

        let kb = key_block(&TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, &master, &cr, &sr);
        let raw = unhex(
            "f26cde21e312e000d860d79d375188e113fd026c73bac1f68372b66ce7797285
                         9182cf06a5909fd8",
        );
        assert_eq!(kb.client_write_key, raw[0..16]);
        assert_eq!(kb.server_write_key, raw[16..32]);
        assert_eq!(kb.client_write_iv, raw[32..36]);
        assert_eq!(kb.server_write_iv, raw[36..40]);

        // ChaCha20 (88 bytes) shares the SHA-256 stream: its first 40 bytes equal the above.
        let kb = key_block(
            &TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
            &master,
            &cr,
            &sr,
        );
        let raw = unhex(
            "f26cde21e312e000d860d79d375188e113fd026c73bac1f68372b66ce7797285
             9182cf06a5909fd854ec28756ce906f825239d0847263f43779ab484f52b9a37
             d7a8d97fba4f98f5b1a4f97f5341b9d5dbd5186904743063",
        );
        assert_eq!(kb.client_write_key, raw[0..32]);
        assert_eq!(kb.server_write_key, raw[32..64]);
        assert_eq!(kb.client_write_iv, raw[64..76]);
        assert_eq!(kb.server_write_iv, raw[76..88]);

        let kb = key_block(&TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384, &master, &cr, &sr);
        let raw = unhex(
            "ea5f4c5b082260073455354be9baa9bee0da21b0e7b55873ca7ae7f4c4bcb013
             a8be7cbb2366aa75a96d402cef9cd73386c5dc42e601d27de09c287d98811651
             b52645da7ec3589c",
        );
        assert_eq!(kb.client_write_key, raw[0..32]);
        assert_eq!(kb.server_write_key, raw[32..64]);
        assert_eq!(kb.client_write_iv, raw[64..68]);
        assert_eq!(kb.server_write_iv, raw[68..72]);
    }

    #[test]
    fn verify_data_matches_openssl() {
        let master: [u8; 48] = unhex(MASTER_SHA256).try_into().unwrap();
        let h256 = digest::digest(&digest::SHA256, b"handshake");
        assert_eq!(
            verify_data(HashAlg::Sha256, &master, true, h256.as_ref())[..],
            unhex("525ce6dfba8fc3dcd535b1c0")[..]
        );
        assert_eq!(
            verify_data(HashAlg::Sha256, &master, false, h256.as_ref())[..],
            unhex("a44dd52c3ebe6bfed6152155")[..]
        );
        let h384 = digest::digest(&digest::SHA384, b"handshake");
        assert_eq!(
            verify_data(HashAlg::Sha384, &master, true, h384.as_ref())[..],
            unhex("b9afa24b855f2121621536b2")[..]
        );
    }

    /// Compiles only if `T` implements `ZeroizeOnDrop`.
    fn assert_zeroize_on_drop<T: ZeroizeOnDrop>() {}

    /// Compiles only if `$t` does NOT implement `Clone`: with a `Clone` type both impls of
    /// `NotClone` below apply and the `_` cannot be inferred (E0283).
    macro_rules! assert_not_clone {
        ($t:ty) => {{
            trait NotClone<Which> {
                fn check() {}
            }
            impl<T: ?Sized> NotClone<()> for T {}
            struct IsClone;
            impl<T: ?Sized + Clone> NotClone<IsClone> for T {}
            <$t as NotClone<_>>::check();
        }};
    }

    /// The master secret and the key block wipe themselves when dropped, and cannot be copied
    /// with `Clone` (each copy would be another to wipe). Compile-time: before the change
    /// neither type implemented `ZeroizeOnDrop` and both were `Clone`.
    #[test]
    fn secret_types_are_wiped_on_drop_and_not_clone() {
        assert_zeroize_on_drop::<MasterSecret>();
        assert_zeroize_on_drop::<KeyBlock>();
        assert_not_clone!(MasterSecret);
        assert_not_clone!(KeyBlock);
        // The free functions hand out secrets that wipe themselves too.
        fn zeroize_on_drop<T: ZeroizeOnDrop>(_: &T) {}
        let pm = [1u8; 32];
        zeroize_on_drop(&master_secret(HashAlg::Sha256, &pm, &[2; 32], &[3; 32]));
        zeroize_on_drop(&extended_master_secret(HashAlg::Sha256, &pm, &[4; 32]));
    }

    /// `zeroize` (which `Drop` calls) clears every key and IV of a key block.
    #[test]
    fn key_block_zeroize_clears_every_key_and_iv() {
        for suite in TLS12_CIPHER_SUITES {
            let mut kb = key_block(suite, &[7; 48], &seq32(0x40), &seq32(0x80));
            let fields = |kb: &KeyBlock| {
                [
                    kb.client_write_key.clone(),
                    kb.server_write_key.clone(),
                    kb.client_write_iv.clone(),
                    kb.server_write_iv.clone(),
                ]
            };
            // Control: real key material, not zeros already.
            assert!(fields(&kb).iter().all(|f| f.iter().any(|&b| b != 0)));
            kb.zeroize();
            assert!(
                fields(&kb).iter().all(|f| f.is_empty()),
                "{:?}: {kb:?}",
                suite.suite
            );
        }
    }

    /// Finished verify_data is compared with `handshake::verify_equal` (constant time): equal
    /// passes; a difference in any one byte, or any other length, is `BadFinished`.
    #[test]
    fn finished_comparison_rejects_any_difference() {
        use crate::error::PeerMisbehaved;
        use crate::handshake::negotiation::verify_equal;
        let bad = Err(Error::PeerMisbehaved(PeerMisbehaved::BadFinished));
        let ours = verify_data(HashAlg::Sha256, &[7; 48], true, &[9; 32]);
        let again = verify_data(HashAlg::Sha256, &[7; 48], true, &[9; 32]);
        assert_eq!(verify_equal(&ours, &again), Ok(()));
        for i in 0..ours.len() {
            for bit in 0..8 {
                let mut theirs = ours;
                theirs[i] ^= 1 << bit;
                assert_eq!(verify_equal(&ours, &theirs), bad, "byte {i} bit {bit}");
            }
        }
        assert_eq!(verify_equal(&ours, &ours[..11]), bad, "a prefix");
        assert_eq!(verify_equal(&ours[..11], &ours), bad, "longer");
        assert_eq!(verify_equal(&ours, &[ours, ours].concat()), bad);
        assert_eq!(verify_equal(&ours, &[]), bad, "empty");
    }

    /// RFC 5705 exports, against an independent P_hash (Python's hmac, written from RFC 5246
    /// section 5 and RFC 5705 section 4). Master secret MASTER_SHA256, client random 40..5f,
    /// server random 80..9f, label "EXPORTER-spectls", 40 bytes.
    #[test]
    fn rfc5705_export_matches_independent_computation() {
        let master: [u8; 48] = unhex(MASTER_SHA256).try_into().unwrap();
        let (cr, sr) = (seq32(0x40), seq32(0x80));
        let want = [
            (
                HashAlg::Sha256,
                None,
                "52c6a9a666b1539a520f04a3941f42930ffd8455d924d1c0cac0dbba7e7f766a86a224d1177213f1",
            ),
            (
                HashAlg::Sha256,
                Some(&b""[..]),
                "2d53595c1686c63951cbf00d04b6cdee6156c02c02a35179eccc82844bb580987d94fc45e5548c0a",
            ),
            (
                HashAlg::Sha256,
                Some(&b"abc"[..]),
                "22d740dce9d16ad2e71ef8c3b9a10ea106f4dc2c194696168718e889a684401d94cf998c34578ab2",
            ),
            (
                HashAlg::Sha384,
                None,
                "b91b003e66e82bc9bda45069ee0d8ec94793b61fd2cf29e13722a03c17806904d1822531d071d45a",
            ),
            (
                HashAlg::Sha384,
                Some(&b""[..]),
                "782c8a9bcbbad782a102a4c24d8b1479c27cf55057c6bd3d18721f62cd42e9702bc41ff71f5b0b1a",
            ),
            (
                HashAlg::Sha384,
                Some(&b"abc"[..]),
                "4ab5dfb8b81d1e98145e9bb7517aa22b40b55aac6e7ad747f766a51ead3f5446a096ffec65c9026d",
            ),
        ];
        for (hash, context, hex) in want {
            let mut out = [0u8; 40];
            MasterSecret::new(hash, master)
                .export(&cr, &sr, b"EXPORTER-spectls", context, &mut out)
                .unwrap();
            assert_eq!(out[..], unhex(hex)[..], "{hash:?} {context:?}");
            // The connection's exporter gives the same bytes.
            let mut again = [0u8; 40];
            Exporter::new(MasterSecret::new(hash, master), cr, sr)
                .export(b"EXPORTER-spectls", context, &mut again)
                .unwrap();
            assert_eq!(again, out);
        }
    }

    /// The labels TLS uses itself are refused, exactly (a longer or shorter label is not
    /// reserved), and so is a context whose length does not fit its uint16.
    #[test]
    fn rfc5705_reserved_labels_and_long_contexts_are_refused() {
        let master = MasterSecret::new(HashAlg::Sha256, [7; 48]);
        let mut out = [0u8; 16];
        // The list is RFC 5705's four and RFC 7627's one.
        let rfc: [&[u8]; 5] = [
            b"client finished",
            b"server finished",
            b"master secret",
            b"key expansion",
            b"extended master secret",
        ];
        assert_eq!(RESERVED_EXPORTER_LABELS, rfc);
        for label in RESERVED_EXPORTER_LABELS {
            for context in [None, Some(&b""[..]), Some(&b"x"[..])] {
                assert!(
                    matches!(
                        master.export(&[1; 32], &[2; 32], label, context, &mut out),
                        Err(Error::ApiMisuse(_))
                    ),
                    "{label:?}"
                );
            }
        }
        assert_eq!(out, [0; 16], "nothing written on refusal");
        for label in [
            &b"master secrets"[..],
            b"key expansio",
            b"Client finished",
            b"",
        ] {
            master
                .export(&[1; 32], &[2; 32], label, None, &mut out)
                .unwrap();
        }
        let long = vec![0u8; 65536];
        assert!(matches!(
            master.export(&[1; 32], &[2; 32], b"EXPORTER-x", Some(&long), &mut out),
            Err(Error::ApiMisuse(_))
        ));
        master
            .export(
                &[1; 32],
                &[2; 32],
                b"EXPORTER-x",
                Some(&long[1..]),
                &mut out,
            )
            .unwrap();
    }

    #[test]
    fn debug_output_hides_secrets() {
        let kb = key_block(
            &TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
            &[0xab; 48],
            &[1; 32],
            &[2; 32],
        );
        let s = format!("{kb:?}");
        // No byte list is printed, only lengths.
        assert!(!s.contains('['), "{s}");
        assert!(s.contains("client_write_key: 16"), "{s}");
    }
}
