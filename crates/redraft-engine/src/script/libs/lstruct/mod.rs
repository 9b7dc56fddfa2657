//! `struct`: Roberto Ierusalimschy's struct library as redis-server 7.0 bundles it: `pack`,
//! `unpack` and `size` over formats of `<`, `>`, `!n`, `x`, `b B h H l L T i[n] I[n] f d s
//! c[n]`.

use super::args::{to_bytes, to_number, Args};
use super::number::{truncate_to_i64, truncate_to_u64};
use super::{lua_failure, many, one, Lib, Outcome, Raise};
use mlua::{Lua, MultiValue, Table, Value};

/// The alignment `!` alone asks for (the platform's largest).
const DEFAULT_ALIGN: usize = 8;

/// The largest integer option (`i32`).
const INT_SIZE_MAX: usize = 32;

/// Lua 5.1's `LUAI_MAXCSTACK`: lua-struct's `unpack` checks for two free slots of these
/// (arguments included) before each value.
const STACK_SLOTS: usize = 8000;

/// The module table.
pub(crate) fn module(lib: &Lib) -> mlua::Result<Table> {
    lib.table(vec![
        ("pack", lib.function(pack)?),
        ("unpack", lib.function(unpack)?),
        ("size", lib.function(size)?),
    ])
}

/// One format option, with its size in bytes.
#[derive(Clone, Copy, Debug)]
enum Opt {
    /// An integer of `size` bytes.
    Int {
        size: usize,
        signed: bool,
    },
    Float,
    Double,
    /// A padding byte.
    Pad,
    /// A fixed-size string; 0 means "the whole string" (pack) or "the previous value" (unpack).
    Chars(usize),
    /// A zero-terminated string.
    Zstr,
}

impl Opt {
    fn size(self) -> usize {
        match self {
            Opt::Int { size, .. } => size,
            Opt::Float => 4,
            Opt::Double => 8,
            Opt::Pad => 1,
            Opt::Chars(n) => n,
            Opt::Zstr => 0,
        }
    }

    /// Padding before this option at offset `at`: numbers align to the smaller of their size
    /// and the `!` alignment (by lua-struct's mask arithmetic, which a size that is no power
    /// of two leaves approximate); bytes and strings never do.
    fn padding(self, at: usize, align: usize) -> usize {
        let size = self.size();
        if size <= 1 || matches!(self, Opt::Chars(_)) {
            return 0;
        }
        let align = size.min(align);
        let mask = align - 1;
        (align - (at & mask)) & mask
    }
}

/// What the format holds next.
enum Next {
    Opt(Opt),
    /// A character that is no option.
    Unknown(u8),
    End,
}

/// A format being read: the byte order and alignment so far, and the position.
struct Format<'a> {
    text: &'a [u8],
    at: usize,
    little: bool,
    align: usize,
    /// The function whose argument #1 an invalid option is reported against.
    function: &'static str,
}

impl<'a> Format<'a> {
    fn new(text: &'a [u8], function: &'static str) -> Format<'a> {
        Format {
            text,
            at: 0,
            little: true,
            align: 1,
            function,
        }
    }

    /// The next data option, after any control options.
    fn next(&mut self) -> Result<Next, Raise> {
        while let Some(&c) = self.text.get(self.at) {
            self.at += 1;
            let opt = match c {
                b' ' => continue,
                b'<' => {
                    self.little = true;
                    continue;
                }
                b'>' => {
                    self.little = false;
                    continue;
                }
                b'!' => {
                    self.align = self.number(DEFAULT_ALIGN)?;
                    if !self.align.is_power_of_two() {
                        return Err(Raise::new(format!(
                            "alignment {} is not a power of 2",
                            self.align
                        )));
                    }
                    continue;
                }
                b'b' | b'B' => Opt::Int {
                    size: 1,
                    signed: c == b'b',
                },
                b'h' | b'H' => Opt::Int {
                    size: 2,
                    signed: c == b'h',
                },
                b'l' | b'L' | b'T' => Opt::Int {
                    size: 8,
                    signed: c == b'l',
                },
                b'i' | b'I' => Opt::Int {
                    size: self.int_size()?,
                    signed: c == b'i',
                },
                b'f' => Opt::Float,
                b'd' => Opt::Double,
                b'x' => Opt::Pad,
                b'c' => Opt::Chars(self.number(1)?),
                b's' => Opt::Zstr,
                _ => return Ok(Next::Unknown(c)),
            };
            return Ok(Next::Opt(opt));
        }
        Ok(Next::End)
    }

    /// The next data option for pack and unpack, which refuse unknown ones.
    fn option(&mut self) -> Result<Option<Opt>, Raise> {
        match self.next()? {
            Next::Opt(opt) => Ok(Some(opt)),
            Next::End => Ok(None),
            Next::Unknown(c) => {
                let shown = char::from(c);
                Err(Raise::arg(
                    1,
                    self.function,
                    &format!("invalid format option '{shown}'"),
                ))
            }
        }
    }

    fn int_size(&mut self) -> Result<usize, Raise> {
        let size = self.number(4)?;
        if size > INT_SIZE_MAX {
            return Err(Raise::new(format!(
                "integral size {size} is larger than limit of {INT_SIZE_MAX}"
            )));
        }
        Ok(size)
    }

    /// A count after an option, or the default when no digit follows.
    fn number(&mut self, default: usize) -> Result<usize, Raise> {
        if !self.text.get(self.at).is_some_and(u8::is_ascii_digit) {
            return Ok(default);
        }
        let mut n: usize = 0;
        while let Some(&d) = self.text.get(self.at).filter(|d| d.is_ascii_digit()) {
            // lua-struct keeps the count in a C int.
            let digit = usize::from(d - b'0');
            if n > (i32::MAX as usize - digit) / 10 {
                return Err(Raise::new("integral size overflow"));
            }
            n = n * 10 + digit;
            self.at += 1;
        }
        Ok(n)
    }
}

