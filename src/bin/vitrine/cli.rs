//! Command parsing and dispatch. Keys come from `VITRINE_COOKIE_KEYS`, never from argv.

use std::path::PathBuf;
use std::process::{Command, ExitCode};
use std::time::{SystemTime, UNIX_EPOCH};

use clap::{Parser, Subcommand};
use vitrine::cookie::{self, KeyRing, TimePolicy};
use vitrine::snapshot::{self, compile};

#[derive(Parser)]
#[command(
    name = "vitrine",
    version,
    about = "Edge personalization: campaigns, snapshots and cookies"
)]
struct Args {
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Validate campaign files; prints every error with file:line:col.
    Check { files: Vec<PathBuf> },
    /// Compile campaign files into a snapshot file.
    Build {
        files: Vec<PathBuf>,
        #[arg(short, long)]
        output: PathBuf,
    },
    /// Write a snapshot to Workers KV (immutable version key first, then the pointer).
    Publish {
        snapshot: PathBuf,
        /// Local KV of `wrangler dev` (otherwise the remote namespace).
        #[arg(long)]
        local: bool,
        /// Local state directory (wrangler's --persist-to).
        #[arg(long)]
        persist_to: Option<PathBuf>,
        /// wrangler environment.
        #[arg(long)]
        env: Option<String>,
    },
    /// Profile and activity cookies (see src/bin/vitrine/cookie.rs).
    Cookie {
        #[command(subcommand)]
        command: crate::cookie::CookieCmd,
    },
    /// Render a page as a visitor would see it (stdout).
    Preview {
        #[arg(long)]
        snapshot: PathBuf,
        /// A profile cookie token (verified with VITRINE_COOKIE_KEYS).
        #[arg(long)]
        cookie: Option<String>,
        page: PathBuf,
    },
}

/// Runs the CLI.
pub fn run() -> ExitCode {
    let args = Args::parse();
    match dispatch(args.command) {
        Ok(code) => code,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::from(2)
        }
    }
}

fn dispatch(cmd: Cmd) -> Result<ExitCode, String> {
    match cmd {
        Cmd::Check { files } => compile_files(&files).map(|r| match r {
            Ok(snap) => {
                println!(
                    "ok: {} slot(s), version {}",
                    snap.slots().len(),
                    snap.version()
                );
                ExitCode::SUCCESS
            }
            Err(code) => code,
        }),
        Cmd::Build { files, output } => match compile_files(&files)? {
            Ok(snap) => {
                write(&output, &snapshot::encode(&snap))?;
                println!("{}", snap.version());
                Ok(ExitCode::SUCCESS)
            }
            Err(code) => Ok(code),
        },
        Cmd::Publish {
            snapshot: path,
            local,
            persist_to,
            env,
        } => publish(&path, local, persist_to, env),
        Cmd::Cookie { command } => crate::cookie::run(command),
        Cmd::Preview {
            snapshot: path,
            cookie: token,
            page,
        } => {
            let snap =
                snapshot::decode(&read(&path)?).map_err(|e| format!("{}: {e}", path.display()))?;
            let identity = match token {
                Some(t) => {
                    let header = format!("{}={t}", cookie::PROFILE_COOKIE);
                    cookie::identify(Some(&header), &ring()?, now(), TimePolicy::default())
                }
                None => vitrine::Identity::anonymous(),
            };
            let decision = vitrine::decide(&snap, &identity);
            eprintln!("decision: {}", decision.summary());
            let out = vitrine::rewrite::rewrite_all(
                vitrine::render(&decision),
                &read(&page)?,
                Default::default(),
            )
            .map_err(|e| e.to_string())?;
            use std::io::Write as _;
            std::io::stdout()
                .write_all(&out)
                .map_err(|e| e.to_string())?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// Compiles, printing diagnostics; the inner `Err` is the exit code for refused input.
fn compile_files(files: &[PathBuf]) -> Result<Result<snapshot::Snapshot, ExitCode>, String> {
    if files.is_empty() {
        return Err("no campaign files given".into());
    }
    let texts: Vec<(String, String)> = files
        .iter()
        .map(|f| {
            let text =
                String::from_utf8(read(f)?).map_err(|_| format!("{}: not UTF-8", f.display()))?;
            Ok((f.display().to_string(), text))
        })
        .collect::<Result<_, String>>()?;
    let sources: Vec<compile::Source<'_>> = texts
        .iter()
        .map(|(name, text)| compile::Source { name, text })
        .collect();
    Ok(compile::compile(&sources).map_err(|errors| {
        for e in &errors {
            eprintln!("error: {e}");
        }
        eprintln!("{} error(s); nothing was built", errors.len());
        ExitCode::from(1)
    }))
}

fn publish(
    path: &PathBuf,
    local: bool,
    persist_to: Option<PathBuf>,
    env: Option<String>,
) -> Result<ExitCode, String> {
    let bytes = read(path)?;
    let snap = snapshot::decode(&bytes).map_err(|e| format!("{}: {e}", path.display()))?;
    let put = |key: &str, file: Option<&PathBuf>, value: Option<&str>| -> Result<(), String> {
        let mut cmd = Command::new("npx");
        cmd.args([
            "--no-install",
            "wrangler",
            "kv",
            "key",
            "put",
            "--binding",
            "SNAPSHOTS",
            key,
        ]);
        match (file, value) {
            (Some(f), _) => cmd.arg("--path").arg(f),
            (None, Some(v)) => cmd.arg(v),
            (None, None) => &mut cmd,
        };
        cmd.arg(if local { "--local" } else { "--remote" });
        if let Some(dir) = &persist_to {
            cmd.arg("--persist-to").arg(dir);
        }
        if let Some(env) = &env {
            cmd.args(["--env", env]);
        }
        let status = cmd
            .status()
            .map_err(|e| format!("cannot run wrangler: {e}"))?;
        status
            .success()
            .then_some(())
            .ok_or_else(|| format!("wrangler kv key put {key} failed ({status})"))
    };
    // Version first, pointer last: a reader never sees a pointer to a missing version.
    put(&snapshot::version_key(snap.version()), Some(path), None)?;
    put(snapshot::POINTER_KEY, None, Some(snap.version()))?;
    println!("published {}", snap.version());
    Ok(ExitCode::SUCCESS)
}

fn ring() -> Result<KeyRing, String> {
    let text = std::env::var("VITRINE_COOKIE_KEYS").map_err(|_| {
        "VITRINE_COOKIE_KEYS is not set (format: kid:base64url-secret[,…])".to_string()
    })?;
    KeyRing::parse(&text).map_err(|e| format!("VITRINE_COOKIE_KEYS: {e}"))
}

fn read(path: &PathBuf) -> Result<Vec<u8>, String> {
    std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))
}

fn write(path: &PathBuf, bytes: &[u8]) -> Result<(), String> {
    std::fs::write(path, bytes).map_err(|e| format!("{}: {e}", path.display()))
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}
