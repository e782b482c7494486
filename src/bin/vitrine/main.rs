//! The `vitrine` CLI: compile and publish campaigns, mint and inspect cookies, preview pages.
//! A thin shell over the same core the Worker runs. Exit codes: 0 success, 1 the input was
//! refused (invalid campaign, rejected cookie), 2 usage or I/O error, 3 warnings not
//! acknowledged (`check`, `build`, `publish`), 4 sample-ratio mismatch (`report`).

#[cfg(not(target_arch = "wasm32"))]
mod campaigns;
#[cfg(not(target_arch = "wasm32"))]
mod cli;
#[cfg(not(target_arch = "wasm32"))]
mod cookie;
#[cfg(not(target_arch = "wasm32"))]
mod diagnostics;
#[cfg(not(target_arch = "wasm32"))]
mod kv;
#[cfg(not(target_arch = "wasm32"))]
mod preview;
#[cfg(not(target_arch = "wasm32"))]
mod preview_token;
#[cfg(not(target_arch = "wasm32"))]
mod publish;
#[cfg(not(target_arch = "wasm32"))]
mod report;

#[cfg(not(target_arch = "wasm32"))]
fn main() -> std::process::ExitCode {
    cli::run()
}

#[cfg(target_arch = "wasm32")]
fn main() {}
