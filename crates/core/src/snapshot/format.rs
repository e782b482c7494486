//! What every stored value of a snapshot shares: the schema number this build reads and
//! writes, the content hash that names a value (a snapshot's version id, a shard's hash), and
//! [`SnapshotError`], why a stored value is refused. It sits below the codec and the catalog,
//! which both write and check stored values.

use sha2::{Digest, Sha256};

/// The schema this build reads and writes. Bumped on every incompatible format change.
pub const SCHEMA_VERSION: u32 = 2;

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
}

impl SnapshotError {
    /// Stable snake_case code for logs.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Corrupt(_) | Self::Invalid(_) => "snapshot_corrupt",
            Self::UnknownSchema { .. } => "snapshot_schema",
            Self::VersionMismatch { .. } => "snapshot_version_mismatch",
        }
    }
}

/// The content hash that names a stored value: the first 16 hex digits of SHA-256.
pub(super) fn hex16(bytes: &[u8]) -> String {
    crate::hex::encode(&Sha256::digest(bytes)[..8])
}
