//! The small runtime the generated wire types stand on: a bounds-checked reader, length-prefixed
//! writing, and [`DecodeError`] with the field path and the alert the RFC asks for.
//!
//! Nothing here knows a TLS message; the generated code in [`crate::wire`] says what to read.

use crate::wire::AlertDescription;
use std::fmt;

/// A type that decodes from bytes without outside context.
///
/// Types whose decoding needs context that is not in the bytes (`select (KeyExchangeAlgorithm)`)
/// have an inherent `decode` taking it instead.
pub trait Codec<'a>: Encode + Sized {
    /// Decodes one value from the front of `r`.
    fn decode(r: &mut Reader<'a>) -> Result<Self, DecodeError>;

    /// Decodes a value that must fill `bytes` exactly.
    fn from_bytes(bytes: &'a [u8]) -> Result<Self, DecodeError> {
        let mut r = Reader::new(bytes);
        let v = Self::decode(&mut r).map_err(|e| e.root(short_type_name::<Self>()))?;
        r.finish().map_err(|e| e.root(short_type_name::<Self>()))?;
        Ok(v)
    }
}

/// A type that encodes itself; every length prefix is computed, never supplied.
pub trait Encode {
    /// Appends the encoding to `out`.
    fn encode(&self, out: &mut Vec<u8>);

    /// The encoding as a new vector.
    fn to_vec(&self) -> Vec<u8> {
        let mut out = Vec::new();
        self.encode(&mut out);
        out
    }

    /// Encodes like [`encode`](Self::encode), and returns where in `out` the field at `path`
    /// starts (its length prefix included), or `None` if the value has no such field.
    ///
    /// A path names struct fields and `select` arms by their schema names and passes through
    /// vectors (the first element that has the rest of the path wins) and through a struct that
    /// is a select (`Handshake`, `Extension`): the PSK binders of a ClientHello in a Handshake
    /// are at `["client_hello", "extensions", "pre_shared_key", "client_hello", "binders"]`.
    /// Generated structs and selects implement it; enums and aliases find nothing inside
    /// themselves (this default).
    fn encode_find(&self, out: &mut Vec<u8>, path: &[&str]) -> Option<usize> {
        let _ = path;
        self.encode(out);
        None
    }

    /// The encoding, and the offset in it where the field at `path` starts (see
    /// [`encode_find`](Self::encode_find)). `&encoding[..offset]` is the value truncated just
    /// before that field: RFC 8446 section 4.2.11.2's truncated ClientHello for
    /// `["client_hello", "extensions", "pre_shared_key", "client_hello", "binders"]`.
    fn encode_with_offset(&self, path: &[&str]) -> (Vec<u8>, Option<usize>) {
        let mut out = Vec::new();
        let at = self.encode_find(&mut out, path);
        (out, at)
    }
}

#[doc(hidden)]
pub fn short_type_name<T>() -> &'static str {
    let full = std::any::type_name::<T>();
    let base = full.split('<').next().unwrap_or(full);
    base.rsplit("::").next().unwrap_or(base)
}

/// A cursor over borrowed input. Every read is bounds-checked; offsets are absolute, counted from
/// the start of the outermost input.
#[derive(Clone, Debug)]
pub struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
    base: usize,
}

impl<'a> Reader<'a> {
    /// A reader over all of `buf`, offsets counted from its start.
    pub fn new(buf: &'a [u8]) -> Self {
        Reader {
            buf,
            pos: 0,
            base: 0,
        }
    }

    /// Absolute offset of the next byte.
    #[inline(always)]
    pub fn offset(&self) -> usize {
        self.base + self.pos
    }

    /// Bytes not yet read.
    #[inline(always)]
    pub fn remaining(&self) -> usize {
        self.buf.len() - self.pos
    }

    /// Whether everything was read.
    #[inline(always)]
    pub fn is_empty(&self) -> bool {
        self.remaining() == 0
    }

    /// Fails with [`DecodeErrorKind::TrailingBytes`] unless everything was read.
    #[inline(always)]
    pub fn finish(&self) -> Result<(), DecodeError> {
        match self.remaining() {
            0 => Ok(()),
            count => Err(DecodeError::new(
                DecodeErrorKind::TrailingBytes { count },
                self.offset(),
            )),
        }
    }

