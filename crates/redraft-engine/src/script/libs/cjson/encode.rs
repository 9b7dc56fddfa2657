//! `cjson.encode`: a Lua value as JSON text, by lua-cjson's rules.
//!
//! The walk keeps its own stack instead of recursing, so a deep table costs heap, not the
//! thread's stack. mlua holds each Lua value a Rust value keeps in a slot of a Lua stack with
//! room for about 8000, so the walk keeps no table or key itself: the open tables and the
//! object keys reached so far sit in two Lua tables, by depth, and objects are walked with
//! Lua's `next`, in its order.

use super::{Config, InvalidNumbers, Shared};
use crate::script::libs::args::{type_name, Args};
use crate::script::libs::number::format_g;
use crate::script::libs::OUTPUT_BYTES_MAX;
use crate::script::libs::{lua_failure, one, Outcome, Raise};
use mlua::{Function, Lua, MultiValue, Table, Value};

/// lua-cjson checks the Lua stack at each level; with redis-server's stack that refuses the
/// 7998th nested table whatever `encode_max_depth` says.
const STACK_DEPTH_MAX: i32 = 7997;

pub(super) fn encode(lua: &Lua, a: &MultiValue, config: &Shared, next: &Function) -> Outcome {
    let args = Args::new(a, "encode");
    if args.len() != 1 {
        return Err(args.error(1, "expected 1 argument"));
    }
    let config = config.borrow().clone();
    let encoder = Encoder {
        config: &config,
        next,
        tables: lua.create_table().map_err(lua_failure)?,
        keys: lua.create_table().map_err(lua_failure)?,
        out: Vec::new(),
        stack: Vec::new(),
    };
    let text = encoder.run(args.get(1))?;
    one(lua.create_string(text).map_err(lua_failure)?, lua)
}

/// A table the walk is inside (its table is `tables[depth]`).
enum Frame {
    /// The next index to write, up to the length.
    Array { next: i64, length: i64, first: bool },
    /// Walked by `next` from `keys[depth]`.
    Object { first: bool },
}

struct Encoder<'a> {
    config: &'a Config,
    next: &'a Function,
    tables: Table,
    keys: Table,
    out: Vec<u8>,
    stack: Vec<Frame>,
}

impl Encoder<'_> {
    fn run(mut self, value: Value) -> Result<Vec<u8>, Raise> {
        self.value(value)?;
        while !self.stack.is_empty() {
            match self.step()? {
                None => self.close()?,
                Some((key, value, first)) => {
                    if !first {
                        self.out.push(b',');
                    }
                    if let Some(key) = key {
                        self.key(&key)?;
                    }
                    self.value(value)?;
                }
            }
            if self.out.len() > OUTPUT_BYTES_MAX {
                return Err(too_large());
            }
        }
        Ok(self.out)
    }

    /// The innermost table's next entry (the key only for objects), and whether it is the
    /// first; `None` when the table is done.
    fn step(&mut self) -> Result<Option<(Option<Value>, Value, bool)>, Raise> {
        let depth = self.stack.len();
        let table: Table = self.tables.raw_get(depth).map_err(lua_failure)?;
        match self.stack.last_mut() {
            Some(Frame::Array {
                next,
                length,
                first,
            }) if *next <= *length => {
                let value = table.raw_get(*next).map_err(lua_failure)?;
                *next += 1;
                Ok(Some((None, value, std::mem::replace(first, false))))
            }
            Some(Frame::Object { first }) => {
                let key: Value = self.keys.raw_get(depth).map_err(lua_failure)?;
                let (key, value): (Value, Value) =
                    self.next.call((table, key)).map_err(lua_failure)?;
                if key.is_nil() {
                    return Ok(None);
                }
                self.keys.raw_set(depth, &key).map_err(lua_failure)?;
                Ok(Some((Some(key), value, std::mem::replace(first, false))))
            }
            _ => Ok(None),
        }
    }

    fn close(&mut self) -> Result<(), Raise> {
        let depth = self.stack.len();
        self.tables
            .raw_set(depth, Value::Nil)
            .map_err(lua_failure)?;
        self.keys.raw_set(depth, Value::Nil).map_err(lua_failure)?;
        match self.stack.pop() {
            Some(Frame::Array { .. }) => self.out.push(b']'),
            Some(Frame::Object { .. }) => self.out.push(b'}'),
            None => {}
        }
        Ok(())
    }

    fn value(&mut self, value: Value) -> Result<(), Raise> {
        match value {
            Value::Nil => self.out.extend_from_slice(b"null"),
            Value::Boolean(b) => self
                .out
                .extend_from_slice(if b { b"true" } else { b"false" }),
            Value::Integer(i) => self.number(i as f64)?,
            Value::Number(n) => self.number(n)?,
            Value::String(s) => escape(&s.as_bytes(), &mut self.out),
            Value::Table(t) => self.enter(t)?,
            Value::LightUserData(p) if p.0.is_null() => self.out.extend_from_slice(b"null"),
            other => {
                let kind = type_name(&other);
                return Err(Raise::new(format!(
                    "Cannot serialise {kind}: type not supported"
                )));
            }
        }
        Ok(())
    }

    fn number(&mut self, n: f64) -> Result<(), Raise> {
        if n.is_finite() {
            let text = format_g(n, self.config.number_precision as usize);
            self.out.extend_from_slice(text.as_bytes());
            return Ok(());
        }
        let text: &[u8] = match self.config.encode_invalid_numbers {
            InvalidNumbers::Refuse => {
                return Err(Raise::new(
                    "Cannot serialise number: must not be NaN or Inf",
                ));
            }
            InvalidNumbers::Null => b"null",
            InvalidNumbers::Write if n.is_nan() => b"nan",
            InvalidNumbers::Write if n > 0.0 => b"inf",
            InvalidNumbers::Write => b"-inf",
        };
        self.out.extend_from_slice(text);
        Ok(())
    }

    /// An object key: a string, or a number written as a string.
    fn key(&mut self, key: &Value) -> Result<(), Raise> {
        match key {
            Value::String(s) => escape(&s.as_bytes(), &mut self.out),
            Value::Integer(_) | Value::Number(_) => {
                self.out.push(b'"');
                self.number(crate::script::libs::args::to_number(key).unwrap_or_default())?;
                self.out.push(b'"');
            }
            other => {
                let kind = type_name(other);
                return Err(Raise::new(format!(
                    "Cannot serialise {kind}: table key must be a number or string"
                )));
            }
        }
        self.out.push(b':');
        Ok(())
    }

    /// Opens a table as an array or an object, after the depth check lua-cjson makes first.
    fn enter(&mut self, table: Table) -> Result<(), Raise> {
        let depth = self.stack.len() as i32 + 1;
        if depth > self.config.encode_max_depth.min(STACK_DEPTH_MAX) {
            return Err(Raise::new(format!(
                "Cannot serialise, excessive nesting ({depth})"
            )));
        }
        let frame = match array_length(&table, self.config)? {
            Some(length) => {
                // Each missing entry is at least "null," (5 bytes).
                if length as usize > OUTPUT_BYTES_MAX / 5 {
                    return Err(too_large());
                }
                self.out.push(b'[');
                Frame::Array {
                    next: 1,
                    length: length.into(),
                    first: true,
                }
            }
            None => {
                self.out.push(b'{');
                Frame::Object { first: true }
            }
        };
        self.tables.raw_set(depth, table).map_err(lua_failure)?;
        self.stack.push(frame);
        Ok(())
    }
}

