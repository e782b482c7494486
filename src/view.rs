//! Step 2 at the edge: the page view. Adapts the request to the core's pure
//! [`vitrine_core::view`]: resolves the visitor ([`crate::visitor`]: profile, consent,
//! activity), verifies a preview token ([`crate::preview`]), reads the request facts the
//! snapshot's rules use ([`crate::facts`]) and loads the catalog shards the recommendations
//! need ([`crate::shards`]); everything it decides comes from the core.

use futures_util::FutureExt;
use worker::{Env, Result};

use crate::incoming::Incoming;

use crate::config::Config;
use crate::{bots, facts, preview, shards, visitor};
use vitrine_core::cookie::visitor::Visitor;
use vitrine_core::cookie::KeyRing;
use vitrine_core::delivery;
use vitrine_core::measure::conversion::{self, navigation, FetchHeaders, Navigation};
use vitrine_core::measure::views;
use vitrine_core::{PageRequest, PageView, Snapshot};

/// The visitor after the view (its activity updated), the view, and how long each part took.
pub struct Viewed {
    /// The visitor, whose activity cookie is written on delivery.
    pub visitor: Visitor,
    /// What the core decided.
    pub view: PageView,
    /// Unix seconds the request was handled at.
    pub now: u64,
    /// Milliseconds spent on identity (cookies verified, consent, activity read).
    pub identity_ms: f64,
    /// When the identity step ended (`js_sys::Date::now()`): the decision's `Server-Timing`
    /// span runs from here until the activity cookie is written on delivery.
    pub decided_from: f64,
}

/// The page view of `req` for the page at `url` (the URL without the preview token).
pub async fn page_view(
    req: &Incoming,
    env: &Env,
    cfg: &Config,
    ring: &KeyRing,
    snapshot: &std::rc::Rc<Snapshot>,
    urls: (&str, &str),
    content_type: &str,
) -> Result<Viewed> {
    let (raw_url, url) = urls;
    let path = req.path();
    let t0 = js_sys::Date::now();
    let now = (t0 / 1000.0) as u64;
    let traffic = bots::traffic(req, cfg);
    let mut visitor = visitor::resolve(req, cfg, ring, snapshot, now, traffic)?;
    let t1 = js_sys::Date::now();
    // The token parameter is for the edge alone: neither targeting nor the page key see it.
    let preview = preview::resolve(req, raw_url, cfg, now);
    let at = PageRequest::clock(preview.as_ref(), now);
    let observed = facts::read(req, cfg, snapshot, at, preview.is_some());
    let request = PageRequest {
        path,
        query: delivery::query(url),
        observed: &observed,
        preview: preview.as_ref(),
        now,
        labelled: delivery::charset(content_type).is_some(),
        navigation: navigation_of(req, snapshot, path, delivery::query(url)),
        keys: Some(ring),
    };
    shards::prefetch(env, cfg, snapshot, &visitor, &request)
        .boxed_local()
        .await;
    let mut view = vitrine_core::view(snapshot, &mut visitor, &request);
    if view.explain.is_none() {
        view.events
            .extend(views::record(&mut visitor, snapshot, path, cfg.views, now));
    }
    vitrine_core::bots::keep_events(traffic, &mut view.events);
    Ok(Viewed {
        visitor,
        view,
        now,
        identity_ms: t1 - t0,
        decided_from: t1,
    })
}

/// What kind of request `req` is, from its fetch metadata and prefetch headers (a page
/// conversion counts only for a top-level navigation). Only a conversion page reads them, which
/// keeps seven calls across the JS boundary off every other request.
fn navigation_of(req: &Incoming, snapshot: &Snapshot, path: &str, query: &str) -> Navigation {
    if conversion::at_page(&snapshot.body().conversions, path, query).is_none() {
        return Navigation::Unmarked;
    }
    let headers = req.headers();
    let [mode, dest, site, user, sec_purpose, purpose, x_moz] =
        navigation::HEADERS.map(|name| headers.get(name).ok().flatten());
    Navigation::of(&FetchHeaders {
        mode: mode.as_deref(),
        dest: dest.as_deref(),
        site: site.as_deref(),
        user: user.as_deref(),
        sec_purpose: sec_purpose.as_deref(),
        purpose: purpose.as_deref().or(x_moz.as_deref()),
    })
}
