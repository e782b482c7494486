//! Every claims rule, one `#[test]` per row.

use super::*;

const NOW: u64 = 1_800_000_000;

fn policy() -> TimePolicy {
    TimePolicy {
        leeway_secs: 60,
        max_age_secs: Some(86_400),
    }
}

fn p(json: &str) -> Result<VerifiedProfile, Rejection> {
    parse(json.as_bytes(), NOW, policy())
}

#[test]
fn full_profile_parses() {
    let v = p(r#"{"sub":"u1","seg":["loyal"],"attrs":{"tier":"gold","orders":12,"pets":["dog"]},"iat":1799999000,"exp":1800003600,"iss":"shop","aud":"vitrine"}"#).unwrap();
    assert!(v.in_segment("loyal"));
    assert!(!v.in_segment("vip"));
    assert_eq!(v.attrs.get("orders"), Some(&AttrValue::Number(12.0)));
    assert_eq!(v.attrs.get("tier"), Some(&AttrValue::Text("gold".into())));
}

#[test]
fn unverified_attribute_is_dropped_before_targeting() {
    let v = p(r#"{"sub":"u","iat":1799999000,"exp":1800003600,"attrs":{"birthday":{"value":"01-01","verified":false},"tier":{"value":"gold","verified":true}}}"#).unwrap();
    assert_eq!(v.attrs.get("birthday"), None);
    assert_eq!(v.attrs.get("tier"), Some(&AttrValue::Text("gold".into())));
}

#[test]
fn consent_attribute_is_read() {
    let yes = p(r#"{"sub":"u","iat":1799999000,"exp":1800003600,"attrs":{"consent":true}}"#);
    let no = p(r#"{"sub":"u","iat":1799999000,"exp":1800003600,"attrs":{"consent":false}}"#);
    let none = p(r#"{"sub":"u","iat":1799999000,"exp":1800003600}"#);
    assert_eq!(yes.unwrap().consent(), Some(true));
    assert_eq!(no.unwrap().consent(), Some(false));
    assert_eq!(none.unwrap().consent(), None);
}

#[test]
fn sub_is_optional() {
    let v = p(r#"{"seg":["dog_owner"],"iat":1799999000,"exp":1800003600}"#).unwrap();
    assert_eq!(v.sub, "");
    assert!(v.in_segment("dog_owner"));
}

#[test]
fn leeway_accepts_just_expired() {
    assert!(p(r#"{"sub":"u","iat":1799999000,"exp":1799999940}"#).is_ok());
}

#[test]
fn leeway_is_configurable() {
    let strict = TimePolicy {
        leeway_secs: 0,
        max_age_secs: None,
    };
    let json = br#"{"sub":"u","exp":1799999999}"#;
    assert_eq!(parse(json, NOW, strict), Err(Rejection::Expired));
    assert!(parse(json, NOW, TimePolicy::default()).is_ok());
}

#[test]
fn no_max_age_accepts_missing_iat() {
    let json = br#"{"sub":"u","exp":1800003600}"#;
    assert!(parse(json, NOW, TimePolicy::default()).is_ok());
}

macro_rules! rejects {
    ($($name:ident: $json:expr => $why:expr,)*) => {$(
        #[test]
        fn $name() { assert_eq!(p($json), Err($why)); }
    )*};
}

rejects! {
    exp_missing: r#"{"sub":"u","iat":1799999000}"# => Rejection::MissingClaim("exp"),
    sub_empty: r#"{"sub":"","iat":1799999000,"exp":1800003600}"# => Rejection::InvalidClaim("sub"),
    sub_number: r#"{"sub":7,"iat":1799999000,"exp":1800003600}"# => Rejection::InvalidClaim("sub"),
    exp_string: r#"{"sub":"u","iat":1799999000,"exp":"1800003600"}"# => Rejection::InvalidClaim("exp"),
    exp_float: r#"{"sub":"u","iat":1799999000,"exp":1800003600.5}"# => Rejection::InvalidClaim("exp"),
    exp_exponent: r#"{"sub":"u","iat":1799999000,"exp":1.8e9}"# => Rejection::InvalidClaim("exp"),
    exp_negative: r#"{"sub":"u","iat":1799999000,"exp":-1}"# => Rejection::InvalidClaim("exp"),
    exp_bool: r#"{"sub":"u","iat":1799999000,"exp":true}"# => Rejection::InvalidClaim("exp"),
    exp_null: r#"{"sub":"u","iat":1799999000,"exp":null}"# => Rejection::InvalidClaim("exp"),
    iat_string: r#"{"sub":"u","iat":"1799999000","exp":1800003600}"# => Rejection::InvalidClaim("iat"),
    nbf_string: r#"{"sub":"u","iat":1799999000,"nbf":"0","exp":1800003600}"# => Rejection::InvalidClaim("nbf"),
    expired: r#"{"sub":"u","iat":1799999000,"exp":1799999939}"# => Rejection::Expired,
    nbf_future: r#"{"sub":"u","iat":1799999000,"exp":1800003600,"nbf":1800000061}"# => Rejection::NotYetValid,
    iat_future: r#"{"sub":"u","exp":1800003600,"iat":1800000061}"# => Rejection::IssuedInFuture,
    stale: r#"{"sub":"u","exp":1800003600,"iat":1799913599}"# => Rejection::Stale,
    stale_without_iat: r#"{"sub":"u","exp":1800003600}"# => Rejection::Stale,
    duplicate_sub: r#"{"sub":"u","sub":"v","iat":1799999000,"exp":1800003600}"# => Rejection::DuplicateClaim,
    duplicate_exp: r#"{"sub":"u","iat":1799999000,"exp":1800003600,"exp":1900000000}"# => Rejection::DuplicateClaim,
    duplicate_seg: r#"{"sub":"u","seg":[],"seg":["vip"],"iat":1799999000,"exp":1800003600}"# => Rejection::DuplicateClaim,
    duplicate_unknown_claim: r#"{"sub":"u","iss":"a","iss":"b","iat":1799999000,"exp":1800003600}"# => Rejection::DuplicateClaim,
    duplicate_attr: r#"{"sub":"u","iat":1799999000,"exp":1800003600,"attrs":{"a":1,"a":2}}"# => Rejection::DuplicateClaim,
    not_json: "nope" => Rejection::ClaimsNotJson,
    truncated_json: r#"{"sub":"u","exp":18"# => Rejection::ClaimsNotJson,
    trailing_garbage: r#"{"sub":"u","iat":1799999000,"exp":1800003600} x"# => Rejection::ClaimsNotJson,
    lone_surrogate: r#"{"sub":"\ud800","iat":1799999000,"exp":1800003600}"# => Rejection::ClaimsNotJson,
    array_payload: r#"["sub","u"]"# => Rejection::ClaimsNotObject,
    seg_not_list: r#"{"sub":"u","iat":1799999000,"exp":1800003600,"seg":"loyal"}"# => Rejection::InvalidClaim("seg"),
    seg_numbers: r#"{"sub":"u","iat":1799999000,"exp":1800003600,"seg":[1]}"# => Rejection::InvalidClaim("seg"),
    attrs_not_object: r#"{"sub":"u","iat":1799999000,"exp":1800003600,"attrs":[1]}"# => Rejection::InvalidClaim("attrs"),
    attr_nested_object: r#"{"sub":"u","iat":1799999000,"exp":1800003600,"attrs":{"a":{"b":1}}}"# => Rejection::InvalidClaim("attrs"),
}

#[test]
fn bad_utf8_is_refused() {
    let mut bytes = br#"{"sub":"u"#.to_vec();
    bytes.extend_from_slice(&[0xff, 0xfe]);
    bytes.extend_from_slice(br#"","iat":1799999000,"exp":1800003600}"#);
    assert_eq!(parse(&bytes, NOW, policy()), Err(Rejection::ClaimsNotUtf8));
}

rejects! {
    attr_wrapped_as_array: r#"{"sub":"u","iat":1799999000,"exp":1800003600,"attrs":{"a":["x",true]}}"# => Rejection::InvalidClaim("attrs"),
    attr_wrapper_without_verified: r#"{"sub":"u","iat":1799999000,"exp":1800003600,"attrs":{"a":{"value":1}}}"# => Rejection::InvalidClaim("attrs"),
    attr_wrapper_duplicate_verified: r#"{"sub":"u","iat":1799999000,"exp":1800003600,"attrs":{"a":{"value":1,"verified":false,"verified":true}}}"# => Rejection::DuplicateClaim,
    attr_wrapper_nested_wrapper: r#"{"sub":"u","iat":1799999000,"exp":1800003600,"attrs":{"a":{"value":{"value":1,"verified":true},"verified":true}}}"# => Rejection::InvalidClaim("attrs"),
    duplicate_attr_after_unverified: r#"{"sub":"u","iat":1799999000,"exp":1800003600,"attrs":{"a":{"value":1,"verified":false},"a":2}}"# => Rejection::DuplicateClaim,
}

/// The attribute example of docs/profile-claims.schema.json is what vitrine accepts.
#[test]
fn schema_example_attributes_parse() {
    let schema: serde_json::Value = serde_json::from_str(include_str!(
        "../../../../../docs/profile-claims.schema.json"
    ))
    .unwrap();
    let attrs = &schema["properties"]["attrs"]["examples"][0];
    let claims = serde_json::json!({"sub":"u","iat":1799999000,"exp":1800003600,"attrs":attrs});
    let v = p(&claims.to_string()).unwrap();
    assert_eq!(
        v.attrs.get("purchased"),
        Some(&AttrValue::List(vec!["p0012".into(), "p0044".into()]))
    );
    assert_eq!(v.consent(), Some(true));
    assert_eq!(v.attrs.get("birthday"), None);
}
