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
    for id in ["p1", "p2", "p3", "p4", "p5"] {
        let n = shard_of(id, 3);
        let shard = decode_shard(&built.shards[n], n, &catalog).unwrap();
        let p = shard
            .product(id)
            .unwrap_or_else(|| panic!("{id} not in shard {n}"));
        if id == "p1" {
            assert_eq!(p.recs[0], vec![Box::from("p3"), Box::from("p4")]);
        }
        if id == "p2" {
            assert!(!p.in_stock);
            assert_eq!(p.recs[1], vec![Box::from("p5"), Box::from("p1")]);
        }
    }
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
    ($($name:ident: $products:expr, $recs:expr => $line:expr, $needle:expr,)*) => {$(
        #[test]
        fn $name() {
            let errs = build_with(CAMPAIGN, &files($products, $recs), &Options::default()).unwrap_err();
            assert!(errs.iter().any(|e| e.line == $line && e.message.contains($needle)), "{errs:#?}");
        }
    )*};
}

catalog_refused! {
    catalog_bad_price: "id,name,price_cents,url\np1,A,cheap,/p/p1\n", "product_id,table,products\n" => 2, "price_cents",
    catalog_missing_column: "id,name,url\np1,A,/p/p1\n", "product_id,table,products\n" => 2, "price_cents",
    catalog_duplicate_id: "id,name,price_cents,url\np1,A,1,/p/p1\np1,B,2,/p/p1\n", "product_id,table,products\n" => 3, "duplicate",
    catalog_javascript_url: "id,name,price_cents,url\np1,A,1,javascript:alert(1)\n", "product_id,table,products\n" => 2, "scheme",
    catalog_unknown_rec_product: PRODUCTS, "product_id,table,products\np1,also_bought,p9\n" => 2, "p9",
    catalog_rec_for_unknown_product: PRODUCTS, "product_id,table,products\np9,also_bought,p1\n" => 2, "p9",
}

#[test]
fn catalog_shard_size_must_be_positive() {
    let errs = build_with(
        "[catalog]\nproducts = \"data/products.csv\"\nshard_size = 0\n",
        &files(PRODUCTS, ""),
        &Options::default(),
    )
    .unwrap_err();
    assert_eq!((errs[0].line, errs[0].column), (3, 14));
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
}
