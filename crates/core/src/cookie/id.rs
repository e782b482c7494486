//! The pseudonymous visitor id: 128 random bits, minted at the edge only with consent.
//!
//! It is written as 32 lowercase hex digits. Its `Debug` output is redacted so an id never
//! lands in a log line by accident; only [`VisitorId::to_hex`] reveals it.

use std::fmt;

use serde::{de, Deserialize, Deserializer, Serialize, Serializer};

/// A random 128-bit visitor id.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct VisitorId([u8; 16]);

/// The platform's random source failed (no id is minted then).
#[derive(Debug, thiserror::Error)]
#[error("no randomness for a visitor id: {0}")]
pub struct RandomError(getrandom::Error);

impl VisitorId {
    /// Mints a fresh id from the OS / Web Crypto random source (`getrandom`).
    pub fn random() -> Result<Self, RandomError> {
        let mut bytes = [0u8; 16];
        getrandom::getrandom(&mut bytes).map_err(RandomError)?;
        Ok(Self(bytes))
    }

    /// The id as 32 lowercase hex digits.
    pub fn to_hex(&self) -> String {
        crate::hex::encode(&self.0)
    }

    /// Parses 32 lowercase hex digits.
    pub fn from_hex(text: &str) -> Option<Self> {
        if text.len() != 32 || !text.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
            return None;
        }
        let mut bytes = [0u8; 16];
        for (i, byte) in bytes.iter_mut().enumerate() {
            *byte = u8::from_str_radix(text.get(2 * i..2 * i + 2)?, 16).ok()?;
        }
        Some(Self(bytes))
    }
}

impl fmt::Debug for VisitorId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("VisitorId(..)")
    }
}

impl Serialize for VisitorId {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_hex())
    }
}

impl<'de> Deserialize<'de> for VisitorId {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        Self::from_hex(&text).ok_or_else(|| de::Error::custom("not a 32-digit lowercase hex id"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn random_ids_differ_and_round_trip() {
        let a = VisitorId::random().unwrap();
        let b = VisitorId::random().unwrap();
        assert_ne!(a, b);
        assert_eq!(a.to_hex().len(), 32);
        assert_eq!(VisitorId::from_hex(&a.to_hex()), Some(a));
    }

    #[test]
    fn debug_is_redacted() {
        let a = VisitorId::random().unwrap();
        assert!(!format!("{a:?}").contains(&a.to_hex()));
    }

    #[test]
    fn from_hex_refuses_wrong_shapes() {
        assert_eq!(VisitorId::from_hex("00"), None);
        assert_eq!(VisitorId::from_hex(&"A".repeat(32)), None);
        assert_eq!(VisitorId::from_hex(&"g".repeat(32)), None);
        assert!(VisitorId::from_hex(&"0f".repeat(16)).is_some());
    }
}
