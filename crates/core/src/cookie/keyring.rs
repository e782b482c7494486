//! Key rings: the HMAC keys a cookie may be signed with, current key first.
//!
//! The same text format is used by the Worker (a wrangler secret) and the CLI (an environment
//! variable, never argv): a comma-separated list of `kid:secret`, where `secret` is unpadded
//! base64url of at least 32 random bytes. The first entry is the *current* key, used to mint;
//! every entry verifies, which is what makes rotation safe (add the new key in front, keep the
//! old one until every cookie signed with it has expired, then drop it).

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;

/// Minimum decoded secret length in bytes (RFC 7518 §3.2: at least the hash output size).
pub const MIN_SECRET_BYTES: usize = 32;

/// One signing key.
#[derive(Clone)]
pub struct Key {
    kid: String,
    secret: Vec<u8>,
}

impl Key {
    /// The key id carried in the JWS header's `kid`.
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// The raw secret bytes.
    pub(crate) fn secret(&self) -> &[u8] {
        &self.secret
    }
}

impl std::fmt::Debug for Key {
    // Never print secrets, not even in debug output.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Key")
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

/// A non-empty list of keys; the first is current.
#[derive(Clone, Debug)]
pub struct KeyRing {
    keys: Vec<Key>,
    /// The key the current key derives, made once ([`KeyRing::derived`]).
    derived: Derived,
}

/// A key derived from a ring's current key, with the label it was derived for.
#[derive(Clone, Default)]
struct Derived(std::sync::OnceLock<(&'static [u8], [u8; 32])>);

impl std::fmt::Debug for Derived {
    // Key material: never printed, not even in debug output.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Derived(..)")
    }
}

/// Why a key ring text was refused.
///
/// No variant carries any text of the ring, and no message prints any: a ring written the wrong
/// way round (`SECRET:kid`) puts the secret where the kid belongs, and these messages reach the
/// Worker's logs (`vitrine.config`, `vitrine.preview_refused`). An entry is named by its
/// position.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum KeyRingError {
    /// The text held no keys at all.
    #[error("the key ring is empty; expected `kid:secret[,kid:secret…]`")]
    Empty,
    /// An entry had no `:` separating the key id from the secret.
    #[error("key ring entry {index} has no `:`; expected `kid:secret`")]
    MissingSeparator {
        /// Zero-based position of the entry.
        index: usize,
    },
    /// A key id was empty, too long or used characters outside `[A-Za-z0-9._-]`.
    #[error("key ring entry {index} has an invalid kid (not shown); use 1-64 of [A-Za-z0-9._-], written `kid:secret`")]
    BadKid {
        /// Zero-based position of the entry.
        index: usize,
    },
    /// The same key id appeared twice.
    #[error(
        "key ring entry {index} repeats the kid of an earlier entry; every kid must be unique"
    )]
    DuplicateKid {
        /// Zero-based position of the second entry.
        index: usize,
    },
    /// A secret was not unpadded base64url.
    #[error("the secret of key ring entry {index} is not unpadded base64url (is the entry written `kid:secret`?)")]
    BadSecret {
        /// Zero-based position of the entry.
        index: usize,
    },
    /// A secret decoded to fewer than [`MIN_SECRET_BYTES`] bytes.
    #[error("the secret of key ring entry {index} is {len} bytes; at least {MIN_SECRET_BYTES} are required (is the entry written `kid:secret`? try `openssl rand 32 | basenc --base64url | tr -d =`)")]
    ShortSecret {
        /// Zero-based position of the entry.
        index: usize,
        /// Its decoded length.
        len: usize,
    },
}

impl KeyRing {
    /// Parses `kid:secret[,kid:secret…]`. Whitespace around entries is ignored.
    pub fn parse(text: &str) -> Result<Self, KeyRingError> {
        let mut keys: Vec<Key> = Vec::new();
        for (index, entry) in text.split(',').map(str::trim).enumerate() {
            if entry.is_empty() {
                continue;
            }
            let (kid, secret) = entry
                .split_once(':')
                .ok_or(KeyRingError::MissingSeparator { index })?;
            let key = Key::parse(index, kid.trim(), secret.trim())?;
            if keys.iter().any(|k| k.kid == key.kid) {
                return Err(KeyRingError::DuplicateKid { index });
            }
            keys.push(key);
        }
        if keys.is_empty() {
            return Err(KeyRingError::Empty);
        }
        Ok(Self {
            keys,
            derived: Derived::default(),
        })
    }

    /// `derive(current secret)`, the key the current key derives for `label`: made once per
    /// ring for the first label asked for, and kept (a ring derives one key, the pseudonym key,
    /// which would otherwise cost an HMAC on every request); another label is derived each
    /// time. `derive` must depend on the secret and `label` alone.
    pub(crate) fn derived(
        &self,
        label: &'static [u8],
        derive: impl FnOnce(&[u8]) -> [u8; 32],
    ) -> [u8; 32] {
        if let Some((kept, key)) = self.derived.0.get() {
            return match *kept == label {
                true => *key,
                false => derive(self.current().secret()),
            };
        }
        let key = derive(self.current().secret());
        let _ = self.derived.0.set((label, key));
        key
    }

    /// The key new cookies are signed with.
    pub fn current(&self) -> &Key {
        // `parse` guarantees at least one key.
        &self.keys[0]
    }

    /// The key with this id, if the ring holds it.
    pub fn get(&self, kid: &str) -> Option<&Key> {
        self.keys.iter().find(|k| k.kid == kid)
    }

