//! The studio's guard, run on every request before any page: the `Host` must be the studio's
//! own (a page elsewhere cannot reach it through DNS rebinding), every session gets a random
//! CSRF token, and every POST must carry its session's token or is refused with 403. Every
//! response gets a strict Content-Security-Policy (no script at all), `nosniff`, no referrer
//! and no framing; the sandboxed page frames set a policy of their own.

use std::sync::Arc;

use axum::body::{to_bytes, Body};
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::state::{AppState, Session};

/// The session cookie's name.
pub const COOKIE: &str = "vitrine_studio";
/// Sessions kept at most; beyond, all are forgotten (their forms then ask for a reload).
const MAX_SESSIONS: usize = 10_000;
/// The largest form accepted (a campaign file's raw TOML fits many times).
const MAX_FORM: usize = 4 * 1024 * 1024;

/// The policy of the studio's own pages: its stylesheet, its forms, frames from itself.
pub fn studio_csp() -> &'static str {
    "default-src 'none'; style-src 'self'; img-src 'self' data:; frame-src 'self'; \
     form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
}

/// `n` random bytes as hex, from the operating system.
pub fn random_hex(n: usize) -> Result<String, getrandom::Error> {
    let mut bytes = vec![0u8; n];
    getrandom::getrandom(&mut bytes)?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

fn refuse(status: StatusCode, why: &str) -> Response {
    let mut r = (status, format!("{why}\n")).into_response();
    r.headers_mut().insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'"),
    );
    r
}

fn cookie_session(req: &Request) -> Option<String> {
    let cookies = req.headers().get(header::COOKIE)?.to_str().ok()?;
    cookies.split(';').find_map(|c| {
        let (k, v) = c.trim().split_once('=')?;
        (k == COOKIE).then(|| v.to_owned())
    })
}

/// Compares without stopping at the first difference.
fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// The middleware: Host check, session, CSRF check on POST, security headers.
pub async fn guard(State(state): State<Arc<AppState>>, req: Request, next: Next) -> Response {
    let host = req
        .headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("");
    if !state.hosts.iter().any(|h| h == host) {
        return refuse(
            StatusCode::MISDIRECTED_REQUEST,
            "unknown Host: open the studio at the address it printed",
        );
    }
    let known = cookie_session(&req).and_then(|id| {
        let sessions = state.sessions.lock().ok()?;
        sessions.get(&id).map(|t| (id, t.clone()))
    });
    let mut req = req;
    if req.method() == Method::POST {
        let Some((_, token)) = &known else {
            return refuse(
                StatusCode::FORBIDDEN,
                "no studio session: reload the page and send the form again",
            );
        };
        let (parts, body) = req.into_parts();
        let Ok(bytes) = to_bytes(body, MAX_FORM).await else {
            return refuse(StatusCode::PAYLOAD_TOO_LARGE, "the form is too large");
        };
        let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(&bytes).unwrap_or_default();
        let sent = pairs
            .iter()
            .find(|(k, _)| k == "csrf")
            .map(|(_, v)| v.as_str());
        if !sent.is_some_and(|s| same(s, token)) {
            return refuse(StatusCode::FORBIDDEN, "this form did not come from this studio session (missing or wrong CSRF token): reload the page and send it again");
        }
        req = Request::from_parts(parts, Body::from(bytes));
    } else if req.method() != Method::GET && req.method() != Method::HEAD {
        return refuse(StatusCode::METHOD_NOT_ALLOWED, "only GET and POST");
    }
    let (session, new_cookie) = match known {
        Some((_, token)) => (Session { csrf: token }, None),
        None => {
            let (Ok(id), Ok(token)) = (random_hex(24), random_hex(24)) else {
                return refuse(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "no randomness from the operating system",
                );
            };
            if let Ok(mut sessions) = state.sessions.lock() {
                // Requests without cookies (scripts, curl) each open one: keep the map bounded.
                if sessions.len() >= MAX_SESSIONS {
                    sessions.clear();
                }
                sessions.insert(id.clone(), token.clone());
            }
            (Session { csrf: token }, Some(id))
        }
    };
    req.extensions_mut().insert(session);
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    if !h.contains_key(header::CONTENT_SECURITY_POLICY) {
        h.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(studio_csp()),
        );
        h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    }
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if let Some(id) = new_cookie {
        let c = format!("{COOKIE}={id}; Path=/; HttpOnly; SameSite=Strict");
        if let Ok(v) = HeaderValue::from_str(&c) {
            h.insert(header::SET_COOKIE, v);
        }
    }
    res
}
