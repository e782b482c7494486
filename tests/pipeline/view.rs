//! The page view (`vitrine_core::view`), the pure step between obtaining a page and delivering
//! it: what it decides, what it records in the visitor's activity, and that a preview records
//! nothing. Tested in process, the way the Worker calls it.

use crate::testutil::{self, compiled};
use vitrine_core::cookie::visitor::Visitor;
use vitrine_core::facts::Observed;
use vitrine_core::measure::conversion::Navigation;
use vitrine_core::measure::events::Event;
use vitrine_core::preview_token::Preview;
use vitrine_core::view::missing_shards;
use vitrine_core::{view, PageRequest, Snapshot};

const NOW: u64 = 1_800_000_000;

const FILE: &str = r#"
[activity]
product_path = "/p/{id}"

[experiments.hero-copy]
arms = [{ name = "control", weight = 1 }, { name = "urgency", weight = 1 }]

[[campaign]]
id = "hero-urgency"
slot = "hero"
audience = "everyone"
experiment = "hero-copy"
arm = "urgency"
html = "Only today!"

[[campaign]]
id = "hero-control"
slot = "hero"
audience = "everyone"
experiment = "hero-copy"
arm = "control"
html = "Welcome"

[[campaign]]
id = "de-only"
slot = "promo"
audience = "everyone"
when = { country = ["DE"] }
html = "Hallo"

[[conversion]]
name = "signup"
path = "/welcome"
"#;

fn snapshot() -> Snapshot {
    compiled(FILE)
}

/// A visitor with consent (so with an activity cookie and a visitor id) or without.
fn visitor(consent: bool) -> Visitor {
    testutil::visitor(if consent { testutil::CONSENT } else { "" }, None, NOW)
}

fn request<'a>(
    path: &'a str,
    observed: &'a Observed,
    preview: Option<&'a Preview>,
) -> PageRequest<'a> {
    PageRequest {
        path,
        query: "",
        observed,
        preview,
        now: NOW,
        labelled: true,
        navigation: Navigation::TopLevel,
        keys: None,
    }
}

#[test]
fn fills_the_slots_and_records_the_exposure_with_consent() {
    let snap = snapshot();
    let mut v = visitor(true);
    assert!(v.activity.is_some(), "consent gives an activity");
    let observed = Observed::default();
    let page = view(&snap, &mut v, &request("/", &observed, None));
    assert!(page.explain.is_none());
    assert!(page.plan.is_some());
    assert_eq!(page.shown.len(), 1, "{:?}", page.shown);
    assert!(page.shown[0].starts_with("hero-"));
    assert!(
        page.x_vitrine.contains(&format!("hero={}", page.shown[0])),
        "{}",
        page.x_vitrine
    );
    let exposures: Vec<_> = page
        .events
        .iter()
        .filter_map(|e| match e {
            Event::Exposure(x) => Some(x),
            Event::Conversion(_) | Event::View(_) => None,
        })
        .collect();
    assert!(
        exposures
            .iter()
            .any(|x| x.experiment.as_deref() == Some("hero-copy")),
        "{exposures:?}"
    );
    // The arm is now in the visitor's activity: the same arm on the next view.
    let again = view(&snap, &mut v, &request("/", &observed, None));
    assert_eq!(again.shown, page.shown);
}

#[test]
fn request_facts_reach_targeting() {
    let snap = snapshot();
    let mut v = visitor(false);
    let de = Observed {
        country: Some("DE".into()),
        ..Observed::default()
    };
    let here = view(&snap, &mut v, &request("/", &de, None));
    assert!(
        here.shown.iter().any(|c| c == "de-only"),
        "{:?}",
        here.shown
    );
    let elsewhere = view(&snap, &mut v, &request("/", &Observed::default(), None));
    assert!(!elsewhere.shown.iter().any(|c| c == "de-only"));
}

#[test]
fn a_preview_forces_arms_explains_and_records_nothing() {
    let snap = snapshot();
    let mut v = visitor(true);
    let before = v.activity.clone();
    let observed = Observed::default();
    let preview = Preview {
        variants: vec![("hero-copy".into(), "control".into())],
        ..Preview::default()
    };
    let page = view(
        &snap,
        &mut v,
        &request("/welcome", &observed, Some(&preview)),
    );
    let explain = page.explain.expect("a preview explains itself");
    assert!(explain.starts_with("preview: "), "{explain}");
    assert!(
        page.x_vitrine.contains("hero=hero-control"),
        "{}",
        page.x_vitrine
    );
    assert!(
        page.events.is_empty(),
        "a preview logs no exposure or conversion"
    );
    assert!(page.shown.is_empty(), "a preview counts no impression");
    assert_eq!(
        v.activity, before,
        "a preview leaves the activity as it was"
    );
}

#[test]
fn a_conversion_page_yields_its_event() {
    let snap = snapshot();
    let mut v = visitor(true);
    let observed = Observed::default();
    let page = view(&snap, &mut v, &request("/welcome", &observed, None));
    assert!(
        page.events
            .iter()
            .any(|e| matches!(e, Event::Conversion(c) if c.name == "signup")),
        "{:?}",
        page.events
    );
    assert_eq!(page.conversion_refused, None);
}

#[test]
fn an_unlabelled_page_gets_the_same_fills() {
    let snap = snapshot();
    let observed = Observed::default();
    let mut labelled = request("/", &observed, None);
    let a = view(&snap, &mut visitor(false), &labelled);
    labelled.labelled = false;
    let b = view(&snap, &mut visitor(false), &labelled);
    assert_eq!(a.x_vitrine, b.x_vitrine);
    assert_eq!(a.plan.is_some(), b.plan.is_some());
}

#[test]
fn needs_no_shards_without_a_catalog() {
    let snap = snapshot();
    let observed = Observed::default();
    assert!(missing_shards(&snap, &visitor(true), &request("/p/1", &observed, None)).is_empty());
}
