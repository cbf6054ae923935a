//! Every diagnostic's full text, in the rustc-style caret form a person reads, pinned as insta
//! snapshots (`tests/snapshots/diagnostics__*.snap`): one case per error and warning of the
//! diagnostics work, plus recovery after syntax errors and `allow`.

use std::path::PathBuf;

/// The caret form of every error of compiling `files`.
fn errors_of(files: &[(&str, &str)]) -> String {
    let files = files
        .iter()
        .map(|(n, t)| (n.to_string(), t.to_string()))
        .collect();
    match tls_codegen::compile_sources(files) {
        Ok(_) => panic!("expected errors"),
        Err(e) => e.to_string(),
    }
}

fn errors(src: &str) -> String {
    errors_of(&[("t.tls", src)])
}

/// The caret form of the warnings of a schema that compiles.
fn warnings(src: &str) -> String {
    let c = tls_codegen::compile_sources(vec![("t.tls".into(), src.into())])
        .unwrap_or_else(|e| panic!("expected no errors, got:\n{e}"));
    assert!(!c.warnings.is_empty(), "expected warnings for:\n{src}");
    c.render_warnings()
}

fn no_warnings(src: &str) {
    let c = tls_codegen::compile_sources(vec![("t.tls".into(), src.into())])
        .unwrap_or_else(|e| panic!("expected no errors, got:\n{e}"));
    assert!(
        c.warnings.is_empty(),
        "expected no warnings, got:\n{}",
        c.render_warnings()
    );
}

#[test]
fn unknown_type() {
    insta::assert_snapshot!("unknown_type", errors("struct { Nope x; } S;"));
}

// ---- syntax errors and recovery ----

#[test]
fn missing_semicolon_after_a_definition() {
    let src = "struct {\n    uint8 a;\n} First\nstruct { First f; } Second;\n";
    insta::assert_snapshot!("missing_semicolon_after_a_definition", errors(src));
}

#[test]
fn missing_semicolon_after_a_member() {
    let src = "struct {\n    uint8 a\n    uint16 b;\n} S;\n";
    insta::assert_snapshot!("missing_semicolon_after_a_member", errors(src));
}

#[test]
fn missing_semicolon_is_repaired() {
    // `First` is parsed as if the `;` were there: `Second` may use it, and the select's error is
    // still found.
    let src =
        "enum { a(1), b(2), (255) } E\nstruct { E e; select (e) { case a: uint8 x; } v; } S;\n";
    insta::assert_snapshot!("missing_semicolon_is_repaired", errors(src));
}

#[test]
fn unclosed_brace_at_end_of_file() {
    let src = "uint8 A;\nstruct {\n    uint8 a;\n    uint8 b;\n";
    insta::assert_snapshot!("unclosed_brace_at_end_of_file", errors(src));
}

#[test]
fn unclosed_brace_before_the_next_declaration() {
    let src = "struct {\n    uint8 a;\n\nenum { x(1), (255) } E;\nstruct { Nope n; } T;\n";
    insta::assert_snapshot!("unclosed_brace_before_the_next_declaration", errors(src));
}

#[test]
fn unclosed_inner_brace() {
    // The select's `{` is the one never closed: the `}` below lines up with the struct's.
    let src = "enum { a(1), (255) } E;\nstruct {\n    E e;\n    select (e) {\n        case a: uint8 x;\n} S;\nstruct { Nope n; } T;\n";
    insta::assert_snapshot!("unclosed_inner_brace", errors(src));
}

#[test]
fn unclosed_comment() {
    let src = "uint8 A;\n/* a comment\nthat never ends\nuint8 B;\n";
    insta::assert_snapshot!("unclosed_comment", errors(src));
}

#[test]
fn unclosed_brace_skips_comment_lines() {
    // A comment's line in column 0 is not taken for the next declaration.
    let src = "struct {\n    uint8 a;\n/*\nnot a declaration\n*/\nstruct { Nope n; } T;\n";
    insta::assert_snapshot!("unclosed_brace_skips_comment_lines", errors(src));
}

