use super::users::Users;
use crate::testutil::{c, check, read_seeded, show};
use crate::{Engine, Reply};

/// An engine with the users of `rules` (each an ACL SETUSER line after `ACL SETUSER`).
fn with_users(rules: &[&str]) -> Engine {
    let mut e = Engine::new();
    for line in rules {
        let reply = crate::testutil::apply(&mut e, 1, format!("ACL SETUSER {line}").as_str());
        assert_eq!(reply, Reply::ok(), "{line}");
    }
    e
}

/// ACL DRYRUN's reply: an explanation as its text, anything else shown.
fn dryrun(e: &Engine, user: &str, command: &str) -> String {
    let line = format!("ACL DRYRUN {user} {command}");
    match read_seeded(e, 1, 0, line.as_str()) {
        Reply::Bulk(text) => format!("'{}'", String::from_utf8_lossy(&text)),
        other => show(&other),
    }
}

fn permission(e: &Engine, user: &str, command: &str) -> Result<(), String> {
    super::Access(e.users())
        .check_permission(user.as_bytes(), &c(command))
        .map_err(|reply| show(&reply))
}

fn list(e: &Engine) -> String {
    show(&read_seeded(e, 1, 0, "ACL LIST"))
}

#[test]
fn the_default_user_allows_everything_without_a_password() {
    let e = Engine::new();
    assert_eq!(list(&e), "[\"user default on nopass ~* &* +@all\"]");
    assert!(super::Access(e.users()).authenticate(b"default", b"anything"));
    assert!(!super::Access(e.users()).default_user_requires_password());
    assert!(e.users().get(b"default").is_some() && e.users().get(b"nobody").is_none());
    assert_eq!(permission(&e, "default", "FLUSHALL"), Ok(()));
    assert_eq!(show(&read_seeded(&e, 1, 0, "ACL USERS")), "[default]");
}

#[test]
fn setuser_rules_are_listed_as_redis_7_0_lists_them() {
    let e = with_users(&[
        "u on >p +@all -@dangerous +get ~k* %R~r* &ch (+set ~s*)",
        "v +config|get -@all +get +@string -set",
        "w on nopass allcommands -@all +get|x +select|0 %W~w* %RW~b resetchannels",
        "y %R~a reset",
    ]);
    let hash = "148de9c5a7a44d19e56cd9ae1a554bf67847afb0c58f6e12fa29ac7ddfca9940";
    let expected = format!(
        "[\"user default on nopass ~* &* +@all\" \
         \"user u on #{hash} ~k* %R~r* resetchannels &ch +@all -@dangerous (~s* resetchannels -@all +set)\" \
         \"user v off resetchannels -@all +@string -set\" \
         \"user w on nopass %W~w* ~b resetchannels -@all +get|x +select|0\" \
         \"user y off sanitize-payload resetchannels -@all\"]"
    );
    assert_eq!(list(&e), expected);
}

#[test]
fn setuser_refuses_bad_rules_with_redis_errors_and_changes_nothing() {
    let mut e = with_users(&["u on >p ~a"]);
    let before = list(&e);
    let modifier =
        |rule: &str, why: &str| format!("ERR Error in ACL SETUSER modifier '{rule}': {why}");
    let cases = [
        ("ACL SETUSER u off foo", modifier("foo", "Syntax error")),
        ("ACL SETUSER u +nope", modifier("+nope", "Unknown command or category name in ACL")),
        ("ACL SETUSER u -@nope", modifier("-@nope", "Unknown command or category name in ACL")),
        ("ACL SETUSER u +config|nope", modifier("+config|nope", "Unknown command or category name in ACL")),
        ("ACL SETUSER u #abc", modifier("#abc", "The password hash must be exactly 64 characters and contain only lowercase hexadecimal characters")),
        ("ACL SETUSER u <x", modifier("<x", "The password you are trying to remove from the user does not exist")),
        ("ACL SETUSER u allkeys ~x", modifier("~x", "Adding a pattern after the * pattern (or the 'allkeys' flag) is not valid and does not have any effect. Try 'resetkeys' to start with an empty list of patterns")),
        ("ACL SETUSER u allchannels &x", modifier("&x", "Adding a pattern after the * pattern (or the 'allchannels' flag) is not valid and does not have any effect. Try 'resetchannels' to start with an empty list of channels")),
        ("ACL SETUSER u %X~a", modifier("%X~a", "Syntax error")),
        ("ACL SETUSER u %~a", modifier("%~a", "Syntax error")),
        // After allkeys a flagged pattern is refused as a pattern before its flags are read.
        ("ACL SETUSER u allkeys %X~a", modifier("%X~a", "Adding a pattern after the * pattern (or the 'allkeys' flag) is not valid and does not have any effect. Try 'resetkeys' to start with an empty list of patterns")),
        ("ACL SETUSER u ~* %R", modifier("%R", "Adding a pattern after the * pattern (or the 'allkeys' flag) is not valid and does not have any effect. Try 'resetkeys' to start with an empty list of patterns")),
        ("ACL SETUSER u (+nope)", modifier("(+nope)", "Unknown command or category name in ACL")),
        ("ACL SETUSER u (on)", modifier("(on)", "Syntax error")),
        ("ACL SETUSER u (+get ~x", "ERR Unmatched parenthesis in acl selector starting at '(+get'.".to_string()),
        ("ACL SETUSER nobody +nope", modifier("+nope", "Unknown command or category name in ACL")),
    ];
    for (line, expected) in &cases {
        check(&mut e, 1, &[(line, expected.as_str())]);
    }
    assert_eq!(list(&e), before, "a refused SETUSER changes nothing");
}

