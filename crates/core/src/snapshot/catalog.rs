//! The product catalog: a small manifest inside the snapshot, and the products themselves in
//! separate KV values ("shards") chosen by a hash of the product id, so a request that needs
//! one product loads one shard, never the whole catalog. The manifest lists each shard's
//! content hash, and the manifest is part of the version hash, so a version names its shards
//! exactly; a stale, foreign or damaged shard is refused.
//!
//! `shard = fnv1a64(product id bytes) % shards` (FNV-1a, 64-bit, offset basis
//! `0xcbf29ce484222325`, prime `0x100000001b3`); test vectors below. Each shard is stored under
//! [`shard_key`].

use serde::{Deserialize, Serialize};

use super::format::{hex16, SnapshotError, SCHEMA_VERSION};
use super::sym::Sym;

/// KV's limit for one value; every value a publish writes stays below it.
pub const KV_VALUE_LIMIT: usize = 25 * 1024 * 1024;

/// The catalog manifest kept in the snapshot body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Catalog {
    /// Number of products over all shards.
    pub products: u32,
    /// Content hash of each shard, by shard number (its length is the shard count).
    pub shards: Vec<String>,
    /// Names of the per-product recommendation tables (for example `also_bought`).
    pub tables: Vec<Sym>,
    /// Small product lists (top sellers per category, hand-picked per segment, trending).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub lists: Vec<ProductList>,
}

/// A named, optionally keyed, ordered list of product ids.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProductList {
    /// List name (for example `top_sellers`).
    pub name: Sym,
    /// Key (for example a category or segment id), if the list is keyed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<Sym>,
    /// Product ids, best first.
    pub products: Vec<Sym>,
}

/// One product as the edge renders it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Product {
    /// Product id.
    pub id: Box<str>,
    /// Display name (plain text; escaped when rendered).
    pub name: Box<str>,
    /// Price in cents.
    pub price_cents: u64,
    /// Product page: an `https:` URL or a same-site path (checked at publish time).
    pub url: Box<str>,
    /// Image: an `https:` URL or a same-site path (checked at publish time).
    #[serde(default, skip_serializing_if = "str::is_empty")]
    pub image: Box<str>,
    /// Category id.
    #[serde(default, skip_serializing_if = "str::is_empty")]
    pub category: Box<str>,
    /// Whether it can be bought now.
    pub in_stock: bool,
    /// Recommendation lists, indexed like [`Catalog::tables`]: product ids, best first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub recs: Vec<Vec<Box<str>>>,
}

/// The products of one shard, sorted by id.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shard {
    /// Products sorted by id.
    pub products: Vec<Product>,
}

impl Shard {
    /// The product with this id, if it is in this shard.
    pub fn product(&self, id: &str) -> Option<&Product> {
        self.products
            .binary_search_by(|p| (*p.id).cmp(id))
            .ok()
            .and_then(|i| self.products.get(i))
    }
}

/// The shard a product id lives in.
pub fn shard_of(id: &str, shards: usize) -> usize {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for b in id.bytes() {
        hash ^= u64::from(b);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    if shards == 0 {
        return 0;
    }
    (hash % shards as u64) as usize
}

/// KV key of shard `n` of a version.
pub fn shard_key(version: &str, n: usize) -> String {
    format!("{}/catalog/{n}", super::version_key(version))
}

#[derive(Serialize)]
struct ShardOut<'a> {
    schema: u32,
    shard: usize,
    products: &'a [Product],
}

#[derive(Deserialize)]
struct ShardIn {
    schema: u32,
    shard: usize,
    products: Vec<Product>,
}

/// Serializes shard `n`; returns the bytes and their content hash (for the manifest).
pub fn encode_shard(n: usize, shard: &Shard) -> (Vec<u8>, String) {
    let out = ShardOut {
        schema: SCHEMA_VERSION,
        shard: n,
        products: &shard.products,
    };
    // Plain structs of strings and numbers always serialize.
    let bytes = serde_json::to_vec(&out).unwrap_or_default();
    let hash = hex16(&bytes);
    (bytes, hash)
}

/// Parses shard `n` of the snapshot whose manifest is `catalog`.
pub fn decode_shard(bytes: &[u8], n: usize, catalog: &Catalog) -> Result<Shard, SnapshotError> {
    let expected = catalog
        .shards
        .get(n)
        .ok_or(SnapshotError::Invalid("shard number"))?;
    if hex16(bytes) != *expected {
        return Err(SnapshotError::VersionMismatch {
            claimed: expected.clone(),
            actual: hex16(bytes),
        });
    }
    let shard: ShardIn = serde_json::from_slice(bytes)?;
    if shard.schema != SCHEMA_VERSION {
        return Err(SnapshotError::UnknownSchema {
            found: shard.schema,
        });
    }
    if shard.shard != n {
        return Err(SnapshotError::Invalid("shard number"));
    }
    let sorted = shard.products.windows(2).all(|w| w[0].id < w[1].id);
    let tables = catalog.tables.len();
    if !sorted || shard.products.iter().any(|p| p.recs.len() > tables) {
        return Err(SnapshotError::Invalid("shard products"));
    }
    Ok(Shard {
        products: shard.products,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

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

    fn catalog_for(shard: &Shard) -> (Vec<u8>, Catalog) {
        let (bytes, hash) = encode_shard(0, shard);
        let catalog = Catalog {
            products: shard.products.len() as u32,
            shards: vec![hash],
            tables: vec![Sym(0)],
            lists: vec![],
        };
        (bytes, catalog)
    }

    fn product(id: &str) -> Product {
        Product {
            id: id.into(),
            name: "n".into(),
            price_cents: 100,
            url: format!("/p/{id}").into(),
            image: "".into(),
            category: "dog".into(),
            in_stock: true,
            recs: vec![vec!["x".into()]],
        }
    }

    #[test]
    fn shard_round_trip_and_lookup() {
        let shard = Shard {
            products: vec![product("a"), product("b")],
        };
        let (bytes, catalog) = catalog_for(&shard);
        let back = decode_shard(&bytes, 0, &catalog).unwrap();
        assert_eq!(back, shard);
        assert_eq!(&*back.product("b").unwrap().id, "b");
        assert!(back.product("c").is_none());
    }

    #[test]
    fn foreign_or_damaged_shard_refused() {
        let shard = Shard {
            products: vec![product("a")],
        };
        let (bytes, catalog) = catalog_for(&shard);
        assert!(decode_shard(&bytes, 1, &catalog).is_err());
        let other = Shard {
            products: vec![product("b")],
        };
        let (other_bytes, _) = encode_shard(0, &other);
        assert!(decode_shard(&other_bytes, 0, &catalog).is_err());
        let mut damaged = bytes.clone();
        damaged[20] ^= 1;
        assert_eq!(
            decode_shard(&damaged, 0, &catalog).unwrap_err().code(),
            "snapshot_version_mismatch"
        );
    }
}
