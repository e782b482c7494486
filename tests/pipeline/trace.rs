use proptest::prelude::*;

use crate::testutil::compiled;
use vitrine_core::cookie::{Attrs, Identity, VerifiedProfile};
use vitrine_core::decide::{explain_header, header_safe, Context, MAX_EXPLAIN_BYTES};
use vitrine_core::snapshot::expr::Device;
use vitrine_core::Snapshot;

const CAMPAIGNS: &str = r#"
[experiments.strip-copy]
arms = [{ name = "control", weight = 1 }, { name = "shipping", weight = 1 }]

[[campaign]]
id = "loyal-hero"
slot = "hero"
segments = ["loyal"]
priority = 30
html = "loyal"

[[campaign]]
id = "evening-mobile"
slot = "hero"
priority = 20
when = { all = [{ device = "mobile" }, { local_time = "18:00-22:00" }] }
html = "evening"

[[campaign]]
id = "newsletter"
slot = "hero"
priority = 10
when = { utm = { source = "news*" } }
exclude = ["cat_owner"]
html = "news"

[[campaign]]
id = "strip-shipping"
slot = "strip"
audience = "everyone"
experiment = "strip-copy"
arm = "shipping"
html = "ship"
"#;

fn snap() -> Snapshot {
    compiled(CAMPAIGNS)
}

fn profile(seg: &[&str]) -> Identity {
    Identity::Profile(VerifiedProfile {
        sub: "alice-secret-id".into(),
        segments: seg.iter().map(|s| (*s).to_owned()).collect(),
        attrs: Attrs::default(),
        exp: 0,
    })
}

#[test]
fn says_which_rule_matched_and_which_failed() {
    let snap = snap();
    let id = profile(&["dog_owner"]);
    let mut ctx = Context::new(&id, 1_800_000_000)
        .with_url("/", "utm_source=Newsletter")
        .with_visitor(Some("alice-secret-id"));
    ctx.request.device = Some(Device::Mobile);
    ctx.request.local_minutes = Some(17 * 60 + 59);
    let h = explain_header(&snap, &ctx, &[]);
    assert!(h.contains("hero: loyal-hero=no_match(seg:loyal)"), "{h}");
    assert!(
        h.contains("evening-mobile=no_match(local_time:18:00-22:00)"),
        "{h}"
    );
    assert!(
        h.contains("newsletter=chosen(utm_source:news*&not seg:cat_owner)"),
        "{h}"
    );
    assert!(
        h.contains("facts=country:- device:mobile local:17:59"),
        "{h}"
    );
    assert!(!h.contains("alice"), "no visitor id: {h}");
}

#[test]
fn forced_arm_is_chosen_and_listed() {
    let snap = snap();
    let id = Identity::anonymous();
    let forced = vec![("strip-copy".to_owned(), "shipping".to_owned())];
    let mut ctx = Context::new(&id, 1_800_000_000);
    ctx.forced_arms = &forced;
    let d = vitrine_core::decide_in(&snap, &ctx);
    assert_eq!(d.summary(), "strip=strip-shipping");
    let h = explain_header(&snap, &ctx, &d.exposures);
    assert!(h.contains("strip: strip-shipping=chosen(everyone)"), "{h}");
    assert!(h.ends_with("arms=strip-copy:shipping"), "{h}");
    let control = vec![("strip-copy".to_owned(), "control".to_owned())];
    ctx.forced_arms = &control;
    let h = explain_header(&snap, &ctx, &[]);
    assert!(h.contains("strip-shipping=other_arm"), "{h}");
}

#[test]
fn header_safe_escapes_everything_but_visible_ascii() {
    assert_eq!(header_safe("a b/c*"), "a b/c*");
    assert_eq!(header_safe("é;\r\n%()"), "%C3%A9%3B%0D%0A%25()");
}

#[test]
fn long_traces_are_cut_at_an_entry() {
    let mut text = String::new();
    for i in 0..300 {
        text.push_str(&format!(
            "[[campaign]]\nid = \"campaign-with-a-long-name-{i}\"\nslot = \"slot-{i}\"\nsegments = [\"segment-number-{i}\"]\nhtml = \"x\"\n"
        ));
    }
    let snap = compiled(&text);
    let id = Identity::anonymous();
    let h = explain_header(&snap, &Context::new(&id, 0), &[]);
    assert!(h.len() <= MAX_EXPLAIN_BYTES, "{}", h.len());
    assert!(h.ends_with("; ..."), "{h}");
}

proptest! {
    /// Whatever the text, the escaped form is a valid header value (visible ASCII and spaces)
    /// without the separators.
    #[test]
    fn escaped_text_is_header_safe(text in ".{0,64}") {
        let out = header_safe(&text);
        prop_assert!(out.bytes().all(|b| (0x20..0x7f).contains(&b) && b != b';'));
    }
}
