//! Evaluating compiled expressions against a [`Context`]: one recursive pass over borrowed
//! data, no allocation.

use super::context::Context;
use crate::cookie::{AttrValue, VerifiedProfile};
use crate::snapshot::expr::{ActivityTest, Expr, RequestTest, Test, Value};
use crate::snapshot::Snapshot;

/// Whether `expr` holds for the request in `ctx`. The tests of a profile attribute, the
/// activity and the request are not inlined here: the evaluator runs for every rule, so a cold
/// isolate compiles it early, and it stays small (BENCHMARKS.md, "Ninth pass").
pub fn holds(expr: &Expr, snap: &Snapshot, ctx: &Context<'_>) -> bool {
    let profile = ctx.identity.profile();
    match expr {
        Expr::True => true,
        Expr::Anonymous => profile.is_none(),
        Expr::Segment(s) => profile.is_some_and(|p| p.in_segment(snap.text(*s))),
        Expr::Attr { name, test } => attr(profile, snap.text(*name), test, snap),
        Expr::Activity(a) => activity(a, snap, ctx),
        Expr::Request(r) => request(r, snap, ctx),
        Expr::All(list) => list.iter().all(|e| holds(e, snap, ctx)),
        Expr::Any(list) => list.iter().any(|e| holds(e, snap, ctx)),
        Expr::Not(e) => !holds(e, snap, ctx),
        // Variants added by later schema versions fail closed.
        #[allow(unreachable_patterns)]
        _ => false,
    }
}

#[inline(never)]
fn attr(profile: Option<&VerifiedProfile>, name: &str, test: &Test, snap: &Snapshot) -> bool {
    let value = profile.and_then(|p| p.attrs.0.get(name));
    let Some(value) = value else {
        return matches!(test, Test::Exists(false));
    };
    let number = match value {
        AttrValue::Number(n) => Some(*n),
        _ => None,
    };
    match test {
        Test::Exists(want) => *want,
        Test::Eq(v) => equals(value, v, snap),
        Test::In(list) => list.iter().any(|v| equals(value, v, snap)),
        Test::Gte(x) => number.is_some_and(|n| n >= *x),
        Test::Lte(x) => number.is_some_and(|n| n <= *x),
        Test::Gt(x) => number.is_some_and(|n| n > *x),
        Test::Lt(x) => number.is_some_and(|n| n < *x),
        Test::Contains(s) => {
            matches!(value, AttrValue::List(items) if items.iter().any(|i| i == snap.text(*s)))
        }
        #[allow(unreachable_patterns)]
        _ => false,
    }
}

fn equals(value: &AttrValue, literal: &Value, snap: &Snapshot) -> bool {
    match (value, literal) {
        (AttrValue::Text(t), Value::Text(s)) => t == snap.text(*s),
        (AttrValue::Number(n), Value::Number(x)) => n == x,
        (AttrValue::Bool(b), Value::Bool(x)) => b == x,
        _ => false,
    }
}

#[inline(never)]
fn activity(test: &ActivityTest, snap: &Snapshot, ctx: &Context<'_>) -> bool {
    let a = ctx.activity;
    match test {
        ActivityTest::ViewedProduct {
            product,
            at_least,
            within_secs,
        } => {
            let id = match product {
                Some(s) => Some(snap.text(*s)),
                None => ctx.request.product,
            };
            match (id, ctx.now) {
                (Some(id), Some(now)) => {
                    a.product_views(id, *within_secs, now) >= u32::from(*at_least)
                }
                _ => false,
            }
        }
        ActivityTest::CategoryViews { category, at_least } => {
            a.category_views(snap.text(*category)) >= u32::from(*at_least)
        }
        ActivityTest::Visits(n) => a.visits() >= u32::from(*n),
        ActivityTest::Returning(want) => (a.visits() > 1) == *want,
        #[allow(unreachable_patterns)]
        _ => false,
    }
}

#[inline(never)]
fn request(test: &RequestTest, snap: &Snapshot, ctx: &Context<'_>) -> bool {
    let r = &ctx.request;
    match test {
        RequestTest::Path(glob) => glob_match(snap.text(*glob), r.path),
        RequestTest::Param { name, value } => {
            let (name, value) = (snap.text(*name), snap.text(*value));
            r.query.split('&').any(|pair| {
                let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
                k == name && v == value
            })
        }
        RequestTest::Referrer(glob) => r.referrer.is_some_and(|x| glob_match(snap.text(*glob), x)),
        RequestTest::Country(list) => r
            .country
            .is_some_and(|c| list.iter().any(|s| snap.text(*s).eq_ignore_ascii_case(c))),
        RequestTest::Device(d) => r.device == Some(*d),
        RequestTest::LocalTime { from, to } => r.local_minutes.is_some_and(|m| {
            if from <= to {
                (*from..*to).contains(&m)
            } else {
                m >= *from || m < *to
            }
        }),
        RequestTest::Utm { field, glob } => {
            let glob = snap.text(*glob);
            form_urlencoded::parse(r.query.as_bytes())
                .find(|(k, _)| k == field.param())
                .is_some_and(|(_, v)| glob_match_by(glob, &v, u8::eq_ignore_ascii_case))
        }
        #[allow(unreachable_patterns)]
        _ => false,
    }
}

/// `*` matches any run of bytes (including none); everything else matches itself.
pub fn glob_match(pattern: &str, text: &str) -> bool {
    glob_match_by(pattern, text, |a, b| a == b)
}

/// [`glob_match`] with `same` deciding whether two bytes match (for example ignoring case).
fn glob_match_by(pattern: &str, text: &str, same: impl Fn(&u8, &u8) -> bool) -> bool {
    let (p, t) = (pattern.as_bytes(), text.as_bytes());
    let (mut pi, mut ti) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        match p.get(pi) {
            Some(b'*') => {
                star = Some((pi, ti));
                pi += 1;
            }
            Some(c) if same(c, &t[ti]) => {
                pi += 1;
                ti += 1;
            }
            _ => match star {
                Some((sp, st)) => {
                    pi = sp + 1;
                    ti = st + 1;
                    star = Some((sp, st + 1));
                }
                None => return false,
            },
        }
    }
    p[pi.min(p.len())..].iter().all(|&c| c == b'*')
}

#[cfg(test)]
mod tests {
    use super::glob_match;

    macro_rules! globs {
        ($($name:ident: $p:expr, $t:expr => $want:expr,)*) => {$(
            #[test]
            fn $name() { assert_eq!(glob_match($p, $t), $want); }
        )*};
    }

    globs! {
        exact: "/c/dog", "/c/dog" => true,
        exact_differs: "/c/dog", "/c/cat" => false,
        prefix_star: "/c/*", "/c/dog" => true,
        star_matches_empty: "/c/*", "/c/" => true,
        star_not_prefix: "/c/*", "/p/x" => false,
        middle_star: "/p/*/reviews", "/p/p1/reviews" => true,
        middle_star_miss: "/p/*/reviews", "/p/p1/specs" => false,
        backtracking: "*ab*ab", "xabyabab" => true,
        only_star: "*", "" => true,
        longer_pattern: "/c/dog/x", "/c/dog" => false,
    }
}
