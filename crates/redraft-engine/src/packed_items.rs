//! [`PackedItems`]: a short sequence of byte strings packed back to back in one allocation,
//! the idea of Redis's listpack. Lists (one per quicklist node) and small sets use it so that a
//! value of a few small items costs one heap block instead of one per item.
//!
//! Layout: empty (no allocation) when there are no items; otherwise byte 0 holds the item
//! count and the items follow, each prefixed by its length as a LEB128 varint. There are no
//! back-lengths as in a listpack: callers keep at most [`ITEMS_MAX`] items, so walking from
//! the front is bounded, and a reverse iteration records the item starts once.
//!
//! The capacity always equals the length (inserts reserve exactly, removals shrink): a small
//! value keeps no slack, at the price of a reallocation per change, as a listpack pays.

use crate::varint;
/// The most items one buffer holds: the count must fit its one-byte header.
pub const ITEMS_MAX: usize = u8::MAX as usize;

/// Bytes an item takes in the buffer: its length prefix and its bytes.
pub fn entry_size(item: &[u8]) -> usize {
    varint::len(item.len() as u64) + item.len()
}

/// Writes the entry of `item` at the start of `out`, which is exactly [`entry_size`] long.
fn write_entry(out: &mut [u8], item: &[u8]) {
    let at = varint::write(out, item.len() as u64);
    out[at..].copy_from_slice(item);
}

/// The item whose entry starts at `at`, and where the next entry starts (also the byte
/// strings of [`crate::packed_pairs`]). The buffer was written by this module, so a malformed
/// entry is a broken invariant.
pub(crate) fn read_entry(bytes: &[u8], at: usize) -> (&[u8], usize) {
    let (len, start) = varint::read(bytes, at);
    let end = start + usize::try_from(len).expect("a packed length fits in memory");
    (&bytes[start..end], end)
}

/// Items packed in one buffer; see the module documentation.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct PackedItems {
    /// A boxed slice, not a vector: 16 bytes inline instead of 24 (the inline size of every
    /// list and set value), and never spare capacity.
    bytes: Box<[u8]>,
}

impl std::fmt::Debug for PackedItems {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let items: Vec<String> = self
            .iter()
            .map(|item| String::from_utf8_lossy(item).into_owned())
            .collect();
        f.debug_tuple("PackedItems").field(&items).finish()
    }
}

impl PackedItems {
    pub fn len(&self) -> usize {
        self.bytes.first().map_or(0, |&count| usize::from(count))
    }

    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    /// The buffer's size, the one-byte header and every entry; also the heap bytes it holds
    /// (a boxed slice holds exactly its length).
    pub fn byte_len(&self) -> usize {
        self.bytes.len()
    }

    /// Edits the buffer as a vector, then keeps it as an exact-size block again (the edits
    /// reserve exactly, so that costs no copy).
    fn edit<R>(&mut self, f: impl FnOnce(&mut Vec<u8>) -> R) -> R {
        let mut bytes = std::mem::take(&mut self.bytes).into_vec();
        let out = f(&mut bytes);
        self.bytes = bytes.into_boxed_slice();
        out
    }

    /// Would holding `items` more items of `bytes` more entry bytes stay within `items_max`
    /// items and `bytes_max` buffer bytes (header included)?
    pub fn fits_more(
        &self,
        items: usize,
        bytes: usize,
        items_max: usize,
        bytes_max: usize,
    ) -> bool {
        self.len() + items <= items_max && self.bytes.len().max(1) + bytes <= bytes_max
    }

