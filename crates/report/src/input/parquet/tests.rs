use super::write::{self, EventWriter};
use super::*;
use vitrine_core::measure::events::SHOWN;

fn common(visitor: Option<&str>, global: bool, ts: u64) -> Common {
    Common {
        schema: SCHEMA,
        ts,
        day: ts / 86_400,
        snapshot: "3f00aa".into(),
        visitor: visitor.map(str::to_owned),
        global_holdout: global,
    }
}

/// One event of every kind, with every optional field both set and absent.
fn samples() -> Vec<Event> {
    vec![
        Event::Exposure(ExposureEvent {
            common: common(Some("5f0c"), false, 1_764_264_000),
            experiment: Some("hero-copy".into()),
            campaign: None,
            arm: "urgency".into(),
            pre: Some(Pre {
                visits: 4,
                views: 0,
            }),
            context: Some("loyal".into()),
            split: Some("holdout=500;control=4750;urgency=4750".into()),
        }),
        Event::Exposure(ExposureEvent {
            common: common(None, true, 1_764_264_001),
            experiment: None,
            campaign: Some("summer".into()),
            arm: "holdout".into(),
            pre: None,
            context: None,
            split: None,
        }),
        Event::Conversion(Conversion {
            common: common(Some("5f0c"), true, 1_764_264_002),
            name: "purchase".into(),
            value: Some(49.9),
            source: Via::Url,
            assignments: [("hero-copy".to_owned(), "holdout".to_owned())].into(),
            campaigns: [("summer".to_owned(), SHOWN.to_owned())].into(),
            products: vec!["p1".into(), "p2".into()],
        }),
        Event::Conversion(Conversion {
            common: common(None, false, 1_764_264_003),
            name: "add_to_cart".into(),
            value: None,
            source: Via::Beacon,
            assignments: Default::default(),
            campaigns: Default::default(),
            products: Vec::new(),
        }),
        Event::View(View {
            common: common(Some("5f0c"), false, 1_764_264_004),
            product: "p0042".into(),
        }),
    ]
}

#[test]
fn every_event_round_trips_through_the_layout() {
    let events = samples();
    let bytes = write::to_bytes(&events).unwrap();
    assert_eq!(&bytes[..4], MAGIC);
    let parsed = parquet_bytes(bytes).unwrap();
    assert_eq!((parsed.bad_count, parsed.skipped), (0, 0));
    assert_eq!(parsed.events, events);
}

#[test]
fn many_batches_round_trip_in_order() {
    // More rows than a batch, so the reader and the writer both cross batch boundaries.
    let events: Vec<Event> = (0..(BATCH_ROWS as u64 * 2 + 17))
        .map(|i| {
            let mut e = samples()[(i % 5) as usize].clone();
            if let Event::Exposure(x) = &mut e {
                x.common.ts = i;
                x.common.day = 0;
            }
            e
        })
        .collect();
    let parsed = parquet_bytes(write::to_bytes(&events).unwrap()).unwrap();
    assert_eq!(parsed.events.len(), events.len());
    assert_eq!(parsed.events, events);
}

#[test]
fn a_file_that_is_not_parquet_is_an_error_that_says_so() {
    for bytes in [
        b"{\"event\":\"vitrine.exposure\"}\n".to_vec(),
        Vec::new(),
        b"PAR1PAR1".to_vec(),
    ] {
        let e = parquet_bytes(bytes).unwrap_err();
        assert!(e.to_string().contains("not a readable Parquet file"), "{e}");
    }
    // A real file cut short loses its footer.
    let mut bytes = write::to_bytes(&samples()).unwrap();
    bytes.truncate(bytes.len() / 2);
    assert!(matches!(parquet_bytes(bytes), Err(InputError::Parquet(_))));
}

fn file_of(columns: Vec<(&str, ArrayRef)>) -> Vec<u8> {
    let batch = RecordBatch::try_from_iter(columns).unwrap();
    let mut w = parquet::arrow::ArrowWriter::try_new(Vec::new(), batch.schema(), None).unwrap();
    w.write(&batch).unwrap();
    w.into_inner().unwrap()
}

