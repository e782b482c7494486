//! The studio's file rewrite against golden files: an edit changes the one campaign it names,
//! and every other byte of the file (comments, blank lines, other campaigns) stays as it was.
//! Refresh the goldens after an intended change:
//! `UPDATE_GOLDEN=1 cargo test -p vitrine-studio --test rewrite`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::path::PathBuf;

use vitrine_studio::{campaign_toml, replace_campaign, rewrite_campaign, Edit, RewriteError};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn read(rel: &str) -> String {
    std::fs::read_to_string(root().join(rel)).unwrap()
}

fn golden(name: &str, actual: &str) {
    let path = root().join("fixtures/studio").join(name);
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, actual).unwrap();
    }
    let expected = std::fs::read_to_string(&path)
        .unwrap_or_else(|_| panic!("missing {path:?}; run with UPDATE_GOLDEN=1"));
    assert_eq!(actual, expected, "{name} differs from its golden file");
}

/// The file split at each `[[campaign]]` header: the preamble, then one block per campaign
/// (its comments above belong to the block before, as they are written).
fn blocks(text: &str) -> Vec<&str> {
    let mut starts: Vec<usize> = text
        .match_indices("\n[[campaign]]")
        .map(|(i, _)| i + 1)
        .collect();
    starts.insert(0, 0);
    starts.push(text.len());
    starts.windows(2).map(|w| &text[w[0]..w[1]]).collect()
}

/// Every block of `before` that does not hold campaign `id` is in `after`, byte for byte and
/// in the same order; the one that holds it changed.
fn only_changed(before: &str, after: &str, id: &str) {
    let (a, b) = (blocks(before), blocks(after));
    assert_eq!(a.len(), b.len(), "the number of campaigns changed");
    let mine = format!("id = \"{id}\"");
    for (x, y) in a.iter().zip(&b) {
        if x.contains(&mine) {
            assert_ne!(x, y, "campaign {id} was not changed");
        } else {
            assert_eq!(x, y, "a block without campaign {id} changed");
        }
    }
}

#[test]
fn form_edit_changes_only_the_loyal_hero() {
    let before = read("fixtures/campaigns/demo.toml");
    let edit = Edit {
        html: Some("<div class=\"vt-banner\"><h2>Members save 20% this weekend</h2></div>".into()),
        segments: Some(vec!["loyal".into(), "vip".into()]),
        priority: Some(Some(35)),
        start: Some("2026-12-01T09:00:00+01:00".into()),
        end: Some("2026-12-24T23:59:59+01:00".into()),
        ..Edit::default()
    };
    let after = rewrite_campaign(&before, "loyal-hero", &edit).unwrap();
    only_changed(&before, &after, "loyal-hero");
    golden("demo.loyal-hero-form.toml", &after);
}

#[test]
fn an_edit_that_changes_nothing_rewrites_nothing() {
    let before = read("fixtures/campaigns/demo.toml");
    let edit = Edit {
        html: Some("Members: free express shipping on every order".into()),
        slot: Some("promo-strip".into()),
        segments: Some(vec!["loyal".into()]),
        audience: Some(String::new()),
        exclude: Some(Vec::new()),
        when: Some(String::new()),
        priority: Some(Some(10)),
        start: Some(String::new()),
        end: Some(String::new()),
        messages: Vec::new(),
    };
    assert_eq!(
        rewrite_campaign(&before, "loyal-strip", &edit).unwrap(),
        before
    );
}

#[test]
fn raw_edit_of_a_campaign_with_a_sub_table_stays_in_place() {
    let before = read("fixtures/campaigns/shop.toml");
    let raw = campaign_toml(&before, "pdp-recs").unwrap();
    assert!(raw.contains("[campaign.recommend]"), "{raw}");
    assert!(
        raw.contains("# Product pages"),
        "the comment above the campaign comes along: {raw}"
    );
    // Unchanged raw text puts back the same file.
    assert_eq!(replace_campaign(&before, "pdp-recs", &raw).unwrap(), before);
    let raw = raw.replace("items = 4", "items = 3  # fewer on phones");
    let after = replace_campaign(&before, "pdp-recs", &raw).unwrap();
    only_changed(&before, &after, "pdp-recs");
    golden("shop.pdp-recs-raw.toml", &after);
}

#[test]
fn schedule_can_be_added_and_removed_again() {
    let before = read("fixtures/campaigns/demo.toml");
    let with = Edit {
        end: Some("2026-12-24T23:59:59Z".into()),
        ..Edit::default()
    };
    let added = rewrite_campaign(&before, "deal-pdp", &with).unwrap();
    assert!(
        added.contains("schedule = { end = 2026-12-24T23:59:59Z }"),
        "{added}"
    );
    let without = Edit {
        end: Some(String::new()),
        ..Edit::default()
    };
    assert_eq!(
        rewrite_campaign(&added, "deal-pdp", &without).unwrap(),
        before
    );
}

#[test]
fn bad_values_are_refused_at_their_field() {
    let text = read("fixtures/campaigns/demo.toml");
    let at = |edit: Edit| match rewrite_campaign(&text, "loyal-hero", &edit) {
        Err(RewriteError::Field { field, .. }) => field,
        other => panic!("expected a field error, got {other:?}"),
    };
    let start = Edit {
        start: Some("next monday".into()),
        ..Edit::default()
    };
    assert_eq!(at(start), "start");
    let local = Edit {
        end: Some("2026-12-01T09:00:00".into()),
        ..Edit::default()
    };
    assert_eq!(at(local), "end");
    let when = Edit {
        when: Some("path = /".into()),
        ..Edit::default()
    };
    assert_eq!(at(when), "when");
    assert_eq!(
        replace_campaign(&text, "loyal-hero", "[segments.x]\nloyal = true\n"),
        Err(RewriteError::Field {
            field: "raw",
            message: "only this campaign can be edited here; remove `segments`".into()
        })
    );
    assert_eq!(
        rewrite_campaign(&text, "nope", &Edit::default()),
        Err(RewriteError::NotFound("nope".into()))
    );
}

#[test]
fn per_segment_messages_are_edited_in_either_form() {
    let tables = "[[campaign]]\nid = \"m\"\nslot = \"hero\"\naudience = \"everyone\"\n\n[[campaign.messages]]\nsegments = [\"loyal\"]  # members\nhtml = \"Hi member\"\n\n[[campaign.messages]]\nhtml = \"Hi\"\n";
    let edit = Edit {
        messages: vec![Some("Hello member".into()), None],
        ..Edit::default()
    };
    assert_eq!(
        rewrite_campaign(tables, "m", &edit).unwrap(),
        tables.replace("\"Hi member\"", "\"Hello member\"")
    );
    let inline = "[[campaign]]\nid = \"m\"\nslot = \"hero\"\nmessages = [\n  { segments = [\"loyal\"], html = \"Hi member\" },\n  { html = \"Hi\" },\n]\n";
    let edit = Edit {
        messages: vec![None, Some("Hello".into())],
        ..Edit::default()
    };
    assert_eq!(
        rewrite_campaign(inline, "m", &edit).unwrap(),
        inline.replace("html = \"Hi\" }", "html = \"Hello\" }")
    );
}
