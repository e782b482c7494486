//! Real-browser test of `vitrine report --html`: headless Chromium (Debian `chromium`,
//! installed by scripts/browser-deps.sh) opens the page built from the committed sample and
//! must lay out one bar per arm in every chart. The page's one inline script counts the bars
//! that have a rendered height into `<body data-bars>`, which `--dump-dom` shows. A
//! screenshot is written to `target/browser/report.png` for people to look at.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use crate::{chromium, support};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn chromium(profile: &Path, extra: &[&str], url: &str) -> String {
    let child = Command::new("chromium")
        .args(chromium::FLAGS)
        .args(["--window-size=1100,1600", "--virtual-time-budget=2000"])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(extra)
        .arg(url)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("chromium is installed (scripts/browser-deps.sh)");
    let pid = child.id();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    match rx.recv_timeout(Duration::from_secs(60)) {
        Ok(out) => String::from_utf8_lossy(&out.unwrap().stdout).into_owned(),
        Err(_) => {
            let _ = Command::new("kill")
                .args(["-KILL", &pid.to_string()])
                .status();
            panic!("chromium did not finish within 60 s");
        }
    }
}

#[test]
fn the_report_chart_renders_one_bar_per_arm_in_a_real_browser() {
    let dir = root().join("target/browser-report");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let page = dir.join("report.html");
    let out = Command::new(support::cli())
        .current_dir(root())
        .args([
            "report",
            "fixtures/report/sample.jsonl",
            "--campaigns",
            "fixtures/report/campaigns.toml",
            "--goal",
            "purchase",
            "--html",
            page.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let url = format!("file://{}", page.display());
    let dom = chromium(&dir.join("chrome-dom"), &["--dump-dom"], &url);
    // hero-copy: control, urgency, holdout; hero-urgent: shown; welcome-strip: shown, holdout.
    assert!(
        dom.contains("data-bars=\"6\""),
        "six rendered bars; got:\n{dom:.1500}"
    );
    assert_eq!(dom.matches("<svg class=\"chart\"").count(), 3);
    for arm in ["control", "urgency", "holdout", "shown"] {
        assert!(dom.contains(&format!("data-arm=\"{arm}\"")), "{arm}");
    }
    assert!(dom.contains("Sample ratio check passed"));
    let shots = root().join("target/browser");
    std::fs::create_dir_all(&shots).unwrap();
    let shot = shots.join("report.png");
    let _ = std::fs::remove_file(&shot);
    chromium(
        &dir.join("chrome-shot"),
        &[&format!("--screenshot={}", shot.display())],
        &url,
    );
    let size = std::fs::metadata(&shot).map(|m| m.len()).unwrap_or(0);
    assert!(size > 10_000, "screenshot written ({size} bytes)");
}
