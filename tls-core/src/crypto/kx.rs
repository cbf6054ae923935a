//! Ephemeral ECDHE key exchange (RFC 8422) over X25519, secp256r1 and secp384r1, the groups
//! spectls offers (with the TLS 1.3 hybrids of `hybrid`), and the system random source.

use crate::error::{PeerIncompatible, PeerMisbehaved};
use crate::wire::NamedCurve;
use crate::Error;
use ring::agreement;
use ring::rand::{SecureRandom, SystemRandom};
use std::collections::VecDeque;
use std::fmt;
use std::sync::{Arc, Mutex};
use zeroize::Zeroizing;

/// The groups a client offers by default (supported_groups), in preference order:
/// X25519MLKEM768 (post-quantum hybrid, TLS 1.3 only: draft-ietf-tls-ecdhe-mlkem), then X25519
/// (fast, constant-time by design), secp256r1, secp384r1. A TLS 1.3 client sends key shares for
/// the first group and, when that is a hybrid whose classical half is listed, for that half too
/// (X25519 here: one round trip with servers that know either). SecP256r1MLKEM768 is implemented but not offered by default,
/// as browsers and rustls do: [`ALL_GROUPS`] has it, for `with_groups`.
pub static SUPPORTED_GROUPS: &[NamedCurve] = &[
    NamedCurve::X25519MLKEM768,
    NamedCurve::X25519,
    NamedCurve::Secp256r1,
    NamedCurve::Secp384r1,
];

/// The groups a server accepts by default, in its preference order: the hybrids first (TLS 1.3
/// only; a TLS 1.2 handshake skips them), then X25519, secp256r1, secp384r1.
pub static SERVER_GROUPS: &[NamedCurve] = &[
    NamedCurve::X25519MLKEM768,
    NamedCurve::SecP256r1MLKEM768,
    NamedCurve::X25519,
    NamedCurve::Secp256r1,
    NamedCurve::Secp384r1,
];

/// Every group spectls implements: what `with_groups` accepts.
pub static ALL_GROUPS: &[NamedCurve] = SERVER_GROUPS;

fn algorithm(group: NamedCurve) -> Option<&'static agreement::Algorithm> {
    match group {
        NamedCurve::X25519 => Some(&agreement::X25519),
        NamedCurve::Secp256r1 => Some(&agreement::ECDH_P256),
        NamedCurve::Secp384r1 => Some(&agreement::ECDH_P384),
        _ => None,
    }
}

/// One side of an ECDHE exchange: a fresh private key, used once by [`KeyExchange::complete`].
///
/// The private key is ring's `EphemeralPrivateKey`, which ring does not let us wipe; using it
/// consumes it, so it lives no longer than the handshake step that completes the exchange.
pub struct KeyExchange {
    group: NamedCurve,
    alg: &'static agreement::Algorithm,
    private: agreement::EphemeralPrivateKey,
    public: agreement::PublicKey,
}

impl KeyExchange {
    /// Generates a key pair for `group`. Groups other than X25519, secp256r1 and secp384r1 are
    /// [`PeerIncompatible::NoGroupInCommon`].
    pub fn start(group: NamedCurve) -> Result<Self, Error> {
        Self::start_with(group, &SystemRandom::new())
    }

    fn start_with(group: NamedCurve, rng: &dyn SecureRandom) -> Result<Self, Error> {
        let alg =
            algorithm(group).ok_or(Error::PeerIncompatible(PeerIncompatible::NoGroupInCommon))?;
        let private = agreement::EphemeralPrivateKey::generate(alg, rng)
            .map_err(|_| Error::Internal("ECDHE key generation failed".into()))?;
        let public = private
            .compute_public_key()
            .map_err(|_| Error::Internal("ECDHE public key computation failed".into()))?;
        Ok(KeyExchange {
            group,
            alg,
            private,
            public,
        })
    }

    /// The group of this exchange.
    pub fn group(&self) -> NamedCurve {
        self.group
    }

    /// Our public value as sent in ServerKeyExchange / ClientKeyExchange: the uncompressed point
    /// (`04 || x || y`, RFC 8422 section 5.4.1) for the NIST curves, 32 bytes for X25519.
    pub fn public_key(&self) -> &[u8] {
        self.public.as_ref()
    }

