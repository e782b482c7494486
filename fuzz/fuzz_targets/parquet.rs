//! The Parquet reader of `vitrine report`, `optimize` and `recs train`
//! ([`input::parquet::each_parquet_row`], the Pipelines sink's files) on arbitrary bytes: it
//! returns events or an error, never panics (a panic of the Parquet library is an error: see
//! `contain.rs`), and whatever it returns is an event of the supported schema that counting
//! and statistics take without panicking. The seed corpus is
//! small valid files of the layout, so mutations reach the page decoders, not only the footer.
#![no_main]
use libfuzzer_sys::fuzz_target;
use vitrine_report::input;

mod contain;

fuzz_target!(|data: &[u8]| {
    contain::library_panics_to_the_reader();
    let Ok(parsed) = input::parquet::parquet_bytes(data.to_vec()) else {
        return;
    };
    for e in &parsed.events {
        let c = e.common();
        assert_eq!(c.schema, vitrine_core::measure::events::SCHEMA);
        assert_eq!(c.day, c.ts / 86_400);
    }
    let _ = vitrine_report::aggregate(&parsed.events, &vitrine_report::Filter::default());
});
