//! One compile run: loads files and their includes, collects every definition, compiles
//! campaigns into candidates, assembles slots and interns strings. Errors accumulate; nothing
//! stops at the first one.

use std::collections::{BTreeMap, HashMap};
use std::ops::Range;
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

use toml::Spanned;

use super::diagnostic::{located, Acknowledgement, CompileError, Level};
use super::source::{AckSrc, ActivitySrc, ExprSrc, File};
use super::{Loader, Options, Source};
use vitrine_core::snapshot::catalog::Catalog;
use vitrine_core::snapshot::expr::Expr;
use vitrine_core::snapshot::{ActivityPaths, Candidate, Slot, Sym};

/// A reference to a sensitive attribute or segment, found while compiling an expression.
#[derive(Clone)]
pub(super) struct Hit {
    pub file: usize,
    pub span: Range<usize>,
    pub name: String,
}

/// Names the strategies may refer to, from the compiled `[catalog]`.
#[derive(Default)]
pub(super) struct CatalogNames {
    /// Per-product tables, in catalog order (a strategy stores the index).
    pub tables: Vec<String>,
    /// Lists: name and whether it is keyed.
    pub lists: Vec<(String, bool)>,
}

impl CatalogNames {
    pub fn of(run: &Run<'_>, catalog: &Catalog) -> Self {
        Self {
            tables: catalog
                .tables
                .iter()
                .map(|t| run.text(*t).to_owned())
                .collect(),
            lists: catalog
                .lists
                .iter()
                .map(|l| (run.text(l.name).to_owned(), l.key.is_some()))
                .collect(),
        }
    }
}

/// A file to load: its name, its text if given, and the include that named it.
type Pending = (String, Option<String>, Option<(usize, Range<usize>)>);

/// A compiled campaign waiting to be placed in its slot.
pub(super) struct Placed {
    pub slot: String,
    pub priority: i64,
    pub order: usize,
    pub candidate: Candidate,
    pub file: usize,
    pub id_span: Range<usize>,
    pub hits: Vec<Hit>,
}

pub(super) struct Run<'l> {
    pub loader: &'l dyn Loader,
    pub opts: &'l Options,
    pub files: Vec<(String, String)>,
    pub errors: Vec<CompileError>,
    pub warnings: Vec<CompileError>,
    strings: HashMap<Arc<str>, u32>,
    pub(super) string_list: Vec<Arc<str>>,
    pub segment_src: BTreeMap<String, (usize, Spanned<ExprSrc>)>,
    pub segment_done: HashMap<String, Option<(Expr, Vec<Hit>)>>,
    pub visiting: Vec<String>,
    pub hits: Vec<Hit>,
    pub policy: super::html::Policy,
    pub ack: AckSrc,
    /// Product ids of the catalog, once imported (campaigns may bind one).
    pub product_ids: Option<std::collections::HashSet<String>>,
    /// Experiment key → (index in the snapshot, arm names), for campaigns' `experiment`/`arm`.
    pub experiment_arms: HashMap<String, (u32, Vec<String>)>,
    /// Tables and lists of the catalog, once imported (recommendation strategies name them).
    pub catalog_names: Option<CatalogNames>,
}

impl<'l> Run<'l> {
    pub fn new(loader: &'l dyn Loader, opts: &'l Options) -> Self {
        Self {
            loader,
            opts,
            files: Vec::new(),
            errors: Vec::new(),
            warnings: Vec::new(),
            strings: HashMap::new(),
            string_list: Vec::new(),
            segment_src: BTreeMap::new(),
            segment_done: HashMap::new(),
            visiting: Vec::new(),
            hits: Vec::new(),
            policy: super::html::Policy::default(),
            ack: AckSrc::default(),
            product_ids: None,
            experiment_arms: HashMap::new(),
            catalog_names: None,
        }
    }

    /// Records an error at `span` of file `file`.
    pub fn error(
        &mut self,
        file: usize,
        span: Range<usize>,
        code: &'static str,
        field: &str,
        message: String,
        hint: &str,
    ) {
        let e = self.at(Level::Error, file, span, code, field, message, hint);
        self.errors.push(e);
    }

    /// Records a warning at `span` of file `file`.
    #[allow(clippy::too_many_arguments)]
    pub fn warn(
        &mut self,
        file: usize,
        span: Range<usize>,
        code: &'static str,
        field: &str,
        message: String,
        hint: &str,
        acknowledge: Acknowledgement,
    ) {
        let mut w = self.at(Level::Warning, file, span, code, field, message, hint);
        w.acknowledge = Some(acknowledge);
        self.warnings.push(w);
    }

    #[allow(clippy::too_many_arguments)]
    fn at(
        &self,
        level: Level,
        file: usize,
        span: Range<usize>,
        code: &'static str,
        field: &str,
        message: String,
        hint: &str,
    ) -> CompileError {
        let (name, text) = self
            .files
            .get(file)
            .map_or(("?", ""), |(n, t)| (n.as_str(), t.as_str()));
        located(level, code, (name, text), span, field, message, hint)
    }

