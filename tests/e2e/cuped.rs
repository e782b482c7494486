//! The CUPED covariate end to end over `wrangler dev`: a consenting visitor with history (an
//! activity cookie of four earlier visits and three product views) gets, on their first
//! exposure to the demo's `strip-copy` experiment, an exposure event whose `pre` holds exactly
//! those counts (the current visit included), and a later exposure on another day none; a
//! visitor without consent, or with `Sec-GPC: 1`, gets exposures without a covariate (and
//! without an identifier). Needs the built worker (`make test` builds it first).

use crate::support;

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use support::*;
use vitrine_core::cookie::activity::{self, Activity, Caps, ACTIVITY_COOKIE};
use vitrine_core::cookie::{KeyRing, VisitorId};

const CONSENT: &str = "cookieconsent_status=allow";
const ID: &str = "c0ffee00c0ffee00c0ffee00c0ffee00";

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// Exposure events logged so far, waiting (bounded) until `want` match `pick`.
fn exposures(
    dev: &Dev,
    want: usize,
    pick: impl Fn(&serde_json::Value) -> bool,
) -> Vec<serde_json::Value> {
    wait_events_where(dev, want, Duration::from_secs(10), |v| {
        v["event"] == "vitrine.exposure" && pick(v)
    })
}

/// An activity cookie with history: four visits, three product views, the last two days ago.
fn history(ring: &KeyRing, now: u64) -> String {
    let mut a = Activity::new(now - 9 * 86_400, VisitorId::from_hex(ID));
    for day in [7, 4, 2] {
        a.touch(now - day * 86_400);
    }
    a.record_product_view("p0001", now - 7 * 86_400);
    a.record_product_view("p0002", now - 4 * 86_400);
    a.record_product_view("p0001", now - 2 * 86_400);
    assert_eq!(a.visits, 4);
    activity::seal(&mut a, ring, Caps::default())
}

#[test]
fn the_edge_writes_the_pre_exposure_covariate_only_for_consenting_visitors() {
    let state = state_dir("cuped");
    publish_demo(&state);
    let dev = start(
        state,
        &[
            ("VITRINE_ACTIVITY_KEYS", ACTIVITY_KEYS),
            ("CONSENT", "cookie:cookieconsent_status=allow"),
        ],
    );
    let ring = KeyRing::parse(ACTIVITY_KEYS).unwrap();
    let me = pseudonym(ID);

    // A consenting visitor with history: the first exposure carries what came before it.
    let cookie = format!("{CONSENT}; {ACTIVITY_COOKIE}={}", history(&ring, now()));
    let got = get(&dev, "/", Some(&cookie));
    assert_eq!(got.status, 200);
    let mine = exposures(&dev, 1, |e| {
        e["visitor"] == me.as_str() && e.get("experiment").is_some()
    });
    assert_eq!(mine.len(), 1, "{mine:?}");
    assert_eq!(mine[0]["experiment"], "strip-copy");
    assert_eq!(
        mine[0]["pre"],
        serde_json::json!({"visits": 5, "views": 3}),
        "{:?}",
        mine[0]
    );
    // Every event parses with the shared schema, covariate included.
    let line = mine[0].to_string();
    let Ok(vitrine_core::measure::events::Event::Exposure(e)) =
        vitrine_core::measure::events::Event::parse(&line)
    else {
        panic!("{line}")
    };
    assert_eq!(e.pre.map(|p| (p.visits, p.views)), Some((5, 3)));
    let log_text = log(&dev);
    assert!(!log_text.contains(ID), "the raw visitor id is never logged");

    // Without consent (a profile cookie only) and with GPC (the same visitor's consent and
    // activity cookies, plus a profile, so that there is an id to bucket by): exposures, but
    // no covariate.
    let profile = mint(&["dog_owner"]);
    let _ = get(&dev, "/", Some(&profile));
    let both = format!("{profile}; {cookie}");
    let gpc = get_with(&dev, "/", &[("cookie", &both), ("sec-gpc", "1")]);
    assert_eq!(gpc.status, 200);
    let anonymous = exposures(&dev, 2, |e| e.get("visitor").is_none());
    assert!(anonymous.len() >= 2, "{anonymous:?}");
    assert!(
        anonymous.iter().all(|e| e.get("pre").is_none()),
        "{anonymous:?}"
    );
    let everyone = exposures(&dev, 0, |_| true);
    let with_pre: Vec<_> = everyone.iter().filter(|e| e.get("pre").is_some()).collect();
    assert!(
        with_pre.iter().all(|e| e["visitor"] == me.as_str()),
        "only the consenting visitor's first exposures carry it: {with_pre:?}"
    );
}
