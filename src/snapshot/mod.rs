//! Snapshots: the compiled, versioned form of the marketers' campaigns that the edge reads
//! from Workers KV.
//!
//! A snapshot is immutable and named by a hash of its content, so a version id seen in a
//! response header identifies exactly what a visitor was shown. The edge decodes a version
//! once per isolate ([`decode`]) and keeps it in memory; the CLI builds them (`compile`, native
//! only) and writes them to KV under [`version_key`] before flipping [`POINTER_KEY`].

mod codec;
#[cfg(not(target_arch = "wasm32"))]
pub mod compile;
mod model;

pub use codec::{decode, encode, SnapshotError, SCHEMA_VERSION};
pub use model::{ActivityPaths, Audience, Op, Rule, Slot};

/// KV key holding the active version id.
pub const POINTER_KEY: &str = "snapshot/current";

/// KV key of one immutable snapshot version.
pub fn version_key(version: &str) -> String {
    format!("snapshot/v/{version}")
}

/// A decoded snapshot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snapshot {
    version: String,
    slots: Vec<Slot>,
    activity: ActivityPaths,
}

impl Snapshot {
    /// Builds a snapshot and names it by the hash of its content.
    pub fn new(slots: Vec<Slot>) -> Self {
        let version = codec::content_version(&slots, &ActivityPaths::default());
        Self {
            version,
            slots,
            activity: ActivityPaths::default(),
        }
    }

    /// The same snapshot with activity path patterns, renamed by its new content hash.
    pub fn with_activity(mut self, activity: ActivityPaths) -> Self {
        self.version = codec::content_version(&self.slots, &activity);
        self.activity = activity;
        self
    }

    /// Activity path patterns (product and category pages).
    pub fn activity(&self) -> &ActivityPaths {
        &self.activity
    }

    /// Content-hash version id (hex).
    pub fn version(&self) -> &str {
        &self.version
    }

    /// Slots in authoring order.
    pub fn slots(&self) -> &[Slot] {
        &self.slots
    }
}
