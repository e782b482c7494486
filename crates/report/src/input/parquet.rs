//! Reading events from Parquet: the files a Cloudflare Pipelines stream with vitrine's schema
//! (`schema/pipelines-stream.json`) writes to R2, and the files `vitrine` writes locally in the
//! same layout ([`write`]).
//!
//! **The layout** (docs/reference.md#parquet-layout): one row per event, one column per field of
//! the event's JSON ([`vitrine_core::measure::events`]), named as in the JSON. A field the
//! event does not carry is null. Nested values are stored the way a Pipelines stream stores
//! its declared types:
//!
//! | column                       | Pipelines type            | Parquet / Arrow                      |
//! |------------------------------|---------------------------|--------------------------------------|
//! | `event`                      | `string`, required        | UTF-8 (`vitrine.exposure`, …)        |
//! | `schema`                     | `int32`, required         | INT32                                |
//! | `ts`, `day`                  | `int64`, required         | INT64 (Unix seconds, UTC day)        |
//! | `snapshot`                   | `string`, required        | UTF-8                                |
//! | `visitor`, `experiment`, `campaign`, `arm`, `context`, `split`, `name`, `source`, `product` | `string` | UTF-8, null when absent |
//! | `global_holdout`             | `bool`                    | BOOLEAN, null when false             |
//! | `value`                      | `float64`                 | DOUBLE, null when none               |
//! | `pre`                        | `struct` {`visits`, `views`: `int64`} | group / Struct       |
//! | `assignments`, `campaigns`   | `json`                    | UTF-8 holding the JSON object        |
//! | `products`                   | `list` of `string`        | LIST / List of UTF-8, null when none |
//!
//! `assignments` and `campaigns` are maps whose keys are the shop's experiment and campaign
//! names, so no declared struct can hold them; a stream's `json` type keeps them as their JSON
//! text. Integer columns may also be of another integer width, and strings `LargeUtf8` or
//! `Utf8View`, as other writers (pyarrow, DuckDB) choose; columns the layout does not name
//! are never read (the reader projects the file onto the layout).
//!
//! **Bounded memory**: the reader decodes one record batch ([`BATCH_ROWS`] rows of the
//! projected columns) at a time and hands each event on, so a file of any size is read in the
//! memory of a batch plus the file's footer. A row that is not an event of this schema is a
//! bad line (numbered by row, from 1); a file that is not Parquet, or whose columns have other
//! types, is an [`InputError::Parquet`] naming what was wrong.

pub mod write;

use std::collections::BTreeMap;

use arrow_array::cast::AsArray;
use arrow_array::types::{Float32Type, Float64Type, Int32Type, Int64Type, UInt32Type, UInt64Type};
use arrow_array::{Array, ArrayRef, RecordBatch, StructArray};
use arrow_schema::DataType;
use parquet::arrow::arrow_reader::{ParquetRecordBatchReader, ParquetRecordBatchReaderBuilder};
use parquet::arrow::ProjectionMask;
use parquet::file::reader::ChunkReader;

use vitrine_core::measure::events::{
    Common, Conversion, Event, ExposureEvent, Pre, Via, View, SCHEMA,
};

use super::{InputError, Parsed};

/// The four bytes every Parquet file starts (and ends) with.
pub const MAGIC: &[u8; 4] = b"PAR1";

/// Rows decoded at a time.
pub const BATCH_ROWS: usize = 8192;

/// Every column of the layout, in the order the writer writes them.
pub const COLUMNS: [&str; 20] = vitrine_core::measure::events::FIELDS;

/// Columns a file must have.
pub const REQUIRED: [&str; 3] = ["event", "schema", "ts"];

/// Reads a Parquet file of events, one record batch at a time, handing each event to `each`.
/// The answer counts the rows that were not events (its `events` stay empty).
pub fn each_parquet_row<R: ChunkReader + 'static>(
    file: R,
    mut each: impl FnMut(Event),
) -> Result<Parsed, InputError> {
    let mut reader = contained(None, || open(file))??;
    let mut out = Parsed::default();
    let mut row = 0usize;
    // The reader is never used again after a panic: the error ends the read.
    while let Some(batch) = contained(Some(row), || reader.next())? {
        let batch = batch.map_err(|e| {
            InputError::Parquet(format!("after row {row}: cannot decode the data: {e}"))
        })?;
        let columns = Columns::of(&batch)?;
        for i in 0..batch.num_rows() {
            row += 1;
            match columns.event(i) {
                Ok(e) => each(e),
                Err(reason) => out.bad_line(row, reason),
            }
        }
    }
    Ok(out)
}

