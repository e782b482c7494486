//! Accepting warnings the way the CLI accepts them: in the `[acknowledge]` table of the
//! campaign file each warning is in ([`vitrine_compile::document::acknowledge`], the rest of
//! the file untouched), so the acceptance is in the files' history and `vitrine publish` of the
//! same files accepts exactly what the studio did.
//!
//! Every file's new text is computed first ([`plan`]): a file that cannot take its entries
//! stops the step before anything is written. The files are then replaced one by one
//! ([`write`]); files cannot be replaced together, so a write that fails says which entries
//! were already recorded, as those stay recorded. Never publishes, and never touches a file
//! none of the ticked warnings is in.

use std::path::Path;

use vitrine_compile::document::{acknowledge, strings, AcknowledgeError};
use vitrine_compile::{Acknowledgement, CompileError};

use crate::workspace::{write_file, Workspace};

/// How an acknowledgement reads in the file.
pub fn entry_text(entry: &Acknowledgement) -> String {
    match entry {
        Acknowledgement::Sensitive(id) => format!("sensitive = [\"{id}\"]"),
        Acknowledgement::PastSchedule(id) => format!("past_schedule = [\"{id}\"]"),
        Acknowledgement::UnusedSlot(slot) => format!("unused_slots = [\"{slot}\"]"),
        Acknowledgement::MaxVariants(n) => format!("max_variants = {n}"),
    }
}

/// Why the ticked warnings were not (all) recorded.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AckError {
    /// No warning was ticked.
    #[error("no warning was ticked")]
    NoneTicked,
    /// A file cannot take its entries (its `[acknowledge]` is not a table, …); nothing was
    /// written.
    #[error("{file}: {source}")]
    Entry {
        /// The campaign file.
        file: String,
        /// Why.
        source: AcknowledgeError,
    },
    /// None of the ticked warnings has an entry in a file the studio read.
    #[error("the ticked warnings are in no campaign file the studio can write")]
    NoFile,
    /// A file could not be replaced; the files before it were.
    #[error("cannot write {file}: {source}{}", already(.recorded))]
    Write {
        /// The campaign file not written.
        file: String,
        /// The OS error.
        source: std::io::Error,
        /// What the files written before it recorded, one line per file.
        recorded: Vec<String>,
    },
}

impl AckError {
    /// Whether some entries were recorded all the same.
    pub fn partial(&self) -> bool {
        matches!(self, Self::Write { recorded, .. } if !recorded.is_empty())
    }
}

fn already(recorded: &[String]) -> String {
    if recorded.is_empty() {
        String::new()
    } else {
        format!(" (already recorded: {})", recorded.join("; "))
    }
}

/// One campaign file's new text and the entries it records.
#[derive(Debug)]
pub struct Planned {
    file: String,
    text: String,
    entries: Vec<String>,
}

/// The new text of every file a `ticked` warning is in, in the workspace's file order.
pub fn plan(ws: &Workspace, ticked: &[&CompileError]) -> Result<Vec<Planned>, AckError> {
    if ticked.is_empty() {
        return Err(AckError::NoneTicked);
    }
    let mut out = Vec::new();
    for file in &ws.files {
        let mut entries: Vec<&Acknowledgement> = Vec::new();
        for entry in ticked
            .iter()
            .filter(|w| w.file == file.name)
            .filter_map(|w| w.acknowledge.as_ref())
        {
            if !entries.contains(&entry) {
                entries.push(entry);
            }
        }
        if entries.is_empty() {
            continue;
        }
        let text = acknowledge(&file.text, &entries).map_err(|source| AckError::Entry {
            file: file.name.clone(),
            source,
        })?;
        out.push(Planned {
            file: file.name.clone(),
            text,
            entries: entries.iter().map(|e| entry_text(e)).collect(),
        });
    }
    if out.is_empty() {
        return Err(AckError::NoFile);
    }
    Ok(out)
}

/// Replaces the planned files in order; the number of entries recorded.
pub fn write(plan: Vec<Planned>) -> Result<usize, AckError> {
    let mut recorded = Vec::new();
    let mut count = 0;
    for p in plan {
        if let Err(source) = write_file(Path::new(&p.file), &p.text) {
            return Err(AckError::Write {
                file: p.file,
                source,
                recorded,
            });
        }
        count += p.entries.len();
        recorded.push(format!("{} in {}", p.entries.join(", "), p.file));
    }
    Ok(count)
}

