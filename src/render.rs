//! Rendering: turning a [`Decision`] into the owned edit [`Plan`] the rewriter applies, plus
//! the context-aware escaping every piece of generated markup goes through.
//!
//! Fragments from the snapshot were sanitized at publish time and are inserted as HTML; any
//! *value* placed into markup here is escaped for the exact context it lands in (text or a
//! quoted attribute). The plan owns its data (`Arc` fragments, no copies of the HTML) so it
//! can outlive the snapshot borrow and travel with a streaming response.

use std::sync::Arc;

use crate::decide::Decision;
use crate::snapshot::Op;

/// One slot edit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Edit {
    /// Slot name.
    pub slot: Box<str>,
    /// Operation.
    pub op: Op,
    /// HTML to insert.
    pub html: Arc<str>,
}

/// All edits for one response.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Plan {
    edits: Vec<Edit>,
}

impl Plan {
    /// A plan from explicit edits (later edits for the same slot are ignored).
    pub fn new(edits: Vec<Edit>) -> Self {
        Self { edits }
    }

    /// The edit for `slot`, if any. Plans hold a handful of slots, so a scan beats hashing.
    pub fn edit(&self, slot: &str) -> Option<&Edit> {
        self.edits.iter().find(|e| &*e.slot == slot)
    }

    /// The edits, in order.
    pub fn edits(&self) -> &[Edit] {
        &self.edits
    }

    /// Whether nothing would change.
    pub fn is_empty(&self) -> bool {
        self.edits.is_empty()
    }
}

/// Builds the plan for a decision.
pub fn render(decision: &Decision<'_>) -> Plan {
    Plan::new(
        decision
            .fills
            .iter()
            .map(|f| Edit {
                slot: f.slot.into(),
                op: f.rule.op,
                html: Arc::clone(&f.rule.html),
            })
            .collect(),
    )
}

/// Escapes `s` for an HTML text context.
pub fn escape_text(s: &str) -> String {
    escape(s, false)
}

/// Escapes `s` for a double- or single-quoted HTML attribute value.
pub fn escape_attr(s: &str) -> String {
    escape(s, true)
}

fn escape(s: &str, attr: bool) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' if attr => out.push_str("&quot;"),
            '\'' if attr => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_escaping() {
        assert_eq!(
            escape_text(r#"<a href="x">&'"#),
            r#"&lt;a href="x"&gt;&amp;'"#
        );
    }

    #[test]
    fn attr_escaping() {
        assert_eq!(
            escape_attr(r#"" onmouseover='x'"#),
            "&quot; onmouseover=&#39;x&#39;"
        );
    }

    #[test]
    fn first_edit_per_slot_wins() {
        let e = |h: &str| Edit {
            slot: "a".into(),
            op: Op::Replace,
            html: Arc::from(h),
        };
        let plan = Plan::new(vec![e("1"), e("2")]);
        assert_eq!(&*plan.edit("a").unwrap().html, "1");
        assert!(plan.edit("b").is_none());
    }
}
