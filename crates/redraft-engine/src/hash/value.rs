//! The hash value: a listpack (pairs in insertion order, packed in one allocation, see
//! [`PackedPairs`]) while small, a hash table past the replicated thresholds (config.rs).

use std::collections::BTreeMap;

use crate::config::EncodingConfig;
use crate::keyhash::key_hash;
use crate::packed_pairs::{BytesKey, PackedPairs};
use crate::scan;
use crate::wire::{put_bytes, Reader, SnapshotError};

/// Snapshot tags of the two encodings.
pub(super) const ENCODING_LISTPACK: u8 = 0;
pub(super) const ENCODING_TABLE: u8 = 1;

/// A hash value. Like Redis it never converts back from a hash table to a listpack.
#[derive(Clone, Debug, PartialEq)]
pub struct HashValue {
    repr: Repr,
}

#[derive(Clone, Debug, PartialEq)]
enum Repr {
    /// Field/value pairs in insertion order (an update keeps its place), as a listpack.
    Listpack(PackedPairs<BytesKey>),
    /// Ordered by (FNV-1a hash of the field, field): an order that depends on the contents
    /// alone, and a cursor for HSCAN. Boxed so that the small encoding sets the inline size.
    Table(Box<Table>),
}

/// A field and its value.
pub type Pair<'a> = (&'a [u8], &'a [u8]);

/// Field → value, keyed by (FNV-1a hash of the field, field).
type Table = BTreeMap<(u64, Vec<u8>), Vec<u8>>;

impl Default for HashValue {
    fn default() -> Self {
        HashValue {
            repr: Repr::Listpack(PackedPairs::default()),
        }
    }
}

fn table_key(field: &[u8]) -> (u64, Vec<u8>) {
    (key_hash(field), field.to_vec())
}

fn too_long(bytes: &[u8], limits: &EncodingConfig) -> bool {
    bytes.len() as u64 > limits.hash_value()
}

