//! `/campaigns`: every campaign with its slot, audience, priority, experiment arm and schedule
//! state at a chosen moment, and every error and warning `vitrine check` gives, located.

use maud::{html, Markup};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;
use vitrine_compile::{CompileError, Level, Options};

use crate::layout::{page, Section};
use crate::state::AppState;
use crate::workspace::{Campaign, Workspace};

/// Compile options for a check at `now`.
pub fn options(state: &AppState, now: i64) -> Options {
    Options {
        now,
        pages: Vec::new(),
        max_variants: state.config.max_variants,
    }
}

/// Now, in Unix seconds.
pub fn now() -> i64 {
    OffsetDateTime::now_utc().unix_timestamp()
}

/// `at` (RFC 3339) in Unix seconds, or now.
pub fn moment(at: Option<&str>) -> Result<i64, String> {
    match at.map(str::trim).filter(|a| !a.is_empty()) {
        None => Ok(now()),
        Some(a) => OffsetDateTime::parse(a, &Rfc3339)
            .map(OffsetDateTime::unix_timestamp)
            .map_err(|_| format!("`{a}` is not a date like 2026-12-01T09:00:00Z")),
    }
}

/// Live, scheduled or ended at `at`.
pub fn schedule_state(c: &Campaign, at: i64) -> (&'static str, &'static str) {
    let t = |s: &Option<String>| {
        s.as_deref()
            .and_then(|s| OffsetDateTime::parse(s, &Rfc3339).ok())
            .map(OffsetDateTime::unix_timestamp)
    };
    match (t(&c.start), t(&c.end)) {
        (Some(s), _) if at < s => ("scheduled", "state-scheduled"),
        (_, Some(e)) if at >= e => ("ended", "state-ended"),
        _ => ("live", "state-live"),
    }
}

/// One diagnostic, as `check` prints it: level, file:line:col, field, message, hint.
pub fn diagnostic(e: &CompileError) -> Markup {
    let (word, class) = match e.level {
        Level::Error => ("error", "diag"),
        _ => ("warning", "diag warning"),
    };
    html! {
        div class=(class) role=(if e.level == Level::Error { "alert" } else { "note" }) {
            strong { (word) " " } code { (e.file) ":" (e.line) ":" (e.column) } " "
            code { (e.field) } ": " (e.message)
            div.hint { "hint: " (e.hint) }
        }
    }
}

/// The list page.
pub fn list(state: &AppState, at: Option<&str>) -> Markup {
    let ws = Workspace::read(&state.config.files);
    let (moment, bad_at) = match moment(at) {
        Ok(m) => (m, None),
        Err(why) => (now(), Some(why)),
    };
    let diagnostics = match ws.compile(None, &options(state, moment)) {
        Ok(b) => b.warnings,
        Err(errors) => errors,
    };
    let errors = diagnostics
        .iter()
        .filter(|e| e.level == Level::Error)
        .count();
    let campaigns = ws.campaigns();
    let body = html! {
        form method="get" action="/campaigns" {
            label for="at" { "Schedule state at" } " "
            input #at type="text" name="at" value=(at.unwrap_or("")) placeholder="now, or 2026-12-24T18:00:00Z" aria-describedby="at-help";
            " " button.secondary type="submit" { "Show" }
            span #at-help .hint { " Leave empty for now." }
            @if let Some(why) = bad_at { p.error role="alert" { (why) } }
        }
        h2 { "Check" }
        @if diagnostics.is_empty() {
            p.notice { "No errors and no warnings: these campaigns can be published." }
        } @else {
            p { (errors) " error(s), " (diagnostics.len() - errors) " warning(s). Errors stop a save and a publish; a warning stops a publish until it is fixed or acknowledged (Publish records the acknowledgement in the campaign file)." }
            @for e in &diagnostics { (diagnostic(e)) }
        }
        h2 { "Campaigns" }
        table {
            thead { tr { th { "Campaign" } th { "Slot" } th { "Audience" } th { "Priority" } th { "Schedule" } th { "Experiment arm" } th { "File" } } }
            tbody {
                @for c in &campaigns {
                    @let (word, class) = schedule_state(c, moment);
                    tr {
                        td { a href={ "/campaigns/" (c.id) } { (c.id) } }
                        td { (c.slot) }
                        td { (c.audience) }
                        td { (c.priority) }
                        td {
                            span class=(class) { (word) }
                            @if c.start.is_some() || c.end.is_some() {
                                br; span.hint { (c.start.as_deref().unwrap_or("…")) " → " (c.end.as_deref().unwrap_or("…")) }
                            }
                        }
                        td { (c.arm.as_deref().unwrap_or("—")) }
                        td { code { (c.file) } }
                    }
                }
            }
        }
        p.hint { "The files are the source of truth: changes made in another editor show when you reload. Results per experiment and campaign are under " a href="/results" { "Results" } "." }
    };
    page("Campaigns", Section::Campaigns, body)
}
