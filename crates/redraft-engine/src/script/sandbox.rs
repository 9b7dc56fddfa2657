//! The sandbox scripts run in: a Lua state with the libraries and the prelude
//! (`prelude.lua`), built afresh or kept for the next script of a log entry ([`Kept`]). What
//! runs in it, and how, is `run`'s.

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::OnceLock;

use mlua::{chunk::ChunkMode, Function, Lua, LuaOptions, MultiValue, StdLib, Value};

use super::cache::sha1_hex;
use super::current::{bind_once, number, Current};
use super::libs;
use super::raise::{raise, raised_line};
use crate::REDIS_VERSION;

const PRELUDE: &str = include_str!("prelude.lua");
/// How many compiled bodies a sandbox keeps.
const COMPILED_KEPT: usize = 8;
/// [`REDIS_VERSION`] as a number, as the `redis` table reports it.
const REDIS_VERSION_NUM: u32 = 0x07_04_00;

/// The sandbox of one log entry's scripts, handed from each to the next.
///
/// Building the sandbox is most of what a short script costs, so the scripts of one entry
/// share one: the first builds it, each leaves it for the next, and it is dropped with the
/// entry. Every replica applies the same entry's scripts in the same order from a freshly
/// built sandbox, so what each script does — its memory, where a limit hits — is the same
/// on every replica, restored from a snapshot or not, as with a fresh state per script.
/// Between two scripts the sandbox is put back as built (the strings' metatable, the cjson
/// configuration, the tostring numbering, the collector running with its defaults), and
/// the garbage earlier scripts left does not count against the next one's memory; a script
/// that fails or stops, or changes what cannot be put back, leaves nothing: the next one
/// builds afresh.
#[derive(Default)]
pub struct Kept(RefCell<Option<Sandbox>>);

impl Kept {
    pub(super) fn take(&self) -> Option<Sandbox> {
        self.0.borrow_mut().take()
    }

    pub(super) fn put(&self, sandbox: Sandbox) {
        *self.0.borrow_mut() = Some(sandbox);
    }

    /// Whether a sandbox waits here (for tests).
    #[cfg(test)]
    pub fn holds_one(&self) -> bool {
        self.0.borrow().is_some()
    }
}

/// A Lua state with the libraries and the prelude run, ready for a script.
pub struct Sandbox {
    pub(super) lua: Lua,
    /// Lua's own xpcall, captured before the prelude replaces the global.
    pub(super) xpcall: Function,
    /// The prelude's switch to a library's load environment.
    pub(super) loading: Function,
    /// The prelude's start of a script (see prelude.lua).
    pub(super) begin: Function,
    /// The prelude's putting back of what a script may change (see prelude.lua).
    settle: Function,
    /// What the sandbox's own functions read of the script now running.
    pub(super) current: Rc<Current>,
    /// The message handler of a script's call (see `current`).
    pub(super) handler: Function,
    settings: libs::Settings,
    /// Memory the state held once built: a kept sandbox's next script gets the same room as
    /// the first (`lua-max-memory` counts the sandbox).
    built_memory: usize,
    /// The bodies compiled in this sandbox, for the entry's later scripts.
    compiled: RefCell<Vec<(Vec<u8>, Function)>>,
}

