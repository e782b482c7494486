//! Golden HTML tests: the demo campaign applied to demo pages per persona, fed in many chunk
//! sizes, must equal `fixtures/golden/*.html` byte for byte.
//! Refresh after an intended change: `UPDATE_GOLDEN=1 cargo test -p vitrine --test pipeline golden`.
//! Reproduce a chunking failure: `CHUNK_SIZE=<n> cargo test -p vitrine --test pipeline golden`.

use std::path::PathBuf;

use vitrine_compile::{compile, Source};
use vitrine_core::cookie::{Attrs, VerifiedProfile};
use vitrine_core::rewrite::{rewrite_chunked, Limits};
use vitrine_core::{decide, render, Identity};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn persona(segments: &[&str]) -> Identity {
    if segments.is_empty() {
        return Identity::anonymous();
    }
    Identity::Profile(VerifiedProfile {
        sub: "golden".into(),
        segments: segments.iter().map(|s| s.to_string()).collect(),
        attrs: Attrs::default(),
        exp: 0,
    })
}

fn chunk_sizes() -> Vec<usize> {
    match std::env::var("CHUNK_SIZE") {
        Ok(n) => vec![n.parse().expect("CHUNK_SIZE is a number")],
        Err(_) => vec![1, 7, 64, 113, 1024, 4096, usize::MAX],
    }
}

#[test]
fn demo_pages_match_golden_files() {
    let text = std::fs::read_to_string(root().join("fixtures/campaigns/demo.toml")).unwrap();
    let snap = compile(&[Source {
        name: "demo.toml",
        text: &text,
    }])
    .unwrap();
    let personas: [(&str, &[&str]); 4] = [
        ("anonymous", &[]),
        ("loyal", &["loyal"]),
        ("price-hunter", &["price_hunter"]),
        ("dog-owner", &["dog_owner"]),
    ];
    let pages = [
        ("home", "index.html"),
        ("dog", "c/dog.html"),
        ("product", "p/p0001.html"),
    ];
    let update = std::env::var_os("UPDATE_GOLDEN").is_some();
    for (who, segments) in personas {
        for (name, page) in pages {
            let input = std::fs::read(root().join("fixtures/site").join(page)).unwrap();
            let identity = persona(segments);
            let golden = root().join(format!("fixtures/golden/{who}-{name}.html"));
            for chunk in chunk_sizes() {
                let plan = render(&decide(&snap, &identity));
                let (out, err) = rewrite_chunked(plan, &input, chunk, Limits::default()).unwrap();
                assert!(err.is_none(), "{who}/{name}: {err:?}");
                if update {
                    std::fs::create_dir_all(golden.parent().unwrap()).unwrap();
                    std::fs::write(&golden, &out).unwrap();
                }
                let want = std::fs::read(&golden)
                    .unwrap_or_else(|_| panic!("missing {golden:?}; run with UPDATE_GOLDEN=1"));
                assert!(
                    out == want,
                    "{who}/{name} differs from {golden:?} at CHUNK_SIZE={chunk}"
                );
            }
        }
    }
}

/// Reads `include`d files and the catalog exports from the repository.
struct Files;

impl vitrine_compile::Loader for Files {
    fn load(&self, path: &str) -> Result<Vec<u8>, String> {
        std::fs::read(root().join(path)).map_err(|e| format!("{path}: {e}"))
    }
}

/// The shop (demo campaigns + catalog + recommendations) per persona on the home page and a
/// product page, with every catalog shard loaded as the worker would for these requests.
#[test]
fn shop_recommendations_match_golden_files() {
    use vitrine_compile::{build, Options};
    let name = "fixtures/campaigns/shop.toml";
    let text = std::fs::read_to_string(root().join(name)).unwrap();
    let built = build(&[Source { name, text: &text }], &Files, &Options::default()).unwrap();
    for (n, bytes) in built.shards.iter().enumerate() {
        built.snapshot.attach_shard(n, bytes).unwrap();
    }
    let snap = &built.snapshot;
    let personas: [(&str, &[&str]); 4] = [
        ("anonymous", &[]),
        ("loyal", &["loyal"]),
        ("price-hunter", &["price_hunter"]),
        ("dog-owner", &["dog_owner"]),
    ];
    let pages = [
        ("home", "index.html", "/", None),
        ("product", "p/p0001.html", "/p/p0001", Some("p0001")),
    ];
    let update = std::env::var_os("UPDATE_GOLDEN").is_some();
    for (who, segments) in personas {
        for (page_name, page, path, product) in pages {
            let input = std::fs::read(root().join("fixtures/site").join(page)).unwrap();
            let identity = persona(segments);
            let mut ctx = vitrine_core::Context::new(&identity, 1_800_000_000).with_url(path, "");
            ctx.request.product = product;
            let golden = root().join(format!("fixtures/golden/shop-{who}-{page_name}.html"));
            for chunk in chunk_sizes() {
                let plan = render(&vitrine_core::decide_in(snap, &ctx));
                let (out, err) = rewrite_chunked(plan, &input, chunk, Limits::default()).unwrap();
                assert!(err.is_none(), "{who}/{page_name}: {err:?}");
                if update {
                    std::fs::write(&golden, &out).unwrap();
                }
                let want = std::fs::read(&golden)
                    .unwrap_or_else(|_| panic!("missing {golden:?}; run with UPDATE_GOLDEN=1"));
                assert!(
                    out == want,
                    "{who}/{page_name} differs from {golden:?} at CHUNK_SIZE={chunk}"
                );
            }
        }
    }
}
