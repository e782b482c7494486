//! The order of a compile run: load every file, collect segments, experiments, the catalog and
//! conversions across files, then compile campaigns into slots and seal the snapshot. Each
//! step is a method of [`Run`] in the module named for it; this one only sequences them.

use std::collections::HashMap;

use toml::Spanned;

use super::experiment::Collected;
use super::run::{assemble, CatalogNames, Run};
use super::source::CatalogSrc;
use super::{Build, CompileError, Source};
use vitrine_core::snapshot::catalog::KV_VALUE_LIMIT;
use vitrine_core::snapshot::{ActivityPaths, Body, SegmentDef, Snapshot};

impl Run<'_> {
    pub fn build(mut self, sources: &[Source<'_>]) -> Result<Build, Vec<CompileError>> {
        let parsed = self.load_all(sources);
        let mut campaigns = Vec::new();
        let mut catalog_src: Option<(usize, Spanned<CatalogSrc>)> = None;
        let mut activity: Option<ActivityPaths> = None;
        let mut experiments = Collected::default();
        let mut conversions = Vec::new();
        for (file, f) in parsed {
            conversions.extend(f.conversion.into_iter().map(|c| (file, c)));
            experiments.add(&mut self, file, f.experiments, f.global_holdout_bp);
            for (name, expr) in f.segments {
                if let Some((first, _)) = self.segment_src.get(&name) {
                    let first = self
                        .files
                        .get(*first)
                        .map(|f| f.0.clone())
                        .unwrap_or_default();
                    self.error(
                        file,
                        expr.span(),
                        "duplicate-segment",
                        &format!("segments.{name}"),
                        format!("segment `{name}` is already defined in {first}"),
                        "give every named segment a unique name",
                    );
                } else {
                    self.segment_src.insert(name, (file, expr));
                }
            }
            campaigns.extend(f.campaign.into_iter().map(|c| (file, c)));
            if let Some(c) = f.catalog {
                if catalog_src.is_some() {
                    self.error(
                        file,
                        c.span(),
                        "duplicate-catalog",
                        "catalog",
                        "a second [catalog] table".into(),
                        "keep one [catalog] across all files",
                    );
                } else {
                    catalog_src = Some((file, c));
                }
            }
            if let Some(a) = f.activity {
                self.activity_paths(file, a, &mut activity);
            }
            if let Some(s) = f.sanitizer {
                self.policy.allow_style |= s.allow_style;
                self.policy.allow_iframe |= s.allow_iframe;
            }
            if let Some(a) = f.acknowledge {
                self.ack.sensitive.extend(a.sensitive);
                self.ack.past_schedule.extend(a.past_schedule);
                self.ack.unused_slots.extend(a.unused_slots);
                self.ack.max_variants = self.ack.max_variants.max(a.max_variants);
            }
        }
        let names: Vec<String> = self.segment_src.keys().cloned().collect();
        let defs: Vec<SegmentDef> = names
            .iter()
            .filter_map(|n| {
                let expr = self.named_segment(n)?.0;
                Some(SegmentDef {
                    name: self.sym(n),
                    expr,
                })
            })
            .collect();
        let (catalog, shards) = match catalog_src {
            Some((file, src)) => match self.catalog(file, src) {
                Some((c, s)) => (Some(c), s),
                None => (None, Vec::new()),
            },
            None => (None, Vec::new()),
        };
        self.catalog_names = catalog.as_ref().map(|c| CatalogNames::of(&self, c));
        let goals: Vec<String> = conversions
            .iter()
            .map(|(_, c)| c.get_ref().name.get_ref().clone())
            .collect();
        let (experiments, global_holdout_bp) = self.experiments(experiments, &goals);
        let mut ids: HashMap<String, usize> = HashMap::new();
        let mut placed = Vec::new();
        for (order, (file, c)) in campaigns.into_iter().enumerate() {
            if let Some(p) = self.campaign(file, order, c, &mut ids) {
                placed.push(p);
            }
        }
        let conversions = self.conversions(conversions);
        let variants = self.warnings_for(&placed);
        if !self.errors.is_empty() {
            return Err(self.errors);
        }
        let slots = assemble(placed, &mut self);
        let body = Body {
            strings: std::mem::take(&mut self.string_list),
            slots,
            segments: defs,
            experiments,
            global_holdout_bp,
            catalog,
            activity: activity.unwrap_or_default(),
            conversions,
        };
        let snapshot = Snapshot::new(body);
        let size = vitrine_core::snapshot::encode(&snapshot).len();
        if size >= KV_VALUE_LIMIT {
            self.error(
                0,
                0..0,
                "too-large",
                "snapshot",
                format!("the snapshot is {size} bytes, over KV's 25 MiB limit for one value"),
                "move product data into [catalog] (sharded) or split long HTML",
            );
            return Err(self.errors);
        }
        Ok(Build {
            snapshot,
            shards,
            warnings: self.warnings,
            variants,
        })
    }
}
