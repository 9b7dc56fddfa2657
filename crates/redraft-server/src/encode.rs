//! Reply encoding: a [`Reply`] value to the bytes Redis would send, in RESP2 or RESP3.
//!
//! Written out here rather than through redis-protocol's frame types because Redis's bytes
//! include shapes those frames cannot express (RESP2's null array `*-1`) and because encoding
//! straight from the reply value saves building a second tree per reply.

use redraft_engine::Reply;

/// The protocol a connection speaks; HELLO switches it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Protocol {
    Resp2,
    Resp3,
}

pub fn encode(reply: &Reply, protocol: Protocol, out: &mut Vec<u8>) {
    match reply {
        Reply::Simple(text) => line(out, b'+', text.as_bytes()),
        Reply::Error(text) => line(out, b'-', sanitize_error(text).as_bytes()),
        Reply::Integer(n) => line(out, b':', n.to_string().as_bytes()),
        Reply::Bulk(bytes) => bulk(out, bytes),
        Reply::Nil => null(out, protocol, b"$-1\r\n"),
        Reply::NilArray => null(out, protocol, b"*-1\r\n"),
        Reply::Array(items) => aggregate(out, b'*', items, protocol),
        Reply::Push(items) => aggregate(out, resp3_or_array(b'>', protocol), items, protocol),
        Reply::Set(items) => aggregate(out, resp3_or_array(b'~', protocol), items, protocol),
        Reply::Map(pairs) => map(out, pairs, protocol),
        Reply::Pairs(pairs) => match protocol {
            Protocol::Resp2 => flat_pairs(out, pairs, protocol),
            Protocol::Resp3 => nested_pairs(out, pairs, protocol),
        },
        Reply::PairMap(pairs) => match protocol {
            Protocol::Resp2 => nested_pairs(out, pairs, protocol),
            Protocol::Resp3 => map(out, pairs, protocol),
        },
        Reply::Double(value) => double(out, *value, protocol),
        Reply::Bool(value) => match protocol {
            Protocol::Resp3 => line(out, b'#', if *value { b"t" } else { b"f" }),
            Protocol::Resp2 => line(out, b':', if *value { b"1" } else { b"0" }),
        },
        Reply::BigNumber(digits) => match protocol {
            Protocol::Resp3 => line(out, b'(', digits.as_bytes()),
            Protocol::Resp2 => bulk(out, digits.as_bytes()),
        },
        Reply::Verbatim { format, text } => verbatim(out, format, text, protocol),
        Reply::Attribute(pairs) => {
            if protocol == Protocol::Resp3 {
                line(out, b'|', pairs.len().to_string().as_bytes());
                for (key, value) in pairs {
                    encode(key, protocol, out);
                    encode(value, protocol, out);
                }
            }
        }
        Reply::Preceded { before, reply } => {
            encode(before, protocol, out);
            encode(reply, protocol, out);
        }
    }
}

/// RESP3's `=<len>\r\n<fmt>:<text>\r\n`; RESP2 has only the text, as a bulk string.
fn verbatim(out: &mut Vec<u8>, format: &str, text: &[u8], protocol: Protocol) {
    if protocol == Protocol::Resp2 {
        return bulk(out, text);
    }
    let len = format.len() + 1 + text.len();
    line(out, b'=', len.to_string().as_bytes());
    out.extend_from_slice(format.as_bytes());
    out.push(b':');
    out.extend_from_slice(text);
    out.extend_from_slice(b"\r\n");
}

/// An aggregate's prefix: RESP3's own (`~` set, `>` push), an array's in RESP2.
fn resp3_or_array(resp3: u8, protocol: Protocol) -> u8 {
    match protocol {
        Protocol::Resp3 => resp3,
        Protocol::Resp2 => b'*',
    }
}

fn line(out: &mut Vec<u8>, prefix: u8, body: &[u8]) {
    out.push(prefix);
    out.extend_from_slice(body);
    out.extend_from_slice(b"\r\n");
}

fn bulk(out: &mut Vec<u8>, bytes: &[u8]) {
    line(out, b'$', bytes.len().to_string().as_bytes());
    out.extend_from_slice(bytes);
    out.extend_from_slice(b"\r\n");
}

fn null(out: &mut Vec<u8>, protocol: Protocol, resp2: &[u8]) {
    match protocol {
        Protocol::Resp3 => out.extend_from_slice(b"_\r\n"),
        Protocol::Resp2 => out.extend_from_slice(resp2),
    }
}

fn aggregate(out: &mut Vec<u8>, prefix: u8, items: &[Reply], protocol: Protocol) {
    line(out, prefix, items.len().to_string().as_bytes());
    for item in items {
        encode(item, protocol, out);
    }
}

fn map(out: &mut Vec<u8>, pairs: &[(Reply, Reply)], protocol: Protocol) {
    match protocol {
        Protocol::Resp3 => line(out, b'%', pairs.len().to_string().as_bytes()),
        Protocol::Resp2 => line(out, b'*', (pairs.len() * 2).to_string().as_bytes()),
    }
    for (key, value) in pairs {
        encode(key, protocol, out);
        encode(value, protocol, out);
    }
}

