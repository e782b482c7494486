//! Slot maps shared between isolates: what one isolate learned about a page, so that another
//! isolate of the same colo splices the page on its first view there instead of parsing it.
//!
//! An isolate starts knowing no page, and on a shop with a long tail a third of its requests are
//! a page's first view in that isolate (BENCHMARKS.md, "Eighth pass"). A map is a few offsets and
//! never sees a visitor (it is made from the page alone), so it can be shared: the Worker keeps
//! the maps its isolates make in a named Cache API cache, which every isolate of a colo reads.
//!
//! **Buckets.** A Cache API read is a subrequest, about what a whole spliced page costs
//! otherwise (BENCHMARKS.md, "Tenth pass"), so maps are not stored one per page but in
//! [`BUCKETS`] buckets per site ([`bucket_url`], by a hash of the page key): an isolate that
//! reads one bucket learns the maps of every page in it, and after a few hundred reads knows
//! every page the colo has mapped. [`SharedMaps`] is an isolate's bookkeeping: which buckets it
//! has read and when (a page a bucket did not have is asked for again only once the bucket is
//! [`REREAD_MS`] old), the maps it made and has not shared yet, and when each bucket may be
//! written again (a bucket is read, merged with the new maps and written back at most once per
//! [`FLUSH_MS`] per isolate, the newest [`MAX_ENTRIES`] entries kept). Two isolates that write
//! one bucket at once may lose one's new entries: the page is then mapped again where it is
//! next asked for, and shared again.
//!
//! A bucket is untrusted input, like anything read back from a store: [`decode`] refuses
//! anything that is not exactly a bucket of this format, any bucket whose slot names would
//! spell out more than [`MAX_NAME_BYTES`] once decoded, and any bucket with a map whose slots
//! name no listed name or are not in order, disjoint and inside the page (the invariants
//! [`SlotMap::parts`] relies on, so a decoded map splices exactly as the map that was
//! encoded). A map is used only **at
//! the validator the source just sent** (the validator covers the `ETag` or `Last-Modified`,
//! the length and the type, and a bucket knows a page and its validator by 64-bit SHA-256 ids,
//! [`page_id`] and [`version_id`], both of which must match; the Worker also checks the length
//! of the bytes it splices): the
//! same guarantee as the maps an isolate makes itself, which hold as long as the page source
//! changes the validator when it changes the page. A map whose length does not fit the bytes
//! is not used again ([`SharedMaps::reject`]); the page is mapped and its new map written.

mod state;
mod wire;

#[cfg(test)]
mod tests;

pub use state::{
    Ask, Find, Lookups, SharedMaps, LOOKUPS_BEFORE_JUDGING, READ_FLIGHT_MS, SAMPLE_WHEN_COLD,
    SAMPLE_WHEN_COLD_MAX, SCAN_MS, WRITE_FLIGHT_MS,
};
pub use wire::{decode, encode, fits, Indexed, MAX_NAMES, MAX_NAME_BYTES};

use super::SlotMap;

/// The format of buckets, also in [`bucket_url`]: a Worker that stores maps differently reads
/// and writes other entries. It names what a map means too, so it changes whenever how a page
/// is mapped changes (what a slot is, where its offsets point): buckets outlive a deployment,
/// and versions of the Worker share a colo while one rolls out.
pub const FORMAT: u8 = 3;

/// Buckets per site.
pub const BUCKETS: u16 = 256;
const _: () = assert!(
    BUCKETS <= 1000 && FORMAT < 10,
    "bucket_url writes the bucket in 3 digits and the format in 1"
);

/// Entries a bucket keeps (the newest).
pub const MAX_ENTRIES: usize = 512;

/// The largest bucket read or written.
pub const MAX_ENCODED: usize = 256 << 10;

/// How long after reading a bucket an isolate trusts it to be complete: a page it did not have
/// is not asked for again before (ms).
pub const REREAD_MS: f64 = 30_000.0;

/// How often an isolate writes one bucket at most (ms).
pub const FLUSH_MS: f64 = 5_000.0;

/// How long a bucket is kept in the cache (seconds): a map is only applied at the validator it
/// was made at, so an old one does no harm; the cache drops unused entries first.
pub const MAX_AGE_SECS: u32 = 7 * 86_400;

/// The path under a site's origin that names shared maps in the cache.
const CACHE_PATH: &str = "/__vitrine/maps/";

/// What a bucket stores instead of a page key or a validator: the first 8 bytes of a SHA-256
/// ([`page_id`], [`version_id`]).
pub type Id = [u8; 8];

/// One page's map as shared: its page, the page at the validator the map was made at, and the
/// map.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The page key's id ([`page_id`]).
    pub page: Id,
    /// The id of the page key with the validator the map was made at ([`version_id`]).
    pub version: Id,
    /// Where its slots are.
    pub map: SlotMap,
}

impl Entry {
    /// The entry of `map`, made for the page key `page` at `validator`
    /// ([`crate::splice::validator`]).
    pub fn new(page: &str, validator: &str, map: SlotMap) -> Self {
        Self {
            page: page_id(page),
            version: version_id(page, validator),
            map,
        }
    }
}

/// The id a bucket knows the page key `page` by: the first 8 bytes of a SHA-256 of it, so a
/// bucket holds no URL and an entry is a few dozen bytes (a colo that knows a whole catalog
/// fits the bytes an isolate keeps of its buckets).
pub fn page_id(page: &str) -> Id {
    id(&[b"vitrine shared page\0", page.as_bytes()])
}

