//! The fenced blocks that are not shell: campaign files compile, events parse, slot markup is
//! filled, output samples are what the code prints, and snippets in other languages are run
//! by `tests/interop` or listed here with the reason they are not.

use std::collections::{BTreeMap, BTreeSet};
use std::process::Command;

use serde_json::Value;
use vitrine_compile::{build, compile, Loader, Options, Source};
use vitrine_core::measure::events::{Event, SCHEMA};
use vitrine_core::{decide, render, rewrite, Identity};

use crate::shell::invocations;
use crate::source::codes;
use crate::{
    all_blocks, blocks_of, code_spans, docs, exists, files_under, prose, read, root, Block,
};

/// Every language a block may be written in; each has a check below.
const LANGUAGES: &[&str] = &[
    "toml", "json", "sh", "text", "html", "php", "java", "python", "js",
];

/// Files the campaign examples name without showing them, as a site would have them: the
/// examples are compiled as `site/<page>-<line>.toml`, so an `include` or a `[catalog]` path
/// resolves under `site/`. The exports are written in the columns the catalog example
/// documents, so that documentation is checked too.
pub const EXAMPLE_FILES: &[(&str, &str)] = &[
    (
        "site/segments.toml",
        "[segments.vip]\nattr = \"tier\"\nin = [\"gold\", \"platinum\"]\n",
    ),
    (
        "site/exports/products.csv",
        "id,name,price_cents,url,image,category,in_stock\n\
         p0001,Dog bed,4999,/p/p0001,/img/p0001.jpg,dog,true\n\
         p0002,Chew toy,899,/p/p0002,/img/p0002.jpg,dog,true\n\
         p0003,Cat tree,7999,/p/p0003,/img/p0003.jpg,cat,false\n\
         p0004,Garden hose,2450,/p/p0004,/img/p0004.jpg,garden,1\n",
    ),
    (
        "site/exports/recs.csv",
        "product_id,table,products\np0001,also_viewed,p0002 p0003|p0004\n",
    ),
    (
        "site/exports/lists.csv",
        "list,key,products\n\
         top_sellers,dog,p0001 p0002\n\
         picks,loyal,p0004|p0001\n\
         trending,,p0002 p0004\n",
    ),
];

struct ExampleFiles;

impl Loader for ExampleFiles {
    fn load(&self, path: &str) -> Result<Vec<u8>, String> {
        EXAMPLE_FILES
            .iter()
            .find(|(p, _)| *p == path)
            .map(|(_, text)| text.as_bytes().to_vec())
            .ok_or_else(|| {
                format!("{path}: not a file the examples may name (EXAMPLE_FILES in crates/cli/tests/docs)")
            })
    }
}

/// The other-language snippets that no test runs, why, and what in the repository does the
/// same thing (a file and a string it contains).
pub const SHOWN_NOT_RUN: &[(&str, &str, (&str, &str), &str)] = &[
    (
        "python",
        "import base64, time, jwt",
        ("tests/interop/pyjwt_tool.py", "jwt.encode("),
        "needs PyJWT; tests/interop mints and verifies with the same PyJWT calls",
    ),
    (
        "js",
        "import { SignJWT } from \"jose\";",
        ("tests/interop/node_tool.mjs", "new jose.SignJWT("),
        "needs Node and jose; tests/interop mints and verifies with the same jose calls",
    ),
    (
        "js",
        "navigator.sendBeacon(\"/__vitrine/event\"",
        (
            "fixtures/site/app.js",
            "navigator.sendBeacon(\"/__vitrine/event\"",
        ),
        "a browser call; the demo site makes it and tests/e2e/events.rs posts such beacons",
    ),
];

#[test]
fn every_block_names_a_checked_language() {
    for block in all_blocks() {
        assert!(
            LANGUAGES.contains(&block.lang.as_str()),
            "{}: code block in `{}`; name one of {LANGUAGES:?} (and check it in crates/cli/tests/docs)",
            block.at(),
            block.lang
        );
    }
}

