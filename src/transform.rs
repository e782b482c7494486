//! The streaming rewrite: a pump that reads the upstream body, rewrites it and writes the
//! output into an `IdentityTransformStream`, whose readable side is the response body.
//!
//! Both ends stay native to the runtime. The upstream body is read with a BYOB reader into one
//! 64 KiB buffer: a read returns whatever has arrived, up to the buffer, so a page that is
//! there at once comes in a few large reads (a Static Assets or Cache API body otherwise comes
//! in 4 KiB chunks), and a slow source still gets each piece out as soon as it lands. The
//! output goes out through a native stream, not a JS `TransformStream`, whose per-chunk JS
//! callbacks and promises cost more than the rewrite itself (BENCHMARKS.md, "Streaming
//! glue"). A source that has no BYOB reader is read chunk by chunk instead.
//!
//! Each write waits until the client has taken the previous output, so nothing buffers the
//! page: memory stays flat in page size. A chunk is copied into WASM memory at most [`SLICE`]
//! bytes at a time, because WASM memory never shrinks. When the client goes away the upstream
//! body is cancelled; when the upstream fails, the response is aborted, as the runtime would.

use worker::js_sys::{Function, Reflect, Uint8Array};
use worker::wasm_bindgen::{JsCast, JsValue};
use worker::wasm_bindgen_futures::JsFuture;
use worker::web_sys::{
    ReadableStream, ReadableStreamByobReader, ReadableStreamDefaultReader,
    ReadableStreamGetReaderOptions, ReadableStreamReaderMode, WritableStream,
    WritableStreamDefaultWriter,
};
use worker::{Context, Result};

use crate::log;
use crate::PerIsolate;
use vitrine_core::rewrite::{MarkerScan, ScanSchedule, SlotStream};

struct State {
    rewriter: SlotStream,
    path: String,
    input: Vec<u8>,
    /// Set when the attribute form is off: looks for pages that still use it.
    markers: Option<MarkerScan>,
}

/// What the streaming rewrite keeps per isolate (its part of [`crate::Isolate`]).
#[derive(Default)]
pub struct Kept {
    /// Whether this isolate already logged a page with attribute-form markers it ignores.
    markers_logged: std::cell::Cell<bool>,
    /// Which pages it scans for them.
    markers_schedule: std::cell::Cell<ScanSchedule>,
}

const MARKERS_LOGGED: PerIsolate<std::cell::Cell<bool>> =
    PerIsolate(|i| &i.transform.markers_logged);
const MARKERS_SCHEDULE: PerIsolate<std::cell::Cell<ScanSchedule>> =
    PerIsolate(|i| &i.transform.markers_schedule);

/// Most bytes read at once, and copied into WASM memory and rewritten at once.
const SLICE: u32 = 64 * 1024;

/// `body` rewritten; returns the response body. The pump runs under `ctx.wait_until`.
/// `attribute_slots` is `Limits::attribute_slots`: when it is off, the page is scanned for the
/// attribute form's marker, and the first such page of the isolate is logged.
pub fn pipe(
    ctx: &Context,
    body: &ReadableStream,
    rewriter: SlotStream,
    path: String,
    attribute_slots: bool,
) -> Result<ReadableStream> {
    let (readable, writable) = identity_stream()?;
    let writer = writable.get_writer()?;
    let source = BodyReader::open(body)?;
    let markers = attribute_markers_wanted(attribute_slots).then(MarkerScan::default);
    let state = State {
        rewriter,
        path,
        input: Vec::new(),
        markers,
    };
    ctx.wait_until(pump(source, writer, state));
    Ok(readable)
}

/// A new `IdentityTransformStream` (a workerd byte stream), as its two sides.
fn identity_stream() -> Result<(ReadableStream, WritableStream)> {
    let class: Function =
        Reflect::get(&worker::js_sys::global(), &"IdentityTransformStream".into())?.dyn_into()?;
    let stream = Reflect::construct(&class, &worker::js_sys::Array::new())?;
    let readable = Reflect::get(&stream, &"readable".into())?.dyn_into()?;
    let writable = Reflect::get(&stream, &"writable".into())?.dyn_into()?;
    Ok((readable, writable))
}

/// Moves the page through the rewriter; every way out leaves both streams settled.
async fn pump(mut source: BodyReader, writer: WritableStreamDefaultWriter, mut state: State) {
    loop {
        let chunk = match source.next().await {
            Ok(Some(chunk)) => chunk,
            Ok(None) => break,
            Err(e) => {
                // The upstream failed mid-page: the client must not take a cut page for whole.
                let _ = JsFuture::from(writer.abort_with_reason(&e)).await;
                return;
            }
        };
        let len = chunk.length();
        let mut at = 0;
        while at < len {
            let end = len.min(at.saturating_add(SLICE));
            let out = state.feed(&chunk.subarray(at, end));
            at = end;
            if !write(&writer, &out).await {
                // The client went away: stop reading the page.
                source.cancel();
                return;
            }
        }
        source.recycle(chunk);
    }
    let rest = state.finish();
    if write(&writer, &rest).await {
        let _ = JsFuture::from(writer.close()).await;
    }
}

