//! `vitrine optimize`: learns the weights of every bandit experiment (`allocation = "bandit"`)
//! in the campaign files from the edge's events, and writes them back into those files.
//!
//! It reads events exactly as `vitrine report` does ([`crate::report::EventArgs`]), counts them
//! per experiment, context and arm with the report's own tally (with the bandit's goal), lets
//! `vitrine_report::optimize` compute the posteriors, `P(best)` and the new weights behind the
//! guardrails, prints that summary and the diff of every file, and (unless `--dry-run`)
//! rewrites only the weights ([`file`]). Publishing them stays a separate, reviewed step:
//! `vitrine publish`.
//!
//! With `--sql` it prints instead the query that counts, where the Parquet files are, what the
//! posteriors need (per bandit, context, allocation period and arm, each bandit with its own
//! goal); `--from-aggregates FILE` learns from the engine's answer exactly as from the events.
//!
//! Exit codes: 0 done (weights written, or nothing to change); 1 the campaign files do not
//! compile, or bad input lines with `--strict`; 2 usage, I/O or API error.

mod file;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use toml_edit::DocumentMut;

use vitrine_report::aggregate::Kind;
use vitrine_report::optimize::{self, Guard, Outcome, Plan};
use vitrine_report::{self as report};

use crate::campaigns::{self, CompileArgs};
use crate::report::{campaign_files, EventArgs};

/// Arguments of `vitrine optimize`.
#[derive(clap::Args)]
pub struct OptimizeArgs {
    #[command(flatten)]
    events: EventArgs,
    /// Campaign files or a directory of them: their bandit experiments are rewritten.
    #[arg(long)]
    campaigns: PathBuf,
    /// Seed of the posterior draws: the same events and seed give the same weights.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Print the summary and the diff, write nothing.
    #[arg(long)]
    dry_run: bool,
    /// Keep a context's weights while any of its arms has fewer visitors than this.
    #[arg(long, default_value_t = optimize::MIN_VISITORS)]
    min_visitors: u64,
    /// Keep every weight of an experiment whose split check is below this p-value.
    #[arg(long, default_value_t = report::analyze::SRM_ALPHA)]
    srm_alpha: f64,
    /// Bad input lines are fatal (exit 1).
    #[arg(long)]
    strict: bool,
    /// Print the counting as SQL for an engine over the Parquet files (DuckDB) instead of
    /// optimizing; learn from its answer with --from-aggregates.
    #[arg(long, conflicts_with_all = ["from_aggregates", "remote", "dry_run"])]
    sql: bool,
    /// Learn from an engine's answer to --sql (CSV with a header) instead of from events.
    #[arg(long, value_name = "FILE", conflicts_with = "remote")]
    from_aggregates: Option<PathBuf>,
}

/// Each goal's tallies; `Err(code)` to exit with.
type Tallies = Result<BTreeMap<String, report::aggregate::Tally>, u8>;

