//! A seeded shop whose true lift is known exactly, written as the edge writes its events.
//!
//! Each visitor arrives at a uniform time over [`DAYS`] days, is split 50/50 between
//! `control` and `treatment`, and brings pre-exposure counts: `visits = 1 + ⌊Exp(mean 1.5)⌋`,
//! `views = ⌊Exp(mean 2·visits)⌋` (15 % of visitors carry none: first exposed before the
//! window). They convert with probability `min(0.6, 0.005 + 0.05·visits + 0.01·views)`, plus
//! [`LIFT`] in treatment, so the true absolute lift is exactly `LIFT` (the cap applies before
//! the lift); a converter's order value is uniform on [20, 80] whatever the arm, so the true
//! difference in revenue per visitor is exactly `LIFT × 50` ([`RPV_LIFT`]).

use vitrine_core::measure::events::{Common, Conversion, Event, ExposureEvent, Pre, Via, SCHEMA};

/// The true absolute lift in conversion rate.
pub const LIFT: f64 = 0.01;
/// The true difference in revenue per visitor.
pub const RPV_LIFT: f64 = LIFT * 50.0;
/// Days of traffic; one look at the end of each.
pub const DAYS: u64 = 14;
/// When the test starts (Unix seconds, midnight UTC).
pub const START: u64 = 1_800_000_000 / 86_400 * 86_400;

/// The control arm's expected conversion rate, `E[min(0.6, 0.005 + 0.05·visits +
/// 0.01·views)]`, summed exactly over the geometric laws of `visits − 1` and `views` (a
/// floored exponential of mean `m` is geometric with ratio `e^(−1/m)`), up to terms below
/// 1e-15: the truth the relative lift `LIFT / base` is checked against.
pub fn true_base() -> f64 {
    let geometric = |mean: f64, k: u32| {
        let q = (-1.0 / mean).exp();
        (1.0 - q) * q.powi(k as i32)
    };
    let mut sum = 0.0;
    for v in 0..400u32 {
        let pv = geometric(1.5, v);
        if pv < 1e-18 {
            break;
        }
        let visits = f64::from(v + 1);
        // views ≥ 56 − 5·visits puts the rate at the cap, whose tail sums in closed form.
        let cap = ((0.6 - 0.005 - 0.05 * visits) / 0.01).ceil().max(0.0) as u32;
        let q = (-1.0 / (2.0 * visits)).exp();
        for w in 0..cap {
            sum += pv * geometric(2.0 * visits, w) * (0.005 + 0.05 * visits + 0.01 * f64::from(w));
        }
        sum += pv * q.powi(cap as i32) * 0.6;
    }
    sum
}

/// SplitMix64: small, seedable, and good enough for traffic.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }

    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform on [0, 1).
    pub fn uniform(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }

    fn exp(&mut self, mean: f64) -> f64 {
        -mean * (1.0 - self.uniform()).ln()
    }
}

fn common(ts: u64, visitor: &str) -> Common {
    Common {
        schema: SCHEMA,
        ts,
        day: ts / 86_400,
        snapshot: "sim".into(),
        visitor: Some(visitor.to_owned()),
        global_holdout: false,
    }
}

/// The events of one seeded run with `visitors` visitors.
pub fn run(seed: u64, visitors: u32) -> Vec<Event> {
    let mut rng = Rng::new(seed);
    let mut events = Vec::with_capacity(visitors as usize * 2);
    for i in 0..visitors {
        let id = format!("{seed:016x}{i:016x}");
        let ts = START + (rng.uniform() * (DAYS * 86_400) as f64) as u64;
        let treated = rng.uniform() < 0.5;
        let visits = 1 + rng.exp(1.5) as u32;
        let views = rng.exp(2.0 * f64::from(visits)) as u32;
        let known = rng.uniform() >= 0.15;
        let base = (0.005 + 0.05 * f64::from(visits) + 0.01 * f64::from(views)).min(0.6);
        let p = base + if treated { LIFT } else { 0.0 };
        let converted = rng.uniform() < p;
        let value = 20.0 + 60.0 * rng.uniform();
        let arm = if treated { "treatment" } else { "control" };
        events.push(Event::Exposure(ExposureEvent {
            common: common(ts, &id),
            experiment: Some("sim".into()),
            campaign: None,
            arm: arm.into(),
            pre: known.then_some(Pre { visits, views }),
            context: None,
            split: None,
        }));
        if converted {
            events.push(Event::Conversion(Conversion {
                common: common(ts + 60, &id),
                name: "purchase".into(),
                value: Some(value),
                source: Via::Url,
                assignments: [("sim".to_owned(), arm.to_owned())].into(),
                campaigns: Default::default(),
                products: Vec::new(),
            }));
        }
    }
    events
}
