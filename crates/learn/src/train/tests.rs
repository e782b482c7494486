//! Training checked against a brute-force reference, plus decay, trending, bounds and the
//! synthetic shop's known structure.

use std::collections::HashMap;

use proptest::prelude::*;
use vitrine_core::measure::events::{Common, Conversion, Event, Via, View, SCHEMA};

use super::*;
use crate::synth::Shop;

fn common(visitor: &str, ts: u64) -> Common {
    Common {
        schema: SCHEMA,
        ts,
        day: ts / 86_400,
        snapshot: "v".into(),
        visitor: Some(visitor.into()),
        global_holdout: false,
    }
}

fn view(visitor: &str, product: &str, ts: u64) -> Event {
    Event::View(View {
        common: common(visitor, ts),
        product: product.into(),
    })
}

fn bought(visitor: &str, products: &[&str], ts: u64) -> Event {
    Event::Conversion(Conversion {
        common: common(visitor, ts),
        name: "purchase".into(),
        value: None,
        source: Via::Beacon,
        assignments: Default::default(),
        campaigns: Default::default(),
        products: products.iter().map(|p| (*p).to_owned()).collect(),
    })
}

fn train(opts: Options, events: &[Event]) -> Tables {
    let mut t = Trainer::new(opts);
    for e in events {
        t.observe(e);
    }
    t.finish()
}

/// The cosine scores of every supported co-view pair, computed the slow way: per visitor,
/// in order, with a map of last-seen times (no ring, no pruning, f64 throughout).
fn reference(events: &[(usize, usize, u64)], opts: &Options) -> HashMap<(usize, usize), f64> {
    let t0 = events.first().map_or(0, |e| e.2) as f64;
    let w = |t: u64| ((t as f64 - t0) / opts.half_life_secs as f64).exp2();
    let mut n: HashMap<usize, f64> = HashMap::new();
    let mut pair: HashMap<(usize, usize), (f64, u32)> = HashMap::new();
    let mut last: HashMap<usize, HashMap<usize, u64>> = HashMap::new();
    for &(v, p, t) in events {
        let seen = last.entry(v).or_default();
        if let Some(at) = seen.get_mut(&p) {
            if t.abs_diff(*at) <= opts.window_secs {
                *at = (*at).max(t);
                continue;
            }
        }
        *n.entry(p).or_default() += w(t);
        for (&q, &at) in seen.iter() {
            if q != p && t.abs_diff(at) <= opts.window_secs {
                let e = pair.entry((p.min(q), p.max(q))).or_default();
                e.0 += w(t);
                e.1 += 1;
            }
        }
        seen.insert(p, t);
    }
    pair.into_iter()
        .filter(|(_, (_, c))| *c >= opts.min_support)
        .map(|((a, b), (c, _))| ((a, b), c / (n[&a] * n[&b]).sqrt()))
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Every table is the top k of the reference's scores: the right length, sorted by score,
    /// nothing left out that scores better, never the product itself.
    #[test]
    fn tables_are_the_top_k_of_the_reference_cosine(
        raw in prop::collection::vec((0usize..12, 0usize..7, 0u64..400), 1..120),
        k in 1usize..5,
        min_support in 1u32..3,
    ) {
        // Time-ordered, as the edge writes them; at most 7 products a visitor (the ring holds 8).
        let mut raw = raw;
        raw.sort_by_key(|e| e.2);
        let events: Vec<(usize, usize, u64)> = raw.iter().map(|&(v, p, t)| (v, p, 1_000_000 + t * 60)).collect();
        let opts = Options { top_k: k, min_support, window_secs: 3_600, half_life_secs: 86_400, ..Options::default() };
        let tables = train(opts.clone(), &events.iter().map(|&(v, p, t)| view(&format!("v{v}"), &format!("p{p}"), t)).collect::<Vec<_>>());
        let scores = reference(&events, &opts);
        for p in 0..7 {
            let id = format!("p{p}");
            let got = tables.also_viewed_of(&id);
            let mut want: Vec<(f64, usize)> = scores.iter()
                .filter_map(|(&(a, b), &s)| if a == p { Some((s, b)) } else if b == p { Some((s, a)) } else { None })
                .collect();
            want.sort_by(|x, y| y.0.total_cmp(&x.0));
            prop_assert_eq!(got.len(), want.len().min(k), "{}: {:?} vs {:?}", id, got, want);
            let score_of = |q: &str| want.iter().find(|(_, b)| format!("p{b}") == q).map(|w| w.0);
            let mut previous = f64::INFINITY;
            for q in &got {
                prop_assert_ne!(q, &id.as_str());
                let s = score_of(q);
                prop_assert!(s.is_some(), "{} lists {} without support", id, q);
                let s = s.unwrap_or_default();
                prop_assert!(s <= previous + 1e-5, "{}: not sorted {:?}", id, got);
                previous = s;
            }
            if let Some(&(cut, _)) = want.get(k) {
                prop_assert!(previous >= cut - 1e-5, "{}: left out a better item", id);
            }
        }
    }
}

