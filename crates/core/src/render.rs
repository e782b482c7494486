//! Rendering: turning a [`Decision`] into the owned edit [`Plan`] the rewriter applies, plus
//! the context-aware escaping every piece of generated markup goes through.
//!
//! Fragments from the snapshot were sanitized at publish time and are inserted as HTML; any
//! *value* placed into markup here is escaped for the exact context it lands in (text or a
//! quoted attribute). The plan owns its data (`Arc` fragments, no copies of the HTML) so it
//! can outlive the snapshot borrow and travel with a streaming response.
//!
//! Two rules keep a value from changing what the author wrote around it:
//!
//! - A value in a URL attribute (`href`, `src`) goes in as is only when it is a safe URL
//!   ([`is_safe_url`]) **and** the placeholder is the whole attribute value
//!   (`href="{{product.url}}"`). Anywhere else in a URL (`href="/c/{{attr.x}}"`) it is one
//!   percent-encoded component, `/` included: `/evil.example/login` after a `/` would
//!   otherwise make the protocol-relative, off-site `//evil.example/login`. Whether a
//!   placeholder is the whole value is read from its neighbours in the template at render time,
//!   so snapshots published before this rule get it too, with no format change.
//! - Control characters never reach a page: C0 controls other than tab, line feed and carriage
//!   return, DEL and the C1 controls are dropped from every value, in text and attributes
//!   ([`is_dropped_control`]). They are invisible, have no business in a name or a product
//!   field, and some (C1, through the ASCII plan's character references) read back as other
//!   characters.

use std::borrow::Cow;
use std::fmt::Write as _;
use std::sync::Arc;

use crate::cookie::AttrValue;
use crate::decide::{Decision, Fill};
use crate::snapshot::catalog::Product;
use crate::snapshot::{Ctx, Op, Part, ProductField, Template};

/// One slot edit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Edit {
    /// Slot name.
    pub slot: Box<str>,
    /// Operation.
    pub op: Op,
    /// HTML to insert.
    pub html: Arc<str>,
}

/// All edits for one response.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Plan {
    edits: Vec<Edit>,
    /// The site's page mark, when pages must carry it ([`Plan::with_page_mark`]).
    mark: Option<Arc<str>>,
}

impl Plan {
    /// A plan from explicit edits (later edits for the same slot are ignored).
    pub fn new(edits: Vec<Edit>) -> Self {
        Self { edits, mark: None }
    }

    /// This plan for a site that marks the pages it may fill (the Worker's `SLOT_PAGE_MARK`):
    /// a slot is filled only after the page's `<head>` carried
    /// `<meta name="vitrine" content="MARK">` ([`crate::rewrite::PAGE_MARK_SELECTOR`]), so a
    /// slot planted in user-generated content on an unmarked page stays as it is. Only the
    /// streaming rewriter reads the mark; [`crate::splice`] fills nothing for a marked plan.
    pub fn with_page_mark(mut self, mark: Option<Arc<str>>) -> Self {
        self.mark = mark;
        self
    }

    /// The page mark a page must carry before any slot is filled, if the site set one.
    pub fn page_mark(&self) -> Option<&str> {
        self.mark.as_deref()
    }

    /// The edit for `slot`, if any. Plans hold a handful of slots, so a scan beats hashing.
    pub fn edit(&self, slot: &str) -> Option<&Edit> {
        self.edits.iter().find(|e| &*e.slot == slot)
    }

    /// The edits, in order.
    pub fn edits(&self) -> &[Edit] {
        &self.edits
    }

    /// Whether nothing would change.
    pub fn is_empty(&self) -> bool {
        self.edits.is_empty()
    }

    /// This plan for a page whose `Content-Type` names no charset. Such a page may be in any
    /// ASCII-compatible encoding (its `<meta>`, its BOM or the browser's default decides, and
    /// the edge reads none of them), so every fragment is written in ASCII ([`ascii_only`]).
    pub fn ascii(self) -> Self {
        let mark = self.mark;
        let edits = self
            .edits
            .into_iter()
            .map(|mut edit| {
                if let Cow::Owned(html) = ascii_only(&edit.html) {
                    edit.html = Arc::from(html);
                }
                edit
            })
            .collect();
        Self { edits, mark }
    }
}

