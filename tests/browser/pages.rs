//! Real-browser test: headless Chromium (Debian `chromium`) loads the demo shop as two
//! personas through the persona picker and checks the rendered slot text. Screenshots are
//! written to `target/browser/` for people to look at.

use crate::{chromium, support};

use std::process::Command;
use std::time::Duration;

use support::*;

/// A desktop Chrome's `User-Agent`.
const PERSON_UA: &str =
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36";

fn chromium(profile: &std::path::Path, extra: &[&str], url: &str) -> String {
    let mut child = Command::new("chromium");
    child
        .args(chromium::FLAGS)
        .args(["--window-size=1280,1100", "--virtual-time-budget=3000"])
        // The User-Agent of the person the test stands for: headless Chromium's own says
        // "HeadlessChrome", which vitrine serves as a bot (the anonymous page).
        .arg(format!("--user-agent={PERSON_UA}"))
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(extra)
        .arg(url);
    let out = run_bounded(child, Duration::from_secs(60));
    String::from_utf8_lossy(&out).into_owned()
}

fn run_bounded(mut cmd: Command, limit: Duration) -> Vec<u8> {
    let child = cmd
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("chromium is installed (scripts/browser-deps.sh)");
    let (tx, rx) = std::sync::mpsc::channel();
    let pid = child.id();
    std::thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    match rx.recv_timeout(limit) {
        Ok(out) => out.unwrap().stdout,
        Err(_) => {
            let _ = Command::new("kill")
                .args(["-KILL", &pid.to_string()])
                .status();
            panic!("chromium did not finish within {limit:?}");
        }
    }
}

#[test]
fn personas_see_their_banners_in_a_real_browser() {
    let state = state_dir("browser");
    publish_demo(&state);
    let dev = start(state.clone(), &[]);
    let shots = root().join("target/browser");
    std::fs::create_dir_all(&shots).unwrap();
    for (persona, expected, other) in [
        ("loyal", "loyalty discount", "Save up to 40%"),
        ("price-hunter", "Save up to 40%", "loyalty discount"),
    ] {
        let url = format!("{}/__vitrine/demo?as={persona}", dev.base);
        let profile = state.join(format!("chrome-{persona}"));
        let dom = chromium(&profile, &["--dump-dom"], &url);
        assert!(
            dom.contains(expected),
            "{persona} should see {expected:?}; got:\n{dom:.2000}"
        );
        assert!(!dom.contains(other), "{persona} must not see {other:?}");
        let shot = shots.join(format!("{persona}.png"));
        let _ = std::fs::remove_file(&shot);
        chromium(
            &state.join(format!("chrome-{persona}-shot")),
            &[&format!("--screenshot={}", shot.display())],
            &url,
        );
        assert!(
            std::fs::metadata(&shot)
                .map(|m| m.len() > 10_000)
                .unwrap_or(false),
            "screenshot written"
        );
    }
}

/// The shop with recommendations (`fixtures/campaigns/shop.toml`, as `make dev` publishes it):
/// each persona's home page shows its own "Picked for you" row in a real browser.
#[test]
fn personas_see_their_recommendations_in_a_real_browser() {
    let state = state_dir("browser-recs");
    let ok = Command::new(support::cli())
        .current_dir(root())
        .args([
            "publish",
            "fixtures/campaigns/shop.toml",
            "--local",
            "--persist-to",
        ])
        .arg(&state)
        .stdout(std::process::Stdio::null())
        .status()
        .unwrap()
        .success();
    assert!(ok, "publish shop.toml");
    let dev = start(state.clone(), &[]);
    let shots = root().join("target/browser");
    std::fs::create_dir_all(&shots).unwrap();
    // The first hand-picked product of each segment (fixtures/catalog/lists.json), and the
    // other persona's, which must not show.
    for (persona, expected, other) in [
        (
            "loyal",
            "Ergonomic Hand Trowel",
            "Crunchy Chicken Cat Treats 150g",
        ),
        (
            "price-hunter",
            "Crunchy Chicken Cat Treats 150g",
            "Ergonomic Hand Trowel",
        ),
    ] {
        let url = format!("{}/__vitrine/demo?as={persona}", dev.base);
        let profile = state.join(format!("chrome-recs-{persona}"));
        let dom = chromium(&profile, &["--dump-dom"], &url);
        let row = dom
            .split("Picked for you")
            .nth(1)
            .unwrap_or_else(|| panic!("{persona}: no recommendations row in:\n{dom:.2000}"));
        assert!(row.contains(expected), "{persona} should see {expected:?}");
        assert!(!row.contains(other), "{persona} must not see {other:?}");
        let shot = shots.join(format!("recs-{persona}.png"));
        let _ = std::fs::remove_file(&shot);
        chromium(
            &state.join(format!("chrome-recs-{persona}-shot")),
            &[&format!("--screenshot={}", shot.display())],
            &url,
        );
        assert!(
            std::fs::metadata(&shot)
                .map(|m| m.len() > 10_000)
                .unwrap_or(false),
            "screenshot written"
        );
    }
}
