//! The campaign files as they are on disk right now: the files given on the command line and
//! everything they include. Re-read on every request, so the files stay the source of truth
//! and edits made in another editor show on the next reload. Compiles through
//! `vitrine_compile::build` with an overlay, so an edit is checked before it is saved.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use toml_edit::{DocumentMut, Item, Table};
use vitrine_compile::document::strings;
use vitrine_compile::{resolve_relative, Build, CompileError, Loader, Options, Source};

use crate::rewrite::schedule_of;

/// Replaces the file at `path` with `text` whole: written to a temporary file beside it,
/// flushed to disk, then renamed over it, so a crash, a full disk or a killed studio leaves
/// either the old file or the new one, never a file cut short. An existing file keeps its
/// permissions, and a symbolic link stays one: the file it points to is replaced.
pub fn write_file(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write as _;
    let target = match std::fs::canonicalize(path) {
        Ok(real) => real,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => path.to_path_buf(),
        Err(e) => return Err(e),
    };
    let dir = match target.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let mut temp = tempfile::NamedTempFile::new_in(dir)?;
    temp.write_all(text.as_bytes())?;
    if let Ok(meta) = std::fs::metadata(&target) {
        temp.as_file().set_permissions(meta.permissions())?;
    }
    temp.as_file().sync_all()?;
    temp.persist(&target).map_err(|e| e.error)?;
    Ok(())
}

/// One campaign file and its text.
pub struct File {
    /// The name the compiler reports it under (as given, or resolved from an include).
    pub name: String,
    /// Its text (empty when it cannot be read).
    pub text: String,
    /// Why it could not be read: the compile reports it at the include that names the file.
    pub unreadable: Option<String>,
}

/// Every campaign file of the studio.
pub struct Workspace {
    /// The files named on the command line.
    pub roots: Vec<String>,
    /// Those and their includes, each once, in the order found.
    pub files: Vec<File>,
}

/// One campaign as the list shows it.
pub struct Campaign {
    /// Its id.
    pub id: String,
    /// The file it is written in.
    pub file: String,
    /// Its slot.
    pub slot: String,
    /// Segments, audience and `when`, as one line.
    pub audience: String,
    /// Its priority (0 when not given).
    pub priority: i64,
    /// Schedule bounds as written.
    pub start: Option<String>,
    /// Schedule end as written.
    pub end: Option<String>,
    /// `experiment / arm`, if it is an arm.
    pub arm: Option<String>,
}

impl Workspace {
    /// Reads the files and, following `include`, the files they name.
    pub fn read(roots: &[PathBuf]) -> Self {
        let roots: Vec<String> = roots.iter().map(|p| p.display().to_string()).collect();
        let mut files: Vec<File> = Vec::new();
        let mut queue: Vec<String> = roots.iter().rev().cloned().collect();
        while let Some(name) = queue.pop() {
            if files.iter().any(|f| f.name == name) {
                continue;
            }
            let (text, unreadable) = match std::fs::read_to_string(&name) {
                Ok(text) => (text, None),
                Err(e) => (String::new(), Some(format!("{name}: {e}"))),
            };
            if let Ok(doc) = text.parse::<DocumentMut>() {
                let includes = strings(doc.get("include")).unwrap_or_default();
                for inc in includes.iter().rev() {
                    queue.push(resolve_relative(&name, inc));
                }
            }
            files.push(File {
                name,
                text,
                unreadable,
            });
        }
        Self { roots, files }
    }

    /// The file campaign `id` is written in.
    pub fn file_of(&self, id: &str) -> Option<&File> {
        self.files.iter().find(|f| {
            tables(&f.text)
                .iter()
                .any(|t| t.get("id").and_then(Item::as_str) == Some(id))
        })
    }

    /// Every campaign, in file order.
    pub fn campaigns(&self) -> Vec<Campaign> {
        let mut out = Vec::new();
        for f in &self.files {
            for t in tables(&f.text) {
                out.push(campaign(&f.name, &t));
            }
        }
        out
    }

    /// Compiles the files, with `file` replaced by `text` when given (an edit not yet saved).
    pub fn compile(
        &self,
        overlay: Option<(&str, &str)>,
        options: &Options,
    ) -> Result<Build, Vec<CompileError>> {
        let mut texts: HashMap<&str, Result<&str, &str>> = self
            .files
            .iter()
            .map(|f| {
                let text = f.unreadable.as_deref().map_or(Ok(f.text.as_str()), Err);
                (f.name.as_str(), text)
            })
            .collect();
        if let Some((name, text)) = overlay {
            texts.insert(name, Ok(text));
        }
        let sources: Vec<Source<'_>> = self
            .roots
            .iter()
            .filter_map(|r| match texts.get(r.as_str()) {
                Some(Ok(text)) => Some(Source {
                    name: r.as_str(),
                    text,
                }),
                // The command line's files were read when the studio started; one that can no
                // longer be read has nothing to compile.
                _ => None,
            })
            .collect();
        vitrine_compile::build(&sources, &Overlay { texts }, options)
    }
}

/// The loader the compiler reads includes and catalog exports through: the texts read (or
/// edited), or why a file could not be read, which the compiler reports at the include;
/// anything else (catalog exports) from the disk.
struct Overlay<'a> {
    texts: HashMap<&'a str, Result<&'a str, &'a str>>,
}

