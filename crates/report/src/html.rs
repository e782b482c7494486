//! `--html FILE`: one self-contained page (inline CSS and SVG, no external resource) that a
//! marketer can open or mail. Per unit: the SRM verdict, a chart of the conversion rate per
//! arm with its 95 % interval, and the numbers of the terminal table.
//!
//! Every string that came from events (experiment, campaign and arm names, bad-line reasons)
//! is HTML-escaped with the core's attribute escaper ([`vitrine_core::render::escape_attr`]), which is
//! also safe in text. The one inline script only counts the drawn bars into `data-bars` on
//! `<body>` (the browser test reads it); the page reads the same without it.

use std::fmt::Write;

use super::aggregate::Kind;
use super::analyze::{Against, ArmReport, Estimator, Intervals, Report, SrmStatus, UnitReport};
use super::text::{ci_pct, interval_note, p, pct};
use vitrine_core::render::escape_attr as esc;

const STYLE: &str = "body{font:15px/1.45 system-ui,sans-serif;margin:2rem auto;max-width:980px;color:#1d1d1f;padding:0 1rem}\
h1{font-size:1.5rem}h2{font-size:1.15rem;margin-top:2.2rem}table{border-collapse:collapse;margin:.6rem 0}\
td,th{padding:.25rem .6rem;white-space:nowrap;font-variant-numeric:tabular-nums;border-bottom:1px solid #ddd;text-align:right}td:first-child,th:first-child{text-align:left}\
.srm-fail{background:#b00020;color:#fff;padding:.8rem 1rem;font-weight:700;border-radius:6px}\
.srm-pass{color:#0a7d32}.srm-unchecked{color:#8a6d00}.note{color:#555;font-size:.9rem}\
svg .bar{fill:#4e79a7}svg .bar.holdout{fill:#9c9c9c}svg .ci{stroke:#1d1d1f;stroke-width:2}svg text{font:12px system-ui,sans-serif}";

const SCRIPT: &str = "document.body.dataset.bars=[...document.querySelectorAll('svg.chart rect.bar')].filter(r=>r.getBBox().height>0).length;";

/// Renders the report as a standalone HTML page.
pub fn render(report: &Report) -> String {
    let mut out = String::new();
    let _ = write!(out, "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>vitrine report</title><style>{STYLE}</style></head><body>\n<h1>vitrine report</h1>\n");
    let failed: Vec<String> = report
        .units
        .iter()
        .filter(|u| u.srm.status == SrmStatus::Fail)
        .map(|u| esc(&u.name))
        .collect();
    if !failed.is_empty() {
        let _ = writeln!(out, "<p class=\"srm-fail\" id=\"srm-alert\">Sample ratio mismatch in {}: the split of visitors is not the configured one. Do not act on these numbers until the cause is found.</p>", failed.join(", "));
    }
    input_summary(&mut out, report);
    for u in &report.units {
        unit(&mut out, u, ci_label(report));
    }
    let _ = write!(out, "<script>{SCRIPT}</script>\n</body></html>\n");
    out
}

fn input_summary(out: &mut String, r: &Report) {
    let i = &r.input;
    let _ = writeln!(
        out,
        "<p class=\"note\">{} events; {} outside the window; {} bad line(s); {} other line(s) skipped. Goal: {}. Weights: {}. Intervals: {:.0}%; SRM threshold p &lt; {}.</p>",
        i.events,
        i.outside_window,
        i.bad_lines,
        i.skipped_lines,
        esc(r.goal.as_deref().unwrap_or("any conversion")),
        esc(&r.snapshot.as_deref().map_or("none (SRM unchecked)".to_owned(), |s| format!("snapshot {s}"))),
        r.confidence * 100.0,
        r.srm_alpha,
    );
    for line in interval_note(r) {
        let _ = writeln!(out, "<p class=\"intervals\">{}</p>", esc(&line));
    }
    if !i.first_bad_lines.is_empty() {
        out.push_str("<ul class=\"note\">");
        for b in &i.first_bad_lines {
            let _ = write!(out, "<li>bad line {}: {}</li>", b.line, esc(&b.reason));
        }
        out.push_str("</ul>\n");
    }
}

/// The heading of an interval column: a confidence interval or a confidence sequence.
fn ci_label(report: &Report) -> &'static str {
    match report.intervals {
        Intervals::FixedHorizon => "95% CI",
        Intervals::Sequential => "95% CS",
    }
}

