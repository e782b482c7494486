//! Golden output: the demo campaign compiles to exactly `fixtures/golden/demo.snapshot.json`.
//! Refresh after an intended change: `UPDATE_GOLDEN=1 cargo test -p vitrine-compile --lib golden`.

use super::*;

#[test]
fn demo_campaign_matches_golden_snapshot() {
    let root = std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."));
    let text = std::fs::read_to_string(root.join("fixtures/campaigns/demo.toml")).unwrap();
    let snap = compile(&[Source {
        name: "demo.toml",
        text: &text,
    }])
    .unwrap();
    let bytes = vitrine_core::snapshot::encode(&snap);
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
    let back = vitrine_core::snapshot::decode(&want).unwrap();
    assert_eq!(back, snap);
}

/// Reads files from the repository root.
struct Files;

impl Loader for Files {
    fn load(&self, path: &str) -> Result<Vec<u8>, String> {
        let root = std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."));
        std::fs::read(root.join(path)).map_err(|e| format!("{path}: {e}"))
    }
}

/// The demo shop (campaigns, catalog, recommendations) compiles to exactly
/// `fixtures/golden/shop.snapshot.json` and its shards `fixtures/golden/shop.shards/N.json`
/// (the realistic snapshot the decision benches load). Refresh: `UPDATE_GOLDEN=1 cargo test -p vitrine-compile --lib golden`.
#[test]
fn shop_compiles_to_golden_snapshot_and_shards() {
    let root = std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."));
    let name = "fixtures/campaigns/shop.toml";
    let text = std::fs::read_to_string(root.join(name)).unwrap();
    let built = build(&[Source { name, text: &text }], &Files, &Options::default()).unwrap();
    let mut files = vec![(
        root.join("fixtures/golden/shop.snapshot.json"),
        vitrine_core::snapshot::encode(&built.snapshot),
    )];
    for (n, bytes) in built.shards.iter().enumerate() {
        files.push((
            root.join(format!("fixtures/golden/shop.shards/{n}.json")),
            bytes.clone(),
        ));
    }
    let update = std::env::var_os("UPDATE_GOLDEN").is_some();
    for (path, bytes) in &files {
        if update {
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, bytes).unwrap();
        }
        let want = std::fs::read(path).unwrap_or_else(|_| panic!("missing {path:?}"));
        assert!(
            *bytes == want,
            "{path:?} changed; refresh with UPDATE_GOLDEN=1 if intended"
        );
    }
    let back = vitrine_core::snapshot::decode(&files[0].1).unwrap();
    for (n, bytes) in built.shards.iter().enumerate() {
        back.attach_shard(n, bytes).unwrap();
    }
    assert!(back.product("p0042").is_some());
}
