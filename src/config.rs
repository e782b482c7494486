//! Worker configuration from wrangler vars and secrets, read once per isolate: the runtime
//! hands every request of an isolate the same `env` object, so [`Config::current`] re-reads
//! the vars only when it gets a different one (a new deployment or binding set). Reading them
//! costs ~15 calls across the JS boundary, measurable on a spliced hit. Key rings and the
//! consent source are also parsed once per distinct text.

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::Arc;

use worker::js_sys::{Array, Object};
use worker::wasm_bindgen::JsValue;
use worker::Env;

use crate::incoming::Incoming;

use crate::PerIsolate;
use vitrine_core::cookie::VerifiedTokens;
use vitrine_core::cookie::{ConsentSource, KeyRing, TimePolicy};
use vitrine_core::delivery::{Documents, Forwarded, TrackingParams};
use vitrine_core::measure::views::ViewEvents;
use vitrine_core::rewrite::Limits;
use vitrine_core::splice::FirstViews;

/// Where base pages come from.
pub enum PageSource {
    /// The Workers Static Assets binding `ASSETS`.
    Assets,
    /// An origin, fetched through the Cache API.
    Origin(String),
}

/// Everything the shell needs to know.
pub struct Config {
    pub source: PageSource,
    pub keys: ParsedRing,
    /// The profile tokens `keys` verified, kept for this config's lifetime: a config read
    /// again (another `env`) starts with an empty cache, so a kept token always belongs to
    /// the ring that verified it.
    pub verified: VerifiedTokens,
    /// Activity cookie key ring (`VITRINE_ACTIVITY_KEYS`); unset turns the activity cookie off.
    pub activity_keys: Option<ParsedRing>,
    /// Consent source (`CONSENT`); a refused setting means nobody is tracked.
    pub consent: ParsedConsent,
    /// Preview token key ring (`VITRINE_PREVIEW_KEYS`); unset turns previews off. Refused when
    /// it shares a secret with the profile ring.
    pub preview_keys: Option<ParsedRing>,
    /// The ring whose current key makes pseudonyms (`VITRINE_PSEUDONYM_KEY`); unset or refused,
    /// the profile ring's key does.
    pub pseudonym_keys: Option<ParsedRing>,
    pub activity_max_age_secs: u64,
    pub time: TimePolicy,
    pub refresh_ms: f64,
    pub kv_timeout_ms: u64,
    pub limits: Limits,
    pub demo: bool,
    pub fault_injection: bool,
    /// Request headers forwarded to the page source (`FORWARD_HEADERS`; a refused setting
    /// falls back to the default list).
    pub forwarded: Forwarded,
    /// The same names as JS arrays, for the subrequest.
    pub forwarded_names: ForwardedNames,
    /// Which requests are documents (`DOCUMENT_PATHS`; a refused setting means none).
    pub documents: Documents,
    /// How long a page this isolate recorded is served without asking the source again
    /// (`PAGE_REVALIDATE_SECS`, 0 = on every request; origin pages only when shareable).
    pub page_revalidate_ms: f64,
    /// Query parameters that never change a page (`TRACKING_PARAMS`; a refused setting falls
    /// back to the default list): page keys and page-source URLs leave them out.
    pub tracking: TrackingParams,
    /// The mark a page's `<head>` must carry before any of its slots is filled
    /// (`SLOT_PAGE_MARK`, `<meta name="vitrine" content="…">`); unset: every page is filled.
    pub page_mark: Option<Arc<str>>,
    /// How many product-page views become `vitrine.view` events (`VIEW_SAMPLE_PERCENT`,
    /// `VIEW_EVENTS_PER_HOUR`; a refused setting keeps its default and is logged).
    pub views: ViewEvents,
    /// Whether the zone has Cloudflare Bot Management (`BOT_MANAGEMENT = "on"`): only then
    /// are `request.cf.botManagement`'s verdicts read (reading `cf` makes the runtime build
    /// the whole object, a cost on every request of a zone that has no such field).
    pub bot_management: bool,
    /// Whether a page's first view maps it in the same parse (`MAP_FIRST_VIEWS`: `auto`, the
    /// default, once the isolate's traffic shows that pages come back; `on`; `off`).
    pub first_views: FirstViews,
    /// Whether slot maps are shared with the colo's other isolates through the Cache API
    /// (`SHARED_MAPS`: `on`, the default, or `off`; [`crate::colo`]).
    pub shared_maps: bool,
}

