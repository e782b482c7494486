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

use std::rc::Rc;

use worker::{Date, Headers, Request, Response, ResponseBody, ResponseBuilder, Result};

use crate::config::{Config, PageSource};
use crate::facts;
use crate::log;
use crate::pages::{self, Content, JsPage, PageKey, Recording};
use crate::preview;
use crate::source;
use crate::transform;
use crate::visitor;
use vitrine_core::cookie::activity::extract_id;
use vitrine_core::decide::{offer, Activity, NoActivity};
use vitrine_core::delivery::{self, Bypass};
use vitrine_core::rewrite::SlotStream;
use vitrine_core::splice::{Known, Recorded};
use vitrine_core::timing::{Body, Page, Timings};
use vitrine_core::{conversion, exposure};
use vitrine_core::{decide_in, render, Context, Plan, Snapshot};

/// What the request handler hands on besides the request: the Worker context (for
/// `wait_until`) and how long the snapshot took.
pub struct Stage<'a> {
    /// The Worker's execution context.
    pub ctx: &'a worker::Context,
    /// Milliseconds spent waiting for the snapshot.
    pub snapshot_ms: f64,
    /// Where the base page came from.
    pub page: Page,
    /// The recording `upstream` was replayed from (a held or revalidated page).
    pub recorded: Option<Rc<Recorded<JsPage>>>,
    /// The Worker's bindings (KV, for the catalog shards recommendations need).
    pub env: &'a worker::Env,
    /// The request URL as it came (a preview token may be in its query).
    pub raw_url: &'a str,
    /// The request URL without the preview token: what targeting and the page key see.
    pub url: &'a str,
}

