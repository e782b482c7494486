//! Preview tokens: a marketer's short-lived, signed pass to see the live page as someone else
//! would (forced segments or attributes, experiment arms, a date) and to read why each slot got
//! its content (`x-vitrine-explain`).
//!
//! A token is a compact JWS (HS256, the same narrow verifier as the profile cookie: pinned
//! algorithm, canonical base64url, MAC compared in constant time) signed with a key of
//! `VITRINE_PREVIEW_KEYS`, a ring of its own that must share no secret with the profile ring:
//! whoever can mint profiles must not be able to mint previews, and the other way round. Its
//! claims say what they are for (`"use":"vitrine-preview"`), so a profile token can never pass
//! as a preview even under a reused secret, and its lifetime is capped at
//! [`MAX_TTL_SECS`]. Every refusal has a stable [`Refusal::code`] for the log line; a refused
//! token is ignored, never an error page.
//!
//! Past [`verify`] a [`Preview`] is typed data: no code re-checks a token. Nothing here logs or
//! returns token bytes or secrets.

mod claims;

use crate::cookie::{jws, Attrs, Identity, Key, KeyRing, Rejection, VerifiedProfile};
use claims::{check, claims_json, parse};

/// Query parameter that carries a token (removed before the page source is asked).
pub const PARAM: &str = "vitrine_preview";
/// Request header that carries a token.
pub const HEADER: &str = "x-vitrine-preview";
/// Longest lifetime (`exp - iat`) a token may have: one day.
pub const MAX_TTL_SECS: u64 = 86_400;
/// Longest token accepted, in bytes (it travels in a URL).
pub const MAX_TOKEN_BYTES: usize = 2048;
/// Clock skew tolerated on `exp` and `iat`, in seconds.
pub const LEEWAY_SECS: u64 = 60;
/// Most segments one token may force.
pub const MAX_SEGMENTS: usize = 32;
/// Most experiment arms one token may force.
pub const MAX_VARIANTS: usize = 16;
/// The `use` claim every preview token carries.
pub const USE: &str = "vitrine-preview";
/// Latest `at` accepted: 9999-12-31T23:59:59Z.
const MAX_AT: i64 = 253_402_300_799;

/// What a token forces. Every part is optional: an empty preview shows the visitor's own page
/// with its explanation.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Preview {
    /// Decide for a profile with exactly these segments (with `attrs`, if any).
    pub segments: Option<Vec<String>>,
    /// Decide for a profile with exactly these attributes (with `segments`, if any).
    pub attrs: Option<Attrs>,
    /// Decide for an anonymous visitor (never together with segments or attributes).
    pub anonymous: bool,
    /// Experiment key → arm name (or `holdout`), in the order written.
    pub variants: Vec<(String, String)>,
    /// Decide as at this moment (Unix seconds) instead of now.
    pub at: Option<i64>,
}

/// A preview whose signature, purpose and lifetime verified.
#[derive(Debug, Clone, PartialEq)]
pub struct VerifiedPreview {
    /// What it forces.
    pub preview: Preview,
    /// Issued at, Unix seconds.
    pub iat: u64,
    /// Expiry, Unix seconds.
    pub exp: u64,
}

/// Why a preview token was refused. Each maps to a stable log code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Refusal {
    /// Longer than [`MAX_TOKEN_BYTES`].
    #[error("preview token longer than {MAX_TOKEN_BYTES} bytes")]
    TooLong,
    /// The JWS layer refused it (shape, base64url, header, algorithm, kid or signature).
    #[error("{0}")]
    Jws(Rejection),
    /// The claims are not one UTF-8 JSON object.
    #[error("claims are not a UTF-8 JSON object")]
    NotJson,
    /// A claim the format does not define.
    #[error("claims hold a member a preview token does not define")]
    UnknownClaim,
    /// A claim, attribute or variant appears twice.
    #[error("a claim, attribute or variant appears twice")]
    DuplicateClaim,
    /// A required claim (`use`, `iat`, `exp`) is absent.
    #[error("a required claim (use, iat, exp) is missing")]
    MissingClaim,
    /// `use` is not `vitrine-preview`: some other token signed with this key.
    #[error("the token is not a preview token (`use` is not {USE:?})")]
    WrongUse,
    /// A claim has the wrong type or an invalid value.
    #[error("claim `{0}` has the wrong type or value")]
    InvalidClaim(&'static str),
    /// `anonymous` together with segments or attributes.
    #[error("`anonymous` cannot be combined with segments or attributes")]
    Conflict,
    /// `exp - iat` exceeds [`MAX_TTL_SECS`], or `exp` is not after `iat`.
    #[error("lifetime is not between 1 second and {MAX_TTL_SECS} seconds")]
    Lifetime,
    /// `exp` has passed (beyond [`LEEWAY_SECS`]).
    #[error("preview token expired")]
    Expired,
    /// `iat` is in the future (beyond [`LEEWAY_SECS`]).
    #[error("preview token issued in the future")]
    IssuedInFuture,
}

