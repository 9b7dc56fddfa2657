//! Conversions between replies and Lua values, both ways, as Redis 7.0 makes them. The
//! protocol is the script's own (`redis.setresp`, 2 unless it asks for 3), not the client's:
//! the client's protocol only decides how the server writes the script's final reply.

use mlua::{Lua, Table, Value};

use crate::reply::Reply;
use crate::score::format_g17;

/// Nesting deeper than this in a script's reply (a table that holds itself) ends in Redis's
/// error, so a reply stays a finite value.
const DEPTH_MAX: usize = 1000;

/// The protocol of the replies a script sees and returns.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Resp {
    Two,
    Three,
}

/// A command's reply as the script sees it: a status is `{ok=...}`, an error `{err=...}`, a
/// null `false` (RESP2) or `nil` (RESP3); RESP3's maps, sets, doubles and booleans are
/// `{map=...}`, `{set=...}`, `{double=...}` and booleans, and RESP2 flattens them as the
/// server would.
pub fn to_lua(lua: &Lua, reply: &Reply, resp: Resp) -> mlua::Result<Value> {
    let three = resp == Resp::Three;
    Ok(match reply {
        Reply::Simple(text) => one_field(lua, "ok", lua.create_string(text)?)?,
        Reply::Error(line) => one_field(lua, "err", lua.create_string(line)?)?,
        Reply::Integer(n) => Value::Number(*n as f64),
        Reply::Bulk(bytes) => Value::String(lua.create_string(bytes)?),
        Reply::Nil | Reply::NilArray if three => Value::Nil,
        Reply::Nil | Reply::NilArray => Value::Boolean(false),
        Reply::Array(items) | Reply::Push(items) => sequence(lua, items.iter(), resp)?,
        Reply::Set(items) if three => one_field(lua, "set", set_table(lua, items, resp)?)?,
        Reply::Set(items) => sequence(lua, items.iter(), resp)?,
        Reply::Map(pairs) | Reply::PairMap(pairs) if three => {
            one_field(lua, "map", map_table(lua, pairs, resp)?)?
        }
        Reply::Map(pairs) | Reply::Pairs(pairs) if !three => flat(lua, pairs, resp)?,
        Reply::Map(pairs) | Reply::Pairs(pairs) | Reply::PairMap(pairs) => {
            let table = lua.create_table()?;
            for (i, (key, value)) in pairs.iter().enumerate() {
                let pair = sequence(lua, [key, value].into_iter(), resp)?;
                table.raw_set(i + 1, pair)?;
            }
            Value::Table(table)
        }
        Reply::Double(value) if three => one_field(lua, "double", *value)?,
        Reply::Double(value) => Value::String(lua.create_string(format_g17(*value))?),
        Reply::Bool(value) if three => Value::Boolean(*value),
        Reply::Bool(value) => Value::Number(if *value { 1.0 } else { 0.0 }),
        // The server's own shapes (DEBUG PROTOCOL), which no command a script calls answers:
        // as a client that does not know them would read them.
        Reply::BigNumber(digits) => Value::String(lua.create_string(digits)?),
        Reply::Verbatim { text, .. } => Value::String(lua.create_string(text)?),
        Reply::Attribute(_) => Value::Nil,
        Reply::Preceded { reply, .. } => to_lua(lua, reply, resp)?,
    })
}

fn one_field(lua: &Lua, name: &str, value: impl mlua::IntoLua) -> mlua::Result<Value> {
    let table = lua.create_table()?;
    table.raw_set(name, value)?;
    Ok(Value::Table(table))
}

fn sequence<'r>(
    lua: &Lua,
    items: impl Iterator<Item = &'r Reply>,
    resp: Resp,
) -> mlua::Result<Value> {
    let table = lua.create_table()?;
    for (i, item) in items.enumerate() {
        table.raw_set(i + 1, to_lua(lua, item, resp)?)?;
    }
    Ok(Value::Table(table))
}

fn flat(lua: &Lua, pairs: &[(Reply, Reply)], resp: Resp) -> mlua::Result<Value> {
    sequence(
        lua,
        pairs.iter().flat_map(|(key, value)| [key, value]),
        resp,
    )
}

fn set_table(lua: &Lua, items: &[Reply], resp: Resp) -> mlua::Result<Table> {
    let table = lua.create_table()?;
    for item in items {
        let key = to_lua(lua, item, resp)?;
        if !key.is_nil() {
            table.raw_set(key, true)?;
        }
    }
    Ok(table)
}

fn map_table(lua: &Lua, pairs: &[(Reply, Reply)], resp: Resp) -> mlua::Result<Table> {
    let table = lua.create_table()?;
    for (key, value) in pairs {
        let key = to_lua(lua, key, resp)?;
        if !key.is_nil() {
            table.raw_set(key, to_lua(lua, value, resp)?)?;
        }
    }
    Ok(table)
}

