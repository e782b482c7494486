//! Reading an event line without serde's buffering, its strings borrowed from the line:
//! [`EventRef`].
//!
//! **Why.** [`Event`] is `#[serde(tag = "event")]` with a flattened [`Common`]: to deserialize
//! it, serde first buffers every field of the line into an intermediate tree (it cannot know
//! the variant before it has seen `"event"`, which may come last), then reads the variant's
//! struct out of that tree, copying every string twice. That, and its allocations, was about a
//! third of `vitrine recs train`'s time (BENCHMARKS.md). Here a line is read into its
//! [`Head`] (the kind, the shared fields and a view's product, as borrowed `&str`, every other
//! field skipped), which is all of a view: a view line is read in one pass without a single
//! allocation. An exposure or a conversion is read a second time for its own fields
//! ([`ExposureRest`], [`ConversionRest`]).
//!
//! **Never a second opinion.** This is only a faster road to the answer of the derived parse
//! ([`Event::parse_derived`]). When a line cannot be read here (a string with an escape, which
//! cannot be borrowed; a field of another type or repeated; an `"event"` that is not one of the
//! three names; a required field missing or `null`; anything not an object), it goes through
//! the derived parse, which alone decides what is accepted or refused, and with which message.
//! So what matters is one direction only: a line read here must be exactly the event the
//! derived parse reads. Each field a kind has is read here with its own type or a stricter one
//! (`&str` for `String`; a view's `product`, read before the kind is known, as an `Option`
//! that must be present), fields a kind does not have are skipped as the derived parse skips
//! them, and the one field read for another kind (`product`) at worst sends the line to the
//! derived parse. The tests in [`tests`] pin both parses to the same events, field by field
//! and on generated lines, bad ones included.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::{Common, Conversion, Event, EventError, ExposureEvent, Pre, Via, View, SCHEMA};

/// The kind of an event (its `"event"` name).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum EventKind {
    /// `vitrine.exposure`.
    Exposure,
    /// `vitrine.conversion`.
    Conversion,
    /// `vitrine.view`.
    View,
}

/// The fields every kind shares, and a view's product, borrowed from the line; every other
/// field is skipped.
#[derive(Deserialize)]
struct Head<'a> {
    event: &'a str,
    schema: u32,
    ts: u64,
    day: u64,
    snapshot: &'a str,
    visitor: Option<&'a str>,
    #[serde(default)]
    global_holdout: bool,
    product: Option<&'a str>,
}

/// An exposure's own fields ([`ExposureEvent`]); the shared ones are skipped.
#[derive(Deserialize)]
struct ExposureRest<'a> {
    experiment: Option<&'a str>,
    campaign: Option<&'a str>,
    arm: &'a str,
    pre: Option<Pre>,
    context: Option<&'a str>,
    split: Option<&'a str>,
}

/// A conversion's own fields ([`Conversion`]); the shared ones are skipped.
#[derive(Deserialize)]
struct ConversionRest<'a> {
    name: &'a str,
    value: Option<f64>,
    source: Via,
    #[serde(default, borrow)]
    assignments: BTreeMap<&'a str, &'a str>,
    #[serde(default, borrow)]
    campaigns: BTreeMap<&'a str, &'a str>,
    #[serde(default, borrow)]
    products: Vec<&'a str>,
}

/// What follows the head: a view has nothing more; the others are boxed so that the common
/// case, a view, stays small to move.
enum Rest<'a> {
    View(&'a str),
    Exposure(Box<ExposureRest<'a>>),
    Conversion(Box<ConversionRest<'a>>),
}

/// A line read here: its head, and its kind's own fields. `None` sends the line to the
/// derived parse.
#[inline]
fn read(line: &str) -> Option<(Head<'_>, Rest<'_>)> {
    // A derived struct also reads a JSON array, by position; an event never is one.
    let first = line
        .bytes()
        .find(|b| !matches!(b, b' ' | b'\t' | b'\n' | b'\r'));
    if first != Some(b'{') {
        return None;
    }
    let head: Head<'_> = serde_json::from_str(line).ok()?;
    let rest = match head.event {
        "vitrine.view" => Rest::View(head.product?),
        "vitrine.exposure" => Rest::Exposure(Box::new(serde_json::from_str(line).ok()?)),
        "vitrine.conversion" => Rest::Conversion(Box::new(serde_json::from_str(line).ok()?)),
        _ => return None,
    };
    Some((head, rest))
}

impl Head<'_> {
    fn common(&self) -> Common {
        Common {
            schema: self.schema,
            ts: self.ts,
            day: self.day,
            snapshot: self.snapshot.to_owned(),
            visitor: self.visitor.map(str::to_owned),
            global_holdout: self.global_holdout,
        }
    }

    /// The owned event.
    fn to_event(&self, rest: &Rest<'_>) -> Event {
        let owned = |s: Option<&str>| s.map(str::to_owned);
        let map = |m: &BTreeMap<&str, &str>| {
            m.iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect()
        };
        match rest {
            Rest::Exposure(x) => Event::Exposure(ExposureEvent {
                common: self.common(),
                experiment: owned(x.experiment),
                campaign: owned(x.campaign),
                arm: x.arm.to_owned(),
                pre: x.pre,
                context: owned(x.context),
                split: owned(x.split),
            }),
            Rest::Conversion(c) => Event::Conversion(Conversion {
                common: self.common(),
                name: c.name.to_owned(),
                value: c.value,
                source: c.source,
                assignments: map(&c.assignments),
                campaigns: map(&c.campaigns),
                products: c.products.iter().map(|p| (*p).to_owned()).collect(),
            }),
            Rest::View(product) => Event::View(View {
                common: self.common(),
                product: (*product).to_owned(),
            }),
        }
    }
}

/// An event as read, borrowing its strings from where it was read: from a line by
/// [`EventRef::parse`] (nearly always without copying anything), or from an [`Event`].
/// It answers what a reader that goes through millions of events needs (when, who, what kind,
/// which products) without building an [`Event`]; [`EventRef::into_event`] builds one.
///
/// ```
/// use vitrine_core::measure::events::{EventRef, EventKind};
///
/// let line = r#"{"event":"vitrine.view","schema":2,"ts":1764264200,"day":20419,"snapshot":"3f","visitor":"5f0c","product":"p0042"}"#;
/// let e = EventRef::parse(line).unwrap();
/// assert_eq!((e.kind(), e.ts(), e.visitor(), e.product()), (EventKind::View, 1764264200, Some("5f0c"), Some("p0042")));
/// ```
pub struct EventRef<'a>(Read<'a>);