impl Refusal {
    /// Stable snake_case code for logs.
    pub fn code(self) -> &'static str {
        match self {
            Self::TooLong => "too_long",
            Self::Jws(r) => r.code(),
            Self::NotJson => "claims_not_json",
            Self::UnknownClaim => "unknown_claim",
            Self::DuplicateClaim => "duplicate_claim",
            Self::MissingClaim => "missing_claim",
            Self::WrongUse => "wrong_use",
            Self::InvalidClaim(_) => "invalid_claim",
            Self::Conflict => "conflicting_claims",
            Self::Lifetime => "lifetime",
            Self::Expired => "expired",
            Self::IssuedInFuture => "issued_in_future",
        }
    }
}

/// Why a preview could not be minted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MintError {
    /// The lifetime is zero or over [`MAX_TTL_SECS`].
    #[error("the lifetime must be between 1 second and {MAX_TTL_SECS} seconds (24 h); got {0} s")]
    Lifetime(u64),
    /// The preview itself would be refused.
    #[error("the preview would be refused: {0}")]
    Refused(Refusal),
}

/// Verifies `token` with `ring` at `now` (Unix seconds).
pub fn verify(token: &str, ring: &KeyRing, now: u64) -> Result<VerifiedPreview, Refusal> {
    if token.len() > MAX_TOKEN_BYTES {
        return Err(Refusal::TooLong);
    }
    let payload = jws::verify(token, ring).map_err(Refusal::Jws)?;
    let claims = parse(&payload)?;
    let verified = check(claims)?;
    if now > verified.exp.saturating_add(LEEWAY_SECS) {
        return Err(Refusal::Expired);
    }
    if verified.iat > now.saturating_add(LEEWAY_SECS) {
        return Err(Refusal::IssuedInFuture);
    }
    Ok(verified)
}

/// Signs `preview` with `key`, valid from `now` for `ttl_secs`. The result verifies with any
/// ring holding `key` until it expires.
pub fn mint(preview: &Preview, key: &Key, now: u64, ttl_secs: u64) -> Result<String, MintError> {
    if ttl_secs == 0 || ttl_secs > MAX_TTL_SECS {
        return Err(MintError::Lifetime(ttl_secs));
    }
    let payload = claims_json(preview, now, now + ttl_secs);
    // The same checks the edge applies, so a minted token is never refused for its content.
    let parsed = parse(payload.as_bytes()).map_err(MintError::Refused)?;
    check(parsed).map_err(MintError::Refused)?;
    Ok(jws::sign(payload.as_bytes(), key))
}

impl Preview {
    /// The identity to decide for: a profile with the forced segments and attributes, an
    /// anonymous visitor, or `None` to keep the visitor's own. A forced profile keeps the
    /// visitor's `sub`, so experiments the token does not force bucket them as usual.
    pub fn identity(&self, own: &Identity) -> Option<Identity> {
        if self.anonymous {
            return Some(Identity::anonymous());
        }
        if self.segments.is_none() && self.attrs.is_none() {
            return None;
        }
        Some(Identity::Profile(VerifiedProfile {
            sub: own.profile().map(|p| p.sub.clone()).unwrap_or_default(),
            segments: self.segments.clone().unwrap_or_default(),
            attrs: self.attrs.clone().unwrap_or_default(),
            exp: 0,
        }))
    }

    /// A short summary of what is forced (`seg=loyal,vip arms=strip-copy:shipping
    /// at=1798106400`); ids and attribute names only, never attribute values.
    pub fn summary(&self) -> String {
        let mut parts: Vec<String> = Vec::new();
        if self.anonymous {
            parts.push("anonymous".into());
        }
        if let Some(seg) = &self.segments {
            parts.push(format!("seg={}", seg.join(",")));
        }
        if let Some(attrs) = &self.attrs {
            let names: Vec<&str> = attrs.0.keys().map(String::as_str).collect();
            parts.push(format!("attrs={}", names.join(",")));
        }
        if !self.variants.is_empty() {
            let arms: Vec<String> = self
                .variants
                .iter()
                .map(|(k, v)| format!("{k}:{v}"))
                .collect();
            parts.push(format!("arms={}", arms.join(",")));
        }
        if let Some(at) = self.at {
            parts.push(format!("at={at}"));
        }
        parts.join(" ")
    }
}

/// The token a request carries: the `vitrine_preview` query parameter, else the
/// `x-vitrine-preview` header. The first occurrence of the parameter counts.
pub fn find<'a>(query: &'a str, header: Option<&'a str>) -> Option<&'a str> {
    let from_query = query.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        // Token characters (base64url and `.`) never need percent-encoding.
        (k == PARAM).then_some(v)
    });
    from_query
        .or(header)
        .map(str::trim)
        .filter(|t| !t.is_empty())
}

/// `url` without any `vitrine_preview` query parameter (the page source never sees a token);
/// the same string when it has none. The fragment, if any, is dropped with it.
pub fn strip_param(url: &str) -> std::borrow::Cow<'_, str> {
    let no_fragment = url.split('#').next().unwrap_or("");
    let Some((base, query)) = no_fragment.split_once('?') else {
        return url.into();
    };
    let is_token = |pair: &&str| pair.split('=').next() == Some(PARAM);
    if !query.split('&').any(|p| is_token(&p)) {
        return url.into();
    }
    let kept: Vec<&str> = query.split('&').filter(|p| !is_token(p)).collect();
    if kept.is_empty() {
        base.to_owned().into()
    } else {
        format!("{base}?{}", kept.join("&")).into()
    }
}

#[cfg(test)]
mod tests;