impl Loader for Overlay<'_> {
    fn load(&self, path: &str) -> Result<Vec<u8>, String> {
        match self.texts.get(path) {
            Some(Ok(text)) => Ok(text.as_bytes().to_vec()),
            Some(Err(why)) => Err((*why).to_owned()),
            None => std::fs::read(path).map_err(|e| format!("{path}: {e}")),
        }
    }
}

fn tables(text: &str) -> Vec<Table> {
    text.parse::<DocumentMut>()
        .ok()
        .and_then(|d| {
            d.get("campaign")
                .and_then(Item::as_array_of_tables)
                .cloned()
        })
        .map(|a| a.iter().cloned().collect())
        .unwrap_or_default()
}

fn text_of(t: &Table, key: &str) -> String {
    t.get(key).and_then(Item::as_str).unwrap_or("").to_owned()
}

fn list_of(t: &Table, key: &str) -> Vec<String> {
    strings(t.get(key)).unwrap_or_default()
}

fn campaign(file: &str, t: &Table) -> Campaign {
    let mut who = Vec::new();
    let segments = list_of(t, "segments");
    if !segments.is_empty() {
        who.push(format!("segments {}", segments.join(", ")));
    }
    let audience = text_of(t, "audience");
    if !audience.is_empty() {
        who.push(audience);
    }
    let exclude = list_of(t, "exclude");
    if !exclude.is_empty() {
        who.push(format!("not {}", exclude.join(", ")));
    }
    if let Some(w) = t.get("when").and_then(Item::as_value) {
        who.push(format!("when {}", w.to_string().trim()));
    }
    let (start, end) = schedule_of(t);
    let experiment = text_of(t, "experiment");
    Campaign {
        id: text_of(t, "id"),
        file: file.to_owned(),
        slot: text_of(t, "slot"),
        audience: who.join("; "),
        priority: t.get("priority").and_then(Item::as_integer).unwrap_or(0),
        start,
        end,
        arm: (!experiment.is_empty()).then(|| format!("{experiment} / {}", text_of(t, "arm"))),
    }
}

/// The folder the campaigns live in (saved personas go next to them).
pub fn folder(roots: &[PathBuf]) -> PathBuf {
    roots
        .first()
        .and_then(|p| p.parent())
        .map(Path::to_path_buf)
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A folder of its own under the system's temporary folder.
    fn folder_with(files: &[(&str, &str)], name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("vitrine-ws-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        for (file, text) in files {
            std::fs::write(dir.join(file), text).unwrap();
        }
        dir
    }

    #[test]
    fn a_written_file_is_replaced_whole_and_leaves_nothing_beside_it() {
        let dir = folder_with(
            &[("shop.toml", "old text, longer than the new one\n")],
            "write",
        );
        let path = dir.join("shop.toml");
        write_file(&path, "new\n").unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "new\n");
        let names: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, ["shop.toml"], "no temporary file is left");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
            let link = dir.join("link.toml");
            std::os::unix::fs::symlink(&path, &link).unwrap();
            write_file(&link, "through the link\n").unwrap();
            assert!(std::fs::symlink_metadata(&link)
                .unwrap()
                .file_type()
                .is_symlink());
            assert_eq!(
                std::fs::read_to_string(&path).unwrap(),
                "through the link\n"
            );
            let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o644, "the file keeps its permissions");
        }
        // A folder that does not exist: an error, and nothing written.
        assert!(write_file(&dir.join("missing/shop.toml"), "x").is_err());
        let _ = std::fs::remove_dir_all(&dir);
    }

    const MAIN: &str = "include = [\"more.toml\"]\n[[campaign]]\nid = \"main\"\nslot = \"strip\"\naudience = \"everyone\"\nhtml = \"m\"\n";
    const MORE: &str =
        "[[campaign]]\nid = \"more\"\nslot = \"hero\"\naudience = \"everyone\"\nhtml = \"a\"\n";

    /// The included file `more.toml`.
    fn more_of(ws: &Workspace) -> &File {
        ws.files
            .iter()
            .find(|f| f.name.ends_with("more.toml"))
            .unwrap()
    }

    #[test]
    fn an_unreadable_include_is_reported_at_the_include() {
        let dir = folder_with(&[("main.toml", MAIN)], "unreadable");
        // A folder where the file should be: it exists, and it cannot be read as a file.
        std::fs::create_dir_all(dir.join("more.toml")).unwrap();
        let ws = Workspace::read(&[dir.join("main.toml")]);
        let more = more_of(&ws);
        assert!(more.unreadable.is_some(), "{:?}", more.text);
        let errors = ws.compile(None, &Options::default()).unwrap_err();
        let at = errors.iter().find(|e| e.field == "include").unwrap();
        assert!(
            at.file.ends_with("main.toml") && (at.line, at.column) == (1, 12),
            "{at}"
        );
        assert!(at.message.contains("more.toml"), "{at}");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn an_include_emptied_by_an_edit_compiles_as_empty_not_as_on_disk() {
        // Regression: an empty text stood for "could not be read" and was read from the disk
        // again, so an edit that emptied an included file was checked against the old file.
        let dir = folder_with(&[("main.toml", MAIN), ("more.toml", MORE)], "emptied");
        let ws = Workspace::read(&[dir.join("main.toml")]);
        let more = more_of(&ws);
        assert!(more.unreadable.is_none());
        let full = ws.compile(None, &Options::default()).unwrap();
        assert!(full.snapshot.slot("hero").is_some());
        let emptied = ws
            .compile(Some((more.name.as_str(), "")), &Options::default())
            .unwrap();
        assert!(emptied.snapshot.slot("hero").is_none());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
