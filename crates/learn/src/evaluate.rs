//! Offline evaluation: each visitor's last view is held out of training
//! ([`crate::Options::hold_out_last_view`]); from the visitor's previous product, would the
//! `also_viewed` table have listed it? Compared with the popularity baseline (the most viewed
//! products), as hit-rate@k (share of held-out views in the top k) and MRR@k (mean of
//! 1 / rank, 0 when not in the top k).
//!
//! The table's list is what the edge would show with `strategies = [{ related =
//! "also_viewed" }, { list = "popular" }]`: the table's items, then popular ones to fill k.
//! Neither list ever holds the context product itself.

use serde::Serialize;

use crate::Tables;

/// Hit-rate and MRR of one recommender.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Metrics {
    /// Share of held-out views found in the top k.
    pub hit_rate: f64,
    /// Mean reciprocal rank within the top k.
    pub mrr: f64,
}

/// The evaluation of a training run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Evaluation {
    /// Held-out views with an earlier product (the test cases).
    pub cases: usize,
    /// List length.
    pub k: usize,
    /// Share of cases whose context product has an `also_viewed` list.
    pub covered: f64,
    /// The trained `also_viewed` table, filled with popular items.
    pub also_viewed: Metrics,
    /// The most viewed products.
    pub popularity: Metrics,
}

impl Evaluation {
    /// How many times the table's hit-rate the baseline's is (`None` when the baseline never
    /// hits).
    pub fn lift(&self) -> Option<f64> {
        (self.popularity.hit_rate > 0.0)
            .then(|| self.also_viewed.hit_rate / self.popularity.hit_rate)
    }
}

/// Evaluates the tables on their held-out views at list length `k`.
pub fn evaluate(tables: &Tables, k: usize) -> Evaluation {
    let mut recs = Tally::default();
    let mut base = Tally::default();
    let mut covered = 0usize;
    let popular: Vec<u32> = tables.popular.iter().copied().take(k + 1).collect();
    let mut list = Vec::with_capacity(k);
    for &(context, target) in &tables.held_out {
        let related = tables
            .also_viewed
            .get(context as usize)
            .map_or(&[][..], Vec::as_slice);
        covered += usize::from(!related.is_empty());
        list.clear();
        for &p in related.iter().chain(&popular) {
            if list.len() == k {
                break;
            }
            if p != context && !list.contains(&p) {
                list.push(p);
            }
        }
        recs.add(&list, target);
        let baseline: Vec<u32> = popular
            .iter()
            .copied()
            .filter(|&p| p != context)
            .take(k)
            .collect();
        base.add(&baseline, target);
    }
    let cases = tables.held_out.len();
    Evaluation {
        cases,
        k,
        covered: ratio(covered as f64, cases),
        also_viewed: recs.metrics(cases),
        popularity: base.metrics(cases),
    }
}

#[derive(Default)]
struct Tally {
    hits: f64,
    reciprocal: f64,
}

impl Tally {
    fn add(&mut self, list: &[u32], target: u32) {
        if let Some(rank) = list.iter().position(|&p| p == target) {
            self.hits += 1.0;
            self.reciprocal += 1.0 / (rank + 1) as f64;
        }
    }

    fn metrics(&self, cases: usize) -> Metrics {
        Metrics {
            hit_rate: ratio(self.hits, cases),
            mrr: ratio(self.reciprocal, cases),
        }
    }
}

fn ratio(x: f64, n: usize) -> f64 {
    if n == 0 {
        0.0
    } else {
        x / n as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::synth::Shop;
    use crate::{Options, Stats, Trainer};

    fn tables(also_viewed: Vec<Vec<u32>>, popular: Vec<u32>, held_out: Vec<(u32, u32)>) -> Tables {
        Tables {
            names: (0..also_viewed.len())
                .map(|i| format!("p{i}").into())
                .collect(),
            also_viewed,
            also_bought: Vec::new(),
            popular,
            trending: Vec::new(),
            trending_by_category: Default::default(),
            held_out,
            stats: Stats::default(),
        }
    }

    #[test]
    fn hit_rate_and_mrr_by_hand() {
        // Popularity: 0, 1, 2, 3. Product 4's table: 3, 2.
        let t = tables(
            vec![vec![], vec![], vec![], vec![], vec![3, 2]],
            vec![0, 1, 2, 3],
            // (context, target): 4→2 ranks 2nd in the table (then 0, 1 fill); 0→1: no table,
            // popularity without 0 is 1, 2, 3 (1st); 4→1: table 3, 2, then 0, 1: 4th, out of k=3.
            vec![(4, 2), (0, 1), (4, 1)],
        );
        let e = evaluate(&t, 3);
        assert_eq!((e.cases, e.k), (3, 3));
        assert!((e.covered - 2.0 / 3.0).abs() < 1e-12);
        assert!((e.also_viewed.hit_rate - 2.0 / 3.0).abs() < 1e-12);
        assert!((e.also_viewed.mrr - (0.5 + 1.0) / 3.0).abs() < 1e-12);
        // Baseline lists: 4→[0,1,2] (2 is 3rd), 0→[1,2,3] (1st), 4→[0,1,2] (1 is 2nd).
        assert!((e.popularity.hit_rate - 1.0).abs() < 1e-12);
        assert!((e.popularity.mrr - (1.0 / 3.0 + 1.0 + 0.5) / 3.0).abs() < 1e-12);
        assert_eq!(evaluate(&tables(vec![], vec![], vec![]), 10).lift(), None);
    }

    /// The target on the committed synthetic shop: hit-rate@10 at least twice the
    /// popularity baseline's.
    #[test]
    fn on_the_synthetic_shop_the_tables_beat_popularity_twice_over() {
        let shop = Shop {
            products: 2_000,
            ..Shop::default()
        };
        let mut t = Trainer::new(Options {
            hold_out_last_view: true,
            ..Options::default()
        });
        shop.events(40_000, |e| t.observe(&e));
        let e = evaluate(&t.finish(), 10);
        assert!(e.cases > 30_000, "{e:?}");
        assert!(e.lift().is_some_and(|l| l >= 2.0), "{e:?}");
    }
}
