//! A lift read from two arms' mean estimates: the absolute lift (difference) and the relative
//! lift (ratio − 1), each as a fixed-horizon interval or a confidence sequence. The estimates
//! may be plain means, CUPED-adjusted means, or post-stratified means ([`super::strata`]);
//! all that is needed is each arm's mean and the variance of that mean, the two independent
//! (different visitors).
//!
//! - **Absolute**: `d = m_t − m_c`, variance `v_t + v_c`; a normal interval, or the
//!   normal-mixture sequence of [`super::sequential::mixture`] with that variance.
//! - **Relative**: the **delta method on the log of the ratio**, `ln(m_t / m_c)` with variance
//!   `v_t / m_t² + v_c / m_c²`; the interval (or sequence) of the log ratio is exponentiated,
//!   minus one. For two plain conversion rates that variance is `1/x_t − 1/n_t + 1/x_c − 1/n_c`,
//!   so the fixed-horizon interval *is* the Katz log interval the plain report prints
//!   ([`super::katz_ratio`]); every other relative interval is the same method on other means.
//!   On the log scale the interval stays positive and is not symmetric, as a ratio's should
//!   be. Undefined (absent) when either mean is not positive.

use statrs::distribution::{ContinuousCDF, Normal};

use super::{sequential, z_critical, Interval};

/// How an interval is read.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Reading {
    /// A normal interval, valid when read once.
    FixedHorizon,
    /// A normal-mixture confidence sequence, narrowest at this many visitors (both arms).
    Sequential(f64),
}

/// Two arms' mean estimates, each with the variance of the estimate.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct TwoMeans {
    /// The treated arm's mean.
    pub treated: f64,
    /// The variance of that mean.
    pub treated_variance: f64,
    /// The baseline arm's mean.
    pub baseline: f64,
    /// The variance of that mean.
    pub baseline_variance: f64,
    /// Visitors behind both means (scales a sequence's mixture).
    pub visitors: f64,
}

/// An estimate with its interval (or sequence) and two-sided p-value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Lift {
    /// The point estimate.
    pub estimate: f64,
    /// Its interval.
    pub ci: Interval,
    /// p-value of "no difference" (always valid for a sequence).
    pub p: f64,
}

impl TwoMeans {
    /// Two conversion rates, `x1/n1` against `x2/n2` (binomial variances); `None` when an arm
    /// is empty.
    pub fn proportions(x1: u64, n1: u64, x2: u64, n2: u64) -> Option<Self> {
        if n1 == 0 || n2 == 0 || x1 > n1 || x2 > n2 {
            return None;
        }
        let (p1, p2) = (x1 as f64 / n1 as f64, x2 as f64 / n2 as f64);
        Some(TwoMeans {
            treated: p1,
            treated_variance: p1 * (1.0 - p1) / n1 as f64,
            baseline: p2,
            baseline_variance: p2 * (1.0 - p2) / n2 as f64,
            visitors: (n1 + n2) as f64,
        })
    }

    /// `treated − baseline`.
    pub fn diff(&self) -> f64 {
        self.treated - self.baseline
    }

    /// The variance of [`Self::diff`].
    pub fn variance(&self) -> f64 {
        self.treated_variance + self.baseline_variance
    }

    /// The absolute lift; `None` without variance.
    pub fn absolute(&self, reading: Reading) -> Option<Lift> {
        read(self.diff(), self.variance(), self.visitors, reading)
    }

    /// The relative lift `treated / baseline − 1` by the delta method on the log ratio (see
    /// the module docs); `None` when a mean is not positive or there is no variance.
    pub fn relative(&self, reading: Reading) -> Option<Lift> {
        if !(self.treated > 0.0 && self.baseline > 0.0) {
            return None;
        }
        let log = (self.treated / self.baseline).ln();
        let variance = self.treated_variance / (self.treated * self.treated)
            + self.baseline_variance / (self.baseline * self.baseline);
        let l = read(log, variance, self.visitors, reading)?;
        Some(Lift {
            estimate: self.treated / self.baseline - 1.0,
            ci: Interval::finite(l.ci.low.exp() - 1.0, l.ci.high.exp() - 1.0)?,
            p: l.p,
        })
    }
}

fn read(estimate: f64, variance: f64, visitors: f64, reading: Reading) -> Option<Lift> {
    match reading {
        Reading::FixedHorizon => normal(estimate, variance),
        Reading::Sequential(n_star) => sequential::mixture(estimate, variance, visitors, n_star)
            .map(|s| Lift {
                estimate: s.diff,
                ci: s.ci,
                p: s.p,
            }),
    }
}

/// The normal (z) interval and two-sided p-value of `estimate` with `variance`; `None`
/// without positive, finite variance.
pub fn normal(estimate: f64, variance: f64) -> Option<Lift> {
    if !(variance.is_finite() && variance > 0.0 && estimate.is_finite()) {
        return None;
    }
    let se = variance.sqrt();
    let z = z_critical();
    let p = (2.0 * Normal::standard().sf((estimate / se).abs())).clamp(0.0, 1.0);
    Some(Lift {
        estimate,
        ci: Interval::finite(estimate - z * se, estimate + z * se)?,
        p,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::{katz_ratio, sequential::TUNING};

    #[test]
    fn the_relative_interval_of_two_rates_is_katz() {
        for (x1, n1, x2, n2) in [(120, 1000, 100, 1000), (45, 300, 160, 1200), (1, 3, 1, 2)] {
            let ours = TwoMeans::proportions(x1, n1, x2, n2)
                .and_then(|m| m.relative(Reading::FixedHorizon))
                .unwrap();
            let katz = katz_ratio(x1, n1, x2, n2).unwrap();
            assert!(
                (ours.ci.low + 1.0 - katz.low).abs() < 1e-12,
                "{ours:?} {katz:?}"
            );
            assert!(
                (ours.ci.high + 1.0 - katz.high).abs() < 1e-12,
                "{ours:?} {katz:?}"
            );
        }
    }

    #[test]
    fn a_relative_sequence_is_wider_than_its_interval_and_both_contain_the_estimate() {
        let m = TwoMeans::proportions(140, 2500, 110, 2500).unwrap();
        let fixed = m.relative(Reading::FixedHorizon).unwrap();
        let seq = m.relative(Reading::Sequential(TUNING)).unwrap();
        assert!(seq.ci.low < fixed.ci.low && fixed.ci.high < seq.ci.high);
        assert!(seq.ci.contains(seq.estimate) && fixed.ci.contains(fixed.estimate));
        assert!((seq.estimate - (140.0 / 110.0 - 1.0)).abs() < 1e-12);
        // The sequence of the log ratio is the mixture at the log ratio's variance.
        let log = (140.0_f64 / 110.0).ln();
        let v = 1.0 / 140.0 - 1.0 / 2500.0 + 1.0 / 110.0 - 1.0 / 2500.0;
        let s = sequential::mixture(log, v, 5000.0, TUNING).unwrap();
        assert!((seq.ci.high - (s.ci.high.exp() - 1.0)).abs() < 1e-12);
    }

    #[test]
    fn undefined_ratios_are_absent() {
        let zero = TwoMeans::proportions(0, 100, 5, 100).unwrap();
        assert_eq!(zero.relative(Reading::FixedHorizon), None);
        let flat = TwoMeans::proportions(0, 100, 0, 100).unwrap();
        assert_eq!(flat.absolute(Reading::Sequential(TUNING)), None);
        assert_eq!(normal(1.0, 0.0), None);
        assert_eq!(normal(f64::NAN, 1.0), None);
    }
}
