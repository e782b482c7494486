//! Measurement end to end over `wrangler dev` (real KV, nothing mocked), with
//! `fixtures/campaigns/measure.toml` (the demo, three conversions, a 20 % global holdout):
//!
//! 1. the beacon route: `204` for good beacons, every kind of bad one refused with its status
//!    and nothing written, the per-visitor limit per minute, no identifier with `Sec-GPC: 1`;
//! 2. a scripted, bounded traffic run (loopback only): personas visit, some convert through
//!    the order confirmation page and the `add_to_cart` beacon. **The behaviour is scripted:**
//!    a visitor who was shown campaigns converts at 30 %, one in the global holdout at 12 %
//!    (quotas per group, so the rates do not depend on who lands in the holdout).
//!
//! Every event line is captured from wrangler's output, parsed with [`Event::parse`] and
//! checked (assignments and campaigns carried, global holdout marked, no id without consent).
//! The run's events are written as JSON lines to `target/events/e2e-events.jsonl` (or
//! `VITRINE_EVENTS_OUT`) for `vitrine report`. `VITRINE_TRAFFIC_VISITORS` (default 120, at
//! most 5000) and `VITRINE_TRAFFIC_SECS` (default 90) bound the run; `scripts/traffic.sh`
//! runs it for the measurement demo (docs/marketers.md#the-whole-loop-locally). Needs the
//! built worker (`make test` builds it first).

use crate::support;
mod traffic;

use std::collections::HashMap;
use std::time::Duration;

use support::*;
use vitrine_core::cookie::activity::{self, ACTIVITY_COOKIE};
use vitrine_core::cookie::KeyRing;
use vitrine_core::decide::bucket;
use vitrine_core::measure::events::{Conversion, Event, Via};

const CONSENT: &str = "cookieconsent_status=allow";
const ROUTE: &str = "/__vitrine/event";
/// `global_holdout_bp` of measure.toml.
const GLOBAL_HOLDOUT_BP: u16 = 2000;

fn post(dev: &Dev, body: &[u8], headers: &[(&str, &str)]) -> Got {
    let mut req = agent()
        .post(&format!("{}{ROUTE}", dev.base))
        .timeout(Duration::from_secs(20));
    for (k, v) in headers {
        req = req.set(k, v);
    }
    let resp = match req.send_bytes(body) {
        Ok(r) => r,
        Err(ureq::Error::Status(_, r)) => r,
        Err(e) => panic!("beacon failed: {e}"),
    };
    let status = resp.status();
    let headers = resp
        .headers_names()
        .into_iter()
        .map(|n| (n.clone(), resp.header(&n).unwrap_or("").to_owned()))
        .collect();
    let body = resp.into_string().unwrap_or_default().into_bytes();
    Got {
        status,
        headers,
        body,
    }
}

/// A same-origin beacon as a browser's `navigator.sendBeacon` sends it.
fn beacon(dev: &Dev, body: &str, cookie: &str) -> Got {
    post(
        dev,
        body.as_bytes(),
        &[
            ("origin", &dev.base),
            ("sec-fetch-site", "same-origin"),
            ("content-type", "text/plain;charset=UTF-8"),
            ("cookie", cookie),
        ],
    )
}

/// The `Cookie` header after `got`: `cookie` with the activity cookie it set, if any.
fn next_cookie(cookie: &str, got: &Got) -> String {
    let Some(sc) = got.header("set-cookie") else {
        return cookie.to_owned();
    };
    let pair = sc.split(';').next().unwrap();
    let kept: Vec<&str> = cookie
        .split("; ")
        .filter(|c| !c.starts_with(ACTIVITY_COOKIE))
        .collect();
    format!("{}; {pair}", kept.join("; "))
}

fn activity_id(cookie: &str) -> Option<String> {
    let value = cookie
        .split("; ")
        .find_map(|c| c.strip_prefix(&format!("{ACTIVITY_COOKIE}=")))?;
    let ring = KeyRing::parse(ACTIVITY_KEYS).unwrap();
    let opened = activity::open(value, &ring).unwrap().activity;
    opened.visitor.map(|id| id.to_hex())
}

/// Event lines logged after byte `from` of the log, waiting (bounded) until `want` of them
/// are conversions. Every line must parse with the shared schema.
fn events_since(dev: &Dev, from: usize, want: usize) -> Vec<Event> {
    let probe = || {
        let log = log_since(dev, from);
        let events: Vec<Event> = event_lines(&log)
            .map(|json| Event::parse(json).unwrap_or_else(|e| panic!("{e}: {json}")))
            .collect();
        let done = events.iter().filter(|e| is_conversion(e)).count() >= want;
        when(events, done)
    };
    poll(Duration::from_secs(20), Duration::from_millis(100), probe).map_or_else(|e| e, |p| p.value)
}

fn is_conversion(e: &Event) -> bool {
    matches!(e, Event::Conversion(_))
}

