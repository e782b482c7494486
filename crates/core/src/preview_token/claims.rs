//! The claims of a preview token: how they travel (JSON, each member once, nothing unknown),
//! how they are written when minting, and the checks both directions share. Parsing happens
//! only after the MAC verified.

use std::fmt;

use serde::de::{self, MapAccess, Visitor};
use serde::{Deserialize, Deserializer};
use serde_json::value::RawValue;

use super::{
    Preview, Refusal, VerifiedPreview, MAX_AT, MAX_SEGMENTS, MAX_TTL_SECS, MAX_VARIANTS, USE,
};
use crate::cookie::{AttrValue, Attrs};

/// The members a preview token's claims may have.
const NAMES: [&str; 8] = [
    "use",
    "iat",
    "exp",
    "seg",
    "attrs",
    "anonymous",
    "variants",
    "at",
];

/// The claims as they travel, each member kept raw: every name known and present once (a
/// name written with escapes is not one of them), each member then parsed on its own so a
/// refusal names it.
struct RawClaims<'a>(Vec<(&'a str, &'a RawValue)>);

impl<'de> Deserialize<'de> for RawClaims<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = RawClaims<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object of claims")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut out: Vec<(&'de str, &'de RawValue)> = Vec::new();
                while let Some((k, v)) = map.next_entry::<&'de str, &'de RawValue>()? {
                    if !NAMES.contains(&k) {
                        return Err(de::Error::custom("unknown claim"));
                    }
                    if out.iter().any(|(seen, _)| *seen == k) {
                        return Err(de::Error::custom("duplicate claim"));
                    }
                    out.push((k, v));
                }
                Ok(RawClaims(out))
            }
        }
        d.deserialize_map(V)
    }
}

impl<'a> RawClaims<'a> {
    fn get(&self, name: &str) -> Option<&'a RawValue> {
        self.0.iter().find(|(k, _)| *k == name).map(|(_, v)| *v)
    }
}

/// The claims, typed.
pub(super) struct Claims {
    use_: String,
    iat: u64,
    exp: u64,
    seg: Option<Vec<String>>,
    attrs: Option<Attrs>,
    anonymous: Option<bool>,
    variants: Option<Variants>,
    at: Option<i64>,
}

/// `{"experiment": "arm", …}` with duplicate keys refused (a map would keep the last one).
struct Variants(Vec<(String, String)>);

impl<'de> Deserialize<'de> for Variants {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Variants;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object of experiment arms")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Variants, A::Error> {
                let mut out: Vec<(String, String)> = Vec::new();
                while let Some((k, v)) = map.next_entry::<String, String>()? {
                    if out.iter().any(|(seen, _)| *seen == k) {
                        return Err(de::Error::custom("duplicate variant"));
                    }
                    if out.len() == MAX_VARIANTS {
                        return Err(de::Error::custom("too many variants"));
                    }
                    out.push((k, v));
                }
                Ok(Variants(out))
            }
        }
        d.deserialize_map(V)
    }
}

pub(super) fn claims_json(p: &Preview, iat: u64, exp: u64) -> String {
    let mut claims = serde_json::json!({ "use": USE, "iat": iat, "exp": exp });
    if let Some(seg) = &p.segments {
        claims["seg"] = serde_json::json!(seg);
    }
    if let Some(attrs) = &p.attrs {
        claims["attrs"] = attrs_json(attrs);
    }
    if p.anonymous {
        claims["anonymous"] = serde_json::Value::Bool(true);
    }
    if !p.variants.is_empty() {
        let map: serde_json::Map<String, serde_json::Value> = p
            .variants
            .iter()
            .map(|(k, v)| (k.clone(), serde_json::Value::String(v.clone())))
            .collect();
        claims["variants"] = serde_json::Value::Object(map);
    }
    if let Some(at) = p.at {
        claims["at"] = serde_json::json!(at);
    }
    claims.to_string()
}

