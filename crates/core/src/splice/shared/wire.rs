//! How a bucket of shared maps is stored: a magic and the format, then postcard (varints,
//! length-prefixed strings) of the bucket's slot names (each once) and its entries, newest
//! first. An entry names its page and validator by ids, not by the strings
//! ([`super::page_id`], [`super::version_id`]), and its slots by their place in the names, so a
//! colo that knows a whole catalog fits the bytes an isolate keeps of it. Decoding is strict:
//! anything that is not exactly a bucket of this format, any slot name that is not in the
//! names, or any entry whose slots are not in order, disjoint and inside the page, refuses the
//! whole bucket.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use super::{page_id, version_id, Entry, Id, SharedRefused, FORMAT, MAX_ENCODED, MAX_ENTRIES};
use crate::splice::{SlotMap, SlotSpan};

/// The first bytes of every encoded bucket: `vmap` and the format.
pub(super) const MAGIC: &[u8; 5] = &[b'v', b'm', b'a', b'p', FORMAT];

/// The most slot names a bucket may list (a site has a few).
pub const MAX_NAMES: usize = 4_096;

/// The most bytes the slot names of a bucket's maps may spell out, every slot's name counted
/// (what decoding its maps allocates): a name is listed once but named by any number of slots,
/// so without this a small bucket could decode to a huge one. The old format's bound, when
/// names were written with each slot.
pub const MAX_NAME_BYTES: usize = MAX_ENCODED;

#[derive(Serialize)]
struct WireBucket<'a> {
    names: Vec<&'a str>,
    entries: Vec<WireEntry>,
}

/// One page's map: its page's id, its version's id, the page length and the slots.
#[derive(Serialize, Deserialize)]
pub(super) struct WireEntry {
    pub(super) page: Id,
    pub(super) version: Id,
    pub(super) len: u64,
    pub(super) slots: Vec<WireSlot>,
}

/// One slot: its name (its place in the bucket's names) and its four offsets as steps, each
/// from the one before: the outer start from the previous slot's outer end (or the page's
/// start), then the inner start, the inner end and the outer end. Steps are small numbers (a
/// start tag's length, a slot's content), so most take a byte or two.
#[derive(Serialize, Deserialize)]
pub(super) struct WireSlot {
    pub(super) name: u32,
    pub(super) at: [u64; 4],
}

/// The slot names of `entries`, each once, in the order they first appear, and an entry's
/// slots as they are written against them. Found by a hash map: a site whose slot names carry
/// ids can have thousands, and a look through them per slot would be quadratic.
struct Names<'a> {
    names: Vec<&'a str>,
    at: HashMap<&'a str, u32>,
    /// The bytes the slots written so far spell out ([`MAX_NAME_BYTES`]).
    spelled: usize,
}

impl<'a> Names<'a> {
    fn new() -> Self {
        Self {
            names: Vec::new(),
            at: HashMap::new(),
            spelled: 0,
        }
    }

    /// Whether the names written so far are within a bucket's limits, `share` of them (an
    /// entry may take an eighth).
    fn within(&self, share: usize) -> bool {
        self.names.len() <= MAX_NAMES / share && self.spelled <= MAX_NAME_BYTES / share
    }

    /// The place of `name` in the names, added if new.
    fn place(&mut self, name: &'a str) -> u32 {
        let next = self.names.len() as u32;
        let at = *self.at.entry(name).or_insert(next);
        if at == next {
            self.names.push(name);
        }
        at
    }

    fn wire(&mut self, entry: &'a Entry) -> WireEntry {
        let mut cursor = 0usize;
        let slots = entry
            .map
            .slots
            .iter()
            .map(|s| {
                let name = self.place(&s.name);
                self.spelled = self.spelled.saturating_add(s.name.len());
                // A map's slots are in order and nested as `map` checks, so no step is
                // negative; one that were would wrap, and the bucket would be refused.
                let at = [
                    s.outer.start.wrapping_sub(cursor),
                    s.inner.start.wrapping_sub(s.outer.start),
                    s.inner.end.wrapping_sub(s.inner.start),
                    s.outer.end.wrapping_sub(s.inner.end),
                ]
                .map(|n| n as u64);
                cursor = s.outer.end;
                WireSlot { name, at }
            })
            .collect();
        WireEntry {
            page: entry.page,
            version: entry.version,
            len: entry.map.len as u64,
            slots,
        }
    }
}

