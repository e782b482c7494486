//! What the publish page says a step just did. After a publish, a rollback or an
//! acknowledgement the browser is sent to `/publish` with the step's data only, a version or a
//! count, never text, and a MAC of that data keyed by the session's CSRF token
//! ([`Done::location`]): the page writes the notice itself, only for data its own session was
//! sent to ([`Done::parse`]), and only when the data still holds against the target and the
//! files ([`Done::said`]). A crafted link (another session's, edited, or made up) shows no
//! notice at all, and neither does an unknown or malformed value.

use hmac::{Hmac, Mac};
use sha2::Sha256;
use vitrine_core::snapshot::layout::History;

use crate::acknowledge::recorded_in;
use crate::state::{AppState, Session};
use crate::workspace::Workspace;

/// A step just done.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Done {
    /// `?published=<version>[&was=<version>]`: published, and what was active before.
    Published {
        /// The version published.
        version: String,
        /// The version active before, if any.
        was: Option<String>,
    },
    /// `?rolled_back=<version>`.
    RolledBack(String),
    /// `?acknowledged=<count>`: entries recorded in the `[acknowledge]` tables.
    Acknowledged(usize),
}

/// The query of `GET /publish`, as the URL has it.
#[derive(Debug, Default, serde::Deserialize, serde::Serialize)]
pub struct Query {
    #[serde(skip_serializing_if = "Option::is_none")]
    published: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    was: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    rolled_back: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    acknowledged: Option<String>,
    /// The MAC of the fields above, as [`Done::location`] wrote them (hex).
    #[serde(skip_serializing_if = "Option::is_none")]
    t: Option<String>,
}

impl Query {
    /// The step's data as the MAC covers it: the fields in one order, without the MAC.
    fn signed(&self) -> Option<String> {
        let data = Query {
            t: None,
            published: self.published.clone(),
            was: self.was.clone(),
            rolled_back: self.rolled_back.clone(),
            acknowledged: self.acknowledged.clone(),
        };
        serde_urlencoded::to_string(&data).ok()
    }
}

/// The MAC of a step's data for one session.
fn mac(session: &Session, data: &str) -> Option<Hmac<Sha256>> {
    let mut mac = Hmac::<Sha256>::new_from_slice(session.csrf.as_bytes()).ok()?;
    mac.update(b"vitrine-studio done\n");
    mac.update(data.as_bytes());
    Some(mac)
}

/// Whether `q` carries the MAC its data has for `session` (compared in constant time).
fn sent_to(session: &Session, q: &Query) -> bool {
    let (Some(data), Some(t)) = (q.signed(), q.t.as_deref()) else {
        return false;
    };
    let Some(tag) = hex_bytes(t) else {
        return false;
    };
    mac(session, &data).is_some_and(|m| m.verify_slice(&tag).is_ok())
}

