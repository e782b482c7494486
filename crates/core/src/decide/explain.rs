//! Why each slot got what it got: the same walk as [`super::decide_in`], recording a
//! [`Verdict`] per candidate. Used by `vitrine preview --explain`; never on the hot path.

use super::context::Context;
use super::{recommend, verdict};
use crate::snapshot::Snapshot;

/// What happened to one candidate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Verdict {
    /// It won the slot.
    Chosen,
    /// Its schedule does not include now (or there is no clock).
    OutsideSchedule,
    /// The visitor is held out (of this experiment, or globally): the slot keeps its default.
    Holdout,
    /// It is an experiment arm and the visitor is in another arm.
    OtherArm,
    /// It is an experiment arm and the visitor has no id to bucket by.
    NoVisitorId,
    /// The visitor reached its frequency cap.
    Capped,
    /// Its targeting expression does not hold.
    NoMatch,
    /// Its product is out of stock or its catalog shard is not loaded.
    ProductUnavailable,
    /// Its time-limited offer on this product is over.
    OfferOver,
    /// A higher-priority candidate already won.
    NotReached,
    /// Its product (bound, or of its offer) is one the visitor bought.
    Purchased,
    /// Its recommendations found fewer products than its `min`.
    TooFewItems,
}

impl Verdict {
    /// A short human reason.
    pub fn reason(self) -> &'static str {
        match self {
            Self::Chosen => "chosen",
            Self::OutsideSchedule => "outside its schedule",
            Self::Holdout => "the visitor is held out",
            Self::OtherArm => "in another experiment arm",
            Self::NoVisitorId => "no visitor id for an experiment arm",
            Self::Capped => "frequency cap reached",
            Self::NoMatch => "targeting does not match",
            Self::ProductUnavailable => "its product is unavailable",
            Self::OfferOver => "its offer on this product is over",
            Self::NotReached => "a higher-priority candidate won",
            Self::Purchased => "the visitor bought its product",
            Self::TooFewItems => "too few products to recommend",
        }
    }
}

impl Verdict {
    /// A stable snake_case code, for the `x-vitrine-explain` header.
    pub fn code(self) -> &'static str {
        match self {
            Self::Chosen => "chosen",
            Self::OutsideSchedule => "outside_schedule",
            Self::Holdout => "holdout",
            Self::OtherArm => "other_arm",
            Self::NoVisitorId => "no_visitor_id",
            Self::Capped => "capped",
            Self::NoMatch => "no_match",
            Self::ProductUnavailable => "product_unavailable",
            Self::OfferOver => "offer_over",
            Self::NotReached => "not_reached",
            Self::Purchased => "purchased",
            Self::TooFewItems => "too_few_items",
        }
    }
}

/// Per slot (by name), each candidate's campaign id and verdict, in decision order.
pub fn explain<'s>(
    snapshot: &'s Snapshot,
    ctx: &Context<'s>,
) -> Vec<(&'s str, Vec<(&'s str, Verdict)>)> {
    // Products recommended by earlier slots, which later ones do not repeat (as in decide_in).
    let mut shown = Vec::new();
    snapshot
        .slots()
        .iter()
        .map(|slot| {
            let held_out = super::experiment::globally_held_out(snapshot, ctx);
            let mut won = false;
            let rows = slot
                .candidates
                .iter()
                .map(|c| {
                    let mut v = if won {
                        Verdict::NotReached
                    } else {
                        verdict(c, snapshot, ctx, held_out).0
                    };
                    if let (Verdict::Chosen, Some(r)) = (v, &c.recommend) {
                        if let Err(short) = recommend::pick(r, snapshot, ctx, &mut shown) {
                            v = short;
                        }
                    }
                    won |= matches!(v, Verdict::Chosen | Verdict::Holdout);
                    (snapshot.text(c.campaign), v)
                })
                .collect();
            (snapshot.text(slot.name), rows)
        })
        .collect()
}
