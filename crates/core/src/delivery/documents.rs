//! Which requests are documents: the only ones that take the page path (held, recorded, shared
//! through the Cache API, personalized). Everything else goes to the page source and back
//! untouched.
//!
//! The site defines its documents with `DOCUMENT_PATHS`: comma-separated paths, each exact
//! (`/`) or a prefix ending in `*` (`/c/*`); an entry starting with `!` excludes (`!/api/*`),
//! and exclusions win. Without the setting, Static Assets use the file-name rule
//! ([`super::is_document_request`]: no extension, or `.html`/`.htm`), and origin mode has no
//! documents at all: an origin serves APIs and per-user paths that vitrine cannot tell apart
//! from pages, so it personalizes nothing until the site says which paths are pages.

use thiserror::Error;

/// The site's definition of a document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Documents {
    /// `GET`s of paths without an extension, or ending in `.html`/`.htm`.
    ByFileName,
    /// `GET`s of the paths listed, minus the excluded ones.
    Paths {
        /// Patterns a document matches (one at least).
        include: Vec<Pattern>,
        /// Patterns a document never matches.
        exclude: Vec<Pattern>,
    },
    /// Nothing is a document.
    Nothing,
}

/// An exact path, or a prefix (written with a trailing `*`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pattern {
    /// The path itself.
    Exact(String),
    /// Every path starting with this.
    Prefix(String),
}

/// Why a `DOCUMENT_PATHS` setting was refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum DocumentsError {
    /// The setting lists no path to include.
    #[error("DOCUMENT_PATHS lists no path (write e.g. \"/, /c/*, /p/*\")")]
    Empty,
    /// An entry does not start with `/`.
    #[error("DOCUMENT_PATHS: `{0}` must start with / (or !/ to exclude)")]
    NotAPath(String),
    /// A `*` that is not the entry's last character.
    #[error("DOCUMENT_PATHS: `{0}` may only end with * (a prefix), not contain it")]
    Wildcard(String),
}

impl Pattern {
    fn parse(entry: &str) -> Result<Self, DocumentsError> {
        let path = entry.trim_start_matches('!');
        if !path.starts_with('/') {
            return Err(DocumentsError::NotAPath(entry.to_owned()));
        }
        match path.strip_suffix('*') {
            Some(prefix) if !prefix.contains('*') => Ok(Self::Prefix(prefix.to_owned())),
            None if !path.contains('*') => Ok(Self::Exact(path.to_owned())),
            _ => Err(DocumentsError::Wildcard(entry.to_owned())),
        }
    }

    fn matches(&self, path: &str) -> bool {
        match self {
            Self::Exact(p) => p == path,
            Self::Prefix(p) => path.starts_with(p.as_str()),
        }
    }
}

impl Documents {
    /// Parses `DOCUMENT_PATHS`.
    pub fn parse(text: &str) -> Result<Self, DocumentsError> {
        let (mut include, mut exclude) = (Vec::new(), Vec::new());
        for entry in text.split(',').map(str::trim).filter(|e| !e.is_empty()) {
            let pattern = Pattern::parse(entry)?;
            if entry.starts_with('!') {
                exclude.push(pattern);
            } else {
                include.push(pattern);
            }
        }
        if include.is_empty() {
            return Err(DocumentsError::Empty);
        }
        Ok(Self::Paths { include, exclude })
    }

    /// Whether a request (`method`, URL `path` without the query) is a document.
    pub fn contains(&self, method: &str, path: &str) -> bool {
        match self {
            Self::ByFileName => super::is_document_request(method, path),
            Self::Paths { include, exclude } => {
                method == "GET"
                    && include.iter().any(|p| p.matches(path))
                    && !exclude.iter().any(|p| p.matches(path))
            }
            Self::Nothing => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    macro_rules! documents {
        ($($name:ident: $setting:expr, $method:expr, $path:expr => $want:expr,)*) => {$(
            #[test]
            fn $name() {
                let docs = Documents::parse($setting).unwrap();
                assert_eq!(docs.contains($method, $path), $want);
            }
        )*};
    }

    documents! {
        exact_root: "/", "GET", "/" => true,
        exact_is_not_a_prefix: "/", "GET", "/api/me" => false,
        prefix: "/, /c/*, /p/*", "GET", "/p/p0001" => true,
        prefix_needs_its_slash: "/c/*", "GET", "/cart" => false,
        extensionless_api_is_not_a_page: "/, /c/*, /p/*", "GET", "/api/me" => false,
        site_decides_extensions: "/p/*", "GET", "/p/item.php" => true,
        exclusion_wins: "/*, !/api/*", "GET", "/api/me" => false,
        exclusion_leaves_the_rest: "/*, !/api/*", "GET", "/c/dog" => true,
        only_get: "/*", "HEAD", "/" => false,
        post_is_never_a_document: "/*", "POST", "/c/dog" => false,
    }

    #[test]
    fn file_name_rule_and_nothing() {
        assert!(Documents::ByFileName.contains("GET", "/api/me"));
        assert!(!Documents::ByFileName.contains("GET", "/x.css"));
        assert!(!Documents::Nothing.contains("GET", "/"));
    }

    #[test]
    fn bad_settings_say_what_to_write() {
        assert_eq!(Documents::parse(" , "), Err(DocumentsError::Empty));
        assert_eq!(Documents::parse("!/api/*"), Err(DocumentsError::Empty));
        assert_eq!(
            Documents::parse("/, c/*"),
            Err(DocumentsError::NotAPath("c/*".into()))
        );
        assert_eq!(
            Documents::parse("/p/*.html"),
            Err(DocumentsError::Wildcard("/p/*.html".into()))
        );
        assert!(DocumentsError::Empty.to_string().contains("/c/*"));
    }
}
