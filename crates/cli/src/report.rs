//! `vitrine report`: reads events (files, stdin or the Analytics Engine SQL API), prints the
//! lift per experiment and campaign, and fails loudly on a sample-ratio mismatch. All the
//! counting and statistics live in `vitrine_report`; this shell reads files, sends the HTTP
//! request and picks the exit code.
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
#[derive(Clone, Copy, clap::ValueEnum)]
pub enum Format {
    /// `.csv` files as CSV, everything else as JSON lines.
    Auto,
    /// JSON lines, optionally after a log prefix.
    Jsonl,
    /// CSV in the Analytics Engine layout.
    Csv,
}

/// Where events come from: the same for `report` and `optimize`.
#[derive(clap::Args)]
pub struct EventArgs {
    /// Event files (JSON lines or CSV); `-` reads stdin.
    #[arg(required_unless_present = "remote", conflicts_with = "remote")]
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

    /// Reads the events (files, stdin or the SQL API), printing the bad lines; `Err(1)` as
    /// the exit code when `strict` and some line was bad.
    pub fn read(&self, since: Option<u64>, strict: bool) -> Result<Result<Parsed, u8>, String> {
        let parsed = if self.remote {
            fetch(&self.dataset, since)?
        } else {
            read_inputs(&self.inputs, self.format)?
        };
        if parsed.bad_count > 0 {
            eprintln!("{} bad line(s) (not counted):", parsed.bad_count);
            for b in &parsed.bad {
                eprintln!("  line {}: {}", b.line, b.reason);
            }
            if strict {
                eprintln!("refused: --strict and the input has bad lines");
                return Ok(Err(1));
            }
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
    let expect = expectations(args)?;
    let parsed = match args.events.read(filter.since, args.strict)? {
        Ok(p) => p,
        Err(code) => return Ok(ExitCode::from(code)),
    };
    let tally = report::aggregate(&parsed.events, &filter);
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
    let parsed = read_inputs(paths, Format::Auto)?;
    let tally = report::aggregate(&parsed.events, &report::Filter::default());
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

fn read_inputs(paths: &[PathBuf], format: Format) -> Result<Parsed, String> {
    let mut events = Vec::new();
    let mut all = each_event(paths, format, |e| events.push(e.into_event()))?;
    all.events = events;
    Ok(all)
}

/// Reads every input one event at a time (the files are never held whole), handing each event
/// to `each`, borrowed from its line; the answer counts what could not be read, with no events.
pub(crate) fn each_event(
    paths: &[PathBuf],
    format: Format,
    mut each: impl FnMut(vitrine_core::measure::events::EventRef<'_>),
) -> Result<Parsed, String> {
    let mut all = Parsed::default();
    for path in paths {
        let reader: Box<dyn std::io::BufRead> = if path.as_os_str() == "-" {
            Box::new(std::io::stdin().lock())
        } else {
            let file = std::fs::File::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
            Box::new(std::io::BufReader::with_capacity(1 << 16, file))
        };
        let csv = match format {
            Format::Csv => true,
            Format::Jsonl => false,
            Format::Auto => path.extension().is_some_and(|x| x == "csv"),
        };
        let mut parsed = if csv {
            input::each_csv_row(reader, |e| each(e.into()))
                .map_err(|e| format!("{}: {e}", path.display()))?
        } else {
            input::each_json_line(reader, &mut each).map_err(|e| {
                let what = if e.kind() == std::io::ErrorKind::InvalidData {
                    "not UTF-8"
                } else {
                    "read error"
                };
                format!("{}: {what}: {e}", path.display())
            })?
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
