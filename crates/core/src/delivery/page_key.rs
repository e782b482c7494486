//! Page keys: which URLs are the same page, so ad clicks do not make every URL a new page.
//!
//! Ad and e-mail traffic adds a parameter that is unique per click (`?gclid=…`, `?fbclid=…`,
//! `?utm_campaign=…`) to URLs whose page is the same for everyone. Keyed by the whole URL,
//! each click would be a page to learn again, and in origin mode a Cache API miss. A page key
//! is the URL without those parameters ([`TrackingParams`]): the pages vitrine learns, and
//! the Cache API entries of origin mode, are keyed by it, and the page source is asked for it.
//! Targeting still sees the whole URL (a campaign may target `utm_source`), and the
//! visitor's browser keeps it (analytics scripts read it there).
//!
//! Every other parameter stays, in its order, because it may change the page (`?page=2`,
//! `?color=red`). The list of tracking parameters is configurable (`TRACKING_PARAMS`): exact
//! names, or a prefix ending in `*` (`utm_*`), compared ASCII case-insensitively and without
//! percent-decoding; an empty list keeps every parameter.

use std::borrow::Cow;

use thiserror::Error;

/// Tracking parameters ignored when `TRACKING_PARAMS` is unset: click ids of the main ad
/// networks, campaign tags, and e-mail and analytics link decorations.
pub const DEFAULT_TRACKING: &[&str] = &[
    "utm_*",
    "gclid",
    "gclsrc",
    "gbraid",
    "wbraid",
    "dclid",
    "fbclid",
    "msclkid",
    "yclid",
    "twclid",
    "ttclid",
    "li_fat_id",
    "igshid",
    "srsltid",
    "mc_cid",
    "mc_eid",
    "_ga",
    "_gl",
    "_hsenc",
    "_hsmi",
    "mkt_tok",
];

/// The query parameters that never change a page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrackingParams {
    /// Lowercase exact names.
    names: Vec<String>,
    /// Lowercase prefixes (from `prefix*`).
    prefixes: Vec<String>,
}

/// Why a `TRACKING_PARAMS` setting was refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum TrackingParamsError {
    /// An entry holds a character a query parameter name cannot hold unencoded.
    #[error("TRACKING_PARAMS: `{0}` is not a query parameter name (or a prefix ending in `*`)")]
    NotAName(String),
}

impl Default for TrackingParams {
    fn default() -> Self {
        Self::parse(&DEFAULT_TRACKING.join(",")).unwrap_or_else(|_| Self::none())
    }
}

impl TrackingParams {
    /// No parameter is tracking: every URL is its own page.
    pub fn none() -> Self {
        Self {
            names: Vec::new(),
            prefixes: Vec::new(),
        }
    }

    /// Parses a comma-separated list of names and `prefix*` entries; an empty list ignores
    /// nothing.
    pub fn parse(text: &str) -> Result<Self, TrackingParamsError> {
        let mut out = Self::none();
        for entry in text.split(',').map(str::trim).filter(|e| !e.is_empty()) {
            let (name, prefix) = match entry.strip_suffix('*') {
                Some(p) => (p, true),
                None => (entry, false),
            };
            let valid = !name.is_empty()
                && name
                    .bytes()
                    .all(|b| b.is_ascii_graphic() && !b"&=#?*%+".contains(&b));
            if !valid {
                return Err(TrackingParamsError::NotAName(entry.to_owned()));
            }
            let name = name.to_ascii_lowercase();
            if prefix {
                out.prefixes.push(name);
            } else {
                out.names.push(name);
            }
        }
        Ok(out)
    }

    /// Whether the parameter named `name` (as written in the query) is a tracking parameter.
    pub fn ignores(&self, name: &str) -> bool {
        let name = name.to_ascii_lowercase();
        self.names.contains(&name) || self.prefixes.iter().any(|p| name.starts_with(p))
    }

