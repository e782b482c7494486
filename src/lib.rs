//! The vitrine Worker: the thin wasm32 shell that adapts a Cloudflare request, Workers KV, the
//! page source (Static Assets or an origin) and response streams to the pure core
//! (`vitrine-core`). Every policy decision lives in the core.
//!
//! It must never forward the visitor's `Cookie` or `Authorization` to the page source, never
//! let a personalized body be cached, and never answer with an error that vitrine caused:
//! every fault ends in the unchanged base page with `x-vitrine: bypass; reason=…` and one
//! structured log line. When the page source itself cannot be reached there is no base page:
//! that answer is a `502` with `reason=source_unreachable`, never a `500`.
//!
//! A page request goes one way, in three steps, and `handle` (what `fetch` calls) reads like that sentence:
//!
//! ```text
//! obtain  ── the base page: held, revalidated or fetched (pages, source), and the snapshot (store)
//!   ↓
//! view    ── the page view: visitor, preview, facts, catalog shards → vitrine_core::view (pure)
//!   ↓
//! deliver ── the body: unchanged, spliced from a mapped page (pages; a new page is mapped by
//!            the runtime's rewriter, native) or streamed (transform)
//! ```
//!
//! Beside that path: `beacon` (the conversion route), `bots` (crawlers and tools, served as
//! anonymous visitors without consent and never counted), `demo` (the demo persona picker),
//! `config` (settings, read once per isolate), `log` (structured logs and Analytics Engine),
//! and [`Isolate`], the one value that holds what an isolate keeps between requests.
//!
//! **Function size.** V8 compiles a hot function again with its optimizing compiler in every
//! new isolate, in time that grows faster than the function's size. An `async fn` awaited in
//! one place is inlined into its caller's state machine, and so is any function with one
//! caller (by LLVM, then by wasm-opt), which made the whole request one function of about
//! 95 KB of WASM (BENCHMARKS.md, "Fourth pass"). So each step's future, and the larger futures
//! inside the steps, are boxed where they are awaited or made (`boxed_local`: one allocation
//! each per request), the largest functions they call are `#[inline(never)]`, and
//! `scripts/build.sh` caps wasm-opt's inlining of functions with one caller. The hottest steps
//! go further: their `async fn` holds the waits and the branching between them, and the
//! straight-line work before and after is in functions of their own (`deliver::page`,
//! `obtain::base_page`, `obtain::recognize`, `page`); `obtain::recognize` keeps only its
//! dispatch, each of its branches that waits a future of its own. V8 compiles a function again
//! with its optimizing compiler only once it has run a lot of code, so a small state machine
//! is often never compiled twice (`benches/workerd/compile-cost.sh` counts what was). For the
//! same reason headers and cookies are joined with `vitrine_core::text::concat`, never
//! `format!` or `[&str]::concat` (generic code that became hot enough to be compiled again).
//!
//! The whole package is wasm32 only; natively it is empty and holds the workspace's
//! cross-crate tests (`tests/`) and benches (`benches/`).

#![cfg(target_arch = "wasm32")]

mod beacon;
mod bots;
mod colo;
mod config;
mod deliver;
mod demo;
mod facts;
mod heads;
mod incoming;
mod log;
mod native;
mod obtain;
mod pages;
mod preview;
mod response;
mod shards;
mod source;
mod store;
mod transform;
mod view;
mod visitor;

use std::rc::Rc;

use futures_util::FutureExt;

use worker::{event, web_sys, Context, Env, Result};

use config::Config;
use incoming::Incoming;
use obtain::{BasePage, Obtained};
use response::Response;
use vitrine_core::cookie::KeyRing;
use vitrine_core::delivery::Bypass;

/// Everything vitrine keeps between the requests of one isolate, in one value: each module's
/// part is its `Kept` (parsed configuration and key rings, the active snapshot, recorded pages,
/// time-zone formatters, the log binding, one-time notes). An isolate runs one thread; requests
/// interleave only at awaits, and no borrow of this state is held across one, so a thread-local
/// holds it. Nothing in it is a visitor's (see each `Kept`).
#[derive(Default)]
pub(crate) struct Isolate {
    colo: colo::Kept,
    config: config::Kept,
    deliver: deliver::Kept,
    facts: facts::Kept,
    heads: heads::Kept,
    log: log::Kept,
    native: native::Kept,
    pages: pages::Kept,
    store: store::Kept,
    transform: transform::Kept,
}

/// The allocator: talc, not Rust's default for wasm32 (dlmalloc). dlmalloc's `malloc` was the
/// WASM function a new isolate spent longest optimizing and the most sampled one on a held page;
/// talc makes a smaller `.wasm` and cost no more CPU in the long-tail bench (the figures are in
/// BENCHMARKS.md, "Sixteenth pass"). Like dlmalloc it grows WASM memory and never shrinks it;
/// the budgets of `pages`, `store` and `colo` bound what lives in it.
#[global_allocator]
static ALLOCATOR: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();

thread_local! {
    static ISOLATE: Isolate = Isolate::default();
}

/// One part of the [`Isolate`], used like a thread-local: `PART.with(|value| …)`.
pub(crate) struct PerIsolate<T: 'static>(fn(&Isolate) -> &T);

