//! `cjson`: lua-cjson 2.1.0 as redis-server 7.0 bundles it, with its configuration functions.
//!
//! Each module table (the global, and every `cjson.new()`) has its own configuration. In
//! redis-server the configuration outlives a script (the VM is shared); here a script always
//! starts from the defaults: a sandbox kept for the next script of a log entry has the global
//! table's configuration reset ([`Settings::reset`]).

mod decode;
mod encode;

use super::args::Args;
use super::{one, Lib, Outcome, Raise, Returned};
use mlua::{LightUserData, Lua, MultiValue, Table, Value};
use std::cell::RefCell;
use std::rc::Rc;

/// How non-finite numbers encode.
#[derive(Clone, Copy, Debug, PartialEq)]
enum InvalidNumbers {
    /// An error (the default).
    Refuse,
    /// `inf`, `-inf`, `nan`: not JSON, but what lua-cjson writes when asked.
    Write,
    /// `null`.
    Null,
}

/// One module table's configuration, with lua-cjson's defaults.
#[derive(Clone, Debug)]
struct Config {
    sparse_convert: bool,
    sparse_ratio: i32,
    sparse_safe: i32,
    encode_max_depth: i32,
    decode_max_depth: i32,
    encode_invalid_numbers: InvalidNumbers,
    decode_invalid_numbers: bool,
    keep_buffer: bool,
    number_precision: i32,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            sparse_convert: false,
            sparse_ratio: 2,
            sparse_safe: 10,
            encode_max_depth: 1000,
            decode_max_depth: 1000,
            encode_invalid_numbers: InvalidNumbers::Refuse,
            decode_invalid_numbers: true,
            keep_buffer: true,
            number_precision: 14,
        }
    }
}

type Shared = Rc<RefCell<Config>>;

/// The configuration of the global `cjson` table, to reset between scripts.
#[derive(Clone, Default)]
pub(crate) struct Settings(Shared);

impl Settings {
    /// Back to lua-cjson's defaults.
    pub(crate) fn reset(&self) {
        *self.0.borrow_mut() = Config::default();
    }
}

/// `cjson.null`: the NULL light userdata, as lua-cjson's.
pub(crate) fn null() -> Value {
    Value::LightUserData(LightUserData(std::ptr::null_mut()))
}

/// A fresh module table with the default configuration.
pub(crate) fn module(lib: &Lib) -> mlua::Result<Table> {
    module_with(lib, &Settings::default())
}

/// A module table configured by `settings`.
pub(crate) fn module_with(lib: &Lib, settings: &Settings) -> mlua::Result<Table> {
    let config = &settings.0;
    // Objects are walked with the base library's `next` (see encode.rs).
    let next: mlua::Function = lib.lua().globals().raw_get("next")?;
    let encode_config = Rc::clone(config);
    let encode =
        move |lua: &Lua, args: MultiValue| encode::encode(lua, &args, &encode_config, &next);
    let table = lib.table(vec![
        ("encode", lib.function(encode)?),
        ("decode", lib.function(with(config, decode::decode))?),
        (
            "encode_sparse_array",
            lib.function(with(config, sparse_array))?,
        ),
        (
            "encode_max_depth",
            lib.function(with(config, encode_max_depth))?,
        ),
        (
            "decode_max_depth",
            lib.function(with(config, decode_max_depth))?,
        ),
        (
            "encode_number_precision",
            lib.function(with(config, number_precision))?,
        ),
        (
            "encode_keep_buffer",
            lib.function(with(config, keep_buffer))?,
        ),
        (
            "encode_invalid_numbers",
            lib.function(with(config, encode_invalid))?,
        ),
        (
            "decode_invalid_numbers",
            lib.function(with(config, decode_invalid))?,
        ),
    ])?;
    // The callback's own `lua` handle, not a captured one: a function holding its VM would
    // keep the VM alive forever.
    let new = lib.function(|lua, _| {
        let fresh = Lib::new(lua)
            .and_then(|lib| module(&lib))
            .map_err(super::lua_failure)?;
        Ok(Returned::Values(MultiValue::from_iter([Value::Table(
            fresh,
        )])))
    })?;
    table.raw_set("new", new)?;
    table.raw_set("null", null())?;
    table.raw_set("_NAME", "cjson")?;
    table.raw_set("_VERSION", "2.1.0")?;
    Ok(table)
}

type Handler = fn(&Lua, &MultiValue, &Shared) -> Outcome;

fn with(config: &Shared, handler: Handler) -> impl Fn(&Lua, MultiValue) -> Outcome + 'static {
    let config = config.clone();
    move |lua, args| handler(lua, &args, &config)
}

/// lua-cjson's check that a configuration function got at most `max` arguments.
fn at_most(args: &Args, max: usize) -> Result<(), Raise> {
    match args.len() > max {
        true => Err(args.error(max + 1, "found too many arguments")),
        false => Ok(()),
    }
}

