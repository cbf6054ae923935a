//! TLS 1.3 key shares: plain ECDHE ([`KeyExchange`]) or a post-quantum hybrid of ML-KEM-768
//! (FIPS 203) with ECDHE, draft-ietf-tls-ecdhe-mlkem: X25519MLKEM768 and SecP256r1MLKEM768.
//!
//! The wire layouts of the hybrid shares are the schema's (`schema/draft-ietf-tls-ecdhe-mlkem.tls`);
//! this module only computes. ML-KEM is RustCrypto's `ml-kem`, used through its deterministic
//! entry points with seeds from the connection's [`Randomness`] (ring's `SystemRandom`), so one
//! random source serves the whole handshake.
//!
//! What a peer can get wrong, and what it costs it:
//! - a share of the wrong length (client or server, either group), an encapsulation key that
//!   fails FIPS 203 section 7.2's modulus check (`ml-kem` decodes every 12-bit coefficient and
//!   refuses one >= 3329: ByteEncode12(ByteDecode12(ek)) == ek), an ECDH part that is not a
//!   valid point or gives X25519's all-zero secret: [`PeerMisbehaved::InvalidKeyShare`],
//!   `illegal_parameter` (draft section 3.1.2, 3.1.3);
//! - a ciphertext of the right length that is not one we can decapsulate: ML-KEM's implicit
//!   rejection gives a pseudo-random secret, in constant time (FIPS 203 algorithm 18), never an
//!   error. The keys are then wrong and the handshake fails as it does for any wrong key (our
//!   peer's encrypted flight does not open: `bad_record_mac`), with no alert and no timing of
//!   its own.

use crate::codec::{Codec, Encode};
use crate::crypto::kx::{KeyExchange, Randomness};
use crate::error::PeerMisbehaved;
use crate::wire::{
    NamedCurve, SecP256r1MLKEM768ClientShare, SecP256r1MLKEM768ServerShare,
    X25519MLKEM768ClientShare, X25519MLKEM768ServerShare,
};
use crate::Error;
use ml_kem::kem::{Decapsulate, KeyExport};
use ml_kem::{DecapsulationKey, EncapsulationKey, MlKem768, Seed, B32};
use std::fmt;
use zeroize::{Zeroize, Zeroizing};

/// Whether `group` is one of the hybrid post-quantum groups spectls implements (TLS 1.3 only).
pub fn is_hybrid(group: NamedCurve) -> bool {
    matches!(
        group,
        NamedCurve::X25519MLKEM768 | NamedCurve::SecP256r1MLKEM768
    )
}

/// The ECDHE half of a hybrid group (`None` for other groups).
pub(crate) fn classical_half(group: NamedCurve) -> Option<NamedCurve> {
    match group {
        NamedCurve::X25519MLKEM768 => Some(NamedCurve::X25519),
        NamedCurve::SecP256r1MLKEM768 => Some(NamedCurve::Secp256r1),
        _ => None,
    }
}

/// The sizes of a group's TLS 1.3 key_exchange values: (client share, server share), in bytes.
/// `None` for groups spectls does not implement.
pub fn share_lengths(group: NamedCurve) -> Option<(usize, usize)> {
    Some(match group {
        NamedCurve::X25519 => (32, 32),
        NamedCurve::Secp256r1 => (65, 65),
        NamedCurve::Secp384r1 => (97, 97),
        // Draft sections 3.1.1 and 3.1.2: 1184 + 32, 1088 + 32.
        NamedCurve::X25519MLKEM768 => (1216, 1120),
        // 65 + 1184, 65 + 1088.
        NamedCurve::SecP256r1MLKEM768 => (1249, 1153),
        _ => return None,
    })
}

/// The hybrid part a client keeps until the ServerHello: the ML-KEM decapsulation key (wiped on
/// drop by `ml-kem`) and the ECDHE key pair.
struct HybridClient {
    group: NamedCurve,
    dk: Box<DecapsulationKey<MlKem768>>,
    ecdhe: KeyExchange,
    /// The encoded client share (schema layout).
    share: Vec<u8>,
}

/// A TLS 1.3 client's key share for one group, kept until the ServerHello completes it.
pub struct ClientKeyShare(Inner);