fn flat_pairs(out: &mut Vec<u8>, pairs: &[(Reply, Reply)], protocol: Protocol) {
    line(out, b'*', (pairs.len() * 2).to_string().as_bytes());
    for (key, value) in pairs {
        encode(key, protocol, out);
        encode(value, protocol, out);
    }
}

fn nested_pairs(out: &mut Vec<u8>, pairs: &[(Reply, Reply)], protocol: Protocol) {
    line(out, b'*', pairs.len().to_string().as_bytes());
    for (key, value) in pairs {
        out.extend_from_slice(b"*2\r\n");
        encode(key, protocol, out);
        encode(value, protocol, out);
    }
}

fn double(out: &mut Vec<u8>, value: f64, protocol: Protocol) {
    let text = format_double(value);
    match protocol {
        Protocol::Resp3 => line(out, b',', text.as_bytes()),
        Protocol::Resp2 => bulk(out, text.as_bytes()),
    }
}

/// A double as Redis 7.0 spells it in replies (C's `%.17g`: `0.10000000000000001`, `1e+20`,
/// `inf`, `-inf`), in both protocols.
pub fn format_double(value: f64) -> String {
    redraft_engine::score::format_g17(value)
}

/// An error line must stay one line: Redis replaces newlines in error text with spaces.
fn sanitize_error(text: &str) -> std::borrow::Cow<'_, str> {
    if text.contains(['\r', '\n']) {
        text.replace(['\r', '\n'], " ").into()
    } else {
        text.into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bytes(reply: &Reply, protocol: Protocol) -> String {
        let mut out = Vec::new();
        encode(reply, protocol, &mut out);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn scalars_match_redis_bytes() {
        assert_eq!(bytes(&Reply::ok(), Protocol::Resp2), "+OK\r\n");
        assert_eq!(bytes(&Reply::error("ERR x"), Protocol::Resp2), "-ERR x\r\n");
        assert_eq!(bytes(&Reply::Integer(-3), Protocol::Resp2), ":-3\r\n");
        assert_eq!(bytes(&Reply::bulk("hi"), Protocol::Resp3), "$2\r\nhi\r\n");
        assert_eq!(bytes(&Reply::Bulk(vec![]), Protocol::Resp2), "$0\r\n\r\n");
    }

    #[test]
    fn nulls_differ_between_resp2_and_resp3() {
        assert_eq!(bytes(&Reply::Nil, Protocol::Resp2), "$-1\r\n");
        assert_eq!(bytes(&Reply::NilArray, Protocol::Resp2), "*-1\r\n");
        assert_eq!(bytes(&Reply::Nil, Protocol::Resp3), "_\r\n");
        assert_eq!(bytes(&Reply::NilArray, Protocol::Resp3), "_\r\n");
    }

    #[test]
    fn maps_sets_doubles_and_bools_degrade_to_resp2_shapes() {
        let map = Reply::Map(vec![(Reply::bulk("a"), Reply::Integer(1))]);
        assert_eq!(bytes(&map, Protocol::Resp3), "%1\r\n$1\r\na\r\n:1\r\n");
        assert_eq!(bytes(&map, Protocol::Resp2), "*2\r\n$1\r\na\r\n:1\r\n");
        let set = Reply::Set(vec![Reply::bulk("x")]);
        assert_eq!(bytes(&set, Protocol::Resp3), "~1\r\n$1\r\nx\r\n");
        assert_eq!(bytes(&set, Protocol::Resp2), "*1\r\n$1\r\nx\r\n");
        assert_eq!(bytes(&Reply::Double(1.5), Protocol::Resp3), ",1.5\r\n");
        assert_eq!(
            bytes(&Reply::Double(f64::INFINITY), Protocol::Resp2),
            "$3\r\ninf\r\n"
        );
        assert_eq!(bytes(&Reply::Bool(true), Protocol::Resp3), "#t\r\n");
        assert_eq!(bytes(&Reply::Bool(false), Protocol::Resp2), ":0\r\n");
    }

    #[test]
    fn pairs_are_flat_in_resp2_and_nested_in_resp3() {
        let pairs = Reply::Pairs(vec![(Reply::bulk("f"), Reply::bulk("v"))]);
        assert_eq!(
            bytes(&pairs, Protocol::Resp2),
            "*2\r\n$1\r\nf\r\n$1\r\nv\r\n"
        );
        assert_eq!(
            bytes(&pairs, Protocol::Resp3),
            "*1\r\n*2\r\n$1\r\nf\r\n$1\r\nv\r\n"
        );
    }

    #[test]
    fn pair_maps_are_nested_arrays_in_resp2_and_maps_in_resp3() {
        let streams = Reply::PairMap(vec![(Reply::bulk("s"), Reply::Array(vec![]))]);
        assert_eq!(
            bytes(&streams, Protocol::Resp2),
            "*1\r\n*2\r\n$1\r\ns\r\n*0\r\n"
        );
        assert_eq!(bytes(&streams, Protocol::Resp3), "%1\r\n$1\r\ns\r\n*0\r\n");
    }

    #[test]
    fn error_text_never_breaks_the_line() {
        assert_eq!(
            bytes(&Reply::error("ERR a\r\nb"), Protocol::Resp2),
            "-ERR a  b\r\n"
        );
    }
}
