//! What a person sees, in headless Chromium: personalized pages with no flicker, previews, and
//! the report page. Needs the built worker, the CLI and Debian's `chromium`
//! (`scripts/browser-deps.sh`): `cargo test -p vitrine --features external --test browser`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

#[path = "../support/mod.rs"]
mod support;

mod chromium;
mod pages;
mod report;
mod studio;
