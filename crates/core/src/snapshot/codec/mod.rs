//! The wire format of a snapshot in KV: `{"schema":N,"version":"…","body":{…}}`.
//!
//! The version id is the first 16 hex digits of SHA-256 over the exact `body` bytes, so the
//! decoder hashes the raw body as it arrived (no re-serialization) and a tampered or truncated
//! value is refused. Decoding refuses what it does not understand (another schema, a body whose
//! hash does not match, a reference to a string or experiment that does not exist), so the edge
//! keeps serving the last good version instead of acting on a half-understood one.
//!
//! Writing one by hand (for example a bench generator in JavaScript): intern every string into
//! `strings` and refer to it by index, serialize the body once, hash those bytes, and splice
//! them in unchanged:
//!
//! ```text
//! body    = {"strings":["hero","c1","loyal","<b>hi</b>"],
//!            "slots":[{"name":0,"candidates":[{"campaign":1,"priority":0,
//!              "when":{"segment":2},"op":"replace","template":[{"lit":3}]}]}]}
//! version = first 16 hex digits of sha256(body bytes)
//! value   = {"schema":3,"version":"<version>","body":<body bytes>}
//! ```
//!
//! `when` is an [`Expr`](super::expr::Expr) in serde's external tagging (`"true"`,
//! `"anonymous"`, `{"segment":i}`, `{"all":[…]}`, `{"not":…}`, …); `template` parts are
//! `{"lit":i}`, `{"attr":{"name":i,"ctx":"text"}}`, `"message"` or `{"product":{…}}`.

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use super::format::{hex16, SnapshotError, SCHEMA_VERSION};
use super::model::{Bandit, Body, Candidate, Experiment};
use super::split::split_text;
use super::sym::Sym;
use super::template::{Part, Template};
use super::Snapshot;

#[derive(Deserialize)]
struct SchemaProbe {
    schema: u32,
}

#[derive(Deserialize)]
struct EnvelopeIn<'a> {
    version: String,
    #[serde(borrow)]
    body: &'a RawValue,
}

#[derive(Serialize)]
struct EnvelopeOut<'a> {
    schema: u32,
    version: &'a str,
    body: &'a RawValue,
}

/// Serializes a body and names it by the hash of those bytes.
pub(super) fn seal(body: Body) -> Snapshot {
    // Plain structs of strings and numbers always serialize.
    let bytes = serde_json::to_string(&body).unwrap_or_default();
    let version = hex16(bytes.as_bytes());
    Snapshot::assemble(version, body, bytes.into())
}

/// Serializes a snapshot for KV.
pub fn encode(snapshot: &Snapshot) -> Vec<u8> {
    let Ok(raw) = RawValue::from_string(snapshot.encoded_body.to_string()) else {
        return Vec::new();
    };
    let envelope = EnvelopeOut {
        schema: SCHEMA_VERSION,
        version: &snapshot.version,
        body: &raw,
    };
    serde_json::to_vec(&envelope).unwrap_or_default()
}

/// Parses and checks a snapshot read from KV.
///
/// ```
/// use vitrine_core::snapshot::{decode, encode, Body, Snapshot};
///
/// let snap = Snapshot::new(Body::default());
/// let bytes = encode(&snap);
/// assert_eq!(decode(&bytes).unwrap().version(), snap.version());
/// assert_eq!(decode(b"{\"schema\":1}").unwrap_err().code(), "snapshot_schema");
/// ```
pub fn decode(bytes: &[u8]) -> Result<Snapshot, SnapshotError> {
    let probe: SchemaProbe = serde_json::from_slice(bytes)?;
    if probe.schema != SCHEMA_VERSION {
        return Err(SnapshotError::UnknownSchema {
            found: probe.schema,
        });
    }
    let envelope: EnvelopeIn<'_> = serde_json::from_slice(bytes)?;
    let raw = envelope.body.get();
    let actual = hex16(raw.as_bytes());
    if actual != envelope.version {
        return Err(SnapshotError::VersionMismatch {
            claimed: envelope.version,
            actual,
        });
    }
    let body: Body = serde_json::from_slice(raw.as_bytes())?;
    check(&body)?;
    Ok(Snapshot::assemble(envelope.version, body, raw.into()))
}

