//! Workers KV through wrangler's own commands (`wrangler kv key get`, `kv bulk put`,
//! `kv bulk delete`; `kv key put` for binary values in local storage), so publishing uses the user's wrangler login and configuration. Large
//! writes go in batches with a progress bar.

use std::io::Write as _;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use indicatif::{ProgressBar, ProgressStyle};

/// Bytes per bulk request (wrangler and the API accept up to 100 MB / 10 000 keys).
const BATCH_BYTES: usize = 50 * 1024 * 1024;
const BATCH_KEYS: usize = 5_000;

/// Where KV lives: local (`wrangler dev` state) or the remote namespace.
pub struct Kv {
    /// Local storage instead of remote.
    pub local: bool,
    /// Local state directory (`--persist-to`).
    pub persist_to: Option<PathBuf>,
    /// wrangler environment.
    pub env: Option<String>,
}

impl Kv {
    fn wrangler(&self, args: &[&str]) -> Command {
        let local_bin = PathBuf::from("node_modules/.bin/wrangler");
        let mut cmd = if local_bin.exists() {
            Command::new(local_bin)
        } else {
            let mut c = Command::new("npx");
            c.args(["--no-install", "wrangler"]);
            c
        };
        cmd.args(args).args(["--binding", "SNAPSHOTS"]);
        cmd.arg(if self.local { "--local" } else { "--remote" });
        if let Some(dir) = &self.persist_to {
            cmd.arg("--persist-to").arg(dir);
        }
        if let Some(env) = &self.env {
            cmd.args(["--env", env]);
        }
        cmd.env("WRANGLER_SEND_METRICS", "false");
        cmd
    }

    /// The value of `key`, or `None` if it does not exist.
    pub fn get(&self, key: &str) -> Result<Option<Vec<u8>>, String> {
        let out = self
            .wrangler(&["kv", "key", "get", key])
            .stdin(Stdio::null())
            .output()
            .map_err(|e| format!("cannot run wrangler: {e}"))?;
        let stderr = String::from_utf8_lossy(&out.stderr);
        let stdout = &out.stdout;
        if stdout.starts_with(b"Value not found") || stderr.contains("Value not found") {
            return Ok(None);
        }
        if !out.status.success() {
            return Err(format!(
                "wrangler kv key get {key} failed: {}",
                stderr.trim()
            ));
        }
        Ok(Some(stdout.clone()))
    }

    /// Writes every (key, value) pair, in batches, showing progress for large writes.
    pub fn put_all(&self, entries: &[(String, Vec<u8>)]) -> Result<(), String> {
        let total: usize = entries.iter().map(|(_, v)| v.len()).sum();
        let bar = (entries.len() > 2 || total > 1024 * 1024).then(|| {
            let bar = ProgressBar::new(total as u64);
            if let Ok(style) =
                ProgressStyle::with_template("{msg} [{bar:30}] {bytes}/{total_bytes} ({eta})")
            {
                bar.set_style(style.progress_chars("=> "));
            }
            bar.set_message("uploading");
            bar
        });
        let mut start = 0;
        while start < entries.len() {
            let mut end = start;
            let mut bytes = 0;
            while end < entries.len()
                && end - start < BATCH_KEYS
                && (end == start || bytes + entries[end].1.len() <= BATCH_BYTES)
            {
                bytes += entries[end].1.len();
                end += 1;
            }
            self.bulk(&entries[start..end])?;
            if let Some(bar) = &bar {
                bar.inc(bytes as u64);
            }
            start = end;
        }
        if let Some(bar) = bar {
            bar.finish_with_message("uploaded");
        }
        Ok(())
    }

    fn bulk(&self, entries: &[(String, Vec<u8>)]) -> Result<(), String> {
        // wrangler's local bulk put turns a base64 value into UTF-8 text, which mangles binary
        // values (catalog shards): locally, those go one by one through `kv key put --path`.
        let (binary, entries): (Vec<_>, Vec<_>) = entries
            .iter()
            .partition(|(_, v)| self.local && std::str::from_utf8(v).is_err());
        for (key, value) in binary {
            self.put_file(key, value)?;
        }
        if entries.is_empty() {
            return Ok(());
        }
        let json: Vec<serde_json::Value> = entries
            .iter()
            .map(|(k, v)| match std::str::from_utf8(v) {
                Ok(text) => serde_json::json!({ "key": k, "value": text }),
                Err(_) => {
                    use base64::Engine as _;
                    let b64 = base64::engine::general_purpose::STANDARD.encode(v);
                    serde_json::json!({ "key": k, "value": b64, "base64": true })
                }
            })
            .collect();
        let file = temp_json(&serde_json::Value::Array(json))?;
        let result = self.run(&["kv", "bulk", "put"], &file);
        let _ = std::fs::remove_file(&file);
        result
    }

    /// Deletes these keys.
    pub fn delete_all(&self, keys: &[String]) -> Result<(), String> {
        if keys.is_empty() {
            return Ok(());
        }
        let file = temp_json(&serde_json::json!(keys))?;
        let result = self.run(&["kv", "bulk", "delete", "--force"], &file);
        let _ = std::fs::remove_file(&file);
        result
    }

    /// Writes one value from a file, byte for byte.
    fn put_file(&self, key: &str, value: &[u8]) -> Result<(), String> {
        let file = temp_path("bin");
        std::fs::write(&file, value).map_err(|e| format!("{}: {e}", file.display()))?;
        let path = format!("--path={}", file.display());
        let result = self.exec(&["kv", "key", "put", key, &path], None);
        let _ = std::fs::remove_file(&file);
        result
    }

    fn run(&self, args: &[&str], file: &PathBuf) -> Result<(), String> {
        self.exec(args, Some(file))
    }

    fn exec(&self, args: &[&str], file: Option<&PathBuf>) -> Result<(), String> {
        let mut cmd = self.wrangler(args);
        let out = cmd
            .args(file)
            .stdin(Stdio::null())
            .output()
            .map_err(|e| format!("cannot run wrangler: {e}"))?;
        if out.status.success() {
            Ok(())
        } else {
            Err(format!(
                "wrangler {} failed: {}",
                args.join(" "),
                String::from_utf8_lossy(&out.stderr).trim()
            ))
        }
    }
}

fn temp_json(value: &serde_json::Value) -> Result<PathBuf, String> {
    let path = temp_path("json");
    let mut f = std::fs::File::create(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    serde_json::to_writer(&mut f, value).map_err(|e| e.to_string())?;
    f.flush().map_err(|e| e.to_string())?;
    Ok(path)
}

fn temp_path(extension: &str) -> PathBuf {
    std::env::temp_dir().join(format!(
        "vitrine-kv-{}-{}.{extension}",
        std::process::id(),
        rand_suffix()
    ))
}

fn rand_suffix() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos())
}
