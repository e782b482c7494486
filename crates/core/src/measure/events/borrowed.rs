//! Reading an event line in one pass, its strings borrowed from the line: [`EventRef`].
//!
//! **Why.** [`Event`] is `#[serde(tag = "event")]` with a flattened [`Common`]: to deserialize
//! it, serde first buffers every field of the line into an intermediate tree (it cannot know
//! the variant before it has seen `"event"`, which may come last), then reads the variant's
//! struct out of that tree, copying every string twice. That was most of `vitrine recs
//! train`'s time. Here the line is read once into [`Fields`], the union of the three kinds'
//! fields as borrowed `&str`, and the kind is chosen afterwards. A view line is read without a
//! single allocation.
//!
//! **Never a second opinion.** This is only a faster road to the answer of the derived parse
//! ([`Event::parse_derived`]). When a line cannot be read here (a string with an escape, which
//! cannot be borrowed; a field of another type or repeated; an `"event"` that is not one of the
//! three names; a required field missing or `null`; anything not an object), it goes through
//! the derived parse, which alone decides what is accepted or refused, and with which message.
//! So what matters is one direction only: a line read here must be exactly the event the
//! derived parse reads. Every field a kind has is read here with its own type or a stricter
//! one (`&str` for `String`, a required field as an `Option` that must be present), and the
//! fields of the other kinds, which the derived parse ignores, at worst send the line to it.
//! The property test in [`tests`] pins both parses to the same events on generated lines,
//! bad ones included.

use std::borrow::Cow;
use std::collections::BTreeMap;

use serde::Deserialize;

use super::{Common, Conversion, Event, EventError, ExposureEvent, Pre, Via, View, SCHEMA};

/// The kind of an event (its `"event"` name).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Kind {
    /// `vitrine.exposure`.
    Exposure,
    /// `vitrine.conversion`.
    Conversion,
    /// `vitrine.view`.
    View,
}

/// Every field any kind of event has, borrowed from the line (see the module docs for why a
/// field's type here may be stricter than the event's, never looser).
#[derive(Deserialize)]
struct Fields<'a> {
    event: &'a str,
    schema: u32,
    ts: u64,
    day: u64,
    snapshot: &'a str,
    visitor: Option<&'a str>,
    #[serde(default)]
    global_holdout: bool,
    experiment: Option<&'a str>,
    campaign: Option<&'a str>,
    arm: Option<&'a str>,
    pre: Option<Pre>,
    context: Option<&'a str>,
    split: Option<&'a str>,
    name: Option<&'a str>,
    value: Option<f64>,
    source: Option<Via>,
    #[serde(default, borrow)]
    assignments: BTreeMap<&'a str, &'a str>,
    #[serde(default, borrow)]
    campaigns: BTreeMap<&'a str, &'a str>,
    #[serde(default, borrow)]
    products: Vec<&'a str>,
    product: Option<&'a str>,
}

impl<'a> Fields<'a> {
    /// The line's fields and kind, if it is an object read in one pass with the fields its
    /// kind requires; `None` sends the line to the derived parse.
    fn read(line: &'a str) -> Option<(Fields<'a>, Kind)> {
        // A derived struct also reads a JSON array, by position; an event never is one.
        let first = line
            .bytes()
            .find(|b| !matches!(b, b' ' | b'\t' | b'\n' | b'\r'));
        if first != Some(b'{') {
            return None;
        }
        let fields: Fields<'a> = serde_json::from_str(line).ok()?;
        let kind = match fields.event {
            "vitrine.exposure" if fields.arm.is_some() => Kind::Exposure,
            "vitrine.conversion" if fields.name.is_some() && fields.source.is_some() => {
                Kind::Conversion
            }
            "vitrine.view" if fields.product.is_some() => Kind::View,
            _ => return None,
        };
        Some((fields, kind))
    }

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

