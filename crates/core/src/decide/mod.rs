//! Decisions: given who the visitor is, the request and the active snapshot, what each slot
//! shows.
//!
//! Deterministic and allocation-light: per slot, the first candidate (in compiled priority
//! order) that is scheduled now, under its frequency cap and whose expression holds wins; a
//! slot with no winner keeps the page's default content. The result borrows from the snapshot,
//! so nothing is copied until rendering. [`explain`] replays the same walk and says why each
//! candidate won or lost.
//!
//! Experiment arms (see [`experiment`]) are decided last: a candidate that is an arm must
//! first qualify like any other, and only then does the visitor's placement count. Such a
//! visitor is *exposed* to the experiment (listed in [`Decision::exposures`]) whatever their
//! arm; one in another arm falls through to the next candidate, one held out keeps the slot's
//! default content. A visitor in the global holdout gets no campaign at all.
//!
//! A candidate with recommendations (see [`recommend`]) also needs enough products: its items
//! are picked once it otherwise qualifies, skipping products an earlier slot already shows,
//! and with fewer than its `min` the slot falls through to its next candidate. The chosen
//! products are kept once, in [`Decision::products`].

mod activity;
mod context;
mod eval;
pub mod experiment;
mod explain;
pub mod offer;
pub mod recommend;
mod trace;

pub use context::{ActivityCounts, Context, NoActivity, RequestFacts};
pub use eval::glob_match;
pub use experiment::bucket;
pub use explain::explain;
pub use trace::{explain_header, header_safe, MAX_EXPLAIN_BYTES};

use crate::cookie::{Attrs, Identity};
use crate::snapshot::catalog::Product;
use crate::snapshot::{Candidate, Message, Snapshot};
use experiment::Placement;

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
    pub product: Option<Product<'s>>,
    /// Its time-limited offer on the current product, if it has one.
    pub offer: Option<offer::Running>,
    /// Its recommended products: a range of [`Decision::products`] (see [`Decision::items`]).
    pub items: Items,
}

/// Where a fill's recommended products sit in [`Decision::products`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Items {
    /// First index.
    pub start: u16,
    /// Count.
    pub len: u16,
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
    /// Experiments this request exposed the visitor to, each once, in slot order.
    pub exposures: Vec<Exposure<'s>>,
    /// Campaigns (not experiment arms) a visitor in the global holdout would have been shown
    /// here, in slot order: their `holdout` campaign exposures.
    pub held: Vec<&'s str>,
    /// Every recommended product on the page, slot after slot (no product twice).
    pub products: Vec<Product<'s>>,
}

/// One experiment a visitor was exposed to: they qualified for one of its arms' candidates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Exposure<'s> {
    /// Experiment key.
    pub experiment: &'s str,
    /// Arm name, or [`experiment::HOLDOUT`].
    pub arm: &'s str,
    /// Held out by the global holdout: not written to the cookie as this experiment's arm
    /// (the global holdout is the hash alone, so lowering it releases the visitor).
    pub global: bool,
    /// For a bandit experiment, the visitor's context (and the split, if placed just now).
    pub learned: Option<experiment::Learned<'s>>,
}

impl<'s> Decision<'s> {
    /// The products `fill` recommends, in order (empty for other fills).
    pub fn items(&self, fill: &Fill<'s>) -> &[Product<'s>] {
        let start = usize::from(fill.items.start);
        self.products
            .get(start..start + usize::from(fill.items.len))
            .unwrap_or(&[])
    }

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
    let held_out = experiment::globally_held_out(snapshot, ctx);
    let mut fills = Vec::new();
    let mut exposures: Vec<Exposure<'s>> = Vec::new();
    let mut held = Vec::new();
    let mut products = Vec::new();
    for slot in snapshot.slots() {
        for candidate in &slot.candidates {
            let (mut v, exposure) = verdict(candidate, snapshot, ctx, held_out);
            let start = products.len();
            if let (Verdict::Chosen, Some(r)) = (v, &candidate.recommend) {
                if let Err(short) = recommend::pick(r, snapshot, ctx, &mut products) {
                    v = short;
                }
            }
            if let Some(e) = exposure {
                if !exposures.iter().any(|x| x.experiment == e.experiment) {
                    exposures.push(e);
                }
            }
            match v {
                Verdict::Chosen => {
                    let mut f = fill(snapshot, slot.name, candidate, ctx);
                    // At most MAX_ITEMS per slot and u16::MAX slots' worth: the casts hold.
                    f.items = Items {
                        start: u16::try_from(start).unwrap_or(u16::MAX),
                        len: u16::try_from(products.len() - start).unwrap_or(0),
                    };
                    fills.push(f);
                    break;
                }
                Verdict::Holdout => {
                    if held_out && candidate.arm.is_none() {
                        held.push(snapshot.text(candidate.campaign));
                    }
                    break;
                }
                _ => {}
            }
        }
    }
    Decision {
        version: snapshot.version(),
        fills,
        snapshot,
        attrs: ctx.identity.profile().map(|p| &p.attrs),
        exposures,
        held,
        products,
    }
}

