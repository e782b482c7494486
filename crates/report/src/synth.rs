//! Synthetic edge events with a known truth, to measure and test the report at any volume
//! (`examples/synth_events.rs` writes them as Parquet).
//!
//! A shop with three experiments and a campaign, each with a true effect:
//!
//! - `hero-copy` (home page): `holdout` 5 %, `control`, `urgency` (+10 % purchase rate);
//! - `checkout-button` (cart page): `holdout` 5 %, `control`, `green`, `big` (+5 %, −5 %);
//! - `recs-widget` (product pages), a bandit: context `loyal` or `everyone_else`, the split
//!   logged on the exposure that placed the visitor, arms `control` and `similar` (+15 %);
//! - `summer-sale`, a campaign shown on every page to everyone but the 5 % global holdout.
//!
//! About one visitor in ten browses without consent (anonymous events). A visitor makes 1 to
//! 4 visits over two weeks, each of 1 to 8 pages; a first exposure to a unit carries the
//! `pre` covariate; views are logged on product pages; about 4 % of visits end in a purchase
//! (valued 10 to 200) whose cookie maps carry the visitor's arms, some with an add-to-cart
//! before. Visitors' events are emitted visitor after visitor, so times are not sorted,
//! as in files written by several edge locations.
//!
//! Deterministic: SplitMix64 from [`Synth::seed`], the same events on every machine.

use std::collections::BTreeMap;

use vitrine_core::measure::events::{
    Common, Conversion, Event, ExposureEvent, Pre, Via, View, SCHEMA, SHOWN,
};

/// What to generate.
#[derive(Debug, Clone)]
pub struct Synth {
    /// Events to generate (the last visitor's events are cut at this count).
    pub events: u64,
    /// Random seed.
    pub seed: u64,
    /// First event time, Unix seconds.
    pub start: u64,
}

impl Default for Synth {
    fn default() -> Self {
        Synth {
            events: 1_000_000,
            seed: 19,
            start: 1_764_547_200,
        }
    }
}

