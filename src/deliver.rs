//! Step 3 of a page request: deliver the body the page view decided, and the unchanged page on
//! bypass.
//!
//! The view's events are logged and the activity cookie is written here, once the body is known
//! to be personalized (a page the WASM rewriter cannot take, another charset or no body, is a
//! bypass: no events, no cookie). The body is built ([`pages`]): spliced from the page's
//! bytes when this isolate has mapped the page at its current validator (held, or as the
//! source just sent them: no parse); on a page's first view, marked by the runtime's own
//! rewriter and spliced from the marked copy, which maps the page in the same parse (with the
//! attribute form of slots on, or a body that is not read whole, the first view is streamed by
//! that rewriter and the second maps the page: [`crate::native`]); if that rewriter fails on a
//! first view, the page is refused and asked for again ([`Delivered::AskAgain`]); otherwise
//! stream-rewritten by the WASM rewriter ([`transform`]): pages without a validator, refused
//! ones (a slot without an end tag, nested slots, another charset) and pages over the size
//! limit. A page new to this isolate that another isolate of the colo mapped at the same
//! validator is spliced from that map ([`crate::colo`]), and every map made here is shared.
//! Every way gives byte-identical bodies for the same page and decision; `x-vitrine` ends
//! with `body=spliced`, `body=shared`, `body=mapped` or `body=streamed`. The headers every
//! body gets ([`personalized_headers`]) are one function.

use std::cell::OnceCell;
use std::rc::Rc;

use futures_util::FutureExt;

use wasm_bindgen::prelude::*;
use worker::js_sys::Array;
use worker::{web_sys, Headers, ResponseBuilder, Result};

use crate::config::Config;
use crate::obtain::{self, BasePage, Body, Recognized};
use crate::pages::{self, FirstView, JsPage, PageKey};
use crate::response::Response;
use crate::view::Viewed;
use crate::{log, native, preview, transform, visitor, PerIsolate};
use vitrine_core::cookie::KeyRing;
use vitrine_core::delivery::{self, Bypass};
use vitrine_core::measure::events::Event;
use vitrine_core::rewrite::SlotStream;
use vitrine_core::splice::{self, FirstViews, Recorded};
use vitrine_core::text::concat;
use vitrine_core::timing::{BodyBuilt, Timings};
use vitrine_core::Plan;

/// Delivers the page `viewed` decided: a preview, the unchanged page with the headers and
/// cookie the visitor gets, or the filled page, spliced from a mapped page or streamed.
///
/// The waits and the branching between them are here; what comes before the first wait
/// ([`prepare`]), how a first view is built ([`first_way`]) and the answer ([`finish`]) are
/// functions of their own, so this state machine stays small (see the crate docs, "Function
/// size").
pub async fn page(
    ctx: &worker::Context,
    cfg: &Config,
    ring: &KeyRing,
    path: String,
    base: BasePage,
    viewed: Viewed,
) -> Result<Delivered> {
    let (fill, source) = match prepare(ctx, cfg, ring, path, base, viewed) {
        Prepared::Done(delivered) => return delivered,
        Prepared::Fill(fill, source) => (fill, source),
    };
    let recognized = match source {
        Source::Held(recognized) => recognized,
        Source::Upstream(upstream) => {
            obtain::recognize(cfg, &fill.page_url, upstream)
                .boxed_local()
                .await?
        }
    };
    let started = js_sys::Date::now();
    let way = match recognized.body {
        Body::Spliceable { page, unread } => Way::Spliced(Spliced::Page(page, unread), "spliced"),
        Body::Shared(page) => Way::Spliced(Spliced::Page(page, None), "shared"),
        Body::New { key, upstream } => {
            match pages::first_view(&key, upstream, cfg.limits, &fill.path)
                .boxed_local()
                .await?
            {
                FirstView::Mapped(page) => {
                    key.share(ctx, cfg, &page.template);
                    Way::Spliced(Spliced::Page(page, None), "mapped")
                }
                FirstView::Stream(upstream) => Way::Streamed(upstream),
            }
        }
        Body::First { key, upstream } => match first_way(cfg, &fill, upstream)? {
            FirstWay::Streamed(upstream) => Way::Streamed(upstream),
            FirstWay::Native(upstream) => Way::Native(key, upstream),
            FirstWay::Mapped(upstream) => {
                let first = if fill.native_fault {
                    injected_fault(&upstream)
                } else {
                    let scan = transform::attribute_markers_wanted(false);
                    native::personalize_mapped(&upstream, &fill.plan, scan, pages::MAX_PAGE)
                        .boxed_local()
                        .await
                };
                match mapped_first(ctx, cfg, first?, key, &fill.path) {
                    Some(body) => Way::Spliced(Spliced::Body(body), "mapped"),
                    None => return Ok(Delivered::AskAgain),
                }
            }
        },
        Body::Stream(upstream) => Way::Streamed(upstream),
    };
    finish(ctx, cfg, fill, &recognized.headers, way, started)
}

