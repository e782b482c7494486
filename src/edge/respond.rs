//! Building responses: the personalized stream, and the unchanged page on bypass.

use futures_util::stream::{self, StreamExt};
use worker::{ByteStream, Date, Headers, Request, Response, Result};

use super::config::Config;
use super::log;
use super::visitor;
use crate::decide::{Activity, NoActivity};
use crate::delivery::{self, Bypass};
use crate::rewrite::SlotStream;
use crate::{decide_in, render, Context, Snapshot};

/// Decides and starts the streaming rewrite; any fault before streaming starts is a bypass.
pub fn personalize(
    req: &Request,
    cfg: &Config,
    mut upstream: Response,
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
    let url = req.url()?;
    // The decision borrows the visitor; it ends before the activity cookie is updated.
    let (x_vitrine, plan, shown) = {
        let activity: &dyn Activity = match &visitor.activity {
            Some(a) => a,
            None => &NoActivity,
        };
        let mut ctx =
            Context::new(&visitor.identity, now as i64).with_url(&path, url.query().unwrap_or(""));
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
    let content_type = upstream.headers().get("content-type")?.unwrap_or_default();
    let Ok(rewriter) = SlotStream::new(plan, cfg.limits, delivery::charset(&content_type)) else {
        return bypass(upstream, Bypass::Charset, &path);
    };
    let Ok(body) = upstream.stream() else {
        return bypass(upstream, Bypass::NoBody, &path);
    };
    let headers = Headers::new();
    for (name, value) in upstream.headers().entries() {
        if delivery::keeps_response_header(&name) {
            headers.append(&name, &value)?;
        }
    }
    headers.set("cache-control", delivery::PERSONALIZED_CACHE_CONTROL)?;
    headers.set(delivery::X_VITRINE, &x_vitrine)?;
    visitor::append(&headers, set_cookie.as_deref())?;
    Ok(Response::from_stream(rewritten(body, rewriter, path))?
        .with_status(200)
        .with_headers(headers))
}

enum Phase {
    Streaming(ByteStream, Box<SlotStream>, String),
    Done,
}

/// Each upstream chunk yields its rewritten bytes at once: first bytes leave before the
/// upstream body ends, and nothing buffers the page.
fn rewritten(
    body: ByteStream,
    rewriter: SlotStream,
    path: String,
) -> impl futures_util::Stream<Item = Result<Vec<u8>>> {
    stream::unfold(
        Phase::Streaming(body, Box::new(rewriter), path),
        |phase| async move {
            let Phase::Streaming(mut body, mut rw, path) = phase else {
                return None;
            };
            match body.next().await {
                Some(Ok(chunk)) => Some((Ok(rw.feed(&chunk)), Phase::Streaming(body, rw, path))),
                Some(Err(e)) => Some((Err(e), Phase::Done)),
                None => {
                    let (rest, early_stop) = rw.finish();
                    if let Some(e) = early_stop {
                        log::bypass(e.code(), &path, &e.to_string());
                    }
                    Some((Ok(rest), Phase::Done))
                }
            }
        },
    )
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
    Ok(worker::ResponseBuilder::new()
        .with_status(status)
        .with_headers(headers)
        .body(body))
}
