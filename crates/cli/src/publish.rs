//! `publish`, `status`, `rollback` and `diff`: the KV layout in practice. A publish writes the
//! immutable version key and its shards first, flips `snapshot/current` second, records the
//! history third and deletes versions beyond `--keep` last, so at every moment the pointer
//! names a complete version.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;
use vitrine_compile::diff::diff;
use vitrine_core::snapshot::catalog::shard_key;
use vitrine_core::snapshot::layout::{History, Published, HISTORY_KEY};
use vitrine_core::snapshot::{self, Snapshot, POINTER_KEY};

use crate::campaigns::{self, CompileArgs, EXIT_WARNINGS};
use crate::kv::Kv;

/// Which KV namespace to use.
#[derive(clap::Args, Clone)]
pub struct Target {
    /// The local KV of `wrangler dev`.
    #[arg(long, conflicts_with = "remote", required_unless_present = "remote")]
    pub local: bool,
    /// The remote namespace (your wrangler login).
    #[arg(long)]
    pub remote: bool,
    /// wrangler environment (for example `production`).
    #[arg(long)]
    pub env: Option<String>,
    /// Local state directory (wrangler's `--persist-to`).
    #[arg(long)]
    pub persist_to: Option<PathBuf>,
}

impl Target {
    /// The KV namespace this names.
    pub fn kv(&self) -> Kv {
        Kv {
            local: self.local,
            persist_to: self.persist_to.clone(),
            env: self.env.clone(),
        }
    }
}

/// `vitrine publish`.
pub fn publish(
    inputs: &[PathBuf],
    target: &Target,
    dry_run: bool,
    keep: usize,
    args: &CompileArgs,
) -> Result<ExitCode, String> {
    let (snap, shards) = match inputs {
        [one] if !is_campaign(one) => campaigns::read_built(one)?,
        _ if inputs.iter().all(|p| is_campaign(p)) => match campaigns::compile_files(inputs, args)?
        {
            Ok(c) if c.blocking > 0 => {
                eprintln!("publish refused: acknowledge or fix the warnings above");
                return Ok(ExitCode::from(EXIT_WARNINGS));
            }
            Ok(c) => (c.build.snapshot, c.build.shards),
            Err(code) => return Ok(code),
        },
        _ => return Err("give campaign files (*.toml) or one built snapshot".into()),
    };
    let kv = target.kv();
    let active = pointer(&kv)?;
    let mut history = read_history(&kv)?;
    let version = snap.version().to_owned();
    campaigns::report(&snap, &shards);
    match &active {
        Some(a) if *a == version => {
            println!("{version} is already active; nothing to publish");
            return Ok(ExitCode::SUCCESS);
        }
        Some(a) => print_changes(&kv, a, &snap),
        None => println!("first publish to this namespace"),
    }
    if dry_run {
        let (entries, stale) = plan_with(&mut history, &snap, shards, keep, active.as_deref())?;
        for (key, value) in &entries {
            println!("would write {key} ({} bytes)", value.len());
        }
        println!(
            "would point {POINTER_KEY} at {version}; would delete {} old key(s)",
            stale.len()
        );
        return Ok(ExitCode::SUCCESS);
    }
    write_version(&kv, &snap, shards, keep, active.as_deref(), history)?;
    println!(
        "published {version}{}",
        active.map(|a| format!(" (was {a})")).unwrap_or_default()
    );
    Ok(ExitCode::SUCCESS)
}

/// KV keys and values to write.
type Entries = Vec<(String, Vec<u8>)>;

/// The keys to write for `snap` (version, then shards) and the old keys to delete once the
/// history keeps at most `keep` versions; `history` comes back updated.
fn plan_with(
    history: &mut History,
    snap: &Snapshot,
    shards: Vec<Vec<u8>>,
    keep: usize,
    active: Option<&str>,
) -> Result<(Entries, Vec<String>), String> {
    let version = snap.version().to_owned();
    let mut entries = vec![(snapshot::version_key(&version), snapshot::encode(snap))];
    entries.extend(
        shards
            .into_iter()
            .enumerate()
            .map(|(n, bytes)| (shard_key(&version, n), bytes)),
    );
    let shard_count = entries.len() - 1;
    let dropped = history.push(
        Published {
            version,
            at: campaigns::now(),
            shards: shard_count,
        },
        keep,
        active,
    );
    Ok((entries, dropped.iter().flat_map(History::keys).collect()))
}

/// Publishes `snap` (`vitrine publish` and the studio): the version key and its shards first,
/// the pointer second, the history third (`history` as read before), versions beyond `keep`
/// deleted last.
pub fn write_version(
    kv: &Kv,
    snap: &Snapshot,
    shards: Vec<Vec<u8>>,
    keep: usize,
    active: Option<&str>,
    mut history: History,
) -> Result<(), String> {
    let (entries, stale) = plan_with(&mut history, snap, shards, keep, active)?;
    kv.put_all(&entries)?;
    kv.put_all(&[(POINTER_KEY.to_owned(), snap.version().as_bytes().to_vec())])?;
    let history_json = serde_json::to_vec(&history).map_err(|e| e.to_string())?;
    kv.put_all(&[(HISTORY_KEY.to_owned(), history_json)])?;
    kv.delete_all(&stale)
}

