//! Request facts from what the runtime and the browser send: the device class from the
//! `User-Agent`, the country and time zone from `request.cf`, the local time of day. The
//! Worker (`src/facts.rs`) reads the raw values; everything that interprets them is
//! here, pure and table-tested.
//!
//! These facts describe the request, not the person, and are never stored: they are usable
//! without tracking consent. Parsing is bounded (the first [`UA_SCAN_BYTES`] of a user agent)
//! and never fails: an unknown value is `None`, and conditions on it do not hold.

use crate::snapshot::expr::{Device, Expr, RequestTest};
use crate::snapshot::Snapshot;

/// What the edge observed about one request, owned for the page view to borrow
/// ([`crate::view::PageRequest`]). Each is `None` when unknown or when no rule asks for it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Observed {
    /// ISO country code.
    pub country: Option<String>,
    /// Device class.
    pub device: Option<Device>,
    /// The `Referer` header.
    pub referrer: Option<String>,
    /// Local time of day in minutes after midnight.
    pub local_minutes: Option<u16>,
}

/// How much of a `User-Agent` is looked at.
pub const UA_SCAN_BYTES: usize = 512;

/// The device class of a `User-Agent`; `None` without one.
///
/// Phones: `Mobi` (every "Mobile"/"Mobile Safari" browser), iPhone, iPod, Windows Phone,
/// BlackBerry, Opera Mini. Tablets: iPad, Android without `Mobi` (Google's own convention for
/// tablets), Kindle/Silk, PlayBook and anything saying `Tablet` (but not Windows' "Tablet PC").
/// Everything else, bots included, is a desktop. iPadOS 13+ Safari asks for desktop pages and
/// sends a macOS user agent, so it is a desktop here too.
///
/// ```
/// use vitrine_core::facts::device_class;
/// use vitrine_core::snapshot::expr::Device;
/// let iphone = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 \
///               (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1";
/// assert_eq!(device_class(Some(iphone)), Some(Device::Mobile));
/// assert_eq!(device_class(None), None);
/// ```
pub fn device_class(user_agent: Option<&str>) -> Option<Device> {
    let raw = user_agent?.as_bytes();
    let mut buf = [0u8; UA_SCAN_BYTES];
    let len = raw.len().min(UA_SCAN_BYTES);
    let ua = &mut buf[..len];
    ua.copy_from_slice(&raw[..len]);
    ua.make_ascii_lowercase();
    let ua = &*ua;
    if ua.iter().all(u8::is_ascii_whitespace) {
        return None;
    }
    let has = |needle: &str| contains(ua, needle.as_bytes());
    // Windows Phone also claims Android and iPhone; it is a phone.
    if has("windows phone") || has("iemobile") {
        return Some(Device::Mobile);
    }
    let tablet = has("ipad")
        || has("kindle")
        || has("silk/")
        || has("playbook")
        || (has("tablet") && !has("tablet pc"))
        || (has("android") && !has("mobi"));
    if tablet {
        return Some(Device::Tablet);
    }
    let phone = has("mobi")
        || has("iphone")
        || has("ipod")
        || has("blackberry")
        || has("bb10")
        || has("opera mini");
    Some(if phone {
        Device::Mobile
    } else {
        Device::Desktop
    })
}

/// Whether `needle` (lowercase) occurs in `haystack` (lowercased).
fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    let Some(&first) = needle.first() else {
        return true;
    };
    haystack
        .windows(needle.len())
        .any(|w| w[0] == first && w == needle)
}

/// An ISO 3166-1 alpha-2 country code as Cloudflare reports it, uppercase; `None` for
/// Cloudflare's non-countries (`XX` unknown, `T1` Tor) and anything malformed.
pub fn country(code: &str) -> Option<&str> {
    let code = code.trim();
    let ok = code.len() == 2 && code.bytes().all(|b| b.is_ascii_uppercase()) && code != "XX";
    ok.then_some(code)
}

/// Whether an IANA time zone name is plausible enough to hand to `Intl.DateTimeFormat`
/// (`Europe/Berlin`, `America/Argentina/Buenos_Aires`, `Etc/GMT+2`, `UTC`).
pub fn plausible_time_zone(name: &str) -> bool {
    (1..=64).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'/' | b'_' | b'-' | b'+'))
}

/// Minutes after midnight from an hour and a minute as `Intl.DateTimeFormat` prints them
/// (`"09"`, `"5"`; some engines print midnight as `"24"`).
pub fn local_minutes(hour: &str, minute: &str) -> Option<u16> {
    let h: u16 = hour.trim().parse().ok()?;
    let m: u16 = minute.trim().parse().ok()?;
    (h <= 24 && m < 60).then_some((h % 24) * 60 + m)
}

/// `"HH:MM"` (24-hour) → minutes after midnight, for the demo-mode override header.
pub fn parse_clock(text: &str) -> Option<u16> {
    let (h, m) = text.trim().split_once(':')?;
    if h.len() != 2 || m.len() != 2 {
        return None;
    }
    local_minutes(h, m).filter(|_| h != "24")
}

/// Which request facts the rules of a snapshot read: the worker gathers only those (a
/// preview gathers all of them, for its trace). Computed once per snapshot version.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Needs {
    /// A `country` rule.
    pub country: bool,
    /// A `device` rule.
    pub device: bool,
    /// A `referrer` rule.
    pub referrer: bool,
    /// A `local_time` rule.
    pub local_time: bool,
}

impl Needs {
    /// Every fact (for previews).
    pub const ALL: Self = Self {
        country: true,
        device: true,
        referrer: true,
        local_time: true,
    };

    /// What the rules of `snapshot` read, messages included.
    pub fn of(snapshot: &Snapshot) -> Self {
        let mut needs = Self::default();
        for slot in snapshot.slots() {
            for c in &slot.candidates {
                needs.add(&c.when);
                for m in &c.messages {
                    needs.add(&m.when);
                }
            }
        }
        needs
    }

    fn add(&mut self, expr: &Expr) {
        match expr {
            Expr::Request(RequestTest::Country(_)) => self.country = true,
            Expr::Request(RequestTest::Device(_)) => self.device = true,
            Expr::Request(RequestTest::Referrer(_)) => self.referrer = true,
            Expr::Request(RequestTest::LocalTime { .. }) => self.local_time = true,
            Expr::All(list) | Expr::Any(list) => list.iter().for_each(|e| self.add(e)),
            Expr::Not(inner) => self.add(inner),
            _ => {}
        }
    }
}
