//! Layering: no import cycles between the modules of any crate in the workspace (issue 16,
//! "No module cycles").
//!
//! Modules that import each other can only be read, tested, changed and moved together: a cycle
//! is one module in two files, and it is what stops a module from moving down into a crate of
//! its own (`crates/core`, `crates/compile`, `crates/report`, `crates/cli`). This test keeps
//! every crate layered, so each module depends only on modules below it.
//!
//! What it checks, from the source alone (std only, no build):
//! - Crates: the root package's `src/` and every `crates/*/src/`; in each, `lib.rs`, `main.rs`,
//!   `bin/*.rs` and `bin/*/main.rs` are crate roots of their own.
//! - Modules: found by following `mod` items from the crate root (inline `mod x { .. }` too),
//!   honoring `#[path = ".."]`. A `.rs` file that no `mod` item reaches is still checked,
//!   mapped by its place in the tree (`foo.rs` and `foo/mod.rs` are `foo`, `foo/bar.rs` is
//!   `foo::bar`).
//! - Test code is left out, it may import freely: modules named `tests`, `tests.rs` files, files
//!   under test modules, and every item under `#[cfg(test)]` (modules, declared or inline,
//!   functions, `use`s, ..).
//! - References: every path starting with `crate::`, `super::` or `self::`, in `use` trees
//!   (grouped or not) and in code; comments, doc comments, string (raw ones too) and char
//!   literals don't count.
//! - Edges: a reference from module `a::b::c` to `a::d` or anything inside it is an edge
//!   `b -> d` between the siblings `b` and `d` under their lowest common ancestor `a`. A module
//!   using its ancestors' items, or a parent using its children's, is no edge. Re-exports are
//!   not followed: `use super::Snapshot` names the parent, whichever child defines `Snapshot`.
//! - Every parent's graph of children must be acyclic (Tarjan's strongly connected
//!   components). The failure lists each cycle: the crate, the parent module, the modules in
//!   the cycle and, for each edge between them, one `file:line` that creates it.
//!
//! The fixture tests run the same checker on tiny crates written to a temporary directory, one
//! with known cycles and one without, so that the checker cannot pass by finding nothing.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::fmt::Write as _;
use std::fs;
use std::path::{Component, Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

#[test]
fn no_module_cycles() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let scan = scan(root);
    let modules: usize = scan.crates.iter().map(|c| c.modules).sum();
    assert!(
        modules > 1,
        "found no modules under {}: are the crates still in src/ and crates/*/src/?",
        root.display()
    );
    assert!(scan.cycles.is_empty(), "{}", render(&scan));
}

// The checker's own tests.

#[test]
fn reports_known_cycles_in_a_fixture() {
    let fixture = Fixture::new(
        "cycles",
        &[
            ("src/lib.rs", "pub mod a;\npub mod b;\npub mod c;\npub mod nested;\n"),
            (
                "src/a.rs",
                "pub const RAW: &str = r#\"a \"quoted\" string\"#;\nuse crate::b::Thing;\npub fn g() -> Thing {\n    Thing\n}\n",
            ),
            (
                "src/b.rs",
                "pub struct Thing;\npub const Q: char = '\\'';\npub fn f() {\n    super::a::g();\n}\n",
            ),
            ("src/c.rs", "pub use crate::a::g;\n"),
            (
                "src/nested/mod.rs",
                "mod x;\nmod y;\nmod z;\npub struct Shared;\n",
            ),
            (
                "src/nested/x.rs",
                "use super::{y::Y, Shared};\npub struct X(Y, Shared);\n",
            ),
            (
                "src/nested/y.rs",
                "use crate::nested::{\n    z::Z,\n};\npub struct Y(Z);\n",
            ),
            (
                "src/nested/z.rs",
                "pub struct Z;\npub fn make() -> super::Shared {\n    let _ = crate::nested::x::X;\n    super::Shared\n}\n",
            ),
            (
                "crates/extra/src/lib.rs",
                "mod p;\n#[path = \"renamed.rs\"]\nmod q;\n",
            ),
            (
                "crates/extra/src/p.rs",
                "use crate::q::{self};\npub struct P(q::Q);\n",
            ),
            ("crates/extra/src/renamed.rs", "pub struct Q;\npub type Back = super::p::P;\n"),
            ("src/bin/tool/main.rs", "mod one;\nmod two;\nfn main() {}\n"),
            ("src/bin/tool/one.rs", "use crate::two::T;\npub struct O(T);\n"),
            ("src/bin/tool/two.rs", "pub struct T;\npub type Back = crate::one::O;\n"),
        ],
    );
    let scan = scan(&fixture.root);
    let found: Vec<(&str, &str, Vec<&str>)> = scan
        .cycles
        .iter()
        .map(|c| {
            let members = c.members.iter().map(String::as_str).collect();
            (c.krate.as_str(), c.parent.as_str(), members)
        })
        .collect();
    assert_eq!(
        found,
        [
            ("src/lib.rs", "crate", vec!["a", "b"]),
            ("src/lib.rs", "crate::nested", vec!["x", "y", "z"]),
            ("src/bin/tool/main.rs", "crate", vec!["one", "two"]),
            ("crates/extra/src/lib.rs", "crate", vec!["p", "q"]),
        ],
        "{}",
        render(&scan)
    );
    let report = render(&scan);
    for line in [
        "a -> b: src/a.rs:2 `crate::b::Thing`",
        "b -> a: src/b.rs:4 `super::a::g`",
        "z -> x: src/nested/z.rs:3 `crate::nested::x::X`",
        "y -> z: src/nested/y.rs:2 `crate::nested::z::Z`",
        "q -> p: crates/extra/src/renamed.rs:2 `super::p::P`",
        "p -> q: crates/extra/src/p.rs:1 `crate::q`",
        "e.g. x -> y -> z -> x",
    ] {
        assert!(report.contains(line), "no {line:?} in\n{report}");
    }
}

