//! `docs/reference.md` against the code: the settings the Worker and the CLI read, the
//! commands and their options, the exit codes, the log lines and every code they carry. Each
//! comparison goes both ways: what the code has, the reference lists, and nothing more.

use std::collections::{BTreeMap, BTreeSet};
use std::process::Command;

use vitrine_core::rewrite::Limits;

use crate::shell::{check_invocation, cli, logical_lines, parse_line};
use crate::source::{
    call_args, calls, codes, const_str, joined, literal, literals_starting, variants_used,
};
use crate::{blocks_of, doc, files_under, read, section, tables, ticked, Doc, Table};

const REFERENCE: &str = "docs/reference.md";

/// This test, which names settings and codes itself.
const HERE: &str = "crates/cli/tests/docs/";

/// Settings the reference mentions only to say they are gone; the code must not read them.
const RETIRED: &[&str] = &["ORIGIN_CACHE_TTL_SECS"];

fn reference() -> String {
    read(REFERENCE)
}

fn table(text: &str, heading: &str) -> Table {
    tables(section(text, heading))
        .into_iter()
        .next()
        .unwrap_or_else(|| panic!("{REFERENCE}: no table under {heading:?}"))
}

/// The first backticked word of each row's cell `col`, without a `=value` suffix.
fn names(t: &Table, col: usize) -> BTreeSet<String> {
    t.rows
        .iter()
        .map(|r| {
            let first = ticked(&r[col])
                .into_iter()
                .next()
                .unwrap_or_else(|| panic!("{REFERENCE}: row without a backticked name: {r:?}"));
            first.split('=').next().unwrap().to_owned()
        })
        .collect()
}

/// Every backticked snake_case code in `text`.
fn snake_codes(text: &str) -> BTreeSet<String> {
    ticked(text)
        .into_iter()
        .flat_map(|s| s.split(", ").map(str::to_owned).collect::<Vec<_>>())
        .filter(|s| {
            s.starts_with(|c: char| c.is_ascii_lowercase())
                && s.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        })
        .collect()
}

fn set(items: &[&str]) -> BTreeSet<String> {
    items.iter().map(|s| (*s).to_owned()).collect()
}

/// What the Worker reads from its `env`.
struct WorkerSettings {
    /// Vars, with the default of those read as numbers.
    vars: BTreeMap<String, Option<u64>>,
    secrets: BTreeSet<String>,
    bindings: BTreeSet<String>,
}

/// The value of a numeric default as `src/config.rs` writes it.
fn default_value(expr: &str) -> u64 {
    if expr == "Limits::default().max_memory as u64" {
        return Limits::default().max_memory as u64;
    }
    expr.split('*')
        .map(|f| f.trim().replace('_', "").parse::<u64>())
        .product::<Result<u64, _>>()
        .unwrap_or_else(|_| panic!("src/config.rs: teach the docs test the default `{expr}`"))
}

