//! The schema as written: a close mirror of the presentation language, before any checks.

/// A position in the schema sources: which file and which byte.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Loc {
    /// Index of the file in [`Sources`](crate::Sources).
    pub file: usize,
    /// Byte offset into that file's text.
    pub offset: usize,
}

/// A name as written, with where it was written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Name {
    /// The identifier verbatim, punctuation kept (`ASN.1Cert`, `Handshake.msg_type`, `2^9`).
    pub text: String,
    /// Where the identifier starts.
    pub loc: Loc,
}

/// One `decl`: a top-level definition or a struct member (they share the RFC's shape).
#[derive(Clone, Debug)]
pub struct Decl {
    /// The crypto attribute before the type (`digitally-signed`, `aead-ciphered`, ...).
    pub attr: Option<CryptoAttr>,
    /// The type: a named or primitive type, an inline `struct`/`enum`, or a `select`.
    pub ty: TypeExpr,
    /// The declared name; `None` for unnamed members such as a `case` arm's bare type.
    pub name: Option<Name>,
    /// The vector part: `[n]` or `<floor..ceiling>`.
    pub dims: Option<Dims>,
    /// The `= ...` value, one entry per `+`-joined part (`"tls13 " + Label`). A top-level
    /// declaration with one is a constant, not a definition.
    pub default: Option<Vec<Value>>,
    /// Plain comments attached to it, one entry per comment, becoming its rustdoc.
    pub doc: Vec<String>,
    /// Annotations from the `/*@ ... */` comment before it.
    pub annotations: Vec<Annotation>,
    /// Where the declaration starts.
    pub loc: Loc,
    /// Byte offset of the end of the declaration (just after its `;`).
    pub end: usize,
}

/// A crypto attribute before a field's type (RFC 5246 section 4.7).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CryptoAttr {
    /// `digitally-signed`: the value is carried as a `DigitallySigned` signature over it.
    DigitallySigned,
    /// `aead-ciphered`: on the wire, ciphertext taking the rest of the region.
    AeadCiphered,
    /// `stream-ciphered`: on the wire, ciphertext taking the rest of the region.
    StreamCiphered,
    /// `block-ciphered`: on the wire, ciphertext taking the rest of the region.
    BlockCiphered,
    /// `public-key-encrypted`: on the wire, ciphertext with a two-byte length prefix.
    PublicKeyEncrypted,
}

/// The type part of a declaration.
#[derive(Clone, Debug)]
pub enum TypeExpr {
    /// A primitive (`uint16`, `opaque`) or a type defined elsewhere in the schema.
    Named(Name),
    /// An inline `struct { ... }` (also RFC 5246's `opaque { ... }`), with its members.
    Struct(Vec<Decl>),
    /// An inline `enum { ... }`.
    Enum(EnumBody),
    /// A `select (S) { case ...: ... }` variant part.
    Select(Select),
}

/// The inside of `enum { ... }`.
#[derive(Clone, Debug)]
pub struct EnumBody {
    /// The named values, in source order.
    pub values: Vec<EnumValue>,
    /// The width marker, e.g. `255` from `(255)`: the largest value the wire width must hold.
    pub width: Option<Expr>,
}

/// One `name(value)` entry of an enum.
#[derive(Clone, Debug)]
pub struct EnumValue {
    /// The value's name (`client_hello`).
    pub name: Name,
    /// What is in its parentheses, if anything.
    pub value: EnumValueKind,
}

/// The value an enum entry is given.
#[derive(Clone, Debug)]
pub enum EnumValueKind {
    /// `rsa` in a context-only enum.
    None,
    /// One value: `client_hello(1)` or `{ 0x00, 0x0A }`.
    Single(Value),
    /// An inclusive range, `private_use(0xFE00..0xFFFF)`: documented, no variant.
    Range(Expr, Expr),
}

/// `select (selector) { case ...: ... }`.
#[derive(Clone, Debug)]
pub struct Select {
    /// What is in the parentheses: a sibling field, a type, or a `Struct.field` path.
    pub selector: Name,
    /// The `case` arms, in source order.
    pub arms: Vec<Arm>,
}

/// One arm of a select: `case a: case b: T name; ...`, or `default: T name;`.
#[derive(Clone, Debug)]
pub struct Arm {
    /// The `case` labels that share this body: values of the selector's enum (or `true`/`false`).
    /// Empty for the `default:` arm.
    pub labels: Vec<Name>,
    /// `default:` (our notation): the body of every selector value that has no `case`.
    pub default: Option<Loc>,
    /// The body: a bare type, one or more fields, or `struct {}`.
    pub decls: Vec<Decl>,
}

/// The vector part of a declaration (lengths in bytes, RFC 5246 section 4.3).
#[derive(Clone, Debug)]
pub enum Dims {
    /// `[n]`: exactly `n` bytes; `n` may name a length field or decode context.
    Fixed(Expr),
    /// `<floor..ceiling>` or `<ceiling>`: a length prefix sized for `ceiling`.
    Var {
        /// The minimum byte length; `None` when only the ceiling is written.
        floor: Option<Expr>,
        /// The maximum byte length.
        ceiling: Expr,
    },
}

/// A numeric expression, as in vector bounds and enum values.
#[derive(Clone, Debug)]
pub enum Expr {
    /// A literal: decimal, hex, or `2^N` (already evaluated).
    Num(u64),
    /// A name standing for a number (`TLSPlaintext.length`, `SecurityParameters.record_iv_length`).
    Ref(Name),
    /// `a op b` with `op` one of `+`, `-`, `*`, grouped left to right.
    Bin(Box<Expr>, char, Box<Expr>),
}

/// A value in an enum entry, a constant or a field default.
#[derive(Clone, Debug)]
pub enum Value {
    /// A number or a name.
    Expr(Expr),
    /// A string literal, without its quotes (`"tls13 "`).
    Str(String),
    /// A brace list, `{ 0xC0, 0x2B }`.
    List(Vec<Value>),
}

/// An annotation from a `/*@ ... */` comment, e.g. `typed_by(extension_type)`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Annotation {
    /// The annotation's name (`open`, `typed_by`, ...).
    pub name: String,
    /// The text in its parentheses, trimmed (`extension_type`), if any.
    pub arg: Option<String>,
    /// Where the `/*@` comment starts.
    pub loc: Loc,
}

impl Expr {
    /// The value of a constant expression, or `None` if it names something.
    pub fn eval(&self) -> Option<u64> {
        match self {
            Expr::Num(n) => Some(*n),
            Expr::Ref(_) => None,
            Expr::Bin(a, op, b) => {
                let (a, b) = (a.eval()?, b.eval()?);
                match op {
                    '+' => a.checked_add(b),
                    '-' => a.checked_sub(b),
                    '*' => a.checked_mul(b),
                    _ => None,
                }
            }
        }
    }

    /// The single name this expression is, if it is one.
    pub fn as_ref(&self) -> Option<&Name> {
        match self {
            Expr::Ref(n) => Some(n),
            _ => None,
        }
    }
}

impl Value {
    /// A numeric value: a number, or a `{ 0x00, 0x0A }` byte list read big-endian.
    pub fn eval(&self) -> Option<u64> {
        match self {
            Value::Expr(e) => e.eval(),
            Value::Str(_) => None,
            Value::List(items) => items.iter().try_fold(0u64, |acc, v| {
                let b = v.eval()?;
                (b <= 0xff).then_some((acc << 8) | b)
            }),
        }
    }
}