#[test]
fn reports_nothing_for_an_acyclic_fixture() {
    // Every back edge here is in a comment, a literal or test code; each would close a cycle.
    let fixture = Fixture::new(
        "acyclic",
        &[
            ("src/lib.rs", "pub mod a;\npub mod b;\npub mod nested;\n"),
            (
                "src/a.rs",
                "use crate::b::Thing;\n/// Returns [`crate::b::Thing`].\npub fn g() -> Thing {\n    Thing\n}\n",
            ),
            (
                "src/b.rs",
                r##"//! Only mentions `super::a::g`.
pub struct Thing;
/* crate::a::g(); /* nested */ crate::a::g(); */
pub const QUOTE: char = '"';
pub fn f<'a>(s: &'a str) -> &'a str {
    s
}
pub const TEXT: &str = "x crate::a::g() \" crate::a::g()";
pub const RAW: &str = r#"say " crate::a::g() "#;
pub const BYTES: &[u8] = br"crate::a::g";
// crate::a::g();
#[cfg(test)]
fn helper() {
    crate::a::g();
}
#[cfg(test)]
use crate::a::g;
#[cfg(test)]
mod tests {
    use super::super::a::g;
}
#[cfg(all(test, unix))]
#[path = "b_more_tests.rs"]
mod more;
mod tests;
"##,
            ),
            ("src/b_more_tests.rs", "use crate::a::g;\n"),
            ("src/b/tests.rs", "use crate::a::g;\n"),
            ("src/orphan.rs", "use crate::a::g;\n"),
            (
                "src/nested/mod.rs",
                "mod x;\nmod y;\nmod z;\npub struct Shared;\npub use x::X;\npub mod inner {\n    pub use super::x::X;\n    pub use crate::a::g;\n}\n",
            ),
            (
                "src/nested/x.rs",
                "use super::{y::Y, Shared};\npub struct X(Y, Shared);\n",
            ),
            ("src/nested/y.rs", "use crate::nested::{z::Z};\npub struct Y(Z);\n"),
            (
                "src/nested/z.rs",
                "pub struct Z;\npub fn shared() -> super::Shared {\n    super::Shared\n}\n",
            ),
            ("src/nested/z/tests.rs", "use crate::nested::x::X;\n"),
            ("crates/extra/src/lib.rs", "mod p;\n#[path = \"renamed.rs\"]\nmod q;\n"),
            ("crates/extra/src/p.rs", "use crate::q::Q;\npub struct P(Q);\n"),
            ("crates/extra/src/renamed.rs", "pub struct Q; // super::p::P\n"),
        ],
    );
    let scan = scan(&fixture.root);
    assert!(scan.cycles.is_empty(), "{}", render(&scan));
    let mut edges = BTreeSet::new();
    for krate in &scan.crates {
        for (parent, siblings) in &krate.edges {
            for (from, to) in siblings.keys() {
                edges.insert(format!("{}: {} {from} -> {to}", krate.label, name(parent)));
            }
        }
    }
    let expected = [
        "crates/extra/src/lib.rs: crate p -> q",
        "src/lib.rs: crate a -> b",
        "src/lib.rs: crate nested -> a",
        "src/lib.rs: crate orphan -> a",
        "src/lib.rs: crate::nested inner -> x",
        "src/lib.rs: crate::nested x -> y",
        "src/lib.rs: crate::nested y -> z",
    ];
    assert_eq!(
        edges.iter().map(String::as_str).collect::<Vec<_>>(),
        expected
    );
}

/// A crate tree written to a fresh temporary directory, removed when dropped.
struct Fixture {
    root: PathBuf,
}

impl Fixture {
    fn new(name: &str, files: &[(&str, &str)]) -> Self {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        let root = std::env::temp_dir().join(format!(
            "vitrine-layering-{name}-{}-{nanos}",
            std::process::id()
        ));
        for (path, text) in files {
            let path = root.join(path);
            fs::create_dir_all(path.parent().unwrap()).unwrap();
            fs::write(&path, text).unwrap();
        }
        Self { root }
    }
}

impl Drop for Fixture {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.root);
    }
}

// The checker.

/// One reference, written `written` at `line`, from code in module `from` to `target`.
struct Ref {
    from: Vec<String>,
    target: Vec<String>,
    written: String,
    line: usize,
}

