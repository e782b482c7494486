//! Snapshots: the compiled, versioned form of the marketers' campaigns that the edge reads
//! from Workers KV.
//!
//! A snapshot is immutable and named by a hash of its content, so a version id seen in a
//! response header identifies exactly what a visitor was shown. The edge decodes a version
//! once per isolate ([`decode`]) and keeps it in memory; the CLI builds them (`compile`, native
//! only) and publishes them (see [`layout`]).
//!
//! | KV key | value |
//! |---|---|
//! | `snapshot/current` | the active version id (plain text, the only mutable key the edge reads) |
//! | `snapshot/v/<version>` | the snapshot ([`encode`]) |
//! | `snapshot/v/<version>/catalog/<n>` | catalog shard `n` ([`catalog::encode_shards`]) |
//! | `snapshot/history` | published versions, newest first (CLI only) |

pub mod catalog;
mod codec;
pub mod expr;
mod format;
pub mod goal;
pub mod layout;
mod model;
pub mod recommend;
pub mod split;
mod sym;
mod template;

use std::sync::{Arc, OnceLock};

use catalog::{decode_shard, shard_of, Product, ProductKey, Shard};

pub use codec::{decode, encode};
pub use format::{SnapshotError, SCHEMA_VERSION};
pub use layout::{version_key, POINTER_KEY};
pub use model::{
    ActivityPaths, Allocation, Arm, ArmRef, Bandit, BanditContext, Body, Candidate, Cap,
    Experiment, Message, Offer, Op, SegmentDef, Slot, Window,
};
pub use sym::Sym;
pub use template::{Ctx, Part, ProductField, Template};

/// A decoded snapshot: a version id and the body it hashes.
#[derive(Debug, Clone, PartialEq)]
pub struct Snapshot {
    version: String,
    body: Body,
    /// The exact body bytes the version hashes (kept so encoding is byte-stable).
    encoded_body: Arc<str>,
    /// Catalog shards, each loaded at most once, on demand ([`Snapshot::attach_shard`]).
    shards: Vec<OnceLock<Shard>>,
}

impl Snapshot {
    /// Seals a body: serializes it once and names it by the hash of those bytes.
    pub fn new(body: Body) -> Self {
        codec::seal(body)
    }

    fn assemble(version: String, body: Body, encoded_body: Arc<str>) -> Self {
        let count = body.catalog.as_ref().map_or(0, |c| c.shards.len());
        Self {
            version,
            body,
            encoded_body,
            shards: (0..count).map(|_| OnceLock::new()).collect(),
        }
    }

    /// Content-hash version id (16 hex digits).
    pub fn version(&self) -> &str {
        &self.version
    }

    /// Activity path patterns (product and category pages).
    pub fn activity(&self) -> &ActivityPaths {
        &self.body.activity
    }

    /// The compiled content.
    pub fn body(&self) -> &Body {
        &self.body
    }

    /// Slots sorted by name.
    pub fn slots(&self) -> &[Slot] {
        &self.body.slots
    }

    /// The interned string `sym` (empty if out of range, which [`decode`] rules out).
    pub fn text(&self, sym: Sym) -> &str {
        self.body.strings.get(sym.0 as usize).map_or("", |s| s)
    }

    /// The interned string `sym`, shared.
    pub fn shared(&self, sym: Sym) -> Option<&Arc<str>> {
        self.body.strings.get(sym.0 as usize)
    }

    /// The slot named `name`.
    pub fn slot(&self, name: &str) -> Option<&Slot> {
        self.body.slots.iter().find(|s| self.text(s.name) == name)
    }

    /// Shards holding products that candidates show and that are not loaded yet.
    pub fn missing_shards(&self) -> Vec<usize> {
        let mut out: Vec<usize> = self
            .body
            .slots
            .iter()
            .flat_map(|s| &s.candidates)
            .filter_map(|c| c.product)
            .map(|p| shard_of(self.text(p), self.shards.len()))
            .filter(|n| self.shards.get(*n).is_some_and(|cell| cell.get().is_none()))
            .collect();
        out.sort_unstable();
        out.dedup();
        out
    }

    /// Whether shard `n` is attached.
    pub fn has_shard(&self, n: usize) -> bool {
        self.shards.get(n).is_some_and(|cell| cell.get().is_some())
    }

    /// Checks and keeps shard `n` (read from [`catalog::shard_key`]); a second call is a no-op.
    /// Hashes the bytes and reads the shard's header; its records are read on lookup. A
    /// `Vec` given is kept as it is, with no copy.
    pub fn attach_shard(
        &self,
        n: usize,
        bytes: impl catalog::ShardBytes,
    ) -> Result<(), SnapshotError> {
        let (Some(catalog), Some(cell)) = (&self.body.catalog, self.shards.get(n)) else {
            return Err(SnapshotError::Invalid("shard number"));
        };
        if cell.get().is_none() {
            let _ = cell.set(decode_shard(bytes, n, catalog)?);
        }
        Ok(())
    }

    /// Encoded bytes of the catalog shards attached so far: what the Worker bounds, since a
    /// snapshot keeps its shards for as long as it is active (and nothing else: lookups decode
    /// into views of these bytes).
    pub fn shard_bytes(&self) -> usize {
        self.shards
            .iter()
            .filter_map(OnceLock::get)
            .map(Shard::encoded_len)
            .sum()
    }

    /// Whether shard `n` is loaded (true for a shard that does not exist: nothing to load).
    pub fn shard_loaded(&self, n: usize) -> bool {
        self.shards.get(n).is_none_or(|cell| cell.get().is_some())
    }

    /// Whether every catalog shard is loaded (true without a catalog): nothing left to read.
    pub fn all_shards_loaded(&self) -> bool {
        self.shards.iter().all(|cell| cell.get().is_some())
    }

    /// A product, if its shard is loaded (and its record reads: a damaged one is skipped).
    pub fn product(&self, id: &str) -> Option<Product<'_>> {
        let n = shard_of(id, self.shards.len());
        self.shards.get(n)?.get()?.product(id).ok().flatten()
    }

    /// The product stored at `key` (a related product), if its shard is loaded.
    pub fn product_at(&self, key: ProductKey) -> Option<Product<'_>> {
        let shard = self.shards.get(key.shard as usize)?.get()?;
        shard.product_at(key.slot).ok()
    }

    /// Byte size of each section of the encoded snapshot, for the size report.
    pub fn sizes(&self) -> Vec<(&'static str, usize)> {
        let len = |v: Result<Vec<u8>, serde_json::Error>| v.map_or(0, |b| b.len());
        let b = &self.body;
        vec![
            ("strings", len(serde_json::to_vec(&b.strings))),
            ("slots", len(serde_json::to_vec(&b.slots))),
            ("segments", len(serde_json::to_vec(&b.segments))),
            ("experiments", len(serde_json::to_vec(&b.experiments))),
            ("catalog manifest", len(serde_json::to_vec(&b.catalog))),
            ("total", encode(self).len()),
        ]
    }
}
