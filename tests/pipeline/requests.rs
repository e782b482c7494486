//! Request-fact conditions (country, device, referrer, local time of day, UTM parameters):
//! how they compile and when they hold.

use vitrine_compile::{compile, CompileError, Source};
use vitrine_core::cookie::Identity;
use vitrine_core::decide::*;
use vitrine_core::snapshot::expr::Device;
use vitrine_core::Snapshot;

fn snap(when: &str) -> Result<Snapshot, Vec<CompileError>> {
    let text = format!("[[campaign]]\nid = \"c\"\nslot = \"hero\"\nwhen = {when}\nhtml = \"x\"\n");
    compile(&[Source {
        name: "t.toml",
        text: &text,
    }])
}

fn holds_with(when: &str, facts: RequestFacts<'_>) -> bool {
    let s = snap(when).unwrap();
    let id = Identity::anonymous();
    let mut ctx = Context::new(&id, 0);
    ctx.request = facts;
    !decide_in(&s, &ctx).fills.is_empty()
}

macro_rules! conditions {
    ($($name:ident: $when:expr, $facts:expr => $want:expr,)*) => {$(
        #[test]
        fn $name() { assert_eq!(holds_with($when, $facts), $want); }
    )*};
}

fn at(minutes: u16) -> RequestFacts<'static> {
    RequestFacts {
        local_minutes: Some(minutes),
        ..RequestFacts::default()
    }
}

fn query(q: &'static str) -> RequestFacts<'static> {
    RequestFacts {
        query: q,
        ..RequestFacts::default()
    }
}

conditions! {
    country_listed: r#"{ country = ["de", "AT"] }"#, RequestFacts { country: Some("DE"), ..Default::default() } => true,
    country_not_listed: r#"{ country = ["AT"] }"#, RequestFacts { country: Some("FR"), ..Default::default() } => false,
    country_unknown: r#"{ country = ["AT"] }"#, RequestFacts::default() => false,
    device_mobile: r#"{ device = "mobile" }"#, RequestFacts { device: Some(Device::Mobile), ..Default::default() } => true,
    device_other: r#"{ device = "mobile" }"#, RequestFacts { device: Some(Device::Tablet), ..Default::default() } => false,
    device_unknown: r#"{ device = "desktop" }"#, RequestFacts::default() => false,
    referrer_glob: r#"{ referrer = "https://www.google.*" }"#, RequestFacts { referrer: Some("https://www.google.de/"), ..Default::default() } => true,
    referrer_absent: r#"{ referrer = "*" }"#, RequestFacts::default() => false,
    local_start_inclusive: r#"{ local_time = "18:00-22:00" }"#, at(18 * 60) => true,
    local_end_exclusive: r#"{ local_time = "18:00-22:00" }"#, at(22 * 60) => false,
    local_before: r#"{ local_time = "18:00-22:00" }"#, at(17 * 60 + 59) => false,
    local_wraps_late: r#"{ local_time = "22:00-06:00" }"#, at(23 * 60) => true,
    local_wraps_early: r#"{ local_time = "22:00-06:00" }"#, at(5 * 60 + 59) => true,
    local_wraps_outside: r#"{ local_time = "22:00-06:00" }"#, at(6 * 60) => false,
    local_all_day: r#"{ local_time = "00:00-24:00" }"#, at(23 * 60 + 59) => true,
    local_until_midnight: r#"{ local_time = "20:00-00:00" }"#, at(23 * 60 + 59) => true,
    local_unknown: r#"{ local_time = "00:00-24:00" }"#, RequestFacts::default() => false,
    utm_exact: r#"{ utm = { source = "newsletter" } }"#, query("utm_source=newsletter") => true,
    utm_ignores_case: r#"{ utm = { source = "Newsletter" } }"#, query("utm_source=NEWSLETTER") => true,
    utm_glob: r#"{ utm = { campaign = "xmas-*" } }"#, query("a=1&utm_campaign=xmas-2026") => true,
    utm_percent_decoded: r#"{ utm = { campaign = "black friday" } }"#, query("utm_campaign=Black%20Friday") => true,
    utm_plus_is_space: r#"{ utm = { term = "dog food" } }"#, query("utm_term=dog+food") => true,
    utm_every_listed: r#"{ utm = { source = "news", medium = "email" } }"#, query("utm_source=news&utm_medium=cpc") => false,
    utm_both: r#"{ utm = { source = "news", medium = "email" } }"#, query("utm_medium=email&utm_source=news") => true,
    utm_absent: r#"{ utm = { source = "*" } }"#, query("source=news") => false,
}

fn refused(when: &str) -> CompileError {
    snap(when)
        .err()
        .and_then(|e| e.into_iter().next())
        .expect("refused")
}

#[test]
fn bad_time_windows_are_located_errors() {
    for bad in [
        "18-22",
        "18:00",
        "25:00-26:00",
        "10:00-10:00",
        "8:00-9:00",
        "24:00-01:00",
        "10:60-11:00",
    ] {
        let e = refused(&format!("{{ local_time = \"{bad}\" }}"));
        assert_eq!(e.code, "local-time", "{bad}: {e}");
        assert!(e.field.ends_with("local_time") && e.line == 4, "{e}");
    }
}

#[test]
fn bad_utm_tables_are_located_errors() {
    let e = refused(r#"{ utm = { sauce = "x" } }"#);
    assert!(
        e.message.contains("sauce") && e.field.ends_with("utm"),
        "{e}"
    );
    let e = refused(r#"{ utm = {} }"#);
    assert!(e.message.contains("no parameter"), "{e}");
}
