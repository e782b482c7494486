//! Product recommendations: which products a recommendation candidate shows.
//!
//! A candidate asks for `items` products and lists strategies in fallback order. The walk
//! takes each strategy's products best first (by id, or by place for a related table) and
//! keeps one only if it is not the current page's product, not one the visitor bought
//! (profile attribute [`PURCHASED_ATTR`]), loaded and in stock, and not already shown on this
//! page (by this slot or an earlier one: slots are decided in name order); it stops once
//! `items` are found. Fewer than `min` and the candidate does not qualify, so the slot falls
//! through to its next candidate.
//!
//! Deterministic: the same snapshot (with the same shards loaded), visitor, activity and
//! request give the same products in the same order. No allocation besides the decision's
//! one list of chosen products. The worker loads the shards a request needs first
//! ([`missing_shards`]); a product whose shard is not loaded is skipped like a sold-out one.

use super::context::Context;
use super::Verdict;
use crate::cookie::AttrValue;
use crate::snapshot::catalog::{shard_of, Product, ProductKey, Related};
use crate::snapshot::recommend::{Recommend, Strategy};
use crate::snapshot::{Candidate, Snapshot, Sym};

/// The profile attribute listing the product ids a visitor bought (a list of strings, or one
/// string): never recommended, and a campaign bound to such a product does not show.
pub const PURCHASED_ATTR: &str = "purchased";

/// A product a strategy offers: by id (activity, lists) or by where it is stored (a related
/// table of the anchor product).
#[derive(Clone, Copy)]
enum Offered<'x> {
    Id(&'x str),
    At(ProductKey),
}

/// What a strategy offers, best first (borrowed from the activity or the snapshot), read one
/// at a time.
enum Candidates<'x> {
    /// The next index into the recently viewed products.
    Recent(usize),
    Related(Related<'x>),
    Syms(std::slice::Iter<'x, Sym>),
    Empty,
}

impl<'x> Candidates<'x> {
    fn next<'s: 'x>(&mut self, snap: &'s Snapshot, ctx: &Context<'x>) -> Option<Offered<'x>> {
        match self {
            Self::Recent(i) => {
                let id = ctx.activity.recent(*i)?;
                *i += 1;
                Some(Offered::Id(id))
            }
            Self::Related(keys) => keys.next().map(Offered::At),
            Self::Syms(syms) => syms.next().map(|s| Offered::Id(snap.text(*s))),
            Self::Empty => None,
        }
    }
}

/// Whether the visitor's profile says they bought `id`.
pub fn purchased(ctx: &Context<'_>, id: &str) -> bool {
    is_in(bought(ctx), id)
}

fn is_in(bought: Option<&AttrValue>, id: &str) -> bool {
    match bought {
        Some(AttrValue::List(items)) => items.iter().any(|i| i == id),
        Some(AttrValue::Text(t)) => t == id,
        _ => false,
    }
}

fn bought<'a>(ctx: &Context<'a>) -> Option<&'a AttrValue> {
    ctx.identity.profile()?.attrs.0.get(PURCHASED_ATTR)
}

/// The product the related strategies start from: the current page's, else the latest viewed.
fn anchor<'x>(ctx: &Context<'x>) -> Option<&'x str> {
    ctx.request.product.or_else(|| ctx.activity.recent(0))
}

fn source<'x, 's: 'x>(s: &Strategy, snap: &'s Snapshot, ctx: &Context<'x>) -> Candidates<'x> {
    let Some(catalog) = &snap.body().catalog else {
        return Candidates::Empty;
    };
    let lists = catalog.lists.iter();
    let found = match *s {
        Strategy::RecentlyViewed => return Candidates::Recent(0),
        Strategy::Related { table } => {
            let related = anchor(ctx)
                .and_then(|id| snap.product(id))
                .map(|p| p.related(table as usize));
            return related.map_or(Candidates::Empty, Candidates::Related);
        }
        Strategy::List { name } => lists
            .filter(|l| l.name == name && l.key.is_none())
            .map(|l| &l.products[..])
            .next(),
        Strategy::ListByAttr { name, attr } => {
            let value = ctx
                .identity
                .profile()
                .and_then(|p| p.attrs.0.get(snap.text(attr)));
            let key = match value {
                Some(AttrValue::Text(t)) => Some(t.as_str()),
                Some(AttrValue::List(items)) => items.first().map(String::as_str),
                _ => None,
            };
            key.and_then(|k| {
                lists
                    .filter(|l| l.name == name)
                    .find(|l| l.key.is_some_and(|lk| snap.text(lk) == k))
                    .map(|l| &l.products[..])
            })
        }
        Strategy::ListBySegment { name } => lists
            .filter(|l| l.name == name)
            .find(|l| l.key.is_some_and(|k| in_segment(snap, ctx, k)))
            .map(|l| &l.products[..]),
    };
    found.map_or(Candidates::Empty, |syms| Candidates::Syms(syms.iter()))
}

