//! Time-limited offers through whole decisions: the third view triggers, the offer and its
//! expiry stay stable while it runs, and it never returns once over.

use crate::testutil::compiled;
use vitrine_compile::{compile, Source};
use vitrine_core::cookie::activity::Activity as Record;
use vitrine_core::cookie::Identity;
use vitrine_core::decide::{decide_in, explain, offer, Context, Verdict};
use vitrine_core::render::render;
use vitrine_core::Snapshot;

const TRIGGER: &str = r#"
[[campaign]]
id = "look-again"
slot = "pdp-offer"
when = { viewed = "current", at_least = 3, within = "1h" }
offer_minutes = 30
html = "<p>10% off this product until {{offer.expires}}</p>"
"#;

const T0: i64 = 1_800_000_000; // 2027-01-15 08:00:00 UTC

fn snap() -> Snapshot {
    compiled(TRIGGER)
}

/// The pdp-offer HTML for a view of `product` at `now`, and whether the offer starts now.
fn view(s: &Snapshot, a: &Record, product: &str, now: i64) -> (Option<String>, bool) {
    let who = Identity::anonymous();
    let mut ctx = Context::new(&who, now);
    ctx.activity = a;
    ctx.request.product = Some(product);
    let d = decide_in(s, &ctx);
    let starts = d
        .fills
        .iter()
        .any(|f| f.offer.is_some_and(|o| o.starts_now));
    let plan = render(&d);
    (plan.edit("pdp-offer").map(|e| e.html.to_string()), starts)
}

/// Records a view as the identity stage does, and an offer start as the edge does.
fn record(a: &mut Record, s: &Snapshot, product: &str, now: i64) -> Option<String> {
    a.record_product_view(product, now as u64);
    let (html, starts) = view(s, a, product, now);
    if starts {
        a.assign(&offer::key("look-again", product), product, now as u64);
    }
    html
}

#[test]
fn third_view_triggers_and_the_expiry_stays_put() {
    let s = snap();
    let mut a = Record::new(T0 as u64, None);
    assert_eq!(record(&mut a, &s, "p1", T0), None);
    assert_eq!(record(&mut a, &s, "p1", T0 + 60), None);
    let third = record(&mut a, &s, "p1", T0 + 120).unwrap();
    assert_eq!(third, "<p>10% off this product until 08:32 UTC</p>");
    // Later views, even past the view window's reach, show the same offer and expiry.
    assert_eq!(record(&mut a, &s, "p1", T0 + 600).unwrap(), third);
    assert_eq!(view(&s, &a, "p1", T0 + 120 + 1_799).0.unwrap(), third);
    // Other products are not affected.
    assert_eq!(record(&mut a, &s, "p2", T0 + 700), None);
}

#[test]
fn an_offer_that_ended_never_returns_for_that_product() {
    let s = snap();
    let mut a = Record::new(T0 as u64, None);
    for i in 0..3 {
        record(&mut a, &s, "p1", T0 + i);
    }
    let end = T0 + 2 + 1_800;
    assert_eq!(view(&s, &a, "p1", end).0, None);
    assert_eq!(record(&mut a, &s, "p1", end + 5), None);
    let who = Identity::anonymous();
    let mut ctx = Context::new(&who, end);
    ctx.activity = &a;
    ctx.request.product = Some("p1");
    assert_eq!(
        explain(&s, &ctx)[0].1[0],
        ("look-again", Verdict::OfferOver)
    );
}

#[test]
fn no_product_page_no_offer() {
    let s = snap();
    let mut a = Record::new(T0 as u64, None);
    for i in 0..3 {
        a.record_product_view("p1", (T0 + i) as u64);
    }
    let who = Identity::anonymous();
    let mut ctx = Context::new(&who, T0 + 3);
    ctx.activity = &a;
    assert!(decide_in(&s, &ctx).fills.is_empty());
}

#[test]
fn keys_fit_the_cookie_and_differ_per_product() {
    let long = "x".repeat(64);
    assert_eq!(offer::key(&long, &long).len(), 18);
    assert_ne!(offer::key("c", "p1"), offer::key("c", "p2"));
    assert_eq!(offer::clock(T0 + 1_920), "08:32 UTC");
    assert_eq!(offer::clock(-60), "23:59 UTC");
}

#[test]
fn offer_placeholder_needs_an_offer() {
    let text = TRIGGER.replace("offer_minutes = 30\n", "");
    let errors = compile(&[Source {
        name: "t.toml",
        text: &text,
    }])
    .unwrap_err();
    assert!(
        errors.iter().any(|e| e.to_string().contains("no offer")),
        "{errors:?}"
    );
    let text = TRIGGER.replace("offer_minutes = 30", "offer_minutes = 0");
    assert!(compile(&[Source {
        name: "t.toml",
        text: &text,
    }])
    .is_err());
}
