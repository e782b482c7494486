//! The two optional readings of a comparison: `--sequential` swaps the fixed-horizon intervals
//! and p-values for confidence sequences and always-valid p-values
//! ([`crate::stats::sequential`], the relative lift's by [`crate::stats::lift`]), and `--cuped`
//! adds the estimate adjusted by the pre-exposure covariate ([`crate::stats::cuped`]), itself
//! sequential under `--sequential`. Both serve the plain comparison (one stratum) and the
//! post-stratified one of a bandit ([`super::bandit`]) alike. Kept apart from
//! [`super::compare`] so the plain report reads as before.

use super::{Comparison, CupedComparison};
use crate::aggregate::{ArmTally, Outcome};
use crate::stats::cuped::{self, Observation, Stratum, Variance};
use crate::stats::lift::{Reading, TwoMeans};
use crate::stats::sequential;

/// Replaces `cmp`'s intervals and p-values by confidence sequences tuned for `n_star`.
pub(super) fn sequential(cmp: &mut Comparison, t: &ArmTally, c: &ArmTally, n_star: f64) {
    let rate = sequential::proportions(t.converters, t.visitors, c.converters, c.visitors, n_star);
    cmp.abs_lift_ci = rate.map(|s| s.ci);
    cmp.p_value = rate.map(|s| s.p);
    cmp.rel_lift_ci = TwoMeans::proportions(t.converters, t.visitors, c.converters, c.visitors)
        .and_then(|m| m.relative(Reading::Sequential(n_star)))
        .map(|l| l.ci);
    let rpv = sequential::means(&t.revenue, &c.revenue, n_star);
    cmp.rpv_diff_ci = rpv.map(|s| s.ci);
    cmp.rpv_p_value = rpv.map(|s| s.p);
}

/// One stratum of a comparison: its weight and the two arms' tallies in it (a plain
/// comparison is one stratum of weight 1).
pub(super) type Pair<'a> = (f64, &'a ArmTally, &'a ArmTally);

/// The CUPED estimate of `t` against `c` over `pairs` (post-stratified when there are several).
pub(super) fn cuped(pairs: &[Pair<'_>], reading: Reading, variance: Variance) -> CupedComparison {
    let observe = |arm: &ArmTally, y: fn(&Outcome) -> f64| -> Vec<Observation> {
        arm.outcomes
            .iter()
            .map(|o| Observation {
                y: y(o),
                x: o.pre.map(|p| [f64::from(p.visits), f64::from(p.views)]),
            })
            .collect()
    };
    let estimate = |y: fn(&Outcome) -> f64| {
        let sides: Vec<(f64, Vec<Observation>, Vec<Observation>)> = pairs
            .iter()
            .map(|(w, t, c)| (*w, observe(t, y), observe(c, y)))
            .collect();
        let strata: Vec<Stratum<'_>> = sides
            .iter()
            .map(|(weight, a, b)| Stratum {
                weight: *weight,
                a,
                b,
            })
            .collect();
        cuped::stratified(&strata, variance)
    };
    let rate = estimate(|o| if o.converted { 1.0 } else { 0.0 });
    let rpv = estimate(|o| o.value);
    let covered = [&rate, &rpv]
        .iter()
        .find_map(|r| r.as_ref().ok().map(|e| e.covered))
        .unwrap_or_else(|| share_covered(pairs));
    let abs = |r: &Result<cuped::Cuped, cuped::Fallback>| {
        r.as_ref().ok().and_then(|e| e.adjusted.absolute(reading))
    };
    let (rate_abs, rpv_abs) = (abs(&rate), abs(&rpv));
    let rate_rel = rate
        .as_ref()
        .ok()
        .and_then(|e| e.adjusted.relative(reading));
    CupedComparison {
        covered,
        abs_lift: rate.as_ref().ok().map(|e| e.diff),
        abs_lift_ci: rate_abs.map(|l| l.ci),
        p_value: rate_abs.map(|l| l.p),
        rel_lift: rate_rel.map(|l| l.estimate),
        rel_lift_ci: rate_rel.map(|l| l.ci),
        variance_reduction: rate.as_ref().ok().map(|e| e.variance_reduction),
        rate_fallback: rate.as_ref().err().map(ToString::to_string),
        rpv_diff: rpv.as_ref().ok().map(|e| e.diff),
        rpv_diff_ci: rpv_abs.map(|l| l.ci),
        rpv_p_value: rpv_abs.map(|l| l.p),
        rpv_variance_reduction: rpv.as_ref().ok().map(|e| e.variance_reduction),
        rpv_fallback: rpv.as_ref().err().map(ToString::to_string),
    }
}

fn share_covered(pairs: &[Pair<'_>]) -> f64 {
    let all = || {
        pairs
            .iter()
            .flat_map(|(_, t, c)| t.outcomes.iter().chain(&c.outcomes))
    };
    let n = all().count();
    let with = all().filter(|o| o.pre.is_some()).count();
    if n == 0 {
        0.0
    } else {
        with as f64 / n as f64
    }
}
