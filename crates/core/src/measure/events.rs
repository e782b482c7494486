//! The one event schema the edge writes and `vitrine report` reads: exposures (a visitor was
//! placed in an experiment arm, shown a campaign, or held out of one) and conversions (a
//! visitor did something the shop counts), one JSON object per line.
//!
//! ```json
//! {"event":"vitrine.exposure","schema":2,"ts":1764264000,"day":20419,"snapshot":"3f…",
//!  "visitor":"5f0c…","experiment":"hero-copy","campaign":"hero-urgent","arm":"urgency"}
//! {"event":"vitrine.conversion","schema":2,"ts":1764264100,"day":20419,"snapshot":"3f…",
//!  "visitor":"5f0c…","name":"purchase","value":49.9,"source":"url",
//!  "assignments":{"hero-copy":"urgency"},"campaigns":{"hero-urgent":"shown"}}
//! {"event":"vitrine.view","schema":2,"ts":1764264200,"day":20419,"snapshot":"3f…",
//!  "visitor":"5f0c…","product":"p0042"}
//! ```
//!
//! - `schema` is [`SCHEMA`]; a reader refuses other versions by name, never guesses.
//! - `visitor` is the pseudonym from [`crate::measure::exposure::pseudonym`], present only with consent.
//! - An exposure names an `experiment` (its `arm` is an arm name or `holdout`), or only a
//!   `campaign` (its `arm` is `shown`, or `holdout` for a visitor in the global holdout who
//!   would have been shown it), or both (the campaign an experiment arm showed).
//! - An exposure to a bandit experiment (`allocation = "bandit"`) also carries its `context`
//!   (the visitor's segment, or `everyone_else`) and, when the edge placed the visitor by the
//!   hash just then, the `split` it used (`holdout=500;control=4750;urgency=4750`, buckets out
//!   of 10 000), so the report can check and weight by the split live at first exposure.
//!   Both are optional: events without them read as before.
//! - A conversion carries the visitor's sticky assignments and campaign exposures from the
//!   activity cookie at the time of the conversion, so the report needs no join.
//!   `global_holdout` marks a visitor in the global holdout.
//! - `pre` (optional) is what the activity cookie knew of a consenting visitor just before
//!   their first exposure to that experiment or campaign ([`Pre`]): the covariate of
//!   `vitrine report --cuped`. Later exposures of the same visitor never carry it (their
//!   counts could already be changed by the treatment); events without it still read.
//!   `global_holdout` marks a visitor in the global holdout. A conversion may name the
//!   `products` it was for (a beacon's `products`), which `vitrine recs train` learns
//!   "also bought" from.
//! - A view (`vitrine.view`) is a consenting visitor's product-page view, always with
//!   `visitor`; it exists to train recommendations ([`crate::measure::views`]). Adding it and
//!   `products` kept the schema at 2: both are additions a reader of schema 2 may ignore.
//!
//! Reading: [`Event::parse`] reads a line in one pass through [`EventRef`], which borrows its
//! strings from the line (`vitrine recs train` reads millions without copying them) and hands
//! anything it cannot read that way to the derived parse, so both read the same events.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

mod borrowed;

pub use borrowed::{EventKind, EventRef};

/// Version of the event shape; bumped on any incompatible change.
pub const SCHEMA: u32 = 2;

/// Every top-level field an event line may have, of any kind, in schema order (the Parquet
/// layout's columns are these, in this order).
pub const FIELDS: [&str; 20] = [
    "event",
    "schema",
    "ts",
    "day",
    "snapshot",
    "visitor",
    "global_holdout",
    "experiment",
    "campaign",
    "arm",
    "pre",
    "context",
    "split",
    "name",
    "value",
    "source",
    "assignments",
    "campaigns",
    "products",
    "product",
];

/// The arm of a campaign exposure that was shown.
pub const SHOWN: &str = "shown";

/// Fields every event has.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Common {
    /// Always [`SCHEMA`] when written by this version.
    pub schema: u32,
    /// Unix seconds.
    pub ts: u64,
    /// UTC day number, `ts / 86 400`.
    pub day: u64,
    /// Snapshot version the decision used.
    pub snapshot: String,
    /// Visitor pseudonym (32 hex digits), only with consent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub visitor: Option<String>,
    /// The visitor is in the global holdout.
    #[serde(default, skip_serializing_if = "is_false")]
    pub global_holdout: bool,
}

