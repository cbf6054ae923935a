//! Generates the wire types from the schema with tls-codegen (prost-build style: the output is
//! `include!`d from OUT_DIR, never committed).
//!
//! `wire.rs` is the schema in `../schema` (or `$SPECTLS_SCHEMA`). `wire_extended.rs` is the same
//! schema plus `tests/data/rfc7366.tls`, compiled only into tls-core's unit tests to show that a
//! new extension is a schema change alone. `wire_gen_test.rs` is `tests/data/gen_features.tls`
//! alone, for the unit tests of the generator's features (fixed values, rules, `padded`,
//! `encode_find`, optional context).
use std::path::PathBuf;

fn main() {
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    let schema =
        PathBuf::from(std::env::var("SPECTLS_SCHEMA").unwrap_or_else(|_| "../schema".into()));
    println!("cargo:rerun-if-env-changed=SPECTLS_SCHEMA");
    tls_codegen::build(std::slice::from_ref(&schema), &out.join("wire.rs"));
    tls_codegen::build(
        &[schema, PathBuf::from("tests/data/rfc7366.tls")],
        &out.join("wire_extended.rs"),
    );
    tls_codegen::build(
        &[PathBuf::from("tests/data/gen_features.tls")],
        &out.join("wire_gen_test.rs"),
    );
}