/// The visitor holds segment `key`: their cookie lists it, or the named segment holds.
fn in_segment(snap: &Snapshot, ctx: &Context<'_>, key: Sym) -> bool {
    let name = snap.text(key);
    let listed = ctx.identity.profile().is_some_and(|p| p.in_segment(name));
    listed
        || snap
            .body()
            .segments
            .iter()
            .find(|d| snap.text(d.name) == name)
            .is_some_and(|d| super::eval::holds(&d.expr, snap, ctx))
}

/// Appends the candidate's products to `shown` (everything already on the page) and returns
/// how many it added; with fewer than `min` it adds none and says so.
pub fn pick<'s>(
    r: &Recommend,
    snap: &'s Snapshot,
    ctx: &Context<'_>,
    shown: &mut Vec<Product<'s>>,
) -> Result<usize, Verdict> {
    let start = shown.len();
    let want = usize::from(r.items);
    let bought = bought(ctx);
    for s in &r.strategies {
        if shown.len() - start >= want {
            break;
        }
        let mut src = source(s, snap, ctx);
        while shown.len() - start < want {
            let Some(offered) = src.next(snap, ctx) else {
                break;
            };
            if let Some(p) = eligible(offered, snap, ctx, bought, shown) {
                shown.push(p);
            }
        }
    }
    let got = shown.len() - start;
    if got < usize::from(r.min) {
        shown.truncate(start);
        return Err(Verdict::TooFewItems);
    }
    Ok(got)
}

fn eligible<'s>(
    offered: Offered<'_>,
    snap: &'s Snapshot,
    ctx: &Context<'_>,
    bought: Option<&AttrValue>,
    shown: &[Product<'s>],
) -> Option<Product<'s>> {
    let p = match offered {
        Offered::Id(id) => snap.product(id),
        Offered::At(key) => snap.product_at(key),
    }
    .filter(|p| p.in_stock)?;
    let fresh = ctx.request.product != Some(p.id) && !is_in(bought, p.id);
    (fresh && !shown.iter().any(|q| q.key == p.key)).then_some(p)
}

/// Catalog shards this request's recommendations would read that are not loaded yet, for
/// candidates that otherwise qualify. Call, load them, and call again: the second round finds
/// the shards of the anchor product's related ids (its table lives in its own shard). Each
/// strategy asks for at most twice its candidate's item count.
pub fn missing_shards(snap: &Snapshot, ctx: &Context<'_>) -> Vec<usize> {
    if snap.all_shards_loaded() {
        return Vec::new();
    }
    let count = snap.body().catalog.as_ref().map_or(0, |c| c.shards.len());
    let mut out = Vec::new();
    let mut need = |offered: Offered<'_>| {
        let n = match offered {
            Offered::Id(id) => shard_of(id, count),
            Offered::At(key) => key.shard as usize,
        };
        if !snap.shard_loaded(n) && !out.contains(&n) {
            out.push(n);
        }
    };
    for c in snap.slots().iter().flat_map(|s| &s.candidates) {
        let Some(r) = wanted(c, snap, ctx) else {
            continue;
        };
        for s in &r.strategies {
            if let (Strategy::Related { .. }, Some(a)) = (s, anchor(ctx)) {
                need(Offered::Id(a));
            }
            let mut src = source(s, snap, ctx);
            for _ in 0..2 * usize::from(r.items) {
                match src.next(snap, ctx) {
                    Some(offered) => need(offered),
                    None => break,
                }
            }
        }
    }
    out.sort_unstable();
    out
}

fn wanted<'c>(c: &'c Candidate, snap: &Snapshot, ctx: &Context<'_>) -> Option<&'c Recommend> {
    let r = c.recommend.as_ref()?;
    (super::qualifies(c, snap, ctx) == Verdict::Chosen).then_some(r)
}