/// A `mod name;` item, declared in `chain` (the inline modules around it in its file).
struct ModDecl {
    name: String,
    chain: Vec<String>,
    path: Option<String>,
    test: bool,
}

/// What one file holds, test code left out.
#[derive(Default)]
struct FileItems {
    /// The whole file is `#![cfg(test)]`.
    test_only: bool,
    refs: Vec<Ref>,
    decls: Vec<ModDecl>,
    /// Inline `mod name { .. }` modules, as full module paths.
    inline: Vec<Vec<String>>,
}

/// One crate's modules and the references between them.
#[derive(Default)]
struct Crate {
    label: String,
    modules: BTreeSet<Vec<String>>,
    files: usize,
    /// (file, reference)
    refs: Vec<(String, Ref)>,
    /// Files no `mod` item reaches, mapped by their place in the tree.
    by_place: Vec<String>,
}

impl Crate {
    fn add(&mut self, file: String, module: Vec<String>, items: FileItems) {
        self.files += 1;
        self.modules.extend(items.inline);
        self.modules.insert(module);
        self.refs
            .extend(items.refs.into_iter().map(|r| (file.clone(), r)));
    }
}

/// Where an edge comes from: one reference that creates it.
#[derive(Clone, Debug)]
struct Example {
    file: String,
    line: usize,
    written: String,
}

/// The edges between the children of one parent: (from, to) -> first example.
type Siblings = BTreeMap<(String, String), Example>;

struct CrateGraph {
    label: String,
    modules: usize,
    files: usize,
    by_place: Vec<String>,
    /// parent module -> edges between its children
    edges: BTreeMap<Vec<String>, Siblings>,
}

#[derive(Debug)]
struct Cycle {
    krate: String,
    parent: String,
    members: Vec<String>,
    /// One way around: `a -> b -> a`.
    around: Vec<String>,
    edges: Vec<(String, String, Example)>,
}

struct Scan {
    crates: Vec<CrateGraph>,
    cycles: Vec<Cycle>,
}

/// Checks every crate of the workspace at `ws`.
fn scan(ws: &Path) -> Scan {
    let mut dirs = vec![ws.join("src")];
    if let Ok(entries) = fs::read_dir(ws.join("crates")) {
        let mut members: Vec<PathBuf> = entries
            .filter_map(|e| e.ok().map(|e| e.path().join("src")))
            .collect();
        members.sort();
        dirs.extend(members);
    }
    let mut crates = Vec::new();
    for dir in dirs.iter().filter(|d| d.is_dir()) {
        crates.extend(load_dir(ws, dir));
    }
    let crates: Vec<CrateGraph> = crates.iter().map(graph).collect();
    let cycles = crates.iter().flat_map(cycles).collect();
    Scan { crates, cycles }
}

/// The crates rooted in one source directory: `lib.rs`, `main.rs`, `bin/*.rs`, `bin/*/main.rs`.
fn load_dir(ws: &Path, dir: &Path) -> Vec<Crate> {
    let mut roots: Vec<PathBuf> = ["lib.rs", "main.rs"]
        .iter()
        .map(|f| dir.join(f))
        .filter(|p| p.is_file())
        .collect();
    let primary = !roots.is_empty();
    if let Ok(entries) = fs::read_dir(dir.join("bin")) {
        let mut bins: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
        bins.sort();
        for bin in bins {
            if bin.is_dir() && bin.join("main.rs").is_file() {
                roots.push(bin.join("main.rs"));
            } else if bin.is_file() && bin.extension().is_some_and(|e| e == "rs") {
                roots.push(bin);
            }
        }
    }
    let mut seen = BTreeSet::new();
    let mut test_paths = Vec::new();
    let mut crates: Vec<Crate> = roots
        .iter()
        .map(|root| walk(ws, root, &mut seen, &mut test_paths))
        .collect();
    if !primary {
        return crates;
    }
    // Files no `mod` item reaches belong to the library (or the `main.rs` binary) by place.
    let mut files = Vec::new();
    source_files(dir, &dir.join("bin"), &mut files);
    let mut leftovers = Vec::new();
    for file in files {
        let file = normal(&file);
        let module = module_by_place(dir, &file);
        if seen.contains(&file) || module.iter().any(|m| m == "tests") {
            continue;
        }
        let text = fs::read_to_string(&file).unwrap_or_default();
        let items = scan_file(&lex(&text), &module);
        if items.test_only {
            test_paths.push(file.clone());
        }
        let mod_rs = file.file_name().is_some_and(|n| n == "mod.rs");
        for decl in items.decls.iter().filter(|d| d.test) {
            test_paths.extend(test_scope(&child_file(&file, mod_rs, decl).0));
        }
        leftovers.push((file, module, items));
    }
    for (file, module, items) in leftovers {
        if test_paths.iter().any(|t| file.starts_with(t)) {
            continue;
        }
        let label = relative(ws, &file);
        crates[0].by_place.push(label.clone());
        crates[0].add(label, module, items);
    }
    crates
}

