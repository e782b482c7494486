//! [`concat`]: strings joined end to end, for the headers and cookies built on every request.
//!
//! `[&str]::concat` is the generic `join` code (`join_generic_copy`), and `format!` is
//! `core::fmt`; both became hot enough on page requests for V8 to compile them again with its
//! optimizing compiler in every new isolate (BENCHMARKS.md, "Eighteenth pass" and "Nineteenth
//! pass"). This is one small function the Worker and the core share instead.

/// `parts` joined end to end, in a `String` of exactly their total length.
pub fn concat(parts: &[&str]) -> String {
    let mut out = String::with_capacity(parts.iter().map(|p| p.len()).sum());
    for part in parts {
        out.push_str(part);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn joins_end_to_end() {
        assert_eq!(concat(&[]), "");
        assert_eq!(concat(&["", ""]), "");
        assert_eq!(concat(&["v=", "abc", "; slots=", "é"]), "v=abc; slots=é");
    }

    proptest::proptest! {
        /// The same string as `[&str]::concat`, with no spare capacity.
        #[test]
        fn is_slice_concat(parts in proptest::collection::vec("\\PC{0,8}", 0..8)) {
            let parts: Vec<&str> = parts.iter().map(String::as_str).collect();
            let joined = concat(&parts);
            proptest::prop_assert_eq!(joined.capacity(), joined.len());
            proptest::prop_assert_eq!(joined, parts.concat());
        }
    }
}
