//! A bandit experiment's report: its split moved while it ran, so the numbers that assume
//! one split are replaced. The sample-ratio check compares each visitor with the split live
//! when they were first exposed ([`strata_srm`]); the lift of each arm against control or
//! holdout is post-stratified by context and split ([`post_stratify`]: each allocation
//! period compared within itself, weighted by its visitors), and every context gets the same
//! table of its own. `--sequential` turns the post-stratified estimate and its variance into
//! a confidence sequence, and `--cuped` adjusts within the strata ([`adjust::cuped`]), so a
//! bandit gets every reading a fixed split gets. Visitors first seen without a split (placed before the input starts)
//! are left out of both and counted, because their split is not known.

use super::adjust::{self, Pair};
use super::{arm_report, Against, ArmReport, Comparison, Estimator, Options, Srm, SrmStatus};
use crate::aggregate::strata_srm;
use crate::aggregate::{ArmTally, Stratum, UnitTally};
use crate::model::{AllocationReport, ContextReport};
use crate::stats;
use crate::stats::cuped::Variance;
use crate::stats::strata::{pooled_variance, post_stratify, Arms};
use vitrine_core::decide::experiment::HOLDOUT;

/// How the lift of a bandit experiment is computed, as the report says it.
pub const METHOD: &str = "post-stratified by context and allocation period (bandit)";

/// The SRM check of a unit with strata.
pub fn srm(unit: &UnitTally, alpha: f64) -> Srm {
    srm_of(strata_srm(unit), alpha)
}

fn srm_of(fit: Option<stats::GoodnessOfFit>, alpha: f64) -> Srm {
    match fit {
        None => {
            Srm::unchecked("no exposure in the input logged its split (placed before it starts)")
        }
        Some(g) => {
            let fail = g.p < alpha;
            Srm {
                status: if fail { SrmStatus::Fail } else { SrmStatus::Pass },
                chi2: Some(g.chi2),
                df: Some(g.df),
                p: Some(g.p),
                reason: fail.then(|| format!("the split of exposed visitors differs from the weights live when they were placed (p = {:.2e} < {alpha}): every number of this experiment is suspect", g.p)),
            }
        }
    }
}

/// Each arm against control and holdout, post-stratified over `strata` (known splits only),
/// read as `options` asks (sequences, CUPED).
pub fn comparisons(
    strata: &[&Stratum],
    arms: &[ArmTally],
    control: Option<&str>,
    options: &Options,
) -> Vec<Comparison> {
    let mut out = Vec::new();
    let names = |pred: &dyn Fn(&str) -> bool| -> Vec<String> {
        arms.iter()
            .filter(|a| pred(&a.arm))
            .map(|a| a.arm.clone())
            .collect()
    };
    let treated = names(&|a| a != HOLDOUT);
    if let Some(c) = control {
        for t in treated.iter().filter(|t| *t != c) {
            out.push(compare(strata, t, c, Against::Control, options));
        }
    }
    if arms.iter().any(|a| a.arm == HOLDOUT && a.visitors > 0) {
        for t in &treated {
            out.push(compare(strata, t, HOLDOUT, Against::Holdout, options));
        }
    }
    out
}

/// The strata where both arms have visitors, with the stratum's weight (all its visitors).
fn pairs<'a>(strata: &[&'a Stratum], t: &str, c: &str) -> Vec<Pair<'a>> {
    strata
        .iter()
        .filter_map(|s| {
            let find = |n: &str| s.arms.iter().find(|a| a.arm == n);
            let (a, b) = (find(t)?, find(c)?);
            let weight: u64 = s.arms.iter().map(|x| x.visitors).sum();
            (a.visitors > 0 && b.visitors > 0).then_some((weight as f64, a, b))
        })
        .collect()
}

