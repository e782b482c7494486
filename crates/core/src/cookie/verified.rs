//! Profile tokens this isolate has verified, remembered so the next request that carries the
//! same token skips the HMAC and the claims parse.
//!
//! A visitor sends the same profile cookie with every page view, and verifying it (base64url,
//! the header's JSON, HMAC-SHA256 in software, the claims' JSON) was the largest part of the
//! identity stage on a page that is only spliced (BENCHMARKS.md, "Fifth pass"). What is kept,
//! and why that is as strict as verifying again:
//!
//! - only tokens that **verified** (signature, claims and time claims) are kept, with their
//!   profile and their time claims; a refused token is verified again each time, so a refusal
//!   is never cached;
//! - the **time claims are checked at every use**, at that request's `now`: a token that
//!   expires while kept is refused exactly as a fresh verification would refuse it;
//! - a hit needs the **whole token byte for byte**, compared in constant time; the table is
//!   addressed by a hash keyed with 64 random bits drawn when the cache is made, so a sender
//!   cannot aim a token at the slot of another visitor's;
//! - one cache belongs to one key ring: the Worker keeps it in the configuration its ring was
//!   read with, so a rotated or replaced ring starts with an empty cache;
//! - it holds at most [`MAX_ENTRIES`] tokens of at most [`super::MAX_TOKEN_BYTES`] each; a full
//!   cache forgets an arbitrary entry for each new one.
//!
//! Nothing kept here leaves the isolate, and nothing is ever logged.

use std::cell::RefCell;
use std::collections::HashMap;

use subtle::ConstantTimeEq;

use super::claims::{self, Times};
use super::{jws, KeyRing, Rejection, TimePolicy, VerifiedProfile};

/// How many verified tokens one cache holds.
pub const MAX_ENTRIES: usize = 512;

/// Verified profile tokens of one key ring (see the module docs).
#[derive(Debug)]
pub struct VerifiedTokens {
    /// Seed of the slot hash; `None` when no random seed could be drawn (nothing is kept).
    seed: Option<u64>,
    entries: RefCell<HashMap<u64, Entry>>,
}

#[derive(Debug)]
struct Entry {
    token: Box<str>,
    profile: VerifiedProfile,
    times: Times,
}

impl Default for VerifiedTokens {
    fn default() -> Self {
        Self::new()
    }
}

impl VerifiedTokens {
    /// An empty cache with a random seed (or, if the platform gives no randomness, one that
    /// keeps nothing and verifies every time).
    pub fn new() -> Self {
        let mut seed = [0u8; 8];
        let seed = getrandom::getrandom(&mut seed)
            .ok()
            .map(|()| u64::from_le_bytes(seed));
        Self {
            seed,
            entries: RefCell::new(HashMap::new()),
        }
    }

    /// A cache that keeps nothing: every call verifies.
    pub fn disabled() -> Self {
        Self {
            seed: None,
            entries: RefCell::new(HashMap::new()),
        }
    }

    /// How many tokens are kept.
    pub fn len(&self) -> usize {
        self.entries.borrow().len()
    }

    /// Whether no token is kept.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// [`super::verify`], answered from the cache when this exact token verified before with
    /// `ring` (the ring this cache belongs to): same profile, same refusal, same time checks.
    pub fn verify(
        &self,
        token: &str,
        ring: &KeyRing,
        now: u64,
        policy: TimePolicy,
    ) -> Result<VerifiedProfile, Rejection> {
        let Some(seed) = self.seed else {
            return super::verify(token, ring, now, policy);
        };
        let slot = xxhash_rust::xxh3::xxh3_64_with_seed(token.as_bytes(), seed);
        if let Some(entry) = self.entries.borrow().get(&slot) {
            if bool::from(entry.token.as_bytes().ct_eq(token.as_bytes())) {
                entry.times.check(now, policy)?;
                return Ok(entry.profile.clone());
            }
        }
        let (profile, times) = claims::parse_untimed(&jws::verify(token, ring)?)?;
        times.check(now, policy)?;
        let mut entries = self.entries.borrow_mut();
        if entries.len() >= MAX_ENTRIES && !entries.contains_key(&slot) {
            if let Some(&evicted) = entries.keys().next() {
                entries.remove(&evicted);
            }
        }
        entries.insert(
            slot,
            Entry {
                token: token.into(),
                profile: profile.clone(),
                times,
            },
        );
        Ok(profile)
    }
}

#[cfg(test)]
mod tests;
