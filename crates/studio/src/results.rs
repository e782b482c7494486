//! `/results`: `vitrine report`'s own HTML page (charts, intervals, SRM verdict) for the
//! events source the studio was started with, framed in a sandbox: the report is built by the
//! CLI's report path ([`crate::Backend::report_html`]), not a second time here.

use maud::{html, Markup};

use crate::campaigns::{now, options};
use crate::layout::{page, Section};
use crate::state::AppState;
use crate::workspace::Workspace;

/// The report's HTML, or why there is none.
pub fn report(state: &AppState) -> Result<String, String> {
    let build = Workspace::read(&state.config.files)
        .compile(None, &options(state, now()))
        .ok();
    match state.backend.report_html(build.as_ref().map(|b| &b.snapshot)) {
        None => Err("No events source: start the studio with --events FILE (JSON lines or CSV, as `vitrine report` reads).".into()),
        Some(r) => r,
    }
}

/// `GET /results`.
pub fn show(state: &AppState) -> Markup {
    let body = match report(state) {
        Ok(_) => html! {
            p { "Lift per experiment and campaign, with 95 % intervals and the sample-ratio check, as " code { "vitrine report" } " computes it." }
            div.results { iframe sandbox="" title="Experiment report" src="/results/report" {} }
        },
        Err(why) => html! { p.diag role="alert" { (why) } },
    };
    page("Results", Section::Results, body)
}
