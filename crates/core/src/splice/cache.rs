//! The per-isolate cache of recorded pages, bounded by bytes with least-recently-used eviction.
//!
//! One entry per URL, valid for one *validator* of the page (see [`validator`]); a page that
//! changed (new validator) is a miss and is recorded again, replacing the old entry. Pages that
//! cannot be spliced are remembered too (as cheap refusals), so they are not re-recorded on
//! every request. The cache is generic over how the page bytes are held (`P`), so the Worker
//! can keep them on the JS side while this logic is tested natively.
//!
//! A page's entry is charged for its bytes plus room for [`BODIES_PER_PAGE`] assembled bodies
//! ([`Bodies`]): visitors fall into few decisions, so the Worker keeps the finished body per
//! distinct plan and serves it again without assembling it.

use std::collections::HashMap;
use std::rc::Rc;

use super::SlotMap;

/// Weight charged for a refusal or an entry's key and bookkeeping, in bytes.
const ENTRY_OVERHEAD: usize = 128;

/// Assembled bodies kept per recorded page (one per distinct plan, the oldest replaced).
pub const BODIES_PER_PAGE: usize = 4;

/// A recorded page: its template and its bytes, held as `P`.
#[derive(Debug)]
pub struct Recorded<P> {
    /// Where the slots are.
    pub template: SlotMap,
    /// The page bytes the template was recorded from.
    pub page: P,
}

/// What the cache knows about a page at a validator.
#[derive(Debug)]
pub enum Known<P> {
    /// Recorded: splice it.
    Spliceable(Rc<Recorded<P>>),
    /// Seen and refused: stream it, and do not try to record it again.
    Refused,
}

impl<P> Clone for Known<P> {
    fn clone(&self) -> Self {
        match self {
            Self::Spliceable(r) => Self::Spliceable(Rc::clone(r)),
            Self::Refused => Self::Refused,
        }
    }
}

struct Entry<P> {
    validator: String,
    known: Known<P>,
    weight: usize,
    used: u64,
}

/// Recorded pages by URL, at most `budget` bytes in all.
pub struct PageCache<P> {
    entries: HashMap<String, Entry<P>>,
    bytes: usize,
    budget: usize,
    max_page: usize,
    tick: u64,
}

impl<P> PageCache<P> {
    /// An empty cache of at most `budget` bytes that records pages of at most `max_page` bytes.
    pub fn new(budget: usize, max_page: usize) -> Self {
        Self {
            entries: HashMap::new(),
            bytes: 0,
            budget,
            max_page: max_page.min(budget),
            tick: 0,
        }
    }

    /// The largest page worth buffering for a recording.
    pub fn max_page(&self) -> usize {
        self.max_page
    }

    /// Bytes held now.
    pub fn bytes(&self) -> usize {
        self.bytes
    }

    /// Number of pages known.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether no page is known.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// What is known about `url` at `validator`; marks it recently used.
    pub fn get(&mut self, url: &str, validator: &str) -> Option<Known<P>> {
        self.tick += 1;
        let entry = self.entries.get_mut(url)?;
        if entry.validator != validator {
            return None;
        }
        entry.used = self.tick;
        Some(entry.known.clone())
    }

    /// What is known about `url` at whatever validator it was last seen with; marks it
    /// recently used. For pages keyed by their content, whose validator (a hash of the body)
    /// is only known once the body has been read.
    pub fn latest(&mut self, url: &str) -> Option<(String, Known<P>)> {
        self.tick += 1;
        let entry = self.entries.get_mut(url)?;
        entry.used = self.tick;
        Some((entry.validator.clone(), entry.known.clone()))
    }

    /// The page recorded for `url`, at whatever validator: the Worker revalidates it with the
    /// page source, and a `304` means the recording is still the page.
    pub fn recorded(&self, url: &str) -> Option<Rc<Recorded<P>>> {
        match &self.entries.get(url)?.known {
            Known::Spliceable(recorded) => Some(Rc::clone(recorded)),
            Known::Refused => None,
        }
    }

    /// Stores a recorded page (`page_len` bytes held as `page`), evicting the least recently
    /// used entries to stay within budget. Pages over `max_page` are not stored.
    pub fn insert_recorded(&mut self, url: &str, validator: &str, template: SlotMap, page: P) {
        let page_len = template.len();
        if page_len > self.max_page {
            return;
        }
        // The page, and room for its assembled bodies (each about a page long).
        let weight = ENTRY_OVERHEAD
            + url.len()
            + validator.len()
            + page_len * (1 + BODIES_PER_PAGE)
            + template.weight();
        let known = Known::Spliceable(Rc::new(Recorded { template, page }));
        self.put(url, validator, known, weight);
    }

