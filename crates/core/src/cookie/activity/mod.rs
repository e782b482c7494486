//! The activity cookie: what a visitor did recently, kept by the edge itself.
//!
//! The worker mints and updates it on every page view of a visitor who consented to tracking,
//! with no origin round trip: recent product views, view counts per product and per category
//! (each with the time of the last view), the visit count, first and last seen, impressions
//! per campaign (for frequency caps) and sticky experiment assignments; for measurement, the
//! campaigns a globally held-out visitor would have been shown, and a per-minute count of the
//! conversion events they sent (the beacon's rate limit).
//!
//! It is signed with a key ring of its own (`VITRINE_ACTIVITY_KEYS`), re-signed on every update
//! with the current key (so a cookie signed with an older key is accepted once and re-issued),
//! and bounded: [`seal`] drops the oldest entries until name and value fit in
//! [`MAX_COOKIE_BYTES`]. The wire format is described in [`seal`]'s module docs.
//!
//! This module never reads consent: the caller decides whether an activity cookie may be read
//! or written at all (see [`super::consent`]).

mod path;
mod seal;

use serde::{Deserialize, Serialize};

pub use path::{extract_id, validate_pattern, PatternError};
pub use seal::{clear_cookie, open, seal, seal_raw, set_cookie, Opened};

use super::id::VisitorId;

/// The cookie name. The `__Host-` prefix makes browsers insist on `Secure`, `Path=/` and no
/// `Domain`, so a sibling subdomain cannot plant or shadow it.
pub const ACTIVITY_COOKIE: &str = "__Host-vitrine_activity";

/// Upper bound for cookie name + `=` + value, in bytes (what browsers keep per cookie).
pub const MAX_COOKIE_BYTES: usize = 4096;

/// A new visit starts when the previous page view is older than this (30 minutes, the usual
/// web-analytics session gap).
pub const VISIT_GAP_SECS: u64 = 30 * 60;

/// Longest product, category, campaign, experiment or variant id kept, in bytes.
pub const MAX_KEY_BYTES: usize = 64;

/// Per-list entry caps, applied before the byte bound. The byte bound is what really limits
/// the cookie; these caps keep the per-request work small.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Caps {
    /// Recent product views kept.
    pub recent: usize,
    /// Products with a view count.
    pub products: usize,
    /// Categories with a view count.
    pub categories: usize,
    /// Campaigns with an impression count.
    pub impressions: usize,
    /// Sticky experiment assignments.
    pub experiments: usize,
    /// Page conversions remembered as counted (see [`Activity::converted`]).
    pub conversions: usize,
}

impl Default for Caps {
    fn default() -> Self {
        Self {
            recent: 30,
            products: 100,
            categories: 30,
            impressions: 100,
            experiments: 30,
            conversions: 16,
        }
    }
}

/// A count with the time of its last increment (Unix seconds). On the wire: `[key, n, t]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tally(pub String, pub u32, pub u64);

impl Tally {
    /// The product, category or campaign id.
    pub fn key(&self) -> &str {
        &self.0
    }
    /// How many times.
    pub fn count(&self) -> u32 {
        self.1
    }
    /// When last, Unix seconds.
    pub fn last(&self) -> u64 {
        self.2
    }
}

/// A recent product view: `[product id, Unix seconds]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct View(pub String, pub u64);

/// A sticky experiment assignment: `[experiment id, variant, Unix seconds assigned]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Assignment(pub String, pub String, pub u64);

/// Conversion events counted in one UTC minute: `[minute number, events]` (the rate limit of
/// [`crate::measure::conversion`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rate(pub u64, pub u32);

/// The profile an activity record is bound to: the first 8 bytes of
/// `SHA-256("vitrine-activity-subject-v1" 0x00 sub)`, in hex. Unkeyed on purpose: it only has
/// to tell two profiles apart in a cookie that the same browser's profile cookie already
/// names in full, and it must survive every key rotation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Subject(String);

impl Subject {
    /// The subject of the profile `sub`.
    pub fn of(sub: &str) -> Self {
        use sha2::{Digest, Sha256};
        let digest = Sha256::new()
            .chain_update(b"vitrine-activity-subject-v1\0")
            .chain_update(sub.as_bytes())
            .finalize();
        Self(crate::hex::encode(&digest[..8]))
    }
}

