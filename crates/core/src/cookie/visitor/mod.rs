//! One request's visitor: the verified profile, consent, and the activity cookie together.
//!
//! [`resolve`] is the whole identity stage as a pure function of the request's `Cookie` and
//! `Sec-GPC` headers, its path and the clock; the Worker shell only adapts headers and config.
//! Without consent it never looks at the activity cookie's value and never mints an id; if the
//! browser still holds an activity cookie from before, [`Visitor::set_cookie`] deletes it.
//!
//! The activity record is bound to the profile it was used with
//! ([`super::activity::Subject`]): a signed-in visitor's first page view binds an anonymous
//! record to their `sub`, and a record bound to another `sub` is replaced by a fresh one, so
//! one shopper's activity (sticky arms, offers, counted orders) never becomes another's on a
//! shared browser or by a copied cookie. An anonymous visitor keeps the record they present,
//! bound or not: a profile cookie that merely expired is not a different person.

use super::activity::{self, extract_id, Activity, Caps, Subject, ACTIVITY_COOKIE};
use super::consent::{self, Consent, ConsentSource};
use super::header::{self, Lookup};
use super::{
    identify, identify_cached, Identity, KeyRing, PseudonymKey, Rejection, TimePolicy,
    VerifiedTokens, VisitorId,
};

/// Identity settings, built once per isolate by the shell.
#[derive(Debug, Clone)]
pub struct Settings<'a> {
    /// Profile cookie key ring (`VITRINE_COOKIE_KEYS`).
    pub profile_keys: &'a KeyRing,
    /// Activity cookie key ring (`VITRINE_ACTIVITY_KEYS`); `None` turns activity off.
    pub activity_keys: Option<&'a KeyRing>,
    /// Time checks for the profile cookie.
    pub time: TimePolicy,
    /// Where consent comes from.
    pub consent: &'a ConsentSource,
    /// Lifetime of the activity cookie; older activity starts afresh.
    pub activity_max_age_secs: u64,
    /// Per-list caps of the activity cookie.
    pub caps: Caps,
    /// The ring whose current key makes pseudonyms (`VITRINE_PSEUDONYM_KEY`); `None`: the
    /// profile ring's ([`PseudonymKey`]).
    pub pseudonym_keys: Option<&'a KeyRing>,
}

/// URL patterns (from the snapshot) that name a product or category page.
#[derive(Debug, Clone, Copy, Default)]
pub struct Paths<'a> {
    /// For example `/p/{id}`.
    pub product: Option<&'a str>,
    /// For example `/c/{id}`.
    pub category: Option<&'a str>,
}

/// What one request carries.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    /// The `Cookie` header.
    pub cookie: Option<&'a str>,
    /// The `Sec-GPC` header.
    pub gpc: Option<&'a str>,
    /// The URL path.
    pub path: &'a str,
    /// Unix seconds.
    pub now: u64,
}

/// The identity stage's result for one request.
#[derive(Debug, Clone)]
pub struct Visitor {
    /// The verified profile, or an anonymous visitor with the refusal reason.
    pub identity: Identity,
    /// Consent to tracking.
    pub consent: Consent,
    /// The updated activity, only with consent and an activity key ring.
    pub activity: Option<Activity>,
    /// Why a presented activity cookie was refused (it is then replaced by a fresh one).
    pub activity_rejected: Option<Rejection>,
    /// No consent, but the browser holds an activity cookie: delete it.
    clear: bool,
    /// What this site's pseudonyms are made with ([`Visitor::pseudonym`]).
    pseudonym_key: PseudonymKey,
}

/// Resolves identity, consent and activity for one request.
///
/// ```
/// use vitrine_core::cookie::activity::Caps;
/// use vitrine_core::cookie::visitor::{resolve, Paths, Request, Settings};
/// use vitrine_core::cookie::{ConsentSource, KeyRing, TimePolicy};
///
/// let profile_keys = KeyRing::parse("p1:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8").unwrap();
/// let activity_keys = KeyRing::parse("a1:HyAhIiMkJSYnKCkqKywtLi8wMTIzNDU2Nzg5Ojs8PT4").unwrap();
/// let consent = ConsentSource::parse("cookie:cookieconsent_status=allow").unwrap();
/// let settings = Settings {
///     profile_keys: &profile_keys,
///     activity_keys: Some(&activity_keys),
///     time: TimePolicy::default(),
///     consent: &consent,
///     activity_max_age_secs: 30 * 86_400,
///     caps: Caps::default(),
///     pseudonym_keys: None,
/// };
/// let paths = Paths { product: Some("/p/{id}"), category: None };
/// let req = Request { cookie: Some("cookieconsent_status=allow"), gpc: None, path: "/p/p0001", now: 1_800_000_000 };
/// let mut visitor = resolve(req, &settings, paths);
/// assert_eq!(visitor.activity.as_ref().unwrap().product_views("p0001"), 1);
/// let set_cookie = visitor.set_cookie(&settings).unwrap();
/// assert!(set_cookie.starts_with("__Host-vitrine_activity=a1."));
///
/// // The same visitor with `Sec-GPC: 1`: nothing is read, written or minted.
/// let mut private = resolve(Request { gpc: Some("1"), ..req }, &settings, paths);
/// assert!(private.activity.is_none() && private.set_cookie(&settings).is_none());
/// ```
pub fn resolve(req: Request<'_>, settings: &Settings<'_>, paths: Paths<'_>) -> Visitor {
    resolve_with(req, settings, paths, None)
}

