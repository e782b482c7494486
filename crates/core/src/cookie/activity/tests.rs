//! Activity model, wire format and the 4096-byte bound (property tests included).

use proptest::prelude::*;

use super::*;
use crate::cookie::{KeyRing, Rejection};

const NOW: u64 = 1_800_000_000;
const K1: &str = "a1:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8";
const K0: &str = "a0:HyAhIiMkJSYnKCkqKywtLi8wMTIzNDU2Nzg5Ojs8PT4";

fn ring() -> KeyRing {
    KeyRing::parse(K1).unwrap()
}

fn sample() -> Activity {
    let mut a = Activity::new(NOW, Some(VisitorId::from_hex(&"ab".repeat(16)).unwrap()));
    a.record_product_view("p0001", NOW);
    a.record_product_view("p0002", NOW + 1);
    a.record_product_view("p0001", NOW + 2);
    a.record_category_view("dog", NOW + 2);
    a.record_impression("loyal-hero", NOW + 2);
    a.assign("hero-test", "B", NOW);
    a
}

#[test]
fn counts_recent_views_and_visits() {
    let mut a = sample();
    assert_eq!(a.product_views("p0001"), 2);
    assert_eq!(a.product_views("p0002"), 1);
    assert_eq!(a.category_views("dog"), 1);
    assert_eq!(a.impressions("loyal-hero"), 1);
    assert_eq!(a.recent_products().collect::<Vec<_>>(), ["p0001", "p0002"]);
    a.touch(NOW + 10);
    assert_eq!(a.visits, 1);
    a.touch(NOW + 10 + VISIT_GAP_SECS + 1);
    assert_eq!(a.visits, 2);
    assert_eq!(a.first_seen, NOW);
    assert_eq!(a.last_seen, NOW + 11 + VISIT_GAP_SECS);
}

#[test]
fn experiment_assignment_is_sticky() {
    let mut a = sample();
    assert_eq!(a.assign("hero-test", "A", NOW + 5), Some("B"));
    assert_eq!(a.assignment("hero-test"), Some("B"));
    assert_eq!(a.assignment("other"), None);
    assert_eq!(a.assign("", "A", NOW), None);
}

#[test]
fn overlong_keys_are_ignored() {
    let mut a = Activity::new(NOW, None);
    assert!(!a.record_product_view(&"x".repeat(MAX_KEY_BYTES + 1), NOW));
    assert!(!a.record_impression("", NOW));
    assert_eq!(a.entries(), 0);
}

#[test]
fn seal_then_open_round_trips() {
    let mut a = sample();
    let value = seal(&mut a, &ring(), Caps::default());
    let opened = open(&value, &ring()).unwrap();
    assert_eq!(opened.activity, a);
    assert!(!opened.rotated);
}

#[test]
fn old_key_is_accepted_and_flagged_for_reissue() {
    let mut a = sample();
    let old = seal(&mut a, &KeyRing::parse(K0).unwrap(), Caps::default());
    let rotated = KeyRing::parse(&format!("{K1},{K0}")).unwrap();
    let opened = open(&old, &rotated).unwrap();
    assert!(opened.rotated);
    let mut again = opened.activity;
    let reissued = seal(&mut again, &rotated, Caps::default());
    assert!(reissued.starts_with("a1."));
    assert!(!open(&reissued, &rotated).unwrap().rotated);
}

#[test]
fn profile_token_never_opens_as_activity() {
    let jws = crate::cookie::mint(&serde_json::json!({"sub":"u","exp":NOW}), &ring());
    // Same secret, but a JWS is `header.payload.sig`: the "kid" is a base64 header.
    assert!(open(&jws, &ring()).is_err());
    let value = format!("a1.{}", jws.split_once('.').unwrap().1);
    assert_eq!(open(&value, &ring()), Err(Rejection::Signature));
}

fn sealed() -> String {
    seal(&mut sample(), &ring(), Caps::default())
}

macro_rules! refuses {
    ($($name:ident: $value:expr => $why:expr,)*) => {$(
        #[test]
        fn $name() {
            let value: String = $value;
            assert_eq!(open(&value, &ring()), Err($why));
        }
    )*};
}

refuses! {
    empty: String::new() => Rejection::Malformed,
    two_parts: "a1.xyz".into() => Rejection::Malformed,
    unknown_kid: sealed().replacen("a1.", "zz.", 1) => Rejection::UnknownKid,
    flipped_mac: {
        let v = sealed();
        let last = if v.ends_with('A') { 'B' } else { 'A' };
        format!("{}{last}", &v[..v.len() - 1])
    } => Rejection::Signature,
    padded_mac: format!("{}=", sealed()) => Rejection::Base64,
    too_long: format!("a1.{}.x", "A".repeat(MAX_COOKIE_BYTES)) => Rejection::TooLong,
}

#[test]
fn tampered_payload_fails_the_mac() {
    let v = sealed();
    let mut parts: Vec<String> = v.split('.').map(str::to_owned).collect();
    let json = br#"{"f":1,"l":1,"n":999}"#;
    parts[1] = base64::Engine::encode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, json);
    assert_eq!(open(&parts.join("."), &ring()), Err(Rejection::Signature));
}

