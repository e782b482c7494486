//! The delivery policy: which requests are personalized, what the base-page subrequest may
//! carry, and which headers a personalized response gets.
//!
//! This is the cache-safety contract, kept pure so it is tested natively:
//! - only `GET` requests for documents that come back `200 text/html` are personalized;
//!   everything else passes through untouched;
//! - the subrequest for the base page never carries the visitor's `Cookie` or
//!   `Authorization` (the origin never sees visitors), nor headers that could make a shared
//!   cache key depend on the request (`X-Forwarded-Host`, `X-Original-URL`, …);
//! - a personalized response is `private, no-store` and drops the base page's validators and
//!   length, so no cache anywhere stores or revalidates a personalized body.

/// Request headers never forwarded to the page source.
pub const STRIPPED_REQUEST_HEADERS: &[&str] = &[
    "cookie",
    "authorization",
    "proxy-authorization",
    "x-forwarded-host",
    "x-original-url",
    "x-rewrite-url",
    "x-host",
    "forwarded",
    // A preview token is for the edge alone (`crate::preview_token`).
    "x-vitrine-preview",
];

/// Response headers dropped from a personalized response.
pub const DROPPED_RESPONSE_HEADERS: &[&str] = &[
    "etag",
    "last-modified",
    "content-length",
    "cache-control",
    "expires",
    "age",
    // A shared base page must not hand one visitor's cookie to everyone.
    "set-cookie",
];

/// `Cache-Control` of every personalized response.
pub const PERSONALIZED_CACHE_CONTROL: &str = "private, no-store";

/// Name of the response header that reports what vitrine did.
pub const X_VITRINE: &str = "x-vitrine";

/// Whether a header may be forwarded to the page source.
pub fn forwards_request_header(name: &str) -> bool {
    !STRIPPED_REQUEST_HEADERS
        .iter()
        .any(|h| h.eq_ignore_ascii_case(name))
}

/// Whether a response header survives into a personalized response.
pub fn keeps_response_header(name: &str) -> bool {
    !DROPPED_RESPONSE_HEADERS
        .iter()
        .any(|h| h.eq_ignore_ascii_case(name))
}

/// Whether a request could be personalized: a `GET` for a path that names a document
/// (no file extension, or `.html`/`.htm`). `/x.css` is never a document, whatever it returns.
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
/// tables) would cost the .wasm about 100 KB.
pub fn path_and_query(url: &str) -> &str {
    let no_fragment = url.split('#').next().unwrap_or("");
    let after_scheme = no_fragment
        .split_once("://")
        .map_or(no_fragment, |(_, rest)| rest);
    match after_scheme.find(['/', '?']) {
        Some(i) => &after_scheme[i..],
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
        }
    }
}

/// `x-vitrine` value of a personalized response.
pub fn x_vitrine_personalized(version: &str, summary: &str) -> String {
    format!("v={version}; slots={summary}")
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
    fn visitor_credentials_never_forwarded() {
        for h in [
            "Cookie",
            "cookie",
            "AUTHORIZATION",
            "X-Forwarded-Host",
            "X-Original-URL",
            "X-Vitrine-Preview",
        ] {
            assert!(!forwards_request_header(h), "{h}");
        }
        assert!(forwards_request_header("accept"));
    }

    #[test]
    fn validators_dropped_from_personalized() {
        for h in [
            "ETag",
            "Last-Modified",
            "Content-Length",
            "Cache-Control",
            "Set-Cookie",
        ] {
            assert!(!keeps_response_header(h), "{h}");
        }
        assert!(keeps_response_header("content-type"));
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
