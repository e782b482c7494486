//! Slot maps shared by the isolates of a colo, through a named Cache API cache
//! (`vitrine-maps`), so that a page is parsed once per colo and version rather than once per
//! isolate ([`vitrine_core::splice::shared`] has the format and the rules).
//!
//! Every map an isolate makes at a page's header validator is put there in the background
//! ([`publish`]); an isolate that does not know a page at the validator the source just sent
//! asks there ([`lookup`]), and splices the page's first view in that isolate from the map
//! when it was made at that validator (`x-vitrine: …; body=shared`). While its lookups rarely
//! find a map (a colo whose cache does not have its pages), an isolate looks up only one new
//! page in eight ([`Lookups`]): a lookup that misses costs CPU for nothing. A
//! map is positions, never a visitor's: it is made from the page alone, and only for pages
//! this isolate would map itself (Static Assets, or origin pages the origin marked shareable).
//! Content-keyed origin pages (no validator) are not shared.
//!
//! `SHARED_MAPS=off` turns both off. A cache that fails or is missing (the Cache API does
//! nothing on `workers.dev`) only means the page is mapped here, as without sharing.

use wasm_bindgen::prelude::*;
use worker::js_sys::Uint8Array;
use worker::wasm_bindgen_futures::JsFuture;

use std::cell::RefCell;

use crate::config::Config;
use crate::{log, PerIsolate};
use vitrine_core::splice::shared::{self, Lookups, SharedRefused};
use vitrine_core::splice::SlotMap;

/// How long a shared map is kept (seconds). A map is only ever applied at the validator it was
/// made at, so it can outlive many versions of the page; the cache drops unused entries first.
const MAX_AGE_SECS: u32 = 7 * 86_400;

#[wasm_bindgen(inline_js = r#"
let opened = null;
// The named cache, opened once per isolate (opened again if opening failed).
function maps() {
  opened ??= caches.open("vitrine-maps").catch((e) => {
    opened = null;
    throw e;
  });
  return opened;
}
// The shared map under `url`, or null; at most `max` bytes are read.
export async function shared_map_get(url, max) {
  const hit = await (await maps()).match(url);
  if (!hit) return null;
  const length = Number(hit.headers.get("content-length"));
  if (!hit.ok || !(length >= 0 && length <= max)) {
    await hit.body?.cancel();
    return null;
  }
  return new Uint8Array(await hit.arrayBuffer());
}
// Puts `bytes` under `url` for `max_age` seconds. `bytes` is a view of WASM memory, valid only
// during this call: it is copied before the first await.
export async function shared_map_put(url, bytes, max_age) {
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
    fn shared_map_get(url: &str, max: u32) -> std::result::Result<js_sys::Promise, JsValue>;
    #[wasm_bindgen(catch)]
    fn shared_map_put(
        url: &str,
        bytes: &[u8],
        max_age: u32,
    ) -> std::result::Result<js_sys::Promise, JsValue>;
}

/// What sharing keeps per isolate (its part of [`crate::Isolate`]): how often lookups find maps.
#[derive(Default)]
pub struct Kept {
    lookups: RefCell<Lookups>,
}

const LOOKUPS: PerIsolate<RefCell<Lookups>> = PerIsolate(|i| &i.colo.lookups);

/// The map shared for the page key `page_url` at `validator` (the one the source just sent),
/// if sharing is on, lookups are worth it here ([`Lookups`]) and the cache has a sound one; a
/// refusal is logged.
pub async fn lookup(cfg: &Config, page_url: &str, validator: &str) -> Option<SlotMap> {
    if !cfg.shared_maps || !LOOKUPS.with(|l| l.borrow_mut().ask()) {
        return None;
    }
    let map = read(cfg, page_url).await.and_then(|bytes| {
        match shared::decode(&bytes, validator) {
            Ok(map) => Some(map),
            // A page that changed since another isolate mapped it: not worth a log line.
            Err(SharedRefused::OtherValidator) => None,
            Err(why) => {
                log::note("vitrine.shared_map_refused", why.code());
                None
            }
        }
    });
    LOOKUPS.with(|l| l.borrow_mut().answered(map.is_some()));
    map
}

/// The bytes shared under the page key `page_url`, if any.
async fn read(cfg: &Config, page_url: &str) -> Option<Vec<u8>> {
    let url = shared::cache_url(page_url, cfg.limits.attribute_slots)?;
    let read = async {
        let promise = shared_map_get(&url, shared::MAX_ENCODED as u32)?;
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

/// Shares `map`, made for the page key `page_url` at `validator`, with the colo's other
/// isolates, in the background.
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
    let (Some(url), Some(bytes)) = (
        shared::cache_url(page_url, cfg.limits.attribute_slots),
        shared::encode(validator, map),
    ) else {
        return;
    };
    let promise = match shared_map_put(&url, &bytes, MAX_AGE_SECS) {
        Ok(promise) => promise,
        Err(e) => return log::note("vitrine.shared_map_failed", &failure(&e)),
    };
    ctx.wait_until(async move {
        if let Err(e) = JsFuture::from(promise).await {
            log::note("vitrine.shared_map_failed", &failure(&e));
        }
    });
}

/// What a failed cache call threw, without its URL (a page key may carry a query).
fn failure(e: &JsValue) -> String {
    let text = worker::Error::from(e.clone()).to_string();
    vitrine_core::delivery::without_queries(&text).into_owned()
}
