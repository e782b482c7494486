//! The per-isolate knowledge of pages, in two tiers, each bounded by bytes with
//! least-recently-used eviction:
//!
//! - **maps**: where the slots of a page are ([`SlotMap`], a few offsets), one per page key,
//!   valid for one *validator* of the page (see [`validator`]). A page that changed (new
//!   validator) is a miss and is learned again, replacing the old entry. Pages that cannot be
//!   spliced are remembered too (as cheap refusals), so they are not parsed on every request.
//!   A map is a few hundred bytes, so an isolate knows tens of thousands of pages: a request
//!   for one splices the body the source just sent, with no parse.
//! - **held pages**: the bytes of the hottest pages, so a request for one makes no subrequest
//!   while the page is fresh. A page is held from its [`HOLD_AFTER_VIEWS`]th view on, so pages
//!   seen once (most of a shop's long tail) never push a hot page out; and only if it has been
//!   asked for at least as often as each held page it would push out (least recently used
//!   first), so pages seen a few times do not push out the pages served most (see
//!   [`PageCache::hold`]).
//!
//! The cache is generic over how page bytes are held (`P`), so the Worker can keep them on the
//! JS side while this logic is tested natively. A held page is charged for its bytes. Once it
//! has been served from hold [`BODIES_AFTER_SERVES`] times, the Worker also keeps up to
//! [`BODIES_PER_PAGE`] assembled bodies for it ([`Bodies`], one per distinct plan: visitors
//! fall into few decisions, and the hottest pages are served again without assembling them),
//! each charged to the held budget when it is kept ([`PageCache::charge_body`]). A page served
//! less often is assembled per request, one copy of its bytes, so the budget holds several
//! times more pages than if every held page had room for its bodies reserved. A plan that fills
//! nothing on a page ([`super::is_whole_page`]) is answered with the page's own bytes: nothing
//! is assembled, and no body is kept for it.

use std::rc::Rc;

use lru::LruCache;

use super::SlotMap;

/// Weight charged for an entry's key and bookkeeping, in bytes.
const ENTRY_OVERHEAD: usize = 128;

/// Assembled bodies kept per held page (one per distinct plan, the oldest replaced).
pub const BODIES_PER_PAGE: usize = 4;

/// Serves from hold after which a held page's assembled bodies are kept.
pub const BODIES_AFTER_SERVES: u32 = 8;

/// Views of a page (at one validator) after which its bytes are held.
pub const HOLD_AFTER_VIEWS: u32 = 2;

/// How many times more often a held page must be asked for than another for a body kept for
/// it to push the other out ([`PageCache::charge_body`]): an assembly saved is worth far less
/// than a subrequest saved (BENCHMARKS.md, "Seventh pass", has both costs).
const BODY_CREDIT_RATIO: u32 = 8;

/// The most credit a held page has ([`PageCache::hold`]): a page that was very hot and is no
/// longer asked for gives way after at most this many pages were refused for it.
const MAX_CREDIT: u32 = 1024;

/// New pages an isolate sees before it judges whether pages come back
/// ([`PageCache::maps_first_views`]).
pub const RETURNS_AFTER_PAGES: u32 = 64;

/// New pages over which returns are counted: past this, both counts are halved, so the
/// judgment follows the traffic as it changes.
const RETURNS_WINDOW: u32 = 1024;

/// Whether a page's first view maps it in the same parse (`MAP_FIRST_VIEWS`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FirstViews {
    /// Once the isolate's traffic shows that pages come back
    /// ([`PageCache::maps_first_views`]).
    #[default]
    Auto,
    /// Always.
    Map,
    /// Never: a first view streams, the second maps the page.
    Stream,
}

impl FirstViews {
    /// The `MAP_FIRST_VIEWS` setting: `auto` (or unset), `on` or `off`; anything else is
    /// refused, with the message to log (`auto` is used).
    pub fn parse(value: Option<&str>) -> Result<Self, String> {
        let Some(value) = value else {
            return Ok(Self::Auto);
        };
        match value.trim().to_ascii_lowercase().as_str() {
            "auto" | "" => Ok(Self::Auto),
            "on" | "1" | "true" => Ok(Self::Map),
            "off" | "0" | "false" => Ok(Self::Stream),
            _ => Err(format!(
                "MAP_FIRST_VIEWS {:?} is not auto, on or off; auto is used",
                value.trim()
            )),
        }
    }
}

/// A held page: its slot map and its bytes, held as `P`.
#[derive(Debug)]
pub struct Recorded<P> {
    /// Where the slots are.
    pub template: Rc<SlotMap>,
    /// The page bytes the map was made from.
    pub page: P,
}

/// What the cache knows about a page at a validator.
#[derive(Debug, Clone)]
pub enum Known {
    /// Seen once, not mapped yet: a page seen once (most of a shop's long tail) is not worth
    /// mapping; map it on its next view.
    Seen,
    /// Its slot map: splice the page's bytes.
    Spliceable(Rc<SlotMap>),
    /// Seen and refused: stream it, and do not try to map it again.
    Refused,
}

struct Entry {
    validator: String,
    known: Known,
    weight: usize,
    views: u32,
}