    /// The next `n` bytes, borrowed.
    #[inline(always)]
    pub fn take(&mut self, n: usize) -> Result<&'a [u8], DecodeError> {
        match self.buf.get(self.pos..self.pos.saturating_add(n)) {
            Some(s) if n <= self.remaining() => {
                self.pos += n;
                Ok(s)
            }
            _ => Err(DecodeError::new(
                DecodeErrorKind::Truncated {
                    needed: n,
                    available: self.remaining(),
                },
                self.offset(),
            )),
        }
    }

    /// Everything that is left.
    #[inline(always)]
    pub fn rest(&mut self) -> &'a [u8] {
        let s = self.buf.get(self.pos..).unwrap_or_default();
        self.pos = self.buf.len();
        s
    }

    /// The next `N` bytes, copied.
    #[inline(always)]
    pub fn array<const N: usize>(&mut self) -> Result<[u8; N], DecodeError> {
        let mut a = [0u8; N];
        a.copy_from_slice(self.take(N)?);
        Ok(a)
    }

    /// A `uint8`.
    #[inline(always)]
    pub fn u8(&mut self) -> Result<u8, DecodeError> {
        Ok(self.array::<1>()?[0])
    }

    /// A `uint16`, big-endian.
    #[inline(always)]
    pub fn u16(&mut self) -> Result<u16, DecodeError> {
        Ok(u16::from_be_bytes(self.array()?))
    }

    /// A `uint24`, big-endian.
    #[inline(always)]
    pub fn u24(&mut self) -> Result<u32, DecodeError> {
        let [a, b, c] = self.array()?;
        Ok(u32::from_be_bytes([0, a, b, c]))
    }

    /// A `uint32`, big-endian.
    #[inline(always)]
    pub fn u32(&mut self) -> Result<u32, DecodeError> {
        Ok(u32::from_be_bytes(self.array()?))
    }

    /// A `uint64`, big-endian.
    pub fn u64(&mut self) -> Result<u64, DecodeError> {
        Ok(u64::from_be_bytes(self.array()?))
    }

    /// Reads a `prefix`-byte length (or takes the rest when `prefix` is 0), checks it against the
    /// vector's floor, ceiling and element size, and returns a reader over exactly that region.
    #[inline(always)]
    pub fn region(
        &mut self,
        prefix: u8,
        floor: u64,
        ceiling: u64,
        elem: u64,
    ) -> Result<Reader<'a>, DecodeError> {
        let at = self.offset();
        let len = match prefix {
            0 => self.remaining() as u64,
            1 => self.u8()? as u64,
            2 => self.u16()? as u64,
            3 => self.u24()? as u64,
            _ => self.u32()? as u64,
        };
        if len < floor || len > ceiling {
            return Err(DecodeError::new(
                DecodeErrorKind::LengthOutOfRange {
                    length: len,
                    floor,
                    ceiling,
                },
                at,
            ));
        }
        if elem > 1 && len % elem != 0 {
            return Err(DecodeError::new(
                DecodeErrorKind::NotMultiple {
                    length: len,
                    element: elem,
                },
                at,
            ));
        }
        let base = self.offset();
        let buf = self.take(len as usize)?;
        Ok(Reader { buf, pos: 0, base })
    }

    /// A variable-length `opaque` vector, borrowed.
    #[inline(always)]
    pub fn opaque(
        &mut self,
        prefix: u8,
        floor: u64,
        ceiling: u64,
    ) -> Result<&'a [u8], DecodeError> {
        Ok(self.region(prefix, floor, ceiling, 1)?.rest())
    }

    /// A variable-length vector of elements decoded by `elem`.
    #[inline(always)]
    pub fn vector<T>(
        &mut self,
        prefix: u8,
        floor: u64,
        ceiling: u64,
        elem_size: u64,
        mut elem: impl FnMut(&mut Reader<'a>) -> Result<T, DecodeError>,
    ) -> Result<Vec<T>, DecodeError> {
        let mut sub = self.region(prefix, floor, ceiling, elem_size)?;
        // Fixed-size elements: exactly the count. Variable ones: a small start, grown as needed.
        let capacity = if elem_size > 1 {
            sub.remaining() / elem_size as usize
        } else {
            sub.remaining().min(16)
        };
        let mut out = Vec::with_capacity(capacity);
        while !sub.is_empty() {
            let i = out.len();
            out.push(elem(&mut sub).map_err(|e| e.index(i))?);
        }
        Ok(out)
    }

    /// A variable-length vector of typed values (extensions) under the schema's rules, checked on
    /// each element as it is read, by its selector value `key`: with `unique`, no value twice
    /// ([`DecodeErrorKind::Duplicate`]); an element with the value `last` must be the last one
    /// ([`DecodeErrorKind::NotLast`], reported at the element after it). O(n log n), so a hello
    /// packed with thousands of extensions costs no more than decoding them.
    #[allow(clippy::too_many_arguments)]
    pub fn checked_vector<T>(
        &mut self,
        prefix: u8,
        floor: u64,
        ceiling: u64,
        elem_size: u64,
        mut elem: impl FnMut(&mut Reader<'a>) -> Result<T, DecodeError>,
        key: impl Fn(&T) -> u64,
        unique: bool,
        last: Option<u64>,
    ) -> Result<Vec<T>, DecodeError> {
        let mut sub = self.region(prefix, floor, ceiling, elem_size)?;
        let mut out = Vec::with_capacity(sub.remaining().min(16));
        let mut seen = SeenKeys::default();
        let mut ended = None;
        while !sub.is_empty() {
            let (i, at) = (out.len(), sub.offset());
            let e = elem(&mut sub).map_err(|e| e.index(i))?;
            let k = key(&e);
            let wrong = if let Some(value) = ended {
                Some(DecodeErrorKind::NotLast { value })
            } else if unique && !seen.insert(k) {
                Some(DecodeErrorKind::Duplicate { value: k })
            } else {
                None
            };
            if let Some(kind) = wrong {
                return Err(DecodeError::new(kind, at).index(i));
            }
            if last == Some(k) {
                ended = Some(k);
            }
            out.push(e);
        }
        Ok(out)
    }

    /// A field default: the next `expected.len()` bytes must be exactly `expected`
    /// ([`DecodeErrorKind::NotFixed`] otherwise, at the field's offset).
    #[inline(always)]
    pub fn fixed(&mut self, expected: &[u8]) -> Result<(), DecodeError> {
        let at = self.offset();
        let got = self.take(expected.len())?;
        if got == expected {
            return Ok(());
        }
        let number = |b: &[u8]| b.iter().fold(0u64, |acc, x| (acc << 8) | u64::from(*x));
        Err(DecodeError::new(
            DecodeErrorKind::NotFixed {
                expected: number(expected),
                got: number(got),
            },
            at,
        ))
    }

    /// A variable-length `opaque` vector whose bytes must all be zero (`zero`): padding.
    pub fn zeros(&mut self, prefix: u8, floor: u64, ceiling: u64) -> Result<&'a [u8], DecodeError> {
        let mut sub = self.region(prefix, floor, ceiling, 1)?;
        let at = sub.offset();
        let bytes = sub.rest();
        match bytes.iter().position(|b| *b != 0) {
            None => Ok(bytes),
            Some(i) => Err(DecodeError::new(DecodeErrorKind::NotZero, at + i)),
        }
    }

    /// A `padded` struct (RFC 8446 section 5.2 TLSInnerPlaintext), which takes the rest of the
    /// input: the content before the last non-zero byte, a reader over that byte (the type), and
    /// how many zero bytes follow it. All zero is [`DecodeErrorKind::AllPadding`].
    pub fn padded(&mut self) -> Result<(&'a [u8], Reader<'a>, usize), DecodeError> {
        let at = self.offset();
        let bytes = self.rest();
        let Some(last) = bytes.iter().rposition(|b| *b != 0) else {
            return Err(DecodeError::new(DecodeErrorKind::AllPadding, at));
        };
        let content = bytes.get(..last).unwrap_or_default();
        let ty = Reader {
            buf: bytes.get(last..last + 1).unwrap_or_default(),
            pos: 0,
            base: at + last,
        };
        Ok((content, ty, bytes.len() - last - 1))
    }

    /// A fixed-length vector of non-byte elements: exactly `bytes` bytes of them.
    pub fn fixed_vector<T>(
        &mut self,
        bytes: usize,
        mut elem: impl FnMut(&mut Reader<'a>) -> Result<T, DecodeError>,
    ) -> Result<Vec<T>, DecodeError> {
        let base = self.offset();
        let mut sub = Reader {
            buf: self.take(bytes)?,
            pos: 0,
            base,
        };
        let mut out = Vec::new();
        while !sub.is_empty() {
            let i = out.len();
            out.push(elem(&mut sub).map_err(|e| e.index(i))?);
        }
        Ok(out)
    }

    /// A length-prefixed region holding exactly one value decoded by `inner`.
    #[inline(always)]
    pub fn delimited<T>(
        &mut self,
        prefix: u8,
        floor: u64,
        ceiling: u64,
        inner: impl FnOnce(&mut Reader<'a>) -> Result<T, DecodeError>,
    ) -> Result<T, DecodeError> {
        let mut sub = self.region(prefix, floor, ceiling, 1)?;
        let v = inner(&mut sub)?;
        sub.finish()?;
        Ok(v)
    }
}

/// Writes `prefix` length bytes followed by what `body` writes, the length computed afterwards.
/// A `prefix` of 0 writes no length (the field runs to the end of its region).
pub fn put_prefixed(out: &mut Vec<u8>, prefix: u8, body: impl FnOnce(&mut Vec<u8>)) {
    let at = out.len();
    out.resize(at + prefix as usize, 0);
    body(out);
    let len = (out.len() - at - prefix as usize) as u64;
    let bytes = len.to_be_bytes();
    // The generated code passes prefixes of 0 to 3 bytes; a wider one than a u64 writes nothing
    // (both `get`s below must succeed, and then both slices are `prefix` bytes long).
    let src = 8usize
        .checked_sub(prefix as usize)
        .and_then(|from| bytes.get(from..));
    if let (Some(dst), Some(src)) = (out.get_mut(at..at + prefix as usize), src) {
        dst.copy_from_slice(src);
    }
}

/// Writes `bytes` behind a big-endian length prefix of `prefix` bytes (1 to 3 in the generated
/// code): an `opaque` vector. The length fits the prefix: the schema's ceilings say so, and
/// a longer value is the caller's bug (the prefix then holds the low bytes, as
/// [`put_prefixed`] writes them).
#[inline]
pub fn put_opaque(out: &mut Vec<u8>, prefix: u8, bytes: &[u8]) {
    let len = (bytes.len() as u64).to_be_bytes();
    if let Some(src) = 8usize
        .checked_sub(prefix as usize)
        .and_then(|from| len.get(from..))
    {
        out.extend_from_slice(src);
    }
    out.extend_from_slice(bytes);
}

/// Writes a `uint24`, big-endian (the top byte of `v` is dropped).
pub fn put_u24(out: &mut Vec<u8>, v: u32) {
    out.extend_from_slice(&v.to_be_bytes()[1..]);
}

/// What was wrong with the bytes. Lengths and counts are in bytes; `value` is the number read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[allow(missing_docs)] // the fields are named for what they hold; the variants say the rest
pub enum DecodeErrorKind {
    /// The input ended `needed` bytes into a field with `available` left.
    Truncated { needed: usize, available: usize },
    /// A vector length outside `<floor..ceiling>`.
    LengthOutOfRange {
        length: u64,
        floor: u64,
        ceiling: u64,
    },
    /// A vector length that is not a multiple of its element size.
    NotMultiple { length: u64, element: u64 },
    /// Bytes left over inside a length-delimited part.
    TrailingBytes { count: usize },
    /// A value a closed enum does not define.
    UnknownValue { value: u64 },
    /// A selector value the select has no `case` for.
    NoCase { value: u64 },
    /// A field with a fixed value (a field default, `legacy_version = 0x0303`) holds another;
    /// both as big-endian numbers of the field's encoding.
    NotFixed { expected: u64, got: u64 },
    /// `unique`: a second element with the selector value `value` (an extension type twice).
    Duplicate { value: u64 },
    /// `last(value)`: the element with selector value `value` is followed by another.
    NotLast { value: u64 },
    /// `zero`: a byte that must be zero (padding) is not.
    NotZero,
    /// A `padded` struct (TLSInnerPlaintext) whose bytes are all zero: no content type.
    AllPadding,
    /// The decoder needs context the caller did not give (`None` for `key`): a caller's
    /// mistake, not the peer's.
    MissingContext { key: &'static str },
}

/// One step of the path to the failing field.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PathSegment {
    /// A field (or select arm) by its schema name.
    Field(&'static str),
    /// An element of a vector.
    Index(usize),
}

/// The selector values of a `unique` vector seen so far. Hellos carry a few dozen extensions,
/// checked by a scan of an array on the stack (no allocation); a list longer than that spills
/// into a set, so a hostile one still costs O(n log n).
#[derive(Default)]
struct SeenKeys {
    few: [u64; 32],
    len: usize,
    many: std::collections::BTreeSet<u64>,
}

impl SeenKeys {
    /// Records `k`; false if it was there already.
    fn insert(&mut self, k: u64) -> bool {
        let few = self.few.get(..self.len).unwrap_or_default();
        if few.contains(&k) || self.many.contains(&k) {
            return false;
        }
        match self.few.get_mut(self.len) {
            Some(slot) => {
                *slot = k;
                self.len += 1;
            }
            None => {
                self.many.insert(k);
            }
        }
        true
    }
}

/// Why some bytes are not a valid message: where (field path and offset), what, and which alert
/// the RFC asks for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DecodeError {
    /// What was wrong.
    pub kind: DecodeErrorKind,
    /// Absolute byte offset in the decoded input.
    pub offset: usize,
    /// Innermost segment first; see [`DecodeError::path`].
    segments: Vec<PathSegment>,
    root: Option<&'static str>,
}

impl DecodeError {
    /// An error of `kind` at absolute `offset`, with an empty path.
    ///
    /// Errors are the rare path: keeping their construction out of line keeps decoding tight.
    #[cold]
    #[inline(never)]
    pub fn new(kind: DecodeErrorKind, offset: usize) -> Self {
        DecodeError {
            kind,
            offset,
            segments: Vec::new(),
            root: None,
        }
    }

    #[doc(hidden)]
    pub fn field(mut self, name: &'static str) -> Self {
        self.segments.push(PathSegment::Field(name));
        self
    }

    #[doc(hidden)]
    pub fn index(mut self, i: usize) -> Self {
        self.segments.push(PathSegment::Index(i));
        self
    }

    #[doc(hidden)]
    pub fn root(mut self, type_name: &'static str) -> Self {
        self.root.get_or_insert(type_name);
        self
    }

    /// `ClientHello.extensions[3].server_name`.
    pub fn path(&self) -> String {
        let mut s = self.root.unwrap_or("").to_string();
        for seg in self.segments.iter().rev() {
            match seg {
                PathSegment::Field(f) => {
                    if !s.is_empty() {
                        s.push('.');
                    }
                    s.push_str(f);
                }
                PathSegment::Index(i) => s.push_str(&format!("[{i}]")),
            }
        }
        s
    }

    /// The alert RFC 5246 section 7.2.2 asks for: a message that cannot be parsed is a
    /// `decode_error`; a well-formed field with a value we do not accept is `illegal_parameter`
    /// (also a fixed value that differs, RFC 8446 section 4.1.2's `legacy_compression_methods`;
    /// `pre_shared_key` not last, RFC 8446 section 4.2.11; non-zero padding). A repeated
    /// extension is `decode_error`, as the engine always answered it. A `padded` record with no
    /// content type is `unexpected_message` (RFC 8446 section 5.4); missing decode context is our
    /// own `internal_error`.
    pub fn alert(&self) -> AlertDescription {
        match self.kind {
            DecodeErrorKind::UnknownValue { .. }
            | DecodeErrorKind::NoCase { .. }
            | DecodeErrorKind::NotFixed { .. }
            | DecodeErrorKind::NotLast { .. }
            | DecodeErrorKind::NotZero => AlertDescription::IllegalParameter,
            DecodeErrorKind::AllPadding => AlertDescription::UnexpectedMessage,
            DecodeErrorKind::MissingContext { .. } => AlertDescription::InternalError,
            _ => AlertDescription::DecodeError,
        }
    }
}

impl fmt::Display for DecodeErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            DecodeErrorKind::Truncated { needed, available } => {
                write!(f, "truncated: needed {needed} bytes, {available} left")
            }
            DecodeErrorKind::LengthOutOfRange {
                length,
                floor,
                ceiling,
            } => {
                write!(f, "length {length} outside <{floor}..{ceiling}>")
            }
            DecodeErrorKind::NotMultiple { length, element } => {
                write!(
                    f,
                    "length {length} is not a multiple of the element size {element}"
                )
            }
            DecodeErrorKind::TrailingBytes { count } => write!(f, "{count} trailing bytes"),
            DecodeErrorKind::UnknownValue { value } => write!(f, "unknown value {value}"),
            DecodeErrorKind::NoCase { value } => write!(f, "no case for selector value {value}"),
            DecodeErrorKind::NotFixed { expected, got } => {
                write!(f, "fixed value {expected:#x} expected, got {got:#x}")
            }
            DecodeErrorKind::Duplicate { value } => write!(f, "selector value {value} repeated"),
            DecodeErrorKind::NotLast { value } => {
                write!(f, "selector value {value} must be the last element")
            }
            DecodeErrorKind::NotZero => write!(f, "non-zero padding byte"),
            DecodeErrorKind::AllPadding => write!(f, "all zero: no content type"),
            DecodeErrorKind::MissingContext { key } => {
                write!(f, "decode context `{key}` not given")
            }
        }
    }
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let path = self.path();
        if path.is_empty() {
            write!(f, "{} at offset {}", self.kind, self.offset)
        } else {
            write!(f, "{}: {} at offset {}", path, self.kind, self.offset)
        }
    }
}

