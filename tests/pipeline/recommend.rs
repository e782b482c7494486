//! Recommendation tests over a small catalog compiled from TOML, CSV and JSON, as a shop
//! would publish it: one test per strategy, fallback, dedupe across slots, the exclusions,
//! and property tests for the invariants.

use std::collections::{BTreeMap, HashMap};

use proptest::prelude::{prop_assert, prop_assert_eq, proptest};

use vitrine_compile::{build, Loader, Options, Source};
use vitrine_core::cookie::{AttrValue, Attrs, Identity, VerifiedProfile};
use vitrine_core::decide::recommend::*;
use vitrine_core::decide::Verdict;
use vitrine_core::decide::{decide_in, ActivityCounts, Context};
use vitrine_core::render::render;
use vitrine_core::snapshot::catalog::shard_of;
use vitrine_core::Snapshot;

/// p01–p06 dog, p07–p12 cat; p05 and p11 sold out.
const PRODUCTS: &str = "id,name,price_cents,url,image,category,in_stock
p01,Dog bed,4999,/p/p01,/img/dog.svg,dog,1
p02,Dog bowl,999,/p/p02,/img/dog.svg,dog,1
p03,Dog leash,1299,/p/p03,/img/dog.svg,dog,1
p04,Dog toy,599,/p/p04,/img/dog.svg,dog,1
p05,Dog coat,2999,/p/p05,/img/dog.svg,dog,0
p06,Dog brush,799,/p/p06,/img/dog.svg,dog,1
p07,Cat tree,8999,/p/p07,/img/cat.svg,cat,1
p08,Cat bowl,899,/p/p08,/img/cat.svg,cat,1
p09,Cat toy,399,/p/p09,/img/cat.svg,cat,1
p10,Cat bed,3999,/p/p10,/img/cat.svg,cat,1
p11,Cat coat,2599,/p/p11,/img/cat.svg,cat,0
p12,\"Cat \"\"deluxe\"\" <tunnel>\",1999,/p/p12,/img/cat.svg,cat,1
";

const RECS: &str = "product_id,table,products
p01,also_viewed,p02 p05 p03 p07
p01,also_bought,p04 p06
p07,also_viewed,p08 p11 p09 p10
";

const LISTS: &str = r#"[
  {"list": "top_sellers", "key": "dog", "products": ["p03", "p01", "p02", "p05", "p06"]},
  {"list": "top_sellers", "key": "cat", "products": ["p10", "p07", "p12", "p11"]},
  {"list": "picks", "key": "loyal", "products": ["p12", "p06"]},
  {"list": "trending", "products": ["p09", "p04", "p11", "p12", "p02"]}
]"#;

const HEAD: &str = "[catalog]\nproducts = \"products.csv\"\nrecommendations = \"recs.csv\"\nlists = \"lists.json\"\nshard_size = 3\n";

struct Files;

impl Loader for Files {
    fn load(&self, path: &str) -> Result<Vec<u8>, String> {
        let text = match path {
            "products.csv" => PRODUCTS,
            "recs.csv" => RECS,
            "lists.json" => LISTS,
            other => return Err(format!("{other}: no such file")),
        };
        Ok(text.as_bytes().to_vec())
    }
}

/// A recommendation campaign on `slot` with these strategies.
fn campaign(slot: &str, items: u8, min: u8, strategies: &str) -> String {
    format!(
        "[[campaign]]\nid = \"{slot}-c\"\nslot = \"{slot}\"\naudience = \"everyone\"\nhtml = '<ul>{{{{items}}}}</ul>'\nrecommend = {{ items = {items}, min = {min}, strategies = [{strategies}], item_html = '<li><a href=\"{{{{product.url}}}}\" title=\"{{{{product.name}}}}\">{{{{product.name}}}}</a></li>' }}\n"
    )
}

/// Compiles `campaigns` with the catalog and loads every shard.
fn snap(campaigns: &str) -> Snapshot {
    let text = format!("{HEAD}{campaigns}");
    let built = build(
        &[Source {
            name: "c.toml",
            text: &text,
        }],
        &Files,
        &Options::default(),
    )
    .unwrap_or_else(|e| panic!("{e:?}"));
    for (n, bytes) in built.shards.iter().enumerate() {
        built.snapshot.attach_shard(n, bytes).unwrap();
    }
    built.snapshot
}

