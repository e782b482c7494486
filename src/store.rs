//! The active snapshot, per isolate: the pointer is re-read at most every
//! `SNAPSHOT_REFRESH_SECS`, a new version is decoded once, and on any KV fault the last good
//! version stays in use. Only an isolate that never loaded a snapshot bypasses.
//!
//! Loading is single-flight: a cold isolate takes many requests at once, and each would
//! otherwise read and decode its own copy of the snapshot and of every shard it needs (tens of
//! copies at a time in a cold bench isolate: seconds of CPU and hundreds of MB). One refresh of
//! the pointer, and one read of each shard, is in flight at a time. A request cannot await
//! another request's I/O in Workers ("Cannot perform I/O on behalf of a different request"),
//! so the others wait on their own timer (1 ms, then doubling up to 16 ms) until the flight has landed
//! (or for at most `KV_TIMEOUT_MS`, after which they read for themselves); a flight whose
//! request was cancelled, and so never lands, is taken over after two KV timeouts
//! ([`vitrine_core::flight`]).
//!
//! Catalog shards are separate KV values. Only the shards holding products that campaigns
//! show are read, on the first request that finds them missing (retried at most once per
//! refresh interval if KV fails), and kept with their version; no request reads the catalog.
//! A version keeps at most [`SHARD_BUDGET`] encoded bytes of shards (plus the one read when it
//! is reached): past it, products of shards not loaded are skipped, like sold-out ones, and the
//! isolate's memory stays bounded however large the catalog and however varied the traffic.

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

use futures_util::future::{select, Either};
use futures_util::{pin_mut, FutureExt};
use worker::{Date, Delay, Env};

use crate::config::Config;
use crate::log;
use crate::PerIsolate;
use vitrine_core::delivery::Bypass;
use vitrine_core::flight::Flights;
use vitrine_core::snapshot::{self, catalog, Snapshot};

/// Encoded catalog-shard bytes one snapshot version loads at most, per isolate (a Worker
/// isolate has 128 MB in all; recorded pages take up to 24 MB of it). An attached shard costs
/// about its encoded bytes: lookups read records in place, nothing is decoded into copies.
pub const SHARD_BUDGET: usize = 32 << 20;

struct State {
    active: Option<Rc<Snapshot>>,
    checked_ms: f64,
    /// The refresh in flight (the key is `None`) and the shard reads in flight (by version and
    /// shard number); a flight not landed within two KV timeouts is taken over.
    flights: Flights<Option<(String, usize)>>,
}

/// What the snapshot store keeps per isolate (its part of [`crate::Isolate`]).
pub struct Kept {
    /// The active snapshot and when the pointer was last checked.
    state: RefCell<State>,
    /// The version whose spent shard budget was last reported.
    budget_noted: RefCell<String>,
}

impl Default for Kept {
    fn default() -> Self {
        Self {
            state: RefCell::new(State {
                active: None,
                checked_ms: f64::NEG_INFINITY,
                flights: Flights::new(0.0),
            }),
            budget_noted: RefCell::default(),
        }
    }
}

const STATE: PerIsolate<RefCell<State>> = PerIsolate(|i| &i.store.state);
const BUDGET_NOTED: PerIsolate<RefCell<String>> = PerIsolate(|i| &i.store.budget_noted);

/// The snapshot to decide with, or why there is none.
pub async fn active(env: &Env, cfg: &Config) -> Result<Rc<Snapshot>, Bypass> {
    // The runtime's clock as a number (`worker::Date::now` builds a `Date` object to read it).
    let now = js_sys::Date::now();
    let fresh_now = |s: &State| now - s.checked_ms < cfg.refresh_ms;
    let (current, fresh) = STATE.with(|s| {
        let s = s.borrow();
        (s.active.clone(), fresh_now(&s))
    });
    if let (Some(snap), true) = (&current, fresh) {
        return Ok(Rc::clone(snap));
    }
    // The rest is a future of its own, so this fast path stays a small function.
    reload(env, cfg, current, now).boxed_local().await
}