    /// Combines our private key with the peer's public value into the pre-master secret
    /// (RFC 8422 section 5.10: the x-coordinate for NIST curves, the X25519 output otherwise).
    ///
    /// A peer value that is not a valid point (wrong length, not uncompressed, not on the curve,
    /// or an X25519 point of small order giving an all-zero secret) is
    /// [`PeerMisbehaved::InvalidKeyShare`].
    ///
    /// The pre-master secret is wiped when the caller drops it (once the master secret is
    /// derived). ring computes it in a buffer of its own that it does not clear.
    pub fn complete(self, peer_public: &[u8]) -> Result<Zeroizing<Vec<u8>>, Error> {
        let peer = agreement::UnparsedPublicKey::new(self.alg, peer_public);
        agreement::agree_ephemeral(self.private, &peer, |secret| {
            Zeroizing::new(secret.to_vec())
        })
        .map_err(|_| Error::PeerMisbehaved(PeerMisbehaved::InvalidKeyShare))
    }
}

impl fmt::Debug for KeyExchange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyExchange")
            .field("group", &self.group)
            .finish_non_exhaustive()
    }
}

/// `N` bytes from the operating system's secure random source (hello randoms, session IDs).
pub fn random<const N: usize>() -> Result<[u8; N], Error> {
    let mut out = [0u8; N];
    SystemRandom::new()
        .fill(&mut out)
        .map_err(|_| Error::Internal("system random source failed".into()))?;
    Ok(out)
}

/// Where a connection's randomness comes from: the system, or (tests replaying a published
/// trace, such as RFC 8448's) a script of the exact bytes each draw returns, in draw order.
#[derive(Clone, Default)]
pub(crate) enum Randomness {
    #[default]
    System,
    Scripted(Arc<Mutex<VecDeque<Vec<u8>>>>),
}

impl Randomness {
    /// A script: each draw takes the next entry, which must have the length drawn.
    pub(crate) fn scripted(draws: Vec<Vec<u8>>) -> Self {
        Randomness::Scripted(Arc::new(Mutex::new(draws.into())))
    }

    fn next(&self, len: usize) -> Result<Option<Vec<u8>>, Error> {
        let Randomness::Scripted(script) = self else {
            return Ok(None);
        };
        let mut script = script
            .lock()
            .map_err(|_| Error::Internal("randomness script poisoned".into()))?;
        match script.pop_front() {
            Some(draw) if draw.len() == len => Ok(Some(draw)),
            _ => Err(Error::Internal(format!(
                "randomness script has no {len}-byte draw next"
            ))),
        }
    }

    /// `N` random bytes.
    pub(crate) fn bytes<const N: usize>(&self) -> Result<[u8; N], Error> {
        match self.next(N)? {
            None => random::<N>(),
            Some(draw) => <[u8; N]>::try_from(draw.as_slice())
                .map_err(|_| Error::Internal("randomness script length".into())),
        }
    }

    /// A key pair for `group`: its private key is a draw of the group's scalar length (32
    /// bytes for X25519).
    pub(crate) fn key_exchange(&self, group: NamedCurve) -> Result<KeyExchange, Error> {
        let len = match group {
            NamedCurve::Secp384r1 => 48,
            _ => 32,
        };
        match self.next(len)? {
            None => KeyExchange::start(group),
            Some(draw) => {
                #[allow(deprecated)]
                let fixed = ring::test::rand::FixedSliceRandom { bytes: &draw };
                KeyExchange::start_with(group, &fixed)
            }
        }
    }
}

impl Randomness {
    /// A TLS 1.3 client key share for `group`, ECDHE or hybrid (a hybrid draws its 64-byte
    /// ML-KEM seed first, then its ECDHE key).
    pub(crate) fn client_key_share(
        &self,
        group: NamedCurve,
    ) -> Result<crate::crypto::hybrid::ClientKeyShare, Error> {
        crate::crypto::hybrid::ClientKeyShare::start_with(group, self)
    }
}

