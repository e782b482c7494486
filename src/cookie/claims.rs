//! The profile cookie's claims: what the shop's backend tells the edge about a visitor.
//!
//! Parsing is strict (numeric claims must be JSON numbers, duplicate members are refused) and
//! happens only after the MAC verified. The result is a [`VerifiedProfile`]: past this module
//! no code re-checks a profile, and no code can build one from unverified bytes.

use std::collections::BTreeMap;
use std::fmt;

use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::Deserialize;

use super::Rejection;

/// Time checks applied to a verified token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimePolicy {
    /// Clock skew tolerated on `exp`, `nbf` and `iat`, in seconds.
    pub leeway_secs: u64,
    /// Tokens issued longer ago than this are stale and ignored (`None`: no limit).
    pub max_age_secs: Option<u64>,
}

impl Default for TimePolicy {
    fn default() -> Self {
        Self {
            leeway_secs: 60,
            max_age_secs: None,
        }
    }
}

/// A scalar or list attribute used for targeting.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(untagged)]
pub enum AttrValue {
    /// `true` / `false`.
    Bool(bool),
    /// Any JSON number.
    Number(f64),
    /// A string.
    Text(String),
    /// A list of strings (for example purchased product ids).
    List(Vec<String>),
}

/// The attribute map, refusing duplicate keys.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Attrs(pub BTreeMap<String, AttrValue>);

impl<'de> Deserialize<'de> for Attrs {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Attrs;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object of attributes")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Attrs, A::Error> {
                let mut out = BTreeMap::new();
                while let Some((k, v)) = map.next_entry::<String, AttrValue>()? {
                    if out.contains_key(&k) {
                        return Err(de::Error::custom(format_args!("duplicate attribute `{k}`")));
                    }
                    out.insert(k, v);
                }
                Ok(Attrs(out))
            }
        }
        d.deserialize_map(V)
    }
}

/// The claims as they appear in the token (`exp` required).
#[derive(Deserialize)]
struct RawClaims {
    sub: String,
    #[serde(default)]
    seg: Vec<String>,
    #[serde(default)]
    attrs: Attrs,
    exp: u64,
    #[serde(default)]
    iat: Option<u64>,
    #[serde(default)]
    nbf: Option<u64>,
}

/// A visitor profile whose signature and time claims were verified.
#[derive(Debug, Clone, PartialEq)]
pub struct VerifiedProfile {
    /// Pseudonymous subject id from the shop.
    pub sub: String,
    /// Segment ids computed by the shop's CRM/CDP.
    pub segments: Vec<String>,
    /// Attributes for rule targeting.
    pub attrs: Attrs,
    /// Expiry, seconds since the Unix epoch.
    pub exp: u64,
}

impl VerifiedProfile {
    /// Whether the visitor carries segment `id`.
    pub fn in_segment(&self, id: &str) -> bool {
        self.segments.iter().any(|s| s == id)
    }
}

/// Parses verified payload bytes and applies the time policy at `now` (Unix seconds).
pub fn parse(payload: &[u8], now: u64, policy: TimePolicy) -> Result<VerifiedProfile, Rejection> {
    let raw: RawClaims = serde_json::from_slice(payload).map_err(|_| Rejection::BadClaims)?;
    let leeway = policy.leeway_secs;
    if now > raw.exp.saturating_add(leeway) {
        return Err(Rejection::Expired);
    }
    if raw.nbf.is_some_and(|nbf| nbf > now.saturating_add(leeway)) {
        return Err(Rejection::NotYetValid);
    }
    if let Some(iat) = raw.iat {
        if iat > now.saturating_add(leeway) {
            return Err(Rejection::IssuedInFuture);
        }
        if policy
            .max_age_secs
            .is_some_and(|max| now.saturating_sub(iat) > max)
        {
            return Err(Rejection::Stale);
        }
    }
    Ok(VerifiedProfile {
        sub: raw.sub,
        segments: raw.seg,
        attrs: raw.attrs,
        exp: raw.exp,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: u64 = 1_800_000_000;

    fn p(json: &str) -> Result<VerifiedProfile, Rejection> {
        parse(
            json.as_bytes(),
            NOW,
            TimePolicy {
                leeway_secs: 60,
                max_age_secs: Some(86_400),
            },
        )
    }

    #[test]
    fn full_profile_parses() {
        let v = p(r#"{"sub":"u1","seg":["loyal"],"attrs":{"tier":"gold","orders":12,"pets":["dog"]},"iat":1799999000,"exp":1800003600}"#).unwrap();
        assert!(v.in_segment("loyal"));
        assert!(!v.in_segment("vip"));
        assert_eq!(v.attrs.0.get("orders"), Some(&AttrValue::Number(12.0)));
    }

    macro_rules! rejects {
        ($($name:ident: $json:expr => $why:expr,)*) => {$(
            #[test]
            fn $name() { assert_eq!(p($json), Err($why)); }
        )*};
    }

    rejects! {
        exp_missing: r#"{"sub":"u"}"# => Rejection::BadClaims,
        exp_string: r#"{"sub":"u","exp":"1800003600"}"# => Rejection::BadClaims,
        exp_float: r#"{"sub":"u","exp":1800003600.5}"# => Rejection::BadClaims,
        exp_negative: r#"{"sub":"u","exp":-1}"# => Rejection::BadClaims,
        expired: r#"{"sub":"u","exp":1799999939}"# => Rejection::Expired,
        nbf_future: r#"{"sub":"u","exp":1800003600,"nbf":1800000061}"# => Rejection::NotYetValid,
        iat_future: r#"{"sub":"u","exp":1800003600,"iat":1800000061}"# => Rejection::IssuedInFuture,
        stale: r#"{"sub":"u","exp":1800003600,"iat":1799913599}"# => Rejection::Stale,
        duplicate_claim: r#"{"sub":"u","sub":"v","exp":1800003600}"# => Rejection::BadClaims,
        duplicate_attr: r#"{"sub":"u","exp":1800003600,"attrs":{"a":1,"a":2}}"# => Rejection::BadClaims,
        not_json: "nope" => Rejection::BadClaims,
        seg_not_list: r#"{"sub":"u","exp":1800003600,"seg":"loyal"}"# => Rejection::BadClaims,
    }

    #[test]
    fn leeway_accepts_just_expired() {
        assert!(p(r#"{"sub":"u","exp":1799999940}"#).is_ok());
    }
}
