//! Compiler diagnostics on stderr, codespan-style: the message, the file:line:col, the source
//! line with the span underlined, and the hint.

use std::cell::RefCell;
use std::collections::HashMap;

use codespan_reporting::diagnostic::{Diagnostic, Label};
use codespan_reporting::files::SimpleFiles;
use codespan_reporting::term::termcolor::{ColorChoice, StandardStream};
use codespan_reporting::term::{self, Config};
use vitrine_compile::{CompileError, Level, Loader};

/// Reads files for the compiler and remembers their text for snippets.
#[derive(Default)]
pub struct FsLoader {
    seen: RefCell<HashMap<String, String>>,
}

impl FsLoader {
    /// Remembers a file given on the command line.
    pub fn remember(&self, name: &str, text: &str) {
        self.seen
            .borrow_mut()
            .insert(name.to_owned(), text.to_owned());
    }
}

impl Loader for FsLoader {
    fn load(&self, path: &str) -> Result<Vec<u8>, String> {
        let bytes = std::fs::read(path).map_err(|e| format!("{path}: {e}"))?;
        // Data files (catalog exports) can be large; only campaign files get snippets.
        if path.ends_with(".toml") {
            if let Ok(text) = std::str::from_utf8(&bytes) {
                self.remember(path, text);
            }
        }
        Ok(bytes)
    }
}

/// Prints every diagnostic to stderr.
pub fn print(loader: &FsLoader, list: &[CompileError]) {
    let mut files = SimpleFiles::new();
    let mut ids = HashMap::new();
    for (name, text) in loader.seen.borrow().iter() {
        ids.insert(name.clone(), files.add(name.clone(), text.clone()));
    }
    let mut out = StandardStream::stderr(ColorChoice::Auto);
    let config = Config::default();
    for e in list {
        let head = match e.level {
            Level::Error => Diagnostic::error(),
            _ => Diagnostic::warning(),
        }
        .with_code(e.code)
        .with_message(format!("{}: {}", e.field, e.message))
        .with_notes(vec![format!("hint: {}", e.hint)]);
        let shown = match ids.get(&e.file) {
            Some(id) if !e.span.is_empty() || e.span.start > 0 => {
                let d = head.with_labels(vec![Label::primary(*id, e.span.clone())
                    .with_message(format!("{}:{}:{}", e.file, e.line, e.column))]);
                term::emit(&mut out, &config, &files, &d).is_ok()
            }
            _ => false,
        };
        if !shown {
            eprintln!("{}: {e}", level_word(e.level));
        }
    }
}

fn level_word(level: Level) -> &'static str {
    match level {
        Level::Error => "error",
        _ => "warning",
    }
}
