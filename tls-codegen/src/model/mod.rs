//! The checked schema: every name resolved, every size known, lengths and selectors tied to the
//! fields they describe. Code generation reads only this.

use crate::ast::Loc;
use std::collections::{BTreeMap, BTreeSet};

mod analysis;
mod names;

pub use names::{camel, ctx_param, prefix_width, snake};

/// The whole checked schema.
#[derive(Debug, Default)]
pub struct Model {
    /// Every definition, including types lifted out of inline structs, enums and `case` arms.
    /// Definition indices elsewhere in the model (`Wire::Ref`, ...) point into this.
    pub defs: Vec<Def>,
    /// Definition index by schema name; a namespaced definition under `ns::Name`.
    pub by_name: BTreeMap<String, usize>,
    /// Byte-string constants (`Random HelloRetryRequest = { 0xCF, ... };`).
    pub byte_constants: Vec<ByteConst>,
    /// The constant comparisons selects choose on (`ServerHello.random == HelloRetryRequest`).
    pub comparisons: Vec<Comparison>,
}

/// A constant of a fixed-size type written as a byte list longer than a number.
#[derive(Debug, Clone)]
pub struct ByteConst {
    /// The name as the schema writes it (`HelloRetryRequest`).
    pub name: String,
    /// The Rust constant's name (`HELLO_RETRY_REQUEST`).
    pub rust: String,
    /// The type it is a value of, as written.
    pub ty: String,
    /// Its encoding.
    pub bytes: Vec<u8>,
    /// The schema comment.
    pub doc: Vec<String>,
    /// Where it is defined.
    pub loc: Loc,
}

/// `Struct.field == Constant`: a `bool` decode context, bound by `Struct` once `field` is
/// decoded (its encoding equals the constant's bytes), and `false` on every decode path that
/// does not go through `Struct`.
#[derive(Debug, Clone)]
pub struct Comparison {
    /// The context key, normalised: `ServerHello.random == HelloRetryRequest`.
    pub key: String,
    /// The definition that binds it (index).
    pub binder: usize,
    /// The compared field's schema name.
    pub field: String,
    /// The constant's index in `byte_constants`.
    pub constant: usize,
}

/// One generated Rust type.
#[derive(Debug, Clone)]
pub struct Def {
    /// The name as the schema writes it (`ASN.1Cert`).
    pub name: String,
    /// The Rust type name (`ASN1Cert`).
    pub rust: String,
    /// The schema comment, becoming the type's rustdoc.
    pub doc: Vec<String>,
    /// Where the schema names it (the name of a top-level definition), for diagnostics.
    pub loc: Loc,
    /// Where its declaration starts: the place generated docs cite.
    pub start: Loc,
    /// Where `extends` declarations add to it (enum values, `case` arms), in schema order.
    pub extended_at: Vec<Loc>,
    /// What it is on the wire (or that it is context only).
    pub kind: DefKind,
    /// Whether the generated type borrows from the decoded bytes (has a `'a` lifetime).
    /// Filled in by the analysis passes, as are `size` and `context`.
    pub borrows: bool,
    /// Encoded size in bytes, if every value has the same one.
    pub size: Option<u64>,
    /// Context the decoder needs that the bytes do not carry, by key (`Handshake.msg_type`).
    pub context: BTreeMap<String, CtxKind>,
    /// The keys of `context` that only some arms of a select need (`KeyExchangeAlgorithm` in
    /// `Handshake`): `decode` takes them as `Option`, and an arm that needs one that is `None`
    /// fails with `MissingContext`.
    pub optional: BTreeSet<String>,
    /// `typed(Enum.value)` registrations of this type.
    pub typed_for: Vec<(String, String)>,
    /// The namespace (`in(tls13)`): generated inside `pub mod tls13`; `None` at the root.
    pub ns: Option<String>,
}

