//! The identity stage end to end, natively: consent gates every read and write.

use super::*;
use crate::cookie::activity::{self as act, Caps};
use crate::cookie::{mint, PROFILE_COOKIE};

const NOW: u64 = 1_800_000_000;
const PROFILE_KEYS: &str = "p1:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8";
const ACTIVITY_KEYS: &str = "a1:HyAhIiMkJSYnKCkqKywtLi8wMTIzNDU2Nzg5Ojs8PT4";
const CONSENT: &str = "cookieconsent_status=allow";

struct Fixture {
    profile: KeyRing,
    activity: KeyRing,
    consent: ConsentSource,
}

impl Fixture {
    fn new() -> Self {
        Self {
            profile: KeyRing::parse(PROFILE_KEYS).unwrap(),
            activity: KeyRing::parse(ACTIVITY_KEYS).unwrap(),
            consent: ConsentSource::parse("cookie:cookieconsent_status=allow").unwrap(),
        }
    }

    fn settings(&self) -> Settings<'_> {
        Settings {
            profile_keys: &self.profile,
            activity_keys: Some(&self.activity),
            time: TimePolicy::default(),
            consent: &self.consent,
            activity_max_age_secs: 30 * 86_400,
            caps: Caps::default(),
            pseudonym_keys: None,
        }
    }

    fn visit(
        &self,
        cookie: &str,
        gpc: Option<&str>,
        path: &str,
        now: u64,
    ) -> (Visitor, Option<String>) {
        let paths = Paths {
            product: Some("/p/{id}"),
            category: Some("/c/{id}"),
        };
        let req = Request {
            cookie: Some(cookie),
            gpc,
            path,
            now,
        };
        let mut v = resolve(req, &self.settings(), paths);
        let sc = v.set_cookie(&self.settings());
        (v, sc)
    }
}

/// The cookie value out of a `Set-Cookie` line.
fn value(set_cookie: &str) -> &str {
    set_cookie
        .split_once('=')
        .and_then(|(_, rest)| rest.split(';').next())
        .unwrap()
}

#[test]
fn consenting_anonymous_visitor_gets_an_id_and_activity() {
    let f = Fixture::new();
    let (v, sc) = f.visit(CONSENT, None, "/p/p0001", NOW);
    let a = v.activity.as_ref().unwrap();
    assert!(a.visitor.is_some());
    assert_eq!(a.product_views("p0001"), 1);
    assert!(v.loggable_id().is_some());
    let sc = sc.unwrap();
    assert!(sc.starts_with("__Host-vitrine_activity="));
    // The next request carries the cookie: the id stays, counts grow.
    let next = format!("{CONSENT}; {ACTIVITY_COOKIE}={}", value(&sc));
    let (v2, _) = f.visit(&next, None, "/c/dog", NOW + 5);
    let a2 = v2.activity.unwrap();
    assert_eq!(a2.visitor, a.visitor);
    assert_eq!(a2.product_views("p0001"), 1);
    assert_eq!(a2.category_views("dog"), 1);
}

#[test]
fn no_consent_reads_nothing_writes_nothing_mints_nothing() {
    let f = Fixture::new();
    let (v, sc) = f.visit("a=1", None, "/p/p0001", NOW);
    assert_eq!(v.consent, Consent::Denied(consent::Denial::NotGranted));
    assert!(v.activity.is_none());
    assert!(v.loggable_id().is_none());
    assert_eq!(sc, None);
}

#[test]
fn gpc_overrides_consent_cookie() {
    let f = Fixture::new();
    let (v, sc) = f.visit(CONSENT, Some("1"), "/p/p0001", NOW);
    assert_eq!(v.consent, Consent::Denied(consent::Denial::Gpc));
    assert!(v.activity.is_none());
    assert_eq!(sc, None);
}

#[test]
fn withdrawn_consent_deletes_the_activity_cookie_unread() {
    let f = Fixture::new();
    let header = format!("{ACTIVITY_COOKIE}=garbage-never-parsed");
    let (v, sc) = f.visit(&header, None, "/", NOW);
    assert!(v.activity.is_none() && v.activity_rejected.is_none());
    assert_eq!(sc, Some(act::clear_cookie()));
}

#[test]
fn profile_visitor_gets_no_minted_id_but_sub_is_loggable() {
    let f = Fixture::new();
    let token = mint(
        &serde_json::json!({"sub":"c-1","seg":["loyal"],"exp":NOW+60}),
        &f.profile,
    );
    let header = format!("{CONSENT}; {PROFILE_COOKIE}={token}");
    let (v, _) = f.visit(&header, None, "/", NOW);
    assert!(v.identity.profile().is_some());
    assert_eq!(v.activity.as_ref().unwrap().visitor, None);
    assert_eq!(v.loggable_id().as_deref(), Some("c-1"));
    let (v, _) = f.visit(&format!("{PROFILE_COOKIE}={token}"), None, "/", NOW);
    assert!(
        v.identity.profile().is_some(),
        "segments still apply without consent"
    );
    assert_eq!(v.loggable_id(), None);
}

#[test]
fn tampered_activity_cookie_starts_afresh_with_reason() {
    let f = Fixture::new();
    let header = format!("{CONSENT}; {ACTIVITY_COOKIE}=a1.e30.AAAA");
    let (v, sc) = f.visit(&header, None, "/", NOW);
    assert_eq!(v.activity_rejected, Some(Rejection::Signature));
    assert_eq!(v.activity.unwrap().visits, 1);
    assert!(sc.is_some());
}

