//! Lowercase hexadecimal, the one encoding of digests and ids the crate prints (version ids,
//! pseudonyms, visitor ids, content hashes, counted-once conversion keys).

/// `bytes` as lowercase hex, two digits per byte.
///
/// ```ignore
/// assert_eq!(encode(&[0x0a, 0xff]), "0aff");
/// ```
pub(crate) fn encode(bytes: &[u8]) -> String {
    // By a table, not `write!` per byte: ids and content hashes are encoded on requests, and
    // `core::fmt` is code V8 would compile again in every new isolate.
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for &b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 0x0f)]));
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn two_lowercase_digits_per_byte() {
        assert_eq!(super::encode(&[]), "");
        assert_eq!(super::encode(&[0x00, 0x0a, 0xff, 0x7f]), "000aff7f");
        let all: Vec<u8> = (0..=255).collect();
        let want: String = all.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(super::encode(&all), want);
    }
}
