//! An isolate's bookkeeping of shared maps ([`SharedMaps`]): the buckets it has read, the maps
//! it made and has not written yet, and whether reading is worth it ([`Lookups`]). Pure: the
//! Worker does the reads and writes this decides.

use std::collections::HashMap;

use lru::LruCache;

use super::wire::{fits, Indexed};
use super::{merge, Entry, FLUSH_MS, REREAD_MS};
use crate::flight::Flights;
use crate::splice::SlotMap;

/// How long a bucket read is waited for by other requests before they read it themselves (ms).
pub const READ_FLIGHT_MS: f64 = 1_000.0;

/// How long a bucket write is trusted to end (ms): a write cancelled with its request (or that
/// hangs) would otherwise stop that bucket's writes for good.
pub const WRITE_FLIGHT_MS: f64 = 30_000.0;

/// Weight charged for a read bucket's bookkeeping, in bytes.
const ENTRY_OVERHEAD: usize = 96;

/// Maps an isolate holds to write at most: past this, new maps are not shared until a write.
const MAX_PENDING: usize = 4096;

/// How often at most a request that made no map looks for buckets due to be written (ms): the
/// look is a pass over every bucket this isolate has added maps to.
pub const SCAN_MS: f64 = 250.0;

/// Buckets one request starts writing at most.
const MAX_FLUSHES_AT_ONCE: usize = 2;

/// Reads an isolate makes before it judges whether the colo's cache has its new pages.
pub const LOOKUPS_BEFORE_JUDGING: u32 = 16;

/// Reads over which hits are counted: past this, both counts are halved, so the judgment
/// follows the colo as its cache fills.
const LOOKUP_WINDOW: u32 = 256;

/// While the colo's cache rarely has a page, one read in this many is still made at first…
pub const SAMPLE_WHEN_COLD: u32 = 8;

/// … and one in twice as many after each such sampled read that finds nothing, down to one in
/// this many; a read that finds its page goes back to one in [`SAMPLE_WHEN_COLD`].
pub const SAMPLE_WHEN_COLD_MAX: u32 = 64;

/// Whether to read the colo's cache for pages new to this isolate. A read that finds nothing
/// costs a subrequest's CPU for nothing (BENCHMARKS.md, "Tenth pass", has what a read costs
/// and what a hit saves), and in a colo whose cache does not have the isolate's new pages (a
/// new deployment, a long tail no other isolate has seen, `workers.dev`) most would. So an
/// isolate reads whenever its find needs it while at least one read in four finds the page
/// (and for its first [`LOOKUPS_BEFORE_JUDGING`] reads), and otherwise one time in
/// [`SAMPLE_WHEN_COLD`], which keeps measuring the hit rate so it reads every time again once
/// the cache fills. While those sampled reads keep finding nothing (a colo no other isolate
/// shares pages in), they are spaced out further, to one in [`SAMPLE_WHEN_COLD_MAX`]; the
/// first sampled read that finds its page brings the spacing back to one in
/// [`SAMPLE_WHEN_COLD`]. Maps are shared whatever this says: sharing is what fills the cache.
#[derive(Debug, Clone, Default)]
pub struct Lookups {
    asked: u32,
    found: u32,
    skipped: u32,
    /// One read in this many while reads are not worth it; 0 until the first sampled miss
    /// (meaning [`SAMPLE_WHEN_COLD`]).
    every: u32,
}

/// A read [`Lookups::ask`] allowed, handed back with its answer to [`Lookups::answered`]: only
/// a sample's miss spaces the samples out, whatever other reads answer meanwhile.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ask {
    /// Made because reads are worth it (or not judged yet).
    Wanted,
    /// Made as a sample of a colo whose cache rarely has the page.
    Sample,
}

impl Lookups {
    /// Whether to make the next read, and why; a read must be followed by
    /// [`Lookups::answered`] with what this returned.
    pub fn ask(&mut self) -> Option<Ask> {
        if self.worth_asking() {
            self.skipped = 0;
            return Some(Ask::Wanted);
        }
        if self.skipped + 1 >= self.sample_every() {
            self.skipped = 0;
            return Some(Ask::Sample);
        }
        self.skipped += 1;
        None
    }

    /// While reads are not worth it, one in this many is made.
    pub fn sample_every(&self) -> u32 {
        self.every.clamp(SAMPLE_WHEN_COLD, SAMPLE_WHEN_COLD_MAX)
    }

    /// Whether reads find pages often enough to make every one.
    pub fn worth_asking(&self) -> bool {
        self.asked < LOOKUPS_BEFORE_JUDGING || self.found.saturating_mul(4) >= self.asked
    }

