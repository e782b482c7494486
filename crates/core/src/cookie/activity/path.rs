//! Product and category ids from the request path, by a pattern the snapshot carries.
//!
//! A pattern is a path with exactly one `{id}` placeholder, such as `/p/{id}` or
//! `/shop/{id}.html`. The id is the text between the literal prefix and suffix; it must be one
//! path segment of 1–64 characters from `[A-Za-z0-9._-]`, so nothing odd (slashes, percent
//! escapes, quotes) ever reaches the cookie.

use super::MAX_KEY_BYTES;

const PLACEHOLDER: &str = "{id}";

/// Why a path pattern was refused (reported by the campaign compiler).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PatternError {
    /// The pattern does not start with `/`.
    #[error("a path pattern starts with `/`, like \"/p/{{id}}\"")]
    NotAbsolute,
    /// The pattern has no `{id}`, or more than one.
    #[error("a path pattern has exactly one `{{id}}` placeholder")]
    Placeholder,
    /// The pattern has `?`, `#`, or braces other than `{id}`.
    #[error("a path pattern matches the path only: no `?`, `#`, or braces besides `{{id}}`")]
    BadCharacter,
}

/// Checks a pattern once, at publish time.
pub fn validate_pattern(pattern: &str) -> Result<(), PatternError> {
    if !pattern.starts_with('/') {
        return Err(PatternError::NotAbsolute);
    }
    if pattern.matches(PLACEHOLDER).count() != 1 {
        return Err(PatternError::Placeholder);
    }
    let rest = pattern.replacen(PLACEHOLDER, "", 1);
    if rest.contains(['?', '#', '{', '}']) {
        return Err(PatternError::BadCharacter);
    }
    Ok(())
}

/// The id `path` holds at the `{id}` of `pattern`, if the path matches it.
pub fn extract_id<'a>(pattern: &str, path: &'a str) -> Option<&'a str> {
    // A byte scan: `split_once` with a `&str` pattern builds a searcher on every call, and this
    // runs on every page request. `{` is ASCII, so the index is a char boundary.
    let at = pattern
        .as_bytes()
        .windows(PLACEHOLDER.len())
        .position(|w| w == PLACEHOLDER.as_bytes())?;
    let (prefix, suffix) = (&pattern[..at], &pattern[at + PLACEHOLDER.len()..]);
    let id = path.strip_prefix(prefix)?.strip_suffix(suffix)?;
    valid_id(id).then_some(id)
}

/// Whether `id` can be a product or category key: 1 to [`MAX_KEY_BYTES`] bytes of ASCII
/// letters, digits, `.`, `_` and `-`.
fn valid_id(id: &str) -> bool {
    (1..=MAX_KEY_BYTES).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

#[cfg(test)]
mod tests {
    use super::*;

    macro_rules! extract {
        ($($name:ident: $pattern:expr, $path:expr => $want:expr,)*) => {$(
            #[test]
            fn $name() { assert_eq!(extract_id($pattern, $path), $want); }
        )*};
    }

    extract! {
        product: "/p/{id}", "/p/p0001" => Some("p0001"),
        suffix: "/shop/{id}.html", "/shop/abc-1.html" => Some("abc-1"),
        other_path: "/p/{id}", "/c/dog" => None,
        nested_path_refused: "/p/{id}", "/p/a/b" => None,
        empty_id: "/p/{id}", "/p/" => None,
        percent_refused: "/p/{id}", "/p/a%2Fb" => None,
        too_long: "/p/{id}", &format!("/p/{}", "a".repeat(65)) => None,
        no_placeholder: "/p/", "/p/x" => None,
    }

    /// `extract_id` as it was written with `split_once` (the id check is shared): the byte scan
    /// must agree, whatever the pattern and path (patterns with two `{id}` or none too).
    fn extract_id_reference<'a>(pattern: &str, path: &'a str) -> Option<&'a str> {
        let (prefix, suffix) = pattern.split_once(PLACEHOLDER)?;
        let id = path.strip_prefix(prefix)?.strip_suffix(suffix)?;
        valid_id(id).then_some(id)
    }

    proptest::proptest! {
        #[test]
        fn extract_id_scans_like_split_once(
            pattern in "[/a-z{}.é]{0,6}(\\{id\\})?[/a-z{}.]{0,6}(\\{id\\})?",
            path in "[/a-zé{}.0-9-]{0,16}",
        ) {
            proptest::prop_assert_eq!(extract_id(&pattern, &path), extract_id_reference(&pattern, &path));
            let built = pattern.replacen(PLACEHOLDER, "p01", 1);
            proptest::prop_assert_eq!(extract_id(&pattern, &built), extract_id_reference(&pattern, &built));
        }
    }

    macro_rules! patterns {
        ($($name:ident: $pattern:expr => $want:expr,)*) => {$(
            #[test]
            fn $name() { assert_eq!(validate_pattern($pattern), $want); }
        )*};
    }

    patterns! {
        pattern_ok: "/p/{id}" => Ok(()),
        pattern_relative: "p/{id}" => Err(PatternError::NotAbsolute),
        pattern_two_ids: "/p/{id}/{id}" => Err(PatternError::Placeholder),
        pattern_no_id: "/p/" => Err(PatternError::Placeholder),
        pattern_query: "/p?x={id}" => Err(PatternError::BadCharacter),
        pattern_other_brace: "/p/{sku}/{id}" => Err(PatternError::BadCharacter),
    }
}
