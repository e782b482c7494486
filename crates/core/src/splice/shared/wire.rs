//! How a bucket of shared maps is stored: a magic and the format, then postcard (varints,
//! length-prefixed strings) of its entries, newest first. Decoding is strict: anything that is
//! not exactly a bucket of this format, or any entry whose slots are not in order, disjoint and
//! inside the page, refuses the whole bucket.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use super::{Entry, SharedRefused, FORMAT, MAX_ENCODED, MAX_ENTRIES};
use crate::splice::{SlotMap, SlotSpan};

/// The first bytes of every encoded bucket: `vmap` and the format.
pub(super) const MAGIC: &[u8; 5] = &[b'v', b'm', b'a', b'p', FORMAT];

#[derive(Serialize, Deserialize)]
struct WireBucket<'a> {
    #[serde(borrow)]
    entries: Vec<WireEntry<'a>>,
}

/// One page's map: its page key, the validator it was made at, the page length and the slots.
#[derive(Serialize, Deserialize)]
pub(super) struct WireEntry<'a> {
    pub(super) page: &'a str,
    pub(super) validator: &'a str,
    pub(super) len: u64,
    #[serde(borrow)]
    pub(super) slots: Vec<WireSlot<'a>>,
}

/// One slot: its name and its four offsets (outer start, inner start, inner end, outer end).
#[derive(Serialize, Deserialize)]
pub(super) struct WireSlot<'a> {
    pub(super) name: &'a str,
    pub(super) at: [u64; 4],
}

fn wire(entry: &Entry) -> WireEntry<'_> {
    WireEntry {
        page: &entry.page,
        validator: &entry.validator,
        len: entry.map.len as u64,
        slots: entry
            .map
            .slots
            .iter()
            .map(|s| WireSlot {
                name: &s.name,
                at: [s.outer.start, s.inner.start, s.inner.end, s.outer.end].map(|n| n as u64),
            })
            .collect(),
    }
}

/// Whether `entry` is small enough to be shared: at most an eighth of a bucket's limit, so one
/// page with a huge map can never push every other page out of its bucket.
pub fn fits(entry: &Entry) -> bool {
    postcard::to_extend(&wire(entry), Vec::new()).is_ok_and(|b| b.len() <= MAX_ENCODED / 8)
}

/// `entries` (newest first) as a bucket is stored: at most [`MAX_ENTRIES`] of them, and the
/// oldest left out until it is at most [`MAX_ENCODED`] bytes.
pub fn encode(entries: &[Entry]) -> Vec<u8> {
    let mut kept: Vec<WireEntry<'_>> = entries.iter().take(MAX_ENTRIES).map(wire).collect();
    loop {
        let bucket = WireBucket { entries: kept };
        if let Ok(out) = postcard::to_extend(&bucket, MAGIC.to_vec()) {
            if out.len() <= MAX_ENCODED {
                return out;
            }
        }
        kept = bucket.entries;
        // Over the limit: drop the oldest eighth (at least one) and try again.
        let keep = kept.len() - kept.len().div_ceil(8);
        kept.truncate(keep);
    }
}

/// The entries of the bucket in `bytes`, newest first, if it is a bucket of this format whose
/// every map is sound.
pub fn decode(bytes: &[u8]) -> Result<Vec<Entry>, SharedRefused> {
    checked(bytes)?
        .into_iter()
        .map(|(_, e)| {
            let map = map(&e).map_err(|_| SharedRefused::Decode("unchecked map".into()))?;
            Ok(Entry {
                page: e.page.to_owned(),
                validator: e.validator.to_owned(),
                map,
            })
        })
        .collect()
}

/// A bucket as an isolate keeps it once read: its bytes, checked whole, and where each page's
/// entry starts, so a page's map is decoded only when it is asked for.
pub struct Indexed {
    bytes: Vec<u8>,
    /// By a hash of the page key: the offset of the newest entry with that hash.
    index: HashMap<u64, u32>,
}

