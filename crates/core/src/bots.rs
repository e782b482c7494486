//! Bots never learn and never count: which requests come from crawlers and tools, and what
//! follows from it.
//!
//! A request is a **bot** when Cloudflare's Bot Management says so (`verifiedBot: true`, or a
//! bot score of [`MAX_BOT_SCORE`] or less, where zones have the product), or when its
//! `User-Agent` matches one of [`PATTERNS`] (search and social crawlers, SEO and uptime
//! tools, headless browsers, HTTP libraries and command-line clients), matched
//! case-insensitively within the first [`crate::facts::UA_SCAN_BYTES`]. A missing `User-Agent`
//! is not by itself a bot: privacy tools strip it, and so do load generators.
//!
//! A bot gets **exactly what an anonymous visitor without consent gets** ([`as_seen`]: the
//! request is resolved as one with no cookies and `Sec-GPC: 1`), so search engines index the
//! page real visitors without consent see (no cloaking). It gets no activity cookie, and
//! [`keep_events`] drops every event of its page view (exposures, conversions, views): unlike
//! a visitor without consent, whose experiment exposures and conversions are still counted in
//! aggregate, a bot is not counted at all.

use crate::cookie::visitor::Request;
use crate::measure::events::Event;

/// Bot scores at or below this are automated traffic (Cloudflare: 1 is automated, 2–29 likely
/// automated, 30–99 likely human).
pub const MAX_BOT_SCORE: u32 = 29;

/// Lowercase `User-Agent` fragments that mark crawlers and tools.
pub const PATTERNS: &[&str] = &[
    // Generic crawler words (Googlebot, bingbot, AhrefsBot, Slurp, spiders, …).
    "bot",
    "crawl",
    "spider",
    "slurp",
    // Link previews and ad checkers that do not say "bot".
    "facebookexternalhit",
    "mediapartners-google",
    "adsbot",
    "google-inspectiontool",
    "feedfetcher",
    "bingpreview",
    "embedly",
    "whatsapp",
    "skypeuripreview",
    // Audits, monitors and archivers.
    "lighthouse",
    "pagespeed",
    "gtmetrix",
    "pingdom",
    "uptime",
    "statuscake",
    "ia_archiver",
    "archive.org",
    // Headless browsers and automation.
    "headlesschrome",
    "phantomjs",
    "puppeteer",
    "playwright",
    "selenium",
    // Command-line clients and HTTP libraries.
    "curl/",
    "wget/",
    "python-requests",
    "python-urllib",
    "python-httpx",
    "aiohttp",
    "go-http-client",
    "okhttp",
    "java/",
    "apache-httpclient",
    "libwww-perl",
    "node-fetch",
    "axios/",
    "scrapy",
    "httpie",
    "postmanruntime",
];

/// What Cloudflare's Bot Management says about a request, where the zone has it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BotManagement {
    /// `request.cf.botManagement.verifiedBot`.
    pub verified_bot: Option<bool>,
    /// `request.cf.botManagement.score` (1–99).
    pub score: Option<u32>,
}

/// Whether to read Bot Management's verdicts: the `BOT_MANAGEMENT` setting, `on` or `off`
/// (also `1`/`true`, `0`/`false`, any case; unset or empty is `off`). Reading them means
/// reading `request.cf`, which the runtime builds whole on first access, so a zone without
/// the product leaves it off. Another value is refused with what was found (the Worker logs
/// it and keeps `off`).
///
/// ```
/// use vitrine_core::bots::bot_management_setting;
/// assert_eq!(bot_management_setting(None), Ok(false));
/// assert_eq!(bot_management_setting(Some(" On ")), Ok(true));
/// assert!(bot_management_setting(Some("yes please")).is_err());
/// ```
pub fn bot_management_setting(value: Option<&str>) -> Result<bool, String> {
    let Some(value) = value else {
        return Ok(false);
    };
    match value.trim().to_ascii_lowercase().as_str() {
        "on" | "1" | "true" => Ok(true),
        "off" | "0" | "false" | "" => Ok(false),
        _ => Err(format!(
            "BOT_MANAGEMENT {:?} is not on or off; off is used",
            value.trim()
        )),
    }
}

/// Who sent a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Traffic {
    /// A person's browser, as far as anyone can tell.
    Visitor,
    /// A crawler or a tool, and what said so.
    Bot(BotSignal),
}

/// What identified a bot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BotSignal {
    /// Bot Management: a verified bot.
    VerifiedBot,
    /// Bot Management: a score of [`MAX_BOT_SCORE`] or less.
    Score,
    /// The `User-Agent` matched [`PATTERNS`].
    UserAgent,
}

