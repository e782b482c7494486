//! `vitrine report`'s statistics against reference values computed independently with
//! scipy/statsmodels (`crates/report/tests/stats/reference.py` → `fixtures/report/reference.json`; the
//! script's docstring says how to regenerate): the fixed-horizon methods, the sequential
//! confidence sequences (against a numerically integrated mixture), CUPED (against
//! statsmodels' OLS on the pooled arms), the relative lifts of both (delta method on the log
//! ratio), and a bandit's post-stratified lift and CUPED within strata (against OLS with one
//! intercept per stratum), fixed-horizon and sequential. Run with
//! `cargo test -p vitrine-report --test stats` (part of `make test`).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use serde_json::Value;
use vitrine_report::stats::cuped::{Observation, Stratum as CupedStratum, Variance};
use vitrine_report::stats::lift::{Lift, Reading, TwoMeans};
use vitrine_report::stats::strata::{pooled_variance, post_stratify, Arms};
use vitrine_report::stats::{self, Interval, Sample};

/// Relative tolerance, with an absolute floor for values at or near zero.
fn close(ours: f64, theirs: f64) -> bool {
    (ours - theirs).abs() <= 1e-9 * theirs.abs().max(ours.abs()) + 1e-12
}

fn fixture() -> Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../fixtures/report/reference.json"
    );
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn check_interval(case: &str, what: &str, ours: Option<Interval>, theirs: &Value) {
    match (ours, theirs.as_array()) {
        (None, None) => {}
        (Some(ci), Some(t)) => {
            let (lo, hi) = (t[0].as_f64().unwrap(), t[1].as_f64().unwrap());
            assert!(
                close(ci.low, lo) && close(ci.high, hi),
                "{case} {what}: ours {ci:?}, reference [{lo}, {hi}]"
            );
        }
        (ours, _) => panic!("{case} {what}: ours {ours:?}, reference {theirs}"),
    }
}

fn check_value(case: &str, what: &str, ours: Option<f64>, theirs: &Value) {
    match (ours, theirs.as_f64()) {
        (None, None) => {}
        (Some(a), Some(b)) => assert!(close(a, b), "{case} {what}: ours {a}, reference {b}"),
        _ => panic!("{case} {what}: ours {ours:?}, reference {theirs}"),
    }
}

/// The fixture's cases under `key`, at least `at_least` of them.
fn cases<'a>(f: &'a Value, key: &str, at_least: usize) -> &'a [Value] {
    let cases = f[key].as_array().unwrap();
    assert!(cases.len() >= at_least, "{key}: {} case(s)", cases.len());
    cases
}

fn u(v: &Value, k: &str) -> u64 {
    v[k].as_u64().unwrap()
}

#[test]
fn critical_value_matches() {
    let f = fixture();
    check_value("z", "critical", Some(stats::z_critical()), &f["z_critical"]);
}

#[test]
fn proportions_match_statsmodels() {
    let f = fixture();
    let cases = cases(&f, "proportions", 10);
    for c in cases {
        let name = c["name"].as_str().unwrap();
        let (x1, n1, x2, n2) = (u(c, "x1"), u(c, "n1"), u(c, "x2"), u(c, "n2"));
        check_interval(name, "wilson1", stats::wilson(x1, n1), &c["wilson1"]);
        check_interval(name, "wilson2", stats::wilson(x2, n2), &c["wilson2"]);
        let diff = stats::newcombe_diff(x1, n1, x2, n2);
        check_interval(name, "newcombe", diff, &c["newcombe_diff"]);
        let ratio = stats::katz_ratio(x1, n1, x2, n2);
        check_interval(name, "katz", ratio, &c["katz_ratio"]);
        let p = stats::two_proportion_p(x1, n1, x2, n2);
        check_value(name, "z-test p", p, &c["z_test_p"]);
    }
}

fn sample(values: &Value) -> Sample {
    let mut s = Sample::default();
    for v in values.as_array().unwrap() {
        s.push(v.as_f64().unwrap());
    }
    s
}

