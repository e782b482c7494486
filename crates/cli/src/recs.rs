//! `vitrine recs train`: reads view and conversion events exactly as `vitrine report` does
//! (files, stdin, `--remote`, `--since`; [`crate::report::each_event`]), one at a time, and
//! writes the tables `vitrine_learn` learns in the catalog's export formats. All the learning
//! lives in `vitrine_learn`; this shell parses options, opens files and prints.
//!
//! Exit codes: 0 tables written; 2 usage, I/O or API error.

use std::path::PathBuf;
use std::process::ExitCode;

use vitrine_core::measure::events::EventRef;
use vitrine_learn::{evaluate, export, Options, Trainer};

use crate::campaigns;
use crate::report::{self, Format};

/// `vitrine recs …`.
#[derive(clap::Subcommand)]
pub enum RecsCmd {
    /// Learn also_viewed / also_bought tables and trending lists from view and conversion
    /// events, in the catalog export formats.
    Train(Box<TrainArgs>),
}

/// Arguments of `vitrine recs train`.
#[derive(clap::Args)]
pub struct TrainArgs {
    /// Event files (JSON lines, CSV or Parquet) or directories of Parquet files; `-` reads
    /// stdin.
    #[arg(required_unless_present = "remote", conflicts_with = "remote")]
    inputs: Vec<PathBuf>,
    /// How to read the inputs.
    #[arg(long, value_enum, default_value = "auto")]
    format: Format,
    /// Query the Analytics Engine SQL API (CLOUDFLARE_API_TOKEN, CLOUDFLARE_ACCOUNT_ID).
    #[arg(long)]
    remote: bool,
    /// The Analytics Engine dataset (with --remote).
    #[arg(long, default_value = vitrine_report::remote::DEFAULT_DATASET)]
    dataset: String,
    /// Only events since: a duration (30d), a date (2026-11-01) or Unix seconds.
    #[arg(long)]
    since: Option<String>,
    /// Where to write the recommendations (`product_id,table,products`).
    #[arg(short, long)]
    output: PathBuf,
    /// Where to write the trending lists (`list,key,products`).
    #[arg(long, value_name = "FILE")]
    lists: Option<PathBuf>,
    /// The catalog's products export (CSV or JSON): only its products are learned, and
    /// trending lists are made per category.
    #[arg(long, value_name = "FILE")]
    products: Option<PathBuf>,
    /// Views of one visitor at most this far apart count as viewed together.
    #[arg(long, default_value = "2h")]
    window: String,
    /// Half-life of co-view and co-purchase weights.
    #[arg(long, default_value = "30d")]
    half_life: String,
    /// Half-life of trending scores.
    #[arg(long, default_value = "1d")]
    trending_half_life: String,
    /// Products per table.
    #[arg(long, default_value_t = 10)]
    top_k: usize,
    /// Times two products must be seen together to be recommended.
    #[arg(long, default_value_t = 2)]
    min_support: u32,
    /// Visitors kept in memory at once (each takes about 160 bytes).
    #[arg(long, default_value_t = 1_000_000)]
    max_visitors: usize,
    /// Product pairs kept in memory per table (each takes up to about 35 bytes).
    #[arg(long, default_value_t = 4_000_000)]
    max_pairs: usize,
    /// Hold out each visitor's last view and report hit-rate@10 and MRR against the most
    /// viewed products (the written tables then leave those views out).
    #[arg(long)]
    evaluate: bool,
}

/// Runs `vitrine recs …`.
pub fn run(cmd: RecsCmd) -> Result<ExitCode, String> {
    match cmd {
        RecsCmd::Train(args) => train(&args),
    }
}

