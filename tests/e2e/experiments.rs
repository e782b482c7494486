//! Experiments end to end over `wrangler dev`: the demo's `strip-copy` A/B test assigns arms
//! by the documented hash, keeps them in the activity cookie, logs one exposure event per
//! visitor and day (pseudonymous id with consent, none without), and every personalized
//! response carries `Server-Timing`. Needs the built worker (`make test` builds it first).

use crate::support;

use std::time::Duration;

use support::*;
use vitrine_core::cookie::activity::{self, ACTIVITY_COOKIE};
use vitrine_core::cookie::KeyRing;
use vitrine_core::decide::bucket;

const CONSENT: &str = "cookieconsent_status=allow";
const SHIPPING: &str = "Free shipping on every order, no minimum";

/// The demo's arms: 10 % holdout, then control and shipping half and half.
fn expected_arm(id: &str) -> &'static str {
    match bucket("strip-copy", id) {
        b if b < 1_000 => "holdout",
        b if b - 1_000 < 4_500 => "control",
        _ => "shipping",
    }
}

fn strip(page: &str) -> &str {
    let start = page
        .find("<vitrine-slot name=\"promo-strip\">")
        .expect("strip slot");
    let end = page[start..].find("</vitrine-slot>").unwrap();
    &page[start..start + end]
}

/// Experiment exposure events logged so far (campaign exposures left out), waiting (bounded)
/// until at least `want` are there.
fn exposures(dev: &Dev, want: usize) -> Vec<serde_json::Value> {
    wait_events_where(dev, want, Duration::from_secs(10), |v| {
        v["event"] == "vitrine.exposure" && v.get("experiment").is_some()
    })
}

fn assert_server_timing(got: &Got) {
    let st = got.header("server-timing").expect("Server-Timing");
    for metric in ["cookie;dur=", "snapshot;dur=", "decide;dur="] {
        assert!(st.contains(metric), "{st}");
    }
}