impl Traffic {
    /// Whether the request is a bot's.
    pub fn is_bot(self) -> bool {
        matches!(self, Traffic::Bot(_))
    }
}

/// Whether a `User-Agent` names a crawler or a tool.
///
/// ```
/// use vitrine_core::bots::user_agent_is_bot;
/// assert!(user_agent_is_bot("Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"));
/// assert!(user_agent_is_bot("curl/8.5.0"));
/// assert!(!user_agent_is_bot("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36"));
/// ```
pub fn user_agent_is_bot(user_agent: &str) -> bool {
    let scanned = user_agent
        .get(..crate::facts::UA_SCAN_BYTES)
        .unwrap_or(user_agent)
        .to_ascii_lowercase();
    finders()
        .iter()
        .any(|f| f.find(scanned.as_bytes()).is_some())
}

/// A searcher per pattern of [`PATTERNS`], built once (per isolate in the Worker): building
/// one is most of the cost of searching a `User-Agent` for it.
fn finders() -> &'static [memchr::memmem::Finder<'static>] {
    static FINDERS: std::sync::OnceLock<Vec<memchr::memmem::Finder<'static>>> =
        std::sync::OnceLock::new();
    FINDERS.get_or_init(|| PATTERNS.iter().map(memchr::memmem::Finder::new).collect())
}

/// Who sent a request, from its `User-Agent` and, where present, Bot Management's verdict
/// (asked for only when the `User-Agent` alone does not say: the Worker reads it lazily).
pub fn classify(
    user_agent: Option<&str>,
    bot_management: impl FnOnce() -> BotManagement,
) -> Traffic {
    if user_agent.is_some_and(user_agent_is_bot) {
        return Traffic::Bot(BotSignal::UserAgent);
    }
    let bm = bot_management();
    if bm.verified_bot == Some(true) {
        Traffic::Bot(BotSignal::VerifiedBot)
    } else if bm.score.is_some_and(|s| (1..=MAX_BOT_SCORE).contains(&s)) {
        Traffic::Bot(BotSignal::Score)
    } else {
        Traffic::Visitor
    }
}