/// Runs `vitrine optimize`.
pub fn run(args: &OptimizeArgs) -> Result<ExitCode, String> {
    if !(args.srm_alpha > 0.0 && args.srm_alpha < 1.0) {
        return Err(format!(
            "--srm-alpha {} is not between 0 and 1",
            args.srm_alpha
        ));
    }
    let files = campaign_files(&args.campaigns)?;
    let compile = CompileArgs {
        pages: Vec::new(),
        max_variants: 500,
    };
    if campaigns::compile_files(&files, &compile)?.is_err() {
        eprintln!("refused: fix the campaign errors above, then run `vitrine optimize` again");
        return Ok(ExitCode::from(1));
    }
    let mut docs = Vec::new();
    for path in &files {
        let text = String::from_utf8(campaigns::read(path)?)
            .map_err(|_| format!("{}: not UTF-8", path.display()))?;
        let doc: DocumentMut = text
            .parse()
            .map_err(|e| format!("{}: {e}", path.display()))?;
        let found = file::bandits(&doc).map_err(|e| format!("{}: {e}", path.display()))?;
        docs.push((path, text, doc, found));
    }
    let count: usize = docs.iter().map(|d| d.3.len()).sum();
    if count == 0 {
        return Err(format!(
            "{}: no bandit experiment (allocation = \"bandit\") to optimize",
            args.campaigns.display()
        ));
    }
    let goals: BTreeSet<String> = docs
        .iter()
        .flat_map(|d| d.3.iter())
        .map(|f| f.goal.clone())
        .collect();
    if args.sql {
        let keys: Vec<String> = docs
            .iter()
            .flat_map(|d| d.3.iter())
            .map(|f| f.bandit.key.clone())
            .collect();
        let goals: Vec<String> = goals.into_iter().collect();
        let scope = report::sql::Scope::Bandits {
            goals: &goals,
            experiments: &keys,
        };
        let filter = args.events.filter(None)?;
        print!(
            "{}",
            report::sql::build(&args.events.sql_sources()?, &filter, scope)
        );
        return Ok(ExitCode::SUCCESS);
    }
    let tallies = match &args.from_aggregates {
        Some(path) => from_aggregates(path, &goals)?,
        None => from_events(args, &goals)?,
    };
    let tallies = match tallies {
        Ok(t) => t,
        Err(code) => return Ok(ExitCode::from(code)),
    };
    let guard = Guard {
        min_visitors: args.min_visitors,
        srm_alpha: args.srm_alpha,
        draws: optimize::DRAWS,
    };
    let mut plans: Vec<Plan> = Vec::new();
    for (_, _, _, found) in &docs {
        for f in found {
            let unit = tallies
                .get(&f.goal)
                .and_then(|t| t.units.get(&(Kind::Experiment, f.bandit.key.clone())));
            plans.push(optimize::plan(&f.bandit, unit, &guard, args.seed));
        }
    }
    print!("{}", optimize::render(&plans, args.seed));
    let mut plan_at = plans.iter();
    let mut changed = 0;
    for (path, text, doc, found) in &mut docs {
        for f in found.iter() {
            let Some(p) = plan_at.next() else { break };
            for c in p.contexts.iter().filter(|c| c.outcome == Outcome::Reweight) {
                file::set_weights(doc, &f.bandit.key, &c.context, &f.bandit.arms, &c.weights)
                    .map_err(|e| format!("{}: {e}", path.display()))?;
            }
        }
        let new = doc.to_string();
        if new == *text {
            continue;
        }
        changed += 1;
        let name = path.display().to_string();
        let diff = similar::TextDiff::from_lines(text.as_str(), new.as_str());
        print!(
            "\n{}",
            diff.unified_diff()
                .context_radius(2)
                .header(&name, &format!("{name} (optimized)"))
        );
        if !args.dry_run {
            std::fs::write(path.as_path(), &new).map_err(|e| format!("{name}: {e}"))?;
        }
    }
    match (changed, args.dry_run) {
        (0, _) => println!("\nno weights changed"),
        (_, true) => println!("\n--dry-run: nothing written"),
        (n, false) => println!(
            "\nwrote {n} file(s): review the diff, then `vitrine publish` ships the new weights"
        ),
    }
    Ok(ExitCode::SUCCESS)
}

/// Counts the events in one pass, once per goal: each bandit learns from its own conversion.
fn from_events(args: &OptimizeArgs, goals: &BTreeSet<String>) -> Result<Tallies, String> {
    let base = args.events.filter(None)?;
    let mut counts: BTreeMap<String, report::aggregate::Aggregator> = goals
        .iter()
        .map(|goal| {
            let filter = report::Filter {
                goal: Some(goal.clone()),
                ..base.clone()
            };
            (goal.clone(), report::aggregate::Aggregator::new(&filter))
        })
        .collect();
    let read = args.events.stream(base.since, args.strict, |e| {
        counts.values_mut().for_each(|c| c.push(e));
    })?;
    Ok(read.map(|_| counts.into_iter().map(|(g, c)| (g, c.finish())).collect()))
}

/// The tallies in an engine's answer to `--sql`, which must count every goal of `goals`.
fn from_aggregates(path: &Path, goals: &BTreeSet<String>) -> Result<Tallies, String> {
    let name = path.display();
    let file = std::fs::File::open(path).map_err(|e| format!("{name}: {e}"))?;
    let answer = report::sql::aggregates::read_goals(std::io::BufReader::new(file))
        .map_err(|e| format!("{name}: {e}"))?;
    let counted = answer.values().any(|t| !t.units.is_empty());
    if let Some(goal) = goals.iter().find(|g| counted && !answer.contains_key(*g)) {
        return Err(format!(
            "{name}: the answer has no counts for goal `{goal}`: run the query `vitrine optimize --sql` prints for these campaigns again"
        ));
    }
    Ok(Ok(answer))
}
