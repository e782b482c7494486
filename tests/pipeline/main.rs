//! Campaign files through the whole pure pipeline: compiled by `vitrine-compile`, decided,
//! rendered and rewritten by `vitrine-core`. These tests cross the crates, so they live here
//! rather than in either; HTML outputs are golden files under `fixtures/golden/`.
//! Needs nothing outside Cargo: `cargo test -p vitrine --test pipeline`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod conversion;
mod decide;
mod experiments;
mod facts;
mod golden;
mod offers;
mod preview;
mod recommend;
mod requests;
mod testutil;
mod trace;
mod view;
