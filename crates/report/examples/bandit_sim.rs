//! The bandit benchmark of BENCHMARKS.md ("Bandits"): how many visitors until the bandit puts
//! at least 80 % of a context's traffic on its best message. How often the report's intervals
//! cover the true lift under the moving split is measured by `tests/coverage`
//! (`moving_split`, with the same simulator).
//!
//! `cargo run --release -p vitrine-report --example bandit_sim`
//!
//! `… --example bandit_sim events FILE` writes one round of 1 500 simulated visitors' events
//! (seed 2026) as JSON lines instead: `fixtures/optimize/events.jsonl`, the input of
//! `vitrine optimize`'s golden test.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

#[path = "../tests/bandit/sim.rs"]
mod sim;

use vitrine_report::optimize::Guard;

fn main() {
    if std::env::args().nth(1).as_deref() == Some("events") {
        let path = std::env::args().nth(2).expect("events FILE");
        let mut run = sim::Run::new(2026);
        run.visit(1_500);
        let lines: Vec<String> = run.events.iter().map(|e| e.to_line()).collect();
        std::fs::write(&path, lines.join("\n") + "\n").expect("write the events");
        return;
    }
    let guard = Guard::default();
    // Visitors to 80 %: rounds of 1 000 visitors, optimize after each, 20 seeds.
    let per_round = 1_000;
    let mut reached: Vec<[Option<u64>; 3]> = Vec::new();
    for seed in 0..20 {
        let mut run = sim::Run::new(1_000 + seed);
        let mut at = [None; 3];
        for _ in 0..60 {
            run.visit(per_round);
            run.optimize(&guard);
            for (i, s) in run.best_shares().iter().enumerate() {
                if *s >= 0.8 && at[i].is_none() {
                    at[i] = Some(run.visitors());
                }
            }
            if at.iter().all(Option::is_some) {
                break;
            }
        }
        reached.push(at);
    }
    println!("visitors (all contexts) until >= 80 % of a context's traffic is on its best message");
    println!("rounds of {per_round} visitors, optimize after each, 20 seeds:");
    for (i, seg) in sim::WORLD.iter().enumerate() {
        let mut v: Vec<u64> = reached.iter().filter_map(|r| r[i]).collect();
        v.sort_unstable();
        let never = reached.len() - v.len();
        let q = |f: f64| {
            v.get(((v.len() as f64 - 1.0) * f).round() as usize)
                .copied()
                .unwrap_or(0)
        };
        println!(
            "  {:<14} share {:.0} %: median {} , p90 {}, max {} ({} of 20 never within 60 000)",
            seg.context,
            seg.share * 100.0,
            q(0.5),
            q(0.9),
            v.last().copied().unwrap_or(0),
            never
        );
    }
}