fn worker_settings() -> WorkerSettings {
    let mut s = WorkerSettings {
        vars: BTreeMap::new(),
        secrets: BTreeSet::new(),
        bindings: BTreeSet::new(),
    };
    let consts: Vec<String> = files_under("src", &[".rs"])
        .into_iter()
        .chain(files_under("crates/core/src", &[".rs"]))
        .collect();
    for file in files_under("src", &[".rs"]) {
        let text = joined(&read(&file));
        for arg in call_args(&text, "env.var(") {
            match (literal(arg), arg) {
                (Some(name), _) => {
                    s.vars.insert(name, None);
                }
                // `let text = |name: &str| env.var(name)…` and `number(name, default)` over it.
                (None, "name") if text.contains("let text = |name: &str| env.var(name)") => {
                    for name in calls(&text, "text").into_iter().filter_map(literal) {
                        s.vars.insert(name, None);
                    }
                    for args in calls(&text, "number") {
                        let (name, default) = args.split_once(',').unwrap();
                        if let Some(name) = literal(name.trim()) {
                            s.vars.insert(name, Some(default_value(default.trim())));
                        }
                    }
                }
                _ => panic!("{file}: `env.var({arg})`: a read the docs test does not know"),
            }
        }
        for arg in call_args(&text, "env.secret(") {
            let name = literal(arg).unwrap_or_else(|| panic!("{file}: `env.secret({arg})`"));
            s.secrets.insert(name);
        }
        for method in [
            "kv",
            "assets",
            "analytics_engine",
            "pipeline",
            "bucket",
            "d1",
            "durable_object",
            "service",
            "queue",
        ] {
            for arg in call_args(&text, &format!("env.{method}(")) {
                let name = literal(arg).unwrap_or_else(|| {
                    let constant = arg.rsplit("::").next().unwrap();
                    const_str(&consts, constant)
                });
                s.bindings.insert(name);
            }
        }
        // A binding read by the Worker's inline JS (`env.ASSETS.fetch(…)` in src/source.rs):
        // Rust reads bindings through methods, so `env.` and an uppercase name is JS.
        for (at, _) in text.match_indices("env.") {
            let name: String = text[at + 4..]
                .chars()
                .take_while(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || *c == '_')
                .collect();
            if name.len() > 1 {
                s.bindings.insert(name);
            }
        }
    }
    assert!(s.vars.len() >= 10, "only {:?} read", s.vars);
    s
}

/// What the CLI reads from its environment.
fn cli_environment() -> BTreeSet<String> {
    let files = files_under("crates/cli/src", &[".rs"]);
    let all: String = files.iter().map(|f| read(f)).collect();
    let mut out = BTreeSet::new();
    for file in &files {
        let text = joined(&read(file));
        for arg in call_args(&text, "env::var(") {
            if let Some(name) = literal(arg) {
                out.insert(name);
            } else if arg == "name" {
                // `pub fn ring(name: &str)` in cookie.rs, called with the variable's name.
                assert!(
                    text.contains("fn ring(name: &str)"),
                    "{file}: `env::var(name)`"
                );
                out.extend(calls(&all, "ring").into_iter().filter_map(literal));
            } else if arg.chars().all(|c| c.is_ascii_uppercase() || c == '_') {
                out.insert(const_str(std::slice::from_ref(file), arg));
            } else {
                panic!("{file}: `env::var({arg})`: a read the docs test does not know");
            }
        }
        out.extend(literals_after(&text, "env = \""));
    }
    out
}

fn literals_after(text: &str, needle: &str) -> Vec<String> {
    text.match_indices(needle)
        .filter_map(|(at, _)| literal(&text[at + needle.len() - 1..]))
        .collect()
}

#[test]
fn reference_lists_every_setting_the_worker_reads_with_its_default() {
    let reference = reference();
    let code = worker_settings();
    let vars = table(&reference, "### Worker vars");
    assert_eq!(
        names(&vars, 0),
        code.vars.keys().cloned().collect(),
        "{REFERENCE}, \"Worker vars\": not the vars src/ reads"
    );
    for row in &vars.rows {
        let name = &ticked(&row[0])[0];
        if let Some(Some(default)) = code.vars.get(name) {
            let shown = ticked(&row[1]).into_iter().next().unwrap_or_default();
            assert_eq!(
                shown,
                default.to_string(),
                "{REFERENCE}: the default of {name}"
            );
        }
    }
    assert_eq!(
        names(&table(&reference, "### Secrets"), 0),
        code.secrets,
        "{REFERENCE}, \"Secrets\": not the secrets src/ reads"
    );
    assert_eq!(
        names(&table(&reference, "### Bindings"), 0),
        code.bindings,
        "{REFERENCE}, \"Bindings\": not the bindings src/ uses"
    );
    assert_eq!(
        names(&table(&reference, "### CLI environment"), 0),
        cli_environment(),
        "{REFERENCE}, \"CLI environment\": not what crates/cli/src reads"
    );
}

