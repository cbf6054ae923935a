//! The TLS 1.3 key schedule (RFC 8446 section 7.1), traffic keys (7.3), Finished (4.4.4),
//! the resumption PSK (4.6.1) and exporters (7.5), on ring's HKDF and HMAC.
//!
//! The TLS 1.3 engine (issue 13) uses it; the TLS 1.2 engine does not (its key schedule is
//! [`prf`](super::prf)). The schedule is a typed progression, each stage consumed by the next so
//! a secret cannot be used at the wrong stage:
//!
//! ```text
//! EarlySecret::new(hash, psk)          binder keys, client early traffic, early exporter
//!     .handshake(ecdhe)  -> HandshakeSecret   client/server handshake traffic
//!     .master()          -> MasterSecret      client/server application traffic 0,
//!                                             exporter master, resumption master
//! ```
//!
//! Every secret is wiped when dropped. Transcript hashes are passed in as bytes (the caller's
//! [`Transcript`](super::transcript::Transcript) computes them); one of the wrong length for the
//! hash is an internal error.

use crate::codec::Encode;
use crate::crypto::suites::{AeadAlg, HashAlg};
use crate::error::{Error, PeerMisbehaved};
use crate::wire::HkdfLabel;
use ring::{digest, hkdf, hmac};
use std::fmt;
use zeroize::{ZeroizeOnDrop, Zeroizing};

/// The prefix RFC 8446 section 7.1 puts before every HKDF-Expand-Label label.
const LABEL_PREFIX: &[u8] = b"tls13 ";

/// Length of every TLS 1.3 record IV (RFC 8446 section 5.3: `iv_length` is
/// max(8 bytes, N_MIN), 12 for all the suites).
pub const IV_LEN: usize = 12;

/// An output length for ring's HKDF-Expand.
struct Len(usize);

impl hkdf::KeyType for Len {
    fn len(&self) -> usize {
        self.0
    }
}

fn hkdf_algorithm(hash: HashAlg) -> hkdf::Algorithm {
    match hash {
        HashAlg::Sha256 => hkdf::HKDF_SHA256,
        HashAlg::Sha384 => hkdf::HKDF_SHA384,
    }
}

/// `HKDF-Expand-Label(Secret, Label, Context, Length)` of RFC 8446 section 7.1, filling `out`
/// (`Length` is `out.len()`). The HKDF info is the encoded `wire::HkdfLabel`, with the label
/// "tls13 " + `label`.
///
/// Refused (`ApiMisuse`) when the `HkdfLabel` could not hold the arguments: a label empty or
/// over 249 bytes (the full label is `<7..255>`), a context over 255 bytes, or an output over
/// 65535 bytes or 255 hash blocks (HKDF's own limit, RFC 5869 section 2.3).
pub fn hkdf_expand_label(
    hash: HashAlg,
    secret: &[u8],
    label: &[u8],
    context: &[u8],
    out: &mut [u8],
) -> Result<(), Error> {
    expand_label_with(&prk(hash, secret), hash, label, context, out)
}

/// ring's PRK for `secret`: its HMAC key, whose setup hashes two blocks. Made once for all the
/// labels expanded from one secret together.
fn prk(hash: HashAlg, secret: &[u8]) -> hkdf::Prk {
    hkdf::Prk::new_less_safe(hkdf_algorithm(hash), secret)
}

/// [`hkdf_expand_label`] from `prk`, made by [`prk`] from the secret with `hash`.
fn expand_label_with(
    prk: &hkdf::Prk,
    hash: HashAlg,
    label: &[u8],
    context: &[u8],
    out: &mut [u8],
) -> Result<(), Error> {
    if out.len() > 255 * hash.output_len() {
        return Err(Error::ApiMisuse(
            "HKDF-Expand-Label output is over 255 hash blocks",
        ));
    }
    // The encoded HkdfLabel goes into a buffer kept per thread: a handshake expands about 17
    // labels per side, and the label and context are public (no secret is left behind).
    INFO.with(|info| {
        let mut info = info.borrow_mut();
        info.clear();
        hkdf_label_into(label, context, out.len(), &mut info)?;
        prk.expand(&[&info], Len(out.len()))
            .and_then(|okm| okm.fill(out))
            .map_err(|_| Error::Internal("HKDF-Expand failed".into()))
    })
}

thread_local! {
    /// The HkdfLabel buffer of [`expand_label_with`]: at most 2 + 1 + 255 + 1 + 255 bytes.
    static INFO: std::cell::RefCell<Vec<u8>> = std::cell::RefCell::new(Vec::with_capacity(514));
}

/// The encoded `HkdfLabel` for these arguments, checked against the schema's bounds first (the
/// encoder writes whatever it is given).
#[cfg(test)]
fn hkdf_label(label: &[u8], context: &[u8], len: usize) -> Result<Vec<u8>, Error> {
    let mut info = Vec::new();
    hkdf_label_into(label, context, len, &mut info)?;
    Ok(info)
}

/// [`hkdf_label`], appended to `info`.
fn hkdf_label_into(
    label: &[u8],
    context: &[u8],
    len: usize,
    info: &mut Vec<u8>,
) -> Result<(), Error> {
    let length = u16::try_from(len)
        .map_err(|_| Error::ApiMisuse("HKDF-Expand-Label output is over 65535 bytes"))?;
    if label.is_empty() || label.len() > 255 - LABEL_PREFIX.len() {
        return Err(Error::ApiMisuse(
            "HKDF-Expand-Label label must be 1 to 249 bytes",
        ));
    }
    if context.len() > 255 {
        return Err(Error::ApiMisuse(
            "HKDF-Expand-Label context is over 255 bytes",
        ));
    }
    // "tls13 " + label, on the stack (at most 255 bytes, checked above): a handshake encodes
    // about 17 labels per side. `info` is sized up front (uint16 + two one-byte length
    // prefixes), where `to_vec` would grow it 2 or 3 times.
    let mut buf = [0u8; 255];
    for (to, from) in buf.iter_mut().zip(LABEL_PREFIX.iter().chain(label)) {
        *to = *from;
    }
    let full_label = buf
        .get(..LABEL_PREFIX.len() + label.len())
        .unwrap_or_default();
    info.reserve(2 + 1 + full_label.len() + 1 + context.len());
    HkdfLabel {
        length,
        label: full_label,
        context,
    }
    .encode(info);
    Ok(())
}

/// `HKDF-Extract(salt, IKM)` (RFC 5869 section 2.2): HMAC-Hash with the salt as key. Done with
/// ring's HMAC because the schedule needs the extracted secret's bytes (the next stage's salt
/// comes from it, and the key logs and tests print it), which ring's `hkdf::Prk` keeps private.
fn hkdf_extract(hash: HashAlg, salt: &[u8], ikm: &[u8]) -> Secret {
    let tag = hmac::sign(&hmac::Key::new(hash.hmac_algorithm(), salt), ikm);
    Secret::from_bytes(hash, tag.as_ref())
}

/// `Hash("")`, the transcript hash of no messages.
fn empty_hash(hash: HashAlg) -> digest::Digest {
    digest::digest(hash.digest_algorithm(), &[])
}