/// Whether `entry` is small enough to be shared: at most an eighth of each of a bucket's
/// limits (its bytes, its names, the bytes its names spell out), so one page with a huge map
/// can never push every other page out of its bucket.
pub fn fits(entry: &Entry) -> bool {
    let mut names = Names::new();
    let wire = names.wire(entry);
    let within = names.within(8);
    let bucket = WireBucket {
        names: names.names,
        entries: vec![wire],
    };
    within && postcard::to_extend(&bucket, MAGIC.to_vec()).is_ok_and(|b| b.len() <= MAX_ENCODED / 8)
}

/// `entries` (newest first) as a bucket is stored: at most [`MAX_ENTRIES`] of them, and the
/// oldest left out until it is within a bucket's limits: at most [`MAX_ENCODED`] bytes,
/// [`MAX_NAMES`] names and [`MAX_NAME_BYTES`] spelled out. What it writes always decodes.
pub fn encode(entries: &[Entry]) -> Vec<u8> {
    let mut keep = entries.len().min(MAX_ENTRIES);
    loop {
        let mut names = Names::new();
        let wired = entries[..keep].iter().map(|e| names.wire(e)).collect();
        let within = names.within(1);
        let bucket = WireBucket {
            names: names.names,
            entries: wired,
        };
        if within {
            if let Ok(out) = postcard::to_extend(&bucket, MAGIC.to_vec()) {
                if out.len() <= MAX_ENCODED {
                    return out;
                }
            }
        }
        // Over the limit: drop the oldest eighth (at least one) and try again.
        keep -= keep.div_ceil(8);
    }
}

/// The entries of the bucket in `bytes`, newest first, if it is a bucket of this format whose
/// every map is sound.
pub fn decode(bytes: &[u8]) -> Result<Vec<Entry>, SharedRefused> {
    let (names, entries) = checked(bytes)?;
    entries
        .into_iter()
        .map(|(_, e)| {
            let map = map(&e, &names).map_err(|_| SharedRefused::Decode("unchecked map".into()))?;
            Ok(Entry {
                page: e.page,
                version: e.version,
                map,
            })
        })
        .collect()
}

/// A bucket as an isolate keeps it once read: its bytes, checked whole, its slot names, and
/// where each page's entry starts, so a page's map is decoded only when it is asked for.
pub struct Indexed {
    bytes: Vec<u8>,
    names: Vec<Box<str>>,
    /// Page ids with the offset of the newest entry of that page, sorted by id (12 bytes a
    /// page, where a hash map would take about twice as many).
    index: Vec<(Id, u32)>,
}

impl Indexed {
    /// The bucket in `bytes`, if it is a bucket of this format whose every map is sound.
    pub fn new(bytes: Vec<u8>) -> Result<Self, SharedRefused> {
        let mut bytes = bytes;
        bytes.shrink_to_fit();
        let (names, entries) = checked(&bytes)?;
        let mut index: Vec<(Id, u32)> = entries.iter().map(|(at, e)| (e.page, *at)).collect();
        // Within a page, the newest entry has the smallest offset: it sorts first.
        index.sort_unstable();
        index.dedup_by_key(|&mut (id, _)| id);
        index.shrink_to_fit();
        let names = names.into_iter().map(Box::from).collect();
        Ok(Self {
            bytes,
            names,
            index,
        })
    }

    /// A bucket with no entry (none in the cache, or one refused).
    pub fn empty() -> Self {
        Self {
            bytes: Vec::new(),
            names: Vec::new(),
            index: Vec::new(),
        }
    }

    /// The map of `page` at `validator`, if the bucket has it.
    pub fn get(&self, page: &str, validator: &str) -> Option<SlotMap> {
        let id = page_id(page);
        let at = self.index.binary_search_by_key(&id, |&(id, _)| id).ok()?;
        let offset = self.index[at].1 as usize;
        let (e, _): (WireEntry, _) = postcard::take_from_bytes(self.bytes.get(offset..)?).ok()?;
        if e.version != version_id(page, validator) {
            return None;
        }
        map(&e, &self.names).ok()
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
        self.bytes.capacity()
            + self.index.capacity() * std::mem::size_of::<(Id, u32)>()
            + self.names.iter().map(|n| n.len() + 16).sum::<usize>()
    }
}