/// Runs a call into the Parquet library, turning a panic into an error that says where: after
/// which row, or (`None`) while opening the file.
///
/// The library panics on some damaged files instead of returning an error (an index out of
/// bounds in a page decoder, a negative column offset in the footer, a division by zero:
/// `fuzz/fuzz_targets/parquet.rs` finds them in seconds, and a few are pinned in
/// `fixtures/parquet/malformed/`). No check of ours before decoding could rule them all out
/// short of decoding twice, so every call into the library runs here, and the file is an
/// error naming where it broke. This works because the CLI unwinds on panic: the release
/// profile says `panic = "unwind"` (Cargo.toml), and a `panic = "abort"` build would end the
/// process here instead. What a panic interrupted is dropped with the error, never used.
fn contained<T>(row: Option<usize>, call: impl FnOnce() -> T) -> Result<T, InputError> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(call)).map_err(|payload| {
        let why = payload
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_default();
        let at = row.map_or_else(
            || "reading the footer".to_owned(),
            |r| format!("after row {r}"),
        );
        InputError::Parquet(format!(
            "{at}: the file is damaged (the Parquet library failed on it: {why})"
        ))
    })
}

/// The record batch reader of a file, projected onto the layout's columns.
fn open<R: ChunkReader + 'static>(file: R) -> Result<ParquetRecordBatchReader, InputError> {
    let builder = ParquetRecordBatchReaderBuilder::try_new(file)
        .map_err(|e| InputError::Parquet(format!("not a readable Parquet file: {e}")))?;
    let names: Vec<String> = builder
        .schema()
        .fields()
        .iter()
        .map(|f| f.name().clone())
        .collect();
    let missing: Vec<&str> = REQUIRED
        .iter()
        .copied()
        .filter(|r| !names.iter().any(|n| n == r))
        .collect();
    if !missing.is_empty() {
        return Err(InputError::Parquet(format!(
            "missing column(s) {} (expected the event layout, see docs/reference.md#parquet-layout)",
            missing.join(", ")
        )));
    }
    let roots: Vec<usize> = names
        .iter()
        .enumerate()
        .filter(|(_, n)| COLUMNS.contains(&n.as_str()))
        .map(|(i, _)| i)
        .collect();
    let mask = ProjectionMask::roots(builder.parquet_schema(), roots);
    builder
        .with_projection(mask)
        .with_batch_size(BATCH_ROWS)
        .build()
        .map_err(|e| InputError::Parquet(e.to_string()))
}

/// Reads a whole Parquet file held in memory (tests and the fuzz target).
pub fn parquet_bytes(bytes: Vec<u8>) -> Result<Parsed, InputError> {
    let mut events = Vec::new();
    let mut out = each_parquet_row(bytes::Bytes::from(bytes), |e| events.push(e))?;
    out.events = events;
    Ok(out)
}

