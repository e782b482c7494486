//! Several header values read in one call into the runtime.
//!
//! Each `Headers.get` from WASM is a call across the boundary and a string copied each way,
//! and a page request reads about a dozen (the visitor's `Cookie`, `Sec-GPC`, `User-Agent` and
//! preview token header; the page's `Content-Type`, validators and lengths, some of them more
//! than once). The Worker asks the runtime for a fixed list of names at once, and gets one
//! string back in the form [`encode`] writes: per name, in order, `+value\n` when present and
//! `\0\n` when absent. A header value never holds a newline (the runtime refuses CR and LF in
//! values), so the lines are the values.

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

/// The `i`th value of `text` (what `decode(text)[i]` gives, for any `N` above `i`), found by
/// scanning only the lines before it: the Worker asks for one value at a time, several times
/// per request, and a `Cookie` line can be long.
pub fn nth(text: &str, i: usize) -> Option<&str> {
    let mut rest = text;
    for _ in 0..i {
        let end = memchr::memchr(b'\n', rest.as_bytes())?;
        rest = &rest[end + 1..];
    }
    let end = memchr::memchr(b'\n', rest.as_bytes()).unwrap_or(rest.len());
    rest[..end].strip_prefix('+')
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

        /// `nth` reads what `decode` reads, from any text (malformed ones too).
        #[test]
        fn nth_is_decode_at_one_index(text in "(\\+[^\n]{0,8}|\0|[^\n]{0,4})(\n(\\+[^\n]{0,8}|\0|[^\n]{0,4})){0,5}\n?") {
            let all = decode::<6>(&text);
            for (i, want) in all.iter().enumerate() {
                prop_assert_eq!(nth(&text, i), *want, "{:?} at {}", text, i);
            }
        }
    }
}
