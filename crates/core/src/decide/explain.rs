//! Why each slot got what it got: the same walk as [`super::decide_in`], recording a
//! [`Verdict`] per candidate. Used by `vitrine preview --explain`; never on the hot path.

use super::context::Context;
use super::{recommend, verdict, Verdict};
use crate::snapshot::Snapshot;

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
