//! `vitrine report`: from exposure and conversion events to lift with intervals, checked for
//! sample-ratio mismatch. Native only (the CLI's core; the Worker never reports).
//!
//! The pipeline runs one way: [`input`] reads events (JSON lines, CSV in the Analytics Engine
//! [`vitrine_core::measure::sink::layout`], the SQL API's answer, or Parquet files of the
//! lossless sink, [`input::parquet`]) → [`aggregate`] counts visitors per arm (streaming, [`Aggregator`]) →
//! [`analyze`] adds the statistics of [`stats`] and the configured split of [`expect`] into a
//! [`model::Report`] → a renderer ([`text`], [`html`], or JSON through serde) prints it.
//! [`remote`] builds the SQL API request and reads its answer; the CLI only sends it.
//!
//! It never sees a raw visitor id: events carry pseudonyms, and events without one are
//! counted in aggregate only, never in a rate.
//!
//! ```
//! use vitrine_report::{self as report, analyze::InputSummary, input};
//!
//! let lines = r#"{"event":"vitrine.exposure","schema":2,"ts":1,"day":0,"snapshot":"v","visitor":"a","experiment":"hero","arm":"control"}
//! {"event":"vitrine.exposure","schema":2,"ts":1,"day":0,"snapshot":"v","visitor":"b","experiment":"hero","arm":"urgency"}
//! {"event":"vitrine.conversion","schema":2,"ts":2,"day":0,"snapshot":"v","visitor":"b","name":"purchase","value":20.0,"source":"url","assignments":{"hero":"urgency"}}"#;
//! let parsed = input::json_lines(lines);
//! let tally = report::aggregate(&parsed.events, &report::Filter::default());
//! let options = report::Options::default();
//! let rep = report::analyze(&tally, InputSummary::default(), None, &options);
//! let hero = &rep.units[0];
//! assert_eq!(hero.control.as_deref(), Some("control"));
//! assert_eq!(hero.arms[1].rate, Some(1.0));
//! assert_eq!(hero.comparisons[0].abs_lift, Some(1.0));
//! assert!(report::text::render(&rep).contains("urgency vs control"));
//! ```

pub mod aggregate;
pub mod analyze;
pub mod expect;
pub mod html;
pub mod input;
pub mod model;
pub mod optimize;
pub mod remote;
pub mod sql;
pub mod stats;
pub mod synth;
pub mod text;

pub use aggregate::{aggregate, Aggregator, Filter, Kind};
pub use analyze::{analyze, Options, Report, SrmStatus};
pub use expect::Expectations;
pub use input::{InputError, Parsed};
