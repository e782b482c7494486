//! Any origin response head (`Cache-Control`, `Vary`, `Age`) and any `DOCUMENT_PATHS`
//! or `FORWARD_HEADERS` setting: shared for no longer than a lifetime the head states, refused
//! when it says `private`/`no-store`/`no-cache` or varies by more than the encoding, and never a
//! panic; and any `TRACKING_PARAMS` setting and request URL: a page key holds no tracking
//! parameter and is its own key.
#![no_main]
use libfuzzer_sys::fuzz_target;
use vitrine_core::delivery::sharing::{shared_freshness, Head};
use vitrine_core::delivery::{Documents, Forwarded, TrackingParams};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let mut fields = text.split('\n');
    let mut next = || fields.next();
    let (cache_control, vary, age) = (next(), next(), next());
    let head = Head {
        status: 200,
        cache_control,
        vary,
        set_cookie: false,
        age,
        date: None,
    };
    if shared_freshness(&head, 1_796_342_400).is_ok() {
        let cc = cache_control.unwrap_or("").to_ascii_lowercase();
        assert!(
            cc.contains("public") || cc.contains("max-age") || cc.contains("s-maxage"),
            "{cc:?}"
        );
        assert!(vary
            .unwrap_or("")
            .split(',')
            .all(|v| v.trim().is_empty() || v.trim().eq_ignore_ascii_case("accept-encoding")));
    }
    if let Ok(documents) = Documents::parse(&text) {
        let _ = documents.contains("GET", &text);
    }
    let tracking = TrackingParams::parse(&text).unwrap_or_default();
    let key = tracking.page_key(&text).into_owned();
    assert_eq!(tracking.page_key(&key), key);
    if let Some((_, query)) = key.split_once('?') {
        assert!(query.split('&').all(|pair| {
            let name = pair.split_once('=').map_or(pair, |(n, _)| n);
            pair.is_empty() || !tracking.ignores(name)
        }));
    }
    if let Ok(forwarded) = Forwarded::parse(&text) {
        assert!(!forwarded.allows("cookie") && !forwarded.allows("authorization"));
    }
});
