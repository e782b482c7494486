//! Writing shards: the compiler hands over every product ([`ProductData`]) and gets back one
//! value per shard ([`encode_shards`]), each with the content hash the manifest lists. The
//! encoder is the only place that knows where every product lands, so it turns related ids
//! into places ([`ProductKey`]) and picks each shard's shared strings.

use std::collections::HashMap;

use super::super::format::SCHEMA_VERSION;
use super::wire::{ByteString, Fields, Header, Stored, INDEX_ENTRY, MAX_SHARED};
use super::{shard_of, ProductKey};

/// One product as the compiler hands it to [`encode_shards`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProductData {
    /// Product id.
    pub id: Box<str>,
    /// Display name.
    pub name: Box<str>,
    /// Price in cents.
    pub price_cents: u64,
    /// Product page URL.
    pub url: Box<str>,
    /// Image URL, or empty.
    pub image: Box<str>,
    /// Category id, or empty.
    pub category: Box<str>,
    /// Whether it can be bought now.
    pub in_stock: bool,
    /// Recommendation lists, indexed like [`super::Catalog::tables`]: product ids, best first.
    pub related: Vec<Vec<Box<str>>>,
}

/// One shard as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncodedShard {
    /// The value to store under [`super::shard_key`].
    pub bytes: Vec<u8>,
    /// Its content hash, for [`super::Catalog::shards`].
    pub hash: String,
}

/// Splits `products` into `shards` shards (at least one) by [`shard_of`] and encodes each,
/// with `tables` recommendation tables. Related ids that are not among `products` are left out
/// (the compiler reports them before), as are tables past `tables`.
pub fn encode_shards(products: &[ProductData], tables: usize, shards: usize) -> Vec<EncodedShard> {
    let count = shards.max(1);
    let mut members: Vec<Vec<&ProductData>> = vec![Vec::new(); count];
    for p in products {
        if let Some(m) = members.get_mut(shard_of(&p.id, count)) {
            m.push(p);
        }
    }
    for m in &mut members {
        m.sort_by(|a, b| a.id.cmp(&b.id));
    }
    let keys: HashMap<&str, ProductKey> = members
        .iter()
        .enumerate()
        .flat_map(|(n, m)| {
            m.iter().enumerate().map(move |(slot, p)| {
                let key = ProductKey {
                    shard: n as u32,
                    slot: slot as u32,
                };
                (&*p.id, key)
            })
        })
        .collect();
    let encoder = Encoder { tables, keys };
    members
        .iter()
        .enumerate()
        .map(|(n, m)| encoder.shard(n, m))
        .collect()
}

struct Encoder<'a> {
    tables: usize,
    keys: HashMap<&'a str, ProductKey>,
}

impl<'a> Encoder<'a> {
    fn shard(&self, n: usize, products: &[&'a ProductData]) -> EncodedShard {
        let shared = Shared::choose(products);
        let mut index = Vec::with_capacity(products.len() * INDEX_ENTRY);
        let mut records = Vec::new();
        for p in products {
            records = self.record(records, p, &shared);
            // A shard over 4 GiB is far past KV's limit, which the compiler refuses first.
            let end = u32::try_from(records.len()).unwrap_or(u32::MAX);
            index.extend_from_slice(&end.to_le_bytes());
        }
        let header = Header {
            schema: SCHEMA_VERSION,
            shard: n as u32,
            products: products.len() as u32,
            tables: self.tables as u32,
            shared: shared.strings,
        };
        let mut bytes = write(
            &header,
            Vec::with_capacity(index.len() + records.len() + 64),
        );
        bytes.extend_from_slice(&index);
        bytes.extend_from_slice(&records);
        let hash = super::content_hash(&bytes);
        EncodedShard { bytes, hash }
    }

    fn record(&self, out: Vec<u8>, p: &'a ProductData, shared: &Shared<'a>) -> Vec<u8> {
        let fields = Fields {
            id: &p.id,
            name: shared.store(&p.name, &p.id),
            price_cents: p.price_cents,
            url: shared.store(&p.url, &p.id),
            image: shared.store(&p.image, &p.id),
            category: shared.store(&p.category, &p.id),
            in_stock: p.in_stock,
        };
        let mut out = write(&fields, out);
        let related = &p.related[..p.related.len().min(self.tables)];
        // Empty tables at the end are left out: a missing table reads as empty.
        let written = related
            .iter()
            .rposition(|t| !t.is_empty())
            .map_or(0, |i| i + 1);
        let mut pairs = Vec::new();
        for table in &related[..written] {
            pairs.clear();
            for key in table.iter().filter_map(|id| self.keys.get(&**id)) {
                pairs = write(&(key.shard, key.slot), pairs);
            }
            out = write(&ByteString(&pairs), out);
        }
        out
    }
}

/// Appends `value` to `out`.
fn write<T: serde::Serialize>(value: &T, out: Vec<u8>) -> Vec<u8> {
    // The wire types are plain structs of strings and integers, which postcard always writes;
    // should it not, the shard's hash and bounds checks refuse what came out.
    postcard::to_extend(value, out).unwrap_or_default()
}

/// The strings a shard stores once: those that save the most bytes when records name them by
/// position instead of repeating them.
struct Shared<'a> {
    strings: Vec<&'a str>,
    positions: HashMap<&'a str, u32>,
}

impl<'a> Shared<'a> {
    fn choose(products: &[&'a ProductData]) -> Self {
        // Per string: how often records would name it, and the bytes that would save them.
        let mut uses: HashMap<&'a str, (usize, usize)> = HashMap::new();
        let mut count = |s: &'a str, saved: usize| {
            let entry = uses.entry(s).or_default();
            *entry = (entry.0 + 1, entry.1 + saved);
        };
        for p in products {
            for text in [&p.name, &p.url, &p.image, &p.category] {
                match around_id(text, &p.id) {
                    // Each side takes half the credit for leaving out the id.
                    Some((before, after)) => {
                        count(before, before.len() + p.id.len() / 2);
                        count(after, after.len() + p.id.len() / 2);
                    }
                    None => count(text, text.len()),
                }
            }
        }
        let mut ranked: Vec<(&'a str, usize, usize)> = uses
            .into_iter()
            .filter(|(s, (n, saved))| *n > 1 && *saved > s.len() + 1)
            .map(|(s, (n, saved))| (s, n, saved - s.len() - 1))
            .collect();
        ranked.sort_by(|a, b| b.2.cmp(&a.2).then(a.0.cmp(b.0)));
        ranked.truncate(MAX_SHARED);
        // The most used first: positions under 128 take one byte.
        ranked.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
        let strings: Vec<&'a str> = ranked.into_iter().map(|(s, ..)| s).collect();
        let positions = (0..).zip(&strings).map(|(i, s)| (*s, i)).collect();
        Self { strings, positions }
    }

    fn store(&self, text: &'a str, id: &str) -> Stored<'a> {
        let at = |s: &str| self.positions.get(s).copied();
        if let Some((before, after)) = around_id(text, id) {
            if let (Some(b), Some(a)) = (at(before), at(after)) {
                return Stored::AroundId(b, a);
            }
        }
        at(text).map_or(Stored::Inline(text), Stored::Shared)
    }
}

/// What comes before and after the first `id` in `text`.
fn around_id<'t>(text: &'t str, id: &str) -> Option<(&'t str, &'t str)> {
    if id.is_empty() {
        return None;
    }
    text.split_once(id)
}
