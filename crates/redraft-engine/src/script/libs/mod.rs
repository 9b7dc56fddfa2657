//! The Lua libraries redis-server 7.0 gives scripts: `bit`, `cjson`, `cmsgpack` and `struct`.
//!
//! Each is written in Rust against the behaviour of the C library Redis bundles (checked by
//! EVAL against redis-server 7.0; the tests hold the recorded outputs). Everything here is pure:
//! no clock, no randomness, no I/O, and every size or depth a script controls is bounded.
//!
//! Errors are raised as the C libraries raise them: a plain string, prefixed with the caller's
//! position (`user_script:3: `) as `luaL_error` does. A Rust callback can only raise an mlua
//! error object, which Lua code sees as a userdata (`"x" .. err` would fail), so each function
//! scripts see is a small C function (`raise_failure`) around the Rust half: the Rust half
//! returns `true, results...` or `false, message`, and the C function returns the results or
//! raises the message. Being a C function also keeps the caller's frame alive when a script
//! tail-calls it (`return cjson.decode(s)`), so the caller's line is still there to report.

mod args;
mod bit;
mod cjson;
mod cmsgpack;
mod lstruct;
mod number;

#[cfg(test)]
mod testing;

use mlua::{ffi, Function, Lua, MultiValue, Table, Value};

/// Most bytes a cjson or cmsgpack result may hold: the output is built in Rust, outside the
/// script's memory limit, so it stays within the default `lua-max-memory`.
pub(crate) const OUTPUT_BYTES_MAX: usize = 64 << 20;

/// What a script may change in the libraries besides their tables' fields: the global
/// `cjson` table's configuration (bit, cmsgpack and struct keep none).
#[derive(Clone, Default)]
pub struct Settings {
    cjson: cjson::Settings,
}

impl Settings {
    /// Every library back to its defaults, for the next script in a kept sandbox.
    pub fn reset(&self) {
        self.cjson.reset();
    }
}

/// Sets the globals `bit`, `cjson`, `cmsgpack` and `struct`, and nothing else; what their
/// configuration is kept in.
pub fn install(lua: &Lua) -> mlua::Result<Settings> {
    let lib = Lib::new(lua)?;
    let globals = lua.globals();
    let settings = Settings::default();
    globals.raw_set("bit", bit::module(&lib)?)?;
    globals.raw_set("cjson", cjson::module_with(&lib, &settings.cjson)?)?;
    globals.raw_set("cmsgpack", cmsgpack::module(&lib)?)?;
    globals.raw_set("struct", lstruct::module(&lib)?)?;
    Ok(settings)
}

/// An error a library function raises, as the C library would.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Raise {
    message: String,
    /// Whether the message gets the caller's position, as `luaL_error` adds it; errors that
    /// Lua's core raises from inside a C function (`table index is nil`) have none.
    located: bool,
}

impl Raise {
    /// An error raised with `luaL_error`.
    pub(crate) fn new(message: impl Into<String>) -> Raise {
        Raise {
            message: message.into(),
            located: true,
        }
    }

    /// An error raised by Lua's core, without a position.
    pub(crate) fn bare(message: impl Into<String>) -> Raise {
        Raise {
            message: message.into(),
            located: false,
        }
    }

    /// An error raised with `luaL_argerror`.
    pub(crate) fn arg(position: usize, function: &str, message: &str) -> Raise {
        Raise::new(format!(
            "bad argument #{position} to '{function}' ({message})"
        ))
    }
}

/// What the Rust half of a library function returns.
pub(crate) type Outcome = Result<Returned, Raise>;

/// A library function's results.
pub(crate) enum Returned {
    /// A few values.
    Values(MultiValue),
    /// Entries `1..=count` of a table (see [`many`]).
    Table(Table, usize),
}

/// Results returned through a table: `raise_failure` returns its entries `1..=count`.
///
/// mlua holds every value a Rust function returns in a slot of its own auxiliary Lua stack,
/// which has room for about 8000 (and mlua panics when it is full), so the unpack functions,
/// which return up to 7999 values, build them in a table and return that.
pub(crate) fn many(table: mlua::Table, count: usize) -> Outcome {
    Ok(Returned::Table(table, count))
}

/// The shared pieces every library builds its functions with.
pub(crate) struct Lib {
    lua: Lua,
}

impl Lib {
    pub(crate) fn new(lua: &Lua) -> mlua::Result<Lib> {
        Ok(Lib { lua: lua.clone() })
    }

    pub(crate) fn lua(&self) -> &Lua {
        &self.lua
    }

    /// A function scripts call, from its Rust half.
    pub(crate) fn function<F>(&self, f: F) -> mlua::Result<Function>
    where
        F: Fn(&Lua, MultiValue) -> Outcome + 'static,
    {
        let inner = self.lua.create_function(move |lua, args: MultiValue| {
            let mut out = MultiValue::new();
            match f(lua, args) {
                Ok(Returned::Values(values)) => {
                    out.push_back(Value::Boolean(true));
                    out.extend(values);
                }
                Ok(Returned::Table(table, count)) => {
                    out.push_back(Value::Integer(i64::try_from(count).unwrap_or(i64::MAX)));
                    out.push_back(Value::Table(table));
                }
                Err(raise) => {
                    let message = match raise.located {
                        true => format!("{}{}", caller_position(lua), raise.message),
                        false => raise.message,
                    };
                    out.push_back(Value::Boolean(false));
                    out.push_back(Value::String(lua.create_string(message)?));
                }
            }
            Ok(out)
        })?;
        // SAFETY: `exec_raw` runs the closure under a protected call with `inner` on the
        // stack; `lua_pushcclosure` pops it as the closure's one upvalue and pushes the closure,
        // which `exec_raw` returns as a `Function`.
        unsafe {
            self.lua.exec_raw(inner, |state| {
                ffi::lua_pushcclosure(state, raise_failure, 1);
            })
        }
    }

