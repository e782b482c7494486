//! Conversions as the edge sees them (`[[conversion]]` in campaign files, checked by the
//! compiler): what counts as a conversion and which values it may carry.
//!
//! A conversion is seen either as a page request whose path matches a glob (an order
//! confirmation page, its value read from one query parameter), or as a beacon the site sends
//! to the worker's event route, naming it. The edge never trusts a value outside [`Range`].

use serde::{Deserialize, Serialize};

/// One declared conversion.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Goal {
    /// Event name (1–64 of `[a-z0-9_.-]`), unique across the snapshot.
    pub name: String,
    /// Path glob (`*` any run of characters) of pages whose request is the conversion.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// With `path`: the query parameter holding the value (e.g. `total`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value_param: Option<String>,
    /// With `path`: the query parameter naming what was converted (e.g. `order`): a page
    /// naming the same one again (a reload, the back button) counts once per visitor.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dedupe_param: Option<String>,
    /// Sent as a beacon to `/__vitrine/event` under this name.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub beacon: bool,
    /// With `path`: counts only with a token the shop's backend signed
    /// ([`crate::measure::conversion::signed`]), whose value and order id are used instead of
    /// the query's.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub signed: bool,
    /// Values accepted; `None`: the conversion carries no value (a beacon sending one is refused).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<Range>,
}

/// A closed range of accepted values.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Range {
    /// Smallest accepted value.
    pub min: f64,
    /// Largest accepted value.
    pub max: f64,
}

impl Range {
    /// Whether `v` is a finite number inside the range.
    pub fn contains(&self, v: f64) -> bool {
        v.is_finite() && v >= self.min && v <= self.max
    }
}
