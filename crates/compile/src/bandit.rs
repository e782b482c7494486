//! Bandit experiments: `allocation = "bandit"` and its settings, checked and compiled into the
//! snapshot's per-context weights ([`Bandit`]).
//!
//! ```toml
//! [experiments.hero-copy]
//! arms = [{ name = "control", weight = 1 }, { name = "urgency", weight = 1 }]
//! allocation = "bandit"           # `vitrine optimize` learns the weights below
//! goal = "purchase"               # a declared [[conversion]]
//! optimize = "rate"               # or "value" (value per visitor)
//! min_share_bp = 500              # every arm keeps at least 5 % of the arms' traffic
//! contexts = ["price_hunter", "loyal"]   # learned separately, first match wins
//!
//! [experiments.hero-copy.weights.price_hunter]   # written by `vitrine optimize`
//! control = 2500
//! urgency = 7500
//! ```
//!
//! A context without a `weights` table (and `everyone_else`, for visitors in none of the
//! contexts) splits by the arms' own weights. A context names a segment exactly as a
//! campaign's `segments` does: a named `[segments]` entry, else a profile segment id.
//! The compiler never chooses weights: it checks that every table names known contexts and
//! arms, and that no arm falls below the floor, so what `publish` ships is what was reviewed.

use std::ops::Range;

use toml::Spanned;

use super::expr::valid_id;
use super::run::Run;
use super::source::ExperimentSrc;
use vitrine_core::decide::experiment::{split_text, BUCKETS, EVERYONE_ELSE};
use vitrine_core::snapshot::{Allocation, Bandit, BanditContext};

/// The floor when `min_share_bp` is not set: 5 % of the arms' traffic per arm.
pub const DEFAULT_MIN_SHARE_BP: u16 = 500;

/// What the compiler knows of the experiment when it reads the bandit settings.
pub(super) struct Arms<'a> {
    /// The experiment table's field name (`experiments.KEY`).
    pub field: &'a str,
    /// The table's span.
    pub span: Range<usize>,
    /// Arm names in order.
    pub names: &'a [String],
    /// The arms' own weights.
    pub weights: &'a [u32],
    /// The experiment's holdout.
    pub holdout_bp: u16,
}