#[test]
fn reference_names_no_setting_the_code_does_not_read() {
    let reference = reference();
    let code = worker_settings();
    for name in RETIRED {
        assert!(
            !code.vars.contains_key(*name),
            "{name} is read again: not retired"
        );
    }
    // Build and test variables: read by a script, a test or Cargo's own profile settings.
    let readers: String = ["scripts", "tests", "benches", "crates", "src"]
        .iter()
        .flat_map(|d| files_under(d, &[".rs", ".sh", ".py", ".mjs", ".toml"]))
        .filter(|f| !f.starts_with(HERE))
        .chain(["Makefile".to_owned(), "wrangler.toml".to_owned()])
        .map(|f| read(&f))
        .collect();
    let build = names(&table(&reference, "### Build and test environment"), 0);
    for name in &build {
        assert!(
            readers.contains(name.as_str()),
            "{REFERENCE}: nothing reads {name}"
        );
    }
    let sources: String = files_under("src", &[".rs"])
        .into_iter()
        .chain(files_under("crates", &[".rs"]))
        .filter(|f| !f.starts_with(HERE))
        .map(|f| read(&f))
        .collect();
    let known: BTreeSet<String> = code
        .vars
        .keys()
        .cloned()
        .chain(code.secrets)
        .chain(code.bindings)
        .chain(cli_environment())
        .chain(build)
        .chain(RETIRED.iter().map(|s| (*s).to_owned()))
        .collect();
    for word in ticked(&reference) {
        let name = word.split(['=', ' ']).next().unwrap();
        let upper_snake = name.contains('_')
            && name.starts_with(|c: char| c.is_ascii_uppercase())
            && name
                .chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_');
        if upper_snake && !known.contains(name) {
            assert!(
                sources.contains(&format!("const {name}:")),
                "{REFERENCE}: `{name}` is no setting, variable or constant of the code"
            );
        }
    }
}

/// The text of the Commands section that documents `path`: its synopsis lines, its table
/// rows and a subsection of its own (`### \`vitrine report\` options`).
fn documented(commands: &str, path: &[String]) -> String {
    let mut out = String::new();
    let page = Doc {
        path: REFERENCE.to_owned(),
        text: commands.to_owned(),
    };
    for block in blocks_of(&page).into_iter().filter(|b| b.lang == "sh") {
        for (_, line) in logical_lines(&block.body) {
            let parsed = parse_line(&line);
            for cmd in &parsed.commands {
                if cmd.words.first().map(String::as_str) == Some("vitrine") {
                    let inv = check_invocation(&cmd.words[1..], &parsed.comment).unwrap();
                    if inv.path == path {
                        out.push_str(&line);
                        out.push('\n');
                    }
                }
            }
        }
    }
    for t in tables(commands) {
        for row in &t.rows {
            if row_path(&row[0]).as_deref() == Some(path) {
                out.push_str(&row.join(" | "));
                out.push('\n');
            }
        }
    }
    let name = format!("`vitrine {}`", path.join(" "));
    for line in commands
        .lines()
        .filter(|l| l.starts_with("### ") && l.contains(&name))
    {
        out.push_str(section(commands, line));
    }
    out
}

/// The command a table row's first cell names (`` `vitrine cookie mint --kid KID` ``).
fn row_path(cell: &str) -> Option<Vec<String>> {
    let span = ticked(cell).into_iter().next()?;
    let words = parse_line(&span).commands.into_iter().next()?.words;
    (words.first()? == "vitrine").then(|| {
        check_invocation(&words[1..], "")
            .unwrap_or_else(|e| panic!("{REFERENCE}: {cell}: {e}"))
            .path
    })
}

