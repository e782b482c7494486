//! The report as data: what every renderer prints and what `--json` serializes. The field
//! names are the documented JSON shape (docs/marketers.md#the-json-shape); renaming one is an
//! incompatible change and bumps [`super::analyze::REPORT_SCHEMA`].

use serde::Serialize;

use super::aggregate::Kind;
use super::input::BadLine;
use super::stats::Interval;

/// What was read, including what could not be.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct InputSummary {
    /// Events inside the window.
    pub events: u64,
    /// Events outside `--since`/`--until`.
    pub outside_window: u64,
    /// Lines that claimed to be events but could not be read.
    pub bad_lines: usize,
    /// The first of them.
    pub first_bad_lines: Vec<BadLine>,
    /// Lines that were not vitrine events (other log output).
    pub skipped_lines: usize,
    /// Conversion names seen, with their event counts.
    pub goals_seen: std::collections::BTreeMap<String, u64>,
    /// Earliest event time (Unix seconds).
    pub first_ts: Option<u64>,
    /// Latest event time.
    pub last_ts: Option<u64>,
}

/// The whole report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    /// [`REPORT_SCHEMA`].
    pub schema: u32,
    /// Snapshot the expected weights came from.
    pub snapshot: Option<String>,
    /// Conversion name analyzed (`null`: all).
    pub goal: Option<String>,
    /// Confidence level of the intervals.
    pub confidence: f64,
    /// Which kind of interval the lifts carry.
    pub intervals: Intervals,
    /// `--sequential-tuning`: visitors (both arms) where a confidence sequence is narrowest.
    pub sequential_tuning: Option<f64>,
    /// `--cuped`: comparisons carry a CUPED estimate (or why not).
    pub cuped: bool,
    /// SRM threshold.
    pub srm_alpha: f64,
    /// Some unit failed the SRM check.
    pub srm_failed: bool,
    /// What was read.
    pub input: InputSummary,
    /// Experiments (by key), then campaigns (by id).
    pub units: Vec<UnitReport>,
}

/// One experiment or campaign.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UnitReport {
    /// `experiment` or `campaign`.
    pub kind: Kind,
    /// Experiment key or campaign id.
    pub name: String,
    /// The control arm (experiments with at least one arm).
    pub control: Option<String>,
    /// Arms, holdout last.
    pub arms: Vec<ArmReport>,
    /// Each arm against control and against holdout.
    pub comparisons: Vec<Comparison>,
    /// The sample-ratio-mismatch check.
    pub srm: Srm,
    /// Visitors seen in more than one arm (kept in their first).
    pub crossovers: u64,
    /// Conversions from visitors with no exposure in the input.
    pub unexposed_conversions: u64,
    /// Conversions carrying another arm than the visitor's exposure.
    pub mismatched_conversions: u64,
    /// Bandit experiments: how the moving split was accounted for, and each context's table.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allocation: Option<AllocationReport>,
}

/// A bandit experiment's split moved: the lift is post-stratified, the split checked per
/// allocation period, and each context reported on its own.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AllocationReport {
    /// How the lift was computed.
    pub method: String,
    /// Strata (context × split) with a known split.
    pub strata: usize,
    /// Visitors first seen without a split (placed before the input): in the arm totals,
    /// left out of the lift and the split check.
    pub unplaced: u64,
    /// Per context, in order of first appearance.
    pub contexts: Vec<ContextReport>,
}

/// One context of a bandit experiment.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ContextReport {
    /// Segment name or `everyone_else`.
    pub context: String,
    /// Its visitors per arm (known splits only).
    pub arms: Vec<ArmReport>,
    /// Post-stratified over its allocation periods.
    pub comparisons: Vec<Comparison>,
    /// Its split check.
    pub srm: Srm,
}

/// Events without a visitor: counted, never in a rate.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Anonymous {
    /// Exposure events.
    pub exposures: u64,
    /// Conversion events.
    pub conversions: u64,
    /// Their summed value.
    pub value: f64,
}

/// One arm.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ArmReport {
    /// Arm name (`holdout`, `shown`).
    pub arm: String,
    /// Exposed visitors.
    pub visitors: u64,
    /// Converting visitors.
    pub converters: u64,
    /// Attributed conversion events.
    pub conversions: u64,
    /// `converters / visitors`.
    pub rate: Option<f64>,
    /// Wilson interval of the rate.
    pub rate_ci: Option<Interval>,
    /// Attributed value.
    pub revenue: f64,
    /// `revenue / visitors`.
    pub revenue_per_visitor: Option<f64>,
    /// Configured share of exposed visitors (with a snapshot).
    pub expected_share: Option<f64>,
    /// Observed share of exposed visitors.
    pub observed_share: Option<f64>,
    /// Events without a visitor.
    pub anonymous: Anonymous,
}

/// Which kind of interval a report shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Intervals {
    /// Valid when read once, at a sample size decided in advance.
    FixedHorizon,
    /// Confidence sequences: valid however often they are read (`--sequential`).
    Sequential,
}

/// How a comparison's lift was estimated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Estimator {
    /// From the arms' totals (a fixed split).
    ArmTotals,
    /// Post-stratified by context and allocation period (a bandit's moving split); with
    /// CUPED, the adjustment is fitted within the strata.
    PostStratified,
}

