//! Preview requests at the edge: finds and verifies a preview token
//! ([`vitrine_core::preview_token`]) and says what a preview response must not do.
//!
//! A valid token (query `vitrine_preview` or header `x-vitrine-preview`) makes the request a
//! preview: the decision uses what the token forces, the response carries
//! `x-vitrine-explain` and is `private, no-store`, and it leaves no trace in measurement: no
//! activity cookie is written (no impressions, offers or assignments recorded) and no exposure
//! event is logged. A refused token (or one sent while `VITRINE_PREVIEW_KEYS` is unset or
//! unusable) is ignored: the visitor gets the normal page, and one log line gives the reason.
//! The token never reaches the page source ([`vitrine_core::preview_token::strip_param`]).

use crate::incoming::Incoming;

use crate::config::Config;
use crate::log;
use vitrine_core::delivery;
use vitrine_core::preview_token::{self, Preview};

/// The response header carrying the decision trace.
pub const EXPLAIN_HEADER: &str = "x-vitrine-explain";

/// The verified preview of this request, if it carries a valid token.
// Not inlined: see the crate docs, "Function size".
#[inline(never)]
pub fn resolve(req: &Incoming, url: &str, cfg: &Config, now: u64) -> Option<Preview> {
    let header = req.visitor_heads().ok().and_then(|h| h.preview());
    let token = preview_token::find(delivery::query(url), header)?;
    let ring = match &cfg.preview_keys {
        Some(Ok(ring)) => ring,
        Some(Err(why)) => {
            log::note("vitrine.preview_refused", &format!("config: {why}"));
            return None;
        }
        None => {
            log::note("vitrine.preview_refused", "no_keys");
            return None;
        }
    };
    match preview_token::verify(token, ring, now) {
        Ok(verified) => Some(verified.preview),
        Err(why) => {
            log::note("vitrine.preview_refused", why.code());
            None
        }
    }
}
