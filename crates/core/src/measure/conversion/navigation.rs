//! Whether a page request is a top-level navigation, the only kind of request a page conversion
//! counts for.
//!
//! A conversion page (`/order/confirmed?total=25&order=X`) is an ordinary URL: any other site
//! can make a visitor's browser request it, as an image, a script, a frame or a `fetch`, and
//! browsers prefetch and prerender pages nobody has opened yet. None of those is a visitor
//! reaching the page, so none counts. Browsers say what a request is for in the fetch metadata
//! headers (`Sec-Fetch-Mode`, `Sec-Fetch-Dest`) and the prefetch headers (`Sec-Purpose`, and
//! the older `Purpose` and `X-Moz`); this module reads them, and never fails.
//!
//! The rule, strict where the browser says something and lenient where it says nothing:
//!
//! - a prefetch or prerender (`Sec-Purpose`, `Purpose` or `X-Moz` naming `prefetch` or
//!   `prerender`) never counts;
//! - a request carrying any `Sec-Fetch-*` header counts only with `Sec-Fetch-Mode: navigate`
//!   **and** `Sec-Fetch-Dest: document` (a browser that sends one sends them all, so a missing
//!   one is not a navigation either; a page opened in a frame is not top-level);
//! - a request with no `Sec-Fetch-*` header at all (browsers before fetch metadata, or pages
//!   served over plain HTTP, where browsers do not send it) counts, as before: refusing those
//!   would lose real orders.
//!
//! `Sec-Fetch-Site` is not read: a shop's payment provider sends the buyer back to the
//! confirmation page from another site, a real top-level navigation.

/// What the request's headers say about it (each `None` when absent).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FetchHeaders<'a> {
    /// `Sec-Fetch-Mode`.
    pub mode: Option<&'a str>,
    /// `Sec-Fetch-Dest`.
    pub dest: Option<&'a str>,
    /// `Sec-Fetch-Site`, only to know that fetch metadata was sent.
    pub site: Option<&'a str>,
    /// `Sec-Fetch-User`, only to know that fetch metadata was sent.
    pub user: Option<&'a str>,
    /// `Sec-Purpose`.
    pub sec_purpose: Option<&'a str>,
    /// `Purpose` (older Chrome, Safari) or `X-Moz` (older Firefox).
    pub purpose: Option<&'a str>,
}

/// The request headers [`FetchHeaders`] reads, lowercase, for the Worker to look up.
pub const HEADERS: [&str; 7] = [
    "sec-fetch-mode",
    "sec-fetch-dest",
    "sec-fetch-site",
    "sec-fetch-user",
    "sec-purpose",
    "purpose",
    "x-moz",
];

/// What kind of request a page request is, for counting a conversion.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Navigation {
    /// A top-level navigation, by the fetch metadata: counts.
    TopLevel,
    /// No fetch metadata at all (an older browser, or plain HTTP): counts.
    Unmarked,
    /// A prefetch or prerender: never counts.
    Prefetch,
    /// A subresource, a frame, a `fetch`, or fetch metadata without `navigate` + `document`:
    /// never counts.
    NotTopLevel,
}

impl Navigation {
    /// The navigation `headers` describe (the rule is in the module docs).
    pub fn of(headers: &FetchHeaders<'_>) -> Self {
        let prefetch = |v: Option<&str>| {
            v.is_some_and(|v| {
                let v = v.to_ascii_lowercase();
                v.contains("prefetch") || v.contains("prerender")
            })
        };
        if prefetch(headers.sec_purpose) || prefetch(headers.purpose) {
            return Self::Prefetch;
        }
        let metadata = [headers.mode, headers.dest, headers.site, headers.user];
        if metadata.iter().all(Option::is_none) {
            return Self::Unmarked;
        }
        let is =
            |v: Option<&str>, want: &str| v.is_some_and(|v| v.trim().eq_ignore_ascii_case(want));
        if is(headers.mode, "navigate") && is(headers.dest, "document") {
            Self::TopLevel
        } else {
            Self::NotTopLevel
        }
    }

