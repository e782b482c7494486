//! A page's first view, mapped by the runtime's own `HTMLRewriter` (lol_html compiled natively,
//! what the JS peer pays) instead of the WASM one, which costs about 2.5 times as much per byte.
//!
//! workers-rs has no binding for `HTMLRewriter` (cloudflare/workers-rs#202), so the few methods
//! used are bound here with wasm-bindgen. The native rewriter does not personalize anything: at
//! every slot boundary it inserts a marker (128 random bits per isolate), and the marked copy
//! is read whole on the JS side. [`vitrine_core::splice::Marks`] finds the markers in it, a
//! 64 KiB slice at a time, and gives the page's slot map and where the original bytes are,
//! so the original page is rebuilt on the JS side from views of the marked copy (no copy in
//! WASM memory) and spliced like any mapped page: byte-identical to the WASM rewrite (the
//! core's property tests hold the marker scan to the WASM recorder's map).
//!
//! It never sees a visitor: the marked copy is made from the page alone, so one parse serves
//! every later request for the page at that validator.

use std::cell::{OnceCell, RefCell};
use std::rc::Rc;

use wasm_bindgen::prelude::*;
use worker::js_sys::{Array, ArrayBuffer, Function, Object, Reflect, Uint8Array};
use worker::wasm_bindgen_futures::JsFuture;
use worker::{web_sys, Result};

use crate::PerIsolate;
use vitrine_core::rewrite::{
    Limits, MarkerScan, ATTRIBUTE_SELECTOR, SLOT_ATTRIBUTE, TAG_NAME_ATTRIBUTE, TAG_SELECTOR,
};
use vitrine_core::snapshot::Op;
use vitrine_core::splice::{Boundary, ContentHash, Marked, Marks, NotSpliceable};

#[wasm_bindgen]
extern "C" {
    /// The runtime's `HTMLRewriter`.
    #[wasm_bindgen(js_name = HTMLRewriter)]
    type NativeRewriter;
    #[wasm_bindgen(constructor, js_class = "HTMLRewriter", catch)]
    fn new() -> std::result::Result<NativeRewriter, JsValue>;
    #[wasm_bindgen(method, catch)]
    fn on(
        this: &NativeRewriter,
        selector: &str,
        handlers: &Object,
    ) -> std::result::Result<NativeRewriter, JsValue>;
    #[wasm_bindgen(method, catch)]
    fn transform(
        this: &NativeRewriter,
        response: &web_sys::Response,
    ) -> std::result::Result<web_sys::Response, JsValue>;

    /// An element the rewriter matched.
    type NativeElement;
    #[wasm_bindgen(method, js_name = getAttribute)]
    fn get_attribute(this: &NativeElement, name: &str) -> Option<String>;
    #[wasm_bindgen(method, catch, js_name = before)]
    fn insert_before(
        this: &NativeElement,
        content: &JsValue,
        options: &Object,
    ) -> std::result::Result<(), JsValue>;
    #[wasm_bindgen(method, catch, js_name = prepend)]
    fn insert_prepend(
        this: &NativeElement,
        content: &JsValue,
        options: &Object,
    ) -> std::result::Result<(), JsValue>;
    #[wasm_bindgen(method, catch, js_name = onEndTag)]
    fn on_end_tag(this: &NativeElement, handler: &Function) -> std::result::Result<(), JsValue>;
    #[wasm_bindgen(method, catch, js_name = setInnerContent)]
    fn set_inner_content(
        this: &NativeElement,
        content: &str,
        options: &Object,
    ) -> std::result::Result<(), JsValue>;
    #[wasm_bindgen(method, catch, js_name = append)]
    fn append_html(
        this: &NativeElement,
        content: &str,
        options: &Object,
    ) -> std::result::Result<(), JsValue>;
    #[wasm_bindgen(method, catch, js_name = prepend)]
    fn prepend_html(
        this: &NativeElement,
        content: &str,
        options: &Object,
    ) -> std::result::Result<(), JsValue>;
    #[wasm_bindgen(method, catch, js_name = before)]
    fn before_html(
        this: &NativeElement,
        content: &str,
        options: &Object,
    ) -> std::result::Result<(), JsValue>;
    #[wasm_bindgen(method, catch, js_name = after)]
    fn after_html(
        this: &NativeElement,
        content: &str,
        options: &Object,
    ) -> std::result::Result<(), JsValue>;
    #[wasm_bindgen(method, catch, js_name = remove)]
    fn remove_element(this: &NativeElement) -> std::result::Result<(), JsValue>;

    /// The end tag of a matched element.
    type NativeEndTag;
    #[wasm_bindgen(method, catch, js_name = before)]
    fn end_before(
        this: &NativeEndTag,
        content: &JsValue,
        options: &Object,
    ) -> std::result::Result<(), JsValue>;
    #[wasm_bindgen(method, catch, js_name = after)]
    fn end_after(
        this: &NativeEndTag,
        content: &JsValue,
        options: &Object,
    ) -> std::result::Result<(), JsValue>;
}

