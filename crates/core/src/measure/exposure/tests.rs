//! Exposure events: sticky arms, daily deduplication, no identifier without consent.

use super::*;
use crate::cookie::activity::Caps;
use crate::cookie::visitor::{resolve, Paths, Request, Settings};
use crate::cookie::{ConsentSource, KeyRing, TimePolicy};
use crate::measure::events::{Event, Pre};

const NOW: u64 = 1_800_000_000;
const CONSENT: &str = "cookieconsent_status=allow";

/// One page view with `cookie`: the visitor, the next request's `Cookie` header, the events.
fn visit(cookie: &str, now: u64) -> (Visitor, String, Vec<serde_json::Value>) {
    let profile = KeyRing::parse("p1:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8").unwrap();
    let activity = KeyRing::parse("a1:HyAhIiMkJSYnKCkqKywtLi8wMTIzNDU2Nzg5Ojs8PT4").unwrap();
    let consent = ConsentSource::parse("cookie:cookieconsent_status=allow").unwrap();
    let settings = Settings {
        profile_keys: &profile,
        activity_keys: Some(&activity),
        time: TimePolicy::default(),
        consent: &consent,
        activity_max_age_secs: 30 * 86_400,
        caps: Caps::default(),
        pseudonym_keys: None,
    };
    let req = Request {
        cookie: Some(cookie),
        gpc: None,
        path: "/",
        now,
    };
    let mut v = resolve(req, &settings, Paths::default());
    let seen = Seen {
        experiments: &EXPOSED,
        ..Seen::default()
    };
    let events = record(&mut v, seen, "v1", now)
        .iter()
        .map(|e| serde_json::from_str(&e.to_line()).unwrap())
        .collect();
    let next = match v.set_cookie(&settings) {
        Some(c) => format!("{CONSENT}; {}", c.split(';').next().unwrap_or("")),
        None => cookie.to_owned(),
    };
    (v, next, events)
}

const EXPOSED: [Exposure<'static>; 1] = [Exposure {
    experiment: "hero-copy",
    arm: "urgency",
    global: false,
    learned: None,
}];

#[test]
fn first_exposure_is_logged_with_the_visitor_and_made_sticky() {
    let (v, _, events) = visit(CONSENT, NOW);
    assert_eq!(events.len(), 1);
    let e = &events[0];
    assert_eq!(e["event"], "vitrine.exposure");
    assert_eq!(e["schema"], SCHEMA);
    assert_eq!(e["experiment"], "hero-copy");
    assert_eq!(e["arm"], "urgency");
    assert_eq!(e["day"], NOW / 86_400);
    let id = v.activity.as_ref().unwrap().visitor.unwrap().to_hex();
    let profile = KeyRing::parse("p1:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8").unwrap();
    let key = crate::cookie::PseudonymKey::of(&profile);
    assert_eq!(e["visitor"], pseudonym(&key, &id).as_str());
    assert!(
        !events[0].to_string().contains(&id),
        "the raw id is never logged"
    );
    assert_eq!(bucketing_id(&v).as_deref(), Some(id.as_str()));
    assert_eq!(v.activity.unwrap().assignment("hero-copy"), Some("urgency"));
}

#[test]
fn the_same_day_is_logged_once_and_the_next_day_again() {
    let (_, cookie, _) = visit(CONSENT, NOW);
    let (v, cookie, again) = visit(&cookie, NOW + 60);
    assert!(again.is_empty(), "{again:?}");
    assert_eq!(v.activity.unwrap().assignment("hero-copy"), Some("urgency"));
    let (v, _, tomorrow) = visit(&cookie, NOW + 86_400);
    assert_eq!(tomorrow.len(), 1);
    assert_eq!(v.activity_rejected, None, "the same cookie was read back");
}

#[test]
fn without_consent_every_exposure_is_logged_without_an_identifier() {
    for _ in 0..2 {
        let (v, _, events) = visit("other=1", NOW);
        assert_eq!(events.len(), 1);
        assert!(events[0].get("visitor").is_none(), "{:?}", events[0]);
        assert!(v.activity.is_none());
        assert_eq!(bucketing_id(&v), None);
    }
}

#[test]
fn global_holdout_is_logged_but_not_made_sticky() {
    let profile = KeyRing::parse("p1:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8").unwrap();
    let activity = KeyRing::parse("a1:HyAhIiMkJSYnKCkqKywtLi8wMTIzNDU2Nzg5Ojs8PT4").unwrap();
    let consent = ConsentSource::parse("cookie:cookieconsent_status=allow").unwrap();
    let settings = Settings {
        profile_keys: &profile,
        activity_keys: Some(&activity),
        time: TimePolicy::default(),
        consent: &consent,
        activity_max_age_secs: 30 * 86_400,
        caps: Caps::default(),
        pseudonym_keys: None,
    };
    let req = Request {
        cookie: Some(CONSENT),
        gpc: None,
        path: "/",
        now: NOW,
    };
    let mut v = resolve(req, &settings, Paths::default());
    let held = [Exposure {
        experiment: "hero-copy",
        arm: "holdout",
        global: true,
        learned: None,
    }];
    let seen = Seen {
        experiments: &held,
        ..Seen::default()
    };
    let events = record(&mut v, seen, "v1", NOW);
    let e: serde_json::Value = serde_json::from_str(&events[0].to_line()).unwrap();
    assert_eq!(e["global_holdout"], true);
    assert_eq!(e["arm"], "holdout");
    assert_eq!(v.activity.unwrap().assignment("hero-copy"), None);
}

