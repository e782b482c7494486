//! What the publish page says a step just did. After a publish, a rollback or an
//! acknowledgement the browser is sent to `/publish` with the step's data only, a version or a
//! count ([`Done::location`]), never text: the page writes the notice itself, and only when the
//! data holds against the target and the files ([`Done::said`]). A crafted link cannot make
//! the page claim anything the target and the files do not show; an unknown or malformed value
//! shows no notice at all.

use vitrine_core::snapshot::layout::History;

use crate::acknowledge::recorded_in;
use crate::state::AppState;
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
    /// The step `q` names: none when it names none, several, or a malformed value.
    pub fn parse(q: &Query) -> Option<Self> {
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

    /// `/publish` with the step's data.
    pub fn location(&self) -> String {
        let q = match self {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn query(q: &str) -> Option<Done> {
        Done::parse(&serde_urlencoded::from_str::<Query>(q).unwrap())
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
            let location = done.location();
            let q = location.strip_prefix("/publish?").unwrap();
            assert_eq!(query(q), Some(done), "{location}");
        }
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