/// Points `snapshot/current` at a stored version (`vitrine rollback` and the studio).
pub fn point_at(kv: &Kv, version: &str) -> Result<(), String> {
    kv.put_all(&[(POINTER_KEY.to_owned(), version.as_bytes().to_vec())])
}

/// `vitrine status`.
pub fn status(target: &Target) -> Result<ExitCode, String> {
    let kv = target.kv();
    let active = pointer(&kv)?;
    let history = read_history(&kv)?;
    match &active {
        Some(v) => println!("active: {v}"),
        None => println!("active: none (nothing published; workers bypass)"),
    }
    for p in &history.versions {
        let mark = if Some(&p.version) == active.as_ref() {
            "*"
        } else {
            " "
        };
        println!(
            "{mark} {}  published {}  {} shard(s)",
            p.version,
            when(p.at),
            p.shards
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// `vitrine rollback [VERSION]`.
pub fn rollback(wanted: Option<&str>, target: &Target) -> Result<ExitCode, String> {
    let kv = target.kv();
    let active = pointer(&kv)?.ok_or("nothing is published; there is nothing to roll back")?;
    let history = read_history(&kv)?;
    let version = match (history.rollback_target(&active, wanted), wanted) {
        (Some(p), _) => p.version.clone(),
        (None, Some(v)) => v.to_owned(),
        (None, None) => {
            return Err(format!(
                "no version before {active} is kept; name one (see `vitrine status`)"
            ))
        }
    };
    let snap = fetch(&kv, &version)?;
    print_changes(&kv, &active, &snap);
    point_at(&kv, &version)?;
    println!("rolled back to {version} (was {active})");
    Ok(ExitCode::SUCCESS)
}

/// `vitrine diff A B`: each side is a built snapshot file, campaign file, or a version in KV.
pub fn diff_cmd(
    a: &str,
    b: &str,
    target: Option<&Target>,
    args: &CompileArgs,
) -> Result<ExitCode, String> {
    let (old, new) = (side(a, target, args)?, side(b, target, args)?);
    let changes = diff(&old, &new);
    println!(
        "{} → {}: {} change(s)",
        old.version(),
        new.version(),
        changes.len()
    );
    for c in changes {
        println!("{c}");
    }
    Ok(ExitCode::SUCCESS)
}

fn side(arg: &str, target: Option<&Target>, args: &CompileArgs) -> Result<Snapshot, String> {
    let path = Path::new(arg);
    if path.exists() {
        if is_campaign(path) {
            return match campaigns::compile_files(&[path.to_path_buf()], args)? {
                Ok(c) => Ok(c.build.snapshot),
                Err(_) => Err(format!("{arg} does not compile")),
            };
        }
        return campaigns::read_built(path).map(|(s, _)| s);
    }
    let target = target.ok_or_else(|| {
        format!("{arg} is not a file; pass --local or --remote to read versions from KV")
    })?;
    fetch(&target.kv(), arg)
}

fn print_changes(kv: &Kv, active: &str, new: &Snapshot) {
    match fetch(kv, active) {
        Ok(old) => {
            let changes = diff(&old, new);
            println!("changes from {active}: {}", changes.len());
            for c in changes {
                println!("  {c}");
            }
        }
        Err(why) => println!("the active version {active} cannot be read ({why}); changes unknown"),
    }
}

pub fn fetch(kv: &Kv, version: &str) -> Result<Snapshot, String> {
    let bytes = kv
        .get(&snapshot::version_key(version))?
        .ok_or_else(|| format!("version {version} is not stored"))?;
    snapshot::decode(&bytes).map_err(|e| format!("version {version}: {e}"))
}

pub fn pointer(kv: &Kv) -> Result<Option<String>, String> {
    Ok(kv
        .get(POINTER_KEY)?
        .map(|b| String::from_utf8_lossy(&b).trim().to_owned())
        .filter(|v| !v.is_empty()))
}

pub fn read_history(kv: &Kv) -> Result<History, String> {
    match kv.get(HISTORY_KEY)? {
        Some(bytes) => serde_json::from_slice(&bytes)
            .map_err(|e| format!("{HISTORY_KEY} is not readable: {e}")),
        None => Ok(History::default()),
    }
}

fn is_campaign(p: &Path) -> bool {
    p.extension().is_some_and(|e| e == "toml")
}

fn when(at: u64) -> String {
    OffsetDateTime::from_unix_timestamp(at as i64)
        .ok()
        .and_then(|t| t.format(&Rfc3339).ok())
        .unwrap_or_else(|| at.to_string())
}
