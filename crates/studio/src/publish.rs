//! `/publish`: what changes against the active version (`vitrine_compile::diff`), the warnings
//! that stand, then a confirmation page before anything is written; the history of versions
//! with a rollback (also confirmed). Writing goes through the CLI's publish path
//! ([`crate::Backend`]), the same as `vitrine publish` and `vitrine rollback`.
//!
//! A warning is accepted the way the CLI accepts it: in the campaign files. Ticking a warning
//! and choosing "Acknowledge" records it in the `[acknowledge]` table of the file the warning
//! is in ([`crate::acknowledge`], the rest of the file untouched), so the acceptance is part of
//! the files' history, and `vitrine publish` of the same files accepts exactly what the studio
//! did. Publishing is offered once no warning stands.
//!
//! A step that is done sends the browser back to `/publish` with its data only, and the page
//! writes the notice from it when it holds ([`crate::done`]); a refused step answers with the
//! page and its reason as an alert. No text from the URL is ever shown as a notice.

use std::cell::OnceCell;

use maud::{html, Markup};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;
use vitrine_compile::diff::diff;
use vitrine_compile::{Build, CompileError};
use vitrine_core::snapshot::layout::History;

use crate::acknowledge;
use crate::campaigns::{diagnostic, now, options};
use crate::done::Done;
use crate::layout::{csrf, page, Section};
use crate::state::{AppState, Session};
use crate::workspace::Workspace;

fn compile(state: &AppState) -> Result<Build, Vec<CompileError>> {
    Workspace::read(&state.config.files).compile(None, &options(state, now()))
}

fn when(at: u64) -> String {
    OffsetDateTime::from_unix_timestamp(at as i64)
        .ok()
        .and_then(|t| t.format(&Rfc3339).ok())
        .unwrap_or_else(|| at.to_string())
}

fn changes(state: &AppState, active: Option<&str>, build: &Build) -> Markup {
    let Some(active) = active else {
        return html! { p { "Nothing is published yet: this is the first version." } };
    };
    match state.backend.fetch(active) {
        Ok(old) => {
            let list = diff(&old, &build.snapshot);
            html! {
                p { (list.len()) " change(s) from the active version " code { (active) } ":" }
                ul #changes { @for c in &list { li { code { (c.to_string()) } } } }
            }
        }
        Err(why) => {
            html! { p.diag { "The active version " (active) " cannot be read (" (why) "); the changes are unknown." } }
        }
    }
}

