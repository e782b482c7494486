//! Every error type of the public API in one place.
//!
//! Each is an enum with one documented variant per failure kind and a stable `code()` for
//! logs; none carries secrets or visitor data.

pub use crate::cookie::activity::PatternError;
pub use crate::cookie::consent::ConsentConfigError;
pub use crate::cookie::{KeyRingError, RandomError, Rejection};
pub use crate::preview_token::{MintError, Refusal as PreviewRefusal};
pub use crate::rewrite::RewriteError;
pub use crate::snapshot::SnapshotError;
pub use crate::splice::NotSpliceable;
