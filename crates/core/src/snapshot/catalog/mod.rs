//! The product catalog: a small manifest inside the snapshot, and the products themselves in
//! separate KV values ("shards") chosen by a hash of the product id, so a request that needs
//! one product loads one shard, never the whole catalog. The manifest lists each shard's
//! content hash ([`content_hash`]: XXH3-64), and the manifest is part of the version hash, so a
//! version names its shards exactly; a stale, foreign or damaged shard is refused.
//!
//! The shard hash is a checksum, not a signature: KV is the snapshot's trust boundary (whoever
//! can write a shard can write a snapshot and its pointer too), so what it must catch is a value
//! that is not the one published (a stale key, a mangled upload, a torn write), and a 64-bit
//! XXH3 does that at a small fraction of SHA-256's cost, which a cold isolate pays on every
//! shard it reads. Manifests written before (same schema) name shards by the first 64 bits of
//! SHA-256; [`names_shard`] still accepts those.
//!
//! `shard = fnv1a64(product id bytes) % shards` (FNV-1a, 64-bit, offset basis
//! `0xcbf29ce484222325`, prime `0x100000001b3`); test vectors in the tests. Each shard is stored
//! under [`shard_key`].
//!
//! A shard is binary ([`encode_shards`] writes it, [`decode_shard`] reads it; the layout is in
//! `wire.rs`): a short header, an offset index and one record per product, sorted by id.
//! Attaching a shard hashes its bytes and reads its header, nothing else; a lookup binary-searches
//! the ids through the index and decodes the one record it lands on, borrowing its strings from
//! the shard's bytes (a [`Product`] is a view, not a copy). Related products are stored as
//! their places ([`ProductKey`]: shard and position), not their ids, and repeated strings (a
//! category, an image, the `/p/` and `.html` around an id in a URL) once per shard.
//!
//! The edge never trusts a record because its shard hashed right: every read is bounds-checked
//! and a record that does not decode is refused ([`SnapshotError`]), never a panic.

mod encode;
mod shard;
mod wire;

#[cfg(test)]
mod tests;

use std::borrow::Cow;
use std::fmt;

use serde::{Deserialize, Serialize};

use super::format::hex16;
use super::sym::Sym;
use crate::hex;

pub use encode::{encode_shards, EncodedShard, ProductData};
pub use shard::{decode_shard, Related, Shard, ShardBytes};

/// KV's limit for one value; every value a publish writes stays below it.
pub const KV_VALUE_LIMIT: usize = 25 * 1024 * 1024;

/// The catalog manifest kept in the snapshot body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Catalog {
    /// Number of products over all shards.
    pub products: u32,
    /// Content hash of each shard, by shard number (its length is the shard count).
    pub shards: Vec<String>,
    /// Names of the per-product recommendation tables (for example `also_bought`).
    pub tables: Vec<Sym>,
    /// Small product lists (top sellers per category, hand-picked per segment, trending).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub lists: Vec<ProductList>,
}

/// A named, optionally keyed, ordered list of product ids.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProductList {
    /// List name (for example `top_sellers`).
    pub name: Sym,
    /// Key (for example a category or segment id), if the list is keyed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<Sym>,
    /// Product ids, best first.
    pub products: Vec<Sym>,
}

/// Where a product is stored: its shard, and its place in that shard's id order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ProductKey {
    /// Shard number.
    pub shard: u32,
    /// Position in the shard (products are sorted by id).
    pub slot: u32,
}

/// One product as the edge renders it: a view of its record, borrowed from its shard.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Product<'s> {
    /// Where it is stored (two views of one product have the same key).
    pub key: ProductKey,
    /// Product id.
    pub id: &'s str,
    /// Display name (plain text; escaped when rendered).
    pub name: Text<'s>,
    /// Price in cents.
    pub price_cents: u64,
    /// Product page: an `https:` URL or a same-site path (checked at publish time).
    pub url: Text<'s>,
    /// Image: an `https:` URL or a same-site path (checked at publish time), or empty.
    pub image: Text<'s>,
    /// Category id, or empty.
    pub category: Text<'s>,
    /// Whether it can be bought now.
    pub in_stock: bool,
    /// The record's recommendation tables, read on demand ([`Product::related`]).
    related: &'s [u8],
}

impl<'s> Product<'s> {
    /// The related products of recommendation table `table` (indexed like
    /// [`Catalog::tables`]), best first; empty if the product has none.
    pub fn related(&self, table: usize) -> Related<'s> {
        Related::table(self.related, table)
    }
}

/// A product's text field, as stored: whole, or the product id between two pieces the shard
/// stores once (`/p/` + `p0042` + `.html`). Compare it with a `&str`, print it, or take
/// [`Text::to_str`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Text<'s>([&'s str; 3]);

impl<'s> Text<'s> {
    fn whole(s: &'s str) -> Self {
        Self([s, "", ""])
    }

    /// The text, borrowed when it is stored whole.
    pub fn to_str(&self) -> Cow<'s, str> {
        match self.0 {
            [s, "", ""] => Cow::Borrowed(s),
            [a, b, c] => Cow::Owned(crate::text::concat(&[a, b, c])),
        }
    }

    /// Whether the text is empty.
    pub fn is_empty(&self) -> bool {
        self.0.iter().all(|s| s.is_empty())
    }
}

impl fmt::Display for Text<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.iter().try_for_each(|s| f.write_str(s))
    }
}

impl PartialEq<&str> for Text<'_> {
    fn eq(&self, other: &&str) -> bool {
        let [a, b, c] = self.0;
        let middle = other.strip_prefix(a).and_then(|rest| rest.strip_suffix(c));
        middle == Some(b)
    }
}

/// The shard a product id lives in.
pub fn shard_of(id: &str, shards: usize) -> usize {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for b in id.bytes() {
        hash ^= u64::from(b);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    if shards == 0 {
        return 0;
    }
    (hash % shards as u64) as usize
}

/// KV key of shard `n` of a version.
pub fn shard_key(version: &str, n: usize) -> String {
    format!("{}/catalog/{n}", super::version_key(version))
}

/// The content hash a manifest lists for a shard's bytes (as [`encode_shards`] computes it):
/// XXH3-64 (seed 0), big-endian, as 16 lowercase hex digits.
pub fn content_hash(bytes: &[u8]) -> String {
    hex::encode(&xxhash_rust::xxh3::xxh3_64(bytes).to_be_bytes())
}

/// Whether `bytes` are the shard a manifest names `expected`: its [`content_hash`], or, for a
/// manifest written before shards were named by XXH3, the first 64 bits of its SHA-256 (computed
/// only when the XXH3 name does not match).
pub fn names_shard(expected: &str, bytes: &[u8]) -> bool {
    content_hash(bytes) == expected || hex16(bytes) == expected
}
