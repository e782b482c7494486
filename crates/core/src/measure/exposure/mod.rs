//! Exposures after a decision: which id a visitor is bucketed by, the sticky arm written to
//! the activity cookie, and the exposure events ([`crate::measure::events`], schema 2) to log.
//!
//! Three kinds of exposure come out of one page view:
//!
//! - an **experiment** exposure per experiment the visitor reached: `experiment` and `arm` (an
//!   arm name or `holdout`; `global_holdout: true` for a visitor held out of every campaign by
//!   `global_holdout_bp`, which is never written to the cookie as the experiment's arm);
//! - a **campaign** exposure per campaign shown: `campaign` and `arm: "shown"`;
//!   A bandit experiment's exposure also names the visitor's `context`, and the `split` that
//!   placed them when the hash (not the cookie) did: a sticky visitor's split was logged the
//!   day they were placed;
//! - a **campaign** exposure per campaign a globally held-out visitor would have been shown:
//!   `campaign`, `arm: "holdout"`, `global_holdout: true` (remembered in the activity cookie, so
//!   their conversions can say so).
//!
//! With consent, events are deduplicated per visitor, experiment or campaign and UTC day
//! through the activity cookie, and carry `visitor`: a pseudonym of the profile `sub` (else the
//! activity cookie's visitor id), keyed with the site's secret
//! ([`crate::cookie::PseudonymKey`]: HMAC-SHA256, the first 16 bytes in hex), so the raw id
//! never reaches a log and nobody can recompute it from a guessed id, while the shop, which
//! holds the secret, can still join exposures to its own users. Without consent there is no cookie to deduplicate with and no identifier:
//! every experiment exposure is logged, without `visitor`; campaign exposures are not logged
//! at all (they would be one event per slot per page view, and `vitrine report` counts
//! campaigns by visitor, so an anonymous one could only ever be a raw tally).
//!
//! A consenting visitor's **first** exposure to an experiment or campaign also carries `pre`
//! ([`Pre`]): the visit and product-view counts the cookie held just before it, the covariate
//! of `vitrine report --cuped`. Only the first, because every later count may already be
//! moved by the treatment; it is the first the cookie knows of (no sticky arm, no daily tally,
//! no impression or held-out entry for the unit yet). Without consent there is no cookie, so
//! no covariate.

use crate::cookie::activity::Activity;
use crate::cookie::visitor::Visitor;
use crate::cookie::{Identity, PseudonymKey};
use crate::decide::experiment::{Learned, HOLDOUT};
use crate::decide::Exposure;
use crate::measure::events::{Common, Event, ExposureEvent, Pre, SHOWN};

pub use crate::measure::events::SCHEMA;

/// Prefix of the activity-cookie tally that remembers the last day an experiment was logged
/// (campaign ids cannot contain `:`, so it never collides with a frequency-cap count).
const LOGGED: &str = "x:";

/// Longest experiment key the daily deduplication can remember (the cookie keeps keys of up
/// to 64 bytes, and the prefix takes two); the compiler refuses longer keys.
pub const MAX_EXPERIMENT_KEY: usize = 62;

/// What one page view exposed the visitor to.
#[derive(Debug, Clone, Copy, Default)]
pub struct Seen<'a> {
    /// Experiments reached, from [`crate::Decision::exposures`].
    pub experiments: &'a [Exposure<'a>],
    /// Campaigns shown (the decision's fills).
    pub shown: &'a [&'a str],
    /// Campaigns the global holdout kept from the visitor ([`crate::Decision::held`]).
    pub held: &'a [&'a str],
}

/// The id experiments bucket by: the profile's `sub`, else the activity cookie's visitor id
/// (which only exists with consent). Bucketing by it stores nothing; it only picks the arm.
pub fn bucketing_id(visitor: &Visitor) -> Option<String> {
    match (&visitor.identity, &visitor.activity) {
        (Identity::Profile(p), _) if !p.sub.is_empty() => Some(p.sub.clone()),
        (_, Some(a)) => a.visitor.map(|id| id.to_hex()),
        _ => None,
    }
}

