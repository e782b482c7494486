//! Where events go: the records of a Cloudflare Pipelines stream ([`records`], the lossless
//! sink), one Workers Analytics Engine data point per event (sampled dashboards), and one
//! prefixed log line per event when neither is bound. All are pure here; the Worker shell only
//! writes.
//!
//! **Pipelines records** ([`records`]): the events' own JSON objects, one per event, sent in one
//! `send` call per request to the stream bound as [`PIPELINE_BINDING`]. The stream is declared
//! with `schema/pipelines-stream.json` (one field per event field, named as in the JSON), so the
//! Parquet files or Iceberg table it writes have one column per field
//! (docs/reference.md#parquet-layout) and keep every event: nothing is sampled.
//!
//! The data point's columns ([`layout`], dataset [`DATASET`], binding [`BINDING`]) are the
//! ones `vitrine report` reads back from a CSV export or the SQL API, so the writer and the
//! reader share one definition: `index1` the visitor pseudonym (empty without consent),
//! `blob1`…`blob10` kind, experiment, campaign, arm, conversion name or viewed product,
//! snapshot, source, assignments, campaigns, bandit context or a conversion's products, and
//! bandit split, `double1`…`double6` ts, value, global holdout, schema and the CUPED covariate.
//!
//! **Log lines** ([`log_line`]): [`LOG_PREFIX`] then the event's JSON ([`Event::to_line`]),
//! so `grep -o 'vitrine-event .*' | cut -c15-` turns `wrangler dev`/`wrangler tail` output
//! into a JSON-lines file that `vitrine report` reads (it also skips the prefix itself).

pub mod layout;

use crate::measure::events::{Event, Via, SCHEMA};

/// Analytics Engine dataset name `wrangler.toml` and docs/site-owners.md#deploying use.
pub const DATASET: &str = "vitrine_events";

/// Binding name the Worker looks for; without it events become log lines.
pub const BINDING: &str = "EVENTS";

/// Binding name of the Pipelines stream the Worker sends every event to, when bound.
pub const PIPELINE_BINDING: &str = "EVENTS_STREAM";

/// What every event log line starts with.
pub const LOG_PREFIX: &str = "vitrine-event ";

/// Number of blobs of a data point.
pub const BLOBS: usize = 10;
/// Number of doubles of a data point.
pub const DOUBLES: usize = 6;

/// One Analytics Engine data point.
#[derive(Debug, Clone, PartialEq)]
pub struct DataPoint {
    /// `index1`: the visitor pseudonym, empty without consent.
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

/// The events as one JSON array of stream records (`send(records)` of a Pipelines binding):
/// each record is the event's JSON object ([`Event::to_line`]).
pub fn records(events: &[Event]) -> String {
    let lines: Vec<String> = events.iter().map(Event::to_line).collect();
    format!("[{}]", lines.join(","))
}

/// The event as a data point in the [`layout`].
pub fn data_point(event: &Event) -> DataPoint {
    let c = event.common();
    let mut blobs: [String; BLOBS] = Default::default();
    let mut doubles = [0.0; DOUBLES];
    blobs[4] = c.snapshot.clone();
    doubles[0] = c.ts as f64;
    doubles[2] = if c.global_holdout { 1.0 } else { 0.0 };
    doubles[3] = f64::from(SCHEMA);
    match event {
        Event::Exposure(e) => {
            blobs[0] = "exposure".into();
            blobs[1] = e.experiment.clone().unwrap_or_default();
            blobs[2] = e.campaign.clone().unwrap_or_default();
            blobs[3] = e.arm.clone();
            if let Some(pre) = e.pre {
                doubles[4] = f64::from(pre.visits);
                doubles[5] = f64::from(pre.views);
            }
            blobs[8] = e.context.clone().unwrap_or_default();
            blobs[9] = e.split.clone().unwrap_or_default();
        }
        Event::Conversion(v) => {
            blobs[0] = "conversion".into();
            blobs[3] = v.name.clone();
            blobs[5] = match v.source {
                Via::Url => "url".into(),
                Via::Beacon => "beacon".into(),
            };
            blobs[6] = layout::join(&v.assignments);
            blobs[7] = layout::join(&v.campaigns);
            blobs[8] = v.products.join(" ");
            doubles[1] = v.value.unwrap_or(0.0);
        }
        Event::View(v) => {
            blobs[0] = "view".into();
            blobs[3] = v.product.clone();
        }
    }
    DataPoint {
        index: c.visitor.clone().unwrap_or_default(),
        blobs,
        doubles,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::measure::events::{Common, Conversion, ExposureEvent, View, SHOWN};

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
            Event::Exposure(ExposureEvent {
                common: common(Some("5f0c"), false),
                experiment: Some("hero-copy".into()),
                campaign: None,
                arm: "urgency".into(),
                pre: Some(crate::measure::events::Pre {
                    visits: 4,
                    views: 0,
                }),
                context: Some("loyal".into()),
                split: Some("holdout=500;control=4750;urgency=4750".into()),
            }),
            Event::Exposure(ExposureEvent {
                common: common(None, true),
                experiment: None,
                campaign: Some("summer".into()),
                arm: "holdout".into(),
                pre: None,
                context: None,
                split: None,
            }),
            Event::Conversion(Conversion {
                common: common(Some("5f0c"), true),
                name: "purchase".into(),
                value: Some(49.9),
                source: Via::Url,
                assignments: [("hero-copy".to_owned(), "holdout".to_owned())].into(),
                campaigns: [("summer".to_owned(), SHOWN.to_owned())].into(),
                products: vec!["p1".into(), "p2".into()],
            }),
            Event::Conversion(Conversion {
                common: common(None, false),
                name: "add_to_cart".into(),
                value: None,
                source: Via::Beacon,
                assignments: Default::default(),
                campaigns: Default::default(),
                products: Vec::new(),
            }),
            Event::View(View {
                common: common(Some("5f0c"), false),
                product: "p0042".into(),
            }),
        ]
    }

