//! A seeded shop for bandit experiments, shared by the test (`tests/bandit/main.rs`) and the
//! benchmark (`examples/bandit_sim.rs`).
//!
//! The campaign file is the committed `fixtures/optimize/campaigns.toml` (three hero
//! messages, contexts `price_hunter` and `loyal`), compiled by the real compiler; each visitor
//! is decided by the edge's own `decide_in` (same hash, same per-context weights) and written
//! as the edge writes events (context, split). Conversions follow a known truth: in each
//! context one message is better by a fixed number of points, on top of a baseline that rises
//! round after round (a shop whose traffic converts better over time, as in a sale week). After
//! every round `vitrine_report::optimize::plan` reweights from every event so far, exactly as
//! `vitrine optimize` would, and the new weights are put in the snapshot as a publish would.
//!
//! Why the rising baseline: with a moving split and a moving baseline, pooling the arms
//! credits the arm that got more traffic late with the late visitors' higher rate. The
//! report's post-stratified lift must cover the truth anyway.
//!
//! **Visitor history** ([`Run::with_history`], for `--cuped`): each visitor is a regular
//! ([`REGULAR_SHARE`] of them) who converts [`REGULAR`] times as often as the context's rate,
//! or an occasional visitor who converts less, so that the average is the rate itself and
//! the true lift is unchanged. Regulars come with more visits and product views before their
//! first exposure (`visits = 1 + ⌊Exp(mean 4)⌋` against `1 + ⌊Exp(mean 0.3)⌋`, `views =
//! ⌊Exp(mean 2·visits)⌋`), written in the exposure's `pre` as the edge writes it, except for
//! 15 % of visitors (first exposed before the window). These draws come from a stream of
//! their own, so a run without history is the same as before they existed.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use rand::{RngExt as _, SeedableRng};
use rand_chacha::ChaCha8Rng;

use vitrine_compile::{compile, Source};
use vitrine_core::cookie::{Identity, VerifiedProfile};
use vitrine_core::decide::experiment::{split_text, EVERYONE_ELSE};
use vitrine_core::decide::{decide_in, Context};
use vitrine_core::measure::events::{Common, Conversion, Event, ExposureEvent, Pre, Via, SCHEMA};
use vitrine_core::snapshot::{Snapshot, Sym};
use vitrine_report::aggregate::Kind;
use vitrine_report::analyze::{Against, Comparison, InputSummary, UnitReport};
use vitrine_report::optimize::{self, Bandit, Guard, Metric, Outcome};
use vitrine_report::stats::Interval;
use vitrine_report::{self as report};

/// The campaign file simulated.
pub const CAMPAIGNS: &str = include_str!("../../../../fixtures/optimize/campaigns.toml");

/// The experiment key.
pub const KEY: &str = "hero-copy";

/// Arms in file order.
pub const ARMS: [&str; 3] = ["control", "savings", "exclusive"];

/// One context of the simulated traffic.
pub struct Segment {
    /// Context name the edge logs.
    pub context: &'static str,
    /// Profile segment the visitor carries (none for everyone else).
    pub profile: Option<&'static str>,
    /// Share of visitors.
    pub share: f64,
    /// Control's conversion rate in round 0.
    pub base: f64,
    /// Each arm's lift over control, in absolute points (fraction), constant over time.
    pub lift: [f64; 3],
}

/// The truth: savings wins for price hunters, exclusivity for loyal customers, savings
/// (slightly) for everyone else.
pub const WORLD: [Segment; 3] = [
    Segment {
        context: "price_hunter",
        profile: Some("price_hunter"),
        share: 0.3,
        base: 0.04,
        lift: [0.0, 0.03, -0.005],
    },
    Segment {
        context: "loyal",
        profile: Some("loyal"),
        share: 0.2,
        base: 0.08,
        lift: [0.0, 0.0, 0.04],
    },
    Segment {
        context: EVERYONE_ELSE,
        profile: None,
        share: 0.5,
        base: 0.05,
        lift: [0.0, 0.02, 0.0],
    },
];

/// Share of regular visitors (with history).
pub const REGULAR_SHARE: f64 = 0.3;
/// How many times the context's rate a regular converts at.
pub const REGULAR: f64 = 2.9;

/// How many times the context's rate an occasional visitor converts at (the average is 1).
pub fn occasional() -> f64 {
    (1.0 - REGULAR_SHARE * REGULAR) / (1.0 - REGULAR_SHARE)
}

