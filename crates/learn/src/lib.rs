//! `vitrine recs train`: recommendations learned from the edge's own events, with no warehouse.
//!
//! The edge writes a `vitrine.view` event for a consenting visitor's product-page view and a
//! `vitrine.conversion` that may name the products bought
//! ([`vitrine_core::measure::events`]). This crate reads them **one at a time** and keeps only
//! bounded state ([`train`]: per-visitor recent history, decayed item counts, pruned pair
//! counts), then writes what the shop's own exports would hold ([`export`]): item-to-item
//! tables `also_viewed` and `also_bought` in the `product_id,table,products` format, and
//! `trending` lists (overall and per category) in the `list,key,products` format, so
//! `vitrine check`/`publish` compile them like any catalog export. [`evaluate`] holds out each
//! visitor's last view and compares the tables with the popularity baseline; [`synth`] makes a
//! shop with a known co-view structure to test and measure all of it.
//!
//! Native only: the Worker never trains, and this crate never reads a raw visitor id (events
//! carry keyed pseudonyms).
//!
//! ```
//! use vitrine_core::measure::events::{Common, Event, View, SCHEMA};
//! use vitrine_learn::{Options, Trainer};
//!
//! let view = |visitor: &str, product: &str, ts: u64| Event::View(View {
//!     common: Common { schema: SCHEMA, ts, day: ts / 86_400, snapshot: "v".into(),
//!                      visitor: Some(visitor.into()), global_holdout: false },
//!     product: product.into(),
//! });
//! let mut trainer = Trainer::new(Options { min_support: 1, ..Options::default() });
//! for v in ["a", "b", "c"] {
//!     trainer.observe(&view(v, "boots", 100));
//!     trainer.observe(&view(v, "socks", 160));
//! }
//! let tables = trainer.finish();
//! assert_eq!(tables.also_viewed_of("boots"), ["socks"]);
//! assert_eq!(tables.also_viewed_of("socks"), ["boots"]);
//! ```

#![forbid(unsafe_code)]

pub mod catalog;
pub mod evaluate;
pub mod export;
mod history;
mod pairs;
pub mod synth;
pub mod train;

pub use evaluate::{evaluate, Evaluation};
pub use train::{Options, Stats, Tables, Trainer};

/// The error types of this crate.
pub mod errors {
    pub use crate::catalog::CatalogError;
}