fn history(kept: &Result<History, String>, session: &Session, active: Option<&str>) -> Markup {
    let h = match kept {
        Ok(h) => h,
        Err(why) => return html! { p.diag role="alert" { (why) } },
    };
    html! {
        h2 { "History" }
        table {
            thead { tr { th { "Version" } th { "Published" } th { "State" } th { "" } } }
            tbody {
                @for v in &h.versions {
                    tr {
                        td { code { (v.version) } }
                        td { (when(v.at)) }
                        td { @if Some(v.version.as_str()) == active { strong { "active" } } }
                        td {
                            @if Some(v.version.as_str()) != active {
                                form method="post" action="/rollback/review" {
                                    (csrf(&session.csrf))
                                    input type="hidden" name="version" value=(v.version);
                                    button.secondary type="submit" aria-label={ "Roll back to " (v.version) } { "Roll back to this version…" }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// What the publish page says first: what was just done, or why it was not done.
#[derive(Debug, Clone, Copy)]
pub enum Notice<'a> {
    /// Done (published, rolled back, acknowledged): a status, if the step's data holds.
    Done(&'a Done),
    /// Refused, and why: an alert.
    Refused(&'a str),
}

/// `GET /publish`, and the page a refused step answers with. The notice comes first, whatever
/// else the page can show: a refusal is never dropped because the campaigns no longer compile
/// or the target cannot be read. A step's notice is written here from its data ([`Done`]),
/// never taken from the URL.
pub fn show(state: &AppState, session: &Session, notice: Option<Notice<'_>>) -> Markup {
    let target = state.backend.target();
    let active = state.backend.active();
    // The history is read once, and only when the notice or the page needs it.
    let read = OnceCell::new();
    let kept = || read.get_or_init(|| state.backend.history());
    let notice = match notice {
        Some(Notice::Done(done)) => {
            let now = active.as_ref().ok().and_then(Option::as_deref);
            match done.said(state, now, || kept().as_ref().ok()) {
                Some(text) => html! { p.notice role="status" { (text) } },
                None => html! {},
            }
        }
        Some(Notice::Refused(why)) => html! { p.diag role="alert" { (why) } },
        None => html! {},
    };
    let body = match (compile(state), active) {
        (Err(errors), _) => html! {
            p.diag role="alert" { "The campaigns do not compile: nothing can be published. Fix these first:" }
            @for e in &errors { (diagnostic(e)) }
        },
        (_, Err(why)) => html! { p.diag role="alert" { "Cannot read " (target) ": " (why) } },
        (Ok(build), Ok(active)) => {
            let version = build.snapshot.version().to_owned();
            html! {
                p { "Target: " strong { (target) } ". Active version: " code { (active.as_deref().unwrap_or("none")) } "." }
                @if active.as_deref() == Some(version.as_str()) {
                    p.notice { "The campaign files are what is published (" code { (version) } "): nothing to publish." }
                } @else {
                    h2 { "What changes" }
                    (changes(state, active.as_deref(), &build))
                    @if build.warnings.is_empty() {
                        form method="post" action="/publish/review" {
                            (csrf(&session.csrf))
                            input type="hidden" name="version" value=(version);
                            button type="submit" { "Review and publish…" }
                        }
                    } @else {
                        form method="post" action="/publish/acknowledge" {
                            (csrf(&session.csrf))
                            input type="hidden" name="version" value=(version);
                            fieldset {
                                legend { "Warnings to fix or acknowledge before publishing" }
                                p { "An acknowledgement is written into the campaign file the warning is in, in its " code { "[acknowledge]" } " table, as " code { "vitrine publish" } " expects it." }
                                @for (i, w) in build.warnings.iter().enumerate() {
                                    (diagnostic(w))
                                    @if let Some(entry) = &w.acknowledge {
                                        @let id = format!("ack-{i}");
                                        input type="checkbox" id=(id) name="ack" value=(i);
                                        " " label for=(id) { "I have read this warning: record " code { (acknowledge::entry_text(entry)) } " in " code { (w.file) } }
                                    }
                                }
                            }
                            button type="submit" { "Acknowledge the ticked warnings" }
                        }
                    }
                }
                (history(kept(), session, active.as_deref()))
            }
        }
    };
    page("Publish", Section::Publish, html! { (notice) (body) })
}

fn field<'a>(pairs: &'a [(String, String)], k: &str) -> &'a str {
    pairs
        .iter()
        .find(|(n, _)| n == k)
        .map_or("", |(_, v)| v.as_str())
}

/// `POST /publish/acknowledge`: records the ticked warnings (of the files as they compile to
/// `version`) in the `[acknowledge]` table of their files; the step done, or why not (with
/// what was recorded all the same).
pub fn acknowledge_ticked(state: &AppState, pairs: &[(String, String)]) -> Result<Done, String> {
    let ws = Workspace::read(&state.config.files);
    let build = still(&ws, state, pairs).map_err(|why| format!("Nothing acknowledged: {why}"))?;
    let ticked: Vec<&CompileError> = pairs
        .iter()
        .filter(|(k, _)| k == "ack")
        .filter_map(|(_, v)| v.parse::<usize>().ok())
        .filter_map(|i| build.warnings.get(i))
        .collect();
    let written = acknowledge::plan(&ws, &ticked).and_then(acknowledge::write);
    match written {
        Ok(count) => Ok(Done::Acknowledged(count)),
        Err(e) if e.partial() => Err(format!("Partly acknowledged: {e}")),
        Err(e) => Err(format!("Nothing acknowledged: {e}")),
    }
}

/// The build of the files `ws`, if they still compile to the `version` the page was made for.
fn still(ws: &Workspace, state: &AppState, pairs: &[(String, String)]) -> Result<Build, String> {
    let build = ws.compile(None, &options(state, now())).map_err(|e| {
        format!(
            "the campaigns no longer compile ({} error(s)); see Campaigns",
            e.len()
        )
    })?;
    if build.snapshot.version() != field(pairs, "version") {
        return Err(
            "the campaign files changed since this page was opened: review the page again".into(),
        );
    }
    Ok(build)
}

/// Checks that the files still compile to `version` with no warning standing.
fn ready(state: &AppState, pairs: &[(String, String)]) -> Result<Build, String> {
    let build = still(&Workspace::read(&state.config.files), state, pairs)?;
    if !build.warnings.is_empty() {
        return Err(format!(
            "{} warning(s) stand: fix them or acknowledge them (recorded in the campaign files) first",
            build.warnings.len()
        ));
    }
    Ok(build)
}

/// `POST /publish/review`: the confirmation step.
pub fn review(state: &AppState, session: &Session, pairs: &[(String, String)]) -> (u16, Markup) {
    let build = match ready(state, pairs) {
        Ok(b) => b,
        Err(why) => {
            let why = format!("Not ready to publish: {why}");
            return (409, show(state, session, Some(Notice::Refused(&why))));
        }
    };
    let active = match state.backend.active() {
        Ok(active) => active,
        Err(why) => {
            let why = format!(
                "Not ready to publish: cannot read {}: {why}",
                state.backend.target()
            );
            return (409, show(state, session, Some(Notice::Refused(&why))));
        }
    };
    let version = build.snapshot.version().to_owned();
    let body = html! {
        p role="alert" { "You are about to publish version " code { (version) } " to " strong { (state.backend.target()) } ". Visitors get it within the Worker's refresh interval." }
        (changes(state, active.as_deref(), &build))
        form method="post" action="/publish/confirm" {
            (csrf(&session.csrf))
            input type="hidden" name="version" value=(version);
            button type="submit" { "Confirm: publish now" }
            " " a href="/publish" { "Cancel" }
        }
    };
    (200, page("Confirm publish", Section::Publish, body))
}

/// `POST /publish/confirm`: publishes; the step done.
pub fn confirm(state: &AppState, pairs: &[(String, String)]) -> Result<Done, String> {
    let build = ready(state, pairs)?;
    let was = state.backend.publish(&build.snapshot, &build.shards)?;
    let version = build.snapshot.version().to_owned();
    let was = was.filter(|w| *w != version);
    Ok(Done::Published { version, was })
}

/// `POST /rollback/review`: the confirmation step, for a version the target keeps.
pub fn rollback_review(
    state: &AppState,
    session: &Session,
    pairs: &[(String, String)],
) -> (u16, Markup) {
    let version = field(pairs, "version");
    let checked = state.backend.active().and_then(|active| {
        let kept = state.backend.history()?;
        if kept.versions.iter().any(|v| v.version == version) {
            Ok(active)
        } else {
            Err(format!(
                "version {version} is not kept in {}",
                state.backend.target()
            ))
        }
    });
    let active = match checked {
        Ok(active) => active,
        Err(why) => {
            let why = format!("Not rolled back: {why}");
            return (409, show(state, session, Some(Notice::Refused(&why))));
        }
    };
    let body = html! {
        p role="alert" { "Roll back " strong { (state.backend.target()) } " from " code { (active.as_deref().unwrap_or("none")) } " to " code { (version) } "?" }
        form method="post" action="/rollback/confirm" {
            (csrf(&session.csrf))
            input type="hidden" name="version" value=(version);
            button.danger type="submit" { "Confirm: roll back" }
            " " a href="/publish" { "Cancel" }
        }
    };
    (200, page("Confirm rollback", Section::Publish, body))
}

/// `POST /rollback/confirm`: points back; the step done.
pub fn rollback_confirm(state: &AppState, pairs: &[(String, String)]) -> Result<Done, String> {
    let version = field(pairs, "version");
    let kept = state
        .backend
        .history()?
        .versions
        .iter()
        .any(|v| v.version == version);
    if !kept {
        return Err(format!(
            "version {version} is not kept in {}",
            state.backend.target()
        ));
    }
    state.backend.rollback(version)?;
    Ok(Done::RolledBack(version.to_owned()))
}
