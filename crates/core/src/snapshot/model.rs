//! The compiled snapshot as the edge sees it: interned strings, slots, and per slot the
//! candidates in decision order, each with a compiled targeting expression and a template
//! pre-split around its placeholders.
//!
//! Everything here is already compiled: named segments are inlined into expressions,
//! candidates are sorted by priority, HTML was sanitized at publish time and every
//! placeholder's escaping context was fixed then. The edge never parses authoring syntax and
//! never sanitizes per request. Strings are stored once in [`Body::strings`] and referenced by
//! [`Sym`]; [`super::decode`] checks every reference, so lookups past decoding cannot miss.

use serde::{Deserialize, Serialize};

use super::catalog::Catalog;
use super::expr::Expr;
use super::sym::Sym;
use super::template::Template;

/// Everything a version holds besides its id (the part the content hash covers).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Body {
    /// Interned strings: names, ids and HTML literals, each stored once.
    pub strings: Vec<std::sync::Arc<str>>,
    /// Slots sorted by name.
    pub slots: Vec<Slot>,
    /// Named segments as authored (already inlined into candidates; kept for explain/diff).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub segments: Vec<SegmentDef>,
    /// Experiments candidates can belong to.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub experiments: Vec<Experiment>,
    /// Share of all visitors held out of every campaign, in basis points (0–10 000).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub global_holdout_bp: u16,
    /// Product catalog manifest (the products themselves live in shards).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub catalog: Option<Catalog>,
    /// Where product and category ids sit in request paths, for the activity cookie.
    #[serde(default, skip_serializing_if = "ActivityPaths::is_empty")]
    pub activity: ActivityPaths,
    /// Declared conversions (`[[conversion]]`), by name.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub conversions: Vec<super::goal::Goal>,
}

fn is_zero(v: &u16) -> bool {
    *v == 0
}

/// A named segment: `name` is true for a visitor when `expr` is.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SegmentDef {
    /// Segment name.
    pub name: Sym,
    /// Its definition.
    pub expr: Expr,
}

/// A named slot and its candidates, in decision order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Slot {
    /// The slot name used in pages (`<vitrine-slot name="…">`).
    pub name: Sym,
    /// Highest priority first; ties keep authoring order.
    pub candidates: Vec<Candidate>,
}

/// One campaign's bid for a slot.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Candidate {
    /// Campaign id (shown in `x-vitrine` and explain output).
    pub campaign: Sym,
    /// Priority as authored (candidates are already sorted by it).
    pub priority: i32,
    /// Who qualifies: audience, conditions and exclusions folded into one expression.
    pub when: Expr,
    /// What the fill does to the slot element.
    pub op: Op,
    /// Sanitized HTML, pre-split around placeholders (empty for [`Op::Remove`]).
    pub template: Template,
    /// Per-segment messaging: the first message whose `when` holds fills `{{message}}`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub messages: Vec<Message>,
    /// When the candidate may show, if limited.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schedule: Option<Window>,
    /// Frequency cap, counted in the activity cookie.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cap: Option<Cap>,
    /// Experiment arm this candidate is, if it is part of an experiment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arm: Option<ArmRef>,
    /// A catalog product this candidate shows (`{{product.…}}`); it only qualifies while the
    /// product is loaded and in stock.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub product: Option<Sym>,
    /// A time-limited offer on the current page's product (a real-time trigger), if it is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub offer: Option<Offer>,
    /// Product recommendations filling `{{items}}`, if it is a recommendation slot.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recommend: Option<super::recommend::Recommend>,
}

/// A time-limited offer: once a visitor qualifies on a product page, the candidate shows on
/// that product's page for `secs`, whatever their activity does meanwhile, and then never again
/// (the start is kept in the activity cookie).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Offer {
    /// How long the offer lasts, in seconds.
    pub secs: u32,
}

/// A per-segment message of a candidate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Message {
    /// Who gets this message.
    pub when: Expr,
    /// Its sanitized HTML.
    pub template: Template,
}

