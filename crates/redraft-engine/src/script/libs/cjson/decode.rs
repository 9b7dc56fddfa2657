//! `cjson.decode`: JSON text as Lua values, with lua-cjson's tokens and error messages.
//!
//! The parser keeps its own stack of open containers instead of recursing, so deep input
//! costs heap, not the thread's stack (and the depth is bounded as lua-cjson bounds it).

use super::{null, Config, Shared};
use crate::script::libs::args::Args;
use crate::script::libs::number::strtod;
use crate::script::libs::{lua_failure, one, Outcome, Raise};
use mlua::{Lua, MultiValue, Table, Value};

/// lua-cjson checks the Lua stack for each open container; with redis-server's stack that
/// refuses the 7999th whatever `decode_max_depth` says.
const STACK_DEPTH_MAX: i32 = 7998;

pub(super) fn decode(lua: &Lua, a: &MultiValue, config: &Shared) -> Outcome {
    let args = Args::new(a, "decode");
    if args.len() != 1 {
        return Err(args.error(1, "expected 1 argument"));
    }
    let text = args.bytes(1)?;
    // lua-cjson reads up to a NUL as the end of the text.
    let end = text.iter().position(|&b| b == 0).unwrap_or(text.len());
    let config = config.borrow().clone();
    let tables = lua.create_table().map_err(lua_failure)?;
    let value = Parser {
        lua,
        tables,
        text: &text[..end],
        at: 0,
        config: &config,
    }
    .run()?;
    one(value, lua)
}

/// A token's kind; errors carry lua-cjson's description.
#[derive(Debug)]
enum Kind {
    ObjectBegin,
    ObjectEnd,
    ArrayBegin,
    ArrayEnd,
    String(Vec<u8>),
    Number(f64),
    Boolean(bool),
    Null,
    Colon,
    Comma,
    End,
    Error(&'static str),
}

impl Kind {
    /// How an error message names what was found.
    fn name(&self) -> &'static str {
        match self {
            Kind::ObjectBegin => "T_OBJ_BEGIN",
            Kind::ObjectEnd => "T_OBJ_END",
            Kind::ArrayBegin => "T_ARR_BEGIN",
            Kind::ArrayEnd => "T_ARR_END",
            Kind::String(_) => "T_STRING",
            Kind::Number(_) => "T_NUMBER",
            Kind::Boolean(_) => "T_BOOLEAN",
            Kind::Null => "T_NULL",
            Kind::Colon => "T_COLON",
            Kind::Comma => "T_COMMA",
            Kind::End => "T_END",
            Kind::Error(description) => description,
        }
    }
}

struct Token {
    kind: Kind,
    /// Where it starts (or, for a bad string, where it went wrong), 0-based.
    at: usize,
}

/// An open container: the next array index, or the pending object key. Its table lives in
/// `Parser::tables` at its depth: mlua holds each table a Rust value keeps in a slot of a
/// Lua stack that has room for about 8000, so the parser keeps only the Lua table of open
/// tables.
enum Open {
    Array(i64),
    Object(Option<Vec<u8>>),
}

/// After a container opens: the token its first entry starts with, or the container itself
/// when it closes at once.
enum Opened {
    First(Token),
    Empty(Value),
}

struct Parser<'a> {
    lua: &'a Lua,
    /// The open containers' tables, by depth from 1.
    tables: Table,
    text: &'a [u8],
    at: usize,
    config: &'a Config,
}

fn expected(what: &str, token: &Token) -> Raise {
    let found = token.kind.name();
    Raise::new(format!(
        "Expected {what} but found {found} at character {}",
        token.at + 1
    ))
}

