//! Parse once, splice many, at the edge: the per-isolate [`PageCache`] of recorded base pages,
//! whose bytes stay on the JS side as one `Blob` each, and the spliced response built
//! from views of it plus the decided fragments, so a cache hit never moves the page through
//! WASM memory and never reads the upstream body. The assembled body (a `Blob`) is kept per
//! distinct plan and reused: most requests only wrap a kept `Blob` in a new `Response`.
//!
//! A recorded page is also revalidated instead of re-read: the subrequest for it carries its
//! validator (`If-None-Match`, else `If-Modified-Since`; Workers Static Assets and origins
//! answer `304` with no body), and a `304` is [`replay`]ed as the recorded page, so a hit moves
//! no page bytes from the source at all. Only vitrine's own validator is ever sent: the
//! visitor's conditional headers are still dropped ([`crate::source`]).
//!
//! A page the source confirmed (recorded, answered `304`, or served again at the same
//! validator) less than `PAGE_REVALIDATE_SECS` ago is not asked for at all: it is [`fresh`],
//! and the request makes no subrequest. Static Assets are part of a Worker version (its code,
//! assets and bindings), and an isolate runs one version, so a recorded asset cannot change
//! under it; the window only bounds how long a development server that swaps files in place
//! serves the old page. An origin page is recorded only if the origin marked it shareable
//! ([`vitrine_core::delivery::sharing`]), and held for the window or what is left of the lifetime the
//! origin gave it, whichever ends first: vitrine never keeps a page longer than the origin
//! allows. Measured: the subrequest and its `304` were about half of a spliced request's cost
//! (BENCHMARKS.md).
//!
//! An origin page without a validator of its own (no `ETag`, no `Last-Modified`) that shared
//! caches may keep is keyed by its **content**: the recording hashes the bytes it already
//! copies into WASM memory (SHA-256), and when the window has passed, the copy the Cache API
//! or the origin sends is hashed the same way ([`same_content`]; its length is compared
//! first, so a changed page is usually told apart without reading it). The same bytes are
//! spliced; different bytes are streamed and recorded again. Workers Static Assets always
//! send an `ETag`.
//!
//! Only the JS-object storage and the response assembly live here; what may be spliced and how
//! is decided in [`vitrine_core::splice`].

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use worker::js_sys::{Array, ArrayBuffer, Uint8Array};
use worker::wasm_bindgen::{JsCast, JsValue};
use worker::wasm_bindgen_futures::JsFuture;
use worker::web_sys;
use worker::{Headers, Response, ResponseBody, Result};

use crate::log;
use crate::PerIsolate;
use vitrine_core::render::Plan;
use vitrine_core::rewrite::Limits;
use vitrine_core::splice::{
    self, Bodies, ContentHash, Known, NotSpliceable, PageCache, Piece, Recorded, Recorder,
};

/// Bytes of recorded pages an isolate keeps (a Worker isolate has 128 MB in all).
const BUDGET: usize = 24 << 20;
/// Largest page recorded; bigger pages are always streamed. It also bounds what a recording
/// holds while a page streams (the chunks, on the JS side), so memory stays flat in page size.
const MAX_PAGE: usize = 2 << 20;

