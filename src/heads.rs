//! Header values read in one call into the runtime ([`vitrine_core::delivery::heads`]): the
//! visitor's ([`Visitor`]) once per request, and a page's ([`Entity`]) once per response.
//!
//! Reading a dozen headers one `get` at a time was a call and two string copies each (about
//! 6 % of a spliced request's profile, BENCHMARKS.md "Fifth pass"). The names are JS arrays
//! made once per isolate.

use std::cell::OnceCell;

use worker::js_sys::Array;
use worker::wasm_bindgen::prelude::wasm_bindgen;
use worker::wasm_bindgen::JsValue;
use worker::{web_sys, Result};

use crate::PerIsolate;
use vitrine_core::delivery::heads;

/// The names, as JS arrays, made once per isolate (its part of [`crate::Isolate`]).
#[derive(Default)]
pub struct Kept {
    visitor: OnceCell<Array>,
    entity: OnceCell<Array>,
}

const KEPT: PerIsolate<Kept> = PerIsolate(|i| &i.heads);

/// The visitor's headers the identity, bot and preview stages read.
const VISITOR: [&str; 4] = [
    "cookie",
    "sec-gpc",
    "user-agent",
    vitrine_core::preview_token::HEADER,
];

/// A page's headers that say what it is (type, length, validators).
const ENTITY: [&str; 6] = [
    "content-type",
    "content-range",
    "etag",
    "last-modified",
    "content-length",
    "content-encoding",
];

/// The values of a fixed list of `N` names, as one string ([`heads::decode`] reads it).
#[derive(Debug, Default)]
pub struct Heads<const N: usize> {
    text: String,
}

impl<const N: usize> Heads<N> {
    fn read(
        headers: &web_sys::Headers,
        pick: fn(&Kept) -> &OnceCell<Array>,
        list: &[&str; N],
    ) -> Result<Self> {
        let names = KEPT.with(|k| pick(k).get_or_init(|| names(list)).clone());
        Ok(Self {
            text: read_named(headers, &names)?,
        })
    }

    fn value(&self, i: usize) -> Option<&str> {
        (i < N).then(|| heads::nth(&self.text, i)).flatten()
    }
}

/// The visitor's `Cookie`, `Sec-GPC`, `User-Agent` and preview token header.
pub type Visitor = Heads<4>;

impl Visitor {
    /// Reads them from the request's headers in one call.
    pub fn visitor(headers: &web_sys::Headers) -> Result<Self> {
        Self::read(headers, |k| &k.visitor, &VISITOR)
    }

    /// `Cookie`.
    pub fn cookie(&self) -> Option<&str> {
        self.value(0)
    }

    /// `Sec-GPC`.
    pub fn gpc(&self) -> Option<&str> {
        self.value(1)
    }

    /// `User-Agent`.
    pub fn user_agent(&self) -> Option<&str> {
        self.value(2)
    }

    /// The preview token header ([`vitrine_core::preview_token::HEADER`]).
    pub fn preview(&self) -> Option<&str> {
        self.value(3)
    }
}

/// A page response's `Content-Type`, `Content-Range`, `ETag`, `Last-Modified`,
/// `Content-Length` and `Content-Encoding`, as they were when first read (vitrine never
/// changes these on a response it reads them from).
pub type Entity = Heads<6>;

impl Entity {
    /// Reads them from a response's headers in one call.
    pub fn entity(headers: &web_sys::Headers) -> Result<Self> {
        Self::read(headers, |k| &k.entity, &ENTITY)
    }

    /// `Content-Type`.
    pub fn content_type(&self) -> Option<&str> {
        self.value(0)
    }

    /// `Content-Range`.
    pub fn content_range(&self) -> Option<&str> {
        self.value(1)
    }

    /// `ETag`.
    pub fn etag(&self) -> Option<&str> {
        self.value(2)
    }

    /// `Last-Modified`.
    pub fn last_modified(&self) -> Option<&str> {
        self.value(3)
    }

    /// `Content-Length`.
    pub fn content_length(&self) -> Option<&str> {
        self.value(4)
    }

    /// `Content-Encoding`.
    pub fn content_encoding(&self) -> Option<&str> {
        self.value(5)
    }
}

fn names(list: &[&str]) -> Array {
    list.iter().map(|n| JsValue::from_str(n)).collect()
}

// The encoding of `vitrine_core::delivery::heads::encode`.
#[wasm_bindgen(inline_js = r#"
export function read_named(headers, names) {
  let out = "";
  for (const name of names) {
    const value = headers.get(name);
    out += value === null ? "\0\n" : "+" + value + "\n";
  }
  return out;
}
"#)]
extern "C" {
    /// The values of `names` in `headers`, encoded as `vitrine_core::delivery::heads` reads them.
    #[wasm_bindgen(catch)]
    fn read_named(
        headers: &web_sys::Headers,
        names: &Array,
    ) -> std::result::Result<String, JsValue>;
}
