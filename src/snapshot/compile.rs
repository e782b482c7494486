//! The campaign compiler (native only): human-written TOML campaign files in, a [`Snapshot`]
//! out. Marketer HTML is sanitized here, once, with ammonia's allowlist, so the edge never
//! sanitizes per request. All problems of a run are collected and reported together, each with
//! file, line, column and a hint.
//!
//! ```toml
//! [[campaign]]
//! id = "loyal-hero"          # unique across all files
//! slot = "hero"              # <vitrine-slot name="hero">
//! segments = ["loyal"]       # or: audience = "anonymous" | "everyone"
//! priority = 10              # higher wins; ties keep file order
//! op = "replace"             # replace | append | prepend | before | after | remove
//! html = "<div class='vt-banner'>Thanks for being with us</div>"
//! ```

use std::collections::BTreeMap;
use std::ops::Range;
use std::sync::Arc;

use serde::Deserialize;

use super::{ActivityPaths, Audience, Op, Rule, Slot, Snapshot};

/// One campaign file's text and the name to report it under.
pub struct Source<'a> {
    /// Path shown in diagnostics.
    pub name: &'a str,
    /// File content.
    pub text: &'a str,
}

/// A problem found while compiling, located in its file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}:{line}:{column}: {field}: {message}\n  hint: {hint}")]
#[non_exhaustive]
pub struct CompileError {
    /// File the problem is in.
    pub file: String,
    /// 1-based line.
    pub line: usize,
    /// 1-based column.
    pub column: usize,
    /// The field (or `syntax`).
    pub field: String,
    /// What is wrong.
    pub message: String,
    /// What to do about it.
    pub hint: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    campaign: Vec<toml::Spanned<Campaign>>,
    /// `[activity]`: URL patterns for the activity cookie (at most one file sets it).
    #[serde(default)]
    activity: Option<toml::Spanned<ActivityToml>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ActivityToml {
    #[serde(default)]
    product_path: Option<toml::Spanned<String>>,
    #[serde(default)]
    category_path: Option<toml::Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Campaign {
    id: toml::Spanned<String>,
    slot: toml::Spanned<String>,
    #[serde(default)]
    segments: Option<toml::Spanned<Vec<String>>>,
    #[serde(default)]
    audience: Option<toml::Spanned<String>>,
    #[serde(default)]
    priority: i64,
    #[serde(default)]
    op: Option<toml::Spanned<String>>,
    #[serde(default)]
    html: Option<toml::Spanned<String>>,
}

struct Located {
    priority: i64,
    order: usize,
    slot: String,
    rule: Rule,
}

/// Compiles campaign files into a snapshot, or returns every error found.
pub fn compile(sources: &[Source<'_>]) -> Result<Snapshot, Vec<CompileError>> {
    let mut errors = Vec::new();
    let mut rules = Vec::new();
    let mut ids: BTreeMap<String, String> = BTreeMap::new();
    let mut activity: Option<ActivityPaths> = None;
    for src in sources {
        let file: File = match toml::from_str(src.text) {
            Ok(f) => f,
            Err(e) => {
                let span = e.span().unwrap_or(0..0);
                errors.push(err(
                    src,
                    span,
                    "syntax",
                    e.message(),
                    "fix the TOML syntax at this spot",
                ));
                continue;
            }
        };
        if let Some(a) = file.activity {
            activity_paths(src, a, &mut activity, &mut errors);
        }
        for c in file.campaign {
            let c = c.into_inner();
            let at = |span: Range<usize>, field: &str, msg: String, hint: &str| {
                err(src, span, field, &msg, hint)
            };
            if let Some(first) = ids.get(c.id.get_ref()) {
                errors.push(at(
                    c.id.span(),
                    "id",
                    format!(
                        "campaign id {:?} is already used in {first}",
                        c.id.get_ref()
                    ),
                    "give every campaign a unique id",
                ));
            } else {
                ids.insert(c.id.get_ref().clone(), src.name.to_owned());
            }
            if !valid_name(c.slot.get_ref()) {
                errors.push(at(
                    c.slot.span(),
                    "slot",
                    format!("slot {:?} is not a valid slot name", c.slot.get_ref()),
                    "use 1-64 of [a-z0-9_-], as in <vitrine-slot name=\"hero\">",
                ));
            }
            let audience = match (&c.segments, &c.audience) {
                (Some(s), None) if !s.get_ref().is_empty() => Some(Audience::Segments {
                    any: s.get_ref().clone(),
                }),
                (None, Some(a)) if a.get_ref() == "anonymous" => Some(Audience::Anonymous),
                (None, Some(a)) if a.get_ref() == "everyone" => Some(Audience::Everyone),
                (None, Some(a)) => {
                    errors.push(at(
                        a.span(),
                        "audience",
                        format!("unknown audience {:?}", a.get_ref()),
                        "use \"anonymous\" or \"everyone\", or list `segments`",
                    ));
                    None
                }
                (Some(s), Some(_)) => {
                    errors.push(at(
                        s.span(),
                        "segments",
                        "both `segments` and `audience` are set".into(),
                        "keep one of them",
                    ));
                    None
                }
                _ => {
                    errors.push(at(
                        c.id.span(),
                        "segments",
                        "the campaign targets nobody".into(),
                        "add `segments = [\"…\"]` or `audience = \"everyone\"`",
                    ));
                    None
                }
            };
            let op = match c.op.as_ref().map(|o| (o.get_ref().as_str(), o.span())) {
                None => Some(Op::Replace),
                Some((name, span)) => parse_op(name).or_else(|| {
                    errors.push(at(
                        span,
                        "op",
                        format!("unknown op {name:?}"),
                        "use replace, append, prepend, before, after or remove",
                    ));
                    None
                }),
            };
            let html = match (&c.html, op) {
                (_, Some(Op::Remove)) => Some(String::new()),
                (Some(h), _) => sanitize(h.get_ref())
                    .map_err(|m| {
                        errors.push(at(
                            h.span(),
                            "html",
                            m,
                            "remove the unclosed comment or raw-text element",
                        ))
                    })
                    .ok(),
                (None, _) => {
                    errors.push(at(
                        c.id.span(),
                        "html",
                        "no `html` given".into(),
                        "add the banner markup, or use op = \"remove\"",
                    ));
                    None
                }
            };
            if let (Some(audience), Some(op), Some(html)) = (audience, op, html) {
                rules.push(Located {
                    priority: c.priority,
                    order: rules.len(),
                    slot: c.slot.into_inner(),
                    rule: Rule {
                        campaign: c.id.into_inner(),
                        audience,
                        op,
                        html: Arc::from(html),
                    },
                });
            }
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    rules.sort_by_key(|r| (std::cmp::Reverse(r.priority), r.order));
    let mut slots: Vec<Slot> = Vec::new();
    for r in rules {
        match slots.iter_mut().find(|s| s.name == r.slot) {
            Some(slot) => slot.rules.push(r.rule),
            None => slots.push(Slot {
                name: r.slot,
                rules: vec![r.rule],
            }),
        }
    }
    slots.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(Snapshot::new(slots).with_activity(activity.unwrap_or_default()))
}

/// Checks an `[activity]` table (patterns as in `crate::cookie::activity::validate_pattern`).
fn activity_paths(
    src: &Source<'_>,
    table: toml::Spanned<ActivityToml>,
    seen: &mut Option<ActivityPaths>,
    errors: &mut Vec<CompileError>,
) {
    if seen.is_some() {
        let hint = "keep one [activity] table across all campaign files";
        errors.push(err(
            src,
            table.span(),
            "activity",
            "[activity] is set twice",
            hint,
        ));
        return;
    }
    let table = table.into_inner();
    let mut check = |p: Option<toml::Spanned<String>>, field: &str| {
        let p = p?;
        match crate::cookie::activity::validate_pattern(p.get_ref()) {
            Ok(()) => Some(p.into_inner()),
            Err(e) => {
                errors.push(err(
                    src,
                    p.span(),
                    field,
                    &e.to_string(),
                    "e.g. \"/p/{id}\"",
                ));
                None
            }
        }
    };
    *seen = Some(ActivityPaths {
        product_path: check(table.product_path, "activity.product_path"),
        category_path: check(table.category_path, "activity.category_path"),
    });
}

fn parse_op(name: &str) -> Option<Op> {
    [
        Op::Replace,
        Op::Append,
        Op::Prepend,
        Op::Before,
        Op::After,
        Op::Remove,
    ]
    .into_iter()
    .find(|op| op.keyword() == name)
}

fn valid_name(name: &str) -> bool {
    (1..=64).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
}

/// Sanitizes marketer HTML with ammonia's allowlist (no scripts, event handlers, `style` or
/// `iframe`; only `https:` and relative URLs). Raw-text and unclosed constructs are refused
/// outright rather than silently repaired.
pub fn sanitize(html: &str) -> Result<String, String> {
    let lower = html.to_ascii_lowercase();
    for bad in ["<textarea", "<plaintext", "<style", "<xmp", "<noscript"] {
        if lower.contains(bad) {
            return Err(format!("`{bad}>` is not allowed in banner HTML"));
        }
    }
    if lower.matches("<!--").count() != lower.matches("-->").count() {
        return Err("unclosed HTML comment".into());
    }
    Ok(ammonia::Builder::default()
        .url_schemes(["https"].into_iter().collect())
        .url_relative(ammonia::UrlRelative::PassThrough)
        .add_generic_attributes(["class"])
        .rm_tag_attributes("a", ["class"])
        .add_tag_attributes("a", ["class"])
        .clean(html)
        .to_string())
}

fn err(
    src: &Source<'_>,
    span: Range<usize>,
    field: &str,
    message: &str,
    hint: &str,
) -> CompileError {
    let before = &src.text[..span.start.min(src.text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    CompileError {
        file: src.name.to_owned(),
        line,
        column,
        field: field.to_owned(),
        message: message.to_owned(),
        hint: hint.to_owned(),
    }
}

#[cfg(test)]
mod tests;
