//! Running one script. What a script does — its draws, its memory, where its instruction
//! budget runs out — is the same on every replica and on one restored from a snapshot: it
//! depends on the script, its arguments and the keyspace, and (its memory use, by the few
//! bytes a table or Lua's string table kept of an earlier script's growth) on the scripts
//! before it in the same log entry, which every replica runs alike. Building the sandbox (the
//! libraries, the prelude) is most of a short script's cost, so the prelude is compiled once
//! per process and loaded as bytecode, no collection runs while the sandbox is built, and the
//! scripts of one log entry share one sandbox, put back as built between them ([`Kept`]); a
//! sandbox kept across entries would make memory accounting depend on history (what ran
//! before a replica's last restart). docs/benchmarks.md has what a run costs.

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use mlua::{
    chunk::ChunkMode, Function, HookTriggers, Lua, LuaOptions, MultiValue, Scope, StdLib, Value,
};

use super::convert;
use super::current::{Current, Meter, Placer, Stop};
use super::dispatch::{Dispatcher, Target};
use super::raise::raise;
use super::register::{Registration, Registry};
use super::sandbox::{Kept, Sandbox};
use crate::config::{EncodingConfig, INSTRUCTION_STEP};
use crate::reply::Reply;

/// Where a script's errors say they happened, as in Redis (`user_script:1: ...`).
const SCRIPT_CHUNK: &str = "@user_script";
/// Where a library's errors say they happened (`user_function:1: ...`).
const FUNCTION_CHUNK: &str = "@user_function";
/// The error line of a script stopped by SCRIPT KILL (Redis's).
pub const KILLED: &str = "ERR Script killed by user with SCRIPT KILL...";

/// What runs: the body and what it is, the keys and arguments, and whether it may write.
pub struct Script<'b> {
    pub body: &'b [u8],
    pub entry: Entry<'b>,
    pub keys: &'b [Vec<u8>],
    pub args: &'b [Vec<u8>],
    pub writes_allowed: bool,
}

/// What a body is and how it runs.
#[derive(Clone, Copy)]
pub enum Entry<'b> {
    /// EVAL: the body runs whole; errors name the script by its SHA-1.
    Script { sha: &'b str },
    /// FUNCTION LOAD: a library's body runs with only `redis.register_function` and
    /// `redis.log` in reach (Redis 7.0's load environment), to learn what it registers.
    Load,
    /// FCALL: the library's body registers its functions as at load, then function `name` is
    /// called with the keys and arguments; errors name the function.
    Function { name: &'b str },
}

impl Entry<'_> {
    fn chunk(&self) -> &'static str {
        match self {
            Entry::Script { .. } => SCRIPT_CHUNK,
            Entry::Load | Entry::Function { .. } => FUNCTION_CHUNK,
        }
    }

    fn place(&self, text: &str, line: usize) -> String {
        self.placer().place(text, line)
    }

    fn placer(&self) -> Placer {
        let name = match self {
            Entry::Script { sha } => Some(sha.to_string()),
            Entry::Function { name } => Some(name.to_string()),
            Entry::Load => None,
        };
        Placer {
            chunk: self.chunk(),
            name,
        }
    }
}

/// How far a script may go.
pub struct Limits {
    pub instructions: u64,
    pub memory: usize,
    /// Read path only: the server's SCRIPT KILL switch.
    pub kill: Option<Arc<AtomicBool>>,
}

impl Limits {
    /// The replicated limits (lua-max-instructions, lua-max-memory), and the kill switch of a
    /// read.
    pub fn of(config: &EncodingConfig, kill: Option<Arc<AtomicBool>>) -> Limits {
        Limits {
            instructions: config.lua_max_instructions,
            memory: config.lua_memory(),
            kill,
        }
    }
}

/// Compiles `body` in a bare state, for SCRIPT LOAD: Redis's error for one that does not.
pub fn check_compiles(body: &[u8], memory: usize) -> Result<(), Reply> {
    let lua = Lua::new_with(StdLib::NONE, LuaOptions::new()).map_err(internal)?;
    lua.set_memory_limit(memory).map_err(internal)?;
    compile(&lua, body, Entry::Script { sha: "" }).map(|_| ())
}

fn compile(lua: &Lua, body: &[u8], entry: Entry) -> Result<Function, Reply> {
    let code = super::shebang::code(body);
    let chunk = lua
        .load(&*code)
        .set_name(entry.chunk())
        .set_mode(ChunkMode::Text);
    chunk.into_function().map_err(|error| {
        let message = match error {
            mlua::Error::SyntaxError { message, .. } => message,
            mlua::Error::MemoryError(_) => "not enough memory".to_string(),
            other => other.to_string(),
        };
        Reply::error(match entry {
            Entry::Script { .. } => format!("ERR Error compiling script (new function): {message}"),
            Entry::Load | Entry::Function { .. } => {
                format!("ERR Error compiling function: {message}")
            }
        })
    })
}

