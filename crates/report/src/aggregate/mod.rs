//! Events → per-unit, per-arm visitor counts. A *unit* is an experiment or a campaign.
//!
//! **Visitors are the unit of analysis.** An exposed visitor is a pseudonym with an exposure
//! in the unit; their arm is the arm of their earliest exposure (the edge keeps assignments
//! sticky, so a later different arm means the configuration changed: such visitors are counted
//! as `crossovers` and stay in their first arm). A converting visitor is an exposed visitor
//! with at least one conversion whose `assignments` (experiments) or `campaigns` (campaigns)
//! carry that unit *and the same arm*; their revenue is the sum of those conversions' values.
//! Conversions that carry a unit but whose visitor has no exposure in the input (exposed
//! before the window) or carries another arm are counted, never attributed.
//!
//! A conversion marked `global_holdout` also counts for every unit where its visitor was
//! exposed as `holdout` and that its maps do not name (the edge does not write the global
//! holdout into the cookie as an arm).
//!
//! **The pre-exposure covariate** (`pre`, for `--cuped`) is taken from the visitor's earliest
//! exposure in the unit only: the edge writes it on a first exposure, so an earliest exposure
//! without it means the real first one was before the window (or before the edge wrote it),
//! and any later one would carry counts the treatment may have moved already.
//!
//! **Events without a visitor** (no consent) cannot be deduplicated or joined, so they are
//! tallied per arm in aggregate only and never enter a rate, an interval or the SRM check.
//!
//! **Bandit strata.** An exposure to a bandit experiment names the visitor's `context` and,
//! when it placed them, the `split` then live. Each visitor also counts in the stratum
//! (context, split) of their earliest exposure, so the report can check the split against the
//! weights live at first exposure and weight the lift by allocation period, and `vitrine
//! optimize` can learn per context. A visitor whose earliest exposure in the input carries a
//! context but no split was placed before the input starts: their stratum has no split.
//!
//! **Campaign arms** are `shown` and `holdout`. An exposure that names both an experiment and
//! a campaign counts for the campaign as `shown` unless its arm is `holdout`; a held-out one
//! counts as the campaign's `holdout` only for global-holdout visitors (an experiment's own
//! holdout is that experiment's control, not the campaign's).

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;

use super::stats::strata::{srm_strata, Placed};
use super::stats::{GoodnessOfFit, Sample};
use vitrine_core::decide::experiment::HOLDOUT;
use vitrine_core::measure::events::{Conversion, Event, ExposureEvent, Pre, SHOWN};

/// Which events count.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    /// Only conversions with this name (all names when `None`).
    pub goal: Option<String>,
    /// Only events at or after this Unix time.
    pub since: Option<u64>,
    /// Only events before this Unix time.
    pub until: Option<u64>,
}

/// Experiment or campaign.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// An experiment: arms plus its holdout.
    Experiment,
    /// A campaign: `shown` against the global `holdout`.
    Campaign,
}

/// One arm's tallies.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ArmTally {
    /// Arm name.
    pub arm: String,
    /// Exposed visitors.
    pub visitors: u64,
    /// Exposed visitors with an attributed conversion.
    pub converters: u64,
    /// Attributed conversion events (a visitor may convert more than once).
    pub conversions: u64,
    /// Revenue per exposed visitor (0 for visitors without attributed value).
    pub revenue: Sample,
    /// ExposureEvent events without a visitor.
    pub anonymous_exposures: u64,
    /// Conversion events without a visitor carrying this arm.
    pub anonymous_conversions: u64,
    /// Their summed value.
    pub anonymous_value: f64,
    /// Each exposed visitor's outcome and covariate, in visitor order (for `--cuped`).
    pub outcomes: Vec<Outcome>,
}

/// One exposed visitor of an arm.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Outcome {
    /// They had an attributed conversion.
    pub converted: bool,
    /// Their attributed value (0 without).
    pub value: f64,
    /// The covariate of their earliest exposure in the unit, if it carried one.
    pub pre: Option<Pre>,
}

/// The visitors of one bandit context placed under one split (see the module docs).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Stratum {
    /// Segment name or `everyone_else`.
    pub context: String,
    /// The split that placed them, `None` when they were placed before the input starts.
    pub split: Option<String>,
    /// Per arm, in the order of [`UnitTally::arms`] (exposed-visitor counts, converters,
    /// conversions, revenue and outcomes are filled; anonymous counts are not).
    pub arms: Vec<ArmTally>,
}

