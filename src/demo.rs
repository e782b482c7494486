//! The demo persona picker, served only when the `DEMO` var is set (never in the production
//! environment of wrangler.toml). `/__vitrine/demo` lists personas; `/__vitrine/demo?as=ID`
//! sets a profile cookie signed with the worker's own current key, exactly as a shop backend
//! would, and redirects home. Personas are data in `fixtures/demo/personas.json`.

use serde::Deserialize;
use worker::{Date, Response, Result};

use crate::incoming::Incoming;

use crate::config::Config;
use vitrine_core::cookie::{self, PROFILE_COOKIE};
use vitrine_core::render::{escape_attr, escape_text};

const PATH: &str = "/__vitrine/demo";
const PERSONAS: &str = include_str!("../fixtures/demo/personas.json");

#[derive(Deserialize)]
struct Persona {
    id: String,
    label: String,
    description: String,
    #[serde(default)]
    segments: Vec<String>,
}

/// Whether the demo owns this path.
pub fn owns(path: &str) -> bool {
    path == PATH
}

/// Serves the picker or sets a persona.
// Not inlined: see the crate docs, "Function size".
#[inline(never)]
pub fn handle(req: &Incoming, cfg: &Config) -> Result<Response> {
    let personas: Vec<Persona> = serde_json::from_slice(PERSONAS.as_bytes())?;
    let url = req.inner().url();
    let query = |name: &str| {
        form_urlencoded::parse(vitrine_core::delivery::query(&url).as_bytes())
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
    };
    if let Some(choice) = query("consent") {
        return consent_banner(&choice);
    }
    let chosen = query("as");
    match chosen {
        None => picker(&personas),
        Some(id) => choose(&personas, &id, cfg),
    }
}

fn picker(personas: &[Persona]) -> Result<Response> {
    let mut items = String::new();
    for p in personas {
        items.push_str(&format!(
            "<li><a href=\"{PATH}?as={}\">{}</a> — {}</li>",
            escape_attr(&p.id),
            escape_text(&p.label),
            escape_text(&p.description)
        ));
    }
    let html = format!(
        "<!doctype html><meta charset=utf-8><title>vitrine demo personas</title>\
         <link rel=stylesheet href=/style.css><main class=demo><h1>Pick a persona</h1>\
         <ul>{items}</ul><p>Then browse the shop: slots change per persona.</p>\
         <h2>Tracking consent</h2><p>Stands in for a cookie banner (<code>cookieconsent_status</code>). \
         With consent the edge keeps the activity cookie (recent views, visits).</p>\
         <p><a href=\"{PATH}?consent=allow\">Accept tracking</a> · \
         <a href=\"{PATH}?consent=deny\">Refuse tracking</a></p></main>"
    );
    let mut resp = Response::from_html(html)?;
    resp.headers_mut()
        .set("cache-control", "private, no-store")?;
    Ok(resp)
}

/// Sets the demo banner's consent cookie, as a cookieconsent banner would, and returns home.
fn consent_banner(choice: &str) -> Result<Response> {
    let value = if choice == "allow" { "allow" } else { "deny" };
    let mut resp = Response::empty()?.with_status(302);
    let h = resp.headers_mut();
    h.set("location", "/")?;
    h.set("cache-control", "private, no-store")?;
    h.set(
        "set-cookie",
        &format!("cookieconsent_status={value}; Path=/; Max-Age=31536000; SameSite=Lax"),
    )?;
    Ok(resp)
}

fn choose(personas: &[Persona], id: &str, cfg: &Config) -> Result<Response> {
    let Some(p) = personas.iter().find(|p| p.id == id) else {
        return Response::error("unknown persona", 404);
    };
    let mut resp = Response::empty()?.with_status(302);
    let h = resp.headers_mut();
    h.set("location", "/")?;
    h.set("cache-control", "private, no-store")?;
    if p.segments.is_empty() {
        h.set(
            "set-cookie",
            &format!("{PROFILE_COOKIE}=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax"),
        )?;
        return Ok(resp);
    }
    let Ok(ring) = &cfg.keys else {
        return Response::error("demo needs VITRINE_COOKIE_KEYS", 500);
    };
    let now = Date::now().as_millis() / 1000;
    let claims = serde_json::json!({ "sub": format!("demo-{}", p.id), "seg": p.segments, "iat": now, "exp": now + 86_400 });
    let token = cookie::mint(&claims, ring);
    h.set(
        "set-cookie",
        &format!("{PROFILE_COOKIE}={token}; Path=/; Max-Age=86400; HttpOnly; SameSite=Lax"),
    )?;
    Ok(resp)
}
