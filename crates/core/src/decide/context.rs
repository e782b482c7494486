//! What a decision may look at besides the snapshot: the visitor, the clock, the request and
//! the visitor's recorded activity. Built by the shell (worker or CLI) per request; borrowed,
//! never copied.

use crate::cookie::Identity;
use crate::snapshot::expr::Device;

/// Counts from the visitor's activity record (the worker's activity cookie).
///
/// A visitor without a record has seen nothing: every count is zero, which is what
/// [`NoActivity`] reports.
pub trait ActivityCounts {
    /// Views of `product` within the last `within_secs` before `now`.
    fn product_views(&self, product: &str, within_secs: u32, now: i64) -> u32;
    /// Views of products of `category`.
    fn category_views(&self, category: &str) -> u32;
    /// Visits so far, this one included.
    fn visits(&self) -> u32;
    /// Times `campaign` was shown within the last `within_secs` before `now`.
    fn impressions(&self, campaign: &str, within_secs: u32, now: i64) -> u32;
    /// The sticky arm (or `holdout`) recorded for `experiment`, if any.
    fn assignment(&self, _experiment: &str) -> Option<&str> {
        None
    }
    /// When the time-limited offer under `key` (see [`super::offer::key`]) started, if it did.
    fn offer_started(&self, _key: &str) -> Option<i64> {
        None
    }
    /// The `i`-th most recently viewed product id (0: the latest), one entry per product.
    fn recent(&self, _i: usize) -> Option<&str> {
        None
    }
}

/// The activity of a visitor with no record.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoActivity;

impl ActivityCounts for NoActivity {
    fn product_views(&self, _: &str, _: u32, _: i64) -> u32 {
        0
    }
    fn category_views(&self, _: &str) -> u32 {
        0
    }
    fn visits(&self) -> u32 {
        0
    }
    fn impressions(&self, _: &str, _: u32, _: i64) -> u32 {
        0
    }
}

/// The request facts targeting can use. Unknown facts fail the conditions on them.
#[derive(Debug, Clone, Copy, Default)]
pub struct RequestFacts<'a> {
    /// URL path.
    pub path: &'a str,
    /// Raw query string, without `?`.
    pub query: &'a str,
    /// The `Referer` header.
    pub referrer: Option<&'a str>,
    /// ISO country code (from `request.cf`).
    pub country: Option<&'a str>,
    /// Device class.
    pub device: Option<Device>,
    /// The visitor's local time of day in minutes after midnight (`0..1440`), from the
    /// time zone in `request.cf`.
    pub local_minutes: Option<u16>,
    /// Product id of the current page, if it is a product page.
    pub product: Option<&'a str>,
}

/// Everything one decision reads.
#[derive(Clone, Copy)]
pub struct Context<'a> {
    /// Who is asking.
    pub identity: &'a Identity,
    /// Unix seconds; `None` means "no clock": scheduled candidates never qualify.
    pub now: Option<i64>,
    /// The request.
    pub request: RequestFacts<'a>,
    /// The visitor's activity.
    pub activity: &'a dyn ActivityCounts,
    /// The id experiments bucket by (profile `sub`, else the consented activity cookie's
    /// visitor id); `None` puts the visitor in no experiment arm.
    pub visitor: Option<&'a str>,
    /// Experiment arms forced by a preview token (experiment key, arm name or `holdout`):
    /// they win over the cookie, the hash and the global holdout, and need no visitor id.
    pub forced_arms: &'a [(String, String)],
}

impl<'a> Context<'a> {
    /// A context for `identity` at `now` (Unix seconds), with no request facts or activity.
    pub fn new(identity: &'a Identity, now: i64) -> Self {
        Self {
            identity,
            now: Some(now),
            request: RequestFacts::default(),
            activity: &NoActivity,
            visitor: None,
            forced_arms: &[],
        }
    }

    /// A context with no clock, request facts or activity.
    pub fn timeless(identity: &'a Identity) -> Self {
        Self {
            identity,
            now: None,
            request: RequestFacts::default(),
            activity: &NoActivity,
            visitor: None,
            forced_arms: &[],
        }
    }

    /// The same context with `visitor` as the experiment bucketing id.
    pub fn with_visitor(mut self, visitor: Option<&'a str>) -> Self {
        self.visitor = visitor.filter(|v| !v.is_empty());
        self
    }

    /// The same context for the URL `path` and `query`.
    pub fn with_url(mut self, path: &'a str, query: &'a str) -> Self {
        self.request.path = path;
        self.request.query = query;
        self
    }
}
