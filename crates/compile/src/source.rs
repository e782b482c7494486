//! The authoring format as serde structs: what a campaign file may contain. Unknown keys are
//! errors (with the list of known ones), and every value keeps its span for diagnostics.
//! `schema/campaign.schema.json` describes the same shape for editors; keep them in step.

use std::collections::BTreeMap;

use serde::Deserialize;
use toml::Spanned;

/// One campaign file.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct File {
    /// Editor hint (`$schema = "…/campaign.schema.json"`); ignored.
    #[serde(default, rename = "$schema")]
    pub _schema: Option<String>,
    /// Other campaign files, relative to this one.
    #[serde(default)]
    pub include: Vec<Spanned<String>>,
    /// Named segments: name → expression.
    #[serde(default)]
    pub segments: BTreeMap<String, Spanned<ExprSrc>>,
    /// Campaigns.
    #[serde(default)]
    pub campaign: Vec<Spanned<CampaignSrc>>,
    /// Product catalog and recommendation tables.
    #[serde(default)]
    pub catalog: Option<Spanned<CatalogSrc>>,
    /// `[activity]`: URL patterns for the activity cookie (at most one file sets it).
    #[serde(default)]
    pub activity: Option<Spanned<ActivitySrc>>,
    /// Sanitizer opt-ins.
    #[serde(default)]
    pub sanitizer: Option<SanitizerSrc>,
    /// Experiments: key → arms and holdout.
    #[serde(default)]
    pub experiments: BTreeMap<String, Spanned<ExperimentSrc>>,
    /// Share of visitors held out of every campaign, in basis points (at most one file sets it).
    #[serde(default)]
    pub global_holdout_bp: Option<Spanned<i64>>,
    /// Acknowledged warnings.
    #[serde(default)]
    pub acknowledge: Option<AckSrc>,
    /// Conversions the edge counts.
    #[serde(default)]
    pub conversion: Vec<Spanned<ConversionSrc>>,
}

/// `[[campaign]]`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CampaignSrc {
    pub id: Spanned<String>,
    pub slot: Spanned<String>,
    #[serde(default)]
    pub segments: Option<Spanned<Vec<Spanned<String>>>>,
    #[serde(default)]
    pub audience: Option<Spanned<String>>,
    #[serde(default)]
    pub when: Option<Spanned<ExprSrc>>,
    #[serde(default)]
    pub exclude: Option<Spanned<Vec<Spanned<String>>>>,
    #[serde(default)]
    pub priority: Option<Spanned<i64>>,
    #[serde(default)]
    pub op: Option<Spanned<String>>,
    #[serde(default)]
    pub html: Option<Spanned<String>>,
    #[serde(default)]
    pub messages: Vec<Spanned<MessageSrc>>,
    #[serde(default)]
    pub schedule: Option<Spanned<ScheduleSrc>>,
    /// A catalog product id the html shows with `{{product.…}}`.
    #[serde(default)]
    pub product: Option<Spanned<String>>,
    /// The experiment this campaign is an arm of (with `arm`).
    #[serde(default)]
    pub experiment: Option<Spanned<String>>,
    /// The arm of `experiment` this campaign is.
    #[serde(default)]
    pub arm: Option<Spanned<String>>,
    /// A time-limited offer on the current product page, lasting this many minutes.
    #[serde(default)]
    pub offer_minutes: Option<Spanned<i64>>,
    /// Product recommendations filling `{{items}}` in `html`.
    #[serde(default)]
    pub recommend: Option<Spanned<RecommendSrc>>,
}

/// `recommend = { items = 4, strategies = [...], item_html = "..." }`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecommendSrc {
    pub items: Spanned<i64>,
    #[serde(default)]
    pub min: Option<Spanned<i64>>,
    pub strategies: Spanned<Vec<Spanned<StrategySrc>>>,
    pub item_html: Spanned<String>,
}

/// One strategy: exactly one of `recently_viewed`, `related`, `list` (with `by_attr` or
/// `by_segment` for a keyed list).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StrategySrc {
    #[serde(default)]
    pub recently_viewed: Option<bool>,
    #[serde(default)]
    pub related: Option<Spanned<String>>,
    #[serde(default)]
    pub list: Option<Spanned<String>>,
    #[serde(default)]
    pub by_attr: Option<Spanned<String>>,
    #[serde(default)]
    pub by_segment: Option<bool>,
}

/// `[experiments.KEY]`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExperimentSrc {
    pub arms: Vec<Spanned<ArmSrc>>,
    #[serde(default)]
    pub holdout_bp: Option<Spanned<i64>>,
    /// `"fixed"` (the default) or `"bandit"`.
    #[serde(default)]
    pub allocation: Option<Spanned<String>>,
    /// Bandits: the conversion name the weights learn from.
    #[serde(default)]
    pub goal: Option<Spanned<String>>,
    /// Bandits: `"rate"` (the default) or `"value"`.
    #[serde(default)]
    pub optimize: Option<Spanned<String>>,
    /// Bandits: the smallest share of an arm, in basis points of the arms' traffic.
    #[serde(default)]
    pub min_share_bp: Option<Spanned<i64>>,
    /// Bandits: segments learned separately (first match), in order.
    #[serde(default)]
    pub contexts: Option<Spanned<Vec<Spanned<String>>>>,
    /// Bandits: context → arm → weight, as `vitrine optimize` writes them.
    #[serde(default)]
    pub weights: Option<Spanned<BTreeMap<String, Spanned<WeightsSrc>>>>,
}