impl<T: 'static> PerIsolate<T> {
    /// Runs `f` with this part of the isolate's state.
    pub(crate) fn with<R>(&self, f: impl FnOnce(&T) -> R) -> R {
        ISOLATE.with(|isolate| f((self.0)(isolate)))
    }
}

#[event(start)]
fn start() {
    console_error_panic_hook::set_once();
    promise_microtasks();
}

#[wasm_bindgen::prelude::wasm_bindgen(inline_js = r#"
export function promise_microtasks() {
  const settled = Promise.resolve();
  globalThis.queueMicrotask = (task) => {
    settled.then(task);
  };
}
"#)]
extern "C" {
    /// Makes `queueMicrotask` a reaction to a settled promise: a job V8 queues and runs by
    /// itself. Every Rust future the Worker awaits is woken through `queueMicrotask` (the
    /// futures queue of `js-sys`, several times per request), and the runtime's own
    /// `queueMicrotask` wraps each task in a native callback, which cost more than the rest of
    /// the wake-up (BENCHMARKS.md, "Ninth pass"). The task runs in the same microtask queue,
    /// in the same order, before any I/O, as it did. One thing differs: a task that throws
    /// (the futures queue throws only if a poll panics, and the Worker aborts on panic) is an
    /// unhandled rejection, where the runtime's version reports it as an `error` event. Only
    /// the Worker's own glue calls `queueMicrotask` (no `nodejs_compat`, whose modules would
    /// too). Called from `start`, while the module loads, before any request.
    fn promise_microtasks();
}

/// The runtime's own types in and out: the request is read as the page path needs it
/// ([`Incoming`], no `cf` object built), and a spliced body is a `Blob` whose length the
/// runtime sends as `Content-Length`, which the worker crate's `Response` would lose by
/// re-wrapping the body as a stream. Other responses are converted at the end.
#[event(fetch)]
async fn fetch(req: web_sys::Request, env: Env, ctx: Context) -> Result<web_sys::Response> {
    handle(Incoming::new(req), env, ctx).await
}

async fn handle(req: Incoming, env: Env, ctx: Context) -> Result<web_sys::Response> {
    let cfg = Config::current(&env);
    let cfg = &*cfg;
    let path = req.path();
    log::bind(&env);
    if beacon::owns(path) {
        return beacon::handle(req, &env, cfg, &ctx)
            .boxed_local()
            .await
            .and_then(Response::into_raw);
    }
    if cfg.demo && demo::owns(path) {
        return demo::handle(&req, cfg).map(Into::into);
    }
    cfg.inject_fault(&req);
    // A first view that could not be sent (the runtime's rewriter failed on it, or its map was
    // refused) has spent its body: the page, now refused, is asked for again, and a first view
    // asked for again streams, so the second attempt always answers.
    for again in [false, true] {
        if let Some(resp) = page(&req, &env, cfg, &ctx, path, again)
            .boxed_local()
            .await?
        {
            return Ok(resp);
        }
    }
    Err(worker::Error::RustError(
        "a page asked for again could not be sent".into(),
    ))
}

/// Steps 1 to 3 of a page request (`again`: asked for again); `None`: ask again
/// ([`deliver::Delivered::AskAgain`]).
async fn page(
    req: &Incoming,
    env: &Env,
    cfg: &Config,
    ctx: &Context,
    path: &str,
    again: bool,
) -> Result<Option<web_sys::Response>> {
    // 1. Obtain the base page (held, revalidated or fetched), and the snapshot alongside it.
    let mut base = match obtain::base_page(req, env, cfg, ctx).boxed_local().await? {
        Obtained::Page(base) => base,
        Obtained::Final(response) => return response.into_raw().map(Some),
    };
    base.again = again;
    let (snapshot, ring) = match ready(&base, cfg) {
        Ok(ready) => ready,
        Err((reason, detail)) => {
            return deliver::bypass(base.upstream, reason, path, detail)
                .and_then(Response::into_raw)
                .map(Some);
        }
    };
    // 2. The page view: who the visitor is and what they see (decided in the core, no I/O).
    let urls = (base.raw_url.as_str(), base.url.as_str());
    let viewed = view::page_view(req, env, cfg, ring, &snapshot, urls, &base.content_type)
        .boxed_local()
        .await?;
    // 3. Deliver the body: unchanged, spliced from a mapped page, or streamed through the rewriter.
    let delivered = deliver::page(ctx, cfg, ring, path.to_owned(), base, viewed)
        .boxed_local()
        .await?;
    Ok(match delivered {
        deliver::Delivered::Sent(resp) => Some(resp),
        deliver::Delivered::AskAgain => None,
    })
}

/// What a page view needs besides the page: the active snapshot and the cookie key ring, or
/// why the page is sent unchanged (and the log's detail).
// Not inlined: see the crate docs, "Function size".
#[inline(never)]
fn ready<'c>(
    base: &BasePage,
    cfg: &'c Config,
) -> std::result::Result<(Rc<vitrine_core::Snapshot>, &'c KeyRing), (Bypass, &'c str)> {
    let snapshot = match &base.snapshot {
        Ok(snapshot) => Rc::clone(snapshot),
        Err(reason) => return Err((*reason, "")),
    };
    match &cfg.keys {
        Ok(ring) => Ok((snapshot, ring.as_ref())),
        Err(why) => Err((Bypass::Config, why)),
    }
}