/// Follows the `mod` items from a crate root.
fn walk(
    ws: &Path,
    root: &Path,
    seen: &mut BTreeSet<PathBuf>,
    test_paths: &mut Vec<PathBuf>,
) -> Crate {
    let mut krate = Crate {
        label: relative(ws, root),
        ..Crate::default()
    };
    let mut queue = VecDeque::from([(normal(root), Vec::new(), true)]);
    while let Some((file, module, mod_rs)) = queue.pop_front() {
        if !seen.insert(file.clone()) {
            continue;
        }
        let Ok(text) = fs::read_to_string(&file) else {
            continue;
        };
        let items = scan_file(&lex(&text), &module);
        if items.test_only {
            test_paths.push(file);
            continue;
        }
        for decl in &items.decls {
            let (child, child_mod_rs) = child_file(&file, mod_rs, decl);
            if decl.test || child.file_name().is_some_and(|n| n == "tests.rs") {
                test_paths.extend(test_scope(&child));
            } else {
                let mut path = module.clone();
                path.extend(decl.chain.iter().cloned());
                path.push(decl.name.clone());
                queue.push_back((child, path, child_mod_rs));
            }
        }
        krate.add(relative(ws, &file), module, items);
    }
    krate
}

/// The file a `mod name;` item in `file` loads, and whether that file is a "mod-rs" file
/// (its own `mod` items are relative to its directory).
fn child_file(file: &Path, mod_rs: bool, decl: &ModDecl) -> (PathBuf, bool) {
    let dir = file.parent().unwrap_or(Path::new(""));
    let mut base = if mod_rs {
        dir.to_path_buf()
    } else {
        dir.join(file.file_stem().unwrap_or_default())
    };
    base.extend(&decl.chain);
    if let Some(path) = &decl.path {
        let at = if decl.chain.is_empty() { dir } else { &base };
        return (normal(&at.join(path)), true);
    }
    let flat = base.join(format!("{}.rs", decl.name));
    if flat.is_file() {
        (normal(&flat), false)
    } else {
        (normal(&base.join(&decl.name).join("mod.rs")), true)
    }
}

/// A test module's file and the directory of its own submodules.
fn test_scope(file: &Path) -> [PathBuf; 2] {
    let children = if file.file_name().is_some_and(|n| n == "mod.rs") {
        file.parent().unwrap_or(file).to_path_buf()
    } else {
        file.with_extension("")
    };
    [file.to_path_buf(), children]
}

