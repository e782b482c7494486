//! Consent policy, one `#[test]` per row.

use super::*;
use crate::cookie::Attrs;

const ONETRUST: &str = "OptanonConsent=isGpcEnabled=0&datestamp=Fri+Nov+27+2026&version=202409.1.0&groups=C0001%3A1%2CC0002%3A0%2CC0004%3A1&hosts=";
const ONETRUST_NO: &str = "OptanonConsent=isGpcEnabled=0&groups=C0001%3A1%2CC0004%3A0";

fn profile(consent: Option<bool>) -> VerifiedProfile {
    let mut attrs = Attrs::default();
    if let Some(c) = consent {
        attrs
            .0
            .insert("consent".into(), crate::cookie::AttrValue::Bool(c));
    }
    VerifiedProfile {
        sub: "u".into(),
        segments: vec![],
        attrs,
        exp: 0,
    }
}

fn eval(
    config: &str,
    cookie: Option<&str>,
    gpc: Option<&str>,
    p: Option<VerifiedProfile>,
) -> Consent {
    evaluate(
        &ConsentSource::parse(config).unwrap(),
        cookie,
        gpc,
        p.as_ref(),
    )
}

const YES: Consent = Consent::Granted;
const NO: Consent = Consent::Denied(Denial::NotGranted);
const GPC: Consent = Consent::Denied(Denial::Gpc);

macro_rules! table {
    ($($name:ident: $config:expr, $cookie:expr, $gpc:expr, $profile:expr => $want:expr,)*) => {$(
        #[test]
        fn $name() { assert_eq!(eval($config, $cookie, $gpc, $profile), $want); }
    )*};
}

table! {
    default_is_never: "", Some("cookieconsent_status=allow"), None, None => NO,
    none_is_never: "none", None, None, None => NO,
    granted: "granted", None, None, None => YES,
    granted_but_gpc: "granted", None, Some("1"), None => GPC,
    gpc_zero_is_no_signal: "granted", None, Some("0"), None => YES,
    gpc_with_spaces: "granted", None, Some(" 1 "), None => GPC,
    gpc_repeated_header: "granted", None, Some("1, 1"), None => GPC,
    gpc_garbage: "granted", None, Some("yes"), None => YES,
    cookie_allow: "cookie:cookieconsent_status=allow", Some("a=1; cookieconsent_status=allow"), None, None => YES,
    cookie_deny: "cookie:cookieconsent_status=allow", Some("cookieconsent_status=deny"), None, None => NO,
    cookie_dismiss_listed: "cookie:cookieconsent_status=allow|dismiss", Some("cookieconsent_status=dismiss"), None, None => YES,
    cookie_absent: "cookie:cookieconsent_status=allow", Some("a=1"), None, None => NO,
    cookie_no_header: "cookie:cookieconsent_status=allow", None, None, None => NO,
    cookie_ambiguous: "cookie:cookieconsent_status=allow", Some("cookieconsent_status=allow; cookieconsent_status=deny"), None, None => NO,
    cookie_allow_but_gpc: "cookie:cookieconsent_status=allow", Some("cookieconsent_status=allow"), Some("1"), None => GPC,
    onetrust_group_active: "onetrust:C0004", Some(ONETRUST), None, None => YES,
    onetrust_group_inactive: "onetrust:C0002", Some(ONETRUST), None, None => NO,
    onetrust_group_missing: "onetrust:C0005", Some(ONETRUST), None, None => NO,
    onetrust_refused: "onetrust:C0004", Some(ONETRUST_NO), None, None => NO,
    onetrust_prefix_group_no_match: "onetrust:C000", Some(ONETRUST), None, None => NO,
    profile_true: "profile", None, None, Some(profile(Some(true))) => YES,
    profile_false: "profile", None, None, Some(profile(Some(false))) => NO,
    profile_silent: "profile", None, None, Some(profile(None)) => NO,
    profile_absent: "profile", None, None, None => NO,
    profile_true_but_gpc: "profile", None, Some("1"), Some(profile(Some(true))) => GPC,
}

macro_rules! config_refused {
    ($($name:ident: $config:expr,)*) => {$(
        #[test]
        fn $name() { assert!(ConsentSource::parse($config).is_err()); }
    )*};
}

config_refused! {
    unknown_word: "yes",
    cookie_without_value: "cookie:name",
    cookie_empty_name: "cookie:=allow",
    cookie_empty_value: "cookie:a=",
    cookie_semicolon: "cookie:a;b=1",
    onetrust_empty: "onetrust:",
    onetrust_with_state: "onetrust:C0004:1",
    other_kind: "header:x",
}