impl Sandbox {
    /// A fresh state with the sandbox built, within `memory`.
    pub(super) fn build(memory: usize) -> mlua::Result<Sandbox> {
        let libraries = StdLib::TABLE | StdLib::STRING | StdLib::MATH;
        let lua = without_final_collection(Lua::new_with(libraries, LuaOptions::new())?);
        // Built without a memory limit, set once it is built: under a limit mlua wraps each
        // step in a protected call (two closures of garbage each), and the sandbox is the
        // same few hundred KB whatever a client sends. It still counts against the limit.
        // No collection while the sandbox is built: from a fresh state's small threshold, its
        // growth would run several full cycles over what is all still live (most of a short
        // script's cost). Collection resumes before the script's body is even parsed.
        lua.gc_stop();
        // The libraries of Redis's Lua: bit, cjson, cmsgpack, struct.
        let settings = libs::install(&lua)?;
        let xpcall: Function = lua.globals().get("xpcall")?;
        let raw = lua.create_table()?;
        raw.raw_set("sha1hex", lua.create_function(sha1hex)?)?;
        raw.raw_set("log", lua.create_function(log)?)?;
        raw.raw_set("set_repl", lua.create_function(set_repl)?)?;
        raw.raw_set(
            "raised",
            lua.create_function(|_, value: Value| Ok(raised_line(&value)))?,
        )?;
        let (current, handler) = bind_once(&lua, &raw)?;
        let prelude = lua
            .load(prelude_bytecode())
            .set_name("=redraft")
            .set_mode(ChunkMode::Binary)
            .into_function()?;
        let (loading, begin, settle) = prelude.call((raw.clone(), constants(&lua)?))?;
        lua.gc_restart();
        let built_memory = lua.used_memory();
        if built_memory > memory {
            return Err(mlua::Error::MemoryError(format!(
                "the sandbox takes {built_memory} bytes"
            )));
        }
        lua.set_memory_limit(memory)?;
        Ok(Sandbox {
            lua,
            xpcall,
            loading,
            begin,
            settle,
            current,
            handler,
            settings,
            built_memory,
            compiled: RefCell::default(),
        })
    }

    /// A kept sandbox ready for its next script, with the same room under `memory` as a
    /// freshly built sandbox's script has: the garbage the previous scripts left does not
    /// count against it.
    pub(super) fn ready_again(self, memory: usize) -> mlua::Result<Sandbox> {
        let room = memory.saturating_sub(self.built_memory);
        self.lua.set_memory_limit(0)?;
        // The previous script may have stopped the collector (collectgarbage is in reach).
        // One step restarts a stopped collector (Lua 5.1 sets its threshold from the bytes in
        // use) and costs a running one little; a restart would begin a full cycle at once.
        self.lua.gc_step()?;
        // Garbage is collected as scripts allocate; all of it only once it is half the room.
        if self.lua.used_memory() > self.built_memory + room / 2 {
            self.lua.gc_collect()?;
        }
        self.lua.set_memory_limit(self.lua.used_memory() + room)?;
        self.settings.reset();
        Ok(self)
    }

    /// `body` compiled, if this sandbox compiled it for an earlier script. A body's main
    /// chunk has no upvalues and no environment of its own to change (setfenv is gone), so
    /// running it again is running it afresh, as Redis runs a cached script's function.
    pub(super) fn compiled(&self, body: &[u8]) -> Option<Function> {
        let compiled = self.compiled.borrow();
        let found = compiled.iter().find(|(text, _)| text == body);
        found.map(|(_, function)| function.clone())
    }

    /// Keeps `function`, `body` compiled, for the entry's later scripts (a few bodies at
    /// most: an entry's scripts are mostly one or two scripts run by many clients).
    pub(super) fn keep_compiled(&self, body: &[u8], function: &Function) {
        let mut compiled = self.compiled.borrow_mut();
        if compiled.len() < COMPILED_KEPT {
            compiled.push((body.to_vec(), function.clone()));
        }
    }

    /// What a script that ended well changed put back as built; false when it changed what
    /// cannot be put back (see prelude.lua's `settle`).
    pub(super) fn settle(&self) -> bool {
        self.settle.call::<bool>(()).unwrap_or(false)
    }
}

/// A handle on `created`'s state whose drop closes the state without collecting first.
///
/// mlua runs a full collection when the handle that created a state is dropped (for states
/// other handles keep alive); a sandbox is closed whole with its log entry, so that collection
/// would walk everything only for the close to free it all again: a sixth of building and
/// dropping a sandbox. The creating handle is dropped here, while its state is still small,
/// and the state lives on in a handle that does not collect (mlua's upgraded weak handle).
fn without_final_collection(created: Lua) -> Lua {
    let weak = created.weak();
    let kept = weak.upgrade();
    drop(created);
    kept
}