/// One visitor's history: the covariate the exposure carries, and their rate multiplier.
fn history(rng: &mut ChaCha8Rng) -> (Option<Pre>, f64) {
    let regular = rng.random::<f64>() < REGULAR_SHARE;
    let mut exp = |mean: f64| -mean * (1.0 - rng.random::<f64>()).ln();
    let visits = 1 + exp(if regular { 4.0 } else { 0.3 }) as u32;
    let views = exp(2.0 * f64::from(visits)) as u32;
    let known = rng.random::<f64>() >= 0.15;
    let rate = if regular { REGULAR } else { occasional() };
    (known.then_some(Pre { visits, views }), rate)
}

/// The baseline multiplier of round `r`: +10 % per round.
pub fn drift(round: usize) -> f64 {
    1.0 + 0.1 * round as f64
}

/// The true lift of `arm` over control across all visitors (context shares as weights).
pub fn true_lift(arm: usize) -> f64 {
    WORLD.iter().map(|s| s.share * s.lift[arm]).sum()
}

/// One simulated experiment.
pub struct Run {
    /// The live snapshot (weights as last "published").
    pub snapshot: Snapshot,
    /// Every event so far.
    pub events: Vec<Event>,
    rng: ChaCha8Rng,
    seed: u64,
    visitors: u64,
    /// Rounds played.
    pub round: usize,
    /// Visitor history (see the module docs), when simulated.
    history: Option<ChaCha8Rng>,
}

impl Run {
    /// A fresh experiment with the campaign file's weights.
    pub fn new(seed: u64) -> Self {
        let snapshot = compile(&[Source {
            name: "campaigns.toml",
            text: CAMPAIGNS,
        }])
        .expect("the fixture compiles");
        Run {
            snapshot,
            events: Vec::new(),
            rng: ChaCha8Rng::seed_from_u64(seed),
            seed,
            visitors: 0,
            round: 0,
            history: None,
        }
    }

    /// A fresh experiment whose visitors bring a history (see the module docs).
    pub fn with_history(seed: u64) -> Self {
        Run {
            history: Some(ChaCha8Rng::seed_from_u64(seed ^ 0x00c0_ffee_0000_0000)),
            ..Run::new(seed)
        }
    }

    /// `n` new visitors, decided by the edge's code and converting by the truth.
    pub fn visit(&mut self, n: u64) {
        let now = 1_800_000_000 + self.round as u64 * 86_400;
        for _ in 0..n {
            let id = format!("s{}-v{}", self.seed, self.visitors);
            self.visitors += 1;
            let u: f64 = self.rng.random();
            let mut acc = 0.0;
            let seg = WORLD
                .iter()
                .find(|s| {
                    acc += s.share;
                    u < acc
                })
                .unwrap_or(&WORLD[2]);
            let identity = Identity::Profile(VerifiedProfile {
                sub: id.clone(),
                segments: seg.profile.iter().map(|p| (*p).to_owned()).collect(),
                attrs: Default::default(),
                exp: 0,
            });
            let ctx = Context::new(&identity, now as i64).with_visitor(Some(&id));
            let d = decide_in(&self.snapshot, &ctx);
            let e = d.exposures[0];
            let learned = e.learned.expect("a bandit exposure");
            let (pre, rate) = self.history.as_mut().map_or((None, 1.0), history);
            let common = Common {
                schema: SCHEMA,
                ts: now,
                day: now / 86_400,
                snapshot: self.snapshot.version().to_owned(),
                visitor: Some(id.clone()),
                global_holdout: false,
            };
            self.events.push(Event::Exposure(ExposureEvent {
                common: common.clone(),
                experiment: Some(KEY.to_owned()),
                campaign: None,
                arm: e.arm.to_owned(),
                pre,
                context: Some(learned.context.to_owned()),
                split: learned.split.map(str::to_owned),
            }));
            // The holdout sees the default banner: control's rate.
            let arm = ARMS.iter().position(|a| *a == e.arm).unwrap_or(0);
            let p = seg.base * drift(self.round) * rate + seg.lift[arm];
            if self.rng.random::<f64>() < p {
                self.events.push(Event::Conversion(Conversion {
                    common: Common {
                        ts: now + 60,
                        ..common
                    },
                    name: "purchase".into(),
                    value: Some(40.0),
                    source: Via::Url,
                    assignments: [(KEY.to_owned(), e.arm.to_owned())].into(),
                    campaigns: Default::default(),
                    products: Vec::new(),
                }));
            }
        }
    }