fn fill<'s>(
    snapshot: &'s Snapshot,
    slot: crate::snapshot::Sym,
    candidate: &'s Candidate,
    ctx: &Context<'s>,
) -> Fill<'s> {
    Fill {
        slot: snapshot.text(slot),
        campaign: snapshot.text(candidate.campaign),
        candidate,
        message: candidate
            .messages
            .iter()
            .find(|m| eval::holds(&m.when, snapshot, ctx)),
        product: candidate
            .product
            .and_then(|p| snapshot.product(snapshot.text(p))),
        offer: offer::running(candidate, snapshot, ctx),
        items: Items::default(),
    }
}

/// Whether one candidate qualifies, and if not, the first reason it does not; with the
/// experiment exposure it causes, if it is an arm the visitor qualified for.
fn verdict<'s>(
    c: &Candidate,
    snap: &'s Snapshot,
    ctx: &Context<'_>,
    held_out: bool,
) -> (Verdict, Option<Exposure<'s>>) {
    let v = qualifies(c, snap, ctx);
    if v != Verdict::Chosen {
        return (v, None);
    }
    let Some(arm) = c.arm else {
        return (if held_out { Verdict::Holdout } else { v }, None);
    };
    let placement = if held_out {
        // A preview token's forced arm wins over the global holdout.
        let forced = experiment::forced(snap, arm.experiment, ctx);
        Some((forced.unwrap_or(Placement::Holdout), None))
    } else {
        experiment::placement_learned(snap, arm.experiment, ctx)
    };
    let Some((placement, learned)) = placement else {
        return (Verdict::NoVisitorId, None);
    };
    let exposure =
        experiment::names(snap, arm.experiment, placement).map(|(experiment, arm)| Exposure {
            experiment,
            arm,
            global: held_out,
            learned,
        });
    let v = match placement {
        Placement::Holdout => Verdict::Holdout,
        Placement::Arm(i) if i == arm.arm => Verdict::Chosen,
        Placement::Arm(_) => Verdict::OtherArm,
    };
    (v, exposure)
}

/// Schedule, cap, targeting and product: everything but experiments.
fn qualifies(c: &Candidate, snap: &Snapshot, ctx: &Context<'_>) -> Verdict {
    if let Some(window) = &c.schedule {
        if !ctx.now.is_some_and(|now| window.contains(now)) {
            return Verdict::OutsideSchedule;
        }
    }
    if let (Some(cap), Some(now)) = (c.cap, ctx.now) {
        let shown = ctx
            .activity
            .impressions(snap.text(c.campaign), cap.per_secs, now);
        if shown >= u32::from(cap.max) {
            return Verdict::Capped;
        }
    }
    let running = match c.offer.map(|o| offer::state(c, o, snap, ctx)) {
        None | Some(offer::State::Fresh) => false,
        Some(offer::State::Running(_)) => true,
        Some(offer::State::Over) => return Verdict::OfferOver,
        Some(offer::State::Impossible) => return Verdict::NoMatch,
    };
    // A running offer stays for its duration even if its trigger no longer holds.
    if !running && !eval::holds(&c.when, snap, ctx) {
        return Verdict::NoMatch;
    }
    if let Some(p) = c.product {
        // Unloaded (its shard failed to load) or sold out: never show a broken offer.
        if !snap.product(snap.text(p)).is_some_and(|p| p.in_stock) {
            return Verdict::ProductUnavailable;
        }
        if recommend::purchased(ctx, snap.text(p)) {
            return Verdict::Purchased;
        }
    }
    // No discount on a product the visitor already bought.
    if let (Some(_), Some(p)) = (c.offer, ctx.request.product) {
        if recommend::purchased(ctx, p) {
            return Verdict::Purchased;
        }
    }
    Verdict::Chosen
}