fn conversions(events: &[Event]) -> Vec<&Conversion> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::Conversion(c) => Some(c),
            Event::Exposure(_) | Event::View(_) => None,
        })
        .collect()
}

fn held_out(id: &str) -> bool {
    bucket("*", id) < GLOBAL_HOLDOUT_BP
}

/// The demo's strip-copy arms: 10 % holdout, then control and shipping half and half.
fn strip_arm(id: &str) -> &'static str {
    match bucket("strip-copy", id) {
        b if b < 1_000 => "holdout",
        b if b - 1_000 < 4_500 => "control",
        _ => "shipping",
    }
}

/// The slots a response filled, from `x-vitrine: v=…; slots=a=b,c=d; body=…`.
fn fills(got: &Got) -> String {
    let xv = got.header("x-vitrine").unwrap_or_default();
    let slots = xv.split("slots=").nth(1).unwrap_or("");
    slots.split(';').next().unwrap_or("").to_owned()
}

#[test]
fn events_end_to_end() {
    let state = state_dir("events");
    publish_campaign(&state, "fixtures/campaigns/measure.toml");
    let dev = start(
        state,
        &[
            ("VITRINE_ACTIVITY_KEYS", ACTIVITY_KEYS),
            ("CONSENT", "cookie:cookieconsent_status=allow"),
        ],
    );
    beacons(&dev);
    traffic::run(&dev);
}

/// A refused beacon: what, header changes (empty value: removed), body, status, code.
type Refused = (
    &'static str,
    Vec<(&'static str, &'static str)>,
    Vec<u8>,
    u16,
    &'static str,
);

