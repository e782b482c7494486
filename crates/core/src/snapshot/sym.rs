//! [`Sym`], the one name every part of a snapshot uses for a string: an index into the
//! snapshot's interned strings (`Body::strings`). It sits below the model, the expressions,
//! the catalog and the recommendation tables so that each can name strings without importing
//! the others.

use serde::{Deserialize, Serialize};

/// An index into the snapshot's interned strings (`Body::strings`); decoding checks every one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Sym(pub u32);
