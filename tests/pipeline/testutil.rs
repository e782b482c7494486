//! Fixtures the pipeline tests share: one campaign file compiled, and a visitor resolved with
//! fixed test key rings (consent is the `cookieconsent_status=allow` cookie).

use vitrine_compile::{compile, Source};
use vitrine_core::cookie::activity::Caps;
use vitrine_core::cookie::visitor::{resolve, Paths, Request, Settings, Visitor};
use vitrine_core::cookie::{ConsentSource, KeyRing, TimePolicy};
use vitrine_core::Snapshot;

/// The cookie that gives consent to the test visitor.
pub const CONSENT: &str = "cookieconsent_status=allow";

/// One campaign file, compiled; panics with the diagnostics if it does not compile.
pub fn compiled(text: &str) -> Snapshot {
    match compile(&[Source {
        name: "t.toml",
        text,
    }]) {
        Ok(snapshot) => snapshot,
        Err(errors) => panic!("the test campaign does not compile: {errors:?}"),
    }
}

/// The profile key ring of [`visitor`] (which also makes its pseudonyms).
pub const PROFILE_KEYS: &str = "p1:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8";

/// The visitor a request with `cookie` (and `Sec-GPC: gpc`) resolves to at `now`.
pub fn visitor(cookie: &str, gpc: Option<&str>, now: u64) -> Visitor {
    let profile = KeyRing::parse(PROFILE_KEYS).unwrap();
    let activity = KeyRing::parse("a1:HyAhIiMkJSYnKCkqKywtLi8wMTIzNDU2Nzg5Ojs8PT4").unwrap();
    let consent = ConsentSource::parse(&format!("cookie:{CONSENT}")).unwrap();
    let settings = Settings {
        profile_keys: &profile,
        activity_keys: Some(&activity),
        time: TimePolicy::default(),
        consent: &consent,
        activity_max_age_secs: 30 * 86_400,
        caps: Caps::default(),
        pseudonym_keys: None,
    };
    let req = Request {
        cookie: Some(cookie),
        gpc,
        path: "/",
        now,
    };
    resolve(req, &settings, Paths::default())
}
