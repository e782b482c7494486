//! Statistics for a split that changes over time (bandit experiments), where visitors fall in
//! strata, each placed under one known split:
//!
//! - sample-ratio mismatch: the **generalised Pearson (Wald) test** of the arms' total counts
//!   against their expectation under each stratum's split. With `n_s` visitors placed under
//!   probabilities `p_s`, the counts `O` have mean `E = Σ n_s p_s` and covariance
//!   `V = Σ n_s (diag p_s − p_s p_sᵀ)`; `(O − E)ᵀ V⁻¹ (O − E)` over all but one group is
//!   chi-square with `k − 1` degrees of freedom. With one stratum it *is* Pearson's statistic,
//!   so a fixed split gets the same answer as before; summing Pearson statistics per stratum
//!   instead would need every stratum large, which a bandit's short periods are not.
//! - lift: the **post-stratified difference of means** `Σ w_s (m_ts − m_cs)` with `w_s` the
//!   stratum's share of visitors, its variance `Σ w_s² (v_ts + v_cs)` (`v` the variance of each
//!   mean, from one per-visitor variance pooled over the stratum's two arms:
//!   [`pooled_variance`]), read as a normal interval or a confidence sequence of that variance, and the
//!   relative lift as the ratio of the two post-stratified means ([`super::lift`]). Inside a stratum the split is fixed and the hash random, so
//!   each difference is unbiased; weighting by visitors estimates the lift over everyone, which
//!   pooling the arms would not when the split and the baseline both move with time.

use statrs::distribution::{ChiSquared, ContinuousCDF};

use super::lift::TwoMeans;
use super::GoodnessOfFit;

/// One stratum of the SRM check: observed counts per group and the probabilities it was
/// placed with (any positive scale; normalized here).
#[derive(Debug, Clone, PartialEq)]
pub struct Placed {
    /// Visitors per group.
    pub observed: Vec<u64>,
    /// Placement probability (or buckets) per group.
    pub shares: Vec<f64>,
}

/// The Wald sample-ratio test over strata (see the module docs). `None` with fewer than two
/// groups of positive probability, no visitors, or mismatched lengths. A visitor in a group
/// its stratum gave probability 0 makes p = 0.
pub fn srm_strata(strata: &[Placed]) -> Option<GoodnessOfFit> {
    let k = strata.first()?.observed.len();
    if strata
        .iter()
        .any(|s| s.observed.len() != k || s.shares.len() != k)
    {
        return None;
    }
    let mut observed = vec![0.0; k];
    let mut expected = vec![0.0; k];
    let mut cov = vec![vec![0.0; k]; k];
    for s in strata {
        let n: u64 = s.observed.iter().sum();
        let total: f64 = s.shares.iter().sum();
        if n == 0 {
            continue;
        }
        if total.is_nan() || total <= 0.0 || s.shares.iter().any(|p| !p.is_finite() || *p < 0.0) {
            return None;
        }
        let n = n as f64;
        for i in 0..k {
            let p = s.shares[i] / total;
            if p == 0.0 && s.observed[i] > 0 {
                return Some(GoodnessOfFit {
                    chi2: f64::MAX,
                    df: u32::try_from(k - 1).ok()?,
                    p: 0.0,
                });
            }
            observed[i] += s.observed[i] as f64;
            expected[i] += n * p;
            for (j, cell) in cov[i].iter_mut().enumerate() {
                let q = s.shares[j] / total;
                *cell += n * (if i == j { p } else { 0.0 } - p * q);
            }
        }
    }
    // Groups no stratum could place anyone in carry no information.
    let live: Vec<usize> = (0..k).filter(|i| expected[*i] > 0.0).collect();
    if live.len() < 2 {
        return None;
    }
    // Drop the last live group: the counts sum to n, so V is singular on all k.
    let keep = &live[..live.len() - 1];
    let d: Vec<f64> = keep.iter().map(|i| observed[*i] - expected[*i]).collect();
    let m: Vec<Vec<f64>> = keep
        .iter()
        .map(|i| keep.iter().map(|j| cov[*i][*j]).collect())
        .collect();
    let x = solve(m, d.clone())?;
    let chi2: f64 = d.iter().zip(&x).map(|(a, b)| a * b).sum();
    let df = u32::try_from(keep.len()).ok()?;
    let p = ChiSquared::new(f64::from(df)).ok()?.sf(chi2.max(0.0));
    (chi2.is_finite() && p.is_finite()).then_some(GoodnessOfFit {
        chi2,
        df,
        p: p.clamp(0.0, 1.0),
    })
}

/// Solves `m · x = b` by Gaussian elimination with partial pivoting; `None` when singular.
fn solve(mut m: Vec<Vec<f64>>, mut b: Vec<f64>) -> Option<Vec<f64>> {
    let n = b.len();
    for col in 0..n {
        let pivot = (col..n).max_by(|a, c| m[*a][col].abs().total_cmp(&m[*c][col].abs()))?;
        if m[pivot][col].abs() < 1e-12 {
            return None;
        }
        m.swap(col, pivot);
        b.swap(col, pivot);
        let pivot_row = m[col].clone();
        for row in col + 1..n {
            let f = m[row][col] / pivot_row[col];
            for (cell, p) in m[row].iter_mut().zip(&pivot_row).skip(col) {
                *cell -= f * p;
            }
            b[row] -= f * b[col];
        }
    }
    let mut x = vec![0.0; n];
    for row in (0..n).rev() {
        let s: f64 = (row + 1..n).map(|c| m[row][c] * x[c]).sum();
        x[row] = (b[row] - s) / m[row][row];
    }
    x.iter().all(|v| v.is_finite()).then_some(x)
}

