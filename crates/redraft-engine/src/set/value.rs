//! The set value: an intset (ascending integers) while every member is an integer and there
//! are few of them, a hash table otherwise (held packed in one buffer while small, an internal
//! form that behaves exactly as the table), and its snapshot format.

use std::borrow::Cow;
use std::cmp::Ordering;
use std::collections::BTreeSet;

use crate::args;
use crate::config::EncodingConfig;
use crate::keyhash::key_hash;
use crate::packed_items::PackedItems;
use crate::wire::{put_bytes, Reader, SnapshotError};

/// A set of non-integer members stays packed in one buffer while it has at most this many
/// members, each at most [`PACKED_MEMBER_BYTES_MAX`] bytes: Redis 7.2's listpack-set limits
/// (set-max-listpack-entries 128, set-max-listpack-value 64). Lookups in the packed form are
/// linear scans that hash each member, so the limits bound a scan to about 8 KiB of hashing,
/// while the typical small set (a few short members) costs one allocation instead of a tree
/// node and a buffer per member.
pub(super) const PACKED_MEMBERS_MAX: usize = 128;

/// See [`PACKED_MEMBERS_MAX`].
pub(super) const PACKED_MEMBER_BYTES_MAX: usize = 64;

/// Snapshot tags of the two encodings.
pub(super) const ENCODING_INTSET: u8 = 0;
pub(super) const ENCODING_TABLE: u8 = 1;

/// A set value. Like Redis it never converts back from a hash table to an intset, nor (an
/// internal choice) from the big hash table form to the packed one.
#[derive(Clone, Debug)]
pub struct SetValue {
    repr: Repr,
}

#[derive(Clone, Debug)]
enum Repr {
    /// Strictly ascending integers, as Redis's intset (members that string2ll reads). The
    /// vector is kept at its exact size.
    Intset(Vec<i64>),
    /// A small hash table set packed in one buffer, in exactly the order of `Table` (so scans,
    /// picks by index and every iteration are the same in either form); OBJECT ENCODING says
    /// "hashtable" for both. Bounded by [`PACKED_MEMBERS_MAX`] and [`PACKED_MEMBER_BYTES_MAX`].
    Packed(PackedItems),
    /// Ordered by (FNV-1a hash of the member, member): an order that depends on the contents
    /// alone, and a cursor for SSCAN.
    Table(BTreeSet<(u64, Vec<u8>)>),
}

/// Sets are equal when their encodings (as OBJECT ENCODING names them) and members in order
/// are: the packed and table forms of one set are the same value.
impl PartialEq for SetValue {
    fn eq(&self, other: &Self) -> bool {
        match (&self.repr, &other.repr) {
            (Repr::Intset(a), Repr::Intset(b)) => a == b,
            (Repr::Intset(_), _) | (_, Repr::Intset(_)) => false,
            _ => self.len() == other.len() && self.iter().eq(other.iter()),
        }
    }
}

/// An empty intset, as Redis's createIntsetObject (the STORE commands start from one).
impl Default for SetValue {
    fn default() -> Self {
        SetValue {
            repr: Repr::Intset(Vec::new()),
        }
    }
}

/// A hash table's members with their hashes, in order.
pub(super) type HashedMembers<'a> = Box<dyn Iterator<Item = (u64, &'a [u8])> + 'a>;

fn table_key(member: &[u8]) -> (u64, Vec<u8>) {
    (key_hash(member), member.to_vec())
}

/// Where `member` is in a packed set (Ok) or would go (Err), in (hash, member) order.
fn packed_find(packed: &PackedItems, member: &[u8]) -> Result<usize, usize> {
    let wanted = (key_hash(member), member);
    for (at, item) in packed.iter().enumerate() {
        match (key_hash(item), item).cmp(&wanted) {
            Ordering::Less => {}
            Ordering::Equal => return Ok(at),
            Ordering::Greater => return Err(at),
        }
    }
    Err(packed.len())
}

/// The hash table form of `members`, ordered and deduplicated by the caller's set: packed
/// while within the limits.
fn hashed_repr(members: BTreeSet<(u64, Vec<u8>)>) -> Repr {
    let small = members.len() <= PACKED_MEMBERS_MAX
        && members
            .iter()
            .all(|(_, member)| member.len() <= PACKED_MEMBER_BYTES_MAX);
    if small {
        Repr::Packed(PackedItems::from_items(
            members.iter().map(|(_, member)| member.as_slice()),
        ))
    } else {
        Repr::Table(members)
    }
}

