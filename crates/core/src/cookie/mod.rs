//! Visitor identity: the signed profile cookie minted by the shop's backend.
//!
//! The backend signs a JWS (HS256) with a key from a shared [`KeyRing`]; any standard JWT
//! library can mint it. The edge only ever *reads* it: [`identify`] turns a `Cookie` header
//! into an [`Identity`], which is either a [`VerifiedProfile`] or an anonymous visitor with the
//! reason the cookie was refused. A refused cookie is never an error page, just an anonymous
//! visitor and a log reason.
//!
//! Next to it the edge keeps its own signed [`activity`] cookie, only for visitors who consent
//! to tracking ([`consent`]); [`visitor`] puts the three together for one request.
//!
//! This module never logs or returns token bytes or secrets.

pub mod activity;
mod claims;
pub mod consent;
pub mod header;
mod id;
pub(crate) mod jws;
mod keyring;
mod pseudonym;
pub mod verified;
pub mod visitor;

pub use activity::{Activity, ACTIVITY_COOKIE};
pub use claims::{AttrValue, Attrs, TimePolicy, VerifiedProfile};
pub use consent::{Consent, ConsentSource};
pub use id::{RandomError, VisitorId};
pub use jws::MAX_TOKEN_BYTES;
pub use keyring::{Key, KeyRing, KeyRingError, MIN_SECRET_BYTES};
pub use pseudonym::PseudonymKey;
pub use verified::VerifiedTokens;

/// Name of the profile cookie the shop's backend sets.
pub const PROFILE_COOKIE: &str = "vitrine_profile";

/// Why a profile cookie was not accepted. Every variant maps to a stable log code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Rejection {
    /// Longer than [`MAX_TOKEN_BYTES`].
    #[error("cookie value longer than {MAX_TOKEN_BYTES} bytes")]
    TooLong,
    /// Not three dot-separated segments.
    #[error("token is not three dot-separated segments")]
    Malformed,
    /// A segment is not canonical unpadded base64url.
    #[error("a segment is not unpadded base64url")]
    Base64,
    /// The protected header is not the JSON we accept: not UTF-8, not an object with a string
    /// `alg`, a duplicate member, `crit`, or a `typ` other than `JWT`.
    #[error("protected header is not a UTF-8 JSON object with one string `alg`, or uses `crit` or a `typ` other than JWT")]
    BadHeader,
    /// `alg` is not exactly `HS256`.
    #[error("algorithm is not HS256")]
    Algorithm,
    /// `kid` names a key the ring does not hold.
    #[error("kid names no key in the key ring")]
    UnknownKid,
    /// The MAC does not match.
    #[error("signature does not match")]
    Signature,
    /// The payload is not UTF-8.
    #[error("claims are not UTF-8")]
    ClaimsNotUtf8,
    /// The payload is not one well-formed JSON value.
    #[error("claims are not well-formed JSON")]
    ClaimsNotJson,
    /// The payload is JSON but not an object.
    #[error("claims are not a JSON object")]
    ClaimsNotObject,
    /// A claim (or attribute) appears twice.
    #[error("a claim or attribute appears twice")]
    DuplicateClaim,
    /// A required claim is absent.
    #[error("required claim `{0}` is missing")]
    MissingClaim(&'static str),
    /// A claim has the wrong JSON type or an out-of-range value (numeric claims must be JSON
    /// integers, never strings).
    #[error("claim `{0}` has the wrong type or value")]
    InvalidClaim(&'static str),
    /// `exp` is in the past (beyond leeway).
    #[error("token expired")]
    Expired,
    /// `nbf` is in the future (beyond leeway).
    #[error("token not yet valid (nbf)")]
    NotYetValid,
    /// `iat` is in the future (beyond leeway).
    #[error("token issued in the future (iat)")]
    IssuedInFuture,
    /// `iat` is older than the configured maximum profile age (or absent while one is set).
    #[error("profile is older than the maximum age, or has no `iat` while a maximum age is set")]
    Stale,
    /// The cookie appears twice with different values.
    #[error("the cookie appears twice with different values")]
    Ambiguous,
}

impl Rejection {
    /// Stable snake_case code for logs and the `x-vitrine` header.
    pub fn code(self) -> &'static str {
        match self {
            Self::TooLong => "too_long",
            Self::Malformed => "malformed",
            Self::Base64 => "base64",
            Self::BadHeader => "bad_header",
            Self::Algorithm => "algorithm",
            Self::UnknownKid => "unknown_kid",
            Self::Signature => "signature",
            Self::ClaimsNotUtf8 => "claims_not_utf8",
            Self::ClaimsNotJson => "claims_not_json",
            Self::ClaimsNotObject => "claims_not_object",
            Self::DuplicateClaim => "duplicate_claim",
            Self::MissingClaim(_) => "missing_claim",
            Self::InvalidClaim(_) => "invalid_claim",
            Self::Expired => "expired",
            Self::NotYetValid => "not_yet_valid",
            Self::IssuedInFuture => "issued_in_future",
            Self::Stale => "stale",
            Self::Ambiguous => "ambiguous",
        }
    }
}

/// Who is asking, as far as the edge can trust it.
#[derive(Debug, Clone, PartialEq)]
pub enum Identity {
    /// A profile whose signature and time claims verified.
    Profile(VerifiedProfile),
    /// No usable profile; `rejected` says why a present cookie was refused.
    Anonymous {
        /// The refusal, or `None` when there was no cookie at all.
        rejected: Option<Rejection>,
    },
}

impl Identity {
    /// An anonymous visitor who sent no profile cookie.
    pub fn anonymous() -> Self {
        Self::Anonymous { rejected: None }
    }

