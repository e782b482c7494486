//! Training: events in, one at a time; item-to-item tables and trending lists out.
//!
//! **What is counted.** A view commits to the visitor's history; a product first seen within
//! [`Options::window_secs`] of the visitor's other recent products forms a co-view pair with
//! each of them (a product seen again within the window only refreshes its time, so reloading
//! a page adds nothing). A conversion naming products pairs them with each other and with the
//! visitor's other purchases within the window. Events without a visitor (no consent) and
//! other kinds are ignored.
//!
//! **How pairs are scored.** Cosine: `w(a,b) / sqrt(n(a) n(b))`, where `w` is the decayed
//! pair weight and `n` the decayed count of (first-in-window) views or purchases; a pair needs
//! [`Options::min_support`] raw co-occurrences. Dividing by both counts is what keeps popular
//! items from topping every table. Each table keeps the [`Options::top_k`] best, ties broken by
//! first appearance in the input, and never the product itself.
//!
//! **Time decay.** Every count is weighted by `2^((t − t0) / half_life)` (forward decay: a
//! ratio of two decayed counts equals the ratio of the same counts decayed back from any later
//! moment, so nothing needs the end of the stream); trending uses its own, shorter, half-life.
//! The weights are rebased by `2^-64` when they grow past `2^64`, so any time span fits.
//!
//! **Memory bound.** State is bounded by the options alone, whatever the input size:
//! at most [`Options::max_visitors`] visitors of a fixed [`HISTORY`] + [`BOUGHT`] products
//! each (the least recently seen half is evicted when full), at most
//! [`Options::max_pairs`] pairs per table ([`crate::pairs`] prunes the least supported), and
//! at most [`Options::max_products`] products (later new ids are counted as dropped).
//! Evicting a visitor only forgets their history, so for a time-ordered stream with a window
//! shorter than the eviction age nothing is lost.

use std::collections::BTreeMap;

use rustc_hash::FxHashMap;
use vitrine_core::measure::events::{Event, EventKind, EventRef};

use crate::history::Ring;
use crate::pairs::Pairs;

/// Recent products kept per visitor for co-views.
pub const HISTORY: usize = 8;
/// Recent purchases kept per visitor for "also bought".
pub const BOUGHT: usize = 4;

/// How to train (defaults in [`Options::default`]).
#[derive(Debug, Clone)]
pub struct Options {
    /// Two views of one visitor co-occur when at most this far apart (default 2 hours).
    pub window_secs: u64,
    /// Half-life of co-view, co-purchase and count weights (default 30 days).
    pub half_life_secs: u64,
    /// Half-life of trending scores (default 1 day).
    pub trending_half_life_secs: u64,
    /// Items per table (default 10).
    pub top_k: usize,
    /// Items per trending list (default 20).
    pub trending_len: usize,
    /// Raw co-occurrences a pair needs to be recommended (default 2).
    pub min_support: u32,
    /// Visitors kept at once (default 1 000 000).
    pub max_visitors: usize,
    /// Pairs kept per table (default 4 000 000).
    pub max_pairs: usize,
    /// Distinct products kept (default 1 000 000).
    pub max_products: usize,
    /// Hold out each visitor's last view for [`crate::evaluate`] (default off).
    pub hold_out_last_view: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            window_secs: 2 * 3_600,
            half_life_secs: 30 * 86_400,
            trending_half_life_secs: 86_400,
            top_k: 10,
            trending_len: 20,
            min_support: 2,
            max_visitors: 1_000_000,
            max_pairs: 4_000_000,
            max_products: 1_000_000,
            hold_out_last_view: false,
        }
    }
}

/// What a training run read and dropped.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Stats {
    /// Events read.
    pub events: u64,
    /// Views counted (held-out ones included).
    pub views: u64,
    /// Conversions that named products, counted.
    pub purchases: u64,
    /// Events without a visitor or of another kind.
    pub ignored: u64,
    /// Views or purchases of a product not in the catalog, or past `max_products`.
    pub unknown_products: u64,
    /// Visitors evicted to stay within `max_visitors`.
    pub evicted_visitors: u64,
    /// Pairs pruned to stay within `max_pairs`.
    pub pruned_pairs: u64,
    /// Co-view and co-purchase pairs held at the end.
    pub pairs: u64,
}

