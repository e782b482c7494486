//! `vitrine optimize`'s arithmetic: from a bandit experiment's tallies per context to each
//! arm's posterior, its probability of being best, and the new weights (Thompson sampling with
//! an exploration floor), behind the guardrails. Files are the CLI's business; this module
//! only computes, so every number it prints can be tested.
//!
//! **Posteriors.** For `optimize = "rate"` each arm's conversion rate is
//! `Beta(1 + converters, 1 + visitors − converters)` (a uniform prior updated by the visitors
//! counted as the report counts them). For `optimize = "value"` the value per visitor is a mean
//! over visitors whose individual values are heavy-tailed (mostly 0, a few orders): its
//! posterior is taken as `Normal(mean, s² / n)`, the large-sample (Bernstein–von Mises)
//! posterior of a mean under a flat prior, which the minimum-sample guardrail makes
//! applicable; a conjugate model would have to assume a distribution for order values that
//! shops do not follow.
//!
//! **Weights.** `P(best)` of each arm is estimated from `DRAWS` joint draws of the posteriors
//! (ties shared), from a ChaCha8 stream seeded by the `--seed`, the experiment key and the
//! context, so a run is reproducible and contexts are independent. With floor `f` (the share
//! `min_share_bp` of the arms' traffic) and `k` arms, arm `i` gets `f + (1 − k·f) · P(best)ᵢ`
//! of the arms' traffic, written as basis points summing to 10 000 (largest remainder). That
//! is Thompson sampling's allocation (each visitor's arm drawn from the posterior) with every
//! arm kept at the floor so the bandit never stops learning.
//!
//! **Guardrails.** A context keeps its weights when the experiment fails the sample-ratio
//! check over its strata (the counts are suspect), when an arm has fewer visitors than the
//! minimum, or when rounding would put an arm under the floor; the plan says which.

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Beta as BetaDist, Distribution, Normal};
use serde::Serialize;
use statrs::distribution::{Beta, ContinuousCDF};

pub use super::aggregate::{parse_split, strata_srm};
use super::aggregate::{ArmTally, UnitTally};
use super::stats::{z_critical, GoodnessOfFit, Interval};
use vitrine_core::decide::experiment::{BUCKETS, EVERYONE_ELSE, HOLDOUT};

/// Joint posterior draws per context for `P(best)`.
pub const DRAWS: usize = 20_000;

/// Default minimum visitors per arm and context before a context is reweighted.
pub const MIN_VISITORS: u64 = 100;

/// What a bandit optimizes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Metric {
    /// Conversion rate of the goal.
    Rate,
    /// Goal value per visitor.
    Value,
}

/// A bandit experiment as its campaign file declares it.
#[derive(Debug, Clone, PartialEq)]
pub struct Bandit {
    /// Experiment key.
    pub key: String,
    /// Arm names in order.
    pub arms: Vec<String>,
    /// Contexts: the listed ones, then [`EVERYONE_ELSE`].
    pub contexts: Vec<String>,
    /// What to optimize.
    pub metric: Metric,
    /// The floor, in basis points of the arms' traffic.
    pub min_share_bp: u16,
    /// Current weights per context (same order as `contexts`), one per arm.
    pub current: Vec<Vec<u32>>,
}

/// Guardrail settings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Guard {
    /// Fewer visitors than this in any arm of a context keeps its weights.
    pub min_visitors: u64,
    /// A sample-ratio p-value below this keeps every weight of the experiment.
    pub srm_alpha: f64,
    /// Joint posterior draws per context ([`DRAWS`] by default).
    pub draws: usize,
}

impl Default for Guard {
    fn default() -> Self {
        Guard {
            min_visitors: MIN_VISITORS,
            srm_alpha: super::analyze::SRM_ALPHA,
            draws: DRAWS,
        }
    }
}

