//! CLIENT PAUSE and CLIENT UNPAUSE, per node: while this node is paused, its connections'
//! commands wait before they run (all of them, or with WRITE only those that may write), as
//! Redis 7.0 holds its clients. Other nodes go on serving; the log, the leader's expiry sweeps
//! and replication do not pause (docs/commands.md).

use std::time::Duration;

// Tokio's clock, so that tests can run paused time through a pause.
use tokio::time::Instant;

use redraft_engine::args::parse_i64;
use redraft_engine::{CommandSpec, Reply};
use tokio::sync::watch;

use crate::cluster::Cluster;
use crate::session::Session;

/// The longest pause taken literally (Redis accepts up to 2^63 - 1 ms): about 31 years.
const PAUSE_MAX: Duration = Duration::from_secs(1 << 30);

/// The node's pause, if any: until when, and whether only writes wait.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Paused {
    pub until: Instant,
    pub writes_only: bool,
}

pub struct Pause {
    state: watch::Sender<Option<Paused>>,
}

impl Default for Pause {
    fn default() -> Self {
        Pause {
            state: watch::Sender::new(None),
        }
    }
}

impl Pause {
    /// Pauses until `until`. A pause already in force keeps the later end and the stricter
    /// mode of the two, as in Redis 7.0.
    pub fn pause(&self, until: Instant, writes_only: bool) {
        let now = Instant::now();
        self.state.send_modify(|state| {
            let merged = match *state {
                Some(old) if old.until > now => Paused {
                    until: old.until.max(until),
                    writes_only: old.writes_only && writes_only,
                },
                _ => Paused { until, writes_only },
            };
            *state = Some(merged);
        });
    }

    pub fn unpause(&self) {
        self.state.send_replace(None);
    }

    /// The pause in force now, if any.
    pub fn current(&self) -> Option<Paused> {
        let paused = (*self.state.borrow())?;
        (paused.until > Instant::now()).then_some(paused)
    }

    /// Returns when a command that writes (`writes`) or not may run: at once unless a pause
    /// holds it, else when the pause ends or is lifted.
    pub async fn wait(&self, writes: bool) {
        let mut changes = self.state.subscribe();
        loop {
            let Some(paused) = *changes.borrow_and_update() else {
                return;
            };
            if paused.until <= Instant::now() || (paused.writes_only && !writes) {
                return;
            }
            tokio::select! {
                _ = changes.changed() => {}
                () = tokio::time::sleep_until(paused.until) => {}
            }
        }
    }
}

/// Whether CLIENT PAUSE WRITE holds `spec`: the commands that write, EVAL and FCALL whatever
/// the script does (their kind is a write), and PUBLISH and SPUBLISH, as Redis 7.0 holds
/// them.
pub fn held_when_writes_pause(spec: &CommandSpec) -> bool {
    spec.is_write() || matches!(spec.name, "publish" | "spublish")
}

/// CLIENT PAUSE timeout [WRITE|ALL]: `args` after the subcommand; the end, and whether only
/// writes wait.
fn parse_pause(args: &[Vec<u8>]) -> Result<(Duration, bool), Reply> {
    let timeout_ms = parse_i64(&args[0])
        .ok_or_else(|| Reply::error("ERR timeout is not an integer or out of range"))?;
    if timeout_ms < 0 {
        return Err(Reply::error("ERR timeout is negative"));
    }
    let writes_only =
        match args.get(1..).unwrap_or_default() {
            [] => false,
            [mode] if mode.eq_ignore_ascii_case(b"write") => true,
            [mode] if mode.eq_ignore_ascii_case(b"all") => false,
            [_] => return Err(Reply::error("ERR CLIENT PAUSE mode must be WRITE or ALL")),
            _ => return Err(Reply::error(
                "ERR unknown subcommand or wrong number of arguments for 'pause'. Try CLIENT HELP.",
            )),
        };
    let timeout = Duration::from_millis(timeout_ms as u64).min(PAUSE_MAX);
    Ok((timeout, writes_only))
}

impl<C: Cluster> Session<C> {
    pub(crate) fn client_pause(&self, argv: &[Vec<u8>]) -> Reply {
        match parse_pause(&argv[2..]) {
            Ok((timeout, writes_only)) => {
                self.server
                    .pause
                    .pause(Instant::now() + timeout, writes_only);
                Reply::ok()
            }
            Err(refusal) => refusal,
        }
    }

    pub(crate) fn client_unpause(&self) -> Reply {
        self.server.pause.unpause();
        Reply::ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<Vec<u8>> {
        list.iter().map(|a| a.as_bytes().to_vec()).collect()
    }

    #[test]
    fn pause_arguments_parse_with_redis_errors() {
        assert_eq!(
            parse_pause(&args(&["100"])),
            Ok((Duration::from_millis(100), false))
        );
        assert_eq!(
            parse_pause(&args(&["0", "WRITE"])),
            Ok((Duration::ZERO, true))
        );
        assert_eq!(
            parse_pause(&args(&["9223372036854775807", "all"])),
            Ok((PAUSE_MAX, false))
        );
        let cases = [
            (&["x"][..], "ERR timeout is not an integer or out of range"),
            (
                &["99999999999999999999"],
                "ERR timeout is not an integer or out of range",
            ),
            (&["-1"], "ERR timeout is negative"),
            (&["10", "foo"], "ERR CLIENT PAUSE mode must be WRITE or ALL"),
            (
                &["10", "all", "x"],
                "ERR unknown subcommand or wrong number of arguments for 'pause'. Try CLIENT HELP.",
            ),
        ];
        for (given, error) in cases {
            assert_eq!(
                parse_pause(&args(given)),
                Err(Reply::error(error)),
                "{given:?}"
            );
        }
    }

    #[tokio::test]
    async fn a_write_pause_holds_writes_until_it_ends_and_a_later_pause_keeps_the_stricter_mode() {
        let pause = Pause::default();
        let start = Instant::now();
        let short = Duration::from_millis(50);
        pause.wait(true).await;
        pause.pause(start + Duration::from_millis(400), true);
        tokio::time::timeout(short, pause.wait(false))
            .await
            .expect("reads pass a WRITE pause");
        assert!(
            tokio::time::timeout(short, pause.wait(true)).await.is_err(),
            "a write waits"
        );
        // ALL over WRITE holds reads too; the later end stays.
        pause.pause(start + Duration::from_millis(100), false);
        assert_eq!(
            pause.current(),
            Some(Paused {
                until: start + Duration::from_millis(400),
                writes_only: false
            })
        );
        pause.wait(false).await;
        assert!(Instant::now() >= start + Duration::from_millis(400));
        assert_eq!(pause.current(), None);
        pause.pause(Instant::now() + Duration::from_secs(60), false);
        let pause = std::sync::Arc::new(pause);
        let waiting = tokio::spawn({
            let pause = pause.clone();
            async move { pause.wait(true).await }
        });
        tokio::time::sleep(short).await;
        assert!(!waiting.is_finished(), "held by ALL");
        pause.unpause();
        tokio::time::timeout(Duration::from_secs(5), waiting)
            .await
            .expect("UNPAUSE releases at once")
            .unwrap();
    }
}