fn unit(out: &mut String, u: &UnitReport, ci: &str) {
    let kind = match u.kind {
        Kind::Experiment => "experiment",
        Kind::Campaign => "campaign",
    };
    let _ = writeln!(
        out,
        "<section class=\"unit\" data-kind=\"{kind}\" data-name=\"{}\">\n<h2>{kind} {}</h2>",
        esc(&u.name),
        esc(&u.name)
    );
    let (class, verdict) = match u.srm.status {
        SrmStatus::Pass => (
            "srm-pass",
            format!("Sample ratio check passed (p = {}).", p(u.srm.p)),
        ),
        SrmStatus::Fail => (
            "srm-fail",
            format!(
                "SAMPLE RATIO MISMATCH (p = {}): {}",
                p(u.srm.p),
                u.srm.reason.as_deref().unwrap_or("")
            ),
        ),
        SrmStatus::Unchecked => (
            "srm-unchecked",
            format!(
                "Sample ratio not checked: {}",
                u.srm.reason.as_deref().unwrap_or("")
            ),
        ),
    };
    let _ = writeln!(out, "<p class=\"{class}\">{}</p>", esc(&verdict));
    if let Some(note) = u.allocation_note() {
        let _ = writeln!(out, "<p class=\"allocation\">{}</p>", esc(&note));
    }
    chart(out, u);
    arms_table(out, u);
    lift_table(out, u, ci);
    for c in u.context_units() {
        let _ = writeln!(
            out,
            "<section class=\"context\" data-name=\"{}\">\n<h3>context {}</h3>",
            esc(&c.name),
            esc(&c.name)
        );
        let _ = writeln!(
            out,
            "<p class=\"{}\">split check: {}</p>",
            match c.srm.status {
                SrmStatus::Pass => "srm-pass",
                SrmStatus::Fail => "srm-fail",
                SrmStatus::Unchecked => "srm-unchecked",
            },
            esc(&format!(
                "p = {}{}",
                p(c.srm.p),
                c.srm
                    .reason
                    .as_deref()
                    .map_or(String::new(), |r| format!(": {r}"))
            ))
        );
        arms_table(out, &c);
        lift_table(out, &c, ci);
        out.push_str("</section>\n");
    }
    out.push_str("</section>\n");
}

/// Horizontal bars: one row per arm, the rate as a bar and its interval as a whisker.
fn chart(out: &mut String, u: &UnitReport) {
    const LABEL: f64 = 150.0;
    const WIDTH: f64 = 640.0;
    const ROW: f64 = 34.0;
    let top = u
        .arms
        .iter()
        .filter_map(|a| a.rate_ci.map(|c| c.high).or(a.rate))
        .fold(0.0f64, f64::max);
    let scale_max = if top > 0.0 {
        (top * 1.15).min(1.0)
    } else {
        0.1
    };
    let plot = WIDTH - LABEL - 90.0;
    let x = |v: f64| LABEL + (v / scale_max).clamp(0.0, 1.0) * plot;
    let height = ROW * u.arms.len() as f64 + 24.0;
    let _ = writeln!(out, "<svg class=\"chart\" role=\"img\" aria-label=\"conversion rate per arm\" width=\"{WIDTH}\" height=\"{height}\" viewBox=\"0 0 {WIDTH} {height}\" xmlns=\"http://www.w3.org/2000/svg\">");
    for (i, a) in u.arms.iter().enumerate() {
        bar(out, a, i as f64 * ROW + 6.0, &x, LABEL);
    }
    let axis_y = ROW * u.arms.len() as f64 + 16.0;
    let _ = writeln!(out, "<text x=\"{LABEL}\" y=\"{axis_y}\">0%</text><text x=\"{:.1}\" y=\"{axis_y}\" text-anchor=\"end\">{:.1}%</text></svg>", LABEL + plot, scale_max * 100.0);
}

fn bar(out: &mut String, a: &ArmReport, y: f64, x: &dyn Fn(f64) -> f64, label: f64) {
    let class = if a.arm == vitrine_core::decide::experiment::HOLDOUT {
        "bar holdout"
    } else {
        "bar"
    };
    let rate = a.rate.unwrap_or(0.0);
    let w = x(rate) - label;
    let name = esc(&a.arm);
    let _ = write!(out, "<g class=\"arm\" data-arm=\"{name}\"><text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{name}</text>", label - 8.0, y + 15.0);
    let _ = write!(out, "<rect class=\"{class}\" x=\"{label}\" y=\"{y:.1}\" width=\"{w:.1}\" height=\"20\"><title>{name}: {} {}</title></rect>", pct(a.rate), esc(&ci_pct(a.rate_ci)));
    if let Some(ci) = a.rate_ci {
        let (x1, x2, mid) = (x(ci.low), x(ci.high), y + 10.0);
        let _ = write!(out, "<line class=\"ci\" x1=\"{x1:.1}\" x2=\"{x2:.1}\" y1=\"{mid:.1}\" y2=\"{mid:.1}\"/><line class=\"ci\" x1=\"{x1:.1}\" x2=\"{x1:.1}\" y1=\"{:.1}\" y2=\"{:.1}\"/><line class=\"ci\" x1=\"{x2:.1}\" x2=\"{x2:.1}\" y1=\"{:.1}\" y2=\"{:.1}\"/>", mid - 6.0, mid + 6.0, mid - 6.0, mid + 6.0);
    }
    let value = if a.visitors == 0 {
        "no visitors".to_owned()
    } else {
        pct(a.rate)
    };
    let _ = writeln!(
        out,
        "<text x=\"{:.1}\" y=\"{:.1}\">{value}</text></g>",
        x(a.rate_ci.map_or(rate, |c| c.high)) + 6.0,
        y + 15.0
    );
}

