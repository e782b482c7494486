//! Identity end to end over `wrangler dev`: the profile cookie drives segments, the activity
//! cookie is kept by the edge on product views (bounded, rotated), and GPC / no-consent
//! visitors get no cookie. Needs the built worker (`make test` builds it first).

use crate::support;

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use support::*;
use vitrine_core::cookie::activity::{self, Activity, Caps, ACTIVITY_COOKIE, MAX_COOKIE_BYTES};
use vitrine_core::cookie::{mint as mint_token, KeyRing, PROFILE_COOKIE};

const CONSENT: &str = "cookieconsent_status=allow";

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

fn ring() -> KeyRing {
    KeyRing::parse(ACTIVITY_KEYS).unwrap()
}

fn hero(page: &str) -> &str {
    let start = page
        .find("<vitrine-slot name=\"hero\">")
        .expect("hero slot");
    let end = page[start..].find("</vitrine-slot>").unwrap();
    &page[start..start + end]
}

/// The activity cookie's value from a response, checking its attributes.
fn activity_value(got: &Got) -> String {
    let sc = got.header("set-cookie").expect("an activity cookie is set");
    let (pair, attrs) = sc.split_once(';').unwrap();
    for attr in ["Path=/", "Secure", "HttpOnly", "SameSite=Lax", "Max-Age="] {
        assert!(attrs.contains(attr), "{sc}");
    }
    assert_eq!(got.header("cache-control"), Some("private, no-store"));
    let (name, value) = pair.split_once('=').unwrap();
    assert_eq!(name, ACTIVITY_COOKIE);
    assert!(pair.len() <= MAX_COOKIE_BYTES, "{} bytes", pair.len());
    value.to_owned()
}

fn opened(value: &str) -> Activity {
    activity::open(value, &ring()).unwrap().activity
}

fn with_activity(value: &str) -> String {
    format!("{CONSENT}; {ACTIVITY_COOKIE}={value}")
}

