//! The beacon route, `POST /__vitrine/event`, as pure checks: who may send (same origin only),
//! what (a small JSON body naming a declared beacon conversion, with a value in its range),
//! and every refusal with its status code and a stable reason code.
//!
//! ```text
//! navigator.sendBeacon("/__vitrine/event", JSON.stringify({event: "add_to_cart", value: 12.5}))
//! navigator.sendBeacon("/__vitrine/event", JSON.stringify({event: "purchase", value: 49.9, products: ["p0042", "p0107"]}))
//! ```
//!
//! `products` (optional, at most [`MAX_PRODUCTS`] ids of at most [`MAX_PRODUCT_ID`] bytes in
//! `[A-Za-z0-9_.-]`) names what the conversion was for; with consent the event keeps them, and
//! `vitrine recs train` learns "also bought" from them.
//!
//! The checks run cheapest first and the body is parsed last, so a cross-site or oversized
//! request costs no parsing. A refused beacon writes nothing (no event, no cookie).

use serde::Deserialize;

use super::MAX_EVENTS_PER_MINUTE;
use crate::snapshot::goal::Goal;

/// The route's path.
pub const ROUTE: &str = "/__vitrine/event";

/// Largest body accepted, in bytes.
pub const MAX_BODY_BYTES: usize = 1024;

/// Most product ids one beacon may name.
pub const MAX_PRODUCTS: usize = 20;
/// Longest product id a beacon may name, in bytes.
pub const MAX_PRODUCT_ID: usize = 64;

/// Why a beacon was refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum Refusal {
    /// Not a `POST`.
    #[error("only POST is accepted here")]
    Method,
    /// `Sec-Fetch-Site` says the request did not come from this site's own pages.
    #[error("Sec-Fetch-Site is `{0}`, not `same-origin`")]
    CrossSite(String),
    /// `Origin` names another origin (or `null`).
    #[error("Origin `{0}` is not this site's origin")]
    Origin(String),
    /// Neither `Origin` nor `Sec-Fetch-Site`: where it comes from is unknown.
    #[error("neither Origin nor Sec-Fetch-Site is present")]
    NoOrigin,
    /// A body type a beacon does not send.
    #[error("Content-Type `{0}` is neither text/plain nor application/json")]
    ContentType(String),
    /// Over [`MAX_BODY_BYTES`].
    #[error("the body is over {MAX_BODY_BYTES} bytes")]
    TooLarge,
    /// Not `{"event": "…", "value": number}` (nothing else, each key once).
    #[error("the body is not {{\"event\": name, \"value\": number}}: {0}")]
    Malformed(String),
    /// No beacon conversion of that name is declared.
    #[error("no beacon conversion is named `{0}`")]
    UnknownEvent(String),
    /// The conversion declares no value, but one was sent.
    #[error("conversion `{0}` takes no value")]
    UnexpectedValue(String),
    /// The value is outside the declared range.
    #[error("value {} is outside {}..={} for `{name}`", num(*value), num(*min), num(*max))]
    OutOfRange {
        /// Conversion name.
        name: String,
        /// The value sent.
        value: f64,
        /// Declared minimum.
        min: f64,
        /// Declared maximum.
        max: f64,
    },
    /// The visitor sent [`MAX_EVENTS_PER_MINUTE`] events this minute already.
    #[error("more than {MAX_EVENTS_PER_MINUTE} events this minute")]
    RateLimited,
    /// The worker has no snapshot (or no usable configuration) to check the name against.
    #[error("no active snapshot to check the event against")]
    Unavailable,
}

impl Refusal {
    /// The HTTP status to answer with.
    pub fn status(&self) -> u16 {
        match self {
            Self::Method => 405,
            Self::CrossSite(_) | Self::Origin(_) | Self::NoOrigin => 403,
            Self::ContentType(_) => 415,
            Self::TooLarge => 413,
            Self::Malformed(_) => 400,
            Self::UnknownEvent(_) | Self::UnexpectedValue(_) | Self::OutOfRange { .. } => 422,
            Self::RateLimited => 429,
            Self::Unavailable => 503,
        }
    }

    /// Stable reason code, for logs and the response body.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Method => "method",
            Self::CrossSite(_) => "cross_site",
            Self::Origin(_) => "origin",
            Self::NoOrigin => "no_origin",
            Self::ContentType(_) => "content_type",
            Self::TooLarge => "too_large",
            Self::Malformed(_) => "malformed",
            Self::UnknownEvent(_) => "unknown_event",
            Self::UnexpectedValue(_) => "unexpected_value",
            Self::OutOfRange { .. } => "out_of_range",
            Self::RateLimited => "rate_limited",
            Self::Unavailable => "unavailable",
        }
    }

    /// The response body: `refused: <code>: <what was wrong>`.
    pub fn body(&self) -> String {
        format!("refused: {}: {self}\n", self.code())
    }
}

/// The request line and headers a beacon is checked on (no body yet).
#[derive(Debug, Clone, Copy)]
pub struct Head<'a> {
    /// Request method.
    pub method: &'a str,
    /// The full request URL (its origin is the site's).
    pub url: &'a str,
    /// `Origin`.
    pub origin: Option<&'a str>,
    /// `Sec-Fetch-Site`.
    pub fetch_site: Option<&'a str>,
    /// `Content-Type`.
    pub content_type: Option<&'a str>,
    /// `Content-Length`, if sent.
    pub content_length: Option<&'a str>,
}

