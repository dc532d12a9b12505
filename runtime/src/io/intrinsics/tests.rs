//! Unit tests of the intrinsic functions.

use super::*;
use serde_json::json;

fn eval_with(text: &str, input: &Value) -> Result<Value, StatesError> {
    let call = IntrinsicCall::parse(text).unwrap();
    evaluate(&call, &mut |p: &Path| {
        p.select_value(input)
            .map(Cow::Owned)
            .ok_or_else(|| StatesError::runtime(format!("missing {p}")))
    })
}

fn eval(text: &str) -> Value {
    eval_with(text, &json!({})).unwrap()
}

fn fails(text: &str, input: Value) -> String {
    let e = eval_with(text, &input).unwrap_err();
    assert_eq!(e.error, "States.IntrinsicFailure", "{e}");
    e.cause
}

#[test]
fn format_values() {
    let input = json!({"s": "x", "i": 1, "f": 1.1, "n": null, "b": true, "o": {"Arg1": 1, "Arg2": []},
        "a": [1, "two", null, {"k": 2.0}], "big": 1e21, "small": 0.0001, "two": 2.0});
    assert_eq!(
        eval_with(
            "States.Format('{} {} {} {} {}', $.s, $.i, $.f, $.n, $.b)",
            &input
        )
        .unwrap(),
        json!("x 1 1.1 null true")
    );
    assert_eq!(
        eval_with("States.Format('{}', $.o)", &input).unwrap(),
        json!("{Arg1=1, Arg2=[]}")
    );
    assert_eq!(
        eval_with("States.Format('{}', $.a)", &input).unwrap(),
        json!("[1, two, null, {k=2.0}]")
    );
    assert_eq!(
        eval_with("States.Format('{} {} {}', $.big, $.small, $.two)", &input).unwrap(),
        json!("1.0E21 1.0E-4 2.0")
    );
    assert_eq!(
        eval("States.Format('no placeholders')"),
        json!("no placeholders")
    );
    assert_eq!(eval(r"States.Format('\{\} {}', 'x')"), json!("{} x"));
    assert_eq!(eval("States.Format('{}{}', 'a', 'b')"), json!("ab"));
    // A template read from a path: every `{}` is a placeholder.
    let input = json!({"t": "Hello, {}!", "name": "Arnav"});
    assert_eq!(
        eval_with("States.Format($.t, $.name)", &input).unwrap(),
        json!("Hello, Arnav!")
    );
}

#[test]
fn format_errors() {
    assert_eq!(
        fails("States.Format('{} {}', 'a')", json!({})),
        "States.Format: the template has 2 placeholders but 1 value was given"
    );
    assert_eq!(
        fails("States.Format('{}', 'a', 'b')", json!({})),
        "States.Format: the template has 1 placeholder but 2 values were given"
    );
    assert_eq!(
        fails("States.Format($.t)", json!({"t": 5})),
        "States.Format: the template (first argument) must be a string, found the number 5"
    );
}

#[test]
fn java_doubles() {
    for (x, s) in [
        (1.0, "1.0"),
        (-1.5, "-1.5"),
        (0.001, "0.001"),
        (0.000_123, "1.23E-4"),
        (1_234_567.0, "1234567.0"),
        (12_345_678.0, "1.2345678E7"),
        (-0.0, "-0.0"),
        (1e-300, "1.0E-300"),
    ] {
        assert_eq!(java_double(x), s);
    }
}

