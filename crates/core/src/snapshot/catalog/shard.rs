//! Reading a shard: [`decode_shard`] checks its hash and reads its header (nothing else), and
//! [`Shard`] finds and decodes one record at a time. Every offset is bounds-checked and every
//! record checked as it is read, so no bytes, damaged or hand-made, can make a read panic.

use std::cmp::Ordering;

use super::super::format::{ShardFault, ShardPart, SnapshotError, SCHEMA_VERSION};
use super::wire::{Fields, Header, Stored, INDEX_ENTRY};
use super::{Catalog, Product, ProductKey, Text};

/// One catalog shard as stored, its hash checked and its header read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shard {
    number: u32,
    products: u32,
    /// The whole stored value: the header, the index and the records.
    bytes: Box<[u8]>,
    /// Where the index starts in `bytes`.
    index_at: usize,
    /// Where the records start in `bytes`, right after the index.
    records_at: usize,
    /// The header's shared strings.
    shared: Box<[Box<str>]>,
}

/// The bytes a shard is read from, which it keeps: owned bytes (a `Vec`, as a KV read returns
/// them) are kept as they are, borrowed ones copied. A cold isolate reads every shard its
/// first pages need, and copying each one again doubled the memory those reads touch.
pub trait ShardBytes {
    /// The bytes, owned.
    fn into_shard_bytes(self) -> Box<[u8]>;
}

impl ShardBytes for Vec<u8> {
    fn into_shard_bytes(self) -> Box<[u8]> {
        self.into_boxed_slice()
    }
}

impl ShardBytes for Box<[u8]> {
    fn into_shard_bytes(self) -> Box<[u8]> {
        self
    }
}

impl<T: AsRef<[u8]> + ?Sized> ShardBytes for &T {
    fn into_shard_bytes(self) -> Box<[u8]> {
        self.as_ref().into()
    }
}

/// Checks shard `n` of the snapshot whose manifest is `catalog` and reads its header: its
/// content hash must be the one the manifest lists, and it must be shard `n`, of this schema,
/// with the catalog's recommendation tables. Its records are read on lookup. The shard keeps
/// the bytes: given a `Vec` (what a KV read returns), it keeps that allocation, with no copy.
pub fn decode_shard(
    bytes: impl ShardBytes,
    n: usize,
    catalog: &Catalog,
) -> Result<Shard, SnapshotError> {
    let bytes = bytes.into_shard_bytes();
    let expected = catalog
        .shards
        .get(n)
        .ok_or(SnapshotError::Invalid("shard number"))?;
    if !super::names_shard(expected, &bytes) {
        return Err(SnapshotError::VersionMismatch {
            claimed: expected.clone(),
            actual: super::content_hash(&bytes),
        });
    }
    Shard::parse(bytes, n, catalog.tables.len())
}

impl Shard {
    /// Reads the header and checks that the index and the records fit the bytes.
    pub(super) fn parse(
        bytes: impl ShardBytes,
        n: usize,
        tables: usize,
    ) -> Result<Self, SnapshotError> {
        let bytes = bytes.into_shard_bytes();
        let fault = |part, fault| SnapshotError::Shard {
            shard: n,
            part,
            fault,
        };
        let (header, rest) = postcard::take_from_bytes::<Header<'_>>(&bytes)
            .map_err(|e| fault(ShardPart::Header, e.into()))?;
        if header.schema != SCHEMA_VERSION {
            return Err(SnapshotError::UnknownSchema {
                found: header.schema,
            });
        }
        if usize::try_from(header.shard).ok() != Some(n) {
            return Err(SnapshotError::Invalid("shard number"));
        }
        if usize::try_from(header.tables).ok() != Some(tables) {
            return Err(SnapshotError::Invalid("shard tables"));
        }
        let index_at = bytes.len() - rest.len();
        let records_at = (header.products as usize)
            .checked_mul(INDEX_ENTRY)
            .and_then(|len| index_at.checked_add(len))
            .filter(|at| *at <= bytes.len())
            .ok_or_else(|| fault(ShardPart::Index, ShardFault::OutOfBounds))?;
        let (number, products) = (header.shard, header.products);
        let shared = header.shared.iter().map(|s| Box::from(*s)).collect();
        let shard = Self {
            number,
            products,
            index_at,
            records_at,
            shared,
            bytes,
        };
        let end = match shard.products.checked_sub(1) {
            Some(last) => shard.end(last).map_err(|f| fault(ShardPart::Index, f))?,
            None => 0,
        };
        match shard.records().len().checked_sub(end) {
            Some(0) => Ok(shard),
            Some(extra) => Err(fault(ShardPart::Index, ShardFault::Trailing(extra))),
            None => Err(fault(ShardPart::Index, ShardFault::OutOfBounds)),
        }
    }

    /// Its shard number.
    pub fn number(&self) -> usize {
        self.number as usize
    }

    /// Products in the shard.
    pub fn len(&self) -> usize {
        self.products as usize
    }

    /// Whether it holds no product.
    pub fn is_empty(&self) -> bool {
        self.products == 0
    }

    /// Bytes of the stored value (what the shard costs in memory, give or take the shared
    /// strings).
    pub fn encoded_len(&self) -> usize {
        self.bytes.len()
    }

