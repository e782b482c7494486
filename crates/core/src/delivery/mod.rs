//! The delivery policy: which requests are personalized, what the base-page subrequest may
//! carry, what may be shared between visitors, and which headers a response gets.
//!
//! This is the cache-safety contract, kept pure so it is tested natively:
//! - only documents by the site's definition ([`documents`]) take the page path, and only
//!   those that come back `200 text/html` are personalized; everything else passes through
//!   untouched;
//! - the subrequest carries only the request headers on an allowlist ([`forwarding`]): never
//!   the visitor's `Cookie` or `Authorization` (the origin never sees visitors), nor headers
//!   that could make a shared cache key depend on the request (`X-Forwarded-Host`, …);
//! - a source's response is shared between visitors only when the origin explicitly allowed
//!   it, for no longer than it said ([`sharing`]);
//! - a personalized response, or any response that sets a cookie, is `private, no-store` and
//!   drops the base page's validators and every cache directive, CDN-targeted ones included,
//!   so no cache anywhere stores or revalidates it.

pub mod documents;
pub mod forwarding;
pub mod heads;
pub mod page_key;
pub mod sharing;

pub use documents::{Documents, DocumentsError};
pub use forwarding::{ForwardError, Forwarded, PREVIEW_REFERRER_POLICY};
pub use page_key::{TrackingParams, TrackingParamsError};
pub use sharing::{shared_freshness, NotShared};

/// Validators and cache directives: dropped from every response that carries per-visitor
/// content or sets a cookie, so no cache (browser, proxy or CDN) keeps or revalidates it.
pub const PER_VISITOR_DROPPED: &[&str] = &[
    "etag",
    "last-modified",
    "cache-control",
    "expires",
    "age",
    // Directives for CDNs only (RFC 9213 and its ancestors): a CDN in front of the Worker
    // would otherwise keep the response under the origin's terms.
    "cdn-cache-control",
    "cloudflare-cdn-cache-control",
    "surrogate-control",
];

/// Response headers dropped from a personalized response: [`PER_VISITOR_DROPPED`], and the
/// length (the body changes) and the base page's cookies (a shared page must not hand one
/// visitor's cookie to everyone).
pub const DROPPED_RESPONSE_HEADERS: &[&str] = &["content-length", "set-cookie"];

/// `Cache-Control` of every personalized response.
pub const PERSONALIZED_CACHE_CONTROL: &str = "private, no-store";

/// Name of the response header that reports what vitrine did.
pub const X_VITRINE: &str = "x-vitrine";

/// Whether a response header survives into a personalized response: it is not one of
/// [`dropped_response_headers`].
pub fn keeps_response_header(name: &str) -> bool {
    !dropped_response_headers().any(|h| h.eq_ignore_ascii_case(name))
}

/// Every response header a personalized response drops ([`PER_VISITOR_DROPPED`] and
/// [`DROPPED_RESPONSE_HEADERS`]), lowercase: the Worker copies the base page's headers whole
/// and deletes these, which is [`keeps_response_header`] applied to each.
pub fn dropped_response_headers() -> impl Iterator<Item = &'static str> {
    PER_VISITOR_DROPPED
        .iter()
        .chain(DROPPED_RESPONSE_HEADERS)
        .copied()
}

/// Whether a header of an unchanged page survives when the response sets a cookie.
pub fn keeps_on_cookie_response(name: &str) -> bool {
    !PER_VISITOR_DROPPED
        .iter()
        .any(|h| h.eq_ignore_ascii_case(name))
}

/// The file-name rule for documents ([`Documents::ByFileName`]): a `GET` for a path that names
/// a document (no file extension, or `.html`/`.htm`). `/x.css` is never a document, whatever
/// it returns.
pub fn is_document_request(method: &str, path: &str) -> bool {
    if method != "GET" {
        return false;
    }
    let last = path.rsplit('/').next().unwrap_or("");
    match last.rsplit_once('.') {
        None => true,
        Some((_, ext)) => ext.eq_ignore_ascii_case("html") || ext.eq_ignore_ascii_case("htm"),
    }
}

/// Whether the base page response is one vitrine rewrites: `200`, `text/html`, a whole body
/// (no `Content-Range`) and no content coding the runtime did not already undo.
pub fn is_personalizable_response(
    status: u16,
    content_type: Option<&str>,
    content_range: Option<&str>,
) -> bool {
    status == 200 && content_range.is_none() && content_type.is_some_and(is_html)
}

fn is_html(content_type: &str) -> bool {
    let essence = content_type.split(';').next().unwrap_or("").trim();
    essence.eq_ignore_ascii_case("text/html")
}

/// The `charset` parameter of a `Content-Type`, if any.
pub fn charset(content_type: &str) -> Option<&str> {
    content_type.split(';').skip(1).find_map(|param| {
        let (k, v) = param.split_once('=')?;
        k.trim()
            .eq_ignore_ascii_case("charset")
            .then(|| v.trim().trim_matches('"'))
    })
}