/// A half-open time window `[start, end)` in Unix seconds (UTC).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Window {
    /// First second it applies, if bounded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start: Option<i64>,
    /// First second it no longer applies, if bounded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end: Option<i64>,
}

impl Window {
    /// Whether `now` (Unix seconds) is inside the window.
    pub fn contains(&self, now: i64) -> bool {
        self.start.is_none_or(|s| now >= s) && self.end.is_none_or(|e| now < e)
    }
}

/// At most `max` impressions per visitor within `per_secs`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cap {
    /// Impressions allowed.
    pub max: u16,
    /// Rolling period in seconds.
    pub per_secs: u32,
}

/// Membership of a candidate in an experiment arm.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArmRef {
    /// Index into [`Body::experiments`].
    pub experiment: u32,
    /// Index into that experiment's arms.
    pub arm: u32,
}

/// An A/B test: visitors are bucketed by a hash of (visitor id, key) into weighted arms.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Experiment {
    /// Stable key (changing it reshuffles everyone).
    pub key: Sym,
    /// Arms with their weights.
    pub arms: Vec<Arm>,
    /// Share held out of this experiment (default content, logged as "holdout"), in basis points.
    pub holdout_bp: u16,
    /// Learned per-context weights (`allocation = "bandit"`); `None` for a fixed split, which
    /// buckets by the arms' own weights.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bandit: Option<Bandit>,
}

/// A bandit experiment's split per context, as `vitrine optimize` last wrote it to the
/// campaign file: a visitor gets the weights of the first context whose segment they are in,
/// else [`Bandit::rest`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Bandit {
    /// Listed contexts in authoring order (first match wins).
    pub contexts: Vec<BanditContext>,
    /// Everyone else's split.
    pub rest: Allocation,
}

/// One context of a [`Bandit`]: a named segment and its split.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BanditContext {
    /// Segment name (logged as the exposure's `context`).
    pub name: Sym,
    /// The segment's definition, inlined.
    pub when: Expr,
    /// Its split.
    pub allocation: Allocation,
}

/// Weights of one context, one per arm in arm order, and the split they give as logged in
/// exposure events (`holdout=500;control=4750;urgency=4750`: buckets out of 10 000, see
/// [`crate::decide::experiment::split_text`]; the decoder checks it matches).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Allocation {
    /// Relative weight per arm.
    pub weights: Vec<u32>,
    /// The logged split.
    pub split: Sym,
}

/// One arm of an [`Experiment`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Arm {
    /// Arm name.
    pub name: Sym,
    /// Relative weight.
    pub weight: u32,
}

/// What a fill does to its slot element.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Op {
    /// Replace the element's content (the default).
    Replace,
    /// Insert after the element's existing content.
    Append,
    /// Insert before the element's existing content.
    Prepend,
    /// Insert before the element.
    Before,
    /// Insert after the element.
    After,
    /// Remove the element and its content.
    Remove,
}

impl Op {
    /// Every operation, in documentation order.
    pub const ALL: [Op; 6] = [
        Self::Replace,
        Self::Append,
        Self::Prepend,
        Self::Before,
        Self::After,
        Self::Remove,
    ];

    /// The authoring keyword for this operation.
    pub fn keyword(self) -> &'static str {
        match self {
            Self::Replace => "replace",
            Self::Append => "append",
            Self::Prepend => "prepend",
            Self::Before => "before",
            Self::After => "after",
            Self::Remove => "remove",
        }
    }
}

/// Where the edge finds product and category ids in request paths, for the activity cookie
/// (`[activity]` in campaign files). Each pattern holds one `{id}`, e.g. `/p/{id}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActivityPaths {
    /// Product page pattern.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub product_path: Option<String>,
    /// Category page pattern.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category_path: Option<String>,
}

impl ActivityPaths {
    /// Whether no pattern is set.
    pub fn is_empty(&self) -> bool {
        self.product_path.is_none() && self.category_path.is_none()
    }
}
