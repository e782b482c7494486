//! `/compare`: one page of the site as several personas see it, side by side. Each rendering
//! is the core's own `preview` (the worker's decide, render and rewrite) of the campaigns as
//! they are on disk, shown in an `<iframe sandbox>` (no scripts, no same-origin) served with a
//! CSP of its own, with every slot outlined and named; under each frame, the decision trace
//! per slot (`vitrine_core::decide::explain`): which campaign won and why the others did not.
//! The page comes from `--pages DIR` or is fetched from `--site`; it is third-party content to
//! the studio and never runs in the studio's origin.

use std::io::Read as _;
use std::path::{Component, Path, PathBuf};
use std::time::Duration;

use maud::{html, Markup};
use vitrine_compile::Build;
use vitrine_core::decide::{explain, Context};
use vitrine_core::facts;
use vitrine_core::preview::preview;

use crate::campaigns::{diagnostic, moment, options};
use crate::layout::{page, Section};
use crate::persona_form::{self, Refused, Typed};
use crate::personas::{self, Persona};
use crate::state::{AppState, Session};
use crate::workspace::{folder, Workspace};

/// The style added to each rendered page: slots outlined and labelled.
const OUTLINE: &str = "<style>vitrine-slot,[data-vitrine-slot]{outline:3px dashed #d6336c!important;outline-offset:2px;display:block}\
vitrine-slot::before{content:'slot ' attr(name);display:block;font:600 12px system-ui,sans-serif;color:#fff;background:#d6336c;padding:1px 6px;width:max-content}</style>";

/// Where a page's HTML comes from.
pub enum PageSource<'a> {
    /// `--pages DIR`.
    Dir(&'a Path),
    /// `--site URL`.
    Site(&'a str),
}

/// The page source the studio was started with.
pub fn source(state: &AppState) -> Option<PageSource<'_>> {
    match (&state.config.pages, &state.config.site) {
        (Some(d), _) => Some(PageSource::Dir(d)),
        (None, Some(s)) => Some(PageSource::Site(s)),
        (None, None) => None,
    }
}

/// A site path under `dir`, refusing anything that leaves it.
pub fn under(dir: &Path, path: &str) -> Option<PathBuf> {
    let rel = Path::new(path.trim_start_matches('/'));
    if rel.components().any(|c| !matches!(c, Component::Normal(_))) {
        return None;
    }
    Some(dir.join(rel))
}

/// The page's bytes: `/` is `index.html`, `/c/dog` is `c/dog.html` or `c/dog/index.html`.
pub fn fetch_page(src: &PageSource<'_>, path: &str) -> Result<Vec<u8>, String> {
    // Appended to the site's URL, anything else could name another host (`@evil.example/`).
    if !path.starts_with('/') {
        return Err(format!(
            "{path}: not a page path (a page path starts with /)"
        ));
    }
    match src {
        PageSource::Dir(dir) => {
            let base = under(dir, path).ok_or_else(|| format!("{path}: not a page path"))?;
            let candidates = [
                base.join("index.html"),
                base.with_extension("html"),
                base.clone(),
            ];
            candidates
                .iter()
                .filter(|p| p.is_file())
                .find_map(|p| std::fs::read(p).ok())
                .ok_or_else(|| format!("no page for {path} in {}", dir.display()))
        }
        PageSource::Site(site) => {
            let url = format!("{}{}", site.trim_end_matches('/'), path);
            let agent = ureq::AgentBuilder::new()
                .timeout(Duration::from_secs(15))
                .build();
            let resp = agent.get(&url).call().map_err(|e| format!("{url}: {e}"))?;
            let mut out = Vec::new();
            std::io::Read::read_to_end(&mut resp.into_reader().take(10 * 1024 * 1024), &mut out)
                .map_err(|e| format!("{url}: {e}"))?;
            Ok(out)
        }
    }
}

/// The query of `/compare` and of the frames.
#[derive(serde::Deserialize, Default)]
pub struct Query {
    /// The page's path (`/`, `/c/dog`).
    pub page: Option<String>,
    /// Comma-separated persona ids.
    pub personas: Option<String>,
    /// One persona (frames).
    pub persona: Option<String>,
}

