//! Helpers the compiler's test binaries share: compile one source text named `t.tls`.

/// The one-line `file:line:col: message` form of the errors `src` must give
/// (`tests/diagnostics.rs` pins the caret form).
#[track_caller]
pub(crate) fn errors(src: &str) -> String {
    match tls_codegen::compile_sources(vec![("t.tls".into(), src.into())]) {
        Ok(_) => panic!("expected an error for:\n{src}"),
        Err(e) => e.short(),
    }
}

/// `src` fails to compile with an error containing `expected`.
#[track_caller]
pub(crate) fn assert_error(src: &str, expected: &str) {
    let got = errors(src);
    assert!(got.contains(expected), "expected `{expected}`, got:\n{got}");
}
