//! Who a connection is: AUTH, HELLO ... AUTH, the NOAUTH gate, and the ACL check made before
//! every command on the client's node (the users and their rules are replicated state, the
//! engine's `acl` module); ACL WHOAMI and ACL LOG (this node's log of refusals).

use std::collections::VecDeque;
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use redraft_engine::args::parse_i64;
use redraft_engine::{CommandSpec, Reply};

use crate::cluster::Cluster;
use crate::session::Session;

/// Entries ACL LOG keeps (Redis's acllog-max-len default).
const ACL_LOG_MAX: usize = 128;
/// The pause before answering a failed AUTH grows by this with each failure on the
/// connection, up to [`AUTH_PAUSE_MAX`]: guessing passwords gets slow.
const AUTH_PAUSE_STEP: Duration = Duration::from_millis(100);
const AUTH_PAUSE_MAX: Duration = Duration::from_secs(2);

pub const DEFAULT_USER: &[u8] = b"default";

const WRONGPASS: &str = "WRONGPASS invalid username-password pair or user is disabled.";
const NOAUTH: &str = "NOAUTH Authentication required.";

/// Commands a connection may send before it authenticates.
pub fn allowed_before_auth(name: &str) -> bool {
    matches!(name, "auth" | "hello" | "quit")
}

/// One entry of ACL LOG.
struct Denial {
    count: u64,
    reason: &'static str,
    context: &'static str,
    object: String,
    username: String,
    first: Instant,
    client_info: String,
}

/// This node's ACL LOG: refused commands and failed logins, newest first; a repeat of the
/// last entry's kind counts on it.
#[derive(Default)]
pub struct AclLog {
    entries: Mutex<VecDeque<Denial>>,
}

impl AclLog {
    fn note(&self, reason: &'static str, object: String, username: String, client_info: String) {
        let mut entries = self.lock();
        if let Some(last) = entries.front_mut() {
            if last.reason == reason && last.object == object && last.username == username {
                last.count += 1;
                last.client_info = client_info;
                return;
            }
        }
        entries.push_front(Denial {
            count: 1,
            reason,
            context: "toplevel",
            object,
            username,
            first: Instant::now(),
            client_info,
        });
        entries.truncate(ACL_LOG_MAX);
    }

    fn reply(&self, count: usize) -> Reply {
        let entries = self.lock();
        Reply::Array(entries.iter().take(count).map(denial_reply).collect())
    }

    fn reset(&self) {
        self.lock().clear();
    }

    fn lock(&self) -> MutexGuard<'_, VecDeque<Denial>> {
        self.entries.lock().unwrap_or_else(|e| e.into_inner())
    }
}

fn denial_reply(denial: &Denial) -> Reply {
    let age = denial.first.elapsed().as_secs_f64();
    Reply::Map(vec![
        (Reply::bulk("count"), Reply::Integer(denial.count as i64)),
        (Reply::bulk("reason"), Reply::bulk(denial.reason)),
        (Reply::bulk("context"), Reply::bulk(denial.context)),
        (Reply::bulk("object"), Reply::bulk(denial.object.clone())),
        (
            Reply::bulk("username"),
            Reply::bulk(denial.username.clone()),
        ),
        (Reply::bulk("age-seconds"), Reply::Double(age)),
        (
            Reply::bulk("client-info"),
            Reply::bulk(denial.client_info.clone()),
        ),
    ])
}

/// A refused EXEC's answer: the refusal after Redis's EXECABORT words (execCommandAbort).
pub fn exec_abort(refusal: Reply) -> Reply {
    match refusal {
        Reply::Error(text) => Reply::error(format!(
            "EXECABORT Transaction discarded because of: {}",
            text.trim_start_matches('-')
        )),
        other => other,
    }
}

/// What an ACL refusal names: its reason as ACL LOG says it, from the NOPERM line.
fn reason_of(error: &str) -> &'static str {
    if error.contains("one of the keys") {
        "key"
    } else if error.contains("one of the channels") {
        "channel"
    } else {
        "command"
    }
}

