//! A response as the runtime holds it, for the page path: the runtime's own
//! `web_sys::Response` with its status and headers object read once.
//!
//! The worker crate's `Response` is not used on the page path: turning a runtime response into
//! it reads the body, headers, status and `cf` across the JS boundary, and turning it back
//! builds a new runtime `Response`; a page request used to do both at every hop (source,
//! obtain, deliver), though it needs only the status and a few headers. This type keeps the
//! worker crate's method names (`status_code`, `headers`, `body`, `cloned`), so code reads the
//! same either way, and hands the runtime's object back without a copy ([`Response::into_raw`]).
//!
//! A held page's replay ([`Response::held`]) is not built at all until something needs the
//! runtime's object: a spliced request reads only its status and headers, so it costs no
//! `Response` construction (a visible share of a held request's time); its body stream is the
//! `Blob`'s own.

use std::cell::OnceCell;

use worker::{web_sys, Headers, Result};

use crate::heads::Entity;

/// A runtime response, its status and its headers object.
pub struct Response {
    /// The runtime's object, built on first use for a [held](Response::held) replay.
    raw: OnceCell<web_sys::Response>,
    /// The body of a replay whose runtime object is not built yet.
    held: Option<web_sys::Blob>,
    status: u16,
    headers: Headers,
    /// Its entity headers, read on first use ([`Response::entity`]).
    entity: OnceCell<Entity>,
}

impl Response {
    /// Reads the status and headers object of `raw` (two calls into the runtime).
    pub fn new(raw: web_sys::Response) -> Self {
        Self {
            status: raw.status(),
            headers: Headers(raw.headers()),
            raw: OnceCell::from(raw),
            held: None,
            entity: OnceCell::new(),
        }
    }

    /// A held page's replay: `body` with `status` and `headers` (the page's own object, as the
    /// source sent them, [`shared`]: changing a replay's headers would change the held page's
    /// for every later visitor, so vitrine never does), the runtime's object built only if it
    /// is asked for.
    pub fn held(status: u16, headers: &Headers, body: &web_sys::Blob) -> Self {
        Self {
            raw: OnceCell::new(),
            held: Some(body.clone()),
            status,
            headers: shared(headers),
            entity: OnceCell::new(),
        }
    }

    /// A new runtime response over `body` (a `Blob`, so the runtime knows its length).
    pub fn from_blob(status: u16, headers: &Headers, body: &web_sys::Blob) -> Result<Self> {
        let init = init(status, headers);
        let raw = web_sys::Response::new_with_opt_blob_and_init(Some(body), &init)?;
        Ok(Self::built(raw, status))
    }

    /// A new runtime response over `body` (a stream, or none).
    pub fn from_stream(
        status: u16,
        headers: &Headers,
        body: Option<&web_sys::ReadableStream>,
    ) -> Result<Self> {
        let init = init(status, headers);
        let raw = web_sys::Response::new_with_opt_readable_stream_and_init(body, &init)?;
        Ok(Self::built(raw, status))
    }

    /// A new runtime response with a short text body.
    pub fn from_text(status: u16, headers: &Headers, body: &str) -> Result<Self> {
        let init = init(status, headers);
        let raw = web_sys::Response::new_with_opt_str_and_init(Some(body), &init)?;
        Ok(Self::built(raw, status))
    }

    /// `self`'s body with other headers (copied by the runtime) and the same status.
    pub fn with_headers(self, headers: &Headers) -> Result<Self> {
        if let (None, Some(blob)) = (self.raw.get(), &self.held) {
            return Self::from_blob(self.status, headers, blob);
        }
        let body = self.raw()?.body();
        Self::from_stream(self.status, headers, body.as_ref())
    }

    /// A response built here with `status`: the runtime copied the headers into it, so its
    /// own object is read back, and later changes (a cookie, `Server-Timing`) are sent.
    fn built(raw: web_sys::Response, status: u16) -> Self {
        Self {
            status,
            headers: Headers(raw.headers()),
            raw: OnceCell::from(raw),
            held: None,
            entity: OnceCell::new(),
        }
    }

    /// The status code.
    pub fn status_code(&self) -> u16 {
        self.status
    }

    /// The headers (the runtime's object). Only a response built here for the visitor has its
    /// headers changed; those of a response obtained from the source, or of a replay (the held
    /// page's own object), are only read and copied.
    pub fn headers(&self) -> &Headers {
        &self.headers
    }

    /// Its `Content-Type`, `Content-Range`, validators and lengths, read in one call the first
    /// time (vitrine never changes these on a response it reads them from).
    pub fn entity(&self) -> Result<&Entity> {
        if let Some(entity) = self.entity.get() {
            return Ok(entity);
        }
        let read = Entity::entity(&self.headers.0)?;
        Ok(self.entity.get_or_init(|| read))
    }

    /// The body stream, if there is a body.
    pub fn body(&self) -> Option<web_sys::ReadableStream> {
        match (self.raw.get(), &self.held) {
            (Some(raw), _) => raw.body(),
            (None, Some(blob)) => Some(blob.stream()),
            (None, None) => None,
        }
    }

    /// A copy whose body is a tee of this one's (`Response.clone()`); a replay not built yet
    /// is copied as a replay of the same `Blob`.
    pub fn cloned(&self) -> Result<Self> {
        match (self.raw.get(), &self.held) {
            (None, Some(blob)) => Ok(Self::held(self.status, &self.headers, blob)),
            _ => Ok(Self::new(self.raw()?.clone()?)),
        }
    }

    /// The runtime's response (built now for a replay that was not built yet).
    pub fn raw(&self) -> Result<&web_sys::Response> {
        if let Some(raw) = self.raw.get() {
            return Ok(raw);
        }
        let built = match &self.held {
            Some(blob) => {
                let init = init(self.status, &self.headers);
                web_sys::Response::new_with_opt_blob_and_init(Some(blob), &init)?
            }
            None => web_sys::Response::new()?,
        };
        Ok(self.raw.get_or_init(|| built))
    }

    /// The runtime's response, to send or hand to the runtime.
    pub fn into_raw(self) -> Result<web_sys::Response> {
        self.raw()?;
        self.raw
            .into_inner()
            .ok_or_else(|| worker::Error::RustError("response not built".into()))
    }
}

impl From<worker::Response> for Response {
    /// From the worker crate's type (the Cache API and origin fetches, which only it binds).
    fn from(resp: worker::Response) -> Self {
        Self::new(resp.into())
    }
}

/// The same headers object, not a copy: the worker crate's `Headers::clone` copies every
/// header into a new object (a call into the runtime and a header list per use). Shared only
/// where nothing changes them: the headers of a response obtained from the page source or
/// replayed are only read, and copied (`deliver`'s `copy_except`, a response built from them)
/// before anything is changed. They are not always immutable in the runtime (in origin mode
/// the worker crate rebuilds the fetched response, with headers that can be changed), so this
/// rule is what keeps a replay's headers, the held page's own, from carrying one visitor's
/// changes to the next.
pub fn shared(headers: &Headers) -> Headers {
    Headers(headers.0.clone())
}

fn init(status: u16, headers: &Headers) -> web_sys::ResponseInit {
    let init = web_sys::ResponseInit::new();
    init.set_status(status);
    init.set_headers(&headers.0);
    init
}