struct Held<P> {
    validator: String,
    recorded: Rc<Recorded<P>>,
    /// Its bytes, bookkeeping and the assembled bodies kept for it.
    weight: usize,
    /// Times it was served from hold ([`PageCache::recorded`]).
    serves: u32,
    /// Requests for it (its views when it was held, then its serves), at most
    /// [`MAX_CREDIT`], less one for each page refused for it ([`PageCache::hold`]).
    credit: u32,
}

/// Slot maps and held pages by page key, each tier within its own byte budget.
pub struct PageCache<P> {
    maps: LruCache<String, Entry>,
    map_bytes: usize,
    map_budget: usize,
    held: LruCache<String, Held<P>>,
    held_bytes: usize,
    held_budget: usize,
    max_page: usize,
    /// Pages seen for the first time (at their validator), over the recent window.
    new_pages: u32,
    /// Of those, the ones asked for again.
    returns: u32,
}

impl<P> PageCache<P> {
    /// An empty cache of at most `map_budget` bytes of maps and `held_budget` bytes of held
    /// pages, that maps and holds pages of at most `max_page` bytes.
    pub fn new(map_budget: usize, held_budget: usize, max_page: usize) -> Self {
        Self {
            maps: LruCache::unbounded(),
            map_bytes: 0,
            map_budget,
            held: LruCache::unbounded(),
            held_bytes: 0,
            held_budget,
            max_page,
            new_pages: 0,
            returns: 0,
        }
    }

    /// Whether a page's first view should map it in the same parse (which costs that view a
    /// little more: the page is read whole) rather than stream it and map it on its next view:
    /// yes once this isolate's traffic shows that pages come back, at least one new page in
    /// four asked for again over the last [`RETURNS_AFTER_PAGES`] to about 1,000 new pages. A
    /// mapped first view saves the second view its parse, worth several first views' extra
    /// cost; a shop's long tail of pages seen once is better streamed.
    pub fn maps_first_views(&self) -> bool {
        self.new_pages >= RETURNS_AFTER_PAGES && self.returns.saturating_mul(4) >= self.new_pages
    }

    /// Counts a view of a known page: its second view is a return.
    fn viewed(&mut self, views: u32) {
        if views == 2 {
            self.returns = self.returns.saturating_add(1);
        }
    }

    /// The largest page worth mapping.
    pub fn max_page(&self) -> usize {
        self.max_page
    }

    /// Bytes charged now, maps and held pages together.
    pub fn bytes(&self) -> usize {
        self.map_bytes + self.held_bytes
    }

    /// Number of pages known (mapped or refused).
    pub fn len(&self) -> usize {
        self.maps.len()
    }

    /// Number of pages whose bytes are held.
    pub fn held_len(&self) -> usize {
        self.held.len()
    }

    /// Whether no page is known.
    pub fn is_empty(&self) -> bool {
        self.maps.is_empty()
    }

    /// What is known about `url` at `validator`; counts a view and marks it recently used.
    pub fn get(&mut self, url: &str, validator: &str) -> Option<Known> {
        let entry = self.maps.get_mut(url)?;
        if entry.validator != validator {
            return None;
        }
        entry.views = entry.views.saturating_add(1);
        let (views, known) = (entry.views, entry.known.clone());
        self.viewed(views);
        Some(known)
    }

    /// What is known about `url` at whatever validator it was last seen with; counts a view
    /// and marks it recently used. For pages keyed by their content, whose validator (a hash
    /// of the body) is only known once the body has been read.
    pub fn latest(&mut self, url: &str) -> Option<(String, Known)> {
        let entry = self.maps.get_mut(url)?;
        entry.views = entry.views.saturating_add(1);
        let (views, found) = (entry.views, (entry.validator.clone(), entry.known.clone()));
        self.viewed(views);
        Some(found)
    }

    /// The held page for `url`, at whatever validator: the Worker revalidates it with the
    /// page source, and a `304` means it is still the page. Counts a serve and marks it
    /// recently used.
    pub fn recorded(&mut self, url: &str) -> Option<Rc<Recorded<P>>> {
        self.held.get_mut(url).map(|h| {
            h.serves = h.serves.saturating_add(1);
            h.credit = h.credit.saturating_add(1).min(MAX_CREDIT);
            Rc::clone(&h.recorded)
        })
    }

    /// Whether the Worker keeps assembled bodies for `recorded`: it is the page held for
    /// `url` (not a copy kept just for one response), served from hold at least
    /// [`BODIES_AFTER_SERVES`] times.
    pub fn keeps_bodies(&self, url: &str, recorded: &Rc<Recorded<P>>) -> bool {
        self.held
            .peek(url)
            .is_some_and(|h| Rc::ptr_eq(&h.recorded, recorded) && h.serves >= BODIES_AFTER_SERVES)
    }

