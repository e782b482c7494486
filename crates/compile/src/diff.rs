//! What changes between two snapshots, in marketer terms: segments, slots and campaigns
//! (variants) added, removed or changed, and catalog shards rewritten. Compared by name and
//! by resolved content, never by string-table position, so re-interning alone is no change.

use std::collections::BTreeMap;

use vitrine_core::snapshot::expr::{ActivityTest, Expr, RequestTest, Test, Value};
use vitrine_core::snapshot::Snapshot;
use vitrine_core::snapshot::{Candidate, Part, Template};

/// One line of a diff.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// Present only in the new snapshot.
    Added(String),
    /// Present only in the old snapshot.
    Removed(String),
    /// Present in both with different content.
    Changed(String),
}

impl std::fmt::Display for Change {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Added(s) => write!(f, "+ {s}"),
            Self::Removed(s) => write!(f, "- {s}"),
            Self::Changed(s) => write!(f, "~ {s}"),
        }
    }
}

/// Changes from `old` to `new`.
pub fn diff(old: &Snapshot, new: &Snapshot) -> Vec<Change> {
    let mut out = Vec::new();
    let segs = |s: &Snapshot| -> BTreeMap<String, String> {
        s.body()
            .segments
            .iter()
            .map(|d| (s.text(d.name).to_owned(), expr_text(s, &d.expr)))
            .collect()
    };
    compare(&mut out, "segment", &segs(old), &segs(new));
    compare(&mut out, "experiment", &experiments(old), &experiments(new));
    let slots = |s: &Snapshot| -> BTreeMap<String, String> {
        s.slots()
            .iter()
            .map(|sl| {
                let order: Vec<&str> = sl.candidates.iter().map(|c| s.text(c.campaign)).collect();
                (s.text(sl.name).to_owned(), order.join(" > "))
            })
            .collect()
    };
    compare(&mut out, "slot", &slots(old), &slots(new));
    let variants = |s: &Snapshot| -> BTreeMap<String, Vec<(&'static str, String)>> {
        s.slots()
            .iter()
            .flat_map(|sl| {
                sl.candidates.iter().map(move |c| {
                    let key = format!("{} in slot {}", s.text(c.campaign), s.text(sl.name));
                    (key, candidate_fields(s, c))
                })
            })
            .collect()
    };
    let (old_v, new_v) = (variants(old), variants(new));
    for (k, fields) in &new_v {
        match old_v.get(k) {
            None => out.push(Change::Added(format!("campaign {k}"))),
            Some(before) if before != fields => {
                let what: Vec<String> = fields
                    .iter()
                    .zip(before)
                    .filter(|((_, a), (_, b))| a != b)
                    .map(|((name, a), (_, b))| {
                        let (was, now) = delta(b, a);
                        format!("{name} {was} → {now}")
                    })
                    .collect();
                out.push(Change::Changed(format!(
                    "campaign {k}: {}",
                    what.join("; ")
                )));
            }
            Some(_) => {}
        }
    }
    for k in old_v.keys().filter(|k| !new_v.contains_key(*k)) {
        out.push(Change::Removed(format!("campaign {k}")));
    }
    let shards = |s: &Snapshot| {
        s.body()
            .catalog
            .as_ref()
            .map(|c| (c.products, c.shards.clone()))
    };
    match (shards(old), shards(new)) {
        (None, Some((n, _))) => out.push(Change::Added(format!("catalog of {n} products"))),
        (Some(_), None) => out.push(Change::Removed("catalog".into())),
        (Some((a, sa)), Some((b, sb))) if sa != sb => {
            let rewritten = sb.iter().filter(|h| !sa.contains(h)).count();
            out.push(Change::Changed(format!(
                "catalog: {a} → {b} products, {rewritten} of {} shards rewritten",
                sb.len()
            )));
        }
        _ => {}
    }
    out
}