/// [`resolve`], with the profile tokens the profile ring verified before remembered in
/// `verified` ([`VerifiedTokens`]: it must belong to `settings.profile_keys`). The result is
/// the same as [`resolve`]'s for every request.
pub fn resolve_cached(
    req: Request<'_>,
    settings: &Settings<'_>,
    paths: Paths<'_>,
    verified: &VerifiedTokens,
) -> Visitor {
    resolve_with(req, settings, paths, Some(verified))
}

// Not inlined into the Worker's request function (see [`crate::view()`]).
#[inline(never)]
fn resolve_with(
    req: Request<'_>,
    settings: &Settings<'_>,
    paths: Paths<'_>,
    verified: Option<&VerifiedTokens>,
) -> Visitor {
    let (ring, time) = (settings.profile_keys, settings.time);
    let identity = match verified {
        Some(verified) => identify_cached(req.cookie, ring, req.now, time, verified),
        None => identify(req.cookie, ring, req.now, time),
    };
    let consent = consent::evaluate(settings.consent, req.cookie, req.gpc, identity.profile());
    let present = req
        .cookie
        .is_some_and(|h| header::find(h, ACTIVITY_COOKIE) != Lookup::Missing);
    let mut visitor = Visitor {
        identity,
        consent,
        activity: None,
        activity_rejected: None,
        clear: present && !consent.granted(),
        pseudonym_key: PseudonymKey::of(settings.pseudonym_keys.unwrap_or(settings.profile_keys)),
    };
    if let (true, Some(ring)) = (consent.granted(), settings.activity_keys) {
        let (mut activity, rejected) = read(req, ring, settings.activity_max_age_secs);
        bind(&mut activity, &visitor.identity, req.now);
        activity.touch(req.now);
        if activity.visitor.is_none() && visitor.identity.profile().is_none_or(|p| p.sub.is_empty())
        {
            // No profile (or one without `sub`): a random pseudonymous id, as consent allows.
            activity.visitor = VisitorId::random().ok();
        }
        record_page(&mut activity, paths, req);
        visitor.activity = Some(activity);
        visitor.activity_rejected = rejected;
    }
    visitor
}

/// The presented activity, or a fresh one (with the reason a presented one was refused).
fn read(req: Request<'_>, ring: &KeyRing, max_age: u64) -> (Activity, Option<Rejection>) {
    let fresh = || Activity::new(req.now, None);
    match req.cookie.map(|h| header::find(h, ACTIVITY_COOKIE)) {
        None | Some(Lookup::Missing) => (fresh(), None),
        Some(Lookup::Ambiguous) => (fresh(), Some(Rejection::Ambiguous)),
        Some(Lookup::Found(value)) => match activity::open(value, ring) {
            Ok(opened) if req.now.saturating_sub(opened.activity.last_seen) > max_age => {
                (fresh(), Some(Rejection::Stale))
            }
            Ok(opened) => (opened.activity, None),
            Err(why) => (fresh(), Some(why)),
        },
    }
}

/// Binds `activity` to the visitor's profile `sub`, or replaces it with a fresh record when it
/// is bound to another one (see the module docs).
fn bind(activity: &mut Activity, identity: &Identity, now: u64) {
    let Some(sub) = identity.profile().map(|p| &p.sub).filter(|s| !s.is_empty()) else {
        return;
    };
    let subject = Subject::of(sub);
    if activity.subject.as_ref().is_some_and(|s| *s != subject) {
        *activity = Activity::new(now, None);
    }
    activity.subject = Some(subject);
}

fn record_page(activity: &mut Activity, paths: Paths<'_>, req: Request<'_>) {
    if let Some(id) = paths.product.and_then(|p| extract_id(p, req.path)) {
        activity.record_product_view(id, req.now);
    }
    if let Some(id) = paths.category.and_then(|p| extract_id(p, req.path)) {
        activity.record_category_view(id, req.now);
    }
}

impl Visitor {
    /// An identifier that may appear in an exposure log: the profile's `sub` or the visitor
    /// id, and only with consent. Without consent: `None`, always.
    pub fn loggable_id(&self) -> Option<String> {
        if !self.consent.granted() {
            return None;
        }
        match (&self.identity, &self.activity) {
            (Identity::Profile(p), _) if !p.sub.is_empty() => Some(p.sub.clone()),
            (_, Some(a)) => a.visitor.map(|id| id.to_hex()),
            _ => None,
        }
    }

    /// The pseudonym of [`Visitor::loggable_id`], keyed with the site's secret: the only
    /// identifier an event carries, and only with consent.
    pub fn pseudonym(&self) -> Option<String> {
        self.loggable_id()
            .map(|id| self.pseudonym_key.pseudonym(&id))
    }

    /// Counts one impression per shown campaign (for frequency caps); no-op without consent.
    pub fn record_impressions<'c>(
        &mut self,
        campaigns: impl IntoIterator<Item = &'c str>,
        now: u64,
    ) {
        if let Some(activity) = &mut self.activity {
            for campaign in campaigns {
                activity.record_impression(campaign, now);
            }
        }
    }

    /// The `Set-Cookie` value to send: the re-signed activity cookie (current key, trimmed to
    /// fit), a deletion when consent is missing but a cookie was presented, or nothing.
    pub fn set_cookie(&mut self, settings: &Settings<'_>) -> Option<String> {
        match (&mut self.activity, settings.activity_keys) {
            (Some(activity), Some(ring)) => {
                let value = activity::seal(activity, ring, settings.caps);
                Some(activity::set_cookie(&value, settings.activity_max_age_secs))
            }
            _ if self.clear => Some(activity::clear_cookie()),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests;