#[test]
fn passwords_are_added_removed_and_checked_as_sha256() {
    let hash = super::user::hash_password(b"q");
    let mut e = with_users(&["u on >p >q", "off >p"]);
    assert!(
        super::Access(e.users()).authenticate(b"u", b"p")
            && super::Access(e.users()).authenticate(b"u", b"q")
    );
    assert!(
        !super::Access(e.users()).authenticate(b"u", b"x"),
        "a wrong password"
    );
    assert!(
        !super::Access(e.users()).authenticate(b"off", b"p"),
        "a user that is off"
    );
    assert!(
        !super::Access(e.users()).authenticate(b"nobody", b""),
        "no such user"
    );
    check(&mut e, 1, &[("ACL SETUSER u <p", "+OK")]);
    assert!(!super::Access(e.users()).authenticate(b"u", b"p"));
    check(
        &mut e,
        1,
        &[(format!("ACL SETUSER u !{hash}").as_str(), "+OK")],
    );
    assert!(!super::Access(e.users()).authenticate(b"u", b"q"));
    check(
        &mut e,
        1,
        &[(format!("ACL SETUSER u #{hash}").as_str(), "+OK")],
    );
    assert!(super::Access(e.users()).authenticate(b"u", b"q"));
    check(&mut e, 1, &[("ACL SETUSER u nopass", "+OK")]);
    assert!(super::Access(e.users()).authenticate(b"u", b"anything"));
    check(&mut e, 1, &[("ACL SETUSER u resetpass", "+OK")]);
    assert!(
        !super::Access(e.users()).authenticate(b"u", b"anything"),
        "resetpass leaves no way in"
    );
}

#[test]
fn config_set_requirepass_sets_the_default_users_only_password() {
    let mut e = Engine::new();
    check(&mut e, 1, &[("ACL SETUSER default >old", "+OK")]);
    check(&mut e, 1, &[("CONFIG SET requirepass secret", "+OK")]);
    assert!(super::Access(e.users()).default_user_requires_password());
    assert!(
        super::Access(e.users()).authenticate(b"default", b"secret")
            && !super::Access(e.users()).authenticate(b"default", b"old")
    );
    let hash = super::user::hash_password(b"secret");
    let line = format!("user default on #{hash} ~* &* +@all");
    assert_eq!(list(&e), format!("[\"{line}\"]"));
    let duplicate =
        "ERR CONFIG SET failed (possibly related to argument 'REQUIREPASS') - duplicate parameter";
    check(
        &mut e,
        1,
        &[("CONFIG SET requirepass a REQUIREPASS b", duplicate)],
    );
    let clear = crate::testutil::apply(&mut e, 1, &["CONFIG", "SET", "requirepass", ""]);
    assert_eq!(clear, Reply::ok());
    assert!(!super::Access(e.users()).default_user_requires_password());
    check(&mut e, 1, &[("ACL SETUSER default off", "+OK")]);
    assert!(
        super::Access(e.users()).default_user_requires_password(),
        "an off default user"
    );
}