fn compare(
    out: &mut Vec<Change>,
    kind: &str,
    old: &BTreeMap<String, String>,
    new: &BTreeMap<String, String>,
) {
    for (k, v) in new {
        match old.get(k) {
            None => out.push(Change::Added(format!("{kind} {k}"))),
            Some(o) if o != v => out.push(Change::Changed(format!("{kind} {k}: {o}  →  {v}"))),
            Some(_) => {}
        }
    }
    for k in old.keys().filter(|k| !new.contains_key(*k)) {
        out.push(Change::Removed(format!("{kind} {k}")));
    }
}

/// Experiments by key, as `holdout 1000 bp; control:1 shipping:1` (and a bandit's split per
/// context), plus the global holdout.
fn experiments(s: &Snapshot) -> BTreeMap<String, String> {
    let mut out: BTreeMap<String, String> = s
        .body()
        .experiments
        .iter()
        .map(|e| {
            let arms: Vec<String> = e
                .arms
                .iter()
                .map(|a| format!("{}:{}", s.text(a.name), a.weight))
                .collect();
            let mut text = format!("holdout {} bp; {}", e.holdout_bp, arms.join(" "));
            // A bandit's learned split per context, as its exposures log it.
            if let Some(b) = &e.bandit {
                for c in &b.contexts {
                    text.push_str(&format!(
                        "; {}: {}",
                        s.text(c.name),
                        s.text(c.allocation.split)
                    ));
                }
                text.push_str(&format!(
                    "; {}: {}",
                    vitrine_core::decide::experiment::EVERYONE_ELSE,
                    s.text(b.rest.split)
                ));
            }
            (s.text(e.key).to_owned(), text)
        })
        .collect();
    if s.body().global_holdout_bp > 0 {
        out.insert(
            "(global holdout)".into(),
            format!("{} bp", s.body().global_holdout_bp),
        );
    }
    out
}

/// A candidate's comparable fields, in a fixed order.
fn candidate_fields(s: &Snapshot, c: &Candidate) -> Vec<(&'static str, String)> {
    let messages: Vec<String> = c
        .messages
        .iter()
        .map(|m| {
            format!(
                "{} {:?}",
                expr_text(s, &m.when),
                template_text(s, &m.template)
            )
        })
        .collect();
    vec![
        ("priority", c.priority.to_string()),
        ("op", c.op.keyword().to_owned()),
        ("targeting", expr_text(s, &c.when)),
        ("html", format!("{:?}", template_text(s, &c.template))),
        ("messages", messages.join(" | ")),
        (
            "schedule",
            format!("{:?}", c.schedule.map(|w| (w.start, w.end))),
        ),
        (
            "product",
            c.product.map_or(String::new(), |p| s.text(p).to_owned()),
        ),
        ("arm", arm_text(s, c)),
        (
            "offer",
            c.offer
                .map_or(String::new(), |o| format!("{} min", o.secs / 60)),
        ),
        ("recommend", recommend_text(s, c)),
    ]
}

/// `4 items (min 2) from also_viewed, recently viewed, … : "<li>…</li>"`.
fn recommend_text(s: &Snapshot, c: &Candidate) -> String {
    use vitrine_core::snapshot::recommend::Strategy;
    let Some(r) = &c.recommend else {
        return String::new();
    };
    let tables = s
        .body()
        .catalog
        .as_ref()
        .map(|c| &c.tables[..])
        .unwrap_or(&[]);
    let strategies: Vec<String> = r
        .strategies
        .iter()
        .map(|st| match *st {
            Strategy::RecentlyViewed => "recently viewed".to_owned(),
            Strategy::Related { table } => tables
                .get(table as usize)
                .map_or("?".to_owned(), |t| s.text(*t).to_owned()),
            Strategy::List { name } => s.text(name).to_owned(),
            Strategy::ListByAttr { name, attr } => {
                format!("{} by {}", s.text(name), s.text(attr))
            }
            Strategy::ListBySegment { name } => format!("{} by segment", s.text(name)),
            #[allow(unreachable_patterns)]
            _ => "?".to_owned(),
        })
        .collect();
    format!(
        "{} items (min {}) from {}: {:?}",
        r.items,
        r.min,
        strategies.join(", "),
        template_text(s, &r.item)
    )
}