    /// Charges the held page `url` for a body of `added` bytes kept with it, replacing one of
    /// `freed` bytes (0: none), evicting other held pages (least recently used first) to stay
    /// within budget. `false`, and nothing charged: do not keep the body (the page does not
    /// [keep bodies](Self::keeps_bodies), or it would not fit with them).
    pub fn charge_body(
        &mut self,
        url: &str,
        recorded: &Rc<Recorded<P>>,
        added: usize,
        freed: usize,
    ) -> bool {
        if !self.keeps_bodies(url, recorded) {
            return false;
        }
        let Some(weight) = self.held.peek(url).map(|h| h.weight) else {
            return false;
        };
        let grown = weight.saturating_add(added).saturating_sub(freed);
        if grown > self.held_budget {
            return false;
        }
        self.held.promote(url);
        // A body saves its page's requests an assembly; a held page pushed out costs its own
        // requests a subrequest, several times as much: a body pushes out only held pages
        // asked for [`BODY_CREDIT_RATIO`] times less often than its page.
        let credit = self.held.peek(url).map_or(0, |h| h.credit);
        let over = (self.held_bytes - weight + grown).saturating_sub(self.held_budget);
        let refused = self
            .pushed_out(url, over)
            .any(|(_, h)| h.credit.saturating_mul(BODY_CREDIT_RATIO) > credit);
        if refused {
            return false;
        }
        while self.held_bytes - weight + grown > self.held_budget {
            if self.held.peek_lru().is_none_or(|(k, _)| k == url) {
                return false;
            }
            if let Some((_, h)) = self.held.pop_lru() {
                self.held_bytes -= h.weight;
            }
        }
        if let Some(h) = self.held.peek_mut(url) {
            h.weight = grown;
            self.held_bytes = self.held_bytes - weight + grown;
        }
        true
    }

    /// The held pages other than `url` that making room for `over` more bytes would push out,
    /// least recently used first.
    fn pushed_out<'a>(
        &'a self,
        url: &'a str,
        over: usize,
    ) -> impl Iterator<Item = (&'a String, &'a Held<P>)> + 'a {
        let mut freed = 0;
        self.held
            .iter()
            .rev()
            .filter(move |(k, _)| k.as_str() != url)
            .take_while(move |(_, h)| {
                let pushed = freed < over;
                freed += h.weight;
                pushed
            })
    }

    /// Stores the slot map of `url` at `validator`, evicting the least recently used maps to
    /// stay within budget; returns it shared. A map at a new validator replaces the old one
    /// and drops the page's held bytes.
    pub fn insert_map(&mut self, url: &str, validator: &str, template: SlotMap) -> Rc<SlotMap> {
        let weight = ENTRY_OVERHEAD + url.len() + validator.len() + template.weight();
        let template = Rc::new(template);
        self.put(
            url,
            validator,
            Known::Spliceable(Rc::clone(&template)),
            weight,
        );
        template
    }

    /// Remembers that `url` was seen at `validator` (its next view maps it).
    pub fn insert_seen(&mut self, url: &str, validator: &str) {
        let weight = ENTRY_OVERHEAD + url.len() + validator.len();
        self.put(url, validator, Known::Seen, weight);
    }

    /// Remembers that `url` at `validator` cannot be spliced.
    pub fn insert_refused(&mut self, url: &str, validator: &str) {
        let weight = ENTRY_OVERHEAD + url.len() + validator.len();
        self.put(url, validator, Known::Refused, weight);
    }

    /// Forgets everything about `url` (its map proved wrong for the bytes the source sent).
    pub fn forget(&mut self, url: &str) {
        if let Some(e) = self.maps.pop(url) {
            self.map_bytes -= e.weight;
        }
        if let Some(h) = self.held.pop(url) {
            self.held_bytes -= h.weight;
        }
    }

    /// The page `url` at `validator` (`page`, made from `template`), shared; held from now on
    /// if it has been viewed at least [`HOLD_AFTER_VIEWS`] times at that validator and fits,
    /// evicting the least recently used held pages to stay within budget. Whether it was held
    /// is [`PageCache::recorded`]'s to say.
    ///
    /// Admission by frequency: a held page has a *credit*, the requests for it (its views when
    /// held, then one per serve). The page is held only if none of the pages it would push
    /// out (least recently used first) has more credit than it has views; otherwise it is
    /// not held, and the first such page loses one credit. Under least recently
    /// used eviction alone, every page seen twice pushed out a page served far more often (a
    /// shop's long tail passing through the held pages); a page no longer asked for still
    /// gives way, after as many refusals as it has credit.
    pub fn hold(
        &mut self,
        url: &str,
        validator: &str,
        template: Rc<SlotMap>,
        page: P,
    ) -> Rc<Recorded<P>> {
        let len = template.len();
        let recorded = Rc::new(Recorded { template, page });
        let views = self
            .maps
            .peek(url)
            .filter(|e| e.validator == validator)
            .map_or(0, |e| e.views);
        let weight = ENTRY_OVERHEAD + url.len() + validator.len() + len;
        if views < HOLD_AFTER_VIEWS || len > self.max_page || weight > self.held_budget {
            return recorded;
        }
        // A page held again at the same validator (sent whole again after it was due for
        // revalidation) keeps its credit, and its old bytes count as room.
        let old = self.held.peek(url).map(|h| (h.weight, h.credit));
        let credit = views.min(MAX_CREDIT).max(old.map_or(0, |(_, c)| c));
        let room = self.held_bytes - old.map_or(0, |(w, _)| w);
        let over = (room + weight).saturating_sub(self.held_budget);
        // The first of the held pages it would push out (least recently used first) that was
        // asked for more often than it has been refuses it, and loses one credit for it.
        let blocker = self
            .pushed_out(url, over)
            .find(|(_, h)| h.credit > credit)
            .map(|(k, _)| k.clone());
        if let Some(k) = blocker {
            if let Some(h) = self.held.peek_mut(&k) {
                h.credit = h.credit.saturating_sub(1);
            }
            return recorded;
        }
        if let Some(old) = self.held.pop(url) {
            self.held_bytes -= old.weight;
        }
        while self.held_bytes + weight > self.held_budget {
            match self.held.pop_lru() {
                Some((_, h)) => self.held_bytes -= h.weight,
                None => break,
            }
        }
        self.held_bytes += weight;
        self.held.put(
            url.to_owned(),
            Held {
                validator: validator.to_owned(),
                recorded: Rc::clone(&recorded),
                weight,
                serves: 0,
                credit,
            },
        );
        recorded
    }

    fn put(&mut self, url: &str, validator: &str, known: Known, weight: usize) {
        let mut views = 1;
        if let Some(old) = self.maps.pop(url) {
            self.map_bytes -= old.weight;
            if old.validator == validator {
                views = old.views;
            }
        }
        if views == 1 {
            self.new_pages = self.new_pages.saturating_add(1);
            if self.new_pages > RETURNS_WINDOW {
                self.new_pages /= 2;
                self.returns /= 2;
            }
        }
        if self
            .held
            .peek(url)
            .is_some_and(|h| h.validator != validator)
        {
            if let Some(h) = self.held.pop(url) {
                self.held_bytes -= h.weight;
            }
        }
        while self.map_bytes + weight > self.map_budget {
            match self.maps.pop_lru() {
                Some((_, e)) => self.map_bytes -= e.weight,
                None => break,
            }
        }
        if self.map_bytes + weight > self.map_budget {
            return;
        }
        self.map_bytes += weight;
        let entry = Entry {
            validator: validator.to_owned(),
            known,
            weight,
            views,
        };
        self.maps.put(url.to_owned(), entry);
    }
}

