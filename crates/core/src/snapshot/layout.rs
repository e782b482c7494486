//! Where a snapshot lives in KV, and the publish history the CLI keeps next to it.
//!
//! Versions are immutable and content-addressed; only [`POINTER_KEY`] (read by the edge) and
//! [`HISTORY_KEY`] (read by the CLI) change. A publish writes every version key first and
//! flips the pointer last, so a reader never follows the pointer to a missing version.

use serde::{Deserialize, Serialize};

/// KV key holding the active version id.
pub const POINTER_KEY: &str = "snapshot/current";

/// KV key of the publish history (JSON, newest first; never read by the edge).
pub const HISTORY_KEY: &str = "snapshot/history";

/// KV key of one immutable snapshot version.
pub fn version_key(version: &str) -> String {
    format!("snapshot/v/{version}")
}

/// One published version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Published {
    /// Version id.
    pub version: String,
    /// Unix seconds of the publish.
    pub at: u64,
    /// Number of catalog shards stored with it.
    pub shards: usize,
}

/// Versions still stored, newest first.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct History {
    /// Entries, newest first.
    pub versions: Vec<Published>,
}

impl History {
    /// Records `entry` as newest (moving it up if it was published before) and returns the
    /// entries that fall beyond `keep` and may be deleted. `protect` (the version active until
    /// now, which isolates may still serve and a rollback may want) is kept in any case.
    pub fn push(&mut self, entry: Published, keep: usize, protect: Option<&str>) -> Vec<Published> {
        self.versions.retain(|p| p.version != entry.version);
        self.versions.insert(0, entry);
        let keep = keep.max(1);
        if self.versions.len() <= keep {
            return Vec::new();
        }
        let mut dropped = self.versions.split_off(keep);
        if let Some(i) = dropped
            .iter()
            .position(|p| Some(p.version.as_str()) == protect)
        {
            self.versions.push(dropped.remove(i));
        }
        dropped
    }

    /// The version to roll back to from `active`: the named one if stored, else the entry
    /// published before `active`.
    pub fn rollback_target(&self, active: &str, wanted: Option<&str>) -> Option<&Published> {
        match wanted {
            Some(v) => self.versions.iter().find(|p| p.version == v),
            None => {
                let i = self.versions.iter().position(|p| p.version == active)?;
                self.versions.get(i + 1)
            }
        }
    }

    /// Every KV key a stored entry occupies.
    pub fn keys(entry: &Published) -> Vec<String> {
        let mut keys = vec![version_key(&entry.version)];
        keys.extend((0..entry.shards).map(|n| super::catalog::shard_key(&entry.version, n)));
        keys
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(v: &str) -> Published {
        Published {
            version: v.into(),
            at: 0,
            shards: 2,
        }
    }

    #[test]
    fn keeps_the_last_n_and_returns_the_rest() {
        let mut h = History::default();
        for v in ["a", "b", "c"] {
            assert!(h.push(p(v), 2, None).len() <= 1);
        }
        assert_eq!(
            h.versions
                .iter()
                .map(|p| p.version.as_str())
                .collect::<Vec<_>>(),
            ["c", "b"]
        );
        let dropped = h.push(p("d"), 2, None);
        assert_eq!(dropped, vec![p("b")]);
        assert_eq!(
            History::keys(&dropped[0]),
            [
                "snapshot/v/b",
                "snapshot/v/b/catalog/0",
                "snapshot/v/b/catalog/1"
            ]
        );
    }

    #[test]
    fn republishing_moves_to_the_top() {
        let mut h = History::default();
        h.push(p("a"), 5, None);
        h.push(p("b"), 5, None);
        h.push(p("a"), 5, None);
        assert_eq!(h.versions.len(), 2);
        assert_eq!(h.versions[0].version, "a");
    }

    #[test]
    fn the_previously_active_version_is_never_dropped() {
        let mut h = History::default();
        for v in ["a", "b"] {
            h.push(p(v), 2, None);
        }
        // Rolled back to "a", then "c" is published with keep = 1.
        let dropped = h.push(p("c"), 1, Some("a"));
        assert_eq!(dropped, vec![p("b")]);
        let left: Vec<&str> = h.versions.iter().map(|p| p.version.as_str()).collect();
        assert_eq!(left, ["c", "a"]);
    }

    #[test]
    fn rollback_targets() {
        let mut h = History::default();
        for v in ["a", "b", "c"] {
            h.push(p(v), 5, None);
        }
        assert_eq!(h.rollback_target("c", None).unwrap().version, "b");
        assert_eq!(h.rollback_target("a", None), None);
        assert_eq!(h.rollback_target("c", Some("a")).unwrap().version, "a");
        assert_eq!(h.rollback_target("c", Some("zz")), None);
    }
}
