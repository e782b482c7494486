//! Conversion events: page matches and values, the per-minute limit, and what an event carries
//! with and without consent.

use crate::testutil::compiled;
use vitrine_core::cookie::activity::Caps;
use vitrine_core::cookie::visitor::Visitor;
use vitrine_core::cookie::KeyRing;
use vitrine_core::measure::conversion::*;
use vitrine_core::measure::events::{Conversion, Event, Via};
use vitrine_core::Snapshot;

const NOW: u64 = 1_800_000_000;
const CONSENT: &str = "cookieconsent_status=allow";

const FILE: &str = r#"
[[conversion]]
name = "purchase"
path = "/order/confirmed*"
value_param = "total"
value = { min = 0, max = 10000 }
dedupe_param = "order"

[[conversion]]
name = "signup"
path = "/welcome"

[[conversion]]
name = "add_to_cart"
beacon = true
value = { min = 0, max = 1000 }

[experiments.hero-copy]
arms = [{ name = "control", weight = 1 }, { name = "urgency", weight = 1 }]

[[campaign]]
id = "hero-urgency"
slot = "hero"
audience = "everyone"
experiment = "hero-copy"
arm = "urgency"
html = "Only today!"
"#;

fn snapshot(extra: &str) -> Snapshot {
    let text = format!("{extra}\n{FILE}");
    compiled(&text)
}

/// A page request for a conversion page, with no key ring (no signed conversion counts).
fn hit<'a>(path: &'a str, query: &'a str, navigation: Navigation) -> PageHit<'a> {
    PageHit {
        path,
        query,
        navigation,
        keys: None,
    }
}

fn visitor(cookie: &str, gpc: Option<&str>) -> Visitor {
    crate::testutil::visitor(cookie, gpc, NOW)
}

#[test]
fn page_conversions_match_by_glob_and_read_a_strict_value() {
    let s = snapshot("");
    let goals = &s.body().conversions;
    let at =
        |path: &str, query: &str| at_page(goals, path, query).map(|(g, v)| (g.name.as_str(), v));
    assert_eq!(
        at("/order/confirmed", "total=49.90"),
        Some(("purchase", Ok(Some(49.9))))
    );
    assert_eq!(
        at("/order/confirmed/123", "x=1&total=7"),
        Some(("purchase", Ok(Some(7.0))))
    );
    assert_eq!(
        at("/order/confirmed", "total=007.50"),
        Some(("purchase", Ok(Some(7.5))))
    );
    assert_eq!(
        at("/order/confirmed", "total=0"),
        Some(("purchase", Ok(Some(0.0))))
    );
    assert_eq!(at("/welcome", "total=5"), Some(("signup", Ok(None))));
    assert_eq!(at("/order", "total=5"), None);
    assert_eq!(at("/p/p0001", ""), None);
    let refused = [
        ("", ValueError::Missing),
        ("total=1&total=2", ValueError::Repeated),
        ("total=1e3", ValueError::NotANumber),
        ("total=NaN", ValueError::NotANumber),
        ("total=inf", ValueError::NotANumber),
        ("total=0x10", ValueError::NotANumber),
        ("total=%2049", ValueError::NotANumber),
        ("total=1.", ValueError::NotANumber),
        ("total=12345678901234567", ValueError::NotANumber),
        ("total=10000.01", ValueError::OutOfRange),
        ("total=-1", ValueError::OutOfRange),
    ];
    for (query, why) in refused {
        assert_eq!(
            at("/order/confirmed", query),
            Some(("purchase", Err(why.clone()))),
            "{query}"
        );
        assert!(!why.code().is_empty());
    }
}

#[test]
fn the_limit_counts_events_per_visitor_and_minute() {
    let mut v = visitor(CONSENT, None);
    let minute = NOW / 60 * 60;
    for _ in 0..MAX_EVENTS_PER_MINUTE {
        assert_eq!(admit(&mut v, minute), Admission::Counted);
    }
    assert_eq!(admit(&mut v, minute + 59), Admission::Limited);
    assert_eq!(admit(&mut v, minute + 60), Admission::Counted);
    let mut private = visitor(CONSENT, Some("1"));
    assert_eq!(admit(&mut private, minute), Admission::Untracked);
}

fn conversion(e: Event) -> Conversion {
    match e {
        Event::Conversion(c) => c,
        other => panic!("not a conversion: {other:?}"),
    }
}

