//! The `vitrine` CLI: compile and publish campaigns, mint and inspect cookies, preview pages.
//! A thin shell over the same core the Worker runs. Exit codes: 0 success, 1 the input was
//! refused (invalid campaign, rejected cookie), 2 usage or I/O error, 3 warnings not
//! acknowledged (`check`, `build`, `publish`), 4 sample-ratio mismatch (`report`).
//!
//! ```text
//! cli                      clap: the commands and their flags; dispatch
//! campaigns · publish      check, build, diff and publish campaign files (vitrine-compile)
//! preview · preview_token  a page as a persona sees it; signed preview links
//! cookie                   mint, inspect and rotate the signed cookie (vitrine-core)
//! report                   experiment results (vitrine-report), local or from the SQL API
//! studio                   the web workbench (vitrine-studio) over the publish and report paths
//! optimize                 bandit weights learned from events, written into campaign files
//! kv · diagnostics         wrangler as the KV transport; compile errors with source context
//! ```

mod campaigns;
mod cli;
mod cookie;
mod diagnostics;
mod kv;
mod optimize;
mod preview;
mod preview_token;
mod publish;
mod recs;
mod report;
mod studio;

fn main() -> std::process::ExitCode {
    cli::run()
}