/// Recent views, newest first.
struct Viewed(Vec<&'static str>);

impl ActivityCounts for Viewed {
    fn product_views(&self, _: &str, _: u32, _: i64) -> u32 {
        0
    }
    fn category_views(&self, _: &str) -> u32 {
        0
    }
    fn visits(&self) -> u32 {
        1
    }
    fn impressions(&self, _: &str, _: u32, _: i64) -> u32 {
        0
    }
    fn recent(&self, i: usize) -> Option<&str> {
        self.0.get(i).copied()
    }
}

fn profile(segments: &[&str], attrs: &[(&str, AttrValue)]) -> Identity {
    Identity::Profile(VerifiedProfile {
        sub: "u1".into(),
        segments: segments.iter().map(|s| s.to_string()).collect(),
        attrs: Attrs(
            attrs
                .iter()
                .map(|(k, v)| (k.to_string(), v.clone()))
                .collect::<BTreeMap<_, _>>(),
        ),
        exp: 0,
    })
}

fn bought(ids: &[&str]) -> (&'static str, AttrValue) {
    (
        "purchased",
        AttrValue::List(ids.iter().map(|s| s.to_string()).collect()),
    )
}

/// Product ids per slot, `slot=a b c;…`.
fn picks(s: &Snapshot, id: &Identity, viewed: &[&'static str], product: Option<&str>) -> String {
    let activity = Viewed(viewed.to_vec());
    let mut ctx = Context::new(id, 1_800_000_000);
    ctx.activity = &activity;
    ctx.request.product = product;
    let d = decide_in(s, &ctx);
    d.fills
        .iter()
        .map(|f| {
            let ids: Vec<&str> = d.items(f).iter().map(|p| p.id).collect();
            format!("{}={}", f.slot, ids.join(" "))
        })
        .collect::<Vec<_>>()
        .join(";")
}

macro_rules! cases {
    ($($name:ident: $strategies:expr, $items:expr, $who:expr, $viewed:expr, $product:expr => $want:expr,)*) => {$(
        #[test]
        fn $name() {
            let s = snap(&campaign("recs", $items, 1, $strategies));
            assert_eq!(picks(&s, &$who, &$viewed, $product), $want);
        }
    )*};
}

cases! {
    recently_viewed_newest_first_without_the_current_product:
        "{ recently_viewed = true }", 4, Identity::anonymous(), ["p07", "p02", "p01"], Some("p07")
        => "recs=p02 p01",
    recently_viewed_skips_sold_out_and_unknown:
        "{ recently_viewed = true }", 4, Identity::anonymous(), ["p05", "nope", "p03"], None
        => "recs=p03",
    also_viewed_of_the_current_product:
        "{ related = \"also_viewed\" }", 4, Identity::anonymous(), [], Some("p01")
        => "recs=p02 p03 p07",
    also_viewed_of_the_last_viewed_product_off_product_pages:
        "{ related = \"also_viewed\" }", 2, Identity::anonymous(), ["p07", "p01"], None
        => "recs=p08 p09",
    also_bought_of_the_current_product:
        "{ related = \"also_bought\" }", 4, Identity::anonymous(), [], Some("p01")
        => "recs=p04 p06",
    top_sellers_in_the_favourite_category:
        "{ list = \"top_sellers\", by_attr = \"fav_category\" }", 3,
        profile(&[], &[("fav_category", AttrValue::Text("cat".into()))]), [], None
        => "recs=p10 p07 p12",
    hand_picked_for_a_segment:
        "{ list = \"picks\", by_segment = true }", 4, profile(&["loyal"], &[]), [], None
        => "recs=p12 p06",
    hand_picked_needs_the_segment:
        "{ list = \"picks\", by_segment = true }", 4, profile(&["other"], &[]), [], None
        => "",
    trending_skips_sold_out:
        "{ list = \"trending\" }", 3, Identity::anonymous(), [], None
        => "recs=p09 p04 p12",
    fallback_fills_down_the_list:
        "{ related = \"also_bought\" }, { recently_viewed = true }, { list = \"trending\" }", 5,
        Identity::anonymous(), ["p01", "p08"], Some("p01")
        => "recs=p04 p06 p08 p09 p12",
    fallback_never_repeats_a_product:
        "{ list = \"trending\" }, { list = \"trending\" }, { related = \"also_viewed\" }", 6,
        Identity::anonymous(), [], Some("p01")
        => "recs=p09 p04 p12 p02 p03 p07",
    purchased_products_are_never_recommended:
        "{ related = \"also_viewed\" }, { list = \"trending\" }", 4,
        profile(&[], &[bought(&["p02", "p09"])]), [], Some("p01")
        => "recs=p03 p07 p04 p12",
    a_single_purchased_id_as_text_counts:
        "{ list = \"trending\" }", 1,
        profile(&[], &[("purchased", AttrValue::Text("p09".into()))]), [], None
        => "recs=p04",
}

#[test]
fn slots_on_one_page_never_repeat_a_product() {
    let s = snap(&format!(
        "{}{}",
        campaign("a-recs", 2, 1, "{ list = \"trending\" }"),
        campaign(
            "b-recs",
            3,
            1,
            "{ list = \"trending\" }, { list = \"top_sellers\", by_attr = \"fav_category\" }"
        )
    ));
    let who = profile(&[], &[("fav_category", AttrValue::Text("dog".into()))]);
    assert_eq!(
        picks(&s, &who, &[], None),
        "a-recs=p09 p04;b-recs=p12 p02 p03"
    );
}

#[test]
fn too_few_items_falls_through_to_the_next_candidate() {
    let s = snap(&format!(
        "{}[[campaign]]\nid = \"fallback\"\nslot = \"recs\"\naudience = \"everyone\"\npriority = -1\nhtml = \"<b>browse our shop</b>\"\n",
        campaign("recs", 4, 3, "{ recently_viewed = true }")
    ));
    let anon = Identity::anonymous();
    assert_eq!(picks(&s, &anon, &["p01", "p02"], None), "recs=");
    let activity = Viewed(vec!["p01", "p02"]);
    let mut ctx = Context::new(&anon, 0);
    ctx.activity = &activity;
    assert_eq!(decide_in(&s, &ctx).summary(), "recs=fallback");
    let explained = vitrine_core::decide::explain(&s, &ctx);
    assert_eq!(explained[0].1[0].1, Verdict::TooFewItems);
    assert_eq!(explained[0].1[1].1, Verdict::Chosen);
    assert_eq!(
        picks(&s, &anon, &["p01", "p02", "p03"], None),
        "recs=p01 p02 p03"
    );
}

#[test]
fn items_render_escaped_in_text_and_attributes() {
    let s = snap(&campaign(
        "recs",
        1,
        1,
        "{ list = \"picks\", by_segment = true }",
    ));
    let who = profile(&["loyal"], &[]);
    let ctx = Context::new(&who, 0);
    let plan = render(&decide_in(&s, &ctx));
    assert_eq!(
        &*plan.edit("recs").unwrap().html,
        "<ul><li><a href=\"/p/p12\" title=\"Cat &quot;deluxe&quot; &lt;tunnel&gt;\" rel=\"noopener noreferrer\">Cat \"deluxe\" &lt;tunnel&gt;</a></li></ul>"
    );
}

#[test]
fn a_bound_product_the_visitor_bought_does_not_show() {
    let s = snap("[[campaign]]\nid = \"pick\"\nslot = \"hero\"\naudience = \"everyone\"\nproduct = \"p01\"\nhtml = \"{{product.name}}\"\n");
    let fresh = profile(&[], &[]);
    let owner = profile(&[], &[bought(&["p01"])]);
    assert_eq!(
        vitrine_core::decide::decide(&s, &fresh).summary(),
        "hero=pick"
    );
    assert_eq!(vitrine_core::decide::decide(&s, &owner).summary(), "");
    let explained = vitrine_core::decide::explain(&s, &Context::timeless(&owner));
    assert_eq!(explained[0].1[0].1, Verdict::Purchased);
}

#[test]
fn missing_shards_name_seeds_then_related_products() {
    let text = format!(
        "{HEAD}{}",
        campaign(
            "recs",
            2,
            1,
            "{ related = \"also_viewed\" }, { list = \"trending\" }"
        )
    );
    let built = build(
        &[Source {
            name: "c.toml",
            text: &text,
        }],
        &Files,
        &Options::default(),
    )
    .unwrap();
    let s = &built.snapshot;
    let count = built.shards.len();
    let anon = Identity::anonymous();
    let mut ctx = Context::new(&anon, 0);
    ctx.request.product = Some("p07");
    // Round 1: the anchor's shard and the trending list's first 2×2 products.
    let mut want: Vec<usize> = ["p07", "p09", "p04", "p11", "p12"]
        .iter()
        .map(|id| shard_of(id, count))
        .collect();
    want.sort_unstable();
    want.dedup();
    assert_eq!(missing_shards(s, &ctx), want);
    for n in &want {
        s.attach_shard(*n, &built.shards[*n]).unwrap();
    }
    // Round 2: the anchor is loaded, so its also_viewed products are asked for.
    let mut second: Vec<usize> = ["p08", "p11", "p09", "p10"]
        .iter()
        .map(|id| shard_of(id, count))
        .filter(|n| !want.contains(n))
        .collect();
    second.sort_unstable();
    second.dedup();
    assert_eq!(missing_shards(s, &ctx), second);
    for n in &second {
        s.attach_shard(*n, &built.shards[*n]).unwrap();
    }
    assert!(missing_shards(s, &ctx).is_empty());
    assert_eq!(picks(s, &anon, &[], Some("p07")), "recs=p08 p09");
}

#[test]
fn campaigns_that_do_not_qualify_load_nothing() {
    let text = format!(
        "{HEAD}[[campaign]]\nid = \"r\"\nslot = \"recs\"\nsegments = [\"loyal\"]\nhtml = '<ul>{{{{items}}}}</ul>'\nrecommend = {{ items = 2, strategies = [{{ list = \"trending\" }}], item_html = '<li>{{{{product.name}}}}</li>' }}\n"
    );
    let built = build(
        &[Source {
            name: "c.toml",
            text: &text,
        }],
        &Files,
        &Options::default(),
    )
    .unwrap();
    let anon = Identity::anonymous();
    assert!(missing_shards(&built.snapshot, &Context::new(&anon, 0)).is_empty());
}

const ALL: &str = "{ related = \"also_viewed\" }, { related = \"also_bought\" }, { recently_viewed = true }, { list = \"picks\", by_segment = true }, { list = \"top_sellers\", by_attr = \"fav_category\" }, { list = \"trending\" }";

fn ids() -> impl proptest::strategy::Strategy<Value = Vec<&'static str>> {
    let all = [
        "p01", "p02", "p03", "p04", "p05", "p06", "p07", "p08", "p09", "p10", "p11", "p12",
    ];
    proptest::collection::vec(proptest::sample::select(all.to_vec()), 0..8)
}

proptest! {
    #[test]
    fn never_purchased_sold_out_or_repeated_and_always_the_same(
        viewed in ids(),
        purchased in ids(),
        product in proptest::option::of(proptest::sample::select(vec!["p01", "p07", "p12"])),
        cat in proptest::bool::ANY,
        loyal in proptest::bool::ANY,
        a in 1u8..6,
        b in 1u8..6,
    ) {
        let s = snap(&format!("{}{}", campaign("a-recs", a, 1, ALL), campaign("b-recs", b, 1, ALL)));
        let fav = AttrValue::Text(if cat { "cat" } else { "dog" }.into());
        let segs: &[&str] = if loyal { &["loyal"] } else { &[] };
        let who = profile(segs, &[("fav_category", fav), bought(&purchased)]);
        let activity = Viewed(viewed);
        let mut ctx = Context::new(&who, 0);
        ctx.activity = &activity;
        ctx.request.product = product;
        let d = decide_in(&s, &ctx);
        let mut seen = HashMap::new();
        for p in &d.products {
            prop_assert!(p.in_stock, "{} is sold out", p.id);
            prop_assert!(!purchased.contains(&p.id), "{} was bought", p.id);
            prop_assert!(Some(p.id) != product, "{} is the current product", p.id);
            prop_assert!(seen.insert(p.id, ()).is_none(), "{} twice", p.id);
        }
        for f in &d.fills {
            let want = if f.slot == "a-recs" { a } else { b };
            prop_assert!(d.items(f).len() <= usize::from(want));
        }
        prop_assert_eq!(render(&d), render(&decide_in(&s, &ctx)));
    }
}

#[test]
fn changing_items_or_strategies_shows_in_the_diff() {
    let old = snap(&campaign("recs", 4, 1, "{ list = \"trending\" }"));
    let new = snap(&campaign(
        "recs",
        6,
        2,
        "{ related = \"also_viewed\" }, { list = \"trending\" }",
    ));
    let changes: Vec<String> = vitrine_compile::diff::diff(&old, &new)
        .iter()
        .map(|c| c.to_string())
        .collect();
    assert!(
        changes
            .iter()
            .any(|c| c.contains("4 items (min 1) from trending")
                && c.contains("6 items (min 2) from also_viewed, trending")),
        "{changes:?}"
    );
}

#[test]
fn the_activity_cookie_lists_recent_products_newest_first() {
    let mut record = vitrine_core::cookie::activity::Activity::new(1_000, None);
    for (id, t) in [("p01", 1_000), ("p02", 1_100), ("p01", 1_200)] {
        record.record_product_view(id, t);
    }
    let seen: &dyn ActivityCounts = &record;
    assert_eq!(
        (seen.recent(0), seen.recent(1), seen.recent(2)),
        (Some("p01"), Some("p02"), None)
    );
    assert_eq!(seen.recent(usize::MAX), None);
}