#[test]
fn identity_end_to_end() {
    let state = state_dir("identity");
    publish_demo(&state);
    let dev = start(
        state,
        &[
            ("VITRINE_ACTIVITY_KEYS", ACTIVITY_KEYS),
            ("CONSENT", "cookie:cookieconsent_status=allow"),
        ],
    );

    // The profile cookie drives segments; a profile from the far past does not.
    let loyal = get(&dev, "/", Some(&mint(&["loyal"])));
    assert!(hero(&loyal.text()).contains("loyalty discount"));
    assert!(
        loyal.header("set-cookie").is_none(),
        "no consent, no cookie"
    );
    let profile_ring = KeyRing::parse(KEYS).unwrap();
    let expired = mint_token(
        &serde_json::json!({"sub":"old","seg":["loyal"],"exp": now() - 3600}),
        &profile_ring,
    );
    let got = get(&dev, "/", Some(&format!("{PROFILE_COOKIE}={expired}")));
    assert!(hero(&got.text()).contains("Welcome!"));
    // A client that keeps sending a refused cookie is logged once per 10 s, not per request,
    // and the next line counts the refusals left out.
    let started = std::time::Instant::now();
    for _ in 0..3 {
        let got = get(&dev, "/", Some(&format!("{PROFILE_COOKIE}={expired}")));
        assert!(hero(&got.text()).contains("Welcome!"));
    }
    assert!(
        started.elapsed().as_secs() < 9,
        "the requests took too long to test the window"
    );
    // A line too many would also show below, where the window's second line is counted.
    let rejected = wait_events(&dev, "vitrine.cookie_rejected", 1);
    assert_eq!(
        rejected.len(),
        1,
        "one line for four refusals: {rejected:?}"
    );
    assert_eq!(
        (
            rejected[0]["detail"].as_str(),
            rejected[0]["repeated"].as_u64()
        ),
        (Some("expired"), Some(0))
    );
    std::thread::sleep(Duration::from_millis(10_500).saturating_sub(started.elapsed()));
    get(&dev, "/", Some(&format!("{PROFILE_COOKIE}={expired}")));
    let rejected = wait_events(&dev, "vitrine.cookie_rejected", 2);
    assert_eq!(rejected.len(), 2, "{rejected:?}");
    assert_eq!(
        rejected[1]["repeated"], 3,
        "the three refusals left out are counted"
    );

    // A consenting anonymous visitor: a product view mints an id and an activity cookie.
    let first = get(&dev, "/p/p0001", Some(CONSENT));
    assert_eq!(first.status, 200);
    let v1 = activity_value(&first);
    let a1 = opened(&v1);
    let id = a1.visitor.expect("a visitor id is minted with consent");
    assert_eq!(a1.product_views("p0001"), 1);
    assert_eq!(a1.visits, 1);

    // It updates on the next views, keeping the id; impressions are counted for caps.
    let second = get(&dev, "/p/p0002", Some(&with_activity(&v1)));
    let v2 = activity_value(&second);
    let third = get(&dev, "/c/dog", Some(&with_activity(&v2)));
    let a3 = opened(&activity_value(&third));
    assert_eq!(a3.visitor, Some(id));
    assert_eq!(a3.recent_products().collect::<Vec<_>>(), ["p0002", "p0001"]);
    assert_eq!(a3.category_views("dog"), 1);
    assert_eq!(a3.impressions("welcome-hero"), 3);

    // A cookie near the bound survives trimming: oldest entries go, the new view stays.
    let mut big = Activity::new(now() - 600, None);
    for i in 0..200u64 {
        big.record_product_view(&format!("old-{i:03}-{}", "x".repeat(40)), now() - 500 + i);
    }
    let big_value = activity::seal(
        &mut big,
        &ring(),
        Caps {
            products: 200,
            recent: 200,
            ..Caps::default()
        },
    );
    let before = opened(&big_value).entries();
    let trimmed = get(&dev, "/p/p0003", Some(&with_activity(&big_value)));
    let after = opened(&activity_value(&trimmed));
    assert_eq!(after.recent_products().next(), Some("p0003"));
    // The page view also adds small entries (impressions, an experiment's sticky arm and its
    // exposure day), so the count may grow a little while the oldest large entries go.
    let oldest_gone = !after.recent_products().any(|p| p.starts_with("old-000"))
        && after.product_views(&format!("old-000-{}", "x".repeat(40))) == 0;
    assert!(
        oldest_gone && after.entries() < before + 5 && after.entries() > 20,
        "{before} -> {}",
        after.entries()
    );

    // A cookie signed with the previous key is accepted and re-issued under the current one.
    let old_ring = KeyRing::parse(ACTIVITY_KEYS.split(',').nth(1).unwrap()).unwrap();
    let mut old = Activity::new(now() - 60, None);
    old.record_product_view("p0009", now() - 60);
    let old_value = activity::seal(&mut old, &old_ring, Caps::default());
    assert!(old_value.starts_with("act1."));
    let rotated = get(&dev, "/", Some(&with_activity(&old_value)));
    let reissued = activity_value(&rotated);
    assert!(reissued.starts_with("act2."), "{reissued}");
    assert_eq!(opened(&reissued).product_views("p0009"), 1);

    // GPC: no cookie, even with the consent cookie.
    let gpc = get_with(&dev, "/p/p0001", &[("cookie", CONSENT), ("sec-gpc", "1")]);
    assert_eq!(gpc.status, 200);
    assert!(gpc.header("set-cookie").is_none());
    // No consent: no cookie.
    let none = get(&dev, "/p/p0001", Some("cookieconsent_status=deny"));
    assert!(none.header("set-cookie").is_none());
    let bare = get(&dev, "/p/p0001", None);
    assert!(bare.header("set-cookie").is_none());
    // Consent withdrawn while an activity cookie exists: it is deleted, not read.
    let withdrawn = get_with(
        &dev,
        "/",
        &[
            ("cookie", &format!("{ACTIVITY_COOKIE}={v2}")),
            ("sec-gpc", "1"),
        ],
    );
    let sc = withdrawn.header("set-cookie").unwrap();
    assert!(
        sc.starts_with(&format!("{ACTIVITY_COOKIE}=;")) && sc.contains("Max-Age=0"),
        "{sc}"
    );

    // No log line carries the visitor id.
    std::thread::sleep(Duration::from_millis(300));
    let logs = log(&dev);
    assert!(!logs.contains(&id.to_hex()), "visitor id in logs");
}

