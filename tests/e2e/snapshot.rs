//! End to end over `wrangler dev` for publishing: `vitrine publish --local` is served within
//! the refresh interval, `rollback` restores the old content, and a pointer to a missing,
//! unknown-schema or corrupt version bypasses a fresh isolate but keeps the last good version
//! in one that has it. Real workerd, real local KV (written by wrangler while the server runs).

use crate::support;

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use support::*;

const REFRESH_SECS: u64 = 2;

/// Runs the CLI against the local KV in `state`; returns stdout.
fn vitrine(state: &Path, args: &[&str]) -> String {
    let out = Command::new(support::cli())
        .current_dir(root())
        .args(args)
        .args(["--local", "--persist-to"])
        .arg(state)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "vitrine {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn published_version(stdout: &str) -> String {
    let line = stdout
        .lines()
        .find(|l| l.starts_with("published "))
        .expect(stdout);
    line.split_whitespace().nth(1).unwrap().to_owned()
}

fn x_vitrine(got: &Got) -> String {
    got.header("x-vitrine").unwrap_or_default().to_owned()
}

/// Polls `/` until `x-vitrine` names `version`; returns how long that took, the answer, and
/// how many requests it sent.
fn wait_for_version(dev: &Dev, version: &str, limit: Duration) -> (Duration, Got, usize) {
    let probe = || {
        let got = get(dev, "/", None);
        let served = x_vitrine(&got).starts_with(&format!("v={version};"));
        when(got, served)
    };
    match poll(limit, Duration::from_millis(200), probe) {
        Ok(p) => (p.took, p.value, p.probes),
        Err(got) => panic!("still {} after {limit:?}, want {version}", x_vitrine(&got)),
    }
}