/// Reads the snapshot again (or waits for the request that does), then its shards.
async fn reload(
    env: &Env,
    cfg: &Config,
    current: Option<Rc<Snapshot>>,
    now: f64,
) -> Result<Rc<Snapshot>, Bypass> {
    // Another request is refreshing: wait for it (on our own timer), then use what it found.
    if !start_flight(cfg, None, now) {
        let landed = wait(cfg.kv_timeout_ms, || {
            STATE.with(|s| {
                let s = s.borrow();
                (!s.flights.live(&None, Date::now().as_millis() as f64)).then(|| s.active.clone())
            })
        })
        .await;
        // Else it found nothing (or took too long): read for ourselves.
        if let Some(Some(snap)) = landed {
            load_shards(env, cfg, &snap).await;
            return Ok(snap);
        }
        start_flight(cfg, None, Date::now().as_millis() as f64);
    }
    let result = refresh(env, cfg.kv_timeout_ms, current, now).await;
    STATE.with(|s| s.borrow_mut().flights.land(&None));
    if let Ok(snap) = &result {
        load_shards(env, cfg, snap).await;
    }
    result
}

/// Starts the flight `key` at `now` unless a live one is under way (`true`: ours to land).
/// A flight is trusted for two KV timeouts, the most its reads can take.
fn start_flight(cfg: &Config, key: Option<(String, usize)>, now: f64) -> bool {
    STATE.with(|s| {
        let mut s = s.borrow_mut();
        s.flights.set_limit(2.0 * cfg.kv_timeout_ms as f64 + 100.0);
        s.flights.start(key, now)
    })
}

/// Polls `landed` until it says something, for at most about `limit_ms`: after 1 ms, then
/// twice as long each time up to 16 ms, so a long wait costs a few timer wake-ups.
pub(crate) async fn wait<T>(limit_ms: u64, landed: impl Fn() -> Option<T>) -> Option<T> {
    let (mut waited, mut step) = (0, 1);
    while waited < limit_ms.max(1) {
        Delay::from(Duration::from_millis(step)).await;
        waited += step;
        step = (step * 2).min(16);
        if let Some(v) = landed() {
            return Some(v);
        }
    }
    None
}

/// Re-reads the pointer (and a new version), and updates the state.
async fn refresh(
    env: &Env,
    kv_timeout_ms: u64,
    current: Option<Rc<Snapshot>>,
    now: f64,
) -> Result<Rc<Snapshot>, Bypass> {
    match load(env, kv_timeout_ms, current.as_deref()).await {
        Ok(Some(snap)) => {
            // Once per version per isolate: the only place a snapshot is decoded.
            log::note("vitrine.snapshot_loaded", snap.version());
            let snap = Rc::new(snap);
            store(Some(Rc::clone(&snap)), now);
            Ok(snap)
        }
        // The pointer still names the version we hold.
        Ok(None) => current
            .inspect(|_| store(None, now))
            .ok_or(Bypass::NoSnapshot),
        Err(reason) => match current {
            Some(snap) => {
                log::note("vitrine.snapshot_kept", reason.code());
                store(None, now);
                Ok(snap)
            }
            None => Err(reason),
        },
    }
}

/// Reads the catalog shards the snapshot's campaigns need and does not hold yet. A shard that
/// fails stays missing: its campaigns do not qualify, and the next refresh retries.
async fn load_shards(env: &Env, cfg: &Config, snap: &Rc<Snapshot>) {
    load_listed(env, cfg, snap, &snap.missing_shards()).await;
}