/// A TLS 1.3 secret: any output of the schedule (a traffic secret, a binder key, ...) with the
/// hash it was made with. Wiped when dropped; not `Clone`; its `Debug` shows only the hash.
pub struct Secret {
    hash: HashAlg,
    /// In place, not on the heap: a handshake makes about a dozen of them.
    bytes: Zeroizing<[u8; MAX_SECRET_LEN]>,
    len: usize,
}

/// The longest secret: a SHA-384 output.
const MAX_SECRET_LEN: usize = 48;

impl Secret {
    /// A secret from its bytes (a stored ticket's PSK, a test vector). They are copied; the
    /// caller wipes its own copy. Secrets are hash outputs: bytes past 48 are not kept.
    pub fn from_bytes(hash: HashAlg, bytes: &[u8]) -> Self {
        let mut s = Secret::zeroed(hash, bytes.len());
        s.bytes
            .iter_mut()
            .zip(bytes)
            .for_each(|(to, from)| *to = *from);
        s
    }

    /// A secret of `len` zero bytes (at most 48), to be filled.
    fn zeroed(hash: HashAlg, len: usize) -> Self {
        Secret {
            hash,
            bytes: Zeroizing::new([0u8; MAX_SECRET_LEN]),
            len: len.min(MAX_SECRET_LEN),
        }
    }

    /// The secret's bytes (for the key log: `CLIENT_HANDSHAKE_TRAFFIC_SECRET` and the rest).
    pub fn as_bytes(&self) -> &[u8] {
        self.bytes.get(..self.len).unwrap_or_default()
    }

    fn as_mut_bytes(&mut self) -> &mut [u8] {
        self.bytes.get_mut(..self.len).unwrap_or_default()
    }

    /// The hash it was made with (the suite's).
    pub fn hash(&self) -> HashAlg {
        self.hash
    }

    /// `HKDF-Expand-Label(self, label, context, out.len())`.
    fn expand_label(&self, label: &[u8], context: &[u8], out: &mut [u8]) -> Result<(), Error> {
        hkdf_expand_label(self.hash, self.as_bytes(), label, context, out)
    }

    /// `HKDF-Expand-Label(self, label, context, Hash.length)` as a new secret.
    fn expand_secret(&self, label: &[u8], context: &[u8]) -> Result<Secret, Error> {
        let mut out = Secret::zeroed(self.hash, self.hash.output_len());
        self.expand_label(label, context, out.as_mut_bytes())?;
        Ok(out)
    }

    /// `Derive-Secret(self, label, Messages)` (RFC 8446 section 7.1), given
    /// `Transcript-Hash(Messages)`; it must be a hash of this secret's algorithm.
    fn derive_secret(&self, label: &[u8], transcript_hash: &[u8]) -> Result<Secret, Error> {
        self.derive_secret_with(&self.prk(), label, transcript_hash)
    }

    /// [`derive_secret`](Self::derive_secret) from this secret's [`prk`](Self::prk), made once
    /// for the several secrets one stage derives from the same transcript.
    fn derive_secret_with(
        &self,
        prk: &hkdf::Prk,
        label: &[u8],
        transcript_hash: &[u8],
    ) -> Result<Secret, Error> {
        if transcript_hash.len() != self.hash.output_len() {
            return Err(Error::Internal(
                "transcript hash length does not match the key schedule's hash".into(),
            ));
        }
        let mut out = Secret::zeroed(self.hash, self.hash.output_len());
        expand_label_with(prk, self.hash, label, transcript_hash, out.as_mut_bytes())?;
        Ok(out)
    }

    /// ring's PRK (keyed HMAC) for this secret. Kept only as long as one derivation needs it:
    /// ring does not wipe it.
    fn prk(&self) -> hkdf::Prk {
        prk(self.hash, self.as_bytes())
    }

    /// `HKDF-Extract(salt = Derive-Secret(self, "derived", ""), ikm)`: the next stage's secret.
    fn next_stage(&self, ikm: &[u8]) -> Result<Secret, Error> {
        let salt = self.derive_secret(b"derived", empty_hash(self.hash).as_ref())?;
        Ok(hkdf_extract(self.hash, salt.as_bytes(), ikm))
    }

    /// The record protection key and IV of a traffic secret for `aead` (RFC 8446 section 7.3):
    /// `HKDF-Expand-Label(secret, "key", "", key_length)` and
    /// `HKDF-Expand-Label(secret, "iv", "", 12)`.
    pub fn traffic_keys(&self, aead: AeadAlg) -> Result<TrafficKeys, Error> {
        let prk = self.prk();
        let mut key = Zeroizing::new(vec![0u8; aead.key_len()]);
        expand_label_with(&prk, self.hash, b"key", &[], &mut key)?;
        let mut iv = Zeroizing::new([0u8; IV_LEN]);
        expand_label_with(&prk, self.hash, b"iv", &[], iv.as_mut_slice())?;
        Ok(TrafficKeys { key, iv })
    }

    /// The next application traffic secret after a KeyUpdate (RFC 8446 section 7.2):
    /// `HKDF-Expand-Label(self, "traffic upd", "", Hash.length)`.
    pub fn next_traffic_secret(&self) -> Result<Secret, Error> {
        self.expand_secret(b"traffic upd", &[])
    }

    /// The Finished key of a handshake traffic secret (RFC 8446 section 4.4.4):
    /// `HKDF-Expand-Label(self, "finished", "", Hash.length)`. From a binder key it is the key
    /// of the PSK binder (section 4.2.11.2).
    pub fn finished_key(&self) -> Result<FinishedKey, Error> {
        let mut bytes = Zeroizing::new([0u8; MAX_SECRET_LEN]);
        let bytes = bytes.get_mut(..self.hash.output_len()).unwrap_or_default();
        self.expand_label(b"finished", &[], bytes)?;
        Ok(FinishedKey {
            hash: self.hash,
            key: hmac::Key::new(self.hash.hmac_algorithm(), bytes),
        })
    }
}

impl ZeroizeOnDrop for Secret {}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Secret")
            .field("hash", &self.hash)
            .finish_non_exhaustive()
    }
}

/// The key and IV that protect one direction's records (RFC 8446 section 7.3), wiped when
/// dropped.
pub struct TrafficKeys {
    key: Zeroizing<Vec<u8>>,
    iv: Zeroizing<[u8; IV_LEN]>,
}

impl TrafficKeys {
    /// The AEAD key (`key_length` of the suite's AEAD).
    pub fn key(&self) -> &[u8] {
        &self.key
    }

    /// The 12-byte IV that is XORed with the record sequence number to make each nonce
    /// (RFC 8446 section 5.3).
    pub fn iv(&self) -> &[u8; IV_LEN] {
        &self.iv
    }
}

impl ZeroizeOnDrop for TrafficKeys {}

impl fmt::Debug for TrafficKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TrafficKeys")
            .field("key", &self.key.len())
            .field("iv", &self.iv.len())
            .finish()
    }
}

/// A Finished (or PSK binder) key: makes and checks `verify_data` (RFC 8446 section 4.4.4).
/// Only ring's HMAC key is kept; the expanded bytes are wiped as soon as it is made. That key
/// state cannot be wiped (see [`prf::MasterSecret`](super::prf::MasterSecret)).
pub struct FinishedKey {
    hash: HashAlg,
    key: hmac::Key,
}