/// `html` in ASCII: every other character as a numeric character reference (`—` → `&#x2014;`),
/// which reads back as the same character in every ASCII-compatible encoding. Sound for every
/// fragment a plan holds: its non-ASCII characters can only sit in text or in quoted attribute
/// values (markup was sanitized at publish time, with ASCII tag and attribute names and no
/// `<script>`, `<style>` or comments; values are escaped here), where references are decoded.
pub fn ascii_only(html: &str) -> Cow<'_, str> {
    if html.is_ascii() {
        return Cow::Borrowed(html);
    }
    let mut out = String::with_capacity(html.len() + 16);
    for c in html.chars() {
        if c.is_ascii() {
            out.push(c);
        } else {
            let _ = write!(out, "&#x{:X};", u32::from(c));
        }
    }
    Cow::Owned(out)
}

/// Builds the plan for a decision. A template without placeholders is shared, not copied.
pub fn render(decision: &Decision<'_>) -> Plan {
    Plan::new(
        decision
            .fills
            .iter()
            .map(|f| Edit {
                slot: f.slot.into(),
                op: f.candidate.op,
                html: fill(decision, f),
            })
            .collect(),
    )
}

fn fill(decision: &Decision<'_>, f: &Fill<'_>) -> Arc<str> {
    let snap = decision.snapshot;
    if let [Part::Lit(sym)] = f.candidate.template.parts.as_slice() {
        if let Some(shared) = snap.shared(*sym) {
            return Arc::clone(shared);
        }
    }
    let mut out = String::new();
    write_template(&mut out, &f.candidate.template, decision, f);
    Arc::from(out)
}

fn write_template(out: &mut String, template: &Template, decision: &Decision<'_>, f: &Fill<'_>) {
    let snap = decision.snapshot;
    for (at, part) in template.parts.iter().enumerate() {
        // A URL placeholder that is not the whole attribute value is a URL component.
        let ctx_at = |ctx: Ctx| match ctx {
            Ctx::Url if !whole_value(template, at, |sym| snap.text(sym)) => UrlAt::Component,
            Ctx::Url => UrlAt::Whole,
            Ctx::Text => UrlAt::NotUrl(false),
            Ctx::Attr => UrlAt::NotUrl(true),
        };
        match part {
            Part::Lit(sym) => out.push_str(snap.text(*sym)),
            Part::Attr { name, ctx } => {
                let value = decision.attrs.and_then(|a| a.0.get(snap.text(*name)));
                if let Some(value) = value {
                    write_value(out, &attr_text(value), ctx_at(*ctx));
                }
            }
            Part::Message => {
                if let Some(m) = f.message {
                    // A message cannot nest another message (the compiler refuses it).
                    let inner = Fill {
                        message: None,
                        ..*f
                    };
                    write_template(out, &m.template, decision, &inner);
                }
            }
            Part::Product { field, ctx } => match (f.product, field) {
                // Digits and a dot need no escaping in any context: written in place.
                (Some(p), ProductField::Price) => push_price(out, p.price_cents),
                (Some(p), _) => write_value(out, &product_text(&p, *field), ctx_at(*ctx)),
                (None, _) => {}
            },
            Part::OfferExpires { ctx } => {
                if let Some(o) = f.offer {
                    write_value(out, &crate::decide::offer::clock(o.expires), ctx_at(*ctx));
                }
            }
            Part::Items => {
                let Some(r) = &f.candidate.recommend else {
                    continue;
                };
                for p in decision.items(f) {
                    // The item template has no {{items}} (the compiler refuses it); an empty
                    // range makes sure a hand-written snapshot cannot recurse either.
                    let item = Fill {
                        product: Some(*p),
                        message: None,
                        items: crate::decide::Items::default(),
                        ..*f
                    };
                    write_template(out, &r.item, decision, &item);
                }
            }
            #[allow(unreachable_patterns)]
            _ => {}
        }
    }
}

