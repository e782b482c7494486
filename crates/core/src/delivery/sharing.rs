//! Which page-source responses may be shared between visitors, and for how long.
//!
//! Sharing means: stored in the Cache API, recorded by an isolate to splice, or held by an
//! isolate and replayed without asking the source. vitrine shares a response only when the
//! origin explicitly let shared caches keep it, and never for longer than the origin said:
//! - status `200`, no `Set-Cookie`;
//! - `Vary` absent or naming only `Accept-Encoding` (vitrine keys pages by URL alone, so a
//!   response that differs by any other request header is never shared);
//! - `Cache-Control` present, without `private`, `no-store` or `no-cache`, and with `public`,
//!   `s-maxage` or `max-age` (the freshness lifetime is `s-maxage`, else `max-age`, else 0);
//! - a malformed or conflicting lifetime is not a lifetime: the response is not shared.
//!
//! No lifetime is ever invented: there is no heuristic freshness and no default TTL. `Expires`
//! is not read (a page that wants to be shared says so in `Cache-Control`). The freshness left
//! is the lifetime minus the response's age (`Age`, or the time since its `Date`).

/// The response headers that decide sharing, as the source sent them.
#[derive(Debug, Clone, Copy, Default)]
pub struct Head<'a> {
    /// HTTP status.
    pub status: u16,
    /// `Cache-Control` (several header lines joined with `, `).
    pub cache_control: Option<&'a str>,
    /// `Vary`.
    pub vary: Option<&'a str>,
    /// Whether the response sets a cookie.
    pub set_cookie: bool,
    /// `Age`.
    pub age: Option<&'a str>,
    /// `Date`, in Unix seconds (the Worker reads it with the runtime's own `Date.parse`, which
    /// costs the .wasm nothing; an unreadable `Date` is `None`).
    pub date: Option<u64>,
}

/// Why a response is not shared between visitors.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum NotShared {
    /// Not a `200`.
    Status,
    /// It sets a cookie.
    SetCookie,
    /// `Vary` names a request header other than `Accept-Encoding` (or `*`).
    Vary,
    /// No `public`, `s-maxage` or `max-age`: the origin did not allow shared caches to keep it.
    NotMarked,
    /// `Cache-Control: private`.
    Private,
    /// `Cache-Control: no-store`.
    NoStore,
    /// `Cache-Control: no-cache`.
    NoCache,
    /// A lifetime that is not a number of seconds, or given twice with different values.
    BadLifetime,
}

impl NotShared {
    /// Stable snake_case code, for logs.
    pub fn code(self) -> &'static str {
        match self {
            Self::Status => "status",
            Self::SetCookie => "set_cookie",
            Self::Vary => "vary",
            Self::NotMarked => "not_marked_shareable",
            Self::Private => "private",
            Self::NoStore => "no_store",
            Self::NoCache => "no_cache",
            Self::BadLifetime => "bad_lifetime",
        }
    }
}

/// Seconds `head` may still be reused for other visitors, counted from `now` (Unix seconds;
/// `0`: shared, but to be revalidated before each reuse), or why it may not be shared at all.
pub fn shared_freshness(head: &Head<'_>, now: u64) -> Result<u64, NotShared> {
    if head.status != 200 {
        return Err(NotShared::Status);
    }
    if head.set_cookie {
        return Err(NotShared::SetCookie);
    }
    if !vary_is_shareable(head.vary.unwrap_or("")) {
        return Err(NotShared::Vary);
    }
    let lifetime = lifetime(head.cache_control.unwrap_or(""))?;
    Ok(lifetime.saturating_sub(age(head, now)))
}

/// Only `Accept-Encoding` may be named: the runtime already hands over decoded bodies.
fn vary_is_shareable(vary: &str) -> bool {
    vary.split(',')
        .map(str::trim)
        .filter(|name| !name.is_empty())
        .all(|name| name.eq_ignore_ascii_case("accept-encoding"))
}

/// The shared freshness lifetime `Cache-Control` grants, in seconds.
fn lifetime(cache_control: &str) -> Result<u64, NotShared> {
    let mut public = false;
    let mut max_age = None;
    let mut s_maxage = None;
    for (name, value) in directives(cache_control) {
        match name.to_ascii_lowercase().as_str() {
            "private" => return Err(NotShared::Private),
            "no-store" => return Err(NotShared::NoStore),
            "no-cache" => return Err(NotShared::NoCache),
            "public" => public = true,
            "max-age" => once(&mut max_age, seconds(value)?)?,
            "s-maxage" => once(&mut s_maxage, seconds(value)?)?,
            _ => {}
        }
    }
    match (s_maxage.or(max_age), public) {
        (Some(lifetime), _) => Ok(lifetime),
        (None, true) => Ok(0),
        (None, false) => Err(NotShared::NotMarked),
    }
}

