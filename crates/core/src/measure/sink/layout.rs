//! The Analytics Engine layout of an event: which blob, double and index hold which field.
//! The edge writes it ([`super::data_point`]), `vitrine report` reads it back ([`event`]: CSV
//! exports and the SQL API).
//!
//! | column    | field                                                        |
//! |-----------|--------------------------------------------------------------|
//! | `index1`  | visitor pseudonym, empty without consent                      |
//! | `blob1`   | event kind: `exposure`, `conversion` or `view`                |
//! | `blob2`   | experiment key (exposures), empty if none                     |
//! | `blob3`   | campaign id (exposures), empty if none                        |
//! | `blob4`   | arm (exposures), conversion name or product id (views)        |
//! | `blob5`   | snapshot version                                              |
//! | `blob6`   | conversion source: `url` or `beacon` (empty for exposures)    |
//! | `blob7`   | assignments, `experiment=arm;…` (conversions)                 |
//! | `blob8`   | campaigns, `campaign=shown;…` or `=holdout` (conversions)     |
//! | `blob9`   | bandit context (bandit exposures); products, `p1 p2 …` (conversions); empty otherwise; optional |
//! | `blob10`  | bandit split, `holdout=500;arm=4750;…`, empty otherwise; optional |
//! | `double1` | ts, Unix seconds                                              |
//! | `double2` | conversion value (0 when none)                                |
//! | `double3` | global holdout: 1 or 0                                        |
//! | `double4` | schema version (optional; when present it must be [`SCHEMA`]) |
//! | `double5` | `pre.visits` of a first exposure, 0 when none (optional column)  |
//! | `double6` | `pre.views` of a first exposure, 0 when none (optional column)   |
//!
//! Experiment keys, campaign ids and arm names cannot contain `=` or `;` (the compiler only
//! accepts identifiers), so the two maps need no escaping; product ids cannot contain a space
//! (the beacon accepts `[A-Za-z0-9_.-]` only).

use std::collections::BTreeMap;

use crate::measure::events::{Common, Conversion, Event, ExposureEvent, Pre, Via, View, SCHEMA};

/// Columns a CSV export must have.
pub const REQUIRED: [&str; 11] = [
    "blob1", "blob2", "blob3", "blob4", "blob5", "blob6", "blob7", "blob8", "double1", "double2",
    "double3",
];

/// Every column the report reads, in the order `--remote` selects them.
pub const COLUMNS: [&str; 17] = [
    "index1", "blob1", "blob2", "blob3", "blob4", "blob5", "blob6", "blob7", "blob8", "blob9",
    "blob10", "double1", "double2", "double3", "double4", "double5", "double6",
];

/// One row: column name → cell text.
pub struct Row<'a> {
    cells: Vec<(&'a str, &'a str)>,
}

impl<'a> Row<'a> {
    /// A row from `(column, value)` pairs.
    pub fn new(cells: impl Iterator<Item = (&'a str, &'a str)>) -> Self {
        Row {
            cells: cells.collect(),
        }
    }

    fn get(&self, column: &str) -> &'a str {
        self.cells
            .iter()
            .find(|(c, _)| *c == column)
            .map_or("", |(_, v)| v.trim())
    }
}

/// Checks a CSV header; the error names the missing columns.
pub fn check_columns(columns: &[String]) -> Result<(), String> {
    let missing: Vec<&str> = REQUIRED
        .iter()
        .copied()
        .filter(|r| !columns.iter().any(|c| c == r))
        .collect();
    if missing.is_empty() {
        Ok(())
    } else {
        Err(format!("missing column(s) {}", missing.join(", ")))
    }
}

