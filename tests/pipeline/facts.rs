use proptest::prelude::*;

use crate::testutil::compiled;
use vitrine_core::facts::*;
use vitrine_core::snapshot::expr::Device;
use vitrine_core::Snapshot;

macro_rules! devices {
    ($($name:ident: $ua:expr => $want:expr,)*) => {$(
        #[test]
        fn $name() { assert_eq!(device_class($ua), $want); }
    )*};
}

const M: Option<Device> = Some(Device::Mobile);
const T: Option<Device> = Some(Device::Tablet);
const D: Option<Device> = Some(Device::Desktop);

devices! {
    iphone_safari: Some("Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1") => M,
    iphone_chrome: Some("Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/123.0.6312.52 Mobile/15E148 Safari/604.1") => M,
    ipod: Some("Mozilla/5.0 (iPod touch; CPU iPhone OS 12_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/12.1.2 Mobile/15E148 Safari/604.1") => M,
    android_phone_chrome: Some("Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Mobile Safari/537.36") => M,
    android_phone_reduced: Some("Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Mobile Safari/537.36") => M,
    samsung_browser_phone: Some("Mozilla/5.0 (Linux; Android 13; SM-S911B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/23.0 Chrome/115.0.0.0 Mobile Safari/537.36") => M,
    firefox_android_phone: Some("Mozilla/5.0 (Android 14; Mobile; rv:125.0) Gecko/125.0 Firefox/125.0") => M,
    opera_mini: Some("Opera/9.80 (J2ME/MIDP; Opera Mini/9.80 (S60; SymbOS; Opera Mobi/23.348; U; en) Presto/2.5.25 Version/10.54") => M,
    windows_phone: Some("Mozilla/5.0 (Windows Phone 10.0; Android 6.0.1; Microsoft; Lumia 950) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/52.0.2743.116 Mobile Safari/537.36 Edge/15.14977") => M,
    blackberry: Some("Mozilla/5.0 (BB10; Touch) AppleWebKit/537.10+ (KHTML, like Gecko) Version/10.0.9.2372 Mobile Safari/537.10+") => M,
    ipad_safari: Some("Mozilla/5.0 (iPad; CPU OS 16_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/16.6 Mobile/15E148 Safari/604.1") => T,
    android_tablet_chrome: Some("Mozilla/5.0 (Linux; Android 13; SM-X710) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36") => T,
    firefox_android_tablet: Some("Mozilla/5.0 (Android 14; Tablet; rv:125.0) Gecko/125.0 Firefox/125.0") => T,
    kindle_silk: Some("Mozilla/5.0 (Linux; Android 9; KFTRWI) AppleWebKit/537.36 (KHTML, like Gecko) Silk/124.2.1 like Chrome/124.0.6367.82 Safari/537.36") => T,
    kindle_eink: Some("Mozilla/5.0 (X11; U; Linux armv7l like Android; en-us) AppleWebKit/531.2+ (KHTML, like Gecko) Version/5.0 Safari/533.2+ Kindle/3.0+") => T,
    playbook: Some("Mozilla/5.0 (PlayBook; U; RIM Tablet OS 2.1.0; en-US) AppleWebKit/536.2+ (KHTML, like Gecko) Version/7.2.1.0 Safari/536.2+") => T,
    windows_chrome: Some("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36") => D,
    windows_tablet_pc_is_desktop: Some("Mozilla/4.0 (compatible; MSIE 8.0; Windows NT 6.1; Trident/4.0; Tablet PC 2.0)") => D,
    mac_safari: Some("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15") => D,
    ipados_desktop_mode_is_desktop: Some("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/16.6 Safari/605.1.15") => D,
    linux_firefox: Some("Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0") => D,
    googlebot: Some("Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)") => D,
    googlebot_smartphone: Some("Mozilla/5.0 (Linux; Android 6.0.1; Nexus 5X Build/MMB29P) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Mobile Safari/537.36 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)") => M,
    curl: Some("curl/8.5.0") => D,
    uppercase: Some("MOZILLA/5.0 (IPHONE)") => M,
    empty: Some("") => None,
    blank: Some("   ") => None,
    absent: None => None,
}

#[test]
fn only_the_first_bytes_are_scanned() {
    let ua = format!("{}iPhone", "x".repeat(UA_SCAN_BYTES));
    assert_eq!(device_class(Some(&ua)), D);
}

macro_rules! countries {
    ($($name:ident: $code:expr => $want:expr,)*) => {$(
        #[test]
        fn $name() { assert_eq!(country($code), $want); }
    )*};
}

countries! {
    country_de: "DE" => Some("DE"),
    country_trimmed: " AT " => Some("AT"),
    country_unknown: "XX" => None,
    country_tor: "T1" => None,
    country_lowercase: "de" => None,
    country_long: "DEU" => None,
    country_empty: "" => None,
    country_non_ascii: "DÉ" => None,
}

#[test]
fn clock_values() {
    assert_eq!(local_minutes("09", "05"), Some(545));
    assert_eq!(local_minutes("24", "00"), Some(0));
    assert_eq!(local_minutes("7", "3"), Some(423));
    assert_eq!(local_minutes("25", "00"), None);
    assert_eq!(local_minutes("10", "60"), None);
    assert_eq!(local_minutes("x", "00"), None);
    assert_eq!(parse_clock("18:30"), Some(1110));
    assert_eq!(parse_clock("24:00"), None);
    assert_eq!(parse_clock("8:30"), None);
    assert_eq!(parse_clock("18-30"), None);
}

#[test]
fn time_zone_names() {
    for ok in [
        "Europe/Berlin",
        "America/Argentina/Buenos_Aires",
        "Etc/GMT+2",
        "UTC",
    ] {
        assert!(plausible_time_zone(ok), "{ok}");
    }
    for bad in ["", "Europe/Berlin;x", "a b", &"A".repeat(65)] {
        assert!(!plausible_time_zone(bad), "{bad}");
    }
}

fn snapshot(when: &str) -> Snapshot {
    let text = format!("[[campaign]]\nid = \"c\"\nslot = \"s\"\nwhen = {when}\nhtml = \"x\"\n");
    compiled(&text)
}

#[test]
fn needs_are_found_anywhere_in_an_expression() {
    let needs = |when| Needs::of(&snapshot(when));
    assert!(needs(r#"{ local_time = "18:00-22:00" }"#).local_time);
    let deep = needs(
        r#"{ any = [{ path = "/" }, { not = { all = [{ local_time = "00:00-06:00" }, { device = "mobile" }] } }] }"#,
    );
    assert_eq!(
        deep,
        Needs {
            device: true,
            local_time: true,
            ..Needs::default()
        }
    );
    assert_eq!(needs(r#"{ path = "/c/*" }"#), Needs::default());
    let both = needs(r#"{ all = [{ country = ["DE"] }, { referrer = "*" }] }"#);
    assert!(both.country && both.referrer && !both.device);
}

proptest! {
    /// Any user agent classifies without panicking, and the same way every time.
    #[test]
    fn any_user_agent_classifies(ua in ".{0,600}") {
        prop_assert_eq!(device_class(Some(&ua)), device_class(Some(&ua)));
    }
}
