//! The statistics behind `vitrine report`, each a named textbook method so anyone can check it
//! (`crates/report/tests/stats/reference.py` recomputes every one with scipy/statsmodels):
//!
//! - conversion rate of one arm: **Wilson score interval**;
//! - difference of two rates (absolute lift): **Newcombe's hybrid score interval** (method 10,
//!   built from the two Wilson intervals), which stays inside [-1, 1] and behaves at 0 % and
//!   100 % where the Wald interval collapses;
//! - ratio of two rates (relative lift + 1): **Katz log interval**, undefined when either arm
//!   has no conversions (reported as absent, never as a made-up number);
//! - p-value of a difference in rates: **two-sided two-proportion z-test with pooled
//!   variance**; when both arms convert at 0 % or both at 100 % there is no evidence of a
//!   difference and p is 1;
//! - revenue per visitor: **Welch's unequal-variance t-test** and its interval
//!   (Welch–Satterthwaite degrees of freedom), over every exposed visitor's total value
//!   (0 for visitors who did not convert);
//! - sample-ratio mismatch: **Pearson chi-square goodness of fit** against expected shares;
//!   for a split that moved (bandits), its generalisation over strata in [`strata`], with the
//!   post-stratified lift.
//! - with `--sequential`: the **normal-mixture confidence sequence** ([`sequential`]);
//! - with `--cuped`: **CUPED**, the difference adjusted by pre-exposure counts ([`cuped`]),
//!   within strata for a bandit;
//! - every lift that is not the plain fixed-horizon one (sequential, CUPED, post-stratified):
//!   read from the two arms' means and their variances by [`lift`], the relative lift by the
//!   delta method on the log ratio (Katz's method, generalised).
//!
//! Every function returns `None` rather than NaN or infinity when its method is undefined for
//! the counts (an empty arm, a single visitor, zero variance), and never panics.

pub mod strata;

use serde::Serialize;
use statrs::distribution::{ChiSquared, ContinuousCDF, Normal, StudentsT};

pub mod cuped;
pub mod lift;
pub mod sequential;

/// Confidence level of every interval.
pub const CONFIDENCE: f64 = 0.95;

/// A two-sided interval.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Interval {
    /// Lower bound.
    pub low: f64,
    /// Upper bound.
    pub high: f64,
}

impl Interval {
    fn finite(low: f64, high: f64) -> Option<Self> {
        (low.is_finite() && high.is_finite()).then_some(Interval { low, high })
    }

    /// Whether `x` lies inside (bounds included).
    pub fn contains(&self, x: f64) -> bool {
        self.low <= x && x <= self.high
    }
}

/// The standard normal quantile for [`CONFIDENCE`] (≈ 1.959 964).
pub fn z_critical() -> f64 {
    Normal::standard().inverse_cdf(1.0 - (1.0 - CONFIDENCE) / 2.0)
}

/// Wilson score interval for `x` successes out of `n`; `None` when `n` is 0.
pub fn wilson(x: u64, n: u64) -> Option<Interval> {
    if n == 0 || x > n {
        return None;
    }
    let (x, n) = (x as f64, n as f64);
    let z = z_critical();
    let p = x / n;
    let z2 = z * z;
    let denom = 1.0 + z2 / n;
    let centre = (p + z2 / (2.0 * n)) / denom;
    let half = z / denom * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt();
    Interval::finite((centre - half).max(0.0), (centre + half).min(1.0))
}

/// Newcombe's hybrid score interval for `x1/n1 − x2/n2`.
pub fn newcombe_diff(x1: u64, n1: u64, x2: u64, n2: u64) -> Option<Interval> {
    let (a, b) = (wilson(x1, n1)?, wilson(x2, n2)?);
    let (p1, p2) = (x1 as f64 / n1 as f64, x2 as f64 / n2 as f64);
    let d = p1 - p2;
    let low = d - ((p1 - a.low).powi(2) + (b.high - p2).powi(2)).sqrt();
    let high = d + ((a.high - p1).powi(2) + (p2 - b.low).powi(2)).sqrt();
    Interval::finite(low, high)
}

/// Katz log interval for `(x1/n1) / (x2/n2)`; `None` when either count is 0.
pub fn katz_ratio(x1: u64, n1: u64, x2: u64, n2: u64) -> Option<Interval> {
    if x1 == 0 || x2 == 0 || n1 == 0 || n2 == 0 || x1 > n1 || x2 > n2 {
        return None;
    }
    let (x1, n1, x2, n2) = (x1 as f64, n1 as f64, x2 as f64, n2 as f64);
    let ratio = (x1 / n1) / (x2 / n2);
    let se = (1.0 / x1 - 1.0 / n1 + 1.0 / x2 - 1.0 / n2).max(0.0).sqrt();
    let z = z_critical();
    Interval::finite(ratio * (-z * se).exp(), ratio * (z * se).exp())
}

/// Two-sided p-value of the pooled two-proportion z-test; `None` when an arm is empty.
pub fn two_proportion_p(x1: u64, n1: u64, x2: u64, n2: u64) -> Option<f64> {
    if n1 == 0 || n2 == 0 || x1 > n1 || x2 > n2 {
        return None;
    }
    let (x1, n1, x2, n2) = (x1 as f64, n1 as f64, x2 as f64, n2 as f64);
    let pooled = (x1 + x2) / (n1 + n2);
    let var = pooled * (1.0 - pooled) * (1.0 / n1 + 1.0 / n2);
    if var <= 0.0 {
        // Both arms at 0 % or both at 100 %: identical, no evidence of a difference.
        return Some(1.0);
    }
    let z = (x1 / n1 - x2 / n2) / var.sqrt();
    let p = 2.0 * Normal::standard().sf(z.abs());
    p.is_finite().then_some(p.clamp(0.0, 1.0))
}

