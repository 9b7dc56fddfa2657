//! `bit`: LuaBitOp 1.0's 32-bit operations on Lua numbers.

use super::args::Args;
use super::{one, Lib, Outcome};
use mlua::{Lua, MultiValue, Table};

/// The module table.
pub(crate) fn module(lib: &Lib) -> mlua::Result<Table> {
    lib.table(vec![
        (
            "tobit",
            lib.function(|lua, a| unary(lua, &Args::new(&a, "tobit"), |x| x))?,
        ),
        (
            "bnot",
            lib.function(|lua, a| unary(lua, &Args::new(&a, "bnot"), |x| !x))?,
        ),
        (
            "bswap",
            lib.function(|lua, a| unary(lua, &Args::new(&a, "bswap"), i32::swap_bytes))?,
        ),
        (
            "band",
            lib.function(|lua, a| fold(lua, &Args::new(&a, "band"), |x, y| x & y))?,
        ),
        (
            "bor",
            lib.function(|lua, a| fold(lua, &Args::new(&a, "bor"), |x, y| x | y))?,
        ),
        (
            "bxor",
            lib.function(|lua, a| fold(lua, &Args::new(&a, "bxor"), |x, y| x ^ y))?,
        ),
        (
            "lshift",
            shift(lib, "lshift", |x, n| ((x as u32) << n) as i32)?,
        ),
        (
            "rshift",
            shift(lib, "rshift", |x, n| ((x as u32) >> n) as i32)?,
        ),
        ("arshift", shift(lib, "arshift", |x, n| x >> n)?),
        (
            "rol",
            shift(lib, "rol", |x, n| (x as u32).rotate_left(n) as i32)?,
        ),
        (
            "ror",
            shift(lib, "ror", |x, n| (x as u32).rotate_right(n) as i32)?,
        ),
        ("tohex", lib.function(tohex)?),
    ])
}

/// LuaBitOp's normalisation of a double to 32 bits: adding 2^52 + 2^51 puts the integer part,
/// rounded to nearest even, in the low bits of the mantissa; those 32 bits are the result, so
/// anything out of range wraps modulo 2^32 (and NaN and the infinities give 0).
fn tobit(x: f64) -> i32 {
    (x + 6_755_399_441_055_744.0).to_bits() as u32 as i32
}

fn arg(args: &Args, position: usize) -> Result<i32, super::Raise> {
    args.number(position).map(tobit)
}

fn unary(lua: &Lua, args: &Args, op: fn(i32) -> i32) -> Outcome {
    one(f64::from(op(arg(args, 1)?)), lua)
}

/// band, bor, bxor: one argument at least, any number more.
fn fold(lua: &Lua, args: &Args, op: fn(i32, i32) -> i32) -> Outcome {
    let mut acc = arg(args, 1)?;
    for position in 2..=args.len() {
        acc = op(acc, arg(args, position)?);
    }
    one(f64::from(acc), lua)
}

/// The shifts and rotations use the count's low five bits.
fn shift(lib: &Lib, name: &'static str, op: fn(i32, u32) -> i32) -> mlua::Result<mlua::Function> {
    lib.function(move |lua, a: MultiValue| {
        let args = Args::new(&a, name);
        let x = arg(&args, 1)?;
        let n = arg(&args, 2)? as u32 & 31;
        one(f64::from(op(x, n)), lua)
    })
}

/// `tohex(x [, n])`: the low |n| hex digits (at most 8), upper case when n is negative.
fn tohex(lua: &Lua, a: MultiValue) -> Outcome {
    let args = Args::new(&a, "tohex");
    let x = arg(&args, 1)? as u32;
    let n = tobit(args.opt_number(2, 8.0)?);
    let digits = n.unsigned_abs().min(8) as usize;
    let text = match n < 0 {
        true => format!("{x:08X}"),
        false => format!("{x:08x}"),
    };
    one(
        lua.create_string(&text[8 - digits..])
            .map_err(super::lua_failure)?,
        lua,
    )
}

#[cfg(test)]
mod tests {
    use super::super::testing::check_cases;

    #[test]
    fn bit_matches_redis() {
        check_cases(CASES);
    }

