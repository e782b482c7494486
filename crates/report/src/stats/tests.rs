//! Invariants of the statistics (the values themselves are checked against scipy/statsmodels
//! in `crates/report/tests/stats/main.rs`).

use proptest::prelude::*;

use super::*;

fn counts() -> impl Strategy<Value = (u64, u64)> {
    (0u64..5_000).prop_flat_map(|n| (0..=n, Just(n)))
}

proptest! {
    #[test]
    fn wilson_contains_the_rate_and_stays_in_unit_interval((x, n) in counts()) {
        match wilson(x, n) {
            None => prop_assert_eq!(n, 0),
            Some(ci) => {
                let p = x as f64 / n as f64;
                prop_assert!(ci.low <= p + 1e-12 && p <= ci.high + 1e-12, "{ci:?} {p}");
                prop_assert!(0.0 <= ci.low && ci.high <= 1.0);
            }
        }
    }

    #[test]
    fn differences_are_finite_and_contain_the_estimate((x1, n1) in counts(), (x2, n2) in counts()) {
        if let Some(ci) = newcombe_diff(x1, n1, x2, n2) {
            let d = x1 as f64 / n1 as f64 - x2 as f64 / n2 as f64;
            prop_assert!(ci.low <= d + 1e-12 && d <= ci.high + 1e-12, "{ci:?} {d}");
            prop_assert!(ci.low >= -1.0 - 1e-12 && ci.high <= 1.0 + 1e-12);
        } else {
            prop_assert!(n1 == 0 || n2 == 0);
        }
        if let Some(ci) = katz_ratio(x1, n1, x2, n2) {
            let r = (x1 as f64 / n1 as f64) / (x2 as f64 / n2 as f64);
            prop_assert!(ci.low <= r * (1.0 + 1e-12) && r <= ci.high * (1.0 + 1e-12));
            prop_assert!(ci.low > 0.0);
        }
        if let Some(p) = two_proportion_p(x1, n1, x2, n2) {
            prop_assert!((0.0..=1.0).contains(&p));
        } else {
            prop_assert!(n1 == 0 || n2 == 0);
        }
    }

    #[test]
    fn welch_never_yields_nan(a in proptest::collection::vec(0.0f64..1e6, 0..40),
                              b in proptest::collection::vec(0.0f64..1e6, 0..40),
                              zeros in 0u64..100) {
        let mut sa = Sample::default();
        a.iter().for_each(|x| sa.push(*x));
        sa.push_zeros(zeros);
        let mut sb = Sample::default();
        b.iter().for_each(|x| sb.push(*x));
        if let Some(w) = welch(&sa, &sb) {
            prop_assert!((0.0..=1.0).contains(&w.p));
            prop_assert!(w.ci.contains(w.diff), "{w:?}");
            prop_assert!(w.df > 0.0);
        }
    }

    #[test]
    fn chi_square_p_is_a_probability(obs in proptest::collection::vec(0u64..100_000, 0..6),
                                     shares in proptest::collection::vec(0.0f64..10.0, 0..6)) {
        if let Some(g) = chi_square_gof(&obs, &shares) {
            prop_assert!((0.0..=1.0).contains(&g.p));
            prop_assert!(g.chi2 >= 0.0);
        }
    }
}

#[test]
fn zeros_pushed_at_once_match_zeros_pushed_one_by_one() {
    let mut bulk = Sample::default();
    let mut single = Sample::default();
    for x in [3.0, 9.5, 120.0] {
        bulk.push(x);
        single.push(x);
    }
    bulk.push_zeros(7);
    (0..7).for_each(|_| single.push(0.0));
    assert_eq!(bulk.n, single.n);
    assert!((bulk.mean - single.mean).abs() < 1e-12);
    let (vb, vs) = (
        bulk.variance().unwrap_or(-1.0),
        single.variance().unwrap_or(-2.0),
    );
    assert!((vb - vs).abs() < 1e-9, "{vb} {vs}");
}

#[test]
fn identical_extreme_arms_have_p_one() {
    assert_eq!(two_proportion_p(0, 10, 0, 20), Some(1.0));
    assert_eq!(two_proportion_p(10, 10, 20, 20), Some(1.0));
    assert_eq!(two_proportion_p(0, 0, 1, 2), None);
}

#[test]
fn an_unexpected_group_fails_the_fit_outright() {
    let g = chi_square_gof(&[10, 10, 3], &[1.0, 1.0, 0.0]);
    assert_eq!(g.map(|g| g.p), Some(0.0));
    assert!(chi_square_gof(&[10], &[1.0]).is_none());
}