impl Parser<'_> {
    fn run(&mut self) -> Result<Value, Raise> {
        let mut open: Vec<Open> = Vec::new();
        let mut token = self.token();
        loop {
            let mut value = match self.value(token, &mut open)? {
                Some(value) => value,
                None => match self.opened(&mut open)? {
                    Opened::First(first) => {
                        token = first;
                        continue;
                    }
                    Opened::Empty(table) => table,
                },
            };
            // A value is complete: store it in its container and read what follows, closing
            // containers as long as they end.
            loop {
                let depth = open.len();
                let Some(container) = open.last_mut() else {
                    let end = self.token();
                    return match end.kind {
                        Kind::End => Ok(value),
                        _ => Err(expected("the end", &end)),
                    };
                };
                let (table, is_array) = self.store(container, depth, value)?;
                let next = self.token();
                let closes = match is_array {
                    true => matches!(next.kind, Kind::ArrayEnd),
                    false => matches!(next.kind, Kind::ObjectEnd),
                };
                if closes {
                    self.close(&mut open)?;
                    value = Value::Table(table);
                    continue;
                }
                if !matches!(next.kind, Kind::Comma) {
                    let what = if is_array {
                        "comma or array end"
                    } else {
                        "comma or object end"
                    };
                    return Err(expected(what, &next));
                }
                let first = self.token();
                token = if is_array {
                    first
                } else {
                    self.key(first, &mut open)?
                };
                break;
            }
        }
    }

    /// Stores a complete value in the innermost container (at `depth`); gives back its table
    /// and kind.
    fn store(
        &self,
        container: &mut Open,
        depth: usize,
        value: Value,
    ) -> Result<(Table, bool), Raise> {
        let table: Table = self.tables.raw_get(depth).map_err(lua_failure)?;
        match container {
            Open::Array(next) => {
                table.raw_set(*next, value).map_err(lua_failure)?;
                *next += 1;
                Ok((table, true))
            }
            Open::Object(key) => {
                let key = self
                    .lua
                    .create_string(key.take().unwrap_or_default())
                    .map_err(lua_failure)?;
                table.raw_set(key, value).map_err(lua_failure)?;
                Ok((table, false))
            }
        }
    }

    /// Closes the innermost container.
    fn close(&self, open: &mut Vec<Open>) -> Result<(), Raise> {
        self.tables
            .raw_set(open.len(), Value::Nil)
            .map_err(lua_failure)?;
        open.pop();
        Ok(())
    }

    /// An object entry's key and colon; gives the token its value starts with.
    fn key(&mut self, token: Token, open: &mut [Open]) -> Result<Token, Raise> {
        let Kind::String(key) = token.kind else {
            return Err(expected("object key string", &token));
        };
        let colon = self.token();
        if !matches!(colon.kind, Kind::Colon) {
            return Err(expected("colon", &colon));
        }
        if let Some(Open::Object(pending)) = open.last_mut() {
            *pending = Some(key);
        }
        Ok(self.token())
    }

    /// A value that starts with `token`: a scalar, or `None` after opening a container.
    fn value(&mut self, token: Token, open: &mut Vec<Open>) -> Result<Option<Value>, Raise> {
        let scalar = match token.kind {
            Kind::String(bytes) => {
                Value::String(self.lua.create_string(bytes).map_err(lua_failure)?)
            }
            Kind::Number(n) => Value::Number(n),
            Kind::Boolean(b) => Value::Boolean(b),
            Kind::Null => null(),
            Kind::ArrayBegin | Kind::ObjectBegin => {
                let depth = open.len() as i32 + 1;
                if depth > self.config.decode_max_depth.min(STACK_DEPTH_MAX) {
                    let at = token.at + 1;
                    return Err(Raise::new(format!(
                        "Found too many nested data structures ({depth}) at character {at}"
                    )));
                }
                let table = self.lua.create_table().map_err(lua_failure)?;
                self.tables.raw_set(depth, table).map_err(lua_failure)?;
                open.push(match token.kind {
                    Kind::ArrayBegin => Open::Array(1),
                    _ => Open::Object(None),
                });
                return Ok(None);
            }
            _ => return Err(expected("value", &token)),
        };
        Ok(Some(scalar))
    }

    /// Right after `[` or `{`.
    fn opened(&mut self, open: &mut Vec<Open>) -> Result<Opened, Raise> {
        let token = self.token();
        let is_array = matches!(open.last(), Some(Open::Array(_)));
        let closes = match is_array {
            true => matches!(token.kind, Kind::ArrayEnd),
            false => matches!(token.kind, Kind::ObjectEnd),
        };
        if !closes {
            return Ok(Opened::First(if is_array {
                token
            } else {
                self.key(token, open)?
            }));
        }
        let table: Table = self.tables.raw_get(open.len()).map_err(lua_failure)?;
        self.close(open)?;
        Ok(Opened::Empty(Value::Table(table)))
    }
}

