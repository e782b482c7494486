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
//! **Bandits.** An experiment with `allocation = "bandit"` has weights per context: the visitor
//! takes the weights of the first listed context (a named segment) they are in, else those of
//! [`EVERYONE_ELSE`], and is placed by the rule above with those weights instead of the arms'
//! own. The bucket is the same hash, so moving weights only moves the boundaries.
//!
//! **Stickiness.** An assignment recorded in the activity cookie wins over the hash while the
//! experiment still has that arm, so re-weighting an experiment never moves a visitor who was
//! already exposed. A visitor with no id (no profile `sub`, no consented activity cookie) is in
//! no arm and keeps the default content.

use sha2::{Digest, Sha256};

use super::context::Context;
use crate::snapshot::{Allocation, Bandit, Experiment, Snapshot};

pub use crate::snapshot::split::{bucket_counts, split_text, BUCKETS, HOLDOUT};

/// The key the global holdout is bucketed under (no experiment key can be `*`).
pub const GLOBAL_KEY: &str = "*";

/// The context of a bandit visitor in none of the listed segments.
pub const EVERYONE_ELSE: &str = "everyone_else";

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
    let weights: Vec<u32> = experiment.arms.iter().map(|a| a.weight).collect();
    place_with(experiment.holdout_bp, &weights, bucket)
}

/// The placement for `bucket` with a holdout of `holdout_bp` and these arm `weights` (the
/// rule in the module docs); `None` when every weight is zero.
pub fn place_with(holdout_bp: u16, weights: &[u32], bucket: u16) -> Option<Placement> {
    let holdout = holdout_bp.min(BUCKETS);
    if bucket < holdout {
        return Some(Placement::Holdout);
    }
    let span = u64::from(BUCKETS - holdout);
    let r = u64::from(bucket - holdout);
    let total: u64 = weights.iter().map(|w| u64::from(*w)).sum();
    let mut cumulative = 0u64;
    for (i, w) in weights.iter().enumerate() {
        cumulative += u64::from(*w);
        if r * total < cumulative * span {
            return u32::try_from(i).ok().map(Placement::Arm);
        }
    }
    None
}

/// A bandit placement: the context the visitor was bucketed in and, when the hash (not the
/// cookie) placed them, the split it used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Learned<'s> {
    /// Segment name, or [`EVERYONE_ELSE`].
    pub context: &'s str,
    /// The split text ([`split_text`]) when this request placed the visitor; `None` for a
    /// sticky (already placed) visitor, whose split was logged at their first exposure.
    pub split: Option<&'s str>,
}

/// The context a visitor falls in for a bandit experiment: the first listed context whose
/// segment holds, else everyone else's.
pub fn context_of<'s>(
    snap: &'s Snapshot,
    bandit: &'s Bandit,
    ctx: &Context<'_>,
) -> (&'s str, &'s Allocation) {
    bandit
        .contexts
        .iter()
        .find(|c| super::eval::holds(&c.when, snap, ctx))
        .map_or((EVERYONE_ELSE, &bandit.rest), |c| {
            (snap.text(c.name), &c.allocation)
        })
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
    placement_learned(snap, index, ctx).map(|(p, _)| p)
}

/// [`placement`], with the bandit context (and the split, when the hash placed the visitor)
/// for a bandit experiment. A forced arm has no context: previews are not traffic.
pub fn placement_learned<'s>(
    snap: &'s Snapshot,
    index: u32,
    ctx: &Context<'_>,
) -> Option<(Placement, Option<Learned<'s>>)> {
    if let Some(p) = forced(snap, index, ctx) {
        return Some((p, None));
    }
    let experiment = snap.body().experiments.get(usize::try_from(index).ok()?)?;
    let key = snap.text(experiment.key);
    let id = ctx.visitor?;
    let context = experiment.bandit.as_ref().map(|b| context_of(snap, b, ctx));
    if let Some(sticky) = ctx.activity.assignment(key) {
        let learned = context.map(|(context, _)| Learned {
            context,
            split: None,
        });
        if sticky == HOLDOUT {
            return Some((Placement::Holdout, learned));
        }
        let arm = experiment
            .arms
            .iter()
            .position(|a| snap.text(a.name) == sticky);
        if let Some(arm) = arm.and_then(|i| u32::try_from(i).ok()) {
            return Some((Placement::Arm(arm), learned));
        }
    }
    let b = bucket(key, id);
    match context {
        None => place(experiment, b).map(|p| (p, None)),
        Some((context, allocation)) => place_with(experiment.holdout_bp, &allocation.weights, b)
            .map(|p| {
                let learned = Learned {
                    context,
                    split: Some(snap.text(allocation.split)),
                };
                (p, Some(learned))
            }),
    }
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
