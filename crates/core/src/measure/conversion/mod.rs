//! Conversions at the edge: recognising one (a page request matching a declared path, or a
//! beacon, see [`beacon`]), counting it against the visitor's per-minute limit, and building
//! the event, which carries what the report needs so it never has to join.
//!
//! A conversion event carries, from the activity cookie, the visitor's sticky experiment
//! assignments (`holdout` included), the campaigns they were shown (`shown`, from the
//! frequency-cap impressions) or kept from by the global holdout (`holdout`), and whether they
//! are in the global holdout. The cookie lives `ACTIVITY_MAX_AGE_SECS` (30 days by default),
//! which is therefore the attribution window.
//!
//! **Without consent** (no consent, or `Sec-GPC: 1`) a conversion is counted **in aggregate
//! only**: the event has its name, value, source, time and snapshot, and nothing else: no
//! `visitor`, no assignments, no campaigns, no `global_holdout`. The report counts it in the
//! total and attributes it to no arm. No per-visitor rate limit can apply (no cookie may be
//! read or written), so such beacons are limited only by the route's other checks.
//!
//! This module never reads headers or bodies itself; the Worker shell hands it typed values.

pub mod beacon;
pub mod navigation;
pub mod signed;

pub use navigation::{FetchHeaders, Navigation};

use crate::cookie::visitor::Visitor;
use crate::cookie::KeyRing;
use crate::decide::experiment::{bucket, GLOBAL_KEY, HOLDOUT};
use crate::measure::events::{Conversion, Event, Via, SHOWN};
use crate::measure::exposure::{bucketing_id, common};
use crate::snapshot::goal::{Goal, Range};
use crate::Snapshot;

/// Conversion events one visitor may send per UTC minute (page and beacon together).
pub const MAX_EVENTS_PER_MINUTE: u32 = 20;

/// Whether one conversion may be recorded for a visitor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admission {
    /// Counted in the activity cookie's per-minute tally: record it.
    Counted,
    /// No activity cookie (no consent): record it, in aggregate only.
    Untracked,
    /// Over [`MAX_EVENTS_PER_MINUTE`]: record nothing.
    Limited,
}

/// Counts one conversion against the visitor's per-minute limit.
pub fn admit(visitor: &mut Visitor, now: u64) -> Admission {
    match visitor
        .activity
        .as_mut()
        .map(|a| a.count_event(now, MAX_EVENTS_PER_MINUTE))
    {
        Some(true) => Admission::Counted,
        Some(false) => Admission::Limited,
        None => Admission::Untracked,
    }
}

/// Why a page conversion's value was not taken (the conversion still counts, without one).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ValueError {
    /// The query parameter is absent.
    #[error("the value parameter is missing")]
    Missing,
    /// The query parameter appears more than once.
    #[error("the value parameter appears more than once")]
    Repeated,
    /// Not a plain decimal number (`49.90`, `-3`, no exponent, at most 15 digits).
    #[error("the value is not a plain decimal number")]
    NotANumber,
    /// Outside the declared range.
    #[error("the value is outside the declared range")]
    OutOfRange,
}

impl ValueError {
    /// Stable code for logs.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Missing => "value_missing",
            Self::Repeated => "value_repeated",
            Self::NotANumber => "value_not_a_number",
            Self::OutOfRange => "value_out_of_range",
        }
    }
}

/// The page conversion the request for `path` with query `query` is, if any (the first
/// declared one whose glob matches), with its value read from the query.
pub fn at_page<'g>(
    goals: &'g [Goal],
    path: &str,
    query: &str,
) -> Option<(&'g Goal, Result<Option<f64>, ValueError>)> {
    let goal = goals.iter().find(|g| {
        g.path
            .as_deref()
            .is_some_and(|p| crate::decide::glob_match(p, path))
    })?;
    let value = match (&goal.value_param, goal.value) {
        (Some(param), Some(range)) => read_value(query, param, range).map(Some),
        _ => Ok(None),
    };
    Some((goal, value))
}

