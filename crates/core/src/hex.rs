//! Lowercase hexadecimal, the one encoding of digests and ids the crate prints (version ids,
//! pseudonyms, visitor ids, content hashes, counted-once conversion keys).

use std::fmt::Write;

/// `bytes` as lowercase hex, two digits per byte.
///
/// ```ignore
/// assert_eq!(encode(&[0x0a, 0xff]), "0aff");
/// ```
pub(crate) fn encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(out, "{b:02x}");
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn two_lowercase_digits_per_byte() {
        assert_eq!(super::encode(&[]), "");
        assert_eq!(super::encode(&[0x00, 0x0a, 0xff, 0x7f]), "000aff7f");
    }
}