/// Decides and builds the personalized response; any fault before the body starts is a bypass.
pub async fn personalize(
    req: &Request,
    cfg: &Config,
    upstream: Response,
    snapshot: &Snapshot,
    stage: Stage<'_>,
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
    let t0 = js_sys::Date::now();
    // Identity stage (src/edge/visitor.rs): profile, consent, activity cookie.
    let mut visitor = visitor::resolve(req, cfg, ring, snapshot, now)?;
    let t1 = js_sys::Date::now();
    // The token parameter is for the edge alone: neither targeting nor the page key see it.
    let preview = preview::resolve(req, stage.raw_url, cfg, now);
    let url = stage.url;
    let decide_now = preview.as_ref().and_then(|p| p.at).unwrap_or(now as i64);
    let facts = facts::read(req, cfg, snapshot, decide_now, preview.is_some());
    let bucketing_id = exposure::bucketing_id(&visitor);
    let product = snapshot
        .activity()
        .product_path
        .as_deref()
        .and_then(|p| extract_id(p, &path));
    // A page whose Content-Type names no charset may be in any ASCII-compatible encoding:
    // its fragments go in as ASCII (render::Plan::ascii), whichever way its body is built.
    let content_type = upstream.headers().get("content-type")?.unwrap_or_default();
    let labelled = delivery::charset(&content_type).is_some();
    // The decision borrows the visitor; it ends before the activity cookie is updated.
    let (x_vitrine, plan, shown, exposed, offers, held, explain) = {
        let activity: &dyn Activity = match &visitor.activity {
            Some(a) => a,
            None => &NoActivity,
        };
        let forced = preview.as_ref().and_then(|p| p.identity(&visitor.identity));
        let mut ctx = Context::new(forced.as_ref().unwrap_or(&visitor.identity), decide_now)
            .with_url(&path, delivery::query(url))
            .with_visitor(bucketing_id.as_deref());
        ctx.activity = activity;
        ctx.request.product = product;
        ctx.request.country = facts.country.as_deref();
        ctx.request.device = facts.device;
        ctx.request.referrer = facts.referrer.as_deref();
        ctx.request.local_minutes = facts.local_minutes;
        if let Some(p) = &preview {
            ctx.forced_arms = &p.variants;
        }
        // Catalog shards the recommendations need, read before deciding (src/edge/recs.rs).
        crate::recs::prefetch(stage.env, cfg, snapshot, &ctx).await;
        let decision = decide_in(snapshot, &ctx);
        let explain = preview.as_ref().map(|p| {
            let trace = vitrine_core::decide::explain_header(snapshot, &ctx, &decision.exposures);
            match p.summary() {
                s if s.is_empty() => format!("preview; {trace}"),
                s => format!(
                    "preview: {}; {trace}",
                    vitrine_core::decide::header_safe(&s)
                ),
            }
        });
        let shown: Vec<String> = decision
            .fills
            .iter()
            .map(|f| f.campaign.to_owned())
            .collect();
        let exposed: Vec<(String, String, bool)> = decision
            .exposures
            .iter()
            .map(|e| (e.experiment.to_owned(), e.arm.to_owned(), e.global))
            .collect();
        // Offers that start now: their start goes into the activity cookie, keeping them stable.
        let offers: Vec<String> = decision
            .fills
            .iter()
            .filter(|f| f.offer.is_some_and(|o| o.starts_now))
            .filter_map(|f| product.map(|p| offer::key(f.campaign, p)))
            .collect();
        let x = delivery::x_vitrine_personalized(decision.version, &decision.summary());
        let plan = (!decision.fills.is_empty()).then(|| match render(&decision) {
            plan if labelled => plan,
            plan => plan.ascii(),
        });
        let held: Vec<String> = decision.held.iter().map(|c| (*c).to_owned()).collect();
        (x, plan, shown, exposed, offers, held, explain)
    };
    if let Some(explain) = explain {
        // A preview leaves no trace: no cookie, no impressions, offers or exposures.
        return previewed(cfg, stage.ctx, upstream, plan, &x_vitrine, &explain, path);
    }
    if let (Some(activity), Some(p)) = (&mut visitor.activity, product) {
        for key in &offers {
            activity.assign(key, p, now);
        }
    }
    let exposures: Vec<vitrine_core::decide::Exposure<'_>> = exposed
        .iter()
        .map(|(experiment, arm, global)| vitrine_core::decide::Exposure {
            experiment,
            arm,
            global: *global,
        })
        .collect();
    let shown_ids: Vec<&str> = shown.iter().map(String::as_str).collect();
    let held_ids: Vec<&str> = held.iter().map(String::as_str).collect();
    let seen = exposure::Seen {
        experiments: &exposures,
        shown: &shown_ids,
        held: &held_ids,
    };
    let mut events = exposure::record(&mut visitor, seen, snapshot.version(), now);
    let query = delivery::query(url);
    let (converted, problem) = conversion::on_page(&mut visitor, snapshot, &path, query, now);
    if let Some(code) = problem {
        log::note("vitrine.conversion_refused", code);
    }
    events.extend(converted);
    log::events(stage.ctx, events);
    let set_cookie = visitor::set_cookie(&mut visitor, cfg, ring, &shown, now);
    let mut timings = Timings {
        cookie: t1 - t0,
        snapshot: Some(stage.snapshot_ms),
        page: Some(stage.page),
        decide: js_sys::Date::now() - t1,
        body: Body::Unchanged,
    };
    let Some(plan) = plan else {
        let resp = with_header(upstream, &x_vitrine)?;
        return visitor::finish(timed(resp, &timings)?, set_cookie.as_deref());
    };
    let replayed = stage.recorded.is_some();
    let (key, known, upstream) = match stage.recorded {
        Some(recorded) => (None, Some(Known::Spliceable(recorded)), upstream),
        None => recognize(cfg, url, upstream).await?,
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
            timings.body = Body::Spliced(js_sys::Date::now() - t2);
            timed(resp, &timings)
        }
        Some(Known::Refused) => {
            timings.body = Body::Streamed;
            headers.set(SERVER_TIMING, &timings.header())?;
            stream_rewrite(cfg, stage.ctx, upstream, plan, headers, None, path)
        }
        None => {
            timings.body = Body::Streamed;
            headers.set(SERVER_TIMING, &timings.header())?;
            stream_rewrite(cfg, stage.ctx, upstream, plan, headers, key, path)
        }
    }
}

/// What this isolate knows about a page the source just sent: its key (to record it), what is
/// known at that key, and the response to go on with (the same, or a copy of it when its body
/// had to be read to compare it with a recording). A recording the source confirmed starts its
/// freshness window again.
async fn recognize(
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
        return bypass(upstream, Bypass::Charset, &path);
    };
    let ResponseBody::Stream(body) = upstream.body() else {
        return bypass(upstream, Bypass::NoBody, &path);
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
