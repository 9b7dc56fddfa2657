//! ACL files: parsed as Redis 7.0 reads them, printed as it writes them, loaded through the log.

use super::file::{parse, print};
use crate::event::Event;
use crate::table::catalog;
use crate::testutil::{apply, read, show};
use crate::{Engine, Reply};

const NO_CHANGE: &str =
    "WARNING: ACL errors detected, no change to the previously active ACL rules was performed";

fn listed(file: &str) -> Result<String, String> {
    let users = parse(catalog(), "users.acl", file.as_bytes())?;
    Ok(String::from_utf8_lossy(&print(catalog(), &users)).into_owned())
}

#[test]
fn a_file_is_read_as_redis_7_0_reads_it_and_printed_as_acl_list_writes_it() {
    let file = "user a on >pa ~a* +get\r\n\n  user b on (~x +get) ( ~y  +set )  \n";
    let hash = "9513229d435978263d82902c59d4e0fb86c941a9bf09b605cd8a6643f40149a8";
    let printed = format!(
        "user a on #{hash} ~a* resetchannels -@all +get\n\
         user b on resetchannels -@all (~x resetchannels -@all +get) (~y resetchannels -@all +set)\n\
         user default on nopass ~* &* +@all\n"
    );
    assert_eq!(listed(file), Ok(printed.clone()));
    // What ACL SAVE writes loads back into the same users.
    assert_eq!(listed(&printed), Ok(printed));
    let off = "user default off\n";
    assert_eq!(
        listed(off),
        Ok("user default off resetchannels -@all\n".into())
    );
}

#[test]
fn every_error_of_a_file_is_reported_with_its_line_in_redis_7_0s_words() {
    let cases = [
        ("user a on\nfoo bar\n", "users.acl:2 should start with user keyword followed by the username. "),
        ("user\n", "users.acl:1 should start with user keyword followed by the username. "),
        ("# comment\n", "users.acl:1 should start with user keyword followed by the username. "),
        ("user a on \"x y\"\n", "users.acl:1: Syntax error. "),
        ("user a <nopw\n", "users.acl:1: The password you are trying to remove from the user does not exist. "),
        ("user a +nosuch\n", "users.acl:1: Error in applying operation '+nosuch': Unknown command or category name in ACL. "),
        ("user a (+nosuch)\n", "users.acl:1: Error in applying operation '(+nosuch)': Unknown command or category name in ACL. "),
        ("user a on\nuser a off\n", "WARNING: Duplicate user 'a' found on line 2. "),
        (
            "user a bogus +nosuch\nuser b\tc on\n user  d\n",
            "users.acl:1: Syntax error. \
             users.acl:1: Error in applying operation '+nosuch': Unknown command or category name in ACL. \
             'users.acl:2: username 'b\tc' contains invalid characters. \
             users.acl:3: Syntax error. ",
        ),
        ("user a on (+get\n", "users.acl:1: Unmatched parenthesis in acl selector starting at '(+get'. "),
    ];
    for (file, errors) in cases {
        assert_eq!(listed(file), Err(errors.to_string()), "{file:?}");
    }
}

#[test]
fn acl_load_replaces_every_user_and_ends_every_login_but_the_defaults() {
    let mut e = Engine::new();
    assert_eq!(apply(&mut e, 1, "ACL SETUSER old on nopass"), Reply::ok());
    e.take_events();
    let load = ["acl-load", "users.acl", "user a on >p +@all ~*\n"];
    assert_eq!(apply(&mut e, 2, &load[..]), Reply::ok());
    assert_eq!(show(&read(&e, 2, "ACL USERS")), "[a default]");
    let revoked = Event::LoginsRevoked {
        users: vec![b"old".to_vec()],
    };
    assert_eq!(e.take_events(), vec![revoked]);
    let bad = ["acl-load", "users.acl", "user b on\nuser c bogus\n"];
    let refused = format!("ERR users.acl:2: Syntax error. {NO_CHANGE}");
    assert_eq!(apply(&mut e, 3, &bad[..]), Reply::error(refused));
    assert_eq!(show(&read(&e, 3, "ACL USERS")), "[a default]");
    assert_eq!(e.take_events(), vec![]);
}

#[test]
fn deluser_ends_the_logins_of_the_users_it_removed() {
    let mut e = Engine::new();
    apply(&mut e, 1, "ACL SETUSER a on");
    e.take_events();
    assert_eq!(apply(&mut e, 1, "ACL DELUSER a nobody"), Reply::Integer(1));
    let revoked = Event::LoginsRevoked {
        users: vec![b"a".to_vec()],
    };
    assert_eq!(e.take_events(), vec![revoked]);
}

#[test]
fn clients_cannot_send_the_internal_acl_commands() {
    for command in ["acl-load users.acl x", "as-user default ping"] {
        let reply = show(
            &crate::table::resolve(&crate::testutil::c(command))
                .err()
                .unwrap(),
        );
        assert!(
            reply.starts_with("ERR unknown command"),
            "{command}: {reply}"
        );
    }
}

#[test]
fn a_load_at_start_happens_only_while_the_users_are_as_a_new_cluster_starts() {
    let mut e = Engine::new();
    let first = ["acl-load", "a.acl", "user a on\n", "initial"];
    assert_eq!(apply(&mut e, 1, &first[..]), Reply::ok());
    let second = ["acl-load", "b.acl", "user b on\n", "initial"];
    assert_eq!(apply(&mut e, 2, &second[..]), Reply::Integer(0));
    assert_eq!(show(&read(&e, 2, "ACL USERS")), "[a default]");
    let bad_flag = ["acl-load", "b.acl", "user b on\n", "always"];
    assert_eq!(show(&apply(&mut e, 2, &bad_flag[..])), "ERR syntax error");
}
