-- The sandbox a script runs in, built in a fresh Lua state: Redis 7.0's globals and `redis`
-- table, with the globals protected as Redis protects them. `raw` holds the engine's
-- functions made once for the sandbox (the generator, the stop flag...); those bound to one
-- script's run (redis.call's dispatcher) come with `begin`. Everything the wrappers use is captured here as a local, so that a script that
-- redirects the strings' methods does not reach into them. It returns three functions: the
-- switch to a library's load environment, `begin` (what each script starts from: its KEYS and
-- ARGV, the engine's functions, the tostring numbering) and `settle` (what a script may change
-- put back as built, so that the next script of the entry finds the sandbox as the first did).
local raw, constants = ...

local G = _G
local type, error, select, tonumber, tostring = type, error, select, tonumber, tostring
local next, pairs, ipairs, rawget, rawset = next, pairs, ipairs, rawget, rawset
local getmetatable, setmetatable = getmetatable, setmetatable
local pcall, xpcall, loadstring = pcall, xpcall, loadstring
local collectgarbage = collectgarbage
local format, sub, find, byte, gsub = string.format, string.sub, string.find, string.byte,
  string.gsub
local floor, concat = math.floor, table.concat
local resume = coroutine.resume

-- What Redis 7.0 leaves out of the base library: the file system, modules, printing,
-- environments, and the os library (no wall clock may reach a script).
for _, name in ipairs({ "dofile", "loadfile", "print", "getfenv", "setfenv", "newproxy",
    "module", "require", "package", "io", "os", "debug" }) do
  G[name] = nil
end

local READONLY = "Attempt to modify a readonly table"
local protected = {}

local function readonly_error()
  error(READONLY, 2)
end

-- A library table is read-only as in Redis 7: a script sees it through an empty proxy that
-- reads through to it and refuses every assignment (Lua 5.1 calls __newindex for new keys
-- only, so the table itself cannot refuse an overwrite). `behind` maps each proxy to its table.
local behind = {}
local function read_only(table)
  local proxy = setmetatable({}, { __index = table, __newindex = readonly_error,
    __metatable = false })
  protected[proxy], behind[proxy] = true, table
  return proxy
end

-- The engine's calls stop a script that ran past its limits; a protected call must not let
-- it go on.
local function unless_stopped(...)
  if raw.stopped() then
    error("script stopped", 0)
  end
  return ...
end

-- Redis's pcall hands the error line of a redis.call failure (an `{err=...}` table) to the
-- script as a string.
local function after_pcall(ok, ...)
  unless_stopped()
  if not ok then
    local failure = ...
    if type(failure) == "table" and rawget(failure, "err") ~= nil then
      return false, rawget(failure, "err")
    end
    local line = raw.raised(failure)
    if line ~= nil then
      return false, line
    end
  end
  return ok, ...
end

G.pcall = function(f, ...)
  return after_pcall(pcall(f, ...))
end
G.xpcall = function(f, handler)
  return unless_stopped(xpcall(f, handler))
end
coroutine.resume = function(co, ...)
  return unless_stopped(resume(co, ...))
end

-- Source text only: precompiled chunks can crash the VM.
local function load_text(text, name)
  if type(text) == "string" and byte(text, 1) == 27 then
    return nil, "binary chunks are not allowed"
  end
  return loadstring(text, name)
