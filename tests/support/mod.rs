//! Test harness: a real `wrangler dev` (workerd) per scenario, on free ports, with its own
//! local KV directory, killed with its whole process group on drop.

#![allow(dead_code)]

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub const KEYS: &str = "demo:ZGVtby1rZXktZm9yLWxvY2FsLXRlc3RzLW9ubHktMzJieXRlcyE";

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The `vitrine` CLI that `make test` builds before these tests (`cargo build -p vitrine-cli`):
/// `$VITRINE_CLI` if set, else `vitrine` in Cargo's target directory. The root package cannot
/// name another package's binary, and a nested `cargo build` would wait on the lock that
/// `cargo test` holds, so the binary is built first and found here.
pub fn cli() -> &'static Path {
    static CLI: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    CLI.get_or_init(find_cli)
}

fn find_cli() -> PathBuf {
    if let Some(path) = std::env::var_os("VITRINE_CLI") {
        return PathBuf::from(path);
    }
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .map(|t| if t.is_absolute() { t } else { root().join(t) })
        .unwrap_or_else(|| root().join("target"));
    let path = target.join("debug").join("vitrine");
    assert!(
        path.is_file(),
        "{} is missing: build the CLI first (`cargo build -p vitrine-cli`; `make test` does)",
        path.display()
    );
    path
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

pub struct Dev {
    child: Child,
    pub base: String,
    pub state: PathBuf,
    /// Already stopped ([`Dev::stop_keeping_state`]): nothing to kill or remove on drop.
    stopped: bool,
}

/// The lines the dev server has logged so far (its stdout and stderr, `dev.log` in its state
/// dir), whole lines only: wrangler may be in the middle of writing one, and a line cut short is
/// read on a later call instead.
pub fn log(dev: &Dev) -> String {
    log_since(dev, 0)
}

/// The whole lines logged from byte `from` on (a length [`log_len`] returned earlier).
pub fn log_since(dev: &Dev, from: usize) -> String {
    whole_lines(
        &std::fs::read(dev.state.join("dev.log")).unwrap_or_default(),
        from,
    )
}

/// The lines of `bytes` from byte `from` on that end in a newline.
pub fn whole_lines(bytes: &[u8], from: usize) -> String {
    let end = bytes
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |at| at + 1);
    String::from_utf8_lossy(bytes.get(from..end).unwrap_or_default()).into_owned()
}

/// How many bytes of whole lines the dev server has logged so far: a mark for [`log_since`].
pub fn log_len(dev: &Dev) -> usize {
    log(dev).len()
}

/// The JSON of each vitrine event line in `log` (what follows the sink's prefix).
pub fn event_lines(log: &str) -> impl Iterator<Item = &str> {
    use vitrine_core::measure::sink::LOG_PREFIX;
    log.lines()
        .filter_map(|l| l.find(LOG_PREFIX).map(|at| &l[at + LOG_PREFIX.len()..]))
}

/// The JSON log lines of one `event` the dev server has written so far.
pub fn log_events(dev: &Dev, event: &str) -> Vec<serde_json::Value> {
    events_where(dev, |v| v["event"] == event)
}

/// The JSON log lines the dev server has written so far that `pick` keeps.
fn events_where(dev: &Dev, pick: impl Fn(&serde_json::Value) -> bool) -> Vec<serde_json::Value> {
    log(dev)
        .lines()
        .filter_map(|l| l.find("{\"").map(|at| &l[at..]))
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|v| pick(v))
        .collect()
}

/// What [`poll`] saw: the value the probe gave, how many probes that took, and how long
/// since the first one started.
pub struct Polled<T> {
    pub value: T,
    pub probes: usize,
    pub took: Duration,
}

