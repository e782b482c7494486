//! The `Server-Timing` header of a personalized response: how long each stage took.
//!
//! ```text
//! Server-Timing: cookie;dur=0.2, snapshot;dur=1.0, page;desc="held", decide;dur=0.1, splice;dur=0.3
//! ```
//!
//! `page` says where the base page came from: `held` (this isolate's held page, confirmed
//! recently: no subrequest), `revalidated` (the held page, after the source answered `304`) or
//! `fetched` (the source sent the page).
//!
//! `cookie` is the identity stage (profile verify, consent, activity cookie), `snapshot` the
//! wait for the active snapshot (KV read or the isolate's copy; it overlaps the page fetch),
//! `decide` the decision and rendering of the fills, `splice` assembling a mapped page, and
//! `map` mapping a new page with the runtime's rewriter and assembling it.
//! A streamed body is rewritten after the headers are sent, so its metric carries no
//! duration: `rewrite;desc="streamed"`. Durations are milliseconds with one decimal. Note that
//! the Workers runtime only advances its clock across I/O, so CPU-only stages often read 0 in
//! production; the header still shows which stages ran.

/// How the body of the response is built.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum BodyBuilt {
    /// No slot was filled: the base page as is.
    Unchanged,
    /// Spliced from a mapped page, taking this many milliseconds.
    Spliced(f64),
    /// A new page mapped by the runtime's rewriter and then spliced, taking this many
    /// milliseconds.
    Mapped(f64),
    /// Stream-rewritten after the headers were sent.
    Streamed,
}

/// Where the base page came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Page {
    /// The isolate's held page, confirmed by the source recently: no subrequest was made.
    Held,
    /// The isolate's held page, after the source answered `304 Not Modified`.
    Revalidated,
    /// The page as the source sent it.
    Fetched,
}

impl Page {
    /// The metric's `desc`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Held => "held",
            Self::Revalidated => "revalidated",
            Self::Fetched => "fetched",
        }
    }
}

/// Stage durations in milliseconds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Timings {
    /// Identity stage.
    pub cookie: f64,
    /// Waiting for the snapshot, if measured.
    pub snapshot: Option<f64>,
    /// Where the base page came from, if known.
    pub page: Option<Page>,
    /// Decision and rendering.
    pub decide: f64,
    /// The body.
    pub body: BodyBuilt,
}

impl Timings {
    /// The `Server-Timing` header value.
    ///
    /// ```
    /// use vitrine_core::timing::{BodyBuilt, Page, Timings};
    /// let t = Timings {
    ///     cookie: 0.26,
    ///     snapshot: Some(3.0),
    ///     page: Some(Page::Fetched),
    ///     decide: 0.04,
    ///     body: BodyBuilt::Streamed,
    /// };
    /// assert_eq!(
    ///     t.header(),
    ///     r#"cookie;dur=0.3, snapshot;dur=3.0, page;desc="fetched", decide;dur=0.0, rewrite;desc="streamed""#
    /// );
    /// ```
    pub fn header(&self) -> String {
        let mut out = String::new();
        metric(&mut out, "cookie", self.cookie);
        if let Some(ms) = self.snapshot {
            metric(&mut out, "snapshot", ms);
        }
        if let Some(page) = self.page {
            out.push_str(", page;desc=\"");
            out.push_str(page.name());
            out.push('"');
        }
        metric(&mut out, "decide", self.decide);
        match self.body {
            BodyBuilt::Unchanged => {}
            BodyBuilt::Spliced(ms) => metric(&mut out, "splice", ms),
            BodyBuilt::Mapped(ms) => metric(&mut out, "map", ms),
            BodyBuilt::Streamed => out.push_str(", rewrite;desc=\"streamed\""),
        }
        out
    }
}

fn metric(out: &mut String, name: &str, ms: f64) {
    if !out.is_empty() {
        out.push_str(", ");
    }
    // Negative or non-finite durations (a clock step) read as 0. Written in tenths as two
    // integers, without `core::fmt` (this runs several times on every request, and formatting
    // was a large share of this header's cost in WASM).
    let ms = if ms.is_finite() { ms.max(0.0) } else { 0.0 };
    let tenths = (ms * 10.0).round() as u64;
    out.push_str(name);
    out.push_str(";dur=");
    out.push_str(itoa::Buffer::new().format(tenths / 10));
    out.push('.');
    out.push(char::from(b'0' + (tenths % 10) as u8));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_are_written_in_tenths_of_a_millisecond() {
        for (ms, want) in [
            (0.0, "0.0"),
            (0.04, "0.0"),
            (0.96, "1.0"),
            (12.345, "12.3"),
            (1234.56, "1234.6"),
            (-3.0, "0.0"),
            (f64::NAN, "0.0"),
            (f64::INFINITY, "0.0"),
        ] {
            let mut out = String::new();
            metric(&mut out, "m", ms);
            assert_eq!(out, format!("m;dur={want}"), "{ms}");
        }
    }

    #[test]
    fn spliced_and_unchanged_bodies() {
        let mut t = Timings {
            cookie: 1.0,
            snapshot: None,
            page: None,
            decide: 2.04,
            body: BodyBuilt::Spliced(0.55),
        };
        assert_eq!(t.header(), "cookie;dur=1.0, decide;dur=2.0, splice;dur=0.6");
        t.page = Some(Page::Held);
        assert_eq!(
            t.header(),
            "cookie;dur=1.0, page;desc=\"held\", decide;dur=2.0, splice;dur=0.6"
        );
        t.page = Some(Page::Revalidated);
        assert!(t.header().contains("page;desc=\"revalidated\""));
        t.page = None;
        t.body = BodyBuilt::Unchanged;
        t.cookie = f64::NAN;
        t.decide = -3.0;
        assert_eq!(t.header(), "cookie;dur=0.0, decide;dur=0.0");
    }
}
