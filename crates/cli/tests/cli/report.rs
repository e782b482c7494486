//! `vitrine report` as a user runs it on the committed sample (fixtures/report/, made by
//! `python3 fixtures/report/gen_sample.py`): exit codes, the `--json` shape, the HTML page,
//! bad lines, the sample-ratio-mismatch check and `--remote`'s refusals without credentials.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

const SAMPLE: &str = "fixtures/report/sample.jsonl";
const CAMPAIGNS: &str = "fixtures/report/campaigns.toml";

use crate::root;

fn dir(name: &str) -> PathBuf {
    let d = root()
        .join("target")
        .join("cli-tests")
        .join(format!("report-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn run(args: &[&str]) -> Output {
    Command::new(crate::cli())
        .current_dir(root())
        .arg("report")
        .args(args)
        .env_remove("CLOUDFLARE_API_TOKEN")
        .env_remove("CLOUDFLARE_ACCOUNT_ID")
        .output()
        .unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn code(o: &Output) -> i32 {
    o.status.code().unwrap_or(-1)
}

fn json(o: &Output) -> Value {
    serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}\n{}", text(&o.stdout), text(&o.stderr)))
}

fn unit<'a>(report: &'a Value, name: &str) -> &'a Value {
    report["units"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["name"] == name)
        .unwrap_or_else(|| panic!("no unit {name} in {report}"))
}

fn write(d: &Path, name: &str, s: &str) -> String {
    let p = d.join(name);
    std::fs::write(&p, s).unwrap();
    p.to_str().unwrap().to_owned()
}

/// The sample with a logging bug: every other urgency visitor's exposures are lost.
fn srm_events() -> String {
    let sample = std::fs::read_to_string(root().join(SAMPLE)).unwrap();
    let mut seen = std::collections::HashMap::new();
    let mut out = String::new();
    for line in sample.lines() {
        let e: Value = serde_json::from_str(line).unwrap();
        if e["experiment"] == "hero-copy" && e["arm"] == "urgency" {
            if let Some(v) = e["visitor"].as_str() {
                let n = seen.len();
                if *seen.entry(v.to_owned()).or_insert(n) % 2 == 0 {
                    continue;
                }
            }
        }
        out.push_str(line);
        out.push('\n');
    }
    out
}

#[test]
fn the_sample_reports_lift_with_a_passing_srm_check_in_the_documented_json_shape() {
    let o = run(&[
        SAMPLE,
        "--campaigns",
        CAMPAIGNS,
        "--goal",
        "purchase",
        "--json",
    ]);
    assert_eq!(code(&o), 0, "{}", text(&o.stderr));
    let r = json(&o);
    assert_eq!(r["schema"], 1);
    assert_eq!(r["goal"], "purchase");
    assert_eq!(r["srm_failed"], false);
    assert_eq!(r["input"]["events"], 6186);
    assert_eq!(r["input"]["bad_lines"], 0);
    assert!(r["input"]["goals_seen"]["signup"].as_u64().unwrap() > 0);
    let hero = unit(&r, "hero-copy");
    assert_eq!(hero["kind"], "experiment");
    assert_eq!(hero["control"], "control");
    let arms: Vec<&str> = hero["arms"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["arm"].as_str().unwrap())
        .collect();
    assert_eq!(arms, ["control", "urgency", "holdout"]);
    let visitors: u64 = hero["arms"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["visitors"].as_u64().unwrap())
        .sum();
    assert_eq!(visitors, 2000, "every consenting visitor once");
    let anonymous: u64 = hero["arms"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["anonymous"]["exposures"].as_u64().unwrap())
        .sum();
    assert_eq!(anonymous, 400);
    assert_eq!(hero["srm"]["status"], "pass");
    assert!(hero["srm"]["p"].as_f64().unwrap() > 0.001);
    let urgency = &hero["arms"][1];
    for key in [
        "visitors",
        "converters",
        "conversions",
        "rate",
        "rate_ci",
        "revenue",
        "revenue_per_visitor",
        "expected_share",
        "observed_share",
    ] {
        assert!(!urgency[key].is_null(), "arm field {key}: {urgency}");
    }
    assert!((urgency["expected_share"].as_f64().unwrap() - 0.285).abs() < 1e-12);
    let c = &hero["comparisons"][0];
    assert_eq!(
        (
            c["arm"].as_str(),
            c["baseline"].as_str(),
            c["against"].as_str()
        ),
        (Some("urgency"), Some("control"), Some("control"))
    );
    for key in [
        "abs_lift",
        "abs_lift_ci",
        "rel_lift",
        "rel_lift_ci",
        "p_value",
        "rpv_diff",
        "rpv_diff_ci",
        "rpv_p_value",
    ] {
        assert!(!c[key].is_null(), "comparison field {key}: {c}");
    }
    assert!(
        c["abs_lift"].as_f64().unwrap() > 0.0 && c["p_value"].as_f64().unwrap() < 0.05,
        "the sample's true lift is found: {c}"
    );
    let ci = &c["abs_lift_ci"];
    assert!(ci["low"].as_f64().unwrap() <= c["abs_lift"].as_f64().unwrap());
    let strip = unit(&r, "welcome-strip");
    assert_eq!(strip["srm"]["status"], "pass");
    assert_eq!(strip["comparisons"][0]["against"], "holdout");
    assert_eq!(unit(&r, "hero-urgent")["srm"]["status"], "unchecked");
}

