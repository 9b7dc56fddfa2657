//! What LMPOP and ZMPOP share (and, later, BLMPOP and BZMPOP from their numkeys on): the
//! arguments `numkeys key [key ...] <where> [COUNT count]`, with the type's own `<where>`.

use crate::args::{positive, Args};
use crate::reply::Reply;

/// The parsed arguments of an MPOP: the keys, where to pop from, and how many.
pub struct MpopArgs<'a, Where> {
    pub keys: &'a [Vec<u8>],
    pub from: Where,
    pub count: usize,
}

/// Parses `args` (from numkeys on), reading `<where>` with `parse_where`.
pub fn parse<Where>(
    args: &[Vec<u8>],
    parse_where: fn(&[u8]) -> Result<Where, Reply>,
) -> Result<MpopArgs<'_, Where>, Reply> {
    let mut args = Args::new(args, 0);
    let numkeys = positive(args.bytes()?, "ERR numkeys should be greater than 0")?;
    if numkeys >= args.remaining() {
        return Err(crate::args::syntax_error());
    }
    let keys = args.take(numkeys)?;
    let from = parse_where(args.bytes()?)?;
    let mut count = None;
    while !args.is_empty() {
        if count.is_some() || !args.eat("COUNT") || args.is_empty() {
            return Err(crate::args::syntax_error());
        }
        count = Some(positive(
            args.bytes()?,
            "ERR count should be greater than 0",
        )?);
    }
    Ok(MpopArgs {
        keys,
        from,
        count: count.unwrap_or(1),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::args::syntax_error;
    use crate::testutil::c;

    fn side(arg: &[u8]) -> Result<bool, Reply> {
        match arg {
            b"L" => Ok(true),
            b"R" => Ok(false),
            _ => Err(syntax_error()),
        }
    }

    #[test]
    fn mpop_arguments_parse_like_redis() {
        let argv = c("2 a b L COUNT 3");
        let parsed = parse(&argv, side).unwrap();
        assert_eq!((parsed.keys.len(), parsed.from, parsed.count), (2, true, 3));
        assert_eq!(parse(&c("1 a R"), side).map(|p| p.count).ok(), Some(1));
        let numkeys = Reply::error("ERR numkeys should be greater than 0");
        assert_eq!(parse(&c("0 a L"), side).err(), Some(numkeys.clone()));
        assert_eq!(parse(&c("x a L"), side).err(), Some(numkeys));
        for bad in [
            "2 a L",
            "1 a X",
            "1 a L COUNT",
            "1 a L COUNT 1 COUNT 1",
            "1 a L x 1",
        ] {
            assert_eq!(parse(&c(bad), side).err(), Some(syntax_error()), "{bad}");
        }
        let count = Reply::error("ERR count should be greater than 0");
        assert_eq!(parse(&c("1 a L COUNT 0"), side).err(), Some(count));
    }
}
