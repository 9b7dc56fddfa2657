//! `cmsgpack`: lua-cmsgpack 0.4.0 as redis-server 7.0 bundles it: `pack` and the three
//! unpack functions, byte for byte.

mod decode;
mod encode;

use super::{Lib, Raise};
use mlua::Table;

/// The module table.
pub(crate) fn module(lib: &Lib) -> mlua::Result<Table> {
    let table = lib.table(vec![
        ("pack", lib.function(encode::pack)?),
        ("unpack", lib.function(decode::unpack)?),
        ("unpack_one", lib.function(decode::unpack_one)?),
        ("unpack_limit", lib.function(decode::unpack_limit)?),
    ])?;
    table.raw_set("_NAME", "cmsgpack")?;
    table.raw_set("_VERSION", "lua-cmsgpack 0.4.0")?;
    table.raw_set("_COPYRIGHT", "Copyright (C) 2012, Salvatore Sanfilippo")?;
    table.raw_set("_DESCRIPTION", "MessagePack C implementation for Lua")?;
    Ok(table)
}

fn missing_bytes() -> Raise {
    Raise::new("Missing bytes in input.")
}

#[cfg(test)]
mod tests;
