//! Shell examples: every command line of every `sh` block, and every inline `vitrine …` code
//! span, names a known program; `vitrine` subcommands exist and every flag shown (also in a
//! trailing comment such as `# or --remote [--env production]`) is in the subcommand's
//! `--help`. Synopses are understood: `[--flag ARG]` is optional and `a | b` inside brackets is
//! an alternative, not a pipe.

use std::collections::{BTreeMap, BTreeSet};
use std::process::Command;
use std::sync::OnceLock;

use crate::{all_blocks, code_spans, docs, read, Block};

/// The programs the examples may run besides `vitrine`, and what is checked of them.
pub const PROGRAMS: &[(&str, &str)] = &[
    (
        "cargo",
        "only `cargo run -p vitrine-cli -- …`: checked as `vitrine …`",
    ),
    ("make", "each target is a target of the Makefile"),
    ("export", "each word is NAME=value"),
    ("npx", "only `npx wrangler …`: not run"),
    ("curl", "not run"),
    (
        "duckdb",
        "not run: the engine of `--sql` (tests/sql runs the queries with its Python package)",
    ),
    ("sh", "the script exists"),
];

/// One command of a shell line.
#[derive(Debug, Default, Clone)]
pub struct Cmd {
    /// `NAME=value` words before the program.
    pub env: Vec<String>,
    pub words: Vec<String>,
}

/// One logical line (continuations joined): its commands and its trailing comment.
#[derive(Debug, Default)]
pub struct Line {
    pub commands: Vec<Cmd>,
    pub comment: String,
}

/// Splits one logical shell line into commands. Quotes and `$(…)` are kept inside a word;
/// `[`/`]` of a synopsis are dropped and a `|` between them is an alternative.
pub fn parse_line(text: &str) -> Line {
    let mut line = Line::default();
    let mut cmd: Vec<String> = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut brackets = 0usize;
    let mut redirect = false;
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    let end_word =
        |word: &mut String, in_word: &mut bool, cmd: &mut Vec<String>, redirect: &mut bool| {
            if *in_word {
                if *redirect {
                    *redirect = false;
                } else {
                    cmd.push(std::mem::take(word));
                }
                word.clear();
                *in_word = false;
            }
        };
    let end_cmd = |cmd: &mut Vec<String>, line: &mut Line| {
        if !cmd.is_empty() {
            let words = std::mem::take(cmd);
            let n = words.iter().take_while(|w| is_assignment(w)).count();
            line.commands.push(Cmd {
                env: words[..n].to_vec(),
                words: words[n..].to_vec(),
            });
        }
    };
    while i < chars.len() {
        let c = chars[i];
        match c {
            '#' if !in_word => {
                line.comment = chars[i + 1..].iter().collect::<String>().trim().to_owned();
                break;
            }
            '\'' => {
                in_word = true;
                let close = chars[i + 1..]
                    .iter()
                    .position(|&c| c == '\'')
                    .map_or(chars.len(), |p| i + 1 + p);
                word.extend(&chars[i + 1..close]);
                i = close;
            }
            '"' => {
                in_word = true;
                let mut j = i + 1;
                while j < chars.len() && chars[j] != '"' {
                    if chars[j] == '\\' && j + 1 < chars.len() {
                        j += 1;
                    }
                    word.push(chars[j]);
                    j += 1;
                }
                i = j;
            }
            '$' if chars.get(i + 1) == Some(&'(') => {
                in_word = true;
                let mut depth = 0;
                let mut j = i + 1;
                while j < chars.len() {
                    match chars[j] {
                        '(' => depth += 1,
                        ')' => depth -= 1,
                        _ => {}
                    }
                    if depth == 0 {
                        break;
                    }
                    j += 1;
                }
                word.extend(&chars[i..=j.min(chars.len() - 1)]);
                i = j;
            }
            '\\' if i + 1 < chars.len() => {
                in_word = true;
                word.push(chars[i + 1]);
                i += 1;
            }
            '[' if !in_word => brackets += 1,
            ']' if brackets > 0 => {
                brackets -= 1;
                end_word(&mut word, &mut in_word, &mut cmd, &mut redirect);
            }
            '|' if brackets > 0 => end_word(&mut word, &mut in_word, &mut cmd, &mut redirect),
            '|' | ';' | '&' => {
                end_word(&mut word, &mut in_word, &mut cmd, &mut redirect);
                end_cmd(&mut cmd, &mut line);
                if matches!(chars.get(i + 1), Some('|' | '&')) {
                    i += 1;
                }
            }
            '>' | '<' => {
                end_word(&mut word, &mut in_word, &mut cmd, &mut redirect);
                redirect = true;
            }
            c if c.is_whitespace() => end_word(&mut word, &mut in_word, &mut cmd, &mut redirect),
            c => {
                in_word = true;
                word.push(c);
            }
        }
        i += 1;
    }
    end_word(&mut word, &mut in_word, &mut cmd, &mut redirect);
    end_cmd(&mut cmd, &mut line);
    line
}

fn is_assignment(word: &str) -> bool {
    word.split_once('=').is_some_and(|(name, _)| {
        !name.is_empty()
            && name
                .chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
    })
}

