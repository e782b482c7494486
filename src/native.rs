//! The runtime's own `HTMLRewriter` (lol_html compiled natively, what the JS peer pays) where
//! the WASM rewriter would cost about 2.5 times as much per byte. A page's first view is
//! personalized and mapped by it in one parse where every slot is in the tag form
//! ([`personalize_mapped`]: the marked copy is spliced, so the page's next view is already a
//! splice); with the attribute form on, the first view is personalized as it streams
//! ([`personalize`]) and the second mapped ([`map`]).
//!
//! workers-rs has no binding for `HTMLRewriter` (cloudflare/workers-rs#202), so it is made and
//! given its element handlers by a few lines of JS bound here with wasm-bindgen (its
//! `transform` too): the runtime calls a handler for every matched element, and a handler in
//! WASM would cost a round trip and a string copy each way per element. A streamed first view
//! is one call from WASM, the plan passed as JSON.
//!
//! Mapping personalizes nothing: at every slot boundary the handlers insert a marker (128
//! random bits per isolate), and the marked copy is read whole on the JS side.
//! [`vitrine_core::splice::Marks`] finds the markers in it, a 64 KiB slice at a time, and gives
//! the page's slot map and where the original bytes are. The page spliced from then on is the
//! `Blob` read from the source when the original bytes are as long (so no copy is assembled),
//! else rebuilt on the JS side from views of the marked copy (no copy in WASM memory); a page
//! keyed by its content is always rebuilt, as it is hashed from those bytes. It is spliced
//! like any mapped page: byte-identical to the WASM rewrite (the core's property tests hold
//! the marker scan to the WASM recorder's map). A map never sees a visitor: the marked copy is
//! made from the page alone, so one parse serves every later request for the page at that
//! validator.

use std::cell::OnceCell;
use std::rc::Rc;

use wasm_bindgen::prelude::*;
use worker::js_sys::{Array, ArrayBuffer, Reflect, Uint8Array};
use worker::wasm_bindgen_futures::JsFuture;
use worker::{web_sys, Result};

use crate::response::Response;
use crate::PerIsolate;
use vitrine_core::rewrite::{
    Limits, MarkerScan, ATTRIBUTE_SELECTOR, SLOT_ATTRIBUTE, TAG_NAME_ATTRIBUTE, TAG_SELECTOR,
};
use vitrine_core::snapshot::Op;
use vitrine_core::splice::{
    Boundary, ContentHash, Marked, MarkedSplice, Marks, NotSpliceable, Out, SlotMap,
};

#[wasm_bindgen]
extern "C" {
    /// The runtime's `HTMLRewriter`.
    #[wasm_bindgen(js_name = HTMLRewriter)]
    type NativeRewriter;
    #[wasm_bindgen(method, catch)]
    fn transform(
        this: &NativeRewriter,
        response: &web_sys::Response,
    ) -> std::result::Result<web_sys::Response, JsValue>;
}

/// The marker, made once per isolate: its bytes, and the same as a JS string.
struct Marker {
    bytes: Vec<u8>,
    js: JsValue,
}

/// What the native rewriter keeps per isolate (its part of [`crate::Isolate`]): the marker,
/// and the slot selectors as a JS array.
#[derive(Default)]
pub struct Kept {
    marker: OnceCell<Rc<Marker>>,
    selectors: OnceCell<Array>,
}

const MARKER: PerIsolate<OnceCell<Rc<Marker>>> = PerIsolate(|i| &i.native.marker);
const SELECTORS: PerIsolate<OnceCell<Array>> = PerIsolate(|i| &i.native.selectors);

fn marker() -> Result<Rc<Marker>> {
    if let Some(m) = MARKER.with(|m| m.get().cloned()) {
        return Ok(m);
    }
    let mut nonce = [0u8; 16];
    getrandom::getrandom(&mut nonce).map_err(|e| worker::Error::RustError(e.to_string()))?;
    // Control characters around it: a page is very unlikely to hold one, let alone this.
    let hex: String = nonce.iter().map(|b| format!("{b:02x}")).collect();
    let text = format!("\u{1}vt{hex}\u{1}");
    let m = Rc::new(Marker {
        bytes: text.clone().into_bytes(),
        js: JsValue::from_str(&text),
    });
    MARKER.with(|cell| {
        let _ = cell.set(Rc::clone(&m));
    });
    Ok(m)
}