enum Inner {
    Ecdhe(KeyExchange),
    Hybrid(HybridClient),
}

impl ClientKeyShare {
    /// A fresh key share for `group` from the system random source. Groups spectls does not
    /// implement are [`PeerIncompatible::NoGroupInCommon`].
    pub fn start(group: NamedCurve) -> Result<Self, Error> {
        Randomness::System.client_key_share(group)
    }

    pub(crate) fn start_with(group: NamedCurve, randomness: &Randomness) -> Result<Self, Error> {
        let Some(classical) = classical_half(group) else {
            return Ok(ClientKeyShare(Inner::Ecdhe(
                randomness.key_exchange(group)?,
            )));
        };
        // FIPS 203 algorithm 19 (ML-KEM.KeyGen): d and z, 32 random bytes each; the seed is d || z.
        let seed = Zeroizing::new(randomness.bytes::<64>()?);
        let dk = Box::new(DecapsulationKey::<MlKem768>::from_seed(Seed::from(*seed)));
        let ecdhe = randomness.key_exchange(classical)?;
        let ek = dk.encapsulation_key().to_bytes();
        let ecdh_public = ecdhe.public_key();
        let internal = |_| Error::Internal("hybrid key share sizes".into());
        let mut share = Vec::new();
        match group {
            NamedCurve::X25519MLKEM768 => X25519MLKEM768ClientShare {
                mlkem_encapsulation_key: ek.into(),
                x25519_share: ecdh_public.try_into().map_err(internal)?,
            }
            .encode(&mut share),
            _ => SecP256r1MLKEM768ClientShare {
                secp256r1_share: ecdh_public.try_into().map_err(internal)?,
                mlkem_encapsulation_key: ek.into(),
            }
            .encode(&mut share),
        }
        Ok(ClientKeyShare(Inner::Hybrid(HybridClient {
            group,
            dk,
            ecdhe,
            share,
        })))
    }

    /// The group of this share.
    pub fn group(&self) -> NamedCurve {
        match &self.0 {
            Inner::Ecdhe(kx) => kx.group(),
            Inner::Hybrid(h) => h.group,
        }
    }

    /// The key_exchange value of our KeyShareEntry.
    pub fn public_key(&self) -> &[u8] {
        match &self.0 {
            Inner::Ecdhe(kx) => kx.public_key(),
            Inner::Hybrid(h) => &h.share,
        }
    }

    /// Completes the exchange with the server's key_exchange value: the shared secret that
    /// enters the key schedule (RFC 8446 7.4; for a hybrid, draft section 3.1.3's
    /// concatenation). A server share of the wrong length or a bad ECDH part is
    /// [`PeerMisbehaved::InvalidKeyShare`]; a bad ML-KEM ciphertext is not detected here
    /// (implicit rejection, see the module documentation).
    pub fn complete(self, server_share: &[u8]) -> Result<Zeroizing<Vec<u8>>, Error> {
        let h = match self.0 {
            Inner::Ecdhe(kx) => return kx.complete(server_share),
            Inner::Hybrid(h) => h,
        };
        let invalid = |_| Error::PeerMisbehaved(PeerMisbehaved::InvalidKeyShare);
        match h.group {
            NamedCurve::X25519MLKEM768 => {
                let s = X25519MLKEM768ServerShare::from_bytes(server_share).map_err(invalid)?;
                let ecdh = h.ecdhe.complete(&s.x25519_share)?;
                let kem = decapsulate(&h.dk, s.mlkem_ciphertext);
                // Section 3.1.3: ML-KEM secret, then X25519 secret.
                Ok(concat(kem.as_slice(), &ecdh))
            }
            _ => {
                let s = SecP256r1MLKEM768ServerShare::from_bytes(server_share).map_err(invalid)?;
                let ecdh = h.ecdhe.complete(&s.secp256r1_share)?;
                let kem = decapsulate(&h.dk, s.mlkem_ciphertext);
                // Section 3.1.3: ECDH secret (the x-coordinate), then ML-KEM secret.
                Ok(concat(&ecdh, kem.as_slice()))
            }
        }
    }
}

impl fmt::Debug for ClientKeyShare {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientKeyShare")
            .field("group", &self.group())
            .finish_non_exhaustive()
    }
}

