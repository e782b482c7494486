use proptest::prelude::*;

use super::*;
use crate::snapshot::format::{ShardFault, ShardPart, SnapshotError};

#[test]
fn fnv1a_test_vectors() {
    // Reference values of 64-bit FNV-1a: "" -> cbf29ce484222325, "a" -> af63dc4c8601ec8c.
    assert_eq!(shard_of("", usize::MAX), 0xcbf2_9ce4_8422_2325 % usize::MAX);
    assert_eq!(
        shard_of("a", usize::MAX),
        (0xaf63_dc4c_8601_ec8c_u64 % usize::MAX as u64) as usize
    );
    assert_eq!(shard_of("p0001", 1), 0);
    assert_eq!(shard_of("p0001", 0), 0);
}

fn product(id: &str, related: &[&[&str]]) -> ProductData {
    ProductData {
        id: id.into(),
        name: format!("Name of {id}").into(),
        price_cents: 1999,
        url: format!("/p/{id}").into(),
        image: "/img/dog.svg".into(),
        category: "dog".into(),
        in_stock: !id.ends_with('3'),
        related: related
            .iter()
            .map(|t| t.iter().map(|s| Box::from(*s)).collect())
            .collect(),
    }
}

/// A catalog of `count` products (`p000`…) in `shards` shards, each related to the next ones.
fn catalog(count: usize, shards: usize) -> (Vec<ProductData>, Vec<EncodedShard>, Catalog) {
    let ids: Vec<String> = (0..count).map(|i| format!("p{i:03}")).collect();
    let products: Vec<ProductData> = (0..count)
        .map(|i| {
            let next: Vec<&str> = (1..4).map(|k| ids[(i + k) % count].as_str()).collect();
            product(&ids[i], &[&next, &[], &next[..1]])
        })
        .collect();
    let encoded = encode_shards(&products, 3, shards);
    let manifest = Catalog {
        products: count as u32,
        shards: encoded.iter().map(|e| e.hash.clone()).collect(),
        tables: vec![Sym(0), Sym(1), Sym(2)],
        lists: vec![],
    };
    (products, encoded, manifest)
}

fn decoded(encoded: &[EncodedShard], manifest: &Catalog) -> Vec<Shard> {
    (0..encoded.len())
        .map(|n| decode_shard(&encoded[n].bytes, n, manifest).unwrap())
        .collect()
}

/// The product `key` names, read back as the compiler wrote it (related ids resolved).
fn read_back(shards: &[Shard], key: ProductKey) -> ProductData {
    let p = shards[key.shard as usize].product_at(key.slot).unwrap();
    let id = |k: ProductKey| -> Box<str> {
        let q = shards[k.shard as usize].product_at(k.slot).unwrap();
        q.id.into()
    };
    let mut related: Vec<Vec<Box<str>>> = (0..3).map(|t| p.related(t).map(id).collect()).collect();
    while related.last().is_some_and(Vec::is_empty) {
        related.pop();
    }
    ProductData {
        id: p.id.into(),
        name: p.name.to_string().into(),
        price_cents: p.price_cents,
        url: p.url.to_string().into(),
        image: p.image.to_string().into(),
        category: p.category.to_string().into(),
        in_stock: p.in_stock,
        related,
    }
}

#[test]
fn every_product_reads_back_as_compiled() {
    let (products, encoded, manifest) = catalog(50, 4);
    let shards = decoded(&encoded, &manifest);
    assert_eq!(shards.iter().map(Shard::len).sum::<usize>(), 50);
    for p in &products {
        let n = shard_of(&p.id, 4);
        let found = shards[n].product(&p.id).unwrap().unwrap();
        assert_eq!(found.key.shard as usize, n);
        assert_eq!(read_back(&shards, found.key), *p);
    }
    for missing in ["", "p", "p0000", "p050", "q"] {
        let n = shard_of(missing, 4);
        assert_eq!(shards[n].product(missing).unwrap(), None, "{missing}");
    }
}