    /// `url` without its tracking parameters and its fragment: the page's key, and the URL the
    /// page source is asked for. Borrowed when nothing is removed. A query left empty loses
    /// its `?`.
    ///
    /// ```
    /// use vitrine_core::delivery::TrackingParams;
    ///
    /// let t = TrackingParams::default();
    /// assert_eq!(t.page_key("https://s.example/c/dog?page=2&gclid=abc"), "https://s.example/c/dog?page=2");
    /// assert_eq!(t.page_key("https://s.example/p/1?utm_source=x&utm_medium=cpc"), "https://s.example/p/1");
    /// assert_eq!(t.page_key("https://s.example/p/1?size=m"), "https://s.example/p/1?size=m");
    /// ```
    pub fn page_key<'u>(&self, url: &'u str) -> Cow<'u, str> {
        let (url, had_fragment) = match url.split_once('#') {
            Some((before, _)) => (before, true),
            None => (url, false),
        };
        let Some((base, query)) = url.split_once('?') else {
            return cow(url, had_fragment);
        };
        let tracking = |pair: &str| {
            let name = pair.split_once('=').map_or(pair, |(n, _)| n);
            self.ignores(name)
        };
        if !query.split('&').any(tracking) {
            return cow(url, had_fragment);
        }
        let mut out = String::with_capacity(url.len());
        out.push_str(base);
        let mut first = true;
        for pair in query.split('&').filter(|p| !p.is_empty() && !tracking(p)) {
            out.push(if first { '?' } else { '&' });
            out.push_str(pair);
            first = false;
        }
        Cow::Owned(out)
    }
}

fn cow(url: &str, copy: bool) -> Cow<'_, str> {
    if copy {
        Cow::Owned(url.to_owned())
    } else {
        Cow::Borrowed(url)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const BASE: &str = "https://shop.example/c/dog";

    #[test]
    fn tracking_parameters_are_dropped_and_the_rest_kept_in_order() {
        let t = TrackingParams::default();
        for (url, want) in [
            (format!("{BASE}?gclid=Cj0KCQ"), BASE.to_owned()),
            (
                format!("{BASE}?fbclid=IwAR&page=2"),
                format!("{BASE}?page=2"),
            ),
            (
                format!("{BASE}?page=2&utm_source=news&sort=price&UTM_Medium=mail"),
                format!("{BASE}?page=2&sort=price"),
            ),
            (format!("{BASE}?msclkid=1&_gl=2&mc_eid=3"), BASE.to_owned()),
            (format!("{BASE}?page=2"), format!("{BASE}?page=2")),
            (format!("{BASE}?gclid=1#top"), BASE.to_owned()),
            (format!("{BASE}#top"), BASE.to_owned()),
            (format!("{BASE}?utm_source"), BASE.to_owned()),
            // A name that merely contains a tracking name is not one.
            (format!("{BASE}?my_gclid=1"), format!("{BASE}?my_gclid=1")),
            (format!("{BASE}?&&gclid=1&&a=1"), format!("{BASE}?a=1")),
        ] {
            assert_eq!(t.page_key(&url), want, "{url}");
        }
    }

    #[test]
    fn unchanged_urls_are_borrowed() {
        let t = TrackingParams::default();
        let url = format!("{BASE}?page=2&sort=price");
        assert!(matches!(t.page_key(&url), Cow::Borrowed(_)));
    }

    #[test]
    fn the_list_is_configurable() {
        let t = TrackingParams::parse(" ref , campaign_* ").unwrap();
        assert_eq!(
            t.page_key(&format!("{BASE}?ref=x&campaign_id=7&gclid=1")),
            format!("{BASE}?gclid=1")
        );
        let none = TrackingParams::parse("").unwrap();
        let url = format!("{BASE}?gclid=1");
        assert_eq!(none.page_key(&url), url);
        assert_eq!(none, TrackingParams::none());
    }

    #[test]
    fn bad_entries_are_refused_with_the_entry() {
        for bad in ["a=b", "*", "x&y", "sp ace", "%67clid", "a*b*"] {
            let err = TrackingParams::parse(bad).unwrap_err();
            assert!(err.to_string().contains("TRACKING_PARAMS"), "{bad}: {err}");
        }
    }

    proptest! {
        /// A page key never holds a tracking parameter, keeps every other pair in order, and
        /// is a fixed point.
        #[test]
        fn keys_keep_exactly_the_other_parameters(
            pairs in proptest::collection::vec(
                (prop_oneof![Just("gclid".to_owned()), Just("utm_x".to_owned()), "[a-z]{1,6}"],
                 "[a-zA-Z0-9%]{0,6}"),
                0..8,
            )
        ) {
            let t = TrackingParams::default();
            let query: Vec<String> = pairs.iter().map(|(k, v)| format!("{k}={v}")).collect();
            let url = if query.is_empty() { BASE.to_owned() } else { format!("{BASE}?{}", query.join("&")) };
            let key = t.page_key(&url).into_owned();
            let kept: Vec<String> = pairs
                .iter()
                .filter(|(k, _)| !t.ignores(k))
                .map(|(k, v)| format!("{k}={v}"))
                .collect();
            let want = if kept.is_empty() { BASE.to_owned() } else { format!("{BASE}?{}", kept.join("&")) };
            prop_assert_eq!(&key, &want);
            prop_assert_eq!(t.page_key(&key).into_owned(), key);
        }
    }
}