#[test]
fn reference_lists_every_command_and_each_of_its_options() {
    let reference = reference();
    let commands = section(&reference, "## Commands");
    let leaves: BTreeSet<Vec<String>> = cli()
        .iter()
        .filter(|(path, help)| !path.is_empty() && help.subcommands.is_empty())
        .map(|(path, _)| path.clone())
        .collect();
    let rows: BTreeSet<Vec<String>> = tables(commands)
        .iter()
        .flat_map(|t| t.rows.iter().filter_map(|r| row_path(&r[0])))
        .collect();
    assert_eq!(
        rows, leaves,
        "{REFERENCE}, \"Commands\": one row per command"
    );
    for path in &leaves {
        let text = documented(commands, path);
        for flag in &cli()[path].long {
            let needle = format!("--{flag}");
            let found = text.match_indices(&needle).any(|(at, _)| {
                !text[at + needle.len()..]
                    .starts_with(|c: char| c.is_ascii_alphanumeric() || c == '-')
            });
            assert!(
                found,
                "{REFERENCE}, \"Commands\": `vitrine {}` does not show its option {needle}",
                path.join(" ")
            );
        }
    }
}

/// The numbers that start the items of an `Exit codes: 0 …, 1 …` sentence.
fn exit_codes_in(text: &str, start: &str) -> BTreeSet<u8> {
    let mut out = BTreeSet::new();
    for (at, _) in text.match_indices(start) {
        let mut depth = 0;
        let mut item = String::new();
        let mut items = Vec::new();
        for c in text[at + start.len()..].chars() {
            match c {
                '(' => depth += 1,
                ')' => depth -= 1,
                ',' | ';' | '.' | '\n' if depth == 0 => {
                    items.push(std::mem::take(&mut item));
                    if c == '.' || c == '\n' {
                        break;
                    }
                    continue;
                }
                _ => {}
            }
            item.push(c);
        }
        for item in items {
            let digits: String = item
                .trim()
                .chars()
                .take_while(char::is_ascii_digit)
                .collect();
            if let Ok(n) = digits.parse() {
                out.insert(n);
            }
        }
    }
    out
}

fn module_doc(file: &str) -> String {
    read(file)
        .lines()
        .filter_map(|l| l.strip_prefix("//!"))
        .map(str::trim)
        .collect::<Vec<_>>()
        .join(" ")
}

