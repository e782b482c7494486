//! The decision trace as one header value (`x-vitrine-explain`), for marketers holding a
//! valid preview token: why each slot got its content, and which rule of each candidate
//! matched or failed.
//!
//! The value is compact and header-safe: visible ASCII only (anything else is
//! percent-escaped), at most [`MAX_EXPLAIN_BYTES`], cut at an entry boundary with a `…`
//! marker. It names campaigns, slots, segments, attribute *names* and the request facts the
//! rules read (country, device class, local time), never attribute values, tokens, cookies or
//! visitor ids. Built only for preview requests, never on the normal path.
//!
//! ```text
//! v=37c1a0d2e4f6; now=1798106400; facts=country:DE device:mobile local:11:00 product:-;
//! hero: loyal-hero=chosen(seg:loyal) welcome-hero=not_reached;
//! promo-strip: loyal-strip=chosen(seg:loyal) strip-shipping=not_reached; arms=strip-copy:shipping
//! ```
//! (one line in the header; wrapped here).

use super::context::Context;
use super::eval::holds;
use super::explain::explain;
use super::Exposure;
use super::Verdict;
use crate::snapshot::expr::{ActivityTest, Expr, RequestTest};
use crate::snapshot::Snapshot;

/// Longest `x-vitrine-explain` value, in bytes.
pub const MAX_EXPLAIN_BYTES: usize = 4096;

/// Longest description of one rule, in bytes.
const MAX_RULE_BYTES: usize = 96;

