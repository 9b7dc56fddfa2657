//! FUNCTION DUMP's payload, as redis-server 7.0 writes it: for each library the opcode
//! FUNCTION2 (245) and its code as an RDB string (LZF-compressed when that saves room), then
//! DUMP's footer (the RDB version and the CRC-64). Libraries go in the order of their names.

use super::library::Libraries;
use crate::dump::codec::{put_string, Input};
use crate::dump::{seal, verify, BAD_FORMAT, CHECKSUM_ERROR};
use crate::reply::Reply;

/// rdb.h's RDB_OPCODE_FUNCTION2: a library saved as its code alone.
const OPCODE_FUNCTION: u8 = 245;

pub fn dump(libraries: &Libraries) -> Vec<u8> {
    let mut out = Vec::new();
    for (_, library) in libraries.iter() {
        out.push(OPCODE_FUNCTION);
        put_string(&mut out, &library.code);
    }
    seal(&mut out);
    out
}

/// The code of each library a payload holds, in its order; Redis's error for a payload whose
/// footer is wrong or that holds something else than libraries.
pub fn codes(payload: &[u8]) -> Result<Vec<Vec<u8>>, Reply> {
    let body = verify(payload).map_err(|_| Reply::error(CHECKSUM_ERROR))?;
    let mut input = Input::new(body);
    let mut codes = Vec::new();
    while input.remaining() > 0 {
        if input.u8() != Ok(OPCODE_FUNCTION) {
            return Err(Reply::error("ERR given type is not a function"));
        }
        codes.push(input.string().map_err(|_| Reply::error(BAD_FORMAT))?);
    }
    Ok(codes)
}