type Checked<'a> = (Vec<&'a str>, Vec<(u32, WireEntry)>);

/// The slot names of the bucket in `bytes`, and its entries with the offset each starts at,
/// every map checked.
fn checked(bytes: &[u8]) -> Result<Checked<'_>, SharedRefused> {
    if bytes.len() > MAX_ENCODED {
        return Err(SharedRefused::TooLong { len: bytes.len() });
    }
    let body = bytes.strip_prefix(MAGIC).ok_or(SharedRefused::Format)?;
    let decode_error = |e: postcard::Error| SharedRefused::Decode(e.to_string());
    // The names (a varint count, then length-prefixed strings), then the entries (a varint
    // count, then one entry after another).
    let (name_count, mut rest): (u64, &[u8]) =
        postcard::take_from_bytes(body).map_err(decode_error)?;
    if name_count > MAX_NAMES as u64 {
        return Err(SharedRefused::Decode(format!(
            "{name_count} slot names, over {MAX_NAMES}"
        )));
    }
    let mut names = Vec::with_capacity(name_count as usize);
    for _ in 0..name_count {
        let (name, after): (&str, &[u8]) = postcard::take_from_bytes(rest).map_err(decode_error)?;
        names.push(name);
        rest = after;
    }
    let (count, after): (u64, &[u8]) = postcard::take_from_bytes(rest).map_err(decode_error)?;
    rest = after;
    if count > MAX_ENTRIES as u64 {
        return Err(SharedRefused::Decode(format!(
            "{count} entries, over {MAX_ENTRIES}"
        )));
    }
    let mut out = Vec::with_capacity(count as usize);
    let mut spelled = 0usize;
    for entry in 0..count as usize {
        let offset = (bytes.len() - rest.len()) as u32;
        let (e, after): (WireEntry, &[u8]) =
            postcard::take_from_bytes(rest).map_err(decode_error)?;
        // Counted before any map is decoded: what decoding them would allocate (a slot naming
        // no listed name is refused by `map` below).
        for slot in &e.slots {
            let name = usize::try_from(slot.name).ok().and_then(|n| names.get(n));
            spelled = spelled.saturating_add(name.map_or(0, |n| n.len()));
        }
        if spelled > MAX_NAME_BYTES {
            return Err(SharedRefused::Decode(format!(
                "slot names spell out over {MAX_NAME_BYTES} bytes"
            )));
        }
        map(&e, &names).map_err(|slot| SharedRefused::Slots { entry, slot })?;
        out.push((offset, e));
        rest = after;
    }
    if !rest.is_empty() {
        return Err(SharedRefused::Decode(format!(
            "{} bytes after the bucket",
            rest.len()
        )));
    }
    Ok((names, out))
}

/// The map of `e` if its slots name one of `names` and are in order, disjoint, each with its
/// content inside its element, all inside the page: the invariants [`SlotMap::parts`] relies
/// on. `Err`: the first slot that is not.
fn map<N: AsRef<str>>(e: &WireEntry, names: &[N]) -> Result<SlotMap, usize> {
    let len = usize::try_from(e.len).map_err(|_| 0usize)?;
    let mut slots: Vec<SlotSpan> = Vec::with_capacity(e.slots.len());
    let mut cursor = 0usize;
    for (index, slot) in e.slots.iter().enumerate() {
        let name = usize::try_from(slot.name)
            .ok()
            .and_then(|n| names.get(n))
            .ok_or(index)?;
        // Each offset is the one before plus its step: in order by construction, and refused
        // if a sum overflows or the slot ends past the page.
        let mut at = [0usize; 4];
        let mut from = cursor;
        for (to, step) in at.iter_mut().zip(slot.at) {
            let step = usize::try_from(step).map_err(|_| index)?;
            from = from.checked_add(step).ok_or(index)?;
            *to = from;
        }
        let [outer_start, inner_start, inner_end, outer_end] = at;
        if outer_end > len {
            return Err(index);
        }
        cursor = outer_end;
        slots.push(SlotSpan {
            name: name.as_ref().into(),
            outer: outer_start..outer_end,
            inner: inner_start..inner_end,
        });
    }
    Ok(SlotMap { len, slots })
}
