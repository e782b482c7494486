//! Single-flight bookkeeping for work many requests of one isolate may want at once (reading
//! the snapshot, a catalog shard): which keys are in flight, and since when.
//!
//! A Workers request can neither await another request's I/O nor count on it ever finishing (a
//! cancelled request's futures are simply never polled again), so a flight is only trusted
//! for `limit_ms` after it started: past that it is stale, and the next request takes it over
//! instead of waiting on it forever.

use std::collections::HashMap;
use std::hash::Hash;

/// The flights in progress, by key.
#[derive(Debug)]
pub struct Flights<K> {
    started: HashMap<K, f64>,
    limit_ms: f64,
}

impl<K: Eq + Hash> Flights<K> {
    /// No flight yet; a flight is stale `limit_ms` after it started.
    pub fn new(limit_ms: f64) -> Self {
        Self {
            started: HashMap::new(),
            limit_ms,
        }
    }

    /// Whether a flight for `key` started less than the limit before `now` (ms).
    pub fn live(&self, key: &K, now: f64) -> bool {
        self.started
            .get(key)
            .is_some_and(|at| (0.0..self.limit_ms).contains(&(now - at)))
    }

    /// Starts a flight for `key` at `now` unless a live one is under way; `true`: this caller
    /// owns it and must [`Flights::land`] it.
    pub fn start(&mut self, key: K, now: f64) -> bool {
        if self.live(&key, now) {
            return false;
        }
        self.started.insert(key, now);
        true
    }

    /// Ends the flight for `key`.
    pub fn land(&mut self, key: &K) {
        self.started.remove(key);
    }

    /// Sets how long a flight is trusted (the KV timeout may change with the configuration).
    pub fn set_limit(&mut self, limit_ms: f64) {
        self.limit_ms = limit_ms;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_flight_at_a_time_until_it_lands() {
        let mut f = Flights::new(1000.0);
        assert!(f.start("snapshot", 0.0));
        assert!(f.live(&"snapshot", 10.0));
        assert!(
            !f.start("snapshot", 10.0),
            "a live flight is not started twice"
        );
        assert!(f.start("shard 3", 10.0), "other keys fly on their own");
        f.land(&"snapshot");
        assert!(!f.live(&"snapshot", 20.0));
        assert!(f.start("snapshot", 20.0));
    }

    #[test]
    fn a_flight_that_never_lands_is_taken_over() {
        // The request that started it was cancelled: nobody will ever land it.
        let mut f = Flights::new(1000.0);
        assert!(f.start(("v1", 3), 0.0));
        assert!(f.live(&("v1", 3), 999.0));
        assert!(!f.live(&("v1", 3), 1000.0), "stale at the limit");
        assert!(f.start(("v1", 3), 1000.0), "the next request takes it over");
        assert!(f.live(&("v1", 3), 1500.0));
    }

    #[test]
    fn a_clock_step_back_does_not_make_a_flight_eternal() {
        let mut f = Flights::new(1000.0);
        assert!(f.start(1, 5000.0));
        assert!(!f.live(&1, 4000.0));
        assert!(f.start(1, 4000.0));
    }
}
