//! `[catalog]`: products, recommendation tables and product lists from the shop's CSV or JSON
//! exports, checked row by row and split into shards by product-id hash.
//!
//! | file | CSV columns | JSON |
//! |---|---|---|
//! | products | `id,name,price_cents,url[,image,category,in_stock]` | array of objects with those keys |
//! | recommendations | `product_id,table,products` (ids separated by spaces or `\|`) | `{ "p1": { "also_bought": ["p2"] } }` |
//! | lists | `list,key,products` | array of `{ "list", "key"?, "products": [] }` |

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde::Deserialize;
use toml::Spanned;

use super::html::check_url;
use super::rows::{data_error, rows};
use super::run::Run;
use super::source::CatalogSrc;
use vitrine_core::snapshot::catalog::{
    encode_shards, Catalog, ProductData, ProductList, KV_VALUE_LIMIT,
};

/// Products per shard unless `shard_size` says otherwise.
pub const DEFAULT_SHARD_SIZE: i64 = 2000;

#[derive(Deserialize)]
struct ProductRow {
    id: String,
    name: String,
    price_cents: u64,
    url: String,
    #[serde(default)]
    image: String,
    #[serde(default)]
    category: String,
    #[serde(default = "in_stock_default", deserialize_with = "flag")]
    in_stock: bool,
}

fn in_stock_default() -> bool {
    true
}

fn flag<'de, D: serde::Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Flag {
        Bool(bool),
        Int(i64),
        Text(String),
    }
    match Flag::deserialize(d)? {
        Flag::Bool(b) => Ok(b),
        Flag::Int(i) => Ok(i != 0),
        Flag::Text(t) => match t.trim().to_ascii_lowercase().as_str() {
            "" | "1" | "true" | "yes" | "y" => Ok(true),
            "0" | "false" | "no" | "n" => Ok(false),
            other => Err(serde::de::Error::custom(format!(
                "`{other}` is not true/false"
            ))),
        },
    }
}

#[derive(Deserialize)]
struct ListRow {
    list: String,
    #[serde(default)]
    key: Option<String>,
    products: Ids,
}

#[derive(Deserialize)]
struct RecRow {
    product_id: String,
    table: String,
    products: Ids,
}

/// Product ids as a JSON array or one CSV cell separated by spaces or `|`.
#[derive(Deserialize)]
#[serde(untagged)]
enum Ids {
    List(Vec<String>),
    Cell(String),
}

impl Ids {
    fn into_vec(self) -> Vec<String> {
        match self {
            Self::List(v) => v,
            Self::Cell(s) => s
                .split([' ', '|', ';'])
                .filter(|x| !x.is_empty())
                .map(str::to_owned)
                .collect(),
        }
    }
}

