//! `[experiments.KEY]` tables, `global_holdout_bp`, and campaigns' `experiment` / `arm`.
//!
//! ```toml
//! global_holdout_bp = 200                  # 2 % of visitors never get a campaign
//!
//! [experiments.hero-copy]                  # the key is hashed: renaming it reshuffles everyone
//! holdout_bp = 1000                        # 10 % keep the default content, logged as "holdout"
//! arms = [{ name = "control", weight = 1 }, { name = "urgency", weight = 1 }]
//!
//! [[campaign]]
//! id = "hero-urgency"
//! slot = "hero"
//! audience = "everyone"
//! experiment = "hero-copy"
//! arm = "urgency"                          # an arm without a campaign shows what it would anyway
//! html = "Only today!"
//! ```

use toml::Spanned;

use super::bandit::Arms;
use super::expr::valid_id;
use super::run::Run;
use super::source::{CampaignSrc, ExperimentSrc};
use vitrine_core::decide::experiment::{BUCKETS, HOLDOUT};
use vitrine_core::snapshot::{Arm, ArmRef, Experiment};

/// Experiment tables and the global holdout as found across files.
#[derive(Default)]
pub(super) struct Collected {
    tables: Vec<(usize, String, Spanned<ExperimentSrc>)>,
    global: Option<(usize, Spanned<i64>)>,
}

impl Collected {
    /// Adds one file's tables; a second `global_holdout_bp` or a repeated key is an error.
    pub fn add(
        &mut self,
        run: &mut Run<'_>,
        file: usize,
        tables: std::collections::BTreeMap<String, Spanned<ExperimentSrc>>,
        global: Option<Spanned<i64>>,
    ) {
        for (key, table) in tables {
            if self.tables.iter().any(|(_, k, _)| *k == key) {
                run.error(
                    file,
                    table.span(),
                    "duplicate-experiment",
                    &format!("experiments.{key}"),
                    format!("experiment `{key}` is already defined"),
                    "give every experiment a unique key",
                );
            } else {
                self.tables.push((file, key, table));
            }
        }
        if let Some(g) = global {
            if self.global.is_some() {
                run.error(
                    file,
                    g.span(),
                    "duplicate-holdout",
                    "global_holdout_bp",
                    "a second global_holdout_bp".into(),
                    "set global_holdout_bp in one file only",
                );
            } else {
                self.global = Some((file, g));
            }
        }
    }
}