fn internal(error: mlua::Error) -> Reply {
    Reply::error(format!("ERR cannot start a script: {error}"))
}

/// How a run ended: the reply, whether the body compiled (only then is it cached), and what
/// a library registered.
pub struct Outcome {
    pub reply: Reply,
    pub compiled: bool,
    pub registered: Vec<Registration>,
}

/// Runs a library's body as FUNCTION LOAD does: what it registers, or Redis's error line.
pub fn load_library(
    target: Target,
    body: &[u8],
    limits: Limits,
) -> Result<Vec<Registration>, Reply> {
    let script = Script {
        body,
        entry: Entry::Load,
        keys: &[],
        args: &[],
        writes_allowed: false,
    };
    let outcome = run(target, &script, limits, None);
    match outcome.reply {
        Reply::Error(line) => Err(Reply::Error(line)),
        _ => Ok(outcome.registered),
    }
}

/// Runs `script` against `target` within `limits`; its reply (or its error line). A script
/// run with an entry's `kept` slot (EVAL and EVALSHA applied from the log) may run in the
/// sandbox the entry's previous script left there, and leaves its own for the next one.
pub fn run(target: Target, script: &Script, limits: Limits, kept: Option<&Kept>) -> Outcome {
    let meter = Rc::new(Meter::new(limits.instructions, limits.kill));
    let registry = Registry::default();
    let kept = kept.filter(|_| matches!(script.entry, Entry::Script { .. }));
    let outcome = run_in_sandbox(target, script, limits.memory, &meter, &registry, kept);
    let compiled = !matches!(outcome, Err(Failure::Compile(_)));
    let line = meter.line.get();
    let reply = match meter.stop.get() {
        Some(Stop::Killed) => Reply::Error(script.entry.place(KILLED, line)),
        Some(Stop::Budget) => Reply::Error(script.entry.place(
            &format!(
                "ERR Script ran past its instruction budget ({} instructions, lua-max-instructions)",
                limits.instructions
            ),
            line,
        )),
        None => match outcome {
            Ok(reply) | Err(Failure::Compile(reply) | Failure::Run(reply)) => reply,
        },
    };
    Outcome {
        reply,
        compiled,
        registered: registry.into_registrations(),
    }
}

enum Failure {
    Compile(Reply),
    Run(Reply),
}

impl From<Reply> for Failure {
    fn from(reply: Reply) -> Self {
        Failure::Run(reply)
    }
}

fn run_in_sandbox(
    target: Target,
    script: &Script,
    memory: usize,
    meter: &Rc<Meter>,
    registry: &Registry,
    kept: Option<&Kept>,
) -> Result<Reply, Failure> {
    let sandbox = match kept.and_then(Kept::take) {
        Some(sandbox) => sandbox.ready_again(memory).map_err(internal)?,
        None => Sandbox::build(memory).map_err(internal)?,
    };
    // The client's body is parsed with the collector running: the parser's garbage grows with
    // the body, which the client chooses.
    let function = match kept.and_then(|_| sandbox.compiled(script.body)) {
        Some(function) => function,
        None => {
            let function = compile(&sandbox.lua, script.body, script.entry);
            let function = function.map_err(Failure::Compile)?;
            if kept.is_some() {
                sandbox.keep_compiled(script.body, &function);
            }
            function
        }
    };
    let outcome = sandbox.call(target, script, function, memory, meter, registry);
    // Kept only after a script that ended with a value: one that failed or stopped may have
    // left the state half-way through something.
    let clean =
        matches!(&outcome, Ok(reply) if !matches!(reply, Reply::Error(_))) && !meter.stopped();
    if let Some(kept) = kept.filter(|_| clean) {
        if sandbox.settle() {
            kept.put(sandbox);
        }
    }
    outcome
}

