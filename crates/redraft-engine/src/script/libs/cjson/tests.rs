//! cjson against redis-server 7.0: every case's output as EVAL gave it there.

use crate::script::libs::testing::{check_cases, run};

#[test]
fn cjson_matches_redis() {
    check_cases(CASES);
}

#[test]
fn cjson_configuration_matches_redis() {
    check_cases(CONFIG_CASES);
}

#[test]
fn encode_output_is_byte_for_byte_redis() {
    // Key order is Lua's `next` order, the same in both VMs for the same inserts.
    let case = r#"cjson.encode({a=1,b=2,c=3,d={1},e='x'})"#;
    assert_eq!(run(case), r#"true "{"a":1,"c":3,"b":2,"e":"x","d":[1]}""#);
}

#[test]
fn malformed_or_hostile_input_raises_a_lua_error_as_redis_does() {
    check_cases(MALFORMED_CASES);
    let deep_array = r#"cjson.decode(string.rep("[", 200000))"#;
    let want =
        r#"false "user_script:26: Found too many nested data structures (1001) at character 1001""#;
    assert_eq!(run(deep_array), want);
}

#[test]
fn wide_and_deep_values_need_no_lua_stack_slot_per_table() {
    let wide = r#"(function() local t = {} for i = 1, 20000 do t[i] = {} end return #cjson.encode(t) end)()"#;
    assert_eq!(run(wide), "true 60001");
    let decoded = r#"#cjson.decode("[" .. string.rep("{\"a\":[1]},", 19999) .. "{}]")"#;
    assert_eq!(run(decoded), "true 20000");
    let deep = r#"#cjson.encode(cjson.decode(string.rep("[", 1000) .. string.rep("]", 1000)))"#;
    assert_eq!(run(deep), "true 2000");
}

#[test]
fn a_sparse_array_the_configuration_allows_is_bounded_by_the_largest_string() {
    // redis-server would try to build a 10 GB string of nulls here.
    let case = r#"(function() cjson.encode_sparse_array(false, 0) return #cjson.encode({[2^31 - 1] = 1}) end)()"#;
    let want = r#"false "user_script:26: Cannot serialise: the result is larger than 64 MiB""#;
    assert_eq!(run(case), want);
}

const CASES: &[(&str, &str)] = &[
    (r#"cjson.encode(1)"#, r#"true "1""#),
    (r#"cjson.encode(-0)"#, r#"true "-0""#),
    (r#"cjson.encode(0.1)"#, r#"true "0.1""#),
    (r#"cjson.encode(1/3)"#, r#"true "0.33333333333333""#),
    (
        r#"cjson.encode(123456789012345678)"#,
        r#"true "1.2345678901235e+17""#,
    ),
    (r#"cjson.encode(1e300)"#, r#"true "1e+300""#),
    (r#"cjson.encode(2^53)"#, r#"true "9.007199254741e+15""#),
    (r#"cjson.encode(1e-7)"#, r#"true "1e-07""#),
    (r#"cjson.encode(100000000000000)"#, r#"true "1e+14""#),
    (r#"cjson.encode(1e15)"#, r#"true "1e+15""#),
    (r#"cjson.encode(-1.5e-300)"#, r#"true "-1.5e-300""#),
    (
        r#"cjson.encode(1/0)"#,
        r#"false "user_script:26: Cannot serialise number: must not be NaN or Inf""#,
    ),
    (
        r#"cjson.encode(-1/0)"#,
        r#"false "user_script:26: Cannot serialise number: must not be NaN or Inf""#,
    ),
    (
        r#"cjson.encode(0/0)"#,
        r#"false "user_script:26: Cannot serialise number: must not be NaN or Inf""#,
    ),
    (
        r#"cjson.encode("a/b\"c\\d\n\r\t\b\f\1\31\127\128\255é")"#,
        r#"true ""a\/b\"c\\d\n\r\t\b\f\u0001\u001f\u007f\128\255\195\169"""#,
    ),
    (r#"cjson.encode("")"#, r#"true """""#),
    (r#"cjson.encode(true)"#, r#"true "true""#),
    (r#"cjson.encode(false)"#, r#"true "false""#),
    (r#"cjson.encode(nil)"#, r#"true "null""#),
    (
        r#"cjson.encode()"#,
        r#"false "user_script:26: bad argument #1 to 'encode' (expected 1 argument)""#,
    ),
    (r#"cjson.encode(cjson.null)"#, r#"true "null""#),
    (r#"cjson.encode({})"#, r#"true "{}""#),
    (r#"cjson.encode({1,2,3})"#, r#"true "[1,2,3]""#),
    (
        r#"cjson.encode({[1]=1,[2]=2,[4]=4})"#,
        r#"true "[1,2,null,4]""#,
    ),
    (r#"cjson.encode({[1]=1,[3]=3})"#, r#"true "[1,null,3]""#),
    (r#"cjson.encode({[2]=2})"#, r#"true "[null,2]""#),
    (r#"cjson.encode({[3]=3})"#, r#"true "[null,null,3]""#),
    (r#"cjson.encode({[4]=4})"#, r#"true "[null,null,null,4]""#),
    (
        r#"cjson.encode({[10]=1})"#,
        r#"true "[null,null,null,null,null,null,null,null,null,1]""#,
    ),
    (
        r#"cjson.encode({[11]=1})"#,
        r#"false "user_script:26: Cannot serialise table: excessively sparse array""#,
    ),
    (
        r#"cjson.encode({[20]=1, [1]=1, [2]=2, [3]=3, [4]=4, [5]=5, [6]=6, [7]=7, [8]=8, [9]=9, [10]=10})"#,
        r#"true "[1,2,3,4,5,6,7,8,9,10,null,null,null,null,null,null,null,null,null,1]""#,
    ),
    (
        r#"cjson.encode({[21]=1, [1]=1, [2]=2, [3]=3, [4]=4, [5]=5, [6]=6, [7]=7, [8]=8, [9]=9, [10]=10})"#,
        r#"true "[1,2,3,4,5,6,7,8,9,10,null,null,null,null,null,null,null,null,null,null,1]""#,
    ),
    (r#"cjson.encode({[0]=1})"#, r#"true "{"0":1}""#),
    (r#"cjson.encode({[-1]=1})"#, r#"true "{"-1":1}""#),
    (r#"cjson.encode({[1.5]=1})"#, r#"true "{"1.5":1}""#),
    (r#"cjson.encode({[1]=1, x=2})"#, r#"true "{"1":1,"x":2}""#),
    (r#"cjson.encode({a=1})"#, r#"true "{"a":1}""#),
    (
        r#"cjson.encode({[5]="x", b=1})"#,
        r#"true "{"5":"x","b":1}""#,
    ),
    (
        r#"cjson.encode({[true]=1})"#,
        r#"false "user_script:26: Cannot serialise boolean: table key must be a number or string""#,
    ),
    (
        r#"cjson.encode({[{}]=1})"#,
        r#"false "user_script:26: Cannot serialise table: table key must be a number or string""#,
    ),
    (r#"cjson.encode({nil, 2})"#, r#"true "[null,2]""#),
    (
        r#"cjson.encode({a={b={c={1,2,{d=cjson.null}}}}})"#,
        r#"true "{"a":{"b":{"c":[1,2,{"d":null}]}}}""#,
    ),
    (
        r#"cjson.encode({f=function() end})"#,
        r#"false "user_script:26: Cannot serialise function: type not supported""#,
    ),
    (
        r#"cjson.encode(function() end)"#,
        r#"false "user_script:26: Cannot serialise function: type not supported""#,
    ),
    (
        r#"cjson.encode({[2^53]=1})"#,
        r#"true "{"9.007199254741e+15":1}""#,
    ),
    (r#"cjson.encode({[1e300]=1})"#, r#"true "{"1e+300":1}""#),
    (
        r#"cjson.encode({["1"]=1, [2]=2})"#,
        r#"true "{"1":1,"2":2}""#,
    ),
    (
        r#"cjson.encode({[1]="a", ["2"]="b"})"#,
        r#"true "{"1":"a","2":"b"}""#,
    ),
    (
        r#"cjson.encode({[1/3]=1})"#,
        r#"true "{"0.33333333333333":1}""#,
    ),
    (r#"cjson.encode({{{{{}}}}})"#, r#"true "[[[[{}]]]]""#),
    (
        r#"cjson.encode({[1]={}, [2]={x=1}})"#,
        r#"true "[{},{"x":1}]""#,
    ),
    (r#"cjson.decode("1")"#, r#"true 1"#),
    (r#"cjson.decode("-1.5e3")"#, r#"true -1500"#),
    (
        r#"cjson.decode("  [1, 2.5, \"x\", true, false, null] ")"#,
        r#"true {1=1,2=2.5,3="x",4=true,5=false,6=null}"#,
    ),
    (
        r#"cjson.decode("{\"a\":{\"b\":[1,{}]}}")"#,
        r#"true {"a"={"b"={1=1,2={}}}}"#,
    ),
    (
        r#"cjson.decode("\"\\u00e9\\u20ac\\ud83d\\ude00\\/\\b\\f\\n\\r\\t\\\"\\\\\"")"#,
        r#"true "\195\169\226\130\172\240\159\152\128/\8\12\10\13\9"\""#,
    ),
    (
        r#"cjson.decode("\"\\ud83d\"")"#,
        r#"false "user_script:26: Expected value but found invalid unicode escape code at character 2""#,
    ),
    (
        r#"cjson.decode("\"\\ude00\"")"#,
        r#"false "user_script:26: Expected value but found invalid unicode escape code at character 2""#,
    ),
    (
        r#"cjson.decode("\"\\u12\"")"#,
        r#"false "user_script:26: Expected value but found invalid unicode escape code at character 2""#,
    ),
    (
        r#"cjson.decode("\"\\x\"")"#,
        r#"false "user_script:26: Expected value but found invalid escape code at character 2""#,
    ),
    (
        r#"cjson.decode("\"abc")"#,
        r#"false "user_script:26: Expected value but found unexpected end of string at character 5""#,
    ),
    (r#"cjson.decode("\"a\1b\"")"#, r#"true "a\1b""#),
    (r#"cjson.decode("\"a\128b\"")"#, r#"true "a\128b""#),
    (
        r#"cjson.decode("")"#,
        r#"false "user_script:26: Expected value but found T_END at character 1""#,
    ),
    (
        r#"cjson.decode("   ")"#,
        r#"false "user_script:26: Expected value but found T_END at character 4""#,
    ),
    (
        r#"cjson.decode("[")"#,
        r#"false "user_script:26: Expected value but found T_END at character 2""#,
    ),
    (
        r#"cjson.decode("[1,]")"#,
        r#"false "user_script:26: Expected value but found T_ARR_END at character 4""#,
    ),
    (
        r#"cjson.decode("[1 2]")"#,
        r#"false "user_script:26: Expected comma or array end but found T_NUMBER at character 4""#,
    ),
    (
        r#"cjson.decode("{\"a\" 1}")"#,
        r#"false "user_script:26: Expected colon but found T_NUMBER at character 6""#,
    ),
    (
        r#"cjson.decode("{\"a\":}")"#,
        r#"false "user_script:26: Expected value but found T_OBJ_END at character 6""#,
    ),
    (
        r#"cjson.decode("{1:2}")"#,
        r#"false "user_script:26: Expected object key string but found T_NUMBER at character 2""#,
    ),
    (
        r#"cjson.decode("{\"a\":1,}")"#,
        r#"false "user_script:26: Expected object key string but found T_OBJ_END at character 8""#,
    ),
    (
        r#"cjson.decode("{\"a\":1 \"b\":2}")"#,
        r#"false "user_script:26: Expected comma or object end but found T_STRING at character 8""#,
    ),
    (
        r#"cjson.decode("nul")"#,
        r#"false "user_script:26: Expected value but found invalid token at character 1""#,
    ),
    (
        r#"cjson.decode("tru")"#,
        r#"false "user_script:26: Expected value but found invalid token at character 1""#,
    ),
    (
        r#"cjson.decode("1 2")"#,
        r#"false "user_script:26: Expected the end but found T_NUMBER at character 3""#,
    ),
    (
        r#"cjson.decode("[1]x")"#,
        r#"false "user_script:26: Expected the end but found invalid token at character 4""#,
    ),
    (r#"cjson.decode("01")"#, r#"true 1"#),
    (
        r#"cjson.decode("-")"#,
        r#"false "user_script:26: Expected value but found invalid number at character 1""#,
    ),
    (r#"cjson.decode("1.")"#, r#"true 1"#),
    (
        r#"cjson.decode(".5")"#,
        r#"false "user_script:26: Expected value but found invalid token at character 1""#,
    ),
    (
        r#"cjson.decode("1e")"#,
        r#"false "user_script:26: Expected the end but found invalid token at character 2""#,
    ),
    (r#"cjson.decode("+1")"#, r#"true 1"#),
    (r#"cjson.decode("0x10")"#, r#"true 16"#),
    (r#"cjson.decode("NaN")"#, r#"true nan"#),
    (r#"cjson.decode("nan")"#, r#"true nan"#),
    (r#"cjson.decode("inf")"#, r#"true inf"#),
    (r#"cjson.decode("-Infinity")"#, r#"true -inf"#),
    (r#"cjson.decode("Infinity")"#, r#"true inf"#),
    (r#"cjson.decode("1e400")"#, r#"true inf"#),
    (r#"cjson.decode("-1e400")"#, r#"true -inf"#),
    (
        r#"cjson.decode("123456789012345678901234567890")"#,
        r#"true 1.2345678901234568e+29"#,
    ),
    (
        r#"cjson.decode("9007199254740993")"#,
        r#"true 9007199254740992"#,
    ),
    (r#"cjson.decode("[1e-400]")"#, r#"true {1=0}"#),
    (r#"cjson.decode("\"\\u0000\"")"#, r#"true "\0""#),
    (r#"cjson.decode("\"\\u0000a\"")"#, r#"true "\0a""#),
    (r#"cjson.decode("{\"a\":1,\"a\":2}")"#, r#"true {"a"=2}"#),
    (r#"cjson.decode("{\"1\":1}")"#, r#"true {"1"=1}"#),
    (r#"cjson.decode("[null]")"#, r#"true {1=null}"#),
    (r#"cjson.decode("null")"#, r#"true null"#),
    (r#"cjson.decode(1)"#, r#"true 1"#),
    (r#"cjson.decode(1.5)"#, r#"true 1.5"#),
    (
        r#"cjson.decode()"#,
        r#"false "user_script:26: bad argument #1 to 'decode' (expected 1 argument)""#,
    ),
    (
        r#"cjson.decode({})"#,
        r#"false "user_script:26: bad argument #1 to 'decode' (string expected, got table)""#,
    ),
    (
        r#"cjson.decode(true)"#,
        r#"false "user_script:26: bad argument #1 to 'decode' (string expected, got boolean)""#,
    ),
    (
        r#"cjson.decode("1", 2)"#,
        r#"false "user_script:26: bad argument #1 to 'decode' (expected 1 argument)""#,
    ),
    (
        r#"cjson.encode(1, 2)"#,
        r#"false "user_script:26: bad argument #1 to 'encode' (expected 1 argument)""#,
    ),
    (
        r#"cjson.decode("\239\187\1911")"#,
        r#"false "user_script:26: Expected value but found invalid token at character 1""#,
    ),
    (
        r#"cjson.decode("\0")"#,
        r#"false "user_script:26: Expected value but found T_END at character 1""#,
    ),
    (
        r#"cjson.decode("[\"a\"\0]")"#,
        r#"false "user_script:26: Expected comma or array end but found T_END at character 5""#,
    ),
    (
        r#"cjson.decode("{\"a\":1}garbage")"#,
        r#"false "user_script:26: Expected the end but found invalid token at character 8""#,
    ),
    (
        r#"cjson.decode("//")"#,
        r#"false "user_script:26: Expected value but found invalid token at character 1""#,
    ),
    (r#"cjson.decode("{\"\":1}")"#, r#"true {""=1}"#),
    (
        r#"cjson.decode("[[[[[[]]]]]]")"#,
        r#"true {1={1={1={1={1={}}}}}}"#,
    ),
    (
        r#"cjson.decode("\"\\uD83D\\uDE00\"")"#,
        r#"true "\240\159\152\128""#,
    ),
    (
        r#"cjson.decode("\"\\uDBFF\\uDFFF\"")"#,
        r#"true "\244\143\191\191""#,
    ),
    (
        r#"cjson.decode("\"\\ud83d\\u0041\"")"#,
        r#"false "user_script:26: Expected value but found invalid unicode escape code at character 2""#,
    ),
    (
        r#"cjson.decode("\"\\uzzzz\"")"#,
        r#"false "user_script:26: Expected value but found invalid unicode escape code at character 2""#,
    ),
    (r#"cjson.decode("-0")"#, r#"true -0"#),
    (r#"cjson.decode("1E+2")"#, r#"true 100"#),
    (r#"cjson.decode("1e-2")"#, r#"true 0.01"#),
    (r#"cjson.decode("0.1")"#, r#"true 0.10000000000000001"#),
    (r#"cjson.decode("[1,2,3]")[2]"#, r#"true 2"#),
    (r#"cjson.decode("\t\r\n [ ]")"#, r#"true {}"#),
    (
        r#"cjson.decode("\f1")"#,
        r#"false "user_script:26: Expected value but found invalid token at character 1""#,
    ),
    (r#"cjson.decode("[\n1\n,\n\"x\"]")"#, r#"true {1=1,2="x"}"#),
    (r#"cjson.decode("\"tab\there\"")"#, r#"true "tab\9here""#),
    (r#"cjson.null"#, r#"true null"#),
    (r#"type(cjson.null)"#, r#"true "userdata""#),
    (r#"cjson.new ~= nil"#, r#"true true"#),
    (r#"type(cjson.new())"#, r#"true "table""#),
    (r#"cjson.new().encode({1})"#, r#"true "[1]""#),
    (r#"cjson.new() ~= cjson"#, r#"true true"#),
    (r#"cjson.new().null == cjson.null"#, r#"true true"#),
    (r#"cjson._NAME"#, r#"true "cjson""#),
    (r#"cjson._VERSION"#, r#"true "2.1.0""#),
    (r#"cjson.encode(string.rep("[", 1))"#, r#"true ""["""#),
    (
        r#"cjson.decode(string.rep("[", 1000) .. string.rep("]", 1000))"#,
        r#"true {1={1={1={1={1={1={1={...}}}}}}}}"#,
    ),
    (
        r#"cjson.decode(string.rep("[", 1001) .. string.rep("]", 1001))"#,
        r#"false "user_script:26: Found too many nested data structures (1001) at character 1001""#,
    ),
    (
        r#"cjson.decode(string.rep("{\"a\":", 1000) .. "1" .. string.rep("}", 1000))"#,
        r#"true {"a"={"a"={"a"={"a"={"a"={"a"={"a"={...}}}}}}}}"#,
    ),
    (
        r#"cjson.decode(string.rep("{\"a\":", 1001) .. "1" .. string.rep("}", 1001))"#,
        r#"false "user_script:26: Found too many nested data structures (1001) at character 5001""#,
    ),
    (
        r#"cjson.decode(string.rep("[", 100000))"#,
        r#"false "user_script:26: Found too many nested data structures (1001) at character 1001""#,
    ),
    (
        r#"cjson.decode(string.rep("[", 999) .. "1,2" .. string.rep("]", 999))[1]"#,
        r#"true {1={1={1={1={1={1={1={...}}}}}}}}"#,
    ),
    (r#"cjson.decode("0x10")"#, r#"true 16"#),
    (r#"cjson.decode("-0x10")"#, r#"true -16"#),
    (r#"cjson.decode("0X1p4")"#, r#"true 16"#),
    (r#"cjson.decode("-Infinity")"#, r#"true -inf"#),
    (r#"cjson.decode("-infinity")"#, r#"true -inf"#),
    (
        r#"cjson.decode("-infinit")"#,
        r#"false "user_script:26: Expected the end but found invalid token at character 5""#,
    ),
    (r#"cjson.decode("-nan(123)")"#, r#"true -nan"#),
    (
        r#"cjson.decode("[-infx]")"#,
        r#"false "user_script:26: Expected comma or array end but found invalid token at character 6""#,
    ),
    (r#"cjson.decode("nan")"#, r#"true nan"#),
    (r#"cjson.decode("-1e5000")"#, r#"true -inf"#),
    (
        r#"cjson.decode("1" .. string.rep("0", 400))"#,
        r#"true inf"#,
    ),
    (
        r#"cjson.decode("0." .. string.rep("0", 400) .. "1")"#,
        r#"true 0"#,
    ),
    (r#"cjson.decode("-0.0")"#, r#"true -0"#),
    (
        r#"cjson.decode("[0.1, 1e-5, 123.456e-2]")"#,
        r#"true {1=0.10000000000000001,2=1.0000000000000001e-05,3=1.2345600000000001}"#,
    ),
    (r#"cjson.decode("-inf")"#, r#"true -inf"#),
    (r#"cjson.decode("-nan")"#, r#"true -nan"#),
    (r#"cjson.decode("-Inf")"#, r#"true -inf"#),
    (
        r#"cjson.decode("1e5x")"#,
        r#"false "user_script:26: Expected the end but found invalid token at character 4""#,
    ),
    (r#"cjson.decode("-01")"#, r#"true -1"#),
    (r#"cjson.decode("-0x1")"#, r#"true -1"#),
    (
        r#"cjson.decode("1.5e+")"#,
        r#"false "user_script:26: Expected the end but found invalid token at character 4""#,
    ),
    (r#"cjson.decode("1.e5")"#, r#"true 100000"#),
    (r#"cjson.decode("00")"#, r#"true 0"#),
    (r#"cjson.decode("0")"#, r#"true 0"#),
    (r#"cjson.decode("-.5")"#, r#"true -0.5"#),
    (
        r#"cjson.decode("1e+")"#,
        r#"false "user_script:26: Expected the end but found invalid token at character 2""#,
    ),
    (
        r#"cjson.decode("1.5.5")"#,
        r#"false "user_script:26: Expected the end but found invalid token at character 4""#,
    ),
    (
        r#"cjson.decode("1e5e5")"#,
        r#"false "user_script:26: Expected the end but found invalid token at character 4""#,
    ),
    (
        r#"cjson.decode("[1.5x]")"#,
        r#"false "user_script:26: Expected comma or array end but found invalid token at character 5""#,
    ),
    (
        r#"cjson.decode("[-]")"#,
        r#"false "user_script:26: Expected value but found invalid number at character 2""#,
    ),
    (
        r#"cjson.decode("[1-2]")"#,
        r#"false "user_script:26: Expected comma or array end but found T_NUMBER at character 3""#,
    ),
    (
        r#"cjson.decode("[1+2]")"#,
        r#"false "user_script:26: Expected comma or array end but found T_NUMBER at character 3""#,
    ),
    (
        r#"cjson.decode("[1ea]")"#,
        r#"false "user_script:26: Expected comma or array end but found invalid token at character 3""#,
    ),
    (
        r#"cjson.decode("[1i]")"#,
        r#"false "user_script:26: Expected comma or array end but found invalid token at character 3""#,
    ),
    (
        r#"cjson.decode("[12abc]")"#,
        r#"false "user_script:26: Expected comma or array end but found invalid token at character 4""#,
    ),
    (
        r#"cjson.decode("[0.5e-3]")"#,
        r#"true {1=0.00050000000000000001}"#,
    ),
    (r#"cjson.decode("[1E5]")"#, r#"true {1=100000}"#),
    (
        r#"cjson.decode("[-1e5,")"#,
        r#"false "user_script:26: Expected value but found T_END at character 7""#,
    ),
    (
        r#"cjson.decode("[1,2")"#,
        r#"false "user_script:26: Expected comma or array end but found T_END at character 5""#,
    ),
    (
        r#"cjson.decode("{\"a\"")"#,
        r#"false "user_script:26: Expected colon but found T_END at character 5""#,
    ),
    (
        r#"cjson.decode("{\"a\":1")"#,
        r#"false "user_script:26: Expected comma or object end but found T_END at character 7""#,
    ),
    (
        r#"cjson.decode("{")"#,
        r#"false "user_script:26: Expected object key string but found T_END at character 2""#,
    ),
    (
        r#"cjson.decode("]")"#,
        r#"false "user_script:26: Expected value but found T_ARR_END at character 1""#,
    ),
    (
        r#"cjson.decode("}")"#,
        r#"false "user_script:26: Expected value but found T_OBJ_END at character 1""#,
    ),
    (
        r#"cjson.decode(":")"#,
        r#"false "user_script:26: Expected value but found T_COLON at character 1""#,
    ),
    (
        r#"cjson.decode(",")"#,
        r#"false "user_script:26: Expected value but found T_COMMA at character 1""#,
    ),
    (
        r#"cjson.decode("[1:2]")"#,
        r#"false "user_script:26: Expected comma or array end but found T_COLON at character 3""#,
    ),
    (
        r#"cjson.decode("{\"a\",1}")"#,
        r#"false "user_script:26: Expected colon but found T_COMMA at character 5""#,
    ),
    (
        r#"cjson.decode("true false")"#,
        r#"false "user_script:26: Expected the end but found T_BOOLEAN at character 6""#,
    ),
    (
        r#"cjson.decode("truex")"#,
        r#"false "user_script:26: Expected the end but found invalid token at character 5""#,
    ),
    (
        r#"cjson.decode("nullx")"#,
        r#"false "user_script:26: Expected the end but found invalid token at character 5""#,
    ),
    (
        r#"cjson.decode("[truex]")"#,
        r#"false "user_script:26: Expected comma or array end but found invalid token at character 6""#,
    ),
    (
        r#"cjson.decode("falsey")"#,
        r#"false "user_script:26: Expected the end but found invalid token at character 6""#,
    ),
    (
        r#"cjson.decode("\"\\u00\"")"#,
        r#"false "user_script:26: Expected value but found invalid unicode escape code at character 2""#,
    ),
    (
        r#"cjson.decode("\"\\u\"")"#,
        r#"false "user_script:26: Expected value but found invalid unicode escape code at character 2""#,
    ),
    (
        r#"cjson.decode("\"\\")"#,
        r#"false "user_script:26: Expected value but found invalid escape code at character 2""#,
    ),
    (
        r#"cjson.decode("\"\\u0041\\\"")"#,
        r#"false "user_script:26: Expected value but found unexpected end of string at character 10""#,
    ),
    (
        r#"cjson.decode("\"\\u0080\\u07ff\\u0800\\uffff\"")"#,
        r#"true "\194\128\223\191\224\160\128\239\191\191""#,
    ),
    (
        r#"cjson.decode("\"\\uD800\\uDC00\"")"#,
        r#"true "\240\144\128\128""#,
    ),
    (
        r#"cjson.decode("\"\\uDC00\\uD800\"")"#,
        r#"false "user_script:26: Expected value but found invalid unicode escape code at character 2""#,
    ),
    (
        r#"cjson.decode("[\"\\uD800x\"]")"#,
        r#"false "user_script:26: Expected value but found invalid unicode escape code at character 3""#,
    ),
    (r#"cjson.decode("0.1e1")"#, r#"true 1"#),
    (
        r#"cjson.decode("1.7976931348623157e308")"#,
        r#"true 1.7976931348623157e+308"#,
    ),
    (
        r#"cjson.decode("4.9e-324")"#,
        r#"true 4.9406564584124654e-324"#,
    ),
    (
        r#"cjson.decode("2.2250738585072011e-308")"#,
        r#"true 2.2250738585072009e-308"#,
    ),
    (r#"cjson.decode("[1,[2,[3]]]")[2][2][1]"#, r#"true 3"#),
    (
        r#"cjson.decode(string.rep("[", 1000) .. string.rep("]", 1000)) ~= nil"#,
        r#"true true"#,
    ),
    (
        r#"cjson.decode(string.rep("[", 1001) .. string.rep("]", 1001))"#,
        r#"false "user_script:26: Found too many nested data structures (1001) at character 1001""#,
    ),
    (
        r#"cjson.decode(string.rep("{\"a\":", 1000) .. "1" .. string.rep("}", 1000)) ~= nil"#,
        r#"true true"#,
    ),
    (
        r#"cjson.decode(string.rep("{\"a\":", 1001) .. "1" .. string.rep("}", 1001))"#,
        r#"false "user_script:26: Found too many nested data structures (1001) at character 5001""#,
    ),
    (
        r#"cjson.decode(string.rep("[", 100000))"#,
        r#"false "user_script:26: Found too many nested data structures (1001) at character 1001""#,
    ),
    (
        r#"cjson.decode(string.rep("[", 999) .. "1,2" .. string.rep("]", 999))[1] ~= nil"#,
        r#"true true"#,
    ),
    (
        r#"cjson.encode(cjson.decode(string.rep("[", 1000) .. string.rep("]", 1000))) == string.rep("[", 1000) .. string.rep("]", 1000)"#,
        r#"true false"#,
    ),
    (
        r#"(function() local t = {} local c = t for i = 1, 999 do c[1] = {} c = c[1] end return #cjson.encode(t) end)()"#,
        r#"true 2000"#,
    ),
    (
        r#"(function() local t = {} local c = t for i = 1, 1000 do c[1] = {} c = c[1] end return #cjson.encode(t) end)()"#,
        r#"false "user_script:26: Cannot serialise, excessive nesting (1001)""#,
    ),
    (
        r#"(function() local t = {} local c = t for i = 1, 1000 do c.a = {} c = c.a end return cjson.encode(t) end)()"#,
        r#"false "user_script:26: Cannot serialise, excessive nesting (1001)""#,
    ),
    (
        r#"(function() local t = {} t[1] = t return cjson.encode(t) end)()"#,
        r#"false "user_script:26: Cannot serialise, excessive nesting (1001)""#,
    ),
];

const CONFIG_CASES: &[(&str, &str)] = &[
    (r#"cjson.encode_keep_buffer(true)"#, r#"true true"#),
    (r#"cjson.encode_keep_buffer(false)"#, r#"true false"#),
    (r#"cjson.encode_keep_buffer()"#, r#"true true"#),
    (r#"cjson.encode_keep_buffer("on")"#, r#"true true"#),
    (r#"cjson.encode_keep_buffer("off")"#, r#"true false"#),
    (
        r#"cjson.encode_keep_buffer("x")"#,
        r#"false "user_script:26: bad argument #1 to 'encode_keep_buffer' (invalid option 'x')""#,
    ),
    (r#"cjson.encode_max_depth()"#, r#"true 1000"#),
    (
        r#"cjson.encode_max_depth(0)"#,
        r#"false "user_script:26: bad argument #1 to 'encode_max_depth' (expected integer between 1 and 2147483647)""#,
    ),
    (
        r#"cjson.encode_max_depth(2^31)"#,
        r#"false "user_script:26: bad argument #1 to 'encode_max_depth' (expected integer between 1 and 2147483647)""#,
    ),
    (r#"cjson.encode_max_depth(2^31-1)"#, r#"true 2147483647"#),
    (r#"cjson.encode_max_depth(1.5)"#, r#"true 1"#),
    (r#"cjson.encode_max_depth("3")"#, r#"true 3"#),
    (r#"cjson.decode_max_depth()"#, r#"true 1000"#),
    (
        r#"cjson.decode_max_depth(0)"#,
        r#"false "user_script:26: bad argument #1 to 'decode_max_depth' (expected integer between 1 and 2147483647)""#,
    ),
    (r#"cjson.encode_invalid_numbers()"#, r#"true false"#),
    (r#"cjson.encode_invalid_numbers(true)"#, r#"true true"#),
    (r#"cjson.encode_invalid_numbers("null")"#, r#"true "null""#),
    (
        r#"cjson.encode_invalid_numbers("x")"#,
        r#"false "user_script:26: bad argument #1 to 'encode_invalid_numbers' (invalid option 'x')""#,
    ),
    (r#"cjson.decode_invalid_numbers()"#, r#"true true"#),
    (r#"cjson.decode_invalid_numbers(false)"#, r#"true false"#),
    (
        r#"cjson.decode_invalid_numbers("null")"#,
        r#"false "user_script:26: bad argument #1 to 'decode_invalid_numbers' (invalid option 'null')""#,
    ),
    (r#"cjson.encode_sparse_array()"#, r#"true false 2 10"#),
    (r#"cjson.encode_sparse_array(true)"#, r#"true true 2 10"#),
    (
        r#"cjson.encode_sparse_array(false, 3, 2)"#,
        r#"true false 3 2"#,
    ),
    (
        r#"cjson.encode_sparse_array(true, -1)"#,
        r#"false "user_script:26: bad argument #1 to 'encode_sparse_array' (expected integer between 0 and 2147483647)""#,
    ),
    (
        r#"cjson.encode_sparse_array(nil, nil, 0)"#,
        r#"true false 2 0"#,
    ),
    (
        r#"cjson.encode_sparse_array(1)"#,
        r#"false "user_script:26: bad argument #1 to 'encode_sparse_array' (invalid option '1')""#,
    ),
    (r#"cjson.encode_number_precision()"#, r#"true 14"#),
    (r#"cjson.encode_number_precision(3)"#, r#"true 3"#),
    (
        r#"cjson.encode_number_precision(0)"#,
        r#"false "user_script:26: bad argument #1 to 'encode_number_precision' (expected integer between 1 and 14)""#,
    ),
    (
        r#"cjson.encode_number_precision(15)"#,
        r#"false "user_script:26: bad argument #1 to 'encode_number_precision' (expected integer between 1 and 14)""#,
    ),
    (
        r#"cjson.encode_number_precision("x")"#,
        r#"false "user_script:26: bad argument #1 to 'encode_number_precision' (number expected, got string)""#,
    ),
    (
        r#"cjson.encode_max_depth(1, 2)"#,
        r#"false "user_script:26: bad argument #2 to 'encode_max_depth' (found too many arguments)""#,
    ),
    (
        r#"(function() cjson.encode_max_depth(2) return cjson.encode({{1}}) end)()"#,
        r#"true "[[1]]""#,
    ),
    (
        r#"(function() cjson.encode_max_depth(2) return cjson.encode({{{1}}}) end)()"#,
        r#"false "user_script:26: Cannot serialise, excessive nesting (3)""#,
    ),
    (
        r#"(function() cjson.decode_max_depth(2) return cjson.decode("[[1]]") end)()"#,
        r#"true {1={1=1}}"#,
    ),
    (
        r#"(function() cjson.decode_max_depth(2) return cjson.decode("[[[1]]]") end)()"#,
        r#"false "user_script:26: Found too many nested data structures (3) at character 3""#,
    ),
    (
        r#"(function() cjson.encode_invalid_numbers(true) return cjson.encode({1/0, -1/0, 0/0}) end)()"#,
        r#"true "[inf,-inf,nan]""#,
    ),
    (
        r#"(function() cjson.encode_invalid_numbers("null") return cjson.encode({1/0, -1/0, 0/0}) end)()"#,
        r#"true "[null,null,null]""#,
    ),
    (
        r#"(function() cjson.encode_invalid_numbers(true) return cjson.encode({[1/0]=1}) end)()"#,
        r#"true "{"inf":1}""#,
    ),
    (
        r#"(function() cjson.decode_invalid_numbers(false) return {pcall(cjson.decode, "-inf")} end)()"#,
        r#"true {1=false,2="Expected value but found invalid number at character 1"}"#,
    ),
    (
        r#"(function() cjson.decode_invalid_numbers(false) return {pcall(cjson.decode, "01")} end)()"#,
        r#"true {1=false,2="Expected value but found invalid number at character 1"}"#,
    ),
    (
        r#"(function() cjson.decode_invalid_numbers(false) return {pcall(cjson.decode, "0x10")} end)()"#,
        r#"true {1=false,2="Expected value but found invalid number at character 1"}"#,
    ),
    (
        r#"(function() cjson.decode_invalid_numbers(false) return {pcall(cjson.decode, "nan")} end)()"#,
        r#"true {1=false,2="Expected value but found invalid token at character 1"}"#,
    ),
    (
        r#"(function() cjson.decode_invalid_numbers(false) return {pcall(cjson.decode, "-nan")} end)()"#,
        r#"true {1=false,2="Expected value but found invalid number at character 1"}"#,
    ),
    (
        r#"(function() cjson.decode_invalid_numbers(false) return {pcall(cjson.decode, "00")} end)()"#,
        r#"true {1=false,2="Expected value but found invalid number at character 1"}"#,
    ),
    (
        r#"(function() cjson.decode_invalid_numbers(false) return {pcall(cjson.decode, "-01")} end)()"#,
        r#"true {1=false,2="Expected value but found invalid number at character 1"}"#,
    ),
    (
        r#"(function() cjson.decode_invalid_numbers(true) return {pcall(cjson.decode, "inf")} end)()"#,
        r#"true {1=true,2=inf}"#,
    ),
    (
        r#"(function() cjson.decode_invalid_numbers(true) return {pcall(cjson.decode, "nan")} end)()"#,
        r#"true {1=true,2=nan}"#,
    ),
    (
        r#"(function() cjson.decode_invalid_numbers(true) return {pcall(cjson.decode, "Infinity")} end)()"#,
        r#"true {1=true,2=inf}"#,
    ),
    (
        r#"(function() cjson.encode_sparse_array(true) return cjson.encode({[1]=1, [20]=2}) end)()"#,
        r#"true "{"1":1,"20":2}""#,
    ),
    (
        r#"(function() cjson.encode_sparse_array(true) return cjson.encode({[1]=1, [20]=2, x=1}) end)()"#,
        r#"true "{"1":1,"x":1,"20":2}""#,
    ),
    (
        r#"(function() cjson.encode_sparse_array(false, 1, 0) return cjson.encode({[1]=1, [2000]=2}) end)()"#,
        r#"false "user_script:26: Cannot serialise table: excessively sparse array""#,
    ),
    (
        r#"(function() cjson.encode_sparse_array(false, 3, 2) return {pcall(cjson.encode, {[1]=1, [4]=2})} end)()"#,
        r#"true {1=true,2="[1,null,null,2]"}"#,
    ),
    (
        r#"(function() cjson.encode_sparse_array(false, 3, 2) return {pcall(cjson.encode, {[1]=1, [2]=2, [3]=1, [9]=1})} end)()"#,
        r#"true {1=true,2="[1,2,1,null,null,null,null,null,1]"}"#,
    ),
    (
        r#"(function() cjson.encode_sparse_array(false, 3, 2) return {pcall(cjson.encode, {[1]=1, [2]=2, [3]=1, [10]=1})} end)()"#,
        r#"true {1=true,2="[1,2,1,null,null,null,null,null,null,1]"}"#,
    ),
    (
        r#"(function() cjson.encode_number_precision(3) return cjson.encode({1/3, 12345, 0.0001234}) end)()"#,
        r#"true "[0.333,1.23e+04,0.000123]""#,
    ),
    (
        r#"(function() cjson.encode_number_precision(1) return cjson.encode(15) end)()"#,
        r#"true "2e+01""#,
    ),
    (
        r#"(function() cjson.encode_keep_buffer(false) return cjson.encode({1}) end)()"#,
        r#"true "[1]""#,
    ),
    (
        r#"(function() local c = cjson.new() c.encode_number_precision(2) return {c.encode(1/3), cjson.encode(1/3)} end)()"#,
        r#"true {1="0.33",2="0.33333333333333"}"#,
    ),
    (
        r#"(function() local c = cjson.new() return c.encode_number_precision() end)()"#,
        r#"true 14"#,
    ),
    (
        r#"(function() local c = cjson.new() return c.new ~= nil end)()"#,
        r#"true true"#,
    ),
];
const MALFORMED_CASES: &[(&str, &str)] = &[
    (
        r#"cjson.decode("\"" .. string.rep("\\", 100001))"#,
        r#"false "user_script:26: Expected value but found invalid escape code at character 100002""#,
    ),
    (
        r#"cjson.decode("[1e999999999999999999999]")[1]"#,
        r#"true inf"#,
    ),
    (
        r#"cjson.decode("\"\\ud800\\u")"#,
        r#"false "user_script:26: Expected value but found invalid unicode escape code at character 2""#,
    ),
    (
        r#"cjson.decode("\"\\ud800\\udc0")"#,
        r#"false "user_script:26: Expected value but found invalid unicode escape code at character 2""#,
    ),
    (
        r#"(function() cjson.encode_max_depth(2^31 - 1) local t = {} t[1] = t return cjson.encode(t) end)()"#,
        r#"false "user_script:26: Cannot serialise, excessive nesting (7998)""#,
    ),
    (
        r#"(function() cjson.decode_max_depth(2^31 - 1) return cjson.decode(string.rep("[", 100000)) end)()"#,
        r#"false "user_script:26: Found too many nested data structures (7999) at character 7999""#,
    ),
];
