//! The engine's functions a sandbox makes once, when it is built, and what they read of the
//! script running in it now ([`Current`]): math.random's generator, redis.setresp, the stop
//! flag the prelude checks, and the message handler that turns an error into Redis's line.
//! Functions that reach into a run's keyspace are made per run, in its scope (`run::bind`).

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use mlua::{Function, Lua, MultiValue, Value, VmState};

use super::convert::Resp;
use super::raise::{raise, Raised};
use super::rand48::Rand48;
use crate::config::INSTRUCTION_STEP;

/// What error lines of a run end with (owned: the error handler outlives the borrow).
pub(super) struct Placer {
    pub(super) chunk: &'static str,
    /// The script's SHA-1 or the function's name; none while a library loads.
    pub(super) name: Option<String>,
}

impl Placer {
    /// A placer that adds no place (a library's load's).
    pub(super) fn none() -> Placer {
        Placer {
            chunk: "",
            name: None,
        }
    }

    /// An error line with where it happened, as Redis ends a script's error (a library that
    /// fails while loading gets no place).
    pub(super) fn place(&self, text: &str, line: usize) -> String {
        match &self.name {
            Some(name) => format!("{text} script: {name}, on {}:{line}.", self.chunk),
            None => text.to_string(),
        }
    }
}

/// Why a script stopped before its end.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) enum Stop {
    Budget,
    Killed,
}

/// Counts a script's instructions, in steps, and notes why and where it was stopped.
pub(super) struct Meter {
    spent: Cell<u64>,
    limit: u64,
    kill: Option<Arc<AtomicBool>>,
    pub(super) stop: Cell<Option<Stop>>,
    pub(super) line: Cell<usize>,
}

impl Meter {
    pub(super) fn new(limit: u64, kill: Option<Arc<AtomicBool>>) -> Meter {
        Meter {
            spent: Cell::new(0),
            limit,
            kill,
            stop: Cell::new(None),
            line: Cell::new(0),
        }
    }

    /// Whether the script was stopped (its budget spent or SCRIPT KILL).
    pub(super) fn stopped(&self) -> bool {
        self.stop.get().is_some()
    }

    /// The hook: once the budget is spent (or the kill switch set), every later step fails
    /// too, so a script that catches the error cannot go on for long.
    pub(super) fn step(&self, line: Option<usize>) -> mlua::Result<VmState> {
        self.charge(u64::from(INSTRUCTION_STEP), line)
    }

    /// Spends `units` of the budget (Lua instructions, or a command's fixed cost).
    pub(super) fn charge(&self, units: u64, line: Option<usize>) -> mlua::Result<VmState> {
        if self.stop.get().is_none() {
            self.spent.set(self.spent.get().saturating_add(units));
            let killed = self
                .kill
                .as_ref()
                .is_some_and(|kill| kill.load(Ordering::Relaxed));
            let stop = match () {
                _ if killed => Some(Stop::Killed),
                _ if self.spent.get() > self.limit => Some(Stop::Budget),
                _ => None,
            };
            if stop.is_none() {
                return Ok(VmState::Continue);
            }
            self.stop.set(stop);
            self.line.set(line.unwrap_or(0));
        }
        Err(mlua::Error::runtime("script stopped"))
    }
}

/// What the sandbox's own functions read of the script now running; set by each run
/// ([`Current::start`]).
pub(super) struct Current {
    /// The run's meter (its stop flag).
    meter: RefCell<Rc<Meter>>,
    /// The RESP version redis.call's replies come in (redis.setresp).
    pub(super) resp: Cell<Resp>,
    /// math.random's generator, seeded alike for every script.
    rand: RefCell<Rand48>,
    /// Where an error line says it happened.
    pub(super) placer: RefCell<Placer>,
}

impl Current {
    /// Before each run: its meter and placer, RESP 2, the generator as Redis seeds it.
    pub(super) fn start(&self, meter: &Rc<Meter>, placer: Placer) {
        self.meter.replace(Rc::clone(meter));
        self.resp.set(Resp::Two);
        self.rand.replace(Rand48::default());
        self.placer.replace(placer);
    }
}