#[test]
fn repeated_strings_are_stored_once() {
    let (_, encoded, manifest) = catalog(50, 1);
    let shard = &decoded(&encoded, &manifest)[0];
    let p = shard.product("p007").unwrap().unwrap();
    // The URL is the id between two shared pieces; the image and category are shared whole.
    assert_eq!(p.url.0, ["/p/", "p007", ""]);
    assert_eq!(p.url, "/p/p007");
    assert!(matches!(p.url.to_str(), Cow::Owned(_)));
    assert_eq!(p.url.to_str(), "/p/p007");
    assert_eq!(Text(["a", "", "c"]).to_str(), "ac");
    assert_eq!(Text(["", "é", "ü"]).to_str(), "éü");
    assert!(matches!(p.image.to_str(), Cow::Borrowed("/img/dog.svg")));
    assert_eq!(p.name, "Name of p007");
    assert!(p.name != "Name of p00");
    let per_product = encoded[0].bytes.len() / 50;
    assert!(per_product < 60, "{per_product} bytes per product");
}

#[test]
fn empty_and_unrelated_catalogs() {
    let encoded = encode_shards(&[], 0, 0);
    assert_eq!(encoded.len(), 1);
    let manifest = Catalog {
        products: 0,
        shards: vec![encoded[0].hash.clone()],
        tables: vec![],
        lists: vec![],
    };
    let shard = decode_shard(&encoded[0].bytes, 0, &manifest).unwrap();
    assert!(shard.is_empty());
    assert_eq!(shard.product("p1").unwrap(), None);
    assert!(shard.product_at(0).is_err());
    // Related ids that are not products, and tables past the catalog's, are left out.
    let lone = [product("a", &[&["zz"], &["a"]])];
    let encoded = encode_shards(&lone, 1, 1);
    let manifest = Catalog {
        shards: vec![encoded[0].hash.clone()],
        tables: vec![Sym(0)],
        ..manifest
    };
    let shard = decode_shard(&encoded[0].bytes, 0, &manifest).unwrap();
    let a = shard.product("a").unwrap().unwrap();
    assert_eq!(a.related(0).count(), 0);
    assert_eq!(a.related(1).count(), 0);
    assert_eq!(a.related(7).count(), 0);
}

#[test]
fn foreign_or_damaged_shard_refused() {
    let (_, encoded, manifest) = catalog(20, 2);
    let bytes = &encoded[0].bytes;
    assert!(decode_shard(bytes, 1, &manifest).is_err());
    assert!(decode_shard(bytes, 2, &manifest).is_err());
    let mut damaged = bytes.clone();
    damaged[20] ^= 1;
    assert_eq!(
        decode_shard(&damaged, 0, &manifest).unwrap_err().code(),
        "snapshot_version_mismatch"
    );
    // The right hash but the wrong place or catalog.
    assert!(matches!(
        Shard::parse(bytes, 1, 3),
        Err(SnapshotError::Invalid("shard number"))
    ));
    assert!(matches!(
        Shard::parse(bytes, 0, 2),
        Err(SnapshotError::Invalid("shard tables"))
    ));
    let mut longer = bytes.clone();
    longer.push(0);
    assert!(matches!(
        Shard::parse(&longer, 0, 3),
        Err(SnapshotError::Shard {
            part: ShardPart::Index,
            fault: ShardFault::Trailing(1),
            ..
        })
    ));
}

#[test]
fn shards_are_named_by_xxh3_and_older_sha256_names_still_read() {
    // XXH3-64 reference values (seed 0): "" -> 2d06800538d394c2, "a" -> e6c632b61e964e1f.
    assert_eq!(content_hash(b""), "2d06800538d394c2");
    assert_eq!(content_hash(b"a"), "e6c632b61e964e1f");
    let (_, encoded, mut manifest) = catalog(20, 2);
    assert_eq!(manifest.shards[0], content_hash(&encoded[0].bytes));
    // A manifest written before names its shards by the first 64 bits of SHA-256.
    manifest.shards[0] = crate::snapshot::format::hex16(&encoded[0].bytes);
    assert!(decode_shard(&encoded[0].bytes, 0, &manifest).is_ok());
    // Neither name of another shard's bytes passes.
    manifest.shards[1] = crate::snapshot::format::hex16(&encoded[0].bytes);
    assert_eq!(
        decode_shard(&encoded[1].bytes, 1, &manifest)
            .unwrap_err()
            .code(),
        "snapshot_version_mismatch"
    );
}

#[test]
fn another_schema_is_refused_by_name() {
    let header = wire::Header {
        schema: 2,
        shard: 0,
        products: 0,
        tables: 0,
        shared: vec![],
    };
    let bytes = postcard::to_extend(&header, Vec::new()).unwrap();
    let err = Shard::parse(&bytes, 0, 0).unwrap_err();
    assert_eq!(err.code(), "snapshot_schema");
}