    /// The owned event (`kind` is the one [`Fields::read`] found, so its fields are there).
    fn to_event(&self, kind: Kind) -> Event {
        let owned = |s: Option<&str>| s.map(str::to_owned);
        let map = |m: &BTreeMap<&str, &str>| {
            m.iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect()
        };
        match kind {
            Kind::Exposure => Event::Exposure(ExposureEvent {
                common: self.common(),
                experiment: owned(self.experiment),
                campaign: owned(self.campaign),
                arm: self.arm.unwrap_or_default().to_owned(),
                pre: self.pre,
                context: owned(self.context),
                split: owned(self.split),
            }),
            Kind::Conversion => Event::Conversion(Conversion {
                common: self.common(),
                name: self.name.unwrap_or_default().to_owned(),
                value: self.value,
                source: self.source.unwrap_or(Via::Url),
                assignments: map(&self.assignments),
                campaigns: map(&self.campaigns),
                products: self.products.iter().map(|p| (*p).to_owned()).collect(),
            }),
            Kind::View => Event::View(View {
                common: self.common(),
                product: self.product.unwrap_or_default().to_owned(),
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
/// use vitrine_core::measure::events::{EventRef, Kind};
///
/// let line = r#"{"event":"vitrine.view","schema":2,"ts":1764264200,"day":20419,"snapshot":"3f","visitor":"5f0c","product":"p0042"}"#;
/// let e = EventRef::parse(line).unwrap();
/// assert_eq!((e.kind(), e.ts(), e.visitor(), e.product()), (Kind::View, 1764264200, Some("5f0c"), Some("p0042")));
/// ```
pub struct EventRef<'a>(Read<'a>);

enum Read<'a> {
    /// Read in one pass from a line.
    Line(Fields<'a>, Kind),
    /// Read by the derived parse, or the caller's.
    Event(Cow<'a, Event>),
}

impl<'a> EventRef<'a> {
    /// Parses one line as [`Event::parse`] does (the same events, the same errors), borrowing
    /// from `line` instead of copying it.
    pub fn parse(line: &'a str) -> Result<EventRef<'a>, EventError> {
        match Fields::read(line) {
            Some((fields, _)) if fields.schema != SCHEMA => Err(EventError::Schema {
                found: fields.schema,
            }),
            Some((fields, kind)) => Ok(EventRef(Read::Line(fields, kind))),
            None => Event::parse_derived(line).map(EventRef::from),
        }
    }

    /// The kind of event.
    pub fn kind(&self) -> Kind {
        match &self.0 {
            Read::Line(_, kind) => *kind,
            Read::Event(e) => match **e {
                Event::Exposure(_) => Kind::Exposure,
                Event::Conversion(_) => Kind::Conversion,
                Event::View(_) => Kind::View,
            },
        }
    }

    /// Unix seconds ([`Common::ts`]).
    pub fn ts(&self) -> u64 {
        match &self.0 {
            Read::Line(f, _) => f.ts,
            Read::Event(e) => e.common().ts,
        }
    }

    /// The visitor pseudonym ([`Common::visitor`]), only with consent.
    pub fn visitor(&self) -> Option<&str> {
        match &self.0 {
            Read::Line(f, _) => f.visitor,
            Read::Event(e) => e.common().visitor.as_deref(),
        }
    }

    /// The product a view is of ([`View::product`]); `None` for another kind.
    pub fn product(&self) -> Option<&str> {
        match &self.0 {
            Read::Line(f, Kind::View) => f.product,
            Read::Event(e) => match &**e {
                Event::View(v) => Some(&v.product),
                _ => None,
            },
            Read::Line(..) => None,
        }
    }

    /// The products a conversion names ([`Conversion::products`]); none for another kind.
    pub fn products(&self) -> impl Iterator<Item = &str> + '_ {
        let (line, event): (&[&str], &[String]) = match &self.0 {
            Read::Line(f, Kind::Conversion) => (&f.products, &[]),
            Read::Event(e) => match &**e {
                Event::Conversion(c) => (&[], &c.products),
                _ => (&[], &[]),
            },
            Read::Line(..) => (&[], &[]),
        };
        line.iter()
            .copied()
            .chain(event.iter().map(String::as_str))
    }

    /// The owned event (copying the strings of a line).
    pub fn into_event(self) -> Event {
        match self.0 {
            Read::Line(fields, kind) => fields.to_event(kind),
            Read::Event(e) => e.into_owned(),
        }
    }

    /// Whether the line was read in one pass (not by the derived parse).
    #[cfg(test)]
    fn in_one_pass(&self) -> bool {
        matches!(self.0, Read::Line(..))
    }
}

impl From<Event> for EventRef<'static> {
    fn from(e: Event) -> Self {
        EventRef(Read::Event(Cow::Owned(e)))
    }
}

impl<'a> From<&'a Event> for EventRef<'a> {
    fn from(e: &'a Event) -> Self {
        EventRef(Read::Event(Cow::Borrowed(e)))
    }
}

#[cfg(test)]
mod tests;
