//! Keyspace notifications (Redis's `notify-keyspace-events`): the classes of events, their
//! letters as CONFIG SET reads them and CONFIG GET shows them, and the channels an event is
//! published on. The bits are Redis 7.0's (server.h), so the stored mask reads the same.
//!
//! Publishing is the keyspace's ([`crate::keyspace::Keyspace::notify`]); each command calls it
//! beside its write, through [`crate::spec::WriteCtx::notify`].

use crate::args::c_str;

/// A class of events, or a set of classes (a bit mask).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Class(pub u64);

impl Class {
    /// `K`: publish on `__keyspace@<db>__:<key>` with the event as the message.
    pub const KEYSPACE: Class = Class(1 << 0);
    /// `E`: publish on `__keyevent@<db>__:<event>` with the key as the message.
    pub const KEYEVENT: Class = Class(1 << 1);
    /// `g`: commands on any type (DEL, EXPIRE, RENAME ...).
    pub const GENERIC: Class = Class(1 << 2);
    /// `$`: strings.
    pub const STRING: Class = Class(1 << 3);
    /// `l`: lists.
    pub const LIST: Class = Class(1 << 4);
    /// `s`: sets.
    pub const SET: Class = Class(1 << 5);
    /// `h`: hashes.
    pub const HASH: Class = Class(1 << 6);
    /// `z`: sorted sets.
    pub const ZSET: Class = Class(1 << 7);
    /// `x`: a key deleted because its deadline passed.
    pub const EXPIRED: Class = Class(1 << 8);
    /// `e`: evictions (redraft evicts nothing: accepted, never emitted).
    pub const EVICTED: Class = Class(1 << 9);
    /// `t`: streams.
    pub const STREAM: Class = Class(1 << 10);
    /// `m`: a read that missed its key (accepted, never emitted: reads emit nothing here).
    pub const KEY_MISS: Class = Class(1 << 11);
    /// `d`: modules' events (redraft has no modules: accepted, never emitted).
    pub const MODULE: Class = Class(1 << 13);
    /// `n`: a key added to a database.
    pub const NEW: Class = Class(1 << 14);
    /// `A`: every class but K, E, m and n, as Redis 7.0 defines it.
    pub const ALL: Class = Class(
        Class::GENERIC.0
            | Class::STRING.0
            | Class::LIST.0
            | Class::SET.0
            | Class::HASH.0
            | Class::ZSET.0
            | Class::EXPIRED.0
            | Class::EVICTED.0
            | Class::STREAM.0
            | Class::MODULE.0,
    );

    /// Whether `self` has any class of `other`.
    pub fn has_any(self, other: Class) -> bool {
        self.0 & other.0 != 0
    }
}

impl std::ops::BitOr for Class {
    type Output = Class;

    fn bitor(self, other: Class) -> Class {
        Class(self.0 | other.0)
    }
}

/// The letter of each class, in the order CONFIG GET shows them (after `A` or the classes it
/// covers, K, E and m come last).
const LETTERS: [(u8, Class); 11] = [
    (b'g', Class::GENERIC),
    (b'$', Class::STRING),
    (b'l', Class::LIST),
    (b's', Class::SET),
    (b'h', Class::HASH),
    (b'z', Class::ZSET),
    (b'x', Class::EXPIRED),
    (b'e', Class::EVICTED),
    (b't', Class::STREAM),
    (b'd', Class::MODULE),
    (b'n', Class::NEW),
];

const TRAILING_LETTERS: [(u8, Class); 3] = [
    (b'K', Class::KEYSPACE),
    (b'E', Class::KEYEVENT),
    (b'm', Class::KEY_MISS),
];

/// CONFIG SET's error for a letter that names no class.
pub const INVALID_CLASS: &str = "Invalid event class character. Use 'Ag$lshzxeKEtmdn'.";

/// The classes a CONFIG SET value names (as C reads it: up to a NUL byte), or the error.
pub fn parse_classes(text: &[u8]) -> Result<u64, &'static str> {
    let mut mask = 0;
    for letter in c_str(text) {
        let class = match letter {
            b'A' => Class::ALL,
            _ => LETTERS
                .iter()
                .chain(&TRAILING_LETTERS)
                .find(|(known, _)| known == letter)
                .map(|(_, class)| *class)
                .ok_or(INVALID_CLASS)?,
        };
        mask |= class.0;
    }
    Ok(mask)
}

/// The canonical letters of `mask`, as CONFIG GET shows them: `A` for all of its classes,
/// else each class in a fixed order, then K, E and m.
pub fn show_classes(mask: u64) -> String {
    let mask = Class(mask);
    let mut out = Vec::new();
    if mask.0 & Class::ALL.0 == Class::ALL.0 {
        out.push(b'A');
    } else {
        let classes = LETTERS.iter().filter(|(_, class)| mask.has_any(*class));
        out.extend(classes.map(|(letter, _)| letter));
    }
    let trailing = TRAILING_LETTERS.iter().filter(|(_, c)| mask.has_any(*c));
    out.extend(trailing.map(|(letter, _)| letter));
    String::from_utf8(out).expect("the letters are ASCII")
}

/// `__keyspace@<db>__:<key>`: where a key's events go, each message naming the event.
pub fn keyspace_channel(db: usize, key: &[u8]) -> Vec<u8> {
    let mut channel = format!("__keyspace@{db}__:").into_bytes();
    channel.extend_from_slice(key);
    channel
}

/// `__keyevent@<db>__:<event>`: where an event goes, each message naming the key.
pub fn keyevent_channel(db: usize, event: &str) -> Vec<u8> {
    format!("__keyevent@{db}__:{event}").into_bytes()
}

#[cfg(test)]
mod tests;
