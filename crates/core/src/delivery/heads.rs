//! Several header values read in one call into the runtime.
//!
//! Each `Headers.get` from WASM is a call across the boundary and a string copied each way,
//! and a page request reads about a dozen (the visitor's `Cookie`, `Sec-GPC` and `User-Agent`;
//! the page's `Content-Type`, validators and lengths, some of them more than once). The Worker
//! asks the runtime for a fixed list of names at once, and gets one string back in the form
//! [`encode`] writes: per name, in order, `+value\n` when present and `\0\n` when absent. A
//! header value never holds a newline (the runtime refuses CR and LF in values), so the lines
//! are the values.

/// The line of an absent header.
pub const ABSENT: &str = "\0";

/// The `N` values of `text` (as [`encode`] writes them), in order; `None` for an absent
/// header, and for every name past the end of a malformed `text`.
pub fn decode<const N: usize>(text: &str) -> [Option<&str>; N] {
    let mut out = [None; N];
    for (slot, line) in out.iter_mut().zip(text.split('\n')) {
        *slot = line.strip_prefix('+');
    }
    out
}

/// What the runtime side writes for `values` (the Worker's JS does the same; this is its
/// specification, and the tests' reference).
pub fn encode(values: &[Option<&str>]) -> String {
    let mut out = String::new();
    for v in values {
        match v {
            Some(v) => {
                out.push('+');
                out.push_str(v);
            }
            None => out.push_str(ABSENT),
        }
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn present_empty_and_absent_are_told_apart() {
        let text = encode(&[
            Some("text/html; charset=utf-8"),
            None,
            Some(""),
            Some("W/\"1\""),
        ]);
        assert_eq!(text, "+text/html; charset=utf-8\n\0\n+\n+W/\"1\"\n");
        let [a, b, c, d] = decode::<4>(&text);
        assert_eq!(
            (a, b, c, d),
            (
                Some("text/html; charset=utf-8"),
                None,
                Some(""),
                Some("W/\"1\"")
            )
        );
        // A short or empty answer reads as absent headers, never as a wrong value.
        assert_eq!(decode::<3>("+x\n"), [Some("x"), None, None]);
        assert_eq!(decode::<2>(""), [None, None]);
    }

    proptest! {
        /// Whatever the values (no newline: the runtime refuses one in a header value), they
        /// come back as they went.
        #[test]
        fn values_round_trip(values in proptest::collection::vec(proptest::option::of("[^\n]{0,20}"), 4)) {
            let refs: Vec<Option<&str>> = values.iter().map(|v| v.as_deref()).collect();
            let text = encode(&refs);
            prop_assert_eq!(decode::<4>(&text).to_vec(), refs);
        }
    }
}
