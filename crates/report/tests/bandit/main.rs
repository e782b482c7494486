//! The bandit loop on simulated traffic (`sim.rs`): the edge's placement and `optimize`'s
//! weights together. Bounded so it runs in seconds in a debug build; the full figures
//! (visitors to 80 %) come from `examples/bandit_sim.rs` and are in BENCHMARKS.md. How well
//! the report's intervals cover the truth under the moving split is `tests/coverage`'s.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod sim;

use vitrine_report::optimize::{Guard, Outcome};

/// A small guard: fewer posterior draws keep the debug build fast; the weights' noise grows,
/// which only makes the coverage check harder.
fn guard() -> Guard {
    Guard {
        draws: 2_000,
        ..Guard::default()
    }
}

#[test]
fn the_bandit_moves_traffic_to_the_best_message_in_each_context() {
    let mut run = sim::Run::new(42);
    for _ in 0..6 {
        run.visit(1_500);
        let plan = run.optimize(&guard());
        assert!(plan.srm.is_none_or(|g| g.p > 1e-3), "{:?}", plan.srm);
    }
    let shares = run.best_shares();
    // After 9 000 visitors every context gives most of its traffic to its best message.
    for (s, seg) in shares.iter().zip(&sim::WORLD) {
        assert!(*s > 0.6, "{}: best share {s} ({shares:?})", seg.context);
    }
}

#[test]
fn the_first_round_learns_and_the_floor_holds() {
    let mut run = sim::Run::new(7);
    run.visit(2_000);
    let plan = run.optimize(&guard());
    for c in &plan.contexts {
        assert_eq!(c.outcome, Outcome::Reweight, "{}", c.context);
        let total: u32 = c.weights.iter().sum();
        assert_eq!(total, 10_000);
        assert!(c.weights.iter().all(|w| *w >= 500), "{:?}", c.weights);
    }
}