/// One stratum of a lift estimate: its weight (visitors) and each arm's mean and the
/// variance of that mean.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Arms {
    /// Visitors in the stratum (all arms): its weight.
    pub weight: f64,
    /// Visitors of the two compared arms in the stratum.
    pub visitors: f64,
    /// Treatment mean.
    pub mean_t: f64,
    /// Variance of the treatment mean.
    pub var_t: f64,
    /// Baseline mean.
    pub mean_c: f64,
    /// Variance of the baseline mean.
    pub var_c: f64,
}

/// The variance of one visitor's outcome in a stratum, pooled over its two compared arms
/// (each around its own mean, as Student's t pools): `(SS_t + SS_c) / (n_t + n_c − 2)`, from
/// each arm's sum of squared deviations and visitors; `None` below three visitors.
///
/// Why pooled under a moving split: a bandit starves the losing arms of a period down to the
/// floor, a few dozen visitors who often did not convert at all, and their own variance
/// estimate (0) would make the interval too narrow; the arms of one period differ by the lift
/// only, so one variance for both is close to each, and is estimated from all of them.
pub fn pooled_variance((ss_t, n_t): (f64, u64), (ss_c, n_c): (f64, u64)) -> Option<f64> {
    let df = (n_t + n_c).checked_sub(2).filter(|df| *df > 0)?;
    Some((ss_t + ss_c).max(0.0) / df as f64)
}

/// The post-stratified means `Σ w_s m_s` of both arms with their variances `Σ w_s² v_s` (see
/// the module docs), read into lifts by [`TwoMeans`]; `None` without weight.
pub fn post_stratify(strata: &[Arms]) -> Option<TwoMeans> {
    let total: f64 = strata.iter().map(|s| s.weight).sum();
    if total.is_nan() || total <= 0.0 {
        return None;
    }
    let mut m = TwoMeans::default();
    for s in strata {
        let w = s.weight / total;
        m.treated += w * s.mean_t;
        m.treated_variance += w * w * s.var_t;
        m.baseline += w * s.mean_c;
        m.baseline_variance += w * w * s.var_c;
        m.visitors += s.visitors;
    }
    [m.treated, m.baseline, m.variance()]
        .iter()
        .all(|x| x.is_finite())
        .then_some(m)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::chi_square_gof;

    #[test]
    fn one_stratum_is_pearson() {
        for (obs, shares) in [
            (vec![480u64, 520], vec![0.5, 0.5]),
            (vec![100, 230, 690], vec![1.0, 2.0, 7.0]),
            (vec![50, 400, 560], vec![500.0, 4750.0, 4750.0]),
        ] {
            let wald = srm_strata(&[Placed {
                observed: obs.clone(),
                shares: shares.clone(),
            }])
            .unwrap();
            let pearson = chi_square_gof(&obs, &shares).unwrap();
            assert!((wald.chi2 - pearson.chi2).abs() < 1e-9 * pearson.chi2.max(1.0));
            assert_eq!(wald.df, pearson.df);
            assert!((wald.p - pearson.p).abs() < 1e-9);
        }
    }

    #[test]
    fn two_arms_over_strata_is_the_binomial_sum_z_test() {
        // Closed form for k = 2: z = (O₁ − Σ n_s p_s) / √(Σ n_s p_s (1 − p_s)).
        let strata = [
            Placed {
                observed: vec![510, 490],
                shares: vec![0.5, 0.5],
            },
            Placed {
                observed: vec![180, 820],
                shares: vec![0.2, 0.8],
            },
        ];
        let e = 500.0 + 200.0;
        let v = 1000.0 * 0.25 + 1000.0 * 0.16;
        let z2 = (690.0_f64 - e).powi(2) / v;
        let g = srm_strata(&strata).unwrap();
        assert!((g.chi2 - z2).abs() < 1e-9, "{} vs {z2}", g.chi2);
        assert_eq!(g.df, 1);
    }

    #[test]
    fn a_visitor_where_the_split_gave_nothing_fails() {
        let g = srm_strata(&[Placed {
            observed: vec![0, 10, 3],
            shares: vec![0.0, 1.0, 0.0],
        }])
        .unwrap();
        assert_eq!(g.p, 0.0);
    }

    #[test]
    fn stratified_difference_weights_by_visitors() {
        let s = [
            Arms {
                weight: 300.0,
                visitors: 200.0,
                mean_t: 0.2,
                var_t: 0.0004,
                mean_c: 0.1,
                var_c: 0.0003,
            },
            Arms {
                weight: 100.0,
                visitors: 80.0,
                mean_t: 0.5,
                var_t: 0.001,
                mean_c: 0.5,
                var_c: 0.002,
            },
        ];
        let m = post_stratify(&s).unwrap();
        assert!((m.diff() - 0.075).abs() < 1e-12);
        assert_eq!(m.visitors, 280.0);
        let r = m
            .absolute(super::super::lift::Reading::FixedHorizon)
            .unwrap();
        let se = (0.5625 * 0.0007 + 0.0625 * 0.003_f64).sqrt();
        assert!((r.ci.high - r.estimate - 1.959_963_984_540_054 * se).abs() < 1e-9);
    }
}