impl Run<'_> {
    /// The bandit of an experiment table: `Some(None)` for a fixed split, `None` after an
    /// error (reported). `goals` are the declared conversion names.
    pub(super) fn bandit(
        &mut self,
        file: usize,
        table: &ExperimentSrc,
        arms: &Arms<'_>,
        goals: &[String],
    ) -> Option<Option<Bandit>> {
        let field = arms.field;
        let bandit = match table.allocation.as_ref().map(|a| (a, a.get_ref().as_str())) {
            None | Some((_, "fixed")) => false,
            Some((_, "bandit")) => true,
            Some((a, other)) => {
                self.error(
                    file,
                    a.span(),
                    "allocation",
                    &format!("{field}.allocation"),
                    format!("unknown allocation `{other}`"),
                    "use \"fixed\" (the arms' weights) or \"bandit\" (learned by `vitrine optimize`)",
                );
                return None;
            }
        };
        if !bandit {
            return self.fixed_only(file, table, field).then_some(None);
        }
        let mut ok = self.goal(file, table, arms, goals);
        if let Some(o) = &table.optimize {
            if !matches!(o.get_ref().as_str(), "rate" | "value") {
                self.error(
                    file,
                    o.span(),
                    "optimize",
                    &format!("{field}.optimize"),
                    format!("unknown optimize `{}`", o.get_ref()),
                    "use \"rate\" (conversion rate) or \"value\" (value per visitor)",
                );
                ok = false;
            }
        }
        let floor = self.floor(file, table, arms)?;
        let contexts = self.contexts(file, table, field)?;
        let mut weights: Vec<(String, Vec<u32>)> = Vec::new();
        if let Some(tables) = &table.weights {
            for (context, t) in tables.get_ref() {
                let known = context == EVERYONE_ELSE || contexts.iter().any(|(n, _)| n == context);
                if !known {
                    let listed: Vec<&str> = contexts
                        .iter()
                        .map(|(n, _)| n.as_str())
                        .chain([EVERYONE_ELSE])
                        .collect();
                    self.error(
                        file,
                        t.span(),
                        "bandit-context",
                        &format!("{field}.weights.{context}"),
                        format!("`{context}` is not one of the experiment's contexts"),
                        &format!(
                            "use one of: {} (or add it to `contexts`)",
                            listed.join(", ")
                        ),
                    );
                    ok = false;
                    continue;
                }
                match self.weights_table(file, context, t, arms, floor) {
                    Some(w) => weights.push((context.clone(), w)),
                    None => ok = false,
                }
            }
        }
        let allocation = |run: &mut Self, context: &str| -> Option<Allocation> {
            let w = match weights.iter().find(|(c, _)| c == context) {
                Some((_, w)) => w.clone(),
                None => {
                    if let Some(arm) = below_floor(arms.names, arms.weights, floor) {
                        run.error(
                            file,
                            arms.span.clone(),
                            "bandit-floor",
                            &format!("{field}.arms"),
                            format!("context `{context}` has no weights table, and the arms' own weights give `{arm}` less than min_share_bp = {floor}"),
                            "give the arms weights that respect the floor, or run `vitrine optimize` to write the weights",
                        );
                        return None;
                    }
                    arms.weights.to_vec()
                }
            };
            let names: Vec<&str> = arms.names.iter().map(String::as_str).collect();
            let split = run.sym(&split_text(arms.holdout_bp, &names, &w));
            Some(Allocation { weights: w, split })
        };
        let mut compiled = Vec::new();
        for (name, when) in contexts {
            let a = allocation(self, &name);
            if let Some(allocation) = a {
                compiled.push(BanditContext {
                    name: self.sym(&name),
                    when,
                    allocation,
                });
            } else {
                ok = false;
            }
        }
        let rest = allocation(self, EVERYONE_ELSE);
        match (ok, rest) {
            (true, Some(rest)) => Some(Some(Bandit {
                contexts: compiled,
                rest,
            })),
            _ => None,
        }
    }

    /// A fixed experiment sets none of the bandit settings; false after an error.
    fn fixed_only(&mut self, file: usize, t: &ExperimentSrc, field: &str) -> bool {
        let spans = [
            ("goal", t.goal.as_ref().map(Spanned::span)),
            ("optimize", t.optimize.as_ref().map(Spanned::span)),
            ("min_share_bp", t.min_share_bp.as_ref().map(Spanned::span)),
            ("contexts", t.contexts.as_ref().map(Spanned::span)),
            ("weights", t.weights.as_ref().map(Spanned::span)),
        ];
        let mut ok = true;
        for (key, span) in spans {
            if let Some(span) = span {
                self.error(
                    file,
                    span,
                    "allocation",
                    &format!("{field}.{key}"),
                    format!("`{key}` only applies to a bandit experiment"),
                    "add allocation = \"bandit\", or remove it",
                );
                ok = false;
            }
        }
        ok
    }

    fn goal(&mut self, file: usize, t: &ExperimentSrc, arms: &Arms<'_>, goals: &[String]) -> bool {
        let field = arms.field;
        let Some(goal) = &t.goal else {
            self.error(
                file,
                arms.span.clone(),
                "bandit-goal",
                &format!("{field}.goal"),
                "a bandit experiment needs a goal".into(),
                "add goal = \"NAME\" naming a declared [[conversion]]",
            );
            return false;
        };
        if goals.iter().any(|g| g == goal.get_ref()) {
            return true;
        }
        let hint = if goals.is_empty() {
            "declare the conversion with [[conversion]] name = \"…\"".to_owned()
        } else {
            format!("use one of the declared conversions: {}", goals.join(", "))
        };
        self.error(
            file,
            goal.span(),
            "bandit-goal",
            &format!("{field}.goal"),
            format!("`{}` is not a declared conversion", goal.get_ref()),
            &hint,
        );
        false
    }

    fn floor(&mut self, file: usize, t: &ExperimentSrc, arms: &Arms<'_>) -> Option<u16> {
        let field = arms.field;
        let Some(m) = &t.min_share_bp else {
            return Some(DEFAULT_MIN_SHARE_BP.min(BUCKETS / arm_count(arms)));
        };
        let floor = u16::try_from(*m.get_ref())
            .ok()
            .filter(|f| u32::from(*f) * u32::from(arm_count(arms)) <= u32::from(BUCKETS));
        if floor.is_none() {
            self.error(
                file,
                m.span(),
                "bandit-floor",
                &format!("{field}.min_share_bp"),
                format!(
                    "min_share_bp {} cannot hold for {} arms",
                    m.get_ref(),
                    arms.names.len()
                ),
                &format!(
                    "use 0 to {} (every arm gets at least this many basis points of the arms' traffic)",
                    BUCKETS / arm_count(arms)
                ),
            );
        }
        floor
    }

    fn contexts(
        &mut self,
        file: usize,
        t: &ExperimentSrc,
        field: &str,
    ) -> Option<Vec<(String, vitrine_core::snapshot::expr::Expr)>> {
        let mut out: Vec<(String, _)> = Vec::new();
        let mut ok = true;
        for (i, name) in t.contexts.iter().flat_map(|c| c.get_ref()).enumerate() {
            let f = format!("{field}.contexts[{i}]");
            let id = name.get_ref();
            if id == EVERYONE_ELSE || !valid_id(id) || out.iter().any(|(n, _)| n == id) {
                self.error(
                    file,
                    name.span(),
                    "bandit-context",
                    &f,
                    format!("context `{id}` is invalid, reserved or repeated"),
                    "name each segment once; `everyone_else` is the visitors in none of them",
                );
                ok = false;
                continue;
            }
            match self.segment_ref(file, name, &f) {
                Some(expr) => out.push((id.clone(), expr)),
                None => ok = false,
            }
        }
        ok.then_some(out)
    }

    /// One `[experiments.KEY.weights.CONTEXT]` table: a weight for every arm, none below the
    /// floor.
    fn weights_table(
        &mut self,
        file: usize,
        context: &str,
        t: &Spanned<super::source::WeightsSrc>,
        arms: &Arms<'_>,
        floor: u16,
    ) -> Option<Vec<u32>> {
        let field = format!("{}.weights.{context}", arms.field);
        let mut out: Vec<Option<u32>> = vec![None; arms.names.len()];
        let mut ok = true;
        for (arm, w) in t.get_ref() {
            let Some(i) = arms.names.iter().position(|n| n == arm) else {
                self.error(
                    file,
                    w.span(),
                    "bandit-weights",
                    &format!("{field}.{arm}"),
                    format!("the experiment has no arm `{arm}`"),
                    &format!("use the arms: {}", arms.names.join(", ")),
                );
                ok = false;
                continue;
            };
            let weight = u32::try_from(*w.get_ref()).ok();
            if weight.is_none() {
                self.error(
                    file,
                    w.span(),
                    "bandit-weights",
                    &format!("{field}.{arm}"),
                    format!("weight {} is out of range", w.get_ref()),
                    "use a whole number from 0 to 4294967295",
                );
                ok = false;
            }
            out[i] = weight;
        }
        if !ok {
            return None;
        }
        let missing: Vec<&str> = arms
            .names
            .iter()
            .zip(&out)
            .filter(|(_, w)| w.is_none())
            .map(|(n, _)| n.as_str())
            .collect();
        if !missing.is_empty() {
            self.error(
                file,
                t.span(),
                "bandit-weights",
                &field,
                format!("no weight for {}", missing.join(", ")),
                "give every arm a weight (run `vitrine optimize` to compute them)",
            );
            return None;
        }
        let weights: Vec<u32> = out.iter().flatten().copied().collect();
        if weights.iter().all(|w| *w == 0) {
            self.error(
                file,
                t.span(),
                "bandit-weights",
                &field,
                "every weight is 0".into(),
                "give the arms positive weights",
            );
            return None;
        }
        if let Some(arm) = below_floor(arms.names, &weights, floor) {
            let i = arms.names.iter().position(|n| *n == arm).unwrap_or(0);
            let span = t.get_ref().get(arm).map_or(t.span(), Spanned::span);
            let total: u64 = weights.iter().map(|w| u64::from(*w)).sum();
            let share = u64::from(weights[i]) as f64 * 100.0 / total as f64;
            self.error(
                file,
                span,
                "bandit-floor",
                &format!("{field}.{arm}"),
                format!(
                    "`{arm}` gets {share:.1} % of the arms' traffic, below min_share_bp = {floor} ({} %)",
                    f64::from(floor) / 100.0
                ),
                "raise its weight or lower min_share_bp; `vitrine optimize` always keeps every arm at the floor or above",
            );
            return None;
        }
        Some(weights)
    }
}

fn arm_count(arms: &Arms<'_>) -> u16 {
    u16::try_from(arms.names.len()).unwrap_or(u16::MAX).max(1)
}

/// The first arm whose share of the arms' traffic is below `floor` basis points.
fn below_floor<'a>(names: &'a [String], weights: &[u32], floor: u16) -> Option<&'a str> {
    let total: u64 = weights.iter().map(|w| u64::from(*w)).sum();
    names
        .iter()
        .zip(weights)
        .find(|(_, w)| u64::from(**w) * u64::from(BUCKETS) < u64::from(floor) * total)
        .map(|(n, _)| n.as_str())
}
