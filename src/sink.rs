//! Where events go: one Workers Analytics Engine data point per event in production, one
//! prefixed log line per event elsewhere. Both are pure here; the Worker shell only writes.
//!
//! **Analytics Engine layout** (dataset [`DATASET`], binding [`BINDING`]):
//!
//! | column | exposure | conversion |
//! |---|---|---|
//! | `index1` | visitor pseudonym, or `-` without consent (sampling keeps a visitor whole) | same |
//! | `blob1` | `vitrine.exposure` | `vitrine.conversion` |
//! | `blob2` | snapshot version | same |
//! | `blob3` | visitor pseudonym or empty | same |
//! | `blob4` | experiment key or empty | empty |
//! | `blob5` | campaign id or empty | empty |
//! | `blob6` | arm, `holdout` or `shown` | empty |
//! | `blob7` | empty | conversion name |
//! | `blob8` | empty | `url` or `beacon` |
//! | `blob9` | empty | assignments, a JSON object `{"experiment":"arm"}` |
//! | `blob10` | empty | campaigns, a JSON object `{"campaign":"shown"\|"holdout"}` |
//! | `double1` | schema ([`crate::events::SCHEMA`]) | same |
//! | `double2` | `ts`, Unix seconds | same |
//! | `double3` | `day`, UTC day number | same |
//! | `double4` | 0 | value (0 without one) |
//! | `double5` | 0 | 1 when there is a value |
//! | `double6` | 1 in the global holdout, else 0 | same |
//!
//! [`from_row`] reads a row back as the Analytics Engine SQL API returns it
//! (`SELECT blob1, …, double6 FROM vitrine_events FORMAT JSONEachRow`).
//!
//! **Log lines** ([`log_line`]): [`LOG_PREFIX`] then the event's JSON ([`Event::to_line`]),
//! so `grep -o 'vitrine-event .*' | cut -c15-` turns `wrangler dev`/`wrangler tail` output
//! into a JSON-lines file that `vitrine report` reads.

use crate::events::{Common, Conversion, Event, EventError, Exposure, Source, SCHEMA};

/// Analytics Engine dataset name the README's `wrangler.toml` snippet uses.
pub const DATASET: &str = "vitrine_events";

/// Binding name the Worker looks for; without it events become log lines.
pub const BINDING: &str = "EVENTS";

/// What every event log line starts with.
pub const LOG_PREFIX: &str = "vitrine-event ";

/// Number of blobs of a data point.
pub const BLOBS: usize = 10;
/// Number of doubles of a data point.
pub const DOUBLES: usize = 6;

/// One Analytics Engine data point.
#[derive(Debug, Clone, PartialEq)]
pub struct DataPoint {
    /// `index1`.
    pub index: String,
    /// `blob1`…`blob10`.
    pub blobs: [String; BLOBS],
    /// `double1`…`double6`.
    pub doubles: [f64; DOUBLES],
}

/// The event as one log line: [`LOG_PREFIX`] + JSON.
pub fn log_line(event: &Event) -> String {
    format!("{LOG_PREFIX}{}", event.to_line())
}

/// The event as a data point in the layout above.
pub fn data_point(event: &Event) -> DataPoint {
    let c = event.common();
    let mut blobs: [String; BLOBS] = Default::default();
    let mut doubles = [0.0; DOUBLES];
    blobs[1] = c.snapshot.clone();
    blobs[2] = c.visitor.clone().unwrap_or_default();
    doubles[0] = f64::from(c.schema);
    doubles[1] = c.ts as f64;
    doubles[2] = c.day as f64;
    doubles[5] = if c.global_holdout { 1.0 } else { 0.0 };
    match event {
        Event::Exposure(e) => {
            blobs[0] = "vitrine.exposure".into();
            blobs[3] = e.experiment.clone().unwrap_or_default();
            blobs[4] = e.campaign.clone().unwrap_or_default();
            blobs[5] = e.arm.clone();
        }
        Event::Conversion(v) => {
            blobs[0] = "vitrine.conversion".into();
            blobs[6] = v.name.clone();
            blobs[7] = match v.source {
                Source::Url => "url".into(),
                Source::Beacon => "beacon".into(),
            };
            // Maps of strings always serialize.
            blobs[8] = serde_json::to_string(&v.assignments).unwrap_or_default();
            blobs[9] = serde_json::to_string(&v.campaigns).unwrap_or_default();
            doubles[3] = v.value.unwrap_or(0.0);
            doubles[4] = if v.value.is_some() { 1.0 } else { 0.0 };
        }
    }
    DataPoint {
        index: c.visitor.clone().unwrap_or_else(|| "-".into()),
        blobs,
        doubles,
    }
}

