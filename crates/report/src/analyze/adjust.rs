//! The two optional readings of a comparison: `--sequential` swaps the fixed-horizon intervals
//! and p-values for confidence sequences and always-valid p-values
//! ([`crate::stats::sequential`]), and `--cuped` adds the estimate adjusted by the
//! pre-exposure covariate ([`crate::stats::cuped`]), itself sequential under `--sequential`.
//! Kept apart from [`super::compare`] so the plain report reads as before.

use super::{Comparison, CupedComparison};
use crate::aggregate::{ArmTally, Outcome};
use crate::stats::cuped::{self, Observation};
use crate::stats::sequential;

/// Replaces `cmp`'s intervals and p-values by confidence sequences tuned for `n_star`. The
/// relative lift keeps its estimate but loses its interval: only differences have a sequence.
pub(super) fn sequential(cmp: &mut Comparison, t: &ArmTally, c: &ArmTally, n_star: f64) {
    let rate = sequential::proportions(t.converters, t.visitors, c.converters, c.visitors, n_star);
    cmp.abs_lift_ci = rate.map(|s| s.ci);
    cmp.p_value = rate.map(|s| s.p);
    cmp.rel_lift_ci = None;
    let rpv = sequential::means(&t.revenue, &c.revenue, n_star);
    cmp.rpv_diff_ci = rpv.map(|s| s.ci);
    cmp.rpv_p_value = rpv.map(|s| s.p);
}

/// The CUPED estimate of `t` against `c` (a confidence sequence when `n_star` is given).
pub(super) fn cuped(t: &ArmTally, c: &ArmTally, n_star: Option<f64>) -> CupedComparison {
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
        cuped::cuped(&observe(t, y), &observe(c, y)).map(|e| {
            let seq = n_star.and_then(|n| sequential::mixture(e.diff, e.variance, e.n as f64, n));
            let (ci, p) = match (n_star, seq) {
                (None, _) => (Some(e.ci), Some(e.p)),
                (Some(_), s) => (s.map(|s| s.ci), s.map(|s| s.p)),
            };
            (e, ci, p)
        })
    };
    let rate = estimate(|o| if o.converted { 1.0 } else { 0.0 });
    let rpv = estimate(|o| o.value);
    let covered = [&rate, &rpv]
        .iter()
        .find_map(|r| r.as_ref().ok().map(|(e, _, _)| e.covered))
        .unwrap_or_else(|| share_covered(t, c));
    CupedComparison {
        covered,
        abs_lift: rate.as_ref().ok().map(|(e, _, _)| e.diff),
        abs_lift_ci: rate.as_ref().ok().and_then(|(_, ci, _)| *ci),
        p_value: rate.as_ref().ok().and_then(|(_, _, p)| *p),
        variance_reduction: rate.as_ref().ok().map(|(e, _, _)| e.variance_reduction),
        rate_fallback: rate.as_ref().err().map(ToString::to_string),
        rpv_diff: rpv.as_ref().ok().map(|(e, _, _)| e.diff),
        rpv_diff_ci: rpv.as_ref().ok().and_then(|(_, ci, _)| *ci),
        rpv_p_value: rpv.as_ref().ok().and_then(|(_, _, p)| *p),
        rpv_variance_reduction: rpv.as_ref().ok().map(|(e, _, _)| e.variance_reduction),
        rpv_fallback: rpv.as_ref().err().map(ToString::to_string),
    }
}

fn share_covered(t: &ArmTally, c: &ArmTally) -> f64 {
    let all = t.outcomes.iter().chain(&c.outcomes);
    let n = t.outcomes.len() + c.outcomes.len();
    let with = all.filter(|o| o.pre.is_some()).count();
    if n == 0 {
        0.0
    } else {
        with as f64 / n as f64
    }
}