/// One visitor's state: fixed size.
#[derive(Default, Clone, Copy)]
struct Visitor {
    recent: Ring<HISTORY>,
    bought: Ring<BOUGHT>,
    /// The last view, not yet committed (only when holding out the last view).
    pending: Option<(u32, u32)>,
    last_seen: u32,
}

/// Forward decay: weights `2^((t − t0) / half_life)`, rebased as they grow.
struct Decay {
    t0: Option<f64>,
    half_life: f64,
}

/// Rebase when a weight's exponent passes this.
const REBASE_AT: f64 = 64.0;

impl Decay {
    fn new(half_life: u64) -> Self {
        Decay {
            t0: None,
            half_life: half_life.max(1) as f64,
        }
    }

    /// The weight at `ts`, and the factor every stored weight must be scaled by first (a
    /// rebase), if one is due.
    fn weight(&mut self, ts: u32) -> (f32, Option<f32>) {
        let t = f64::from(ts);
        let t0 = *self.t0.get_or_insert(t);
        let exponent = (t - t0) / self.half_life;
        if exponent > REBASE_AT {
            self.t0 = Some(t0 + REBASE_AT * self.half_life);
            let (w, _) = self.weight(ts);
            return (w, Some((-REBASE_AT).exp2() as f32));
        }
        (exponent.max(-REBASE_AT).exp2() as f32, None)
    }
}

/// Product ids ↔ dense indexes.
#[derive(Default)]
struct Products {
    /// Ids of up to [`SHORT`] bytes, packed into an integer ([`short`]): every id a shop
    /// exports in practice, looked up with no string hashing or comparison (the trainer looks
    /// one up per event).
    short: FxHashMap<u128, u32>,
    /// Longer ids.
    long: FxHashMap<Box<str>, u32>,
    names: Vec<Box<str>>,
    categories: Vec<Option<u32>>,
    category_names: Vec<String>,
    closed: bool,
}

/// The longest id kept in [`Products::short`].
const SHORT: usize = 15;

/// An id of at most [`SHORT`] bytes as an integer: its bytes, then its length in the last
/// byte (so `"a"` and `"a\0"` differ).
fn short(id: &str) -> Option<u128> {
    let bytes = id.as_bytes();
    let mut packed = [0u8; 16];
    packed.get_mut(..bytes.len())?.copy_from_slice(bytes);
    packed[SHORT] = u8::try_from(bytes.len())
        .ok()
        .filter(|&n| usize::from(n) <= SHORT)?;
    Some(u128::from_le_bytes(packed))
}

impl Products {
    fn get(&mut self, id: &str, max: usize) -> Option<u32> {
        let key = short(id);
        let known = match key {
            Some(k) => self.short.get(&k),
            None => self.long.get(id),
        };
        if let Some(&i) = known {
            return Some(i);
        }
        if self.closed || self.names.len() >= max {
            return None;
        }
        let i = u32::try_from(self.names.len()).ok()?;
        match key {
            Some(k) => self.short.insert(k, i),
            None => self.long.insert(id.into(), i),
        };
        self.names.push(id.into());
        self.categories.push(None);
        Some(i)
    }
}

/// Per-product decayed counts.
#[derive(Default)]
struct Counts {
    /// First-in-window views (cosine denominators), decayed.
    viewed: Vec<f32>,
    /// Purchases, decayed.
    bought: Vec<f32>,
    /// Every view, with the trending half-life.
    trend: Vec<f32>,
    /// Every view, raw (the popularity baseline).
    views: Vec<u32>,
}

impl Counts {
    fn grow(&mut self, n: usize) {
        if self.views.len() < n {
            self.viewed.resize(n, 0.0);
            self.bought.resize(n, 0.0);
            self.trend.resize(n, 0.0);
            self.views.resize(n, 0);
        }
    }
}

/// The streaming trainer: [`Trainer::observe`] each event, then [`Trainer::finish`].
pub struct Trainer {
    opts: Options,
    products: Products,
    visitors: FxHashMap<u128, Visitor>,
    counts: Counts,
    co_viewed: Pairs,
    co_bought: Pairs,
    decay: Decay,
    trending: Decay,
    held: Vec<(u32, u32)>,
    stats: Stats,
}