/// A CUPED estimate of one comparison (`--cuped`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CupedComparison {
    /// Share of the compared visitors whose first exposure carried the covariate.
    pub covered: f64,
    /// Adjusted absolute lift in conversion rate.
    pub abs_lift: Option<f64>,
    /// Its interval (a confidence sequence under `--sequential`).
    pub abs_lift_ci: Option<Interval>,
    /// Its p-value (always valid under `--sequential`).
    pub p_value: Option<f64>,
    /// Adjusted relative lift in conversion rate (ratio of the adjusted rates − 1).
    pub rel_lift: Option<f64>,
    /// Its interval: delta method on the log ratio (a confidence sequence under
    /// `--sequential`).
    pub rel_lift_ci: Option<Interval>,
    /// Share of the plain estimate's variance removed (rate).
    pub variance_reduction: Option<f64>,
    /// Why the rate could not be adjusted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rate_fallback: Option<String>,
    /// Adjusted difference in revenue per visitor.
    pub rpv_diff: Option<f64>,
    /// Its interval.
    pub rpv_diff_ci: Option<Interval>,
    /// Its p-value.
    pub rpv_p_value: Option<f64>,
    /// Share of the plain estimate's variance removed (revenue per visitor).
    pub rpv_variance_reduction: Option<f64>,
    /// Why revenue per visitor could not be adjusted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rpv_fallback: Option<String>,
}

/// What an arm is compared with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Against {
    /// The experiment's control arm.
    Control,
    /// The holdout (experiment holdout or global holdout).
    Holdout,
}

/// `arm` against `baseline`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Comparison {
    /// The arm measured.
    pub arm: String,
    /// The arm it is compared with.
    pub baseline: String,
    /// Control or holdout.
    pub against: Against,
    /// Which kind of interval every `*_ci` of this comparison (and of its CUPED estimate) is.
    pub interval: Intervals,
    /// How the lift was estimated.
    pub estimator: Estimator,
    /// Absolute lift: `rate(arm) − rate(baseline)`.
    pub abs_lift: Option<f64>,
    /// Newcombe interval of the absolute lift (post-stratified: normal; sequential: the
    /// confidence sequence).
    pub abs_lift_ci: Option<Interval>,
    /// Relative lift: `rate(arm) / rate(baseline) − 1`.
    pub rel_lift: Option<f64>,
    /// Katz log interval of the relative lift; post-stratified or sequential: the delta
    /// method on the log ratio (a confidence sequence under `--sequential`).
    pub rel_lift_ci: Option<Interval>,
    /// Two-proportion z-test p-value (sequential: always-valid p-value).
    pub p_value: Option<f64>,
    /// Difference in revenue per visitor.
    pub rpv_diff: Option<f64>,
    /// Welch interval of that difference (sequential: the confidence sequence).
    pub rpv_diff_ci: Option<Interval>,
    /// Welch t-test p-value (sequential: always-valid p-value).
    pub rpv_p_value: Option<f64>,
    /// The CUPED estimate, with `--cuped` (`null` without).
    pub cuped: Option<CupedComparison>,
}

/// Outcome of the sample-ratio-mismatch check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SrmStatus {
    /// The split matches the configuration.
    Pass,
    /// It does not: every other number of the unit is suspect.
    Fail,
    /// It could not be checked (`reason` says why).
    Unchecked,
}

/// The sample-ratio-mismatch check of one unit.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Srm {
    /// Pass, fail or unchecked.
    pub status: SrmStatus,
    /// Chi-square statistic.
    pub chi2: Option<f64>,
    /// Degrees of freedom.
    pub df: Option<u32>,
    /// p-value.
    pub p: Option<f64>,
    /// Why it was not checked, or what failed.
    pub reason: Option<String>,
}

impl UnitReport {
    /// Each context of a bandit experiment as a unit of its own (named `KEY · CONTEXT`), for
    /// the renderers; empty for other units.
    pub fn context_units(&self) -> Vec<UnitReport> {
        let Some(a) = &self.allocation else {
            return Vec::new();
        };
        a.contexts
            .iter()
            .map(|c| UnitReport {
                kind: self.kind,
                name: format!("{} · {}", self.name, c.context),
                control: self.control.clone(),
                arms: c.arms.clone(),
                comparisons: c.comparisons.clone(),
                srm: c.srm.clone(),
                crossovers: 0,
                unexposed_conversions: 0,
                mismatched_conversions: 0,
                allocation: None,
            })
            .collect()
    }

    /// The sentence saying how a bandit's lift was computed, if it is one.
    pub fn allocation_note(&self) -> Option<String> {
        self.allocation.as_ref().map(|a| {
            let left = if a.unplaced > 0 {
                format!("; {} visitor(s) placed before the input are left out of the lift and the split check", a.unplaced)
            } else {
                String::new()
            };
            let reading = match self.comparisons.first().map(|c| c.interval) {
                Some(Intervals::Sequential) => {
                    "; intervals: 95% confidence sequences of the post-stratified estimate"
                }
                _ => "; intervals: 95% fixed-horizon (normal) intervals of the post-stratified estimate",
            };
            let cuped = if self.comparisons.iter().any(|c| c.cuped.is_some()) {
                "; CUPED adjusted within the periods (one coefficient fitted within them)"
            } else {
                ""
            };
            format!(
                "weights moved (bandit): lift {} over {} period(s){reading}{cuped}, split checked against the weights live at each visitor's first exposure{left}",
                a.method.trim_end_matches(" (bandit)"),
                a.strata
            )
        })
    }
}

impl Srm {
    pub(crate) fn unchecked(reason: impl Into<String>) -> Self {
        Srm {
            status: SrmStatus::Unchecked,
            chi2: None,
            df: None,
            p: None,
            reason: Some(reason.into()),
        }
    }
}
