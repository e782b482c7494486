//! The compiled snapshot as the edge sees it: slots, and per slot the ordered rules.
//!
//! Everything here is already compiled: audiences are resolved to segment lists, rules are
//! sorted by priority, and HTML fragments were sanitized at publish time. The edge never
//! parses authoring syntax and never sanitizes per request.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

/// Who a rule targets.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Audience {
    /// Every visitor.
    Everyone,
    /// Visitors without a verified profile.
    Anonymous,
    /// Verified visitors in at least one of these segments.
    Segments {
        /// Segment ids; any one matches.
        any: Vec<String>,
    },
}

/// What a rule does to its slot element.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Op {
    /// Replace the element's content (the default).
    Replace,
    /// Insert after the element's existing content.
    Append,
    /// Insert before the element's existing content.
    Prepend,
    /// Insert before the element.
    Before,
    /// Insert after the element.
    After,
    /// Remove the element and its content.
    Remove,
}

impl Op {
    /// The authoring keyword for this operation.
    pub fn keyword(self) -> &'static str {
        match self {
            Self::Replace => "replace",
            Self::Append => "append",
            Self::Prepend => "prepend",
            Self::Before => "before",
            Self::After => "after",
            Self::Remove => "remove",
        }
    }
}

/// One candidate for a slot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rule {
    /// Id of the campaign this rule came from.
    pub campaign: String,
    /// Who it targets.
    pub audience: Audience,
    /// What it does.
    pub op: Op,
    /// Sanitized HTML fragment (empty for [`Op::Remove`]).
    pub html: Arc<str>,
}

/// A named slot and its rules, highest priority first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Slot {
    /// The slot name used in pages (`<vitrine-slot name="…">`).
    pub name: String,
    /// Candidates in decision order.
    pub rules: Vec<Rule>,
}

/// Where the edge finds product and category ids in request paths, for the activity cookie
/// (`[activity]` in campaign files). Each pattern holds one `{id}`, e.g. `/p/{id}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActivityPaths {
    /// Product page pattern.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub product_path: Option<String>,
    /// Category page pattern.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category_path: Option<String>,
}

impl ActivityPaths {
    /// Whether no pattern is set.
    pub fn is_empty(&self) -> bool {
        self.product_path.is_none() && self.category_path.is_none()
    }
}