#[test]
fn missing_columns_and_wrong_types_are_named() {
    use arrow_array::{Int64Array, StringArray};
    use std::sync::Arc;
    let other = file_of(vec![(
        "url",
        Arc::new(StringArray::from(vec!["/"])) as ArrayRef,
    )]);
    let e = parquet_bytes(other).unwrap_err().to_string();
    assert!(e.contains("missing column(s) event, schema, ts"), "{e}");
    let text_ts = file_of(vec![
        (
            "event",
            Arc::new(StringArray::from(vec!["vitrine.view"])) as ArrayRef,
        ),
        ("schema", Arc::new(Int64Array::from(vec![2]))),
        ("ts", Arc::new(StringArray::from(vec!["yesterday"]))),
    ]);
    let e = parquet_bytes(text_ts).unwrap_err().to_string();
    assert!(e.contains("column `ts` is Utf8, expected a number"), "{e}");
}

#[test]
fn rows_that_are_not_events_are_bad_lines_numbered_by_row() {
    use arrow_array::{Int64Array, StringArray};
    use std::sync::Arc;
    // Written by another tool: int64 schema, no optional columns at all.
    let bytes = file_of(vec![
        (
            "event",
            Arc::new(StringArray::from(vec![
                "vitrine.view",
                "vitrine.click",
                "vitrine.exposure",
                "vitrine.exposure",
            ])) as ArrayRef,
        ),
        ("schema", Arc::new(Int64Array::from(vec![2, 2, 1, 2]))),
        ("ts", Arc::new(Int64Array::from(vec![1, 2, 3, 4]))),
        (
            "arm",
            Arc::new(StringArray::from(vec![None, None, Some("a"), Some("a")])),
        ),
        (
            "product",
            Arc::new(StringArray::from(vec![Some("p1"), None, None, None])),
        ),
    ]);
    let parsed = parquet_bytes(bytes).unwrap();
    assert_eq!(parsed.events.len(), 2);
    assert_eq!(parsed.bad_count, 2);
    assert_eq!(parsed.bad[0].line, 2);
    assert!(parsed.bad[0].reason.contains("vitrine.click"));
    assert_eq!(parsed.bad[1].line, 3);
    assert!(parsed.bad[1].reason.contains("schema 1"));
}

#[test]
fn the_stream_schema_declares_the_layout_the_writer_writes() {
    let text = include_str!("../../../../../schema/pipelines-stream.json");
    let declared: serde_json::Value = serde_json::from_str(text).unwrap();
    let fields = declared["fields"].as_array().unwrap();
    let schema = write::schema();
    let names: Vec<&str> = fields.iter().map(|f| f["name"].as_str().unwrap()).collect();
    assert_eq!(names, COLUMNS);
    for (f, arrow) in fields.iter().zip(schema.fields()) {
        let expected = match arrow.data_type() {
            DataType::Utf8 if ["assignments", "campaigns"].contains(&arrow.name().as_str()) => {
                "json"
            }
            DataType::Utf8 => "string",
            DataType::Int32 => "int32",
            DataType::Int64 => "int64",
            DataType::Float64 => "float64",
            DataType::Boolean => "bool",
            DataType::Struct(_) => "struct",
            DataType::List(_) => "list",
            other => panic!("{other}"),
        };
        assert_eq!(f["type"], expected, "{}", arrow.name());
        assert_eq!(f["required"], !arrow.is_nullable(), "{}", arrow.name());
    }
}

#[test]
fn the_writer_counts_and_an_empty_file_reads_as_no_events() {
    let w = EventWriter::new(Vec::new()).unwrap();
    assert_eq!(w.written(), 0);
    let parsed = parquet_bytes(w.finish().unwrap()).unwrap();
    assert!(parsed.events.is_empty());
}