/// How many entries the `[acknowledge]` tables of the files hold (the most a step can have
/// recorded).
pub fn recorded_in(ws: &Workspace) -> usize {
    ws.files
        .iter()
        .filter_map(|f| f.text.parse::<toml_edit::DocumentMut>().ok())
        .map(|doc| {
            let Some(table) = doc.get("acknowledge").and_then(toml_edit::Item::as_table) else {
                return 0;
            };
            let lists: usize = ["sensitive", "past_schedule", "unused_slots"]
                .iter()
                .map(|k| strings(table.get(k)).map_or(0, |l| l.len()))
                .sum();
            lists + usize::from(table.contains_key("max_variants"))
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use vitrine_compile::Options;

    use super::*;

    const MAIN: &str = "include = [\"inc/more.toml\"]\n[[campaign]]\nid = \"baby\"\nslot = \"hero\"\nwhen = { attr = \"pregnancy_week\", gte = 20 }\nhtml = \"x\"\n";
    const MORE: &str = "[[campaign]]\nid = \"health\"\nslot = \"strip\"\nwhen = { attr = \"health_condition\", eq = \"diabetes\" }\nhtml = \"y\"\n";

    /// `main.toml`, and `inc/more.toml` that it includes, in a folder of their own.
    fn two_files(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("vitrine-ack-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("inc")).unwrap();
        std::fs::write(dir.join("main.toml"), MAIN).unwrap();
        std::fs::write(dir.join("inc/more.toml"), MORE).unwrap();
        dir
    }

    /// Every warning of the files, ticked, planned.
    fn plan_all(dir: &Path) -> (Workspace, Vec<Planned>) {
        let ws = Workspace::read(&[dir.join("main.toml")]);
        let build = ws.compile(None, &Options::default()).unwrap();
        let ticked: Vec<&CompileError> = build.warnings.iter().collect();
        let files: Vec<&str> = ticked.iter().map(|w| w.file.as_str()).collect();
        assert!(
            files.iter().any(|f| f.ends_with("main.toml"))
                && files.iter().any(|f| f.ends_with("more.toml")),
            "a warning in each file: {files:?}"
        );
        let planned = plan(&ws, &ticked).unwrap();
        (ws, planned)
    }

    #[test]
    fn each_file_records_its_own_warnings() {
        let dir = two_files("both");
        let (_, planned) = plan_all(&dir);
        assert_eq!(write(planned).unwrap(), 2);
        let main = std::fs::read_to_string(dir.join("main.toml")).unwrap();
        let more = std::fs::read_to_string(dir.join("inc/more.toml")).unwrap();
        assert!(main.starts_with(MAIN) && main.contains("sensitive = [\"baby\"]"));
        assert!(more.starts_with(MORE) && more.contains("sensitive = [\"health\"]"));
        let ws = Workspace::read(&[dir.join("main.toml")]);
        assert_eq!(recorded_in(&ws), 2);
        let _ = std::fs::remove_dir_all(&dir);
    }

    /// The second file cannot be written once the first is (its folder was moved away in
    /// between, as another program could): the message says what the first one recorded,
    /// which keeps it, and the second keeps its old text.
    #[test]
    fn a_failed_second_write_says_what_the_first_recorded() {
        let dir = two_files("partial");
        let (ws, planned) = plan_all(&dir);
        let main_name = ws.files[0].name.clone();
        std::fs::rename(dir.join("inc"), dir.join("inc.away")).unwrap();
        let err = write(planned).unwrap_err();
        std::fs::rename(dir.join("inc.away"), dir.join("inc")).unwrap();
        assert!(err.partial(), "{err}");
        let message = err.to_string();
        assert!(
            message.starts_with(&format!("cannot write {}", ws.files[1].name)),
            "{message}"
        );
        assert!(
            message.ends_with(&format!(
                "(already recorded: sensitive = [\"baby\"] in {main_name})"
            )),
            "{message}"
        );
        let main = std::fs::read_to_string(dir.join("main.toml")).unwrap();
        assert!(
            main.starts_with(MAIN) && main.ends_with("[acknowledge]\nsensitive = [\"baby\"]\n"),
            "the first file holds its new text: {main}"
        );
        let more = std::fs::read_to_string(dir.join("inc/more.toml")).unwrap();
        assert_eq!(more, MORE, "the second file keeps its old text");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_file_that_cannot_take_its_entries_is_refused_by_the_plan() {
        let dir = two_files("none");
        let mut ws = Workspace::read(&[dir.join("main.toml")]);
        let build = ws.compile(None, &Options::default()).unwrap();
        let ticked: Vec<&CompileError> = build.warnings.iter().collect();
        // The second file, as read for the step, has an `acknowledge` that is not a table.
        ws.files[1].text = format!("acknowledge = 1\n{MORE}");
        let err = plan(&ws, &ticked).unwrap_err();
        assert!(
            matches!(err, AckError::Entry { .. }) && !err.partial(),
            "{err}"
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}