end
G.loadstring = load_text
G.load = function(reader, name)
  if type(reader) ~= "function" then
    return load_text(reader, name)
  end
  local pieces = {}
  while true do
    local piece = reader()
    if piece == nil or piece == "" then
      break
    end
    pieces[#pieces + 1] = piece
  end
  return load_text(concat(pieces), name)
end

-- tostring of a table, function or coroutine shows an address in Lua, which differs from
-- replica to replica: here it shows the order in which the script first showed it.
-- The numbering's table is made on a script's first such call (most never make one).
local shown, count -- reset by begin
local WEAK_KEYS = { __mode = "k" }
G.tostring = function(value)
  local kind = type(value)
  if kind == "table" or kind == "function" or kind == "thread" or kind == "userdata" then
    local meta = getmetatable(value)
    if not (type(meta) == "table" and rawget(meta, "__tostring") ~= nil) then
      shown = shown or setmetatable({}, WEAK_KEYS)
      local id = shown[value]
      if id == nil then
        count = count + 1
        id = count
        shown[value] = id
      end
      return format("%s: 0x%08x", kind, id)
    end
  end
  return tostring(value)
end

-- math.random as Redis draws it (see rand48.rs), with Lua 5.1's argument rules.
local function integer_argument(value, position, name)
  local number = tonumber(value)
  if number == nil then
    error(format("bad argument #%d to '%s' (number expected, got %s)", position, name,
      type(value)), 3)
  end
  if number >= 0 then
    return floor(number)
  end
  return -floor(-number)
end

math.random = function(...)
  local draw = raw.rand()
  local count = select("#", ...)
  if count == 0 then
    return draw
  end
  local first, second = ...
  if count == 1 then
    local upper = integer_argument(first, 1, "random")
    if upper < 1 then
      error("bad argument #1 to 'random' (interval is empty)", 2)
    end
    return floor(draw * upper) + 1
  elseif count == 2 then
    local lower = integer_argument(first, 1, "random")
    local upper = integer_argument(second, 2, "random")
    if lower > upper then
      error("bad argument #2 to 'random' (interval is empty)", 2)
    end
    return floor(draw * (upper - lower + 1)) + lower
  end
  error("wrong number of arguments", 2)
end
math.randomseed = function(seed)
  raw.randomseed(integer_argument(seed, 1, "randomseed"))
end

-- The redis table.
local redis = {}
for name, value in pairs(constants) do
  redis[name] = value
end

-- The functions that may raise an error are the engine's (C functions, as Redis's are), so
-- that a tail call such as `return redis.call(...)` keeps the script's line in the error.
-- Those bound to one script's run (call, pcall, acl_check_cmd) are set by begin; false holds
-- their place.
for _, name in ipairs({ "call", "pcall", "sha1hex", "log", "setresp", "set_repl",
    "acl_check_cmd" }) do
  redis[name] = raw[name] or false
end

-- An error line as redis.error_reply makes it: `-CODE message` keeps its code, a line
-- without a code gets ERR, and the message loses surrounding CR and LF.
local function error_line(text)
  local space = find(text, " ", 1, true)
  local code, message = "ERR", sub(text, 2)
  if space then
    code, message = sub(text, 2, space - 1), sub(text, space + 1)
  end
  message = gsub(message, "^[\r\n]+", "")
  message = gsub(message, "[\r\n]+$", "")
  return code .. " " .. message
end

local BAD_ARGUMENTS = { err = "ERR wrong number or type of arguments" }

redis.error_reply = function(...)
  local text = ...
  if select("#", ...) ~= 1 or type(text) ~= "string" then
    return { err = BAD_ARGUMENTS.err }
  end
  if sub(text, 1, 1) ~= "-" then
    text = "-" .. text
  end
  return { err = error_line(text) }
end
redis.status_reply = function(...)
  local text = ...
  if select("#", ...) ~= 1 or type(text) ~= "string" then
    return { err = BAD_ARGUMENTS.err }
  end
  return { ok = text }
end
redis.replicate_commands = function()
  return true
end
redis.breakpoint = function()
  return false
end
redis.debug = function() end
G.redis = redis

-- Globals are read-only: every global lives in `real`, and _G is an empty table that reads
-- through to it, refuses new globals and names the missing one it is asked for.
local real = {}
for name, value in next, G do
  real[name] = value
end
for name in next, real do
  rawset(G, name, nil)
end
real._G, real.KEYS, real.ARGV = G, false, false
real.rawset = function(table, key, value)
  if table == G or protected[table] then
    error(READONLY, 0)
  end
  return rawset(table, key, value)
