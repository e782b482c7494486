//! The visitor's request as the runtime hands it over, read once: its method, URL, path and
//! headers object.
//!
//! The page path does not build the worker crate's `Request`: converting to it reads
//! `request.cf` (an object the runtime materializes on first access) and copies the method and
//! URL across the JS boundary on every request, whatever the request needs; the request facts
//! read only the `cf` fields their rules use ([`crate::facts`]). The methods keep the worker
//! crate's names (`path`, `method`, `headers`, `inner`), so code reads the same either way.

use std::cell::OnceCell;

use worker::{web_sys, Headers, Result};

use crate::heads;

/// One visitor request.
pub struct Incoming {
    raw: web_sys::Request,
    method: String,
    url: String,
    /// The URL's path, found once.
    path: String,
    headers: Headers,
    /// The visitor's headers the identity, bot and preview stages read, read on first use.
    visitor: OnceCell<heads::Visitor>,
}

impl Incoming {
    /// Reads the method, URL and headers object of `raw` (three calls into the runtime).
    pub fn new(raw: web_sys::Request) -> Self {
        let url = raw.url();
        Self {
            method: raw.method(),
            path: path_of(&url),
            url,
            headers: Headers(raw.headers()),
            raw,
            visitor: OnceCell::new(),
        }
    }

    /// The request method (`GET`, …), as sent.
    pub fn method(&self) -> &str {
        &self.method
    }

    /// The URL as the runtime serialized it.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The URL's path, without query or fragment.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The request headers (the runtime's object, not a copy).
    pub fn headers(&self) -> &Headers {
        &self.headers
    }

    /// Its `Cookie`, `Sec-GPC`, `User-Agent` and preview token header, read in one call the
    /// first time.
    pub fn visitor_heads(&self) -> Result<&heads::Visitor> {
        if let Some(read) = self.visitor.get() {
            return Ok(read);
        }
        let read = heads::Visitor::visitor(&self.headers.0)?;
        Ok(self.visitor.get_or_init(|| read))
    }

    /// The runtime's request.
    pub fn inner(&self) -> &web_sys::Request {
        &self.raw
    }
}

/// The path of `url`, without query or fragment (`/` when it has none).
fn path_of(url: &str) -> String {
    let rest = vitrine_core::delivery::path_and_query(url);
    let path = rest.split_once('?').map_or(rest, |(path, _)| path);
    match path {
        "" => "/".to_owned(),
        path => path.to_owned(),
    }
}
