//! Bandits end to end over `wrangler dev` (issue 18, part 1): a bandit experiment is
//! published, simulated visitors in two contexts see the edge's split and convert, `vitrine
//! optimize` learns from the events the edge logged and rewrites the campaign file, the file is
//! published again, and the edge then splits new visitors of the learning context by the new
//! weights (checked statistically on a bounded number of visitors) and logs that split.

use crate::support;

use std::process::Command;
use std::time::Duration;

use support::*;
use vitrine_core::cookie::activity::ACTIVITY_COOKIE;
use vitrine_core::measure::events::Event;

const CAMPAIGN: &str = r#"[[conversion]]
name = "purchase"
path = "/order/confirmed*"
value_param = "total"
value = { min = 0, max = 10000 }
dedupe_param = "order"

[[campaign]]
id = "strip-plain"
slot = "promo-strip"
audience = "everyone"
experiment = "strip-bandit"
arm = "plain"
html = "BANDIT-PLAIN"

[[campaign]]
id = "strip-savings"
slot = "promo-strip"
audience = "everyone"
experiment = "strip-bandit"
arm = "savings"
html = "BANDIT-SAVINGS"

# The e2e bandit: price hunters are learned on their own.
[experiments.strip-bandit]
arms = [{ name = "plain", weight = 1 }, { name = "savings", weight = 1 }]
allocation = "bandit"
goal = "purchase"
min_share_bp = 500
contexts = ["price_hunter"]
"#;

fn visitor(sub: &str, segments: &[&str]) -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let ring = vitrine_core::KeyRing::parse(KEYS).unwrap();
    let token = vitrine_core::cookie::mint(
        &serde_json::json!({"sub": sub, "seg": segments, "exp": now + 600}),
        &ring,
    );
    format!("{}={token}", vitrine_core::cookie::PROFILE_COOKIE)
}

fn with_activity(cookie: &str, got: &Got) -> String {
    match got.header("set-cookie") {
        Some(sc) if sc.starts_with(ACTIVITY_COOKIE) => {
            format!("{cookie}; {}", sc.split(';').next().unwrap())
        }
        _ => cookie.to_owned(),
    }
}

/// Visits the home page as `sub`; converts (an order) when `converts(arm)`. Returns the arm.
fn visit(dev: &Dev, sub: &str, segments: &[&str], converts: bool) -> &'static str {
    let cookie = visitor(sub, segments);
    let got = get(dev, "/", Some(&cookie));
    assert_eq!(got.status, 200);
    let page = got.text();
    let arm = if page.contains("BANDIT-SAVINGS") {
        "savings"
    } else if page.contains("BANDIT-PLAIN") {
        "plain"
    } else {
        panic!("no arm on the page for {sub}")
    };
    if converts && arm == "savings" {
        let next = with_activity(&cookie, &got);
        let order = get(
            dev,
            &format!("/order/confirmed?total=30&order={sub}"),
            Some(&next),
        );
        assert_eq!(order.status, 200);
    }
    arm
}

/// The event lines logged so far.
fn logged_events(dev: &Dev) -> Vec<String> {
    event_lines(&log(dev)).map(str::to_owned).collect()
}

/// Waits (bounded) until the edge serves `version`; how many probe views that took (each
/// logs an exposure).
fn wait_for(dev: &Dev, version: &str) -> usize {
    let probe = || {
        let got = get(dev, "/", Some(&visitor("probe", &[])));
        let served = got.header("x-vitrine").unwrap_or_default().to_owned();
        let done = served.contains(version);
        when(served, done)
    };
    match poll(Duration::from_secs(40), Duration::from_millis(500), probe) {
        Ok(polled) => polled.probes,
        Err(last) => panic!("the edge never served {version} in 40 s (last: {last})"),
    }
}