/// The assembled bodies of one page, by plan: at most [`BODIES_PER_PAGE`], the oldest
/// replaced first, each with its length (what the held budget is charged for it). Keyed by
/// [`plan_key`], the plan's full content, so two plans share a body only when they produce
/// the same bytes.
#[derive(Debug)]
pub struct Bodies<B> {
    items: Vec<(String, B, usize)>,
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
            .find(|(k, _, _)| k == key)
            .map(|(_, b, _)| b.clone())
    }

    /// The length of the body the next [`put`](Self::put) replaces (0 while not full).
    pub fn next_freed(&self) -> usize {
        if self.items.len() < BODIES_PER_PAGE {
            return 0;
        }
        self.items.get(self.next).map_or(0, |(_, _, len)| *len)
    }

    /// Keeps `body` (`len` bytes) for `key`, replacing the oldest when full.
    pub fn put(&mut self, key: String, body: B, len: usize) {
        if self.items.len() < BODIES_PER_PAGE {
            self.items.push((key, body, len));
        } else if let Some(slot) = self.items.get_mut(self.next) {
            *slot = (key, body, len);
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
            key.push_str(itoa::Buffer::new().format(part.len()));
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
    // Pushed, neither formatted nor joined (this runs on every page request, and both of
    // those are generic code V8 would compile again in every new isolate).
    let parts = [etag, last_modified, content_length, content_type].map(|v| v.unwrap_or("").trim());
    let mut out = String::with_capacity(parts.iter().map(|p| p.len() + 1).sum());
    for (i, part) in parts.into_iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        out.push_str(part);
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rewrite::Limits;
    use crate::splice::record;
    use proptest::prelude::*;

    /// One thing the Worker does to the cache (page `u` of a few, validator `v` of two).
    #[derive(Debug, Clone)]
    enum Step {
        Map(u8, u8, u16),
        Get(u8, u8),
        Hold(u8, u8, u16),
        Serve(u8),
        Body(u8, u16, u16),
        Forget(u8),
    }

    fn step() -> impl Strategy<Value = Step> {
        let (u, v) = (0u8..12, 0u8..2);
        prop_oneof![
            (u.clone(), v.clone(), 0u16..3000).prop_map(|(u, v, n)| Step::Map(u, v, n)),
            (u.clone(), v.clone()).prop_map(|(u, v)| Step::Get(u, v)),
            (u.clone(), v, 0u16..3000).prop_map(|(u, v, n)| Step::Hold(u, v, n)),
            u.clone().prop_map(Step::Serve),
            (u.clone(), 0u16..3000, 0u16..3000).prop_map(|(u, a, f)| Step::Body(u, a, f)),
            u.prop_map(Step::Forget),
        ]
    }

    proptest! {
        /// Whatever the Worker does, both tiers stay within their budgets, the bytes charged
        /// are exactly the weights of what is kept, and no credit exceeds its bound.
        #[test]
        fn budgets_and_charges_hold_whatever_happens(
            steps in proptest::collection::vec(step(), 0..200),
            held_budget in 0usize..12_000,
        ) {
            let map_budget = 3_000;
            let mut c = PageCache::<Vec<u8>>::new(map_budget, held_budget, 2_500);
            let mut kept: Vec<Option<Rc<Recorded<Vec<u8>>>>> = vec![None; 12];
            for s in steps {
                match s {
                    Step::Map(u, v, n) => {
                        c.insert_map(&format!("/{u}"), &format!("v{v}"), template(n.into()));
                    }
                    Step::Get(u, v) => {
                        c.get(&format!("/{u}"), &format!("v{v}"));
                    }
                    Step::Hold(u, v, n) => {
                        let t = Rc::new(template(n.into()));
                        let r = c.hold(&format!("/{u}"), &format!("v{v}"), t, vec![0; n.into()]);
                        kept[usize::from(u)] = Some(r);
                    }
                    Step::Serve(u) => {
                        if let Some(r) = c.recorded(&format!("/{u}")) {
                            kept[usize::from(u)] = Some(r);
                        }
                    }
                    Step::Body(u, added, freed) => {
                        if let Some(r) = kept[usize::from(u)].clone() {
                            c.charge_body(&format!("/{u}"), &r, added.into(), freed.into());
                        }
                    }
                    Step::Forget(u) => c.forget(&format!("/{u}")),
                }
                let held: usize = c.held.iter().map(|(_, h)| h.weight).sum();
                let maps: usize = c.maps.iter().map(|(_, e)| e.weight).sum();
                prop_assert_eq!(c.held_bytes, held);
                prop_assert_eq!(c.map_bytes, maps);
                prop_assert!(c.held_bytes <= held_budget);
                prop_assert!(c.map_bytes <= map_budget);
                prop_assert!(c.held.iter().all(|(_, h)| h.credit <= MAX_CREDIT));
            }
        }
    }

    fn template(len: usize) -> SlotMap {
        record(&vec![b'x'; len], Limits::default(), None).unwrap()
    }

    fn cache(budget: usize) -> PageCache<Vec<u8>> {
        PageCache::new(budget, budget, budget)
    }

    /// A cache with held room for `pages` pages of 2,000 bytes under two-character keys, and
    /// the weight of one.
    fn room_for(pages: usize) -> (PageCache<Vec<u8>>, usize) {
        let per_page = ENTRY_OVERHEAD + 2 + 1 + 2000;
        (PageCache::new(1 << 20, pages * per_page, 1 << 20), per_page)
    }

    /// A cache with room for two pages, holding `/1` then `/2` (credit 3 each).
    fn two_held() -> (PageCache<Vec<u8>>, usize) {
        let (mut c, per_page) = room_for(2);
        held(&mut c, "/1", 2000).unwrap();
        held(&mut c, "/2", 2000).unwrap();
        (c, per_page)
    }

    /// Maps `url` and views it until it may be held, then holds `len` bytes for it and serves
    /// it once.
    fn held(c: &mut PageCache<Vec<u8>>, url: &str, len: usize) -> Option<Rc<Recorded<Vec<u8>>>> {
        viewed_then_held(c, url, len, HOLD_AFTER_VIEWS)
    }

    /// Maps `url`, views it `views` times in all, holds `len` bytes for it and serves it once.
    fn viewed_then_held(
        c: &mut PageCache<Vec<u8>>,
        url: &str,
        len: usize,
        views: u32,
    ) -> Option<Rc<Recorded<Vec<u8>>>> {
        let t = c.insert_map(url, "v", template(len));
        for _ in 1..views {
            c.get(url, "v");
        }
        c.hold(url, "v", t, vec![b'x'; len]);
        c.recorded(url)
    }

    #[test]
    fn hit_needs_same_validator() {
        let mut c = cache(10_000);
        c.insert_map("/a", "v1", template(10));
        assert!(matches!(c.get("/a", "v1"), Some(Known::Spliceable(t)) if t.len() == 10));
        assert!(c.get("/a", "v2").is_none());
        assert!(c.get("/b", "v1").is_none());
    }

    #[test]
    fn pages_are_held_from_their_second_view_on() {
        let mut c = cache(100_000);
        let t = c.insert_map("/a", "v", template(10));
        assert_eq!(c.hold("/a", "v", Rc::clone(&t), vec![1]).page, vec![1]);
        assert!(c.recorded("/a").is_none(), "first view");
        c.get("/a", "v");
        c.hold("/a", "w", Rc::clone(&t), vec![2]);
        assert!(c.recorded("/a").is_none(), "other validator");
        c.hold("/a", "v", t, vec![3]);
        assert_eq!(c.recorded("/a").map(|r| r.page.clone()), Some(vec![3]));
        assert_eq!(c.held_len(), 1);
    }

    #[test]
    fn held_pages_are_found_by_url_alone_and_never_for_refusals() {
        let mut c = cache(100_000);
        held(&mut c, "/a", 10).unwrap();
        c.insert_refused("/r", "v1");
        assert_eq!(c.recorded("/a").map(|r| r.page.len()), Some(10));
        assert!(c.recorded("/r").is_none());
        assert!(c.recorded("/b").is_none());
    }

    #[test]
    fn latest_is_whatever_was_last_seen_for_the_url() {
        let mut c = cache(10_000);
        assert!(c.latest("/a").is_none());
        c.insert_map("/a", "sha256:1", template(10));
        let (validator, known) = c.latest("/a").unwrap();
        assert_eq!(validator, "sha256:1");
        assert!(matches!(known, Known::Spliceable(t) if t.len() == 10));
        c.insert_refused("/a", "sha256:2");
        let (validator, known) = c.latest("/a").unwrap();
        assert_eq!(validator, "sha256:2");
        assert!(matches!(known, Known::Refused));
    }

    #[test]
    fn new_validator_replaces_the_old_entry_and_drops_held_bytes() {
        let mut c = cache(100_000);
        held(&mut c, "/a", 100).unwrap();
        let maps = c.map_bytes;
        c.insert_map("/a", "v2", template(100));
        assert_eq!(c.len(), 1);
        assert_eq!(c.map_bytes, maps + 1, "one byte longer validator");
        assert!(c.get("/a", "v").is_none());
        assert!(
            c.recorded("/a").is_none(),
            "held bytes of the old version dropped"
        );
        assert_eq!(c.held_bytes, 0);
    }

    #[test]
    fn maps_stay_within_budget_evicting_least_recently_used() {
        let one = ENTRY_OVERHEAD + 2 + 1 + template(10).weight();
        let mut c = PageCache::<Vec<u8>>::new(3 * one, 0, 1000);
        for url in ["/1", "/2", "/3"] {
            c.insert_map(url, "v", template(10));
        }
        assert!(c.get("/1", "v").is_some()); // /2 is now the least recently used
        c.insert_map("/4", "v", template(10));
        assert!(c.bytes() <= 3 * one);
        assert!(c.get("/2", "v").is_none());
        for url in ["/1", "/3", "/4"] {
            assert!(c.get(url, "v").is_some(), "{url}");
        }
    }

    #[test]
    fn held_pages_stay_within_their_budget() {
        let (mut c, per_page) = room_for(3);
        for url in ["/1", "/2", "/3"] {
            held(&mut c, url, 2000).unwrap();
        }
        // /2 is now the least recently used, with a credit of 3 (two views, one serve): a
        // page viewed as often pushes it out.
        assert!(c.recorded("/1").is_some());
        viewed_then_held(&mut c, "/4", 2000, 3).unwrap();
        assert!(c.held_bytes <= 3 * per_page);
        assert!(c.recorded("/2").is_none());
        for url in ["/1", "/3", "/4"] {
            assert!(c.recorded(url).is_some(), "{url}");
        }
        // The evicted page is still known by its map.
        assert!(matches!(c.get("/2", "v"), Some(Known::Spliceable(_))));
    }

    #[test]
    fn a_page_seen_twice_does_not_push_out_pages_served_more_often() {
        let (mut c, per_page) = two_held();
        for _ in 0..3 {
            c.recorded("/1");
            c.recorded("/2");
        }
        // Credits: /1 and /2 have 2 views + 4 serves = 6; /1 is the least recently used.
        assert!(viewed_then_held(&mut c, "/3", 2000, 2).is_none());
        assert!(c.recorded("/1").is_some() && c.recorded("/2").is_some());
        assert_eq!(c.held_len(), 2);
        assert!(c.held_bytes <= 2 * per_page);
        // A page asked for as often as the one it would push out is held in its place.
        assert!(viewed_then_held(&mut c, "/4", 2000, 7).is_some());
        assert!(c.recorded("/1").is_none());
        assert!(c.recorded("/2").is_some());
    }

    /// A cache with room for one page: `/h`, held and served `serves` times in all, and `/n`,
    /// mapped and viewed twice; holds `/n` until it is held (at most `max` tries) and says
    /// after how many tries it was.
    fn tries_to_push_out(serves: u32, max: u32) -> (PageCache<Vec<u8>>, u32) {
        let (mut c, _) = room_for(1);
        held(&mut c, "/h", 2000).unwrap();
        for _ in 1..serves {
            c.recorded("/h");
        }
        let t = c.insert_map("/n", "v", template(2000));
        c.get("/n", "v");
        let mut tries = 0;
        while c.recorded("/n").is_none() && tries < max {
            tries += 1;
            c.hold("/n", "v", Rc::clone(&t), vec![b'x'; 2000]);
        }
        (c, tries)
    }

    #[test]
    fn a_held_page_no_longer_asked_for_gives_way_after_its_credit() {
        // Credit 10 (2 views, 8 serves): each page refused for it takes one away, so /n (2
        // views) is refused while /h has 10 .. 3, and held at the 9th try.
        let (mut c, tries) = tries_to_push_out(8, 100);
        assert_eq!(tries, 9);
        assert!(c.recorded("/n").is_some());
        assert!(c.recorded("/h").is_none());
    }

    #[test]
    fn the_page_that_refuses_a_newcomer_pays_for_it_not_the_least_recently_used() {
        // /a (small, credit 3) is the least recently used; /b (credit 23) is behind it, and a
        // newcomer (2 views) needs the room of both.
        let (small, big) = (ENTRY_OVERHEAD + 2 + 1 + 100, ENTRY_OVERHEAD + 2 + 1 + 2000);
        let mut c = PageCache::<Vec<u8>>::new(1 << 20, small + big + 50, 1 << 20);
        held(&mut c, "/a", 100).unwrap();
        held(&mut c, "/b", 2000).unwrap();
        for _ in 0..20 {
            c.recorded("/b");
        }
        let t = c.insert_map("/n", "v", template(2000));
        c.get("/n", "v");
        for _ in 0..5 {
            c.hold("/n", "v", Rc::clone(&t), vec![0; 2000]);
        }
        // /a refused /n once (3 > 2 views) and is down to /n's views; /b refused it since,
        // losing a credit each time. (The least recently used page paying for every refusal
        // went below zero here.)
        assert_eq!(c.held.peek("/a").map(|h| h.credit), Some(2));
        assert_eq!(c.held.peek("/b").map(|h| h.credit), Some(19));
        // /b gives way once its credit is down to /n's views: 17 more refusals.
        let mut tries = 0;
        while c.recorded("/n").is_none() && tries < 30 {
            tries += 1;
            c.hold("/n", "v", Rc::clone(&t), vec![0; 2000]);
        }
        assert_eq!(tries, 18);
        assert!(c.recorded("/a").is_none() && c.recorded("/b").is_none());
    }

    #[test]
    fn a_page_held_again_keeps_its_credit_and_its_place() {
        let (mut c, per_page) = two_held();
        for _ in 0..10 {
            c.recorded("/2");
        }
        // /2 is held again at its validator (sent whole again): no room is needed beyond its
        // own, nothing is pushed out, and its credit stands.
        let t = Rc::clone(&c.recorded("/2").unwrap().template);
        c.hold("/2", "v", t, vec![b'y'; 2000]);
        assert_eq!(c.held_len(), 2);
        assert_eq!(c.held_bytes, 2 * per_page);
        assert_eq!(c.held.peek("/2").map(|h| h.credit), Some(14));
        assert_eq!(c.recorded("/2").unwrap().page, vec![b'y'; 2000]);
    }

    #[test]
    fn credit_is_bounded() {
        let (mut c, tries) = tries_to_push_out(10 * MAX_CREDIT, MAX_CREDIT + 1);
        assert!(
            c.recorded("/n").is_some(),
            "held within {MAX_CREDIT} refusals"
        );
        assert!(tries <= MAX_CREDIT);
    }

    #[test]
    fn a_hundred_thousand_pages_stay_within_the_map_budget() {
        let budget = 1 << 20;
        let mut c = PageCache::<Vec<u8>>::new(budget, 0, 1 << 20);
        let map = record(
            br#"<div><vitrine-slot name="hero">x</vitrine-slot></div>"#,
            Limits::default(),
            None,
        )
        .unwrap();
        for i in 0..100_000 {
            c.insert_map(
                &format!("https://shop.example/p/{i}"),
                "\"etag\"",
                map.clone(),
            );
            assert!(c.bytes() <= budget);
        }
        assert!(c.len() > 1000, "{} maps", c.len());
    }

    #[test]
    fn pages_over_the_limit_are_not_held() {
        let mut c = PageCache::<Vec<u8>>::new(100_000, 100_000, 1000);
        assert!(held(&mut c, "/big", 1001).is_none());
        assert_eq!(c.held_len(), 0);
        assert_eq!(c.max_page(), 1000);
    }

    #[test]
    fn forget_drops_map_and_bytes() {
        let mut c = cache(100_000);
        held(&mut c, "/a", 10).unwrap();
        c.forget("/a");
        assert!(c.is_empty());
        assert_eq!(c.bytes(), 0);
        assert!(c.recorded("/a").is_none());
    }

    #[test]
    fn a_seen_page_counts_its_views_into_its_map() {
        let mut c = cache(100_000);
        c.insert_seen("/a", "v");
        assert!(matches!(c.get("/a", "v"), Some(Known::Seen)));
        assert!(c.get("/a", "w").is_none());
        // Mapped on its second view: held at once.
        let t = c.insert_map("/a", "v", template(10));
        c.hold("/a", "v", t, vec![1]);
        assert!(c.recorded("/a").is_some());
    }

    #[test]
    fn refusals_are_remembered_per_validator() {
        let mut c = cache(10_000);
        c.insert_refused("/a", "v1");
        assert!(matches!(c.get("/a", "v1"), Some(Known::Refused)));
        assert!(c.get("/a", "v2").is_none());
    }

    /// Serves `url` from hold until its bodies are kept.
    fn hot(c: &mut PageCache<Vec<u8>>, url: &str) -> Rc<Recorded<Vec<u8>>> {
        let r = held(c, url, 2000).unwrap();
        for _ in 0..BODIES_AFTER_SERVES {
            c.recorded(url);
        }
        r
    }

    #[test]
    fn bodies_are_kept_only_for_hot_held_pages_and_charged_as_they_are_kept() {
        let mut c = cache(100_000);
        let r = held(&mut c, "/a", 2000).unwrap();
        let page = c.held_bytes;
        assert!(!c.keeps_bodies("/a", &r), "not served from hold yet");
        assert!(!c.charge_body("/a", &r, 500, 0));
        // `held` served it once.
        for _ in 2..BODIES_AFTER_SERVES {
            c.recorded("/a");
        }
        assert!(!c.keeps_bodies("/a", &r), "one serve short");
        c.recorded("/a");
        assert!(c.keeps_bodies("/a", &r));
        assert!(c.charge_body("/a", &r, 500, 0));
        assert_eq!(c.held_bytes, page + 500);
        // A body replacing a longer one gives the difference back.
        assert!(c.charge_body("/a", &r, 300, 500));
        assert_eq!(c.held_bytes, page + 300);
        // A copy made for one response (not the held page) never keeps bodies.
        let copy = c.hold("/b", "v", Rc::clone(&r.template), vec![1]);
        assert!(!c.keeps_bodies("/a", &copy) && !c.charge_body("/a", &copy, 1, 0));
        assert!(!c.charge_body("/missing", &r, 1, 0));
    }

    #[test]
    fn a_kept_body_evicts_other_held_pages_never_its_own() {
        let (mut c, per_page) = room_for(3);
        held(&mut c, "/1", 2000).unwrap();
        held(&mut c, "/2", 2000).unwrap();
        let r = hot(&mut c, "/3");
        // /1 and /2 have a credit of 3: /3's (11) is not enough to push them out.
        assert!(!c.charge_body("/3", &r, 2000, 0));
        assert_eq!(c.held_len(), 3);
        for _ in 0..13 {
            c.recorded("/3");
        }
        // 24 = 8 × 3: now it is.
        assert!(c.charge_body("/3", &r, 2000, 0));
        assert!(c.recorded("/1").is_none(), "least recently used, evicted");
        assert!(c.recorded("/2").is_some());
        assert!(c.held_bytes <= 3 * per_page);
        // Room for more of /3's bodies only by evicting /2 (credit 4 now: 8 × 4 = 32 ≤ 34);
        // one byte over the budget never.
        for _ in 0..10 {
            c.recorded("/3");
        }
        assert!(c.charge_body("/3", &r, per_page - 1999, 0));
        assert!(c.recorded("/2").is_none());
        assert!(c.charge_body("/3", &r, per_page - 1, 0));
        assert!(!c.charge_body("/3", &r, 1, 0));
        assert_eq!(c.held_bytes, 3 * per_page);
        assert!(c.recorded("/3").is_some());
        // Forgetting the page gives back its bodies' charge too.
        c.forget("/3");
        assert_eq!(c.held_bytes, 0);
    }

    #[test]
    fn bodies_are_bounded_and_keyed_by_content() {
        let mut b = Bodies::default();
        for i in 0..BODIES_PER_PAGE + 2 {
            assert_eq!(
                b.next_freed(),
                if i < BODIES_PER_PAGE {
                    0
                } else {
                    10 + i - BODIES_PER_PAGE
                }
            );
            b.put(format!("k{i}"), i, 10 + i);
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

    proptest! {
        /// The validator is spelled as it always was (a colo's isolates of two builds share maps
        /// by it): the four trimmed values, absent ones empty, one per line.
        #[test]
        fn validators_are_the_formatted_ones(
            values in proptest::array::uniform4(proptest::option::of("[ \t\u{a0}\u{3000}a-z0-9\"/,:é]{0,12}"))
        ) {
            let [etag, last_modified, length, content_type] = values.clone();
            let got = validator(etag.as_deref(), last_modified.as_deref(), length.as_deref(), content_type.as_deref());
            let f = |v: &Option<String>| v.as_deref().unwrap_or("").trim().to_owned();
            let want = (etag.is_some() || last_modified.is_some()).then(|| {
                format!("{}\n{}\n{}\n{}", f(&values[0]), f(&values[1]), f(&values[2]), f(&values[3]))
            });
            prop_assert_eq!(got, want);
        }
    }

    #[test]
    fn a_plan_key_prefixes_every_part_with_its_length() {
        let plan = crate::render::Plan::new(vec![crate::render::Edit {
            slot: "hero".into(),
            op: crate::snapshot::Op::Replace,
            html: "x".repeat(1234).into(),
        }]);
        assert_eq!(
            plan_key(&plan),
            format!(
                "4:hero{}:{}1234:{}",
                "replace".len(),
                "replace",
                "x".repeat(1234)
            )
        );
    }
    #[test]
    fn first_views_are_mapped_once_pages_come_back() {
        let mut c: PageCache<()> = PageCache::new(1 << 20, 1 << 20, 1 << 16);
        // A long tail seen once: never.
        for i in 0..200 {
            c.insert_seen(&format!("/tail/{i}"), "v");
        }
        assert!(!c.maps_first_views());
        // Pages asked for again (their second view is a return): one in four and more.
        for i in 0..100 {
            let url = format!("/hot/{i}");
            c.insert_seen(&url, "v");
            assert!(c.get(&url, "v").is_some());
            // Later views are not returns again.
            assert!(c.get(&url, "v").is_some());
        }
        assert!(c.maps_first_views(), "100 returns of 300 new pages");
        // The traffic turns to a long tail again: the window forgets.
        for i in 0..3000 {
            c.insert_seen(&format!("/later/{i}"), "v");
        }
        assert!(!c.maps_first_views());
        // A page seen again at another validator is a new page.
        c.insert_seen("/x", "v1");
        c.insert_seen("/x", "v2");
        assert!(c.get("/x", "v1").is_none());
    }

    #[test]
    fn too_few_pages_say_nothing() {
        let mut c: PageCache<()> = PageCache::new(1 << 20, 1 << 20, 1 << 16);
        for i in 0..(RETURNS_AFTER_PAGES - 1) {
            let url = format!("/{i}");
            c.insert_seen(&url, "v");
            let _ = c.get(&url, "v");
        }
        assert!(!c.maps_first_views());
        c.insert_seen("/last", "v");
        assert!(c.maps_first_views());
    }
    #[test]
    fn map_first_views_setting() {
        assert_eq!(FirstViews::parse(None), Ok(FirstViews::Auto));
        assert_eq!(FirstViews::parse(Some(" Auto ")), Ok(FirstViews::Auto));
        assert_eq!(FirstViews::parse(Some("on")), Ok(FirstViews::Map));
        assert_eq!(FirstViews::parse(Some("OFF")), Ok(FirstViews::Stream));
        let refused = FirstViews::parse(Some("sometimes")).unwrap_err();
        assert!(refused.contains("MAP_FIRST_VIEWS") && refused.contains("auto is used"));
    }
}
