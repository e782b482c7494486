//! Marketer HTML: sanitized once at publish time with ammonia and an explicit allowlist, with
//! every URL checked by the WHATWG parser (`url`), then split around its `{{…}}` placeholders
//! with each placeholder's escaping context fixed.
//!
//! Refused outright (rather than silently repaired): raw-text and RCDATA elements
//! (`<textarea>`, `<plaintext>`, `<style>`, `<xmp>`, `<noscript>`, `<title>`), unclosed
//! comments, and any URL that is not `https:` or a same-site path.

use std::borrow::Cow;
use std::cell::RefCell;
use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use lol_html::{element, HtmlRewriter, Settings};
use url::Url;

use vitrine_core::snapshot::{Ctx, ProductField};

/// Tags marketers may use.
pub const TAGS: &[&str] = &[
    "a",
    "abbr",
    "article",
    "b",
    "blockquote",
    "br",
    "code",
    "del",
    "div",
    "em",
    "figcaption",
    "figure",
    "footer",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "header",
    "hr",
    "i",
    "img",
    "ins",
    "li",
    "mark",
    "ol",
    "p",
    "q",
    "s",
    "section",
    "small",
    "span",
    "strong",
    "sub",
    "sup",
    "time",
    "u",
    "ul",
];
/// Attributes allowed on every tag.
pub const GENERIC_ATTRS: &[&str] = &["class", "title", "lang", "dir", "aria-label", "aria-hidden"];
/// Attributes allowed on specific tags.
pub const TAG_ATTRS: &[(&str, &[&str])] = &[
    ("a", &["href", "target"]),
    ("img", &["src", "alt", "width", "height", "loading"]),
    ("time", &["datetime"]),
];
const URL_ATTRS: &[&str] = &["href", "src"];
const REFUSED: &[&str] = &[
    "<textarea",
    "<plaintext",
    "<style",
    "<xmp",
    "<noscript",
    "<title",
];

/// Opt-ins a site can set in `[sanitizer]`.
#[derive(Debug, Clone, Copy, Default)]
pub struct Policy {
    /// Allow the `style` attribute.
    pub allow_style: bool,
    /// Allow `<iframe src="https://…">` (sandboxed).
    pub allow_iframe: bool,
}

/// Whether a URL attribute value may be published: an `https:` URL with a host, or a path on
/// the same site (`/…`, `?…`, `#…`). Parsed as a browser would (tabs and newlines removed,
/// scheme case-folded, backslashes treated as slashes).
pub fn check_url(value: &str) -> Result<(), String> {
    // A whole product URL: product URLs are checked when the catalog is imported.
    if matches!(value.trim(), "{{product.url}}" | "{{product.image}}") {
        return Ok(());
    }
    let refuse = |why: &str| Err(format!("URL {value:?} is refused: {why}"));
    if value.contains('\\') {
        return refuse("backslashes are read as slashes by browsers");
    }
    match Url::parse(value) {
        Ok(url) if url.scheme() == "https" && url.host().is_some() => Ok(()),
        Ok(url) => refuse(&format!("scheme `{}:` is not https", url.scheme())),
        Err(url::ParseError::RelativeUrlWithoutBase) => {
            let Ok(base) = Url::parse("https://same-site.invalid/") else {
                return refuse("internal base URL");
            };
            let trimmed = value.trim_start_matches(|c: char| c <= ' ');
            let joined = base
                .join(value)
                .map_err(|e| format!("URL {value:?}: {e}"))?;
            let site_path = trimmed.starts_with(['/', '?', '#']) && !trimmed.starts_with("//");
            if joined.origin() == base.origin() && site_path {
                Ok(())
            } else {
                refuse("only https: URLs or paths starting with a single / are allowed")
            }
        }
        Err(e) => refuse(&e.to_string()),
    }
}

/// Sanitizes `html`; returns the clean HTML, or every reason it was refused.
pub fn sanitize(html: &str, policy: Policy) -> Result<String, Vec<String>> {
    let lower = html.to_ascii_lowercase();
    let mut errors: Vec<String> = REFUSED
        .iter()
        .filter(|bad| lower.contains(*bad))
        .map(|bad| format!("`{bad}>` is not allowed in campaign HTML"))
        .collect();
    let mut rest = lower.as_str();
    while let Some(open) = rest.find("<!--") {
        match rest[open + 4..].find("-->") {
            Some(close) => rest = &rest[open + 4 + close + 3..],
            None => {
                errors.push("unclosed HTML comment `<!--`".into());
                break;
            }
        }
    }
    errors.extend(url_attribute_errors(html));
    if !errors.is_empty() {
        return Err(errors);
    }
    let url_errors = Arc::new(Mutex::new(Vec::new()));
    let seen = Arc::clone(&url_errors);
    let mut tags: HashSet<&str> = TAGS.iter().copied().collect();
    let mut generic: HashSet<&str> = GENERIC_ATTRS.iter().copied().collect();
    let mut builder = ammonia::Builder::empty();
    if policy.allow_style {
        generic.insert("style");
    }
    if policy.allow_iframe {
        tags.insert("iframe");
        builder.add_tag_attributes("iframe", ["src", "width", "height", "title"]);
        builder.set_tag_attribute_value("iframe", "sandbox", "allow-scripts allow-popups");
    }
    for (tag, attrs) in TAG_ATTRS {
        builder.add_tag_attributes(tag, attrs.iter().copied());
    }
    builder
        .tags(tags)
        .generic_attributes(generic)
        .url_schemes(["https"].into_iter().collect())
        .url_relative(ammonia::UrlRelative::PassThrough)
        .link_rel(Some("noopener noreferrer"))
        .strip_comments(true)
        .attribute_filter(move |_, attr, value| {
            if !URL_ATTRS.contains(&attr) {
                return Some(Cow::Borrowed(value));
            }
            match check_url(value) {
                Ok(()) => Some(Cow::Borrowed(value)),
                Err(why) => {
                    if let Ok(mut list) = seen.lock() {
                        list.push(why);
                    }
                    None
                }
            }
        });
    let clean = builder.clean(html).to_string();
    let url_errors = url_errors.lock().map(|l| l.clone()).unwrap_or_default();
    if url_errors.is_empty() {
        Ok(clean)
    } else {
        Err(url_errors)
    }
}