#[test]
fn string_to_json() {
    let input = json!({"e": "", "b": "  ", "z": "-0", "i": "1", "f": "1.1", "s": "\"HelloWorld\"",
        "a": "[1, 2, \"HelloWorld\"]", "o": "{\"Arg1\": 1, \"Arg2\": [-0, -0.0, \"-0\"]}", "t": "true", "n": "null"});
    let ev = |p: &str| eval_with(&format!("States.StringToJson($.{p})"), &input).unwrap();
    assert_eq!(ev("e"), Value::Null);
    assert_eq!(ev("b"), Value::Null);
    assert_eq!(ev("z"), json!(0));
    assert!(ev("z").is_i64());
    assert_eq!(ev("i"), json!(1));
    assert_eq!(ev("f"), json!(1.1));
    assert_eq!(ev("s"), json!("HelloWorld"));
    assert_eq!(ev("a"), json!([1, 2, "HelloWorld"]));
    let o = ev("o");
    assert_eq!(o, json!({"Arg1": 1, "Arg2": [0, -0.0, "-0"]}));
    assert!(o["Arg2"][0].is_i64());
    assert!(o["Arg2"][1].is_f64());
    assert_eq!(ev("t"), json!(true));
    assert_eq!(ev("n"), Value::Null);
    assert_eq!(eval(r#"States.StringToJson('{"a": 1}')"#), json!({"a": 1}));
    assert!(fails("States.StringToJson($.x)", json!({"x": "{nope"}))
        .starts_with("States.StringToJson: the argument is not valid JSON: "));
    assert_eq!(
        fails("States.StringToJson($.x)", json!({"x": 1})),
        "States.StringToJson: the argument must be a string, found the number 1"
    );
}

#[test]
fn json_to_string() {
    let input = json!({"n": null, "z": 0, "f": 1.1, "b": true, "s": "HelloWorld", "a": [1, 2, "HelloWorld"],
        "o": {"Arg1": 1, "Arg2": []}});
    let ev = |p: &str| eval_with(&format!("States.JsonToString($.{p})"), &input).unwrap();
    assert_eq!(ev("n"), json!("null"));
    assert_eq!(ev("z"), json!("0"));
    assert_eq!(ev("f"), json!("1.1"));
    assert_eq!(ev("b"), json!("true"));
    assert_eq!(ev("s"), json!("\"HelloWorld\""));
    assert_eq!(ev("a"), json!("[1,2,\"HelloWorld\"]"));
    assert_eq!(ev("o"), json!("{\"Arg1\":1,\"Arg2\":[]}"));
}

#[test]
fn array() {
    assert_eq!(eval("States.Array()"), json!([]));
    assert_eq!(
        eval_with(
            "States.Array($.a, 'b', 3, States.Array())",
            &json!({"a": {"x": 1}})
        )
        .unwrap(),
        json!([{"x": 1}, "b", 3, []])
    );
}

#[test]
fn array_partition() {
    let input = json!({"a": [1, 2, 3, 4, 5, 6, 7, 8, 9], "e": []});
    assert_eq!(
        eval_with("States.ArrayPartition($.a, 4)", &input).unwrap(),
        json!([[1, 2, 3, 4], [5, 6, 7, 8], [9]])
    );
    assert_eq!(
        eval_with("States.ArrayPartition($.a, 9)", &input).unwrap(),
        json!([[1, 2, 3, 4, 5, 6, 7, 8, 9]])
    );
    assert_eq!(
        eval_with("States.ArrayPartition($.e, 2)", &input).unwrap(),
        json!([])
    );
    assert_eq!(
        eval_with("States.ArrayPartition($.a, 5.0)", &input).unwrap(),
        json!([[1, 2, 3, 4, 5], [6, 7, 8, 9]])
    );
    assert_eq!(
        eval_with("States.ArrayPartition($.a, 9223372036854775807)", &input).unwrap(),
        json!([[1, 2, 3, 4, 5, 6, 7, 8, 9]])
    );
    assert_eq!(
        fails("States.ArrayPartition($.a, 0)", input.clone()),
        "States.ArrayPartition: the chunk size must be a positive integer, found 0"
    );
    assert_eq!(
        fails("States.ArrayPartition($.a, -1)", input.clone()),
        "States.ArrayPartition: the chunk size must be a positive integer, found -1"
    );
    assert_eq!(
        fails("States.ArrayPartition($.a, 1.5)", input.clone()),
        "States.ArrayPartition: the chunk size must be an integer, found the number 1.5"
    );
    assert_eq!(
        fails("States.ArrayPartition('abc', 1)", input),
        "States.ArrayPartition: the first argument must be an array, found the string \"abc\""
    );
}

#[test]
fn array_contains() {
    let input = json!({"a": [[1, 2, 3], 2, {"1": 2, "2": []}, true], "v": [1, 2, 3], "o": {"1": 2, "2": []}});
    assert_eq!(
        eval_with("States.ArrayContains($.a, $.v)", &input).unwrap(),
        json!(true)
    );
    assert_eq!(
        eval_with("States.ArrayContains($.a, $.o)", &input).unwrap(),
        json!(true)
    );
    assert_eq!(
        eval_with("States.ArrayContains($.a, 2)", &input).unwrap(),
        json!(true)
    );
    assert_eq!(
        eval_with("States.ArrayContains($.a, false)", &input).unwrap(),
        json!(false)
    );
    assert_eq!(
        eval_with("States.ArrayContains($.a, null)", &input).unwrap(),
        json!(false)
    );
    assert_eq!(
        eval_with("States.ArrayContains(States.Array(), 1)", &input).unwrap(),
        json!(false)
    );
    assert_eq!(
        fails("States.ArrayContains($.o, 1)", input),
        "States.ArrayContains: the first argument must be an array, found an object"
    );
}

#[test]
fn array_range() {
    assert_eq!(eval("States.ArrayRange(1, 9, 2)"), json!([1, 3, 5, 7, 9]));
    assert_eq!(eval("States.ArrayRange(0, 10, 3)"), json!([0, 3, 6, 9]));
    assert_eq!(eval("States.ArrayRange(1, 9, 9)"), json!([1]));
    assert_eq!(eval("States.ArrayRange(5, 5, 1)"), json!([5]));
    assert_eq!(eval("States.ArrayRange(9, 1, -4)"), json!([9, 5, 1]));
    assert_eq!(eval("States.ArrayRange(9, 1, 1)"), json!([]));
    assert_eq!(
        eval("States.ArrayRange(1, 1000, 1)")
            .as_array()
            .unwrap()
            .len(),
        1000
    );
    assert_eq!(
        fails("States.ArrayRange(0, 1000, 1)", json!({})),
        "States.ArrayRange: the range would hold 1001 items; at most 1000 are allowed"
    );
    assert_eq!(
        fails("States.ArrayRange(-9223372036854775808, 9223372036854775807, 1)", json!({})),
        "States.ArrayRange: the range would hold 18446744073709551616 items; at most 1000 are allowed"
    );
    assert_eq!(
        fails("States.ArrayRange(0, 10, 0)", json!({})),
        "States.ArrayRange: the step (third argument) must not be 0"
    );
    assert_eq!(
        fails("States.ArrayRange(0, 'a', 1)", json!({})),
        "States.ArrayRange: the end must be an integer, found the string \"a\""
    );
    assert_eq!(
        fails("States.ArrayRange(0.5, 3, 1)", json!({})),
        "States.ArrayRange: the start must be an integer, found the number 0.5"
    );
}

#[test]
fn array_get_item() {
    let input = json!({"a": [1, 2, 3, 4, 5, 6, 7, 8, 9]});
    assert_eq!(
        eval_with("States.ArrayGetItem($.a, 5)", &input).unwrap(),
        json!(6)
    );
    assert_eq!(
        eval_with("States.ArrayGetItem($.a, 0)", &input).unwrap(),
        json!(1)
    );
    assert_eq!(
        fails("States.ArrayGetItem($.a, 9)", input.clone()),
        "States.ArrayGetItem: the index 9 is out of bounds for an array of 9 items"
    );
    assert_eq!(
        fails("States.ArrayGetItem($.a, -1)", input.clone()),
        "States.ArrayGetItem: the index must be a non-negative integer, found -1"
    );
    assert_eq!(
        fails("States.ArrayGetItem($.a, '1')", input.clone()),
        "States.ArrayGetItem: the index must be an integer, found the string \"1\""
    );
    assert_eq!(
        fails("States.ArrayGetItem(States.Array(1), 1)", input),
        "States.ArrayGetItem: the index 1 is out of bounds for an array of 1 item"
    );
}

#[test]
fn array_length_and_unique() {
    let input = json!({"a": [null, null, true, true, false, 1, 1, 1.0, 1.1, "x", "x", [], [], [null], [null],
        {"a": 1, "b": 2}, {"b": 2, "a": 1}, {"a": 1, "b": 1}]});
    assert_eq!(
        eval_with("States.ArrayLength($.a)", &input).unwrap(),
        json!(18)
    );
    assert_eq!(eval("States.ArrayLength(States.Array())"), json!(0));
    assert_eq!(
        eval_with("States.ArrayUnique($.a)", &input).unwrap(),
        json!([null, true, false, 1, 1.0, 1.1, "x", [], [null], {"a": 1, "b": 2}, {"a": 1, "b": 1}])
    );
    assert_eq!(
        fails("States.ArrayLength($.x)", json!({"x": "abc"})),
        "States.ArrayLength: the argument must be an array, found the string \"abc\""
    );
    assert_eq!(
        fails("States.ArrayUnique($.x)", json!({"x": null})),
        "States.ArrayUnique: the argument must be an array, found null"
    );
}

#[test]
fn base64() {
    assert_eq!(
        eval("States.Base64Encode('Data to encode')"),
        json!("RGF0YSB0byBlbmNvZGU=")
    );
    assert_eq!(eval("States.Base64Encode('')"), json!(""));
    assert_eq!(
        eval("States.Base64Decode('RGF0YSB0byBlbmNvZGU=')"),
        json!("Data to encode")
    );
    assert_eq!(
        eval("States.Base64Decode('RGF0YSB0byBlbmNvZGU')"),
        json!("Data to encode")
    );
    assert_eq!(
        eval("States.Base64Decode(States.Base64Encode('héllo ✓'))"),
        json!("héllo ✓")
    );
    assert!(fails("States.Base64Decode('%%%')", json!({}))
        .starts_with("States.Base64Decode: the argument is not valid base64"));
    let long = "a".repeat(10_001);
    assert_eq!(
        fails("States.Base64Encode($.s)", json!({"s": long})),
        "States.Base64Encode: the argument has 10001 characters; at most 10000 are allowed"
    );
    assert_eq!(
        eval_with(
            "States.Base64Encode($.s)",
            &json!({"s": "é".repeat(10_000)})
        )
        .unwrap()
        .as_str()
        .map(str::len),
        Some(26_668)
    );
    assert_eq!(
        fails("States.Base64Encode(1)", json!({})),
        "States.Base64Encode: the argument must be a string, found the number 1"
    );
}

#[test]
fn hashes() {
    for (alg, h) in [
        ("MD5", "812f45842bc6d66ee14572ce20db8e86"),
        ("SHA-1", "aaff4a450a104cd177d28d18d74485e8cae074b7"),
        ("SHA-256", "b4a697a057313163aee33cd8d40c66e9f0f177e00cac2de32475ffff6169c3e3"),
        (
            "SHA-384",
            "d28a7d5cf25a74f11a50a18452b75e04bb3d70c9dd0510d6123aa008c756511b87525bdc835ebb27e1fb9e9374a15562",
        ),
        (
            "SHA-512",
            "6ce4adb348546d4f449c4d25aad9a7c9cb711d9e91982d3f0b29ca2f3f47d4ce2deba23bf2954f0f1d593fc50283731a533d30d425402d4f91316d871303aac4",
        ),
    ] {
        assert_eq!(eval(&format!("States.Hash('input data', '{alg}')")), json!(h), "{alg}");
    }
    assert_eq!(
        fails("States.Hash('x', 'sha-256')", json!({})),
        "States.Hash: unsupported hash algorithm `sha-256`; use one of MD5, SHA-1, SHA-256, SHA-384, SHA-512"
    );
    assert_eq!(
        fails("States.Hash($.o, 'MD5')", json!({"o": {}})),
        "States.Hash: the data must be a string, found an object"
    );
}

#[test]
fn json_merge() {
    let input = json!({"a": {"a": {"a1": 1, "a2": 2}, "b": 2, "d": 3}, "b": {"a": {"a3": 1, "a4": 2}, "c": 3, "d": 4}});
    let merged = eval_with("States.JsonMerge($.a, $.b, false)", &input).unwrap();
    assert_eq!(
        merged,
        json!({"a": {"a3": 1, "a4": 2}, "b": 2, "d": 4, "c": 3})
    );
    let keys: Vec<&str> = merged
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(keys, ["a", "b", "d", "c"]);
    assert_eq!(
        fails("States.JsonMerge($.a, $.b, true)", input.clone()),
        "States.JsonMerge: deep merge is not supported: the third argument must be false"
    );
    assert_eq!(
        fails("States.JsonMerge($.a, $.b, 'false')", input.clone()),
        "States.JsonMerge: the third argument must be the boolean false, found the string \"false\""
    );
    assert_eq!(
        fails("States.JsonMerge($.a, States.Array(), false)", input),
        "States.JsonMerge: the second argument must be an object, found an array"
    );
}

#[test]
fn math_random() {
    for _ in 0..200 {
        let v = eval("States.MathRandom(1, 4)").as_i64().unwrap();
        assert!((1..4).contains(&v), "{v}");
    }
    let v = eval("States.MathRandom(12.5, 44.51)").as_i64().unwrap();
    assert!((13..45).contains(&v), "{v}");
    let a = eval("States.MathRandom(0, 999, 3)");
    assert_eq!(a, eval("States.MathRandom(0, 999, 3)"));
    assert!((0..999).contains(&a.as_i64().unwrap()));
    assert_eq!(eval("States.MathRandom(-5, -4)"), json!(-5));
    assert_eq!(
        fails("States.MathRandom(5, 5)", json!({})),
        "States.MathRandom: the start (5) must be less than the end (5); the end is exclusive"
    );
    assert_eq!(
        fails("States.MathRandom('a', 5)", json!({})),
        "States.MathRandom: the start must be a number, found the string \"a\""
    );
    assert_eq!(
        fails("States.MathRandom(0, 5, 'x')", json!({})),
        "States.MathRandom: the seed must be a number, found the string \"x\""
    );
}

#[test]
fn math_add() {
    let add = |a: Value, b: Value| {
        eval_with("States.MathAdd($.a, $.b)", &json!({"a": a, "b": b})).unwrap()
    };
    assert_eq!(add(json!(-9), json!(3)), json!(-6));
    assert_eq!(add(json!(111), json!(-1)), json!(110));
    // Java's Math.round on each argument: halves go towards positive infinity.
    assert_eq!(add(json!(1.49), json!(1.5)), json!(3));
    assert_eq!(add(json!(1.5), json!(1.51)), json!(4));
    assert_eq!(add(json!(-1.49), json!(-1.5)), json!(-2));
    assert_eq!(add(json!(-1.5), json!(-1.51)), json!(-3));
    assert_eq!(add(json!(0.5), json!(0)), json!(1));
    assert_eq!(add(json!(-0.5), json!(0.5)), json!(1));
    assert_eq!(add(json!(-0.5), json!(0)), json!(0));
    assert_eq!(add(json!(-2.5), json!(0)), json!(-2));
    assert_eq!(add(json!(2.5), json!(0)), json!(3));
    assert_eq!(add(json!(0.49999999999999994), json!(0)), json!(0));
    assert!(add(json!(1.5), json!(0)).is_i64());
    assert_eq!(
        add(json!(2147483647), json!(2147483647)),
        json!(4294967294i64)
    );
    assert_eq!(
        fails("States.MathAdd($.a, 1)", json!({"a": 2147483648i64})),
        "States.MathAdd: the first argument must be an integer between -2147483648 and 2147483647, found 2147483648"
    );
    assert_eq!(
        fails("States.MathAdd(1, $.a)", json!({"a": 1e300})),
        "States.MathAdd: the second argument must be an integer between -2147483648 and 2147483647, found 1e+300"
    );
    assert_eq!(
        fails("States.MathAdd(1, '2')", json!({})),
        "States.MathAdd: the second argument must be a number, found the string \"2\""
    );
}

#[test]
fn string_split() {
    let split = |s: &str, d: &str| {
        eval_with("States.StringSplit($.s, $.d)", &json!({"s": s, "d": d})).unwrap()
    };
    assert_eq!(split("1,2,3,4,5", ","), json!(["1", "2", "3", "4", "5"]));
    assert_eq!(
        split("This.is+a,test=string", ".+,="),
        json!(["This", "is", "a", "test", "string"])
    );
    assert_eq!(split(", , ,", ","), json!([" ", " "]));
    assert_eq!(split(" ", ","), json!([" "]));
    assert_eq!(
        split("split on T and \nnew line", "T\n"),
        json!(["split on ", " and ", "new line"])
    );
    assert_eq!(split("", ","), json!([]));
    assert_eq!(split("abc", ""), json!(["abc"]));
    assert_eq!(
        eval("States.StringSplit('Hello\nWorld', '\n')"),
        json!(["Hello", "World"])
    );
    assert_eq!(
        fails("States.StringSplit(1, ',')", json!({})),
        "States.StringSplit: the first argument must be a string, found the number 1"
    );
    assert_eq!(
        fails("States.StringSplit('a', null)", json!({})),
        "States.StringSplit: the delimiter must be a string, found null"
    );
}

#[test]
fn uuid_v4() {
    let a = eval("States.UUID()");
    let s = a.as_str().unwrap();
    let u = uuid::Uuid::parse_str(s).unwrap();
    assert_eq!(u.get_version_num(), 4);
    assert_eq!(s, s.to_lowercase());
    assert_eq!(s.len(), 36);
    assert_ne!(a, eval("States.UUID()"));
}

#[test]
fn nested_and_path_errors() {
    let input = json!({"name": "a-b-c"});
    assert_eq!(
        eval_with(
            "States.ArrayGetItem(States.StringSplit($.name, '-'), States.MathAdd(States.ArrayLength(States.StringSplit($.name, '-')), -1))",
            &input
        )
        .unwrap(),
        json!("c")
    );
    // A failing path read is passed through unchanged.
    let e = eval_with("States.Array($.missing)", &input).unwrap_err();
    assert_eq!(e, StatesError::runtime("missing $.missing"));
}