impl Trainer {
    /// A trainer that learns every product it sees.
    pub fn new(opts: Options) -> Self {
        Trainer {
            products: Products::default(),
            visitors: FxHashMap::default(),
            counts: Counts::default(),
            co_viewed: Pairs::new(opts.max_pairs),
            co_bought: Pairs::new(opts.max_pairs),
            decay: Decay::new(opts.half_life_secs),
            trending: Decay::new(opts.trending_half_life_secs),
            held: Vec::new(),
            stats: Stats::default(),
            opts,
        }
    }

    /// A trainer that learns only the catalog's products `(id, category)` (so the tables name
    /// no product the catalog lacks) and makes one trending list per category.
    pub fn with_catalog(opts: Options, catalog: &[(String, String)]) -> Self {
        let mut t = Trainer::new(opts);
        for (id, category) in catalog {
            let Some(i) = t.products.get(id, usize::MAX) else {
                continue;
            };
            if !category.is_empty() {
                let names = &mut t.products.category_names;
                let c = match names.iter().position(|n| n == category) {
                    Some(c) => c,
                    None => {
                        names.push(category.clone());
                        names.len() - 1
                    }
                };
                t.products.categories[i as usize] = u32::try_from(c).ok();
            }
        }
        t.products.closed = true;
        t.counts.grow(t.products.names.len());
        t
    }

    /// Reads one event.
    pub fn observe(&mut self, event: &Event) {
        self.observe_ref(&EventRef::from(event));
    }

    /// Reads one event as read from its line ([`EventRef`]): a view costs no allocation.
    pub fn observe_ref(&mut self, event: &EventRef<'_>) {
        self.stats.events += 1;
        let ts = u32::try_from(event.ts()).unwrap_or(u32::MAX);
        let Some(visitor) = event.visitor().map(visitor_key) else {
            self.stats.ignored += 1;
            return;
        };
        match (event.kind(), event.product()) {
            (EventKind::View, Some(id)) => {
                let Some(p) = self.product(id) else {
                    return;
                };
                self.stats.views += 1;
                let hold_out = self.opts.hold_out_last_view;
                let state = self.visitor(visitor, ts);
                let commit = if hold_out {
                    state.pending.replace((p, ts))
                } else {
                    Some((p, ts))
                };
                if let Some((p, at)) = commit {
                    self.view(visitor, p, at);
                }
            }
            (EventKind::Conversion, _) if event.products().next().is_some() => {
                self.stats.purchases += 1;
                self.visitor(visitor, ts);
                for id in event.products() {
                    if let Some(p) = self.product(id) {
                        self.purchase(visitor, p, ts);
                    }
                }
            }
            _ => self.stats.ignored += 1,
        }
    }

    fn product(&mut self, id: &str) -> Option<u32> {
        let p = self.products.get(id, self.opts.max_products);
        match p {
            Some(i) => self.counts.grow(i as usize + 1),
            None => self.stats.unknown_products += 1,
        }
        p
    }

    /// The visitor's state, made room for.
    fn visitor(&mut self, key: u128, ts: u32) -> &mut Visitor {
        if self.visitors.len() >= self.opts.max_visitors && !self.visitors.contains_key(&key) {
            self.evict();
        }
        let v = self.visitors.entry(key).or_default();
        v.last_seen = v.last_seen.max(ts);
        v
    }

    /// Evicts the least recently seen half of the visitors (their held-out views become test
    /// cases: they are those visitors' last views).
    fn evict(&mut self) {
        let mut seen: Vec<u32> = self.visitors.values().map(|v| v.last_seen).collect();
        let mid = seen.len() / 2;
        let (_, &mut cutoff, _) = seen.select_nth_unstable(mid);
        let before = self.visitors.len();
        let held = &mut self.held;
        self.visitors.retain(|_, v| {
            let keep = v.last_seen > cutoff;
            if !keep {
                hold_out(held, v);
            }
            keep
        });
        self.stats.evicted_visitors += (before - self.visitors.len()) as u64;
    }