#[test]
fn experiments_end_to_end() {
    let state = state_dir("experiments");
    publish_demo(&state);
    let dev = start(
        state,
        &[
            ("VITRINE_ACTIVITY_KEYS", ACTIVITY_KEYS),
            ("CONSENT", "cookie:cookieconsent_status=allow"),
        ],
    );
    let ring = KeyRing::parse(ACTIVITY_KEYS).unwrap();

    // A consenting anonymous visitor is bucketed by the activity cookie's visitor id.
    let first = get(&dev, "/", Some(CONSENT));
    assert_server_timing(&first);
    let sc = first.header("set-cookie").expect("activity cookie");
    let value = sc.split(';').next().unwrap().split_once('=').unwrap().1;
    let opened = activity::open(value, &ring).unwrap().activity;
    let id = opened.visitor.expect("a visitor id").to_hex();
    let arm = expected_arm(&id);
    assert_eq!(opened.assignment("strip-copy"), Some(arm), "sticky arm");
    assert_eq!(strip(&first.text()).contains(SHIPPING), arm == "shipping");

    // Two more page views: the same arm, and still one exposure event today.
    let mut cookie = format!("{CONSENT}; {ACTIVITY_COOKIE}={value}");
    for path in ["/", "/c/dog"] {
        let got = get(&dev, path, Some(&cookie));
        assert_server_timing(&got);
        assert_eq!(strip(&got.text()).contains(SHIPPING), arm == "shipping");
        let sc = got.header("set-cookie").unwrap();
        let v = sc.split(';').next().unwrap().split_once('=').unwrap().1;
        cookie = format!("{CONSENT}; {ACTIVITY_COOKIE}={v}");
    }
    let events = exposures(&dev, 1);
    let mine: Vec<_> = events
        .iter()
        .filter(|e| e["visitor"] == pseudonym(&id).as_str())
        .collect();
    assert_eq!(mine.len(), 1, "{events:?}");
    assert_eq!(mine[0]["experiment"], "strip-copy");
    assert_eq!(mine[0]["arm"], arm);
    assert_eq!(mine[0]["schema"], vitrine_core::measure::events::SCHEMA);
    assert!(
        !log(&dev).contains(&id),
        "the raw visitor id is never logged"
    );

    // Without consent a profile is bucketed by its `sub` ("t"): every exposure is logged,
    // without an identifier, and no cookie is set.
    let before = exposures(&dev, 0).len();
    let profile = mint(&["dog_owner"]);
    for _ in 0..2 {
        let got = get(&dev, "/", Some(&profile));
        assert!(got.header("set-cookie").is_none());
        assert_server_timing(&got);
        assert_eq!(
            strip(&got.text()).contains(SHIPPING),
            expected_arm("t") == "shipping"
        );
    }
    let events = exposures(&dev, before + 2);
    let anonymous: Vec<_> = events[before..]
        .iter()
        .filter(|e| e.get("visitor").is_none())
        .collect();
    assert_eq!(anonymous.len(), 2, "{events:?}");
    assert!(anonymous.iter().all(|e| e["arm"] == expected_arm("t")));

    // The body's stage: mapped the first time a page is seen, then spliced from its map.
    let timings: Vec<String> = (0..4)
        .map(|_| {
            let got = get(&dev, "/c/cat", Some(&profile));
            let st = got.header("server-timing").unwrap_or_default().to_owned();
            let xv = got.header("x-vitrine").unwrap_or_default();
            let body = if xv.ends_with("body=spliced") {
                "splice;dur="
            } else if xv.ends_with("body=mapped") {
                "map;dur="
            } else {
                "rewrite;desc=\"streamed\""
            };
            assert!(st.contains(body), "{xv} / {st}");
            st
        })
        .collect();
    assert!(
        timings.iter().any(|t| t.contains("splice;dur=")),
        "{timings:?}"
    );

    // No id at all (no consent, no profile): no arm, no exposure, the default strip.
    let before = exposures(&dev, before + 6).len();
    let got = get(&dev, "/", None);
    assert!(!strip(&got.text()).contains(SHIPPING));
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(exposures(&dev, 0).len(), before);
}

fn offer(page: &str) -> &str {
    let start = page
        .find("<vitrine-slot name=\"pdp-offer\">")
        .expect("pdp-offer slot");
    let end = page[start..].find("</vitrine-slot>").unwrap();
    &page[start..start + end]
}

#[test]
fn third_view_of_a_product_triggers_a_stable_time_limited_offer() {
    let state = state_dir("trigger");
    publish_demo(&state);
    let dev = start(
        state,
        &[
            ("VITRINE_ACTIVITY_KEYS", ACTIVITY_KEYS),
            ("CONSENT", "cookie:cookieconsent_status=allow"),
        ],
    );
    let mut cookie = CONSENT.to_owned();
    let mut pages = Vec::new();
    for _ in 0..4 {
        let got = get(&dev, "/p/p0001", Some(&cookie));
        assert_server_timing(&got);
        let sc = got.header("set-cookie").expect("activity cookie");
        cookie = format!("{CONSENT}; {}", sc.split(';').next().unwrap());
        pages.push(offer(&got.text()).to_owned());
    }
    assert!(!pages[0].contains("LOOK10") && !pages[1].contains("LOOK10"));
    assert!(
        pages[2].contains("LOOK10") && pages[2].contains(" UTC</strong>"),
        "{}",
        pages[2]
    );
    assert_eq!(pages[3], pages[2], "the offer and its end time stay put");
    // Another product has its own count; without consent nothing is counted.
    assert!(!offer(&get(&dev, "/p/p0002", Some(&cookie)).text()).contains("LOOK10"));
    for _ in 0..3 {
        assert!(!offer(&get(&dev, "/p/p0001", None).text()).contains("LOOK10"));
    }
}