/// The `x-vitrine-explain` value for the request in `ctx`, with the experiments it exposed.
pub fn explain_header(
    snapshot: &Snapshot,
    ctx: &Context<'_>,
    exposures: &[Exposure<'_>],
) -> String {
    let mut entries: Vec<String> = vec![
        format!(
            "v={}",
            snapshot.version().get(..12).unwrap_or(snapshot.version())
        ),
        format!("now={}", ctx.now.map_or("-".to_owned(), |n| n.to_string())),
        format!("facts={}", facts(ctx)),
    ];
    for ((slot, rows), compiled) in explain(snapshot, ctx).into_iter().zip(snapshot.slots()) {
        let mut entry = format!("{}:", header_safe(slot));
        for ((campaign, verdict), candidate) in rows.iter().zip(&compiled.candidates) {
            entry.push(' ');
            entry.push_str(&header_safe(campaign));
            entry.push('=');
            entry.push_str(verdict.code());
            let rule = match verdict {
                Verdict::Chosen => Some(matched(&candidate.when, snapshot, ctx)),
                Verdict::NoMatch => Some(failed(&candidate.when, snapshot, ctx)),
                _ => None,
            };
            if let Some(rule) = rule {
                entry.push('(');
                entry.push_str(&bounded(header_safe(&rule)));
                entry.push(')');
            }
        }
        entries.push(entry);
    }
    if !exposures.is_empty() {
        let arms: Vec<String> = exposures
            .iter()
            .map(|e| header_safe(&format!("{}:{}", e.experiment, e.arm)))
            .collect();
        entries.push(format!("arms={}", arms.join(",")));
    }
    join_bounded(&entries)
}

/// The request facts rules read; `-` when unknown.
fn facts(ctx: &Context<'_>) -> String {
    let r = &ctx.request;
    let local = r
        .local_minutes
        .map_or("-".to_owned(), |m| format!("{:02}:{:02}", m / 60, m % 60));
    header_safe(&format!(
        "country:{} device:{} local:{} referrer:{} product:{}",
        r.country.unwrap_or("-"),
        r.device.map_or("-", |d| d.keyword()),
        local,
        if r.referrer.is_some() { "yes" } else { "no" },
        r.product.unwrap_or("-"),
    ))
}

/// The rule that made `expr` hold.
fn matched(expr: &Expr, snap: &Snapshot, ctx: &Context<'_>) -> String {
    match expr {
        Expr::All(list) if !list.is_empty() => {
            let parts: Vec<String> = list.iter().map(|e| matched(e, snap, ctx)).collect();
            parts.join("&")
        }
        Expr::Any(list) => list
            .iter()
            .find(|e| holds(e, snap, ctx))
            .map_or_else(|| leaf(expr, snap), |e| matched(e, snap, ctx)),
        _ => leaf(expr, snap),
    }
}

/// The first rule that made `expr` fail.
fn failed(expr: &Expr, snap: &Snapshot, ctx: &Context<'_>) -> String {
    match expr {
        Expr::All(list) => list
            .iter()
            .find(|e| !holds(e, snap, ctx))
            .map_or_else(|| leaf(expr, snap), |e| failed(e, snap, ctx)),
        Expr::Any(list) => format!("none of {}", composite(list, "|", snap)),
        Expr::Not(inner) => format!("not {}", matched(inner, snap, ctx)),
        _ => leaf(expr, snap),
    }
}

/// One condition, by kind and the campaign's own operand (never the visitor's value).
fn leaf(expr: &Expr, s: &Snapshot) -> String {
    match expr {
        Expr::True => "everyone".into(),
        Expr::Anonymous => "anonymous".into(),
        Expr::Segment(x) => format!("seg:{}", s.text(*x)),
        Expr::Attr { name, .. } => format!("attr:{}", s.text(*name)),
        Expr::Activity(a) => match a {
            ActivityTest::ViewedProduct {
                product, at_least, ..
            } => format!(
                "viewed:{}>={at_least}",
                product.map_or("current", |p| s.text(p))
            ),
            ActivityTest::CategoryViews { category, at_least } => {
                format!("category_views:{}>={at_least}", s.text(*category))
            }
            ActivityTest::Visits(n) => format!("visits>={n}"),
            ActivityTest::Returning(true) => "returning".into(),
            ActivityTest::Returning(false) => "new_visitor".into(),
        },
        Expr::Request(r) => match r {
            RequestTest::Path(g) => format!("path:{}", s.text(*g)),
            RequestTest::Param { name, .. } => format!("param:{}", s.text(*name)),
            RequestTest::Referrer(g) => format!("referrer:{}", s.text(*g)),
            RequestTest::Country(list) => {
                let codes: Vec<&str> = list.iter().map(|c| s.text(*c)).collect();
                format!("country:{}", codes.join(","))
            }
            RequestTest::Device(d) => format!("device:{}", d.keyword()),
            RequestTest::LocalTime { from, to } => format!(
                "local_time:{:02}:{:02}-{:02}:{:02}",
                from / 60,
                from % 60,
                to / 60,
                to % 60
            ),
            RequestTest::Utm { field, glob } => format!("{}:{}", field.param(), s.text(*glob)),
        },
        Expr::All(list) => composite(list, "&", s),
        Expr::Any(list) => composite(list, "|", s),
        Expr::Not(inner) => format!("not {}", leaf(inner, s)),
    }
}

fn composite(list: &[Expr], sep: &str, s: &Snapshot) -> String {
    match list {
        [] => "everyone".into(),
        [one] => leaf(one, s),
        many => {
            let parts: Vec<String> = many.iter().map(|e| leaf(e, s)).collect();
            format!("({})", parts.join(sep))
        }
    }
}

/// `text` with everything but visible ASCII (and the entry separator `;` and `%`)
/// percent-escaped, so it is always a valid header value that parses back unambiguously.
pub fn header_safe(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if (0x20..0x7f).contains(&b) && !matches!(b, b';' | b'%') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn bounded(mut rule: String) -> String {
    if rule.len() > MAX_RULE_BYTES {
        // ASCII only (header_safe), so any index is a char boundary.
        rule.truncate(MAX_RULE_BYTES - 3);
        rule.push_str("...");
    }
    rule
}

/// Entries joined by `; `, cut at an entry boundary to stay within [`MAX_EXPLAIN_BYTES`].
fn join_bounded(entries: &[String]) -> String {
    const CUT: &str = "; ...";
    let mut out = String::new();
    for (i, entry) in entries.iter().enumerate() {
        let sep = if i == 0 { "" } else { "; " };
        if out.len() + sep.len() + entry.len() + CUT.len() > MAX_EXPLAIN_BYTES {
            out.push_str(CUT);
            break;
        }
        out.push_str(sep);
        out.push_str(entry);
    }
    out
}