/// The beacon route's answers, the limit, and what a refusal leaves behind (nothing).
fn beacons(dev: &Dev) {
    let start = log_len(dev);
    let home = get(dev, "/", Some(CONSENT));
    let cookie = next_cookie(CONSENT, &home);
    let id = activity_id(&cookie).expect("a visitor id");

    let good = beacon(dev, r#"{"event":"add_to_cart","value":12.5}"#, &cookie);
    assert_eq!(good.status, 204, "{}", good.text());
    assert!(good.body.is_empty());
    assert!(good.header("set-cookie").is_some(), "the count is kept");
    let cookie = next_cookie(&cookie, &good);

    let refused: [Refused; 11] = [
        ("GET", vec![], vec![], 405, "method"),
        (
            "cross-site",
            vec![("sec-fetch-site", "cross-site")],
            vec![],
            403,
            "cross_site",
        ),
        (
            "foreign origin",
            vec![("origin", "https://evil.example")],
            vec![],
            403,
            "origin",
        ),
        (
            "no provenance",
            vec![("origin", ""), ("sec-fetch-site", "")],
            vec![],
            403,
            "no_origin",
        ),
        (
            "form post",
            vec![("content-type", "application/x-www-form-urlencoded")],
            vec![],
            415,
            "content_type",
        ),
        (
            "too large",
            vec![],
            format!(
                "{{\"event\":\"add_to_cart\",\"pad\":\"{}\"}}",
                "x".repeat(2000)
            )
            .into_bytes(),
            413,
            "too_large",
        ),
        (
            "not json",
            vec![],
            b"add_to_cart".to_vec(),
            400,
            "malformed",
        ),
        (
            "unknown name",
            vec![],
            br#"{"event":"checkout"}"#.to_vec(),
            422,
            "unknown_event",
        ),
        (
            "page conversion",
            vec![],
            br#"{"event":"purchase","value":5}"#.to_vec(),
            422,
            "unknown_event",
        ),
        (
            "out of range",
            vec![],
            br#"{"event":"add_to_cart","value":5000}"#.to_vec(),
            422,
            "out_of_range",
        ),
        (
            "value not declared",
            vec![],
            br#"{"event":"newsletter","value":1}"#.to_vec(),
            422,
            "unexpected_value",
        ),
    ];
    for (what, change, body, status, code) in refused {
        let got = if what == "GET" {
            get(dev, ROUTE, Some(&cookie))
        } else {
            let body = if body.is_empty() {
                br#"{"event":"newsletter"}"#.to_vec()
            } else {
                body
            };
            let mut headers: HashMap<&str, &str> = [
                ("origin", dev.base.as_str()),
                ("sec-fetch-site", "same-origin"),
                ("content-type", "text/plain;charset=UTF-8"),
                ("cookie", cookie.as_str()),
            ]
            .into();
            for (k, v) in change {
                if v.is_empty() {
                    headers.remove(k);
                } else {
                    headers.insert(k, v);
                }
            }
            let headers: Vec<(&str, &str)> = headers.into_iter().collect();
            post(dev, &body, &headers)
        };
        assert_eq!(got.status, status, "{what}: {}", got.text());
        if status != 405 {
            assert!(
                got.text().starts_with(&format!("refused: {code}: ")),
                "{what}: {}",
                got.text()
            );
        }
        assert!(
            got.header("set-cookie").is_none(),
            "{what}: nothing written"
        );
    }

    // The limit: 20 per minute, counted in the cookie. Until it answers 429 (within two
    // minutes' worth, whatever minute boundary falls in between).
    let mut cookie = cookie;
    let (mut accepted, mut limited) = (1, false);
    for _ in 0..41 {
        let got = beacon(dev, r#"{"event":"newsletter"}"#, &cookie);
        match got.status {
            204 => {
                accepted += 1;
                cookie = next_cookie(&cookie, &got);
            }
            429 => {
                assert!(got.text().starts_with("refused: rate_limited: "));
                limited = true;
                break;
            }
            other => panic!("beacon answered {other}: {}", got.text()),
        }
    }
    assert!(limited, "no 429 after {accepted} beacons");

    // A page conversion with its value, and one whose value is refused (counted without).
    let page = get(dev, "/order/confirmed?total=49.90", Some(CONSENT));
    assert_eq!(page.status, 200);
    let page_cookie = next_cookie(CONSENT, &page);
    let page_id = activity_id(&page_cookie).unwrap();
    let bad = get(dev, "/order/confirmed?total=1e9", Some(&page_cookie));
    assert_eq!(bad.status, 200);
    // An order page naming its order (`dedupe_param`), then reloaded: one purchase.
    let bad_cookie = next_cookie(&page_cookie, &bad);
    let order = get(
        dev,
        "/order/confirmed?total=20&order=T-1",
        Some(&bad_cookie),
    );
    assert_eq!(order.status, 200);
    let order_cookie = next_cookie(&bad_cookie, &order);
    let reload = get(
        dev,
        "/order/confirmed?total=20&order=T-1",
        Some(&order_cookie),
    );
    assert_eq!(reload.status, 200);

    // With Sec-GPC: 1 the beacon is accepted, counted in aggregate only, and sets nothing.
    let gpc = post(
        dev,
        br#"{"event":"add_to_cart","value":3}"#,
        &[
            ("origin", &dev.base),
            ("content-type", "application/json"),
            ("cookie", &cookie),
            ("sec-gpc", "1"),
        ],
    );
    assert_eq!(gpc.status, 204, "{}", gpc.text());
    // The activity cookie the browser still holds is deleted, unread.
    let deleted = gpc.header("set-cookie").unwrap_or_default();
    assert!(deleted.contains("Max-Age=0"), "{deleted}");

    let events = events_since(dev, start, accepted + 4);
    let convs = conversions(&events);
    assert_eq!(convs.len(), accepted + 4, "{convs:#?}");
    let me = pseudonym(&id);
    let mine: Vec<_> = convs
        .iter()
        .filter(|c| c.common.visitor.as_deref() == Some(&me))
        .collect();
    assert_eq!(mine.len(), accepted, "one event per 204, none for refusals");
    assert_eq!(
        (mine[0].name.as_str(), mine[0].value, mine[0].source),
        ("add_to_cart", Some(12.5), Via::Beacon)
    );
    for c in &mine {
        assert_eq!(c.common.global_holdout, held_out(&id));
        if held_out(&id) {
            assert!(c.campaigns.values().all(|a| a == "holdout"), "{c:?}");
        } else {
            assert_eq!(
                c.campaigns.get("welcome-hero").map(String::as_str),
                Some("shown"),
                "{c:?}"
            );
            assert_eq!(
                c.assignments.get("strip-copy").map(String::as_str),
                Some(strip_arm(&id))
            );
        }
    }
    let purchases: Vec<_> = convs.iter().filter(|c| c.name == "purchase").collect();
    assert_eq!(
        purchases.len(),
        3,
        "the reload of order T-1 is not a purchase"
    );
    assert!(purchases
        .iter()
        .all(|c| c.common.visitor == Some(pseudonym(&page_id)) && c.source == Via::Url));
    assert_eq!(purchases[0].value, Some(49.9));
    assert_eq!(
        purchases[1].value, None,
        "an out-of-range value is dropped, the purchase kept"
    );
    assert_eq!(purchases[2].value, Some(20.0));
    let private: Vec<_> = convs
        .iter()
        .filter(|c| c.common.visitor.is_none())
        .collect();
    assert_eq!(private.len(), 1);
    assert!(private[0].assignments.is_empty() && private[0].campaigns.is_empty());
    assert!(!private[0].common.global_holdout);
    let log = log(dev);
    assert!(!log.contains(&id), "the raw visitor id is never logged");
    for code in [
        "cross_site",
        "origin",
        "no_origin",
        "too_large",
        "unknown_event",
        "rate_limited",
        "duplicate",
    ] {
        assert!(
            log.contains(&format!("\"detail\":\"{code}\"")),
            "refusal {code} logged"
        );
    }
}