impl fmt::Debug for Randomness {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Randomness::System => "System",
            Randomness::Scripted(_) => "Scripted",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scripted_randomness_returns_its_draws_in_order_then_refuses() {
        let r = Randomness::scripted(vec![vec![7; 4], vec![9; 32]]);
        assert_eq!(r.bytes::<4>().unwrap(), [7; 4]);
        let kx = r.key_exchange(NamedCurve::X25519).unwrap();
        // RFC 7748 5.2's first test: the public key of scalar 9...9 is fixed; another draw of the
        // same bytes gives the same public key.
        let again = Randomness::scripted(vec![vec![9; 32]])
            .key_exchange(NamedCurve::X25519)
            .unwrap();
        assert_eq!(kx.public_key(), again.public_key());
        assert!(
            matches!(r.bytes::<4>(), Err(Error::Internal(_))),
            "script used up"
        );
        let wrong = Randomness::scripted(vec![vec![1; 3]]);
        assert!(matches!(wrong.bytes::<4>(), Err(Error::Internal(_))));
        assert_ne!(Randomness::System.bytes::<32>().unwrap(), [0; 32]);
    }

    /// (group, public value length, shared secret length) per RFC 8422 / RFC 7748.
    const GROUPS: [(NamedCurve, usize, usize); 3] = [
        (NamedCurve::X25519, 32, 32),
        (NamedCurve::Secp256r1, 65, 32),
        (NamedCurve::Secp384r1, 97, 48),
    ];

    fn invalid(r: Result<Zeroizing<Vec<u8>>, Error>) -> bool {
        r == Err(Error::PeerMisbehaved(PeerMisbehaved::InvalidKeyShare))
    }

    #[test]
    fn both_sides_agree_for_each_group() {
        for (group, pub_len, secret_len) in GROUPS {
            let a = KeyExchange::start(group).unwrap();
            let b = KeyExchange::start(group).unwrap();
            assert_eq!(a.group(), group);
            assert_eq!(a.public_key().len(), pub_len, "{group:?}");
            if group != NamedCurve::X25519 {
                assert_eq!(a.public_key()[0], 0x04, "uncompressed point");
            }
            assert_ne!(a.public_key(), b.public_key());
            let (a_pub, b_pub) = (a.public_key().to_vec(), b.public_key().to_vec());
            let s1 = a.complete(&b_pub).unwrap();
            let s2 = b.complete(&a_pub).unwrap();
            assert_eq!(s1, s2, "{group:?}");
            assert_eq!(s1.len(), secret_len, "{group:?}");
            assert!(s1.iter().any(|&b| b != 0));
            // A third party's key gives a different secret.
            let c = KeyExchange::start(group).unwrap();
            assert_ne!(c.complete(&b_pub).unwrap(), s1);
        }
    }

    /// The pre-master secret comes back in a wrapper that wipes it when dropped (compile-time:
    /// a plain `Vec<u8>` before).
    #[test]
    fn pre_master_secret_is_wiped_on_drop() {
        fn zeroize_on_drop<T: zeroize::ZeroizeOnDrop>(_: &T) {}
        let a = KeyExchange::start(NamedCurve::X25519).unwrap();
        let b = KeyExchange::start(NamedCurve::X25519).unwrap();
        let pre_master = a.complete(b.public_key()).unwrap();
        zeroize_on_drop(&pre_master);
    }

    #[test]
    fn peer_value_of_another_group_is_rejected() {
        let p256 = KeyExchange::start(NamedCurve::Secp256r1).unwrap();
        let x = KeyExchange::start(NamedCurve::X25519).unwrap();
        let p384 = KeyExchange::start(NamedCurve::Secp384r1).unwrap();
        let p256_pub = p256.public_key().to_vec();
        let p384_pub = p384.public_key().to_vec();
        assert!(invalid(x.complete(&p256_pub)));
        assert!(invalid(p384.complete(&p256_pub)));
        assert!(invalid(p256.complete(&p384_pub)));
    }

