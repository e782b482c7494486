//! The scripted traffic run of `e2e::events` (see its module docs): personas visit, some
//! convert; the events are checked and written as JSON lines for `vitrine report`.

use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, Instant};

use super::{
    activity_id, conversions, events_since, fills, held_out, log_len, next_cookie, post, strip_arm,
    CONSENT,
};
use crate::support::{self, *};
use vitrine_core::cookie::KeyRing;
use vitrine_core::measure::events::Event;

/// The scripted conversion rates, in percent: shown campaigns, and in the global holdout.
const TREATED_RATE: usize = 30;
const HOLDOUT_RATE: usize = 12;

/// One scripted visitor's outcome.
struct Outcome {
    id: Option<String>,
    held_out: bool,
    tracked: bool,
    converted: bool,
}

const PERSONAS: [&[&str]; 5] = [
    &[],
    &["loyal"],
    &["price_hunter"],
    &["dog_owner"],
    &["cat_owner"],
];

fn profile(i: usize, segments: &[&str]) -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let ring = KeyRing::parse(KEYS).unwrap();
    let claims = serde_json::json!({"sub": format!("u-{i}"), "seg": segments, "exp": now + 3600});
    format!(
        "{}={}",
        vitrine_core::cookie::PROFILE_COOKIE,
        vitrine_core::cookie::mint(&claims, &ring)
    )
}