/// Runs `probe` until it gives `Ok`, every `every`, until `limit` has passed (the probe always
/// runs at least once, and a probe that starts before the limit runs to its end, so the wait
/// is bounded by `limit`, one `every` and one probe): the value and the count, or `Err` with
/// what the last probe gave, for the caller's assertion to show. The tests' wait for a
/// condition (those that wait for the log to settle, or for a server or page to come up,
/// keep their own loops): the Worker serves a publish within its refresh interval, and
/// wrangler writes a request's log lines after it has answered, late on a loaded machine.
pub fn poll<T, L>(
    limit: Duration,
    every: Duration,
    mut probe: impl FnMut() -> Result<T, L>,
) -> Result<Polled<T>, L> {
    let start = Instant::now();
    let mut probes = 0;
    loop {
        probes += 1;
        match probe() {
            Ok(value) => {
                return Ok(Polled {
                    value,
                    probes,
                    took: start.elapsed(),
                })
            }
            Err(last) if start.elapsed() >= limit => return Err(last),
            Err(_) => std::thread::sleep(every),
        }
    }
}

/// `Ok(value)` when `done`, else `Err(value)`: a [`poll`] probe that keeps its last value.
pub fn when<T>(value: T, done: bool) -> Result<T, T> {
    if done {
        Ok(value)
    } else {
        Err(value)
    }
}

/// Log events of a kind, waiting (bounded, 10 s) until at least `want` are there.
pub fn wait_events(dev: &Dev, event: &str, want: usize) -> Vec<serde_json::Value> {
    wait_events_where(dev, want, Duration::from_secs(10), |v| v["event"] == event)
}

/// The log's events that `pick` keeps, waiting (bounded by `limit`) until at least `want` are
/// there (then those there are, for the caller's assertion to show).
pub fn wait_events_where(
    dev: &Dev,
    want: usize,
    limit: Duration,
    pick: impl Fn(&serde_json::Value) -> bool,
) -> Vec<serde_json::Value> {
    let probe = || {
        let events = events_where(dev, &pick);
        let done = events.len() >= want;
        when(events, done)
    };
    poll(limit, Duration::from_millis(100), probe).map_or_else(|e| e, |p| p.value)
}

/// The log once `done` holds for it, waiting at most 10 s (then the log as it is, for the
/// caller's assertion to show). wrangler writes a request's lines after it has answered, and
/// on a loaded machine they land late: a test that counts lines waits for the requests it sent.
pub fn log_when(dev: &Dev, done: impl Fn(&str) -> bool) -> String {
    let probe = || {
        let text = log(dev);
        let ok = done(&text);
        when(text, ok)
    };
    poll(Duration::from_secs(10), Duration::from_millis(100), probe).map_or_else(|e| e, |p| p.value)
}

/// Waits (bounded, 10 s) until the log holds `needle`; whether it did.
pub fn logged(dev: &Dev, needle: &str) -> bool {
    let probe = || when((), log(dev).contains(needle));
    poll(Duration::from_secs(10), Duration::from_millis(100), probe).is_ok()
}

impl Dev {
    /// Stops the server (its whole process group) and keeps its state dir, for another server
    /// to start over it (a new isolate over the same KV and Cache API): returns the dir.
    pub fn stop_keeping_state(mut self) -> PathBuf {
        self.kill();
        self.stopped = true;
        std::mem::take(&mut self.state)
    }

    fn kill(&mut self) {
        let pgid = format!("-{}", self.child.id());
        let _ = Command::new("kill").args(["-TERM", "--", &pgid]).status();
        std::thread::sleep(Duration::from_millis(300));
        let _ = Command::new("kill").args(["-KILL", "--", &pgid]).status();
        let _ = self.child.wait();
    }
}

impl Drop for Dev {
    fn drop(&mut self) {
        if self.stopped {
            return;
        }
        self.kill();
        let _ = std::fs::remove_dir_all(&self.state);
    }
}

