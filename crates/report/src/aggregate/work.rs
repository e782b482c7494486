//! One unit's counting state while events stream in, in any order.
//!
//! The report's rules (module docs of [`super`]) are stated in time order: a visitor's arm is
//! that of their earliest exposure, ties broken by input order. Holding every event to sort it
//! would cost memory in the number of events, so each exposure is instead compared by its
//! *order key* (time, position in the input) with the visitor's earliest so far: the state per
//! visitor is one [`First`], whatever the order the files arrive in. Arms and bandit strata
//! are listed in order of their earliest key, as a time-ordered pass would have created them.
//! Conversions need every exposure first; [`super::Aggregator`] keeps them and replays them in
//! key order once the exposures are in.

use std::collections::HashMap;

use super::{ArmTally, Outcome, Stratum, UnitTally};
use vitrine_core::measure::events::Pre;

/// (Unix time, position in the input): the order a time-sorted pass would see events in.
pub(super) type Key = (u64, u64);

/// A visitor, interned ([`super::Visitors`]).
pub(super) type Vid = u32;

/// A visitor's earliest exposure in the unit so far.
#[derive(Clone, Copy)]
pub(super) struct First {
    key: Key,
    arm: usize,
    crossed: bool,
    stratum: Option<usize>,
    pre: Option<Pre>,
}

/// One unit's state.
#[derive(Default)]
pub(super) struct Work {
    arms: Vec<ArmTally>,
    /// The earliest key that named each arm.
    arm_keys: Vec<Key>,
    exposed: HashMap<Vid, First>,
    /// (context, split) of each stratum, in order of creation; ordered by `stratum_keys` at
    /// the end.
    strata: Vec<(String, Option<String>)>,
    /// visitor → (conversions, value)
    converted: HashMap<Vid, (u64, f64)>,
    unexposed: u64,
    mismatched: u64,
    pub(super) via_experiment: bool,
    /// Exposures are in: arms are in their final order and conversions may be counted.
    settled: bool,
}

impl Work {
    fn arm(&mut self, name: &str, key: Key) -> usize {
        if let Some(i) = self.arms.iter().position(|a| a.arm == name) {
            self.arm_keys[i] = self.arm_keys[i].min(key);
            return i;
        }
        self.arms.push(ArmTally {
            arm: name.to_owned(),
            ..ArmTally::default()
        });
        self.arm_keys.push(key);
        self.arms.len() - 1
    }

    /// An exposure of `visitor` (`None` without consent) to `arm`; `learned` is a bandit
    /// exposure's (context, split).
    pub(super) fn expose(
        &mut self,
        key: Key,
        visitor: Option<Vid>,
        arm: &str,
        pre: Option<Pre>,
        learned: Option<(&str, Option<&str>)>,
    ) {
        let i = self.arm(arm, key);
        let Some(v) = visitor else {
            self.arms[i].anonymous_exposures += 1;
            return;
        };
        let stratum = |strata: &mut Vec<(String, Option<String>)>| {
            learned.map(|(context, split)| {
                let found = strata
                    .iter()
                    .position(|(c, s)| c == context && s.as_deref() == split);
                found.unwrap_or_else(|| {
                    strata.push((context.to_owned(), split.map(str::to_owned)));
                    strata.len() - 1
                })
            })
        };
        match self.exposed.get_mut(&v) {
            Some(first) => {
                // Two different arms make a crossover, whichever of them came first.
                first.crossed |= first.arm != i;
                if key < first.key {
                    let stratum = stratum(&mut self.strata);
                    first.key = key;
                    first.arm = i;
                    first.stratum = stratum;
                    first.pre = pre;
                }
            }
            None => {
                let stratum = stratum(&mut self.strata);
                self.exposed.insert(
                    v,
                    First {
                        key,
                        arm: i,
                        crossed: false,
                        stratum,
                        pre,
                    },
                );
            }
        }
    }