/// A page mapped by the native rewriter: its slot map and its original bytes (a `Blob`).
pub struct Mapped {
    /// Where the slots are, and the original bytes' place in the marked copy.
    pub marked: Marked,
    /// The original page.
    pub page: web_sys::Blob,
    /// Its SHA-256 (hex), when asked for (pages keyed by their content).
    pub content_hash: Option<String>,
    /// Whether it marks a slot with the attribute form (when asked to look).
    pub attribute_markers: bool,
}

/// Why a first view could not be mapped natively.
pub enum Unmapped {
    /// The page cannot be spliced (the WASM rewriter streams it).
    Refused(NotSpliceable),
    /// The runtime's rewriter failed on it (an error of its own, e.g. a parsing ambiguity).
    Failed(String),
}

/// Maps `page` (the whole base page, UTF-8) with the runtime's rewriter; `hash`: also hash the
/// original bytes; `scan_markers`: also look for the attribute form's marker (when it is off).
pub async fn map(
    page: &web_sys::Blob,
    limits: Limits,
    hash: bool,
    scan_markers: bool,
) -> Result<std::result::Result<Mapped, Unmapped>> {
    let marker = marker()?;
    let seen = Array::new();
    let marked = async {
        let rewriter = marking(limits.attribute_slots, &marker, &seen)?;
        let source = web_sys::Response::new_with_opt_blob(Some(page))?;
        let out = rewriter.transform(&source)?;
        let buffer: ArrayBuffer = JsFuture::from(out.array_buffer()?).await?.dyn_into()?;
        Ok::<_, JsValue>(Uint8Array::new(&buffer))
    };
    let marked = match marked.await {
        Ok(bytes) => bytes,
        Err(e) => return Ok(Err(Unmapped::Failed(js_message(&e)))),
    };
    let mut marks = Marks::new(&marker.bytes);
    let mut scan = scan_markers.then(MarkerScan::default);
    let mut attribute_markers = false;
    for_each_slice(&marked, 0, marked.length(), |bytes| {
        marks.feed(bytes);
        if scan.as_mut().is_some_and(|s| s.feed(bytes)) {
            attribute_markers = true;
            scan = None;
        }
    });
    // A slot's start is its name, its end `null`.
    let seen: Vec<Boundary> = seen.iter().map(boundary).collect();
    let marked_map = match marks.finish(&seen) {
        Ok(m) => m,
        Err(why) => return Ok(Err(Unmapped::Refused(why))),
    };
    // The original bytes are the page this map was made from: the `Blob` read from the source
    // when they are as long (the runtime's rewriter changes no byte it was not asked to), so
    // no copy is assembled; rebuilt from the marked copy when the page is keyed by its content
    // (it is hashed from the bytes the map was made from) or, defensively, when they differ.
    let original_len: usize = marked_map.segments.iter().map(|r| r.len()).sum();
    if !hash && page.size() == original_len as f64 {
        return Ok(Ok(Mapped {
            marked: marked_map,
            page: page.clone(),
            content_hash: None,
            attribute_markers,
        }));
    }
    let views = Array::new();
    let mut hasher = hash.then(ContentHash::new);
    for r in &marked_map.segments {
        let (a, b) = (r.start as u32, r.end as u32);
        views.push(&marked.subarray(a, b));
        if let Some(h) = hasher.as_mut() {
            for_each_slice(&marked, a, b, |bytes| h.update(bytes));
        }
    }
    let page = web_sys::Blob::new_with_u8_array_sequence(&views)?;
    Ok(Ok(Mapped {
        marked: marked_map,
        page,
        content_hash: hasher.map(ContentHash::hex),
        attribute_markers,
    }))
}