/// ML-KEM.Decaps (FIPS 203 algorithm 21): never fails for a ciphertext of the right length.
fn decapsulate(dk: &DecapsulationKey<MlKem768>, ct: [u8; 1088]) -> Zeroizing<[u8; 32]> {
    let mut k = dk.decapsulate(&ct.into());
    let out = Zeroizing::new(k.into());
    k.zeroize();
    out
}

fn concat(first: &[u8], second: &[u8]) -> Zeroizing<Vec<u8>> {
    let mut out = Zeroizing::new(Vec::with_capacity(first.len() + second.len()));
    out.extend_from_slice(first);
    out.extend_from_slice(second);
    out
}

/// A server's side of a TLS 1.3 key exchange for `group`, given the client's key_exchange
/// value: our key_exchange value and the shared secret. For a hybrid group this is ML-KEM
/// encapsulation to the client's key (after FIPS 203 7.2's checks) and ECDHE.
///
/// A client share of the wrong length, an encapsulation key that fails the modulus check, or a
/// bad ECDH part is [`PeerMisbehaved::InvalidKeyShare`] (`illegal_parameter`).
pub fn server_key_share(
    group: NamedCurve,
    client_share: &[u8],
) -> Result<(Vec<u8>, Zeroizing<Vec<u8>>), Error> {
    server_key_share_with(group, client_share, &Randomness::System)
}

