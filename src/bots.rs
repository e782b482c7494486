//! Bots at the edge: reads the `User-Agent` and, only when that does not already say "bot"
//! and the zone has Cloudflare Bot Management (`BOT_MANAGEMENT = "on"`), the two Bot
//! Management fields of `request.cf` (`botManagement.verifiedBot` and `botManagement.score`),
//! and hands them to [`vitrine_core::bots::classify`]. Nothing else of `cf` is read here, and
//! without the setting `cf` is not read at all: the runtime builds the whole object on first
//! access, a cost every request of a zone without Bot Management would pay for nothing.

use crate::config::Config;
use crate::incoming::Incoming;
use worker::js_sys::Reflect;
use worker::wasm_bindgen::JsValue;

use vitrine_core::bots::{self, BotManagement, Traffic};

/// Who sent `req`: a visitor, or a crawler or tool.
pub fn traffic(req: &Incoming, cfg: &Config) -> Traffic {
    let ua = req.visitor_heads().ok().and_then(|h| h.user_agent());
    bots::classify(ua, || {
        if cfg.bot_management {
            bot_management(req)
        } else {
            BotManagement::default()
        }
    })
}

/// `request.cf.botManagement.{verifiedBot,score}`, each `None` when absent.
fn bot_management(req: &Incoming) -> BotManagement {
    let field = |of: &JsValue, name: &str| {
        Reflect::get(of, &JsValue::from_str(name))
            .ok()
            .filter(|v| !v.is_undefined() && !v.is_null())
    };
    let Some(bm) = field(req.inner(), "cf").and_then(|cf| field(&cf, "botManagement")) else {
        return BotManagement::default();
    };
    BotManagement {
        verified_bot: field(&bm, "verifiedBot").and_then(|v| v.as_bool()),
        score: field(&bm, "score")
            .and_then(|v| v.as_f64())
            .filter(|s| (0.0..=100.0).contains(s))
            .map(|s| s as u32),
    }
}