/// Sets `slot` to `value`, refusing a second, different value.
fn once(slot: &mut Option<u64>, value: u64) -> Result<(), NotShared> {
    match *slot {
        Some(seen) if seen != value => Err(NotShared::BadLifetime),
        _ => {
            *slot = Some(value);
            Ok(())
        }
    }
}

/// A delta-seconds value (`60`, or quoted `"60"`); anything else is refused.
fn seconds(value: Option<&str>) -> Result<u64, NotShared> {
    let digits = value.map(|v| v.trim_matches('"')).unwrap_or("");
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(NotShared::BadLifetime);
    }
    // A lifetime too long to represent is as good as "very long" (RFC 9111, 1.2.2).
    Ok(digits.parse().unwrap_or(u64::from(u32::MAX)))
}

/// The directives of a `Cache-Control` value: `(name, value)`, split at commas outside quoted
/// strings (`private="set-cookie, x"` is one directive).
fn directives(value: &str) -> impl Iterator<Item = (&str, Option<&str>)> {
    let mut items = Vec::new();
    let (mut start, mut quoted, mut escaped) = (0, false, false);
    for (i, c) in value.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if quoted => escaped = true,
            '"' => quoted = !quoted,
            ',' if !quoted => {
                items.push(&value[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    items.push(&value[start..]);
    items.into_iter().filter_map(|item| {
        let item = item.trim();
        if item.is_empty() {
            return None;
        }
        Some(match item.split_once('=') {
            Some((name, value)) => (name.trim(), Some(value.trim())),
            None => (item, None),
        })
    })
}

/// The response's current age in seconds: the larger of `Age` and the time since `Date`
/// (RFC 9111, 4.2.3). An `Age` that is not a number makes the response as old as can be.
fn age(head: &Head<'_>, now: u64) -> u64 {
    let stated = match head.age.map(str::trim) {
        None => 0,
        Some(v) => v.parse::<u64>().unwrap_or(u64::MAX),
    };
    // A `Date` in the future (clock skew) is no age.
    let apparent = head.date.map_or(0, |date| now.saturating_sub(date));
    stated.max(apparent)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(secs: u64) -> u64 {
        secs
    }

    /// 2026-12-04T00:00:00Z, also the `Date` below.
    const NOW: u64 = 1_796_342_400;
    const DATE: u64 = NOW;

    fn head(cache_control: Option<&str>) -> Head<'_> {
        Head {
            status: 200,
            cache_control,
            ..Head::default()
        }
    }

    macro_rules! cache_control {
        ($($name:ident: $cc:expr => $want:expr,)*) => {$(
            #[test]
            fn $name() {
                assert_eq!(shared_freshness(&head($cc), at(NOW)), $want);
            }
        )*};
    }

    cache_control! {
        no_cache_control_is_never_shared: None => Err(NotShared::NotMarked),
        empty_cache_control: Some("") => Err(NotShared::NotMarked),
        only_revalidation_directives: Some("must-revalidate") => Err(NotShared::NotMarked),
        public_max_age: Some("public, max-age=60") => Ok(60),
        max_age_alone_lets_shared_caches_keep_it: Some("max-age=60") => Ok(60),
        s_maxage_wins: Some("max-age=600, s-maxage=30") => Ok(30),
        s_maxage_zero_wins_over_max_age: Some("s-maxage=0, max-age=600") => Ok(0),
        public_without_lifetime_is_shared_but_stale: Some("public") => Ok(0),
        public_max_age_zero: Some("public, max-age=0") => Ok(0),
        private: Some("private, max-age=60") => Err(NotShared::Private),
        private_with_field_names: Some("public, private=\"set-cookie, x-user\", max-age=60") => Err(NotShared::Private),
        no_store: Some("public, no-store, max-age=60") => Err(NotShared::NoStore),
        no_cache: Some("public, max-age=60, no-cache") => Err(NotShared::NoCache),
        upper_case_directives: Some("PUBLIC, MAX-AGE=60") => Ok(60),
        no_spaces: Some("public,max-age=60") => Ok(60),
        quoted_seconds: Some("public, max-age=\"60\"") => Ok(60),
        bad_seconds: Some("public, max-age=abc") => Err(NotShared::BadLifetime),
        negative_seconds: Some("public, max-age=-1") => Err(NotShared::BadLifetime),
        missing_seconds: Some("public, max-age") => Err(NotShared::BadLifetime),
        conflicting_lifetimes: Some("max-age=60, max-age=6000") => Err(NotShared::BadLifetime),
        repeated_same_lifetime: Some("max-age=60, max-age=60") => Ok(60),
        huge_lifetime: Some("max-age=99999999999999999999999") => Ok(u64::from(u32::MAX)),
        comma_inside_quotes_is_not_a_separator: Some("public, ext=\"a, no-store\", max-age=5") => Ok(5),
        unknown_directives_ignored: Some("public, max-age=60, immutable, stale-while-revalidate=30") => Ok(60),
    }

    #[test]
    fn only_200_is_shared() {
        for status in [201, 203, 206, 301, 304, 404, 500] {
            let h = Head {
                status,
                ..head(Some("public, max-age=60"))
            };
            assert_eq!(shared_freshness(&h, at(NOW)), Err(NotShared::Status));
        }
    }

    #[test]
    fn set_cookie_is_never_shared() {
        let h = Head {
            set_cookie: true,
            ..head(Some("public, max-age=60"))
        };
        assert_eq!(shared_freshness(&h, at(NOW)), Err(NotShared::SetCookie));
    }

    #[test]
    fn vary_other_than_accept_encoding_is_never_shared() {
        for (vary, want) in [
            ("Accept-Encoding", Ok(60)),
            ("accept-encoding, Accept-Encoding", Ok(60)),
            ("", Ok(60)),
            ("Accept-Language", Err(NotShared::Vary)),
            ("Accept-Encoding, Cookie", Err(NotShared::Vary)),
            ("*", Err(NotShared::Vary)),
            ("User-Agent", Err(NotShared::Vary)),
        ] {
            let h = Head {
                vary: Some(vary),
                ..head(Some("public, max-age=60"))
            };
            assert_eq!(shared_freshness(&h, at(NOW)), want, "{vary}");
        }
    }

    #[test]
    fn age_and_date_use_up_the_lifetime() {
        let cc = Some("max-age=60");
        let aged = |age, date| Head {
            age,
            date,
            ..head(cc)
        };
        assert_eq!(shared_freshness(&aged(Some("20"), None), at(NOW)), Ok(40));
        assert_eq!(
            shared_freshness(&aged(None, Some(DATE)), at(NOW + 45)),
            Ok(15)
        );
        // The larger of the two ages counts.
        assert_eq!(
            shared_freshness(&aged(Some("50"), Some(DATE)), at(NOW + 5)),
            Ok(10)
        );
        assert_eq!(
            shared_freshness(&aged(None, Some(DATE)), at(NOW + 600)),
            Ok(0)
        );
        // A Date in the future (clock skew) is no age.
        assert_eq!(
            shared_freshness(&aged(None, Some(DATE)), at(NOW - 30)),
            Ok(60)
        );
        // A bad Age makes the response stale, never fresher.
        assert_eq!(shared_freshness(&aged(Some("soon"), None), at(NOW)), Ok(0));
    }

    proptest::proptest! {
        /// Whatever the headers, the freshness never exceeds the lifetime the origin stated,
        /// and `private`/`no-store`/`no-cache` anywhere means not shared; no panic.
        #[test]
        fn never_fresher_than_stated(cc in "[ -~]{0,80}", age in proptest::option::of("[0-9a-z]{0,6}")) {
            let h = Head { age: age.as_deref(), ..head(Some(&cc)) };
            let got = shared_freshness(&h, at(NOW));
            let lower = cc.to_ascii_lowercase();
            if let Ok(fresh) = got {
                let stated = lower
                    .split(|c: char| !c.is_ascii_digit())
                    .filter(|d| !d.is_empty())
                    .map(|d| d.parse::<u64>().unwrap_or(u64::MAX))
                    .max()
                    .unwrap_or(0)
                    .min(u64::from(u32::MAX));
                proptest::prop_assert!(fresh <= stated, "{cc}: {fresh}");
                proptest::prop_assert!(lower.contains("public") || lower.contains("max-age"));
            }
            let plain = !cc.contains('"');
            if plain && lower.split(',').any(|d| matches!(d.trim(), "private" | "no-store" | "no-cache")) {
                proptest::prop_assert!(got.is_err(), "{cc}");
            }
        }
    }
}
