//! cmsgpack against redis-server 7.0: every case's output as EVAL gave it there (`hex` shows
//! packed bytes, so the encodings are compared byte for byte).

use crate::script::libs::testing::{check_cases, run};

#[test]
fn cmsgpack_matches_redis() {
    check_cases(CASES);
}

#[test]
fn nesting_and_result_limits_match_redis() {
    check_cases(LIMIT_CASES);
}

#[test]
fn many_string_results_need_no_mlua_slot_each() {
    let case = r#"select('#', cmsgpack.unpack(string.rep("\161a", 7999)))"#;
    assert_eq!(run(case), "true 7999");
}

const CASES: &[(&str, &str)] = &[
    (r#"hex(cmsgpack.pack(0))"#, r#"true "00""#),
    (
        r#"hex(cmsgpack.pack(1, 127, 128, 255, 256, 65535, 65536, 2^32 - 1, 2^32, 2^53))"#,
        r#"true "017fcc80ccffcd0100cdffffce00010000ceffffffffcf0000000100000000cf0020000000000000""#,
    ),
    (
        r#"hex(cmsgpack.pack(-1, -32, -33, -128, -129, -32768, -32769, -2^31, -2^31 - 1, -2^53))"#,
        r#"true "ffe0d0dfd080d1ff7fd18000d2ffff7fffd280000000d3ffffffff7fffffffd3ffe0000000000000""#,
    ),
    (r#"hex(cmsgpack.pack(2^64))"#, r#"true "ca5f800000""#),
    (r#"hex(cmsgpack.pack(2^63))"#, r#"true "ca5f000000""#),
    (
        r#"hex(cmsgpack.pack(-2^63))"#,
        r#"true "d38000000000000000""#,
    ),
    (r#"hex(cmsgpack.pack(-2^64))"#, r#"true "cadf800000""#),
    (
        r#"hex(cmsgpack.pack(0.5, -0.5, 1.5, 1/3, 1e300, 3.4e38, 1e-45))"#,
        r#"true "ca3f000000cabf000000ca3fc00000cb3fd5555555555555cb7e37e43c8800759ccb47eff933c78cdfadcb3696d601ad376ab9""#,
    ),
    (
        r#"hex(cmsgpack.pack(1/0, -1/0))"#,
        r#"true "ca7f800000caff800000""#,
    ),
    (r#"hex(cmsgpack.pack(-0))"#, r#"true "00""#),
    (
        r#"hex(cmsgpack.pack(true, false, nil))"#,
        r#"true "c3c2c0""#,
    ),
    (
        r#"hex(cmsgpack.pack())"#,
        r#"false "user_script:26: bad argument #0 to 'pack' (MessagePack pack needs input.)""#,
    ),
    (r#"hex(cmsgpack.pack(""))"#, r#"true "a0""#),
    (r#"hex(cmsgpack.pack("abc"))"#, r#"true "a3616263""#),
    (
        r#"hex(cmsgpack.pack(string.rep("x", 31)))"#,
        r#"true "bf78787878787878787878787878787878787878787878787878787878787878""#,
    ),
    (
        r#"hex(cmsgpack.pack(string.rep("x", 32))):sub(1, 10)"#,
        r#"true "d920787878""#,
    ),
    (
        r#"hex(cmsgpack.pack(string.rep("x", 255))):sub(1, 10)"#,
        r#"true "d9ff787878""#,
    ),
    (
        r#"hex(cmsgpack.pack(string.rep("x", 256))):sub(1, 10)"#,
        r#"true "da01007878""#,
    ),
    (
        r#"hex(cmsgpack.pack(string.rep("x", 65535))):sub(1, 10)"#,
        r#"true "daffff7878""#,
    ),
    (
        r#"hex(cmsgpack.pack(string.rep("x", 65536))):sub(1, 12)"#,
        r#"true "db0001000078""#,
    ),
    (r#"hex(cmsgpack.pack({}))"#, r#"true "90""#),
    (r#"hex(cmsgpack.pack({1, 2, 3}))"#, r#"true "93010203""#),
    (r#"hex(cmsgpack.pack({1, nil, 3}))"#, r#"true "8201010303""#),
    (
        r#"hex(cmsgpack.pack({[1]=1, [3]=3}))"#,
        r#"true "8201010303""#,
    ),
    (r#"hex(cmsgpack.pack({[2]=2}))"#, r#"true "810202""#),
    (r#"hex(cmsgpack.pack({a=1}))"#, r#"true "81a16101""#),
    (
        r#"hex(cmsgpack.pack({[1]=1, a=2}))"#,
        r#"true "820101a16102""#,
    ),
    (r#"hex(cmsgpack.pack({[0]=1}))"#, r#"true "810001""#),
    (
        r#"hex(cmsgpack.pack({[1.5]=1}))"#,
        r#"true "81ca3fc0000001""#,
    ),
    (r#"hex(cmsgpack.pack({[true]=false}))"#, r#"true "81c3c2""#),
    (r#"hex(cmsgpack.pack({{}, {{}}}))"#, r#"true "92909190""#),
    (r#"hex(cmsgpack.pack(cjson.null))"#, r#"true "c0""#),
    (r#"hex(cmsgpack.pack(function() end))"#, r#"true "c0""#),
    (
        r#"hex(cmsgpack.pack((function() local t = {} for i = 1, 16 do t[i] = i end return t end)())):sub(1, 10)"#,
        r#"true "dc00100102""#,
    ),
    (
        r#"hex(cmsgpack.pack((function() local t = {} for i = 1, 15 do t[i] = i end return t end)())):sub(1, 10)"#,
        r#"true "9f01020304""#,
    ),
    (
        r#"hex(cmsgpack.pack((function() local t = {} for i = 1, 65536 do t[i] = 0 end return t end)())):sub(1, 12)"#,
        r#"true "dd0001000000""#,
    ),
    (
        r#"hex(cmsgpack.pack((function() local t = {} for i = 1, 16 do t["k" .. i] = i end return t end)())):sub(1, 10)"#,
        r#"true "de0010a36b""#,
    ),
    (
        r#"hex(cmsgpack.pack((function() local t = {} for i = 1, 15 do t["k" .. i] = i end return t end)())):sub(1, 4)"#,
        r#"true "8fa3""#,
    ),
    (
        r#"#cmsgpack.pack((function() local t = {} local c = t for i = 1, 20 do c[1] = {} c = c[1] end return t end)())"#,
        r#"true 17"#,
    ),
    (
        r#"hex(cmsgpack.pack((function() local t = {} local c = t for i = 1, 20 do c[1] = {} c = c[1] end return t end)()))"#,
        r#"true "91919191919191919191919191919191c0""#,
    ),
    (
        r#"hex(cmsgpack.pack((function() local t = {} t[1] = t return t end)()))"#,
        r#"true "91919191919191919191919191919191c0""#,
    ),
    (
        r#"hex(cmsgpack.pack({[1]=1, [2]=2, [4]=4}))"#,
        r#"true "83010102020404""#,
    ),
    (
        r#"hex(cmsgpack.pack({a={b={1}}, c="x"}))"#,
        r#"true "82a16181a1629101a163a178""#,
    ),
    (
        r#"cmsgpack.unpack(cmsgpack.pack(1, "a", {1, 2}, {a=1}, true, false, nil, 0.5, -7))"#,
        r#"true 1 "a" {1=1,2=2} {"a"=1} true false nil 0.5 -7"#,
    ),
    (r#"cmsgpack.unpack("")"#, r#"true"#),
    (
        r#"cmsgpack.unpack()"#,
        r#"false "user_script:26: bad argument #1 to 'unpack' (string expected, got no value)""#,
    ),
    (r#"cmsgpack.unpack(1)"#, r#"true 49"#),
    (r#"cmsgpack.unpack("\192")"#, r#"true nil"#),
    (
        r#"cmsgpack.unpack("\193")"#,
        r#"false "user_script:26: Bad data format in input.""#,
    ),
    (
        r#"cmsgpack.unpack("\196\3abc")"#,
        r#"false "user_script:26: Bad data format in input.""#,
    ),
    (
        r#"cmsgpack.unpack("\197\0\3abc")"#,
        r#"false "user_script:26: Bad data format in input.""#,
    ),
    (
        r#"cmsgpack.unpack("\198\0\0\0\3abc")"#,
        r#"false "user_script:26: Bad data format in input.""#,
    ),
    (
        r#"cmsgpack.unpack("\199\1\5a")"#,
        r#"false "user_script:26: Bad data format in input.""#,
    ),
    (
        r#"cmsgpack.unpack("\212\5a")"#,
        r#"false "user_script:26: Bad data format in input.""#,
    ),
    (r#"cmsgpack.unpack("\202\63\192\0\0")"#, r#"true 1.5"#),
    (
        r#"cmsgpack.unpack("\203\63\248\0\0\0\0\0\0")"#,
        r#"true 1.5"#,
    ),
    (r#"cmsgpack.unpack("\204\255", "\205\1\0")"#, r#"true 255"#),
    (r#"cmsgpack.unpack("\205\1\0")"#, r#"true 256"#),
    (
        r#"cmsgpack.unpack("\206\255\255\255\255")"#,
        r#"true 4294967295"#,
    ),
    (
        r#"cmsgpack.unpack("\207\255\255\255\255\255\255\255\255")"#,
        r#"true -1"#,
    ),
    (r#"cmsgpack.unpack("\207\0\0\0\0\0\0\0\5")"#, r#"true 5"#),
    (r#"cmsgpack.unpack("\208\128")"#, r#"true -128"#),
    (r#"cmsgpack.unpack("\209\128\0")"#, r#"true -32768"#),
    (
        r#"cmsgpack.unpack("\210\128\0\0\0")"#,
        r#"true -2147483648"#,
    ),
    (
        r#"cmsgpack.unpack("\211\128\0\0\0\0\0\0\0")"#,
        r#"true -9.2233720368547758e+18"#,
    ),
    (
        r#"cmsgpack.unpack("\211\255\255\255\255\255\255\255\255")"#,
        r#"true -1"#,
    ),
    (r#"cmsgpack.unpack("\217\3abc")"#, r#"true "abc""#),
    (r#"cmsgpack.unpack("\218\0\3abc")"#, r#"true "abc""#),
    (r#"cmsgpack.unpack("\219\0\0\0\3abc")"#, r#"true "abc""#),
    (r#"cmsgpack.unpack("\220\0\2\1\2")"#, r#"true {1=1,2=2}"#),
    (
        r#"cmsgpack.unpack("\221\0\0\0\2\1\2")"#,
        r#"true {1=1,2=2}"#,
    ),
    (r#"cmsgpack.unpack("\222\0\1\161a\1")"#, r#"true {"a"=1}"#),
    (
        r#"cmsgpack.unpack("\223\0\0\0\1\161a\1")"#,
        r#"true {"a"=1}"#,
    ),
    (
        r#"cmsgpack.unpack("\129\192\1")"#,
        r#"false "table index is nil""#,
    ),
    (r#"cmsgpack.unpack("\129\1\192")"#, r#"true {}"#),
    (r#"cmsgpack.unpack("\130\1\2\1\3")"#, r#"true {1=3}"#),
    (
        r#"cmsgpack.unpack("\146\1")"#,
        r#"false "user_script:26: Missing bytes in input.""#,
    ),
    (
        r#"cmsgpack.unpack("\161")"#,
        r#"false "user_script:26: Missing bytes in input.""#,
    ),
    (
        r#"cmsgpack.unpack("\205\1")"#,
        r#"false "user_script:26: Missing bytes in input.""#,
    ),
    (r#"cmsgpack.unpack("\1\2\3")"#, r#"true 1 2 3"#),
    (r#"cmsgpack.unpack("\224\255")"#, r#"true -32 -1"#),
    (
        r#"cmsgpack.unpack("\145\145\145\145")"#,
        r#"false "user_script:26: Missing bytes in input.""#,
    ),
    (
        r#"cmsgpack.unpack("\220\255\255")"#,
        r#"false "user_script:26: Missing bytes in input.""#,
    ),
    (
        r#"cmsgpack.unpack("\221\255\255\255\255")"#,
        r#"false "user_script:26: Missing bytes in input.""#,
    ),
    (
        r#"cmsgpack.unpack("\219\255\255\255\255a")"#,
        r#"false "user_script:26: Missing bytes in input.""#,
    ),
    (r#"cmsgpack.unpack("\128")"#, r#"true {}"#),
    (r#"cmsgpack.unpack("\144")"#, r#"true {}"#),
    (
        r#"cmsgpack.unpack_one(cmsgpack.pack(1, 2, 3))"#,
        r#"true 1 1"#,
    ),
    (
        r#"cmsgpack.unpack_one(cmsgpack.pack(1, 2, 3), 1)"#,
        r#"true 2 2"#,
    ),
    (
        r#"cmsgpack.unpack_one(cmsgpack.pack(1, 2, 3), 2)"#,
        r#"true -1 3"#,
    ),
    (
        r#"cmsgpack.unpack_one(cmsgpack.pack(1, 2, 3), 3)"#,
        r#"true -1"#,
    ),
    (
        r#"cmsgpack.unpack_one(cmsgpack.pack(1, 2, 3), 4)"#,
        r#"false "user_script:26: Start offset 4 greater than input length 3.""#,
    ),
    (
        r#"cmsgpack.unpack_one(cmsgpack.pack(1, 2, 3), -1)"#,
        r#"false "user_script:26: Invalid request to unpack with offset of -1 and limit of 3.""#,
    ),
    (r#"cmsgpack.unpack_one("")"#, r#"true -1"#),
    (
        r#"cmsgpack.unpack_one("\146\1")"#,
        r#"false "user_script:26: Missing bytes in input.""#,
    ),
    (
        r#"cmsgpack.unpack_limit(cmsgpack.pack(1, 2, 3), 2)"#,
        r#"true 2 1 2"#,
    ),
    (
        r#"cmsgpack.unpack_limit(cmsgpack.pack(1, 2, 3), 0)"#,
        r#"true 1 2 3"#,
    ),
    (
        r#"cmsgpack.unpack_limit(cmsgpack.pack(1, 2, 3), 5)"#,
        r#"true -1 1 2 3"#,
    ),
    (
        r#"cmsgpack.unpack_limit(cmsgpack.pack(1, 2, 3), 2, 1)"#,
        r#"true -1 2 3"#,
    ),
    (
        r#"cmsgpack.unpack_limit(cmsgpack.pack(1, 2, 3), -1)"#,
        r#"false "user_script:26: Invalid request to unpack with offset of 0 and limit of 3.""#,
    ),
    (
        r#"cmsgpack.unpack_limit(cmsgpack.pack(1, 2, 3))"#,
        r#"false "user_script:26: bad argument #2 to 'unpack_limit' (number expected, got no value)""#,
    ),
    (
        r#"cmsgpack.unpack_limit(cmsgpack.pack(1, 2, 3), 1, 3)"#,
        r#"true -1"#,
    ),
    (
        r#"cmsgpack.unpack_limit(cmsgpack.pack(1, 2, 3), 1, 2.5)"#,
        r#"true -1 3"#,
    ),
    (
        r#"cmsgpack.unpack_limit(cmsgpack.pack(1, 2, 3), "x")"#,
        r#"false "user_script:26: bad argument #2 to 'unpack_limit' (number expected, got string)""#,
    ),
    (
        r#"cmsgpack.unpack_limit("\146\1", 1)"#,
        r#"false "user_script:26: Missing bytes in input.""#,
    ),
    (r#"cmsgpack.pack(1, nil, 2) == "\1\192\2""#, r#"true true"#),
    (r#"cmsgpack._NAME"#, r#"true "cmsgpack""#),
    (r#"cmsgpack._VERSION"#, r#"true "lua-cmsgpack 0.4.0""#),
    (
        r#"cmsgpack._COPYRIGHT"#,
        r#"true "Copyright (C) 2012, Salvatore Sanfilippo""#,
    ),
    (
        r#"cmsgpack._DESCRIPTION"#,
        r#"true "MessagePack C implementation for Lua""#,
    ),
    (r#"type(cmsgpack.unpack_one)"#, r#"true "function""#),
    (
        r#"cmsgpack.unpack(string.rep("\145", 100000))"#,
        r#"false "user_script:26: stack overflow (in function mp_decode_to_lua_array)""#,
    ),
    (
        r#"cmsgpack.unpack(string.rep("\145", 2000) .. "\1") ~= nil"#,
        r#"true true"#,
    ),
    (
        r#"hex(cmsgpack.pack({[2^53]=1}))"#,
        r#"true "81cf002000000000000001""#,
    ),
    (r#"hex(cmsgpack.pack({[-1]=1}))"#, r#"true "81ff01""#),
    (r#"hex(cmsgpack.pack({1.5}))"#, r#"true "91ca3fc00000""#),
];
const LIMIT_CASES: &[(&str, &str)] = &[
    (
        r#"cmsgpack.unpack(string.rep("\145", 3999) .. "\1") ~= nil"#,
        r#"true true"#,
    ),
    (
        r#"cmsgpack.unpack(string.rep("\145", 4000) .. "\1")"#,
        r#"false "user_script:26: stack overflow (in function mp_decode_to_lua_array)""#,
    ),
    (
        r#"cmsgpack.unpack(string.rep("\129\1", 3999) .. "\1") ~= nil"#,
        r#"true true"#,
    ),
    (
        r#"cmsgpack.unpack(string.rep("\129\1", 4000) .. "\1")"#,
        r#"false "user_script:26: stack overflow (too many return values at once; use unpack_one or unpack_limit instead.)""#,
    ),
    (
        r#"cmsgpack.unpack(string.rep("\145", 3999) .. "\129\1\1")"#,
        r#"false "user_script:26: stack overflow (too many return values at once; use unpack_one or unpack_limit instead.)""#,
    ),
    (
        r#"cmsgpack.unpack(string.rep("\129\1", 3999) .. "\145\1")"#,
        r#"false "user_script:26: stack overflow (in function mp_decode_to_lua_array)""#,
    ),
    (
        r#"cmsgpack.unpack(string.rep("\129\1", 3998) .. "\145\1") ~= nil"#,
        r#"true true"#,
    ),
    (
        r#"cmsgpack.unpack(string.rep("\145", 3998) .. "\129\1\1") ~= nil"#,
        r#"true true"#,
    ),
    (
        r#"cmsgpack.unpack("\1" .. string.rep("\145", 3999) .. "\1")"#,
        r#"false "user_script:26: stack overflow (too many return values at once; use unpack_one or unpack_limit instead.)""#,
    ),
    (
        r#"cmsgpack.unpack(string.rep("\1", 4000) .. string.rep("\145", 3999) .. "\1")"#,
        r#"false "user_script:26: stack overflow (in function mp_decode_to_lua_array)""#,
    ),
    (
        r#"cmsgpack.unpack(string.rep("\129\145\1", 3998) .. "\1") ~= nil"#,
        r#"true true"#,
    ),
    (
        r#"cmsgpack.unpack(string.rep("\129\145\1", 3999) .. "\1")"#,
        r#"false "user_script:26: stack overflow (too many return values at once; use unpack_one or unpack_limit instead.)""#,
    ),
    (
        r#"select('#', cmsgpack.unpack(string.rep("\1", 7999)))"#,
        r#"true 7999"#,
    ),
    (
        r#"select('#', cmsgpack.unpack(string.rep("\1", 8000)))"#,
        r#"false "user_script:26: stack overflow (too many return values at once; use unpack_one or unpack_limit instead.)""#,
    ),
    (
        r#"select('#', cmsgpack.unpack_limit(string.rep("\1", 8000), 7997))"#,
        r#"true 7998"#,
    ),
    (
        r#"select('#', cmsgpack.unpack_limit(string.rep("\1", 8000), 7998))"#,
        r#"true 7999"#,
    ),
    (
        r#"cmsgpack.unpack(string.rep("\145", 100000))"#,
        r#"false "user_script:26: stack overflow (in function mp_decode_to_lua_array)""#,
    ),
    (
        r#"cmsgpack.unpack(string.rep("\221\255\255\255\255", 5))"#,
        r#"false "user_script:26: Missing bytes in input.""#,
    ),
    (
        r#"cmsgpack.unpack("\129\192")"#,
        r#"false "user_script:26: Missing bytes in input.""#,
    ),
    (
        r#"cmsgpack.unpack("\129")"#,
        r#"false "user_script:26: Missing bytes in input.""#,
    ),
    (
        r#"cmsgpack.unpack("\129\1")"#,
        r#"false "user_script:26: Missing bytes in input.""#,
    ),
    (
        r#"cmsgpack.unpack("\146\1\193")"#,
        r#"false "user_script:26: Bad data format in input.""#,
    ),
    (
        r#"cmsgpack.unpack("\129\202\127\192\0\0\1")"#,
        r#"false "table index is NaN""#,
    ),
];
