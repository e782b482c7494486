//! Pair counts with a hard cap: unordered product pairs → (decayed weight, raw count).
//!
//! When the table grows past its cap it is pruned, least-supported pairs first (every pair
//! seen once, then twice, …, until it is back under three quarters of the cap): the classic
//! lossy-counting trade, which keeps the pairs that could reach the minimum support and bounds
//! memory by the cap alone.

use rustc_hash::FxHashMap;

/// Decayed weight and raw count of one pair.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Count {
    pub(crate) weight: f32,
    pub(crate) count: u32,
}

/// Unordered pair counts, at most `cap` of them.
pub(crate) struct Pairs {
    map: FxHashMap<u64, Count>,
    cap: usize,
    /// Pairs dropped by pruning so far.
    pub(crate) pruned: u64,
}

fn key(a: u32, b: u32) -> u64 {
    let (lo, hi) = if a < b { (a, b) } else { (b, a) };
    (u64::from(lo) << 32) | u64::from(hi)
}

impl Pairs {
    pub(crate) fn new(cap: usize) -> Self {
        Pairs {
            map: FxHashMap::default(),
            cap: cap.max(16),
            pruned: 0,
        }
    }

    /// Counts one co-occurrence of `a` and `b` (never a product with itself).
    pub(crate) fn add(&mut self, a: u32, b: u32, weight: f32) {
        if a == b {
            return;
        }
        let c = self.map.entry(key(a, b)).or_default();
        c.weight += weight;
        c.count = c.count.saturating_add(1);
        if self.map.len() > self.cap {
            self.prune();
        }
    }

    fn prune(&mut self) {
        let before = self.map.len();
        let mut at_most = 1;
        while self.map.len() > self.cap / 4 * 3 {
            self.map.retain(|_, c| c.count > at_most);
            at_most += 1;
        }
        self.pruned += (before - self.map.len()) as u64;
    }

    /// Multiplies every weight by `factor` (a decay rebase).
    pub(crate) fn scale(&mut self, factor: f32) {
        for c in self.map.values_mut() {
            c.weight *= factor;
        }
    }

    /// Every pair `(a, b, count)` with `a < b`.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (u32, u32, Count)> + '_ {
        self.map
            .iter()
            .map(|(k, c)| ((k >> 32) as u32, (k & 0xffff_ffff) as u32, *c))
    }

    pub(crate) fn len(&self) -> usize {
        self.map.len()
    }
}

#[cfg(test)]
mod tests {
    use super::Pairs;

    #[test]
    fn pairs_are_unordered_never_reflexive_and_capped() {
        let mut p = Pairs::new(16);
        p.add(2, 1, 1.0);
        p.add(1, 2, 0.5);
        p.add(3, 3, 1.0);
        let all: Vec<_> = p
            .iter()
            .map(|(a, b, c)| (a, b, c.count, c.weight))
            .collect();
        assert_eq!(all, [(1, 2, 2, 1.5)]);
        for i in 10..100 {
            p.add(i, i + 1, 1.0);
            assert!(p.len() <= 16);
        }
        // The supported pair survives pruning; singletons go first.
        assert!(p.iter().any(|(a, b, _)| (a, b) == (1, 2)));
        assert!(p.pruned > 0);
    }
}
