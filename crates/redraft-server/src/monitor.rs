//! MONITOR: every command this node's clients run, as a line to each of this node's monitoring
//! connections, in Redis's format (`+1339518083.107412 [0 127.0.0.1:60866] "keys" "*"`).
//!
//! A monitor's lines go through its outbox, bounded as a subscriber's output is: a monitor
//! that does not read is disconnected rather than let the node's memory grow. Shown, as in
//! Redis: the commands that reach execution (not those refused), except administrative ones;
//! a transaction's commands when EXEC runs them. Passwords in AUTH, HELLO and MIGRATE are
//! redacted. Differences (docs/commands.md): the line is written as the command starts, and
//! commands a script runs are not shown (they run inside the state machine).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::time::{SystemTime, UNIX_EPOCH};

use redraft_engine::{resolve, Reply};

use crate::cluster::Cluster;
use crate::outbox::Outbox;
use crate::session::Session;

/// This node's monitoring connections, by client id.
#[derive(Default)]
pub struct Monitors {
    list: Mutex<Vec<(u64, Weak<Outbox>)>>,
    /// How many there are: the fast check every command makes.
    count: AtomicUsize,
}

impl Monitors {
    pub fn add(&self, client: u64, outbox: &Arc<Outbox>) {
        let mut list = self.lock();
        list.retain(|(id, _)| *id != client);
        list.push((client, Arc::downgrade(outbox)));
        self.count.store(list.len(), Ordering::Relaxed);
    }

    pub fn remove(&self, client: u64) {
        let mut list = self.lock();
        list.retain(|(id, _)| *id != client);
        self.count.store(list.len(), Ordering::Relaxed);
    }

    pub fn any(&self) -> bool {
        self.count.load(Ordering::Relaxed) > 0
    }

    /// Sends `line` to every monitor; forgets those whose connection has gone.
    fn feed(&self, line: &str) {
        let mut list = self.lock();
        list.retain(|(_, outbox)| match outbox.upgrade() {
            Some(outbox) if outbox.closed().is_none() => {
                outbox.push(Reply::Simple(line.to_string()));
                true
            }
            _ => false,
        });
        self.count.store(list.len(), Ordering::Relaxed);
    }

