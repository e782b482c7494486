//! `vitrine report`: reads events (files, directories of Parquet files, stdin or the Analytics
//! Engine SQL API), prints the lift per experiment and campaign, and fails loudly on a
//! sample-ratio mismatch. All the counting and statistics live in `vitrine_report`; this shell
//! reads files, sends the HTTP request and picks the exit code. Events stream from the files
//! into the counts one at a time, so the input may be far larger than memory.
//!
//! Exit codes: 0 report printed; 1 bad input lines with `--strict`; 2 usage, I/O or API error;
//! 4 sample-ratio mismatch in some experiment or campaign (unless `--allow-srm`).

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use vitrine_report::analyze::InputSummary;
use vitrine_report::{self as report, input, remote, Expectations, Parsed};

use crate::campaigns::{self, CompileArgs};

/// Exit code: sample-ratio mismatch.
pub const EXIT_SRM: u8 = 4;

/// How an input file is read.
#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// `.parquet` files (or any starting with Parquet's magic bytes) as Parquet, `.csv` files
    /// as CSV, everything else as JSON lines.
    Auto,
    /// JSON lines, optionally after a log prefix.
    Jsonl,
    /// CSV in the Analytics Engine layout.
    Csv,
    /// Parquet in the event layout (the Pipelines sink's files).
    Parquet,
}

/// Where events come from: the same for `report` and `optimize`.
#[derive(clap::Args)]
pub struct EventArgs {
    /// Event files (JSON lines, CSV or Parquet) or directories of Parquet files; `-` reads
    /// stdin.
    #[arg(conflicts_with = "remote")]
    inputs: Vec<PathBuf>,
    /// How to read the inputs.
    #[arg(long, value_enum, default_value = "auto")]
    format: Format,
    /// Query the Analytics Engine SQL API (CLOUDFLARE_API_TOKEN, CLOUDFLARE_ACCOUNT_ID).
    #[arg(long)]
    remote: bool,
    /// The Analytics Engine dataset (with --remote).
    #[arg(long, default_value = remote::DEFAULT_DATASET)]
    dataset: String,
    /// Only events since: a duration (7d, 24h), a date (2026-11-01) or Unix seconds.
    #[arg(long)]
    since: Option<String>,
    /// Only events before this time (same forms as --since).
    #[arg(long)]
    until: Option<String>,
}

impl EventArgs {
    /// The inputs as the engine reads them for --sql: files as given, a directory as every
    /// `.parquet` file under it.
    pub fn sql_sources(&self) -> Result<Vec<String>, String> {
        if self.inputs.is_empty() {
            return Err("--sql needs the Parquet files or directories the engine will read".into());
        }
        Ok(self
            .inputs
            .iter()
            .map(|p| {
                let text = p.display().to_string();
                if p.is_dir() {
                    format!("{}/**/*.parquet", text.trim_end_matches('/'))
                } else {
                    text
                }
            })
            .collect())
    }

    /// The time window and `goal` as a report filter.
    pub fn filter(&self, goal: Option<String>) -> Result<report::Filter, String> {
        let now = campaigns::now();
        let time = |t: &Option<String>| {
            t.as_deref()
                .map(|t| report::aggregate::parse_time(t, now))
                .transpose()
        };
        Ok(report::Filter {
            goal,
            since: time(&self.since)?,
            until: time(&self.until)?,
        })
    }

    /// Reads the events (files, stdin or the SQL API) one at a time into `each`, printing the
    /// bad lines; `Err(1)` as the exit code when `strict` and some line was bad. The answer
    /// counts what could not be read (its `events` stay empty).
    pub fn stream(
        &self,
        since: Option<u64>,
        strict: bool,
        mut each: impl FnMut(&vitrine_core::measure::events::Event),
    ) -> Result<Result<Parsed, u8>, String> {
        if self.inputs.is_empty() && !self.remote {
            return Err(
                "no events: give event files or directories, `-` for stdin, or --remote".into(),
            );
        }
        let parsed = if self.remote {
            let mut fetched = fetch(&self.dataset, since)?;
            std::mem::take(&mut fetched.events).iter().for_each(each);
            fetched
        } else {
            each_event(&self.inputs, self.format, |e| each(&e.into_event()))?
        };
        print_bad_lines(&parsed);
        if parsed.bad_count > 0 && strict {
            eprintln!("refused: --strict and the input has bad lines");
            return Ok(Err(1));
        }
        Ok(Ok(parsed))
    }
}

