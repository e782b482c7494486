//! Which request headers reach the page source: an allowlist, never a denylist.
//!
//! The default list carries what content negotiation and conditional requests for assets need
//! ([`DEFAULT_FORWARDED`]); a site that needs more names them in `FORWARD_HEADERS`. Some headers
//! can never be forwarded, whatever the setting says ([`NEVER_FORWARDED`]): the visitor's
//! credentials (the origin never sees a visitor), their address, the edge's own preview token,
//! and headers that would make a shared page depend on the request (cache-key poisoning).
//!
//! A `Referer` a site chooses to forward never carries a preview token: the pages of a preview
//! request their own assets with the preview URL as referrer (previews also answer
//! `Referrer-Policy: no-referrer`, [`PREVIEW_REFERRER_POLICY`], but a browser may ignore it), so
//! [`Forwarded::value`] takes the `vitrine_preview` parameter out.

use std::borrow::Cow;

use thiserror::Error;

use crate::preview_token;

/// The `Referrer-Policy` of every preview response: the page's own requests (its assets, its
/// links followed) then carry no `Referer`, so the token in the preview URL stays with the
/// person who opened it.
pub const PREVIEW_REFERRER_POLICY: &str = "no-referrer";

/// Forwarded when `FORWARD_HEADERS` is unset.
pub const DEFAULT_FORWARDED: &[&str] = &[
    "accept",
    "accept-encoding",
    "content-type",
    "if-match",
    "if-modified-since",
    "if-none-match",
    "if-range",
    "if-unmodified-since",
    "range",
    "user-agent",
];

/// Never forwarded, even when listed.
pub const NEVER_FORWARDED: &[&str] = &[
    "authorization",
    "cf-connecting-ip",
    "cookie",
    "forwarded",
    "host",
    "proxy-authorization",
    "true-client-ip",
    "x-forwarded-for",
    "x-forwarded-host",
    "x-host",
    "x-original-url",
    "x-real-ip",
    "x-rewrite-url",
    // A preview token is for the edge alone (`crate::preview_token`).
    "x-vitrine-preview",
];

/// The request headers forwarded to the page source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Forwarded {
    /// Lowercase header names.
    names: Vec<String>,
}

/// Why a `FORWARD_HEADERS` setting was refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum ForwardError {
    /// An entry is not a header name.
    #[error("FORWARD_HEADERS: `{0}` is not a header name")]
    NotAName(String),
    /// An entry names a header that is never forwarded.
    #[error("FORWARD_HEADERS: {0} is never forwarded to the page source (remove it)")]
    Never(String),
}

impl Default for Forwarded {
    fn default() -> Self {
        Self {
            names: DEFAULT_FORWARDED.iter().map(|n| (*n).to_owned()).collect(),
        }
    }
}

impl Forwarded {
    /// Parses a comma-separated list of header names (case-insensitive); an empty list
    /// forwards nothing.
    pub fn parse(text: &str) -> Result<Self, ForwardError> {
        let mut names = Vec::new();
        for name in text.split(',').map(str::trim).filter(|n| !n.is_empty()) {
            if !name.bytes().all(is_token_byte) {
                return Err(ForwardError::NotAName(name.to_owned()));
            }
            let name = name.to_ascii_lowercase();
            if NEVER_FORWARDED.contains(&name.as_str()) {
                return Err(ForwardError::Never(name));
            }
            if !names.contains(&name) {
                names.push(name);
            }
        }
        Ok(Self { names })
    }

    /// The names forwarded (lowercase), so a caller can ask for these few headers rather than
    /// walk every header the visitor sent.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.names.iter().map(String::as_str)
    }

    /// Whether the header `name` goes to the page source. The list holds no
    /// [`NEVER_FORWARDED`] name: [`Forwarded::parse`] refuses them, and the default has none.
    pub fn allows(&self, name: &str) -> bool {
        self.names.iter().any(|n| n.eq_ignore_ascii_case(name))
    }

    /// The value header `name` is forwarded with, or `None` when it is not forwarded: the
    /// value as received, except a `Referer` without any preview token parameter.
    pub fn value<'v>(&self, name: &str, value: &'v str) -> Option<Cow<'v, str>> {
        if !self.allows(name) {
            return None;
        }
        if name.eq_ignore_ascii_case("referer") {
            return Some(preview_token::strip_param(value));
        }
        Some(Cow::Borrowed(value))
    }
}

/// A `tchar` of RFC 9110, 5.6.2.
fn is_token_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_forwards_negotiation_only() {
        let f = Forwarded::default();
        for name in ["Accept", "accept-encoding", "User-Agent", "If-None-Match"] {
            assert!(f.allows(name), "{name}");
        }
        for name in [
            "Cookie",
            "Authorization",
            "Accept-Language",
            "X-Auth-Token",
            "X-Api-Key",
            "Cf-Access-Jwt-Assertion",
            "X-Forwarded-Prefix",
            "X-HTTP-Method-Override",
            "X-Forwarded-For",
            "CF-Connecting-IP",
            "Referer",
            "X-Vitrine-Preview",
        ] {
            assert!(!f.allows(name), "{name}");
        }
    }

    #[test]
    fn the_default_names_nothing_that_is_never_forwarded() {
        for name in NEVER_FORWARDED {
            assert!(!DEFAULT_FORWARDED.contains(name), "{name}");
            assert!(!Forwarded::default().allows(name), "{name}");
        }
    }

    #[test]
    fn the_setting_replaces_the_default() {
        let f = Forwarded::parse(" Accept-Language , accept,ACCEPT ").unwrap();
        assert!(f.allows("accept-language"));
        assert!(f.allows("Accept"));
        assert!(!f.allows("user-agent"));
        assert!(!Forwarded::parse("").unwrap().allows("accept"));
    }

    #[test]
    fn credentials_can_never_be_listed() {
        for name in [
            "cookie",
            "Authorization",
            "x-forwarded-host",
            "X-Vitrine-Preview",
        ] {
            assert_eq!(
                Forwarded::parse(&format!("accept, {name}")),
                Err(ForwardError::Never(name.to_ascii_lowercase()))
            );
        }
    }

    /// Issue 14: a preview page's assets were asked for with `Referer: …?vitrine_preview=eyJ…`,
    /// which a site forwarding `Referer` passed on to its origin.
    #[test]
    fn a_forwarded_referer_never_carries_a_preview_token() {
        let f = Forwarded::parse("referer, accept").unwrap();
        let cases = [
            (
                "https://shop.example/p/1?vitrine_preview=eyJ.x.y",
                "https://shop.example/p/1",
            ),
            (
                "https://shop.example/?a=1&vitrine_preview=eyJ.x.y&b=2",
                "https://shop.example/?a=1&b=2",
            ),
            (
                "https://shop.example/?vitrine_preview",
                "https://shop.example/",
            ),
            ("https://shop.example/?a=1", "https://shop.example/?a=1"),
        ];
        for (sent, forwarded) in cases {
            assert_eq!(
                f.value("Referer", sent).as_deref(),
                Some(forwarded),
                "{sent}"
            );
        }
        let token = "https://shop.example/?vitrine_preview=eyJ.x.y";
        assert_eq!(f.value("accept", token).as_deref(), Some(token));
        assert_eq!(Forwarded::default().value("referer", token), None);
    }

    #[test]
    fn names_are_tokens() {
        assert_eq!(
            Forwarded::parse("accept, x user"),
            Err(ForwardError::NotAName("x user".into()))
        );
        assert!(Forwarded::parse("x:y").is_err());
    }
}