    /// The bandit as the campaign file declares it, with the live weights.
    pub fn bandit(&self) -> Bandit {
        let body = self.snapshot.body();
        let e = &body.experiments[0];
        let b = e.bandit.as_ref().expect("a bandit");
        let text = |s: Sym| body.strings[s.0 as usize].to_string();
        let listed: Vec<String> = b.contexts.iter().map(|c| text(c.name)).collect();
        let mut current: Vec<Vec<u32>> = b
            .contexts
            .iter()
            .map(|c| c.allocation.weights.clone())
            .collect();
        current.push(b.rest.weights.clone());
        Bandit {
            key: KEY.to_owned(),
            arms: ARMS.iter().map(|a| (*a).to_owned()).collect(),
            contexts: optimize::contexts(&listed),
            metric: Metric::Rate,
            min_share_bp: 500,
            current,
        }
    }

    /// One `vitrine optimize` run over every event so far, then "publishes" the new weights.
    /// Returns the plan.
    pub fn optimize(&mut self, guard: &Guard) -> optimize::Plan {
        let filter = report::Filter {
            goal: Some("purchase".into()),
            ..report::Filter::default()
        };
        let tally = report::aggregate(&self.events, &filter);
        let unit = tally.units.get(&(Kind::Experiment, KEY.to_owned()));
        let plan = optimize::plan(
            &self.bandit(),
            unit,
            guard,
            self.seed.wrapping_add(self.round as u64),
        );
        let mut body = self.snapshot.body().clone();
        let names: Vec<&str> = ARMS.to_vec();
        let holdout = body.experiments[0].holdout_bp;
        for c in plan
            .contexts
            .iter()
            .filter(|c| c.outcome == Outcome::Reweight)
        {
            let split = split_text(holdout, &names, &c.weights);
            let sym = Sym(u32::try_from(body.strings.len()).unwrap());
            body.strings.push(split.into());
            let strings = body.strings.clone();
            let b = body.experiments[0].bandit.as_mut().unwrap();
            let a = match b
                .contexts
                .iter_mut()
                .find(|x| *strings[x.name.0 as usize] == *c.context)
            {
                Some(x) => &mut x.allocation,
                None => &mut b.rest,
            };
            a.weights = c.weights.clone();
            a.split = sym;
        }
        self.snapshot = Snapshot::new(body);
        self.round += 1;
        plan
    }

    /// The best arm's share of the arms' traffic in each context (WORLD order), now.
    pub fn best_shares(&self) -> [f64; 3] {
        let b = self.snapshot.body().experiments[0].bandit.as_ref().unwrap();
        let text = |s: Sym| self.snapshot.body().strings[s.0 as usize].to_string();
        let mut out = [0.0; 3];
        for (i, seg) in WORLD.iter().enumerate() {
            let best = (0..3)
                .max_by(|a, c| seg.lift[*a].total_cmp(&seg.lift[*c]))
                .unwrap();
            let w = b
                .contexts
                .iter()
                .find(|c| text(c.name) == seg.context)
                .map_or(&b.rest.weights, |c| &c.allocation.weights);
            let total: u32 = w.iter().sum();
            out[i] = f64::from(w[best]) / f64::from(total);
        }
        out
    }

    /// Visitors so far.
    pub fn visitors(&self) -> u64 {
        self.visitors
    }

    /// The report's unit for the experiment over every event so far, with CUPED, and
    /// sequential when `sequential` gives a tuning.
    pub fn report(&self, sequential: Option<f64>) -> UnitReport {
        let filter = report::Filter {
            goal: Some("purchase".into()),
            ..report::Filter::default()
        };
        let tally = report::aggregate(&self.events, &filter);
        let options = report::Options {
            control: vec![(None, "control".into())],
            sequential,
            cuped: true,
            ..report::Options::default()
        };
        let rep = report::analyze(&tally, InputSummary::default(), None, &options);
        rep.units.into_iter().find(|u| u.name == KEY).unwrap()
    }
}

/// `arm` against control in `unit`.
pub fn versus_control(unit: &UnitReport, arm: &str) -> Comparison {
    unit.comparisons
        .iter()
        .find(|c| c.arm == arm && c.against == Against::Control)
        .cloned()
        .unwrap()
}

/// The pooled Newcombe interval of `arm` against control a fixed-split report would give.
pub fn pooled(unit: &UnitReport, arm: &str) -> Option<Interval> {
    let find = |n: &str| unit.arms.iter().find(|a| a.arm == n).unwrap();
    let (t, c) = (find(arm), find("control"));
    report::stats::newcombe_diff(t.converters, t.visitors, c.converters, c.visitors)
}

