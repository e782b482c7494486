//! The activity cookie as a decision input: [`crate::cookie::activity::Activity`] answers the
//! counts that [`super::ActivityCounts`] asks for.
//!
//! The cookie keeps, per product, category and campaign, a count and the time of the latest
//! event (not every event, so it stays under 4096 bytes). A windowed count is therefore the
//! whole count when the latest event lies inside the window, and zero when it does not: a
//! frequency cap errs towards showing a campaign less often, never more.

use crate::cookie::activity::{Activity as Record, Tally};

impl super::ActivityCounts for Record {
    fn product_views(&self, product: &str, within_secs: u32, now: i64) -> u32 {
        windowed(&self.products, product, within_secs, now)
    }

    fn category_views(&self, category: &str) -> u32 {
        Record::category_views(self, category)
    }

    fn visits(&self) -> u32 {
        self.visits
    }

    fn impressions(&self, campaign: &str, within_secs: u32, now: i64) -> u32 {
        windowed(&self.impressions, campaign, within_secs, now)
    }

    fn assignment(&self, experiment: &str) -> Option<&str> {
        Record::assignment(self, experiment)
    }

    fn recent(&self, i: usize) -> Option<&str> {
        let at = self.recent.len().checked_sub(i.checked_add(1)?)?;
        self.recent.get(at).map(|v| v.0.as_str())
    }

    fn offer_started(&self, key: &str) -> Option<i64> {
        let started = self.experiments.iter().find(|a| a.0 == key)?.2;
        i64::try_from(started).ok()
    }
}

fn windowed(tallies: &[Tally], key: &str, within_secs: u32, now: i64) -> u32 {
    let Some(t) = tallies.iter().find(|t| t.key() == key) else {
        return 0;
    };
    let age = now.saturating_sub(i64::try_from(t.last()).unwrap_or(i64::MAX));
    if age <= i64::from(within_secs) {
        t.count()
    } else {
        0
    }
}

#[cfg(test)]
mod tests {
    use super::super::ActivityCounts;
    use super::*;

    /// The record as the decision sees it (its inherent methods have other signatures).
    fn seen(a: &Record) -> &dyn ActivityCounts {
        a
    }

    fn record() -> Record {
        let mut a = Record::new(1_000, None);
        for t in [1_000, 1_100, 1_200] {
            a.record_product_view("p1", t);
        }
        a.record_category_view("dog", 1_200);
        a.record_impression("spring-sale", 1_200);
        a
    }

    #[test]
    fn counts_when_the_latest_event_is_inside_the_window() {
        let a = record();
        assert_eq!(seen(&a).product_views("p1", 600, 1_500), 3);
        assert_eq!(seen(&a).impressions("spring-sale", 600, 1_500), 1);
        assert_eq!(seen(&a).category_views("dog"), 1);
    }

    #[test]
    fn nothing_counts_once_the_latest_event_left_the_window() {
        let a = record();
        assert_eq!(seen(&a).product_views("p1", 60, 1_500), 0);
        assert_eq!(seen(&a).impressions("spring-sale", 60, 1_500), 0);
    }

    #[test]
    fn unknown_keys_count_zero() {
        let a = record();
        assert_eq!(seen(&a).product_views("nope", 600, 1_500), 0);
        assert_eq!(seen(&a).impressions("nope", 600, 1_500), 0);
        assert_eq!(seen(&a).category_views("cat"), 0);
    }
}