impl FinishedKey {
    /// `verify_data = HMAC(finished_key, Transcript-Hash(Handshake Context, Certificate*,
    /// CertificateVerify*))`, given that transcript hash. For a PSK binder, the hash of the
    /// ClientHello truncated before the binders (with any earlier flight, section 4.2.11.2).
    pub fn verify_data(&self, transcript_hash: &[u8]) -> Vec<u8> {
        hmac::sign(&self.key, transcript_hash).as_ref().to_vec()
    }

    /// Checks a received Finished `verify_data` (or binder) against ours, in constant time;
    /// any difference, including of length, is `PeerMisbehaved::BadFinished`.
    pub fn verify(&self, transcript_hash: &[u8], received: &[u8]) -> Result<(), Error> {
        use subtle::ConstantTimeEq;
        let ours = self.verify_data(transcript_hash);
        if bool::from(ours.as_slice().ct_eq(received)) {
            Ok(())
        } else {
            Err(Error::PeerMisbehaved(PeerMisbehaved::BadFinished))
        }
    }
}

impl fmt::Debug for FinishedKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FinishedKey")
            .field("hash", &self.hash)
            .finish_non_exhaustive()
    }
}

/// The Early Secret (RFC 8446 section 7.1): `HKDF-Extract(0, PSK)`, the first stage.
#[derive(Debug)]
pub struct EarlySecret(Secret);

impl EarlySecret {
    /// `HKDF-Extract(0, PSK)`, with a string of `Hash.length` zeros for the PSK when there is
    /// none (a full handshake).
    pub fn new(hash: HashAlg, psk: Option<&[u8]>) -> Self {
        let zeros = [0u8; 48];
        let zeros = zeros.get(..hash.output_len()).unwrap_or_default();
        EarlySecret(hkdf_extract(hash, zeros, psk.unwrap_or(zeros)))
    }

    /// The Early Secret itself.
    pub fn secret(&self) -> &Secret {
        &self.0
    }

    /// `binder_key` for an external PSK: `Derive-Secret(., "ext binder", "")`. Its
    /// [`finished_key`](Secret::finished_key) makes the binder.
    pub fn ext_binder_key(&self) -> Result<Secret, Error> {
        self.0
            .derive_secret(b"ext binder", empty_hash(self.0.hash).as_ref())
    }

    /// `binder_key` for a resumption PSK: `Derive-Secret(., "res binder", "")`.
    pub fn res_binder_key(&self) -> Result<Secret, Error> {
        self.0
            .derive_secret(b"res binder", empty_hash(self.0.hash).as_ref())
    }

    /// `client_early_traffic_secret = Derive-Secret(., "c e traffic", ClientHello)`.
    pub fn client_early_traffic_secret(&self, client_hello_hash: &[u8]) -> Result<Secret, Error> {
        self.0.derive_secret(b"c e traffic", client_hello_hash)
    }

    /// `early_exporter_master_secret = Derive-Secret(., "e exp master", ClientHello)`.
    pub fn early_exporter_master_secret(
        &self,
        client_hello_hash: &[u8],
    ) -> Result<ExporterSecret, Error> {
        self.0
            .derive_secret(b"e exp master", client_hello_hash)
            .map(ExporterSecret)
    }

    /// The Handshake Secret: `HKDF-Extract(Derive-Secret(., "derived", ""), (EC)DHE)`, with
    /// `Hash.length` zeros when there is no (EC)DHE (psk_ke).
    pub fn handshake(self, ecdhe: Option<&[u8]>) -> Result<HandshakeSecret, Error> {
        let zeros = [0u8; 48];
        let zeros = zeros.get(..self.0.hash.output_len()).unwrap_or_default();
        self.0
            .next_stage(ecdhe.unwrap_or(zeros))
            .map(HandshakeSecret)
    }
}

/// The Handshake Secret (RFC 8446 section 7.1), the second stage.
#[derive(Debug)]
pub struct HandshakeSecret(Secret);

impl HandshakeSecret {
    /// The Handshake Secret itself.
    pub fn secret(&self) -> &Secret {
        &self.0
    }

    /// `client_handshake_traffic_secret = Derive-Secret(., "c hs traffic",
    /// ClientHello...ServerHello)`.
    pub fn client_handshake_traffic_secret(&self, hello_hash: &[u8]) -> Result<Secret, Error> {
        self.0.derive_secret(b"c hs traffic", hello_hash)
    }

    /// `server_handshake_traffic_secret = Derive-Secret(., "s hs traffic",
    /// ClientHello...ServerHello)`.
    pub fn server_handshake_traffic_secret(&self, hello_hash: &[u8]) -> Result<Secret, Error> {
        self.0.derive_secret(b"s hs traffic", hello_hash)
    }

    /// Both handshake traffic secrets, `(client, server)`: what
    /// [`client_handshake_traffic_secret`](Self::client_handshake_traffic_secret) and
    /// [`server_handshake_traffic_secret`](Self::server_handshake_traffic_secret) return, with
    /// one HMAC key setup for the two.
    pub fn traffic_secrets(&self, hello_hash: &[u8]) -> Result<(Secret, Secret), Error> {
        let prk = self.0.prk();
        Ok((
            self.0
                .derive_secret_with(&prk, b"c hs traffic", hello_hash)?,
            self.0
                .derive_secret_with(&prk, b"s hs traffic", hello_hash)?,
        ))
    }

    /// The Master Secret: `HKDF-Extract(Derive-Secret(., "derived", ""), 0)`.
    pub fn master(self) -> Result<MasterSecret, Error> {
        let zeros = [0u8; 48];
        let zeros = zeros.get(..self.0.hash.output_len()).unwrap_or_default();
        self.0.next_stage(zeros).map(MasterSecret)
    }
}

/// The TLS 1.3 Master Secret (RFC 8446 section 7.1), the last stage. (Not the TLS 1.2 one,
/// [`prf::MasterSecret`](super::prf::MasterSecret).)
#[derive(Debug)]
pub struct MasterSecret(Secret);

impl MasterSecret {
    /// The Master Secret itself.
    pub fn secret(&self) -> &Secret {
        &self.0
    }

    /// `client_application_traffic_secret_0 = Derive-Secret(., "c ap traffic",
    /// ClientHello...server Finished)`.
    pub fn client_application_traffic_secret(
        &self,
        server_finished_hash: &[u8],
    ) -> Result<Secret, Error> {
        self.0.derive_secret(b"c ap traffic", server_finished_hash)
    }

    /// `server_application_traffic_secret_0 = Derive-Secret(., "s ap traffic",
    /// ClientHello...server Finished)`.
    pub fn server_application_traffic_secret(
        &self,
        server_finished_hash: &[u8],
    ) -> Result<Secret, Error> {
        self.0.derive_secret(b"s ap traffic", server_finished_hash)
    }

