//! Bandit experiments: the settings are checked where they are written, and the compiled
//! snapshot makes the edge split each context by its own weights, sticky visitors excepted.

use super::*;
use vitrine_core::cookie::{Identity, VerifiedProfile};
use vitrine_core::decide::{decide_in, ActivityCounts, Context};

const HEAD: &str = r#"[[conversion]]
name = "purchase"
path = "/thanks"

[segments.price_hunter]
segment = "deal_seeker"

[[campaign]]
id = "hero-control"
slot = "hero"
audience = "everyone"
experiment = "hero-copy"
arm = "control"
html = "Welcome"

[[campaign]]
id = "hero-urgency"
slot = "hero"
audience = "everyone"
experiment = "hero-copy"
arm = "urgency"
html = "Only today"

[experiments.hero-copy]
arms = [{ name = "control", weight = 1 }, { name = "urgency", weight = 1 }]
holdout_bp = 1000
"#;

fn with(rest: &str) -> String {
    format!("{HEAD}{rest}")
}

const GOOD: &str = r#"allocation = "bandit"
goal = "purchase"
min_share_bp = 500
contexts = ["price_hunter", "loyal"]

[experiments.hero-copy.weights.price_hunter]
control = 2000
urgency = 8000

[experiments.hero-copy.weights.everyone_else]
control = 9000
urgency = 1000
"#;

/// An activity that remembers one sticky assignment.
struct Sticky(&'static str, &'static str);

impl ActivityCounts for Sticky {
    fn product_views(&self, _: &str, _: u32, _: i64) -> u32 {
        0
    }
    fn category_views(&self, _: &str) -> u32 {
        0
    }
    fn visits(&self) -> u32 {
        0
    }
    fn impressions(&self, _: &str, _: u32, _: i64) -> u32 {
        0
    }
    fn assignment(&self, experiment: &str) -> Option<&str> {
        (experiment == self.0).then_some(self.1)
    }
}

fn profile(sub: &str, segments: &[&str]) -> Identity {
    Identity::Profile(VerifiedProfile {
        sub: sub.to_owned(),
        segments: segments.iter().map(|s| (*s).to_owned()).collect(),
        attrs: Default::default(),
        exp: 0,
    })
}

/// Arms (control, urgency, holdout) of `n` visitors in `segments`, and the exposures' context
/// and split (all the same).
fn split_of(snap: &Snapshot, segments: &[&str], n: u32) -> ([u32; 3], String, String) {
    let mut counts = [0u32; 3];
    let mut seen = (String::new(), String::new());
    for i in 0..n {
        let sub = format!("visitor-{i}");
        let identity = profile(&sub, segments);
        let ctx = Context::new(&identity, 1_800_000_000).with_visitor(Some(&sub));
        let d = decide_in(snap, &ctx);
        let e = d
            .exposures
            .first()
            .expect("every visitor with an id is exposed");
        let learned = e.learned.expect("a bandit exposure names its context");
        seen = (
            learned.context.to_owned(),
            learned.split.expect("placed by the hash").to_owned(),
        );
        counts[match e.arm {
            "control" => 0,
            "urgency" => 1,
            _ => 2,
        }] += 1;
    }
    (counts, seen.0, seen.1)
}

#[test]
fn each_context_is_split_by_its_own_weights() {
    let snap = one(&with(GOOD)).expect("compiles");
    let n = 20_000;
    // Expected: holdout 10 %, then the context's weights over the remaining 90 %. ±1.2 % of n
    // is over 5 standard deviations for every share.
    let cases = [
        (&["deal_seeker"][..], [1_800.0, 7_200.0], "price_hunter"),
        (
            &["loyal", "deal_seeker"][..],
            [1_800.0, 7_200.0],
            "price_hunter",
        ),
        (&["loyal"][..], [4_500.0, 4_500.0], "loyal"),
        (&[][..], [8_100.0, 900.0], "everyone_else"),
    ];
    for (segments, bp, context) in cases {
        let (counts, got_context, split) = split_of(&snap, segments, n);
        assert_eq!(got_context, context, "{segments:?}");
        let expected = [bp[0], bp[1], 1_000.0].map(|b| b / 10_000.0 * f64::from(n));
        for (c, e) in counts.iter().zip(expected) {
            assert!(
                (f64::from(*c) - e).abs() < 240.0,
                "{segments:?}: {counts:?} vs {expected:?}"
            );
        }
        let want = match context {
            "price_hunter" => "holdout=1000;control=1800;urgency=7200",
            "loyal" => "holdout=1000;control=4500;urgency=4500",
            _ => "holdout=1000;control=8100;urgency=900",
        };
        assert_eq!(split, want);
    }
}

#[test]
fn sticky_visitors_keep_their_arm_and_log_no_split() {
    let snap = one(&with(GOOD)).expect("compiles");
    let sticky = Sticky("hero-copy", "urgency");
    for i in 0..200 {
        let sub = format!("visitor-{i}");
        let identity = profile(&sub, &[]);
        let mut ctx = Context::new(&identity, 1_800_000_000).with_visitor(Some(&sub));
        ctx.activity = &sticky;
        let d = decide_in(&snap, &ctx);
        let e = d.exposures[0];
        assert_eq!(e.arm, "urgency");
        let learned = e.learned.expect("context still named");
        assert_eq!((learned.context, learned.split), ("everyone_else", None));
    }
}

