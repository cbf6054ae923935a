//! RFC 8448's example TLS 1.3 handshakes, record by record: every protected record its five traces
//! print (27 records, `tests/data/rfc8448/records.txt`) opens with the write key and IV the trace
//! prints for it, at its sequence number, to the content type and content the trace says (a
//! handshake record's content is the concatenation of the `messages.txt` messages it carries),
//! and sealing that content again with the same key and sequence number gives the identical
//! record. The same keys also come out of the key schedule from the traffic secrets the traces
//! print (`key_schedule.txt`). Then, on the same records: padding, a wrong sequence number or
//! key, a changed header or tag, and a ciphertext over 2^14 + 256 bytes.

mod common;

use common::unhex;
use spectls::crypto::cipher13::{Opened, Tls13Decrypter, Tls13Encrypter, MAX_CIPHERTEXT};
use spectls::crypto::key_schedule::Secret;
use spectls::crypto::suites::{AeadAlg, HashAlg};
use spectls::wire::ContentType;
use spectls::Error;
use std::collections::HashMap;

const RECORDS: &str = include_str!("data/rfc8448/records.txt");
const MESSAGES: &str = include_str!("data/rfc8448/messages.txt");

/// Every trace uses TLS_AES_128_GCM_SHA256.
const AEAD: AeadAlg = AeadAlg::Aes128Gcm;

#[derive(Debug)]
struct Record {
    trace: &'static str,
    sender: &'static str,
    keys: &'static str,
    seq: u64,
    typ: ContentType,
    content: Vec<u8>,
    bytes: Vec<u8>,
}

impl Record {
    fn what(&self) -> String {
        format!(
            "{} {} record {} of {}",
            self.trace, self.sender, self.seq, self.keys
        )
    }
}

/// `(trace, key name)` to the write key and IV.
type Keys = HashMap<(&'static str, &'static str), (Vec<u8>, Vec<u8>)>;

