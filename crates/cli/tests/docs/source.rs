//! Reading facts out of the Rust sources: which names a call reads, which codes a `code()`
//! method returns. Deliberately strict: a shape the readers do not know fails the test, so a
//! change in how the code reads a setting or names a code is noticed rather than missed.

use std::collections::{BTreeMap, BTreeSet};

use crate::read;

/// The string literal at the start of `text` (which starts with `"`), if any.
pub fn literal(text: &str) -> Option<String> {
    let rest = text.strip_prefix('"')?;
    let end = rest.find('"')?;
    Some(rest[..end].to_owned())
}

/// The argument text of the call whose `(` ends `needle` (balanced parentheses), for every
/// occurrence of `needle` in `text`.
pub fn call_args<'a>(text: &'a str, needle: &str) -> Vec<&'a str> {
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(at) = text[from..].find(needle) {
        let start = from + at + needle.len();
        let mut depth = 1;
        let mut end = start;
        for (i, c) in text[start..].char_indices() {
            match c {
                '(' => depth += 1,
                ')' => depth -= 1,
                _ => {}
            }
            if depth == 0 {
                end = start + i;
                break;
            }
        }
        out.push(text[start..end].trim());
        from = start;
    }
    out
}

/// Every string literal in `text` that starts with `prefix` (`"vitrine.` → `vitrine.config`).
pub fn literals_starting(text: &str, prefix: &str) -> BTreeSet<String> {
    let needle = format!("\"{prefix}");
    let mut out = BTreeSet::new();
    let mut from = 0;
    while let Some(at) = text[from..].find(&needle) {
        let start = from + at;
        if let Some(lit) = literal(&text[start..]) {
            out.insert(lit);
        }
        from = start + needle.len();
    }
    out
}

/// The value of `const NAME: &str = "…"` somewhere in `files`.
pub fn const_str(files: &[String], name: &str) -> String {
    let needle = format!("const {name}: &str = ");
    files
        .iter()
        .find_map(|f| {
            let text = read(f);
            let at = text.find(&needle)?;
            literal(&text[at + needle.len()..])
        })
        .unwrap_or_else(|| panic!("no `const {name}: &str` in {files:?}"))
}

/// What a `fn code(…) -> &'static str` of `impl TYPE` returns: the literal code of each
/// variant, and the variants that delegate to another type's code (`Self::Jws(r) => r.code()`).
pub struct Codes {
    /// The file the `impl` is in.
    pub file: String,
    pub literal: BTreeMap<String, String>,
    pub delegated: BTreeSet<String>,
}

impl Codes {
    /// The literal codes.
    pub fn set(&self) -> BTreeSet<String> {
        self.literal.values().cloned().collect()
    }

    /// The code of `variant`.
    pub fn of(&self, variant: &str) -> &str {
        self.literal
            .get(variant)
            .unwrap_or_else(|| panic!("no literal code for variant {variant}"))
    }
}

/// The arms of `impl TYPE { … fn code(…) { match self { … } } }` in `place`: a file, or a
/// directory holding exactly one such `impl` (so that a module may move within it).
pub fn codes(place: &str, ty: &str) -> Codes {
    let header = format!("impl {ty} {{");
    let found: Vec<String> = if place.ends_with(".rs") {
        vec![place.to_owned()]
    } else {
        crate::files_under(place, &[".rs"])
            .into_iter()
            .filter(|f| read(f).contains(&header))
            .collect()
    };
    let [file] = found.as_slice() else {
        panic!("{place}: {} files have `impl {ty}`: {found:?}", found.len());
    };
    let text = read(file);
    let imp = text
        .find(&header)
        .unwrap_or_else(|| panic!("{file}: no `impl {ty}`"));
    let f = imp
        + text[imp..]
            .find("fn code(")
            .unwrap_or_else(|| panic!("{file}: `impl {ty}` has no `fn code`"));
    let m = f + text[f..].find("match self {").unwrap() + "match self {".len();
    let mut depth = 1;
    let mut end = m;
    for (i, c) in text[m..].char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            _ => {}
        }
        if depth == 0 {
            end = m + i;
            break;
        }
    }
    let mut codes = Codes {
        file: file.clone(),
        literal: BTreeMap::new(),
        delegated: BTreeSet::new(),
    };
    for arm in text[m..end].lines().filter(|l| l.contains("=>")) {
        let (pattern, value) = arm.split_once("=>").unwrap();
        let value = value.trim().trim_end_matches(',');
        let variants: Vec<String> = pattern
            .split("Self::")
            .skip(1)
            .map(|v| {
                v.chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect()
            })
            .collect();
        assert!(!variants.is_empty(), "{file}: arm without a variant: {arm}");
        for v in variants {
            match literal(value) {
                Some(code) => {
                    codes.literal.insert(v, code);
                }
                None => {
                    codes.delegated.insert(v);
                }
            }
        }
    }
    assert!(
        !codes.literal.is_empty(),
        "{file}: `{ty}::code` returns no literal"
    );
    codes
}

/// The variants of `enum_path` (`Rejection::`) a file constructs, e.g. `Rejection::Signature`.
pub fn variants_used(file: &str, enum_path: &str) -> BTreeSet<String> {
    let text = read(file);
    text.split(enum_path)
        .skip(1)
        .map(|v| {
            v.chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect::<String>()
        })
        .filter(|v| !v.is_empty())
        .collect()
}

/// The argument texts of calls to the function `name` (not to `x_name` or `y.name`).
pub fn calls<'a>(text: &'a str, name: &str) -> Vec<&'a str> {
    let needle = format!("{name}(");
    let mut out = Vec::new();
    for (at, args) in text.match_indices(&needle).zip(call_args(text, &needle)) {
        let before = text[..at.0].chars().next_back();
        if !before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '.') {
            out.push(args);
        }
    }
    out
}

/// `text` with method chains rustfmt broke over lines joined back (`env\n    .secret(` →
/// `env.secret(`), so that a call is found however it is formatted.
pub fn joined(text: &str) -> String {
    let mut out = String::new();
    for line in text.lines() {
        let t = line.trim_start();
        if t.starts_with('.') && !t.starts_with("..") {
            out.push_str(t);
        } else {
            out.push('\n');
            out.push_str(line);
        }
    }
    out
}