#[test]
fn welch_matches_scipy() {
    let f = fixture();
    for c in f["welch"].as_array().unwrap() {
        let name = c["name"].as_str().unwrap();
        let (a, b) = (sample(&c["a"]), sample(&c["b"]));
        check_value(name, "mean a", Some(a.mean), &c["mean_a"]);
        check_value(name, "mean b", Some(b.mean), &c["mean_b"]);
        let ours = stats::welch(&a, &b);
        let theirs = &c["welch"];
        assert_eq!(
            ours.is_some(),
            !theirs.is_null(),
            "{name}: {ours:?} vs {theirs}"
        );
        if let Some(w) = ours {
            check_value(name, "diff", Some(w.diff), &theirs["diff"]);
            check_interval(name, "ci", Some(w.ci), &theirs["ci"]);
            check_value(name, "p", Some(w.p), &theirs["p"]);
            check_value(name, "df", Some(w.df), &theirs["df"]);
        }
    }
}

#[test]
fn chi_square_matches_scipy() {
    let f = fixture();
    for c in f["chi_square"].as_array().unwrap() {
        let name = c["name"].as_str().unwrap();
        let observed: Vec<u64> = c["observed"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_u64().unwrap())
            .collect();
        let shares: Vec<f64> = c["shares"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_f64().unwrap())
            .collect();
        let g = stats::chi_square_gof(&observed, &shares).unwrap();
        check_value(name, "chi2", Some(g.chi2), &c["chi2"]);
        check_value(name, "p", Some(g.p), &c["p"]);
        assert_eq!(u64::from(g.df), u(c, "df"), "{name}");
    }
}

/// The sequential and CUPED checks' tolerance (relative 1e-9): the reference integrates the
/// mixture and finds the interval's ends numerically, so it agrees to about 1e-10, not to the
/// last bit.
fn near(ours: f64, theirs: f64) -> bool {
    (ours - theirs).abs() <= 1e-9 * theirs.abs().max(ours.abs()) + 1e-12
}

fn check_sequence(case: &str, ours: Option<stats::sequential::Sequential>, theirs: &Value) {
    match (ours, theirs.is_null()) {
        (None, true) => {}
        (Some(s), false) => {
            let (lo, hi) = (
                theirs["ci"][0].as_f64().unwrap(),
                theirs["ci"][1].as_f64().unwrap(),
            );
            let p = theirs["p"].as_f64().unwrap();
            assert!(
                near(s.diff, theirs["diff"].as_f64().unwrap())
                    && near(s.ci.low, lo)
                    && near(s.ci.high, hi)
                    && near(s.p, p),
                "{case}: ours {s:?}, reference {theirs}"
            );
        }
        (ours, _) => panic!("{case}: ours {ours:?}, reference {theirs}"),
    }
}

#[test]
fn sequential_intervals_match_the_numerically_integrated_mixture() {
    let f = fixture();
    let cases = cases(&f, "sequential_proportions", 6);
    for c in cases {
        let name = c["name"].as_str().unwrap();
        let n_star = c["n_star"].as_f64().unwrap();
        let ours =
            stats::sequential::proportions(u(c, "x1"), u(c, "n1"), u(c, "x2"), u(c, "n2"), n_star);
        check_sequence(name, ours, &c["sequence"]);
    }
    for c in f["sequential_means"].as_array().unwrap() {
        let name = c["name"].as_str().unwrap();
        let n_star = c["n_star"].as_f64().unwrap();
        let ours = stats::sequential::means(&sample(&c["a"]), &sample(&c["b"]), n_star);
        check_sequence(name, ours, &c["sequence"]);
    }
}

fn observations(rows: &Value) -> Vec<Observation> {
    rows.as_array()
        .unwrap()
        .iter()
        .map(|r| Observation {
            y: r[0].as_f64().unwrap(),
            x: r[1].as_f64().map(|v| [v, r[2].as_f64().unwrap()]),
        })
        .collect()
}

/// CUPED's plain variance, variance reduction and coverage against the reference's.
fn check_reduction(name: &str, ours: &stats::cuped::Cuped, theirs: &Value) {
    let value = |k: &str| theirs[k].as_f64().unwrap();
    for (what, a, b) in [
        (
            "plain variance",
            ours.plain_variance,
            value("plain_variance"),
        ),
        (
            "reduction",
            ours.variance_reduction,
            value("variance_reduction"),
        ),
        ("covered", ours.covered, value("covered")),
    ] {
        assert!(near(a, b), "{name} {what}: ours {a}, reference {b}");
    }
}