impl Run<'_> {
    pub fn catalog(
        &mut self,
        file: usize,
        src: Spanned<CatalogSrc>,
    ) -> Option<(Catalog, Vec<Vec<u8>>)> {
        let span = src.span();
        let src = src.into_inner();
        let shard_size = src
            .shard_size
            .as_ref()
            .map_or(DEFAULT_SHARD_SIZE, |s| *s.get_ref());
        if let Some(s) = src.shard_size.as_ref().filter(|_| shard_size < 1) {
            self.error(
                file,
                s.span(),
                "catalog",
                "catalog.shard_size",
                "shard_size must be at least 1".into(),
                "use for example 2000",
            );
            return None;
        }
        let before = self.errors.len();
        let mut products = self.products(file, &src.products)?;
        self.product_ids = Some(products.iter().map(|p| p.id.to_string()).collect());
        let index: HashMap<&str, usize> = products
            .iter()
            .enumerate()
            .map(|(i, p)| (&*p.id, i))
            .collect();
        let recs = match &src.recommendations {
            Some(path) => self.load_rows::<RecRow>(file, path)?,
            None => Vec::new(),
        };
        let tables: Vec<String> = recs
            .iter()
            .map(|(_, r, _)| r.table.clone())
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        let mut rec_lists: Vec<Vec<Vec<Box<str>>>> = vec![Vec::new(); products.len()];
        for (line, row, name) in recs {
            let Some(&at) = index.get(row.product_id.as_str()) else {
                self.errors.push(data_error(
                    &name,
                    line,
                    1,
                    format!("unknown product `{}`", row.product_id),
                ));
                continue;
            };
            let t = tables.iter().position(|x| *x == row.table).unwrap_or(0);
            let ids = self.known(&index, row.products.into_vec(), &name, line);
            let lists = &mut rec_lists[at];
            if lists.len() <= t {
                lists.resize(t + 1, Vec::new());
            }
            lists[t] = ids.into_iter().map(Box::from).collect();
        }
        let lists = match &src.lists {
            Some(path) => self.load_rows::<ListRow>(file, path)?,
            None => Vec::new(),
        };
        let mut product_lists = Vec::new();
        for (line, row, name) in lists {
            let ids = self.known(&index, row.products.into_vec(), &name, line);
            product_lists.push(ProductList {
                name: self.sym(&row.list),
                key: row
                    .key
                    .as_deref()
                    .filter(|k| !k.is_empty())
                    .map(|k| self.sym(k)),
                products: ids.iter().map(|id| self.sym(id)).collect(),
            });
        }
        if self.errors.len() > before {
            return None;
        }
        drop(index);
        let count = products.len();
        let n = count.div_ceil(shard_size as usize).max(1);
        for (p, recs) in products.iter_mut().zip(rec_lists) {
            p.related = recs;
        }
        let mut hashes = Vec::with_capacity(n);
        let mut encoded = Vec::with_capacity(n);
        for (i, shard) in encode_shards(&products, tables.len(), n)
            .into_iter()
            .enumerate()
        {
            let size = shard.bytes.len();
            if size >= KV_VALUE_LIMIT {
                self.error(
                    file,
                    span.clone(),
                    "catalog",
                    "catalog.shard_size",
                    format!("shard {i} is {size} bytes, over KV's 25 MiB limit"),
                    "lower `shard_size`",
                );
            }
            hashes.push(shard.hash);
            encoded.push(shard.bytes);
        }
        let tables = tables.iter().map(|t| self.sym(t)).collect();
        Some((
            Catalog {
                products: count as u32,
                shards: hashes,
                tables,
                lists: product_lists,
            },
            encoded,
        ))
    }

    fn products(&mut self, file: usize, path: &Spanned<String>) -> Option<Vec<ProductData>> {
        let rows = self.load_rows::<ProductRow>(file, path)?;
        let mut seen = BTreeMap::new();
        let mut out = Vec::with_capacity(rows.len());
        for (line, row, name) in rows {
            if seen.insert(row.id.clone(), line).is_some() {
                self.errors.push(data_error(
                    &name,
                    line,
                    1,
                    format!("duplicate product id `{}`", row.id),
                ));
                continue;
            }
            for (field, url) in [("url", &row.url), ("image", &row.image)] {
                if field == "image" && url.is_empty() {
                    continue;
                }
                if let Err(why) = check_url(url) {
                    self.errors.push(data_error(
                        &name,
                        line,
                        1,
                        format!("product `{}` {field}: {why}", row.id),
                    ));
                }
            }
            out.push(ProductData {
                id: row.id.into(),
                name: row.name.into(),
                price_cents: row.price_cents,
                url: row.url.into(),
                image: row.image.into(),
                category: row.category.into(),
                in_stock: row.in_stock,
                related: Vec::new(),
            });
        }
        Some(out)
    }

    /// Loads a data file named in `[catalog]` and parses its rows; `None` if unreadable.
    fn load_rows<T: for<'de> Deserialize<'de>>(
        &mut self,
        file: usize,
        path: &Spanned<String>,
    ) -> Option<Vec<(usize, T, String)>> {
        let name = self.resolve(file, path.get_ref());
        let text = match self.read_text(&name) {
            Ok(t) => t,
            Err(why) => {
                self.error(
                    file,
                    path.span(),
                    "catalog",
                    "catalog",
                    why,
                    "paths in [catalog] are relative to the campaign file",
                );
                return None;
            }
        };
        let mut errors = Vec::new();
        let rows = rows::<T>(&name, &text, &mut errors);
        self.errors.extend(errors);
        Some(
            rows.into_iter()
                .map(|(l, r)| (l, r, name.clone()))
                .collect(),
        )
    }

    /// Ids that exist in the catalog; unknown ones are reported.
    fn known(
        &mut self,
        index: &HashMap<&str, usize>,
        ids: Vec<String>,
        name: &str,
        line: usize,
    ) -> Vec<String> {
        let (ok, unknown): (Vec<String>, Vec<String>) = ids
            .into_iter()
            .partition(|id| index.contains_key(id.as_str()));
        if !unknown.is_empty() {
            self.errors.push(data_error(
                name,
                line,
                1,
                format!("unknown product ids: {}", unknown.join(", ")),
            ));
        }
        ok
    }
}