fn compile(state: &AppState, now: i64) -> Result<Build, Vec<vitrine_compile::CompileError>> {
    let ws = Workspace::read(&state.config.files);
    let build = ws.compile(None, &options(state, now))?;
    for (n, bytes) in build.shards.iter().enumerate() {
        // A shard that does not attach leaves its products unavailable, as in the worker.
        let _ = build.snapshot.attach_shard(n, bytes);
    }
    Ok(build)
}

/// Decides for `persona` on `path` and calls `f` with the context.
fn with_context<R>(
    build: &Build,
    persona: &Persona,
    path: &str,
    now: i64,
    f: impl FnOnce(&Context<'_>) -> R,
) -> R {
    let identity = persona.identity();
    let activity = persona.activity();
    let (path, query) = path.split_once('?').unwrap_or((path, ""));
    let sub = identity.profile().map(|p| p.sub.as_str());
    let mut ctx = Context::new(&identity, now)
        .with_url(path, query)
        .with_visitor(sub);
    ctx.activity = &activity;
    let snap = &build.snapshot;
    ctx.request.product = snap
        .activity()
        .product_path
        .as_deref()
        .and_then(|p| vitrine_core::cookie::activity::extract_id(p, path));
    ctx.request.country = persona.country.as_deref().and_then(facts::country);
    ctx.request.device = persona.device.as_deref().and_then(|d| {
        facts::device_class(Some(match d {
            "mobile" => "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Mobile",
            "tablet" => "Mozilla/5.0 (iPad; CPU OS 17_0 like Mac OS X)",
            _ => "Mozilla/5.0 (X11; Linux x86_64)",
        }))
    });
    f(&ctx)
}

fn persona_now(p: &Persona) -> i64 {
    moment(p.at.as_deref()).unwrap_or_else(|_| crate::campaigns::now())
}

/// `GET /compare`.
pub fn show(state: &AppState, session: &Session, q: &Query) -> (u16, Markup) {
    compare(state, session, q, None)
}

/// The compare page; after a refused persona save, the refusal first and the form as typed.
/// The refusal is shown whatever else the page can show.
fn compare(
    state: &AppState,
    session: &Session,
    q: &Query,
    refused: Option<(&Typed, &Refused)>,
) -> (u16, Markup) {
    let path = q.page.clone().unwrap_or_else(|| "/".into());
    let folder = folder(&state.config.files);
    let (all, unreadable) = match personas::all(&folder) {
        Ok(a) => (a, None),
        Err(why) => (Vec::new(), Some(why)),
    };
    let wanted = persona_form::compared(q.personas.as_deref());
    let chosen: Vec<&Persona> = wanted
        .iter()
        .filter_map(|w| all.iter().find(|p| &p.id == w))
        .collect();
    let src = source(state);
    let page_text = src.as_ref().map(|s| fetch_page(s, &path));
    let build = compile(state, crate::campaigns::now());
    let blank = Typed::blank(&path, &wanted.join(","));
    let (typed, why) = match refused {
        Some((typed, why)) => (typed, Some(why)),
        None => (&blank, None),
    };
    let body = html! {
        @if let Some(why) = why { p.diag role="alert" { "Persona not saved: " (why) } }
        // A refusal because the file cannot be read already says so.
        @if let (Some(unreadable), false) = (&unreadable, matches!(why, Some(Refused::File(_)))) {
            p.diag role="alert" { (unreadable) }
        }
        form method="get" action="/compare" {
            label for="page" { "Page" } " "
            input #page type="text" name="page" value=(path) aria-describedby="page-help";
            " "
            " "
            label for="personas" { "Personas, in order" } " "
            input #personas type="text" name="personas" value=(wanted.join(",")) aria-describedby="personas-help";
            " "
            button type="submit" { "Show" }
            div #page-help .hint { "A path of the site, e.g. / or /c/dog. Slots are outlined in pink." }
            div #personas-help .hint {
                "Persona ids, comma-separated. Available: "
                @for (i, p) in all.iter().enumerate() {
                    @if i > 0 { ", " }
                    code { (p.id) } " (" (p.label) ")"
                }
                "."
            }
        }
        @match (&src, &page_text, &build) {
            (None, _, _) => p.diag role="alert" { "No pages to show: start the studio with --pages DIR or --site URL." },
            (_, Some(Err(why)), _) => p.diag role="alert" { (why) },
            (_, _, Err(errors)) => {
                p.diag role="alert" { "The campaigns do not compile; fix them first:" }
                @for e in errors { (diagnostic(e)) }
            }
            (Some(_), Some(Ok(bytes)), Ok(build)) => {
                div.personas {
                    @for p in &chosen {
                        section.persona aria-label={ "As " (p.label) } {
                            h2 { (p.label) }
                            p.hint { (summary(p)) }
                            iframe sandbox="" title={ (p.label) ": " (path) }
                                src={ "/frame?page=" (encode(&path)) "&persona=" (encode(&p.id)) } {}
                            (trace(build, p, &path, bytes))
                        }
                    }
                }
            }
            _ => {}
        }
        (persona_form::render(session, typed, why))
    };
    let status = if unreadable.is_some() { 500 } else { 200 };
    (status, page("Compare personas", Section::Compare, body))
}

