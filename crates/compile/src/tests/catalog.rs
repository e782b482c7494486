//! `[catalog]`: CSV and JSON imports, row errors, and sharding.

use super::*;
use vitrine_core::snapshot::catalog::{decode_shard, shard_of};

const CAMPAIGN: &str = "[catalog]\nproducts = \"data/products.csv\"\nrecommendations = \"data/recs.csv\"\nlists = \"data/lists.json\"\nshard_size = 2\n";

const PRODUCTS: &str = "id,name,price_cents,url,image,category,in_stock\np1,Dog bed,4999,/p/p1,/img/dog.svg,dog,true\np2,Cat tree,8999,/p/p2,,cat,no\np3,Leash,1299,https://cdn.example/p3,,dog,1\np4,Bowl,599,/p/p4,,dog,\np5,Toy,199,/p/p5,,cat,yes\n";

fn files(products: &str, recs: &str) -> Mem {
    mem(&[
        ("site/data/products.csv", products),
        ("site/data/recs.csv", recs),
        (
            "site/data/lists.json",
            r#"[{"list": "top_sellers", "key": "dog", "products": ["p3", "p1"]}]"#,
        ),
    ])
}

#[test]
fn csv_catalog_is_sharded_by_id_hash() {
    let recs = "product_id,table,products\np1,also_bought,p3 p4\np2,also_viewed,p5|p1\n";
    let built = build_with(CAMPAIGN, &files(PRODUCTS, recs), &Options::default()).unwrap();
    let catalog = built.snapshot.body().catalog.clone().unwrap();
    assert_eq!(catalog.products, 5);
    assert_eq!(catalog.shards.len(), 3);
    assert_eq!(built.shards.len(), 3);
    let tables: Vec<&str> = catalog
        .tables
        .iter()
        .map(|t| built.snapshot.text(*t))
        .collect();
    assert_eq!(tables, ["also_bought", "also_viewed"]);
    assert_eq!(catalog.lists.len(), 1);
    let snap = &built.snapshot;
    for (n, bytes) in built.shards.iter().enumerate() {
        let shard = decode_shard(bytes, n, &catalog).unwrap();
        assert!(shard.len() <= 2 * 2, "shard {n} holds {}", shard.len());
        snap.attach_shard(n, bytes).unwrap();
    }
    let related = |id: &str, table: usize| -> Vec<String> {
        let p = snap.product(id).unwrap();
        let ids = p.related(table).map(|k| snap.product_at(k).unwrap().id);
        ids.map(str::to_owned).collect()
    };
    for id in ["p1", "p2", "p3", "p4", "p5"] {
        let p = snap.product(id).unwrap_or_else(|| panic!("{id} not found"));
        assert_eq!(p.key.shard as usize, shard_of(id, 3));
    }
    assert_eq!(related("p1", 0), ["p3", "p4"]);
    assert_eq!(related("p2", 1), ["p5", "p1"]);
    assert!(related("p3", 0).is_empty());
    let p2 = snap.product("p2").unwrap();
    assert!(!p2.in_stock);
    assert_eq!(p2.price_cents, 8999);
    assert_eq!(
        (p2.name.to_string(), p2.url.to_string()),
        ("Cat tree".into(), "/p/p2".into())
    );
    assert!(p2.image.is_empty());
    let p3 = snap.product("p3").unwrap();
    assert_eq!(p3.url, "https://cdn.example/p3");
    assert_eq!(p3.category, "dog");
}

