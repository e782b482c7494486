//! Personas to compare pages for: three built in (new visitor, loyal, price hunter) and the
//! ones saved in `personas.toml` next to the campaign files. A persona becomes the same
//! [`Context`] the worker builds from cookies and request facts: a profile (or none), activity
//! counts (only with consent, as the worker counts none without), device, country and a date.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use vitrine_core::cookie::{AttrValue, Attrs};
use vitrine_core::decide::ActivityCounts;
use vitrine_core::{Identity, VerifiedProfile};

/// The file saved personas live in, in the campaigns' folder.
pub const FILE: &str = "personas.toml";

/// One product viewed a number of times (recently).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Viewed {
    /// The product id (`p0001`).
    pub product: String,
    /// How many times, within the last hour.
    pub times: u32,
}

/// A visitor to preview pages as.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Persona {
    /// Short id, used in URLs.
    pub id: String,
    /// What people see.
    pub label: String,
    /// Segments of the profile cookie; with none and no attributes, an anonymous visitor.
    #[serde(default)]
    pub segments: Vec<String>,
    /// Profile attributes.
    #[serde(default)]
    pub attrs: BTreeMap<String, toml::Value>,
    /// Products viewed (counted only with consent).
    #[serde(default)]
    pub viewed: Vec<Viewed>,
    /// Visits so far (counted only with consent).
    #[serde(default)]
    pub visits: u32,
    /// Whether the visitor consented to activity tracking.
    #[serde(default = "yes")]
    pub consent: bool,
    /// `mobile`, `tablet` or `desktop`.
    #[serde(default)]
    pub device: Option<String>,
    /// ISO country code (`DE`).
    #[serde(default)]
    pub country: Option<String>,
    /// The moment to preview, RFC 3339 (default: now).
    #[serde(default)]
    pub at: Option<String>,
}

fn yes() -> bool {
    true
}

#[derive(Serialize, Deserialize, Default)]
struct FileShape {
    #[serde(default)]
    persona: Vec<Persona>,
}

fn built_in(id: &str, label: &str, segments: &[&str]) -> Persona {
    Persona {
        id: id.into(),
        label: label.into(),
        segments: segments.iter().map(|s| (*s).to_owned()).collect(),
        attrs: BTreeMap::new(),
        viewed: Vec::new(),
        visits: 0,
        consent: true,
        device: None,
        country: None,
        at: None,
    }
}

/// The built-in personas, then the saved ones (a saved one with a built-in id replaces it).
pub fn all(folder: &Path) -> Result<Vec<Persona>, String> {
    let mut list = vec![
        built_in("new", "New visitor", &[]),
        built_in("loyal", "Loyal customer", &["loyal"]),
        built_in("price-hunter", "Price hunter", &["price_hunter"]),
    ];
    for p in saved(folder)? {
        match list.iter_mut().find(|b| b.id == p.id) {
            Some(b) => *b = p,
            None => list.push(p),
        }
    }
    Ok(list)
}

fn path(folder: &Path) -> PathBuf {
    folder.join(FILE)
}