/// `[experiments.KEY.weights.CONTEXT]`: arm → weight.
pub type WeightsSrc = BTreeMap<String, Spanned<i64>>;

/// `{ name = "urgency", weight = 50 }`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ArmSrc {
    pub name: Spanned<String>,
    pub weight: Spanned<i64>,
}

/// One per-segment message.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MessageSrc {
    #[serde(default)]
    pub segments: Option<Spanned<Vec<Spanned<String>>>>,
    #[serde(default)]
    pub when: Option<Spanned<ExprSrc>>,
    pub html: Spanned<String>,
}

/// `schedule = { start = 2026-12-01T00:00:00+01:00, end = … }`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScheduleSrc {
    #[serde(default)]
    pub start: Option<Spanned<toml::value::Datetime>>,
    #[serde(default)]
    pub end: Option<Spanned<toml::value::Datetime>>,
}

/// A scalar in an attribute test.
#[derive(Deserialize, Clone)]
#[serde(untagged)]
pub enum Scalar {
    Bool(bool),
    Int(i64),
    Float(f64),
    Text(String),
}

/// One expression node; exactly one head key (`segment`, `all`, `any`, `not`, `attr`,
/// `anonymous`, `path`, `param`, `referrer`, `country`, `device`, `viewed`, `category_views`,
/// `visits`, `returning`, `local_time`, `utm`) with its modifiers.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct ExprSrc {
    pub segment: Option<Spanned<String>>,
    pub all: Option<Vec<Spanned<ExprSrc>>>,
    pub any: Option<Vec<Spanned<ExprSrc>>>,
    pub not: Option<Box<Spanned<ExprSrc>>>,
    pub anonymous: Option<bool>,
    pub attr: Option<Spanned<String>>,
    pub exists: Option<bool>,
    pub eq: Option<Scalar>,
    #[serde(rename = "in")]
    pub in_: Option<Vec<Scalar>>,
    pub gte: Option<f64>,
    pub lte: Option<f64>,
    pub gt: Option<f64>,
    pub lt: Option<f64>,
    pub contains: Option<String>,
    pub path: Option<String>,
    pub param: Option<String>,
    pub value: Option<String>,
    pub referrer: Option<String>,
    pub country: Option<Vec<String>>,
    pub device: Option<Spanned<String>>,
    pub viewed: Option<String>,
    pub category_views: Option<String>,
    pub at_least: Option<u16>,
    pub within: Option<Spanned<String>>,
    pub visits: Option<u16>,
    pub returning: Option<bool>,
    /// `"18:00-22:00"`: the visitor's local time of day.
    pub local_time: Option<Spanned<String>>,
    /// `{ source = "newsletter", campaign = "xmas-*" }`: UTM parameters of the URL.
    pub utm: Option<Spanned<BTreeMap<String, String>>>,
}

/// `[catalog]`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CatalogSrc {
    pub products: Spanned<String>,
    #[serde(default)]
    pub recommendations: Option<Spanned<String>>,
    #[serde(default)]
    pub lists: Option<Spanned<String>>,
    #[serde(default)]
    pub shard_size: Option<Spanned<i64>>,
}

/// `[sanitizer]`.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct SanitizerSrc {
    #[serde(default)]
    pub allow_style: bool,
    #[serde(default)]
    pub allow_iframe: bool,
}

/// `[acknowledge]`: warnings the authors have seen and accept.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct AckSrc {
    /// Campaign ids whose sensitive-attribute targeting is intended.
    #[serde(default)]
    pub sensitive: Vec<String>,
    /// Campaign ids whose schedule is over.
    #[serde(default)]
    pub past_schedule: Vec<String>,
    /// Slot names that appear on none of the sample pages.
    #[serde(default)]
    pub unused_slots: Vec<String>,
    /// The variant count accepted (a larger count warns again).
    #[serde(default)]
    pub max_variants: Option<u64>,
}

/// `[activity]`: where product and category ids sit in request paths.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActivitySrc {
    #[serde(default)]
    pub product_path: Option<Spanned<String>>,
    #[serde(default)]
    pub category_path: Option<Spanned<String>>,
}

/// `[[conversion]]`: a page request or a beacon that counts as a conversion.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConversionSrc {
    pub name: Spanned<String>,
    #[serde(default)]
    pub path: Option<Spanned<String>>,
    #[serde(default)]
    pub value_param: Option<Spanned<String>>,
    #[serde(default)]
    pub dedupe_param: Option<Spanned<String>>,
    #[serde(default)]
    pub beacon: Option<Spanned<bool>>,
    #[serde(default)]
    pub signed: Option<Spanned<bool>>,
    #[serde(default)]
    pub value: Option<Spanned<ValueSrc>>,
}

/// `value = { min = 0, max = 5000 }`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ValueSrc {
    pub min: f64,
    pub max: f64,
}