impl<C: Cluster> Session<C> {
    /// Whether this connection may run `argv` (the command `spec`): None when it may, else
    /// the refusal (NOAUTH before authentication, NOPERM from the user's rules), written to
    /// ACL LOG when `note`.
    pub fn refusal(&self, spec: &CommandSpec, argv: &[Vec<u8>], note: bool) -> Option<Reply> {
        let name = spec.name;
        if allowed_before_auth(name) {
            return None;
        }
        let access = self.server.cluster.access();
        // As Redis decides it at each command: without a password on the default user (it
        // was removed since this connection arrived), an unauthenticated connection is it.
        let user = match &self.user {
            Some(user) => user.as_slice(),
            None if access.default_user_requires_password() => return Some(Reply::error(NOAUTH)),
            None => DEFAULT_USER,
        };
        let Err(refused) = access.check_command(user, spec, argv) else {
            return None;
        };
        if let (true, Reply::Error(text)) = (note, &refused) {
            let who = String::from_utf8_lossy(user).into_owned();
            self.server
                .acl_log
                .note(reason_of(text), name.to_string(), who, self.client_line());
        }
        Some(refused)
    }

    /// AUTH [username] password.
    pub async fn auth(&mut self, argv: &[Vec<u8>]) -> Reply {
        let (user, password) = match argv {
            [_, password] => (DEFAULT_USER, password),
            [_, user, password] => (user.as_slice(), password),
            _ => return Reply::error("ERR syntax error"),
        };
        if argv.len() == 2
            && !self
                .server
                .cluster
                .access()
                .default_user_requires_password()
        {
            return Reply::error(
                "ERR AUTH <password> called without any password configured for the default \
                 user. Are you sure your configuration is correct?",
            );
        }
        match self.log_in(user, password).await {
            true => Reply::ok(),
            false => Reply::error(WRONGPASS),
        }
    }

    /// Authenticates as `user` with `password`; a failure is logged and answered after a
    /// pause that grows with each failure on this connection.
    pub async fn log_in(&mut self, user: &[u8], password: &[u8]) -> bool {
        // A follower knows the users it has applied: catching up with the leader first lets a
        // user just created through it (by this client too) log in. Without a leader, the
        // users applied so far decide.
        let _ = self.server.cluster.read_barrier().await;
        // Entered before the check, so that a revocation applied between the two is not missed.
        let login = self.server.logins.enter(user, self.id);
        if self.server.cluster.access().authenticate(user, password) {
            self.user = Some(user.to_vec());
            self.login = Some(login);
            return true;
        }
        drop(login);
        self.failed_auths += 1;
        let who = String::from_utf8_lossy(user).into_owned();
        let info = self.client_line();
        self.server.acl_log.note("auth", "AUTH".into(), who, info);
        let pause = AUTH_PAUSE_STEP
            .saturating_mul(self.failed_auths)
            .min(AUTH_PAUSE_MAX);
        tokio::time::sleep(pause).await;
        false
    }

    /// ACL WHOAMI.
    pub fn acl_whoami(&self) -> Reply {
        Reply::Bulk(self.user.clone().unwrap_or_else(|| DEFAULT_USER.to_vec()))
    }

    /// ACL LOG [count | RESET].
    pub fn acl_log(&self, argv: &[Vec<u8>]) -> Reply {
        match argv.get(2) {
            None => self.server.acl_log.reply(10),
            Some(arg) if arg.eq_ignore_ascii_case(b"reset") => {
                self.server.acl_log.reset();
                Reply::ok()
            }
            Some(arg) => match parse_i64(arg).and_then(|n| usize::try_from(n).ok()) {
                Some(count) => self.server.acl_log.reply(count),
                None => Reply::error("ERR value is out of range, must be positive"),
            },
        }
    }
}