    pub fn iter(&self) -> Items<'_> {
        Items {
            bytes: &self.bytes,
            front: 1.min(self.bytes.len()),
            back: self.bytes.len(),
            starts: Vec::new(),
        }
    }

    /// The byte offset where item `index` starts (the buffer's end for `index == len`).
    fn offset(&self, index: usize) -> usize {
        assert!(index <= self.len(), "packed items: index out of range");
        let mut at = 1.min(self.bytes.len());
        for _ in 0..index {
            at = read_entry(&self.bytes, at).1;
        }
        at
    }

    pub fn get(&self, index: usize) -> &[u8] {
        assert!(index < self.len(), "packed items: index out of range");
        read_entry(&self.bytes, self.offset(index)).0
    }

    fn set_count(&mut self, count: usize) {
        if count == 0 {
            self.bytes = Box::default();
        } else {
            self.bytes[0] = u8::try_from(count).expect("packed items: at most ITEMS_MAX");
        }
    }

    /// Inserts `item` before item `index` (`index == len` appends).
    pub fn insert(&mut self, index: usize, item: &[u8]) {
        let count = self.len();
        assert!(count < ITEMS_MAX, "packed items: full");
        let size = entry_size(item);
        // An empty buffer has no header yet; the first item goes right after it.
        let at = if self.bytes.is_empty() {
            1
        } else {
            self.offset(index)
        };
        self.edit(|bytes| {
            if bytes.is_empty() {
                bytes.reserve_exact(1 + size);
                bytes.push(0);
            }
            let old_len = bytes.len();
            bytes.reserve_exact(size);
            bytes.resize(old_len + size, 0);
            bytes.copy_within(at..old_len, at + size);
            write_entry(&mut bytes[at..at + size], item);
        });
        self.set_count(count + 1);
    }

    pub fn push(&mut self, item: &[u8]) {
        self.insert(self.len(), item);
    }

    /// Removes items `start..end` (by index).
    pub fn remove_range(&mut self, start: usize, end: usize) {
        assert!(start <= end && end <= self.len(), "packed items: bad range");
        if start == end {
            return;
        }
        let count = self.len();
        let from = self.offset(start);
        let mut to = from;
        for _ in start..end {
            to = read_entry(&self.bytes, to).1;
        }
        self.edit(|bytes| bytes.drain(from..to).for_each(drop));
        self.set_count(count - (end - start));
    }

    /// Removes item `index` and returns it.
    pub fn remove(&mut self, index: usize) -> Vec<u8> {
        let item = self.get(index).to_vec();
        self.remove_range(index, index + 1);
        item
    }

    /// Replaces item `index` by `item`.
    pub fn replace(&mut self, index: usize, item: &[u8]) {
        let at = self.offset(index);
        let end = read_entry(&self.bytes, at).1;
        let old_size = end - at;
        let size = entry_size(item);
        self.edit(|bytes| {
            if size > old_size {
                let old_len = bytes.len();
                bytes.reserve_exact(size - old_size);
                bytes.resize(old_len + size - old_size, 0);
                bytes.copy_within(end..old_len, at + size);
            } else if size < old_size {
                bytes.drain(at + size..end);
            }
            write_entry(&mut bytes[at..at + size], item);
        });
    }

    /// Splits off items `index..` into a new buffer.
    pub fn split_off(&mut self, index: usize) -> PackedItems {
        let count = self.len();
        let mut rest = PackedItems::default();
        if index == count {
            return rest;
        }
        let at = self.offset(index);
        let mut bytes = Vec::with_capacity(1 + self.bytes.len() - at);
        bytes.push(0);
        bytes.extend_from_slice(&self.bytes[at..]);
        rest.bytes = bytes.into_boxed_slice();
        rest.set_count(count - index);
        self.edit(|bytes| bytes.truncate(at));
        self.set_count(index);
        rest
    }

    /// Builds a buffer of `items` in one allocation.
    pub fn from_items<'a>(items: impl Iterator<Item = &'a [u8]> + Clone) -> PackedItems {
        let (count, size) = items.clone().fold((0, 0), |(count, size), item| {
            (count + 1, size + entry_size(item))
        });
        if count == 0 {
            return PackedItems::default();
        }
        assert!(count <= ITEMS_MAX, "packed items: too many items");
        let mut bytes = vec![0; 1 + size];
        let mut at = 1;
        for item in items {
            let size = entry_size(item);
            write_entry(&mut bytes[at..at + size], item);
            at += size;
        }
        let mut packed = PackedItems {
            bytes: bytes.into_boxed_slice(),
        };
        packed.set_count(count);
        packed
    }
}

/// The items of a [`PackedItems`], from either end.
#[derive(Clone)]
pub struct Items<'a> {
    bytes: &'a [u8],
    /// Where the next item from the front starts.
    front: usize,
    /// Where the remaining items end.
    back: usize,
    /// Starts of the items in [front, back) as of the first `next_back`, ascending; only its
    /// top is used, and it stays the start of the last remaining item while any remain.
    starts: Vec<usize>,
}

impl<'a> Iterator for Items<'a> {
    type Item = &'a [u8];

