//! Reading one cookie out of a `Cookie` request header (RFC 6265 §5.4 syntax).
//!
//! The header is attacker-controlled and can be tens of kilobytes long, so the scan is a
//! single pass with no allocation. A cookie name present twice with different values is
//! ambiguous (a sibling subdomain can plant a shadowing cookie), so it is reported as such
//! rather than silently picking one.

/// What the header holds for one cookie name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lookup<'a> {
    /// No pair with that name.
    Missing,
    /// Exactly one value (or several identical ones), without surrounding quotes.
    Found(&'a str),
    /// The name appears with two or more different values.
    Ambiguous,
}

/// Finds the value of cookie `name` in a `Cookie` header value.
pub fn find<'a>(header: &'a str, name: &str) -> Lookup<'a> {
    let mut found: Option<&str> = None;
    for pair in header.split(';') {
        // Pairs without `=` are not cookies we set; skip them.
        let Some((n, v)) = pair.split_once('=') else {
            continue;
        };
        if n.trim() != name {
            continue;
        }
        let v = unquote(v.trim());
        match found {
            Some(prev) if prev != v => return Lookup::Ambiguous,
            _ => found = Some(v),
        }
    }
    found.map_or(Lookup::Missing, Lookup::Found)
}

fn unquote(v: &str) -> &str {
    v.strip_prefix('"')
        .and_then(|s| s.strip_suffix('"'))
        .unwrap_or(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    macro_rules! table {
        ($($name:ident: $header:expr => $want:expr,)*) => {$(
            #[test]
            fn $name() {
                assert_eq!(find($header, "vp"), $want);
            }
        )*};
    }

    table! {
        single: "vp=abc" => Lookup::Found("abc"),
        among_others: "a=1; vp=abc; b=2" => Lookup::Found("abc"),
        no_spaces: "a=1;vp=abc;b=2" => Lookup::Found("abc"),
        missing: "a=1; b=2" => Lookup::Missing,
        empty_header: "" => Lookup::Missing,
        prefix_name_is_other_cookie: "xvp=abc; vpx=def" => Lookup::Missing,
        quoted: "vp=\"abc\"" => Lookup::Found("abc"),
        lone_quote_kept: "vp=\"abc" => Lookup::Found("\"abc"),
        duplicate_same_value: "vp=abc; vp=abc" => Lookup::Found("abc"),
        duplicate_different_value: "vp=abc; vp=def" => Lookup::Ambiguous,
        value_without_equals_ignored: "vp; a=1" => Lookup::Missing,
        equals_in_value: "vp=a=b" => Lookup::Found("a=b"),
        empty_value: "vp=" => Lookup::Found(""),
    }

    proptest::proptest! {
        /// Any header: no panic, and the same answer twice.
        #[test]
        fn any_header_is_deterministic(h in "[ -~]{0,300}") {
            proptest::prop_assert_eq!(find(&h, "vp"), find(&h, "vp"));
        }

        /// A header of other cookies plus one `vp` pair always finds that value.
        #[test]
        fn planted_value_is_found(
            others in proptest::collection::vec(("[a-uw-z]{1,8}", "[A-Za-z0-9._-]{0,12}"), 0..20),
            at in 0usize..20,
            value in "[A-Za-z0-9._-]{1,40}",
        ) {
            let mut pairs: Vec<String> = others.iter().map(|(n, v)| format!("{n}={v}")).collect();
            pairs.insert(at.min(pairs.len()), format!("vp={value}"));
            let header = pairs.join("; ");
            proptest::prop_assert_eq!(find(&header, "vp"), Lookup::Found(value.as_str()));
        }
    }

    #[test]
    fn header_near_32k_is_scanned_deterministically() {
        let mut h = "x=1; ".repeat(32 * 1024 / 5);
        h.push_str("vp=end");
        assert_eq!(find(&h, "vp"), Lookup::Found("end"));
    }
}