#[test]
fn stale_activity_starts_afresh() {
    let f = Fixture::new();
    let (_, sc) = f.visit(CONSENT, None, "/p/p1", NOW);
    let next = format!("{CONSENT}; {ACTIVITY_COOKIE}={}", value(&sc.unwrap()));
    let (v, _) = f.visit(&next, None, "/", NOW + 31 * 86_400);
    assert_eq!(v.activity_rejected, Some(Rejection::Stale));
    assert_eq!(v.activity.unwrap().product_views("p1"), 0);
}

#[test]
fn impressions_are_counted_into_the_next_cookie() {
    let f = Fixture::new();
    let (mut v, _) = f.visit(CONSENT, None, "/", NOW);
    v.record_impressions(["loyal-hero", "loyal-hero", "strip"], NOW);
    let sc = v.set_cookie(&f.settings()).unwrap();
    let opened = act::open(value(&sc), &f.activity).unwrap().activity;
    assert_eq!(opened.impressions("loyal-hero"), 2);
    assert_eq!(opened.impressions("strip"), 1);
}

#[test]
fn activity_off_without_a_ring() {
    let f = Fixture::new();
    let settings = Settings {
        activity_keys: None,
        ..f.settings()
    };
    let req = Request {
        cookie: Some(CONSENT),
        gpc: None,
        path: "/",
        now: NOW,
    };
    let mut v = resolve(req, &settings, Paths::default());
    assert!(v.activity.is_none());
    assert_eq!(v.set_cookie(&settings), None);
}

macro_rules! hostile_headers {
    ($($name:ident: $header:expr,)*) => {$(
        #[test]
        fn $name() {
            let f = Fixture::new();
            let header: String = $header;
            let (a, sa) = f.visit(&header, None, "/p/x", NOW);
            let (b, sb) = f.visit(&header, None, "/p/x", NOW);
            // Deterministic (ids aside) and never a panic.
            assert_eq!(a.identity, b.identity);
            assert_eq!(a.consent, b.consent);
            assert_eq!(sa.is_some(), sb.is_some());
        }
    )*};
}

hostile_headers! {
    duplicate_activity_cookie: format!("{CONSENT}; {ACTIVITY_COOKIE}=a; {ACTIVITY_COOKIE}=b"),
    duplicate_profile_cookie: format!("{CONSENT}; {PROFILE_COOKIE}=a; {PROFILE_COOKIE}=b"),
    values_without_equals: format!("{CONSENT}; {ACTIVITY_COOKIE}; {PROFILE_COOKIE}; ;;; ="),
    quoted_values: format!("{CONSENT}; {ACTIVITY_COOKIE}=\"a1.e30.AAAA\"; {PROFILE_COOKIE}=\"x.y.z\""),
    header_near_32k: format!("{CONSENT}; {}{ACTIVITY_COOKIE}=a1.e30.AAAA", "pad=xxxxxxxxxxxxxxxxxxxxxxxxx; ".repeat(32 * 1024 / 30)),
    non_ascii: format!("{CONSENT}; {ACTIVITY_COOKIE}=é.ü.ß; {PROFILE_COOKIE}=日本.語.x"),
}

#[test]
fn ambiguous_activity_cookie_is_replaced() {
    let f = Fixture::new();
    let header = format!("{CONSENT}; {ACTIVITY_COOKIE}=a; {ACTIVITY_COOKIE}=b");
    let (v, sc) = f.visit(&header, None, "/", NOW);
    assert_eq!(v.activity_rejected, Some(Rejection::Ambiguous));
    assert!(sc.is_some());
}

/// Issue 14, item 5: the activity cookie was not bound to the visitor, so one shopper's record
/// (sticky arms, offers, counted orders) became the next shopper's on a shared browser or by a
/// copied cookie. A record is bound to the first profile it is used with; another profile gets
/// a fresh one; an anonymous visitor keeps theirs.
#[test]
fn activity_is_bound_to_the_profile_it_was_used_with() {
    let f = Fixture::new();
    let profile = |sub: &str| {
        let claims = serde_json::json!({"sub": sub, "seg": [], "exp": NOW + 3600});
        format!("{PROFILE_COOKIE}={}", mint(&claims, &f.profile))
    };
    let with = |set_cookie: Option<String>, extra: &str| {
        let activity = value(&set_cookie.unwrap()).to_owned();
        format!("{CONSENT}; {}={activity}{extra}", act::ACTIVITY_COOKIE)
    };
    // Anonymous browsing, then signing in as A: the record is A's from now on.
    let (_, sc) = f.visit(CONSENT, None, "/p/p0001", NOW);
    let a_profile = format!("; {}", profile("a"));
    let (a, sc) = f.visit(&with(sc, &a_profile), None, "/p/p0002", NOW + 10);
    let record = a.activity.as_ref().unwrap();
    assert_eq!(record.product_views("p0001"), 1, "adopted");
    assert_eq!(record.subject, Some(act::Subject::of("a")));
    let a_cookie = with(sc, "");
    // The same record presented with B's profile: a fresh one, bound to B.
    let b_profile = format!("; {}", profile("b"));
    let (b, _) = f.visit(&format!("{a_cookie}{b_profile}"), None, "/", NOW + 20);
    let record = b.activity.as_ref().unwrap();
    assert_eq!(
        (record.product_views("p0001"), record.product_views("p0002")),
        (0, 0)
    );
    assert_eq!(record.subject, Some(act::Subject::of("b")));
    // A again, and A's record without a profile (expired, signed out): kept.
    for cookie in [format!("{a_cookie}{a_profile}"), a_cookie.clone()] {
        let (v, _) = f.visit(&cookie, None, "/", NOW + 30);
        assert_eq!(v.activity.as_ref().unwrap().product_views("p0002"), 1);
    }
}