/// Every reference inside the body points at something that exists.
fn check(body: &Body) -> Result<(), SnapshotError> {
    let strings = body.strings.len();
    let mut syms: Vec<Sym> = Vec::new();
    for slot in &body.slots {
        syms.push(slot.name);
        for c in &slot.candidates {
            candidate_syms(c, &mut syms);
            if let Some(r) = &c.recommend {
                let tables = body.catalog.as_ref().map_or(0, |c| c.tables.len());
                if !r.is_consistent(tables) {
                    return Err(SnapshotError::Invalid("recommendations"));
                }
            }
            if let Some(arm) = c.arm {
                let ok = body
                    .experiments
                    .get(arm.experiment as usize)
                    .is_some_and(|e| (arm.arm as usize) < e.arms.len());
                if !ok {
                    return Err(SnapshotError::Invalid("experiment arm"));
                }
            }
        }
    }
    for def in &body.segments {
        syms.push(def.name);
        def.expr.syms(&mut syms);
    }
    for e in &body.experiments {
        syms.push(e.key);
        syms.extend(e.arms.iter().map(|a| a.name));
        if e.holdout_bp > 10_000 || e.arms.is_empty() {
            return Err(SnapshotError::Invalid("experiment"));
        }
        if let Some(b) = &e.bandit {
            bandit_ok(body, e, b)?;
            for c in &b.contexts {
                syms.push(c.name);
                c.when.syms(&mut syms);
            }
        }
    }
    if body.global_holdout_bp > 10_000 {
        return Err(SnapshotError::Invalid("global holdout"));
    }
    if let Some(catalog) = &body.catalog {
        syms.extend(&catalog.tables);
        for list in &catalog.lists {
            syms.push(list.name);
            syms.extend(list.key);
            syms.extend(&list.products);
        }
    }
    if syms.iter().any(|s| s.0 as usize >= strings) {
        return Err(SnapshotError::Invalid("string reference"));
    }
    Ok(())
}

/// Every context of a bandit has one weight per arm, a positive total, and the split text its
/// weights give (it is what exposure events log, so it must not lie).
fn bandit_ok(body: &Body, e: &Experiment, b: &Bandit) -> Result<(), SnapshotError> {
    let text = |s: Sym| body.strings.get(s.0 as usize).map(|t| &**t);
    let names: Option<Vec<&str>> = e.arms.iter().map(|a| text(a.name)).collect();
    let names = names.ok_or(SnapshotError::Invalid("string reference"))?;
    for a in b.contexts.iter().map(|c| &c.allocation).chain([&b.rest]) {
        let total: u64 = a.weights.iter().map(|w| u64::from(*w)).sum();
        let split = split_text(e.holdout_bp, &names, &a.weights);
        if a.weights.len() != e.arms.len() || total == 0 || text(a.split) != Some(&*split) {
            return Err(SnapshotError::Invalid("bandit weights"));
        }
    }
    Ok(())
}

fn candidate_syms(c: &Candidate, out: &mut Vec<Sym>) {
    out.push(c.campaign);
    out.extend(c.product);
    c.when.syms(out);
    template_syms(&c.template, out);
    for m in &c.messages {
        m.when.syms(out);
        template_syms(&m.template, out);
    }
    if let Some(r) = &c.recommend {
        template_syms(&r.item, out);
        r.strategies.iter().for_each(|s| s.syms(out));
    }
}

fn template_syms(t: &Template, out: &mut Vec<Sym>) {
    for part in &t.parts {
        match part {
            Part::Lit(s) | Part::Attr { name: s, .. } => out.push(*s),
            Part::Message | Part::Product { .. } | Part::OfferExpires { .. } | Part::Items => {}
        }
    }
}

#[cfg(test)]
mod tests;
