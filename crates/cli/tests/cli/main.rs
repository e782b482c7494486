//! The `vitrine` binary, run as a marketer or site owner runs it: campaign checks, builds and
//! diffs, cookies, preview tokens, reports and trained recommendations. Each module is one command family; they share
//! [`root`] (the repository, where `fixtures/` is) and [`cli`] (the binary Cargo built).
//! Needs nothing outside Cargo: `cargo test -p vitrine-cli`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::path::PathBuf;

mod campaigns;
mod cookie;
mod optimize;
mod preview_token;
mod recs;
mod report;

/// The repository root (fixtures, sample pages and campaign files live there).
pub fn root() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
}

/// The `vitrine` binary under test.
pub fn cli() -> &'static str {
    env!("CARGO_BIN_EXE_vitrine")
}
