use super::docs::{self, Argument};
use super::keyspec::{self, Begin, Find};
use super::*;
use crate::testutil::c;

/// Every command and subcommand of the table but the unit tests' own.
fn every() -> Vec<&'static CommandSpec> {
    let testing = |spec: &&CommandSpec| {
        crate::testutil::COMMANDS
            .iter()
            .any(|test| test.name == spec.name)
    };
    all()
        .iter()
        .flat_map(|spec| std::iter::once(*spec).chain(spec.subcommands()))
        .filter(|spec| !testing(spec))
        .collect()
}

/// Redis 7.0's command flags and doc groups, the only ones an entry may name.
const REDIS_FLAGS: &[&str] = &[
    "loading",
    "stale",
    "skip_monitor",
    "skip_slowlog",
    "no_auth",
    "may_replicate",
    "no_mandatory_keys",
    "no_async_loading",
    "no_multi",
    "allow_busy",
    "noscript",
    "admin",
    "readonly",
];
const GROUPS: &[&str] = &[
    "generic",
    "string",
    "list",
    "set",
    "sorted-set",
    "hash",
    "pubsub",
    "transactions",
    "connection",
    "server",
    "scripting",
    "hyperloglog",
    "cluster",
    "geo",
    "stream",
    "bitmap",
];

#[test]
fn every_entry_says_its_keys_flags_and_arguments_in_a_form_that_reads() {
    for spec in every() {
        let specs = keyspec::parse(spec.key_specs).unwrap_or_else(|e| panic!("{e}"));
        let arguments = docs::parse(spec.arguments).unwrap_or_else(|e| panic!("{e}"));
        for flag in spec.more_flags.split_whitespace() {
            assert!(REDIS_FLAGS.contains(&flag), "{}: {flag}", spec.name);
        }
        let group = spec.docs.split_whitespace().next();
        assert!(group.is_some_and(|g| GROUPS.contains(&g)), "{}", spec.name);
        // An argument's key specification exists.
        fn indexes(arguments: &[Argument], out: &mut Vec<u32>) {
            for argument in arguments {
                out.extend(argument.key_spec_index);
                indexes(&argument.arguments, out);
            }
        }
        let mut used = Vec::new();
        indexes(&arguments, &mut used);
        assert!(
            used.iter().all(|i| (*i as usize) < specs.len()),
            "{}",
            spec.name
        );
    }
}

/// The commands for which Redis 7.0 states no complexity (their cost is not one call's).
const NO_COMPLEXITY: &[&str] = &["lolwut", "monitor"];

#[test]
fn every_entry_has_its_own_summary_and_complexity_and_readable_history() {
    for spec in every() {
        let name = spec.name;
        let words = spec.summary.split_whitespace().count();
        assert!(
            (3..=20).contains(&words),
            "{name}: summary {:?}",
            spec.summary
        );
        assert!(
            !spec.summary.ends_with('.'),
            "{name}: one line, no full stop"
        );
        let complexity_given = !spec.complexity.is_empty();
        assert_eq!(complexity_given, !NO_COMPLEXITY.contains(&name), "{name}");
        // A container's cost is its subcommand's; any other entry states a Big-O or what it
        // costs in terms of other costs.
        if complexity_given && spec.subcommands().is_empty() {
            let bounded = ["O(", "cost", "allocator"]
                .iter()
                .any(|mark| spec.complexity.contains(mark));
            assert!(bounded, "{name}: complexity {:?}", spec.complexity);
        }
        // Deprecated entries, and only those, say what replaces them.
        let deprecated = spec.docs.contains("deprecated_since:");
        assert_eq!(deprecated, !spec.replaced_by.is_empty(), "{name}");
        let items = spec
            .history
            .split(';')
            .filter(|item| !item.trim().is_empty());
        assert_eq!(items.count(), docs::history(spec.history).len(), "{name}");
        for item in docs::history(spec.history) {
            let Reply::Array(pair) = item else { panic!() };
            let Reply::Bulk(version) = &pair[0] else {
                panic!()
            };
            let is_version = version.split(|b| *b == b'.').count() == 3
                && version.iter().all(|b| b.is_ascii_digit() || *b == b'.');
            assert!(is_version, "{name}: history {:?}", spec.history);
        }
    }
}

