//! One structured JSON log line per notable event, and the event sink. Never logs cookies or
//! tokens; the only identifier ever written is the consented pseudonym in exposure and
//! conversion events ([`vitrine_core::measure::events`]).
//!
//! Events go to the Workers Analytics Engine dataset bound as [`sink::BINDING`] when the
//! binding exists (production), else to `console.log` as [`sink::log_line`]s (`wrangler dev`,
//! `wrangler tail`, Logpush). Either way they are written from `ctx.wait_until`, after the
//! response is under way, so they never delay it.

use std::cell::RefCell;

use serde_json::json;
use worker::js_sys::Object;
use worker::wasm_bindgen::JsValue;
use worker::{AnalyticsEngineDataPointBuilder, AnalyticsEngineDataset, Env};

use crate::PerIsolate;
use vitrine_core::measure::events::Event;
use vitrine_core::measure::sink;

/// What logging keeps per isolate (its part of [`crate::Isolate`]).
#[derive(Default)]
pub struct Kept {
    /// The `env` object last seen and its Analytics Engine binding, if it has one.
    dataset: Dataset,
    /// Per-request notes ([`note_repeated`]): when each was last written, and how many were
    /// left out since.
    repeated: RefCell<Vec<Repeated>>,
}

/// A per-request note by event and detail: when it was last written (`Date.now()`, ms) and
/// how many times it happened since without being written.
struct Repeated {
    event: &'static str,
    detail: &'static str,
    written_ms: f64,
    left_out: u64,
}

/// How long a per-request note is not written again after it was (ms).
const REPEAT_WINDOW_MS: f64 = 10_000.0;

const REPEATED: PerIsolate<RefCell<Vec<Repeated>>> = PerIsolate(|i| &i.log.repeated);

/// The `env` object last seen and its Analytics Engine binding, if it has one.
type Dataset = RefCell<Option<(JsValue, Option<AnalyticsEngineDataset>)>>;

const DATASET: PerIsolate<Dataset> = PerIsolate(|i| &i.log.dataset);

/// Logs why a document was served unchanged.
pub fn bypass(reason: &str, path: &str, detail: &str) {
    worker::console_log!(
        "{}",
        json!({ "level": "warn", "event": "vitrine.bypass", "reason": reason, "path": path, "detail": detail })
    );
}

/// Logs an event that did not change the response.
pub fn note(event: &str, detail: &str) {
    worker::console_log!(
        "{}",
        json!({ "level": "info", "event": event, "detail": detail })
    );
}

/// Logs a note that a visitor's request can cause on every request (a refused cookie): the
/// first time, then at most once per [`REPEAT_WINDOW_MS`] per event and detail in an isolate,
/// with `"repeated"`: how many times it happened since the last line without one. A client
/// that sends a bad cookie with every request costs one line per ten seconds, not one per
/// request, and no occurrence goes uncounted in a later line.
pub fn note_repeated(event: &'static str, detail: &'static str) {
    let now = js_sys::Date::now();
    let write = REPEATED.with(|r| {
        let mut r = r.borrow_mut();
        match r
            .iter_mut()
            .find(|n| n.event == event && n.detail == detail)
        {
            Some(n) if now - n.written_ms < REPEAT_WINDOW_MS => {
                n.left_out += 1;
                None
            }
            Some(n) => {
                let left_out = std::mem::take(&mut n.left_out);
                n.written_ms = now;
                Some(left_out)
            }
            None => {
                // Events and details are a few fixed codes, so this list stays short.
                r.push(Repeated {
                    event,
                    detail,
                    written_ms: now,
                    left_out: 0,
                });
                Some(0)
            }
        }
    });
    if let Some(repeated) = write {
        worker::console_log!(
            "{}",
            json!({ "level": "info", "event": event, "detail": detail, "repeated": repeated })
        );
    }
}

/// Looks up the Analytics Engine binding of `env` (once per `env` object, as the config is).
pub fn bind(env: &Env) {
    let js: &JsValue = env.as_ref();
    let known = DATASET.with(|d| {
        d.borrow()
            .as_ref()
            .is_some_and(|(seen, _)| Object::is(seen, js))
    });
    if !known {
        let dataset = env.analytics_engine(sink::BINDING).ok();
        DATASET.with(|d| *d.borrow_mut() = Some((js.clone(), dataset)));
    }
}

/// Writes exposure and conversion events after the response is under way.
pub fn events(ctx: &worker::Context, events: Vec<Event>) {
    if events.is_empty() {
        return;
    }
    let dataset = DATASET.with(|d| d.borrow().as_ref().and_then(|(_, ds)| ds.clone()));
    ctx.wait_until(async move {
        for event in &events {
            match &dataset {
                Some(ds) => write(ds, event),
                None => worker::console_log!("{}", sink::log_line(event)),
            }
        }
    });
}

/// One data point; a failed write is logged (without the event's identifier) and dropped.
fn write(dataset: &AnalyticsEngineDataset, event: &Event) {
    let p = sink::data_point(event);
    let written = AnalyticsEngineDataPointBuilder::new()
        .indexes([p.index.as_str()])
        .blobs(p.blobs)
        .doubles(p.doubles)
        .write_to(dataset);
    if let Err(e) = written {
        note("vitrine.sink_failed", &e.to_string());
    }
}