/// The value of `param` in `query`, parsed strictly and checked against `range`.
fn read_value(query: &str, param: &str, range: Range) -> Result<f64, ValueError> {
    let text = only_param(query, param)?;
    let value = parse_decimal(&text).ok_or(ValueError::NotANumber)?;
    if range.contains(value) {
        Ok(value)
    } else {
        Err(ValueError::OutOfRange)
    }
}

/// `-?[0-9]+(\.[0-9]+)?` with at most 15 digits (exact in an f64); anything else is `None`.
pub fn parse_decimal(text: &str) -> Option<f64> {
    let digits = text.strip_prefix('-').unwrap_or(text);
    let (int, frac) = digits.split_once('.').unwrap_or((digits, "0"));
    let plain = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !plain(int) || !plain(frac) || int.len() + frac.len() > 15 {
        return None;
    }
    // serde_json's parser is in the .wasm already (`str::parse::<f64>` would add its own);
    // JSON refuses leading zeros, so they go first.
    let sign = if text.starts_with('-') { "-" } else { "" };
    let int = match int.trim_start_matches('0') {
        "" => "0",
        rest => rest,
    };
    serde_json::from_slice(format!("{sign}{int}.{frac}").as_bytes()).ok()
}

/// A page request, as a page conversion reads it.
#[derive(Debug, Clone, Copy)]
pub struct PageHit<'a> {
    /// URL path.
    pub path: &'a str,
    /// Query string without `?`.
    pub query: &'a str,
    /// What kind of request it is: only a top-level navigation counts.
    pub navigation: Navigation,
    /// The profile cookie's key ring, which verifies [`signed`] conversions (`None`: every
    /// signed conversion is refused).
    pub keys: Option<&'a KeyRing>,
}

/// The conversion event a page request is, if any, with a problem code to log: the request is
/// not a top-level navigation (`not_navigation`, `prefetch`: no event, see [`navigation`]),
/// a signed conversion's token is missing or refused (no event, see [`signed`]), its value was
/// refused (the conversion counts without one), the visitor is over the limit (no event), or
/// the page names what was already counted for this visitor (`duplicate`, no event: a
/// reloaded order confirmation). Counting once needs the activity cookie, so without consent
/// every request counts (in aggregate only).
pub fn on_page(
    visitor: &mut Visitor,
    snapshot: &Snapshot,
    hit: PageHit<'_>,
    now: u64,
) -> (Option<Event>, Option<&'static str>) {
    let PageHit { path, query, .. } = hit;
    let Some((goal, value)) = at_page(&snapshot.body().conversions, path, query) else {
        return (None, None);
    };
    if let Err(code) = hit.navigation.counts() {
        return (None, Some(code));
    }
    let (value, once_id) = if goal.signed {
        match signed_value(goal, hit, visitor, now) {
            Ok(signed) => signed,
            Err(why) => return (None, Some(why.code())),
        }
    } else {
        // What the page names as converted (an order id), when the goal says it counts once.
        let id = goal
            .dedupe_param
            .as_deref()
            .and_then(|param| only_param(query, param).ok());
        (value, id)
    };
    let (value, problem) = match value {
        Ok(v) => (v, None),
        Err(why) => (None, Some(why.code())),
    };
    let once = once_id
        .filter(|id| !id.is_empty())
        .map(|id| once_key(&goal.name, &id));
    if let (Some(key), Some(activity)) = (&once, &visitor.activity) {
        if activity.converted(key) {
            return (None, Some("duplicate"));
        }
    }
    if admit(visitor, now) == Admission::Limited {
        return (None, Some("rate_limited"));
    }
    if let (Some(key), Some(activity)) = (&once, visitor.activity.as_mut()) {
        activity.record_conversion(key, now);
    }
    let event = event(visitor, snapshot, &goal.name, value, Via::Url, now);
    (Some(event), problem)
}