#[test]
fn toml_blocks_compile_as_one_site_per_page() {
    let mut count = 0;
    for doc in docs() {
        let blocks: Vec<Block> = blocks_of(&doc)
            .into_iter()
            .filter(|b| b.lang == "toml")
            .collect();
        if blocks.is_empty() {
            continue;
        }
        count += blocks.len();
        let stem = doc.path.trim_end_matches(".md").rsplit('/').next().unwrap();
        let names: Vec<String> = blocks
            .iter()
            .map(|b| format!("site/{stem}-{}.toml", b.line))
            .collect();
        let sources: Vec<Source<'_>> = blocks
            .iter()
            .zip(&names)
            .map(|(b, name)| Source {
                name,
                text: &b.body,
            })
            .collect();
        let located = |file: &str, line: usize| {
            names
                .iter()
                .position(|n| n == file)
                .map_or(format!("{file}:{line}"), |i| blocks[i].at_line(line))
        };
        match build(&sources, &ExampleFiles, &Options::default()) {
            Ok(built) => {
                let warnings: Vec<String> = built
                    .warnings
                    .iter()
                    .map(|w| format!("{}: {}: {}", located(&w.file, w.line), w.code, w.message))
                    .collect();
                assert!(
                    warnings.is_empty(),
                    "the examples warn:\n{}",
                    warnings.join("\n")
                );
            }
            Err(errors) => {
                let errors: Vec<String> = errors
                    .iter()
                    .map(|e| {
                        format!(
                            "{}: {}: {}: {}",
                            located(&e.file, e.line),
                            e.code,
                            e.field,
                            e.message
                        )
                    })
                    .collect();
                panic!(
                    "the campaign examples do not compile:\n{}",
                    errors.join("\n")
                );
            }
        }
    }
    assert!(count >= 5, "only {count} toml blocks found");
}

#[test]
fn json_blocks_parse_and_events_are_events() {
    let mut events = 0;
    for block in all_blocks().into_iter().filter(|b| b.lang == "json") {
        let mut values = 0;
        for value in serde_json::Deserializer::from_str(&block.body).into_iter::<Value>() {
            let value =
                value.unwrap_or_else(|e| panic!("{}: not JSON: {e}", block.at_line(e.line())));
            values += 1;
            let Some(kind) = value.get("event").and_then(Value::as_str) else {
                continue;
            };
            assert!(
                kind.starts_with("vitrine."),
                "{}: unknown event {kind}",
                block.at()
            );
            let event = Event::parse(&value.to_string())
                .unwrap_or_else(|e| panic!("{}: not an event: {e}\n{value}", block.at()));
            assert_eq!(
                serde_json::to_value(&event).unwrap(),
                value,
                "{}: the event has fields the schema (crates/core/src/events.rs) does not",
                block.at()
            );
            let common = event.common();
            assert_eq!(common.schema, SCHEMA, "{}", block.at());
            assert_eq!(
                common.day,
                common.ts / 86_400,
                "{}: day is ts / 86400",
                block.at()
            );
            events += 1;
        }
        assert!(values > 0, "{}: an empty JSON block", block.at());
    }
    assert!(events >= 3, "only {events} events found");
}

/// The elements of a page that are slots: (opening tag, tag name).
fn slot_tags(html: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for (start, _) in html.match_indices('<') {
        let Some(len) = html[start..].find('>') else {
            continue;
        };
        let tag = &html[start..=start + len];
        let name: String = tag[1..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '-')
            .collect();
        if name == "vitrine-slot" || tag.contains("data-vitrine-slot=") {
            out.push((tag.to_owned(), name));
        }
    }
    out
}

/// The value of attribute `attr` in an opening tag.
fn attr(tag: &str, attr: &str) -> String {
    let at = tag.find(&format!("{attr}=\"")).unwrap() + attr.len() + 2;
    tag[at..].split('"').next().unwrap().to_owned()
}

fn rewritten(page: &str, campaigns: &str) -> String {
    let snapshot = compile(&[Source {
        name: "slots.toml",
        text: campaigns,
    }])
    .unwrap_or_else(|e| panic!("{e:?}"));
    let visitor = Identity::anonymous();
    let decision = decide(&snapshot, &visitor);
    let plan = render(&decision);
    let out = rewrite::rewrite_all(plan, page.as_bytes(), rewrite::Limits::default()).unwrap();
    String::from_utf8(out).unwrap()
}