/// Reads and attaches the shards `missing` (for example those a request's recommendations
/// need, see `crate::shards`). A shard that fails stays missing and is logged. A shard another
/// request is already reading is waited for, not read again.
pub async fn load_listed(env: &Env, cfg: &Config, snap: &Rc<Snapshot>, missing: &[usize]) {
    if missing.is_empty() {
        return;
    }
    let Ok(kv) = env.kv("SNAPSHOTS") else {
        return;
    };
    for &n in missing {
        if snap.shard_bytes() >= SHARD_BUDGET {
            // Logged once per version per isolate.
            if note_budget(snap.version()) {
                log::note("vitrine.shard_budget", snap.version());
            }
            return;
        }
        let id = Some((snap.version().to_owned(), n));
        if !start_flight(cfg, id.clone(), Date::now().as_millis() as f64) {
            // Another request is reading it: wait for that read to land (or go stale).
            let _ = wait(cfg.kv_timeout_ms, || {
                let now = Date::now().as_millis() as f64;
                STATE.with(|s| (!s.borrow().flights.live(&id, now)).then_some(()))
            })
            .await;
            if snap.has_shard(n) || !start_flight(cfg, id.clone(), Date::now().as_millis() as f64) {
                continue;
            }
        }
        if !snap.has_shard(n) {
            read_shard(&kv, cfg.kv_timeout_ms, snap, n).await;
        }
        STATE.with(|s| s.borrow_mut().flights.land(&id));
    }
}

/// Reads shard `n` of `snap` and attaches it.
async fn read_shard(kv: &worker::kv::KvStore, kv_timeout_ms: u64, snap: &Snapshot, n: usize) {
    let key = catalog::shard_key(snap.version(), n);
    let outcome = match timed(kv_timeout_ms, kv.get(&key).bytes()).await {
        Ok(Some(bytes)) => snap.attach_shard(n, bytes).map_err(|e| e.code()),
        Ok(None) => Err(Bypass::MissingVersion.code()),
        Err(reason) => Err(reason.code()),
    };
    if let Err(code) = outcome {
        log::note("vitrine.shard_failed", code);
    }
}

/// Whether the spent shard budget of `version` is news (then it is remembered).
fn note_budget(version: &str) -> bool {
    BUDGET_NOTED.with(|v| {
        let mut v = v.borrow_mut();
        let news = *v != version;
        if news {
            version.clone_into(&mut v);
        }
        news
    })
}

fn store(snap: Option<Rc<Snapshot>>, now: f64) {
    STATE.with(|s| {
        let mut s = s.borrow_mut();
        if snap.is_some() {
            s.active = snap;
        }
        s.checked_ms = now;
    });
}

/// Reads the pointer and, if it names a version other than `held`, loads and decodes it.
async fn load(
    env: &Env,
    kv_timeout_ms: u64,
    held: Option<&Snapshot>,
) -> Result<Option<Snapshot>, Bypass> {
    let kv = env.kv("SNAPSHOTS").map_err(|_| Bypass::Config)?;
    let pointer = timed(kv_timeout_ms, kv.get(snapshot::POINTER_KEY).text()).await?;
    let version = pointer
        .map(|p| p.trim().to_owned())
        .ok_or(Bypass::NoSnapshot)?;
    if held.is_some_and(|h| h.version() == version) {
        return Ok(None);
    }
    let bytes = timed(
        kv_timeout_ms,
        kv.get(&snapshot::version_key(&version)).bytes(),
    )
    .await?
    .ok_or(Bypass::MissingVersion)?;
    let snap = snapshot::decode(&bytes).map_err(|e| Bypass::Snapshot(e.code()))?;
    if snap.version() != version {
        return Err(Bypass::Snapshot("snapshot_version_mismatch"));
    }
    Ok(Some(snap))
}

async fn timed<T, E>(
    kv_timeout_ms: u64,
    fut: impl std::future::Future<Output = Result<T, E>>,
) -> Result<T, Bypass> {
    let delay = Delay::from(Duration::from_millis(kv_timeout_ms));
    pin_mut!(fut);
    match select(fut, delay).await {
        Either::Left((Ok(v), _)) => Ok(v),
        Either::Left((Err(_), _)) => Err(Bypass::KvError),
        Either::Right(_) => Err(Bypass::KvTimeout),
    }
}