#[test]
fn cuped_matches_statsmodels_ols_on_pooled_data() {
    let f = fixture();
    let cases = cases(&f, "cuped", 5);
    for c in cases {
        let name = c["name"].as_str().unwrap();
        let ours = stats::cuped::cuped(&observations(&c["a"]), &observations(&c["b"]));
        let theirs = &c["cuped"];
        let Ok(ours) = ours else {
            assert!(
                theirs.is_null(),
                "{name}: ours {ours:?}, reference {theirs}"
            );
            continue;
        };
        let value = |k: &str| theirs[k].as_f64().unwrap();
        for (what, a, b) in [
            ("diff", ours.diff, value("diff")),
            ("low", ours.ci.low, theirs["ci"][0].as_f64().unwrap()),
            ("high", ours.ci.high, theirs["ci"][1].as_f64().unwrap()),
            ("p", ours.p, value("p")),
            ("variance", ours.variance, value("variance")),
        ] {
            assert!(near(a, b), "{name} {what}: ours {a}, reference {b}");
        }
        check_reduction(name, &ours, theirs);
        let sequence = stats::sequential::mixture(ours.diff, ours.variance, ours.n as f64, 5_000.0);
        check_sequence(name, sequence, &theirs["sequence"]);
    }
}

/// `{ "estimate"?, "diff"?, "ci": [lo, hi], "p"? }` against a lift (`None` against `null`).
fn check_lift(case: &str, what: &str, ours: Option<Lift>, theirs: &Value) {
    match (ours, theirs.is_null()) {
        (None, true) => {}
        (Some(l), false) => {
            let estimate = theirs.get("diff").or_else(|| theirs.get("estimate"));
            if let Some(e) = estimate {
                assert!(
                    near(l.estimate, e.as_f64().unwrap()),
                    "{case} {what}: {l:?} vs {theirs}"
                );
            }
            if let Some(p) = theirs.get("p") {
                assert!(
                    near(l.p, p.as_f64().unwrap()),
                    "{case} {what}: {l:?} vs {theirs}"
                );
            }
            let ci = theirs.get("ci").unwrap_or(theirs);
            let (lo, hi) = (ci[0].as_f64().unwrap(), ci[1].as_f64().unwrap());
            assert!(
                near(l.ci.low, lo) && near(l.ci.high, hi),
                "{case} {what}: ours {l:?}, reference {theirs}"
            );
        }
        (ours, _) => panic!("{case} {what}: ours {ours:?}, reference {theirs}"),
    }
}

/// Every reading of two means against the reference's (`read_means` in reference.py).
fn check_means(case: &str, m: &TwoMeans, n_star: f64, theirs: &Value) {
    let value = |k: &str| theirs[k].as_f64().unwrap();
    assert!(
        near(m.treated, value("treated")),
        "{case}: {m:?} vs {theirs}"
    );
    assert!(
        near(m.baseline, value("baseline")),
        "{case}: {m:?} vs {theirs}"
    );
    assert!(
        near(m.variance(), value("variance")),
        "{case}: {m:?} vs {theirs}"
    );
    let seq = Reading::Sequential(n_star);
    check_lift(
        case,
        "fixed",
        m.absolute(Reading::FixedHorizon),
        &theirs["fixed"],
    );
    check_lift(case, "sequence", m.absolute(seq), &theirs["sequence"]);
    check_lift(
        case,
        "relative",
        m.relative(Reading::FixedHorizon),
        &theirs["rel_ci"],
    );
    check_lift(
        case,
        "relative sequence",
        m.relative(seq),
        &theirs["rel_sequence"],
    );
}