impl Sandbox {
    /// Runs `function` (the compiled body) as `script` says, with the engine's functions
    /// bound to this run.
    fn call(
        &self,
        target: Target,
        script: &Script,
        function: Function,
        memory: usize,
        meter: &Rc<Meter>,
        registry: &Registry,
    ) -> Result<Reply, Failure> {
        let lua = &self.lua;
        self.current.start(meter, script.entry.placer());
        let dispatcher = RefCell::new(Dispatcher::new(target, script.writes_allowed));
        let result = lua.scope(|scope| {
            // The run's setup (its functions, KEYS and ARGV, the hook) is made with the limit
            // lifted: under a limit mlua makes every step of it a protected call, which costs
            // two closures of garbage each, most of a short script's run. What the setup holds
            // still counts: past the limit, the script fails before its first instruction.
            let limit = lua.set_memory_limit(0)?;
            let setup = self.set_up(scope, script, &dispatcher, meter, registry);
            lua.set_memory_limit(limit)?;
            let (keys, args) = setup?;
            if limit != 0 && lua.used_memory() > limit {
                return Err(past_the_limit());
            }
            let callback = match self.callback(script, function, (keys, args), registry)? {
                Ok(callback) => callback,
                Err(reply) => return Ok(reply),
            };
            Ok(
                match protected_call(&self.xpcall, callback, self.handler.clone())? {
                    Ok(value) => convert::to_reply(&value, self.current.resp.get(), memory),
                    Err(line) => Reply::Error(line),
                },
            )
        });
        lua.remove_global_hook();
        result.map_err(|error| {
            Failure::Run(match error {
                mlua::Error::MemoryError(_) => Reply::error(format!(
                    "ERR Script ran past its memory limit ({memory} bytes, lua-max-memory)"
                )),
                other => Reply::error(format!("ERR {other}")),
            })
        })
    }

    /// Binds the run's functions, makes its KEYS and ARGV (returned: a function gets them as
    /// parameters) and sets the instruction hook.
    fn set_up<'s, 'env: 's, 'a, 'k>(
        &'env self,
        scope: &'s Scope<'s, 'env>,
        script: &Script,
        dispatcher: &'env RefCell<Dispatcher<'a, 'k>>,
        meter: &'env Rc<Meter>,
        registry: &'env Registry,
    ) -> mlua::Result<(mlua::Table, mlua::Table)> {
        let lua = &self.lua;
        let current = &self.current;
        let bound = bind(scope, dispatcher, meter, current, registry, script.entry)?;
        let keys = bulk_table(lua, script.keys)?;
        let args = bulk_table(lua, script.args)?;
        // A function sees its keys and arguments as its parameters, not as KEYS and ARGV.
        let globals = match script.entry {
            Entry::Script { .. } => (Value::Table(keys.clone()), Value::Table(args.clone())),
            Entry::Load | Entry::Function { .. } => (Value::Nil, Value::Nil),
        };
        self.begin.call::<()>((globals.0, globals.1, bound))?;
        let hook_meter = Rc::clone(meter);
        let triggers = HookTriggers::new().every_nth_instruction(INSTRUCTION_STEP);
        lua.set_global_hook(triggers, move |_, debug| {
            hook_meter.step(debug.current_line())
        })?;
        Ok((keys, args))
    }

    /// What the run calls: a script's body, or for a function the function its library's
    /// body registers (the library loaded first); a library's load ends with its reply.
    fn callback(
        &self,
        script: &Script,
        body: Function,
        (keys, args): (mlua::Table, mlua::Table),
        registry: &Registry,
    ) -> mlua::Result<Result<Function, Reply>> {
        let lua = &self.lua;
        if let Entry::Script { .. } = script.entry {
            return Ok(Ok(body));
        }
        // A library that fails while loading gets no place in its error line.
        let placer = self.current.placer.replace(Placer::none());
        let loaded = load(&self.xpcall, body, (&self.loading, &self.handler), registry);
        self.current.placer.replace(placer);
        if let Err(line) = loaded? {
            return Ok(Err(Reply::Error(line)));
        }
        let Entry::Function { name } = script.entry else {
            return Ok(Err(Reply::ok()));
        };
        let Some(callback) = registry.callback(name) else {
            return Ok(Err(Reply::error(super::register::NOT_FOUND)));
        };
        with_arguments(lua, callback, keys, args).map(Ok)
    }
}

/// The engine's functions bound to one run, for the prelude's `begin`: redis.call,
/// redis.pcall, redis.acl_check_cmd and (for a library's load) redis.register_function.
type BoundFunctions = (Function, Function, Function, Option<Function>);

