//! Time-limited offers (real-time triggers): a candidate with an [`Offer`] starts for a visitor
//! on a product page the first time its targeting holds there (for example "viewed this
//! product 3 times within the hour"), then shows on that page until it ends, whatever the
//! visitor's activity does meanwhile, and never again after.
//!
//! The start is kept in the activity cookie next to the sticky experiment assignments, under
//! [`key`] (an 18-byte digest of campaign and product, so it fits the cookie's key limit for
//! any ids). Without consent there is no activity cookie, so no views are counted and no
//! offer starts.

use sha2::{Digest, Sha256};

use super::context::Context;
use crate::snapshot::{Candidate, Offer, Snapshot};

/// A running offer of a fill.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Running {
    /// Unix seconds the offer ends.
    pub expires: i64,
    /// Whether it starts with this request (the shell then records the start).
    pub starts_now: bool,
}

/// Where an offer stands for one candidate and request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    /// Not started yet: it starts if the targeting holds now.
    Fresh,
    /// Started and not over: it shows without re-checking the targeting.
    Running(i64),
    /// Over: it never shows again for this product.
    Over,
    /// No current product or no clock: no offer is possible.
    Impossible,
}

/// The activity-cookie key of `campaign`'s offer on `product`: `o:` and 16 hex digits of
/// `SHA-256(campaign 0x00 product)`.
pub fn key(campaign: &str, product: &str) -> String {
    let digest = Sha256::new()
        .chain_update(campaign.as_bytes())
        .chain_update([0])
        .chain_update(product.as_bytes())
        .finalize();
    let mut out = String::from("o:");
    for b in &digest[..8] {
        out.push(char::from(b"0123456789abcdef"[usize::from(b >> 4)]));
        out.push(char::from(b"0123456789abcdef"[usize::from(b & 15)]));
    }
    out
}

/// The offer's state for candidate `c` in `ctx`.
pub fn state(c: &Candidate, offer: Offer, snap: &Snapshot, ctx: &Context<'_>) -> State {
    let (Some(product), Some(now)) = (ctx.request.product, ctx.now) else {
        return State::Impossible;
    };
    match ctx
        .activity
        .offer_started(&key(snap.text(c.campaign), product))
    {
        None => State::Fresh,
        Some(start) => {
            let end = start.saturating_add(i64::from(offer.secs));
            if now < end {
                State::Running(end)
            } else {
                State::Over
            }
        }
    }
}

/// The running offer of a chosen candidate, if it has one.
pub fn running(c: &Candidate, snap: &Snapshot, ctx: &Context<'_>) -> Option<Running> {
    let offer = c.offer?;
    match state(c, offer, snap, ctx) {
        State::Running(expires) => Some(Running {
            expires,
            starts_now: false,
        }),
        State::Fresh => Some(Running {
            expires: ctx.now?.saturating_add(i64::from(offer.secs)),
            starts_now: true,
        }),
        State::Over | State::Impossible => None,
    }
}

/// `HH:MM UTC` of Unix seconds `t`, as `{{offer.expires}}` shows it.
pub fn clock(t: i64) -> String {
    let day = t.rem_euclid(86_400);
    format!("{:02}:{:02} UTC", day / 3_600, day % 3_600 / 60)
}