#[test]
fn html_blocks_mark_slots_the_rewriter_fills() {
    let blocks: Vec<Block> = all_blocks()
        .into_iter()
        .filter(|b| b.lang == "html")
        .collect();
    assert!(!blocks.is_empty());
    for block in blocks {
        let slots = slot_tags(&block.body);
        // The block shows slot markup: each element it starts a line with is a slot.
        let elements = block.body.lines().filter(|l| l.starts_with('<')).count();
        assert!(
            !slots.is_empty() && slots.len() == elements,
            "{}: {elements} elements, {} of them slots",
            block.at(),
            slots.len()
        );
        let mut campaigns = String::new();
        for (i, (tag, name)) in slots.iter().enumerate() {
            let slot = match name.as_str() {
                "vitrine-slot" => attr(tag, "name"),
                _ => attr(tag, "data-vitrine-slot"),
            };
            campaigns.push_str(&format!(
                "[[campaign]]\nid = \"c{i}\"\nslot = \"{slot}\"\naudience = \"everyone\"\nhtml = \"<b>filled</b>\"\n"
            ));
        }
        let filled = rewritten(&block.body, &campaigns);
        for (tag, name) in &slots {
            let want = format!("{tag}<b>filled</b></{name}>");
            assert!(
                filled.contains(&want),
                "{}: {want} not in\n{filled}",
                block.at()
            );
        }
        // Nothing targets these slots: the default content stays, byte for byte.
        let other = "[[campaign]]\nid = \"x\"\nslot = \"elsewhere\"\naudience = \"everyone\"\nhtml = \"x\"\n";
        assert_eq!(rewritten(&block.body, other), block.body, "{}", block.at());
    }
}

#[test]
fn other_language_snippets_are_run_by_interop_or_listed() {
    let interop = read("tests/interop/main.rs");
    let mut listed = BTreeSet::new();
    for block in all_blocks() {
        if !["php", "java", "python", "js"].contains(&block.lang.as_str()) {
            continue;
        }
        let label = block.label.split_whitespace().next().unwrap_or("");
        let call = format!("guide_block({label:?}, {:?})", block.lang);
        if block.file == "docs/site-owners.md" && interop.contains(&call) {
            continue;
        }
        let entry = SHOWN_NOT_RUN
            .iter()
            .position(|(lang, first, _, _)| *lang == block.lang && block.body.starts_with(first))
            .unwrap_or_else(|| {
                panic!(
                    "{}: a {} snippet that tests/interop does not run (no `{call}` there) and \
                     SHOWN_NOT_RUN does not list",
                    block.at(),
                    block.lang
                )
            });
        listed.insert(entry);
        let (file, needle) = SHOWN_NOT_RUN[entry].2;
        assert!(
            read(file).contains(needle),
            "{}: {file} no longer contains {needle:?}",
            block.at()
        );
    }
    assert_eq!(
        listed.len(),
        SHOWN_NOT_RUN.len(),
        "SHOWN_NOT_RUN lists a snippet the docs no longer have"
    );
}

/// How each `text` block is checked, by how it starts.
type TextCheck = fn(&Block, &[Block]);
const TEXT_BLOCKS: &[(&str, TextCheck)] = &[
    ("Cargo.toml ", layout_names_existing_paths),
    ("experiment ", report_output_is_the_reports),
    ("{ schema,", json_shape_is_the_reports),
    ("preview: ", explain_sample_uses_real_codes),
    ("bucket = ", bucketing_uses_the_real_key),
];

#[test]
fn text_blocks_show_what_the_code_does() {
    let mut checked = BTreeMap::new();
    for doc in docs() {
        let blocks = blocks_of(&doc);
        for block in blocks.iter().filter(|b| b.lang == "text") {
            let (start, check) = TEXT_BLOCKS
                .iter()
                .find(|(start, _)| block.body.starts_with(start))
                .unwrap_or_else(|| {
                    panic!("{}: a text block with no check in TEXT_BLOCKS", block.at())
                });
            check(block, &blocks);
            *checked.entry(*start).or_insert(0) += 1;
        }
    }
    assert_eq!(
        checked.len(),
        TEXT_BLOCKS.len(),
        "unused TEXT_BLOCKS: {checked:?}"
    );
}

/// The repository layout: the paths a line starts with exist.
fn layout_names_existing_paths(block: &Block, _: &[Block]) {
    for (i, line) in block.body.lines().enumerate() {
        for (j, word) in line.split_whitespace().enumerate() {
            if j > 0 && !word.ends_with('/') {
                break;
            }
            assert!(
                exists(word),
                "{}: {word} does not exist",
                block.at_line(i + 1)
            );
        }
    }
}

fn vitrine(args: &[String]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_vitrine"))
        .args(args)
        .current_dir(root())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "vitrine {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn scratch(name: &str) -> String {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("docs");
    std::fs::create_dir_all(&dir).unwrap();
    let file = format!("{}-{name}", std::process::id());
    dir.join(file).to_str().unwrap().to_owned()
}

