//! String commands.

use crate::engine::{ReadCtx, WriteCtx};
use crate::keyspace::{Entry, Value};
use crate::reply::Reply;

pub const WRONGTYPE: &str = "WRONGTYPE Operation against a key holding the wrong kind of value";

pub fn get(ctx: &ReadCtx, argv: &[Vec<u8>]) -> Reply {
    match ctx.db().get(&argv[1], ctx.now_ms) {
        None => Reply::Nil,
        Some(Entry {
            value: Value::String(bytes),
            ..
        }) => Reply::bulk(bytes.clone()),
    }
}

pub fn set(ctx: &mut WriteCtx, argv: &[Vec<u8>]) -> Reply {
    // Options come with the full string issue; plain SET key value for now.
    if argv.len() != 3 {
        return Reply::error("ERR syntax error");
    }
    ctx.db().insert(
        &argv[1],
        Entry {
            value: Value::String(argv[2].clone()),
            expires_at_ms: None,
        },
    );
    Reply::ok()
}

pub fn append(ctx: &mut WriteCtx, argv: &[Vec<u8>]) -> Reply {
    let now = ctx.now_ms;
    match ctx.db().get_mut(&argv[1], now) {
        Some(Entry {
            value: Value::String(bytes),
            ..
        }) => {
            bytes.extend_from_slice(&argv[2]);
            Reply::Integer(bytes.len() as i64)
        }
        None => {
            let len = argv[2].len() as i64;
            ctx.db().insert(
                &argv[1],
                Entry {
                    value: Value::String(argv[2].clone()),
                    expires_at_ms: None,
                },
            );
            Reply::Integer(len)
        }
    }
}
