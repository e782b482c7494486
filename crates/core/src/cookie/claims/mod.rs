//! The profile cookie's claims: what the shop's backend tells the edge about a visitor.
//!
//! Parsing is strict and happens only after the MAC verified: the payload must be UTF-8 JSON,
//! one object whose members each appear once (a duplicate `seg` or `exp` could mean two
//! parsers disagree on what was signed), numeric claims must be JSON integers (never strings),
//! and the time claims must hold at `now`. The schema is `docs/profile-claims.schema.json`.
//!
//! The result is a [`VerifiedProfile`]: past this module no code re-checks a profile, and no
//! code can build one from unverified bytes. Attributes the backend marks as unverified
//! (`{"value": …, "verified": false}`, for example a birthday that is a form default) are
//! dropped here, so targeting can never see them.

mod attrs;

use std::cell::Cell;
use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, Visitor};
use serde::Deserialize;

pub use attrs::{AttrValue, Attrs};

use super::Rejection;

/// Time checks applied to a verified token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimePolicy {
    /// Clock skew tolerated on `exp`, `nbf` and `iat`, in seconds.
    pub leeway_secs: u64,
    /// Profiles issued (`iat`) longer ago than this are stale and ignored; a profile without
    /// `iat` has an unknown age and is stale too. `None`: no limit.
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

/// A visitor profile whose signature and time claims were verified.
#[derive(Debug, Clone, PartialEq)]
pub struct VerifiedProfile {
    /// Pseudonymous subject id from the shop; empty when the token has no `sub`.
    pub sub: String,
    /// Segment ids computed by the shop's CRM/CDP.
    pub segments: Vec<String>,
    /// Verified attributes for rule targeting (unverified ones were dropped).
    pub attrs: Attrs,
    /// Expiry, seconds since the Unix epoch.
    pub exp: u64,
}

impl VerifiedProfile {
    /// Whether the visitor carries segment `id`.
    pub fn in_segment(&self, id: &str) -> bool {
        self.segments.iter().any(|s| s == id)
    }

    /// The tracking consent the backend recorded in `attrs.consent` (`true`/`false`), if any.
    pub fn consent(&self) -> Option<bool> {
        match self.attrs.get("consent") {
            Some(AttrValue::Bool(b)) => Some(*b),
            _ => None,
        }
    }
}

/// Longest accepted `sub`, segment id or attribute name, in bytes.
pub const MAX_ID_BYTES: usize = 256;

/// Claims as they are collected, before the required ones are checked.
#[derive(Default)]
struct Raw {
    sub: Option<String>,
    sub_present: bool,
    seg: Option<Vec<String>>,
    attrs: Option<Attrs>,
    exp: Option<u64>,
    iat: Option<u64>,
    nbf: Option<u64>,
}

/// Parses verified payload bytes and applies the time policy at `now` (Unix seconds).
pub fn parse(payload: &[u8], now: u64, policy: TimePolicy) -> Result<VerifiedProfile, Rejection> {
    let (profile, times) = parse_untimed(payload)?;
    times.check(now, policy)?;
    Ok(profile)
}

/// A profile's time claims, checked at each use by [`Times::check`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Times {
    exp: u64,
    iat: Option<u64>,
    nbf: Option<u64>,
}

impl Times {
    /// Whether the claims hold at `now` under `policy`, or which one does not.
    pub fn check(self, now: u64, policy: TimePolicy) -> Result<(), Rejection> {
        check_time(self.exp, self.iat, self.nbf, now, policy)
    }
}

/// [`parse`] without the time checks: the profile and its time claims, checked apart (a
/// verified token is remembered by [`super::verified`], and its times are checked at every use).
pub fn parse_untimed(payload: &[u8]) -> Result<(VerifiedProfile, Times), Rejection> {
    let text = std::str::from_utf8(payload).map_err(|_| Rejection::ClaimsNotUtf8)?;
    let why = Cell::new(None);
    let mut de = serde_json::Deserializer::from_slice(text.as_bytes());
    let mut raw = ClaimsSeed(&why)
        .deserialize(&mut de)
        .and_then(|raw| de.end().map(|()| raw))
        .map_err(|e| match (e.classify(), why.get()) {
            (serde_json::error::Category::Data, Some(reason)) => reason,
            (serde_json::error::Category::Data, None) => Rejection::ClaimsNotObject,
            _ => Rejection::ClaimsNotJson,
        })?;
    raw.sub_present = raw.sub.is_some();
    // `sub` is optional (a CDP may segment visitors it cannot name), but never empty.
    let sub = raw.sub.unwrap_or_default();
    if raw.sub_present && (sub.is_empty() || sub.len() > MAX_ID_BYTES) {
        return Err(Rejection::InvalidClaim("sub"));
    }
    let exp = raw.exp.ok_or(Rejection::MissingClaim("exp"))?;
    let times = Times {
        exp,
        iat: raw.iat,
        nbf: raw.nbf,
    };
    let profile = VerifiedProfile {
        sub,
        segments: raw.seg.unwrap_or_default(),
        attrs: raw.attrs.unwrap_or_default(),
        exp,
    };
    Ok((profile, times))
}