#[test]
fn legacy_key_positions_follow_the_first_fixed_key_specification() {
    for spec in every() {
        let specs = keyspec::parse(spec.key_specs).unwrap();
        let Some(first) = specs.first().filter(|first| first.is_fixed()) else {
            continue;
        };
        let Begin::Index(index) = first.begin else {
            unreachable!()
        };
        if first.flags.contains(&"not_key") {
            continue;
        }
        assert_eq!(spec.first_key, index, "{}", spec.name);
    }
}

#[test]
fn key_specifications_read_as_written() {
    let specs = keyspec::parse("OW update @1; RO access @2 #0/1/1; RO STREAMS@1 -1/1/2").unwrap();
    assert_eq!(specs[0].flags, vec!["OW", "update"]);
    assert_eq!(specs[0].begin, Begin::Index(1));
    assert!(specs[0].is_fixed() && !specs[1].is_fixed() && !specs[2].is_fixed());
    assert_eq!(
        specs[1].find,
        Find::Keynum {
            index: 0,
            first: 1,
            step: 1
        }
    );
    assert_eq!(
        specs[2].begin,
        Begin::Keyword {
            keyword: "STREAMS",
            start: 1
        }
    );
    for bad in [
        "RW",
        "RW bogus @1",
        "RW @x",
        "RW @1 1/2",
        "RW @1 0/1/0 x",
        "RW KEYS@? ?",
    ] {
        assert!(keyspec::parse(bad).is_err(), "{bad}");
    }
}

#[test]
fn arguments_read_as_written_tokens_flags_and_nesting_included() {
    let arguments =
        docs::parse("key:key#0 ?condition:oneof@2.6.12(nx:pure-token=NX eq:pure-token==) ?*+ip:port:string=ADDR!6.2.0")
            .unwrap();
    assert_eq!(arguments.len(), 3);
    assert_eq!(arguments[0].key_spec_index, Some(0));
    let condition = &arguments[1];
    assert_eq!(condition.flags, vec!["optional"]);
    assert_eq!(condition.since.as_deref(), Some("2.6.12"));
    assert_eq!(condition.arguments[1].token.as_deref(), Some("="));
    let last = &arguments[2];
    assert_eq!(last.name, "ip:port");
    assert_eq!(last.flags, vec!["optional", "multiple", "multiple_token"]);
    assert_eq!(last.deprecated_since.as_deref(), Some("6.2.0"));
    assert!(docs::parse("a:bogus").is_err());
    assert!(docs::parse("a:block(b:string").is_err());
}

fn keys(line: &str, with_flags: bool) -> Reply {
    getkeys::reply(&c(line), with_flags)
}

fn bulks(words: &[&str]) -> Reply {
    Reply::Array(words.iter().map(|w| Reply::bulk(*w)).collect())
}

fn flagged(key: &str, flags: &[&str]) -> Reply {
    let flags = flags.iter().map(|f| Reply::Simple(f.to_string())).collect();
    Reply::Array(vec![Reply::bulk(key), Reply::Set(flags)])
}