/// The events logged so far, once (bounded, 20 s) at least `exposures` exposures and
/// `conversions` conversions are among them: wrangler writes a request's event lines after
/// the response, late on a loaded machine.
fn events_once(dev: &Dev, exposures: usize, conversions: usize) -> Vec<String> {
    let probe = || {
        let lines = logged_events(dev);
        let count = |kind: &str| lines.iter().filter(|l| l.contains(kind)).count();
        let landed = count("\"event\":\"vitrine.exposure\"") >= exposures
            && count("\"event\":\"vitrine.conversion\"") >= conversions;
        when(lines, landed)
    };
    poll(Duration::from_secs(20), Duration::from_millis(100), probe).map_or_else(|e| e, |p| p.value)
}

#[test]
fn bandit_learns_from_the_edges_events_and_the_edge_serves_the_new_split() {
    let state = state_dir("bandit");
    let file = state.join("bandit.toml");
    std::fs::write(&file, CAMPAIGN).unwrap();
    let first = publish_campaign(&state, file.to_str().unwrap());
    let dev = start(
        state.clone(),
        &[
            ("VITRINE_ACTIVITY_KEYS", ACTIVITY_KEYS),
            ("CONSENT", "granted"),
        ],
    );
    let probes = wait_for(&dev, &first);

    // Round 1: 120 price hunters (who buy when told about savings) and 60 others (who never
    // buy), split 50/50 by the file's arms.
    let orders = (0..120)
        .filter(|i| visit(&dev, &format!("ph-{i}"), &["price_hunter"], true) == "savings")
        .count();
    for i in 0..60 {
        visit(&dev, &format!("other-{i}"), &[], false);
    }
    // An order's page has the strip too: its view is an exposure as well.
    let lines = events_once(&dev, probes + 180 + orders, orders);
    let events = state.join("events.jsonl");
    std::fs::write(&events, lines.join("\n") + "\n").unwrap();

    // Optimize on what the edge logged.
    let out = Command::new(cli())
        .args(["optimize"])
        .arg(&events)
        .arg("--campaigns")
        .arg(&file)
        .args(["--seed", "1", "--min-visitors", "20"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("context price_hunter"), "{stdout}");
    let written = std::fs::read_to_string(&file).unwrap();
    let table = written
        .split("[experiments.strip-bandit.weights.price_hunter]")
        .nth(1)
        .expect("a price_hunter weights table");
    let weight = |arm: &str| -> i64 {
        table
            .lines()
            .find_map(|l| l.strip_prefix(&format!("{arm} = ")))
            .and_then(|v| v.split_whitespace().next())
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("no weight for {arm}:\n{written}"))
    };
    let (savings, plain) = (weight("savings"), weight("plain"));
    assert_eq!(savings + plain, 10_000, "{stdout}");
    assert!(savings >= 9_000 && plain >= 500, "{stdout}");

    // Publish the learned weights; the edge serves them.
    let second = publish_campaign(&state, file.to_str().unwrap());
    assert_ne!(first, second);
    wait_for(&dev, &second);
    let before = logged_events(&dev).len();
    let n = 200;
    let shown_savings = (0..n)
        .filter(|i| visit(&dev, &format!("ph2-{i}"), &["price_hunter"], false) == "savings")
        .count();
    // Expected share savings / 10 000; 4.5 standard deviations of a binomial of 200.
    let p = savings as f64 / 10_000.0;
    let sd = (p * (1.0 - p) / f64::from(n)).sqrt();
    let observed = shown_savings as f64 / f64::from(n);
    assert!(
        (observed - p).abs() <= 4.5 * sd + 0.005,
        "savings shown to {observed}, weights say {p}"
    );
    // And the exposures say which split placed them (waiting, bounded, for their lines).
    let split = format!("holdout=0;plain={plain};savings={savings}");
    let placed = || {
        logged_events(&dev)[before..]
            .iter()
            .filter_map(|l| Event::parse(l).ok())
            .filter(|e| match e {
                Event::Exposure(x) => {
                    x.context.as_deref() == Some("price_hunter")
                        && x.split.as_deref() == Some(&split)
                }
                _ => false,
            })
            .count()
    };
    let probe = || when((), placed() >= n as usize);
    let _ = poll(Duration::from_secs(20), Duration::from_millis(100), probe);
    let placed = placed();
    assert!(placed >= n as usize, "{placed} exposures carry {split}");
}