fn too_large() -> Raise {
    Raise::new("Cannot serialise: the result is larger than 64 MiB")
}

/// lua-cjson's array test: every key a whole number of at least 1. The largest key is kept
/// in a C `int` (a key past 2^31 lands on `INT_MIN`, which makes the table an object), and a
/// sparse array (largest key past `safe` and past `ratio` times the key count) is an error or,
/// when so configured, an object. `Some(length)` is an array; an empty table is an object.
fn array_length(table: &Table, config: &Config) -> Result<Option<i32>, Raise> {
    let (mut max, mut items) = (0i32, 0i32);
    for pair in table.pairs::<Value, Value>() {
        let k = match pair.map_err(lua_failure)?.0 {
            Value::Integer(i) => i as f64,
            Value::Number(n) => n,
            _ => return Ok(None),
        };
        if k.floor() != k || k < 1.0 {
            return Ok(None);
        }
        if k > f64::from(max) {
            max = c_int(k);
        }
        items = items.wrapping_add(1);
    }
    let ratio = config.sparse_ratio;
    if ratio > 0 && max > items.wrapping_mul(ratio) && max > config.sparse_safe {
        return match config.sparse_convert {
            true => Ok(None),
            false => Err(Raise::new(
                "Cannot serialise table: excessively sparse array",
            )),
        };
    }
    Ok((max > 0).then_some(max))
}

/// C's double-to-int conversion on x86-64: out of range gives `INT_MIN`.
fn c_int(x: f64) -> i32 {
    match (-2_147_483_648.0..2_147_483_648.0).contains(&x) {
        true => x as i32,
        false => i32::MIN,
    }
}

/// A JSON string: `"`, `\` and `/` escaped, the short escapes for the usual control
/// characters, `\u00XX` for the others and DEL; bytes from 0x80 up pass through.
fn escape(bytes: &[u8], out: &mut Vec<u8>) {
    out.reserve(bytes.len() + 2);
    out.push(b'"');
    for &b in bytes {
        match b {
            b'"' => out.extend_from_slice(b"\\\""),
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'/' => out.extend_from_slice(b"\\/"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\t' => out.extend_from_slice(b"\\t"),
            0x08 => out.extend_from_slice(b"\\b"),
            0x0c => out.extend_from_slice(b"\\f"),
            0..=0x1f | 0x7f => out.extend_from_slice(format!("\\u{b:04x}").as_bytes()),
            _ => out.push(b),
        }
    }
    out.push(b'"');
}
