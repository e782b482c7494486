//! Request facts at the edge: reads `request.cf` (country, time zone) and the `User-Agent` and
//! `Referer` headers, and hands them to the pure interpreters in [`vitrine_core::facts`].
//!
//! Only the facts the active snapshot's rules read are gathered ([`Needs`], once per version),
//! so a site without device rules never scans a `User-Agent`. The local time of day comes from
//! the runtime's `Intl.DateTimeFormat` for the visitor's time zone (one formatter per zone and
//! isolate, at most [`MAX_ZONES`]). Nothing here is stored or logged, so
//! these facts need no consent.
//!
//! **Demo mode only** (`DEMO` set; the production environment never sets it), the headers
//! `x-vitrine-demo-country` and `x-vitrine-demo-timezone` stand in for `request.cf`, which
//! `wrangler dev` fills with placeholders or not at all. Outside demo mode they are ignored.

use std::cell::RefCell;

use worker::js_sys::{self, Array, Function, Object, Reflect};
use worker::wasm_bindgen::{JsCast, JsValue};

use crate::incoming::Incoming;

use crate::config::Config;
use crate::PerIsolate;
use vitrine_core::facts::{self, Needs, Observed};
use vitrine_core::Snapshot;

/// Time zones whose formatter an isolate keeps.
const MAX_ZONES: usize = 32;
/// Longest `Referer` used for targeting.
const MAX_REFERRER_BYTES: usize = 2048;

/// Demo-mode stand-in for `request.cf.country`.
pub const DEMO_COUNTRY: &str = "x-vitrine-demo-country";
/// Demo-mode stand-in for `request.cf.timezone`.
pub const DEMO_TIMEZONE: &str = "x-vitrine-demo-timezone";

/// What request facts keep per isolate (their part of [`crate::Isolate`]).
#[derive(Default)]
pub struct Kept {
    /// (time zone, formatter), most recently added last.
    zones: RefCell<Vec<(String, js_sys::Intl::DateTimeFormat)>>,
    /// (snapshot version, the facts its rules read).
    needs: RefCell<Option<(String, Needs)>>,
}

const ZONES: PerIsolate<RefCell<Vec<(String, js_sys::Intl::DateTimeFormat)>>> =
    PerIsolate(|i| &i.facts.zones);
const NEEDS: PerIsolate<RefCell<Option<(String, Needs)>>> = PerIsolate(|i| &i.facts.needs);

/// Reads the facts of `req` that the snapshot's rules use (all of them for a `preview`); `at`
/// (Unix seconds) is the decision's clock, which a preview token may move.
// Not inlined: see the crate docs, "Function size".
#[inline(never)]
pub fn read(req: &Incoming, cfg: &Config, snapshot: &Snapshot, at: i64, preview: bool) -> Observed {
    let needs = if preview { Needs::ALL } else { needs(snapshot) };
    let headers = req.headers();
    let header = |name: &str| headers.get(name).ok().flatten();
    let demo = |name: &str| if cfg.demo { header(name) } else { None };
    let cf = (needs.country || needs.local_time)
        .then(|| Reflect::get(req.inner(), &JsValue::from_str("cf")).ok())
        .flatten()
        .filter(JsValue::is_object);
    let cf_text = |field: &str| {
        cf.as_ref()
            .and_then(|cf| Reflect::get(cf, &JsValue::from_str(field)).ok())
            .and_then(|v| v.as_string())
    };
    let country = needs
        .country
        .then(|| demo(DEMO_COUNTRY).or_else(|| cf_text("country")))
        .flatten()
        .and_then(|c| facts::country(&c).map(str::to_owned));
    let local_minutes = needs
        .local_time
        .then(|| demo(DEMO_TIMEZONE).or_else(|| cf_text("timezone")))
        .flatten()
        .filter(|tz| facts::plausible_time_zone(tz))
        .and_then(|tz| local_minutes(&tz, at));
    Observed {
        country,
        device: needs
            .device
            .then(|| facts::device_class(header("user-agent").as_deref()))
            .flatten(),
        referrer: needs
            .referrer
            .then(|| header("referer"))
            .flatten()
            .filter(|r| !r.is_empty() && r.len() <= MAX_REFERRER_BYTES),
        local_minutes,
    }
}

/// The facts the active snapshot's rules read, worked out once per version and isolate.
fn needs(snapshot: &Snapshot) -> Needs {
    NEEDS.with(|cell| {
        let mut cell = cell.borrow_mut();
        match cell.as_ref() {
            Some((version, needs)) if version == snapshot.version() => *needs,
            _ => {
                let needs = Needs::of(snapshot);
                *cell = Some((snapshot.version().to_owned(), needs));
                needs
            }
        }
    })
}

/// The local time of day in `tz` at `at`, from the runtime's time zone data.
fn local_minutes(tz: &str, at: i64) -> Option<u16> {
    let formatter = formatter(tz)?;
    let date = js_sys::Date::new(&JsValue::from_f64(at as f64 * 1000.0));
    let parts = formatter.format_to_parts(&date);
    let (mut hour, mut minute) = (None, None);
    for part in parts.iter() {
        let field = |name: &str| {
            Reflect::get(&part, &JsValue::from_str(name))
                .ok()
                .and_then(|v| v.as_string())
        };
        match field("type").as_deref() {
            Some("hour") => hour = field("value"),
            Some("minute") => minute = field("value"),
            _ => {}
        }
    }
    facts::local_minutes(&hour?, &minute?)
}

/// This isolate's formatter for `tz`, built on first use. Built through `Reflect::construct`
/// so an unknown zone (a `RangeError`) is `None`, never a trap.
fn formatter(tz: &str) -> Option<js_sys::Intl::DateTimeFormat> {
    if let Some(f) = ZONES.with(|z| {
        z.borrow()
            .iter()
            .find(|(name, _)| name == tz)
            .map(|(_, f)| f.clone())
    }) {
        return Some(f);
    }
    let intl = Reflect::get(&js_sys::global(), &JsValue::from_str("Intl")).ok()?;
    let ctor: Function = Reflect::get(&intl, &JsValue::from_str("DateTimeFormat"))
        .ok()?
        .dyn_into()
        .ok()?;
    let options = Object::new();
    for (k, v) in [
        ("timeZone", tz),
        ("hour", "2-digit"),
        ("minute", "2-digit"),
        ("hourCycle", "h23"),
    ] {
        Reflect::set(&options, &JsValue::from_str(k), &JsValue::from_str(v)).ok()?;
    }
    let args = Array::of2(&JsValue::from_str("en-GB"), &options);
    let f: js_sys::Intl::DateTimeFormat = Reflect::construct(&ctor, &args).ok()?.unchecked_into();
    ZONES.with(|z| {
        let mut z = z.borrow_mut();
        if z.len() >= MAX_ZONES {
            z.remove(0);
        }
        z.push((tz.to_owned(), f.clone()));
    });
    Some(f)
}
