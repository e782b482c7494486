//! View events: consent only, product pages only, visitors sampled, per-hour limit.

use proptest::prelude::*;

use super::*;
use crate::cookie::activity::Caps;
use crate::cookie::visitor::{resolve, Paths, Request, Settings};
use crate::cookie::{ConsentSource, KeyRing, TimePolicy};
use crate::snapshot::{ActivityPaths, Body};

const NOW: u64 = 1_800_000_000;
const CONSENT: &str = "cookieconsent_status=allow";

fn snapshot() -> Snapshot {
    Snapshot::new(Body {
        activity: ActivityPaths {
            product_path: Some("/p/{id}".into()),
            category_path: None,
        },
        ..Body::default()
    })
}

/// The visitor of one request with `cookie` and `gpc`, a fresh activity id each time unless
/// the cookie carries one.
fn visitor(cookie: &str, gpc: Option<&str>) -> Visitor {
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
        gpc,
        path: "/p/p1",
        now: NOW,
    };
    resolve(req, &settings, Paths::default())
}

#[test]
fn a_consenting_visitor_s_product_view_is_an_event_with_the_pseudonym() {
    let mut v = visitor(CONSENT, None);
    let e = record(&mut v, &snapshot(), "/p/p0042", ViewEvents::default(), NOW).unwrap();
    let Event::View(view) = &e else {
        panic!("not a view: {e:?}")
    };
    assert_eq!(view.product, "p0042");
    assert_eq!(view.common.visitor, v.pseudonym());
    assert_eq!(view.common.visitor.as_ref().map(String::len), Some(32));
    assert_eq!((view.common.ts, view.common.day), (NOW, NOW / 86_400));
}

#[test]
fn no_view_event_without_consent_with_gpc_or_off_a_product_page() {
    let s = snapshot();
    let on = ViewEvents::default();
    assert_eq!(record(&mut visitor("", None), &s, "/p/p1", on, NOW), None);
    assert_eq!(
        record(&mut visitor(CONSENT, Some("1")), &s, "/p/p1", on, NOW),
        None
    );
    assert_eq!(
        record(&mut visitor(CONSENT, None), &s, "/c/shoes", on, NOW),
        None
    );
    assert_eq!(record(&mut visitor(CONSENT, None), &s, "/", on, NOW), None);
    let off = ViewEvents::parse(Some("0"), None).0;
    assert_eq!(
        record(&mut visitor(CONSENT, None), &s, "/p/p1", off, NOW),
        None
    );
    let unset = Snapshot::new(Body::default());
    assert_eq!(
        record(&mut visitor(CONSENT, None), &unset, "/p/p1", on, NOW),
        None
    );
}

#[test]
fn the_hourly_limit_holds_and_resets_the_next_hour() {
    let s = snapshot();
    let limit = ViewEvents {
        sample_bp: 10_000,
        per_hour: 3,
    };
    let mut v = visitor(CONSENT, None);
    let hour_start = NOW - NOW % 3_600;
    let written: Vec<bool> = (0..5)
        .map(|i| record(&mut v, &s, "/p/p1", limit, hour_start + i).is_some())
        .collect();
    assert_eq!(written, [true, true, true, false, false]);
    assert!(record(&mut v, &s, "/p/p2", limit, hour_start + 3_600).is_some());
}

#[test]
fn settings_are_parsed_or_refused_by_name() {
    assert_eq!(
        ViewEvents::parse(None, None),
        (ViewEvents::default(), vec![])
    );
    assert_eq!(
        ViewEvents::parse(Some(" 100 "), Some("0")).0,
        ViewEvents {
            sample_bp: 10_000,
            per_hour: 0
        }
    );
    assert!(!ViewEvents::parse(None, Some("0")).0.on());
    let (_, errors) = ViewEvents::parse(Some("-5"), Some("1.5"));
    assert!(matches!(
        errors[..],
        [ViewSettingError::Sample(_), ViewSettingError::PerHour(_)]
    ));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(16))]

    /// Sampling is by visitor: a visitor is in or out for every product, and about the set
    /// share of 400 visitors is in.
    #[test]
    fn visitors_are_sampled_whole(percent in 10u16..90) {
        let s = snapshot();
        let settings = ViewEvents { sample_bp: percent * 100, per_hour: 100 };
        let mut sampled = 0u32;
        for _ in 0..400 {
            let mut v = visitor(CONSENT, None);
            let a = record(&mut v, &s, "/p/a", settings, NOW).is_some();
            let b = record(&mut v, &s, "/p/b", settings, NOW + 1).is_some();
            prop_assert_eq!(a, b);
            sampled += u32::from(a);
        }
        let expected = 4.0 * f64::from(percent);
        // 400 draws: a standard deviation of at most 10; 5 of them is never reached by chance.
        prop_assert!((f64::from(sampled) - expected).abs() < 50.0, "{} of 400 at {}%", sampled, percent);
    }
}