    /// Remembers that `url` at `validator` cannot be spliced.
    pub fn insert_refused(&mut self, url: &str, validator: &str) {
        let weight = ENTRY_OVERHEAD + url.len() + validator.len();
        self.put(url, validator, Known::Refused, weight);
    }

    fn put(&mut self, url: &str, validator: &str, known: Known<P>, weight: usize) {
        self.tick += 1;
        if let Some(old) = self.entries.remove(url) {
            self.bytes -= old.weight;
        }
        while self.bytes + weight > self.budget && self.evict_one() {}
        if self.bytes + weight > self.budget {
            return;
        }
        self.bytes += weight;
        let entry = Entry {
            validator: validator.to_owned(),
            known,
            weight,
            used: self.tick,
        };
        self.entries.insert(url.to_owned(), entry);
    }

    fn evict_one(&mut self) -> bool {
        let Some(oldest) = self
            .entries
            .iter()
            .min_by_key(|(_, e)| e.used)
            .map(|(k, _)| k.clone())
        else {
            return false;
        };
        if let Some(e) = self.entries.remove(&oldest) {
            self.bytes -= e.weight;
        }
        true
    }
}

/// The assembled bodies of one page, by plan: at most [`BODIES_PER_PAGE`], the oldest
/// replaced first. Keyed by [`plan_key`], the plan's full content, so two plans share a body
/// only when they produce the same bytes.
#[derive(Debug)]
pub struct Bodies<B> {
    items: Vec<(String, B)>,
    next: usize,
}

impl<B> Default for Bodies<B> {
    fn default() -> Self {
        Self {
            items: Vec::new(),
            next: 0,
        }
    }
}

impl<B: Clone> Bodies<B> {
    /// The body assembled for `key`, if kept.
    pub fn get(&self, key: &str) -> Option<B> {
        self.items
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, b)| b.clone())
    }

    /// Keeps `body` for `key`, replacing the oldest when full.
    pub fn put(&mut self, key: String, body: B) {
        if self.items.len() < BODIES_PER_PAGE {
            self.items.push((key, body));
        } else if let Some(slot) = self.items.get_mut(self.next % BODIES_PER_PAGE) {
            *slot = (key, body);
        }
        self.next = (self.next + 1) % BODIES_PER_PAGE;
    }
}

/// A key naming exactly what a plan inserts where: slot, op and fragment of every edit.
pub fn plan_key(plan: &crate::render::Plan) -> String {
    let mut key = String::new();
    for edit in plan.edits() {
        // Length-prefixed, so no content can make two different plans collide.
        for part in [&*edit.slot, edit.op.keyword(), &*edit.html] {
            key.push_str(&part.len().to_string());
            key.push(':');
            key.push_str(part);
        }
    }
    key
}

