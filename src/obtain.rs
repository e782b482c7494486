//! Step 1 of a page request: obtain the base page, and the active snapshot alongside it.
//!
//! Everything about where the base page comes from is here: a page this isolate recorded is
//! replayed without a subrequest while fresh (**held**), confirmed by a conditional request to
//! Static Assets once it is not (**revalidated**), or else **fetched** from the page source;
//! and, for a page about to be personalized, what this isolate already knows about it
//! ([`recognize`]: the page key, the map at that key, the content comparison for an
//! origin page without validators). Requests that are not documents pass through untouched.
//!
//! It never forwards the visitor's cookies or credentials (the subrequest is built by
//! [`crate::source`] from the allowlist), and never maps, holds or replays an origin page the origin
//! did not mark shareable.

use std::rc::Rc;

use futures_util::FutureExt;
use worker::{Context, Env, Result};

use crate::incoming::Incoming;

use crate::config::{Config, PageSource};
use crate::pages::{self, Content, JsPage, PageKey};
use crate::response::Response;
use crate::{colo, source, store};
use vitrine_core::delivery::{self, Bypass};
use vitrine_core::splice::{Known, Recorded, SlotMap};
use vitrine_core::timing::Page;
use vitrine_core::Snapshot;

/// A document's base page, ready to be personalized.
pub struct BasePage {
    /// The page as the source sent it (or replayed from a held page).
    pub upstream: Response,
    /// Where it came from.
    pub from: Page,
    /// The held page it was replayed from (held or revalidated).
    pub recorded: Option<Rc<Recorded<JsPage>>>,
    /// The active snapshot, or why there is none.
    pub snapshot: std::result::Result<Rc<Snapshot>, Bypass>,
    /// Milliseconds spent waiting for the snapshot.
    pub snapshot_ms: f64,
    /// Its `Content-Type` (empty when it has none).
    pub content_type: String,
    /// The request URL as it came (a preview token may be in its query).
    pub raw_url: String,
    /// The URL without the preview token: what targeting sees.
    pub url: String,
    /// The page's key: `url` without its tracking parameters, which is also what the page
    /// source is asked for ([`vitrine_core::delivery::page_key`]).
    pub page_url: String,
    /// Fault injection asked the runtime's rewriter to fail on this page's first view.
    pub native_fault: bool,
    /// Asked for again after a first view that could not be sent ([`crate::deliver`]): its
    /// first view, if it is one again, streams.
    pub again: bool,
}

/// What step 1 ends with.
pub enum Obtained {
    /// A personalizable document page.
    Page(BasePage),
    /// A response to send as it is: not a document, or not a page vitrine can personalize.
    Final(Response),
}

/// Obtains the base page of `req` (and the snapshot, read concurrently).
///
/// The waits and the branching between them are here; what is known before them
/// ([`Asked::of`]) and what the answer comes to ([`concluded`]) are functions of their own,
/// so this state machine stays small (see the crate docs, "Function size").
pub async fn base_page(req: &Incoming, env: &Env, cfg: &Config, ctx: &Context) -> Result<Obtained> {
    let asked = Asked::of(req, cfg);
    let started = js_sys::Date::now();
    let snapshot = async {
        let snapshot = store::active(env, cfg).boxed_local().await;
        (snapshot, js_sys::Date::now() - started)
    }
    .boxed_local();
    let fresh = asked
        .held
        .as_deref()
        .filter(|page| pages::fresh(page, cfg.page_revalidate_ms, started));
    let (upstream, from, (snapshot, snapshot_ms)) = match fresh {
        // Confirmed by the source moments ago: no subrequest at all.
        Some(page) => (pages::replay(page), Page::Held, snapshot.await),
        None => {
            let conditional = asked
                .held
                .as_deref()
                .filter(|_| matches!(cfg.source, PageSource::Assets))
                .and_then(pages::conditional);
            let sub = source::subrequest(req, &asked.page_url, cfg, asked.document, conditional)?;
            if !asked.document {
                return Ok(Obtained::Final(
                    match source::fetch(env, cfg, ctx, sub, false).boxed_local().await {
                        Ok(sent) => sent,
                        Err(e) => source::unreachable(req.path(), &e)?,
                    },
                ));
            }
            let asked_conditionally = conditional.is_some();
            let (upstream, snapshot) = futures_util::join!(
                source::fetch(env, cfg, ctx, sub, true).boxed_local(),
                snapshot
            );
            let upstream = match upstream {
                Ok(sent) => sent,
                Err(e) => return Ok(Obtained::Final(source::unreachable(req.path(), &e)?)),
            };
            match (upstream, &asked.held) {
                // Only an answer to vitrine's own conditional stands for the recorded page.
                (fresh, Some(page)) if asked_conditionally && fresh.status_code() == 304 => {
                    pages::confirmed(page, js_sys::Date::now(), None);
                    (pages::replay(page), Page::Revalidated, snapshot)
                }
                (fresh, _) => (fresh, Page::Fetched, snapshot),
            }
        }
    };
    concluded(req, cfg, asked, upstream, from, snapshot, snapshot_ms)
}