/// Arguments of `vitrine report`.
#[derive(clap::Args)]
pub struct ReportArgs {
    #[command(flatten)]
    events: EventArgs,
    /// The built snapshot the events ran with: configured weights for the SRM check.
    #[arg(long, conflicts_with = "campaigns")]
    snapshot: Option<PathBuf>,
    /// Campaign files or a directory of them, compiled for the configured weights.
    #[arg(long)]
    campaigns: Option<PathBuf>,
    /// Only conversions with this name (default: every conversion).
    #[arg(long)]
    goal: Option<String>,
    /// The control arm, `ARM` for every experiment that has it or `EXPERIMENT=ARM`.
    #[arg(long)]
    control: Vec<String>,
    /// The SRM check fails below this p-value.
    #[arg(long, default_value_t = report::analyze::SRM_ALPHA)]
    srm_alpha: f64,
    /// Exit 0 despite a sample-ratio mismatch (it is still reported).
    #[arg(long)]
    allow_srm: bool,
    /// Bad input lines are fatal (exit 1).
    #[arg(long)]
    strict: bool,
    /// Always-valid intervals: confidence sequences you may read every day (docs/marketers.md#reading-results-every-day).
    #[arg(long)]
    sequential: bool,
    /// Visitors per comparison (both arms) where the sequential intervals are narrowest.
    #[arg(long, value_name = "VISITORS", default_value_t = report::stats::sequential::TUNING, requires = "sequential")]
    sequential_tuning: f64,
    /// Also show the lift adjusted by visits and product views before the first exposure (CUPED).
    #[arg(long)]
    cuped: bool,
    /// Print the report as JSON (docs/marketers.md#the-json-shape documents the shape).
    #[arg(long)]
    json: bool,
    /// Also write a self-contained HTML page with a chart.
    #[arg(long, value_name = "FILE")]
    html: Option<PathBuf>,
    /// Print the analysis as SQL for an engine over the Parquet files (DuckDB) instead of
    /// running it; report from its answer with --from-aggregates.
    #[arg(long, conflicts_with_all = ["from_aggregates", "remote", "json", "html"])]
    sql: bool,
    /// Report from an engine's answer to --sql (CSV with a header) instead of from events.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["remote", "cuped"])]
    from_aggregates: Option<PathBuf>,
}

/// Runs the report.
pub fn run(args: &ReportArgs) -> Result<ExitCode, String> {
    if !(args.srm_alpha > 0.0 && args.srm_alpha < 1.0) {
        return Err(format!(
            "--srm-alpha {} is not between 0 and 1",
            args.srm_alpha
        ));
    }
    if !(args.sequential_tuning.is_finite() && args.sequential_tuning >= 1.0) {
        return Err(format!(
            "--sequential-tuning {} is not a number of visitors: give the sample you expect the test to reach, e.g. 5000",
            args.sequential_tuning
        ));
    }
    let filter = args.events.filter(args.goal.clone())?;
    if args.sql {
        print!(
            "{}",
            report::sql::query(&args.events.sql_sources()?, &filter)
        );
        return Ok(ExitCode::SUCCESS);
    }
    let expect = expectations(args)?;
    let (tally, parsed) = match &args.from_aggregates {
        Some(path) => {
            let file = std::fs::File::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
            let tally =
                report::sql::aggregates::read(std::io::BufReader::new(file), args.goal.as_deref())
                    .map_err(|e| format!("{}: {e}", path.display()))?;
            (tally, Parsed::default())
        }
        None => {
            let mut counts = report::aggregate::Aggregator::new(&filter);
            let parsed = match args
                .events
                .stream(filter.since, args.strict, |e| counts.push(e))?
            {
                Ok(p) => p,
                Err(code) => return Ok(ExitCode::from(code)),
            };
            (counts.finish(), parsed)
        }
    };
    let summary = summary(&tally, &parsed);
    let options = report::Options {
        control: args.control.iter().map(|c| control(c)).collect(),
        srm_alpha: args.srm_alpha,
        goal: args.goal.clone(),
        sequential: args.sequential.then_some(args.sequential_tuning),
        cuped: args.cuped,
    };
    let rep = report::analyze(&tally, summary, expect.as_ref(), &options);
    if args.json {
        let json = serde_json::to_string_pretty(&rep).map_err(|e| e.to_string())?;
        println!("{json}");
    } else {
        print!("{}", report::text::render(&rep));
    }
    if let Some(path) = &args.html {
        std::fs::write(path, report::html::render(&rep))
            .map_err(|e| format!("{}: {e}", path.display()))?;
        eprintln!("wrote {}", path.display());
    }
    if rep.srm_failed && !args.allow_srm {
        eprintln!("sample ratio mismatch: exit {EXIT_SRM} (pass --allow-srm to exit 0 anyway)");
        return Ok(ExitCode::from(EXIT_SRM));
    }
    Ok(ExitCode::SUCCESS)
}