/// The report's text output, up to a `…` line, is what the `sh` block before it prints.
fn report_output_is_the_reports(block: &Block, page: &[Block]) {
    let before = page
        .iter()
        .rev()
        .find(|b| b.line < block.line)
        .filter(|b| b.lang == "sh")
        .unwrap_or_else(|| panic!("{}: no sh block before the report output", block.at()));
    let runs = invocations(before);
    let (_, report, _) = runs
        .iter()
        .find(|(_, inv, _)| inv.path == ["report"])
        .unwrap_or_else(|| panic!("{}: runs no `vitrine report`", before.at()));
    let page = scratch("report.html");
    let mut args = vec!["report".to_owned()];
    let mut html = false;
    for a in &report.args {
        args.push(if html { page.clone() } else { a.clone() });
        html = a == "--html";
    }
    let out = vitrine(&args);
    let _ = std::fs::remove_file(&page);
    let shown: Vec<&str> = block.body.lines().take_while(|l| l.trim() != "…").collect();
    let printed: Vec<&str> = out.lines().map(str::trim_end).collect();
    let at = printed
        .iter()
        .position(|l| *l == shown[0].trim_end())
        .unwrap_or_else(|| panic!("{}: `{}` is not printed:\n{out}", block.at(), shown[0]));
    for (i, line) in shown.iter().enumerate() {
        assert_eq!(
            printed.get(at + i).copied(),
            Some(line.trim_end()),
            "{}: the report prints otherwise:\n{out}",
            block.at_line(i + 1)
        );
    }
}

/// The `--json` shape names every key the report writes, and only those.
fn json_shape_is_the_reports(block: &Block, _: &[Block]) {
    // The sample, plus a bad line so that `first_bad_lines` has an entry.
    let events = scratch("shape.jsonl");
    let sample = read("fixtures/report/sample.jsonl");
    std::fs::write(
        &events,
        format!("{sample}{{\"event\":\"vitrine.exposure\"}}\n"),
    )
    .unwrap();
    let args = [
        "report",
        &events,
        "--campaigns",
        "fixtures/report/campaigns.toml",
        "--json",
    ];
    let out = vitrine(&args.map(str::to_owned));
    std::fs::remove_file(&events).unwrap();
    let json: Value = serde_json::from_str(&out).unwrap();
    fn keys(v: &Value, out: &mut BTreeSet<String>) {
        match v {
            Value::Object(map) => {
                for (k, v) in map {
                    out.insert(k.clone());
                    // Its keys are the goals' names.
                    if k != "goals_seen" {
                        keys(v, out);
                    }
                }
            }
            Value::Array(items) => items.iter().for_each(|i| keys(i, out)),
            _ => {}
        }
    }
    let mut written = BTreeSet::new();
    keys(&json, &mut written);
    // Identifiers outside quotes; `count` stands for each goal's count.
    let mut shown = BTreeSet::new();
    for (i, part) in block.body.split('"').enumerate() {
        if i % 2 == 0 {
            for word in part.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_')) {
                if !word.is_empty() && word != "count" {
                    shown.insert(word.to_owned());
                }
            }
        }
    }
    assert_eq!(
        shown,
        written,
        "{}: the documented shape differs from the report's",
        block.at()
    );
}

/// The `x-vitrine-explain` sample: its parts, facts and verdicts are the ones the code writes,
/// about campaigns and slots of the demo campaign.
fn explain_sample_uses_real_codes(block: &Block, _: &[Block]) {
    let trace = read("crates/core/src/decide/trace.rs");
    let view = read("crates/core/src/view.rs");
    let demo = read("fixtures/campaigns/demo.toml");
    let verdicts = codes("crates/core/src/decide", "Verdict").set();
    let facts: Vec<&str> = trace
        .split("\"country:")
        .nth(1)
        .map(|rest| rest.split('"').next().unwrap())
        .map(|f| {
            std::iter::once("country")
                .chain(f.split(' ').skip(1).map(|kv| kv.split(':').next().unwrap()))
                .collect()
        })
        .expect("trace.rs writes the facts as \"country:{} …\"");
    let header = block.body.replace('\n', " ");
    for entry in header.split(';').map(str::trim).filter(|e| !e.is_empty()) {
        let (key, rest) = entry
            .split_once([':', '='])
            .unwrap_or_else(|| panic!("{}: `{entry}`", block.at()));
        match key {
            "preview" => assert!(view.contains("\"preview: {}; {trace}\""), "{}", block.at()),
            "v" | "now" | "arms" => {
                assert!(
                    trace.contains(&format!("\"{key}={{")),
                    "{}: {key}=",
                    block.at()
                )
            }
            "facts" => {
                let shown: Vec<&str> = rest
                    .split(' ')
                    .map(|kv| kv.split(':').next().unwrap())
                    .collect();
                assert_eq!(shown, facts, "{}: facts", block.at());
            }
            slot => {
                assert!(
                    demo.contains(&format!("slot = \"{slot}\"")),
                    "{}: slot {slot}",
                    block.at()
                );
                for word in rest.split_whitespace().filter(|w| *w != "…") {
                    let (campaign, verdict) = word.split_once('=').unwrap();
                    let verdict = verdict.split('(').next().unwrap();
                    assert!(
                        demo.contains(&format!("id = \"{campaign}\"")),
                        "{}: campaign {campaign}",
                        block.at()
                    );
                    assert!(
                        verdicts.contains(verdict),
                        "{}: verdict {verdict}",
                        block.at()
                    );
                }
            }
        }
    }
}