fn product_text<'s>(p: &Product<'s>, field: ProductField) -> Cow<'s, str> {
    match field {
        ProductField::Id => Cow::Borrowed(p.id),
        ProductField::Name => p.name.to_str(),
        ProductField::Price => {
            let mut price = String::with_capacity(12);
            push_price(&mut price, p.price_cents);
            Cow::Owned(price)
        }
        ProductField::Url => p.url.to_str(),
        ProductField::Image => p.image.to_str(),
        ProductField::Category => p.category.to_str(),
    }
}

/// Appends a price in cents as units, a dot and two digits (`1999` → `19.99`). Pushed, not
/// formatted: it runs for every product card, and `core::fmt` on a request is code V8 compiles
/// again in every new isolate (BENCHMARKS.md, "Eighteenth pass" and "Nineteenth pass").
fn push_price(out: &mut String, cents: u64) {
    out.push_str(itoa::Buffer::new().format(cents / 100));
    out.push('.');
    push_two_digits(out, cents % 100);
}

/// Appends `n` (below 100) as two decimal digits.
fn push_two_digits(out: &mut String, n: u64) {
    out.push(char::from(b'0' + (n / 10 % 10) as u8));
    out.push(char::from(b'0' + (n % 10) as u8));
}

fn attr_text(value: &AttrValue) -> String {
    match value {
        AttrValue::Bool(b) => b.to_string(),
        AttrValue::Number(n) => n.to_string(),
        AttrValue::Text(t) => t.clone(),
        AttrValue::List(items) => items.join(", "),
    }
}

/// Where a value lands, as [`write_value`] needs to know it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum UrlAt {
    /// Not in a URL attribute: text (`false`) or a quoted attribute value (`true`).
    NotUrl(bool),
    /// The whole value of a URL attribute.
    Whole,
    /// Part of a URL attribute's value.
    Component,
}

/// Whether the placeholder at `at` is the whole value of its attribute: the literal before it
/// ends with `="` and the one after it starts with `"` (sanitized HTML always double-quotes
/// attribute values). Two placeholders side by side are each only part of the value.
fn whole_value<'s>(
    template: &Template,
    at: usize,
    text: impl Fn(crate::snapshot::Sym) -> &'s str,
) -> bool {
    let lit = |i: Option<usize>| match i.and_then(|i| template.parts.get(i)) {
        Some(Part::Lit(sym)) => Some(text(*sym)),
        _ => None,
    };
    let opens = lit(at.checked_sub(1)).is_some_and(|s| s.ends_with("=\""));
    let closes = lit(at.checked_add(1)).is_some_and(|s| s.starts_with('"'));
    opens && closes
}

fn write_value(out: &mut String, value: &str, at: UrlAt) {
    match at {
        UrlAt::NotUrl(attr) => push_escaped(out, value, attr),
        // A whole safe URL (a product link) goes in as is; anything else is one URL component,
        // percent-encoded so it cannot change the scheme, host or path the author wrote.
        UrlAt::Whole if is_safe_url(value) => push_escaped(out, value, true),
        UrlAt::Whole | UrlAt::Component => push_percent_encoded(out, value),
    }
}

/// Appends `value` as one URL component: every byte but the unreserved ones (RFC 3986, 2.3)
/// percent-encoded, `/`, `?`, `#`, `:` and `@` included.
fn push_percent_encoded(out: &mut String, value: &str) {
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(char::from(b));
        } else {
            push_percent_byte(out, b);
        }
    }
}

/// Appends `b` as `%XX` (upper-case hex).
fn push_percent_byte(out: &mut String, b: u8) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    out.push('%');
    out.push(char::from(HEX[usize::from(b >> 4)]));
    out.push(char::from(HEX[usize::from(b & 0xf)]));
}

/// A value that may go into `href`/`src` at request time: an `https:` URL or a same-site
/// path, with no whitespace, control characters or backslashes (which browsers rewrite).
pub fn is_safe_url(value: &str) -> bool {
    let clean = !value
        .chars()
        .any(|c| c.is_whitespace() || c.is_control() || c == '\\');
    let https = value
        .get(..8)
        .is_some_and(|p| p.eq_ignore_ascii_case("https://"));
    let path = value.starts_with('/') && !value.starts_with("//");
    clean && (https || path)
}