fn source_files(dir: &Path, skip: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    paths.sort();
    for path in paths {
        if path == skip {
            continue;
        }
        if path.is_dir() {
            source_files(&path, skip, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// `foo.rs` and `foo/mod.rs` are `foo`, `foo/bar.rs` is `foo::bar`, `lib.rs` the crate root.
fn module_by_place(dir: &Path, file: &Path) -> Vec<String> {
    let rel = file.strip_prefix(dir).unwrap_or(file).with_extension("");
    let mut module: Vec<String> = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    if module.last().is_some_and(|m| m == "mod") || module == ["lib"] || module == ["main"] {
        module.pop();
    }
    module
}

/// The path without `.` and `..` components.
fn normal(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

fn relative(ws: &Path, file: &Path) -> String {
    let rel = file.strip_prefix(normal(ws)).unwrap_or(file);
    rel.components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

/// The sibling edges of one crate.
fn graph(krate: &Crate) -> CrateGraph {
    let mut refs: Vec<&(String, Ref)> = krate.refs.iter().collect();
    refs.sort_by(|(fa, a), (fb, b)| (fa, a.line).cmp(&(fb, b.line)));
    let mut edges: BTreeMap<Vec<String>, Siblings> = BTreeMap::new();
    for (file, r) in refs {
        // The module referenced: the longest prefix of the path that is a module.
        let to = (0..=r.target.len())
            .rev()
            .map(|n| &r.target[..n])
            .find(|m| krate.modules.contains(*m))
            .unwrap_or_default();
        let from = &r.from;
        let common = from.iter().zip(to).take_while(|(a, b)| a == b).count();
        if common == from.len() || common == to.len() {
            continue; // the same module, an ancestor or a descendant
        }
        edges
            .entry(from[..common].to_vec())
            .or_default()
            .entry((from[common].clone(), to[common].clone()))
            .or_insert_with(|| Example {
                file: file.clone(),
                line: r.line,
                written: r.written.clone(),
            });
    }
    CrateGraph {
        label: krate.label.clone(),
        modules: krate.modules.len(),
        files: krate.files,
        by_place: krate.by_place.clone(),
        edges,
    }
}

/// The cycles among the children of each parent: strongly connected components of two or more.
fn cycles(graph: &CrateGraph) -> Vec<Cycle> {
    let mut found = Vec::new();
    for (parent, siblings) in &graph.edges {
        let names: Vec<&String> = siblings
            .keys()
            .flat_map(|(a, b)| [a, b])
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        let index = |name: &String| names.binary_search(&name).unwrap();
        let mut adj = vec![Vec::new(); names.len()];
        for (from, to) in siblings.keys() {
            adj[index(from)].push(index(to));
        }
        for mut component in strongly_connected(&adj) {
            if component.len() < 2 {
                continue;
            }
            component.sort_unstable();
            let inside = |name: &String| component.contains(&index(name));
            let edges = siblings
                .iter()
                .filter(|((a, b), _)| inside(a) && inside(b))
                .map(|((a, b), example)| (a.clone(), b.clone(), example.clone()))
                .collect();
            let around = shortest_cycle(&adj, &component, component[0])
                .into_iter()
                .map(|n| names[n].clone())
                .collect();
            found.push(Cycle {
                krate: graph.label.clone(),
                parent: name(parent),
                members: component.iter().map(|&n| names[n].clone()).collect(),
                around,
                edges,
            });
        }
    }
    found
}

/// Tarjan's strongly connected components.
fn strongly_connected(adj: &[Vec<usize>]) -> Vec<Vec<usize>> {
    struct Tarjan<'a> {
        adj: &'a [Vec<usize>],
        index: Vec<Option<usize>>,
        low: Vec<usize>,
        on_stack: Vec<bool>,
        stack: Vec<usize>,
        next: usize,
        out: Vec<Vec<usize>>,
    }
    impl Tarjan<'_> {
        fn visit(&mut self, v: usize) {
            self.index[v] = Some(self.next);
            self.low[v] = self.next;
            self.next += 1;
            self.stack.push(v);
            self.on_stack[v] = true;
            let adj = self.adj;
            for &w in &adj[v] {
                match self.index[w] {
                    None => {
                        self.visit(w);
                        self.low[v] = self.low[v].min(self.low[w]);
                    }
                    Some(i) if self.on_stack[w] => self.low[v] = self.low[v].min(i),
                    Some(_) => {}
                }
            }
            if self.index[v] == Some(self.low[v]) {
                let mut component = Vec::new();
                while let Some(w) = self.stack.pop() {
                    self.on_stack[w] = false;
                    component.push(w);
                    if w == v {
                        break;
                    }
                }
                self.out.push(component);
            }
        }
    }
    let n = adj.len();
    let mut tarjan = Tarjan {
        adj,
        index: vec![None; n],
        low: vec![0; n],
        on_stack: vec![false; n],
        stack: Vec::new(),
        next: 0,
        out: Vec::new(),
    };
    for v in 0..n {
        if tarjan.index[v].is_none() {
            tarjan.visit(v);
        }
    }
    tarjan.out
}

/// The shortest way from `start` back to itself inside `component` (breadth first).
fn shortest_cycle(adj: &[Vec<usize>], component: &[usize], start: usize) -> Vec<usize> {
    let mut previous: BTreeMap<usize, usize> = BTreeMap::new();
    let mut queue = VecDeque::from([start]);
    while let Some(v) = queue.pop_front() {
        for &w in &adj[v] {
            if !component.contains(&w) {
                continue;
            }
            if w == start {
                let mut path = vec![v];
                let mut at = v;
                while let Some(&p) = previous.get(&at) {
                    path.push(p);
                    at = p;
                }
                path.reverse();
                path.push(start);
                return path;
            }
            if w != start && !previous.contains_key(&w) {
                previous.insert(w, v);
                queue.push_back(w);
            }
        }
    }
    Vec::new()
}

fn name(module: &[String]) -> String {
    std::iter::once("crate")
        .chain(module.iter().map(String::as_str))
        .collect::<Vec<_>>()
        .join("::")
}

fn render(scan: &Scan) -> String {
    let mut out = format!(
        "{} module cycle(s) (issue 16, \"No module cycles\"); break each by moving what both \
         sides need into a module below them both:\n",
        scan.cycles.len()
    );
    for cycle in &scan.cycles {
        writeln!(
            out,
            "\n{}: in `{}`, {{{}}}, e.g. {}",
            cycle.krate,
            cycle.parent,
            cycle.members.join(", "),
            cycle.around.join(" -> ")
        )
        .unwrap();
        for (from, to, example) in &cycle.edges {
            writeln!(
                out,
                "    {from} -> {to}: {}:{} `{}`",
                example.file, example.line, example.written
            )
            .unwrap();
        }
    }
    out.push_str("\nchecked:\n");
    for krate in &scan.crates {
        writeln!(
            out,
            "    {}: {} files, {} modules",
            krate.label, krate.files, krate.modules
        )
        .unwrap();
        for file in &krate.by_place {
            writeln!(
                out,
                "        {file}: reached by no `mod` item, checked by place"
            )
            .unwrap();
        }
    }
    out
}

// Reading Rust source: tokens, without comments and literals.

#[derive(Debug, Clone, PartialEq, Eq)]
enum Tok {
    Ident(String),
    /// A string literal's text (raw or not, escapes left as written).
    Str(String),
    /// `::`
    PathSep,
    Punct(char),
}

#[derive(Debug)]
struct Token {
    tok: Tok,
    line: usize,
}

/// The tokens of a Rust file, with comments, doc comments and char literals dropped.
fn lex(src: &str) -> Vec<Token> {
    let cs: Vec<char> = src.chars().collect();
    let at = |i: usize| cs.get(i).copied().unwrap_or('\0');
    let mut out = Vec::new();
    let mut line = 1;
    let mut i = 0;
    while i < cs.len() {
        let c = cs[i];
        let start = line;
        if c == '\n' {
            line += 1;
            i += 1;
        } else if c.is_whitespace() {
            i += 1;
        } else if c == '/' && at(i + 1) == '/' {
            while i < cs.len() && cs[i] != '\n' {
                i += 1;
            }
        } else if c == '/' && at(i + 1) == '*' {
            let mut depth = 0;
            while i < cs.len() {
                if cs[i] == '/' && at(i + 1) == '*' {
                    depth += 1;
                    i += 2;
                } else if cs[i] == '*' && at(i + 1) == '/' {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    line += usize::from(cs[i] == '\n');
                    i += 1;
                }
            }
        } else if c == '"' {
            let (text, end) = quoted(&cs, i + 1, &mut line);
            out.push(Token {
                tok: Tok::Str(text),
                line: start,
            });
            i = end;
        } else if c == '\'' {
            if at(i + 1) == '\\' {
                // An escaped char: skip the escape, then up to the closing quote.
                i += 3;
                while i < cs.len() && cs[i] != '\'' {
                    i += 1;
                }
                i += 1;
            } else if at(i + 2) == '\'' && at(i + 1) != '\'' {
                i += 3;
            } else {
                // A lifetime or a label.
                out.push(Token {
                    tok: Tok::Punct('\''),
                    line,
                });
                i += 1;
            }
        } else if c == '_' || c.is_alphanumeric() {
            let begin = i;
            while i < cs.len() && (cs[i] == '_' || cs[i].is_alphanumeric()) {
                i += 1;
            }
            let word: String = cs[begin..i].iter().collect();
            if matches!(word.as_str(), "r" | "br" | "cr") && matches!(at(i), '"' | '#') {
                let hashes = cs[i..].iter().take_while(|&&h| h == '#').count();
                if at(i + hashes) == '"' {
                    let (text, end) = raw(&cs, i + hashes + 1, hashes, &mut line);
                    out.push(Token {
                        tok: Tok::Str(text),
                        line: start,
                    });
                    i = end;
                    continue;
                }
                if word == "r" && hashes == 1 {
                    // A raw identifier: `r#type`.
                    i += 1;
                    let begin = i;
                    while i < cs.len() && (cs[i] == '_' || cs[i].is_alphanumeric()) {
                        i += 1;
                    }
                    out.push(Token {
                        tok: Tok::Ident(cs[begin..i].iter().collect()),
                        line,
                    });
                    continue;
                }
            }
            if matches!(word.as_str(), "b" | "c") && matches!(at(i), '"' | '\'') {
                continue; // the prefix of a byte or C string, or of a byte: the literal follows
            }
            out.push(Token {
                tok: Tok::Ident(word),
                line,
            });
        } else if c == ':' && at(i + 1) == ':' {
            out.push(Token {
                tok: Tok::PathSep,
                line,
            });
            i += 2;
        } else {
            out.push(Token {
                tok: Tok::Punct(c),
                line,
            });
            i += 1;
        }
    }
    out
}

/// A string literal's text from `i` (just after the opening quote) and the index after it.
fn quoted(cs: &[char], mut i: usize, line: &mut usize) -> (String, usize) {
    let mut text = String::new();
    while i < cs.len() {
        match cs[i] {
            '\\' => {
                text.extend(cs[i..].iter().take(2));
                *line += usize::from(cs.get(i + 1) == Some(&'\n'));
                i += 2;
            }
            '"' => return (text, i + 1),
            c => {
                *line += usize::from(c == '\n');
                text.push(c);
                i += 1;
            }
        }
    }
    (text, i)
}

/// A raw string literal's text from `i` (just after the opening quote) and the index after it.
fn raw(cs: &[char], mut i: usize, hashes: usize, line: &mut usize) -> (String, usize) {
    let begin = i;
    while i < cs.len() {
        if cs[i] == '"' && (1..=hashes).all(|k| cs.get(i + k) == Some(&'#')) {
            return (cs[begin..i].iter().collect(), i + 1 + hashes);
        }
        *line += usize::from(cs[i] == '\n');
        i += 1;
    }
    (cs[begin..].iter().collect(), i)
}

fn is_punct(toks: &[Token], i: usize, c: char) -> bool {
    toks.get(i).is_some_and(|t| t.tok == Tok::Punct(c))
}

fn ident(toks: &[Token], i: usize) -> Option<&str> {
    match toks.get(i).map(|t| &t.tok) {
        Some(Tok::Ident(word)) => Some(word),
        _ => None,
    }
}

/// The index of the bracket closing the one at `open`, or the end.
fn closing(toks: &[Token], open: usize) -> usize {
    let mut depth = 0usize;
    for (i, token) in toks.iter().enumerate().skip(open) {
        match token.tok {
            Tok::Punct('(' | '[' | '{') => depth += 1,
            Tok::Punct(')' | ']' | '}') => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    return i;
                }
            }
            _ => {}
        }
    }
    toks.len()
}

/// The references and `mod` items of one file whose module is `module`.
fn scan_file(toks: &[Token], module: &[String]) -> FileItems {
    let mut scanner = Scanner {
        toks,
        module,
        depth: 0,
        inline: Vec::new(),
        items: FileItems::default(),
    };
    let mut i = 0;
    while i < toks.len() {
        i = scanner.step(i);
    }
    scanner.items
}

struct Scanner<'a> {
    toks: &'a [Token],
    module: &'a [String],
    /// Brace depth.
    depth: usize,
    /// The inline modules around the current token, with the depth of their bodies.
    inline: Vec<(String, usize)>,
    items: FileItems,
}

impl Scanner<'_> {
    /// The module of the current token.
    fn current(&self) -> Vec<String> {
        let mut module = self.module.to_vec();
        module.extend(self.inline.iter().map(|(name, _)| name.clone()));
        module
    }

    /// Handles the token at `i`; returns the index of the next one to look at.
    fn step(&mut self, i: usize) -> usize {
        let toks = self.toks;
        match &toks[i].tok {
            Tok::Punct('#') => self.attributes(i),
            Tok::Punct('{') => {
                self.depth += 1;
                i + 1
            }
            Tok::Punct('}') => {
                if self.inline.last().is_some_and(|(_, d)| *d == self.depth) {
                    self.inline.pop();
                }
                self.depth = self.depth.saturating_sub(1);
                i + 1
            }
            Tok::Ident(word) if word == "mod" => self.module_item(i, false, None).unwrap_or(i + 1),
            Tok::Ident(word)
                if matches!(word.as_str(), "crate" | "super" | "self")
                    && toks.get(i + 1).is_some_and(|t| t.tok == Tok::PathSep)
                    && !(i > 0 && toks[i - 1].tok == Tok::PathSep) =>
            {
                self.path(i)
            }
            _ => i + 1,
        }
    }

    /// Attributes from `i` and the item they apply to: left out when it is test code.
    fn attributes(&mut self, i: usize) -> usize {
        let toks = self.toks;
        let (mut test, mut path, mut j) = (false, None, i);
        while is_punct(toks, j, '#') {
            let inner = is_punct(toks, j + 1, '!');
            let open = j + 1 + usize::from(inner);
            if !is_punct(toks, open, '[') {
                break;
            }
            let close = closing(toks, open);
            let body = &toks[open + 1..close];
            if inner {
                if is_cfg_test(body) && self.inline.is_empty() {
                    self.items.test_only = true;
                    return toks.len();
                }
            } else {
                test |= is_cfg_test(body);
                path = path.or_else(|| path_attr(body));
            }
            j = (close + 1).min(toks.len());
        }
        if j == i {
            return i + 1;
        }
        let item = skip_visibility(toks, j);
        if ident(toks, item) == Some("mod") {
            if let Some(next) = self.module_item(item, test, path) {
                return next;
            }
        }
        if test {
            skip_item(toks, item).max(j)
        } else {
            j
        }
    }

    /// A `mod name;` or `mod name { .. }` item at `i`.
    fn module_item(&mut self, i: usize, test: bool, path: Option<String>) -> Option<usize> {
        let toks = self.toks;
        let name = ident(toks, i + 1)?.to_owned();
        let test = test || name == "tests";
        if is_punct(toks, i + 2, ';') {
            self.items.decls.push(ModDecl {
                name,
                chain: self.inline.iter().map(|(n, _)| n.clone()).collect(),
                path,
                test,
            });
            Some(i + 3)
        } else if is_punct(toks, i + 2, '{') {
            if test {
                return Some(closing(toks, i + 2) + 1);
            }
            self.depth += 1;
            self.inline.push((name, self.depth));
            self.items.inline.push(self.current());
            Some(i + 3)
        } else {
            None
        }
    }

    /// A path starting at `i` with `crate`, `super` or `self`, with its `use` tree if any.
    fn path(&mut self, i: usize) -> usize {
        let mut found = Vec::new();
        let next = use_tree(self.toks, i, Vec::new(), &mut found);
        let from = self.current();
        for (written, line) in found {
            if let Some(target) = resolve(&from, &written) {
                self.items.refs.push(Ref {
                    from: from.clone(),
                    target,
                    written: shown(&written),
                    line,
                });
            }
        }
        next.max(i + 1)
    }
}

