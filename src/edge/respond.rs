//! Building responses: the personalized page (spliced from a recorded page, or streamed), and
//! the unchanged page on bypass.
//!
//! A personalized request goes: identity → decision → headers → body. The body is spliced when
//! this isolate has recorded the page at its current validator ([`pages`]); otherwise it is
//! stream-rewritten ([`transform`]), and a page with a validator is recorded in step with the
//! rewrite (its chunks kept on the JS side), so the next request for it is spliced. Both bodies
//! are byte-identical for the same page and decision; `x-vitrine` ends with `body=spliced` or
//! `body=streamed`. The identity step ([`identify`]) and the headers both bodies get
//! ([`personalized_headers`]) are one function each.

use worker::{Date, Headers, Request, Response, ResponseBody, ResponseBuilder, Result};

use super::config::Config;
use super::log;
use super::pages::{self, PageKey, Recording};
use super::transform;
use super::visitor;
use crate::decide::{Activity, NoActivity};
use crate::delivery::{self, Bypass};
use crate::rewrite::SlotStream;
use crate::splice::Known;
use crate::{decide_in, render, Context, Plan, Snapshot};

/// Decides and builds the personalized response; any fault before the body starts is a bypass.
pub fn personalize(
    req: &Request,
    cfg: &Config,
    upstream: Response,
    snapshot: &Snapshot,
) -> Result<Response> {
    let path = req.path();
    let ring = match &cfg.keys {
        Ok(ring) => ring,
        Err(why) => {
            log::bypass(Bypass::Config.code(), &path, why);
            return bypass(upstream, Bypass::Config, &path);
        }
    };
    let now = Date::now().as_millis() / 1000;
    // Identity stage (src/edge/visitor.rs): profile, consent, activity cookie.
    let mut visitor = visitor::resolve(req, cfg, ring, snapshot, now)?;
    let url = req.inner().url();
    // The decision borrows the visitor; it ends before the activity cookie is updated.
    let (x_vitrine, plan, shown) = {
        let activity: &dyn Activity = match &visitor.activity {
            Some(a) => a,
            None => &NoActivity,
        };
        let mut ctx =
            Context::new(&visitor.identity, now as i64).with_url(&path, delivery::query(&url));
        ctx.activity = activity;
        let decision = decide_in(snapshot, &ctx);
        let shown: Vec<String> = decision
            .fills
            .iter()
            .map(|f| f.campaign.to_owned())
            .collect();
        let x = delivery::x_vitrine_personalized(decision.version, &decision.summary());
        let plan = (!decision.fills.is_empty()).then(|| render(&decision));
        (x, plan, shown)
    };
    let set_cookie = visitor::set_cookie(&mut visitor, cfg, ring, &shown, now);
    let Some(plan) = plan else {
        return visitor::finish(with_header(upstream, &x_vitrine)?, set_cookie.as_deref());
    };
    let key = PageKey::of(url, &upstream)?;
    let known = key.as_ref().and_then(PageKey::lookup);
    let body = match known {
        Some(Known::Spliceable(_)) => "spliced",
        _ => "streamed",
    };
    let headers = personalized_headers(&upstream, &format!("{x_vitrine}; body={body}"))?;
    visitor::append(&headers, set_cookie.as_deref())?;
    match known {
        Some(Known::Spliceable(recorded)) => pages::spliced(&upstream, &recorded, &plan, &headers),
        Some(Known::Refused) => stream_rewrite(cfg, upstream, plan, headers, None, path),
        None => stream_rewrite(cfg, upstream, plan, headers, key, path),
    }
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
    upstream: Response,
    plan: Plan,
    headers: Headers,
    key: Option<PageKey>,
    path: String,
) -> Result<Response> {
    let content_type = upstream.headers().get("content-type")?.unwrap_or_default();
    let charset = delivery::charset(&content_type);
    let Ok(rewriter) = SlotStream::new(plan, cfg.limits, charset) else {
        return bypass(upstream, Bypass::Charset, &path);
    };
    let ResponseBody::Stream(body) = upstream.body() else {
        return bypass(upstream, Bypass::NoBody, &path);
    };
    let recording = key.and_then(|k| Recording::new(k, charset, cfg.limits));
    let rewritten = transform::pipe(body, rewriter, recording, path)?;
    Ok(ResponseBuilder::new()
        .with_status(200)
        .with_headers(headers)
        .stream(rewritten))
}

/// The unchanged base page, marked and logged.
pub fn bypass(upstream: Response, reason: Bypass, path: &str) -> Result<Response> {
    log::bypass(reason.code(), path, "");
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