/// A visitor was placed in an arm or shown (or held out of) a campaign.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExposureEvent {
    /// Shared fields.
    #[serde(flatten)]
    pub common: Common,
    /// Experiment key, if the exposure is to an experiment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub experiment: Option<String>,
    /// Campaign id, if known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub campaign: Option<String>,
    /// Arm name, `holdout`, or [`SHOWN`].
    pub arm: String,
    /// Pre-exposure covariate, on a consenting visitor's first exposure to the unit only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pre: Option<Pre>,
    /// Bandit experiments: the visitor's context (segment name or `everyone_else`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub context: Option<String>,
    /// Bandit experiments: the split that placed the visitor, when this exposure placed them
    /// (`name=buckets;…`, the holdout first).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub split: Option<String>,
}

/// What the edge knew of a visitor before their first exposure to a unit, from the activity
/// cookie: counts that the treatment cannot have changed yet, so `vitrine report --cuped`
/// may use them to explain away part of the outcome's variance (CUPED).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pre {
    /// Visits so far, the current one included (at least 1).
    pub visits: u32,
    /// Product page views so far (the sum of the cookie's per-product counts).
    pub views: u32,
}

/// Where a conversion was seen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Via {
    /// A request to a URL pattern declared in the campaign file.
    Url,
    /// A beacon POSTed to the worker's event route.
    Beacon,
}

/// A visitor did something the shop counts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Conversion {
    /// Shared fields.
    #[serde(flatten)]
    pub common: Common,
    /// Conversion name declared in the campaign file.
    pub name: String,
    /// Order value or other amount, if the conversion has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<f64>,
    /// How it was seen.
    pub source: Via,
    /// Experiment key → arm (or `holdout`), from the activity cookie.
    #[serde(default)]
    pub assignments: BTreeMap<String, String>,
    /// Campaign id → [`SHOWN`] or `holdout`, from the activity cookie.
    #[serde(default)]
    pub campaigns: BTreeMap<String, String>,
    /// Product ids the conversion was for (an order's lines), if the beacon named them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub products: Vec<String>,
}

/// A consenting visitor viewed a product page ([`crate::measure::views`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct View {
    /// Shared fields (`visitor` is always set: views are only written with consent).
    #[serde(flatten)]
    pub common: Common,
    /// The product id, from the snapshot's product page pattern.
    pub product: String,
}

/// One event line.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event")]
pub enum Event {
    /// `vitrine.exposure`.
    #[serde(rename = "vitrine.exposure")]
    Exposure(ExposureEvent),
    /// `vitrine.conversion`.
    #[serde(rename = "vitrine.conversion")]
    Conversion(Conversion),
    /// `vitrine.view`.
    #[serde(rename = "vitrine.view")]
    View(View),
}

/// Why a line is not an event this version reads.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum EventError {
    /// Not JSON, or not an event of a known kind with the right fields.
    #[error("not a vitrine event: {0}")]
    Shape(String),
    /// Written by another version of the schema.
    #[error("event schema {found} is not the supported schema {SCHEMA}")]
    Schema {
        /// The version on the line.
        found: u32,
    },
}

impl Event {
    /// The shared fields.
    pub fn common(&self) -> &Common {
        match self {
            Event::Exposure(e) => &e.common,
            Event::Conversion(c) => &c.common,
            Event::View(v) => &v.common,
        }
    }

    /// The event as one JSON line (without the newline).
    pub fn to_line(&self) -> String {
        // Serializing these types cannot fail: every map key is a string, every float is
        // finite by construction (non-finite values serialize as null).
        serde_json::to_string(self).unwrap_or_default()
    }

    /// Parses one line written by [`Event::to_line`] (in one pass: [`EventRef::parse`]).
    pub fn parse(line: &str) -> Result<Event, EventError> {
        EventRef::parse(line).map(EventRef::into_event)
    }

    /// The derived parse, which alone decides what is accepted or refused ([`borrowed`]).
    fn parse_derived(line: &str) -> Result<Event, EventError> {
        let event: Event =
            serde_json::from_str(line).map_err(|e| EventError::Shape(e.to_string()))?;
        match event.common().schema {
            SCHEMA => Ok(event),
            found => Err(EventError::Schema { found }),
        }
    }
}

fn is_false(b: &bool) -> bool {
    !*b
}

#[cfg(test)]
mod tests {
    use super::*;

    fn common(visitor: Option<&str>) -> Common {
        Common {
            schema: SCHEMA,
            ts: 1_764_264_000,
            day: 20_419,
            snapshot: "3f00aa".into(),
            visitor: visitor.map(str::to_owned),
            global_holdout: false,
        }
    }

