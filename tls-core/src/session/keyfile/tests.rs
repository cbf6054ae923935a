use super::*;
use crate::codec::Codec;
use crate::wire::SealedTicket;
use ring::aead;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

/// A key file in the temp directory, removed on drop.
struct TempFile(PathBuf);

impl TempFile {
    fn new(contents: &str) -> TempFile {
        static N: AtomicUsize = AtomicUsize::new(0);
        let name = format!(
            "spectls-keyfile-{}-{}.keys",
            std::process::id(),
            N.fetch_add(1, Ordering::SeqCst)
        );
        let f = TempFile(std::env::temp_dir().join(name));
        f.replace(contents);
        f
    }

    /// Replaces the file atomically, as the documentation asks (write, then rename).
    fn replace(&self, contents: &str) {
        let tmp = self.0.with_extension("tmp");
        std::fs::write(&tmp, contents).unwrap();
        std::fs::rename(&tmp, &self.0).unwrap();
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// Key `n`: name 16 bytes of `n`, key 32 bytes of `n + 100`.
fn material(n: u8) -> ([u8; 16], [u8; 32]) {
    ([n; 16], [n.wrapping_add(100); 32])
}

/// Key `n`'s line.
fn line(n: u8) -> String {
    let (name, key) = material(n);
    let mut out = String::new();
    encode_base64(&[&name[..], &key[..]].concat(), &mut out);
    out
}

fn lines(keys: &[u8]) -> String {
    keys.iter().map(|&n| line(n) + "\n").collect()
}

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

fn key_name(ticket: &[u8]) -> [u8; 16] {
    SealedTicket::from_bytes(ticket).unwrap().key_name
}

fn parse(text: &str) -> Result<Vec<TicketKey>, String> {
    parse_keys(text.as_bytes(), &SystemRandom::new())
}

fn parse_err(text: &str) -> String {
    match parse(text) {
        Ok(keys) => panic!("parsed {} keys from {text:?}", keys.len()),
        Err(e) => e,
    }
}

#[test]
fn base64_matches_rfc4648_and_python() {
    // RFC 4648 section 10 (the vectors without padding).
    for (plain, encoded) in [(&b""[..], ""), (b"foo", "Zm9v"), (b"foobar", "Zm9vYmFy")] {
        let mut out = String::new();
        encode_base64(plain, &mut out);
        assert_eq!(out, encoded);
        let mut back = vec![0u8; plain.len()];
        assert_eq!(decode_base64(encoded.as_bytes(), &mut back), Some(()));
        assert_eq!(back, plain);
    }
    // python3 -c 'import base64; print(base64.b64encode(bytes(range(48))).decode())'
    let want = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygpKissLS4v";
    let bytes: Vec<u8> = (0..48).collect();
    let mut out = String::new();
    encode_base64(&bytes, &mut out);
    assert_eq!(out, want);
    let mut back = [0u8; 48];
    decode_base64(want.as_bytes(), &mut back).unwrap();
    assert_eq!(back[..], bytes[..]);
    // Every byte value, both alphabet ends included.
    let all: Vec<u8> = (0..=255u8).chain([0xff, 0xfe]).collect();
    let mut out = String::new();
    encode_base64(&all, &mut out);
    assert!(out.contains('+') && out.contains('/'), "{out}");
    let mut back = vec![0u8; all.len()];
    decode_base64(out.as_bytes(), &mut back).unwrap();
    assert_eq!(back, all);

    let mut three = [0u8; 3];
    for bad in ["Zm9", "Zm9vY", "Zm8=", "Zm-v", "Zm_v", "Zm v", "Zm9\u{e9}"] {
        assert_eq!(decode_base64(bad.as_bytes(), &mut three), None, "{bad}");
    }
    // Only whole 3-byte groups.
    assert_eq!(decode_base64(b"Zm9v", &mut [0u8; 2]), None);
}

#[test]
fn a_good_file_gives_its_keys_in_order() {
    let text = format!(
        "# ticket keys\n\n   # indented comment\n{}\r\n  {}  \n\t{}\n# trailing comment",
        line(1),
        line(2),
        line(3)
    );
    let keys = parse(&text).unwrap();
    let names: Vec<[u8; 16]> = keys.iter().map(|k| k.name).collect();
    assert_eq!(names, [[1; 16], [2; 16], [3; 16]]);
    // The key bytes are those of the line: a ticket sealed under key 2 opens with ring keyed
    // by [102; 32].
    let ticket = seal(&keys[1], b"state").unwrap();
    let sealed = SealedTicket::from_bytes(&ticket).unwrap();
    assert_eq!(sealed.key_name, [2; 16]);
    let (_, raw) = material(2);
    let ring_key =
        aead::LessSafeKey::new(aead::UnboundKey::new(&aead::CHACHA20_POLY1305, &raw).unwrap());
    let mut buf = sealed.encrypted_state.to_vec();
    let plain = ring_key
        .open_in_place(
            aead::Nonce::assume_unique_for_key(sealed.nonce),
            aead::Aad::from(&[2u8; 16]),
            &mut buf,
        )
        .unwrap();
    assert_eq!(plain, b"state");

    // The most keys allowed, and a key line with nothing else in the file.
    let sixteen: Vec<u8> = (1..=16).collect();
    assert_eq!(parse(&lines(&sixteen)).unwrap().len(), MAX_TICKET_KEYS);
    assert_eq!(parse(&line(9)).unwrap().len(), 1);
}

#[test]
fn bad_files_name_the_line_and_never_the_key() {
    let good = line(1);
    let mut bad_char = good.clone();
    bad_char.replace_range(10..11, "-");
    let padded = format!("{}=", &good[..63]);
    let cases: Vec<(String, &str)> = vec![
        (String::new(), "no keys"),
        ("\n\n# only comments\n   \n".into(), "no keys"),
        (format!("# keys\n{bad_char}\n"), "line 2: not base64"),
        (format!("{good}\n{padded}\n"), "line 2: not base64"),
        (
            format!("{}\n", &good[..63]),
            "line 1: a key is 64 base64 characters",
        ),
        (format!("{good}A\n"), "this line has 65 characters"),
        (format!("{good} # the new key\n"), "line 1: a key is 64"),
        // `openssl rand -base64 32`: a key without its name.
        (
            "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=".into(),
            "has 44 characters",
        ),
        (
            format!("{good}\n\n{good}\n"),
            "line 3: the same key name as line 1",
        ),
        (
            format!("{}\n", {
                let mut s = String::new();
                encode_base64(&[[7u8; 16].as_slice(), &[0u8; 32]].concat(), &mut s);
                s
            }),
            "line 1: the key is all zero bytes",
        ),
        (
            format!("# 17 keys\n{}", lines(&(1..=17).collect::<Vec<u8>>())),
            "line 18: more than 16 keys",
        ),
    ];
    for (text, want) in cases {
        let e = parse_err(&text);
        assert!(e.contains(want), "{text:?}: {e}");
        assert!(!e.contains(&good[..20]), "key material in {e}");
        assert!(!e.contains(&bad_char[..20]), "key material in {e}");
    }
    // Not UTF-8, and a NUL: just not base64.
    let mut bytes = line(1).into_bytes();
    bytes[5] = 0xff;
    bytes[6] = 0;
    let e = parse_keys(&bytes, &SystemRandom::new())
        .map(|k| k.len())
        .unwrap_err();
    assert!(e.contains("line 1: not base64"), "{e}");
}

#[test]
fn the_ticketer_reports_file_errors_as_config_errors_with_the_path() {
    let missing = std::env::temp_dir().join("spectls-keyfile-does-not-exist.keys");
    let Err(Error::Config(e)) = KeyFileTicketer::new(&missing, Duration::from_secs(60)) else {
        panic!("a missing file is a config error");
    };
    assert!(e.contains("spectls-keyfile-does-not-exist.keys"), "{e}");

    let f = TempFile::new(&format!("{}\nnot a key\n", line(1)));
    let Err(Error::Config(e)) = KeyFileTicketer::new(&f.0, Duration::from_secs(60)) else {
        panic!("a malformed file is a config error");
    };
    assert!(
        e.starts_with(&format!("ticket key file {}: line 2: ", f.0.display())),
        "{e}"
    );

    let big = TempFile::new(&"#".repeat(MAX_FILE_LEN + 1));
    let Err(Error::Config(e)) = KeyFileTicketer::new(&big.0, Duration::from_secs(60)) else {
        panic!("too long");
    };
    assert!(e.contains("longer than 65536 bytes"), "{e}");

    let ok = TempFile::new(&lines(&[1]));
    assert!(KeyFileTicketer::new(&ok.0, Duration::ZERO).is_err());
    assert!(KeyFileTicketer::new(&ok.0, Duration::from_secs(u64::from(u32::MAX) + 1)).is_err());
    let t = Ticketer::from_key_file(&ok.0, Duration::from_secs(7200)).unwrap();
    assert!(t.enabled());
    assert_eq!(t.lifetime(), 7200);
}

#[test]
fn the_first_key_seals_and_every_key_opens() {
    let a = TempFile::new(&lines(&[1, 2, 3]));
    let b = TempFile::new(&lines(&[3, 2, 1]));
    let ta = KeyFileTicketer::new(&a.0, Duration::from_secs(60)).unwrap();
    let tb = KeyFileTicketer::new(&b.0, Duration::from_secs(60)).unwrap();
    let from_a = ta.encrypt(b"from a").unwrap();
    let from_b = tb.encrypt(b"from b").unwrap();
    assert_eq!(key_name(&from_a), [1; 16]);
    assert_eq!(key_name(&from_b), [3; 16]);
    assert_eq!(
        from_a.len(),
        16 + 12 + 2 + 6 + 16,
        "the SealedTicket layout"
    );
    // Each opens the other's, sealed under its last key.
    assert_eq!(tb.decrypt(&from_a).as_deref(), Some(&b"from a"[..]));
    assert_eq!(ta.decrypt(&from_b).as_deref(), Some(&b"from b"[..]));

    // Two ticketers on one file (two processes): their nonces come from masks of their own.
    let tb2 = KeyFileTicketer::new(&b.0, Duration::from_secs(60)).unwrap();
    let nonce = |t: &[u8]| SealedTicket::from_bytes(t).unwrap().nonce;
    let first = tb2.encrypt(b"x").unwrap();
    assert_eq!(key_name(&first), [3; 16]);
    assert_ne!(nonce(&first), nonce(&from_b), "per-process nonce masks");
    assert_eq!(tb.decrypt(&first).as_deref(), Some(&b"x"[..]));
    // Within one process, consecutive tickets differ in the counter (the low 64 bits) only.
    let (n1, n2) = (
        nonce(&tb2.encrypt(b"y").unwrap()),
        nonce(&tb2.encrypt(b"z").unwrap()),
    );
    assert_eq!(n1[..4], n2[..4]);
    assert_ne!(n1, n2);

    // A ticketer without key 1 opens nothing key 1 sealed; nor does Ticketer's own key.
    let c = TempFile::new(&lines(&[2, 3]));
    let tc = KeyFileTicketer::new(&c.0, Duration::from_secs(60)).unwrap();
    assert_eq!(tc.decrypt(&from_a), None);
    let own = Ticketer::new(Duration::from_secs(60)).unwrap();
    assert_eq!(own.decrypt(&from_a), None);
    assert_eq!(ta.decrypt(&own.encrypt(b"own").unwrap()), None);
}

#[test]
fn a_rotated_file_is_read_within_a_second_and_old_keys_still_open() {
    let f = TempFile::new(&lines(&[1]));
    let (t, clock) = manual_clock();
    let tk = KeyFileTicketer::with_clock(&f.0, Duration::from_secs(3600), clock).unwrap();
    let old = tk.encrypt(b"old").unwrap();
    assert_eq!(key_name(&old), [1; 16]);

    // Rotation: the new key prepended.
    f.replace(&lines(&[2, 1]));
    set(&t, 0.999);
    assert_eq!(
        key_name(&tk.encrypt(b"-").unwrap()),
        [1; 16],
        "not looked at yet"
    );
    set(&t, 1.0);
    let new = tk.encrypt(b"new").unwrap();
    assert_eq!(key_name(&new), [2; 16], "the new first key seals");
    assert_eq!(
        tk.decrypt(&old).as_deref(),
        Some(&b"old"[..]),
        "the old key opens"
    );

    // The old key removed: its tickets are refused.
    f.replace(&lines(&[2]));
    set(&t, 2.5);
    assert_eq!(tk.decrypt(&old), None);
    assert_eq!(tk.decrypt(&new).as_deref(), Some(&b"new"[..]));
}

#[test]
fn a_bad_or_missing_file_keeps_the_keys_in_force() {
    let f = TempFile::new(&lines(&[1, 2]));
    let (t, clock) = manual_clock();
    let tk = KeyFileTicketer::with_clock(&f.0, Duration::from_secs(3600), clock).unwrap();
    let ticket = tk.encrypt(b"s").unwrap();

    // Malformed: the explicit reload says why; the automatic check keeps the keys too.
    f.replace(&format!("{}\n{}\n", line(3), &line(4)[..40]));
    let Err(Error::Config(e)) = tk.reload() else {
        panic!("a malformed file does not reload");
    };
    assert!(e.contains("line 2: a key is 64"), "{e}");
    set(&t, 5.0);
    assert_eq!(key_name(&tk.encrypt(b"s").unwrap()), [1; 16]);
    assert!(tk.decrypt(&ticket).is_some());

    // Gone (as during a non-atomic replacement): still the same keys.
    std::fs::remove_file(&f.0).unwrap();
    set(&t, 10.0);
    assert!(matches!(tk.reload(), Err(Error::Config(_))));
    assert_eq!(key_name(&tk.encrypt(b"s").unwrap()), [1; 16]);
    assert!(tk.decrypt(&ticket).is_some());

    // Back, good: read at the next check.
    f.replace(&lines(&[5, 2]));
    set(&t, 10.5);
    assert_eq!(
        key_name(&tk.encrypt(b"s").unwrap()),
        [1; 16],
        "within the second"
    );
    set(&t, 11.0);
    assert_eq!(key_name(&tk.encrypt(b"s").unwrap()), [5; 16]);
    assert_eq!(tk.decrypt(&ticket), None, "key 1 is gone");

    // An explicit reload needs no time to pass.
    f.replace(&lines(&[6, 5]));
    tk.reload().unwrap();
    assert_eq!(key_name(&tk.encrypt(b"s").unwrap()), [6; 16]);
}

#[test]
fn generated_lines_are_fresh_keys_the_parser_takes() {
    let a = KeyFileTicketer::generate_line().unwrap();
    let b = KeyFileTicketer::generate_line().unwrap();
    assert_eq!(a.len(), 64);
    assert_ne!(*a, *b);
    let keys = parse(&format!("{}\n{}\n", *a, *b)).unwrap();
    assert_eq!(keys.len(), 2);
    let mut raw = [0u8; 48];
    decode_base64(a.as_bytes(), &mut raw).unwrap();
    assert_eq!(keys[0].name[..], raw[..16]);
}

#[test]
fn debug_shows_no_key_material() {
    let f = TempFile::new(&lines(&[0x41, 0x42]));
    let t = KeyFileTicketer::new(&f.0, Duration::from_secs(60)).unwrap();
    let shown = format!("{t:?}");
    assert!(
        shown.contains("keys: 2") && shown.contains("ChaCha20"),
        "{shown}"
    );
    assert!(shown.contains(&f.0.display().to_string()), "{shown}");
    // Name bytes 0x41 are "A", key bytes 0xa5.
    assert!(
        !shown.contains("AAAA") && !shown.contains(&line(0x41)[..8]),
        "{shown}"
    );
    assert!(
        !shown.contains("165, 165") && !shown.contains("65, 65"),
        "{shown}"
    );
}
