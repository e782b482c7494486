//! Where the studio publishes and what it reports from. The KV transport (`wrangler kv …`)
//! and the event readers belong to the CLI (`crates/cli/src/publish.rs`, `report.rs`); the
//! CLI hands the studio this trait so that there is one publish path, not two.

use vitrine_core::snapshot::layout::History;
use vitrine_core::snapshot::Snapshot;

/// Publishing and reporting, as the CLI does them.
pub trait Backend: Send + Sync {
    /// Where versions go, for people (`local KV (.wrangler/state)`, `remote KV, env production`).
    fn target(&self) -> String;
    /// The active version, if any.
    fn active(&self) -> Result<Option<String>, String>;
    /// The kept versions, newest first.
    fn history(&self) -> Result<History, String>;
    /// A stored version.
    fn fetch(&self, version: &str) -> Result<Snapshot, String>;
    /// Writes the version and its shards, then points at it; returns what was active before.
    fn publish(&self, snapshot: &Snapshot, shards: &[Vec<u8>]) -> Result<Option<String>, String>;
    /// Points back at a kept version.
    fn rollback(&self, version: &str) -> Result<(), String>;
    /// `vitrine report`'s HTML page for the configured events source, or `None` when no
    /// source is configured. `expect` is the snapshot the events ran with (configured weights).
    fn report_html(&self, expect: Option<&Snapshot>) -> Option<Result<String, String>>;
}