#[test]
fn getkeys_follows_positions_counts_and_keywords() {
    assert_eq!(keys("mset a 1 b 2", false), bulks(&["a", "b"]));
    assert_eq!(
        keys("zunionstore d 2 a b weights 1 2", false),
        bulks(&["d", "a", "b"])
    );
    assert_eq!(
        keys("xread count 1 streams a b 0 0", false),
        bulks(&["a", "b"])
    );
    // An odd count after STREAMS: the first half, rounded down.
    assert_eq!(keys("xread streams a b 0", false), bulks(&["a"]));
    assert_eq!(keys("georadius k 1 2 3 m store", false), bulks(&["k"]));
    assert_eq!(
        keys("georadius k 1 2 3 m store x storedist y", false),
        bulks(&["k", "x", "y"])
    );
    assert_eq!(keys("object encoding k", false), bulks(&["k"]));
    assert_eq!(
        keys("lmove a b left right", true),
        Reply::Array(vec![
            flagged("a", &["RW", "access", "delete"]),
            flagged("b", &["RW", "insert"]),
        ])
    );
}

#[test]
fn getkeys_uses_the_commands_own_rules_where_specifications_cannot_say() {
    assert_eq!(
        keys("set k v", true),
        Reply::Array(vec![flagged("k", &["OW", "update"])])
    );
    assert_eq!(
        keys("set k v px 5 get", true),
        Reply::Array(vec![flagged("k", &["RW", "access", "update"])])
    );
    assert_eq!(
        keys("bitfield k get u8 0 overflow wrap", true),
        Reply::Array(vec![flagged("k", &["RO", "access"])])
    );
    assert_eq!(
        keys("bitfield k incrby u8 0 1", true),
        Reply::Array(vec![flagged("k", &["RW", "access", "update"])])
    );
    assert_eq!(
        keys("sort a get store store b by x", false),
        bulks(&["a", "b"])
    );
    assert_eq!(keys("sort a store b store c", false), bulks(&["a", "c"]));
    assert_eq!(keys("sort_ro a by x", false), bulks(&["a"]));
}

#[test]
fn getkeys_errors_are_redis_s() {
    let error = |text: &str| Reply::error(text);
    assert_eq!(
        keys("nosuch a", false),
        error("ERR Invalid command specified")
    );
    assert_eq!(
        keys("config nosuch", false),
        error("ERR Invalid command specified")
    );
    assert_eq!(
        keys("ping", false),
        error("ERR The command has no key arguments")
    );
    assert_eq!(
        keys("spublish ch m", false),
        error("ERR The command has no key arguments")
    );
    assert_eq!(
        keys("get a b", false),
        error("ERR Invalid number of arguments specified for command")
    );
    let invalid = error("ERR Invalid arguments specified for command");
    assert_eq!(keys("zunionstore d 5 a", false), invalid);
    assert_eq!(keys("zunionstore d 05 a", false), invalid);
    assert_eq!(keys("lmpop 0 a left", false), invalid);
    // EVAL may name no key: an empty answer, not an error.
    assert_eq!(keys("eval s 0", false), bulks(&[]));
    assert_eq!(keys("eval s 3 a", false), bulks(&[]));
    assert_eq!(keys("eval s 1 a b", false), bulks(&["a"]));
}

fn info_fields(name: &str) -> Vec<Reply> {
    match info_of(name.as_bytes()) {
        Reply::Array(fields) => fields,
        other => panic!("{other:?}"),
    }
}

fn simple_set(words: &[&str]) -> Reply {
    Reply::Set(words.iter().map(|w| Reply::Simple(w.to_string())).collect())
}

#[test]
fn command_info_derives_flags_and_categories_as_redis_does() {
    let set = info_fields("set");
    assert_eq!(set[2], simple_set(&["write", "denyoom"]));
    assert_eq!(set[6], simple_set(&["@write", "@string", "@slow"]));
    let zunionstore = info_fields("zunionstore");
    assert_eq!(
        zunionstore[2],
        simple_set(&["write", "denyoom", "movablekeys"])
    );
    // A read outside the data types (ACL CAT) is not `readonly`; a container has no flags.
    assert_eq!(
        info_fields("acl|cat")[2],
        simple_set(&["noscript", "loading", "stale"])
    );
    assert_eq!(info_fields("config")[2], simple_set(&[]));
    let keys = info_fields("keys");
    assert_eq!(
        keys[7],
        Reply::Set(vec![
            Reply::bulk("request_policy:all_shards"),
            Reply::bulk("nondeterministic_output_order")
        ])
    );
    assert_eq!(info_of(b"nosuch"), Reply::Nil);
    assert_eq!(info_fields("CONFIG|GET")[0], Reply::bulk("config|get"));
}

