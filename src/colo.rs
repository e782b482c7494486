//! Slot maps shared by the isolates of a colo, through a named Cache API cache
//! (`vitrine-maps`), so that a page is parsed about once per colo and version rather than once
//! per isolate ([`vitrine_core::splice::shared`] has the format, the buckets and the rules).
//!
//! An isolate that does not know a page at the validator the source just sent looks in the
//! page's bucket ([`lookup`]): as it last read it, or read now from the cache, which teaches
//! it every map in the bucket at once. If the bucket has the page at that validator, the
//! page's first view in this isolate is spliced from that map (`x-vitrine: …; body=shared`).
//! Every map an isolate makes at a page's header validator is added to its bucket
//! ([`publish`]): the bucket is read, merged and written back in the background, at most once
//! per few seconds per bucket. A map is positions, never a visitor's: it is made from the page
//! alone, and only for pages this isolate would map itself (Static Assets, or origin pages the
//! origin marked shareable); content-keyed origin pages (no validator) are not shared.
//!
//! `SHARED_MAPS=off` turns both off. A cache that fails or is missing (the Cache API keeps
//! nothing on `workers.dev`) only means the page is mapped here, as without sharing; while reads
//! rarely find a page, an isolate makes one in eight, and fewer as they keep finding nothing,
//! down to one in 64 ([`vitrine_core::splice::shared::Lookups`]).

use std::cell::RefCell;

use wasm_bindgen::prelude::*;
use worker::js_sys::Uint8Array;
use worker::wasm_bindgen_futures::JsFuture;

use crate::config::Config;
use crate::{log, store, PerIsolate};
use vitrine_core::splice::shared::{self, Entry, Find, Indexed, SharedMaps};
use vitrine_core::splice::SlotMap;

/// Bytes of read buckets an isolate keeps, as they are stored (about 140 bytes per page: tens
/// of thousands of pages).
const READ_BUDGET: usize = 8 << 20;

/// How long a request waits for another one's read of the same bucket (ms).
const WAIT_MS: u64 = 64;

#[wasm_bindgen(inline_js = r#"
let opened = null;
// The named cache, opened once per isolate. The opened cache is kept, not the promise: a request
// must not await a promise another request's I/O settles.
async function maps() {
  if (opened === null) opened = await caches.open("vitrine-maps");
  return opened;
}
// The bucket under `url`, or null; at most `max` bytes are read.
export async function shared_maps_get(url, max) {
  const hit = await (await maps()).match(url);
  if (!hit) return null;
  const header = hit.headers.get("content-length");
  const length = header === null ? NaN : Number(header);
  if (!hit.ok || !(length >= 0 && length <= max)) {
    await hit.body?.cancel();
    return null;
  }
  return new Uint8Array(await hit.arrayBuffer());
}
// Puts `bytes` under `url` for `max_age` seconds. `bytes` is a view of WASM memory, valid only
// during this call: it is copied before the first await.
export async function shared_maps_put(url, bytes, max_age) {
  const body = bytes.slice();
  const headers = {
    "content-type": "application/octet-stream",
    "cache-control": `max-age=${max_age}`,
  };
  await (await maps()).put(url, new Response(body, { headers }));
}
"#)]
extern "C" {
    #[wasm_bindgen(catch)]
    fn shared_maps_get(url: &str, max: u32) -> std::result::Result<js_sys::Promise, JsValue>;
    #[wasm_bindgen(catch)]
    fn shared_maps_put(
        url: &str,
        bytes: &[u8],
        max_age: u32,
    ) -> std::result::Result<js_sys::Promise, JsValue>;
}

/// What sharing keeps per isolate (its part of [`crate::Isolate`]): the buckets read and the
/// maps not written yet. Nothing in it is a visitor's.
pub struct Kept {
    maps: RefCell<SharedMaps>,
}

impl Default for Kept {
    fn default() -> Self {
        Self {
            maps: RefCell::new(SharedMaps::new(READ_BUDGET)),
        }
    }
}

const MAPS: PerIsolate<RefCell<SharedMaps>> = PerIsolate(|i| &i.colo.maps);