fn lines(text: &'static str) -> impl Iterator<Item = Vec<&'static str>> {
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .map(|l| l.split(' ').collect())
}

/// The handshake messages of `messages.txt` by (trace, sender, name).
fn messages() -> HashMap<(&'static str, &'static str, &'static str), Vec<u8>> {
    let mut map = HashMap::new();
    for cols in lines(MESSAGES) {
        assert_eq!(cols.len(), 4, "{cols:?}");
        let old = map.insert((cols[0], cols[1], cols[2]), unhex(cols[3]));
        // Some names repeat in a trace (the retried ClientHello); none of those is protected.
        if let Some(old) = old {
            assert!(matches!(cols[2], "ClientHello" | "ServerHello"), "{old:?}");
        }
    }
    map
}

fn data() -> (Keys, Vec<Record>) {
    let messages = messages();
    let mut keys = Keys::new();
    let mut records = Vec::new();
    for cols in lines(RECORDS) {
        match cols[0] {
            "key" => {
                assert_eq!(cols.len(), 5, "{cols:?}");
                let (key, iv) = (unhex(cols[3]), unhex(cols[4]));
                assert_eq!((key.len(), iv.len()), (16, 12));
                assert!(keys.insert((cols[1], cols[2]), (key, iv)).is_none());
            }
            "record" => {
                assert_eq!(cols.len(), 8, "{cols:?}");
                let (trace, sender) = (cols[1], cols[2]);
                let typ = match cols[5] {
                    "handshake" => ContentType::Handshake,
                    "application_data" => ContentType::ApplicationData,
                    "alert" => ContentType::Alert,
                    other => panic!("content type {other}"),
                };
                let content = if typ == ContentType::Handshake {
                    cols[6]
                        .split(',')
                        .flat_map(|name| messages[&(trace, sender, name)].clone())
                        .collect()
                } else {
                    unhex(cols[6])
                };
                assert!(keys.contains_key(&(trace, cols[3])), "{cols:?}");
                assert!(
                    cols[3].starts_with(sender),
                    "a sender writes with its own keys"
                );
                records.push(Record {
                    trace,
                    sender,
                    keys: cols[3],
                    seq: cols[4].parse().unwrap(),
                    typ,
                    content,
                    bytes: unhex(cols[7]),
                });
            }
            other => panic!("line kind {other}"),
        }
    }
    (keys, records)
}

fn decrypter(keys: &Keys, r: &Record) -> Tls13Decrypter {
    let (key, iv) = &keys[&(r.trace, r.keys)];
    Tls13Decrypter::new(AEAD, key, iv).unwrap()
}

fn encrypter(keys: &Keys, r: &Record) -> Tls13Encrypter {
    let (key, iv) = &keys[&(r.trace, r.keys)];
    Tls13Encrypter::new(AEAD, key, iv).unwrap()
}

/// Opens a copy of `record`: the content type and the content.
fn open(dec: &Tls13Decrypter, seq: u64, record: &[u8]) -> Result<(ContentType, Vec<u8>), Error> {
    let mut buf = record.to_vec();
    let opened = dec.open(seq, &mut buf, &mut Vec::new())?;
    Ok((opened.typ, buf[opened.content].to_vec()))
}

#[test]
fn the_data_holds_every_protected_record_of_sections_3_to_7() {
    let (keys, records) = data();
    assert_eq!(keys.len(), 21);
    assert_eq!(records.len(), 27);
    let count = |trace| records.iter().filter(|r| r.trace == trace).count();
    assert_eq!(
        [
            count("simple-1rtt"),
            count("resumed-0rtt"),
            count("hello-retry-request"),
            count("client-auth"),
            count("compatibility-mode"),
        ],
        [7, 8, 4, 4, 4]
    );
    // Sequence numbers count each key's records from 0, in trace order.
    let mut next: HashMap<(&str, &str), u64> = HashMap::new();
    for r in &records {
        let n = next.entry((r.trace, r.keys)).or_default();
        assert_eq!(r.seq, *n, "{}", r.what());
        *n += 1;
    }
    // Every record is a TLSCiphertext header plus the content, its type byte and the tag: RFC
    // 8448 pads none of them.
    for r in &records {
        assert_eq!(r.bytes[..3], [23, 3, 3], "{}", r.what());
        assert_eq!(r.bytes.len(), 5 + r.content.len() + 1 + 16, "{}", r.what());
    }
}

#[test]
fn every_record_opens_to_its_content_and_seals_back_identically() {
    let (keys, records) = data();
    for r in &records {
        let mut buf = r.bytes.clone();
        let mut scratch = Vec::new();
        let opened = decrypter(&keys, r)
            .open(r.seq, &mut buf, &mut scratch)
            .unwrap_or_else(|e| panic!("{}: {e}", r.what()));
        assert_eq!(
            opened,
            Opened {
                typ: r.typ,
                content: 5..5 + r.content.len()
            },
            "{}",
            r.what()
        );
        assert_eq!(buf[opened.content], r.content[..], "{}", r.what());
        assert!(scratch.is_empty());

        let mut out = Vec::new();
        encrypter(&keys, r)
            .seal(r.seq, r.typ, &r.content, 0, &mut out)
            .unwrap();
        assert_eq!(out, r.bytes, "{}", r.what());
    }
}

/// The trace's content, sealed with the trace's key and padding (RFC 8446 5.4), opens to the
/// same content and type; the padding lengthens the record by exactly its length.
#[test]
fn padded_records_open_to_the_same_content() {
    let (keys, records) = data();
    for r in &records {
        let (enc, dec) = (encrypter(&keys, r), decrypter(&keys, r));
        // Up to the most padding the record can take (2^14 - content; capped to keep it quick).
        let most = (1 << 14) - r.content.len();
        assert_eq!(enc.max_content(most), r.content.len());
        for pad in [1, 2, 100, most.min(4000), most] {
            let mut out = Vec::new();
            enc.seal(r.seq, r.typ, &r.content, pad, &mut out).unwrap();
            assert_eq!(out.len(), r.bytes.len() + pad);
            assert_eq!(out[3..5], ((out.len() - 5) as u16).to_be_bytes());
            assert_eq!(
                open(&dec, r.seq, &out).unwrap(),
                (r.typ, r.content.clone()),
                "{} padded by {pad}",
                r.what()
            );
            // The padding follows the type inside the encryption: GCM being a stream cipher,
            // content and type encrypt to the trace's bytes, and only what follows differs.
            let body = 5 + r.content.len() + 1;
            assert_eq!(out[5..body], r.bytes[5..body]);
            assert_ne!(out[body..body + 16], r.bytes[body..]);
        }
    }
}

#[test]
fn a_wrong_sequence_number_or_key_is_bad_record_mac() {
    let (keys, records) = data();
    for r in &records {
        let dec = decrypter(&keys, r);
        for seq in [r.seq + 1, r.seq + 2, r.seq ^ (1 << 63)]
            .into_iter()
            .chain(r.seq.checked_sub(1))
        {
            assert_eq!(
                open(&dec, seq, &r.bytes),
                Err(Error::BadRecordMac),
                "{} at {seq}",
                r.what()
            );
        }
        // Every other key of the trace, including the other direction's for the same epoch.
        for ((trace, name), (key, iv)) in &keys {
            if *trace != r.trace || *name == r.keys {
                continue;
            }
            let other = Tls13Decrypter::new(AEAD, key, iv).unwrap();
            assert_eq!(
                open(&other, r.seq, &r.bytes),
                Err(Error::BadRecordMac),
                "{} with {name}",
                r.what()
            );
        }
    }
}

/// The header is the additional data (RFC 8446 5.2): any change to it, or to the tag, fails.
#[test]
fn a_changed_header_or_tag_is_bad_record_mac() {
    let (keys, records) = data();
    for r in &records {
        let dec = decrypter(&keys, r);
        let n = r.bytes.len();
        for at in [0, 1, 2, 3, 4, 5, n - 17, n - 16, n - 8, n - 1] {
            for bit in [0x01, 0x10, 0x80] {
                let mut t = r.bytes.clone();
                t[at] ^= bit;
                assert_eq!(
                    open(&dec, r.seq, &t),
                    Err(Error::BadRecordMac),
                    "{} byte {at}",
                    r.what()
                );
            }
        }
        // The outer type the inner one replaced, and TLS 1.0's record version.
        for (at, v) in [(0, r.typ.value()), (0, 22), (2, 1)] {
            let mut t = r.bytes.clone();
            t[at] = v;
            if t != r.bytes {
                assert_eq!(open(&dec, r.seq, &t), Err(Error::BadRecordMac));
            }
        }
        // Truncated: without its last byte, or with only the header.
        let mut short = r.bytes[..n - 1].to_vec();
        short[3..5].copy_from_slice(&((n - 6) as u16).to_be_bytes());
        assert_eq!(open(&dec, r.seq, &short), Err(Error::BadRecordMac));
        assert_eq!(open(&dec, r.seq, &r.bytes[..5]), Err(Error::BadRecordMac));
    }
}

/// RFC 8446 5.2: a ciphertext over 2^14 + 256 bytes is record_overflow, whatever its key.
#[test]
fn an_over_long_ciphertext_is_record_overflow() {
    let (keys, records) = data();
    let r = &records[0];
    let dec = decrypter(&keys, r);
    let mut long = r.bytes.clone();
    long.resize(5 + MAX_CIPHERTEXT + 1, 0);
    long[3..5].copy_from_slice(&((MAX_CIPHERTEXT + 1) as u16).to_be_bytes());
    assert_eq!(
        open(&dec, r.seq, &long),
        Err(Error::RecordOverflow { ciphertext: true })
    );
    long.pop();
    long[3..5].copy_from_slice(&(MAX_CIPHERTEXT as u16).to_be_bytes());
    assert_eq!(open(&dec, r.seq, &long), Err(Error::BadRecordMac));
}

/// The seam the TLS 1.3 engine will use: each traffic secret RFC 8448 prints (the PRK of its
/// "derive ... traffic keys" block, in `key_schedule.txt`), through the key schedule's
/// `traffic_keys`, gives a key and IV that open every record of that key and seal it back.
#[test]
fn traffic_secrets_through_the_key_schedule_open_the_records() {
    const KEY_SCHEDULE: &str = include_str!("data/rfc8448/key_schedule.txt");
    let fields: Vec<Vec<&str>> = KEY_SCHEDULE
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .map(|l| l.split('\t').collect())
        .collect();
    let (keys, records) = data();
    let mut opened = 0;
    for ((trace, name), (key, iv)) in &keys {
        // The block that prints this key, then the traffic secret (PRK) of the same block.
        let block = fields
            .iter()
            .find(|f| f[0] == *trace && f[3] == "key expanded" && unhex(f[4]) == *key)
            .unwrap_or_else(|| panic!("{trace} {name}: no block prints the key"));
        let prk = fields
            .iter()
            .find(|f| f[..3] == block[..3] && f[3] == "PRK")
            .unwrap();
        let secret = Secret::from_bytes(HashAlg::Sha256, &unhex(prk[4]));
        let tk = secret.traffic_keys(AEAD).unwrap();
        assert_eq!(
            (tk.key(), &tk.iv()[..]),
            (&key[..], &iv[..]),
            "{trace} {name}"
        );
        let (enc, dec) = (
            Tls13Encrypter::new(AEAD, tk.key(), tk.iv()).unwrap(),
            Tls13Decrypter::new(AEAD, tk.key(), tk.iv()).unwrap(),
        );
        for r in records
            .iter()
            .filter(|r| r.trace == *trace && r.keys == *name)
        {
            assert_eq!(
                open(&dec, r.seq, &r.bytes).unwrap(),
                (r.typ, r.content.clone())
            );
            let mut out = Vec::new();
            enc.seal(r.seq, r.typ, &r.content, 0, &mut out).unwrap();
            assert_eq!(out, r.bytes, "{}", r.what());
            opened += 1;
        }
    }
    assert_eq!(opened, 27);
}
