//! Rust names for schema names, and the length-prefix width rule.

/// Rust parameter name for a context key: `Handshake.msg_type` -> `handshake_msg_type`.
pub fn ctx_param(key: &str) -> String {
    snake(&key.replace('.', "_"))
}

/// `ServerHello`/`server_hello`/`TLS_X` -> a Rust UpperCamel identifier.
pub fn camel(name: &str) -> String {
    if let Some((base, exp)) = name.split_once('^') {
        return format!(
            "Pow{}_{}",
            base,
            exp.replace(|c: char| !c.is_ascii_alphanumeric(), "_")
        );
    }
    let mut out = String::new();
    for part in name.split(|c: char| !c.is_ascii_alphanumeric()) {
        let mut chars = part.chars();
        if let Some(first) = chars.next() {
            out.push(first.to_ascii_uppercase());
            out.extend(chars);
        }
    }
    if out.starts_with(|c: char| c.is_ascii_digit()) || out.is_empty() {
        out.insert(0, 'V');
    }
    out
}

/// A field or parameter name: lower snake case, not a Rust keyword.
pub fn snake(name: &str) -> String {
    let mut out = String::new();
    for (i, c) in name.chars().enumerate() {
        if c.is_ascii_alphanumeric() {
            if c.is_ascii_uppercase() && i > 0 {
                let prev = name.chars().nth(i - 1).unwrap_or('_');
                if prev.is_ascii_lowercase() {
                    out.push('_');
                }
            }
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('_') {
            out.push('_');
        }
    }
    if out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert(0, 'f');
    }
    match out.as_str() {
        "type" | "match" | "ref" | "mod" | "struct" | "enum" | "fn" | "use" | "in" | "impl"
        | "self" | "super" | "crate" | "let" | "loop" | "move" | "static" | "trait" | "where"
        | "as" | "box" | "const" | "dyn" | "else" | "extern" | "for" | "if" | "mut" | "pub"
        | "return" | "unsafe" | "while" | "async" | "await" | "abstract" | "final" | "macro"
        | "override" | "priv" | "try" | "virtual" | "yield" | "true" | "false" | "break"
        | "continue" | "do" | "become" | "typeof" | "unsized" | "gen" => format!("{out}_"),
        _ => out,
    }
}

/// Prefix width in bytes for a vector ceiling (RFC 5246 section 4.3).
pub fn prefix_width(ceiling: u64) -> u8 {
    match ceiling {
        0..=0xff => 1,
        0x100..=0xffff => 2,
        0x1_0000..=0xff_ffff => 3,
        _ => 4,
    }
}