#[test]
fn trimming_drops_oldest_first_and_keeps_the_newest() {
    let mut a = Activity::new(NOW, None);
    for i in 0..400u64 {
        a.record_product_view(&format!("product-{i:04}-{}", "x".repeat(40)), NOW + i);
    }
    let value = seal(
        &mut a,
        &ring(),
        Caps {
            products: 400,
            recent: 400,
            ..Caps::default()
        },
    );
    assert!(ACTIVITY_COOKIE.len() + 1 + value.len() <= MAX_COOKIE_BYTES);
    let opened = open(&value, &ring()).unwrap().activity;
    let newest = format!("product-0399-{}", "x".repeat(40));
    assert_eq!(opened.recent_products().next(), Some(newest.as_str()));
    assert_eq!(opened.product_views("product-0000-".to_owned().as_str()), 0);
    assert!(
        opened.entries() > 10,
        "trimmed far too much: {}",
        opened.entries()
    );
}

#[test]
fn set_cookie_has_host_prefix_attributes() {
    let sc = set_cookie("v", 60);
    assert_eq!(
        sc,
        "__Host-vitrine_activity=v; Max-Age=60; Path=/; Secure; HttpOnly; SameSite=Lax"
    );
    assert!(set_cookie("v", u64::MAX).contains("; Max-Age=18446744073709551615; "));
    for attr in ["Path=/", "Secure", "HttpOnly", "SameSite=Lax"] {
        assert!(sc.contains(attr), "{sc}");
    }
    assert!(!sc.contains("Domain"));
    assert!(clear_cookie().contains("Max-Age=0"));
}

fn key() -> impl Strategy<Value = String> {
    "[a-z0-9._-]{1,64}"
}

#[derive(Debug, Clone)]
enum Event {
    Product(String),
    Category(String),
    Impression(String),
    Assign(String, String),
    Held(String),
    Conversion,
    Touch,
}

fn event() -> impl Strategy<Value = Event> {
    prop_oneof![
        key().prop_map(Event::Product),
        key().prop_map(Event::Category),
        key().prop_map(Event::Impression),
        (key(), key()).prop_map(|(e, v)| Event::Assign(e, v)),
        key().prop_map(Event::Held),
        Just(Event::Conversion),
        Just(Event::Touch),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Whatever happens, the sealed cookie fits in 4096 bytes and opens to what was sealed.
    #[test]
    fn sealed_cookie_is_bounded_and_round_trips(events in proptest::collection::vec(event(), 0..300)) {
        let mut a = Activity::new(NOW, VisitorId::random().ok());
        for (i, e) in events.iter().enumerate() {
            let now = NOW + i as u64 * 7;
            match e {
                Event::Product(k) => { a.record_product_view(k, now); }
                Event::Category(k) => { a.record_category_view(k, now); }
                Event::Impression(k) => { a.record_impression(k, now); }
                Event::Assign(x, v) => { a.assign(x, v, now); }
                Event::Held(k) => { a.record_held(k, now); }
                Event::Conversion => { a.count_event(now, 20); }
                Event::Touch => a.touch(now + VISIT_GAP_SECS),
            }
        }
        let value = seal(&mut a, &ring(), Caps::default());
        prop_assert!(ACTIVITY_COOKIE.len() + 1 + value.len() <= MAX_COOKIE_BYTES);
        prop_assert_eq!(open(&value, &ring()).map(|o| o.activity), Ok(a));
    }

    /// Arbitrary cookie values never panic and never open without the key.
    #[test]
    fn arbitrary_values_are_refused(value in "[A-Za-z0-9._=-]{0,200}") {
        prop_assert!(open(&value, &ring()).is_err());
    }
}

#[test]
fn predicted_length_matches_the_signed_value() {
    for n in [0, 1, 5, 50] {
        let mut a = Activity::new(NOW, None);
        for i in 0..n {
            a.record_product_view(&format!("p{i}"), NOW + i);
        }
        a.cap(Caps::default());
        let json = serde_json::to_vec(&a).unwrap();
        let value = seal(&mut a, &ring(), Caps::default());
        assert_eq!(value.len(), seal::value_len("a1", json.len()));
    }
}

#[test]
fn held_campaigns_remember_the_latest_time_and_round_trip() {
    let mut a = sample();
    assert_eq!(a.record_held("summer-hero", NOW), None);
    assert_eq!(a.record_held("summer-hero", NOW + 5), Some(NOW));
    assert_eq!(a.record_held(&"x".repeat(MAX_KEY_BYTES + 1), NOW), None);
    assert_eq!(a.held, [View("summer-hero".into(), NOW + 5)]);
    let value = seal(&mut a.clone(), &ring(), Caps::default());
    assert_eq!(open(&value, &ring()).unwrap().activity, a);
}

#[test]
fn the_event_rate_counts_per_minute_up_to_the_limit() {
    let mut a = sample();
    let minute = NOW / 60 * 60;
    for _ in 0..3 {
        assert!(a.count_event(minute + 1, 3));
    }
    assert!(!a.count_event(minute + 59, 3), "the fourth in one minute");
    assert_eq!(a.rate, Some(Rate(minute / 60, 3)));
    assert!(a.count_event(minute + 60, 3), "a new minute starts at zero");
    assert_eq!(a.rate, Some(Rate(minute / 60 + 1, 1)));
}

#[test]
fn cookies_written_before_held_and_rate_existed_still_open() {
    let old = br#"{"f":1800000000,"l":1800000000,"n":1,"i":[["loyal-hero",1,1800000000]]}"#;
    let opened = open(&seal_raw(old, &ring()), &ring()).unwrap().activity;
    assert!(opened.held.is_empty() && opened.rate.is_none());
}