/// Visitors arrive over this many seconds (two weeks).
const SPAN: u64 = 14 * 86_400;

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n`.
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }

    /// True with probability `p`.
    fn chance(&mut self, p: f64) -> bool {
        ((self.next() >> 11) as f64 / (1u64 << 53) as f64) < p
    }
}

/// An experiment's arms (holdout first) and their purchase-rate multipliers.
struct Unit {
    key: &'static str,
    arms: &'static [(&'static str, f64)],
}

const HERO: Unit = Unit {
    key: "hero-copy",
    arms: &[("holdout", 1.0), ("control", 1.0), ("urgency", 1.10)],
};
const CHECKOUT: Unit = Unit {
    key: "checkout-button",
    arms: &[
        ("holdout", 1.0),
        ("control", 1.0),
        ("green", 1.05),
        ("big", 0.95),
    ],
};
const RECS: Unit = Unit {
    key: "recs-widget",
    arms: &[("holdout", 1.0), ("control", 1.0), ("similar", 1.15)],
};
const RECS_SPLIT: &str = "holdout=500;control=4750;similar=4750";
const CAMPAIGN: &str = "summer-sale";
const SNAPSHOT: &str = "5e1f00c0ffee";

/// The generator: an iterator of events.
pub struct Events {
    rng: Rng,
    left: u64,
    visitors: u64,
    buffer: std::vec::IntoIter<Event>,
    start: u64,
}

impl Synth {
    /// The events.
    pub fn events(&self) -> Events {
        Events {
            rng: Rng(self.seed),
            left: self.events,
            visitors: 0,
            buffer: Vec::new().into_iter(),
            start: self.start,
        }
    }
}

impl Iterator for Events {
    type Item = Event;

    fn next(&mut self) -> Option<Event> {
        if self.left == 0 {
            return None;
        }
        loop {
            if let Some(e) = self.buffer.next() {
                self.left -= 1;
                return Some(e);
            }
            self.visitors += 1;
            self.buffer = self.visitor().into_iter();
        }
    }
}

impl Events {
    /// Arm index of `unit` for a visitor (holdout 5 %, the rest evenly).
    fn place(&mut self, unit: &Unit) -> usize {
        if self.rng.chance(0.05) {
            0
        } else {
            1 + self.rng.below(unit.arms.len() as u64 - 1) as usize
        }
    }

    /// One visitor's events.
    fn visitor(&mut self) -> Vec<Event> {
        let rng = &mut self.rng;
        let consent = !rng.chance(0.1);
        let id = format!("{:016x}{:016x}", rng.next(), rng.next());
        let visitor = consent.then_some(id);
        let global = rng.chance(0.05);
        let loyal = rng.chance(0.3);
        let arrival = self.start + rng.below(SPAN);
        let arms = [self.place(&HERO), self.place(&CHECKOUT), self.place(&RECS)];
        let rng = &mut self.rng;
        let common = |ts: u64| Common {
            schema: SCHEMA,
            ts,
            day: ts / 86_400,
            snapshot: SNAPSHOT.into(),
            visitor: visitor.clone(),
            global_holdout: global,
        };
        let mut out = Vec::new();
        let mut seen = [false; 4];
        let (mut visits, mut views) = (0u32, 0u32);
        let mut ts = arrival;
        let mut assignments = BTreeMap::new();
        let mut campaigns = BTreeMap::new();
        let mut viewed: Vec<String> = Vec::new();
        for _ in 0..1 + rng.below(4) {
            visits += 1;
            for _ in 0..1 + rng.below(8) {
                ts += 5 + rng.below(120);
                let page = rng.below(10);
                let pre = |first: bool| (first && consent).then_some(Pre { visits, views });
                // The campaign runs on every page.
                let arm = if global { "holdout" } else { SHOWN };
                out.push(Event::Exposure(ExposureEvent {
                    common: common(ts),
                    experiment: None,
                    campaign: Some(CAMPAIGN.into()),
                    arm: arm.into(),
                    pre: pre(!seen[3]),
                    context: None,
                    split: None,
                }));
                seen[3] = true;
                campaigns.insert(CAMPAIGN.to_owned(), arm.to_owned());
                let (unit, u, context, split) = match page {
                    0..=2 => (&HERO, 0, None, None),
                    3 => (&CHECKOUT, 1, None, None),
                    _ => {
                        let context = if loyal { "loyal" } else { "everyone_else" };
                        let split = (!seen[2]).then_some(RECS_SPLIT);
                        (&RECS, 2, Some(context), split)
                    }
                };
                let arm = unit.arms[arms[u]].0;
                out.push(Event::Exposure(ExposureEvent {
                    common: common(ts),
                    experiment: Some(unit.key.into()),
                    campaign: None,
                    arm: arm.into(),
                    pre: pre(!seen[u]),
                    context: context.map(str::to_owned),
                    split: split.map(str::to_owned),
                }));
                seen[u] = true;
                assignments.insert(unit.key.to_owned(), arm.to_owned());
                if page >= 4 && consent {
                    let product = format!("p{:04}", rng.below(2_000));
                    views += 1;
                    viewed.push(product.clone());
                    out.push(Event::View(View {
                        common: common(ts),
                        product,
                    }));
                }
            }
            let lift: f64 = [&HERO, &CHECKOUT, &RECS]
                .iter()
                .enumerate()
                .filter(|(u, _)| seen[*u])
                .map(|(u, unit)| unit.arms[arms[u]].1)
                .product();
            let base = if global { 0.035 } else { 0.04 };
            if rng.chance(0.08) {
                out.push(conversion(
                    common(ts + 10),
                    "add_to_cart",
                    None,
                    &assignments,
                    &campaigns,
                    Vec::new(),
                ));
            }
            if rng.chance(base * lift) {
                let value = 10.0 + rng.below(19_000) as f64 / 100.0;
                let products = viewed.iter().rev().take(2).cloned().collect();
                out.push(conversion(
                    common(ts + 60),
                    "purchase",
                    Some(value),
                    &assignments,
                    &campaigns,
                    products,
                ));
            }
            ts += 3_600 + rng.below(3 * 86_400);
        }
        out
    }
}

fn conversion(
    common: Common,
    name: &str,
    value: Option<f64>,
    assignments: &BTreeMap<String, String>,
    campaigns: &BTreeMap<String, String>,
    products: Vec<String>,
) -> Event {
    Event::Conversion(Conversion {
        common,
        name: name.into(),
        value,
        source: if value.is_some() {
            Via::Beacon
        } else {
            Via::Url
        },
        assignments: assignments.clone(),
        campaigns: campaigns.clone(),
        products,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_gives_the_same_events_and_the_count_is_exact() {
        let s = Synth {
            events: 5_000,
            ..Synth::default()
        };
        let a: Vec<Event> = s.events().collect();
        assert_eq!(a.len(), 5_000);
        assert_eq!(a, s.events().collect::<Vec<_>>());
        let other: Vec<Event> = Synth { seed: 20, ..s }.events().collect();
        assert_ne!(a, other);
    }

    #[test]
    fn the_report_finds_the_planted_effect() {
        let s = Synth {
            events: 400_000,
            ..Synth::default()
        };
        let events: Vec<Event> = s.events().collect();
        let filter = crate::Filter {
            goal: Some("purchase".into()),
            ..crate::Filter::default()
        };
        let tally = crate::aggregate(&events, &filter);
        let unit = &tally.units[&(crate::Kind::Experiment, "recs-widget".to_owned())];
        let rate = |arm: &str| {
            let a = unit.arms.iter().find(|a| a.arm == arm).unwrap();
            a.converters as f64 / a.visitors as f64
        };
        assert!(
            rate("similar") > rate("control"),
            "{} {}",
            rate("similar"),
            rate("control")
        );
        assert!(!unit.strata.is_empty());
        assert!(unit.arms.iter().any(|a| a.anonymous_exposures > 0));
        assert_eq!(unit.crossovers, 0);
    }
}
