//! The bandit experiments of one campaign file, read and rewritten with `toml_edit` so that a
//! rewrite touches only the weight values (and adds missing weight tables): comments, key
//! order, spacing and everything else stay byte for byte, and the diff a reviewer sees is the
//! weights alone. The file has compiled before it gets here, so shapes are already checked;
//! anything unexpected is reported, never guessed.

use toml_edit::{DocumentMut, Item, Table, Value};

use vitrine_compile::document::strings;
use vitrine_core::decide::experiment::EVERYONE_ELSE;
use vitrine_report::optimize::{contexts, Bandit, Metric};

/// One bandit experiment found in a file, with what `optimize` needs to learn and write.
pub struct Found {
    /// The experiment as `vitrine_report::optimize` takes it.
    pub bandit: Bandit,
    /// Its goal (a declared conversion name).
    pub goal: String,
}

/// The bandit experiments declared in `doc`, in file order.
pub fn bandits(doc: &DocumentMut) -> Result<Vec<Found>, String> {
    let Some(experiments) = doc.get("experiments").and_then(Item::as_table_like) else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    for (key, item) in experiments.iter() {
        let Some(t) = item.as_table_like() else {
            continue;
        };
        if t.get("allocation").and_then(Item::as_str) != Some("bandit") {
            continue;
        }
        let field = format!("experiments.{key}");
        let arms: Vec<(String, u32)> = t
            .get("arms")
            .and_then(Item::as_array)
            .ok_or(format!("{field}.arms is not an array"))?
            .iter()
            .map(|a| {
                let a = a.as_inline_table()?;
                let name = a.get("name")?.as_str()?.to_owned();
                let weight = u32::try_from(a.get("weight")?.as_integer()?).ok()?;
                Some((name, weight))
            })
            .collect::<Option<_>>()
            .ok_or(format!("{field}.arms: each arm needs a name and a weight"))?;
        let listed = strings(t.get("contexts")).unwrap_or_default();
        let contexts = contexts(&listed);
        let weights = t.get("weights").and_then(Item::as_table_like);
        let current = contexts
            .iter()
            .map(|c| {
                let table = weights.and_then(|w| w.get(c)).and_then(Item::as_table_like);
                arms.iter()
                    .map(|(arm, own)| match table {
                        Some(tb) => tb
                            .get(arm)
                            .and_then(Item::as_integer)
                            .and_then(|w| u32::try_from(w).ok())
                            .unwrap_or(0),
                        None => *own,
                    })
                    .collect()
            })
            .collect();
        let metric = match t.get("optimize").and_then(Item::as_str) {
            Some("value") => Metric::Value,
            _ => Metric::Rate,
        };
        let min_share_bp = t
            .get("min_share_bp")
            .and_then(Item::as_integer)
            .and_then(|m| u16::try_from(m).ok())
            .unwrap_or(vitrine_compile::DEFAULT_MIN_SHARE_BP);
        let goal = t
            .get("goal")
            .and_then(Item::as_str)
            .ok_or(format!("{field}.goal is missing"))?
            .to_owned();
        out.push(Found {
            bandit: Bandit {
                key: key.to_owned(),
                arms: arms.into_iter().map(|(n, _)| n).collect(),
                contexts,
                metric,
                min_share_bp,
                current,
            },
            goal,
        });
    }
    Ok(out)
}

/// Writes `weights` (one per arm of `arms`) as `[experiments.KEY.weights.CONTEXT]`, changing
/// only the values that differ and keeping each value's comments; a missing table is added
/// right after the experiment's own tables.
pub fn set_weights(
    doc: &mut DocumentMut,
    key: &str,
    context: &str,
    arms: &[String],
    weights: &[u32],
) -> Result<(), String> {
    let field = format!("experiments.{key}");
    let experiment = doc
        .get_mut("experiments")
        .and_then(|e| e.get_mut(key))
        .and_then(Item::as_table_mut)
        .ok_or(format!(
            "{field}: write it as a [{field}] table for `vitrine optimize` to add its weights"
        ))?;
    let position = experiment.position();
    if !experiment.contains_key("weights") {
        let mut t = Table::new();
        t.set_implicit(true);
        experiment.insert("weights", Item::Table(t));
    }
    let all = experiment
        .get_mut("weights")
        .and_then(Item::as_table_like_mut)
        .ok_or(format!("{field}.weights is not a table"))?;
    if all.get(context).is_none() {
        let mut t = Table::new();
        if let Some(p) = position {
            t.set_position(Some(p));
        }
        if context == EVERYONE_ELSE {
            t.decor_mut()
                .set_prefix("\n# Visitors in none of the contexts.\n");
        } else {
            t.decor_mut().set_prefix("\n");
        }
        all.insert(context, Item::Table(t));
    }
    let table = all
        .get_mut(context)
        .and_then(Item::as_table_like_mut)
        .ok_or(format!("{field}.weights.{context} is not a table"))?;
    for (arm, w) in arms.iter().zip(weights) {
        let new = i64::from(*w);
        match table.get_mut(arm).and_then(Item::as_value_mut) {
            Some(v) if v.as_integer() == Some(new) => {}
            Some(v) => {
                let decor = v.decor().clone();
                *v = Value::from(new);
                *v.decor_mut() = decor;
            }
            None => {
                table.insert(arm, toml_edit::value(new));
            }
        }
    }
    Ok(())
}
