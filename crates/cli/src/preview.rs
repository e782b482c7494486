//! `vitrine preview`: a page as one visitor would see it, rendered locally by the worker's
//! core, to stdout; `--explain` prints each slot's decision and why on stderr.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use serde::Deserialize;
use vitrine_compile::diff::expr_text;
use vitrine_core::cookie::{self, Attrs, TimePolicy, VerifiedProfile};
use vitrine_core::decide::{explain, Context};
use vitrine_core::facts;
use vitrine_core::{preview::preview, Identity};

use crate::campaigns;

/// Arguments of `vitrine preview`.
#[derive(clap::Args)]
pub struct PreviewArgs {
    /// A built snapshot.
    #[arg(long)]
    snapshot: PathBuf,
    /// A profile cookie token, verified with VITRINE_COOKIE_KEYS.
    #[arg(long, conflicts_with = "profile")]
    cookie: Option<String>,
    /// A profile as JSON claims (`{"seg":["loyal"],"attrs":{"tier":"gold"}}`), unsigned.
    #[arg(long)]
    profile: Option<String>,
    /// The URL the page is served at (path and query drive request conditions).
    #[arg(long, default_value = "/")]
    url: String,
    /// The page's charset, if not UTF-8.
    #[arg(long)]
    charset: Option<String>,
    /// The moment to preview, RFC 3339 (default: now).
    #[arg(long)]
    at: Option<String>,
    /// Explain each slot's decision on stderr.
    #[arg(long)]
    explain: bool,
    /// Request facts, as the worker reads them from `request.cf` and headers.
    #[command(flatten)]
    facts: FactArgs,
    /// The page.
    page: PathBuf,
}

/// Request facts for `vitrine preview` (the worker reads them from `request.cf` and headers).
#[derive(clap::Args)]
struct FactArgs {
    /// The visitor's country, ISO 3166-1 alpha-2 (`DE`).
    #[arg(long)]
    country: Option<String>,
    /// The `User-Agent` the device class comes from.
    #[arg(long)]
    user_agent: Option<String>,
    /// The `Referer`.
    #[arg(long)]
    referrer: Option<String>,
    /// The visitor's local time of day, `HH:MM`.
    #[arg(long)]
    local_time: Option<String>,
}

#[derive(Deserialize)]
struct ProfileJson {
    #[serde(default)]
    sub: Option<String>,
    #[serde(default)]
    seg: Vec<String>,
    #[serde(default)]
    attrs: Attrs,
}

/// Runs the preview.
pub fn run(
    args: &PreviewArgs,
    ring: impl Fn() -> Result<cookie::KeyRing, String>,
) -> Result<ExitCode, String> {
    let (snap, shards) = campaigns::read_built(&args.snapshot)?;
    // Every shard: the worker reads the ones campaigns and recommendations need before it
    // decides, so with all of them attached the preview decides as the worker does.
    for (n, bytes) in shards.iter().enumerate() {
        snap.attach_shard(n, bytes).map_err(|e| e.to_string())?;
    }
    let now = match &args.at {
        Some(at) => time::OffsetDateTime::parse(at, &time::format_description::well_known::Rfc3339)
            .map_err(|e| format!("--at {at}: {e}"))?
            .unix_timestamp(),
        None => campaigns::now() as i64,
    };
    let identity = match (&args.cookie, &args.profile) {
        (Some(t), _) => {
            let header = format!("{}={}", cookie::PROFILE_COOKIE, t.trim());
            let id = cookie::identify(
                Some(&header),
                &ring()?,
                now.max(0) as u64,
                TimePolicy::default(),
            );
            if let Identity::Anonymous {
                rejected: Some(why),
            } = &id
            {
                eprintln!(
                    "cookie rejected ({}): previewing an anonymous visitor",
                    why.code()
                );
            }
            id
        }
        (None, Some(json)) => {
            let p: ProfileJson =
                serde_json::from_str(json).map_err(|e| format!("--profile: {e}"))?;
            Identity::Profile(VerifiedProfile {
                sub: p.sub.unwrap_or_else(|| "preview".into()),
                segments: p.seg,
                attrs: p.attrs,
                exp: 0,
            })
        }
        (None, None) => Identity::anonymous(),
    };
    let (path, query) = split_url(&args.url);
    // Experiments bucket by the profile's `sub`, as the worker does.
    let sub = identity.profile().map(|p| p.sub.as_str());
    let mut ctx = Context::new(&identity, now)
        .with_url(path, query)
        .with_visitor(sub);
    // A product page's product, as the worker finds it: it anchors `related` recommendations.
    ctx.request.product = snap
        .activity()
        .product_path
        .as_deref()
        .and_then(|p| vitrine_core::cookie::activity::extract_id(p, path));
    let f = &args.facts;
    ctx.request.country = f.country.as_deref().and_then(facts::country);
    ctx.request.device = facts::device_class(f.user_agent.as_deref());
    ctx.request.referrer = f.referrer.as_deref();
    ctx.request.local_minutes = match &f.local_time {
        Some(t) => {
            Some(facts::parse_clock(t).ok_or_else(|| format!("--local-time {t}: write HH:MM"))?)
        }
        None => None,
    };
    if f.country.is_some() && ctx.request.country.is_none() {
        return Err("--country: write an ISO 3166-1 alpha-2 code in capitals, e.g. DE".into());
    }
    let page = campaigns::read(Path::new(&args.page))?;
    if args.explain {
        print_explain(&snap, &ctx);
    }
    let (out, decision) =
        preview(&snap, &ctx, &page, args.charset.as_deref()).map_err(|e| e.to_string())?;
    eprintln!(
        "decision: v={}; slots={}",
        decision.version,
        decision.summary()
    );
    for e in &decision.exposures {
        eprintln!("experiment {}: arm {}", e.experiment, e.arm);
    }
    std::io::stdout()
        .write_all(&out)
        .map_err(|e| e.to_string())?;
    Ok(ExitCode::SUCCESS)
}

fn print_explain(snap: &vitrine_core::Snapshot, ctx: &Context<'_>) {
    for (slot, rows) in explain(snap, ctx) {
        eprintln!("slot {slot}:");
        let s = snap.slot(slot);
        for (i, (campaign, verdict)) in rows.iter().enumerate() {
            let when = s
                .and_then(|s| s.candidates.get(i))
                .map(|c| expr_text(snap, &c.when))
                .unwrap_or_default();
            eprintln!("  {campaign:<24} {:<34} when {when}", verdict.reason());
        }
    }
}

/// `/c/dog?x=1` or `https://shop/c/dog?x=1` → (`/c/dog`, `x=1`).
fn split_url(url: &str) -> (&str, &str) {
    let rest = url.find("://").map_or(url, |i| {
        let after = &url[i + 3..];
        after.find('/').map_or("/", |j| &after[j..])
    });
    let rest = rest.split('#').next().unwrap_or(rest);
    rest.split_once('?').unwrap_or((rest, ""))
}