    fn next(&mut self) -> Option<&'a [u8]> {
        if self.front >= self.back {
            return None;
        }
        let (item, next) = read_entry(self.bytes, self.front);
        self.front = next;
        Some(item)
    }
}

impl<'a> DoubleEndedIterator for Items<'a> {
    fn next_back(&mut self) -> Option<&'a [u8]> {
        if self.front >= self.back {
            return None;
        }
        if self.starts.is_empty() {
            let mut at = self.front;
            while at < self.back {
                self.starts.push(at);
                at = read_entry(self.bytes, at).1;
            }
        }
        let start = self.starts.pop().expect("a remaining item was recorded");
        self.back = start;
        Some(read_entry(self.bytes, start).0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn items(packed: &PackedItems) -> Vec<Vec<u8>> {
        packed.iter().map(<[u8]>::to_vec).collect()
    }

    fn check(packed: &PackedItems, expected: &[Vec<u8>]) {
        assert_eq!(items(packed), expected);
        let mut reversed: Vec<Vec<u8>> = packed.iter().rev().map(<[u8]>::to_vec).collect();
        reversed.reverse();
        assert_eq!(reversed, expected);
        assert_eq!(packed.len(), expected.len());
        let size: usize = expected.iter().map(|item| entry_size(item)).sum();
        let header = usize::from(!expected.is_empty());
        assert_eq!(packed.byte_len(), header + size);
        for (i, item) in expected.iter().enumerate() {
            assert_eq!(packed.get(i), item.as_slice());
        }
    }

    #[test]
    fn varints_cover_lengths_across_byte_boundaries() {
        for len in [0, 1, 127, 128, 16383, 16384, 70000] {
            let item = vec![7u8; len];
            let packed = PackedItems::from_items([item.as_slice()].into_iter());
            check(&packed, &[item]);
        }
    }

    #[test]
    fn insert_replace_remove_and_split_keep_the_order_and_no_slack() {
        let mut packed = PackedItems::default();
        let mut model: Vec<Vec<u8>> = Vec::new();
        check(&packed, &model);
        for i in 0..40usize {
            let item = vec![b'a' + (i % 26) as u8; i * 7];
            let at = (i * 5) % (model.len() + 1);
            packed.insert(at, &item);
            model.insert(at, item);
            check(&packed, &model);
        }
        for i in 0..40usize {
            let item = vec![b'z'; (i * 13) % 200];
            packed.replace(i, &item);
            model[i] = item;
            check(&packed, &model);
        }
        let rest = packed.split_off(25);
        let model_rest = model.split_off(25);
        check(&packed, &model);
        check(&rest, &model_rest);
        packed.remove_range(3, 9);
        model.drain(3..9);
        check(&packed, &model);
        assert_eq!(packed.remove(0), model.remove(0));
        check(&packed, &model);
        while !model.is_empty() {
            assert_eq!(packed.remove(model.len() - 1), model.pop().unwrap());
            check(&packed, &model);
        }
        assert_eq!(packed.byte_len(), 0, "an empty buffer holds no allocation");
    }

    #[test]
    fn iteration_from_both_ends_meets_in_the_middle() {
        let model: Vec<Vec<u8>> = (0..9u8).map(|i| vec![i; usize::from(i)]).collect();
        let packed = PackedItems::from_items(model.iter().map(Vec::as_slice));
        let mut iter = packed.iter();
        let mut seen = Vec::new();
        let mut from_back = Vec::new();
        for step in 0..20 {
            let next = if step % 3 == 0 {
                iter.next_back().map(|item| from_back.push(item.to_vec()))
            } else {
                iter.next().map(|item| seen.push(item.to_vec()))
            };
            if next.is_none() {
                break;
            }
        }
        from_back.reverse();
        seen.extend(from_back);
        assert_eq!(seen, model);
    }

    #[test]
    fn fits_more_counts_the_header_once() {
        let mut packed = PackedItems::default();
        assert!(packed.fits_more(1, 9, 1, 10));
        assert!(!packed.fits_more(1, 10, 1, 10));
        packed.push(b"12345678");
        assert_eq!(packed.byte_len(), 10);
        assert!(!packed.fits_more(1, 1, 1, 100), "the item limit");
        assert!(packed.fits_more(1, 2, 2, 12));
        assert!(!packed.fits_more(1, 3, 2, 12), "the byte limit");
    }
}