#[test]
fn relative_sequences_match_the_numerically_integrated_mixture() {
    let f = fixture();
    for c in f["sequential_proportions"].as_array().unwrap() {
        let name = c["name"].as_str().unwrap();
        let n_star = c["n_star"].as_f64().unwrap();
        let ours = TwoMeans::proportions(u(c, "x1"), u(c, "n1"), u(c, "x2"), u(c, "n2"))
            .and_then(|m| m.relative(Reading::Sequential(n_star)));
        check_lift(name, "relative sequence", ours, &c["rel_sequence"]);
    }
    for c in f["cuped"].as_array().unwrap() {
        let name = c["name"].as_str().unwrap();
        let Ok(ours) = stats::cuped::cuped(&observations(&c["a"]), &observations(&c["b"])) else {
            continue;
        };
        let theirs = &c["cuped"];
        let fixed = ours.adjusted.relative(Reading::FixedHorizon);
        check_lift(name, "CUPED relative", fixed, &theirs["rel_ci"]);
        let seq = ours.adjusted.relative(Reading::Sequential(5_000.0));
        check_lift(
            name,
            "CUPED relative sequence",
            seq,
            &theirs["rel_sequence"],
        );
    }
}

/// The strata of a stratified case: weight and both arms' visitors.
fn strata(c: &Value) -> Vec<(f64, Vec<Observation>, Vec<Observation>)> {
    c["strata"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            let w = s["weight"].as_f64().unwrap();
            (w, observations(&s["a"]), observations(&s["b"]))
        })
        .collect()
}

/// The plain post-stratified means a bandit's report computes (`analyze/bandit.rs`): strata
/// where both arms have visitors and three or more together, one variance per stratum pooled
/// over its two arms.
fn plain_strata(strata: &[(f64, Vec<Observation>, Vec<Observation>)]) -> Vec<Arms> {
    let sample = |side: &[Observation]| {
        let mut s = Sample::default();
        side.iter().for_each(|o| s.push(o.y));
        s
    };
    strata
        .iter()
        .filter_map(|(w, a, b)| {
            let (sa, sb) = (sample(a), sample(b));
            if sa.n == 0 || sb.n == 0 {
                return None;
            }
            let s2 = pooled_variance((sa.sum_of_squares(), sa.n), (sb.sum_of_squares(), sb.n))?;
            Some(Arms {
                weight: *w,
                visitors: (a.len() + b.len()) as f64,
                mean_t: sa.mean,
                var_t: s2 / sa.n as f64,
                mean_c: sb.mean,
                var_c: s2 / sb.n as f64,
            })
        })
        .collect()
}

#[test]
fn stratified_lifts_and_cuped_match_statsmodels_with_stratum_intercepts() {
    let f = fixture();
    let cases = cases(&f, "stratified", 5);
    for c in cases {
        let name = c["name"].as_str().unwrap();
        let n_star = c["n_star"].as_f64().unwrap();
        let strata = strata(c);
        let plain = post_stratify(&plain_strata(&strata)).unwrap();
        check_means(name, &plain, n_star, &c["post_stratified"]);
        let input: Vec<CupedStratum<'_>> = strata
            .iter()
            .map(|(weight, a, b)| CupedStratum {
                weight: *weight,
                a,
                b,
            })
            .collect();
        let theirs = &c["cuped"];
        let Ok(ours) = stats::cuped::stratified(&input, Variance::PooledInStratum) else {
            assert!(
                theirs.is_null(),
                "{name}: ours {:?}, reference {theirs}",
                stats::cuped::stratified(&input, Variance::PooledInStratum)
            );
            continue;
        };
        assert!(!theirs.is_null(), "{name}: ours {ours:?}, reference null");
        check_means(name, &ours.adjusted, n_star, theirs);
        let value = |k: &str| theirs[k].as_f64().unwrap();
        check_reduction(name, &ours, theirs);
        for (what, a, b) in [
            ("n", ours.n as f64, value("n")),
            (
                "fixed low",
                ours.ci.low,
                theirs["fixed"]["ci"][0].as_f64().unwrap(),
            ),
            ("fixed p", ours.p, theirs["fixed"]["p"].as_f64().unwrap()),
        ] {
            assert!(near(a, b), "{name} {what}: ours {a}, reference {b}");
        }
    }
}

#[test]
fn one_stratum_is_plain_cuped() {
    let f = fixture();
    for c in f["cuped"].as_array().unwrap() {
        let (a, b) = (observations(&c["a"]), observations(&c["b"]));
        let plain = stats::cuped::cuped(&a, &b);
        let one = stats::cuped::stratified(
            &[CupedStratum {
                weight: 7.0,
                a: &a,
                b: &b,
            }],
            Variance::PerArm,
        );
        assert_eq!(plain, one, "{}", c["name"]);
    }
}