fn pack(lua: &Lua, a: MultiValue) -> Outcome {
    let args = Args::new(&a, "pack");
    let format = args.bytes(1)?;
    let mut format = Format::new(&format, "pack");
    let mut out = Vec::new();
    let mut arg = 2;
    while let Some(opt) = format.option()? {
        out.resize(out.len() + opt.padding(out.len(), format.align), 0);
        match opt {
            Opt::Pad => {
                out.push(0);
                continue;
            }
            Opt::Int { size, .. } => put_int(
                truncate_to_u64(pack_number(&args, arg)?),
                size,
                format.little,
                &mut out,
            ),
            Opt::Float => put_bytes(
                &(pack_number(&args, arg)? as f32).to_le_bytes(),
                format.little,
                &mut out,
            ),
            Opt::Double => put_bytes(
                &pack_number(&args, arg)?.to_le_bytes(),
                format.little,
                &mut out,
            ),
            Opt::Chars(n) => {
                let s = pack_bytes(&args, arg)?;
                let n = if n == 0 { s.len() } else { n };
                // lua-struct reports a short string against the argument after it.
                let chars = s
                    .get(..n)
                    .ok_or_else(|| args.error(arg + 1, "string too short"))?;
                out.extend_from_slice(chars);
            }
            Opt::Zstr => {
                out.extend_from_slice(&pack_bytes(&args, arg)?);
                out.push(0);
            }
        }
        arg += 1;
    }
    one(lua.create_string(out).map_err(lua_failure)?, lua)
}

/// lua-struct reports a missing value as `nil`, not `no value`.
fn pack_number(args: &Args, position: usize) -> Result<f64, Raise> {
    let value = args.get(position);
    to_number(&value).ok_or_else(|| pack_type_error(args, position, "number", &value))
}

fn pack_bytes(args: &Args, position: usize) -> Result<Vec<u8>, Raise> {
    let value = args.get(position);
    to_bytes(&value).ok_or_else(|| pack_type_error(args, position, "string", &value))
}

fn pack_type_error(args: &Args, position: usize, expected: &str, value: &Value) -> Raise {
    let got = super::args::type_name(value);
    args.error(position, &format!("{expected} expected, got {got}"))
}

/// An integer's low `size` bytes (bytes past the eighth are zero).
fn put_int(value: u64, size: usize, little: bool, out: &mut Vec<u8>) {
    let bytes: Vec<u8> = (0..size)
        .map(|i| value.checked_shr(8 * i as u32).unwrap_or(0) as u8)
        .collect();
    put_bytes(&bytes, little, out);
}

/// Little-endian bytes in the format's byte order.
fn put_bytes(le: &[u8], little: bool, out: &mut Vec<u8>) {
    match little {
        true => out.extend_from_slice(le),
        false => out.extend(le.iter().rev()),
    }
}