/// What a definition is.
#[derive(Debug, Clone)]
pub enum DefKind {
    /// An enum that is on the wire.
    Enum(EnumDef),
    /// An enum without values: context for selects, never on the wire.
    ContextEnum(Vec<String>),
    /// A named alias (`opaque SessionID<0..32>;`): a newtype around its wire shape.
    Alias(Wire),
    /// A struct on the wire (generated as a select's enum if a select is its only stored field).
    Struct(StructDef),
    /// A struct of connection state with context-only members (RFC 5246's SecurityParameters):
    /// its fields give selectors and lengths their types, but it is never on the wire.
    ContextStruct,
}

/// An enum on the wire: a schema `enum`, or an `open` fixed-size alias whose constants are its
/// named values.
#[derive(Debug, Clone)]
pub struct EnumDef {
    /// Wire width in bytes (1 to 4).
    pub width: u8,
    /// `open`: unknown values decode to `Unknown(n)` and round-trip; otherwise they are an error.
    pub open: bool,
    /// The named values, each a variant of the generated enum.
    pub values: Vec<EnumVal>,
    /// Reserved ranges, documented but without variants.
    pub ranges: Vec<(String, u64, u64)>,
}

/// One named value of an enum.
#[derive(Debug, Clone)]
pub struct EnumVal {
    /// The name as the schema writes it (`client_hello`).
    pub name: String,
    /// The Rust variant (`ClientHello`; an open alias's constants keep their schema name).
    pub rust: String,
    /// The number on the wire.
    pub value: u64,
    /// What `Display` prints: the schema name, or the one a `display(name = text)` annotation
    /// gives (`supported_groups` for RFC 8422's `elliptic_curves`).
    pub display: String,
}

/// A struct on the wire.
#[derive(Debug, Clone)]
pub struct StructDef {
    /// Its fields in wire order. Length fields are not among them: each becomes the length
    /// prefix of the field it measures.
    pub fields: Vec<Field>,
    /// `padded` (RFC 8446's TLSInnerPlaintext): the fields are content, a one-byte type and zero
    /// padding, found by scanning from the end for the last non-zero byte.
    pub padded: bool,
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

/// One field of a struct or of a `case` arm.
#[derive(Debug, Clone)]
pub struct Field {
    /// The name as the schema writes it; empty for an unnamed member.
    pub name: String,
    /// The Rust field name (`legacy_version`, `type_`).
    pub rust: String,
    /// The schema comment, becoming the field's rustdoc.
    pub doc: Vec<String>,
    /// How it is laid out on the wire, which also fixes its Rust type.
    pub wire: Wire,
    /// Whether the generated type stores it.
    pub role: Role,
    /// `secret`: key material, which the generated `Debug` shows only as its length.
    pub secret: bool,
    /// Prose rules checked by the generated decoder (`unique`, `last(value)`, `zero`).
    pub rules: Vec<Rule>,
    /// The default as the schema writes it (one entry per `+`-joined part), if it has one: the
    /// field is then [`Role::Fixed`].
    pub default: Option<Vec<crate::ast::Value>>,
    /// Where its declaration starts.
    pub loc: Loc,
    /// Byte offset just after its declaration (its `;`), in the same file.
    pub end: usize,
}

impl Field {
    /// Whether it is a field default: a fixed value, not stored.
    pub fn is_fixed(&self) -> bool {
        matches!(self.role, Role::Fixed(_))
    }
}

/// How a field appears in the generated type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Role {
    /// A field of the generated Rust type.
    Stored,
    /// Written from the select's variant (field index of the select).
    SelectorOf(usize),
    /// A field default (`ProtocolVersion legacy_version = 0x0303;`): a fixed value, checked on
    /// decode, written on encode, not stored.
    /// Holds its encoding (with the length prefix of a vector), filled in once sizes are known.
    Fixed(Vec<u8>),
}

/// A prose rule (RFC text the notation cannot say) that the generated decoder checks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rule {
    /// `unique`: no two elements of a vector of typed extensions (a select's enum) have the same
    /// selector value.
    Unique,
    /// `last(value)`: an element with this selector value must be the last of the vector
    /// (the value's schema name as written; its Rust variant once the rules are checked).
    Last(String),
    /// `zero`: every byte of an opaque field is zero.
    Zero,
}

