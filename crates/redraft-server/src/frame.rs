//! Request framing: the bytes a client sends, cut into commands.
//!
//! Two phases, as in mini-redis: [`scan`] checks that the buffer holds one whole request and
//! that it keeps within the limits (argument count, bulk length, line length) before anything
//! is allocated for it; then redis-protocol parses the checked bytes. redis-protocol does not
//! parse inline commands (`PING\r\n`, as telnet users type them), so those are split here.

use bytes::{Buf, BytesMut};
use redis_protocol::resp2::decode::decode_range;
use redis_protocol::resp2::types::RangeFrame;

use redraft_engine::Argv;

/// What a client may send, bounded.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Largest bulk string in a request (Redis's proto-max-bulk-len).
    pub max_bulk_bytes: usize,
    /// Most arguments in one command, name included.
    pub max_args: usize,
    /// Longest inline command or RESP header line.
    pub max_inline_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_bulk_bytes: 512 * 1024 * 1024,
            max_args: 1024 * 1024,
            max_inline_bytes: 64 * 1024,
        }
    }
}

/// A malformed request. The connection answers `-ERR Protocol error: <message>` and closes,
/// as Redis does.
#[derive(Debug, PartialEq, thiserror::Error)]
#[error("Protocol error: {0}")]
pub struct ProtocolError(pub String);

fn protocol_error(message: impl Into<String>) -> ProtocolError {
    ProtocolError(message.into())
}

/// Cuts one connection's input into commands. It remembers how far a partial multibulk
/// request has been checked, so a request arriving over many reads is scanned once, not once
/// per read (a million small arguments would otherwise cost a quadratic rescan).
#[derive(Debug)]
pub struct Decoder {
    limits: Limits,
    partial: Option<Progress>,
}

/// How far the multibulk request at the start of the buffer has been checked.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Progress {
    /// Where the next unchecked argument starts.
    pos: usize,
    /// Arguments not yet checked.
    args_left: i64,
}

/// What [`scan`] found: a whole request of this many bytes, or where it stopped for more.
enum Scan {
    Whole(usize),
    Partial(Option<Progress>),
}

impl Decoder {
    /// Changes the largest bulk string accepted from the next request on (CONFIG SET
    /// proto-max-bulk-len).
    pub fn set_max_bulk_bytes(&mut self, bytes: usize) {
        self.limits.max_bulk_bytes = bytes;
    }

    pub fn new(limits: Limits) -> Decoder {
        Decoder {
            limits,
            partial: None,
        }
    }

    /// Takes the next whole command off the front of `buf`. `Ok(None)` means more bytes are
    /// needed; `buf` must then keep its contents and only grow until the next call. Empty
    /// requests (`*0`, `*-1`, blank inline lines) are consumed and skipped, as Redis does.
    pub fn next_command(&mut self, buf: &mut BytesMut) -> Result<Option<Argv>, ProtocolError> {
        loop {
            if buf.is_empty() {
                return Ok(None);
            }
            let parsed = if buf[0] == b'*' {
                self.next_multibulk(buf)?
            } else {
                next_inline(buf, &self.limits)?
            };
            match parsed {
                None => return Ok(None),
                Some(argv) if argv.is_empty() => continue,
                Some(argv) => return Ok(Some(argv)),
            }
        }
    }

    fn next_multibulk(&mut self, buf: &mut BytesMut) -> Result<Option<Argv>, ProtocolError> {
        let scanned = scan(buf, &self.limits, self.partial.take())?;
        let len = match scanned {
            Scan::Whole(len) => len,
            Scan::Partial(progress) => {
                self.partial = progress;
                return Ok(None);
            }
        };
        // A count of zero or less is a request of nothing, skipped as Redis skips it (the
        // parser below knows only -1, as a null).
        if matches!(header(buf, 0, &self.limits)?, Some((count, _)) if count <= 0) {
            buf.advance(len);
            return Ok(Some(Vec::new()));
        }
        let frame = match decode_range(&buf[..len]) {
            Ok(Some((frame, used))) if used == len => frame,
            Ok(_) => return Err(protocol_error("invalid multibulk request")),
            Err(err) => return Err(protocol_error(err.details().to_string())),
        };
        let argv = match frame {
            RangeFrame::Array(items) => items
                .iter()
                .map(|item| match item {
                    RangeFrame::BulkString((start, end)) => Ok(buf[*start..*end].to_vec()),
                    _ => Err(protocol_error("expected bulk strings in a request")),
                })
                .collect::<Result<Argv, _>>()?,
            RangeFrame::Null => Vec::new(),
            _ => return Err(protocol_error("expected an array of bulk strings")),
        };
        buf.advance(len);
        Ok(Some(argv))
    }
}

