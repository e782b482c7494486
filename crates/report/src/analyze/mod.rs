//! Tallies → the report: rates with intervals, lift against control and holdout, and the
//! sample-ratio-mismatch check. The [`Report`] is what every output renders, and its JSON
//! form (`--json`) is a stable, documented shape (docs/marketers.md#the-json-shape).

use super::aggregate::{ArmTally, Kind, Tally, UnitTally};
use super::expect::Expectations;
mod adjust;

pub use super::model::{
    Against, AllocationReport, Anonymous, ArmReport, Comparison, ContextReport, CupedComparison,
    Estimator, InputSummary, Intervals, Report, Srm, SrmStatus, UnitReport,
};

mod bandit;
use super::stats::cuped::Variance;
use super::stats::lift::Reading;
use super::stats::{self, Interval};
use vitrine_core::decide::experiment::HOLDOUT;
use vitrine_core::measure::events::SHOWN;

/// Version of the `--json` shape; bumped on any incompatible change.
pub const REPORT_SCHEMA: u32 = 1;

/// Default significance threshold of the SRM check.
pub const SRM_ALPHA: f64 = 0.001;

/// How to analyze.
#[derive(Debug, Clone, PartialEq)]
pub struct Options {
    /// `--control`: `(experiment, arm)`; `None` applies to every experiment with that arm.
    pub control: Vec<(Option<String>, String)>,
    /// The SRM check fails below this p-value.
    pub srm_alpha: f64,
    /// The conversion name analyzed (`None`: every conversion).
    pub goal: Option<String>,
    /// `--sequential`: confidence sequences, narrowest at this many visitors (both arms).
    pub sequential: Option<f64>,
    /// `--cuped`: add the estimate adjusted by the pre-exposure covariate.
    pub cuped: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            control: Vec::new(),
            srm_alpha: SRM_ALPHA,
            goal: None,
            sequential: None,
            cuped: false,
        }
    }
}

impl Options {
    /// How the intervals are read: fixed-horizon, or sequences under `--sequential`.
    pub fn reading(&self) -> Reading {
        self.sequential
            .map_or(Reading::FixedHorizon, Reading::Sequential)
    }
}

/// The kind of interval a reading gives, as the report names it.
fn intervals(reading: Reading) -> Intervals {
    match reading {
        Reading::FixedHorizon => Intervals::FixedHorizon,
        Reading::Sequential(_) => Intervals::Sequential,
    }
}

/// Builds the report.
pub fn analyze(
    tally: &Tally,
    input: InputSummary,
    expect: Option<&Expectations>,
    options: &Options,
) -> Report {
    let units: Vec<UnitReport> = tally
        .units
        .iter()
        .map(|((kind, name), unit)| analyze_unit(*kind, name, unit, expect, options))
        .collect();
    Report {
        schema: REPORT_SCHEMA,
        snapshot: expect.map(|e| e.version.clone()),
        goal: options.goal.clone(),
        confidence: stats::CONFIDENCE,
        intervals: intervals(options.reading()),
        sequential_tuning: options.sequential,
        cuped: options.cuped,
        srm_alpha: options.srm_alpha,
        srm_failed: units.iter().any(|u| u.srm.status == SrmStatus::Fail),
        input,
        units,
    }
}

