//! Decisions: given who the visitor is and the active snapshot, what each slot shows.
//!
//! Deterministic and allocation-light: the first rule (in compiled priority order) whose
//! audience matches wins; a slot with no match keeps the page's default content. The result
//! borrows from the snapshot, so nothing is copied until rendering.

use crate::cookie::Identity;
use crate::snapshot::{Audience, Rule, Snapshot};

/// The chosen rule for one slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fill<'s> {
    /// Slot name.
    pub slot: &'s str,
    /// The winning rule.
    pub rule: &'s Rule,
}

/// Every slot's choice for one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision<'s> {
    /// Snapshot version the decision was made from.
    pub version: &'s str,
    /// Slots that got content; slots not listed keep their default.
    pub fills: Vec<Fill<'s>>,
}

impl Decision<'_> {
    /// A short `slot=campaign,…` summary for the `x-vitrine` header (no visitor data).
    pub fn summary(&self) -> String {
        let mut out = String::new();
        for (i, fill) in self.fills.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            out.push_str(fill.slot);
            out.push('=');
            out.push_str(&fill.rule.campaign);
        }
        out
    }
}

/// Decides every slot of `snapshot` for `identity`.
pub fn decide<'s>(snapshot: &'s Snapshot, identity: &Identity) -> Decision<'s> {
    let fills = snapshot
        .slots()
        .iter()
        .filter_map(|slot| {
            slot.rules
                .iter()
                .find(|rule| matches(&rule.audience, identity))
                .map(|rule| Fill {
                    slot: &slot.name,
                    rule,
                })
        })
        .collect();
    Decision {
        version: snapshot.version(),
        fills,
    }
}

fn matches(audience: &Audience, identity: &Identity) -> bool {
    match (audience, identity.profile()) {
        (Audience::Everyone, _) => true,
        (Audience::Anonymous, profile) => profile.is_none(),
        (Audience::Segments { any }, Some(profile)) => any.iter().any(|s| profile.in_segment(s)),
        (Audience::Segments { .. }, None) => false,
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::cookie::{Attrs, VerifiedProfile};
    use crate::snapshot::{Op, Slot};

    fn rule(campaign: &str, audience: Audience) -> Rule {
        Rule {
            campaign: campaign.into(),
            audience,
            op: Op::Replace,
            html: Arc::from(campaign),
        }
    }

    fn snapshot() -> Snapshot {
        let seg = |s: &str| Audience::Segments {
            any: vec![s.into()],
        };
        Snapshot::new(vec![
            Slot {
                name: "hero".into(),
                rules: vec![
                    rule("loyal-hero", seg("loyal")),
                    rule("deal-hero", seg("price_hunter")),
                    rule("welcome", Audience::Anonymous),
                ],
            },
            Slot {
                name: "strip".into(),
                rules: vec![rule("all", Audience::Everyone)],
            },
        ])
    }

    fn visitor(segments: &[&str]) -> Identity {
        Identity::Profile(VerifiedProfile {
            sub: "u".into(),
            segments: segments.iter().map(|s| s.to_string()).collect(),
            attrs: Attrs::default(),
            exp: 0,
        })
    }

    macro_rules! table {
        ($($name:ident: $identity:expr => $want:expr,)*) => {$(
            #[test]
            fn $name() {
                let snap = snapshot();
                assert_eq!(decide(&snap, &$identity).summary(), $want);
            }
        )*};
    }

    table! {
        anonymous_gets_welcome: Identity::anonymous() => "hero=welcome,strip=all",
        loyal_gets_loyal: visitor(&["loyal"]) => "hero=loyal-hero,strip=all",
        priority_order_wins: visitor(&["price_hunter", "loyal"]) => "hero=loyal-hero,strip=all",
        price_hunter: visitor(&["price_hunter"]) => "hero=deal-hero,strip=all",
        verified_without_matching_segment_keeps_default: visitor(&["other"]) => "strip=all",
    }
}
