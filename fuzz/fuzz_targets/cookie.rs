//! Any `Cookie` / `Sec-GPC` header and path must yield a visitor, never a panic: the profile
//! cookie parser and verifier, the activity cookie, consent policies and key ring parsing.
//! Fuzzed bytes rarely carry a valid MAC, so the input is also signed as-is with the fuzz key
//! as a claims payload and as an activity payload: the parsers behind the MACs are fuzzed too,
//! and as a signed conversion's claims (`measure::conversion::signed`).
#![no_main]
use libfuzzer_sys::fuzz_target;
use vitrine_core::cookie::activity::{self, Caps};
use vitrine_core::cookie::visitor::{self, Paths, Request, Settings};
use vitrine_core::cookie::{identify, mint_raw, verify, ConsentSource, KeyRing, TimePolicy};
use vitrine_core::measure::conversion::signed;

const KEYS: &str = "k:ZGVtby1rZXktZm9yLWxvY2FsLXRlc3RzLW9ubHktMzJieXRlcyE";
const NOW: u64 = 1_800_000_000;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(ring) = KeyRing::parse(KEYS) else {
        return;
    };
    let _ = identify(Some(text), &ring, NOW, TimePolicy::default());
    let _ = KeyRing::parse(text);
    let _ = ConsentSource::parse(text);
    let _ = activity::open(text, &ring);

    // Behind the MAC: the fuzzed bytes, signed as they are, as the claims payload.
    let token = mint_raw(data, ring.current());
    let _ = verify(
        &token,
        &ring,
        NOW,
        TimePolicy {
            leeway_secs: 60,
            max_age_secs: Some(86_400),
        },
    );

    // Behind the activity MAC: the fuzzed bytes as a signed activity payload; whatever parses
    // must re-seal within the bound.
    if let Ok(mut opened) = activity::open(&activity::seal_raw(data, &ring), &ring) {
        opened.activity.record_product_view("p1", NOW);
        let value = activity::seal(&mut opened.activity, &ring, Caps::default());
        assert!(activity::ACTIVITY_COOKIE.len() + 1 + value.len() <= activity::MAX_COOKIE_BYTES);
    }

    // The whole identity stage, with the input as Cookie header, GPC and path.
    let consent = ConsentSource::parse("onetrust:C0004").unwrap_or(ConsentSource::Never);
    let granted = ConsentSource::Granted;
    for consent in [&consent, &granted] {
        let settings = Settings {
            profile_keys: &ring,
            activity_keys: Some(&ring),
            time: TimePolicy::default(),
            consent,
            activity_max_age_secs: 86_400,
            caps: Caps::default(),
            pseudonym_keys: None,
        };
        let req = Request {
            cookie: Some(text),
            gpc: Some(text),
            path: text,
            now: NOW,
        };
        let paths = Paths {
            product: Some("/p/{id}"),
            category: Some("/c/{id}"),
        };
        let mut v = visitor::resolve(req, &settings, paths);
        // A signed conversion's token: the fuzzed text, and the fuzzed bytes signed as claims.
        let _ = signed::verify(text, &ring, "purchase", &v, NOW);
        let _ = signed::verify(&mint_raw(data, ring.current()), &ring, "purchase", &v, NOW);
        let _ = v.pseudonym();
        v.record_impressions(text.split(';'), NOW);
        if let Some(sc) = v.set_cookie(&settings) {
            assert!(sc.len() <= 4096 + 100, "set-cookie over the bound");
        }
    }
});