/// What [`prepare`] came to. Returned once per request and taken apart at once, so the
/// larger variant is not boxed.
#[allow(clippy::large_enum_variant)]
enum Prepared {
    /// Delivered without looking at the body: a preview, a view with nothing to fill, or a
    /// site that marks its pages (streamed).
    Done(Result<Delivered>),
    /// A page to fill, and where its body comes from.
    Fill(Fill, Source),
}

/// What filling a page needs once its body is known.
struct Fill {
    personalized: Personalized,
    plan: Plan,
    page_url: String,
    content_type: String,
    path: String,
    native_fault: bool,
    again: bool,
}

/// Where a page's body comes from.
enum Source {
    /// The held page it was replayed from (nothing to recognize).
    Held(Recognized),
    /// The response the source just sent.
    Upstream(Response),
}

/// How a filled page's body is built, once it is known.
enum Way {
    /// Spliced (how, for `x-vitrine`'s `body=`).
    Spliced(Spliced, &'static str),
    /// Streamed through the WASM rewriter.
    Streamed(Response),
    /// A first view streamed through the runtime's rewriter.
    Native(PageKey, Response),
}

/// How a page's first view is built.
enum FirstWay {
    /// Through the WASM rewriter (a charset the splice does not take).
    Streamed(Response),
    /// Streamed through the runtime's rewriter, mapped on its next view.
    Native(Response),
    /// Personalized and mapped in the runtime's rewriter in one parse.
    Mapped(Response),
}

/// Everything before the page's body is looked at: the colo's waiting maps flushed, the page
/// mark, a preview, the activity cookie and the timings, and a view with nothing to fill.
// Not inlined: see the crate docs, "Function size".
#[inline(never)]
fn prepare(
    ctx: &worker::Context,
    cfg: &Config,
    ring: &KeyRing,
    path: String,
    base: BasePage,
    viewed: Viewed,
) -> Prepared {
    let Viewed {
        mut visitor,
        mut view,
        now,
        identity_ms,
        decided_from,
    } = viewed;
    // Maps waiting for their bucket's next write go out with whichever request comes after.
    crate::colo::flush(ctx, cfg);
    // A site that marks its pages (`SLOT_PAGE_MARK`) fills a page only once the rewriter has
    // seen the mark in its head; a map does not record the mark, so such pages are streamed.
    view.plan = view
        .plan
        .map(|plan| plan.with_page_mark(cfg.page_mark.clone()));
    if let Some(explain) = &view.explain {
        // A preview leaves no trace: no cookie, no impressions, offers or exposures.
        return Prepared::Done(sent(previewed(
            cfg,
            ctx,
            base.upstream,
            view.plan,
            &view.x_vitrine,
            explain,
            path,
        )));
    }
    if let Some(code) = view.conversion_refused {
        log::note("vitrine.conversion_refused", code);
    }
    let events = view.events;
    let set_cookie = visitor::set_cookie(&mut visitor, cfg, ring, &view.shown, now);
    let timings = Timings {
        cookie: identity_ms,
        snapshot: Some(base.snapshot_ms),
        page: Some(base.from),
        decide: js_sys::Date::now() - decided_from,
        body: BodyBuilt::Unchanged,
    };
    let x_vitrine = view.x_vitrine;
    let Some(plan) = view.plan else {
        return Prepared::Done(sent(unfilled(
            ctx,
            events,
            base.upstream,
            &x_vitrine,
            &timings,
            set_cookie,
        )));
    };
    let personalized = Personalized {
        x_vitrine,
        set_cookie,
        timings,
        events,
    };
    if cfg.page_mark.is_some() {
        return Prepared::Done(sent(streamed(
            cfg,
            ctx,
            base.upstream,
            plan,
            personalized,
            path,
        )));
    }
    let source = match base.recorded {
        Some(page) => Source::Held(Recognized {
            headers: crate::response::shared(base.upstream.headers()),
            // A replayed response is the held page itself: nothing to cancel.
            body: Body::Spliceable { page, unread: None },
        }),
        None => Source::Upstream(base.upstream),
    };
    Prepared::Fill(
        Fill {
            personalized,
            plan,
            page_url: base.page_url,
            content_type: base.content_type,
            path,
            native_fault: base.native_fault,
            again: base.again,
        },
        source,
    )
}

/// How the first view of a page new to this isolate is built.
// Not inlined: see the crate docs, "Function size".
#[inline(never)]
fn first_way(cfg: &Config, fill: &Fill, upstream: Response) -> Result<FirstWay> {
    let charset = delivery::charset(&fill.content_type);
    if splice::spliceable_charset(charset).is_err() {
        return Ok(FirstWay::Streamed(upstream));
    }
    // With the attribute form any element may be a slot (a void one too), an encoded or
    // over-long body is not read whole, a first view whose page is unlikely to be asked for
    // again (`MAP_FIRST_VIEWS`) is not worth mapping, and one asked for again after a first
    // view that could not be sent must answer: such first views stream, and the page is mapped
    // on its next view.
    let map_first = !fill.again
        && match cfg.first_views {
            FirstViews::Map => true,
            FirstViews::Stream => false,
            FirstViews::Auto => pages::maps_first_views(),
        };
    if !map_first || cfg.limits.attribute_slots || !pages::readable_whole(&upstream)? {
        return Ok(FirstWay::Native(upstream));
    }
    Ok(FirstWay::Mapped(upstream))
}

/// A first view failed on purpose (fault injection): its body is cancelled, as a failed
/// runtime rewrite would have spent it.
fn injected_fault(upstream: &Response) -> Result<std::result::Result<native::FirstView, String>> {
    if let Some(body) = upstream.body() {
        let _ = body.cancel();
    }
    Ok(Err("injected fault".to_owned()))
}

/// The answer for a filled page whose body's way is known.
// Not inlined: see the crate docs, "Function size".
#[inline(never)]
fn finish(
    ctx: &worker::Context,
    cfg: &Config,
    fill: Fill,
    upstream_headers: &Headers,
    way: Way,
    started: f64,
) -> Result<Delivered> {
    let Fill {
        personalized,
        plan,
        page_url,
        path,
        ..
    } = fill;
    match way {
        Way::Spliced(spliced, built) => send_spliced(
            ctx,
            personalized,
            upstream_headers,
            spliced,
            built,
            &page_url,
            &plan,
            started,
        )
        .map(Delivered::Sent),
        Way::Streamed(upstream) => sent(streamed(cfg, ctx, upstream, plan, personalized, path)),
        Way::Native(key, upstream) => {
            first_view(ctx, cfg, key, upstream, plan, personalized).map(Delivered::Sent)
        }
    }
}

/// The response to a view with nothing to fill: the base page, with `x-vitrine`, the timings
/// and the visitor's cookie; the view's events are logged.
// Not inlined: see the crate docs, "Function size".
#[inline(never)]
fn unfilled(
    ctx: &worker::Context,
    events: Vec<Event>,
    upstream: Response,
    x_vitrine: &str,
    timings: &Timings,
    set_cookie: Option<String>,
) -> Result<Response> {
    log::events(ctx, events);
    let resp = with_header(upstream, x_vitrine)?;
    visitor::finish(timed(resp, timings)?, set_cookie.as_deref())
}

/// What a first view personalized and mapped in one parse leaves: its body when the map is
/// kept (stored for the page's next views, and shared with the colo's other isolates); `None`
/// when the page is now remembered as refused and must be asked for again.
// Not inlined: see the crate docs, "Function size".
#[inline(never)]
fn mapped_first(
    ctx: &worker::Context,
    cfg: &Config,
    first: std::result::Result<native::FirstView, String>,
    key: PageKey,
    path: &str,
) -> Option<web_sys::Blob> {
    match first {
        Ok(first) => {
            if first.attribute_markers {
                transform::attribute_markers_found(path);
            }
            match first.map {
                Ok(map) => {
                    key.share(ctx, cfg, &key.store(map, None));
                    Some(first.body)
                }
                Err(why) => {
                    // A page whose map is refused (slots that nest or never close) is filled
                    // as the rewrite fills it only by the rewrite: it is remembered as refused
                    // and asked for again, and streamed.
                    key.refuse(&why);
                    None
                }
            }
        }
        Err(why) => {
            // Its body is spent: remembered as refused, the page is asked for again and
            // streamed through the WASM rewriter. Nothing was logged for it yet.
            log::note("vitrine.native_map_failed", &why);
            key.refuse_as("native_map_failed");
            None
        }
    }
}

/// A body built without a streaming rewrite, sent: the view's events logged, the personalized
/// headers, and the time the body took in `Server-Timing`.
// Not inlined: see the crate docs, "Function size".
#[inline(never)]
#[allow(clippy::too_many_arguments)]
fn send_spliced(
    ctx: &worker::Context,
    personalized: Personalized,
    upstream_headers: &Headers,
    spliced: Spliced,
    built: &str,
    page_url: &str,
    plan: &Plan,
    started: f64,
) -> Result<web_sys::Response> {
    let Personalized {
        x_vitrine,
        set_cookie,
        mut timings,
        events,
    } = personalized;
    log::events(ctx, events);
    let headers = personalized_headers(
        upstream_headers,
        &concat(&[x_vitrine.as_str(), "; body=", built]),
        set_cookie.as_deref(),
        None,
    )?;
    // The runtime's own response over the spliced `Blob`: it knows the body's length (sent as
    // `Content-Length`), where the worker crate's `Response` would re-wrap the body as a
    // stream of unknown length.
    let resp = match spliced {
        Spliced::Page(page, unread) => {
            pages::spliced(unread.as_ref(), page_url, &page, plan, &headers)?
        }
        Spliced::Body(body) => pages::respond(&body, &headers)?,
    };
    let ms = js_sys::Date::now() - started;
    timings.body = match built {
        "mapped" => BodyBuilt::Mapped(ms),
        _ => BodyBuilt::Spliced(ms),
    };
    resp.headers().set(SERVER_TIMING, &timings.header())?;
    Ok(resp)
}

/// What delivering a page came to.
pub enum Delivered {
    /// The response to send.
    Sent(web_sys::Response),
    /// A page's first view spent its body without a body to send (the runtime's rewriter
    /// failed on it, or its map was refused): the page is now remembered as refused, so asking
    /// the source for it again streams it through the WASM rewriter (the visitor still gets
    /// the page).
    AskAgain,
}

fn sent(resp: Result<Response>) -> Result<Delivered> {
    resp.and_then(Response::into_raw).map(Delivered::Sent)
}

/// A personalized body built without a streaming rewrite.
enum Spliced {
    /// Spliced from a mapped page (and the upstream whose body was not read, to cancel).
    Page(Rc<Recorded<JsPage>>, Option<Response>),
    /// Spliced from a first view's marked copy ([`native::personalize_mapped`]).
    Body(web_sys::Blob),
}

/// What a streamed personalized response carries besides its body: its `x-vitrine`, the
/// activity cookie, the timings, and the view's events, logged only once the body is sure to be
/// personalized (the WASM rewriter may still turn the page into a bypass).
struct Personalized {
    x_vitrine: String,
    set_cookie: Option<String>,
    timings: Timings,
    events: Vec<Event>,
}

impl Personalized {
    /// The headers of the streamed body (cookie and `Server-Timing` included: they are sent
    /// before the body is built), and the events still to log.
    fn split(self, upstream: &Response) -> Result<(Headers, Vec<Event>)> {
        let mut timings = self.timings;
        timings.body = BodyBuilt::Streamed;
        let headers = personalized_headers(
            upstream.headers(),
            &concat(&[self.x_vitrine.as_str(), "; body=streamed"]),
            self.set_cookie.as_deref(),
            Some(&timings.header()),
        )?;
        Ok((headers, self.events))
    }
}

/// The first view of a UTF-8 page that is not mapped in the same parse (attribute-form slots
/// on, or a body of unknown length): streamed through the runtime's rewriter, which is what the
/// JS peer pays; the page is remembered as seen, and mapped on its next view. (A page in
/// another charset goes to the WASM rewriter.)
// Not inlined: see the crate docs, "Function size".
#[inline(never)]
fn first_view(
    ctx: &worker::Context,
    cfg: &Config,
    key: PageKey,
    upstream: Response,
    plan: Plan,
    personalized: Personalized,
) -> Result<web_sys::Response> {
    let (headers, events) = personalized.split(&upstream)?;
    key.seen();
    log::events(ctx, events);
    native::personalize(&upstream, &plan, cfg.limits, 200, &headers)
}

/// A filled page streamed through the WASM rewriter; the events are logged unless the page
/// turns out to be a bypass.
// Not inlined: see the crate docs, "Function size".
#[inline(never)]
fn streamed(
    cfg: &Config,
    ctx: &worker::Context,
    upstream: Response,
    plan: Plan,
    personalized: Personalized,
    path: String,
) -> Result<Response> {
    let (headers, events) = personalized.split(&upstream)?;
    stream_rewrite(cfg, ctx, upstream, plan, headers, path, events)
}

/// A preview response: the page as the token forces it, with `x-vitrine-explain`, always
/// `private, no-store`, streamed (never recorded or spliced, so previews change no state), and
/// `Referrer-Policy: no-referrer`, so the token in its URL is sent nowhere as a `Referer`.
// Not inlined: see the crate docs, "Function size".
#[inline(never)]
fn previewed(
    cfg: &Config,
    ctx: &worker::Context,
    upstream: Response,
    plan: Option<Plan>,
    x_vitrine: &str,
    explain: &str,
    path: String,
) -> Result<Response> {
    let headers = personalized_headers(
        upstream.headers(),
        &format!("{x_vitrine}; preview"),
        None,
        None,
    )?;
    headers.set(preview::EXPLAIN_HEADER, explain)?;
    headers.set("referrer-policy", delivery::PREVIEW_REFERRER_POLICY)?;
    match plan {
        Some(plan) => stream_rewrite(cfg, ctx, upstream, plan, headers, path, Vec::new()),
        None => upstream.with_headers(&headers),
    }
}

const SERVER_TIMING: &str = "server-timing";

/// Adds `Server-Timing` to a response whose body is already built.
fn timed(resp: Response, timings: &Timings) -> Result<Response> {
    resp.headers().set(SERVER_TIMING, &timings.header())?;
    Ok(resp)
}

/// Headers of a personalized response, whichever way its body is built: the base page's
/// headers minus validators, length and cookies, plus `private, no-store`, `x-vitrine`, the
/// activity cookie and `Server-Timing` when given.
fn personalized_headers(
    upstream: &Headers,
    x_vitrine: &str,
    set_cookie: Option<&str>,
    server_timing: Option<&str>,
) -> Result<Headers> {
    // One call: the runtime copies the headers, then the dropped names (a JS array made once
    // per isolate) are deleted on the JS side, where walking the headers from WASM costs
    // several calls per header, and deleting them one call (and one string) per name.
    let names = DROPPED.with(|d| {
        d.get_or_init(|| {
            delivery::dropped_response_headers()
                .map(JsValue::from_str)
                .collect()
        })
        .clone()
    });
    let headers = copy_except(
        &upstream.0,
        &names,
        delivery::PERSONALIZED_CACHE_CONTROL,
        x_vitrine,
        set_cookie,
        server_timing,
    )?;
    Ok(Headers(headers))
}

/// What delivery keeps per isolate (its part of [`crate::Isolate`]): the names a personalized
/// response drops, as a JS array.
#[derive(Default)]
pub struct Kept {
    dropped: OnceCell<Array>,
}

const DROPPED: PerIsolate<OnceCell<Array>> = PerIsolate(|i| &i.deliver.dropped);

#[wasm_bindgen(inline_js = r#"
export function copy_except(upstream, dropped, cache_control, x_vitrine, set_cookie, server_timing) {
  const headers = new Headers(upstream);
  for (const name of dropped) headers.delete(name);
  headers.set("cache-control", cache_control);
  headers.set("x-vitrine", x_vitrine);
  if (set_cookie !== undefined) headers.append("set-cookie", set_cookie);
  if (server_timing !== undefined) headers.set("server-timing", server_timing);
  return headers;
}
"#)]
extern "C" {
    /// A copy of `upstream` without the `dropped` names, with `Cache-Control` and `x-vitrine`,
    /// and `Set-Cookie` and `Server-Timing` when given.
    #[wasm_bindgen(catch)]
    fn copy_except(
        upstream: &web_sys::Headers,
        dropped: &Array,
        cache_control: &str,
        x_vitrine: &str,
        set_cookie: Option<&str>,
        server_timing: Option<&str>,
    ) -> std::result::Result<web_sys::Headers, JsValue>;
}

/// Starts the streaming rewrite, and logs `events` once it has started: a page the rewriter
/// cannot take (another charset, no body) is a bypass, which records nothing.
// Not inlined: see the crate docs, "Function size".
#[inline(never)]
fn stream_rewrite(
    cfg: &Config,
    ctx: &worker::Context,
    upstream: Response,
    plan: Plan,
    headers: Headers,
    path: String,
    events: Vec<Event>,
) -> Result<Response> {
    let charset = delivery::charset(upstream.entity()?.content_type().unwrap_or_default());
    let Ok(rewriter) = SlotStream::new(plan, cfg.limits, charset) else {
        return bypass(upstream, Bypass::Charset, &path, "");
    };
    let Some(body) = upstream.body() else {
        return bypass(upstream, Bypass::NoBody, &path, "");
    };
    let attribute_slots = cfg.limits.attribute_slots;
    let rewritten = transform::pipe(ctx, &body, rewriter, path, attribute_slots)?;
    log::events(ctx, events);
    // The WASM rewriter's output is a Rust stream, which only the worker crate turns into a
    // runtime stream.
    Ok(Response::from(
        ResponseBuilder::new()
            .with_status(200)
            .with_headers(headers)
            .stream(rewritten),
    ))
}

/// The unchanged base page, marked and logged.
pub fn bypass(upstream: Response, reason: Bypass, path: &str, detail: &str) -> Result<Response> {
    log::bypass(reason.code(), path, detail);
    with_header(upstream, &delivery::x_vitrine_bypass(reason))
}

fn with_header(upstream: Response, x_vitrine: &str) -> Result<Response> {
    let headers = copy_headers(upstream.headers())?;
    headers.set(delivery::X_VITRINE, x_vitrine)?;
    upstream.with_headers(&headers)
}

/// A mutable copy of `headers`, made by the runtime.
fn copy_headers(headers: &Headers) -> Result<Headers> {
    Ok(Headers(web_sys::Headers::new_with_headers(&headers.0)?))
}