fn unpack(lua: &Lua, a: MultiValue) -> Outcome {
    let args = Args::new(&a, "unpack");
    let format = args.bytes(1)?;
    let data = args.bytes(2)?;
    let start = truncate_to_i64(args.opt_number(3, 1.0)?);
    if start == 0 {
        return Err(args.error(3, "offset must be 1 or greater"));
    }
    // lua-struct keeps the position unsigned: a negative start is past any data.
    let mut at = (start as u64).wrapping_sub(1);
    let mut format = Format::new(&format, "unpack");
    let results = lua.create_table().map_err(lua_failure)?;
    let mut count = 0usize;
    while let Some(opt) = format.option()? {
        if args.len() + count + 2 > STACK_SLOTS {
            return Err(Raise::new("stack overflow (too many results)"));
        }
        at = at.saturating_add(opt.padding(at as usize, format.align) as u64);
        let value = match opt {
            Opt::Chars(0) => {
                let previous = results.raw_get::<Value>(count).map_err(lua_failure)?;
                let size = to_number(&previous).filter(|_| count > 0);
                let size = size.ok_or_else(|| Raise::new("format 'c0' needs a previous size"))?;
                count -= 1;
                let size = truncate_to_u64(size);
                Value::String(
                    lua.create_string(take(&args, &data, &mut at, size)?)
                        .map_err(lua_failure)?,
                )
            }
            Opt::Zstr => {
                take(&args, &data, &mut at.clone(), 0)?;
                Value::String(
                    lua.create_string(zstr(&data, &mut at)?)
                        .map_err(lua_failure)?,
                )
            }
            Opt::Pad => {
                take(&args, &data, &mut at, 1)?;
                continue;
            }
            _ => read(
                lua,
                opt,
                take(&args, &data, &mut at, opt.size() as u64)?,
                format.little,
            )?,
        };
        count += 1;
        results.raw_set(count, value).map_err(lua_failure)?;
    }
    // The position after the data read, as lua-struct computes it (a signed integer).
    results
        .raw_set(count + 1, at.wrapping_add(1) as i64 as f64)
        .map_err(lua_failure)?;
    many(results, count + 1)
}

/// `size` bytes at the position, or "data string too short".
fn take<'d>(args: &Args, data: &'d [u8], at: &mut u64, size: u64) -> Result<&'d [u8], Raise> {
    let too_short = || args.error(2, "data string too short");
    let start = usize::try_from(*at).map_err(|_| too_short())?;
    let end = start
        .checked_add(usize::try_from(size).map_err(|_| too_short())?)
        .ok_or_else(too_short)?;
    let bytes = data.get(start..end).ok_or_else(too_short)?;
    *at = end as u64;
    Ok(bytes)
}

/// A zero-terminated string at the position (the terminator is consumed, not returned).
fn zstr<'d>(data: &'d [u8], at: &mut u64) -> Result<&'d [u8], Raise> {
    let unfinished = || Raise::new("unfinished string in data");
    let start = usize::try_from(*at).map_err(|_| unfinished())?;
    let rest = data.get(start..).ok_or_else(unfinished)?;
    let len = rest.iter().position(|&b| b == 0).ok_or_else(unfinished)?;
    *at = (start + len + 1) as u64;
    Ok(&rest[..len])
}

/// A number or fixed string from its bytes.
fn read(lua: &Lua, opt: Opt, bytes: &[u8], little: bool) -> Result<Value, Raise> {
    let mut le = bytes.to_vec();
    if !little {
        le.reverse();
    }
    let value = match opt {
        Opt::Int { size, signed } => get_int(&le, size, signed),
        Opt::Float => f64::from(f32::from_le_bytes(le.try_into().unwrap_or_default())),
        Opt::Double => f64::from_le_bytes(le.try_into().unwrap_or_default()),
        _ => {
            return Ok(Value::String(
                lua.create_string(bytes).map_err(lua_failure)?,
            ))
        }
    };
    Ok(Value::Number(value))
}

/// An integer from little-endian bytes, in 64 bits (bytes past the eighth shift out). The sign
/// extension uses lua-struct's mask `~0 << (size*8 - 1)`, whose shift the CPU takes modulo 64:
/// so an `i17` of 0x01 bytes reads as -127, as on redis-server.
fn get_int(le: &[u8], size: usize, signed: bool) -> f64 {
    let value = le
        .iter()
        .rev()
        .fold(0u64, |acc, &b| acc << 8 | u64::from(b));
    if !signed {
        return value as f64;
    }
    let shift = (size as u32).wrapping_mul(8).wrapping_sub(1) & 63;
    let mask = u64::MAX << shift;
    let value = if value & mask != 0 {
        value | mask
    } else {
        value
    };
    value as i64 as f64
}

fn size(lua: &Lua, a: MultiValue) -> Outcome {
    let args = Args::new(&a, "size");
    let format = args.bytes(1)?;
    let mut format = Format::new(&format, "size");
    let mut total: usize = 0;
    loop {
        let opt = match format.next()? {
            Next::Opt(opt) => opt,
            Next::End => break,
            // lua-struct's size passes over letters and digits it does not know.
            Next::Unknown(c) if c.is_ascii_alphanumeric() => continue,
            Next::Unknown(c) => {
                let shown = char::from(c);
                return Err(args.error(1, &format!("invalid format option '{shown}'")));
            }
        };
        if let Opt::Zstr | Opt::Chars(0) = opt {
            let name = if let Opt::Zstr = opt { "s" } else { "c0" };
            return Err(args.error(1, &format!("option '{name}' has no fixed size")));
        }
        total = total
            .saturating_add(opt.padding(total, format.align))
            .saturating_add(opt.size());
    }
    one(total as f64, lua)
}

#[cfg(test)]
mod tests;
