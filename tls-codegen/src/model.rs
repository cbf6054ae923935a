//! The checked schema: every name resolved, every size known, lengths and selectors tied to the
//! fields they describe. Code generation reads only this.

use crate::ast::Loc;
use std::collections::BTreeMap;

/// The whole checked schema.
#[derive(Debug, Default)]
pub struct Model {
    pub defs: Vec<Def>,
    pub by_name: BTreeMap<String, usize>,
}

/// One generated Rust type.
#[derive(Debug, Clone)]
pub struct Def {
    /// The name as the schema writes it (`ASN.1Cert`).
    pub name: String,
    /// The Rust type name (`ASN1Cert`).
    pub rust: String,
    pub doc: Vec<String>,
    pub loc: Loc,
    pub kind: DefKind,
    /// Filled in by the analysis passes.
    pub borrows: bool,
    pub size: Option<u64>,
    /// Context the decoder needs that the bytes do not carry, by key (`Handshake.msg_type`).
    pub context: BTreeMap<String, CtxKind>,
    /// `typed(Enum.value)` registrations of this type.
    pub typed_for: Vec<(String, String)>,
}

#[derive(Debug, Clone)]
pub enum DefKind {
    /// An enum that is on the wire.
    Enum(EnumDef),
    /// An enum without values: context for selects, never on the wire.
    ContextEnum(Vec<String>),
    /// A named alias (`opaque SessionID<0..32>;`): a newtype around its wire shape.
    Alias(Wire),
    Struct(StructDef),
    /// A struct of connection state with context-only members (RFC 5246's SecurityParameters):
    /// its fields give selectors and lengths their types, but it is never on the wire.
    ContextStruct,
}

#[derive(Debug, Clone)]
pub struct EnumDef {
    pub width: u8,
    pub open: bool,
    /// (schema name, Rust variant, value, doc)
    pub values: Vec<EnumVal>,
    /// Reserved ranges, documented but without variants.
    pub ranges: Vec<(String, u64, u64)>,
}

#[derive(Debug, Clone)]
pub struct EnumVal {
    pub name: String,
    pub rust: String,
    pub value: u64,
}

#[derive(Debug, Clone)]
pub struct StructDef {
    pub fields: Vec<Field>,
}

impl StructDef {
    /// A struct whose only stored field is a select is generated as that select's enum.
    pub fn flattened_select(&self) -> Option<&Select> {
        let mut stored = self.fields.iter().filter(|f| f.role == Role::Stored);
        let only = stored.next()?;
        if stored.next().is_some() {
            return None;
        }
        match &only.wire {
            Wire::Select(s) => Some(s),
            Wire::Delimited { inner, .. } => match inner.as_ref() {
                Wire::Select(s) => Some(s),
                _ => None,
            },
            _ => None,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Field {
    pub name: String,
    pub rust: String,
    pub doc: Vec<String>,
    pub wire: Wire,
    pub role: Role,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Role {
    Stored,
    /// Written from the select's variant (field index of the select).
    SelectorOf(usize),
}

#[derive(Debug, Clone)]
pub enum Wire {
    /// uint8/16/24/32/64, by byte width.
    UInt(u8),
    /// A named definition.
    Ref(usize),
    /// `opaque x[n]` / `uint8 x[n]`.
    FixedBytes(u64),
    /// `opaque x[SecurityParameters.record_iv_length]`: length from decode context.
    CtxBytes(String),
    /// A fixed vector of non-byte elements: exactly `bytes` bytes of `elem`.
    FixedVec {
        elem: Box<Wire>,
        bytes: u64,
    },
    /// A variable-length vector; `prefix` 0 means it takes the rest of its region.
    Vector {
        elem: Box<Wire>,
        floor: u64,
        ceiling: u64,
        prefix: u8,
    },
    /// A length-prefixed region holding exactly one `inner` (from a length field or `typed_by`).
    Delimited {
        prefix: u8,
        floor: u64,
        ceiling: u64,
        inner: Box<Wire>,
    },
    Select(Select),
    /// The trailing-optional form: present when bytes remain in the region.
    Optional(Box<Wire>),
}

#[derive(Debug, Clone)]
pub struct Select {
    /// Rust name of the generated enum.
    pub rust: String,
    /// The enum definition of the selector.
    pub selector_def: usize,
    /// Where the selector value comes from.
    pub source: SelectorSource,
    pub arms: Vec<SelArm>,
    /// Values without an arm decode to `Unknown(selector, bytes)` (typed extensions).
    pub unknown_raw: bool,
    /// Label pushed onto error paths for each arm (typed extensions use the extension name).
    pub doc: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SelectorSource {
    /// A sibling field (index), written from the variant on encode.
    Sibling(usize),
    /// A decode-context key.
    Context(String),
}

#[derive(Debug, Clone)]
pub struct SelArm {
    /// Schema label (`client_hello`), Rust variant (`ClientHello`), selector value.
    pub label: String,
    pub rust: String,
    pub value_rust: String,
    pub body: ArmBody,
}

#[derive(Debug, Clone)]
pub enum ArmBody {
    Empty,
    /// A single type without a field name (`case client_hello: ClientHello;`).
    Single(Wire),
    /// Named fields (`case dhe_rsa: ServerDHParams params; ...`).
    Fields(Vec<Field>),
}

/// What a context key supplies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CtxKind {
    /// A selector value of this enum definition.
    Enum(usize),
    /// A byte length.
    Len,
}

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