fn summary(p: &Persona) -> String {
    let mut parts = Vec::new();
    if p.segments.is_empty() && p.attrs.is_empty() {
        parts.push("anonymous (no profile cookie)".to_owned());
    } else if !p.segments.is_empty() {
        parts.push(format!("segments {}", p.segments.join(", ")));
    }
    for v in &p.viewed {
        parts.push(format!("viewed {} ×{}", v.product, v.times));
    }
    if !p.consent {
        parts.push("no consent".into());
    }
    if let Some(d) = &p.device {
        parts.push(d.clone());
    }
    if let Some(c) = &p.country {
        parts.push(c.clone());
    }
    if let Some(a) = &p.at {
        parts.push(format!("at {a}"));
    }
    parts.join(" · ")
}

/// Percent-encodes a query value.
pub fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'/' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn trace(build: &Build, p: &Persona, path: &str, page_bytes: &[u8]) -> Markup {
    let text = String::from_utf8_lossy(page_bytes);
    let rows = with_context(build, p, path, persona_now(p), |ctx| {
        explain(&build.snapshot, ctx)
            .into_iter()
            .filter(|(slot, _)| {
                text.contains(&format!("name=\"{slot}\""))
                    || text.contains(&format!("data-vitrine-slot=\"{slot}\""))
            })
            .map(|(slot, list)| {
                let list: Vec<(String, &'static str, bool)> = list
                    .into_iter()
                    .map(|(c, v)| (c.to_owned(), v.reason(), v.reason() == "chosen"))
                    .collect();
                (slot.to_owned(), list)
            })
            .collect::<Vec<_>>()
    });
    html! {
        details.trace open {
            summary { "Decision trace per slot" }
            table {
                thead { tr { th { "Slot" } th { "Campaign" } th { "Verdict" } } }
                tbody {
                    @for (slot, list) in &rows {
                        @if list.iter().all(|(_, _, won)| !won) {
                            tr { td { (slot) } td { "—" } td { "page default (no campaign chosen)" } }
                        }
                        @for (c, why, won) in list {
                            tr { td { (slot) } td { a href={ "/campaigns/" (c) } { (c) } } td class=[won.then_some("chosen")] { (why) } }
                        }
                    }
                }
            }
        }
    }
}

/// `GET /frame`: the page as one persona sees it, for a sandboxed iframe; and its CSP.
pub fn frame(state: &AppState, q: &Query) -> Result<(Vec<u8>, String), (u16, String)> {
    let path = q.page.clone().unwrap_or_else(|| "/".into());
    let folder = folder(&state.config.files);
    let all = personas::all(&folder).map_err(|e| (500, e))?;
    let id = q.persona.as_deref().unwrap_or("new");
    let p = all
        .iter()
        .find(|p| p.id == id)
        .ok_or((404, format!("no persona {id}")))?;
    let src = source(state).ok_or((404, "no --pages or --site".to_owned()))?;
    let bytes = fetch_page(&src, &path).map_err(|e| (404, e))?;
    let now = persona_now(p);
    let build =
        compile(state, now).map_err(|_| (422, "the campaigns do not compile".to_owned()))?;
    let out = with_context(&build, p, &path, now, |ctx| {
        preview(&build.snapshot, ctx, &bytes, None).map(|(out, _)| out)
    })
    .map_err(|e| (500, e.to_string()))?;
    let mut html_text = String::from_utf8_lossy(&out).into_owned();
    let asset_origin = match &src {
        PageSource::Dir(_) => state.origin.clone(),
        PageSource::Site(site) => {
            // Relative URLs of the page resolve against the site: the base goes first in <head>.
            let base = format!(
                "<base href=\"{}/\">",
                vitrine_core::render::escape_attr(site.trim_end_matches('/'))
            );
            let at = html_text
                .find("<head")
                .and_then(|i| html_text[i..].find('>').map(|j| i + j + 1))
                .unwrap_or(0);
            html_text.insert_str(at, &base);
            site_origin(site)
        }
    };
    match html_text.find("</head>") {
        Some(i) => html_text.insert_str(i, OUTLINE),
        None => html_text.insert_str(0, OUTLINE),
    }
    let csp = format!(
        "sandbox; default-src 'none'; style-src {asset_origin} 'unsafe-inline'; img-src {asset_origin} data:; font-src {asset_origin}; form-action 'none'; base-uri {asset_origin}"
    );
    Ok((html_text.into_bytes(), csp))
}

/// `https://shop.example/any/path` → `https://shop.example`.
fn site_origin(site: &str) -> String {
    let after = site.find("://").map_or(0, |i| i + 3);
    let end = site[after..].find('/').map_or(site.len(), |j| after + j);
    site[..end].to_owned()
}

/// `POST /personas`: saves the persona, or answers with the compare page the form was on: why
/// not first, as an alert, and the form filled with what was typed.
pub fn save_persona(
    state: &AppState,
    session: &Session,
    pairs: &[(String, String)],
) -> Result<String, (u16, Markup)> {
    let typed = Typed::posted(pairs);
    persona_form::save(state, &typed).map_err(|why| {
        let q = Query {
            page: Some(typed.page.clone()).filter(|p| !p.is_empty()),
            personas: Some(typed.personas.clone()).filter(|p| !p.is_empty()),
            persona: None,
        };
        let (_, page) = compare(state, session, &q, Some((&typed, &why)));
        (why.status(), page)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_paths_never_leave_the_pages_folder() {
        let dir = Path::new("/site");
        assert_eq!(under(dir, "/c/dog"), Some(PathBuf::from("/site/c/dog")));
        assert_eq!(under(dir, "/"), Some(PathBuf::from("/site/")));
        for bad in ["/../etc/passwd", "/c/../../x", "//etc/passwd/.."] {
            assert_eq!(under(dir, bad), None, "{bad}");
        }
    }

    #[test]
    fn the_site_origin_drops_the_path() {
        assert_eq!(
            site_origin("https://shop.example/de/"),
            "https://shop.example"
        );
        assert_eq!(
            site_origin("http://127.0.0.1:8787"),
            "http://127.0.0.1:8787"
        );
    }

    /// Regression: the site's URL was the site and the path put together, so a path that
    /// does not start with `/` (`@evil.example/`) named another host, from the compare form
    /// or a persona form's hidden field.
    #[test]
    fn a_page_path_names_a_page_of_the_site_only() {
        let site = PageSource::Site("http://127.0.0.1:9");
        for path in ["@evil.example/", "evil.example", ".evil.example/", ""] {
            let err = fetch_page(&site, path).unwrap_err();
            assert!(err.contains("not a page path"), "{path}: {err}");
        }
    }

    #[test]
    fn query_values_are_percent_encoded() {
        assert_eq!(encode("/c/dog?x=1&y"), "/c/dog%3Fx%3D1%26y");
    }
}