    /// Commits one view of `p` at `ts`.
    fn view(&mut self, visitor: u128, p: u32, ts: u32) {
        let (w, rebase) = self.decay.weight(ts);
        if let Some(f) = rebase {
            self.rebase(f);
        }
        let (tw, rebase) = self.trending.weight(ts);
        if let Some(f) = rebase {
            self.counts.trend.iter_mut().for_each(|x| *x *= f);
        }
        let i = p as usize;
        self.counts.views[i] = self.counts.views[i].saturating_add(1);
        self.counts.trend[i] += tw;
        let window = self.opts.window_secs;
        let Some(state) = self.visitors.get_mut(&visitor) else {
            return;
        };
        if let Some(entry) = state.recent.find_mut(p) {
            if u64::from(ts.abs_diff(entry.1)) <= window {
                entry.1 = entry.1.max(ts);
                return;
            }
        }
        self.counts.viewed[i] += w;
        for &(q, at) in state.recent.entries() {
            if q != p && u64::from(ts.abs_diff(at)) <= window {
                self.co_viewed.add(p, q, w);
            }
        }
        match state.recent.find_mut(p) {
            Some(entry) => entry.1 = ts,
            None => state.recent.push(p, ts),
        }
    }

    /// Counts one purchase of `p` at `ts`.
    fn purchase(&mut self, visitor: u128, p: u32, ts: u32) {
        let (w, rebase) = self.decay.weight(ts);
        if let Some(f) = rebase {
            self.rebase(f);
        }
        let window = self.opts.window_secs;
        let Some(state) = self.visitors.get_mut(&visitor) else {
            return;
        };
        if let Some(entry) = state.bought.find_mut(p) {
            entry.1 = ts;
            return;
        }
        self.counts.bought[p as usize] += w;
        for &(q, at) in state.bought.entries() {
            if q != p && u64::from(ts.abs_diff(at)) <= window {
                self.co_bought.add(p, q, w);
            }
        }
        state.bought.push(p, ts);
    }

    fn rebase(&mut self, factor: f32) {
        self.counts.viewed.iter_mut().for_each(|x| *x *= factor);
        self.counts.bought.iter_mut().for_each(|x| *x *= factor);
        self.co_viewed.scale(factor);
        self.co_bought.scale(factor);
    }

    /// The tables and lists, with the held-out views when asked for.
    pub fn finish(mut self) -> Tables {
        if self.opts.hold_out_last_view {
            for v in self.visitors.values() {
                hold_out(&mut self.held, v);
            }
        }
        self.stats.pruned_pairs = self.co_viewed.pruned + self.co_bought.pruned;
        self.stats.pairs = (self.co_viewed.len() + self.co_bought.len()) as u64;
        let n = self.products.names.len();
        let k = self.opts.top_k;
        let support = self.opts.min_support;
        let also_viewed = top_pairs(&self.co_viewed, &self.counts.viewed, n, k, support);
        let also_bought = top_pairs(&self.co_bought, &self.counts.bought, n, k, support);
        let popular = ranked(
            &self
                .counts
                .views
                .iter()
                .map(|&v| v as f32)
                .collect::<Vec<_>>(),
            |_| true,
        );
        let trend = &self.counts.trend;
        let trending = ranked(trend, |_| true)
            .into_iter()
            .take(self.opts.trending_len)
            .collect();
        let categories = &self.products.categories;
        let mut by_category = BTreeMap::new();
        for (c, name) in self.products.category_names.iter().enumerate() {
            let c = u32::try_from(c).ok();
            let list: Vec<u32> = ranked(trend, |i| categories[i] == c)
                .into_iter()
                .take(self.opts.trending_len)
                .collect();
            if !list.is_empty() {
                by_category.insert(name.clone(), list);
            }
        }
        Tables {
            names: self.products.names,
            also_viewed,
            also_bought,
            popular,
            trending,
            trending_by_category: by_category,
            held_out: self.held,
            stats: self.stats,
        }
    }
}

/// A held-out view is a test case when the visitor has an earlier product to recommend from.
fn hold_out(held: &mut Vec<(u32, u32)>, v: &Visitor) {
    if let (Some((target, _)), Some((context, _))) = (v.pending, v.recent.latest()) {
        if context != target {
            held.push((context, target));
        }
    }
}

/// Products ranked by `score` (positive scores only, ties by index), among those `keep` admits.
fn ranked(score: &[f32], keep: impl Fn(usize) -> bool) -> Vec<u32> {
    let mut order: Vec<u32> = (0..score.len())
        .filter(|&i| score[i] > 0.0 && keep(i))
        .filter_map(|i| u32::try_from(i).ok())
        .collect();
    order.sort_by(|&a, &b| {
        score[b as usize]
            .total_cmp(&score[a as usize])
            .then(a.cmp(&b))
    });
    order
}