/// The tokenizer.
impl Parser<'_> {
    fn token(&mut self) -> Token {
        while matches!(self.text.get(self.at), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.at += 1;
        }
        let at = self.at;
        let Some(&c) = self.text.get(at) else {
            return Token {
                kind: Kind::End,
                at,
            };
        };
        let single = match c {
            b'{' => Some(Kind::ObjectBegin),
            b'}' => Some(Kind::ObjectEnd),
            b'[' => Some(Kind::ArrayBegin),
            b']' => Some(Kind::ArrayEnd),
            b':' => Some(Kind::Colon),
            b',' => Some(Kind::Comma),
            _ => None,
        };
        if let Some(kind) = single {
            self.at += 1;
            return Token { kind, at };
        }
        match c {
            b'"' => self.string(),
            b'-' | b'0'..=b'9' => self.number(),
            _ => self.word(),
        }
    }

    /// `true`, `false` and `null` (a prefix is enough: what follows is the next token), or
    /// the invalid numbers (`+1`, `inf`) lua-cjson reads when so configured.
    fn word(&mut self) -> Token {
        let rest = &self.text[self.at..];
        let at = self.at;
        let words: [(&[u8], Kind); 3] = [
            (b"true", Kind::Boolean(true)),
            (b"false", Kind::Boolean(false)),
            (b"null", Kind::Null),
        ];
        for (word, kind) in words {
            if rest.starts_with(word) {
                self.at += word.len();
                return Token { kind, at };
            }
        }
        if self.config.decode_invalid_numbers && is_invalid_number(rest) {
            return self.number();
        }
        Token {
            kind: Kind::Error("invalid token"),
            at,
        }
    }

    fn number(&mut self) -> Token {
        let at = self.at;
        let rest = &self.text[at..];
        if !self.config.decode_invalid_numbers && is_invalid_number(rest) {
            return Token {
                kind: Kind::Error("invalid number"),
                at,
            };
        }
        // strtod skips leading white space, which cannot be here: a token starts after it.
        match strtod(rest) {
            Some((n, used)) => {
                self.at += used;
                Token {
                    kind: Kind::Number(n),
                    at,
                }
            }
            None => Token {
                kind: Kind::Error("invalid number"),
                at,
            },
        }
    }

    fn string(&mut self) -> Token {
        let start = self.at;
        let mut out = Vec::new();
        let mut i = start + 1;
        loop {
            let Some(&c) = self.text.get(i) else {
                return Token {
                    kind: Kind::Error("unexpected end of string"),
                    at: i,
                };
            };
            match c {
                b'"' => break,
                b'\\' => match self.escape(i, &mut out) {
                    Some(used) => i += used,
                    None => {
                        return Token {
                            kind: Kind::Error(self.escape_error(i)),
                            at: i,
                        }
                    }
                },
                _ => {
                    out.push(c);
                    i += 1;
                }
            }
        }
        self.at = i + 1;
        Token {
            kind: Kind::String(out),
            at: start,
        }
    }

    fn escape_error(&self, at: usize) -> &'static str {
        match self.text.get(at + 1) {
            Some(b'u') => "invalid unicode escape code",
            _ => "invalid escape code",
        }
    }

    /// The escape at `at` (a backslash) appended as bytes; its length, or `None` if bad.
    fn escape(&self, at: usize, out: &mut Vec<u8>) -> Option<usize> {
        let simple = match self.text.get(at + 1)? {
            b'"' => b'"',
            b'\\' => b'\\',
            b'/' => b'/',
            b'b' => 0x08,
            b'f' => 0x0c,
            b'n' => b'\n',
            b'r' => b'\r',
            b't' => b'\t',
            b'u' => return self.unicode_escape(at, out),
            _ => return None,
        };
        out.push(simple);
        Some(2)
    }

    /// `\uXXXX`, or a surrogate pair `\uD8xx\uDCxx`, appended as UTF-8.
    fn unicode_escape(&self, at: usize, out: &mut Vec<u8>) -> Option<usize> {
        let high = self.hex4(at + 2)?;
        let (code, used) = match high {
            0xDC00..=0xDFFF => return None,
            0xD800..=0xDBFF => {
                if self.text.get(at + 6..at + 8)? != b"\\u" {
                    return None;
                }
                let low = self.hex4(at + 8)?;
                if !(0xDC00..=0xDFFF).contains(&low) {
                    return None;
                }
                (0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00), 12)
            }
            _ => (high, 6),
        };
        let mut buf = [0u8; 4];
        out.extend_from_slice(char::from_u32(code)?.encode_utf8(&mut buf).as_bytes());
        Some(used)
    }

    fn hex4(&self, at: usize) -> Option<u32> {
        let digits = self.text.get(at..at + 4)?;
        digits
            .iter()
            .try_fold(0u32, |acc, &d| Some(acc * 16 + char::from(d).to_digit(16)?))
    }
}

/// `inf` or `nan` at the start, in any case.
fn is_inf_or_nan(rest: &[u8]) -> bool {
    rest.len() >= 3
        && (rest[..3].eq_ignore_ascii_case(b"inf") || rest[..3].eq_ignore_ascii_case(b"nan"))
}

/// The numbers JSON does not allow but strtod reads: a leading plus; after an optional minus,
/// a zero followed by a digit or an `x` (octal-looking or hex); `inf`/`nan`. lua-cjson refuses
/// them, or (decoding invalid numbers) reads them even where no number could start.
fn is_invalid_number(rest: &[u8]) -> bool {
    if rest.first() == Some(&b'+') {
        return true;
    }
    let rest = rest.strip_prefix(b"-").unwrap_or(rest);
    match rest {
        [b'0', next, ..] => next.is_ascii_digit() || matches!(next, b'x' | b'X'),
        [first, ..] if *first <= b'9' => false,
        _ => is_inf_or_nan(rest),
    }
}
