//! The unbuffered path: records opened in the caller's buffer and sealed into the caller's
//! output, with no copy into the connection.

use super::ConnectionCommon;
use crate::error::Error;
use crate::wire::ContentType;

impl ConnectionCommon {
    /// The unbuffered receive path: processes the TLS records at the front of `buf`, bytes the
    /// caller received and keeps, opening them in place. Handshake messages, alerts and
    /// ChangeCipherSpec are handled as [`ConnectionCommon::process_new_packets`] handles them
    /// (anything they make us send is queued for `write_tls` or the next
    /// [`ConnectionCommon::write_tls_into`]); the first application data record stops the call
    /// and its plaintext is returned as a slice of `buf`, decrypted where it lay: no copy.
    ///
    /// Call it again on `buf[consumed..]` until `consumed` is 0 (the rest is an incomplete
    /// record: receive more and append). Errors are sticky and queue their alert, as with
    /// `process_new_packets`. Bytes already taken with `read_tls` must be processed and their
    /// plaintext read first: mixing the two paths otherwise is [`Error::ApiMisuse`].
    pub fn read_tls_in_place<'b>(&mut self, buf: &'b mut [u8]) -> Result<InPlaceRead<'b>, Error> {
        if let Some(e) = &self.error {
            return Err(e.clone());
        }
        if !self.rx.is_empty() {
            return Err(Error::ApiMisuse(
                "read_tls_in_place while bytes from read_tls are unprocessed or unread",
            ));
        }
        let mut pos = 0;
        let result = loop {
            if self.peer_closed {
                break Ok(None);
            }
            let input = buf.get_mut(pos..).unwrap_or_default();
            let rec = match self.reader.read(input) {
                Ok(Some(rec)) => rec,
                Ok(None) => break Ok(None),
                Err(e) => break Err(e),
            };
            let range = pos + rec.plaintext.start..pos + rec.plaintext.end;
            pos += rec.consumed;
            if rec.skipped {
                match self.check_skipped_record() {
                    Ok(()) => continue,
                    Err(e) => break Err(e),
                }
            }
            let data = buf.get(range.clone()).unwrap_or_default();
            match self.handle_record(rec.typ, data, rec.unprotected) {
                Ok(true) => break Ok(Some(range)),
                Ok(false) => {}
                Err(e) => break Err(e),
            }
            if self.error.is_some() {
                break Ok(None);
            }
        };
        match result {
            Ok(range) => {
                let buf: &'b [u8] = buf;
                Ok(InPlaceRead {
                    consumed: pos,
                    plaintext: range.and_then(|r| buf.get(r)).unwrap_or_default(),
                    peer_has_closed: self.peer_closed,
                })
            }
            Err(e) => {
                self.fail(e.clone());
                Err(e)
            }
        }
    }

    /// The unbuffered send path: seals `data` as application data records straight into
    /// `out` (appended), behind any TLS bytes already queued for `write_tls` (alerts, for
    /// instance), which move to `out` first so records stay in order. One copy of the
    /// plaintext, fused with sealing; nothing is buffered in the connection.
    ///
    /// Only once the handshake is over ([`Error::ApiMisuse`] before, or after
    /// `send_close_notify`).
    pub fn write_tls_into(&mut self, data: &[u8], out: &mut Vec<u8>) -> Result<(), Error> {
        if let Some(e) = &self.error {
            return Err(e.clone());
        }
        if !self.handshake_done {
            return Err(Error::ApiMisuse(
                "write_tls_into before the handshake is complete",
            ));
        }
        if self.sent_close_notify {
            return Err(Error::ApiMisuse("write_tls_into after close_notify"));
        }
        self.update_keys_if_due()?;
        if self.wants_write() {
            out.extend_from_slice(self.tx.get(self.tx_sent..).unwrap_or_default());
            self.tx.clear();
            self.tx_sent = 0;
        }
        self.writer.write(ContentType::ApplicationData, data, out)
    }
}

/// What [`ConnectionCommon::read_tls_in_place`] did with the caller's buffer.
#[derive(Debug, PartialEq, Eq)]
pub struct InPlaceRead<'b> {
    /// Bytes at the front of the buffer that were processed: drop them (after using
    /// `plaintext`, which lies inside them) before the next call.
    pub consumed: usize,
    /// The application data of one record, decrypted in place; empty when no application
    /// data record was complete.
    pub plaintext: &'b [u8],
    /// The peer sent close_notify: nothing more will come.
    pub peer_has_closed: bool,
}