fn analyze_unit(
    kind: Kind,
    name: &str,
    unit: &UnitTally,
    expect: Option<&Expectations>,
    options: &Options,
) -> UnitReport {
    let expected = expect.and_then(|e| match kind {
        Kind::Experiment => e.experiments.get(name).cloned(),
        // Shown through an experiment arm: its split is the experiment's, not shown/holdout.
        Kind::Campaign if unit.via_experiment => None,
        Kind::Campaign => e.campaign(name),
    });
    let arms = ordered(kind, unit, expected.as_deref());
    let total: u64 = arms.iter().map(|a| a.visitors).sum();
    // A bandit's split moved: no single configured share applies.
    let learned = kind == Kind::Experiment && !unit.strata.is_empty();
    let share = |arm: &str| {
        expected
            .as_ref()
            .filter(|_| !learned)
            .and_then(|x| x.iter().find(|(a, _)| a == arm).map(|(_, s)| *s))
    };
    let reports: Vec<ArmReport> = arms
        .iter()
        .map(|a| arm_report(a, share(&a.arm), total))
        .collect();
    let control = match kind {
        Kind::Experiment => control_arm(name, &arms, &options.control),
        Kind::Campaign => None,
    };
    if learned {
        let known: Vec<&super::aggregate::Stratum> =
            unit.strata.iter().filter(|s| s.split.is_some()).collect();
        return UnitReport {
            kind,
            name: name.to_owned(),
            comparisons: bandit::comparisons(&known, &arms, control.as_deref(), options),
            srm: bandit::srm(unit, options.srm_alpha),
            allocation: Some(bandit::allocation(unit, &arms, control.as_deref(), options)),
            control,
            arms: reports,
            crossovers: unit.crossovers,
            unexposed_conversions: unit.unexposed_conversions,
            mismatched_conversions: unit.mismatched_conversions,
        };
    }
    UnitReport {
        kind,
        name: name.to_owned(),
        comparisons: comparisons(kind, &arms, control.as_deref(), options),
        srm: srm(
            kind,
            unit,
            &arms,
            expected.as_deref(),
            expect,
            options.srm_alpha,
        ),
        control,
        arms: reports,
        crossovers: unit.crossovers,
        unexposed_conversions: unit.unexposed_conversions,
        mismatched_conversions: unit.mismatched_conversions,
        allocation: None,
    }
}

/// Arms in configured order (zero-visitor arms included), then unknown ones, holdout last.
fn ordered(kind: Kind, unit: &UnitTally, expected: Option<&[(String, f64)]>) -> Vec<ArmTally> {
    let mut names: Vec<String> = match (kind, expected) {
        (_, Some(x)) => x.iter().map(|(a, _)| a.clone()).collect(),
        (Kind::Campaign, None) => vec![SHOWN.to_owned()],
        (Kind::Experiment, None) => Vec::new(),
    };
    for a in &unit.arms {
        if !names.contains(&a.arm) {
            names.push(a.arm.clone());
        }
    }
    names.sort_by_key(|n| n == HOLDOUT);
    names
        .into_iter()
        .map(|n| {
            let found = unit.arms.iter().find(|a| a.arm == n).cloned();
            found.unwrap_or(ArmTally {
                arm: n,
                ..ArmTally::default()
            })
        })
        .collect()
}

fn arm_report(a: &ArmTally, expected_share: Option<f64>, total: u64) -> ArmReport {
    let n = a.visitors;
    let revenue = a.revenue.mean * n as f64;
    ArmReport {
        arm: a.arm.clone(),
        visitors: n,
        converters: a.converters,
        conversions: a.conversions,
        rate: (n > 0).then(|| a.converters as f64 / n as f64),
        rate_ci: stats::wilson(a.converters, n),
        revenue,
        revenue_per_visitor: (n > 0).then_some(a.revenue.mean),
        expected_share,
        observed_share: (total > 0).then(|| n as f64 / total as f64),
        anonymous: Anonymous {
            exposures: a.anonymous_exposures,
            conversions: a.anonymous_conversions,
            value: a.anonymous_value,
        },
    }
}

fn control_arm(
    unit: &str,
    arms: &[ArmTally],
    wanted: &[(Option<String>, String)],
) -> Option<String> {
    let has = |arm: &str| arms.iter().any(|a| a.arm == arm && a.arm != HOLDOUT);
    let specific = wanted
        .iter()
        .find(|(u, arm)| u.as_deref() == Some(unit) && has(arm));
    let general = wanted.iter().find(|(u, arm)| u.is_none() && has(arm));
    specific
        .or(general)
        .map(|(_, arm)| arm.clone())
        .or_else(|| {
            arms.iter()
                .find(|a| a.arm != HOLDOUT)
                .map(|a| a.arm.clone())
        })
}

fn comparisons(
    kind: Kind,
    arms: &[ArmTally],
    control: Option<&str>,
    options: &Options,
) -> Vec<Comparison> {
    let holdout = arms.iter().find(|a| a.arm == HOLDOUT);
    let control_arm = control.and_then(|c| arms.iter().find(|a| a.arm == c));
    let mut out = Vec::new();
    for arm in arms.iter().filter(|a| a.arm != HOLDOUT) {
        if let Some(c) = control_arm.filter(|c| c.arm != arm.arm && kind == Kind::Experiment) {
            out.push(compare(arm, c, Against::Control, options));
        }
    }
    if let Some(h) = holdout {
        for arm in arms.iter().filter(|a| a.arm != HOLDOUT) {
            out.push(compare(arm, h, Against::Holdout, options));
        }
    }
    out
}