    /// Counts the answer of a read `ask` allowed: whether it had the page at the validator sent.
    pub fn answered(&mut self, ask: Ask, found: bool) {
        if found {
            self.every = SAMPLE_WHEN_COLD;
        } else if ask == Ask::Sample {
            self.every = self
                .sample_every()
                .saturating_mul(2)
                .min(SAMPLE_WHEN_COLD_MAX);
        }
        self.asked += 1;
        self.found += u32::from(found);
        if self.asked >= LOOKUP_WINDOW {
            self.asked /= 2;
            self.found /= 2;
        }
    }

    #[cfg(test)]
    pub(super) fn counts(&self) -> (u32, u32) {
        (self.asked, self.found)
    }
}

/// What an isolate knows of a page new to it, from the shared buckets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Find {
    /// The map, at the validator asked for: splice the page.
    Map(SlotMap),
    /// Not shared as far as this isolate knows: map the page here.
    Absent,
    /// Read the page's bucket (then [`SharedMaps::read_done`]).
    Read,
    /// Another request of this isolate is reading the page's bucket: wait for it a little, then
    /// find again.
    Wait,
}

/// A bucket as this isolate last read (or wrote) it.
struct Read {
    at_ms: f64,
    bucket: Indexed,
    weight: usize,
    /// Pages whose map here did not fit the bytes the source sent: not used again from this
    /// read (the page is mapped here and its new map written over it).
    rejected: Vec<String>,
}

/// Maps made for one bucket and not written yet, and its writes.
#[derive(Default)]
struct Pending {
    /// Oldest first.
    entries: Vec<Entry>,
    written_at_ms: Option<f64>,
    /// When the write under way started.
    writing_since: Option<f64>,
}

/// An isolate's shared-map bookkeeping, buckets named by their cache URL
/// ([`super::bucket_url`]).
pub struct SharedMaps {
    read: LruCache<String, Read>,
    read_bytes: usize,
    budget: usize,
    pending: HashMap<String, Pending>,
    pending_count: usize,
    lookups: Lookups,
    reading: Flights<String>,
    /// The reads in [`SharedMaps::reading`] that are samples ([`Ask::Sample`]), kept as
    /// flights of their own so that one that never lands expires with its read.
    sampling: Flights<String>,
    /// When [`SharedMaps::due`] last looked.
    scanned_at_ms: Option<f64>,
}

impl SharedMaps {
    /// Nothing read yet; at most `budget` bytes of read buckets kept (least recently used out).
    pub fn new(budget: usize) -> Self {
        Self {
            read: LruCache::unbounded(),
            read_bytes: 0,
            budget,
            pending: HashMap::new(),
            pending_count: 0,
            lookups: Lookups::default(),
            reading: Flights::new(READ_FLIGHT_MS),
            sampling: Flights::new(READ_FLIGHT_MS),
            scanned_at_ms: None,
        }
    }

    /// What this isolate knows of `page` at `validator` from its bucket `bucket`, at `now` (ms):
    /// the map if the bucket as read has it; absent if the bucket was read less than
    /// [`REREAD_MS`] ago, or reads are not worth it now; wait if another request is reading it
    /// (for less than [`READ_FLIGHT_MS`]); else read the bucket, which is then in flight until
    /// [`SharedMaps::read_done`].
    pub fn find(&mut self, bucket: &str, page: &str, validator: &str, now: f64) -> Find {
        if let Some(read) = self.read.get(bucket) {
            if !read.rejected.iter().any(|r| r == page) {
                if let Some(map) = read.bucket.get(page, validator) {
                    return Find::Map(map);
                }
            }
            if (0.0..REREAD_MS).contains(&(now - read.at_ms)) {
                return Find::Absent;
            }
        }
        if self.reading.live(&bucket.to_owned(), now) {
            return Find::Wait;
        }
        match self.lookups.ask() {
            Some(ask) => {
                let bucket = bucket.to_owned();
                self.sampling.land(&bucket);
                if ask == Ask::Sample {
                    self.sampling.start(bucket.clone(), now);
                }
                self.reading.start(bucket, now);
                Find::Read
            }
            None => Find::Absent,
        }
    }

    /// The bucket `bucket` was read for `page` at `validator` (`read`: empty if the cache had
    /// none or it was refused): kept as this isolate's read of it; the page's map, if it has it.
    pub fn read_done(
        &mut self,
        bucket: &str,
        read: Indexed,
        page: &str,
        validator: &str,
        now: f64,
    ) -> Option<SlotMap> {
        let bucket_key = bucket.to_owned();
        self.reading.land(&bucket_key);
        let ask = if self.sampling.live(&bucket_key, now) {
            Ask::Sample
        } else {
            Ask::Wanted
        };
        self.sampling.land(&bucket_key);
        let found = read.get(page, validator);
        self.keep(bucket, read, now);
        self.lookups.answered(ask, found.is_some());
        found
    }

