//! Issue 12's generator features, as the compiler sees them: field defaults as fixed values
//! (and the defaults it cannot honour), the rules `unique`/`last`/`zero`, `padded`, and decode
//! context only some arms need. Their behaviour on bytes is tested in tls-core
//! (`gen_feature_tests`, on `tls-core/tests/data/gen_features.tls`).

mod common;

use common::assert_error;

fn rust(src: &str) -> String {
    match tls_codegen::compile_sources(vec![("t.tls".into(), src.into())]) {
        Ok(c) => c.rust(),
        Err(e) => panic!("{e}"),
    }
}

const PV: &str = "struct { uint8 major; uint8 minor; } ProtocolVersion;\n";

#[test]
fn a_default_is_a_fixed_value_not_a_field() {
    let out = rust(&format!(
        "{PV}enum {{ handshake(22), application_data(23), (255) }} ContentType;\n\
         struct {{ ContentType t = application_data; ProtocolVersion v = 0x0303; \
         ProtocolVersion w = {{ 3, 1 }}; uint8 m = 0; opaque c<1..2^8-1> = {{ 0 }}; \
         opaque x<0..10>; }} S;"
    ));
    for fixed in [
        "r.fixed(&[23]).in_field(\"t\")?;",
        "r.fixed(&[3, 3]).in_field(\"v\")?;",
        "r.fixed(&[3, 1]).in_field(\"w\")?;",
        "r.fixed(&[0]).in_field(\"m\")?;",
        "r.fixed(&[1, 0]).in_field(\"c\")?;",
        "out.extend_from_slice(&[23]);",
        "out.extend_from_slice(&[1, 0]);",
    ] {
        assert!(out.contains(fixed), "missing `{fixed}` in:\n{out}");
    }
    // Only `x` is stored; the doc names the fixed values.
    let s = out.split("pub struct S<'a> {").nth(1).unwrap();
    let fields = s.split('}').next().unwrap();
    assert!(fields.contains("pub x: &'a [u8]"), "{fields}");
    assert!(
        !fields.contains("pub t:") && !fields.contains("pub v:"),
        "{fields}"
    );
    let doc: String = out
        .lines()
        .filter_map(|l| l.trim().strip_prefix("///"))
        .collect::<Vec<_>>()
        .join("");
    assert!(
        doc.contains(
            "not stored: `t` (bytes `0x17`), `v` (bytes `0x0303`), `w` (bytes `0x0301`), `m` (bytes `0x00`), `c` (bytes `0x0100`)."
        ),
        "{doc}"
    );
}

#[test]
fn a_default_that_cannot_be_generated_is_an_error() {
    assert_error(
        "struct { uint8 l; opaque label<7..255> = \"tls13 \" + Label; } HkdfLabel;",
        "t.tls:1:19: the default of `label` cannot be generated: a value joined with `+` is computed, not fixed",
    );
    assert_error(
        "enum { a(1), (255) } E;\nstruct { E e = b; } S;",
        "t.tls:2:10: the default of `e` cannot be generated: `b` is not a value of `E`",
    );
    assert_error(
        "enum { a(1), (255) } E;\nstruct { E e = 2; } S;",
        "2 is not a value of `E`",
    );
    assert_error("struct { uint8 x = 256; } S;", "256 does not fit 1 bytes");
    assert_error(
        &format!("{PV}struct {{ ProtocolVersion v = {{ 3, 3, 3 }}; }} S;"),
        "3 bytes listed for a 2-byte type",
    );
    assert_error(
        &format!("{PV}struct {{ ProtocolVersion v = 0x10000; }} S;"),
        "65536 does not fit 2 bytes",
    );
    assert_error(
        "struct { opaque c<2..255> = { 0 }; } S;",
        "1 bytes is outside <2..255>",
    );
    assert_error(
        "struct { opaque c<1..255>; } T;\nstruct { T t = 1; } S;",
        "`T` has no fixed size",
    );
    assert_error(
        "enum { a(1), (255) } E;\nstruct { E e = a; select (e) { case a: struct {}; } s; } S;",
        "t.tls:2:10: `S.e` has a fixed value and cannot select",
    );
}