/// A recorded page as the Worker holds it: its bytes on the JS side, and the bodies already
/// assembled from it per plan (a `Blob` is immutable, so one serves any number of responses).
pub struct JsPage {
    /// The page. A `Blob`, not a `Uint8Array`: a response over a `Blob` (the replay) shares
    /// its bytes, where a `Uint8Array` body is copied per response (measured: `Response`
    /// construction was the largest share of a held request's time), and `Blob.slice` gives
    /// the literal pieces without a copy.
    bytes: web_sys::Blob,
    /// The headers the page was served with (replayed on a `304`).
    headers: web_sys::Headers,
    /// The conditional header that revalidates this page, and its value.
    conditional: Option<(&'static str, String)>,
    bodies: RefCell<Bodies<web_sys::Blob>>,
    /// When the source last confirmed these bytes (`Date.now()`, ms): recorded, `304`, or
    /// served again at the same validator.
    confirmed: Cell<f64>,
    /// How long after `confirmed` the page may be served without asking the source (ms;
    /// unbounded for Static Assets, what was left of the origin's lifetime for an origin page).
    hold_ms: Cell<f64>,
    /// The SHA-256 of `bytes` (hex) for a page keyed by its content.
    content_hash: Option<String>,
}

/// What page recording keeps per isolate (its part of [`crate::Isolate`]): the recorded pages.
pub struct Kept {
    cache: RefCell<PageCache<JsPage>>,
}

impl Default for Kept {
    fn default() -> Self {
        Self {
            cache: RefCell::new(PageCache::new(BUDGET, MAX_PAGE)),
        }
    }
}

const CACHE: PerIsolate<RefCell<PageCache<JsPage>>> = PerIsolate(|i| &i.pages.cache);

/// What tells two copies of a page at one URL apart.
enum Validator {
    /// From its headers ([`splice::validator`]: `ETag`/`Last-Modified`, length and type).
    Header(String),
    /// The SHA-256 of its bytes, known once they have been read.
    Content,
}

/// The validator string a content-keyed page is refused under (its hash may be unknown then).
const CONTENT_REFUSED: &str = "sha256:?";

/// A base page by URL and validator (absent when the page has no usable validator).
pub struct PageKey {
    url: String,
    validator: Validator,
    headers: web_sys::Headers,
    conditional: Option<(&'static str, String)>,
    hold_ms: f64,
}

impl PageKey {
    /// The key of `upstream` as served for `url`, if the page has a validator, or may be keyed
    /// by its content (`by_content`); `hold_ms`: how long the recorded page may be served
    /// without asking the source (the window bounds it too).
    pub fn of(
        url: String,
        upstream: &Response,
        hold_ms: f64,
        by_content: bool,
    ) -> Result<Option<Self>> {
        let h = upstream.headers();
        let etag = h.get("etag")?;
        let last_modified = h.get("last-modified")?;
        let validator = splice::validator(
            etag.as_deref(),
            last_modified.as_deref(),
            h.get("content-length")?.as_deref(),
            h.get("content-type")?.as_deref(),
        );
        let conditional = match (etag, last_modified) {
            (Some(etag), _) => Some(("if-none-match", etag)),
            (None, Some(date)) => Some(("if-modified-since", date)),
            (None, None) => None,
        };
        let validator = match validator {
            Some(v) => Validator::Header(v),
            None if by_content => Validator::Content,
            None => return Ok(None),
        };
        Ok(Some(Self {
            url,
            validator,
            headers: h.0.clone(),
            conditional,
            hold_ms,
        }))
    }

    /// What this isolate knows about the page: at its validator, or for a page keyed by its
    /// content, whatever was last seen at its URL (compare with [`same_content`] before
    /// splicing it).
    pub fn lookup(&self) -> Option<Known<JsPage>> {
        CACHE.with(|c| match &self.validator {
            Validator::Header(v) => c.borrow_mut().get(&self.url, v),
            Validator::Content => c.borrow_mut().latest(&self.url).map(|(_, known)| known),
        })
    }

    /// Whether the page is keyed by its content.
    pub fn by_content(&self) -> bool {
        matches!(self.validator, Validator::Content)
    }