    /// The map `bucket` gave for `page` did not fit the bytes the source sent (their length):
    /// it is not used again from this read of the bucket.
    pub fn reject(&mut self, bucket: &str, page: &str) {
        if let Some(read) = self.read.peek_mut(bucket) {
            if read.rejected.len() < 64 {
                read.rejected.push(page.to_owned());
            }
        }
    }

    /// A map this isolate made for `entry.page`, in the bucket `bucket`: to be written there
    /// (unless it is too big to share, [`fits`]).
    pub fn add(&mut self, bucket: &str, entry: Entry) {
        if self.pending_count >= MAX_PENDING || !fits(&entry) {
            return;
        }
        let pending = self.pending.entry(bucket.to_owned()).or_default();
        let before = pending.entries.len();
        pending.entries.retain(|e| e.page != entry.page);
        pending.entries.push(entry);
        // Counted as it changes: a count over every bucket on each call was a visible share
        // of a mapping view (BENCHMARKS.md, "Thirteenth pass").
        self.pending_count = (self.pending_count + pending.entries.len()).saturating_sub(before);
    }

    /// The buckets to write now, with their new maps (newest first), at most a few: each has
    /// maps not written yet, is not being written, and was not written by this isolate in the
    /// last [`FLUSH_MS`]. Each is marked as being written until [`SharedMaps::written`] (or
    /// for [`WRITE_FLIGHT_MS`], after which a write that never ended is taken over).
    pub fn due(&mut self, now: f64) -> Vec<(String, Vec<Entry>)> {
        self.scanned_at_ms = Some(now);
        let mut out = Vec::new();
        for (bucket, p) in self.pending.iter_mut() {
            if out.len() == MAX_FLUSHES_AT_ONCE {
                break;
            }
            let waited = p
                .written_at_ms
                .is_none_or(|at| !(0.0..FLUSH_MS).contains(&(now - at)));
            let writing = p
                .writing_since
                .is_some_and(|at| (0.0..WRITE_FLIGHT_MS).contains(&(now - at)));
            if p.entries.is_empty() || writing || !waited {
                continue;
            }
            p.writing_since = Some(now);
            let mut entries = std::mem::take(&mut p.entries);
            self.pending_count = self.pending_count.saturating_sub(entries.len());
            entries.reverse();
            out.push((bucket.clone(), entries));
        }
        out
    }

    /// The write of `bucket` ended: `written` is what it holds now (`None`: the write failed,
    /// and its maps are not shared), kept as this isolate's read of it.
    pub fn written(&mut self, bucket: &str, written: Option<Indexed>, now: f64) {
        if let Some(p) = self.pending.get_mut(bucket) {
            p.writing_since = None;
            p.written_at_ms = Some(now);
        }
        if let Some(entries) = written {
            self.keep(bucket, entries, now);
        }
    }

    /// [`SharedMaps::due`] for a request that made no map: nothing if no map waits, or if it
    /// looked less than [`SCAN_MS`] ago.
    pub fn due_later(&mut self, now: f64) -> Vec<(String, Vec<Entry>)> {
        let recent = self
            .scanned_at_ms
            .is_some_and(|at| (0.0..SCAN_MS).contains(&(now - at)));
        if self.pending_count == 0 || recent {
            return Vec::new();
        }
        self.due(now)
    }

    /// What a write of `bucket` with `newer` (newest first) over what the cache holds
    /// (`older`) leaves there.
    pub fn merged(newer: Vec<Entry>, older: Vec<Entry>) -> Vec<Entry> {
        merge(newer, older)
    }

    /// Bytes of read buckets kept.
    pub fn bytes(&self) -> usize {
        self.read_bytes
    }

    /// Maps waiting to be written.
    pub fn pending(&self) -> usize {
        self.pending_count
    }

    fn keep(&mut self, bucket: &str, read: Indexed, now: f64) {
        let weight = ENTRY_OVERHEAD + bucket.len() + read.weight();
        if let Some(old) = self.read.pop(bucket) {
            self.read_bytes -= old.weight;
        }
        if weight > self.budget {
            return;
        }
        while self.read_bytes + weight > self.budget {
            match self.read.pop_lru() {
                Some((_, old)) => self.read_bytes -= old.weight,
                None => break,
            }
        }
        self.read_bytes += weight;
        self.read.put(
            bucket.to_owned(),
            Read {
                at_ms: now,
                bucket: read,
                weight,
                rejected: Vec::new(),
            },
        );
    }
}