fn compare(t: &ArmTally, c: &ArmTally, against: Against, options: &Options) -> Comparison {
    let mut cmp = compare_fixed(t, c, against);
    if let Reading::Sequential(n_star) = options.reading() {
        adjust::sequential(&mut cmp, t, c, n_star);
        cmp.interval = Intervals::Sequential;
    }
    if options.cuped {
        let pair = [(1.0, t, c)];
        cmp.cuped = Some(adjust::cuped(&pair, options.reading(), Variance::PerArm));
    }
    cmp
}

fn compare_fixed(t: &ArmTally, c: &ArmTally, against: Against) -> Comparison {
    let (xt, nt, xc, nc) = (t.converters, t.visitors, c.converters, c.visitors);
    let both = nt > 0 && nc > 0;
    let (pt, pc) = (xt as f64 / nt as f64, xc as f64 / nc as f64);
    let welch = stats::welch(&t.revenue, &c.revenue);
    Comparison {
        arm: t.arm.clone(),
        baseline: c.arm.clone(),
        against,
        interval: Intervals::FixedHorizon,
        estimator: Estimator::ArmTotals,
        abs_lift: both.then_some(pt - pc),
        abs_lift_ci: stats::newcombe_diff(xt, nt, xc, nc),
        rel_lift: (both && xc > 0).then(|| pt / pc - 1.0),
        rel_lift_ci: stats::katz_ratio(xt, nt, xc, nc).map(|r| Interval {
            low: r.low - 1.0,
            high: r.high - 1.0,
        }),
        p_value: stats::two_proportion_p(xt, nt, xc, nc),
        rpv_diff: both.then_some(t.revenue.mean - c.revenue.mean),
        rpv_diff_ci: welch.map(|w| w.ci),
        rpv_p_value: welch.map(|w| w.p),
        cuped: None,
    }
}

fn srm(
    kind: Kind,
    unit: &UnitTally,
    arms: &[ArmTally],
    expected: Option<&[(String, f64)]>,
    expect: Option<&Expectations>,
    alpha: f64,
) -> Srm {
    let Some(expect) = expect else {
        return Srm::unchecked("no configured weights: pass --snapshot or --campaigns");
    };
    if kind == Kind::Campaign && unit.via_experiment {
        return Srm::unchecked("shown through an experiment: its split is checked there");
    }
    if kind == Kind::Campaign && expect.global_holdout == 0.0 {
        return Srm::unchecked("no global holdout configured: one group, nothing to compare");
    }
    let Some(expected) = expected else {
        return Srm::unchecked(format!("not in snapshot {}", expect.version));
    };
    if let Some(stray) = arms
        .iter()
        .find(|a| a.visitors > 0 && !expected.iter().any(|(e, _)| *e == a.arm))
    {
        return Srm::unchecked(format!(
            "arm {:?} is not in snapshot {}: is it the snapshot these events ran with?",
            stray.arm, expect.version
        ));
    }
    let observed: Vec<u64> = expected
        .iter()
        .map(|(e, _)| arms.iter().find(|a| a.arm == *e).map_or(0, |a| a.visitors))
        .collect();
    let shares: Vec<f64> = expected.iter().map(|(_, s)| *s).collect();
    match stats::chi_square_gof(&observed, &shares) {
        None => Srm::unchecked("no exposed visitors, or a single configured group"),
        Some(g) => {
            let fail = g.p < alpha;
            Srm {
                status: if fail { SrmStatus::Fail } else { SrmStatus::Pass },
                chi2: Some(g.chi2),
                df: Some(g.df),
                p: Some(g.p),
                reason: fail.then(|| {
                    format!("the split of exposed visitors differs from the configured weights (p = {:.2e} < {alpha}): every number of this {} is suspect", g.p, match kind { Kind::Experiment => "experiment", Kind::Campaign => "campaign" })
                }),
            }
        }
    }
}

#[cfg(test)]
mod tests;
