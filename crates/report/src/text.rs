//! The terminal table. A failed sample-ratio check is printed first and framed, so it cannot
//! be missed; events without a visitor and unattributed conversions are listed after the
//! numbers they were kept out of. The kind of interval shown (fixed-horizon or sequential)
//! and what it allows a reader to do is said once, above the tables ([`interval_note`]).

use std::fmt::Write;

use super::aggregate::Kind;
use super::analyze::{
    Against, Comparison, CupedComparison, Estimator, Intervals, Report, SrmStatus, UnitReport,
};
use super::stats::Interval;

/// Renders the report as plain text.
pub fn render(report: &Report) -> String {
    let mut out = String::new();
    let failed: Vec<&str> = report
        .units
        .iter()
        .filter(|u| u.srm.status == SrmStatus::Fail)
        .map(|u| u.name.as_str())
        .collect();
    if !failed.is_empty() {
        let bar = "!".repeat(78);
        let _ = writeln!(out, "{bar}\n!! SAMPLE RATIO MISMATCH in {}: the split of visitors is not the configured one.\n!! Do not act on these numbers; find the cause first (docs/marketers.md#reading-the-report).\n{bar}\n", failed.join(", "));
    }
    summary(&mut out, report);
    for line in interval_note(report) {
        let _ = writeln!(out, "{line}");
    }
    out.push('\n');
    for unit in &report.units {
        unit_table(&mut out, unit, report.intervals);
        for context in unit.context_units() {
            unit_table(&mut out, &context, report.intervals);
        }
    }
    out
}

/// What the intervals of `report` are and how to read them, in a marketer's words (the HTML
/// page prints the same sentences).
pub fn interval_note(report: &Report) -> Vec<String> {
    let mut lines = vec![match (report.intervals, report.sequential_tuning) {
        (Intervals::Sequential, tuning) => format!(
            "Intervals: SEQUENTIAL 95% (always valid; narrowest near {} visitors per comparison). Read them every day if you like: the chance that one ever excludes the true lift is at most 5%, however often you look. Stop as soon as one excludes 0. Relative lifts have sequences too (of the ratio of the rates).",
            tuning.map_or("?".to_owned(), |t| format!("{t:.0}"))
        ),
        (Intervals::FixedHorizon, _) => "Intervals: FIXED-HORIZON 95% (valid when read once, at the number of visitors planned in advance). Reading them every day and stopping at the first that excludes 0 finds false wins: use --sequential to read daily.".to_owned(),
    }];
    if report.cuped {
        lines.push("CUPED: each comparison also shows a lift adjusted for the visits and product views visitors had before their first exposure (same lift, less noise; \"variance\" says how much noise was removed); its interval is of the same kind as the plain one.".to_owned());
    }
    lines
}

fn summary(out: &mut String, r: &Report) {
    let i = &r.input;
    let _ = writeln!(
        out,
        "{} events read ({} outside the window, {} bad line(s), {} other line(s) skipped); goal: {}; weights: {}",
        i.events,
        i.outside_window,
        i.bad_lines,
        i.skipped_lines,
        r.goal.as_deref().unwrap_or("any conversion"),
        r.snapshot.as_deref().map_or("none (SRM unchecked)".to_owned(), |s| format!("snapshot {s}")),
    );
    for b in &i.first_bad_lines {
        let _ = writeln!(out, "  bad line {}: {}", b.line, b.reason);
    }
    if i.bad_lines > i.first_bad_lines.len() {
        let _ = writeln!(
            out,
            "  … and {} more",
            i.bad_lines - i.first_bad_lines.len()
        );
    }
    out.push('\n');
}

fn unit_table(out: &mut String, u: &UnitReport, intervals: Intervals) {
    let ci = match intervals {
        Intervals::FixedHorizon => "95% CI",
        Intervals::Sequential => "95% CS",
    };
    let kind = match u.kind {
        Kind::Experiment => "experiment",
        Kind::Campaign => "campaign",
    };
    let srm = match u.srm.status {
        SrmStatus::Pass => format!("SRM ok (p = {})", p(u.srm.p)),
        SrmStatus::Fail => format!("*** SRM FAILED (p = {}) ***", p(u.srm.p)),
        SrmStatus::Unchecked => format!("SRM unchecked: {}", u.srm.reason.as_deref().unwrap_or("")),
    };
    let control = u
        .control
        .as_deref()
        .map_or(String::new(), |c| format!("  control: {c}"));
    let kind = if u.name.contains(" · ") {
        "context of"
    } else {
        kind
    };
    let _ = writeln!(out, "{kind} {}{control}  {srm}", u.name);
    if let Some(note) = u.allocation_note() {
        let _ = writeln!(out, "  {note}");
    }
    let _ = writeln!(
        out,
        "  {:<16} {:>9} {:>9} {:>8}  {:<17} {:>10} {:>9} {:>9}",
        "arm", "visitors", "convert", "rate", "95% CI", "rev/visit", "share", "expected"
    );
    for a in &u.arms {
        let _ = writeln!(
            out,
            "  {:<16} {:>9} {:>9} {:>8}  {:<17} {:>10} {:>9} {:>9}",
            clip(&a.arm, 16),
            a.visitors,
            a.converters,
            pct(a.rate),
            ci_pct(a.rate_ci),
            money(a.revenue_per_visitor),
            pct(a.observed_share),
            pct(a.expected_share),
        );
    }
    if !u.comparisons.is_empty() {
        let _ = writeln!(
            out,
            "  {:<28} {:>9}  {:<19} {:>8}  {:<17} {:>8}  {:>9}  {:<19} {:>8}",
            "lift", "abs", ci, "rel", ci, "p", "rev/visit", ci, "p"
        );
        for c in &u.comparisons {
            comparison(out, c);
            if let Some(cuped) = &c.cuped {
                cuped_row(out, cuped, c.estimator);
            }
        }
    }
    notes(out, u);
    out.push('\n');
}