/// The identity request a visitor is resolved from: a bot's is that of an anonymous visitor
/// without consent (no cookies, `Sec-GPC: 1`), so it reads no profile and no activity and
/// writes no cookie.
pub fn as_seen(traffic: Traffic, req: Request<'_>) -> Request<'_> {
    match traffic {
        Traffic::Visitor => req,
        Traffic::Bot(_) => Request {
            cookie: None,
            gpc: Some("1"),
            ..req
        },
    }
}

/// The events a page view of this traffic may write: none for a bot.
pub fn keep_events(traffic: Traffic, events: &mut Vec<Event>) {
    if traffic.is_bot() {
        events.clear();
    }
}

#[cfg(test)]
mod tests {
    use proptest::strategy::Strategy;

    proptest::proptest! {
        /// The prebuilt searchers find exactly what a plain substring search of the lowercased
        /// `User-Agent` prefix finds.
        #[test]
        fn searchers_match_a_plain_search(
            parts in proptest::collection::vec(
                proptest::prop_oneof![
                    proptest::sample::select(super::PATTERNS).prop_map(|p| p.to_uppercase()),
                    "[ -~]{0,30}",
                ],
                0..6,
            )
        ) {
            let ua = parts.concat();
            let scanned = ua.get(..crate::facts::UA_SCAN_BYTES).unwrap_or(&ua).to_ascii_lowercase();
            let plain = super::PATTERNS.iter().any(|p| scanned.contains(p));
            proptest::prop_assert_eq!(super::user_agent_is_bot(&ua), plain, "{:?}", ua);
        }
    }

    #[test]
    fn bot_management_is_read_only_when_the_setting_says_on() {
        use super::bot_management_setting as setting;
        for on in ["on", "ON", " on ", "1", "true", "True"] {
            assert_eq!(setting(Some(on)), Ok(true), "{on:?}");
        }
        for off in ["off", "Off", "0", "false", "", "  "] {
            assert_eq!(setting(Some(off)), Ok(false), "{off:?}");
        }
        assert_eq!(setting(None), Ok(false));
        for refused in ["yes", "enabled", "o n", "2"] {
            let why = setting(Some(refused)).unwrap_err();
            assert!(
                why.contains(refused) && why.contains("off is used"),
                "{why}"
            );
        }
    }

    use proptest::prelude::*;

    use super::*;

    const CHROME: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36";
    const SAFARI_IPHONE: &str = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1";
    const FIREFOX: &str = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0";

    macro_rules! agents {
        ($($name:ident: $ua:expr => $bot:expr,)*) => {$(
            #[test]
            fn $name() {
                assert_eq!(user_agent_is_bot($ua), $bot, "{}", $ua);
            }
        )*};
    }

    agents! {
        googlebot: "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)" => true,
        googlebot_smartphone: "Mozilla/5.0 (Linux; Android 6.0.1; Nexus 5X Build/MMB29P) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Mobile Safari/537.36 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)" => true,
        bingbot: "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)" => true,
        yahoo_slurp: "Mozilla/5.0 (compatible; Yahoo! Slurp; http://help.yahoo.com/help/us/ysearch/slurp)" => true,
        facebook: "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)" => true,
        ahrefs: "Mozilla/5.0 (compatible; AhrefsBot/7.0; +http://ahrefs.com/robot/)" => true,
        lighthouse: "Mozilla/5.0 (Linux; Android 11; moto g power (2022)) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/114.0 Mobile Safari/537.36 Chrome-Lighthouse" => true,
        headless: "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/126.0 Safari/537.36" => true,
        curl: "curl/8.5.0" => true,
        wget: "Wget/1.21.4" => true,
        python: "python-requests/2.32.3" => true,
        go: "Go-http-client/2.0" => true,
        chrome: CHROME => false,
        safari_iphone: SAFARI_IPHONE => false,
        firefox: FIREFOX => false,
        edge: "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36 Edg/126.0" => false,
        samsung: "Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/25.0 Chrome/121.0 Mobile Safari/537.36" => false,
        empty: "" => false,
    }

    #[test]
    fn bot_management_decides_when_the_user_agent_does_not() {
        let bm = |verified_bot, score| {
            move || BotManagement {
                verified_bot,
                score,
            }
        };
        let human = Some(CHROME);
        assert_eq!(classify(human, bm(None, None)), Traffic::Visitor);
        assert_eq!(classify(None, bm(None, None)), Traffic::Visitor);
        assert_eq!(classify(human, bm(Some(false), Some(30))), Traffic::Visitor);
        assert_eq!(
            classify(human, bm(Some(true), Some(99))),
            Traffic::Bot(BotSignal::VerifiedBot)
        );
        assert_eq!(
            classify(human, bm(None, Some(1))),
            Traffic::Bot(BotSignal::Score)
        );
        assert_eq!(
            classify(human, bm(None, Some(29))),
            Traffic::Bot(BotSignal::Score)
        );
        // 0 means "not computed" in Cloudflare's docs: not a verdict.
        assert_eq!(classify(human, bm(None, Some(0))), Traffic::Visitor);
    }

    #[test]
    fn bot_management_is_not_read_when_the_user_agent_says_bot() {
        let t = classify(Some("curl/8"), || unreachable!("read lazily"));
        assert_eq!(t, Traffic::Bot(BotSignal::UserAgent));
    }

    #[test]
    fn a_bot_is_resolved_as_an_anonymous_visitor_without_consent() {
        let req = Request {
            cookie: Some("cookieconsent_status=allow; __Host-vitrine_profile=x"),
            gpc: None,
            path: "/p/1",
            now: 5,
        };
        let seen = as_seen(Traffic::Bot(BotSignal::UserAgent), req);
        assert_eq!(
            (seen.cookie, seen.gpc, seen.path, seen.now),
            (None, Some("1"), "/p/1", 5)
        );
        let kept = as_seen(Traffic::Visitor, req);
        assert_eq!((kept.cookie, kept.gpc), (req.cookie, None));
    }

    proptest! {
        /// Any browser user agent made of a platform and an engine token is not a bot; adding
        /// a crawler's token anywhere makes it one.
        #[test]
        fn crawler_tokens_anywhere_make_a_bot(
            base in prop::sample::select(vec![CHROME, SAFARI_IPHONE, FIREFOX]),
            at in 0usize..200,
            token in prop::sample::select(vec!["Googlebot/2.1", "bingbot/2.0", "curl/8.1", "HeadlessChrome/1", "AdsBot-Google"]),
        ) {
            prop_assert!(!user_agent_is_bot(base));
            let at = at.min(base.len());
            let ua = format!("{} {token} {}", &base[..at], &base[at..]);
            prop_assert!(user_agent_is_bot(&ua), "{}", ua);
        }

        #[test]
        fn any_user_agent_classifies_without_panic(ua in ".{0,1200}") {
            let _ = classify(Some(&ua), BotManagement::default);
        }
    }
}