/// A signed conversion's value (checked against the goal's range) and order id, from its
/// verified token.
#[allow(clippy::type_complexity)]
fn signed_value(
    goal: &Goal,
    hit: PageHit<'_>,
    visitor: &Visitor,
    now: u64,
) -> Result<(Result<Option<f64>, ValueError>, Option<String>), signed::SignedRefusal> {
    let token =
        only_param(hit.query, signed::PARAM).map_err(|_| signed::SignedRefusal::Unsigned)?;
    let ring = hit.keys.ok_or(signed::SignedRefusal::Unsigned)?;
    let verified = signed::verify(&token, ring, &goal.name, visitor, now)?;
    let value = match (verified.value, goal.value) {
        (Some(v), Some(range)) if range.contains(v) => Ok(Some(v)),
        (Some(_), _) => Err(ValueError::OutOfRange),
        (None, _) => Ok(None),
    };
    Ok((value, Some(verified.order)))
}

/// The value of `param` in `query`, which must appear exactly once.
fn only_param(query: &str, param: &str) -> Result<String, ValueError> {
    let mut found = form_urlencoded::parse(query.as_bytes()).filter(|(k, _)| k == param);
    let (_, value) = found.next().ok_or(ValueError::Missing)?;
    if found.next().is_some() {
        return Err(ValueError::Repeated);
    }
    Ok(value.into_owned())
}

/// The key a counted-once conversion is remembered by in the activity cookie: the first 16
/// hex digits of SHA-256 over the goal and the id, so the cookie never holds order ids.
pub fn once_key(goal: &str, id: &str) -> String {
    use sha2::{Digest, Sha256};
    let digest = Sha256::new()
        .chain_update(goal.as_bytes())
        .chain_update([0])
        .chain_update(id.as_bytes())
        .finalize();
    crate::hex::encode(&digest[..8])
}

/// `event` naming the `products` it was for, kept only with consent (an anonymous
/// conversion carries nothing but its name, value, source and time).
pub fn with_products(event: Event, visitor: &Visitor, products: Vec<String>) -> Event {
    match event {
        Event::Conversion(mut c) if visitor.consent.granted() && c.common.visitor.is_some() => {
            c.products = products;
            Event::Conversion(c)
        }
        other => other,
    }
}

/// The conversion event for `visitor` (see the module docs for what it carries).
pub fn event(
    visitor: &Visitor,
    snapshot: &Snapshot,
    name: &str,
    value: Option<f64>,
    source: Via,
    now: u64,
) -> Event {
    let mut common = common(visitor, snapshot.version(), now);
    let mut conversion = Conversion {
        common: common.clone(),
        name: name.to_owned(),
        value,
        source,
        assignments: Default::default(),
        campaigns: Default::default(),
        products: Vec::new(),
    };
    let (true, Some(activity)) = (visitor.consent.granted(), &visitor.activity) else {
        return Event::Conversion(conversion);
    };
    for a in activity.experiments.iter().filter(|a| !a.0.contains(':')) {
        conversion.assignments.insert(a.0.clone(), a.1.clone());
    }
    // Shown and held out of the same campaign: the later one stands (map inserts only, no
    // collect: a sorted bulk build would add a sort to the .wasm).
    let shown = activity
        .impressions
        .iter()
        .filter(|t| !t.key().contains(':'));
    for t in shown.clone() {
        conversion
            .campaigns
            .insert(t.key().to_owned(), SHOWN.to_owned());
    }
    for v in &activity.held {
        let shown_at = shown.clone().find(|t| t.key() == v.0).map(|t| t.last());
        if shown_at.is_none_or(|at| v.1 > at) {
            conversion.campaigns.insert(v.0.clone(), HOLDOUT.to_owned());
        }
    }
    let share = snapshot.body().global_holdout_bp;
    common.global_holdout =
        share > 0 && bucketing_id(visitor).is_some_and(|id| bucket(GLOBAL_KEY, &id) < share);
    conversion.common = common;
    Event::Conversion(conversion)
}
