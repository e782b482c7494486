//! `vitrine optimize` as a marketer runs it, on the committed simulated events
//! (`fixtures/optimize/events.jsonl`, written by `cargo run -p vitrine-report --example
//! bandit_sim events fixtures/optimize/events.jsonl`): the rewritten campaign file keeps every
//! comment and changes only the weights (golden files), the run is reproducible by its seed,
//! `--dry-run` writes nothing, and the result compiles.
//! Refresh after an intended change: `UPDATE_GOLDEN=1 cargo test -p vitrine-cli --test cli optimize`.

use std::path::PathBuf;
use std::process::{Command, Output};

use crate::root;

fn dir(name: &str) -> PathBuf {
    let d = root()
        .join("target")
        .join("cli-tests")
        .join(format!("optimize-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    std::fs::copy(
        root().join("fixtures/optimize/campaigns.toml"),
        d.join("campaigns.toml"),
    )
    .unwrap();
    d
}

fn optimize(d: &PathBuf, extra: &[&str]) -> Output {
    let events = root().join("fixtures/optimize/events.jsonl");
    Command::new(crate::cli())
        .current_dir(d)
        .arg("optimize")
        .arg(events)
        .args(["--campaigns", "campaigns.toml"])
        .args(extra)
        .output()
        .unwrap()
}

fn golden(name: &str, got: &str) {
    let path = root().join("fixtures/optimize").join(name);
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, got).unwrap();
    }
    let want = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        got == want,
        "{name} changed; refresh with UPDATE_GOLDEN=1 if intended:\n{got}"
    );
}

#[test]
fn optimize_rewrites_only_the_weights_and_prints_the_posteriors() {
    let d = dir("golden");
    // 90 so that every context is reweighted, the loyal one (with comments) too.
    let out = optimize(&d, &["--seed", "1", "--min-visitors", "90"]);
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let written = std::fs::read_to_string(d.join("campaigns.toml")).unwrap();
    golden("campaigns.optimized.toml", &written);
    golden("optimize.txt", &stdout);
    // Every line of the original is still there but the weights' values: comments, order
    // and layout are kept.
    let original =
        std::fs::read_to_string(root().join("fixtures/optimize/campaigns.toml")).unwrap();
    for line in original.lines().filter(|l| !l.contains(" = 33")) {
        assert!(written.contains(line), "lost {line:?}");
    }
    // The result compiles.
    let check = Command::new(crate::cli())
        .current_dir(&d)
        .args(["check", "campaigns.toml"])
        .output()
        .unwrap();
    assert!(
        check.status.success(),
        "{}",
        String::from_utf8_lossy(&check.stderr)
    );
    // Same events, same seed: the same file again.
    let again = dir("again");
    optimize(&again, &["--seed", "1", "--min-visitors", "90"]);
    assert_eq!(
        std::fs::read_to_string(again.join("campaigns.toml")).unwrap(),
        written
    );
    let _ = std::fs::remove_dir_all(&d);
    let _ = std::fs::remove_dir_all(&again);
}

#[test]
fn dry_run_writes_nothing_and_a_fixed_experiment_is_refused() {
    let d = dir("dry");
    let before = std::fs::read_to_string(d.join("campaigns.toml")).unwrap();
    let out = optimize(&d, &["--dry-run"]);
    assert!(out.status.success());
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("--dry-run: nothing written"), "{stdout}");
    assert!(stdout.contains("P(best)"), "{stdout}");
    // The default minimum sample (100 per arm) is not met in the loyal context.
    assert!(
        stdout.contains(
            "weights kept: below the minimum sample: `savings` has 99 visitors here, 100 needed"
        ),
        "{stdout}"
    );
    assert_eq!(
        std::fs::read_to_string(d.join("campaigns.toml")).unwrap(),
        before
    );
    // Without any bandit experiment there is nothing to do, and it says so.
    std::fs::write(
        d.join("campaigns.toml"),
        "[[campaign]]\nid = \"a\"\nslot = \"hero\"\naudience = \"everyone\"\nhtml = \"x\"\n",
    )
    .unwrap();
    let out = optimize(&d, &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no bandit experiment"));
    let _ = std::fs::remove_dir_all(&d);
}
