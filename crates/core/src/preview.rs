//! What one visitor would see, in one call: decide, render and rewrite a whole page with the
//! same core the worker streams through. Used by `vitrine preview` and by tests.
//!
//! When no slot is filled the page is returned as the very same bytes, whatever its markup or
//! encoding: nothing parses it. When slots are filled, lol_html leaves every byte outside the
//! filled slots as it was.

use crate::decide::{decide_in, Context, Decision};
use crate::render::render;
use crate::rewrite::{Limits, RewriteError, SlotStream};
use crate::snapshot::Snapshot;

/// The page as the visitor in `ctx` would get it, and the decision behind it.
pub fn preview<'s>(
    snapshot: &'s Snapshot,
    ctx: &Context<'s>,
    page: &[u8],
    charset: Option<&str>,
) -> Result<(Vec<u8>, Decision<'s>), RewriteError> {
    let decision = decide_in(snapshot, ctx);
    let plan = render(&decision);
    if plan.is_empty() {
        return Ok((page.to_vec(), decision));
    }
    let mut stream = SlotStream::new(plan, Limits::default(), charset)?;
    let mut out = stream.feed(page);
    let (rest, _complete_even_if_stopped_early) = stream.finish();
    out.extend_from_slice(&rest);
    Ok((out, decision))
}
