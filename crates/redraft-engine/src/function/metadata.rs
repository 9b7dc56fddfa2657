//! A library's first line, `#!lua name=<library>`: the engine that runs it and its name, with
//! Redis 7.0's errors for each way it can be wrong, in Redis's order (the line's form, its
//! fields, the engine, the name's characters).

use crate::reply::Reply;
use crate::script::valid_name;

/// The name the first line of `code` gives its library.
pub fn library_name(code: &[u8]) -> Result<String, Reply> {
    if !code.starts_with(b"#!") {
        return Err(Reply::error("ERR Missing library metadata"));
    }
    let Some(end) = code.iter().position(|&b| b == b'\n') else {
        return Err(Reply::error("ERR Invalid library metadata"));
    };
    let mut parts = code[..end]
        .split(|b| b.is_ascii_whitespace())
        .filter(|part| !part.is_empty());
    let engine = &parts.next().unwrap_or_default()[2..];
    let mut name = None;
    for part in parts {
        let Some(value) = part.strip_prefix(b"name=") else {
            return Err(Reply::error(format!(
                "ERR Invalid metadata value given: {}",
                String::from_utf8_lossy(part)
            )));
        };
        if name.replace(value).is_some() {
            return Err(Reply::error(
                "ERR Invalid metadata value, name argument was given multiple times",
            ));
        }
    }
    let Some(name) = name else {
        return Err(Reply::error("ERR Library name was not given"));
    };
    if !engine.eq_ignore_ascii_case(b"lua") {
        return Err(Reply::error(format!(
            "ERR Engine '{}' not found",
            String::from_utf8_lossy(engine)
        )));
    }
    if !valid_name(name) {
        return Err(Reply::error(crate::script::BAD_NAME));
    }
    Ok(String::from_utf8_lossy(name).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_line_names_the_library_or_says_what_is_wrong_as_redis_does() {
        let cases = [
            ("#!lua name=mylib\nx", Ok("mylib")),
            ("#!LUA  name=a_1 \t\nx", Ok("a_1")),
            ("return 1", Err("ERR Missing library metadata")),
            ("#!lua name=x", Err("ERR Invalid library metadata")),
            ("#!lua\nx", Err("ERR Library name was not given")),
            (
                "#!luax foo=bar\nx",
                Err("ERR Invalid metadata value given: foo=bar"),
            ),
            (
                "#!lua name=x name=y\nx",
                Err("ERR Invalid metadata value, name argument was given multiple times"),
            ),
            ("#!js name=x\nx", Err("ERR Engine 'js' not found")),
            ("#!lua name=a-b\nx", Err(crate::script::BAD_NAME)),
            ("#!lua name=\nx", Err(crate::script::BAD_NAME)),
        ];
        for (code, expected) in cases {
            let found = library_name(code.as_bytes());
            let expected = expected.map(str::to_string).map_err(Reply::error);
            assert_eq!(found, expected, "{code:?}");
        }
    }
}
