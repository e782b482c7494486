//! The identity stage at the edge: adapts the request to [`vitrine_core::cookie::visitor`] and puts
//! the activity cookie on the response.
//!
//! Logs carry reason codes only, never a cookie, token, `sub` or visitor id. A response that
//! sets a cookie is always `private, no-store`.

use worker::Result;

use crate::response::Response;

use crate::incoming::Incoming;

use crate::config::Config;
use crate::log;
use vitrine_core::bots::{self, Traffic};
use vitrine_core::cookie::activity::Caps;
use vitrine_core::cookie::visitor::{self, Paths, Settings, Visitor};
use vitrine_core::cookie::{ConsentSource, Identity, KeyRing};
use vitrine_core::delivery;
use vitrine_core::Snapshot;

/// Everyone is untracked when `CONSENT` is refused (the config error is logged).
const NOBODY: ConsentSource = ConsentSource::Never;

fn settings<'a>(cfg: &'a Config, ring: &'a KeyRing) -> Settings<'a> {
    Settings {
        profile_keys: ring,
        activity_keys: match &cfg.activity_keys {
            Some(Ok(ring)) => Some(ring),
            _ => None,
        },
        time: cfg.time,
        consent: cfg.consent.as_deref().unwrap_or(&NOBODY),
        activity_max_age_secs: cfg.activity_max_age_secs,
        caps: Caps::default(),
        // Unset or refused (logged): pseudonyms are made with the profile ring's key.
        pseudonym_keys: match &cfg.pseudonym_keys {
            Some(Ok(ring)) => Some(ring),
            _ => None,
        },
    }
}

/// Verifies the profile, decides consent, and reads and updates the activity (with consent).
/// A bot's request is resolved as an anonymous visitor's without consent ([`bots::as_seen`]).
pub fn resolve(
    req: &Incoming,
    cfg: &Config,
    ring: &KeyRing,
    snapshot: &Snapshot,
    now: u64,
    traffic: Traffic,
) -> Result<Visitor> {
    let heads = req.visitor_heads()?;
    let path = req.path();
    let paths = Paths {
        product: snapshot.activity().product_path.as_deref(),
        category: snapshot.activity().category_path.as_deref(),
    };
    let input = visitor::Request {
        cookie: heads.cookie(),
        gpc: heads.gpc(),
        path,
        now,
    };
    let visitor = visitor::resolve_cached(
        bots::as_seen(traffic, input),
        &settings(cfg, ring),
        paths,
        &cfg.verified,
    );
    if let Identity::Anonymous {
        rejected: Some(why),
    } = &visitor.identity
    {
        log::note_repeated("vitrine.cookie_rejected", why.code());
    }
    if let Some(why) = visitor.activity_rejected {
        log::note_repeated("vitrine.activity_rejected", why.code());
    }
    for problem in [
        cfg.consent.as_ref().err(),
        cfg.activity_keys.as_ref().and_then(|r| r.as_ref().err()),
        cfg.pseudonym_keys.as_ref().and_then(|r| r.as_ref().err()),
    ]
    .into_iter()
    .flatten()
    {
        log::note("vitrine.config", problem);
    }
    Ok(visitor)
}

/// Counts the impressions of the campaigns `shown` and returns the `Set-Cookie` value, if any.
pub fn set_cookie(
    visitor: &mut Visitor,
    cfg: &Config,
    ring: &KeyRing,
    shown: &[String],
    now: u64,
) -> Option<String> {
    visitor.record_impressions(shown.iter().map(String::as_str), now);
    visitor.set_cookie(&settings(cfg, ring))
}

/// Adds `set_cookie` to a finished response, making it `private, no-store` without the page's
/// validators or any cache directive ([`delivery::keeps_on_cookie_response`]): a response that
/// sets the activity cookie is the visitor's alone.
pub fn finish(resp: Response, set_cookie: Option<&str>) -> Result<Response> {
    if let Some(value) = set_cookie {
        let headers = resp.headers();
        // Deleting the few dropped names is keeps_on_cookie_response applied to each header,
        // without walking them all across the JS boundary.
        for name in delivery::PER_VISITOR_DROPPED {
            headers.delete(name)?;
        }
        headers.append("set-cookie", value)?;
        headers.set("cache-control", delivery::PERSONALIZED_CACHE_CONTROL)?;
    }
    Ok(resp)
}
