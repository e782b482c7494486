//! The page view: everything vitrine decides about one page request, in one pure function.
//!
//! A resolved [`Visitor`] (identity, consent, activity), the snapshot and a [`PageRequest`]
//! (path, query, what the edge observed, a verified preview) go in; an owned [`PageView`] comes
//! out: the `x-vitrine` value, the render plan when a slot is filled, the events to log, the
//! campaigns shown (impressions for the activity cookie) and, for a preview, the explanation.
//! The visitor's activity is updated in place (offers started, exposures and conversions
//! recorded), so the caller writes the activity cookie from it afterwards.
//!
//! Nothing here does I/O. The Worker reads the catalog shards [`missing_shards`] names before
//! calling [`view`] (the same context decides both, so exactly the shards the decision can use
//! are read), and then delivers the body. A preview changes nothing: its view has no events, no
//! impressions and leaves the activity as it was.

use crate::cookie::activity::extract_id;
use crate::cookie::visitor::Visitor;
use crate::cookie::{Identity, KeyRing};
use crate::decide::experiment::Learned;
use crate::decide::{explain_header, header_safe, offer, recommend, ActivityCounts, NoActivity};
use crate::decide::{Context, Exposure};
use crate::facts::Observed;
use crate::measure::conversion::Navigation;
use crate::measure::events::Event;
use crate::measure::{conversion, exposure};
use crate::preview_token::Preview;
use crate::render::{render, Plan};
use crate::snapshot::Snapshot;
use crate::{decide_in, delivery};

/// What the page view reads about the request besides the visitor.
#[derive(Clone, Copy)]
pub struct PageRequest<'a> {
    /// URL path.
    pub path: &'a str,
    /// Query string without `?` and without the preview parameter.
    pub query: &'a str,
    /// What the edge observed (country, device, referrer, local time).
    pub observed: &'a Observed,
    /// A verified preview token, if the request carried one.
    pub preview: Option<&'a Preview>,
    /// Unix seconds.
    pub now: u64,
    /// Whether the page's `Content-Type` names its charset; if not, filled fragments are
    /// rendered as ASCII, which is right in every ASCII-compatible encoding.
    pub labelled: bool,
    /// What kind of request this is (`Sec-Fetch-*`, prefetch): a page conversion counts only
    /// for a top-level navigation. Read for conversion pages only (the Worker leaves it
    /// `Unmarked` elsewhere, where it is never looked at).
    pub navigation: Navigation,
    /// The profile cookie's key ring, which verifies signed conversions (`None`: a signed
    /// conversion never counts).
    pub keys: Option<&'a KeyRing>,
}

impl PageRequest<'_> {
    /// The decision's clock: the preview's moment if it sets one, else `now`.
    pub fn clock(preview: Option<&Preview>, now: u64) -> i64 {
        preview
            .and_then(|p| p.at)
            .unwrap_or(i64::try_from(now).unwrap_or(i64::MAX))
    }

    fn decided_at(&self) -> i64 {
        Self::clock(self.preview, self.now)
    }
}

/// Everything decided for one page request, owned.
#[derive(Debug)]
pub struct PageView {
    /// The `x-vitrine` header value (version and fills).
    pub x_vitrine: String,
    /// How to fill the slots; `None` when no slot is filled (the page goes out unchanged).
    pub plan: Option<Plan>,
    /// `Some` for a preview: the `x-vitrine-explain` value. A preview records nothing.
    pub explain: Option<String>,
    /// Exposure and conversion events to log.
    pub events: Vec<Event>,
    /// Campaign ids shown: impressions the activity cookie counts.
    pub shown: Vec<String>,
    /// Why a conversion on this page was refused, as a log code.
    pub conversion_refused: Option<&'static str>,
}

/// The catalog shards the recommendations of this request need that are not loaded yet.
pub fn missing_shards(snapshot: &Snapshot, visitor: &Visitor, req: &PageRequest<'_>) -> Vec<usize> {
    // Most requests, once the isolate has every shard, need no context at all.
    if snapshot.all_shards_loaded() {
        return Vec::new();
    }
    with_context(snapshot, visitor, req, |ctx| {
        recommend::missing_shards(snapshot, ctx)
    })
}