#[test]
fn syntax_error_messages_list_what_could_come() {
    // One file, six mistakes, six errors: pest's literal tokens name what was expected.
    let src = "struct { uint8 x[3; } A;\nstruct { select (x) { cas a: uint8 y; } v; } B;\nstruct { select (x) { case a uint8 y; } v; } C;\n}\nenum { a(1) b(2), (255) } D;\nstruct { uint8 y = ; } E;\n";
    insta::assert_snapshot!("syntax_error_messages_list_what_could_come", errors(src));
}

#[test]
fn stray_characters_do_not_stop_the_parse() {
    let src = "uint8 A;\n§ uint8 B;\n}\nstruct { Nope n; } C;\n";
    insta::assert_snapshot!("stray_characters_do_not_stop_the_parse", errors(src));
}

#[test]
fn other_syntax_errors() {
    let src = "struct { opaque x<0..>; } A;\nstruct { uint8 y; } B;\nenum { } C;\n";
    insta::assert_snapshot!("other_syntax_errors", errors(src));
}

#[test]
fn every_file_reports_its_errors() {
    // Two syntax errors in one file and a semantic error in another, in one run; `Broken`
    // (which did not parse) is not reported again as an unknown type.
    let a = "struct { uint8 x<1..>; } Broken;\nstruct { uint8 a; } Fine;\nenum { a(1) (255) } AlsoBroken;\n";
    let b = "struct { Broken b; AlsoBroken c; Fine f; Nope n; } User;\n";
    insta::assert_snapshot!(
        "every_file_reports_its_errors",
        errors_of(&[("a.tls", a), ("b.tls", b)])
    );
}

// ---- duplicates and Rust name collisions ----

#[test]
fn duplicate_enum_value() {
    insta::assert_snapshot!(
        "duplicate_enum_value",
        errors("enum {\n    a(1),\n    b(1),\n    (255)\n} E;\n")
    );
}

#[test]
fn duplicate_enum_name() {
    insta::assert_snapshot!(
        "duplicate_enum_name",
        errors("enum {\n    a(1),\n    a(2),\n    (255)\n} E;\n")
    );
}

#[test]
fn duplicate_definition() {
    insta::assert_snapshot!("duplicate_definition", errors("uint8 A;\nuint16 A;\n"));
}

#[test]
fn rust_type_collision() {
    insta::assert_snapshot!(
        "rust_type_collision",
        errors("opaque ASN.1Cert<1..2^24-1>;\nopaque ASN1Cert<1..2^24-1>;\n")
    );
}

#[test]
fn rust_variant_collision() {
    insta::assert_snapshot!(
        "rust_variant_collision",
        errors("enum { a_b(1), aB(2), (255) } E;\n")
    );
}

#[test]
fn open_enum_value_named_unknown() {
    insta::assert_snapshot!(
        "open_enum_value_named_unknown",
        errors("/*@ open */ enum { known(1), unknown(2), (255) } E;\n")
    );
}

#[test]
fn open_alias_constants_that_clash() {
    let src = "/*@ open */ uint8 CipherSuite[2];\nCipherSuite TLS_A = { 0x00, 0x01 };\nCipherSuite TLS_A = { 0x00, 0x02 };\nCipherSuite Unknown = { 0x00, 0x03 };\n";
    insta::assert_snapshot!("open_alias_constants_that_clash", errors(src));
}

#[test]
fn rust_keyword_type() {
    insta::assert_snapshot!("rust_keyword_type", errors("uint8 self;\n"));
}

#[test]
fn rust_field_collision() {
    insta::assert_snapshot!(
        "rust_field_collision",
        errors("struct {\n    uint8 type;\n    uint8 type_;\n} S;\n")
    );
}

#[test]
fn rust_select_variant_collision() {
    // A context enum (no values on the wire) generates no Rust enum; a select on it does.
    let src = "enum { a_b, aB } Kind;\nstruct {\n    select (Kind) {\n        case a_b: uint8 x;\n        case aB: uint16 y;\n    } v;\n} S;\n";
    insta::assert_snapshot!("rust_select_variant_collision", errors(src));
}

// ---- selects that leave values without an arm ----

