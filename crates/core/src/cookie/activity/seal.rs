//! The activity cookie on the wire, and the bound that keeps it under 4096 bytes.
//!
//! Format: `<kid>.<payload>.<mac>`, where `payload` is unpadded base64url of the compact JSON
//! of [`Activity`] (one- or two-letter member names, lists of tuples), and `mac` is unpadded
//! base64url of HMAC-SHA-256 over `vitrine-activity/1\n<kid>.<payload>` with the key `kid`
//! names. The context prefix separates it from any JWS: a profile token can never verify as
//! an activity cookie, or the other way round, even if someone reused a secret. A kid may
//! contain dots, so the value is split from the right.
//!
//! As with the profile cookie the MAC is checked (constant time, length first) before any
//! JSON is parsed, and the payload must be canonical unpadded base64url and UTF-8.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use sha2::Sha256;

use super::{Activity, Caps, ACTIVITY_COOKIE, MAX_COOKIE_BYTES};
use crate::cookie::keyring::{Key, KeyRing};
use crate::cookie::Rejection;

type HmacSha256 = Hmac<Sha256>;

const CONTEXT: &[u8] = b"vitrine-activity/1\n";

/// HMAC-SHA-256 output length.
const MAC_BYTES: usize = 32;

/// Attributes of every activity `Set-Cookie` (the `__Host-` prefix requires the first three).
const ATTRIBUTES: &str = "Path=/; Secure; HttpOnly; SameSite=Lax";

/// A verified activity cookie.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Opened {
    /// What it says.
    pub activity: Activity,
    /// Signed with a key other than the ring's current one: re-issue it under the current key.
    pub rotated: bool,
}

/// Verifies an activity cookie value with `ring`.
///
/// Refusals reuse [`Rejection`]: `TooLong`, `Malformed`, `UnknownKid`, `Base64`, `Signature`,
/// `ClaimsNotUtf8` and `ClaimsNotJson` (the JSON is not an activity record).
pub fn open(value: &str, ring: &KeyRing) -> Result<Opened, Rejection> {
    if ACTIVITY_COOKIE.len() + 1 + value.len() > MAX_COOKIE_BYTES {
        return Err(Rejection::TooLong);
    }
    let mut parts = value.rsplitn(3, '.');
    let (Some(mac64), Some(payload64), Some(kid)) = (parts.next(), parts.next(), parts.next())
    else {
        return Err(Rejection::Malformed);
    };
    let key = ring.get(kid).ok_or(Rejection::UnknownKid)?;
    let mac = b64(mac64)?;
    let payload = b64(payload64)?;
    keyed(key, kid, payload64)
        .verify_slice(&mac)
        .map_err(|_| Rejection::Signature)?;
    let text = std::str::from_utf8(&payload).map_err(|_| Rejection::ClaimsNotUtf8)?;
    let activity = serde_json::from_slice(text.as_bytes()).map_err(|_| Rejection::ClaimsNotJson)?;
    Ok(Opened {
        activity,
        rotated: kid != ring.current().kid(),
    })
}

/// Applies `caps`, drops the oldest entries until cookie name + `=` + value fit in
/// [`MAX_COOKIE_BYTES`], and signs with the ring's current key. Returns the cookie value.
///
/// The size of the value follows from the JSON length alone (base64url is exact, the MAC has
/// a fixed length), so trimming re-serializes but signs only once.
pub fn seal(activity: &mut Activity, ring: &KeyRing, caps: Caps) -> String {
    activity.cap(caps);
    let key = ring.current();
    // Each round drops at least one entry, so this ends; the fixed fields alone (id, three
    // numbers, a kid of at most 64 bytes) stay far below the bound.
    loop {
        // Serializing plain structs of strings and integers cannot fail.
        let json = serde_json::to_vec(activity).unwrap_or_default();
        let size = ACTIVITY_COOKIE.len() + 1 + value_len(key.kid(), json.len());
        if size <= MAX_COOKIE_BYTES {
            return sign(&json, key);
        }
        // Drop a share of the entries proportional to the excess, at least one, so a cookie
        // far over the bound is trimmed in a few rounds rather than one entry per round.
        let excess = size - MAX_COOKIE_BYTES;
        let share = (activity.entries() * excess).div_ceil(size).max(1);
        for _ in 0..share {
            if !activity.drop_oldest() {
                return sign(&json, key);
            }
        }
    }
}

/// Length of `<kid>.<base64url(json)>.<base64url(mac)>`.
pub(super) fn value_len(kid: &str, json_len: usize) -> usize {
    kid.len() + 1 + b64_len(json_len) + 1 + b64_len(MAC_BYTES)
}

/// Unpadded base64 length of `n` bytes.
fn b64_len(n: usize) -> usize {
    (n * 4).div_ceil(3)
}

/// Signs payload bytes exactly as given with the ring's current key, without checking or
/// trimming them: for tests and fuzzing of what lies behind the MAC. The edge uses [`seal`].
pub fn seal_raw(json: &[u8], ring: &KeyRing) -> String {
    sign(json, ring.current())
}

/// The `Set-Cookie` value that stores `value` for `max_age_secs`.
pub fn set_cookie(value: &str, max_age_secs: u64) -> String {
    let mut max_age = itoa::Buffer::new();
    crate::text::concat(&[
        ACTIVITY_COOKIE,
        "=",
        value,
        "; Max-Age=",
        max_age.format(max_age_secs),
        "; ",
        ATTRIBUTES,
    ])
}

/// The `Set-Cookie` value that deletes the activity cookie (consent withdrawn).
pub fn clear_cookie() -> String {
    format!("{ACTIVITY_COOKIE}=; Max-Age=0; {ATTRIBUTES}")
}

fn sign(json: &[u8], key: &Key) -> String {
    let mut value = String::with_capacity(value_len(key.kid(), json.len()));
    value.push_str(key.kid());
    value.push('.');
    let payload_at = value.len();
    URL_SAFE_NO_PAD.encode_string(json, &mut value);
    let mac = keyed(key, key.kid(), &value[payload_at..]).finalize();
    value.push('.');
    URL_SAFE_NO_PAD.encode_string(mac.into_bytes(), &mut value);
    value
}

fn keyed(key: &Key, kid: &str, payload64: &str) -> HmacSha256 {
    // HMAC takes keys of any length; the fallback only keeps this total without a panic path.
    let mut mac = HmacSha256::new_from_slice(key.secret())
        .unwrap_or_else(|_| <HmacSha256 as hmac::digest::KeyInit>::new(&Default::default()));
    mac.update(CONTEXT);
    mac.update(kid.as_bytes());
    mac.update(b".");
    mac.update(payload64.as_bytes());
    mac
}

fn b64(segment: &str) -> Result<Vec<u8>, Rejection> {
    URL_SAFE_NO_PAD
        .decode(segment)
        .map_err(|_| Rejection::Base64)
}
