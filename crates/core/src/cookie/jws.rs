//! JWS compact serialization, HS256 only (RFC 7515 / RFC 7518 §3.2).
//!
//! Verification is deliberately narrow, because every freedom here is an attack surface:
//! the algorithm is pinned to exactly `HS256` (a token cannot pick `none`, `HS512` or an
//! asymmetric algorithm), `crit` is refused, the MAC is computed over the raw base64url
//! segments as received and compared in constant time (`hmac`'s `verify_slice`), and base64url
//! must be canonical and unpadded. Only after the MAC verifies is the payload parsed.

use std::borrow::Cow;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use serde::Deserialize;
use sha2::Sha256;

use super::keyring::{Key, KeyRing};
use super::Rejection;

type HmacSha256 = Hmac<Sha256>;

/// Largest token accepted, in bytes; browsers cap a cookie at 4096 bytes anyway.
pub const MAX_TOKEN_BYTES: usize = 4096;

/// The protected header: only these members are understood. Strings borrow from the decoded
/// header unless they contain escapes.
#[derive(Deserialize)]
struct Header<'a> {
    #[serde(borrow)]
    alg: Cow<'a, str>,
    #[serde(default, borrow)]
    kid: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    typ: Option<Cow<'a, str>>,
    #[serde(default)]
    crit: Option<serde::de::IgnoredAny>,
}

/// Verifies the signature of `token` with the key its `kid` names (or the current key when it
/// names none) and returns the decoded payload bytes. Claims are not looked at here.
pub fn verify(token: &str, ring: &KeyRing) -> Result<Vec<u8>, Rejection> {
    if token.len() > MAX_TOKEN_BYTES {
        return Err(Rejection::TooLong);
    }
    let mut parts = token.split('.');
    let (Some(h64), Some(p64), Some(s64), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(Rejection::Malformed);
    };
    let header_bytes = b64(h64)?;
    let header_text = std::str::from_utf8(&header_bytes).map_err(|_| Rejection::BadHeader)?;
    // Serde accepts a struct written as a JSON array; a JWS header is an object only.
    if !header_text.trim_start().starts_with('{') {
        return Err(Rejection::BadHeader);
    }
    let header: Header =
        serde_json::from_slice(header_text.as_bytes()).map_err(|_| Rejection::BadHeader)?;
    if header.alg != "HS256" {
        return Err(Rejection::Algorithm);
    }
    if header.crit.is_some() {
        return Err(Rejection::BadHeader);
    }
    if header
        .typ
        .as_deref()
        .is_some_and(|t| !t.eq_ignore_ascii_case("JWT"))
    {
        return Err(Rejection::BadHeader);
    }
    let key = match header.kid.as_deref() {
        Some(kid) => ring.get(kid).ok_or(Rejection::UnknownKid)?,
        None => ring.current(),
    };
    let signature = b64(s64)?;
    // Decode the payload before the MAC check too, so a well-signed token with a non-canonical
    // payload segment is still refused as `Base64`; its bytes are only parsed after the MAC.
    let payload = b64(p64)?;
    let mut mac = keyed(key);
    mac.update(h64.as_bytes());
    mac.update(b".");
    mac.update(p64.as_bytes());
    // `verify_slice` checks the length first, then compares in constant time.
    mac.verify_slice(&signature)
        .map_err(|_| Rejection::Signature)?;
    Ok(payload)
}

/// Signs `payload` (JSON bytes) with `key`, producing `header.payload.signature`.
pub fn sign(payload: &[u8], key: &Key) -> String {
    let header = serde_json::json!({ "alg": "HS256", "typ": "JWT", "kid": key.kid() });
    let mut token = URL_SAFE_NO_PAD.encode(header.to_string());
    token.push('.');
    token.push_str(&URL_SAFE_NO_PAD.encode(payload));
    let mut mac = keyed(key);
    mac.update(token.as_bytes());
    let signature = mac.finalize().into_bytes();
    token.push('.');
    token.push_str(&URL_SAFE_NO_PAD.encode(signature));
    token
}

fn keyed(key: &Key) -> HmacSha256 {
    // HMAC accepts keys of any length, so this cannot fail; the fallback only keeps the
    // signature total without a panic path.
    HmacSha256::new_from_slice(key.secret())
        .unwrap_or_else(|_| <HmacSha256 as hmac::digest::KeyInit>::new(&Default::default()))
}