    /// Interns `s`.
    pub fn sym(&mut self, s: &str) -> Sym {
        if let Some(&i) = self.strings.get(s) {
            return Sym(i);
        }
        let i = self.string_list.len() as u32;
        let shared: Arc<str> = Arc::from(s);
        self.string_list.push(Arc::clone(&shared));
        self.strings.insert(shared, i);
        Sym(i)
    }

    /// The interned string `sym`.
    pub fn text(&self, sym: Sym) -> &str {
        self.string_list.get(sym.0 as usize).map_or("", |s| s)
    }

    /// A path named in file `file`, resolved relative to that file.
    pub fn resolve(&self, file: usize, path: &str) -> String {
        let base = self.files.get(file).map_or("", |(n, _)| n.as_str());
        resolve_relative(base, path)
    }

    /// Checks an `[activity]` table (patterns as in `vitrine_core::cookie::activity::validate_pattern`).
    pub(super) fn activity_paths(
        &mut self,
        file: usize,
        table: Spanned<ActivitySrc>,
        seen: &mut Option<ActivityPaths>,
    ) {
        if seen.is_some() {
            self.error(
                file,
                table.span(),
                "duplicate-activity",
                "activity",
                "a second [activity] table".into(),
                "keep one [activity] table across all campaign files",
            );
            return;
        }
        let table = table.into_inner();
        let mut check = |p: Option<Spanned<String>>, field: &str| {
            let p = p?;
            match vitrine_core::cookie::activity::validate_pattern(p.get_ref()) {
                Ok(()) => Some(p.into_inner()),
                Err(e) => {
                    self.error(
                        file,
                        p.span(),
                        "activity-pattern",
                        field,
                        e.to_string(),
                        "write a path with one {id}, e.g. \"/p/{id}\"",
                    );
                    None
                }
            }
        };
        *seen = Some(ActivityPaths {
            product_path: check(table.product_path, "activity.product_path"),
            category_path: check(table.category_path, "activity.category_path"),
        });
    }

    /// Parses the given files and everything they include (each file once).
    pub(super) fn load_all(&mut self, sources: &[Source<'_>]) -> Vec<(usize, File)> {
        let mut queue: Vec<Pending> = sources
            .iter()
            .map(|s| (s.name.to_owned(), Some(s.text.to_owned()), None))
            .collect();
        queue.reverse();
        let mut parsed = Vec::new();
        while let Some((name, text, from)) = queue.pop() {
            if self.files.iter().any(|(n, _)| *n == name) {
                continue;
            }
            let text = match text {
                Some(t) => t,
                None => match self.read_text(&name) {
                    Ok(t) => t,
                    Err(why) => {
                        if let Some((file, span)) = from {
                            self.error(
                                file,
                                span,
                                "include",
                                "include",
                                why,
                                "check the path; includes are relative to the including file",
                            );
                        }
                        continue;
                    }
                },
            };
            let index = self.files.len();
            self.files.push((name, text));
            let parsed_file: Result<File, toml::de::Error> = toml::from_str(&self.files[index].1);
            match parsed_file {
                Ok(f) => {
                    for inc in f.include.iter().rev() {
                        let path = self.resolve(index, inc.get_ref());
                        queue.push((path, None, Some((index, inc.span()))));
                    }
                    parsed.push((index, f));
                }
                Err(e) => {
                    let span = e.span().unwrap_or(0..0);
                    let message = e.message().to_owned();
                    let hint = if message.contains("unknown field") {
                        "remove or rename the key; see schema/campaign.schema.json for the allowed keys"
                    } else {
                        "fix the TOML at this spot"
                    };
                    self.error(index, span, "syntax", "syntax", message, hint);
                }
            }
        }
        parsed
    }

    /// Reads a UTF-8 file through the loader.
    pub fn read_text(&self, path: &str) -> Result<String, String> {
        let bytes = self.loader.load(path)?;
        String::from_utf8(bytes).map_err(|_| format!("{path}: not UTF-8"))
    }
}

/// Groups candidates by slot: highest priority first, ties in authoring order; slots by name.
pub(super) fn assemble(mut placed: Vec<Placed>, run: &mut Run<'_>) -> Vec<Slot> {
    placed.sort_by_key(|p| (std::cmp::Reverse(p.priority), p.order));
    let mut by_slot: BTreeMap<String, Vec<Candidate>> = BTreeMap::new();
    for p in placed {
        by_slot.entry(p.slot).or_default().push(p.candidate);
    }
    by_slot
        .into_iter()
        .map(|(name, candidates)| Slot {
            name: run.sym(&name),
            candidates,
        })
        .collect()
}

/// `path` as named in the file `base`: relative to `base`'s folder, with `.` and `x/..`
/// removed. Includes and `[catalog]` files resolve this way; the studio finds a file's
/// includes with it so that its names match the compiler's.
pub fn resolve_relative(base: &str, path: &str) -> String {
    let base = Path::new(base)
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default();
    let mut out = PathBuf::new();
    for c in base.join(path).components() {
        match c {
            Component::ParentDir
                if matches!(out.components().next_back(), Some(Component::Normal(_))) =>
            {
                out.pop();
            }
            Component::CurDir => {}
            other => out.push(other),
        }
    }
    out.to_string_lossy().into_owned()
}