/// The validator a page is cached under, from its response headers, or `None` when the page
/// has no `ETag` and no `Last-Modified` (such pages are always streamed).
///
/// Length and type are part of it too, so a page that changed without a new validator (an
/// origin that reuses `Last-Modified` within one second) is still a miss when its size or
/// charset changed.
pub fn validator(
    etag: Option<&str>,
    last_modified: Option<&str>,
    content_length: Option<&str>,
    content_type: Option<&str>,
) -> Option<String> {
    if etag.is_none() && last_modified.is_none() {
        return None;
    }
    let f = |v: Option<&str>| v.unwrap_or("").trim().to_owned();
    Some(format!(
        "{}\n{}\n{}\n{}",
        f(etag),
        f(last_modified),
        f(content_length),
        f(content_type)
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rewrite::Limits;
    use crate::splice::record;

    fn template(len: usize) -> SlotMap {
        record(&vec![b'x'; len], Limits::default(), None).unwrap()
    }

    fn cache(budget: usize) -> PageCache<Vec<u8>> {
        PageCache::new(budget, budget)
    }

    #[test]
    fn hit_needs_same_validator() {
        let mut c = cache(10_000);
        c.insert_recorded("/a", "v1", template(10), vec![b'x'; 10]);
        assert!(matches!(c.get("/a", "v1"), Some(Known::Spliceable(_))));
        assert!(c.get("/a", "v2").is_none());
        assert!(c.get("/b", "v1").is_none());
    }

    #[test]
    fn recorded_is_found_by_url_alone_and_never_for_refusals() {
        let mut c = cache(10_000);
        c.insert_recorded("/a", "v1", template(10), vec![b'x'; 10]);
        c.insert_refused("/r", "v1");
        assert_eq!(c.recorded("/a").map(|r| r.page.len()), Some(10));
        assert!(c.recorded("/r").is_none());
        assert!(c.recorded("/b").is_none());
    }

    #[test]
    fn latest_is_whatever_was_last_seen_for_the_url() {
        let mut c = cache(10_000);
        assert!(c.latest("/a").is_none());
        c.insert_recorded("/a", "sha256:1", template(10), vec![b'x'; 10]);
        let (validator, known) = c.latest("/a").unwrap();
        assert_eq!(validator, "sha256:1");
        assert!(matches!(known, Known::Spliceable(r) if r.page.len() == 10));
        c.insert_refused("/a", "sha256:2");
        let (validator, known) = c.latest("/a").unwrap();
        assert_eq!(validator, "sha256:2");
        assert!(matches!(known, Known::Refused));
    }

    #[test]
    fn new_validator_replaces_the_old_entry() {
        let mut c = cache(10_000);
        c.insert_recorded("/a", "v1", template(100), vec![]);
        let before = c.bytes();
        c.insert_recorded("/a", "v2", template(100), vec![]);
        assert_eq!(c.len(), 1);
        assert_eq!(c.bytes(), before);
        assert!(c.get("/a", "v1").is_none());
    }

    #[test]
    fn stays_within_budget_evicting_least_recently_used() {
        let per_page = ENTRY_OVERHEAD + 2000 * (1 + BODIES_PER_PAGE);
        let mut c = cache(3 * per_page);
        for url in ["/1", "/2", "/3"] {
            c.insert_recorded(url, "v", template(1500), vec![]);
        }
        assert!(c.get("/1", "v").is_some()); // /2 is now the least recently used
        c.insert_recorded("/4", "v", template(1500), vec![]);
        assert!(c.bytes() <= 3 * per_page);
        assert!(c.get("/2", "v").is_none());
        for url in ["/1", "/3", "/4"] {
            assert!(c.get(url, "v").is_some(), "{url}");
        }
    }

    #[test]
    fn pages_over_the_limit_are_not_stored() {
        let mut c = PageCache::<Vec<u8>>::new(100_000, 1000);
        c.insert_recorded("/big", "v", template(1001), vec![]);
        assert!(c.is_empty());
        assert_eq!(c.max_page(), 1000);
    }

    #[test]
    fn refusals_are_remembered_per_validator() {
        let mut c = cache(10_000);
        c.insert_refused("/a", "v1");
        assert!(matches!(c.get("/a", "v1"), Some(Known::Refused)));
        assert!(c.get("/a", "v2").is_none());
    }

    #[test]
    fn bodies_are_bounded_and_keyed_by_content() {
        let mut b = Bodies::default();
        for i in 0..BODIES_PER_PAGE + 2 {
            b.put(format!("k{i}"), i);
        }
        assert_eq!(b.get("k0"), None, "oldest replaced");
        assert_eq!(b.get("k1"), None);
        assert_eq!(
            b.get(&format!("k{}", BODIES_PER_PAGE + 1)),
            Some(BODIES_PER_PAGE + 1)
        );
        assert_eq!(b.items.len(), BODIES_PER_PAGE);
    }

    #[test]
    fn plan_key_differs_when_bytes_would() {
        use crate::render::{Edit, Plan};
        use crate::snapshot::Op;
        let plan = |op, html: &str| {
            Plan::new(vec![Edit {
                slot: "a".into(),
                op,
                html: std::sync::Arc::from(html),
            }])
        };
        assert_eq!(
            plan_key(&plan(Op::Replace, "x")),
            plan_key(&plan(Op::Replace, "x"))
        );
        assert_ne!(
            plan_key(&plan(Op::Replace, "x")),
            plan_key(&plan(Op::Append, "x"))
        );
        assert_ne!(
            plan_key(&plan(Op::Replace, "x")),
            plan_key(&plan(Op::Replace, "y"))
        );
        assert_ne!(
            plan_key(&plan(Op::Replace, "x")),
            plan_key(&Plan::default())
        );
    }

    #[test]
    fn validator_needs_etag_or_last_modified() {
        assert_eq!(validator(None, None, Some("10"), Some("text/html")), None);
        let a = validator(Some("\"x\""), None, Some("10"), Some("text/html"));
        let b = validator(Some("\"x\""), None, Some("11"), Some("text/html"));
        assert!(a.is_some() && a != b);
        assert!(validator(None, Some("Tue, 01 Jan 2030 00:00:00 GMT"), None, None).is_some());
    }
}