/// Makes the engine's functions that reach into this run's keyspace (through `dispatcher`) or
/// its registry; they live as long as the run's `scope`. The rest are the sandbox's own
/// ([`Current`]), made once when it is built: every function made here costs a Lua closure,
/// a userdata and a protected call, the most of a short script's run before they were few.
fn bind<'s, 'env: 's, 'a, 'k>(
    scope: &'s Scope<'s, 'env>,
    dispatcher: &'env RefCell<Dispatcher<'a, 'k>>,
    meter: &'env Rc<Meter>,
    current: &'env Current,
    registry: &'env Registry,
    entry: Entry,
) -> mlua::Result<BoundFunctions> {
    let call = move |lua: &Lua, args: MultiValue, raising: bool| {
        // A command costs far more than a Lua instruction: without this, a loop of cheap
        // calls would run for seconds within its instruction budget.
        let line = lua.inspect_stack(1, |debug| debug.current_line()).flatten();
        meter.charge(CALL_COST, line)?;
        let reply = match call_arguments(&args) {
            None => Reply::error(BAD_CALL_ARGUMENTS),
            Some(argv) if argv.is_empty() => Reply::error(NO_CALL_ARGUMENTS),
            Some(argv) => dispatcher.borrow_mut().call(&argv),
        };
        match reply {
            Reply::Error(line) if raising => raise(&line),
            reply => reply_to_lua(lua, &reply, current.resp.get()),
        }
    };
    let acl_check_cmd = scope.create_function(move |_, args: MultiValue| {
        if args.is_empty() {
            return raise(NO_CALL_ARGUMENTS);
        }
        let argv = call_arguments(&args).unwrap_or_default();
        match dispatcher.borrow().acl_allows(&argv) {
            Ok(allowed) => Ok(allowed),
            Err(_) => raise("ERR Invalid command passed to redis.acl_check_cmd()"),
        }
    })?;
    // Only a library's body may register functions (a script cannot reach the load
    // environment).
    let register_function = match entry {
        Entry::Script { .. } => None,
        Entry::Load | Entry::Function { .. } => {
            Some(scope.create_function(|lua, args| registry.register(lua, args))?)
        }
    };
    Ok((
        scope.create_function(move |lua, args| call(lua, args, true))?,
        scope.create_function(move |lua, args| call(lua, args, false))?,
        acl_check_cmd,
        register_function,
    ))
}

/// A command's reply as the script sees it. A short one is converted with the memory limit
/// lifted (under a limit mlua wraps each step in a protected call) and counted after: past the
/// limit, the call fails as if its conversion had. A long one is converted under the limit, so
/// that it stops where the limit is reached.
fn reply_to_lua(lua: &Lua, reply: &Reply, resp: convert::Resp) -> mlua::Result<Value> {
    let short = match reply {
        Reply::Simple(text) | Reply::Error(text) => text.len() <= SHORT_REPLY,
        Reply::Bulk(bytes) => bytes.len() <= SHORT_REPLY,
        Reply::Integer(_) | Reply::Nil | Reply::NilArray | Reply::Double(_) | Reply::Bool(_) => {
            true
        }
        _ => false,
    };
    if !short {
        return convert::to_lua(lua, reply, resp);
    }
    let limit = lua.set_memory_limit(0)?;
    let value = convert::to_lua(lua, reply, resp);
    lua.set_memory_limit(limit)?;
    if limit != 0 && lua.used_memory() > limit {
        return Err(past_the_limit());
    }
    value
}

/// The longest reply [`reply_to_lua`] converts with the limit lifted.
const SHORT_REPLY: usize = 4096;

/// Lua's own error for an allocation past the memory limit.
fn past_the_limit() -> mlua::Error {
    mlua::Error::MemoryError("not enough memory".to_string())
}

/// What one redis.call or redis.pcall spends of the instruction budget.
pub const CALL_COST: u64 = 1000;

/// Calls `function` under `handler`: its value, or the error line the handler made.
fn protected_call(
    xpcall: &Function,
    function: Function,
    handler: Function,
) -> mlua::Result<Result<Value, String>> {
    let outcome: MultiValue = xpcall.call((function, handler))?;
    let mut values = outcome.into_iter();
    let ok = matches!(values.next(), Some(Value::Boolean(true)));
    let value = values.next().unwrap_or(Value::Nil);
    match (ok, value) {
        (true, value) => Ok(Ok(value)),
        // Lua 5.1 does not call the handler for a memory error; every line the handler makes
        // starts with an error code, so this one cannot be mistaken.
        (false, Value::String(line)) if line.as_bytes().as_ref() == b"not enough memory" => {
            Err(mlua::Error::MemoryError(String::new()))
        }
        (false, Value::String(line)) => Ok(Err(line.to_string_lossy())),
        (false, other) => Ok(Err(format!("ERR {other:?}"))),
    }
}