#[test]
fn a_fixed_experiment_logs_no_context() {
    let snap = one(HEAD).expect("compiles");
    let identity = profile("v", &["deal_seeker"]);
    let ctx = Context::new(&identity, 1_800_000_000).with_visitor(Some("v"));
    let d = decide_in(&snap, &ctx);
    assert_eq!(d.exposures[0].learned, None);
}

#[test]
fn a_snapshot_whose_split_text_lies_is_refused() {
    let snap = one(&with(GOOD)).expect("compiles");
    let encoded = String::from_utf8(vitrine_core::snapshot::encode(&snap)).expect("JSON");
    let lie = encoded.replace(
        "holdout=1000;control=8100;urgency=900",
        "holdout=1000;control=9000;urgency=0",
    );
    assert_ne!(lie, encoded);
    assert!(vitrine_core::snapshot::decode(lie.as_bytes()).is_err());
    assert!(vitrine_core::snapshot::decode(encoded.as_bytes()).is_ok());
}

/// The one error of `rest` appended to the experiment: (code, field, line, column).
fn error_in(rest: &str) -> (&'static str, String, usize, usize) {
    let errs = one(&with(rest)).expect_err("should be refused");
    // The campaigns naming the refused experiment are refused after it.
    let e = &errs[0];
    assert!(errs[1..].iter().all(|e| e.code == "experiment"), "{errs:?}");
    assert!(!e.hint.is_empty());
    (e.code, e.field.clone(), e.line, e.column)
}

/// Text appended to the experiment, and its one error: (code, field, line, column).
type Case = (&'static str, (&'static str, &'static str, usize, usize));

#[test]
fn bandit_settings_are_checked_where_they_are_written() {
    // HEAD has 26 lines (the experiment table starts on line 24): the appended text starts on
    // line 27.
    let cases: [Case; 9] = [
        ("allocation = \"greedy\"\n", ("allocation", "experiments.hero-copy.allocation", 27, 14)),
        ("allocation = \"bandit\"\n", ("bandit-goal", "experiments.hero-copy.goal", 24, 1)),
        ("allocation = \"bandit\"\ngoal = \"signup\"\n", ("bandit-goal", "experiments.hero-copy.goal", 28, 8)),
        ("goal = \"purchase\"\n", ("allocation", "experiments.hero-copy.goal", 27, 8)),
        ("allocation = \"bandit\"\ngoal = \"purchase\"\noptimize = \"clicks\"\n", ("optimize", "experiments.hero-copy.optimize", 29, 12)),
        ("allocation = \"bandit\"\ngoal = \"purchase\"\nmin_share_bp = 6000\n", ("bandit-floor", "experiments.hero-copy.min_share_bp", 29, 16)),
        ("allocation = \"bandit\"\ngoal = \"purchase\"\ncontexts = [\"everyone_else\"]\n", ("bandit-context", "experiments.hero-copy.contexts[0]", 29, 13)),
        ("allocation = \"bandit\"\ngoal = \"purchase\"\n[experiments.hero-copy.weights.vip]\ncontrol = 1\nurgency = 1\n", ("bandit-context", "experiments.hero-copy.weights.vip", 29, 1)),
        ("allocation = \"bandit\"\ngoal = \"purchase\"\n[experiments.hero-copy.weights.everyone_else]\ncontrol = 9800\nurgency = 200\n", ("bandit-floor", "experiments.hero-copy.weights.everyone_else.urgency", 31, 11)),
    ];
    for (rest, (code, field, line, col)) in cases {
        let got = error_in(rest);
        assert_eq!(
            (got.0, got.1.as_str(), got.2, got.3),
            (code, field, line, col),
            "{rest}"
        );
    }
}

#[test]
fn weights_must_name_every_arm_and_only_arms() {
    let missing = "allocation = \"bandit\"\ngoal = \"purchase\"\n[experiments.hero-copy.weights.everyone_else]\ncontrol = 1\n";
    assert_eq!(error_in(missing).0, "bandit-weights");
    let stray = "allocation = \"bandit\"\ngoal = \"purchase\"\n[experiments.hero-copy.weights.everyone_else]\ncontrol = 1\nurgency = 1\nscarcity = 1\n";
    let e = error_in(stray);
    assert_eq!(
        (e.0, e.1.as_str(), e.2),
        (
            "bandit-weights",
            "experiments.hero-copy.weights.everyone_else.scarcity",
            32
        )
    );
}

#[test]
fn new_weights_show_in_the_snapshot_diff() {
    let old = one(&with(GOOD)).expect("compiles");
    let new = one(&with(&GOOD.replace(
        "control = 2000\nurgency = 8000",
        "control = 500\nurgency = 9500",
    )))
    .expect("compiles");
    let changes: Vec<String> = crate::diff::diff(&old, &new)
        .iter()
        .map(|c| c.to_string())
        .collect();
    assert!(
        changes
            .iter()
            .any(|c| c.contains("price_hunter: holdout=1000;control=450;urgency=8550")),
        "{changes:?}"
    );
}
