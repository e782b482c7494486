//! The `attrs` claim: a flat map of targeting attributes.
//!
//! Each value is a boolean, a number, a string or a list of strings, or that value wrapped as
//! `{"value": …, "verified": true|false}`. A wrapped value with `verified: false` (a form
//! default, a self-declared birthday) is dropped here and never reaches targeting. Parsing is a
//! hand-written serde visitor rather than `#[serde(untagged)]`, so every accepted shape is
//! explicit: no array-as-struct quirks, no duplicate keys at any level.

use std::collections::BTreeMap;
use std::fmt;

use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;

/// A scalar or list attribute used for targeting.
#[derive(Debug, Clone, PartialEq)]
pub enum AttrValue {
    /// `true` / `false`.
    Bool(bool),
    /// Any JSON number.
    Number(f64),
    /// A string.
    Text(String),
    /// A list of strings (for example purchased product ids).
    List(Vec<String>),
}

/// The attribute map: duplicate keys refused, unverified attributes already dropped.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Attrs(pub BTreeMap<String, AttrValue>);

impl Attrs {
    /// The attribute `name`, if the backend sent it (and did not mark it unverified).
    pub fn get(&self, name: &str) -> Option<&AttrValue> {
        self.0.get(name)
    }
}

/// One attribute as sent: its value and whether it may be used.
struct Wire {
    value: AttrValue,
    usable: bool,
}

impl<'de> Deserialize<'de> for Attrs {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Attrs;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object of attributes")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Attrs, A::Error> {
                let mut out = BTreeMap::new();
                let mut dropped: Vec<String> = Vec::new();
                while let Some((k, v)) = map.next_entry::<String, Wire>()? {
                    if out.contains_key(&k) || dropped.contains(&k) {
                        return Err(de::Error::custom(format_args!("duplicate attribute `{k}`")));
                    }
                    if v.usable {
                        out.insert(k, v.value);
                    } else {
                        dropped.push(k);
                    }
                }
                Ok(Attrs(out))
            }
        }
        d.deserialize_map(V)
    }
}

impl<'de> Deserialize<'de> for AttrValue {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let wire = d.deserialize_any(WireVisitor { wrapped_ok: false })?;
        Ok(wire.value)
    }
}

impl<'de> Deserialize<'de> for Wire {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(WireVisitor { wrapped_ok: true })
    }
}

/// Accepts the plain shapes, and the `{value, verified}` wrapper when `wrapped_ok`.
struct WireVisitor {
    wrapped_ok: bool,
}

fn plain(value: AttrValue) -> Wire {
    Wire {
        value,
        usable: true,
    }
}

impl<'de> Visitor<'de> for WireVisitor {
    type Value = Wire;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a bool, number, string, list of strings or {\"value\",\"verified\"}")
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Wire, E> {
        Ok(plain(AttrValue::Bool(v)))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Wire, E> {
        Ok(plain(AttrValue::Number(v as f64)))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Wire, E> {
        Ok(plain(AttrValue::Number(v as f64)))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Wire, E> {
        Ok(plain(AttrValue::Number(v)))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Wire, E> {
        Ok(plain(AttrValue::Text(v.to_owned())))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Wire, E> {
        Ok(plain(AttrValue::Text(v)))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Wire, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element::<String>()? {
            items.push(item);
        }
        Ok(plain(AttrValue::List(items)))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Wire, A::Error> {
        if !self.wrapped_ok {
            return Err(de::Error::custom("nested objects are not attribute values"));
        }
        let (mut value, mut verified) = (None, None);
        while let Some(key) = map.next_key::<String>()? {
            let fresh = match key.as_str() {
                "value" => value.replace(map.next_value::<AttrValue>()?).is_none(),
                "verified" => verified.replace(map.next_value::<bool>()?).is_none(),
                other => return Err(de::Error::unknown_field(other, &["value", "verified"])),
            };
            if !fresh {
                return Err(de::Error::custom("duplicate member in attribute"));
            }
        }
        match (value, verified) {
            (Some(value), Some(usable)) => Ok(Wire { value, usable }),
            _ => Err(de::Error::custom(
                "a wrapped attribute needs `value` and `verified`",
            )),
        }
    }
}

impl serde::Serialize for AttrValue {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::Bool(b) => s.serialize_bool(*b),
            Self::Number(n) => s.serialize_f64(*n),
            Self::Text(t) => s.serialize_str(t),
            Self::List(l) => l.serialize(s),
        }
    }
}

impl serde::Serialize for Attrs {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(s)
    }
}
