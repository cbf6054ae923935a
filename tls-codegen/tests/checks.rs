//! The compiler rejects what it cannot generate, at `file:line:col`, in words a person understands.

mod common;

use common::assert_error;

#[test]
fn unknown_type() {
    assert_error("struct { Nope x; } S;", "t.tls:1:10: unknown type `Nope`");
}

#[test]
fn duplicate_definition() {
    assert_error(
        "uint8 A;\nuint16 A;",
        "t.tls:2:8: duplicate definition of `A` (first defined at t.tls:1:7)",
    );
}

#[test]
fn enum_value_does_not_fit_width() {
    assert_error(
        "enum { a(1), b(256), (255) } E;",
        "t.tls:1:14: value 256 of `b` does not fit the width of `E` (at most 255)",
    );
}

#[test]
fn enum_range_does_not_fit_width() {
    assert_error(
        "enum { a(1), r(0xF0..0x1FF), (255) } E;",
        "range 240..511 of `r` does not fit",
    );
}

#[test]
fn vector_ceiling_does_not_fit_a_prefix() {
    assert_error(
        "struct { opaque x<0..2^32>; } S;",
        "t.tls:1:10: vector ceiling 4294967296 does not fit a length prefix",
    );
}

#[test]
fn floor_above_ceiling() {
    assert_error(
        "struct { opaque x<10..2>; } S;",
        "t.tls:1:10: vector floor 10 is above its ceiling 2",
    );
}

#[test]
fn fixed_length_not_a_multiple() {
    assert_error(
        "struct { uint16 x[3]; } S;",
        "t.tls:1:10: vector fixed length 3 is not a multiple of the element size 2",
    );
}

#[test]
fn vector_ceiling_not_a_multiple() {
    // The RFC 5246 erratum: `CipherSuite cipher_suites<2..2^16-1>` for 2-byte elements.
    assert_error(
        "uint8 CipherSuite[2];\nstruct { CipherSuite cipher_suites<2..2^16-1>; } H;",
        "t.tls:2:10: vector ceiling 65535 is not a multiple of the element size 2",
    );
}

#[test]
fn case_label_not_a_value() {
    assert_error(
        "enum { a(1), b(2), (255) } E;\nstruct { E e; select (e) { case a: uint8 x; case c: uint16 y; } v; } S;",
        "t.tls:2:50: case label `c` is not a value of `E`",
    );
}

#[test]
fn select_on_unknown_field() {
    assert_error(
        "struct { select (nothing) { case a: uint8 x; } v; } S;",
        "t.tls:1:18: select on unknown field `nothing`",
    );
}

#[test]
fn select_on_a_non_enum() {
    assert_error(
        "struct { uint8 t; select (t) { case a: uint8 x; } v; } S;",
        "selector `t` is not an enum field",
    );
}

#[test]
fn unknown_annotation() {
    assert_error(
        "/*@ shiny */ uint8 A;",
        "t.tls:1:1: unknown annotation `shiny`",
    );
}

#[test]
fn extends_needs_a_base() {
    assert_error(
        "/*@ extends */ enum { a(1), (255) } E;",
        "`extends` names `E`, which is not defined",
    );
}

#[test]
fn extends_value_clash() {
    assert_error(
        "enum { a(1), (255) } E;\n/*@ extends */ enum { a(2), (255) } E;",
        "`E` already has `a` with another value",
    );
}

#[test]
fn typed_names_an_unknown_value() {
    assert_error(
        "enum { x(1), (65535) } T;\nstruct { T t; /*@ typed_by(t) */ opaque d<0..2^16-1>; } Ext;\n/*@ typed(T.y) */ struct {} Body;",
        "`typed(T.y)`: `y` is not a value of `T`",
    );
}

#[test]
fn opaque_needs_a_vector() {
    assert_error("struct { opaque x; } S;", "`opaque` needs a vector");
}

#[test]
fn errors_name_the_file_they_are_in() {
    let e = tls_codegen::compile_sources(vec![
        ("a.tls".into(), "uint8 A;".into()),
        ("b.tls".into(), "\n\nstruct { Missing m; } B;".into()),
    ])
    .err()
    .expect("error");
    assert_eq!(e.short(), "b.tls:3:10: unknown type `Missing`\n");
}

#[test]
fn typed_registered_twice() {
    assert_error(
        "enum { x(1), (65535) } T;\nstruct { T t; /*@ typed_by(t) */ opaque d<0..2^16-1>; } Ext;\n/*@ typed(T.x) */ struct {} A;\n/*@ typed(T.x) */ struct {} B;",
        "t.tls:4:1: `typed(T.x)` is registered twice",
    );
}

