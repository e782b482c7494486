//! Writes the synthetic shop's events as JSON lines (the edge's log format) to stdout, and its
//! products export to a file, for `vitrine recs train` and BENCHMARKS.md:
//!
//! ```text
//! cargo run --release -p vitrine-learn --example synth_shop -- PRODUCTS VISITORS PRODUCTS_CSV > events.jsonl
//! ```

use std::io::{BufWriter, Write};
use std::process::ExitCode;

use vitrine_learn::synth::Shop;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let number = |i: usize, default: usize| args.get(i).map_or(Some(default), |a| a.parse().ok());
    let (Some(products), Some(visitors)) = (number(0, 1_000), number(1, 10_000)) else {
        eprintln!("usage: synth_shop [PRODUCTS] [VISITORS] [PRODUCTS_CSV]");
        return ExitCode::from(2);
    };
    let shop = Shop {
        products,
        ..Shop::default()
    };
    if let Some(path) = args.get(2) {
        if let Err(e) = std::fs::write(path, shop.products_csv()) {
            eprintln!("{path}: {e}");
            return ExitCode::from(2);
        }
    }
    let mut out = BufWriter::new(std::io::stdout().lock());
    let mut failed = None;
    shop.events(visitors, |e| {
        if failed.is_none() {
            failed = writeln!(out, "{}", e.to_line()).err();
        }
    });
    match failed.or_else(|| out.flush().err()) {
        Some(e) => {
            eprintln!("stdout: {e}");
            ExitCode::from(2)
        }
        None => ExitCode::SUCCESS,
    }
}