impl SetValue {
    /// A set built as Redis builds a result set: the members added one by one into an empty
    /// intset, which converts when it must (so the encoding is the one Redis would pick).
    pub fn from_members<M: AsRef<[u8]>>(
        members: impl IntoIterator<Item = M>,
        limits: &EncodingConfig,
    ) -> SetValue {
        let mut set = SetValue::default();
        for member in members {
            set.add(member.as_ref(), limits);
        }
        set
    }

    pub fn len(&self) -> usize {
        match &self.repr {
            Repr::Intset(ints) => ints.len(),
            Repr::Packed(packed) => packed.len(),
            Repr::Table(members) => members.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The name OBJECT ENCODING reports.
    pub fn encoding_name(&self) -> &'static str {
        match self.repr {
            Repr::Intset(_) => "intset",
            Repr::Packed(_) | Repr::Table(_) => "hashtable",
        }
    }

    pub fn contains(&self, member: &[u8]) -> bool {
        match &self.repr {
            Repr::Intset(ints) => {
                args::parse_i64(member).is_some_and(|n| ints.binary_search(&n).is_ok())
            }
            Repr::Packed(packed) => packed_find(packed, member).is_ok(),
            Repr::Table(members) => members.contains(&table_key(member)),
        }
    }

    /// Adds `member`; true when it is new. A member that is no integer, or one too many,
    /// turns an intset into a hash table (setTypeAdd); a packed set past its limits becomes
    /// the big table form.
    pub fn add(&mut self, member: &[u8], limits: &EncodingConfig) -> bool {
        match &mut self.repr {
            Repr::Intset(ints) => {
                let Some(n) = args::parse_i64(member) else {
                    self.convert();
                    return self.add(member, limits);
                };
                let Err(at) = ints.binary_search(&n) else {
                    return false;
                };
                ints.reserve_exact(1);
                ints.insert(at, n);
                if ints.len() as u64 > limits.intset_entries() {
                    self.convert();
                }
                true
            }
            Repr::Packed(packed) => {
                let Err(at) = packed_find(packed, member) else {
                    return false;
                };
                if packed.len() < PACKED_MEMBERS_MAX && member.len() <= PACKED_MEMBER_BYTES_MAX {
                    packed.insert(at, member);
                    return true;
                }
                let members = packed.iter().map(table_key).collect();
                self.repr = Repr::Table(members);
                self.add(member, limits)
            }
            Repr::Table(members) => members.insert(table_key(member)),
        }
    }

    pub fn remove(&mut self, member: &[u8]) -> bool {
        match &mut self.repr {
            Repr::Intset(ints) => {
                let found = args::parse_i64(member).and_then(|n| ints.binary_search(&n).ok());
                let removed = found.map(|at| ints.remove(at)).is_some();
                ints.shrink_to_fit();
                removed
            }
            Repr::Packed(packed) => match packed_find(packed, member) {
                Ok(at) => {
                    packed.remove_range(at, at + 1);
                    true
                }
                Err(_) => false,
            },
            Repr::Table(members) => members.remove(&table_key(member)),
        }
    }

    /// An intset becomes a hash table (packed while small enough).
    fn convert(&mut self) {
        if let Repr::Intset(ints) = &self.repr {
            let members = ints
                .iter()
                .map(|n| table_key(n.to_string().as_bytes()))
                .collect();
            self.repr = hashed_repr(members);
        }
    }

    /// Members in the encoding's order: ascending for an intset, hash order otherwise.
    pub fn iter(&self) -> Box<dyn Iterator<Item = Cow<'_, [u8]>> + '_> {
        match &self.repr {
            Repr::Intset(ints) => {
                Box::new(ints.iter().map(|n| Cow::Owned(n.to_string().into_bytes())))
            }
            Repr::Packed(packed) => Box::new(packed.iter().map(Cow::Borrowed)),
            Repr::Table(members) => Box::new(
                members
                    .iter()
                    .map(|(_, member)| Cow::Borrowed(member.as_slice())),
            ),
        }
    }

    /// A hash table's members whose hash is at least `cursor`, with their hashes, in order;
    /// None for an intset.
    pub(super) fn hashed_from(&self, cursor: u64) -> Option<HashedMembers<'_>> {
        match &self.repr {
            Repr::Intset(_) => None,
            Repr::Packed(packed) => Some(Box::new(
                packed
                    .iter()
                    .map(|member| (key_hash(member), member))
                    .skip_while(move |(hash, _)| *hash < cursor),
            )),
            Repr::Table(members) => Some(Box::new(
                members
                    .range((cursor, Vec::new())..)
                    .map(|(hash, member)| (*hash, member.as_slice())),
            )),
        }
    }

