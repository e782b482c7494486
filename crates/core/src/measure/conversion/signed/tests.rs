use super::*;
use crate::cookie::activity::Caps;
use crate::cookie::visitor::{resolve, Paths, Request, Settings};
use crate::cookie::{ConsentSource, TimePolicy, PROFILE_COOKIE};

const RING: &str = "p1:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8";
const OTHER: &str = "p1:HyAhIiMkJSYnKCkqKywtLi8wMTIzNDU2Nzg5Ojs8PT4";
const NOW: u64 = 1_800_000_000;

fn ring() -> KeyRing {
    KeyRing::parse(RING).unwrap()
}

/// A visitor signed in as `sub`, or anonymous.
fn visitor(sub: Option<&str>) -> Visitor {
    let ring = ring();
    let consent = ConsentSource::parse("none").unwrap();
    let settings = Settings {
        profile_keys: &ring,
        activity_keys: None,
        time: TimePolicy::default(),
        consent: &consent,
        activity_max_age_secs: 86_400,
        caps: Caps::default(),
        pseudonym_keys: None,
    };
    let cookie = sub.map(|sub| {
        let token = crate::cookie::mint(
            &serde_json::json!({"sub": sub, "seg": [], "exp": NOW + 600}),
            &ring,
        );
        format!("{PROFILE_COOKIE}={token}")
    });
    let req = Request {
        cookie: cookie.as_deref(),
        gpc: None,
        path: "/order/confirmed",
        now: NOW,
    };
    resolve(req, &settings, Paths::default())
}

fn signed(claims: serde_json::Value) -> String {
    jws::sign(claims.to_string().as_bytes(), ring().current())
}

#[test]
fn a_minted_token_verifies_with_its_order_and_value() {
    let token = mint(
        &ring(),
        "purchase",
        "A-1",
        Some(49.9),
        Some("u-1"),
        NOW,
        600,
    );
    assert_eq!(
        verify(&token, &ring(), "purchase", &visitor(Some("u-1")), NOW + 10),
        Ok(Signed {
            order: "A-1".into(),
            value: Some(49.9)
        })
    );
    // Without `sub`, any visitor.
    let token = mint(&ring(), "purchase", "A-2", None, None, NOW, 600);
    assert!(verify(&token, &ring(), "purchase", &visitor(None), NOW).is_ok());
}

macro_rules! refused {
    ($($name:ident: $token:expr, $visitor:expr, $now:expr => $want:expr,)*) => {$(
        #[test]
        fn $name() {
            let got = verify(&$token, &ring(), "purchase", &$visitor, $now);
            assert_eq!(got.map_err(SignedRefusal::code), Err($want.code()));
        }
    )*};
}

refused! {
    foreign_key: mint(&KeyRing::parse(OTHER).unwrap(), "purchase", "A", None, None, NOW, 600),
        visitor(None), NOW => SignedRefusal::Jws(Rejection::Signature),
    tampered: {
        let t = mint(&ring(), "purchase", "A", Some(5.0), None, NOW, 600);
        let last = if t.ends_with('A') { 'B' } else { 'A' };
        format!("{}{last}", &t[..t.len() - 1])
    }, visitor(None), NOW => SignedRefusal::Jws(Rejection::Signature),
    garbage: "eyJ.not.a-token", visitor(None), NOW => SignedRefusal::Jws(Rejection::Base64),
    profile_cookie: crate::cookie::mint(
        &serde_json::json!({"sub": "u-1", "seg": [], "exp": NOW + 600}), &ring()),
        visitor(None), NOW => SignedRefusal::Claims,
    wrong_use: signed(serde_json::json!({"use": "vitrine-preview", "goal": "purchase",
        "order": "A", "iat": NOW, "exp": NOW + 60})), visitor(None), NOW => SignedRefusal::Claims,
    unknown_claim: signed(serde_json::json!({"use": USE, "goal": "purchase", "order": "A",
        "iat": NOW, "exp": NOW + 60, "total": 5})), visitor(None), NOW => SignedRefusal::Claims,
    empty_order: mint(&ring(), "purchase", "", None, None, NOW, 600),
        visitor(None), NOW => SignedRefusal::Claims,
    value_as_string: signed(serde_json::json!({"use": USE, "goal": "purchase", "order": "A",
        "value": "5", "iat": NOW, "exp": NOW + 60})), visitor(None), NOW => SignedRefusal::Claims,
    other_goal: mint(&ring(), "signup", "A", None, None, NOW, 600),
        visitor(None), NOW => SignedRefusal::OtherGoal,
    expired: mint(&ring(), "purchase", "A", None, None, NOW - 700, 600),
        visitor(None), NOW => SignedRefusal::Time,
    future: mint(&ring(), "purchase", "A", None, None, NOW + 120, 600),
        visitor(None), NOW => SignedRefusal::Time,
    too_long_lived: mint(&ring(), "purchase", "A", None, None, NOW, MAX_LIFETIME_SECS + 1),
        visitor(None), NOW => SignedRefusal::Time,
    other_visitor: mint(&ring(), "purchase", "A", None, Some("u-1"), NOW, 600),
        visitor(Some("u-2")), NOW => SignedRefusal::OtherVisitor,
    anonymous_visitor: mint(&ring(), "purchase", "A", None, Some("u-1"), NOW, 600),
        visitor(None), NOW => SignedRefusal::OtherVisitor,
}

#[test]
fn duplicate_claims_are_refused() {
    let payload = format!(
        r#"{{"use":"{USE}","goal":"purchase","order":"A","order":"B","iat":{NOW},"exp":{}}}"#,
        NOW + 60
    );
    let token = jws::sign(payload.as_bytes(), ring().current());
    assert_eq!(
        verify(&token, &ring(), "purchase", &visitor(None), NOW),
        Err(SignedRefusal::Claims)
    );
}

#[test]
fn a_conversion_token_is_never_a_profile_cookie() {
    let token = mint(&ring(), "purchase", "A", None, Some("u-1"), NOW, 600);
    let v = visitor(None);
    let cookie = format!("{PROFILE_COOKIE}={token}");
    let identity = crate::cookie::identify(Some(&cookie), &ring(), NOW, TimePolicy::default());
    assert!(identity.profile().is_none(), "{identity:?}");
    drop(v);
}

proptest::proptest! {
    /// Any token text is refused or accepted without a panic.
    #[test]
    fn any_token_is_refused_without_panic(token in "\\PC{0,300}") {
        let _ = verify(&token, &ring(), "purchase", &visitor(None), NOW);
    }
}
