//! A command's reply as a value. Only the node that serves the client encodes it, in RESP2 or
//! RESP3 as the connection negotiated; every replica computes the same value.

use serde::{Deserialize, Serialize};

/// What every command function returns: its reply, or an error reply returned early with `?`
/// (a bad argument, a key of the wrong type). Both are data: the same on every replica.
pub type CmdResult = Result<Reply, Reply>;

const INTERNAL_ERROR: &str = "ERR internal error in";

pub const WRONGTYPE: &str = "WRONGTYPE Operation against a key holding the wrong kind of value";

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Reply {
    /// `+OK`
    Simple(String),
    /// A complete error line without the leading `-`, prefix included: `ERR syntax error`.
    Error(String),
    Integer(i64),
    Bulk(#[serde(with = "crate::entry::byte_string")] Vec<u8>),
    /// The null bulk string (`$-1` in RESP2, `_` in RESP3).
    Nil,
    /// The null array (`*-1` in RESP2, `_` in RESP3).
    NilArray,
    Array(Vec<Reply>),
    /// A RESP3 map; a flat array of key, value, ... in RESP2.
    Map(Vec<(Reply, Reply)>),
    /// A RESP3 set; an array in RESP2.
    Set(Vec<Reply>),
    /// Pairs written flat in RESP2 (`f1 v1 f2 v2`) and as one two-element array per pair in
    /// RESP3 (HRANDFIELD ... WITHVALUES, ZRANGE ... WITHSCORES).
    Pairs(Vec<(Reply, Reply)>),
    /// A RESP3 map; an array of two-element arrays in RESP2 (XREAD's streams).
    PairMap(Vec<(Reply, Reply)>),
    /// A RESP3 double; a bulk string in RESP2.
    Double(f64),
    /// A RESP3 boolean; the integer 1 or 0 in RESP2.
    Bool(bool),
    /// A RESP3 push frame (a pub/sub message, a subscription's confirmation); an array in
    /// RESP2. Only the server sends these, outside any command's reply.
    Push(Vec<Reply>),
    /// A RESP3 big number (`(`); a bulk string in RESP2.
    BigNumber(String),
    /// A RESP3 verbatim string (`=`) of a three-letter format (`txt`); the text alone as a
    /// bulk string in RESP2.
    Verbatim {
        format: String,
        #[serde(with = "crate::entry::byte_string")]
        text: Vec<u8>,
    },
    /// A RESP3 attribute map (`|`); nothing at all in RESP2, so it only ever comes as the
    /// `before` of [`Reply::Preceded`].
    Attribute(Vec<(Reply, Reply)>),
    /// A reply with an out-of-band frame written before it (an attribute, a push): what DEBUG
    /// PROTOCOL attrib and push answer. Only the server builds these.
    Preceded {
        before: Box<Reply>,
        reply: Box<Reply>,
    },
}

impl Reply {
    pub fn ok() -> Reply {
        Reply::Simple("OK".to_string())
    }

    pub fn error(line: impl Into<String>) -> Reply {
        Reply::Error(line.into())
    }

    /// A HELP subcommand's reply, in the shape of Redis's: one status line each.
    pub fn help(lines: &[&str]) -> Reply {
        Reply::Array(
            lines
                .iter()
                .map(|line| Reply::Simple(line.to_string()))
                .collect(),
        )
    }

    /// A count or length as an integer reply.
    pub fn count(n: usize) -> Reply {
        Reply::Integer(i64::try_from(n).unwrap_or(i64::MAX))
    }

    pub fn bulk(bytes: impl Into<Vec<u8>>) -> Reply {
        Reply::Bulk(bytes.into())
    }

    /// The reply to a command on a key that holds another type.
    pub fn wrong_type() -> Reply {
        Reply::error(WRONGTYPE)
    }

    /// The reply to a command that panicked (a bug), the same on every replica.
    pub fn internal_error(command: &str) -> Reply {
        Reply::Error(format!(
            "{INTERNAL_ERROR} '{command}' (a bug; see the server log)"
        ))
    }

    /// Whether this is [`Reply::internal_error`]: the node that answers logs it loudly.
    pub fn is_internal_error(&self) -> bool {
        matches!(self, Reply::Error(line) if line.starts_with(INTERNAL_ERROR))
    }

    pub fn is_error(&self) -> bool {
        matches!(self, Reply::Error(_))
    }
}
