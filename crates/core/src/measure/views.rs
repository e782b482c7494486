//! Product-page views as events (`vitrine.view`), the raw material `vitrine recs train` learns
//! "also viewed" and "trending" from.
//!
//! A view event is written only for a **consenting** visitor (never without consent, never
//! with `Sec-GPC: 1`, never for a bot, never for a preview), on a page the snapshot's
//! `[activity] product_path` names a product, and it always carries the visitor's pseudonym
//! (the same keyed HMAC as exposures): without one, a view could not be paired with the
//! visitor's other views and would be of no use.
//!
//! Two settings ([`ViewEvents`], wrangler vars) bound what the edge writes:
//!
//! - `VIEW_SAMPLE_PERCENT` (default 100; 0 turns view events off): the share of consenting
//!   visitors whose views are written. Visitors are sampled, not views, by a hash of the
//!   pseudonym ([`crate::decide::experiment::bucket`] with the key `vitrine.view`), so a sampled
//!   visitor's views all come in and co-views stay whole.
//! - `VIEW_EVENTS_PER_HOUR` (default 60): at most this many view events per visitor and UTC
//!   hour, counted in the activity cookie (tally `v:`), so one busy tab or a script cannot
//!   flood the dataset.

use crate::cookie::activity::{extract_id, Activity, Tally};
use crate::cookie::visitor::Visitor;
use crate::decide::experiment::bucket;
use crate::measure::events::{Event, View};
use crate::measure::exposure::common;
use crate::Snapshot;

/// The activity-cookie tally that counts this hour's view events (`:` keeps it apart from
/// campaign ids, which cannot contain one).
const TALLY: &str = "v:";

/// The bucketing key visitors are sampled by.
const SAMPLE_KEY: &str = "vitrine.view";

/// How many view events the edge writes (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ViewEvents {
    /// Share of consenting visitors sampled, in basis points (0 ..= 10 000).
    pub sample_bp: u16,
    /// View events per visitor and UTC hour.
    pub per_hour: u32,
}

impl Default for ViewEvents {
    fn default() -> Self {
        ViewEvents {
            sample_bp: 10_000,
            per_hour: 60,
        }
    }
}

/// Why a view-event setting was refused (the default is used instead, and the error logged).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ViewSettingError {
    /// `VIEW_SAMPLE_PERCENT` is not a whole number from 0 to 100.
    #[error(
        "VIEW_SAMPLE_PERCENT `{0}` is not a whole number from 0 to 100; sampling every visitor"
    )]
    Sample(String),
    /// `VIEW_EVENTS_PER_HOUR` is not a whole number.
    #[error("VIEW_EVENTS_PER_HOUR `{0}` is not a whole number; allowing 60")]
    PerHour(String),
}

impl ViewEvents {
    /// The settings from the two wrangler vars' texts (`None`: unset, the default). A refused
    /// text falls back to its default; the errors say which and why.
    ///
    /// ```
    /// use vitrine_core::measure::views::ViewEvents;
    /// let (s, errors) = ViewEvents::parse(Some("25"), None);
    /// assert_eq!((s.sample_bp, s.per_hour, errors.len()), (2_500, 60, 0));
    /// let (s, errors) = ViewEvents::parse(Some("250"), Some("ten"));
    /// assert_eq!((s, errors.len()), (ViewEvents::default(), 2));
    /// ```
    pub fn parse(
        sample_percent: Option<&str>,
        per_hour: Option<&str>,
    ) -> (ViewEvents, Vec<ViewSettingError>) {
        let mut out = ViewEvents::default();
        let mut errors = Vec::new();
        if let Some(text) = sample_percent {
            match text.trim().parse::<u16>() {
                Ok(p) if p <= 100 => out.sample_bp = p * 100,
                _ => errors.push(ViewSettingError::Sample(clip(text))),
            }
        }
        if let Some(text) = per_hour {
            match text.trim().parse::<u32>() {
                Ok(n) => out.per_hour = n,
                Err(_) => errors.push(ViewSettingError::PerHour(clip(text))),
            }
        }
        (out, errors)
    }

    /// Whether view events can be written at all.
    pub fn on(&self) -> bool {
        self.sample_bp > 0 && self.per_hour > 0
    }
}

/// The view event for a page view of `path`, if one is due (see the module docs); counts it in
/// the visitor's activity.
// Not inlined into the Worker's request function (see [`crate::view()`]).
#[inline(never)]
pub fn record(
    visitor: &mut Visitor,
    snapshot: &Snapshot,
    path: &str,
    settings: ViewEvents,
    now: u64,
) -> Option<Event> {
    if !settings.on() || !visitor.consent.granted() {
        return None;
    }
    let pattern = snapshot.activity().product_path.as_deref()?;
    let product = extract_id(pattern, path)?;
    let base = common(visitor, snapshot.version(), now);
    let pseudonym = base.visitor.as_deref()?;
    if bucket(SAMPLE_KEY, pseudonym) >= settings.sample_bp {
        return None;
    }
    let activity = visitor.activity.as_mut()?;
    admit(activity, now, settings.per_hour).then(|| {
        Event::View(View {
            common: base,
            product: product.to_owned(),
        })
    })
}

/// Counts one view event in the hour of `now` unless `limit` were already counted in it.
fn admit(activity: &mut Activity, now: u64, limit: u32) -> bool {
    let hour = now / 3_600;
    match activity.impressions.iter_mut().find(|t| t.0 == TALLY) {
        Some(t) if t.2 / 3_600 == hour && t.1 >= limit => false,
        Some(t) => {
            t.1 = if t.2 / 3_600 == hour { t.1 + 1 } else { 1 };
            t.2 = now;
            true
        }
        None => {
            activity.impressions.push(Tally(TALLY.to_owned(), 1, now));
            true
        }
    }
}

/// A setting's text as quoted back in a log note: at most 32 printable ASCII characters.
fn clip(text: &str) -> String {
    text.chars()
        .filter(|c| c.is_ascii_graphic() || *c == ' ')
        .take(32)
        .collect()
}

#[cfg(test)]
mod tests;
