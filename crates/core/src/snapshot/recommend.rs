//! Recommendation slots in the compiled snapshot: how a candidate fills `{{items}}` with N
//! products, going down a list of strategies until N are found.
//!
//! The data the strategies read was imported by `[catalog]` at publish time: per-product
//! tables (`also_viewed`, `also_bought`, …) live in the products' shards, and small lists
//! (top sellers per category, hand-picked per segment, trending) in the manifest
//! ([`super::catalog::Catalog::lists`]). The edge never computes a ranking; it only walks
//! these lists and filters (see `crate::decide::recommend`).

use serde::{Deserialize, Serialize};

use super::sym::Sym;
use super::template::Template;

/// Most items one recommendation slot may show.
pub const MAX_ITEMS: u8 = 24;

/// A candidate's recommendations: `items` products from `strategies`, each rendered with
/// `item` and joined into the candidate's `{{items}}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Recommend {
    /// Products wanted (1..=[`MAX_ITEMS`]).
    pub items: u8,
    /// Fewer products than this and the candidate does not qualify (1..=`items`).
    pub min: u8,
    /// Strategies in fallback order.
    pub strategies: Vec<Strategy>,
    /// Sanitized HTML of one item, with `{{product.…}}` filled from each product.
    pub item: Template,
}

/// Where one strategy takes product ids from, best first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Strategy {
    /// The visitor's recently viewed products (activity cookie), newest first, without the
    /// current page's product.
    RecentlyViewed,
    /// A per-product table (index into the catalog's tables, e.g. `also_viewed`) of the anchor
    /// product: the current page's product, else the most recently viewed one.
    Related {
        /// Index into [`super::catalog::Catalog::tables`].
        table: u32,
    },
    /// The unkeyed list `name` (e.g. `trending`).
    List {
        /// List name.
        name: Sym,
    },
    /// The list `name` keyed by the value of the profile attribute `attr` (e.g. top sellers
    /// of `fav_category`).
    ListByAttr {
        /// List name.
        name: Sym,
        /// Profile attribute whose value is the key.
        attr: Sym,
    },
    /// The list `name` keyed by a segment the visitor is in (the first such list in file
    /// order), e.g. hand-picked per segment.
    ListBySegment {
        /// List name.
        name: Sym,
    },
}

impl Strategy {
    /// Interned strings this strategy refers to.
    pub fn syms(&self, out: &mut Vec<Sym>) {
        match self {
            Self::RecentlyViewed | Self::Related { .. } => {}
            Self::List { name } | Self::ListBySegment { name } => out.push(*name),
            Self::ListByAttr { name, attr } => out.extend([*name, *attr]),
        }
    }
}

impl Recommend {
    /// Whether counts are in range and every table index exists (`tables` in the catalog).
    pub fn is_consistent(&self, tables: usize) -> bool {
        let counts = (1..=MAX_ITEMS).contains(&self.items) && (1..=self.items).contains(&self.min);
        let refs = self.strategies.iter().all(|s| match s {
            Strategy::Related { table } => (*table as usize) < tables,
            _ => true,
        });
        counts && refs && !self.strategies.is_empty()
    }
}