fn arms_table(out: &mut String, u: &UnitReport) {
    out.push_str("<table class=\"arms\"><tr><th>arm</th><th>visitors</th><th>converting</th><th>rate</th><th>95% CI</th><th>revenue / visitor</th><th>share</th><th>expected</th><th>without visitor</th></tr>\n");
    for a in &u.arms {
        let control = if u.control.as_deref() == Some(a.arm.as_str()) {
            " (control)"
        } else {
            ""
        };
        let _ = writeln!(
            out,
            "<tr><td>{}{control}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{} exp. / {} conv.</td></tr>",
            esc(&a.arm), a.visitors, a.converters, pct(a.rate), esc(&ci_pct(a.rate_ci)),
            a.revenue_per_visitor.map_or("–".into(), |v| format!("{v:.2}")),
            pct(a.observed_share), pct(a.expected_share), a.anonymous.exposures, a.anonymous.conversions,
        );
    }
    out.push_str("</table>\n");
}

fn lift_table(out: &mut String, u: &UnitReport, head: &str) {
    if u.comparisons.is_empty() {
        return;
    }
    let _ = writeln!(out, "<table class=\"lift\"><tr><th>comparison</th><th>absolute lift</th><th>{head}</th><th>relative lift</th><th>{head}</th><th>p-value</th><th>revenue / visitor Δ</th><th>{head}</th><th>p-value</th></tr>");
    for c in &u.comparisons {
        let against = match c.against {
            Against::Control => "control",
            Against::Holdout => "holdout",
        };
        let f = |v: Option<f64>, k: f64, unit: &str| {
            v.map_or("–".into(), |v| format!("{:+.2}{unit}", v * k))
        };
        let ci = |v: Option<super::stats::Interval>, k: f64, unit: &str| {
            v.map_or("–".into(), |c| {
                format!("[{:+.2}, {:+.2}]{unit}", c.low * k, c.high * k)
            })
        };
        let _ = writeln!(
            out,
            "<tr><td>{} vs {} ({against})</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&c.arm), esc(&c.baseline),
            f(c.abs_lift, 100.0, " pt"), ci(c.abs_lift_ci, 100.0, " pt"),
            f(c.rel_lift, 100.0, "%"), ci(c.rel_lift_ci, 100.0, "%"), p(c.p_value),
            f(c.rpv_diff, 1.0, ""), ci(c.rpv_diff_ci, 1.0, ""), p(c.rpv_p_value),
        );
        if let Some(k) = &c.cuped {
            let reduction = |r: Option<f64>, why: &Option<String>| match (r, why) {
                (Some(r), _) => format!("{:.0}% less variance", r * 100.0),
                (None, Some(why)) => format!("not adjusted: {why}"),
                (None, None) => "not adjusted".to_owned(),
            };
            let within = match c.estimator {
                Estimator::ArmTotals => "",
                Estimator::PostStratified => " within periods",
            };
            let _ = writeln!(
                out,
                "<tr class=\"cuped\"><td>CUPED{within}, covariate for {:.0}% of visitors; rate: {}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                k.covered * 100.0,
                esc(&reduction(k.variance_reduction, &k.rate_fallback)),
                f(k.abs_lift, 100.0, " pt"), ci(k.abs_lift_ci, 100.0, " pt"),
                f(k.rel_lift, 100.0, "%"), ci(k.rel_lift_ci, 100.0, "%"), p(k.p_value),
                f(k.rpv_diff, 1.0, ""), ci(k.rpv_diff_ci, 1.0, ""),
                esc(&format!("{} ({})", p(k.rpv_p_value), reduction(k.rpv_variance_reduction, &k.rpv_fallback))),
            );
        }
    }
    out.push_str("</table>\n");
}