/// One page view with `cookie` that shows `shown` and holds out `held`: the events as parsed
/// back with the shared schema, and the next request's `Cookie` header.
fn campaigns(cookie: &str, now: u64, shown: &[&str], held: &[&str]) -> (Vec<Event>, String) {
    let profile = KeyRing::parse("p1:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8").unwrap();
    let activity = KeyRing::parse("a1:HyAhIiMkJSYnKCkqKywtLi8wMTIzNDU2Nzg5Ojs8PT4").unwrap();
    let consent = ConsentSource::parse("cookie:cookieconsent_status=allow").unwrap();
    let settings = Settings {
        profile_keys: &profile,
        activity_keys: Some(&activity),
        time: TimePolicy::default(),
        consent: &consent,
        activity_max_age_secs: 30 * 86_400,
        caps: Caps::default(),
        pseudonym_keys: None,
    };
    let req = Request {
        cookie: Some(cookie),
        gpc: None,
        path: "/",
        now,
    };
    let mut v = resolve(req, &settings, Paths::default());
    let seen = Seen {
        shown,
        held,
        ..Seen::default()
    };
    let events = record(&mut v, seen, "v1", now)
        .iter()
        .map(|e| Event::parse(&e.to_line()).unwrap())
        .collect();
    v.record_impressions(shown.iter().copied(), now);
    let next = match v.set_cookie(&settings) {
        Some(c) => format!("{CONSENT}; {}", c.split(';').next().unwrap_or("")),
        None => cookie.to_owned(),
    };
    (events, next)
}

fn arms(events: &[Event]) -> Vec<(String, String, bool)> {
    events
        .iter()
        .map(|e| match e {
            Event::Exposure(x) => (
                x.campaign.clone().unwrap_or_default(),
                x.arm.clone(),
                x.common.global_holdout,
            ),
            Event::Conversion(_) | Event::View(_) => panic!("an exposure was expected"),
        })
        .collect()
}

#[test]
fn shown_campaigns_are_logged_once_a_day_with_the_shared_schema() {
    let (events, cookie) = campaigns(CONSENT, NOW, &["hero", "strip", "hero"], &[]);
    assert_eq!(
        arms(&events),
        [
            ("hero".into(), "shown".into(), false),
            ("strip".into(), "shown".into(), false)
        ]
    );
    assert!(events.iter().all(|e| e.common().visitor.is_some()));
    let (again, cookie) = campaigns(&cookie, NOW + 60, &["hero"], &[]);
    assert!(again.is_empty(), "{again:?}");
    let (tomorrow, _) = campaigns(&cookie, NOW + 86_400, &["hero"], &[]);
    assert_eq!(tomorrow.len(), 1);
}

#[test]
fn held_out_campaigns_are_remembered_and_logged_once_a_day() {
    let (events, cookie) = campaigns(CONSENT, NOW, &[], &["hero"]);
    assert_eq!(arms(&events), [("hero".into(), "holdout".into(), true)]);
    let (again, cookie) = campaigns(&cookie, NOW + 60, &[], &["hero"]);
    assert!(again.is_empty(), "{again:?}");
    let value = cookie.rsplit("__Host-vitrine_activity=").next().unwrap();
    let ring = KeyRing::parse("a1:HyAhIiMkJSYnKCkqKywtLi8wMTIzNDU2Nzg5Ojs8PT4").unwrap();
    let opened = crate::cookie::activity::open(value, &ring)
        .unwrap()
        .activity;
    assert_eq!(opened.held[0].0, "hero");
}

#[test]
fn without_consent_no_campaign_exposure_is_logged() {
    for _ in 0..2 {
        let (events, _) = campaigns("other=1", NOW, &["hero"], &["strip"]);
        assert_eq!(events, []);
    }
}

fn pre_of(e: &Event) -> Option<Pre> {
    match e {
        Event::Exposure(x) => x.pre,
        _ => panic!("an exposure was expected"),
    }
}

#[test]
fn the_first_exposure_carries_the_counts_from_before_it_and_later_ones_none() {
    // Two earlier visits without any exposure, then the third visit is the first exposure.
    let (_, cookie) = campaigns(CONSENT, NOW, &[], &[]);
    let (_, cookie) = campaigns(&cookie, NOW + 3_600, &[], &[]);
    let (_, cookie, first) = visit(&cookie, NOW + 7_200);
    assert_eq!(first.len(), 1);
    assert_eq!(
        first[0]["pre"],
        serde_json::json!({"visits": 3, "views": 0})
    );
    let (_, cookie, tomorrow) = visit(&cookie, NOW + 86_400);
    assert_eq!(tomorrow.len(), 1, "logged again the next day");
    assert!(tomorrow[0].get("pre").is_none(), "{:?}", tomorrow[0]);
    // A campaign first shown now carries it; the next day it does not.
    let (shown, cookie) = campaigns(&cookie, NOW + 2 * 86_400, &["hero"], &["strip"]);
    let visits = Some(Pre {
        visits: 5,
        views: 0,
    });
    assert_eq!(
        shown.iter().map(pre_of).collect::<Vec<_>>(),
        [visits, visits]
    );
    let (later, _) = campaigns(&cookie, NOW + 3 * 86_400, &["hero"], &["strip"]);
    assert_eq!(later.len(), 2);
    assert!(later.iter().all(|e| pre_of(e).is_none()), "{later:?}");
}

#[test]
fn without_consent_no_exposure_carries_a_covariate() {
    let (_, _, events) = visit("other=1", NOW);
    assert!(events[0].get("pre").is_none(), "{:?}", events[0]);
    let (events, _) = campaigns(CONSENT, NOW, &["hero"], &[]);
    assert_eq!(
        pre_of(&events[0]).map(|p| p.visits),
        Some(1),
        "consent: first visit"
    );
}