/// The bucketing formula's key is the one the code hashes.
fn bucketing_uses_the_real_key(block: &Block, _: &[Block]) {
    let code: String = files_under("crates/core/src/decide", &[".rs"])
        .iter()
        .map(|f| read(f))
        .collect();
    for (i, quoted) in block.body.split('"').enumerate() {
        if i % 2 == 1 {
            assert!(
                code.contains(&format!("\"{quoted}\"")),
                "{}: \"{quoted}\" is not in crates/core/src/decide",
                block.at()
            );
        }
    }
}

/// GitHub's anchor for a heading.
fn slug(heading: &str) -> String {
    heading
        .trim()
        .to_lowercase()
        .chars()
        .filter(|c| c.is_alphanumeric() || matches!(c, ' ' | '-' | '_'))
        .map(|c| if c == ' ' { '-' } else { c })
        .collect()
}

fn anchors(path: &str) -> BTreeSet<String> {
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    let mut out = BTreeSet::new();
    for line in prose(&read(path)).lines() {
        let hashes = line.chars().take_while(|&c| c == '#').count();
        if hashes == 0 || !line[hashes..].starts_with(' ') {
            continue;
        }
        let s = slug(&line[hashes..]);
        let n = seen.entry(s.clone()).or_insert(0);
        out.insert(if *n == 0 {
            s.clone()
        } else {
            format!("{s}-{n}")
        });
        *n += 1;
    }
    out
}

#[test]
fn repository_paths_and_links_in_the_docs_exist() {
    const TOP: &[&str] = &[
        "src/",
        "crates/",
        "tests/",
        "fixtures/",
        "scripts/",
        "benches/",
        "fuzz/",
        "schema/",
        "docs/",
        "vendor/",
    ];
    let mut checked = 0;
    let mut missing = Vec::new();
    for doc in docs() {
        for (line, span) in code_spans(&doc.text) {
            for word in span.split_whitespace() {
                let word = word.trim_matches(|c: char| "(),;:".contains(c));
                if TOP.iter().any(|t| word.starts_with(t)) && !word.contains(['*', '{', '<', '…'])
                {
                    if !exists(word) {
                        missing.push(format!("{}:{line}: `{word}` does not exist", doc.path));
                    }
                    checked += 1;
                }
            }
        }
        let dir = std::path::Path::new(&doc.path).parent().unwrap();
        let text = prose(&doc.text);
        for (at, _) in text.match_indices("](") {
            let target = text[at + 2..].split(')').next().unwrap();
            let line = text[..at].matches('\n').count() + 1;
            if target.starts_with("http://") || target.starts_with("https://") {
                continue;
            }
            let (file, anchor) = target.split_once('#').unwrap_or((target, ""));
            let file = if file.is_empty() {
                doc.path.clone()
            } else {
                let joined = dir.join(file);
                let mut parts: Vec<&str> = Vec::new();
                for c in joined.to_str().unwrap().split('/') {
                    match c {
                        "." | "" => {}
                        ".." => {
                            parts.pop();
                        }
                        c => parts.push(c),
                    }
                }
                parts.join("/")
            };
            if !exists(&file) {
                missing.push(format!(
                    "{}:{line}: link to {file}, which does not exist",
                    doc.path
                ));
            } else if !anchor.is_empty() && !anchors(&file).contains(anchor) {
                missing.push(format!(
                    "{}:{line}: {file} has no heading #{anchor}",
                    doc.path
                ));
            }
            checked += 1;
        }
    }
    assert!(missing.is_empty(), "\n{}", missing.join("\n"));
    assert!(checked >= 50, "only {checked} paths and links found");
}
