//! Fetching base pages from the page source, without any visitor credentials.
//!
//! The subrequest is rebuilt from scratch: same method, URL and body, and only the headers on
//! the allowlist ([`vitrine_core::delivery::Forwarded`]; a forwarded `Referer` loses any
//! preview token). For documents the visitor's conditional
//! headers are dropped too, so a browser holding the base page's `ETag` can never turn a
//! personalized page into a `304` of the unpersonalized one. In origin mode, documents go
//! through the Cache API keyed by the origin URL alone, so the origin sees one request per
//! page per cache lifetime, never per visitor; a response enters it only when the origin
//! marked it shareable, for the lifetime the origin gave ([`vitrine_core::delivery::sharing`]), and
//! never with a lifetime of vitrine's own. Other requests go to the origin and back untouched.

use futures_util::FutureExt;
use worker::js_sys::{Array, Promise};
use worker::wasm_bindgen::prelude::wasm_bindgen;
use worker::wasm_bindgen::{JsCast, JsValue};
use worker::wasm_bindgen_futures::JsFuture;
use worker::{web_sys, Cache, Context, Env, Headers, Request, Result};

use crate::config::{Config, PageSource};
use crate::incoming::Incoming;
use crate::response::Response;
use vitrine_core::delivery::{self, sharing, Bypass, NotShared};

/// Builds the credential-free subrequest for `req`; `conditional` is vitrine's own validator
/// for a page it has recorded ([`crate::pages::conditional`]), never the visitor's.
///
/// Built on the JS side in one call (a call per header, per `RequestInit` field and per string
/// from WASM was a visible share of a first view): the method and body are the request's own,
/// the headers only the allowed names the visitor sent, all but `Referer`, whose value is
/// changed here, and redirects are not followed.
pub fn subrequest(
    req: &Incoming,
    url: &str,
    cfg: &Config,
    document: bool,
    conditional: Option<(&str, &str)>,
) -> Result<web_sys::Request> {
    let names = &cfg.forwarded_names;
    let list = if document {
        &names.document
    } else {
        &names.other
    };
    let referer = match names.referer {
        true => req.headers().get("referer")?.and_then(|value| {
            cfg.forwarded
                .value("referer", &value)
                .map(|v| v.into_owned())
        }),
        false => None,
    };
    let (conditional_name, conditional_value) = conditional.unzip();
    Ok(build_subrequest(
        req.inner(),
        &upstream_url(url, cfg),
        list,
        referer.as_deref(),
        conditional_name,
        conditional_value,
    )?)
}

#[wasm_bindgen(inline_js = r#"
export function build_subrequest(incoming, url, names, referer, conditional_name, conditional_value) {
  const from = incoming.headers;
  const headers = new Headers();
  for (const name of names) {
    const value = from.get(name);
    if (value !== null) headers.append(name, value);
  }
  if (referer !== undefined) headers.append("referer", referer);
  if (conditional_name !== undefined) headers.set(conditional_name, conditional_value);
  const method = incoming.method;
  const init = { method, headers, redirect: "manual" };
  if (method !== "GET" && method !== "HEAD" && incoming.body !== null) init.body = incoming.body;
  return new Request(url, init);
}