/// The logical lines of a shell block (`\` continuations joined), each with the body line it
/// starts on (1-based); blank and comment-only lines are left out.
pub fn logical_lines(body: &str) -> Vec<(usize, String)> {
    let mut out: Vec<(usize, String)> = Vec::new();
    let mut pending: Option<(usize, String)> = None;
    for (i, raw) in body.lines().enumerate() {
        let (n, mut text) = pending.take().unwrap_or((i + 1, String::new()));
        match raw.trim_end().strip_suffix('\\') {
            Some(head) => {
                text.push_str(head);
                text.push(' ');
                pending = Some((n, text));
            }
            None => {
                text.push_str(raw);
                let t = text.trim();
                if !t.is_empty() && !t.starts_with('#') {
                    out.push((n, t.to_owned()));
                }
            }
        }
    }
    if let Some((n, t)) = pending {
        out.push((n, t));
    }
    out
}

/// What `vitrine <path…> --help` says: its subcommands and its flags.
#[derive(Debug, Default)]
pub struct Help {
    pub subcommands: Vec<String>,
    pub long: BTreeSet<String>,
    pub short: BTreeSet<String>,
}

/// The `--help` of every command path, `[]` being `vitrine` itself.
pub fn cli() -> &'static BTreeMap<Vec<String>, Help> {
    static TREE: OnceLock<BTreeMap<Vec<String>, Help>> = OnceLock::new();
    TREE.get_or_init(|| {
        let mut tree = BTreeMap::new();
        let mut todo = vec![Vec::<String>::new()];
        while let Some(path) = todo.pop() {
            let help = help(&path);
            for sub in &help.subcommands {
                let mut p = path.clone();
                p.push(sub.clone());
                todo.push(p);
            }
            tree.insert(path, help);
        }
        tree
    })
}

fn help(path: &[String]) -> Help {
    let out = Command::new(env!("CARGO_BIN_EXE_vitrine"))
        .args(path)
        .arg("--help")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "vitrine {} --help failed",
        path.join(" ")
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let mut help = Help::default();
    let mut heading = "";
    for line in text.lines() {
        if !line.starts_with(' ') && line.ends_with(':') {
            heading = line;
            continue;
        }
        match heading {
            "Commands:" => {
                if let Some(name) = line.split_whitespace().next() {
                    if name != "help" {
                        help.subcommands.push(name.to_owned());
                    }
                }
            }
            "Options:" if line.trim_start().starts_with('-') => {
                for token in line.split_whitespace() {
                    let token = token.trim_end_matches(',');
                    if let Some(long) = token.strip_prefix("--") {
                        help.long.insert(long.to_owned());
                    } else if token.len() == 2 && token.starts_with('-') {
                        help.short.insert(token[1..].to_owned());
                    } else if !token.starts_with('<') {
                        break;
                    }
                }
            }
            _ => {}
        }
    }
    help.long.remove("help");
    help.long.remove("version");
    help
}

/// A `vitrine` invocation found in the docs.
pub struct Invocation {
    /// The subcommand path (`["cookie", "mint"]`).
    pub path: Vec<String>,
    /// The words after the path.
    pub args: Vec<String>,
}

/// The `vitrine` arguments of a command, if it runs the CLI (`vitrine …` or
/// `cargo run -p vitrine-cli -- …`); `Err` for a `cargo` command that is not that.
fn cli_args(words: &[String]) -> Result<Option<&[String]>, String> {
    match words.first().map(String::as_str) {
        Some("vitrine") => Ok(Some(&words[1..])),
        Some("cargo") => {
            let package = env!("CARGO_PKG_NAME");
            match words.get(1..5) {
                Some([run, p, pkg, dashes])
                    if run == "run" && p == "-p" && pkg == package && dashes == "--" =>
                {
                    Ok(Some(&words[5..]))
                }
                _ => Err(format!(
                    "only `cargo run -p {package} -- …` is a known cargo command"
                )),
            }
        }
        _ => Ok(None),
    }
}

/// Resolves the subcommand path of `args` and checks every flag (and every `--flag` in
/// `comment`) against its `--help`.
pub fn check_invocation(args: &[String], comment: &str) -> Result<Invocation, String> {
    let tree = cli();
    let mut path: Vec<String> = Vec::new();
    let mut rest = args;
    loop {
        let help = &tree[&path];
        if help.subcommands.is_empty() {
            break;
        }
        match rest.first() {
            None => break,
            Some(w) if help.subcommands.contains(w) => {
                path.push(w.clone());
                rest = &rest[1..];
            }
            Some(w) => {
                return Err(format!(
                    "`vitrine {}` has no subcommand `{w}` (it has: {})",
                    path.join(" "),
                    help.subcommands.join(", ")
                ))
            }
        }
    }
    let help = &tree[&path];
    let mentioned = comment
        .split(|c: char| c.is_whitespace() || "[](),;".contains(c))
        .filter(|w| w.starts_with("--"))
        .map(str::to_owned);
    for word in rest.iter().cloned().chain(mentioned) {
        let word = word.trim_end_matches(['…', ',', ';', ')']);
        let known = if let Some(long) = word.strip_prefix("--") {
            let name = long.split('=').next().unwrap();
            name.is_empty() || help.long.contains(name)
        } else if let Some(short) = word.strip_prefix('-') {
            !(short.len() == 1 && short.chars().all(|c| c.is_ascii_alphabetic()))
                || help.short.contains(short)
        } else {
            true
        };
        if !known {
            return Err(format!(
                "`vitrine {}` has no option `{word}` (it has: --{})",
                path.join(" "),
                help.long.iter().cloned().collect::<Vec<_>>().join(", --")
            ));
        }
    }
    Ok(Invocation {
        path,
        args: rest.to_vec(),
    })
}