/// One unit's tallies.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct UnitTally {
    /// Arms in order of first exposure.
    pub arms: Vec<ArmTally>,
    /// Bandit experiments: the visitors again, by (context, split) of their first exposure,
    /// in order of first appearance; empty for other units.
    pub strata: Vec<Stratum>,
    /// Visitors seen in more than one arm (kept in their first).
    pub crossovers: u64,
    /// Conversions carrying the unit from visitors with no exposure in the input.
    pub unexposed_conversions: u64,
    /// Conversions carrying another arm than the visitor's exposure.
    pub mismatched_conversions: u64,
    /// Some exposure also named an experiment (campaigns only).
    pub via_experiment: bool,
}

/// Everything counted from the input.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Tally {
    /// Experiments and campaigns.
    pub units: BTreeMap<(Kind, String), UnitTally>,
    /// Events inside the window.
    pub events: u64,
    /// Events outside the window.
    pub outside_window: u64,
    /// Conversion events per name inside the window (before the goal filter).
    pub goals: BTreeMap<String, u64>,
    /// Earliest and latest event time inside the window.
    pub span: Option<(u64, u64)>,
}

/// A visitor's first exposure: arm index, crossed over, stratum index (bandits).
type Exposed = (usize, bool, Option<usize>);

#[derive(Default)]
struct Work {
    arms: Vec<ArmTally>,
    /// visitor → (arm index, crossed over, stratum index)
    exposed: HashMap<String, Exposed>,
    /// (context, split) of each stratum.
    strata: Vec<(String, Option<String>)>,
    /// visitor → the covariate of their earliest exposure
    pre: HashMap<String, Pre>,
    /// visitor → (conversions, value)
    converted: HashMap<String, (u64, f64)>,
    unexposed: u64,
    mismatched: u64,
    via_experiment: bool,
}

impl Work {
    fn arm(&mut self, name: &str) -> usize {
        if let Some(i) = self.arms.iter().position(|a| a.arm == name) {
            return i;
        }
        self.arms.push(ArmTally {
            arm: name.to_owned(),
            ..ArmTally::default()
        });
        self.arms.len() - 1
    }

    fn expose(
        &mut self,
        visitor: Option<&str>,
        arm: &str,
        pre: Option<Pre>,
        learned: Option<(&str, Option<&str>)>,
    ) {
        let i = self.arm(arm);
        let Some(v) = visitor else {
            self.arms[i].anonymous_exposures += 1;
            return;
        };
        match self.exposed.get_mut(v) {
            Some((first, crossed, _)) => *crossed |= *first != i,
            None => {
                let stratum = learned.map(|(context, split)| {
                    let key = (context.to_owned(), split.map(str::to_owned));
                    self.strata
                        .iter()
                        .position(|s| *s == key)
                        .unwrap_or_else(|| {
                            self.strata.push(key);
                            self.strata.len() - 1
                        })
                });
                self.exposed.insert(v.to_owned(), (i, false, stratum));
                if let Some(pre) = pre {
                    self.pre.insert(v.to_owned(), pre);
                }
            }
        }
    }

    fn convert(&mut self, visitor: Option<&str>, arm: &str, value: f64) {
        let Some(v) = visitor else {
            let i = self.arm(arm);
            self.arms[i].anonymous_conversions += 1;
            self.arms[i].anonymous_value += value;
            return;
        };
        match self.exposed.get(v) {
            None => self.unexposed += 1,
            Some((i, _, _)) if self.arms[*i].arm != arm => self.mismatched += 1,
            Some(_) => {
                let entry = self.converted.entry(v.to_owned()).or_default();
                entry.0 += 1;
                entry.1 += value;
            }
        }
    }

