//! `vitrine report`: from exposure and conversion events to lift with intervals, checked for
//! sample-ratio mismatch. Native only (the CLI's core; the Worker never reports).
//!
//! The pipeline runs one way: [`input`] reads events (JSON lines, CSV in the Analytics Engine
//! [`layout`], or the SQL API's answer) → [`aggregate`] counts visitors per arm →
//! [`analyze`] adds the statistics of [`stats`] and the configured split of [`expect`] → a
//! renderer ([`text`], [`html`], or JSON through serde) prints the [`Report`]. [`remote`]
//! builds the SQL API request and reads its answer; the CLI only sends it.
//!
//! It never reads a raw visitor id: events carry pseudonyms, and events without one are
//! counted in aggregate only.

pub mod aggregate;
pub mod analyze;
pub mod expect;
pub mod html;
pub mod input;
pub mod layout;
pub mod remote;
pub mod stats;
pub mod text;

pub use aggregate::{aggregate, Filter, Kind};
pub use analyze::{analyze, Options, Report, SrmStatus};
pub use expect::Expectations;
pub use input::{InputError, Parsed};