impl std::error::Error for DecodeError {}

/// Debug helper for byte strings: printable ASCII (host names, ALPN ids) as a string, anything
/// else as hex, shortened past 64 bytes.
pub struct Hex<'b>(pub &'b [u8]);

impl fmt::Debug for Hex<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let printable = self.0.len() >= 2 && self.0.iter().all(|b| (0x20..0x7f).contains(b));
        if printable {
            if let Ok(s) = std::str::from_utf8(self.0) {
                return write!(f, "{s:?}");
            }
        }
        if self.0.is_empty() {
            return f.write_str("[]");
        }
        let shown = self
            .0
            .get(..32)
            .filter(|_| self.0.len() > 64)
            .unwrap_or(self.0);
        for b in shown {
            write!(f, "{b:02x}")?;
        }
        if shown.len() < self.0.len() {
            write!(f, "..({} bytes)", self.0.len())?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reads each primitive starting at a non-zero offset, and checks offsets stay absolute.
    #[test]
    fn primitives_at_an_offset() {
        let bytes = [
            0xee, 0xee, 0xee, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a,
        ];
        let mut r = Reader::new(&bytes);
        r.take(3).unwrap();
        assert_eq!(r.offset(), 3);
        assert_eq!(r.clone().u8().unwrap(), 0x01);
        assert_eq!(r.clone().u16().unwrap(), 0x0102);
        assert_eq!(r.clone().u24().unwrap(), 0x010203);
        assert_eq!(r.clone().u32().unwrap(), 0x01020304);
        assert_eq!(r.clone().u64().unwrap(), 0x0102030405060708);
        assert_eq!(r.clone().array::<2>().unwrap(), [1, 2]);
        r.take(8).unwrap();
        let err = r.u24().unwrap_err();
        assert_eq!(
            err.kind,
            DecodeErrorKind::Truncated {
                needed: 3,
                available: 2
            }
        );
        assert_eq!(err.offset, 11);
    }

    #[test]
    fn regions_keep_absolute_offsets() {
        // prefix 1 at offset 2 says 3 bytes; inside, a u16 then a u16 that runs off the end.
        let bytes = [0xff, 0xff, 3, 0xaa, 0xbb, 0xcc, 0xdd];
        let mut r = Reader::new(&bytes);
        r.take(2).unwrap();
        let mut sub = r.region(1, 0, 255, 1).unwrap();
        assert_eq!(sub.offset(), 3);
        assert_eq!(sub.u16().unwrap(), 0xaabb);
        let err = sub.u16().unwrap_err();
        assert_eq!(err.offset, 5);
        assert_eq!(r.offset(), 6, "the outer reader moved past the region");
    }

    #[test]
    fn region_checks_bounds_and_multiples() {
        let err = Reader::new(&[0, 3, 1, 2, 3])
            .region(2, 2, 10, 2)
            .unwrap_err();
        assert_eq!(
            err.kind,
            DecodeErrorKind::NotMultiple {
                length: 3,
                element: 2
            }
        );
        let err = Reader::new(&[0, 0]).region(2, 2, 10, 2).unwrap_err();
        assert_eq!(
            err.kind,
            DecodeErrorKind::LengthOutOfRange {
                length: 0,
                floor: 2,
                ceiling: 10
            }
        );
        let err = Reader::new(&[12]).region(1, 0, 10, 1).unwrap_err();
        assert_eq!(
            err.kind,
            DecodeErrorKind::LengthOutOfRange {
                length: 12,
                floor: 0,
                ceiling: 10
            }
        );
        let err = Reader::new(&[4, 1]).region(1, 0, 10, 1).unwrap_err();
        assert_eq!(
            err.kind,
            DecodeErrorKind::Truncated {
                needed: 4,
                available: 1
            }
        );
        assert_eq!(err.alert(), AlertDescription::DecodeError);
    }

    #[test]
    fn prefixed_writing_computes_lengths() {
        let mut out = vec![0x99];
        put_prefixed(&mut out, 3, |out| out.extend_from_slice(&[1, 2, 3, 4, 5]));
        assert_eq!(out, [0x99, 0, 0, 5, 1, 2, 3, 4, 5]);
        let mut out = Vec::new();
        put_prefixed(&mut out, 0, |out| out.push(7));
        assert_eq!(out, [7]);
        let mut out = Vec::new();
        put_u24(&mut out, 0x010203);
        assert_eq!(out, [1, 2, 3]);
        // An opaque vector: the same bytes as `put_prefixed` writes, for each prefix width.
        for prefix in 1..=3u8 {
            for len in [0usize, 1, 255, 256, 70_000] {
                let body = vec![0xab; len];
                let (mut a, mut b) = (vec![0x99], vec![0x99]);
                put_opaque(&mut a, prefix, &body);
                put_prefixed(&mut b, prefix, |out| out.extend_from_slice(&body));
                assert_eq!(a, b, "prefix {prefix}, {len} bytes");
            }
        }
    }

    #[test]
    fn error_paths_read_like_field_access() {
        let e = DecodeError::new(DecodeErrorKind::UnknownValue { value: 7 }, 40)
            .field("name_type")
            .index(0)
            .field("server_name_list")
            .field("server_name")
            .index(3)
            .field("extensions")
            .root("ClientHello");
        assert_eq!(
            e.path(),
            "ClientHello.extensions[3].server_name.server_name_list[0].name_type"
        );
        assert_eq!(
            e.to_string(),
            "ClientHello.extensions[3].server_name.server_name_list[0].name_type: unknown value 7 at offset 40"
        );
        assert_eq!(e.alert(), AlertDescription::IllegalParameter);
    }

    #[test]
    fn hex_debug_is_readable() {
        assert_eq!(format!("{:?}", Hex(b"localhost")), "\"localhost\"");
        assert_eq!(format!("{:?}", Hex(&[0, 1, 0xff])), "0001ff");
        assert_eq!(format!("{:?}", Hex(&[])), "[]");
        let long = [0u8; 100];
        assert!(format!("{:?}", Hex(&long)).ends_with("..(100 bytes)"));
    }

    #[test]
    fn seen_keys_finds_repeats_before_and_after_spilling() {
        let mut seen = SeenKeys::default();
        for k in 0..100u64 {
            assert!(seen.insert(k * 7), "{k} is new");
        }
        // In the array (the first 32) and in the set (the rest).
        assert!(!seen.insert(0));
        assert!(!seen.insert(31 * 7));
        assert!(!seen.insert(32 * 7));
        assert!(!seen.insert(99 * 7));
        assert!(seen.insert(1));
        assert!(!seen.insert(1));
    }
}