    fn finish(mut self) -> UnitTally {
        let blank: Vec<ArmTally> = self
            .arms
            .iter()
            .map(|a| ArmTally {
                arm: a.arm.clone(),
                ..ArmTally::default()
            })
            .collect();
        let mut strata: Vec<Stratum> = self
            .strata
            .iter()
            .map(|(context, split)| Stratum {
                context: context.clone(),
                split: split.clone(),
                arms: blank.clone(),
            })
            .collect();
        let mut crossovers = 0;
        for (i, crossed, s) in self.exposed.values() {
            self.arms[*i].visitors += 1;
            if let Some(s) = s {
                strata[*s].arms[*i].visitors += 1;
            }
            crossovers += u64::from(*crossed);
        }
        // Sorted so the floating-point sums do not depend on hash order.
        let mut converted: Vec<(&String, &(u64, f64))> = self.converted.iter().collect();
        converted.sort_by(|a, b| a.0.cmp(b.0));
        for (v, (count, value)) in converted {
            if let Some((i, _, s)) = self.exposed.get(v) {
                let arms = std::iter::once(&mut self.arms[*i])
                    .chain(s.and_then(|s| strata.get_mut(s)).map(|s| &mut s.arms[*i]));
                for arm in arms {
                    arm.converters += 1;
                    arm.conversions += count;
                    arm.revenue.push(*value);
                }
            }
        }
        for arm in self
            .arms
            .iter_mut()
            .chain(strata.iter_mut().flat_map(|s| s.arms.iter_mut()))
        {
            let rest = arm.visitors.saturating_sub(arm.revenue.n);
            arm.revenue.push_zeros(rest);
        }
        // Sorted by visitor, so CUPED's sums do not depend on hash order either.
        let mut exposed: Vec<(&String, &Exposed)> = self.exposed.iter().collect();
        exposed.sort_by(|a, b| a.0.cmp(b.0));
        for (v, (i, _, s)) in exposed {
            let (converted, value) = self
                .converted
                .get(v)
                .map_or((false, 0.0), |(_, value)| (true, *value));
            let outcome = Outcome {
                converted,
                value,
                pre: self.pre.get(v).copied(),
            };
            self.arms[*i].outcomes.push(outcome);
            if let Some(stratum) = s.and_then(|s| strata.get_mut(s)) {
                stratum.arms[*i].outcomes.push(outcome);
            }
        }
        UnitTally {
            arms: self.arms,
            strata,
            crossovers,
            unexposed_conversions: self.unexposed,
            mismatched_conversions: self.mismatched,
            via_experiment: self.via_experiment,
        }
    }
}

/// Counts `events` under `filter`.
pub fn aggregate(events: &[Event], filter: &Filter) -> Tally {
    let mut order: Vec<&Event> = events.iter().collect();
    // Earliest first, so "first exposure" is by time; ties keep input order (stable sort).
    order.sort_by_key(|e| e.common().ts);
    let mut tally = Tally::default();
    let mut work: BTreeMap<(Kind, String), Work> = BTreeMap::new();
    let in_window =
        |ts: u64| filter.since.is_none_or(|s| ts >= s) && filter.until.is_none_or(|u| ts < u);
    for e in order.iter().filter(|e| matches!(e, Event::Exposure(_))) {
        if let Event::Exposure(x) = e {
            if count(&mut tally, x.common.ts, in_window(x.common.ts)) {
                expose(&mut work, x);
            }
        }
    }
    for e in &order {
        if let Event::Conversion(c) = e {
            if !count(&mut tally, c.common.ts, in_window(c.common.ts)) {
                continue;
            }
            *tally.goals.entry(c.name.clone()).or_default() += 1;
            if filter.goal.as_ref().is_none_or(|g| *g == c.name) {
                convert(&mut work, c);
            }
        }
    }
    tally.units = work.into_iter().map(|(k, w)| (k, w.finish())).collect();
    tally
}

fn count(tally: &mut Tally, ts: u64, inside: bool) -> bool {
    if inside {
        tally.events += 1;
        tally.span = Some(tally.span.map_or((ts, ts), |(a, b)| (a.min(ts), b.max(ts))));
    } else {
        tally.outside_window += 1;
    }
    inside
}

fn expose(work: &mut BTreeMap<(Kind, String), Work>, x: &ExposureEvent) {
    let visitor = x.common.visitor.as_deref();
    if let Some(exp) = &x.experiment {
        let w = work.entry((Kind::Experiment, exp.clone())).or_default();
        let learned = x.context.as_deref().map(|c| (c, x.split.as_deref()));
        w.expose(visitor, &x.arm, x.pre, learned);
    }
    let Some(campaign) = &x.campaign else { return };
    let arm = match (x.experiment.is_some(), x.arm.as_str()) {
        (false, arm) => arm,
        (true, HOLDOUT) if x.common.global_holdout => HOLDOUT,
        (true, HOLDOUT) => return,
        (true, _) => SHOWN,
    };
    let w = work.entry((Kind::Campaign, campaign.clone())).or_default();
    w.via_experiment |= x.experiment.is_some();
    w.expose(visitor, arm, x.pre, None);
}

