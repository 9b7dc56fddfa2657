//! Scripts and transactions run as their client's user (`as-user`): what they run is checked
//! against that user at apply time, with Redis 7.0's bytes (taken from redis-server 7.0).

use crate::testutil::{apply, show};
use crate::{as_user, Engine, LogCommand, ReadContext, Reply};

fn engine_with_user() -> Engine {
    let mut e = Engine::new();
    let rules = "ACL SETUSER u on >p +eval +evalsha +eval_ro +get +publish +ping ~k* &ch*";
    assert_eq!(apply(&mut e, 1, rules), Reply::ok());
    e
}

fn eval_as(e: &mut Engine, user: &str, script: &str) -> String {
    let eval = ["EVAL", script, "0"]
        .map(|a| a.as_bytes().to_vec())
        .to_vec();
    show(&apply(e, 2, as_user(user.as_bytes(), eval)))
}

#[test]
fn a_scripts_commands_are_refused_as_redis_7_0_refuses_them_for_its_user() {
    let mut e = engine_with_user();
    let cases = [
        (
            "return redis.call('set','k1','v')",
            "ERR The user executing the script can't run this command or subcommand script: 0502f398c8d71a359e359b6bef3e5b6fbc799b8f, on @user_script:1.",
        ),
        (
            "return redis.pcall('set','k1','v')",
            "ERR The user executing the script can't run this command or subcommand",
        ),
        (
            "return redis.call('get','x1')",
            "ERR The user executing the script can't access at least one of the keys mentioned in the command arguments script: 1990ac908bf169283fa7081b5080bdf36a89c5ff, on @user_script:1.",
        ),
        (
            "return redis.pcall('get','x1')",
            "ERR The user executing the script can't access at least one of the keys mentioned in the command arguments",
        ),
        (
            "return redis.call('publish','x','m')",
            "ERR The user executing the script can't publish to the channel mentioned in the command script: 0d5c6b8b229ea405afdddad1347f157f09e9355e, on @user_script:1.",
        ),
        ("return redis.call('publish','ch1','m')", ":0"),
        ("return redis.call('get','k1')", "(nil)"),
        ("return redis.acl_check_cmd('get','x1')", "(nil)"),
        ("return redis.acl_check_cmd('get','k1')", ":1"),
        ("return redis.acl_check_cmd('set','k1','v')", "(nil)"),
        (
            "return redis.acl_check_cmd('nosuch')",
            "ERR Invalid command passed to redis.acl_check_cmd() script: d2491587bab5149c93be0dce4426f7a06ba9e1a1, on @user_script:1.",
        ),
    ];
    for (script, expected) in cases {
        assert_eq!(eval_as(&mut e, "u", script), expected, "{script}");
    }
}

#[test]
fn the_script_command_itself_is_checked_again_when_applied() {
    let mut e = engine_with_user();
    apply(&mut e, 1, "ACL SETUSER u -eval");
    assert_eq!(
        eval_as(&mut e, "u", "return 1"),
        "NOPERM this user has no permissions to run the 'eval' command"
    );
    // A user deleted after its client sent the script may run nothing.
    apply(&mut e, 1, "ACL DELUSER u");
    assert_eq!(
        eval_as(&mut e, "u", "return 1"),
        "NOPERM this user has no permissions to run the 'eval' command"
    );
}

#[test]
fn a_script_for_no_user_and_the_default_user_may_run_anything() {
    let mut e = engine_with_user();
    let set = "return redis.call('set','x','1')";
    assert_eq!(eval_as(&mut e, "default", set), "+OK");
    let plain = ["EVAL", set, "0"];
    assert_eq!(show(&apply(&mut e, 2, &plain[..])), "+OK");
}

#[test]
fn a_read_only_script_on_the_read_path_is_checked_for_its_user() {
    let e = engine_with_user();
    let eval = ["EVAL_RO", "return redis.pcall('get','x1')", "0"];
    let argv = as_user(b"u", eval.map(|a| a.as_bytes().to_vec()).to_vec());
    let reply = e.read(0, &argv, ReadContext::default());
    assert_eq!(
        show(&reply),
        "ERR The user executing the script can't access at least one of the keys mentioned in the command arguments"
    );
}

#[test]
fn exec_checks_each_queued_command_again_with_redis_7_0s_words() {
    let mut e = Engine::new();
    apply(
        &mut e,
        1,
        "ACL SETUSER m on nopass +@all -ping ~x resetchannels",
    );
    let queued = crate::Transaction {
        watched: Vec::new(),
        cmds: ["SET k v", "GET x", "PUBLISH c m", "PING"]
            .map(crate::testutil::c)
            .to_vec(),
    };
    let entry = LogCommand::run(2, 0, vec![as_user(b"m", queued.to_argv())]);
    let reply = e.apply(2, &entry).remove(0);
    let changed = "NOPERM ACLs rules changed between the moment the transaction was accumulated and the EXEC call. This command is no longer allowed for the following reason:";
    assert_eq!(
        show(&reply),
        format!(
            "[{changed} no permission to touch the specified keys (nil) \
             {changed} no permission to access one of the channels used as arguments \
             {changed} no permission to execute the command or subcommand]"
        )
    );
}
