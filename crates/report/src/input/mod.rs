//! Reading events: JSON lines as the edge logs them (optionally after a log prefix), CSV as
//! the Analytics Engine SQL API exports it, the SQL API's JSON response (`--remote`), and
//! Parquet as the lossless Pipelines sink writes it ([`parquet`]).
//!
//! Nothing is dropped silently. A line that looks like a vitrine event but does not parse is a
//! *bad line* (counted, the first few kept with their line numbers); a line that is not a
//! vitrine event at all (another log line) is *skipped* and counted. The CSV and SQL layouts
//! map Analytics Engine columns back to [`Event`]s through [`layout`].

pub mod parquet;

use serde_json::Value;

use vitrine_core::measure::events::{Event, EventError, EventRef, SCHEMA};
use vitrine_core::measure::sink::layout::{self, Row};

/// How many bad lines are kept with their reason (all are counted).
pub const BAD_LINES_KEPT: usize = 10;

/// Why an input cannot be read at all (a bad line is not an error: see [`Parsed::bad`]).
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum InputError {
    /// The CSV has no header or lacks a required column.
    #[error("CSV header: {0} (expected the Analytics Engine columns, see docs/reference.md#analytics-engine-layout)")]
    CsvHeader(String),
    /// The SQL API answered something that is not its JSON result shape.
    #[error("Analytics Engine response: {0}")]
    Response(String),
    /// A Parquet file that cannot be read, or whose columns are not the event layout.
    #[error("Parquet: {0}")]
    Parquet(String),
}

/// A line (or row) that could not be read as an event.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct BadLine {
    /// 1-based line number (the CSV header is line 1; the SQL response counts rows from 1);
    /// 0 for a problem of the whole SQL answer (sampled rows).
    pub line: usize,
    /// What was wrong.
    pub reason: String,
}

/// Events read from one or more inputs, with what could not be read.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Parsed {
    /// The events, in input order.
    pub events: Vec<Event>,
    /// The first [`BAD_LINES_KEPT`] bad lines.
    pub bad: Vec<BadLine>,
    /// Every bad line.
    pub bad_count: usize,
    /// Lines that were not vitrine events (other log output, blank lines are not counted).
    pub skipped: usize,
}

impl Parsed {
    fn bad_line(&mut self, line: usize, reason: String) {
        self.bad_count += 1;
        if self.bad.len() < BAD_LINES_KEPT {
            self.bad.push(BadLine { line, reason });
        }
    }

    /// Appends another input's events and problems (line numbers stay per input).
    pub fn extend(&mut self, other: Parsed) {
        self.events.extend(other.events);
        for b in other.bad {
            if self.bad.len() < BAD_LINES_KEPT {
                self.bad.push(b);
            }
        }
        self.bad_count += other.bad_count;
        self.skipped += other.skipped;
    }
}

/// Reads JSON lines. Anything before the first `{` on a line is a log prefix and ignored.
pub fn json_lines(text: &str) -> Parsed {
    let mut out = Parsed::default();
    let mut events = Vec::new();
    for (i, line) in text.lines().enumerate() {
        out.json_line(i + 1, line, &mut |e: EventRef<'_>| {
            events.push(e.into_event())
        });
    }
    out.events = events;
    out
}