fn train(args: &TrainArgs) -> Result<ExitCode, String> {
    let now = campaigns::now();
    let since = args
        .since
        .as_deref()
        .map(|t| vitrine_report::aggregate::parse_time(t, now))
        .transpose()?;
    let opts = Options {
        window_secs: duration("--window", &args.window)?,
        half_life_secs: duration("--half-life", &args.half_life)?,
        trending_half_life_secs: duration("--trending-half-life", &args.trending_half_life)?,
        top_k: args.top_k,
        min_support: args.min_support,
        max_visitors: args.max_visitors.max(1),
        max_pairs: args.max_pairs,
        hold_out_last_view: args.evaluate,
        ..Options::default()
    };
    let mut trainer = match &args.products {
        Some(path) => {
            let text = String::from_utf8(campaigns::read(path)?)
                .map_err(|_| format!("{}: not UTF-8", path.display()))?;
            let json = path.extension().is_some_and(|x| x == "json");
            let products = vitrine_learn::catalog::products(&text, json)
                .map_err(|e| format!("{}: {e}", path.display()))?;
            Trainer::with_catalog(opts, &products)
        }
        None => Trainer::new(opts),
    };
    let mut observe = |e: EventRef<'_>| {
        if since.is_none_or(|s| e.ts() >= s) {
            trainer.observe_ref(&e);
        }
    };
    let parsed = if args.remote {
        let mut fetched = report::fetch(&args.dataset, since)?;
        std::mem::take(&mut fetched.events)
            .into_iter()
            .for_each(|e| observe(e.into()));
        fetched
    } else {
        report::each_event(&args.inputs, args.format, &mut observe)?
    };
    report::print_bad_lines(&parsed);
    let tables = trainer.finish();
    write(&args.output, |f| export::recommendations(&tables, f))?;
    if let Some(path) = &args.lists {
        write(path, |f| export::lists(&tables, f))?;
    }
    let s = &tables.stats;
    let with_table = tables.also_viewed.iter().filter(|l| !l.is_empty()).count();
    eprintln!(
        "read {} events: {} views, {} purchases naming products, {} ignored (no visitor or another kind), {} of unknown products",
        s.events, s.views, s.purchases, s.ignored, s.unknown_products
    );
    eprintln!(
        "{} products, {with_table} with also_viewed; {} pairs kept, {} pruned, {} visitors evicted",
        tables.names.len(),
        s.pairs,
        s.pruned_pairs,
        s.evicted_visitors
    );
    eprintln!("wrote {}", args.output.display());
    if args.evaluate {
        print!("{}", evaluation(&evaluate(&tables, 10)));
    }
    Ok(ExitCode::SUCCESS)
}

fn evaluation(e: &vitrine_learn::Evaluation) -> String {
    let k = e.k;
    let lift = e
        .lift()
        .map_or("the popularity baseline never hit".to_owned(), |l| {
            format!("{l:.1}x the popularity baseline's hit-rate")
        });
    format!(
        "evaluation: each visitor's last view held out ({} cases), k = {k}\n\
         {:<14} {:>12} {:>8}\n\
         {:<14} {:>12.3} {:>8.3}\n\
         {:<14} {:>12.3} {:>8.3}\n\
         also_viewed: {lift}; {:.0} % of cases had an also_viewed list\n",
        e.cases,
        "",
        format!("hit-rate@{k}"),
        format!("MRR@{k}"),
        "also_viewed",
        e.also_viewed.hit_rate,
        e.also_viewed.mrr,
        "popularity",
        e.popularity.hit_rate,
        e.popularity.mrr,
        e.covered * 100.0,
    )
}

fn write(
    path: &std::path::Path,
    f: impl FnOnce(&mut std::io::BufWriter<std::fs::File>) -> csv::Result<()>,
) -> Result<(), String> {
    let file = std::fs::File::create(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut out = std::io::BufWriter::new(file);
    f(&mut out).map_err(|e| format!("{}: {e}", path.display()))
}

/// `90m`, `2h`, `30d`, `45s` or plain seconds.
fn duration(option: &str, text: &str) -> Result<u64, String> {
    let t = text.trim();
    let (digits, unit) = t.split_at(t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len()));
    let scale = match unit {
        "" | "s" => 1,
        "m" => 60,
        "h" => 3_600,
        "d" => 86_400,
        _ => 0,
    };
    digits
        .parse::<u64>()
        .ok()
        .filter(|n| scale > 0 && *n > 0)
        .map(|n| n.saturating_mul(scale))
        .ok_or_else(|| format!("{option} {text:?} is not a duration (for example 90m, 2h, 30d)"))
}

#[cfg(test)]
mod tests {
    use super::duration;

    #[test]
    fn durations() {
        assert_eq!(duration("--window", "90m"), Ok(5_400));
        assert_eq!(duration("--window", "2h"), Ok(7_200));
        assert_eq!(duration("--window", "30d"), Ok(2_592_000));
        assert_eq!(duration("--window", "45"), Ok(45));
        for bad in ["", "0h", "2w", "h", "-1d", "1.5h"] {
            assert!(duration("--window", bad).is_err(), "{bad}");
        }
    }
}
