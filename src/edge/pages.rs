//! Parse once, splice many, at the edge: the per-isolate [`PageCache`] of recorded base pages,
//! whose bytes stay on the JS side as one `Uint8Array` each, and the spliced response built
//! from views of it plus the decided fragments, so a cache hit never moves the page through
//! WASM memory and never reads the upstream body.
//!
//! Only the JS-object storage and the response assembly live here; what may be spliced and how
//! is decided in [`crate::splice`].

use std::cell::RefCell;

use worker::js_sys::{Array, Uint8Array};
use worker::wasm_bindgen::JsValue;
use worker::web_sys;
use worker::{Headers, Response, ResponseBody, Result};

use super::log;
use crate::render::Plan;
use crate::rewrite::Limits;
use crate::splice::{self, Known, PageCache, Part, Recorded};

/// Bytes of recorded pages an isolate keeps (a Worker isolate has 128 MB in all).
const BUDGET: usize = 24 << 20;
/// Largest page recorded; bigger pages are always streamed.
const MAX_PAGE: usize = 4 << 20;

thread_local! {
    static CACHE: RefCell<PageCache<Uint8Array>> = RefCell::new(PageCache::new(BUDGET, MAX_PAGE));
}

/// A base page by URL and validator (absent when the page has no usable validator).
pub struct PageKey {
    url: String,
    validator: String,
}

impl PageKey {
    /// The key of `upstream` as served for `url`, if the page has a validator.
    pub fn of(url: String, upstream: &Response) -> Result<Option<Self>> {
        let h = upstream.headers();
        let validator = splice::validator(
            h.get("etag")?.as_deref(),
            h.get("last-modified")?.as_deref(),
            h.get("content-length")?.as_deref(),
            h.get("content-type")?.as_deref(),
        );
        Ok(validator.map(|validator| Self { url, validator }))
    }

    /// What this isolate knows about the page.
    pub fn lookup(&self) -> Option<Known<Uint8Array>> {
        CACHE.with(|c| c.borrow_mut().get(&self.url, &self.validator))
    }

    /// Bytes worth buffering to record this page.
    pub fn max_page() -> usize {
        CACHE.with(|c| c.borrow().max_page())
    }

    /// Records `page` (the complete upstream body) and caches the result, spliceable or not.
    pub fn record(&self, page: &[u8], charset: Option<&str>, limits: Limits) {
        match splice::record(page, limits, charset) {
            Ok(template) => {
                let js_page = Uint8Array::from(page);
                CACHE.with(|c| {
                    c.borrow_mut()
                        .insert_recorded(&self.url, &self.validator, template, js_page)
                });
            }
            Err(why) => {
                log::note("vitrine.not_spliceable", why.code());
                CACHE.with(|c| c.borrow_mut().insert_refused(&self.url, &self.validator));
            }
        }
    }
}

/// The personalized response assembled from a recorded page; the upstream body is cancelled
/// unread.
pub fn spliced(
    upstream: &Response,
    recorded: &Recorded<Uint8Array>,
    plan: &Plan,
    headers: &Headers,
) -> Result<Response> {
    if let ResponseBody::Stream(body) = upstream.body() {
        // The promise settles on its own; nothing waits for the cancellation.
        let _ = body.cancel();
    }
    let parts = Array::new();
    for part in recorded.template.parts(plan) {
        match part {
            Part::Literal(a, b) => parts.push(&recorded.page.subarray(a as u32, b as u32)),
            Part::Fragment(html) => parts.push(&JsValue::from_str(html)),
        };
    }
    let blob = web_sys::Blob::new_with_buffer_source_sequence(&parts)?;
    let init = web_sys::ResponseInit::new();
    init.set_status(200);
    init.set_headers(&headers.0);
    // Measured: handing this raw Response to the runtime directly instead (skipping the
    // worker crate's re-wrap of its body stream) made no difference in throughput.
    let raw = web_sys::Response::new_with_opt_blob_and_init(Some(&blob), &init)?;
    Ok(Response::from(raw))
}

/// The recording half of a miss: buffers the streamed page (up to [`PageKey::max_page`])
/// and records it once the page has been streamed completely without an early stop.
pub struct Recording {
    key: PageKey,
    page: Vec<u8>,
    limit: usize,
    charset: Option<String>,
    limits: Limits,
}

impl Recording {
    /// Starts buffering for `key`.
    pub fn new(key: PageKey, charset: Option<&str>, limits: Limits) -> Self {
        Self {
            key,
            page: Vec::new(),
            limit: PageKey::max_page(),
            charset: charset.map(str::to_owned),
            limits,
        }
    }

    /// Adds a chunk; returns `false` once the page is too big to record (drop the recording).
    pub fn push(&mut self, chunk: &[u8]) -> bool {
        if self.page.len() + chunk.len() > self.limit {
            return false;
        }
        self.page.extend_from_slice(chunk);
        true
    }

    /// Records the complete page.
    pub fn finish(self) {
        self.key
            .record(&self.page, self.charset.as_deref(), self.limits);
    }
}
