//! Warnings that stop a publish unless acknowledged in `[acknowledge]`: targeting on sensitive
//! attributes, schedules entirely in the past, slots on none of the sample pages, and a
//! variant count over the cap.

use std::cell::RefCell;
use std::collections::BTreeSet;

use lol_html::{element, HtmlRewriter, Settings};

use super::diagnostic::Acknowledgement;
use super::run::{Placed, Run};
use vitrine_core::snapshot::expr::Expr;

impl Run<'_> {
    /// Raises every warning for the placed candidates; returns the variant count.
    pub fn warnings_for(&mut self, placed: &[Placed]) -> u64 {
        for p in placed {
            let id = self.text(p.candidate.campaign).to_owned();
            if let Some(hit) = p.hits.first() {
                if !self.ack.sensitive.contains(&id) {
                    let names: BTreeSet<&str> = p.hits.iter().map(|h| h.name.as_str()).collect();
                    let names = names.into_iter().collect::<Vec<_>>().join(", ");
                    self.warn(hit.file, hit.span.clone(), "sensitive-targeting", &format!("campaign[{id}]"), format!("campaign `{id}` targets sensitive data ({names})"), &format!("make sure this is lawful and consented, then add \"{id}\" to `sensitive` in [acknowledge]"), Acknowledgement::Sensitive(id.clone()));
                }
            }
            let over = p
                .candidate
                .schedule
                .and_then(|w| w.end)
                .is_some_and(|end| end <= self.opts.now);
            if over && !self.ack.past_schedule.contains(&id) {
                self.warn(p.file, p.id_span.clone(), "past-schedule", &format!("campaign[{id}].schedule"), format!("campaign `{id}` has a schedule that ended in the past; it will never show"), &format!("fix the dates, remove the campaign, or add \"{id}\" to `past_schedule` in [acknowledge]"), Acknowledgement::PastSchedule(id.clone()));
            }
        }
        self.unused_slots(placed);
        let variants = placed
            .iter()
            .map(|p| {
                let segments = segment_count(&p.candidate.when).max(1);
                segments * (p.candidate.messages.len() as u64).max(1)
            })
            .sum::<u64>();
        let accepted = self
            .ack
            .max_variants
            .unwrap_or(0)
            .max(self.opts.max_variants);
        if variants > accepted {
            if let Some(p) = placed.first() {
                self.warn(p.file, 0..0, "variant-count", "campaign", format!("{variants} variants (segments × slots × variants) exceed the cap of {}", self.opts.max_variants), &format!("every variant needs review and testing; if this is intended, set `max_variants = {variants}` in [acknowledge]"), Acknowledgement::MaxVariants(variants));
            }
        }
        variants
    }

    fn unused_slots(&mut self, placed: &[Placed]) {
        if self.opts.pages.is_empty() {
            return;
        }
        let found = slots_on_pages(&self.opts.pages);
        let mut warned = BTreeSet::new();
        for p in placed {
            if found.contains(&p.slot)
                || self.ack.unused_slots.contains(&p.slot)
                || !warned.insert(p.slot.clone())
            {
                continue;
            }
            let pages = self
                .opts
                .pages
                .iter()
                .map(|(n, _)| n.as_str())
                .collect::<Vec<_>>()
                .join(", ");
            let id = self.text(p.candidate.campaign).to_owned();
            self.warn(p.file, p.id_span.clone(), "unused-slot", &format!("campaign[{id}].slot"), format!("slot `{}` appears on none of the sample pages ({pages})", p.slot), &format!("check the slot name against the pages' <vitrine-slot name=…>, or add \"{}\" to `unused_slots` in [acknowledge]", p.slot), Acknowledgement::UnusedSlot(p.slot.clone()));
        }
    }
}

/// Distinct segment references in an expression (how many audiences it speaks to).
fn segment_count(e: &Expr) -> u64 {
    match e {
        Expr::Segment(_) | Expr::Attr { .. } => 1,
        Expr::Any(list) => list.iter().map(segment_count).sum(),
        Expr::All(list) => list.iter().map(segment_count).max().unwrap_or(0),
        Expr::Not(inner) => segment_count(inner),
        _ => 0,
    }
}

/// Slot names marked in the pages (`<vitrine-slot name>` or `data-vitrine-slot`).
pub fn slots_on_pages(pages: &[(String, Vec<u8>)]) -> BTreeSet<String> {
    let found = RefCell::new(BTreeSet::new());
    for (_, bytes) in pages {
        let settings = Settings::new()
            .with_strict(false)
            .append_element_content_handler(element!("vitrine-slot[name]", |el| {
                if let Some(n) = el.get_attribute("name") {
                    found.borrow_mut().insert(n);
                }
                Ok(())
            }))
            .append_element_content_handler(element!("[data-vitrine-slot]", |el| {
                if let Some(n) = el.get_attribute("data-vitrine-slot") {
                    found.borrow_mut().insert(n);
                }
                Ok(())
            }));
        let mut rewriter = HtmlRewriter::new(settings, |_: &[u8]| {});
        // A page lol_html cannot parse contributes no slots (and so warns).
        if rewriter.write(bytes).is_ok() {
            let _ = rewriter.end();
        }
    }
    found.into_inner()
}