/// One arm in one context.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ArmSummary {
    /// Arm name.
    pub arm: String,
    /// Visitors counted.
    pub visitors: u64,
    /// Converting visitors.
    pub converters: u64,
    /// Posterior mean (rate, or value per visitor).
    pub mean: f64,
    /// 95 % posterior interval.
    pub interval: Option<Interval>,
    /// Probability of being the best arm.
    pub p_best: f64,
    /// Share of the arms' traffic now, in basis points.
    pub current_bp: u32,
    /// Share after this run, in basis points.
    pub new_bp: u32,
}

/// What happens to one context's weights.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "lowercase", tag = "outcome", content = "reason")]
pub enum Outcome {
    /// New weights are written.
    Reweight,
    /// The weights stay: why.
    Keep(String),
}

/// One context's plan.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ContextPlan {
    /// Segment name or `everyone_else`.
    pub context: String,
    /// Per arm.
    pub arms: Vec<ArmSummary>,
    /// Reweighted or kept.
    pub outcome: Outcome,
    /// The weights to write (the current ones when kept), one per arm.
    pub weights: Vec<u32>,
}

/// One experiment's plan.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Plan {
    /// Experiment key.
    pub key: String,
    /// What was optimized.
    pub metric: Metric,
    /// The sample-ratio check over strata, when any exposure logged its split.
    pub srm: Option<GoodnessOfFit>,
    /// Per context.
    pub contexts: Vec<ContextPlan>,
}

/// One arm's posterior sampler.
type Sampler = Box<dyn Fn(&mut ChaCha8Rng) -> f64>;

/// The plan for one bandit experiment from its tallies (aggregated with the bandit's goal);
/// `unit` is `None` when the input has no exposure to it.
pub fn plan(b: &Bandit, unit: Option<&UnitTally>, guard: &Guard, seed: u64) -> Plan {
    let srm = unit.and_then(strata_srm);
    let srm_failed = srm.is_some_and(|g| g.p < guard.srm_alpha);
    let contexts = b
        .contexts
        .iter()
        .enumerate()
        .map(|(i, context)| {
            let current = b.current.get(i).cloned().unwrap_or_default();
            let tallies = context_tallies(b, unit, context);
            let mut rng = ChaCha8Rng::seed_from_u64(seed ^ fnv(&b.key) ^ fnv(context).rotate_left(17));
            let p_best = p_best(b.metric, &tallies, &mut rng, guard.draws.max(1));
            let proposed = thompson_weights(&p_best, b.min_share_bp);
            let outcome = if srm_failed {
                Outcome::Keep(format!(
                    "sample ratio mismatch (p = {:.2e} < {}): fix the split before learning from it",
                    srm.map_or(0.0, |g| g.p),
                    guard.srm_alpha
                ))
            } else if let Some(t) = tallies.iter().find(|t| t.visitors < guard.min_visitors) {
                Outcome::Keep(format!(
                    "below the minimum sample: `{}` has {} visitors here, {} needed",
                    t.arm, t.visitors, guard.min_visitors
                ))
            } else if proposed.is_none() {
                Outcome::Keep(format!(
                    "the floor min_share_bp = {} cannot hold for {} arms",
                    b.min_share_bp,
                    b.arms.len()
                ))
            } else {
                Outcome::Reweight
            };
            let weights = match (&outcome, proposed) {
                (Outcome::Reweight, Some(w)) => w,
                _ => current.clone(),
            };
            let arms = tallies
                .iter()
                .zip(&p_best)
                .enumerate()
                .map(|(a, (t, p))| {
                    let (mean, interval) = posterior(b.metric, t);
                    ArmSummary {
                        arm: t.arm.clone(),
                        visitors: t.visitors,
                        converters: t.converters,
                        mean,
                        interval,
                        p_best: *p,
                        current_bp: share_bp(&current, a),
                        new_bp: share_bp(&weights, a),
                    }
                })
                .collect();
            ContextPlan {
                context: context.clone(),
                arms,
                outcome,
                weights,
            }
        })
        .collect();
    Plan {
        key: b.key.clone(),
        metric: b.metric,
        srm,
        contexts,
    }
}