#[test]
fn reference_lists_the_exit_codes_the_cli_documents() {
    let codes = exit_codes_in(&module_doc("crates/cli/src/main.rs"), "Exit codes:");
    assert_eq!(codes, (0..=4).collect(), "crates/cli/src/main.rs");
    assert_eq!(
        exit_codes_in(&module_doc("crates/cli/src/cli.rs"), "Exit codes:"),
        codes
    );
    // Per-command help: `Exit 0 ok, 1 errors, 3 unacknowledged warnings`.
    let cli = read("crates/cli/src/cli.rs").replace("///", " ");
    let helped = exit_codes_in(&cli.replace("Exit codes:", ""), "Exit ");
    assert!(!helped.is_empty() && helped.is_subset(&codes), "{helped:?}");
    let reference = reference();
    let table = table(&reference, "## Exit codes");
    let listed: BTreeSet<u8> = table
        .rows
        .iter()
        .map(|r| r[0].trim_matches('*').parse().unwrap())
        .collect();
    assert_eq!(listed, codes, "{REFERENCE}, \"Exit codes\"");
    // A usage error is 2 (clap's own exit code, which the table promises).
    let out = Command::new(env!("CARGO_BIN_EXE_vitrine"))
        .args(["check", "--no-such-option"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

/// `(event, detail)` of every `note("vitrine.…", "literal")` in src/.
fn literal_notes() -> Vec<(String, String)> {
    let mut out = Vec::new();
    for file in files_under("src", &[".rs"]) {
        for args in call_args(&read(&file), "note(") {
            if let Some((event, detail)) = args.split_once(',') {
                if let (Some(e), Some(d)) = (literal(event.trim()), literal(detail.trim())) {
                    out.push((e, d));
                }
            }
        }
    }
    out
}

/// The row of the log table whose first cell names `event`.
fn log_row(log: &Table, event: &str) -> String {
    log.rows
        .iter()
        .find(|r| r[0].contains(&format!("{event}`")) || r[0].contains(&format!("{event}\"")))
        .unwrap_or_else(|| panic!("{REFERENCE}: no log line {event}"))
        .join(" | ")
}

#[test]
fn reference_lists_every_log_line() {
    let reference = reference();
    let logs = section(&reference, "## Log lines and codes");
    let log = tables(logs).into_iter().next().unwrap();
    let src: String = files_under("src", &[".rs"])
        .iter()
        .map(|f| read(f))
        .collect();
    let mut code = literals_starting(&src, "vitrine.");
    let prefix = const_str(
        &files_under("crates/core/src/measure", &[".rs"]),
        "LOG_PREFIX",
    );
    code.insert(prefix.trim().to_owned());
    let mut listed = BTreeSet::new();
    for row in &log.rows {
        for span in ticked(&row[0]) {
            for word in span.split(|c: char| !(c.is_ascii_alphanumeric() || "._-".contains(c))) {
                if word.starts_with("vitrine.") || word.starts_with("vitrine-") {
                    listed.insert(word.to_owned());
                }
            }
        }
    }
    assert_eq!(
        listed, code,
        "{REFERENCE}, \"Log lines and codes\": not the lines src/ logs"
    );
    let all = snake_codes(logs);
    for (event, detail) in literal_notes() {
        if detail
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        {
            assert!(
                all.contains(&detail),
                "{REFERENCE}: {event} logs `{detail}`, not listed"
            );
        }
    }
}

#[test]
fn reference_lists_every_bypass_reason() {
    let bypass = codes("crates/core/src/delivery", "Bypass");
    assert_eq!(bypass.delegated, set(&["Snapshot"]), "Bypass::code");
    // `Bypass::Snapshot` carries the snapshot's decode error; a streamed rewrite that stops
    // early is logged as `vitrine.bypass` with the rewriter's code (src/transform.rs).
    let mut code = bypass.set();
    code.extend(codes("crates/core/src/snapshot", "SnapshotError").set());
    let rewrite = codes("crates/core/src/rewrite", "RewriteError");
    assert!(rewrite.delegated.is_empty());
    code.extend(rewrite.set());
    let reference = reference();
    let listed: BTreeSet<String> = table(&reference, "### Bypass reasons")
        .rows
        .iter()
        .flat_map(|r| snake_codes(&r[0]))
        .collect();
    assert_eq!(listed, code, "{REFERENCE}, \"Bypass reasons\"");
}

#[test]
fn reference_lists_every_cookie_and_preview_token_refusal() {
    let reference = reference();
    let rejection = codes("crates/core/src/cookie", "Rejection");
    assert_eq!(
        snake_codes(section(&reference, "### Profile cookie refusals")),
        rejection.set(),
        "{REFERENCE}, \"Profile cookie refusals\""
    );
    let refusal = codes("crates/core/src/preview_token", "Refusal");
    assert_eq!(
        refusal.delegated,
        set(&["Jws"]),
        "preview_token::Refusal::code"
    );
    let mut code = refusal.set();
    for variant in variants_used("crates/core/src/cookie/jws.rs", "Rejection::") {
        code.insert(rejection.of(&variant).to_owned());
    }
    code.extend(
        literal_notes()
            .into_iter()
            .filter(|(e, _)| e == "vitrine.preview_refused")
            .map(|(_, d)| d),
    );
    let listed: BTreeSet<String> = table(&reference, "### Preview token refusals")
        .rows
        .iter()
        .flat_map(|r| snake_codes(&r[0]))
        .collect();
    assert_eq!(listed, code, "{REFERENCE}, \"Preview token refusals\"");
}

#[test]
fn reference_lists_every_beacon_and_conversion_code() {
    let reference = reference();
    let beacon = codes("crates/core/src/measure", "Refusal");
    assert!(beacon.delegated.is_empty());
    let beacons = table(&reference, "### Beacon refusals");
    let last = beacons.header.len() - 1;
    let listed: BTreeSet<String> = beacons
        .rows
        .iter()
        .flat_map(|r| snake_codes(&r[last]))
        .collect();
    assert_eq!(listed, beacon.set(), "{REFERENCE}, \"Beacon refusals\"");

    // A page conversion's problem: its value's code, or one `conversion::on_page` returns.
    let value = codes("crates/core/src/measure", "ValueError");
    let conversion = read(&value.file);
    let mut code = value.set();
    code.extend(
        call_args(&conversion, "Some(")
            .into_iter()
            .filter_map(literal),
    );
    // A request that is not a top-level navigation, and a signed conversion's refusals.
    code.extend(
        call_args(
            &read("crates/core/src/measure/conversion/navigation.rs"),
            "Err(",
        )
        .into_iter()
        .filter_map(literal),
    );
    let signed = codes("crates/core/src/measure", "SignedRefusal");
    assert!(signed.delegated.is_empty(), "SignedRefusal::code");
    code.extend(signed.set());
    let logs = section(&reference, "## Log lines and codes");
    let log = tables(logs).into_iter().next().unwrap();
    let row = log_row(&log, "vitrine.conversion_refused");
    let detail = snake_codes(&row);
    assert!(
        code.is_subset(&detail),
        "{REFERENCE}: vitrine.conversion_refused lacks {:?}",
        code.difference(&detail)
    );

    let splice = codes("crates/core/src/splice", "NotSpliceable");
    assert_eq!(splice.delegated, set(&["Rewrite"]), "NotSpliceable::code");
    let row = snake_codes(&log_row(&log, "vitrine.not_spliceable"));
    for c in splice.set() {
        assert!(
            row.contains(&c),
            "{REFERENCE}: vitrine.not_spliceable lacks `{c}`"
        );
    }
}

#[test]
fn reference_check_codes_are_the_compilers() {
    let reference = reference();
    let compiler: String = files_under("crates/compile/src", &[".rs"])
        .iter()
        .map(|f| read(f))
        .collect();
    let listed: Vec<String> = ticked(section(&reference, "### `vitrine check` codes"))
        .into_iter()
        .filter(|s| s.contains('-') && s.chars().all(|c| c.is_ascii_lowercase() || c == '-'))
        .collect();
    assert!(listed.len() >= 5, "{listed:?}");
    for code in listed {
        assert!(
            compiler.contains(&format!("\"{code}\"")),
            "{REFERENCE}: no check code `{code}`"
        );
    }
}

#[test]
fn the_explain_verdicts_are_the_deciders() {
    let marketers = doc("docs/marketers.md");
    let live = section(&marketers.text, "### Previewing on the live page");
    let at = live
        .find("verdict (")
        .expect("the verdicts are listed as `verdict (…)`");
    let list = &live[at..at + live[at..].find(')').unwrap()];
    assert_eq!(
        snake_codes(list),
        codes("crates/core/src/decide", "Verdict").set(),
        "docs/marketers.md, \"Previewing on the live page\": the verdicts"
    );
}

/// Issue 14, item 6: the pseudonym test vector marketers.md publishes is what the code computes.
#[test]
fn the_published_pseudonym_vector_is_the_codes() {
    let page = read("docs/marketers.md");
    let start = page
        .find("Test vector (`crates/cli/tests/docs` checks it against the code)")
        .expect("docs/marketers.md: the pseudonym test vector");
    let text = &page[start..];
    let after = |needle: &str| -> String {
        let at = text.find(needle).unwrap_or_else(|| {
            panic!("docs/marketers.md: no `{needle}` (the pseudonym test vector)")
        });
        let rest = &text[at + needle.len()..];
        let rest = rest.trim_start().strip_prefix('`').expect("a code span");
        rest[..rest.find('`').unwrap()].to_owned()
    };
    let ring =
        after("Test vector (`crates/cli/tests/docs` checks it against the code): with the ring");
    let id = after("the id");
    let want = after("has the pseudonym");
    let ring = vitrine_core::KeyRing::parse(&ring).unwrap();
    let got = vitrine_core::cookie::PseudonymKey::of(&ring).pseudonym(&id);
    assert_eq!(got, want, "docs/marketers.md: the pseudonym test vector");
}