    /// Puts arms and strata in the order a time-sorted pass creates them: by earliest key.
    fn settle(&mut self) {
        if self.settled {
            return;
        }
        self.settled = true;
        let mut order: Vec<usize> = (0..self.arms.len()).collect();
        order.sort_by_key(|&i| self.arm_keys[i]);
        let mut new_index = vec![0; order.len()];
        for (new, &old) in order.iter().enumerate() {
            new_index[old] = new;
        }
        let mut arms: Vec<Option<ArmTally>> = std::mem::take(&mut self.arms)
            .into_iter()
            .map(Some)
            .collect();
        self.arms = order.iter().filter_map(|&i| arms[i].take()).collect();
        // A stratum is created by the visitor whose first exposure is earliest among its own.
        let mut stratum_keys = vec![(u64::MAX, u64::MAX); self.strata.len()];
        for f in self.exposed.values() {
            if let Some(s) = f.stratum {
                stratum_keys[s] = stratum_keys[s].min(f.key);
            }
        }
        let mut sorder: Vec<usize> = (0..self.strata.len())
            .filter(|&s| stratum_keys[s] != (u64::MAX, u64::MAX))
            .collect();
        sorder.sort_by_key(|&s| stratum_keys[s]);
        let mut new_stratum = vec![None; self.strata.len()];
        for (new, &old) in sorder.iter().enumerate() {
            new_stratum[old] = Some(new);
        }
        let mut strata: Vec<Option<(String, Option<String>)>> = std::mem::take(&mut self.strata)
            .into_iter()
            .map(Some)
            .collect();
        self.strata = sorder.iter().filter_map(|&s| strata[s].take()).collect();
        for f in self.exposed.values_mut() {
            f.arm = new_index[f.arm];
            f.stratum = f.stratum.and_then(|s| new_stratum[s]);
        }
    }

    /// A conversion carrying this unit's `arm`; conversions arrive in key order, after every
    /// exposure.
    pub(super) fn convert(&mut self, visitor: Option<Vid>, arm: &str, value: f64) {
        self.settle();
        let Some(v) = visitor else {
            // Anonymous conversions can still name an arm no exposure did: it comes last.
            let i = self.arm(arm, (u64::MAX, u64::MAX));
            self.arms[i].anonymous_conversions += 1;
            self.arms[i].anonymous_value += value;
            return;
        };
        match self.exposed.get(&v) {
            None => self.unexposed += 1,
            Some(f) if self.arms[f.arm].arm != arm => self.mismatched += 1,
            Some(_) => {
                let entry = self.converted.entry(v).or_default();
                entry.0 += 1;
                entry.1 += value;
            }
        }
    }

    /// The visitor was first exposed to this unit's `holdout` arm.
    pub(super) fn held_out(&mut self, v: Vid, holdout: &str) -> bool {
        self.settle();
        self.exposed
            .get(&v)
            .is_some_and(|f| self.arms[f.arm].arm == holdout)
    }

    /// The unit's tallies; `order` ranks visitors by pseudonym (the sums below add in that
    /// order, so they do not depend on hash order).
    pub(super) fn finish(mut self, order: &[u32]) -> UnitTally {
        self.settle();
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
        for f in self.exposed.values() {
            self.arms[f.arm].visitors += 1;
            if let Some(s) = f.stratum {
                strata[s].arms[f.arm].visitors += 1;
            }
            crossovers += u64::from(f.crossed);
        }
        let rank = |v: &Vid| order.get(*v as usize).copied().unwrap_or(u32::MAX);
        let mut converted: Vec<(&Vid, &(u64, f64))> = self.converted.iter().collect();
        converted.sort_by_key(|(v, _)| rank(v));
        for (v, (count, value)) in converted {
            if let Some(f) = self.exposed.get(v) {
                let arms = std::iter::once(&mut self.arms[f.arm]).chain(
                    f.stratum
                        .and_then(|s| strata.get_mut(s))
                        .map(|s| &mut s.arms[f.arm]),
                );
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
        let mut exposed: Vec<(&Vid, &First)> = self.exposed.iter().collect();
        exposed.sort_by_key(|(v, _)| rank(v));
        for (v, f) in exposed {
            let (converted, value) = self
                .converted
                .get(v)
                .map_or((false, 0.0), |(_, value)| (true, *value));
            let outcome = Outcome {
                converted,
                value,
                pre: f.pre,
            };
            self.arms[f.arm].outcomes.push(outcome);
            if let Some(stratum) = f.stratum.and_then(|s| strata.get_mut(s)) {
                stratum.arms[f.arm].outcomes.push(outcome);
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