    /// The product with this id, if it is in this shard. Reads the ids of about log2(len)
    /// records and decodes the one it finds.
    pub fn product(&self, id: &str) -> Result<Option<Product<'_>>, SnapshotError> {
        let (mut low, mut high) = (0, self.products);
        while low < high {
            let mid = low + (high - low) / 2;
            // Byte by byte: ids are short, and a slice comparison calls `memcmp` each probe.
            match self.id_at(mid)?.iter().cmp(id.as_bytes()) {
                Ordering::Less => low = mid + 1,
                Ordering::Greater => high = mid,
                Ordering::Equal => return self.product_at(mid).map(Some),
            }
        }
        Ok(None)
    }

    /// The product at position `slot` (as a [`ProductKey`] names it).
    pub fn product_at(&self, slot: u32) -> Result<Product<'_>, SnapshotError> {
        let fault = |fault| self.fault(slot, fault);
        let record = self.record(slot)?;
        let (fields, related) = postcard::take_from_bytes::<Fields<'_>>(record)
            .map_err(|e| fault(ShardFault::Decode(e)))?;
        let text = |stored| self.text(stored, fields.id).map_err(fault);
        Ok(Product {
            key: ProductKey {
                shard: self.number,
                slot,
            },
            id: fields.id,
            name: text(fields.name)?,
            price_cents: fields.price_cents,
            url: text(fields.url)?,
            image: text(fields.image)?,
            category: text(fields.category)?,
            in_stock: fields.in_stock,
            related,
        })
    }

    /// The id of the record at `slot`, as bytes (ids sort by their bytes).
    fn id_at(&self, slot: u32) -> Result<&[u8], SnapshotError> {
        // Only where the record starts: the search reads the id and nothing after it (an id
        // running past its record only misleads the search; the record found is checked whole).
        let start = self.start(slot).map_err(|f| self.fault(slot, f))?;
        let record = self.records().get(start..).unwrap_or_default();
        // postcard writes a `&str` exactly as it writes a `&[u8]`; the UTF-8 check waits for
        // the record the search lands on.
        postcard::take_from_bytes::<&[u8]>(record)
            .map(|(id, _)| id)
            .map_err(|e| self.fault(slot, ShardFault::Decode(e)))
    }

    /// The bytes of the record at `slot`.
    fn record(&self, slot: u32) -> Result<&[u8], SnapshotError> {
        let range = self
            .start(slot)
            .and_then(|start| Ok(start..self.end(slot)?));
        range
            .ok()
            .and_then(|range| self.records().get(range))
            .ok_or_else(|| self.fault(slot, ShardFault::OutOfBounds))
    }

    /// Where the record at `slot` starts in the records (where the one before ends).
    fn start(&self, slot: u32) -> Result<usize, ShardFault> {
        match slot.checked_sub(1) {
            Some(before) => self.end(before),
            None if self.products > 0 => Ok(0),
            None => Err(ShardFault::OutOfBounds),
        }
    }

    /// Where the record at `slot` ends in the records (its index entry).
    fn end(&self, slot: u32) -> Result<usize, ShardFault> {
        if slot >= self.products {
            return Err(ShardFault::OutOfBounds);
        }
        // In range: `parse` checked that the whole index fits in the bytes.
        let at = self.index_at + slot as usize * INDEX_ENTRY;
        let entry = self.bytes.get(at..).and_then(|rest| rest.first_chunk());
        entry
            .map(|e| u32::from_le_bytes(*e) as usize)
            .ok_or(ShardFault::OutOfBounds)
    }

    /// The records: everything after the index.
    fn records(&self) -> &[u8] {
        self.bytes.get(self.records_at..).unwrap_or_default()
    }

    fn text<'s>(&'s self, stored: Stored<'s>, id: &'s str) -> Result<Text<'s>, ShardFault> {
        let shared = |i: u32| {
            self.shared
                .get(i as usize)
                .map(|s| &**s)
                .ok_or(ShardFault::NoSuchShared(i))
        };
        Ok(match stored {
            Stored::Inline(s) => Text::whole(s),
            Stored::Shared(i) => Text::whole(shared(i)?),
            Stored::AroundId(before, after) => Text([shared(before)?, id, shared(after)?]),
        })
    }

    fn fault(&self, slot: u32, fault: ShardFault) -> SnapshotError {
        SnapshotError::Shard {
            shard: self.number(),
            part: ShardPart::Record(slot),
            fault,
        }
    }
}

/// The related products of one recommendation table of a product, best first (see
/// [`Product::related`]). It ends early at a pair that does not decode.
#[derive(Debug, Clone)]
pub struct Related<'s> {
    pairs: &'s [u8],
}

impl<'s> Related<'s> {
    /// Table `table` of a record's related section: skips the tables before it unread.
    pub(super) fn table(mut tables: &'s [u8], table: usize) -> Self {
        for _ in 0..table {
            match postcard::take_from_bytes::<&[u8]>(tables) {
                Ok((_, rest)) => tables = rest,
                Err(_) => return Self { pairs: &[] },
            }
        }
        let pairs = postcard::take_from_bytes::<&[u8]>(tables).map_or(&[][..], |(t, _)| t);
        Self { pairs }
    }
}

impl Iterator for Related<'_> {
    type Item = ProductKey;

    fn next(&mut self) -> Option<ProductKey> {
        if self.pairs.is_empty() {
            return None;
        }
        match postcard::take_from_bytes::<(u32, u32)>(self.pairs) {
            Ok(((shard, slot), rest)) => {
                self.pairs = rest;
                Some(ProductKey { shard, slot })
            }
            Err(_) => {
                self.pairs = &[];
                None
            }
        }
    }
}
