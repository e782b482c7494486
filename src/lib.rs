//! The vitrine Worker: the thin wasm32 shell that adapts a Cloudflare request, Workers KV, the
//! page source (Static Assets or an origin) and response streams to the pure core
//! (`vitrine-core`). Every policy decision lives in the core's `delivery` module and below.
//!
//! It must never forward the visitor's `Cookie` or `Authorization` to the page source, never
//! let a personalized body be cached, and never answer with an error that vitrine caused:
//! every fault ends in the unchanged base page with `x-vitrine: bypass; reason=…` and one
//! structured log line.
//!
//! The whole package is wasm32 only; natively it is empty and holds the workspace's
//! cross-crate tests (`tests/`) and benches (`benches/`).

#![cfg(target_arch = "wasm32")]

mod beacon;
mod config;
mod demo;
mod facts;
mod log;
mod pages;
mod preview;
mod recs;
mod respond;
mod source;
mod store;
mod transform;
mod visitor;

use worker::{event, Context, Env, Request, Response, Result};

use config::{Config, PageSource};
use vitrine_core::delivery;
use vitrine_core::timing::Page;

#[event(start)]
fn start() {
    console_error_panic_hook::set_once();
}

#[event(fetch)]
async fn fetch(req: Request, env: Env, ctx: Context) -> Result<Response> {
    handle(req, env, ctx).await
}

async fn handle(req: Request, env: Env, ctx: Context) -> Result<Response> {
    let cfg = Config::current(&env);
    let cfg = &*cfg;
    let path = req.path();
    log::bind(&env);
    if beacon::owns(&path) {
        return beacon::handle(req, &env, cfg, &ctx).await;
    }
    if cfg.demo && demo::owns(&path) {
        return demo::handle(&req, cfg);
    }
    cfg.inject_fault(&req);
    let method = req.method().to_string();
    let document = cfg.documents.contains(&method, &path);
    // Read once: the raw URL (a preview token may be in it) and the URL without the token,
    // which is all the page source, the page key and targeting ever see.
    let raw_url = req.inner().url();
    let url = vitrine_core::preview_token::strip_param(&raw_url);
    // A page this isolate recorded is not asked for while it is fresh, and then revalidated
    // rather than re-read (the conditional for Static Assets only: in origin mode a
    // conditional would bypass the Cache API, which already keeps the origin out of the loop).
    let held = (document && method == "GET")
        .then(|| pages::held(&url))
        .flatten();
    let started = js_sys::Date::now();
    let snapshot = async {
        let snapshot = store::active(&env, cfg).await;
        (snapshot, js_sys::Date::now() - started)
    };
    let fresh = held
        .as_deref()
        .filter(|page| pages::fresh(page, cfg.page_revalidate_ms, started));
    let (upstream, from, (snapshot, snapshot_ms)) = match fresh {
        // Confirmed by the source moments ago: no subrequest at all.
        Some(page) => (pages::replay(page)?, Page::Held, snapshot.await),
        None => {
            let conditional = held
                .as_deref()
                .filter(|_| matches!(cfg.source, PageSource::Assets))
                .and_then(pages::conditional);
            let sub = source::subrequest(&req, &url, cfg, document, conditional)?;
            if !document {
                return source::fetch(&env, cfg, &ctx, sub, false).await;
            }
            let asked_conditionally = conditional.is_some();
            let (upstream, snapshot) =
                futures_util::join!(source::fetch(&env, cfg, &ctx, sub, true), snapshot);
            let (upstream, from) = match (upstream?, &held) {
                // Only an answer to vitrine's own conditional stands for the recorded page.
                (fresh, Some(page)) if asked_conditionally && fresh.status_code() == 304 => {
                    pages::confirmed(page, js_sys::Date::now(), None);
                    (pages::replay(page)?, Page::Revalidated)
                }
                (fresh, _) => (fresh, Page::Fetched),
            };
            (upstream, from, snapshot)
        }
    };
    let content_type = upstream.headers().get("content-type")?;
    let content_range = upstream.headers().get("content-range")?;
    if !delivery::is_personalizable_response(
        upstream.status_code(),
        content_type.as_deref(),
        content_range.as_deref(),
    ) {
        return Ok(upstream);
    }
    match snapshot {
        Ok(snapshot) => {
            let stage = respond::Stage {
                ctx: &ctx,
                snapshot_ms,
                page: from,
                recorded: held.filter(|_| from != Page::Fetched),
                env: &env,
                raw_url: &raw_url,
                url: &url,
            };
            respond::personalize(&req, cfg, upstream, &snapshot, stage).await
        }
        Err(reason) => respond::bypass(upstream, reason, &path),
    }
}