/// The map shared for the page key `page_url` at `validator` (the one the source just sent),
/// if sharing is on and the page's bucket has it.
pub async fn lookup(cfg: &Config, page_url: &str, validator: &str) -> Option<SlotMap> {
    if !cfg.shared_maps {
        return None;
    }
    let bucket = shared::bucket_url(page_url, cfg.limits.attribute_slots)?;
    let find = || {
        let now = js_sys::Date::now();
        MAPS.with(|m| m.borrow_mut().find(&bucket, page_url, validator, now))
    };
    let mut found = find();
    if found == Find::Wait {
        // Another request is reading this bucket: wait for it (a few timer wake-ups), then
        // find again; past that, give up rather than read it a second time.
        found = store::wait(WAIT_MS, || Some(find()).filter(|f| *f != Find::Wait))
            .await
            .unwrap_or(Find::Absent);
    }
    let map = match found {
        Find::Map(map) => map,
        Find::Absent | Find::Wait => return None,
        Find::Read => {
            let read = indexed(read(&bucket).await);
            let now = js_sys::Date::now();
            MAPS.with(|m| {
                m.borrow_mut()
                    .read_done(&bucket, read, page_url, validator, now)
            })?
        }
    };
    Some(map)
}

/// Adds `map`, made for the page key `page_url` at `validator`, to its bucket, and writes the
/// buckets that are due in the background.
pub fn publish(
    ctx: &worker::Context,
    cfg: &Config,
    page_url: &str,
    validator: &str,
    map: &SlotMap,
) {
    if !cfg.shared_maps {
        return;
    }
    let Some(bucket) = shared::bucket_url(page_url, cfg.limits.attribute_slots) else {
        return;
    };
    let entry = Entry::new(page_url, validator, map.clone());
    let now = js_sys::Date::now();
    let due = MAPS.with(|m| {
        let mut m = m.borrow_mut();
        m.add(&bucket, entry);
        m.due(now)
    });
    write_all(ctx, due);
}

/// Writes, in the background, the buckets whose new maps are due ([`SharedMaps::due_later`]):
/// maps made less than a few seconds after their bucket's last write wait for a later request.
pub fn flush(ctx: &worker::Context, cfg: &Config) {
    if !cfg.shared_maps {
        return;
    }
    let now = js_sys::Date::now();
    let due = MAPS.with(|m| m.borrow_mut().due_later(now));
    write_all(ctx, due);
}

fn write_all(ctx: &worker::Context, due: Vec<(String, Vec<Entry>)>) {
    for (bucket, newer) in due {
        ctx.wait_until(write(bucket, newer));
    }
}

/// The map [`lookup`] gave for the page key `page_url` did not fit the bytes the source sent:
/// it is not used again from this isolate's read of its bucket.
pub fn reject(cfg: &Config, page_url: &str) {
    if let Some(bucket) = shared::bucket_url(page_url, cfg.limits.attribute_slots) {
        MAPS.with(|m| m.borrow_mut().reject(&bucket, page_url));
    }
}

/// Reads the bucket at `bucket`, merges `newer` into it and writes it back.
async fn write(bucket: String, newer: Vec<Entry>) {
    let older = read(&bucket)
        .await
        .and_then(|bytes| refused(shared::decode(&bytes)))
        .unwrap_or_default();
    let bytes = shared::encode(&SharedMaps::merged(newer, older));
    let written = match shared_maps_put(&bucket, &bytes, shared::MAX_AGE_SECS) {
        Ok(promise) => JsFuture::from(promise).await.map(|_| ()),
        Err(e) => Err(e),
    };
    let written = match written {
        // What `encode` writes always reads back.
        Ok(()) => Some(Indexed::new(bytes).unwrap_or_else(|_| Indexed::empty())),
        Err(e) => {
            log::note("vitrine.shared_map_failed", &failure(&e));
            None
        }
    };
    let now = js_sys::Date::now();
    MAPS.with(|m| m.borrow_mut().written(&bucket, written, now));
}

/// The bucket read, indexed: empty if the cache had none or it was refused (logged).
fn indexed(bytes: Option<Vec<u8>>) -> Indexed {
    bytes
        .and_then(|bytes| refused(Indexed::new(bytes)))
        .unwrap_or_else(Indexed::empty)
}

/// `read`, or `None` with the refusal logged.
fn refused<T>(read: std::result::Result<T, shared::SharedRefused>) -> Option<T> {
    read.map_err(|why| log::note("vitrine.shared_map_refused", why.code()))
        .ok()
}

/// The bytes of the bucket at `bucket`: none if the cache has none or fails (logged).
async fn read(bucket: &str) -> Option<Vec<u8>> {
    let read = async {
        let promise = shared_maps_get(bucket, shared::MAX_ENCODED as u32)?;
        JsFuture::from(promise).await
    };
    match read.await {
        Ok(bytes) if bytes.is_null() => None,
        Ok(bytes) => Some(Uint8Array::from(bytes).to_vec()),
        Err(e) => {
            log::note("vitrine.shared_map_failed", &failure(&e));
            None
        }
    }
}

/// What a failed cache call threw, without its URL (a page key may carry a query).
fn failure(e: &JsValue) -> String {
    let text = worker::Error::from(e.clone()).to_string();
    vitrine_core::delivery::without_queries(&text).into_owned()
}
