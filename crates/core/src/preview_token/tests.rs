use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use proptest::prelude::*;

use std::collections::BTreeSet;

use super::*;
use crate::cookie::AttrValue;

const NOW: u64 = 1_800_000_000;
const SECRET: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8";

fn ring() -> KeyRing {
    KeyRing::parse(&format!("pv1:{SECRET}")).unwrap()
}

fn full() -> Preview {
    Preview {
        segments: Some(vec!["loyal".into(), "vip".into()]),
        attrs: None,
        anonymous: false,
        variants: vec![("strip-copy".into(), "shipping".into())],
        at: Some(1_798_106_400),
    }
}

/// Signs raw claims text, bypassing `mint`'s checks, to reach the verifier's.
fn signed(claims: &str) -> String {
    jws::sign(claims.as_bytes(), ring().current())
}

#[test]
fn minted_token_verifies_with_what_it_forces() {
    let token = mint(&full(), ring().current(), NOW, 900).unwrap();
    let v = verify(&token, &ring(), NOW + 10).unwrap();
    assert_eq!(v.preview, full());
    assert_eq!((v.iat, v.exp), (NOW, NOW + 900));
}

#[test]
fn empty_preview_is_valid() {
    let token = mint(&Preview::default(), ring().current(), NOW, 60).unwrap();
    assert_eq!(
        verify(&token, &ring(), NOW).unwrap().preview,
        Preview::default()
    );
}

#[test]
fn mint_refuses_lifetimes_over_a_day_or_zero() {
    let key = ring();
    assert_eq!(
        mint(&full(), key.current(), NOW, MAX_TTL_SECS + 1),
        Err(MintError::Lifetime(MAX_TTL_SECS + 1))
    );
    assert_eq!(
        mint(&full(), key.current(), NOW, 0),
        Err(MintError::Lifetime(0))
    );
    assert!(mint(&full(), key.current(), NOW, MAX_TTL_SECS).is_ok());
}

#[test]
fn mint_refuses_what_the_edge_would_refuse() {
    let p = Preview {
        anonymous: true,
        ..full()
    };
    assert_eq!(
        mint(&p, ring().current(), NOW, 60),
        Err(MintError::Refused(Refusal::Conflict))
    );
    let p = Preview {
        segments: Some(vec!["has space".into()]),
        ..Preview::default()
    };
    assert_eq!(
        mint(&p, ring().current(), NOW, 60),
        Err(MintError::Refused(Refusal::InvalidClaim("seg")))
    );
}

#[test]
fn expiry_and_issue_time_hold_with_leeway() {
    let token = mint(&full(), ring().current(), NOW, 600).unwrap();
    assert!(verify(&token, &ring(), NOW + 600 + LEEWAY_SECS).is_ok());
    assert_eq!(
        verify(&token, &ring(), NOW + 600 + LEEWAY_SECS + 1),
        Err(Refusal::Expired)
    );
    assert!(verify(&token, &ring(), NOW - LEEWAY_SECS).is_ok());
    assert_eq!(
        verify(&token, &ring(), NOW - LEEWAY_SECS - 1),
        Err(Refusal::IssuedInFuture)
    );
}

#[test]
fn a_profile_cookie_is_not_a_preview_even_with_the_same_key() {
    let profile = crate::cookie::mint(
        &serde_json::json!({"sub":"u","seg":["vip"],"exp":NOW + 60}),
        &ring(),
    );
    assert_eq!(verify(&profile, &ring(), NOW), Err(Refusal::UnknownClaim));
    let disguised = signed(&format!(
        r#"{{"use":"profile","iat":{NOW},"exp":{}}}"#,
        NOW + 60
    ));
    assert_eq!(verify(&disguised, &ring(), NOW), Err(Refusal::WrongUse));
}

#[test]
fn another_rings_token_is_refused() {
    let other = KeyRing::parse("pv1:HyAhIiMkJSYnKCkqKywtLi8wMTIzNDU2Nzg5Ojs8PT4").unwrap();
    let token = mint(&full(), other.current(), NOW, 60).unwrap();
    assert_eq!(
        verify(&token, &ring(), NOW),
        Err(Refusal::Jws(Rejection::Signature))
    );
}

fn claims(extra: &str) -> String {
    format!(
        r#"{{"use":"vitrine-preview","iat":{NOW},"exp":{}{extra}}}"#,
        NOW + 600
    )
}

macro_rules! refused {
    ($($name:ident: $token:expr => $why:expr,)*) => {$(
        #[test]
        fn $name() {
            let token: String = $token;
            let got = verify(&token, &ring(), NOW);
            assert_eq!(got, Err($why));
            // Every refusal has a distinct, stable code.
            assert!(!$why.code().is_empty());
        }
    )*};
}

