use crate::testutil::{apply, c, err, read, show};
use crate::{Engine, LogCommand};

/// The dataset of the reference digests, which redis-server 7.0.15 answered for it.
const DATASET: &[&str] = &[
    "SET s hello",
    "RPUSH l a b 3",
    "SADD si 1 2 3",
    "SADD ss x y",
    "ZADD z 1 a 2.5 b",
    "HSET h f v g 12",
    "XADD x 1-1 f v",
    "XADD x 2-0 a b c d",
    "SET e v PX 100000",
    "SET n 12345",
];

fn loaded() -> Engine {
    let mut e = Engine::default();
    for line in DATASET {
        apply(&mut e, 1000, *line);
    }
    e
}

fn digest(e: &Engine) -> String {
    show(&read(e, 1000, "DEBUG DIGEST"))
}

#[test]
fn digest_values_are_those_of_redis_for_every_type() {
    let e = loaded();
    let cases = [
        ("s", "36b23a1456b2dce2c3ed252c456761301dba8060"),
        ("l", "09eb1fc9381ee92790d59930ab462945f8cd948b"),
        ("si", "2a462a3f51a1db89738ebbeef0c47ce1bbc85246"),
        ("ss", "36846f8a92fb6b6b824c73bf468c5bbcf5075ede"),
        ("z", "c45c5b051acd64070e5ed1a949939d5145f806c5"),
        ("h", "8530acc75d5274eb0fc0da86f28ed5533274a6d4"),
        ("x", "d127ad1a764bddf9f56363e13b514ba7995a1775"),
        ("e", "311b17018163335616e089f6b951c82c477335ac"),
        ("n", "e1cf90774e995ae03de66e8109dc5cb9d9c2dc83"),
        ("missing", "0000000000000000000000000000000000000000"),
    ];
    for (key, expected) in cases {
        let reply = read(&e, 1000, &["DEBUG", "DIGEST-VALUE", key][..]);
        assert_eq!(show(&reply), format!("[+{expected}]"), "{key}");
    }
    assert_eq!(show(&read(&e, 1000, "DEBUG DIGEST-VALUE")), "[]");
}

#[test]
fn scores_enter_the_digest_as_redis_prints_them() {
    let mut e = Engine::default();
    apply(&mut e, 1, "ZADD z 0.1 m");
    apply(&mut e, 1, "ZADD z2 inf m");
    assert_eq!(
        show(&read(&e, 1, "DEBUG DIGEST-VALUE z z2")),
        "[+285a6e508750d13f749019c7cddbd43bf282cb72 +61a9a206eaf26d298dc4d0f7c1b377be6038b61f]"
    );
}

#[test]
fn the_dataset_digest_is_that_of_redis_and_counts_each_database() {
    let mut e = Engine::default();
    assert_eq!(digest(&e), "+0000000000000000000000000000000000000000");
    apply(&mut e, 1, "SET s hello");
    assert_eq!(digest(&e), "+a500c6b54937da22f2ac1167da1da852479c7339");
    let mut e = loaded();
    assert_eq!(digest(&e), "+d3acd744c3780eed1ddac57fb94c8d09fe816731");
    let in_db1 = LogCommand::run(1000, 1, vec![c("SET s hello")]);
    e.apply(1000, &in_db1);
    assert_eq!(digest(&e), "+93c4d6b29b921cbaacb131ae1cfbc397f88f2513");
}

#[test]
fn the_digest_does_not_depend_on_the_order_of_writes_nor_on_encodings() {
    let mut first = Engine::default();
    apply(&mut first, 1, "HSET h a 1 b 2");
    apply(&mut first, 1, "SADD s 1 2");
    let mut second = Engine::default();
    apply(&mut second, 1, "CONFIG SET hash-max-listpack-entries 1");
    apply(&mut second, 1, "SADD s 2 1");
    apply(&mut second, 1, "HSET h b 2 a 1");
    assert_eq!(digest(&first), digest(&second));
    apply(&mut second, 1, "SADD s 3");
    assert_ne!(digest(&first), digest(&second));
}

#[test]
fn a_stored_key_past_its_deadline_still_counts_as_in_redis() {
    let mut e = Engine::default();
    apply(&mut e, 1000, "SET k v PX 10");
    let before = digest(&e);
    assert_ne!(before, "+0000000000000000000000000000000000000000");
    assert_eq!(show(&read(&e, 5000, "DEBUG DIGEST")), before);
    assert_eq!(
        show(&read(&e, 5000, "DEBUG DIGEST-VALUE k")),
        "[+311b17018163335616e089f6b951c82c477335ac]"
    );
}

#[test]
fn debug_object_gives_redis_fields_from_the_value() {
    let mut e = loaded();
    assert_eq!(
        read(&e, 1000, "DEBUG OBJECT s"),
        crate::Reply::Simple(
            "Value at:0x0 refcount:1 encoding:embstr serializedlength:6 lru:0 \
             lru_seconds_idle:0"
                .into()
        )
    );
    assert!(show(&read(&e, 1000, "DEBUG OBJECT si")).contains(" encoding:intset "));
    assert!(show(&read(&e, 1000, "DEBUG OBJECT h")).contains(" encoding:listpack "));
    apply(&mut e, 1000, "RPUSH two a b");
    let list = show(&read(&e, 1000, "DEBUG OBJECT two"));
    assert!(
        list.contains(" encoding:quicklist ") && list.contains(" ql_nodes:1 ql_avg_node:2.00 "),
        "{list}"
    );
    assert_eq!(
        read(&e, 1000, "DEBUG OBJECT missing"),
        err("ERR no such key")
    );
    assert_eq!(read(&e, 200_000, "DEBUG OBJECT e"), err("ERR no such key"));
}

#[test]
fn debug_listpack_answers_for_compact_values_only() {
    let e = loaded();
    assert_eq!(
        show(&read(&e, 1000, "DEBUG LISTPACK h")),
        "+Listpack structure printed on stdout"
    );
    for key in ["l", "s", "si"] {
        let reply = read(&e, 1000, &["DEBUG", "LISTPACK", key][..]);
        assert_eq!(reply, err("ERR Not a listpack encoded object."), "{key}");
    }
    assert_eq!(
        read(&e, 1000, "DEBUG LISTPACK nope"),
        err("ERR no such key")
    );
}

#[test]
fn unknown_subcommands_and_wrong_arities_get_redis_one_line() {
    let e = Engine::default();
    for (line, sub) in [
        ("DEBUG nosuch", "nosuch"),
        ("DEBUG DIGEST x", "DIGEST"),
        ("DEBUG OBJECT", "OBJECT"),
        ("DEBUG JMAP", "JMAP"),
    ] {
        let expected = format!(
            "ERR unknown subcommand or wrong number of arguments for '{sub}'. Try DEBUG HELP."
        );
        assert_eq!(read(&e, 1, line), err(&expected), "{line}");
    }
    assert_eq!(
        read(&e, 1, "DEBUG"),
        err("ERR wrong number of arguments for 'debug' command")
    );
}