/// The marker, made once per isolate: its bytes, and the same as a JS string.
struct Marker {
    bytes: Vec<u8>,
    js: JsValue,
}

/// What the native rewriter keeps per isolate (its part of [`crate::Isolate`]): the marker,
/// and the handlers of first views still streaming.
#[derive(Default)]
pub struct Kept {
    marker: OnceCell<Rc<Marker>>,
    handlers: RefCell<std::collections::VecDeque<(f64, (ElementHandler, ElementHandler))>>,
}

const MARKER: PerIsolate<OnceCell<Rc<Marker>>> = PerIsolate(|i| &i.native.marker);
type Handlers = RefCell<std::collections::VecDeque<(f64, (ElementHandler, ElementHandler))>>;
const KEPT: PerIsolate<Handlers> = PerIsolate(|i| &i.native.handlers);

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

/// The slot boundaries the handlers saw, shared with them.
type Seen = Rc<RefCell<Vec<Boundary>>>;

/// Maps `page` (the whole base page, UTF-8) with the runtime's rewriter; `hash`: also hash the
/// original bytes; `scan_markers`: also look for the attribute form's marker (when it is off).
pub async fn map(
    page: &web_sys::Blob,
    limits: Limits,
    hash: bool,
    scan_markers: bool,
) -> Result<std::result::Result<Mapped, Unmapped>> {
    let marker = marker()?;
    let seen: Seen = Rc::default();
    let options = Object::new();
    Reflect::set(&options, &"html".into(), &JsValue::TRUE)?;

    let on_end = {
        let (seen, marker, options) = (Rc::clone(&seen), Rc::clone(&marker), options.clone());
        Closure::<dyn FnMut(NativeEndTag) -> std::result::Result<(), JsValue>>::new(
            move |end: NativeEndTag| {
                seen.borrow_mut().push(Boundary::End);
                end.end_before(&marker.js, &options)?;
                end.end_after(&marker.js, &options)
            },
        )
    };
    let on_end_fn: Function = on_end.as_ref().unchecked_ref::<Function>().clone();
    let element = |attribute: &'static str| {
        let (seen, marker, options) = (Rc::clone(&seen), Rc::clone(&marker), options.clone());
        let on_end_fn = on_end_fn.clone();
        Closure::<dyn FnMut(NativeElement) -> std::result::Result<(), JsValue>>::new(
            move |el: NativeElement| {
                let Some(name) = el.get_attribute(attribute) else {
                    return Ok(());
                };
                seen.borrow_mut().push(Boundary::Start(name.into()));
                el.insert_before(&marker.js, &options)?;
                el.insert_prepend(&marker.js, &options)?;
                // Throws for an element that cannot have an end tag: the page is refused
                // below (a start without an end).
                let _ = el.on_end_tag(&on_end_fn);
                Ok(())
            },
        )
    };
    let by_tag = element(TAG_NAME_ATTRIBUTE);
    let by_attr = element(SLOT_ATTRIBUTE);
    let handlers =
        |closure: &Closure<dyn FnMut(NativeElement) -> std::result::Result<(), JsValue>>| {
            let h = Object::new();
            Reflect::set(&h, &"element".into(), closure.as_ref()).map(|_| h)
        };
    let marked = async {
        let mut rewriter = NativeRewriter::new()?.on(TAG_SELECTOR, &handlers(&by_tag)?)?;
        if limits.attribute_slots {
            rewriter = rewriter.on(ATTRIBUTE_SELECTOR, &handlers(&by_attr)?)?;
        }
        let source = web_sys::Response::new_with_opt_blob(Some(page))?;
        let out = rewriter.transform(&source)?;
        let buffer: ArrayBuffer = JsFuture::from(out.array_buffer()?).await?.dyn_into()?;
        Ok::<_, JsValue>(Uint8Array::new(&buffer))
    };
    let marked = match marked.await {
        Ok(bytes) => bytes,
        Err(e) => {
            let why = e
                .as_string()
                .or_else(|| {
                    Reflect::get(&e, &"message".into())
                        .ok()
                        .and_then(|m| m.as_string())
                })
                .unwrap_or_default();
            return Ok(Err(Unmapped::Failed(why)));
        }
    };
    // The handlers are done with once the copy is read.
    drop((by_tag, by_attr, on_end));
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
    let seen = seen.take();
    let marked_map = match marks.finish(&seen) {
        Ok(m) => m,
        Err(why) => return Ok(Err(Unmapped::Refused(why))),
    };
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