/// The wire shape of a field, alias or arm, which determines the Rust type that holds it.
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
        /// Shape of each element.
        elem: Box<Wire>,
        /// Total length in bytes (a multiple of the element size).
        bytes: u64,
    },
    /// A variable-length vector; `prefix` 0 means it takes the rest of its region.
    Vector {
        /// Shape of each element (`UInt(1)` for `opaque`, held as `&[u8]`).
        elem: Box<Wire>,
        /// Minimum length in bytes.
        floor: u64,
        /// Maximum length in bytes.
        ceiling: u64,
        /// Width of the length prefix in bytes; 0 for `rest` and ciphertext.
        prefix: u8,
    },
    /// A length-prefixed region holding exactly one `inner` (from a length field or `typed_by`).
    Delimited {
        /// Width of the length prefix in bytes.
        prefix: u8,
        /// Minimum region length in bytes.
        floor: u64,
        /// Maximum region length in bytes.
        ceiling: u64,
        /// What the region holds.
        inner: Box<Wire>,
    },
    /// A `select`: the arm its selector's value picks.
    Select(Select),
    /// The trailing-optional form: present when bytes remain in the region.
    Optional(Box<Wire>),
}

impl Wire {
    /// Whether it is a byte string (held as `[u8; n]` or `&[u8]`), looking through a length
    /// prefix.
    pub fn is_bytes(&self) -> bool {
        match self {
            Wire::FixedBytes(_) | Wire::CtxBytes(_) => true,
            Wire::Vector { elem, .. } => matches!(**elem, Wire::UInt(1)),
            Wire::Delimited { inner, .. } => inner.is_bytes(),
            _ => false,
        }
    }
}

/// A `select`, generated as a Rust enum with one variant per `case` label.
#[derive(Debug, Clone)]
pub struct Select {
    /// Rust name of the generated enum.
    pub rust: String,
    /// The enum definition of the selector (for a comparison, the constant's type: see `boolean`).
    pub selector_def: usize,
    /// Selects on a [`Comparison`]: `case true` / `case false`, the selector is a `bool`.
    pub boolean: bool,
    /// Where the selector value comes from.
    pub source: SelectorSource,
    /// One arm per `case` label; labels sharing a body each get a copy of it.
    pub arms: Vec<SelArm>,
    /// Values without an arm decode to `Unknown(selector, bytes)` (typed extensions).
    pub unknown_raw: bool,
    /// `default:` (our notation): values without a `case` decode this body, as
    /// `Unknown(selector, body)`. Only on selects whose selector enum is `open`.
    pub default: Option<Box<DefaultArm>>,
    /// The schema comment on the select (or `typed_by` field): the generated enum's rustdoc.
    pub doc: Vec<String>,
    /// Where the select (or `typed_by` field) is declared.
    pub loc: Loc,
}

/// Where a select's selector value comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SelectorSource {
    /// A sibling field (index), written from the variant on encode.
    Sibling(usize),
    /// A decode-context key.
    Context(String),
}

/// One `case` label of a select, with its body.
#[derive(Debug, Clone)]
pub struct SelArm {
    /// The label as the schema writes it (`client_hello`); also its name in error paths.
    pub label: String,
    /// The variant of the generated enum (`ClientHello`).
    pub rust: String,
    /// The selector enum's variant for this label: the value written for it.
    pub value_rust: String,
    /// What the arm holds.
    pub body: ArmBody,
}

/// The `default:` arm of a select: the body of every selector value without a `case`.
#[derive(Debug, Clone)]
pub struct DefaultArm {
    /// Its field name, or `default` if it has none; its name in error paths.
    pub label: String,
    /// What it holds (one declaration).
    pub wire: Wire,
}

/// What a `case` arm holds.
#[derive(Debug, Clone)]
pub enum ArmBody {
    /// Nothing (`case hello_request: struct {};`): a variant without data.
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
    /// The truth of a [`Comparison`] (`false` where nothing binds it).
    Bool,
}