#[test]
fn check_permission_answers_noperm_for_commands_and_categories() {
    let e = with_users(&["u on nopass ~* &* -@all +@string -set +config|get +select|0"]);
    let run = |cmd: &str| format!("NOPERM this user has no permissions to run the '{cmd}' command");
    assert_eq!(permission(&e, "u", "GET k"), Ok(()));
    assert_eq!(permission(&e, "u", "APPEND k v"), Ok(()));
    assert_eq!(permission(&e, "u", "SET k v"), Err(run("set")));
    assert_eq!(permission(&e, "u", "HGET h f"), Err(run("hget")));
    assert_eq!(permission(&e, "u", "CONFIG GET x"), Ok(()));
    assert_eq!(
        permission(&e, "u", "CONFIG SET x y"),
        Err(run("config|set"))
    );
    assert_eq!(permission(&e, "u", "SELECT 0"), Ok(()));
    assert_eq!(permission(&e, "u", "SELECT 1"), Err(run("select")));
    assert_eq!(permission(&e, "nobody", "GET k"), Err(run("get")));
    let unknown = "ERR unknown command 'nope', with args beginning with: ";
    assert_eq!(permission(&e, "u", "nope"), Err(unknown.to_string()));
}

#[test]
fn key_patterns_allow_reading_writing_or_both() {
    let e = with_users(&["u on nopass +@all %W~w* %R~r* ~b*"]);
    let keys = "NOPERM this user has no permissions to access one of the keys used as arguments";
    assert_eq!(permission(&e, "u", "SET w1 v"), Ok(()));
    assert_eq!(permission(&e, "u", "GET w1"), Err(keys.to_string()));
    assert_eq!(permission(&e, "u", "GET r1"), Ok(()));
    assert_eq!(permission(&e, "u", "SET r1 v"), Err(keys.to_string()));
    assert_eq!(permission(&e, "u", "MSET b1 v w1 v"), Ok(()));
    assert_eq!(permission(&e, "u", "MSET b1 v r1 v"), Err(keys.to_string()));
    assert_eq!(
        dryrun(&e, "u", "get w1"),
        "'This user has no permissions to access the 'w1' key'"
    );
    assert_eq!(dryrun(&e, "u", "get r1"), "+OK");
}

#[test]
fn channel_patterns_match_channels_and_literal_patterns() {
    let e = with_users(&["u on nopass +@all ~* &ch &n*"]);
    let channels =
        "NOPERM this user has no permissions to access one of the channels used as arguments";
    assert_eq!(permission(&e, "u", "PUBLISH ch x"), Ok(()));
    assert_eq!(permission(&e, "u", "PUBLISH news x"), Ok(()));
    assert_eq!(
        permission(&e, "u", "PUBLISH other x"),
        Err(channels.to_string())
    );
    assert_eq!(
        permission(&e, "u", "SUBSCRIBE ch other"),
        Err(channels.to_string())
    );
    assert_eq!(permission(&e, "u", "PSUBSCRIBE n*"), Ok(()));
    assert_eq!(
        permission(&e, "u", "PSUBSCRIBE ne*"),
        Err(channels.to_string())
    );
    assert_eq!(permission(&e, "u", "UNSUBSCRIBE other"), Ok(()));
    assert_eq!(
        dryrun(&e, "u", "publish other x"),
        "'This user has no permissions to access the 'other' channel'"
    );
}

#[test]
fn a_command_runs_if_the_root_or_any_selector_allows_it() {
    let e = with_users(&["s on nopass -@all (+get ~a*) (+set ~b*)"]);
    assert_eq!(permission(&e, "s", "GET a1"), Ok(()));
    assert_eq!(permission(&e, "s", "SET b1 v"), Ok(()));
    // The gravest refusal is reported: a key beats a command.
    assert_eq!(
        dryrun(&e, "s", "set a1 v"),
        "'This user has no permissions to access the 'a1' key'"
    );
    assert_eq!(
        dryrun(&e, "s", "get b1"),
        "'This user has no permissions to access the 'b1' key'"
    );
    assert_eq!(
        dryrun(&e, "s", "del b1"),
        "'This user has no permissions to run the 'del' command'"
    );
    assert_eq!(list(&e).split("\" \"").nth(1), Some("user s on nopass resetchannels -@all (~a* resetchannels -@all +get) (~b* resetchannels -@all +set)\"]"));
    let e = with_users(&["s on nopass -@all (+get ~a*) clearselectors"]);
    assert!(permission(&e, "s", "GET a1").is_err());
}

