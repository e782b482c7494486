//! Compiled targeting expressions: `all` / `any` / `not` over predicates on the visitor's
//! verified profile, their activity and the request. Named segments are inlined by the
//! compiler, so an [`Expr`] never refers to another definition and evaluates in one pass
//! without allocation (see [`crate::decide()`]).

use serde::{Deserialize, Serialize};

use super::sym::Sym;

/// A boolean expression over one request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
// Exhaustive on purpose: the compiler builds and `vitrine_compile::diff` prints every variant,
// so a new one must be handled there too.
pub enum Expr {
    /// Always true (audience "everyone").
    True,
    /// The visitor has no verified profile.
    Anonymous,
    /// The verified profile lists this segment id (cookie claim `seg`).
    Segment(Sym),
    /// A test on a profile attribute (cookie claim `attrs`).
    Attr {
        /// Attribute name.
        name: Sym,
        /// The test.
        test: Test,
    },
    /// A test on the visitor's recorded activity.
    Activity(ActivityTest),
    /// A test on the request.
    Request(RequestTest),
    /// Every sub-expression holds (true when empty).
    All(Vec<Expr>),
    /// At least one sub-expression holds (false when empty).
    Any(Vec<Expr>),
    /// The sub-expression does not hold.
    Not(Box<Expr>),
}

/// A test on one attribute value. A missing attribute fails every test but `Exists(false)`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
// Exhaustive on purpose: the compiler builds and `vitrine_compile::diff` prints every variant,
// so a new one must be handled there too.
pub enum Test {
    /// Present (`true`) or absent (`false`).
    Exists(bool),
    /// Equal to the value.
    Eq(Value),
    /// Equal to one of the values.
    In(Vec<Value>),
    /// A number `>=` this.
    Gte(f64),
    /// A number `<=` this.
    Lte(f64),
    /// A number `>` this.
    Gt(f64),
    /// A number `<` this.
    Lt(f64),
    /// A list attribute holding this string (for example a purchased product id).
    Contains(Sym),
}

/// A literal compared with an attribute.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Value {
    /// A string.
    Text(Sym),
    /// A number.
    Number(f64),
    /// A boolean.
    Bool(bool),
}

/// Activity predicates, counted in the worker's activity cookie.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
// Exhaustive on purpose: the compiler builds and `vitrine_compile::diff` prints every variant,
// so a new one must be handled there too.
pub enum ActivityTest {
    /// Viewed a product at least `at_least` times within `within_secs`.
    ViewedProduct {
        /// Product id, or `None` for "the product of the current page".
        product: Option<Sym>,
        /// Minimum views.
        at_least: u16,
        /// Window in seconds.
        within_secs: u32,
    },
    /// Viewed products of a category at least `at_least` times.
    CategoryViews {
        /// Category id.
        category: Sym,
        /// Minimum views.
        at_least: u16,
    },
    /// At least this many visits.
    Visits(u16),
    /// A returning (`true`) or new (`false`) visitor.
    Returning(bool),
}

/// Request-context predicates.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
// Exhaustive on purpose: the compiler builds and `vitrine_compile::diff` prints every variant,
// so a new one must be handled there too.
pub enum RequestTest {
    /// The URL path matches a glob (`*` matches any run of characters).
    Path(Sym),
    /// A query parameter (for example `utm_source`) equals a value.
    Param {
        /// Parameter name.
        name: Sym,
        /// Expected value.
        value: Sym,
    },
    /// The `Referer` matches a glob.
    Referrer(Sym),
    /// The country (ISO 3166-1 alpha-2, from `request.cf`) is one of these.
    Country(Vec<Sym>),
    /// The device class from the user agent.
    Device(Device),
    /// The visitor's local time of day is in `[from, to)`, minutes after midnight; a window
    /// with `from > to` wraps past midnight (`22:00-06:00`).
    LocalTime {
        /// Start, inclusive (`0..1440`).
        from: u16,
        /// End, exclusive (`1..=1440`).
        to: u16,
    },
    /// A UTM parameter of the URL (percent-decoded) matches a glob, ignoring ASCII case.
    Utm {
        /// Which parameter.
        field: UtmField,
        /// The glob (`*` matches any run), stored lowercase.
        glob: Sym,
    },
}

/// The UTM parameters a condition can test.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UtmField {
    /// `utm_source`.
    Source,
    /// `utm_medium`.
    Medium,
    /// `utm_campaign`.
    Campaign,
    /// `utm_term`.
    Term,
    /// `utm_content`.
    Content,
}

impl UtmField {
    /// Every field, in authoring order.
    pub const ALL: [Self; 5] = [
        Self::Source,
        Self::Medium,
        Self::Campaign,
        Self::Term,
        Self::Content,
    ];

    /// The authoring keyword (`source`).
    pub fn keyword(self) -> &'static str {
        match self {
            Self::Source => "source",
            Self::Medium => "medium",
            Self::Campaign => "campaign",
            Self::Term => "term",
            Self::Content => "content",
        }
    }

    /// The query parameter (`utm_source`).
    pub fn param(self) -> &'static str {
        match self {
            Self::Source => "utm_source",
            Self::Medium => "utm_medium",
            Self::Campaign => "utm_campaign",
            Self::Term => "utm_term",
            Self::Content => "utm_content",
        }
    }
}

/// Device classes derived from the user agent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Device {
    /// Phones.
    Mobile,
    /// Tablets.
    Tablet,
    /// Everything else.
    Desktop,
}

impl Device {
    /// The authoring keyword.
    pub fn keyword(self) -> &'static str {
        match self {
            Self::Mobile => "mobile",
            Self::Tablet => "tablet",
            Self::Desktop => "desktop",
        }
    }
}

impl Expr {
    /// Every symbol the expression references, for decode-time checks.
    pub(crate) fn syms(&self, out: &mut Vec<Sym>) {
        match self {
            Self::True | Self::Anonymous => {}
            Self::Segment(s) => out.push(*s),
            Self::Attr { name, test } => {
                out.push(*name);
                test.syms(out);
            }
            Self::Activity(a) => match a {
                ActivityTest::ViewedProduct { product, .. } => out.extend(product),
                ActivityTest::CategoryViews { category, .. } => out.push(*category),
                ActivityTest::Visits(_) | ActivityTest::Returning(_) => {}
            },
            Self::Request(r) => match r {
                RequestTest::Path(s)
                | RequestTest::Referrer(s)
                | RequestTest::Utm { glob: s, .. } => out.push(*s),
                RequestTest::Param { name, value } => out.extend([*name, *value]),
                RequestTest::Country(list) => out.extend(list),
                RequestTest::Device(_) | RequestTest::LocalTime { .. } => {}
            },
            Self::All(list) | Self::Any(list) => list.iter().for_each(|e| e.syms(out)),
            Self::Not(e) => e.syms(out),
        }
    }
}

impl Test {
    fn syms(&self, out: &mut Vec<Sym>) {
        let value = |v: &Value, out: &mut Vec<Sym>| {
            if let Value::Text(s) = v {
                out.push(*s);
            }
        };
        match self {
            Self::Eq(v) => value(v, out),
            Self::In(list) => list.iter().for_each(|v| value(v, out)),
            Self::Contains(s) => out.push(*s),
            Self::Exists(_) | Self::Gte(_) | Self::Lte(_) | Self::Gt(_) | Self::Lt(_) => {}
        }
    }
}
