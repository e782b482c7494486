//! Step 1 of a page request: obtain the base page, and the active snapshot alongside it.
//!
//! Everything about where the base page comes from is here: a page this isolate recorded is
//! replayed without a subrequest while fresh (**held**), confirmed by a conditional request to
//! Static Assets once it is not (**revalidated**), or else **fetched** from the page source;
//! and, for a page about to be personalized, what this isolate already knows about it
//! ([`recognize`]: the page key, the recording at that key, the content comparison for an
//! origin page without validators). Requests that are not documents pass through untouched.
//!
//! It never forwards the visitor's cookies or credentials (the subrequest is built by
//! [`crate::source`] from the allowlist), and never records or replays an origin page the origin
//! did not mark shareable.

use std::rc::Rc;

use worker::{Context, Env, Request, Response, Result};

use crate::config::{Config, PageSource};
use crate::pages::{self, Content, JsPage, PageKey};
use crate::{source, store};
use vitrine_core::delivery::{self, Bypass};
use vitrine_core::splice::{Known, Recorded};
use vitrine_core::timing::Page;
use vitrine_core::Snapshot;

/// A document's base page, ready to be personalized.
pub struct BasePage {
    /// The page as the source sent it (or replayed from a recording).
    pub upstream: Response,
    /// Where it came from.
    pub from: Page,
    /// The recording it was replayed from (held or revalidated).
    pub recorded: Option<Rc<Recorded<JsPage>>>,
    /// The active snapshot, or why there is none.
    pub snapshot: std::result::Result<Rc<Snapshot>, Bypass>,
    /// Milliseconds spent waiting for the snapshot.
    pub snapshot_ms: f64,
    /// The request URL as it came (a preview token may be in its query).
    pub raw_url: String,
    /// The URL without the preview token: all the page source, the page key and targeting see.
    pub url: String,
}

/// What step 1 ends with.
pub enum Obtained {
    /// A personalizable document page.
    Page(BasePage),
    /// A response to send as it is: not a document, or not a page vitrine can personalize.
    Final(Response),
}

/// Obtains the base page of `req` (and the snapshot, read concurrently).
pub async fn base_page(req: &Request, env: &Env, cfg: &Config, ctx: &Context) -> Result<Obtained> {
    let method = req.method().to_string();
    let path = req.path();
    let document = cfg.documents.contains(&method, &path);
    let raw_url = req.inner().url();
    let url = vitrine_core::preview_token::strip_param(&raw_url).into_owned();
    // A page this isolate recorded is not asked for while it is fresh, and then revalidated
    // rather than re-read (the conditional for Static Assets only: in origin mode a
    // conditional would bypass the Cache API, which already keeps the origin out of the loop).
    let held = (document && method == "GET")
        .then(|| pages::held(&url))
        .flatten();
    let started = js_sys::Date::now();
    let snapshot = async {
        let snapshot = store::active(env, cfg).await;
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
            let sub = source::subrequest(req, &url, cfg, document, conditional)?;
            if !document {
                return Ok(Obtained::Final(
                    source::fetch(env, cfg, ctx, sub, false).await?,
                ));
            }
            let asked_conditionally = conditional.is_some();
            let (upstream, snapshot) =
                futures_util::join!(source::fetch(env, cfg, ctx, sub, true), snapshot);
            match (upstream?, &held) {
                // Only an answer to vitrine's own conditional stands for the recorded page.
                (fresh, Some(page)) if asked_conditionally && fresh.status_code() == 304 => {
                    pages::confirmed(page, js_sys::Date::now(), None);
                    (pages::replay(page)?, Page::Revalidated, snapshot)
                }
                (fresh, _) => (fresh, Page::Fetched, snapshot),
            }
        }
    };
    let content_type = upstream.headers().get("content-type")?;
    let content_range = upstream.headers().get("content-range")?;
    if !delivery::is_personalizable_response(
        upstream.status_code(),
        content_type.as_deref(),
        content_range.as_deref(),
    ) {
        return Ok(Obtained::Final(upstream));
    }
    Ok(Obtained::Page(BasePage {
        upstream,
        from,
        recorded: held.filter(|_| from != Page::Fetched),
        snapshot,
        snapshot_ms,
        raw_url,
        url,
    }))
}

/// What this isolate knows about a page the source just sent: its key (to record it), what is
/// known at that key, and the response to go on with (the same, or a copy of it when its body
/// had to be read to compare it with a recording). A recording the source confirmed starts its
/// freshness window again. Asked only for a page that has slots to fill: reading a body to
/// compare it costs, and an unfilled page is streamed through as it is.
pub async fn recognize(
    cfg: &Config,
    url: &str,
    mut upstream: Response,
) -> Result<(Option<PageKey>, Option<Known<JsPage>>, Response)> {
    // Static Assets are held whatever their Cache-Control (they belong to the Worker version);
    // an origin page is recorded only if the origin marked it shareable, held no longer than
    // the lifetime it has left, and keyed by its content when it has no validator of its own.
    // Any other origin page is never recorded, so never replayed to another visitor.
    let (hold_ms, by_content) = match cfg.source {
        PageSource::Assets => (f64::INFINITY, false),
        PageSource::Origin(_) => match source::freshness(&upstream, source::now_secs())? {
            Ok(fresh_secs) => (fresh_secs as f64 * 1000.0, true),
            Err(_) => return Ok((None, None, upstream)),
        },
    };
    let key = PageKey::of(url.to_owned(), &upstream, hold_ms, by_content)?;
    let mut known = key.as_ref().and_then(PageKey::lookup);
    if let (Some(key), Some(Known::Spliceable(recorded))) = (&key, &known) {
        if key.by_content() {
            let recorded = Rc::clone(recorded);
            let (copy, verdict) = pages::same_content(upstream, &recorded).await?;
            upstream = copy;
            known = match verdict {
                Content::Same => known,
                Content::Changed => None,
                Content::Unknown => Some(Known::Refused),
            };
        }
    }
    if let Some(Known::Spliceable(recorded)) = &known {
        // The source just sent this page at the recorded validator.
        pages::confirmed(recorded, js_sys::Date::now(), Some(hold_ms));
    }
    Ok((key, known, upstream))
}