/// The true relative lift of savings over control after `rounds` equal rounds: the context
/// lifts over the context baselines, both weighted by context shares, the baseline averaged
/// over the rounds' drift (what the post-stratified ratio estimates).
pub fn true_relative(rounds: usize) -> f64 {
    let drift: f64 = (0..rounds).map(drift).sum::<f64>() / rounds as f64;
    let base: f64 = WORLD.iter().map(|s| s.share * s.base).sum();
    true_lift(1) / (base * drift)
}

/// How often each reading of savings against control contained the truth.
#[derive(Debug, Default, Clone, Copy)]
pub struct Coverage {
    /// Runs.
    pub runs: u64,
    /// Post-stratified, fixed-horizon, at the end.
    pub fixed: u64,
    /// Its relative lift.
    pub fixed_relative: u64,
    /// CUPED within strata, fixed-horizon, at the end.
    pub cuped: u64,
    /// Its relative lift.
    pub cuped_relative: u64,
    /// Post-stratified sequence, at every look (after each round).
    pub sequential: u64,
    /// Its relative lift, at every look.
    pub sequential_relative: u64,
    /// CUPED within strata, sequence, at every look.
    pub cuped_sequential: u64,
    /// Its relative lift, at every look.
    pub cuped_sequential_relative: u64,
    /// Pooled Newcombe (ignores the moving split), at the end.
    pub pooled: u64,
    /// Fixed-horizon intervals read at every look (peeking).
    pub peeking: u64,
    /// Sum over runs of CUPED's variance reduction (rate).
    pub reduction: f64,
    /// Sum over runs of the fixed interval's width at the end.
    pub fixed_width: f64,
    /// Sum over runs of the CUPED interval's width at the end.
    pub cuped_width: f64,
}

impl Coverage {
    /// `count` as a share of the runs.
    pub fn rate(&self, count: u64) -> f64 {
        count as f64 / self.runs as f64
    }
}

/// Coverage of the true lift of savings over control by every reading of the report, over
/// `runs` seeded experiments (visitors with history) of `rounds` rounds of `per_round`
/// visitors, reweighting after every round. Sequences (tuned for `n_star`) are read after
/// every round and count as covering only if every look did.
pub fn coverage(runs: u64, rounds: usize, per_round: u64, guard: &Guard, n_star: f64) -> Coverage {
    let truth = true_lift(1);
    let inside = |ci: Option<Interval>, t: f64| ci.is_some_and(|i| i.contains(t));
    let mut c = Coverage {
        runs,
        ..Coverage::default()
    };
    for seed in 0..runs {
        let mut run = Run::with_history(seed);
        let mut every = [true; 5];
        for round in 0..rounds {
            run.visit(per_round);
            let rel = true_relative(round + 1);
            let seq = versus_control(&run.report(Some(n_star)), "savings");
            let k = seq
                .cuped
                .clone()
                .expect("--cuped gives every comparison a CUPED estimate");
            let fixed = versus_control(&run.report(None), "savings");
            for (i, covered) in [
                inside(seq.abs_lift_ci, truth),
                inside(seq.rel_lift_ci, rel),
                inside(k.abs_lift_ci, truth),
                inside(k.rel_lift_ci, rel),
                inside(fixed.abs_lift_ci, truth),
            ]
            .into_iter()
            .enumerate()
            {
                every[i] &= covered;
            }
            if round + 1 < rounds {
                run.optimize(guard);
            }
        }
        let unit = run.report(None);
        let end = versus_control(&unit, "savings");
        let k = end
            .cuped
            .clone()
            .expect("--cuped gives every comparison a CUPED estimate");
        let rel = true_relative(rounds);
        let width = |ci: Option<Interval>| ci.map_or(0.0, |i| i.high - i.low);
        c.fixed += u64::from(inside(end.abs_lift_ci, truth));
        c.fixed_relative += u64::from(inside(end.rel_lift_ci, rel));
        c.cuped += u64::from(inside(k.abs_lift_ci, truth));
        c.cuped_relative += u64::from(inside(k.rel_lift_ci, rel));
        c.pooled += u64::from(inside(pooled(&unit, "savings"), truth));
        c.sequential += u64::from(every[0]);
        c.sequential_relative += u64::from(every[1]);
        c.cuped_sequential += u64::from(every[2]);
        c.cuped_sequential_relative += u64::from(every[3]);
        c.peeking += u64::from(every[4]);
        c.reduction += k.variance_reduction.unwrap_or(0.0);
        c.fixed_width += width(end.abs_lift_ci);
        c.cuped_width += width(k.abs_lift_ci);
    }
    c
}