/// The targets of the Makefile.
fn make_targets() -> BTreeSet<String> {
    read("Makefile")
        .lines()
        .filter(|l| !l.starts_with(['\t', ' ', '#', '.']))
        .filter_map(|l| l.split_once(':'))
        .filter(|(t, rest)| !rest.starts_with('=') && !t.contains(' '))
        .map(|(t, _)| t.to_owned())
        .collect()
}

/// Checks one command of a `sh` block; the invocations of the CLI it makes.
fn check_command(cmd: &Cmd, comment: &str) -> Result<Option<Invocation>, String> {
    if let Some(args) = cli_args(&cmd.words)? {
        return check_invocation(args, comment).map(Some);
    }
    let program = cmd.words.first().map_or("", String::as_str);
    if !PROGRAMS.iter().any(|(p, _)| *p == program) {
        return Err(format!(
            "unknown program `{program}`: add it to PROGRAMS in crates/cli/tests/docs/shell.rs \
             with what is checked of it"
        ));
    }
    match program {
        "make" => {
            let targets = make_targets();
            for t in cmd.words[1..].iter().filter(|w| !w.starts_with('-')) {
                if !targets.contains(t) {
                    return Err(format!("the Makefile has no target `{t}`"));
                }
            }
        }
        "export" => {
            if let Some(w) = cmd.words[1..].iter().find(|w| !is_assignment(w)) {
                return Err(format!("`export {w}`: not NAME=value"));
            }
        }
        "npx" if cmd.words.get(1).map(String::as_str) != Some("wrangler") => {
            return Err("only `npx wrangler …` is a known npx command".into());
        }
        "sh" => {
            let script = cmd.words.get(1).map_or("", String::as_str);
            if !crate::exists(script) {
                return Err(format!("`sh {script}`: no such script"));
            }
        }
        _ => {}
    }
    Ok(None)
}

/// The CLI invocations of a `sh` block, each with the body line it is on, checked.
pub fn invocations(block: &Block) -> Vec<(usize, Invocation, String)> {
    let mut out = Vec::new();
    for (n, text) in logical_lines(&block.body) {
        let line = parse_line(&text);
        for cmd in &line.commands {
            match check_command(cmd, &line.comment) {
                Ok(Some(inv)) => out.push((n, inv, text.clone())),
                Ok(None) => {}
                Err(why) => panic!("{}: {why}\n  {text}", block.at_line(n)),
            }
        }
    }
    out
}

#[test]
fn sh_blocks_run_known_programs_and_vitrine_commands_they_have() {
    let blocks: Vec<Block> = all_blocks()
        .into_iter()
        .filter(|b| b.lang == "sh")
        .collect();
    assert!(blocks.len() >= 10, "only {} sh blocks found", blocks.len());
    let mut seen = 0;
    for block in &blocks {
        seen += invocations(block).len();
    }
    assert!(seen >= 20, "only {seen} vitrine invocations found");
}

#[test]
fn inline_vitrine_commands_exist_with_their_options() {
    let mut checked = 0;
    for doc in docs() {
        for (line, span) in code_spans(&doc.text) {
            for cmd in parse_line(&span).commands {
                let Ok(Some(args)) = cli_args(&cmd.words) else {
                    continue;
                };
                if let Err(why) = check_invocation(args, "") {
                    panic!("{}:{line}: `{span}`: {why}", doc.path);
                }
                checked += 1;
            }
        }
    }
    assert!(checked >= 20, "only {checked} inline commands found");
}

#[test]
fn the_shell_reader_understands_synopses() {
    let line = parse_line(
        "X=$(sed -n 's/^A=//p' f) vitrine a [--b B | --c '{\"d\":[1]}'] [--e]… # or --f",
    );
    assert_eq!(line.commands.len(), 1, "{line:?}");
    assert_eq!(line.commands[0].env, ["X=$(sed -n 's/^A=//p' f)"]);
    assert_eq!(
        line.commands[0].words,
        ["vitrine", "a", "--b", "B", "--c", "{\"d\":[1]}", "--e", "…"]
    );
    assert_eq!(line.comment, "or --f");
    let line = parse_line("npx wrangler tail | grep -o 'x .*' | cut -c15- > events.jsonl");
    let programs: Vec<&str> = line.commands.iter().map(|c| c.words[0].as_str()).collect();
    assert_eq!(programs, ["npx", "grep", "cut"]);
    assert_eq!(line.commands[2].words, ["cut", "-c15-"]);
}