/// The arms' tallies in `context`, summed over its strata, in arm order (holdout excluded).
fn context_tallies(b: &Bandit, unit: Option<&UnitTally>, context: &str) -> Vec<ArmTally> {
    b.arms
        .iter()
        .map(|arm| {
            let mut t = ArmTally {
                arm: arm.clone(),
                ..ArmTally::default()
            };
            let strata = unit.iter().flat_map(|u| &u.strata);
            for s in strata.filter(|s| s.context == context) {
                if let Some(a) = s.arms.iter().find(|a| a.arm == *arm && a.arm != HOLDOUT) {
                    t.visitors += a.visitors;
                    t.converters += a.converters;
                    t.conversions += a.conversions;
                    t.revenue.merge(&a.revenue);
                }
            }
            t
        })
        .collect()
}

/// Posterior mean and 95 % interval of one arm.
pub fn posterior(metric: Metric, t: &ArmTally) -> (f64, Option<Interval>) {
    match metric {
        Metric::Rate => {
            let (a, b) = beta_params(t);
            let mean = a / (a + b);
            let interval = Beta::new(a, b).ok().map(|d| Interval {
                low: d.inverse_cdf(0.025),
                high: d.inverse_cdf(0.975),
            });
            (mean, interval)
        }
        Metric::Value => {
            let mean = t.revenue.mean;
            let interval = value_sd(t).map(|sd| {
                let z = z_critical();
                Interval {
                    low: mean - z * sd,
                    high: mean + z * sd,
                }
            });
            (mean, interval)
        }
    }
}

fn beta_params(t: &ArmTally) -> (f64, f64) {
    let x = t.converters.min(t.visitors) as f64;
    (1.0 + x, 1.0 + t.visitors as f64 - x)
}

/// Standard deviation of the value-per-visitor posterior (`s / √n`).
fn value_sd(t: &ArmTally) -> Option<f64> {
    let v = t.revenue.variance()?;
    Some((v / t.revenue.n as f64).sqrt())
}

/// `P(best)` per arm from `draws` joint posterior draws (ties shared).
fn p_best(metric: Metric, tallies: &[ArmTally], rng: &mut ChaCha8Rng, draws: usize) -> Vec<f64> {
    let k = tallies.len();
    if k == 0 {
        return Vec::new();
    }
    let sampler: Vec<Sampler> = tallies
        .iter()
        .map(|t| -> Sampler {
            match metric {
                Metric::Rate => {
                    let (a, b) = beta_params(t);
                    match BetaDist::new(a, b) {
                        Ok(d) => Box::new(move |r| d.sample(r)),
                        Err(_) => Box::new(move |_| a / (a + b)),
                    }
                }
                Metric::Value => {
                    let mean = t.revenue.mean;
                    match value_sd(t).and_then(|sd| Normal::new(mean, sd).ok()) {
                        Some(d) => Box::new(move |r| d.sample(r)),
                        None => Box::new(move |_| mean),
                    }
                }
            }
        })
        .collect();
    let mut wins = vec![0.0; k];
    let mut draw = vec![0.0; k];
    for _ in 0..draws {
        for (d, s) in draw.iter_mut().zip(&sampler) {
            *d = s(rng);
        }
        let best = draw.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let tied = draw.iter().filter(|d| **d == best).count() as f64;
        for (w, d) in wins.iter_mut().zip(&draw) {
            if *d == best {
                *w += 1.0 / tied;
            }
        }
    }
    wins.iter().map(|w| w / draws as f64).collect()
}

