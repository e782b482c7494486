//! `check` and `build`: compile campaign files with diagnostics, write a built snapshot (and
//! its catalog shards) to disk, read one back, and print the size report.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{SystemTime, UNIX_EPOCH};

use vitrine_compile::{self as compile, Build, Options, Source};
use vitrine_core::snapshot::catalog::{decode_shard, KV_VALUE_LIMIT};
use vitrine_core::snapshot::{self, Snapshot};

use crate::diagnostics::{self, FsLoader};

/// Exit code: unacknowledged warnings (publish refused).
pub const EXIT_WARNINGS: u8 = 3;

/// Options shared by every command that compiles.
#[derive(clap::Args, Clone)]
pub struct CompileArgs {
    /// Sample pages: a campaign slot on none of them is a warning.
    #[arg(long = "pages", num_args = 1..)]
    pub pages: Vec<PathBuf>,
    /// Variant count above which a warning is raised.
    #[arg(long, default_value_t = 500)]
    pub max_variants: u64,
}

/// A compiled run and what it printed.
pub struct Compiled {
    pub build: Build,
    /// Warnings not acknowledged in the files.
    pub blocking: usize,
}

/// Compiles, printing every diagnostic; the inner `Err` is the exit code for refused input.
pub fn compile_files(
    files: &[PathBuf],
    args: &CompileArgs,
) -> Result<Result<Compiled, ExitCode>, String> {
    if files.is_empty() {
        return Err("no campaign files given".into());
    }
    let loader = FsLoader::default();
    let mut texts = Vec::new();
    for f in files {
        let name = f.display().to_string();
        let text = String::from_utf8(read(f)?).map_err(|_| format!("{name}: not UTF-8"))?;
        loader.remember(&name, &text);
        texts.push((name, text));
    }
    let mut pages = Vec::new();
    for p in &args.pages {
        pages.push((p.display().to_string(), read(p)?));
    }
    let options = Options {
        now: now() as i64,
        pages,
        max_variants: args.max_variants,
    };
    let sources: Vec<Source<'_>> = texts
        .iter()
        .map(|(name, text)| Source { name, text })
        .collect();
    match compile::build(&sources, &loader, &options) {
        Ok(build) => {
            diagnostics::print(&loader, &build.warnings);
            let blocking = build.warnings.len();
            if blocking > 0 {
                eprintln!("{blocking} warning(s) not acknowledged; `publish` refuses until each is fixed or listed in [acknowledge]");
            }
            Ok(Ok(Compiled { build, blocking }))
        }
        Err(errors) => {
            diagnostics::print(&loader, &errors);
            eprintln!("{} error(s); nothing was built", errors.len());
            Ok(Err(ExitCode::from(1)))
        }
    }
}

/// `vitrine check`.
pub fn check(files: &[PathBuf], args: &CompileArgs) -> Result<ExitCode, String> {
    Ok(match compile_files(files, args)? {
        Ok(c) => {
            let snap = &c.build.snapshot;
            println!(
                "ok: {} slot(s), {} variant(s), version {}",
                snap.slots().len(),
                c.build.variants,
                snap.version()
            );
            if c.blocking > 0 {
                ExitCode::from(EXIT_WARNINGS)
            } else {
                ExitCode::SUCCESS
            }
        }
        Err(code) => code,
    })
}

/// `vitrine build`.
/// With unacknowledged warnings nothing is written (exit 3) unless `allow_warnings`, so a
/// built snapshot went through the same gate as `publish`.
pub fn build(
    files: &[PathBuf],
    output: &Path,
    args: &CompileArgs,
    allow_warnings: bool,
) -> Result<ExitCode, String> {
    let c = match compile_files(files, args)? {
        Ok(c) => c,
        Err(code) => return Ok(code),
    };
    if c.blocking > 0 && !allow_warnings {
        eprintln!("nothing was written: fix or acknowledge the warnings, or pass --allow-warnings");
        return Ok(ExitCode::from(EXIT_WARNINGS));
    }
    write_built(output, &c.build.snapshot, &c.build.shards)?;
    report(&c.build.snapshot, &c.build.shards);
    println!("{}", c.build.snapshot.version());
    Ok(ExitCode::SUCCESS)
}

/// Where shard `n` of a built snapshot at `output` lives.
pub fn shard_path(output: &Path, n: usize) -> PathBuf {
    let mut dir = output.as_os_str().to_owned();
    dir.push(".catalog");
    PathBuf::from(dir).join(format!("{n}.json"))
}

fn write_built(output: &Path, snap: &Snapshot, shards: &[Vec<u8>]) -> Result<(), String> {
    write(output, &snapshot::encode(snap))?;
    if let Some(dir) = shard_path(output, 0)
        .parent()
        .filter(|_| !shards.is_empty())
    {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    for (n, bytes) in shards.iter().enumerate() {
        write(&shard_path(output, n), bytes)?;
    }
    Ok(())
}

/// Reads a built snapshot and its shards back, checking each.
pub fn read_built(path: &Path) -> Result<(Snapshot, Vec<Vec<u8>>), String> {
    let snap = snapshot::decode(&read(path)?).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut shards = Vec::new();
    if let Some(catalog) = &snap.body().catalog {
        for n in 0..catalog.shards.len() {
            let p = shard_path(path, n);
            let bytes = read(&p)?;
            decode_shard(&bytes, n, catalog).map_err(|e| format!("{}: {e}", p.display()))?;
            shards.push(bytes);
        }
    }
    Ok((snap, shards))
}

/// Prints the size of each section and of the shards.
pub fn report(snap: &Snapshot, shards: &[Vec<u8>]) {
    eprintln!("snapshot {} size report:", snap.version());
    for (section, bytes) in snap.sizes() {
        eprintln!("  {section:<18} {bytes:>12} bytes");
    }
    if !shards.is_empty() {
        let total: usize = shards.iter().map(Vec::len).sum();
        let largest = shards.iter().map(Vec::len).max().unwrap_or(0);
        eprintln!("  {:<18} {total:>12} bytes in {} shards (largest {largest}, KV limit {KV_VALUE_LIMIT})", "catalog shards", shards.len());
    }
}

pub fn read(path: &Path) -> Result<Vec<u8>, String> {
    std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))
}

fn write(path: &Path, bytes: &[u8]) -> Result<(), String> {
    std::fs::write(path, bytes).map_err(|e| format!("{}: {e}", path.display()))
}

pub fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}
