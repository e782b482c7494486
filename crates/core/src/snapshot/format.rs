//! What every stored value of a snapshot shares: the schema number this build reads and
//! writes, the content hash that names a value (a snapshot's version id, a shard's hash), and
//! [`SnapshotError`], why a stored value is refused. It sits below the codec and the catalog,
//! which both write and check stored values.

use std::fmt;

use sha2::{Digest, Sha256};

/// The schema this build reads and writes. Bumped on every incompatible format change (3: catalog
/// shards are binary, see `catalog`).
pub const SCHEMA_VERSION: u32 = 3;

/// Why a stored snapshot could not be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SnapshotError {
    /// The bytes are not a snapshot envelope.
    #[error("snapshot is not valid JSON for schema {SCHEMA_VERSION}: {0}")]
    Corrupt(#[from] serde_json::Error),
    /// Written by a different schema version.
    #[error("snapshot schema {found} is not supported (this build reads {SCHEMA_VERSION})")]
    UnknownSchema {
        /// The schema the envelope declares.
        found: u32,
    },
    /// The content does not hash to the version id it claims.
    #[error("snapshot claims version {claimed} but its content hashes to {actual}")]
    VersionMismatch {
        /// The version id in the envelope.
        claimed: String,
        /// The hash of the content.
        actual: String,
    },
    /// Well-formed JSON whose references or ranges are inconsistent.
    #[error("snapshot is inconsistent: bad {0}")]
    Invalid(&'static str),
    /// A catalog shard, or one of its records, does not follow the shard layout.
    #[error("catalog shard {shard}: {part} {fault}")]
    Shard {
        /// The shard number.
        shard: usize,
        /// Where in the shard.
        part: ShardPart,
        /// What is wrong there.
        fault: ShardFault,
    },
}

/// Where in a catalog shard a [`SnapshotError::Shard`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ShardPart {
    /// The header (schema, shard number, counts, shared strings).
    Header,
    /// The offset index.
    Index,
    /// The record at this position.
    Record(u32),
}

impl fmt::Display for ShardPart {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Header => f.write_str("header"),
            Self::Index => f.write_str("index"),
            Self::Record(slot) => write!(f, "record {slot}"),
        }
    }
}

/// What is wrong in a catalog shard.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ShardFault {
    /// Its bytes are not what the layout says comes there.
    #[error("does not decode: {0}")]
    Decode(#[from] postcard::Error),
    /// It reaches past the bytes it has (a cut-short shard, or an offset out of order).
    #[error("reaches past the end of its bytes")]
    OutOfBounds,
    /// The records do not end where the shard ends.
    #[error("leaves {0} bytes after the last record")]
    Trailing(usize),
    /// It names a shared string the header does not have.
    #[error("names shared string {0}, which the header does not have")]
    NoSuchShared(u32),
}

impl SnapshotError {
    /// Stable snake_case code for logs.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Corrupt(_) | Self::Invalid(_) | Self::Shard { .. } => "snapshot_corrupt",
            Self::UnknownSchema { .. } => "snapshot_schema",
            Self::VersionMismatch { .. } => "snapshot_version_mismatch",
        }
    }
}

/// The content hash that names a stored value: the first 16 hex digits of SHA-256.
pub(super) fn hex16(bytes: &[u8]) -> String {
    crate::hex::encode(&Sha256::digest(bytes)[..8])
}
