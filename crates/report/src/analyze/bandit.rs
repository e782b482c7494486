//! A bandit experiment's report: its split moved while it ran, so the numbers that assume
//! one split are replaced. The sample-ratio check compares each visitor with the split live
//! when they were first exposed ([`strata_srm`]); the lift of each arm against control or
//! holdout is post-stratified by context and split ([`stratified_diff`]: each allocation
//! period compared within itself, weighted by its visitors), and every context gets the same
//! table of its own. Visitors first seen without a split (placed before the input starts)
//! are left out of both and counted, because their split is not known.

use super::{arm_report, Against, ArmReport, Comparison, Srm, SrmStatus};
use crate::aggregate::strata_srm;
use crate::aggregate::{ArmTally, Stratum, UnitTally};
use crate::model::{AllocationReport, ContextReport};
use crate::stats::strata::{stratified_diff, Arms};
use crate::stats::{self, Interval};
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

/// Each arm against control and holdout, post-stratified over `strata` (known splits only).
pub fn comparisons(
    strata: &[&Stratum],
    arms: &[ArmTally],
    control: Option<&str>,
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
            out.push(compare(strata, t, c, Against::Control));
        }
    }
    if arms.iter().any(|a| a.arm == HOLDOUT && a.visitors > 0) {
        for t in &treated {
            out.push(compare(strata, t, HOLDOUT, Against::Holdout));
        }
    }
    out
}

fn compare(strata: &[&Stratum], t: &str, c: &str, against: Against) -> Comparison {
    let pair = |s: &Stratum| -> Option<(f64, ArmTally, ArmTally)> {
        let find = |n: &str| s.arms.iter().find(|a| a.arm == n).cloned();
        let (a, b) = (find(t)?, find(c)?);
        let weight: u64 = s.arms.iter().map(|x| x.visitors).sum();
        (a.visitors > 0 && b.visitors > 0).then_some((weight as f64, a, b))
    };
    let pairs: Vec<(f64, ArmTally, ArmTally)> = strata.iter().filter_map(|s| pair(s)).collect();
    let rate = |a: &ArmTally| a.converters as f64 / a.visitors as f64;
    let rate_var = |a: &ArmTally| rate(a) * (1.0 - rate(a)) / a.visitors as f64;
    let rates: Vec<Arms> = pairs
        .iter()
        .map(|(w, a, b)| Arms {
            weight: *w,
            mean_t: rate(a),
            var_t: rate_var(a),
            mean_c: rate(b),
            var_c: rate_var(b),
        })
        .collect();
    let rpv_var = |a: &ArmTally| a.revenue.variance().map_or(0.0, |v| v / a.visitors as f64);
    let values: Vec<Arms> = pairs
        .iter()
        .map(|(w, a, b)| Arms {
            weight: *w,
            mean_t: a.revenue.mean,
            var_t: rpv_var(a),
            mean_c: b.revenue.mean,
            var_c: rpv_var(b),
        })
        .collect();
    let lift = stratified_diff(&rates);
    let total: f64 = rates.iter().map(|r| r.weight).sum();
    let baseline = (total > 0.0)
        .then(|| rates.iter().map(|r| r.weight * r.mean_c).sum::<f64>() / total)
        .filter(|b| *b > 0.0);
    let rpv = stratified_diff(&values);
    Comparison {
        arm: t.to_owned(),
        baseline: c.to_owned(),
        against,
        abs_lift: lift.map(|l| l.diff),
        abs_lift_ci: lift.map(|l| l.ci),
        rel_lift: lift.zip(baseline).map(|(l, b)| l.diff / b),
        rel_lift_ci: lift.zip(baseline).map(|(l, b)| Interval {
            low: l.ci.low / b,
            high: l.ci.high / b,
        }),
        p_value: lift.map(|l| l.p),
        rpv_diff: rpv.map(|r| r.diff),
        rpv_diff_ci: rpv.map(|r| r.ci),
        rpv_p_value: rpv.map(|r| r.p),
        // CUPED is not combined with the post-stratified estimate (not built yet).
        cuped: None,
    }
}

/// The allocation section: method, strata, visitors left out, and per-context tables.
pub fn allocation(
    unit: &UnitTally,
    arms: &[ArmTally],
    control: Option<&str>,
    alpha: f64,
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
                comparisons: comparisons(&mine, &pooled, control),
                srm: srm_of(strata_srm(&sub), alpha),
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
