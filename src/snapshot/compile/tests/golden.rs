//! Golden output: the demo campaign compiles to exactly `fixtures/golden/demo.snapshot.json`.
//! Refresh after an intended change: `UPDATE_GOLDEN=1 cargo test --lib golden`.

use super::*;

#[test]
fn demo_campaign_matches_golden_snapshot() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(root.join("fixtures/campaigns/demo.toml")).unwrap();
    let snap = compile(&[Source {
        name: "demo.toml",
        text: &text,
    }])
    .unwrap();
    let bytes = crate::snapshot::encode(&snap);
    let golden = root.join("fixtures/golden/demo.snapshot.json");
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&golden, &bytes).unwrap();
    }
    let want = std::fs::read(&golden).unwrap();
    assert!(
        bytes == want,
        "compile output changed; refresh with UPDATE_GOLDEN=1 if intended:\n{}",
        String::from_utf8_lossy(&bytes)
    );
    let back = crate::snapshot::decode(&want).unwrap();
    assert_eq!(back, snap);
}