/// Checks one multibulk request at the start of `buf` against the limits without copying it,
/// from where an earlier call stopped (`resume`); its length in bytes once it is all there.
fn scan(buf: &[u8], limits: &Limits, resume: Option<Progress>) -> Result<Scan, ProtocolError> {
    let mut progress = match resume {
        Some(progress) => progress,
        None => {
            let Some((count, pos)) = header(buf, 0, limits)? else {
                return Ok(Scan::Partial(None));
            };
            if count > limits.max_args as i64 {
                return Err(protocol_error("invalid multibulk length"));
            }
            Progress {
                pos,
                args_left: count.max(0),
            }
        }
    };
    while progress.args_left > 0 {
        match check_bulk(buf, progress.pos, limits)? {
            Some(next) => progress.pos = next,
            None => return Ok(Scan::Partial(Some(progress))),
        }
        progress.args_left -= 1;
    }
    Ok(Scan::Whole(progress.pos))
}

/// Checks the bulk string at `pos`; where the next one starts, once this one is all there.
fn check_bulk(buf: &[u8], pos: usize, limits: &Limits) -> Result<Option<usize>, ProtocolError> {
    match buf.get(pos) {
        None => return Ok(None),
        Some(b'$') => {}
        Some(other) => {
            return Err(protocol_error(format!(
                "expected '$', got '{}'",
                char::from(*other)
            )))
        }
    }
    let Some((len, body)) = header(buf, pos, limits)? else {
        return Ok(None);
    };
    if len < 0 || len as u64 > limits.max_bulk_bytes as u64 {
        return Err(protocol_error("invalid bulk length"));
    }
    let end = body + len as usize;
    if buf.len() < end + 2 {
        return Ok(None);
    }
    if &buf[end..end + 2] != b"\r\n" {
        return Err(protocol_error("invalid bulk string terminator"));
    }
    Ok(Some(end + 2))
}

/// Parses the `<type><integer>\r\n` header line at `pos`: the integer and where the line ends.
fn header(buf: &[u8], pos: usize, limits: &Limits) -> Result<Option<(i64, usize)>, ProtocolError> {
    let rest = &buf[pos..];
    let Some(newline) = rest
        .iter()
        .take(limits.max_inline_bytes)
        .position(|b| *b == b'\r')
    else {
        if rest.len() >= limits.max_inline_bytes {
            return Err(protocol_error("too big mbulk count string"));
        }
        return Ok(None);
    };
    if rest.len() < newline + 2 {
        return Ok(None);
    }
    let kind = if rest[0] == b'*' { "multibulk" } else { "bulk" };
    // Digits with an optional minus, as Redis reads them (Rust would also take a plus).
    let digits = std::str::from_utf8(&rest[1..newline])
        .ok()
        .filter(|d| !d.starts_with('+'));
    let Some(value) = digits.and_then(|d| d.parse::<i64>().ok()) else {
        return Err(protocol_error(format!("invalid {kind} length")));
    };
    Ok(Some((value, pos + newline + 2)))
}

fn next_inline(buf: &mut BytesMut, limits: &Limits) -> Result<Option<Argv>, ProtocolError> {
    let Some(newline) = buf.iter().position(|b| *b == b'\n') else {
        if buf.len() > limits.max_inline_bytes {
            return Err(protocol_error("too big inline request"));
        }
        return Ok(None);
    };
    if newline > limits.max_inline_bytes {
        return Err(protocol_error("too big inline request"));
    }
    let line = buf.split_to(newline + 1);
    let line = line.strip_suffix(b"\n").unwrap_or(&line);
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    let argv = split_inline(line)?;
    if argv.len() > limits.max_args {
        return Err(protocol_error("invalid multibulk length"));
    }
    Ok(Some(argv))
}