/// URL attributes checked as a browser parses them (entities decoded), before ammonia, whose
/// own scheme filter would otherwise drop a bad URL silently instead of telling the author.
fn url_attribute_errors(html: &str) -> Vec<String> {
    let found = RefCell::new(Vec::new());
    let check = |el: &mut lol_html::html_content::Element<'_, '_>| {
        for attr in URL_ATTRS {
            if let Some(value) = el.get_attribute(attr) {
                if let Err(why) = check_url(&value) {
                    found.borrow_mut().push(why);
                }
            }
        }
        Ok(())
    };
    let settings = Settings::new()
        .with_strict(false)
        .append_element_content_handler(element!("[href], [src]", check));
    let mut rewriter = HtmlRewriter::new(settings, |_: &[u8]| {});
    let parsed = rewriter
        .write(html.as_bytes())
        .and_then(|()| rewriter.end());
    let mut out = found.into_inner();
    if parsed.is_err() {
        out.push("the HTML could not be parsed".into());
    }
    out
}

/// A piece of sanitized HTML.
pub enum Piece<'a> {
    /// Literal HTML.
    Lit(&'a str),
    /// `{{attr.NAME}}`.
    Attr(String, Ctx),
    /// `{{message}}`.
    Message,
    /// `{{product.FIELD}}`.
    Product(ProductField, Ctx),
    /// `{{offer.expires}}`.
    OfferExpires(Ctx),
    /// `{{items}}`: the recommended products, rendered.
    Items,
}

/// Splits sanitized HTML into literal runs and placeholders.
/// Sanitized HTML is html5ever's serialization: attributes always double-quoted, so a small
/// state machine knows whether a placeholder sits in text, an attribute, or a URL attribute.
pub fn split(html: &str) -> Result<Vec<Piece<'_>>, String> {
    let mut parts = Vec::new();
    let mut start = 0;
    let mut i = 0;
    let bytes = html.as_bytes();
    let mut in_tag = false;
    let mut in_value = false;
    let mut attr_name = String::new();
    let mut name_start = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b == b'{' && bytes.get(i + 1) == Some(&b'{') {
            let end = html[i..]
                .find("}}")
                .ok_or("a `{{` placeholder is not closed with `}}`")?;
            let name = html[i + 2..i + end].trim();
            let ctx = match (in_tag, in_value) {
                (true, true) if URL_ATTRS.contains(&attr_name.as_str()) => Ctx::Url,
                (true, true) => Ctx::Attr,
                (true, false) => {
                    return Err(format!(
                        "placeholder `{{{{{name}}}}}` inside a tag but outside an attribute value"
                    ))
                }
                _ => Ctx::Text,
            };
            if start < i {
                parts.push(Piece::Lit(&html[start..i]));
            }
            parts.push(parse_hole(name, ctx)?);
            i += end + 2;
            start = i;
            continue;
        }
        match (in_tag, in_value, b) {
            (false, _, b'<') => in_tag = true,
            (true, false, b'>') => in_tag = false,
            (true, false, b'=') => attr_name = html[name_start..i].trim().to_ascii_lowercase(),
            (true, false, b' ') => name_start = i + 1,
            (true, false, b'"') => in_value = true,
            (true, true, b'"') => {
                in_value = false;
                name_start = i + 1;
            }
            _ => {}
        }
        i += 1;
    }
    if start < html.len() {
        parts.push(Piece::Lit(&html[start..]));
    }
    Ok(parts)
}

fn parse_hole(name: &str, ctx: Ctx) -> Result<Piece<'static>, String> {
    let valid =
        |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
    if name == "message" {
        return match ctx {
            Ctx::Text => Ok(Piece::Message),
            _ => Err("`{{message}}` is HTML and may only stand in element text".into()),
        };
    }
    if name == "items" {
        return match ctx {
            Ctx::Text => Ok(Piece::Items),
            _ => Err("`{{items}}` is HTML and may only stand in element text".into()),
        };
    }
    if let Some(attr) = name.strip_prefix("attr.").filter(|a| valid(a)) {
        return Ok(Piece::Attr(attr.to_owned(), ctx));
    }
    if name == "offer.expires" {
        return Ok(Piece::OfferExpires(ctx));
    }
    if let Some(field) = name.strip_prefix("product.") {
        let field = match field {
            "id" => ProductField::Id,
            "name" => ProductField::Name,
            "price" => ProductField::Price,
            "url" => ProductField::Url,
            "image" => ProductField::Image,
            "category" => ProductField::Category,
            other => {
                return Err(format!(
                    "unknown product field `{other}`: use id, name, price, url, image or category"
                ))
            }
        };
        return Ok(Piece::Product(field, ctx));
    }
    Err(format!(
        "unknown placeholder `{{{{{name}}}}}`: use {{{{message}}}}, {{{{items}}}}, {{{{attr.NAME}}}}, {{{{product.FIELD}}}} or {{{{offer.expires}}}}"
    ))
}
