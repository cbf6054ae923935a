//! The handshake transcript: the running hash of the handshake messages, buffered until the
//! cipher suite names the hash.

use crate::crypto::suites::HashAlg;
use crate::Error;
use ring::digest;
use std::fmt;

/// The running hash of the handshake messages (RFC 5246 section 7.4.9 `handshake_messages`).
///
/// The hash is named by the cipher suite, which is only known from the ServerHello, so the
/// transcript starts by buffering raw message bytes; [`Transcript::start_hash`] then switches to
/// hashing. A buffering transcript ([`Transcript::new_buffering`]) also keeps every byte, because
/// a TLS 1.2 CertificateVerify signs the messages themselves, not their hash.
pub struct Transcript {
    hash: Option<(HashAlg, digest::Context)>,
    buffer: Vec<u8>,
    /// Keep every byte in `buffer` even after the hash started.
    keep_all: bool,
}

impl Transcript {
    /// A transcript that buffers until the hash is known, then only hashes.
    pub fn new() -> Self {
        Transcript {
            hash: None,
            buffer: Vec::new(),
            keep_all: false,
        }
    }

    /// A transcript that also keeps every message byte (for client-auth CertificateVerify).
    pub fn new_buffering() -> Self {
        Transcript {
            keep_all: true,
            ..Transcript::new()
        }
    }

    /// Starts hashing with `hash`, first feeding it everything added so far.
    ///
    /// Calling it again with the same hash does nothing. Switching to another hash is only
    /// possible while every byte is still kept; otherwise it is an internal error (the suite
    /// cannot change within a handshake).
    pub fn start_hash(&mut self, hash: HashAlg) -> Result<(), Error> {
        match &self.hash {
            Some((h, _)) if *h == hash => return Ok(()),
            Some(_) if !self.keep_all => {
                return Err(Error::Internal(
                    "transcript hash already started with another algorithm".into(),
                ))
            }
            _ => {}
        }
        let mut ctx = digest::Context::new(hash.digest_algorithm());
        ctx.update(&self.buffer);
        self.hash = Some((hash, ctx));
        if !self.keep_all {
            // The bytes live on in the hash state; no need to hold the Certificate chain.
            self.buffer = Vec::new();
        }
        Ok(())
    }

    /// Adds one encoded handshake message (header included).
    pub fn add(&mut self, bytes: &[u8]) {
        match &mut self.hash {
            Some((_, ctx)) => {
                ctx.update(bytes);
                if self.keep_all {
                    self.buffer.extend_from_slice(bytes);
                }
            }
            None => self.buffer.extend_from_slice(bytes),
        }
    }

    /// The hash of everything added so far; the transcript can keep growing afterwards.
    ///
    /// An internal error before [`Transcript::start_hash`]: there is no hash to report yet.
    pub fn current_hash(&self) -> Result<TranscriptHash, Error> {
        match &self.hash {
            Some((_, ctx)) => Ok(TranscriptHash(ctx.clone().finish())),
            None => Err(Error::Internal(
                "transcript hash requested before the hash algorithm is known".into(),
            )),
        }
    }

    /// The hash of everything added so far followed by `more`, without adding `more`: a PSK
    /// binder covers the ClientHello being built (RFC 8446 4.2.11.2). Before the hash is
    /// started (a first ClientHello), `hash` says which to use over the buffered messages.
    pub fn hash_with(&self, hash: HashAlg, more: &[u8]) -> Result<TranscriptHash, Error> {
        let mut ctx = match &self.hash {
            Some((h, ctx)) if *h == hash => ctx.clone(),
            Some(_) => {
                return Err(Error::Internal(
                    "a binder's hash differs from the transcript's".into(),
                ))
            }
            None => {
                let mut ctx = digest::Context::new(hash.digest_algorithm());
                ctx.update(&self.buffer);
                ctx
            }
        };
        ctx.update(more);
        Ok(TranscriptHash(ctx.finish()))
    }

    /// RFC 8446 4.4.1: after a HelloRetryRequest the first ClientHello is replaced by the
    /// synthetic `message_hash` message (type 254, a 3-byte length, the hash of ClientHello1).
    /// The hash must have been started (the HelloRetryRequest names the suite).
    pub fn replace_with_message_hash(&mut self) -> Result<(), Error> {
        let hash = self.current_hash()?;
        let Some((alg, _)) = self.hash else {
            return Err(Error::Internal(
                "message_hash before the hash was started".into(),
            ));
        };
        let header = crate::codec::Encode::to_vec(&crate::wire::HandshakeHeader {
            msg_type: crate::wire::HandshakeType::MessageHash,
            length: hash.len() as u32,
        });
        let mut ctx = digest::Context::new(alg.digest_algorithm());
        ctx.update(&header);
        ctx.update(&hash);
        self.hash = Some((alg, ctx));
        if self.keep_all {
            self.buffer.clear();
            self.buffer.extend_from_slice(&header);
            self.buffer.extend_from_slice(&hash);
        }
        Ok(())
    }

