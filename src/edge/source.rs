//! Fetching base pages from the page source, without any visitor credentials.
//!
//! The subrequest is rebuilt from scratch: same method, URL and body, and only the headers
//! [`delivery::forwards_request_header`] allows. For documents the visitor's conditional
//! headers are dropped too, so a browser holding the base page's `ETag` can never turn a
//! personalized page into a `304` of the unpersonalized one. In origin mode, document `GET`s go
//! through the Cache API keyed by the origin URL alone, so the origin sees one request per
//! page per cache lifetime, never per visitor.

use worker::{web_sys, Cache, Context, Env, Headers, Method, Request, Response, Result};

use super::config::{Config, PageSource};
use crate::delivery;

/// Headers dropped from document subrequests (revalidation is ours to decide).
const DOCUMENT_CONDITIONALS: &[&str] = &["if-none-match", "if-modified-since"];

/// Builds the credential-free subrequest for `req`; `conditional` is vitrine's own validator
/// for a page it has recorded ([`super::pages::conditional`]), never the visitor's.
///
/// Built with `web_sys::RequestInit` rather than the worker crate's, whose `cf` properties
/// (image resizing, polish…) serialize through serde and cost ~8 KB of .wasm we never use.
pub fn subrequest(
    req: &Request,
    url: &str,
    cfg: &Config,
    document: bool,
    conditional: Option<(&str, &str)>,
) -> Result<Request> {
    let headers = Headers::new();
    for (name, value) in req.headers().entries() {
        let visitors = document && DOCUMENT_CONDITIONALS.contains(&name.as_str());
        if delivery::forwards_request_header(&name) && !visitors {
            headers.append(&name, &value)?;
        }
    }
    if let Some((name, value)) = conditional {
        headers.set(name, value)?;
    }
    let init = web_sys::RequestInit::new();
    init.set_method(req.method().as_ref());
    init.set_headers(&headers.0);
    init.set_redirect(web_sys::RequestRedirect::Manual);
    if !matches!(req.method(), Method::Get | Method::Head) {
        if let Some(body) = req.inner().body() {
            init.set_body(&body);
        }
    }
    let raw = web_sys::Request::new_with_str_and_init(&upstream_url(url, cfg), &init)?;
    Ok(Request::from(raw))
}

/// `url` is the request URL without the preview token (which is for the edge alone).
fn upstream_url(url: &str, cfg: &Config) -> String {
    match &cfg.source {
        PageSource::Assets => url.to_owned(),
        PageSource::Origin(origin) => {
            let mut out = origin.trim_end_matches('/').to_owned();
            let rest = delivery::path_and_query(url);
            if !rest.starts_with('/') {
                out.push('/');
            }
            out.push_str(rest);
            out
        }
    }
}

/// Fetches from the configured source; the response is returned as the source sent it.
pub async fn fetch(env: &Env, cfg: &Config, ctx: &Context, sub: Request) -> Result<Response> {
    match &cfg.source {
        PageSource::Assets => env.assets("ASSETS")?.fetch_request(sub).await,
        PageSource::Origin(_) if sub.method() == Method::Get => cached(cfg, ctx, sub).await,
        PageSource::Origin(_) => worker::Fetch::Request(sub).send().await,
    }
}

/// Cache API lookup keyed by the origin URL; on a miss, fetch and store when cacheable.
async fn cached(cfg: &Config, ctx: &Context, sub: Request) -> Result<Response> {
    let cache = Cache::default();
    let key = sub.inner().url();
    if let Some(hit) = cache.get(key.as_str(), false).await? {
        return Ok(hit);
    }
    let mut fresh = worker::Fetch::Request(sub).send().await?;
    if cacheable(&fresh)? {
        let mut copy = fresh.cloned()?;
        let headers = copy.headers_mut();
        if headers.get("cache-control")?.is_none() {
            headers.set(
                "cache-control",
                &format!("public, max-age={}", cfg.origin_cache_ttl),
            )?;
        }
        // The visitor's copy streams now; the cache fills in the background.
        ctx.wait_until(async move {
            if let Err(e) = cache.put(key.as_str(), copy).await {
                super::log::note("vitrine.cache_put_failed", &e.to_string());
            }
        });
    }
    Ok(fresh)
}

/// Only shared, complete, cookie-free pages may enter the shared cache.
pub fn cacheable(resp: &Response) -> Result<bool> {
    let h = resp.headers();
    let cc = h
        .get("cache-control")?
        .unwrap_or_default()
        .to_ascii_lowercase();
    Ok(resp.status_code() == 200
        && h.get("set-cookie")?.is_none()
        && !cc.contains("private")
        && !cc.contains("no-store"))
}