/// The id of the page key `page` at `validator`: 64 bits of a SHA-256 over both, so this id
/// alone binds the page and the validator (a map is found only if its page id matches too, and
/// the Worker still checks the length of the bytes it splices).
pub fn version_id(page: &str, validator: &str) -> Id {
    let len = (page.len() as u64).to_le_bytes();
    id(&[
        b"vitrine shared version\0",
        &len,
        page.as_bytes(),
        validator.as_bytes(),
    ])
}

fn id(parts: &[&[u8]]) -> Id {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    for part in parts {
        h.update(part);
    }
    let digest = h.finalize();
    let mut out = [0u8; 8];
    out.copy_from_slice(&digest[..8]);
    out
}

/// Why a bucket read from the cache was not used. None of these is an error of the request:
/// the page is mapped as if nothing had been shared.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SharedRefused {
    /// Longer than [`MAX_ENCODED`].
    #[error("shared bucket of {len} bytes is over the {MAX_ENCODED}-byte limit")]
    TooLong {
        /// Its length.
        len: usize,
    },
    /// Not a bucket of this format (another format, or not a bucket at all).
    #[error("shared bucket has no vmap format-{FORMAT} magic")]
    Format,
    /// The bytes after the magic do not decode, hold too many names or entries, spell out too
    /// many bytes of slot names, or are followed by more.
    #[error("shared bucket does not decode: {0}")]
    Decode(String),
    /// A map's slots are not in order, overlap, reach past the page, or name no listed name.
    #[error(
        "shared bucket's entry {entry}: slot {slot} is out of order, outside the page or unnamed"
    )]
    Slots {
        /// The entry.
        entry: usize,
        /// Its first slot that is not.
        slot: usize,
    },
}

impl SharedRefused {
    /// A short code for logs.
    pub fn code(&self) -> &'static str {
        match self {
            Self::TooLong { .. } => "too_long",
            Self::Format => "format",
            Self::Decode(_) => "decode",
            Self::Slots { .. } => "slots",
        }
    }
}

/// The `SHARED_MAPS` setting: `on` (or unset) or `off`; anything else is refused, with the
/// message to log (`on` is used).
pub fn setting(value: Option<&str>) -> Result<bool, String> {
    let Some(value) = value else {
        return Ok(true);
    };
    match value.trim().to_ascii_lowercase().as_str() {
        "on" | "1" | "true" | "" => Ok(true),
        "off" | "0" | "false" => Ok(false),
        _ => Err(format!(
            "SHARED_MAPS {:?} is not on or off; on is used",
            value.trim()
        )),
    }
}

/// The bucket a page key falls in.
pub fn bucket_of(page_key: &str) -> u16 {
    (xxhash_rust::xxh3::xxh3_64(page_key.as_bytes()) % u64::from(BUCKETS)) as u16
}

/// The cache URL of the bucket the page key `page_key` (an absolute `http(s)` URL) falls in:
/// the page's own origin, a path of vitrine's, the format, whether the attribute form of slots
/// was on (it changes which elements are slots), and the bucket. `None` for a page key that is
/// not an absolute `http(s)` URL.
pub fn bucket_url(page_key: &str, attribute_slots: bool) -> Option<String> {
    // Byte scans and pushes, not `find("://")` and `format!`: this runs on every page new to
    // an isolate, mostly in V8's baseline tier, where a searcher built per call and the
    // formatting machinery cost more than the rest of the function (BENCHMARKS.md, the
    // seventeenth pass).
    let bytes = page_key.as_bytes();
    // The scheme ends at the first ':' (a scheme has none), which must start "://".
    let scheme_end = bytes.iter().position(|&b| b == b':')?;
    if !bytes[scheme_end..].starts_with(b"://") {
        return None;
    }
    let scheme = &bytes[..scheme_end];
    if !scheme.eq_ignore_ascii_case(b"http") && !scheme.eq_ignore_ascii_case(b"https") {
        return None;
    }
    let after = scheme_end + 3;
    let host_end = bytes[after..]
        .iter()
        .position(|&b| matches!(b, b'/' | b'?' | b'#'))
        .map_or(bytes.len(), |i| after + i);
    if host_end == after {
        return None;
    }
    let bucket = bucket_of(page_key);
    let mut url = String::with_capacity(host_end + CACHE_PATH.len() + 8);
    url.push_str(&page_key[..host_end]);
    url.push_str(CACHE_PATH);
    url.push(char::from(b'0' + FORMAT));
    url.push(if attribute_slots { 'a' } else { 't' });
    url.push('/');
    // Three digits, zero-padded (`BUCKETS` is at most 1,000).
    for d in [bucket / 100 % 10, bucket / 10 % 10, bucket % 10] {
        url.push(char::from(b'0' + d as u8));
    }
    Some(url)
}

/// A bucket after adding `newer` (newest first) to `older`: the newer entries first, then the
/// older ones for other pages, at most [`MAX_ENTRIES`].
pub fn merge(newer: Vec<Entry>, older: Vec<Entry>) -> Vec<Entry> {
    let mut seen = std::collections::HashSet::new();
    let mut out: Vec<Entry> = Vec::with_capacity((newer.len() + older.len()).min(MAX_ENTRIES));
    for e in newer.into_iter().chain(older) {
        if out.len() == MAX_ENTRIES {
            break;
        }
        if seen.insert(e.page) {
            out.push(e);
        }
    }
    out
}