/// What a request asks for, known before any wait.
struct Asked {
    /// Whether it is a document (known and fetched by its page key).
    document: bool,
    /// The request URL as it came.
    raw_url: String,
    /// The URL without the preview token.
    url: String,
    /// The page key (documents), or `url`.
    page_url: String,
    /// The page this isolate holds at that key, if any (documents asked for with `GET`).
    held: Option<Rc<Recorded<JsPage>>>,
}

impl Asked {
    // Not inlined: see the crate docs, "Function size".
    #[inline(never)]
    fn of(req: &Incoming, cfg: &Config) -> Self {
        let method = req.method();
        let document = cfg.documents.contains(method, req.path());
        let raw_url = req.url().to_owned();
        let url = vitrine_core::preview_token::strip_param(&raw_url).into_owned();
        // Documents are known and fetched by their page key; anything else goes to the source
        // as it came.
        let page_url = if document {
            cfg.tracking.page_key(&url).into_owned()
        } else {
            url.clone()
        };
        // A page this isolate recorded is not asked for while it is fresh, and then
        // revalidated rather than re-read (the conditional for Static Assets only: in origin
        // mode a conditional would bypass the Cache API, which already keeps the origin out of
        // the loop).
        let held = (document && method == "GET")
            .then(|| pages::held(&page_url))
            .flatten();
        Self {
            document,
            raw_url,
            url,
            page_url,
            held,
        }
    }
}

/// What step 1 comes to once the page is there: a personalizable document's base page, or
/// the response as it is.
// Not inlined: see the crate docs, "Function size".
#[inline(never)]
fn concluded(
    req: &Incoming,
    cfg: &Config,
    asked: Asked,
    upstream: Response,
    from: Page,
    snapshot: std::result::Result<Rc<Snapshot>, Bypass>,
    snapshot_ms: f64,
) -> Result<Obtained> {
    let entity = upstream.entity()?;
    let content_type = entity.content_type().map(str::to_owned);
    if !delivery::is_personalizable_response(
        upstream.status_code(),
        content_type.as_deref(),
        entity.content_range(),
    ) {
        return Ok(Obtained::Final(upstream));
    }
    Ok(Obtained::Page(BasePage {
        upstream,
        from,
        recorded: asked.held.filter(|_| from != Page::Fetched),
        snapshot,
        snapshot_ms,
        content_type: content_type.unwrap_or_default(),
        raw_url: asked.raw_url,
        url: asked.url,
        page_url: asked.page_url,
        native_fault: cfg.native_map_fault(req),
        again: false,
    }))
}

/// A page the source just sent, as this isolate knows it.
pub struct Recognized {
    /// The headers the source sent it with.
    pub headers: worker::Headers,
    /// What to build the body from.
    pub body: Body,
}

/// What a personalized body is built from.
pub enum Body {
    /// A mapped page's bytes: splice them. `unread`: the upstream whose body was not read
    /// (cancel it).
    Spliceable {
        page: Rc<Recorded<JsPage>>,
        unread: Option<Response>,
    },
    /// A page new to this isolate, mapped by another isolate of the colo at the validator just
    /// sent ([`colo`]): its bytes, read whole, spliced like a mapped page's.
    Shared(Rc<Recorded<JsPage>>),
    /// A page seen for the first time at this validator: stream it through the runtime's
    /// rewriter (and remember it was seen).
    First { key: PageKey, upstream: Response },
    /// A page seen before but not mapped yet (or a content-keyed page whose copy changed):
    /// map it, then splice it.
    New { key: PageKey, upstream: Response },
    /// A page that is not mapped (no validator, not shareable, refused): stream it.
    Stream(Response),
}

