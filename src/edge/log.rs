//! One structured JSON log line per notable event. Never logs cookies, tokens or visitor ids.

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