/// `pub`, `pub(crate)`, `pub(in a::b)`, ..
fn skip_visibility(toks: &[Token], i: usize) -> usize {
    if ident(toks, i) != Some("pub") {
        i
    } else if is_punct(toks, i + 1, '(') {
        closing(toks, i + 1) + 1
    } else {
        i + 1
    }
}

/// The index after the item starting at `start`, or `start` when it is no item it knows.
fn skip_item(toks: &[Token], start: usize) -> usize {
    let mut k = start;
    let block = loop {
        match ident(toks, k) {
            Some("fn" | "impl" | "trait" | "struct" | "enum" | "union" | "macro_rules" | "mod") => {
                break true
            }
            Some("use" | "static" | "type") => break false,
            Some("const")
                if !matches!(
                    ident(toks, k + 1),
                    Some("fn" | "unsafe" | "async" | "extern")
                ) =>
            {
                break false
            }
            Some("extern") if ident(toks, k + 1) == Some("crate") => break false,
            Some("const" | "async" | "unsafe" | "extern" | "default" | "auto") => k += 1,
            _ => return start,
        }
        if matches!(toks.get(k).map(|t| &t.tok), Some(Tok::Str(_))) {
            k += 1; // extern "C"
        }
    };
    let mut depth = 0usize;
    for (m, token) in toks.iter().enumerate().skip(k) {
        match token.tok {
            Tok::Punct('(' | '[' | '{') => depth += 1,
            Tok::Punct(')' | ']') => depth = depth.saturating_sub(1),
            Tok::Punct('}') => {
                depth = depth.saturating_sub(1);
                if block && depth == 0 {
                    return m + 1;
                }
            }
            Tok::Punct(';') if depth == 0 => return m + 1,
            _ => {}
        }
    }
    toks.len()
}