    /// Remembers that this page cannot be spliced, and why.
    fn refuse(&self, why: &NotSpliceable) {
        log::note("vitrine.not_spliceable", why.code());
        let validator = match &self.validator {
            Validator::Header(v) => v.as_str(),
            Validator::Content => CONTENT_REFUSED,
        };
        CACHE.with(|c| c.borrow_mut().insert_refused(&self.url, validator));
    }
}

/// The page recorded for `url`, if any, to revalidate instead of re-reading it.
pub fn held(url: &str) -> Option<Rc<Recorded<JsPage>>> {
    CACHE.with(|c| c.borrow().recorded(url))
}

/// The conditional header (name, value) that revalidates `page` with the page source.
pub fn conditional(page: &Recorded<JsPage>) -> Option<(&'static str, &str)> {
    let (name, value) = page.page.conditional.as_ref()?;
    Some((name, value.as_str()))
}

/// Whether `page` was confirmed by the source less than `window_ms` before `now` (ms), and
/// less than its own hold time, so it is served without a subrequest.
pub fn fresh(page: &Recorded<JsPage>, window_ms: f64, now: f64) -> bool {
    let age = now - page.page.confirmed.get();
    (0.0..window_ms.min(page.page.hold_ms.get())).contains(&age)
}

/// The source confirmed `page` at `now` (a `304`, or the same validator again): its
/// freshness window starts again, for at most `hold_ms` (`None`: as long as before).
pub fn confirmed(page: &Recorded<JsPage>, now: f64, hold_ms: Option<f64>) {
    page.page.confirmed.set(now);
    if let Some(hold_ms) = hold_ms {
        page.page.hold_ms.set(hold_ms);
    }
}

/// How a fresh copy of a content-keyed page compares with its recording.
pub enum Content {
    /// The same bytes: splice the recording.
    Same,
    /// Different bytes: stream this copy and record it again.
    Changed,
    /// Unknown (no `Content-Length`, so reading it would be unbounded): stream it, and keep
    /// the recording.
    Unknown,
}

/// Compares `upstream` with `recorded`, reading its body only when the lengths agree (at most
/// the recording's length, so at most [`MAX_PAGE`]; for an encoded body, whose decoded length
/// is unknown, when the encoded one is at most [`MAX_PAGE`]). The body is read on the JS side and
/// hashed in WASM a slice at a time, so WASM memory does not grow with the page; the response
/// handed back carries the same status, headers and bytes.
pub async fn same_content(
    upstream: Response,
    recorded: &Recorded<JsPage>,
) -> Result<(Response, Content)> {
    let Some(want) = recorded.page.content_hash.as_deref() else {
        return Ok((upstream, Content::Changed));
    };
    let length = upstream
        .headers()
        .get("content-length")?
        .and_then(|v| v.trim().parse::<usize>().ok());
    // A `Content-Encoding` body reaches the Worker decoded, while `Content-Length` stays the
    // encoded size: then only the decoded bytes can be compared.
    let encoded = upstream
        .headers()
        .get("content-encoding")?
        .is_some_and(|e| !e.trim().eq_ignore_ascii_case("identity"));
    match length {
        None => return Ok((upstream, Content::Unknown)),
        Some(n) if encoded && n > MAX_PAGE => return Ok((upstream, Content::Unknown)),
        Some(n) if !encoded && n != recorded.template.len() => {
            return Ok((upstream, Content::Changed))
        }
        Some(_) => {}
    }
    let raw = web_sys::Response::from(upstream);
    let buffer: ArrayBuffer = JsFuture::from(raw.array_buffer()?).await?.dyn_into()?;
    let bytes = Uint8Array::new(&buffer);
    // A decoded body of another length is another page: no need to hash it.
    let same_length = bytes.length() as usize == recorded.template.len();
    let mut hasher = ContentHash::new();
    let mut slice = Vec::new();
    let mut at = 0;
    while same_length && at < bytes.length() {
        let end = bytes.length().min(at.saturating_add(HASH_SLICE));
        slice.resize((end - at) as usize, 0);
        bytes.subarray(at, end).copy_to(&mut slice);
        hasher.update(&slice);
        at = end;
    }
    let same = same_length && hasher.hex() == want;
    let init = web_sys::ResponseInit::new();
    init.set_status(raw.status());
    init.set_headers(&raw.headers());
    let copy = web_sys::Response::new_with_opt_buffer_source_and_init(Some(&bytes), &init)?;
    let verdict = if same {
        Content::Same
    } else {
        Content::Changed
    };
    Ok((Response::from(copy), verdict))
}

/// Bytes of a body copied into WASM memory at once to be hashed.
const HASH_SLICE: u32 = 64 * 1024;

/// What a `304` to the conditional subrequest stands for: the recorded page as the source
/// sent it (status 200, its headers, its bytes), so every later step runs unchanged.
pub fn replay(page: &Recorded<JsPage>) -> Result<Response> {
    let init = web_sys::ResponseInit::new();
    init.set_status(200);
    init.set_headers(&page.page.headers);
    let raw = web_sys::Response::new_with_opt_blob_and_init(Some(&page.page.bytes), &init)?;
    Ok(Response::from(raw))
}

/// The personalized response assembled from a recorded page; the body of an `upstream` the
/// source sent is cancelled unread (a replayed one is the recording itself: nothing to cancel).
pub fn spliced(
    upstream: &Response,
    replayed: bool,
    recorded: &Recorded<JsPage>,
    plan: &Plan,
    headers: &Headers,
) -> Result<Response> {
    if let (false, ResponseBody::Stream(body)) = (replayed, upstream.body()) {
        // The promise settles on its own; nothing waits for the cancellation.
        let _ = body.cancel();
    }
    let key = splice::plan_key(plan);
    let cached = recorded.page.bodies.borrow().get(&key);
    let blob = match cached {
        Some(blob) => blob,
        None => {
            let blob = assemble(recorded, plan)?;
            recorded.page.bodies.borrow_mut().put(key, blob.clone());
            blob
        }
    };
    let init = web_sys::ResponseInit::new();
    init.set_status(200);
    init.set_headers(&headers.0);
    // Measured: handing this raw Response to the runtime directly instead (skipping the
    // worker crate's re-wrap of its body stream) made no difference in throughput.
    let raw = web_sys::Response::new_with_opt_blob_and_init(Some(&blob), &init)?;
    Ok(Response::from(raw))
}

/// The body for `plan`: views of the page and the fragments, concatenated by the runtime.
fn assemble(recorded: &Recorded<JsPage>, plan: &Plan) -> Result<web_sys::Blob> {
    let parts = Array::new();
    for part in recorded.template.parts(plan) {
        match part {
            Piece::Literal(a, b) => {
                let piece = recorded
                    .page
                    .bytes
                    .slice_with_f64_and_f64(a as f64, b as f64)?;
                parts.push(&piece)
            }
            Piece::Fragment(html) => parts.push(&JsValue::from_str(html)),
        };
    }
    Ok(web_sys::Blob::new_with_buffer_source_sequence(&parts)?)
}

/// The recording half of a miss: a [`Recorder`] fed the same chunks as the rewriter, and
/// the chunks themselves kept as JS objects (no copy in WASM memory). At the end the page is
/// assembled on the JS side and cached with its template. Gives up past [`MAX_PAGE`] bytes,
/// so memory stays flat in page size.
pub struct Recording {
    key: PageKey,
    /// Hashes the page as it passes, for a page keyed by its content.
    hasher: Option<ContentHash>,
    recorder: Recorder,
    chunks: Vec<Uint8Array>,
    len: usize,
}

impl Recording {
    /// Starts recording `key`; `None` when the page cannot be spliced at all (its charset).
    pub fn new(key: PageKey, charset: Option<&str>, limits: Limits) -> Option<Self> {
        match Recorder::new(limits, charset) {
            Ok(recorder) => Some(Self {
                hasher: key.by_content().then(ContentHash::new),
                key,
                recorder,
                chunks: Vec::new(),
                len: 0,
            }),
            Err(why) => {
                key.refuse(&why);
                None
            }
        }
    }