    #[test]
    fn invalid_nist_points_are_rejected() {
        for (group, len, _) in &GROUPS[1..] {
            let peer = KeyExchange::start(*group).unwrap();
            let good = peer.public_key().to_vec();
            let coord = (len - 1) / 2;
            let mut bad: Vec<Vec<u8>> = vec![
                vec![],
                vec![0x04],
                good[..len - 1].to_vec(),
                [&good[..], &[0]].concat(),
                // All-zero coordinates: not on the curve (and not the point at infinity form).
                [&[0x04][..], &vec![0; len - 1]].concat(),
                // The point-at-infinity encoding of SEC 1.
                vec![0x00],
                // Compressed form of a valid point: TLS 1.2 here only uses uncompressed.
                [&[0x02 | (good[len - 1] & 1)][..], &good[1..=coord]].concat(),
            ];
            // Flip a bit of y: off the curve.
            let mut off = good.clone();
            off[len - 1] ^= 1;
            bad.push(off);
            // Hybrid form (0x06/0x07) and an unknown prefix.
            for prefix in [0x06, 0x07, 0x05] {
                let mut p = good.clone();
                p[0] = prefix;
                bad.push(p);
            }
            // Coordinates >= p (all 0xff).
            bad.push([&[0x04][..], &vec![0xff; len - 1]].concat());
            for b in bad {
                let me = KeyExchange::start(*group).unwrap();
                assert!(invalid(me.complete(&b)), "{group:?} accepted {b:02x?}");
            }
            // Control: the untouched value works.
            assert!(KeyExchange::start(*group).unwrap().complete(&good).is_ok());
        }
    }

    #[test]
    fn invalid_x25519_values_are_rejected() {
        // Wrong lengths, and small-order points (RFC 7748 section 6.1: all-zero output).
        let mut small_order: Vec<Vec<u8>> = vec![vec![0; 32]];
        let mut one = vec![0u8; 32];
        one[0] = 1;
        small_order.push(one);
        // The order-8 point 0xe0eb7a7c... (a well-known low-order point).
        small_order.push(vec![
            0xe0, 0xeb, 0x7a, 0x7c, 0x3b, 0x41, 0xb8, 0xae, 0x16, 0x56, 0xe3, 0xfa, 0xf1, 0x9f,
            0xc4, 0x6a, 0xda, 0x09, 0x8d, 0xeb, 0x9c, 0x32, 0xb1, 0xfd, 0x86, 0x62, 0x05, 0x16,
            0x5f, 0x49, 0xb8, 0x00,
        ]);
        for b in [vec![], vec![9; 31], vec![9; 33], vec![9; 65]]
            .into_iter()
            .chain(small_order)
        {
            let me = KeyExchange::start(NamedCurve::X25519).unwrap();
            assert!(invalid(me.complete(&b)), "accepted {b:02x?}");
        }
    }

    #[test]
    fn unsupported_groups_are_no_group_in_common() {
        for g in [
            NamedCurve::Secp521r1,
            NamedCurve::X448,
            NamedCurve::Unknown(0x0100), // ffdhe2048
            NamedCurve::X25519MLKEM768,  // TLS 1.3 only: crypto::hybrid
            NamedCurve::Unknown(0),
        ] {
            assert_eq!(
                KeyExchange::start(g).unwrap_err(),
                Error::PeerIncompatible(PeerIncompatible::NoGroupInCommon),
                "{g:?}"
            );
        }
    }

    #[test]
    fn supported_groups_order_and_all_start() {
        assert_eq!(
            SUPPORTED_GROUPS
                .iter()
                .map(|g| g.value())
                .collect::<Vec<_>>(),
            [0x11ec, 29, 23, 24]
        );
        assert_eq!(
            SERVER_GROUPS.iter().map(|g| g.value()).collect::<Vec<_>>(),
            [0x11ec, 0x11eb, 29, 23, 24]
        );
        for g in ALL_GROUPS {
            assert!(Randomness::System.client_key_share(*g).is_ok(), "{g}");
            // Plain ECDHE (TLS 1.2's) has no hybrid.
            assert_eq!(
                KeyExchange::start(*g).is_ok(),
                !crate::crypto::hybrid::is_hybrid(*g)
            );
        }
    }

    #[test]
    fn random_fills_and_differs() {
        let a: [u8; 32] = random().unwrap();
        let b: [u8; 32] = random().unwrap();
        assert_ne!(a, b);
        assert_ne!(a, [0; 32]);
        let empty: [u8; 0] = random().unwrap();
        assert_eq!(empty.len(), 0);
        let big: [u8; 1000] = random().unwrap();
        // 1000 random bytes take well over 100 distinct values.
        let mut seen = [false; 256];
        big.iter().for_each(|&b| seen[b as usize] = true);
        assert!(seen.iter().filter(|&&s| s).count() > 100);
    }

    #[test]
    fn debug_shows_group_only() {
        let k = KeyExchange::start(NamedCurve::X25519).unwrap();
        assert_eq!(format!("{k:?}"), "KeyExchange { group: X25519, .. }");
    }
}
