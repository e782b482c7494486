use proptest::prelude::*;
use serde_json::json;

use super::*;
use crate::cookie::{mint, verify as verify_uncached};

const NOW: u64 = 1_800_000_000;

fn ring() -> KeyRing {
    KeyRing::parse("k1:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8").unwrap()
}

fn other_ring() -> KeyRing {
    KeyRing::parse("k1:HyAhIiMkJSYnKCkqKywtLi8wMTIzNDU2Nzg5Ojs8PT4").unwrap()
}

fn token(sub: &str, exp: u64) -> String {
    mint(
        &json!({"sub": sub, "seg": ["loyal"], "exp": exp, "iat": NOW - 10}),
        &ring(),
    )
}

#[test]
fn a_token_seen_again_gives_the_same_profile_and_is_kept_once() {
    let cache = VerifiedTokens::new();
    let t = token("u1", NOW + 3600);
    let first = cache
        .verify(&t, &ring(), NOW, TimePolicy::default())
        .unwrap();
    assert_eq!(cache.len(), 1);
    let again = cache
        .verify(&t, &ring(), NOW + 5, TimePolicy::default())
        .unwrap();
    assert_eq!(first, again);
    assert_eq!(again.segments, ["loyal"]);
    assert_eq!(cache.len(), 1);
}

#[test]
fn time_claims_are_checked_at_every_use() {
    let cache = VerifiedTokens::new();
    let policy = TimePolicy::default();
    let t = token("u1", NOW + 100);
    assert!(cache.verify(&t, &ring(), NOW, policy).is_ok());
    let later = NOW + 100 + policy.leeway_secs + 1;
    assert_eq!(
        cache.verify(&t, &ring(), later, policy),
        Err(Rejection::Expired)
    );
    assert_eq!(
        verify_uncached(&t, &ring(), later, policy),
        Err(Rejection::Expired)
    );
    // A policy that ages profiles out applies to kept tokens too.
    let strict = TimePolicy {
        max_age_secs: Some(5),
        ..policy
    };
    assert_eq!(
        cache.verify(&t, &ring(), NOW, strict),
        Err(Rejection::Stale)
    );
}

#[test]
fn refused_tokens_are_never_kept() {
    let cache = VerifiedTokens::new();
    let good = token("u1", NOW + 3600);
    // Signed with another ring, expired, and cut short: each refused, none kept.
    let foreign = mint(&json!({"sub": "u1", "exp": NOW + 3600}), &other_ring());
    let expired = token("u2", NOW - 3600);
    for bad in [foreign.as_str(), expired.as_str(), &good[..good.len() - 2]] {
        assert!(cache
            .verify(bad, &ring(), NOW, TimePolicy::default())
            .is_err());
    }
    assert!(cache.is_empty());
    // A token that differs from a kept one in its last byte is verified, and refused.
    cache
        .verify(&good, &ring(), NOW, TimePolicy::default())
        .unwrap();
    let mut tampered = good.clone().into_bytes();
    let last = tampered.last_mut().unwrap();
    *last = if *last == b'A' { b'B' } else { b'A' };
    let tampered = String::from_utf8(tampered).unwrap();
    assert_eq!(
        cache.verify(&tampered, &ring(), NOW, TimePolicy::default()),
        verify_uncached(&tampered, &ring(), NOW, TimePolicy::default())
    );
    assert!(cache
        .verify(&tampered, &ring(), NOW, TimePolicy::default())
        .is_err());
    assert_eq!(cache.len(), 1);
}

#[test]
fn the_cache_is_bounded() {
    let cache = VerifiedTokens::new();
    for i in 0..MAX_ENTRIES + 40 {
        let t = token(&format!("u{i}"), NOW + 3600);
        let got = cache
            .verify(&t, &ring(), NOW, TimePolicy::default())
            .unwrap();
        assert_eq!(got.sub, format!("u{i}"));
        assert!(cache.len() <= MAX_ENTRIES);
    }
    assert_eq!(cache.len(), MAX_ENTRIES);
}

#[test]
fn a_disabled_cache_keeps_nothing() {
    let cache = VerifiedTokens::disabled();
    let t = token("u1", NOW + 3600);
    assert!(cache
        .verify(&t, &ring(), NOW, TimePolicy::default())
        .is_ok());
    assert!(cache.is_empty());
}

proptest! {
    /// Whatever tokens come in whatever order, at whatever times, the cache answers exactly as
    /// verifying each time does.
    #[test]
    fn the_cache_answers_as_verifying_does(
        steps in proptest::collection::vec((0usize..6, 0u64..400, any::<bool>()), 1..40),
    ) {
        let exps = [NOW + 50, NOW + 200, NOW - 100, NOW + 10_000, NOW + 120, NOW + 300];
        let tokens: Vec<String> = exps
            .iter()
            .enumerate()
            .map(|(i, exp)| token(&format!("u{i}"), *exp))
            .collect();
        let cache = VerifiedTokens::new();
        for (which, dt, tamper) in steps {
            let mut t = tokens[which].clone();
            if tamper {
                t.insert(t.len() / 2, 'x');
            }
            let now = NOW + dt;
            for policy in [TimePolicy::default(), TimePolicy { leeway_secs: 0, max_age_secs: Some(150) }] {
                prop_assert_eq!(
                    cache.verify(&t, &ring(), now, policy),
                    verify_uncached(&t, &ring(), now, policy)
                );
            }
        }
    }
}