impl HashValue {
    pub fn len(&self) -> usize {
        match &self.repr {
            Repr::Listpack(pairs) => pairs.len(),
            Repr::Table(map) => map.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The name OBJECT ENCODING reports.
    pub fn encoding_name(&self) -> &'static str {
        match self.repr {
            Repr::Listpack(_) => "listpack",
            Repr::Table(_) => "hashtable",
        }
    }

    /// The heap bytes of a listpack's buffer (None for a hash table): tests bound it so that
    /// small hashes stay one allocation.
    pub fn listpack_bytes(&self) -> Option<usize> {
        match &self.repr {
            Repr::Listpack(pairs) => Some(pairs.heap_bytes()),
            Repr::Table(_) => None,
        }
    }

    pub fn get(&self, field: &[u8]) -> Option<&[u8]> {
        match &self.repr {
            Repr::Listpack(pairs) => pairs.find(|slot| slot.key == field).map(|slot| slot.value),
            Repr::Table(map) => map.get(&table_key(field)).map(Vec::as_slice),
        }
    }

    pub fn contains(&self, field: &[u8]) -> bool {
        self.get(field).is_some()
    }

    /// Pairs in the encoding's order: insertion order for a listpack, hash order otherwise.
    pub fn iter(&self) -> Box<dyn Iterator<Item = Pair<'_>> + '_> {
        match &self.repr {
            Repr::Listpack(pairs) => Box::new(pairs.iter().map(|slot| (slot.key, slot.value))),
            Repr::Table(map) => {
                Box::new(map.iter().map(|((_, f), v)| (f.as_slice(), v.as_slice())))
            }
        }
    }

    /// Sets `field` to `value`; true when the field is new. As hashTypeSet: a field or value
    /// too long for a listpack converts first, too many fields convert after.
    pub fn set(&mut self, field: &[u8], value: Vec<u8>, limits: &EncodingConfig) -> bool {
        if too_long(field, limits) || too_long(&value, limits) {
            self.convert();
        }
        match &mut self.repr {
            Repr::Listpack(pairs) => {
                if let Some(slot) = pairs.find(|slot| slot.key == field) {
                    let span = slot.span;
                    pairs.replace(span, field, &value);
                    return false;
                }
                pairs.push(field, &value);
                if pairs.len() as u64 > limits.hash_entries() {
                    self.convert();
                }
                true
            }
            Repr::Table(map) => map.insert(table_key(field), value).is_none(),
        }
    }

    pub fn remove(&mut self, field: &[u8]) -> bool {
        match &mut self.repr {
            Repr::Listpack(pairs) => {
                let span = pairs.find(|slot| slot.key == field).map(|slot| slot.span);
                span.map(|span| pairs.remove(span)).is_some()
            }
            Repr::Table(map) => map.remove(&table_key(field)).is_some(),
        }
    }

    /// One HSCAN page from `cursor`, and the cursor to resume from: a listpack whole with
    /// cursor 0 (as Redis does), a hash table about `count` fields at a time in field-hash
    /// order, so that every field present for the whole scan is returned exactly once.
    pub fn scan(&self, cursor: u64, count: usize) -> (Vec<Pair<'_>>, u64) {
        match &self.repr {
            Repr::Listpack(_) => (self.iter().collect(), 0),
            Repr::Table(map) => scan::scan_page(
                map.range((cursor, Vec::new())..)
                    .map(|((hash, f), v)| (*hash, (f.as_slice(), v.as_slice()))),
                count,
            ),
        }
    }

    /// Converts to a hash table when any argument about to be stored is too long for a
    /// listpack, whether or not it ends up stored (hashTypeTryConversion).
    pub(super) fn convert_for(&mut self, args: &[Vec<u8>], limits: &EncodingConfig) {
        if args.iter().any(|arg| too_long(arg, limits)) {
            self.convert();
        }
    }

    fn convert(&mut self) {
        if let Repr::Listpack(pairs) = &self.repr {
            let map = pairs
                .iter()
                .map(|slot| (table_key(slot.key), slot.value.to_vec()))
                .collect();
            self.repr = Repr::Table(Box::new(map));
        }
    }

    /// Appends this value in the snapshot format: encoding (u8), pair count (u32), then each
    /// field and value in the encoding's order.
    pub(crate) fn encode_snapshot(&self, out: &mut Vec<u8>) {
        out.push(match self.repr {
            Repr::Listpack(_) => ENCODING_LISTPACK,
            Repr::Table(_) => ENCODING_TABLE,
        });
        let len = u32::try_from(self.len()).expect("hashes are bounded below 4G fields");
        out.extend_from_slice(&len.to_le_bytes());
        for (field, value) in self.iter() {
            put_bytes(out, field);
            put_bytes(out, value);
        }
    }

    /// Reads a value back, refusing one no command could have built (an unknown encoding, a
    /// repeated field). A listpack of any size loads: the thresholds are configuration, and a
    /// value built under higher ones keeps its encoding until a write converts it.
    pub(crate) fn decode_snapshot(reader: &mut Reader) -> Result<HashValue, SnapshotError> {
        let encoding = reader.u8()?;
        let len = reader.u32()?;
        // There is no error variant for bad contents; they report the encoding byte.
        let invalid = SnapshotError::UnknownType(encoding);
        let mut pairs = Vec::new();
        for _ in 0..len {
            let field = reader.bytes()?.to_vec();
            let value = reader.bytes()?.to_vec();
            pairs.push((field, value));
        }
        let repr = match encoding {
            ENCODING_LISTPACK => {
                let mut fields: Vec<&[u8]> = pairs.iter().map(|(f, _)| f.as_slice()).collect();
                fields.sort_unstable();
                fields.dedup();
                if fields.len() != pairs.len() {
                    return Err(invalid);
                }
                Repr::Listpack(PackedPairs::from_pairs(
                    pairs.iter().map(|(f, v)| (f.as_slice(), v.as_slice())),
                ))
            }
            ENCODING_TABLE => {
                let mut map = Box::new(BTreeMap::new());
                for (field, value) in pairs {
                    if map.insert(table_key(&field), value).is_some() {
                        return Err(invalid);
                    }
                }
                Repr::Table(map)
            }
            _ => return Err(invalid),
        };
        Ok(HashValue { repr })
    }
}