export function assets_fetch(env, request) {
  if (env.ASSETS === undefined) throw new Error("Binding `ASSETS` is undefined.");
  return env.ASSETS.fetch(request);
}
"#)]
extern "C" {
    /// A new request for `url` with `incoming`'s method and body, the `names` it has (with
    /// their values), `referer` and the conditional header if given, and manual redirects.
    #[wasm_bindgen(catch)]
    fn build_subrequest(
        incoming: &web_sys::Request,
        url: &str,
        names: &Array,
        referer: Option<&str>,
        conditional_name: Option<&str>,
        conditional_value: Option<&str>,
    ) -> std::result::Result<web_sys::Request, JsValue>;

    /// `env.ASSETS.fetch(request)`: the Static Assets binding called directly (the worker
    /// crate's `Env::assets` checks the binding's class by name on every call, and its
    /// `fetch_request` wraps the request in its own `Request` first).
    #[wasm_bindgen(catch)]
    fn assets_fetch(env: &Env, request: &web_sys::Request)
        -> std::result::Result<Promise, JsValue>;
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
/// Only `document`s go through the Cache API.
pub async fn fetch(
    env: &Env,
    cfg: &Config,
    ctx: &Context,
    sub: web_sys::Request,
    document: bool,
) -> Result<Response> {
    match &cfg.source {
        PageSource::Assets => {
            let sent: web_sys::Response =
                JsFuture::from(assets_fetch(env, &sub)?).await?.dyn_into()?;
            Ok(Response::new(sent))
        }
        // Boxed: origin mode's futures stay out of this one, which every Static Assets
        // request runs (a smaller state machine for V8 to compile in a new isolate).
        PageSource::Origin(_) if document && sub.method() == "GET" => {
            cached(ctx, sub).boxed_local().await
        }
        PageSource::Origin(_) => origin(sub).boxed_local().await,
    }
}

/// A subrequest to the origin, not through the Cache API.
async fn origin(sub: web_sys::Request) -> Result<Response> {
    worker::Fetch::Request(Request::from(sub))
        .send()
        .await
        .map(Response::from)
}

/// The answer when the page source could not be reached (the connection failed or dropped,
/// `error`): there is no base page to serve unchanged, so a `502` that says what happened,
/// stored nowhere, and one `vitrine.bypass` log line (the runtime's message, without any
/// query string it may quote).
pub fn unreachable(path: &str, error: &worker::Error) -> Result<Response> {
    let reason = Bypass::SourceUnreachable;
    crate::log::bypass(
        reason.code(),
        path,
        &delivery::without_queries(&error.to_string()),
    );
    let headers = Headers::new();
    headers.set("content-type", "text/plain; charset=utf-8")?;
    headers.set("cache-control", "no-store")?;
    headers.set(delivery::X_VITRINE, &delivery::x_vitrine_bypass(reason))?;
    Response::from_text(
        delivery::SOURCE_UNREACHABLE_STATUS,
        &headers,
        "502 Bad Gateway: the page source did not answer.\n",
    )
}

/// Cache API lookup keyed by the origin URL; on a miss, fetch, and store a copy when the
/// origin marked the page shareable with a lifetime left. A stored copy without a `Date` gets
/// one (RFC 9110, 6.6.1), so its age, and what is left of its lifetime, stays known.
async fn cached(ctx: &Context, sub: web_sys::Request) -> Result<Response> {
    let cache = Cache::default();
    let key = sub.url();
    let now = now_secs();
    if let Some(hit) = cache.get(key.as_str(), false).await?.map(Response::from) {
        // The runtime's cache honours the lifetime itself; this also refuses an entry that is
        // not (or no longer) shareable, whoever stored it.
        if matches!(freshness(&hit, now)?, Ok(1..)) {
            return Ok(hit);
        }
    }
    let fresh = Response::from(worker::Fetch::Request(Request::from(sub)).send().await?);
    if matches!(freshness(&fresh, now)?, Ok(1..)) {
        let mut copy = fresh.cloned()?;
        if copy.headers().get("date")?.is_none() {
            // A fetched response's headers are immutable: the copy gets its own.
            let headers = Headers(web_sys::Headers::new_with_headers(&copy.headers().0)?);
            // `toUTCString` writes the IMF-fixdate form HTTP dates use.
            let date = js_sys::Date::new(&JsValue::from_f64(now as f64 * 1000.0));
            headers.set("date", &String::from(date.to_utc_string()))?;
            copy = copy.with_headers(&headers)?;
        }
        // The visitor's copy streams now; the cache fills in the background.
        let copy = worker::Response::from(copy.into_raw()?);
        ctx.wait_until(async move {
            if let Err(e) = cache.put(key.as_str(), copy).await {
                crate::log::note("vitrine.cache_put_failed", &e.to_string());
            }
        });
    }
    Ok(fresh)
}

/// The current time in Unix seconds (the runtime's clock; `SystemTime::now` is not available
/// in WASM).
pub fn now_secs() -> u64 {
    (js_sys::Date::now() / 1000.0) as u64
}

/// How long `resp` may still be shared between visitors ([`sharing::shared_freshness`]).
pub fn freshness(resp: &Response, now: u64) -> Result<std::result::Result<u64, NotShared>> {
    let h = resp.headers();
    let cache_control = h.get("cache-control")?;
    let vary = h.get("vary")?;
    let age = h.get("age")?;
    // The runtime's `Date.parse` reads the HTTP date forms (NaN for anything else).
    let date = h
        .get("date")?
        .map(|d| js_sys::Date::parse(&d))
        .filter(|ms| ms.is_finite() && *ms >= 0.0)
        .map(|ms| (ms / 1000.0) as u64);
    let head = sharing::Head {
        status: resp.status_code(),
        cache_control: cache_control.as_deref(),
        vary: vary.as_deref(),
        set_cookie: h.has("set-cookie")?,
        age: age.as_deref(),
        date,
    };
    Ok(sharing::shared_freshness(&head, now))
}