/// Writes `bytes` (nothing when empty); `false` when the response stream refused them.
async fn write(writer: &WritableStreamDefaultWriter, bytes: &[u8]) -> bool {
    if bytes.is_empty() {
        return true;
    }
    JsFuture::from(writer.write_with_chunk(&Uint8Array::from(bytes)))
        .await
        .is_ok()
}

/// The upstream body's reader: BYOB into one reused buffer when the stream supports it.
enum BodyReader {
    Byob {
        reader: ReadableStreamByobReader,
        /// The buffer for the next read (the previous read's, handed back by [`BodyReader::recycle`]).
        spare: Option<Uint8Array>,
    },
    Chunks(ReadableStreamDefaultReader),
}

impl BodyReader {
    fn open(body: &ReadableStream) -> Result<Self> {
        let options = ReadableStreamGetReaderOptions::new();
        options.set_mode(ReadableStreamReaderMode::Byob);
        // Called through `Function::call1`, which catches: `getReader` throws a `TypeError`
        // for a stream that is not a byte stream (web-sys' binding would not catch it).
        let get_reader: Function = Reflect::get(body, &"getReader".into())?.dyn_into()?;
        match get_reader.call1(body, &options) {
            Ok(reader) => Ok(Self::Byob {
                reader: reader.unchecked_into(),
                spare: None,
            }),
            // A stream without BYOB support (built in JS, not bytes): read its chunks.
            Err(_) => Ok(Self::Chunks(get_reader.call0(body)?.unchecked_into())),
        }
    }

    /// The next bytes, `None` at the end.
    async fn next(&mut self) -> std::result::Result<Option<Uint8Array>, JsValue> {
        let read = match self {
            Self::Byob { reader, spare } => {
                let buffer = spare
                    .take()
                    .unwrap_or_else(|| Uint8Array::new_with_length(SLICE));
                reader.read_with_array_buffer_view(&buffer)
            }
            Self::Chunks(reader) => reader.read(),
        };
        let result = JsFuture::from(read).await?;
        let value = Reflect::get(&result, &"value".into())?;
        if Reflect::get(&result, &"done".into())?.is_truthy() {
            return Ok(None);
        }
        Ok(Some(match value.dyn_into::<Uint8Array>() {
            Ok(bytes) => bytes,
            Err(other) => Uint8Array::new(&other),
        }))
    }

    /// Hands a read's buffer back for the next read (its bytes are in WASM memory by now).
    fn recycle(&mut self, chunk: Uint8Array) {
        if let Self::Byob { spare, .. } = self {
            let buffer = chunk.buffer();
            // A BYOB read hands back the buffer it was given (64 KiB); anything else is not
            // reused, since a view past its end would throw.
            if buffer.byte_length() >= SLICE {
                *spare = Some(Uint8Array::new_with_byte_offset_and_length(
                    &buffer, 0, SLICE,
                ));
            }
        }
    }

    /// Cancels the upstream body (the client left).
    fn cancel(&self) {
        let _ = match self {
            Self::Byob { reader, .. } => reader.cancel(),
            Self::Chunks(reader) => reader.cancel(),
        };
    }
}

/// Whether this page is scanned for the attribute form's marker: `ATTRIBUTE_SLOTS` is off, no
/// page of this isolate was logged yet, and this look is one the isolate samples
/// ([`ScanSchedule`]: its first looks, then one in several). Call it once per page about to be
/// mapped or streamed by the WASM rewriter.
pub fn attribute_markers_wanted(attribute_slots: bool) -> bool {
    !attribute_slots
        && !MARKERS_LOGGED.with(std::cell::Cell::get)
        && MARKERS_SCHEDULE.with(|cell| {
            let mut schedule = cell.get();
            let scan = schedule.scan_next();
            cell.set(schedule);
            scan
        })
}

/// The page at `path` marks a slot with the attribute form, which is off: logged once per
/// isolate.
pub fn attribute_markers_found(path: &str) {
    if !MARKERS_LOGGED.with(|logged| logged.replace(true)) {
        log::note(
            "vitrine.attribute_slots_off",
            &format!(
                "{path} marks slots with data-vitrine-slot, which ATTRIBUTE_SLOTS=off ignores \
                 (logged once per isolate)"
            ),
        );
    }
}

impl State {
    /// Rewrites one slice of a chunk (at most [`SLICE`] bytes).
    fn feed(&mut self, bytes: &Uint8Array) -> Vec<u8> {
        self.input.resize(bytes.length() as usize, 0);
        bytes.copy_to(&mut self.input);
        if self.markers.as_mut().is_some_and(|m| m.feed(&self.input)) {
            self.markers = None;
            attribute_markers_found(&self.path);
        }
        self.rewriter.feed(&self.input)
    }

    /// The last output.
    fn finish(self) -> Vec<u8> {
        let (rest, early_stop) = self.rewriter.finish();
        if let Some(e) = early_stop {
            log::bypass(e.code(), &self.path, &e.to_string());
        }
        rest
    }
}