#[test]
fn a_default_in_a_definition_that_generates_nothing_is_documentation() {
    // A context-only struct (RFC 5246's SecurityParameters) generates nothing.
    let out = rust(
        "enum { a, b } Ctx;\n\
         struct { Ctx c; opaque label<7..255> = \"tls13 \" + Label; } State;\n\
         struct { uint8 x; } M;",
    );
    assert!(!out.contains("State"), "{out}");
}

#[test]
fn rules_go_where_they_mean_something() {
    let ext = "/*@ open */ enum { a(1), b(2), (65535) } ET;\n\
               struct { ET t; /*@ typed_by(t) */ opaque d<0..2^16-1>; } Ext;\n";
    let out = rust(&format!(
        "{ext}struct {{ /*@ unique, last(b) */ Ext exts<0..2^16-1>; /*@ zero */ opaque pad<0..10>; }} H;"
    ));
    assert!(out.contains("|e| e.selector().value().into(),\n"), "{out}");
    assert!(out.contains("Some(ET::B.value().into())"), "{out}");
    assert!(
        out.contains("r.zeros(1, 0, 10).in_field(\"pad\")?"),
        "{out}"
    );
    assert_error(
        &format!("{ext}struct {{ /*@ unique */ opaque x<0..10>; }} H;"),
        "t.tls:3:24: `unique` and `last` go on a vector of typed values",
    );
    assert_error(
        &format!("{ext}struct {{ /*@ last(c) */ Ext exts<0..2^16-1>; }} H;"),
        "`last(c)`: `c` is not a value of `ET`",
    );
    assert_error(
        &format!("{ext}struct {{ /*@ zero */ uint16 x; }} H;"),
        "`zero` goes on an opaque vector field",
    );
    assert_error(
        &format!("{ext}struct {{ /*@ last */ Ext exts<0..2^16-1>; }} H;"),
        "`last` names a selector value",
    );
}

#[test]
fn padded_needs_its_three_fields() {
    let ct = "enum { alert(21), (255) } ContentType;\n";
    let out = rust(&format!(
        "{ct}/*@ padded */ struct {{ opaque content[TLSPlaintext.length]; ContentType type; \
         uint8 zeros[length_of_padding]; }} TLSInnerPlaintext;"
    ));
    assert!(
        out.contains("let (content, mut type_, zeros) = r.padded()?;"),
        "{out}"
    );
    assert!(out.contains("pub zeros: usize"), "{out}");
    assert!(
        out.contains("out.resize(out.len() + self.zeros, 0);"),
        "{out}"
    );
    assert_error(
        &format!("{ct}/*@ padded */ struct {{ opaque content<0..10>; }} P;"),
        "t.tls:2:15: a `padded` struct is `opaque content[...]; T type; uint8 zeros[...];`",
    );
    assert_error(
        "enum { a(1), (65535) } Wide;\n/*@ padded */ struct { opaque c[x]; Wide t; uint8 z[y]; } P;",
        "with T a one-byte enum",
    );
}

#[test]
fn context_only_some_arms_need_is_optional() {
    let out = rust(
        "enum { x, y } K;\n\
         struct { select (K) { case x: uint8 a; case y: struct {}; } v; } Inner;\n\
         enum { one(1), two(2), (255) } T;\n\
         struct { T t; select (t) { case one: Inner; case two: uint8 b; } body; } Outer;",
    );
    // Inner cannot do without it; Outer needs it only for `case one`.
    assert!(
        out.contains("pub fn decode(r: &mut Reader<'a>, k: K)") || out.contains("k: K,\n"),
        "{out}"
    );
    assert!(out.contains("k: Option<K>"), "{out}");
    assert!(
        out.contains("let k = need_context(k, \"K\", r.offset())?;"),
        "{out}"
    );
}

#[test]
fn rules_apply_behind_a_length_field() {
    let out =
        rust("struct { /*@ length_of(pad) */ uint16 len; /*@ zero */ opaque pad<0..10>; } H;");
    assert!(
        out.contains("r.delimited(2, 0, 65535, |r| r.zeros(1, 0, 10))"),
        "{out}"
    );
}

#[test]
fn annotations_in_the_wrong_place_are_errors() {
    assert_error(
        "/*@ unique */ struct { uint8 x; } S;",
        "t.tls:1:1: `unique` marks a field (of a struct or a `case` arm), not a definition",
    );
    assert_error(
        "struct { /*@ padded */ opaque x<0..10>; } S;",
        "t.tls:1:10: `padded` goes on a struct definition",
    );
}
