//! `vitrine studio`: starts the web workbench (`vitrine-studio`) on loopback and hands it the
//! CLI's own publish, rollback and report paths, so the studio publishes exactly as
//! `vitrine publish` does. Never binds another address unless `--listen` says so.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::process::ExitCode;

use vitrine_core::snapshot::layout::History;
use vitrine_core::Snapshot;
use vitrine_studio::{Backend, Config};

use crate::kv::Kv;
use crate::publish::{self, Target};

/// Arguments of `vitrine studio`.
#[derive(clap::Args)]
pub struct StudioArgs {
    /// Campaign files (their includes are found from them).
    #[arg(required = true)]
    files: Vec<PathBuf>,
    /// The site's pages as files, for Compare (`/c/dog` is DIR/c/dog.html or DIR/c/dog/index.html).
    #[arg(long, conflicts_with = "site")]
    pages: Option<PathBuf>,
    /// The live site to fetch pages from, for Compare (`https://shop.example`).
    #[arg(long)]
    site: Option<String>,
    /// The port to serve on (0: any free port).
    #[arg(long, default_value_t = 7878)]
    port: u16,
    /// The address to listen on. Default 127.0.0.1: only this machine can open the studio.
    #[arg(long, default_value_t = IpAddr::V4(Ipv4Addr::LOCALHOST))]
    listen: IpAddr,
    /// Publish to the remote namespace (your wrangler login) instead of the local KV of
    /// `wrangler dev`.
    #[arg(long)]
    remote: bool,
    /// wrangler environment (for example `production`).
    #[arg(long)]
    env: Option<String>,
    /// Local state directory (wrangler's `--persist-to`).
    #[arg(long)]
    persist_to: Option<PathBuf>,
    /// Versions to keep in KV.
    #[arg(long, default_value_t = 10)]
    keep: usize,
    /// Event files (JSON lines or CSV) for Results, as `vitrine report` reads them.
    #[arg(long = "events", num_args = 1..)]
    events: Vec<PathBuf>,
    /// Variant count above which a warning is raised.
    #[arg(long, default_value_t = 500)]
    max_variants: u64,
}

struct CliBackend {
    target: Target,
    keep: usize,
    events: Vec<PathBuf>,
}

impl CliBackend {
    fn kv(&self) -> Kv {
        self.target.kv()
    }
}

impl Backend for CliBackend {
    fn target(&self) -> String {
        let place = if self.target.remote {
            "remote KV"
        } else {
            "local KV"
        };
        match (&self.target.env, &self.target.persist_to) {
            (Some(env), _) => format!("{place}, environment {env}"),
            (None, Some(dir)) => format!("{place} in {}", dir.display()),
            (None, None) => place.to_owned(),
        }
    }
    fn active(&self) -> Result<Option<String>, String> {
        publish::pointer(&self.kv())
    }
    fn history(&self) -> Result<History, String> {
        publish::read_history(&self.kv())
    }
    fn fetch(&self, version: &str) -> Result<Snapshot, String> {
        publish::fetch(&self.kv(), version)
    }
    fn publish(&self, snapshot: &Snapshot, shards: &[Vec<u8>]) -> Result<Option<String>, String> {
        let kv = self.kv();
        let active = publish::pointer(&kv)?;
        let history = publish::read_history(&kv)?;
        publish::write_version(
            &kv,
            snapshot,
            shards.to_vec(),
            self.keep,
            active.as_deref(),
            history,
        )?;
        Ok(active)
    }
    fn rollback(&self, version: &str) -> Result<(), String> {
        let kv = self.kv();
        publish::fetch(&kv, version)?;
        publish::point_at(&kv, version)
    }
    fn report_html(&self, expect: Option<&Snapshot>) -> Option<Result<String, String>> {
        (!self.events.is_empty()).then(|| crate::report::html_for(&self.events, expect))
    }
}

/// Runs the studio until interrupted.
pub fn run(args: StudioArgs) -> Result<ExitCode, String> {
    let target = Target {
        local: !args.remote,
        remote: args.remote,
        env: args.env,
        persist_to: args.persist_to,
    };
    let backend = CliBackend {
        target,
        keep: args.keep,
        events: args.events,
    };
    let config = Config {
        files: args.files,
        pages: args.pages,
        site: args.site,
        max_variants: args.max_variants,
    };
    if !args.listen.is_loopback() {
        eprintln!(
            "warning: listening on {}: other machines can open the studio and publish",
            args.listen
        );
    }
    let addr = SocketAddr::new(args.listen, args.port);
    vitrine_studio::serve(config, Box::new(backend), addr, |url| {
        println!("vitrine studio: open {url}/campaigns (Ctrl-C to stop)");
    })
    .map_err(|e| e.to_string())?;
    Ok(ExitCode::SUCCESS)
}