/// The path and query of an absolute URL as the runtime hands it over (`https://h/p?q#f` gives
/// `/p?q`), without a URL parser: the Worker never needs more, and a full parser (with IDNA
/// tables) would be a large share of the .wasm (BENCHMARKS.md, "Artifact size").
///
/// It runs several times per request, so it scans bytes: the `str` pattern APIs build a
/// searcher per call, which cost more than the scan itself for a URL this short. Every index
/// it slices at is an ASCII byte's, so a char boundary.
pub fn path_and_query(url: &str) -> &str {
    let bytes = url.as_bytes();
    let end = memchr::memchr(b'#', bytes).unwrap_or(bytes.len());
    let no_fragment = &bytes[..end];
    let host_from = no_fragment
        .windows(3)
        .position(|w| w == b"://")
        .map_or(0, |i| i + 3);
    match no_fragment[host_from..]
        .iter()
        .position(|&b| b == b'/' || b == b'?')
    {
        Some(i) => &url[host_from + i..end],
        None => "",
    }
}

/// The query of an absolute URL, without the `?` (empty when there is none).
pub fn query(url: &str) -> &str {
    path_and_query(url).split_once('?').map_or("", |(_, q)| q)
}

/// Why a document was served unchanged. Each maps to a stable code in `x-vitrine` and logs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Bypass {
    /// KV holds no snapshot pointer.
    NoSnapshot,
    /// The pointer names a version KV does not hold.
    MissingVersion,
    /// KV failed.
    KvError,
    /// KV did not answer in time.
    KvTimeout,
    /// The stored snapshot could not be decoded (code from [`crate::SnapshotError`]).
    Snapshot(&'static str),
    /// The worker's configuration is unusable (for example a bad key ring).
    Config,
    /// The page's charset cannot be rewritten safely.
    Charset,
    /// The page source answered without a body.
    NoBody,
    /// Nothing in the snapshot applies to this visitor.
    NothingToDo,
    /// The page source could not be reached (the connection failed or dropped): there is no
    /// base page, so the answer is a `502` ([`SOURCE_UNREACHABLE_STATUS`]).
    SourceUnreachable,
}

impl Bypass {
    /// Stable snake_case code.
    pub fn code(self) -> &'static str {
        match self {
            Self::NoSnapshot => "no_snapshot",
            Self::MissingVersion => "missing_version",
            Self::KvError => "kv_error",
            Self::KvTimeout => "kv_timeout",
            Self::Snapshot(code) => code,
            Self::Config => "config",
            Self::Charset => "unsupported_charset",
            Self::NoBody => "no_body",
            Self::NothingToDo => "no_match",
            Self::SourceUnreachable => "source_unreachable",
        }
    }
}

/// The status of the answer when the page source could not be reached: vitrine is a gateway
/// in front of it, and no page is better than an error page another visitor might be served.
pub const SOURCE_UNREACHABLE_STATUS: u16 = 502;