#[wasm_bindgen(inline_js = r#"
const OPTIONS = { html: true };
// `selectors`: [tag-form selector, its name attribute, attribute-form selector, its
// attribute] (made once per isolate); the attribute form is matched when `by_attribute`.
function on(rewriter, selectors, by_attribute, handler) {
  const r = rewriter.on(selectors[0], handler(selectors[1]));
  return by_attribute ? r.on(selectors[2], handler(selectors[3])) : r;
}
// A runtime rewriter that marks every slot boundary of the page with `marker` and records it
// in `seen` (a slot's name at its start, null at its end). An element that cannot have an end
// tag throws on onEndTag: its start is left without an end, and the page is refused.
export function mark_slots(selectors, by_attribute, marker, seen) {
  const end = (tag) => {
    seen.push(null);
    tag.before(marker, OPTIONS);
    tag.after(marker, OPTIONS);
  };
  return on(new HTMLRewriter(), selectors, by_attribute, (attribute) => ({
    element(el) {
      const name = el.getAttribute(attribute);
      if (name === null) return;
      seen.push(name);
      el.before(marker, OPTIONS);
      el.prepend(marker, OPTIONS);
      try {
        el.onEndTag(end);
      } catch {}
    },
  }));
}
// `upstream` personalized as it streams: `edits` is the plan as JSON, [[slot, element method,
// html], ...] (the first edit of a slot stands); the handlers run in JS, so a matched element
// costs no call into WASM. The whole response is built here, in one call from WASM.
export function personalize(upstream, selectors, by_attribute, edits, status, headers) {
  const bySlot = new Map();
  for (const [slot, method, html] of JSON.parse(edits)) {
    if (!bySlot.has(slot)) bySlot.set(slot, [method, html]);
  }
  const rewriter = on(new HTMLRewriter(), selectors, by_attribute, (attribute) => ({
    element(el) {
      const edit = bySlot.get(el.getAttribute(attribute));
      if (edit !== undefined) el[edit[0]](edit[1], OPTIONS);
    },
  }));
  return new Response(rewriter.transform(upstream).body, { status, headers });
}
"#)]
extern "C" {
    #[wasm_bindgen(catch, js_name = personalize)]
    fn personalize_js(
        upstream: &web_sys::Response,
        selectors: &Array,
        by_attribute: bool,
        edits: &str,
        status: u16,
        headers: &web_sys::Headers,
    ) -> std::result::Result<web_sys::Response, JsValue>;

    #[wasm_bindgen(catch)]
    fn mark_slots(
        selectors: &Array,
        by_attribute: bool,
        marker: &JsValue,
        seen: &Array,
    ) -> std::result::Result<NativeRewriter, JsValue>;
}

/// The `Element` method of the runtime's rewriter that performs `op` (called with the HTML
/// and `{ html: true }`; `remove` ignores them).
fn element_method(op: Op) -> &'static str {
    match op {
        Op::Replace => "setInnerContent",
        Op::Append => "append",
        Op::Prepend => "prepend",
        Op::Before => "before",
        Op::After => "after",
        Op::Remove => "remove",
    }
}

/// The first view of a page: `upstream` personalized by `plan` in the runtime's rewriter,
/// streamed (what the JS peer does, at its cost; the page is mapped on its next view). The
/// same edits as the WASM rewrite ([`vitrine_core::rewrite::SlotStream`]), so the same bytes.
pub fn personalize(
    upstream: &Response,
    plan: &vitrine_core::Plan,
    limits: Limits,
    status: u16,
    headers: &worker::Headers,
) -> Result<web_sys::Response> {
    // The plan as JSON, parsed on the JS side: one string across the boundary, not three
    // strings and four calls per edit.
    let edits: Vec<(&str, &str, &str)> = plan
        .edits()
        .iter()
        .map(|e| (&*e.slot, element_method(e.op), &*e.html))
        .collect();
    let edits =
        serde_json::to_string(&edits).map_err(|e| worker::Error::RustError(e.to_string()))?;
    Ok(personalize_js(
        upstream.raw()?,
        &selectors(),
        limits.attribute_slots,
        &edits,
        status,
        &headers.0,
    )?)
}

/// A page's first view, personalized and mapped in one parse ([`personalize_mapped`]).
pub struct FirstView {
    /// The personalized body.
    pub body: web_sys::Blob,
    /// The page's map (its original length within the limit), or why it has none.
    pub map: std::result::Result<SlotMap, NotSpliceable>,
    /// Whether it marks a slot with the attribute form (when asked to look).
    pub attribute_markers: bool,
}