/// What this isolate knows about a page the source just sent (`url`: its page key), and the
/// body to build from: a page it has mapped is spliced from the bytes just sent (read whole
/// on the JS side, never parsed), as is a new page another isolate of the colo mapped at this
/// validator ([`colo`]), a page seen once is mapped, a new page is streamed by the runtime's
/// rewriter, and any other page by the WASM one. A
/// mapped page the source confirmed starts its freshness window again. Asked only for a page
/// that has slots to fill: an unfilled page is streamed through as it is.
pub async fn recognize(cfg: &Config, url: &str, upstream: Response) -> Result<Recognized> {
    let (headers, hold_ms, key, upstream) = match keyed(cfg, url, upstream)? {
        Keyed::Key {
            headers,
            hold_ms,
            key,
            upstream,
        } => (headers, hold_ms, key, upstream),
        Keyed::Unkeyed(recognized) => return Ok(recognized),
    };
    // Each branch that waits is a future of its own: this one keeps only the dispatch (crate
    // docs, "Function size").
    let body = match key.lookup() {
        // A content-keyed page is mapped at once: its hash is only known once it is read.
        None if key.by_content() => Body::New { key, upstream },
        None => new_here(cfg, key, upstream).boxed_local().await?,
        Some((_, Known::Seen)) => Body::New { key, upstream },
        Some((_, Known::Refused)) => Body::Stream(upstream),
        Some((hash, Known::Spliceable(template))) => {
            known(key, hash, template, upstream).boxed_local().await?
        }
    };
    if let Body::Spliceable { page, .. } | Body::Shared(page) = &body {
        // The source just sent this page at the mapped validator.
        pages::confirmed(page, js_sys::Date::now(), Some(hold_ms));
    }
    Ok(Recognized { headers, body })
}

/// The body of a page new to this isolate: another isolate of the colo may have mapped it.
async fn new_here(cfg: &Config, key: PageKey, upstream: Response) -> Result<Body> {
    Ok(match shared_map(cfg, &key).boxed_local().await {
        Some(template) => match pages::mapped(&key, template, upstream)
            .boxed_local()
            .await?
        {
            Ok(page) => Body::Shared(page),
            Err(upstream) => {
                // Not the length it was mapped at: mapped here from the next request on.
                colo::reject(cfg, key.url());
                Body::Stream(upstream)
            }
        },
        None => Body::First { key, upstream },
    })
}

/// The body of a page this isolate has mapped: spliced from the bytes just sent when they are
/// the ones mapped (same length; for a content-keyed page, `hash`, the same content).
async fn known(
    key: PageKey,
    hash: Option<String>,
    template: Rc<SlotMap>,
    upstream: Response,
) -> Result<Body> {
    Ok(match hash {
        None => match pages::mapped(&key, template, upstream)
            .boxed_local()
            .await?
        {
            Ok(page) => Body::Spliceable { page, unread: None },
            Err(upstream) => Body::Stream(upstream),
        },
        Some(hash) => match pages::same_content(&upstream, &hash, template.len())
            .boxed_local()
            .await?
        {
            Content::Same(bytes) => Body::Spliceable {
                page: key.page(template, bytes, Some(&hash)),
                unread: Some(upstream),
            },
            Content::Changed => Body::New { key, upstream },
        },
    })
}

/// A page the source just sent, with its key, or streamed without one.
enum Keyed {
    /// Its key, and how long it may be held.
    Key {
        headers: worker::Headers,
        hold_ms: f64,
        key: PageKey,
        upstream: Response,
    },
    /// Never mapped: no validator, or an origin page not marked shareable.
    Unkeyed(Recognized),
}

/// The key of a page the source just sent, and how long it may be held ([`recognize`]'s part
/// before any wait).
// Not inlined: see the crate docs, "Function size".
#[inline(never)]
fn keyed(cfg: &Config, url: &str, upstream: Response) -> Result<Keyed> {
    let headers = crate::response::shared(upstream.headers());
    // Static Assets are held whatever their Cache-Control (they belong to the Worker version);
    // an origin page is mapped only if the origin marked it shareable, held no longer than
    // the lifetime it has left, and keyed by its content when it has no validator of its own.
    // Any other origin page is never mapped, so never replayed to another visitor.
    let (hold_ms, by_content) = match cfg.source {
        PageSource::Assets => (f64::INFINITY, false),
        PageSource::Origin(_) => match source::freshness(&upstream, source::now_secs())? {
            Ok(fresh_secs) => (fresh_secs as f64 * 1000.0, true),
            Err(_) => {
                return Ok(Keyed::Unkeyed(Recognized {
                    headers,
                    body: Body::Stream(upstream),
                }))
            }
        },
    };
    Ok(
        match PageKey::of(url.to_owned(), &upstream, hold_ms, by_content)? {
            Some(key) => Keyed::Key {
                headers,
                hold_ms,
                key,
                upstream,
            },
            None => Keyed::Unkeyed(Recognized {
                headers,
                body: Body::Stream(upstream),
            }),
        },
    )
}

/// The map another isolate of the colo shared for the page `key`, at the validator the source
/// just sent, stored in this isolate's cache as if mapped here.
async fn shared_map(cfg: &Config, key: &PageKey) -> Option<Rc<SlotMap>> {
    let validator = key.shared_validator()?;
    let map = colo::lookup(cfg, key.url(), validator).await?;
    Some(key.store(map, None))
}
