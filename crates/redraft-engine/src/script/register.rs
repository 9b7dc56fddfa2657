//! `redis.register_function`, which a library's body calls while it loads: its two forms
//! (`name, callback` and the table `{function_name=, callback=, flags=, description=}`), with
//! Redis 7.0's error lines, and what the body registered.

use std::cell::RefCell;

use mlua::{Function, Lua, MultiValue, Table, Value};

use super::raise::raise;
use super::shebang;

pub const NOT_FOUND: &str = "ERR Function not found";
pub const NONE_REGISTERED: &str = "ERR No functions registered";
/// Redis 7.0 says "Library" for function names too.
pub const BAD_NAME: &str = "ERR Library names can only contain letters, numbers, or underscores(_) and must be at least one character long";

/// What a library registered for one function: its name, flags (bits over
/// [`shebang::FLAG_NAMES`]) and description.
#[derive(Clone, Debug, PartialEq)]
pub struct Registration {
    pub name: String,
    pub flags: u8,
    pub description: Option<Vec<u8>>,
}

/// The functions a body registered, in order, with their callbacks.
#[derive(Default)]
pub struct Registry {
    entries: RefCell<Vec<(Registration, Function)>>,
}

/// Letters, digits and underscores, at least one: Redis's rule for library and function names.
pub fn valid_name(name: &[u8]) -> bool {
    !name.is_empty() && name.iter().all(|&b| b.is_ascii_alphanumeric() || b == b'_')
}

impl Registry {
    pub fn is_empty(&self) -> bool {
        self.entries.borrow().is_empty()
    }

    /// The callback of function `name`: the one of that exact name, else one that differs in
    /// letter case only (FCALL's lookup ignores case, as Redis's does).
    pub fn callback(&self, name: &str) -> Option<Function> {
        let entries = self.entries.borrow();
        let exact = entries.iter().find(|(entry, _)| entry.name == name);
        exact
            .or_else(|| {
                let mut same = entries.iter();
                same.find(|(entry, _)| entry.name.eq_ignore_ascii_case(name))
            })
            .map(|(_, callback)| callback.clone())
    }

    pub fn into_registrations(self) -> Vec<Registration> {
        let entries = self.entries.into_inner();
        entries.into_iter().map(|(entry, _)| entry).collect()
    }

    /// redis.register_function(...): checks its arguments as Redis does and records them.
    pub fn register(&self, lua: &Lua, args: MultiValue) -> mlua::Result<()> {
        let (registration, callback) = match args.len() {
            1 => named_arguments(lua, &args[0])?,
            2 => positional_arguments(lua, &args[0], &args[1])?,
            _ => return raise("ERR wrong number of arguments to redis.register_function"),
        };
        if !valid_name(registration.name.as_bytes()) {
            return raise(BAD_NAME);
        }
        let mut entries = self.entries.borrow_mut();
        if entries
            .iter()
            .any(|(entry, _)| entry.name == registration.name)
        {
            return raise("ERR Function already exists in the library");
        }
        entries.push((registration, callback));
        Ok(())
    }
}

/// A string argument, or a number as Lua spells it (Redis takes both).
fn text(lua: &Lua, value: &Value) -> mlua::Result<Option<Vec<u8>>> {
    Ok(match value {
        Value::String(_) | Value::Integer(_) | Value::Number(_) => lua
            .coerce_string(value.clone())?
            .map(|text| text.as_bytes().to_vec()),
        _ => None,
    })
}

fn positional_arguments(
    lua: &Lua,
    name: &Value,
    callback: &Value,
) -> mlua::Result<(Registration, Function)> {
    let Some(name) = text(lua, name)? else {
        return raise("ERR first argument to redis.register_function must be a string");
    };
    let Value::Function(callback) = callback else {
        return raise("ERR second argument to redis.register_function must be a function");
    };
    let registration = Registration {
        name: String::from_utf8_lossy(&name).into_owned(),
        flags: 0,
        description: None,
    };
    Ok((registration, callback.clone()))
}

fn named_arguments(lua: &Lua, table: &Value) -> mlua::Result<(Registration, Function)> {
    let Value::Table(table) = table else {
        return raise("ERR calling redis.register_function with a single argument is only applicable to Lua table (representing named arguments).");
    };
    let (mut name, mut callback, mut flags, mut description) = (None, None, 0, None);
    for pair in table.clone().pairs::<Value, Value>() {
        let (key, value) = pair?;
        let key = match &key {
            Value::String(key) => key.as_bytes().to_vec(),
            _ => Vec::new(),
        };
        match key.as_slice() {
            b"function_name" => match text(lua, &value)? {
                Some(text) => name = Some(text),
                None => return raise("ERR function_name argument given to redis.register_function must be a string"),
            },
            b"callback" => match value {
                Value::Function(function) => callback = Some(function),
                _ => return raise("ERR callback argument given to redis.register_function must be a function"),
            },
            b"flags" => match value {
                Value::Table(list) => flags = flag_bits(&list)?,
                _ => return raise("ERR flags argument to redis.register_function must be a table representing function flags"),
            },
            b"description" => match text(lua, &value)? {
                Some(text) => description = Some(text),
                None => return raise("ERR description argument given to redis.register_function must be a string"),
            },
            _ => return raise("ERR unknown argument given to redis.register_function"),
        }
    }
    let Some(name) = name else {
        return raise("ERR redis.register_function must get a function name argument");
    };
    let Some(callback) = callback else {
        return raise("ERR redis.register_function must get a callback argument");
    };
    let registration = Registration {
        name: String::from_utf8_lossy(&name).into_owned(),
        flags,
        description,
    };
    Ok((registration, callback))
}

/// The flags table of the named form: every value one of [`shebang::FLAG_NAMES`].
fn flag_bits(list: &Table) -> mlua::Result<u8> {
    let mut bits = 0;
    for pair in list.clone().pairs::<Value, Value>() {
        let (_, flag) = pair?;
        let bit = match &flag {
            Value::String(flag) => shebang::flag_bit(&flag.as_bytes()),
            _ => None,
        };
        match bit {
            Some(bit) => bits |= bit,
            None => return raise("ERR unknown flag given"),
        }
    }
    Ok(bits)
}