/// The first view of a page whose slots are all in the tag form (mapped if at most `max_page`
/// bytes): the runtime's rewriter marks its slot boundaries (as it does to map a page, [`map`])
/// and the marked copy, read whole, is spliced for `plan` by [`MarkedSplice`], which finds the
/// page's map in the same pass. One parse, the one the JS peer pays, gives the personalized
/// body, byte-identical to the rewrite whenever the map is accepted (the core's property test
/// holds it to that on marked copies made by lol_html), and the map, so the page's next view
/// is a splice; a body whose map is refused must not be sent. `Err`: the runtime's rewriter
/// failed on the page (its body is spent).
pub async fn personalize_mapped(
    upstream: &Response,
    plan: &vitrine_core::Plan,
    scan_markers: bool,
    max_page: usize,
) -> Result<std::result::Result<FirstView, String>> {
    let marker = marker()?;
    let seen = Array::new();
    let marked = async {
        let rewriter = marking(false, &marker, &seen)?;
        let out = rewriter.transform(upstream.raw().map_err(JsValue::from)?)?;
        let buffer: ArrayBuffer = JsFuture::from(out.array_buffer()?).await?.dyn_into()?;
        Ok::<_, JsValue>(Uint8Array::new(&buffer))
    };
    let marked = match marked.await {
        Ok(bytes) => bytes,
        Err(e) => return Ok(Err(js_message(&e))),
    };
    // The handlers have all run: every boundary is known before the first marker is read.
    let mut seen: Vec<Boundary> = seen.iter().map(boundary).collect();
    let mut splice = MarkedSplice::new(&marker.bytes, plan.clone());
    let mut outs = Vec::new();
    let mut scan = scan_markers.then(MarkerScan::default);
    let mut attribute_markers = false;
    for_each_slice(&marked, 0, marked.length(), |bytes| {
        splice.feed(bytes, std::mem::take(&mut seen), &mut outs);
        if scan.as_mut().is_some_and(|s| s.feed(bytes)) {
            attribute_markers = true;
            scan = None;
        }
    });
    let map = splice.finish(&mut outs).and_then(|m| {
        if m.template.len() > max_page {
            Err(NotSpliceable::TooBig { limit: max_page })
        } else {
            Ok(m.template)
        }
    });
    let parts = Array::new();
    for out in outs {
        match out {
            Out::Bytes(r) => parts.push(&marked.subarray(r.start as u32, r.end as u32)),
            Out::Fragment(i) => parts.push(&JsValue::from_str(
                plan.edits().get(i).map_or("", |e| &*e.html),
            )),
        };
    }
    Ok(Ok(FirstView {
        body: web_sys::Blob::new_with_buffer_source_sequence(&parts)?,
        map,
        attribute_markers,
    }))
}

/// A runtime rewriter that marks every slot boundary with `marker` and records it in `seen`
/// (the attribute form too when `attribute_slots`).
fn marking(
    attribute_slots: bool,
    marker: &Marker,
    seen: &Array,
) -> std::result::Result<NativeRewriter, JsValue> {
    mark_slots(&selectors(), attribute_slots, &marker.js, seen)
}

/// The slot selectors and their name attributes, as the JS side takes them (made once per
/// isolate): tag-form selector, its name attribute, attribute-form selector, its attribute.
fn selectors() -> Array {
    SELECTORS.with(|s| {
        s.get_or_init(|| {
            [
                TAG_SELECTOR,
                TAG_NAME_ATTRIBUTE,
                ATTRIBUTE_SELECTOR,
                SLOT_ATTRIBUTE,
            ]
            .into_iter()
            .map(JsValue::from_str)
            .collect()
        })
        .clone()
    })
}

/// A slot's name at its start, `null` at its end (what the marking handlers record).
fn boundary(b: JsValue) -> Boundary {
    match b.as_string() {
        Some(name) => Boundary::Start(name.into()),
        None => Boundary::End,
    }
}

/// The message of a JS error (or the value itself when it is a string).
fn js_message(e: &JsValue) -> String {
    e.as_string()
        .or_else(|| {
            Reflect::get(e, &"message".into())
                .ok()
                .and_then(|m| m.as_string())
        })
        .unwrap_or_default()
}

/// Bytes copied into WASM memory at once (WASM memory never shrinks).
const SLICE: u32 = 64 * 1024;

/// Calls `f` with `bytes[from..to]`, copied into WASM memory a slice at a time. The buffer
/// is not zeroed first: the runtime writes every byte handed to `f` (`copy_to_uninit`), and
/// zeroing 64 KiB byte by byte was a visible share of a mapping view.
pub fn for_each_slice(bytes: &Uint8Array, from: u32, to: u32, mut f: impl FnMut(&[u8])) {
    let mut buf: Vec<u8> = Vec::with_capacity(SLICE.min(to.saturating_sub(from)) as usize);
    let mut at = from;
    while at < to {
        let end = to.min(at.saturating_add(SLICE));
        let len = (end - at) as usize;
        let spare = &mut buf.spare_capacity_mut()[..len];
        f(bytes.subarray(at, end).copy_to_uninit(spare));
        at = end;
    }
}