fn write(state: &Path, name: &str, bytes: &[u8]) -> std::path::PathBuf {
    let p = state.join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

#[test]
fn publish_is_served_within_refresh_and_rollback_restores() {
    let state = state_dir("publish");
    let v1 = published_version(&vitrine(
        &state,
        &["publish", "fixtures/campaigns/demo.toml"],
    ));
    let refresh = REFRESH_SECS.to_string();
    let dev = start(state.clone(), &[("SNAPSHOT_REFRESH_SECS", &refresh)]);
    let (_, first, polls) = wait_for_version(&dev, &v1, Duration::from_secs(10));
    assert!(first.text().contains("Welcome! 10% off"));
    // Decoded once per version per isolate, not per request.
    for _ in 0..20 {
        assert!(
            x_vitrine(&get(&dev, "/", Some(&mint(&["loyal"])))).starts_with(&format!("v={v1};"))
        );
    }
    // wrangler logs each request after answering it: wait until it has logged all of them.
    let log = log_when(&dev, |l| l.matches("GET / ").count() >= polls + 20);
    let loads = log.matches("vitrine.snapshot_loaded").count();
    assert_eq!(loads, 1, "decodes in the log:\n{log}");

    let demo = std::fs::read_to_string(root().join("fixtures/campaigns/demo.toml")).unwrap();
    let edited = write(
        &state,
        "edited.toml",
        demo.replace(
            "Welcome! 10% off your first order",
            "Welcome! 25% off today",
        )
        .as_bytes(),
    );
    let out = vitrine(&state, &["publish", edited.to_str().unwrap()]);
    let v2 = published_version(&out);
    assert_ne!(v1, v2);
    assert!(out.contains("campaign welcome-hero in slot hero"), "{out}");
    // Within the refresh interval (plus a little for the local KV write to land).
    let (took, got, _) = wait_for_version(&dev, &v2, Duration::from_secs(REFRESH_SECS + 3));
    assert!(
        got.text().contains("Welcome! 25% off today"),
        "after {took:?}"
    );

    let status = vitrine(&state, &["status"]);
    assert!(
        status.contains(&format!("active: {v2}")) && status.contains(&v1),
        "{status}"
    );

    let out = vitrine(&state, &["rollback"]);
    assert!(out.contains(&format!("rolled back to {v1}")), "{out}");
    let (_, got, _) = wait_for_version(&dev, &v1, Duration::from_secs(REFRESH_SECS + 3));
    assert!(got.text().contains("Welcome! 10% off"));
    assert!(!got.text().contains("25% off"));

    // A catalog in shards: the worker reads the shard of the featured product on demand.
    let v3 = published_version(&vitrine(
        &state,
        &["publish", "fixtures/campaigns/featured.toml"],
    ));
    let (_, got, _) = wait_for_version(&dev, &v3, Duration::from_secs(REFRESH_SECS + 3));
    assert!(
        got.text()
            .contains("Today's pick: Orthopedic Memory Foam Dog Bed L for €72.49"),
        "{}",
        got.text()
    );
    assert!(x_vitrine(&got).contains("promo-strip=featured-bed"));
}

#[test]
fn bad_versions_bypass_a_fresh_isolate_and_keep_the_last_good_one() {
    let state = state_dir("bad-versions");
    let pointer = |v: &str| {
        let p = write(&state, "pointer", v.as_bytes());
        kv_put(&state, "snapshot/current", &p);
    };
    let unknown = write(
        &state,
        "unknown",
        br#"{"schema":99,"version":"future","body":{}}"#,
    );
    kv_put(&state, "snapshot/v/future", &unknown);
    let corrupt = write(
        &state,
        "corrupt",
        br#"{"schema":2,"version":"broken","body":{"strin"#,
    );
    kv_put(&state, "snapshot/v/broken", &corrupt);
    pointer("nowhere");
    let dev = start(state.clone(), &[]);
    let page = site_file("index.html");

    let cases = [
        ("nowhere", "bypass; reason=missing_version"),
        ("future", "bypass; reason=snapshot_schema"),
        ("broken", "bypass; reason=snapshot_corrupt"),
    ];
    for (version, want) in cases {
        pointer(version);
        let got = get(&dev, "/", Some(&mint(&["loyal"])));
        assert_eq!((got.status, x_vitrine(&got).as_str()), (200, want));
        assert_eq!(got.body, page, "{version}: the page must be unchanged");
    }

    let good = published_version(&vitrine(
        &state,
        &["publish", "fixtures/campaigns/demo.toml"],
    ));
    wait_for_version(&dev, &good, Duration::from_secs(10));
    for (version, want) in cases {
        // The isolate must read the bad pointer (the refresh interval is 0 here) and say it
        // kept the good version, with the reason it would otherwise have bypassed for.
        let reason = want.trim_start_matches("bypass; reason=");
        let kept = |log: &str| {
            log.lines()
                .filter(|l| {
                    l.contains("\"vitrine.snapshot_kept\"")
                        && l.contains(&format!("\"detail\":\"{reason}\""))
                })
                .count()
        };
        let before = kept(&log(&dev));
        pointer(version);
        let got = get(&dev, "/", Some(&mint(&["loyal"])));
        assert!(
            x_vitrine(&got).starts_with(&format!("v={good};")),
            "{version}: {}",
            x_vitrine(&got)
        );
        assert!(got.text().contains("loyalty discount"));
        let probe = || when((), kept(&log(&dev)) > before);
        let _ = poll(Duration::from_secs(10), Duration::from_millis(100), probe);
        assert!(
            kept(&log(&dev)) > before,
            "{version}: no vitrine.snapshot_kept with {reason} in the log:\n{}",
            log(&dev)
        );
    }

    // A version whose catalog shards are missing: the featured-product campaign does not
    // qualify, everything else is still personalized.
    let built = state.join("featured.json");
    let out = Command::new(support::cli())
        .current_dir(root())
        .args(["build", "fixtures/campaigns/featured.toml", "-o"])
        .arg(&built)
        .output()
        .unwrap();
    assert!(out.status.success());
    let featured = String::from_utf8(out.stdout).unwrap().trim().to_owned();
    kv_put(&state, &format!("snapshot/v/{featured}"), &built);
    pointer(&featured);
    let got = get(&dev, "/", None);
    let xv = x_vitrine(&got);
    assert!(xv.starts_with(&format!("v={featured};")), "{xv}");
    assert!(
        xv.contains("hero=welcome-hero") && !xv.contains("promo-strip"),
        "{xv}"
    );
    assert!(!got.text().contains("Today's pick"));
}

/// `publish --dry-run` reads the namespace through wrangler, lists every key it would write and
/// writes nothing: the pointer is still unset afterwards.
#[test]
fn publish_dry_run_lists_every_key_and_writes_nothing() {
    let state = state_dir("dry-run");
    let s = vitrine(
        &state,
        &["publish", "fixtures/campaigns/featured.toml", "--dry-run"],
    );
    assert!(s.contains("first publish to this namespace"), "{s}");
    let writes = s
        .lines()
        .filter(|l| l.starts_with("would write snapshot/v/"))
        .count();
    assert_eq!(writes, 1 + 8, "{s}");
    assert!(s.contains("would point snapshot/current at"), "{s}");
    let status = vitrine(&state, &["status"]);
    assert!(status.contains("active: none"), "{status}");
}

/// `SNAPSHOT_REFRESH_SECS` unset or unreadable falls back to its default, 10 s: a version
/// published after the isolate loaded one is not served before the interval has passed since
/// that load, and is served soon after it.
#[test]
fn an_unreadable_refresh_interval_falls_back_to_ten_seconds() {
    const DEFAULT_REFRESH: Duration = Duration::from_secs(10);
    let state = state_dir("refresh-default");
    let v1 = published_version(&vitrine(
        &state,
        &["publish", "fixtures/campaigns/demo.toml"],
    ));
    let dev = start(state.clone(), &[("SNAPSHOT_REFRESH_SECS", "soon")]);
    // The isolate loads v1 for the first request that reaches it, so its interval starts no
    // sooner than this: measured from here, a slow first response cannot shorten it. That
    // first answer must be quick, or a short interval could pass as the default one.
    let loaded = Instant::now();
    let (took, _, _) = wait_for_version(&dev, &v1, Duration::from_secs(10));
    assert!(
        took < Duration::from_secs(4),
        "the first answer took {took:?}, too long to test the interval"
    );
    let v2 = published_version(&vitrine(
        &state,
        &["publish", "fixtures/campaigns/featured.toml"],
    ));
    let published = loaded.elapsed();
    let (_, got, _) = wait_for_version(
        &dev,
        &v2,
        DEFAULT_REFRESH + published + Duration::from_secs(5),
    );
    let served = loaded.elapsed();
    // Polled every 200 ms from the load on: the new version shows up only once the interval
    // has passed (a refresh of 0, or any interval under 5 s, would serve it sooner: the load
    // came less than 4 s after `loaded`).
    assert!(
        served >= DEFAULT_REFRESH - Duration::from_secs(1),
        "served {served:?} after the load (published after {published:?})"
    );
    assert!(got.status == 200);
}