refused! {
    too_long: "a".repeat(MAX_TOKEN_BYTES + 1) => Refusal::TooLong,
    malformed: "a.b".to_owned() => Refusal::Jws(Rejection::Malformed),
    padded: format!("{}=", signed(&claims(""))) => Refusal::Jws(Rejection::Base64),
    alg_none: {
        let h = URL_SAFE_NO_PAD.encode(r#"{"alg":"none"}"#);
        let p = URL_SAFE_NO_PAD.encode(claims(""));
        format!("{h}.{p}.")
    } => Refusal::Jws(Rejection::Algorithm),
    unknown_kid: {
        let other = KeyRing::parse(&format!("zzz:{SECRET}")).unwrap();
        jws::sign(claims("").as_bytes(), other.current())
    } => Refusal::Jws(Rejection::UnknownKid),
    tampered: {
        let t = signed(&claims(""));
        let parts: Vec<&str> = t.split('.').collect();
        let forged = URL_SAFE_NO_PAD.encode(claims(r#","seg":["vip"]"#));
        format!("{}.{forged}.{}", parts[0], parts[2])
    } => Refusal::Jws(Rejection::Signature),
    not_utf8: jws::sign(&[0xff, 0xfe], ring().current()) => Refusal::NotJson,
    not_json: signed("{not json") => Refusal::NotJson,
    array: signed(r#"["vitrine-preview",1,2]"#) => Refusal::NotJson,
    trailing: signed(&format!("{} {{}}", claims(""))) => Refusal::NotJson,
    unknown_claim: signed(&claims(r#","sub":"x""#)) => Refusal::UnknownClaim,
    escaped_name_is_unknown: signed(&claims(r#","\u0061t":1"#)) => Refusal::UnknownClaim,
    duplicate_claim: signed(&claims(r#","at":1,"at":2"#)) => Refusal::DuplicateClaim,
    duplicate_variant: signed(&claims(r#","variants":{"e":"a","e":"b"}"#)) => Refusal::DuplicateClaim,
    duplicate_attr: signed(&claims(r#","attrs":{"tier":"a","tier":"b"}"#)) => Refusal::DuplicateClaim,
    attrs_not_object: signed(&claims(r#","attrs":[1]"#)) => Refusal::InvalidClaim("attrs"),
    anonymous_not_bool: signed(&claims(r#","anonymous":1"#)) => Refusal::InvalidClaim("anonymous"),
    missing_use: signed(&format!(r#"{{"iat":{NOW},"exp":{}}}"#, NOW + 60)) => Refusal::MissingClaim,
    missing_exp: signed(&format!(r#"{{"use":"vitrine-preview","iat":{NOW}}}"#)) => Refusal::MissingClaim,
    wrong_use: signed(&format!(r#"{{"use":"other","iat":{NOW},"exp":{}}}"#, NOW + 60)) => Refusal::WrongUse,
    exp_as_string: signed(&format!(r#"{{"use":"vitrine-preview","iat":{NOW},"exp":"{}"}}"#, NOW + 60)) => Refusal::InvalidClaim("exp"),
    exp_as_float: signed(&format!(r#"{{"use":"vitrine-preview","iat":{NOW},"exp":1.8e9}}"#)) => Refusal::InvalidClaim("exp"),
    seg_not_list: signed(&claims(r#","seg":"loyal""#)) => Refusal::InvalidClaim("seg"),
    seg_bad_id: signed(&claims(r#","seg":["a b"]"#)) => Refusal::InvalidClaim("seg"),
    seg_repeated: signed(&claims(r#","seg":["a","a"]"#)) => Refusal::InvalidClaim("seg"),
    seg_too_many: {
        let many: Vec<String> = (0..=MAX_SEGMENTS).map(|i| format!("\"s{i}\"")).collect();
        signed(&claims(&format!(r#","seg":[{}]"#, many.join(","))))
    } => Refusal::InvalidClaim("seg"),
    variants_bad_arm: signed(&claims(r#","variants":{"e":"a b"}"#)) => Refusal::InvalidClaim("variants"),
    variants_too_many: {
        let many: Vec<String> = (0..=MAX_VARIANTS).map(|i| format!("\"e{i}\":\"a\"")).collect();
        signed(&claims(&format!(r#","variants":{{{}}}"#, many.join(","))))
    } => Refusal::InvalidClaim("variants"),
    at_negative: signed(&claims(r#","at":-1"#)) => Refusal::InvalidClaim("at"),
    at_too_late: signed(&claims(r#","at":253402300800"#)) => Refusal::InvalidClaim("at"),
    anonymous_with_segments: signed(&claims(r#","anonymous":true,"seg":["a"]"#)) => Refusal::Conflict,
    anonymous_with_attrs: signed(&claims(r#","anonymous":true,"attrs":{"tier":"gold"}"#)) => Refusal::Conflict,
    lifetime_over_a_day: signed(&format!(r#"{{"use":"vitrine-preview","iat":{NOW},"exp":{}}}"#, NOW + MAX_TTL_SECS + 1)) => Refusal::Lifetime,
    exp_before_iat: signed(&format!(r#"{{"use":"vitrine-preview","iat":{NOW},"exp":{}}}"#, NOW - 1)) => Refusal::Lifetime,
    expired: signed(&format!(r#"{{"use":"vitrine-preview","iat":{},"exp":{}}}"#, NOW - 700, NOW - 100)) => Refusal::Expired,
    issued_in_future: signed(&format!(r#"{{"use":"vitrine-preview","iat":{},"exp":{}}}"#, NOW + 100, NOW + 700)) => Refusal::IssuedInFuture,
}

#[test]
fn refusal_codes_are_distinct() {
    let all = [
        Refusal::TooLong,
        Refusal::NotJson,
        Refusal::UnknownClaim,
        Refusal::DuplicateClaim,
        Refusal::MissingClaim,
        Refusal::WrongUse,
        Refusal::InvalidClaim("seg"),
        Refusal::Conflict,
        Refusal::Lifetime,
        Refusal::Expired,
        Refusal::IssuedInFuture,
    ];
    let codes: BTreeSet<&str> = all.iter().map(|r| r.code()).collect();
    assert_eq!(codes.len(), all.len());
}

#[test]
fn identity_follows_what_is_forced() {
    let own = Identity::Profile(VerifiedProfile {
        sub: "alice".into(),
        segments: vec!["dog_owner".into()],
        attrs: Attrs::default(),
        exp: 1,
    });
    assert_eq!(Preview::default().identity(&own), None);
    let forced = full().identity(&own).unwrap();
    let p = forced.profile().unwrap();
    assert_eq!(
        (p.sub.as_str(), p.segments.clone()),
        ("alice", vec!["loyal".to_owned(), "vip".to_owned()])
    );
    let anon = Preview {
        anonymous: true,
        ..Preview::default()
    };
    assert_eq!(anon.identity(&own), Some(Identity::anonymous()));
}

#[test]
fn summary_names_ids_not_values() {
    let mut p = full();
    let mut attrs = std::collections::BTreeMap::new();
    attrs.insert("tier".to_owned(), AttrValue::Text("gold; secret".into()));
    p.attrs = Some(Attrs(attrs));
    let s = p.summary();
    assert_eq!(
        s,
        "seg=loyal,vip attrs=tier arms=strip-copy:shipping at=1798106400"
    );
}

macro_rules! finds {
    ($($name:ident: $query:expr, $header:expr => $want:expr,)*) => {$(
        #[test]
        fn $name() { assert_eq!(find($query, $header), $want); }
    )*};
}

finds! {
    find_in_query: "a=1&vitrine_preview=t.o.k&b=2", None => Some("t.o.k"),
    find_query_wins: "vitrine_preview=q", Some("h") => Some("q"),
    find_in_header: "a=1", Some(" h.e.d ") => Some("h.e.d"),
    find_none: "vitrine_previewx=1", None => None,
    find_empty_is_none: "vitrine_preview=", None => None,
    find_first_of_two: "vitrine_preview=a&vitrine_preview=b", None => Some("a"),
}

macro_rules! strips {
    ($($name:ident: $url:expr => $want:expr,)*) => {$(
        #[test]
        fn $name() { assert_eq!(strip_param($url), $want); }
    )*};
}

strips! {
    strip_only_param: "https://h/p?vitrine_preview=x" => "https://h/p",
    strip_keeps_others: "https://h/p?a=1&vitrine_preview=x&b=2" => "https://h/p?a=1&b=2",
    strip_every_copy: "https://h/p?vitrine_preview=x&vitrine_preview=y&a" => "https://h/p?a",
    strip_bare_param: "https://h/p?vitrine_preview" => "https://h/p",
    strip_untouched: "https://h/p?a=1#f" => "https://h/p?a=1#f",
    strip_similar_name_kept: "https://h/p?vitrine_previews=1" => "https://h/p?vitrine_previews=1",
    strip_no_query: "https://h/p" => "https://h/p",
}

proptest! {
    /// Any string is verified or refused, never a panic; and never accepted without the key.
    #[test]
    fn arbitrary_tokens_are_refused(token in ".{0,300}") {
        prop_assert!(verify(&token, &ring(), NOW).is_err());
    }

    /// Minting then verifying gives back what was forced.
    #[test]
    fn mint_verify_round_trips(
        seg in prop::collection::btree_set("[a-z_]{1,12}", 0..5),
        arms in prop::collection::btree_map("[a-z-]{1,12}", "[a-z]{1,8}", 0..4),
        at in prop::option::of(0i64..4_000_000_000),
        ttl in 1u64..=MAX_TTL_SECS,
    ) {
        let p = Preview {
            segments: Some(seg.into_iter().collect()),
            attrs: None,
            anonymous: false,
            variants: arms.into_iter().collect(),
            at,
        };
        let token = mint(&p, ring().current(), NOW, ttl).unwrap();
        prop_assert!(token.len() <= MAX_TOKEN_BYTES);
        prop_assert_eq!(verify(&token, &ring(), NOW + ttl).unwrap().preview, p);
    }
}