/// The element handler type the runtime's rewriter calls.
type ElementHandler = Closure<dyn FnMut(NativeElement) -> std::result::Result<(), JsValue>>;

/// The first view of a page: `upstream` personalized by `plan` in the runtime's rewriter,
/// streamed (what the JS peer does, at its cost; the page is mapped on its next view). The
/// same edits as the WASM rewrite ([`vitrine_core::rewrite::SlotStream`]), so the same bytes.
pub fn personalize(
    upstream: worker::Response,
    plan: vitrine_core::Plan,
    limits: Limits,
    status: u16,
    headers: &worker::Headers,
) -> Result<worker::Response> {
    let plan = Rc::new(plan);
    let options = Object::new();
    Reflect::set(&options, &"html".into(), &JsValue::TRUE)?;
    let handler = |attribute: &'static str| -> ElementHandler {
        let (plan, options) = (Rc::clone(&plan), options.clone());
        Closure::new(move |el: NativeElement| {
            let Some(edit) = el
                .get_attribute(attribute)
                .and_then(|n| plan.edit(&n).cloned())
            else {
                return Ok(());
            };
            let html: &str = &edit.html;
            match edit.op {
                Op::Replace => el.set_inner_content(html, &options),
                Op::Append => el.append_html(html, &options),
                Op::Prepend => el.prepend_html(html, &options),
                Op::Before => el.before_html(html, &options),
                Op::After => el.after_html(html, &options),
                Op::Remove => el.remove_element(),
            }
        })
    };
    let by_tag = handler(TAG_NAME_ATTRIBUTE);
    let by_attr = handler(SLOT_ATTRIBUTE);
    let handlers = |closure: &ElementHandler| {
        let h = Object::new();
        Reflect::set(&h, &"element".into(), closure.as_ref()).map(|_| h)
    };
    let mut rewriter = NativeRewriter::new()?.on(TAG_SELECTOR, &handlers(&by_tag)?)?;
    if limits.attribute_slots {
        rewriter = rewriter.on(ATTRIBUTE_SELECTOR, &handlers(&by_attr)?)?;
    }
    let out = rewriter.transform(&web_sys::Response::from(upstream))?;
    keep_alive((by_tag, by_attr));
    let init = web_sys::ResponseInit::new();
    init.set_status(status);
    init.set_headers(&headers.0);
    let body = out.body();
    Ok(worker::Response::from(
        web_sys::Response::new_with_opt_readable_stream_and_init(body.as_ref(), &init)?,
    ))
}

/// How long a streamed first view's handlers are kept (ms): the runtime calls them while the
/// page streams to the visitor, which for a page that is there at once (Static Assets, the
/// Cache API) takes milliseconds.
const HANDLERS_KEPT_MS: f64 = 60_000.0;

/// Keeps `handlers` alive for [`HANDLERS_KEPT_MS`], and drops those kept longer. A request
/// cannot wait on the runtime's rewriter finishing (its output goes straight to the visitor),
/// so the handlers outlive the response by a bounded time instead of being leaked.
fn keep_alive(handlers: (ElementHandler, ElementHandler)) {
    let now = js_sys::Date::now();
    KEPT.with(|kept| {
        let mut kept = kept.borrow_mut();
        while kept
            .front()
            .is_some_and(|(at, _)| now - at > HANDLERS_KEPT_MS)
        {
            kept.pop_front();
        }
        kept.push_back((now, handlers));
    });
}

/// Bytes copied into WASM memory at once (WASM memory never shrinks).
const SLICE: u32 = 64 * 1024;

/// Calls `f` with `bytes[from..to]`, copied into WASM memory a slice at a time.
pub fn for_each_slice(bytes: &Uint8Array, from: u32, to: u32, mut f: impl FnMut(&[u8])) {
    let mut buf = Vec::new();
    let mut at = from;
    while at < to {
        let end = to.min(at.saturating_add(SLICE));
        buf.resize((end - at) as usize, 0);
        bytes.subarray(at, end).copy_to(&mut buf);
        f(&buf);
        at = end;
    }
}
