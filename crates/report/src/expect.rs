//! What the configuration says the split should be: expected exposure shares per arm, from a
//! compiled snapshot, for the sample-ratio-mismatch check.
//!
//! For an experiment with arm weights `wᵢ` (total `W`), its own holdout `h` and the global
//! holdout `g` (both as shares of 1): arm `i` expects `(1 − g)(1 − h)·wᵢ/W` of the exposed
//! visitors and `holdout` expects `g + (1 − g)·h`, because a visitor in the global holdout is
//! logged in every experiment they qualify for as `holdout` (`crates/core/src/decide/mod.rs`).
//! A campaign expects `1 − g` shown and `g` held out. Both assume qualification does not depend
//! on the bucket, which holds: targeting never reads the bucket.

use std::collections::BTreeMap;

use vitrine_core::decide::experiment::HOLDOUT;
use vitrine_core::measure::events::SHOWN;
use vitrine_core::snapshot::Snapshot;

/// Expected shares, per experiment and campaign.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Expectations {
    /// Snapshot version they come from.
    pub version: String,
    /// Experiment key → arms in authoring order with their share, then `holdout`.
    pub experiments: BTreeMap<String, Vec<(String, f64)>>,
    /// Campaign ids in the snapshot.
    pub campaigns: Vec<String>,
    /// Global holdout share (0–1).
    pub global_holdout: f64,
}

impl Expectations {
    /// Reads the configured weights from `snap`.
    pub fn from_snapshot(snap: &Snapshot) -> Self {
        let body = snap.body();
        let g = f64::from(body.global_holdout_bp.min(10_000)) / 10_000.0;
        let mut experiments = BTreeMap::new();
        for e in &body.experiments {
            let h = f64::from(e.holdout_bp.min(10_000)) / 10_000.0;
            let total: f64 = e.arms.iter().map(|a| f64::from(a.weight)).sum();
            let mut shares: Vec<(String, f64)> = e
                .arms
                .iter()
                .map(|a| {
                    let w = if total > 0.0 {
                        f64::from(a.weight) / total
                    } else {
                        0.0
                    };
                    (snap.text(a.name).to_owned(), (1.0 - g) * (1.0 - h) * w)
                })
                .collect();
            shares.push((HOLDOUT.to_owned(), g + (1.0 - g) * h));
            experiments.insert(snap.text(e.key).to_owned(), shares);
        }
        let mut campaigns: Vec<String> = body
            .slots
            .iter()
            .flat_map(|s| {
                s.candidates
                    .iter()
                    .map(|c| snap.text(c.campaign).to_owned())
            })
            .collect();
        campaigns.sort();
        campaigns.dedup();
        Expectations {
            version: snap.version().to_owned(),
            experiments,
            campaigns,
            global_holdout: g,
        }
    }

    /// Expected shares of a campaign's two arms, when it is in the snapshot.
    pub fn campaign(&self, id: &str) -> Option<Vec<(String, f64)>> {
        self.campaigns.iter().any(|c| c == id).then(|| {
            vec![
                (SHOWN.to_owned(), 1.0 - self.global_holdout),
                (HOLDOUT.to_owned(), self.global_holdout),
            ]
        })
    }
}
