//! `vitrine report`'s readers on arbitrary input (JSON lines, CSV, the SQL API's answer), and
//! whatever they read through counting, statistics and both renderers: no panic anywhere.

#![no_main]

use libfuzzer_sys::fuzz_target;
use vitrine_report::{self as report, analyze::InputSummary, input};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let mut parsed = input::json_lines(text);
    if let Ok(p) = input::csv(text) {
        parsed.extend(p);
    }
    if let Ok(p) = input::sql_json(text) {
        parsed.extend(p);
    }
    let tally = report::aggregate(&parsed.events, &report::Filter::default());
    let rep = report::analyze(
        &tally,
        InputSummary::default(),
        None,
        &report::Options::default(),
    );
    let _ = report::text::render(&rep);
    let _ = report::html::render(&rep);
});
