//! A script's first line `#!lua flags=...` (Redis 7.0): which engine runs it and its flags.
//! Of the flags only `no-writes` changes anything here; the others are accepted as Redis
//! accepts them (allow-oom, allow-stale, no-cluster, allow-cross-slot-keys).

use crate::reply::Reply;

/// What a script's shebang declares.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct ScriptFlags {
    /// The script has a shebang (a script without one may write, even from EVAL_RO's view:
    /// its writes are refused one by one).
    pub declared: bool,
    /// `flags=no-writes`: the script may not write, whichever command runs it.
    pub no_writes: bool,
}

/// The flags a script's shebang or a function's registration may give, in the order Redis
/// lists them (FUNCTION LIST); a function's flags are a bit set over this list.
pub const FLAG_NAMES: [&str; 5] = [
    "no-writes",
    "allow-oom",
    "allow-stale",
    "no-cluster",
    "allow-cross-slot-keys",
];

/// Parses the shebang of `body`, with Redis's errors for a bad one.
pub fn parse(body: &[u8]) -> Result<ScriptFlags, Reply> {
    if !body.starts_with(b"#!") {
        return Ok(ScriptFlags::default());
    }
    let Some(end) = body.iter().position(|&b| b == b'\n') else {
        return Err(Reply::error("ERR Invalid script shebang"));
    };
    let line = String::from_utf8_lossy(&body[..end]);
    let mut parts = line.split(' ').filter(|part| !part.is_empty());
    let engine = parts.next().unwrap_or_default();
    if engine != "#!lua" {
        return Err(Reply::error(format!(
            "ERR Unexpected engine in script shebang: {engine}"
        )));
    }
    let mut flags = ScriptFlags {
        declared: true,
        no_writes: false,
    };
    for part in parts {
        let Some(list) = part.strip_prefix("flags=") else {
            return Err(Reply::error(format!(
                "ERR Unknown lua shebang option: {part}"
            )));
        };
        for flag in list.split(',').filter(|_| !list.is_empty()) {
            if !FLAG_NAMES.contains(&flag) {
                return Err(Reply::error(format!(
                    "ERR Unexpected flag in script shebang: {flag}"
                )));
            }
            flags.no_writes |= flag == "no-writes";
        }
    }
    Ok(flags)
}

/// The bit of flag `name` in a function's flags ([`FLAG_NAMES`]).
pub fn flag_bit(name: &[u8]) -> Option<u8> {
    FLAG_NAMES
        .iter()
        .position(|flag| flag.as_bytes() == name)
        .map(|i| 1 << i)
}

/// The bit of `no-writes`.
pub const NO_WRITES: u8 = 1;

/// The text Lua compiles: the shebang line turned into a comment, so that line numbers in
/// errors count it as Redis does.
pub fn code(body: &[u8]) -> std::borrow::Cow<'_, [u8]> {
    match body.strip_prefix(b"#!") {
        Some(rest) => [b"--".as_slice(), rest].concat().into(),
        None => body.into(),
    }
}