/// `cfg(test)`, or `cfg(all(.., test, ..))`.
fn is_cfg_test(body: &[Token]) -> bool {
    let toks: Vec<&Tok> = body.iter().map(|t| &t.tok).collect();
    match toks.as_slice() {
        [Tok::Ident(cfg), Tok::Punct('('), predicate @ .., Tok::Punct(')')] if cfg == "cfg" => {
            requires_test(predicate)
        }
        _ => false,
    }
}

fn requires_test(predicate: &[&Tok]) -> bool {
    match predicate {
        [Tok::Ident(test)] => test == "test",
        [Tok::Ident(all), Tok::Punct('('), args @ .., Tok::Punct(')')] if all == "all" => {
            let (mut depth, mut start, mut found) = (0usize, 0, false);
            for (k, tok) in args.iter().enumerate() {
                match tok {
                    Tok::Punct('(') => depth += 1,
                    Tok::Punct(')') => depth = depth.saturating_sub(1),
                    Tok::Punct(',') if depth == 0 => {
                        found |= requires_test(&args[start..k]);
                        start = k + 1;
                    }
                    _ => {}
                }
            }
            found || requires_test(&args[start..])
        }
        _ => false,
    }
}

/// `path = ".."`
fn path_attr(body: &[Token]) -> Option<String> {
    match body {
        [Token {
            tok: Tok::Ident(key),
            ..
        }, Token {
            tok: Tok::Punct('='),
            ..
        }, Token {
            tok: Tok::Str(path),
            ..
        }] if key == "path" => Some(path.clone()),
        _ => None,
    }
}

