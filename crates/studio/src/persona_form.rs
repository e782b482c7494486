//! The *Add a persona* form of `/compare`: its fields as the marketer typed them ([`Typed`]),
//! their parse into a [`Persona`] saved in `personas.toml`, and why a save is refused
//! ([`Refused`]). A refused save is answered with the compare page the form was on, the reason
//! first as an alert and the form filled with what was typed, so nothing typed is lost. The
//! form only ever writes `personas.toml`, never a campaign file.

use maud::{html, Markup};

use crate::campaigns::moment;
use crate::layout::csrf;
use crate::personas::{self, Persona, SaveError, Viewed};
use crate::state::{AppState, Session};
use crate::workspace::folder;

/// The personas compared when the page names none.
const DEFAULT_PERSONAS: &str = "new,loyal,price-hunter";

/// The form's fields as typed (trimmed), and the compare page it is on.
#[derive(Debug, Clone)]
pub struct Typed {
    id: String,
    label: String,
    segments: String,
    attrs: String,
    viewed: String,
    country: String,
    device: String,
    at: String,
    consent: bool,
    /// The compare page's path, to come back to.
    pub page: String,
    /// The compare page's persona ids, comma-separated, to come back to.
    pub personas: String,
}

impl Typed {
    /// An empty form on the compare page of `page` for `personas` (consent ticked).
    pub fn blank(page: &str, personas: &str) -> Self {
        Self {
            id: String::new(),
            label: String::new(),
            segments: String::new(),
            attrs: String::new(),
            viewed: String::new(),
            country: String::new(),
            device: String::new(),
            at: String::new(),
            consent: true,
            page: page.to_owned(),
            personas: personas.to_owned(),
        }
    }

    /// The form as posted.
    pub fn posted(pairs: &[(String, String)]) -> Self {
        let get = |k: &str| {
            pairs
                .iter()
                .find(|(n, _)| n == k)
                .map_or("", |(_, v)| v.trim())
                .to_owned()
        };
        Self {
            id: get("id"),
            label: get("label"),
            segments: get("segments"),
            attrs: get("attrs"),
            viewed: get("viewed"),
            country: get("country"),
            device: get("device"),
            at: get("at"),
            consent: !get("consent").is_empty(),
            page: get("page"),
            personas: get("personas"),
        }
    }
}

/// Why a persona was not saved.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Refused {
    /// The short id is empty or has other characters.
    #[error("the short id is required: letters, digits, - and _")]
    Id,
    /// An attribute without `=`.
    #[error("attribute `{0}`: write name=value, e.g. tier=gold")]
    Attribute(String),
    /// A viewed product whose count is not a whole number.
    #[error("viewed `{0}`: write product×times, e.g. p0001×3")]
    Viewed(String),
    /// A date that is not RFC 3339.
    #[error("date `{0}`: write a date, time and offset, e.g. 2026-12-24T18:00:00Z")]
    Date(String),
    /// `personas.toml` refused it.
    #[error(transparent)]
    File(#[from] SaveError),
}

impl Refused {
    /// The HTTP status: 422 for what was typed, 409 for the state of `personas.toml` (as the
    /// publish page's refusals, a write that fails included).
    pub fn status(&self) -> u16 {
        match self {
            Self::Id | Self::Attribute(_) | Self::Viewed(_) | Self::Date(_) => 422,
            Self::File(SaveError::Encode(_)) => 422,
            Self::File(
                SaveError::Read { .. }
                | SaveError::NotToml { .. }
                | SaveError::NotAList { .. }
                | SaveError::Write { .. },
            ) => 409,
        }
    }

    /// The form field at fault, if one is.
    fn field(&self) -> Option<&'static str> {
        match self {
            Self::Id => Some("id"),
            Self::Attribute(_) => Some("attrs"),
            Self::Viewed(_) => Some("viewed"),
            Self::Date(_) => Some("at"),
            Self::File(_) => None,
        }
    }
}

/// The persona ids a compare page names (comma-separated), or the default ones when it names
/// none (no list, an empty one, or only commas and spaces).
pub fn compared(personas: Option<&str>) -> Vec<String> {
    let named = personas.map(list).unwrap_or_default();
    if named.is_empty() {
        list(DEFAULT_PERSONAS)
    } else {
        named
    }
}

