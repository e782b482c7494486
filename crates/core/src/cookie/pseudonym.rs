//! Pseudonyms: the only visitor identifier a log line or an event ever carries.
//!
//! A pseudonym is keyed, so that nobody without the site's secret can recompute it from an id
//! (a profile `sub` is often a customer number, which anyone could hash), while the shop, which
//! holds the secret, can still join events to its own users:
//!
//! ```text
//! pseudonym key = HMAC-SHA256(secret, "vitrine-pseudonym-key-v1")
//! pseudonym(id) = hex(first 16 bytes of HMAC-SHA256(pseudonym key, "vitrine-exposure-v2" 0x00 id))
//! ```
//!
//! `secret` is the current key of `VITRINE_PSEUDONYM_KEY` when it is set, else of
//! `VITRINE_COOKIE_KEYS` (so rotating the profile key changes every pseudonym unless
//! `VITRINE_PSEUDONYM_KEY` is set). The published test vector is in docs/marketers.md
//! ("Exposure and conversion events"); `crates/cli/tests/docs` checks it against this code.

use hmac::{Hmac, Mac};
use sha2::Sha256;

use super::KeyRing;

type HmacSha256 = Hmac<Sha256>;

/// What the key is derived with, so the ring's secret never keys anything else directly.
const KEY_LABEL: &[u8] = b"vitrine-pseudonym-key-v1";

/// What every pseudonym's MAC starts with (the version of the scheme).
const ID_LABEL: &[u8] = b"vitrine-exposure-v2\0";

/// The key pseudonyms are made with, derived from a key ring's current key.
#[derive(Clone, PartialEq, Eq)]
pub struct PseudonymKey([u8; 32]);

impl std::fmt::Debug for PseudonymKey {
    // Never print key material.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PseudonymKey(..)")
    }
}

impl PseudonymKey {
    /// The pseudonym key of `ring` (its current key).
    pub fn of(ring: &KeyRing) -> Self {
        // Derived once per ring (it is asked for on every request) and kept by it.
        Self(ring.derived(KEY_LABEL, |secret| mac(secret, &[KEY_LABEL])))
    }

    /// The pseudonym of `id`: 32 hex digits.
    ///
    /// ```
    /// use vitrine_core::cookie::{KeyRing, PseudonymKey};
    /// let ring = KeyRing::parse("demo:ZGVtby1rZXktZm9yLWxvY2FsLXRlc3RzLW9ubHktMzJieXRlcyE").unwrap();
    /// let key = PseudonymKey::of(&ring);
    /// assert_eq!(key.pseudonym("u-1001").len(), 32);
    /// assert_ne!(key.pseudonym("u-1001"), key.pseudonym("u-1002"));
    /// ```
    pub fn pseudonym(&self, id: &str) -> String {
        crate::hex::encode(&mac(&self.0, &[ID_LABEL, id.as_bytes()])[..16])
    }
}

fn mac(key: &[u8], parts: &[&[u8]]) -> [u8; 32] {
    // HMAC accepts keys of any length, so this cannot fail; the fallback (as in `jws`) only
    // keeps the function total without a panic path.
    let mut m = <HmacSha256 as Mac>::new_from_slice(key)
        .unwrap_or_else(|_| <HmacSha256 as hmac::digest::KeyInit>::new(&Default::default()));
    for p in parts {
        m.update(p);
    }
    m.finalize().into_bytes().into()
}

#[cfg(test)]
mod tests {
    use super::*;

    const RING: &str = "demo:ZGVtby1rZXktZm9yLWxvY2FsLXRlc3RzLW9ubHktMzJieXRlcyE";

    /// Issue 14, item 6: pseudonyms were `SHA-256("vitrine-exposure-v1" 0 id)`, which anyone
    /// can compute from a guessed id. Keyed, they depend on the secret.
    #[test]
    fn pseudonyms_depend_on_the_key() {
        let a = PseudonymKey::of(&KeyRing::parse(RING).unwrap());
        let b = PseudonymKey::of(
            &KeyRing::parse("x:HyAhIiMkJSYnKCkqKywtLi8wMTIzNDU2Nzg5Ojs8PT4").unwrap(),
        );
        assert_ne!(a.pseudonym("u-1001"), b.pseudonym("u-1001"));
        use sha2::Digest;
        let unkeyed = Sha256::new()
            .chain_update(b"vitrine-exposure-v1\0u-1001")
            .finalize();
        assert_ne!(a.pseudonym("u-1001"), crate::hex::encode(&unkeyed[..16]));
        assert_eq!(a.pseudonym("u-1001"), a.pseudonym("u-1001"));
        assert!(!format!("{a:?}").contains(|c: char| c.is_ascii_digit()));
    }

    /// The construction, spelled out with the `hmac` crate step by step.
    #[test]
    fn pseudonym_is_the_documented_construction() {
        let ring = KeyRing::parse(RING).unwrap();
        let secret = ring.current().secret();
        let mut k = <HmacSha256 as Mac>::new_from_slice(secret).unwrap();
        k.update(b"vitrine-pseudonym-key-v1");
        let k = k.finalize().into_bytes();
        let mut m = <HmacSha256 as Mac>::new_from_slice(&k).unwrap();
        m.update(b"vitrine-exposure-v2\x00u-1001");
        let want = crate::hex::encode(&m.finalize().into_bytes()[..16]);
        assert_eq!(PseudonymKey::of(&ring).pseudonym("u-1001"), want);
    }
}