/// Decides the page for `visitor` and records what it shows in the visitor's activity.
// Not inlined into the Worker's request function, which V8 would then optimize as one large
// function in every new isolate (the Worker's crate docs, "Function size").
#[inline(never)]
pub fn view(snapshot: &Snapshot, visitor: &mut Visitor, req: &PageRequest<'_>) -> PageView {
    let product = product_of(snapshot, req.path);
    // The decision borrows the visitor; it ends before the activity is updated, so what outlives
    // it is copied out.
    let decided = with_context(snapshot, visitor, req, |ctx| {
        let decision = decide_in(snapshot, ctx);
        let explain = req.preview.map(|p| {
            let trace = explain_header(snapshot, ctx, &decision.exposures);
            match p.summary() {
                s if s.is_empty() => format!("preview; {trace}"),
                s => format!("preview: {}; {trace}", header_safe(&s)),
            }
        });
        let plan = (!decision.fills.is_empty()).then(|| match render(&decision) {
            plan if req.labelled => plan,
            plan => plan.ascii(),
        });
        Decided {
            x_vitrine: delivery::x_vitrine_personalized(decision.version, &decision.summary()),
            plan,
            explain,
            shown: decision
                .fills
                .iter()
                .map(|f| f.campaign.to_owned())
                .collect(),
            exposed: decision
                .exposures
                .iter()
                .map(|e| Exposed {
                    experiment: e.experiment.to_owned(),
                    arm: e.arm.to_owned(),
                    global: e.global,
                    context: e.learned.map(|l| l.context.to_owned()),
                    split: e.learned.and_then(|l| l.split).map(str::to_owned),
                })
                .collect(),
            // Offers that start now: their start goes into the activity, keeping them stable.
            offers: decision
                .fills
                .iter()
                .filter(|f| f.offer.is_some_and(|o| o.starts_now))
                .filter_map(|f| product.map(|p| offer::key(f.campaign, p)))
                .collect(),
            held: decision.held.iter().map(|c| (*c).to_owned()).collect(),
        }
    });
    if decided.explain.is_some() {
        return PageView {
            x_vitrine: decided.x_vitrine,
            plan: decided.plan,
            explain: decided.explain,
            events: Vec::new(),
            shown: Vec::new(),
            conversion_refused: None,
        };
    }
    if let (Some(activity), Some(p)) = (&mut visitor.activity, product) {
        for key in &decided.offers {
            activity.assign(key, p, req.now);
        }
    }
    let exposures: Vec<Exposure<'_>> = decided
        .exposed
        .iter()
        .map(|x| Exposure {
            experiment: &x.experiment,
            arm: &x.arm,
            global: x.global,
            learned: x.context.as_deref().map(|context| Learned {
                context,
                split: x.split.as_deref(),
            }),
        })
        .collect();
    let shown: Vec<&str> = decided.shown.iter().map(String::as_str).collect();
    let held: Vec<&str> = decided.held.iter().map(String::as_str).collect();
    let seen = exposure::Seen {
        experiments: &exposures,
        shown: &shown,
        held: &held,
    };
    let mut events = exposure::record(visitor, seen, snapshot.version(), req.now);
    let hit = conversion::PageHit {
        path: req.path,
        query: req.query,
        navigation: req.navigation,
        keys: req.keys,
    };
    let (converted, conversion_refused) = conversion::on_page(visitor, snapshot, hit, req.now);
    events.extend(converted);
    PageView {
        x_vitrine: decided.x_vitrine,
        plan: decided.plan,
        explain: None,
        events,
        shown: decided.shown,
        conversion_refused,
    }
}

/// What outlives the decision (which borrows the visitor), owned.
struct Decided {
    x_vitrine: String,
    plan: Option<Plan>,
    explain: Option<String>,
    shown: Vec<String>,
    exposed: Vec<Exposed>,
    offers: Vec<String>,
    held: Vec<String>,
}

/// One experiment exposure, owned (see [`Decided`]).
struct Exposed {
    experiment: String,
    arm: String,
    global: bool,
    context: Option<String>,
    split: Option<String>,
}

/// The product id of a product page, by the snapshot's `[activity]` pattern.
fn product_of<'p>(snapshot: &Snapshot, path: &'p str) -> Option<&'p str> {
    snapshot
        .activity()
        .product_path
        .as_deref()
        .and_then(|pattern| extract_id(pattern, path))
}

/// Runs `f` with the one context both [`missing_shards`] and [`view`] decide with.
fn with_context<R>(
    snapshot: &Snapshot,
    visitor: &Visitor,
    req: &PageRequest<'_>,
    f: impl FnOnce(&Context<'_>) -> R,
) -> R {
    let bucketing_id = exposure::bucketing_id(visitor);
    let forced = req.preview.and_then(|p| p.identity(&visitor.identity));
    let activity: &dyn ActivityCounts = match &visitor.activity {
        Some(a) => a,
        None => &NoActivity,
    };
    let identity = forced.as_ref().unwrap_or(&visitor.identity);
    f(&context(
        snapshot,
        identity,
        req,
        activity,
        bucketing_id.as_deref(),
    ))
}

fn context<'a>(
    snapshot: &Snapshot,
    identity: &'a Identity,
    req: &PageRequest<'a>,
    activity: &'a dyn ActivityCounts,
    bucketing_id: Option<&'a str>,
) -> Context<'a> {
    let mut ctx = Context::new(identity, req.decided_at())
        .with_url(req.path, req.query)
        .with_visitor(bucketing_id);
    ctx.activity = activity;
    ctx.request.product = product_of(snapshot, req.path);
    ctx.request.country = req.observed.country.as_deref();
    ctx.request.device = req.observed.device;
    ctx.request.referrer = req.observed.referrer.as_deref();
    ctx.request.local_minutes = req.observed.local_minutes;
    if let Some(p) = req.preview {
        ctx.forced_arms = &p.variants;
    }
    ctx
}
