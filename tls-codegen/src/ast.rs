//! The schema as written: a close mirror of the presentation language, before any checks.

/// A position in the schema sources: which file and which byte.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Loc {
    pub file: usize,
    pub offset: usize,
}

/// A name as written, with where it was written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Name {
    pub text: String,
    pub loc: Loc,
}

/// One `decl`: a top-level definition or a struct member (they share the RFC's shape).
#[derive(Clone, Debug)]
pub struct Decl {
    pub attr: Option<CryptoAttr>,
    pub ty: TypeExpr,
    pub name: Option<Name>,
    pub dims: Option<Dims>,
    pub default: Option<Vec<Value>>,
    pub doc: Vec<String>,
    pub annotations: Vec<Annotation>,
    pub loc: Loc,
    /// Byte offset of the end of the declaration (just after its `;`).
    pub end: usize,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CryptoAttr {
    DigitallySigned,
    AeadCiphered,
    StreamCiphered,
    BlockCiphered,
    PublicKeyEncrypted,
}

#[derive(Clone, Debug)]
pub enum TypeExpr {
    Named(Name),
    Struct(Vec<Decl>),
    Enum(EnumBody),
    Select(Select),
}

#[derive(Clone, Debug)]
pub struct EnumBody {
    pub values: Vec<EnumValue>,
    pub width: Option<Expr>,
}

#[derive(Clone, Debug)]
pub struct EnumValue {
    pub name: Name,
    pub value: EnumValueKind,
}

#[derive(Clone, Debug)]
pub enum EnumValueKind {
    /// `rsa` in a context-only enum.
    None,
    Single(Value),
    Range(Expr, Expr),
}

#[derive(Clone, Debug)]
pub struct Select {
    pub selector: Name,
    pub arms: Vec<Arm>,
}

#[derive(Clone, Debug)]
pub struct Arm {
    pub labels: Vec<Name>,
    pub decls: Vec<Decl>,
}

#[derive(Clone, Debug)]
pub enum Dims {
    Fixed(Expr),
    Var { floor: Option<Expr>, ceiling: Expr },
}

#[derive(Clone, Debug)]
pub enum Expr {
    Num(u64),
    Ref(Name),
    Bin(Box<Expr>, char, Box<Expr>),
}

#[derive(Clone, Debug)]
pub enum Value {
    Expr(Expr),
    Str(String),
    List(Vec<Value>),
}

/// An annotation from a `/*@ ... */` comment, e.g. `typed_by(extension_type)`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Annotation {
    pub name: String,
    pub arg: Option<String>,
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