/// Checks method, origin, content type and declared length.
pub fn check_head(head: Head<'_>) -> Result<(), Refusal> {
    if head.method != "POST" {
        return Err(Refusal::Method);
    }
    check_origin(head.url, head.origin, head.fetch_site)?;
    if let Some(ct) = head.content_type {
        let media = ct.split(';').next().unwrap_or("").trim();
        let known = ["text/plain", "application/json"];
        if !known.iter().any(|k| media.eq_ignore_ascii_case(k)) {
            return Err(Refusal::ContentType(clip(ct)));
        }
    }
    match head.content_length.map(|l| l.trim().parse::<u64>()) {
        Some(Ok(n)) if n > MAX_BODY_BYTES as u64 => Err(Refusal::TooLarge),
        Some(Err(_)) => Err(Refusal::Malformed("Content-Length is not a number".into())),
        _ => Ok(()),
    }
}

/// Same origin only: `Sec-Fetch-Site`, when sent, must be `same-origin`; `Origin`, when sent,
/// must be the request URL's origin; one of them must be there.
fn check_origin(url: &str, origin: Option<&str>, fetch_site: Option<&str>) -> Result<(), Refusal> {
    if let Some(site) = fetch_site {
        if !site.trim().eq_ignore_ascii_case("same-origin") {
            return Err(Refusal::CrossSite(clip(site)));
        }
    }
    match origin {
        Some(o) if !origin_of(url).is_some_and(|own| own.eq_ignore_ascii_case(o.trim())) => {
            Err(Refusal::Origin(clip(o)))
        }
        None if fetch_site.is_none() => Err(Refusal::NoOrigin),
        _ => Ok(()),
    }
}

/// `scheme://host[:port]` of an absolute URL.
pub fn origin_of(url: &str) -> Option<&str> {
    let after = url.find("://")? + 3;
    let end = url[after..]
        .find(['/', '?', '#'])
        .map_or(url.len(), |i| after + i);
    (end > after).then(|| &url[..end])
}

/// A number as JSON writes it (serde_json's formatter: `core`'s float `Display` would add
/// its own formatting tables to the .wasm for this one message).
fn num(v: f64) -> String {
    serde_json::to_string(&v).unwrap_or_default()
}

/// A header value as quoted back in a refusal: at most 64 bytes, printable ASCII.
fn clip(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_ascii_graphic() || *c == ' ')
        .take(64)
        .collect()
}

/// A checked beacon: the declared conversion, its value and the products it names.
#[derive(Debug, Clone, PartialEq)]
pub struct Beacon<'g> {
    /// The conversion it names.
    pub goal: &'g Goal,
    /// Its value, inside the declared range.
    pub value: Option<f64>,
    /// Product ids it was for (checked, in the order sent, duplicates dropped).
    pub products: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Wire {
    event: String,
    #[serde(default)]
    value: Option<f64>,
    #[serde(default)]
    products: Vec<String>,
}

/// The products of a beacon, checked: at most [`MAX_PRODUCTS`], each a plain id.
fn products(sent: Vec<String>) -> Result<Vec<String>, Refusal> {
    if sent.len() > MAX_PRODUCTS {
        return Err(Refusal::Malformed(format!(
            "more than {MAX_PRODUCTS} products"
        )));
    }
    let plain = |id: &str| {
        (1..=MAX_PRODUCT_ID).contains(&id.len())
            && id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"_.-".contains(&b))
    };
    let mut out: Vec<String> = Vec::with_capacity(sent.len());
    for id in sent {
        if !plain(&id) {
            return Err(Refusal::Malformed(format!(
                "product id `{}` is not [A-Za-z0-9_.-]{{1,{MAX_PRODUCT_ID}}}",
                clip(&id)
            )));
        }
        if !out.contains(&id) {
            out.push(id);
        }
    }
    Ok(out)
}

/// Parses and checks a beacon body against the declared conversions.
pub fn parse<'g>(body: &[u8], goals: &'g [Goal]) -> Result<Beacon<'g>, Refusal> {
    if body.len() > MAX_BODY_BYTES {
        return Err(Refusal::TooLarge);
    }
    // serde would also read a struct from a JSON array; only an object is a beacon.
    if body.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
        return Err(Refusal::Malformed("expected a JSON object".into()));
    }
    let wire: Wire = serde_json::from_slice(body).map_err(|e| Refusal::Malformed(e.to_string()))?;
    let goal = goals
        .iter()
        .find(|g| g.beacon && g.name == wire.event)
        .ok_or_else(|| Refusal::UnknownEvent(clip(&wire.event)))?;
    let products = products(wire.products)?;
    match (wire.value, goal.value) {
        (None, _) => Ok(Beacon {
            goal,
            value: None,
            products,
        }),
        (Some(_), None) => Err(Refusal::UnexpectedValue(goal.name.clone())),
        (Some(v), Some(range)) if range.contains(v) => Ok(Beacon {
            goal,
            value: Some(v),
            products,
        }),
        (Some(value), Some(range)) => Err(Refusal::OutOfRange {
            name: goal.name.clone(),
            value,
            min: range.min,
            max: range.max,
        }),
    }
}

#[cfg(test)]
mod tests;