/// A page with nothing to fill for this visitor still sets the activity cookie: that response
/// is the visitor's alone, so it keeps no validator and no cache directive of the base page
/// (regression: `ETag` and `Last-Modified` of the shared page were kept).
#[test]
fn cookie_setting_responses_keep_no_validators() {
    let state = state_dir("identity-nofill");
    let campaign = state.join("loyal-only.toml");
    std::fs::write(
        &campaign,
        "[activity]\nproduct_path = \"/p/{id}\"\n\n[[campaign]]\nid = \"loyal-only\"\n\
         slot = \"hero\"\nsegments = [\"loyal\"]\nhtml = \"<b>Members</b>\"\n",
    )
    .unwrap();
    publish_campaign(&state, campaign.to_str().unwrap());
    let dev = start(
        state,
        &[
            ("VITRINE_ACTIVITY_KEYS", ACTIVITY_KEYS),
            ("CONSENT", "cookie:cookieconsent_status=allow"),
        ],
    );
    let base = get(&dev, "/p/p0001", None);
    assert!(
        base.header("etag").is_some(),
        "the base page has a validator"
    );
    let got = get(&dev, "/p/p0001", Some(CONSENT));
    assert_eq!(got.body, site_file("p/p0001.html"), "nothing to fill");
    assert!(!activity_value(&got).is_empty());
    for name in ["etag", "last-modified", "expires", "age"] {
        assert_eq!(got.header(name), None, "{name} kept beside Set-Cookie");
    }
}

/// A key ring the Worker cannot parse bypasses every page with `reason=config`, and says so in
/// exactly one `vitrine.bypass` log line per request, with the reason's detail.
#[test]
fn a_misconfigured_key_ring_bypasses_with_one_log_line() {
    let state = state_dir("bad-keys");
    publish_demo(&state);
    let dev = start(state, &[("VITRINE_COOKIE_KEYS", "not-a-key-ring")]);
    let got = get(&dev, "/", Some(&mint(&["loyal"])));
    assert_eq!(got.status, 200);
    assert_eq!(got.header("x-vitrine"), Some("bypass; reason=config"));
    assert_eq!(
        got.body,
        site_file("index.html"),
        "the page goes out unchanged"
    );
    // wrangler writes the Worker's console lines as they come; give the line a moment.
    let probe = || {
        let lines: Vec<String> = log(&dev)
            .lines()
            .filter(|l| l.contains("\"event\":\"vitrine.bypass\""))
            .map(str::to_owned)
            .collect();
        let done = !lines.is_empty();
        when(lines, done)
    };
    let lines = poll(Duration::from_secs(10), Duration::from_millis(200), probe)
        .map_or_else(|e| e, |p| p.value);
    std::thread::sleep(Duration::from_millis(500));
    let log = log(&dev);
    let count = log
        .lines()
        .filter(|l| l.contains("\"event\":\"vitrine.bypass\""))
        .count();
    assert_eq!(count, 1, "one request, one bypass line:\n{log}");
    assert!(lines[0].contains("\"reason\":\"config\""), "{}", lines[0]);
    assert!(
        lines[0].contains("VITRINE_COOKIE_KEYS"),
        "the detail names the setting: {}",
        lines[0]
    );
}
