use super::*;

#[test]
fn classes_parse_and_show_as_redis_7_0_does() {
    let cases = [
        ("", ""),
        ("KEA", "AKE"),
        ("g$lshzxetd", "A"),
        ("Ex", "xE"),
        ("lK", "lK"),
        ("EmKn", "nKEm"),
        ("zzhg", "ghz"),
        // Redis shows A alone for all its classes, leaving out n (it keeps it set).
        ("AnK", "AK"),
    ];
    for (given, shown) in cases {
        let mask = parse_classes(given.as_bytes()).unwrap();
        assert_eq!(show_classes(mask), shown, "{given}");
    }
    let all_and_new = parse_classes(b"AnK").unwrap();
    assert!(Class(all_and_new).has_any(Class::NEW));
    assert_eq!(parse_classes(b"KEx\0junk"), parse_classes(b"KEx"));
    for bad in ["KEq", "a", "k", "M", " "] {
        assert_eq!(parse_classes(bad.as_bytes()), Err(INVALID_CLASS), "{bad}");
    }
}