fn control(text: &str) -> (Option<String>, String) {
    match text.split_once('=') {
        Some((unit, arm)) => (Some(unit.to_owned()), arm.to_owned()),
        None => (None, text.to_owned()),
    }
}

fn expectations(args: &ReportArgs) -> Result<Option<Expectations>, String> {
    if let Some(path) = &args.snapshot {
        let (snap, _) = campaigns::read_built(path)?;
        return Ok(Some(Expectations::from_snapshot(&snap)));
    }
    let Some(path) = &args.campaigns else {
        return Ok(None);
    };
    let files = campaign_files(path)?;
    let compile = CompileArgs {
        pages: Vec::new(),
        max_variants: 500,
    };
    match campaigns::compile_files(&files, &compile)? {
        Ok(c) => Ok(Some(Expectations::from_snapshot(&c.build.snapshot))),
        Err(_) => Err(format!(
            "{}: the campaigns do not compile (see above)",
            path.display()
        )),
    }
}

/// The campaign files at `path`: the file itself, or a directory's `.toml` files, sorted.
pub fn campaign_files(path: &Path) -> Result<Vec<PathBuf>, String> {
    if !path.is_dir() {
        return Ok(vec![path.to_owned()]);
    }
    let entries = std::fs::read_dir(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut files: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    files.sort();
    if files.is_empty() {
        return Err(format!("{}: no .toml campaign files", path.display()));
    }
    Ok(files)
}

/// What the report says about its input: events counted, lines refused or skipped, the span.
fn summary(tally: &report::aggregate::Tally, parsed: &Parsed) -> InputSummary {
    InputSummary {
        events: tally.events,
        outside_window: tally.outside_window,
        bad_lines: parsed.bad_count,
        first_bad_lines: parsed.bad.clone(),
        skipped_lines: parsed.skipped,
        goals_seen: tally.goals.clone(),
        first_ts: tally.span.map(|s| s.0),
        last_ts: tally.span.map(|s| s.1),
    }
}

/// `vitrine report --html` for these event files, with the configured weights of `expect`
/// (the studio's Results page).
pub fn html_for(
    paths: &[PathBuf],
    expect: Option<&vitrine_core::Snapshot>,
) -> Result<String, String> {
    let mut counts = report::aggregate::Aggregator::new(&report::Filter::default());
    let parsed = each_event(paths, Format::Auto, |e| counts.push(&e.into_event()))?;
    let tally = counts.finish();
    let summary = summary(&tally, &parsed);
    let options = report::Options {
        control: Vec::new(),
        srm_alpha: report::analyze::SRM_ALPHA,
        goal: None,
        sequential: None,
        cuped: false,
    };
    let expect = expect.map(Expectations::from_snapshot);
    let rep = report::analyze(&tally, summary, expect.as_ref(), &options);
    Ok(report::html::render(&rep))
}

/// Reads every input one event at a time (the files are never held whole), handing each event
/// to `each`, borrowed from its line where it has one; the answer counts what could not be
/// read, with no events. A directory stands for every `.parquet` file under it ([`files`]).
pub(crate) fn each_event(
    paths: &[PathBuf],
    format: Format,
    mut each: impl FnMut(vitrine_core::measure::events::EventRef<'_>),
) -> Result<Parsed, String> {
    let mut all = Parsed::default();
    let paths = files(paths)?;
    for path in &paths {
        let mut parsed = if path.as_os_str() == "-" {
            if format == Format::Parquet {
                return Err(
                    "-: Parquet cannot be read from stdin (it is read from its end): give the file"
                        .into(),
                );
            }
            read_stream(path, format, std::io::stdin().lock(), &mut each)?
        } else {
            let file = std::fs::File::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
            if format == Format::Parquet || (format == Format::Auto && is_parquet(path)) {
                input::parquet::each_parquet_row(file, |e| each(e.into()))
                    .map_err(|e| format!("{}: {e}", path.display()))?
            } else {
                let reader = std::io::BufReader::with_capacity(1 << 16, file);
                read_stream(path, format, reader, &mut each)?
            }
        };
        if paths.len() > 1 {
            // Line numbers are per file: name the file in each kept reason.
            for b in &mut parsed.bad {
                b.reason = format!("{}: {}", path.display(), b.reason);
            }
        }
        all.extend(parsed);
    }
    Ok(all)
}

/// JSON lines or CSV from `reader`.
fn read_stream(
    path: &Path,
    format: Format,
    reader: impl std::io::BufRead,
    mut each: impl FnMut(vitrine_core::measure::events::EventRef<'_>),
) -> Result<Parsed, String> {
    let csv = match format {
        Format::Csv => true,
        Format::Jsonl | Format::Parquet => false,
        Format::Auto => path.extension().is_some_and(|x| x == "csv"),
    };
    if csv {
        return input::each_csv_row(reader, |e| each(e.into()))
            .map_err(|e| format!("{}: {e}", path.display()));
    }
    input::each_json_line(reader, each).map_err(|e| {
        let what = if e.kind() == std::io::ErrorKind::InvalidData {
            "not UTF-8"
        } else {
            "read error"
        };
        format!("{}: {what}: {e}", path.display())
    })
}

/// A `.parquet` file, or one that starts with Parquet's magic bytes.
fn is_parquet(path: &Path) -> bool {
    use std::io::Read;
    if path.extension().is_some_and(|x| x == "parquet") {
        return true;
    }
    let mut head = [0u8; 4];
    std::fs::File::open(path).is_ok_and(|mut f| f.read_exact(&mut head).is_ok())
        && head == *input::parquet::MAGIC
}

/// The inputs with each directory replaced by the `.parquet` files under it, sorted by path (a
/// Pipelines sink's `year=/month=/day=` partitions read in time order).
pub(crate) fn files(paths: &[PathBuf]) -> Result<Vec<PathBuf>, String> {
    let mut out = Vec::new();
    for path in paths {
        if !path.is_dir() {
            out.push(path.clone());
            continue;
        }
        let mut found = Vec::new();
        let mut todo = vec![path.clone()];
        while let Some(dir) = todo.pop() {
            let entries = std::fs::read_dir(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
            for entry in entries {
                let p = entry.map_err(|e| format!("{}: {e}", dir.display()))?.path();
                if p.is_dir() {
                    todo.push(p);
                } else if p.extension().is_some_and(|x| x == "parquet") {
                    found.push(p);
                }
            }
        }
        if found.is_empty() {
            return Err(format!(
                "{}: a directory with no .parquet files",
                path.display()
            ));
        }
        found.sort();
        out.extend(found);
    }
    Ok(out)
}

/// Prints the bad lines of `parsed` on stderr (all counted, the first few with their reason).
pub(crate) fn print_bad_lines(parsed: &Parsed) {
    if parsed.bad_count > 0 {
        eprintln!("{} bad line(s) (not counted):", parsed.bad_count);
        for b in &parsed.bad {
            eprintln!("  line {}: {}", b.line, b.reason);
        }
    }
}

pub(crate) fn fetch(dataset: &str, since: Option<u64>) -> Result<Parsed, String> {
    let token = std::env::var("CLOUDFLARE_API_TOKEN").ok();
    let account = std::env::var("CLOUDFLARE_ACCOUNT_ID").ok();
    let req = remote::request(token.as_deref(), account.as_deref(), dataset, since)
        .map_err(|e| e.to_string())?;
    let agent = ureq::AgentBuilder::new()
        .timeout(Duration::from_secs(120))
        .build();
    let answer = agent
        .post(&req.url)
        .set("Authorization", &req.authorization)
        .set("Content-Type", "text/plain")
        .send_string(&req.sql);
    let response = match answer {
        Ok(r) => r,
        Err(ureq::Error::Status(_, r)) => r,
        Err(ureq::Error::Transport(t)) => return Err(format!("{}: {t}", req.url)),
    };
    let status = response.status();
    let body = response
        .into_string()
        .map_err(|e| format!("{}: reading the answer: {e}", req.url))?;
    remote::read(status, &body).map_err(|e| e.to_string())
}
