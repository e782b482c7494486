//! The streaming rewrite as a JS `TransformStream` whose `transform` and `flush` callbacks call
//! straight into the rewriter: the runtime pipes the upstream body through it chunk by chunk,
//! with one synchronous JS→WASM call per chunk, instead of polling a Rust stream through
//! promise-based glue per chunk.
//!
//! Each chunk's output is enqueued at once, so the first bytes leave before the upstream body
//! ends, and nothing buffers the page in WASM memory (a [`Recording`] keeps the chunks on the
//! JS side, up to a bound). A chunk is copied into WASM memory at most [`SLICE`] bytes at a
//! time: a source may hand over a whole page as one chunk, and WASM memory never shrinks, so
//! without the bound a 10 MB page would grow the instance by twice its size for good.

use std::cell::RefCell;
use std::rc::Rc;

use worker::js_sys::{Function, Object, Reflect, Uint8Array};
use worker::wasm_bindgen::closure::Closure;
use worker::wasm_bindgen::{JsCast, JsValue};
use worker::web_sys::{ReadableStream, TransformStream};
use worker::Result;

use super::log;
use super::pages::Recording;
use crate::rewrite::{MarkerScan, SlotStream};

struct State {
    rewriter: SlotStream,
    recording: Option<Recording>,
    path: String,
    input: Vec<u8>,
    /// Set when the attribute form is off: looks for pages that still use it.
    markers: Option<MarkerScan>,
}

thread_local! {
    /// Whether this isolate already logged a page with attribute-form markers it ignores.
    static MARKERS_LOGGED: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

type Shared = Rc<RefCell<Option<State>>>;

/// Most bytes of a chunk copied into WASM memory and rewritten at once.
const SLICE: u32 = 64 * 1024;

/// `body` piped through the rewriter; returns the rewritten stream. `attribute_slots` is
/// `Limits::attribute_slots`: when it is off, the page is scanned for the attribute form's
/// marker, and the first such page of the isolate is logged.
pub fn pipe(
    body: &ReadableStream,
    rewriter: SlotStream,
    recording: Option<Recording>,
    path: String,
    attribute_slots: bool,
) -> Result<ReadableStream> {
    let markers =
        (!attribute_slots && !MARKERS_LOGGED.with(std::cell::Cell::get)).then(MarkerScan::default);
    let shared: Shared = Rc::new(RefCell::new(Some(State {
        rewriter,
        recording,
        path,
        input: Vec::new(),
        markers,
    })));
    let on_chunk = Rc::clone(&shared);
    let transform =
        Closure::<dyn FnMut(JsValue, JsValue)>::new(move |chunk: JsValue, controller: JsValue| {
            if let Some(state) = on_chunk.borrow_mut().as_mut() {
                let bytes = match chunk.dyn_ref::<Uint8Array>() {
                    Some(array) => array.clone(),
                    None => Uint8Array::new(&chunk),
                };
                let len = bytes.length();
                let mut at: u32 = 0;
                while at < len {
                    let end = len.min(at.saturating_add(SLICE));
                    let out = state.feed(&bytes.subarray(at, end));
                    enqueue(&controller, &out);
                    at = end;
                }
            }
        });
    let flush = Closure::<dyn FnMut(JsValue)>::new(move |controller| {
        let state = shared.borrow_mut().take();
        if let Some(state) = state {
            let (rest, recording) = state.finish();
            enqueue(&controller, &rest);
            // The whole page is out; recording it now only delays the stream's close.
            if let Some(rec) = recording {
                rec.finish();
            }
        }
    });
    let transformer = Object::new();
    Reflect::set(
        &transformer,
        &"transform".into(),
        &transform.into_js_value(),
    )?;
    Reflect::set(&transformer, &"flush".into(), &flush.into_js_value())?;
    let stream = TransformStream::new_with_transformer(&transformer)?;
    let pipe_through: Function = Reflect::get(body, &"pipeThrough".into())?.dyn_into()?;
    Ok(pipe_through.call1(body, &stream)?.dyn_into()?)
}

impl State {
    /// Rewrites one slice of a chunk (at most [`SLICE`] bytes).
    fn feed(&mut self, bytes: &Uint8Array) -> Vec<u8> {
        self.input.resize(bytes.length() as usize, 0);
        bytes.copy_to(&mut self.input);
        if self.markers.as_mut().is_some_and(|m| m.feed(&self.input)) {
            self.markers = None;
            if !MARKERS_LOGGED.with(|logged| logged.replace(true)) {
                log::note(
                    "vitrine.attribute_slots_off",
                    &format!(
                        "{} marks slots with data-vitrine-slot, which ATTRIBUTE_SLOTS=off ignores \
                         (logged once per isolate)",
                        self.path
                    ),
                );
            }
        }
        if self
            .recording
            .as_mut()
            .is_some_and(|rec| !rec.push(bytes, &self.input))
        {
            self.recording = None;
        }
        self.rewriter.feed(&self.input)
    }

    /// The last output, and the recording if the page was rewritten to the end.
    fn finish(self) -> (Vec<u8>, Option<Recording>) {
        let (rest, early_stop) = self.rewriter.finish();
        match early_stop {
            Some(e) => {
                log::bypass(e.code(), &self.path, &e.to_string());
                (rest, None)
            }
            None => (rest, self.recording),
        }
    }
}

fn enqueue(controller: &JsValue, bytes: &[u8]) {
    if bytes.is_empty() {
        return;
    }
    let chunk = Uint8Array::from(bytes);
    if let Ok(f) = Reflect::get(controller, &"enqueue".into()) {
        if let Ok(f) = f.dyn_into::<Function>() {
            // Enqueue fails only on a stream the runtime already closed (the client left).
            let _ = f.call1(controller, &chunk);
        }
    }
}