    /// Whether a page conversion counts for this request; else the log code saying why not.
    pub fn counts(self) -> Result<(), &'static str> {
        match self {
            Self::TopLevel | Self::Unmarked => Ok(()),
            Self::Prefetch => Err("prefetch"),
            Self::NotTopLevel => Err("not_navigation"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    macro_rules! navigations {
        ($($name:ident: [$($field:ident = $value:expr),*] => $want:expr,)*) => {$(
            #[test]
            fn $name() {
                #[allow(clippy::needless_update)]
                let headers = FetchHeaders { $($field: Some($value),)* ..FetchHeaders::default() };
                assert_eq!(Navigation::of(&headers), $want);
            }
        )*};
    }

    navigations! {
        typed_url: [mode = "navigate", dest = "document", site = "none", user = "?1"] => Navigation::TopLevel,
        back_from_payment: [mode = "navigate", dest = "document", site = "cross-site"] => Navigation::TopLevel,
        upper_case: [mode = "Navigate", dest = "DOCUMENT"] => Navigation::TopLevel,
        no_metadata: [] => Navigation::Unmarked,
        cross_site_image: [mode = "no-cors", dest = "image", site = "cross-site"] => Navigation::NotTopLevel,
        image_by_dest_only: [dest = "image"] => Navigation::NotTopLevel,
        script: [mode = "no-cors", dest = "script", site = "cross-site"] => Navigation::NotTopLevel,
        fetch_call: [mode = "cors", dest = "empty", site = "cross-site"] => Navigation::NotTopLevel,
        iframe: [mode = "navigate", dest = "iframe", site = "cross-site"] => Navigation::NotTopLevel,
        site_only: [site = "cross-site"] => Navigation::NotTopLevel,
        navigate_without_dest: [mode = "navigate", site = "same-origin"] => Navigation::NotTopLevel,
        chrome_prefetch: [mode = "navigate", dest = "document", sec_purpose = "prefetch"] => Navigation::Prefetch,
        chrome_prerender: [mode = "navigate", dest = "document", sec_purpose = "prefetch;prerender"] => Navigation::Prefetch,
        legacy_purpose: [purpose = "prefetch"] => Navigation::Prefetch,
        firefox_x_moz: [purpose = "Prefetch"] => Navigation::Prefetch,
    }

    #[test]
    fn only_navigations_count() {
        assert_eq!(Navigation::TopLevel.counts(), Ok(()));
        assert_eq!(Navigation::Unmarked.counts(), Ok(()));
        assert_eq!(Navigation::Prefetch.counts(), Err("prefetch"));
        assert_eq!(Navigation::NotTopLevel.counts(), Err("not_navigation"));
    }

    proptest::proptest! {
        /// Whatever the headers, a request counts only when it carries no fetch metadata or
        /// says navigate + document, and never when it says prefetch; never a panic.
        #[test]
        fn counts_only_top_level_navigations(
            mode in proptest::option::of("\\PC{0,12}|navigate"),
            dest in proptest::option::of("\\PC{0,12}|document|image"),
            site in proptest::option::of("\\PC{0,12}"),
            purpose in proptest::option::of("\\PC{0,12}|prefetch"),
        ) {
            let h = FetchHeaders {
                mode: mode.as_deref(),
                dest: dest.as_deref(),
                site: site.as_deref(),
                sec_purpose: purpose.as_deref(),
                ..FetchHeaders::default()
            };
            let counted = Navigation::of(&h).counts().is_ok();
            let top = mode.as_deref().is_some_and(|m| m.trim().eq_ignore_ascii_case("navigate"))
                && dest.as_deref().is_some_and(|d| d.trim().eq_ignore_ascii_case("document"));
            let none = mode.is_none() && dest.is_none() && site.is_none();
            let prefetch = purpose.as_deref().is_some_and(|p| {
                let p = p.to_ascii_lowercase();
                p.contains("prefetch") || p.contains("prerender")
            });
            proptest::prop_assert_eq!(counted, (top || none) && !prefetch);
        }
    }
}