    /// `(client_application_traffic_secret_0, server_application_traffic_secret_0,
    /// exporter_master_secret)`: what the three methods return, with one HMAC key setup.
    pub fn application_secrets(
        &self,
        server_finished_hash: &[u8],
    ) -> Result<(Secret, Secret, ExporterSecret), Error> {
        let prk = self.0.prk();
        let derive = |label: &[u8]| self.0.derive_secret_with(&prk, label, server_finished_hash);
        Ok((
            derive(b"c ap traffic")?,
            derive(b"s ap traffic")?,
            derive(b"exp master").map(ExporterSecret)?,
        ))
    }

    /// `exporter_master_secret = Derive-Secret(., "exp master", ClientHello...server Finished)`.
    pub fn exporter_master_secret(
        &self,
        server_finished_hash: &[u8],
    ) -> Result<ExporterSecret, Error> {
        self.0
            .derive_secret(b"exp master", server_finished_hash)
            .map(ExporterSecret)
    }

    /// `resumption_master_secret = Derive-Secret(., "res master", ClientHello...client Finished)`.
    pub fn resumption_master_secret(
        &self,
        client_finished_hash: &[u8],
    ) -> Result<ResumptionMasterSecret, Error> {
        self.0
            .derive_secret(b"res master", client_finished_hash)
            .map(ResumptionMasterSecret)
    }
}

/// An (early) exporter master secret: the key of RFC 8446 section 7.5's exporter.
#[derive(Debug)]
pub struct ExporterSecret(Secret);

impl ExporterSecret {
    /// The secret itself (for the key log's `EXPORTER_SECRET`).
    pub fn secret(&self) -> &Secret {
        &self.0
    }

    /// `TLS-Exporter(label, context_value, key_length)` of RFC 8446 section 7.5 into `out`:
    /// `HKDF-Expand-Label(Derive-Secret(Secret, label, ""), "exporter", Hash(context_value),
    /// key_length)`. No context and an empty one are the same in TLS 1.3, so `context` is
    /// `&[]` for either.
    ///
    /// `ApiMisuse` for a label that is empty or over 249 bytes, or an output over 65535 bytes
    /// or 255 hash blocks.
    pub fn export(&self, label: &[u8], context: &[u8], out: &mut [u8]) -> Result<(), Error> {
        let hash = self.0.hash;
        let secret = self.0.derive_secret(label, empty_hash(hash).as_ref())?;
        let context_hash = digest::digest(hash.digest_algorithm(), context);
        secret.expand_label(b"exporter", context_hash.as_ref(), out)
    }
}

/// The resumption master secret (RFC 8446 section 7.1), from which each NewSessionTicket's
/// PSK is made.
#[derive(Debug)]
pub struct ResumptionMasterSecret(Secret);

impl ResumptionMasterSecret {
    /// The secret itself.
    pub fn secret(&self) -> &Secret {
        &self.0
    }