#[test]
fn dryrun_names_missing_users_and_commands_and_checks_arity() {
    let e = with_users(&["u on nopass -@all +get ~*"]);
    assert_eq!(dryrun(&e, "nobody", "get x"), "ERR User 'nobody' not found");
    assert_eq!(dryrun(&e, "u", "nope"), "ERR Command 'nope' not found");
    assert_eq!(
        dryrun(&e, "u", "get a b"),
        "ERR wrong number of arguments for 'get' command"
    );
    assert_eq!(
        dryrun(&e, "u", "set a b"),
        "'This user has no permissions to run the 'set' command'"
    );
}

#[test]
fn getuser_has_redis_7_0s_shape() {
    let e = with_users(&["u on >p ~k* %R~r* &ch +@all -@dangerous (+set ~s*)"]);
    let hash = "148de9c5a7a44d19e56cd9ae1a554bf67847afb0c58f6e12fa29ac7ddfca9940";
    assert_eq!(
        show(&read_seeded(&e, 1, 0, "ACL GETUSER u")),
        format!("{{flags [on] passwords [{hash}] commands \"+@all -@dangerous\" keys \"~k* %R~r*\" channels &ch selectors [{{commands \"-@all +set\" keys \"~s*\" channels \"\"}}]}}")
    );
    assert_eq!(
        show(&read_seeded(&e, 1, 0, "ACL GETUSER default")),
        "{flags [on nopass] passwords [] commands \"+@all\" keys \"~*\" channels &* selectors []}"
    );
    assert_eq!(show(&read_seeded(&e, 1, 0, "ACL GETUSER nobody")), "(nil)");
}

#[test]
fn deluser_removes_users_but_never_the_default() {
    let mut e = with_users(&["a", "b"]);
    check(
        &mut e,
        1,
        &[
            (
                "ACL DELUSER a default",
                "ERR The 'default' user cannot be removed",
            ),
            ("ACL DELUSER a nobody b", ":2"),
            ("ACL USERS", "[default]"),
        ],
    );
}

#[test]
fn cat_lists_categories_and_their_commands() {
    let e = Engine::new();
    let cat = |line: &str| show(&read_seeded(&e, 1, 0, line));
    assert!(cat("ACL CAT").starts_with("[keyspace read write set sortedset list hash string"));
    assert_eq!(cat("ACL CAT nope"), "ERR Unknown category 'nope'");
    let strings = cat("ACL CAT string");
    assert!(
        strings.contains(" get ") && !strings.contains(" hget "),
        "{strings}"
    );
    let dangerous = cat("ACL CAT dangerous");
    assert!(
        dangerous.contains("config|set") && dangerous.contains("flushall"),
        "{dangerous}"
    );
    let fast = cat("ACL CAT FAST");
    assert!(fast.contains(" get ") && !fast.contains(" keys "), "{fast}");
    assert!(cat("ACL CAT write").contains(" set ") && !cat("ACL CAT write").contains("publish"));
    assert!(cat("ACL HELP").starts_with("[+ACL <subcommand>"));
}

/// Redis 7.0 counts a container (ACL, CONFIG, OBJECT ...) among the @slow commands and in no
/// other category; its subcommands have their own.
#[test]
fn containers_are_slow_commands_and_nothing_else() {
    let e = Engine::new();
    let names = |category: &str| {
        let listed = show(&read_seeded(
            &e,
            1,
            0,
            format!("ACL CAT {category}").as_str(),
        ));
        let listed = listed.trim_start_matches('[').trim_end_matches(']');
        listed.split(' ').map(String::from).collect::<Vec<_>>()
    };
    let slow = names("slow");
    for container in ["acl", "config", "object", "xinfo"] {
        assert!(
            slow.iter().any(|name| name == container),
            "{container}: {slow:?}"
        );
    }
    for category in [
        "read",
        "fast",
        "admin",
        "dangerous",
        "connection",
        "keyspace",
    ] {
        let listed = names(category);
        assert!(
            !listed.iter().any(|name| name == "config" || name == "acl"),
            "{listed:?}"
        );
    }
}

#[test]
fn genpass_is_hex_of_the_random_bytes_for_the_bits_asked() {
    let genpass = |line: &str| {
        let mut fill = |bytes: &mut [u8]| bytes.iter_mut().for_each(|b| *b = 0xa7);
        show(&super::commands::genpass(&c(line), &mut fill))
    };
    assert_eq!(genpass("ACL GENPASS"), "a7".repeat(32));
    assert_eq!(genpass("ACL GENPASS 5"), "a7");
    assert_eq!(genpass("ACL GENPASS 4"), "a");
    let range = "ERR ACL GENPASS argument must be the number of bits for the output password, a positive number up to 4096";
    assert_eq!(genpass("ACL GENPASS 0"), range);
    assert_eq!(genpass("ACL GENPASS 4097"), range);
    assert_eq!(
        genpass("ACL GENPASS x"),
        "ERR value is not an integer or out of range"
    );
}

