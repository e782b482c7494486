//! The stored layout of a catalog shard, shared by the encoder and the reader:
//!
//! ```text
//! shard   = header · index · records
//! header  = postcard(Header)
//! index   = per product, a u32 little-endian: where its record ends in `records`
//! records = per product, sorted by id: postcard(Fields) · related
//! related = per recommendation table, a postcard byte string (varint length, then bytes)
//!           holding postcard (shard, slot) pairs, best first; a missing table is empty
//! ```
//!
//! postcard (a documented, stable wire format) writes integers as varints and a string as its
//! varint length and UTF-8 bytes. The index is fixed-width so that a lookup can jump to any
//! record, and a record starts with its id so that a binary search reads nothing else.
//! Related tables are byte strings so that reaching table `t` skips the ones before it without
//! decoding them.

use serde::{Deserialize, Serialize, Serializer};

/// Bytes of one index entry.
pub(super) const INDEX_ENTRY: usize = 4;

/// Most strings one shard stores once for all its products ([`Header::shared`]): they are read
/// when the shard is attached, so the table stays small whatever the catalog.
pub(super) const MAX_SHARED: usize = 256;

/// What attaching a shard reads.
#[derive(Debug, Serialize, Deserialize)]
pub(super) struct Header<'a> {
    /// The snapshot schema it was written for.
    pub schema: u32,
    /// Its shard number.
    pub shard: u32,
    /// Products (records and index entries).
    pub products: u32,
    /// Recommendation tables of the catalog.
    pub tables: u32,
    /// Strings the records refer to by position ([`Stored::Shared`], [`Stored::AroundId`]).
    #[serde(borrow)]
    pub shared: Vec<&'a str>,
}

/// A record's fields before its related tables.
#[derive(Debug, Serialize, Deserialize)]
pub(super) struct Fields<'a> {
    pub id: &'a str,
    pub name: Stored<'a>,
    pub price_cents: u64,
    pub url: Stored<'a>,
    pub image: Stored<'a>,
    pub category: Stored<'a>,
    pub in_stock: bool,
}

/// A text field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(super) enum Stored<'a> {
    /// The text itself.
    Inline(&'a str),
    /// A shared string.
    Shared(u32),
    /// Shared string, product id, shared string.
    AroundId(u32, u32),
}

/// Bytes written as a postcard byte string (serde writes `&[u8]` as a sequence of `u8`).
pub(super) struct ByteString<'a>(pub &'a [u8]);

impl Serialize for ByteString<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_bytes(self.0)
    }
}
