//! Decision tests over snapshots compiled from TOML, so each case reads like what a marketer
//! wrote.

use std::collections::BTreeMap;

use crate::testutil::compiled;
use vitrine_compile::Source;
use vitrine_core::cookie::{AttrValue, VerifiedProfile};
use vitrine_core::cookie::{Attrs, Identity};
use vitrine_core::decide::*;
use vitrine_core::render::render;
use vitrine_core::Snapshot;

fn snap(text: &str) -> Snapshot {
    compiled(text)
}

const PERSONAS: &str = r#"
[[campaign]]
id = "loyal-hero"
slot = "hero"
segments = ["loyal"]
priority = 30
html = "loyal"

[[campaign]]
id = "deal-hero"
slot = "hero"
segments = ["price_hunter"]
priority = 20
html = "deal"

[[campaign]]
id = "welcome"
slot = "hero"
audience = "anonymous"
html = "welcome"

[[campaign]]
id = "all"
slot = "strip"
audience = "everyone"
html = "all"
"#;

fn visitor(segments: &[&str]) -> Identity {
    with_attrs(segments, &[])
}

fn with_attrs(segments: &[&str], attrs: &[(&str, AttrValue)]) -> Identity {
    Identity::Profile(VerifiedProfile {
        sub: "u".into(),
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

macro_rules! table {
    ($($name:ident: $identity:expr => $want:expr,)*) => {$(
        #[test]
        fn $name() {
            let s = snap(PERSONAS);
            let id = $identity;
            assert_eq!(decide(&s, &id).summary(), $want);
        }
    )*};
}

table! {
    anonymous_gets_welcome: Identity::anonymous() => "hero=welcome,strip=all",
    loyal_gets_loyal: visitor(&["loyal"]) => "hero=loyal-hero,strip=all",
    priority_order_wins: visitor(&["price_hunter", "loyal"]) => "hero=loyal-hero,strip=all",
    price_hunter: visitor(&["price_hunter"]) => "hero=deal-hero,strip=all",
    verified_without_matching_segment_keeps_default: visitor(&["other"]) => "strip=all",
}

const SCHEDULED: &str = "[[campaign]]\nid = \"sale\"\nslot = \"hero\"\naudience = \"everyone\"\nhtml = \"sale\"\nschedule = { start = 2026-11-27T00:00:00Z, end = 2026-11-28T00:00:00Z }\n";

#[test]
fn schedule_window_is_half_open() {
    let s = snap(SCHEDULED);
    let id = Identity::anonymous();
    let at = |now| decide_in(&s, &Context::new(&id, now)).summary();
    assert_eq!(at(1_795_737_600 - 1), "");
    assert_eq!(at(1_795_737_600), "hero=sale");
    assert_eq!(at(1_795_824_000 - 1), "hero=sale");
    assert_eq!(at(1_795_824_000), "");
    // Without a clock a scheduled campaign never shows.
    assert_eq!(decide(&s, &id).summary(), "");
}

#[test]
fn exclusions_win_over_targeting() {
    let s = snap("[[campaign]]\nid = \"dog-food\"\nslot = \"hero\"\nsegments = [\"dog_owner\"]\nexclude = [\"cat_owner\"]\nhtml = \"x\"\n");
    assert_eq!(
        decide(&s, &visitor(&["dog_owner"])).summary(),
        "hero=dog-food"
    );
    assert_eq!(
        decide(&s, &visitor(&["dog_owner", "cat_owner"])).summary(),
        ""
    );
}

#[test]
fn attribute_tests() {
    let s = snap("[[campaign]]\nid = \"big\"\nslot = \"hero\"\nwhen = { all = [{ attr = \"aov\", gte = 100 }, { attr = \"tier\", in = [\"gold\", \"silver\"] }, { attr = \"bought\", contains = \"p1\" }, { attr = \"banned\", exists = false }] }\nhtml = \"x\"\n");
    let good = [
        ("aov", AttrValue::Number(120.0)),
        ("tier", AttrValue::Text("gold".into())),
        ("bought", AttrValue::List(vec!["p0".into(), "p1".into()])),
    ];
    assert_eq!(decide(&s, &with_attrs(&[], &good)).summary(), "hero=big");
    let mut low = good.clone();
    low[0].1 = AttrValue::Number(99.5);
    assert_eq!(decide(&s, &with_attrs(&[], &low)).summary(), "");
    let mut text_aov = good.clone();
    text_aov[0].1 = AttrValue::Text("120".into());
    assert_eq!(
        decide(&s, &with_attrs(&[], &text_aov)).summary(),
        "",
        "a string is not a number"
    );
    let mut banned = good.to_vec();
    banned.push(("banned", AttrValue::Bool(true)));
    assert_eq!(decide(&s, &with_attrs(&[], &banned)).summary(), "");
    assert_eq!(decide(&s, &Identity::anonymous()).summary(), "");
}

#[test]
fn request_conditions() {
    let s = snap("[[campaign]]\nid = \"news\"\nslot = \"hero\"\nwhen = { all = [{ path = \"/c/*\" }, { param = \"utm_source\", value = \"newsletter\" }] }\nhtml = \"x\"\n");
    let id = Identity::anonymous();
    let at = |path, query| decide_in(&s, &Context::new(&id, 0).with_url(path, query)).summary();
    assert_eq!(at("/c/dog", "a=1&utm_source=newsletter"), "hero=news");
    assert_eq!(at("/c/dog", "utm_source=ads"), "");
    assert_eq!(at("/p/p1", "utm_source=newsletter"), "");
}

struct Views(u32);

impl ActivityCounts for Views {
    fn product_views(&self, product: &str, _: u32, _: i64) -> u32 {
        if product == "p1" {
            self.0
        } else {
            0
        }
    }
    fn category_views(&self, _: &str) -> u32 {
        0
    }
    fn visits(&self) -> u32 {
        self.0
    }
    fn impressions(&self, _: &str, _: u32, _: i64) -> u32 {
        0
    }
}

#[test]
fn activity_conditions_read_the_activity_record() {
    let s = snap("[[campaign]]\nid = \"again\"\nslot = \"hero\"\nwhen = { viewed = \"current\", at_least = 3, within = \"1d\" }\nhtml = \"x\"\n");
    let id = Identity::anonymous();
    let views = Views(3);
    let mut ctx = Context::new(&id, 1000);
    ctx.request.product = Some("p1");
    assert_eq!(decide_in(&s, &ctx).summary(), "");
    ctx.activity = &views;
    assert_eq!(decide_in(&s, &ctx).summary(), "hero=again");
    ctx.request.product = Some("p2");
    assert_eq!(decide_in(&s, &ctx).summary(), "");
}

const MESSAGING: &str = r#"
[[campaign]]
id = "pick"
slot = "hero"
audience = "everyone"
html = '<p class="{{attr.tier}}">Hi {{attr.name}}! {{message}}</p>'
messages = [
  { segments = ["price_hunter"], html = "Save <b>20%</b> today" },
  { segments = ["loyal"], html = "An exclusive for you" },
]
"#;

#[test]
fn per_segment_messaging_and_escaped_attributes() {
    let s = snap(MESSAGING);
    let hunter = with_attrs(
        &["price_hunter", "loyal"],
        &[
            ("name", AttrValue::Text("<Ann & \"Bo\">".into())),
            ("tier", AttrValue::Text("x\" onclick=\"e()".into())),
        ],
    );
    let d = decide(&s, &hunter);
    let plan = render(&d);
    let html = &plan.edit("hero").unwrap().html;
    assert_eq!(&**html, "<p class=\"x&quot; onclick=&quot;e()\">Hi &lt;Ann &amp; \"Bo\"&gt;! Save <b>20%</b> today</p>");
    let loyal = visitor(&["loyal"]);
    assert!(render(&decide(&s, &loyal))
        .edit("hero")
        .unwrap()
        .html
        .contains("An exclusive for you"));
    let anon = Identity::anonymous();
    assert_eq!(
        &*render(&decide(&s, &anon)).edit("hero").unwrap().html,
        "<p class=\"\">Hi ! </p>"
    );
}

#[test]
fn templates_without_placeholders_are_shared_not_copied() {
    let s = snap(PERSONAS);
    let id = visitor(&["loyal"]);
    let a = render(&decide(&s, &id));
    let b = render(&decide(&s, &id));
    let (a, b) = (&a.edit("hero").unwrap().html, &b.edit("hero").unwrap().html);
    assert!(std::sync::Arc::ptr_eq(a, b));
}

#[test]
fn explain_gives_each_candidate_a_verdict() {
    let s = snap(&format!(
        "{PERSONAS}{}",
        SCHEDULED.replace("\"hero\"", "\"banner\"")
    ));
    let id = visitor(&["price_hunter"]);
    let trace = explain(&s, &Context::new(&id, 0));
    let hero = &trace.iter().find(|(slot, _)| *slot == "hero").unwrap().1;
    assert_eq!(
        hero,
        &vec![
            ("loyal-hero", Verdict::NoMatch),
            ("deal-hero", Verdict::Chosen),
            ("welcome", Verdict::NotReached)
        ]
    );
    let banner = &trace.iter().find(|(slot, _)| *slot == "banner").unwrap().1;
    assert_eq!(banner[0].1, Verdict::OutsideSchedule);
}

const FEATURED: &str = r#"
[catalog]
products = "p.csv"

[[campaign]]
id = "featured"
slot = "hero"
audience = "everyone"
product = "p2"
html = '<a href="{{product.url}}"><img src="{{product.image}}" alt="{{product.name}}">{{product.name}} for €{{product.price}}</a>'

[[campaign]]
id = "fallback"
slot = "hero"
audience = "everyone"
priority = -1
html = "fallback"
"#;

fn featured(products: &str) -> (Snapshot, Vec<Vec<u8>>) {
    use vitrine_compile::{build, Options};
    struct One(String);
    impl vitrine_compile::Loader for One {
        fn load(&self, _: &str) -> Result<Vec<u8>, String> {
            Ok(self.0.clone().into_bytes())
        }
    }
    let b = build(
        &[Source {
            name: "t.toml",
            text: FEATURED,
        }],
        &One(products.into()),
        &Options::default(),
    )
    .unwrap();
    (b.snapshot, b.shards)
}

const PRODUCTS: &str = "id,name,price_cents,url,image,in_stock\np1,A,100,/p/p1,,true\np2,Bowl <XL> & \"Co\",1949,/p/p2,/img/dog.svg,true\n";

#[test]
fn bound_product_renders_once_its_shard_is_attached() {
    let (snap, shards) = featured(PRODUCTS);
    let id = Identity::anonymous();
    // Not loaded yet: the candidate does not qualify, the next one does.
    assert_eq!(decide(&snap, &id).summary(), "hero=fallback");
    assert_eq!(snap.missing_shards(), vec![0]);
    assert_eq!(snap.shard_bytes(), 0);
    snap.attach_shard(0, &shards[0]).unwrap();
    assert!(snap.missing_shards().is_empty());
    // Counted once, in encoded bytes, however often it is attached.
    assert_eq!(snap.shard_bytes(), shards[0].len());
    snap.attach_shard(0, &shards[0]).unwrap();
    assert_eq!(snap.shard_bytes(), shards[0].len());
    let d = decide(&snap, &id);
    assert_eq!(d.summary(), "hero=featured");
    let html = render(&d).edit("hero").unwrap().html.clone();
    assert_eq!(&*html, "<a href=\"/p/p2\" rel=\"noopener noreferrer\"><img src=\"/img/dog.svg\" alt=\"Bowl &lt;XL&gt; &amp; &quot;Co&quot;\">Bowl &lt;XL&gt; &amp; \"Co\" for €19.49</a>");
}

#[test]
fn sold_out_product_is_never_shown() {
    let (snap, shards) = featured(&PRODUCTS.replace("/img/dog.svg,true", "/img/dog.svg,false"));
    snap.attach_shard(0, &shards[0]).unwrap();
    let id = Identity::anonymous();
    assert_eq!(decide(&snap, &id).summary(), "hero=fallback");
    let trace = explain(&snap, &Context::new(&id, 0));
    assert_eq!(trace[0].1[0], ("featured", Verdict::ProductUnavailable));
}

#[test]
fn attribute_in_a_url_is_one_encoded_component() {
    let s = snap("[[campaign]]\nid = \"c\"\nslot = \"hero\"\naudience = \"everyone\"\nhtml = '<a href=\"/c/{{attr.fav}}\">x</a>'\n");
    let id = with_attrs(&[], &[("fav", AttrValue::Text("../x?y=\"z\"".into()))]);
    let html = render(&decide(&s, &id)).edit("hero").unwrap().html.clone();
    assert!(html.contains("href=\"/c/..%2Fx%3Fy%3D%22z%22\""), "{html}");
}

/// Issue 14: `href="/{{attr.x}}"` with x = `/evil.example/login` rendered the off-site,
/// protocol-relative `//evil.example/login`, because a safe-looking URL went in raw wherever it
/// stood. Only a placeholder that is the whole attribute value is inserted as a URL.
#[test]
fn url_placeholder_mid_attribute_makes_no_off_site_link() {
    let s = snap(
        "[[campaign]]\nid = \"c\"\nslot = \"hero\"\naudience = \"everyone\"\n\
         html = '<a href=\"/{{attr.x}}\">go</a><img src=\"/c/{{attr.x}}{{attr.y}}\">'\n",
    );
    let id = with_attrs(
        &[],
        &[
            ("x", AttrValue::Text("/evil.example/login".into())),
            ("y", AttrValue::Text("/z".into())),
        ],
    );
    let html = render(&decide(&s, &id)).edit("hero").unwrap().html.clone();
    assert!(html.contains("href=\"/%2Fevil.example%2Flogin\""), "{html}");
    // Two placeholders side by side are each a component.
    assert!(
        html.contains("src=\"/c/%2Fevil.example%2Flogin%2Fz\""),
        "{html}"
    );
    assert!(!html.contains("\"//"), "{html}");
}

/// Issue 14: control characters in a profile attribute reached the page. C0 controls but tab,
/// line feed and carriage return, DEL and C1 controls are dropped, in text and attributes.
#[test]
fn control_characters_never_reach_the_page() {
    let s = snap(MESSAGING);
    let id = with_attrs(
        &[],
        &[
            (
                "name",
                AttrValue::Text("A\u{0}n\u{1b}[2Jn\u{7f}\u{85}a\tb\n".into()),
            ),
            ("tier", AttrValue::Text("g\u{8}o\u{9b}ld".into())),
        ],
    );
    let html = render(&decide(&s, &id)).edit("hero").unwrap().html.clone();
    assert_eq!(&*html, "<p class=\"gold\">Hi An[2Jna\tb\n! </p>");
}
