//! Compiler tests: one per validation error and per warning, sanitizer tables, includes,
//! catalogs, and the demo campaign's golden output.

use std::collections::HashMap;

use super::*;
use crate::diff;
use vitrine_core::snapshot::expr::Expr;
use vitrine_core::snapshot::{Ctx, Part};

mod bandit;
mod catalog;
mod conversion;
mod errors;
mod golden;
mod recommend;
mod robust;
mod sanitize;
mod schema;
mod warnings;

/// In-memory files for includes and catalogs.
pub struct Mem(pub HashMap<String, Vec<u8>>);

impl Loader for Mem {
    fn load(&self, path: &str) -> Result<Vec<u8>, String> {
        self.0
            .get(path)
            .cloned()
            .ok_or_else(|| format!("{path}: no such file"))
    }
}

pub fn mem(files: &[(&str, &str)]) -> Mem {
    Mem(files
        .iter()
        .map(|(n, t)| (n.to_string(), t.as_bytes().to_vec()))
        .collect())
}

pub fn one(text: &str) -> Result<Snapshot, Vec<CompileError>> {
    compile(&[Source {
        name: "c.toml",
        text,
    }])
}

pub fn build_with(
    text: &str,
    loader: &dyn Loader,
    options: &Options,
) -> Result<Build, Vec<CompileError>> {
    build(
        &[Source {
            name: "site/c.toml",
            text,
        }],
        loader,
        options,
    )
}

pub const BASIC: &str =
    "[[campaign]]\nid = \"a\"\nslot = \"hero\"\naudience = \"everyone\"\nhtml = \"<b>x</b>\"\n";

#[test]
fn compiles_and_orders_by_priority() {
    let snap = one(r#"
[[campaign]]
id = "low"
slot = "hero"
audience = "everyone"
html = "<b>low</b>"

[[campaign]]
id = "high"
slot = "hero"
segments = ["loyal"]
priority = 5
html = "<b>high</b>"
"#)
    .unwrap();
    let hero = snap.slot("hero").unwrap();
    let order: Vec<&str> = hero
        .candidates
        .iter()
        .map(|c| snap.text(c.campaign))
        .collect();
    assert_eq!(order, ["high", "low"]);
}

#[test]
fn strings_are_interned_once() {
    let snap = one(&format!("{BASIC}\n[[campaign]]\nid = \"b\"\nslot = \"hero\"\naudience = \"everyone\"\nhtml = \"<b>x</b>\"\n")).unwrap();
    let strings = &snap.body().strings;
    let html = strings.iter().filter(|s| &***s == "<b>x</b>").count();
    assert_eq!(html, 1, "{strings:?}");
}

#[test]
fn includes_resolve_relative_and_load_once() {
    let files = mem(&[
        ("site/more/a.toml", "include = [\"../b.toml\"]\n[[campaign]]\nid = \"from-a\"\nslot = \"hero\"\naudience = \"everyone\"\nhtml = \"a\"\n"),
        ("site/b.toml", "[segments.vip]\nall = [{ segment = \"loyal\" }, { attr = \"orders\", gte = 10 }]\n"),
    ]);
    let main = "include = [\"more/a.toml\", \"b.toml\"]\n[[campaign]]\nid = \"main\"\nslot = \"strip\"\nsegments = [\"vip\"]\nhtml = \"m\"\n";
    let built = build_with(main, &files, &Options::default()).unwrap();
    let snap = built.snapshot;
    assert!(snap.slot("hero").is_some() && snap.slot("strip").is_some());
    assert_eq!(snap.body().segments.len(), 1);
    let strip = &snap.slot("strip").unwrap().candidates[0];
    assert!(
        matches!(strip.when, Expr::All(_)),
        "named segment inlined: {:?}",
        strip.when
    );
}

#[test]
fn named_segments_nest_and_exclusions_fold_in() {
    let snap = one(r#"
[segments.pet_owner]
any = [{ segment = "dog_owner" }, { segment = "cat_owner" }]

[segments.lapsed]
all = [{ segment = "pet_owner" }, { attr = "days_since_last_order", gte = 60 }]

[[campaign]]
id = "c"
slot = "hero"
segments = ["lapsed"]
exclude = ["vip"]
html = "x"
"#)
    .unwrap();
    let c = &snap.slot("hero").unwrap().candidates[0];
    let text = diff::expr_text(&snap, &c.when);
    assert_eq!(
        text,
        "(((dog_owner or cat_owner) and days_since_last_order >= 60) and not vip)"
    );
}

#[test]
fn placeholders_are_split_with_their_context() {
    let snap = one(r#"
[[campaign]]
id = "c"
slot = "hero"
audience = "everyone"
html = '<a href="/c/{{attr.fav}}" title="{{attr.name}}">Hi {{attr.name}}: {{message}}</a>'
messages = [{ segments = ["loyal"], html = "<b>thanks</b>" }]
"#)
    .unwrap();
    let c = &snap.slot("hero").unwrap().candidates[0];
    let ctxs: Vec<Ctx> = c
        .template
        .parts
        .iter()
        .filter_map(|p| match p {
            Part::Attr { ctx, .. } => Some(*ctx),
            _ => None,
        })
        .collect();
    assert_eq!(ctxs, [Ctx::Url, Ctx::Attr, Ctx::Text]);
    assert!(c.template.parts.contains(&Part::Message));
    assert_eq!(c.messages.len(), 1);
}

#[test]
fn schedules_compile_to_utc_seconds() {
    let snap = one(&format!(
        "{BASIC}schedule = {{ start = 2026-12-01T00:00:00+01:00, end = 2026-12-02T00:00:00Z }}\n"
    ))
    .unwrap();
    let w = snap.slot("hero").unwrap().candidates[0].schedule.unwrap();
    assert_eq!(w.start, Some(1_796_079_600));
    assert_eq!(w.end, Some(1_796_169_600));
}

#[test]
fn every_expression_kind_compiles() {
    let snap = one(r#"
[[campaign]]
id = "c"
slot = "hero"
when = { all = [
  { anonymous = false },
  { attr = "tier", in = ["gold", "silver"] },
  { attr = "aov", gt = 50.5, lt = 500 },
  { attr = "bought", contains = "p0001" },
  { attr = "promo", exists = true },
  { attr = "vip", eq = true },
  { path = "/c/*" },
  { param = "utm_source", value = "newsletter" },
  { referrer = "*google*" },
  { country = ["de", "AT"] },
  { device = "mobile" },
  { viewed = "current", at_least = 3, within = "7d" },
  { category_views = "dog", at_least = 2 },
  { visits = 2 },
  { not = { returning = false } },
] }
html = "x"
"#)
    .unwrap();
    let c = &snap.slot("hero").unwrap().candidates[0];
    let text = diff::expr_text(&snap, &c.when);
    for needle in [
        "tier in",
        "aov > 50.5",
        "path ~ /c/*",
        "?utm_source=newsletter",
        "country in [DE,AT]",
        "device mobile",
        "viewed current product >= 3 times in 604800s",
        "category dog views >= 2",
        "visits >= 2",
        "not new visitor",
    ] {
        assert!(text.contains(needle), "{needle} missing in {text}");
    }
}