    /// The event a data point reads back as, through the reader `vitrine report` uses.
    fn read_back(p: &DataPoint) -> Result<Event, String> {
        let names: Vec<String> = std::iter::once("index1".to_owned())
            .chain((1..=BLOBS).map(|i| format!("blob{i}")))
            .chain((1..=DOUBLES).map(|i| format!("double{i}")))
            .collect();
        let doubles: Vec<String> = p.doubles.iter().map(f64::to_string).collect();
        let cells = std::iter::once(p.index.as_str())
            .chain(p.blobs.iter().map(String::as_str))
            .chain(doubles.iter().map(String::as_str));
        layout::event(&layout::Row::new(
            names.iter().map(String::as_str).zip(cells),
        ))
    }

    #[test]
    fn every_event_round_trips_through_the_documented_layout() {
        for e in samples() {
            let p = data_point(&e);
            assert_eq!(p.index, e.common().visitor.clone().unwrap_or_default());
            assert_eq!(read_back(&p), Ok(e));
        }
    }

    #[test]
    fn conversion_columns_are_where_the_layout_says() {
        let p = data_point(&samples()[2]);
        assert_eq!(p.blobs[0], "conversion");
        assert_eq!(p.blobs[3], "purchase");
        assert_eq!(p.blobs[5], "url");
        assert_eq!(p.blobs[6], "hero-copy=holdout");
        assert_eq!(p.blobs[7], "summer=shown");
        assert_eq!(p.blobs[8], "p1 p2");
        assert_eq!(p.doubles, [1_764_264_000.0, 49.9, 1.0, 2.0, 0.0, 0.0]);
        let cells = layout::row(&samples()[2]);
        let names: Vec<&str> = cells.iter().map(|(c, _)| *c).collect();
        assert_eq!(names, layout::COLUMNS);
    }

    #[test]
    fn view_columns_are_where_the_layout_says() {
        let p = data_point(&samples()[4]);
        assert_eq!((p.index.as_str(), p.blobs[0].as_str()), ("5f0c", "view"));
        assert_eq!(p.blobs[3], "p0042");
    }

    #[test]
    fn records_are_the_events_and_only_declared_fields_of_the_stream() {
        let sent: Vec<serde_json::Value> = serde_json::from_str(&records(&samples())).unwrap();
        assert_eq!(sent.len(), samples().len());
        let schema: serde_json::Value =
            serde_json::from_str(include_str!("../../../../../schema/pipelines-stream.json"))
                .unwrap();
        let fields = schema["fields"].as_array().unwrap();
        for (record, event) in sent.iter().zip(samples()) {
            assert_eq!(Event::parse(&record.to_string()), Ok(event));
            for (key, value) in record.as_object().unwrap() {
                let field = fields
                    .iter()
                    .find(|f| f["name"] == key.as_str())
                    .unwrap_or_else(|| panic!("{key} is not a field of the stream"));
                let ok = match field["type"].as_str().unwrap() {
                    "string" => value.is_string(),
                    "int32" | "int64" => value.is_u64(),
                    "float64" => value.is_number(),
                    "bool" => value.is_boolean(),
                    "struct" | "json" => value.is_object(),
                    "list" => value.is_array(),
                    other => panic!("{other}"),
                };
                assert!(ok, "{key}: {value} is not a {}", field["type"]);
            }
            for required in fields.iter().filter(|f| f["required"] == true) {
                let name = required["name"].as_str().unwrap();
                assert!(
                    record.get(name).is_some(),
                    "{name} is required by the stream"
                );
            }
        }
        assert_eq!(records(&[]), "[]");
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
        let mut p = data_point(&samples()[0]);
        p.doubles[3] = 1.0;
        assert!(read_back(&p).unwrap_err().contains("schema 1"));
        let mut p = data_point(&samples()[0]);
        p.blobs[0] = "click".into();
        assert!(read_back(&p).is_err());
    }
}