pub fn state_dir(name: &str) -> PathBuf {
    let dir = root()
        .join("target")
        .join("e2e")
        .join(format!("{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Writes a KV value into a local state dir before the server starts.
pub fn kv_put(state: &Path, key: &str, file: &Path) {
    let ok = Command::new(root().join("node_modules/.bin/wrangler"))
        .current_dir(root())
        .args([
            "kv",
            "key",
            "put",
            "--binding",
            "SNAPSHOTS",
            key,
            "--local",
            "--path",
        ])
        .arg(file)
        .arg("--persist-to")
        .arg(state)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .unwrap()
        .success();
    assert!(ok, "wrangler kv key put {key}");
}

/// Compiles and publishes the demo campaign into `state` with the CLI.
pub fn publish_demo(state: &Path) -> String {
    publish_campaign(state, "fixtures/campaigns/demo.toml")
}

/// Compiles and publishes one campaign file (relative to the repository) into `state`.
pub fn publish_campaign(state: &Path, file: &str) -> String {
    let out = state.join("demo.snapshot.json");
    let cli = cli();
    let built = Command::new(cli)
        .current_dir(root())
        .args(["build", file, "-o"])
        .arg(&out)
        .output()
        .unwrap();
    assert!(
        built.status.success(),
        "vitrine build {file}: {}",
        String::from_utf8_lossy(&built.stderr)
    );
    let version = String::from_utf8(built.stdout).unwrap().trim().to_owned();
    let ok = Command::new(cli)
        .current_dir(root())
        .args(["publish", "--local", "--persist-to"])
        .arg(state)
        .arg(&out)
        .stdout(Stdio::null())
        .status()
        .unwrap()
        .success();
    assert!(ok, "publish");
    version
}

/// A `wrangler dev` on free loopback ports over the local KV in `state`, with `vars` added to
/// the test settings. Tries three times: the ports are found free and then released before
/// wrangler binds them, so a test starting a server in parallel can take one in between (the
/// runtime then fails to start).
pub fn start(state: PathBuf, vars: &[(&str, &str)]) -> Dev {
    start_configs(state, &[], vars)
}

/// [`start`] with other wrangler configuration files in place of `wrangler.toml`, one `-c` each
/// (wrangler's multi-worker dev): the first is the Worker served on the port (`vars` are its),
/// the others run beside it in the same runtime, reachable through its service bindings.
pub fn start_configs(state: PathBuf, configs: &[PathBuf], vars: &[(&str, &str)]) -> Dev {
    let mut failures = Vec::new();
    for _attempt in 0..3 {
        match try_start(&state, configs, vars) {
            Ok(child_port) => {
                return Dev {
                    child: child_port.0,
                    base: format!("http://127.0.0.1:{}", child_port.1),
                    state,
                    stopped: false,
                }
            }
            Err(log) => failures.push(log),
        }
    }
    panic!(
        "wrangler dev did not start in 3 attempts:\n{}",
        failures.join("\n---\n")
    );
}

/// Starts one `wrangler dev` and waits until it serves (at most 90 s); on failure, stops it and
/// returns its error log.
fn try_start(
    state: &Path,
    configs: &[PathBuf],
    vars: &[(&str, &str)],
) -> Result<(Child, u16), String> {
    let port = free_port();
    let mut cmd = Command::new(root().join("node_modules/.bin/wrangler"));
    cmd.current_dir(root())
        .env("VITRINE_SKIP_BUILD", "1")
        .env("WRANGLER_SEND_METRICS", "false")
        .args(["dev", "--ip", "127.0.0.1", "--port", &port.to_string()])
        .args(["--inspector-port", &free_port().to_string()])
        .arg("--persist-to")
        .arg(state)
        .args(["--var", &format!("VITRINE_COOKIE_KEYS:{KEYS}")])
        .args(["--var", "SNAPSHOT_REFRESH_SECS:0"])
        .args(["--var", "FAULT_INJECTION:1"])
        .stdin(Stdio::null())
        .stdout(Stdio::from(
            std::fs::File::create(state.join("dev.log")).unwrap(),
        ))
        .stderr(Stdio::from(
            std::fs::File::create(state.join("dev.err")).unwrap(),
        ))
        .process_group(0);
    for (k, v) in vars {
        cmd.args(["--var", &format!("{k}:{v}")]);
    }
    for config in configs {
        cmd.arg("-c").arg(config);
    }
    let mut child = cmd.spawn().unwrap();
    let base = format!("http://127.0.0.1:{port}");
    let deadline = Instant::now() + Duration::from_secs(90);
    while Instant::now() < deadline {
        // A success, or an error the Worker itself sent (an unreachable page source is a 502
        // with `x-vitrine`; wrangler's own answers while it starts have none).
        let answered = match ureq::get(&format!("{base}/style.css"))
            .timeout(Duration::from_secs(2))
            .call()
        {
            Ok(_) => true,
            Err(ureq::Error::Status(_, sent)) => sent.header("x-vitrine").is_some(),
            Err(_) => false,
        };
        if answered {
            return Ok((child, port));
        }
        if matches!(child.try_wait(), Ok(Some(_))) {
            break;
        }
        std::thread::sleep(Duration::from_millis(250));
    }
    let pgid = format!("-{}", child.id());
    let _ = Command::new("kill").args(["-TERM", "--", &pgid]).status();
    std::thread::sleep(Duration::from_millis(300));
    let _ = Command::new("kill").args(["-KILL", "--", &pgid]).status();
    let _ = child.wait();
    Err(std::fs::read_to_string(state.join("dev.err")).unwrap_or_default())
}

/// [`start`] in origin mode over the origin at `addr`, every path a document unless `vars`
/// set `DOCUMENT_PATHS`; `vars` add to (or replace) those settings.
pub fn start_origin(state: PathBuf, addr: &str, vars: &[(&str, &str)]) -> Dev {
    let mut all = vec![("PAGE_SOURCE", "origin"), ("ORIGIN_URL", addr)];
    if !vars.iter().any(|(k, _)| *k == "DOCUMENT_PATHS") {
        all.push(("DOCUMENT_PATHS", "/*"));
    }
    all.extend_from_slice(vars);
    start(state, &all)
}

pub struct Got {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Got {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

pub fn send(req: ureq::Request) -> Got {
    let head = req.method() == "HEAD";
    let resp = match req.timeout(Duration::from_secs(20)).call() {
        Ok(r) => r,
        Err(ureq::Error::Status(_, r)) => r,
        Err(e) => panic!("request failed: {e}"),
    };
    let status = resp.status();
    let headers = resp
        .headers_names()
        .into_iter()
        .map(|n| (n.clone(), resp.header(&n).unwrap_or("").to_owned()))
        .collect();
    let mut body = Vec::new();
    if !head && status != 304 && status != 204 {
        std::io::Read::read_to_end(&mut resp.into_reader(), &mut body).unwrap();
    }
    Got {
        status,
        headers,
        body,
    }
}

pub fn agent() -> ureq::Agent {
    ureq::AgentBuilder::new().redirects(0).build()
}

pub fn get(dev: &Dev, path: &str, cookie: Option<&str>) -> Got {
    let mut req = agent().get(&format!("{}{path}", dev.base));
    if let Some(c) = cookie {
        req = req.set("cookie", c);
    }
    send(req)
}

pub fn mint(segments: &[&str]) -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let ring = vitrine_core::KeyRing::parse(KEYS).unwrap();
    let token = vitrine_core::cookie::mint(
        &serde_json::json!({"sub": "t", "seg": segments, "exp": now + 600}),
        &ring,
    );
    format!("{}={token}", vitrine_core::cookie::PROFILE_COOKIE)
}

pub fn site_file(path: &str) -> Vec<u8> {
    std::fs::read(root().join("fixtures/site").join(path)).unwrap()
}

/// The pseudonym events carry for `id` under the test settings (no `VITRINE_PSEUDONYM_KEY`:
/// made with the profile ring, [`KEYS`]).
pub fn pseudonym(id: &str) -> String {
    let ring = vitrine_core::KeyRing::parse(KEYS).unwrap();
    vitrine_core::cookie::PseudonymKey::of(&ring).pseudonym(id)
}

/// Activity cookie key ring for identity tests: current `act2`, previous `act1`.
pub const ACTIVITY_KEYS: &str = "act2:YWN0aXZpdHkta2V5LTItZm9yLWxvY2FsLXRlc3RzLW9ubHkh,act1:YWN0aXZpdHkta2V5LTEtZm9yLWxvY2FsLXRlc3RzLW9ubHkh";

/// GET with arbitrary request headers.
pub fn get_with(dev: &Dev, path: &str, headers: &[(&str, &str)]) -> Got {
    let mut req = agent().get(&format!("{}{path}", dev.base));
    for (k, v) in headers {
        req = req.set(k, v);
    }
    send(req)
}

/// Request heads an [`origin`] received, lowercased, in order.
pub type Heads = Arc<Mutex<Vec<String>>>;

/// A one-thread origin on loopback (at most 200 connections) that records each request's
/// head, lowercased, and answers `200` with `serve(target)`: extra header lines (each ending
/// in CRLF) and the body.
pub fn origin(serve: impl Fn(&str) -> (String, Vec<u8>) + Send + 'static) -> (String, Heads) {
    origin_seeing(move |head| serve(target(head)))
}

/// An [`origin`] whose `serve` sees the whole request head as received (request line and
/// header lines, case kept), to echo what the origin was sent.
pub fn origin_seeing(
    serve: impl Fn(&str) -> (String, Vec<u8>) + Send + 'static,
) -> (String, Heads) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = format!("http://{}", listener.local_addr().unwrap());
    let seen = Heads::default();
    let log = Arc::clone(&seen);
    std::thread::spawn(move || {
        for stream in listener.incoming().take(200) {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut head = String::new();
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                    break;
                }
                head.push_str(&line);
            }
            let (headers, body) = serve(&head);
            log.lock().unwrap().push(head.to_ascii_lowercase());
            let _ = write!(
                stream,
                "HTTP/1.1 200 OK\r\n{headers}content-length: {}\r\nconnection: close\r\n\r\n",
                body.len()
            );
            let _ = stream.write_all(&body);
        }
    });
    (addr, seen)
}

/// The request target of a request head (`/p?q` of `GET /p?q HTTP/1.1`).
pub fn target(head: &str) -> &str {
    head.split(' ').nth(1).unwrap_or("")
}

/// The value of request header `name` in a request `head` (names compared ignoring case).
pub fn head_value<'a>(head: &'a str, name: &str) -> Option<&'a str> {
    head.lines().skip(1).find_map(|line| {
        let (k, v) = line.split_once(':')?;
        k.trim().eq_ignore_ascii_case(name).then(|| v.trim())
    })
}

/// How many requests an [`origin`] got for `path` (its request target, query included).
pub fn asked(seen: &Heads, path: &str) -> usize {
    seen.lock()
        .unwrap()
        .iter()
        .filter(|h| target(h) == path)
        .count()
}

/// An [`origin`] that serves the demo home page for every request.
pub fn recording_origin() -> (String, Heads) {
    let page = site_file("index.html");
    origin(move |_| {
        (
            "content-type: text/html; charset=utf-8\r\n".to_owned(),
            page.clone(),
        )
    })
}

/// Hexadecimal numeric character references (`&#x2014;`) back to characters, as an HTML
/// parser reads them in text and attribute values.
pub fn unreference(s: &str) -> String {
    let mut out = String::new();
    let mut rest = s;
    while let Some(at) = rest.find("&#x") {
        out.push_str(&rest[..at]);
        let after = &rest[at + 3..];
        let end = after.find(';').unwrap_or(after.len());
        match u32::from_str_radix(&after[..end], 16)
            .ok()
            .and_then(char::from_u32)
        {
            Some(c) => out.push(c),
            None => out.push_str(&rest[at..at + 3 + end]),
        }
        rest = after.get(end + 1..).unwrap_or("");
    }
    out.push_str(rest);
    out
}