/// `experiment/arm` of a candidate that is an experiment arm.
fn arm_text(s: &Snapshot, c: &Candidate) -> String {
    let Some(r) = c.arm else {
        return String::new();
    };
    let e = s.body().experiments.get(r.experiment as usize);
    let arm = e.and_then(|e| e.arms.get(r.arm as usize));
    match (e, arm) {
        (Some(e), Some(a)) => format!("{}/{}", s.text(e.key), s.text(a.name)),
        _ => String::new(),
    }
}

/// The part of two values that differs, with a little context, for one diff line.
fn delta(old: &str, new: &str) -> (String, String) {
    const CONTEXT: usize = 12;
    const WIDTH: usize = 48;
    let (a, b): (Vec<char>, Vec<char>) = (old.chars().collect(), new.chars().collect());
    let prefix = a.iter().zip(&b).take_while(|(x, y)| x == y).count();
    let max_suffix = a.len().min(b.len()) - prefix;
    let suffix = a
        .iter()
        .rev()
        .zip(b.iter().rev())
        .take(max_suffix)
        .take_while(|(x, y)| x == y)
        .count();
    let start = prefix.saturating_sub(CONTEXT);
    let show = |v: &[char]| {
        let end = (v.len() - suffix + CONTEXT).min(v.len());
        let mut out: String = v[start..end].iter().take(WIDTH).collect();
        if start > 0 {
            out.insert(0, '…');
        }
        if end - start > WIDTH || end < v.len() {
            out.push('…');
        }
        out
    };
    (show(&a), show(&b))
}

/// A one-line description of a candidate.
pub fn candidate_text(s: &Snapshot, c: &Candidate) -> String {
    let mut out = format!(
        "priority {} {} when {} html {:?}",
        c.priority,
        c.op.keyword(),
        expr_text(s, &c.when),
        template_text(s, &c.template)
    );
    for m in &c.messages {
        out.push_str(&format!(
            "; message when {} {:?}",
            expr_text(s, &m.when),
            template_text(s, &m.template)
        ));
    }
    if let Some(w) = c.schedule {
        out.push_str(&format!("; schedule {:?}..{:?}", w.start, w.end));
    }
    out
}

/// Template text with placeholders written back as `{{…}}`.
pub fn template_text(s: &Snapshot, t: &Template) -> String {
    t.parts
        .iter()
        .map(|p| match p {
            Part::Lit(x) => s.text(*x).to_owned(),
            Part::Attr { name, .. } => format!("{{{{attr.{}}}}}", s.text(*name)),
            Part::Message => "{{message}}".into(),
            Part::Product { field, .. } => format!("{{{{product.{field:?}}}}}").to_lowercase(),
            Part::OfferExpires { .. } => "{{offer.expires}}".into(),
            Part::Items => "{{items}}".into(),
        })
        .collect()
}