    /// A module table holding the named functions.
    pub(crate) fn table(&self, functions: Vec<(&str, Function)>) -> mlua::Result<Table> {
        let table = self.lua.create_table()?;
        for (name, function) in functions {
            table.raw_set(name, function)?;
        }
        Ok(table)
    }
}

/// The C function scripts call: calls the Rust half (upvalue 1) with its own arguments, then
/// returns the results after the `true` flag, raises the message after `false`, or returns
/// the entries of the table after a count (see [`many`]).
///
/// It holds nothing that needs dropping, so Lua's `longjmp` out of `lua_error` (or out of a
/// failing `lua_call`, as mlua's own C functions allow) skips no destructor.
unsafe extern "C-unwind" fn raise_failure(state: *mut ffi::lua_State) -> std::os::raw::c_int {
    let args = ffi::lua_gettop(state);
    ffi::lua_pushvalue(state, ffi::lua_upvalueindex(1));
    ffi::lua_insert(state, 1);
    ffi::lua_call(state, args, ffi::LUA_MULTRET);
    if ffi::lua_type(state, 1) == ffi::LUA_TNUMBER {
        let count = ffi::lua_tointeger(state, 1) as std::os::raw::c_int;
        ffi::lua_settop(state, 2);
        ffi::lua_remove(state, 1);
        if ffi::lua_checkstack(state, count) == 0 {
            ffi::lua_pushstring(state, c"stack overflow (too many results)".as_ptr());
            ffi::lua_error(state);
        }
        for index in 1..=ffi::lua_Integer::from(count) {
            ffi::lua_rawgeti(state, 1, index);
        }
        return count;
    }
    if ffi::lua_toboolean(state, 1) != 0 {
        return ffi::lua_gettop(state) - 1;
    }
    ffi::lua_settop(state, 2);
    ffi::lua_error(state)
}

/// `luaL_where` for the script line that called a library function: level 0 is the Rust
/// callback, level 1 `raise_failure`, level 2 the caller. A C caller (`pcall`) or a frame a
/// tail call replaced has no line, and so no prefix, as in Lua.
fn caller_position(lua: &Lua) -> String {
    lua.inspect_stack(2, |debug| {
        let line = debug.current_line()?;
        let source = debug.source().short_src?.into_owned();
        Some(format!("{source}:{line}: "))
    })
    .flatten()
    .unwrap_or_default()
}

/// The single value a function returns.
pub(crate) fn one(value: impl mlua::IntoLua, lua: &Lua) -> Outcome {
    let value = value
        .into_lua(lua)
        .map_err(|e| Raise::bare(e.to_string()))?;
    Ok(Returned::Values(MultiValue::from_iter([value])))
}

/// mlua's own failures (out of memory, mostly) surface as plain errors.
pub(crate) fn lua_failure(error: mlua::Error) -> Raise {
    Raise::bare(error.to_string())
}

#[cfg(test)]
mod tests {
    use super::testing::run;
    use mlua::{Lua, LuaOptions, StdLib};

    /// The VM the runtime gives scripts: base, string, table and math.
    fn minimal_vm() -> Lua {
        let libs = StdLib::STRING | StdLib::TABLE | StdLib::MATH;
        Lua::new_with(libs, LuaOptions::default()).expect("vm")
    }

    fn global_names(lua: &Lua) -> Vec<String> {
        let mut names: Vec<String> = lua
            .globals()
            .pairs::<String, mlua::Value>()
            .filter_map(|pair| pair.ok().map(|(name, _)| name))
            .collect();
        names.sort();
        names
    }

    #[test]
    fn install_sets_only_the_four_library_globals() {
        let lua = minimal_vm();
        let before = global_names(&lua);
        super::install(&lua).expect("install");
        let added: Vec<String> = global_names(&lua)
            .into_iter()
            .filter(|n| !before.contains(n))
            .collect();
        assert_eq!(added, ["bit", "cjson", "cmsgpack", "struct"]);
        let probe = "return bit.band(6, 3), cjson.encode({1}), #cmsgpack.pack(1), struct.size('i')";
        let got: (i64, String, i64, i64) = lua.load(probe).eval().expect("libraries work");
        assert_eq!(got, (2, "[1]".to_string(), 1, 4));
    }

    #[test]
    fn errors_are_strings_a_script_can_use() {
        let case = r#"(function() local ok, e = pcall(cjson.decode, "{") return type(e) .. ": " .. e end)()"#;
        let want = r#"true "string: Expected object key string but found T_END at character 2""#;
        assert_eq!(run(case), want);
    }

    #[test]
    fn an_error_names_the_calling_line_even_through_a_tail_call() {
        let lua = minimal_vm();
        super::install(&lua).expect("install");
        let chunk = "local x = 1\nreturn cjson.decode('x')";
        let err = lua
            .load(chunk)
            .set_name("@user_script")
            .exec()
            .expect_err("bad json");
        let text = err.to_string();
        let want = "user_script:2: Expected value but found invalid token at character 1";
        assert!(text.contains(want), "{text}");
    }

    #[test]
    fn the_libraries_hold_no_reference_that_keeps_the_vm_alive() {
        let lua = minimal_vm();
        super::install(&lua).expect("install");
        lua.load("local c = cjson.new() return c.encode({})")
            .exec()
            .expect("runs");
        let weak = lua.weak();
        drop(lua);
        assert!(weak.try_upgrade().is_none());
    }
}
