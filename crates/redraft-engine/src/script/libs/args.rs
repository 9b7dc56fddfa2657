//! Argument checks as the C libraries make them (`luaL_checknumber`, `luaL_checklstring`...),
//! with Lua's messages: `bad argument #1 to 'band' (number expected, got string)`.

use super::number::{lua_number_to_string, lua_string_to_number};
use super::Raise;
use mlua::{MultiValue, Value};

/// Lua's name for a value's type.
pub(crate) fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Nil => "nil",
        Value::Boolean(_) => "boolean",
        Value::Integer(_) | Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Table(_) => "table",
        Value::Function(_) => "function",
        Value::Thread(_) => "thread",
        _ => "userdata",
    }
}

/// A value as a number, as `lua_tonumber` converts it (strings included).
pub(crate) fn to_number(value: &Value) -> Option<f64> {
    match value {
        Value::Integer(i) => Some(*i as f64),
        Value::Number(n) => Some(*n),
        Value::String(s) => lua_string_to_number(&s.as_bytes()),
        _ => None,
    }
}

/// A value as bytes, as `lua_tolstring` converts it (numbers included).
pub(crate) fn to_bytes(value: &Value) -> Option<Vec<u8>> {
    match value {
        Value::String(s) => Some(s.as_bytes().to_vec()),
        Value::Integer(_) | Value::Number(_) => {
            to_number(value).map(|n| lua_number_to_string(n).into_bytes())
        }
        _ => None,
    }
}

/// The arguments of one call, for checks that name the function in their errors.
pub(crate) struct Args<'a> {
    values: &'a MultiValue,
    function: &'static str,
}

impl<'a> Args<'a> {
    pub(crate) fn new(values: &'a MultiValue, function: &'static str) -> Args<'a> {
        Args { values, function }
    }

    pub(crate) fn len(&self) -> usize {
        self.values.len()
    }

    /// The argument at a 1-based position (nil past the end).
    pub(crate) fn get(&self, position: usize) -> Value {
        self.values
            .get(position.wrapping_sub(1))
            .cloned()
            .unwrap_or(Value::Nil)
    }

    /// `luaL_argerror` for this function.
    pub(crate) fn error(&self, position: usize, message: &str) -> Raise {
        Raise::arg(position, self.function, message)
    }

    /// `luaL_typerror`: what was expected, and what came ("no value" past the end).
    pub(crate) fn type_error(&self, position: usize, expected: &str) -> Raise {
        let got = match self.values.get(position.wrapping_sub(1)) {
            None => "no value",
            Some(value) => type_name(value),
        };
        self.error(position, &format!("{expected} expected, got {got}"))
    }

    pub(crate) fn number(&self, position: usize) -> Result<f64, Raise> {
        to_number(&self.get(position)).ok_or_else(|| self.type_error(position, "number"))
    }

    /// `luaL_optnumber`: nil or absent gives the default.
    pub(crate) fn opt_number(&self, position: usize, default: f64) -> Result<f64, Raise> {
        match self.get(position) {
            Value::Nil => Ok(default),
            _ => self.number(position),
        }
    }

    pub(crate) fn bytes(&self, position: usize) -> Result<Vec<u8>, Raise> {
        to_bytes(&self.get(position)).ok_or_else(|| self.type_error(position, "string"))
    }
}