/// A visitor's recent activity. Lists are ordered oldest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Activity {
    /// Pseudonymous visitor id, minted for visitors without a profile cookie.
    #[serde(rename = "id", default, skip_serializing_if = "Option::is_none")]
    pub visitor: Option<VisitorId>,
    /// Whose record this is: [`Subject::of`] the profile `sub` it was bound to (the first
    /// signed-in page view binds it); `None` for an anonymous visitor's. A record bound to
    /// another `sub` is never read for a profile (see [`crate::cookie::visitor`]).
    #[serde(rename = "s", default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<Subject>,
    /// First page view, Unix seconds.
    #[serde(rename = "f")]
    pub first_seen: u64,
    /// Latest page view, Unix seconds.
    #[serde(rename = "l")]
    pub last_seen: u64,
    /// Number of visits (page views separated by more than [`VISIT_GAP_SECS`]).
    #[serde(rename = "n")]
    pub visits: u32,
    /// Recent product views, oldest first, one entry per product.
    #[serde(rename = "r", default, skip_serializing_if = "Vec::is_empty")]
    pub recent: Vec<View>,
    /// View counts per product.
    #[serde(rename = "p", default, skip_serializing_if = "Vec::is_empty")]
    pub products: Vec<Tally>,
    /// View counts per category.
    #[serde(rename = "c", default, skip_serializing_if = "Vec::is_empty")]
    pub categories: Vec<Tally>,
    /// Impressions per campaign.
    #[serde(rename = "i", default, skip_serializing_if = "Vec::is_empty")]
    pub impressions: Vec<Tally>,
    /// Sticky experiment assignments.
    #[serde(rename = "x", default, skip_serializing_if = "Vec::is_empty")]
    pub experiments: Vec<Assignment>,
    /// Campaigns this visitor, in the global holdout, would have been shown: `[campaign, t]`
    /// (latest time). Conversions report them as `holdout`.
    #[serde(rename = "h", default, skip_serializing_if = "Vec::is_empty")]
    pub held: Vec<View>,
    /// Conversion events counted in the current minute.
    #[serde(rename = "m", default, skip_serializing_if = "Option::is_none")]
    pub rate: Option<Rate>,
    /// Page conversions already counted that must count once (an order confirmation page
    /// reloaded): `[key, Unix seconds]`, the key from [`crate::measure::conversion::once_key`].
    #[serde(rename = "o", default, skip_serializing_if = "Vec::is_empty")]
    pub converted: Vec<View>,
}

impl Activity {
    /// A first page view at `now`.
    pub fn new(now: u64, visitor: Option<VisitorId>) -> Self {
        Self {
            visitor,
            subject: None,
            first_seen: now,
            last_seen: now,
            visits: 1,
            recent: Vec::new(),
            products: Vec::new(),
            categories: Vec::new(),
            impressions: Vec::new(),
            experiments: Vec::new(),
            held: Vec::new(),
            rate: None,
            converted: Vec::new(),
        }
    }

    /// Whether the conversion `key` was counted already.
    pub fn converted(&self, key: &str) -> bool {
        self.converted.iter().any(|v| v.0 == key)
    }

    /// Remembers that the conversion `key` was counted at `now`.
    pub fn record_conversion(&mut self, key: &str, now: u64) {
        if !valid_key(key) {
            return;
        }
        match self.converted.iter_mut().find(|v| v.0 == key) {
            Some(v) => v.1 = v.1.max(now),
            None => self.converted.push(View(key.to_owned(), now)),
        }
    }

    /// Records a page view at `now`: a new visit after [`VISIT_GAP_SECS`] of silence.
    pub fn touch(&mut self, now: u64) {
        if now.saturating_sub(self.last_seen) > VISIT_GAP_SECS {
            self.visits = self.visits.saturating_add(1);
        }
        self.last_seen = self.last_seen.max(now);
    }

    /// Records a view of product `id`; ignored (false) when the id is empty or too long.
    pub fn record_product_view(&mut self, id: &str, now: u64) -> bool {
        if !valid_key(id) {
            return false;
        }
        self.recent.retain(|v| v.0 != id);
        self.recent.push(View(id.to_owned(), now));
        bump(&mut self.products, id, now);
        true
    }

    /// Records a view of category `id`; ignored (false) when the id is empty or too long.
    pub fn record_category_view(&mut self, id: &str, now: u64) -> bool {
        valid_key(id) && {
            bump(&mut self.categories, id, now);
            true
        }
    }

    /// Records one impression of `campaign` (for frequency caps).
    pub fn record_impression(&mut self, campaign: &str, now: u64) -> bool {
        valid_key(campaign) && {
            bump(&mut self.impressions, campaign, now);
            true
        }
    }

    /// Impressions of `campaign` so far.
    pub fn impressions(&self, campaign: &str) -> u32 {
        count(&self.impressions, campaign)
    }

    /// Views of product `id` so far.
    pub fn product_views(&self, id: &str) -> u32 {
        count(&self.products, id)
    }

    /// Views of category `id` so far.
    pub fn category_views(&self, id: &str) -> u32 {
        count(&self.categories, id)
    }

    /// Recently viewed product ids, newest first.
    pub fn recent_products(&self) -> impl Iterator<Item = &str> {
        self.recent.iter().rev().map(|v| v.0.as_str())
    }

    /// The variant this visitor was assigned in `experiment`, if any.
    pub fn assignment(&self, experiment: &str) -> Option<&str> {
        self.experiments
            .iter()
            .find(|a| a.0 == experiment)
            .map(|a| a.1.as_str())
    }