/// A text column of any of Arrow's string types.
enum Text<'a> {
    Absent,
    Utf8(&'a arrow_array::StringArray),
    Large(&'a arrow_array::LargeStringArray),
    View(&'a arrow_array::StringViewArray),
}

impl<'a> Text<'a> {
    fn of(column: Option<&'a ArrayRef>, name: &str) -> Result<Self, InputError> {
        let Some(a) = column else {
            return Ok(Text::Absent);
        };
        Ok(match a.data_type() {
            DataType::Utf8 => Text::Utf8(a.as_string()),
            DataType::LargeUtf8 => Text::Large(a.as_string()),
            DataType::Utf8View => Text::View(a.as_string_view()),
            other => return Err(wrong_type(name, other, "a string")),
        })
    }

    fn get(&self, i: usize) -> Option<&'a str> {
        match self {
            Text::Absent => None,
            Text::Utf8(a) => (!a.is_null(i)).then(|| a.value(i)),
            Text::Large(a) => (!a.is_null(i)).then(|| a.value(i)),
            Text::View(a) => (!a.is_null(i)).then(|| a.value(i)),
        }
    }

    fn owned(&self, i: usize) -> Option<String> {
        self.get(i).filter(|s| !s.is_empty()).map(str::to_owned)
    }
}

/// A number column of any integer or float width, read as `f64` (exact for integers below
/// 2^53, which covers every count and time the layout holds).
enum Number<'a> {
    Absent,
    Column(&'a dyn Array, fn(&dyn Array, usize) -> f64),
}

impl<'a> Number<'a> {
    fn of(column: Option<&'a ArrayRef>, name: &str) -> Result<Self, InputError> {
        let Some(a) = column else {
            return Ok(Number::Absent);
        };
        let read: fn(&dyn Array, usize) -> f64 = match a.data_type() {
            DataType::Int32 => |a, i| f64::from(a.as_primitive::<Int32Type>().value(i)),
            DataType::Int64 => |a, i| a.as_primitive::<Int64Type>().value(i) as f64,
            DataType::UInt32 => |a, i| f64::from(a.as_primitive::<UInt32Type>().value(i)),
            DataType::UInt64 => |a, i| a.as_primitive::<UInt64Type>().value(i) as f64,
            DataType::Float32 => |a, i| f64::from(a.as_primitive::<Float32Type>().value(i)),
            DataType::Float64 => |a, i| a.as_primitive::<Float64Type>().value(i),
            other => return Err(wrong_type(name, other, "a number")),
        };
        Ok(Number::Column(a.as_ref(), read))
    }

    fn get(&self, i: usize) -> Option<f64> {
        match self {
            Number::Absent => None,
            Number::Column(a, read) => (!a.is_null(i)).then(|| read(*a, i)),
        }
    }
}

/// The columns of one record batch, typed once per batch.
struct Columns<'a> {
    event: Text<'a>,
    schema: Number<'a>,
    ts: Number<'a>,
    snapshot: Text<'a>,
    visitor: Text<'a>,
    global_holdout: Option<&'a arrow_array::BooleanArray>,
    experiment: Text<'a>,
    campaign: Text<'a>,
    arm: Text<'a>,
    pre: Option<(&'a StructArray, Number<'a>, Number<'a>)>,
    context: Text<'a>,
    split: Text<'a>,
    name: Text<'a>,
    value: Number<'a>,
    source: Text<'a>,
    assignments: Text<'a>,
    campaigns: Text<'a>,
    products: Option<(&'a dyn Array, Text<'a>)>,
    product: Text<'a>,
}

fn wrong_type(column: &str, found: &DataType, expected: &str) -> InputError {
    InputError::Parquet(format!(
        "column `{column}` is {found}, expected {expected} (see docs/reference.md#parquet-layout)"
    ))
}

impl<'a> Columns<'a> {
    fn of(batch: &'a RecordBatch) -> Result<Self, InputError> {
        let col = |name: &str| batch.column_by_name(name);
        let text = |name: &str| Text::of(col(name), name);
        let number = |name: &str| Number::of(col(name), name);
        let global_holdout = match col("global_holdout") {
            None => None,
            Some(a) => match a.data_type() {
                DataType::Boolean => Some(a.as_boolean()),
                other => return Err(wrong_type("global_holdout", other, "a boolean")),
            },
        };
        let pre = match col("pre") {
            None => None,
            Some(a) => {
                let DataType::Struct(_) = a.data_type() else {
                    return Err(wrong_type("pre", a.data_type(), "a struct {visits, views}"));
                };
                let s = a.as_struct();
                Some((
                    s,
                    Number::of(s.column_by_name("visits"), "pre.visits")?,
                    Number::of(s.column_by_name("views"), "pre.views")?,
                ))
            }
        };
        let products = match col("products") {
            None => None,
            Some(a) => {
                let values = match a.data_type() {
                    DataType::List(_) => a.as_list::<i32>().values(),
                    DataType::LargeList(_) => a.as_list::<i64>().values(),
                    other => return Err(wrong_type("products", other, "a list of strings")),
                };
                Some((a.as_ref(), Text::of(Some(values), "products.item")?))
            }
        };
        Ok(Columns {
            event: text("event")?,
            schema: number("schema")?,
            ts: number("ts")?,
            snapshot: text("snapshot")?,
            visitor: text("visitor")?,
            global_holdout,
            experiment: text("experiment")?,
            campaign: text("campaign")?,
            arm: text("arm")?,
            pre,
            context: text("context")?,
            split: text("split")?,
            name: text("name")?,
            value: number("value")?,
            source: text("source")?,
            assignments: text("assignments")?,
            campaigns: text("campaigns")?,
            products,
            product: text("product")?,
        })
    }

    /// The event in row `i`, or why it is not one.
    fn event(&self, i: usize) -> Result<Event, String> {
        let schema = self.schema.get(i).ok_or("no schema")?;
        if schema != f64::from(SCHEMA) {
            return Err(format!(
                "event schema {schema} is not the supported schema {SCHEMA}"
            ));
        }
        let ts = self.ts.get(i).ok_or("no ts")?;
        if !(0.0..=9.0e15).contains(&ts) || ts.fract() != 0.0 {
            return Err(format!("ts {ts} is not a Unix time"));
        }
        let ts = ts as u64;
        let common = Common {
            schema: SCHEMA,
            ts,
            day: ts / 86_400,
            snapshot: self.snapshot.get(i).unwrap_or_default().to_owned(),
            visitor: self.visitor.owned(i),
            global_holdout: self
                .global_holdout
                .is_some_and(|a| !a.is_null(i) && a.value(i)),
        };
        match self.event.get(i).unwrap_or_default() {
            "vitrine.exposure" => Ok(Event::Exposure(ExposureEvent {
                common,
                experiment: self.experiment.owned(i),
                campaign: self.campaign.owned(i),
                arm: self.arm.owned(i).ok_or("exposure without an arm")?,
                pre: self.pre(i)?,
                context: self.context.owned(i),
                split: self.split.owned(i),
            })),
            "vitrine.conversion" => Ok(Event::Conversion(Conversion {
                common,
                name: self.name.owned(i).ok_or("conversion without a name")?,
                value: self.value.get(i).filter(|v| v.is_finite()),
                source: match self.source.get(i).unwrap_or_default() {
                    "url" => Via::Url,
                    "beacon" => Via::Beacon,
                    other => return Err(format!("unknown conversion source {other:?}")),
                },
                assignments: map(self.assignments.get(i), "assignments")?,
                campaigns: map(self.campaigns.get(i), "campaigns")?,
                products: self.products(i),
            })),
            "vitrine.view" => Ok(Event::View(View {
                common,
                product: self.product.owned(i).ok_or("view without a product")?,
            })),
            other => Err(format!("unknown event kind {other:?}")),
        }
    }

    fn pre(&self, i: usize) -> Result<Option<Pre>, String> {
        let Some((s, visits, views)) = &self.pre else {
            return Ok(None);
        };
        if s.is_null(i) {
            return Ok(None);
        }
        let count = |n: &Number<'_>, what: &str| -> Result<u32, String> {
            let v = n.get(i).unwrap_or(0.0);
            if (0.0..=f64::from(u32::MAX)).contains(&v) && v.fract() == 0.0 {
                Ok(v as u32)
            } else {
                Err(format!("pre.{what} {v} is not a count"))
            }
        };
        Ok(Some(Pre {
            visits: count(visits, "visits")?,
            views: count(views, "views")?,
        }))
    }

    fn products(&self, i: usize) -> Vec<String> {
        let Some((list, items)) = &self.products else {
            return Vec::new();
        };
        if list.is_null(i) {
            return Vec::new();
        }
        let (start, end) = match list.data_type() {
            DataType::List(_) => {
                let o = list.as_list::<i32>().value_offsets();
                (o[i] as usize, o[i + 1] as usize)
            }
            _ => {
                let o = list.as_list::<i64>().value_offsets();
                (o[i] as usize, o[i + 1] as usize)
            }
        };
        (start..end).filter_map(|j| items.owned(j)).collect()
    }
}

/// A `json` column's object of strings (`{"hero-copy":"urgency"}`); null or empty is `{}`.
fn map(text: Option<&str>, column: &str) -> Result<BTreeMap<String, String>, String> {
    match text.map(str::trim) {
        None | Some("") | Some("null") => Ok(BTreeMap::new()),
        Some(json) => serde_json::from_str(json)
            .map_err(|e| format!("{column}: not a JSON object of strings: {e}")),
    }
}

#[cfg(test)]
mod tests;
