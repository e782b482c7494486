//! One structured JSON log line per notable event. Never logs cookies or tokens; the only
//! identifier ever logged is the consented one in experiment exposures ([`crate::exposure`]).

use serde_json::json;

/// Logs why a document was served unchanged.
pub fn bypass(reason: &str, path: &str, detail: &str) {
    worker::console_log!(
        "{}",
        json!({ "level": "warn", "event": "vitrine.bypass", "reason": reason, "path": path, "detail": detail })
    );
}

/// Logs an event that did not change the response.
pub fn note(event: &str, detail: &str) {
    worker::console_log!(
        "{}",
        json!({ "level": "info", "event": event, "detail": detail })
    );
}

/// Logs experiment exposure events after the response is under way (`ctx.wait_until`), so
/// logging never delays the page.
pub fn exposures(ctx: &worker::Context, lines: Vec<String>) {
    if lines.is_empty() {
        return;
    }
    ctx.wait_until(async move {
        for line in lines {
            worker::console_log!("{line}");
        }
    });
}