fn b64(segment: &str) -> Result<Vec<u8>, Rejection> {
    URL_SAFE_NO_PAD
        .decode(segment)
        .map_err(|_| Rejection::Base64)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 7515 appendix A.1: the example HS256 JWS and its key.
    const RFC_TOKEN: &str = concat!(
        "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9",
        ".eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ",
        ".dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
    );
    const RFC_KEY: &str =
        "AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow";

    fn rfc_ring() -> KeyRing {
        KeyRing::parse(&format!("rfc:{RFC_KEY}")).unwrap()
    }

    #[test]
    fn rfc7515_a1_verifies() {
        let payload = verify(RFC_TOKEN, &rfc_ring()).unwrap();
        assert!(payload.starts_with(b"{\"iss\":\"joe\""));
    }

    #[test]
    fn sign_then_verify_round_trips() {
        let ring = rfc_ring();
        let token = sign(br#"{"sub":"x"}"#, ring.current());
        assert_eq!(verify(&token, &ring).unwrap(), br#"{"sub":"x"}"#);
    }

    /// RFC 4231 test case 2 (HMAC-SHA-256): the MAC primitive we rely on.
    #[test]
    fn rfc4231_case2() {
        let mut mac = HmacSha256::new_from_slice(b"Jefe").unwrap();
        mac.update(b"what do ya want for nothing?");
        let expected = "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843";
        let got: String = mac
            .finalize()
            .into_bytes()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(got, expected);
    }

    fn forge(header: &str, payload: &str, key: &Key) -> String {
        let h = URL_SAFE_NO_PAD.encode(header);
        let p = URL_SAFE_NO_PAD.encode(payload);
        let mut mac = keyed(key);
        mac.update(format!("{h}.{p}").as_bytes());
        let s = URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes());
        format!("{h}.{p}.{s}")
    }

    macro_rules! rejects {
        ($($name:ident: $token:expr => $why:expr,)*) => {$(
            #[test]
            fn $name() {
                let ring = rfc_ring();
                let key = ring.current().clone();
                let token: String = $token(&key);
                assert_eq!(verify(&token, &ring), Err($why));
            }
        )*};
    }

    rejects! {
        alg_none: |k| forge(r#"{"alg":"none"}"#, "{}", k) => Rejection::Algorithm,
        alg_hs512: |k| forge(r#"{"alg":"HS512"}"#, "{}", k) => Rejection::Algorithm,
        alg_rs256: |k| forge(r#"{"alg":"RS256"}"#, "{}", k) => Rejection::Algorithm,
        alg_lowercase: |k| forge(r#"{"alg":"hs256"}"#, "{}", k) => Rejection::Algorithm,
        alg_missing: |k| forge(r#"{"typ":"JWT"}"#, "{}", k) => Rejection::BadHeader,
        alg_duplicate: |k| forge(r#"{"alg":"HS256","alg":"none"}"#, "{}", k) => Rejection::BadHeader,
        crit: |k| forge(r#"{"alg":"HS256","crit":["exp"]}"#, "{}", k) => Rejection::BadHeader,
        typ_other: |k| forge(r#"{"alg":"HS256","typ":"at+jwt"}"#, "{}", k) => Rejection::BadHeader,
        unknown_kid: |k| forge(r#"{"alg":"HS256","kid":"zzz"}"#, "{}", k) => Rejection::UnknownKid,
        two_parts: |_| "a.b".to_string() => Rejection::Malformed,
        four_parts: |k: &Key| format!("{}.x", sign(b"{}", k)) => Rejection::Malformed,
        padded_signature: |k: &Key| format!("{}=", sign(b"{}", k)) => Rejection::Base64,
        std_alphabet: |k: &Key| sign(b"{}", k).replace('-', "+").replace('_', "/") + "+" => Rejection::Base64,
        flipped_signature: |k: &Key| {
            let t = sign(b"{}", k);
            let last = if t.ends_with('A') { 'B' } else { 'A' };
            format!("{}{last}", &t[..t.len() - 1])
        } => Rejection::Signature,
        truncated_signature: |k: &Key| { let t = sign(b"{}", k); t[..t.len() - 3].to_string() } => Rejection::Signature,
        payload_swapped: |k: &Key| {
            let t = sign(br#"{"seg":["a"]}"#, k);
            let parts: Vec<&str> = t.split('.').collect();
            format!("{}.{}.{}", parts[0], URL_SAFE_NO_PAD.encode(r#"{"seg":["vip"]}"#), parts[2])
        } => Rejection::Signature,
        too_long: |_| "a".repeat(MAX_TOKEN_BYTES + 1) => Rejection::TooLong,
        at_the_bound_is_not_too_long: |_| "a".repeat(MAX_TOKEN_BYTES) => Rejection::Malformed,
        bad_header_json: |k| forge("not json", "{}", k) => Rejection::BadHeader,
        alg_number: |k| forge(r#"{"alg":256}"#, "{}", k) => Rejection::BadHeader,
        header_array: |k| forge(r#"["HS256"]"#, "{}", k) => Rejection::BadHeader,
        empty_token: |_| String::new() => Rejection::Malformed,
        padded_payload: |k: &Key| {
            let t = sign(b"{}", k);
            let parts: Vec<&str> = t.split('.').collect();
            format!("{}.{}=.{}", parts[0], parts[1], parts[2])
        } => Rejection::Base64,
        non_canonical_trailing_bits: |k: &Key| {
            // "e30" is `{}`; "e31" decodes to the same bytes with non-zero trailing bits.
            let t = forge(r#"{"alg":"HS256"}"#, "{}", k);
            t.replacen(".e30.", ".e31.", 1)
        } => Rejection::Base64,
        space_in_segment: |k: &Key| sign(b"{}", k).replacen('.', ". ", 1) => Rejection::Base64,
        header_not_utf8: |_| format!("{}.e30.AAAA", URL_SAFE_NO_PAD.encode([0xff, 0xfe])) => Rejection::BadHeader,
    }
}