/// The paths of a path or `use` tree from `i` (`a::b`, `a::{b, c::{self, d}}`, `a::*`), each
/// with the line of its last segment; returns the index after it.
fn use_tree(
    toks: &[Token],
    mut i: usize,
    mut path: Vec<String>,
    out: &mut Vec<(Vec<String>, usize)>,
) -> usize {
    let mut line = toks.get(i).map_or(0, |t| t.line);
    loop {
        match toks.get(i).map(|t| &t.tok) {
            Some(Tok::Ident(word)) => {
                path.push(word.clone());
                line = toks[i].line;
                i += 1;
            }
            Some(Tok::Punct('{')) => {
                i += 1;
                loop {
                    match toks.get(i).map(|t| &t.tok) {
                        None => return i,
                        Some(Tok::Punct('}')) => return i + 1,
                        Some(Tok::Punct(',')) => i += 1,
                        Some(_) => {
                            let next = use_tree(toks, i, path.clone(), out);
                            if next == i {
                                return i;
                            }
                            i = next;
                        }
                    }
                }
            }
            Some(Tok::Punct('*')) => {
                out.push((path, line));
                return i + 1;
            }
            _ => break,
        }
        if toks.get(i).is_some_and(|t| t.tok == Tok::PathSep) {
            i += 1;
        } else {
            break;
        }
    }
    if !path.is_empty() {
        out.push((path, line));
    }
    i
}

/// A path as written, without the `self` of `use a::{self}`.
fn shown(written: &[String]) -> String {
    let mut segments = vec![written[0].as_str()];
    segments.extend(
        written[1..]
            .iter()
            .map(String::as_str)
            .filter(|s| *s != "self"),
    );
    segments.join("::")
}

/// The module path `written` names from code in module `from`, or `None` above the root.
fn resolve(from: &[String], written: &[String]) -> Option<Vec<String>> {
    let mut segments = written.iter().map(String::as_str).peekable();
    let mut target = from.to_vec();
    if segments.peek() == Some(&"crate") {
        target.clear();
        segments.next();
    }
    while let Some(&segment) = segments.peek() {
        match segment {
            "super" => {
                target.pop()?;
            }
            "self" => {}
            _ => break,
        }
        segments.next();
    }
    target.extend(segments.filter(|s| *s != "self").map(str::to_owned));
    Some(target)
}
