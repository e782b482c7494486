//! The wire format of a snapshot in KV: a JSON envelope with a schema version.
//!
//! Decoding refuses what it does not understand (a newer schema, a body whose content hash
//! does not match its version id), so the edge keeps serving the last good version instead of
//! acting on a half-understood one.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::model::{ActivityPaths, Slot};
use super::Snapshot;

/// The schema this build reads and writes.
pub const SCHEMA_VERSION: u32 = 1;

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
}

impl SnapshotError {
    /// Stable snake_case code for logs.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Corrupt(_) => "snapshot_corrupt",
            Self::UnknownSchema { .. } => "snapshot_schema",
            Self::VersionMismatch { .. } => "snapshot_version_mismatch",
        }
    }
}

#[derive(Serialize)]
struct EnvelopeOut<'a> {
    schema: u32,
    version: &'a str,
    slots: &'a [Slot],
    #[serde(skip_serializing_if = "ActivityPaths::is_empty")]
    activity: &'a ActivityPaths,
}

#[derive(Deserialize)]
struct SchemaProbe {
    schema: u32,
}

#[derive(Deserialize)]
struct EnvelopeIn {
    version: String,
    slots: Vec<Slot>,
    #[serde(default)]
    activity: ActivityPaths,
}

/// Serializes a snapshot for KV.
pub fn encode(snapshot: &Snapshot) -> Vec<u8> {
    let envelope = EnvelopeOut {
        schema: SCHEMA_VERSION,
        version: &snapshot.version,
        slots: &snapshot.slots,
        activity: &snapshot.activity,
    };
    // Serializing plain structs of strings cannot fail.
    serde_json::to_vec(&envelope).unwrap_or_default()
}

/// Parses and checks a snapshot read from KV.
pub fn decode(bytes: &[u8]) -> Result<Snapshot, SnapshotError> {
    let probe: SchemaProbe = serde_json::from_slice(bytes)?;
    if probe.schema != SCHEMA_VERSION {
        return Err(SnapshotError::UnknownSchema {
            found: probe.schema,
        });
    }
    let envelope: EnvelopeIn = serde_json::from_slice(bytes)?;
    let actual = content_version(&envelope.slots, &envelope.activity);
    if actual != envelope.version {
        return Err(SnapshotError::VersionMismatch {
            claimed: envelope.version,
            actual,
        });
    }
    Ok(Snapshot {
        version: envelope.version,
        slots: envelope.slots,
        activity: envelope.activity,
    })
}

/// First 16 hex digits of SHA-256 over the canonical JSON of the slots (followed by the
/// activity patterns when set, so snapshots without them keep their version ids).
pub(super) fn content_version(slots: &[Slot], activity: &ActivityPaths) -> String {
    let mut body = serde_json::to_vec(slots).unwrap_or_default();
    if !activity.is_empty() {
        body.extend(serde_json::to_vec(activity).unwrap_or_default());
    }
    let digest = Sha256::digest(&body);
    digest[..8].iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::snapshot::{Audience, Op, Rule};

    fn sample() -> Snapshot {
        Snapshot::new(vec![Slot {
            name: "hero".into(),
            rules: vec![Rule {
                campaign: "c1".into(),
                audience: Audience::Segments {
                    any: vec!["loyal".into()],
                },
                op: Op::Replace,
                html: Arc::from("<b>hi</b>"),
            }],
        }])
    }

    #[test]
    fn round_trips() {
        let s = sample();
        assert_eq!(decode(&encode(&s)).unwrap(), s);
    }

    #[test]
    fn version_is_content_hash() {
        assert_eq!(sample().version(), sample().version());
        assert_eq!(sample().version().len(), 16);
        let other = Snapshot::new(vec![]);
        assert_ne!(other.version(), sample().version());
    }

    #[test]
    fn activity_paths_round_trip_and_change_the_version() {
        let plain = sample();
        let with = sample().with_activity(ActivityPaths {
            product_path: Some("/p/{id}".into()),
            category_path: None,
        });
        assert_ne!(with.version(), plain.version());
        assert_eq!(decode(&encode(&with)).unwrap(), with);
        assert!(!String::from_utf8(encode(&plain))
            .unwrap()
            .contains("activity"));
    }

    #[test]
    fn unknown_schema_refused() {
        let err = decode(br#"{"schema":99,"version":"x","slots":[]}"#).unwrap_err();
        assert_eq!(err.code(), "snapshot_schema");
    }

    #[test]
    fn garbage_refused() {
        assert_eq!(
            decode(b"\x00garbage").unwrap_err().code(),
            "snapshot_corrupt"
        );
        assert_eq!(decode(b"").unwrap_err().code(), "snapshot_corrupt");
    }

    #[test]
    fn tampered_content_refused() {
        let bytes = String::from_utf8(encode(&sample()))
            .unwrap()
            .replace("hi", "ho");
        assert_eq!(
            decode(bytes.as_bytes()).unwrap_err().code(),
            "snapshot_version_mismatch"
        );
    }
}
