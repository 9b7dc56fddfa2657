//! `cmsgpack.unpack`, `unpack_one` and `unpack_limit`.
//!
//! lua-cmsgpack builds values on the Lua stack, which holds 8000 slots, and checks it as it
//! goes; redis-server's limits (7999 results, about 4000 nested containers, less when both
//! add up) and its two messages follow from that. The decoder counts the same slots: each
//! value it pushes, each open container's table, and each array entry's index.
//!
//! Decoding keeps its own stack instead of recursing, and keeps the open tables, pending map
//! keys and results in Lua tables, not in Rust values (mlua holds each of those in a slot of
//! a Lua stack with room for about 8000).

use super::missing_bytes;
use crate::script::libs::args::Args;
use crate::script::libs::number::truncate_to_i64;
use crate::script::libs::{lua_failure, many, Outcome, Raise};
use mlua::{Lua, MultiValue, Table, Value};

/// Lua 5.1's `LUAI_MAXCSTACK`: the slots a C function may use.
const STACK_SLOTS: usize = 8000;

const TOO_MANY_VALUES: &str =
    "stack overflow (too many return values at once; use unpack_one or unpack_limit instead.)";
const ARRAY_TOO_DEEP: &str = "stack overflow (in function mp_decode_to_lua_array)";

pub(super) fn unpack(lua: &Lua, a: MultiValue) -> Outcome {
    let args = Args::new(&a, "unpack");
    let data = args.bytes(1)?;
    unpack_full(lua, &data, 0, 0, args.len())
}

pub(super) fn unpack_one(lua: &Lua, a: MultiValue) -> Outcome {
    let args = Args::new(&a, "unpack_one");
    let data = args.bytes(1)?;
    let offset = truncate_to_i64(args.opt_number(2, 0.0)?);
    unpack_full(lua, &data, 1, offset, args.len())
}

pub(super) fn unpack_limit(lua: &Lua, a: MultiValue) -> Outcome {
    let args = Args::new(&a, "unpack_limit");
    let data = args.bytes(1)?;
    let limit = truncate_to_i64(args.number(2)?);
    let offset = truncate_to_i64(args.opt_number(3, 0.0)?);
    unpack_full(lua, &data, limit, offset, args.len())
}

/// Decodes up to `limit` values from `offset` (0 and 0: all of them). Unless decoding all,
/// the first result is the offset to continue from, or -1 at the end.
fn unpack_full(lua: &Lua, data: &[u8], limit: i64, offset: i64, args: usize) -> Outcome {
    if offset < 0 || limit < 0 {
        let len = data.len();
        return Err(Raise::new(format!(
            "Invalid request to unpack with offset of {offset} and limit of {len}."
        )));
    }
    let len = data.len();
    let start = usize::try_from(offset).unwrap_or(usize::MAX);
    if start > len {
        return Err(Raise::new(format!(
            "Start offset {offset} greater than input length {len}."
        )));
    }
    let all = limit == 0 && offset == 0;
    let results = lua.create_table().map_err(lua_failure)?;
    let mut decoder = Decoder::new(lua, data, start, args)?;
    let mut count = 0usize;
    while decoder.at < len && (all || (count as i64) < limit) {
        let value = decoder.value()?;
        count += 1;
        let index = count + usize::from(!all);
        results.raw_set(index, value).map_err(lua_failure)?;
    }
    if !all {
        let next = if decoder.at >= len {
            -1
        } else {
            decoder.at as i64
        };
        results.raw_set(1, next).map_err(lua_failure)?;
        count += 1;
    }
    many(results, count)
}

/// An open container: entries left, and (for maps) whether its key is pending.
enum Open {
    Array { left: u64, next: i64 },
    Map { left: u64, have_key: bool },
}

struct Decoder<'a> {
    lua: &'a Lua,
    data: &'a [u8],
    at: usize,
    /// Slots of the C function's Lua stack lua-cmsgpack would use now.
    slots: usize,
    /// Open tables by depth from 1, and pending map keys by depth.
    tables: Table,
    keys: Table,
}