/// The `k` best partners of every product by cosine, among pairs with enough support.
fn top_pairs(pairs: &Pairs, counts: &[f32], n: usize, k: usize, support: u32) -> Vec<Vec<u32>> {
    let mut best: Vec<Vec<(f32, u32)>> = vec![Vec::new(); n];
    for (a, b, c) in pairs.iter() {
        if c.count < support {
            continue;
        }
        let norm = (f64::from(counts[a as usize]) * f64::from(counts[b as usize])).sqrt();
        if norm <= 0.0 {
            continue;
        }
        let score = (f64::from(c.weight) / norm) as f32;
        offer(&mut best[a as usize], (score, b), k);
        offer(&mut best[b as usize], (score, a), k);
    }
    best.into_iter()
        .map(|mut list| {
            list.sort_by(|x, y| y.0.total_cmp(&x.0).then(x.1.cmp(&y.1)));
            list.into_iter().map(|(_, p)| p).collect()
        })
        .collect()
}

/// Keeps `candidate` among the `k` best of `list`.
fn offer(list: &mut Vec<(f32, u32)>, candidate: (f32, u32), k: usize) {
    if k == 0 {
        return;
    }
    let worse = |x: &(f32, u32), y: &(f32, u32)| x.0 < y.0 || (x.0 == y.0 && x.1 > y.1);
    if list.len() < k {
        list.push(candidate);
        return;
    }
    let Some((at, min)) = list
        .iter()
        .enumerate()
        .reduce(|m, x| if worse(x.1, m.1) { x } else { m })
    else {
        return;
    };
    if worse(min, &candidate) {
        list[at] = candidate;
    }
}

/// A visitor pseudonym as a map key: its 32 hex digits, or a hash of other text.
fn visitor_key(pseudonym: &str) -> u128 {
    if pseudonym.len() == 32 {
        if let Ok(k) = u128::from_str_radix(pseudonym, 16) {
            return k;
        }
    }
    use std::hash::{BuildHasher, Hasher};
    let build = rustc_hash::FxBuildHasher;
    let mut a = build.build_hasher();
    a.write(pseudonym.as_bytes());
    let mut b = build.build_hasher();
    b.write_u8(0x5a);
    b.write(pseudonym.as_bytes());
    (u128::from(a.finish()) << 64) | u128::from(b.finish())
}

/// What training learned: tables by product index, and the names to write them with.
#[derive(Debug, Clone)]
pub struct Tables {
    /// Product ids by index.
    pub names: Vec<Box<str>>,
    /// `also_viewed` partners of each product, best first.
    pub also_viewed: Vec<Vec<u32>>,
    /// `also_bought` partners of each product, best first.
    pub also_bought: Vec<Vec<u32>>,
    /// Every viewed product by raw view count (the popularity baseline).
    pub popular: Vec<u32>,
    /// The overall trending list.
    pub trending: Vec<u32>,
    /// Trending lists per category (with a catalog).
    pub trending_by_category: BTreeMap<String, Vec<u32>>,
    /// Held-out `(context, target)` views for [`crate::evaluate`].
    pub held_out: Vec<(u32, u32)>,
    /// What the run read and dropped.
    pub stats: Stats,
}

impl Tables {
    /// The `also_viewed` ids of product `id` (empty if unknown).
    pub fn also_viewed_of(&self, id: &str) -> Vec<&str> {
        self.of(&self.also_viewed, id)
    }

    /// The `also_bought` ids of product `id` (empty if unknown).
    pub fn also_bought_of(&self, id: &str) -> Vec<&str> {
        self.of(&self.also_bought, id)
    }

    fn of(&self, table: &[Vec<u32>], id: &str) -> Vec<&str> {
        let Some(i) = self.names.iter().position(|n| &**n == id) else {
            return Vec::new();
        };
        table[i].iter().map(|&p| self.name(p)).collect()
    }

    /// The id of product index `p`.
    pub fn name(&self, p: u32) -> &str {
        self.names.get(p as usize).map_or("", |n| n)
    }
}

#[cfg(test)]
mod tests;
