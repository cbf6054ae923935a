use super::ticketer::TicketKey;
use super::*;
use crate::test_support::unhex;
use crate::wire::SealedTicket;
use crate::Error;
use ring::aead;
use ring::rand::SystemRandom;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// A clock the test moves by hand, in milliseconds.
fn manual_clock() -> (Arc<AtomicU64>, Clock) {
    let ms = Arc::new(AtomicU64::new(0));
    let reader = ms.clone();
    (
        ms,
        Box::new(move || Duration::from_millis(reader.load(Ordering::SeqCst))),
    )
}

fn set(clock: &AtomicU64, secs: f64) {
    clock.store((secs * 1000.0) as u64, Ordering::SeqCst);
}

fn sample() -> Session {
    Session {
        cipher_suite: CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
        master_secret: std::array::from_fn(|i| i as u8),
        extended_master_secret: true,
        server_name: Some("example.com".into()),
        created: 0x0102_0304_0506_0708,
        peer_certificates: vec![
            CertificateDer::from(vec![0x30, 0x03, 0x02, 0x01, 0x05]),
            CertificateDer::from(vec![0xaa]),
        ],
    }
}

fn anonymous(n: u8) -> Session {
    Session {
        cipher_suite: CipherSuite::TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
        master_secret: [n; 48],
        extended_master_secret: false,
        server_name: None,
        created: u64::from(n),
        peer_certificates: Vec::new(),
    }
}

#[test]
fn session_encodes_to_the_schema_layout_and_back() {
    let s = sample();
    let bytes = s.encode();
    let mut want = unhex("0303 c02b");
    want.extend(0u8..48); // master_secret[48]
    want.extend(unhex(
        "01
         000b 6578616d706c652e636f6d
         0102030405060708
         00000c 000005 3003020105 000001 aa
         00000000
         00 00000000",
    ));
    assert_eq!(bytes, want);
    assert_eq!(Session::decode(&bytes), Some(s));

    // No name, no EMS, no certificates.
    let a = anonymous(7);
    let bytes = a.encode();
    let mut want = unhex("0303 cca8");
    want.extend([7u8; 48]);
    want.extend(unhex(
        "00 0000 0000000000000007 000000 00000000 00 00000000",
    ));
    assert_eq!(bytes, want);
    assert_eq!(Session::decode(&bytes), Some(a));

    // An empty name is no name.
    // (Session has a Drop impl, so no `..` struct update: fields are set one by one.)
    let mut empty_name = anonymous(1);
    empty_name.server_name = Some(String::new());
    assert_eq!(
        Session::decode(&empty_name.encode()).unwrap().server_name,
        None
    );
}

#[test]
fn session_decode_rejects_malformed_input() {
    let good = sample().encode();
    for len in 0..good.len() {
        assert_eq!(Session::decode(&good[..len]), None, "prefix of {len}");
    }
    let mut longer = good.clone();
    longer.push(0);
    assert_eq!(Session::decode(&longer), None, "trailing byte");

    let at_ems = 2 + 2 + 48;
    let at_name = at_ems + 1;
    let patched = |at: usize, b: u8| {
        let mut v = good.clone();
        v[at] = b;
        v
    };
    assert_eq!(Session::decode(&patched(1, 1)), None, "TLS 1.0");
    assert_eq!(Session::decode(&patched(at_ems, 2)), None, "EMS flag 2");
    assert_eq!(
        Session::decode(&patched(at_name + 2, 0xff)),
        None,
        "not UTF-8"
    );
    assert_eq!(
        Session::decode(&patched(at_name + 1, 0x0c)),
        None,
        "name length"
    );

    // An empty certificate breaks ASN.1Cert's floor of 1.
    let mut empty_cert = anonymous(3);
    empty_cert.peer_certificates = vec![CertificateDer::from(Vec::new())];
    assert_eq!(Session::decode(&empty_cert.encode()), None);

    assert_eq!(Session::decode(&[0xff; 200]), None);
    assert_eq!(Session::decode(b"garbage"), None);
}

/// A session, and so every copy a cache hands out, wipes its master secret when dropped.
/// Compile-time: `Session` did not implement `ZeroizeOnDrop` before it did.
#[test]
fn session_is_wiped_on_drop() {
    fn assert_zeroize_on_drop<T: ZeroizeOnDrop>() {}
    assert_zeroize_on_drop::<Session>();
}