fn check_time(
    exp: u64,
    iat: Option<u64>,
    nbf: Option<u64>,
    now: u64,
    policy: TimePolicy,
) -> Result<(), Rejection> {
    let leeway = policy.leeway_secs;
    if now > exp.saturating_add(leeway) {
        return Err(Rejection::Expired);
    }
    if nbf.is_some_and(|nbf| nbf > now.saturating_add(leeway)) {
        return Err(Rejection::NotYetValid);
    }
    if iat.is_some_and(|iat| iat > now.saturating_add(leeway)) {
        return Err(Rejection::IssuedInFuture);
    }
    if let Some(max) = policy.max_age_secs {
        match iat {
            Some(iat) if now.saturating_sub(iat) <= max => {}
            _ => return Err(Rejection::Stale),
        }
    }
    Ok(())
}

/// Deserializes the claims object, recording in `why` the exact reason of a refusal.
struct ClaimsSeed<'a>(&'a Cell<Option<Rejection>>);

impl<'de> DeserializeSeed<'de> for ClaimsSeed<'_> {
    type Value = Raw;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Raw, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for ClaimsSeed<'_> {
    type Value = Raw;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object of claims")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Raw, A::Error> {
        let mut raw = Raw::default();
        let mut others: Vec<String> = Vec::new();
        while let Some(key) = map.next_key::<Claim>()? {
            let fresh = match key {
                Claim::Sub => put(&mut raw.sub, &mut map, self.0, "sub")?,
                Claim::Seg => put(&mut raw.seg, &mut map, self.0, "seg")?,
                Claim::Attrs => put(&mut raw.attrs, &mut map, self.0, "attrs")?,
                Claim::Exp => put(&mut raw.exp, &mut map, self.0, "exp")?,
                Claim::Iat => put(&mut raw.iat, &mut map, self.0, "iat")?,
                Claim::Nbf => put(&mut raw.nbf, &mut map, self.0, "nbf")?,
                // `use` marks a token made for something else (a signed conversion, signed
                // with this same ring): never a profile.
                Claim::Other(key) if key == "use" => {
                    self.0.set(Some(Rejection::InvalidClaim("use")));
                    return Err(de::Error::custom("a token for another use"));
                }
                Claim::Other(key) => {
                    map.next_value::<IgnoredAny>()?;
                    let fresh = !others.contains(&key);
                    others.push(key);
                    fresh
                }
            };
            if !fresh {
                self.0.set(Some(Rejection::DuplicateClaim));
                return Err(de::Error::custom("duplicate claim"));
            }
        }
        Ok(raw)
    }
}

/// A claim name: the known ones without allocating, others kept for duplicate detection.
enum Claim {
    Sub,
    Seg,
    Attrs,
    Exp,
    Iat,
    Nbf,
    Other(String),
}

impl<'de> Deserialize<'de> for Claim {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Claim;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a claim name")
            }
            fn visit_str<E: de::Error>(self, name: &str) -> Result<Claim, E> {
                Ok(match name {
                    "sub" => Claim::Sub,
                    "seg" => Claim::Seg,
                    "attrs" => Claim::Attrs,
                    "exp" => Claim::Exp,
                    "iat" => Claim::Iat,
                    "nbf" => Claim::Nbf,
                    other => Claim::Other(other.to_owned()),
                })
            }
        }
        d.deserialize_identifier(V)
    }
}

/// Reads one claim value into `slot`; returns whether the slot was empty before.
fn put<'de, T: Deserialize<'de>, A: MapAccess<'de>>(
    slot: &mut Option<T>,
    map: &mut A,
    why: &Cell<Option<Rejection>>,
    name: &'static str,
) -> Result<bool, A::Error> {
    let fresh = slot.is_none();
    match map.next_value::<T>() {
        Ok(v) => {
            *slot = Some(v);
            Ok(fresh)
        }
        Err(e) => {
            // Nested duplicates surface as serde errors whose messages we write ourselves in
            // `attrs.rs` ("duplicate attribute …", "duplicate member …"); the serde error type
            // is generic here, so its message is the only thing to tell them apart. This runs
            // on refusals only.
            why.set(Some(if e.to_string().starts_with("duplicate") {
                Rejection::DuplicateClaim
            } else {
                Rejection::InvalidClaim(name)
            }));
            Err(e)
        }
    }
}

#[cfg(test)]
mod tests;