/// The prelude compiled once per process. Each run loads its bytecode instead of parsing its
/// text again: parsing the prelude was most of what a short script cost. Only bytecode this
/// process compiled is ever loaded, never a client's.
fn prelude_bytecode() -> &'static [u8] {
    static BYTECODE: OnceLock<Vec<u8>> = OnceLock::new();
    BYTECODE.get_or_init(|| {
        let lua = Lua::new_with(StdLib::NONE, LuaOptions::new()).expect("a Lua state opens");
        let prelude = lua.load(PRELUDE).set_name("=redraft").into_function();
        prelude.expect("the prelude compiles").dump(false)
    })
}

/// redis.sha1hex(text): a number is hashed as Lua spells it.
fn sha1hex(lua: &Lua, args: MultiValue) -> mlua::Result<String> {
    let [value] = &args.iter().collect::<Vec<_>>()[..] else {
        return raise("ERR wrong number of arguments");
    };
    let text = match lua.coerce_string((*value).clone())? {
        Some(text) => text.as_bytes().to_vec(),
        None => Vec::new(),
    };
    Ok(sha1_hex(&text))
}

/// redis.log(level, message, ...): checked as Redis checks it; nothing is logged (a replica
/// has no log a script may write to).
fn log(_: &Lua, args: MultiValue) -> mlua::Result<()> {
    if args.len() < 2 {
        return raise("ERR redis.log() requires two arguments or more.");
    }
    let Some(level) = number(&args[0]).filter(|_| !matches!(args[0], Value::String(_))) else {
        return raise("ERR First argument must be a number (log level).");
    };
    if !(0.0..=3.0).contains(&level) {
        return raise("ERR Invalid debug level.");
    }
    Ok(())
}

/// redis.set_repl(flags): checked, without effect (every replica applies the whole script).
fn set_repl(_: &Lua, args: MultiValue) -> mlua::Result<()> {
    let [flags] = &args.iter().collect::<Vec<_>>()[..] else {
        return raise("ERR redis.set_repl() requires two arguments.");
    };
    let flags = number(flags).unwrap_or(0.0);
    if !(0.0..=3.0).contains(&flags) || flags.fract() != 0.0 {
        return raise(
            "ERR Invalid replication flags. Use REPL_AOF, REPL_REPLICA, REPL_ALL or REPL_NONE.",
        );
    }
    Ok(())
}

fn constants(lua: &Lua) -> mlua::Result<mlua::Table> {
    let table = lua.create_table()?;
    for (name, value) in [
        ("LOG_DEBUG", 0),
        ("LOG_VERBOSE", 1),
        ("LOG_NOTICE", 2),
        ("LOG_WARNING", 3),
        ("REPL_NONE", 0),
        ("REPL_AOF", 1),
        ("REPL_SLAVE", 2),
        ("REPL_REPLICA", 2),
        ("REPL_ALL", 3),
    ] {
        table.raw_set(name, value)?;
    }
    table.raw_set("REDIS_VERSION", REDIS_VERSION)?;
    table.raw_set("REDIS_VERSION_NUM", REDIS_VERSION_NUM)?;
    Ok(table)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_dropped_sandbox_closes_its_state() {
        // The state is held by one handle only (see without_final_collection): nothing of a
        // log entry's sandbox outlives the entry.
        let sandbox = Sandbox::build(4 << 20).expect("a sandbox");
        let state = sandbox.lua.weak();
        assert!(state.try_upgrade().is_some());
        drop(sandbox);
        assert!(
            state.try_upgrade().is_none(),
            "the Lua state was not closed"
        );
    }

    #[test]
    fn the_prelude_is_compiled_once_and_loaded_as_bytecode() {
        let bytecode = prelude_bytecode();
        assert!(bytecode.starts_with(b"\x1bLua"), "a binary chunk");
        assert!(std::ptr::eq(bytecode, prelude_bytecode()), "compiled once");
        let lua = Lua::new_with(StdLib::NONE, LuaOptions::new()).expect("a Lua state");
        let chunk = lua.load(bytecode).set_mode(ChunkMode::Binary);
        chunk.into_function().expect("the bytecode loads");
    }
}
