//! How the browser tests start headless Chromium: the flags every one of them passes, in one
//! place, so that a flag that keeps Chromium quiet or deterministic is added once. Each test
//! adds its own window size, time budget, profile and User-Agent.

/// Headless, without the sandbox (the tests run as root) or a GPU, and with none of
/// Chromium's own background traffic (QUIC, first-run pages, component updates, sync) that
/// could slow a run or reach the servers under test.
pub const FLAGS: &[&str] = &[
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
];