#[test]
fn a_bad_record_is_refused_alone() {
    // Hand-made: record 0 names a shared string the header lacks; record 1 is fine.
    let mut records = Vec::new();
    let mut ends = Vec::new();
    for (id, url) in [
        ("a", wire::Stored::Shared(9)),
        ("b", wire::Stored::Inline("/b")),
    ] {
        let fields = wire::Fields {
            id,
            name: wire::Stored::Inline(id),
            price_cents: 1,
            url,
            image: wire::Stored::Inline(""),
            category: wire::Stored::Inline(""),
            in_stock: true,
        };
        records = postcard::to_extend(&fields, records).unwrap();
        ends.extend_from_slice(&(records.len() as u32).to_le_bytes());
    }
    let header = wire::Header {
        schema: crate::snapshot::SCHEMA_VERSION,
        shard: 0,
        products: 2,
        tables: 0,
        shared: vec![],
    };
    let mut bytes = postcard::to_extend(&header, Vec::new()).unwrap();
    bytes.extend(ends);
    bytes.extend(records);
    let shard = Shard::parse(&bytes, 0, 0).unwrap();
    let err = shard.product("a").unwrap_err();
    assert_eq!(
        err.to_string(),
        "catalog shard 0: record 0 names shared string 9, which the header does not have"
    );
    assert_eq!(shard.product("b").unwrap().unwrap().url, "/b");
}

/// Every read a request can make, on every record: none may panic, whatever the bytes.
fn read_everything(shard: &Shard) {
    for slot in 0..shard.len().min(64) as u32 {
        if let Ok(p) = shard.product_at(slot) {
            for t in 0..4 {
                let _ = p.related(t).take(64).count();
            }
            let _ = (p.name.to_str(), p.url.to_string());
            let _ = shard.product(p.id);
        }
    }
    let _ = shard.product("p007");
    let _ = shard.product_at(u32::MAX);
}

proptest! {
    #[test]
    fn any_bytes_are_refused_or_read_without_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        if let Ok(shard) = Shard::parse(&bytes, 0, 3) {
            read_everything(&shard);
        }
    }

    #[test]
    fn a_damaged_shard_is_refused_or_read_without_panic(
        cut in 0usize..2000,
        flips in proptest::collection::vec((0usize..2000, 1u8..=255), 0..4),
    ) {
        let (_, encoded, manifest) = catalog(30, 1);
        let mut bytes = encoded[0].bytes.clone();
        let whole = bytes.len();
        for (at, mask) in &flips {
            let at = at % whole;
            bytes[at] ^= mask;
        }
        bytes.truncate(cut.min(whole));
        if bytes != encoded[0].bytes {
            prop_assert!(decode_shard(&bytes, 0, &manifest).is_err());
        }
        if let Ok(shard) = Shard::parse(&bytes, 0, 3) {
            read_everything(&shard);
        }
    }

    #[test]
    fn any_products_round_trip(
        rows in proptest::collection::btree_map(
            "[a-z0-9é]{0,6}",
            ("\\PC{0,12}", 0u64..u64::MAX, "(/p/)?\\PC{0,6}", "[a-c]?", any::<bool>()),
            0..40,
        ),
        shards in 1usize..4,
    ) {
        let ids: Vec<&String> = rows.keys().collect();
        let products: Vec<ProductData> = rows
            .iter()
            .enumerate()
            .map(|(i, (id, (name, price, url, category, in_stock)))| ProductData {
                id: id.as_str().into(),
                name: name.as_str().into(),
                price_cents: *price,
                // Some URLs hold their id, so that some shards store them around it.
                url: format!("{url}{id}").into(),
                image: category.as_str().into(),
                category: category.as_str().into(),
                in_stock: *in_stock,
                related: vec![ids.iter().skip(i).take(3).map(|s| s.as_str().into()).collect()],
            })
            .collect();
        let encoded = encode_shards(&products, 1, shards);
        let manifest = Catalog {
            products: products.len() as u32,
            shards: encoded.iter().map(|e| e.hash.clone()).collect(),
            tables: vec![Sym(0)],
            lists: vec![],
        };
        let back = decoded(&encoded, &manifest);
        for p in &products {
            let found = back[shard_of(&p.id, shards)].product(&p.id).unwrap().unwrap();
            prop_assert_eq!(&read_back(&back, found.key), p);
        }
    }
}
