//! Command parsing and dispatch. Keys come from `VITRINE_COOKIE_KEYS`, never from argv.
//!
//! Exit codes: 0 success; 1 the input was refused (campaign errors, rejected cookie); 2 usage
//! or I/O error; 3 warnings not acknowledged (`check`, `build`, `publish`); 4 sample-ratio
//! mismatch (`report`).

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use vitrine_core::cookie::KeyRing;

use crate::campaigns::{self, CompileArgs};
use crate::preview::{self, PreviewArgs};
use crate::publish::{self, Target};

#[derive(Parser)]
#[command(
    name = "vitrine",
    version,
    about = "Edge personalization: campaigns, snapshots and cookies"
)]
struct Args {
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Validate campaign files; prints every error and warning with file:line:col.
    /// Exit 0 ok, 1 errors, 3 unacknowledged warnings.
    Check {
        files: Vec<PathBuf>,
        #[command(flatten)]
        compile: CompileArgs,
    },
    /// Compile campaign files into a snapshot file (catalog shards go to SNAPSHOT.catalog/).
    /// Refused (exit 3, nothing written) while warnings are unacknowledged.
    Build {
        files: Vec<PathBuf>,
        #[arg(short, long)]
        output: PathBuf,
        /// Write the snapshot despite unacknowledged warnings (for preview; publish it knowingly).
        #[arg(long)]
        allow_warnings: bool,
        #[command(flatten)]
        compile: CompileArgs,
    },
    /// Compile and write to Workers KV: version keys first, then the pointer.
    /// Refused (exit 3) while warnings are unacknowledged.
    Publish {
        /// Campaign files, or one snapshot built with `vitrine build`.
        #[arg(required = true)]
        inputs: Vec<PathBuf>,
        #[command(flatten)]
        target: Target,
        /// Show what would be written, write nothing.
        #[arg(long)]
        dry_run: bool,
        /// Versions to keep in KV (older ones are deleted).
        #[arg(long, default_value_t = 10)]
        keep: usize,
        #[command(flatten)]
        compile: CompileArgs,
    },
    /// The active version and the kept history.
    Status {
        #[command(flatten)]
        target: Target,
    },
    /// Point back at an earlier version (default: the one before the active one).
    Rollback {
        version: Option<String>,
        #[command(flatten)]
        target: Target,
    },
    /// Which segments, slots and campaigns change between two snapshots (files or versions).
    Diff {
        a: String,
        b: String,
        /// Read versions from the local KV.
        #[arg(long)]
        local: bool,
        /// Read versions from the remote KV.
        #[arg(long)]
        remote: bool,
        #[arg(long)]
        env: Option<String>,
        #[arg(long)]
        persist_to: Option<PathBuf>,
        #[command(flatten)]
        compile: CompileArgs,
    },
    /// Profile and activity cookies (see crates/cli/src/cookie.rs).
    Cookie {
        #[command(subcommand)]
        command: crate::cookie::CookieCmd,
    },
    /// Render a page as a visitor would see it (stdout).
    Preview(Box<PreviewArgs>),
    /// Lift per experiment and campaign from exposure and conversion events, with intervals
    /// and a sample-ratio-mismatch check. Exit 1 bad lines with --strict, 4 on SRM.
    Report(Box<crate::report::ReportArgs>),
    /// The web workbench: edit campaigns, compare personas side by side, publish, results.
    /// Serves on 127.0.0.1 (see `--listen`) and prints its URL.
    Studio(Box<crate::studio::StudioArgs>),
    /// Learn the weights of bandit experiments from events and write them into the campaign
    /// files (review the diff, then publish). Exit 1 if the campaigns do not compile.
    Optimize(Box<crate::optimize::OptimizeArgs>),
    /// Recommendations learned from the edge's view and conversion events.
    Recs {
        #[command(subcommand)]
        command: crate::recs::RecsCmd,
    },
    /// Signed preview tokens for the live page (see crates/cli/src/preview_token.rs).
    PreviewToken {
        #[command(subcommand)]
        command: crate::preview_token::PreviewTokenCmd,
    },
}

/// Runs the CLI.
pub fn run() -> ExitCode {
    let args = Args::parse();
    match dispatch(args.command) {
        Ok(code) => code,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::from(2)
        }
    }
}

fn dispatch(cmd: Cmd) -> Result<ExitCode, String> {
    match cmd {
        Cmd::Check { files, compile } => campaigns::check(&files, &compile),
        Cmd::Build {
            files,
            output,
            allow_warnings,
            compile,
        } => campaigns::build(&files, &output, &compile, allow_warnings),
        Cmd::Publish {
            inputs,
            target,
            dry_run,
            keep,
            compile,
        } => publish::publish(&inputs, &target, dry_run, keep, &compile),
        Cmd::Status { target } => publish::status(&target),
        Cmd::Rollback { version, target } => publish::rollback(version.as_deref(), &target),
        Cmd::Diff {
            a,
            b,
            local,
            remote,
            env,
            persist_to,
            compile,
        } => {
            let target = (local || remote).then_some(Target {
                local,
                remote,
                env,
                persist_to,
            });
            publish::diff_cmd(&a, &b, target.as_ref(), &compile)
        }
        Cmd::Preview(args) => preview::run(&args, ring),
        Cmd::Cookie { command } => crate::cookie::run(command),
        Cmd::Report(args) => crate::report::run(&args),
        Cmd::Optimize(args) => crate::optimize::run(&args),
        Cmd::PreviewToken { command } => crate::preview_token::run(command),
        Cmd::Studio(args) => crate::studio::run(*args),
        Cmd::Recs { command } => crate::recs::run(command),
    }
}

fn ring() -> Result<KeyRing, String> {
    let text = std::env::var("VITRINE_COOKIE_KEYS").map_err(|_| {
        "VITRINE_COOKIE_KEYS is not set (format: kid:base64url-secret[,…])".to_string()
    })?;
    KeyRing::parse(&text).map_err(|e| format!("VITRINE_COOKIE_KEYS: {e}"))
}
