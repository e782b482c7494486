//! Parse once, splice many, at the edge: the per-isolate [`PageCache`] of page knowledge, in
//! two tiers. **Maps**: where the slots of each page are, a few hundred bytes per page, so an
//! isolate knows tens of thousands of pages, and a request for one splices the body the source
//! just sent (read whole on the JS side, sliced there: no parse, no copy through WASM memory).
//! **Held pages**: the bytes of the hottest pages (from their second view on), as one `Blob`
//! each, so a request for one makes no subrequest while it is fresh. For the hottest of them
//! (served from hold often, [`splice::BODIES_AFTER_SERVES`]) the assembled body is also kept
//! per distinct plan and reused, so most such requests only wrap a kept `Blob` in a new
//! `Response`; other pages are assembled per request. A plan that fills nothing on a page (a
//! page without slots, such as a content page) is answered with the page's own `Blob`: no copy
//! is assembled, and none is kept. A page is known by its page key (its
//! URL without tracking parameters) and one validator; a map is never applied to bytes of
//! another length.
//!
//! A held page is also revalidated instead of re-read: the subrequest for it carries its
//! validator (`If-None-Match`, else `If-Modified-Since`; Workers Static Assets and origins
//! answer `304` with no body), and a `304` is [`replay`]ed as the held page, so a hit moves
//! no page bytes from the source at all. Only vitrine's own validator is ever sent: the
//! visitor's conditional headers are still dropped ([`crate::source`]).
//!
//! A page the source confirmed (held, answered `304`, or served again at the same validator)
//! less than `PAGE_REVALIDATE_SECS` ago is not asked for at all: it is [`fresh`], and the
//! request makes no subrequest. Static Assets are part of a Worker version (its code, assets
//! and bindings), and an isolate runs one version, so a held asset cannot change under it; the
//! window only bounds how long a development server that swaps files in place serves the old
//! page. An origin page is mapped only if the origin marked it shareable
//! ([`vitrine_core::delivery::sharing`]), and held for the window or what is left of the
//! lifetime the origin gave it, whichever ends first: vitrine never keeps a page longer than
//! the origin allows.
//!
//! An origin page without a validator of its own (no `ETag`, no `Last-Modified`) that shared
//! caches may keep is keyed by its **content**: its map is stored under the SHA-256 of its
//! bytes, and a later copy the Cache API or the origin sends is hashed the same way
//! ([`same_content`]: its length is compared first, and at most the mapped length + 1 bytes
//! are ever read). The same bytes are spliced; different bytes are mapped again. Workers
//! Static Assets always send an `ETag`.
//!
//! Only the JS-object storage and the response assembly live here; what may be spliced and how
//! is decided in [`vitrine_core::splice`], and a page's first view is mapped by
//! [`crate::native`].

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use worker::js_sys::{Array, Uint8Array};
use worker::wasm_bindgen::{JsCast, JsValue};
use worker::wasm_bindgen_futures::JsFuture;
use worker::web_sys;
use worker::{Headers, Result};

use crate::native::{self, Unmapped};
use crate::response::Response;
use crate::{log, transform, PerIsolate};
use vitrine_core::delivery;
use vitrine_core::render::Plan;
use vitrine_core::rewrite::Limits;
use vitrine_core::splice::{
    self, Bodies, ContentHash, Known, NotSpliceable, PageCache, Piece, Recorded, SlotMap,
};

/// Bytes of slot maps an isolate keeps: tens of thousands of pages.
const MAP_BUDGET: usize = 8 << 20;
/// Bytes of held pages an isolate keeps, the assembled bodies kept with them included (a
/// Worker isolate has 128 MB in all).
const HELD_BUDGET: usize = 32 << 20;
/// Largest page mapped; bigger pages are always streamed through the WASM rewriter, so memory
/// stays flat in page size.
pub const MAX_PAGE: usize = 2 << 20;

/// A held page as the Worker holds it: its bytes on the JS side, and the bodies already
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
    /// When the source last confirmed these bytes (`Date.now()`, ms): fetched, `304`, or
    /// served again at the same validator.
    confirmed: Cell<f64>,
    /// How long after `confirmed` the page may be served without asking the source (ms;
    /// unbounded for Static Assets, what was left of the origin's lifetime for an origin page).
    hold_ms: Cell<f64>,
}

