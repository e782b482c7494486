//! Signed conversions: a page conversion the shop's backend vouches for.
//!
//! A page conversion read from the URL alone (`/order/confirmed?total=25&order=X`) can be made
//! up by anyone who opens that URL. A conversion declared with `signed = true` counts only when
//! the URL also carries [`PARAM`], a token the shop's backend signed with the profile cookie's
//! key ring (`VITRINE_COOKIE_KEYS`, the same JWS HS256 and the same key ring code as the
//! profile cookie) when it confirmed the order. Its value and order id
//! are then the token's, never the query's, so neither can be changed on the way.
//!
//! The claims, each exactly once and nothing else:
//!
//! ```json
//! {"use": "vitrine-conversion", "goal": "purchase", "order": "A-1001", "value": 49.9,
//!  "iat": 1800000000, "exp": 1800003600, "sub": "u-1001"}
//! ```
//!
//! - `use` must be `vitrine-conversion`: a profile cookie is never a conversion (and the profile
//!   cookie refuses a token carrying `use`, so a conversion is never a profile);
//! - `goal` names the declared conversion, `order` (1–128 bytes) what was bought: the activity
//!   cookie counts it once, as `dedupe_param` does;
//! - `value` is optional, and checked against the conversion's `value` range like any value;
//! - `iat` and `exp` are required, `exp - iat` at most [`MAX_LIFETIME_SECS`]: a token is for
//!   the redirect to the confirmation page, not for keeping;
//! - `sub` is optional: when present, the visitor's verified profile must have that `sub`, so a
//!   token copied out of one shopper's URL counts for nobody else.
//!
//! What a token cannot prevent: within its lifetime, the shopper it was made for (or, without
//! `sub`, anyone holding the URL) opening it in a browser without the activity cookie, which
//! has no memory of the order. Put `sub` in it when the shopper is signed in.

use serde::Deserialize;

use crate::cookie::visitor::Visitor;
use crate::cookie::{jws, KeyRing, Rejection};

/// The query parameter carrying a signed conversion token.
pub const PARAM: &str = "vitrine_conversion";

/// The `use` claim of a conversion token.
pub const USE: &str = "vitrine-conversion";

/// Longest lifetime (`exp - iat`) a conversion token may have: one hour.
pub const MAX_LIFETIME_SECS: u64 = 3600;

/// Clock leeway for `iat` and `exp`.
pub const LEEWAY_SECS: u64 = 60;

/// Longest `order` accepted, in bytes.
pub const MAX_ORDER_BYTES: usize = 128;

/// A verified conversion token, for the goal it names.
#[derive(Debug, Clone, PartialEq)]
pub struct Signed {
    /// What was converted (the order id), counted once per visitor.
    pub order: String,
    /// The value the backend signed, if any.
    pub value: Option<f64>,
}

/// Why a signed conversion did not count (no event is written).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SignedRefusal {
    /// The conversion is declared `signed = true` and the URL carries no token (or two).
    #[error("the conversion is signed and the URL carries no `vitrine_conversion` token")]
    Unsigned,
    /// The token's signature, encoding or header is refused, as a profile cookie's would be.
    #[error("the conversion token is refused: {0}")]
    Jws(Rejection),
    /// The claims are not exactly the documented ones, or `use` is not `vitrine-conversion`.
    #[error("the conversion token's claims are not a conversion's")]
    Claims,
    /// The token names another conversion.
    #[error("the conversion token names another conversion")]
    OtherGoal,
    /// Expired, issued in the future, or a lifetime over [`MAX_LIFETIME_SECS`].
    #[error("the conversion token is outside its time")]
    Time,
    /// The token names a `sub` the visitor's verified profile does not have.
    #[error("the conversion token was made for another visitor")]
    OtherVisitor,
}

impl SignedRefusal {
    /// Stable code for logs (`vitrine.conversion_refused`).
    pub fn code(self) -> &'static str {
        match self {
            Self::Unsigned => "unsigned",
            Self::Jws(_) => "token_refused",
            Self::Claims => "token_claims",
            Self::OtherGoal => "token_goal",
            Self::Time => "token_time",
            Self::OtherVisitor => "token_visitor",
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Claims {
    #[serde(rename = "use")]
    use_: String,
    goal: String,
    order: String,
    #[serde(default)]
    value: Option<f64>,
    iat: u64,
    exp: u64,
    #[serde(default)]
    sub: Option<String>,
}

/// Verifies the conversion `token` for the goal `goal` and `visitor` at `now`, with the
/// profile key ring.
pub fn verify(
    token: &str,
    ring: &KeyRing,
    goal: &str,
    visitor: &Visitor,
    now: u64,
) -> Result<Signed, SignedRefusal> {
    let payload = jws::verify(token, ring).map_err(SignedRefusal::Jws)?;
    // A JSON object only (serde would also take an array for a struct); duplicate claims are
    // refused by the derive.
    if !payload.trim_ascii_start().starts_with(b"{") {
        return Err(SignedRefusal::Claims);
    }
    let claims: Claims = serde_json::from_slice(&payload).map_err(|_| SignedRefusal::Claims)?;
    let order_ok = (1..=MAX_ORDER_BYTES).contains(&claims.order.len());
    if claims.use_ != USE || !order_ok {
        return Err(SignedRefusal::Claims);
    }
    if claims.goal != goal {
        return Err(SignedRefusal::OtherGoal);
    }
    let lifetime = claims.exp.checked_sub(claims.iat);
    let fresh = now <= claims.exp.saturating_add(LEEWAY_SECS)
        && claims.iat <= now.saturating_add(LEEWAY_SECS);
    let in_time = lifetime.is_some_and(|l| l <= MAX_LIFETIME_SECS) && fresh;
    if !in_time {
        return Err(SignedRefusal::Time);
    }
    if let Some(sub) = &claims.sub {
        if visitor.identity.profile().map(|p| &p.sub) != Some(sub) {
            return Err(SignedRefusal::OtherVisitor);
        }
    }
    Ok(Signed {
        order: claims.order,
        value: claims.value,
    })
}

/// Signs a conversion token for `goal` and `order` (the backend's side, and the CLI's and the
/// tests'): valid from `now` for `ttl_secs`, with the current key of `ring`.
pub fn mint(
    ring: &KeyRing,
    goal: &str,
    order: &str,
    value: Option<f64>,
    sub: Option<&str>,
    now: u64,
    ttl_secs: u64,
) -> String {
    let mut claims = serde_json::json!({
        "use": USE,
        "goal": goal,
        "order": order,
        "iat": now,
        "exp": now.saturating_add(ttl_secs),
    });
    if let Some(v) = value {
        claims["value"] = serde_json::json!(v);
    }
    if let Some(sub) = sub {
        claims["sub"] = serde_json::json!(sub);
    }
    jws::sign(claims.to_string().as_bytes(), ring.current())
}

#[cfg(test)]
mod tests;
