//! Key specifications in the command table's compact form, and what COMMAND INFO shows of
//! them. A command's `keys:` text lists its specifications separated by `;`, each being
//! words of flags, then where the search for the keys begins, then how they are found:
//!
//! - flags: `RW` `RO` `OW` `RM`, `access` `update` `insert` `delete`, `not_key`,
//!   `incomplete`, `variable_flags` (Redis's names);
//! - begin: `@3` (the argument at index 3), `STREAMS@1` (after the keyword STREAMS, searched
//!   from index 1; a negative start searches backwards from the end), `@?` (not known);
//! - find, optional: `0/1/0` (a range: the last key relative to the first, negative from the
//!   end; the step; a limit dividing the rest), `#0/1/1` (a count: its index relative to the
//!   begin, the first key relative to the begin, the step), `?` (not known). Without it, one
//!   key: `0/1/0`.
//!
//! So SET's `RW access update variable_flags @1` and ZUNIONSTORE's `OW update @1; RO access
//! @2 #0/1/1`.

use crate::reply::Reply;

/// Where the search for a specification's keys begins.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Begin {
    Index(i32),
    Keyword { keyword: &'static str, start: i32 },
    Unknown,
}

/// How a specification's keys are found from where the search began.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Find {
    Range { last: i32, step: i32, limit: i32 },
    Keynum { index: i32, first: i32, step: i32 },
    Unknown,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeySpec {
    pub flags: Vec<&'static str>,
    pub begin: Begin,
    pub find: Find,
}

/// The flags a key specification may carry, in the order COMMAND INFO lists them.
pub const FLAGS: [&str; 12] = [
    "RW",
    "RO",
    "OW",
    "RM",
    "access",
    "update",
    "insert",
    "delete",
    "not_key",
    "incomplete",
    "variable_flags",
    "none",
];

/// Reads a command's `keys:` text; Err names what is malformed (a table test reads every
/// entry, so a malformed one never ships).
pub fn parse(text: &'static str) -> Result<Vec<KeySpec>, String> {
    text.split(';')
        .map(str::trim)
        .filter(|spec| !spec.is_empty())
        .map(parse_one)
        .collect()
}

fn parse_one(text: &'static str) -> Result<KeySpec, String> {
    let words: Vec<&'static str> = text.split_whitespace().collect();
    let at = words
        .iter()
        .position(|word| word.contains('@'))
        .ok_or_else(|| format!("{text:?}: no begin (`@index`, `KEYWORD@start`, `@?`)"))?;
    let flags = words[..at].to_vec();
    if let Some(flag) = flags.iter().find(|flag| !FLAGS.contains(flag)) {
        return Err(format!("{text:?}: unknown flag {flag}"));
    }
    let begin = parse_begin(words[at]).ok_or_else(|| format!("{text:?}: bad begin"))?;
    let find = match &words[at + 1..] {
        [] => Find::Range {
            last: 0,
            step: 1,
            limit: 0,
        },
        [find] => parse_find(find).ok_or_else(|| format!("{text:?}: bad find {find}"))?,
        _ => return Err(format!("{text:?}: words after the find")),
    };
    Ok(KeySpec { flags, begin, find })
}

fn parse_begin(word: &'static str) -> Option<Begin> {
    let (keyword, start) = word.split_once('@')?;
    if start == "?" {
        return keyword.is_empty().then_some(Begin::Unknown);
    }
    let start: i32 = start.parse().ok()?;
    Some(match keyword {
        "" => Begin::Index(start),
        keyword => Begin::Keyword { keyword, start },
    })
}

fn parse_find(word: &str) -> Option<Find> {
    if word == "?" {
        return Some(Find::Unknown);
    }
    let (keynum, numbers) = match word.strip_prefix('#') {
        Some(rest) => (true, rest),
        None => (false, word),
    };
    let numbers: Vec<i32> = numbers
        .split('/')
        .map(str::parse)
        .collect::<Result<_, _>>()
        .ok()?;
    let [a, b, c] = numbers[..] else {
        return None;
    };
    Some(match keynum {
        true => Find::Keynum {
            index: a,
            first: b,
            step: c,
        },
        false => Find::Range {
            last: a,
            step: b,
            limit: c,
        },
    })
}

impl KeySpec {
    /// Whether the keys sit at fixed places (an index and a range): otherwise the command's
    /// keys move with its arguments (Redis's `movablekeys`).
    pub fn is_fixed(&self) -> bool {
        matches!(
            (&self.begin, &self.find),
            (Begin::Index(_), Find::Range { .. })
        )
    }

    /// The specification as COMMAND INFO gives it: a map of flags, begin_search, find_keys.
    pub fn reply(&self) -> Reply {
        let flags = self
            .flags
            .iter()
            .map(|flag| Reply::Simple(flag.to_string()));
        Reply::Map(vec![
            (Reply::bulk("flags"), Reply::Set(flags.collect())),
            (Reply::bulk("begin_search"), self.begin_reply()),
            (Reply::bulk("find_keys"), self.find_reply()),
        ])
    }

    fn begin_reply(&self) -> Reply {
        let (kind, spec) = match &self.begin {
            Begin::Index(index) => ("index", vec![int("index", *index)]),
            Begin::Keyword { keyword, start } => (
                "keyword",
                vec![
                    (Reply::bulk("keyword"), Reply::bulk(*keyword)),
                    int("startfrom", *start),
                ],
            ),
            Begin::Unknown => ("unknown", Vec::new()),
        };
        typed(kind, spec)
    }

    fn find_reply(&self) -> Reply {
        let (kind, spec) = match self.find {
            Find::Range { last, step, limit } => (
                "range",
                vec![
                    int("lastkey", last),
                    int("keystep", step),
                    int("limit", limit),
                ],
            ),
            Find::Keynum { index, first, step } => (
                "keynum",
                vec![
                    int("keynumidx", index),
                    int("firstkey", first),
                    int("keystep", step),
                ],
            ),
            Find::Unknown => ("unknown", Vec::new()),
        };
        typed(kind, spec)
    }
}

fn int(name: &str, value: i32) -> (Reply, Reply) {
    (Reply::bulk(name), Reply::Integer(value.into()))
}

fn typed(kind: &str, spec: Vec<(Reply, Reply)>) -> Reply {
    Reply::Map(vec![
        (Reply::bulk("type"), Reply::bulk(kind)),
        (Reply::bulk("spec"), Reply::Map(spec)),
    ])
}
