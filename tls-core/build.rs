//! Generates `wire.rs` from the schema with tls-codegen.
use std::path::PathBuf;

fn main() {
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    tls_codegen::build(&[PathBuf::from(std::env::var("SPECTLS_SCHEMA").unwrap_or("../schema".into()))], &out.join("wire.rs"));
}
