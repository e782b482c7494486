//! The frame every studio page shares: navigation, skip link, the stylesheet (one file,
//! served from the studio itself so the Content-Security-Policy needs no inline style).

use maud::{html, Markup, DOCTYPE};

/// The studio's stylesheet, served at `/studio.css`.
pub const CSS: &str = r#"
:root{--ink:#1d1d1f;--muted:#5a5a60;--line:#d5d5db;--accent:#1f5fbf;--bad:#b00020;--warn:#8a5a00;--ok:#0a7d32}
*{box-sizing:border-box}body{margin:0;font:15px/1.45 system-ui,sans-serif;color:var(--ink);background:#fafafa}
a{color:var(--accent)}a:focus,button:focus,input:focus,textarea:focus,select:focus,summary:focus{outline:3px solid #f4b400;outline-offset:2px}
.skip{position:absolute;left:-999px}.skip:focus{left:1rem;top:1rem;background:#fff;padding:.5rem;z-index:9}
header{background:#1d1d1f;color:#fff;padding:.6rem 1.2rem;display:flex;gap:1.5rem;align-items:center}
header a{color:#fff;text-decoration:none;padding:.2rem .4rem}header a[aria-current]{border-bottom:3px solid #f4b400}
header strong{font-size:1.1rem;margin-right:1rem}main{padding:1rem 1.5rem;max-width:1400px}
table{border-collapse:collapse;width:100%;background:#fff}th,td{text-align:left;padding:.35rem .5rem;border-bottom:1px solid var(--line);vertical-align:top}
.diag{border-left:5px solid var(--bad);background:#fff;padding:.5rem .8rem;margin:.5rem 0}.diag.warning{border-color:var(--warn)}
.diag code{font-size:.9rem}.hint{color:var(--muted)}.state-live{color:var(--ok);font-weight:600}.state-ended{color:var(--muted)}.state-scheduled{color:var(--warn);font-weight:600}
form.edit{display:grid;grid-template-columns:minmax(0,1fr) minmax(0,1fr);gap:1rem 2rem;background:#fff;padding:1rem;border:1px solid var(--line)}
.field{display:flex;flex-direction:column;gap:.25rem}.field.wide{grid-column:1/-1}label{font-weight:600}
input[type=text],textarea,select{font:inherit;padding:.4rem;border:1px solid #8a8a90;border-radius:4px;width:100%}textarea{min-height:6rem;font-family:ui-monospace,monospace;font-size:.9rem}
.field .error{color:var(--bad);font-weight:600}.field.invalid input,.field.invalid textarea{border:2px solid var(--bad)}
.field .help{color:var(--muted);font-size:.88rem}
button{font:inherit;padding:.45rem 1rem;border-radius:4px;border:1px solid var(--accent);background:var(--accent);color:#fff;cursor:pointer}
button.secondary{background:#fff;color:var(--accent)}button.danger{background:var(--bad);border-color:var(--bad)}
.actions{grid-column:1/-1;display:flex;gap:1rem}.notice{background:#e8f3ea;border-left:5px solid var(--ok);padding:.6rem .8rem}
.verdict{background:#fff;border:1px solid var(--line);padding:.5rem .8rem;margin:.5rem 0}
.personas{display:grid;grid-template-columns:repeat(auto-fit,minmax(360px,1fr));gap:1rem}
.persona{background:#fff;border:1px solid var(--line);padding:.5rem}.persona iframe{width:100%;height:760px;border:1px solid var(--line);background:#fff}
.persona h2{font-size:1.05rem;margin:.2rem 0 .4rem}.trace{font-size:.85rem}.trace td{padding:.2rem .3rem}.chosen{font-weight:700;color:var(--ok)}
fieldset{border:1px solid var(--line);background:#fff;margin:1rem 0}legend{font-weight:700}
pre{white-space:pre-wrap;background:#fff;border:1px solid var(--line);padding:.5rem}
.results iframe{width:100%;height:900px;border:1px solid var(--line);background:#fff}
"#;

/// Which section a page belongs to (for `aria-current`).
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Section {
    /// `/campaigns` and the edit pages.
    Campaigns,
    /// `/compare`.
    Compare,
    /// `/publish`.
    Publish,
    /// `/results`.
    Results,
}

/// A whole page: head, navigation and `body` in `<main>`.
pub fn page(title: &str, current: Section, body: Markup) -> Markup {
    let nav = [
        (Section::Campaigns, "/campaigns", "Campaigns"),
        (Section::Compare, "/compare", "Compare"),
        (Section::Publish, "/publish", "Publish"),
        (Section::Results, "/results", "Results"),
    ];
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · vitrine studio" }
                link rel="stylesheet" href="/studio.css";
            }
            body {
                a.skip href="#main" { "Skip to content" }
                header {
                    strong { "vitrine studio" }
                    nav aria-label="Sections" {
                        @for (section, href, label) in nav {
                            @if section == current {
                                a href=(href) aria-current="page" { (label) }
                            } @else {
                                a href=(href) { (label) }
                            }
                        }
                    }
                }
                main #main { h1 { (title) } (body) }
            }
        }
    }
}

/// The hidden field that carries the session's CSRF token in every form that changes state.
pub fn csrf(token: &str) -> Markup {
    html! { input type="hidden" name="csrf" value=(token); }
}