#[test]
fn select_without_every_case() {
    let src = "enum { a(1), b(2), c(3), (255) } E;\nstruct {\n    E e;\n    select (e) {\n        case a: uint8 x;\n    } v;\n} S;\n";
    insta::assert_snapshot!("select_without_every_case", errors(src));
}

#[test]
fn select_on_context_without_every_case() {
    let src = "enum { x, y, z } Kind;\nstruct {\n    select (Kind) {\n        case x: uint8 a;\n        case y: uint16 b;\n    };\n} S;\n";
    insta::assert_snapshot!("select_on_context_without_every_case", errors(src));
}

#[test]
fn boolean_select_without_false() {
    let src = "struct {\n    uint8 x;\n    select (extensions_present) {\n        case true: uint8 y;\n    } v;\n} S;\n";
    insta::assert_snapshot!("boolean_select_without_false", errors(src));
}

#[test]
fn partial_default_and_typed_by_selects_may_leave_values_out() {
    // `partial` before the select, or before a top-level select / the struct holding it.
    no_warnings("enum { a(1), b(2), (255) } E;\nstruct { E e; /*@ partial */ select (e) { case a: uint8 x; } v; } S;");
    no_warnings("enum { x, y } K;\n/*@ partial */ select (K) { case x: uint8 a; } T;");
    no_warnings("enum { x, y } K;\n/*@ partial */ struct { select (K) { case x: uint8 a; }; } U;");
    // `default:` on an open enum.
    no_warnings("/*@ open */ enum { a(1), b(2), (255) } E;\nstruct { E e; select (e) { case a: uint8 x; default: uint16 y; } v; } S;");
    // `typed_by`: values without a registration decode as unknown.
    no_warnings("enum { a(1), b(2), (65535) } T;\nstruct { T t; /*@ typed_by(t) */ opaque d<0..2^16-1>; } Ext;\n/*@ typed(T.a) */ struct { uint8 x; } A;");
}

// ---- warnings ----

#[test]
fn wide_prefix() {
    insta::assert_snapshot!(
        "wide_prefix",
        warnings("struct {\n    opaque data<0..2^16>;\n} S;\n")
    );
}

#[test]
fn implied_length() {
    let src = "struct {\n    uint8 msg_type;\n    uint24 length;\n    opaque body<0..2^24-1>;\n} Handshake;\n";
    insta::assert_snapshot!("implied_length", warnings(src));
}

#[test]
fn implied_length_not_when_tied() {
    // `length_of`, `[Struct.length]`, a last field, and a length that is not stored.
    no_warnings(
        "struct { uint8 t; /*@ length_of(body) */ uint24 length; opaque body<0..2^24-1>; } H;",
    );
    no_warnings("struct { uint8 t; uint16 length; opaque fragment[P.length]; } P;");
    no_warnings("struct { uint8 t; uint16 length; } R;");
}

#[test]
fn inner_length() {
    let src = "enum { padding(21), (65535) } ExtensionType;\nstruct {\n    ExtensionType extension_type;\n    /*@ typed_by(extension_type) */\n    opaque extension_data<0..2^16-1>;\n} Extension;\n/*@ typed(ExtensionType.padding) */\nstruct {\n    opaque padding<0..2^16-1>;\n} PaddingExtension;\n";
    insta::assert_snapshot!("inner_length", warnings(src));
}

#[test]
fn inner_length_not_with_rest_or_a_narrower_prefix() {
    no_warnings("enum { padding(21), (65535) } ExtensionType;\nstruct { ExtensionType extension_type; /*@ typed_by(extension_type) */ opaque extension_data<0..2^16-1>; } Extension;\n/*@ typed(ExtensionType.padding) */\nstruct { /*@ rest */ opaque padding<0..2^16-1>; } PaddingExtension;");
    no_warnings("enum { reneg(0xff01), (65535) } ExtensionType;\nstruct { ExtensionType extension_type; /*@ typed_by(extension_type) */ opaque extension_data<0..2^16-1>; } Extension;\n/*@ typed(ExtensionType.reneg) */\nstruct { opaque renegotiated_connection<0..255>; } RenegotiationInfo;");
}