/// A script's result as a reply: a number is an integer (truncated), `true` is 1 (RESP2) or
/// true (RESP3), `false` and nil are null (`false` is RESP3's false); a table is an error if
/// its `err` field is a string, a status if `ok` is, else a double, big number, map, set or
/// verbatim string by its field, else an array of its items up to the first nil.
///
/// The reply is built after the script ended, outside its budgets, and a table may hold the
/// same big string or subtable many times over: past `max_bytes` (counting each value's bytes
/// and 16 per value) the script answers an error instead, the same on every replica.
pub fn to_reply(value: &Value, resp: Resp, max_bytes: usize) -> Reply {
    let mut left = max_bytes;
    let reply = to_reply_at(value, resp, 0, &mut left);
    match left {
        0 => Reply::error(format!(
            "ERR the script's reply is larger than {max_bytes} bytes (lua-max-memory)"
        )),
        _ => reply,
    }
}

/// Spends `bytes` of what is `left` for the reply; false once it is all spent.
fn spend(left: &mut usize, bytes: usize) -> bool {
    *left = left.saturating_sub(bytes.saturating_add(16));
    *left > 0
}

fn to_reply_at(value: &Value, resp: Resp, depth: usize, left: &mut usize) -> Reply {
    let three = resp == Resp::Three;
    let bytes = match value {
        Value::String(text) => text.as_bytes().len(),
        _ => 0,
    };
    if !spend(left, bytes) {
        return Reply::Nil;
    }
    match value {
        Value::Boolean(true) if three => Reply::Bool(true),
        Value::Boolean(true) => Reply::Integer(1),
        Value::Boolean(false) if three => Reply::Bool(false),
        Value::Integer(n) => Reply::Integer(*n),
        Value::Number(n) => Reply::Integer(truncate(*n)),
        Value::String(text) => Reply::Bulk(text.as_bytes().to_vec()),
        Value::Table(table) if depth >= DEPTH_MAX => {
            let _ = table;
            Reply::error("ERR reached lua stack limit")
        }
        Value::Table(table) => table_to_reply(table, resp, depth + 1, left),
        _ => Reply::Nil,
    }
}

/// C's conversion of a double to a 64-bit integer as Redis's build does it: toward zero, and
/// the "indefinite" value for NaN and out-of-range numbers.
fn truncate(n: f64) -> i64 {
    const LIMIT: f64 = 9_223_372_036_854_775_808.0;
    if n.is_nan() || !(-LIMIT..LIMIT).contains(&n) {
        i64::MIN
    } else {
        n as i64
    }
}

fn table_to_reply(table: &Table, resp: Resp, depth: usize, left: &mut usize) -> Reply {
    let field = |name: &str| table.raw_get::<Value>(name).unwrap_or(Value::Nil);
    if let Value::String(line) = field("err") {
        return Reply::Error(one_line(&line.to_string_lossy()));
    }
    if let Value::String(status) = field("ok") {
        return Reply::Simple(one_line(&status.to_string_lossy()));
    }
    match field("double") {
        Value::Number(n) => return Reply::Double(n),
        Value::Integer(n) => return Reply::Double(n as f64),
        _ => {}
    }
    // RESP3's big numbers and verbatim strings have no reply of their own here: they are bulk
    // strings in both protocols.
    if let Value::String(digits) = field("big_number") {
        return Reply::Bulk(digits.as_bytes().to_vec());
    }
    if let Value::Table(map) = field("map") {
        let mut pairs = Vec::new();
        let _ = map.for_each(|key: Value, value: Value| {
            if *left == 0 {
                return Err(mlua::Error::runtime("the reply is too large"));
            }
            let key = to_reply_at(&key, resp, depth, left);
            pairs.push((key, to_reply_at(&value, resp, depth, left)));
            Ok(())
        });
        return Reply::Map(pairs);
    }
    if let Value::Table(set) = field("set") {
        let mut members = Vec::new();
        let _ = set.for_each(|key: Value, _: Value| {
            if *left == 0 {
                return Err(mlua::Error::runtime("the reply is too large"));
            }
            members.push(to_reply_at(&key, resp, depth, left));
            Ok(())
        });
        return Reply::Set(members);
    }
    if let Value::Table(verbatim) = field("verbatim_string") {
        if let Ok(Value::String(text)) = verbatim.raw_get::<Value>("string") {
            return Reply::Bulk(text.as_bytes().to_vec());
        }
    }
    let mut items = Vec::new();
    for i in 1.. {
        match table.raw_get::<Value>(i) {
            Ok(Value::Nil) | Err(_) => break,
            _ if *left == 0 => break,
            Ok(item) => items.push(to_reply_at(&item, resp, depth, left)),
        }
    }
    Reply::Array(items)
}

/// A status or error line stays one line: Redis turns its CR and LF into spaces.
fn one_line(text: &str) -> String {
    text.replace(['\r', '\n'], " ")
}

/// An argument of `redis.call`: a string as it is, a number as Redis 7.0 spells it (`%.17g`),
/// anything else refused.
pub fn argument(value: &Value) -> Option<Vec<u8>> {
    match value {
        Value::String(text) => Some(text.as_bytes().to_vec()),
        Value::Integer(n) => Some(format_g17(*n as f64).into_bytes()),
        Value::Number(n) => Some(format_g17(*n).into_bytes()),
        _ => None,
    }
}