#[test]
fn session_debug_hides_the_master_secret() {
    let mut s = sample();
    s.master_secret = [0xab; 48];
    let shown = format!("{s:?} {s:#?}");
    assert!(shown.contains("example.com"), "{shown}");
    assert!(shown.contains("<redacted>"), "{shown}");
    for leak in ["171", "abab", "ABAB", "0xab"] {
        assert!(!shown.contains(leak), "{leak} in {shown}");
    }
    let v = ClientSessionValue {
        session_id: vec![1; 32],
        ticket: Some(vec![2; 100]),
        ticket_lifetime_hint: 7,
        session: s,
    };
    let shown = format!("{v:?}");
    assert!(!shown.contains("171") && !shown.contains("abab"), "{shown}");
}

#[test]
fn session_expiry_boundaries() {
    let mut s = anonymous(1);
    s.created = 1000;
    assert!(!s.is_expired(60, 1000));
    assert!(!s.is_expired(60, 1059));
    assert!(s.is_expired(60, 1060));
    assert!(s.is_expired(60, u64::MAX));
    assert!(s.is_expired(60, 999), "created in the future");
    assert!(s.is_expired(0, 1000), "lifetime 0");
    assert!(!s.is_expired(u64::MAX, u64::MAX));
    assert!(now() > 1_600_000_000);
}

#[test]
fn server_cache_evicts_the_oldest() {
    let cache = ServerSessionMemoryCache::new(2, Duration::from_secs(3600));
    assert!(cache.can_cache());
    assert!(cache.put(b"a".to_vec(), anonymous(1)));
    assert!(cache.put(b"b".to_vec(), anonymous(2)));
    assert_eq!(cache.get(b"a"), Some(anonymous(1)));
    // Storing "a" again replaces it and makes it the newest: "b" goes first.
    assert!(cache.put(b"a".to_vec(), anonymous(11)));
    assert!(cache.put(b"c".to_vec(), anonymous(3)));
    assert_eq!(cache.get(b"b"), None);
    assert_eq!(cache.get(b"a"), Some(anonymous(11)));
    assert_eq!(cache.get(b"c"), Some(anonymous(3)));
    assert!(cache.put(b"d".to_vec(), anonymous(4)));
    assert_eq!(cache.get(b"a"), None);
    assert_eq!(cache.get(b"c"), Some(anonymous(3)));
    assert_eq!(cache.get(b"d"), Some(anonymous(4)));
    assert_eq!(lock(&cache.inner).map.len(), 2);
    assert_eq!(lock(&cache.inner).order.len(), 2);

    // Empty IDs are never sessions; a zero capacity stores nothing.
    assert!(!cache.put(Vec::new(), anonymous(5)));
    assert_eq!(cache.get(b""), None);
    let none = ServerSessionMemoryCache::new(0, Duration::from_secs(3600));
    assert!(!none.put(b"a".to_vec(), anonymous(1)));
    assert_eq!(none.get(b"a"), None);
}

#[test]
fn server_cache_expires_entries() {
    let (t, clock) = manual_clock();
    let cache = ServerSessionMemoryCache::with_clock(10, Duration::from_secs(10), clock);
    cache.put(b"a".to_vec(), anonymous(1));
    set(&t, 5.0);
    cache.put(b"b".to_vec(), anonymous(2));
    set(&t, 9.999);
    assert_eq!(cache.get(b"a"), Some(anonymous(1)));
    assert_eq!(cache.get(b"b"), Some(anonymous(2)));
    set(&t, 10.0);
    // Expired entries are dropped by any use of the cache, not only hidden.
    assert_eq!(cache.get(b"b"), Some(anonymous(2)));
    assert_eq!(lock(&cache.inner).map.len(), 1);
    assert_eq!(cache.get(b"a"), None);
    set(&t, 15.0);
    assert_eq!(cache.get(b"b"), None);
    assert!(lock(&cache.inner).map.is_empty());
    assert!(lock(&cache.inner).order.is_empty());

    // A clock that goes back: "d" is stored later but at an earlier reading than "c";
    // it still expires on its own age although it is not the oldest entry.
    set(&t, 100.0);
    cache.put(b"c".to_vec(), anonymous(3));
    set(&t, 90.0);
    cache.put(b"d".to_vec(), anonymous(4));
    set(&t, 100.0);
    assert_eq!(cache.get(b"d"), None);
    assert_eq!(cache.get(b"c"), Some(anonymous(3)));
    assert_eq!(lock(&cache.inner).order.len(), 1);

    // A zero lifetime, on the real clock: nothing comes back.
    let zero = ServerSessionMemoryCache::new(10, Duration::ZERO);
    assert!(zero.put(b"a".to_vec(), anonymous(1)));
    assert_eq!(zero.get(b"a"), None);
}

