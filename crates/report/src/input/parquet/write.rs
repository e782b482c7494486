//! Writing events as Parquet in the layout of [`super`], the one a Pipelines stream declared
//! with `schema/pipelines-stream.json` writes: for local files (the synthetic events of
//! `examples/synth_events.rs`, tests) that every reader of the lossless sink reads alike.
//!
//! Events are buffered [`super::BATCH_ROWS`] at a time into Arrow arrays and written as
//! zstd-compressed record batches (the Pipelines sink's default codec), so memory stays that of
//! one batch plus the row group being encoded.

use std::io::Write;
use std::sync::Arc;

use arrow_array::builder::{
    BooleanBuilder, Float64Builder, Int32Builder, Int64Builder, ListBuilder, StringBuilder,
};
use arrow_array::{ArrayRef, Int64Array, RecordBatch, StructArray};
use arrow_schema::{DataType, Field, Fields, Schema, SchemaRef};
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::properties::WriterProperties;

use vitrine_core::measure::events::{Event, Via};

use super::BATCH_ROWS;

/// Why events could not be written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WriteError {
    /// The Parquet encoder or the file failed.
    #[error("writing Parquet: {0}")]
    Parquet(#[from] parquet::errors::ParquetError),
    /// Arrays did not match the schema (a bug: the builders follow [`schema`]).
    #[error("building a record batch: {0}")]
    Arrow(#[from] arrow_schema::ArrowError),
}

fn pre_fields() -> Fields {
    Fields::from(vec![
        Field::new("visits", DataType::Int64, true),
        Field::new("views", DataType::Int64, true),
    ])
}

fn products_item() -> Arc<Field> {
    Arc::new(Field::new("item", DataType::Utf8, true))
}

/// The Arrow schema of the layout (docs/reference.md#parquet-layout), columns in
/// [`super::COLUMNS`] order.
pub fn schema() -> SchemaRef {
    let text = |name: &str, required: bool| Field::new(name, DataType::Utf8, !required);
    Arc::new(Schema::new(vec![
        text("event", true),
        Field::new("schema", DataType::Int32, false),
        Field::new("ts", DataType::Int64, false),
        Field::new("day", DataType::Int64, false),
        text("snapshot", true),
        text("visitor", false),
        Field::new("global_holdout", DataType::Boolean, true),
        text("experiment", false),
        text("campaign", false),
        text("arm", false),
        Field::new("pre", DataType::Struct(pre_fields()), true),
        text("context", false),
        text("split", false),
        text("name", false),
        Field::new("value", DataType::Float64, true),
        text("source", false),
        text("assignments", false),
        text("campaigns", false),
        Field::new("products", DataType::List(products_item()), true),
        text("product", false),
    ]))
}

/// Column builders for one batch.
#[derive(Default)]
struct Batch {
    rows: usize,
    event: StringBuilder,
    schema: Int32Builder,
    ts: Int64Builder,
    day: Int64Builder,
    snapshot: StringBuilder,
    visitor: StringBuilder,
    global_holdout: BooleanBuilder,
    experiment: StringBuilder,
    campaign: StringBuilder,
    arm: StringBuilder,
    pre_valid: Vec<bool>,
    visits: Vec<i64>,
    views: Vec<i64>,
    context: StringBuilder,
    split: StringBuilder,
    name: StringBuilder,
    value: Float64Builder,
    source: StringBuilder,
    assignments: StringBuilder,
    campaigns: StringBuilder,
    products: ListBuilder<StringBuilder>,
    product: StringBuilder,
}

impl Batch {
    fn push(&mut self, event: &Event) {
        self.rows += 1;
        let c = event.common();
        self.schema.append_value(c.schema as i32);
        self.ts.append_value(c.ts as i64);
        self.day.append_value(c.day as i64);
        self.snapshot.append_value(&c.snapshot);
        self.visitor.append_option(c.visitor.as_deref());
        self.global_holdout
            .append_option(c.global_holdout.then_some(true));
        let mut exposure = None;
        let mut conversion = None;
        let mut product = None;
        match event {
            Event::Exposure(e) => {
                self.event.append_value("vitrine.exposure");
                exposure = Some(e);
            }
            Event::Conversion(v) => {
                self.event.append_value("vitrine.conversion");
                conversion = Some(v);
            }
            Event::View(v) => {
                self.event.append_value("vitrine.view");
                product = Some(v.product.as_str());
            }
        }
        self.experiment
            .append_option(exposure.and_then(|e| e.experiment.as_deref()));
        self.campaign
            .append_option(exposure.and_then(|e| e.campaign.as_deref()));
        self.arm.append_option(exposure.map(|e| e.arm.as_str()));
        let pre = exposure.and_then(|e| e.pre);
        self.pre_valid.push(pre.is_some());
        self.visits.push(pre.map_or(0, |p| i64::from(p.visits)));
        self.views.push(pre.map_or(0, |p| i64::from(p.views)));
        self.context
            .append_option(exposure.and_then(|e| e.context.as_deref()));
        self.split
            .append_option(exposure.and_then(|e| e.split.as_deref()));
        self.name.append_option(conversion.map(|v| v.name.as_str()));
        self.value.append_option(conversion.and_then(|v| v.value));
        self.source
            .append_option(conversion.map(|v| match v.source {
                Via::Url => "url",
                Via::Beacon => "beacon",
            }));
        // The JSON text a stream's `json` column keeps (an absent map is `{}` in the event).
        let json = |m| serde_json::to_string(m).unwrap_or_default();
        self.assignments
            .append_option(conversion.map(|v| json(&v.assignments)));
        self.campaigns
            .append_option(conversion.map(|v| json(&v.campaigns)));
        match conversion.filter(|v| !v.products.is_empty()) {
            Some(v) => {
                for p in &v.products {
                    self.products.values().append_value(p);
                }
                self.products.append(true);
            }
            None => self.products.append(false),
        }
        self.product.append_option(product);
    }

    fn finish(&mut self, schema: &SchemaRef) -> Result<RecordBatch, WriteError> {
        let pre = StructArray::try_new(
            pre_fields(),
            vec![
                Arc::new(Int64Array::from(std::mem::take(&mut self.visits))) as ArrayRef,
                Arc::new(Int64Array::from(std::mem::take(&mut self.views))),
            ],
            Some(std::mem::take(&mut self.pre_valid).into()),
        )?;
        let products = self.products.finish();
        let columns: Vec<ArrayRef> = vec![
            Arc::new(self.event.finish()),
            Arc::new(self.schema.finish()),
            Arc::new(self.ts.finish()),
            Arc::new(self.day.finish()),
            Arc::new(self.snapshot.finish()),
            Arc::new(self.visitor.finish()),
            Arc::new(self.global_holdout.finish()),
            Arc::new(self.experiment.finish()),
            Arc::new(self.campaign.finish()),
            Arc::new(self.arm.finish()),
            Arc::new(pre),
            Arc::new(self.context.finish()),
            Arc::new(self.split.finish()),
            Arc::new(self.name.finish()),
            Arc::new(self.value.finish()),
            Arc::new(self.source.finish()),
            Arc::new(self.assignments.finish()),
            Arc::new(self.campaigns.finish()),
            Arc::new(products),
            Arc::new(self.product.finish()),
        ];
        self.rows = 0;
        Ok(RecordBatch::try_new(schema.clone(), columns)?)
    }
}

/// Writes events to one Parquet file in the layout.
pub struct EventWriter<W: Write + Send> {
    writer: ArrowWriter<W>,
    schema: SchemaRef,
    batch: Batch,
    written: u64,
}

impl<W: Write + Send> EventWriter<W> {
    /// A writer into `sink` (a file), zstd-compressed as a Pipelines sink writes by default.
    pub fn new(sink: W) -> Result<Self, WriteError> {
        let props = WriterProperties::builder()
            .set_compression(Compression::ZSTD(ZstdLevel::default()))
            .build();
        Self::with_properties(sink, props)
    }

    /// A writer into `sink` with other writer settings (codec, encodings, page version), as
    /// other writers of the layout choose them (tests, the fuzz seeds).
    pub fn with_properties(sink: W, props: WriterProperties) -> Result<Self, WriteError> {
        let schema = schema();
        Ok(EventWriter {
            writer: ArrowWriter::try_new(sink, schema.clone(), Some(props))?,
            schema,
            batch: Batch::default(),
            written: 0,
        })
    }

    /// Adds one event.
    pub fn push(&mut self, event: &Event) -> Result<(), WriteError> {
        self.batch.push(event);
        self.written += 1;
        if self.batch.rows >= BATCH_ROWS {
            let batch = self.batch.finish(&self.schema)?;
            self.writer.write(&batch)?;
        }
        Ok(())
    }

    /// Events pushed so far.
    pub fn written(&self) -> u64 {
        self.written
    }

    /// Writes what is buffered and the footer; the file is complete only after this.
    pub fn finish(mut self) -> Result<W, WriteError> {
        if self.batch.rows > 0 {
            let batch = self.batch.finish(&self.schema)?;
            self.writer.write(&batch)?;
        }
        Ok(self.writer.into_inner()?)
    }
}

/// The events as one Parquet file in memory.
pub fn to_bytes(events: &[Event]) -> Result<Vec<u8>, WriteError> {
    let mut w = EventWriter::new(Vec::new())?;
    for e in events {
        w.push(e)?;
    }
    w.finish()
}