#[test]
fn a_conversion_carries_assignments_and_campaigns_from_the_cookie() {
    let s = snapshot("");
    let mut v = visitor(CONSENT, None);
    let a = v.activity.as_mut().unwrap();
    a.assign("hero-copy", "urgency", NOW - 100);
    a.assign("o:0011223344556677", "p0001", NOW - 100);
    a.record_impression("hero-urgency", NOW - 90);
    a.record_impression("x:hero-copy", NOW - 90);
    a.record_held("strip", NOW - 80);
    a.record_impression("summer", NOW - 70);
    a.record_held("summer", NOW - 200);
    let c = conversion(event(&v, &s, "purchase", Some(49.9), Via::Url, NOW));
    assert_eq!(c.name, "purchase");
    assert_eq!(c.value, Some(49.9));
    assert_eq!(c.source, Via::Url);
    assert_eq!(
        c.assignments,
        [("hero-copy".to_owned(), "urgency".to_owned())].into()
    );
    assert_eq!(
        c.campaigns,
        [
            ("hero-urgency".to_owned(), "shown".to_owned()),
            ("strip".to_owned(), "holdout".to_owned()),
            ("summer".to_owned(), "shown".to_owned()),
        ]
        .into()
    );
    let id = v.activity.as_ref().unwrap().visitor.unwrap().to_hex();
    assert_eq!(
        c.common.visitor,
        Some(vitrine_core::measure::exposure::pseudonym(
            &vitrine_core::cookie::PseudonymKey::of(
                &KeyRing::parse(crate::testutil::PROFILE_KEYS).unwrap()
            ),
            &id
        ))
    );
    assert_eq!((c.common.ts, c.common.day), (NOW, NOW / 86_400));
    assert_eq!(c.common.snapshot, s.version());
    assert!(!c.common.global_holdout);
}

#[test]
fn a_globally_held_out_visitor_is_marked() {
    let s = snapshot("global_holdout_bp = 10000");
    let v = visitor(CONSENT, None);
    let c = conversion(event(&v, &s, "add_to_cart", None, Via::Beacon, NOW));
    assert!(c.common.global_holdout);
}

#[test]
fn without_consent_a_conversion_is_aggregate_only() {
    let s = snapshot("global_holdout_bp = 10000");
    for v in [visitor(CONSENT, Some("1")), visitor("other=1", None)] {
        let c = conversion(event(&v, &s, "add_to_cart", Some(3.0), Via::Beacon, NOW));
        assert_eq!(c.common.visitor, None);
        assert!(c.assignments.is_empty() && c.campaigns.is_empty());
        assert!(!c.common.global_holdout);
        assert_eq!(c.value, Some(3.0));
        let line = Event::Conversion(c).to_line();
        assert!(!line.contains("visitor"), "{line}");
    }
}

#[test]
fn a_page_naming_an_order_already_counted_counts_once() {
    let s = snapshot("");
    let page = |v: &mut Visitor, query: &str, at: u64| {
        on_page(
            v,
            &s,
            hit("/order/confirmed", query, Navigation::TopLevel),
            at,
        )
    };
    let mut v = visitor(CONSENT, None);
    let (first, problem) = page(&mut v, "total=10&order=A-1001", NOW);
    assert!(first.is_some());
    assert_eq!(problem, None);
    // A reload, even a minute later and with another total: no event.
    assert_eq!(
        page(&mut v, "total=10&order=A-1001", NOW + 60),
        (None, Some("duplicate"))
    );
    assert_eq!(
        page(&mut v, "order=A-1001&total=12", NOW + 61).1,
        Some("duplicate")
    );
    // Another order counts; pages naming no order (or two) cannot be told apart and count.
    assert!(page(&mut v, "total=10&order=A-1002", NOW + 62).0.is_some());
    for query in [
        "total=10",
        "total=10&order=",
        "total=10&order=A-1&order=A-2",
    ] {
        assert!(page(&mut v, query, NOW + 63).0.is_some(), "{query}");
        assert!(page(&mut v, query, NOW + 64).0.is_some(), "{query}");
    }
    // The cookie remembers keys, never order ids, and survives being sealed and opened.
    let activity = v.activity.clone().unwrap();
    assert_eq!(activity.converted.len(), 2);
    assert!(activity
        .converted
        .iter()
        .all(|k| !k.0.contains("1001") && k.0.len() == 16));
    let ring = KeyRing::parse("a1:HyAhIiMkJSYnKCkqKywtLi8wMTIzNDU2Nzg5Ojs8PT4").unwrap();
    let mut sealed = activity.clone();
    let value = vitrine_core::cookie::activity::seal(&mut sealed, &ring, Caps::default());
    let opened = vitrine_core::cookie::activity::open(&value, &ring)
        .unwrap()
        .activity;
    assert!(opened.converted(&once_key("purchase", "A-1001")));
    assert!(!opened.converted(&once_key("purchase", "A-1003")));
    assert!(!opened.converted(&once_key("signup", "A-1001")));
    // Without consent there is no cookie to remember it: every request counts.
    let mut anonymous = visitor("", None);
    assert!(anonymous.activity.is_none());
    assert!(page(&mut anonymous, "total=10&order=A-1001", NOW)
        .0
        .is_some());
    assert!(page(&mut anonymous, "total=10&order=A-1001", NOW + 1)
        .0
        .is_some());
}