/// What page knowledge keeps per isolate (its part of [`crate::Isolate`]).
pub struct Kept {
    cache: RefCell<PageCache<JsPage>>,
}

impl Default for Kept {
    fn default() -> Self {
        Self {
            cache: RefCell::new(PageCache::new(MAP_BUDGET, HELD_BUDGET, MAX_PAGE)),
        }
    }
}

const CACHE: PerIsolate<RefCell<PageCache<JsPage>>> = PerIsolate(|i| &i.pages.cache);

/// What tells two copies of a page at one key apart.
enum Validator {
    /// From its headers ([`splice::validator`]: `ETag`/`Last-Modified`, length and type).
    Header(String),
    /// The SHA-256 of its bytes, known once they have been read.
    Content,
}

/// The validator string a content-keyed page is refused under (its hash may be unknown then).
const CONTENT_REFUSED: &str = "sha256:?";

/// What a content-keyed page's validator starts with, before the hex SHA-256 of its bytes.
const CONTENT_HASH_PREFIX: &str = "sha256:";

/// A base page by page key and validator (absent when the page has no usable validator).
pub struct PageKey {
    url: String,
    validator: Validator,
    headers: web_sys::Headers,
    conditional: Option<(&'static str, String)>,
    hold_ms: f64,
}

impl PageKey {
    /// The key of `upstream` as served for the page key `url`, if the page has a validator, or
    /// may be keyed by its content (`by_content`); `hold_ms`: how long the page may be served
    /// without asking the source once held (the window bounds it too).
    pub fn of(
        url: String,
        upstream: &Response,
        hold_ms: f64,
        by_content: bool,
    ) -> Result<Option<Self>> {
        let h = upstream.entity()?;
        let etag = h.etag().map(str::to_owned);
        let last_modified = h.last_modified().map(str::to_owned);
        let validator = splice::validator(
            etag.as_deref(),
            last_modified.as_deref(),
            h.content_length(),
            h.content_type(),
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
            headers: upstream.headers().0.clone(),
            conditional,
            hold_ms,
        }))
    }

    /// What this isolate knows about the page: at its validator, or for a page keyed by its
    /// content, whatever was last seen at its key and under which hash (compare with
    /// [`same_content`] before splicing it).
    pub fn lookup(&self) -> Option<(Option<String>, Known)> {
        CACHE.with(|c| match &self.validator {
            Validator::Header(v) => c.borrow_mut().get(&self.url, v).map(|k| (None, k)),
            Validator::Content => c
                .borrow_mut()
                .latest(&self.url)
                .map(|(hash, known)| (Some(hash), known)),
        })
    }

    /// The page key.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The validator a map of this page is shared at ([`crate::colo`]): its header validator;
    /// `None` for a page keyed by its content, whose maps are not shared.
    pub fn shared_validator(&self) -> Option<&str> {
        match &self.validator {
            Validator::Header(v) => Some(v),
            Validator::Content => None,
        }
    }

    /// Shares `map`, just made for this page, with the colo's other isolates ([`crate::colo`]);
    /// nothing for a page keyed by its content.
    pub fn share(&self, ctx: &worker::Context, cfg: &crate::config::Config, map: &SlotMap) {
        if let Some(validator) = self.shared_validator() {
            crate::colo::publish(ctx, cfg, &self.url, validator, map);
        }
    }

    /// Whether the page is keyed by its content.
    pub fn by_content(&self) -> bool {
        matches!(self.validator, Validator::Content)
    }

    /// Remembers that this page cannot be spliced, and why.
    pub fn refuse(&self, why: &NotSpliceable) {
        self.refuse_as(why.code());
    }

    /// Remembers that this page cannot be spliced, logging `code`.
    pub fn refuse_as(&self, code: &str) {
        log::note("vitrine.not_spliceable", code);
        CACHE.with(|c| {
            c.borrow_mut()
                .insert_refused(&self.url, self.validator_text(None))
        });
    }

    /// Remembers that the page was seen (streamed by the runtime's rewriter): its next view
    /// maps it.
    pub fn seen(&self) {
        CACHE.with(|c| {
            c.borrow_mut()
                .insert_seen(&self.url, self.validator_text(None))
        });
    }

    /// Forgets the page (its map did not fit the bytes the source sent).
    pub fn forget(&self) {
        CACHE.with(|c| c.borrow_mut().forget(&self.url));
    }

    fn validator_text<'a>(&'a self, content_hash: Option<&'a str>) -> &'a str {
        match (&self.validator, content_hash) {
            (Validator::Header(v), _) => v,
            (Validator::Content, Some(hash)) => hash,
            (Validator::Content, None) => CONTENT_REFUSED,
        }
    }

    /// Stores the map of the page (`content_hash`: `sha256:<hex>` for a page keyed by its
    /// content); returns it shared.
    pub fn store(&self, template: SlotMap, content_hash: Option<&str>) -> Rc<SlotMap> {
        let validator = self.validator_text(content_hash);
        CACHE.with(|c| c.borrow_mut().insert_map(&self.url, validator, template))
    }

    /// The page, mapped by `template`, as this request splices it: held from now on if it is
    /// viewed often enough (then later requests make no subrequest), else kept just for this
    /// response.
    pub fn page(
        &self,
        template: Rc<SlotMap>,
        bytes: web_sys::Blob,
        content_hash: Option<&str>,
    ) -> Rc<Recorded<JsPage>> {
        let page = JsPage {
            bytes,
            headers: self.headers.clone(),
            conditional: self.conditional.clone(),
            bodies: RefCell::default(),
            confirmed: Cell::new(js_sys::Date::now()),
            hold_ms: Cell::new(self.hold_ms),
        };
        let validator = self.validator_text(content_hash);
        CACHE.with(|c| c.borrow_mut().hold(&self.url, validator, template, page))
    }
}