#[test]
fn popular_items_do_not_top_every_table() {
    // Everyone views the bestseller; boots and laces go together for a few.
    let mut events = Vec::new();
    for v in 0..50 {
        events.push(view(&format!("v{v}"), "bestseller", 1_000 + v));
    }
    for v in 0..50 {
        if v < 5 {
            events.push(view(&format!("v{v}"), "boots", 1_100 + v));
            events.push(view(&format!("v{v}"), "laces", 1_200 + v));
        }
    }
    let tables = train(Options::default(), &events);
    assert_eq!(tables.also_viewed_of("boots")[0], "laces");
    assert_eq!(tables.also_viewed_of("laces")[0], "boots");
    // Raw co-counts would tie bestseller and laces for boots (5 each); cosine does not.
    assert_eq!(tables.also_viewed_of("boots"), ["laces", "bestseller"]);
}

#[test]
fn recent_co_views_outweigh_old_ones() {
    let day = 86_400;
    let mut events = Vec::new();
    // Three old co-views of a+b, three recent of a+c (90 days later, half-life 7 days).
    for v in 0..3 {
        events.push(view(&format!("old{v}"), "a", 1_000 + v));
        events.push(view(&format!("old{v}"), "b", 1_060 + v));
    }
    for v in 0..3 {
        events.push(view(&format!("new{v}"), "a", 90 * day + v));
        events.push(view(&format!("new{v}"), "c", 90 * day + 60 + v));
    }
    let opts = Options {
        half_life_secs: 7 * day,
        ..Options::default()
    };
    assert_eq!(train(opts, &events).also_viewed_of("a"), ["c", "b"]);
}

#[test]
fn views_outside_the_window_and_reloads_pair_nothing() {
    let events = [
        view("v", "a", 0),
        view("v", "a", 30),
        view("v", "b", 3 * 3_600),
        view("w", "a", 0),
        view("w", "b", 3 * 3_600),
    ];
    let tables = train(
        Options {
            min_support: 1,
            ..Options::default()
        },
        &events,
    );
    assert!(tables.also_viewed_of("a").is_empty());
    assert_eq!(tables.stats.views, 5);
}

#[test]
fn also_bought_comes_from_products_bought_together() {
    let events = [
        bought("v", &["a", "b"], 10),
        bought("w", &["a"], 10),
        bought("w", &["b", "c"], 20),
        view("x", "a", 30),
    ];
    let tables = train(
        Options {
            min_support: 1,
            ..Options::default()
        },
        &events,
    );
    assert_eq!(tables.also_bought_of("a"), ["b", "c"]);
    // a and b tie for c (one co-purchase each, both bought twice): the first seen comes first.
    assert_eq!(tables.also_bought_of("c"), ["a", "b"]);
    assert!(tables.also_viewed_of("a").is_empty());
    assert_eq!(tables.stats.purchases, 3);
}

#[test]
fn events_without_a_visitor_are_ignored() {
    let mut anonymous = view("v", "a", 1);
    if let Event::View(v) = &mut anonymous {
        v.common.visitor = None;
    }
    let tables = train(Options::default(), &[anonymous]);
    assert_eq!((tables.stats.ignored, tables.stats.views), (1, 0));
}

#[test]
fn trending_favours_recent_views_and_splits_by_category() {
    let day = 86_400;
    let mut events = Vec::new();
    for v in 0..10 {
        events.push(view(&format!("a{v}"), "old-hit", v));
    }
    for v in 0..3 {
        events.push(view(&format!("b{v}"), "new-hit", 10 * day + v));
    }
    events.push(view("c", "hat", 10 * day));
    let catalog = [
        ("old-hit".to_owned(), "shoes".to_owned()),
        ("new-hit".to_owned(), "shoes".to_owned()),
        ("hat".to_owned(), "hats".to_owned()),
    ];
    let mut t = Trainer::with_catalog(Options::default(), &catalog);
    for e in &events {
        t.observe(e);
    }
    t.observe(&view("d", "not-in-catalog", 10 * day));
    let tables = t.finish();
    let names = |l: &[u32]| {
        l.iter()
            .map(|&p| tables.name(p).to_owned())
            .collect::<Vec<_>>()
    };
    assert_eq!(names(&tables.trending), ["new-hit", "hat", "old-hit"]);
    assert_eq!(
        names(&tables.trending_by_category["shoes"]),
        ["new-hit", "old-hit"]
    );
    assert_eq!(names(&tables.trending_by_category["hats"]), ["hat"]);
    assert_eq!(names(&tables.popular)[0], "old-hit");
    assert_eq!(tables.stats.unknown_products, 1);
}

