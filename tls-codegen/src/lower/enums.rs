//! Enums on the wire: values, ranges and width checked; an `open` fixed-size alias becomes an open
//! enum whose values are the constants of its type.

use super::*;

impl Lowerer {
    pub(super) fn enum_def(&mut self, e: &ast::EnumBody, open: bool, name: &str) -> DefKind {
        if e.values
            .iter()
            .all(|v| matches!(v.value, EnumValueKind::None))
            && e.width.is_none()
        {
            return DefKind::ContextEnum(e.values.iter().map(|v| v.name.text.clone()).collect());
        }
        let mut values = Vec::new();
        let mut ranges = Vec::new();
        let mut max = 0u64;
        for v in &e.values {
            match &v.value {
                EnumValueKind::None => self.err(
                    v.name.loc,
                    format!("`{}` needs a value: `{}` has values", v.name.text, name),
                ),
                EnumValueKind::Single(val) => match val.eval() {
                    Some(n) => {
                        max = max.max(n);
                        values.push(EnumVal {
                            name: v.name.text.clone(),
                            rust: camel(&v.name.text),
                            value: n,
                            display: v.name.text.clone(),
                        });
                    }
                    None => self.err(
                        v.name.loc,
                        format!("value of `{}` is not a number", v.name.text),
                    ),
                },
                EnumValueKind::Range(lo, hi) => match (lo.eval(), hi.eval()) {
                    (Some(a), Some(b)) if a <= b => {
                        max = max.max(b);
                        ranges.push((v.name.text.clone(), a, b));
                    }
                    _ => self.err(
                        v.name.loc,
                        format!("range of `{}` must be two ascending numbers", v.name.text),
                    ),
                },
            }
        }
        let (width, limit) = match &e.width {
            Some(w) => match w.eval() {
                Some(m) if m > 0 => (prefix_width(m), m),
                _ => {
                    self.err(
                        e.values.first().map(|v| v.name.loc).unwrap_or_default(),
                        "enum width marker must be a number",
                    );
                    (1, 0xff)
                }
            },
            None => {
                let w = prefix_width(max);
                (w, max_for(w))
            }
        };
        let mut seen_names: BTreeMap<String, (String, Loc)> = BTreeMap::new();
        let mut seen_values: BTreeMap<u64, (String, Loc)> = BTreeMap::new();
        for (v, src) in values.iter().zip(
            e.values
                .iter()
                .filter(|v| matches!(v.value, EnumValueKind::Single(_))),
        ) {
            let (loc, len) = (src.name.loc, src.name.text.len());
            if v.value > limit {
                self.err_span(
                    loc,
                    len,
                    format!(
                        "value {} of `{}` does not fit the width of `{}` (at most {})",
                        v.value, v.name, name, limit
                    ),
                );
            }
            if open && v.rust == "Unknown" {
                self.err_span(
                    loc,
                    len,
                    format!(
                        "`{}` becomes the variant `Unknown`, which the open enum `{name}` has for unknown values: rename it",
                        v.name
                    ),
                );
            }
            if v.rust == "Self" {
                self.err_span(
                    loc,
                    len,
                    format!(
                        "`{}` becomes the Rust variant `Self`, a keyword: rename it",
                        v.name
                    ),
                );
            }
            if let Some((prev, at)) = seen_names.get(&v.rust).cloned() {
                let msg = if prev == v.name {
                    format!("`{}` appears twice in `{}`", v.name, name)
                } else {
                    format!(
                        "`{}` appears twice in `{}` (as `{}`): both become the Rust variant `{}`",
                        v.name, name, prev, v.rust
                    )
                };
                self.diags
                    .push(Diagnostic::new(loc, msg).with_len(len).with_related_span(
                        "first defined at",
                        at,
                        prev.len(),
                    ));
            } else {
                seen_names.insert(v.rust.clone(), (v.name.clone(), loc));
            }
            if let Some((prev, at)) = seen_values.get(&v.value).cloned() {
                self.diags.push(
                    Diagnostic::new(
                        loc,
                        format!(
                            "`{}` and `{}` in `{}` share the value {}",
                            prev, v.name, name, v.value
                        ),
                    )
                    .with_len(len)
                    .with_related_span("first defined at", at, prev.len()),
                );
            } else {
                seen_values.insert(v.value, (v.name.clone(), loc));
            }
        }
        for (n, lo, hi) in &ranges {
            if *hi > limit {
                let loc = e
                    .values
                    .iter()
                    .find(|v| &v.name.text == n)
                    .map(|v| v.name.loc)
                    .unwrap_or_default();
                self.err(loc, format!("range {lo}..{hi} of `{n}` does not fit the width of `{name}` (at most {limit})"));
            }
        }
        DefKind::Enum(EnumDef {
            width,
            open,
            values,
            ranges,
        })
    }

    /// `/*@ open */ uint8 CipherSuite[2];`: an open enum whose values are the constants of its type.
    pub(super) fn open_alias(&mut self, d: &Decl, t: &ast::Name, name: &str) -> DefKind {
        let width = match (&d.dims, t.text.as_str()) {
            (Some(Dims::Fixed(n)), "uint8" | "opaque") => n.eval(),
            (None, "uint8") => Some(1),
            (None, "uint16") => Some(2),
            (None, "uint24") => Some(3),
            (None, "uint32") => Some(4),
            _ => None,
        };
        let Some(width @ 1..=4) = width else {
            self.err(
                d.loc,
                format!("`open` on `{name}` needs a fixed size of 1 to 4 bytes"),
            );
            return DefKind::ContextEnum(Vec::new());
        };
        // Constants become variants under their own names: `Unknown` and repeats would clash.
        let mut seen: BTreeMap<&str, Loc> = BTreeMap::new();
        let mut clashes = Vec::new();
        for (n, _, loc) in self.constants.get(name).into_iter().flatten() {
            if n == "Unknown" {
                clashes.push(Diagnostic::new(*loc, format!(
                    "constant `Unknown` clashes with the variant the open enum `{name}` has for unknown values: rename it"
                )).with_len(n.len()));
            }
            match seen.get(n.as_str()) {
                Some(first) => clashes.push(
                    Diagnostic::new(*loc, format!("constant `{n}` of `{name}` is defined twice"))
                        .with_len(n.len())
                        .with_related_span("first defined at", *first, n.len()),
                ),
                None => {
                    seen.insert(n, *loc);
                }
            }
        }
        self.diags.extend(clashes);
        let values = self
            .constants
            .get(name)
            .map(|cs| {
                cs.iter()
                    .map(|(n, v, _)| EnumVal {
                        name: n.clone(),
                        rust: n.clone(),
                        value: *v,
                        display: n.clone(),
                    })
                    .collect()
            })
            .unwrap_or_default();
        DefKind::Enum(EnumDef {
            width: width as u8,
            open: true,
            values,
            ranges: Vec::new(),
        })
    }
}