/// Splits an inline command into words; "double" and 'single' quotes group words, and double
/// quotes understand \n \r \t \b \a \\ \" and \xHH escapes, as redis-cli and Redis do.
pub fn split_inline(line: &[u8]) -> Result<Argv, ProtocolError> {
    let mut words = Vec::new();
    let mut rest = line;
    loop {
        rest = trim_start(rest);
        if rest.is_empty() {
            return Ok(words);
        }
        let (word, after) = match rest[0] {
            b'"' => double_quoted(&rest[1..])?,
            b'\'' => single_quoted(&rest[1..])?,
            _ => {
                let end = rest
                    .iter()
                    .position(|b| b.is_ascii_whitespace())
                    .unwrap_or(rest.len());
                (rest[..end].to_vec(), &rest[end..])
            }
        };
        words.push(word);
        rest = after;
    }
}

fn trim_start(bytes: &[u8]) -> &[u8] {
    let start = bytes
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(bytes.len());
    &bytes[start..]
}

fn unbalanced() -> ProtocolError {
    protocol_error("unbalanced quotes in request")
}

/// A closing quote must be followed by a space or the end of the line.
fn after_closing_quote(rest: &[u8]) -> Result<&[u8], ProtocolError> {
    match rest.first() {
        None => Ok(rest),
        Some(b) if b.is_ascii_whitespace() => Ok(rest),
        Some(_) => Err(unbalanced()),
    }
}

fn double_quoted(mut rest: &[u8]) -> Result<(Vec<u8>, &[u8]), ProtocolError> {
    let mut word = Vec::new();
    loop {
        match rest {
            [] => return Err(unbalanced()),
            [b'"', tail @ ..] => return Ok((word, after_closing_quote(tail)?)),
            [b'\\', b'x', h, l, tail @ ..] if hex(*h).is_some() && hex(*l).is_some() => {
                word.push(hex(*h).unwrap_or(0) * 16 + hex(*l).unwrap_or(0));
                rest = tail;
            }
            [b'\\', c, tail @ ..] => {
                word.push(match c {
                    b'n' => b'\n',
                    b'r' => b'\r',
                    b't' => b'\t',
                    b'b' => 8,
                    b'a' => 7,
                    other => *other,
                });
                rest = tail;
            }
            [c, tail @ ..] => {
                word.push(*c);
                rest = tail;
            }
        }
    }
}

fn single_quoted(mut rest: &[u8]) -> Result<(Vec<u8>, &[u8]), ProtocolError> {
    let mut word = Vec::new();
    loop {
        match rest {
            [] => return Err(unbalanced()),
            [b'\\', b'\'', tail @ ..] => {
                word.push(b'\'');
                rest = tail;
            }
            [b'\'', tail @ ..] => return Ok((word, after_closing_quote(tail)?)),
            [c, tail @ ..] => {
                word.push(*c);
                rest = tail;
            }
        }
    }
}