fn convert(work: &mut BTreeMap<(Kind, String), Work>, c: &Conversion) {
    let visitor = c.common.visitor.as_deref();
    let value = c.value.filter(|v| v.is_finite()).unwrap_or(0.0);
    for (kind, map) in [
        (Kind::Experiment, &c.assignments),
        (Kind::Campaign, &c.campaigns),
    ] {
        for (unit, arm) in map {
            // A conversion for a unit no exposure named is still counted (as unexposed).
            let w = work.entry((kind, unit.clone())).or_default();
            w.convert(visitor, arm, value);
        }
    }
    // The global holdout is the hash alone and is not written to the cookie as an arm, so a
    // held-out visitor's conversion may not carry the units it was held out of: it counts for
    // every unit where this visitor was exposed as `holdout` and that the maps do not name.
    let Some(v) = visitor.filter(|_| c.common.global_holdout) else {
        return;
    };
    for ((kind, unit), w) in work.iter_mut() {
        let named = match kind {
            Kind::Experiment => c.assignments.contains_key(unit),
            Kind::Campaign => c.campaigns.contains_key(unit),
        };
        let held_out = w
            .exposed
            .get(v)
            .is_some_and(|(i, _, _)| w.arms[*i].arm == HOLDOUT);
        if !named && held_out {
            w.convert(Some(v), HOLDOUT, value);
        }
    }
}

/// A logged split: each group (holdout first) and its buckets.
type Split = Vec<(String, u16)>;

/// Reads a logged split, `holdout=500;control=4750;…`; `None` when malformed.
pub fn parse_split(text: &str) -> Option<Split> {
    text.split(';')
        .map(|pair| {
            let (name, buckets) = pair.split_once('=')?;
            Some((name.to_owned(), buckets.parse().ok()?))
        })
        .collect()
}

/// The sample-ratio check of a unit over the strata whose split is known (holdout included);
/// `None` when no stratum logged a split.
pub fn strata_srm(unit: &UnitTally) -> Option<GoodnessOfFit> {
    let mut names: Vec<String> = Vec::new();
    let mut placed: Vec<(Split, &[ArmTally])> = Vec::new();
    for s in &unit.strata {
        let Some(split) = s.split.as_deref().and_then(parse_split) else {
            continue;
        };
        for (n, _) in &split {
            if !names.contains(n) {
                names.push(n.clone());
            }
        }
        placed.push((split, &s.arms));
    }
    for a in &unit.arms {
        if !names.contains(&a.arm) {
            names.push(a.arm.clone());
        }
    }
    let strata: Vec<Placed> = placed
        .iter()
        .map(|(split, arms)| Placed {
            observed: names
                .iter()
                .map(|n| arms.iter().find(|a| a.arm == *n).map_or(0, |a| a.visitors))
                .collect(),
            shares: names
                .iter()
                .map(|n| {
                    split
                        .iter()
                        .find(|(s, _)| s == n)
                        .map_or(0.0, |(_, b)| f64::from(*b))
                })
                .collect(),
        })
        .collect();
    if strata.is_empty() {
        return None;
    }
    srm_strata(&strata)
}

#[cfg(test)]
mod tests;

/// Reads a `--since`/`--until` value: a duration back from `now` (`7d`, `24h`, `30m`), a UTC
/// date (`2026-11-01`) or Unix seconds.
pub fn parse_time(text: &str, now: u64) -> Result<u64, String> {
    let text = text.trim();
    let unit = |suffix: char, secs: u64| {
        text.strip_suffix(suffix)
            .and_then(|n| n.parse::<u64>().ok())
            .map(|n| now.saturating_sub(n.saturating_mul(secs)))
    };
    if let Some(t) = unit('d', 86_400)
        .or_else(|| unit('h', 3_600))
        .or_else(|| unit('m', 60))
    {
        return Ok(t);
    }
    if let Ok(secs) = text.parse::<u64>() {
        return Ok(secs);
    }
    time::format_description::parse_borrowed::<2>("[year]-[month]-[day]")
        .ok()
        .and_then(|format| time::Date::parse(text, &format).ok())
        .and_then(|d| u64::try_from(d.midnight().assume_utc().unix_timestamp()).ok())
        .ok_or_else(|| {
            format!("{text:?} is not a time: use a duration (7d, 24h, 30m), a date (2026-11-01) or Unix seconds")
        })
}