    /// Adds the next bytes of the page. They are copied to the JS side (the reader reuses its
    /// buffer), once per page per isolate. Returns `false` when the recording is over: drop it.
    pub fn push(&mut self, bytes: &[u8]) -> bool {
        self.len += bytes.len();
        if self.len > MAX_PAGE {
            self.key.refuse(&NotSpliceable::TooBig { limit: MAX_PAGE });
            return false;
        }
        if let Err(why) = self.recorder.write(bytes) {
            self.key.refuse(&why);
            return false;
        }
        if let Some(hasher) = &mut self.hasher {
            hasher.update(bytes);
        }
        self.chunks.push(Uint8Array::from(bytes));
        true
    }

    /// The page was streamed whole: record and cache it.
    pub fn finish(self) {
        match self.recorder.end() {
            Ok(template) => {
                let content_hash = self.hasher.map(ContentHash::hex);
                let validator = match (&self.key.validator, &content_hash) {
                    (Validator::Header(v), _) => v.clone(),
                    (Validator::Content, Some(hash)) => format!("sha256:{hash}"),
                    // Not reached: a content-keyed recording always has its hasher.
                    (Validator::Content, None) => return,
                };
                let chunks = Array::new();
                for chunk in &self.chunks {
                    chunks.push(chunk);
                }
                let Ok(page) = web_sys::Blob::new_with_u8_array_sequence(&chunks) else {
                    log::note("vitrine.not_spliceable", "blob");
                    return;
                };
                let page = JsPage {
                    bytes: page,
                    headers: self.key.headers,
                    conditional: self.key.conditional,
                    bodies: RefCell::default(),
                    confirmed: Cell::new(js_sys::Date::now()),
                    hold_ms: Cell::new(self.key.hold_ms),
                    content_hash,
                };
                CACHE.with(|c| {
                    c.borrow_mut()
                        .insert_recorded(&self.key.url, &validator, template, page)
                });
            }
            Err(why) => self.key.refuse(&why),
        }
    }
}