impl Indexed {
    /// The bucket in `bytes`, if it is a bucket of this format whose every map is sound.
    pub fn new(bytes: Vec<u8>) -> Result<Self, SharedRefused> {
        let mut index = HashMap::new();
        for (offset, e) in checked(&bytes)? {
            index.entry(page_hash(e.page)).or_insert(offset);
        }
        Ok(Self { bytes, index })
    }

    /// A bucket with no entry (none in the cache, or one refused).
    pub fn empty() -> Self {
        Self {
            bytes: Vec::new(),
            index: HashMap::new(),
        }
    }

    /// The map of `page` at `validator`, if the bucket has it.
    pub fn get(&self, page: &str, validator: &str) -> Option<SlotMap> {
        let offset = *self.index.get(&page_hash(page))? as usize;
        let (e, _): (WireEntry<'_>, _) =
            postcard::take_from_bytes(self.bytes.get(offset..)?).ok()?;
        if e.page != page || e.validator != validator {
            return None;
        }
        map(&e).ok()
    }

    /// Entries indexed.
    pub fn len(&self) -> usize {
        self.index.len()
    }

    /// Whether it indexes no entry.
    pub fn is_empty(&self) -> bool {
        self.index.is_empty()
    }

    /// Approximate heap bytes held.
    pub fn weight(&self) -> usize {
        self.bytes.capacity() + self.index.len() * 24
    }
}

fn page_hash(page: &str) -> u64 {
    xxhash_rust::xxh3::xxh3_64(page.as_bytes())
}

/// The entries of the bucket in `bytes` with the offset each starts at, every map checked.
fn checked(bytes: &[u8]) -> Result<Vec<(u32, WireEntry<'_>)>, SharedRefused> {
    if bytes.len() > MAX_ENCODED {
        return Err(SharedRefused::TooLong { len: bytes.len() });
    }
    let body = bytes.strip_prefix(MAGIC).ok_or(SharedRefused::Format)?;
    let decode_error = |e: postcard::Error| SharedRefused::Decode(e.to_string());
    // A bucket is a postcard sequence: its length (a varint), then its entries one after another.
    let (count, mut rest): (u64, &[u8]) = postcard::take_from_bytes(body).map_err(decode_error)?;
    if count > MAX_ENTRIES as u64 {
        return Err(SharedRefused::Decode(format!(
            "{count} entries, over {MAX_ENTRIES}"
        )));
    }
    let mut out = Vec::with_capacity(count as usize);
    for entry in 0..count as usize {
        let offset = (bytes.len() - rest.len()) as u32;
        let (e, after): (WireEntry<'_>, &[u8]) =
            postcard::take_from_bytes(rest).map_err(decode_error)?;
        map(&e).map_err(|slot| SharedRefused::Slots { entry, slot })?;
        out.push((offset, e));
        rest = after;
    }
    if !rest.is_empty() {
        return Err(SharedRefused::Decode(format!(
            "{} bytes after the bucket",
            rest.len()
        )));
    }
    Ok(out)
}

/// The map of `e` if its slots are in order, disjoint, each with its content inside its
/// element, all inside the page: the invariants [`SlotMap::parts`] relies on. `Err`: the first
/// slot that is not.
fn map(e: &WireEntry<'_>) -> Result<SlotMap, usize> {
    let len = usize::try_from(e.len).map_err(|_| 0usize)?;
    let mut slots: Vec<SlotSpan> = Vec::with_capacity(e.slots.len());
    let mut cursor = 0usize;
    for (index, slot) in e.slots.iter().enumerate() {
        let mut at = [0usize; 4];
        for (to, from) in at.iter_mut().zip(slot.at) {
            *to = usize::try_from(from).map_err(|_| index)?;
        }
        let [outer_start, inner_start, inner_end, outer_end] = at;
        let ordered = cursor <= outer_start
            && outer_start <= inner_start
            && inner_start <= inner_end
            && inner_end <= outer_end
            && outer_end <= len;
        if !ordered {
            return Err(index);
        }
        cursor = outer_end;
        slots.push(SlotSpan {
            name: slot.name.into(),
            outer: outer_start..outer_end,
            inner: inner_start..inner_end,
        });
    }
    Ok(SlotMap { len, slots })
}