/// Escapes `s` for an HTML text context.
pub fn escape_text(s: &str) -> String {
    escape(s, false)
}

/// Escapes `s` for a double- or single-quoted HTML attribute value.
pub fn escape_attr(s: &str) -> String {
    escape(s, true)
}

fn escape(s: &str, attr: bool) -> String {
    let mut out = String::with_capacity(s.len());
    push_escaped(&mut out, s, attr);
    out
}

/// Whether `c` is a control character values never carry into a page: the C0 controls but
/// tab, line feed and carriage return (whitespace in HTML, harmless in text and attributes),
/// DEL and the C1 controls (U+0080 to U+009F).
pub fn is_dropped_control(c: char) -> bool {
    c.is_control() && !matches!(c, '\t' | '\n' | '\r')
}

/// Appends `s` escaped (for an attribute value if `attr`), with [`is_dropped_control`]
/// characters left out, copying unescaped runs whole.
fn push_escaped(out: &mut String, s: &str, attr: bool) {
    let mut start = 0;
    for (i, c) in s.char_indices() {
        let entity = match c {
            '&' => "&amp;",
            '<' => "&lt;",
            '>' => "&gt;",
            '"' if attr => "&quot;",
            '\'' if attr => "&#39;",
            c if is_dropped_control(c) => "",
            _ => continue,
        };
        // `i` and `i + len` are char boundaries (from `char_indices`).
        out.push_str(s.get(start..i).unwrap_or_default());
        out.push_str(entity);
        start = i + c.len_utf8();
    }
    out.push_str(s.get(start..).unwrap_or_default());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ascii_only_references_every_other_character() {
        let html = "<p title=\"Café\">Welcome back — 15 % off, 日本 🎁</p>";
        assert_eq!(
            ascii_only(html),
            "<p title=\"Caf&#xE9;\">Welcome back &#x2014; 15 % off, &#x65E5;&#x672C; &#x1F381;</p>"
        );
        assert!(matches!(ascii_only("<b>plain</b>"), Cow::Borrowed(_)));
    }

    #[test]
    fn ascii_plan_keeps_ascii_fragments_shared() {
        let shared: Arc<str> = Arc::from("<b>x</b>");
        let edit = |slot: &str, html: Arc<str>| Edit {
            slot: slot.into(),
            op: Op::Replace,
            html,
        };
        let plan = Plan::new(vec![
            edit("a", Arc::clone(&shared)),
            edit("b", Arc::from("€5")),
        ])
        .ascii();
        assert!(Arc::ptr_eq(&plan.edit("a").unwrap().html, &shared));
        assert_eq!(&*plan.edit("b").unwrap().html, "&#x20AC;5");
    }

    /// Numeric character references back to characters, as an HTML parser reads them.
    fn unreference(s: &str) -> String {
        let mut out = String::new();
        let mut rest = s;
        while let Some(at) = rest.find("&#x") {
            out.push_str(&rest[..at]);
            let end = rest[at..].find(';').unwrap() + at;
            let code = u32::from_str_radix(&rest[at + 3..end], 16).unwrap();
            out.push(char::from_u32(code).unwrap());
            rest = &rest[end + 1..];
        }
        out.push_str(rest);
        out
    }

    proptest::proptest! {
        /// Any fragment comes out ASCII and reads back as itself.
        #[test]
        fn ascii_only_is_ascii_and_lossless(s in "[^&]{0,40}") {
            let out = ascii_only(&s);
            proptest::prop_assert!(out.is_ascii());
            proptest::prop_assert_eq!(unreference(&out), s);
        }
    }

    /// Entities of [`push_escaped`] back to characters.
    fn unescape(s: &str) -> String {
        s.replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&quot;", "\"")
            .replace("&#39;", "'")
            .replace("&amp;", "&")
    }

    proptest::proptest! {
        /// Issue 14: no value carries a dropped control character into a page, in text or in
        /// an attribute, and every other character reads back as itself.
        #[test]
        fn escaped_values_carry_no_control_characters(
            s in "(\\PC|[\\x00-\\x{a0}])*",
            attr: bool,
        ) {
            let out = escape(&s, attr);
            proptest::prop_assert!(!out.chars().any(is_dropped_control), "{:?}", out);
            let kept: String = s.chars().filter(|c| !is_dropped_control(*c)).collect();
            proptest::prop_assert_eq!(unescape(&out), kept);
        }

        /// A URL component is only unreserved characters and `%XX`, so it never adds a `/`,
        /// a scheme or a host to the URL around it, and decodes back to the value.
        #[test]
        fn url_components_are_percent_encoded(s in "\\PC*") {
            let mut out = String::new();
            push_percent_encoded(&mut out, &s);
            proptest::prop_assert!(out
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-._~%".contains(&b)));
            let decoded: Vec<u8> = percent_decode(&out);
            proptest::prop_assert_eq!(decoded, s.into_bytes());
        }
    }

    proptest::proptest! {
        /// A price is pushed as it was formatted before (`{}.{:02}` of units and cents), for
        /// every amount: snapshots and golden pages spell prices that way.
        #[test]
        fn prices_are_the_formatted_ones(cents: u64) {
            let mut out = String::from("€");
            push_price(&mut out, cents);
            proptest::prop_assert_eq!(out, format!("€{}.{:02}", cents / 100, cents % 100));
        }
    }

    #[test]
    fn prices_at_the_edges() {
        for (cents, want) in [
            (0, "0.00"),
            (5, "0.05"),
            (99, "0.99"),
            (100, "1.00"),
            (1999, "19.99"),
            (u64::MAX, "184467440737095516.15"),
        ] {
            let mut out = String::new();
            push_price(&mut out, cents);
            assert_eq!(out, want);
        }
    }

    #[test]
    fn percent_bytes_are_upper_case_hex_for_every_byte() {
        for b in 0..=u8::MAX {
            let mut out = String::new();
            push_percent_byte(&mut out, b);
            assert_eq!(out, format!("%{b:02X}"));
        }
    }

    fn percent_decode(s: &str) -> Vec<u8> {
        let b = s.as_bytes();
        let mut out = Vec::new();
        let mut i = 0;
        while i < b.len() {
            if b[i] == b'%' {
                out.push(u8::from_str_radix(&s[i + 1..i + 3], 16).unwrap());
                i += 3;
            } else {
                out.push(b[i]);
                i += 1;
            }
        }
        out
    }

    #[test]
    fn controls_are_dropped_but_whitespace_kept() {
        assert_eq!(escape_text("a\u{0}b\u{1f}c\u{7f}d\u{9f}e"), "abcde");
        assert_eq!(escape_attr("a\tb\nc\rd"), "a\tb\nc\rd");
    }

    #[test]
    fn text_escaping() {
        assert_eq!(
            escape_text(r#"<a href="x">&'"#),
            r#"&lt;a href="x"&gt;&amp;'"#
        );
    }

    #[test]
    fn attr_escaping() {
        assert_eq!(
            escape_attr(r#"" onmouseover='x'"#),
            "&quot; onmouseover=&#39;x&#39;"
        );
    }

    macro_rules! urls {
        ($($name:ident: $url:expr => $want:expr,)*) => {$(
            #[test]
            fn $name() { assert_eq!(is_safe_url($url), $want); }
        )*};
    }

    urls! {
        url_https: "https://shop.example/x" => true,
        url_https_upper: "HTTPS://shop.example/x" => true,
        url_path: "/c/dog?x=1" => true,
        url_protocol_relative: "//evil.example" => false,
        url_backslash: "/\\evil.example" => false,
        url_javascript: "javascript:alert(1)" => false,
        url_http: "http://shop.example" => false,
        url_tab: "/c/\tdog" => false,
        url_relative: "c/dog" => false,
    }

    #[test]
    fn first_edit_per_slot_wins() {
        let e = |h: &str| Edit {
            slot: "a".into(),
            op: Op::Replace,
            html: Arc::from(h),
        };
        let plan = Plan::new(vec![e("1"), e("2")]);
        assert_eq!(&*plan.edit("a").unwrap().html, "1");
        assert!(plan.edit("b").is_none());
    }
}