    // Recorded from redis-server 7.0 by EVAL: each case's `pcall` results, shown by the
    // prelude in testing.rs.
    const CASES: &[(&str, &str)] = &[
        (r#"bit.tobit(0xffffffff)"#, r#"true -1"#),
        (r#"bit.tobit(0xffffffff + 1)"#, r#"true 0"#),
        (r#"bit.tobit(2^40 + 1234)"#, r#"true 1234"#),
        (r#"bit.tobit(-1)"#, r#"true -1"#),
        (r#"bit.tobit(1.5)"#, r#"true 2"#),
        (r#"bit.tobit(2.5)"#, r#"true 2"#),
        (r#"bit.tobit(-1.5)"#, r#"true -2"#),
        (r#"bit.tobit(-2.5)"#, r#"true -2"#),
        (r#"bit.tobit(0.49999)"#, r#"true 0"#),
        (r#"bit.tobit(1e300)"#, r#"true -2013235812"#),
        (r#"bit.tobit(-1e300)"#, r#"true -2013235812"#),
        (r#"bit.tobit(1/0)"#, r#"true 0"#),
        (r#"bit.tobit(-1/0)"#, r#"true 0"#),
        (r#"bit.tobit(0/0)"#, r#"true 0"#),
        (r#"bit.tobit(2^52 + 2^31)"#, r#"true 1073741824"#),
        (r#"bit.tobit(2^53 + 3)"#, r#"true 2"#),
        (r#"bit.tobit("12")"#, r#"true 12"#),
        (r#"bit.tobit("0x10")"#, r#"true 16"#),
        (r#"bit.tobit(" 7 ")"#, r#"true 7"#),
        (
            r#"bit.tobit("abc")"#,
            r#"false "user_script:26: bad argument #1 to 'tobit' (number expected, got string)""#,
        ),
        (
            r#"bit.tobit()"#,
            r#"false "user_script:26: bad argument #1 to 'tobit' (number expected, got no value)""#,
        ),
        (
            r#"bit.tobit(nil)"#,
            r#"false "user_script:26: bad argument #1 to 'tobit' (number expected, got nil)""#,
        ),
        (
            r#"bit.tobit({})"#,
            r#"false "user_script:26: bad argument #1 to 'tobit' (number expected, got table)""#,
        ),
        (
            r#"bit.tobit(true)"#,
            r#"false "user_script:26: bad argument #1 to 'tobit' (number expected, got boolean)""#,
        ),
        (r#"bit.tohex(1)"#, r#"true "00000001""#),
        (r#"bit.tohex(65535)"#, r#"true "0000ffff""#),
        (r#"bit.tohex(-1)"#, r#"true "ffffffff""#),
        (r#"bit.tohex(-1, 2)"#, r#"true "ff""#),
        (r#"bit.tohex(-1, -2)"#, r#"true "FF""#),
        (r#"bit.tohex(0x12345678, 3)"#, r#"true "678""#),
        (r#"bit.tohex(0x12345678, -3)"#, r#"true "678""#),
        (r#"bit.tohex(0x12345678, 0)"#, r#"true """#),
        (r#"bit.tohex(0x12345678, 9)"#, r#"true "12345678""#),
        (r#"bit.tohex(0x12345678, -9)"#, r#"true "12345678""#),
        (r#"bit.tohex(0x12345678, 100)"#, r#"true "12345678""#),
        (r#"bit.tohex(0x12345678, -2^31)"#, r#"true "12345678""#),
        (r#"bit.tohex(0x12345678, 2^31)"#, r#"true "12345678""#),
        (r#"bit.tohex(0x12345678, 2^32 + 4)"#, r#"true "5678""#),
        (r#"bit.tohex(255, 1.5)"#, r#"true "ff""#),
        (
            r#"bit.tohex(255, "x")"#,
            r#"false "user_script:26: bad argument #2 to 'tohex' (number expected, got string)""#,
        ),
        (r#"bit.tohex(2^33 + 10)"#, r#"true "0000000a""#),
        (r#"bit.bnot(0)"#, r#"true -1"#),
        (r#"bit.bnot(5)"#, r#"true -6"#),
        (r#"bit.bnot(-1.5)"#, r#"true 1"#),
        (
            r#"bit.band()"#,
            r#"false "user_script:26: bad argument #1 to 'band' (number expected, got no value)""#,
        ),
        (r#"bit.band(7)"#, r#"true 7"#),
        (r#"bit.band(0xff, 0x0f)"#, r#"true 15"#),
        (r#"bit.band(0xff, 0x0f, 0x3)"#, r#"true 3"#),
        (r#"bit.band(-1, 2^32 + 5)"#, r#"true 5"#),
        (r#"bit.bor(1, 2, 4, 8, 16)"#, r#"true 31"#),
        (r#"bit.bxor(0xff, 0x0f, 1)"#, r#"true 241"#),
        (
            r#"bit.bor(1, "x")"#,
            r#"false "user_script:26: bad argument #2 to 'bor' (number expected, got string)""#,
        ),
        (
            r#"bit.bxor(1, 2, nil)"#,
            r#"false "user_script:26: bad argument #3 to 'bxor' (number expected, got nil)""#,
        ),
        (r#"bit.lshift(1, 0)"#, r#"true 1"#),
        (r#"bit.lshift(1, 31)"#, r#"true -2147483648"#),
        (r#"bit.lshift(1, 32)"#, r#"true 1"#),
        (r#"bit.lshift(1, 33)"#, r#"true 2"#),
        (r#"bit.lshift(1, -1)"#, r#"true -2147483648"#),
        (r#"bit.lshift(3, 30)"#, r#"true -1073741824"#),
        (r#"bit.rshift(-1, 1)"#, r#"true 2147483647"#),
        (r#"bit.rshift(-1, 28)"#, r#"true 15"#),
        (r#"bit.rshift(256, 36)"#, r#"true 16"#),
        (r#"bit.arshift(-256, 4)"#, r#"true -16"#),
        (r#"bit.arshift(-1, 31)"#, r#"true -1"#),
        (r#"bit.arshift(0x80000000, 8)"#, r#"true -8388608"#),
        (r#"bit.rol(0x12345678, 8)"#, r#"true 878082066"#),
        (r#"bit.rol(0x12345678, 40)"#, r#"true 878082066"#),
        (r#"bit.ror(0x12345678, 8)"#, r#"true 2014458966"#),
        (r#"bit.ror(0x12345678, -8)"#, r#"true 878082066"#),
        (r#"bit.rol(1, 0)"#, r#"true 1"#),
        (r#"bit.bswap(0x12345678)"#, r#"true 2018915346"#),
        (r#"bit.bswap(-1)"#, r#"true -1"#),
        (r#"bit.bswap(0xff)"#, r#"true -16777216"#),
        (
            r#"bit.lshift(1)"#,
            r#"false "user_script:26: bad argument #2 to 'lshift' (number expected, got no value)""#,
        ),
        (
            r#"bit.lshift()"#,
            r#"false "user_script:26: bad argument #1 to 'lshift' (number expected, got no value)""#,
        ),
        (
            r#"bit.rshift(1, "x")"#,
            r#"false "user_script:26: bad argument #2 to 'rshift' (number expected, got string)""#,
        ),
        (
            r#"bit.bswap()"#,
            r#"false "user_script:26: bad argument #1 to 'bswap' (number expected, got no value)""#,
        ),
        (
            r#"bit.tohex()"#,
            r#"false "user_script:26: bad argument #1 to 'tohex' (number expected, got no value)""#,
        ),
        (r#"bit.band(1.5, 3)"#, r#"true 2"#),
        (r#"bit.band(0.5, 1)"#, r#"true 0"#),
        (r#"bit.bor(2^31, 0)"#, r#"true -2147483648"#),
        (r#"bit.bor(-2^31 - 1, 0)"#, r#"true 2147483647"#),
        (r#"bit.tobit(-2^31)"#, r#"true -2147483648"#),
        (r#"bit.tobit(2147483647.5)"#, r#"true -2147483648"#),
        (r#"bit.tobit(2147483648.5)"#, r#"true -2147483648"#),
        (r#"bit.tobit(4294967295.5)"#, r#"true 0"#),
        (r#"bit.tobit(-0.5)"#, r#"true 0"#),
        (r#"bit.tobit(2^63)"#, r#"true 0"#),
        (r#"bit.tobit(2^64 + 2^33)"#, r#"true 2097152"#),
        (r#"bit.tobit(-2^63)"#, r#"true 0"#),
        (r#"bit.tobit(1e16 + 7)"#, r#"true 937459716"#),
    ];
}