    /// The verified profile, if any.
    pub fn profile(&self) -> Option<&VerifiedProfile> {
        match self {
            Self::Profile(p) => Some(p),
            Self::Anonymous { .. } => None,
        }
    }
}

/// Verifies a compact JWS and its claims at `now` (Unix seconds).
pub fn verify(
    token: &str,
    ring: &KeyRing,
    now: u64,
    policy: TimePolicy,
) -> Result<VerifiedProfile, Rejection> {
    let payload = jws::verify(token, ring)?;
    claims::parse(&payload, now, policy)
}

/// Reads the profile cookie from a `Cookie` header and verifies it.
pub fn identify(
    cookie_header: Option<&str>,
    ring: &KeyRing,
    now: u64,
    policy: TimePolicy,
) -> Identity {
    identify_by(cookie_header, |token| verify(token, ring, now, policy))
}

/// [`identify`], with the tokens `ring` verified before remembered in `verified` (which must
/// belong to `ring`: [`VerifiedTokens`]).
pub fn identify_cached(
    cookie_header: Option<&str>,
    ring: &KeyRing,
    now: u64,
    policy: TimePolicy,
    verified: &VerifiedTokens,
) -> Identity {
    identify_by(cookie_header, |token| {
        verified.verify(token, ring, now, policy)
    })
}

fn identify_by(
    cookie_header: Option<&str>,
    verify: impl FnOnce(&str) -> Result<VerifiedProfile, Rejection>,
) -> Identity {
    let token = match cookie_header.map(|h| header::find(h, PROFILE_COOKIE)) {
        None | Some(header::Lookup::Missing) => return Identity::anonymous(),
        Some(header::Lookup::Ambiguous) => {
            return Identity::Anonymous {
                rejected: Some(Rejection::Ambiguous),
            }
        }
        Some(header::Lookup::Found(token)) => token,
    };
    match verify(token) {
        Ok(profile) => Identity::Profile(profile),
        Err(why) => Identity::Anonymous {
            rejected: Some(why),
        },
    }
}

/// Signs a claims object (any JSON object; it must carry `sub` and `exp` to verify later) with
/// the ring's current key.
pub fn mint(claims: &serde_json::Value, ring: &KeyRing) -> String {
    mint_with_key(claims, ring.current())
}

/// Signs a claims object with one particular key of a ring (for example a new key before it
/// becomes current).
pub fn mint_with_key(claims: &serde_json::Value, key: &Key) -> String {
    jws::sign(claims.to_string().as_bytes(), key)
}

/// Signs payload bytes exactly as given (no JSON round trip, so duplicates and odd encodings
/// survive): for tests and fuzzing of what lies behind the MAC. Backends should use [`mint`].
pub fn mint_raw(payload: &[u8], key: &Key) -> String {
    jws::sign(payload, key)
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: u64 = 1_800_000_000;

    fn ring() -> KeyRing {
        KeyRing::parse("k1:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8").unwrap()
    }

    #[test]
    fn minted_cookie_identifies_the_profile() {
        let token = mint(
            &serde_json::json!({"sub":"u1","seg":["loyal"],"exp":NOW + 60}),
            &ring(),
        );
        let header = format!("a=1; {PROFILE_COOKIE}={token}");
        let id = identify(Some(&header), &ring(), NOW, TimePolicy::default());
        assert!(id.profile().unwrap().in_segment("loyal"));
    }

    /// RFC 7515 appendix A.1, verified end to end (MAC and claims) with the clock pinned just
    /// before its `exp` (1300819380), and refused once the clock passes it.
    #[test]
    fn rfc7515_a1_verifies_with_clock_pinned() {
        let ring = KeyRing::parse(
            "rfc:AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow",
        )
        .unwrap();
        let token = concat!(
            "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9",
            ".eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ",
            ".dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
        );
        let profile = verify(token, &ring, 1_300_819_000, TimePolicy::default()).unwrap();
        assert_eq!((profile.sub.as_str(), profile.exp), ("", 1_300_819_380));
        assert_eq!(
            verify(token, &ring, 1_300_819_380 + 61, TimePolicy::default()),
            Err(Rejection::Expired)
        );
    }

    #[test]
    fn no_header_is_anonymous_without_reason() {
        assert_eq!(
            identify(None, &ring(), NOW, TimePolicy::default()),
            Identity::anonymous()
        );
    }

    #[test]
    fn tampered_cookie_is_anonymous_with_reason() {
        let token = mint(&serde_json::json!({"sub":"u1","exp":NOW + 60}), &ring());
        let header = format!("{PROFILE_COOKIE}={}x", token);
        let id = identify(Some(&header), &ring(), NOW, TimePolicy::default());
        assert!(matches!(id, Identity::Anonymous { rejected: Some(_) }));
    }

    #[test]
    fn shadowing_cookie_is_ambiguous() {
        let header = format!("{PROFILE_COOKIE}=a; {PROFILE_COOKIE}=b");
        let id = identify(Some(&header), &ring(), NOW, TimePolicy::default());
        assert_eq!(
            id,
            Identity::Anonymous {
                rejected: Some(Rejection::Ambiguous)
            }
        );
    }

    #[test]
    fn rotated_key_still_verifies_old_cookies() {
        let old = KeyRing::parse("old:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8").unwrap();
        let token = mint(&serde_json::json!({"sub":"u","exp":NOW + 60}), &old);
        let rotated = KeyRing::parse(
            "new:HyAhIiMkJSYnKCkqKywtLi8wMTIzNDU2Nzg5Ojs8PT4,old:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8",
        )
        .unwrap();
        assert!(verify(&token, &rotated, NOW, TimePolicy::default()).is_ok());
    }
}
