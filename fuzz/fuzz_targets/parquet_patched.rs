//! The Parquet reader on valid files of the layout with a few bytes changed: the structure-aware
//! variant of the `parquet` target. The input picks one of the committed seed files (whole,
//! valid files written by `input::parquet::write` with several writers' settings) and a list
//! of byte patches XORed into it. Everything else stays valid, so the footer's Thrift metadata
//! and the page headers mostly still parse and a change reaches the decoders behind them, which
//! random bytes seldom do. The reader must return events or an error, never panic.
#![no_main]
use libfuzzer_sys::fuzz_target;
use vitrine_report::input;

mod contain;

/// The seed files, built in (`UPDATE_GOLDEN=1 cargo test -p vitrine-report fuzz_seeds` writes
/// them).
const BASES: [&[u8]; 4] = [
    include_bytes!("../corpus/parquet/samples.parquet"),
    include_bytes!("../corpus/parquet/samples-plain.parquet"),
    include_bytes!("../corpus/parquet/other-writer.parquet"),
    include_bytes!("../corpus/parquet/samples-split.parquet"),
];

fuzz_target!(|data: &[u8]| {
    contain::library_panics_to_the_reader();
    let Some((&pick, patches)) = data.split_first() else {
        return;
    };
    let mut file = BASES[usize::from(pick) % BASES.len()].to_vec();
    // Each patch: a position (u16, little-endian; the top bit counts from the end, where the
    // footer is) and a byte XORed in.
    for p in patches.chunks_exact(3) {
        let at = usize::from(u16::from_le_bytes([p[0], p[1]]) & 0x7fff) % file.len();
        let at = if p[1] & 0x80 != 0 { file.len() - 1 - at } else { at };
        file[at] ^= p[2];
    }
    if let Ok(parsed) = input::parquet::parquet_bytes(file) {
        for e in &parsed.events {
            assert_eq!(e.common().day, e.common().ts / 86_400);
        }
    }
});