/// Whether this isolate maps pages on their first view ([`PageCache::maps_first_views`]:
/// once its traffic shows that pages come back).
pub fn maps_first_views() -> bool {
    CACHE.with(|c| c.borrow().maps_first_views())
}

/// The page held for the page key `url`, if any, to serve or revalidate instead of re-reading it.
pub fn held(url: &str) -> Option<Rc<Recorded<JsPage>>> {
    CACHE.with(|c| c.borrow_mut().recorded(url))
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

/// How a fresh copy of a content-keyed page compares with its map.
pub enum Content {
    /// The same bytes (here, on the JS side): splice them.
    Same(web_sys::Blob),
    /// Different bytes: map them again.
    Changed,
}

/// Compares the body of `upstream` with the page mapped under `want` (`sha256:<hex>`) at
/// `want_len` bytes. A body whose `Content-Length` (unencoded) differs is told apart without
/// reading it; otherwise a copy of the body (a tee: `upstream` keeps its own) is read and
/// hashed a slice at a time, **at most `want_len + 1` bytes**, so a small compressed body
/// that decodes huge costs no more than the page it claims to be.
pub async fn same_content(upstream: &Response, want: &str, want_len: usize) -> Result<Content> {
    let h = upstream.entity()?;
    let length = h
        .content_length()
        .and_then(|v| v.trim().parse::<usize>().ok());
    // A `Content-Encoding` body reaches the Worker decoded, while `Content-Length` stays the
    // encoded size: then only the decoded bytes can be compared.
    let encoded = h
        .content_encoding()
        .is_some_and(|e| !e.trim().eq_ignore_ascii_case("identity"));
    if !encoded && length.is_some_and(|n| n != want_len) {
        return Ok(Content::Changed);
    }
    let probe = upstream.cloned()?;
    let Some(body) = probe.body() else {
        return Ok(Content::Changed);
    };
    let reader: web_sys::ReadableStreamDefaultReader = body.get_reader().unchecked_into();
    let chunks = Array::new();
    let mut hasher = ContentHash::new();
    let mut read = 0usize;
    loop {
        let result = JsFuture::from(reader.read()).await?;
        if js_sys::Reflect::get(&result, &"done".into())?.is_truthy() {
            break;
        }
        let chunk: Uint8Array = js_sys::Reflect::get(&result, &"value".into())?.dyn_into()?;
        read = read.saturating_add(chunk.length() as usize);
        if read > want_len {
            // Longer than the page it would have to be: stop reading the copy.
            let _ = reader.cancel();
            return Ok(Content::Changed);
        }
        native::for_each_slice(&chunk, 0, chunk.length(), |bytes| hasher.update(bytes));
        chunks.push(&chunk);
    }
    if read != want_len || want.strip_prefix(CONTENT_HASH_PREFIX) != Some(hasher.hex().as_str()) {
        return Ok(Content::Changed);
    }
    Ok(Content::Same(web_sys::Blob::new_with_u8_array_sequence(
        &chunks,
    )?))
}

/// What a `304` to the conditional subrequest stands for: the held page as the source
/// sent it (status 200, its headers, its bytes), so every later step runs unchanged.
pub fn replay(page: &Recorded<JsPage>) -> Response {
    Response::held(200, &Headers(page.page.headers.clone()), &page.page.bytes)
}

/// The whole body of `upstream`, read on the JS side.
pub async fn read(upstream: Response) -> Result<(u16, Headers, web_sys::Blob)> {
    let status = upstream.status_code();
    let headers = crate::response::shared(upstream.headers());
    let blob: web_sys::Blob = JsFuture::from(upstream.raw()?.blob()?).await?.dyn_into()?;
    Ok((status, headers, blob))
}

/// A response again from what [`read`] took apart, to stream it.
pub fn rebuilt(status: u16, headers: &Headers, body: &web_sys::Blob) -> Result<Response> {
    Response::from_blob(status, headers, body)
}

/// The first view of a page under `key`: what it became.
pub enum FirstView {
    /// Mapped (and the map stored): splice it.
    Mapped(Rc<Recorded<JsPage>>),
    /// Not spliceable (remembered as refused): stream it.
    Stream(Response),
}

/// Maps the page `upstream` (the first view of `key`, at `path`) with the runtime's rewriter,
/// and stores its map; a page that cannot be mapped (its charset, its size, its slots) is
/// remembered as refused and handed back to stream.
pub async fn first_view(
    key: &PageKey,
    upstream: Response,
    limits: Limits,
    path: &str,
) -> Result<FirstView> {
    let entity = upstream.entity()?;
    let charset = delivery::charset(entity.content_type().unwrap_or_default());
    if let Err(why) = splice::spliceable_charset(charset) {
        key.refuse(&why);
        return Ok(FirstView::Stream(upstream));
    }
    let length = entity
        .content_length()
        .and_then(|v| v.trim().parse::<usize>().ok());
    let too_big = NotSpliceable::TooBig { limit: MAX_PAGE };
    if length.is_some_and(|n| n > MAX_PAGE) {
        key.refuse(&too_big);
        return Ok(FirstView::Stream(upstream));
    }
    let (status, headers, blob) = read(upstream).await?;
    if blob.size() > MAX_PAGE as f64 {
        key.refuse(&too_big);
        return Ok(FirstView::Stream(rebuilt(status, &headers, &blob)?));
    }
    let scan = transform::attribute_markers_wanted(limits.attribute_slots);
    match native::map(&blob, limits, key.by_content(), scan).await? {
        Ok(mapped) => {
            if mapped.attribute_markers {
                transform::attribute_markers_found(path);
            }
            let hash = mapped
                .content_hash
                .map(|h| vitrine_core::text::concat(&[CONTENT_HASH_PREFIX, &h]));
            let template = key.store(mapped.marked.template, hash.as_deref());
            Ok(FirstView::Mapped(key.page(
                template,
                mapped.page,
                hash.as_deref(),
            )))
        }
        Err(Unmapped::Refused(why)) => {
            key.refuse(&why);
            Ok(FirstView::Stream(rebuilt(status, &headers, &blob)?))
        }
        Err(Unmapped::Failed(why)) => {
            log::note("vitrine.native_map_failed", &why);
            key.refuse_as("native_map_failed");
            Ok(FirstView::Stream(rebuilt(status, &headers, &blob)?))
        }
    }
}

/// A mapped page's bytes as the source just sent them, ready to splice; `Err` with the
/// response to stream when the body is not as long as the map says (the map is forgotten).
pub async fn mapped(
    key: &PageKey,
    template: Rc<SlotMap>,
    upstream: Response,
) -> Result<std::result::Result<Rc<Recorded<JsPage>>, Response>> {
    let (status, headers, blob) = read(upstream).await?;
    if blob.size() != template.len() as f64 {
        key.forget();
        return Ok(Err(rebuilt(status, &headers, &blob)?));
    }
    Ok(Ok(key.page(template, blob, None)))
}

/// The personalized response assembled from a page and its map; the body of an `upstream`
/// the source sent is cancelled unread (a replayed one is the held page itself, and a read
/// one is already consumed: nothing to cancel).
pub fn spliced(
    upstream: Option<&Response>,
    url: &str,
    recorded: &Rc<Recorded<JsPage>>,
    plan: &Plan,
    headers: &Headers,
) -> Result<web_sys::Response> {
    if let Some(body) = upstream.and_then(Response::body) {
        // The promise settles on its own; nothing waits for the cancellation.
        let _ = body.cancel();
    }
    // The key of the body kept for this plan, on a page that keeps its bodies.
    let key = CACHE
        .with(|c| c.borrow().keeps_bodies(url, recorded))
        .then(|| splice::plan_key(plan));
    // A kept body answers before the pieces are worked out: the hottest path.
    let kept = key
        .as_ref()
        .and_then(|k| recorded.page.bodies.borrow().get(k));
    let blob = match kept {
        Some(blob) => blob,
        None => {
            let parts = recorded.template.parts(plan);
            if splice::is_whole_page(&parts, recorded.template.len()) {
                // The plan fills nothing on this page: its own bytes are the body, with no
                // copy assembled and none kept.
                recorded.page.bytes.clone()
            } else if let Some(key) = key {
                keep_body(url, recorded, key, &parts)?
            } else {
                assemble(recorded, &parts)?
            }
        }
    };
    respond(&blob, headers)
}

/// The personalized response over `body`, a `Blob` (its length is sent as `Content-Length`).
pub fn respond(body: &web_sys::Blob, headers: &Headers) -> Result<web_sys::Response> {
    let init = web_sys::ResponseInit::new();
    init.set_status(200);
    init.set_headers(&headers.0);
    Ok(web_sys::Response::new_with_opt_blob_and_init(
        Some(body),
        &init,
    )?)
}

/// Whether the body of `upstream` may be read whole for its first view: it is not encoded (a
/// small compressed body may decode huge) and not longer than [`MAX_PAGE`] by its length, when
/// it gives one. Others are streamed, in flat memory.
pub fn readable_whole(upstream: &Response) -> Result<bool> {
    let h = upstream.entity()?;
    let encoded = h
        .content_encoding()
        .is_some_and(|e| !e.trim().eq_ignore_ascii_case("identity"));
    let too_long = h
        .content_length()
        .and_then(|v| v.trim().parse::<usize>().ok())
        .is_some_and(|n| n > MAX_PAGE);
    Ok(!encoded && !too_long)
}

/// The body of `parts`, assembled now for a page that keeps its bodies, and kept under `key`
/// (its plan's) if the held budget has room for it.
fn keep_body(
    url: &str,
    recorded: &Rc<Recorded<JsPage>>,
    key: String,
    parts: &[Piece<'_>],
) -> Result<web_sys::Blob> {
    let blob = assemble(recorded, parts)?;
    let len = blob.size() as usize;
    let freed = recorded.page.bodies.borrow().next_freed();
    if CACHE.with(|c| c.borrow_mut().charge_body(url, recorded, len, freed)) {
        recorded
            .page
            .bodies
            .borrow_mut()
            .put(key, blob.clone(), len);
    }
    Ok(blob)
}

/// The body of `parts`: views of the page and the fragments, concatenated by the runtime.
fn assemble(recorded: &Recorded<JsPage>, parts: &[Piece<'_>]) -> Result<web_sys::Blob> {
    let out = Array::new();
    for part in parts {
        match *part {
            Piece::Literal(a, b) => {
                let piece = recorded
                    .page
                    .bytes
                    .slice_with_f64_and_f64(a as f64, b as f64)?;
                out.push(&piece)
            }
            Piece::Fragment(html) => out.push(&JsValue::from_str(html)),
        };
    }
    Ok(web_sys::Blob::new_with_buffer_source_sequence(&out)?)
}