fn attrs_json(attrs: &Attrs) -> serde_json::Value {
    let map = attrs
        .0
        .iter()
        .map(|(k, v)| {
            let v = match v {
                AttrValue::Bool(b) => serde_json::json!(b),
                AttrValue::Number(n) => serde_json::json!(n),
                AttrValue::Text(t) => serde_json::json!(t),
                AttrValue::List(l) => serde_json::json!(l),
            };
            (k.clone(), v)
        })
        .collect();
    serde_json::Value::Object(map)
}

pub(super) fn parse(payload: &[u8]) -> Result<Claims, Refusal> {
    let text = std::str::from_utf8(payload).map_err(|_| Refusal::NotJson)?;
    // Serde accepts a struct written as a JSON array; claims are an object only.
    if !text.trim_start().starts_with('{') {
        return Err(Refusal::NotJson);
    }
    let raw: RawClaims = serde_json::from_slice(text.as_bytes()).map_err(|e| {
        if !matches!(e.classify(), serde_json::error::Category::Data) {
            return Refusal::NotJson;
        }
        // Our own messages (above); refusals only. An escaped name cannot be borrowed and is
        // no name we know either.
        if e.to_string().starts_with("duplicate") {
            Refusal::DuplicateClaim
        } else {
            Refusal::UnknownClaim
        }
    })?;
    let optional = |name: &'static str| raw.get(name);
    Ok(Claims {
        use_: member(required(raw.get("use"))?, "use")?,
        iat: member(required(raw.get("iat"))?, "iat")?,
        exp: member(required(raw.get("exp"))?, "exp")?,
        seg: optional("seg").map(|v| member(v, "seg")).transpose()?,
        attrs: optional("attrs").map(|v| member(v, "attrs")).transpose()?,
        anonymous: optional("anonymous")
            .map(|v| member(v, "anonymous"))
            .transpose()?,
        variants: optional("variants")
            .map(|v| member(v, "variants"))
            .transpose()?,
        at: optional("at").map(|v| member(v, "at")).transpose()?,
    })
}

fn required(v: Option<&RawValue>) -> Result<&RawValue, Refusal> {
    v.ok_or(Refusal::MissingClaim)
}

/// One claim's value; nested duplicates (attributes, variants) are `DuplicateClaim`.
fn member<'a, T: Deserialize<'a>>(raw: &'a RawValue, name: &'static str) -> Result<T, Refusal> {
    serde_json::from_slice(raw.get().as_bytes()).map_err(|e| {
        if e.to_string().starts_with("duplicate") {
            Refusal::DuplicateClaim
        } else {
            Refusal::InvalidClaim(name)
        }
    })
}

pub(super) fn check(c: Claims) -> Result<VerifiedPreview, Refusal> {
    if c.use_ != USE {
        return Err(Refusal::WrongUse);
    }
    if c.exp <= c.iat || c.exp - c.iat > MAX_TTL_SECS {
        return Err(Refusal::Lifetime);
    }
    if let Some(seg) = &c.seg {
        let repeated = seg.iter().enumerate().any(|(i, s)| seg[..i].contains(s));
        if seg.len() > MAX_SEGMENTS || repeated || !seg.iter().all(|s| id(s)) {
            return Err(Refusal::InvalidClaim("seg"));
        }
    }
    let variants = c.variants.map(|v| v.0).unwrap_or_default();
    if !variants.iter().all(|(k, v)| id(k) && id(v)) {
        return Err(Refusal::InvalidClaim("variants"));
    }
    if c.at.is_some_and(|at| !(0..=MAX_AT).contains(&at)) {
        return Err(Refusal::InvalidClaim("at"));
    }
    let anonymous = c.anonymous.unwrap_or(false);
    if anonymous && (c.seg.is_some() || c.attrs.is_some()) {
        return Err(Refusal::Conflict);
    }
    Ok(VerifiedPreview {
        preview: Preview {
            segments: c.seg,
            attrs: c.attrs,
            anonymous,
            variants,
            at: c.at,
        },
        iat: c.iat,
        exp: c.exp,
    })
}

/// Segment ids, experiment keys and arm names: 1–64 of `[A-Za-z0-9_-]`.
fn id(s: &str) -> bool {
    (1..=64).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}