/// Reads one row of the SQL API's JSON output (`blob1`…, `double1`…) back into an event.
pub fn from_row(row: &serde_json::Value) -> Result<Event, EventError> {
    let blob = |i: usize| row[format!("blob{i}")].as_str().unwrap_or("").to_owned();
    let double = |i: usize| row[format!("double{i}")].as_f64().unwrap_or(0.0);
    let shape = |what: &str| EventError::Shape(format!("row: {what}"));
    let schema = double(1);
    if schema != f64::from(SCHEMA) {
        return Err(EventError::Schema {
            found: schema as u32,
        });
    }
    let visitor = blob(3);
    let common = Common {
        schema: SCHEMA,
        ts: double(2) as u64,
        day: double(3) as u64,
        snapshot: blob(2),
        visitor: (!visitor.is_empty()).then_some(visitor),
        global_holdout: double(6) == 1.0,
    };
    let some = |s: String| (!s.is_empty()).then_some(s);
    match blob(1).as_str() {
        "vitrine.exposure" => Ok(Event::Exposure(Exposure {
            common,
            experiment: some(blob(4)),
            campaign: some(blob(5)),
            arm: blob(6),
        })),
        "vitrine.conversion" => Ok(Event::Conversion(Conversion {
            common,
            name: blob(7),
            value: (double(5) == 1.0).then(|| double(4)),
            source: match blob(8).as_str() {
                "url" => Source::Url,
                "beacon" => Source::Beacon,
                _ => return Err(shape("blob8 is not url or beacon")),
            },
            assignments: serde_json::from_str(&blob(9)).map_err(|_| shape("blob9"))?,
            campaigns: serde_json::from_str(&blob(10)).map_err(|_| shape("blob10"))?,
        })),
        other => Err(shape(&format!("blob1 `{other}` is not an event"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::events::SHOWN;

    fn common(visitor: Option<&str>, global: bool) -> Common {
        Common {
            schema: SCHEMA,
            ts: 1_764_264_000,
            day: 20_419,
            snapshot: "3f00aa".into(),
            visitor: visitor.map(str::to_owned),
            global_holdout: global,
        }
    }

    fn samples() -> Vec<Event> {
        vec![
            Event::Exposure(Exposure {
                common: common(Some("5f0c"), false),
                experiment: Some("hero-copy".into()),
                campaign: None,
                arm: "urgency".into(),
            }),
            Event::Exposure(Exposure {
                common: common(None, true),
                experiment: None,
                campaign: Some("summer".into()),
                arm: "holdout".into(),
            }),
            Event::Conversion(Conversion {
                common: common(Some("5f0c"), true),
                name: "purchase".into(),
                value: Some(49.9),
                source: Source::Url,
                assignments: [("hero-copy".to_owned(), "holdout".to_owned())].into(),
                campaigns: [("summer".to_owned(), SHOWN.to_owned())].into(),
            }),
            Event::Conversion(Conversion {
                common: common(None, false),
                name: "add_to_cart".into(),
                value: None,
                source: Source::Beacon,
                assignments: Default::default(),
                campaigns: Default::default(),
            }),
        ]
    }

    /// A data point as the SQL API returns it in JSON.
    fn row(p: &DataPoint) -> serde_json::Value {
        let mut row = serde_json::Map::new();
        row.insert("index1".into(), p.index.clone().into());
        for (i, b) in p.blobs.iter().enumerate() {
            row.insert(format!("blob{}", i + 1), b.clone().into());
        }
        for (i, d) in p.doubles.iter().enumerate() {
            row.insert(format!("double{}", i + 1), (*d).into());
        }
        row.into()
    }

    #[test]
    fn every_event_round_trips_through_the_documented_layout() {
        for e in samples() {
            let p = data_point(&e);
            assert_eq!(p.index, e.common().visitor.clone().unwrap_or("-".into()));
            assert_eq!(from_row(&row(&p)), Ok(e));
        }
    }

    #[test]
    fn conversion_columns_are_where_the_readme_says() {
        let p = data_point(&samples()[2]);
        assert_eq!(p.blobs[0], "vitrine.conversion");
        assert_eq!(p.blobs[6], "purchase");
        assert_eq!(p.blobs[8], r#"{"hero-copy":"holdout"}"#);
        assert_eq!(p.doubles, [2.0, 1_764_264_000.0, 20_419.0, 49.9, 1.0, 1.0]);
    }

    #[test]
    fn log_lines_are_prefixed_event_json() {
        for e in samples() {
            let line = log_line(&e);
            let json = line.strip_prefix(LOG_PREFIX).unwrap();
            assert_eq!(Event::parse(json), Ok(e));
        }
    }

    #[test]
    fn foreign_rows_are_refused() {
        let mut r = row(&data_point(&samples()[0]));
        r["double1"] = 1.0.into();
        assert_eq!(from_row(&r), Err(EventError::Schema { found: 1 }));
        let mut r = row(&data_point(&samples()[0]));
        r["blob1"] = "vitrine.click".into();
        assert!(matches!(from_row(&r), Err(EventError::Shape(_))));
        assert!(from_row(&serde_json::json!({})).is_err());
    }
}