#[test]
fn annotation_must_touch_its_declaration() {
    assert_error(
        "/*@ open */\n\nenum { a(1), (255) } E;",
        "t.tls:1:1: annotation is not directly followed by a declaration",
    );
}

#[test]
fn default_needs_an_open_selector() {
    assert_error(
        "enum { a(1), (255) } E;\nstruct { E e; select (e) { case a: uint8 x; default: uint16 y; } v; } S;",
        "t.tls:2:45: `default:` needs an `open` selector enum; `E` is closed",
    );
}

#[test]
fn default_at_most_once_and_one_declaration() {
    let head = "/*@ open */ enum { a(1), (255) } E;\n";
    assert_error(
        &format!(
            "{head}struct {{ E e; select (e) {{ default: uint8 x; default: uint8 y; }} v; }} S;"
        ),
        "t.tls:2:46: a select has at most one `default:` arm",
    );
    assert_error(
        &format!("{head}struct {{ E e; select (e) {{ default: uint8 x; uint8 y; }} v; }} S;"),
        "t.tls:2:28: a `default:` arm holds exactly one declaration",
    );
}

#[test]
fn default_arm_decodes_unknown_values() {
    let src = "/*@ open */ enum { a(1), (255) } E;\nstruct { E e; select (e) { case a: uint8 x; default: opaque other<0..2^16-1>; } v; } S;";
    let rust = tls_codegen::compile_sources(vec![("t.tls".into(), src.into())])
        .unwrap_or_else(|e| panic!("{e}"))
        .rust();
    assert!(rust.contains("Unknown(E, &'a [u8])"), "{rust}");
    // Any value but `a`, even one the enum does not name, reads the 2-byte-prefixed body.
    for piece in [
        "other => {",
        "r.opaque(2, 0, 65535)",
        ".map(|body| Self::Unknown(other, body))",
        ".in_field(\"other\")",
    ] {
        assert!(rust.contains(piece), "{piece} missing in\n{rust}");
    }
}

#[test]
fn secret_goes_on_byte_string_fields() {
    assert_error(
        "struct { /*@ secret */ uint16 key; } S;",
        "t.tls:1:10: `secret` goes on an opaque (byte string) field",
    );
    assert_error(
        "/*@ secret */ opaque Key[16];",
        "t.tls:1:1: `secret` marks a named field (of a struct or a `case` arm), not this declaration",
    );
    assert_error(
        "/*@ open */ enum { a(1), (255) } E;\nstruct { E e; select (e) { case a: struct {}; default: /*@ secret */ opaque x<0..255>; } v; } S;",
        "`secret` marks a named field",
    );
}

#[test]
fn secret_fields_debug_as_their_length() {
    let src = "enum { a(1), (255) } E;\n\
        struct { opaque name<0..255>; /*@ secret */ opaque key[16]; } S;\n\
        struct { E e; select (e) { case a: uint8 n; /*@ secret */ opaque k<1..255>; } v; } T;";
    let rust = tls_codegen::compile_sources(vec![("t.tls".into(), src.into())])
        .unwrap_or_else(|e| panic!("{e}"))
        .rust();
    for piece in [
        ".field(\"key\", &Redacted(self.key.len()))",
        ".field(\"k\", &Redacted(k.len()))",
        ".field(\"name\", &Hex(self.name))",
        "write!(f, \"<redacted {} bytes>\", self.0)",
    ] {
        assert!(rust.contains(piece), "{piece} missing in\n{rust}");
    }
    assert!(!rust.contains("Hex(&self.key)"), "{rust}");
}

#[test]
fn generated_code_cites_its_schema_lines() {
    let rust = tls_codegen::compile_sources(vec![
        (
            "s/a.tls".into(),
            "/* A note. */\nenum {\n    x(1), (255)\n} E;\nstruct {\n    uint8 a;\n} N;".into(),
        ),
        (
            "s/b.tls".into(),
            "\n/*@ extends */ enum { y(2), (255) } E;".into(),
        ),
    ])
    .unwrap_or_else(|e| panic!("{e}"))
    .rust();
    assert!(rust.starts_with("// @generated by tls-codegen "), "{rust}");
    assert!(rust.contains("//   s/a.tls\n//   s/b.tls\n"), "{rust}");
    assert!(
        rust.contains("/// From `s/a.tls:2`, extended at `s/b.tls:2`.\n"),
        "{rust}"
    );
    assert!(rust.contains("/// From `s/a.tls:5`.\n"), "{rust}");
    // A field without a comment is documented by its declaration.
    assert!(rust.contains("    /// `uint8 a;`\n"), "{rust}");
}