fn comparison(out: &mut String, c: &Comparison) {
    let against = match c.against {
        Against::Control => "control",
        Against::Holdout => "holdout",
    };
    let label = format!(
        "{} vs {} ({against})",
        clip(&c.arm, 10),
        clip(&c.baseline, 10)
    );
    let _ = writeln!(
        out,
        "  {:<28} {:>9}  {:<19} {:>8}  {:<17} {:>8}  {:>9}  {:<19} {:>8}",
        label,
        pts(c.abs_lift),
        ci_pts(c.abs_lift_ci),
        signed_pct(c.rel_lift),
        ci_signed_pct(c.rel_lift_ci),
        p(c.p_value),
        signed_money(c.rpv_diff),
        ci_money(c.rpv_diff_ci),
        p(c.rpv_p_value),
    );
}

fn cuped_row(out: &mut String, c: &CupedComparison, estimator: Estimator) {
    if let (None, None, Some(why)) = (c.abs_lift, c.rpv_diff, &c.rate_fallback) {
        let _ = writeln!(out, "    CUPED not applied: {why}");
        return;
    }
    let _ = writeln!(
        out,
        "  {:<28} {:>9}  {:<19} {:>8}  {:<17} {:>8}  {:>9}  {:<19} {:>8}",
        match estimator {
            Estimator::ArmTotals => "  CUPED",
            Estimator::PostStratified => "  CUPED (in periods)",
        },
        pts(c.abs_lift),
        ci_pts(c.abs_lift_ci),
        signed_pct(c.rel_lift),
        ci_signed_pct(c.rel_lift_ci),
        p(c.p_value),
        signed_money(c.rpv_diff),
        ci_money(c.rpv_diff_ci),
        p(c.rpv_p_value),
    );
    let reduction = |r: Option<f64>, fallback: &Option<String>| match (r, fallback) {
        (Some(r), _) => format!("{:.0}% less variance", r * 100.0),
        (None, Some(why)) => format!("not adjusted: {why}"),
        (None, None) => "not adjusted".to_owned(),
    };
    let _ = writeln!(
        out,
        "    rate: {}; rev/visit: {}; covariate known for {:.0}% of visitors",
        reduction(c.variance_reduction, &c.rate_fallback),
        reduction(c.rpv_variance_reduction, &c.rpv_fallback),
        c.covered * 100.0
    );
}

fn notes(out: &mut String, u: &UnitReport) {
    let anon: (u64, u64) = u.arms.iter().fold((0, 0), |acc, a| {
        (
            acc.0 + a.anonymous.exposures,
            acc.1 + a.anonymous.conversions,
        )
    });
    if anon != (0, 0) {
        let _ = writeln!(out, "  without a visitor (aggregate only, not in the lift): {} exposure(s), {} conversion(s)", anon.0, anon.1);
    }
    if u.crossovers > 0 {
        let _ = writeln!(
            out,
            "  {} visitor(s) seen in more than one arm (kept in their first)",
            u.crossovers
        );
    }
    if u.unexposed_conversions + u.mismatched_conversions > 0 {
        let _ = writeln!(out, "  not attributed: {} conversion(s) from visitors not exposed in the input, {} carrying another arm", u.unexposed_conversions, u.mismatched_conversions);
    }
    if let (SrmStatus::Fail, Some(reason)) = (u.srm.status, &u.srm.reason) {
        let _ = writeln!(out, "  !! {reason}");
    }
}

fn clip(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_owned()
    } else {
        let mut c: String = s.chars().take(n - 1).collect();
        c.push('…');
        c
    }
}

/// A rate as a percentage, `–` when undefined.
pub fn pct(x: Option<f64>) -> String {
    x.map_or("–".into(), |x| format!("{:.2}%", x * 100.0))
}

fn signed_pct(x: Option<f64>) -> String {
    x.map_or("–".into(), |x| format!("{:+.1}%", x * 100.0))
}

fn pts(x: Option<f64>) -> String {
    x.map_or("–".into(), |x| format!("{:+.2}pt", x * 100.0))
}

fn money(x: Option<f64>) -> String {
    x.map_or("–".into(), |x| format!("{x:.2}"))
}

fn signed_money(x: Option<f64>) -> String {
    x.map_or("–".into(), |x| format!("{x:+.2}"))
}

/// A p-value with enough digits to read, `–` when undefined.
pub fn p(x: Option<f64>) -> String {
    match x {
        None => "–".into(),
        Some(x) if x < 0.0001 => format!("{x:.1e}"),
        Some(x) => format!("{x:.4}"),
    }
}

/// A rate interval as percentages.
pub fn ci_pct(ci: Option<Interval>) -> String {
    ci.map_or("–".into(), |c| {
        format!("[{:.2}, {:.2}]%", c.low * 100.0, c.high * 100.0)
    })
}

fn ci_pts(ci: Option<Interval>) -> String {
    ci.map_or("–".into(), |c| {
        format!("[{:+.2}, {:+.2}]pt", c.low * 100.0, c.high * 100.0)
    })
}

fn ci_signed_pct(ci: Option<Interval>) -> String {
    ci.map_or("–".into(), |c| {
        format!("[{:+.0}, {:+.0}]%", c.low * 100.0, c.high * 100.0)
    })
}

fn ci_money(ci: Option<Interval>) -> String {
    ci.map_or("–".into(), |c| format!("[{:+.2}, {:+.2}]", c.low, c.high))
}