/// Weights in basis points of the arms' traffic: `f + (1 − k·f) · P(best)`, summing to
/// 10 000 by largest remainder; `None` when the floor cannot hold for `k` arms.
pub fn thompson_weights(p_best: &[f64], min_share_bp: u16) -> Option<Vec<u32>> {
    let k = p_best.len();
    let floor = u64::from(min_share_bp);
    if k == 0 || floor * k as u64 > u64::from(BUCKETS) {
        return None;
    }
    let spare = f64::from(BUCKETS) - (floor * k as u64) as f64;
    let exact: Vec<f64> = p_best
        .iter()
        .map(|p| floor as f64 + spare * p.clamp(0.0, 1.0))
        .collect();
    let mut out: Vec<u32> = exact.iter().map(|x| x.floor() as u32).collect();
    let mut short = i64::from(BUCKETS) - out.iter().map(|w| i64::from(*w)).sum::<i64>();
    let mut order: Vec<usize> = (0..k).collect();
    order.sort_by(|a, b| {
        let (ra, rb) = (exact[*a] - exact[*a].floor(), exact[*b] - exact[*b].floor());
        rb.total_cmp(&ra).then(a.cmp(b))
    });
    for i in order.iter().cycle().take(k * 2) {
        if short <= 0 {
            break;
        }
        out[*i] += 1;
        short -= 1;
    }
    // Rounding may leave one basis point too many where P(best) summed over 1 by float error.
    while short < 0 {
        let i = (0..k).max_by_key(|i| out[*i])?;
        out[i] -= 1;
        short += 1;
    }
    let ok = out.iter().all(|w| u64::from(*w) >= floor)
        && out.iter().map(|w| u64::from(*w)).sum::<u64>() == u64::from(BUCKETS);
    ok.then_some(out)
}

/// Arm `i`'s share of the weights, in basis points (rounded).
fn share_bp(weights: &[u32], i: usize) -> u32 {
    let total: u64 = weights.iter().map(|w| u64::from(*w)).sum();
    match (weights.get(i), total) {
        (Some(w), t) if t > 0 => ((u64::from(*w) * 10_000 + t / 2) / t) as u32,
        _ => 0,
    }
}

/// FNV-1a, to spread the seed over experiments and contexts (stable across platforms).
fn fnv(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// The contexts of a bandit: `listed`, then [`EVERYONE_ELSE`].
pub fn contexts(listed: &[String]) -> Vec<String> {
    listed
        .iter()
        .cloned()
        .chain([EVERYONE_ELSE.to_owned()])
        .collect()
}

/// The plans as text: per experiment and context, the posterior table and the outcome.
pub fn render(plans: &[Plan], seed: u64) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "vitrine optimize (seed {seed}; {DRAWS} posterior draws per context)"
    );
    for p in plans {
        let what = match p.metric {
            Metric::Rate => "conversion rate",
            Metric::Value => "value per visitor",
        };
        let _ = writeln!(out, "\nexperiment {} — optimizing {what}", p.key);
        match &p.srm {
            Some(g) => {
                let _ = writeln!(
                    out,
                    "  split check over allocation periods: chi2 = {:.2}, df = {}, p = {:.3}",
                    g.chi2, g.df, g.p
                );
            }
            None => {
                let _ = writeln!(out, "  split check: no exposure logged its split yet");
            }
        }
        for c in &p.contexts {
            let _ = writeln!(out, "  context {}", c.context);
            let _ = writeln!(
                out,
                "    {:<16} {:>9} {:>10} {:>10} {:>23} {:>8} {:>7} {:>7}",
                "arm", "visitors", "converters", "mean", "95% interval", "P(best)", "now", "next"
            );
            for a in &c.arms {
                let interval = a.interval.map_or("—".to_owned(), |i| {
                    format!("[{}, {}]", num(i.low, p.metric), num(i.high, p.metric))
                });
                let _ = writeln!(
                    out,
                    "    {:<16} {:>9} {:>10} {:>10} {:>23} {:>7.1}% {:>6.1}% {:>6.1}%",
                    a.arm,
                    a.visitors,
                    a.converters,
                    num(a.mean, p.metric),
                    interval,
                    a.p_best * 100.0,
                    f64::from(a.current_bp) / 100.0,
                    f64::from(a.new_bp) / 100.0
                );
            }
            match &c.outcome {
                Outcome::Reweight => {
                    let _ = writeln!(out, "    → new weights");
                }
                Outcome::Keep(why) => {
                    let _ = writeln!(out, "    → weights kept: {why}");
                }
            }
        }
    }
    out
}

fn num(x: f64, metric: Metric) -> String {
    match metric {
        Metric::Rate => format!("{:.2}%", x * 100.0),
        Metric::Value => format!("{x:.2}"),
    }
}

#[cfg(test)]
mod tests;