/// An expression as readable text (`loyal and not (dog_owner)`).
pub fn expr_text(s: &Snapshot, e: &Expr) -> String {
    let join = |list: &[Expr], sep: &str| {
        let parts: Vec<String> = list.iter().map(|x| expr_text(s, x)).collect();
        format!("({})", parts.join(sep))
    };
    match e {
        Expr::True => "everyone".into(),
        Expr::Anonymous => "anonymous".into(),
        Expr::Segment(x) => s.text(*x).to_owned(),
        Expr::Attr { name, test } => format!("{} {}", s.text(*name), test_text(s, test)),
        Expr::Activity(a) => match a {
            ActivityTest::ViewedProduct {
                product,
                at_least,
                within_secs,
            } => format!(
                "viewed {} >= {at_least} times in {within_secs}s",
                product.map_or("current product", |p| s.text(p))
            ),
            ActivityTest::CategoryViews { category, at_least } => {
                format!("category {} views >= {at_least}", s.text(*category))
            }
            ActivityTest::Visits(n) => format!("visits >= {n}"),
            ActivityTest::Returning(b) => {
                if *b {
                    "returning".into()
                } else {
                    "new visitor".into()
                }
            }
        },
        Expr::Request(r) => match r {
            RequestTest::Path(g) => format!("path ~ {}", s.text(*g)),
            RequestTest::Param { name, value } => format!("?{}={}", s.text(*name), s.text(*value)),
            RequestTest::Referrer(g) => format!("referrer ~ {}", s.text(*g)),
            RequestTest::Country(list) => format!(
                "country in [{}]",
                list.iter()
                    .map(|c| s.text(*c))
                    .collect::<Vec<_>>()
                    .join(",")
            ),
            RequestTest::Device(d) => format!("device {}", d.keyword()),
            RequestTest::LocalTime { from, to } => format!(
                "local time {:02}:{:02}-{:02}:{:02}",
                from / 60,
                from % 60,
                to / 60,
                to % 60
            ),
            RequestTest::Utm { field, glob } => {
                format!("{} ~ {}", field.param(), s.text(*glob))
            }
        },
        Expr::All(list) => join(list, " and "),
        Expr::Any(list) => join(list, " or "),
        Expr::Not(x) => format!("not {}", expr_text(s, x)),
    }
}

fn test_text(s: &Snapshot, t: &Test) -> String {
    let v = |v: &Value| match v {
        Value::Text(x) => format!("{:?}", s.text(*x)),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
    };
    match t {
        Test::Exists(b) => {
            if *b {
                "exists".into()
            } else {
                "missing".into()
            }
        }
        Test::Eq(x) => format!("= {}", v(x)),
        Test::In(list) => format!("in [{}]", list.iter().map(v).collect::<Vec<_>>().join(", ")),
        Test::Gte(n) => format!(">= {n}"),
        Test::Lte(n) => format!("<= {n}"),
        Test::Gt(n) => format!("> {n}"),
        Test::Lt(n) => format!("< {n}"),
        Test::Contains(x) => format!("contains {:?}", s.text(*x)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delta_shows_the_changed_region_with_context() {
        let (a, b) = delta(
            "<b>Welcome! 10% off your first order</b>",
            "<b>Welcome! 20% off</b>",
        );
        assert_eq!(a, "<b>Welcome! 10% off your first order</b>");
        assert_eq!(b, "<b>Welcome! 20% off</b>");
        let long = "x".repeat(100);
        let (a, b) = delta(&format!("{long}A{long}"), &format!("{long}B{long}"));
        assert_eq!(a, format!("…{}A{}…", "x".repeat(12), "x".repeat(12)));
        assert_eq!(b, format!("…{}B{}…", "x".repeat(12), "x".repeat(12)));
        assert_eq!(delta("same", "same"), ("same".into(), "same".into()));
    }

    #[test]
    fn reweighting_an_experiment_and_changing_an_offer_show_in_the_diff() {
        use crate::{compile, Source};
        let text = r#"
[experiments.hero]
arms = [{ name = "a", weight = 1 }, { name = "b", weight = 1 }]

[[campaign]]
id = "hero-b"
slot = "hero"
audience = "everyone"
experiment = "hero"
arm = "b"
offer_minutes = 30
when = { viewed = "current", at_least = 3 }
html = "until {{offer.expires}}"
"#;
        let build = |t: &str| {
            compile(&[Source {
                name: "t.toml",
                text: t,
            }])
            .unwrap()
        };
        let old = build(text);
        let new = build(
            &text
                .replace("weight = 1 }]", "weight = 3 }]")
                .replace("offer_minutes = 30", "offer_minutes = 45"),
        );
        let changes: Vec<String> = diff(&old, &new).iter().map(|c| c.to_string()).collect();
        assert!(
            changes
                .iter()
                .any(|c| c.contains("experiment hero") && c.contains("b:3")),
            "{changes:?}"
        );
        assert!(
            changes.iter().any(|c| c.contains("offer 30 min → 45 min")),
            "{changes:?}"
        );
    }
}
