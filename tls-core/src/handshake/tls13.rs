//! What the TLS 1.3 client and server machines share: installing traffic keys for each epoch
//! (RFC 8446 7.3), logging secrets, the post-handshake traffic secrets with KeyUpdate (4.6.3),
//! and the extension rules of 4.2.

use crate::codec::Encode;
use crate::crypto::cipher13::{Tls13Decrypter, Tls13Encrypter};
use crate::crypto::key_schedule::Secret;
use crate::crypto::suites::SupportedCipherSuite;
use crate::error::{Error, PeerMisbehaved};
use crate::handshake::Context;
use crate::keylog::KeyLog;
use crate::wire::tls13::{Handshake, KeyUpdate};
use crate::wire::{ContentType, Extension, KeyUpdateRequest};

/// A sealer for the records sent under `secret` (one epoch's traffic secret).
pub(crate) fn encrypter(
    secret: &Secret,
    suite: &SupportedCipherSuite,
) -> Result<Tls13Encrypter, Error> {
    let keys = secret.traffic_keys(suite.aead)?;
    Tls13Encrypter::new(suite.aead, keys.key(), keys.iv())
}

/// An opener for the records received under `secret`.
pub(crate) fn decrypter(
    secret: &Secret,
    suite: &SupportedCipherSuite,
) -> Result<Tls13Decrypter, Error> {
    let keys = secret.traffic_keys(suite.aead)?;
    Tls13Decrypter::new(suite.aead, keys.key(), keys.iv())
}

/// Logs a TLS 1.3 secret under its NSS key log label (CLIENT_HANDSHAKE_TRAFFIC_SECRET, ...).
pub(crate) fn log_secret(key_log: &dyn KeyLog, label: &str, client_random: &[u8], s: &Secret) {
    if key_log.will_log(label) {
        key_log.log(label, client_random, s.as_bytes());
    }
}

impl Context<'_> {
    /// Encodes, records in the transcript, and sends a TLS 1.3 handshake message.
    pub(crate) fn send13(&mut self, msg: &Handshake<'_>) -> Result<(), Error> {
        let bytes = self.encode13(msg);
        self.transcript.add(&bytes);
        self.writer.write(ContentType::Handshake, &bytes, self.tx)
    }

    /// Sends a post-handshake message (KeyUpdate, NewSessionTicket): not part of any transcript.
    pub(crate) fn send13_after_handshake(&mut self, msg: &Handshake<'_>) -> Result<(), Error> {
        let bytes = self.encode13(msg);
        self.writer.write(ContentType::Handshake, &bytes, self.tx)
    }

    fn encode13(&self, msg: &Handshake<'_>) -> Vec<u8> {
        log::debug!("sent {msg:?}");
        let mut bytes = Vec::with_capacity(512);
        msg.encode(&mut bytes);
        bytes
    }
}

/// The application traffic secrets of a connected TLS 1.3 session: what KeyUpdate moves on.
pub(crate) struct Traffic {
    pub suite: &'static SupportedCipherSuite,
    /// Our current application traffic secret (what we send under).
    pub ours: Secret,
    /// The peer's.
    pub theirs: Secret,
}

impl Traffic {
    /// Sends KeyUpdate under the current key, then moves our sending key on (RFC 8446 4.6.3).
    /// `request`: ask the peer to update its own too.
    pub(crate) fn send_key_update(
        &mut self,
        request: bool,
        cx: &mut Context<'_>,
    ) -> Result<(), Error> {
        if cx.writer.is_closed() {
            return Err(Error::ApiMisuse("close_notify already sent"));
        }
        let request_update = if request {
            KeyUpdateRequest::UpdateRequested
        } else {
            KeyUpdateRequest::UpdateNotRequested
        };
        cx.send13_after_handshake(&Handshake::KeyUpdate(KeyUpdate { request_update }))?;
        self.ours = self.ours.next_traffic_secret()?;
        cx.writer
            .set_encrypter13(encrypter(&self.ours, self.suite)?, cx.tx)
    }

    /// The peer's KeyUpdate: its next records come under its next secret; if it asked, we
    /// update ours too, once for requests that arrive before we send application data again
    /// (a peer that floods them is bounded by the post-handshake message limit as well).
    pub(crate) fn on_key_update(
        &mut self,
        update: &KeyUpdate,
        cx: &mut Context<'_>,
    ) -> Result<(), Error> {
        self.theirs = self.theirs.next_traffic_secret()?;
        cx.reader
            .set_decrypter13(decrypter(&self.theirs, self.suite)?);
        let requested = update.request_update == KeyUpdateRequest::UpdateRequested;
        if requested && !cx.writer.is_closed() && !cx.writer.key_update_answered() {
            self.send_key_update(false, cx)?;
            cx.writer.set_key_update_answered();
        }
        Ok(())
    }
}

/// RFC 8446 4.2: an extension in a message that may not carry it. Extensions we did not offer
/// are `unsupported_extension`; known ones in the wrong message are `illegal_parameter`.
pub(crate) fn misplaced(e: &Extension<'_>, offered: bool) -> Error {
    if offered {
        Error::PeerMisbehaved(PeerMisbehaved::Other(
            "extension not allowed in this TLS 1.3 message",
        ))
    } else {
        Error::PeerMisbehaved(PeerMisbehaved::UnsolicitedExtension(e.selector().value()))
    }
}