fn saved(folder: &Path) -> Result<Vec<Persona>, String> {
    let p = path(folder);
    match std::fs::read_to_string(&p) {
        Ok(text) => toml::from_str::<FileShape>(&text)
            .map(|f| f.persona)
            .map_err(|e| format!("{}: {}", p.display(), e.message())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
        Err(e) => Err(format!("{}: {e}", p.display())),
    }
}

/// Why a persona was not saved in `personas.toml`: the file, not the persona, is the problem.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SaveError {
    /// The file is there but cannot be read (not text, a folder, …); it is left as it is.
    #[error("cannot read {}: {source} (fix or move it, then save the persona again)", .path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// The file is not TOML; it is left as it is.
    #[error("{} is not TOML: {message} (fix it, then save the persona again)", .path.display())]
    NotToml {
        /// The file.
        path: PathBuf,
        /// The parser's message.
        message: String,
    },
    /// `persona` in the file is something else than a list of `[[persona]]` tables.
    #[error("{}: `persona` is not a list of [[persona]] tables", .path.display())]
    NotAList {
        /// The file.
        path: PathBuf,
    },
    /// The persona has no TOML form (a value TOML cannot hold).
    #[error("the persona cannot be written as TOML: {0}")]
    Encode(String),
    /// The file could not be replaced; it is left as it was.
    #[error("cannot write {}: {source}", .path.display())]
    Write {
        /// The file.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
}

/// Adds or replaces a saved persona, keeping the rest of the file as written. A file that
/// cannot be read or is not TOML is refused, never replaced by this one persona.
pub fn save(folder: &Path, persona: &Persona) -> Result<(), SaveError> {
    let p = path(folder);
    let text = match std::fs::read_to_string(&p) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(source) => return Err(SaveError::Read { path: p, source }),
    };
    let mut doc = match text.parse::<toml_edit::DocumentMut>() {
        Ok(doc) => doc,
        Err(e) => {
            let message = e.message().to_owned();
            return Err(SaveError::NotToml { path: p, message });
        }
    };
    let table = as_table(persona)?;
    let Some(array) = doc
        .entry("persona")
        .or_insert(toml_edit::Item::ArrayOfTables(Default::default()))
        .as_array_of_tables_mut()
    else {
        return Err(SaveError::NotAList { path: p });
    };
    let at = array
        .iter()
        .position(|t| t.get("id").and_then(toml_edit::Item::as_str) == Some(persona.id.as_str()));
    match at.and_then(|i| array.get_mut(i)) {
        Some(t) => *t = table,
        None => array.push(table),
    }
    crate::workspace::write_file(&p, &doc.to_string())
        .map_err(|source| SaveError::Write { path: p, source })
}

/// `persona` as one `[[persona]]` table.
fn as_table(persona: &Persona) -> Result<toml_edit::Table, SaveError> {
    let one = toml::to_string(&FileShape {
        persona: vec![persona.clone()],
    })
    .map_err(|e| SaveError::Encode(e.to_string()))?;
    let new: toml_edit::DocumentMut = one
        .parse()
        .map_err(|e: toml_edit::TomlError| SaveError::Encode(e.to_string()))?;
    new.get("persona")
        .and_then(toml_edit::Item::as_array_of_tables)
        .and_then(|a| a.iter().next().cloned())
        .ok_or_else(|| SaveError::Encode("no [[persona]] table".into()))
}

impl Persona {
    /// The identity the worker would verify from this persona's cookie.
    pub fn identity(&self) -> Identity {
        if self.segments.is_empty() && self.attrs.is_empty() {
            return Identity::anonymous();
        }
        let attrs = self
            .attrs
            .iter()
            .filter_map(|(k, v)| {
                let v = match v {
                    toml::Value::Boolean(b) => AttrValue::Bool(*b),
                    toml::Value::Integer(i) => AttrValue::Number(*i as f64),
                    toml::Value::Float(f) => AttrValue::Number(*f),
                    toml::Value::String(s) => AttrValue::Text(s.clone()),
                    _ => return None,
                };
                Some((k.clone(), v))
            })
            .collect();
        Identity::Profile(VerifiedProfile {
            sub: format!("studio-{}", self.id),
            segments: self.segments.clone(),
            attrs: Attrs(attrs),
            exp: 0,
        })
    }

    /// The activity the worker would count for this persona.
    pub fn activity(&self) -> Activity<'_> {
        Activity(self)
    }
}

/// A persona's activity as [`ActivityCounts`]: nothing without consent.
pub struct Activity<'p>(&'p Persona);

impl ActivityCounts for Activity<'_> {
    fn product_views(&self, product: &str, _within: u32, _now: i64) -> u32 {
        if !self.0.consent {
            return 0;
        }
        self.0
            .viewed
            .iter()
            .filter(|v| v.product == product)
            .map(|v| v.times)
            .sum()
    }
    fn category_views(&self, _category: &str) -> u32 {
        0
    }
    fn visits(&self) -> u32 {
        if self.0.consent {
            self.0.visits
        } else {
            0
        }
    }
    fn impressions(&self, _: &str, _: u32, _: i64) -> u32 {
        0
    }
    fn recent(&self, i: usize) -> Option<&str> {
        if !self.0.consent {
            return None;
        }
        self.0.viewed.get(i).map(|v| v.product.as_str())
    }
}