#[test]
fn implicit_width() {
    insta::assert_snapshot!(
        "implicit_width",
        warnings("enum { a(1), b(2) } E;\nstruct { enum { x(1), y(300) } kind; } S;\n")
    );
    // A width marker, a largest value that fills the width, an `extends`, a context enum.
    no_warnings(
        "enum { a(1), (255) } E;\nenum { a(1), reserved(248..255) } F;\nenum { rsa, dh } K;",
    );
    no_warnings("enum { a(1), (65535) } E;\n/*@ extends */ enum { b(2) } E;");
}

#[test]
fn allow_silences_a_warning_inside_its_declaration() {
    let src = "struct {\n    opaque a<0..2^16>;\n} Loud;\n/*@ allow(wide_prefix) */\nstruct {\n    opaque a<0..2^16>;\n    struct { opaque b<0..2^8>; } inner;\n} Quiet;\nstruct {\n    /*@ allow(wide_prefix) */\n    opaque a<0..2^16>;\n    opaque b<0..2^24>;\n} Half;\n";
    let c = tls_codegen::compile_sources(vec![("t.tls".into(), src.into())]).expect("compiles");
    let lines: Vec<usize> = c
        .warnings
        .iter()
        .map(|w| c.sources.line_col(w.loc).0)
        .collect();
    // Loud's vector and Half's second vector; nothing of Quiet, nor Half's allowed field.
    assert_eq!(lines, [2, 12], "{}", c.render_warnings());
    // An allow for another lint does not silence it.
    let other = "/*@ allow(implied_length, implicit_width) */\nstruct { opaque a<0..2^16>; } S;";
    let c = tls_codegen::compile_sources(vec![("t.tls".into(), other.into())]).expect("compiles");
    assert_eq!(c.warnings.len(), 1);
}

#[test]
fn unknown_lint_in_allow() {
    insta::assert_snapshot!(
        "unknown_lint_in_allow",
        errors("/*@ allow(wide_prefixes) */\nstruct { opaque a<0..2^16>; } S;\n")
    );
}

#[test]
fn warnings_short_form() {
    let c = tls_codegen::compile_sources(vec![(
        "t.tls".into(),
        "struct { opaque a<0..2^8>; } S;".into(),
    )])
    .expect("compiles");
    assert_eq!(
        c.warnings[0].render_short(&c.sources),
        "t.tls:1:18: warning[wide_prefix]: vector ceiling 2^8 gets a 2-byte length prefix, one byte wider than the RFCs' `<..2^8-1>`"
    );
}

// ---- build scripts ----

fn temp_schema(name: &str, text: &str) -> (PathBuf, PathBuf) {
    let dir = std::env::temp_dir().join(format!("tls-codegen-diag-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let schema = dir.join("s.tls");
    std::fs::write(&schema, text).expect("write schema");
    (schema, dir.join("out.rs"))
}

#[test]
fn build_fails_on_warnings_unless_allowed() {
    let (schema, out) = temp_schema("warn", "struct { opaque a<0..2^16>; } S;\n");
    let paths = [schema];
    let failed = std::panic::catch_unwind(|| tls_codegen::build(&paths, &out));
    let msg = failed.expect_err("build must fail on a warning");
    let msg = msg.downcast_ref::<String>().cloned().unwrap_or_default();
    assert!(msg.contains("warning[wide_prefix]"), "{msg}");
    assert!(!out.exists());
    tls_codegen::Build::new(&paths, &out)
        .allow_warnings(true)
        .run();
    let rust = std::fs::read_to_string(&out).expect("written");
    assert!(rust.contains("pub struct S<'a>"));
}

#[test]
fn build_panics_with_the_caret_form() {
    let (schema, out) = temp_schema("err", "struct { Nope n; } S;\n");
    let paths = [schema];
    let failed = std::panic::catch_unwind(|| tls_codegen::build(&paths, &out));
    let msg = failed.expect_err("build must fail on an error");
    let msg = msg.downcast_ref::<String>().cloned().unwrap_or_default();
    assert!(msg.contains("error: unknown type `Nope`\n"), "{msg}");
    assert!(msg.contains("  |          ^^^^\n"), "{msg}");
}
