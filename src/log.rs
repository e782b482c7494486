//! One structured JSON log line per notable event, and the event sinks. Never logs cookies or
//! tokens; the only identifier ever written is the consented pseudonym in exposure and
//! conversion events ([`vitrine_core::measure::events`]).
//!
//! Events go, from `ctx.wait_until` after the response is under way (so they never delay it):
//! - to the Cloudflare Pipelines stream bound as [`sink::PIPELINE_BINDING`], when bound: one
//!   `send` of the request's events as records ([`sink::records`]), the lossless sink; a failed
//!   send is logged (`vitrine.sink_failed`) and its events are written as log lines instead,
//!   so they can still be recovered from the logs;
//! - to the Workers Analytics Engine dataset bound as [`sink::BINDING`], when bound (sampled
//!   dashboards), whether or not a stream is bound;
//! - to `console.log` as [`sink::log_line`]s when neither is bound (`wrangler dev`,
//!   `wrangler tail`, Logpush).
//!
//! workers-rs has no Pipelines binding, so its one method, `send(records)`, is bound here with
//! wasm-bindgen (`Pipeline` in `@cloudflare/workers-types`: `send(records: object[]):
//! Promise<void>`).

use std::cell::RefCell;

use serde_json::json;
use wasm_bindgen::prelude::*;
use worker::js_sys::{Array, Object, Promise, Reflect, JSON};
use worker::wasm_bindgen::JsValue;
use worker::wasm_bindgen_futures::JsFuture;
use worker::{AnalyticsEngineDataPointBuilder, AnalyticsEngineDataset, Env};

use crate::PerIsolate;
use vitrine_core::measure::events::Event;
use vitrine_core::measure::sink;

#[wasm_bindgen]
extern "C" {
    /// A Pipelines stream binding.
    type Pipeline;
    #[wasm_bindgen(method, catch)]
    fn send(this: &Pipeline, records: &JsValue) -> Result<Promise, JsValue>;
}

/// What logging keeps per isolate (its part of [`crate::Isolate`]).
#[derive(Default)]
pub struct Kept {
    /// The `env` object last seen and its sinks.
    sinks: Sinks,
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

/// The bindings events are written to.
#[derive(Clone, Default)]
struct Bound {
    /// The Analytics Engine dataset, if bound.
    dataset: Option<AnalyticsEngineDataset>,
    /// The Pipelines stream (a [`Pipeline`]), if bound.
    stream: Option<JsValue>,
}

/// The `env` object last seen and its sinks.
type Sinks = RefCell<Option<(JsValue, Bound)>>;

const SINKS: PerIsolate<Sinks> = PerIsolate(|i| &i.log.sinks);

/// Looks up a Pipelines stream binding of `env`: an object with a `send` method.
trait PipelineEnv {
    fn pipeline(&self, name: &str) -> Option<JsValue>;
}

impl PipelineEnv for Env {
    fn pipeline(&self, name: &str) -> Option<JsValue> {
        let env: &JsValue = self.as_ref();
        let binding = Reflect::get(env, &JsValue::from_str(name)).ok()?;
        let send = Reflect::get(&binding, &JsValue::from_str("send")).ok()?;
        send.is_function().then_some(binding)
    }
}

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

/// Looks up the sinks bound in `env` (once per `env` object, as the config is).
pub fn bind(env: &Env) {
    let js: &JsValue = env.as_ref();
    let known = SINKS.with(|d| {
        d.borrow()
            .as_ref()
            .is_some_and(|(seen, _)| Object::is(seen, js))
    });
    if !known {
        let bound = Bound {
            dataset: env.analytics_engine(sink::BINDING).ok(),
            stream: env.pipeline(sink::PIPELINE_BINDING),
        };
        SINKS.with(|d| *d.borrow_mut() = Some((js.clone(), bound)));
    }
}

/// Writes exposure and conversion events after the response is under way.
pub fn events(ctx: &worker::Context, events: Vec<Event>) {
    if events.is_empty() {
        return;
    }
    let bound = SINKS
        .with(|d| d.borrow().as_ref().map(|(_, b)| b.clone()))
        .unwrap_or_default();
    ctx.wait_until(async move {
        let streamed = match &bound.stream {
            Some(stream) => send(stream, &events).await,
            None => false,
        };
        // Log lines when nothing is bound, or when the stream refused the events.
        let log = match &bound.stream {
            Some(_) => !streamed,
            None => bound.dataset.is_none(),
        };
        for event in &events {
            if let Some(ds) = &bound.dataset {
                write(ds, event);
            }
            if log {
                worker::console_log!("{}", sink::log_line(event));
            }
        }
    });
}

/// Sends the events to the stream; `false` (logged) when the stream refused them.
async fn send(stream: &JsValue, events: &[Event]) -> bool {
    let records = match JSON::parse(&sink::records(events)) {
        Ok(r) if Array::is_array(&r) => r,
        _ => {
            note(
                "vitrine.sink_failed",
                "pipelines: the records are not a JSON array",
            );
            return false;
        }
    };
    let sent = match stream.unchecked_ref::<Pipeline>().send(&records) {
        Ok(promise) => JsFuture::from(promise).await.map(|_| ()),
        Err(e) => Err(e),
    };
    match sent {
        Ok(()) => true,
        Err(e) => {
            let why = e.as_string().or_else(|| {
                Reflect::get(&e, &JsValue::from_str("message"))
                    .ok()
                    .and_then(|m| m.as_string())
            });
            note(
                "vitrine.sink_failed",
                &format!("pipelines: {}", why.unwrap_or_else(|| "send failed".into())),
            );
            false
        }
    }
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
