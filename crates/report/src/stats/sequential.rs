//! Always-valid intervals (`vitrine report --sequential`): the **normal-mixture confidence
//! sequence** of a difference in means, the interval GrowthBook and Eppo show for their
//! sequential tests (Robbins' normal mixture; the mixture SPRT of Johari, Pekelis and Walsh,
//! "Always valid inference", 2017; in the asymptotic form of Waudby-Smith et al., 2023).
//!
//! A fixed-horizon 95 % interval is right 95 % of the time *if it is read once*, at a sample
//! size chosen in advance. Read every day and acted on the first day it excludes zero, it is
//! wrong far more often. A confidence sequence is wider, but it holds at every look at once:
//! the chance that it *ever* excludes the true lift, however often it is read, is at most 5 %.
//!
//! For an estimate `d` with variance `V` (from `N` visitors in both arms together), the
//! mixture over a normal prior `N(0, τ²)` on the true difference gives the likelihood ratio
//! `Λ(θ) = sqrt(V / (V + τ²)) · exp(τ² (d − θ)² / (2 V (V + τ²)))`; the sequence is every `θ`
//! with `Λ(θ) < 1/α`:
//!
//! `d ± sqrt( V (V + τ²)/τ² · (2 ln(1/α) + ln((V + τ²)/V)) )`
//!
//! and the always-valid p-value of "no difference" is `min(1, 1/Λ(0))`.
//!
//! **The tuning parameter** sets `τ²` from the per-visitor variance `σ² = V·N`:
//! `τ² = σ² ρ²` with `ρ² = (2 ln(1/α) + ln(2 ln(1/α) + 1)) / N*`, which makes the sequence
//! narrowest when `N = N*` visitors (both arms together) have been seen. Any `N*` keeps the
//! guarantee; a good one is the sample the test is expected to reach (GrowthBook's default is
//! 5 000, ours too: [`TUNING`]).
//!
//! The variance is estimated from the data (the asymptotic confidence sequence), so the
//! guarantee holds once each arm has a few dozen visitors and some conversions; below that
//! every interval here is rough anyway.

use super::{Interval, Sample, CONFIDENCE};

/// Default `--sequential-tuning`: visitors (both arms) where the sequence is narrowest.
pub const TUNING: f64 = 5_000.0;

/// `ρ²` for the tuning `n_star` at level `alpha`.
fn rho2(n_star: f64, alpha: f64) -> f64 {
    let l = 2.0 * (1.0 / alpha).ln();
    (l + (l + 1.0).ln()) / n_star
}

/// A confidence sequence at one look.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sequential {
    /// The difference estimated.
    pub diff: f64,
    /// The confidence sequence at this look.
    pub ci: Interval,
    /// Always-valid p-value of "no difference".
    pub p: f64,
}

/// The normal-mixture confidence sequence of an estimate `diff` with variance `variance`
/// from `n` visitors, tuned to be narrowest at `n_star` visitors; `None` when the variance is
/// not positive or an input is not finite and positive.
pub fn mixture(diff: f64, variance: f64, n: f64, n_star: f64) -> Option<Sequential> {
    let alpha = 1.0 - CONFIDENCE;
    let ok = |x: f64| x.is_finite() && x > 0.0;
    if !diff.is_finite() || !ok(variance) || !ok(n) || !ok(n_star) {
        return None;
    }
    let tau2 = variance * n * rho2(n_star, alpha);
    let ratio = (variance + tau2) / variance;
    let half =
        (variance * (variance + tau2) / tau2 * (2.0 * (1.0 / alpha).ln() + ratio.ln())).sqrt();
    // ln Λ(0): the evidence against "no difference".
    let log_lambda = -0.5 * ratio.ln() + tau2 * diff * diff / (2.0 * variance * (variance + tau2));
    let p = (-log_lambda).exp().min(1.0);
    let ci = Interval::finite(diff - half, diff + half)?;
    (half.is_finite() && p.is_finite()).then_some(Sequential { diff, ci, p })
}

/// The sequence for `x1/n1 − x2/n2` (unpooled variance); `None` when an arm is empty or both
/// rates are 0 % or 100 % (no variance to scale the sequence with).
pub fn proportions(x1: u64, n1: u64, x2: u64, n2: u64, n_star: f64) -> Option<Sequential> {
    if n1 == 0 || n2 == 0 || x1 > n1 || x2 > n2 {
        return None;
    }
    let (p1, p2) = (x1 as f64 / n1 as f64, x2 as f64 / n2 as f64);
    let variance = p1 * (1.0 - p1) / n1 as f64 + p2 * (1.0 - p2) / n2 as f64;
    mixture(p1 - p2, variance, (n1 + n2) as f64, n_star)
}

/// The sequence for `mean(a) − mean(b)` (unequal variances); `None` below two values per
/// side or with no variance.
pub fn means(a: &Sample, b: &Sample, n_star: f64) -> Option<Sequential> {
    let variance = a.variance()? / a.n as f64 + b.variance()? / b.n as f64;
    mixture(a.mean - b.mean, variance, (a.n + b.n) as f64, n_star)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sequence_is_wider_than_the_fixed_interval_and_narrowest_near_the_tuning() {
        let v = 1.0 / 5_000.0;
        let z = super::super::z_critical();
        let width = |n: f64, n_star: f64| mixture(0.0, v * 5_000.0 / n, n, n_star).unwrap();
        for n in [100.0, 1_000.0, 5_000.0, 50_000.0] {
            let s = width(n, 5_000.0);
            let fixed = z * (v * 5_000.0 / n).sqrt();
            assert!(s.ci.high > fixed, "{n}: {s:?} vs {fixed}");
        }
        // At N = N*, tuning for N* beats tuning for a tenth or ten times as many.
        let at = |n_star: f64| width(5_000.0, n_star).ci.high;
        assert!(at(5_000.0) < at(500.0) && at(5_000.0) < at(50_000.0));
    }

    #[test]
    fn zero_is_outside_exactly_when_the_p_value_is_below_alpha() {
        for d in [0.0, 0.01, 0.02, 0.03, 0.05, 0.1] {
            let s = mixture(d, 1e-4, 4_000.0, TUNING).unwrap();
            assert_eq!(!s.ci.contains(0.0), s.p < 1.0 - CONFIDENCE, "{d}: {s:?}");
        }
    }

    #[test]
    fn undefined_inputs_give_none() {
        assert_eq!(proportions(0, 10, 0, 12, TUNING), None);
        assert_eq!(proportions(1, 0, 0, 12, TUNING), None);
        assert_eq!(mixture(0.1, 0.0, 10.0, TUNING), None);
        assert_eq!(mixture(f64::NAN, 1.0, 10.0, TUNING), None);
        assert_eq!(mixture(0.1, 1.0, 10.0, 0.0), None);
    }
}