/// The `visitor` field of an event for the id `id`, with the site's pseudonym key.
///
/// ```
/// use vitrine_core::cookie::{KeyRing, PseudonymKey};
/// use vitrine_core::measure::exposure::pseudonym;
/// let ring = KeyRing::parse("demo:ZGVtby1rZXktZm9yLWxvY2FsLXRlc3RzLW9ubHktMzJieXRlcyE").unwrap();
/// let key = PseudonymKey::of(&ring);
/// assert_eq!(pseudonym(&key, "u-1001").len(), 32);
/// assert_ne!(pseudonym(&key, "u-1001"), pseudonym(&key, "u-1002"));
/// ```
pub fn pseudonym(key: &PseudonymKey, id: &str) -> String {
    key.pseudonym(id)
}

/// The shared fields of an event at `now` for `visitor` (the pseudonym only with consent).
pub fn common(visitor: &Visitor, snapshot: &str, now: u64) -> Common {
    Common {
        schema: SCHEMA,
        ts: now,
        day: now / 86_400,
        snapshot: snapshot.to_owned(),
        visitor: visitor.pseudonym(),
        global_holdout: false,
    }
}

/// Makes the arms in `seen` sticky in the visitor's activity cookie (with consent) and returns
/// the events to log: with consent, only the first exposure per experiment or campaign and UTC
/// day; without, every experiment exposure with no identifier, and no campaign exposure.
///
/// Call it before the page's impressions are counted: a campaign whose impression tally was
/// last bumped today was already logged today.
pub fn record(visitor: &mut Visitor, seen: Seen<'_>, snapshot: &str, now: u64) -> Vec<Event> {
    let base = common(visitor, snapshot, now);
    let today = now / 86_400;
    // Taken once, before this page view's exposures change anything the cookie holds.
    let pre = visitor.activity.as_ref().map(pre_exposure);
    let mut events = Vec::new();
    let mut emit = |experiment: Option<&str>,
                    campaign: Option<&str>,
                    arm: &str,
                    global,
                    first,
                    learned: Option<Learned<'_>>| {
        events.push(Event::Exposure(ExposureEvent {
            common: Common {
                global_holdout: global,
                ..base.clone()
            },
            experiment: experiment.map(str::to_owned),
            campaign: campaign.map(str::to_owned),
            arm: arm.to_owned(),
            pre: pre.filter(|_| first),
            context: learned.map(|l| l.context.to_owned()),
            split: learned.and_then(|l| l.split).map(str::to_owned),
        }));
    };
    for e in seen.experiments {
        let mut first = false;
        if let Some(activity) = &mut visitor.activity {
            let logged = format!("{LOGGED}{}", e.experiment);
            first = activity.assignment(e.experiment).is_none()
                && !activity.impressions.iter().any(|t| t.key() == logged);
            if !e.global {
                activity.assign(e.experiment, e.arm, now);
            }
            if !first_today(activity, &logged, now) {
                continue;
            }
        }
        emit(Some(e.experiment), None, e.arm, e.global, first, e.learned);
    }
    // Campaign exposures need the activity cookie (consent): see the module docs.
    let (shown, held) = if visitor.activity.is_some() {
        (seen.shown, seen.held)
    } else {
        (&[][..], &[][..])
    };
    for (i, &campaign) in shown.iter().enumerate() {
        let again = shown[..i].contains(&campaign);
        let tally = visitor
            .activity
            .as_ref()
            .and_then(|a| a.impressions.iter().find(|t| t.key() == campaign));
        let logged = tally.is_some_and(|t| t.last() / 86_400 == today);
        if !again && !logged {
            emit(None, Some(campaign), SHOWN, false, tally.is_none(), None);
        }
    }
    for (i, &campaign) in held.iter().enumerate() {
        let again = held[..i].contains(&campaign);
        let before = visitor
            .activity
            .as_mut()
            .and_then(|a| a.record_held(campaign, now));
        if !again && before.is_none_or(|t| t / 86_400 != today) {
            emit(None, Some(campaign), HOLDOUT, true, before.is_none(), None);
        }
    }
    events
}

/// The covariate of a first exposure: the cookie's counts as this page view found them.
fn pre_exposure(activity: &Activity) -> Pre {
    let views = activity
        .products
        .iter()
        .fold(0u32, |sum, t| sum.saturating_add(t.count()));
    Pre {
        visits: activity.visits,
        views,
    }
}

/// Whether the daily tally `key` was not yet bumped today; bumps it.
fn first_today(activity: &mut Activity, key: &str, now: u64) -> bool {
    let today = now / 86_400;
    let logged = activity
        .impressions
        .iter()
        .any(|t| t.key() == key && t.last() / 86_400 == today);
    if !logged {
        activity.record_impression(key, now);
    }
    !logged
}

#[cfg(test)]
mod tests;
