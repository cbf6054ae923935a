//! The grammar accepts every presentation-language block of RFC 5246 and RFC 8446
//! (extracted once into tests/data/rfc-blocks, with the RFC-text fixes listed there).

fn blocks(text: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for part in text.split("/* @block ").skip(1) {
        let (marker, body) = part.split_once("*/").expect("marker closes");
        out.push((marker.trim().to_string(), body.to_string()));
    }
    out
}

fn check_all(file: &str, text: &str, expected_blocks: usize) {
    let blocks = blocks(text);
    assert_eq!(blocks.len(), expected_blocks, "{file}: block count");
    for (marker, body) in &blocks {
        let decls =
            tls_codegen::parse(marker, body).unwrap_or_else(|e| panic!("{file} {marker}:\n{e}"));
        assert!(!decls.is_empty(), "{file} {marker}: no declarations");
    }
    // And the file as a whole (duplicates across blocks are fine for the grammar).
    tls_codegen::parse(file, text).unwrap_or_else(|e| panic!("{e}"));
}

#[test]
fn parses_every_rfc5246_block() {
    check_all("rfc5246.pl", include_str!("data/rfc-blocks/rfc5246.pl"), 58);
}

#[test]
fn parses_every_rfc8446_block() {
    check_all("rfc8446.pl", include_str!("data/rfc-blocks/rfc8446.pl"), 56);
}

#[test]
fn parses_rfc_constructs() {
    let cases = [
        "opaque SessionID<0..32>;",
        "uint8 CipherSuite[2];",
        "uint16 ProtocolVersion;",
        "opaque ASN.1Cert<1..2^24-1>;",
        "enum { 3des(1), 2^9(2), (255) } E;",
        "enum { reserved(0xFE00..0xFEFF), (0xFFFF) } R;",
        "struct {} Empty;",
        "struct { struct { uint8 a; } inner; enum { x(1), (255) } e; } Nested;",
        "struct { select (Handshake.msg_type) { case client_hello: case server_hello: struct {}; case finished: uint8 x; }; } S;",
        "struct { ProtocolVersion legacy_version = 0x0303; opaque label<7..255> = \"tls13 \" + Label; } D;",
        "CipherSuite TLS_NULL_WITH_NULL_NULL = { 0x00,0x00 };",
        "struct { digitally-signed struct { opaque a[32]; } signed_params; public-key-encrypted PreMasterSecret p; } C;",
        "/* a */ struct { /* b */ uint8 /* c */ x; /* d */ } /* e */ Commented; /* f */",
        "struct { opaque x<2^16-1>; } CeilingOnly;",
    ];
    for c in cases {
        let d = tls_codegen::parse("case", c).unwrap_or_else(|e| panic!("{c}\n{e}"));
        assert_eq!(d.len(), 1, "{c}");
    }
}

#[test]
fn syntax_errors_point_at_the_text() {
    let err = tls_codegen::parse("bad.tls", "struct {\n    uint8 a\n} Missing;").unwrap_err();
    // A missing `;` is reported where it belongs: just after `a`, not at the `}` below it.
    let msg = err.short();
    assert_eq!(msg, "bad.tls:2:12: expected `;`\n");
}

/// Schema text is a person's input: whatever it holds, the compiler answers with diagnostics,
/// never a panic. Non-ASCII characters at the places recovery resumes from used to slice inside
/// a character (`€€ 😀;` panicked); a fixed list, then 3,000 token soups from a fixed seed.
#[test]
fn any_text_gets_diagnostics_not_a_panic() {
    let compile = |src: &str| {
        let _ = tls_codegen::compile_sources(vec![("t.tls".into(), src.into())]);
    };
    for src in [
        "€€ 😀;",
        "struct { 😀 x; } S;",
        ": 0x1 /*😀",
        "select struct 😀/*.. 😀*/ x €=< /*@ \n 😀< {( ",
        "struct { uint8 a\u{a0}} S;",
        "struct { uint8 b\u{2028}uint8 c; } T;",
        "enum { a(1) 😀 } E;",
        "/*@ 😀 */ uint8 X;",
        "\"😀",
    ] {
        compile(src);
    }
    const TOKENS: &[&str] = &[
        "😀", "é", "€", "\u{a0}", "{", "}", "(", ")", ";", "<", ">", "..", "struct", "enum",
        "select", "case", ":", "uint8", "opaque", "x", "/*", "*/", "/*@", "\"", "2^16", ",", "=",
        "0x1", "\n", " ", "[", "]", "default", ".", "^",
    ];
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    for _ in 0..3000 {
        let len = next() % 40 + 1;
        let src: String = (0..len)
            .map(|_| {
                let t = TOKENS[(next() % TOKENS.len() as u64) as usize];
                if next() % 2 == 0 {
                    format!("{t} ")
                } else {
                    t.to_string()
                }
            })
            .collect();
        compile(&src);
    }
}
