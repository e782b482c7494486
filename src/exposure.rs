//! Experiment exposures after a decision: which id a visitor is bucketed by, the sticky arm
//! written to the activity cookie, and the exposure events to log.
//!
//! An exposure event is one JSON object on one line (the Worker `console.log`s it from
//! `ctx.wait_until`, after the response has started):
//!
//! ```json
//! {"event":"vitrine.exposure","schema":1,"experiment":"hero-copy","arm":"urgency",
//!  "snapshot":"v-…","day":20419,"ts":1764264000,"visitor":"5f0c…(32 hex)"}
//! ```
//!
//! `global_holdout: true` marks a visitor held out of every campaign by `global_holdout_bp`
//! (their `arm` is `holdout`). `day` is the UTC day number (`ts / 86 400`). With consent, events are deduplicated per
//! visitor, experiment and UTC day through the activity cookie, and carry `visitor`: a
//! pseudonym of the profile `sub` (else the activity cookie's visitor id), the first 16 bytes
//! of `SHA-256("vitrine-exposure-v1" 0x00 id)` in hex, so the raw id never reaches a log while
//! the shop can still join exposures to its own users. Without consent there is no cookie to
//! deduplicate with and no identifier: every exposure is logged, and `visitor` is absent.

use serde_json::json;
use sha2::{Digest, Sha256};

use crate::cookie::visitor::Visitor;
use crate::cookie::Identity;
use crate::decide::Exposure;

/// Version of the event's shape; bumped on any incompatible change.
pub const SCHEMA: u32 = 1;

/// Prefix of the activity-cookie tally that remembers the last day an experiment was logged
/// (campaign ids cannot contain `:`, so it never collides with a frequency-cap count).
const LOGGED: &str = "x:";

/// Longest experiment key the daily deduplication can remember (the cookie keeps keys of up
/// to 64 bytes, and the prefix takes two); the compiler refuses longer keys.
pub const MAX_EXPERIMENT_KEY: usize = 62;

/// The id experiments bucket by: the profile's `sub`, else the activity cookie's visitor id
/// (which only exists with consent). Bucketing by it stores nothing; it only picks the arm.
pub fn bucketing_id(visitor: &Visitor) -> Option<String> {
    match (&visitor.identity, &visitor.activity) {
        (Identity::Profile(p), _) if !p.sub.is_empty() => Some(p.sub.clone()),
        (_, Some(a)) => a.visitor.map(|id| id.to_hex()),
        _ => None,
    }
}

/// The `visitor` field of an exposure event for the id `id`.
///
/// ```
/// let p = vitrine::exposure::pseudonym("u-1001");
/// assert_eq!(p.len(), 32);
/// assert_ne!(p, vitrine::exposure::pseudonym("u-1002"));
/// ```
pub fn pseudonym(id: &str) -> String {
    let digest = Sha256::new()
        .chain_update(b"vitrine-exposure-v1\0")
        .chain_update(id.as_bytes())
        .finalize();
    digest[..16].iter().map(|b| format!("{b:02x}")).collect()
}

/// Makes the arms in `exposures` sticky in the visitor's activity cookie (with consent) and
/// returns the event lines to log: with consent, only the first exposure per experiment and
/// UTC day; without, every exposure and no identifier.
pub fn record(
    visitor: &mut Visitor,
    exposures: &[Exposure<'_>],
    snapshot: &str,
    now: u64,
) -> Vec<String> {
    let id = visitor.loggable_id().map(|id| pseudonym(&id));
    let today = now / 86_400;
    let mut lines = Vec::new();
    for e in exposures {
        if let Some(activity) = &mut visitor.activity {
            if !e.global {
                activity.assign(e.experiment, e.arm, now);
            }
            let key = format!("{LOGGED}{}", e.experiment);
            let logged_today = activity
                .impressions
                .iter()
                .any(|t| t.key() == key && t.last() / 86_400 == today);
            if logged_today {
                continue;
            }
            activity.record_impression(&key, now);
        }
        let mut event = json!({
            "event": "vitrine.exposure",
            "schema": SCHEMA,
            "experiment": e.experiment,
            "arm": e.arm,
            "snapshot": snapshot,
            "day": today,
            "ts": now,
        });
        if let Some(map) = event.as_object_mut() {
            if let Some(id) = &id {
                map.insert("visitor".into(), id.clone().into());
            }
            if e.global {
                map.insert("global_holdout".into(), true.into());
            }
        }
        lines.push(event.to_string());
    }
    lines
}

#[cfg(test)]
mod tests;