#[test]
fn command_list_names_subcommands_and_filters() {
    let Reply::Array(names) = command(&c("command list")) else {
        panic!()
    };
    assert!(names.contains(&Reply::bulk("config|get")));
    assert_eq!(names.len(), every().len() + crate::testutil::COMMANDS.len());
    assert_eq!(
        command(&c("command list filterby pattern CONFIG|G*")),
        bulks(&["config|get"])
    );
    let Reply::Array(hash) = command(&c("command list filterby aclcat hash")) else {
        panic!()
    };
    assert!(hash.contains(&Reply::bulk("hset")) && !hash.contains(&Reply::bulk("set")));
    assert_eq!(command(&c("command list filterby module x")), bulks(&[]));
    assert_eq!(
        command(&c("command list x")),
        Reply::error("ERR syntax error")
    );
    assert_eq!(
        command(&c("command count x")),
        Reply::error("ERR wrong number of arguments for 'command|count' command")
    );
}

#[test]
fn command_docs_gives_group_since_and_arguments() {
    let Reply::Map(docs) = command(&c("command docs get nosuch")) else {
        panic!()
    };
    assert_eq!(docs.len(), 1);
    let (name, Reply::Map(fields)) = &docs[0] else {
        panic!()
    };
    assert_eq!(name, &Reply::bulk("get"));
    let field = |name: &str| {
        fields
            .iter()
            .find(|(k, _)| *k == Reply::bulk(name))
            .map(|(_, v)| v.clone())
    };
    assert_eq!(field("group"), Some(Reply::bulk("string")));
    assert_eq!(field("since"), Some(Reply::bulk("1.0.0")));
    let key = Reply::Map(vec![
        (Reply::bulk("name"), Reply::bulk("key")),
        (Reply::bulk("type"), Reply::bulk("key")),
        (Reply::bulk("key_spec_index"), Reply::Integer(0)),
    ]);
    assert_eq!(field("arguments"), Some(Reply::Array(vec![key])));
}

/// The names of a command's COMMAND DOCS fields, in order.
fn docs_field_names(name: &str) -> Reply {
    let Reply::Map(docs) = command(&c(&format!("command docs {name}"))) else {
        panic!()
    };
    let Reply::Map(fields) = &docs[0].1 else {
        panic!()
    };
    Reply::Array(fields.iter().map(|(name, _)| name.clone()).collect())
}

#[test]
fn command_docs_fields_come_in_redis_order_with_prose_and_history() {
    assert_eq!(
        docs_field_names("getset"),
        bulks(&[
            "summary",
            "since",
            "group",
            "complexity",
            "doc_flags",
            "deprecated_since",
            "replaced_by",
            "arguments",
        ])
    );
    assert_eq!(
        docs_field_names("ttl"),
        bulks(&[
            "summary",
            "since",
            "group",
            "complexity",
            "history",
            "arguments"
        ])
    );
    assert_eq!(
        docs_field_names("monitor"),
        bulks(&["summary", "since", "group"])
    );
    let Reply::Map(docs) = command(&c("command docs ttl")) else {
        panic!()
    };
    let Reply::Map(fields) = &docs[0].1 else {
        panic!()
    };
    let summary = Reply::bulk("Gives the seconds left before a key expires");
    assert_eq!(fields[0], (Reply::bulk("summary"), summary));
    let history = Reply::Set(vec![Reply::Array(vec![
        Reply::bulk("2.8.0"),
        Reply::bulk("A missing key answers -2."),
    ])]);
    assert!(fields.contains(&(Reply::bulk("history"), history)));
}