/// Reads JSON lines from `reader` one line at a time and hands each event to `each`, borrowed
/// from its line ([`EventRef`]: nothing is copied unless `each` asks for an [`Event`]), so an
/// input of any size is read in the memory of one line (`vitrine recs train`). What could not
/// be read is counted in the answer, whose `events` stay empty. Only I/O fails.
pub fn each_json_line(
    mut reader: impl std::io::BufRead,
    mut each: impl FnMut(EventRef<'_>),
) -> std::io::Result<Parsed> {
    let mut out = Parsed::default();
    let mut line = String::new();
    let mut number = 0;
    loop {
        line.clear();
        if reader.read_line(&mut line)? == 0 {
            return Ok(out);
        }
        number += 1;
        out.json_line(number, &line, &mut each);
    }
}

impl Parsed {
    fn json_line(&mut self, number: usize, line: &str, each: &mut impl FnMut(EventRef<'_>)) {
        if line.trim().is_empty() {
            return;
        }
        let Some(start) = line.find('{') else {
            self.skipped += 1;
            return;
        };
        let json = line[start..].trim_end();
        match EventRef::parse(json) {
            Ok(e) => each(e),
            // Only lines that claim to be vitrine events are bad; other JSON logs are skipped.
            Err(e) if json.contains("\"vitrine.") => self.bad_line(number, reason(json, e)),
            Err(_) => self.skipped += 1,
        }
    }
}

/// Reads a CSV export with a header row naming the Analytics Engine columns.
pub fn csv(text: &str) -> Result<Parsed, InputError> {
    let mut events = Vec::new();
    let mut out = each_csv_row(text.as_bytes(), |e| events.push(e))?;
    out.events = events;
    Ok(out)
}

/// Reads a CSV export from `reader` one row at a time and hands each event to `each` (see
/// [`each_json_line`]).
pub fn each_csv_row(
    reader: impl std::io::Read,
    mut each: impl FnMut(Event),
) -> Result<Parsed, InputError> {
    let mut reader = ::csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(reader);
    let header = reader
        .headers()
        .map_err(|e| InputError::CsvHeader(e.to_string()))?
        .clone();
    let columns: Vec<String> = header.iter().map(|h| h.trim().to_owned()).collect();
    layout::check_columns(&columns).map_err(InputError::CsvHeader)?;
    let mut out = Parsed::default();
    let mut record = ::csv::StringRecord::new();
    let mut line = 1;
    loop {
        line += 1;
        match reader.read_record(&mut record) {
            Ok(false) => return Ok(out),
            Ok(true) => {
                let row = Row::new(columns.iter().map(String::as_str).zip(record.iter()));
                match layout::event(&row) {
                    Ok(e) => each(e),
                    Err(reason) => out.bad_line(line, reason),
                }
            }
            // An I/O error ends the input; a malformed row is one bad line.
            Err(e) if e.is_io_error() => {
                out.bad_line(line, e.to_string());
                return Ok(out);
            }
            Err(e) => out.bad_line(line, e.to_string()),
        }
    }
}

/// Reads the SQL API's `FORMAT JSON` answer: `{"meta":[…],"data":[{column: value,…}],…}`.
pub fn sql_json(body: &str) -> Result<Parsed, InputError> {
    let value: Value =
        serde_json::from_str(body).map_err(|e| InputError::Response(format!("not JSON: {e}")))?;
    let rows = value
        .get("data")
        .and_then(Value::as_array)
        .ok_or_else(|| InputError::Response(format!("no `data` array in {:.200}", body)))?;
    let mut out = Parsed::default();
    let mut sampled = 0usize;
    for (i, row) in rows.iter().enumerate() {
        let Some(object) = row.as_object() else {
            out.bad_line(i + 1, "row is not an object".into());
            continue;
        };
        let cells: Vec<(&str, String)> =
            object.iter().map(|(k, v)| (k.as_str(), cell(v))).collect();
        if let Some((_, s)) = cells.iter().find(|(k, _)| *k == "_sample_interval") {
            sampled += usize::from(s.parse::<f64>().is_ok_and(|x| x > 1.0));
        }
        let row = Row::new(cells.iter().map(|(k, v)| (*k, v.as_str())));
        match layout::event(&row) {
            Ok(e) => out.events.push(e),
            Err(reason) => out.bad_line(i + 1, reason),
        }
    }
    if sampled > 0 {
        // A sampled row stands for several events whose visitors are unknown: counting it as
        // one visitor would bias every rate, so it is refused rather than guessed.
        out.bad_line(
            0,
            format!("{sampled} row(s) were sampled by Analytics Engine (_sample_interval > 1); visitor counts from them are incomplete: narrow --since"),
        );
    }
    Ok(out)
}

/// Names another schema version before any missing field: an event from a newer edge fails
/// on its version, and saying so tells the user to upgrade rather than to fix the line.
fn reason(json: &str, e: EventError) -> String {
    let schema = serde_json::from_str::<Value>(json)
        .ok()
        .and_then(|v| v.get("schema").and_then(Value::as_u64));
    match (schema, &e) {
        (Some(found), EventError::Shape(_)) if found != u64::from(SCHEMA) => format!(
            "event schema {found} is not the supported schema {SCHEMA} (a newer edge? upgrade vitrine)"
        ),
        _ => e.to_string(),
    }
}

fn cell(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests;