/// A key ring as parsed from its secret text, or why it was refused.
type ParsedRing = Result<Rc<KeyRing>, String>;

/// A consent source as parsed from `CONSENT`, or why it was refused.
type ParsedConsent = Result<Rc<ConsentSource>, String>;

/// What configuration keeps per isolate (its part of [`crate::Isolate`]).
#[derive(Default)]
pub struct Kept {
    /// (secret name, text, parsed ring): parsed once per isolate, re-parsed if a secret changes.
    rings: Rings,
    /// (CONSENT text, parsed source), parsed once per isolate.
    consent: RefCell<Option<(String, ParsedConsent)>>,
    /// The `env` object the current config was read from, and that config.
    current: Current,
}

/// (secret name, text, parsed ring) for every key ring read.
type Rings = RefCell<Vec<(&'static str, String, ParsedRing)>>;
/// The `env` object a config was read from, and that config.
type Current = RefCell<Option<(JsValue, Rc<Config>)>>;

const RINGS: PerIsolate<Rings> = PerIsolate(|i| &i.config.rings);
const CONSENT: PerIsolate<RefCell<Option<(String, ParsedConsent)>>> =
    PerIsolate(|i| &i.config.consent);
const CURRENT: PerIsolate<Current> = PerIsolate(|i| &i.config.current);

impl Config {
    /// The config for `env`: read once, then reused while the runtime passes the same `env`.
    pub fn current(env: &Env) -> Rc<Self> {
        let js: &JsValue = env.as_ref();
        let kept = CURRENT.with(|c| {
            c.borrow()
                .as_ref()
                .filter(|(seen, _)| Object::is(seen, js))
                .map(|(_, cfg)| Rc::clone(cfg))
        });
        if let Some(cfg) = kept {
            return cfg;
        }
        let cfg = Rc::new(Self::from_env(env));
        CURRENT.with(|c| *c.borrow_mut() = Some((js.clone(), Rc::clone(&cfg))));
        cfg
    }

    // Read once per isolate: not inlined into the request function (the crate docs, "Function size").
    #[inline(never)]
    fn from_env(env: &Env) -> Self {
        let text = |name: &str| env.var(name).ok().map(|v| v.to_string());
        let number = |name: &str, default: u64| {
            text(name)
                .and_then(|v| v.trim().parse::<u64>().ok())
                .unwrap_or(default)
        };
        let source = match text("PAGE_SOURCE").as_deref() {
            Some("origin") => PageSource::Origin(text("ORIGIN_URL").unwrap_or_default()),
            _ => PageSource::Assets,
        };
        let documents = documents(text("DOCUMENT_PATHS"), &source);
        let forwarded = match text("FORWARD_HEADERS").map(|t| Forwarded::parse(&t)) {
            None => Forwarded::default(),
            Some(Ok(forwarded)) => forwarded,
            Some(Err(e)) => {
                crate::log::note(
                    "vitrine.config",
                    &format!("{e}; forwarding the default list"),
                );
                Forwarded::default()
            }
        };
        let tracking = match text("TRACKING_PARAMS").map(|t| TrackingParams::parse(&t)) {
            None => TrackingParams::default(),
            Some(Ok(tracking)) => tracking,
            Some(Err(e)) => {
                crate::log::note("vitrine.config", &format!("{e}; using the default list"));
                TrackingParams::default()
            }
        };
        let max_age = number("PROFILE_MAX_AGE_SECS", 0);
        let (views, refused) = ViewEvents::parse(
            text("VIEW_SAMPLE_PERCENT").as_deref(),
            text("VIEW_EVENTS_PER_HOUR").as_deref(),
        );
        for e in refused {
            crate::log::note("vitrine.config", &e.to_string());
        }
        let bot_management =
            vitrine_core::bots::bot_management_setting(text("BOT_MANAGEMENT").as_deref())
                .unwrap_or_else(|why| {
                    crate::log::note("vitrine.config", &why);
                    false
                });
        let first_views =
            FirstViews::parse(text("MAP_FIRST_VIEWS").as_deref()).unwrap_or_else(|why| {
                crate::log::note("vitrine.config", &why);
                FirstViews::Auto
            });
        let shared_maps = vitrine_core::splice::shared::setting(text("SHARED_MAPS").as_deref())
            .unwrap_or_else(|why| {
                crate::log::note("vitrine.config", &why);
                true
            });
        let keys = key_ring(
            "VITRINE_COOKIE_KEYS",
            env.secret("VITRINE_COOKIE_KEYS")
                .ok()
                .map(|s| s.to_string()),
        );
        let preview_keys = env
            .secret("VITRINE_PREVIEW_KEYS")
            .ok()
            .map(|s| preview_ring(key_ring("VITRINE_PREVIEW_KEYS", Some(s.to_string())), &keys));
        Self {
            source,
            keys,
            verified: VerifiedTokens::new(),
            preview_keys,
            activity_keys: env
                .secret("VITRINE_ACTIVITY_KEYS")
                .ok()
                .map(|s| key_ring("VITRINE_ACTIVITY_KEYS", Some(s.to_string()))),
            pseudonym_keys: env
                .secret("VITRINE_PSEUDONYM_KEY")
                .ok()
                .map(|s| key_ring("VITRINE_PSEUDONYM_KEY", Some(s.to_string()))),
            consent: consent(text("CONSENT").unwrap_or_default()),
            activity_max_age_secs: number("ACTIVITY_MAX_AGE_SECS", 30 * 86_400),
            time: TimePolicy {
                leeway_secs: number("COOKIE_LEEWAY_SECS", 60),
                max_age_secs: (max_age > 0).then_some(max_age),
            },
            refresh_ms: number("SNAPSHOT_REFRESH_SECS", 10) as f64 * 1000.0,
            kv_timeout_ms: number("KV_TIMEOUT_MS", 500),
            limits: Limits {
                max_memory: number("REWRITE_MEMORY_LIMIT", Limits::default().max_memory as u64)
                    as usize,
                // `off` when no page marks slots with `data-vitrine-slot`: about twice as fast
                // a streaming rewrite (docs/site-owners.md#marking-slots-in-pages).
                attribute_slots: !text("ATTRIBUTE_SLOTS").is_some_and(|v| {
                    matches!(
                        v.trim().to_ascii_lowercase().as_str(),
                        "off" | "0" | "false"
                    )
                }),
                ..Limits::default()
            },
            demo: text("DEMO").is_some_and(|v| v == "1" || v == "true"),
            fault_injection: text("FAULT_INJECTION").is_some_and(|v| v == "1"),
            forwarded_names: ForwardedNames::of(&forwarded),
            forwarded,
            documents,
            tracking,
            page_revalidate_ms: number("PAGE_REVALIDATE_SECS", 10) as f64 * 1000.0,
            page_mark: text("SLOT_PAGE_MARK")
                .map(|m| m.trim().to_owned())
                .filter(|m| !m.is_empty())
                .map(Arc::from),
            views,
            bot_management,
            first_views,
            shared_maps,
        }
    }

    /// Whether `req` asks (with fault injection on) for the runtime's rewriter to fail on its
    /// page's first view (`x-vitrine-fault: native_map`), to test that the visitor still gets
    /// the page.
    pub fn native_map_fault(&self, req: &Incoming) -> bool {
        self.fault_asked(req, "native_map")
    }

    /// Test-only fault injection, enabled solely by the `FAULT_INJECTION=1` var (never set in
    /// wrangler.toml): `x-vitrine-fault: panic` panics, to prove that a panic fails open and
    /// the next request still works.
    #[allow(clippy::panic)]
    #[inline(never)]
    pub fn inject_fault(&self, req: &Incoming) {
        if self.fault_asked(req, "panic") {
            panic!("injected fault");
        }
    }

    fn fault_asked(&self, req: &Incoming, fault: &str) -> bool {
        self.fault_injection
            && req
                .headers()
                .get("x-vitrine-fault")
                .ok()
                .flatten()
                .as_deref()
                == Some(fault)
    }
}

/// The site's documents; logged once per isolate when the setting is refused or, in origin
/// mode, missing (then nothing is personalized).
fn documents(text: Option<String>, source: &PageSource) -> Documents {
    match (text.map(|t| Documents::parse(&t)), source) {
        (Some(Ok(documents)), _) => documents,
        (Some(Err(e)), _) => {
            crate::log::note("vitrine.config", &format!("{e}; no page is personalized"));
            Documents::Nothing
        }
        (None, PageSource::Assets) => Documents::ByFileName,
        (None, PageSource::Origin(_)) => {
            crate::log::note(
                "vitrine.config",
                "DOCUMENT_PATHS is not set: in origin mode no page is personalized until it lists the paths that are pages",
            );
            Documents::Nothing
        }
    }
}

fn key_ring(name: &'static str, text: Option<String>) -> ParsedRing {
    let Some(text) = text else {
        return Err(format!("{name} is not set"));
    };
    RINGS.with(|cell| {
        let mut rings = cell.borrow_mut();
        if let Some((_, _, parsed)) = rings.iter().find(|(n, t, _)| *n == name && *t == text) {
            return parsed.clone();
        }
        let parsed = KeyRing::parse(&text)
            .map(Rc::new)
            .map_err(|e| format!("{name}: {e}"));
        rings.retain(|(n, _, _)| *n != name);
        rings.push((name, text, parsed.clone()));
        parsed
    })
}

/// The preview ring, refused when it shares a secret with the profile ring: whoever mints
/// profiles must not be able to mint previews.
fn preview_ring(preview: ParsedRing, profile: &ParsedRing) -> ParsedRing {
    match (preview, profile) {
        (Ok(p), Ok(k)) if p.shares_a_secret_with(k) => {
            Err("VITRINE_PREVIEW_KEYS shares a secret with VITRINE_COOKIE_KEYS".into())
        }
        (preview, _) => preview,
    }
}

fn consent(text: String) -> ParsedConsent {
    CONSENT.with(|cell| {
        let mut cell = cell.borrow_mut();
        if let Some((seen, parsed)) = cell.as_ref() {
            if *seen == text {
                return parsed.clone();
            }
        }
        let parsed = ConsentSource::parse(&text)
            .map(Rc::new)
            .map_err(|e| e.to_string());
        *cell = Some((text, parsed.clone()));
        parsed
    })
}

/// Headers dropped from document subrequests (revalidation is ours to decide).
const DOCUMENT_CONDITIONALS: &[&str] = &["if-none-match", "if-modified-since"];

/// The forwarded names as JS arrays, made once per configuration: those of a document's
/// subrequest (without the visitor's conditionals), those of any other, and whether
/// `Referer` is forwarded (its value is changed in WASM, so it is in neither array).
pub struct ForwardedNames {
    /// A document's subrequest.
    pub document: Array,
    /// Any other subrequest.
    pub other: Array,
    /// Whether `Referer` is forwarded.
    pub referer: bool,
}

impl ForwardedNames {
    /// The arrays for `forwarded`.
    pub fn of(forwarded: &Forwarded) -> Self {
        let (document, other) = (Array::new(), Array::new());
        let mut referer = false;
        for name in forwarded.names() {
            if name.eq_ignore_ascii_case("referer") {
                referer = true;
                continue;
            }
            let js = JsValue::from_str(name);
            other.push(&js);
            if !DOCUMENT_CONDITIONALS
                .iter()
                .any(|c| c.eq_ignore_ascii_case(name))
            {
                document.push(&js);
            }
        }
        Self {
            document,
            other,
            referer,
        }
    }
}