/// Runs a library's body in the load environment (the prelude's `loading` switch), so that
/// it registers its functions: Redis's error line if it fails or registers none.
fn load(
    xpcall: &Function,
    body: Function,
    (loading, handler): (&Function, &Function),
    registry: &Registry,
) -> mlua::Result<Result<(), String>> {
    loading.call::<()>(true)?;
    let outcome = protected_call(xpcall, body, handler.clone())?;
    loading.call::<()>(false)?;
    Ok(match outcome {
        Err(line) => Err(format!("ERR Error registering functions: {line}")),
        Ok(_) if registry.is_empty() => Err(super::register::NONE_REGISTERED.to_string()),
        Ok(_) => Ok(()),
    })
}

/// `callback(keys, args)` as a function of no arguments, for xpcall (Lua 5.1's passes none).
fn with_arguments(
    lua: &Lua,
    callback: Function,
    keys: mlua::Table,
    args: mlua::Table,
) -> mlua::Result<Function> {
    let bind = lua
        .load("local f, keys, args = ... return function() return f(keys, args) end")
        .set_name("=redraft")
        .into_function()?;
    bind.call((callback, keys, args))
}

const BAD_CALL_ARGUMENTS: &str = "ERR Lua redis lib command arguments must be strings or integers";
const NO_CALL_ARGUMENTS: &str = "ERR Please specify at least one argument for this redis lib call";

fn call_arguments(args: &MultiValue) -> Option<Vec<Vec<u8>>> {
    args.iter().map(convert::argument).collect()
}

fn bulk_table(lua: &Lua, items: &[Vec<u8>]) -> mlua::Result<mlua::Table> {
    let table = lua.create_table_with_capacity(items.len(), 0)?;
    for (i, item) in items.iter().enumerate() {
        table.raw_set(i + 1, lua.create_string(item)?)?;
    }
    Ok(table)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keyspace::Keyspace;
    use crate::spec::WriteCtx;

    /// Runs EVAL of `body` with the entry slot `kept`, as the log applies it.
    fn eval_with(keyspace: &mut Keyspace, kept: &Kept, body: &str) -> Reply {
        let mut ctx = WriteCtx {
            keyspace,
            db: 0,
            now_ms: 1000,
            seed: 1,
            resolve: crate::table::resolve,
            catalog: crate::table::catalog(),
            user: None,
            sandbox: kept,
        };
        let script = Script {
            body: body.as_bytes(),
            entry: Entry::Script { sha: "sha" },
            keys: &[],
            args: &[],
            writes_allowed: true,
        };
        let limits = Limits {
            instructions: 100_000,
            memory: 4 << 20,
            kill: None,
        };
        run(Target::Write(&mut ctx), &script, limits, Some(kept)).reply
    }

    #[test]
    fn a_sandbox_is_kept_after_a_script_that_ended_well_and_dropped_after_one_that_did_not() {
        let mut keyspace = Keyspace::default();
        let kept = Kept::default();
        for (body, keeps) in [
            ("return 1", true),
            ("return redis.call('set', 'k', 'v')", true),
            ("return redis.error_reply('no')", false),
            ("return 2", true),
            ("error('x')", false),
            ("return redis.call('nosuchcommand')", false),
            ("while true do end", false),
            ("return ( ", false),
            ("setmetatable(getmetatable(''), {}) return 1", false),
            ("getmetatable('').x = 1 return 1", true),
            ("table.insert(string, 1) return 1", false),
            ("return 3", true),
        ] {
            eval_with(&mut keyspace, &kept, body);
            assert_eq!(kept.holds_one(), keeps, "{body}");
        }
    }

    #[test]
    fn an_entrys_repeated_body_is_compiled_once_and_runs_as_if_afresh() {
        let mut keyspace = Keyspace::default();
        let kept = Kept::default();
        let body = "local t = {} t[#t + 1] = 1 return #t + redis.call('incr', 'n')";
        let compiled = |kept: &Kept| {
            let sandbox = kept.take().expect("a sandbox is kept");
            let function = sandbox.compiled(body.as_bytes()).map(|f| f.to_pointer());
            kept.put(sandbox);
            function
        };
        assert_eq!(eval_with(&mut keyspace, &kept, body), Reply::Integer(2));
        let first = compiled(&kept).expect("the body is kept compiled");
        assert_eq!(eval_with(&mut keyspace, &kept, body), Reply::Integer(3));
        assert_eq!(compiled(&kept), Some(first), "the same function ran again");
        assert_eq!(
            eval_with(&mut keyspace, &kept, "return 7"),
            Reply::Integer(7)
        );
        assert_eq!(compiled(&kept), Some(first));
    }
}