fn hex_bytes(s: &str) -> Option<Vec<u8>> {
    if s.len() != 64 {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

/// A version id as targets name them (16 hex digits; any short run of letters, digits, `-`
/// and `_` is let through, to be checked against the target).
fn version(v: &str) -> Option<String> {
    let fine = (1..=64).contains(&v.len())
        && v.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    fine.then(|| v.to_owned())
}

impl Done {
    /// The step `q` names, if `session` was sent to it ([`Done::location`]): none when the
    /// MAC is missing or wrong, or `q` names no step, several, or a malformed value.
    pub fn parse(q: &Query, session: &Session) -> Option<Self> {
        if !sent_to(session, q) {
            return None;
        }
        match (&q.published, &q.rolled_back, &q.acknowledged, &q.was) {
            (Some(v), None, None, was) => Some(Self::Published {
                version: version(v)?,
                was: match was {
                    Some(w) => Some(version(w)?),
                    None => None,
                },
            }),
            (None, Some(v), None, None) => version(v).map(Self::RolledBack),
            (None, None, Some(n), None) => n
                .parse::<usize>()
                .ok()
                .filter(|n| *n > 0)
                .map(Self::Acknowledged),
            _ => None,
        }
    }

    /// `/publish` with the step's data and its MAC for `session`.
    pub fn location(&self, session: &Session) -> String {
        let mut q = match self {
            Self::Published { version, was } => Query {
                published: Some(version.clone()),
                was: was.clone(),
                ..Query::default()
            },
            Self::RolledBack(version) => Query {
                rolled_back: Some(version.clone()),
                ..Query::default()
            },
            Self::Acknowledged(n) => Query {
                acknowledged: Some(n.to_string()),
                ..Query::default()
            },
        };
        q.t = q
            .signed()
            .and_then(|data| mac(session, &data))
            .map(|m| hex(&m.finalize().into_bytes()));
        match serde_urlencoded::to_string(&q) {
            Ok(q) if !q.is_empty() => format!("/publish?{q}"),
            _ => "/publish".to_owned(),
        }
    }

    /// What the page says, if the step's data holds: a published or rolled-back version is
    /// the target's active one and kept in its history (and so is the version it replaced);
    /// no more entries were acknowledged than the files' `[acknowledge]` tables hold.
    /// `active` and `kept` are the target's, `None` when they cannot be read.
    pub fn said<'h>(
        &self,
        state: &AppState,
        active: Option<&str>,
        kept: impl FnOnce() -> Option<&'h History>,
    ) -> Option<String> {
        let live = |v: &str, kept: &History| {
            active == Some(v) && kept.versions.iter().any(|p| p.version == v)
        };
        match self {
            Self::Published { version, was } => {
                let kept = kept()?;
                if !live(version, kept) {
                    return None;
                }
                let Some(was) = was else {
                    return Some(format!("Published {version}."));
                };
                let known = was != version && kept.versions.iter().any(|p| &p.version == was);
                known.then(|| format!("Published {version} (was {was})."))
            }
            Self::RolledBack(version) => {
                live(version, kept()?).then(|| format!("Rolled back to {version}."))
            }
            Self::Acknowledged(n) => {
                let recorded = recorded_in(&Workspace::read(&state.config.files));
                let entries = if *n == 1 { "entry" } else { "entries" };
                (*n <= recorded).then(|| {
                    format!(
                        "Acknowledged: {n} {entries} recorded in the [acknowledge] tables of the campaign files."
                    )
                })
            }
        }
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn session(csrf: &str) -> Session {
        Session { csrf: csrf.into() }
    }

    fn parse(q: &str, s: &Session) -> Option<Done> {
        Done::parse(&serde_urlencoded::from_str::<Query>(q).unwrap(), s)
    }

    /// `q` with the MAC it has for session `a` (as if `location` had written it).
    fn query(q: &str) -> Option<Done> {
        let s = session("a");
        let mut data = serde_urlencoded::from_str::<Query>(q).unwrap();
        data.t = data
            .signed()
            .and_then(|d| mac(&s, &d))
            .map(|m| hex(&m.finalize().into_bytes()));
        Done::parse(&data, &s)
    }

    #[test]
    fn a_step_goes_through_the_url_and_back() {
        for done in [
            Done::Published {
                version: "0123456789abcdef".into(),
                was: None,
            },
            Done::Published {
                version: "0123456789abcdef".into(),
                was: Some("fedcba9876543210".into()),
            },
            Done::RolledBack("0123456789abcdef".into()),
            Done::Acknowledged(3),
        ] {
            let location = done.location(&session("a"));
            let q = location.strip_prefix("/publish?").unwrap();
            assert_eq!(parse(q, &session("a")), Some(done), "{location}");
            // Only the session it was sent to sees it.
            assert_eq!(parse(q, &session("b")), None, "{location}");
        }
    }

    #[test]
    fn a_step_whose_data_or_mac_was_changed_names_no_step() {
        let location = Done::RolledBack("0123456789abcdef".into()).location(&session("a"));
        let q = location.strip_prefix("/publish?").unwrap();
        let a = session("a");
        assert!(parse(q, &a).is_some());
        let other = q.replace("0123456789abcdef", "fedcba9876543210");
        assert_eq!(parse(&other, &a), None, "{other}");
        let published = q.replace("rolled_back", "published");
        assert_eq!(parse(&published, &a), None, "{published}");
        let unsigned = q.split("&t=").next().unwrap();
        assert_eq!(parse(unsigned, &a), None, "{unsigned}");
        let short = &q[..q.len() - 2];
        assert_eq!(parse(short, &a), None, "{short}");
    }

    #[test]
    fn free_text_several_steps_or_malformed_values_name_no_step() {
        for q in [
            "",
            "notice=Published+0123.",
            "published=Published+0123+%28was+x%29.",
            "published=%3Cb%3E",
            "published=a&rolled_back=a",
            "published=a&was=%20",
            "rolled_back=a&was=b",
            "acknowledged=0",
            "acknowledged=-1",
            "acknowledged=many",
            "acknowledged=1&published=a",
        ] {
            assert_eq!(query(q), None, "{q}");
        }
    }
}