fn compare(
    strata: &[&Stratum],
    t: &str,
    c: &str,
    against: Against,
    options: &Options,
) -> Comparison {
    let pairs = pairs(strata, t, c);
    let reading = options.reading();
    // Each stratum's means, with one per-visitor variance pooled over its two arms
    // (`pooled_variance`); a stratum with fewer than three visitors in them has none.
    let stratum = |(w, a, b): &Pair<'_>, mean: &dyn Fn(&ArmTally) -> (f64, f64)| {
        let ((mean_t, ss_t), (mean_c, ss_c)) = (mean(a), mean(b));
        let s2 = pooled_variance((ss_t, a.visitors), (ss_c, b.visitors))?;
        Some(Arms {
            weight: *w,
            visitors: (a.visitors + b.visitors) as f64,
            mean_t,
            var_t: s2 / a.visitors as f64,
            mean_c,
            var_c: s2 / b.visitors as f64,
        })
    };
    // Mean and sum of squared deviations: of the 1/0 outcomes, `x (1 − x/n)`.
    let rate = |a: &ArmTally| {
        let p = a.converters as f64 / a.visitors as f64;
        (p, a.converters as f64 * (1.0 - p))
    };
    let value = |a: &ArmTally| (a.revenue.mean, a.revenue.sum_of_squares());
    let rates: Vec<Arms> = pairs.iter().filter_map(|p| stratum(p, &rate)).collect();
    let values: Vec<Arms> = pairs.iter().filter_map(|p| stratum(p, &value)).collect();
    let lift = post_stratify(&rates);
    let abs = lift.and_then(|m| m.absolute(reading));
    let rel = lift.and_then(|m| m.relative(reading));
    let rpv = post_stratify(&values).and_then(|m| m.absolute(reading));
    Comparison {
        arm: t.to_owned(),
        baseline: c.to_owned(),
        against,
        interval: super::intervals(reading),
        estimator: Estimator::PostStratified,
        abs_lift: lift.map(|m| m.diff()),
        abs_lift_ci: abs.map(|l| l.ci),
        rel_lift: lift
            .filter(|m| m.baseline > 0.0)
            .map(|m| m.treated / m.baseline - 1.0),
        rel_lift_ci: rel.map(|l| l.ci),
        p_value: abs.map(|l| l.p),
        rpv_diff: post_stratify(&values).map(|m| m.diff()),
        rpv_diff_ci: rpv.map(|l| l.ci),
        rpv_p_value: rpv.map(|l| l.p),
        cuped: options
            .cuped
            .then(|| adjust::cuped(&pairs, reading, Variance::PooledInStratum)),
    }
}

/// The allocation section: method, strata, visitors left out, and per-context tables.
pub fn allocation(
    unit: &UnitTally,
    arms: &[ArmTally],
    control: Option<&str>,
    options: &Options,
) -> AllocationReport {
    let known: Vec<&Stratum> = unit.strata.iter().filter(|s| s.split.is_some()).collect();
    let unplaced: u64 = unit
        .strata
        .iter()
        .filter(|s| s.split.is_none())
        .flat_map(|s| &s.arms)
        .map(|a| a.visitors)
        .sum();
    let mut names: Vec<&str> = Vec::new();
    for s in &unit.strata {
        if !names.contains(&s.context.as_str()) {
            names.push(&s.context);
        }
    }
    let contexts = names
        .into_iter()
        .map(|context| {
            let mine: Vec<&Stratum> = known
                .iter()
                .copied()
                .filter(|s| s.context == context)
                .collect();
            let pooled: Vec<ArmTally> = arms
                .iter()
                .map(|a| {
                    let mut t = ArmTally {
                        arm: a.arm.clone(),
                        ..ArmTally::default()
                    };
                    for s in &mine {
                        if let Some(x) = s.arms.iter().find(|x| x.arm == a.arm) {
                            t.visitors += x.visitors;
                            t.converters += x.converters;
                            t.conversions += x.conversions;
                            t.revenue.merge(&x.revenue);
                        }
                    }
                    t
                })
                .collect();
            let total: u64 = pooled.iter().map(|a| a.visitors).sum();
            let sub = UnitTally {
                strata: mine.iter().map(|s| (*s).clone()).collect(),
                ..UnitTally::default()
            };
            ContextReport {
                context: context.to_owned(),
                arms: pooled
                    .iter()
                    .map(|a| arm_report(a, None, total))
                    .collect::<Vec<ArmReport>>(),
                comparisons: comparisons(&mine, &pooled, control, options),
                srm: srm_of(strata_srm(&sub), options.srm_alpha),
            }
        })
        .collect();
    AllocationReport {
        method: METHOD.to_owned(),
        strata: known.len(),
        unplaced,
        contexts,
    }
}