    #[test]
    fn exposure_round_trips_and_omits_absent_fields() {
        let e = Event::Exposure(ExposureEvent {
            common: common(None),
            experiment: Some("hero-copy".into()),
            campaign: None,
            arm: "urgency".into(),
            pre: None,
            context: None,
            split: None,
        });
        let line = e.to_line();
        assert_eq!(
            line,
            r#"{"event":"vitrine.exposure","schema":2,"ts":1764264000,"day":20419,"snapshot":"3f00aa","experiment":"hero-copy","arm":"urgency"}"#
        );
        assert_eq!(Event::parse(&line), Ok(e));
    }

    #[test]
    fn the_covariate_is_optional_and_round_trips() {
        let old =
            r#"{"event":"vitrine.exposure","schema":2,"ts":1,"day":0,"snapshot":"s","arm":"a"}"#;
        let Ok(Event::Exposure(e)) = Event::parse(old) else {
            panic!("an exposure without `pre` still reads")
        };
        assert_eq!(e.pre, None);
        let e = Event::Exposure(ExposureEvent {
            pre: Some(Pre {
                visits: 3,
                views: 12,
            }),
            ..e
        });
        let line = e.to_line();
        assert!(
            line.ends_with(r#""arm":"a","pre":{"visits":3,"views":12}}"#),
            "{line}"
        );
        assert_eq!(Event::parse(&line), Ok(e));
    }

    #[test]
    fn bandit_exposure_round_trips_and_old_lines_still_read() {
        let e = Event::Exposure(ExposureEvent {
            common: common(Some("5f0c")),
            experiment: Some("hero-copy".into()),
            campaign: None,
            arm: "urgency".into(),
            pre: None,
            context: Some("loyal".into()),
            split: Some("holdout=0;control=2500;urgency=7500".into()),
        });
        let line = e.to_line();
        assert!(
            line.ends_with(r#""arm":"urgency","context":"loyal","split":"holdout=0;control=2500;urgency=7500"}"#),
            "{line}"
        );
        assert_eq!(Event::parse(&line), Ok(e));
        let old = r#"{"event":"vitrine.exposure","schema":2,"ts":1,"day":0,"snapshot":"s","experiment":"x","arm":"a"}"#;
        let Ok(Event::Exposure(x)) = Event::parse(old) else {
            panic!("an event without context or split is still read");
        };
        assert_eq!((x.context, x.split), (None, None));
    }

    #[test]
    fn conversion_round_trips() {
        let c = Event::Conversion(Conversion {
            common: Common {
                global_holdout: true,
                ..common(Some("5f0c"))
            },
            name: "purchase".into(),
            value: Some(49.9),
            source: Via::Beacon,
            assignments: [("hero-copy".to_owned(), "holdout".to_owned())].into(),
            campaigns: [("hero-urgent".to_owned(), SHOWN.to_owned())].into(),
            products: vec!["p1".into(), "p2".into()],
        });
        let line = c.to_line();
        assert!(line.contains(r#""products":["p1","p2"]"#), "{line}");
        assert!(line.contains(r#""source":"beacon""#), "{line}");
        assert!(line.contains(r#""global_holdout":true"#), "{line}");
        assert_eq!(Event::parse(&line), Ok(c));
    }

    #[test]
    fn view_round_trips_and_a_conversion_without_products_reads() {
        let v = Event::View(View {
            common: common(Some("5f0c")),
            product: "p0042".into(),
        });
        let line = v.to_line();
        assert_eq!(
            line,
            r#"{"event":"vitrine.view","schema":2,"ts":1764264000,"day":20419,"snapshot":"3f00aa","visitor":"5f0c","product":"p0042"}"#
        );
        assert_eq!(Event::parse(&line), Ok(v));
        let old = r#"{"event":"vitrine.conversion","schema":2,"ts":1,"day":0,"snapshot":"s","name":"buy","source":"url"}"#;
        assert!(matches!(Event::parse(old), Ok(Event::Conversion(c)) if c.products.is_empty()));
    }

    #[test]
    fn other_schemas_and_shapes_are_refused_by_name() {
        let v1 =
            r#"{"event":"vitrine.exposure","schema":1,"ts":1,"day":0,"snapshot":"s","arm":"a"}"#;
        assert_eq!(Event::parse(v1), Err(EventError::Schema { found: 1 }));
        for bad in [
            "",
            "{}",
            r#"{"event":"vitrine.click","schema":2}"#,
            r#"{"event":"vitrine.conversion","schema":2,"ts":1,"day":0,"snapshot":"s"}"#,
        ] {
            assert!(
                matches!(Event::parse(bad), Err(EventError::Shape(_))),
                "{bad}"
            );
        }
    }
}
