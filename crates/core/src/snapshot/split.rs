//! The split of an experiment's 10 000 buckets between its holdout and its arms, as the edge
//! places visitors ([`crate::decide::experiment`] documents the rule) and as bandit exposures
//! log it. It lives with the snapshot because the decoder checks a bandit's logged split
//! against its weights; the edge's placement reads the same definition.

/// Buckets per experiment: one bucket is one basis point.
pub const BUCKETS: u16 = 10_000;

/// The arm name recorded for held-out visitors (no arm may be called this).
pub const HOLDOUT: &str = "holdout";

/// How many of the 10 000 buckets each arm gets (and the holdout first), exactly as
/// [`crate::decide::experiment::place_with`] assigns them: arm `i` holds the `r` with
/// `⌈(w₀+…+wᵢ₋₁)·span/W⌉ ≤ r < ⌈(w₀+…+wᵢ)·span/W⌉`. Empty when every weight is zero.
pub fn bucket_counts(holdout_bp: u16, weights: &[u32]) -> Vec<u16> {
    let holdout = holdout_bp.min(BUCKETS);
    let span = u64::from(BUCKETS - holdout);
    let total: u64 = weights.iter().map(|w| u64::from(*w)).sum();
    if total == 0 {
        return Vec::new();
    }
    let mut out = vec![holdout];
    let (mut cumulative, mut below) = (0u64, 0u64);
    for w in weights {
        cumulative += u64::from(*w);
        let upto = (cumulative * span).div_ceil(total);
        // At most `span` ≤ 10 000: it fits.
        out.push(u16::try_from(upto - below).unwrap_or(0));
        below = upto;
    }
    out
}

/// The split a bandit exposure logs, `holdout=500;control=4750;urgency=4750`: the holdout and
/// then each arm (in arm order) with its [`bucket_counts`], so the report knows the
/// probability of every arm when the visitor was placed.
pub fn split_text(holdout_bp: u16, names: &[&str], weights: &[u32]) -> String {
    let counts = bucket_counts(holdout_bp, weights);
    std::iter::once(HOLDOUT)
        .chain(names.iter().copied())
        .zip(counts)
        .map(|(n, c)| format!("{n}={c}"))
        .collect::<Vec<_>>()
        .join(";")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_cover_every_bucket_and_follow_the_weights() {
        assert_eq!(bucket_counts(500, &[1, 1]), vec![500, 4750, 4750]);
        assert_eq!(bucket_counts(0, &[1, 2]), vec![0, 3334, 6666]);
        assert_eq!(bucket_counts(0, &[0, 0]), Vec::<u16>::new());
        assert_eq!(
            split_text(1000, &["control", "urgency"], &[2500, 7500]),
            "holdout=1000;control=2250;urgency=6750"
        );
        for (h, w) in [(0, vec![3, 7, 11]), (333, vec![1, 0, 5]), (10_000, vec![1])] {
            let c = bucket_counts(h, &w);
            assert_eq!(c.iter().map(|x| u32::from(*x)).sum::<u32>(), 10_000);
        }
    }
}
