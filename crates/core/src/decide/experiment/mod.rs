//! Experiments: which arm a visitor is in, reproducibly by anyone.
//!
//! **Bucket.** A visitor's bucket in an experiment is the first 8 bytes of
//! `SHA-256("vitrine-bucket-v1" 0x00 key 0x00 visitor)`, read as a big-endian `u64`, modulo
//! 10 000 (so one bucket is one basis point). `key` is the experiment key and `visitor` the
//! visitor id, both as UTF-8 bytes. The global holdout uses the key `*`, which no experiment
//! key can be. `fixtures/bucketing-vectors.json` holds test vectors for other implementations.
//!
//! **Arm.** Buckets `[0, holdout_bp)` are the experiment's holdout. The remaining
//! `span = 10 000 − holdout_bp` buckets are shared by the arms in authoring order, each in
//! proportion to its weight: with `r = bucket − holdout_bp` and `W` the total weight, the
//! visitor is in the first arm `i` with `r · W < (w₀ + … + wᵢ) · span` (integer arithmetic).
//!
//! **Stickiness.** An assignment recorded in the activity cookie wins over the hash while the
//! experiment still has that arm, so re-weighting an experiment never moves a visitor who was
//! already exposed. A visitor with no id (no profile `sub`, no consented activity cookie) is in
//! no arm and keeps the default content.

use sha2::{Digest, Sha256};

use super::context::Context;
use crate::snapshot::{Experiment, Snapshot};

/// Buckets per experiment: one bucket is one basis point.
pub const BUCKETS: u16 = 10_000;

/// The key the global holdout is bucketed under (no experiment key can be `*`).
pub const GLOBAL_KEY: &str = "*";

/// The arm name recorded for held-out visitors (no arm may be called this).
pub const HOLDOUT: &str = "holdout";

const DOMAIN: &[u8] = b"vitrine-bucket-v1\0";

/// The visitor's bucket (`0..10 000`) in the experiment `key`.
///
/// ```
/// use vitrine_core::decide::bucket;
/// assert_eq!(bucket("hero-copy", "u-1001"), bucket("hero-copy", "u-1001"));
/// assert!(bucket("hero-copy", "u-1001") < 10_000);
/// ```
pub fn bucket(key: &str, visitor: &str) -> u16 {
    let digest = Sha256::new()
        .chain_update(DOMAIN)
        .chain_update(key.as_bytes())
        .chain_update([0])
        .chain_update(visitor.as_bytes())
        .finalize();
    let mut head = [0u8; 8];
    head.copy_from_slice(&digest[..8]);
    // The remainder is below 10 000, so it always fits.
    u16::try_from(u64::from_be_bytes(head) % u64::from(BUCKETS)).unwrap_or(0)
}

/// Where a visitor stands in one experiment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Placement {
    /// Held out: the default content, logged as [`HOLDOUT`].
    Holdout,
    /// In the arm with this index.
    Arm(u32),
}

/// The placement for `bucket` in `experiment` by the hash alone; `None` when the experiment
/// has no weight at all (the snapshot decoder refuses empty arm lists, not zero weights).
pub fn place(experiment: &Experiment, bucket: u16) -> Option<Placement> {
    let holdout = experiment.holdout_bp.min(BUCKETS);
    if bucket < holdout {
        return Some(Placement::Holdout);
    }
    let span = u64::from(BUCKETS - holdout);
    let r = u64::from(bucket - holdout);
    let total: u64 = experiment.arms.iter().map(|a| u64::from(a.weight)).sum();
    let mut cumulative = 0u64;
    for (i, arm) in experiment.arms.iter().enumerate() {
        cumulative += u64::from(arm.weight);
        if r * total < cumulative * span {
            return u32::try_from(i).ok().map(Placement::Arm);
        }
    }
    None
}

/// Whether the visitor in `ctx` is in the snapshot's global holdout.
pub fn globally_held_out(snap: &Snapshot, ctx: &Context<'_>) -> bool {
    let share = snap.body().global_holdout_bp;
    share > 0 && ctx.visitor.is_some_and(|id| bucket(GLOBAL_KEY, id) < share)
}

/// The visitor's placement in experiment `index`: the sticky assignment from the activity
/// cookie while it names an arm that still exists (or the holdout), else the hash. `None`
/// without a visitor id or for an unknown experiment.
pub fn placement(snap: &Snapshot, index: u32, ctx: &Context<'_>) -> Option<Placement> {
    if let Some(p) = forced(snap, index, ctx) {
        return Some(p);
    }
    let experiment = snap.body().experiments.get(usize::try_from(index).ok()?)?;
    let key = snap.text(experiment.key);
    let id = ctx.visitor?;
    if let Some(sticky) = ctx.activity.assignment(key) {
        if sticky == HOLDOUT {
            return Some(Placement::Holdout);
        }
        let arm = experiment
            .arms
            .iter()
            .position(|a| snap.text(a.name) == sticky);
        if let Some(arm) = arm.and_then(|i| u32::try_from(i).ok()) {
            return Some(Placement::Arm(arm));
        }
    }
    place(experiment, bucket(key, id))
}

/// The placement a preview token forces in experiment `index`, if it names one of its arms
/// (or `holdout`); a forced arm the experiment does not have is ignored.
pub fn forced(snap: &Snapshot, index: u32, ctx: &Context<'_>) -> Option<Placement> {
    if ctx.forced_arms.is_empty() {
        return None;
    }
    let experiment = snap.body().experiments.get(usize::try_from(index).ok()?)?;
    let key = snap.text(experiment.key);
    let (_, arm) = ctx.forced_arms.iter().find(|(k, _)| k == key)?;
    if arm == HOLDOUT {
        return Some(Placement::Holdout);
    }
    let i = experiment
        .arms
        .iter()
        .position(|a| snap.text(a.name) == arm)?;
    u32::try_from(i).ok().map(Placement::Arm)
}

/// The experiment key and arm name (or [`HOLDOUT`]) of a placement, for logs and the cookie.
pub fn names(snap: &Snapshot, index: u32, placement: Placement) -> Option<(&str, &str)> {
    let experiment = snap.body().experiments.get(usize::try_from(index).ok()?)?;
    let arm = match placement {
        Placement::Holdout => HOLDOUT,
        Placement::Arm(i) => snap.text(experiment.arms.get(usize::try_from(i).ok()?)?.name),
    };
    Some((snap.text(experiment.key), arm))
}

#[cfg(test)]
mod tests;