    /// Assigns `variant` in `experiment` unless the visitor already has one (assignments are
    /// sticky); returns the variant in force, or `None` when an id is empty or too long.
    pub fn assign(&mut self, experiment: &str, variant: &str, now: u64) -> Option<&str> {
        if !valid_key(experiment) || !valid_key(variant) {
            return None;
        }
        let at = match self.experiments.iter().position(|a| a.0 == experiment) {
            Some(at) => at,
            None => {
                self.experiments
                    .push(Assignment(experiment.into(), variant.into(), now));
                self.experiments.len() - 1
            }
        };
        self.experiments.get(at).map(|a| a.1.as_str())
    }

    /// Remembers that the visitor was held out of `campaign` at `now`; returns the time it was
    /// last remembered before (`None` the first time, or for an empty or too long id).
    pub fn record_held(&mut self, campaign: &str, now: u64) -> Option<u64> {
        if !valid_key(campaign) {
            return None;
        }
        match self.held.iter_mut().find(|v| v.0 == campaign) {
            Some(v) => {
                let before = v.1;
                v.1 = before.max(now);
                Some(before)
            }
            None => {
                self.held.push(View(campaign.to_owned(), now));
                None
            }
        }
    }

    /// Counts one event in the minute of `now` unless `limit` events were already counted in
    /// it; returns whether it was counted.
    pub fn count_event(&mut self, now: u64, limit: u32) -> bool {
        let minute = now / 60;
        let n = match self.rate {
            Some(Rate(m, n)) if m == minute => n,
            _ => 0,
        };
        if n >= limit {
            return false;
        }
        self.rate = Some(Rate(minute, n.saturating_add(1)));
        true
    }

    /// Applies the per-list caps, dropping the oldest entries.
    pub fn cap(&mut self, caps: Caps) {
        keep_newest(&mut self.recent, caps.recent, |v| v.1);
        keep_newest(&mut self.products, caps.products, |t| t.2);
        keep_newest(&mut self.categories, caps.categories, |t| t.2);
        keep_newest(&mut self.impressions, caps.impressions, |t| t.2);
        keep_newest(&mut self.experiments, caps.experiments, |a| a.2);
        keep_newest(&mut self.held, caps.impressions, |v| v.1);
        keep_newest(&mut self.converted, caps.conversions, |v| v.1);
    }

    /// Drops the single oldest entry (experiment assignments last, as dropping one changes what
    /// the visitor sees); returns false when nothing is left to drop.
    pub fn drop_oldest(&mut self) -> bool {
        let oldest = [
            oldest_at(&self.recent, |v| v.1).map(|(i, t)| (t, 0, i)),
            oldest_at(&self.products, |v| v.2).map(|(i, t)| (t, 1, i)),
            oldest_at(&self.categories, |v| v.2).map(|(i, t)| (t, 2, i)),
            oldest_at(&self.impressions, |v| v.2).map(|(i, t)| (t, 3, i)),
            oldest_at(&self.held, |v| v.1).map(|(i, t)| (t, 4, i)),
            oldest_at(&self.converted, |v| v.1).map(|(i, t)| (t, 5, i)),
        ]
        .into_iter()
        .flatten()
        .min();
        match oldest {
            Some((_, 0, i)) => drop(self.recent.remove(i)),
            Some((_, 1, i)) => drop(self.products.remove(i)),
            Some((_, 2, i)) => drop(self.categories.remove(i)),
            Some((_, 3, i)) => drop(self.impressions.remove(i)),
            Some((_, 4, i)) => drop(self.held.remove(i)),
            Some((_, _, i)) => drop(self.converted.remove(i)),
            None if !self.experiments.is_empty() => {
                let i = oldest_at(&self.experiments, |a| a.2).map_or(0, |(i, _)| i);
                drop(self.experiments.remove(i));
            }
            None => return false,
        }
        true
    }

    /// Number of list entries (all lists together).
    pub fn entries(&self) -> usize {
        self.recent.len()
            + self.products.len()
            + self.categories.len()
            + self.impressions.len()
            + self.experiments.len()
            + self.held.len()
            + self.converted.len()
    }
}

fn valid_key(id: &str) -> bool {
    !id.is_empty() && id.len() <= MAX_KEY_BYTES
}

fn bump(list: &mut Vec<Tally>, key: &str, now: u64) {
    match list.iter_mut().find(|t| t.0 == key) {
        Some(t) => {
            t.1 = t.1.saturating_add(1);
            t.2 = t.2.max(now);
        }
        None => list.push(Tally(key.to_owned(), 1, now)),
    }
}

fn count(list: &[Tally], key: &str) -> u32 {
    list.iter().find(|t| t.0 == key).map_or(0, |t| t.1)
}

fn oldest_at<T>(list: &[T], at: impl Fn(&T) -> u64) -> Option<(usize, u64)> {
    list.iter()
        .enumerate()
        .map(|(i, x)| (i, at(x)))
        .min_by_key(|&(i, t)| (t, i))
}

fn keep_newest<T>(list: &mut Vec<T>, cap: usize, at: impl Fn(&T) -> u64 + Copy) {
    while list.len() > cap {
        match oldest_at(list, at) {
            Some((i, _)) => drop(list.remove(i)),
            None => break,
        }
    }
}

#[cfg(test)]
mod tests;
