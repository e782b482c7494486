//! Decisions: given who the visitor is, the request and the active snapshot, what each slot
//! shows.
//!
//! Deterministic and allocation-light: per slot, the first candidate (in compiled priority
//! order) that is scheduled now, under its frequency cap and whose expression holds wins; a
//! slot with no winner keeps the page's default content. The result borrows from the snapshot,
//! so nothing is copied until rendering. [`explain`] replays the same walk and says why each
//! candidate won or lost.

mod activity;
mod context;
mod eval;
mod explain;

pub use context::{Activity, Context, NoActivity, RequestFacts};
pub use eval::glob_match;
pub use explain::{explain, Verdict};

use crate::cookie::{Attrs, Identity};
use crate::snapshot::catalog::Product;
use crate::snapshot::{Candidate, Message, Snapshot};

/// The chosen candidate for one slot.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Fill<'s> {
    /// Slot name.
    pub slot: &'s str,
    /// Campaign id of the winner.
    pub campaign: &'s str,
    /// The winning candidate.
    pub candidate: &'s Candidate,
    /// Its per-segment message for this visitor, if it has messages and one applies.
    pub message: Option<&'s Message>,
    /// The product it shows, if it is bound to one.
    pub product: Option<&'s Product>,
}

/// Every slot's choice for one request.
#[derive(Debug, Clone, PartialEq)]
pub struct Decision<'s> {
    /// Snapshot version the decision was made from.
    pub version: &'s str,
    /// Slots that got content; slots not listed keep their default.
    pub fills: Vec<Fill<'s>>,
    /// The snapshot decided from (templates are rendered against it).
    pub snapshot: &'s Snapshot,
    /// The visitor's attributes, for `{{attr.…}}` placeholders.
    pub attrs: Option<&'s Attrs>,
}

impl Decision<'_> {
    /// A short `slot=campaign,…` summary for the `x-vitrine` header (no visitor data).
    pub fn summary(&self) -> String {
        let mut out = String::new();
        for (i, fill) in self.fills.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            out.push_str(fill.slot);
            out.push('=');
            out.push_str(fill.campaign);
        }
        out
    }
}

/// Decides every slot of `snapshot` for `identity`, with no clock, request facts or activity:
/// scheduled candidates and request or activity conditions do not qualify. The worker and
/// preview use [`decide_in`].
pub fn decide<'s>(snapshot: &'s Snapshot, identity: &'s Identity) -> Decision<'s> {
    decide_in(snapshot, &Context::timeless(identity))
}

/// Decides every slot of `snapshot` for the request in `ctx`.
pub fn decide_in<'s>(snapshot: &'s Snapshot, ctx: &Context<'s>) -> Decision<'s> {
    let fills = snapshot
        .slots()
        .iter()
        .filter_map(|slot| {
            let candidate = slot
                .candidates
                .iter()
                .find(|c| verdict(c, snapshot, ctx) == Verdict::Chosen)?;
            let message = candidate
                .messages
                .iter()
                .find(|m| eval::holds(&m.when, snapshot, ctx));
            Some(Fill {
                slot: snapshot.text(slot.name),
                campaign: snapshot.text(candidate.campaign),
                candidate,
                message,
                product: candidate
                    .product
                    .and_then(|p| snapshot.product(snapshot.text(p))),
            })
        })
        .collect();
    Decision {
        version: snapshot.version(),
        fills,
        snapshot,
        attrs: ctx.identity.profile().map(|p| &p.attrs),
    }
}

/// Whether one candidate qualifies, and if not, the first reason it does not.
fn verdict(c: &Candidate, snap: &Snapshot, ctx: &Context<'_>) -> Verdict {
    if let Some(window) = &c.schedule {
        if !ctx.now.is_some_and(|now| window.contains(now)) {
            return Verdict::OutsideSchedule;
        }
    }
    if c.arm.is_some() {
        // Bucketing needs the experiment engine (issue 5); until then an arm never shows,
        // so visitors keep the default content rather than an unbalanced test.
        return Verdict::Experiment;
    }
    if let (Some(cap), Some(now)) = (c.cap, ctx.now) {
        let shown = ctx
            .activity
            .impressions(snap.text(c.campaign), cap.per_secs, now);
        if shown >= u32::from(cap.max) {
            return Verdict::Capped;
        }
    }
    if !eval::holds(&c.when, snap, ctx) {
        return Verdict::NoMatch;
    }
    if let Some(p) = c.product {
        // Unloaded (its shard failed to load) or sold out: never show a broken offer.
        if !snap.product(snap.text(p)).is_some_and(|p| p.in_stock) {
            return Verdict::ProductUnavailable;
        }
    }
    Verdict::Chosen
}

#[cfg(test)]
mod tests;
