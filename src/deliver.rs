//! Step 3 of a page request: deliver the body the page view decided, and the unchanged page on
//! bypass.
//!
//! The view's events are logged and the activity cookie is written here, then the body is
//! built: spliced when this isolate has recorded the page at its current validator
//! ([`pages`]); otherwise stream-rewritten ([`transform`]), and a page with a validator is
//! recorded in step with the rewrite (its chunks kept on the JS side), so the next request for
//! it is spliced. Both bodies are byte-identical for the same page and decision; `x-vitrine`
//! ends with `body=spliced` or `body=streamed`. The headers both bodies get
//! ([`personalized_headers`]) are one function.

use worker::{Headers, Response, ResponseBody, ResponseBuilder, Result};

use crate::config::Config;
use crate::obtain::{self, BasePage};
use crate::pages::{self, PageKey, Recording};
use crate::view::Viewed;
use crate::{log, preview, transform, visitor};
use vitrine_core::cookie::KeyRing;
use vitrine_core::delivery::{self, Bypass};
use vitrine_core::rewrite::SlotStream;
use vitrine_core::splice::Known;
use vitrine_core::timing::{BodyBuilt, Timings};
use vitrine_core::Plan;

/// Delivers the page `viewed` decided: a preview, the unchanged page with the headers and
/// cookie the visitor gets, or the filled page, spliced from a recording or streamed.
pub async fn page(
    ctx: &worker::Context,
    cfg: &Config,
    ring: &KeyRing,
    path: String,
    base: BasePage,
    viewed: Viewed,
) -> Result<Response> {
    let Viewed {
        mut visitor,
        view,
        now,
        identity_ms,
        decided_from,
    } = viewed;
    if let Some(explain) = &view.explain {
        // A preview leaves no trace: no cookie, no impressions, offers or exposures.
        return previewed(
            cfg,
            ctx,
            base.upstream,
            view.plan,
            &view.x_vitrine,
            explain,
            path,
        );
    }
    if let Some(code) = view.conversion_refused {
        log::note("vitrine.conversion_refused", code);
    }
    log::events(ctx, view.events);
    let set_cookie = visitor::set_cookie(&mut visitor, cfg, ring, &view.shown, now);
    let mut timings = Timings {
        cookie: identity_ms,
        snapshot: Some(base.snapshot_ms),
        page: Some(base.from),
        decide: js_sys::Date::now() - decided_from,
        body: BodyBuilt::Unchanged,
    };
    let x_vitrine = view.x_vitrine;
    let Some(plan) = view.plan else {
        let resp = with_header(base.upstream, &x_vitrine)?;
        return visitor::finish(timed(resp, &timings)?, set_cookie.as_deref());
    };
    let replayed = base.recorded.is_some();
    let (key, known, upstream) = match base.recorded {
        Some(recorded) => (None, Some(Known::Spliceable(recorded)), base.upstream),
        None => obtain::recognize(cfg, &base.url, base.upstream).await?,
    };
    let body = match known {
        Some(Known::Spliceable(_)) => "spliced",
        _ => "streamed",
    };
    let headers = personalized_headers(&upstream, &format!("{x_vitrine}; body={body}"))?;
    visitor::append(&headers, set_cookie.as_deref())?;
    match known {
        Some(Known::Spliceable(recorded)) => {
            let t2 = js_sys::Date::now();
            let resp = pages::spliced(&upstream, replayed, &recorded, &plan, &headers)?;
            timings.body = BodyBuilt::Spliced(js_sys::Date::now() - t2);
            timed(resp, &timings)
        }
        Some(Known::Refused) => {
            timings.body = BodyBuilt::Streamed;
            headers.set(SERVER_TIMING, &timings.header())?;
            stream_rewrite(cfg, ctx, upstream, plan, headers, None, path)
        }
        None => {
            timings.body = BodyBuilt::Streamed;
            headers.set(SERVER_TIMING, &timings.header())?;
            stream_rewrite(cfg, ctx, upstream, plan, headers, key, path)
        }
    }
}

/// A preview response: the page as the token forces it, with `x-vitrine-explain`, always
/// `private, no-store`, streamed (never recorded or spliced, so previews change no state).
fn previewed(
    cfg: &Config,
    ctx: &worker::Context,
    upstream: Response,
    plan: Option<Plan>,
    x_vitrine: &str,
    explain: &str,
    path: String,
) -> Result<Response> {
    let headers = personalized_headers(&upstream, &format!("{x_vitrine}; preview"))?;
    headers.set(preview::EXPLAIN_HEADER, explain)?;
    match plan {
        Some(plan) => stream_rewrite(cfg, ctx, upstream, plan, headers, None, path),
        None => {
            let status = upstream.status_code();
            let (_, body) = upstream.into_parts();
            Ok(ResponseBuilder::new()
                .with_status(status)
                .with_headers(headers)
                .body(body))
        }
    }
}

const SERVER_TIMING: &str = "server-timing";

/// Adds `Server-Timing` to a response whose body is already built.
fn timed(mut resp: Response, timings: &Timings) -> Result<Response> {
    resp.headers_mut().set(SERVER_TIMING, &timings.header())?;
    Ok(resp)
}

/// Headers of a personalized response, whichever way its body is built: the base page's
/// headers minus validators, length and cookies, plus `private, no-store` and `x-vitrine`.
fn personalized_headers(upstream: &Response, x_vitrine: &str) -> Result<Headers> {
    let headers = Headers::new();
    for (name, value) in upstream.headers().entries() {
        if delivery::keeps_response_header(&name) {
            headers.append(&name, &value)?;
        }
    }
    headers.set("cache-control", delivery::PERSONALIZED_CACHE_CONTROL)?;
    headers.set(delivery::X_VITRINE, x_vitrine)?;
    Ok(headers)
}

/// Starts the streaming rewrite; `key` set means: also record the page for splicing.
fn stream_rewrite(
    cfg: &Config,
    ctx: &worker::Context,
    upstream: Response,
    plan: Plan,
    headers: Headers,
    key: Option<PageKey>,
    path: String,
) -> Result<Response> {
    let content_type = upstream.headers().get("content-type")?.unwrap_or_default();
    let charset = delivery::charset(&content_type);
    let Ok(rewriter) = SlotStream::new(plan, cfg.limits, charset) else {
        return bypass(upstream, Bypass::Charset, &path, "");
    };
    let ResponseBody::Stream(body) = upstream.body() else {
        return bypass(upstream, Bypass::NoBody, &path, "");
    };
    let recording = key.and_then(|k| Recording::new(k, charset, cfg.limits));
    let attribute_slots = cfg.limits.attribute_slots;
    let rewritten = transform::pipe(ctx, body, rewriter, recording, path, attribute_slots)?;
    Ok(ResponseBuilder::new()
        .with_status(200)
        .with_headers(headers)
        .stream(rewritten))
}

/// The unchanged base page, marked and logged.
pub fn bypass(upstream: Response, reason: Bypass, path: &str, detail: &str) -> Result<Response> {
    log::bypass(reason.code(), path, detail);
    with_header(upstream, &delivery::x_vitrine_bypass(reason))
}

fn with_header(upstream: Response, x_vitrine: &str) -> Result<Response> {
    let status = upstream.status_code();
    let headers = Headers::new();
    for (name, value) in upstream.headers().entries() {
        headers.append(&name, &value)?;
    }
    let (_, body) = upstream.into_parts();
    headers.set(delivery::X_VITRINE, x_vitrine)?;
    Ok(ResponseBuilder::new()
        .with_status(status)
        .with_headers(headers)
        .body(body))
}
