//! Consent to tracking: may the edge keep an activity cookie and a visitor id for this visitor?
//!
//! The source is configured per site ([`ConsentSource::parse`], the `CONSENT` var):
//!
//! | `CONSENT` | tracking is allowed when |
//! |---|---|
//! | `none` (default) | never: no activity cookie, no visitor id, for anyone |
//! | `granted` | always (sites that need no opt-in), unless `Sec-GPC: 1` |
//! | `cookie:NAME=V1\|V2` | the site's consent cookie `NAME` has one of the values, e.g. `cookie:cookieconsent_status=allow` |
//! | `onetrust:GROUP` | OneTrust's `OptanonConsent` cookie lists `GROUP:1` in `groups`, e.g. `onetrust:C0004` |
//! | `profile` | the verified profile cookie carries `"attrs": {"consent": true}` |
//!
//! `Sec-GPC: 1` (Global Privacy Control) always means no consent to tracking, whatever the
//! source says. Without consent no activity cookie is read or written, no id is minted and no
//! identifier may be logged. This module only decides; it never reads the activity cookie.

use super::header::{self, Lookup};
use super::VerifiedProfile;

/// OneTrust's consent cookie.
pub const ONETRUST_COOKIE: &str = "OptanonConsent";

/// Where consent comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ConsentSource {
    /// Nobody is tracked.
    Never,
    /// Everybody is tracked unless they send `Sec-GPC: 1`.
    Granted,
    /// A site cookie whose value grants consent when it is one of `values`.
    Cookie {
        /// Cookie name.
        name: String,
        /// Values that mean consent.
        values: Vec<String>,
    },
    /// OneTrust's `OptanonConsent` cookie, consent when `group` is active (`C0004:1`).
    OneTrust {
        /// The category id, such as `C0004`.
        group: String,
    },
    /// The `consent` attribute of the verified profile cookie.
    Profile,
}

/// Why a `CONSENT` setting was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("CONSENT {text:?} is not one of none, granted, profile, cookie:NAME=VALUE[|VALUE…], onetrust:GROUP")]
pub struct ConsentConfigError {
    /// The refused setting.
    pub text: String,
}

impl ConsentSource {
    /// Parses the `CONSENT` setting (see the module docs); empty means `none`.
    pub fn parse(text: &str) -> Result<Self, ConsentConfigError> {
        let text = text.trim();
        let refused = || ConsentConfigError { text: text.into() };
        let token = |s: &str| {
            !s.is_empty()
                && s.bytes()
                    .all(|b| b.is_ascii_graphic() && !matches!(b, b';' | b',' | b'=' | b'"' | b'|'))
        };
        match text.split_once(':') {
            None => match text {
                "" | "none" => Ok(Self::Never),
                "granted" => Ok(Self::Granted),
                "profile" => Ok(Self::Profile),
                _ => Err(refused()),
            },
            Some(("cookie", spec)) => {
                let (name, values) = spec.split_once('=').ok_or_else(refused)?;
                let values: Vec<String> = values.split('|').map(str::to_owned).collect();
                (token(name) && values.iter().all(|v| token(v)))
                    .then(|| Self::Cookie {
                        name: name.into(),
                        values,
                    })
                    .ok_or_else(refused)
            }
            Some(("onetrust", group)) if token(group) && !group.contains(':') => {
                Ok(Self::OneTrust {
                    group: group.into(),
                })
            }
            Some(_) => Err(refused()),
        }
    }
}

/// The outcome for one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Consent {
    /// Tracking is allowed.
    Granted,
    /// Tracking is not allowed.
    Denied(Denial),
}

/// Why tracking is not allowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Denial {
    /// The browser sent `Sec-GPC: 1`.
    Gpc,
    /// The configured source did not grant consent (absent, refused, ambiguous or `none`).
    NotGranted,
}

impl Consent {
    /// Whether tracking is allowed.
    pub fn granted(self) -> bool {
        self == Self::Granted
    }

    /// Stable code for logs.
    pub fn code(self) -> &'static str {
        match self {
            Self::Granted => "granted",
            Self::Denied(Denial::Gpc) => "gpc",
            Self::Denied(Denial::NotGranted) => "not_granted",
        }
    }
}

/// Decides consent from the request's `Cookie` and `Sec-GPC` headers and the verified profile.
pub fn evaluate(
    source: &ConsentSource,
    cookie_header: Option<&str>,
    gpc_header: Option<&str>,
    profile: Option<&VerifiedProfile>,
) -> Consent {
    // A repeated header arrives joined as "1, 1"; any "1" is the signal.
    if gpc_header.is_some_and(|v| v.split(',').any(|item| item.trim() == "1")) {
        return Consent::Denied(Denial::Gpc);
    }
    let cookie = |name: &str| match cookie_header.map(|h| header::find(h, name)) {
        Some(Lookup::Found(v)) => Some(v),
        _ => None,
    };
    let granted = match source {
        ConsentSource::Never => false,
        ConsentSource::Granted => true,
        ConsentSource::Profile => profile.and_then(VerifiedProfile::consent) == Some(true),
        ConsentSource::Cookie { name, values } => {
            cookie(name).is_some_and(|v| values.iter().any(|want| want == v))
        }
        ConsentSource::OneTrust { group } => cookie(ONETRUST_COOKIE).is_some_and(|v| {
            form_urlencoded::parse(v.as_bytes())
                .filter(|(k, _)| k == "groups")
                .any(|(_, groups)| {
                    groups.split(',').any(|g| {
                        g.split_once(':')
                            .is_some_and(|(id, on)| id == group && on == "1")
                    })
                })
        }),
    };
    if granted {
        Consent::Granted
    } else {
        Consent::Denied(Denial::NotGranted)
    }
}

#[cfg(test)]
mod tests;