/// A catalog like `scripts/gen_catalog.py` makes (`count` products, 10 also-viewed and 10
/// also-bought ids each, top sellers per category), as its three CSV exports.
fn generated_exports(count: usize) -> [(&'static str, String); 3] {
    let categories = [
        "dog", "cat", "garden", "kitchen", "toys", "books", "sport", "tools",
    ];
    let words = [
        "Crunchy", "Cosy", "Deluxe", "Compact", "Bowl", "Bed", "Leash", "Kettle",
    ];
    // A fixed linear congruential generator: the same catalog on every run.
    let mut state: u64 = 42;
    let mut next = move |below: usize| {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (state >> 33) as usize % below
    };
    let id = |i: usize| format!("p{i:06}");
    let mut products = String::from("id,name,price_cents,url,image,category,in_stock\n");
    let mut recs = String::from("product_id,table,products\n");
    let mut lists = String::from("list,key,products\n");
    for i in 0..count {
        let cat = categories[next(categories.len())];
        let name = format!(
            "{} {} {}",
            words[next(4)],
            words[4 + next(4)],
            next(999) + 1
        );
        let (price, stock) = (199 + next(99_800), next(20) > 0);
        let pid = id(i);
        products += &format!("{pid},{name},{price},/p/{pid},/img/{cat}.svg,{cat},{stock}\n");
        for table in ["also_viewed", "also_bought"] {
            let ids: Vec<String> = (0..10).map(|_| id(next(count))).collect();
            recs += &format!("{pid},{table},{}\n", ids.join(" "));
        }
    }
    for cat in categories {
        let ids: Vec<String> = (0..20).map(|_| id(next(count))).collect();
        lists += &format!("top_sellers,{cat},{}\n", ids.join(" "));
    }
    [
        ("site/products.csv", products),
        ("site/recs.csv", recs),
        ("site/lists.csv", lists),
    ]
}

/// Shards are smaller than the exports they come from (issue: compact catalog shards); the
/// 100 000-product figure is in BENCHMARKS.md (`cargo bench --bench snapshot`).
#[test]
fn shards_are_smaller_than_the_csv_exports() {
    let exports = generated_exports(3000);
    let files: Vec<(&str, &str)> = exports.iter().map(|(n, t)| (*n, t.as_str())).collect();
    let campaign = "[catalog]\nproducts = \"products.csv\"\nrecommendations = \"recs.csv\"\nlists = \"lists.csv\"\nshard_size = 500\n";
    let built = build_with(campaign, &mem(&files), &Options::default()).unwrap();
    let csv: usize = exports.iter().map(|(_, t)| t.len()).sum();
    let shards: usize = built.shards.iter().map(Vec::len).sum();
    assert_eq!(built.shards.len(), 6);
    // Well below, not merely below: about 40 % of the CSV at this size.
    assert!(
        shards * 2 < csv,
        "{shards} shard bytes from {csv} CSV bytes"
    );
}

#[test]
fn json_products_are_accepted() {
    let json =
        r#"[{"id": "p1", "name": "A", "price_cents": 100, "url": "/p/p1", "category": "dog"}]"#;
    let files = mem(&[("site/p.json", json)]);
    let built = build_with(
        "[catalog]\nproducts = \"p.json\"\n",
        &files,
        &Options::default(),
    )
    .unwrap();
    assert_eq!(built.snapshot.body().catalog.as_ref().unwrap().products, 1);
}

macro_rules! catalog_refused {
    ($($name:ident: $products:expr, $recs:expr => $code:expr, $line:expr, $needle:expr,)*) => {$(
        #[test]
        fn $name() {
            let errs = build_with(CAMPAIGN, &files($products, $recs), &Options::default()).unwrap_err();
            assert!(
                errs.iter().any(|e| (e.code, e.level, e.line) == ($code, Level::Error, $line)
                    && e.message.contains($needle)
                    && !e.hint.is_empty()),
                "{errs:#?}"
            );
        }
    )*};
}

catalog_refused! {
    catalog_bad_price: "id,name,price_cents,url\np1,A,cheap,/p/p1\n", "product_id,table,products\n" => "catalog", 2, "price_cents",
    catalog_missing_column: "id,name,url\np1,A,/p/p1\n", "product_id,table,products\n" => "catalog", 2, "price_cents",
    catalog_duplicate_id: "id,name,price_cents,url\np1,A,1,/p/p1\np1,B,2,/p/p1\n", "product_id,table,products\n" => "catalog", 3, "duplicate",
    catalog_javascript_url: "id,name,price_cents,url\np1,A,1,javascript:alert(1)\n", "product_id,table,products\n" => "catalog", 2, "scheme",
    catalog_unknown_rec_product: PRODUCTS, "product_id,table,products\np1,also_bought,p9\n" => "catalog", 2, "p9",
    catalog_rec_for_unknown_product: PRODUCTS, "product_id,table,products\np9,also_bought,p1\n" => "catalog", 2, "p9",
}

#[test]
fn catalog_shard_size_must_be_positive() {
    let errs = build_with(
        "[catalog]\nproducts = \"data/products.csv\"\nshard_size = 0\n",
        &files(PRODUCTS, ""),
        &Options::default(),
    )
    .unwrap_err();
    assert_eq!(
        (
            errs[0].code,
            errs[0].field.as_str(),
            errs[0].line,
            errs[0].column
        ),
        ("catalog", "catalog.shard_size", 3, 14)
    );
}

#[test]
fn bound_product_must_exist() {
    let text = format!("{CAMPAIGN}\n[[campaign]]\nid = \"f\"\nslot = \"hero\"\naudience = \"everyone\"\nproduct = \"p9\"\nhtml = \"{{{{product.name}}}}\"\n");
    let recs = "product_id,table,products\n";
    let errs = build_with(&text, &files(PRODUCTS, recs), &Options::default()).unwrap_err();
    assert!(
        errs.iter()
            .any(|e| e.code == "product" && e.message.contains("p9") && e.line == 11),
        "{errs:#?}"
    );
}

#[test]
fn json_row_errors_name_their_line() {
    let json = "[\n  {\"id\": \"p1\", \"name\": \"A\", \"price_cents\": 1, \"url\": \"/p/p1\"},\n  {\"id\": \"p2\", \"name\": \"B\", \"price_cents\": \"free\", \"url\": \"/p/p2\"}\n]";
    let files = mem(&[("site/p.json", json)]);
    let errs = build_with(
        "[catalog]\nproducts = \"p.json\"\n",
        &files,
        &Options::default(),
    )
    .unwrap_err();
    assert_eq!(
        (errs[0].file.as_str(), errs[0].line, errs[0].column),
        ("site/p.json", 3, 3),
        "{errs:#?}"
    );
    assert!(errs[0].message.contains("item 2"));
    assert_eq!((errs[0].code, errs[0].level), ("catalog", Level::Error));
}