/// The event a row holds.
pub fn event(row: &Row<'_>) -> Result<Event, String> {
    let schema = row.get("double4");
    if !schema.is_empty() && number(schema, "double4")? != f64::from(SCHEMA) {
        return Err(format!(
            "schema {schema} is not the supported schema {SCHEMA}"
        ));
    }
    let ts = number(row.get("double1"), "double1 (ts)")?;
    if !(0.0..=9.0e15).contains(&ts) {
        return Err(format!("double1 (ts) {ts} is not a Unix time"));
    }
    let ts = ts as u64;
    let visitor = Some(row.get("index1"))
        .filter(|v| !v.is_empty())
        .map(str::to_owned);
    let common = Common {
        schema: SCHEMA,
        ts,
        day: ts / 86_400,
        snapshot: row.get("blob5").to_owned(),
        visitor,
        global_holdout: flag(row.get("double3"))?,
    };
    let text = |c: &str| {
        Some(row.get(c))
            .filter(|v| !v.is_empty())
            .map(str::to_owned)
    };
    match row.get("blob1").trim_start_matches("vitrine.") {
        "exposure" => Ok(Event::Exposure(ExposureEvent {
            common,
            experiment: text("blob2"),
            campaign: text("blob3"),
            arm: text("blob4").ok_or("exposure without an arm (blob4)")?,
            pre: pre(row)?,
            context: text("blob9"),
            split: text("blob10"),
        })),
        "conversion" => Ok(Event::Conversion(Conversion {
            common,
            name: text("blob4").ok_or("conversion without a name (blob4)")?,
            value: Some(number(row.get("double2"), "double2 (value)")?).filter(|v| *v != 0.0),
            source: match row.get("blob6") {
                "url" => Via::Url,
                "beacon" => Via::Beacon,
                other => return Err(format!("unknown conversion source {other:?} (blob6)")),
            },
            assignments: pairs(row.get("blob7"), "blob7")?,
            campaigns: pairs(row.get("blob8"), "blob8")?,
            products: row
                .get("blob9")
                .split_ascii_whitespace()
                .map(str::to_owned)
                .collect(),
        })),
        "view" => Ok(Event::View(View {
            common,
            product: text("blob4").ok_or("view without a product (blob4)")?,
        })),
        other => Err(format!("unknown event kind {other:?} (blob1)")),
    }
}

/// `double5`/`double6`: the covariate, absent when the visit count is 0 or the columns are
/// missing (rows written before it existed).
fn pre(row: &Row<'_>) -> Result<Option<Pre>, String> {
    let count = |column: &str| -> Result<u32, String> {
        let cell = row.get(column);
        if cell.is_empty() {
            return Ok(0);
        }
        let n = number(cell, column)?;
        if !(0.0..=f64::from(u32::MAX)).contains(&n) || n.fract() != 0.0 {
            return Err(format!("{column} (covariate) {n} is not a count"));
        }
        Ok(n as u32)
    };
    let visits = count("double5")?;
    Ok((visits > 0).then_some(Pre {
        visits,
        views: count("double6")?,
    }))
}

/// The row an event is written as, as text cells in [`COLUMNS`] order (what a CSV export
/// holds for the data point [`super::data_point`] writes).
pub fn row(event: &Event) -> Vec<(&'static str, String)> {
    let p = super::data_point(event);
    let mut cells = vec![("index1", p.index)];
    cells.extend(COLUMNS[1..=super::BLOBS].iter().copied().zip(p.blobs));
    cells.extend(
        COLUMNS[super::BLOBS + 1..]
            .iter()
            .copied()
            .zip(p.doubles.map(|d| d.to_string())),
    );
    cells
}

/// `experiment=arm;…`, the text form of a map in `blob7`/`blob8`.
pub(crate) fn join(map: &BTreeMap<String, String>) -> String {
    let parts: Vec<String> = map.iter().map(|(k, v)| format!("{k}={v}")).collect();
    parts.join(";")
}

fn pairs(text: &str, column: &str) -> Result<BTreeMap<String, String>, String> {
    let mut map = BTreeMap::new();
    for part in text.split(';').map(str::trim).filter(|p| !p.is_empty()) {
        let (k, v) = part
            .split_once('=')
            .filter(|(k, v)| !k.is_empty() && !v.is_empty())
            .ok_or_else(|| format!("{column}: {part:?} is not key=value"))?;
        map.insert(k.to_owned(), v.to_owned());
    }
    Ok(map)
}

fn number(text: &str, column: &str) -> Result<f64, String> {
    text.parse::<f64>()
        .ok()
        .filter(|v| v.is_finite())
        .ok_or_else(|| format!("{column}: {text:?} is not a number"))
}

fn flag(text: &str) -> Result<bool, String> {
    match text {
        "" | "0" | "0.0" => Ok(false),
        "1" | "1.0" => Ok(true),
        other => Err(format!("double3 (global holdout): {other:?} is not 0 or 1")),
    }
}
