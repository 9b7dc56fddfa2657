//! Test support: run a Lua expression on a fresh VM with the libraries installed, and show its
//! results as the recording did on redis-server 7.0.
//!
//! The cases were recorded by EVAL on redis-server 7.0 (`SCRIPT FLUSH` before each, so each
//! saw a fresh VM) with this same prelude and `return showall(pcall(function() return <case>
//! end))`; the script's name is `user_script`, so error positions read `user_script:26:`.

/// Shows values in one line: strings quoted with non-printable bytes as `\ddd`, numbers with
/// 17 digits, tables with their entries sorted, `cjson.null` as `null`.
pub(super) const PRELUDE: &str = r#"local function show(v, depth)
  local t = type(v)
  if t == 'string' then
    return '"' .. v:gsub('[^%w%p ]', function(c) return '\\' .. c:byte() end) .. '"'
  elseif t == 'number' then
    return string.format('%.17g', v)
  elseif t == 'table' then
    if (depth or 0) > 6 then return '{...}' end
    local items = {}
    for k, x in pairs(v) do items[#items + 1] = show(k, 9) .. '=' .. show(x, (depth or 0) + 1) end
    table.sort(items)
    return '{' .. table.concat(items, ',') .. '}'
  elseif v == cjson.null then
    return 'null'
  end
  return tostring(v)
end
local function showall(...)
  local out = {}
  for i = 1, select('#', ...) do out[i] = show((select(i, ...))) end
  return table.concat(out, ' ')
end
local function hex(s)
  return (s:gsub('.', function(c) return string.format('%02x', c:byte()) end))
end
"#;

/// Runs each case on a fresh VM and fails with every case whose output differs.
pub(super) fn check_cases(cases: &[(&str, &str)]) {
    let failures: Vec<String> = cases
        .iter()
        .filter_map(|(case, want)| {
            let got = run(case);
            (got != *want).then(|| format!("{case}\n   want {want}\n   got  {got}"))
        })
        .collect();
    assert!(
        failures.is_empty(),
        "{} cases differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// One case's output (as redis-cli --raw printed it).
pub(super) fn run(case: &str) -> String {
    let lua = mlua::Lua::new();
    super::install(&lua).expect("install");
    let source = format!("{PRELUDE}return showall(pcall(function() return {case} end))");
    match lua
        .load(source)
        .set_name("@user_script")
        .eval::<mlua::LuaString>()
    {
        Ok(text) => String::from_utf8_lossy(&text.as_bytes()).into_owned(),
        Err(e) => format!("<lua error: {e}>"),
    }
}