fn list(t: &str) -> Vec<String> {
    t.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

/// The persona the form describes.
fn persona(t: &Typed) -> Result<Persona, Refused> {
    let id = t.id.as_str();
    let id_ok = id
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if id.is_empty() || !id_ok {
        return Err(Refused::Id);
    }
    let mut attrs = std::collections::BTreeMap::new();
    for pair in list(&t.attrs) {
        let Some((k, v)) = pair.split_once('=') else {
            return Err(Refused::Attribute(pair));
        };
        let v = v.trim();
        let value = v
            .parse::<i64>()
            .map(toml::Value::Integer)
            .or_else(|_| v.parse::<f64>().map(toml::Value::Float))
            .or_else(|_| v.parse::<bool>().map(toml::Value::Boolean))
            .unwrap_or_else(|_| toml::Value::String(v.to_owned()));
        attrs.insert(k.trim().to_owned(), value);
    }
    let mut viewed = Vec::new();
    for v in list(&t.viewed) {
        let (product, times) = v.split_once(['×', 'x', '*']).unwrap_or((v.as_str(), "1"));
        let Ok(times) = times.trim().parse() else {
            return Err(Refused::Viewed(v));
        };
        viewed.push(Viewed {
            product: product.trim().to_owned(),
            times,
        });
    }
    let opt = |s: &str| Some(s.to_owned()).filter(|s| !s.is_empty());
    if !t.at.is_empty() && moment(Some(&t.at)).is_err() {
        return Err(Refused::Date(t.at.clone()));
    }
    Ok(Persona {
        id: id.to_owned(),
        label: opt(&t.label).unwrap_or_else(|| id.to_owned()),
        segments: list(&t.segments),
        attrs,
        viewed,
        visits: 2,
        consent: t.consent,
        device: opt(&t.device),
        country: opt(&t.country),
        at: opt(&t.at),
    })
}

/// `POST /personas`: saves the persona next to the campaigns; the compare page to go back to,
/// with the new persona added to the ones compared.
pub fn save(state: &AppState, t: &Typed) -> Result<String, Refused> {
    let persona = persona(t)?;
    personas::save(&folder(&state.config.files), &persona)?;
    let page = Some(t.page.as_str())
        .filter(|p| !p.is_empty())
        .unwrap_or("/");
    let mut ids = compared(Some(&t.personas));
    if !ids.contains(&persona.id) {
        ids.push(persona.id);
    }
    let query = serde_urlencoded::to_string([("page", page), ("personas", &ids.join(","))]);
    Ok(query.map_or_else(|_| "/compare".to_owned(), |q| format!("/compare?{q}")))
}

/// The form, filled with `t`; opened, with the field at fault marked, after a refusal.
pub fn render(session: &Session, t: &Typed, refused: Option<&Refused>) -> Markup {
    let bad = refused.and_then(Refused::field);
    let invalid = |name: &str| (bad == Some(name)).then_some("true");
    let devices = [
        ("", "any"),
        ("mobile", "mobile"),
        ("tablet", "tablet"),
        ("desktop", "desktop"),
    ];
    html! {
        details open[refused.is_some()] {
            summary { "Add a persona" }
            form.edit method="post" action="/personas" {
                (csrf(&session.csrf))
                input type="hidden" name="page" value=(t.page);
                input type="hidden" name="personas" value=(t.personas);
                div.field { label for="np-id" { "Short id" } input #np-id type="text" name="id" value=(t.id) aria-invalid=[invalid("id")] required; }
                div.field { label for="np-label" { "Name" } input #np-label type="text" name="label" value=(t.label) required; }
                div.field { label for="np-segments" { "Segments" } input #np-segments type="text" name="segments" value=(t.segments) aria-describedby="np-segments-help"; div #np-segments-help .help { "Comma-separated; empty for an anonymous visitor." } }
                div.field { label for="np-attrs" { "Attributes" } input #np-attrs type="text" name="attrs" value=(t.attrs) aria-invalid=[invalid("attrs")] aria-describedby="np-attrs-help"; div #np-attrs-help .help { "name=value pairs, comma-separated, e.g. tier=gold, orders=3." } }
                div.field { label for="np-viewed" { "Viewed products" } input #np-viewed type="text" name="viewed" value=(t.viewed) aria-invalid=[invalid("viewed")] aria-describedby="np-viewed-help"; div #np-viewed-help .help { "product×times, e.g. p0001×3, p0002×1." } }
                div.field { label for="np-country" { "Country" } input #np-country type="text" name="country" value=(t.country) placeholder="DE"; }
                div.field { label for="np-device" { "Device" }
                    select #np-device name="device" { @for (value, text) in devices { option value=(value) selected[t.device == value] { (text) } } } }
                div.field { label for="np-at" { "Date" } input #np-at type="text" name="at" value=(t.at) aria-invalid=[invalid("at")] placeholder="2026-12-24T18:00:00Z"; }
                div.field { label for="np-consent" { input #np-consent type="checkbox" name="consent" value="1" checked[t.consent]; " Consented to activity tracking" } }
                div.actions { button type="submit" { "Save persona" } }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn typed(fields: &[(&str, &str)]) -> Typed {
        let pairs: Vec<(String, String)> = fields
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        Typed::posted(&pairs)
    }

    #[test]
    fn what_was_typed_wrong_is_refused_at_its_field() {
        for (fields, field) in [
            (&[("id", "no spaces")][..], "id"),
            (&[("id", "a"), ("attrs", "tier")][..], "attrs"),
            (&[("id", "a"), ("viewed", "p0001×many")][..], "viewed"),
            (&[("id", "a"), ("at", "tomorrow")][..], "at"),
        ] {
            let refused = persona(&typed(fields)).unwrap_err();
            assert_eq!((refused.status(), refused.field()), (422, Some(field)));
        }
    }

    #[test]
    fn a_compare_page_that_names_no_persona_compares_the_default_ones() {
        let default = list(DEFAULT_PERSONAS);
        for none in [None, Some(""), Some(" , ,"), Some(",")] {
            assert_eq!(compared(none), default, "{none:?}");
        }
        assert_eq!(compared(Some(" loyal ,,new")), ["loyal", "new"]);
    }

    #[test]
    fn a_file_that_cannot_take_the_persona_is_a_conflict() {
        let path = std::path::PathBuf::from("personas.toml");
        let refused = Refused::File(SaveError::NotAList { path });
        assert_eq!((refused.status(), refused.field()), (409, None));
    }
}