    fn lock(&self) -> MutexGuard<'_, Vec<(u64, Weak<Outbox>)>> {
        self.list.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl<C: Cluster> Session<C> {
    /// MONITOR: +OK, then this node's commands.
    pub(crate) fn monitor(&mut self) -> Reply {
        let outbox = self.outbox();
        self.server.monitors.add(self.id, &outbox);
        self.control.monitor = true;
        Reply::ok()
    }

    /// Shows `argv`, run by this connection, to the node's monitors (unless administrative).
    pub(crate) fn show_to_monitors(&self, argv: &[Vec<u8>]) {
        let Ok(spec) = resolve(argv) else {
            return;
        };
        if spec.is_admin() {
            return;
        }
        // SELECT is shown with the database it selects, as Redis shows it after it ran.
        let db = match spec.name {
            "select" => redraft_engine::args::db_index(&argv[1], self.server.config.databases)
                .map_or(self.db, |db| db as u32),
            _ => self.db,
        };
        let origin = format!("{db} {}", self.peer);
        self.server
            .monitors
            .feed(&line(SystemTime::now(), &origin, argv));
    }
}

/// One monitor line, without the `+` and line end that the encoding adds.
fn line(now: SystemTime, origin: &str, argv: &[Vec<u8>]) -> String {
    let since = now.duration_since(UNIX_EPOCH).unwrap_or_default();
    let mut text = format!(
        "{}.{:06} [{origin}]",
        since.as_secs(),
        since.subsec_micros()
    );
    let hidden = redacted(argv);
    for (i, arg) in argv.iter().enumerate() {
        text.push(' ');
        match hidden.contains(&i) {
            true => text.push_str("\"(redacted)\""),
            false => quote(arg, &mut text),
        }
    }
    text
}

/// The positions of the arguments that carry passwords, which monitors do not see: AUTH's,
/// HELLO's AUTH option's, MIGRATE's AUTH and AUTH2 options'.
fn redacted(argv: &[Vec<u8>]) -> Vec<usize> {
    let name = argv
        .first()
        .map(|n| n.to_ascii_lowercase())
        .unwrap_or_default();
    let is = |i: usize, word: &[u8]| argv.get(i).is_some_and(|a| a.eq_ignore_ascii_case(word));
    let mut hidden = Vec::new();
    match name.as_slice() {
        b"auth" => hidden.extend(1..argv.len()),
        b"hello" => {
            let mut i = 2;
            while i < argv.len() {
                if is(i, b"auth") {
                    hidden.extend((i + 1..i + 3).filter(|&j| j < argv.len()));
                    i += 3;
                } else {
                    i += 2;
                }
            }
        }
        b"migrate" => {
            for i in 6..argv.len() {
                if is(i, b"auth") {
                    hidden.push(i + 1);
                } else if is(i, b"auth2") {
                    hidden.extend([i + 1, i + 2]);
                }
            }
            hidden.retain(|&j| j < argv.len());
        }
        _ => {}
    }
    hidden
}

/// `arg` in double quotes with escapes, as Redis writes arguments in monitor lines: `\\` and
/// `\"`, `\n \r \t \a \b` by name, other bytes outside printable ASCII as `\xhh`.
fn quote(arg: &[u8], out: &mut String) {
    out.push('"');
    for &byte in arg {
        match byte {
            b'\\' => out.push_str("\\\\"),
            b'"' => out.push_str("\\\""),
            b'\n' => out.push_str("\\n"),
            b'\r' => out.push_str("\\r"),
            b'\t' => out.push_str("\\t"),
            0x07 => out.push_str("\\a"),
            0x08 => out.push_str("\\b"),
            b' '..=b'~' => out.push(byte as char),
            _ => out.push_str(&format!("\\x{byte:02x}")),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outbox::OutputLimit;
    use std::time::Duration;

    fn args(list: &[&str]) -> Vec<Vec<u8>> {
        list.iter().map(|a| a.as_bytes().to_vec()).collect()
    }

    #[test]
    fn a_line_has_the_time_the_origin_and_quoted_arguments() {
        let at = UNIX_EPOCH + Duration::from_micros(1_339_518_083_107_412);
        let mut argv = args(&["set", "a b"]);
        argv.push(b"x\"y\\\n\x01\xc3\xa9".to_vec());
        assert_eq!(
            line(at, "0 127.0.0.1:60866", &argv),
            r#"1339518083.107412 [0 127.0.0.1:60866] "set" "a b" "x\"y\\\n\x01\xc3\xa9""#
        );
        let at = UNIX_EPOCH + Duration::from_micros(5_000_001);
        assert_eq!(
            line(at, "3 [::1]:7", &args(&["PING"])),
            r#"5.000001 [3 [::1]:7] "PING""#
        );
    }

    #[test]
    fn passwords_are_redacted_as_redis_does() {
        let shown = |list: &[&str]| {
            let text = line(UNIX_EPOCH, "0 a", &args(list));
            text.split_once("] ").unwrap().1.to_string()
        };
        assert_eq!(shown(&["auth", "pw"]), r#""auth" "(redacted)""#);
        assert_eq!(
            shown(&["AUTH", "u", "pw"]),
            r#""AUTH" "(redacted)" "(redacted)""#
        );
        assert_eq!(
            shown(&["hello", "3", "auth", "u", "pw", "setname", "n"]),
            r#""hello" "3" "auth" "(redacted)" "(redacted)" "setname" "n""#
        );
        assert_eq!(
            shown(&["hello", "2", "setname", "n"]),
            r#""hello" "2" "setname" "n""#
        );
        assert_eq!(
            shown(&["migrate", "h", "1", "k", "0", "10", "AUTH2", "u", "pw"]),
            r#""migrate" "h" "1" "k" "0" "10" "AUTH2" "(redacted)" "(redacted)""#
        );
    }

    #[test]
    fn monitors_get_lines_until_their_connection_goes_and_a_slow_one_is_cut_off() {
        let monitors = Monitors::default();
        let limit = OutputLimit {
            hard_bytes: 100,
            soft_bytes: 0,
            soft_for: Duration::ZERO,
        };
        let reader = Arc::new(Outbox::new(OutputLimit::PUBSUB_DEFAULT));
        let slow = Arc::new(Outbox::new(limit));
        monitors.add(1, &reader);
        monitors.add(2, &slow);
        assert!(monitors.any());
        for _ in 0..10 {
            monitors.feed("0.000000 [0 a] \"ping\"");
        }
        assert_eq!(reader.take().0.len(), 10);
        assert!(slow.closed().is_some(), "past its output limit");
        monitors.feed("x");
        assert_eq!(monitors.lock().len(), 1, "the closed one is forgotten");
        drop(reader);
        monitors.feed("x");
        assert!(!monitors.any());
    }
}