enum Read<'a> {
    /// Read here from a line.
    Line(Head<'a>, Rest<'a>),
    /// Read by the derived parse, or made by the caller (boxed: rare, and large to move).
    Owned(Box<Event>),
    /// The caller's.
    Borrowed(&'a Event),
}

impl<'a> EventRef<'a> {
    /// Parses one line as [`Event::parse`] does (the same events, the same errors), borrowing
    /// from `line` instead of copying it.
    #[inline]
    pub fn parse(line: &'a str) -> Result<EventRef<'a>, EventError> {
        match read(line) {
            Some((head, _)) if head.schema != SCHEMA => {
                Err(EventError::Schema { found: head.schema })
            }
            Some((head, rest)) => Ok(EventRef(Read::Line(head, rest))),
            None => Event::parse_derived(line).map(EventRef::from),
        }
    }

    /// The event, unless it was read from a line here.
    fn event(&self) -> Result<&Event, (&Head<'a>, &Rest<'a>)> {
        match &self.0 {
            Read::Line(head, rest) => Err((head, rest)),
            Read::Owned(e) => Ok(e),
            Read::Borrowed(e) => Ok(e),
        }
    }

    /// The kind of event.
    pub fn kind(&self) -> EventKind {
        match self.event() {
            Err((_, Rest::View(_))) | Ok(Event::View(_)) => EventKind::View,
            Err((_, Rest::Exposure(_))) | Ok(Event::Exposure(_)) => EventKind::Exposure,
            Err((_, Rest::Conversion(_))) | Ok(Event::Conversion(_)) => EventKind::Conversion,
        }
    }

    /// Unix seconds ([`Common::ts`]).
    pub fn ts(&self) -> u64 {
        match self.event() {
            Err((head, _)) => head.ts,
            Ok(e) => e.common().ts,
        }
    }

    /// The visitor pseudonym ([`Common::visitor`]), only with consent.
    pub fn visitor(&self) -> Option<&str> {
        match self.event() {
            Err((head, _)) => head.visitor,
            Ok(e) => e.common().visitor.as_deref(),
        }
    }

    /// The product a view is of ([`View::product`]); `None` for another kind.
    pub fn product(&self) -> Option<&str> {
        match self.event() {
            Err((_, Rest::View(product))) => Some(product),
            Ok(Event::View(v)) => Some(&v.product),
            _ => None,
        }
    }

    /// The products a conversion names ([`Conversion::products`]); none for another kind.
    pub fn products(&self) -> impl Iterator<Item = &str> + '_ {
        let (line, event): (&[&str], &[String]) = match self.event() {
            Err((_, Rest::Conversion(c))) => (&c.products, &[]),
            Ok(Event::Conversion(c)) => (&[], &c.products),
            _ => (&[], &[]),
        };
        line.iter().copied().chain(event.iter().map(String::as_str))
    }

    /// The owned event (copying the strings of a line).
    pub fn into_event(self) -> Event {
        match self.0 {
            Read::Line(head, rest) => head.to_event(&rest),
            Read::Owned(e) => *e,
            Read::Borrowed(e) => e.clone(),
        }
    }

    /// Whether the line was read here (not by the derived parse).
    #[cfg(test)]
    fn in_one_pass(&self) -> bool {
        matches!(self.0, Read::Line(..))
    }
}

impl From<Event> for EventRef<'static> {
    fn from(e: Event) -> Self {
        EventRef(Read::Owned(Box::new(e)))
    }
}

impl<'a> From<&'a Event> for EventRef<'a> {
    fn from(e: &'a Event) -> Self {
        EventRef(Read::Borrowed(e))
    }
}

#[cfg(test)]
mod tests;
