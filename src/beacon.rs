//! `POST /__vitrine/event`: the shell around [`vitrine_core::measure::conversion::beacon`]. Reads the body
//! bounded (never more than the cap, whatever `Content-Length` says), resolves the visitor as
//! a page view would, counts the event against their per-minute limit in the activity cookie,
//! and answers `204` before the event is written (`ctx.wait_until`).
//!
//! A refused beacon gets its status and `refused: <code>: <reason>` as text, one log line with
//! the code, and writes nothing: no event, no cookie.

use futures_util::StreamExt;
use worker::{Date, Env, Request, Response, Result};

use crate::incoming::Incoming;

use crate::config::Config;
use crate::{log, store, visitor};
use vitrine_core::measure::conversion::beacon::{self, Head, Refusal, MAX_BODY_BYTES};
use vitrine_core::measure::conversion::{self, Admission};
use vitrine_core::measure::events::Via;

/// Whether the beacon route owns this path.
pub fn owns(path: &str) -> bool {
    path == beacon::ROUTE
}

/// Handles one beacon.
pub async fn handle(
    req: Incoming,
    env: &Env,
    cfg: &Config,
    ctx: &worker::Context,
) -> Result<crate::response::Response> {
    match accept(&req, env, cfg, ctx).await {
        Ok(set_cookie) => {
            let headers = worker::Headers::new();
            headers.set("cache-control", "no-store")?;
            let resp = crate::response::Response::from_stream(204, &headers, None)?;
            visitor::finish(resp, set_cookie.as_deref())
        }
        Err(why) => refuse(&why).map(crate::response::Response::from),
    }
}

/// Checks, records and returns the activity cookie to set, or why the beacon was refused.
async fn accept(
    req: &Incoming,
    env: &Env,
    cfg: &Config,
    ctx: &worker::Context,
) -> std::result::Result<Option<String>, Refusal> {
    let headers = req.headers();
    let header = |name: &str| headers.get(name).ok().flatten();
    let (origin, fetch_site) = (header("origin"), header("sec-fetch-site"));
    let (content_type, content_length) = (header("content-type"), header("content-length"));
    let method = req.method().to_string();
    let url = req.url();
    beacon::check_head(Head {
        method: &method,
        url,
        origin: origin.as_deref(),
        fetch_site: fetch_site.as_deref(),
        content_type: content_type.as_deref(),
        content_length: content_length.as_deref(),
    })?;
    let body = read_bounded(req).await?;
    let snapshot = store::active(env, cfg)
        .await
        .map_err(|_| Refusal::Unavailable)?;
    let checked = beacon::parse(&body, &snapshot.body().conversions)?;
    let ring = cfg.keys.as_ref().map_err(|_| Refusal::Unavailable)?;
    let now = Date::now().as_millis() / 1000;
    let traffic = crate::bots::traffic(req, cfg);
    let mut who = visitor::resolve(req, cfg, ring, &snapshot, now, traffic)
        .map_err(|_| Refusal::Unavailable)?;
    if conversion::admit(&mut who, now) == Admission::Limited {
        return Err(Refusal::RateLimited);
    }
    let event = conversion::event(
        &who,
        &snapshot,
        &checked.goal.name,
        checked.value,
        Via::Beacon,
        now,
    );
    let mut events = vec![conversion::with_products(event, &who, checked.products)];
    vitrine_core::bots::keep_events(traffic, &mut events);
    log::events(ctx, events);
    Ok(visitor::set_cookie(&mut who, cfg, ring, &[], now))
}

/// The body, refused as soon as it grows past the cap.
async fn read_bounded(req: &Incoming) -> std::result::Result<Vec<u8>, Refusal> {
    let unreadable = |_| Refusal::Malformed("the body could not be read".into());
    // No body at all reads as an empty one, which the parser refuses.
    let Ok(mut stream) = Request::from(Clone::clone(req.inner())).stream() else {
        return Ok(Vec::new());
    };
    let mut body = Vec::new();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(unreadable)?;
        if body.len() + chunk.len() > MAX_BODY_BYTES {
            return Err(Refusal::TooLarge);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

fn refuse(why: &Refusal) -> Result<Response> {
    log::note("vitrine.beacon_refused", why.code());
    let mut resp = Response::ok(why.body())?.with_status(why.status());
    let headers = resp.headers_mut();
    headers.set("content-type", "text/plain; charset=utf-8")?;
    headers.set("cache-control", "no-store")?;
    if matches!(why, Refusal::Method) {
        headers.set("allow", "POST")?;
    }
    Ok(resp)
}