    pub(super) fn members(&self) -> Vec<Vec<u8>> {
        self.iter().map(Cow::into_owned).collect()
    }

    /// Heap bytes of an intset's or a packed set's buffer (None for the big table form), as
    /// MEMORY USAGE counts them.
    pub fn compact_bytes(&self) -> Option<usize> {
        match &self.repr {
            Repr::Table(_) => None,
            _ => Some(self.heap_bytes()),
        }
    }

    /// Heap bytes the value holds. Exact for an intset and a packed set; for the big table
    /// form a lower bound (members and their slots, not the B-tree's node overhead).
    pub fn heap_bytes(&self) -> usize {
        match &self.repr {
            Repr::Intset(ints) => ints.capacity() * std::mem::size_of::<i64>(),
            Repr::Packed(packed) => packed.byte_len(),
            Repr::Table(members) => members
                .iter()
                .map(|(_, member)| std::mem::size_of::<(u64, Vec<u8>)>() + member.capacity())
                .sum(),
        }
    }

    /// Appends this value in the snapshot format: encoding (u8), member count (u32), then the
    /// members in the encoding's order (i64 little-endian for an intset). Both hash table
    /// forms write the same bytes.
    pub(crate) fn encode_snapshot(&self, out: &mut Vec<u8>) {
        let len = u32::try_from(self.len()).expect("sets are bounded below 4G members");
        if let Repr::Intset(ints) = &self.repr {
            out.push(ENCODING_INTSET);
            out.extend_from_slice(&len.to_le_bytes());
            for n in ints {
                out.extend_from_slice(&n.to_le_bytes());
            }
            return;
        }
        out.push(ENCODING_TABLE);
        out.extend_from_slice(&len.to_le_bytes());
        for member in self.iter() {
            put_bytes(out, &member);
        }
    }

    /// Reads a value back, refusing one no command could have built (an unknown encoding, an
    /// unordered intset, a repeated member). A compact set of any size loads, as a hash's
    /// listpack does.
    pub(crate) fn decode_snapshot(reader: &mut Reader) -> Result<SetValue, SnapshotError> {
        let encoding = reader.u8()?;
        let len = reader.u32()?;
        // There is no error variant for bad contents; they report the encoding byte.
        let invalid = SnapshotError::UnknownType(encoding);
        let repr = match encoding {
            ENCODING_INTSET => {
                let mut ints = Vec::new();
                for _ in 0..len {
                    ints.push(reader.u64()? as i64);
                }
                let ascending = ints.windows(2).all(|pair| pair[0] < pair[1]);
                // Any size may be an intset: the threshold is configuration, and lowering it
                // converts nothing until the next write.
                if !ascending {
                    return Err(invalid);
                }
                ints.shrink_to_fit();
                Repr::Intset(ints)
            }
            ENCODING_TABLE => {
                let mut members = BTreeSet::new();
                for _ in 0..len {
                    if !members.insert(table_key(reader.bytes()?)) {
                        return Err(invalid);
                    }
                }
                hashed_repr(members)
            }
            _ => return Err(invalid),
        };
        Ok(SetValue { repr })
    }

    /// The internal form, which OBJECT ENCODING does not tell apart ("hashtable" for both
    /// hash table forms).
    #[cfg(test)]
    pub(super) fn form(&self) -> &'static str {
        match self.repr {
            Repr::Intset(_) => "intset",
            Repr::Packed(_) => "packed",
            Repr::Table(_) => "table",
        }
    }
}