fn hex(c: u8) -> Option<u8> {
    (c as char).to_digit(16).map(|d| d as u8)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_all(input: &[u8]) -> Result<Vec<Argv>, ProtocolError> {
        let mut buf = BytesMut::from(input);
        let mut decoder = Decoder::new(Limits::default());
        let mut out = Vec::new();
        while let Some(argv) = decoder.next_command(&mut buf)? {
            out.push(argv);
        }
        Ok(out)
    }

    fn next_command(buf: &mut BytesMut, limits: &Limits) -> Result<Option<Argv>, ProtocolError> {
        Decoder::new(*limits).next_command(buf)
    }

    #[test]
    fn a_request_split_anywhere_parses_the_same() {
        let input = b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$5\r\nva\r\nl\r\n*1\r\n$4\r\nPING\r\n";
        let expected = vec![
            vec![b"SET".to_vec(), b"k".to_vec(), b"va\r\nl".to_vec()],
            argv(&["PING"]),
        ];
        for first in 0..input.len() {
            for second in first..input.len() {
                let mut decoder = Decoder::new(Limits::default());
                let mut buf = BytesMut::new();
                let mut out = Vec::new();
                for part in [&input[..first], &input[first..second], &input[second..]] {
                    buf.extend_from_slice(part);
                    while let Some(argv) = decoder.next_command(&mut buf).unwrap() {
                        out.push(argv);
                    }
                }
                assert_eq!(out, expected, "split at {first} and {second}");
                assert!(buf.is_empty());
            }
        }
    }

    #[test]
    fn a_partial_request_is_resumed_where_its_check_stopped() {
        let mut decoder = Decoder::new(Limits::default());
        let mut buf = BytesMut::from(&b"*3\r\n$3\r\nDEL\r\n$1\r\na\r\n$1"[..]);
        assert_eq!(decoder.next_command(&mut buf), Ok(None));
        // The two whole arguments are not checked again: the scan resumes at the third.
        assert_eq!(
            decoder.partial,
            Some(Progress {
                pos: 20,
                args_left: 1
            })
        );
        buf.extend_from_slice(b"\r\nb\r\n");
        assert_eq!(
            decoder.next_command(&mut buf),
            Ok(Some(argv(&["DEL", "a", "b"])))
        );
        assert_eq!(decoder.partial, None);
    }

    fn argv(words: &[&str]) -> Argv {
        words.iter().map(|w| w.as_bytes().to_vec()).collect()
    }

    #[test]
    fn multibulk_requests_are_parsed_in_order_and_partial_ones_wait() {
        let input = b"*1\r\n$4\r\nPING\r\n*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$0\r\n\r\n*2\r\n$3\r\nGET";
        let mut buf = BytesMut::from(&input[..]);
        let limits = Limits::default();
        assert_eq!(next_command(&mut buf, &limits), Ok(Some(argv(&["PING"]))));
        assert_eq!(
            next_command(&mut buf, &limits),
            Ok(Some(argv(&["SET", "k", ""])))
        );
        assert_eq!(next_command(&mut buf, &limits), Ok(None));
        buf.extend_from_slice(b"\r\n$1\r\nk\r\n");
        assert_eq!(
            next_command(&mut buf, &limits),
            Ok(Some(argv(&["GET", "k"])))
        );
        assert!(buf.is_empty());
    }

    #[test]
    fn inline_commands_split_on_spaces_and_understand_quotes() {
        assert_eq!(parse_all(b"PING\r\n").unwrap(), vec![argv(&["PING"])]);
        assert_eq!(
            parse_all(b"set  k \"a b\\x41\\n\" 'it\\'s'\n").unwrap(),
            vec![vec![
                b"set".to_vec(),
                b"k".to_vec(),
                b"a bA\n".to_vec(),
                b"it's".to_vec()
            ]]
        );
        assert_eq!(parse_all(b"\r\n\r\nPING\n").unwrap(), vec![argv(&["PING"])]);
        assert_eq!(
            parse_all(b"SET k \"abc\n"),
            Err(protocol_error("unbalanced quotes in request"))
        );
    }

    #[test]
    fn malformed_requests_get_redis_protocol_errors() {
        assert_eq!(
            parse_all(b"*1\r\n$x\r\n"),
            Err(protocol_error("invalid bulk length"))
        );
        assert_eq!(
            parse_all(b"*x\r\n"),
            Err(protocol_error("invalid multibulk length"))
        );
        assert_eq!(
            parse_all(b"*1\r\n+OK\r\n"),
            Err(protocol_error("expected '$', got '+'"))
        );
        assert_eq!(
            parse_all(b"*1\r\n$-5\r\n"),
            Err(protocol_error("invalid bulk length"))
        );
    }

    #[test]
    fn limits_are_enforced_before_the_payload_arrives() {
        let limits = Limits {
            max_bulk_bytes: 10,
            max_args: 3,
            max_inline_bytes: 16,
        };
        let mut big_bulk = BytesMut::from(&b"*1\r\n$11\r\n"[..]);
        assert_eq!(
            next_command(&mut big_bulk, &limits),
            Err(protocol_error("invalid bulk length"))
        );
        let mut many_args = BytesMut::from(&b"*4\r\n"[..]);
        assert_eq!(
            next_command(&mut many_args, &limits),
            Err(protocol_error("invalid multibulk length"))
        );
        let mut long_inline = BytesMut::from(&b"PING aaaaaaaaaaaaaaaaaaaaaaaaa"[..]);
        assert_eq!(
            next_command(&mut long_inline, &limits),
            Err(protocol_error("too big inline request"))
        );
    }

    #[test]
    fn empty_multibulk_is_skipped() {
        assert_eq!(
            parse_all(b"*0\r\n*-1\r\n*-5\r\n*1\r\n$4\r\nPING\r\n").unwrap(),
            vec![argv(&["PING"])]
        );
    }

    #[test]
    fn a_plus_sign_is_not_a_length() {
        let error = |input: &[u8]| parse_all(input).unwrap_err().0;
        assert_eq!(error(b"*+1\r\n$4\r\nPING\r\n"), "invalid multibulk length");
        assert_eq!(error(b"*1\r\n$+4\r\nPING\r\n"), "invalid bulk length");
    }
}