#[test]
fn counted_once_keys_are_capped_oldest_first() {
    let mut a = vitrine_core::cookie::activity::Activity::new(NOW, None);
    for i in 0..40u64 {
        a.record_conversion(&once_key("purchase", &i.to_string()), NOW + i);
    }
    a.cap(Caps::default());
    assert_eq!(a.converted.len(), Caps::default().conversions);
    assert!(a.converted(&once_key("purchase", "39")));
    assert!(!a.converted(&once_key("purchase", "0")));
}

/// Issue 14: `/order/confirmed?total=25&order=X` requested as a cross-site image wrote a
/// conversion event. A page conversion counts only for a top-level navigation (or a request
/// without fetch metadata), never for a subresource, a frame or a prefetch; such a request
/// leaves the cookie as it was, so the real navigation still counts.
#[test]
fn page_conversions_count_only_top_level_navigations() {
    let s = snapshot("");
    let image = FetchHeaders {
        mode: Some("no-cors"),
        dest: Some("image"),
        site: Some("cross-site"),
        ..FetchHeaders::default()
    };
    let prefetch = FetchHeaders {
        mode: Some("navigate"),
        dest: Some("document"),
        sec_purpose: Some("prefetch"),
        ..FetchHeaders::default()
    };
    let mut v = visitor(CONSENT, None);
    let before = v.activity.clone();
    for (headers, code) in [(image, "not_navigation"), (prefetch, "prefetch")] {
        let page = hit(
            "/order/confirmed",
            "total=25&order=X",
            Navigation::of(&headers),
        );
        let got = on_page(&mut v, &s, page, NOW);
        assert_eq!(got, (None, Some(code)));
    }
    assert_eq!(v.activity, before, "a refused request changes nothing");
    let navigate = FetchHeaders {
        mode: Some("navigate"),
        dest: Some("document"),
        site: Some("cross-site"),
        ..FetchHeaders::default()
    };
    for headers in [navigate, FetchHeaders::default()] {
        let mut v = visitor(CONSENT, None);
        let page = hit(
            "/order/confirmed",
            "total=25&order=X",
            Navigation::of(&headers),
        );
        let (event, _) = on_page(&mut v, &s, page, NOW);
        assert!(event.is_some(), "{headers:?}");
    }
}

/// Issue 14: a purchase that must be trusted is a signed conversion: it counts only with a
/// token the shop's backend signed with the profile key ring, whose value and order id are
/// used (the query's are not), once per order.
#[test]
fn signed_conversions_count_only_with_the_backends_token() {
    use vitrine_core::measure::conversion::signed;
    let s = snapshot(
        "[[conversion]]\nname = \"trusted\"\npath = \"/checkout/done\"\nsigned = true\n\
         value = { min = 0, max = 1000 }\n",
    );
    let ring = KeyRing::parse("p1:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8").unwrap();
    let token = signed::mint(&ring, "trusted", "A-7", Some(25.0), None, NOW, 600);
    fn at<'a>(query: &'a str, ring: &'a KeyRing) -> PageHit<'a> {
        PageHit {
            path: "/checkout/done",
            query,
            navigation: Navigation::TopLevel,
            keys: Some(ring),
        }
    }
    let mut v = visitor(CONSENT, None);
    // Forged: no token, a made-up one, another key's.
    let foreign = KeyRing::parse("p1:HyAhIiMkJSYnKCkqKywtLi8wMTIzNDU2Nzg5Ojs8PT4").unwrap();
    let forged = signed::mint(&foreign, "trusted", "A-7", Some(999.0), None, NOW, 600);
    for (query, code) in [
        ("total=999&order=A-7".to_owned(), "unsigned"),
        (format!("vitrine_conversion={forged}"), "token_refused"),
        ("vitrine_conversion=eyJ.e30.x".to_owned(), "token_refused"),
    ] {
        assert_eq!(
            on_page(&mut v, &s, at(&query, &ring), NOW),
            (None, Some(code)),
            "{query}"
        );
    }
    let query = format!("total=999&vitrine_conversion={token}");
    let (event, problem) = on_page(&mut v, &s, at(&query, &ring), NOW);
    assert_eq!(problem, None);
    let Some(Event::Conversion(c)) = event else {
        panic!("a signed conversion counts: {event:?}");
    };
    assert_eq!((c.name.as_str(), c.value), ("trusted", Some(25.0)));
    // A reload counts once; without a key ring nothing signed counts.
    assert_eq!(
        on_page(&mut v, &s, at(&query, &ring), NOW + 5),
        (None, Some("duplicate"))
    );
    let unkeyed = PageHit {
        keys: None,
        ..at(&query, &ring)
    };
    assert_eq!(
        on_page(&mut visitor(CONSENT, None), &s, unkeyed, NOW),
        (None, Some("unsigned"))
    );
}
