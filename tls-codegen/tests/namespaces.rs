//! `in(ns)` namespaces and the `select (Struct.field == Constant)` form (schema/NOTATION.md).

fn compile(src: &str) -> Result<tls_codegen::Compiled, String> {
    tls_codegen::compile_sources(vec![("t.tls".into(), src.into())]).map_err(|e| e.short())
}

fn error(src: &str) -> String {
    match compile(src) {
        Ok(_) => panic!("expected an error for:\n{src}"),
        Err(e) => e,
    }
}

const TWO_VERSIONS: &str = "
uint8 Shared;
/*@ in(v1) */ struct { Shared a; } Msg;
/*@ in(v2) */ struct { Shared a; uint16 b; } Msg;
/*@ in(v2) */ struct { Msg m; } Outer;
";

#[test]
fn one_name_in_two_namespaces() {
    let c = compile(TWO_VERSIONS).unwrap_or_else(|e| panic!("{e}"));
    let m = &c.model;
    let v1 = &m.defs[m.by_name["v1::Msg"]];
    let v2 = &m.defs[m.by_name["v2::Msg"]];
    assert_eq!(
        (v1.ns.as_deref(), v2.ns.as_deref()),
        (Some("v1"), Some("v2"))
    );
    assert!(!m.by_name.contains_key("Msg"));
    // Inside v2, `Msg` is v2's (its namespace first), 3 bytes.
    assert_eq!(m.defs[m.by_name["v2::Outer"]].size, Some(3));
    let rust = c.rust();
    assert!(rust.contains("pub mod v1 {\n    use super::*;"), "{rust}");
    assert!(rust.contains("pub mod v2 {"), "{rust}");
    // The shared type once, at the root; the registry names namespaced types by path.
    assert_eq!(rust.matches("pub struct Shared(").count(), 1);
    assert!(
        rust.contains("\"v1::Msg\" => round_trip_as::<v1::Msg>"),
        "{rust}"
    );
}

#[test]
fn the_root_cannot_name_a_namespaced_definition() {
    let e = error(&format!("{TWO_VERSIONS}struct {{ Msg m; }} Root;"));
    assert!(e.contains("unknown type `Msg`"), "{e}");
    // Nor one namespace another's.
    let e = error("/*@ in(a) */ uint8 X;\n/*@ in(b) */ struct { X x; } Y;");
    assert!(e.contains("t.tls:2:23: unknown type `X`"), "{e}");
}

#[test]
fn extends_names_the_namespace() {
    let base = "enum { a(1), b(2), (255) } T;
/*@ in(v1) */ struct { T t; select (T) { case a: uint8; } body; } M;
/*@ in(v2), partial */ struct { T t; select (T) { case a: uint16; } body; } M;
";
    let c = compile(&format!(
        "{base}/*@ extends, in(v1) */ struct {{ select (T) {{ case b: uint32; }} body; }} M;"
    ))
    .unwrap_or_else(|e| panic!("{e}"));
    let arms = |key: &str| match &c.model.defs[c.model.by_name[key]].kind {
        tls_codegen::model::DefKind::Struct(s) => s.flattened_select().map(|s| s.arms.len()),
        _ => None,
    };
    assert_eq!((arms("v1::M"), arms("v2::M")), (Some(2), Some(1)));
    let e = error(&format!(
        "{base}/*@ extends */ struct {{ select (T) {{ case b: uint32; }} body; }} M;"
    ));
    assert!(
        e.contains("`extends` names `M`, which is not defined"),
        "{e}"
    );
}

#[test]
fn a_namespace_is_a_lower_case_name() {
    let e = error("/*@ in(Tls13) */ uint8 X;");
    assert!(
        e.contains("`in(ns)` takes a namespace name in lower case"),
        "{e}"
    );
}

const HELLO: &str = "
struct { uint8 b[4]; } Rnd;
Rnd Magic = { 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09 };
";

#[test]
fn byte_constant_must_fit_its_type() {
    let e = error(HELLO);
    assert!(
        e.contains("constant `Magic` has 9 bytes; `Rnd` is not a type of that fixed size"),
        "{e}"
    );
}

const CMP: &str = "
struct { opaque b[9]; } Rnd;
Rnd Magic = { 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09 };
struct {
    select (Server.random == Magic) {
        case true: uint8;
        case false: uint16;
    };
} Body;
struct { Rnd random; Body body; } Server;
struct { Body body; } Client;
";

#[test]
fn a_comparison_select_is_bound_by_its_struct_and_false_elsewhere() {
    let c = compile(CMP).unwrap_or_else(|e| panic!("{e}"));
    let m = &c.model;
    let ctx = |n: &str| {
        m.defs[m.by_name[n]]
            .context
            .keys()
            .cloned()
            .collect::<Vec<_>>()
    };
    assert_eq!(ctx("Body"), ["Server.random == Magic"]);
    assert!(ctx("Server").is_empty() && ctx("Client").is_empty());
    let rust = c.rust();
    assert!(
        rust.contains("pub const MAGIC: [u8; 9] = [1, 2, 3, 4, 5, 6, 7, 8, 9];"),
        "{rust}"
    );
    assert!(
        rust.contains("let server_random_magic = random.to_vec() == MAGIC;"),
        "{rust}"
    );
    assert!(
        rust.contains("Body::decode(r, server_random_magic)"),
        "{rust}"
    );
    assert!(rust.contains("Body::decode(r, false)"), "{rust}");
    assert!(rust.contains("true => r.u8().map(Self::True)"), "{rust}");
}

#[test]
fn a_comparison_select_needs_both_cases_and_a_constant() {
    let e = error(&CMP.replace("case false: uint16;", ""));
    assert!(
        e.contains("needs both `case true:` and `case false:`"),
        "{e}"
    );
    let e = error(&CMP.replace("== Magic", "== Nope"));
    assert!(
        e.contains("`Nope`: no byte-string constant of that name"),
        "{e}"
    );
    let e = error(&CMP.replace("Server.random ==", "Server.nope =="));
    assert!(
        e.contains("`Server.nope`: no struct `Server` with a field `nope`"),
        "{e}"
    );
    let e = error(&CMP.replace("case true:", "case maybe:"));
    assert!(
        e.contains("`case maybe`: a `==` select's cases are `true` and `false`"),
        "{e}"
    );
}