/// `text` with every URL query string left out (from a `?` to the next space or quote), for
/// logging a runtime's error message, which may name the URL it failed to fetch.
pub fn without_queries(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.contains('?') {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut in_query = false;
    for c in text.chars() {
        if c == '?' {
            in_query = true;
            out.push_str("?…");
        } else if in_query && (c.is_whitespace() || c == '"' || c == '\'') {
            in_query = false;
            out.push(c);
        } else if !in_query {
            out.push(c);
        }
    }
    std::borrow::Cow::Owned(out)
}

/// `x-vitrine` value of a personalized response.
pub fn x_vitrine_personalized(version: &str, summary: &str) -> String {
    crate::text::concat(&["v=", version, "; slots=", summary])
}

/// `x-vitrine` value of a bypassed response.
pub fn x_vitrine_bypass(reason: Bypass) -> String {
    format!("bypass; reason={}", reason.code())
}

#[cfg(test)]
mod tests {
    use super::*;

    macro_rules! documents {
        ($($name:ident: $method:expr, $path:expr => $want:expr,)*) => {$(
            #[test]
            fn $name() { assert_eq!(is_document_request($method, $path), $want); }
        )*};
    }

    documents! {
        root: "GET", "/" => true,
        plain_path: "GET", "/c/dog" => true,
        html_ext: "GET", "/p/p0001.html" => true,
        css_path: "GET", "/x.css" => false,
        js_path: "GET", "/app.js" => false,
        svg: "GET", "/img/dog.svg" => false,
        dot_in_dir_only: "GET", "/v1.2/page" => true,
        head: "HEAD", "/" => false,
        post: "POST", "/" => false,
        lowercase_get_is_not_get: "get", "/" => false,
    }

    #[test]
    fn queries_are_left_out_of_logged_errors() {
        assert_eq!(
            without_queries("Fetch API cannot load: https://o.example/p?gclid=abc&e=a@b.c"),
            "Fetch API cannot load: https://o.example/p?…"
        );
        assert_eq!(
            without_queries("'https://a/?x=1' and \"https://b/?y=2\" failed"),
            "'https://a/?…' and \"https://b/?…\" failed"
        );
        assert_eq!(
            without_queries("Network connection lost."),
            "Network connection lost."
        );
    }

    proptest::proptest! {
        /// Nothing after a `?` survives until a space or a quote.
        #[test]
        fn no_query_character_is_logged(text in "[a-z?= '\"&é]{0,40}") {
            let out = without_queries(&text);
            let mut in_query = false;
            for c in out.chars() {
                match c {
                    '?' => in_query = true,
                    '…' => {}
                    c if c.is_whitespace() || c == '"' || c == '\'' => in_query = false,
                    c => proptest::prop_assert!(!in_query, "{c:?} kept in {out:?} from {text:?}"),
                }
            }
        }
    }

    macro_rules! responses {
        ($($name:ident: $status:expr, $ct:expr, $range:expr => $want:expr,)*) => {$(
            #[test]
            fn $name() { assert_eq!(is_personalizable_response($status, $ct, $range), $want); }
        )*};
    }

    responses! {
        html_200: 200, Some("text/html; charset=utf-8"), None => true,
        html_upper: 200, Some("Text/HTML"), None => true,
        partial: 206, Some("text/html"), Some("bytes 0-9/100") => false,
        range_on_200: 200, Some("text/html"), Some("bytes 0-9/100") => false,
        not_modified: 304, Some("text/html"), None => false,
        redirect: 302, Some("text/html"), None => false,
        error: 500, Some("text/html"), None => false,
        not_found: 404, Some("text/html"), None => false,
        css: 200, Some("text/css"), None => false,
        xhtml_prefix_trick: 200, Some("text/htmlx"), None => false,
        no_type: 200, None, None => false,
    }

    #[test]
    fn validators_dropped_from_personalized() {
        for h in [
            "ETag",
            "Last-Modified",
            "Content-Length",
            "Cache-Control",
            "Set-Cookie",
            "Expires",
            "CDN-Cache-Control",
            "Cloudflare-CDN-Cache-Control",
            "Surrogate-Control",
        ] {
            assert!(!keeps_response_header(h), "{h}");
        }
        assert!(keeps_response_header("content-type"));
        assert!(keeps_response_header("content-security-policy"));
    }

    #[test]
    fn cookie_responses_drop_validators_and_cache_directives_only() {
        for h in [
            "ETag",
            "Last-Modified",
            "Cache-Control",
            "Expires",
            "Age",
            "CDN-Cache-Control",
            "Cloudflare-CDN-Cache-Control",
            "Surrogate-Control",
        ] {
            assert!(!keeps_on_cookie_response(h), "{h}");
        }
        // The body is the page's own, so its length stays; so do the origin's own cookies.
        assert!(keeps_on_cookie_response("content-length"));
        assert!(keeps_on_cookie_response("set-cookie"));
    }

    /// `path_and_query` as it was written with the `str` pattern APIs: the byte scan must say
    /// the same for any text.
    fn path_and_query_reference(url: &str) -> &str {
        let no_fragment = url.split('#').next().unwrap_or("");
        let after_scheme = no_fragment
            .split_once("://")
            .map_or(no_fragment, |(_, rest)| rest);
        match after_scheme.find(['/', '?']) {
            Some(i) => &after_scheme[i..],
            None => "",
        }
    }

    proptest::proptest! {
        #[test]
        fn path_and_query_scans_like_the_str_patterns(
            url in "(https?://|:/|//|)[a-z:@./?#é%]{0,24}(://)?[a-z/?#=&.]{0,24}"
        ) {
            proptest::prop_assert_eq!(path_and_query(&url), path_and_query_reference(&url));
        }

        #[test]
        fn path_and_query_of_any_text_matches_the_reference(url in "\\PC{0,40}") {
            proptest::prop_assert_eq!(path_and_query(&url), path_and_query_reference(&url));
        }
    }

    macro_rules! urls {
        ($($name:ident: $url:expr => $pq:expr, $q:expr,)*) => {$(
            #[test]
            fn $name() {
                assert_eq!(path_and_query($url), $pq);
                assert_eq!(query($url), $q);
            }
        )*};
    }

    urls! {
        url_root: "https://shop.test/" => "/", "",
        url_path_query: "http://127.0.0.1:8787/c/dog?sort=price&x=1" => "/c/dog?sort=price&x=1", "sort=price&x=1",
        url_fragment_dropped: "https://h/p?a=1#frag" => "/p?a=1", "a=1",
        url_no_path: "https://h" => "", "",
        url_query_without_path: "https://h?x=1" => "?x=1", "x=1",
        url_userinfo_host_port: "https://u:p@h:8443/a/b" => "/a/b", "",
    }

    #[test]
    fn charset_param() {
        assert_eq!(
            charset("text/html; charset=\"ISO-8859-1\""),
            Some("ISO-8859-1")
        );
        assert_eq!(charset("text/html;Charset=utf-8"), Some("utf-8"));
        assert_eq!(charset("text/html"), None);
    }

    #[test]
    fn header_values() {
        assert_eq!(
            x_vitrine_personalized("abc", "hero=x"),
            "v=abc; slots=hero=x"
        );
        assert_eq!(
            x_vitrine_bypass(Bypass::NoSnapshot),
            "bypass; reason=no_snapshot"
        );
    }
}
