//! The generated Rust for the project's schema, reviewed as a snapshot: every schema or generator
//! change shows up as a readable diff.

use std::path::PathBuf;

#[test]
fn generated_wire_types() {
    let schema = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../schema");
    let compiled = tls_codegen::compile_paths(&[schema]).unwrap_or_else(|e| panic!("{e}"));
    insta::assert_snapshot!("wire", compiled.rust());
}