/// Sets the sandbox's own functions in `raw` (where the prelude finds them) and makes the
/// message handler; both read the running script's [`Current`], returned with the handler.
pub(super) fn bind_once(lua: &Lua, raw: &mlua::Table) -> mlua::Result<(Rc<Current>, Function)> {
    let current = Rc::new(Current {
        meter: RefCell::new(Rc::new(Meter::new(0, None))),
        resp: Cell::new(Resp::Two),
        rand: RefCell::new(Rand48::default()),
        placer: RefCell::new(Placer::none()),
    });
    let rand = Rc::clone(&current);
    raw.raw_set(
        "rand",
        lua.create_function(move |_, ()| Ok(rand.rand.borrow_mut().next_unit()))?,
    )?;
    let seeded = Rc::clone(&current);
    raw.raw_set(
        "randomseed",
        lua.create_function(move |_, seed: f64| {
            // C's int conversion of Lua's number, as luaL_checkint makes it.
            seeded.rand.borrow_mut().seed(seed as i64 as i32);
            Ok(())
        })?,
    )?;
    let resp = Rc::clone(&current);
    raw.raw_set(
        "setresp",
        lua.create_function(move |_, args: MultiValue| set_resp(&resp, &args))?,
    )?;
    let stopped = Rc::clone(&current);
    raw.raw_set(
        "stopped",
        lua.create_function(move |_, ()| Ok(stopped.meter.borrow().stopped()))?,
    )?;
    let handler = error_handler(lua, Rc::clone(&current))?;
    Ok((current, handler))
}

/// A Lua value as a number, as Lua's arithmetic reads it (strings too).
pub(super) fn number(value: &Value) -> Option<f64> {
    match value {
        Value::Integer(n) => Some(*n as f64),
        Value::Number(n) => Some(*n),
        Value::String(text) => text.to_str().ok()?.trim().parse().ok(),
        _ => None,
    }
}

/// redis.setresp(version)
fn set_resp(current: &Current, args: &MultiValue) -> mlua::Result<()> {
    let [version] = &args.iter().collect::<Vec<_>>()[..] else {
        return raise("ERR redis.setresp() requires one argument.");
    };
    current.resp.set(match number(version) {
        Some(2.0) => Resp::Two,
        Some(3.0) => Resp::Three,
        _ => return raise("ERR RESP version must be 2 or 3."),
    });
    Ok(())
}

/// The message handler of the script's call: turns what was raised into the line the client
/// gets, with where it happened as Redis writes it (`... script: <sha>, on @user_script:3.`).
/// A raised `{err=...}` table (a failed redis.call) keeps its line; any other error gets ERR.
fn error_handler(lua: &Lua, current: Rc<Current>) -> mlua::Result<Function> {
    lua.create_function(move |lua, raised: Value| {
        let placer = current.placer.borrow();
        let text = match &raised {
            Value::Table(table) => match table.raw_get::<Value>("err")? {
                Value::String(line) => line.to_string_lossy(),
                Value::Integer(n) => n.to_string(),
                Value::Number(n) => lua_number(lua, n),
                _ => "ERR (error object is a table value)".to_string(),
            },
            Value::String(text) => format!("ERR {}", text.to_string_lossy()),
            Value::Integer(n) => format!("ERR {n}"),
            Value::Number(n) => format!("ERR {}", lua_number(lua, *n)),
            Value::Nil => "ERR nil".to_string(),
            Value::Boolean(value) => format!("ERR {value}"),
            Value::Error(error) => match error.downcast_ref::<Raised>() {
                Some(raised) => raised.0.clone(),
                None => format!("ERR {error}"),
            },
            other => format!("ERR (error object is a {} value)", other.type_name()),
        };
        // Only a placer with a name adds the line (the stack's walk is for nothing else).
        let line = match placer.name {
            Some(_) => script_line(lua, placer.chunk),
            None => 0,
        };
        Ok(placer.place(&text, line))
    })
}

/// Lua's own spelling of a number (`%.14g`).
fn lua_number(lua: &Lua, n: f64) -> String {
    match lua.coerce_string(Value::Number(n)) {
        Ok(Some(text)) => text.to_string_lossy(),
        _ => n.to_string(),
    }
}

/// The line of the script being run where the innermost script frame stands.
fn script_line(lua: &Lua, chunk: &str) -> usize {
    // Bounded: Lua's call depth is (LUAI_MAXCALLS is 20000).
    for level in 0..20_000 {
        let found = lua.inspect_stack(level, |debug| {
            let source = debug.source();
            let ours = source.source.as_deref() == Some(chunk);
            ours.then(|| debug.current_line()).flatten()
        });
        match found {
            None => return 0,
            Some(Some(line)) => return line,
            Some(None) => {}
        }
    }
    0
}
