//! Writes synthetic events ([`vitrine_report::synth`]) as Parquet files in the event layout,
//! the input of BENCHMARKS.md's "Events at volume".
//!
//! `cargo run --release -p vitrine-report --example synth_events -- DIR EVENTS [PER_FILE] [SEED]`
//!
//! writes `DIR/part-00000.parquet`, … with `PER_FILE` events each (default 10 000 000).
//! `… --example synth_events -- --jsonl FILE EVENTS [SEED]` writes JSON lines instead.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::io::Write;

use vitrine_report::input::parquet::write::EventWriter;
use vitrine_report::synth::Synth;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let number = |i: usize, default: u64| {
        args.get(i)
            .map(|a| a.replace('_', "").parse().expect("a number"))
            .unwrap_or(default)
    };
    if args.first().map(String::as_str) == Some("--jsonl") {
        let path = args.get(1).expect("--jsonl FILE EVENTS [SEED]");
        let synth = Synth {
            events: number(2, 1_000_000),
            seed: number(3, Synth::default().seed),
            ..Synth::default()
        };
        let mut out = std::io::BufWriter::new(std::fs::File::create(path).expect("create"));
        for e in synth.events() {
            writeln!(out, "{}", e.to_line()).expect("write");
        }
        out.flush().expect("write");
        return;
    }
    let dir = std::path::PathBuf::from(args.first().expect("DIR EVENTS [PER_FILE] [SEED]"));
    let synth = Synth {
        events: number(1, 1_000_000),
        seed: number(3, Synth::default().seed),
        ..Synth::default()
    };
    let per_file = number(2, 10_000_000).max(1);
    std::fs::create_dir_all(&dir).expect("create DIR");
    let open = |n: u64| {
        let path = dir.join(format!("part-{n:05}.parquet"));
        EventWriter::new(std::fs::File::create(&path).expect("create a file")).expect("writer")
    };
    let mut file = 0;
    let mut writer = open(file);
    for e in synth.events() {
        if writer.written() == per_file {
            writer.finish().expect("finish a file");
            file += 1;
            writer = open(file);
        }
        writer.push(&e).expect("write an event");
    }
    writer.finish().expect("finish the last file");
    eprintln!(
        "wrote {} event(s) in {} file(s) under {}",
        synth.events,
        file + 1,
        dir.display()
    );
}