impl Run<'_> {
    /// Compiles the experiments (recording their arms for [`Run::arm_ref`]) and the global
    /// holdout.
    pub fn experiments(&mut self, found: Collected, goals: &[String]) -> (Vec<Experiment>, u16) {
        let mut out = Vec::new();
        for (file, key, table) in found.tables {
            if let Some(e) = self.experiment(file, &key, table, goals) {
                let index = u32::try_from(out.len()).unwrap_or(u32::MAX);
                let arms = e
                    .arms
                    .iter()
                    .map(|a| self.text(a.name).to_owned())
                    .collect();
                self.experiment_arms.insert(key, (index, arms));
                out.push(e);
            }
        }
        let global = found
            .global
            .and_then(|(file, g)| self.basis_points(file, &g, "global_holdout_bp"))
            .unwrap_or(0);
        (out, global)
    }

    fn experiment(
        &mut self,
        file: usize,
        key: &str,
        table: Spanned<ExperimentSrc>,
        goals: &[String],
    ) -> Option<Experiment> {
        let field = format!("experiments.{key}");
        let span = table.span();
        let mut ok =
            valid_id(key) && key.len() <= vitrine_core::measure::exposure::MAX_EXPERIMENT_KEY;
        if !ok {
            self.error(
                file,
                span.clone(),
                "experiment-key",
                &field,
                format!("`{key}` is not a valid experiment key"),
                "use 1-62 of [A-Za-z0-9_-] (the activity cookie remembers it with a prefix)",
            );
        }
        let table = table.into_inner();
        let holdout_bp = match &table.holdout_bp {
            Some(h) => self.basis_points(file, h, &format!("{field}.holdout_bp")),
            None => Some(0),
        };
        let mut arms = Vec::new();
        for (i, arm) in table.arms.iter().enumerate() {
            let f = format!("{field}.arms[{i}]");
            let arm = arm.get_ref();
            let name = arm.name.get_ref();
            if !valid_id(name)
                || name == HOLDOUT
                || arms.iter().any(|a: &Arm| self.text(a.name) == name)
            {
                self.error(
                    file,
                    arm.name.span(),
                    "arm-name",
                    &format!("{f}.name"),
                    format!("arm name `{name}` is invalid, reserved or repeated"),
                    "use a unique name of 1-64 [A-Za-z0-9_-] other than \"holdout\"",
                );
                ok = false;
            }
            let weight = u32::try_from(*arm.weight.get_ref())
                .ok()
                .filter(|w| *w >= 1);
            if weight.is_none() {
                self.error(
                    file,
                    arm.weight.span(),
                    "arm-weight",
                    &format!("{f}.weight"),
                    format!("weight {} is out of range", arm.weight.get_ref()),
                    "use a whole number from 1 to 4294967295",
                );
            }
            let name = self.sym(name);
            arms.push(Arm {
                name,
                weight: weight.unwrap_or(0),
            });
        }
        if arms.is_empty() {
            self.error(
                file,
                span.clone(),
                "arms",
                &format!("{field}.arms"),
                "the experiment has no arms".into(),
                "list at least one arm, e.g. arms = [{ name = \"control\", weight = 1 }]",
            );
            ok = false;
        }
        let total: u64 = arms.iter().map(|a| u64::from(a.weight)).sum();
        let names: Vec<String> = arms.iter().map(|a| self.text(a.name).to_owned()).collect();
        let weights: Vec<u32> = arms.iter().map(|a| a.weight).collect();
        let shape = Arms {
            field: &field,
            span,
            names: &names,
            weights: &weights,
            holdout_bp: holdout_bp.unwrap_or(0),
        };
        let bandit = if ok && total > 0 && arms.iter().all(|a| a.weight > 0) {
            self.bandit(file, &table, &shape, goals)
        } else {
            None
        };
        let key = self.sym(key);
        (ok && total > 0 && arms.iter().all(|a| a.weight > 0)).then_some(Experiment {
            key,
            arms,
            holdout_bp: holdout_bp?,
            bandit: bandit?,
        })
    }

    fn basis_points(&mut self, file: usize, value: &Spanned<i64>, field: &str) -> Option<u16> {
        let bp = u16::try_from(*value.get_ref())
            .ok()
            .filter(|bp| *bp <= BUCKETS);
        if bp.is_none() {
            self.error(
                file,
                value.span(),
                "basis-points",
                field,
                format!("{} is not a share in basis points", value.get_ref()),
                "use 0 to 10000 (100 = 1 %)",
            );
        }
        bp
    }

    /// The campaign's experiment arm: `Some(None)` when it is not in an experiment, `None` on
    /// an error (reported).
    pub fn arm_ref(&mut self, file: usize, c: &CampaignSrc, id: &str) -> Option<Option<ArmRef>> {
        let (experiment, arm) = match (&c.experiment, &c.arm) {
            (None, None) => return Some(None),
            (Some(e), Some(a)) => (e, a),
            (Some(s), None) | (None, Some(s)) => {
                self.error(
                    file,
                    s.span(),
                    "experiment",
                    &format!("campaign[{id}]"),
                    "`experiment` and `arm` go together".into(),
                    "set both: experiment = \"KEY\" and arm = \"NAME\"",
                );
                return None;
            }
        };
        let Some((index, arms)) = self.experiment_arms.get(experiment.get_ref()) else {
            self.error(
                file,
                experiment.span(),
                "experiment",
                &format!("campaign[{id}].experiment"),
                format!("no experiment `{}`", experiment.get_ref()),
                "define it under [experiments.KEY] (check the spelling)",
            );
            return None;
        };
        let index = *index;
        let Some(at) = arms.iter().position(|a| a == arm.get_ref()) else {
            let known = arms.join(", ");
            self.error(
                file,
                arm.span(),
                "arm",
                &format!("campaign[{id}].arm"),
                format!(
                    "experiment `{}` has no arm `{}`",
                    experiment.get_ref(),
                    arm.get_ref()
                ),
                &format!("use one of: {known}"),
            );
            return None;
        };
        Some(Some(ArmRef {
            experiment: index,
            arm: u32::try_from(at).ok()?,
        }))
    }
}