/// The seed corpus of the `parquet` and `parquet_patched` fuzz targets (fuzz/corpus/parquet/):
/// small valid files that read back as the events they were written from. Refresh after an
/// intended change of the layout: `UPDATE_GOLDEN=1 cargo test -p vitrine-report fuzz_seeds`.
#[test]
fn fuzz_seeds_are_valid_files_of_the_layout() {
    use parquet::basic::{Compression, Encoding};
    use parquet::file::properties::{WriterProperties, WriterVersion};
    use std::path::Path;
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/corpus/parquet");
    // Uncompressed, no dictionary, version 2 data pages: the page decoders see the raw values.
    let plain = WriterProperties::builder()
        .set_compression(Compression::UNCOMPRESSED)
        .set_dictionary_enabled(false)
        .set_writer_version(WriterVersion::PARQUET_2_0)
        .build();
    let mut w = EventWriter::with_properties(Vec::new(), plain).unwrap();
    for e in samples() {
        w.push(&e).unwrap();
    }
    // The numbers as BYTE_STREAM_SPLIT, which writers offer for floats and integers.
    let mut split = WriterProperties::builder()
        .set_compression(Compression::UNCOMPRESSED)
        .set_dictionary_enabled(false)
        .set_writer_version(WriterVersion::PARQUET_2_0);
    for column in ["schema", "ts", "day", "value"] {
        split = split.set_column_encoding(column.into(), Encoding::BYTE_STREAM_SPLIT);
    }
    let mut s = EventWriter::with_properties(Vec::new(), split.build()).unwrap();
    for e in samples() {
        s.push(&e).unwrap();
    }
    let seeds = [
        ("samples.parquet", write::to_bytes(&samples()).unwrap()),
        ("samples-plain.parquet", w.finish().unwrap()),
        ("other-writer.parquet", other_writer()),
        ("samples-split.parquet", s.finish().unwrap()),
    ];
    for (name, bytes) in seeds {
        let path = dir.join(name);
        if std::env::var_os("UPDATE_GOLDEN").is_some() {
            std::fs::write(&path, &bytes).unwrap();
        }
        let committed = std::fs::read(&path)
            .unwrap_or_else(|e| panic!("{}: {e}; run with UPDATE_GOLDEN=1", path.display()));
        assert!(committed.len() < 8 * 1024, "{name}: keep the seeds small");
        let want = parquet_bytes(bytes).unwrap();
        assert_eq!(parquet_bytes(committed).unwrap(), want, "{name}");
        assert!(!want.events.is_empty(), "{name}");
    }
}

/// A file as another writer might make it: other integer widths, `LargeUtf8`, a bad row.
fn other_writer() -> Vec<u8> {
    use arrow_array::{Int64Array, LargeStringArray, StringArray, UInt32Array};
    use std::sync::Arc;
    file_of(vec![
        (
            "event",
            Arc::new(LargeStringArray::from(vec![
                "vitrine.view",
                "vitrine.exposure",
                "vitrine.click",
            ])) as ArrayRef,
        ),
        ("schema", Arc::new(UInt32Array::from(vec![2, 2, 2]))),
        (
            "ts",
            Arc::new(Int64Array::from(vec![86_400, 86_401, 86_402])),
        ),
        (
            "arm",
            Arc::new(StringArray::from(vec![None, Some("shown"), None])),
        ),
        (
            "product",
            Arc::new(StringArray::from(vec![Some("p1"), None, None])),
        ),
        ("extra", Arc::new(Int64Array::from(vec![7, 8, 9]))),
    ])
}

/// Damaged files on which the Parquet library panics (found by the `parquet` fuzz target and a
/// sweep of single-byte changes to its seeds; `fixtures/parquet/malformed/`, each named for
/// where the library broke) are errors naming the damage, not a crash of `vitrine report`.
#[test]
fn damaged_files_that_made_the_parquet_library_panic_are_errors() {
    let dir =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/parquet/malformed");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    assert!(files.len() >= 6, "{files:?}");
    for path in files {
        let bytes = std::fs::read(&path).unwrap();
        match parquet_bytes(bytes) {
            Err(InputError::Parquet(why)) => {
                assert!(
                    why.contains("the file is damaged"),
                    "{}: {why}",
                    path.display()
                );
            }
            other => panic!("{}: {other:?}", path.display()),
        }
    }
}