/// An integer option in `min..=max`; nil leaves it as it is. lua-cjson reports a value out
/// of range against argument #1 whatever its position.
fn integer_option(args: &Args, position: usize, min: i32, max: i32) -> Result<Option<i32>, Raise> {
    if let Value::Nil = args.get(position) {
        return Ok(None);
    }
    let value = super::number::truncate_to_i64(args.number(position)?);
    match (i64::from(min)..=i64::from(max)).contains(&value) {
        true => Ok(Some(value as i32)),
        false => Err(args.error(1, &format!("expected integer between {min} and {max}"))),
    }
}

/// An on/off option: a boolean, `"on"`, `"off"`, or (where allowed) `"null"`; nil leaves it.
fn switch_option(
    args: &Args,
    position: usize,
    allow_null: bool,
) -> Result<Option<InvalidNumbers>, Raise> {
    let text = match args.get(position) {
        Value::Nil => return Ok(None),
        Value::Boolean(true) => return Ok(Some(InvalidNumbers::Write)),
        Value::Boolean(false) => return Ok(Some(InvalidNumbers::Refuse)),
        _ => args.bytes(position)?,
    };
    match text.as_slice() {
        b"on" => Ok(Some(InvalidNumbers::Write)),
        b"off" => Ok(Some(InvalidNumbers::Refuse)),
        b"null" if allow_null => Ok(Some(InvalidNumbers::Null)),
        _ => {
            let shown = String::from_utf8_lossy(&text);
            Err(args.error(position, &format!("invalid option '{shown}'")))
        }
    }
}

fn on(setting: InvalidNumbers) -> bool {
    setting != InvalidNumbers::Refuse
}

fn sparse_array(_: &Lua, a: &MultiValue, config: &Shared) -> Outcome {
    let args = Args::new(a, "encode_sparse_array");
    at_most(&args, 3)?;
    let convert = switch_option(&args, 1, false)?;
    let ratio = integer_option(&args, 2, 0, i32::MAX)?;
    let safe = integer_option(&args, 3, 0, i32::MAX)?;
    let mut c = config.borrow_mut();
    c.sparse_convert = convert.map_or(c.sparse_convert, on);
    c.sparse_ratio = ratio.unwrap_or(c.sparse_ratio);
    c.sparse_safe = safe.unwrap_or(c.sparse_safe);
    let values = [
        Value::Boolean(c.sparse_convert),
        Value::Integer(c.sparse_ratio.into()),
        Value::Integer(c.sparse_safe.into()),
    ];
    Ok(Returned::Values(MultiValue::from_iter(values)))
}

/// The shape of `encode_max_depth`, `decode_max_depth` and `encode_number_precision`.
fn integer_setting(
    lua: &Lua,
    args: &Args,
    max: i32,
    field: impl FnOnce(&mut Config) -> &mut i32,
    config: &Shared,
) -> Outcome {
    at_most(args, 1)?;
    let value = integer_option(args, 1, 1, max)?;
    let mut c = config.borrow_mut();
    let slot = field(&mut c);
    *slot = value.unwrap_or(*slot);
    one(f64::from(*slot), lua)
}

fn encode_max_depth(lua: &Lua, a: &MultiValue, config: &Shared) -> Outcome {
    let args = Args::new(a, "encode_max_depth");
    integer_setting(lua, &args, i32::MAX, |c| &mut c.encode_max_depth, config)
}

fn decode_max_depth(lua: &Lua, a: &MultiValue, config: &Shared) -> Outcome {
    let args = Args::new(a, "decode_max_depth");
    integer_setting(lua, &args, i32::MAX, |c| &mut c.decode_max_depth, config)
}

fn number_precision(lua: &Lua, a: &MultiValue, config: &Shared) -> Outcome {
    let args = Args::new(a, "encode_number_precision");
    integer_setting(lua, &args, 14, |c| &mut c.number_precision, config)
}

fn keep_buffer(lua: &Lua, a: &MultiValue, config: &Shared) -> Outcome {
    let args = Args::new(a, "encode_keep_buffer");
    at_most(&args, 1)?;
    let mut c = config.borrow_mut();
    c.keep_buffer = switch_option(&args, 1, false)?.map_or(c.keep_buffer, on);
    one(c.keep_buffer, lua)
}

fn encode_invalid(lua: &Lua, a: &MultiValue, config: &Shared) -> Outcome {
    let args = Args::new(a, "encode_invalid_numbers");
    at_most(&args, 1)?;
    let mut c = config.borrow_mut();
    c.encode_invalid_numbers = switch_option(&args, 1, true)?.unwrap_or(c.encode_invalid_numbers);
    match c.encode_invalid_numbers {
        InvalidNumbers::Null => one("null", lua),
        setting => one(on(setting), lua),
    }
}

fn decode_invalid(lua: &Lua, a: &MultiValue, config: &Shared) -> Outcome {
    let args = Args::new(a, "decode_invalid_numbers");
    at_most(&args, 1)?;
    let mut c = config.borrow_mut();
    c.decode_invalid_numbers = switch_option(&args, 1, false)?.map_or(c.decode_invalid_numbers, on);
    one(c.decode_invalid_numbers, lua)
}

#[cfg(test)]
mod tests;