    /// The hash in use, once started.
    pub fn hash_alg(&self) -> Option<HashAlg> {
        self.hash.as_ref().map(|(h, _)| *h)
    }

    /// Every byte added so far, if this transcript still has them all: always for a buffering
    /// transcript (until [`Transcript::stop_buffering`]), otherwise only before the hash started.
    pub fn buffered(&self) -> Option<&[u8]> {
        (self.keep_all || self.hash.is_none()).then_some(self.buffer.as_slice())
    }

    /// Stops keeping raw bytes once they cannot be needed (no client certificate was asked
    /// for); the hash carries on. Has no effect on bytes kept until the hash starts.
    pub fn stop_buffering(&mut self) {
        self.keep_all = false;
        if self.hash.is_some() {
            self.buffer = Vec::new();
        }
    }
}

/// A transcript hash, in place (no allocation: a handshake takes about ten); it reads as the
/// hash's bytes.
#[derive(Clone, Copy)]
pub struct TranscriptHash(digest::Digest);

impl std::ops::Deref for TranscriptHash {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        self.0.as_ref()
    }
}

impl AsRef<[u8]> for TranscriptHash {
    fn as_ref(&self) -> &[u8] {
        self.0.as_ref()
    }
}

/// Transcript hashes are public values: an ordinary comparison.
impl PartialEq for TranscriptHash {
    fn eq(&self, other: &Self) -> bool {
        self.as_ref() == other.as_ref()
    }
}

impl Eq for TranscriptHash {}

impl fmt::Debug for TranscriptHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("TranscriptHash").field(&self.0).finish()
    }
}

impl Default for Transcript {
    fn default() -> Self {
        Transcript::new()
    }
}

impl fmt::Debug for Transcript {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Transcript")
            .field("hash", &self.hash_alg())
            .field("buffered_bytes", &self.buffer.len())
            .field("keep_all", &self.keep_all)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Error;

    #[test]
    fn transcript_buffers_until_the_hash_is_known() {
        let msgs: [&[u8]; 3] = [b"client hello", b"server hello", b"certificate chain"];
        let mut all = Vec::new();
        for h in [HashAlg::Sha256, HashAlg::Sha384] {
            let mut t = Transcript::new();
            assert!(t.current_hash().is_err());
            t.add(msgs[0]);
            t.add(msgs[1]);
            assert_eq!(t.buffered(), Some(&b"client helloserver hello"[..]));
            t.start_hash(h).unwrap();
            assert_eq!(t.hash_alg(), Some(h));
            // A non-buffering transcript no longer has the raw bytes.
            assert_eq!(t.buffered(), None);
            all.clear();
            all.extend_from_slice(msgs[0]);
            all.extend_from_slice(msgs[1]);
            assert_eq!(
                &*t.current_hash().unwrap(),
                digest::digest(h.digest_algorithm(), &all).as_ref()
            );
            // current_hash is not destructive: the transcript keeps growing.
            t.add(msgs[2]);
            all.extend_from_slice(msgs[2]);
            let want = digest::digest(h.digest_algorithm(), &all);
            assert_eq!(&*t.current_hash().unwrap(), want.as_ref());
            assert_eq!(&*t.current_hash().unwrap(), want.as_ref());
            assert_eq!(t.current_hash().unwrap().len(), h.output_len());
            // Restarting with the same hash is a no-op; another hash cannot be reconstructed.
            t.start_hash(h).unwrap();
            assert_eq!(&*t.current_hash().unwrap(), want.as_ref());
            let other = match h {
                HashAlg::Sha256 => HashAlg::Sha384,
                HashAlg::Sha384 => HashAlg::Sha256,
            };
            assert!(matches!(t.start_hash(other), Err(Error::Internal(_))));
        }
    }

    #[test]
    fn buffering_transcript_keeps_every_byte() {
        let mut t = Transcript::new_buffering();
        t.add(b"one");
        t.start_hash(HashAlg::Sha256).unwrap();
        t.add(b"two");
        assert_eq!(t.buffered(), Some(&b"onetwo"[..]));
        assert_eq!(
            &*t.current_hash().unwrap(),
            digest::digest(&digest::SHA256, b"onetwo").as_ref()
        );
        // With every byte kept, the hash can still be switched.
        t.start_hash(HashAlg::Sha384).unwrap();
        assert_eq!(
            &*t.current_hash().unwrap(),
            digest::digest(&digest::SHA384, b"onetwo").as_ref()
        );
        t.stop_buffering();
        assert_eq!(t.buffered(), None);
        t.add(b"three");
        assert_eq!(
            &*t.current_hash().unwrap(),
            digest::digest(&digest::SHA384, b"onetwothree").as_ref()
        );
    }
}