end
real.setmetatable = function(table, meta)
  if table == G or protected[table] then
    error(READONLY, 0)
  end
  return setmetatable(table, meta)
end
-- The globals and the library tables read as the tables they stand for.
local function seen(table)
  if table == G then
    return real
  end
  return behind[table] or table
end
real.rawget = function(table, key)
  return rawget(seen(table), key)
end
real.next = function(table, key)
  return next(seen(table), key)
end
real.pairs = function(table)
  local stands_for = seen(table)
  if stands_for ~= table then
    return next, stands_for, nil
  end
  return pairs(table)
end
local proxies = {}
for _, name in ipairs({ "string", "math", "table", "coroutine", "redis", "bit", "cjson",
    "cmsgpack", "struct" }) do
  if type(real[name]) == "table" then
    real[name] = read_only(real[name])
    proxies[#proxies + 1] = real[name]
  end
end
-- Strings' methods are found through the proxy too, so that getmetatable("").__index is
-- `string`, as in Redis.
local string_meta = getmetatable("")
string_meta.__index = real.string
local missing = {
  __index = function(_, name)
    error("Script attempted to access nonexistent global variable '" .. tostring(name) .. "'", 2)
  end,
}
setmetatable(real, missing)
local globals = { __index = real, __newindex = readonly_error, __metatable = false }
setmetatable(G, globals)

-- What a library's body sees while it loads (Redis 7.0): a `redis` table with
-- register_function, log and the LOG_ and version constants, and no other global; a missing
-- one is named as a missing global. Its functions, called later, see the whole sandbox.
local library_redis = { register_function = false, log = raw.log }
for name, value in pairs(constants) do
  if sub(name, 1, 4) == "LOG_" or sub(name, 1, 6) == "REDIS_" then
    library_redis[name] = value
  end
end
local library_globals = { redis = library_redis }
for _, table in ipairs({ library_redis, library_globals }) do
  protected[table] = true
  setmetatable(table, { __index = missing.__index, __newindex = readonly_error,
    __metatable = false })
end

-- The switch between the two: the globals read through to the load environment while a
-- library's body runs.
local function loading_switch(loading)
  globals.__index = loading and library_globals or real
end

-- What a script may change that outlives it: the strings' metatable (a script can overwrite
-- its fields and add new ones) and the proxies of the library tables (empty as built, but
-- table.insert and its kin set fields raw). The metatable's fields as built:
local string_meta_as_built = {}
for key, value in next, string_meta do
  string_meta_as_built[key] = value
end

-- Before each script: its KEYS and ARGV (nil for a function, which gets them as parameters),
-- the engine's functions bound to its run (register_function only for a library's body),
-- tostring numbering from 1, the collector's defaults.
local function begin(keys, argv, call, pcall, acl_check_cmd, register_function)
  rawset(redis, "call", call)
  rawset(redis, "pcall", pcall)
  rawset(redis, "acl_check_cmd", acl_check_cmd)
  rawset(library_redis, "register_function", register_function or false)
  shown, count = nil, 0
  globals.__index = real
  real.KEYS, real.ARGV = keys, argv
  collectgarbage("setpause", 200)
  collectgarbage("setstepmul", 200)
end

-- After a script that ended well: the strings' metatable as built, in one walk of its fields.
-- False when the script changed what is not put back: it gave the strings' metatable a
-- metatable, or set fields in a proxy (emptying one field by field costs a walk from its start
-- per field, quadratic in what a script may have put there); the sandbox is then not kept.
local function settle()
  for _, proxy in ipairs(proxies) do
    if next(proxy) ~= nil then
      return false
    end
  end
  for key in next, string_meta do
    if string_meta_as_built[key] == nil then
      rawset(string_meta, key, nil)
    end
  end
  for key, value in next, string_meta_as_built do
    rawset(string_meta, key, value)
  end
  return getmetatable(string_meta) == nil
end

return loading_switch, begin, settle
