//! `cmsgpack.pack(...)`: each argument's MessagePack encoding, concatenated.

use crate::script::libs::number::truncate_to_i64;
use crate::script::libs::OUTPUT_BYTES_MAX;
use crate::script::libs::{lua_failure, one, Outcome, Raise};
use mlua::{Lua, MultiValue, Table, Value};

/// lua-cmsgpack encodes a table this deep (the outermost is level 0) as nil, which also ends
/// the walk of a table that contains itself.
const NESTING_MAX: usize = 16;

pub(super) fn pack(lua: &Lua, args: MultiValue) -> Outcome {
    if args.is_empty() {
        return Err(Raise::arg(0, "pack", "MessagePack pack needs input."));
    }
    let mut out = Vec::new();
    for value in args {
        encode(&value, 0, &mut out)?;
    }
    one(lua.create_string(out).map_err(lua_failure)?, lua)
}

fn encode(value: &Value, level: usize, out: &mut Vec<u8>) -> Result<(), Raise> {
    match value {
        Value::Boolean(b) => out.push(if *b { 0xc3 } else { 0xc2 }),
        Value::Integer(i) => number(*i as f64, out),
        Value::Number(n) => number(*n, out),
        Value::String(s) => string(&s.as_bytes(), out),
        Value::Table(t) if level < NESTING_MAX => table(t, level, out)?,
        // nil, a table too deep, and what MessagePack cannot hold (functions, userdata).
        _ => out.push(0xc0),
    }
    if out.len() > OUTPUT_BYTES_MAX {
        return Err(Raise::new(
            "MessagePack pack: the result is larger than 64 MiB",
        ));
    }
    Ok(())
}

/// An integer when the double is one within 64 bits, else a float32 when that is exact, else
/// a float64.
fn number(n: f64, out: &mut Vec<u8>) {
    let i = truncate_to_i64(n);
    if i as f64 == n {
        integer(i, out);
    } else if f64::from(n as f32) == n {
        out.push(0xca);
        out.extend_from_slice(&(n as f32).to_be_bytes());
    } else {
        out.push(0xcb);
        out.extend_from_slice(&n.to_be_bytes());
    }
}

/// The shortest of MessagePack's integer forms, unsigned for non-negative values.
fn integer(i: i64, out: &mut Vec<u8>) {
    match i {
        0..=0x7f => out.push(i as u8),
        0x80..=0xff => out.extend_from_slice(&[0xcc, i as u8]),
        0x100..=0xffff => {
            out.push(0xcd);
            out.extend_from_slice(&(i as u16).to_be_bytes());
        }
        0x1_0000..=0xffff_ffff => {
            out.push(0xce);
            out.extend_from_slice(&(i as u32).to_be_bytes());
        }
        0x1_0000_0000.. => {
            out.push(0xcf);
            out.extend_from_slice(&(i as u64).to_be_bytes());
        }
        -32..=-1 => out.push(i as u8),
        -128..=-33 => out.extend_from_slice(&[0xd0, i as u8]),
        -32768..=-129 => {
            out.push(0xd1);
            out.extend_from_slice(&(i as i16).to_be_bytes());
        }
        -2_147_483_648..=-32769 => {
            out.push(0xd2);
            out.extend_from_slice(&(i as i32).to_be_bytes());
        }
        _ => {
            out.push(0xd3);
            out.extend_from_slice(&i.to_be_bytes());
        }
    }
}

fn string(bytes: &[u8], out: &mut Vec<u8>) {
    let len = bytes.len();
    header(len, 0xa0, 31, (Some(0xd9), 0xda, 0xdb), out);
    out.extend_from_slice(bytes);
}

/// A length header: the fix form up to `fix_max`, else the 8-, 16- or 32-bit form (arrays and
/// maps have no 8-bit form). Lengths past 32 bits cannot occur: no Lua string or table here
/// is that large.
fn header(len: usize, fix: u8, fix_max: usize, wide: (Option<u8>, u8, u8), out: &mut Vec<u8>) {
    let (tag8, tag16, tag32) = wide;
    match tag8 {
        _ if len <= fix_max => out.push(fix | len as u8),
        Some(tag) if len <= 0xff => out.extend_from_slice(&[tag, len as u8]),
        _ if len <= 0xffff => {
            out.push(tag16);
            out.extend_from_slice(&(len as u16).to_be_bytes());
        }
        _ => {
            out.push(tag32);
            out.extend_from_slice(&(len as u32).to_be_bytes());
        }
    }
}

/// An array when the keys are exactly 1..n (an empty table too), else a map in `next` order.
fn table(t: &Table, level: usize, out: &mut Vec<u8>) -> Result<(), Raise> {
    let (mut count, mut max, mut dense) = (0usize, 0f64, true);
    for pair in t.pairs::<Value, Value>() {
        let n = match pair.map_err(lua_failure)?.0 {
            Value::Integer(i) => i as f64,
            Value::Number(n) => n,
            _ => f64::NAN,
        };
        dense &= truncate_to_i64(n) as f64 == n && n > 0.0;
        max = max.max(n);
        count += 1;
    }
    if dense && max == count as f64 {
        header(count, 0x90, 15, (None, 0xdc, 0xdd), out);
        for index in 1..=count {
            encode(
                &t.raw_get::<Value>(index).map_err(lua_failure)?,
                level + 1,
                out,
            )?;
        }
        return Ok(());
    }
    header(count, 0x80, 15, (None, 0xde, 0xdf), out);
    for pair in t.pairs::<Value, Value>() {
        let (key, value) = pair.map_err(lua_failure)?;
        encode(&key, level + 1, out)?;
        encode(&value, level + 1, out)?;
    }
    Ok(())
}