#[test]
fn users_travel_in_snapshots_and_older_snapshots_keep_only_the_default_user() {
    let e = with_users(&[
        "u on >p %R~r* &ch -@all +@string -set +select|0 (+set ~s*)",
        "default >x",
    ]);
    let bytes = e.encode_snapshot();
    let restored = Engine::decode_snapshot(&bytes).unwrap();
    assert_eq!(restored.keyspace().users, e.keyspace().users);
    assert_eq!(restored.encode_snapshot(), bytes);
    assert!(super::Access(restored.users()).authenticate(b"u", b"p"));
    let v8 = crate::snapshot::encode_as(e.keyspace(), e.now_ms(), 8);
    let old = Engine::decode_snapshot(&v8).unwrap();
    assert_eq!(*old.keyspace().users, Users::default());
}

#[test]
fn only_a_selector_allowing_every_command_key_and_channel_skips_the_call_check() {
    let e = with_users(&[
        "all on nopass +@all ~* &*",
        "nochannels on nopass +@all ~* resetchannels",
        "noget on nopass +@all ~* &* -get",
        "somekeys on nopass +@all ~k* &*",
    ]);
    assert!(permission(&e, "all", "PUBLISH c m").is_ok());
    assert!(permission(&e, "nochannels", "PUBLISH c m").is_err());
    assert!(permission(&e, "noget", "GET k").is_err());
    assert!(permission(&e, "somekeys", "GET x").is_err());
    assert!(permission(&e, "somekeys", "GET k1").is_ok());
}

#[test]
fn a_binary_first_argument_survives_a_snapshot() {
    let mut e = Engine::new();
    let rule = [b"+select|".as_slice(), &[0xff, b'1']].concat();
    let setuser = vec![
        b"ACL".to_vec(),
        b"SETUSER".to_vec(),
        b"u".to_vec(),
        b"on".to_vec(),
        rule,
    ];
    assert_eq!(crate::testutil::apply(&mut e, 1, setuser), Reply::ok());
    let restored = Engine::decode_snapshot(&e.encode_snapshot()).unwrap();
    assert_eq!(restored.keyspace().users, e.keyspace().users);
    let select = |arg: &[u8]| vec![b"SELECT".to_vec(), arg.to_vec()];
    let access = super::Access(restored.users());
    assert!(access
        .check_permission(b"u", &select(&[0xff, b'1']))
        .is_ok());
    assert!(access
        .check_permission(b"u", &select("\u{fffd}1".as_bytes()))
        .is_err());
}

/// Redis 7.0's bytes: `~*` and `&*` are the allkeys and allchannels flags, accepted again
/// after them; `%RW~*` (or `%R~*` then `%W~*`) is a pattern, after which others may follow,
/// though ACL LIST writes it `~*` too. A snapshot keeps the difference.
#[test]
fn star_patterns_are_the_all_flags_but_a_flagged_star_is_a_pattern() {
    let e = with_users(&[
        "a &* &* ~* ~*",
        "b %R~* %W~* ~k",
        "c %RW~* &ch",
        "d allchannels &*",
    ]);
    let after_all_keys = crate::testutil::apply(&mut e.clone(), 2, "ACL SETUSER a ~k");
    assert!(
        show(&after_all_keys).contains("after the * pattern"),
        "{}",
        show(&after_all_keys)
    );
    let after_all = crate::testutil::apply(&mut e.clone(), 2, "ACL SETUSER a &ch");
    assert!(
        show(&after_all).contains("'allchannels' flag"),
        "{}",
        show(&after_all)
    );
    assert_eq!(
        list(&e),
        "[\"user a off ~* &* -@all\" \"user b off ~* ~k resetchannels -@all\" \
         \"user c off ~* resetchannels &ch -@all\" \"user d off &* -@all\" \
         \"user default on nopass ~* &* +@all\"]"
    );
    let restored = Engine::decode_snapshot(&e.encode_snapshot()).unwrap();
    assert_eq!(restored.keyspace().users, e.keyspace().users);
}
