//! `Display` on the generated wire enums (issue 15, part 4): each named value prints its schema
//! name (the RFC's, which is IANA's) or the name a `display(value = text)` annotation gives;
//! an unknown value of an open enum prints `unknown(n)`. The values themselves are tested in
//! tls-core (`wire::display_tests`).

mod common;

use common::assert_error;

fn rust(src: &str) -> String {
    match tls_codegen::compile_sources(vec![("t.tls".into(), src.into())]) {
        Ok(c) => c.rust(),
        Err(e) => panic!("{e}"),
    }
}

/// The generated `impl fmt::Display for name`, up to the next impl.
fn display_of(out: &str, name: &str) -> String {
    let head = format!("impl fmt::Display for {name} {{");
    let s = out
        .split(&head)
        .nth(1)
        .unwrap_or_else(|| panic!("no Display for {name} in:\n{out}"));
    s.split("\nimpl").next().unwrap().to_string()
}

#[test]
fn every_wire_enum_prints_its_schema_names() {
    let out = rust(
        "enum { client_hello(1), server_hello(2), (255) } HandshakeType;\n\
         /*@ open */ enum { secp256r1(23), x25519(29), (65535) } NamedCurve;\n\
         /*@ open */ enum { close_notify(0), (255) } AlertDescription;\n\
         /*@ open */ uint8 CipherSuite[2];\n\
         CipherSuite TLS_AES_128_GCM_SHA256 = { 0x13, 0x01 };\n",
    );
    let hs = display_of(&out, "HandshakeType");
    assert!(
        hs.contains(r#"Self::ClientHello => f.pad("client_hello")"#),
        "{hs}"
    );
    assert!(
        !hs.contains("unknown"),
        "a closed enum has no unknown arm: {hs}"
    );
    let nc = display_of(&out, "NamedCurve");
    assert!(nc.contains(r#"Self::X25519 => f.pad("x25519")"#), "{nc}");
    // Two-byte values in hex, as the Debug form and the registries print them.
    assert!(
        nc.contains(r#"f.pad(&format!("unknown({value:#06x})"))"#),
        "{nc}"
    );
    // One-byte values in decimal, as the RFCs number alerts.
    let ad = display_of(&out, "AlertDescription");
    assert!(
        ad.contains(r#"f.pad(&format!("unknown({value})"))"#),
        "{ad}"
    );
    let cs = display_of(&out, "CipherSuite");
    assert!(
        cs.contains(r#"Self::TLS_AES_128_GCM_SHA256 => f.pad("TLS_AES_128_GCM_SHA256")"#),
        "{cs}"
    );
    // Debug stays the Rust variant name.
    assert!(out.contains(r#"Self::X25519 => f.write_str("X25519")"#));
}

#[test]
fn display_renames_values_also_from_an_extension() {
    let out = rust(
        "/*@ open, display(a_b = first) */ enum { a_b(1), c(2), (255) } E;\n\
         /*@ extends, display(elliptic_curves = supported_groups, c = third) */\n\
         enum { elliptic_curves(10), (255) } E;\n",
    );
    let e = display_of(&out, "E");
    assert!(e.contains(r#"Self::AB => f.pad("first")"#), "{e}");
    assert!(e.contains(r#"Self::C => f.pad("third")"#), "{e}");
    assert!(
        e.contains(r#"Self::EllipticCurves => f.pad("supported_groups")"#),
        "{e}"
    );
    // The variant and its doc keep the RFC's name.
    assert!(out.contains("/// `elliptic_curves(10)`"));
}

#[test]
fn display_errors() {
    let e = "enum { a(1), b(2), (255) } E;";
    assert_error(
        &format!("/*@ display(z = y) */ {e}"),
        "`display` names `z`, which is not a value of `E`",
    );
    for bad in [
        "display",
        "display()",
        "display(a)",
        "display(a = )",
        "display(a = \"x\")",
    ] {
        assert_error(
            &format!("/*@ {bad} */ {e}"),
            "`display` takes `value = name` pairs",
        );
    }
    assert_error(
        &format!("/*@ display(a = x, a = y) */ {e}"),
        "`display` gives `a` of `E` two names",
    );
    assert_error(
        "/*@ display(a = x) */ struct { uint8 a; } S;",
        "`display` names values of an enum on the wire; `S` is not one",
    );
    assert_error(
        &format!("{e} struct {{ /*@ display(a = x) */ E e; }} S;"),
        "`display` goes on an enum definition",
    );
}