/// Count, mean and sample variance of a set of values, accumulated in one pass (Welford).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Sample {
    /// Number of values.
    pub n: u64,
    /// Mean (0 when empty).
    pub mean: f64,
    m2: f64,
}

impl Sample {
    /// Adds one value (non-finite values are ignored: they cannot come from a parsed event).
    pub fn push(&mut self, x: f64) {
        if !x.is_finite() {
            return;
        }
        self.n += 1;
        let delta = x - self.mean;
        self.mean += delta / self.n as f64;
        self.m2 += delta * (x - self.mean);
    }

    /// A sample known by its count, sum and sum of squares (an engine's aggregates,
    /// `vitrine report --from-aggregates`).
    pub fn from_sums(n: u64, sum: f64, sum_sq: f64) -> Sample {
        if n == 0 {
            return Sample::default();
        }
        let mean = sum / n as f64;
        Sample {
            n,
            mean,
            m2: (sum_sq - sum * mean).max(0.0),
        }
    }

    /// Adds `count` zeros at once (the visitors who did not convert).
    pub fn push_zeros(&mut self, count: u64) {
        if count == 0 {
            return;
        }
        // Chan et al.'s parallel combination with a sample of `count` zeros (mean 0, m2 0).
        let (na, nb) = (self.n as f64, count as f64);
        let n = na + nb;
        let delta = -self.mean;
        self.m2 += delta * delta * na * nb / n;
        self.mean += delta * nb / n;
        self.n += count;
    }

    /// Adds every value of `other` (Chan et al.'s parallel combination).
    pub fn merge(&mut self, other: &Sample) {
        if other.n == 0 {
            return;
        }
        let (na, nb) = (self.n as f64, other.n as f64);
        let n = na + nb;
        let delta = other.mean - self.mean;
        self.m2 += other.m2 + delta * delta * na * nb / n;
        self.mean += delta * nb / n;
        self.n += other.n;
    }

    /// The sum of squared deviations from the mean (0 below two values).
    pub fn sum_of_squares(&self) -> f64 {
        self.m2.max(0.0)
    }

    /// The sample variance (n − 1 denominator); `None` below two values.
    pub fn variance(&self) -> Option<f64> {
        (self.n >= 2).then(|| (self.m2 / (self.n - 1) as f64).max(0.0))
    }
}

/// Welch's comparison of two means.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Welch {
    /// `mean1 − mean2`.
    pub diff: f64,
    /// Its confidence interval.
    pub ci: Interval,
    /// Two-sided p-value.
    pub p: f64,
    /// Welch–Satterthwaite degrees of freedom.
    pub df: f64,
}

/// Welch's t-test of `a − b`; `None` below two values per side or with zero variance in both.
pub fn welch(a: &Sample, b: &Sample) -> Option<Welch> {
    let (va, vb) = (a.variance()?, b.variance()?);
    let (sa, sb) = (va / a.n as f64, vb / b.n as f64);
    let se2 = sa + sb;
    if se2 <= 0.0 {
        return None;
    }
    let df = se2 * se2 / (sa * sa / (a.n - 1) as f64 + sb * sb / (b.n - 1) as f64);
    let t_dist = StudentsT::new(0.0, 1.0, df).ok()?;
    let diff = a.mean - b.mean;
    let se = se2.sqrt();
    let t = diff / se;
    let p = (2.0 * t_dist.sf(t.abs())).clamp(0.0, 1.0);
    let q = t_dist.inverse_cdf(1.0 - (1.0 - CONFIDENCE) / 2.0);
    let ci = Interval::finite(diff - q * se, diff + q * se)?;
    (p.is_finite() && df.is_finite()).then_some(Welch { diff, ci, p, df })
}

/// A chi-square goodness-of-fit result.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct GoodnessOfFit {
    /// Pearson's statistic.
    pub chi2: f64,
    /// Degrees of freedom (groups with a positive expected share, minus one).
    pub df: u32,
    /// Upper-tail p-value.
    pub p: f64,
}

/// Pearson's chi-square test of `observed` counts against expected `shares` (any positive
/// scale; normalized here). A group with a zero share and a positive count makes p = 0 (the
/// configuration says it cannot happen); groups with a zero share and no count are left out.
/// `None` with fewer than two groups of positive share, mismatched lengths or no observations.
pub fn chi_square_gof(observed: &[u64], shares: &[f64]) -> Option<GoodnessOfFit> {
    if observed.len() != shares.len() || shares.iter().any(|s| !s.is_finite() || *s < 0.0) {
        return None;
    }
    let total: u64 = observed.iter().sum();
    let share_sum: f64 = shares.iter().sum();
    let groups = shares.iter().filter(|s| **s > 0.0).count();
    if total == 0 || share_sum <= 0.0 || groups < 2 {
        return None;
    }
    let df = u32::try_from(groups - 1).ok()?;
    let mut chi2 = 0.0;
    for (&o, &s) in observed.iter().zip(shares) {
        if s == 0.0 {
            if o > 0 {
                return Some(GoodnessOfFit {
                    chi2: f64::MAX,
                    df,
                    p: 0.0,
                });
            }
            continue;
        }
        let expected = total as f64 * s / share_sum;
        chi2 += (o as f64 - expected).powi(2) / expected;
    }
    let p = ChiSquared::new(f64::from(df)).ok()?.sf(chi2);
    p.is_finite().then_some(GoodnessOfFit {
        chi2,
        df,
        p: p.clamp(0.0, 1.0),
    })
}

#[cfg(test)]
mod tests;