/// The scripted traffic run; checks its events and writes them for `vitrine report`.
pub fn run(dev: &Dev) {
    let visitors: usize = env_number("VITRINE_TRAFFIC_VISITORS", 120).min(5000);
    let deadline =
        Instant::now() + Duration::from_secs(env_number("VITRINE_TRAFFIC_SECS", 90) as u64);
    let start = log_len(dev);
    let mut outcomes = Vec::new();
    // Per group (held out, tracked): visitors seen and converted, for the scripted quotas.
    let mut quota: HashMap<(bool, bool), (usize, usize)> = HashMap::new();
    let mut sent = 0;
    for i in 0..visitors {
        if Instant::now() > deadline {
            break;
        }
        let segments = PERSONAS[i % PERSONAS.len()];
        let tracked = i % 10 != 9;
        let mut cookie = CONSENT.to_owned();
        if !segments.is_empty() {
            cookie = format!("{cookie}; {}", profile(i, segments));
        }
        let gpc: &[(&str, &str)] = if tracked { &[] } else { &[("sec-gpc", "1")] };
        let visit = |path: &str, cookie: &str| {
            let mut headers = vec![("cookie", cookie)];
            headers.extend_from_slice(gpc);
            get_with(dev, path, &headers)
        };
        let home = visit("/", &cookie);
        assert_eq!(home.status, 200);
        cookie = next_cookie(&cookie, &home);
        let id = if segments.is_empty() {
            activity_id(&cookie)
        } else {
            Some(format!("u-{i}"))
        };
        let held = id.as_deref().is_some_and(held_out);
        assert_eq!(
            fills(&home).is_empty(),
            held,
            "visitor {i}: {:?}",
            home.header("x-vitrine")
        );
        for path in [
            format!("/c/{}", ["dog", "cat", "garden"][i % 3]),
            format!("/p/p{:04}", 1 + i % 120),
        ] {
            let got = visit(&path, &cookie);
            cookie = next_cookie(&cookie, &got);
        }
        let group = quota.entry((held, tracked)).or_default();
        group.0 += 1;
        let rate = if held { HOLDOUT_RATE } else { TREATED_RATE };
        let converted = (group.1 + 1) * 100 <= group.0 * rate;
        if converted {
            group.1 += 1;
            let value = 10.0 + (i % 40) as f64;
            let mut headers = vec![
                ("origin", dev.base.as_str()),
                ("sec-fetch-site", "same-origin"),
                ("content-type", "text/plain;charset=UTF-8"),
                ("cookie", cookie.as_str()),
            ];
            headers.extend_from_slice(gpc);
            let body = format!(r#"{{"event":"add_to_cart","value":{value}}}"#);
            let got = post(dev, body.as_bytes(), &headers);
            assert_eq!(got.status, 204, "{}", got.text());
            cookie = next_cookie(&cookie, &got);
            let total = value * 2.0 + 4.95;
            let got = visit(&format!("/order/confirmed?total={total:.2}"), &cookie);
            assert_eq!(got.status, 200);
            sent += 2;
        }
        outcomes.push(Outcome {
            id,
            held_out: held,
            tracked,
            converted,
        });
    }
    assert!(
        outcomes.len() >= visitors.min(20),
        "only {} visitors within the time bound",
        outcomes.len()
    );
    let events = events_since(dev, start, sent);
    check_traffic(&events, &outcomes, sent);
    let file = write_events(&events);
    check_report(&file);
    check_parquet(&events, &file);
}

/// Nothing lost on the way to the lossless sink's layout: the events the edge logged (the
/// records it would send to a Pipelines stream; `wrangler dev` has no local stream) written
/// as Parquet in the stream's layout read back as the same N events, and `vitrine report`
/// prints the same report from the Parquet file as from the JSON lines.
fn check_parquet(events: &[Event], jsonl: &std::path::Path) {
    let parquet = jsonl.with_extension("parquet");
    let mut w = vitrine_report::input::parquet::write::EventWriter::new(
        std::fs::File::create(&parquet).unwrap(),
    )
    .unwrap();
    for e in events {
        w.push(e).unwrap();
    }
    w.finish().unwrap();
    let back =
        vitrine_report::input::parquet::parquet_bytes(std::fs::read(&parquet).unwrap()).unwrap();
    assert_eq!(back.bad_count, 0);
    assert_eq!(back.events.len(), events.len(), "rows read back");
    assert_eq!(back.events, events);
    let report = |file: &std::path::Path| {
        let out = std::process::Command::new(cli())
            .args(["report", "--allow-srm"])
            .arg(file)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    assert_eq!(report(&parquet), report(jsonl));
    eprintln!(
        "parquet: {} events, {} rows read back",
        events.len(),
        back.events.len()
    );
}

/// Closes the loop: `vitrine report` on the run's events, against the campaigns that were
/// published, shows every campaign's shown visitors converting more than its held-out ones
/// (the scripted 30 % vs 12 %), with a sample-ratio check that passes.
fn check_report(file: &std::path::Path) {
    let out = std::process::Command::new(support::cli())
        .arg("report")
        .arg(file)
        .args(["--campaigns", "fixtures/campaigns/measure.toml"])
        .args(["--goal", "purchase", "--json"])
        .current_dir(root())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(report["srm_failed"], false, "{report:#}");
    let units = report["units"].as_array().unwrap();
    let campaigns: Vec<&serde_json::Value> =
        units.iter().filter(|u| u["kind"] == "campaign").collect();
    assert!(!campaigns.is_empty(), "{report:#}");
    // Each campaign's holdout is a handful of visitors here, so single campaigns are noisy;
    // pooled over campaigns, shown visitors convert at the scripted 30 % and held-out ones at 12 %.
    let mut pooled: BTreeMap<&str, (u64, u64)> = BTreeMap::new();
    for unit in campaigns {
        for arm in unit["arms"].as_array().unwrap() {
            let entry = pooled.entry(arm["arm"].as_str().unwrap()).or_default();
            entry.0 += arm["visitors"].as_u64().unwrap();
            entry.1 += arm["converters"].as_u64().unwrap();
        }
        let has_holdout = unit["arms"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["arm"] == "holdout" && a["visitors"].as_u64() > Some(0));
        if has_holdout {
            assert!(
                unit["comparisons"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|c| c["against"] == "holdout" && c["abs_lift"].is_number()),
                "no lift against the holdout: {unit:#}"
            );
        }
    }
    let rate = |arm: &str| {
        let (visitors, converters) = pooled.get(arm).copied().unwrap_or_default();
        assert!(visitors > 0, "no {arm} visitors: {report:#}");
        converters as f64 / visitors as f64
    };
    assert!(
        rate("shown") > rate("holdout"),
        "shown {} vs holdout {}",
        rate("shown"),
        rate("holdout")
    );
}

fn env_number(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn check_traffic(events: &[Event], outcomes: &[Outcome], sent: usize) {
    let convs = conversions(events);
    assert_eq!(convs.len(), sent, "every scripted conversion is one event");
    let by_pseudonym: BTreeMap<String, &Outcome> = outcomes
        .iter()
        .filter(|o| o.tracked)
        .filter_map(|o| Some((pseudonym(o.id.as_ref()?), o)))
        .collect();
    for c in &convs {
        let Some(v) = &c.common.visitor else {
            assert!(
                c.assignments.is_empty() && c.campaigns.is_empty() && !c.common.global_holdout,
                "{c:?}"
            );
            continue;
        };
        let o = by_pseudonym
            .get(v)
            .unwrap_or_else(|| panic!("unknown visitor {v}"));
        let id = o.id.as_deref().unwrap();
        assert!(o.converted);
        assert_eq!(c.common.global_holdout, o.held_out, "{c:?}");
        assert!(!c.campaigns.is_empty(), "campaigns are carried: {c:?}");
        let want = if o.held_out { "holdout" } else { "shown" };
        assert!(c.campaigns.values().all(|a| a == want), "{c:?}");
        if let Some(arm) = c.assignments.get("strip-copy") {
            assert_eq!(arm, strip_arm(id), "{c:?}");
        }
    }
    let untracked = outcomes
        .iter()
        .filter(|o| !o.tracked && o.converted)
        .count();
    assert_eq!(
        convs.iter().filter(|c| c.common.visitor.is_none()).count(),
        untracked * 2
    );
    // Exposures: held-out visitors are logged as holdout of campaigns, never as shown.
    for e in events {
        if let Event::Exposure(x) = e {
            let Some(o) = x.common.visitor.as_ref().and_then(|v| by_pseudonym.get(v)) else {
                continue;
            };
            if x.campaign.is_some() {
                assert_eq!(x.arm == "holdout", o.held_out, "{x:?}");
                assert_eq!(x.common.global_holdout, o.held_out, "{x:?}");
            }
        }
    }
    // The scripted behaviour shows: the holdout converts less.
    let rate = |held: bool| {
        let group: Vec<_> = outcomes
            .iter()
            .filter(|o| o.tracked && o.held_out == held)
            .collect();
        group.iter().filter(|o| o.converted).count() as f64 / group.len().max(1) as f64
    };
    let (holdout, treated) = (rate(true), rate(false));
    assert!(
        outcomes.iter().any(|o| o.held_out),
        "nobody landed in the 20 % holdout"
    );
    assert!(holdout < treated, "holdout {holdout} vs treated {treated}");
    eprintln!(
        "traffic: {} visitors, {} events ({} conversions); conversion rate treated {:.1} %, holdout {:.1} %",
        outcomes.len(),
        events.len(),
        convs.len(),
        treated * 100.0,
        holdout * 100.0
    );
}

/// Writes the run's events as JSON lines for `vitrine report`; returns the file.
fn write_events(events: &[Event]) -> std::path::PathBuf {
    let out = std::env::var("VITRINE_EVENTS_OUT")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|_| root().join("target/events/e2e-events.jsonl"));
    if let Some(dir) = out.parent() {
        std::fs::create_dir_all(dir).unwrap();
    }
    let text: String = events.iter().map(|e| e.to_line() + "\n").collect();
    std::fs::write(&out, text).unwrap();
    eprintln!("events: {}", out.display());
    out
}