pub(crate) fn server_key_share_with(
    group: NamedCurve,
    client_share: &[u8],
    randomness: &Randomness,
) -> Result<(Vec<u8>, Zeroizing<Vec<u8>>), Error> {
    let Some(classical) = classical_half(group) else {
        let kx = randomness.key_exchange(group)?;
        let ours = kx.public_key().to_vec();
        return Ok((ours, kx.complete(client_share)?));
    };
    let invalid = |_| Error::PeerMisbehaved(PeerMisbehaved::InvalidKeyShare);
    let internal = |_| Error::Internal("hybrid key share sizes".into());
    let (ek, peer_ecdh) = match group {
        NamedCurve::X25519MLKEM768 => {
            let s = X25519MLKEM768ClientShare::from_bytes(client_share).map_err(invalid)?;
            (s.mlkem_encapsulation_key, s.x25519_share.to_vec())
        }
        _ => {
            let s = SecP256r1MLKEM768ClientShare::from_bytes(client_share).map_err(invalid)?;
            (s.mlkem_encapsulation_key, s.secp256r1_share.to_vec())
        }
    };
    // FIPS 203 7.2: the type check is the exact length above; `EncapsulationKey::new` does the
    // modulus check (every coefficient below q = 3329) and refuses the key otherwise.
    let ek = EncapsulationKey::<MlKem768>::new(&ek.into())
        .map_err(|_| Error::PeerMisbehaved(PeerMisbehaved::InvalidKeyShare))?;
    let kx = randomness.key_exchange(classical)?;
    let ecdh_public = kx.public_key().to_vec();
    let ecdh = kx.complete(&peer_ecdh)?;
    // FIPS 203 algorithm 20 (ML-KEM.Encaps): m, 32 random bytes.
    let m = Zeroizing::new(randomness.bytes::<32>()?);
    let (ct, mut k) = ek.encapsulate_deterministic(&B32::from(*m));
    let kem = Zeroizing::new(<[u8; 32]>::from(k));
    k.zeroize();
    let mut share = Vec::new();
    let secret = match group {
        NamedCurve::X25519MLKEM768 => {
            X25519MLKEM768ServerShare {
                mlkem_ciphertext: ct.into(),
                x25519_share: ecdh_public.as_slice().try_into().map_err(internal)?,
            }
            .encode(&mut share);
            concat(kem.as_slice(), &ecdh)
        }
        _ => {
            SecP256r1MLKEM768ServerShare {
                secp256r1_share: ecdh_public.as_slice().try_into().map_err(internal)?,
                mlkem_ciphertext: ct.into(),
            }
            .encode(&mut share);
            concat(&ecdh, kem.as_slice())
        }
    };
    Ok((share, secret))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::unhex;

    /// `name = hex` lines of a vector file in tests/data/mlkem (README.md there names the source).
    fn vector(file: &str, name: &str) -> Vec<u8> {
        file.lines()
            .filter(|l| !l.starts_with('#'))
            .find_map(|l| l.strip_prefix(name)?.strip_prefix(" = "))
            .map(unhex)
            .unwrap()
    }

    const STRCMP: &str = include_str!("../../tests/data/mlkem/strcmp.txt");
    const MODULUS: &str = include_str!("../../tests/data/mlkem/modulus.txt");

    fn invalid<T: fmt::Debug>(r: Result<T, Error>) -> bool {
        matches!(
            r,
            Err(Error::PeerMisbehaved(PeerMisbehaved::InvalidKeyShare))
        )
    }

    /// A client share whose ML-KEM seed and X25519 key are the given draws.
    fn scripted_client(group: NamedCurve, seed: &[u8], ecdh_len: usize) -> ClientKeyShare {
        let r = Randomness::scripted(vec![seed.to_vec(), vec![7; ecdh_len]]);
        ClientKeyShare::start_with(group, &r).unwrap()
    }

    /// FIPS 203 KeyGen and Decaps through the key share code: the seed gives the vector's ek
    /// (the first 1184 bytes of our X25519MLKEM768 share), and its ciphertext decapsulates to
    /// its K (the first half of the hybrid secret).
    #[test]
    fn wycheproof_keygen_and_decaps_kat() {
        let seed = vector(STRCMP, "seed");
        let client = scripted_client(NamedCurve::X25519MLKEM768, &seed, 32);
        let share = client.public_key().to_vec();
        assert_eq!(share.len(), 1216);
        assert_eq!(&share[..1184], vector(STRCMP, "ek").as_slice());
        // The X25519 part is the public key of the scripted scalar, after the ek.
        let x = Randomness::scripted(vec![vec![7; 32]])
            .key_exchange(NamedCurve::X25519)
            .unwrap();
        assert_eq!(&share[1184..], x.public_key());
        let server = KeyExchange::start(NamedCurve::X25519).unwrap();
        let server_public = server.public_key().to_vec();
        let ecdh = server.complete(&share[1184..]).unwrap();
        let server_share = [vector(STRCMP, "c"), server_public].concat();
        let secret = client.complete(&server_share).unwrap();
        assert_eq!(secret.len(), 64);
        assert_eq!(&secret[..32], vector(STRCMP, "K").as_slice());
        assert_eq!(&secret[32..], ecdh.as_slice());
    }

    /// SecP256r1MLKEM768 puts the ECDH share first, the ek second (draft 3.1.1), and the ECDH
    /// secret first in the shared secret (3.1.3).
    #[test]
    fn secp256r1_hybrid_layout_and_secret_order() {
        let seed = vector(STRCMP, "seed");
        let client = scripted_client(NamedCurve::SecP256r1MLKEM768, &seed, 32);
        let share = client.public_key().to_vec();
        assert_eq!(share.len(), 1249);
        assert_eq!(share[0], 4, "uncompressed point first");
        assert_eq!(&share[65..], vector(STRCMP, "ek").as_slice());
        let server = KeyExchange::start(NamedCurve::Secp256r1).unwrap();
        let server_public = server.public_key().to_vec();
        let ecdh = server.complete(&share[..65]).unwrap();
        let server_share = [server_public, vector(STRCMP, "c")].concat();
        assert_eq!(server_share.len(), 1153);
        let secret = client.complete(&server_share).unwrap();
        assert_eq!(&secret[..32], ecdh.as_slice());
        assert_eq!(&secret[32..], vector(STRCMP, "K").as_slice());
    }

    const PQ_CRYSTALS: &str = include_str!("../../tests/data/mlkem/pq-crystals.txt");
    const UNLUCKY_SAMPLE: &str = include_str!("../../tests/data/mlkem/unluckysample.txt");
    const KEYGEN: &str = include_str!("../../tests/data/mlkem/keygen.txt");
    const ACVP_ENCAPS: &str = include_str!("../../tests/data/mlkem/acvp-encaps.txt");

    /// Every `name = hex` value of a vector file, in file order.
    fn vectors(file: &str, name: &str) -> Vec<Vec<u8>> {
        file.lines()
            .filter(|l| !l.starts_with('#'))
            .filter_map(|l| l.strip_prefix(name)?.strip_prefix(" = "))
            .map(unhex)
            .collect()
    }

    /// The known-answer vectors for FIPS 203 (final) KeyGen from the seed d || z and Decaps
    /// (README.md in tests/data/mlkem names each source).
    const SEEDED: [(&str, &str); 2] = [
        ("CCTV unluckysample", UNLUCKY_SAMPLE),
        ("Wycheproof mlkem_768_test tcId 1", STRCMP),
    ];

    /// The known-answer vectors for Encaps from ek and m. pq-crystals' vector was made for
    /// the FIPS 203 draft, whose KeyGen differs (no domain separator in G(d)) but whose Encaps
    /// is the standard's: its ek, m, c and K serve here, its seed does not.
    const ENCAPS: [(&str, &str); 2] = [
        ("CCTV pq-crystals", PQ_CRYSTALS),
        ("CCTV unluckysample", UNLUCKY_SAMPLE),
    ];

    const HYBRIDS: [NamedCurve; 2] = [NamedCurve::X25519MLKEM768, NamedCurve::SecP256r1MLKEM768];

    /// The ML-KEM part of a hybrid key_exchange value (client: ek, server: ciphertext) and the
    /// ECDH part, in the draft's layout (section 3.1.1, 3.1.2): X25519MLKEM768 puts ML-KEM
    /// first, SecP256r1MLKEM768 the 65-byte point first.
    fn split_share(group: NamedCurve, share: &[u8]) -> (&[u8], &[u8]) {
        match group {
            NamedCurve::X25519MLKEM768 => {
                let (kem, ecdh) = share.split_at(share.len() - 32);
                (kem, ecdh)
            }
            _ => {
                let (ecdh, kem) = share.split_at(65);
                (kem, ecdh)
            }
        }
    }

    /// The inverse of [`split_share`].
    fn join_share(group: NamedCurve, kem: &[u8], ecdh: &[u8]) -> Vec<u8> {
        match group {
            NamedCurve::X25519MLKEM768 => [kem, ecdh].concat(),
            _ => [ecdh, kem].concat(),
        }
    }

    /// The (ML-KEM, ECDH) halves of a hybrid shared secret, in the draft's order (section
    /// 3.1.3): ML-KEM's first for X25519MLKEM768, the ECDH secret first for SecP256r1MLKEM768.
    fn split_secret(group: NamedCurve, secret: &[u8]) -> (&[u8], &[u8]) {
        assert_eq!(secret.len(), 64, "{group}");
        let (first, second) = secret.split_at(32);
        match group {
            NamedCurve::X25519MLKEM768 => (first, second),
            _ => (second, first),
        }
    }

    /// FIPS 203 ML-KEM.KeyGen_internal(d, z) through the ClientHello share: with the seed as the
    /// share's first draw, the ML-KEM half of our key_exchange value is the vector's ek, for
    /// both hybrids, and the ECDH half is the public key of the scripted ECDH draw.
    #[test]
    fn kat_keygen_gives_the_client_share_ek() {
        let mut cases: Vec<(String, Vec<u8>, Vec<u8>)> = SEEDED
            .iter()
            .map(|(source, file)| (source.to_string(), vector(file, "seed"), vector(file, "ek")))
            .collect();
        let (seeds, keys) = (vectors(KEYGEN, "seed"), vectors(KEYGEN, "ek"));
        assert_eq!((seeds.len(), keys.len()), (2, 2));
        for (i, (seed, ek)) in seeds.into_iter().zip(keys).enumerate() {
            cases.push((format!("Wycheproof keygen_seed tcId {}", i + 1), seed, ek));
        }
        let mut checked = 0;
        for (source, seed, ek) in cases {
            assert_eq!((seed.len(), ek.len()), (64, 1184), "{source}");
            for group in HYBRIDS {
                let client = scripted_client(group, &seed, 32);
                let share = client.public_key();
                assert_eq!(share.len(), share_lengths(group).unwrap().0);
                let (kem, ecdh) = split_share(group, share);
                assert_eq!(kem, ek.as_slice(), "{source} {group}");
                let ours = Randomness::scripted(vec![vec![7; 32]])
                    .key_exchange(classical_half(group).unwrap())
                    .unwrap();
                assert_eq!(ecdh, ours.public_key(), "{source} {group}");
                checked += 1;
            }
        }
        assert_eq!(checked, 8);
    }

    /// FIPS 203 ML-KEM.Encaps_internal(ek, m) through the ServerHello share: a client share
    /// carrying the vector's ek, a server whose randomness is scripted (its ECDH key, then m)
    /// gives the vector's ciphertext in its share and its K in the ML-KEM half of the shared
    /// secret; where the vector has the KeyGen seed, the client completes to the same secret.
    #[test]
    fn kat_encaps_gives_the_server_share_ciphertext_and_secret() {
        /// One Encaps vector: its source, the file it is in, ek, m, c and K.
        struct Case {
            source: String,
            file: &'static str,
            values: [Vec<u8>; 4],
        }
        let mut cases: Vec<Case> = ENCAPS
            .iter()
            .map(|(source, file)| Case {
                source: source.to_string(),
                file,
                values: ["ek", "m", "c", "K"].map(|name| vector(file, name)),
            })
            .collect();
        let [eks, ms, cs, ks] = ["ek", "m", "c", "K"].map(|name| vectors(ACVP_ENCAPS, name));
        assert_eq!([eks.len(), ms.len(), cs.len(), ks.len()], [3; 4]);
        let acvp = eks.into_iter().zip(ms).zip(cs).zip(ks);
        for (tc_id, (((ek, m), c), k)) in (26..).zip(acvp) {
            cases.push(Case {
                source: format!("ACVP encapDecap tcId {tc_id}"),
                file: ACVP_ENCAPS,
                values: [ek, m, c, k],
            });
        }
        let mut checked = 0;
        for Case {
            source,
            file,
            values: [ek, m, c, k],
        } in cases
        {
            for group in HYBRIDS {
                let classical = classical_half(group).unwrap();
                let peer = Randomness::scripted(vec![vec![9; 32]])
                    .key_exchange(classical)
                    .unwrap();
                let client_share = join_share(group, &ek, peer.public_key());
                let server = Randomness::scripted(vec![vec![5; 32], m.clone()]);
                let (server_share, secret) =
                    server_key_share_with(group, &client_share, &server).unwrap();
                assert_eq!(server_share.len(), share_lengths(group).unwrap().1);
                let (ct, server_ecdh) = split_share(group, &server_share);
                assert_eq!(ct, c.as_slice(), "{source} {group}: ciphertext");
                let ours = Randomness::scripted(vec![vec![5; 32]])
                    .key_exchange(classical)
                    .unwrap();
                assert_eq!(server_ecdh, ours.public_key(), "{source} {group}");
                let (kem_secret, ecdh_secret) = split_secret(group, &secret);
                assert_eq!(kem_secret, k.as_slice(), "{source} {group}: K");
                assert_eq!(
                    ecdh_secret,
                    peer.complete(server_ecdh).unwrap().as_slice(),
                    "{source} {group}: ECDH half"
                );
                // A client that owns the ek (KeyGen from a FIPS 203 seed) agrees on all 64 bytes.
                if SEEDED.iter().any(|(_, f)| *f == file) {
                    let seed = vector(file, "seed");
                    let client = Randomness::scripted(vec![seed, vec![9; 32]])
                        .client_key_share(group)
                        .unwrap();
                    assert_eq!(client.public_key(), client_share.as_slice());
                    assert_eq!(client.complete(&server_share).unwrap(), secret);
                }
                checked += 1;
            }
        }
        assert_eq!(checked, 10);
    }

    /// FIPS 203 ML-KEM.Decaps through the client's completion: the client made from the seed
    /// gets the vector's K from its ciphertext in the ServerHello share, with the ECDH half
    /// beside it. Wycheproof's strcmp vector is an implicit rejection (its ciphertext is not
    /// the re-encryption, which differs from it only after a zero byte): no error, and the
    /// ML-KEM half is its rejection secret K-bar = J(z || c).
    #[test]
    fn kat_decaps_gives_k_and_implicit_rejection_gives_k_bar() {
        let mut checked = 0;
        for (source, file) in SEEDED {
            let (seed, c, k) = (vector(file, "seed"), vector(file, "c"), vector(file, "K"));
            for group in HYBRIDS {
                let client = scripted_client(group, &seed, 32);
                let (_, client_ecdh) = split_share(group, client.public_key());
                let server = KeyExchange::start(classical_half(group).unwrap()).unwrap();
                let server_share = join_share(group, &c, server.public_key());
                let ecdh = server.complete(client_ecdh).unwrap();
                let secret = client.complete(&server_share).unwrap();
                let (kem_secret, ecdh_secret) = split_secret(group, &secret);
                assert_eq!(kem_secret, k.as_slice(), "{source} {group}");
                assert_eq!(ecdh_secret, ecdh.as_slice(), "{source} {group}");
                checked += 1;
            }
        }
        assert_eq!(checked, 2 * SEEDED.len());
    }

    /// All of Wycheproof's ML-KEM-768 modulus-overflow encapsulation keys (tcId 2 to 13) are
    /// refused by the server's share code, in both hybrid layouts, with a valid ECDH half:
    /// `PeerMisbehaved::InvalidKeyShare` (illegal_parameter).
    #[test]
    fn kat_modulus_overflow_keys_are_invalid_key_shares() {
        let keys = vectors(MODULUS, "ek");
        assert_eq!(keys.len(), 12);
        for (i, ek) in keys.iter().enumerate() {
            assert_eq!(ek.len(), 1184);
            for group in HYBRIDS {
                let peer = KeyExchange::start(classical_half(group).unwrap()).unwrap();
                let share = join_share(group, ek, peer.public_key());
                assert_eq!(share.len(), share_lengths(group).unwrap().0);
                assert!(
                    invalid(server_key_share(group, &share)),
                    "tcId {} {group}",
                    i + 2
                );
            }
        }
    }

    #[test]
    fn both_groups_agree_with_the_lengths_of_the_draft() {
        for group in [NamedCurve::X25519MLKEM768, NamedCurve::SecP256r1MLKEM768] {
            let (client_len, server_len) = share_lengths(group).unwrap();
            let client = ClientKeyShare::start(group).unwrap();
            assert_eq!(client.group(), group);
            assert_eq!(client.public_key().len(), client_len);
            let (server_share, server_secret) =
                server_key_share(group, client.public_key()).unwrap();
            assert_eq!(server_share.len(), server_len);
            let client_secret = client.complete(&server_share).unwrap();
            assert_eq!(client_secret.len(), 64);
            assert_eq!(client_secret, server_secret, "{group}");
        }
    }

    #[test]
    fn wrong_lengths_are_invalid_key_shares() {
        for group in [NamedCurve::X25519MLKEM768, NamedCurve::SecP256r1MLKEM768] {
            let (client_len, server_len) = share_lengths(group).unwrap();
            let client = ClientKeyShare::start(group).unwrap();
            let good = client.public_key().to_vec();
            for len in [
                0,
                1,
                32,
                65,
                client_len - 1,
                client_len + 1,
                1184,
                2 * client_len,
            ] {
                let mut bad = good.clone();
                bad.resize(len, 0x42);
                assert!(invalid(server_key_share(group, &bad)), "{group} {len}");
            }
            let (server_share, _) = server_key_share(group, &good).unwrap();
            for len in [0, 32, 1088, server_len - 1, server_len + 1] {
                let mut bad = server_share.clone();
                bad.resize(len, 0x42);
                let client = ClientKeyShare::start(group).unwrap();
                assert!(invalid(client.complete(&bad)), "{group} {len}");
            }
        }
    }

    /// FIPS 203 7.2: a coefficient of q or more in the encapsulation key is refused, checked by
    /// the Wycheproof vector and by editing our own key's first coefficient (12 bits, little
    /// endian over the first byte and a half): 3328 passes, 3329 and 4095 do not.
    #[test]
    fn encapsulation_key_modulus_check() {
        let x = KeyExchange::start(NamedCurve::X25519).unwrap();
        let share = [vector(MODULUS, "ek"), x.public_key().to_vec()].concat();
        assert!(invalid(server_key_share(
            NamedCurve::X25519MLKEM768,
            &share
        )));
        let good = ClientKeyShare::start(NamedCurve::X25519MLKEM768)
            .unwrap()
            .public_key()
            .to_vec();
        let with_first_coefficient = |c: u16| {
            let mut s = good.clone();
            s[0] = (c & 0xff) as u8;
            s[1] = (s[1] & 0xf0) | (c >> 8) as u8;
            s
        };
        for (c, ok) in [(0, true), (3328, true), (3329, false), (4095, false)] {
            let r = server_key_share(NamedCurve::X25519MLKEM768, &with_first_coefficient(c));
            assert_eq!(r.is_ok(), ok, "coefficient {c}");
            if !ok {
                assert!(invalid(r));
            }
        }
        // The same in the P-256 layout, where the ek starts after the point.
        let p = ClientKeyShare::start(NamedCurve::SecP256r1MLKEM768).unwrap();
        let mut bad = p.public_key().to_vec();
        bad[65] = 0xff;
        bad[66] |= 0x0f;
        assert!(invalid(server_key_share(
            NamedCurve::SecP256r1MLKEM768,
            &bad
        )));
    }

    /// A tampered ciphertext is no error (implicit rejection): the secrets just differ.
    #[test]
    fn tampered_ciphertext_gives_another_secret_not_an_error() {
        let client = ClientKeyShare::start(NamedCurve::X25519MLKEM768).unwrap();
        let (mut share, server_secret) =
            server_key_share(NamedCurve::X25519MLKEM768, client.public_key()).unwrap();
        share[100] ^= 1;
        let client_secret = client.complete(&share).unwrap();
        assert_ne!(client_secret[..32], server_secret[..32]);
        assert_eq!(
            client_secret[32..],
            server_secret[32..],
            "X25519 half agrees"
        );
    }

    /// The ECDH half is checked as for plain ECDHE: an all-zero X25519 point or a P-256 point
    /// off the curve is an invalid key share, on either side.
    #[test]
    fn bad_ecdh_halves_are_invalid() {
        let client = ClientKeyShare::start(NamedCurve::X25519MLKEM768).unwrap();
        let mut share = client.public_key().to_vec();
        share[1184..].fill(0);
        assert!(invalid(server_key_share(
            NamedCurve::X25519MLKEM768,
            &share
        )));
        let (mut server_share, _) =
            server_key_share(NamedCurve::X25519MLKEM768, client.public_key()).unwrap();
        server_share[1088..].fill(0);
        assert!(invalid(client.complete(&server_share)));

        let client = ClientKeyShare::start(NamedCurve::SecP256r1MLKEM768).unwrap();
        let mut share = client.public_key().to_vec();
        share[64] ^= 1;
        assert!(invalid(server_key_share(
            NamedCurve::SecP256r1MLKEM768,
            &share
        )));
    }

    #[test]
    fn classical_groups_pass_through_and_others_are_refused() {
        for group in [
            NamedCurve::X25519,
            NamedCurve::Secp256r1,
            NamedCurve::Secp384r1,
        ] {
            let client = ClientKeyShare::start(group).unwrap();
            let (server_share, secret) = server_key_share(group, client.public_key()).unwrap();
            assert_eq!(client.complete(&server_share).unwrap(), secret);
            assert!(!is_hybrid(group));
        }
        assert!(is_hybrid(NamedCurve::X25519MLKEM768) && is_hybrid(NamedCurve::SecP256r1MLKEM768));
        assert!(ClientKeyShare::start(NamedCurve::SecP384r1MLKEM1024).is_err());
        assert_eq!(share_lengths(NamedCurve::SecP384r1MLKEM1024), None);
        let k = ClientKeyShare::start(NamedCurve::X25519MLKEM768).unwrap();
        assert_eq!(
            format!("{k:?}"),
            "ClientKeyShare { group: X25519MLKEM768, .. }"
        );
        assert_eq!(NamedCurve::X25519MLKEM768.to_string(), "X25519MLKEM768");
        assert_eq!(
            NamedCurve::SecP256r1MLKEM768.to_string(),
            "SecP256r1MLKEM768"
        );
        assert_eq!(NamedCurve::X25519MLKEM768.value(), 0x11ec);
        assert_eq!(NamedCurve::SecP256r1MLKEM768.value(), 0x11eb);
    }
}