impl<'a> Decoder<'a> {
    fn new(lua: &'a Lua, data: &'a [u8], at: usize, args: usize) -> Result<Decoder<'a>, Raise> {
        let tables = lua.create_table().map_err(lua_failure)?;
        let keys = lua.create_table().map_err(lua_failure)?;
        Ok(Decoder {
            lua,
            data,
            at,
            slots: args,
            tables,
            keys,
        })
    }

    /// Claims a slot for a value about to be pushed, as lua-cmsgpack checks before each.
    fn claim(&mut self, message: &str) -> Result<(), Raise> {
        if self.slots + 1 > STACK_SLOTS {
            return Err(Raise::new(message));
        }
        self.slots += 1;
        Ok(())
    }

    /// One complete value (a top-level result: its slot stays claimed).
    fn value(&mut self) -> Result<Value, Raise> {
        let mut open: Vec<Open> = Vec::new();
        loop {
            // Before an array entry, its index takes a slot.
            if let Some(Open::Array { .. }) = open.last() {
                self.claim(ARRAY_TOO_DEEP)?;
            }
            self.claim(TOO_MANY_VALUES)?;
            let mut value = match self.item()? {
                Item::Value(value) => value,
                Item::Open(container) => {
                    self.tables
                        .raw_set(
                            open.len() + 1,
                            self.lua.create_table().map_err(lua_failure)?,
                        )
                        .map_err(lua_failure)?;
                    open.push(container);
                    match self.close_finished(&mut open)? {
                        Some(value) => value,
                        None => continue,
                    }
                }
            };
            // Store completed values in their containers, closing those that are full.
            loop {
                let depth = open.len();
                let Some(container) = open.last_mut() else {
                    return Ok(value);
                };
                self.store(container, depth, value)?;
                match self.close_finished(&mut open)? {
                    Some(closed) => value = closed,
                    None => break,
                }
            }
        }
    }

    /// Puts a complete value in the innermost container: an array entry, a map key (kept
    /// until its value comes), or a map value.
    fn store(&mut self, container: &mut Open, depth: usize, value: Value) -> Result<(), Raise> {
        let table: Table = self.tables.raw_get(depth).map_err(lua_failure)?;
        match container {
            Open::Array { left, next } => {
                table.raw_set(*next, value).map_err(lua_failure)?;
                *next += 1;
                *left -= 1;
                self.slots = self.slots.saturating_sub(2);
            }
            Open::Map {
                have_key: have_key @ false,
                ..
            } => {
                self.keys.raw_set(depth, value).map_err(lua_failure)?;
                *have_key = true;
            }
            Open::Map { left, have_key } => {
                let key: Value = self.keys.raw_get(depth).map_err(lua_failure)?;
                set_field(&table, key, value)?;
                self.keys.raw_set(depth, Value::Nil).map_err(lua_failure)?;
                *have_key = false;
                *left -= 1;
                self.slots = self.slots.saturating_sub(2);
            }
        }
        Ok(())
    }

    /// Closes the innermost container if it has all its entries, giving its table.
    fn close_finished(&mut self, open: &mut Vec<Open>) -> Result<Option<Value>, Raise> {
        let finished = matches!(
            open.last(),
            Some(Open::Array { left: 0, .. } | Open::Map { left: 0, .. })
        );
        if !finished {
            return Ok(None);
        }
        let depth = open.len();
        let table: Table = self.tables.raw_get(depth).map_err(lua_failure)?;
        self.tables
            .raw_set(depth, Value::Nil)
            .map_err(lua_failure)?;
        open.pop();
        Ok(Some(Value::Table(table)))
    }
}

/// `lua_settable` on a fresh table: a nil key or NaN is Lua's error; a nil value stores
/// nothing.
fn set_field(table: &Table, key: Value, value: Value) -> Result<(), Raise> {
    match key {
        Value::Nil => Err(Raise::bare("table index is nil")),
        Value::Number(n) if n.is_nan() => Err(Raise::bare("table index is NaN")),
        key => table.raw_set(key, value).map_err(lua_failure),
    }
}

/// What one type byte starts.
enum Item {
    Value(Value),
    Open(Open),
}

impl<'a> Decoder<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], Raise> {
        let data: &'a [u8] = self.data;
        let end = self
            .at
            .checked_add(n)
            .filter(|&end| end <= data.len())
            .ok_or_else(missing_bytes)?;
        let bytes = &data[self.at..end];
        self.at = end;
        Ok(bytes)
    }

    fn be(&mut self, n: usize) -> Result<u64, Raise> {
        Ok(self
            .take(n)?
            .iter()
            .fold(0u64, |acc, &b| acc << 8 | u64::from(b)))
    }

    fn item(&mut self) -> Result<Item, Raise> {
        let tag = self.take(1)?[0];
        let number = |n: f64| Ok(Item::Value(Value::Number(n)));
        match tag {
            0x00..=0x7f => number(f64::from(tag)),
            0xe0..=0xff => number(f64::from(tag as i8)),
            0x80..=0x8f => Ok(Item::Open(Open::Map {
                left: u64::from(tag & 0x0f),
                have_key: false,
            })),
            0x90..=0x9f => Ok(Item::Open(Open::Array {
                left: u64::from(tag & 0x0f),
                next: 1,
            })),
            0xa0..=0xbf => self.string(usize::from(tag & 0x1f)),
            0xc0 => Ok(Item::Value(Value::Nil)),
            0xc2 => Ok(Item::Value(Value::Boolean(false))),
            0xc3 => Ok(Item::Value(Value::Boolean(true))),
            0xca => number(f64::from(f32::from_bits(self.be(4)? as u32))),
            0xcb => number(f64::from_bits(self.be(8)?)),
            0xcc => number(self.be(1)? as f64),
            0xcd => number(self.be(2)? as f64),
            0xce => number(self.be(4)? as f64),
            // lua-cmsgpack reads a uint64 as signed.
            0xcf | 0xd3 => number(self.be(8)? as i64 as f64),
            0xd0 => number(f64::from(self.be(1)? as u8 as i8)),
            0xd1 => number(f64::from(self.be(2)? as u16 as i16)),
            0xd2 => number(f64::from(self.be(4)? as u32 as i32)),
            0xd9 => self.sized_string(1),
            0xda => self.sized_string(2),
            0xdb => self.sized_string(4),
            0xdc => Ok(Item::Open(Open::Array {
                left: self.be(2)?,
                next: 1,
            })),
            0xdd => Ok(Item::Open(Open::Array {
                left: self.be(4)?,
                next: 1,
            })),
            0xde => Ok(Item::Open(Open::Map {
                left: self.be(2)?,
                have_key: false,
            })),
            0xdf => Ok(Item::Open(Open::Map {
                left: self.be(4)?,
                have_key: false,
            })),
            // c1 is unused; bin and ext types (c4-c9, d4-d8) came after lua-cmsgpack 0.4.
            _ => Err(Raise::new("Bad data format in input.")),
        }
    }

    fn sized_string(&mut self, width: usize) -> Result<Item, Raise> {
        let len = self.be(width)?;
        self.string(usize::try_from(len).unwrap_or(usize::MAX))
    }

    fn string(&mut self, len: usize) -> Result<Item, Raise> {
        let bytes = self.take(len)?;
        let s = self.lua.create_string(bytes).map_err(lua_failure)?;
        Ok(Item::Value(Value::String(s)))
    }
}