#[test]
fn csv_exports_and_built_snapshots_give_the_same_report() {
    let d = dir("csv");
    let snap = d.join("snap.json");
    let built = Command::new(crate::cli())
        .current_dir(root())
        .args(["build", CAMPAIGNS, "-o", snap.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(built.status.success(), "{}", text(&built.stderr));
    let from_jsonl = json(&run(&[SAMPLE, "--campaigns", CAMPAIGNS, "--json"]));
    let from_csv = json(&run(&[
        "fixtures/report/sample.csv",
        "--snapshot",
        snap.to_str().unwrap(),
        "--json",
    ]));
    assert_eq!(from_jsonl, from_csv);
}

#[test]
fn a_sample_ratio_mismatch_is_loud_in_every_output_and_exits_4() {
    let d = dir("srm");
    let events = write(&d, "srm.jsonl", &srm_events());
    let html = d.join("srm.html");
    let o = run(&[
        &events,
        "--campaigns",
        CAMPAIGNS,
        "--html",
        html.to_str().unwrap(),
    ]);
    assert_eq!(code(&o), 4, "{}", text(&o.stderr));
    let out = text(&o.stdout);
    assert!(out.starts_with("!!!!"), "banner first:\n{out}");
    assert!(out.contains("SAMPLE RATIO MISMATCH in hero-copy"), "{out}");
    assert!(out.contains("*** SRM FAILED"), "{out}");
    assert!(text(&o.stderr).contains("--allow-srm"));
    let page = std::fs::read_to_string(&html).unwrap();
    assert!(page.contains("id=\"srm-alert\""), "{page:.500}");
    let o = run(&[&events, "--campaigns", CAMPAIGNS, "--json", "--allow-srm"]);
    assert_eq!(code(&o), 0);
    let r = json(&o);
    assert_eq!(r["srm_failed"], true);
    assert_eq!(unit(&r, "hero-copy")["srm"]["status"], "fail");
    assert!(unit(&r, "hero-copy")["srm"]["p"].as_f64().unwrap() < 0.001);
    // Without configured weights there is nothing to check against: reported, not failed.
    let o = run(&[&events, "--json"]);
    assert_eq!(code(&o), 0);
    assert_eq!(unit(&json(&o), "hero-copy")["srm"]["status"], "unchecked");
    // A looser threshold cannot hide it; a stricter one than the p-value passes it.
    let o = run(&[
        &events,
        "--campaigns",
        CAMPAIGNS,
        "--srm-alpha",
        "1e-300",
        "--json",
    ]);
    assert_eq!(code(&o), 0, "{}", text(&o.stdout));
}

#[test]
fn bad_lines_are_counted_and_shown_and_fatal_with_strict() {
    let d = dir("bad");
    let mut events = std::fs::read_to_string(root().join(SAMPLE)).unwrap();
    events.push_str("{\"event\":\"vitrine.exposure\",\"schema\":2,\"ts\":\"soon\"}\n");
    events.push_str("[wrangler:inf] GET /p/p0001 200 OK (12ms)\n");
    events.push_str("  (log) {\"event\":\"vitrine.conversion\",\"schema\":9}\n");
    let events = write(&d, "bad.jsonl", &events);
    let o = run(&[&events, "--json"]);
    assert_eq!(code(&o), 0, "{}", text(&o.stderr));
    let err = text(&o.stderr);
    assert!(
        err.contains("2 bad line(s)") && err.contains("line 6187") && err.contains("line 6189"),
        "{err}"
    );
    let r = json(&o);
    assert_eq!(r["input"]["bad_lines"], 2);
    assert_eq!(r["input"]["skipped_lines"], 1);
    assert_eq!(r["input"]["first_bad_lines"][1]["line"], 6189);
    assert!(r["input"]["first_bad_lines"][1]["reason"]
        .as_str()
        .unwrap()
        .contains("schema 9"));
    let o = run(&[&events, "--strict"]);
    assert_eq!(code(&o), 1);
    assert!(text(&o.stderr).contains("--strict"));
}

#[test]
fn the_html_page_is_self_contained_and_escapes_event_strings() {
    let d = dir("html");
    let hostile = r#"{"event":"vitrine.exposure","schema":2,"ts":1764201600,"day":20419,"snapshot":"s","visitor":"v1","experiment":"<script>alert(1)</script>","arm":"a\"><img src=x onerror=alert(2)>"}"#;
    let events = write(&d, "hostile.jsonl", &format!("{hostile}\n"));
    let html = d.join("out.html");
    let o = run(&[&events, "--html", html.to_str().unwrap()]);
    assert_eq!(code(&o), 0, "{}", text(&o.stderr));
    let page = std::fs::read_to_string(&html).unwrap();
    assert!(!page.contains("<script>alert"), "{page}");
    assert!(!page.contains("<img"), "{page}");
    assert!(page.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    for external in [
        "src=\"http",
        "href=\"http",
        "<link",
        "@import",
        "<script src",
    ] {
        assert!(!page.contains(external), "external resource {external}");
    }
    assert_eq!(page.matches("<svg class=\"chart\"").count(), 1);
    assert_eq!(page.matches("<rect class=\"bar").count(), 1);
}

#[test]
fn window_goal_and_control_options_shape_the_report() {
    let all = json(&run(&[SAMPLE, "--json"]));
    let late = json(&run(&[
        SAMPLE,
        "--since",
        "2025-11-30",
        "--until",
        "1764720000",
        "--json",
    ]));
    assert!(late["input"]["outside_window"].as_u64().unwrap() > 0);
    assert!(late["input"]["events"].as_u64().unwrap() < all["input"]["events"].as_u64().unwrap());
    let chosen = json(&run(&[SAMPLE, "--control", "hero-copy=urgency", "--json"]));
    let hero = unit(&chosen, "hero-copy");
    assert_eq!(hero["control"], "urgency");
    assert_eq!(hero["comparisons"][0]["baseline"], "urgency");
    let o = run(&[SAMPLE, "--since", "last tuesday"]);
    assert_eq!(code(&o), 2);
    assert!(text(&o.stderr).contains("7d"), "{}", text(&o.stderr));
}

#[test]
fn remote_refuses_clearly_without_credentials() {
    let o = run(&["--remote"]);
    assert_eq!(code(&o), 2);
    assert!(
        text(&o.stderr).contains("CLOUDFLARE_API_TOKEN is not set"),
        "{}",
        text(&o.stderr)
    );
    let o = Command::new(crate::cli())
        .current_dir(root())
        .args(["report", "--remote", "--dataset", "x;drop"])
        .env("CLOUDFLARE_API_TOKEN", "t")
        .env_remove("CLOUDFLARE_ACCOUNT_ID")
        .output()
        .unwrap();
    assert_eq!(code(&o), 2);
    assert!(
        text(&o.stderr).contains("CLOUDFLARE_ACCOUNT_ID is not set"),
        "{}",
        text(&o.stderr)
    );
    let o = run(&[SAMPLE, "--remote"]);
    assert_eq!(code(&o), 2, "files and --remote conflict");
    let o = run(&[]);
    assert_eq!(code(&o), 2, "no input");
}

/// Exposures of `n` visitors per arm of `hero-copy` carrying `pre`, converting more often the
/// more they visited before (arm `urgency` a little more), as the edge writes them.
fn cuped_events(n: u32) -> String {
    let mut out = String::new();
    for i in 0..2 * n {
        let arm = if i % 2 == 0 { "control" } else { "urgency" };
        let visits = 1 + i % 5;
        let views = (i * 7) % 11;
        let v = format!("{i:032x}");
        out.push_str(&format!(r#"{{"event":"vitrine.exposure","schema":2,"ts":{},"day":0,"snapshot":"s","visitor":"{v}","experiment":"hero-copy","arm":"{arm}","pre":{{"visits":{visits},"views":{views}}}}}"#, 100 + i));
        out.push('\n');
        let lift = u32::from(arm == "urgency");
        if (i / 2) % 6 < visits + lift - 1 {
            out.push_str(&format!(r#"{{"event":"vitrine.conversion","schema":2,"ts":{},"day":0,"snapshot":"s","visitor":"{v}","name":"purchase","value":{}.0,"source":"url","assignments":{{"hero-copy":"{arm}"}}}}"#, 10_000 + i, 10 + views));
            out.push('\n');
        }
    }
    out
}

#[test]
fn sequential_and_cuped_say_what_they_show_in_every_output() {
    let fixed = json(&run(&[
        SAMPLE,
        "--campaigns",
        CAMPAIGNS,
        "--goal",
        "purchase",
        "--json",
    ]));
    assert_eq!(fixed["intervals"], "fixed_horizon");
    let d = dir("sequential");
    let page = d.join("seq.html");
    let o = run(&[
        SAMPLE,
        "--campaigns",
        CAMPAIGNS,
        "--goal",
        "purchase",
        "--sequential",
        "--json",
        "--html",
        page.to_str().unwrap(),
    ]);
    assert_eq!(code(&o), 0, "{}", text(&o.stderr));
    let seq = json(&o);
    assert_eq!(seq["intervals"], "sequential");
    assert_eq!(seq["sequential_tuning"], 5000.0);
    let (f, s) = (
        &unit(&fixed, "hero-copy")["comparisons"][0],
        &unit(&seq, "hero-copy")["comparisons"][0],
    );
    assert_eq!(f["abs_lift"], s["abs_lift"]);
    let width = |c: &Value| {
        c["abs_lift_ci"]["high"].as_f64().unwrap() - c["abs_lift_ci"]["low"].as_f64().unwrap()
    };
    assert!(width(s) > width(f), "a sequence is wider: {s} vs {f}");
    let rel = |c: &Value, end: &str| c["rel_lift_ci"][end].as_f64().unwrap();
    assert!(
        rel(s, "low") < rel(f, "low") && rel(f, "high") < rel(s, "high"),
        "the relative lift has a sequence, wider than its interval: {s} vs {f}"
    );
    assert_eq!(
        (f["interval"].as_str(), s["interval"].as_str()),
        (Some("fixed_horizon"), Some("sequential"))
    );
    assert_eq!(s["estimator"], "arm_totals");
    let html = std::fs::read_to_string(&page).unwrap();
    assert!(html.contains("Intervals: SEQUENTIAL 95%") && html.contains("95% CS"));
    let table = text(&run(&[SAMPLE, "--goal", "purchase", "--sequential"]).stdout);
    assert!(
        table.contains("Intervals: SEQUENTIAL 95%") && table.contains("95% CS"),
        "{table}"
    );
    let plain = text(&run(&[SAMPLE, "--goal", "purchase"]).stdout);
    assert!(plain.contains("Intervals: FIXED-HORIZON 95%") && !plain.contains("95% CS"));

    // CUPED on the sample (written before the covariate existed) falls back and says why.
    let o = run(&[SAMPLE, "--goal", "purchase", "--cuped"]);
    assert!(text(&o.stdout).contains("CUPED not applied: no exposure in the input carried"));
    // With the covariate it adjusts, over every visitor, and reports the variance removed.
    let events = write(&d, "cuped.jsonl", &cuped_events(300));
    let r = json(&run(&[&events, "--cuped", "--json"]));
    assert_eq!(r["cuped"], true);
    let c = &unit(&r, "hero-copy")["comparisons"][0]["cuped"];
    assert_eq!(c["covered"], 1.0, "{c}");
    let reduction = c["variance_reduction"].as_f64().unwrap();
    assert!(reduction > 0.1 && reduction < 1.0, "{c}");
    assert!(c["abs_lift_ci"]["low"].as_f64().unwrap() < c["abs_lift"].as_f64().unwrap());
    let table = text(&run(&[&events, "--cuped", "--sequential"]).stdout);
    assert!(
        table.contains("less variance") && table.contains("covariate known for 100% of visitors"),
        "{table}"
    );
}

/// A bandit experiment's events as the edge writes them: two contexts, two periods of
/// constant weights (the split logged on each exposure), `pre` on every exposure, the rate
/// rising in the second period and with the visitor's past visits, `savings` 5 points better.
fn bandit_events(per_period: u32) -> String {
    let mut out = String::new();
    let splits = [
        "holdout=500;control=4750;savings=4750",
        "holdout=500;control=1500;savings=8000",
    ];
    for (period, split) in splits.iter().enumerate() {
        for i in 0..per_period {
            let n = period as u32 * per_period + i;
            let context = if n.is_multiple_of(3) {
                "price_hunter"
            } else {
                "everyone_else"
            };
            let bucket = (n.wrapping_mul(2_654_435_761) >> 7) % 10_000;
            let weights: Vec<u32> = split
                .split(';')
                .map(|p| p.split_once('=').unwrap().1.parse().unwrap())
                .collect();
            let arm = if bucket < weights[0] {
                "holdout"
            } else if bucket < weights[0] + weights[1] {
                "control"
            } else {
                "savings"
            };
            let visits = 1 + n % 4;
            let v = format!("b{n:031x}");
            out.push_str(&format!(r#"{{"event":"vitrine.exposure","schema":2,"ts":{},"day":0,"snapshot":"s","visitor":"{v}","experiment":"hero-copy","arm":"{arm}","pre":{{"visits":{visits},"views":{}}},"context":"{context}","split":"{split}"}}"#, 1_000 + n, 2 * visits));
            out.push('\n');
            let chance = 2 + period as u32 * 2 + visits * 2 + if arm == "savings" { 5 } else { 0 };
            if (n.wrapping_mul(40_503) >> 3) % 100 < chance {
                out.push_str(&format!(r#"{{"event":"vitrine.conversion","schema":2,"ts":{},"day":0,"snapshot":"s","visitor":"{v}","name":"purchase","value":30.0,"source":"url","assignments":{{"hero-copy":"{arm}"}}}}"#, 100_000 + n));
                out.push('\n');
            }
        }
    }
    out
}

#[test]
fn a_bandits_lift_gets_sequences_and_cuped_and_says_so_in_every_output() {
    let d = dir("bandit");
    let events = write(&d, "bandit.jsonl", &bandit_events(1_500));
    let page = d.join("bandit.html");
    let o = run(&[
        &events,
        "--goal",
        "purchase",
        "--sequential",
        "--cuped",
        "--json",
        "--html",
        page.to_str().unwrap(),
    ]);
    assert_eq!(code(&o), 0, "{}", text(&o.stderr));
    let r = json(&o);
    let hero = unit(&r, "hero-copy");
    assert!(
        hero["allocation"]["strata"].as_u64().unwrap() >= 4,
        "{hero}"
    );
    let c = &hero["comparisons"][0];
    assert_eq!(
        (c["interval"].as_str(), c["estimator"].as_str()),
        (Some("sequential"), Some("post_stratified")),
        "{c}"
    );
    let k = &c["cuped"];
    for key in [
        "abs_lift_ci",
        "rel_lift_ci",
        "rpv_diff_ci",
        "variance_reduction",
    ] {
        assert!(!k[key].is_null(), "CUPED {key}: {k}");
    }
    assert!(!c["rel_lift_ci"].is_null(), "{c}");
    // The fixed-horizon reading of the same estimate is narrower than its sequence.
    let fixed = json(&run(&[&events, "--goal", "purchase", "--cuped", "--json"]));
    let f = &unit(&fixed, "hero-copy")["comparisons"][0];
    assert_eq!(f["interval"], "fixed_horizon");
    assert_eq!(f["abs_lift"], c["abs_lift"]);
    let width = |c: &Value| {
        c["abs_lift_ci"]["high"].as_f64().unwrap() - c["abs_lift_ci"]["low"].as_f64().unwrap()
    };
    assert!(
        width(f) < width(c) && width(&f["cuped"]) < width(k),
        "{f} vs {c}"
    );
    let said = "intervals: 95% confidence sequences of the post-stratified estimate";
    let html = std::fs::read_to_string(&page).unwrap();
    assert!(
        html.contains(said) && html.contains("CUPED within periods"),
        "{html}"
    );
    let table = text(&run(&[&events, "--goal", "purchase", "--sequential", "--cuped"]).stdout);
    assert!(
        table.contains(said) && table.contains("CUPED (in periods)"),
        "{table}"
    );
    let table = text(&run(&[&events, "--goal", "purchase"]).stdout);
    assert!(
        table.contains(
            "intervals: 95% fixed-horizon (normal) intervals of the post-stratified estimate"
        ),
        "{table}"
    );
}

#[test]
fn parquet_files_directories_and_sniffed_files_give_the_same_report_as_json_lines() {
    use vitrine_report::input::{json_lines, parquet::write};
    let d = dir("parquet");
    let sample = std::fs::read_to_string(root().join(SAMPLE)).unwrap();
    let events = json_lines(&sample).events;
    assert!(events.len() > 100);
    let half = events.len() / 2;
    let nested = d.join("events").join("day=01");
    std::fs::create_dir_all(&nested).unwrap();
    let file = |path: &Path, events: &[vitrine_core::measure::events::Event]| {
        std::fs::write(path, write::to_bytes(events).unwrap()).unwrap();
        path.to_str().unwrap().to_owned()
    };
    let whole = file(&d.join("all.parquet"), &events);
    file(&nested.join("a.parquet"), &events[..half]);
    file(&nested.join("b.parquet"), &events[half..]);
    // No extension: recognized by Parquet's magic bytes.
    let sniffed = file(&d.join("export"), &events);
    let folder = d.join("events");
    let expected = run(&[SAMPLE, "--campaigns", CAMPAIGNS]);
    assert_eq!(code(&expected), 0, "{}", text(&expected.stderr));
    for input in [whole.as_str(), folder.to_str().unwrap(), sniffed.as_str()] {
        let got = run(&[input, "--campaigns", CAMPAIGNS]);
        assert_eq!(code(&got), 0, "{input}: {}", text(&got.stderr));
        assert_eq!(text(&got.stdout), text(&expected.stdout), "{input}");
    }
    // A broken file is an error that names it; an empty folder says what it lacks.
    let broken = write(&d, "broken.parquet", "PAR1 not really");
    let got = run(&[&broken]);
    assert_eq!(code(&got), 2);
    assert!(
        text(&got.stderr).contains("broken.parquet: Parquet: not a readable Parquet file"),
        "{}",
        text(&got.stderr)
    );
    let empty = d.join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    let got = run(&[empty.to_str().unwrap()]);
    assert_eq!(code(&got), 2);
    assert!(
        text(&got.stderr).contains("no .parquet files"),
        "{}",
        text(&got.stderr)
    );
}

/// Damaged Parquet files on which the Parquet library panics (`fixtures/parquet/malformed/`,
/// found by fuzzing) end `vitrine report` with an error naming the file, not a crash.
#[test]
fn a_parquet_file_that_makes_the_library_panic_is_an_error_naming_it() {
    let dir = root().join("fixtures/parquet/malformed");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    assert!(!files.is_empty());
    for file in files {
        let got = run(&[file.to_str().unwrap()]);
        let name = file.file_name().unwrap().to_str().unwrap();
        assert_eq!(code(&got), 2, "{name}: {}", text(&got.stderr));
        assert!(
            text(&got.stderr).contains(&format!("{name}: Parquet: ")),
            "{name}: {}",
            text(&got.stderr)
        );
        assert!(text(&got.stderr).contains("the file is damaged"), "{name}");
    }
}

/// The reader contains the Parquet library's panics by unwinding: a release build that aborted
/// on panic would crash on the files above instead (Cargo.toml, `[profile.release]`), while
/// scripts/build.sh keeps the Worker's .wasm on abort.
#[test]
fn the_release_profile_unwinds_so_parquet_panics_are_contained() {
    let manifest = std::fs::read_to_string(root().join("Cargo.toml")).unwrap();
    let release = manifest
        .split("\n[profile.release]\n")
        .nth(1)
        .and_then(|s| s.split("\n[").next())
        .unwrap();
    assert!(
        release.lines().any(|l| l.trim() == "panic = \"unwind\""),
        "[profile.release] must say panic = \"unwind\":\n{release}"
    );
    // The Worker keeps aborting on panic, so its .wasm is what it was.
    let build = std::fs::read_to_string(root().join("scripts/build.sh")).unwrap();
    assert!(build.contains("\nexport CARGO_PROFILE_RELEASE_PANIC=abort\n"));
}