#[test]
fn memory_stays_within_the_caps() {
    let shop = Shop {
        products: 2_000,
        ..Shop::default()
    };
    let opts = Options {
        max_visitors: 500,
        max_pairs: 3_000,
        ..Options::default()
    };
    let mut t = Trainer::new(opts);
    let mut peak_visitors = 0;
    shop.events(5_000, |e| {
        t.observe(&e);
        peak_visitors = peak_visitors.max(t.visitors.len());
        assert!(t.co_viewed.len() <= 3_000 && t.co_bought.len() <= 3_000);
    });
    assert!(peak_visitors <= 500);
    let tables = t.finish();
    assert!(tables.stats.evicted_visitors > 0 && tables.stats.pruned_pairs > 0);
    assert!(tables.also_viewed.iter().any(|l| !l.is_empty()));
}

#[test]
fn very_long_spans_rebase_instead_of_overflowing() {
    let day = 86_400;
    let opts = Options {
        half_life_secs: 3_600,
        trending_half_life_secs: 3_600,
        min_support: 1,
        ..Options::default()
    };
    let mut events = Vec::new();
    for (i, start) in [0, 200 * day, 400 * day].into_iter().enumerate() {
        events.push(view(&format!("v{i}"), "a", start));
        events.push(view(&format!("v{i}"), "b", start + 60));
    }
    let tables = train(opts, &events);
    assert_eq!(tables.also_viewed_of("a"), ["b"]);
    assert_eq!(tables.trending.len(), 2);
}

#[test]
fn the_synthetic_shop_s_clusters_are_learned() {
    let shop = Shop {
        products: 500,
        ..Shop::default()
    };
    let mut t = Trainer::new(Options::default());
    shop.events(20_000, |e| t.observe(&e));
    let tables = t.finish();
    let mut same = 0usize;
    let mut total = 0usize;
    for (i, list) in tables.also_viewed.iter().enumerate() {
        let p: usize = tables.names[i][1..].parse().unwrap_or(0);
        for &q in list.iter().take(5) {
            let q: usize = tables.name(q)[1..].parse().unwrap_or(0);
            same += usize::from(shop.cluster(p) == shop.cluster(q));
            total += 1;
        }
    }
    // 9 of a product's neighbours share its cluster; the top 5 should nearly all be them.
    assert!(same as f64 / total as f64 > 0.9, "{same} of {total}");
}

#[test]
fn lines_read_in_place_train_exactly_what_parsed_events_train() {
    let shop = Shop {
        products: 200,
        ..Shop::default()
    };
    let mut events = Vec::new();
    shop.events(400, |e| events.push(e));
    // An escaped product id (read by the derived parse, not in place) and a line of another
    // kind among them.
    events.push(view(
        "0123456789abcdef0123456789abcdef",
        "p\"000001",
        1_764_000_000,
    ));
    let lines: Vec<String> = events.iter().map(Event::to_line).collect();
    let opts = || Options {
        hold_out_last_view: true,
        ..Options::default()
    };
    let mut from_lines = Trainer::new(opts());
    for line in &lines {
        let read = EventRef::parse(line);
        assert!(read.is_ok(), "{line}");
        if let Ok(e) = read {
            from_lines.observe_ref(&e);
        }
    }
    let (a, b) = (from_lines.finish(), train(opts(), &events));
    assert_eq!(a.names, b.names);
    assert_eq!(a.also_viewed, b.also_viewed);
    assert_eq!(a.also_bought, b.also_bought);
    assert_eq!((&a.trending, &a.popular), (&b.trending, &b.popular));
    assert_eq!((&a.held_out, &a.stats), (&b.held_out, &b.stats));
    assert!(a.stats.purchases > 0 && a.also_viewed.iter().any(|l| !l.is_empty()));
}

#[test]
fn short_and_long_product_ids_are_interned_apart_and_once() {
    let mut products = Products::default();
    let ids = [
        "a",
        "a\0",
        "",
        "p000001",
        "123456789012345",
        "1234567890123456",
        "12345678901234567890",
    ];
    for (i, id) in ids.iter().enumerate() {
        assert_eq!(products.get(id, usize::MAX), Some(i as u32), "{id:?}");
    }
    for (i, id) in ids.iter().enumerate().rev() {
        assert_eq!(products.get(id, usize::MAX), Some(i as u32), "{id:?} again");
    }
    assert_eq!((products.short.len(), products.long.len()), (5, 2));
    assert_eq!(products.get("new", ids.len()), None, "past the cap");
}
