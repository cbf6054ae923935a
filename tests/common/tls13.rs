//! TLS 1.3 scaffolding: configurations that speak 1.3, the secrets a connection logs (so a test
//! can open and re-seal its protected records, as the key log lets Wireshark do), and a
//! handshake whose flights a test can edit.

use super::*;
use spectls::codec::Encode;
#[allow(unused_imports)]
use spectls::codec::Reader as _;
use spectls::crypto::cipher13::{Tls13Decrypter, Tls13Encrypter};
use spectls::crypto::key_schedule::Secret;
use spectls::crypto::suites::SupportedCipherSuite;
use spectls::version::TLS13;
use spectls::wire::{tls13::Handshake, CertificateType, ContentType};
use spectls::KeyLog;
use std::sync::Mutex;

/// Records every secret a connection logs, by label.
#[derive(Debug, Default)]
pub struct Secrets(Mutex<Vec<(String, Vec<u8>)>>);

impl KeyLog for Secrets {
    fn log(&self, label: &str, _client_random: &[u8], secret: &[u8]) {
        self.0
            .lock()
            .unwrap()
            .push((label.to_string(), secret.to_vec()));
    }
}

impl Secrets {
    /// The secret logged last under `label`.
    pub fn get(&self, label: &str) -> Vec<u8> {
        self.0
            .lock()
            .unwrap()
            .iter()
            .rev()
            .find(|(l, _)| l == label)
            .unwrap_or_else(|| panic!("no {label} logged"))
            .1
            .clone()
    }

    /// Every label logged, in order.
    pub fn labels(&self) -> Vec<String> {
        self.0
            .lock()
            .unwrap()
            .iter()
            .map(|(l, _)| l.clone())
            .collect()
    }
}

/// A TLS 1.3-only client trusting the test CA, edited by `build`.
pub fn client13(
    build: impl FnOnce(spectls::ClientConfigBuilder) -> spectls::ClientConfigBuilder,
) -> ClientConfig {
    build(
        ClientConfig::builder()
            .with_root_certificates(roots())
            .with_protocol_versions(&[TLS13]),
    )
    .build()
    .expect("client config")
}

/// A TLS 1.3-only server with the test ECDSA (or RSA) certificate, edited by `build`.
pub fn server13(
    rsa: bool,
    build: impl FnOnce(spectls::ServerConfigBuilder) -> spectls::ServerConfigBuilder,
) -> ServerConfig {
    build(server_builder(rsa).with_protocol_versions(&[TLS13]))
        .build()
        .expect("server config")
}

/// A connected TLS 1.3 pair (defaults but for 1.3 only), checked to have negotiated 1.3.
pub fn connected13() -> (ClientConnection, ServerConnection) {
    let (mut c, mut s) = pair(client13(|b| b), server13(false, |b| b));
    handshake(&mut c, &mut s).expect("TLS 1.3 handshake");
    assert_eq!(c.protocol_version(), Some(TLS13));
    assert_eq!(s.protocol_version(), Some(TLS13));
    (c, s)
}

/// One direction of one epoch: seals and opens records under a traffic secret, counting the
/// sequence number as the connection does.
pub struct Epoch {
    enc: Tls13Encrypter,
    dec: Tls13Decrypter,
    seq: u64,
}

impl Epoch {
    /// The epoch of `secret` (as logged) for `suite`.
    pub fn new(suite: &SupportedCipherSuite, secret: &[u8]) -> Self {
        let keys = Secret::from_bytes(suite.hash, secret)
            .traffic_keys(suite.aead)
            .expect("keys");
        Epoch {
            enc: Tls13Encrypter::new(suite.aead, keys.key(), keys.iv()).unwrap(),
            dec: Tls13Decrypter::new(suite.aead, keys.key(), keys.iv()).unwrap(),
            seq: 0,
        }
    }

    /// Opens the next record: its inner type and content.
    pub fn open(&mut self, record: &[u8]) -> (ContentType, Vec<u8>) {
        let mut buf = record.to_vec();
        let opened = self
            .dec
            .open(self.seq, &mut buf, &mut Vec::new())
            .expect("a record of this epoch");
        self.seq += 1;
        (opened.typ, buf[opened.content].to_vec())
    }

    /// Seals `content` of type `typ` as the next record.
    pub fn seal(&mut self, typ: ContentType, content: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        self.enc
            .seal(self.seq, typ, content, 0, &mut out)
            .expect("seal");
        self.seq += 1;
        out
    }
}

/// The handshake messages in `content` (one record's), each whole.
pub fn messages13(content: &[u8]) -> Vec<Vec<u8>> {
    handshake_messages(&frame(ContentType::Handshake, content))
}

/// Decodes one TLS 1.3 handshake message (SHA-256 suites: 32-byte Finished).
pub fn decode13(bytes: &[u8], hash_len: usize) -> Handshake<'_> {
    Handshake::from_bytes(bytes, Some(CertificateType::X509), Some(hash_len)).expect("decodes")
}

/// Encodes a TLS 1.3 handshake message.
pub fn encode13(msg: &Handshake<'_>) -> Vec<u8> {
    msg.to_vec()
}