#[test]
fn server_cache_is_shared_between_threads() {
    let cache = ServerSessionMemoryCache::new(1000, Duration::from_secs(3600));
    let small = ServerSessionMemoryCache::new(50, Duration::from_secs(3600));
    let threads: Vec<_> = (0..8u8)
        .map(|t| {
            let cache = cache.clone();
            let small = small.clone();
            std::thread::spawn(move || {
                for i in 0..100u8 {
                    let id = vec![t, i];
                    assert!(cache.put(id.clone(), anonymous(i)));
                    assert_eq!(cache.get(&id), Some(anonymous(i)));
                    small.put(id.clone(), anonymous(i));
                    small.get(&id);
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    for t in 0..8u8 {
        for i in 0..100u8 {
            assert_eq!(cache.get(&[t, i]), Some(anonymous(i)));
        }
    }
    let inner = lock(&small.inner);
    assert_eq!(inner.map.len(), 50);
    assert_eq!(inner.order.len(), 50);
}

#[test]
fn no_server_session_storage_stores_nothing() {
    let s = NoServerSessionStorage;
    assert!(!s.can_cache());
    assert!(!s.put(b"a".to_vec(), anonymous(1)));
    assert_eq!(s.get(b"a"), None);
}

fn client_value(n: u8) -> ClientSessionValue {
    ClientSessionValue {
        session_id: vec![n; 32],
        ticket: Some(vec![n; 10]),
        ticket_lifetime_hint: 300,
        session: anonymous(n),
    }
}

#[test]
fn no_client_session_storage_stores_nothing() {
    let store = NoClientSessionStorage;
    store.put("example.com", client_value(1));
    assert_eq!(store.get("example.com"), None);
}

#[test]
fn client_cache_is_case_insensitive_and_bounded() {
    let cache = ClientSessionMemoryCache::new(2);
    cache.put("Example.COM", client_value(1));
    assert_eq!(cache.get("example.com"), Some(client_value(1)));
    assert_eq!(cache.get("EXAMPLE.com"), Some(client_value(1)));
    assert_eq!(cache.get("example.org"), None);
    cache.put("EXAMPLE.COM", client_value(2));
    assert_eq!(cache.get("example.com"), Some(client_value(2)));
    assert_eq!(lock(&cache.inner).map.len(), 1);

    cache.put("b.example", client_value(3));
    cache.put("c.example", client_value(4));
    assert_eq!(cache.get("example.com"), None, "oldest evicted");
    assert_eq!(cache.get("b.example"), Some(client_value(3)));
    assert_eq!(cache.get("c.example"), Some(client_value(4)));

    cache.remove("B.Example");
    assert_eq!(cache.get("b.example"), None);
    cache.put("d.example", client_value(5));
    assert_eq!(
        cache.get("c.example"),
        Some(client_value(4)),
        "room was free"
    );
    assert_eq!(cache.get("d.example"), Some(client_value(5)));
    assert_eq!(lock(&cache.inner).order.len(), 2);

    let none = ClientSessionMemoryCache::new(0);
    none.put("a", client_value(1));
    assert_eq!(none.get("a"), None);
}

#[test]
fn ticket_nonces_are_a_masked_counter_that_never_wraps() {
    let key = TicketKey::generate(&SystemRandom::new()).unwrap();
    let first = key.next_nonce().unwrap();
    assert_eq!(first, key.nonce_mask, "counter 0 is the mask itself");
    for i in 1..=300u64 {
        let nonce = key.next_nonce().unwrap();
        let diff: Vec<u8> = nonce.iter().zip(first).map(|(a, b)| a ^ b).collect();
        assert_eq!(diff[..4], [0; 4]);
        assert_eq!(diff[4..], i.to_be_bytes());
    }
    key.sealed.store(u64::MAX - 1, Ordering::Relaxed);
    assert!(key.next_nonce().is_some(), "the last one");
    assert_eq!(key.next_nonce(), None, "exhausted, not wrapped");
    assert_eq!(key.next_nonce(), None);
    assert_eq!(key.sealed.load(Ordering::Relaxed), u64::MAX);
}

#[test]
fn ticketer_round_trip_in_the_sealed_ticket_format() {
    let t = Ticketer::new(Duration::from_secs(3600)).unwrap();
    assert!(t.enabled());
    assert_eq!(t.lifetime(), 3600);
    let plain = b"session state";
    let one = t.encrypt(plain).unwrap();
    let two = t.encrypt(plain).unwrap();
    assert_eq!(t.decrypt(&one).as_deref(), Some(&plain[..]));
    assert_eq!(t.decrypt(&two).as_deref(), Some(&plain[..]));
    assert_eq!(one.len(), 16 + 12 + 2 + plain.len() + 16);

    let a = SealedTicket::from_bytes(&one).unwrap();
    let b = SealedTicket::from_bytes(&two).unwrap();
    assert_eq!(a.key_name, b.key_name, "one key");
    assert_ne!(a.nonce, b.nonce, "fresh nonces");
    assert_eq!(a.encrypted_state.len(), plain.len() + 16);
    assert_ne!(&a.encrypted_state[..plain.len()], plain, "encrypted");
    assert_eq!(one[..16], a.key_name);
    assert_eq!(one[28..30], [0, (plain.len() + 16) as u8]);

    // Opened independently with ring: the AEAD is keyed by the current key, with the
    // ticket's nonce and key_name as the additional data (and nothing else).
    let (key, _) = t.keys().unwrap();
    let open = |aad: &[u8]| {
        let mut buf = a.encrypted_state.to_vec();
        key.key
            .open_in_place(
                aead::Nonce::assume_unique_for_key(a.nonce),
                aead::Aad::from(aad),
                &mut buf,
            )
            .map(|p| p.to_vec())
            .ok()
    };
    assert_eq!(open(&a.key_name).as_deref(), Some(&plain[..]));
    assert_eq!(open(&[]), None);

    // The empty plaintext still makes a valid ticket (the tag meets the floor of 16).
    let empty = t.encrypt(b"").unwrap();
    assert_eq!(t.decrypt(&empty), Some(Vec::new()));
    // A ticket must fit NewSessionTicket.ticket<0..2^16-1>.
    let max = 0xffff - 46;
    assert_eq!(t.encrypt(&vec![0; max]).unwrap().len(), 0xffff);
    assert_eq!(t.encrypt(&vec![0; max + 1]), None);
}

#[test]
fn ticketer_rejects_any_tampering() {
    let t = Ticketer::new(Duration::from_secs(3600)).unwrap();
    let ticket = t.encrypt(b"the state of a session").unwrap();
    for i in 0..ticket.len() {
        for bit in [0x01, 0x80] {
            let mut bad = ticket.clone();
            bad[i] ^= bit;
            assert_eq!(t.decrypt(&bad), None, "byte {i} bit {bit:#x}");
        }
    }
    for len in 0..ticket.len() {
        assert_eq!(t.decrypt(&ticket[..len]), None, "prefix of {len}");
    }
    let mut longer = ticket.clone();
    longer.push(0);
    assert_eq!(t.decrypt(&longer), None);
    assert!(t.decrypt(&ticket).is_some());
}

#[test]
fn ticketer_rejects_garbage_and_foreign_tickets() {
    let t = Ticketer::new(Duration::from_secs(3600)).unwrap();
    let other = Ticketer::new(Duration::from_secs(3600)).unwrap();
    let foreign = other.encrypt(b"state").unwrap();
    assert!(other.decrypt(&foreign).is_some());
    assert_eq!(t.decrypt(&foreign), None);

    // The foreign ticket re-labelled with our key name still fails authentication.
    let ours = t.encrypt(b"state").unwrap();
    let mut relabelled = foreign.clone();
    relabelled[..16].copy_from_slice(&ours[..16]);
    assert_eq!(t.decrypt(&relabelled), None);

    for garbage in [
        &[][..],
        &[0][..],
        &[0; 45][..],
        &[0; 46][..],
        &[0xff; 100][..],
        b"definitely not a session ticket, but long enough to parse",
    ] {
        assert_eq!(t.decrypt(garbage), None, "{garbage:?}");
    }
    // Well framed (key_name, nonce, 16-byte state), but nothing we sealed.
    let mut framed = vec![0u8; 28];
    framed.extend([0, 16]);
    framed.extend([0u8; 16]);
    assert!(SealedTicket::from_bytes(&framed).is_ok());
    assert_eq!(t.decrypt(&framed), None);
}

#[test]
fn ticketer_keys_rotate() {
    let (t, clock) = manual_clock();
    let tk = Ticketer::with_clock(Duration::from_secs(100), clock).unwrap();
    let name = |ticket: &[u8]| SealedTicket::from_bytes(ticket).unwrap().key_name;

    let a = tk.encrypt(b"a").unwrap(); // key 1, made at 0
    set(&t, 99.999);
    assert!(tk.decrypt(&a).is_some());
    assert_eq!(
        name(&tk.encrypt(b"x").unwrap()),
        name(&a),
        "no rotation yet"
    );

    set(&t, 100.0); // key 2; key 1 is previous
    let b = tk.encrypt(b"b").unwrap();
    assert_ne!(name(&b), name(&a));
    assert_eq!(tk.decrypt(&a).as_deref(), Some(&b"a"[..]), "previous key");
    set(&t, 199.0);
    let b_late = tk.encrypt(b"b late").unwrap();
    assert_eq!(name(&b_late), name(&b));
    assert!(tk.decrypt(&a).is_some());

    set(&t, 200.0); // key 3; key 1 is two rotations old
    assert_eq!(tk.decrypt(&a), None, "two rotations old");
    assert!(tk.decrypt(&b).is_some());
    assert!(
        tk.decrypt(&b_late).is_some(),
        "b_late valid 100s after issue"
    );
    let c = tk.encrypt(b"c").unwrap();
    assert!(name(&c) != name(&a) && name(&c) != name(&b));

    // Rotation follows the schedule, not the moment of the call: key 3 began at 200 even
    // though nothing happened until 250, so key 2 is gone at 300.
    set(&t, 250.0);
    assert!(tk.decrypt(&b).is_some());
    set(&t, 300.0);
    assert_eq!(tk.decrypt(&b), None);
    assert_eq!(tk.decrypt(&b_late), None);
    assert!(tk.decrypt(&c).is_some());

    // Idle for two lifetimes or more: the rotation drops every earlier key at once.
    let d = tk.encrypt(b"d").unwrap(); // key 4, began at 300
    set(&t, 500.0); // key 5 begins at 500; key 4 stopped sealing at 400 in the schedule
    assert_eq!(tk.decrypt(&d), None, "idle for two lifetimes");
    assert_eq!(tk.decrypt(&c), None);
    let e = tk.encrypt(b"e").unwrap();
    set(&t, 650.0); // key 6 began at 600
    assert!(tk.decrypt(&e).is_some(), "previous after one rotation");
    set(&t, 700.0); // key 7
    assert_eq!(tk.decrypt(&e), None);
    assert!(tk.decrypt(&tk.encrypt(b"f").unwrap()).is_some());
    assert_eq!(tk.lifetime(), 100);
}

#[test]
fn ticketer_lifetime_must_fit_the_hint() {
    assert!(matches!(
        Ticketer::new(Duration::ZERO),
        Err(Error::Config(_))
    ));
    assert!(Ticketer::new(Duration::from_millis(999)).is_err());
    assert!(Ticketer::new(Duration::from_secs(u64::from(u32::MAX) + 1)).is_err());
    assert_eq!(
        Ticketer::new(Duration::from_secs(u64::from(u32::MAX)))
            .unwrap()
            .lifetime(),
        u32::MAX
    );
    let shown = format!("{:?}", Ticketer::new(Duration::from_secs(60)).unwrap());
    assert!(shown.contains("ChaCha20"), "{shown}");
}

#[test]
fn sessions_travel_in_tickets() {
    let t = Ticketer::new(Duration::from_secs(3600)).unwrap();
    let s = sample();
    let ticket = s.seal(t.as_ref()).unwrap();
    let sealed = SealedTicket::from_bytes(&ticket).unwrap();
    assert_eq!(sealed.encrypted_state.len(), s.encode().len() + 16);
    assert_eq!(Session::open(t.as_ref(), &ticket), Some(s));

    let mut bad = ticket.clone();
    let last = bad.len() - 1;
    bad[last] ^= 1;
    assert_eq!(Session::open(t.as_ref(), &bad), None);
    // Authentic, but not a SessionState: the same None.
    let not_a_session = t.encrypt(b"not a session").unwrap();
    assert_eq!(Session::open(t.as_ref(), &not_a_session), None);

    #[derive(Debug)]
    struct Disabled;
    impl ProducesTickets for Disabled {
        fn enabled(&self) -> bool {
            false
        }
        fn lifetime(&self) -> u32 {
            0
        }
        fn encrypt(&self, plain: &[u8]) -> Option<Vec<u8>> {
            Some(plain.to_vec())
        }
        fn decrypt(&self, ticket: &[u8]) -> Option<Vec<u8>> {
            Some(ticket.to_vec())
        }
    }
    assert_eq!(sample().seal(&Disabled), None);
    assert_eq!(Session::open(&Disabled, &sample().encode()), None);
}

#[test]
fn a_tls13_ticket_state_seals_opens_and_is_never_a_tls12_session() {
    use crate::session::Session13;
    let t = Ticketer::new(std::time::Duration::from_secs(60)).unwrap();
    let s = Session13 {
        cipher_suite: CipherSuite::TLS_AES_256_GCM_SHA384,
        psk: zeroize::Zeroizing::new(vec![5; 48]),
        age_add: 0xdead_beef,
        server_name: Some("example.com".into()),
        created: 1_700_000_000,
        peer_certificates: vec![CertificateDer::from(vec![0xaa])],
        alpn: Some(b"h2".to_vec()),
        max_early_data: 0x4000,
    };
    let encoded = s.encode();
    // Version { 3, 4 }, the suite, the PSK in the 48 bytes, no EMS, ..., ticket_age_add, then
    // the ALPN protocol and max_early_data_size.
    assert_eq!(encoded.get(..4), Some(&[3, 4, 0x13, 0x02][..]));
    assert_eq!(
        encoded.get(encoded.len() - 11..),
        Some(&[0xde, 0xad, 0xbe, 0xef, 2, b'h', b'2', 0, 0, 0x40, 0][..])
    );
    let ticket = s.seal(&*t).unwrap();
    let opened = Session13::open(&*t, &ticket).unwrap();
    assert_eq!(&opened.psk[..], &[5; 48][..]);
    assert_eq!(opened.age_add, 0xdead_beef);
    assert_eq!(opened.server_name.as_deref(), Some("example.com"));
    assert_eq!(opened.peer_certificates.len(), 1);
    assert_eq!(opened.alpn.as_deref(), Some(&b"h2"[..]));
    assert_eq!(opened.max_early_data, 0x4000);
    // A TLS 1.3 state never resumes a TLS 1.2 session, nor the other way round.
    assert!(Session::open(&*t, &ticket).is_none());
    let twelve = sample().seal(&*t).unwrap();
    assert!(Session13::open(&*t, &twelve).is_none());
    // A SHA-256 suite keeps 32 bytes of the PSK.
    let short = Session13 {
        cipher_suite: CipherSuite::TLS_AES_128_GCM_SHA256,
        psk: zeroize::Zeroizing::new(vec![6; 32]),
        ..opened
    };
    let reopened = Session13::decode(&short.encode()).unwrap();
    assert_eq!(&reopened.psk[..], &[6; 32][..]);
}

fn state13(n: u8) -> Session13 {
    Session13 {
        cipher_suite: CipherSuite::TLS_AES_128_GCM_SHA256,
        psk: Zeroizing::new(vec![n; 32]),
        age_add: u32::from(n),
        server_name: None,
        created: u64::from(n),
        peer_certificates: Vec::new(),
        alpn: None,
        max_early_data: 0,
    }
}

#[test]
fn server_cache_hands_out_tls13_state_once() {
    let cache = ServerSessionMemoryCache::new(10, Duration::from_secs(3600));
    assert!(cache.put_tls13(b"t".to_vec(), state13(1)));
    let taken = cache.take_tls13(b"t").expect("stored");
    assert_eq!(&taken.psk[..], &[1; 32][..]);
    assert_eq!(taken.age_add, 1);
    // Single use: the second take finds nothing, and the entry is gone.
    assert!(cache.take_tls13(b"t").is_none());
    assert!(lock(&cache.inner).map.is_empty());
    assert!(lock(&cache.inner).order.is_empty());
    // Empty IDs are never stored; a zero capacity stores nothing.
    assert!(!cache.put_tls13(Vec::new(), state13(2)));
    assert!(cache.take_tls13(b"").is_none());
    let none = ServerSessionMemoryCache::new(0, Duration::from_secs(3600));
    assert!(!none.put_tls13(b"t".to_vec(), state13(1)));
    assert!(none.take_tls13(b"t").is_none());
}

#[test]
fn server_cache_keeps_the_versions_apart_under_one_capacity() {
    let cache = ServerSessionMemoryCache::new(2, Duration::from_secs(3600));
    assert!(cache.put(b"a".to_vec(), anonymous(1)));
    assert!(cache.put_tls13(b"b".to_vec(), state13(2)));
    // An ID finds only its own version's entry, and a miss leaves the other version's alone.
    assert!(cache.take_tls13(b"a").is_none());
    assert_eq!(cache.get(b"b"), None);
    assert_eq!(cache.get(b"a"), Some(anonymous(1)));
    // One capacity for both: a third entry evicts the oldest, whatever its version.
    assert!(cache.put_tls13(b"c".to_vec(), state13(3)));
    assert_eq!(cache.get(b"a"), None);
    assert!(cache.put(b"d".to_vec(), anonymous(4)));
    assert!(cache.take_tls13(b"b").is_none(), "evicted");
    assert_eq!(cache.take_tls13(b"c").map(|s| s.age_add), Some(3));
    assert_eq!(lock(&cache.inner).map.len(), 1);
    assert_eq!(lock(&cache.inner).order.len(), 1);
    // An ID holds one entry: storing the other version replaces it.
    assert!(cache.put_tls13(b"d".to_vec(), state13(5)));
    assert_eq!(cache.get(b"d"), None);
    // `remove` (a fatal alert) forgets either.
    cache.remove(b"d");
    assert!(cache.take_tls13(b"d").is_none());
    assert!(lock(&cache.inner).order.is_empty());
}

#[test]
fn server_cache_expires_tls13_state() {
    let (t, clock) = manual_clock();
    let cache = ServerSessionMemoryCache::with_clock(10, Duration::from_secs(10), clock);
    cache.put_tls13(b"a".to_vec(), state13(1));
    cache.put_tls13(b"b".to_vec(), state13(2));
    set(&t, 9.999);
    assert!(cache.take_tls13(b"a").is_some());
    set(&t, 10.0);
    assert!(cache.take_tls13(b"b").is_none());
    assert!(lock(&cache.inner).map.is_empty());
}

#[test]
fn stores_without_tls13_support_keep_no_tls13_state() {
    // NoServerSessionStorage, and any store that implements only the TLS 1.2 methods.
    assert!(!NoServerSessionStorage.put_tls13(b"a".to_vec(), state13(1)));
    assert!(NoServerSessionStorage.take_tls13(b"a").is_none());
    #[derive(Debug)]
    struct Only12;
    impl StoresServerSessions for Only12 {
        fn put(&self, _: Vec<u8>, _: Session) -> bool {
            true
        }
        fn get(&self, _: &[u8]) -> Option<Session> {
            None
        }
        fn remove(&self, _: &[u8]) {}
    }
    assert!(!Only12.put_tls13(b"a".to_vec(), state13(1)));
    assert!(Only12.take_tls13(b"a").is_none());
}