    /// Whether any key of this ring has the same secret as a key of `other` (rings for
    /// different purposes, such as profiles and previews, must never share one).
    pub fn shares_a_secret_with(&self, other: &KeyRing) -> bool {
        self.keys
            .iter()
            .any(|a| other.keys.iter().any(|b| a.secret == b.secret))
    }
}

impl Key {
    fn parse(index: usize, kid: &str, secret: &str) -> Result<Self, KeyRingError> {
        let kid_ok = (1..=64).contains(&kid.len())
            && kid
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
        if !kid_ok {
            return Err(KeyRingError::BadKid { index });
        }
        let secret = URL_SAFE_NO_PAD
            .decode(secret)
            .map_err(|_| KeyRingError::BadSecret { index })?;
        if secret.len() < MIN_SECRET_BYTES {
            return Err(KeyRingError::ShortSecret {
                index,
                len: secret.len(),
            });
        }
        Ok(Self {
            kid: kid.to_owned(),
            secret,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const S32: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8";

    /// The first label's key is derived once and kept; another label's is derived each time
    /// (never the kept one); a clone keeps it too; neither is ever printed.
    #[test]
    fn a_derived_key_is_made_once_per_ring_and_never_printed() {
        let ring = KeyRing::parse(&format!("k:{S32}")).unwrap();
        let calls = std::cell::Cell::new(0);
        let derive = |secret: &[u8]| {
            calls.set(calls.get() + 1);
            let mut key = [0xA5; 32];
            key[0] = secret[1];
            key
        };
        let first = ring.derived(b"label", derive);
        assert_eq!(first[0], 1, "derived from the current secret");
        assert_eq!(ring.derived(b"label", derive), first);
        assert_eq!(
            ring.derived(b"label", |_| [9; 32]),
            first,
            "kept, not derived again"
        );
        assert_eq!(calls.get(), 1);
        assert_eq!(ring.derived(b"other", |_| [7; 32]), [7; 32]);
        assert_eq!(ring.derived(b"other", |_| [8; 32]), [8; 32]);
        assert_eq!(ring.clone().derived(b"label", |_| [9; 32]), first);
        let printed = format!("{ring:?}");
        assert!(
            !printed.contains("165") && !printed.contains("A5"),
            "{printed}"
        );
    }

    #[test]
    fn first_key_is_current_and_all_verify() {
        let ring = KeyRing::parse(&format!("new:{S32}, old:{S32}")).unwrap();
        assert_eq!(ring.current().kid(), "new");
        assert!(ring.get("old").is_some());
        assert!(ring.get("other").is_none());
    }

    macro_rules! refused {
        ($($name:ident: $text:expr => $pat:pat,)*) => {$(
            #[test]
            fn $name() {
                let got = KeyRing::parse(&$text);
                assert!(matches!(got, Err($pat)), "{:?}", got);
            }
        )*};
    }

    refused! {
        empty: "" => KeyRingError::Empty,
        only_commas: " , ," => KeyRingError::Empty,
        no_colon: "abc" => KeyRingError::MissingSeparator { index: 0 },
        bad_kid: format!("a b:{S32}") => KeyRingError::BadKid { .. },
        empty_kid: format!(":{S32}") => KeyRingError::BadKid { .. },
        duplicate: format!("k:{S32},k:{S32}") => KeyRingError::DuplicateKid { .. },
        padded_secret: format!("k:{S32}=") => KeyRingError::BadSecret { .. },
        std_alphabet: "k:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh+/" => KeyRingError::BadSecret { .. },
        short: "k:AAECAwQFBgcICQoLDA0ODw" => KeyRingError::ShortSecret { len: 16, .. },
    }

    #[test]
    fn shared_secrets_are_found_whatever_the_kid() {
        const OTHER: &str = "HyAhIiMkJSYnKCkqKywtLi8wMTIzNDU2Nzg5Ojs8PT4";
        let a = KeyRing::parse(&format!("a:{S32}")).unwrap();
        let b = KeyRing::parse(&format!("b:{OTHER},c:{S32}")).unwrap();
        let c = KeyRing::parse(&format!("a:{OTHER}")).unwrap();
        assert!(a.shares_a_secret_with(&b));
        assert!(!a.shares_a_secret_with(&c));
    }

    /// Issue 14: a ring written `SECRET:kid` echoed the secret (as the kid) in the refusal,
    /// which the Worker logs as `vitrine.config`. No refusal prints any text of the ring.
    #[test]
    fn refusals_never_print_key_material() {
        const OTHER: &str = "HyAhIiMkJSYnKCkqKywtLi8wMTIzNDU2Nzg5Ojs8PT4";
        let long = "x".repeat(80);
        for text in [
            format!("{S32}:demo"),
            format!("{S32}:k-1,{OTHER}:k-2"),
            format!("k:{S32},{OTHER}:k"),
            format!("{S32}=:{OTHER}"),
            format!("{S32}:{S32}=,"),
            format!("{S32}:{S32},{S32}:{OTHER}"),
            format!("{long}:{S32}"),
            format!("{S32} {OTHER}:{S32}"),
        ] {
            let refused = KeyRing::parse(&text).unwrap_err();
            for shown in [refused.to_string(), format!("{refused:?}")] {
                for secret in [S32, OTHER, &long, "AAECAwQFBgcICQoLDA0O", "demo"] {
                    assert!(!shown.contains(secret), "{text}: {shown}");
                }
            }
        }
    }

    #[test]
    fn debug_never_prints_the_secret() {
        let ring = KeyRing::parse(&format!("k:{S32}")).unwrap();
        assert!(!format!("{ring:?}").contains(S32));
    }
}