    /// The PSK of the ticket with `ticket_nonce` (RFC 8446 section 4.6.1):
    /// `HKDF-Expand-Label(resumption_master_secret, "resumption", ticket_nonce, Hash.length)`.
    /// `ApiMisuse` for a nonce over 255 bytes (the wire type's bound).
    pub fn psk(&self, ticket_nonce: &[u8]) -> Result<Secret, Error> {
        self.0.expand_secret(b"resumption", ticket_nonce)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::Codec;
    use crate::test_support::unhex;

    /// Every key-schedule value RFC 8448 prints (see the file's header).
    const VALUES: &str = include_str!("../../../tests/data/rfc8448/key_schedule.txt");
    /// Every handshake message of RFC 8448, for the transcript hashes.
    const MESSAGES: &str = include_str!("../../../tests/data/rfc8448/messages.txt");

    /// One printed field: (trace, sender, step, field, bytes).
    type Field = (
        &'static str,
        &'static str,
        &'static str,
        &'static str,
        Vec<u8>,
    );

    fn values() -> Vec<Field> {
        VALUES
            .lines()
            .filter(|l| !l.starts_with('#'))
            .map(|l| {
                let f: Vec<&str> = l.split('\t').collect();
                assert_eq!(f.len(), 5, "{l}");
                let hex = if f[4] == "-" { "" } else { f[4] };
                (f[0], f[1], f[2], f[3], unhex(hex))
            })
            .collect()
    }

    /// The value RFC 8448 prints for `field` in the first `sender` step of `trace` whose title
    /// starts with `step`.
    fn rfc(trace: &str, sender: &str, step: &str, field: &str) -> Vec<u8> {
        let found: Vec<Vec<u8>> = values()
            .into_iter()
            .filter(|v| v.0 == trace && v.1 == sender && v.2.starts_with(step) && v.3 == field)
            .map(|v| v.4)
            .collect();
        assert_eq!(found.len(), 1, "{trace} {sender} {step} {field}");
        found.into_iter().next().unwrap()
    }

    /// The handshake messages of a trace, in order: (sender, name, bytes).
    fn messages(trace: &str) -> Vec<(String, String, Vec<u8>)> {
        MESSAGES
            .lines()
            .filter(|l| !l.starts_with('#'))
            .map(|l| l.split(' ').collect::<Vec<_>>())
            .filter(|f| f[0] == trace)
            .map(|f| (f[1].to_string(), f[2].to_string(), unhex(f[3])))
            .collect()
    }

    fn sha256(parts: &[&[u8]]) -> Vec<u8> {
        let mut ctx = digest::Context::new(&digest::SHA256);
        parts.iter().for_each(|p| ctx.update(p));
        ctx.finish().as_ref().to_vec()
    }

    /// The transcript of a trace as it is hashed: the messages in order, except that after a
    /// HelloRetryRequest the first ClientHello is replaced by the synthetic
    /// `message_hash` message, `254 00 00 32 || Hash(ClientHello1)` (RFC 8446 section 4.4.1).
    fn transcript(trace: &str) -> Vec<(String, String, Vec<u8>)> {
        let mut msgs = messages(trace);
        let hrr = msgs.iter().filter(|m| m.1 == "ClientHello").count() == 2;
        if hrr {
            let ch1 = &msgs[0];
            assert_eq!((ch1.0.as_str(), ch1.1.as_str()), ("client", "ClientHello"));
            let synthetic = [&[254u8, 0, 0, 32][..], &sha256(&[&ch1.2])].concat();
            msgs[0] = ("client".into(), "message_hash".into(), synthetic);
        }
        msgs
    }

    /// `Transcript-Hash` of a trace's messages up to and including the `nth` (from 1) one
    /// `sender` sent named `name`.
    fn hash_through(
        msgs: &[(String, String, Vec<u8>)],
        sender: &str,
        name: &str,
        nth: usize,
    ) -> Vec<u8> {
        let mut seen = 0;
        let mut ctx = digest::Context::new(&digest::SHA256);
        for (s, n, bytes) in msgs {
            ctx.update(bytes);
            if s == sender && n == name {
                seen += 1;
                if seen == nth {
                    return ctx.finish().as_ref().to_vec();
                }
            }
        }
        panic!("no {sender} {name} #{nth}");
    }

    /// The body of a Finished message (after its 4-byte handshake header).
    fn finished_body(msgs: &[(String, String, Vec<u8>)], sender: &str) -> Vec<u8> {
        let m = msgs
            .iter()
            .find(|m| m.0 == sender && m.1 == "Finished")
            .unwrap();
        assert_eq!(&m.2[..4], &[20, 0, 0, 32]);
        m.2[4..].to_vec()
    }

    /// The message before the `sender`'s Finished, through which its verify_data is computed.
    fn before_finished(msgs: &[(String, String, Vec<u8>)], sender: &str) -> Vec<u8> {
        let i = msgs
            .iter()
            .position(|m| m.0 == sender && m.1 == "Finished")
            .unwrap();
        sha256(&msgs[..i].iter().map(|m| m.2.as_slice()).collect::<Vec<_>>())
    }

    fn expand(secret: &[u8], label: &[u8], context: &[u8], len: usize) -> Vec<u8> {
        let mut out = vec![0u8; len];
        hkdf_expand_label(HashAlg::Sha256, secret, label, context, &mut out).unwrap();
        out
    }

    /// Every HKDF-Expand-Label the five traces print (PRK, info, output): the info decodes as
    /// `wire::HkdfLabel` with a "tls13 " label, ours encodes to the same bytes, and expanding
    /// the PRK with it gives the printed output. Every HKDF-Extract (salt, IKM, secret) too,
    /// and the PSK binder (the one Finished-style HMAC whose input hash the RFC prints).
    #[test]
    fn every_rfc8448_hkdf_step_matches() {
        let all = values();
        // Group consecutive lines of one step.
        let mut steps: Vec<Vec<&Field>> = Vec::new();
        for v in &all {
            match steps.last_mut() {
                Some(s) if (s[0].0, s[0].1, s[0].2) == (v.0, v.1, v.2) => s.push(v),
                _ => steps.push(vec![v]),
            }
        }
        let (mut expands, mut extracts, mut binders) = (0, 0, 0);
        for step in &steps {
            let get = |name: &str| step.iter().find(|f| f.3 == name).map(|f| f.4.clone());
            let what = format!("{} {} {}", step[0].0, step[0].1, step[0].2);
            if let Some(ikm) = get("IKM") {
                let salt = get("salt").unwrap_or_else(|| vec![0; 32]);
                let secret = hkdf_extract(HashAlg::Sha256, &salt, &ikm);
                assert_eq!(secret.as_bytes(), &get("secret").unwrap()[..], "{what}");
                extracts += 1;
            }
            for (info, out) in [
                ("info", "expanded"),
                ("key info", "key expanded"),
                ("iv info", "iv expanded"),
            ] {
                let Some(info) = get(info) else { continue };
                let prk = get("PRK").unwrap();
                let label = HkdfLabel::from_bytes(&info).unwrap();
                let want = get(out).unwrap();
                assert_eq!(usize::from(label.length), want.len(), "{what}");
                let short = label.label.strip_prefix(b"tls13 ").unwrap();
                assert_eq!(hkdf_label(short, label.context, want.len()).unwrap(), info);
                assert_eq!(
                    expand(&prk, short, label.context, want.len()),
                    want,
                    "{what}"
                );
                if let Some(hash) = get("hash") {
                    assert_eq!(label.context, &hash[..], "{what}");
                }
                expands += 1;
            }
            if let Some(binder_hash) = get("binder hash") {
                let key = Secret::from_bytes(HashAlg::Sha256, &get("PRK").unwrap());
                let fk = key.finished_key().unwrap();
                assert_eq!(fk.verify_data(&binder_hash), get("finished").unwrap());
                binders += 1;
            }
        }
        // Counted from the file (59 info + 21 key info + 21 iv info; 15 IKM), so a parsing slip
        // that dropped steps would fail here.
        assert_eq!((expands, extracts, binders), (101, 15, 1));
    }

    /// A trace's handshake messages as `transcript` and `messages` give them.
    type Msgs = [(String, String, Vec<u8>)];

    /// `got` is the value RFC 8448 prints for `field` in the `sender` step `step` of `trace`.
    fn check_printed(trace: &str, got: &[u8], sender: &str, step: &str, field: &str) {
        assert_eq!(
            got,
            rfc(trace, sender, step, field),
            "{trace} {sender} {step} {field}"
        );
    }

    /// The AES-128-GCM key and IV of a traffic secret are the ones `sender` prints in `step`.
    fn check_traffic_keys(trace: &str, secret: &Secret, sender: &str, step: &str) {
        let keys = secret.traffic_keys(AeadAlg::Aes128Gcm).unwrap();
        check_printed(trace, keys.key(), sender, step, "key expanded");
        check_printed(trace, &keys.iv()[..], sender, step, "iv expanded");
    }

    /// `sender`'s Finished from its handshake traffic secret, over the transcript before it:
    /// equal to the printed value and to the Finished message's body, and it verifies.
    fn check_finished(trace: &str, msgs: &Msgs, hs_traffic: &Secret, sender: &str) {
        let fk = hs_traffic.finished_key().unwrap();
        let hash = before_finished(msgs, sender);
        let fin = fk.verify_data(&hash);
        check_printed(trace, &fin, sender, "calculate finished", "finished");
        assert_eq!(fin, finished_body(msgs, sender));
        assert_eq!(fk.verify(&hash, &fin), Ok(()));
    }

    /// The handshake stage of a trace: the handshake secret from `early` and the printed ECDHE
    /// shared secret, both handshake traffic secrets over the transcript through the (last)
    /// ServerHello, their keys, and the server Finished. The RFC prints the client's
    /// handshake keys where `client_keys` (sender, step) says: as the server's read keys, or
    /// (section 4) as the client's write keys. Returns the handshake secret and the client
    /// handshake traffic secret (for the client Finished).
    fn check_handshake_stage(
        trace: &str,
        msgs: &Msgs,
        early: EarlySecret,
        client_keys: (&str, &str),
    ) -> (HandshakeSecret, Secret) {
        let r = |sender, step, field| rfc(trace, sender, step, field);
        let ecdhe = r("server", "extract secret \"handshake\"", "IKM");
        let hs = early.handshake(Some(&ecdhe)).unwrap();
        assert_eq!(
            hs.secret().as_bytes(),
            r("server", "extract secret \"handshake\"", "secret")
        );

        let n_sh = msgs.iter().filter(|m| m.1 == "ServerHello").count();
        let hello = hash_through(msgs, "server", "ServerHello", n_sh);
        assert_eq!(
            hello,
            r("server", "derive secret \"tls13 c hs traffic\"", "hash")
        );
        let c_hs = hs.client_handshake_traffic_secret(&hello).unwrap();
        let s_hs = hs.server_handshake_traffic_secret(&hello).unwrap();
        let (c_both, s_both) = hs.traffic_secrets(&hello).unwrap();
        assert_eq!(c_both.as_bytes(), c_hs.as_bytes());
        assert_eq!(s_both.as_bytes(), s_hs.as_bytes());
        assert_eq!(
            c_hs.as_bytes(),
            r("server", "derive secret \"tls13 c hs traffic\"", "expanded")
        );
        assert_eq!(
            s_hs.as_bytes(),
            r("server", "derive secret \"tls13 s hs traffic\"", "expanded")
        );
        let step = "derive write traffic keys for handshake data";
        check_traffic_keys(trace, &s_hs, "server", step);
        check_traffic_keys(trace, &c_hs, client_keys.0, client_keys.1);

        check_finished(trace, msgs, &s_hs, "server");
        (hs, c_hs)
    }

    /// The master stage of a trace: the master secret, the application traffic secrets and
    /// exporter master secret over the transcript through the server Finished, the
    /// application keys, the client Finished (over everything before it: the client
    /// Certificate and CertificateVerify in section 6, EndOfEarlyData in section 4) and the
    /// resumption master secret over the transcript through it.
    fn check_master_stage(
        trace: &str,
        msgs: &Msgs,
        hs: HandshakeSecret,
        c_hs: &Secret,
    ) -> ResumptionMasterSecret {
        let r = |sender, step, field| rfc(trace, sender, step, field);
        let master = hs.master().unwrap();
        assert_eq!(
            master.secret().as_bytes(),
            r("server", "extract secret \"master\"", "secret")
        );
        let server_fin = hash_through(msgs, "server", "Finished", 1);
        assert_eq!(
            server_fin,
            r("server", "derive secret \"tls13 c ap traffic\"", "hash")
        );
        let c_ap = master
            .client_application_traffic_secret(&server_fin)
            .unwrap();
        let s_ap = master
            .server_application_traffic_secret(&server_fin)
            .unwrap();
        let exp = master.exporter_master_secret(&server_fin).unwrap();
        let (c_all, s_all, exp_all) = master.application_secrets(&server_fin).unwrap();
        assert_eq!(c_all.as_bytes(), c_ap.as_bytes());
        assert_eq!(s_all.as_bytes(), s_ap.as_bytes());
        assert_eq!(exp_all.secret().as_bytes(), exp.secret().as_bytes());
        assert_eq!(
            c_ap.as_bytes(),
            r("server", "derive secret \"tls13 c ap traffic\"", "expanded")
        );
        assert_eq!(
            s_ap.as_bytes(),
            r("server", "derive secret \"tls13 s ap traffic\"", "expanded")
        );
        assert_eq!(
            exp.secret().as_bytes(),
            r("server", "derive secret \"tls13 exp master\"", "expanded")
        );
        let step = "derive write traffic keys for application data";
        check_traffic_keys(trace, &s_ap, "server", step);
        check_traffic_keys(trace, &c_ap, "client", step);

        check_finished(trace, msgs, c_hs, "client");
        let client_fin = hash_through(msgs, "client", "Finished", 1);
        assert_eq!(
            client_fin,
            r("client", "derive secret \"tls13 res master\"", "hash")
        );
        let res = master.resumption_master_secret(&client_fin).unwrap();
        assert_eq!(
            res.secret().as_bytes(),
            r("client", "derive secret \"tls13 res master\"", "expanded")
        );
        res
    }

    /// The 1-RTT part of a trace with no PSK (sections 3, 5, 6, 7): every secret, key, IV and
    /// Finished the RFC prints, derived with the typed schedule from the ECDHE shared secret
    /// and the transcript hashes of the trace's messages.
    fn check_full_handshake(trace: &str) -> ResumptionMasterSecret {
        let msgs = transcript(trace);
        let early = EarlySecret::new(HashAlg::Sha256, None);
        assert_eq!(
            early.secret().as_bytes(),
            rfc(trace, "server", "extract secret \"early\"", "secret")
        );
        let client_keys = ("server", "derive read traffic keys for handshake data");
        let (hs, c_hs) = check_handshake_stage(trace, &msgs, early, client_keys);
        check_master_stage(trace, &msgs, hs, &c_hs)
    }

    /// RFC 8448 section 3 (simple 1-RTT), and the resumption PSK of its NewSessionTicket.
    #[test]
    fn rfc8448_section3_simple_1rtt() {
        let res = check_full_handshake("simple-1rtt");
        let trace = "simple-1rtt";
        let step = "generate resumption secret";
        let nonce = rfc(trace, "server", step, "hash");
        assert_eq!(nonce, [0, 0]);
        let psk = res.psk(&nonce).unwrap();
        assert_eq!(psk.as_bytes(), rfc(trace, "server", step, "expanded"));
        // That PSK is the one section 4 resumes with.
        assert_eq!(
            psk.as_bytes(),
            rfc("resumed-0rtt", "client", "extract secret \"early\"", "IKM")
        );
    }

    /// RFC 8448 section 5: the transcript starts with message_hash in place of the first
    /// ClientHello.
    #[test]
    fn rfc8448_section5_hello_retry_request() {
        check_full_handshake("hello-retry-request");
    }

    /// RFC 8448 sections 6 (client authentication) and 7 (compatibility mode).
    #[test]
    fn rfc8448_sections6_and_7() {
        check_full_handshake("client-auth");
        check_full_handshake("compatibility-mode");
    }

    /// RFC 8448 section 4 (resumed 0-RTT): early secret from the PSK, binder key and binder,
    /// client early traffic secret and keys, early exporter secret, then the handshake.
    #[test]
    fn rfc8448_section4_resumed_0rtt() {
        let trace = "resumed-0rtt";
        let r = |sender, step, field| rfc(trace, sender, step, field);
        let msgs = messages(trace);
        let ch = &msgs[0].2;
        assert_eq!(ch.len(), 512);

        let psk = r("client", "extract secret \"early\"", "IKM");
        let early = EarlySecret::new(HashAlg::Sha256, Some(&psk));
        assert_eq!(
            early.secret().as_bytes(),
            r("client", "extract secret \"early\"", "secret")
        );

        // The binder: over the ClientHello up to the binders list (the last 2 + 1 + 32 bytes).
        let binder_hash = sha256(&[&ch[..477]]);
        assert_eq!(
            binder_hash,
            r("client", "calculate PSK binder", "binder hash")
        );
        let binder_key = early.res_binder_key().unwrap();
        assert_eq!(
            binder_key.as_bytes(),
            r("client", "calculate PSK binder", "PRK")
        );
        let fk = binder_key.finished_key().unwrap();
        let binder = fk.verify_data(&binder_hash);
        assert_eq!(binder, r("client", "calculate PSK binder", "finished"));
        assert_eq!(&ch[477..480], &[0, 33, 32]);
        assert_eq!(binder, ch[480..]);
        assert_eq!(fk.verify(&binder_hash, &ch[480..]), Ok(()));
        // The external-PSK binder key differs (another label).
        assert_ne!(
            early.ext_binder_key().unwrap().as_bytes(),
            binder_key.as_bytes()
        );

        let ch_hash = sha256(&[ch]);
        assert_eq!(
            ch_hash,
            r("client", "derive secret \"tls13 c e traffic\"", "hash")
        );
        let c_e = early.client_early_traffic_secret(&ch_hash).unwrap();
        assert_eq!(
            c_e.as_bytes(),
            r("client", "derive secret \"tls13 c e traffic\"", "expanded")
        );
        let e_exp = early.early_exporter_master_secret(&ch_hash).unwrap();
        assert_eq!(
            e_exp.secret().as_bytes(),
            r("client", "derive secret \"tls13 e exp master\"", "expanded")
        );
        let step = "derive write traffic keys for early application data";
        check_traffic_keys(trace, &c_e, "client", step);

        let client_keys = ("client", "derive write traffic keys for handshake data");
        let (hs, c_hs) = check_handshake_stage(trace, &msgs, early, client_keys);
        check_master_stage(trace, &msgs, hs, &c_hs);
    }

    /// A received Finished that differs in any bit, or in length, is BadFinished.
    #[test]
    fn finished_verify_rejects_any_difference() {
        let fk = Secret::from_bytes(HashAlg::Sha256, &[7; 32])
            .finished_key()
            .unwrap();
        let hash = [9u8; 32];
        let ours = fk.verify_data(&hash);
        let bad = Err(Error::PeerMisbehaved(PeerMisbehaved::BadFinished));
        assert_eq!(fk.verify(&hash, &ours), Ok(()));
        for i in 0..ours.len() {
            for bit in 0..8 {
                let mut theirs = ours.clone();
                theirs[i] ^= 1 << bit;
                assert_eq!(fk.verify(&hash, &theirs), bad, "byte {i} bit {bit}");
            }
        }
        assert_eq!(fk.verify(&hash, &ours[..31]), bad);
        assert_eq!(fk.verify(&hash, &[ours.clone(), vec![0]].concat()), bad);
        assert_eq!(fk.verify(&hash, &[]), bad);
        // Another transcript gives another value.
        assert_eq!(fk.verify(&[8; 32], &ours), bad);
    }

    /// RFC 8448 prints no KeyUpdate or exporter output. These were computed from the section 3
    /// secrets with an independent HKDF-Expand-Label (Python's hmac and hashlib, written from
    /// RFC 8446 sections 7.1, 7.2 and 7.5).
    #[test]
    fn key_update_and_exporter_from_rfc8448_section3_secrets() {
        let c_ap = Secret::from_bytes(
            HashAlg::Sha256,
            &unhex("9e40646ce79a7f9dc05af8889bce6552875afa0b06df0087f792ebb7c17504a5"),
        );
        let c_ap_1 = c_ap.next_traffic_secret().unwrap();
        assert_eq!(
            c_ap_1.as_bytes(),
            unhex("fcdfcc72725aaee48bf64e4fd8b749cdbdbab39d90da0b26e2245ca6ea167207")
        );
        let keys = c_ap_1.traffic_keys(AeadAlg::Aes128Gcm).unwrap();
        assert_eq!(keys.key(), unhex("3879d82f5f14056e623f2ce5bfc66fce"));
        assert_eq!(keys.iv()[..], unhex("5dfb2c5938c3379b6cc5d1f2")[..]);

        let exp = ExporterSecret(Secret::from_bytes(
            HashAlg::Sha256,
            &unhex("fe22f881176eda18eb8f44529e6792c50c9a3f89452f68d8ae311b4309d3cf50"),
        ));
        let mut out = [0u8; 32];
        exp.export(b"EXPORTER-spectls", &[], &mut out).unwrap();
        assert_eq!(
            out[..],
            unhex("6a85057fdbdb177b3e6ef86455f48f4bc19c54bce4e0b8b94809886859188457")[..]
        );
        // 100 bytes: more than one HKDF block.
        let mut out = [0u8; 100];
        exp.export(b"EXPORTER-spectls", b"abc", &mut out).unwrap();
        assert_eq!(
            out[..],
            unhex(
                "91549086c40c89e2c2d90fc08acd78eea951a8bd101ccf18c51f4ac720cb711b
                 4297040349f517abe99c6400cd942284ef97825576115755da71ae480958af3b
                 87be0c569f510d5595c34a1ac06c4fc4786bf5dbfd12c1ed013bc9c67cc41621
                 cca931cf"
            )[..]
        );
        // Labels the HkdfLabel cannot hold, and outputs HKDF cannot make, are refused.
        let mut out = [0u8; 32];
        assert!(matches!(
            exp.export(b"", &[], &mut out),
            Err(Error::ApiMisuse(_))
        ));
        assert!(matches!(
            exp.export(&[b'a'; 250], &[], &mut out),
            Err(Error::ApiMisuse(_))
        ));
        exp.export(&[b'a'; 249], &[], &mut out).unwrap();
        let mut long = vec![0u8; 255 * 32 + 1];
        assert!(matches!(
            exp.export(b"x", &[], &mut long),
            Err(Error::ApiMisuse(_))
        ));
        let mut longest = vec![0u8; 255 * 32];
        exp.export(b"x", &[], &mut longest).unwrap();
    }

    /// The SHA-384 values, by name (see the test below).
    const SHA384: &[(&str, &str)] = &[
        (
            "early",
            "7ee8206f5570023e6dc7519eb1073bc4e791ad37b5c382aa10ba18e2357e7169 \
             71f9362f2c2fe2a76bfd78dfec4ea9b5",
        ),
        (
            "handshake",
            "48c650affee3293e57591b978b45afe555814102deb1d35a9c1cc935f2090829 \
             0454c4bccd820b33d1b499da6e7b6c90",
        ),
        (
            "master",
            "9c4bcb67268f8b38a02d462087c52f05a452e3ece93fd0806bb61302fa7892af \
             8c5cbaee18685854327f78cb6fd2e276",
        ),
        (
            "c_hs",
            "2b7b26af877b683c38ed5583696692edec581c971a9d60a920e81cefdc1943ab \
             a49ed27c8b3c4f20c2ad25cb5c3cdb38",
        ),
        (
            "s_hs",
            "64c54f8f6a8e6d7f350eb522c25d16539209f1ab3e901139baf2199a0f8fb7f1 \
             e91e44ba5bfcd8ea36b859edbb0cb877",
        ),
        (
            "c_ap",
            "216faac9b6fe40762d61e16ee8de20c00fe8eefd5fb05b921be29b2a77d2c320 \
             3ddf1ae2d3e15609bdc72b585b4e779b",
        ),
        (
            "s_ap",
            "48efdf9dff2936aec73f37b8cdf24acea52060b7f9196413fac9bf46bd5c7d98 \
             ef57cf6ab1e0ff845d3812cd3bdb0e61",
        ),
        (
            "exp",
            "e0dde380cf011ed31f0da30ad712cf104152de7cf873351bd8d8d9630b8c4bbd \
             4eadf6bddbe109c12582188fdee189cc",
        ),
        (
            "res",
            "9a73e258dc87998fa51028514335b18116697139722788c7d4652dc6fb4789b7 \
             f7661250c3b935095d66a9d28a07ae24",
        ),
        (
            "psk",
            "95abd95a2714125a6be831cd75cb525dbdff1ac83d023d491d120097bb21f036 \
             7426375c3d631e2e20b75d3ef9b1822e",
        ),
        (
            "s_hs_key",
            "ccffec0c32cf4a43867926d2ae0e1e86e23ce0e34df4f00414055cbd48cadeb8",
        ),
        ("s_hs_iv", "b8f9f5d0f11ba9566e4c861c"),
        (
            "s_finished",
            "7f4240248ada688e9a2103ebefae9939ad7a937a0c110f4fa813ba0034861486 \
             9706217963bc76c976a0c90aac876a76",
        ),
        (
            "c_ap_1",
            "009c59303bbf1dad84377bd077c45f1d750ba066919885a846a6572ad474b282 \
             58d225219d9499c8e0d362d72bcf96f4",
        ),
        (
            "export",
            "b1d69aef321c052e46c439491a7d1fd7aabf21cde9b55ffc1c3ccaea1896012d \
             16234666847c64cf90827056709778c513056b7ebfb37e4398dd587472044e5c",
        ),
        (
            "early_psk",
            "14d61a143d7a666ee02f9d18e0baa00eaa84b050a97333615c19272e0717f866 \
             ba7583cc02c1373ce31a536e5e87052f",
        ),
        (
            "res_binder",
            "30a76155d4d00789867b05876ed9b4d65f94512698888b5b1f2a732161152741 \
             b7924272c4c2c7653c6943360cb6046c",
        ),
        (
            "ext_binder",
            "9d340776ca181baf1cbb3d2ec563ef2e86d500a613fa3c8116188dd002919fec \
             1cc3f8b3e7a0fb1c40f43e0490336ef8",
        ),
        (
            "psk_ke_handshake",
            "4b648668dacc7186515b305c9127c39ef03571a8885b9b0bdf8739cc6867f0bc \
             49b67ad46ea3a05f8e4f83dadb5fa6ee",
        ),
    ];

    /// SHA-384 (TLS_AES_256_GCM_SHA384), which RFC 8448 does not use: a whole schedule against
    /// an independent computation (Python's hmac and hashlib, written from RFC 8446 section 7).
    /// Inputs: ECDHE secret 01..30, transcript hashes SHA-384("hello"), ("server finished"),
    /// ("client finished"), ticket nonce 00 01, AES-256-GCM keys.
    #[test]
    fn sha384_schedule_matches_independent_computation() {
        let want = |name: &str| {
            let v = SHA384.iter().find(|(n, _)| *n == name).unwrap().1;
            unhex(v)
        };
        let h = HashAlg::Sha384;
        let d = |s: &[u8]| digest::digest(&digest::SHA384, s).as_ref().to_vec();
        let (th1, th2, th3) = (d(b"hello"), d(b"server finished"), d(b"client finished"));
        let early = EarlySecret::new(h, None);
        assert_eq!(early.secret().as_bytes(), want("early"));
        let ecdhe: Vec<u8> = (1..=48).collect();
        let hs = early.handshake(Some(&ecdhe)).unwrap();
        assert_eq!(hs.secret().as_bytes(), want("handshake"));
        let c_hs = hs.client_handshake_traffic_secret(&th1).unwrap();
        let s_hs = hs.server_handshake_traffic_secret(&th1).unwrap();
        assert_eq!(c_hs.as_bytes(), want("c_hs"));
        assert_eq!(s_hs.as_bytes(), want("s_hs"));
        let keys = s_hs.traffic_keys(AeadAlg::Aes256Gcm).unwrap();
        assert_eq!(keys.key(), want("s_hs_key"));
        assert_eq!(keys.iv()[..], want("s_hs_iv")[..]);
        let fk = s_hs.finished_key().unwrap();
        assert_eq!(fk.verify_data(&th1), want("s_finished"));
        let master = hs.master().unwrap();
        assert_eq!(master.secret().as_bytes(), want("master"));
        let c_ap = master.client_application_traffic_secret(&th2).unwrap();
        let s_ap = master.server_application_traffic_secret(&th2).unwrap();
        assert_eq!(c_ap.as_bytes(), want("c_ap"));
        assert_eq!(s_ap.as_bytes(), want("s_ap"));
        assert_eq!(
            c_ap.next_traffic_secret().unwrap().as_bytes(),
            want("c_ap_1")
        );
        let exp = master.exporter_master_secret(&th2).unwrap();
        assert_eq!(exp.secret().as_bytes(), want("exp"));
        let mut out = [0u8; 64];
        exp.export(b"EXPORTER-spectls", b"context", &mut out)
            .unwrap();
        assert_eq!(out[..], want("export")[..]);
        let res = master.resumption_master_secret(&th3).unwrap();
        assert_eq!(res.secret().as_bytes(), want("res"));
        let psk = res.psk(&[0, 1]).unwrap();
        assert_eq!(psk.as_bytes(), want("psk"));
        // Resuming with that PSK: early secret, both binder keys, and a psk_ke handshake
        // secret (no ECDHE: Hash.length zeros).
        let early = EarlySecret::new(h, Some(psk.as_bytes()));
        assert_eq!(early.secret().as_bytes(), want("early_psk"));
        assert_eq!(
            early.res_binder_key().unwrap().as_bytes(),
            want("res_binder")
        );
        assert_eq!(
            early.ext_binder_key().unwrap().as_bytes(),
            want("ext_binder")
        );
        let hs = early.handshake(None).unwrap();
        assert_eq!(hs.secret().as_bytes(), want("psk_ke_handshake"));
    }

    /// A transcript hash of the wrong length (another hash's) is an internal error, not a
    /// silently different secret; HKDF-Expand-Label refuses arguments its HkdfLabel cannot hold.
    #[test]
    fn wrong_lengths_are_refused() {
        let hs = EarlySecret::new(HashAlg::Sha384, None)
            .handshake(Some(&[1; 32]))
            .unwrap();
        assert!(matches!(
            hs.client_handshake_traffic_secret(&[0; 32]),
            Err(Error::Internal(_))
        ));
        let mut out = [0u8; 16];
        let s = [0u8; 32];
        assert!(matches!(
            hkdf_expand_label(HashAlg::Sha256, &s, b"k", &[0; 256], &mut out),
            Err(Error::ApiMisuse(_))
        ));
        hkdf_expand_label(HashAlg::Sha256, &s, b"k", &[0; 255], &mut out).unwrap();
        let mut big = vec![0u8; 65536];
        assert!(matches!(
            hkdf_expand_label(HashAlg::Sha384, &s, b"k", &[], &mut big),
            Err(Error::ApiMisuse(_))
        ));
        let res = ResumptionMasterSecret(Secret::from_bytes(HashAlg::Sha256, &s));
        assert!(matches!(res.psk(&[0; 256]), Err(Error::ApiMisuse(_))));
    }

    /// Secrets, keys and Finished keys wipe themselves when dropped, and their Debug output
    /// shows no key bytes.
    #[test]
    fn secrets_are_zeroize_on_drop_and_debug_hides_them() {
        fn zod<T: ZeroizeOnDrop>() {}
        zod::<Secret>();
        zod::<TrafficKeys>();
        let s = Secret::from_bytes(HashAlg::Sha256, &[0xab; 32]);
        let keys = s.traffic_keys(AeadAlg::ChaCha20Poly1305).unwrap();
        assert_eq!(keys.key().len(), 32);
        for d in [
            format!("{s:?}"),
            format!("{keys:?}"),
            format!("{:?}", s.finished_key().unwrap()),
            format!("{:?}", EarlySecret::new(HashAlg::Sha256, Some(&[0xab; 32]))),
        ] {
            assert!(
                !d.contains("171") && !d.contains("ab, ab") && !d.contains('['),
                "{d}"
            );
        }
    }
}
